/* recheck.c - stored history against the trust store as it is today (see recheck.h). */
#include "recheck.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/check.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/schema.h"
#include "lib/rtime.h"

/* A finding about signatures or keys, held until the transaction. */
struct fail {
	int64_t lid, seq;
	char code[24];
	char *msg;
};

struct fails {
	struct fail *v;
	size_t n, cap;
	int oom;
};

static void on_trust(void *ctx, int64_t lid, const struct rb_finding *f)
{
	struct fails *fs = ctx;
	struct fail *x;

	if (fs->oom)
		return;
	if (fs->n == fs->cap) {
		size_t nc = fs->cap ? 2 * fs->cap : 64;
		struct fail *nv = realloc(fs->v, nc * sizeof(*nv));

		if (nv == NULL) {
			fs->oom = 1;
			return;
		}
		fs->v = nv;
		fs->cap = nc;
	}
	x = &fs->v[fs->n];
	x->lid = lid;
	x->seq = f->seq;
	snprintf(x->code, sizeof(x->code), "%s", f->code);
	if ((x->msg = strdup(f->msg)) == NULL) {
		fs->oom = 1;
		return;
	}
	fs->n++;
}

static void fails_free(struct fails *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].msg);
	free(fs->v);
}

/* What trust_state says: the digest, when and what the last check found. */
static int read_state(sqlite3 *db, struct rb_recheck_result *r, int *found, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*found = 0;
	if (rb_db_prepare(db, "SELECT sha256, checked, entries, failures FROM trust_state "
			  "WHERE id = 1", &q, e) != 0)
		return -1;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*found = 1;
		snprintf(r->previous, sizeof(r->previous), "%s", sqlite3_column_text(q, 0));
		snprintf(r->checked, sizeof(r->checked), "%s", sqlite3_column_text(q, 1));
		r->entries = (uint64_t)sqlite3_column_int64(q, 2);
		r->previous_failures = (uint64_t)sqlite3_column_int64(q, 3);
		r->failures = r->previous_failures;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the trust state");
	return 0;
}

/* The first RB_RECHECK_KEPT trust_failure rows as JSON, into r. */
static int read_failures(sqlite3 *db, struct rb_recheck_result *r, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	r->failures_json = cJSON_CreateArray();
	if (r->failures_json == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_prepare(db, "SELECT l.origin, f.seq, x.time, f.code, f.message FROM "
			  "trust_failure f JOIN ledger l ON l.id = f.ledger_id LEFT JOIN entry x "
			  "ON x.ledger_id = f.ledger_id AND x.seq = f.seq ORDER BY l.origin, f.seq, "
			  "f.code LIMIT ?1", &q, e) != 0)
		return -1;
	sqlite3_bind_int(q, 1, RB_RECHECK_KEPT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "ledger", (const char *)sqlite3_column_text(q, 0));
		cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(q, 1));
		if (sqlite3_column_type(q, 2) == SQLITE_TEXT)
			cJSON_AddStringToObject(o, "time", (const char *)sqlite3_column_text(q, 2));
		else
			cJSON_AddNullToObject(o, "time");
		cJSON_AddStringToObject(o, "code", (const char *)sqlite3_column_text(q, 3));
		cJSON_AddStringToObject(o, "message", (const char *)sqlite3_column_text(q, 4));
		cJSON_AddItemToArray(r->failures_json, o);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the trust failures");
	return 0;
}

/* Step a statement that returns no row; reset it either way. */
static int step_done(sqlite3 *db, sqlite3_stmt *q, struct rb_err *e, const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return rb_db_fail(db, rc, e, what);
	return 0;
}

/* trust_failure and trust_state replaced by the outcome, in one transaction. */
static int store(sqlite3 *db, const struct fails *fs, struct rb_recheck_result *r,
		 struct rb_err *e)
{
	sqlite3_stmt *ins = NULL, *q = NULL;
	struct rb_time now = rb_time_now();
	size_t i;
	int rc = -1, began = 0;

	rb_time_format(&now, r->checked);
	if (rb_db_begin(db, e) != 0)
		goto out;
	began = 1;
	if (rb_db_exec(db, "DELETE FROM trust_failure", e) != 0 ||
	    rb_db_prepare(db, "INSERT OR IGNORE INTO trust_failure (ledger_id, seq, code, "
			  "message) VALUES (?1, ?2, ?3, ?4)", &ins, e) != 0)
		goto out;
	for (i = 0; i < fs->n; i++) {
		sqlite3_bind_int64(ins, 1, fs->v[i].lid);
		sqlite3_bind_int64(ins, 2, fs->v[i].seq);
		sqlite3_bind_text(ins, 3, fs->v[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, fs->v[i].msg, -1, SQLITE_STATIC);
		if (step_done(db, ins, e, "cannot record a trust failure") != 0)
			goto out;
	}
	/* Entries, not findings: one entry may fail for its signature and a checkpoint. */
	if (rb_db_prepare(db, "SELECT count(*) FROM (SELECT DISTINCT ledger_id, seq FROM "
			  "trust_failure)", &q, e) != 0)
		goto out;
	if (sqlite3_step(q) == SQLITE_ROW)
		r->failures = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (rb_db_prepare(db, "INSERT OR REPLACE INTO trust_state (id, sha256, checked, entries, "
			  "failures) VALUES (1, ?1, ?2, ?3, ?4)", &q, e) != 0)
		goto out;
	sqlite3_bind_text(q, 1, r->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->checked, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)r->entries);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)r->failures);
	if (step_done(db, q, e, "cannot record the trust state") != 0)
		goto out;
	sqlite3_finalize(q);
	q = NULL;
	began = 0;
	if (rb_db_commit(db, e) != 0)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(q);
	if (began)
		rb_db_rollback(db);
	return rc;
}

/* Verify every stored entry again under o->trust, collecting into fs and r. */
static int recheck(const struct rb_recheck_opts *o, struct fails *fs,
		   struct rb_recheck_result *r, struct rb_err *e)
{
	struct rb_check_opts co;
	rb_check *c = NULL;
	uint64_t errors = 0;
	size_t i;

	memset(&co, 0, sizeof(co));
	co.db_path = o->db_path;
	co.trust = o->trust;
	co.jobs = o->jobs;
	co.busy_ms = o->busy_ms;
	co.progress = o->progress;
	co.progress_ctx = o->progress_ctx;
	co.on_trust = on_trust;
	co.trust_ctx = fs;
	co.no_rollbacks = 1;            /* the reports find them for their period */
	if (rb_check_run(&co, &c, e) != 0)
		return -1;
	r->entries = 0;
	for (i = 0; i < rb_check_nledgers(c); i++) {
		const rb_vreport *v = rb_check_report(c, i);
		size_t k;

		r->entries += rb_vreport_entries(v);
		errors += rb_vreport_errors_total(v);
		for (k = 0; r->first_other[0] == '\0' && k < rb_vreport_nerrors(v); k++) {
			const struct rb_finding *f = rb_vreport_error(v, k);

			if (!rb_check_trust_code(f->code))
				snprintf(r->first_other, sizeof(r->first_other), "%s seq %" PRId64
					 ": %s", f->code, f->seq, f->msg);
		}
	}
	rb_check_free(c);
	if (fs->oom)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	r->other_errors = errors > fs->n ? errors - fs->n : 0;
	r->rechecked = 1;
	return 0;
}

int rb_recheck_run(const struct rb_recheck_opts *o, struct rb_recheck_result *r,
		   struct rb_err *e)
{
	struct fails fs = { NULL, 0, 0, 0 };
	uint8_t d[RB_SHA256_LEN];
	long long size;
	sqlite3 *db = NULL;
	int rc = -1, found;

	memset(r, 0, sizeof(*r));
	if (rb_sha256_file(o->trust_path, d, &size, e) != 0)
		return -1;
	rb_hex_encode(d, sizeof(d), r->sha256);
	if (rb_schema_open(o->db_path, 0, o->busy_ms, &db, e) != 0 ||
	    read_state(db, r, &found, e) != 0)
		goto out;
	if (!found || o->force || strcmp(r->previous, r->sha256) != 0) {
		if (!found)
			r->previous[0] = '\0';
		if (recheck(o, &fs, r, e) != 0)
			goto out;
		/* A history that does not verify for other reasons is not a trust
		 * verdict: nothing is recorded, and nothing may use it. */
		if (r->other_errors > 0) {
			RB_ERR(e, RB_EX_FAIL, "the stored history does not verify (table entry, "
			       "%.300s); nothing was recorded or used (%llu such errors: run "
			       "'rbaudit check' for every one)", r->first_other,
			       (unsigned long long)r->other_errors);
			goto out;
		}
		if (store(db, &fs, r, e) != 0)
			goto out;
	}
	if (read_failures(db, r, e) != 0)
		goto out;
	rc = 0;
out:
	fails_free(&fs);
	rb_db_close(db);
	if (rc != 0)
		rb_recheck_clear(r);
	return rc;
}

void rb_recheck_clear(struct rb_recheck_result *r)
{
	cJSON_Delete(r->failures_json);
	r->failures_json = NULL;
}
