/*
 * test_db.c - focus: reading a database from a folder the reader may not
 * write.  SQLite's WAL mode needs a -shm file beside the database; a reader
 * who cannot create it still reads the file (as immutable, when no -wal is
 * on disk), creates nothing there, and rb_db_unchanged notices a writer
 * changing the file meanwhile.  The reader runs in a child process: as the
 * user nobody when the tests run as root (root may write anywhere), else as
 * the owner of a folder made read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/db.h"
#include "lib/schema.h"
#include "testutil.h"

/* A new database with the current schema in a fresh folder (0755). */
static void make_db(char *dir, char *path, size_t n)
{
	sqlite3 *db = NULL;
	struct rb_err e;

	strcpy(dir, "/tmp/rbaudit-db-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, n, "%s/t.db", dir);
	assert_int_equal(rb_schema_open(path, RB_DB_CREATE, 1000, &db, &e), 0);
	assert_int_equal(rb_db_exec(db, "INSERT INTO ingest_run (started) VALUES ('x')", &e), 0);
	rb_db_close(db);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_not_equal(access(tu_path(dir, "t.db-wal"), F_OK), 0);   /* closed clean */
	assert_int_equal(chmod(path, 0644), 0);
}

static void remove_db(const char *dir, const char *path)
{
	static const char *const ext[] = { "-shm", "-wal", "-journal", "" };
	char p[4200];
	size_t i;

	chmod(dir, 0755);
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, ext[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* The child's checks; its exit status says which one failed (0: none). */
static int reader(const char *path, int go_fd, int ready_fd)
{
	char shm[4200], c = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct rb_err e;
	int n = -1;

	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 20;
	if (rb_schema_open(path, RB_DB_READONLY, 1000, &db, &e) != 0) {
		fprintf(stderr, "open: %s\n", e.msg);
		return 10;
	}
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM ingest_run", -1, &q, NULL) ==
	    SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (n != 1)
		return 11;      /* the row written before is read */
	snprintf(shm, sizeof(shm), "%s-shm", path);
	if (access(shm, F_OK) == 0 || errno != ENOENT)
		return 12;      /* nothing created beside it */
	if (rb_db_unchanged(db, &e) != 0)
		return 13;
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 1)
		return 21;
	/* The parent has changed the file. */
	if (rb_db_unchanged(db, &e) != -1 || e.code != RB_EX_TEMPFAIL ||
	    strstr(e.msg, "changed while it was read") == NULL)
		return 14;
	rb_db_close(db);
	return 0;
}

static void readonly_folder_is_read_and_a_change_is_noticed(void **state)
{
	char dir[64], path[128], c = 0;
	int go[2], ready[2], status = -1;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1234567890, 0 } };
	pid_t pid;

	(void)state;
	make_db(dir, path, sizeof(path));
	assert_int_equal(chmod(dir, 0555), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		_exit(reader(path, go[0], ready[1]));
	}
	/* Only the child writes `ready`: if it fails early, the read sees the end. */
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		assert_int_equal(waitpid(pid, &status, 0), pid);
		fail_msg("the reader stopped early, status %d", WEXITSTATUS(status));
	}
	/* A writer's checkpoint would rewrite pages; a new mtime stands for it. */
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(go[1]);
	close(ready[0]);
	remove_db(dir, path);
}

/* Opened the usual way, SQLite's locks hold: rb_db_unchanged has nothing to say. */
static void writable_folder_uses_the_usual_locks(void **state)
{
	char dir[64], path[128];
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1234567890, 0 } };
	sqlite3 *db = NULL;
	struct rb_err e;

	(void)state;
	make_db(dir, path, sizeof(path));
	assert_int_equal(rb_schema_open(path, RB_DB_READONLY, 1000, &db, &e), 0);
	assert_int_equal(rb_db_exec(db, "SELECT count(*) FROM ingest_run", &e), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(rb_db_unchanged(db, &e), 0);
	rb_db_close(db);
	remove_db(dir, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(readonly_folder_is_read_and_a_change_is_noticed),
		cmocka_unit_test(writable_folder_uses_the_usual_locks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
