/* report.c - reading the stored analysis, rendering templates into a new folder. */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/schema.h"
#include "lib/tree.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/note.h"
#include "lib/period.h"
#include "lib/rtime.h"
#include "lib/vocab.h"
#include "report/jsonw.h"
#include "report/pack.h"
#include "report/render.h"

#ifndef RB_DATADIR
#define RB_DATADIR "/usr/local/share/rbaudit"
#endif

#define MAX_DETAIL 2000
/* The report folder's subfolder of tlog-proof files. */
#define PROOFS_DIR "proofs"

/* The attestation: the ledger's verified state, its ingests, its keys. */
static cJSON *attestation(sqlite3 *db, int64_t lid, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	cJSON *at = cJSON_CreateObject(), *arr;
	char b64[48];
	int rc;

	if (rb_db_prepare(db, "SELECT origin, base_seq, size, root, checkpoint, "
			  "bootstrap_checkpoint FROM ledger WHERE id = ?1", &q, e) != 0)
		goto fail;
	sqlite3_bind_int64(q, 1, lid);
	if (sqlite3_step(q) == SQLITE_ROW) {
		cJSON_AddStringToObject(at, "ledger", (const char *)sqlite3_column_text(q, 0));
		cJSON_AddNumberToObject(at, "base_seq", (double)sqlite3_column_int64(q, 1));
		cJSON_AddNumberToObject(at, "size", (double)sqlite3_column_int64(q, 2));
		rb_b64_encode(sqlite3_column_blob(q, 3), 32, b64);
		cJSON_AddStringToObject(at, "root", b64);
		cJSON_AddStringToObject(at, "checkpoint",
					sqlite3_column_type(q, 4) == SQLITE_TEXT ?
					(const char *)sqlite3_column_text(q, 4) : "");
		cJSON_AddBoolToObject(at, "bootstrapped", sqlite3_column_type(q, 5) == SQLITE_TEXT);
	}
	sqlite3_finalize(q);
	q = NULL;
	arr = cJSON_AddArrayToObject(at, "ingests");
	if (rb_db_prepare(db, "SELECT path, first_seq, last_seq, new_entries, checkpoint_key, "
			  "entry_keys, countersigned, finished, entries_sha256 FROM ingest_export "
			  "WHERE ledger_id = ?1 ORDER BY id", &q, e) != 0)
		goto fail;
	sqlite3_bind_int64(q, 1, lid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "path", (const char *)sqlite3_column_text(q, 0));
		cJSON_AddNumberToObject(x, "first_seq", (double)sqlite3_column_int64(q, 1));
		cJSON_AddNumberToObject(x, "last_seq", (double)sqlite3_column_int64(q, 2));
		cJSON_AddNumberToObject(x, "new_entries", (double)sqlite3_column_int64(q, 3));
		cJSON_AddStringToObject(x, "checkpoint_key", (const char *)sqlite3_column_text(q, 4));
		cJSON_AddItemToObject(x, "entry_keys",
				      cJSON_Parse((const char *)sqlite3_column_text(q, 5)));
		cJSON_AddNumberToObject(x, "countersigned", (double)sqlite3_column_int64(q, 6));
		cJSON_AddStringToObject(x, "finished", (const char *)sqlite3_column_text(q, 7));
		cJSON_AddStringToObject(x, "entries_sha256", (const char *)sqlite3_column_text(q, 8));
		cJSON_AddStringToObject(x, "verdict", "accepted");
		cJSON_AddItemToArray(arr, x);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_DONE) {
		rb_db_fail(db, rc, e, "cannot read the ingest log");
		goto fail;
	}
	arr = cJSON_AddArrayToObject(at, "keys");
	if (rb_db_prepare(db, "SELECT name, roles, keystring, identity, valid_from, valid_until, "
			  "revoked_at FROM signing_key ORDER BY name, keystring", &q, e) != 0)
		goto fail;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();
		int k;
		static const char *const names[] = { "name", "roles", "keystring", "identity",
						     "valid_from", "valid_until", "revoked_at" };

		for (k = 0; k < 7; k++)
			if (sqlite3_column_type(q, k) == SQLITE_TEXT)
				cJSON_AddStringToObject(x, names[k],
							(const char *)sqlite3_column_text(q, k));
		cJSON_AddItemToArray(arr, x);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		rb_db_fail(db, rc, e, "cannot read the signing keys");
		goto fail;
	}
	return at;
fail:
	sqlite3_finalize(q);
	cJSON_Delete(at);
	return NULL;
}

/*
 * How much of the period the data covers: from the analysis's start, end
 * and as_of (the ledger's newest entry when it was analysed).  percent is
 * rounded down to one decimal, so that it never overstates the coverage.
 */
static int attest_coverage(const cJSON *a, cJSON *at)
{
	const char *st = rb_json_str(a, "start"), *en = rb_json_str(a, "end"),
		   *asof = rb_json_str(a, "as_of");
	struct rb_time ts, te, ta;
	cJSON *c;
	double pct;

	if (st == NULL || en == NULL || asof == NULL ||
	    rb_time_parse(st, strlen(st), &ts) != 0 || rb_time_parse(en, strlen(en), &te) != 0 ||
	    rb_time_parse(asof, strlen(asof), &ta) != 0 || te.sec <= ts.sec)
		return 0;       /* an analysis without them: nothing to say */
	c = cJSON_AddObjectToObject(at, "coverage");
	if (c == NULL)
		return -1;
	cJSON_AddStringToObject(c, "period_start", st);
	cJSON_AddStringToObject(c, "period_end", en);
	cJSON_AddStringToObject(c, "newest_entry", asof);
	if (rb_time_cmp(&ta, &ts) < 0) {
		cJSON_AddStringToObject(c, "covered_until", st);
		pct = 0;
	} else if (rb_time_cmp(&ta, &te) >= 0) {
		cJSON_AddStringToObject(c, "covered_until", en);
		pct = 100;
	} else {
		cJSON_AddStringToObject(c, "covered_until", asof);
		pct = floor(1000.0 * (double)(ta.sec - ts.sec) / (double)(te.sec - ts.sec)) / 10;
	}
	cJSON_AddNumberToObject(c, "percent", pct);
	cJSON_AddBoolToObject(c, "complete", rb_time_cmp(&ta, &te) >= 0);
	return 0;
}

/* Column k as a JSON string, or null. */
static void add_text_or_null(cJSON *o, const char *name, sqlite3_stmt *q, int k)
{
	if (sqlite3_column_type(q, k) == SQLITE_TEXT)
		cJSON_AddStringToObject(o, name, (const char *)sqlite3_column_text(q, k));
	else
		cJSON_AddNullToObject(o, name);
}

/*
 * The exports the job rejected or quarantined that touch the period: their
 * first and last entry times overlap it, or (times unknown) the run that
 * rejected them was of this period.  Of this ledger, or of none known.
 */
static int attest_rejected(sqlite3 *db, const char *origin, const struct rb_period *per,
			   cJSON *at, struct rb_err *e)
{
	static const char *const names[] = { "path", "quarantined_path", "ledger", "first_seq",
		"last_seq", "first_time", "last_time", "code", "reason", "rejected" };
	sqlite3_stmt *q = NULL;
	cJSON *arr = cJSON_AddArrayToObject(at, "rejected_exports");
	int rc, k;

	if (arr == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_prepare(db, "SELECT r.path, r.quarantined_path, r.ledger, r.first_seq, "
			  "r.last_seq, r.first_time, r.last_time, r.code, r.reason, r.rejected "
			  "FROM rejected_export r LEFT JOIN job_run j ON j.id = r.job_run_id "
			  "WHERE (r.ledger IS NULL OR r.ledger = ?1) AND "
			  "((r.first_time_s IS NOT NULL AND r.last_time_s IS NOT NULL AND "
			  "r.first_time_s < ?3 AND r.last_time_s >= ?2) OR "
			  "((r.first_time_s IS NULL OR r.last_time_s IS NULL) AND j.period = ?4)) "
			  "ORDER BY r.id", &q, e) != 0)
		return -1;
	sqlite3_bind_text(q, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, per->start);
	sqlite3_bind_int64(q, 3, per->end);
	sqlite3_bind_text(q, 4, per->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();

		for (k = 0; k < 10; k++)
			if (sqlite3_column_type(q, k) == SQLITE_INTEGER)
				cJSON_AddNumberToObject(x, names[k],
							(double)sqlite3_column_int64(q, k));
			else
				add_text_or_null(x, names[k], q, k);
		cJSON_AddItemToArray(arr, x);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the rejected exports");
	return 0;
}

#define MAX_WARNINGS 1000

/*
 * The verification warnings of the period's entries, as ingest kept them
 * (ingest_export.warnings), each once (an entry in two exports is warned
 * about twice), in seq order; a warning without a seq goes with the
 * export when it stored an entry of the period.  The first MAX_WARNINGS,
 * and how many there are.
 */
static int attest_warnings(sqlite3 *db, int64_t lid, const struct rb_period *per,
			   cJSON *at, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	cJSON *arr = cJSON_AddArrayToObject(at, "warnings");
	char prev[512] = "";
	int rc, n = 0;

	if (arr == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_prepare(db, "SELECT json_extract(w.value, '$.code'), "
			  "json_extract(w.value, '$.seq'), t.time, json_extract(w.value, '$.message'), "
			  "x.path, x.archived_path FROM ingest_export x, json_each(x.warnings) w "
			  "LEFT JOIN entry t ON t.ledger_id = x.ledger_id AND "
			  "t.seq = json_extract(w.value, '$.seq') WHERE x.ledger_id = ?1 AND "
			  "((t.time_s >= ?2 AND t.time_s < ?3) OR "
			  "(json_extract(w.value, '$.seq') IS NULL AND EXISTS (SELECT 1 FROM entry f "
			  "WHERE f.ledger_id = ?1 AND f.ingest_id = x.id AND f.time_s >= ?2 AND "
			  "f.time_s < ?3))) ORDER BY json_extract(w.value, '$.seq'), 1, x.id, w.key",
			  &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	sqlite3_bind_int64(q, 2, per->start);
	sqlite3_bind_int64(q, 3, per->end);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char key[512];
		cJSON *x;

		snprintf(key, sizeof(key), "%s\n%lld\n%s", (const char *)sqlite3_column_text(q, 0),
			 (long long)sqlite3_column_int64(q, 1), (const char *)sqlite3_column_text(q, 3));
		if (strcmp(key, prev) == 0)
			continue;
		snprintf(prev, sizeof(prev), "%s", key);
		if (n++ >= MAX_WARNINGS)
			continue;
		x = cJSON_CreateObject();
		add_text_or_null(x, "code", q, 0);
		if (sqlite3_column_type(q, 1) == SQLITE_INTEGER)
			cJSON_AddNumberToObject(x, "seq", (double)sqlite3_column_int64(q, 1));
		else
			cJSON_AddNullToObject(x, "seq");
		add_text_or_null(x, "time", q, 2);
		add_text_or_null(x, "message", q, 3);
		add_text_or_null(x, "export", q, 4);
		add_text_or_null(x, "archived_path", q, 5);
		cJSON_AddItemToArray(arr, x);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the verification warnings");
	cJSON_AddNumberToObject(at, "warnings_total", n);
	return 0;
}

/* Each ingest's archived_path: where the export is now (null: still at path). */
static int attest_archived(sqlite3 *db, int64_t lid, cJSON *at, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	cJSON *x = cJSON_GetObjectItemCaseSensitive(at, "ingests");
	int rc;

	x = x != NULL ? x->child : NULL;
	/* The order of attestation()'s ingests, in the same read transaction. */
	if (rb_db_prepare(db, "SELECT archived_path FROM ingest_export WHERE ledger_id = ?1 "
			  "ORDER BY id", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	while (x != NULL && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		add_text_or_null(x, "archived_path", q, 0);
		x = x->next;
	}
	if (x == NULL)
		rc = SQLITE_DONE;
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the ingest log");
	return 0;
}

/*
 * What late and missing data the pack must show (docs/REPORTS.md): the
 * coverage of the period, the rejected exports that touch it, the
 * verification warnings of its entries, where each export is now.
 */
static int attest_late(sqlite3 *db, int64_t lid, const char *origin,
		       const struct rb_period *per, const cJSON *a, cJSON *at, struct rb_err *e)
{
	if (attest_coverage(a, at) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (attest_rejected(db, origin, per, at, e) != 0 ||
	    attest_warnings(db, lid, per, at, e) != 0 ||
	    attest_archived(db, lid, at, e) != 0)
		return -1;
	return 0;
}

/*
 * With a reason (the job's re-render), the pack names the MANIFEST of the
 * folder it replaces: its SHA-256 and the reason.  Read once the folder's
 * parent is locked (rb_pack_begin), so it is the MANIFEST replaced.
 */
static int attest_supersedes(const struct rb_report_opts *o, const struct rb_pack *pk,
			     cJSON *at, struct rb_report_result *res, struct rb_err *e)
{
	char path[PATH_MAX];
	uint8_t d[RB_SHA256_LEN];
	long long size;
	struct stat st;
	cJSON *s;

	if (o->supersede_reason == NULL)
		return 0;
	if (rb_path_join(path, sizeof(path), pk->dir, "MANIFEST", e) != 0)
		return -1;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (rb_sha256_file(path, d, &size, e) != 0)
		return -1;
	rb_hex_encode(d, sizeof(d), res->superseded);
	s = cJSON_AddObjectToObject(at, "supersedes");
	if (s == NULL || cJSON_AddStringToObject(s, "manifest_sha256", res->superseded) == NULL ||
	    cJSON_AddStringToObject(s, "reason", o->supersede_reason) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

/* Each trail entry's proof file in the folder (issue #21: proofs/ID/seq-N.tlog-proof). */
static int name_proofs(const char *id, cJSON *list, struct rb_err *e)
{
	cJSON *x;
	char name[600];

	cJSON_ArrayForEach(x, list) {
		memcpy(name, PROOFS_DIR "/", sizeof(PROOFS_DIR));
		if (rb_tree_proof_name(id, (int64_t)cJSON_GetNumberValue(
					       cJSON_GetObjectItemCaseSensitive(x, "seq")),
				       name + sizeof(PROOFS_DIR), sizeof(name) - sizeof(PROOFS_DIR)) != 0)
			return RB_ERR(e, RB_EX_DATAERR, "rollback id too long for a file name: %.80s",
				      id);
		if (cJSON_AddStringToObject(x, "proof", name) == NULL)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	return 0;
}

/*
 * The proof of every entry of every trail the pack carries, into
 * newdir/proofs: written plainly, since the folder is put in place whole.
 */
static int write_proofs(sqlite3 *db, int64_t lid, const cJSON *at, const char *newdir,
			struct rb_err *e)
{
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(at, "trails"), *list, *x;
	rb_tree *t = NULL;
	int64_t *seqs = NULL;
	char dir[PATH_MAX];
	int rc = -1;

	if (cJSON_GetArraySize(tr) == 0)
		return 0;
	if (rb_path_join(dir, sizeof(dir), newdir, PROOFS_DIR, e) != 0 ||
	    rb_tree_load(db, lid, &t, e) != 0)
		goto out;
	cJSON_ArrayForEach(list, tr) {
		size_t n = 0;

		free(seqs);
		seqs = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*seqs));
		if (seqs == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
		cJSON_ArrayForEach(x, list)
			seqs[n++] = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x,
													 "seq"));
		if (rb_tree_write_proofs(db, t, lid, seqs, n, list->string, dir, 0640, 0, NULL,
					 e) != 0)
			goto out;
	}
	rc = 0;
out:
	free(seqs);
	rb_tree_free(t);
	return rc;
}

/*
 * The trails of the rollbacks the detail sections show (sampled, with a
 * finding, or of high impact; the first MAX_DETAIL of them): every entry
 * behind them, read from the ledger.  The rollup keeps all of these.
 */
static int trails(sqlite3 *db, int64_t lid, const cJSON *a, const struct rb_rollup *ru,
		  cJSON *at, struct rb_err *e)
{
	rb_trail_reader *t = NULL;
	cJSON *tr = cJSON_AddObjectToObject(at, "trails");
	const cJSON *r;
	int n = 0, i = 0, rc = -1;

	if (tr == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_trail_open(db, lid, &t, e) != 0)
		return -1;
	cJSON_ArrayForEach(r, ru->shown) {
		const char *id = rb_json_str(r, "rollback_id");
		int sampled = rb_in_sample(a, id);
		cJSON *list;

		/* Every sampled rollback; the first MAX_DETAIL flagged ones. */
		if (!(rb_rollup_flagged(ru, i++) || sampled) || (!sampled && n++ >= MAX_DETAIL))
			continue;
		if (rb_trail_read(t, cJSON_GetObjectItemCaseSensitive(r, "seqs"), &list, e) != 0)
			goto out;
		cJSON_AddItemToObject(tr, id, list);
		if (name_proofs(id, list, e) != 0)
			goto out;
	}
	rc = 0;
out:
	rb_trail_close(t);
	return rc;
}


/* The largest limit of the PDF sections of this type in the templates. */
static int max_limit(struct rb_template *const *tpl, size_t n, const char *type, int dflt)
{
	int best = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const cJSON *s;

		if (tpl[i]->format != RB_FMT_PDF && tpl[i]->format != RB_FMT_HTML)
			continue;
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(tpl[i]->doc, "sections")) {
			const cJSON *lim = cJSON_GetObjectItemCaseSensitive(s, "limit");
			const char *t = rb_json_str(s, "type");
			int l = cJSON_IsNumber(lim) && lim->valuedouble >= 1 ?
				(int)lim->valuedouble : dflt;

			if (t != NULL && strcmp(t, type) == 0 && l > best)
				best = l;
		}
	}
	return best;
}

/* A rollback the rollup keeps, for as long as some section may show it. */
struct kept {
	cJSON *r;
	double score;
	int other;              /* kept for another section: for good */
	int flagged;
	struct kept *prev, *next;
};

struct rollup_state {
	struct kept *head, *tail;
	struct kept **top;      /* highest scores first; ties: the earlier first */
	int ntop;
};

static void kept_unlink(struct rollup_state *st, struct kept *k)
{
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		st->head = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	else
		st->tail = k->prev;
	cJSON_Delete(k->r);
	free(k);
}

/* Count what the PDF sections count, over one rollback. */
static int rollup_count(struct rb_rollup *ru, const cJSON *r, int sel)
{
	const cJSON *ev;
	int nf = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "findings")), m;

	ru->with_findings += nf > 0;
	ru->findings += nf;
	/* A selection (sample, flagged, either) takes r when r has one of its bits. */
	for (m = 1; m < 4; m++)
		ru->qualify[m] += (sel & m) != 0;
	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(r, "evidence")) {
		cJSON *c = cJSON_GetObjectItemCaseSensitive(ru->evidence, ev->string);

		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "required")))
			continue;
		if (c == NULL) {
			c = cJSON_AddObjectToObject(ru->evidence, ev->string);
			if (c == NULL || cJSON_AddNumberToObject(c, "required", 0) == NULL ||
			    cJSON_AddNumberToObject(c, "present", 0) == NULL)
				return -1;
		}
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "required"),
				     cJSON_GetObjectItemCaseSensitive(c, "required")->valuedouble + 1);
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "present")))
			cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "present"),
					     cJSON_GetObjectItemCaseSensitive(c, "present")->valuedouble + 1);
	}
	return 0;
}

/*
 * One pass over the rollbacks (the stored rows, or an older analysis's own
 * array): the rollup's counts, and the rollbacks a section may show.  A
 * rollback is kept when it holds one of the first `lf` findings, is among
 * the first `ld` a details selection takes or the first MAX_DETAIL with a
 * trail (every sampled one), or (while it lasts) among the `lt` highest
 * scores.
 */
static int rollup(const struct rb_report_data *d, struct rb_template *const *tpl,
		  size_t ntpl, struct rb_rollup *ru, struct rb_err *e)
{
	int lf = max_limit(tpl, ntpl, "findings", RB_LIMIT_FINDINGS);
	int lt = max_limit(tpl, ntpl, "top-risk", RB_LIMIT_TOP_RISK);
	int ld = max_limit(tpl, ntpl, "rollback-details", RB_LIMIT_DETAILS);
	const cJSON *inline_rb = cJSON_GetObjectItemCaseSensitive(d->a, "rollbacks");
	const cJSON *r, *it = inline_rb ? inline_rb->child : NULL;
	struct rollup_state st = { NULL, NULL, NULL, 0 };
	rb_rows *rows = NULL;
	int findings_before = 0, rc = -1, i;
	struct kept *k;

	memset(ru, 0, sizeof(*ru));
	ru->evidence = cJSON_CreateObject();
	ru->shown = cJSON_CreateArray();
	st.top = calloc((size_t)lt + 1, sizeof(struct kept *));
	if (ru->evidence == NULL || ru->shown == NULL || st.top == NULL)
		goto oom;
	if (inline_rb == NULL && rb_rows_open(d, &rows, e) != 0)
		goto out;
	for (;;) {
		int before[4], sel, other, pos, m, flagged;
		double score;
		const cJSON *sc;

		if (inline_rb != NULL) {
			r = it;
			it = it ? it->next : NULL;
		} else {
			r = rb_rows_next(rows);
		}
		if (r == NULL)
			break;
		flagged = inline_rb != NULL ? rb_rollback_flagged(r) : rb_rows_flagged(rows);
		sel = (rb_in_sample(d->a, rb_json_str(r, "rollback_id")) ? RB_SEL_SAMPLE : 0) |
		      (flagged ? RB_SEL_FLAGGED : 0);
		memcpy(before, ru->qualify, sizeof(before));
		findings_before = ru->findings;
		if (rollup_count(ru, r, sel) != 0)
			goto oom;
		/* Every sampled rollback, and the first MAX_DETAIL flagged ones. */
		other = (ru->findings > findings_before && findings_before < lf) ||
			(sel & RB_SEL_SAMPLE) != 0 ||
			(sel != 0 && before[RB_SEL_SAMPLE | RB_SEL_FLAGGED] < MAX_DETAIL);
		for (m = 1; m < 4; m++)
			other |= (sel & m) != 0 && before[m] < ld;
		sc = cJSON_GetObjectItemCaseSensitive(r, "score");
		score = cJSON_IsNumber(sc) ? sc->valuedouble : 0;
		/* Its place among the highest scores (after the equal ones). */
		pos = st.ntop;
		while (pos > 0 && st.top[pos - 1]->score < score)
			pos--;
		if (!other && pos >= lt)
			continue;
		k = calloc(1, sizeof(*k));
		if (k == NULL || (k->r = cJSON_Duplicate(r, 1)) == NULL) {
			free(k);
			goto oom;
		}
		k->score = score;
		k->other = other;
		k->flagged = flagged;
		k->prev = st.tail;
		if (st.tail != NULL)
			st.tail->next = k;
		else
			st.head = k;
		st.tail = k;
		if (pos < lt) {
			if (st.ntop == lt) {
				struct kept *out = st.top[--st.ntop];

				if (!out->other)
					kept_unlink(&st, out);
			}
			memmove(&st.top[pos + 1], &st.top[pos],
				(size_t)(st.ntop - pos) * sizeof(struct kept *));
			st.top[pos] = k;
			st.ntop++;
		}
	}
	if (rows != NULL && rb_rows_check(rows, d->db, e) != 0)
		goto out;
	/* The kept rollbacks, in the analysis's order. */
	for (k = st.head; k != NULL; k = k->next)
		ru->nshown++;
	if ((ru->flagged = calloc((size_t)ru->nshown + 1, 1)) == NULL)
		goto oom;
	for (i = 0; (k = st.head) != NULL; i++) {
		st.head = k->next;
		ru->flagged[i] = (unsigned char)k->flagged;
		cJSON_AddItemToArray(ru->shown, k->r);
		free(k);
	}
	st.tail = NULL;
	rc = 0;
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	while (st.head != NULL)
		kept_unlink(&st, st.head);
	free(st.top);
	rb_rows_close(rows);
	return rc;
}

static void rollup_free(struct rb_rollup *ru)
{
	cJSON_Delete(ru->evidence);
	cJSON_Delete(ru->shown);
	free(ru->flagged);
	memset(ru, 0, sizeof(*ru));
}

/* A template by name (in the template folders) or by path. */
static int find_template(const char *arg, const char *first, char *path, size_t n,
			 struct rb_err *e)
{
	char exe[PATH_MAX], up1[PATH_MAX + 32], up2[PATH_MAX + 32], *slash;
	const char *env = first;
	const char *dirs[5];
	ssize_t len;
	int i;

	if (strchr(arg, '/') != NULL || strstr(arg, ".json") != NULL) {
		snprintf(path, n, "%s", arg);
		return 0;
	}
	for (i = 0; arg[i]; i++)
		if (!((arg[i] >= 'a' && arg[i] <= 'z') || (arg[i] >= '0' && arg[i] <= '9') ||
		      arg[i] == '-' || arg[i] == '_'))
			return RB_ERR(e, RB_EX_USAGE, "template name '%s' is not a name", arg);
	/*
	 * The caller's folder (templates_dir), then next to the binary or up to two folders above
	 * it (a source tree and its build folders), then the data folder.
	 */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
	exe[len > 0 ? len : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(up1, sizeof(up1), "%s/../templates", exe);
	snprintf(up2, sizeof(up2), "%s/../../templates", exe);
	strcat(exe, "/templates");
	dirs[0] = env;
	dirs[1] = len > 0 ? exe : NULL;
	dirs[2] = len > 0 ? up1 : NULL;
	dirs[3] = len > 0 ? up2 : NULL;
	dirs[4] = RB_DATADIR "/templates";
	for (i = 0; i < 5; i++) {
		if (dirs[i] == NULL)
			continue;
		snprintf(path, n, "%s/%s.json", dirs[i], arg);
		if (access(path, R_OK) == 0)
			return 0;
	}
	return RB_ERR(e, RB_EX_NOINPUT, "no template '%s' (looked in RBAUDIT_TEMPLATES, "
		      "next to rbaudit and in %s/templates)", arg, RB_DATADIR);
}

/* v as cJSON prints it at `depth` levels: its own lines indented by depth tabs. */
/* The analysis's members, its rollbacks streamed from the rows one at a time. */
static int put_streamed(FILE *f, const struct rb_report_data *d, struct rb_err *e)
{
	const cJSON *m;
	rb_rows *rows = NULL;
	int n = 0, rc;

	if (rb_rows_open(d, &rows, e) != 0)
		return -1;
	fputs("{\n", f);
	cJSON_ArrayForEach(m, d->a) {
		rb_jsonw_key(f, m->string, 2);
		rb_jsonw_value(f, m, 2);
		fputs(",\n", f);        /* the rollbacks come last */
	}
	rb_jsonw_key(f, "rollbacks", 2);
	putc('[', f);
	for (m = rb_rows_next(rows); m != NULL; m = rb_rows_next(rows)) {
		if (n++ > 0)
			fputs(", ", f);
		rb_jsonw_value(f, m, 3);
	}
	rc = rb_rows_check(rows, d->db, e);
	rb_rows_close(rows);
	fputs("]\n\t}", f);
	return rc;
}

/*
 * The JSON report, {"analysis", "attestation"}, in the layout of
 * report/jsonw.h (docs/REPORTS.md), the analysis's rollbacks streamed from
 * the rows one at a time (after its other members, where the document had
 * them): memory does not grow with the period.  An older analysis that
 * holds its rollbacks is written whole, in the same layout.
 */
static int write_json_report(const struct rb_report_data *d, const char *path,
			     struct rb_err *e)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", path,
			      strerror(errno));
	fputs("{\n", f);
	rb_jsonw_key(f, "analysis", 1);
	if (cJSON_HasObjectItem(d->a, "rollbacks")) {
		rb_jsonw_value(f, d->a, 1);
	} else if (put_streamed(f, d, e) != 0) {
		fclose(f);
		return -1;
	}
	fputs(",\n", f);
	rb_jsonw_key(f, "attestation", 1);
	rb_jsonw_value(f, d->attest, 1);
	fputs("\n}\n", f);
	return rb_fclose_synced(f, path, e);
}

/*
 * Write one report into the new folder, mode 0640.  A failure leaves the
 * previous folder as it was: the new one is removed whole.
 */
static int render_one(const struct rb_report_data *d, const struct rb_template *t,
		      const char *dir, const char *name, struct rb_err *e)
{
	char path[PATH_MAX];
	int fd, rc;

	if (rb_path_join(path, sizeof(path), dir, name, e) != 0)
		return -1;
	/* Created 0640 before the libraries open it: never wider, not even briefly. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
	close(fd);
	switch (t->format) {
	case RB_FMT_PDF:
		rc = rb_render_pdf(d, t, path, e);
		break;
	case RB_FMT_XLSX:
		rc = rb_render_xlsx(d, t, path, e);
		break;
	case RB_FMT_CSV:
		rc = rb_render_csv(d, t, path, e);
		break;
	case RB_FMT_OPENMETRICS:
		rc = rb_render_openmetrics(d, t, path, e);
		break;
	case RB_FMT_HTML:
		rc = rb_render_html(d, t, path, e);
		break;
	default:
		rc = write_json_report(d, path, e);
		break;
	}
	if (rc == 0 && chmod(path, 0640) != 0)
		rc = RB_ERR(e, RB_EX_CANTCREAT, "cannot set the mode of '%s': %s", path,
			    strerror(errno));
	return rc;
}

/* Everything checked before the database is opened or a byte written. */
struct prep {
	struct rb_period per;
	char keyname[RB_KEYNAME_MAX + 1];
	rb_privkey *key;
	struct rb_template *tpl[16];
	char names[16][256];
	size_t ntpl;
	struct rb_pack pack;
};

static void prep_free(struct prep *p)
{
	size_t i;

	for (i = 0; i < p->ntpl; i++)
		rb_template_free(p->tpl[i]);
	p->ntpl = 0;
	rb_privkey_free(p->key);
	p->key = NULL;
}

/* The sign key's name: sign_name, else the key file's name less ".pem". */
static int sign_key_name(const struct rb_report_opts *o, char *name, size_t n,
			 struct rb_err *e)
{
	const char *base = strrchr(o->sign_key, '/');
	size_t len;

	base = base ? base + 1 : o->sign_key;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".pem") == 0)
		len -= 4;
	snprintf(name, n, "%.*s", (int)len, base);
	if (o->sign_name != NULL)
		snprintf(name, n, "%s", o->sign_name);
	if (!rb_keyname_valid(name))
		return RB_ERR(e, RB_EX_USAGE, "invalid key name '%s' (use --sign-name)", name);
	return 0;
}

/*
 * Load the sign key (missing 66, readable by others 78, not Ed25519 65);
 * with a trust store, it must be there under its name with role report.
 */
static int load_sign_key(const struct rb_report_opts *o, struct prep *p, struct rb_err *e)
{
	const rb_tkey *k;
	uint8_t pub[32];

	if (sign_key_name(o, p->keyname, sizeof(p->keyname), e) != 0 ||
	    rb_privkey_load(o->sign_key, &p->key, e) != 0)
		return -1;
	if (o->trust == NULL)
		return 0;
	k = rb_trust_find(o->trust, p->keyname, strlen(p->keyname));
	if (k == NULL)
		return RB_ERR(e, RB_EX_CONFIG, "the trust store holds no key '%s' (the report key "
			      "'%s'): add its .pub.json with 'rbaudit keys add'", p->keyname,
			      o->sign_key);
	rb_privkey_public(p->key, pub);
	if (memcmp(pub, rb_pubkey_raw(rb_tkey_pub(k)), 32) != 0)
		return RB_ERR(e, RB_EX_CONFIG, "'%s' is not the key '%s' of the trust store",
			      o->sign_key, p->keyname);
	if (!rb_tkey_has_role(k, "report"))
		return RB_ERR(e, RB_EX_CONFIG, "the trust store's key '%s' lacks the role "
			      "\"report\": its MANIFEST would not verify", p->keyname);
	return 0;
}

/* The templates, loaded, and the file each writes: no file twice. */
static int load_templates(const struct rb_report_opts *o, struct prep *p, struct rb_err *e)
{
	size_t i, k;

	if (o->ntemplates == 0 || o->ntemplates > 16)
		return RB_ERR(e, RB_EX_USAGE, "give 1 to 16 templates, not %zu", o->ntemplates);
	for (i = 0; i < o->ntemplates; i++) {
		char tp[PATH_MAX];

		if (find_template(o->templates[i], o->templates_dir, tp, sizeof(tp), e) != 0 ||
		    rb_template_load(tp, &p->tpl[i], e) != 0)
			return -1;
		p->ntpl++;
		if (rb_template_filename(p->tpl[i], p->per.name, p->names[i],
					 sizeof(p->names[i]), e) != 0)
			return -1;
		for (k = 0; k < i; k++)
			if (strcmp(p->names[k], p->names[i]) == 0)
				return RB_ERR(e, RB_EX_CONFIG, "templates '%s' and '%s' both write "
					      "'%s': name each template once", o->templates[k],
					      o->templates[i], p->names[i]);
	}
	return 0;
}

static int prepare(const struct rb_report_opts *o, struct prep *p, struct rb_err *e)
{
	memset(p, 0, sizeof(*p));
	p->pack.lockfd = -1;
	if (rb_period_parse_cal(o->period, o->now, o->cal, &p->per, e) != 0 ||
	    (o->sign_key != NULL && load_sign_key(o, p, e) != 0) ||
	    load_templates(o, p, e) != 0 ||
	    rb_pack_plan(o->out_dir, &p->pack, e) != 0 ||
	    rb_pack_check(&p->pack, p->key != NULL, o->allow_unsigned, e) != 0) {
		prep_free(p);
		return -1;
	}
	return 0;
}

int rb_report_preflight(const struct rb_report_opts *o, struct rb_err *e)
{
	struct prep p;

	if (prepare(o, &p, e) != 0)
		return -1;
	prep_free(&p);
	return 0;
}

int rb_report_current(const struct rb_report_opts *o, int *current, struct rb_err *e)
{
	struct prep p;
	int rc;

	*current = 0;
	if (prepare(o, &p, e) != 0)
		return -1;
	rc = rb_pack_current(&p.pack, o->trust, p.key != NULL,
			     (const char (*)[256])p.names, p.ntpl, current, e);
	prep_free(&p);
	return rc;
}

/* The newest stored analysis of the period under this policy. */
/* Is an analysis of this period's name stored, counted with other bounds? */
static int other_bounds(sqlite3 *db, int64_t lid, const char *period, const char *policy)
{
	sqlite3_stmt *q = NULL;
	int found = 0;

	if (rb_db_prepare(db, "SELECT 1 FROM analysis WHERE ledger_id = ?1 AND period = ?2 "
			  "AND policy_sha256 = ?3", &q, NULL) != 0)
		return 0;
	sqlite3_bind_int64(q, 1, lid);
	sqlite3_bind_text(q, 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, policy, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

/*
 * The newest stored analysis of the period, counted with the same bounds: a
 * period's name counted in another time zone or fiscal year is another span.
 */
static int read_analysis(sqlite3 *db, int64_t lid, const char *origin,
			 const struct rb_period *per, const char *policy, cJSON **a, int64_t *id,
			 struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int step;

	*a = NULL;
	if (rb_db_prepare(db, "SELECT document, id FROM analysis WHERE ledger_id = ?1 AND "
			  "period = ?2 AND policy_sha256 = ?3 AND start_s = ?4 AND end_s = ?5 "
			  "ORDER BY id DESC LIMIT 1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	sqlite3_bind_text(q, 2, per->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, policy, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, per->start);
	sqlite3_bind_int64(q, 5, per->end);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		*a = cJSON_Parse((const char *)sqlite3_column_text(q, 0));
		*id = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (step == SQLITE_DONE && other_bounds(db, lid, per->name, policy))
		return RB_ERR(e, RB_EX_NOINPUT, "the stored analysis of %s for period %s was "
			      "counted in another time zone or fiscal year: report with the --tz "
			      "and --fiscal-start it was analysed with, or analyse it again",
			      origin, per->name);
	if (step == SQLITE_DONE)
		return RB_ERR(e, RB_EX_NOINPUT, "no stored analysis of %s for period %s with this "
			      "policy: analyse the period %s first", origin, per->name,
			      per->name);
	if (step != SQLITE_ROW)
		return rb_db_fail(db, step, e, "cannot read the analysis");
	if (*a == NULL)
		return RB_ERR(e, RB_EX_DATAERR, "the stored analysis is not valid JSON");
	return 0;
}

/* The re-derivation of the analysis, on a thread of its own. */
struct rederive {
	const struct rb_report_opts *o;
	long long id;
	pthread_t thread;
	int started, rc;
	struct rb_err err;
};

static void *rederive_main(void *arg)
{
	struct rederive *r = arg;

	r->rc = r->o->rederive(r->o->rederive_ctx, r->id, &r->err);
	return NULL;
}

static int rederive_start(struct rederive *r, const struct rb_report_opts *o, long long id,
			  struct rb_err *e)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->id = id;
	if (o->rederive == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "no re-derivation of the analysis was given: a "
			      "report renders only an analysis it has re-derived");
	if (pthread_create(&r->thread, NULL, rederive_main, r) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "cannot start a thread");
	r->started = 1;
	return 0;
}

/* Wait for it: 0 when the analysis was proved equal (e set otherwise, if given). */
static int rederive_join(struct rederive *r, struct rb_err *e)
{
	if (!r->started)
		return -1;
	pthread_join(r->thread, NULL);
	r->started = 0;
	if (r->rc != 0 && e != NULL)
		*e = r->err;
	return r->rc;
}

/* Render every template into the new folder and write its MANIFEST. */
static int render_all(const struct rb_report_data *d, struct prep *p, const char *origin,
		      struct rb_report_result *res, struct rb_err *e)
{
	const cJSON *at = d->attest;
	const char *root = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(at, "root"));
	char tree[96];
	size_t i;

	for (i = 0; i < p->ntpl; i++) {
		if (render_one(d, p->tpl[i], p->pack.newdir, p->names[i], e) != 0)
			return -1;
		snprintf(res->files[res->nfiles++], sizeof(res->files[0]), "%.255s", p->names[i]);
	}
	/* The ledger it was made from, inside the signed text. */
	snprintf(tree, sizeof(tree), "%lld %s",
		 (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(at, "size")),
		 root != NULL ? root : "-");
	if (rb_pack_manifest(&p->pack, origin, p->per.name, tree, p->key, p->keyname, e) != 0)
		return -1;
	res->signed_manifest = p->key != NULL;
	return 0;
}

int rb_report(const struct rb_report_opts *o, struct rb_report_result *res,
	      struct rb_err *e)
{
	struct prep p;
	struct rb_render_stats stats = { 0, 0 };
	struct rb_report_data d = { NULL, NULL, NULL, NULL, 0, &stats, NULL, 0 };
	struct rb_rollup ru = { 0, 0, { 0 }, NULL, NULL, NULL, 0 };
	struct rederive rd;
	sqlite3 *db = NULL;
	cJSON *a = NULL, *at = NULL;
	char origin[512];
	int64_t lid;
	size_t i;
	int rc = -1, need_all = 0;
	unsigned long jf = rb_json_failures();

	memset(res, 0, sizeof(*res));
	memset(&rd, 0, sizeof(rd));
	if (prepare(o, &p, e) != 0) {
		res->refused_unsigned = p.pack.refused_unsigned;
		return -1;
	}
	if (rb_schema_open(o->db_path, RB_DB_READONLY, o->busy_ms, &db, e) != 0)
		goto out;
	lid = rb_tree_pick_ledger(db, o->ledger, origin, sizeof(origin), e);
	if (lid < 0 || read_analysis(db, lid, origin, &p.per, o->policy_sha256, &a,
				     &d.analysis_id, e) != 0 ||
	    rederive_start(&rd, o, d.analysis_id, e) != 0)
		goto out;
	d.db = db;
	d.a = a;
	d.font_dir = o->font_dir;
	d.ledger_id = lid;
	/* The rollbacks are gone over only for PDF, JSON and HTML. */
	for (i = 0; i < p.ntpl; i++)
		need_all |= p.tpl[i]->format == RB_FMT_PDF || p.tpl[i]->format == RB_FMT_JSON ||
			    p.tpl[i]->format == RB_FMT_HTML;
	if (need_all) {
		if (rollup(&d, p.tpl, p.ntpl, &ru, e) != 0)
			goto out;
		d.rollup = &ru;
	}
	at = attestation(db, lid, e);
	if (at == NULL || rb_attest_trust(db, lid, &p.per, o->trust, o->trust_sha256, at, e) != 0 ||
	    (need_all && trails(db, lid, a, &ru, at, e) != 0) ||
	    attest_late(db, lid, origin, &p.per, a, at, e) != 0)
		goto out;
	d.attest = at;
	if (rb_pack_begin(&p.pack, p.key != NULL, o->allow_unsigned, e) != 0 ||
	    attest_supersedes(o, &p.pack, at, res, e) != 0 ||
	    write_proofs(db, lid, at, p.pack.newdir, e) != 0 ||
	    render_all(&d, &p, origin, res, e) != 0)
		goto out;
	/* Read without locks (a read-only folder): only if no writer changed it. */
	if (rederive_join(&rd, e) != 0 || rb_db_unchanged(db, e) != 0)
		goto out;
	/* A document with a member cJSON could not allocate is never signed. */
	if (rb_json_failures() != jf) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory building the report");
		goto out;
	}
	if (rb_pack_commit(&p.pack, e) != 0)
		goto out;
	res->truncated_cells = stats.truncated_cells;
	res->truncated_chars = stats.truncated_chars;
	rc = 0;
out:
	if (rd.started)
		rederive_join(&rd, NULL);
	if (rc != 0) {
		res->nfiles = 0;
		res->refused_unsigned = p.pack.refused_unsigned;
	}
	rb_pack_abort(&p.pack);
	prep_free(&p);
	rollup_free(&ru);
	cJSON_Delete(a);
	cJSON_Delete(at);
	rb_db_close(db);
	return rc;
}
