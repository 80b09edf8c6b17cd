/*
 * db.h - SQLite connections, spoken to safely.  It knows nothing of
 * rbaudit's schema: lib/schema opens the database at its version.
 *
 * rb_db_connect creates the file with mode 0640 (never wider), turns on WAL,
 * full synchronous commits, foreign keys and a busy timeout.  SQL goes only through
 * prepared statements.  Errors map SQLite's codes to exit codes: a busy or
 * locked database is RB_EX_TEMPFAIL (retry), a full disk or I/O failure
 * RB_EX_IOERR, a read-only database RB_EX_CANTCREAT.
 * The sqlite3 handle is the caller's: close it with rb_db_close (NULL ok).
 */
#ifndef RB_DB_H
#define RB_DB_H

#include <stddef.h>

#include <sqlite3.h>

#include "err.h"

enum {
	RB_DB_READONLY = 1,     /* open an existing database for reading */
	RB_DB_CREATE = 2        /* create the file when it does not exist */
};

/*
 * Connect to the database at path.  Read-only, when the folder is not
 * writable (SQLite cannot create the WAL's -shm file) and no -wal is on
 * disk, the file is read as immutable, without SQLite's locks: call
 * rb_db_unchanged before acting on what was read.
 */
int rb_db_connect(const char *path, int flags, int busy_ms, sqlite3 **out,
		  struct rb_err *e);
/* PRAGMA user_version, or -1 with *e. */
int rb_db_user_version(sqlite3 *db, struct rb_err *e);
/*
 * 0 when db was opened the usual way, or when its file is still the one
 * opened (same inode, size and mtime); else RB_EX_TEMPFAIL: a writer
 * changed it while it was read without locks.
 */
int rb_db_unchanged(sqlite3 *db, struct rb_err *e);
void rb_db_close(sqlite3 *db);

/* Fill *e from db's last error, prefixed by what was being done; -1. */
int rb_db_fail(sqlite3 *db, int rc, struct rb_err *e, const char *what);

/* Run SQL that takes no parameters (schema, PRAGMA, BEGIN/COMMIT). */
int rb_db_exec(sqlite3 *db, const char *sql, struct rb_err *e);

/* Prepare one statement; *st is the caller's to sqlite3_finalize. */
int rb_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct rb_err *e);

/*
 * Step a statement that returns no row (INSERT, UPDATE, DELETE), then reset
 * it and clear its bindings either way: 0, or -1 with *e naming what.
 */
int rb_db_step_done(sqlite3 *db, sqlite3_stmt *st, struct rb_err *e, const char *what);

/* Bind text or a blob, copied; NULL binds NULL. */
void rb_db_bind_text(sqlite3_stmt *st, int i, const char *s);
void rb_db_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);

/* BEGIN IMMEDIATE (the write lock, waiting up to the busy timeout). */
int rb_db_begin(sqlite3 *db, struct rb_err *e);
int rb_db_commit(sqlite3 *db, struct rb_err *e);
/* ROLLBACK if a transaction is open; never fails. */
void rb_db_rollback(sqlite3 *db);

/* The exit code for a SQLite result code. */
int rb_db_exit_code(int rc);

#endif
