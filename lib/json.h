/*
 * json.h - strict JSON on top of cJSON.
 *
 * cJSON is lenient where the ledger format is strict: it keeps duplicate
 * member names, cuts strings at "\u0000", skips control bytes as white
 * space and does not check UTF-8.  rb_json_parse adds those checks around
 * cJSON's parser.  The tree it returns is the caller's: cJSON_Delete it.
 * Accessors never allocate; the strings they return belong to the tree.
 */
#ifndef RB_JSON_H
#define RB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Largest integer rbaudit accepts from JSON: 2^53 - 1 (exact in a double). */
#define RB_JSON_MAX_INT 9007199254740991LL

/*
 * Parse buf[0..len) as one JSON value.  Fails (returns -1, with a reason in
 * why) on invalid UTF-8, a raw control byte, a string holding U+0000,
 * nesting deeper than maxdepth, a duplicate member name in any object, or
 * anything cJSON rejects.  On success *out is the tree.  A failure for
 * want of memory, not for the text, leaves errno ENOMEM (why: "out of
 * memory"); any other failure leaves errno EINVAL.  A caller that would
 * report bad text reports ENOMEM as an error of its own instead.
 */
int rb_json_parse(const char *buf, size_t len, int maxdepth, cJSON **out,
		  char *why, size_t whylen);

/*
 * An arena for trees parsed in bulk (the verifier's entries): every node of
 * a tree from rb_json_parse_in is carved from the arena, and
 * rb_json_arena_reset releases all of them at once, instead of one
 * malloc and free per node.  Never cJSON_Delete such a tree.  An arena is
 * used by one thread at a time (it may change hands between resets).
 * rb_json_arena_new also routes cJSON's allocations through rbaudit's hooks,
 * so call it before starting threads that use cJSON.
 */
typedef struct rb_json_arena rb_json_arena;

rb_json_arena *rb_json_arena_new(void);
int rb_json_parse_in(rb_json_arena *a, const char *buf, size_t len, int maxdepth,
		     cJSON **out, char *why, size_t whylen);
/*
 * Parse, into the arena, bytes that rb_json_parse has accepted before and
 * that are known to be those very bytes (bound to them by a hash): the
 * strictness checks (UTF-8, duplicates, depth) are not done again.  -1
 * when cJSON rejects them or they hold more than one value (errno EINVAL),
 * or for want of memory (errno ENOMEM).
 */
int rb_json_parse_known_in(rb_json_arena *a, const char *buf, size_t len, cJSON **out);
void rb_json_arena_reset(rb_json_arena *a);
void rb_json_arena_free(rb_json_arena *a);

/*
 * How many of cJSON's allocations have failed so far, on any thread (the
 * hooks that count them are installed by the first call).  cJSON leaves a
 * member out when it cannot allocate it, and says nothing: a stage that
 * builds a document reads this before and after, and a difference is out
 * of memory, which stops the stage rather than let it use a document with
 * an item missing.
 */
unsigned long rb_json_failures(void);

/* 1 when buf[0..len) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int rb_utf8_valid(const char *buf, size_t len);

/*
 * The code point that buf[0..len) starts with, by the same rules: its length
 * in bytes (1 to 4), or 0 when buf does not start with a valid sequence.
 */
int rb_utf8_next(const char *buf, size_t len, uint32_t *cp);

/* The member's string, or NULL when absent or not a string. */
const char *rb_json_str(const cJSON *obj, const char *name);

/*
 * The name of obj's first member that is not one of known[0..n), or NULL
 * when every member is known: files refuse what they have no place for.
 */
const char *rb_json_unknown_member(const cJSON *obj, const char *const *known, size_t n);

/*
 * The member as an integer in [min, max].  Returns 0 and sets *out, or -1
 * when the member is absent, not a number, not integral or out of range.
 */
int rb_json_int(const cJSON *obj, const char *name, int64_t min, int64_t max,
		int64_t *out);

/*
 * The line (from 1) of the first `"name":` in text at or after from, and
 * where it starts (*at, may be NULL); 0 when not found.  A guide for error
 * messages: cJSON does not keep positions.
 */
int rb_json_line_of(const char *text, const char *name, const char *from,
		    const char **at);

/* 1 when the number item holds an integral value within [min, max]. */
int rb_json_is_int(const cJSON *item, int64_t min, int64_t max);

#endif
