/*
 * test_ident.c - focus: metrics-v1 §8.1's normal form of an identity and
 * §8.2's present text.  The expected forms are worked out by hand from
 * Unicode's CaseFolding.txt (statuses C and F) and its compositions: the
 * spellings of the trial that evaded separation of duties (case, NFD,
 * trailing space), and the cases where case folding is more than
 * lowercasing (ß, Turkish dotted İ, Greek final sigma, combining marks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ident.h"

static void expect_normal(const char *in, const char *want)
{
	struct rb_err e;
	char *got = NULL;

	if (rb_ident_normal(in, &got, &e) != 0)
		fail_msg("normal(\"%s\"): %s", in, e.msg);
	if (strcmp(got, want) != 0)
		fail_msg("normal(\"%s\") is \"%s\", not \"%s\"", in, got, want);
	free(got);
}

/* The trial's spellings all name olga@x. */
static void the_trials_spellings_are_one_person(void **state)
{
	(void)state;
	expect_normal("olga@x", "olga@x");
	expect_normal("Olga@X", "olga@x");
	expect_normal("OLGA@X", "olga@x");
	expect_normal("olga@x ", "olga@x");
	expect_normal("\tolga@x\n", "olga@x");
	/* U+00A0 no-break space, U+3000 ideographic space, U+2003 em space */
	expect_normal("\xc2\xa0olga@x\xe3\x80\x80", "olga@x");
	expect_normal("\xe2\x80\x83Olga@X\xe2\x80\x83", "olga@x");
	/* zoë in NFC (U+00EB) and in NFD (e + U+0308): the NFC form */
	expect_normal("zo\xc3\xab@x", "zo\xc3\xab@x");
	expect_normal("zoe\xcc\x88@x", "zo\xc3\xab@x");
	expect_normal("ZOE\xcc\x88@X", "zo\xc3\xab@x");
	/* White_Space inside is kept: two words stay two words */
	expect_normal("olga  petrova", "olga  petrova");
}

static void case_folding_is_full_folding(void **state)
{
	(void)state;
	/* ß (U+00DF) folds to "ss" (status F), so Straße is STRASSE. */
	expect_normal("Stra\xc3\x9f" "e", "strasse");
	expect_normal("STRASSE", "strasse");
	/* ẞ capital sharp s (U+1E9E) folds to "ss" too. */
	expect_normal("\xe1\xba\x9e", "ss");
	/* İ (U+0130) folds to i + U+0307 (F), which has no composed form:
	 * not the same person as I. */
	expect_normal("\xc4\xb0", "i\xcc\x87");
	expect_normal("I", "i");
	/* Greek: Σ (U+03A3) and final ς (U+03C2) both fold to σ (U+03C3). */
	expect_normal("\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf\xce\xb4\xce\xbf\xcf\x83");
	expect_normal("\xce\xbf\xce\xb4\xce\xbf\xcf\x82", "\xce\xbf\xce\xb4\xce\xbf\xcf\x83");
	/* Combining marks compose after folding: É as E + U+0301 is é (U+00E9). */
	expect_normal("E\xcc\x81", "\xc3\xa9");
	expect_normal("\xc3\x89", "\xc3\xa9");
	/* Ł (U+0141) is ł (U+0142); a dot below and acute in either order are
	 * put in canonical order: ệ written e + U+0302 + U+0323 is U+1EC7. */
	expect_normal("\xc5\x81ukasz", "\xc5\x82ukasz");
	expect_normal("e\xcc\x82\xcc\xa3", "\xe1\xbb\x87");
	expect_normal("e\xcc\xa3\xcc\x82", "\xe1\xbb\x87");
}

static void edges(void **state)
{
	struct rb_err e;
	char *got = NULL;

	(void)state;
	expect_normal("", "");
	expect_normal(" \t ", "");
	assert_int_not_equal(rb_ident_normal("ol\xffga", &got, &e), 0);
	assert_null(got);
	assert_int_equal(e.code, RB_EX_DATAERR);
}

static void present_text_has_a_non_space_character(void **state)
{
	(void)state;
	assert_false(rb_text_present(NULL));
	assert_false(rb_text_present(""));
	assert_false(rb_text_present("   "));
	assert_false(rb_text_present("\t\r\n\v\f"));
	/* U+0085, U+00A0, U+1680, U+2000, U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 */
	assert_false(rb_text_present("\xc2\x85\xc2\xa0\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x8a"
				     "\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\x9f\xe3\x80\x80"));
	assert_true(rb_text_present("x"));
	assert_true(rb_text_present("  see INC-7  "));
	/* U+200B zero width space is not White_Space (it is a format character). */
	assert_true(rb_text_present("\xe2\x80\x8b"));
	assert_true(rb_ident_space(0x3000));
	assert_false(rb_ident_space(0x200b));
	assert_false(rb_ident_space('a'));
}

/* Widths from Unicode's East_Asian_Width and general categories, worked out by hand. */
static void display_width_counts_columns_not_bytes(void **state)
{
	(void)state;
	assert_int_equal(rb_text_width(""), 0);
	assert_int_equal(rb_text_width("billing"), 7);
	assert_int_equal(rb_text_width("zo\xc3\xab"), 3);                 /* zoë: 4 bytes */
	assert_int_equal(rb_text_width("\xe6\x9d\x8e\xe4\xbc\x9f"), 4);   /* 李伟: wide */
	assert_int_equal(rb_text_width("e\xcc\x81"), 1);                  /* e + combining acute */
	assert_int_equal(rb_text_width("\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85"), 4);   /* سلام */
	assert_int_equal(rb_text_width("\xff"), 1);                        /* not UTF-8 */
}

static void pad_to_columns(const char *s, int width, int cut, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	rb_text_pad(f, s, width, cut);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

static void padding_and_cutting_by_columns(void **state)
{
	(void)state;
	pad_to_columns("ab", 5, 0, "ab   ");
	pad_to_columns("\xe6\x9d\x8e\xe4\xbc\x9f", 6, 1, "\xe6\x9d\x8e\xe4\xbc\x9f  ");
	pad_to_columns("abcdefgh", 5, 0, "abcdefgh");               /* never cut without cut */
	pad_to_columns("abcdefgh", 5, 1, "abcd\xe2\x80\xa6");       /* abcd… */
	/* 李伟李 is 6 columns: in 4, 李 (2) and … (1) and a space. */
	pad_to_columns("\xe6\x9d\x8e\xe4\xbc\x9f\xe6\x9d\x8e", 4, 1, "\xe6\x9d\x8e\xe2\x80\xa6 ");
}

static void plurals(void **state)
{
	(void)state;
	assert_string_equal(rb_plural(1, "rollback", "rollbacks"), "rollback");
	assert_string_equal(rb_plural(0, "rollback", "rollbacks"), "rollbacks");
	assert_string_equal(rb_plural(2, "entry", "entries"), "entries");
	assert_string_equal(rb_plural(-1, "entry", "entries"), "entries");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_trials_spellings_are_one_person),
		cmocka_unit_test(case_folding_is_full_folding),
		cmocka_unit_test(edges),
		cmocka_unit_test(present_text_has_a_non_space_character),
		cmocka_unit_test(display_width_counts_columns_not_bytes),
		cmocka_unit_test(padding_and_cutting_by_columns),
		cmocka_unit_test(plurals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
