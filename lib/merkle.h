/*
 * merkle.h - RFC 6962 Merkle tree hashing with a compact range.
 *
 * A struct rb_merkle holds the roots of the perfect subtrees that cover the
 * leaves [0, size), largest first (the "frontier" of ledger-export-v1 §5):
 * O(log n) hashes, enough to append leaves and compute the root.  Plain
 * data, no allocation; copy it freely.
 */
#ifndef RB_MERKLE_H
#define RB_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define RB_MERKLE_MAX 64

struct rb_merkle {
	uint64_t size;
	int n;                                  /* popcount(size) */
	uint8_t h[RB_MERKLE_MAX][32];           /* h[0] is the largest subtree */
};

/* The empty tree. */
void rb_merkle_init(struct rb_merkle *m);

/*
 * A compact range of size leaves from its n subtree roots, largest first.
 * Returns -1 when n is not popcount(size).
 */
int rb_merkle_from_frontier(struct rb_merkle *m, uint64_t size,
			    const uint8_t (*hashes)[32], int n);

/* Leaf hash: SHA-256(0x00 || data). */
void rb_merkle_leaf(const void *data, size_t len, uint8_t out[32]);

/* Interior node: SHA-256(0x01 || left || right). */
void rb_merkle_node(const uint8_t left[32], const uint8_t right[32],
		    uint8_t out[32]);

/* Append one leaf hash, merging equal-sized subtrees as a binary counter. */
void rb_merkle_append(struct rb_merkle *m, const uint8_t leaf[32]);

/*
 * Append the root of a perfect subtree of 2^height leaves.  -1 (m
 * unchanged) unless m's size is a multiple of 2^height.
 */
int rb_merkle_append_subtree(struct rb_merkle *m, int height, const uint8_t root[32]);

/* Root of the tree: the frontier folded from the right; SHA-256("") if empty. */
void rb_merkle_root(const struct rb_merkle *m, uint8_t out[32]);

#endif
