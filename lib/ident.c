/* ident.c - identities in normal form through utf8proc (ident.h). */
#include "ident.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "json.h"

int rb_ident_space(int cp)
{
	/*
	 * White_Space is the separators (Zs, Zl, Zp: U+0020, U+00A0, U+1680,
	 * U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) and the
	 * controls U+0009..U+000D and U+0085, which Unicode also lists.
	 */
	utf8proc_category_t k;

	if ((cp >= 0x09 && cp <= 0x0d) || cp == 0x85)
		return 1;
	k = utf8proc_category(cp);
	return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL ||
	       k == UTF8PROC_CATEGORY_ZP;
}

/* s without White_Space at either end: [*from, *to). -1 when not UTF-8. */
static int trim(const char *s, size_t *from, size_t *to)
{
	size_t n = strlen(s), i = 0, end = 0;
	int seen = 0;

	*from = *to = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = (size_t)rb_utf8_next(s + i, n - i, &cp);     /* lib/json's decoder */

		if (len == 0)
			return -1;
		if (!rb_ident_space((int)cp)) {
			if (!seen)
				*from = i;
			seen = 1;
			end = i + len;
		}
		i += len;
	}
	*to = seen ? end : *from;
	return 0;
}

/* utf8proc_map of s[0..n) with options, into *out (malloc'd); -1 on error. */
static int map(const char *s, size_t n, utf8proc_option_t opt, char **out)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &dst,
					  opt | UTF8PROC_STABLE);

	if (k < 0) {
		free(dst);
		*out = NULL;
		return (int)k;
	}
	*out = (char *)dst;
	return 0;
}

int rb_ident_normal(const char *s, char **out, struct rb_err *e)
{
	char *a = NULL, *b = NULL;
	size_t from, to;
	int rc;

	*out = NULL;
	if (trim(s, &from, &to) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "an identity is not UTF-8");
	/* NFC, then full case folding, then NFC again. */
	if ((rc = map(s + from, to - from, UTF8PROC_COMPOSE, &a)) == 0 &&
	    (rc = map(a, strlen(a), UTF8PROC_CASEFOLD, &b)) == 0) {
		free(a);
		a = NULL;
		rc = map(b, strlen(b), UTF8PROC_COMPOSE, out);
	}
	free(a);
	free(b);
	if (rc == UTF8PROC_ERROR_NOMEM)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rc != 0)
		return RB_ERR(e, RB_EX_DATAERR, "an identity cannot be normalised (%s)",
			      utf8proc_errmsg(rc));
	return 0;
}

int rb_text_present(const char *s)
{
	size_t from, to;

	return s != NULL && trim(s, &from, &to) == 0 && to > from;
}

int rb_text_width(const char *s)
{
	size_t n = s ? strlen(s) : 0, i = 0;
	int w = 0;

	while (i < n) {
		uint32_t cp;
		int len = rb_utf8_next(s + i, n - i, &cp);

		if (len == 0) {
			w++;
			i++;
			continue;
		}
		w += utf8proc_charwidth((utf8proc_int32_t)cp);
		i += (size_t)len;
	}
	return w;
}

void rb_text_pad(FILE *f, const char *s, int width, int cut)
{
	size_t n = s ? strlen(s) : 0, i = 0;
	int w = rb_text_width(s);

	if (!cut || w <= width) {
		fputs(s ? s : "", f);
	} else {
		for (w = 0; i < n;) {
			uint32_t cp;
			int len = rb_utf8_next(s + i, n - i, &cp), cw;

			cw = len == 0 ? 1 : utf8proc_charwidth((utf8proc_int32_t)cp);
			len = len == 0 ? 1 : len;
			if (w + cw > width - 1)
				break;
			fwrite(s + i, 1, (size_t)len, f);
			w += cw;
			i += (size_t)len;
		}
		fputs("\u2026", f);
		w++;
	}
	for (; w < width; w++)
		fputc(' ', f);
}

const char *rb_plural(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
