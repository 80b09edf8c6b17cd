/*
 * stats.h - the summary statistics of metrics-v1 §4: n, mean, median
 * (the mean of the two middle values when n is even) and p90 (nearest
 * rank: the value at position ceil(0.9 n) in ascending order, from 1).
 */
#ifndef RB_STATS_H
#define RB_STATS_H

#include <stddef.h>

struct rb_stats {
	size_t n;
	double mean, median, p90;       /* meaningless when n is 0 */
};

/* Summarise v[0..n); sorts v in place. */
void rb_stats_of(double *v, size_t n, struct rb_stats *s);

#endif
