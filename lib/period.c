/* period.c - parsing and stepping analysis periods. */
#include "period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtime.h"

static int64_t month_start(int y, int m)
{
	while (m > 12) {
		m -= 12;
		y++;
	}
	while (m < 1) {
		m += 12;
		y--;
	}
	return rb_days_from_civil(y, (unsigned)m, 1) * 86400;
}

static void set_month(struct rb_period *p, int y, int m)
{
	while (m < 1) {
		m += 12;
		y--;
	}
	p->kind = RB_P_MONTH;
	p->start = month_start(y, m);
	p->end = month_start(y, m + 1);
	snprintf(p->name, sizeof(p->name), "%04d-%02d", y, m);
}

static void set_quarter(struct rb_period *p, int y, int q)
{
	while (q < 1) {
		q += 4;
		y--;
	}
	p->kind = RB_P_QUARTER;
	p->start = month_start(y, 3 * q - 2);
	p->end = month_start(y, 3 * q + 1);
	snprintf(p->name, sizeof(p->name), "%04d-Q%d", y, q);
}

static void set_year(struct rb_period *p, int y)
{
	p->kind = RB_P_YEAR;
	p->start = month_start(y, 1);
	p->end = month_start(y + 1, 1);
	snprintf(p->name, sizeof(p->name), "%04d", y);
}

static int parse_date(const char *s, int64_t *out)
{
	struct rb_time t;
	char buf[32];

	if (strlen(s) < 10)
		return -1;
	snprintf(buf, sizeof(buf), "%.10sT00:00:00Z", s);
	if (rb_time_parse(buf, strlen(buf), &t) != 0)
		return -1;
	*out = t.sec;
	return 0;
}

int rb_period_parse(const char *text, int64_t now, struct rb_period *p, struct rb_err *e)
{
	size_t n = strlen(text);
	int y, m, q;
	unsigned mm, dd;
	int64_t yy;

	memset(p, 0, sizeof(*p));
	if (strcmp(text, "last-month") == 0) {
		int64_t days = now / 86400;

		rb_civil_from_days(days, &yy, &mm, &dd);
		set_month(p, (int)yy, (int)mm - 1);
		return 0;
	}
	if (n == 4 && rb_digits(text, 4, &y) == 0 && y >= 1970) {
		set_year(p, y);
		return 0;
	}
	if (n == 7 && rb_digits(text, 4, &y) == 0 && text[4] == '-' && y >= 1970) {
		if (text[5] == 'Q' && rb_digits(text + 6, 1, &q) == 0 && q >= 1 && q <= 4) {
			set_quarter(p, y, q);
			return 0;
		}
		if (rb_digits(text + 5, 2, &m) == 0 && m >= 1 && m <= 12) {
			set_month(p, y, m);
			return 0;
		}
	}
	if (n == 22 && memcmp(text + 10, "..", 2) == 0) {
		char a[11];

		memcpy(a, text, 10);
		a[10] = '\0';
		if (parse_date(a, &p->start) == 0 && parse_date(text + 12, &p->end) == 0 &&
		    p->start < p->end && p->start >= 0) {
			p->kind = RB_P_RANGE;
			snprintf(p->name, sizeof(p->name), "%s", text);
			return 0;
		}
	}
	return RB_ERR(e, RB_EX_USAGE,
		      "period '%s' is not YYYY-MM, YYYY-Qn, YYYY, YYYY-MM-DD..YYYY-MM-DD "
		      "(start before end) or last-month", text);
}

void rb_period_prev(const struct rb_period *p, struct rb_period *prev)
{
	int64_t y;
	unsigned m, d;

	rb_civil_from_days(p->start / 86400, &y, &m, &d);
	switch (p->kind) {
	case RB_P_MONTH:
		set_month(prev, (int)y, (int)m - 1);
		break;
	case RB_P_QUARTER:
		set_quarter(prev, (int)y, (int)(m + 2) / 3 - 1);
		break;
	case RB_P_YEAR:
		set_year(prev, (int)y - 1);
		break;
	default: {
		int64_t len = p->end - p->start;
		int64_t y2;
		unsigned m2, d2;

		prev->kind = RB_P_RANGE;
		prev->end = p->start;
		prev->start = p->start - len;
		rb_civil_from_days(prev->start / 86400, &y2, &m2, &d2);
		snprintf(prev->name, sizeof(prev->name), "%04d-%02u-%02u..%04d-%02u-%02u",
			 (int)y2, m2, d2, (int)y, m, d);
		break;
	}
	}
}
