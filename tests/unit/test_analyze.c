/*
 * test_analyze.c - focus: the metrics-v1 engine.  On the independent
 * vectors it gives expected-metrics-2026-08.json member for member; each
 * rule is checked at its boundaries on small ledgers written here (a window
 * ending exactly at as_of, an approval at exactly execution time, a change
 * never deployed, an incident that does not exist, ...); policies override
 * and bad ones are refused; periods parse; the audit sample is
 * reproducible; the default sample meets every finding and level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "analyze/analyze.h"
#include "lib/db.h"
#include "lib/period.h"
#include "lib/schema.h"
#include "lib/vocab.h"
#include "analyze/policy.h"
#include "analyze/stats.h"
#include "ingest/ingest.h"
#include "produce/sample.h"
#include "produce/seal.h"
#include "testutil.h"

#define VEC "tests/data/vectors"
#define VEC2 "tests/data/vectors-rev2"

static char *dir;
static int nth;

static int setup(void **state)
{
	(void)state;
	dir = tu_tmpdir();
	tu_make_fixture(dir);   /* keys.json with test-ledger */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(dir);
	free(dir);
	return 0;
}

static void ingest_all(const char *db, const char *keys, const char **exports, int n)
{
	struct rb_ingest_opts o = { 0 };
	rb_trust *t = NULL;
	rb_ingest *g = NULL;
	struct rb_err e;
	int i;

	assert_int_equal(rb_trust_load(keys, &t, &e), 0);
	o.db_path = db;
	o.trust = t;
	assert_int_equal(rb_ingest_open(&o, &g, &e), 0);
	for (i = 0; i < n; i++) {
		struct rb_ingest_outcome *oc = NULL;

		assert_int_equal(rb_ingest_export(g, exports[i], &oc, &e), 0);
		assert_int_equal(oc->verdict, RB_ACCEPTED);
		rb_ingest_outcome_free(oc);
	}
	assert_int_equal(rb_ingest_close(g, &e), 0);
	rb_trust_free(t);
}

static cJSON *analyse(const char *db, const char *period, const struct rb_policy *pol,
		      int sample, uint64_t seed, int store)
{
	struct rb_analyze_opts o;
	struct rb_policy def;
	struct rb_err e;
	cJSON *doc = NULL;

	rb_policy_default(&def);
	memset(&o, 0, sizeof(o));
	o.db_path = db;
	o.period = period;
	o.policy = pol ? pol : &def;
	o.trend = 2;
	o.sample = sample;
	o.sample_seed = seed;
	o.store = store;
	o.keep_rollbacks = 1;
	if (rb_analyze(&o, &doc, &e) != 0)
		fail_msg("analyze: %s", e.msg);
	return doc;
}

/* Every member of expected, recursively, equals actual (numbers to 1e-9). */
static void expect_members(const cJSON *exp, const cJSON *got, const char *path)
{
	char sub[512];

	if (cJSON_IsObject(exp)) {
		const cJSON *x;

		if (!cJSON_IsObject(got))
			fail_msg("%s: not an object", path);
		cJSON_ArrayForEach(x, exp) {
			snprintf(sub, sizeof(sub), "%s.%s", path, x->string);
			expect_members(x, cJSON_GetObjectItemCaseSensitive(got, x->string), sub);
		}
	} else if (cJSON_IsArray(exp)) {
		int i;

		if (!cJSON_IsArray(got) || cJSON_GetArraySize(got) != cJSON_GetArraySize(exp))
			fail_msg("%s: not an array of %d", path, cJSON_GetArraySize(exp));
		for (i = 0; i < cJSON_GetArraySize(exp); i++) {
			snprintf(sub, sizeof(sub), "%s[%d]", path, i);
			expect_members(cJSON_GetArrayItem(exp, i), cJSON_GetArrayItem(got, i), sub);
		}
	} else if (cJSON_IsNumber(exp)) {
		double a = exp->valuedouble, b;

		if (!cJSON_IsNumber(got))
			fail_msg("%s: not a number", path);
		b = got->valuedouble;
		if (fabs(a - b) > 1e-9 * fmax(1.0, fabs(a)))
			fail_msg("%s: expected %.17g, got %.17g", path, a, b);
	} else if (!cJSON_Compare(exp, got, 1)) {
		fail_msg("%s: differs", path);
	}
}

/*
 * The spec fixes no order for the rollbacks of a period (rbaudit lists them
 * by execution, the vectors by id): every member but "rollbacks" as
 * expect_members, and each expected rollback against the one of its id.
 */
static void expect_by_id(cJSON *exp, const cJSON *got, const char *path)
{
	cJSON *er = cJSON_DetachItemFromObject(exp, "rollbacks"), *x;
	const cJSON *gr = cJSON_GetObjectItemCaseSensitive(got, "rollbacks"), *y;
	char sub[256];

	expect_members(exp, got, path);
	assert_int_equal(cJSON_GetArraySize(gr), cJSON_GetArraySize(er));
	cJSON_ArrayForEach(x, er) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(x, "rollback_id"));
		const cJSON *match = NULL;

		cJSON_ArrayForEach(y, gr)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(y, "rollback_id")), id) == 0)
				match = y;
		snprintf(sub, sizeof(sub), "%s.rollbacks[%s]", path, id);
		if (match == NULL)
			fail_msg("%s: missing", sub);
		expect_members(x, match, sub);
	}
	cJSON_AddItemToObject(exp, "rollbacks", er);
}

/*
 * metrics-v1 §8 (revision 2): the independent implementation's ledger with
 * spellings of one person, aliases, authorisation, failed attempts, a
 * rejection and timelines that run backwards gives its expected metrics
 * of 2026-08 member for member, under the default policy and under its
 * policy.json.
 */
static void rev2_vectors_give_the_expected_metrics(void **state)
{
	static const char *ex[] = { VEC2 "/export-2026-07", VEC2 "/export-2026-08",
				    VEC2 "/export-2026-09" };
	static const char *const which[2] = { "default", "policy" };
	const char *db = tu_path(dir, "vectors2.db");
	struct rb_policy pol;
	struct rb_err e;
	char path[256];
	int k;

	(void)state;
	ingest_all(db, VEC2 "/keys.json", ex, 3);
	for (k = 0; k < 2; k++) {
		size_t len;
		char *text;
		cJSON *exp, *got;

		snprintf(path, sizeof(path), VEC2 "/expected-metrics-2026-08-%s.json", which[k]);
		text = tu_slurp(path, &len);
		exp = cJSON_Parse(text);
		rb_policy_default(&pol);
		if (k == 1 && rb_policy_load(VEC2 "/policy.json", &pol, &e) != 0)
			fail_msg("policy.json: %s", e.msg);
		got = analyse(db, "2026-08", &pol, 5, 42, 0);
		expect_by_id(exp, got, which[k]);
		cJSON_Delete(got);
		cJSON_Delete(exp);
		free(text);
	}
}

static void vectors_give_the_expected_metrics(void **state)
{
	static const char *ex[] = { VEC "/export-2026-07", VEC "/export-2026-08",
				    VEC "/export-2026-09" };
	const char *db = tu_path(dir, "vectors.db");
	size_t len;
	char *text = tu_slurp(VEC "/expected-metrics-2026-08.json", &len);
	cJSON *exp = cJSON_Parse(text), *got, *again;
	char *a, *b;

	(void)state;
	ingest_all(db, VEC "/keys.json", ex, 3);
	got = analyse(db, "2026-08", NULL, 5, 42, 1);
	expect_members(exp, got, "");
	/* Two runs on the same data give the same document. */
	again = analyse(db, "2026-08", NULL, 5, 42, 1);
	a = cJSON_PrintUnformatted(got);
	b = cJSON_PrintUnformatted(again);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(got, "trend")), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
		cJSON_GetObjectItem(got, "trend"), 0), "period")->valuestring, "2026-07");
	cJSON_Delete(again);
	cJSON_Delete(got);
	cJSON_Delete(exp);
	free(text);
}

/* on_rollback: collect each rollback's facts; fail at the stop-th when set. */
struct seen {
	cJSON *list;
	int stop;
	char flags[64];         /* '1' or '0' for each rollback, as handed */
};

static int collect(void *ctx, const cJSON *facts, int flagged, struct rb_err *e)
{
	struct seen *s = ctx;
	size_t n = strlen(s->flags);

	if (s->stop > 0 && cJSON_GetArraySize(s->list) + 1 == s->stop)
		return RB_ERR(e, RB_EX_SOFTWARE, "stopped by the test");
	cJSON_AddItemToArray(s->list, cJSON_Duplicate(facts, 1));
	if (n + 1 < sizeof(s->flags))
		s->flags[n] = flagged ? '1' : '0';
	return 0;
}

/*
 * The flags the vector's expected rollbacks give (metrics-v1 §6 levels and
 * §5 findings: flagged when it has a finding or a level of high or
 * critical), in the vector's order.
 */
static void expected_flags(char *out, size_t n)
{
	size_t len, k = 0;
	char *text = tu_slurp(VEC "/expected-metrics-2026-08.json", &len);
	cJSON *exp = cJSON_Parse(text), *r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(exp, "rollbacks")) {
		const char *lv = cJSON_GetStringValue(cJSON_GetObjectItem(r, "level"));
		int f = cJSON_GetArraySize(cJSON_GetObjectItem(r, "findings")) > 0 ||
			strcmp(lv, "high") == 0 || strcmp(lv, "critical") == 0;

		if (k + 1 < n)
			out[k++] = f ? '1' : '0';
	}
	out[k] = '\0';
	cJSON_Delete(exp);
	free(text);
}

/*
 * Without keep_rollbacks the document holds no rollbacks; each one is
 * handed to on_rollback and stored as a row, the same facts, in the same
 * order, as the kept document; a failing callback stores nothing.
 */
static void streamed_rollbacks_match_the_document(void **state)
{
	static const char *ex[] = { VEC "/export-2026-07", VEC "/export-2026-08",
				    VEC "/export-2026-09" };
	const char *db = tu_path(dir, "stream.db");
	struct rb_analyze_opts o;
	struct rb_policy def;
	struct rb_err e;
	struct seen sn = { cJSON_CreateArray(), 0, "" };
	char want[64], stored[64] = "";
	int k = 0;
	cJSON *doc = NULL, *kept, *rows = cJSON_CreateArray();
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	char *a, *b;
	int before;

	(void)state;
	ingest_all(db, VEC "/keys.json", ex, 3);
	kept = analyse(db, "2026-08", NULL, 5, 42, 0);
	rb_policy_default(&def);
	memset(&o, 0, sizeof(o));
	o.db_path = db;
	o.period = "2026-08";
	o.policy = &def;
	o.trend = 2;
	o.sample = 5;
	o.sample_seed = 42;
	o.store = 1;
	o.on_rollback = collect;
	o.rollback_ctx = &sn;
	assert_int_equal(rb_analyze(&o, &doc, &e), 0);
	assert_null(cJSON_GetObjectItem(doc, "rollbacks"));
	assert_int_equal(cJSON_GetArraySize(sn.list), 12);
	a = cJSON_PrintUnformatted(sn.list);
	b = cJSON_PrintUnformatted(cJSON_GetObjectItem(kept, "rollbacks"));
	assert_string_equal(a, b);
	free(a);
	/* The stored rows, in their order. */
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT facts FROM analysis_rollback "
					    "ORDER BY analysis_id, ord", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		cJSON_AddItemToArray(rows, cJSON_Parse((const char *)sqlite3_column_text(q, 0)));
	sqlite3_finalize(q);
	sqlite3_close(h);
	a = cJSON_PrintUnformatted(rows);
	assert_string_equal(a, b);
	free(a);
	free(b);
	/* Flagged, decided once: handed to the callback and stored with each row. */
	expected_flags(want, sizeof(want));
	assert_int_equal(strlen(want), 12);
	assert_string_equal(sn.flags, want);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT flagged FROM analysis_rollback "
					    "ORDER BY analysis_id, ord", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW && k < 63)
		stored[k++] = sqlite3_column_int(q, 0) ? '1' : '0';
	sqlite3_finalize(q);
	sqlite3_close(h);
	assert_string_equal(stored, want);
	/* A database of version 7 (no flag) gets the same flags from its migration. */
	tu_exec(db, "ALTER TABLE analysis_rollback DROP COLUMN flagged; DROP INDEX entry_failed; "
		"DROP INDEX entry_failed_time; ALTER TABLE entry DROP COLUMN failed; "
		"DROP TABLE checkpoint; DROP INDEX entry_requested; DROP INDEX entry_actor; "
		"DROP INDEX analysis_rollback_id; PRAGMA user_version = 7");
	assert_int_equal(rb_schema_open(db, 0, 1000, &h, &e), 0);
	rb_db_close(h);
	assert_int_equal(tu_query_int(db, "PRAGMA user_version"), RB_SCHEMA_VERSION);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT flagged FROM analysis_rollback "
					    "ORDER BY analysis_id, ord", -1, &q, NULL), SQLITE_OK);
	for (k = 0; sqlite3_step(q) == SQLITE_ROW && k < 63; k++)
		stored[k] = sqlite3_column_int(q, 0) ? '1' : '0';
	sqlite3_finalize(q);
	sqlite3_close(h);
	assert_string_equal(stored, want);
	/* The sample and the anomalies are the same as in the kept document. */
	a = cJSON_PrintUnformatted(cJSON_GetObjectItem(doc, "sample"));
	b = cJSON_PrintUnformatted(cJSON_GetObjectItem(kept, "sample"));
	assert_string_equal(a, b);
	free(a);
	free(b);
	a = cJSON_PrintUnformatted(cJSON_GetObjectItem(doc, "anomalies"));
	b = cJSON_PrintUnformatted(cJSON_GetObjectItem(kept, "anomalies"));
	assert_string_equal(a, b);
	free(a);
	free(b);
	cJSON_Delete(doc);
	doc = NULL;
	/* A callback that fails half-way: an error, and nothing more stored. */
	before = (int)tu_query_int(db, "SELECT count(*) FROM analysis_rollback");
	assert_int_equal(before, 12);
	cJSON_Delete(sn.list);
	sn.list = cJSON_CreateArray();
	sn.stop = 6;
	o.sample = 3;           /* another analysis: it would add rows */
	assert_int_not_equal(rb_analyze(&o, &doc, &e), 0);
	assert_null(doc);
	assert_string_equal(e.msg, "stopped by the test");
	assert_int_equal((int)tu_query_int(db, "SELECT count(*) FROM analysis_rollback"), before);
	assert_int_equal((int)tu_query_int(db, "SELECT count(*) FROM analysis"), 1);
	cJSON_Delete(sn.list);
	cJSON_Delete(rows);
	cJSON_Delete(kept);
}

static void stats_median_and_nearest_rank_p90(void **state)
{
	double v[11] = { 5, 1, 4, 2, 3, 10, 9, 8, 7, 6, 11 };
	struct rb_stats s;

	(void)state;
	rb_stats_of(v, 1, &s);  /* n = 1: everything is the one value */
	assert_true(s.n == 1 && s.mean == 5 && s.median == 5 && s.p90 == 5);
	memcpy(v, (double[]){ 4, 1, 3, 2 }, 4 * sizeof(double));
	rb_stats_of(v, 4, &s);  /* even n: mean of the middle two */
	assert_true(s.median == 2.5 && s.mean == 2.5 && s.p90 == 4);
	memcpy(v, (double[]){ 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, 10 * sizeof(double));
	rb_stats_of(v, 10, &s); /* ceil(9) = 9th */
	assert_true(s.p90 == 9 && s.median == 5.5);
	memcpy(v, (double[]){ 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, 11 * sizeof(double));
	rb_stats_of(v, 11, &s); /* ceil(9.9) = 10th */
	assert_true(s.p90 == 10 && s.median == 6);
	rb_stats_of(v, 0, &s);
	assert_int_equal(s.n, 0);
}

/*
 * A ledger from event lines: each "T+SECONDS EVENT ACTOR DATA-JSON" with
 * times counted from 2026-08-01T00:00:00Z; returns the database path.
 */
static const char *ledger(const char *const *lines, size_t n)
{
	static char db[4096];
	char ev[4096], out[4096];
	FILE *f;
	size_t i;
	struct rb_ledger_state st;
	rb_privkey *k = tu_key(1);
	uint64_t cnt;
	struct rb_err e;
	const char *exports[1];

	nth++;
	snprintf(ev, sizeof(ev), "%s/s%d.jsonl", dir, nth);
	snprintf(out, sizeof(out), "%s/s%d", dir, nth);
	snprintf(db, sizeof(db), "%s/s%d.db", dir, nth);
	f = fopen(ev, "w");
	for (i = 0; i < n; i++) {
		long long off;
		char event[64], actor[128];
		int used = 0;
		struct rb_time t;
		char ts[RB_TIME_MAX];

		if (sscanf(lines[i], "%lld %63s %127s %n", &off, event, actor, &used) != 3)
			fail_msg("bad scenario line %s", lines[i]);
		t.sec = 1785542400LL + off;     /* 2026-08-01T00:00:00Z */
		t.nsec = 0;
		rb_time_format(&t, ts);
		fprintf(f, "{\"time\":\"%s\",\"event\":\"%s\",\"actor\":\"%s\",\"data\":%s}\n", ts,
			event, actor, lines[i] + used);
	}
	fclose(f);
	rb_state_init(&st, "scenario.example/ledger");
	if (rb_seal_file(ev, out, &st, "test-ledger", k, NULL, 0, &cnt, &e) != 0)
		fail_msg("seal: %s", e.msg);
	rb_state_clear(&st);
	rb_privkey_free(k);
	exports[0] = out;
	ingest_all(db, tu_path(dir, "keys.json"), exports, 1);
	return db;
}

#define REQ(id, extra) \
	"{\"rollback_id\":\"" id "\",\"change_id\":\"C1\",\"service\":\"svc\"," \
	"\"environment\":\"production\",\"risk_tier\":\"low\",\"ticket\":\"T\"," \
	"\"rationale\":\"r\",\"impact\":\"i\",\"security_considerations\":\"s\"," \
	"\"components\":[],\"operation\":{}" extra "}"
#define DEPLOY "{\"change_id\":\"C1\",\"service\":\"svc\",\"environment\":\"production\"," \
	"\"team\":\"core\",\"ticket\":\"T\",\"commit\":\"c\",\"artifact\":\"a\"}"
#define EXEC(id, extra) "{\"rollback_id\":\"" id "\",\"result\":\"success\"," \
	"\"from_version\":\"2\",\"to_version\":\"1\"" extra "}"
#define TESTS_PASS(id) "{\"rollback_id\":\"" id "\",\"evidence\":[{\"kind\":\"tests\"," \
	"\"result\":\"pass\",\"ref\":\"x\"}]}"

static const cJSON *rollback(const cJSON *doc, const char *id)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "rollbacks"))
		if (strcmp(cJSON_GetObjectItem(r, "rollback_id")->valuestring, id) == 0)
			return r;
	fail_msg("no rollback %s", id);
	return NULL;
}

static int has_finding(const cJSON *r, const char *code)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "findings"))
		if (strcmp(x->valuestring, code) == 0)
			return 1;
	return 0;
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItem(o, k)->valuedouble;
}

static void windows_end_inclusively_at_as_of(void **state)
{
	/* Emergency executed at 1000; review window 72 h = 259200 s.  The last
	 * entry (as_of) is exactly at 1000 + 259200: the window has closed. */
	static const char *const closed[] = {
		"0 change.deployed dev " DEPLOY,
		"100 rollback.requested req " REQ("R1", ",\"emergency\":true"),
		"1000 rollback.executed sre " EXEC("R1", ",\"touches\":[]"),
		"87400 rollback.verified sre " TESTS_PASS("R1"),   /* exactly +24 h */
		"260200 change.deployed dev {\"change_id\":\"C2\"}",
	};
	static const char *const open_[] = {
		"0 change.deployed dev " DEPLOY,
		"100 rollback.requested req " REQ("R1", ",\"emergency\":true"),
		"1000 rollback.executed sre " EXEC("R1", ",\"touches\":[]"),
		"87401 rollback.verified sre " TESTS_PASS("R1"),   /* one second late */
		"260199 change.deployed dev {\"change_id\":\"C2\"}",
	};
	cJSON *d;
	const cJSON *r;

	(void)state;
	d = analyse(ledger(closed, 5), "2026-08", NULL, 0, 0, 0);
	r = rollback(d, "R1");
	assert_true(has_finding(r, "emergency-unreviewed"));
	assert_false(has_finding(r, "unverified"));     /* tests exactly at +24 h count */
	assert_false(has_finding(r, "stale-revert"));   /* 14 days have not passed */
	cJSON_Delete(d);
	d = analyse(ledger(open_, 5), "2026-08", NULL, 0, 0, 0);
	r = rollback(d, "R1");
	assert_false(has_finding(r, "emergency-unreviewed"));  /* one second short */
	assert_true(has_finding(r, "unverified"));
	cJSON_Delete(d);
}

static void approval_at_execution_time_counts(void **state)
{
	static const char *const at[] = {
		"0 change.deployed dev " DEPLOY,
		"100 rollback.requested req " REQ("R1", ",\"emergency\":false"),
		"500 rollback.approved boss {\"rollback_id\":\"R1\",\"role\":\"lead\"}",
		"500 rollback.executed sre " EXEC("R1", ",\"touches\":[]"),
	};
	static const char *const late[] = {
		"0 change.deployed dev " DEPLOY,
		"100 rollback.requested req " REQ("R1", ",\"emergency\":false"),
		"500 rollback.executed sre " EXEC("R1", ",\"touches\":[]"),
		"501 rollback.approved boss {\"rollback_id\":\"R1\",\"role\":\"lead\"}",
	};
	cJSON *d;
	const cJSON *r;

	(void)state;
	d = analyse(ledger(at, 4), "2026-08", NULL, 0, 0, 0);
	r = rollback(d, "R1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "approved")));
	assert_false(has_finding(r, "approvals-missing"));
	assert_true(num(r, "approval_latency") == 400);
	assert_true(num(r, "score") == 0);
	cJSON_Delete(d);
	d = analyse(ledger(late, 4), "2026-08", NULL, 0, 0, 0);
	r = rollback(d, "R1");
	assert_true(has_finding(r, "approvals-missing"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "approval_latency")));
	assert_true(num(r, "score") == 20);     /* gate bypass, production */
	cJSON_Delete(d);
}

static void separation_of_duties_and_unknown_references(void **state)
{
	static const char *const l[] = {
		"100 rollback.requested req " REQ("R1", ",\"emergency\":false,\"incident_id\":\"NOPE\""),
		"200 rollback.approved req {\"rollback_id\":\"R1\",\"role\":\"self\"}",
		"300 rollback.approved sre {\"rollback_id\":\"R1\",\"role\":\"sre\"}",
		"400 rollback.executed sre " EXEC("R1", ",\"touches\":[]"),
		"450 rollback.approved ghost {\"rollback_id\":\"R9\",\"role\":\"lead\"}",
	};
	cJSON *d = analyse(ledger(l, 5), "2026-08", NULL, 0, 0, 0);
	const cJSON *r = rollback(d, "R1"), *a;
	int unknown_change = 0, unknown_incident = 0, unknown_rollback = 0;

	(void)state;
	assert_true(has_finding(r, "separation-of-duties"));
	assert_true(has_finding(r, "approvals-missing"));      /* neither approval is valid */
	/* Never deployed: no TTD; the incident does not exist: detected = requested. */
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "ttd")));
	assert_true(num(r, "ttr") == 300);
	assert_true(num(cJSON_GetObjectItem(d, "ttd"), "n") == 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "rollback_rate")));
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(d, "anomalies")) {
		const char *k = cJSON_GetObjectItem(a, "kind")->valuestring;

		unknown_change |= strcmp(k, "unknown-change") == 0;
		unknown_incident |= strcmp(k, "unknown-incident") == 0;
		unknown_rollback |= strcmp(k, "unknown-rollback") == 0;
	}
	assert_true(unknown_change && unknown_incident && unknown_rollback);
	cJSON_Delete(d);
}

static void score_caps_and_environment_factor(void **state)
{
	static const char *const l[] = {
		"0 change.deployed dev " DEPLOY,
		"100 rollback.requested req {\"rollback_id\":\"R1\",\"change_id\":\"C1\","
		"\"service\":\"svc\",\"environment\":\"qa\",\"risk_tier\":\"low\","
		"\"emergency\":true,\"ticket\":\"\",\"rationale\":\"\",\"impact\":\"\","
		"\"security_considerations\":\"\",\"components\":[],\"operation\":{}}",
		"200 rollback.executed sre " EXEC("R1", ",\"touches\":[\"secrets\",\"secrets\","
			"\"authz-config\"],\"reintroduces\":[\"CVE-1\",\"CVE-2\",\"CVE-3\"]"),
		"300 rollback.requested req " REQ("R2", ",\"emergency\":false"),
		"400 rollback.executed sre " EXEC("R2", ",\"touches\":[\"authz-config\","
			"\"crypto-material\",\"network-exposure\",\"secrets\"],\"reintroduces\":[\"X\"]"),
		"500 rollback.executed sre2 " EXEC("R2", ",\"touches\":[]"),   /* a second execution: ignored */
	};
	cJSON *d = analyse(ledger(l, 6), "2026-08", NULL, 0, 0, 0);
	const cJSON *r1 = rollback(d, "R1"), *r2 = rollback(d, "R2");

	(void)state;
	/* R1: secrets 25 + authz 30 (distinct) + 2 advisories 80 + emergency 5 = 140,
	 * environment "qa" is not named: factor 0.25 -> 35. */
	assert_true(num(r1, "raw_score") == 140);
	assert_true(num(r1, "environment_factor") == 0.25);
	assert_true(num(r1, "score") == 35);
	assert_string_equal(cJSON_GetObjectItem(r1, "level")->valuestring, "medium");
	assert_true(has_finding(r1, "security-regression"));
	/* R2: 110 + 40 + 20 (gate bypass) in production: capped at 100. */
	assert_true(num(r2, "score") == 100);
	assert_string_equal(cJSON_GetObjectItem(r2, "level")->valuestring, "critical");
	assert_string_equal(cJSON_GetObjectItem(r2, "executor")->valuestring, "sre");
	/* R1 misses all four texts, approvals-after-the-fact are absent too. */
	assert_true(num(r1, "completeness") < 0.5);
	cJSON_Delete(d);
}

static void policy_overrides_member_by_member(void **state)
{
	static const char *const l[] = {
		"0 change.deployed dev " DEPLOY,
		"100 rollback.requested req " REQ("R1", ",\"emergency\":false"),
		"200 rollback.executed sre " EXEC("R1", ",\"touches\":[\"secrets\"]"),
	};
	const char *db = ledger(l, 3);
	const char *pf = tu_path(dir, "policy.json");
	static const char pol[] = "{\"approvals_required\":{\"low\":0},"
				  "\"weights\":{\"secrets\":60},\"levels\":{\"high\":60}}";
	struct rb_policy p;
	struct rb_err e;
	cJSON *d;
	const cJSON *r;

	(void)state;
	d = analyse(db, "2026-08", NULL, 0, 0, 0);
	r = rollback(d, "R1");
	assert_true(has_finding(r, "approvals-missing"));
	assert_true(num(r, "score") == 45);     /* secrets 25 + gate bypass 20 */
	cJSON_Delete(d);
	tu_spit(pf, pol, sizeof(pol) - 1);
	rb_policy_default(&p);
	assert_int_equal(rb_policy_load(pf, &p, &e), 0);
	assert_int_equal(p.approvals_required[1], 1);   /* untouched members stay */
	assert_true(p.w_touch[0] == 30 && p.level_critical == 75);
	d = analyse(db, "2026-08", &p, 0, 0, 0);
	r = rollback(d, "R1");
	assert_false(has_finding(r, "approvals-missing"));
	assert_true(num(r, "score") == 60);
	assert_string_equal(cJSON_GetObjectItem(r, "level")->valuestring, "high");
	cJSON_Delete(d);
}

static void bad_policies_are_refused_naming_the_member(void **state)
{
	static const struct { const char *text, *needle; } bad[] = {
		{ "{\"approvals\":{}}", "\"approvals\"" },
		{ "{\n\"review_window_hours\":\"72\"}", "line 2" },
		{ "{\"verify_window_hours\":-1}", "verify_window_hours" },
		{ "{\"approvals_required\":{\"urgent\":1}}", "approvals_required.urgent" },
		{ "{\"approvals_required\":{\"low\":1.5}}", "approvals_required.low" },
		{ "{\"security_scan_required\":[\"severe\"]}", "security_scan_required" },
		{ "{\"weights\":{\"moon\":1}}", "weights.moon" },
		{ "{\"levels\":{\"medium\":80}}", "levels" },
		{ "{\"environment_factor\":[]}", "environment_factor" },
		{ "[1]", "not a JSON object" },
		{ "{\"max_revert_days\":14,\"max_revert_days\":15}", "duplicate" },
		{ "{", "not valid JSON" },
		/* §8.1 aliases and §8.4 authorized */
		{ "{\"aliases\":{\"oren@x\":[\"okatz\"],\"olga@x\":[\" OKatz\"]}}",
		  "lists \"okatz\" under two people, \"oren@x\" and \"olga@x\"" },
		{ "{\"aliases\":{\"a@x\":[\"b@x\"],\"B@X\":[\"c@x\"]}}",
		  "\"b@x\" as an alias of \"a@x\" and as a person" },
		{ "{\"aliases\":[\"a@x\"]}", "aliases" },
		{ "{\"aliases\":{\"a@x\":\"b@x\"}}", "aliases.a@x" },
		{ "{\"aliases\":{\"a@x\":[7]}}", "aliases.a@x" },
		{ "{\"aliases\":{\"a@x\":[\"  \"]}}", "empty identity" },
		{ "{\"authorized\":{\"deploy\":{\"*\":[\"*\"]}}}", "authorized.deploy" },
		{ "{\"authorized\":{\"approve\":{\"severe\":[\"*\"]}}}",
		  "authorized.approve.severe" },
		{ "{\"authorized\":{\"approve\":{\"*\":\"*\"}}}", "authorized.approve.*" },
		{ "{\"authorized\":{\"execute\":[\"a@x\"]}}", "authorized.execute" },
		{ "{\"authorized\":{\"request\":{\"low\":[true]}}}", "authorized.request.low" },
		{ "{\"authorized\":[]}", "\"authorized\"" },
	};
	const char *pf = tu_path(dir, "bad.json");
	struct rb_policy p;
	struct rb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tu_spit(pf, bad[i].text, strlen(bad[i].text));
		rb_policy_default(&p);
		if (rb_policy_load(pf, &p, &e) == 0)
			fail_msg("accepted policy %s", bad[i].text);
		assert_int_equal(e.code, RB_EX_CONFIG);
		if (strstr(e.msg, bad[i].needle) == NULL)
			fail_msg("'%s' does not mention %s", e.msg, bad[i].needle);
		assert_true(p.review_window_hours == 72);       /* nothing half applied */
	}
	assert_int_equal(rb_policy_load(tu_path(dir, "missing.json"), &p, &e), -1);
	assert_int_equal(e.code, RB_EX_NOINPUT);
}

static void periods_parse_and_step_back(void **state)
{
	struct rb_period p, q;
	struct rb_err e;

	(void)state;
	assert_int_equal(rb_period_parse("2026-08", 0, &p, &e), 0);
	assert_int_equal(p.start, 1785542400LL);
	assert_int_equal(p.end, 1788220800LL);
	rb_period_prev(&p, &q);
	assert_string_equal(q.name, "2026-07");
	assert_int_equal(rb_period_parse("2026-01", 0, &p, &e), 0);
	rb_period_prev(&p, &q);
	assert_string_equal(q.name, "2025-12");
	assert_int_equal(rb_period_parse("2026-Q1", 0, &p, &e), 0);
	rb_period_prev(&p, &q);
	assert_string_equal(q.name, "2025-Q4");
	assert_int_equal(q.end, p.start);
	assert_int_equal(rb_period_parse("2026", 0, &p, &e), 0);
	rb_period_prev(&p, &q);
	assert_string_equal(q.name, "2025");
	assert_int_equal(rb_period_parse("2026-08-10..2026-08-20", 0, &p, &e), 0);
	assert_int_equal(p.end - p.start, 10 * 86400);
	rb_period_prev(&p, &q);
	assert_string_equal(q.name, "2026-07-31..2026-08-10");
	/* last-month on 2026-11-26 is 2026-10. */
	assert_int_equal(rb_period_parse("last-month", 1795651200LL, &p, &e), 0);
	assert_string_equal(p.name, "2026-10");
	assert_int_equal(rb_period_parse("2026-13", 0, &p, &e), -1);
	assert_int_equal(e.code, RB_EX_USAGE);
	assert_int_equal(rb_period_parse("2026-Q5", 0, &p, &e), -1);
	assert_int_equal(rb_period_parse("2026-08-20..2026-08-10", 0, &p, &e), -1);
	assert_int_equal(rb_period_parse("August", 0, &p, &e), -1);
}

static void default_sample_meets_every_finding_and_level(void **state)
{
	struct rb_policy pol;
	static const char *months[] = { "2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
					"2026-10" };
	struct rb_sample_opts o;
	struct rb_sample_stats st;
	struct rb_err e;
	const char *ex[6];
	char paths[6][4096];
	const char *db = tu_path(dir, "sample.db");
	cJSON *d, *s1, *s2;
	const cJSON *x;
	int i;

	(void)state;
	rb_sample_defaults(&o);
	o.out = tu_path(dir, "sample");
	assert_int_equal(rb_sample_generate(&o, &st, &e), 0);
	for (i = 0; i < 6; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/sample/exports/rollback-ledger/%s", dir,
			 months[i]);
		ex[i] = paths[i];
	}
	ingest_all(db, tu_path(tu_path(dir, "sample"), "keys.json"), ex, 6);
	/* Under the policy the sample writes (aliases, authorized: metrics-v1 §8). */
	rb_policy_default(&pol);
	if (rb_policy_load(tu_path(tu_path(dir, "sample"), "policy.json"), &pol, &e) != 0)
		fail_msg("the sample's policy: %s", e.msg);
	d = analyse(db, "2026-05-01..2026-11-01", &pol, 25, 7, 1);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(d, "finding_counts"))
		if (x->valuedouble < 1)
			fail_msg("no %s finding in the default sample", x->string);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "finding_counts")), 8);
	/* And revision 2's figures: failed attempts, a timeline anomaly. */
	assert_true(num(d, "failed_executions") > 0);
	{
		int timeline = 0;

		cJSON_ArrayForEach(x, cJSON_GetObjectItem(d, "anomalies"))
			timeline += strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(x, "kind")),
					   "timeline") == 0;
		assert_true(timeline > 0);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(d, "levels"))
		if (x->valuedouble < 1)
			fail_msg("no %s level in the default sample", x->string);
	/* The audit sample: 25 rollbacks, each with its trail and seqs. */
	s1 = cJSON_GetObjectItem(d, "sample");
	assert_int_equal(num(s1, "size"), 25);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(s1, "rollbacks"), 0);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(x, "trail")) >= 2);
	/* The same seed picks the same rollbacks; another seed others. */
	{
		cJSON *d2 = analyse(db, "2026-05-01..2026-11-01", NULL, 25, 7, 0);
		cJSON *d3 = analyse(db, "2026-05-01..2026-11-01", NULL, 25, 8, 0);

		s2 = cJSON_GetObjectItem(d2, "sample");
		assert_true(cJSON_Compare(cJSON_GetObjectItem(s1, "rollbacks"),
					  cJSON_GetObjectItem(s2, "rollbacks"), 1));
		assert_false(cJSON_Compare(cJSON_GetObjectItem(s1, "rollbacks"),
					   cJSON_GetObjectItem(cJSON_GetObjectItem(d3, "sample"),
							       "rollbacks"), 1));
		cJSON_Delete(d2);
		cJSON_Delete(d3);
	}
	cJSON_Delete(d);
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors_give_the_expected_metrics),
		cmocka_unit_test(rev2_vectors_give_the_expected_metrics),
		cmocka_unit_test(streamed_rollbacks_match_the_document),
		cmocka_unit_test(stats_median_and_nearest_rank_p90),
		cmocka_unit_test(windows_end_inclusively_at_as_of),
		cmocka_unit_test(approval_at_execution_time_counts),
		cmocka_unit_test(separation_of_duties_and_unknown_references),
		cmocka_unit_test(score_caps_and_environment_factor),
		cmocka_unit_test(policy_overrides_member_by_member),
		cmocka_unit_test(bad_policies_are_refused_naming_the_member),
		cmocka_unit_test(periods_parse_and_step_back),
		cmocka_unit_test(default_sample_meets_every_finding_and_level),
	};

	return _cmocka_run_group_tests("test_analyze", tests,
				       tu_select(tests, sizeof(tests) / sizeof(tests[0])), setup,
				       teardown);
}
