/*
 * check.h - rbaudit check: everything stored, verified again, offline,
 * against the trust store as it is now.
 *
 * For each ledger of the database, every stored entry is rebuilt as the
 * DSSE envelope it came in (payloadType, the stored payload, the stored
 * signatures) and goes through the export verifier (ingest/verify.h): the
 * payload's strictness, its signatures under the trust store at the entry's
 * time (role, validity, revocation), seq, chain and tree.  Then what was
 * stored beside the payload is held against it (code E_STORED): the leaf
 * hash, every column the analysis reads (time, event, actor, ids, service,
 * environment, countersigner, whether a lifecycle event counts; a
 * countersigner whose countersignature no longer verifies is E_COUNTERSIG),
 * the root
 * of each ingested export and the ledger's size and root; and every stored
 * checkpoint is verified again: signature, origin, size and root, and the
 * ledger's newest one under the trust store's witnesses and witness policy.
 *
 * The database is only read.  The result is the caller's: rb_check_free.
 */
#ifndef RB_CHECK_H
#define RB_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/verify.h"
#include "lib/err.h"
#include "lib/trust.h"

struct rb_check_opts {
	const char *db_path;
	const rb_trust *trust;
	int jobs;                       /* threads for signatures; <= 0: all CPUs */
	int busy_ms;
	rb_vprogress_fn progress;       /* entries so far, all ledgers; may be NULL */
	void *progress_ctx;
	/*
	 * Called for every finding about signatures and keys, all of them (not
	 * only the 1000 a report keeps), with the ledger's id: E_SIG,
	 * E_KEY_UNKNOWN, E_KEY_ROLE, E_KEY_NOT_VALID, E_KEY_REVOKED (the entry's
	 * own signatures), E_COUNTERSIG (the countersigner column names a key
	 * whose countersignature does not verify under this trust store) and
	 * E_CHECKPOINT_SIG when a stored checkpoint is not signed by a trusted
	 * checkpoint key, E_WITNESS_SIG and E_WITNESS_QUORUM when the ledger's
	 * newest one breaks the witness rules (ingest/verify.h).  May be NULL.
	 */
	void (*on_trust)(void *ctx, int64_t ledger_id, const struct rb_finding *f);
	void *trust_ctx;
	int no_rollbacks;               /* rb_check_rollbacks gives "": not looked up */
};

typedef struct rb_check rb_check;

/*
 * Check the database.  A failed check is a result (findings in the
 * reports), not an error: -1 only when the work could not be done (no
 * database, an older schema, a read error, out of memory).
 */
int rb_check_run(const struct rb_check_opts *o, rb_check **out, struct rb_err *e);
void rb_check_free(rb_check *c);

/* 1 for the codes of findings about signatures and keys (those on_trust gets). */
int rb_check_trust_code(const char *code);

/* 1 when no ledger has an error. */
int rb_check_valid(const rb_check *c);

/* The ledgers, by origin; each one's findings as a verifier's report. */
size_t rb_check_nledgers(const rb_check *c);
const rb_vreport *rb_check_report(const rb_check *c, size_t ledger);

/*
 * The rollbacks the i-th kept error of a ledger concerns (the entry's own
 * rollback, or those of its change or incident), joined with ", "; "" for
 * none.  Valid as long as c.
 */
const char *rb_check_rollbacks(const rb_check *c, size_t ledger, size_t i);

#endif
