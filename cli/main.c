/*
 * main.c - the rbaudit command line: pick a subcommand, run it, print its
 * error and map it to the exit status.  Nothing else happens here.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef RB_VERSION
#define RB_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **, struct rb_err *);
	const char *what;
} commands[] = {
	{ "keygen", cmd_keygen, "make an Ed25519 key pair and its trust-store entry" },
	{ "keys", cmd_keys, "add, list and revoke keys in a trust store" },
	{ "seal", cmd_seal, "sign events into a ledger export (producer side)" },
	{ "verify", cmd_verify, "verify ledger exports offline" },
	{ "ingest", cmd_ingest, "verify exports and store them in the database" },
	{ "check", cmd_check, "verify everything stored again, against the trust store" },
	{ "analyze", cmd_analyze, "metrics, findings and scores of a period" },
	{ "report", cmd_report, "PDF, XLSX and JSON reports from a stored analysis" },
	{ "verify-report", cmd_verify_report, "check a report folder's signed MANIFEST" },
	{ "run", cmd_run, "the scheduled job: ingest, analyse, report" },
	{ "sample", cmd_sample, "write a seeded sample organisation's ledger" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: rbaudit COMMAND [OPTIONS] [ARGS]\n"
		   "       rbaudit COMMAND --help   (or: rbaudit help COMMAND)\n"
		   "       rbaudit --version\n\n"
		   "Rollback audit: verify signed ledger exports of rollback events,\n"
		   "analyse them and report.\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\nSee rbaudit(1) for options, files and exit status.\n");
}

int cli_usage(struct rb_err *e, const char *cmd, const char *fmt, ...)
{
	char m[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return RB_ERR(e, RB_EX_USAGE, "%s: %s (see 'rbaudit %s --help')", cmd, m, cmd);
}

/* The option of opts that arg ("--name", or a unique prefix of it) names, or NULL. */
static const struct option *long_option(const struct option *opts, const char *arg)
{
	const struct option *hit = NULL;
	size_t n = strcspn(arg, "="), i, hits = 0;

	for (i = 0; opts[i].name != NULL; i++) {
		if (strncmp(opts[i].name, arg, n) != 0)
			continue;
		if (strlen(opts[i].name) == n)
			return &opts[i];
		hit = &opts[i];
		hits++;
	}
	return hits == 1 ? hit : NULL;
}

int cli_bad_option(struct rb_err *e, const char *cmd, const struct option *opts, int argc,
		   char **argv)
{
	const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : NULL;
	const struct option *o;

	if (arg != NULL && strncmp(arg, "--", 2) == 0) {
		o = long_option(opts, arg + 2);
		if (o != NULL && o->has_arg == required_argument && strchr(arg, '=') == NULL)
			return cli_usage(e, cmd, "--%s needs a value", o->name);
		return cli_usage(e, cmd, "unknown option '%.60s'", arg);
	}
	if (optopt > ' ' && optopt < 127)
		return cli_usage(e, cmd, "unknown option '-%c'", optopt);
	return cli_usage(e, cmd, "unknown option '%.60s'", arg != NULL ? arg : "");
}

int cli_seconds(const char *cmd, const char *opt, const char *arg, long *secs,
		struct rb_err *e)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 0 || v > 86400)
		return cli_usage(e, cmd, "%s takes seconds from 0 to 86400", opt);
	*secs = v;
	return 0;
}

int cli_jobs(const char *arg, int *jobs, struct rb_err *e)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 1 || v > 256)
		return RB_ERR(e, RB_EX_USAGE, "--jobs takes a number from 1 to 256, not '%s'",
			      arg);
	*jobs = (int)v;
	return 0;
}

int cli_progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

/* The command argv[0] with its arguments: its exit status. */
static int run(int argc, char **argv)
{
	struct rb_err e;
	size_t i;
	int rc;

	rb_err_clear(&e);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		rc = commands[i].fn(argc, argv, &e);
		if (fflush(stdout) != 0 && rc >= 0) {
			fprintf(stderr, "rbaudit: cannot write to standard output\n");
			return RB_EX_IOERR;
		}
		if (rc < 0) {
			fprintf(stderr, "rbaudit: %s\n", e.msg);
			return e.code ? e.code : RB_EX_SOFTWARE;
		}
		return rc;
	}
	fprintf(stderr, "rbaudit: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return RB_EX_USAGE;
}

int main(int argc, char **argv)
{
	opterr = 0;             /* the commands say what is wrong (cli_bad_option) */
	if (argc < 2) {
		usage(stderr);
		return RB_EX_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 && argc >= 3) {
		/* rbaudit help COMMAND: the command's own --help. */
		static char help[] = "--help";
		char *hargv[] = { argv[2], help, NULL };

		return run(2, hargv);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return RB_EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("rbaudit %s\n", RB_VERSION);
		return RB_EX_OK;
	}
	return run(argc - 1, argv + 1);
}
