/*
 * stored.h - the check every stage runs before it uses stored entries: the
 * rows are the payloads bound to the stored, signed checkpoint.
 *
 * For one ledger, rb_stored_verify proves, from the database alone (and the
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
 * The rows are read in chunks on every connection given, in parallel on
 * the pool.  Nothing is written and nothing is kept: the caller owns
 * everything it passes.
 */
#ifndef RB_STORED_H
#define RB_STORED_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "pool.h"
#include "trust.h"

struct rb_stored_opts {
	sqlite3 *db;                    /* reads the ledger row and the id indexes */
	sqlite3 *const *readers;        /* read connections to the same database, one
					 * per thread: the pool's workers and the caller */
	size_t nreaders;                /* at least 1 */
	rb_pool *pool;                  /* nreaders - 1 workers; NULL when nreaders is 1 */
	int64_t ledger_id;
	const rb_trust *trust;          /* for the checkpoint's signature; NULL: not checked */
};

struct rb_stored_result {
	int64_t entries;                /* rows checked */
	int checkpoint_signed;          /* 1: the signature was checked under the trust store */
};

/*
 * 0 when everything above holds.  Otherwise -1 with RB_EX_FAIL and a
 * message naming the table, the ledger, the seq and what disagrees (the
 * first disagreement in seq order), or another code when the rows could
 * not be read.
 */
int rb_stored_verify(const struct rb_stored_opts *o, struct rb_stored_result *res,
		     struct rb_err *e);

/*
 * The same check on threads of its own, while the caller goes on: one read
 * connection to the database at path per CPU and a pool to run them.
 * rb_stored_start returns at once (-1 only when nothing could be started);
 * rb_stored_join waits, returns the check's outcome as rb_stored_verify
 * would, and frees the job.  Every started job must be joined.
 */
typedef struct rb_stored_job rb_stored_job;

/*
 * The counted marks the three id indexes give for the entries base..size-1
 * of a ledger, read in (id, event, seq) order (no sort): want[seq - base]
 * is 0 for a repeat of rollback.requested, .executed or .closed of a
 * rollback, of incident.detected of an incident and of change.deployed of
 * a change, 1 for every other entry.  want holds size - base bytes.
 */
int rb_stored_counted(sqlite3 *db, int64_t ledger_id, int64_t base, int64_t size,
		      uint8_t *want, struct rb_err *e);

int rb_stored_start(const char *path, int64_t ledger_id, const rb_trust *trust, int busy_ms,
		    rb_stored_job **out, struct rb_err *e);
int rb_stored_join(rb_stored_job *j, struct rb_stored_result *res, struct rb_err *e);

#endif
