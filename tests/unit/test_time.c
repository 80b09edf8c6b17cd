/*
 * test_time.c - focus: the RFC 3339 subset of the ledger format is parsed
 * exactly (UTC "Z", 1-9 fraction digits, real calendar dates) and written
 * back the same way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/rtime.h"

static int parse(const char *s, struct rb_time *t)
{
	return rb_time_parse(s, strlen(s), t);
}

static void accepts_valid_times(void **state)
{
	struct rb_time t;

	(void)state;
	assert_int_equal(parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t.sec, 0);
	assert_int_equal(parse("2026-07-01T00:36:31Z", &t), 0);
	assert_int_equal(t.sec, 1782866191);
	assert_int_equal(t.nsec, 0);
	assert_int_equal(parse("2024-02-29T23:59:59.5Z", &t), 0);
	assert_int_equal(t.nsec, 500000000);
	assert_int_equal(parse("2026-01-01T00:00:00.123456789Z", &t), 0);
	assert_int_equal(t.nsec, 123456789);
	assert_int_equal(parse("1969-12-31T23:59:59Z", &t), 0);
	assert_int_equal(t.sec, -1);
}

static void rejects_other_forms(void **state)
{
	static const char *bad[] = {
		"2026-07-01T00:36:31", "2026-07-01T00:36:31+00:00", "2026-07-01 00:36:31Z",
		"2026-07-01t00:36:31Z", "2026-07-01T00:36:31z", "2026-13-01T00:00:00Z",
		"2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-07-01T24:00:00Z",
		"2026-07-01T00:60:00Z", "2026-07-01T00:00:60Z", "2026-07-01T00:00:00.Z",
		"2026-07-01T00:00:00.1234567890Z", "26-07-01T00:00:00Z", "",
		"2026-07-01T00:00:00ZZ", "+026-07-01T00:00:00Z", "2026-7-01T00:00:00Z",
	};
	struct rb_time t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &t) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void formats_and_compares(void **state)
{
	struct rb_time a, b;
	char out[RB_TIME_MAX];

	(void)state;
	assert_int_equal(parse("2026-08-31T22:40:47.250Z", &a), 0);
	rb_time_format(&a, out);
	assert_string_equal(out, "2026-08-31T22:40:47.25Z");
	assert_int_equal(parse("2026-08-31T22:40:47Z", &b), 0);
	rb_time_format(&b, out);
	assert_string_equal(out, "2026-08-31T22:40:47Z");
	assert_true(rb_time_cmp(&b, &a) < 0);
	assert_true(rb_time_cmp(&a, &b) > 0);
	assert_int_equal(rb_time_cmp(&a, &a), 0);
	assert_true(rb_time_diff(&b, &a) > 0.24 && rb_time_diff(&b, &a) < 0.26);
	/* Fractions of different lengths compare by value. */
	assert_int_equal(parse("2026-08-31T22:40:47.5Z", &a), 0);
	assert_int_equal(parse("2026-08-31T22:40:47.499999999Z", &b), 0);
	assert_true(rb_time_cmp(&b, &a) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_valid_times),
		cmocka_unit_test(rejects_other_forms),
		cmocka_unit_test(formats_and_compares),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
