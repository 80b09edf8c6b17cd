/*
 * test_template.c - focus: the template loader (report/template.c) as
 * docs/REPORTS.md describes templates: the four built-in ones load with
 * their format and file pattern; a file name is the pattern with the period
 * put in, never a path; and a wrong template is refused with exit 78,
 * naming the file, the line and the member.  Expected values are read off
 * the files in templates/ and REPORTS.md, written out here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/render.h"
#include "testutil.h"

#ifndef RB_SOURCE_DIR
#define RB_SOURCE_DIR "."
#endif

static void built_in_templates_load(void **state)
{
	static const struct {
		const char *name;
		enum rb_format format;
		const char *file;       /* for the period 2026-08 */
	} want[] = {
		{ "governance-monthly", RB_FMT_PDF, NULL },
		{ "auditor-pack", RB_FMT_PDF, NULL },
		{ "engineering-metrics", RB_FMT_XLSX, NULL },
		{ "analysis-json", RB_FMT_JSON, "analysis-2026-08.json" },
		{ "governance-html", RB_FMT_HTML, "governance-2026-08.html" },
		{ "rollbacks-csv", RB_FMT_CSV, "rollbacks-2026-08.csv" },
		{ "findings-csv", RB_FMT_CSV, "findings-2026-08.csv" },
		{ "openmetrics", RB_FMT_OPENMETRICS, "rbaudit-2026-08.prom" },
	};
	char path[512], name[256];
	struct rb_template *t;
	struct rb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(path, sizeof(path), "%s/templates/%s.json", RB_SOURCE_DIR, want[i].name);
		if (rb_template_load(path, &t, &e) != 0)
			fail_msg("%s: %s", path, e.msg);
		assert_string_equal(t->name, want[i].name);
		assert_int_equal(t->format, want[i].format);
		assert_int_equal(rb_template_filename(t, "2026-08", name, sizeof(name), &e), 0);
		assert_non_null(strstr(name, "2026-08"));
		assert_null(strchr(name, '/'));
		if (want[i].file != NULL)
			assert_string_equal(name, want[i].file);
		else
			assert_string_equal(name + strlen(name) - (want[i].format == RB_FMT_PDF ? 4 : 5),
					    want[i].format == RB_FMT_PDF ? ".pdf" : ".xlsx");
		rb_template_free(t);
	}
}

static void wrong_templates_are_named(void **state)
{
	static const struct {
		const char *text, *says;
	} cases[] = {
		{ "[1]", "is not a JSON object" },
		{ "{\"template\": \"t\", \"format\": \"docx\", \"file\": \"t.docx\"}",
		  "line 1: member \"format\"" },
		{ "{\"template\": \"t\",\n \"format\": \"json\",\n \"file\": \"t.pdf\"}",
		  "line 3: member \"file\"" },
		{ "{\"template\": \"t\", \"format\": \"json\", \"file\": \"../{period}.json\"}",
		  "member \"file\"" },
		{ "{\"template\": \"t\", \"format\": \"json\", \"file\": \"t.json\",\n"
		  " \"colour\": \"red\"}", "line 2: member \"colour\" is not a template member" },
		{ "{\"template\": \"t\", \"format\": \"pdf\", \"file\": \"t.pdf\", "
		  "\"sections\": []}", "member \"sections\" must be a non-empty array" },
		{ "{\"template\": \"t\", \"format\": \"pdf\", \"file\": \"t.pdf\", "
		  "\"sections\": [{\"type\": \"horoscope\"}]}", "member \"type\"" },
		{ "{\"format\": \"json\", \"file\": \"t.json\"}", "member \"template\"" },
	};
	char *dir = tu_tmpdir();
	const char *path = tu_path(dir, "t.json");
	struct rb_template *t = NULL;
	struct rb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_spit(path, cases[i].text, strlen(cases[i].text));
		assert_int_equal(rb_template_load(path, &t, &e), -1);
		assert_null(t);
		assert_int_equal(e.code, RB_EX_CONFIG);
		assert_non_null(strstr(e.msg, path));
		if (strstr(e.msg, cases[i].says) == NULL)
			fail_msg("case %zu: '%s' does not say %s", i, e.msg, cases[i].says);
	}
	tu_rmrf(dir);
	free(dir);
}

static void file_names_never_leave_the_folder(void **state)
{
	struct rb_template t;
	char out[64];
	struct rb_err e;

	(void)state;
	memset(&t, 0, sizeof(t));
	snprintf(t.file, sizeof(t.file), "pack-{period}.pdf");
	assert_int_equal(rb_template_filename(&t, "2026-Q3", out, sizeof(out), &e), 0);
	assert_string_equal(out, "pack-2026-Q3.pdf");
	/* A period name is the analysis's, but a file name is checked all the same. */
	snprintf(t.file, sizeof(t.file), "{period}.json");
	assert_int_equal(rb_template_filename(&t, "../x", out, sizeof(out), &e), -1);
	assert_int_equal(e.code, RB_EX_CONFIG);
	snprintf(t.file, sizeof(t.file), "MANIFEST");
	assert_int_equal(rb_template_filename(&t, "2026-08", out, sizeof(out), &e), -1);
	snprintf(t.file, sizeof(t.file), "{period}-with-a-long-name.json");
	assert_int_equal(rb_template_filename(&t, "2026-08", out, 10, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(built_in_templates_load),
		cmocka_unit_test(wrong_templates_are_named),
		cmocka_unit_test(file_names_never_leave_the_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
