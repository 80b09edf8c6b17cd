/*
 * period.h - analysis periods: half-open UTC intervals [start, end).
 *
 * Accepted forms: YYYY-MM, YYYY-Qn, YYYY, YYYY-MM-DD..YYYY-MM-DD and
 * last-month (the last complete calendar month before now).  Plain data.
 *
 * Also (issue 22) YYYY-Www (ISO 8601 week), YYYY-Hn (calendar half),
 * FYyyyy (the fiscal year ending in yyyy when it starts after January),
 * FYyyyy-Qn and FYyyyy-Hn (its quarters and halves); YYYY-Qn and YYYY-Hn
 * stay calendar quarters and halves whatever the fiscal year.  Names give
 * years 1970 to 9999, and a period starts at or after 1970-01-01T00:00:00Z
 * (1970-W01, which starts 1969-12-29, is refused); 9999-12 ends at
 * 10000-01-01T00:00:00Z.  In a time zone, a period runs from the local
 * midnight of its first day to the local midnight of the day after its last
 * (a day that skips midnight starts when it begins, at the transition).
 * Counting in a zone sets TZ for the call (and puts it back): not while
 * other threads read the environment or local time.
 */
#ifndef RB_PERIOD_H
#define RB_PERIOD_H

#include <stdint.h>

#include "lib/err.h"

enum rb_period_kind { RB_P_MONTH, RB_P_QUARTER, RB_P_YEAR, RB_P_RANGE, RB_P_WEEK,
		      RB_P_HALF, RB_P_FISCAL, RB_P_FISCAL_QUARTER, RB_P_FISCAL_HALF };

/*
 * How an organisation counts its periods: the time zone their boundaries
 * are midnights of (an IANA name of the system's tzdata, "Europe/Berlin";
 * "" is UTC) and the first month of its fiscal year (1..12; 0 is 1).
 */
struct rb_period_cal {
	char tz[64];
	int fy_first_month;
};

struct rb_period {
	enum rb_period_kind kind;
	int64_t start, end;     /* Unix seconds */
	char name[48];
	struct rb_period_cal cal;       /* what start and end were counted in */
};

/* Parse text; now (Unix seconds) resolves last-month.  RB_EX_USAGE on error. */
int rb_period_parse(const char *text, int64_t now, struct rb_period *p, struct rb_err *e);

/*
 * rb_period_parse counted in cal (NULL: UTC, fiscal years from January):
 * also YYYY-Www (ISO 8601 week), YYYY-Hn (half) and FYyyyy (the fiscal year
 * that ends in yyyy, as organisations name it).  An unknown time zone is
 * RB_EX_USAGE.
 */
int rb_period_parse_cal(const char *text, int64_t now, const struct rb_period_cal *cal,
			struct rb_period *p, struct rb_err *e);

/*
 * The period of the same kind just before p, counted in p's calendar
 * (p->cal); prev may be p.  A range steps back by its number of days.
 */
void rb_period_prev(const struct rb_period *p, struct rb_period *prev);

/*
 * Is tz a time zone of the system's tzdata: "" or "UTC" (UTC), or a name
 * whose file under $TZDIR (default /usr/share/zoneinfo) is a TZif file;
 * no "..", no leading '/', shorter than rb_period_cal.tz.  0, or -1 with
 * RB_EX_USAGE naming it.
 */
int rb_period_tz_check(const char *tz, struct rb_err *e);

/* A fiscal year's period (FYyyyy, FYyyyy-Qn, FYyyyy-Hn): its interval depends on
 * cal.fy_first_month, which an analysis of it records. */
int rb_period_is_fiscal(enum rb_period_kind kind);

/* The analysis document's members saying in which calendar it was counted,
 * present only when not UTC and not a fiscal year from January. */
#define RB_PERIOD_TZ_MEMBER "time_zone"
#define RB_PERIOD_FY_MEMBER "fiscal_year_start_month"

#endif
