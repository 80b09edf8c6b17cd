/*
 * test_seal.c - focus: the producer side.  Sealing is deterministic, gives
 * the same Merkle root as the independent implementation that made the
 * vectors, continues a ledger across exports through its state, refuses to
 * overwrite an export, leaves nothing behind when abandoned, and keeps
 * private keys private.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest/verify.h"
#include "lib/note.h"
#include "produce/seal.h"
#include "testutil.h"

#define VEC "tests/data/vectors"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(tmp);
	free(tmp);
	return 0;
}

static void seal_events(const char *events, const char *out, struct rb_ledger_state *st,
			rb_privkey *k)
{
	uint64_t n;
	struct rb_err e;

	if (rb_seal_file(events, out, st, "k", k, NULL, 0, &n, &e) != 0)
		fail_msg("seal: %s", e.msg);
}

static void same_input_gives_identical_bytes(void **state)
{
	rb_privkey *k = tu_key(9);
	struct rb_ledger_state s1, s2;
	static const char *files[] = { "entries.jsonl", "manifest.json", "checkpoint" };
	size_t i, n1, n2;

	(void)state;
	rb_state_init(&s1, "x.example/l");
	rb_state_init(&s2, "x.example/l");
	seal_events("tests/data/events-2026-07.jsonl", tu_path(tmp, "d1"), &s1, k);
	seal_events("tests/data/events-2026-07.jsonl", tu_path(tmp, "d2"), &s2, k);
	for (i = 0; i < 3; i++) {
		char *a = tu_slurp(tu_path(tu_path(tmp, "d1"), files[i]), &n1);
		char *b = tu_slurp(tu_path(tu_path(tmp, "d2"), files[i]), &n2);

		assert_int_equal(n1, n2);
		assert_memory_equal(a, b, n1);
		free(a);
		free(b);
	}
	rb_state_clear(&s1);
	rb_state_clear(&s2);
	rb_privkey_free(k);
}

static void vector_events_reproduce_the_independent_root(void **state)
{
	rb_privkey *k = tu_key(9);
	struct rb_ledger_state st;
	rb_checkpoint *a = NULL, *b = NULL;
	char *t1, *t2, why[160];
	size_t n1, n2;

	(void)state;
	/* The events of the vectors, sealed again under their origin. */
	rb_state_init(&st, "acme.example/rollback-ledger");
	seal_events("tests/data/events-2026-07.jsonl", tu_path(tmp, "v7"), &st, k);
	seal_events("tests/data/events-2026-08.jsonl", tu_path(tmp, "v8"), &st, k);
	t1 = tu_slurp(tu_path(tu_path(tmp, "v8"), "checkpoint"), &n1);
	t2 = tu_slurp(VEC "/export-2026-08/checkpoint", &n2);
	assert_int_equal(rb_checkpoint_parse(t1, n1, &a, why, sizeof(why)), 0);
	assert_int_equal(rb_checkpoint_parse(t2, n2, &b, why, sizeof(why)), 0);
	assert_int_equal(rb_checkpoint_size(a), 469);
	assert_memory_equal(rb_checkpoint_root(a), rb_checkpoint_root(b), 32);
	rb_checkpoint_free(a);
	rb_checkpoint_free(b);
	free(t1);
	free(t2);
	rb_state_clear(&st);
	rb_privkey_free(k);
}

static void state_file_continues_the_ledger(void **state)
{
	rb_privkey *k = tu_key(9);
	struct rb_ledger_state st, loaded;
	struct rb_err e;
	rb_trust *t = NULL;
	rb_vreport *r = NULL;
	struct rb_verify_opts o = { 0 };
	struct rb_time from = { 0, 0 };
	uint8_t pub[32];
	cJSON *entry;
	int added;

	(void)state;
	rb_state_init(&st, "x.example/l");
	seal_events("tests/data/events-2026-07.jsonl", tu_path(tmp, "s7"), &st, k);
	assert_int_equal(rb_state_save(tu_path(tmp, "state.json"), &st, &e), 0);
	assert_int_equal(rb_state_load(tu_path(tmp, "state.json"), &loaded, &e), 0);
	assert_int_equal(loaded.tree.size, 252);
	assert_memory_equal(loaded.tree.h, st.tree.h, (size_t)st.tree.n * 32);
	assert_string_equal(loaded.checkpoint, st.checkpoint);
	seal_events("tests/data/events-2026-08.jsonl", tu_path(tmp, "s8"), &loaded, k);
	rb_privkey_public(k, pub);
	rb_trust_new(&t, NULL);
	entry = rb_tkey_entry("k", NULL, pub, "entry,checkpoint", &from);
	rb_trust_add(t, entry, &added, NULL);
	cJSON_Delete(entry);
	assert_int_equal(rb_verify_export(tu_path(tmp, "s8"), t, &o, &r, &e), 0);
	assert_true(rb_vreport_valid(r));
	assert_int_equal(rb_vreport_first_seq(r), 252);
	assert_int_equal(rb_vreport_last_seq(r), 468);
	rb_vreport_free(r);
	rb_trust_free(t);
	rb_state_clear(&st);
	rb_state_clear(&loaded);
	rb_privkey_free(k);
}

static void refuses_to_overwrite_and_abandons_cleanly(void **state)
{
	rb_privkey *k = tu_key(9);
	struct rb_ledger_state st;
	struct rb_err e;
	uint64_t n;
	const char *bad = tu_path(tmp, "bad.jsonl");
	static const char events[] =
		"{\"time\":\"2026-08-01T00:00:00Z\",\"event\":\"a\",\"actor\":\"b\",\"data\":{}}\n"
		"{\"time\":\"2026-08-01T00:00:00Z\",\"event\":\"a\",\"actor\":\"b\",\"data\":{}}\n"
		"{\"time\":\"2026-08-01 00:00:00\",\"event\":\"a\",\"actor\":\"b\",\"data\":{}}\n";
	struct stat sb;

	(void)state;
	rb_state_init(&st, "x.example/l");
	seal_events("tests/data/events-2026-07.jsonl", tu_path(tmp, "o1"), &st, k);
	assert_int_equal(rb_seal_file("tests/data/events-2026-08.jsonl", tu_path(tmp, "o1"),
				      &st, "k", k, NULL, 0, &n, &e), -1);
	assert_int_equal(e.code, RB_EX_CANTCREAT);
	assert_int_equal(st.tree.size, 252);           /* the state did not move */
	tu_spit(bad, events, sizeof(events) - 1);
	assert_int_equal(rb_seal_file(bad, tu_path(tmp, "o2"), &st, "k", k, NULL, 0, &n, &e), -1);
	assert_int_equal(e.code, RB_EX_DATAERR);
	assert_non_null(strstr(e.msg, "bad.jsonl:3:"));
	assert_int_not_equal(stat(tu_path(tu_path(tmp, "o2"), "entries.jsonl"), &sb), 0);
	assert_int_not_equal(stat(tu_path(tu_path(tmp, "o2"), "entries.jsonl.tmp"), &sb), 0);
	assert_int_not_equal(stat(tu_path(tu_path(tmp, "o2"), "manifest.json"), &sb), 0);
	assert_int_equal(st.tree.size, 252);
	rb_state_clear(&st);
	rb_privkey_free(k);
}

static void private_keys_are_0600_and_loose_ones_refused(void **state)
{
	rb_privkey *k = tu_key(9), *back = NULL;
	const char *p = tu_path(tmp, "key.pem");
	struct rb_err e;
	struct stat sb;
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(rb_privkey_save(k, p, &e), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(rb_privkey_save(k, p, &e), -1);      /* never overwrites */
	assert_int_equal(rb_privkey_load(p, &back, &e), 0);
	rb_privkey_public(k, a);
	rb_privkey_public(back, b);
	assert_memory_equal(a, b, 32);
	rb_privkey_free(back);
	chmod(p, 0640);
	assert_int_equal(rb_privkey_load(p, &back, &e), -1);
	assert_int_equal(e.code, RB_EX_CONFIG);
	assert_non_null(strstr(e.msg, "chmod 600"));
	rb_privkey_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_input_gives_identical_bytes),
		cmocka_unit_test(vector_events_reproduce_the_independent_root),
		cmocka_unit_test(state_file_continues_the_ledger),
		cmocka_unit_test(refuses_to_overwrite_and_abandons_cleanly),
		cmocka_unit_test(private_keys_are_0600_and_loose_ones_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
