/*
 * analyze.h - the metrics-v1 engine: which rollbacks a period holds, their
 * derived times, evidence, findings and security scores, the period's
 * metrics and their trend, data-quality anomalies, the control mapping and
 * a reproducible audit sample.
 *
 * rb_analyze reads verified entries from the database (written by ingest),
 * stores the analysis there (tables analysis, analysis_rollback,
 * analysis_finding) unless told not to, and returns it as one JSON
 * document that the caller owns (cJSON_Delete).  The document's members
 * are described in docs/METRICS.md.
 *
 * Memory stays flat in the number of rollbacks: each rollback's facts are
 * stored and handed to on_rollback as they are evaluated, then dropped.
 * Only with keep_rollbacks does the document hold them all ("rollbacks").
 */
#ifndef RB_ANALYZE_H
#define RB_ANALYZE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "analyze/policy.h"
#include "lib/err.h"
#include "lib/trust.h"

struct rb_period_cal;

/* The most earlier periods a trend compares. */
#define RB_ANALYZE_MAX_TREND 120

/*
 * The revision of metrics-v1 this engine applies (its §8 is revision 2).
 * An analysis document says which it was made under ("metrics_revision";
 * none: 1); one of an earlier revision is never taken as current, and a
 * report asks for the period to be analysed again.
 */
#define RB_METRICS_REVISION 2

struct rb_analyze_opts {
	const char *db_path;
	const char *ledger;             /* origin; NULL: the database's only ledger */
	const char *period;             /* YYYY-MM, YYYY-Qn, YYYY, range, last-month */
	int64_t now;                    /* Unix seconds, for last-month */
	const struct rb_period_cal *cal;        /* time zone, fiscal year; NULL: UTC */
	const struct rb_policy *policy;
	int trend;                      /* earlier periods to compare (0..RB_ANALYZE_MAX_TREND) */
	int sample;                     /* audit sample size, 0 for none */
	uint64_t sample_seed;
	const char *controls;           /* control mapping file; NULL: built in */
	const cJSON *controls_doc;      /* or the mapping itself, {controls, findings,
					 * evidence} (borrowed); before controls */
	int store;                      /* write the analysis to the database */
	int busy_ms;
	int keep_rollbacks;             /* put every rollback's facts in the document */
	/*
	 * While the analysis runs, the stored history is held against its
	 * payloads and signed checkpoint (lib/stored.h), the checkpoint's
	 * signature under trust (NULL: not checked); a disagreement is
	 * RB_EX_FAIL, and nothing is stored or returned.  `verified` skips it: the caller
	 * has just done it on the same, unchanged database.
	 */
	const rb_trust *trust;
	int verified;
	/*
	 * Called with each rollback's facts of the period, in order, and
	 * whether it is flagged (rb_flagged, decided once by the analysis and
	 * stored with it); the object is borrowed for the call.  The stored
	 * history is checked while the analysis runs: hold what is handed here
	 * until rb_analyze returns 0.  Nonzero (with e set) stops the analysis,
	 * and nothing is stored.  NULL: not called.
	 */
	int (*on_rollback)(void *ctx, const cJSON *facts, int flagged, struct rb_err *e);
	void *rollback_ctx;
};

int rb_analyze(const struct rb_analyze_opts *o, cJSON **out, struct rb_err *e);

/*
 * The document as the analysis table stores it: compact JSON without its
 * "rollbacks" (those are rows).  The caller frees it with cJSON_free; NULL
 * when out of memory.
 */
char *rb_analysis_stored_text(const cJSON *doc);

/*
 * Prove a stored analysis equal to a recomputation: the analysis with id
 * analysis_id is done again from the stored entries, with the parameters
 * it was stored with (ledger, period, policy, trend, sample, control
 * mapping), the stored history checked as rb_analyze checks it (the
 * checkpoint's signature under trust when not NULL), and compared with
 * what is stored: the document and, in order, every rollback's facts (what
 * the reports read).  0 when they are equal.  -1 with RB_EX_FAIL naming
 * the table, the analysis and the first difference; RB_EX_NOINPUT when
 * entries were stored after it (it is out of date: analyze again); or the
 * check's error.  The database is only read.
 */
int rb_analyze_rederive(const char *db_path, long long analysis_id, const rb_trust *trust,
			int busy_ms, struct rb_err *e);

/* The same as a report's rederive callback (report.h), ctx a struct rb_rederive. */
struct rb_rederive {
	const char *db_path;
	const rb_trust *trust;
	int busy_ms;
};
int rb_analyze_rederive_cb(void *ctx, long long analysis_id, struct rb_err *e);

/*
 * Is an analysis of period stored that is current: made under the policy
 * with this SHA-256 and these trend and sample parameters, of every entry
 * the ledger holds now?  *current 1 or 0; -1 with *e when the database
 * cannot be read.  The database is only read.
 */
int rb_analysis_current(const char *db_path, int busy_ms, const char *period,
			const char *policy_sha256, int trend, int sample, uint64_t sample_seed,
			int *current, struct rb_err *e);

/* The built-in control mapping (analyze/controls.json). */
extern const char rb_controls_json[];

#endif
