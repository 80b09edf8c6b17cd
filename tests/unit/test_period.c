/*
 * test_period.c - focus: periods as organisations count them (issue 22):
 * ISO weeks, halves, fiscal years and their quarters and halves, a time
 * zone for the boundaries (local midnights from the system's tzdata, DST
 * days of 23 and 25 hours, a midnight a zone skips or repeats), the edges
 * (1970, 9999, week 53, 29 February), stepping back for every kind, and
 * hostile input.  Every expected boundary is worked out here by hand, as a
 * UTC date and hour, and turned into Unix seconds by utc() below, which
 * counts days one by one (not rbaudit's calendar code); the zones' offsets
 * are the published rules (EU: last Sunday of March and October at 01:00
 * UTC; US: second Sunday of March, first of November, at 02:00 local;
 * Cuba: second Sunday of March and first of November at 00:00 standard).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/period.h"

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Unix seconds of y-m-d h:00 UTC, counting days year by year and month by month. */
static int64_t utc(int y, int m, int d, int h)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t days = 0;
	int i;

	for (i = 1970; i < y; i++)
		days += leap(i) ? 366 : 365;
	for (i = y; i < 1970; i++)
		days -= leap(i) ? 366 : 365;
	for (i = 1; i < m; i++)
		days += dm[i - 1] + (i == 2 && leap(y));
	days += d - 1;
	return days * 86400 + (int64_t)h * 3600;
}

static struct rb_period_cal cal(const char *tz, int fm)
{
	struct rb_period_cal c;

	memset(&c, 0, sizeof(c));
	snprintf(c.tz, sizeof(c.tz), "%s", tz);
	c.fy_first_month = fm;
	return c;
}

/* text parses in c to [start, end) and is named name. */
static void parses(const char *text, const struct rb_period_cal *c, int64_t start,
		   int64_t end, const char *name)
{
	struct rb_period p;
	struct rb_err e;

	if (rb_period_parse_cal(text, 0, c, &p, &e) != 0)
		fail_msg("%s: %s", text, e.msg);
	assert_string_equal(p.name, name);
	assert_int_equal(p.start, start);
	assert_int_equal(p.end, end);
}

/* text is refused in c as a usage error whose message holds why. */
static void refused(const char *text, const struct rb_period_cal *c, const char *why)
{
	struct rb_period p;
	struct rb_err e;

	memset(&e, 0, sizeof(e));
	if (rb_period_parse_cal(text, 0, c, &p, &e) != -1)
		fail_msg("%s was accepted as %s", text, p.name);
	assert_int_equal(e.code, RB_EX_USAGE);
	if (strstr(e.msg, why) == NULL)
		fail_msg("%s: '%s' does not say '%s'", text, e.msg, why);
}

/* The period before text in c is [start, end), named name. */
static void steps_back(const char *text, const struct rb_period_cal *c, int64_t start,
		       int64_t end, const char *name)
{
	struct rb_period p;
	struct rb_err e;

	if (rb_period_parse_cal(text, 0, c, &p, &e) != 0)
		fail_msg("%s: %s", text, e.msg);
	rb_period_prev(&p, &p);         /* in place, as the trend walks */
	assert_string_equal(p.name, name);
	assert_int_equal(p.start, start);
	assert_int_equal(p.end, end);
	assert_string_equal(p.cal.tz, c != NULL ? c->tz : "");
}

static int have_zone(const char *z)
{
	char path[256];

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", z);
	return access(path, R_OK) == 0 && getenv("TZDIR") == NULL;
}

static void iso_weeks(void **state)
{
	struct rb_period_cal fy = cal("", 4);

	(void)state;
	/* 2026-01-01 is a Thursday: week 1 is the week holding it, from Monday 29 December. */
	parses("2026-W01", NULL, utc(2025, 12, 29, 0), utc(2026, 1, 5, 0), "2026-W01");
	parses("2026-W14", NULL, utc(2026, 3, 30, 0), utc(2026, 4, 6, 0), "2026-W14");
	/* A year starting on a Thursday has 53 weeks; 2027-W01 starts Monday 4 January. */
	parses("2026-W53", NULL, utc(2026, 12, 28, 0), utc(2027, 1, 4, 0), "2026-W53");
	refused("2026-W54", NULL, "ISO year 2026 has 53 weeks");
	/* 2025 starts on a Wednesday and is not a leap year: 52 weeks. */
	refused("2025-W53", NULL, "ISO year 2025 has 52 weeks");
	/* 2020 starts on a Wednesday and is a leap year: 53 weeks. */
	parses("2020-W53", NULL, utc(2020, 12, 28, 0), utc(2021, 1, 4, 0), "2020-W53");
	refused("2026-W00", NULL, "is not");
	refused("2026-W1", NULL, "is not");
	refused("2026-w01", NULL, "is not");
	/* 2027-W52, counted in a calendar with a fiscal year: weeks do not care. */
	parses("2027-W52", &fy, utc(2027, 12, 27, 0), utc(2028, 1, 3, 0), "2027-W52");
}

static void halves_and_fiscal_years(void **state)
{
	struct rb_period_cal apr = cal("", 4), jan = cal("", 1), oct = cal("", 10);
	struct rb_period_cal bad = cal("", 13);

	(void)state;
	parses("2026-H1", NULL, utc(2026, 1, 1, 0), utc(2026, 7, 1, 0), "2026-H1");
	parses("2026-H2", NULL, utc(2026, 7, 1, 0), utc(2027, 1, 1, 0), "2026-H2");
	/* Calendar halves and quarters stay calendar ones with a fiscal year. */
	parses("2026-H1", &apr, utc(2026, 1, 1, 0), utc(2026, 7, 1, 0), "2026-H1");
	parses("2026-Q2", &apr, utc(2026, 4, 1, 0), utc(2026, 7, 1, 0), "2026-Q2");
	refused("2026-H3", NULL, "is not");
	refused("2026-H0", NULL, "is not");
	/* FY2027 ends in 2027: from April 2026 with April as its first month. */
	parses("FY2027", &apr, utc(2026, 4, 1, 0), utc(2027, 4, 1, 0), "FY2027");
	parses("FY2027-Q1", &apr, utc(2026, 4, 1, 0), utc(2026, 7, 1, 0), "FY2027-Q1");
	parses("FY2027-Q4", &apr, utc(2027, 1, 1, 0), utc(2027, 4, 1, 0), "FY2027-Q4");
	parses("FY2027-H2", &apr, utc(2026, 10, 1, 0), utc(2027, 4, 1, 0), "FY2027-H2");
	parses("FY2027", &oct, utc(2026, 10, 1, 0), utc(2027, 10, 1, 0), "FY2027");
	/* From January (or unset) the fiscal year is the calendar year of its name. */
	parses("FY2027", &jan, utc(2027, 1, 1, 0), utc(2028, 1, 1, 0), "FY2027");
	parses("FY2027", NULL, utc(2027, 1, 1, 0), utc(2028, 1, 1, 0), "FY2027");
	refused("FY1969", NULL, "years run from 1970 to 9999");
	/* FY1970 from April starts in April 1969: before what rbaudit counts. */
	refused("FY1970", &apr, "starts at 1969-04-01T00:00:00Z, before 1970");
	parses("FY1970", &jan, utc(1970, 1, 1, 0), utc(1971, 1, 1, 0), "FY1970");
	refused("FY2027-Q5", &apr, "is not");
	refused("FY2027-H3", &apr, "is not");
	refused("FY27", &apr, "is not");
	refused("FY20270", &apr, "is not");
	refused("fy2027", &apr, "is not");
	refused("2026-01", &bad, "first month is 1 to 12, not 13");
	bad.fy_first_month = -1;
	refused("2026-01", &bad, "first month is 1 to 12, not -1");
}

static void edges(void **state)
{
	(void)state;
	/* 9999-12 ends at the first instant of year 10000. */
	parses("9999-12", NULL, utc(9999, 12, 1, 0), utc(10000, 1, 1, 0), "9999-12");
	parses("9999", NULL, utc(9999, 1, 1, 0), utc(10000, 1, 1, 0), "9999");
	/* ISO year 9999 has 52 weeks (Python: date.fromisocalendar(9999, 52, 1)). */
	parses("9999-W52", NULL, utc(9999, 12, 27, 0), utc(10000, 1, 3, 0), "9999-W52");
	refused("9999-W53", NULL, "ISO year 9999 has 52 weeks");
	/* 1970-W01 starts on Monday 1969-12-29: refused, not clipped. */
	refused("1970-W01", NULL, "starts at 1969-12-29T00:00:00Z, before 1970");
	parses("1970-W02", NULL, utc(1970, 1, 5, 0), utc(1970, 1, 12, 0), "1970-W02");
	parses("1970-01", NULL, 0, utc(1970, 2, 1, 0), "1970-01");
	refused("1969-12", NULL, "years run from 1970 to 9999");
	refused("0000", NULL, "years run from 1970 to 9999");
	refused("10000-01", NULL, "is not");
	/* 29 February: leap years by the Gregorian rule. */
	parses("2024-02", NULL, utc(2024, 2, 1, 0), utc(2024, 3, 1, 0), "2024-02");
	assert_int_equal(utc(2024, 3, 1, 0) - utc(2024, 2, 1, 0), 29 * 86400);
	parses("2024-02-29..2024-03-01", NULL, utc(2024, 2, 29, 0), utc(2024, 3, 1, 0),
	       "2024-02-29..2024-03-01");
	refused("2026-02-29..2026-03-01", NULL, "is not");
	refused("2100-02-29..2100-03-01", NULL, "is not");
	parses("2000-02-29..2000-03-01", NULL, utc(2000, 2, 29, 0), utc(2000, 3, 1, 0),
	       "2000-02-29..2000-03-01");
	refused("2026-03-01..2026-03-01", NULL, "start before end");
	refused("", NULL, "is not");
	refused("2026-13", NULL, "is not");
	refused("2026-Q0", NULL, "is not");
	refused("2026-03\n", NULL, "is not");
}

static void every_kind_steps_back(void **state)
{
	struct rb_period_cal apr = cal("", 4);
	struct rb_period p;
	struct rb_err e;
	int i;

	(void)state;
	steps_back("2026-01", NULL, utc(2025, 12, 1, 0), utc(2026, 1, 1, 0), "2025-12");
	steps_back("2026-Q1", NULL, utc(2025, 10, 1, 0), utc(2026, 1, 1, 0), "2025-Q4");
	steps_back("2026-H1", NULL, utc(2025, 7, 1, 0), utc(2026, 1, 1, 0), "2025-H2");
	steps_back("2026-H2", NULL, utc(2026, 1, 1, 0), utc(2026, 7, 1, 0), "2026-H1");
	steps_back("2026", NULL, utc(2025, 1, 1, 0), utc(2026, 1, 1, 0), "2025");
	/* Weeks across years: 2025 has 52 weeks, 2020 has 53. */
	steps_back("2026-W01", NULL, utc(2025, 12, 22, 0), utc(2025, 12, 29, 0), "2025-W52");
	steps_back("2021-W01", NULL, utc(2020, 12, 28, 0), utc(2021, 1, 4, 0), "2020-W53");
	steps_back("2026-W14", NULL, utc(2026, 3, 23, 0), utc(2026, 3, 30, 0), "2026-W13");
	steps_back("FY2027", &apr, utc(2025, 4, 1, 0), utc(2026, 4, 1, 0), "FY2026");
	steps_back("FY2027-Q1", &apr, utc(2026, 1, 1, 0), utc(2026, 4, 1, 0), "FY2026-Q4");
	steps_back("FY2027-H1", &apr, utc(2025, 10, 1, 0), utc(2026, 4, 1, 0), "FY2026-H2");
	steps_back("2026-08-10..2026-08-20", NULL, utc(2026, 7, 31, 0), utc(2026, 8, 10, 0),
		   "2026-07-31..2026-08-10");
	/* Back from 1970 the trend goes on into 1969, named as ever. */
	steps_back("1970-01", NULL, utc(1969, 12, 1, 0), utc(1970, 1, 1, 0), "1969-12");
	steps_back("1970-W02", NULL, utc(1969, 12, 29, 0), utc(1970, 1, 5, 0), "1970-W01");
	/* last-month on 2026-11-26 is 2026-10; before it, 2026-09. */
	assert_int_equal(rb_period_parse("last-month", utc(2026, 11, 26, 0), &p, &e), 0);
	assert_string_equal(p.name, "2026-10");
	rb_period_prev(&p, &p);
	assert_string_equal(p.name, "2026-09");
	assert_int_equal(p.start, utc(2026, 9, 1, 0));
	/* Twelve weeks back from 2026-W02 land in 2025-W42, each seven days before. */
	assert_int_equal(rb_period_parse("2026-W02", 0, &p, &e), 0);
	for (i = 0; i < 12; i++) {
		int64_t start = p.start;

		rb_period_prev(&p, &p);
		assert_int_equal(p.end, start);
		assert_int_equal(p.end - p.start, 7 * 86400);
	}
	assert_string_equal(p.name, "2025-W42");
}

static void time_zones(void **state)
{
	struct rb_period_cal ber = cal("Europe/Berlin", 0), ny = cal("America/New_York", 0),
			     tok = cal("Asia/Tokyo", 0), ber_apr = cal("Europe/Berlin", 4),
			     u = cal("UTC", 0);
	struct rb_period p;
	struct rb_err e;

	(void)state;
	if (!have_zone("Europe/Berlin") || !have_zone("America/New_York") ||
	    !have_zone("Asia/Tokyo")) {
		skip();
		return;
	}
	/* CET is UTC+1 until 29 March 2026 01:00Z, then CEST, UTC+2. */
	parses("2026-03", &ber, utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), "2026-03");
	steps_back("2026-03", &ber, utc(2026, 1, 31, 23), utc(2026, 2, 28, 23), "2026-02");
	/* 29 March has 23 hours in Berlin, 25 October 25. */
	parses("2026-03-29..2026-03-30", &ber, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22),
	       "2026-03-29..2026-03-30");
	parses("2026-10-25..2026-10-26", &ber, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23),
	       "2026-10-25..2026-10-26");
	steps_back("2026-03-29..2026-04-01", &ber, utc(2026, 3, 25, 23), utc(2026, 3, 28, 23),
		   "2026-03-26..2026-03-29");
	parses("2026-W14", &ber, utc(2026, 3, 29, 22), utc(2026, 4, 5, 22), "2026-W14");
	steps_back("2026-W01", &ber, utc(2025, 12, 21, 23), utc(2025, 12, 28, 23), "2025-W52");
	parses("FY2027", &ber_apr, utc(2026, 3, 31, 22), utc(2027, 3, 31, 22), "FY2027");
	steps_back("FY2027-Q1", &ber_apr, utc(2025, 12, 31, 23), utc(2026, 3, 31, 22),
		   "FY2026-Q4");
	parses("2026-H2", &ber, utc(2026, 6, 30, 22), utc(2026, 12, 31, 23), "2026-H2");
	/* New York: EDT (UTC-4) until 1 November 2026 02:00, then EST (UTC-5). */
	parses("2026-11", &ny, utc(2026, 11, 1, 4), utc(2026, 12, 1, 5), "2026-11");
	/* West of UTC, 9999-12 ends in year 10000's first hours. */
	parses("9999-12", &ny, utc(9999, 12, 1, 5), utc(10000, 1, 1, 5), "9999-12");
	/* Tokyo is UTC+9: its 1970 starts in 1969 in UTC, refused. */
	refused("1970", &tok, "starts at 1969-12-31T15:00:00Z, before 1970");
	parses("1970-02", &tok, utc(1970, 1, 31, 15), utc(1970, 2, 28, 15), "1970-02");
	/* last-month at 2026-10-31T23:30Z: still October in UTC, November in Berlin. */
	assert_int_equal(rb_period_parse_cal("last-month", utc(2026, 10, 31, 23) + 1800, &u, &p,
					     &e), 0);
	assert_string_equal(p.name, "2026-09");
	assert_string_equal(p.cal.tz, "");
	assert_int_equal(rb_period_parse_cal("last-month", utc(2026, 10, 31, 23) + 1800, &ber,
					     &p, &e), 0);
	assert_string_equal(p.name, "2026-10");
	assert_int_equal(p.start, utc(2026, 9, 30, 22));
	assert_string_equal(p.cal.tz, "Europe/Berlin");
	assert_int_equal(p.cal.fy_first_month, 1);
}

/* A zone that skips midnight, and one that has it twice. */
static void midnights_a_zone_skips_or_repeats(void **state)
{
	struct rb_period_cal hav = cal("America/Havana", 0);

	(void)state;
	if (!have_zone("America/Havana")) {
		skip();
		return;
	}
	/* Past years only: a zone's future rules change with tzdata releases (Cuba's
	 * 2026 rules did between Debian's tzdata 2025b and 2026f). */
	/* 8 March 2015: Cuba's clocks go from 00:00 CST (UTC-5) to 01:00 CDT, so the
	 * day has no midnight and starts at the change, 05:00Z; 23 hours. */
	parses("2015-03-08..2015-03-09", &hav, utc(2015, 3, 8, 5), utc(2015, 3, 9, 4),
	       "2015-03-08..2015-03-09");
	/* 1 November 2015: from 01:00 CDT back to 00:00 CST; midnight comes twice
	 * and the day starts at the first, 04:00Z; 25 hours. */
	parses("2015-11-01..2015-11-02", &hav, utc(2015, 11, 1, 4), utc(2015, 11, 2, 5),
	       "2015-11-01..2015-11-02");
	parses("2015-03", &hav, utc(2015, 3, 1, 5), utc(2015, 4, 1, 4), "2015-03");
}

static void zone_names(void **state)
{
	static const char *bad[] = { "../etc/passwd", "Mars/Olympus", "/etc/localtime",
				     "/usr/share/zoneinfo/Europe/Berlin", "Europe", "zone.tab",
				     "Europe/../Europe/Berlin", "Europe/Berlin ", "CET-1CEST",
				     ".", "Europe//", "Europe/Berlin\n", "$HOME" };
	struct rb_err e;
	struct rb_period_cal c;
	char longname[80];
	size_t i;

	(void)state;
	assert_int_equal(rb_period_tz_check("", &e), 0);
	assert_int_equal(rb_period_tz_check("UTC", &e), 0);
	c = cal("UTC", 0);
	parses("2026-03", &c, utc(2026, 3, 1, 0), utc(2026, 4, 1, 0), "2026-03");
	if (have_zone("Europe/Berlin"))
		assert_int_equal(rb_period_tz_check("Europe/Berlin", &e), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (rb_period_tz_check(bad[i], &e) != -1)
			fail_msg("zone '%s' was accepted", bad[i]);
		assert_int_equal(e.code, RB_EX_USAGE);
	}
	assert_int_equal(rb_period_tz_check("Mars/Olympus", &e), -1);
	assert_non_null(strstr(e.msg, "unknown time zone 'Mars/Olympus'"));
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(rb_period_tz_check(longname, &e), -1);
	c = cal("Mars/Olympus", 0);
	refused("2026-03", &c, "unknown time zone 'Mars/Olympus'");
	c = cal("../etc/passwd", 0);
	refused("2026-03", &c, "not a zone name");
}

/* Counting in a zone leaves TZ as it found it, set or not. */
static void tz_is_put_back(void **state)
{
	struct rb_period_cal ber = cal("Europe/Berlin", 0);
	struct rb_period p;
	struct rb_err e;

	(void)state;
	if (!have_zone("Europe/Berlin")) {
		skip();
		return;
	}
	assert_int_equal(setenv("TZ", "Asia/Kolkata", 1), 0);
	assert_int_equal(rb_period_parse_cal("2026-03", 0, &ber, &p, &e), 0);
	rb_period_prev(&p, &p);
	assert_string_equal(getenv("TZ"), "Asia/Kolkata");
	assert_int_equal(unsetenv("TZ"), 0);
	assert_int_equal(rb_period_parse_cal("2026-03", 0, &ber, &p, &e), 0);
	assert_null(getenv("TZ"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iso_weeks),
		cmocka_unit_test(halves_and_fiscal_years),
		cmocka_unit_test(edges),
		cmocka_unit_test(every_kind_steps_back),
		cmocka_unit_test(time_zones),
		cmocka_unit_test(midnights_a_zone_skips_or_repeats),
		cmocka_unit_test(zone_names),
		cmocka_unit_test(tz_is_put_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
