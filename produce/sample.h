/*
 * sample.h - a seeded, realistic organisation's rollback ledger.
 *
 * rb_sample_generate writes, under opts->out: keys.json (the trust store),
 * keys/NAME.pem (every sample key, mode 0600), and
 * exports/LEDGER/YYYY-MM/ (one export per ledger per calendar month),
 * sealed with produce/seal.  Everything derives from the seed: the same
 * options give byte-identical files.  Sample keys come from a public seed
 * and are marked as unsafe in the trust store.
 *
 * Generation streams: events wait in a time-ordered queue only until they
 * are written, so memory depends on the daily rate, not on the length.
 */
#ifndef RB_SAMPLE_H
#define RB_SAMPLE_H

#include <stdint.h>

#include "lib/err.h"

struct rb_sample_opts {
	const char *out;
	uint64_t seed;
	int start_year, start_month;    /* first month */
	int months;
	double deploys_per_day;         /* mean on a weekday */
	int ledgers;
	void (*progress)(void *ctx, uint64_t entries);  /* may be NULL */
	void *progress_ctx;
};

/* What was written, by kind, for checking coverage. */
struct rb_sample_stats {
	uint64_t entries, exports, deploys, rollbacks, incidents;
	uint64_t approvals, countersigned, rejected, emergencies;
	uint64_t self_approvals, executor_approvals, late_approvals, missing_approvals;
	uint64_t duplicate_executions, reintroduces, never_closed, unreviewed;
	uint64_t failing_tests, empty_evidence, touches[6];
	/* metrics-v1 §8 (revision 2): the cases the sample holds of each */
	uint64_t rejected_executed, failed_attempts, spelt_self_approvals, alias_approvals;
	uint64_t blank_rationales, early_approvals, unauthorized_executors;
};

/* Defaults: seed 1, 2026-05, 6 months, 12 deploys a weekday, 1 ledger. */
void rb_sample_defaults(struct rb_sample_opts *o);

int rb_sample_generate(const struct rb_sample_opts *o, struct rb_sample_stats *st,
		       struct rb_err *e);

#endif
