/*
 * test_jsonw.c - focus: the JSON report's layout (report/jsonw.c) is the
 * one docs/REPORTS.md specifies: objects a member per line with TABs,
 * arrays on one line with ", ", strings escaped as listed, numbers whole
 * in decimal and others in 15 or 17 digits.  The expected texts are
 * written out by hand from that specification.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "report/jsonw.h"

/* What rb_jsonw_value writes for v at depth. */
static char *written(const cJSON *v, int depth)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	rb_jsonw_value(f, v, depth);
	fclose(f);
	return buf;
}

static void expect(const char *json, int depth, const char *want)
{
	cJSON *v = cJSON_Parse(json);
	char *got;

	assert_non_null(v);
	got = written(v, depth);
	assert_string_equal(got, want);
	free(got);
	cJSON_Delete(v);
}

static void objects_and_arrays(void **state)
{
	(void)state;
	expect("{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{}}", 0,
	       "{\n\t\"a\":\t1,\n\t\"b\":\t[1, 2, {\n\t\t\t\"c\":\tnull\n\t\t}],\n"
	       "\t\"d\":\t{\n\t}\n}");
	expect("{\"x\":true,\"y\":false}", 2, "{\n\t\t\t\"x\":\ttrue,\n\t\t\t\"y\":\tfalse\n\t\t}");
	expect("[]", 0, "[]");
	expect("[[],[\"s\"]]", 0, "[[], [\"s\"]]");
}

static void strings(void **state)
{
	cJSON *v = cJSON_CreateString("q\" b\\ \b\f\n\r\t \x01\x1f \xc3\xa9 /");
	char *got;

	(void)state;
	got = written(v, 0);
	assert_string_equal(got, "\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f \xc3\xa9 /\"");
	free(got);
	cJSON_Delete(v);
}

static void numbers(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" }, { -7, "-7" }, { 2147483647.0, "2147483647" },
		{ -2147483648.0, "-2147483648" },
		{ 2147483648.0, "2147483648" },          /* %1.15g of a whole number */
		{ 9007199254740991.0, "9.00719925474099e+15" },
		{ 0.5, "0.5" }, { 3600.25, "3600.25" },
		{ 1.0 / 3.0, "0.33333333333333331" },     /* 15 digits do not read back */
		{ 0.1, "0.1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *v = cJSON_CreateNumber(cases[i].v);
		char *got = written(v, 0);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%.17g: '%s', not '%s'", cases[i].v, got, cases[i].want);
		free(got);
		cJSON_Delete(v);
	}
	{
		cJSON *v = cJSON_CreateNumber(NAN);
		char *got = written(v, 0);

		assert_string_equal(got, "null");
		free(got);
		cJSON_Delete(v);
	}
}

static void keys(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	rb_jsonw_key(f, "rollbacks", 2);
	rb_jsonw_key(f, "a\"b", 0);
	fclose(f);
	assert_string_equal(buf, "\t\t\"rollbacks\":\t\"a\\\"b\":\t");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(objects_and_arrays),
		cmocka_unit_test(strings),
		cmocka_unit_test(numbers),
		cmocka_unit_test(keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
