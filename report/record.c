/*
 * record.c - a rollback's record as the ledger holds it (render.h): its
 * entries read back with where each was ingested from, and the texts the
 * packs and the workbook show of them.
 */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "lib/db.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/vocab.h"

struct rb_trail_reader {
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t lid;
};

int rb_trail_open(sqlite3 *db, int64_t lid, rb_trail_reader **out, struct rb_err *e)
{
	rb_trail_reader *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	/* One entry per line (FORMATS.md): line 1 holds the export's first seq. */
	if (rb_db_prepare(db, "SELECT n.seq, n.time, n.event, n.actor, n.payload, "
			  "n.countersigner, x.path, n.seq - x.first_seq + 1 FROM entry n "
			  "JOIN ingest_export x ON x.id = n.ingest_id "
			  "WHERE n.ledger_id = ?1 AND n.seq = ?2", &t->q, e) != 0) {
		free(t);
		return -1;
	}
	t->db = db;
	t->lid = lid;
	*out = t;
	return 0;
}

void rb_trail_close(rb_trail_reader *t)
{
	if (t == NULL)
		return;
	sqlite3_finalize(t->q);
	free(t);
}

/* The entry the statement stands on, as a trail object; NULL out of memory. */
static cJSON *entry_object(sqlite3_stmt *q)
{
	cJSON *x = cJSON_CreateObject();
	cJSON *body = cJSON_ParseWithLength(sqlite3_column_blob(q, 4),
					    (size_t)sqlite3_column_bytes(q, 4));

	if (x == NULL || body == NULL)
		goto fail;
	cJSON_AddNumberToObject(x, "seq", (double)sqlite3_column_int64(q, 0));
	cJSON_AddStringToObject(x, "time", (const char *)sqlite3_column_text(q, 1));
	cJSON_AddStringToObject(x, "event", (const char *)sqlite3_column_text(q, 2));
	cJSON_AddStringToObject(x, "actor", (const char *)sqlite3_column_text(q, 3));
	if (sqlite3_column_type(q, 5) == SQLITE_TEXT)
		cJSON_AddStringToObject(x, "countersigned_by",
					(const char *)sqlite3_column_text(q, 5));
	cJSON_AddStringToObject(x, "export", (const char *)sqlite3_column_text(q, 6));
	cJSON_AddStringToObject(x, "file", "entries.jsonl");
	cJSON_AddNumberToObject(x, "line", (double)sqlite3_column_int64(q, 7));
	if (cJSON_GetObjectItemCaseSensitive(body, "data") != NULL)
		cJSON_AddItemToObject(x, "data",
				      cJSON_DetachItemFromObjectCaseSensitive(body, "data"));
	cJSON_Delete(body);
	return x;
fail:
	cJSON_Delete(x);
	cJSON_Delete(body);
	return NULL;
}

int rb_trail_read(rb_trail_reader *t, const cJSON *seqs, cJSON **out, struct rb_err *e)
{
	cJSON *list = cJSON_CreateArray();
	const cJSON *seq;

	*out = NULL;
	if (list == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	cJSON_ArrayForEach(seq, seqs) {
		int rc;

		if (!cJSON_IsNumber(seq))
			continue;
		sqlite3_bind_int64(t->q, 1, t->lid);
		sqlite3_bind_int64(t->q, 2, (sqlite3_int64)seq->valuedouble);
		rc = sqlite3_step(t->q);
		if (rc == SQLITE_ROW) {
			cJSON *x = entry_object(t->q);

			if (x == NULL) {
				sqlite3_reset(t->q);
				cJSON_Delete(list);
				return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			}
			cJSON_AddItemToArray(list, x);
		} else if (rc != SQLITE_DONE) {
			cJSON_Delete(list);
			rb_db_fail(t->db, rc, e, "cannot read the ledger's entries");
			sqlite3_reset(t->q);
			return -1;
		}
		sqlite3_reset(t->q);
	}
	*out = list;
	return 0;
}

int rb_trail_of(sqlite3 *db, int64_t lid, rb_trail_reader **t, const cJSON *seqs,
		cJSON **out, struct rb_err *e)
{
	*out = NULL;
	if (*t == NULL && rb_trail_open(db, lid, t, e) != 0)
		return -1;
	return rb_trail_read(*t, seqs, out, e);
}

/* ---- the record's texts ---- */

/* v as text into f: a string as it is, a list joined, an object member by member. */
static void put_value(FILE *f, const cJSON *v)
{
	const cJSON *it;

	if (cJSON_IsString(v)) {
		fputs(v->valuestring, f);
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		int first = 1;

		cJSON_ArrayForEach(it, v) {
			fputs(first ? "" : ", ", f);
			if (cJSON_IsObject(v) && it->string != NULL)
				fprintf(f, "%s ", it->string);
			put_value(f, it);
			first = 0;
		}
	} else if (v != NULL) {
		char *s = cJSON_PrintUnformatted(v);

		fputs(s != NULL ? s : "", f);
		cJSON_free(s);
	}
}

static const cJSON *member(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A member of the request: its text, "(not recorded)" or "(blank)". */
static void put_asked(FILE *f, const cJSON *x, const cJSON *v)
{
	if (x == NULL)
		fputs("(no rollback.requested in the ledger)", f);
	else if (v == NULL || cJSON_IsNull(v))
		fputs("(not recorded)", f);
	else if (cJSON_IsString(v) && !rb_text_present(v->valuestring))
		fprintf(f, "(blank: \"%s\")", v->valuestring);
	else
		put_value(f, v);
}

/* " (seq N)" after an entry's text. */
static void put_seq(FILE *f, const cJSON *x)
{
	fprintf(f, " (seq %.0f)", cJSON_GetNumberValue(member(x, "seq")));
}

static const char *or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

static void put_by(FILE *f, const char *what, const cJSON *x)
{
	fprintf(f, "%s by %s at %s", what, or(rb_json_str(x, "actor"), "?"),
		or(rb_json_str(x, "time"), "?"));
	put_seq(f, x);
}

static void put_approval(FILE *f, const cJSON *x, const cJSON *d)
{
	put_by(f, or(rb_json_str(d, "role"), "(no role)"), x);
	if (member(d, "conditions") != NULL && !cJSON_IsNull(member(d, "conditions"))) {
		fputs("; conditions: ", f);
		put_value(f, member(d, "conditions"));
	}
	if (rb_json_str(x, "countersigned_by") != NULL)
		fprintf(f, "; countersigned by key %s", rb_json_str(x, "countersigned_by"));
	else
		fputs("; not countersigned", f);
}

static void put_execution(FILE *f, const cJSON *x, const cJSON *d)
{
	const char *from = rb_json_str(d, "from_version"), *to = rb_json_str(d, "to_version");

	put_by(f, or(rb_json_str(d, "result"), "(no result)"), x);
	if (rb_failed_attempt(rb_event_names[RB_EVENT_ROLLBACK_EXECUTED], d))
		fputs(", a failed attempt", f);
	if (from != NULL || to != NULL)
		fprintf(f, "; from %s to %s", or(from, "?"), or(to, "?"));
	if (cJSON_GetArraySize(member(d, "touches")) > 0) {
		fputs("; touches ", f);
		put_value(f, member(d, "touches"));
	}
	if (cJSON_GetArraySize(member(d, "reintroduces")) > 0) {
		fputs("; reintroduces ", f);
		put_value(f, member(d, "reintroduces"));
	}
}

/* One item of a rollback.verified's evidence, with its whole digest. */
static void put_evidence(FILE *f, const cJSON *x, const cJSON *ev)
{
	fprintf(f, "%s %s %s", or(rb_json_str(ev, "kind"), "(no kind)"),
		or(rb_json_str(ev, "result"), "(no result)"), or(rb_json_str(ev, "ref"), "(no ref)"));
	if (rb_json_str(ev, "sha256") != NULL)
		fprintf(f, " sha256:%s", rb_json_str(ev, "sha256"));
	else
		fputs(" (no sha256)", f);
	fprintf(f, "; by %s at %s", or(rb_json_str(x, "actor"), "?"), or(rb_json_str(x, "time"), "?"));
	put_seq(f, x);
}

static void put_other(FILE *f, const cJSON *x, const cJSON *d, const char *k)
{
	if (strcmp(k, "reason") == 0) {
		/* A rejection: who, then why. */
		fprintf(f, "by %s at %s", or(rb_json_str(x, "actor"), "?"),
			or(rb_json_str(x, "time"), "?"));
		put_seq(f, x);
		fputs(": ", f);
		if (member(d, "reason") != NULL)
			put_value(f, member(d, "reason"));
		else
			fputs("(no reason)", f);
		return;
	}
	put_by(f, or(rb_json_str(d, k), "(none)"), x);
	if (strcmp(k, "outcome") == 0 && member(d, "notes") != NULL) {
		fputs("; notes: ", f);
		put_value(f, member(d, "notes"));
	}
}

enum what { ASKED, APPROVAL, EXECUTION, EVIDENCE, REJECTION, REVIEW, RESOLUTION };

/* Add [label, text] to rec, the text written by its kind's function. */
static int add(cJSON *rec, const char *label, enum what w, const cJSON *x, const cJSON *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cJSON *pair = NULL;
	int rc = -1;

	if (f == NULL)
		return -1;
	switch (w) {
	case ASKED: put_asked(f, x, v); break;
	case APPROVAL: put_approval(f, x, v); break;
	case EXECUTION: put_execution(f, x, v); break;
	case EVIDENCE: put_evidence(f, x, v); break;
	case REJECTION: put_other(f, x, v, "reason"); break;
	case REVIEW: put_other(f, x, v, "outcome"); break;
	case RESOLUTION: put_other(f, x, v, "resolution"); break;
	}
	if (fclose(f) != 0)
		goto out;
	pair = cJSON_CreateArray();
	if (pair != NULL && cJSON_AddItemToArray(pair, cJSON_CreateString(label)) &&
	    cJSON_AddItemToArray(pair, cJSON_CreateString(buf)) &&
	    cJSON_GetArraySize(pair) == 2 && cJSON_AddItemToArray(rec, pair)) {
		pair = NULL;
		rc = 0;
	}
out:
	cJSON_Delete(pair);
	free(buf);
	return rc;
}

/* The texts of one entry of the trail. */
static int entry_texts(cJSON *rec, const cJSON *x)
{
	const cJSON *d = member(x, "data"), *ev;

	switch (rb_event_of(rb_json_str(x, "event"))) {
	case RB_EVENT_ROLLBACK_APPROVED: return add(rec, "Approval", APPROVAL, x, d);
	case RB_EVENT_ROLLBACK_REJECTED: return add(rec, "Rejection", REJECTION, x, d);
	case RB_EVENT_ROLLBACK_EXECUTED: return add(rec, "Execution", EXECUTION, x, d);
	case RB_EVENT_ROLLBACK_REVIEWED: return add(rec, "Review", REVIEW, x, d);
	case RB_EVENT_ROLLBACK_CLOSED: return add(rec, "Resolution", RESOLUTION, x, d);
	case RB_EVENT_ROLLBACK_VERIFIED:
		cJSON_ArrayForEach(ev, member(d, "evidence"))
			if (add(rec, "Evidence", EVIDENCE, x, ev) != 0)
				return -1;
		return 0;
	default:
		return 0;
	}
}

cJSON *rb_record_of(const cJSON *trail)
{
	static const struct {
		const char *label, *member;
	} asked[] = { { "Ticket", "ticket" }, { "Rationale", "rationale" }, { "Impact", "impact" },
		      { "Security considerations", "security_considerations" },
		      { "Components", "components" }, { "Operation", "operation" } };
	cJSON *rec = cJSON_CreateArray();
	const cJSON *x, *req = NULL;
	size_t i;
	int ok = rec != NULL;

	cJSON_ArrayForEach(x, trail)
		if (req == NULL && rb_event_of(rb_json_str(x, "event")) == RB_EVENT_ROLLBACK_REQUESTED)
			req = x;
	for (i = 0; ok && i < sizeof(asked) / sizeof(asked[0]); i++)
		ok = add(rec, asked[i].label, ASKED, req, member(member(req, "data"),
							       asked[i].member)) == 0;
	cJSON_ArrayForEach(x, trail)
		if (ok)
			ok = entry_texts(rec, x) == 0;
	if (!ok) {
		cJSON_Delete(rec);
		return NULL;
	}
	return rec;
}
