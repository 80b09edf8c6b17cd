/*
 * recheck.h - the trust store as it is today, applied to stored history.
 *
 * Table trust_state holds the SHA-256 of the trust store file the stored
 * history was last checked against; trust_failure the stored entries that
 * did not verify under it, and why.  rb_recheck_run compares that digest
 * with the SHA-256 of the trust store file given.  When they differ (or no
 * check was recorded yet, or force is set), every stored entry of every
 * ledger is verified again under the store, exactly as `rbaudit check`
 * does (ingest/check.h: the entry's signatures under the keys' roles,
 * validity and revocation at its time, the countersignatures the stored
 * approvals rest on, the stored checkpoints), and trust_state and
 * trust_failure are replaced, in one transaction, by the outcome.  Every
 * entry is re-checked, not only those of keys that changed: simple and
 * exact, at the cost of `rbaudit check` (about 70 s per million entries on
 * two cores); it is paid once per change of the trust store.
 *
 * Only findings about signatures and keys go to trust_failure (E_SIG,
 * E_KEY_UNKNOWN, E_KEY_ROLE, E_KEY_NOT_VALID, E_KEY_REVOKED, E_COUNTERSIG,
 * E_CHECKPOINT_SIG, E_WITNESS_SIG, E_WITNESS_QUORUM, see check.h); any other error the re-check meets (a
 * stored row that disagrees with its payload...) means the history does
 * not verify at all: -1 with RB_EX_FAIL and nothing recorded (`rbaudit
 * check` names each).
 *
 * The result's failures member is the caller's: rb_recheck_clear.
 */
#ifndef RB_RECHECK_H
#define RB_RECHECK_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ingest/verify.h"
#include "lib/err.h"
#include "lib/trust.h"

/* The trust_failure rows a result holds at most (their count is always exact). */
#define RB_RECHECK_KEPT 1000

struct rb_recheck_opts {
	const char *db_path;            /* an existing database of the current schema */
	const rb_trust *trust;          /* loaded from trust_path */
	const char *trust_path;         /* the file whose SHA-256 is recorded */
	int jobs;                       /* threads for signatures; <= 0: all CPUs */
	int busy_ms;
	int force;                      /* re-check even when the digest is the same */
	rb_vprogress_fn progress;       /* entries so far, all ledgers; may be NULL */
	void *progress_ctx;
};

struct rb_recheck_result {
	int rechecked;                  /* 1: the history was verified again now */
	char sha256[65];                /* of the trust store file given */
	char previous[65];              /* of the one checked before; "" when none */
	char checked[40];               /* when the history was checked against sha256 */
	uint64_t entries;               /* entries checked then */
	uint64_t failures;              /* stored entries that do not verify under it */
	uint64_t previous_failures;     /* as the check before found them */
	uint64_t other_errors;          /* errors not about trust: see rbaudit check */
	char first_other[400];          /* the first of them: "CODE seq N: message" */
	cJSON *failures_json;           /* the first RB_RECHECK_KEPT trust_failure rows,
					   [{ledger, seq, time, code, message}] */
};

/*
 * Re-check when the trust store changed (see above), else read what the
 * last check found.  -1 when the work could not be done (no database, the
 * trust store unreadable, a read or write error, busy: RB_EX_TEMPFAIL), or
 * the history does not verify for reasons other than keys (RB_EX_FAIL).
 */
int rb_recheck_run(const struct rb_recheck_opts *o, struct rb_recheck_result *r,
		   struct rb_err *e);
void rb_recheck_clear(struct rb_recheck_result *r);

#endif
