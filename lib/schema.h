/*
 * schema.h - the database schema every stage shares, with its migrations.
 *
 * The schema is versioned with PRAGMA user_version.  rb_schema_open is how
 * every stage opens the database: lib/db's connection, brought to
 * RB_SCHEMA_VERSION for a writer (rb_schema_migrate: from any older version
 * in one transaction) and checked to be at it for a reader; a database
 * newer than this build knows is refused.
 * The tables are documented in docs/ARCHITECTURE.md.
 */
#ifndef RB_SCHEMA_H
#define RB_SCHEMA_H

#include <sqlite3.h>

#include "err.h"

#define RB_SCHEMA_VERSION 11

int rb_schema_migrate(sqlite3 *db, struct rb_err *e);

/*
 * Open the database at path (flags and busy_ms as rb_db_connect's); *out is
 * the caller's, to close with rb_db_close.  A reader of a database at
 * another version gets RB_EX_DATAERR.
 */
int rb_schema_open(const char *path, int flags, int busy_ms, sqlite3 **out,
		   struct rb_err *e);

/*
 * SQL, the common table expressions of "WITH ... SELECT ... FROM tf": tf
 * holds the trust_failure rows of ledger ?1 that touch the period ?2 to ?3
 * (Unix seconds, half-open), with their entry's time, event, rollback_id,
 * change_id and incident_id.  A failure touches the period when its entry's
 * time is in it, or it concerns a rollback with an entry in it (p): its own
 * rollback, or, for an entry without one, a rollback of its change (pc) or
 * incident (pi).  Analyze, report and run use this one definition.
 */
#define RB_SQL_TRUST_PERIOD \
	"p(rid) AS (SELECT DISTINCT rollback_id FROM entry WHERE ledger_id = ?1 AND " \
	"rollback_id IS NOT NULL AND time_s >= ?2 AND time_s < ?3), " \
	"pc(cid) AS (SELECT DISTINCT change_id FROM entry WHERE ledger_id = ?1 AND " \
	"change_id IS NOT NULL AND rollback_id IN (SELECT rid FROM p)), " \
	"pi(iid) AS (SELECT DISTINCT incident_id FROM entry WHERE ledger_id = ?1 AND " \
	"incident_id IS NOT NULL AND rollback_id IN (SELECT rid FROM p)), " \
	"tf(seq, code, message, time, event, rollback_id, change_id, incident_id) AS (" \
	"SELECT f.seq, f.code, f.message, x.time, x.event, x.rollback_id, x.change_id, " \
	"x.incident_id FROM trust_failure f LEFT JOIN entry x ON x.ledger_id = f.ledger_id " \
	"AND x.seq = f.seq WHERE f.ledger_id = ?1 AND ((x.time_s >= ?2 AND x.time_s < ?3) " \
	"OR x.rollback_id IN (SELECT rid FROM p) OR (x.rollback_id IS NULL AND " \
	"(x.change_id IN (SELECT cid FROM pc) OR x.incident_id IN (SELECT iid FROM pi)))))"


#endif
