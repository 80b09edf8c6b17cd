/* stats.c - n, mean, median, nearest-rank p90. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void rb_stats_of(double *v, size_t n, struct rb_stats *s)
{
	double sum = 0;
	size_t i, rank;

	s->n = n;
	s->mean = s->median = s->p90 = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	s->mean = sum / (double)n;
	s->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	/* ceil(0.9 n) in integers: (9n + 9) / 10. */
	rank = (9 * n + 9) / 10;
	s->p90 = v[rank - 1];
}
