/*
 * test_json.c - focus: the strict JSON rules of ledger-export-v1 §3 that
 * cJSON alone does not enforce: duplicate members at any depth, U+0000 in
 * strings, invalid UTF-8, control bytes, nesting depth, trailing text; and
 * the integer accessor's range checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/json.h"

static int parse(const char *s, int depth)
{
	char why[160];
	cJSON *j = NULL;
	int rc = rb_json_parse(s, strlen(s), depth, &j, why, sizeof(why));

	cJSON_Delete(j);
	return rc;
}

static void accepts_plain_json(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"a\":1,\"b\":[1,2,{\"a\":2}],\"c\":\"z\\u00fc\"}", 64), 0);
	assert_int_equal(parse(" {\"a\":\"\\\\u0000\"} \r\n", 64), 0); /* escaped backslash */
	assert_int_equal(parse("{\"n\":\"zo\xc3\xab \xc5\x82ukasz \xf0\x9f\x98\x80\"}", 64), 0);
}

static void rejects_duplicates_anywhere(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"a\":1,\"a\":1}", 64), -1);
	assert_int_equal(parse("{\"a\":1,\"b\":{\"x\":1,\"y\":2,\"x\":3}}", 64), -1);
	assert_int_equal(parse("[{\"k\":1},{\"k\":1,\"k\":2}]", 64), -1);
	/* The same name in different objects is fine. */
	assert_int_equal(parse("[{\"k\":1},{\"k\":1}]", 64), 0);
}

static void rejects_nul_and_bad_bytes(void **state)
{
	char why[160];
	cJSON *j = NULL;
	static const char raw_nul[] = "{\"a\":\"x\0y\"}";

	(void)state;
	assert_int_equal(parse("{\"a\":\"x\\u0000y\"}", 64), -1);
	assert_int_equal(parse("{\"a\\u0000\":1}", 64), -1);
	assert_int_equal(rb_json_parse(raw_nul, sizeof(raw_nul) - 1, 64, &j, why,
				       sizeof(why)), -1);
	assert_int_equal(parse("{\"a\":\"\x01\"}", 64), -1);
	assert_int_equal(parse("{\"a\":\"tab\there\"}", 64), -1);
	assert_int_equal(parse("{\"a\":\"\xc0\xaf\"}", 64), -1);       /* overlong */
	assert_int_equal(parse("{\"a\":\"\xed\xa0\x80\"}", 64), -1);   /* surrogate */
	assert_int_equal(parse("{\"a\":\"\xf4\x90\x80\x80\"}", 64), -1); /* > U+10FFFF */
	assert_int_equal(parse("{\"a\":\"\xff\"}", 64), -1);
	assert_int_equal(parse("{\"a\":\"\xc3\"}", 64), -1);           /* cut short */
	assert_int_equal(parse("{\"a\":\"\\ud800\"}", 64), -1);        /* lone surrogate */
	assert_int_equal(parse("{\x01\"a\":1}", 64), -1);
}

static void rejects_trailing_text_and_syntax(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"a\":1} x", 64), -1);
	assert_int_equal(parse("{\"a\":1}{}", 64), -1);
	assert_int_equal(parse("{\"a\":1,}", 64), -1);
	assert_int_equal(parse("", 64), -1);
	assert_int_equal(parse("{\"a\":NaN}", 64), -1);
}

static void limits_depth(void **state)
{
	char buf[300];
	int i;

	(void)state;
	for (i = 0; i < 64; i++)
		buf[i] = '[';
	for (i = 0; i < 64; i++)
		buf[64 + i] = ']';
	buf[128] = '\0';
	assert_int_equal(parse(buf, 64), 0);
	memmove(buf + 1, buf, 129);
	buf[0] = '[';
	strcat(buf, "]");
	assert_int_equal(parse(buf, 64), -1);
}

static void deep_nesting_is_refused_before_parsing(void **state)
{
	size_t n = 200000, i;
	char *buf = malloc(2 * n + 1);

	(void)state;
	for (i = 0; i < n; i++) {
		buf[i] = '[';
		buf[n + i] = ']';
	}
	buf[2 * n] = '\0';
	assert_int_equal(parse(buf, 64), -1);
	free(buf);
}

/*
 * The raw scan skips plain string content eight bytes at a time: a control
 * byte, a quote, a backslash or "\u0000" at every offset of a long string
 * (every position within the eight-byte words, and the tail) is still seen,
 * and an arena parse gives the same tree as an ordinary one.
 */
static void long_strings_are_checked_at_every_offset(void **state)
{
	char text[128], why[160];
	rb_json_arena *a = rb_json_arena_new();
	cJSON *j = NULL, *k = NULL;
	size_t off;

	(void)state;
	assert_non_null(a);
	for (off = 0; off < 39; off++) {  /* the escaped quote needs two bytes */
		char s[48];

		memset(s, 'a', sizeof(s));
		s[40] = '\0';
		s[off] = '\t';         /* a raw control byte */
		snprintf(text, sizeof(text), "{\"k\":\"%s\"}", s);
		assert_int_not_equal(rb_json_parse(text, strlen(text), 8, &j, why, sizeof(why)), 0);
		assert_non_null(strstr(why, "control byte"));
		memset(s, 'a', 40);
		memcpy(s + off, "\\\"", 2);     /* an escaped quote: still one string */
		s[40] = '\0';
		snprintf(text, sizeof(text), "{\"k\":\"%s\",\"m\":1}", s);
		assert_int_equal(rb_json_parse(text, strlen(text), 8, &j, why, sizeof(why)), 0);
		assert_int_equal(rb_json_parse_in(a, text, strlen(text), 8, &k, why,
						  sizeof(why)), 0);
		assert_true(cJSON_Compare(j, k, 1));
		assert_int_equal((int)cJSON_GetObjectItem(k, "m")->valuedouble, 1);
		cJSON_Delete(j);
		rb_json_arena_reset(a);
		memset(s, 'a', 40);
		if (off <= 34) {
			memcpy(s + off, "\\u0000", 6);
			s[40] = '\0';
			snprintf(text, sizeof(text), "{\"k\":\"%s\"}", s);
			assert_int_not_equal(rb_json_parse(text, strlen(text), 8, &j, why,
							   sizeof(why)), 0);
			assert_non_null(strstr(why, "U+0000"));
		}
	}
	rb_json_arena_free(a);
}

static void integers_in_range_only(void **state)
{
	cJSON *j = cJSON_Parse("{\"a\":1,\"b\":1.5,\"c\":9007199254740992,\"d\":-0,"
			       "\"e\":1e400,\"f\":\"1\",\"g\":9007199254740991}");
	int64_t v;

	(void)state;
	assert_int_equal(rb_json_int(j, "a", 0, 10, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(rb_json_int(j, "a", 2, 10, &v), -1);
	assert_int_equal(rb_json_int(j, "b", 0, 10, &v), -1);
	assert_int_equal(rb_json_int(j, "c", 0, RB_JSON_MAX_INT, &v), -1);
	assert_int_equal(rb_json_int(j, "d", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(rb_json_int(j, "e", 0, RB_JSON_MAX_INT, &v), -1);
	assert_int_equal(rb_json_int(j, "f", 0, 10, &v), -1);
	assert_int_equal(rb_json_int(j, "missing", 0, 10, &v), -1);
	assert_int_equal(rb_json_int(j, "g", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, RB_JSON_MAX_INT);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_plain_json),
		cmocka_unit_test(rejects_duplicates_anywhere),
		cmocka_unit_test(rejects_nul_and_bad_bytes),
		cmocka_unit_test(rejects_trailing_text_and_syntax),
		cmocka_unit_test(limits_depth),
		cmocka_unit_test(deep_nesting_is_refused_before_parsing),
		cmocka_unit_test(integers_in_range_only),
		cmocka_unit_test(long_strings_are_checked_at_every_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
