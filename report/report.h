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

struct rb_period_cal;

struct rb_report_opts {
	const char *db_path;
	const char *ledger;             /* NULL: the database's only ledger */
	const char *period;             /* as for analyze */
	long long now;                  /* Unix seconds, for last-month */
	const struct rb_period_cal *cal;        /* time zone, fiscal year; NULL: UTC */
	const char *policy_sha256;      /* the analysis's policy (hex) */
	const char **templates;         /* names or files */
	size_t ntemplates;
	const char *out_dir;
	const char *sign_key;           /* PEM of a key with role report, or NULL */
	const char *sign_name;          /* its name; NULL: the file name */
	const rb_trust *trust;          /* when set, the sign key must be in it with
					 * role report, under its name */
	int allow_unsigned;             /* may replace a signed folder unsigned */
	const char *trust_sha256;       /* hex SHA-256 of trust's file, or NULL: the pack
					 * claims everything verified only when the stored
					 * history was last re-checked against that file */
	int busy_ms;
	const char *templates_dir;      /* looked in first for a template by name; or NULL */
	const char *font_dir;           /* the DejaVu fonts of PDFs; NULL: the built-in folder */
	/*
	 * Prove the stored analysis (its id) equal to a recomputation from the
	 * verified entries (the analyze stage's rb_analyze_rederive, which the
	 * report stage does not include): 0, or -1 with e set.  Required: a
	 * report never renders an analysis it has not re-derived.  It runs on
	 * a thread of its own while the files are rendered, and the folder is
	 * replaced only when it returned 0.
	 */
	int (*rederive)(void *ctx, long long analysis_id, struct rb_err *e);
	void *rederive_ctx;
	const char *supersede_reason;   /* when set and out_dir holds a MANIFEST: the
					 * attestation's "supersedes" names that
					 * MANIFEST's SHA-256 and this reason (the
					 * job's re-renders); NULL: not said, so that
					 * `rbaudit report` stays byte-identical */
};

/* The files written (names inside out_dir), for the caller to print. */
struct rb_report_result {
	char files[16][256];
	size_t nfiles;
	int signed_manifest;
	long long truncated_cells;      /* texts cut to fit a spreadsheet cell */
	long long truncated_chars;      /* the longest such text, in characters */
	char superseded[65];            /* hex SHA-256 of the MANIFEST replaced, as
					 * named in "supersedes"; "" when none */
	int refused_unsigned;           /* on failure: out_dir holds a signed report,
					 * which allow_unsigned or a sign key would
					 * let this one replace */
};

/*
 * Render the templates into o->out_dir, which changes all at once or not at
 * all: everything that can fail (templates, the sign key and its mode, the
 * stored analysis) is checked first, every file is written into a new
 * sibling folder, and that folder then replaces out_dir (the old one is
 * renamed aside, the new one in, the old one removed).  An out_dir holding
 * anything its MANIFEST does not list is refused (RB_EX_CANTCREAT), and so
 * is replacing a signed folder with an unsigned one unless allow_unsigned.
 */
int rb_report(const struct rb_report_opts *o, struct rb_report_result *res,
	      struct rb_err *e);

/*
 * Everything rb_report would check before writing a byte, without opening
 * the database: the output folder (replaceable by a report), the templates
 * (found, valid, no output name twice), the sign key (exists, a regular
 * file of mode 0600 or tighter, an Ed25519 private key and, with o->trust,
 * held there with role report).  0, or -1 with the first problem in *e.
 */
int rb_report_preflight(const struct rb_report_opts *o, struct rb_err *e);

/*
 * Are the reports of o current in o->out_dir: after the checks of
 * rb_report_preflight, the folder verifies (as verify-report, under
 * o->trust; for an unsigned report, but for its signature) and holds every
 * template's file?  *current 1 or 0; -1 when a check fails.
 */
int rb_report_current(const struct rb_report_opts *o, int *current, struct rb_err *e);

/*
 * Is dir a report folder rbaudit wrote: a MANIFEST of rbaudit's that lists
 * every file under dir (subfolders included) but itself, and nothing else?
 * *owned is 1 or 0 (a missing dir is 0); -1 only when dir cannot be read.
 */
int rb_report_owned(const char *dir, int *owned, struct rb_err *e);

/*
 * Check DIR/MANIFEST: every listed file's digest, no file missing, nothing
 * under DIR unlisted (dotfiles, folders, FIFOs...), and its signature by a
 * trusted key with role report, valid and not revoked at the signing time
 * the MANIFEST carries; and every tlog-proof under DIR/proofs (issue #21):
 * valid under t, of the seq its name says, against the tree the MANIFEST
 * names (*proofs: how many, when not NULL).  Returns 0 with *ok set (1 all
 * good) and why holding
 * one line per problem, and per warning ("warning: ...", which leave *ok 1:
 * a key revoked after the signing, a MANIFEST without a signing time), or
 * -1 when the directory cannot be read (RB_EX_NOINPUT: no MANIFEST).
 */
int rb_report_verify(const char *dir, const rb_trust *t, int *ok, char *why,
		     size_t whylen, char *signer, size_t signerlen, int *proofs,
		     struct rb_err *e);

/*
 * What a report folder attests of its ledger: *found 1, with the ledger's
 * origin, size and base64 root the reports were made from (the MANIFEST's
 * "tree" line, inside the signed text), when dir verifies under t and is
 * signed; 0 when it is missing, unsigned, not VALID, or older than the
 * line.  -1 only when dir cannot be read.
 */
int rb_report_attested(const char *dir, const rb_trust *t, int *found, char *ledger,
		       size_t ledgerlen, long long *size, char root[48], struct rb_err *e);

#endif
