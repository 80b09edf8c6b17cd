/* merkle.c - RFC 6962 tree hashing over a compact range. */
#include "merkle.h"

#include <string.h>

#include "crypto.h"

void rb_merkle_init(struct rb_merkle *m)
{
	m->size = 0;
	m->n = 0;
}

int rb_merkle_from_frontier(struct rb_merkle *m, uint64_t size,
			    const uint8_t (*hashes)[32], int n)
{
	int i;

	if (n != __builtin_popcountll(size) || n > RB_MERKLE_MAX)
		return -1;
	m->size = size;
	m->n = n;
	for (i = 0; i < n; i++)
		memcpy(m->h[i], hashes[i], 32);
	return 0;
}

void rb_merkle_leaf(const void *data, size_t len, uint8_t out[32])
{
	static const uint8_t zero = 0x00;

	rb_sha256_2(&zero, 1, data, len, out);
}

void rb_merkle_node(const uint8_t left[32], const uint8_t right[32],
		    uint8_t out[32])
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, left, 32);
	memcpy(buf + 33, right, 32);
	rb_sha256(buf, sizeof(buf), out);
}

void rb_merkle_append(struct rb_merkle *m, const uint8_t leaf[32])
{
	uint64_t s = m->size;

	/*
	 * Each trailing 1 bit of the old size is a subtree of the same size
	 * as the one being carried: merge them, smallest first.
	 */
	memcpy(m->h[m->n], leaf, 32);
	m->n++;
	while (s & 1) {
		rb_merkle_node(m->h[m->n - 2], m->h[m->n - 1], m->h[m->n - 2]);
		m->n--;
		s >>= 1;
	}
	m->size++;
}

void rb_merkle_root(const struct rb_merkle *m, uint8_t out[32])
{
	uint8_t acc[32];
	int i;

	if (m->n == 0) {
		rb_sha256("", 0, out);
		return;
	}
	/* ledger-export-v1 §5: fold the frontier from the right. */
	memcpy(acc, m->h[m->n - 1], 32);
	for (i = m->n - 2; i >= 0; i--)
		rb_merkle_node(m->h[i], acc, acc);
	memcpy(out, acc, 32);
}

int rb_merkle_append_subtree(struct rb_merkle *m, int height, const uint8_t root[32])
{
	uint64_t step, units;
	uint8_t cur[32];

	if (height < 0 || height > 62)
		return -1;
	step = (uint64_t)1 << height;
	if ((m->size & (step - 1)) != 0)
		return -1;
	memcpy(cur, root, 32);
	/* The smallest subtrees have this size while the low bits are set. */
	for (units = m->size >> height; units & 1; units >>= 1)
		rb_merkle_node(m->h[--m->n], cur, cur);
	memcpy(m->h[m->n++], cur, 32);
	m->size += step;
	return 0;
}
