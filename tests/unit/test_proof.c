/*
 * test_proof.c - focus: RFC 6962 inclusion and consistency proofs and their
 * C2SP text forms (lib/proof.h).
 *
 * The expected proofs come from an implementation written here from RFC
 * 6962 §2.1 as the RFC states it (recursive MTH, PATH and SUBPROOF over a
 * list, hashing with OpenSSL's SHA256 directly), never from lib/merkle or
 * lib/proof; for trees of sizes 1 to 70, every leaf and every older size.
 * Known answers: proofs over the Certificate Transparency reference leaves
 * worked out by hand from the node hashes published with transparency-dev/
 * merkle (testonly/constants.go).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "lib/proof.h"
#include "testutil.h"

#define MAXN 70

/* ---- the reference, from RFC 6962 §2.1 ---- */

static uint8_t leaves[MAXN][32];

static void ref_leaf(const void *d, size_t n, uint8_t out[32])
{
	uint8_t buf[64];

	buf[0] = 0x00;
	memcpy(buf + 1, d, n);
	SHA256(buf, n + 1, out);
}

static void ref_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	SHA256(buf, 65, out);
}

/* k: the largest power of two smaller than n. */
static size_t ref_k(size_t n)
{
	size_t k = 1;

	while (2 * k < n)
		k *= 2;
	return k;
}

/* MTH(D[lo : lo+n]), remembered (the tests ask for the same ranges often). */
static uint8_t mth_memo[MAXN][MAXN + 1][32];
static unsigned char mth_known[MAXN][MAXN + 1];

static void mth(size_t lo, size_t n, uint8_t out[32])
{
	uint8_t l[32], r[32];
	size_t k;

	if (n == 1) {
		memcpy(out, leaves[lo], 32);
		return;
	}
	if (mth_known[lo][n]) {
		memcpy(out, mth_memo[lo][n], 32);
		return;
	}
	k = ref_k(n);
	mth(lo, k, l);
	mth(lo + k, n - k, r);
	ref_node(l, r, out);
	memcpy(mth_memo[lo][n], out, 32);
	mth_known[lo][n] = 1;
}

/* PATH(m, D[lo : lo+n]) appended to out. */
static void path(size_t m, size_t lo, size_t n, uint8_t out[][32], int *cnt)
{
	size_t k;

	if (n == 1)
		return;
	k = ref_k(n);
	if (m < k) {
		path(m, lo, k, out, cnt);
		mth(lo + k, n - k, out[(*cnt)++]);
	} else {
		path(m - k, lo + k, n - k, out, cnt);
		mth(lo, k, out[(*cnt)++]);
	}
}

/* SUBPROOF(m, D[lo : lo+n], b) appended to out. */
static void subproof(size_t m, size_t lo, size_t n, int b, uint8_t out[][32], int *cnt)
{
	size_t k;

	if (m == n) {
		if (!b)
			mth(lo, n, out[(*cnt)++]);
		return;
	}
	k = ref_k(n);
	if (m <= k) {
		subproof(m, lo, k, b, out, cnt);
		mth(lo + k, n - k, out[(*cnt)++]);
	} else {
		subproof(m - k, lo + k, n - k, 0, out, cnt);
		mth(lo, k, out[(*cnt)++]);
	}
}

/* The subtree function lib/proof asks, answered by the reference MTH. */
static int ref_subtree(void *ctx, uint64_t a, uint64_t b, uint8_t out[32], struct rb_err *e)
{
	(void)ctx;
	(void)e;
	mth((size_t)a, (size_t)(b - a), out);
	return 0;
}

static void setup_leaves(void)
{
	uint8_t d[4];
	size_t i;

	memset(mth_known, 0, sizeof(mth_known));
	for (i = 0; i < MAXN; i++) {
		d[0] = (uint8_t)i;
		d[1] = (uint8_t)(i * 7);
		d[2] = 0xab;
		ref_leaf(d, 3, leaves[i]);
	}
}

/* ---- inclusion ---- */

static void inclusion_matches_rfc6962_for_every_leaf_of_sizes_1_to_70(void **state)
{
	uint8_t want[RB_PROOF_MAX][32], got[RB_PROOF_MAX][32], root[32], bad[RB_PROOF_MAX][32];
	struct rb_err e;
	size_t n, i;
	int wn, gn, j;

	(void)state;
	setup_leaves();
	for (n = 1; n <= MAXN; n++) {
		mth(0, n, root);
		for (i = 0; i < n; i++) {
			wn = 0;
			path(i, 0, n, want, &wn);
			assert_int_equal(rb_proof_inclusion(ref_subtree, NULL, i, n, got, &gn, &e), 0);
			assert_int_equal(gn, wn);
			assert_memory_equal(got, want, (size_t)wn * 32);
			assert_true(rb_proof_verify_inclusion(leaves[i], i, n,
							      (const uint8_t (*)[32])want, wn, root));
			/* Tampered: each hash, the leaf, the index, the size, a hash more or less. */
			for (j = 0; j < wn; j++) {
				memcpy(bad, want, sizeof(bad));
				bad[j][j % 32] ^= 0x01;
				assert_false(rb_proof_verify_inclusion(leaves[i], i, n,
								       (const uint8_t (*)[32])bad, wn, root));
			}
			assert_false(rb_proof_verify_inclusion(leaves[(i + 1) % MAXN], i, n,
							       (const uint8_t (*)[32])want, wn, root));
			if (n > 1)
				assert_false(rb_proof_verify_inclusion(leaves[i], (i + 1) % n, n,
								       (const uint8_t (*)[32])want, wn, root));
			/* (The same hashes can prove a size with another shape of the
			 * same path: what binds the size is the root.) */
			if (n < MAXN) {
				uint8_t bigger[32];

				mth(0, n + 1, bigger);
				assert_false(rb_proof_verify_inclusion(leaves[i], i, n + 1,
								       (const uint8_t (*)[32])want,
								       wn, bigger));
			}
			assert_false(rb_proof_verify_inclusion(leaves[i], n, n,
							       (const uint8_t (*)[32])want, wn, root));
			if (wn > 0)
				assert_false(rb_proof_verify_inclusion(leaves[i], i, n,
								       (const uint8_t (*)[32])want,
								       wn - 1, root));
			memcpy(want[wn], root, 32);
			assert_false(rb_proof_verify_inclusion(leaves[i], i, n,
							       (const uint8_t (*)[32])want, wn + 1, root));
		}
	}
}

/* ---- consistency ---- */

static void consistency_matches_rfc6962_for_every_pair_up_to_70(void **state)
{
	uint8_t want[RB_PROOF_MAX][32], got[RB_PROOF_MAX][32], bad[RB_PROOF_MAX][32];
	uint8_t root[32], old_root[32], other[32];
	struct rb_err e;
	size_t n, m;
	int wn, gn, j;

	(void)state;
	setup_leaves();
	memset(other, 0x5a, 32);
	for (n = 1; n <= MAXN; n++) {
		mth(0, n, root);
		for (m = 0; m <= n; m++) {
			wn = 0;
			if (m > 0 && m < n)
				subproof(m, 0, n, 1, want, &wn);
			if (m > 0)
				mth(0, m, old_root);
			else
				memset(old_root, 0, 32);
			assert_int_equal(rb_proof_consistency(ref_subtree, NULL, m, n, got, &gn, &e), 0);
			assert_int_equal(gn, wn);
			assert_memory_equal(got, want, (size_t)wn * 32);
			assert_true(rb_proof_verify_consistency(m, old_root, n, root,
								(const uint8_t (*)[32])want, wn));
			if (m == 0)
				continue;
			/* The wrong old root, the wrong new root, each hash changed. */
			assert_false(rb_proof_verify_consistency(m, other, n, root,
								 (const uint8_t (*)[32])want, wn));
			assert_false(rb_proof_verify_consistency(m, old_root, n, other,
								 (const uint8_t (*)[32])want, wn));
			for (j = 0; j < wn; j++) {
				memcpy(bad, want, sizeof(bad));
				bad[j][31 - j % 32] ^= 0x80;
				assert_false(rb_proof_verify_consistency(m, old_root, n, root,
									 (const uint8_t (*)[32])bad, wn));
			}
			if (wn > 0)
				assert_false(rb_proof_verify_consistency(m, old_root, n, root,
									 (const uint8_t (*)[32])want,
									 wn - 1));
			memcpy(want[wn], root, 32);
			assert_false(rb_proof_verify_consistency(m, old_root, n, root,
								 (const uint8_t (*)[32])want, wn + 1));
			/* The proof of m to n is no proof of m to n + 1, nor of m + 1 to n. */
			if (m < n && n < MAXN) {
				uint8_t bigger[32];

				mth(0, n + 1, bigger);
				assert_false(rb_proof_verify_consistency(m, old_root, n + 1, bigger,
									 (const uint8_t (*)[32])want,
									 wn));
			}
		}
	}
	/* Old larger than new: refused by both sides. */
	assert_int_equal(rb_proof_consistency(ref_subtree, NULL, 5, 4, got, &gn, &e), -1);
	assert_false(rb_proof_verify_consistency(5, root, 4, root, NULL, 0));
}

/* ---- known answers over the CT reference leaves ---- */

static const char *ct_inputs[] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static void known_answers_over_the_ct_reference_leaves(void **state)
{
	uint8_t got[RB_PROOF_MAX][32], data[16], want[4][32];
	struct rb_err e;
	size_t i, len;
	int gn;

	(void)state;
	memset(mth_known, 0, sizeof(mth_known));
	for (i = 0; i < 8; i++) {
		len = strlen(ct_inputs[i]) / 2;
		tu_unhex(ct_inputs[i], data, len);
		ref_leaf(data, len, leaves[i]);
	}
	/* Leaf 0 of 8: leaf 1, then nodes [2,4) and [4,8). */
	tu_unhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", want[0], 32);
	tu_unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", want[1], 32);
	tu_unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", want[2], 32);
	assert_int_equal(rb_proof_inclusion(ref_subtree, NULL, 0, 8, got, &gn, &e), 0);
	assert_int_equal(gn, 3);
	assert_memory_equal(got, want, 96);
	/* Leaf 5 of 8: leaf 4, node [6,8), node [0,4). */
	tu_unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", want[0], 32);
	tu_unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", want[1], 32);
	tu_unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", want[2], 32);
	assert_int_equal(rb_proof_inclusion(ref_subtree, NULL, 5, 8, got, &gn, &e), 0);
	assert_int_equal(gn, 3);
	assert_memory_equal(got, want, 96);
	/* Consistency 3 to 8: leaf 2, leaf 3, node [0,2), node [4,8). */
	tu_unhex("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7", want[0], 32);
	tu_unhex("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7", want[1], 32);
	tu_unhex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", want[2], 32);
	tu_unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", want[3], 32);
	assert_int_equal(rb_proof_consistency(ref_subtree, NULL, 3, 8, got, &gn, &e), 0);
	assert_int_equal(gn, 4);
	assert_memory_equal(got, want, 128);
	/* Consistency 4 to 8: the old tree is the left half, so only [4,8). */
	assert_int_equal(rb_proof_consistency(ref_subtree, NULL, 4, 8, got, &gn, &e), 0);
	assert_int_equal(gn, 1);
	assert_memory_equal(got[0], want[3], 32);
}

/* ---- the text forms ---- */

static const char CP[] = "example.com/log\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqtl0lgz+Nw7/RgQyg=\n\n"
			 "\xe2\x80\x94 example.com/log AAAAAQ==\n";

static void tlog_proof_text_round_trip(void **state)
{
	uint8_t path2[2][32];
	struct rb_tproof *p = NULL;
	struct rb_err e;
	char *text = NULL;
	const char *want;

	(void)state;
	memset(path2[0], 0x00, 32);
	memset(path2[1], 0xff, 32);
	assert_int_equal(rb_tproof_format((const uint8_t *)"hi", 2, 1234,
					  (const uint8_t (*)[32])path2, 2, CP, &text, &e), 0);
	want = "c2sp.org/tlog-proof@v1\nextra aGk=\nindex 1234\n"
	       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	       "//////////////////////////////////////////8=\n\n";
	assert_int_equal(strncmp(text, want, strlen(want)), 0);
	assert_string_equal(text + strlen(want), CP);
	assert_int_equal(rb_tproof_parse(text, strlen(text), &p, &e), 0);
	assert_int_equal(p->index, 1234);
	assert_int_equal(p->n, 2);
	assert_memory_equal(p->path, path2, 64);
	assert_int_equal(p->extra_len, 2);
	assert_memory_equal(p->extra, "hi", 2);
	assert_string_equal(p->checkpoint, CP);
	rb_tproof_free(p);
	free(text);
	/* No extra, no hashes (a tree of one leaf), index 0. */
	assert_int_equal(rb_tproof_format(NULL, 0, 0, NULL, 0, CP, &text, &e), 0);
	assert_int_equal(strncmp(text, "c2sp.org/tlog-proof@v1\nindex 0\n\n", 32), 0);
	assert_int_equal(rb_tproof_parse(text, strlen(text), &p, &e), 0);
	assert_null(p->extra);
	assert_int_equal(p->n, 0);
	rb_tproof_free(p);
	free(text);
}

/* Each hostile text is refused, with the line at fault named. */
static void tlog_proof_parse_refuses_hostile_text(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "c2sp.org/tlog-proof@v2\nindex 0\n\n", "line 1" },
		{ "c2sp.org/tlog-proof@v1\nindex 01\n\n", "line 2: not \"index N\"" },
		{ "c2sp.org/tlog-proof@v1\nindex -1\n\n", "line 2" },
		{ "c2sp.org/tlog-proof@v1\nindex 1 \n\n", "line 2" },
		{ "c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n\n", "line 2" },
		{ "c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n", "line 2: empty extra" },
		{ "c2sp.org/tlog-proof@v1\nextra aGk\nindex 0\n\n", "line 2: extra" },
		{ "c2sp.org/tlog-proof@v1\nextra aGl=\nindex 0\n\n", "line 2: extra" },
		{ "c2sp.org/tlog-proof@v1\nindex 0\n"
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\n", "line 3: not the canonical" },
		{ "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\n", "line 3" },
		{ "c2sp.org/tlog-proof@v1\nindex 0\n"
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "no empty line" },
		{ "c2sp.org/tlog-proof@v1\nindex 0\n\n", "no checkpoint" },
		{ "c2sp.org/tlog-proof@v1\r\nindex 0\n\n", "line 1" },
		{ "c2sp.org/tlog-proof@v1", "line 1" },
	};
	struct rb_tproof *p;
	struct rb_err e;
	char many[4096];
	size_t i, o;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = NULL;
		assert_int_equal(rb_tproof_parse(cases[i].text, strlen(cases[i].text), &p, &e), -1);
		assert_null(p);
		assert_int_equal(e.code, RB_EX_DATAERR);
		if (strstr(e.msg, cases[i].why) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].why);
	}
	/* 64 hashes: one more than any tree of 2^63 leaves needs. */
	o = (size_t)snprintf(many, sizeof(many), "c2sp.org/tlog-proof@v1\nindex 0\n");
	for (i = 0; i < 64; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o,
				      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	snprintf(many + o, sizeof(many) - o, "\n%s", CP);
	assert_int_equal(rb_tproof_parse(many, strlen(many), &p, &e), -1);
	assert_non_null(strstr(e.msg, "more than 63"));
	/* A NUL byte. */
	assert_int_equal(rb_tproof_parse("c2sp.org/tlog-proof@v1\n\0", 24, &p, &e), -1);
}

static void add_checkpoint_body_round_trip(void **state)
{
	uint8_t h[1][32];
	struct rb_cproof *p = NULL;
	struct rb_err e;
	char *text = NULL;

	(void)state;
	memset(h[0], 0x11, 32);
	assert_int_equal(rb_cproof_format(3, (const uint8_t (*)[32])h, 1, CP, &text, &e), 0);
	assert_int_equal(strncmp(text, "old 3\nERERERERERERERERERERERERERERERERERERERERERE=\n\n", 52), 0);
	assert_int_equal(rb_cproof_parse(text, strlen(text), &p, &e), 0);
	assert_int_equal(p->old, 3);
	assert_int_equal(p->n, 1);
	assert_memory_equal(p->path[0], h[0], 32);
	assert_string_equal(p->checkpoint, CP);
	rb_cproof_free(p);
	free(text);
	assert_int_equal(rb_cproof_parse("old 03\n\nx\n", 10, &p, &e), -1);
	assert_int_equal(rb_cproof_parse("new 3\n\nx\n", 9, &p, &e), -1);
	assert_int_equal(rb_cproof_parse("old 3\n", 6, &p, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inclusion_matches_rfc6962_for_every_leaf_of_sizes_1_to_70),
		cmocka_unit_test(consistency_matches_rfc6962_for_every_pair_up_to_70),
		cmocka_unit_test(known_answers_over_the_ct_reference_leaves),
		cmocka_unit_test(tlog_proof_text_round_trip),
		cmocka_unit_test(tlog_proof_parse_refuses_hostile_text),
		cmocka_unit_test(add_checkpoint_body_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
