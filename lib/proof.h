/*
 * proof.h - RFC 6962 inclusion and consistency proofs, and their C2SP text
 * forms: c2sp.org/tlog-proof@v1 (one entry's inclusion in a checkpointed
 * tree) and the body of c2sp.org/tlog-witness's add-checkpoint (an older
 * tree size, a consistency proof and the newer checkpoint).
 *
 * Proofs are made from a tree the caller describes by a function giving the
 * hash of any subtree [a, b) that RFC 6962's recursion asks for (lib/tree.h
 * gives one over a stored ledger).  Verification needs no tree: it is
 * RFC 9162 §2.1.3.2 and §2.1.4.2, which accept exactly the proofs RFC 6962's
 * PATH and PROOF make.
 *
 * Parsed proofs (struct rb_tproof, struct rb_cproof) own their strings and
 * are freed with rb_tproof_free / rb_cproof_free.  Nothing here prints.
 */
#ifndef RB_PROOF_H
#define RB_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "note.h"
#include "trust.h"

/* A proof has at most one hash per level of a tree of 2^63 leaves. */
#define RB_PROOF_MAX 63

/* The hash of the leaves [a, b) of the tree (0 ≤ a < b); -1 with *e on failure. */
typedef int (*rb_subtree_fn)(void *ctx, uint64_t a, uint64_t b, uint8_t out[32],
			     struct rb_err *e);

/*
 * RFC 6962 §2.1.1 PATH(index, D[size]): the inclusion proof of leaf index
 * in the tree of size leaves, leaf's sibling first, into out (*n hashes).
 */
int rb_proof_inclusion(rb_subtree_fn fn, void *ctx, uint64_t index, uint64_t size,
		       uint8_t out[RB_PROOF_MAX][32], int *n, struct rb_err *e);

/*
 * RFC 6962 §2.1.2 PROOF(m, D[n]): the consistency proof from the tree of
 * old leaves to the tree of size leaves (old ≤ size); empty when old is 0
 * or equals size (as tlog-witness asks).
 */
int rb_proof_consistency(rb_subtree_fn fn, void *ctx, uint64_t old, uint64_t size,
			 uint8_t out[RB_PROOF_MAX][32], int *n, struct rb_err *e);

/* 1 when path proves leaf at index in the tree of size leaves with root. */
int rb_proof_verify_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			      const uint8_t (*path)[32], int n, const uint8_t root[32]);

/*
 * 1 when path proves the tree of old leaves with old_root is a prefix of the
 * tree of size leaves with root.  For old = size the proof must be empty and
 * the roots equal; for old = 0 the proof must be empty.
 */
int rb_proof_verify_consistency(uint64_t old, const uint8_t old_root[32], uint64_t size,
				const uint8_t root[32], const uint8_t (*path)[32], int n);

/* A c2sp.org/tlog-proof@v1 file. */
struct rb_tproof {
	uint8_t *extra;                 /* decoded extra data, NULL when absent */
	size_t extra_len;
	uint64_t index;
	int n;                          /* hashes in path */
	uint8_t path[RB_PROOF_MAX][32];
	char *checkpoint;               /* the checkpoint verbatim, NUL-terminated */
	size_t checkpoint_len;
};

/*
 * Write a tlog-proof into *out (malloc'd, NUL-terminated; the caller frees
 * it): the extra line when extra_len > 0, the index, the path and, after an
 * empty line, the checkpoint as given (which must end in a newline).
 */
int rb_tproof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
		     const uint8_t (*path)[32], int n, const char *checkpoint,
		     char **out, struct rb_err *e);

/*
 * Parse a tlog-proof strictly: the header line, an optional extra line of
 * canonical base64, "index N" with no leading zeros, at most RB_PROOF_MAX
 * lines each the canonical base64 of 32 bytes, an empty line, then the rest
 * as the checkpoint (parsed by the caller).  -1 with e (RB_EX_DATAERR) naming
 * the line and the reason.
 */
int rb_tproof_parse(const char *text, size_t len, struct rb_tproof **out,
		    struct rb_err *e);
void rb_tproof_free(struct rb_tproof *p);

/* What a verified tlog-proof of a ledger entry says. */
struct rb_tproof_result {
	char ledger[512], time[64], event[64], actor[512];
	char rollback[512];             /* the payload's data.rollback_id, "" when none */
	char key[RB_KEYNAME_MAX + 1];   /* the checkpoint key that signed */
	char witnesses[600];            /* the witnesses that cosigned, ", " between; "" none */
	uint64_t seq, size;             /* the entry's seq; the tree's size */
	uint8_t root[32];               /* the checkpoint's root */
};

/*
 * Check a tlog-proof of a ledger entry (rbaudit writes them; any log's
 * would do) under trust store t, offline: parse it strictly, check its
 * checkpoint is validly signed by a key with role checkpoint, recompute the
 * leaf hash SHA-256(0x00 || extra) from the extra data (after the witness
 * rules of the trust store: a failing cosignature of a trusted witness, or
 * too few of its witness policy, refuse the proof) (the entry's
 * payload), check the inclusion proof against the checkpoint's root, and
 * that the payload is of the checkpoint's ledger and has seq = index.
 * 0 with *v filled; -1 with the reason in why (size n); never allocates
 * anything the caller keeps.
 */
int rb_tproof_check(const char *text, size_t len, const rb_trust *t,
		    struct rb_tproof_result *v, char *why, size_t n);

/*
 * The trust store's witness rules on a checkpoint (lib/note.h's
 * rb_checkpoint_witnessed): 0 with the witnesses that cosigned in names
 * (size len, ", " between, "" for none), or -1 with the reason and its code
 * in why (size n).
 */
int rb_proof_witnessed(const rb_checkpoint *c, const rb_trust *t, char *names, size_t len,
		       char *why, size_t n);

/* An add-checkpoint body: "old N", the consistency proof, an empty line, the checkpoint. */
struct rb_cproof {
	uint64_t old;
	int n;
	uint8_t path[RB_PROOF_MAX][32];
	char *checkpoint;
	size_t checkpoint_len;
};

int rb_cproof_format(uint64_t old, const uint8_t (*path)[32], int n, const char *checkpoint,
		     char **out, struct rb_err *e);
int rb_cproof_parse(const char *text, size_t len, struct rb_cproof **out,
		    struct rb_err *e);
void rb_cproof_free(struct rb_cproof *p);

#endif
