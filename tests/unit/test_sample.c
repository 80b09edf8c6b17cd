/*
 * test_sample.c - focus: the sample organisation.  The same options give
 * byte-identical files and another seed other data; every export verifies;
 * the default sample holds every event type, every touches category and
 * every rare case the findings read (the finding codes and security levels
 * themselves are counted by test_analyze once the analysis reads them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "ingest/ingest.h"
#include "produce/sample.h"
#include "testutil.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	free(dir);
	return 0;
}

static void make(const char *sub, uint64_t seed, struct rb_sample_stats *st)
{
	struct rb_sample_opts o;
	struct rb_err e;

	rb_sample_defaults(&o);
	o.out = tu_path(dir, sub);
	o.seed = seed;
	if (rb_sample_generate(&o, st, &e) != 0)
		fail_msg("sample: %s", e.msg);
}

static int same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = tu_slurp(a, &na), *y = tu_slurp(b, &nb);
	int same = na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

static const char *months[] = { "2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
				"2026-10" };

static void deterministic_and_seeded(void **state)
{
	struct rb_sample_stats a, b, c;
	static const char *files[] = { "entries.jsonl", "manifest.json", "checkpoint" };
	char p1[4096], p2[4096];
	size_t m, f;

	(void)state;
	make("a", 1, &a);
	make("b", 1, &b);
	make("c", 2, &c);
	assert_int_equal(a.entries, b.entries);
	assert_int_equal(a.exports, 6);
	for (m = 0; m < 6; m++)
		for (f = 0; f < 3; f++) {
			snprintf(p1, sizeof(p1), "%s/a/exports/rollback-ledger/%s/%s", dir,
				 months[m], files[f]);
			snprintf(p2, sizeof(p2), "%s/b/exports/rollback-ledger/%s/%s", dir,
				 months[m], files[f]);
			assert_true(same_file(p1, p2));
		}
	assert_true(same_file(tu_path(tu_path(dir, "a"), "keys.json"),
			      tu_path(tu_path(dir, "b"), "keys.json")));
	snprintf(p1, sizeof(p1), "%s/a/exports/rollback-ledger/2026-05/entries.jsonl", dir);
	snprintf(p2, sizeof(p2), "%s/c/exports/rollback-ledger/2026-05/entries.jsonl", dir);
	assert_false(same_file(p1, p2));
	assert_false(same_file(tu_path(tu_path(dir, "a"), "keys.json"),
			       tu_path(tu_path(dir, "c"), "keys.json")));
}

static void every_export_verifies_and_keys_rotate(void **state)
{
	rb_trust *t = NULL;
	struct rb_err e;
	char p[4096], keys[4096];
	size_t m;
	int saw_k1 = 0, saw_k2 = 0;
	uint64_t cos = 0;
	struct stat sb;

	(void)state;
	snprintf(keys, sizeof(keys), "%s/a/keys.json", dir);
	assert_int_equal(rb_trust_load(keys, &t, &e), 0);
	for (m = 0; m < 6; m++) {
		struct rb_verify_opts o = { 0 };
		rb_vreport *r = NULL;
		size_t i;

		snprintf(p, sizeof(p), "%s/a/exports/rollback-ledger/%s", dir, months[m]);
		assert_int_equal(rb_verify_export(p, t, &o, &r, &e), 0);
		assert_true(rb_vreport_valid(r));
		for (i = 0; i < rb_vreport_nsigners(r); i++) {
			saw_k1 |= strcmp(rb_vreport_signer(r, i), "sample-ledger-k1") == 0;
			saw_k2 |= strcmp(rb_vreport_signer(r, i), "sample-ledger-k2") == 0;
		}
		cos += rb_vreport_countersigned(r);
		rb_vreport_free(r);
	}
	assert_true(saw_k1 && saw_k2);
	assert_true(cos > 0);
	/* The first key is bounded, so its signatures are only valid before rotation. */
	assert_non_null(rb_tkey_valid_until(rb_trust_find(t, "sample-ledger-k1", 16)));
	rb_trust_free(t);
	snprintf(p, sizeof(p), "%s/a/keys/sample-ledger-k1.pem", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void default_sample_holds_every_case(void **state)
{
	static const char *events[] = { "change.deployed", "incident.detected",
		"rollback.requested", "rollback.approved", "rollback.rejected",
		"rollback.executed", "rollback.verified", "rollback.reviewed",
		"rollback.closed" };
	struct rb_ingest_opts o = { 0 };
	struct rb_sample_stats st;
	struct rb_err e;
	rb_trust *t = NULL;
	rb_ingest *g = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char p[4096];
	size_t m, i;

	(void)state;
	make("d", 1, &st);
	assert_true(st.self_approvals > 0);
	assert_true(st.executor_approvals > 0);
	assert_true(st.late_approvals > 0);
	assert_true(st.missing_approvals > 0);
	assert_true(st.duplicate_executions > 0);
	assert_true(st.reintroduces > 0);
	assert_true(st.never_closed > 0);
	assert_true(st.unreviewed > 0);
	assert_true(st.failing_tests > 0);
	assert_true(st.empty_evidence > 0);
	assert_true(st.emergencies > 0 && st.rejected > 0 && st.countersigned > 0);
	/* metrics-v1 §8's cases */
	assert_true(st.rejected_executed > 0 && st.failed_attempts > 0);
	assert_true(st.spelt_self_approvals > 0 && st.alias_approvals > 0);
	assert_true(st.blank_rationales > 0 && st.early_approvals > 0);
	assert_true(st.unauthorized_executors > 0);
	for (i = 0; i < 6; i++)
		assert_true(st.touches[i] > 0);
	/* Ingest it and count what the database holds. */
	snprintf(p, sizeof(p), "%s/d/keys.json", dir);
	assert_int_equal(rb_trust_load(p, &t, &e), 0);
	o.db_path = tu_path(dir, "d.db");
	o.trust = t;
	assert_int_equal(rb_ingest_open(&o, &g, &e), 0);
	for (m = 0; m < 6; m++) {
		struct rb_ingest_outcome *oc = NULL;

		snprintf(p, sizeof(p), "%s/d/exports/rollback-ledger/%s", dir, months[m]);
		assert_int_equal(rb_ingest_export(g, p, &oc, &e), 0);
		assert_int_equal(oc->verdict, RB_ACCEPTED);
		rb_ingest_outcome_free(oc);
	}
	assert_int_equal(rb_ingest_close(g, &e), 0);
	rb_trust_free(t);
	assert_int_equal(sqlite3_open(tu_path(dir, "d.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM entry WHERE event = ?1",
					    -1, &q, NULL), SQLITE_OK);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		sqlite3_bind_text(q, 1, events[i], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		if (sqlite3_column_int(q, 0) < 1)
			fail_msg("no %s in the default sample", events[i]);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM anomaly WHERE kind = "
					    "'duplicate-event'", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_true(sqlite3_column_int(q, 0) > 0);
	sqlite3_finalize(q);
	/* Non-ASCII people, stored as signed. */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM entry WHERE actor = "
					    "'zo\xc3\xab.m\xc3\xbcller@acme.example'", -1, &q,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_true(sqlite3_column_int(q, 0) > 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deterministic_and_seeded),
		cmocka_unit_test(every_export_verifies_and_keys_rotate),
		cmocka_unit_test(default_sample_holds_every_case),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
