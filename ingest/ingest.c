/* ingest.c - verified, transactional, idempotent ingest (ledger-export-v1 §7). */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/schema.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/merkle.h"
#include "lib/note.h"
#include "lib/rtime.h"
#include "lib/stored.h"
#include "lib/vocab.h"

enum {
	Q_LEDGER, Q_LEAF, Q_KNOWN, Q_INS_LEDGER, Q_UPD_LEDGER, Q_INS_RUN, Q_UPD_RUN,
	Q_INS_EXPORT, Q_UPD_EXPORT, Q_INS_ENTRY, Q_INS_ANOM, Q_DUP_ROLLBACK, Q_EXECUTION,
	Q_DUP_INCIDENT, Q_DUP_CHANGE, Q_BOUNDARY, Q_LEAVES, Q_KEY, Q_INS_CHECKPOINT, Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	[Q_LEDGER] = "SELECT id, base_seq, base_root, size, root, last_leaf, base_frontier "
		     "FROM ledger WHERE origin = ?1",
	[Q_LEAF] = "SELECT leaf FROM entry WHERE ledger_id = ?1 AND seq = ?2",
	/* Stepped in seq order by known_entry: one scan, not a seek per entry. */
	[Q_KNOWN] = "SELECT seq, leaf, line_sha256, time FROM entry "
		    "WHERE ledger_id = ?1 AND seq >= ?2 ORDER BY seq",
	[Q_INS_LEDGER] = "INSERT INTO ledger (origin, base_seq, base_root, base_frontier, "
			 "size, root, last_leaf, frontier, checkpoint, bootstrap_checkpoint) "
			 "VALUES (?1, ?2, ?3, ?4, ?2, ?3, ?5, ?4, ?6, ?7)",
	[Q_UPD_LEDGER] = "UPDATE ledger SET size = ?2, root = ?3, last_leaf = ?4, "
			 "frontier = ?5, checkpoint = ?6, updated_by = ?7 WHERE id = ?1",
	[Q_INS_RUN] = "INSERT INTO ingest_run (started, host) VALUES (?1, ?2)",
	[Q_UPD_RUN] = "UPDATE ingest_run SET finished = ?2, accepted = ?3 WHERE id = ?1",
	[Q_INS_EXPORT] = "INSERT INTO ingest_export (run_id, path, ledger_id, first_seq, "
			 "last_seq, new_first_seq, new_entries, entries_sha256, root, "
			 "end_frontier, checkpoint, checkpoint_key, entry_keys, countersigned, "
			 "warnings, bootstrap, verdict, finished) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			 "0, '', x'', x'', '', '', '[]', 0, '[]', ?7, 'accepted', '')",
	[Q_UPD_EXPORT] = "UPDATE ingest_export SET new_entries = ?2, entries_sha256 = ?3, "
			 "root = ?4, end_frontier = ?5, checkpoint = ?6, checkpoint_key = ?7, "
			 "entry_keys = ?8, countersigned = ?9, warnings = ?10, finished = ?11 "
			 "WHERE id = ?1",
	[Q_INS_ENTRY] = "INSERT INTO entry (ledger_id, seq, time, time_s, time_ns, event, "
			"actor, rollback_id, change_id, incident_id, service, environment, "
			"payload, signatures, leaf, signer, countersigner, ingest_id, counted, "
			"line_sha256, failed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
			"?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
	[Q_INS_ANOM] = "INSERT INTO anomaly (ledger_id, seq, kind, member, detail) "
		       "VALUES (?1, ?2, ?3, ?4, ?5)",
	/*
	 * The first entry of a kind for an id: a seek on the (ledger_id, ..._id,
	 * event) index.  INDEXED BY, because without statistics SQLite would
	 * rather walk the primary key in seq order for min(seq): a scan.
	 */
	[Q_DUP_ROLLBACK] = "SELECT min(seq) FROM entry INDEXED BY entry_rollback "
			   "WHERE ledger_id = ?1 AND rollback_id = ?2 "
			   "AND event = ?3",
	/* metrics-v1 §8.3: the rollback's execution so far (its first
	 * rollback.executed that is not a failed attempt). */
	[Q_EXECUTION] = "SELECT min(seq) FROM entry e INDEXED BY entry_rollback "
			"WHERE e.ledger_id = ?1 AND e.rollback_id = ?2 "
			"AND e.event = 'rollback.executed' AND e.failed = 0",
	[Q_DUP_INCIDENT] = "SELECT min(seq) FROM entry INDEXED BY entry_incident "
			   "WHERE ledger_id = ?1 AND incident_id = ?2 "
			   "AND event = ?3",
	[Q_DUP_CHANGE] = "SELECT min(seq) FROM entry INDEXED BY entry_change "
			 "WHERE ledger_id = ?1 AND change_id = ?2 "
			 "AND event = ?3",
	[Q_BOUNDARY] = "SELECT last_seq + 1, end_frontier FROM ingest_export "
		       "WHERE ledger_id = ?1 AND last_seq + 1 <= ?2 "
		       "ORDER BY last_seq DESC LIMIT 1",
	[Q_LEAVES] = "SELECT leaf FROM entry WHERE ledger_id = ?1 AND seq >= ?2 AND seq < ?3 "
		     "ORDER BY seq",
	[Q_KEY] = "INSERT INTO signing_key (name, public_key, keystring, roles, identity, "
		  "valid_from, valid_until, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		  "ON CONFLICT (name, public_key) DO UPDATE SET roles = ?4, identity = ?5, "
		  "valid_from = ?6, valid_until = ?7, revoked_at = ?8",
	/* Every checkpoint verified, once per exact text (schema v10). */
	[Q_INS_CHECKPOINT] = "INSERT INTO checkpoint (ledger_id, size, root, note, witnesses, "
			     "ingest_id, first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
			     "ON CONFLICT (ledger_id, note) DO NOTHING",
};

struct rb_ingest {
	struct rb_ingest_opts o;
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	int64_t run_id;                 /* 0 until something is stored */
	uint64_t accepted;
	char started[RB_TIME_MAX];
	/* Ledgers whose stored history this ingest has checked (lib/stored.h);
	 * what it adds itself keeps them checked. */
	int64_t checked[32];
	size_t nchecked;
};

/* What one export's ingest knows about the ledger and has done so far. */
struct job {
	rb_ingest *g;
	const char *dir;
	int reject;                     /* verify only: already known to be rejected */
	/* The stored ledger (have_ledger 0: none yet). */
	int have_ledger;
	int64_t ledger_id, base, size;
	uint8_t base_root[32], root[32], last_leaf[32];
	int have_last_leaf;
	struct rb_merkle base_tree;
	/* This export. */
	int64_t first_seq;
	int64_t export_id;
	int64_t new_first_seq;
	uint64_t new_entries;
	struct rb_time latest;          /* the latest time stored before this export */
	char latest_text[RB_TIME_MAX];
	int64_t latest_seq;
	int have_latest;
	int bootstrap;
	int created;                    /* this export started the ledger */
	int created_run;                /* this export's transaction made the run row */
	struct rb_merkle below;         /* leaves below a bootstrapped base */
	int below_started;
	/* known_entry's scan: the seq it returns next (-1: none open), and the
	 * leaf before it. */
	int64_t kseq;
	uint8_t kprev[32];
	int kprev_ok;
	uint64_t khits;                 /* entries it found stored */
	char cos[16][RB_KEYNAME_MAX + 1];       /* countersigning keys seen */
	size_t ncos;
};

const char *rb_verdict_name(enum rb_verdict v)
{
	switch (v) {
	case RB_ACCEPTED: return "accepted";
	case RB_NOOP: return "noop";
	default: return "rejected";
	}
}

int rb_ingest_open(const struct rb_ingest_opts *o, rb_ingest **out, struct rb_err *e)
{
	rb_ingest *g = calloc(1, sizeof(*g));
	struct rb_time now = rb_time_now();
	int i;

	*out = NULL;
	if (g == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	g->o = *o;
	rb_time_format(&now, g->started);
	if (rb_schema_open(o->db_path, RB_DB_CREATE, o->busy_ms, &g->db, e) != 0)
		goto fail;
	for (i = 0; i < Q_COUNT; i++)
		if (rb_db_prepare(g->db, sql[i], &g->q[i], e) != 0)
			goto fail;
	*out = g;
	return 0;
fail:
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(g->q[i]);
	rb_db_close(g->db);
	free(g);
	return -1;
}

/* Load the stored state of ledger origin into j (have_ledger 0 if none). */
static int load_ledger(struct job *j, const char *origin, struct rb_err *e)
{
	sqlite3_stmt *q = j->g->q[Q_LEDGER];
	int rc;

	j->have_ledger = 0;
	if (origin == NULL)
		return 0;
	rb_db_bind_text(q, 1, origin);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const void *fr = sqlite3_column_blob(q, 6);
		int frn = sqlite3_column_bytes(q, 6) / 32;

		j->have_ledger = 1;
		j->ledger_id = sqlite3_column_int64(q, 0);
		j->base = sqlite3_column_int64(q, 1);
		memcpy(j->base_root, sqlite3_column_blob(q, 2), 32);
		j->size = sqlite3_column_int64(q, 3);
		memcpy(j->root, sqlite3_column_blob(q, 4), 32);
		j->have_last_leaf = sqlite3_column_type(q, 5) == SQLITE_BLOB;
		if (j->have_last_leaf)
			memcpy(j->last_leaf, sqlite3_column_blob(q, 5), 32);
		if (rb_merkle_from_frontier(&j->base_tree, (uint64_t)j->base,
					    (const uint8_t (*)[32])fr, frn) != 0)
			rc = SQLITE_CORRUPT;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(j->g->db, rc, e, "cannot read the ledger state");
	return 0;
}

/* The stored leaf hash of seq (for messages). */
static int stored_leaf(struct job *j, int64_t seq, uint8_t leaf[32])
{
	sqlite3_stmt *q = j->g->q[Q_LEAF];
	int found = 0;

	sqlite3_bind_int64(q, 1, j->ledger_id);
	sqlite3_bind_int64(q, 2, seq);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == 32) {
		memcpy(leaf, sqlite3_column_blob(q, 0), 32);
		found = 1;
	}
	sqlite3_reset(q);
	return found;
}

/* End known_entry's scan, if one is open (kseq >= 0). */
static void known_done(struct job *j)
{
	if (j->kseq >= 0)
		sqlite3_reset(j->g->q[Q_KNOWN]);
	j->kseq = -1;
}

/*
 * opts.known: what is stored for seq (its leaf, line digest, time, and the
 * leaf before it).  The verifier asks for seq after seq, so one scan in seq
 * order answers (a seek only to start, or if asked out of order).
 */
static int known_entry(void *ctx, int64_t seq, struct rb_vknown *k)
{
	struct job *j = ctx;
	sqlite3_stmt *q = j->g->q[Q_KNOWN];
	int n;

	if (!j->have_ledger || seq < j->base || seq >= j->size) {
		known_done(j);
		return 0;
	}
	if (seq != j->kseq) {
		known_done(j);
		sqlite3_bind_int64(q, 1, j->ledger_id);
		sqlite3_bind_int64(q, 2, seq > j->base ? seq - 1 : seq);
		j->kseq = seq;          /* open from here on */
		j->kprev_ok = 0;
		if (seq > j->base) {
			if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int64(q, 0) != seq - 1 ||
			    sqlite3_column_bytes(q, 1) != 32) {
				known_done(j);
				return 0;
			}
			memcpy(j->kprev, sqlite3_column_blob(q, 1), 32);
			j->kprev_ok = 1;
		}
	}
	n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_bytes(q, 3) : -1;
	if (n < 0 || n >= (int)sizeof(k->time) || sqlite3_column_int64(q, 0) != seq ||
	    sqlite3_column_bytes(q, 1) != 32 || sqlite3_column_bytes(q, 2) != 32) {
		known_done(j);
		return 0;
	}
	memcpy(k->leaf, sqlite3_column_blob(q, 1), 32);
	memcpy(k->line_sha256, sqlite3_column_blob(q, 2), 32);
	memcpy(k->time, sqlite3_column_text(q, 3), (size_t)n);
	k->time[n] = '\0';
	if (seq == 0) {
		memset(k->prev, 0, 32);         /* the chain starts at zeros */
		k->have_prev = 1;
	} else {
		memcpy(k->prev, j->kprev, 32);  /* not known below a bootstrap */
		k->have_prev = j->kprev_ok;
	}
	memcpy(j->kprev, k->leaf, 32);
	j->kprev_ok = 1;
	j->kseq = seq + 1;
	j->khits++;
	return 1;
}

/*
 * The root of the stored tree of size n (base <= n <= size): from the
 * nearest stored frontier at or below n, plus the stored leaves up to n.
 */
static int stored_root_at(struct job *j, int64_t n, uint8_t out[32], struct rb_err *e)
{
	sqlite3_stmt *b = j->g->q[Q_BOUNDARY], *l = j->g->q[Q_LEAVES];
	struct rb_merkle t = j->base_tree;
	int64_t from = j->base;
	int rc;

	sqlite3_bind_int64(b, 1, j->ledger_id);
	sqlite3_bind_int64(b, 2, n);
	rc = sqlite3_step(b);
	if (rc == SQLITE_ROW && sqlite3_column_int64(b, 0) > j->base) {
		from = sqlite3_column_int64(b, 0);
		if (rb_merkle_from_frontier(&t, (uint64_t)from,
					    (const uint8_t (*)[32])sqlite3_column_blob(b, 1),
					    sqlite3_column_bytes(b, 1) / 32) != 0)
			rc = SQLITE_CORRUPT;
	}
	sqlite3_reset(b);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(j->g->db, rc, e, "cannot read stored history");
	sqlite3_bind_int64(l, 1, j->ledger_id);
	sqlite3_bind_int64(l, 2, from);
	sqlite3_bind_int64(l, 3, n);
	while ((rc = sqlite3_step(l)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(l, 0) != 32)
			break;
		rb_merkle_append(&t, sqlite3_column_blob(l, 0));
	}
	sqlite3_reset(l);
	if (rc != SQLITE_DONE || t.size != (uint64_t)n)
		return rb_db_fail(j->g->db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, e,
				  "cannot read stored history");
	rb_merkle_root(&t, out);
	return 0;
}

static int add_anomaly(struct job *j, int64_t seq, const char *kind, const char *member,
		       const char *detail, struct rb_err *e)
{
	sqlite3_stmt *q = j->g->q[Q_INS_ANOM];

	sqlite3_bind_int64(q, 1, j->ledger_id);
	sqlite3_bind_int64(q, 2, seq);
	rb_db_bind_text(q, 3, kind);
	rb_db_bind_text(q, 4, member);
	rb_db_bind_text(q, 5, detail);
	return rb_db_step_done(j->g->db, q, e, "cannot store an anomaly");
}

/* What metrics-v1 §1 reads of each event's data, and of which type. */
struct member_rule {
	const char *name;
	char type;              /* s string, b boolean, a array, o object */
	int optional;
};

struct event_rule {
	const char *event;
	struct member_rule m[14];
};

static const struct event_rule rules[] = {
	{ "change.deployed", { { "change_id", 's', 0 }, { "service", 's', 0 },
		{ "environment", 's', 0 }, { "team", 's', 0 }, { "ticket", 's', 0 },
		{ "commit", 's', 0 }, { "artifact", 's', 0 } } },
	{ "incident.detected", { { "incident_id", 's', 0 }, { "change_id", 's', 0 },
		{ "service", 's', 0 }, { "environment", 's', 0 }, { "severity", 's', 0 },
		{ "source", 's', 0 } } },
	{ "rollback.requested", { { "rollback_id", 's', 0 }, { "change_id", 's', 0 },
		{ "incident_id", 's', 1 }, { "service", 's', 0 }, { "environment", 's', 0 },
		{ "risk_tier", 's', 0 }, { "emergency", 'b', 0 }, { "ticket", 's', 0 },
		{ "rationale", 's', 0 }, { "impact", 's', 0 },
		{ "security_considerations", 's', 0 }, { "components", 'a', 0 },
		{ "operation", 'o', 0 } } },
	{ "rollback.approved", { { "rollback_id", 's', 0 }, { "role", 's', 0 },
		{ "conditions", '?', 1 } } },
	{ "rollback.rejected", { { "rollback_id", 's', 0 }, { "reason", 's', 0 } } },
	{ "rollback.executed", { { "rollback_id", 's', 0 }, { "result", 's', 0 },
		{ "from_version", 's', 0 }, { "to_version", 's', 0 }, { "touches", 'a', 0 },
		{ "reintroduces", 'a', 1 } } },
	{ "rollback.verified", { { "rollback_id", 's', 0 }, { "evidence", 'a', 0 } } },
	{ "rollback.reviewed", { { "rollback_id", 's', 0 }, { "outcome", 's', 0 },
		{ "notes", 's', 0 } } },
	{ "rollback.closed", { { "rollback_id", 's', 0 }, { "resolution", 's', 0 } } },
};

static int type_ok(const cJSON *it, char type)
{
	switch (type) {
	case 's': return cJSON_IsString(it);
	case 'b': return cJSON_IsBool(it);
	case 'a': return cJSON_IsArray(it);
	case 'o': return cJSON_IsObject(it);
	default: return 1;
	}
}

static const char *type_word(char type)
{
	switch (type) {
	case 's': return "a string";
	case 'b': return "a boolean";
	case 'a': return "an array";
	default: return "an object";
	}
}

/* Check the members of one list: strings from a set, or evidence objects. */
static int check_list_items(struct job *j, int64_t seq, const cJSON *list,
			    const char *member, struct rb_err *e)
{
	static const char *const touches[] = { "authz-config", "crypto-material",
		"network-exposure", "secrets", "dependency-downgrade", "schema-migration" };
	const cJSON *it;
	char detail[200];

	cJSON_ArrayForEach(it, list) {
		if (strcmp(member, "evidence") == 0) {
			const char *kind = rb_json_str(it, "kind"), *res = rb_json_str(it, "result");

			if (!cJSON_IsObject(it) || kind == NULL || res == NULL) {
				snprintf(detail, sizeof(detail),
					 "an evidence item lacks \"kind\" or \"result\" strings");
				return add_anomaly(j, seq, "wrong-type", member, detail, e);
			}
			if (strcmp(res, "pass") != 0 && strcmp(res, "fail") != 0) {
				snprintf(detail, sizeof(detail),
					 "evidence result \"%.40s\" is not pass or fail", res);
				if (add_anomaly(j, seq, "invalid-value", member, detail, e) != 0)
					return -1;
			}
		} else if (!cJSON_IsString(it)) {
			snprintf(detail, sizeof(detail), "\"%s\" holds a non-string", member);
			return add_anomaly(j, seq, "wrong-type", member, detail, e);
		} else if (strcmp(member, "touches") == 0) {
			size_t k, known = 0;

			for (k = 0; k < sizeof(touches) / sizeof(touches[0]); k++)
				known |= strcmp(it->valuestring, touches[k]) == 0;
			if (!known) {
				snprintf(detail, sizeof(detail),
					 "\"touches\" names an unknown category \"%.60s\"",
					 it->valuestring);
				if (add_anomaly(j, seq, "invalid-value", member, detail, e) != 0)
					return -1;
			}
		}
	}
	return 0;
}

/*
 * A lifecycle event that only counts once (metrics-v1 §1): the seq of the
 * stored first one of the same id, looked up before this entry is stored;
 * -1 when this one is the first (or the event is not such an event).
 */
struct first_of {
	int64_t seq;
	const char *key, *id;
	int64_t execution;      /* rollback.executed: the execution stored before, or -1 */
};

/*
 * §8.3: a rollback.executed after failed attempts is the execution, not a
 * repeat; only one after the execution is.  f->execution: that one's seq.
 */
static int find_execution(struct job *j, struct first_of *f, struct rb_err *e)
{
	sqlite3_stmt *q = j->g->q[Q_EXECUTION];
	int rc;

	sqlite3_bind_int64(q, 1, j->ledger_id);
	rb_db_bind_text(q, 2, f->id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_INTEGER)
		f->execution = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(j->g->db, rc, e, "cannot look for the execution");
	return 0;
}

static int find_first(struct job *j, const struct rb_ventry *v, const cJSON *data,
		      struct first_of *f, struct rb_err *e)
{
	sqlite3_stmt *q;
	int rc;

	f->seq = f->execution = -1;
	f->key = f->id = NULL;
	switch (rb_event_of(v->event)) {
	case RB_EVENT_CHANGE_DEPLOYED:
		q = j->g->q[Q_DUP_CHANGE];
		f->key = "change";
		f->id = rb_json_str(data, "change_id");
		break;
	case RB_EVENT_INCIDENT_DETECTED:
		q = j->g->q[Q_DUP_INCIDENT];
		f->key = "incident";
		f->id = rb_json_str(data, "incident_id");
		break;
	case RB_EVENT_ROLLBACK_REQUESTED:
	case RB_EVENT_ROLLBACK_EXECUTED:
	case RB_EVENT_ROLLBACK_CLOSED:
		q = j->g->q[Q_DUP_ROLLBACK];
		f->key = "rollback";
		f->id = rb_json_str(data, "rollback_id");
		break;
	default:
		return 0;       /* events of which every one counts */
	}
	if (f->id == NULL)
		return 0;
	sqlite3_bind_int64(q, 1, j->ledger_id);
	rb_db_bind_text(q, 2, f->id);
	rb_db_bind_text(q, 3, v->event);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_INTEGER)
		f->seq = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(j->g->db, rc, e, "cannot look for duplicates");
	if (f->seq >= 0 && rb_event_of(v->event) == RB_EVENT_ROLLBACK_EXECUTED)
		return find_execution(j, f, e);
	return 0;
}

static int check_anomalies(struct job *j, const struct rb_ventry *v, const cJSON *data,
			   const struct first_of *first, struct rb_err *e)
{
	const struct event_rule *r = NULL;
	char detail[200];
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].event, v->event) == 0)
			r = &rules[i];
	if (r == NULL)
		return 0;       /* events the metrics do not read */
	for (i = 0; i < 14 && r->m[i].name != NULL; i++) {
		const struct member_rule *m = &r->m[i];
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(data, m->name);

		if (it == NULL || (m->optional && cJSON_IsNull(it))) {
			if (m->optional)
				continue;
			snprintf(detail, sizeof(detail), "%s has no \"%s\"", v->event, m->name);
			if (add_anomaly(j, v->seq, "missing-member", m->name, detail, e) != 0)
				return -1;
			continue;
		}
		if (!type_ok(it, m->type)) {
			snprintf(detail, sizeof(detail), "\"%s\" of %s is not %s", m->name,
				 v->event, type_word(m->type));
			if (add_anomaly(j, v->seq, "wrong-type", m->name, detail, e) != 0)
				return -1;
			continue;
		}
		if (m->type == 'a' && (strcmp(m->name, "touches") == 0 ||
				       strcmp(m->name, "evidence") == 0 ||
				       strcmp(m->name, "reintroduces") == 0) &&
		    check_list_items(j, v->seq, it, m->name, e) != 0)
			return -1;
	}
	if (strcmp(v->event, "rollback.requested") == 0) {
		const char *tier = rb_json_str(data, "risk_tier");

		if (tier != NULL && rb_tier_of(tier) < 0) {
			snprintf(detail, sizeof(detail),
				 "risk_tier \"%.40s\" is not low, medium, high or critical", tier);
			if (add_anomaly(j, v->seq, "invalid-value", "risk_tier", detail, e) != 0)
				return -1;
		}
	}
	if (first->seq >= 0 && rb_event_of(v->event) == RB_EVENT_ROLLBACK_EXECUTED) {
		/* Attempts before the execution are failed attempts, not repeats. */
		if (first->execution < 0)
			return 0;
		snprintf(detail, sizeof(detail),
			 "a %s of %s %.80s after its execution (seq %lld, which counts)",
			 v->event, first->key, first->id, (long long)first->execution);
		return add_anomaly(j, v->seq, "duplicate-event", first->key, detail, e);
	}
	if (first->seq >= 0) {
		snprintf(detail, sizeof(detail),
			 "a second %s of %s %.80s (the first is seq %lld and counts)",
			 v->event, first->key, first->id, (long long)first->seq);
		return add_anomaly(j, v->seq, "duplicate-event", first->key, detail, e);
	}
	return 0;
}

/* The latest time stored for the ledger before this export, if any. */
static int latest_stored(struct job *j, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	j->have_latest = 0;
	if (!j->have_ledger || j->created)
		return 0;
	if (rb_db_prepare(j->g->db, "SELECT time, seq FROM entry WHERE ledger_id = ?1 "
			  "ORDER BY time_s DESC, time_ns DESC, seq LIMIT 1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, j->ledger_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);

		snprintf(j->latest_text, sizeof(j->latest_text), "%s", t);
		j->latest_seq = sqlite3_column_int64(q, 1);
		j->have_latest = rb_time_parse(t, strlen(t), &j->latest) == 0;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(j->g->db, rc, e, "cannot read the latest stored time");
	return 0;
}

/* Create the run, the ledger (if new) and the export rows, at the first new entry. */
static int start_storing(struct job *j, rb_vreport *r, struct rb_err *e)
{
	rb_ingest *g = j->g;
	sqlite3_stmt *q;
	char host[256] = "";

	if (g->run_id == 0) {
		q = g->q[Q_INS_RUN];
		gethostname(host, sizeof(host) - 1);
		rb_db_bind_text(q, 1, g->started);
		rb_db_bind_text(q, 2, host);
		if (rb_db_step_done(g->db, q, e, "cannot record the run") != 0)
			return -1;
		g->run_id = sqlite3_last_insert_rowid(g->db);
		j->created_run = 1;
	}
	if (!j->have_ledger) {
		const struct rb_merkle *b = rb_vreport_before(r);
		const uint8_t *prev = rb_vreport_first_prev(r);
		uint8_t root[32];

		/* A new ledger: from seq 0, or (--bootstrap) from the signed
		 * previous checkpoint that the verifier checked. */
		rb_merkle_root(b, root);
		q = g->q[Q_INS_LEDGER];
		rb_db_bind_text(q, 1, rb_vreport_ledger(r));
		sqlite3_bind_int64(q, 2, (sqlite3_int64)b->size);
		rb_db_bind_blob(q, 3, root, 32);
		rb_db_bind_blob(q, 4, b->h, (size_t)b->n * 32);
		rb_db_bind_blob(q, 5, b->size > 0 && (b->size & 1) ? prev : NULL, 32);
		rb_db_bind_text(q, 6, rb_vreport_previous_checkpoint(r));
		rb_db_bind_text(q, 7, b->size > 0 ? rb_vreport_previous_checkpoint(r) : NULL);
		if (rb_db_step_done(g->db, q, e, "cannot record the ledger") != 0)
			return -1;
		j->ledger_id = sqlite3_last_insert_rowid(g->db);
		j->base = j->size = (int64_t)b->size;
		j->bootstrap = b->size > 0;
		j->have_ledger = 1;
		j->created = 1;
	}
	q = g->q[Q_INS_EXPORT];
	sqlite3_bind_int64(q, 1, g->run_id);
	rb_db_bind_text(q, 2, j->dir);
	sqlite3_bind_int64(q, 3, j->ledger_id);
	sqlite3_bind_int64(q, 4, rb_vreport_first_seq(r));
	sqlite3_bind_int64(q, 5, rb_vreport_last_seq(r));
	sqlite3_bind_int64(q, 6, j->new_first_seq);
	sqlite3_bind_int(q, 7, j->bootstrap);
	if (rb_db_step_done(g->db, q, e, "cannot record the export") != 0)
		return -1;
	j->export_id = sqlite3_last_insert_rowid(g->db);
	return 0;
}

static int store_entry(struct job *j, const struct rb_ventry *v, struct rb_err *e)
{
	sqlite3_stmt *q = j->g->q[Q_INS_ENTRY];
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(v->body, "data");
	struct first_of first;

	if (v->signatures == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "internal error: seq %" PRId64
			      " has no signatures to store", v->seq);
	if (find_first(j, v, data, &first, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, j->ledger_id);
	sqlite3_bind_int64(q, 2, v->seq);
	rb_db_bind_text(q, 3, v->time);
	sqlite3_bind_int64(q, 4, v->t.sec);
	sqlite3_bind_int(q, 5, v->t.nsec);
	rb_db_bind_text(q, 6, v->event);
	rb_db_bind_text(q, 7, v->actor);
	rb_db_bind_text(q, 8, rb_json_str(data, "rollback_id"));
	rb_db_bind_text(q, 9, rb_json_str(data, "change_id"));
	rb_db_bind_text(q, 10, rb_json_str(data, "incident_id"));
	rb_db_bind_text(q, 11, rb_json_str(data, "service"));
	rb_db_bind_text(q, 12, rb_json_str(data, "environment"));
	sqlite3_bind_blob(q, 13, v->payload, (int)v->payload_len, SQLITE_STATIC);
	sqlite3_bind_text(q, 14, v->signatures, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 15, v->leaf, 32, SQLITE_STATIC);
	rb_db_bind_text(q, 16, v->signer);
	rb_db_bind_text(q, 17, v->countersigner);
	sqlite3_bind_int64(q, 18, j->export_id);
	sqlite3_bind_int(q, 19, first.seq < 0);
	sqlite3_bind_blob(q, 20, v->line_sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int(q, 21, rb_failed_attempt(v->event, data));
	if (rb_db_step_done(j->g->db, q, e, "cannot store an entry") != 0)
		return -1;
	return check_anomalies(j, v, data, &first, e);
}

/* The verifier's per-entry callback, in seq order, while all is well. */
static int on_entry(void *ctx, rb_vreport *r, const struct rb_ventry *v, struct rb_err *e)
{
	struct job *j = ctx;

	if (j->reject)
		return 0;
	if (j->have_ledger && v->seq < j->base) {
		/* Below a bootstrapped start: checked, not stored; the tree must
		 * reach the root that the bootstrap trusted. */
		uint8_t root[32];

		if (!j->below_started) {
			j->below = *rb_vreport_before(r);
			j->below_started = 1;
		}
		rb_merkle_append(&j->below, v->leaf);
		if (v->seq == j->base - 1) {
			rb_merkle_root(&j->below, root);
			if (memcmp(root, j->base_root, 32) != 0)
				rb_vreport_add_error(r, "E_FORK", v->seq, v->line,
						     "the entries up to seq %" PRId64 " give another "
						     "root than the trusted start of the ledger",
						     v->seq);
		}
		return 0;
	}
	if (j->have_ledger && v->seq < j->size) {
		if (v->stored != 1) {
			char a[65], b[65];
			uint8_t old[32];

			rb_hex_encode(v->leaf, 32, a);
			if (stored_leaf(j, v->seq, old))
				rb_hex_encode(old, 32, b);
			else
				strcpy(b, "missing");
			rb_vreport_add_error(r, "E_FORK", v->seq, v->line,
					     "entry seq %" PRId64 " differs from the stored one "
					     "(leaf %.16s..., stored %.16s...)", v->seq, a, b);
		}
		return 0;
	}
	if (j->new_entries == 0) {
		j->new_first_seq = v->seq;
		if (start_storing(j, r, e) != 0 || latest_stored(j, e) != 0)
			return -1;
	}
	/* Backdated: earlier than history already stored, not only than the
	 * entry before it in this export (which the verifier says). */
	if (j->have_latest && rb_time_cmp(&v->t, &j->latest) < 0)
		rb_vreport_add_warning(r, "W_TIME_BACKWARDS", v->seq, v->line,
				       "time %s is earlier than the latest stored entry's (%s, "
				       "seq %" PRId64 ")", v->time, j->latest_text, j->latest_seq);
	if (store_entry(j, v, e) != 0)
		return -1;
	if (v->countersigner != NULL) {
		size_t i;
		int seen = 0;

		for (i = 0; i < j->ncos; i++)
			seen |= strcmp(j->cos[i], v->countersigner) == 0;
		if (!seen && j->ncos < sizeof(j->cos) / sizeof(j->cos[0]))
			snprintf(j->cos[j->ncos++], sizeof(j->cos[0]), "%s", v->countersigner);
	}
	j->new_entries++;
	return 0;
}

/* Peek at a manifest's ledger and first_seq (for ordering and lookups). */
static int peek_manifest(const char *dir, char **ledger, int64_t *first)
{
	char path[PATH_MAX], *buf = NULL, why[64];
	cJSON *m = NULL;
	size_t len;
	int rc = -1;

	*ledger = NULL;
	*first = -1;
	if (snprintf(path, sizeof(path), "%s/manifest.json", dir) >= (int)sizeof(path) ||
	    rb_read_file(path, 1u << 20, &buf, &len, NULL) != 0)
		return -1;
	if (rb_json_parse(buf, len, 16, &m, why, sizeof(why)) == 0 &&
	    rb_json_str(m, "ledger") != NULL &&
	    rb_json_int(m, "first_seq", 0, RB_JSON_MAX_INT, first) == 0) {
		*ledger = strdup(rb_json_str(m, "ledger"));
		rc = *ledger != NULL ? 0 : -1;
	}
	cJSON_Delete(m);
	free(buf);
	return rc;
}

/* Record a key that signed something stored (for attestations). */
static int record_key(struct job *j, const char *name, struct rb_err *e)
{
	const rb_tkey *k = name ? rb_trust_find(j->g->o.trust, name, strlen(name)) : NULL;
	sqlite3_stmt *q = j->g->q[Q_KEY];
	char ks[RB_KEYSTRING_MAX], roles[256], t1[RB_TIME_MAX], t2[RB_TIME_MAX],
	     t3[RB_TIME_MAX];

	if (k == NULL)
		return 0;
	rb_tkey_keystring(k, ks);
	rb_tkey_roles(k, roles, sizeof(roles));
	rb_time_format(rb_tkey_valid_from(k), t1);
	if (rb_tkey_valid_until(k))
		rb_time_format(rb_tkey_valid_until(k), t2);
	if (rb_tkey_revoked_at(k))
		rb_time_format(rb_tkey_revoked_at(k), t3);
	rb_db_bind_text(q, 1, rb_tkey_name(k));
	rb_db_bind_blob(q, 2, rb_pubkey_raw(rb_tkey_pub(k)), 32);
	rb_db_bind_text(q, 3, ks);
	rb_db_bind_text(q, 4, roles);
	rb_db_bind_text(q, 5, rb_tkey_identity(k));
	rb_db_bind_text(q, 6, t1);
	rb_db_bind_text(q, 7, rb_tkey_valid_until(k) ? t2 : NULL);
	rb_db_bind_text(q, 8, rb_tkey_revoked_at(k) ? t3 : NULL);
	return rb_db_step_done(j->g->db, q, e, "cannot record a signing key");
}

/* Write the new ledger state and finish the export's log row. */
static int finish_storing(struct job *j, rb_vreport *r, struct rb_err *e)
{
	rb_ingest *g = j->g;
	const struct rb_merkle *after = rb_vreport_after(r);
	sqlite3_stmt *q;
	cJSON *keys = cJSON_CreateArray(), *warns = rb_vreport_findings_json(r, 1);
	char *keys_s = NULL, *warns_s = NULL, now_s[RB_TIME_MAX];
	struct rb_time now = rb_time_now();
	uint8_t root[32];
	size_t i;
	int rc = -1;

	rb_time_format(&now, now_s);
	rb_merkle_root(after, root);
	for (i = 0; keys != NULL && i < rb_vreport_nsigners(r); i++)
		cJSON_AddItemToArray(keys, cJSON_CreateString(rb_vreport_signer(r, i)));
	keys_s = keys ? cJSON_PrintUnformatted(keys) : NULL;
	warns_s = warns ? cJSON_PrintUnformatted(warns) : NULL;
	if (keys_s == NULL || warns_s == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < rb_vreport_nsigners(r); i++)
		if (record_key(j, rb_vreport_signer(r, i), e) != 0)
			goto out;
	for (i = 0; i < j->ncos; i++)
		if (record_key(j, j->cos[i], e) != 0)
			goto out;
	if (record_key(j, rb_vreport_checkpoint_key(r), e) != 0)
		goto out;
	q = g->q[Q_UPD_LEDGER];
	sqlite3_bind_int64(q, 1, j->ledger_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)after->size);
	rb_db_bind_blob(q, 3, root, 32);
	rb_db_bind_blob(q, 4, rb_vreport_last_leaf(r), 32);
	rb_db_bind_blob(q, 5, after->h, (size_t)after->n * 32);
	rb_db_bind_text(q, 6, rb_vreport_checkpoint(r));
	sqlite3_bind_int64(q, 7, j->export_id);
	if (rb_db_step_done(g->db, q, e, "cannot update the ledger state") != 0)
		goto out;
	q = g->q[Q_UPD_EXPORT];
	sqlite3_bind_int64(q, 1, j->export_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)j->new_entries);
	rb_db_bind_text(q, 3, rb_vreport_entries_sha256(r));
	rb_db_bind_blob(q, 4, root, 32);
	rb_db_bind_blob(q, 5, after->h, (size_t)after->n * 32);
	rb_db_bind_text(q, 6, rb_vreport_checkpoint(r));
	rb_db_bind_text(q, 7, rb_vreport_checkpoint_key(r));
	rb_db_bind_text(q, 8, keys_s);
	sqlite3_bind_int64(q, 9, (sqlite3_int64)rb_vreport_countersigned(r));
	rb_db_bind_text(q, 10, warns_s);
	rb_db_bind_text(q, 11, now_s);
	if (rb_db_step_done(g->db, q, e, "cannot record the export") != 0)
		goto out;
	rc = 0;
out:
	cJSON_free(keys_s);
	cJSON_free(warns_s);
	cJSON_Delete(keys);
	cJSON_Delete(warns);
	return rc;
}

/* Keep one verified checkpoint note (its size and root read from it). */
static int keep_checkpoint(struct job *j, const char *note, const char *witnesses,
			   struct rb_err *e)
{
	rb_ingest *g = j->g;
	sqlite3_stmt *q = g->q[Q_INS_CHECKPOINT];
	rb_checkpoint *c = NULL;
	char why[128], now_s[RB_TIME_MAX];
	struct rb_time now = rb_time_now();

	if (note == NULL)
		return 0;
	if (rb_checkpoint_parse(note, strlen(note), &c, why, sizeof(why)) != 0)
		return RB_ERR(e, errno == ENOMEM ? RB_EX_SOFTWARE : RB_EX_DATAERR,
			      "%s: a verified checkpoint does not parse: %s", j->dir, why);
	rb_time_format(&now, now_s);
	sqlite3_bind_int64(q, 1, j->ledger_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)rb_checkpoint_size(c));
	rb_db_bind_blob(q, 3, rb_checkpoint_root(c), 32);
	rb_db_bind_text(q, 4, note);
	rb_db_bind_text(q, 5, witnesses != NULL ? witnesses : "[]");
	if (j->export_id > 0)
		sqlite3_bind_int64(q, 6, j->export_id);
	else
		sqlite3_bind_null(q, 6);
	rb_db_bind_text(q, 7, now_s);
	rb_checkpoint_free(c);
	return rb_db_step_done(g->db, q, e, "cannot record the checkpoint");
}

/* The export's checkpoint and its previous checkpoint, both verified. */
static int keep_checkpoints(struct job *j, rb_vreport *r, struct rb_err *e)
{
	if (keep_checkpoint(j, rb_vreport_previous_checkpoint(r), NULL, e) != 0)
		return -1;
	return keep_checkpoint(j, rb_vreport_checkpoint(r), rb_vreport_witnesses_json(r), e);
}

/* After verification: the checks against stored history (§7 E_FORK, E_GAP). */
static int check_history(struct job *j, rb_vreport *r, struct rb_err *e)
{
	int64_t first = rb_vreport_first_seq(r);
	uint8_t mine[32], stored[32];
	const uint8_t *prev;

	if (!rb_vreport_valid(r) || !j->have_ledger || j->created)
		return 0;
	if (first < j->base || first > j->size)
		return 0;
	/* The export's frontier must fold to the stored root at first_seq. */
	rb_merkle_root(rb_vreport_before(r), mine);
	if (stored_root_at(j, first, stored, e) != 0)
		return -1;
	if (memcmp(mine, stored, 32) != 0) {
		rb_vreport_add_error(r, "E_FORK", first, -1,
				     "the export's frontier gives another root at seq %" PRId64
				     " than the stored history", first);
		return 0;
	}
	/* Its first entry must chain onto the stored last entry. */
	prev = rb_vreport_first_prev(r);
	if (first == j->size && first > j->base && j->have_last_leaf && prev != NULL &&
	    memcmp(prev, j->last_leaf, 32) != 0)
		rb_vreport_add_error(r, "E_CHAIN", first, 1,
				     "prev of seq %" PRId64 " is not the leaf hash of stored seq %"
				     PRId64, first, first - 1);
	return 0;
}

/*
 * Before an export meets the stored history, that history is checked
 * (lib/stored.h), once per ledger and ingest, on threads of its own while
 * the export is verified: the write lock is held, so it is what is read.
 */
static int start_check(rb_ingest *g, const struct job *j, rb_stored_job **check,
		       struct rb_err *e)
{
	size_t i;

	if (!j->have_ledger)
		return 0;
	for (i = 0; i < g->nchecked; i++)
		if (g->checked[i] == j->ledger_id)
			return 0;
	return rb_stored_start(g->o.db_path, j->ledger_id, g->o.trust, g->o.busy_ms, check, e);
}

static int end_check(rb_ingest *g, const struct job *j, rb_stored_job **check,
		     struct rb_err *e)
{
	int rc;

	if (*check == NULL)
		return 0;
	rc = rb_stored_join(*check, NULL, e);
	*check = NULL;
	if (rc == 0 && g->nchecked < sizeof(g->checked) / sizeof(g->checked[0]))
		g->checked[g->nchecked++] = j->ledger_id;
	return rc;
}

int rb_ingest_export(rb_ingest *g, const char *dir, struct rb_ingest_outcome **out,
		     struct rb_err *e)
{
	struct rb_ingest_outcome *oc = calloc(1, sizeof(*oc));
	struct rb_verify_opts vo = { 0 };
	struct job j;
	rb_stored_job *check = NULL;
	char *ledger = NULL;
	int64_t first_seq = -1;
	int rc = -1, pass;

	*out = NULL;
	memset(&j, 0, sizeof(j));
	if (oc == NULL || (oc->path = strdup(dir)) == NULL) {
		rb_ingest_outcome_free(oc);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	oc->new_first_seq = -1;
	(void)peek_manifest(dir, &ledger, &first_seq);
	vo.jobs = g->o.jobs;
	vo.on_entry = on_entry;
	vo.ctx = &j;
	vo.known = known_entry;
	vo.known_ctx = &j;
	vo.progress = g->o.progress;
	vo.progress_ctx = g->o.progress_ctx;
	for (pass = 0;; pass++) {
		int vrc;

		memset(&j, 0, sizeof(j));
		j.g = g;
		j.dir = dir;
		j.first_seq = first_seq;
		j.new_first_seq = -1;
		j.kseq = -1;
		if (rb_db_begin(g->db, e) != 0)
			goto fail;
		if (load_ledger(&j, ledger, e) != 0 ||
		    (pass == 0 && start_check(g, &j, &check, e) != 0))
			goto fail;
		/* Known gaps: verify anyway, for a full report, but store nothing. */
		if (ledger != NULL && !j.have_ledger && j.first_seq > 0 && !g->o.bootstrap)
			j.reject = 1;
		if (j.have_ledger && j.first_seq > j.size)
			j.reject = 2;
		vo.full = pass > 0;
		vrc = rb_verify_export(dir, g->o.trust, &vo, &oc->report, e);
		known_done(&j);
		if (vrc != 0 || end_check(g, &j, &check, e) != 0)
			goto fail;
		/*
		 * Lines were taken from stored rows and something failed: check
		 * every line in full once more, for the exact diagnosis (a stored
		 * row changed behind rbaudit's back is E_FORK at its seq, not a
		 * root that does not match the checkpoint).
		 */
		if (pass > 0 || j.khits == 0 || rb_vreport_valid(oc->report))
			break;
		rb_db_rollback(g->db);
		if (j.created_run)
			g->run_id = 0;
		rb_vreport_free(oc->report);
		oc->report = NULL;
	}
	if (j.reject == 1)
		rb_vreport_add_error(oc->report, "E_GAP", 0, -1,
				     "ledger '%s' has no stored history: its first export must "
				     "start at seq 0 (or be bootstrapped: its signed previous "
				     "checkpoint trusted as the start); this one starts at %" PRId64, ledger, j.first_seq);
	else if (j.reject == 2)
		rb_vreport_add_error(oc->report, "E_GAP", j.size, -1,
				     "entries %" PRId64 "..%" PRId64 " of ledger '%s' are missing: "
				     "stored history ends at seq %" PRId64, j.size,
				     j.first_seq - 1, ledger, j.size - 1);
	if (check_history(&j, oc->report, e) != 0)
		goto fail;
	if (!rb_vreport_valid(oc->report) || j.new_entries == 0) {
		rb_db_rollback(g->db);
		/* The run row, if this export made it, went with the rollback. */
		if (j.created_run)
			g->run_id = 0;
		oc->verdict = rb_vreport_valid(oc->report) ? RB_NOOP : RB_REJECTED;
		/* Nothing new, but its checkpoint (a cosigned copy) is kept. */
		j.export_id = 0;
		if (oc->verdict == RB_NOOP && j.have_ledger &&
		    (rb_db_begin(g->db, e) != 0 || keep_checkpoints(&j, oc->report, e) != 0 ||
		     rb_db_commit(g->db, e) != 0))
			goto fail;
	} else {
		if (finish_storing(&j, oc->report, e) != 0 ||
		    keep_checkpoints(&j, oc->report, e) != 0 || rb_db_commit(g->db, e) != 0)
			goto fail;
		oc->verdict = RB_ACCEPTED;
		oc->new_first_seq = j.new_first_seq;
		oc->new_entries = j.new_entries;
		oc->bootstrap = j.bootstrap;
		oc->export_id = j.export_id;
		g->accepted++;
	}
	*out = oc;
	oc = NULL;
	rc = 0;
fail:
	if (check != NULL)
		rb_stored_join(check, NULL, NULL);
	if (rc != 0) {
		rb_db_rollback(g->db);
		if (j.created_run)
			g->run_id = 0;
	}
	free(ledger);
	rb_ingest_outcome_free(oc);
	return rc;
}

int rb_ingest_close(rb_ingest *g, struct rb_err *e)
{
	struct rb_time now = rb_time_now();
	char now_s[RB_TIME_MAX];
	int rc = 0, i;

	if (g == NULL)
		return 0;
	if (g->run_id != 0) {
		sqlite3_stmt *q = g->q[Q_UPD_RUN];

		rb_time_format(&now, now_s);
		sqlite3_bind_int64(q, 1, g->run_id);
		rb_db_bind_text(q, 2, now_s);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)g->accepted);
		rc = rb_db_step_done(g->db, q, e, "cannot record the end of the run");
	}
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(g->q[i]);
	rb_db_close(g->db);
	free(g);
	return rc;
}

void rb_ingest_outcome_free(struct rb_ingest_outcome *o)
{
	if (o == NULL)
		return;
	rb_vreport_free(o->report);
	free(o->path);
	free(o->moved_to);
	free(o);
}

struct inbox_item {
	char *path, *ledger;
	int64_t first;
	char *why;                      /* NULL: whole, to be taken */
};

static int cmp_items(const void *a, const void *b)
{
	const struct inbox_item *x = a, *y = b;
	int c;

	if ((x->ledger == NULL) != (y->ledger == NULL))
		return x->ledger == NULL ? 1 : -1;
	if (x->ledger != NULL && (c = strcmp(x->ledger, y->ledger)) != 0)
		return c;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return strcmp(x->path, y->path);
}

/*
 * Is the export folder whole?  Yes when it holds a regular file READY (the
 * producer writes it last), or when neither the folder nor anything in it
 * was modified within settle_s seconds before now.  Returns NULL when whole,
 * else a malloc'd reason (or NULL also when out of memory: taken as whole,
 * which verification then judges).
 */
static char *not_whole(const char *dir, int settle_s, int64_t now)
{
	char p[PATH_MAX], newest_name[256] = "", why[PATH_MAX + 160];
	struct stat st;
	struct dirent *de;
	int64_t newest;
	DIR *d;

	if (settle_s <= 0 || (rb_path_join(p, sizeof(p), dir, "READY", NULL) == 0 &&
			      lstat(p, &st) == 0 && S_ISREG(st.st_mode)))
		return NULL;
	if (lstat(dir, &st) != 0 || (d = opendir(dir)) == NULL)
		return NULL;            /* unreadable: verification says why */
	newest = (int64_t)st.st_mtime;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    rb_path_join(p, sizeof(p), dir, de->d_name, NULL) != 0 || lstat(p, &st) != 0 ||
		    (int64_t)st.st_mtime <= newest)
			continue;
		newest = (int64_t)st.st_mtime;
		snprintf(newest_name, sizeof(newest_name), "%s", de->d_name);
	}
	closedir(d);
	if (now - newest >= settle_s)
		return NULL;
	if (newest > now)
		snprintf(why, sizeof(why), "no READY file, and %s%s%s has a modification time in "
			 "the future", newest_name[0] ? "'" : "the folder", newest_name,
			 newest_name[0] ? "'" : "");
	else
		snprintf(why, sizeof(why), "no READY file, and %s%s%s changed %lld s ago (the "
			 "settle time is %d s): still being written?", newest_name[0] ? "'" : "the folder",
			 newest_name, newest_name[0] ? "'" : "", (long long)(now - newest), settle_s);
	return strdup(why);
}

/*
 * An export after one still being written, in the same ledger, waits too:
 * taken now, it would start after the stored end (E_GAP) and be rejected.
 */
static void hold_back(struct inbox_item *items, size_t cnt)
{
	size_t i, k;
	char why[PATH_MAX + 96];

	for (i = 0; i < cnt; i++) {
		if (items[i].why != NULL || items[i].ledger == NULL)
			continue;
		for (k = 0; k < i; k++) {
			if (items[k].why == NULL || items[k].ledger == NULL ||
			    strcmp(items[k].ledger, items[i].ledger) != 0 ||
			    items[k].first >= items[i].first)
				continue;
			snprintf(why, sizeof(why), "it follows '%s' of the same ledger, which is "
				 "still being written", items[k].path);
			items[i].why = strdup(why);
			break;
		}
	}
}

/* Append the folders of the inbox to *items (any order). */
static int inbox_read(const char *inbox, int settle_s, int64_t now, struct inbox_item **items,
		      size_t *cnt, struct rb_err *e)
{
	DIR *d = opendir(inbox);
	struct dirent *de;
	size_t cap = 0;
	int rc = -1;

	if (d == NULL)
		return RB_ERR(e, RB_EX_NOINPUT, "cannot open inbox '%s': %s", inbox,
			      strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		struct inbox_item *it;

		if (de->d_name[0] == '.')
			continue;       /* ., .. and hidden files (partial uploads) */
		if (rb_path_join(path, sizeof(path), inbox, de->d_name, e) != 0)
			goto out;
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (*cnt == cap) {
			struct inbox_item *ni = realloc(*items, (cap = cap ? cap * 2 : 16) *
							sizeof(*ni));

			if (ni == NULL) {
				RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
				goto out;
			}
			*items = ni;
		}
		it = &(*items)[*cnt];
		memset(it, 0, sizeof(*it));
		it->path = strdup(path);
		if (it->path == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
		(*cnt)++;
		(void)peek_manifest(path, &it->ledger, &it->first);
		it->why = not_whole(path, settle_s, now);
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

int rb_inbox_scan(const char *inbox, int settle_s, int64_t now, struct rb_inbox *ib,
		  struct rb_err *e)
{
	struct inbox_item *items = NULL;
	size_t cnt = 0, i;
	int rc = -1;

	memset(ib, 0, sizeof(*ib));
	if (inbox_read(inbox, settle_s, now, &items, &cnt, e) != 0)
		goto out;
	if (cnt > 0)
		qsort(items, cnt, sizeof(*items), cmp_items);
	hold_back(items, cnt);
	ib->ready = calloc(cnt + 1, sizeof(*ib->ready));
	ib->waiting = calloc(cnt + 1, sizeof(*ib->waiting));
	ib->why = calloc(cnt + 1, sizeof(*ib->why));
	if (ib->ready == NULL || ib->waiting == NULL || ib->why == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		if (items[i].why == NULL) {
			ib->ready[ib->nready++] = items[i].path;
		} else {
			ib->why[ib->nwaiting] = items[i].why;
			ib->waiting[ib->nwaiting++] = items[i].path;
			items[i].why = NULL;
		}
		items[i].path = NULL;
	}
	rc = 0;
out:
	for (i = 0; i < cnt; i++) {
		free(items[i].path);
		free(items[i].ledger);
		free(items[i].why);
	}
	free(items);
	if (rc != 0)
		rb_inbox_clear(ib);
	return rc;
}

void rb_inbox_clear(struct rb_inbox *ib)
{
	if (ib == NULL)
		return;
	rb_strv_free(ib->ready, ib->nready);
	rb_strv_free(ib->waiting, ib->nwaiting);
	rb_strv_free(ib->why, ib->nwaiting);
	memset(ib, 0, sizeof(*ib));
}

int rb_inbox_list(const char *inbox, char ***dirs, size_t *n, struct rb_err *e)
{
	struct rb_inbox ib;

	*dirs = NULL;
	*n = 0;
	if (rb_inbox_scan(inbox, 0, 0, &ib, e) != 0)
		return -1;
	*dirs = ib.ready;
	*n = ib.nready;
	ib.ready = NULL;
	ib.nready = 0;
	rb_inbox_clear(&ib);
	return 0;
}

void rb_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Move src into dir under its own name, or name.1, name.2, ... if taken. */
static int move_into(const char *src, const char *dir, char **moved, struct rb_err *e)
{
	const char *base = strrchr(src, '/');
	char dst[PATH_MAX];
	struct stat st;
	int i;

	base = base ? base + 1 : src;
	if (rb_mkdir_p(dir, 0750, e) != 0)
		return -1;
	for (i = 0; i < 1000; i++) {
		int w = i == 0 ? snprintf(dst, sizeof(dst), "%s/%s", dir, base) :
				 snprintf(dst, sizeof(dst), "%s/%s.%d", dir, base, i);

		if (w < 0 || (size_t)w >= sizeof(dst))
			return RB_ERR(e, RB_EX_CANTCREAT, "path too long in '%s'", dir);
		if (lstat(dst, &st) != 0)
			break;
	}
	if (rename(src, dst) != 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot move '%s' to '%s': %s", src, dst,
			      strerror(errno));
	*moved = strdup(dst);
	return 0;
}

int rb_ingest_file_away(struct rb_ingest_outcome *o, const char *archive,
			const char *quarantine, struct rb_err *e)
{
	const char *to = o->verdict == RB_REJECTED ? quarantine : archive;
	char path[PATH_MAX];
	cJSON *doc;
	int rc;

	if (to == NULL)
		return 0;
	if (move_into(o->path, to, &o->moved_to, e) != 0)
		return -1;
	if (o->verdict != RB_REJECTED || o->moved_to == NULL)
		return 0;
	doc = cJSON_CreateObject();
	if (doc == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	cJSON_AddStringToObject(doc, "path", o->path);
	cJSON_AddStringToObject(doc, "verdict", "rejected");
	if (rb_vreport_ledger(o->report) != NULL)
		cJSON_AddStringToObject(doc, "ledger", rb_vreport_ledger(o->report));
	cJSON_AddNumberToObject(doc, "first_seq", (double)rb_vreport_first_seq(o->report));
	cJSON_AddNumberToObject(doc, "last_seq", (double)rb_vreport_last_seq(o->report));
	cJSON_AddItemToObject(doc, "errors", rb_vreport_findings_json(o->report, 0));
	cJSON_AddNumberToObject(doc, "errors_total",
				(double)rb_vreport_errors_total(o->report));
	cJSON_AddItemToObject(doc, "warnings", rb_vreport_findings_json(o->report, 1));
	rc = rb_path_join(path, sizeof(path), o->moved_to, "REJECTED.json", e);
	if (rc == 0)
		rc = rb_write_json(path, doc, 0640, e);
	cJSON_Delete(doc);
	return rc;
}
