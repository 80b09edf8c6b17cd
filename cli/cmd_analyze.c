/* cmd_analyze.c - rbaudit analyze: metrics, findings and scores of a period. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "analyze/analyze.h"
#include "analyze/policy.h"
#include "cli.h"
#include "opt.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/vocab.h"

static const char analyze_synopsis[] =
	"usage: rbaudit analyze --db FILE --period P [--policy policy.json] [--trend N]\n"
	"                       [--sample N --sample-seed S] [--ledger ORIGIN]\n"
	"                       [--controls FILE] [--no-store] [--json]\n"
	"                       [--busy-timeout SECONDS] [--keys KEYS.json [--jobs N]]\n"
	"                       [--tz ZONE] [--fiscal-start MONTH]\n";

static const char analyze_about[] =
	"Analyse the rollbacks of a period (metrics-v1): frequency and rate, time to\n"
	"detect and to restore, approval latency, evidence completeness, findings\n"
	"and security impact scores, with the same metrics for earlier periods.\n"
	"The analysis is stored in the database for reports (unless --no-store).\n"
	"Periods are counted in UTC unless --tz names a zone: then they run from\n"
	"local midnight to local midnight (a DST day has 23 or 25 hours) and the\n"
	"analysis says which zone (\"time_zone\").  With --fiscal-start 4, FY2027 is\n"
	"2026-04-01 to 2027-04-01 and FY2027-Q1 its first quarter; YYYY-Qn and\n"
	"YYYY-Hn stay calendar quarters and halves.\n";

static const char analyze_tail[] =
	"Exit status: 0 done, 1 the re-check found stored entries that no longer\n"
	"verify under --keys (the analysis is done and stored all the same), 64 usage,\n"
	"65 bad data, 66 no database or ledger, 73 database not writable, 74 I/O\n"
	"error or disk full, 75 database busy: retry, 78 bad policy or control mapping.\n";

static double num(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

static void print_stat(const char *label, const cJSON *s)
{
	if (num(s, "n") == 0) {
		printf("  %-22s n=0\n", label);
		return;
	}
	printf("  %-22s n=%.0f  mean %.1f h  median %.1f h  p90 %.1f h\n", label, num(s, "n"),
	       num(s, "mean") / 3600, num(s, "median") / 3600, num(s, "p90") / 3600);
}

static void summary(const cJSON *d)
{
	const cJSON *it, *rate = cJSON_GetObjectItemCaseSensitive(d, "rollback_rate");
	const char *tz = rb_json_str(d, RB_PERIOD_TZ_MEMBER);

	printf("ledger %s, period %s (%s .. %s%s%s), as of %s\n", rb_json_str(d, "ledger"),
	       rb_json_str(d, "period"), rb_json_str(d, "start"), rb_json_str(d, "end"),
	       tz != NULL ? ", local midnights in " : "", tz != NULL ? tz : "",
	       rb_json_str(d, "as_of"));
	printf("  %-22s %.0f of %.0f deployments", "rollbacks executed",
	       num(d, "rollbacks_executed"), num(d, "deployments"));
	if (cJSON_IsNumber(rate))
		printf(" (rate %.1f%%)", 100 * rate->valuedouble);
	printf("\n");
	if (num(d, "failed_executions") > 0)
		printf("  %-22s %.0f\n", "failed executions", num(d, "failed_executions"));
	print_stat("time to detect", cJSON_GetObjectItemCaseSensitive(d, "ttd"));
	print_stat("time to restore", cJSON_GetObjectItemCaseSensitive(d, "ttr"));
	print_stat("approval latency", cJSON_GetObjectItemCaseSensitive(d, "approval_latency"));
	printf("  %-22s %.0f complete (%.0f%%), mean completeness %.0f%%\n", "evidence",
	       num(d, "evidence_complete"), 100 * num(d, "evidence_complete_ratio"),
	       100 * num(d, "evidence_mean_completeness"));
	it = cJSON_GetObjectItemCaseSensitive(d, "levels");
	printf("  %-22s low %.0f, medium %.0f, high %.0f, critical %.0f\n", "security levels",
	       num(it, "low"), num(it, "medium"), num(it, "high"), num(it, "critical"));
	printf("  findings:");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d, "finding_counts"))
		printf(" %s %.0f;", it->string, it->valuedouble);
	printf("\n  anomalies: %d\n",
	       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "anomalies")));
}

/* The rollbacks with findings or a high score, as the analysis passes them. */
struct flagged {
	FILE *f;
	int n;
};

static int flag_rollback(void *ctx, const cJSON *it, int flagged, struct rb_err *e)
{
	struct flagged *fl = ctx;
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "findings"), *x;

	if (!flagged)
		return 0;
	if (fl->n++ == 0)
		fprintf(fl->f, "rollbacks with findings or a high score:\n");
	/* Columns by display width (wide CJK counts 2); --json has the whole names. */
	fputs("  ", fl->f);
	rb_text_pad(fl->f, rb_json_str(it, "rollback_id"), 10, 0);
	fputc(' ', fl->f);
	rb_text_pad(fl->f, rb_json_str(it, "service") ? rb_json_str(it, "service") : "?", 16, 1);
	fputc(' ', fl->f);
	rb_text_pad(fl->f, rb_json_str(it, "environment") ? rb_json_str(it, "environment") : "?",
		    11, 1);
	fprintf(fl->f, " score %3.0f %-8s", num(it, "score"), rb_json_str(it, "level"));
	cJSON_ArrayForEach(x, f)
		fprintf(fl->f, " %s", x->valuestring);
	fprintf(fl->f, "\n");
	return 0;
}

/*
 * --keys: the stored history against that trust store first; into *tdoc with
 * --json.  The store is kept in *trust (the caller's) for the analysis, which
 * checks the stored checkpoint's signature under it.
 */
static int recheck(const struct rb_analyze_opts *ao, const char *store, int jobs, int json,
		   rb_trust **trust, cJSON **tdoc, int *untrusted, struct rb_err *e)
{
	int rc;

	*tdoc = json ? cJSON_CreateObject() : NULL;
	rc = rb_trust_load(store, trust, e) != 0 ||
	     cli_recheck("analyze", ao->db_path, *trust, store, jobs, ao->busy_ms, *tdoc,
			 untrusted, e) != 0 ? -1 : 0;
	if (rc != 0) {
		cJSON_Delete(*tdoc);
		*tdoc = NULL;
		rb_trust_free(*trust);
		*trust = NULL;
	}
	return rc;
}

/* What the command line asks of analyze. */
struct analyze_args {
	struct rb_analyze_opts ao;
	struct rb_period_cal cal;       /* --tz, --fiscal-start */
	const char *policy, *store;
	int json, no_store, have_seed, jobs;
};

static int analyze_args(int argc, char **argv, struct analyze_args *a, struct rb_err *e)
{
	struct rb_analyze_opts *ao = &a->ao;
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &ao->db_path, "FILE", "the database", 0, 0, NULL },
		{ "period", CLI_STR, &ao->period, "P", "YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY-Www "
		  "(ISO week), YYYY,\nFYyyyy, FYyyyy-Qn, FYyyyy-Hn, "
		  "YYYY-MM-DD..YYYY-MM-DD\n(half-open) or last-month (default)", 0, 0, NULL },
		{ "tz", CLI_TZ, &a->cal, "ZONE", "count periods in this time zone of the "
		  "system's tzdata\n(Europe/Berlin; default UTC)", 0, 0, NULL },
		{ "fiscal-start", CLI_INT, &a->cal.fy_first_month, "MONTH", "the fiscal year's "
		  "first month (default 1); FYyyyy is\nthe fiscal year that ends in yyyy",
		  1, 12, NULL },
		{ "policy", CLI_STR, &a->policy, "FILE",
		  "policy overriding the defaults member by member", 0, 0, NULL },
		{ "trend", CLI_INT, &ao->trend, "N", "earlier periods to compare (default 6)",
		  0, RB_ANALYZE_MAX_TREND, NULL },
		{ "sample", CLI_INT, &ao->sample, "N",
		  "a reproducible audit sample of N rollbacks ...", 0, 100000, NULL },
		{ "sample-seed", CLI_U64, &ao->sample_seed, "S",
		  "... chosen by this seed (default 0)", 0, RB_JSON_MAX_INT, &a->have_seed },
		{ "ledger", CLI_STR, &ao->ledger, "ORIGIN",
		  "the ledger, when the database holds several", 0, 0, NULL },
		{ "controls", CLI_STR, &ao->controls, "FILE",
		  "a control mapping instead of the built-in one", 0, 0, NULL },
		{ "no-store", CLI_FLAG, &a->no_store, NULL,
		  "do not store the analysis (opens the database read-only)", 0, 0, NULL },
		{ "json", CLI_FLAG, &a->json, NULL, "print the whole analysis as one JSON object",
		  0, 0, NULL },
		{ "busy-timeout", CLI_SECONDS, &ao->busy_ms, "SECS",
		  "wait this long for a writer to finish (default 10)", 0, 86400, NULL },
		{ "keys", CLI_STR, &a->store, "KEYS.json", "first, when this trust store is not "
		  "the one the stored\nhistory was last checked against, verify every stored\n"
		  "entry again under it and record those that no longer\nverify (reports list "
		  "them); not with --no-store", 0, 0, NULL },
		{ "jobs", CLI_INT, &a->jobs, "N", "threads for that re-check (default: all CPUs)",
		  1, 256, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "analyze", analyze_synopsis, analyze_about, opts,
				     analyze_tail, 0 };
	int argi, rc;

	memset(a, 0, sizeof(*a));
	ao->period = "last-month";
	ao->trend = 6;
	ao->busy_ms = 10000;
	ao->now = (int64_t)time(NULL);
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc;
	ao->store = !a->no_store;
	ao->cal = &a->cal;
	if (argi != argc)
		return cli_usage(e, "analyze", "unexpected argument '%s'", argv[argi]);
	if (ao->db_path == NULL)
		return cli_usage(e, "analyze", "--db FILE is required");
	if (a->have_seed && ao->sample == 0)
		return cli_usage(e, "analyze", "--sample-seed goes with --sample N");
	if (a->store != NULL && !ao->store)
		return cli_usage(e, "analyze", "--keys records a re-check: not with --no-store");
	return 0;
}

int cmd_analyze(int argc, char **argv, struct rb_err *e)
{
	struct analyze_args a;
	struct rb_analyze_opts *ao = &a.ao;
	struct rb_policy pol;
	cJSON *doc = NULL, *tdoc = NULL;
	rb_trust *trust = NULL;
	struct flagged fl = { NULL, 0 };
	char *flagged = NULL;
	size_t flagged_len = 0;
	int rc, untrusted = 0;

	if ((rc = analyze_args(argc, argv, &a, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	rb_policy_default(&pol);
	if (a.policy != NULL && rb_policy_load(a.policy, &pol, e) != 0)
		return -1;
	ao->policy = &pol;
	if (a.store != NULL &&
	    recheck(ao, a.store, a.jobs, a.json, &trust, &tdoc, &untrusted, e) != 0)
		return -1;
	ao->trust = trust;
	if (a.json) {
		ao->keep_rollbacks = 1;
	} else {
		fl.f = open_memstream(&flagged, &flagged_len);
		if (fl.f == NULL) {
			rb_trust_free(trust);
			cJSON_Delete(tdoc);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		ao->on_rollback = flag_rollback;
		ao->rollback_ctx = &fl;
	}
	rc = rb_analyze(ao, &doc, e);
	rb_trust_free(trust);
	if (fl.f != NULL)
		fclose(fl.f);
	if (rc != 0) {
		free(flagged);
		cJSON_Delete(tdoc);
		return -1;
	}
	if (a.json) {
		char *s;

		if (tdoc != NULL)
			cJSON_AddItemToObject(doc, "trust", cJSON_DetachItemFromObject(tdoc, "trust"));
		s = cJSON_Print(doc);

		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
	} else {
		summary(doc);
		fwrite(flagged, 1, flagged_len, stdout);
	}
	free(flagged);
	cJSON_Delete(doc);
	cJSON_Delete(tdoc);
	return untrusted ? RB_EX_FAIL : RB_EX_OK;
}
