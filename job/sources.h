/*
 * sources.h - the job's sources (internal to job/): before the inbox is
 * ingested, each source of the job file imports what is new since its
 * state, and what it imported is sealed with the producer key into a new
 * export in the inbox, which the run then verifies and ingests like any
 * other (docs/IMPORT.md, "The monthly job"; docs/SECURITY.md on keeping the
 * producer key on the auditor's machine).
 *
 * Sources that share a seal state (and so a ledger and a key) are sealed
 * together: their new events merged in time order into one export, so that
 * the ledger's times do not run backwards from one source's export to the
 * next.  Order, so that nothing is lost: each source's events are imported
 * to a file beside its state, with the state's next version written beside
 * it too; the export is sealed (its READY file last); the ledger's seal
 * state is saved; and only then are the imports' next states renamed into
 * place.  A
 * failure before that leaves both states as they were (an export sealed
 * but whose seal state could not be saved is removed again), so the next
 * run imports the same events again.
 */
#ifndef RB_JOB_SOURCES_H
#define RB_JOB_SOURCES_H

#include <stdint.h>

#include "job.h"

/* What each source did: status "ok", "noop" (nothing new), "would" (dry run). */
typedef void (*rb_jsrc_note_fn)(void *ctx, const char *status, const char *detail);

/*
 * Import and seal every source of j.  now names the new exports
 * (import-YYYYMMDDTHHMMSSZ-N-SOURCES in the inbox: N the group's place,
 * SOURCES its sources joined by "+").  With dry, import to a
 * scratch file and say what would be sealed, changing nothing.  The count
 * of events sealed is added to *sealed.  Errors are the import's or seal's
 * (RB_EX_CONFIG for a key the trust store lacks), naming the source.
 */
int rb_jsrc_run(const struct rb_job *j, int64_t now, int dry, rb_jsrc_note_fn note, void *ctx,
		long long *sealed, struct rb_err *e);

#endif
