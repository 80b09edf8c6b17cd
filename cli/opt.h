/*
 * opt.h - one option parser for every command, driven by a table.
 *
 * A command describes itself with a struct cli_cmd: its name, usage
 * synopsis, a paragraph on what it does, its options and a closing text
 * (exit status).  Each option (struct cli_opt) has a name, a kind, the
 * caller's destination for its value, the value's placeholder and its help
 * line; numbers have a range.  cli_parse() reads argv against the table:
 * every value is checked and stored, numbers one way (a whole number, or a
 * decimal one for CLI_NUMBER, within its range), YYYY-MM through
 * lib/period, and a usage error names the option and what it takes
 * ("--sample takes a whole number from 0 to 100000, not 'x'").  The --help
 * text is made from the same table by cli_help(), so the two never differ.
 *
 * Destinations are the caller's and must outlive the parse; string values
 * point into argv.  Nothing here prints except cli_help().
 */
#ifndef RB_CLI_OPT_H
#define RB_CLI_OPT_H

#include <stddef.h>
#include <stdio.h>

#include "lib/err.h"
#include "lib/period.h"
#include "lib/rtime.h"

enum cli_kind {
	CLI_FLAG,       /* no value: *(int *)dest = 1 */
	CLI_STR,        /* *(const char **)dest = the value */
	CLI_STRS,       /* repeatable: appended to a struct cli_strs */
	CLI_INT,        /* a whole number in [min, max]: *(int *)dest */
	CLI_U64,        /* a whole number in [min, max]: *(uint64_t *)dest */
	CLI_NUMBER,     /* a decimal number in [min, max]: *(double *)dest */
	CLI_SECONDS,    /* whole seconds in [min, max]: *(int *)dest, in milliseconds */
	CLI_MONTH,      /* YYYY-MM: *(struct rb_period *)dest */
	CLI_TIME,       /* an RFC 3339 UTC time: *(struct rb_time *)dest */
	CLI_TZ,         /* a time zone of the system's tzdata (rb_period_tz_check):
			 * copied into (struct rb_period_cal *)dest->tz */
};

#define CLI_STRS_MAX 16

/* The values of a repeatable option, in the order given. */
struct cli_strs {
	const char *v[CLI_STRS_MAX];
	size_t n;
};

struct cli_opt {
	const char *name;       /* without the dashes; NULL ends a table */
	enum cli_kind kind;
	void *dest;
	const char *arg;        /* the value's placeholder in the help ("FILE") */
	const char *help;       /* its help text; '\n' starts an indented line */
	double min, max;        /* numbers */
	int *given;             /* optional: set to 1 when the option is given */
};

struct cli_cmd {
	const char *name;       /* "analyze" */
	const char *usage;      /* the synopsis, from "usage: " on, lines ending in '\n' */
	const char *about;      /* what it does: a paragraph, or NULL */
	const struct cli_opt *opts;
	const char *tail;       /* after the options (exit status), or NULL */
	int stop_at_operand;    /* options only before the first operand */
};

/* The most options a command has. */
#define CLI_OPTS_MAX 32

/*
 * Parse argv[1..argc) against c.  0: parsed, *argi is the index of the
 * first operand; 1: --help was given and the help printed on standard
 * output; -1: a usage error (RB_EX_USAGE) in *e.
 */
int cli_parse(const struct cli_cmd *c, int argc, char **argv, int *argi, struct rb_err *e);

/* The command's help: usage, about, one line per option, tail. */
void cli_help(const struct cli_cmd *c, FILE *f);

#endif
