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

struct rb_analyze_opts {
	const char *db_path;
	const char *ledger;             /* origin; NULL: the database's only ledger */
	const char *period;             /* YYYY-MM, YYYY-Qn, YYYY, range, last-month */
	int64_t now;                    /* Unix seconds, for last-month */
	const struct rb_policy *policy;
	int trend;                      /* earlier periods to compare (0..120) */
	int sample;                     /* audit sample size, 0 for none */
	uint64_t sample_seed;
	const char *controls;           /* control mapping file; NULL: built in */
	int store;                      /* write the analysis to the database */
	int busy_ms;
	int keep_rollbacks;             /* put every rollback's facts in the document */
	/*
	 * Called with each rollback's facts of the period, in order; the object
	 * is borrowed for the call.  Nonzero (with e set) stops the analysis,
	 * and nothing is stored.  NULL: not called.
	 */
	int (*on_rollback)(void *ctx, const cJSON *facts, struct rb_err *e);
	void *rollback_ctx;
};

int rb_analyze(const struct rb_analyze_opts *o, cJSON **out, struct rb_err *e);

/* The built-in control mapping (analyze/controls.json). */
extern const char rb_controls_json[];

#endif
