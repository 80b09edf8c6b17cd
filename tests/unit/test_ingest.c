/*
 * test_ingest.c - focus: ingest stores only verified history.  Exports go
 * in in order and again as no-ops; out of order they are E_GAP until the
 * gap is filled; every tampered export and every fork is rejected with the
 * database dump byte-identical; an overlapping export stores only its new
 * entries; --bootstrap starts a ledger mid-way; anomalies are recorded.
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
#include "lib/db.h"
#include "lib/schema.h"
#include "lib/crypto.h"
#include "produce/seal.h"
#include "testutil.h"

#define VEC "tests/data/vectors"

static char *dir;
static int dbno;

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

static const char *new_db(void)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/db%d.sqlite", dir, ++dbno);
	return p;
}

/* Ingest one export; returns the verdict and the first error's code/seq. */
static enum rb_verdict ingest(const char *db, const char *keys, const char *export,
			      int bootstrap, char *code, int64_t *seq, uint64_t *new_entries)
{
	struct rb_ingest_opts o = { 0 };
	struct rb_ingest_outcome *oc = NULL;
	rb_trust *t = NULL;
	rb_ingest *g = NULL;
	struct rb_err e;
	enum rb_verdict v;

	assert_int_equal(rb_trust_load(keys, &t, &e), 0);
	o.db_path = db;
	o.trust = t;
	o.jobs = 2;
	o.bootstrap = bootstrap;
	o.busy_ms = 1000;
	if (rb_ingest_open(&o, &g, &e) != 0)
		fail_msg("open: %s", e.msg);
	if (rb_ingest_export(g, export, &oc, &e) != 0)
		fail_msg("ingest: %s", e.msg);
	v = oc->verdict;
	if (code != NULL) {
		const struct rb_finding *f = rb_vreport_error(oc->report, 0);

		strcpy(code, f ? f->code : "");
		if (seq != NULL)
			*seq = f ? f->seq : -2;
	}
	if (new_entries != NULL)
		*new_entries = oc->new_entries;
	rb_ingest_outcome_free(oc);
	assert_int_equal(rb_ingest_close(g, &e), 0);
	rb_trust_free(t);
	return v;
}

/* Assert that ingesting export is rejected with code among its errors. */
static void rejected_with(const char *db, const char *keys, const char *export,
			  const char *code)
{
	struct rb_ingest_opts o = { 0 };
	struct rb_ingest_outcome *oc = NULL;
	rb_trust *t = NULL;
	rb_ingest *g = NULL;
	struct rb_err e;

	assert_int_equal(rb_trust_load(keys, &t, &e), 0);
	o.db_path = db;
	o.trust = t;
	o.busy_ms = 1000;
	assert_int_equal(rb_ingest_open(&o, &g, &e), 0);
	assert_int_equal(rb_ingest_export(g, export, &oc, &e), 0);
	assert_int_equal(oc->verdict, RB_REJECTED);
	if (!rb_vreport_has(oc->report, code))
		fail_msg("%s: no %s among the errors", export, code);
	rb_ingest_outcome_free(oc);
	rb_ingest_close(g, &e);
	rb_trust_free(t);
}

static void vectors_in_order_then_again_as_noop(void **state)
{
	const char *db = new_db();
	uint64_t n = 0;
	char *before, *after;
	struct stat st;

	(void)state;
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-07", 0, NULL, NULL, &n),
			 RB_ACCEPTED);
	assert_int_equal(n, 252);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-08", 0, NULL, NULL, &n),
			 RB_ACCEPTED);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-09", 0, NULL, NULL, &n),
			 RB_ACCEPTED);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM entry"), 679);
	assert_int_equal(tu_query_int(db, "SELECT size FROM ledger"), 679);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ingest_export"), 3);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 0137, 0);  /* 0640 or tighter */
	before = tu_db_dump(db);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-08", 0, NULL, NULL, &n),
			 RB_NOOP);
	assert_int_equal(n, 0);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-07", 0, NULL, NULL, NULL),
			 RB_NOOP);
	after = tu_db_dump(db);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void reverse_order_is_gap_until_the_first_is_in(void **state)
{
	const char *db = new_db();
	char code[32];
	int64_t seq;

	(void)state;
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-09", 0, code, &seq, NULL),
			 RB_REJECTED);
	assert_string_equal(code, "E_GAP");
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-08", 0, code, &seq, NULL),
			 RB_REJECTED);
	assert_string_equal(code, "E_GAP");
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM entry"), 0);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ledger"), 0);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-07", 0, NULL, NULL, NULL),
			 RB_ACCEPTED);
	/* 09 still misses 08: E_GAP naming the first missing seq. */
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-09", 0, code, &seq, NULL),
			 RB_REJECTED);
	assert_string_equal(code, "E_GAP");
	assert_int_equal(seq, 252);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-08", 0, NULL, NULL, NULL),
			 RB_ACCEPTED);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-09", 0, NULL, NULL, NULL),
			 RB_ACCEPTED);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM entry"), 679);
}

/* A copy of src under a new name, with a change made by fn. */
static const char *tampered(const char *src, void (*fn)(const char *))
{
	static char d[4096];
	static int n;

	snprintf(d, sizeof(d), "%s/t%d", dir, ++n);
	mkdir(d, 0700);
	tu_copy_export(src, d);
	fn(d);
	return d;
}

static void flip_sig(const char *d)
{
	size_t n;
	char **l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	char *sig = strstr(l[9], "\"sig\":\"") + 7;

	sig[2] = sig[2] == 'A' ? 'B' : 'A';
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n, "\n", 1);
	tu_free_lines(l, n);
	tu_fix_manifest(d);
}

static void drop_line(const char *d)
{
	size_t n;
	char **l = tu_lines(tu_path(d, "entries.jsonl"), &n);

	free(l[20]);
	memmove(&l[20], &l[21], (n - 21) * sizeof(*l));
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n - 1, "\n", 1);
	tu_free_lines(l, n - 1);
}

static void truncate_tail(const char *d)
{
	size_t n;
	char **l = tu_lines(tu_path(d, "entries.jsonl"), &n);

	tu_write_lines(tu_path(d, "entries.jsonl"), l, n - 5, "\n", 1);
	tu_free_lines(l, n);
	tu_fix_manifest(d);
}

static void blank_line(const char *d)
{
	size_t n;
	char **l = tu_lines(tu_path(d, "entries.jsonl"), &n);

	l[n - 1][0] = '\0';
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n, "\n", 1);
	tu_free_lines(l, n);
}

static void bad_checkpoint(const char *d)
{
	size_t len;
	char *cp = tu_slurp(tu_path(d, "checkpoint"), &len);

	cp[len - 8] = cp[len - 8] == 'A' ? 'B' : 'A';
	tu_spit(tu_path(d, "checkpoint"), cp, len);
	free(cp);
}

static void tampered_exports_change_nothing(void **state)
{
	static void (*const cases[])(const char *) = {
		flip_sig, drop_line, truncate_tail, blank_line, bad_checkpoint,
	};
	static const char *codes[] = { "E_SIG", "E_SEQ", "E_TRUNCATED", "E_PARSE",
				       "E_CHECKPOINT_SIG" };
	const char *db = new_db();
	char *before, *after, code[32];
	size_t i;

	(void)state;
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-07", 0, NULL, NULL, NULL),
			 RB_ACCEPTED);
	before = tu_db_dump(db);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *d = tampered(VEC "/export-2026-08", cases[i]);
		char *now;

		rejected_with(db, VEC "/keys.json", d, codes[i]);
		now = tu_db_dump(db);
		assert_string_equal(before, now);
		free(now);
	}
	/* An export already stored, with a signature broken since: rejected,
	 * not a no-op (a changed line is checked again). */
	{
		const char *d = tampered(VEC "/export-2026-07", flip_sig);

		assert_int_equal(ingest(db, VEC "/keys.json", d, 0, code, NULL, NULL), RB_REJECTED);
		assert_string_equal(code, "E_SIG");
	}
	after = tu_db_dump(db);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void fork_is_E_FORK_at_the_first_differing_seq(void **state)
{
	const char *db = new_db();
	struct rb_ledger_state s, s6, fork6, forked3;
	char code[32];
	int64_t seq;
	char *before, *after;

	(void)state;
	tu_make_fixture(dir);   /* keys.json for the fixture's keys */
	/* Shared history 0..5, then two different continuations 6..11. */
	rb_state_init(&s, "fork.example/ledger");
	tu_seal_range(tu_path(dir, "f-0"), &s, 0, 6, 0);
	s6 = s;
	s6.checkpoint = strdup(s.checkpoint);
	fork6 = s;
	fork6.checkpoint = strdup(s.checkpoint);
	tu_seal_range(tu_path(dir, "f-6a"), &s6, 6, 12, 0);
	tu_seal_range(tu_path(dir, "f-6b"), &fork6, 6, 12, 1);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "f-0"), 0, NULL,
				NULL, NULL), RB_ACCEPTED);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "f-6a"), 0, NULL,
				NULL, NULL), RB_ACCEPTED);
	before = tu_db_dump(db);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "f-6b"), 0, code,
				&seq, NULL), RB_REJECTED);
	assert_string_equal(code, "E_FORK");
	assert_int_equal(seq, 6);
	/* A history that differs from seq 3 on, continued past the stored end:
	 * its frontier at seq 12 folds to another root. */
	rb_state_init(&forked3, "fork.example/ledger");
	tu_seal_range(tu_path(dir, "g-0"), &forked3, 0, 3, 0);
	tu_seal_range(tu_path(dir, "g-3"), &forked3, 3, 12, 1);
	tu_seal_range(tu_path(dir, "g-12"), &forked3, 12, 16, 0);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "g-12"), 0, code,
				&seq, NULL), RB_REJECTED);
	assert_string_equal(code, "E_FORK");
	assert_int_equal(seq, 12);
	after = tu_db_dump(db);
	assert_string_equal(before, after);
	free(before);
	free(after);
	rb_state_clear(&s);
	rb_state_clear(&s6);
	rb_state_clear(&fork6);
	rb_state_clear(&forked3);
}

static void overlapping_export_stores_only_new_entries(void **state)
{
	const char *db = new_db();
	struct rb_ledger_state s, s6;
	uint64_t n = 0;

	(void)state;
	tu_make_fixture(dir);
	rb_state_init(&s, "overlap.example/ledger");
	tu_seal_range(tu_path(dir, "o-0"), &s, 0, 6, 0);
	s6 = s;
	s6.checkpoint = strdup(s.checkpoint);
	tu_seal_range(tu_path(dir, "o-6"), &s, 6, 12, 0);
	tu_seal_range(tu_path(dir, "o-6-20"), &s6, 6, 20, 0);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "o-0"), 0, NULL,
				NULL, NULL), RB_ACCEPTED);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "o-6"), 0, NULL,
				NULL, NULL), RB_ACCEPTED);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "o-6-20"), 0, NULL,
				NULL, &n), RB_ACCEPTED);
	assert_int_equal(n, 8);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM entry"), 20);
	assert_int_equal(tu_query_int(db, "SELECT new_first_seq FROM ingest_export WHERE id = 3"), 12);
	assert_int_equal(tu_query_int(db, "SELECT size FROM ledger"), 20);
	rb_state_clear(&s);
	rb_state_clear(&s6);
}

/*
 * Re-ingest takes a line identical to a stored one from its row, so the
 * rows are checked against the export's signed checkpoint on the way: a
 * stored leaf changed behind rbaudit's back makes the re-ingest fail, where
 * trusting the row blindly would call it a no-op, and the second, full
 * pass names the row: E_FORK at its seq.
 */
static void reingest_checks_the_stored_rows(void **state)
{
	const char *db = new_db();

	(void)state;
	tu_make_fixture(dir);   /* export A: seq 0..11 */
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "A"), 0, NULL, NULL,
				NULL), RB_ACCEPTED);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "A"), 0, NULL, NULL,
				NULL), RB_NOOP);
	tu_exec(db, "UPDATE entry SET leaf = zeroblob(32) WHERE seq = 5");
	/* The stored history is proved before an export meets it (lib/stored). */
	{
		struct rb_ingest_opts o = { 0 };
		struct rb_ingest_outcome *oc = NULL;
		rb_trust *t = NULL;
		rb_ingest *g = NULL;
		struct rb_err e;

		assert_int_equal(rb_trust_load(tu_path(dir, "keys.json"), &t, &e), 0);
		o.db_path = db;
		o.trust = t;
		o.busy_ms = 1000;
		assert_int_equal(rb_ingest_open(&o, &g, &e), 0);
		assert_int_equal(rb_ingest_export(g, tu_path(dir, "A"), &oc, &e), -1);
		assert_int_equal(e.code, RB_EX_FAIL);
		assert_non_null(strstr(e.msg, "table entry, seq 5: the leaf column"));
		rb_ingest_close(g, NULL);
		rb_trust_free(t);
	}
}

/*
 * Extra members in the first entry's signature object, numbers that cJSON
 * prints longer than they are written (1e9 is 1000000000): 100 of them.
 */
static void long_numbers_in_a_signature(const char *d)
{
	size_t n, i, used;
	char **l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	char *end = strstr(l[0], "\"}]}"), *nl;

	assert_non_null(end);
	nl = malloc(strlen(l[0]) + 100 * 16 + 1);
	assert_non_null(nl);
	used = (size_t)(end - l[0]) + 1;
	memcpy(nl, l[0], used);
	for (i = 0; i < 100; i++)
		used += (size_t)sprintf(nl + used, ",\"n%zu\":1e9", i);
	strcpy(nl + used, "}]}");
	free(l[0]);
	l[0] = nl;
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n, "\n", 1);
	tu_free_lines(l, n);
	tu_fix_manifest(d);
}

/*
 * The row keeps the envelope's signatures as compact JSON and the SHA-256
 * of the exact line, whatever the signature objects hold.
 */
static void stored_signatures_and_line_digest(void **state)
{
	const char *db = new_db(), *d;
	char hex[65], want[200];
	uint8_t digest[32];
	size_t n;
	char **l;

	(void)state;
	tu_make_fixture(dir);   /* export A: seq 0..11 */
	d = tampered(tu_path(dir, "A"), long_numbers_in_a_signature);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), d, 0, NULL, NULL, NULL),
			 RB_ACCEPTED);
	assert_int_equal(tu_query_int(db, "SELECT json_extract(signatures, '$[0].n99') FROM "
				   "entry WHERE seq = 0"), 1000000000);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM entry WHERE "
				   "json_array_length(signatures) >= 1 AND "
				   "json_extract(signatures, '$[0].keyid') IS NOT NULL AND "
				   "length(line_sha256) = 32"), 12);
	l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	rb_sha256(l[0], strlen(l[0]), digest);
	rb_hex_encode(digest, 32, hex);
	tu_free_lines(l, n);
	snprintf(want, sizeof(want), "SELECT count(*) FROM entry WHERE seq = 0 AND "
		 "lower(hex(line_sha256)) = '%s'", hex);
	assert_int_equal(tu_query_int(db, want), 1);
}

static void bootstrap_starts_mid_ledger(void **state)
{
	const char *db = new_db();
	char code[32];
	uint64_t n;

	(void)state;
	tu_make_fixture(dir);   /* exports A (0..11) and B (12..19) */
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "B"), 0, code, NULL,
				NULL), RB_REJECTED);
	assert_string_equal(code, "E_GAP");
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "B"), 1, NULL, NULL,
				&n), RB_ACCEPTED);
	assert_int_equal(n, 8);
	assert_int_equal(tu_query_int(db, "SELECT base_seq FROM ledger"), 12);
	assert_int_equal(tu_query_int(db, "SELECT bootstrap FROM ingest_export"), 1);
	assert_int_equal(tu_query_int(db, "SELECT bootstrap_checkpoint IS NOT NULL FROM ledger"), 1);
	/* The history before the start is checked against the trusted root. */
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "A"), 0, NULL, NULL,
				NULL), RB_NOOP);
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-07", 0, NULL, NULL, NULL),
			 RB_ACCEPTED);   /* another ledger in the same database */
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM ledger"), 2);
}

/*
 * Take a database back to schema version 5: the whole entry line in
 * `envelope`, no `signatures` or `line_sha256`.  The lines come from the
 * export the entries were stored from (seq i on line i + 1).
 */
static void down_to_v5(const char *db, const char *export)
{
	char *lines = tu_slurp(tu_path(export, "entries.jsonl"), NULL), *p, *nl;
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	int64_t seq = 0;

	assert_non_null(lines);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "ALTER TABLE entry ADD COLUMN envelope TEXT NOT NULL "
				      "DEFAULT ''", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "UPDATE entry SET envelope = ?1 WHERE seq = ?2",
					    -1, &q, NULL), SQLITE_OK);
	for (p = lines; (nl = strchr(p, '\n')) != NULL; p = nl + 1, seq++) {
		sqlite3_bind_text(q, 1, p, (int)(nl - p), SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, seq);
		assert_int_equal(sqlite3_step(q), SQLITE_DONE);
		assert_int_equal(sqlite3_changes(h), 1);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_exec(h, "ALTER TABLE entry DROP COLUMN signatures;"
				      "ALTER TABLE entry DROP COLUMN line_sha256;"
				      /* and version 7's */
				      "ALTER TABLE ingest_export DROP COLUMN archived_path;"
				      "DROP TABLE rejected_export; DROP TABLE trust_failure;"
				      "DROP TABLE trust_state;"
				      /* and version 8's, 9's, 10's and 11's */
				      "DROP TABLE checkpoint;"
				      "DROP INDEX entry_requested; DROP INDEX entry_actor;"
				      "DROP INDEX analysis_rollback_id;"
				      "ALTER TABLE analysis_rollback DROP COLUMN flagged;"
				      "DROP INDEX entry_failed; DROP INDEX entry_failed_time;"
				      "ALTER TABLE entry DROP COLUMN failed;"
				      "PRAGMA user_version = 5;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(lines);
}

/*
 * A database of schema version 5 (the whole line stored) is brought to the
 * current version on opening: the migration fills `signatures` and
 * `line_sha256` with what ingest stores, drops the line, and a re-ingest of
 * the same export is still a no-op.
 */
static void migration_to_v6_keeps_what_ingest_stores(const char *db, const char *keys,
						      const char *export)
{
	sqlite3 *h = NULL;
	struct rb_err e;

	tu_exec(db, "CREATE TABLE kept AS SELECT seq, signatures, line_sha256 FROM entry");
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM kept WHERE "
				   "length(line_sha256) = 32 AND signatures LIKE '[{\"keyid\":%'"),
			 tu_query_int(db, "SELECT count(*) FROM entry"));
	down_to_v5(db, export);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM pragma_table_info('entry') "
				   "WHERE name = 'envelope'"), 1);
	if (rb_schema_open(db, 0, 1000, &h, &e) != 0)
		fail_msg("migration: %s", e.msg);
	rb_db_close(h);
	assert_int_equal(tu_query_int(db, "PRAGMA user_version"), RB_SCHEMA_VERSION);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM pragma_table_info('entry') "
				   "WHERE name = 'envelope'"), 0);
	/* Version 10 keeps each stored export's checkpoint, with its size. */
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM checkpoint c JOIN ingest_export x "
				   "ON x.id = c.ingest_id WHERE c.note = x.checkpoint "
				   "AND c.size = x.last_seq + 1"),
			 tu_query_int(db, "SELECT count(*) FROM ingest_export"));
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM entry JOIN kept USING (seq) "
				   "WHERE entry.signatures = kept.signatures AND "
				   "entry.line_sha256 = kept.line_sha256"),
			 tu_query_int(db, "SELECT count(*) FROM entry"));
	assert_int_equal(ingest(db, keys, export, 0, NULL, NULL, NULL), RB_NOOP);
	tu_exec(db, "DROP TABLE kept");
}

/*
 * A database of schema version 4 (no `counted`, the old indexes) is brought
 * to the current version on opening, and the migration marks the same
 * repeats as ingest does.
 */
static void migration_to_v5_marks_the_repeats(const char *db, const char *export)
{
	static const char to_v4[] =
		"DROP INDEX entry_deploys; DROP INDEX entry_event_time;"
		"DROP INDEX entry_rollback; DROP INDEX entry_change; DROP INDEX entry_incident;"
		"ALTER TABLE entry DROP COLUMN counted;"
		"CREATE INDEX entry_rollback ON entry(ledger_id, rollback_id, event);"
		"CREATE INDEX entry_change ON entry(ledger_id, change_id, event);"
		"CREATE INDEX entry_incident ON entry(ledger_id, incident_id, event);"
		"CREATE INDEX entry_event_time ON entry(event, time_s);"
		"PRAGMA user_version = 4;";
	sqlite3 *h = NULL;
	struct rb_err e;

	down_to_v5(db, export);
	tu_exec(db, to_v4);
	assert_int_equal(tu_query_int(db, "PRAGMA user_version"), 4);
	assert_int_equal(rb_schema_open(db, 0, 1000, &h, &e), 0);
	rb_db_close(h);
	assert_int_equal(tu_query_int(db, "PRAGMA user_version"), RB_SCHEMA_VERSION);
	assert_int_equal(tu_query_int(db, "SELECT group_concat(counted, '') FROM "
				   "(SELECT counted FROM entry ORDER BY seq)"), 11010);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM sqlite_master WHERE "
				   "name = 'entry_deploys'"), 1);
}

static void anomalies_are_recorded(void **state)
{
	const char *db = new_db();
	const char *ev = tu_path(dir, "anom.jsonl");
	struct rb_ledger_state s;
	rb_privkey *k = tu_key(1);
	uint64_t n;
	char keys[4096], export[4096];
	static const char events[] =
		"{\"time\":\"2026-08-01T00:00:00Z\",\"event\":\"rollback.requested\",\"actor\":\"a\","
		"\"data\":{\"rollback_id\":\"RB-1\",\"change_id\":\"C\",\"service\":\"s\","
		"\"environment\":\"production\",\"risk_tier\":\"severe\",\"emergency\":\"yes\","
		"\"ticket\":\"T\",\"rationale\":\"r\",\"impact\":\"i\","
		"\"security_considerations\":\"x\",\"components\":[],\"operation\":{}}}\n"
		"{\"time\":\"2026-08-01T01:00:00Z\",\"event\":\"rollback.executed\",\"actor\":\"b\","
		"\"data\":{\"rollback_id\":\"RB-1\",\"result\":\"success\",\"from_version\":\"2\","
		"\"to_version\":\"1\",\"touches\":[\"secrets\",\"moon\"]}}\n"
		"{\"time\":\"2026-08-01T02:00:00Z\",\"event\":\"rollback.executed\",\"actor\":\"b\","
		"\"data\":{\"rollback_id\":\"RB-1\",\"result\":\"success\",\"to_version\":\"1\","
		"\"touches\":[]}}\n"
		/* RB-2: a failed attempt, then its execution: no repeat (§8.3) */
		"{\"time\":\"2026-08-01T03:00:00Z\",\"event\":\"rollback.executed\",\"actor\":\"b\","
		"\"data\":{\"rollback_id\":\"RB-2\",\"result\":\"failed\",\"from_version\":\"2\","
		"\"to_version\":\"1\",\"touches\":[]}}\n"
		"{\"time\":\"2026-08-01T04:00:00Z\",\"event\":\"rollback.executed\",\"actor\":\"b\","
		"\"data\":{\"rollback_id\":\"RB-2\",\"result\":\"success\",\"from_version\":\"2\","
		"\"to_version\":\"1\",\"touches\":[]}}\n";

	(void)state;
	tu_make_fixture(dir);
	tu_spit(ev, events, sizeof(events) - 1);
	rb_state_init(&s, "anomaly.example/ledger");
	assert_int_equal(rb_seal_file(ev, tu_path(dir, "anom"), &s, "test-ledger", k, NULL, 0,
				      &n, NULL), 0);
	assert_int_equal(ingest(db, tu_path(dir, "keys.json"), tu_path(dir, "anom"), 0, NULL,
				NULL, NULL), RB_ACCEPTED);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM anomaly WHERE seq = 0 AND "
				   "kind = 'invalid-value' AND member = 'risk_tier'"), 1);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM anomaly WHERE seq = 0 AND "
				   "kind = 'wrong-type' AND member = 'emergency'"), 1);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM anomaly WHERE seq = 1 AND "
				   "kind = 'invalid-value' AND member = 'touches'"), 1);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM anomaly WHERE seq = 2 AND "
				   "kind = 'missing-member' AND member = 'from_version'"), 1);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM anomaly WHERE seq = 2 AND "
				   "kind = 'duplicate-event'"), 1);
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM anomaly WHERE seq = 1"), 1);
	/* `counted` marks the first rollback.executed of each (metrics-v1 §1). */
	assert_int_equal(tu_query_int(db, "SELECT group_concat(counted, '') FROM "
				   "(SELECT counted FROM entry ORDER BY seq)"), 11010);
	/* A failed attempt before the execution is no repeat: RB-2 has no anomaly. */
	assert_int_equal(tu_query_int(db, "SELECT count(*) FROM anomaly WHERE seq IN (3, 4)"), 0);
	rb_state_clear(&s);
	rb_privkey_free(k);
	/* tu_path's buffers are reused: keep the two paths. */
	snprintf(keys, sizeof(keys), "%s", tu_path(dir, "keys.json"));
	snprintf(export, sizeof(export), "%s", tu_path(dir, "anom"));
	migration_to_v6_keeps_what_ingest_stores(db, keys, export);
	migration_to_v5_marks_the_repeats(db, export);
}

static void database_busy_is_a_temporary_failure(void **state)
{
	const char *db = new_db();
	sqlite3 *h = NULL;
	struct rb_ingest_opts o = { 0 };
	struct rb_ingest_outcome *oc = NULL;
	rb_trust *t = NULL;
	rb_ingest *g = NULL;
	struct rb_err e;

	(void)state;
	assert_int_equal(ingest(db, VEC "/keys.json", VEC "/export-2026-07", 0, NULL, NULL, NULL),
			 RB_ACCEPTED);
	/* Someone else holds the write lock. */
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(rb_trust_load(VEC "/keys.json", &t, &e), 0);
	o.db_path = db;
	o.trust = t;
	o.busy_ms = 200;
	assert_int_equal(rb_ingest_open(&o, &g, &e), 0);
	assert_int_equal(rb_ingest_export(g, VEC "/export-2026-08", &oc, &e), -1);
	assert_int_equal(e.code, RB_EX_TEMPFAIL);
	assert_null(oc);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	assert_int_equal(rb_ingest_export(g, VEC "/export-2026-08", &oc, &e), 0);
	assert_int_equal(oc->verdict, RB_ACCEPTED);
	rb_ingest_outcome_free(oc);
	rb_ingest_close(g, &e);
	rb_trust_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors_in_order_then_again_as_noop),
		cmocka_unit_test(reverse_order_is_gap_until_the_first_is_in),
		cmocka_unit_test(tampered_exports_change_nothing),
		cmocka_unit_test(fork_is_E_FORK_at_the_first_differing_seq),
		cmocka_unit_test(overlapping_export_stores_only_new_entries),
		cmocka_unit_test(reingest_checks_the_stored_rows),
		cmocka_unit_test(stored_signatures_and_line_digest),
		cmocka_unit_test(bootstrap_starts_mid_ledger),
		cmocka_unit_test(anomalies_are_recorded),
		cmocka_unit_test(database_busy_is_a_temporary_failure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
