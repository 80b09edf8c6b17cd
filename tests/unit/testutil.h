/*
 * testutil.h - helpers shared by the unit tests: temporary directories,
 * files as arrays of lines, hex, and a small signed ledger made on the spot
 * with keys derived from fixed seeds.
 */
#ifndef RB_TESTUTIL_H
#define RB_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/crypto.h"
#include "lib/trust.h"

/* A new empty directory under $TMPDIR (or /tmp); the caller tu_rmrf's it. */
char *tu_tmpdir(void);
void tu_rmrf(const char *path);

/*
 * The tests of t[0..n) whose names match none of the comma-separated
 * patterns of $RB_TEST_SKIP (fnmatch), moved to the front; how many.
 * `make test-valgrind` leaves the heaviest data tests to the sanitizer
 * runs, which run them all.
 */
struct CMUnitTest;
size_t tu_select(struct CMUnitTest *t, size_t n);

/* dst/name = src/name for each file of an export. */
void tu_copy_export(const char *src, const char *dst);

/* Read path into a malloc'd NUL-terminated buffer; aborts on failure. */
char *tu_slurp(const char *path, size_t *len);
void tu_spit(const char *path, const void *buf, size_t len);

/* A file's lines (without their LF); tu_free_lines frees them. */
char **tu_lines(const char *path, size_t *n);
void tu_write_lines(const char *path, char **lines, size_t n, const char *eol,
		    int final_eol);
void tu_free_lines(char **lines, size_t n);

/* Decode hex into out (n bytes). */
void tu_unhex(const char *hex, uint8_t *out, size_t n);

/* Path join into a static rotating buffer. */
const char *tu_path(const char *dir, const char *name);

/* A key from a one-byte seed pattern (seed[i] = b + i). */
rb_privkey *tu_key(uint8_t b);

/*
 * A signed envelope line for payload text, signed by the given keys and
 * names (n of them).  malloc'd.
 */
char *tu_envelope(const char *payload, rb_privkey **keys, const char **names, size_t n);

/* The payload text of an envelope line (malloc'd). */
char *tu_payload_of(const char *line);

/* Rewrite manifest.json's entry_count, last_seq and entries_sha256 to fit entries.jsonl. */
void tu_fix_manifest(const char *dir);

#endif

/*
 * A small ledger made on the spot in dir: keys.json (test-ledger: entry and
 * checkpoint; alice-key: approver of alice@example.test; ck-only:
 * checkpoint only), exports A (seq 0..11, hourly from
 * 2026-08-01T00:00:00Z; seq 5 an approval by alice countersigned) and B
 * (seq 12..19).  Variants of the trust store: keys-late.json (test-ledger
 * valid from 05:00), keys-revoked.json (revoked at 05:00) and
 * keys-revoked-later.json (revoked in 2027).
 */
void tu_make_fixture(const char *dir);

/* The text of `sqlite3 PATH .dump` (malloc'd), to compare databases. */
char *tu_db_dump(const char *path);

/* Run sql (no parameters) on the database db; aborts when it fails. */
void tu_exec(const char *db, const char *sql);

/* The first column of the first row of sql on the database db (read-only);
 * -1 when there is no row.  Aborts when the query cannot run. */
int64_t tu_query_int(const char *db, const char *sql);

/*
 * Seal events from..to-1 (hourly from 2026-08-01T00:00:00Z, the same shape
 * as the fixture) into dir with the fixture's ledger key, continuing *st.
 * variant != 0 changes every actor, so the entries differ from variant 0.
 */
struct rb_ledger_state;
void tu_seal_range(const char *dir, struct rb_ledger_state *st, int from, int to,
		   int variant);
