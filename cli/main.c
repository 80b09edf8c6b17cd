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
#error "RB_VERSION is the Makefile's VERSION (-DRB_VERSION)"
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **, struct rb_err *);
	const char *what;
} commands[] = {
	{ "keygen", cmd_keygen, "make an Ed25519 key pair and its trust-store entry" },
	{ "keys", cmd_keys, "add, list and revoke keys in a trust store" },
	{ "import", cmd_import, "git history as events for seal (producer side)" },
	{ "seal", cmd_seal, "sign events into a ledger export (producer side)" },
	{ "verify", cmd_verify, "verify ledger exports offline" },
	{ "ingest", cmd_ingest, "verify exports and store them in the database" },
	{ "check", cmd_check, "verify everything stored again, against the trust store" },
	{ "analyze", cmd_analyze, "metrics, findings and scores of a period" },
	{ "report", cmd_report, "PDF, XLSX and JSON reports from a stored analysis" },
	{ "verify-report", cmd_verify_report, "check a report folder's signed MANIFEST" },
	{ "proof", cmd_proof, "tlog-proof files proving stored entries are in the log" },
	{ "verify-proof", cmd_verify_proof, "check tlog-proof files offline" },
	{ "consistency", cmd_consistency, "prove a newer checkpoint extends an older one" },
	{ "verify-consistency", cmd_verify_consistency, "check a consistency proof offline" },
	{ "cosign", cmd_cosign, "add a witness's cosignature to a checkpoint" },
	{ "show", cmd_show, "one rollback's whole record, from every stored analysis" },
	{ "search", cmd_search, "rollbacks by actor, service, team, finding, time, text" },
	{ "compare", cmd_compare, "two periods' metrics side by side, and what is new" },
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
