/* cmd_check.c - rbaudit check: the stored history verified again. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "ingest/check.h"
#include "lib/trust.h"

static const char check_usage[] =
	"usage: rbaudit check --db FILE --keys KEYS.json [--jobs N] [--json]\n"
	"                     [--busy-timeout SECONDS]\n"
	"\n"
	"Verify everything the database holds again, offline, against the trust store\n"
	"as it is now: every stored entry's payload and signatures (role, validity and\n"
	"revocation at the entry's time), seq, hash chain and tree; the leaf hash and\n"
	"every column the analysis reads against the signed payload (E_STORED); each\n"
	"ingested export's root and checkpoint, and the ledger's size, root and\n"
	"checkpoint.  One line per failure (code, ledger, seq, the rollbacks it\n"
	"concerns), then a summary per ledger.  The database is only read.\n"
	"\n"
	"  --db FILE               the database\n"
	"  --keys KEYS.json        the trust store to check against\n"
	"  --jobs N                threads checking signatures (default: all CPUs)\n"
	"  --json                  a JSON document on standard output\n"
	"  --busy-timeout SECONDS  wait for a writer (default 10)\n"
	"\n"
	"Exit status: 0 everything verifies (warnings allowed); 1 a failure found;\n"
	"64 usage; 65 a malformed trust store; 66 no database or trust store;\n"
	"75 the database is busy.\n";

static void progress(void *ctx, uint64_t entries, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	fprintf(stderr, "\r\033[Kcheck: %" PRIu64 " entries", entries);
}

static void print_finding(const char *ledger, const struct rb_finding *f, const char *rbs)
{
	printf("%s ledger %s", f->code, ledger);
	if (f->seq >= 0)
		printf(" seq %" PRId64, f->seq);
	if (rbs != NULL && rbs[0] != '\0')
		printf(" (rollbacks %s)", rbs);
	printf(": %s\n", f->msg);
}

static void print_text(const rb_check *c, const char *store)
{
	size_t l, i;

	for (l = 0; l < rb_check_nledgers(c); l++) {
		const rb_vreport *r = rb_check_report(c, l);
		const char *ledger = rb_vreport_ledger(r);

		for (i = 0; i < rb_vreport_nerrors(r); i++)
			print_finding(ledger, rb_vreport_error(r, i), rb_check_rollbacks(c, l, i));
		if (rb_vreport_errors_total(r) > rb_vreport_nerrors(r))
			printf("... and %" PRIu64 " more errors\n",
			       rb_vreport_errors_total(r) - rb_vreport_nerrors(r));
		for (i = 0; i < rb_vreport_nwarnings(r); i++)
			print_finding(ledger, rb_vreport_warning(r, i), NULL);
		if (rb_vreport_warnings_total(r) > rb_vreport_nwarnings(r))
			printf("... and %" PRIu64 " more warnings\n",
			       rb_vreport_warnings_total(r) - rb_vreport_nwarnings(r));
		printf("%s: %s, %" PRIu64 " entries (seq %" PRId64 "..%" PRId64 ") checked "
		       "against %s: %" PRIu64 " errors, %" PRIu64 " warnings\n", ledger,
		       rb_vreport_valid(r) ? "VALID" : "INVALID", rb_vreport_entries(r),
		       rb_vreport_first_seq(r), rb_vreport_last_seq(r), store,
		       rb_vreport_errors_total(r), rb_vreport_warnings_total(r));
	}
	if (rb_check_nledgers(c) == 0)
		printf("the database holds no ledger: nothing to check\n");
}

static int print_json(const rb_check *c, struct rb_err *e)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "ledgers");
	size_t l, i;
	char *s;

	for (l = 0; l < rb_check_nledgers(c); l++) {
		const rb_vreport *r = rb_check_report(c, l);
		cJSON *o = cJSON_CreateObject(), *errs = rb_vreport_findings_json(r, 0), *x;

		cJSON_AddStringToObject(o, "ledger", rb_vreport_ledger(r));
		cJSON_AddBoolToObject(o, "valid", rb_vreport_valid(r));
		cJSON_AddNumberToObject(o, "entries", (double)rb_vreport_entries(r));
		cJSON_AddNumberToObject(o, "first_seq", (double)rb_vreport_first_seq(r));
		cJSON_AddNumberToObject(o, "last_seq", (double)rb_vreport_last_seq(r));
		cJSON_AddNumberToObject(o, "errors_total", (double)rb_vreport_errors_total(r));
		cJSON_AddNumberToObject(o, "warnings_total", (double)rb_vreport_warnings_total(r));
		i = 0;
		cJSON_ArrayForEach(x, errs)
			cJSON_AddStringToObject(x, "rollbacks", rb_check_rollbacks(c, l, i++));
		cJSON_AddItemToObject(o, "errors", errs);
		cJSON_AddItemToObject(o, "warnings", rb_vreport_findings_json(r, 1));
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddBoolToObject(doc, "valid", rb_check_valid(c));
	s = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (s == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	printf("%s\n", s);
	cJSON_free(s);
	return 0;
}

int cmd_check(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'k' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "busy-timeout", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rb_check_opts co;
	const char *store = NULL;
	rb_trust *t = NULL;
	rb_check *c = NULL;
	int ch, json = 0, rc = -1;
	long v;

	memset(&co, 0, sizeof(co));
	co.busy_ms = 10000;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': co.db_path = optarg; break;
		case 'k': store = optarg; break;
		case 'j':
			if (cli_jobs(optarg, &co.jobs, e) != 0)
				return -1;
			break;
		case 'J': json = 1; break;
		case 'b':
			if (cli_seconds("check", "--busy-timeout", optarg, &v, e) != 0)
				return -1;
			co.busy_ms = (int)v * 1000;
			break;
		case 'h': fputs(check_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "check", opts, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage(e, "check", "unexpected argument '%s'", argv[optind]);
	if (co.db_path == NULL || store == NULL)
		return cli_usage(e, "check", "--db and --keys are required");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	co.trust = t;
	if (!json && cli_progress_wanted())
		co.progress = progress;
	if (rb_check_run(&co, &c, e) != 0)
		goto out;
	if (co.progress != NULL)
		fprintf(stderr, "\r\033[K");
	if (json ? print_json(c, e) != 0 : (print_text(c, store), 0))
		goto out;
	rc = rb_check_valid(c) ? RB_EX_OK : RB_EX_FAIL;
out:
	rb_check_free(c);
	rb_trust_free(t);
	return rc;
}
