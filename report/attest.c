/* attest.c - the attestation's trust members: the keys as they are, what failed (render.h). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "lib/db.h"
#include "lib/json.h"
#include "lib/rtime.h"
#include "lib/schema.h"
#include "report/render.h"

static const char *name_of(const cJSON *x)
{
	const char *s = rb_json_str(x, "name");

	return s != NULL ? s : "";
}

static void add_time(cJSON *o, const char *name, const struct rb_time *t)
{
	char buf[RB_TIME_MAX];

	if (t == NULL) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	rb_time_format(t, buf);
	cJSON_AddStringToObject(o, name, buf);
}

/* The trust store's keys, as they are today; those that signed and left it after. */
static int keys_of_store(sqlite3 *db, const rb_trust *t, cJSON *keys, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	size_t i;
	int rc;

	for (i = 0; i < rb_trust_count(t); i++) {
		const rb_tkey *k = rb_trust_at(t, i);
		cJSON *x = cJSON_CreateObject();
		char roles[256], ks[RB_KEYSTRING_MAX];

		rb_tkey_roles(k, roles, sizeof(roles));
		rb_tkey_keystring(k, ks);
		cJSON_AddStringToObject(x, "name", rb_tkey_name(k));
		cJSON_AddStringToObject(x, "roles", roles);
		cJSON_AddStringToObject(x, "keystring", ks);
		if (rb_tkey_identity(k) != NULL)
			cJSON_AddStringToObject(x, "identity", rb_tkey_identity(k));
		add_time(x, "valid_from", rb_tkey_valid_from(k));
		add_time(x, "valid_until", rb_tkey_valid_until(k));
		add_time(x, "revoked_at", rb_tkey_revoked_at(k));
		cJSON_AddBoolToObject(x, "in_trust_store", 1);
		cJSON_AddItemToArray(keys, x);
	}
	if (rb_db_prepare(db, "SELECT name, roles, keystring, identity, valid_from, valid_until, "
			  "revoked_at FROM signing_key ORDER BY name, keystring", &q, e) != 0)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		const rb_tkey *k = rb_trust_find(t, name, strlen(name));
		cJSON *x;

		if (k != NULL) {
			char ks[RB_KEYSTRING_MAX];

			rb_tkey_keystring(k, ks);
			if (strcmp(ks, (const char *)sqlite3_column_text(q, 2)) == 0)
				continue;       /* the same key, listed above */
		}
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", name);
		cJSON_AddStringToObject(x, "roles", (const char *)sqlite3_column_text(q, 1));
		cJSON_AddStringToObject(x, "keystring", (const char *)sqlite3_column_text(q, 2));
		if (sqlite3_column_type(q, 3) == SQLITE_TEXT)
			cJSON_AddStringToObject(x, "identity", (const char *)sqlite3_column_text(q, 3));
		cJSON_AddStringToObject(x, "valid_from", (const char *)sqlite3_column_text(q, 4));
		cJSON_AddItemToObject(x, "valid_until", sqlite3_column_type(q, 5) == SQLITE_TEXT ?
				      cJSON_CreateString((const char *)sqlite3_column_text(q, 5)) :
				      cJSON_CreateNull());
		cJSON_AddItemToObject(x, "revoked_at", sqlite3_column_type(q, 6) == SQLITE_TEXT ?
				      cJSON_CreateString((const char *)sqlite3_column_text(q, 6)) :
				      cJSON_CreateNull());
		cJSON_AddBoolToObject(x, "in_trust_store", 0);
		cJSON_AddItemToArray(keys, x);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the signing keys");
	return 0;
}

/* Per key: the entries of the period it signed, and countersigned. */
static int key_counts(sqlite3 *db, int64_t lid, const struct rb_period *per, cJSON *keys,
		      struct rb_err *e)
{
	static const char *const sql[2] = {
		"SELECT signer, count(*) FROM entry WHERE ledger_id = ?1 AND time_s >= ?2 AND "
		"time_s < ?3 GROUP BY signer",
		"SELECT countersigner, count(*) FROM entry WHERE ledger_id = ?1 AND time_s >= ?2 "
		"AND time_s < ?3 AND countersigner IS NOT NULL GROUP BY countersigner" };
	static const char *const member[2] = { "entries_signed", "countersigned" };
	sqlite3_stmt *q = NULL;
	cJSON *x;
	int k, rc;

	cJSON_ArrayForEach(x, keys) {
		cJSON_DeleteItemFromObject(x, member[0]);
		cJSON_DeleteItemFromObject(x, member[1]);
		cJSON_AddNumberToObject(x, member[0], 0);
		cJSON_AddNumberToObject(x, member[1], 0);
	}
	for (k = 0; k < 2; k++) {
		if (rb_db_prepare(db, sql[k], &q, e) != 0)
			return -1;
		sqlite3_bind_int64(q, 1, lid);
		sqlite3_bind_int64(q, 2, per->start);
		sqlite3_bind_int64(q, 3, per->end);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(q, 0);

			/* A name listed twice (a key replaced): the counts go to the first. */
			cJSON_ArrayForEach(x, keys)
				if (strcmp(name_of(x), name) == 0) {
					cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(x, member[k]),
							     (double)sqlite3_column_int64(q, 1));
					break;
				}
		}
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return rb_db_fail(db, rc, e, "cannot count the entries each key signed");
	}
	return 0;
}

/* The failures that touch the period, with the rollbacks they concern. */
static int failures(sqlite3 *db, int64_t lid, const struct rb_period *per, cJSON *tr,
		    struct rb_err *e)
{
	/* The rollbacks of one failure: its own, or its change's or incident's. */
	static const char sql[] =
		"WITH " RB_SQL_TRUST_PERIOD " SELECT tf.seq, tf.time, tf.event, tf.code, "
		"tf.message, (SELECT group_concat(rid, ', ') FROM (SELECT tf.rollback_id AS rid "
		"WHERE tf.rollback_id IS NOT NULL UNION SELECT y.rollback_id FROM entry y WHERE "
		"tf.rollback_id IS NULL AND y.ledger_id = ?1 AND y.change_id = tf.change_id AND "
		"y.rollback_id IS NOT NULL UNION SELECT y.rollback_id FROM entry y WHERE "
		"tf.rollback_id IS NULL AND y.ledger_id = ?1 AND y.incident_id = tf.incident_id "
		"AND y.rollback_id IS NOT NULL ORDER BY 1 LIMIT 20)) FROM tf ORDER BY tf.seq, "
		"tf.code LIMIT 1000";
	static const char rbs[] =
		"WITH " RB_SQL_TRUST_PERIOD " SELECT rollback_id FROM tf WHERE rollback_id IS NOT "
		"NULL UNION SELECT y.rollback_id FROM entry y WHERE y.ledger_id = ?1 AND "
		"y.rollback_id IS NOT NULL AND y.change_id IN (SELECT change_id FROM tf WHERE "
		"rollback_id IS NULL) UNION SELECT y.rollback_id FROM entry y WHERE y.ledger_id = "
		"?1 AND y.rollback_id IS NOT NULL AND y.incident_id IN (SELECT incident_id FROM tf "
		"WHERE rollback_id IS NULL) ORDER BY 1";
	static const char count[] =
		"WITH " RB_SQL_TRUST_PERIOD " SELECT count(DISTINCT seq) FROM tf";
	cJSON *arr = cJSON_AddArrayToObject(tr, "failures");
	cJSON *ids = cJSON_AddArrayToObject(tr, "rollbacks_affected");
	sqlite3_stmt *q = NULL;
	int64_t n = 0;
	int rc, k;

	for (k = 0; k < 3; k++) {
		if (rb_db_prepare(db, k == 0 ? sql : k == 1 ? rbs : count, &q, e) != 0)
			return -1;
		sqlite3_bind_int64(q, 1, lid);
		sqlite3_bind_int64(q, 2, per->start);
		sqlite3_bind_int64(q, 3, per->end);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			cJSON *x;
			int c;

			if (k > 0) {
				if (k == 1)
					cJSON_AddItemToArray(ids, cJSON_CreateString(
						(const char *)sqlite3_column_text(q, 0)));
				else
					n = sqlite3_column_int64(q, 0);
				continue;
			}
			x = cJSON_CreateObject();
			cJSON_AddNumberToObject(x, "seq", (double)sqlite3_column_int64(q, 0));
			for (c = 1; c < 6; c++) {
				static const char *const names[] = { "", "time", "event", "code",
								     "message", "rollbacks" };

				cJSON_AddStringToObject(x, names[c], sqlite3_column_type(q, c) ==
							SQLITE_TEXT ? (const char *)
							sqlite3_column_text(q, c) : "");
			}
			cJSON_AddItemToArray(arr, x);
		}
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return rb_db_fail(db, rc, e, "cannot read the trust failures");
	}
	cJSON_AddNumberToObject(tr, "failures_in_period", (double)n);
	return 0;
}

/* What trust_state says, and how many of the ledger's entries fail under it. */
static int state(sqlite3 *db, int64_t lid, cJSON *tr, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (rb_db_prepare(db, "SELECT s.sha256, s.checked, (SELECT count(*) FROM (SELECT "
			  "DISTINCT seq FROM trust_failure WHERE ledger_id = ?1)) FROM trust_state "
			  "s WHERE s.id = 1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	rc = sqlite3_step(q);
	cJSON_AddBoolToObject(tr, "rechecked", rc == SQLITE_ROW);
	if (rc == SQLITE_ROW) {
		cJSON_AddStringToObject(tr, "trust_store_sha256",
					(const char *)sqlite3_column_text(q, 0));
		cJSON_AddStringToObject(tr, "checked", (const char *)sqlite3_column_text(q, 1));
		cJSON_AddNumberToObject(tr, "failures_total", (double)sqlite3_column_int64(q, 2));
	} else {
		cJSON_AddNullToObject(tr, "trust_store_sha256");
		cJSON_AddNullToObject(tr, "checked");
		cJSON_AddNumberToObject(tr, "failures_total", 0);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the trust state");
	return 0;
}

/*
 * The witnesses that cosigned the ledger's newest checkpoint, as ingest
 * verified them (the checkpoint table's row of that note): at's
 * "witnesses", [{name, time}], empty when none did.
 */
static int witnesses(sqlite3 *db, int64_t lid, cJSON *at, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	cJSON *w = NULL;
	int rc;

	if (rb_db_prepare(db, "SELECT c.witnesses FROM checkpoint c JOIN ledger l ON "
			  "c.ledger_id = l.id AND c.note = l.checkpoint WHERE l.id = ?1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		w = cJSON_Parse((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the checkpoint's witnesses");
	if (!cJSON_IsArray(w)) {
		cJSON_Delete(w);
		w = cJSON_CreateArray();
	}
	cJSON_DeleteItemFromObjectCaseSensitive(at, "witnesses");
	if (w == NULL || !cJSON_AddItemToObject(at, "witnesses", w)) {
		cJSON_Delete(w);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	return 0;
}

int rb_attest_trust(sqlite3 *db, int64_t lid, const struct rb_period *per, const rb_trust *t,
		    const char *t_sha256, cJSON *at, struct rb_err *e)
{
	cJSON *tr = cJSON_AddObjectToObject(at, "trust"), *keys;
	const cJSON *f;
	const char *had;
	int current = 1;

	if (tr == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (t != NULL) {
		keys = cJSON_CreateArray();
		if (keys == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(at, "keys", keys)) {
			cJSON_Delete(keys);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		if (keys_of_store(db, t, keys, e) != 0)
			return -1;
	}
	cJSON_AddStringToObject(tr, "keys_from", t != NULL ? "trust store" : "database");
	keys = cJSON_GetObjectItemCaseSensitive(at, "keys");
	if (key_counts(db, lid, per, keys, e) != 0 || state(db, lid, tr, e) != 0 ||
	    failures(db, lid, per, tr, e) != 0 || witnesses(db, lid, at, e) != 0)
		return -1;
	f = cJSON_GetObjectItemCaseSensitive(tr, "failures_in_period");
	/* A verdict about another trust store than the one given says nothing of it. */
	if (t_sha256 != NULL && t_sha256[0] != '\0') {
		had = rb_json_str(tr, "trust_store_sha256");
		current = had != NULL && strcmp(had, t_sha256) == 0;
		cJSON_AddStringToObject(tr, "given_trust_store_sha256", t_sha256);
		cJSON_AddBoolToObject(tr, "current", current);
	}
	cJSON_AddBoolToObject(tr, "all_verified", current && cJSON_IsNumber(f) &&
			      f->valuedouble == 0);
	return 0;
}
