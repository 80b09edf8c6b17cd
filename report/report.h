/*
 * report.h - reports from a stored analysis: PDF packs (libharu), XLSX
 * workbooks (libxlsxwriter) and JSON, chosen by templates, with a MANIFEST
 * of SHA-256 digests that can be signed as a C2SP note.
 *
 * The report stage reads the database only: the analysis that
 * `rbaudit analyze` stored, and the ledger's verified state for the
 * attestation.  The same database, period and template give byte-identical
 * files (times come from the data, never from the clock).
 */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include <stddef.h>

#include "lib/err.h"
#include "lib/trust.h"

struct rb_report_opts {
	const char *db_path;
	const char *ledger;             /* NULL: the database's only ledger */
	const char *period;             /* as for analyze */
	long long now;                  /* Unix seconds, for last-month */
	const char *policy_sha256;      /* the analysis's policy (hex) */
	const char **templates;         /* names or files */
	size_t ntemplates;
	const char *out_dir;
	const char *sign_key;           /* PEM of a key with role report, or NULL */
	const char *sign_name;          /* its name; NULL: the file name */
	int busy_ms;
};

/* The files written (names inside out_dir), for the caller to print. */
struct rb_report_result {
	char files[16][256];
	size_t nfiles;
	int signed_manifest;
};

int rb_report(const struct rb_report_opts *o, struct rb_report_result *res,
	      struct rb_err *e);

/*
 * Check DIR/MANIFEST: every listed file's digest, no file missing or extra,
 * and (when it is signed) its signature by a trusted key with role report.
 * Returns 0 with *ok set (1 all good) and problems listed in why (one per
 * line), or -1 when the directory cannot be read.
 */
int rb_report_verify(const char *dir, const rb_trust *t, int *ok, char *why,
		     size_t whylen, char *signer, size_t signerlen, struct rb_err *e);

#endif
