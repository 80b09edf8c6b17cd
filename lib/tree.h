/*
 * tree.h - a stored ledger's Merkle tree, for proofs (lib/proof.h), and the
 * tlog-proof files of stored entries.
 *
 * rb_tree_load reads the leaves of one ledger from the database (schema
 * v10: entry.leaf, ledger.base_frontier, the checkpoint table) and keeps
 * every level of the tree in memory: 64 bytes a leaf, so a ledger of a
 * million entries takes 64 MiB, and each proof after that is O(log n).
 * A ledger bootstrapped at base_seq (ledger-export-v1 §5) has no leaves
 * below it; its base frontier stands for them, so entries from base_seq on
 * can be proved and proofs reach down to it, and a subtree that would need
 * a leaf below it is an error saying so.  The rb_tree is the caller's, to
 * free with rb_tree_free; it holds no database handle.
 */
#ifndef RB_TREE_H
#define RB_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "err.h"

typedef struct rb_tree rb_tree;

/*
 * The tree of ledger lid at its newest stored checkpoint (the checkpoint
 * table's largest size, the latest kept of that size): its leaves are read
 * and folded, and the fold must give the checkpoint's root (else
 * RB_EX_FAIL, as every stage's check of stored history: the stored rows do
 * not match what was verified).
 */
int rb_tree_load(sqlite3 *db, int64_t lid, rb_tree **out, struct rb_err *e);
void rb_tree_free(rb_tree *t);

uint64_t rb_tree_size(const rb_tree *t);
uint64_t rb_tree_base(const rb_tree *t);
/* The checkpoint note the tree is at, verbatim (owned by t). */
const char *rb_tree_checkpoint(const rb_tree *t);

/* The hash of leaves [a, b) (an rb_subtree_fn: ctx is the rb_tree). */
int rb_tree_subtree(void *t, uint64_t a, uint64_t b, uint8_t out[32], struct rb_err *e);

/*
 * The file name of an entry's proof under a proofs folder:
 * "RB-00113/seq-2113.tlog-proof" for an entry of a rollback, "seq-N.tlog-proof"
 * for one of none.  A rollback id that is not a plain file name (letters,
 * digits, '.', '_', '-', not starting with '.') has its other bytes written
 * %XX.  -1 when out (size n) is too small.
 */
int rb_tree_proof_name(const char *rollback_id, int64_t seq, char *out, size_t n);

/*
 * The ledger of origin want (any, when NULL and the database holds only
 * one): its id, and its origin into origin (size n).  None: RB_EX_NOINPUT;
 * several and want NULL: RB_EX_USAGE, asking for one by its origin.
 */
int64_t rb_tree_pick_ledger(sqlite3 *db, const char *want, char *origin, size_t n,
			    struct rb_err *e);

/*
 * The entries of rollback id's timeline in ledger lid, in seq order: its
 * own entries, the first change.deployed of its change and the first
 * incident.detected of its incident (as the analysis reads them).  *seqs is
 * malloc'd (the caller frees it); *n is 0 when the ledger has no such
 * rollback.
 */
int rb_tree_rollback_seqs(sqlite3 *db, int64_t lid, const char *id, int64_t **seqs,
			  size_t *n, struct rb_err *e);

/* One proof written by rb_tree_write_proofs. */
struct rb_tree_proof {
	int64_t seq;
	char name[512];                 /* under the folder, as rb_tree_proof_name */
};

/*
 * Write the tlog-proof of each of the n entries seqs of the tree's ledger
 * into dir, under the folder of rollback group when it is not NULL (a
 * rollback's timeline holds its change's deployment too), else under each
 * entry's own rollback (rb_tree_proof_name) (created when missing; files mode), with the entry's
 * payload as extra, each proof checked by rb_proof_verify_inclusion before
 * it is written.  *files (malloc'd, n of them, the caller frees) says where
 * each went, in the order given; it may be NULL.  An entry not stored, or
 * below the bootstrap point, is RB_EX_FAIL naming its seq.  With durable,
 * each file is replaced atomically and synced (rb_write_atomic); without, it
 * is created new and written plainly, for a folder that is itself put in
 * place whole (a report folder, report/pack.h): an existing file is then an
 * error.
 */
int rb_tree_write_proofs(sqlite3 *db, const rb_tree *t, int64_t lid, const int64_t *seqs,
		    size_t n, const char *group, const char *dir, mode_t mode, int durable,
		    struct rb_tree_proof **files, struct rb_err *e);

#endif
