/*
 * notify.h - what the job hands to the tools people already watch
 * (internal to job/): the notify_command, run without a shell with the
 * run's summary on its standard input, and the OpenMetrics textfile,
 * copied from the report folder into node_exporter's folder atomically.
 *
 * Nothing here decides a run's exit code: the caller logs what went wrong
 * and carries on (docs/SECURITY.md, "The notify command").
 */
#ifndef RB_JOB_NOTIFY_H
#define RB_JOB_NOTIFY_H

#include <stddef.h>

#include "lib/err.h"

/* One line the command wrote (stdout and stderr, merged), without its newline. */
typedef void (*rb_jnotify_line_fn)(void *ctx, const char *line);

/* How the command ended. */
struct rb_jnotify_result {
	int status;             /* its exit status; -1 when it did not exit */
	int signal;             /* the signal that ended it, 0 none */
	int timed_out;          /* killed after timeout_s */
	size_t written;         /* bytes of input it read */
	int unread;             /* it exited (or closed its input) before reading it all */
	long lines_dropped;     /* output lines past the most logged */
};

/*
 * Run argv (argv[0] looked up in PATH when it holds no '/'; NULL-terminated)
 * in a process group of its own, input[0..len) on its standard input, its
 * standard output and error read line by line into line(ctx, ...), at most
 * timeout_s seconds: then the group is killed (SIGKILL).  The environment
 * is rbaudit's.  SIGPIPE is ignored while the input is written, so a
 * command that does not read it cannot end rbaudit.  0 when it exited 0;
 * -1 with *e saying why not (cannot be started, exited N, killed by a
 * signal, timed out), *out filled either way.
 */
int rb_jnotify_run(char *const argv[], int timeout_s, const char *input, size_t len,
		   rb_jnotify_line_fn line, void *ctx, struct rb_jnotify_result *out,
		   struct rb_err *e);

/*
 * Copy the period's OpenMetrics file of report folder dir (rbaudit-PERIOD.prom,
 * else its only *.prom) to dest, atomically: written to a temporary name in
 * dest's folder, synced, renamed over dest (so node_exporter never reads a
 * half-written file, and a failure leaves the old one), mode 0644.  The
 * name copied goes to from (size n).  -1 with *e: RB_EX_NOINPUT when dir
 * holds no such file, RB_EX_CANTCREAT when dest cannot be written.
 */
int rb_jtextfile_copy(const char *dir, const char *period, const char *dest, char *from,
		      size_t n, struct rb_err *e);

#endif
