/*
 * fsutil.h - reading and writing whole files safely.
 *
 * rb_read_file returns a malloc'd, NUL-terminated buffer the caller frees.
 * rb_write_atomic writes to a temporary name in the same directory, syncs
 * it and renames it over the final name, so a reader never sees a
 * half-written file and a failure leaves nothing behind.
 */
#ifndef RB_FSUTIL_H
#define RB_FSUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"

/*
 * Open an input file for reading, never blocking: it is opened with
 * O_NONBLOCK (a FIFO with no writer, a device or a socket cannot hold the
 * caller) and refused unless it is a regular file, then switched back to
 * blocking reads.  Returns the descriptor (the caller closes it), or -1:
 * RB_EX_NOINPUT when it is missing, unreadable or not a regular file (the
 * message says what it is: a directory, a FIFO, ...).
 */
int rb_open_input(const char *path, struct rb_err *e);

/* What kind of file mode is, in words ("a FIFO", "a directory", ...). */
const char *rb_file_kind(unsigned mode);

/*
 * Read all of path, at most maxlen bytes (a larger file is RB_EX_DATAERR).
 * Missing, unreadable or not a regular file: RB_EX_NOINPUT.
 */
int rb_read_file(const char *path, size_t maxlen, char **buf, size_t *len,
		 struct rb_err *e);

/*
 * Finish a file written through stdio: flush, sync to disk and close f
 * (always closed).  RB_EX_IOERR naming path when any step failed.
 */
int rb_fclose_synced(FILE *f, const char *path, struct rb_err *e);

/* Atomically replace path with data[0..len), created with mode. */
int rb_write_atomic(const char *path, const void *data, size_t len,
		    mode_t mode, struct rb_err *e);

/*
 * Atomically write a JSON document, indented, with a final newline.
 * (The document is borrowed.)
 */
struct cJSON;
int rb_write_json(const char *path, const struct cJSON *doc, mode_t mode,
		  struct rb_err *e);

/*
 * Is path missing (*state 0), an empty directory (1), or a directory with
 * entries (2)?  Anything else there (a file, a FIFO) is -1, RB_EX_CANTCREAT,
 * and so is a directory that cannot be read.
 */
int rb_dir_state(const char *path, int *state, struct rb_err *e);

/*
 * Remove path and everything under it, following no symbolic link (a link
 * is removed, never what it points to).  A missing path is no error.
 */
int rb_remove_tree(const char *path, struct rb_err *e);

/* fsync the directory that holds path (best effort: 0 or -1, errno). */
int rb_sync_parent(const char *path);

/* Create directory path and its parents (like mkdir -p) with mode. */
int rb_mkdir_p(const char *path, mode_t mode, struct rb_err *e);

/*
 * The last part of path without suffix (when it ends so) into out (size n):
 * "keys/ledger.pem", ".pem" gives "ledger".
 */
void rb_path_stem(const char *path, const char *suffix, char *out, size_t n);

/* Join dir and name into out (size n); -1 (RB_EX_USAGE) when too long. */
int rb_path_join(char *out, size_t n, const char *dir, const char *name,
		 struct rb_err *e);

#endif
