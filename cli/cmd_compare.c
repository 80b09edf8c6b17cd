/*
 * cmd_compare.c - rbaudit compare: the metrics of two periods' stored
 * analyses side by side with the change, and what is new in the second.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "lib/db.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/period.h"
#include "lib/schema.h"
#include "lib/tree.h"
#include "report/query.h"

static const char compare_synopsis[] =
	"usage: rbaudit compare --db FILE --period A --period B [--ledger ORIGIN] [--json]\n"
	"                       [--tz ZONE] [--fiscal-start MONTH] [--busy-timeout SECONDS]\n";

static const char compare_about[] =
	"Compare two periods from their stored analyses (the newest stored of each):\n"
	"every metric side by side (rollbacks, deployments, rate, failed executions,\n"
	"time to detect and to restore, approval latency, evidence, levels, finding\n"
	"counts, and the counts by service, environment and team), with the change\n"
	"from A to B, absolute and relative; then the rollbacks B holds that A does\n"
	"not, the findings of B's rollbacks that A did not have for them, and the\n"
	"finding codes B counts that A counted none of.  Periods are written as for\n"
	"analyze.  The database is only read.\n";

static const char compare_tail[] =
	"Exit status: 0 compared; 64 usage (a period that does not parse); 65 a\n"
	"database of another schema version; 66 no database or ledger, or a period\n"
	"with no stored analysis (store one with rbaudit analyze --period P); 75 the\n"
	"database is busy.\n";

struct compare_opts {
	const char *db, *ledger, *tz;
	struct cli_strs periods;
	int json, busy_ms, fy_first;
};

/* A number as people read it: 12, 0.25, 3600.5 (at most three decimals). */
static void fmt_num(const cJSON *v, int sign, char *buf, size_t n)
{
	size_t len;

	if (!cJSON_IsNumber(v)) {
		snprintf(buf, n, "n/a");
		return;
	}
	if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15) {
		snprintf(buf, n, sign ? "%+.0f" : "%.0f", v->valuedouble);
		return;
	}
	snprintf(buf, n, sign ? "%+.3f" : "%.3f", v->valuedouble);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
}

static void print_metrics(const cJSON *doc)
{
	const cJSON *m;

	printf("  %-44s %12s %12s %12s %9s\n", "metric", "A", "B", "change", "relative");
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(doc, "metrics")) {
		const cJSON *rel = cJSON_GetObjectItemCaseSensitive(m, "relative");
		char a[40], b[40], c[40], r[40];

		fmt_num(cJSON_GetObjectItemCaseSensitive(m, "a"), 0, a, sizeof(a));
		fmt_num(cJSON_GetObjectItemCaseSensitive(m, "b"), 0, b, sizeof(b));
		fmt_num(cJSON_GetObjectItemCaseSensitive(m, "change"), 1, c, sizeof(c));
		if (cJSON_IsNumber(rel))
			snprintf(r, sizeof(r), "%+.1f%%", 100 * rel->valuedouble);
		else
			snprintf(r, sizeof(r), "n/a");
		fputs("  ", stdout);
		rb_text_pad(stdout, rb_json_str(m, "metric"), 44, 1);
		printf(" %12s %12s %12s %9s\n", a, b, c, r);
	}
}

static void print_list(const char *what, const cJSON *arr, int pairs)
{
	const cJSON *x;
	int n = cJSON_GetArraySize(arr), i = 0;

	printf("\n%s: %d\n", what, n);
	cJSON_ArrayForEach(x, arr) {
		if (pairs)
			printf("%s%s %s", i % 4 ? ", " : "  ", rb_json_str(x, "rollback_id"),
			       rb_json_str(x, "code"));
		else
			printf("%s%s", i % 8 ? ", " : "  ", cJSON_GetStringValue(x));
		if (++i % (pairs ? 4 : 8) == 0 || i == n)
			printf("%s\n", i == n ? "" : ",");
	}
}

static void print_compare(const cJSON *doc)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, "a");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(doc, "b");

	printf("ledger %s\n  A: period %s (analysis %.0f, as of %s)\n"
	       "  B: period %s (analysis %.0f, as of %s)\n", rb_json_str(doc, "ledger"),
	       rb_json_str(a, "period"),
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "analysis_id")),
	       rb_json_str(a, "as_of"), rb_json_str(b, "period"),
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "analysis_id")),
	       rb_json_str(b, "as_of"));
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "same_policy")))
		printf("  note: the two analyses were made under different policies\n");
	printf("\n");
	print_metrics(doc);
	print_list("rollbacks new in B", cJSON_GetObjectItemCaseSensitive(doc, "new_rollbacks"),
		   0);
	print_list("findings new in B", cJSON_GetObjectItemCaseSensitive(doc, "new_findings"), 1);
	print_list("finding codes B counts and A counted none of",
		   cJSON_GetObjectItemCaseSensitive(doc, "new_finding_codes"), 0);
}

static int compare_run(const struct compare_opts *o, const struct rb_period *pa,
		       const struct rb_period *pb, struct rb_err *e)
{
	sqlite3 *db = NULL;
	cJSON *doc = NULL;
	char origin[512];
	int64_t lid;
	int rc = -1;

	if (rb_schema_open(o->db, RB_DB_READONLY, o->busy_ms, &db, e) != 0)
		return -1;
	lid = rb_tree_pick_ledger(db, o->ledger, origin, sizeof(origin), e);
	if (lid < 0 || rb_query_compare(db, lid, origin, pa, pb, &doc, e) != 0 ||
	    rb_db_unchanged(db, e) != 0)
		goto out;
	if (o->json) {
		char *s = cJSON_Print(doc);

		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
	} else {
		print_compare(doc);
	}
	rc = RB_EX_OK;
out:
	cJSON_Delete(doc);
	rb_db_close(db);
	return rc;
}

int cmd_compare(int argc, char **argv, struct rb_err *e)
{
	struct compare_opts o = { NULL, NULL, NULL, { { NULL }, 0 }, 0, 10000, 0 };
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &o.db, "FILE", "the database", 0, 0, NULL },
		{ "period", CLI_STRS, &o.periods, "P", "a period, as for analyze; given twice: A "
		  "then B", 0, 0, NULL },
		{ "ledger", CLI_STR, &o.ledger, "ORIGIN", "the ledger, when the database holds "
		  "several", 0, 0, NULL },
		{ "json", CLI_FLAG, &o.json, NULL, "print the comparison as one JSON object", 0, 0,
		  NULL },
		{ "tz", CLI_STR, &o.tz, "ZONE", "the time zone of the periods' boundaries "
		  "(default UTC)", 0, 0, NULL },
		{ "fiscal-start", CLI_INT, &o.fy_first, "MONTH", "the first month of the fiscal "
		  "year, 1-12 (default 1)", 1, 12, NULL },
		{ "busy-timeout", CLI_SECONDS, &o.busy_ms, "SECS", "wait this long for a busy "
		  "database (default 10)", 0, 3600, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "compare", compare_synopsis, compare_about, opts,
				     compare_tail, 0 };
	struct rb_period_cal cal;
	struct rb_period p[2];
	int rc, argi;
	size_t i;

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (argi != argc)
		return cli_usage(e, "compare", "unexpected operand '%s'", argv[argi]);
	if (o.db == NULL || o.periods.n != 2)
		return cli_usage(e, "compare", "--db FILE and two periods, --period A --period B, "
				 "are required");
	memset(&cal, 0, sizeof(cal));
	if (o.tz != NULL && strlen(o.tz) >= sizeof(cal.tz))
		return cli_usage(e, "compare", "--tz takes a time zone name, not '%.60s'", o.tz);
	if (o.tz != NULL)
		memcpy(cal.tz, o.tz, strlen(o.tz) + 1);
	cal.fy_first_month = o.fy_first;
	for (i = 0; i < 2; i++)
		if (rb_period_parse_cal(o.periods.v[i], (int64_t)time(NULL), &cal, &p[i], e) != 0)
			return -1;
	return compare_run(&o, &p[0], &p[1], e);
}
