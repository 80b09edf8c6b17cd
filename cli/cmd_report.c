/* cmd_report.c - rbaudit report and rbaudit verify-report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/analyze.h"
#include "analyze/policy.h"
#include "cli.h"
#include "opt.h"
#include "lib/ident.h"
#include "lib/crypto.h"
#include "lib/trust.h"
#include "report/report.h"

static const char report_synopsis[] =
	"usage: rbaudit report --db FILE --period P --template NAME|FILE [--template ...]\n"
	"                      --out DIR [--policy FILE] [--ledger ORIGIN]\n"
	"                      [--sign KEY.pem [--sign-name NAME]] [--keys KEYS.json]\n"
	"                      [--allow-unsigned] [--busy-timeout SECONDS]\n"
	"                      [--tz ZONE] [--fiscal-start MONTH]\n";

static const char report_about[] =
	"Render reports from the analysis that 'rbaudit analyze' stored for the period\n"
	"(and policy): PDF packs, XLSX workbooks, JSON, CSV, OpenMetrics, HTML.\n"
	"Built-in templates: governance-monthly (PDF), auditor-pack (PDF),\n"
	"engineering-metrics (XLSX), analysis-json (JSON), rollbacks-csv and\n"
	"findings-csv (CSV), openmetrics (Prometheus text, for node_exporter's\n"
	"textfile collector), governance-html (one self-contained HTML file).\n"
	"DIR/MANIFEST lists every file with its SHA-256; with\n"
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
	"again and must be equal, or nothing is written.\n";

static const char report_tail[] =
	"Exit status: 0 written; 1 the stored history or analysis does not verify;\n"
	"64 usage; 65 a malformed key; 66 a missing input, or an analysis older than\n"
	"the entries stored since (analyze again);\n"
	"73 DIR cannot be written or replaced; 75 the database or DIR is busy;\n"
	"78 a bad template, or a report key readable by others or not trusted.\n";

static const char verify_report_synopsis[] =
	"usage: rbaudit verify-report DIR --keys KEYS.json\n";

static const char verify_report_about[] =
	"Check a report folder: MANIFEST is signed by a trusted key with role\n"
	"\"report\" that was valid and not revoked at the signing time the MANIFEST\n"
	"carries (revoked later: VALID with a warning, W_KEY_REVOKED_LATER), and every\n"
	"file's SHA-256 matches, none missing, nothing under the folder unlisted;\n"
	"and every proofs/ID/seq-N.tlog-proof verifies (rbaudit verify-proof) against\n"
	"the ledger's tree the reports were made from, for the seq its name says.\n";

static const char verify_report_tail[] =
	"Exit status: 0 all good, 1 a problem found, 64 usage, 65 a malformed trust\n"
	"store, 66 no MANIFEST or trust store.\n";

/* What the command line asks of report. */
struct report_args {
	struct rb_report_opts ro;
	struct rb_period_cal cal;       /* --tz, --fiscal-start: as the analysis */
	struct cli_strs templates;
	const char *policy, *store;
};

static int report_args(int argc, char **argv, struct report_args *a, struct rb_err *e)
{
	struct rb_report_opts *ro = &a->ro;
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &ro->db_path, "FILE", "the database", 0, 0, NULL },
		{ "period", CLI_STR, &ro->period, "P", "the analysed period (default last-month)",
		  0, 0, NULL },
		{ "tz", CLI_TZ, &a->cal, "ZONE", "the time zone the period was analysed in\n"
		  "(default UTC)", 0, 0, NULL },
		{ "fiscal-start", CLI_INT, &a->cal.fy_first_month, "MONTH",
		  "the fiscal year's first month it was analysed\nwith (default 1)", 1, 12, NULL },
		{ "template", CLI_STRS, &a->templates, "NAME|FILE",
		  "a built-in template or a template file;\nrepeat for more", 0, 0, NULL },
		{ "out", CLI_STR, &ro->out_dir, "DIR", "the report folder", 0, 0, NULL },
		{ "policy", CLI_STR, &a->policy, "FILE", "the policy the analysis used", 0, 0, NULL },
		{ "ledger", CLI_STR, &ro->ledger, "ORIGIN",
		  "the ledger, when the database holds several", 0, 0, NULL },
		{ "sign", CLI_STR, &ro->sign_key, "KEY.pem", "sign the MANIFEST with this key",
		  0, 0, NULL },
		{ "sign-name", CLI_STR, &ro->sign_name, "NAME",
		  "the signing key's name (default: from the file)", 0, 0, NULL },
		{ "keys", CLI_STR, &a->store, "KEYS.json", "the trust store as it is now", 0, 0,
		  NULL },
		{ "allow-unsigned", CLI_FLAG, &ro->allow_unsigned, NULL,
		  "replace a signed folder with an unsigned report", 0, 0, NULL },
		{ "busy-timeout", CLI_SECONDS, &ro->busy_ms, "SECS",
		  "wait this long for a writer to finish (default 10)", 0, 86400, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "report", report_synopsis, report_about, opts,
				     report_tail, 0 };
	int argi, rc;

	memset(a, 0, sizeof(*a));
	ro->period = "last-month";
	ro->now = (long long)time(NULL);
	ro->busy_ms = 10000;
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc;
	ro->cal = &a->cal;
	ro->templates = a->templates.v;
	ro->ntemplates = a->templates.n;
	if (argi != argc)
		return cli_usage(e, "report", "unexpected argument '%s'", argv[argi]);
	if (ro->db_path == NULL || ro->out_dir == NULL || ro->ntemplates == 0)
		return cli_usage(e, "report", "--db, --template and --out are required");
	return 0;
}

int cmd_report(int argc, char **argv, struct rb_err *e)
{
	struct report_args a;
	struct rb_report_opts *ro = &a.ro;
	struct rb_report_result res;
	struct rb_rederive rd;
	uint8_t digest[RB_SHA256_LEN];
	char trust_hex[2 * RB_SHA256_LEN + 1];
	long long size;
	struct rb_policy pol;
	rb_trust *trust = NULL;
	char hash[65];
	size_t i;
	int rc;

	if ((rc = report_args(argc, argv, &a, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	rb_policy_default(&pol);
	if (a.policy != NULL && rb_policy_load(a.policy, &pol, e) != 0)
		return -1;
	if (rb_policy_hash(&pol, hash) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	ro->policy_sha256 = hash;
	if (a.store != NULL && (rb_trust_load(a.store, &trust, e) != 0 ||
				rb_sha256_file(a.store, digest, &size, e) != 0)) {
		rb_trust_free(trust);
		return -1;
	}
	if (a.store != NULL) {
		rb_hex_encode(digest, sizeof(digest), trust_hex);
		ro->trust_sha256 = trust_hex;
	}
	ro->trust = trust;
	rd.db_path = ro->db_path;
	rd.trust = trust;
	rd.busy_ms = ro->busy_ms;
	ro->rederive = rb_analyze_rederive_cb;
	ro->rederive_ctx = &rd;
	ro->templates_dir = getenv("RBAUDIT_TEMPLATES");
	ro->font_dir = getenv("RBAUDIT_FONT_DIR");
	rc = rb_report(ro, &res, e);
	rb_trust_free(trust);
	if (rc != 0 && res.refused_unsigned) {
		char m[sizeof(e->msg)];

		/* The library says what is refused; the command says which option allows it. */
		snprintf(m, sizeof(m), "%s", e->msg);
		RB_ERR(e, e->code, "%.440s: --allow-unsigned, or --sign KEY.pem", m);
	}
	if (rc != 0)
		return -1;
	if (res.truncated_cells > 0)
		fprintf(stderr, "rbaudit: warning: %lld %s too long for a workbook cell "
			"(the longest %lld characters) and cut with a marker; the JSON "
			"report holds %s whole\n", res.truncated_cells,
			rb_plural(res.truncated_cells, "text was", "texts were"),
			res.truncated_chars, rb_plural(res.truncated_cells, "it", "them"));
	for (i = 0; i < res.nfiles; i++)
		printf("wrote %s/%s\n", ro->out_dir, res.files[i]);
	printf("wrote %s/MANIFEST (%s)\n", ro->out_dir,
	       res.signed_manifest ? "signed" : "unsigned: use --sign KEY.pem to sign it");
	return RB_EX_OK;
}

int cmd_verify_report(int argc, char **argv, struct rb_err *e)
{
	const char *store = NULL;
	char why[8192], signer[RB_KEYNAME_MAX + 1];
	rb_trust *t = NULL;
	int ok = 0, rc, argi, proofs = 0;
	const struct cli_opt opts[] = {
		{ "keys", CLI_STR, &store, "KEYS.json", "the trust store", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "verify-report", verify_report_synopsis,
				     verify_report_about, opts, verify_report_tail, 0 };

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (store == NULL || argi + 1 != argc)
		return cli_usage(e, "verify-report", "give one DIR and --keys KEYS.json");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	rc = rb_report_verify(argv[argi], t, &ok, why, sizeof(why), signer, sizeof(signer),
			      &proofs, e);
	rb_trust_free(t);
	if (rc != 0)
		return -1;
	fputs(why, stdout);     /* the problems, or the warnings of a valid folder */
	if (ok) {
		printf("%s: VALID, MANIFEST signed by '%s', every file matches", argv[argi], signer);
		if (proofs > 0)
			printf(", %d tlog-%s verify", proofs, proofs == 1 ? "proof" : "proofs");
		printf("\n");
		return RB_EX_OK;
	}
	printf("%s: INVALID\n", argv[argi]);
	return RB_EX_FAIL;
}
