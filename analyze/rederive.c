/* rederive.c - a stored analysis proved equal to a recomputation (see analyze.h). */
#include "analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/db.h"
#include "lib/period.h"
#include "lib/schema.h"

/* What the analysis was stored with, and what it stored. */
struct stored {
	char origin[512], period[128];
	char *policy, *policy_sha256, *document;
	int64_t ledger_size, size_now;
	int trend, sample;
	uint64_t seed;
};

/* The rollbacks' stored facts, read in order as the recomputation hands them over. */
struct cmp {
	sqlite3 *db;
	sqlite3_stmt *q;
	const cJSON *legacy;            /* the document's own "rollbacks", when it has them
					 * (an analysis stored before version 4): those are read */
	long long id;
	long long n;
	const char *origin, *period;
};

static void stored_free(struct stored *s)
{
	free(s->policy);
	free(s->policy_sha256);
	free(s->document);
}

static char *dup_col(sqlite3_stmt *q, int i)
{
	const char *t = (const char *)sqlite3_column_text(q, i);

	return strdup(t != NULL ? t : "");
}

static int read_stored(sqlite3 *db, long long id, struct stored *s, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (rb_db_prepare(db, "SELECT l.origin, a.period, a.policy, a.policy_sha256, a.document, "
			  "a.ledger_size, l.size, a.trend_periods, a.sample_size, a.sample_seed "
			  "FROM analysis a JOIN ledger l ON l.id = a.ledger_id WHERE a.id = ?1",
			  &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(q);
		return rc == SQLITE_DONE ?
			RB_ERR(e, RB_EX_NOINPUT, "table analysis: no analysis %lld", id) :
			rb_db_fail(db, rc, e, "cannot read the analysis");
	}
	snprintf(s->origin, sizeof(s->origin), "%s", sqlite3_column_text(q, 0));
	snprintf(s->period, sizeof(s->period), "%s", sqlite3_column_text(q, 1));
	s->policy = dup_col(q, 2);
	s->policy_sha256 = dup_col(q, 3);
	s->document = dup_col(q, 4);
	s->ledger_size = sqlite3_column_int64(q, 5);
	s->size_now = sqlite3_column_int64(q, 6);
	s->trend = sqlite3_column_int(q, 7);
	s->sample = sqlite3_column_int(q, 8);
	s->seed = (uint64_t)sqlite3_column_int64(q, 9);
	sqlite3_finalize(q);
	if (s->policy == NULL || s->policy_sha256 == NULL || s->document == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

/* The next stored rollback's facts (borrowed until the next call), or NULL at the end. */
static const char *next_stored(struct cmp *c, char **legacy_text, int *rc)
{
	cJSON_free(*legacy_text);
	*legacy_text = NULL;
	*rc = SQLITE_ROW;
	if (c->legacy != NULL) {
		const cJSON *x = cJSON_GetArrayItem(c->legacy, (int)c->n);

		if (x == NULL)
			return NULL;
		*legacy_text = cJSON_PrintUnformatted(x);
		return *legacy_text != NULL ? *legacy_text : "";
	}
	*rc = sqlite3_step(c->q);
	return *rc == SQLITE_ROW ? (const char *)sqlite3_column_text(c->q, 0) : NULL;
}

/* The metrics revision an analysis document was made under (none: 1). */
static int revision_of(const cJSON *doc)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(doc, "metrics_revision");

	return cJSON_IsNumber(r) ? r->valueint : 1;
}

/* One recomputed rollback against the next stored one. */
static int compare_rollback(void *ctx, const cJSON *facts, int flagged, struct rb_err *e)
{
	struct cmp *c = ctx;
	char *text = cJSON_PrintUnformatted(facts), *lt = NULL;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(facts,
									       "rollback_id"));
	const char *stored;
	int rc, ok;

	if (text == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	stored = next_stored(c, &lt, &rc);
	ok = stored != NULL && strcmp(stored, text) == 0 &&
	     (c->legacy != NULL || sqlite3_column_int(c->q, 1) == flagged);
	cJSON_free(text);
	cJSON_free(lt);
	c->n++;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(c->db, rc, e, "cannot read the stored rollbacks");
	if (!ok)
		return RB_ERR(e, RB_EX_FAIL, "the stored analysis %lld of %s for %s is not what its "
			      "entries give: table %s, rollback %lld (%s) %s; it was not used (analyse "
			      "the period %s again)", c->id, c->origin, c->period,
			      c->legacy ? "analysis, column document" : "analysis_rollback", c->n,
			      id != NULL ? id : "?", stored == NULL ? "is missing" : "differs",
			      c->period);
	return 0;
}

/* The documents without their "rollbacks", printed as they are stored. */
static int same_document(const cJSON *doc, const cJSON *stored)
{
	char *a = rb_analysis_stored_text(doc), *b = rb_analysis_stored_text(stored);
	int same = a != NULL && b != NULL && strcmp(a, b) == 0;

	cJSON_free(a);
	cJSON_free(b);
	return same;
}

/* The control mapping the stored document carries, as rb_analyze takes it. */
static cJSON *controls_of(const cJSON *doc)
{
	const cJSON *cm = cJSON_GetObjectItemCaseSensitive(doc, "control_mapping");
	cJSON *m;

	if (!cJSON_IsObject(cm) || (m = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddItemToObject(m, "controls", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(doc, "controls"), 1));
	cJSON_AddItemToObject(m, "findings", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(cm, "findings"), 1));
	cJSON_AddItemToObject(m, "evidence", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(cm, "evidence"), 1));
	return m;
}

/* The calendar the stored document was counted in (period.h: UTC when it names none). */
static void cal_of(const cJSON *doc, struct rb_period_cal *cal)
{
	const char *tz = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc,
										RB_PERIOD_TZ_MEMBER));
	const cJSON *fm = cJSON_GetObjectItemCaseSensitive(doc, RB_PERIOD_FY_MEMBER);

	memset(cal, 0, sizeof(*cal));
	if (tz != NULL)
		snprintf(cal->tz, sizeof(cal->tz), "%s", tz);
	if (cJSON_IsNumber(fm))
		cal->fy_first_month = fm->valueint;
}

/* Recompute with what was stored, comparing as it goes, then the document. */
static int recompute(const char *db_path, long long id, const struct stored *s,
		     const rb_trust *trust, int busy_ms, struct cmp *c, struct rb_err *e)
{
	struct rb_analyze_opts ao;
	struct rb_period_cal cal;
	struct rb_policy pol;
	char hash[65];
	cJSON *stored = cJSON_Parse(s->document), *controls = controls_of(stored), *doc = NULL;
	int rc = -1;

	rb_policy_default(&pol);
	if (revision_of(stored) != RB_METRICS_REVISION) {
		RB_ERR(e, RB_EX_NOINPUT, "the stored analysis of %s for %s was made under revision "
		       "%d of the metrics, and this rbaudit applies revision %d: analyse the period "
		       "%s again", s->origin, s->period, revision_of(stored), RB_METRICS_REVISION,
		       s->period);
		cJSON_Delete(stored);
		cJSON_Delete(controls);
		return -1;
	}
	c->legacy = cJSON_GetObjectItemCaseSensitive(stored, "rollbacks");
	if (c->legacy != NULL && !cJSON_IsArray(c->legacy))
		c->legacy = NULL;
	if (controls == NULL) {
		cJSON_Delete(stored);
		return RB_ERR(e, RB_EX_FAIL, "the stored analysis %lld of %s for %s is not what its "
			      "entries give: table analysis: its document is not an analysis",
			      id, s->origin, s->period);
	}
	if (s->policy == NULL || s->policy_sha256 == NULL ||
	    rb_policy_parse("(stored with the analysis)", s->policy, strlen(s->policy), &pol,
			    e) != 0 || rb_policy_hash(&pol, hash) != 0 ||
	    strcmp(hash, s->policy_sha256) != 0) {
		RB_ERR(e, RB_EX_FAIL, "the stored analysis %lld of %s for %s is not what its "
		       "entries give: table analysis: its policy is not the one its digest names",
		       id, s->origin, s->period);
		goto out;
	}
	memset(&ao, 0, sizeof(ao));
	ao.db_path = db_path;
	ao.ledger = s->origin;
	ao.period = s->period;
	cal_of(stored, &cal);
	ao.cal = &cal;
	ao.policy = &pol;
	ao.trend = s->trend;
	ao.sample = s->sample;
	ao.sample_seed = s->seed;
	ao.controls_doc = controls;
	ao.busy_ms = busy_ms;
	ao.on_rollback = compare_rollback;
	ao.rollback_ctx = c;
	ao.trust = trust;
	if (rb_analyze(&ao, &doc, e) != 0)
		goto out;
	if (c->legacy != NULL ? cJSON_GetArrayItem(c->legacy, (int)c->n) != NULL :
	    sqlite3_step(c->q) == SQLITE_ROW) {
		RB_ERR(e, RB_EX_FAIL, "the stored analysis %lld of %s for %s is not what its "
		       "entries give: table analysis_rollback holds more rollbacks than the %lld "
		       "its entries give", id, s->origin, s->period, c->n);
		goto out;
	}
	if (!same_document(doc, stored)) {
		RB_ERR(e, RB_EX_FAIL, "the stored analysis %lld of %s for %s is not what its "
		       "entries give: table analysis, column document differs; it was not used "
		       "(analyse the period %s again)", id, s->origin, s->period,
		       s->period);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(doc);
	cJSON_Delete(controls);
	cJSON_Delete(stored);
	return rc;
}

int rb_analyze_rederive(const char *db_path, long long analysis_id, const rb_trust *trust,
			int busy_ms, struct rb_err *e)
{
	struct stored s;
	struct cmp c;
	sqlite3 *db = NULL;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	if (rb_schema_open(db_path, RB_DB_READONLY, busy_ms, &db, e) != 0 ||
	    read_stored(db, analysis_id, &s, e) != 0)
		goto out;
	if (s.ledger_size != s.size_now) {
		RB_ERR(e, RB_EX_NOINPUT, "the stored analysis of %s for %s is of %lld entries, and "
		       "%lld are stored now: analyse the period %s again", s.origin,
		       s.period, (long long)s.ledger_size, (long long)s.size_now, s.period);
		goto out;
	}
	if (rb_db_prepare(db, "SELECT facts, flagged FROM analysis_rollback WHERE "
			  "analysis_id = ?1 ORDER BY ord, rowid", &c.q, e) != 0)
		goto out;
	sqlite3_bind_int64(c.q, 1, analysis_id);
	c.db = db;
	c.id = analysis_id;
	c.origin = s.origin;
	c.period = s.period;
	rc = recompute(db_path, analysis_id, &s, trust, busy_ms, &c, e);
	if (rc == 0)
		rc = rb_db_unchanged(db, e);
out:
	sqlite3_finalize(c.q);
	rb_db_close(db);
	stored_free(&s);
	return rc;
}

int rb_analyze_rederive_cb(void *ctx, long long analysis_id, struct rb_err *e)
{
	const struct rb_rederive *r = ctx;

	return rb_analyze_rederive(r->db_path, analysis_id, r->trust, r->busy_ms, e);
}
