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
};

int rb_analyze(const struct rb_analyze_opts *o, cJSON **out, struct rb_err *e);

/* The built-in control mapping (analyze/controls.json). */
extern const char rb_controls_json[];

#endif
