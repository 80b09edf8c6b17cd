/* cmd_analyze.c - rbaudit analyze: metrics, findings and scores of a period. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "analyze/analyze.h"
#include "analyze/policy.h"
#include "cli.h"
#include "lib/json.h"
#include "lib/vocab.h"

static const char analyze_usage[] =
	"usage: rbaudit analyze --db FILE --period P [--policy policy.json] [--trend N]\n"
	"                       [--sample N --sample-seed S] [--ledger ORIGIN]\n"
	"                       [--controls FILE] [--no-store] [--json]\n"
	"                       [--busy-timeout SECONDS] [--keys KEYS.json [--jobs N]]\n"
	"\n"
	"Analyse the rollbacks of a period (metrics-v1): frequency and rate, time to\n"
	"detect and to restore, approval latency, evidence completeness, findings\n"
	"and security impact scores, with the same metrics for earlier periods.\n"
	"The analysis is stored in the database for reports (unless --no-store).\n"
	"\n"
	"  --period P          YYYY-MM, YYYY-Qn, YYYY, YYYY-MM-DD..YYYY-MM-DD (half-open)\n"
	"                      or last-month (default); all UTC\n"
	"  --policy FILE       policy overriding the defaults member by member\n"
	"  --trend N           earlier periods to compare (default 6)\n"
	"  --sample N          a reproducible audit sample of N rollbacks ...\n"
	"  --sample-seed S     ... chosen by this seed (default 0)\n"
	"  --ledger ORIGIN     the ledger, when the database holds several\n"
	"  --controls FILE     a control mapping instead of the built-in one\n"
	"  --no-store          do not store the analysis (opens the database read-only)\n"
	"  --json              print the whole analysis as one JSON object\n"
	"  --busy-timeout SECS wait this long for a writer to finish (default 10)\n"
	"  --keys KEYS.json    first, when this trust store is not the one the stored\n"
	"                      history was last checked against, verify every stored\n"
	"                      entry again under it and record those that no longer\n"
	"                      verify (reports list them); not with --no-store\n"
	"  --jobs N            threads for that re-check (default: all CPUs)\n"
	"\n"
	"Exit status: 0 done, 1 the re-check found stored entries that no longer\n"
	"verify under --keys (the analysis is done and stored all the same), 64 usage, 65 bad data, 66 no database or ledger,\n"
	"73 database not writable, 74 I/O error or disk full, 75 database busy:\n"
	"retry, 78 bad policy or control mapping.\n";

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

	printf("ledger %s, period %s (%s .. %s), as of %s\n", rb_json_str(d, "ledger"),
	       rb_json_str(d, "period"), rb_json_str(d, "start"), rb_json_str(d, "end"),
	       rb_json_str(d, "as_of"));
	printf("  %-22s %.0f of %.0f deployments", "rollbacks executed",
	       num(d, "rollbacks_executed"), num(d, "deployments"));
	if (cJSON_IsNumber(rate))
		printf(" (rate %.1f%%)", 100 * rate->valuedouble);
	printf("\n");
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

static int flag_rollback(void *ctx, const cJSON *it, struct rb_err *e)
{
	struct flagged *fl = ctx;
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "findings"), *x;

	if (!rb_flagged(rb_json_str(it, "level"), cJSON_GetArraySize(f)))
		return 0;
	if (fl->n++ == 0)
		fprintf(fl->f, "rollbacks with findings or a high score:\n");
	fprintf(fl->f, "  %-10s %-12s %-10s score %3.0f %-8s", rb_json_str(it, "rollback_id"),
		rb_json_str(it, "service") ? rb_json_str(it, "service") : "?",
		rb_json_str(it, "environment") ? rb_json_str(it, "environment") : "?",
		num(it, "score"), rb_json_str(it, "level"));
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

int cmd_analyze(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "policy", required_argument, NULL, 'P' },
		{ "trend", required_argument, NULL, 't' },
		{ "sample", required_argument, NULL, 's' },
		{ "sample-seed", required_argument, NULL, 'S' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "controls", required_argument, NULL, 'c' },
		{ "no-store", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "busy-timeout", required_argument, NULL, 'B' },
		{ "keys", required_argument, NULL, 'k' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rb_analyze_opts ao;
	struct rb_policy pol;
	const char *policy_path = NULL, *store = NULL;
	cJSON *doc = NULL, *tdoc = NULL;
	rb_trust *trust = NULL;
	struct flagged fl = { NULL, 0 };
	char *flagged = NULL;
	size_t flagged_len = 0;
	int c, rc, json = 0, have_seed = 0, jobs = 0, untrusted = 0;
	char *end;
	long long v;
	long secs;

	memset(&ao, 0, sizeof(ao));
	ao.period = "last-month";
	ao.trend = 6;
	ao.store = 1;
	ao.busy_ms = 10000;
	ao.now = (int64_t)time(NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': ao.db_path = optarg; break;
		case 'p': ao.period = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'l': ao.ledger = optarg; break;
		case 'c': ao.controls = optarg; break;
		case 'n': ao.store = 0; break;
		case 'j': json = 1; break;
		case 'k': store = optarg; break;
		case 'J':
			if (cli_jobs(optarg, &jobs, e) != 0)
				return -1;
			break;
		case 'B':
			if (cli_seconds("analyze", "--busy-timeout", optarg, &secs, e) != 0)
				return -1;
			ao.busy_ms = (int)secs * 1000;
			break;
		case 't':
		case 's':
		case 'S': {
			long long max = c == 'S' ? RB_JSON_MAX_INT : c == 't' ? 120 : 100000;

			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 || v < 0 || v > max)
				return cli_usage(e, "analyze", "--%s takes a whole number from 0 to "
						 "%lld, not '%.40s'", c == 't' ? "trend" :
						 c == 's' ? "sample" : "sample-seed", max, optarg);
			if (c == 't')
				ao.trend = (int)v;
			else if (c == 's')
				ao.sample = (int)v;
			else {
				ao.sample_seed = (uint64_t)v;
				have_seed = 1;
			}
			break;
		}
		case 'h': fputs(analyze_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "analyze", opts, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage(e, "analyze", "unexpected argument '%s'", argv[optind]);
	if (ao.db_path == NULL)
		return cli_usage(e, "analyze", "--db FILE is required");
	if (have_seed && ao.sample == 0)
		return cli_usage(e, "analyze", "--sample-seed goes with --sample N");
	if (store != NULL && !ao.store)
		return cli_usage(e, "analyze", "--keys records a re-check: not with --no-store");
	rb_policy_default(&pol);
	if (policy_path != NULL && rb_policy_load(policy_path, &pol, e) != 0)
		return -1;
	ao.policy = &pol;
	if (store != NULL && recheck(&ao, store, jobs, json, &trust, &tdoc, &untrusted, e) != 0)
		return -1;
	ao.trust = trust;
	if (json) {
		ao.keep_rollbacks = 1;
	} else {
		fl.f = open_memstream(&flagged, &flagged_len);
		if (fl.f == NULL) {
			rb_trust_free(trust);
			cJSON_Delete(tdoc);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		ao.on_rollback = flag_rollback;
		ao.rollback_ctx = &fl;
	}
	rc = rb_analyze(&ao, &doc, e);
	rb_trust_free(trust);
	if (fl.f != NULL)
		fclose(fl.f);
	if (rc != 0) {
		free(flagged);
		cJSON_Delete(tdoc);
		return -1;
	}
	if (json) {
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
