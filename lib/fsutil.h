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
#include <sys/types.h>

#include "err.h"

/*
 * Read all of path, at most maxlen bytes (a larger file is RB_EX_DATAERR).
 * Missing, unreadable or not a regular file: RB_EX_NOINPUT.
 */
int rb_read_file(const char *path, size_t maxlen, char **buf, size_t *len,
		 struct rb_err *e);

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

/* Create directory path and its parents (like mkdir -p) with mode. */
int rb_mkdir_p(const char *path, mode_t mode, struct rb_err *e);

/* Join dir and name into out (size n); -1 (RB_EX_USAGE) when too long. */
int rb_path_join(char *out, size_t n, const char *dir, const char *name,
		 struct rb_err *e);

#endif
