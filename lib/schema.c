/* schema.c - the shared database schema and its migrations. */
#include "schema.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto.h"
#include "db.h"
#include "vocab.h"

/*
 * Version 1: verified ledger history and the ingest log.
 * Times are kept as text (as signed) and as Unix seconds plus nanoseconds
 * for arithmetic.  Hashes are 32-byte blobs.
 */
static const char v1[] =
	"CREATE TABLE ledger ("
	"  id INTEGER PRIMARY KEY,"
	"  origin TEXT NOT NULL UNIQUE,"
	"  base_seq INTEGER NOT NULL,"          /* first stored seq: 0 unless bootstrapped */
	"  base_root BLOB NOT NULL,"            /* root of the tree of size base_seq */
	"  base_frontier BLOB NOT NULL,"        /* its subtree roots, 32 bytes each */
	"  size INTEGER NOT NULL,"              /* entries 0..size-1 verified */
	"  root BLOB NOT NULL,"                 /* root of the tree of size `size` */
	"  last_leaf BLOB,"                     /* leaf hash of entry size-1, NULL if unknown */
	"  frontier BLOB NOT NULL,"             /* subtree roots, 32 bytes each, largest first */
	"  checkpoint TEXT,"                    /* the signed checkpoint at `size` */
	"  bootstrap_checkpoint TEXT,"          /* the checkpoint trusted by --bootstrap */
	"  updated_by INTEGER REFERENCES ingest_export(id)"
	") STRICT;"
	"CREATE TABLE ingest_run ("
	"  id INTEGER PRIMARY KEY,"
	"  started TEXT NOT NULL,"
	"  finished TEXT,"
	"  host TEXT,"
	"  accepted INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE TABLE ingest_export ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES ingest_run(id),"
	"  path TEXT NOT NULL,"
	"  ledger_id INTEGER NOT NULL REFERENCES ledger(id),"
	"  first_seq INTEGER NOT NULL,"
	"  last_seq INTEGER NOT NULL,"
	"  new_first_seq INTEGER NOT NULL,"     /* first entry this ingest stored */
	"  new_entries INTEGER NOT NULL,"
	"  entries_sha256 TEXT NOT NULL,"
	"  root BLOB NOT NULL,"                 /* root of the tree of size last_seq + 1 */
	"  end_frontier BLOB NOT NULL,"         /* its subtree roots, 32 bytes each */
	"  checkpoint TEXT NOT NULL,"
	"  checkpoint_key TEXT NOT NULL,"
	"  entry_keys TEXT NOT NULL,"           /* JSON array of key names */
	"  countersigned INTEGER NOT NULL,"
	"  warnings TEXT NOT NULL,"             /* JSON array of {code,seq,line,message} */
	"  bootstrap INTEGER NOT NULL DEFAULT 0,"
	"  verdict TEXT NOT NULL CHECK (verdict IN ('accepted')),"
	"  finished TEXT NOT NULL"
	") STRICT;"
	"CREATE TABLE entry ("
	"  ledger_id INTEGER NOT NULL REFERENCES ledger(id),"
	"  seq INTEGER NOT NULL,"
	"  time TEXT NOT NULL,"
	"  time_s INTEGER NOT NULL,"
	"  time_ns INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  rollback_id TEXT,"
	"  change_id TEXT,"
	"  incident_id TEXT,"
	"  service TEXT,"
	"  environment TEXT,"
	"  payload BLOB NOT NULL,"              /* the exact signed bytes */
	"  envelope TEXT NOT NULL,"             /* the entry line as received */
	"  leaf BLOB NOT NULL,"
	"  signer TEXT NOT NULL,"
	"  countersigner TEXT,"
	"  ingest_id INTEGER NOT NULL REFERENCES ingest_export(id),"
	"  PRIMARY KEY (ledger_id, seq)"
	") STRICT;"
	"CREATE INDEX entry_rollback ON entry(ledger_id, rollback_id, event);"
	"CREATE INDEX entry_change ON entry(ledger_id, change_id, event);"
	"CREATE INDEX entry_incident ON entry(ledger_id, incident_id, event);"
	"CREATE INDEX entry_event_time ON entry(event, time_s);"
	"CREATE TABLE anomaly ("
	"  ledger_id INTEGER NOT NULL REFERENCES ledger(id),"
	"  seq INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"                 /* missing-member, wrong-type, duplicate-event */
	"  member TEXT,"
	"  detail TEXT NOT NULL,"
	"  FOREIGN KEY (ledger_id, seq) REFERENCES entry(ledger_id, seq)"
	") STRICT;"
	"CREATE INDEX anomaly_entry ON anomaly(ledger_id, seq);";

/*
 * Version 2: stored analyses.  The whole result is kept as the JSON document
 * that `rbaudit analyze --json` prints; the per-rollback facts and findings
 * are also kept as rows so that reports can sort and filter them.
 */
static const char v2[] =
	"CREATE TABLE analysis ("
	"  id INTEGER PRIMARY KEY,"
	"  ledger_id INTEGER NOT NULL REFERENCES ledger(id),"
	"  period TEXT NOT NULL,"
	"  start_s INTEGER NOT NULL,"
	"  end_s INTEGER NOT NULL,"
	"  as_of TEXT NOT NULL,"
	"  ledger_size INTEGER NOT NULL,"       /* entries stored when analysed */
	"  policy_sha256 TEXT NOT NULL,"
	"  policy TEXT NOT NULL,"               /* the effective policy, canonical JSON */
	"  trend_periods INTEGER NOT NULL,"
	"  sample_size INTEGER NOT NULL,"
	"  sample_seed INTEGER NOT NULL,"
	"  document TEXT NOT NULL,"             /* the analysis as JSON */
	"  created TEXT NOT NULL,"
	"  UNIQUE (ledger_id, period, policy_sha256, ledger_size, trend_periods,"
	"          sample_size, sample_seed)"
	") STRICT;"
	"CREATE TABLE analysis_rollback ("
	"  analysis_id INTEGER NOT NULL REFERENCES analysis(id) ON DELETE CASCADE,"
	"  rollback_id TEXT NOT NULL,"
	"  executed TEXT NOT NULL,"
	"  score INTEGER NOT NULL,"
	"  level TEXT NOT NULL,"
	"  complete INTEGER NOT NULL,"
	"  facts TEXT NOT NULL,"                /* the rollback's JSON object */
	"  PRIMARY KEY (analysis_id, rollback_id)"
	") STRICT;"
	"CREATE TABLE analysis_finding ("
	"  analysis_id INTEGER NOT NULL REFERENCES analysis(id) ON DELETE CASCADE,"
	"  rollback_id TEXT NOT NULL,"
	"  code TEXT NOT NULL,"
	"  PRIMARY KEY (analysis_id, rollback_id, code)"
	") STRICT;"
	"CREATE INDEX analysis_period ON analysis(ledger_id, period);"
	/* The keys that signed stored entries and checkpoints, for attestations. */
	"CREATE TABLE signing_key ("
	"  name TEXT NOT NULL,"
	"  public_key BLOB NOT NULL,"
	"  keystring TEXT NOT NULL,"            /* C2SP verifier key string */
	"  roles TEXT NOT NULL,"
	"  identity TEXT,"
	"  valid_from TEXT NOT NULL,"
	"  valid_until TEXT,"
	"  revoked_at TEXT,"
	"  PRIMARY KEY (name, public_key)"
	") STRICT;";

/* Version 3: the scheduled job's runs (rbaudit run). */
static const char v3[] =
	"CREATE TABLE job_run ("
	"  id INTEGER PRIMARY KEY,"
	"  started TEXT NOT NULL,"
	"  finished TEXT NOT NULL,"
	"  period TEXT NOT NULL,"
	"  exit_code INTEGER NOT NULL,"
	"  accepted INTEGER NOT NULL,"
	"  noop INTEGER NOT NULL,"
	"  rejected INTEGER NOT NULL,"
	"  rollbacks INTEGER NOT NULL,"
	"  alerts INTEGER NOT NULL,"           /* rollbacks at or above the alert threshold */
	"  output TEXT NOT NULL,"
	"  steps TEXT NOT NULL"                 /* JSON: [{step, status, detail}] */
	") STRICT;";

/*
 * Version 4: the order of the rollbacks in their analysis (execution time,
 * seq), so that reports can stream them from the rows; the stored document
 * no longer repeats them.
 */
static const char v4[] =
	"ALTER TABLE analysis_rollback ADD COLUMN ord INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX analysis_rollback_ord ON analysis_rollback(analysis_id, ord);";

/*
 * Version 5: indexes that answer the analysis without reading the table.
 * `counted` is 0 for a repeat of a lifecycle event that only counts once
 * (a second change.deployed of a change, rollback.requested, .executed or
 * .closed of a rollback, incident.detected of an incident: metrics-v1 §1);
 * the id indexes end with seq, so that "the first one" is a seek, and the
 * partial index entry_deploys holds just the deployments that count.
 */
static const char v5[] =
	"DROP INDEX entry_rollback;"
	"DROP INDEX entry_change;"
	"DROP INDEX entry_incident;"
	"DROP INDEX entry_event_time;"
	"CREATE INDEX entry_rollback ON entry(ledger_id, rollback_id, event, seq);"
	"CREATE INDEX entry_change ON entry(ledger_id, change_id, event, seq);"
	"CREATE INDEX entry_incident ON entry(ledger_id, incident_id, event, seq);"
	"ALTER TABLE entry ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;"
	"UPDATE entry SET counted = 0 WHERE "
	"  (event IN ('rollback.requested', 'rollback.executed', 'rollback.closed') "
	"   AND rollback_id IS NOT NULL AND seq > (SELECT min(x.seq) FROM entry x "
	"   INDEXED BY entry_rollback WHERE x.ledger_id = entry.ledger_id "
	"   AND x.rollback_id = entry.rollback_id AND x.event = entry.event)) "
	"  OR (event = 'incident.detected' AND incident_id IS NOT NULL "
	"   AND seq > (SELECT min(x.seq) FROM entry x INDEXED BY entry_incident "
	"   WHERE x.ledger_id = entry.ledger_id AND x.incident_id = entry.incident_id "
	"   AND x.event = entry.event)) "
	"  OR (event = 'change.deployed' AND change_id IS NOT NULL "
	"   AND seq > (SELECT min(x.seq) FROM entry x INDEXED BY entry_change "
	"   WHERE x.ledger_id = entry.ledger_id AND x.change_id = entry.change_id "
	"   AND x.event = entry.event));"
	"CREATE INDEX entry_event_time ON entry(event, time_s, ledger_id, rollback_id, "
	"  counted, seq);"
	"CREATE INDEX entry_deploys ON entry(ledger_id, time_s) "
	"  WHERE event = 'change.deployed' AND change_id IS NOT NULL AND counted = 1;";

/*
 * Version 6: the entry line is no longer stored whole.  Its payload (the
 * signed bytes) was stored twice, once decoded and once in base64 inside
 * the line; now the row keeps the payload, the signatures (compact JSON)
 * and the SHA-256 of the line, which is what re-ingest compares.  Everything
 * a signature check needs is still there; a third less to write and read.
 */
static const char v6[] =
	"ALTER TABLE entry ADD COLUMN signatures TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE entry ADD COLUMN line_sha256 BLOB NOT NULL DEFAULT x'';"
	"UPDATE entry SET signatures = json_extract(envelope, '$.signatures'), "
	"  line_sha256 = rb_sha256(envelope);"
	"ALTER TABLE entry DROP COLUMN envelope;";

/*
 * Version 7: the chain of trust after ingest.
 * - ingest_export.archived_path: where the export is now (the job moves it
 *   to its archive after ingest); NULL while it is still at `path`, where it
 *   was ingested from.
 * - rejected_export: exports the job rejected or quarantined, with what
 *   could be read of their range (manifest) and times (first and last
 *   entry, unverified), so that the packs of the periods they touch list them.
 * - trust_state: the SHA-256 of the trust store the stored history was last
 *   checked against (one row), and trust_failure: the entries that did not
 *   verify under it, with the reason (a retroactive revocation, a key
 *   removed...).
 */
static const char v7[] =
	"ALTER TABLE ingest_export ADD COLUMN archived_path TEXT;"
	"CREATE TABLE rejected_export ("
	"  id INTEGER PRIMARY KEY,"
	"  job_run_id INTEGER REFERENCES job_run(id),"
	"  path TEXT NOT NULL,"                 /* where it came from */
	"  quarantined_path TEXT,"              /* where it is now; NULL: left in place */
	"  ledger TEXT,"                        /* the manifest's, when readable */
	"  first_seq INTEGER,"
	"  last_seq INTEGER,"
	"  first_time TEXT,"                    /* first and last entry's time, when readable */
	"  last_time TEXT,"
	"  first_time_s INTEGER,"
	"  last_time_s INTEGER,"
	"  code TEXT NOT NULL,"                 /* the first error's code */
	"  reason TEXT NOT NULL,"
	"  rejected TEXT NOT NULL"              /* when */
	") STRICT;"
	"CREATE INDEX rejected_export_time ON rejected_export(last_time_s, first_time_s);"
	"CREATE TABLE trust_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  sha256 TEXT NOT NULL,"               /* of the trust store file */
	"  checked TEXT NOT NULL,"              /* when the history was checked against it */
	"  entries INTEGER NOT NULL,"           /* entries checked */
	"  failures INTEGER NOT NULL"           /* entries that did not verify */
	") STRICT;"
	"CREATE TABLE trust_failure ("
	"  ledger_id INTEGER NOT NULL REFERENCES ledger(id),"
	"  seq INTEGER NOT NULL,"
	"  code TEXT NOT NULL,"                 /* E_KEY_REVOKED, E_KEY_UNKNOWN, E_SIG... */
	"  message TEXT NOT NULL,"
	"  PRIMARY KEY (ledger_id, seq, code)"
	") STRICT;";

/*
 * Version 8: whether each stored rollback is flagged (a finding, or a level
 * of high or critical under the analysis's policy: rb_flagged), decided once
 * by analyze and read by report and the CLI.  The rollbacks stored before
 * are given it from their own stored level and findings, which is the same
 * rule.
 */
static const char v8[] =
	"ALTER TABLE analysis_rollback ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;"
	"UPDATE analysis_rollback SET flagged = (level IN ('high', 'critical') OR EXISTS ("
	"  SELECT 1 FROM analysis_finding f WHERE f.analysis_id = analysis_rollback.analysis_id"
	"  AND f.rollback_id = analysis_rollback.rollback_id));";

/*
 * Version 9: whether each entry is a failed attempt (metrics-v1 §8.3: a
 * rollback.executed whose result is present and not "success"), set by
 * ingest and proved against the payload by every per-use check, with two
 * small partial indexes of the failed ones, so that selecting a period's
 * executions and counting its failed attempts read no payload.
 */
static const char v9[] =
	"ALTER TABLE entry ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;"
	"UPDATE entry SET failed = 1 WHERE event = 'rollback.executed' AND "
	RB_SQL_FAILED_ATTEMPT("entry") ";"
	"CREATE INDEX entry_failed ON entry(ledger_id, rollback_id, seq) WHERE failed = 1;"
	"CREATE INDEX entry_failed_time ON entry(ledger_id, time_s) WHERE failed = 1;";

/*
 * Version 10: every checkpoint ingest verified (issue #21), so that any two
 * can be proved consistent and any entry proved included: the export's own
 * and its previous_checkpoint, a bootstrap's, and the checkpoint of an export
 * whose entries were all stored already (a cosigned copy, say).  The note is
 * kept verbatim with all its lines; witnesses is the JSON array of the
 * cosignatures ingest verified ({"name","time"}), empty when none.  The
 * checkpoints stored before are taken from the exports and ledgers.
 */
static const char v10[] =
	"CREATE TABLE checkpoint ("
	"  ledger_id INTEGER NOT NULL REFERENCES ledger(id),"
	"  size INTEGER NOT NULL,"
	"  root BLOB NOT NULL,"
	"  note TEXT NOT NULL,"
	"  witnesses TEXT NOT NULL DEFAULT '[]',"
	"  ingest_id INTEGER REFERENCES ingest_export(id),"
	"  first_seen TEXT NOT NULL,"
	"  PRIMARY KEY (ledger_id, note)"
	") STRICT;"
	"CREATE INDEX checkpoint_size ON checkpoint(ledger_id, size);"
	"INSERT OR IGNORE INTO checkpoint (ledger_id, size, root, note, ingest_id, first_seen) "
	"  SELECT ledger_id, last_seq + 1, root, checkpoint, id, finished FROM ingest_export "
	"  WHERE checkpoint <> '' ORDER BY id;"
	"INSERT OR IGNORE INTO checkpoint (ledger_id, size, root, note, ingest_id, first_seen) "
	"  SELECT id, base_seq, base_root, bootstrap_checkpoint, NULL, '' FROM ledger "
	"  WHERE bootstrap_checkpoint IS NOT NULL;";

/*
 * Version 11: the indexes of rbaudit search and show (issue #22), so that a
 * search of a ledger of a million entries reads only what it finds.
 * - entry_requested: each rollback's first rollback.requested (the one that
 *   counts) in the order of its time, with what a search filters and shows
 *   of it; a partial index, one row per rollback.
 * - entry_actor: who touched which rollback, by actor: --actor's spellings
 *   are found one seek each, and each candidate rollback is checked by one
 *   seek per spelling.
 * - analysis_rollback_id: the stored analyses of a rollback (the table's
 *   key starts with the analysis), for show and for the newest one of each.
 */
static const char v11[] =
	"CREATE INDEX entry_requested ON entry(ledger_id, time_s, seq, rollback_id, service, "
	"  environment, actor) WHERE event = 'rollback.requested' AND counted = 1 "
	"  AND rollback_id IS NOT NULL;"
	"CREATE INDEX entry_actor ON entry(actor, ledger_id, rollback_id) "
	"  WHERE rollback_id IS NOT NULL;"
	"CREATE INDEX analysis_rollback_id ON analysis_rollback(rollback_id, analysis_id);";

static const char *const migrations[] = { v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11 };

/* rb_sha256(text or blob): its SHA-256, for the version 6 migration. */
static void sql_sha256(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	uint8_t d[RB_SHA256_LEN];
	const void *p = sqlite3_value_blob(argv[0]);

	(void)argc;
	rb_sha256(p != NULL ? p : "", (size_t)sqlite3_value_bytes(argv[0]), d);
	sqlite3_result_blob(c, d, sizeof(d), SQLITE_TRANSIENT);
}

int rb_schema_migrate(sqlite3 *db, struct rb_err *e)
{
	char pragma[64];
	int v, i;

	v = rb_db_user_version(db, e);
	if (v < 0)
		return -1;
	if (v > RB_SCHEMA_VERSION)
		return RB_ERR(e, RB_EX_DATAERR,
			      "the database has schema version %d; this rbaudit knows up to %d",
			      v, RB_SCHEMA_VERSION);
	if (v == RB_SCHEMA_VERSION)
		return 0;
	if (sqlite3_create_function_v2(db, "rb_sha256", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				       NULL, sql_sha256, NULL, NULL, NULL) != SQLITE_OK)
		return rb_db_fail(db, sqlite3_errcode(db), e, "cannot prepare the migration");
	if (rb_db_begin(db, e) != 0)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	v = rb_db_user_version(db, e);
	if (v < 0)
		goto fail;
	for (i = v; i < RB_SCHEMA_VERSION; i++)
		if (rb_db_exec(db, migrations[i], e) != 0)
			goto fail;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", RB_SCHEMA_VERSION);
	if (rb_db_exec(db, pragma, e) != 0)
		goto fail;
	return rb_db_commit(db, e);
fail:
	rb_db_rollback(db);
	return -1;
}

int rb_schema_open(const char *path, int flags, int busy_ms, sqlite3 **out,
		   struct rb_err *e)
{
	sqlite3 *db = NULL;
	int v;

	*out = NULL;
	if (rb_db_connect(path, flags, busy_ms, &db, e) != 0)
		return -1;
	if (!(flags & RB_DB_READONLY)) {
		if (rb_schema_migrate(db, e) != 0)
			goto fail;
	} else {
		if ((v = rb_db_user_version(db, e)) < 0)
			goto fail;
		if (v != RB_SCHEMA_VERSION) {
			RB_ERR(e, RB_EX_DATAERR,
			       "database '%s' has schema version %d, this rbaudit reads %d%s",
			       path, v, RB_SCHEMA_VERSION,
			       v < RB_SCHEMA_VERSION ? " (ingest into it to upgrade it)" : "");
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	rb_db_close(db);
	return -1;
}
