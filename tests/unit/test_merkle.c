/*
 * test_merkle.c - focus: RFC 6962 tree hashes.  The roots of the
 * Certificate Transparency reference leaves for sizes 0 to 8, and the
 * compact range: a tree rebuilt from any frontier and then appended to
 * gives the same root as the whole tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/merkle.h"
#include "testutil.h"

static const char *leaves_hex[] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *roots_hex[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void rfc6962_reference_roots(void **state)
{
	struct rb_merkle m;
	uint8_t leaf[32], root[32], want[32], data[16];
	size_t i;

	(void)state;
	rb_merkle_init(&m);
	rb_merkle_root(&m, root);
	tu_unhex(roots_hex[0], want, 32);
	assert_memory_equal(root, want, 32);
	for (i = 0; i < 8; i++) {
		size_t n = strlen(leaves_hex[i]) / 2;

		tu_unhex(leaves_hex[i], data, n);
		rb_merkle_leaf(data, n, leaf);
		rb_merkle_append(&m, leaf);
		rb_merkle_root(&m, root);
		tu_unhex(roots_hex[i + 1], want, 32);
		assert_memory_equal(root, want, 32);
		assert_int_equal(m.size, i + 1);
		assert_int_equal(m.n, __builtin_popcountll(i + 1));
	}
}

/* Recursive MTH of leaf hashes [lo, hi), straight from RFC 6962 §2.1. */
static void mth(uint8_t (*l)[32], size_t lo, size_t hi, uint8_t out[32])
{
	size_t k = 1;
	uint8_t a[32], b[32];

	if (hi - lo == 1) {
		memcpy(out, l[lo], 32);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	mth(l, lo, lo + k, a);
	mth(l, lo + k, hi, b);
	rb_merkle_node(a, b, out);
}

static void compact_range_matches_recursive_tree(void **state)
{
	uint8_t l[70][32], root[32], want[32];
	size_t split, n, i;

	(void)state;
	for (i = 0; i < 70; i++) {
		uint8_t d[2] = { (uint8_t)i, (uint8_t)(i * 7) };

		rb_merkle_leaf(d, 2, l[i]);
	}
	for (n = 1; n <= 70; n++) {
		mth(l, 0, n, want);
		for (split = 0; split <= n; split++) {
			struct rb_merkle whole, part;

			rb_merkle_init(&whole);
			for (i = 0; i < split; i++)
				rb_merkle_append(&whole, l[i]);
			/* Rebuild from the frontier alone, as a verifier does. */
			assert_int_equal(rb_merkle_from_frontier(&part, whole.size,
						 (const uint8_t (*)[32])whole.h, whole.n), 0);
			for (i = split; i < n; i++)
				rb_merkle_append(&part, l[i]);
			rb_merkle_root(&part, root);
			assert_memory_equal(root, want, 32);
		}
	}
}

static void frontier_size_must_match_popcount(void **state)
{
	struct rb_merkle m;
	uint8_t h[3][32] = { { 0 } };

	(void)state;
	assert_int_equal(rb_merkle_from_frontier(&m, 5, (const uint8_t (*)[32])h, 2), 0);
	assert_int_equal(rb_merkle_from_frontier(&m, 5, (const uint8_t (*)[32])h, 1), -1);
	assert_int_equal(rb_merkle_from_frontier(&m, 7, (const uint8_t (*)[32])h, 2), -1);
	assert_int_equal(rb_merkle_from_frontier(&m, 0, (const uint8_t (*)[32])h, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc6962_reference_roots),
		cmocka_unit_test(compact_range_matches_recursive_tree),
		cmocka_unit_test(frontier_size_must_match_popcount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
