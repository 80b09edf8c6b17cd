/*
 * ingest.h - storing verified ledger exports in the database.
 *
 * An rb_ingest is one ingest run on one database.  Each export is verified
 * completely (ingest/verify.h) inside one write transaction; its new
 * entries and the ledger's new state are committed only when the export
 * has no error and agrees with the history already stored (else E_FORK,
 * E_GAP).  A rejected export, and one whose entries are all stored already
 * (a no-op), leave the database exactly as it was.
 *
 * Ownership: rb_ingest_open returns a session the caller ends with
 * rb_ingest_close (which records the end of the run; NULL accepted).
 * Each rb_ingest_export fills an outcome the caller frees with
 * rb_ingest_outcome_free.  The trust store is borrowed.
 */
#ifndef RB_INGEST_H
#define RB_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/verify.h"
#include "lib/err.h"
#include "lib/trust.h"

struct rb_ingest_opts {
	const char *db_path;
	const rb_trust *trust;
	int jobs;                       /* verifier threads; <= 0: online CPUs */
	int bootstrap;                  /* trust previous_checkpoint of a new ledger */
	int busy_ms;                    /* wait this long for the database lock */
	rb_vprogress_fn progress;       /* may be NULL */
	void *progress_ctx;
};

enum rb_verdict {
	RB_ACCEPTED = 0,                /* new entries stored */
	RB_NOOP,                        /* every entry already stored, identical */
	RB_REJECTED                     /* an E_ code: nothing stored */
};

struct rb_ingest_outcome {
	char *path;
	enum rb_verdict verdict;
	rb_vreport *report;             /* verification findings (owned) */
	int64_t new_first_seq;          /* first entry stored, -1 when none */
	uint64_t new_entries;
	int bootstrap;                  /* this ingest started the ledger mid-way */
	int64_t export_id;              /* its ingest_export row when accepted, else 0 */
	char *moved_to;                 /* set by rb_ingest_file_away */
};

typedef struct rb_ingest rb_ingest;

int rb_ingest_open(const struct rb_ingest_opts *o, rb_ingest **out, struct rb_err *e);

/*
 * Verify and store one export.  Returns 0 with *out filled whatever the
 * verdict; -1 only when the work could not be done (database busy:
 * RB_EX_TEMPFAIL; disk full or I/O: RB_EX_IOERR; ...), with the database
 * unchanged.
 */
int rb_ingest_export(rb_ingest *g, const char *dir, struct rb_ingest_outcome **out,
		     struct rb_err *e);

/* Record the end of the run (when it stored anything) and free g. */
int rb_ingest_close(rb_ingest *g, struct rb_err *e);

void rb_ingest_outcome_free(struct rb_ingest_outcome *o);

const char *rb_verdict_name(enum rb_verdict v);

/*
 * The export directories of an inbox, ordered by ledger and first_seq
 * (directories whose manifest cannot be read come last, by name).
 * *dirs is a malloc'd array of malloc'd paths; free with rb_strv_free.
 */
int rb_inbox_list(const char *inbox, char ***dirs, size_t *n, struct rb_err *e);
void rb_strv_free(char **v, size_t n);

/*
 * The export folders of an inbox, split into those that are whole and
 * those still being written.  A folder is whole when it holds a regular
 * file READY (the marker a producer writes last, docs/FORMATS.md), or when
 * neither it nor anything in it was modified within the last settle_s
 * seconds before now (Unix seconds); settle_s 0 takes every folder.  An
 * export that follows a waiting one of the same ledger waits too.
 * ready is ordered as for rb_inbox_list; waiting[i] (same order) is not
 * taken because of why[i].  All arrays and strings are malloc'd: free them
 * with rb_inbox_clear (NULL accepted).  -1 only when the inbox cannot be
 * read (RB_EX_NOINPUT) or memory runs out.
 */
struct rb_inbox {
	char **ready;
	size_t nready;
	char **waiting, **why;
	size_t nwaiting;
};

int rb_inbox_scan(const char *inbox, int settle_s, int64_t now, struct rb_inbox *ib,
		  struct rb_err *e);
void rb_inbox_clear(struct rb_inbox *ib);

/*
 * Move an export out of the inbox: an accepted or no-op one into archive
 * (when not NULL), a rejected one into quarantine (when not NULL) with a
 * REJECTED.json inside it listing every finding.  A name already taken
 * there gets a numeric suffix.  Sets o->moved_to.
 */
int rb_ingest_file_away(struct rb_ingest_outcome *o, const char *archive,
			const char *quarantine, struct rb_err *e);

#endif
