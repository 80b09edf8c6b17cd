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

/* The database's user_version, or -1 with *e filled. */
int rb_schema_version(sqlite3 *db, struct rb_err *e);

#endif
