/* cmd_check.c - rbaudit check: the stored history verified again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "ingest/check.h"
#include "lib/ident.h"
#include "lib/trust.h"

static const char check_synopsis[] =
	"usage: rbaudit check --db FILE --keys KEYS.json [--jobs N] [--json]\n"
	"                     [--busy-timeout SECONDS]\n";

static const char check_about[] =
	"Verify everything the database holds again, offline, against the trust store\n"
	"as it is now: every stored entry's payload and signatures (role, validity and\n"
	"revocation at the entry's time), seq, hash chain and tree; the leaf hash and\n"
	"every column the analysis reads against the signed payload (E_STORED); each\n"
	"ingested export's root and checkpoint, and the ledger's size, root and\n"
	"checkpoint.  One line per failure (code, ledger, seq, the rollbacks it\n"
	"concerns), then a summary per ledger.  The database is only read.\n";

static const char check_tail[] =
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
			printf("... and %" PRIu64 " more %s\n",
			       rb_vreport_errors_total(r) - rb_vreport_nerrors(r),
			       rb_plural((long long)(rb_vreport_errors_total(r) - rb_vreport_nerrors(r)),
					 "error", "errors"));
		for (i = 0; i < rb_vreport_nwarnings(r); i++)
			print_finding(ledger, rb_vreport_warning(r, i), NULL);
		if (rb_vreport_warnings_total(r) > rb_vreport_nwarnings(r))
			printf("... and %" PRIu64 " more %s\n",
			       rb_vreport_warnings_total(r) - rb_vreport_nwarnings(r),
			       rb_plural((long long)(rb_vreport_warnings_total(r) -
						     rb_vreport_nwarnings(r)), "warning", "warnings"));
		printf("%s: %s, %" PRIu64 " %s (seq %" PRId64 "..%" PRId64 ") checked "
		       "against %s: %" PRIu64 " %s, %" PRIu64 " %s\n", ledger,
		       rb_vreport_valid(r) ? "VALID" : "INVALID", rb_vreport_entries(r),
		       rb_plural((long long)rb_vreport_entries(r), "entry", "entries"),
		       rb_vreport_first_seq(r), rb_vreport_last_seq(r), store,
		       rb_vreport_errors_total(r),
		       rb_plural((long long)rb_vreport_errors_total(r), "error", "errors"),
		       rb_vreport_warnings_total(r),
		       rb_plural((long long)rb_vreport_warnings_total(r), "warning", "warnings"));
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
	struct rb_check_opts co;
	const char *store = NULL;
	rb_trust *t = NULL;
	rb_check *c = NULL;
	int json = 0, rc = -1, argi;
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &co.db_path, "FILE", "the database", 0, 0, NULL },
		{ "keys", CLI_STR, &store, "KEYS.json", "the trust store to check against",
		  0, 0, NULL },
		{ "jobs", CLI_INT, &co.jobs, "N", "threads checking signatures (default: all CPUs)",
		  1, 256, NULL },
		{ "json", CLI_FLAG, &json, NULL, "a JSON document on standard output", 0, 0, NULL },
		{ "busy-timeout", CLI_SECONDS, &co.busy_ms, "SECONDS",
		  "wait for a writer (default 10)", 0, 86400, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "check", check_synopsis, check_about, opts, check_tail, 0 };

	memset(&co, 0, sizeof(co));
	co.busy_ms = 10000;
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	rc = -1;
	if (argi != argc)
		return cli_usage(e, "check", "unexpected argument '%s'", argv[argi]);
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
