/*
 * schema.h - the database schema every stage shares, with its migrations.
 *
 * The schema is versioned with PRAGMA user_version.  rb_schema_migrate
 * brings a database from any older version to RB_SCHEMA_VERSION in one
 * transaction, and refuses a database newer than this build knows.
 * The tables are documented in docs/ARCHITECTURE.md.
 */
#ifndef RB_SCHEMA_H
#define RB_SCHEMA_H

#include <sqlite3.h>

#include "err.h"

#define RB_SCHEMA_VERSION 7

int rb_schema_migrate(sqlite3 *db, struct rb_err *e);

/*
 * SQL, for a WHERE clause: the rollbacks entry y concerns for the stored
 * entry x (its own; or, when it has none, those of its change or incident).
 */
#define RB_SQL_CONCERNS \
	"y.ledger_id = x.ledger_id AND y.rollback_id IS NOT NULL AND (y.rollback_id = " \
	"x.rollback_id OR (x.rollback_id IS NULL AND (y.change_id = x.change_id OR " \
	"y.incident_id = x.incident_id)))"

/*
 * SQL: the trust_failure f (joined with its entry x) touches a period, ?2
 * to ?3 (Unix seconds, half-open) of ledger ?1: its entry's time is in it,
 * or it concerns a rollback with an entry in it.  Analyze, report and run
 * use this one definition.
 */
#define RB_SQL_TRUST_TOUCHES \
	"f.ledger_id = ?1 AND ((x.time_s >= ?2 AND x.time_s < ?3) OR EXISTS (SELECT 1 " \
	"FROM entry y WHERE " RB_SQL_CONCERNS " AND EXISTS (SELECT 1 FROM entry z WHERE " \
	"z.ledger_id = y.ledger_id AND z.rollback_id = y.rollback_id AND z.time_s >= ?2 " \
	"AND z.time_s < ?3)))"

/* The database's user_version, or -1 with *e filled. */
int rb_schema_version(sqlite3 *db, struct rb_err *e);

#endif
