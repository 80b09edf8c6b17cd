/*
 * jsonw.h - the JSON report's writer: rbaudit's own layout, specified in
 * docs/REPORTS.md ("The JSON report's layout") and written here whole, so
 * that no library's printer decides the bytes of a signed report.
 *
 * An object is "{", a line per member ("key":<TAB>value, a comma after all
 * but the last), and "}" on a line of its own; members are indented with one
 * TAB per level.  An array is on one line: "[", its values with ", "
 * between, "]" (an object inside it is laid out as above, one level
 * deeper).  Strings escape '"', '\\', BS, FF, LF, CR and TAB as \" \\ \b \f
 * \n \r \t, other bytes below 0x20 as \u00XX, and keep every other byte as
 * it is.  A whole number from -2^31 to 2^31-1 is written in decimal; any
 * other number in the shortest of 15 or 17 significant digits (%1.15g,
 * %1.17g) that reads back as the same value; NaN and infinities as null.
 *
 * The caller owns f and v; a write error is left in ferror(f).
 */
#ifndef RB_REPORT_JSONW_H
#define RB_REPORT_JSONW_H

#include <stdio.h>

#include <cjson/cJSON.h>

/* v, laid out as its members would be at nesting depth `depth`. */
void rb_jsonw_value(FILE *f, const cJSON *v, int depth);

/* A member's key at depth: the TABs, the key as a string, ":" and a TAB. */
void rb_jsonw_key(FILE *f, const char *key, int depth);

#endif
