/* db.c - SQLite opening, errors, transactions. */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"

int rb_db_exit_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RB_EX_TEMPFAIL;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return RB_EX_IOERR;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return RB_EX_CANTCREAT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return RB_EX_DATAERR;
	default:                /* SQLITE_NOMEM, SQLITE_MISUSE, ... */
		return RB_EX_SOFTWARE;
	}
}

int rb_db_fail(sqlite3 *db, int rc, struct rb_err *e, const char *what)
{
	const char *file = db ? sqlite3_db_filename(db, "main") : NULL;

	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return RB_ERR(e, RB_EX_TEMPFAIL,
			      "%s: database '%s' is busy (another rbaudit holds it); retry later",
			      what, file ? file : "?");
	/* "disk I/O error" says little: add what the system said (disk full, ...). */
	if (db != NULL && sqlite3_system_errno(db) != 0 &&
	    ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	     (rc & 0xff) == SQLITE_CANTOPEN))
		return RB_ERR(e, rb_db_exit_code(rc), "%s: database '%s': %s (%s)", what,
			      file ? file : "?", sqlite3_errmsg(db),
			      strerror(sqlite3_system_errno(db)));
	return RB_ERR(e, rb_db_exit_code(rc), "%s: database '%s': %s", what,
		      file ? file : "?", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int rb_db_exec(sqlite3 *db, const char *sql, struct rb_err *e)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return rb_db_fail(db, rc, e, "cannot run SQL");
	return 0;
}

int rb_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct rb_err *e)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return rb_db_fail(db, rc, e, "cannot prepare SQL");
	}
	return 0;
}

int rb_db_begin(sqlite3 *db, struct rb_err *e)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return rb_db_fail(db, rc, e, "cannot start a transaction");
	return 0;
}

int rb_db_commit(sqlite3 *db, struct rb_err *e)
{
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		rb_db_fail(db, rc, e, "cannot commit");
		rb_db_rollback(db);
		return -1;
	}
	return 0;
}

void rb_db_rollback(sqlite3 *db)
{
	if (db != NULL && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int rb_db_open(const char *path, int flags, int busy_ms, sqlite3 **out,
	       struct rb_err *e)
{
	sqlite3 *db = NULL;
	struct stat st;
	int rc, oflags;

	*out = NULL;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return RB_ERR(e, RB_EX_NOINPUT, "database '%s' is not a regular file",
				      path);
	} else if (errno == ENOENT && (flags & RB_DB_CREATE) && !(flags & RB_DB_READONLY)) {
		/* Create it ourselves so that it is never wider than 0640. */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);

		if (fd < 0 && errno != EEXIST)
			return RB_ERR(e, RB_EX_CANTCREAT, "cannot create database '%s': %s",
				      path, strerror(errno));
		if (fd >= 0)
			close(fd);
	} else {
		return RB_ERR(e, RB_EX_NOINPUT, "no database '%s': %s", path,
			      strerror(errno));
	}
	oflags = (flags & RB_DB_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	rc = sqlite3_open_v2(path, &db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rb_db_fail(db, rc, e, "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	if (!(flags & RB_DB_READONLY)) {
		sqlite3_stmt *q = NULL;

		/*
		 * journal_mode answers with a row: step it rather than exec.
		 * Switching to WAL takes an exclusive lock without calling the
		 * busy handler, so wait for it here, up to the same timeout.
		 */
		int waited = 0;

		if (rb_db_prepare(db, "PRAGMA journal_mode=WAL", &q, e) != 0)
			goto fail;
		while ((rc = sqlite3_step(q)) == SQLITE_BUSY && waited < busy_ms) {
			sqlite3_reset(q);
			usleep(20000);
			waited += 20;
		}
		sqlite3_finalize(q);
		if (rc != SQLITE_ROW) {
			rb_db_fail(db, rc, e, "cannot switch to WAL");
			goto fail;
		}
		if (rb_db_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", e) != 0 ||
		    rb_schema_migrate(db, e) != 0)
			goto fail;
	} else {
		int v = rb_schema_version(db, e);

		if (v < 0)
			goto fail;
		if (v != RB_SCHEMA_VERSION) {
			RB_ERR(e, RB_EX_DATAERR,
			       "database '%s' has schema version %d, this rbaudit reads %d%s",
			       path, v, RB_SCHEMA_VERSION,
			       v < RB_SCHEMA_VERSION ? " (run rbaudit ingest to upgrade it)" : "");
			goto fail;
		}
		if (rb_db_exec(db, "PRAGMA foreign_keys=ON", e) != 0)
			goto fail;
	}
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

void rb_db_close(sqlite3 *db)
{
	if (db != NULL)
		sqlite3_close(db);
}
