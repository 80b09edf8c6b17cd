/*
 * cli.h - the subcommands behind cli/main.c.
 *
 * Each cmd_* parses its options through its table (opt.h), does its work
 * through the stages' APIs and prints its results.  It returns an exit code
 * (enum rb_exit) on success or a found failure, or -1 with *e filled, which
 * main() prints.
 */
#ifndef RB_CLI_H
#define RB_CLI_H

#include <cjson/cJSON.h>

#include "lib/err.h"
#include "lib/trust.h"

int cmd_keygen(int argc, char **argv, struct rb_err *e);
int cmd_keys(int argc, char **argv, struct rb_err *e);
int cmd_seal(int argc, char **argv, struct rb_err *e);
int cmd_import(int argc, char **argv, struct rb_err *e);
int cmd_verify(int argc, char **argv, struct rb_err *e);
int cmd_ingest(int argc, char **argv, struct rb_err *e);
int cmd_sample(int argc, char **argv, struct rb_err *e);
int cmd_analyze(int argc, char **argv, struct rb_err *e);
int cmd_report(int argc, char **argv, struct rb_err *e);
int cmd_verify_report(int argc, char **argv, struct rb_err *e);
int cmd_run(int argc, char **argv, struct rb_err *e);
int cmd_check(int argc, char **argv, struct rb_err *e);
int cmd_proof(int argc, char **argv, struct rb_err *e);
int cmd_verify_proof(int argc, char **argv, struct rb_err *e);
int cmd_consistency(int argc, char **argv, struct rb_err *e);
int cmd_verify_consistency(int argc, char **argv, struct rb_err *e);
int cmd_cosign(int argc, char **argv, struct rb_err *e);
int cmd_show(int argc, char **argv, struct rb_err *e);
int cmd_search(int argc, char **argv, struct rb_err *e);
int cmd_compare(int argc, char **argv, struct rb_err *e);

/* Fill *e with a usage error naming the command; returns -1. */
int cli_usage(struct rb_err *e, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 1 when stderr is a terminal (progress is shown only then). */
int cli_progress_wanted(void);

/*
 * The stored history against trust store t (read from file store): when
 * the store is not the one the history was last checked against, verify
 * it all again and record the outcome (ingest/recheck.h), with progress on
 * a terminal.  Says what it found on standard output, or, when doc is set,
 * as its member "trust".  *found is 1 when this re-check found stored
 * entries that do not verify under t (0 when the store was unchanged).
 */
int cli_recheck(const char *cmd, const char *db, const rb_trust *t, const char *store,
		int jobs, int busy_ms, cJSON *doc, int *found, struct rb_err *e);

#endif
