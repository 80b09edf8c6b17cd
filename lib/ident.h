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

#include "err.h"

/* The normal form of the UTF-8 string s, into *out; -1 (e) when s is not
 * UTF-8 or memory runs out. */
int rb_ident_normal(const char *s, char **out, struct rb_err *e);

/* Is the code point in Unicode's White_Space property? */
int rb_ident_space(int cp);

/* §8.2: does the UTF-8 string s hold a character outside White_Space
 * (0 for NULL or for text that is not UTF-8)? */
int rb_text_present(const char *s);

#endif
