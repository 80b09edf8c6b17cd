/* cmd_verify.c - rbaudit verify: check ledger exports offline. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "ingest/verify.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/crypto.h"
#include "lib/trust.h"

static const char verify_synopsis[] =
	"usage: rbaudit verify --keys KEYS.json [--json] [--jobs N] EXPORT_DIR...\n";

static const char verify_about[] =
	"Verify ledger exports with nothing but the export and the trust store:\n"
	"every entry's DSSE signature, payload, seq and hash chain, the Merkle root,\n"
	"the checkpoint and the previous checkpoint (ledger-export-v1), and the\n"
	"checkpoint's cosignatures by the trust store's witnesses, with its witness\n"
	"policy.  Prints one line per failure (code, seq, line, reason) and a\n"
	"summary per export, naming the witnesses that cosigned.\n";

static const char verify_tail[] =
	"Exit status: 0 every export valid (warnings allowed), 1 an export has an\n"
	"E_ code, 64 usage, 65 malformed trust store, 66 trust store missing.\n";

static void progress(void *ctx, uint64_t entries, uint64_t bytes)
{
	(void)bytes;
	fprintf(stderr, "\rverifying %s: %" PRIu64 " entries", (const char *)ctx, entries);
}

static cJSON *report_json(const rb_vreport *r)
{
	cJSON *o = cJSON_CreateObject(), *keys, *wit;
	const char *ledger = rb_vreport_ledger(r);
	uint8_t root[32];
	char b64[48];
	size_t i;

	cJSON_AddStringToObject(o, "path", rb_vreport_path(r));
	if (ledger != NULL)
		cJSON_AddStringToObject(o, "ledger", ledger);
	else
		cJSON_AddNullToObject(o, "ledger");
	if (rb_vreport_first_seq(r) >= 0) {
		cJSON_AddNumberToObject(o, "first_seq", (double)rb_vreport_first_seq(r));
		cJSON_AddNumberToObject(o, "last_seq", (double)rb_vreport_last_seq(r));
	} else {
		cJSON_AddNullToObject(o, "first_seq");
		cJSON_AddNullToObject(o, "last_seq");
	}
	cJSON_AddBoolToObject(o, "valid", rb_vreport_valid(r));
	cJSON_AddNumberToObject(o, "entries", (double)rb_vreport_entries(r));
	rb_merkle_root(rb_vreport_after(r), root);
	rb_b64_encode(root, 32, b64);
	cJSON_AddStringToObject(o, "root", b64);
	keys = cJSON_AddArrayToObject(o, "entry_keys");
	for (i = 0; i < rb_vreport_nsigners(r); i++)
		cJSON_AddItemToArray(keys, cJSON_CreateString(rb_vreport_signer(r, i)));
	if (rb_vreport_checkpoint_key(r) != NULL)
		cJSON_AddStringToObject(o, "checkpoint_key", rb_vreport_checkpoint_key(r));
	else
		cJSON_AddNullToObject(o, "checkpoint_key");
	wit = rb_vreport_witnesses_json(r) != NULL ? cJSON_Parse(rb_vreport_witnesses_json(r)) :
							  NULL;
	cJSON_AddItemToObject(o, "witnesses", wit != NULL ? wit : cJSON_CreateArray());
	cJSON_AddNumberToObject(o, "countersigned", (double)rb_vreport_countersigned(r));
	cJSON_AddItemToObject(o, "errors", rb_vreport_findings_json(r, 0));
	cJSON_AddItemToObject(o, "warnings", rb_vreport_findings_json(r, 1));
	cJSON_AddNumberToObject(o, "errors_total", (double)rb_vreport_errors_total(r));
	cJSON_AddNumberToObject(o, "warnings_total", (double)rb_vreport_warnings_total(r));
	return o;
}

static void print_finding(const struct rb_finding *f)
{
	printf("%s", f->code);
	if (f->seq >= 0)
		printf(" seq %" PRId64, f->seq);
	if (f->line >= 0)
		printf(" line %lld", f->line);
	printf(": %s\n", f->msg);
}

/* The witnesses that cosigned the checkpoint validly, "NAME (TIME), ...", or "-". */
static void print_witnesses(const rb_vreport *r)
{
	const char *js = rb_vreport_witnesses_json(r);
	cJSON *arr = js != NULL ? cJSON_Parse(js) : NULL;
	const cJSON *x;
	int n = 0;

	printf("  witnesses       ");
	cJSON_ArrayForEach(x, arr)
		printf("%s%s (%s)", n++ ? ", " : "", rb_json_str(x, "name"), rb_json_str(x, "time"));
	printf("%s\n", n ? "" : "-");
	cJSON_Delete(arr);
}

static void report_text(const rb_vreport *r)
{
	uint8_t root[32];
	char b64[48];
	size_t i;

	for (i = 0; i < rb_vreport_nerrors(r); i++)
		print_finding(rb_vreport_error(r, i));
	if (rb_vreport_errors_total(r) > rb_vreport_nerrors(r))
		printf("... and %" PRIu64 " more %s\n",
		       rb_vreport_errors_total(r) - rb_vreport_nerrors(r),
		       rb_plural((long long)(rb_vreport_errors_total(r) - rb_vreport_nerrors(r)),
				 "error", "errors"));
	for (i = 0; i < rb_vreport_nwarnings(r); i++)
		print_finding(rb_vreport_warning(r, i));
	if (rb_vreport_warnings_total(r) > rb_vreport_nwarnings(r))
		printf("... and %" PRIu64 " more %s\n",
		       rb_vreport_warnings_total(r) - rb_vreport_nwarnings(r),
		       rb_plural((long long)(rb_vreport_warnings_total(r) - rb_vreport_nwarnings(r)),
				 "warning", "warnings"));
	rb_merkle_root(rb_vreport_after(r), root);
	rb_b64_encode(root, 32, b64);
	printf("%s: %s\n", rb_vreport_path(r), rb_vreport_valid(r) ? "VALID" : "INVALID");
	printf("  ledger          %s\n", rb_vreport_ledger(r) ? rb_vreport_ledger(r) : "?");
	if (rb_vreport_first_seq(r) >= 0)
		printf("  range           seq %" PRId64 "..%" PRId64 " (%" PRIu64
		       " %s read)\n", rb_vreport_first_seq(r), rb_vreport_last_seq(r),
		       rb_vreport_entries(r),
		       rb_plural((long long)rb_vreport_entries(r), "entry", "entries"));
	if (rb_vreport_earliest_time(r)[0] != '\0')
		printf("  time            %s .. %s\n", rb_vreport_earliest_time(r),
		       rb_vreport_latest_time(r));
	printf("  root            %s\n", b64);
	printf("  entry keys      ");
	for (i = 0; i < rb_vreport_nsigners(r); i++)
		printf("%s%s", i ? ", " : "", rb_vreport_signer(r, i));
	printf("%s\n", rb_vreport_nsigners(r) ? "" : "-");
	printf("  checkpoint key  %s\n",
	       rb_vreport_checkpoint_key(r) ? rb_vreport_checkpoint_key(r) : "-");
	print_witnesses(r);
	printf("  countersigned   %" PRIu64 " %s\n", rb_vreport_countersigned(r),
	       rb_plural((long long)rb_vreport_countersigned(r), "entry", "entries"));
	printf("  verdict         %" PRIu64 " %s, %" PRIu64 " %s\n", rb_vreport_errors_total(r),
	       rb_plural((long long)rb_vreport_errors_total(r), "error", "errors"),
	       rb_vreport_warnings_total(r),
	       rb_plural((long long)rb_vreport_warnings_total(r), "warning", "warnings"));
}

int cmd_verify(int argc, char **argv, struct rb_err *e)
{
	const char *store = NULL;
	struct rb_verify_opts vo = { 0 };
	rb_trust *t = NULL;
	cJSON *doc = NULL, *arr = NULL;
	int json = 0, rc = -1, all_valid = 1, i, argi;
	const struct cli_opt opts[] = {
		{ "keys", CLI_STR, &store, "KEYS.json", "the trust store", 0, 0, NULL },
		{ "json", CLI_FLAG, &json, NULL, "print {\"exports\":[...]} for machines",
		  0, 0, NULL },
		{ "jobs", CLI_INT, &vo.jobs, "N", "threads checking signatures (default: online "
		  "CPUs)", 1, 256, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "verify", verify_synopsis, verify_about, opts,
				     verify_tail, 0 };

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	rc = -1;
	if (store == NULL)
		return cli_usage(e, "verify", "--keys KEYS.json is required");
	if (argi == argc)
		return cli_usage(e, "verify", "name one EXPORT_DIR at least");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	if (json) {
		doc = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(doc, "exports");
	}
	for (i = argi; i < argc; i++) {
		rb_vreport *r = NULL;

		if (cli_progress_wanted() && !json) {
			vo.progress = progress;
			vo.progress_ctx = argv[i];
		}
		if (rb_verify_export(argv[i], t, &vo, &r, e) != 0)
			goto out;
		if (vo.progress != NULL)
			fprintf(stderr, "\r\033[K");
		all_valid &= rb_vreport_valid(r);
		if (json)
			cJSON_AddItemToArray(arr, report_json(r));
		else
			report_text(r);
		rb_vreport_free(r);
	}
	if (json) {
		char *s = cJSON_Print(doc);

		if (s == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
		printf("%s\n", s);
		cJSON_free(s);
	}
	rc = all_valid ? RB_EX_OK : RB_EX_FAIL;
out:
	cJSON_Delete(doc);
	rb_trust_free(t);
	return rc;
}
