/* period.c - parsing, counting and stepping analysis periods (period.h). */
#include "period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rtime.h"

/* The size of a zone's name in struct rb_period_cal, NUL included. */
#define TZ_SIZE sizeof(((struct rb_period_cal *)0)->tz)

/* Where a zone's local midnight is looked for: this far either side of UTC's. */
#define ZONE_REACH ((int64_t)36 * 3600)

/* What a period's name says, before it is counted in a calendar. */
struct spec {
	enum rb_period_kind kind;
	int y, n;               /* the year its name gives; month, quarter, half or week */
	int64_t d0, d1;         /* a range: its first date and the date after its last,
				 * in days since 1970-01-01 */
};

/* a / b rounded towards minus infinity (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The first day of month mi, counted in months from January of year 0. */
static int64_t month_day(int64_t mi)
{
	int64_t y = floor_div(mi, 12);

	return rb_days_from_civil(y, (unsigned)(mi - 12 * y + 1), 1);
}

/* Day d's ISO weekday, 0 for Monday (1970-01-01 was a Thursday). */
static int weekday(int64_t d)
{
	return (int)(d - 7 * floor_div(d + 3, 7) + 3);
}

/* The Monday that starts ISO week 1 of year y: the week holding 4 January. */
static int64_t iso_week1(int64_t y)
{
	int64_t j4 = rb_days_from_civil(y, 1, 4);

	return j4 - weekday(j4);
}

static int iso_weeks(int64_t y)
{
	return (int)((iso_week1(y + 1) - iso_week1(y)) / 7);
}

/* The first month of the fiscal year named y (FYy ends in y unless it starts in January). */
static int64_t fiscal_month(int y, int fm)
{
	return fm <= 1 ? (int64_t)y * 12 : ((int64_t)y - 1) * 12 + fm - 1;
}

/* The local dates [*d0, *d1) that s covers, fiscal years starting in month fm. */
static void span(const struct spec *s, int fm, int64_t *d0, int64_t *d1)
{
	int64_t m0 = (int64_t)s->y * 12;
	int len = 12;

	switch (s->kind) {
	case RB_P_WEEK:
		*d0 = iso_week1(s->y) + 7 * (int64_t)(s->n - 1);
		*d1 = *d0 + 7;
		return;
	case RB_P_RANGE:
		*d0 = s->d0;
		*d1 = s->d1;
		return;
	case RB_P_MONTH:
		m0 += s->n - 1;
		len = 1;
		break;
	case RB_P_QUARTER:
		m0 += 3 * (int64_t)(s->n - 1);
		len = 3;
		break;
	case RB_P_HALF:
		m0 += 6 * (int64_t)(s->n - 1);
		len = 6;
		break;
	case RB_P_FISCAL_QUARTER:
		m0 = fiscal_month(s->y, fm) + 3 * (int64_t)(s->n - 1);
		len = 3;
		break;
	case RB_P_FISCAL_HALF:
		m0 = fiscal_month(s->y, fm) + 6 * (int64_t)(s->n - 1);
		len = 6;
		break;
	case RB_P_FISCAL:
		m0 = fiscal_month(s->y, fm);
		break;
	case RB_P_YEAR:
		break;
	}
	*d0 = month_day(m0);
	*d1 = month_day(m0 + len);
}

/* A date as YYYY-MM-DD. */
static void fmt_day(int64_t d, char *out, size_t n)
{
	int64_t y;
	unsigned m, dd;

	rb_civil_from_days(d, &y, &m, &dd);
	snprintf(out, n, "%04d-%02u-%02u", (int)y, m, dd);
}

/* The period's name: its text form. */
static void spec_name(const struct spec *s, char *out, size_t n)
{
	char a[24], b[24];

	switch (s->kind) {
	case RB_P_MONTH: snprintf(out, n, "%04d-%02d", s->y, s->n); break;
	case RB_P_QUARTER: snprintf(out, n, "%04d-Q%d", s->y, s->n); break;
	case RB_P_HALF: snprintf(out, n, "%04d-H%d", s->y, s->n); break;
	case RB_P_YEAR: snprintf(out, n, "%04d", s->y); break;
	case RB_P_WEEK: snprintf(out, n, "%04d-W%02d", s->y, s->n); break;
	case RB_P_FISCAL: snprintf(out, n, "FY%04d", s->y); break;
	case RB_P_FISCAL_QUARTER: snprintf(out, n, "FY%04d-Q%d", s->y, s->n); break;
	case RB_P_FISCAL_HALF: snprintf(out, n, "FY%04d-H%d", s->y, s->n); break;
	case RB_P_RANGE:
		fmt_day(s->d0, a, sizeof(a));
		fmt_day(s->d1, b, sizeof(b));
		snprintf(out, n, "%.23s..%.22s", a, b);
		break;
	}
}

/* How many periods of s's kind a year has (0: not counted by the year). */
static int per_year(const struct spec *s)
{
	switch (s->kind) {
	case RB_P_MONTH: return 12;
	case RB_P_QUARTER: case RB_P_FISCAL_QUARTER: return 4;
	case RB_P_HALF: case RB_P_FISCAL_HALF: return 2;
	case RB_P_WEEK: return iso_weeks(s->y);
	default: return 0;
	}
}

/* s becomes the period just before it. */
static void step_back(struct spec *s)
{
	int64_t len;

	switch (s->kind) {
	case RB_P_YEAR:
	case RB_P_FISCAL:
		s->y--;
		return;
	case RB_P_RANGE:
		len = s->d1 - s->d0;
		s->d1 = s->d0;
		s->d0 -= len;
		return;
	default:
		if (--s->n < 1) {
			s->y--;
			s->n = per_year(s);
		}
		return;
	}
}

/* YYYY-MM-DD as days since 1970-01-01. */
static int parse_date(const char *s, int64_t *out)
{
	struct rb_time t;
	char buf[32];

	snprintf(buf, sizeof(buf), "%.10sT00:00:00Z", s);
	if (rb_time_parse(buf, strlen(buf), &t) != 0)
		return -1;
	*out = floor_div(t.sec, 86400);
	return 0;
}

/* "Qn" or "Hn" at t (two characters) into s. */
static int parse_part(const char *t, enum rb_period_kind q, enum rb_period_kind h,
		      struct spec *s)
{
	if (rb_digits(t + 1, 1, &s->n) != 0)
		return -1;
	if (t[0] == 'Q' && s->n >= 1 && s->n <= 4)
		s->kind = q;
	else if (t[0] == 'H' && s->n >= 1 && s->n <= 2)
		s->kind = h;
	else
		return -1;
	return 0;
}

/* FYyyyy, FYyyyy-Qn, FYyyyy-Hn: t is what follows "FY". */
static int parse_fiscal(const char *t, size_t n, struct spec *s)
{
	if (n < 4 || rb_digits(t, 4, &s->y) != 0)
		return -1;
	if (n == 4) {
		s->kind = RB_P_FISCAL;
		return 0;
	}
	if (n == 7 && t[4] == '-')
		return parse_part(t + 5, RB_P_FISCAL_QUARTER, RB_P_FISCAL_HALF, s);
	return -1;
}

/* A name's period, any year 0000..9999 (the bounds are the caller's). */
static int parse_spec(const char *t, struct spec *s)
{
	size_t n = strlen(t);

	memset(s, 0, sizeof(*s));
	if (strncmp(t, "FY", 2) == 0)
		return parse_fiscal(t + 2, n - 2, s);
	if (n == 22 && memcmp(t + 10, "..", 2) == 0) {
		s->kind = RB_P_RANGE;
		return parse_date(t, &s->d0) == 0 && parse_date(t + 12, &s->d1) == 0 &&
		       s->d0 < s->d1 ? 0 : -1;
	}
	if (n < 4 || rb_digits(t, 4, &s->y) != 0)
		return -1;
	if (n == 4) {
		s->kind = RB_P_YEAR;
		return 0;
	}
	if (t[4] != '-')
		return -1;
	if (n == 7 && (t[5] == 'Q' || t[5] == 'H'))
		return parse_part(t + 5, RB_P_QUARTER, RB_P_HALF, s);
	if (n == 7 && rb_digits(t + 5, 2, &s->n) == 0 && s->n >= 1 && s->n <= 12) {
		s->kind = RB_P_MONTH;
		return 0;
	}
	if (n == 8 && t[5] == 'W' && rb_digits(t + 6, 2, &s->n) == 0 && s->n >= 1 &&
	    s->n <= iso_weeks(s->y)) {
		s->kind = RB_P_WEEK;
		return 0;
	}
	return -1;
}

/* TZ as it was before a zone was set for a computation. */
struct tz_saved {
	char *old;
	int had;
};

static int tz_enter(const char *zone, struct tz_saved *sv)
{
	const char *o = getenv("TZ");
	char v[TZ_SIZE + 1];

	sv->had = o != NULL;
	sv->old = o != NULL ? strdup(o) : NULL;
	if (o != NULL && sv->old == NULL)
		return -1;
	snprintf(v, sizeof(v), ":%s", zone);       /* ':': a file of the tzdata */
	if (setenv("TZ", v, 1) != 0) {
		free(sv->old);
		return -1;
	}
	tzset();
	return 0;
}

static void tz_leave(struct tz_saved *sv)
{
	if (sv->had)
		setenv("TZ", sv->old, 1);
	else
		unsetenv("TZ");
	free(sv->old);
	sv->old = NULL;
	tzset();
}

/* The local date of t in the zone set, as days since 1970-01-01; INT64_MIN on error. */
static int64_t local_date(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return INT64_MIN;
	return rb_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
				  (unsigned)tm.tm_mday);
}

/*
 * The first instant of local date day in the zone set: its 00:00 by mktime,
 * or, when the zone skips that midnight, the first second whose local date
 * is day (the transition), found by halving.
 */
static int local_midnight(int64_t day, int64_t *out)
{
	int64_t y, lo, hi, base = day * 86400;
	unsigned m, d;
	struct tm tm;
	time_t t;

	rb_civil_from_days(day, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t != (time_t)-1 && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 &&
	    local_date((int64_t)t) == day && local_date((int64_t)t - 1) < day) {
		*out = (int64_t)t;
		return 0;
	}
	lo = base - ZONE_REACH;
	hi = base + ZONE_REACH;
	if (local_date(lo) >= day || local_date(hi) < day)
		return -1;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (local_date(mid) >= day)
			hi = mid;
		else
			lo = mid;
	}
	*out = hi;
	return 0;
}

/* A zone other than UTC. */
static int zoned(const struct rb_period_cal *c)
{
	return c->tz[0] != '\0';
}

/* Local dates [d0, d1) as Unix seconds in c's zone. */
static int count_days(const struct rb_period_cal *c, int64_t d0, int64_t d1,
		      struct rb_period *p)
{
	struct tz_saved sv;
	int rc;

	if (!zoned(c)) {
		p->start = d0 * 86400;
		p->end = d1 * 86400;
		return 0;
	}
	if (tz_enter(c->tz, &sv) != 0)
		return -1;
	rc = local_midnight(d0, &p->start) != 0 || local_midnight(d1, &p->end) != 0 ? -1 : 0;
	tz_leave(&sv);
	return rc;
}

/* s counted in calendar c into *p. */
static int count(const struct spec *s, const struct rb_period_cal *c, struct rb_period *p,
		 struct rb_err *e)
{
	int64_t d0, d1;
	char name[sizeof(p->name)];

	spec_name(s, name, sizeof(name));
	span(s, c->fy_first_month, &d0, &d1);
	if (count_days(c, d0, d1, p) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "cannot count period %s in time zone %s",
			      name, c->tz);
	p->kind = s->kind;
	memcpy(p->name, name, sizeof(p->name));
	p->cal = *c;
	return 0;
}

/* last-month: the calendar month before the one now is in, in c's zone. */
static int last_month(int64_t now, const struct rb_period_cal *c, struct spec *s,
		      struct rb_err *e)
{
	int64_t day = floor_div(now, 86400), y;
	unsigned m, d;
	struct tz_saved sv;

	if (zoned(c)) {
		if (tz_enter(c->tz, &sv) != 0)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		day = local_date(now);
		tz_leave(&sv);
		if (day == INT64_MIN)
			return RB_ERR(e, RB_EX_SOFTWARE, "cannot find today's date in %s", c->tz);
	}
	rb_civil_from_days(day, &y, &m, &d);
	memset(s, 0, sizeof(*s));
	s->kind = RB_P_MONTH;
	s->y = (int)y;
	s->n = (int)m - 1;
	if (s->n < 1) {
		s->y--;
		s->n = 12;
	}
	return 0;
}

int rb_period_tz_check(const char *tz, struct rb_err *e)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	unsigned char magic[4] = { 0 };
	struct stat st;
	FILE *f;
	size_t i, got = 0;

	if (tz[0] == '\0' || strcmp(tz, "UTC") == 0)
		return 0;
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	for (i = 0; tz[i] != '\0'; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-.",
			   tz[i]) == NULL)
			break;
	if (tz[i] != '\0' || i >= TZ_SIZE || tz[0] == '/' ||
	    tz[0] == '.' || strstr(tz, "..") != NULL)
		return RB_ERR(e, RB_EX_USAGE, "time zone '%.80s' is not a zone name like "
			      "Europe/Berlin (letters, digits, '/', '_', '+', '-', '.'; no '..', "
			      "no leading '/'; under %d characters)", tz,
			      (int)TZ_SIZE);
	snprintf(path, sizeof(path), "%s/%s", dir, tz);
	f = fopen(path, "rb");
	if (f != NULL && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		got = fread(magic, 1, sizeof(magic), f);
	if (f != NULL)
		fclose(f);
	if (got != sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
		return RB_ERR(e, RB_EX_USAGE, "unknown time zone '%s': no such zone in %.200s "
			      "(the system's tzdata)", tz, dir);
	return 0;
}

int rb_period_is_fiscal(enum rb_period_kind kind)
{
	return kind == RB_P_FISCAL || kind == RB_P_FISCAL_QUARTER || kind == RB_P_FISCAL_HALF;
}

/* cal checked into *c: the zone known ("UTC" is ""), the first month 1..12. */
static int cal_check(const struct rb_period_cal *cal, struct rb_period_cal *c,
		     struct rb_err *e)
{
	memset(c, 0, sizeof(*c));
	c->fy_first_month = 1;
	if (cal == NULL)
		return 0;
	if (memchr(cal->tz, '\0', sizeof(cal->tz)) == NULL)
		return RB_ERR(e, RB_EX_USAGE, "time zone name too long");
	if (rb_period_tz_check(cal->tz, e) != 0)
		return -1;
	if (strcmp(cal->tz, "UTC") != 0)
		memcpy(c->tz, cal->tz, sizeof(c->tz));
	if (cal->fy_first_month < 0 || cal->fy_first_month > 12)
		return RB_ERR(e, RB_EX_USAGE, "a fiscal year's first month is 1 to 12, not %d",
			      cal->fy_first_month);
	if (cal->fy_first_month > 0)
		c->fy_first_month = cal->fy_first_month;
	return 0;
}

/* Why text is not a period. */
static int not_a_period(const char *text, struct rb_err *e)
{
	int y, w;

	if (strlen(text) == 8 && rb_digits(text, 4, &y) == 0 && text[4] == '-' &&
	    text[5] == 'W' && rb_digits(text + 6, 2, &w) == 0 && w > 0)
		return RB_ERR(e, RB_EX_USAGE, "period '%s': ISO year %04d has %d weeks", text, y,
			      iso_weeks(y));
	return RB_ERR(e, RB_EX_USAGE,
		      "period '%.60s' is not YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY-Www (ISO week), "
		      "YYYY, FYyyyy, FYyyyy-Qn, FYyyyy-Hn, YYYY-MM-DD..YYYY-MM-DD (start before "
		      "end) or last-month", text);
}

int rb_period_parse_cal(const char *text, int64_t now, const struct rb_period_cal *cal,
			struct rb_period *p, struct rb_err *e)
{
	struct rb_period_cal c;
	struct spec s;

	memset(p, 0, sizeof(*p));
	if (cal_check(cal, &c, e) != 0)
		return -1;
	if (strcmp(text, "last-month") == 0) {
		if (last_month(now, &c, &s, e) != 0)
			return -1;
	} else if (parse_spec(text, &s) != 0) {
		return not_a_period(text, e);
	} else if (s.kind != RB_P_RANGE && s.y < 1970) {
		return RB_ERR(e, RB_EX_USAGE, "period '%s': years run from 1970 to 9999", text);
	}
	if (count(&s, &c, p, e) != 0)
		return -1;
	if (p->start < 0) {
		struct rb_time t = { p->start, 0 };
		char ts[RB_TIME_MAX];

		rb_time_format(&t, ts);
		memset(p, 0, sizeof(*p));
		return RB_ERR(e, RB_EX_USAGE, "period '%s' starts at %s, before "
			      "1970-01-01T00:00:00Z, the earliest time rbaudit counts", text, ts);
	}
	return 0;
}

int rb_period_parse(const char *text, int64_t now, struct rb_period *p, struct rb_err *e)
{
	return rb_period_parse_cal(text, now, NULL, p, e);
}

/* The period as long as p just before it, in UTC days: when p's name is not one. */
static void prev_by_length(const struct rb_period *p, struct rb_period *prev)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.kind = RB_P_RANGE;
	s.d1 = floor_div(p->start, 86400);
	s.d0 = s.d1 - (floor_div(p->end - p->start + 86399, 86400));
	if (s.d0 >= s.d1)
		s.d0 = s.d1 - 1;
	memset(prev, 0, sizeof(*prev));
	prev->kind = RB_P_RANGE;
	prev->start = s.d0 * 86400;
	prev->end = s.d1 * 86400;
	spec_name(&s, prev->name, sizeof(prev->name));
}

void rb_period_prev(const struct rb_period *p, struct rb_period *prev)
{
	struct rb_period q = *p;        /* p and prev may be the same */
	struct spec s;

	if (q.cal.fy_first_month < 1 || q.cal.fy_first_month > 12)
		q.cal.fy_first_month = 1;
	if (memchr(q.cal.tz, '\0', sizeof(q.cal.tz)) == NULL ||
	    parse_spec(q.name, &s) != 0 || s.kind != q.kind) {
		prev_by_length(&q, prev);
		return;
	}
	step_back(&s);
	memset(prev, 0, sizeof(*prev));
	if (count(&s, &q.cal, prev, NULL) != 0)
		prev_by_length(&q, prev);
}
