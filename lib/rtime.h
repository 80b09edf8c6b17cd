/*
 * rtime.h - RFC 3339 UTC timestamps.
 *
 * rbaudit only accepts the form the ledger format allows:
 * YYYY-MM-DDTHH:MM:SSZ with an optional fraction of 1 to 9 digits.
 * A struct rb_time is plain data: seconds since the Unix epoch and
 * nanoseconds, compared with rb_time_cmp.
 */
#ifndef RB_RTIME_H
#define RB_RTIME_H

#include <stddef.h>
#include <stdint.h>

struct rb_time {
	int64_t sec;
	int32_t nsec;
};

/* Longest text rb_time_format writes, NUL included. */
#define RB_TIME_MAX 32

/* Exactly n decimal digits at s into *out; 0, or -1 when not digits. */
int rb_digits(const char *s, int n, int *out);

/* Parse s[0..len); 0 on success, -1 when not a valid timestamp. */
int rb_time_parse(const char *s, size_t len, struct rb_time *t);

/* Format as YYYY-MM-DDTHH:MM:SSZ, with a fraction only when nsec != 0. */
void rb_time_format(const struct rb_time *t, char out[RB_TIME_MAX]);

/* <0, 0, >0 as a is before, equal to, after b. */
int rb_time_cmp(const struct rb_time *a, const struct rb_time *b);

/* Seconds from a to b as a double (b - a). */
double rb_time_diff(const struct rb_time *a, const struct rb_time *b);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t rb_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse of rb_days_from_civil. */
void rb_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* The current time, to the second. */
struct rb_time rb_time_now(void);

#endif
