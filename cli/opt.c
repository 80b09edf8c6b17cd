/* opt.c - the table-driven option parser of every command (opt.h). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"

/* The help text's column: option and placeholder to its left. */
#define HELP_COL 22

/* A number as a person writes it: 100000, not 1e+05. */
static void fmt_num(double v, char *buf, size_t n)
{
	if (v == floor(v) && fabs(v) < 1e16)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%g", v);
}

/* The option of c that "--name" (or a unique prefix of it) names, or NULL. */
static const struct cli_opt *find_opt(const struct cli_cmd *c, const char *arg)
{
	const struct cli_opt *hit = NULL;
	size_t n = strcspn(arg, "="), i, hits = 0;

	for (i = 0; c->opts[i].name != NULL; i++) {
		if (strncmp(c->opts[i].name, arg, n) != 0)
			continue;
		if (strlen(c->opts[i].name) == n)
			return &c->opts[i];
		hit = &c->opts[i];
		hits++;
	}
	return hits == 1 ? hit : NULL;
}

/* The usage error for what getopt_long could not take: argv[optind - 1]. */
static int bad_option(const struct cli_cmd *c, int argc, char **argv, struct rb_err *e)
{
	const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : NULL;
	const struct cli_opt *o;

	if (arg != NULL && strncmp(arg, "--", 2) == 0) {
		o = find_opt(c, arg + 2);
		if (o != NULL && o->kind != CLI_FLAG && strchr(arg, '=') == NULL)
			return cli_usage(e, c->name, "--%s needs a value", o->name);
		return cli_usage(e, c->name, "unknown option '%.60s'", arg);
	}
	if (optopt > ' ' && optopt < 127)
		return cli_usage(e, c->name, "unknown option '-%c'", optopt);
	return cli_usage(e, c->name, "unknown option '%.60s'", arg != NULL ? arg : "");
}

/* A whole number in [o->min, o->max]. */
static int whole(const struct cli_cmd *c, const struct cli_opt *o, const char *v,
		 long long *out, struct rb_err *e)
{
	char lo[32], hi[32], *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if ((v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9'))
		if (*end == '\0' && errno == 0 && (double)n >= o->min && (double)n <= o->max) {
			*out = n;
			return 0;
		}
	fmt_num(o->min, lo, sizeof(lo));
	fmt_num(o->max, hi, sizeof(hi));
	if (o->kind == CLI_SECONDS)
		return cli_usage(e, c->name, "--%s takes whole seconds from %s to %s, not '%.40s'",
				 o->name, lo, hi, v);
	return cli_usage(e, c->name, "--%s takes a whole number from %s to %s, not '%.40s'",
			 o->name, lo, hi, v);
}

static int decimal(const struct cli_cmd *c, const struct cli_opt *o, const char *v,
		   double *out, struct rb_err *e)
{
	char lo[32], hi[32], *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (((v[0] >= '0' && v[0] <= '9') || v[0] == '-' || v[0] == '.') && *end == '\0' &&
	    errno == 0 && d >= o->min && d <= o->max) {
		*out = d;
		return 0;
	}
	fmt_num(o->min, lo, sizeof(lo));
	fmt_num(o->max, hi, sizeof(hi));
	return cli_usage(e, c->name, "--%s takes a number from %s to %s, not '%.40s'", o->name,
			 lo, hi, v);
}

/* One option's value into its destination. */
static int take(const struct cli_cmd *c, const struct cli_opt *o, const char *v,
		struct rb_err *e)
{
	long long n = 0;

	switch (o->kind) {
	case CLI_FLAG:
		*(int *)o->dest = 1;
		break;
	case CLI_STR:
		*(const char **)o->dest = v;
		break;
	case CLI_STRS: {
		struct cli_strs *s = o->dest;

		if (s->n == CLI_STRS_MAX)
			return cli_usage(e, c->name, "--%s can be given at most %d times", o->name,
					 CLI_STRS_MAX);
		s->v[s->n++] = v;
		break;
	}
	case CLI_INT:
	case CLI_U64:
	case CLI_SECONDS:
		if (whole(c, o, v, &n, e) != 0)
			return -1;
		if (o->kind == CLI_INT)
			*(int *)o->dest = (int)n;
		else if (o->kind == CLI_U64)
			*(uint64_t *)o->dest = (uint64_t)n;
		else
			*(int *)o->dest = (int)n * 1000;
		break;
	case CLI_NUMBER:
		return decimal(c, o, v, o->dest, e);
	case CLI_MONTH: {
		struct rb_period p;
		struct rb_err pe;

		if (rb_period_parse(v, 0, &p, &pe) != 0 || p.kind != RB_P_MONTH ||
		    strlen(v) != 7)
			return cli_usage(e, c->name, "--%s takes a month, YYYY-MM, not '%.40s'",
					 o->name, v);
		*(struct rb_period *)o->dest = p;
		break;
	}
	case CLI_TZ: {
		struct rb_period_cal *cal = o->dest;
		struct rb_err te;

		if (rb_period_tz_check(v, &te) != 0)
			return cli_usage(e, c->name, "--%s: %s", o->name, te.msg);
		snprintf(cal->tz, sizeof(cal->tz), "%s", v);
		break;
	}
	case CLI_TIME:
		if (rb_time_parse(v, strlen(v), o->dest) != 0)
			return cli_usage(e, c->name, "--%s takes an RFC 3339 UTC time like "
					 "2026-08-01T00:00:00Z, not '%.40s'", o->name, v);
		break;
	}
	return 0;
}

int cli_parse(const struct cli_cmd *c, int argc, char **argv, int *argi, struct rb_err *e)
{
	struct option lo[CLI_OPTS_MAX + 2];
	size_t n;
	int ch;

	for (n = 0; c->opts[n].name != NULL; n++) {
		if (n == CLI_OPTS_MAX)
			return RB_ERR(e, RB_EX_SOFTWARE, "%s: too many options", c->name);
		lo[n].name = c->opts[n].name;
		lo[n].has_arg = c->opts[n].kind == CLI_FLAG ? no_argument : required_argument;
		lo[n].flag = NULL;
		lo[n].val = 256 + (int)n;
	}
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, c->stop_at_operand ? "+:h" : ":h", lo, NULL)) != -1) {
		const struct cli_opt *o;

		if (ch == 'h') {
			cli_help(c, stdout);
			return 1;
		}
		if (ch < 256 || (size_t)(ch - 256) >= n)
			return bad_option(c, argc, argv, e);
		o = &c->opts[ch - 256];
		/* "--db --period X": --db was given no value. */
		if (o->kind != CLI_FLAG && optarg == argv[optind - 1] &&
		    strncmp(optarg, "--", 2) == 0 && optarg[2] != '\0')
			return cli_usage(e, c->name, "--%s needs a value (it is followed by the "
					 "option '%.40s')", o->name, optarg);
		if (take(c, o, optarg, e) != 0)
			return -1;
		if (o->given != NULL)
			*o->given = 1;
	}
	*argi = optind;
	return 0;
}

/* One option's help line(s). */
static void help_line(const struct cli_opt *o, FILE *f)
{
	char left[80];
	const char *h = o->help != NULL ? o->help : "", *nl;
	int len;

	len = snprintf(left, sizeof(left), "  --%s%s%s", o->name, o->arg != NULL ? " " : "",
		       o->arg != NULL ? o->arg : "");
	fputs(left, f);
	if (len < HELP_COL)
		fprintf(f, "%*s", HELP_COL - len, "");
	else
		fputc(' ', f);
	while ((nl = strchr(h, '\n')) != NULL) {
		fprintf(f, "%.*s\n%*s", (int)(nl - h), h, HELP_COL, "");
		h = nl + 1;
	}
	fprintf(f, "%s\n", h);
}

void cli_help(const struct cli_cmd *c, FILE *f)
{
	size_t i;

	fputs(c->usage, f);
	if (c->about != NULL)
		fprintf(f, "\n%s", c->about);
	fputc('\n', f);
	for (i = 0; c->opts[i].name != NULL; i++)
		help_line(&c->opts[i], f);
	help_line(&(struct cli_opt){ "help", CLI_FLAG, NULL, NULL, "print this help and exit",
				     0, 0, NULL }, f);
	if (c->tail != NULL)
		fprintf(f, "\n%s", c->tail);
}
