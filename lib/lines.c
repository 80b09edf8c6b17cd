/* lines.c - bounded line reading with an optional running SHA-256. */
#include "lines.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

#define READ_BLOCK (256 * 1024)

struct rb_lines {
	int fd;
	char *buf;
	size_t cap, start, end;  /* unread bytes are buf[start..end) */
	size_t maxlen;
	long long lineno;
	uint64_t bytes;
	int eof, last_lf;
	rb_sha256_ctx *sha;
	const char *path;
};

int rb_lines_open(const char *path, size_t maxlen, int hash, rb_lines **out,
		  struct rb_err *e)
{
	rb_lines *r = NULL;
	int fd = -1;

	*out = NULL;
	fd = rb_open_input(path, e);
	if (fd < 0)
		return -1;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto oom;
	r->fd = fd;
	r->maxlen = maxlen;
	r->cap = (size_t)READ_BLOCK * 2;
	r->buf = malloc(r->cap);
	r->last_lf = 1;
	r->path = path;
	if (r->buf == NULL)
		goto oom;
	if (hash && (r->sha = rb_sha256_new()) == NULL)
		goto oom;
	*out = r;
	return 0;
oom:
	rb_lines_close(r);
	if (r == NULL)
		close(fd);
	return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
}

/* Read one more block after the unread bytes; returns bytes read, -1 error. */
static ssize_t fill(rb_lines *r, struct rb_err *e)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < (size_t)READ_BLOCK) {
		size_t ncap = r->cap * 2;
		char *nb = realloc(r->buf, ncap);

		if (nb == NULL)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		r->buf = nb;
		r->cap = ncap;
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return RB_ERR(e, RB_EX_IOERR, "cannot read '%s': %s", r->path,
			      strerror(errno));
	if (r->sha != NULL && n > 0)
		rb_sha256_update(r->sha, r->buf + r->end, (size_t)n);
	r->end += (size_t)n;
	r->bytes += (uint64_t)n;
	if (n == 0)
		r->eof = 1;
	return n;
}

int rb_lines_next(rb_lines *r, const char **line, size_t *len, struct rb_err *e)
{
	size_t scan = r->start, scanned;
	int toolong = 0;

	for (;;) {
		char *lf = memchr(r->buf + scan, '\n', r->end - scan);

		if (lf != NULL) {
			size_t n = (size_t)(lf - (r->buf + r->start));

			r->lineno++;
			r->last_lf = 1;
			if (toolong || n > r->maxlen + 1) {
				r->start += n + 1;
				return RB_LINES_TOOLONG;
			}
			*line = r->buf + r->start;
			r->start += n + 1;
			if (n > 0 && (*line)[n - 1] == '\r')
				n--;
			if (n > r->maxlen)
				return RB_LINES_TOOLONG;
			*len = n;
			return RB_LINES_OK;
		}
		if (r->end - r->start > r->maxlen + 1) {
			/* Too long: drop what we have and keep looking for the LF. */
			toolong = 1;
			r->start = r->end;
		}
		if (r->eof) {
			size_t n = r->end - r->start;

			if (n == 0 && !toolong)
				return RB_LINES_EOF;
			r->lineno++;
			r->last_lf = 0;
			r->start = r->end;
			if (toolong || n > r->maxlen)
				return RB_LINES_TOOLONG;
			*line = r->buf + r->end - n;
			*len = n;
			return RB_LINES_OK;
		}
		/* fill() moves the unread bytes to the front: keep the offset. */
		scanned = r->end - r->start;
		if (fill(r, e) < 0)
			return -1;
		scan = r->start + scanned;
	}
}

long long rb_lines_lineno(const rb_lines *r)
{
	return r->lineno;
}

int rb_lines_ended_lf(const rb_lines *r)
{
	return r->last_lf;
}

void rb_lines_digest(rb_lines *r, uint8_t out[32])
{
	if (r->sha != NULL)
		rb_sha256_final(r->sha, out);
	else
		memset(out, 0, 32);
}

uint64_t rb_lines_bytes(const rb_lines *r)
{
	return r->bytes;
}

void rb_lines_close(rb_lines *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	rb_sha256_free(r->sha);
	free(r->buf);
	free(r);
}
