/* store_floor: what SQLite alone costs to store an ingest's entries, the
 * floor under ingest's storing.
 *
 *   store_floor SRC.db DST.db
 *
 * Reads every entry row of SRC (a database `rbaudit ingest` wrote) into
 * memory, creates DST with SRC's schema and the rows an entry refers to,
 * then times only this: one transaction that inserts the rows one by one
 * through one prepared INSERT of the columns ingest writes (its statement,
 * bound per row), and the COMMIT, on a connection opened as ingest opens its
 * own (WAL, synchronous=FULL, foreign keys on).  It prints
 * "rows <n> insert_cpu <s> insert_wall <s> commit_cpu <s> commit_wall <s>":
 * the inserts, then the COMMIT (which writes the write-ahead log out, syncs
 * it, and copies it into the database); CPU is user and system time
 * (getrusage).  No rbaudit code runs here, so the figure is
 * what any ingest that keeps the same rows and indexes in SQLite pays on top
 * of verifying.  Built and run by `make bench` (tests/bench/bench.py), not
 * installed. */

#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define NCOL 20

static const char columns[] =
	"ledger_id, seq, time, time_s, time_ns, event, actor, rollback_id, change_id, "
	"incident_id, service, environment, payload, signatures, leaf, signer, "
	"countersigner, ingest_id, counted, line_sha256";

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "store_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	return 1;
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(db, sql);
}

/* SRC's tables and indexes, then the rows an entry refers to. */
static int make_schema(sqlite3 *db, const char *src)
{
	sqlite3_stmt *q = NULL;
	char *att = sqlite3_mprintf("ATTACH %Q AS src", src);
	int rc = 1;
	static const char *const parents[] = { "ingest_run", "ledger", "ingest_export",
					       "signing_key" };
	size_t i;

	if (att == NULL || exec(db, att) != 0)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT sql FROM src.sqlite_master WHERE sql IS NOT NULL "
			       "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index', rowid",
			       -1, &q, NULL) != SQLITE_OK) {
		fail(db, "read the schema");
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW)
		if (exec(db, (const char *)sqlite3_column_text(q, 0)) != 0)
			goto out;
	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		char *s = sqlite3_mprintf("INSERT INTO main.%s SELECT * FROM src.%s",
					  parents[i], parents[i]);

		if (s == NULL || exec(db, s) != 0) {
			sqlite3_free(s);
			goto out;
		}
		sqlite3_free(s);
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	sqlite3_free(att);
	return rc;
}

/* Every entry row of src, as values the caller frees with free_rows. */
static sqlite3_value **load_rows(sqlite3 *db, size_t *n)
{
	sqlite3_stmt *q = NULL;
	sqlite3_value **v = NULL, **nv;
	size_t cap = 0, i;
	char *sql = sqlite3_mprintf("SELECT %s FROM src.entry ORDER BY ledger_id, seq", columns);

	*n = 0;
	if (sql == NULL || sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		fail(db, "read the entries");
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			nv = realloc(v, cap * NCOL * sizeof(*v));
			if (nv == NULL)
				goto out;
			v = nv;
		}
		for (i = 0; i < NCOL; i++)
			v[*n * NCOL + i] = sqlite3_value_dup(sqlite3_column_value(q, (int)i));
		(*n)++;
	}
out:
	sqlite3_finalize(q);
	sqlite3_free(sql);
	return v;
}

static void free_rows(sqlite3_value **v, size_t n)
{
	size_t i;

	for (i = 0; i < n * NCOL; i++)
		sqlite3_value_free(v[i]);
	free(v);
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	sqlite3_value **rows = NULL;
	size_t n = 0, r;
	int i, rc = 1;
	char *sql = NULL;
	double w0, c0, wc, cc;

	if (argc != 3) {
		fprintf(stderr, "usage: store_floor SRC.db DST.db\n");
		return 64;
	}
	if (sqlite3_open(argv[2], &db) != SQLITE_OK || exec(db, "PRAGMA journal_mode=WAL") ||
	    exec(db, "PRAGMA synchronous=FULL") || make_schema(db, argv[1]) != 0)
		goto out;
	rows = load_rows(db, &n);
	if (rows == NULL || exec(db, "DETACH src") || exec(db, "PRAGMA foreign_keys=ON"))
		goto out;
	sql = sqlite3_mprintf("INSERT INTO entry (%s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
			      "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)", columns);
	if (sql == NULL || sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK) {
		fail(db, "prepare the insert");
		goto out;
	}
	w0 = wall_now();
	c0 = cpu_now();
	if (exec(db, "BEGIN IMMEDIATE") != 0)
		goto out;
	for (r = 0; r < n; r++) {
		for (i = 0; i < NCOL; i++)
			sqlite3_bind_value(ins, i + 1, rows[r * NCOL + (size_t)i]);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fail(db, "insert an entry");
			goto out;
		}
		sqlite3_reset(ins);
	}
	wc = wall_now();
	cc = cpu_now();
	if (exec(db, "COMMIT") != 0)
		goto out;
	printf("rows %zu insert_cpu %.3f insert_wall %.3f commit_cpu %.3f commit_wall %.3f\n",
	       n, cc - c0, wc - w0, cpu_now() - cc, wall_now() - wc);
	rc = 0;
out:
	sqlite3_finalize(ins);
	sqlite3_free(sql);
	if (rows != NULL)
		free_rows(rows, n);
	sqlite3_close(db);
	return rc;
}
