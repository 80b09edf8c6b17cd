/*
 * ident.h - who is who, and what counts as text (metrics-v1 §8.1, §8.2).
 *
 * Two spellings of an identity (an entry's actor, a key's identity, a name
 * in the policy) are the same person when their normal forms are equal:
 *
 *     normal(s) = NFC(casefold(NFC(trim(s))))
 *
 * trim removes the characters of Unicode's White_Space property from both
 * ends; NFC and full default case folding are utf8proc's (the Unicode data
 * of the libutf8proc Debian ships, never a table of ours).
 *
 * rb_ident_normal returns a malloc'd string the caller frees.
 */
#ifndef RB_IDENT_H
#define RB_IDENT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* The normal form of the UTF-8 string s, into *out; -1 (e) when s is not
 * UTF-8 or memory runs out. */
int rb_ident_normal(const char *s, char **out, struct rb_err *e);

/* Is the code point in Unicode's White_Space property? */
int rb_ident_space(int cp);

/* §8.2: does the UTF-8 string s hold a character outside White_Space
 * (0 for NULL or for text that is not UTF-8)? */
int rb_text_present(const char *s);

/*
 * The columns the UTF-8 string s takes on a terminal: utf8proc's width of
 * each character (2 for East Asian wide ones, 0 for combining marks), a
 * byte that is not UTF-8 counting 1.
 */
int rb_text_width(const char *s);

/*
 * Write s to f padded with spaces to width columns; with cut, a text wider
 * than that is cut to width - 1 columns and "…" (a column of its own).
 */
void rb_text_pad(FILE *f, const char *s, int width, int cut);

/* The noun for a count: one when n is 1, else many ("1 rollback", "2 rollbacks"). */
const char *rb_plural(long long n, const char *one, const char *many);

#endif
