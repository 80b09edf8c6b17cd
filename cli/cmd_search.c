/*
 * cmd_search.c - rbaudit search: the rollbacks of a ledger by actor,
 * service, team, environment, finding, level, time and text, and its open
 * work (--open), one line each, as JSON or as CSV.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "lib/db.h"
#include "lib/ident.h"
#include "lib/schema.h"
#include "lib/tree.h"
#include "lib/vocab.h"
#include "report/query.h"

static const char search_synopsis[] =
	"usage: rbaudit search --db FILE [--ledger ORIGIN] [--actor WHO] [--service S]\n"
	"                      [--team T] [--environment E] [--finding CODE] [--level L]\n"
	"                      [--since TIME] [--until TIME] [--text WORDS]\n"
	"                      [--open [--now TIME]] [--json | --csv] [--busy-timeout SECONDS]\n";

static const char search_about[] =
	"List the rollbacks of a ledger that hold every filter given (all of them: the\n"
	"filters are ANDed), one line each in the order of their request: id, request\n"
	"time, service, environment, team, level and score, status and findings.  A\n"
	"rollback is listed from its first rollback.requested.  --actor matches anyone\n"
	"who wrote one of its entries (request, approval, execution, verification,\n"
	"review, closure) as the same person (metrics-v1 revision 2: trimmed, NFC,\n"
	"case-folded); --service and --environment its request's; --team, --finding\n"
	"and --level come from the most recently stored analysis that holds it, so a\n"
	"rollback no stored analysis holds has none of them.  --text looks for the\n"
	"words in its request's rationale, impact, security considerations and ticket,\n"
	"without regard to case.  --open lists open work only: rollbacks requested\n"
	"and not executed (status requested), executed and not closed (executed), and\n"
	"those with failed attempts only (failed), with their age: from the entry\n"
	"that put them there to --now (default: the time now).  The database is only\n"
	"read.\n";

static const char search_tail[] =
	"Exit status: 0 searched (whether anything was found or not); 64 usage; 65 a\n"
	"database of another schema version; 66 no database or ledger; 75 the\n"
	"database is busy.\n";

struct search_opts {
	const char *db, *ledger;
	struct rb_search s;
	struct rb_time since, until, now;
	int have_since, have_until, have_now, json, csv, busy_ms;
};

struct out {
	const struct search_opts *o;
	long long n;
};

/* An age as people say it: "3d 4h", "5h 12m", "12m", "40s". */
static void fmt_age(int64_t s, char *buf, size_t n)
{
	const char *sign = s < 0 ? "-" : "";

	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(buf, n, "%s%" PRId64 "d %" PRId64 "h", sign, s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%s%" PRId64 "h %" PRId64 "m", sign, s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, n, "%s%" PRId64 "m", sign, s / 60);
	else
		snprintf(buf, n, "%s%" PRId64 "s", sign, s);
}

static const char *or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static int print_line(const struct rb_search_hit *h)
{
	const cJSON *x;
	char age[48], lv[48];
	int n = 0;

	rb_text_pad(stdout, h->rollback_id, 10, 0);
	printf(" %s  ", h->requested);
	rb_text_pad(stdout, or_dash(h->service), 16, 1);
	fputc(' ', stdout);
	rb_text_pad(stdout, or_dash(h->environment), 11, 1);
	fputc(' ', stdout);
	rb_text_pad(stdout, or_dash(h->team), 10, 1);
	if (h->level != NULL)
		snprintf(lv, sizeof(lv), "%s %.0f", h->level, h->score);
	else
		snprintf(lv, sizeof(lv), "-");
	printf(" %-12s ", lv);
	fmt_age(h->age, age, sizeof(age));
	if (h->open)
		printf("%s %-9s", h->status, age);
	else
		printf("%-18s", h->status);
	cJSON_ArrayForEach(x, h->findings)
		printf("%s%s", n++ ? "," : " ", cJSON_GetStringValue(x));
	printf("\n");
	return 0;
}

static int print_csv(const struct rb_search_hit *h)
{
	const cJSON *x;
	char buf[512];
	int n = 0;

	rb_query_csv_cell(stdout, h->rollback_id);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->requested);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->requester);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->service);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->environment);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->team);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->period);
	if (h->level != NULL)
		printf(",%.0f,", h->score);
	else
		printf(",,");
	rb_query_csv_cell(stdout, h->level);
	buf[0] = '\0';
	cJSON_ArrayForEach(x, h->findings)
		if (strlen(buf) + strlen(cJSON_GetStringValue(x)) + 2 < sizeof(buf))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", n++ ? " " : "",
				 cJSON_GetStringValue(x));
	fputc(',', stdout);
	rb_query_csv_cell(stdout, buf);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->status);
	fputc(',', stdout);
	rb_query_csv_cell(stdout, h->since);
	if (h->open)
		printf(",%" PRId64, h->age);
	else
		fputc(',', stdout);
	fputs("\r\n", stdout);
	return 0;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static int print_json(const struct rb_search_hit *h, long long i, struct rb_err *e)
{
	cJSON *x = cJSON_CreateObject();
	char *s;

	if (x == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	cJSON_AddStringToObject(x, "rollback_id", h->rollback_id);
	cJSON_AddNumberToObject(x, "seq", (double)h->seq);
	add_str(x, "requested", h->requested);
	add_str(x, "requester", h->requester);
	add_str(x, "service", h->service);
	add_str(x, "environment", h->environment);
	add_str(x, "team", h->team);
	add_str(x, "analysis_period", h->period);
	if (h->level != NULL)
		cJSON_AddNumberToObject(x, "score", h->score);
	else
		cJSON_AddNullToObject(x, "score");
	add_str(x, "level", h->level);
	cJSON_AddItemToObject(x, "findings", cJSON_Duplicate(h->findings, 1));
	cJSON_AddStringToObject(x, "status", h->status);
	add_str(x, "status_since", h->since);
	cJSON_AddBoolToObject(x, "open", h->open);
	if (h->open)
		cJSON_AddNumberToObject(x, "age_seconds", (double)h->age);
	else
		cJSON_AddNullToObject(x, "age_seconds");
	s = cJSON_PrintUnformatted(x);
	cJSON_Delete(x);
	if (s == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	printf("%s\n    %s", i > 0 ? "," : "", s);
	cJSON_free(s);
	return 0;
}

static int on_hit(void *ctx, const struct rb_search_hit *h, struct rb_err *e)
{
	struct out *w = ctx;

	if (w->o->json)
		return print_json(h, w->n++, e);
	w->n++;
	return w->o->csv ? print_csv(h) : print_line(h);
}

/* The document's start with --json: the ledger, the filters, the time. */
static void json_head(const struct search_opts *o, const char *origin)
{
	cJSON *d = cJSON_CreateObject(), *f;
	char now[RB_TIME_MAX], *s;

	cJSON_AddStringToObject(d, "ledger", origin);
	rb_time_format(&o->now, now);
	cJSON_AddStringToObject(d, "now", now);
	f = cJSON_AddObjectToObject(d, "filters");
	add_str(f, "actor", o->s.actor);
	add_str(f, "service", o->s.service);
	add_str(f, "team", o->s.team);
	add_str(f, "environment", o->s.environment);
	add_str(f, "finding", o->s.finding);
	add_str(f, "level", o->s.level);
	add_str(f, "text", o->s.text);
	cJSON_AddBoolToObject(f, "open", o->s.open);
	s = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	/* The object without its closing brace: the rollbacks follow. */
	if (s != NULL && strlen(s) > 0)
		printf("%.*s,\n  \"rollbacks\": [", (int)strlen(s) - 1, s);
	cJSON_free(s);
}

static int search_run(struct search_opts *o, struct rb_err *e)
{
	struct out w = { o, 0 };
	sqlite3 *db = NULL;
	char origin[512];
	int rc = -1;

	if (rb_schema_open(o->db, RB_DB_READONLY, o->busy_ms, &db, e) != 0)
		return -1;
	o->s.ledger_id = rb_tree_pick_ledger(db, o->ledger, origin, sizeof(origin), e);
	if (o->s.ledger_id < 0)
		goto out;
	if (o->json)
		json_head(o, origin);
	else if (o->csv)
		fputs("rollback_id,requested,requester,service,environment,team,analysis_period,"
		      "score,level,findings,status,status_since,age_seconds\r\n", stdout);
	if (rb_query_search(db, &o->s, on_hit, &w, e) != 0 || rb_db_unchanged(db, e) != 0)
		goto out;
	if (o->json)
		printf("%s],\n  \"count\": %lld\n}\n", w.n > 0 ? "\n  " : "", w.n);
	rc = RB_EX_OK;
out:
	rb_db_close(db);
	return rc;
}

/* The options' values checked beyond their kinds. */
static int search_check(struct search_opts *o, int argi, int argc, char **argv,
			struct rb_err *e)
{
	if (argi != argc)
		return cli_usage(e, "search", "unexpected operand '%s'", argv[argi]);
	if (o->db == NULL)
		return cli_usage(e, "search", "--db FILE is required");
	if (o->json && o->csv)
		return cli_usage(e, "search", "name one of --json and --csv");
	if (o->s.finding != NULL && rb_finding_of(o->s.finding) < 0)
		return cli_usage(e, "search", "--finding takes a finding code (approvals-missing, "
				 "separation-of-duties, ...: rbaudit(1)), not '%.60s'",
				 o->s.finding);
	if (o->s.level != NULL && rb_level_of(o->s.level) < 0)
		return cli_usage(e, "search", "--level takes low, medium, high or critical, not "
				 "'%.60s'", o->s.level);
	if (o->s.actor != NULL && !rb_text_present(o->s.actor))
		return cli_usage(e, "search", "--actor takes an identity, not blank text");
	if (o->s.text != NULL && !rb_text_present(o->s.text))
		return cli_usage(e, "search", "--text takes words to look for, not blank text");
	o->s.since = o->have_since ? o->since.sec : INT64_MIN;
	o->s.until = o->have_until ? o->until.sec + (o->until.nsec > 0) : INT64_MAX;
	if (o->s.since >= o->s.until)
		return cli_usage(e, "search", "--since must be before --until");
	if (!o->have_now)
		o->now = rb_time_now();
	o->s.now = o->now.sec;
	return 0;
}

int cmd_search(int argc, char **argv, struct rb_err *e)
{
	struct search_opts o;
	int rc, argi;

	memset(&o, 0, sizeof(o));
	o.busy_ms = 10000;
	{
		const struct cli_opt opts[] = {
			{ "db", CLI_STR, &o.db, "FILE", "the database", 0, 0, NULL },
			{ "ledger", CLI_STR, &o.ledger, "ORIGIN", "the ledger, when the database "
			  "holds several", 0, 0, NULL },
			{ "actor", CLI_STR, &o.s.actor, "WHO", "someone who wrote one of its entries "
			  "(the same person\nin any spelling: trimmed, NFC, case-folded)", 0, 0, NULL },
			{ "service", CLI_STR, &o.s.service, "S", "its request's service", 0, 0, NULL },
			{ "team", CLI_STR, &o.s.team, "T", "its team (from its stored analysis)",
			  0, 0, NULL },
			{ "environment", CLI_STR, &o.s.environment, "E", "its request's environment",
			  0, 0, NULL },
			{ "finding", CLI_STR, &o.s.finding, "CODE", "it has this finding (from its "
			  "stored analysis)", 0, 0, NULL },
			{ "level", CLI_STR, &o.s.level, "L", "its level: low, medium, high, critical "
			  "(stored analysis)", 0, 0, NULL },
			{ "since", CLI_TIME, &o.since, "TIME", "requested at or after TIME (RFC 3339 "
			  "UTC)", 0, 0, &o.have_since },
			{ "until", CLI_TIME, &o.until, "TIME", "requested before TIME", 0, 0,
			  &o.have_until },
			{ "text", CLI_STR, &o.s.text, "WORDS", "in its rationale, impact, security "
			  "considerations\nor ticket (any case)", 0, 0, NULL },
			{ "open", CLI_FLAG, &o.s.open, NULL, "only open work: requested, executed "
			  "not closed, failed", 0, 0, NULL },
			{ "now", CLI_TIME, &o.now, "TIME", "count ages to TIME (default: now)", 0, 0,
			  &o.have_now },
			{ "json", CLI_FLAG, &o.json, NULL, "print one JSON object", 0, 0, NULL },
			{ "csv", CLI_FLAG, &o.csv, NULL, "print CSV (RFC 4180, a header row, "
			  "formula-safe)", 0, 0, NULL },
			{ "busy-timeout", CLI_SECONDS, &o.busy_ms, "SECS", "wait this long for a "
			  "busy database (default 10)", 0, 3600, NULL },
			{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
		};
		const struct cli_cmd cmd = { "search", search_synopsis, search_about, opts,
					     search_tail, 0 };

		if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
			return rc < 0 ? -1 : RB_EX_OK;
	}
	if (search_check(&o, argi, argc, argv, e) != 0)
		return -1;
	return search_run(&o, e);
}
