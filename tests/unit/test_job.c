/*
 * test_job.c - focus: the job file as rbaudit(1)'s THE JOB FILE describes
 * it: the defaults it states (alert at level high and on the findings
 * approvals-missing, separation-of-duties, emergency-unreviewed and
 * security-regression; trend 6, sample 25, busy_timeout 60 s,
 * settle_seconds 300, stale_after_hours 48), paths relative to the file,
 * and a missing, unknown or contradicting member refused with exit 78
 * naming it.  The expected values are the man page's, written out here.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "job/job.h"
#include "lib/vocab.h"
#include "testutil.h"

static const char minimal[] =
	"{\"database\": \"a.db\", \"trust_store\": \"keys.json\", \"inbox\": \"in\",\n"
	" \"output\": \"reports/{period}\", \"templates\": [\"analysis-json\"]}\n";

static int load(const char *dir, const char *text, struct rb_job *j, struct rb_err *e)
{
	const char *path = tu_path(dir, "job.json");

	tu_spit(path, text, strlen(text));
	return rb_job_load(path, j, e);
}

static void defaults_are_the_man_pages(void **state)
{
	static const char *const alerting[] = { "approvals-missing", "separation-of-duties",
		"emergency-unreviewed", "security-regression",
		/* revision 2's findings alert too */
		"unauthorized-actor", "rejected-executed" };
	char *dir = tu_tmpdir();
	struct rb_job *j = calloc(1, sizeof(*j));
	struct rb_err e;
	size_t k, i;

	(void)state;
	assert_non_null(j);
	assert_int_equal(load(dir, minimal, j, &e), 0);
	assert_int_equal(j->alert_level, 2);            /* low 0, medium 1, high 2 */
	for (k = 0; k < RB_NFINDINGS; k++) {
		int want = 0;

		for (i = 0; i < sizeof(alerting) / sizeof(alerting[0]); i++)
			want |= strcmp(rb_finding_names[k], alerting[i]) == 0;
		assert_int_equal((j->alert_findings >> k) & 1, want);
	}
	assert_int_equal(j->alert_findings >> RB_NFINDINGS, 0);
	assert_int_equal(j->trend, 6);
	assert_int_equal(j->sample, 25);
	assert_int_equal(j->busy_ms, 60000);
	assert_int_equal(j->settle_s, 300);
	assert_int_equal(j->stale_after_h, 48);
	assert_int_equal(j->retention, 0);
	assert_int_equal(j->log_json, 0);
	/* Relative paths are relative to the job file's folder. */
	assert_string_equal(j->database, tu_path(dir, "a.db"));
	assert_string_equal(j->trust_store, tu_path(dir, "keys.json"));
	assert_int_equal(j->ntemplates, 1);
	tu_rmrf(dir);
	free(dir);
	free(j);
}

static void alert_members_replace_the_defaults(void **state)
{
	char *dir = tu_tmpdir();
	struct rb_job *j = calloc(1, sizeof(*j));
	struct rb_err e;
	int k;

	(void)state;
	assert_int_equal(load(dir, "{\"database\": \"a.db\", \"trust_store\": \"k.json\", "
			      "\"inbox\": \"in\", \"output\": \"r/{period}\", \"templates\": "
			      "[\"analysis-json\"], \"alert_level\": \"none\", \"alert_findings\": "
			      "[\"unverified\", \"stale-revert\"]}", j, &e), 0);
	assert_int_equal(j->alert_level, RB_NLEVELS);   /* none: no level alerts */
	for (k = 0; k < RB_NFINDINGS; k++)
		assert_int_equal((j->alert_findings >> k) & 1,
				 strcmp(rb_finding_names[k], "unverified") == 0 ||
				 strcmp(rb_finding_names[k], "stale-revert") == 0);
	assert_int_equal(load(dir, "{\"database\": \"a.db\", \"trust_store\": \"k.json\", "
			      "\"inbox\": \"in\", \"output\": \"r/{period}\", \"templates\": "
			      "[\"analysis-json\"], \"alert_findings\": []}", j, &e), 0);
	assert_int_equal(j->alert_findings, 0);
	tu_rmrf(dir);
	free(dir);
	free(j);
}

static void bad_members_are_named(void **state)
{
	static const struct {
		const char *text, *says;
	} cases[] = {
		{ "{\"database\": \"a.db\", \"inbox\": \"in\", \"output\": \"r/{period}\", "
		  "\"templates\": [\"analysis-json\"]}", "\"trust_store\" is required" },
		{ "{\"database\": \"a.db\", \"trust_store\": \"k.json\", \"inbox\": \"in\", "
		  "\"output\": \"r/{period}\", \"templates\": [\"analysis-json\"], "
		  "\"alert_findings\": [\"late\"]}", "alert_findings" },
		{ "{\"database\": \"a.db\", \"trust_store\": \"k.json\", \"inbox\": \"in\", "
		  "\"output\": \"r/{period}\", \"templates\": [\"analysis-json\"], "
		  "\"alert_level\": \"severe\"}", "alert_level" },
		{ "{\"database\": \"a.db\", \"trust_store\": \"k.json\", \"inbox\": \"in\", "
		  "\"output\": \"reports\", \"templates\": [\"analysis-json\"]}", "output" },
		{ "{\"database\": \"a.db\", \"trust_store\": \"k.json\", \"inbox\": \"in\", "
		  "\"output\": \"r/{period}\", \"templates\": [\"analysis-json\"], "
		  "\"trend\": 121}", "trend" },
		{ "{\"database\": \"a.db\", \"trust_store\": \"k.json\", \"inbox\": \"in\", "
		  "\"output\": \"r/{period}\", \"templates\": [\"analysis-json\"], "
		  "\"colour\": \"red\"}", "colour" },
		{ "{\"database\": \"a.db\", \"trust_store\": \"k.json\", \"inbox\": \"in\", "
		  "\"archive\": \"in/done\", \"output\": \"r/{period}\", "
		  "\"templates\": [\"analysis-json\"]}", "archive" },
	};
	char *dir = tu_tmpdir();
	struct rb_job *j = calloc(1, sizeof(*j));
	struct rb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(dir, cases[i].text, j, &e), -1);
		assert_int_equal(e.code, RB_EX_CONFIG);
		if (strstr(e.msg, cases[i].says) == NULL)
			fail_msg("case %zu: '%s' does not name %s", i, e.msg, cases[i].says);
	}
	tu_rmrf(dir);
	free(dir);
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_the_man_pages),
		cmocka_unit_test(alert_members_replace_the_defaults),
		cmocka_unit_test(bad_members_are_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
