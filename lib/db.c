/* db.c - SQLite opening, errors, transactions. */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


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

/*
 * Open path for reading as an immutable file: SQLite then needs no
 * shared-memory file (-shm) beside it, so a reader without write access to
 * the folder can read it.  Only for a database with no write-ahead log
 * (-wal) on disk, whose content is then all in the file.  The file's
 * identity, size and mtime are kept in a temporary table, for
 * rb_db_unchanged.
 */
static int open_immutable(const char *path, sqlite3 **out, struct rb_err *e)
{
	static const char hex[] = "0123456789ABCDEF";
	char uri[3 * 4096 + 32];
	size_t n = 0, i;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	memcpy(uri, "file:", sizeof("file:"));
	n = 5;
	for (i = 0; path[i] != '\0'; i++) {
		unsigned char c = (unsigned char)path[i];

		if (n + 4 >= sizeof(uri) - 16)
			return RB_ERR(e, RB_EX_USAGE, "database path too long: '%s'", path);
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
			uri[n++] = (char)c;
		} else {
			uri[n++] = '%';
			uri[n++] = hex[c >> 4];
			uri[n++] = hex[c & 15];
		}
	}
	memcpy(uri + n, "?immutable=1", sizeof("?immutable=1"));
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK || stat(path, &st) != 0) {
		rb_db_fail(db, rc != SQLITE_OK ? rc : SQLITE_CANTOPEN, e, "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	if (rb_db_exec(db, "CREATE TEMP TABLE rb_snapshot (dev INTEGER, ino INTEGER, "
		       "size INTEGER, mtime_s INTEGER, mtime_ns INTEGER)", e) != 0 ||
	    rb_db_prepare(db, "INSERT INTO temp.rb_snapshot VALUES (?1, ?2, ?3, ?4, ?5)", &q,
			  e) != 0)
		goto fail;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)st.st_dev);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)st.st_ino);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)st.st_size);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)st.st_mtim.tv_sec);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)st.st_mtim.tv_nsec);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		rb_db_fail(db, rc, e, "cannot open");
		goto fail;
	}
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

int rb_db_unchanged(sqlite3 *db, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	const char *path = sqlite3_db_filename(db, "main");
	struct stat st;
	int same = 1;

	if (sqlite3_prepare_v2(db, "SELECT dev, ino, size, mtime_s, mtime_ns FROM "
			       "temp.rb_snapshot", -1, &q, NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		return 0;       /* opened the usual way: SQLite's locks hold */
	}
	if (sqlite3_step(q) == SQLITE_ROW)
		same = path != NULL && stat(path, &st) == 0 &&
		       sqlite3_column_int64(q, 0) == (sqlite3_int64)st.st_dev &&
		       sqlite3_column_int64(q, 1) == (sqlite3_int64)st.st_ino &&
		       sqlite3_column_int64(q, 2) == (sqlite3_int64)st.st_size &&
		       sqlite3_column_int64(q, 3) == (sqlite3_int64)st.st_mtim.tv_sec &&
		       sqlite3_column_int64(q, 4) == (sqlite3_int64)st.st_mtim.tv_nsec;
	sqlite3_finalize(q);
	if (!same)
		return RB_ERR(e, RB_EX_TEMPFAIL, "database '%s' changed while it was read (it "
			      "was read without SQLite's locks, as its folder is not writable); "
			      "nothing was written: try again", path ? path : "?");
	return 0;
}

int rb_db_user_version(sqlite3 *db, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc, v = -1;

	if (rb_db_prepare(db, "PRAGMA user_version", &q, e) != 0)
		return -1;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	else
		rb_db_fail(db, rc, e, "cannot read the schema version");
	sqlite3_finalize(q);
	return v;
}

/* The file at path, created 0640 when asked and missing; a regular file. */
static int db_file(const char *path, int flags, struct rb_err *e)
{
	struct stat st;

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
	return 0;
}

/* A writer's connection: WAL (waiting for the switch), full sync, foreign keys. */
static int writer_mode(sqlite3 *db, int busy_ms, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc, waited = 0;

	/*
	 * journal_mode answers with a row: step it rather than exec.
	 * Switching to WAL takes an exclusive lock without calling the
	 * busy handler, so wait for it here, up to the same timeout.
	 */
	if (rb_db_prepare(db, "PRAGMA journal_mode=WAL", &q, e) != 0)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_BUSY && waited < busy_ms) {
		sqlite3_reset(q);
		usleep(20000);
		waited += 20;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return rb_db_fail(db, rc, e, "cannot switch to WAL");
	return rb_db_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", e);
}

/*
 * A reader's connection.  WAL needs the -shm file beside the database: a
 * reader who may not write the folder cannot create it.  When no -wal is on
 * disk (no writer has data outside the file), read the file as immutable
 * instead; rb_db_unchanged tells whether a writer changed it meanwhile.
 */
static int reader_mode(const char *path, sqlite3 **db, struct rb_err *e)
{
	char wal[4096 + 8];
	int v = rb_db_user_version(*db, e);

	if (v < 0 && ((sqlite3_errcode(*db) & 0xff) == SQLITE_READONLY ||
		      (sqlite3_errcode(*db) & 0xff) == SQLITE_CANTOPEN) &&
	    snprintf(wal, sizeof(wal), "%s-wal", path) < (int)sizeof(wal) &&
	    access(wal, F_OK) != 0 && errno == ENOENT) {
		sqlite3_close(*db);
		*db = NULL;
		if (open_immutable(path, db, e) != 0)
			return -1;
		v = rb_db_user_version(*db, e);
	}
	if (v < 0)
		return -1;
	return rb_db_exec(*db, "PRAGMA foreign_keys=ON", e);
}

int rb_db_connect(const char *path, int flags, int busy_ms, sqlite3 **out,
		  struct rb_err *e)
{
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	if (db_file(path, flags, e) != 0)
		return -1;
	rc = sqlite3_open_v2(path, &db, ((flags & RB_DB_READONLY) ? SQLITE_OPEN_READONLY :
					 SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rb_db_fail(db, rc, e, "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	if ((flags & RB_DB_READONLY) ? reader_mode(path, &db, e) != 0 :
	    writer_mode(db, busy_ms, e) != 0) {
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void rb_db_close(sqlite3 *db)
{
	if (db != NULL)
		sqlite3_close(db);
}

int rb_db_step_done(sqlite3 *db, sqlite3_stmt *st, struct rb_err *e, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, what);
	return 0;
}

void rb_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

void rb_db_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
}
