/*
 * stored.h - the check every stage runs before it uses stored entries: the
 * rows are the payloads bound to the stored, signed checkpoint.
 *
 * For one ledger, the check proves, from the database alone (and the
 * trust store, for the checkpoint's signature), that
 *   - the ledger's stored checkpoint is of this ledger, its size and root are
 *     the ledger row's, and (with a trust store) it is signed by a trusted
 *     key with role checkpoint;
 *   - the rows are seq base_seq .. size-1, each exactly once;
 *   - each row's leaf is SHA-256(0x00 || its payload), and the leaves, from
 *     the stored frontier at base_seq, fold to the checkpoint's root;
 *   - every column the analysis reads is what the row's payload says: seq,
 *     time, time_s, time_ns, event, actor, rollback_id, change_id,
 *     incident_id, service, environment;
 *   - counted is 1 exactly for the first rollback.requested, .executed and
 *     .closed of a rollback, the first incident.detected of an incident and
 *     the first change.deployed of a change (and for every other entry).
 * What it does not prove is the entries' own signatures (and so the
 * countersigner column): payloads are bound to the checkpoint by hashes,
 * which is what the stages need; `rbaudit check` verifies the signatures.
 *
 * The rows are read in chunks, in parallel, on connections of the check's
 * own.  Nothing is written and nothing is kept.
 */
#ifndef RB_STORED_H
#define RB_STORED_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "trust.h"

struct rb_stored_result {
	int64_t entries;                /* rows checked */
	int checkpoint_signed;          /* 1: the signature was checked under the trust store */
};

/*
 * The counted marks the three id indexes give for the entries base..size-1
 * of a ledger, read in (id, event, seq) order (no sort): want[seq - base]
 * is 0 for a repeat of rollback.requested, .executed or .closed of a
 * rollback, of incident.detected of an incident and of change.deployed of
 * a change, 1 for every other entry.  want holds size - base bytes.
 */
int rb_stored_counted(sqlite3 *db, int64_t ledger_id, int64_t base, int64_t size,
		      uint8_t *want, struct rb_err *e);

/*
 * The check of ledger ledger_id of the database at path, on threads of its
 * own while the caller goes on: one read connection per CPU, its readers at
 * the lowest CPU priority (docs/ARCHITECTURE.md); trust, when not NULL,
 * checks the checkpoint's signature.  rb_stored_start returns at once (-1
 * only when nothing could be started).  rb_stored_join takes the chunks
 * still left at the caller's priority, waits, and returns 0 when
 * everything above holds; otherwise -1 with RB_EX_FAIL and a message naming
 * the table, the ledger, the seq and what disagrees (the first
 * disagreement in seq order), or another code when the rows could not be
 * read.  It frees the job.  Every started job must be joined.
 */
typedef struct rb_stored_job rb_stored_job;

int rb_stored_start(const char *path, int64_t ledger_id, const rb_trust *trust, int busy_ms,
		    rb_stored_job **out, struct rb_err *e);
int rb_stored_join(rb_stored_job *j, struct rb_stored_result *res, struct rb_err *e);

#endif
