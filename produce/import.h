/*
 * import.h - the producer side's importers (issue #20): the rollback
 * histories organisations already have, as events `rbaudit seal` takes.
 *
 * An import reads one source (a git repository; Helm, Argo CD, GitLab or
 * GitHub deployment histories; PagerDuty incidents: docs/IMPORT.md says
 * what each maps to what), keeps the events it makes in memory (git: a few
 * per rollback, not per commit, so memory does not grow with the history
 * walked; the JSON sources: their documents and events), sorts them (by time, then event, then key) and
 * writes them as one JSON object per line, {"time","event","actor",
 * "data"}, to a file (replaced whole) or standard output.  The same input
 * gives the same bytes.  With a state file, the events an earlier import
 * wrote (their keys, kept in the state) are left out and the state is
 * updated after the events are written, so that a monthly import writes
 * only what is new and a re-import never writes an event twice.
 *
 * What the importer cannot map (a revert of a commit that is not in the
 * repository, a reland of a change no rollback reverted, ...) is counted
 * by reason in the result, never dropped without a word.
 *
 * Ownership: the options are borrowed; the result is plain data.
 */
#ifndef RB_IMPORT_H
#define RB_IMPORT_H

#include <stddef.h>

#include "lib/err.h"

/* The sources, for usage messages. */
#define RB_IMPORT_SOURCES "git, helm, argocd, gitlab, github, pagerduty"

/* The most distinct reasons a result counts. */
#define RB_IMPORT_REASONS 16

struct rb_import_opts {
	const char *source;             /* git, helm, argocd, gitlab, github, pagerduty */
	const char *const *inputs;      /* git: the repository (one); others: files */
	size_t ninputs;
	const char *ref;                /* git: what to walk from; NULL: HEAD */
	const char *name;               /* helm: the release; gitlab: the project; github:
					   the repository; NULL: from the files */
	const char *const *incidents;   /* PagerDuty files linked to these deployments */
	size_t nincidents;
	const char *const *deployments; /* pagerduty: events files holding the deployments */
	size_t ndeployments;
	const char *map_path;           /* the mapping file; NULL: the defaults */
	const char *state_path;         /* read when it exists, written after; NULL */
	const char *out_path;           /* "-": standard output */
	/* Called now and then with the records read so far (git: commits); NULL none. */
	void (*progress)(void *ctx, long long scanned);
	void *progress_ctx;
};

struct rb_import_result {
	long long scanned;              /* records read (git: commits walked) */
	long long rollbacks;            /* rollbacks found */
	long long events;               /* events written */
	long long already;              /* events an earlier import wrote (state) */
	long long unmapped;             /* records that could not be mapped */
	struct {
		char reason[120];
		long long n;
	} why[RB_IMPORT_REASONS];       /* the unmapped, by reason */
	int nwhy;
};

/*
 * Run an import.  Errors: RB_EX_USAGE (an unknown source), RB_EX_NOINPUT
 * (an input missing or not a repository), RB_EX_DATAERR (an input that is
 * not the source's JSON, named with its line), RB_EX_CONFIG (a bad mapping
 * file, named with its member), RB_EX_DATAERR (a bad state file),
 * RB_EX_CANTCREAT / RB_EX_IOERR (the output).  On an error nothing is
 * written and the state file is as it was.
 */
int rb_import(const struct rb_import_opts *o, struct rb_import_result *res, struct rb_err *e);

#endif
