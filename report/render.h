/*
 * render.h - what the report stage's renderers share (internal to report/).
 *
 * struct rb_report_data is read from the database by report.c and borrowed
 * by the renderers.  Templates are loaded and validated by template.c; the
 * caller frees them with rb_template_free.
 */
#ifndef RB_RENDER_H
#define RB_RENDER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "lib/err.h"
#include "lib/period.h"
#include "lib/trust.h"

struct sqlite3;

/*
 * What the PDF sections need of all the rollbacks of an analysis, from one
 * pass over them (report.c), so that no renderer holds them all: counts,
 * and the few rollbacks some section shows (the first findings, the
 * highest scores, the first sampled or flagged ones, the trails), in the
 * analysis's order.  Memory grows with the templates' limits, not with the
 * period.
 */
struct rb_rollup {
	int with_findings;      /* rollbacks with at least one finding */
	int findings;           /* findings, in all */
	int qualify[4];         /* rollbacks a details section selects, by RB_SEL_* */
	cJSON *evidence;        /* item -> {"required": n, "present": n} */
	cJSON *shown;           /* array: the rollbacks some section shows */
	unsigned char *flagged; /* flagged[i]: is shown's i-th flagged (as stored) */
	int nshown;             /* shown's size */
};

/* Is shown's i-th rollback flagged? */
int rb_rollup_flagged(const struct rb_rollup *ru, int i);

/* A details section's selection (bits). */
#define RB_SEL_SAMPLE 1
#define RB_SEL_FLAGGED 2

/* The PDF sections' limits when a template gives none. */
#define RB_LIMIT_FINDINGS 400
#define RB_LIMIT_TOP_RISK 10
#define RB_LIMIT_DETAILS 60

/* What rendering had to change, for the report's warnings. */
struct rb_render_stats {
	long long truncated_cells;      /* texts cut to fit a spreadsheet cell */
	long long truncated_chars;      /* the longest of them, in characters */
};

/* The most characters a spreadsheet cell holds (Excel's limit). */
#define RB_XLSX_CELL_MAX 32767

/*
 * The marker that ends a text cut to fit a cell: "… [truncated: 40,000
 * characters, see the JSON]" for a text of n characters.
 */
void rb_truncation_marker(long long n, char *out, size_t len);

struct rb_report_data {
	const cJSON *a;         /* the stored analysis document (no rollbacks) */
	const cJSON *attest;    /* ledger state, ingests, signing keys, trails */
	const struct rb_rollup *rollup;   /* for PDF and JSON reports, else NULL */
	struct sqlite3 *db;     /* open, read-only */
	int64_t analysis_id;
	struct rb_render_stats *stats;  /* filled by the renderers; may be NULL */
	const char *font_dir;   /* the PDF fonts; NULL: the built-in folder */
	int64_t ledger_id;      /* the analysis's ledger */
};

/*
 * The attestation's trust members (attest.c), into at: "trust" {rechecked,
 * trust_store_sha256, checked, failures_total, failures_in_period,
 * failures [{seq, time, event, code, message, rollbacks}] (the first
 * 1000), rollbacks_affected, all_verified, keys_from}, where a failure
 * touches the period as RB_SQL_TRUST_PERIOD says (lib/schema.h); and per key of at's "keys" its entries_signed
 * and countersigned in the period.  With t, "keys" is replaced by t's keys
 * as they are today (roles, validity, revocation), followed by the keys that
 * signed stored entries and are no longer in t (in_trust_store false).
 * With t_sha256 (t's file), "given_trust_store_sha256" and "current": whether
 * the last re-check was against that file; all_verified needs it.  And
 * "witnesses", [{name, time}]: the witnesses whose cosignatures on the
 * ledger's newest checkpoint ingest verified (empty when none).
 */
int rb_attest_trust(struct sqlite3 *db, int64_t lid, const struct rb_period *per,
		    const rb_trust *t, const char *t_sha256, cJSON *at, struct rb_err *e);

/*
 * Is the rollback r of an analysis that keeps its rollbacks in its own
 * document flagged (lib/vocab.h's rb_flagged of its level and findings)?
 * Such a document predates the stored rows and their flag; the rows give
 * theirs with rb_rows_flagged.
 */
int rb_rollback_flagged(const cJSON *r);
/* Is the rollback with this id in the analysis a's audit sample? */
int rb_in_sample(const cJSON *a, const char *id);

/*
 * The rollbacks of the analysis, one at a time from the database, in the
 * analysis's order: memory does not grow with their number.  Each object
 * is valid until the next call; rb_rows_close frees the last (NULL ok).
 */
typedef struct rb_rows rb_rows;
int rb_rows_open(const struct rb_report_data *d, rb_rows **out, struct rb_err *e);
const cJSON *rb_rows_next(rb_rows *r);
/* Is the rollback rb_rows_next last returned flagged, as analyze stored it? */
int rb_rows_flagged(const rb_rows *r);
/* After rb_rows_next returned NULL: 0 at the end, -1 (e) on a read error
 * or a stored row that is not JSON. */
int rb_rows_check(rb_rows *r, struct sqlite3 *db, struct rb_err *e);
void rb_rows_close(rb_rows *r);

/*
 * A rollback's entries read back from the ledger (record.c): for each seq
 * of seqs, in that order, {seq, time, event, actor, countersigned_by (when
 * countersigned), export (the folder it was ingested from), file
 * ("entries.jsonl"), line (its line there), data (the payload's)}.  A seq
 * not stored is left out.  The reader is the caller's (rb_trail_close),
 * *out too.
 */
typedef struct rb_trail_reader rb_trail_reader;
int rb_trail_open(struct sqlite3 *db, int64_t lid, rb_trail_reader **out, struct rb_err *e);
int rb_trail_read(rb_trail_reader *t, const cJSON *seqs, cJSON **out, struct rb_err *e);
void rb_trail_close(rb_trail_reader *t);
/* rb_trail_read with *t opened on first use (db and lid for that). */
int rb_trail_of(struct sqlite3 *db, int64_t lid, rb_trail_reader **t, const cJSON *seqs,
		cJSON **out, struct rb_err *e);

/*
 * A rollback's record from its trail: an array of [label, text] pairs in
 * the order the packs show them: Ticket, Rationale, Impact, Security
 * considerations, Components, Operation (from its first rollback.requested;
 * "(not recorded)" or "(blank: ...)" when so), then one per approval,
 * rejection, execution (a failed attempt says so), evidence item (with its
 * whole SHA-256), review and resolution, in seq order, each naming its
 * actor, time and seq.  The texts are whole.  NULL when out of memory; the
 * caller frees it.
 */
cJSON *rb_record_of(const cJSON *trail);

/* The most characters of one text of a record a PDF shows (REPORTS.md). */
#define RB_PDF_TEXT_MAX 4000
/* The note that ends a text cut there: "… [cut here: 196,000 more characters; ...]". */
void rb_cut_note(long long more, char *out, size_t len);

enum rb_format { RB_FMT_PDF, RB_FMT_XLSX, RB_FMT_JSON, RB_FMT_CSV, RB_FMT_OPENMETRICS,
		 RB_FMT_HTML };

struct rb_template {
	char name[64];
	enum rb_format format;
	char title[160];
	char subtitle[160];
	char organisation[160];
	char file[128];         /* output name pattern with {period} */
	cJSON *doc;             /* the whole template; sections inside */
};

/*
 * Load a template from a file.  Errors (RB_EX_CONFIG) name the file, the
 * line and the member.
 */
int rb_template_load(const char *path, struct rb_template **out, struct rb_err *e);
void rb_template_free(struct rb_template *t);

/* The output file name for period (never a path: checked). */
int rb_template_filename(const struct rb_template *t, const char *period, char *out,
			 size_t n, struct rb_err *e);

int rb_render_pdf(const struct rb_report_data *d, const struct rb_template *t,
		  const char *path, struct rb_err *e);
int rb_render_xlsx(const struct rb_report_data *d, const struct rb_template *t,
		   const char *path, struct rb_err *e);
/* CSV (RFC 4180): the template's "table" (csv.c). */
int rb_render_csv(const struct rb_report_data *d, const struct rb_template *t,
		  const char *path, struct rb_err *e);
/*
 * The text s as one CSV field (csv.c; docs/REPORTS.md "CSV reports"):
 * quoted when RFC 4180 needs it or s is empty, quotes doubled, and one '
 * in front of a text that begins with = + - @ TAB CR or ', so that no
 * spreadsheet takes it for a formula.  Written by put(ctx, bytes, n).
 */
void rb_csv_text(const char *s, void (*put)(void *ctx, const char *p, size_t n), void *ctx);
/* The Prometheus/OpenMetrics text exposition format (openmetrics.c). */
int rb_render_openmetrics(const struct rb_report_data *d, const struct rb_template *t,
			  const char *path, struct rb_err *e);
/* One self-contained HTML file (html.c). */
int rb_render_html(const struct rb_report_data *d, const struct rb_template *t,
		   const char *path, struct rb_err *e);

/*
 * The key figures of the analysis d->a as the PDF and HTML reports show
 * them (figures.c): label and value of each, the first n of them (the last,
 * failed execution attempts, only when there were some).  "Rollbacks with
 * findings" needs d->rollup ("n/a" without).  The labels are static.
 */
#define RB_KEY_FIGURES_MAX 10
struct rb_key_figures {
	const char *label[RB_KEY_FIGURES_MAX];
	char value[RB_KEY_FIGURES_MAX][64];
	int n;
};
void rb_key_figures(const struct rb_report_data *d, struct rb_key_figures *k);

/*
 * A chart axis's tick: 1, 2 or 5 times a power of ten, so that five ticks
 * reach max (> 0); for counts, at least 1 (figures.c).
 */
double rb_round_tick(double max, int counts);

/* Shared formatting: hours with one decimal, or "n/a". */
void rb_fmt_hours(const cJSON *seconds, char *out, size_t n);
/* A ratio as a percentage with one decimal, or "n/a". */
void rb_fmt_pct(const cJSON *ratio, char *out, size_t n);

/* The strings of arr joined with sep into out (n bytes), cut at n. */
void rb_join(const cJSON *arr, const char *sep, char *out, size_t n);
/* The same, each string in quotation marks and ", " between: spellings of
 * a name, where a trailing space must show. */
void rb_quote_list(const cJSON *arr, char *out, size_t n);

#endif
