/*
 * period.h - analysis periods: half-open UTC intervals [start, end).
 *
 * Accepted forms: YYYY-MM, YYYY-Qn, YYYY, YYYY-MM-DD..YYYY-MM-DD and
 * last-month (the last complete calendar month before now).  Plain data.
 */
#ifndef RB_PERIOD_H
#define RB_PERIOD_H

#include <stdint.h>

#include "lib/err.h"

enum rb_period_kind { RB_P_MONTH, RB_P_QUARTER, RB_P_YEAR, RB_P_RANGE };

struct rb_period {
	enum rb_period_kind kind;
	int64_t start, end;     /* Unix seconds */
	char name[48];
};

/* Parse text; now (Unix seconds) resolves last-month.  RB_EX_USAGE on error. */
int rb_period_parse(const char *text, int64_t now, struct rb_period *p, struct rb_err *e);

/* The period of the same kind just before p. */
void rb_period_prev(const struct rb_period *p, struct rb_period *prev);

#endif
