/* cmd_report.c - rbaudit report and rbaudit verify-report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/analyze.h"
#include "analyze/policy.h"
#include "cli.h"
#include "lib/crypto.h"
#include "lib/trust.h"
#include "report/report.h"

static const char report_usage[] =
	"usage: rbaudit report --db FILE --period P --template NAME|FILE [--template ...]\n"
	"                      --out DIR [--policy FILE] [--ledger ORIGIN]\n"
	"                      [--sign KEY.pem [--sign-name NAME]] [--keys KEYS.json]\n"
	"                      [--allow-unsigned]\n"
	"\n"
	"Render reports from the analysis that 'rbaudit analyze' stored for the period\n"
	"(and policy): PDF packs, XLSX workbooks, JSON.  Built-in templates:\n"
	"governance-monthly (PDF), auditor-pack (PDF), engineering-metrics (XLSX),\n"
	"analysis-json (JSON).  DIR/MANIFEST lists every file with its SHA-256; with\n"
	"--sign it is a C2SP signed note by a key with role \"report\", which\n"
	"'rbaudit verify-report' checks.  Files are written 0640; the same data and\n"
	"template give byte-identical files.\n"
	"\n"
	"DIR changes all at once or not at all: every file is written into a new\n"
	"folder beside it, which then replaces DIR whole; a failure leaves DIR as it\n"
	"was.  DIR must be new, empty, or a report folder rbaudit wrote (every file in\n"
	"it listed in its MANIFEST); a signed folder is replaced by an unsigned report\n"
	"only with --allow-unsigned.  With --keys, the attestation's key table is the\n"
	"trust store's as it is (roles, validity, revocation; keys that signed stored\n"
	"entries and left it are marked), and the --sign key must be in it under its\n"
	"name with role \"report\"; without, the keys as ingest recorded them.  The\n"
	"entries that no longer verify are those the last re-check recorded (ingest,\n"
	"analyze --keys, run).  A text too long for a workbook\n"
	"cell is cut with a visible marker and counted in a warning.\n"
	"\n"
	"The stored history is proved first (payloads, leaves, the signed checkpoint,\n"
	"under --keys when given, the columns), and the stored analysis is computed\n"
	"again and must be equal, or nothing is written.\n"
	"Exit status: 0 written; 1 the stored history or analysis does not verify;\n"
	"64 usage; 65 a malformed key; 66 a missing input, or an analysis older than\n"
	"the entries stored since (analyze again);\n"
	"73 DIR cannot be written or replaced; 75 the database or DIR is busy;\n"
	"78 a bad template, or a report key readable by others or not trusted.\n";

static const char verify_report_usage[] =
	"usage: rbaudit verify-report DIR --keys KEYS.json\n"
	"\n"
	"Check a report folder: MANIFEST is signed by a trusted key with role\n"
	"\"report\" that was valid and not revoked at the signing time the MANIFEST\n"
	"carries (revoked later: VALID with a warning, W_KEY_REVOKED_LATER), and every\n"
	"file's SHA-256 matches, none missing, nothing under the folder unlisted.\n"
	"Exit status: 0 all good, 1 a problem found, 66 no MANIFEST.\n";

int cmd_report(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "template", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "sign", required_argument, NULL, 's' },
		{ "sign-name", required_argument, NULL, 'n' },
		{ "keys", required_argument, NULL, 'k' },
		{ "allow-unsigned", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rb_report_opts ro;
	struct rb_report_result res;
	struct rb_rederive rd;
	uint8_t digest[RB_SHA256_LEN];
	char trust_hex[2 * RB_SHA256_LEN + 1];
	long long size;
	struct rb_policy pol;
	const char *templates[16], *policy = NULL, *store = NULL;
	rb_trust *trust = NULL;
	char hash[65];
	size_t i;
	int c, rc;

	memset(&ro, 0, sizeof(ro));
	ro.period = "last-month";
	ro.now = (long long)time(NULL);
	ro.busy_ms = 10000;
	ro.templates = templates;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': ro.db_path = optarg; break;
		case 'p': ro.period = optarg; break;
		case 't':
			if (ro.ntemplates == 16)
				return cli_usage(e, "report", "at most 16 --template");
			templates[ro.ntemplates++] = optarg;
			break;
		case 'o': ro.out_dir = optarg; break;
		case 'P': policy = optarg; break;
		case 'l': ro.ledger = optarg; break;
		case 's': ro.sign_key = optarg; break;
		case 'n': ro.sign_name = optarg; break;
		case 'k': store = optarg; break;
		case 'u': ro.allow_unsigned = 1; break;
		case 'h': fputs(report_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "report", opts, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage(e, "report", "unexpected argument '%s'", argv[optind]);
	if (ro.db_path == NULL || ro.out_dir == NULL || ro.ntemplates == 0)
		return cli_usage(e, "report", "--db, --template and --out are required");
	rb_policy_default(&pol);
	if (policy != NULL && rb_policy_load(policy, &pol, e) != 0)
		return -1;
	if (rb_policy_hash(&pol, hash) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	ro.policy_sha256 = hash;
	if (store != NULL && (rb_trust_load(store, &trust, e) != 0 ||
			      rb_sha256_file(store, digest, &size, e) != 0)) {
		rb_trust_free(trust);
		return -1;
	}
	if (store != NULL) {
		rb_hex_encode(digest, sizeof(digest), trust_hex);
		ro.trust_sha256 = trust_hex;
	}
	ro.trust = trust;
	rd.db_path = ro.db_path;
	rd.trust = trust;
	rd.busy_ms = ro.busy_ms;
	ro.rederive = rb_analyze_rederive_cb;
	ro.rederive_ctx = &rd;
	rc = rb_report(&ro, &res, e);
	rb_trust_free(trust);
	if (rc != 0)
		return -1;
	if (res.truncated_cells > 0)
		fprintf(stderr, "rbaudit: warning: %lld texts were too long for a workbook cell "
			"(the longest %lld characters) and were cut with a marker; the JSON "
			"report holds them whole\n", res.truncated_cells, res.truncated_chars);
	for (i = 0; i < res.nfiles; i++)
		printf("wrote %s/%s\n", ro.out_dir, res.files[i]);
	printf("wrote %s/MANIFEST (%s)\n", ro.out_dir,
	       res.signed_manifest ? "signed" : "unsigned: use --sign KEY.pem to sign it");
	return RB_EX_OK;
}

int cmd_verify_report(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *store = NULL;
	char why[8192], signer[RB_KEYNAME_MAX + 1];
	rb_trust *t = NULL;
	int c, ok = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': store = optarg; break;
		case 'h': fputs(verify_report_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "verify-report", opts, argc, argv);
		}
	}
	if (store == NULL || optind + 1 != argc)
		return cli_usage(e, "verify-report", "give one DIR and --keys KEYS.json");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	rc = rb_report_verify(argv[optind], t, &ok, why, sizeof(why), signer, sizeof(signer), e);
	rb_trust_free(t);
	if (rc != 0)
		return -1;
	fputs(why, stdout);     /* the problems, or the warnings of a valid folder */
	if (ok) {
		printf("%s: VALID, MANIFEST signed by '%s', every file matches\n", argv[optind],
		       signer);
		return RB_EX_OK;
	}
	printf("%s: INVALID\n", argv[optind]);
	return RB_EX_FAIL;
}
