/* rtime.c - strict RFC 3339 UTC parsing and formatting. */
#include "rtime.h"

#include <stdio.h>
#include <time.h>

/* Howard Hinnant's days_from_civil, valid for every year we can meet. */
int64_t rb_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void rb_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int rb_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int rb_time_parse(const char *s, size_t len, struct rb_time *t)
{
	int y, mo, d, h, mi, se, frac = 0, nd = 0;
	size_t i;

	if (len < 20)
		return -1;
	if (rb_digits(s, 4, &y) || s[4] != '-' || rb_digits(s + 5, 2, &mo) ||
	    s[7] != '-' || rb_digits(s + 8, 2, &d) || s[10] != 'T' ||
	    rb_digits(s + 11, 2, &h) || s[13] != ':' || rb_digits(s + 14, 2, &mi) ||
	    s[16] != ':' || rb_digits(s + 17, 2, &se))
		return -1;
	i = 19;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (++nd > 9)
				return -1;
			frac = frac * 10 + (s[i] - '0');
		}
		if (nd == 0)
			return -1;
	}
	if (i + 1 != len || s[i] != 'Z')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 59)
		return -1;
	for (; nd < 9; nd++)
		frac *= 10;
	t->sec = rb_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		 (int64_t)h * 3600 + (int64_t)mi * 60 + se;
	t->nsec = frac;
	return 0;
}

void rb_time_format(const struct rb_time *t, char out[RB_TIME_MAX])
{
	int64_t days = t->sec / 86400, rem = t->sec % 86400, y;
	unsigned m, d;
	int n;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	rb_civil_from_days(days, &y, &m, &d);
	n = snprintf(out, RB_TIME_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d",
		     (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		     (int)(rem % 60));
	if (t->nsec != 0 && n > 0 && n < RB_TIME_MAX) {
		int32_t ns = t->nsec;
		int w = 9;

		while (ns % 10 == 0) {
			ns /= 10;
			w--;
		}
		n += snprintf(out + n, (size_t)(RB_TIME_MAX - n), ".%0*d", w, (int)ns);
	}
	if (n > 0 && n < RB_TIME_MAX - 1) {
		out[n] = 'Z';
		out[n + 1] = '\0';
	}
}

int rb_time_cmp(const struct rb_time *a, const struct rb_time *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

double rb_time_diff(const struct rb_time *a, const struct rb_time *b)
{
	return (double)(b->sec - a->sec) + (double)(b->nsec - a->nsec) / 1e9;
}

struct rb_time rb_time_now(void)
{
	struct rb_time t = { (int64_t)time(NULL), 0 };

	return t;
}
