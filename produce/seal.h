/*
 * seal.h - the producer side of ledger-export-v1: sealing events into an
 * export (entries.jsonl, manifest.json, checkpoint, and the READY marker).
 *
 * An rb_sealer writes one export directory.  It is opened on a ledger state
 * (empty for a new ledger, or the state a previous export left), takes
 * events one at a time, and on close writes the manifest and checkpoint and
 * returns the new state.  Everything is deterministic: the same events,
 * key and state give byte-identical files (Ed25519 signing is
 * deterministic).  Files are written under temporary names and renamed
 * into place when the export is complete; an empty READY file is written
 * last, so that an inbox takes the export only when it is whole.
 *
 * Ownership: the sealer borrows the keys it is given (they must outlive
 * it); rb_sealer_close always frees the sealer.
 */
#ifndef RB_SEAL_H
#define RB_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/err.h"
#include "lib/merkle.h"
#include "lib/trust.h"

/* Where a ledger stands after an export: O(log n), not the whole ledger. */
struct rb_ledger_state {
	char ledger[512];
	struct rb_merkle tree;          /* size and frontier */
	uint8_t last_leaf[32];          /* leaf hash of entry size - 1 */
	char last_time[40];             /* time of the last entry, "" if none */
	char *checkpoint;               /* malloc'd; NULL when size is 0 */
};

/* Initialise an empty state for ledger (origin). */
void rb_state_init(struct rb_ledger_state *s, const char *ledger);
/* Load a state file written by rb_state_save. */
int rb_state_load(const char *path, struct rb_ledger_state *s, struct rb_err *e);
int rb_state_save(const char *path, const struct rb_ledger_state *s,
		  struct rb_err *e);
/* Free what the state owns (not the struct itself). */
void rb_state_clear(struct rb_ledger_state *s);

typedef struct rb_sealer rb_sealer;

/* A further signer of an entry, such as an approver countersigning. */
struct rb_cosigner {
	const char *name;               /* the key's name in the trust store */
	const rb_privkey *key;
};

/*
 * Start an export in out_dir (created if missing; an existing export there
 * is an error) continuing state st, signing with key named keyname.
 */
int rb_sealer_open(const char *out_dir, const struct rb_ledger_state *st,
		   const char *keyname, const rb_privkey *key, rb_sealer **out,
		   struct rb_err *e);

/*
 * Append one event.  time is RFC 3339 UTC; data a JSON object (borrowed).
 * cosigners (may be NULL when n is 0) add their own signatures.
 */
int rb_sealer_add(rb_sealer *s, const char *time, const char *event,
		  const char *actor, const cJSON *data,
		  const struct rb_cosigner *cosigners, size_t ncosigners,
		  struct rb_err *e);

/* Sign the entries added from now on (and the checkpoint) with another key. */
int rb_sealer_set_key(rb_sealer *s, const char *keyname, const rb_privkey *key,
		      struct rb_err *e);

/* Entries added so far. */
uint64_t rb_sealer_count(const rb_sealer *s);

/*
 * Finish the export: write manifest.json and checkpoint, move the files
 * into place, write an empty READY (mode 0640) last, and fill *next (which the caller clears) with the new state.
 * With commit 0, abandon the export instead, removing what was written.
 * Frees s in every case.
 */
int rb_sealer_close(rb_sealer *s, int commit, struct rb_ledger_state *next,
		    struct rb_err *e);

/*
 * Seal every line of an events file ({"time","event","actor","data"}, and
 * optionally "cosign": [key names]) into out_dir.  Errors name the file and
 * line.  cosigners lists the keys that "cosign" may name.
 */
int rb_seal_file(const char *events_path, const char *out_dir,
		 struct rb_ledger_state *st, const char *keyname,
		 const rb_privkey *key, const struct rb_cosigner *cosigners,
		 size_t ncosigners, uint64_t *count, struct rb_err *e);

/*
 * Before sealing: can key k (its trust-store entry) validly sign every
 * event of the events file, by the time each carries (role "entry", inside
 * its validity window, not revoked)?  Else RB_EX_DATAERR naming the file,
 * the line, the event's time and the key's window.  Reads only.
 */
int rb_seal_check(const char *events_path, const rb_tkey *k, struct rb_err *e);

#endif
