/*
 * test_oom.c - focus: running out of memory stops a stage; it never drops
 * an item.  The linker sends rbaudit's own malloc, calloc and realloc
 * calls through the wrappers below (-Wl,--wrap, see the Makefile), which
 * make the n-th allocation fail.  For each n tried, analyze and ingest
 * either finish with exactly the result of a run with memory enough, or
 * fail with an error and leave the database as it was: never a result
 * with a rollback, an approval or an entry missing.
 *
 * SQLite, cJSON's own code and the C library allocate through their own
 * copies of malloc, which this does not reach; cJSON's allocations go
 * through lib/json's hooks, which it does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "analyze/analyze.h"
#include "analyze/policy.h"
#include "ingest/ingest.h"
#include "lib/trust.h"
#include "testutil.h"

#define VEC "tests/data/vectors"

/* The allocation that fails: when `left` comes down to 1.  -1: none. */
static atomic_long left = -1;

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int failing(void)
{
	return atomic_fetch_sub(&left, 1) == 1;
}

void *__wrap_malloc(size_t n)
{
	return failing() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return failing() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return failing() ? NULL : __real_realloc(p, n);
}

/* Arm the n-th allocation from now to fail; how many were made since. */
static void arm(long n)
{
	atomic_store(&left, n);
}

static long made(long armed)
{
	return armed - atomic_load(&left);
}

static void disarm(void)
{
	atomic_store(&left, -1);
}

/*
 * The points tried: every one of the first FIRST allocations (opening,
 * the manifest, the checkpoints, the first rows), then SPREAD more spread
 * evenly over the rest of a run of `total`.
 */
#define FIRST 80
#define SPREAD 80

static long point(int i, long total)
{
	if (i < FIRST)
		return i + 1;
	return FIRST + 1 + (long)(i - FIRST) * (total - FIRST) / SPREAD;
}

/*
 * Under LeakSanitizer: a stage that failed for want of memory may leave
 * cJSON members unfreed whose parent could not take them (cJSON says
 * nothing when an add fails); the process that sees the error exits.  So
 * in this test alone, leaks of cJSON's allocations (made through lib/json's
 * hook_malloc) are not counted; every other leak is, here as elsewhere.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:hook_malloc\n";
}

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

/* A copy of the (closed, checkpointed) database src at dst. */
static void copy_db(const char *src, const char *dst)
{
	char side[4096];
	size_t len;
	char *bytes = tu_slurp(src, &len);

	snprintf(side, sizeof(side), "%s-wal", dst);
	tu_rmrf(side);
	snprintf(side, sizeof(side), "%s-shm", dst);
	tu_rmrf(side);
	tu_spit(dst, bytes, len);
	free(bytes);
}

static int ingest(const char *db, const rb_trust *t, const char *export,
		  enum rb_verdict *verdict, struct rb_err *e)
{
	struct rb_ingest_opts o = { 0 };
	struct rb_ingest_outcome *oc = NULL;
	rb_ingest *g = NULL;
	int rc;

	o.db_path = db;
	o.trust = t;
	if (rb_ingest_open(&o, &g, e) != 0)
		return -1;
	rc = rb_ingest_export(g, export, &oc, e);
	if (rc == 0)
		*verdict = oc->verdict;
	if (rc == 0 && oc->verdict != RB_ACCEPTED && rb_vreport_nerrors(oc->report) > 0)
		snprintf(e->msg, sizeof(e->msg), "%s: %s", rb_vreport_error(oc->report, 0)->code,
			 rb_vreport_error(oc->report, 0)->msg);
	rb_ingest_outcome_free(oc);
	if (rb_ingest_close(g, rc == 0 ? e : &(struct rb_err){ 0 }) != 0)
		rc = -1;
	return rc;
}

/*
 * Ingest of the vectors' August export into a database holding July: each
 * failed allocation gives an error and the database's entries as they were,
 * or the whole export accepted; never a rejection that is not the export's.
 */
static void ingest_stops_and_keeps_the_database(void **state)
{
	const char *base = tu_path(dir, "base.db"), *db = tu_path(dir, "ingest.db");
	rb_trust *t = NULL;
	enum rb_verdict v = RB_REJECTED;
	struct rb_err e;
	char *before, *after;
	int64_t n_before, n_full;
	long total;
	int i, failed = 0;

	(void)state;
	assert_int_equal(rb_trust_load(VEC "/keys.json", &t, &e), 0);
	assert_int_equal(ingest(base, t, VEC "/export-2026-07", &v, &e), 0);
	assert_int_equal(v, RB_ACCEPTED);
	before = tu_db_dump(base);
	n_before = tu_query_int(base, "SELECT count(*) FROM entry");
	/* With memory enough: the whole export, and how many allocations. */
	copy_db(base, db);
	arm(1L << 40);
	assert_int_equal(ingest(db, t, VEC "/export-2026-08", &v, &e), 0);
	total = made(1L << 40);
	disarm();
	assert_int_equal(v, RB_ACCEPTED);
	n_full = tu_query_int(db, "SELECT count(*) FROM entry");
	assert_true(n_full > n_before);
	assert_true(total > FIRST);
	for (i = 0; i < FIRST + SPREAD; i++) {
		long n = point(i, total);
		int rc;

		copy_db(base, db);
		arm(n);
		rc = ingest(db, t, VEC "/export-2026-08", &v, &e);
		disarm();
		if (rc == 0) {
			if (v != RB_ACCEPTED)
				fail_msg("allocation %ld failed: the export was rejected (%s)", n,
					 e.msg);
			assert_int_equal(tu_query_int(db, "SELECT count(*) FROM entry"), n_full);
			continue;
		}
		failed++;
		after = tu_db_dump(db);
		if (strcmp(before, after) != 0)
			fail_msg("allocation %ld failed (%s): the database changed", n, e.msg);
		free(after);
	}
	assert_true(failed > 0);
	free(before);
	rb_trust_free(t);
}

static int analyse(const char *db, cJSON **doc, struct rb_err *e)
{
	static struct rb_policy def;
	struct rb_analyze_opts o;

	rb_policy_default(&def);
	memset(&o, 0, sizeof(o));
	o.db_path = db;
	o.period = "2026-08";
	o.policy = &def;
	o.trend = 2;
	o.sample = 5;
	o.sample_seed = 42;
	o.store = 1;
	o.keep_rollbacks = 1;
	return rb_analyze(&o, doc, e);
}

/*
 * analyze of the vectors' August (12 rollbacks): each failed allocation
 * gives an error, no document and the stored analysis as it was, or the
 * same document as with memory enough.
 */
static void analyze_stops_and_drops_nothing(void **state)
{
	const char *db = tu_path(dir, "analyze.db");
	rb_trust *t = NULL;
	enum rb_verdict v = RB_REJECTED;
	struct rb_err e;
	cJSON *doc = NULL;
	char *want;
	long total;
	int i, failed = 0;

	(void)state;
	assert_int_equal(rb_trust_load(VEC "/keys.json", &t, &e), 0);
	assert_int_equal(ingest(db, t, VEC "/export-2026-07", &v, &e), 0);
	assert_int_equal(ingest(db, t, VEC "/export-2026-08", &v, &e), 0);
	rb_trust_free(t);
	arm(1L << 40);
	assert_int_equal(analyse(db, &doc, &e), 0);
	total = made(1L << 40);
	disarm();
	want = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM analysis_rollback"), 12);
	assert_true(total > FIRST);
	for (i = 0; i < FIRST + SPREAD; i++) {
		long n = point(i, total);
		char *got;
		int rc;

		doc = NULL;
		arm(n);
		rc = analyse(db, &doc, &e);
		disarm();
		if (rc == 0) {
			got = cJSON_PrintUnformatted(doc);
			if (strcmp(got, want) != 0)
				fail_msg("allocation %ld failed: the analysis differs", n);
			free(got);
			cJSON_Delete(doc);
			continue;
		}
		failed++;
		assert_null(doc);
		assert_int_equal(tu_query_int(db, "SELECT count(*) FROM analysis"), 1);
		assert_int_equal(tu_query_int(db, "SELECT count(*) FROM analysis_rollback"), 12);
	}
	assert_true(failed > 0);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ingest_stops_and_keeps_the_database),
		cmocka_unit_test(analyze_stops_and_drops_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
