/*
 * lines.h - bounded, streaming line reader.
 *
 * Reads a file line by line in constant memory (at most the longest line
 * allowed plus one read block), optionally hashing every byte read with
 * SHA-256.  A line is returned without its LF and without one CR before the
 * LF; a last line without LF is returned as well.  The pointer handed out
 * stays valid until the next call; the reader owns it.
 */
#ifndef RB_LINES_H
#define RB_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct rb_lines rb_lines;

enum {
	RB_LINES_EOF = 0,
	RB_LINES_OK = 1,
	RB_LINES_TOOLONG = 2    /* the line exceeded maxlen and was skipped */
};

/*
 * Open path for reading lines of at most maxlen bytes.  With hash set, a
 * SHA-256 of the file's bytes is kept.  Errors: RB_EX_NOINPUT when the file
 * is missing, unreadable or not a regular file.
 */
int rb_lines_open(const char *path, size_t maxlen, int hash, rb_lines **out,
		  struct rb_err *e);

/*
 * Read the next line.  Returns RB_LINES_OK with *line and *len set,
 * RB_LINES_TOOLONG (line skipped, its number counted), RB_LINES_EOF, or
 * -1 with *e filled on a read error.
 */
int rb_lines_next(rb_lines *r, const char **line, size_t *len, struct rb_err *e);

/* Number of the line last returned, counting from 1. */
long long rb_lines_lineno(const rb_lines *r);

/* After EOF: 1 when the file was empty or ended with LF, else 0. */
int rb_lines_ended_lf(const rb_lines *r);

/* After EOF: SHA-256 of every byte of the file (needs hash at open). */
void rb_lines_digest(rb_lines *r, uint8_t out[32]);

/* Total bytes read so far. */
uint64_t rb_lines_bytes(const rb_lines *r);

void rb_lines_close(rb_lines *r);

#endif
