/*
 * query.c - the database queries behind rbaudit show, search and compare
 * (query.h).
 */
#include "query.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "render.h"
#include "lib/db.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/rtime.h"
#include "lib/tree.h"
#include "lib/vocab.h"

/* ---- show ---- */

/* Longest id the edit distance is computed over; longer ids rank last. */
#define ID_CMP_MAX 128

/* Levenshtein distance of a and b, ASCII letters without case. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[ID_CMP_MAX + 1], prev;

	if (la > ID_CMP_MAX || lb > ID_CMP_MAX)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = prev;

			if (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]))
				best++;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			prev = up;
			row[j] = best;
		}
	}
	return row[lb];
}

struct near {
	size_t d;
	char id[ID_CMP_MAX + 1];
};

/* Keep cand among the best (smallest distance, then id) of best[0..*n). */
static void keep_near(struct near *best, size_t *n, size_t d, const char *cand)
{
	size_t i, at;

	if (strlen(cand) > ID_CMP_MAX)
		return;
	for (at = 0; at < *n; at++)
		if (d < best[at].d || (d == best[at].d && strcmp(cand, best[at].id) < 0))
			break;
	if (at == RB_QUERY_CLOSEST)
		return;
	if (*n < RB_QUERY_CLOSEST)
		(*n)++;
	for (i = *n - 1; i > at; i--)
		best[i] = best[i - 1];
	best[at].d = d;
	snprintf(best[at].id, sizeof(best[at].id), "%s", cand);
}

int rb_query_closest(sqlite3 *db, int64_t lid, const char *id, char *out, size_t n,
		     struct rb_err *e)
{
	struct near best[RB_QUERY_CLOSEST];
	sqlite3_stmt *q = NULL;
	size_t nbest = 0, i, used = 0;
	int step;

	out[0] = '\0';
	if (rb_db_prepare(db, "SELECT DISTINCT rollback_id FROM entry INDEXED BY entry_rollback "
			  "WHERE ledger_id = ?1 AND rollback_id IS NOT NULL", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *cand = (const char *)sqlite3_column_text(q, 0);

		if (cand != NULL)
			keep_near(best, &nbest, edit_distance(id, cand), cand);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_DONE)
		return rb_db_fail(db, step, e, "cannot read the ledger's rollback ids");
	for (i = 0; i < nbest && used < n; i++) {
		int w = snprintf(out + used, n - used, "%s%s", i > 0 ? ", " : "", best[i].id);

		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	return 0;
}

/* The stored analyses that hold rollback id, into doc's "analyses". */
static int show_analyses(sqlite3 *db, int64_t lid, const char *id, cJSON *doc,
			 struct rb_err *e)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "analyses");
	sqlite3_stmt *q = NULL;
	int step;

	if (arr == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_prepare(db, "SELECT a.id, a.period, a.as_of, a.created, a.policy_sha256, "
			  "r.score, r.level, r.flagged, r.facts FROM analysis_rollback r "
			  "INDEXED BY analysis_rollback_id JOIN analysis a ON a.id = r.analysis_id "
			  "WHERE r.rollback_id = ?2 AND a.ledger_id = ?1 ORDER BY a.id", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	rb_db_bind_text(q, 2, id);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();
		cJSON *facts = cJSON_Parse((const char *)sqlite3_column_text(q, 8));

		if (x == NULL || facts == NULL) {
			long long aid = (long long)sqlite3_column_int64(q, 0);

			cJSON_Delete(x);
			cJSON_Delete(facts);
			sqlite3_finalize(q);
			return RB_ERR(e, RB_EX_DATAERR, "the stored facts of rollback %s in "
				      "analysis %lld are not JSON", id, aid);
		}
		cJSON_AddNumberToObject(x, "analysis_id", (double)sqlite3_column_int64(q, 0));
		cJSON_AddStringToObject(x, "period", (const char *)sqlite3_column_text(q, 1));
		cJSON_AddStringToObject(x, "as_of", (const char *)sqlite3_column_text(q, 2));
		cJSON_AddStringToObject(x, "created", (const char *)sqlite3_column_text(q, 3));
		cJSON_AddStringToObject(x, "policy_sha256", (const char *)sqlite3_column_text(q, 4));
		cJSON_AddNumberToObject(x, "score", (double)sqlite3_column_int64(q, 5));
		cJSON_AddStringToObject(x, "level", (const char *)sqlite3_column_text(q, 6));
		cJSON_AddBoolToObject(x, "flagged", sqlite3_column_int(q, 7) != 0);
		cJSON_AddItemToObject(x, "facts", facts);
		cJSON_AddItemToArray(arr, x);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_DONE)
		return rb_db_fail(db, step, e, "cannot read the stored analyses");
	return 0;
}

/* The timeline's seqs of rollback id as a JSON array; *n is their number. */
static int timeline(sqlite3 *db, int64_t lid, const char *id, cJSON **arr, size_t *n,
		    struct rb_err *e)
{
	int64_t *seqs = NULL;
	size_t i;

	*arr = NULL;
	if (rb_tree_rollback_seqs(db, lid, id, &seqs, n, e) != 0)
		return -1;
	*arr = cJSON_CreateArray();
	for (i = 0; *arr != NULL && i < *n; i++)
		cJSON_AddItemToArray(*arr, cJSON_CreateNumber((double)seqs[i]));
	free(seqs);
	if (*arr == NULL || (size_t)cJSON_GetArraySize(*arr) != *n)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

int rb_query_show(sqlite3 *db, int64_t lid, const char *origin, const char *id, cJSON **out,
		  struct rb_err *e)
{
	rb_trail_reader *tr = NULL;
	cJSON *doc = NULL, *seqs = NULL, *trail = NULL, *rec = NULL;
	char ids[RB_QUERY_CLOSEST * (ID_CMP_MAX + 2) + 1];
	size_t n = 0;
	int rc = -1;

	*out = NULL;
	if (timeline(db, lid, id, &seqs, &n, e) != 0)
		goto out;
	if (n == 0) {
		if (rb_query_closest(db, lid, id, ids, sizeof(ids), e) != 0)
			goto out;
		if (ids[0] != '\0')
			RB_ERR(e, RB_EX_FAIL, "no rollback %s in ledger %s; the closest ids: %s", id,
			       origin, ids);
		else
			RB_ERR(e, RB_EX_FAIL, "no rollback %s in ledger %s, which holds no "
			       "rollbacks", id, origin);
		goto out;
	}
	if (rb_trail_of(db, lid, &tr, seqs, &trail, e) != 0)
		goto out;
	if ((rec = rb_record_of(trail)) == NULL || (doc = cJSON_CreateObject()) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	cJSON_AddStringToObject(doc, "ledger", origin);
	cJSON_AddStringToObject(doc, "rollback_id", id);
	cJSON_AddItemToObject(doc, "entries", trail);
	cJSON_AddItemToObject(doc, "record", rec);
	trail = rec = NULL;
	if (show_analyses(db, lid, id, doc, e) != 0)
		goto out;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	cJSON_Delete(doc);
	cJSON_Delete(rec);
	cJSON_Delete(trail);
	cJSON_Delete(seqs);
	rb_trail_close(tr);
	return rc;
}

/* ---- search ---- */

/*
 * The normal forms of the few non-ASCII runs that recur in the texts a
 * search reads ("(\u2248", "\u00fcl"...), so that each is made once, and
 * the buffer texts are folded into.
 */
#define FOLD_CACHE 64

struct fold_cache {
	char *run[FOLD_CACHE], *norm[FOLD_CACHE];
	size_t next;
	char *buf;              /* the text being folded */
	size_t len, cap;
};

static void fold_cache_free(struct fold_cache *fc)
{
	size_t i;

	for (i = 0; i < FOLD_CACHE; i++) {
		free(fc->run[i]);
		free(fc->norm[i]);
	}
	free(fc->buf);
	memset(fc, 0, sizeof(*fc));
}

/* One utf8proc pass over s[0..n) into *out (malloc'd); 0, or utf8proc's error. */
static int fold_map(const char *s, size_t n, utf8proc_option_t opt, char **out)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n,
					  &dst, opt | UTF8PROC_STABLE);

	*out = (char *)dst;
	if (k < 0) {
		free(dst);
		*out = NULL;
		return (int)k;
	}
	return 0;
}

/*
 * The normal form of the run s[0..n) as lib/ident.h makes it, without its
 * trim: NFC, full case folding, NFC (owned by fc); NULL when the run is not
 * UTF-8 (*nomem 0) or memory ran out (*nomem 1).
 */
static const char *fold_run(struct fold_cache *fc, const char *s, size_t n, int *nomem)
{
	char *a = NULL, *b = NULL, *run;
	size_t i;
	int rc;

	*nomem = 0;
	for (i = 0; i < FOLD_CACHE && fc->run[i] != NULL; i++)
		if (strlen(fc->run[i]) == n && memcmp(fc->run[i], s, n) == 0)
			return fc->norm[i];
	if ((rc = fold_map(s, n, UTF8PROC_COMPOSE, &a)) == 0 &&
	    (rc = fold_map(a, strlen(a), UTF8PROC_CASEFOLD, &b)) == 0) {
		free(a);
		rc = fold_map(b, strlen(b), UTF8PROC_COMPOSE, &a);
	}
	free(b);
	run = rc == 0 ? strndup(s, n) : NULL;
	if (run == NULL) {
		*nomem = rc == 0 || rc == UTF8PROC_ERROR_NOMEM;
		free(a);
		return NULL;
	}
	i = fc->next;
	free(fc->run[i]);
	free(fc->norm[i]);
	fc->run[i] = run;
	fc->norm[i] = a;
	fc->next = (i + 1) % FOLD_CACHE;
	return a;
}

/* Append n bytes to fc's buffer; -1 when out of memory. */
static int buf_put(struct fold_cache *fc, const char *p, size_t n)
{
	if (fc->len + n + 1 > fc->cap) {
		size_t cap = 2 * (fc->len + n + 1);
		char *b = realloc(fc->buf, cap);

		if (b == NULL)
			return -1;
		fc->buf = b;
		fc->cap = cap;
	}
	memcpy(fc->buf + fc->len, p, n);
	fc->len += n;
	fc->buf[fc->len] = '\0';
	return 0;
}

/*
 * The normal form of the UTF-8 text s into fc->buf: ASCII lower-cased here,
 * each run of other characters (with the ASCII character before it, which
 * may compose with it) through fold_run.  Normalisation and case folding
 * never reach across an ASCII character that no combining mark follows, so
 * this is the text's normal form (lib/ident.h) but for the trim, which
 * cannot change whether a needle with no White_Space at its ends is in it.
 * -1: not UTF-8; -2: out of memory.
 */
static int fold_text(struct fold_cache *fc, const char *s)
{
	size_t i = 0, n = strlen(s);

	fc->len = 0;
	if (buf_put(fc, "", 0) != 0)
		return -2;
	while (i < n) {
		size_t from = i, to;
		const char *norm;
		int nomem;

		while (i < n && (unsigned char)s[i] < 0x80 &&
		       (i + 1 == n || (unsigned char)s[i + 1] < 0x80))
			i++;
		if (i > from) {
			size_t k0 = fc->len, k;

			if (buf_put(fc, s + from, i - from) != 0)
				return -2;
			for (k = k0; k < fc->len; k++)
				fc->buf[k] = (char)tolower((unsigned char)fc->buf[k]);
			continue;
		}
		to = (unsigned char)s[i] < 0x80 ? i + 1 : i;
		while (to < n && (unsigned char)s[to] >= 0x80)
			to++;
		if ((norm = fold_run(fc, s + from, to - from, &nomem)) == NULL)
			return nomem ? -2 : -1;
		if (buf_put(fc, norm, strlen(norm)) != 0)
			return -2;
		i = to;
	}
	return 0;
}

/*
 * rb_has(payload, needle): 1 when the normal form of one of the request's
 * texts (the payload's data.rationale, .impact, .security_considerations,
 * .ticket; strings only) holds needle, itself in normal form with no
 * White_Space at its ends; 0 when none does (text that is not UTF-8 holds
 * nothing); NULL for NULL.  The payload is parsed once, here.  Running out
 * of memory fails the statement: a text is never taken as not matching for
 * want of memory.
 */
static void sql_has(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	static const char *const member[] = { "rationale", "impact", "security_considerations",
					      "ticket" };
	struct fold_cache *fc = sqlite3_user_data(c);
	const char *payload = (const char *)sqlite3_value_text(argv[0]);
	const char *needle = (const char *)sqlite3_value_text(argv[1]);
	const cJSON *data;
	cJSON *doc;
	size_t k;
	int found = 0, rc = 0;

	(void)argc;
	if (payload == NULL || needle == NULL) {
		sqlite3_result_null(c);
		return;
	}
	/* Stored payloads are JSON (ingest checked): only memory fails here. */
	doc = cJSON_ParseWithLength(payload, (size_t)sqlite3_value_bytes(argv[0]));
	if (doc == NULL) {
		sqlite3_result_error_nomem(c);
		return;
	}
	data = cJSON_GetObjectItemCaseSensitive(doc, "data");
	for (k = 0; k < sizeof(member) / sizeof(member[0]) && !found && rc != -2; k++) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(data, member[k]);

		if (cJSON_IsString(it) && (rc = fold_text(fc, it->valuestring)) == 0)
			found = strstr(fc->buf, needle) != NULL;
	}
	cJSON_Delete(doc);
	if (rc == -2)
		sqlite3_result_error_nomem(c);
	else
		sqlite3_result_int(c, found);
}

/*
 * The rollbacks' first rollback.requested (entry_requested, schema v11),
 * each with its newest stored analysis, under the filters ?4..?11 (NULL:
 * none).  The request's texts are compared in normal form (rb_has).  With
 * ?11 (--open), a closed rollback is left out here, before its analysis is
 * read; the rest of the open-work rule is status_of's.
 */
static const char search_sql[] =
	"SELECT r.rollback_id, r.seq, r.time, r.actor, r.service, r.environment, a.period, "
	"ar.score, ar.level, json_extract(ar.facts, '$.team'), "
	"json_extract(ar.facts, '$.findings'), r.time_s "
	"FROM entry r INDEXED BY entry_requested "
	"LEFT JOIN analysis_rollback ar ON ar.rollback_id = r.rollback_id AND ar.analysis_id = "
	"(SELECT max(x.analysis_id) FROM analysis_rollback x INDEXED BY analysis_rollback_id "
	"WHERE x.rollback_id = r.rollback_id AND x.analysis_id IN "
	"(SELECT id FROM analysis WHERE ledger_id = ?1)) "
	"LEFT JOIN analysis a ON a.id = ar.analysis_id "
	"WHERE r.ledger_id = ?1 AND r.event = 'rollback.requested' AND r.counted = 1 "
	"AND r.rollback_id IS NOT NULL AND r.time_s >= ?2 AND r.time_s < ?3 "
	"AND (?4 IS NULL OR r.service = ?4) AND (?5 IS NULL OR r.environment = ?5) "
	"AND (?6 IS NULL OR EXISTS (SELECT 1 FROM entry p INDEXED BY entry_actor "
	"WHERE p.actor IN (SELECT value FROM json_each(?6)) AND p.ledger_id = r.ledger_id "
	"AND p.rollback_id = r.rollback_id AND p.rollback_id IS NOT NULL)) "
	"AND (?7 IS NULL OR json_extract(ar.facts, '$.team') = ?7) "
	"AND (?8 IS NULL OR ar.level = ?8) "
	"AND (?9 IS NULL OR EXISTS (SELECT 1 FROM analysis_finding f WHERE "
	"f.analysis_id = ar.analysis_id AND f.rollback_id = r.rollback_id AND f.code = ?9)) "
	"AND (?10 IS NULL OR rb_has(CAST(r.payload AS TEXT), ?10)) "
	"AND (?11 IS NULL OR NOT EXISTS (SELECT 1 FROM entry c INDEXED BY entry_rollback "
	"WHERE c.ledger_id = r.ledger_id AND c.rollback_id = r.rollback_id "
	"AND c.event = 'rollback.closed')) "
	"ORDER BY r.time_s, r.seq";

/*
 * The spellings of actor in the ledgers' rollback entries (the same person:
 * equal normal forms), as a JSON array text into *out (malloc'd).  The
 * distinct actors are read one seek each (entry_actor), not by a scan.
 */
static int spellings(sqlite3 *db, const char *actor, char **out, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	cJSON *arr = cJSON_CreateArray();
	char *want = NULL, *last = NULL;
	int step = SQLITE_DONE, rc = -1;

	*out = NULL;
	if (arr == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_ident_normal(actor, &want, e) != 0 ||
	    rb_db_prepare(db, "SELECT actor FROM entry INDEXED BY entry_actor WHERE "
			  "rollback_id IS NOT NULL AND actor > ?1 ORDER BY actor LIMIT 1", &q, e) != 0)
		goto out;
	for (;;) {
		char *norm = NULL;
		const char *s;

		rb_db_bind_text(q, 1, last != NULL ? last : "");
		if ((step = sqlite3_step(q)) != SQLITE_ROW)
			break;
		s = (const char *)sqlite3_column_text(q, 0);
		free(last);
		if (s == NULL || (last = strdup(s)) == NULL) {
			last = NULL;
			step = SQLITE_NOMEM;
			break;
		}
		sqlite3_reset(q);
		/* Stored actors are UTF-8 (ingest checked): only memory fails here. */
		if (rb_ident_normal(last, &norm, e) != 0)
			goto out;
		if (strcmp(norm, want) == 0)
			cJSON_AddItemToArray(arr, cJSON_CreateString(last));
		free(norm);
	}
	if (step != SQLITE_DONE) {
		rb_db_fail(db, step, e, "cannot read the ledger's actors");
		goto out;
	}
	if ((*out = cJSON_PrintUnformatted(arr)) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	free(last);
	free(want);
	cJSON_Delete(arr);
	return rc;
}

/* Where a rollback stands, from its executions, rejections and closure. */
struct state {
	char closed[RB_TIME_MAX], executed[RB_TIME_MAX], failed[RB_TIME_MAX],
	     rejected[RB_TIME_MAX];
	int64_t closed_s, executed_s, failed_s, rejected_s;
};

/* The time of the entry q stands on into dst, unless one is kept and !last. */
static void keep_time(char *dst, int64_t *dst_s, sqlite3_stmt *q, int last)
{
	const char *t = (const char *)sqlite3_column_text(q, 2);

	if (dst[0] != '\0' && !last)
		return;
	snprintf(dst, RB_TIME_MAX, "%s", t != NULL ? t : "?");
	*dst_s = sqlite3_column_int64(q, 3);
}

/* h's status, since and age, read with the statement st (bound here). */
static int status_of(sqlite3 *db, sqlite3_stmt *st, int64_t lid, int64_t req_s, int64_t now,
		     struct state *s, struct rb_search_hit *h, struct rb_err *e)
{
	int step;
	int64_t since;

	memset(s, 0, sizeof(*s));
	sqlite3_bind_int64(st, 1, lid);
	rb_db_bind_text(st, 2, h->rollback_id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ev = (const char *)sqlite3_column_text(st, 0);
		int ev_id = rb_event_of(ev);

		if (ev_id == RB_EVENT_ROLLBACK_CLOSED)
			keep_time(s->closed, &s->closed_s, st, 0);
		else if (ev_id == RB_EVENT_ROLLBACK_REJECTED)
			keep_time(s->rejected, &s->rejected_s, st, 0);
		else if (sqlite3_column_int(st, 1) != 0)
			keep_time(s->failed, &s->failed_s, st, 1);   /* the latest attempt */
		else
			keep_time(s->executed, &s->executed_s, st, 0);
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return rb_db_fail(db, step, e, "cannot read the rollback's entries");
	/* The first that holds, in this order, is where the rollback stands. */
	if (s->closed[0] != '\0') {
		h->status = "closed";
		h->since = s->closed;
		since = s->closed_s;
	} else if (s->executed[0] != '\0') {
		h->status = "executed";
		h->since = s->executed;
		since = s->executed_s;
	} else if (s->failed[0] != '\0') {
		h->status = "failed";
		h->since = s->failed;
		since = s->failed_s;
	} else if (s->rejected[0] != '\0') {
		h->status = "rejected";
		h->since = s->rejected;
		since = s->rejected_s;
	} else {
		h->status = "requested";
		h->since = h->requested;
		since = req_s;
	}
	h->open = strcmp(h->status, "closed") != 0 && strcmp(h->status, "rejected") != 0;
	h->age = now - since;
	return 0;
}

static const char *col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

/* The search's statement with s's filters bound; actors is --actor's spellings. */
static int search_prepare(sqlite3 *db, const struct rb_search *s, const char *actors,
			  const char *text, struct fold_cache *fc, sqlite3_stmt **q,
			  struct rb_err *e)
{
	if (sqlite3_create_function_v2(db, "rb_has", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				       fc, sql_has, NULL, NULL, NULL) != SQLITE_OK)
		return rb_db_fail(db, sqlite3_errcode(db), e, "cannot prepare the search");
	if (rb_db_prepare(db, search_sql, q, e) != 0)
		return -1;
	sqlite3_bind_int64(*q, 1, s->ledger_id);
	sqlite3_bind_int64(*q, 2, s->since);
	sqlite3_bind_int64(*q, 3, s->until);
	rb_db_bind_text(*q, 4, s->service);
	rb_db_bind_text(*q, 5, s->environment);
	rb_db_bind_text(*q, 6, actors);
	rb_db_bind_text(*q, 7, s->team);
	rb_db_bind_text(*q, 8, s->level);
	rb_db_bind_text(*q, 9, s->finding);
	rb_db_bind_text(*q, 10, text);
	if (s->open)
		sqlite3_bind_int(*q, 11, 1);
	return 0;
}

/* One row of the search as a hit, handed to fn unless --open leaves it out. */
static int search_row(sqlite3 *db, sqlite3_stmt *q, sqlite3_stmt *st, const struct rb_search *s,
		      rb_search_fn fn, void *ctx, struct rb_err *e)
{
	struct rb_search_hit h;
	struct state state;
	const char *fj = col_text(q, 10);
	cJSON *findings = fj != NULL ? cJSON_Parse(fj) : cJSON_CreateArray();
	int rc;

	if (findings == NULL)
		return RB_ERR(e, RB_EX_DATAERR, "the stored findings of rollback %s are not JSON",
			      col_text(q, 0));
	memset(&h, 0, sizeof(h));
	h.rollback_id = col_text(q, 0);
	h.seq = sqlite3_column_int64(q, 1);
	h.requested = col_text(q, 2);
	h.requester = col_text(q, 3);
	h.service = col_text(q, 4);
	h.environment = col_text(q, 5);
	h.period = col_text(q, 6);
	h.score = sqlite3_column_double(q, 7);
	h.level = col_text(q, 8);
	h.team = col_text(q, 9);
	h.findings = findings;
	rc = status_of(db, st, s->ledger_id, sqlite3_column_int64(q, 11), s->now, &state, &h,
		       e);
	if (rc == 0 && (!s->open || h.open))
		rc = fn(ctx, &h, e);
	cJSON_Delete(findings);
	return rc;
}

int rb_query_search(sqlite3 *db, const struct rb_search *s, rb_search_fn fn, void *ctx,
		    struct rb_err *e)
{
	struct fold_cache fc;
	sqlite3_stmt *q = NULL, *st = NULL;
	char *actors = NULL, *text = NULL;
	int step = SQLITE_DONE, rc = -1;

	memset(&fc, 0, sizeof(fc));

	if (s->actor != NULL && spellings(db, s->actor, &actors, e) != 0)
		goto out;
	if (s->text != NULL && rb_ident_normal(s->text, &text, e) != 0)
		goto out;
	if (search_prepare(db, s, actors, text, &fc, &q, e) != 0 ||
	    rb_db_prepare(db, "SELECT event, failed, time, time_s FROM entry INDEXED BY "
			  "entry_rollback WHERE ledger_id = ?1 AND rollback_id = ?2 AND event IN "
			  "('rollback.executed', 'rollback.closed', 'rollback.rejected') "
			  "ORDER BY seq", &st, e) != 0)
		goto out;
	while ((step = sqlite3_step(q)) == SQLITE_ROW)
		if (search_row(db, q, st, s, fn, ctx, e) != 0)
			goto out;
	if (step != SQLITE_DONE) {
		rb_db_fail(db, step, e, "cannot search the ledger");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(q);
	/* The function keeps fc: it goes with the connection's next search. */
	sqlite3_create_function_v2(db, "rb_has", 2, SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
	fold_cache_free(&fc);
	free(text);
	free(actors);
	return rc;
}

/* ---- compare ---- */

/* The metrics of the analysis document, in this order (docs/METRICS.md). */
static const char *const metric_names[] = {
	"rollbacks_executed", "deployments", "failed_executions", "rollback_rate",
	"ttd", "ttr", "approval_latency", "evidence_complete", "evidence_complete_ratio",
	"evidence_mean_completeness", "levels", "finding_counts", "by_service",
	"by_environment", "by_team"
};

/* Every number (or null) under v into flat as path -> value, in order. */
static void flatten(const cJSON *v, const char *path, cJSON *flat)
{
	const cJSON *it;
	char sub[512];

	if (cJSON_IsNumber(v) || cJSON_IsNull(v)) {
		if (cJSON_GetObjectItemCaseSensitive(flat, path) == NULL)
			cJSON_AddItemToObject(flat, path, cJSON_Duplicate(v, 0));
		return;
	}
	if (!cJSON_IsObject(v))
		return;
	cJSON_ArrayForEach(it, v) {
		snprintf(sub, sizeof(sub), "%s.%s", path, it->string);
		flatten(it, sub, flat);
	}
}

/* A metric's change from a to b: {metric, a, b, change, relative}. */
static cJSON *metric_row(const char *name, const cJSON *a, const cJSON *b)
{
	cJSON *x = cJSON_CreateObject();

	cJSON_AddStringToObject(x, "metric", name);
	cJSON_AddItemToObject(x, "a", cJSON_IsNumber(a) ? cJSON_CreateNumber(a->valuedouble)
						      : cJSON_CreateNull());
	cJSON_AddItemToObject(x, "b", cJSON_IsNumber(b) ? cJSON_CreateNumber(b->valuedouble)
						      : cJSON_CreateNull());
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
		cJSON_AddNumberToObject(x, "change", b->valuedouble - a->valuedouble);
		if (a->valuedouble != 0)
			cJSON_AddNumberToObject(x, "relative",
						(b->valuedouble - a->valuedouble) / a->valuedouble);
		else
			cJSON_AddNullToObject(x, "relative");
	} else {
		cJSON_AddNullToObject(x, "change");
		cJSON_AddNullToObject(x, "relative");
	}
	return x;
}

/*
 * The metrics of documents da and db side by side into doc's "metrics":
 * a's paths first, then the paths only b has (a service new in b), metric
 * by metric.
 */
static int side_by_side(const cJSON *da, const cJSON *dbb, cJSON *doc, struct rb_err *e)
{
	cJSON *arr = cJSON_AddArrayToObject(doc, "metrics");
	size_t k;

	if (arr == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	for (k = 0; k < sizeof(metric_names) / sizeof(metric_names[0]); k++) {
		cJSON *fa = cJSON_CreateObject(), *fb = cJSON_CreateObject(), *all, *it;

		all = cJSON_CreateObject();
		if (fa == NULL || fb == NULL || all == NULL) {
			cJSON_Delete(fa);
			cJSON_Delete(fb);
			cJSON_Delete(all);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		flatten(cJSON_GetObjectItemCaseSensitive(da, metric_names[k]), metric_names[k], fa);
		flatten(cJSON_GetObjectItemCaseSensitive(dbb, metric_names[k]), metric_names[k], fb);
		flatten(fa, "", all);
		flatten(fb, "", all);
		cJSON_ArrayForEach(it, all) {
			const char *name = it->string + 1;      /* past the "." of "" */

			cJSON_AddItemToArray(arr, metric_row(name,
					     cJSON_GetObjectItemCaseSensitive(fa, name),
					     cJSON_GetObjectItemCaseSensitive(fb, name)));
		}
		cJSON_Delete(all);
		cJSON_Delete(fa);
		cJSON_Delete(fb);
	}
	return 0;
}

/* The newest stored analysis of period in ledger lid: its id and document. */
static int stored_analysis(sqlite3 *db, int64_t lid, const char *origin,
			   const struct rb_period *p, int64_t *id, cJSON **d, cJSON *about,
			   struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int step;

	*d = NULL;
	if (rb_db_prepare(db, "SELECT id, document, as_of, policy_sha256 FROM analysis "
			  "WHERE ledger_id = ?1 AND period = ?2 ORDER BY id DESC LIMIT 1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	rb_db_bind_text(q, 2, p->name);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		*id = sqlite3_column_int64(q, 0);
		*d = cJSON_Parse(col_text(q, 1));
		cJSON_AddStringToObject(about, "period", p->name);
		cJSON_AddNumberToObject(about, "analysis_id", (double)*id);
		cJSON_AddStringToObject(about, "as_of", col_text(q, 2));
		cJSON_AddStringToObject(about, "policy_sha256", col_text(q, 3));
	}
	sqlite3_finalize(q);
	if (step == SQLITE_DONE)
		return RB_ERR(e, RB_EX_NOINPUT, "no stored analysis of period %s in ledger %s: "
			      "store one with rbaudit analyze --period %s (without --no-store)",
			      p->name, origin, p->name);
	if (step != SQLITE_ROW)
		return rb_db_fail(db, step, e, "cannot read the stored analyses");
	if (*d == NULL)
		return RB_ERR(e, RB_EX_DATAERR, "the stored analysis of period %s is not JSON",
			      p->name);
	return 0;
}

/* The rows of statement sql (bound to analyses a and b) into doc's member name. */
static int list_new(sqlite3 *db, const char *sql, int64_t a, int64_t b, int pairs,
		    cJSON *arr, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int step;

	if (rb_db_prepare(db, sql, &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, a);
	sqlite3_bind_int64(q, 2, b);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x;

		if (!pairs) {
			cJSON_AddItemToArray(arr, cJSON_CreateString(col_text(q, 0)));
			continue;
		}
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "rollback_id", col_text(q, 0));
		cJSON_AddStringToObject(x, "code", col_text(q, 1));
		cJSON_AddItemToArray(arr, x);
	}
	sqlite3_finalize(q);
	if (step != SQLITE_DONE)
		return rb_db_fail(db, step, e, "cannot read the stored analyses");
	return 0;
}

/* What is new in analysis b against a: rollbacks, findings, finding codes. */
static int what_is_new(sqlite3 *db, int64_t a, int64_t b, const cJSON *da, const cJSON *dbb,
		       cJSON *doc, struct rb_err *e)
{
	cJSON *codes;
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(da, "finding_counts");
	const cJSON *cb = cJSON_GetObjectItemCaseSensitive(dbb, "finding_counts");
	int k;

	if (list_new(db, "SELECT rollback_id FROM analysis_rollback WHERE analysis_id = ?2 "
		     "AND rollback_id NOT IN (SELECT rollback_id FROM analysis_rollback WHERE "
		     "analysis_id = ?1) ORDER BY ord, rollback_id", a, b, 0,
		     cJSON_AddArrayToObject(doc, "new_rollbacks"), e) != 0 ||
	    list_new(db, "SELECT f.rollback_id, f.code FROM analysis_finding f JOIN "
		     "analysis_rollback r ON r.analysis_id = f.analysis_id AND r.rollback_id = "
		     "f.rollback_id WHERE f.analysis_id = ?2 AND NOT EXISTS (SELECT 1 FROM "
		     "analysis_finding g WHERE g.analysis_id = ?1 AND g.rollback_id = f.rollback_id "
		     "AND g.code = f.code) ORDER BY r.ord, f.rollback_id, f.code", a, b, 1,
		     cJSON_AddArrayToObject(doc, "new_findings"), e) != 0)
		return -1;
	codes = cJSON_AddArrayToObject(doc, "new_finding_codes");
	for (k = 0; k < RB_NFINDINGS; k++) {
		const char *c = rb_finding_names[k];
		double na = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ca, c));
		double nb = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cb, c));

		/* cJSON_GetNumberValue of a missing member is NaN: counted none. */
		if (nb > 0 && !(na > 0))
			cJSON_AddItemToArray(codes, cJSON_CreateString(c));
	}
	return 0;
}

int rb_query_compare(sqlite3 *db, int64_t lid, const char *origin, const struct rb_period *a,
		     const struct rb_period *b, cJSON **out, struct rb_err *e)
{
	cJSON *doc = cJSON_CreateObject(), *da = NULL, *dbb = NULL, *ia, *ib;
	int64_t aid = 0, bid = 0;
	int rc = -1;

	*out = NULL;
	if (doc == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	cJSON_AddStringToObject(doc, "ledger", origin);
	ia = cJSON_AddObjectToObject(doc, "a");
	ib = cJSON_AddObjectToObject(doc, "b");
	if (stored_analysis(db, lid, origin, a, &aid, &da, ia, e) != 0 ||
	    stored_analysis(db, lid, origin, b, &bid, &dbb, ib, e) != 0)
		goto out;
	cJSON_AddBoolToObject(doc, "same_policy",
			      strcmp(rb_json_str(ia, "policy_sha256"),
				     rb_json_str(ib, "policy_sha256")) == 0);
	if (side_by_side(da, dbb, doc, e) != 0 || what_is_new(db, aid, bid, da, dbb, doc, e) != 0)
		goto out;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	cJSON_Delete(da);
	cJSON_Delete(dbb);
	cJSON_Delete(doc);
	return rc;
}

/* ---- CSV ---- */

static void file_put(void *f, const char *p, size_t n)
{
	fwrite(p, 1, n, f);
}

void rb_query_csv_cell(FILE *f, const char *s)
{
	if (s != NULL)
		rb_csv_text(s, file_put, f);
}
