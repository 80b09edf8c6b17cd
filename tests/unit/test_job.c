/*
 * test_job.c - focus: the job file as rbaudit(1)'s THE JOB FILE describes
 * it: the defaults it states (alert at level high and on the findings
 * approvals-missing, separation-of-duties, emergency-unreviewed and
 * security-regression; trend 6, sample 25, busy_timeout 60 s,
 * settle_seconds 300, stale_after_hours 48), paths relative to the file,
 * and a missing, unknown or contradicting member refused with exit 78
 * naming it.  The expected values are the man page's, written out here.
 * Issue #22's members: notify_command is kept as the argv it is (only a
 * relative program path made relative to the job file), notify_timeout
 * defaults to 60 s, openmetrics_textfile adds the openmetrics template,
 * "ledgers" needs {ledger} in output, and the textfile copy replaces the
 * file (a new inode, mode 0644) or, failing, leaves it as it was.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "job/job.h"
#include "job/notify.h"
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

#define BASE "{\"database\": \"a.db\", \"trust_store\": \"k.json\", \"inbox\": \"in\", " \
	"\"templates\": [\"analysis-json\"], "

static void issue22_members_load(void **state)
{
	char *dir = tu_tmpdir();
	struct rb_job *j = calloc(1, sizeof(*j));
	struct rb_err e;
	char want[PATH_MAX];

	(void)state;
	assert_non_null(j);
	assert_int_equal(load(dir, BASE "\"output\": \"r/{period}\"}", j, &e), 0);
	assert_int_equal(j->nnotify, 0);
	assert_int_equal(j->notify_timeout_s, 60);
	assert_int_equal(j->nledgers, 0);
	assert_string_equal(j->textfile, "");
	assert_string_equal(j->cal.tz, "");
	assert_int_equal(j->cal.fy_first_month, 1);
	/* argv as written: no word splitting, no expansion; ./bin relative to the file. */
	assert_int_equal(load(dir, BASE "\"output\": \"r/{period}\", \"notify_command\": "
			      "[\"bin/notify\", \"a; touch x\", \"$(id)\", \"two words\"], "
			      "\"notify_timeout\": 5, \"tz\": \"UTC\"}", j, &e), 0);
	assert_int_equal(j->nnotify, 4);
	snprintf(want, sizeof(want), "%s/bin/notify", dir);
	assert_string_equal(j->notify[0], want);
	assert_string_equal(j->notify[1], "a; touch x");
	assert_string_equal(j->notify[2], "$(id)");
	assert_string_equal(j->notify[3], "two words");
	assert_int_equal(j->notify_timeout_s, 5);
	assert_string_equal(j->cal.tz, "");             /* "UTC" is the default */
	assert_int_equal(load(dir, BASE "\"output\": \"r/{period}\", \"notify_command\": "
			      "[\"mail\"]}", j, &e), 0);
	assert_string_equal(j->notify[0], "mail");     /* a name: looked up in PATH */
	/* The textfile brings the openmetrics template, once. */
	assert_int_equal(load(dir, BASE "\"output\": \"r/{period}\", \"openmetrics_textfile\": "
			      "\"/var/lib/node/rbaudit.prom\"}", j, &e), 0);
	assert_int_equal(j->ntemplates, 2);
	assert_string_equal(j->templates[1], "openmetrics");
	assert_string_equal(j->textfile, "/var/lib/node/rbaudit.prom");
	assert_int_equal(load(dir, "{\"database\": \"a.db\", \"trust_store\": \"k.json\", "
			      "\"inbox\": \"in\", \"templates\": [\"openmetrics\", \"analysis-json\"], "
			      "\"output\": \"r/{period}\", \"openmetrics_textfile\": \"m.prom\"}", j,
			      &e), 0);
	assert_int_equal(j->ntemplates, 2);
	/* Ledgers, each in its own folder. */
	assert_int_equal(load(dir, BASE "\"output\": \"r/{ledger}/{period}\", \"ledgers\": "
			      "[\"acme.example/a\", \"acme.example/b\"], \"openmetrics_textfile\": "
			      "\"m-{ledger}.prom\", \"summary\": \"r/summary-{period}.json\"}", j, &e), 0);
	assert_int_equal(j->nledgers, 2);
	assert_string_equal(j->ledgers[1], "acme.example/b");
	snprintf(want, sizeof(want), "%s/r/summary-{period}.json", dir);
	assert_string_equal(j->summary, want);
	tu_rmrf(dir);
	free(dir);
	free(j);
}

static void issue22_bad_members_are_named(void **state)
{
	static const struct {
		const char *text, *says;
	} cases[] = {
		{ BASE "\"output\": \"r/{period}\", \"ledger\": \"x\", \"ledgers\": [\"y\"]}",
		  "\"ledgers\" cannot be given with \"ledger\"" },
		{ BASE "\"output\": \"r/{period}\", \"ledgers\": [\"x\", \"y\"]}",
		  "\"output\" must hold {ledger}" },
		{ BASE "\"output\": \"r/{ledger}/{period}\"}", "names no \"ledgers\"" },
		{ BASE "\"output\": \"r/{ledger}/{period}\", \"ledgers\": [\"a/b\", \"a_b\"]}",
		  "the same {ledger} name 'a_b'" },
		{ BASE "\"output\": \"r/{period}\", \"ledgers\": []}", "\"ledgers\" must be" },
		{ BASE "\"output\": \"r/{period}\", \"notify_command\": \"mail x\"}",
		  "\"notify_command\" must be an array" },
		{ BASE "\"output\": \"r/{period}\", \"notify_command\": [\"\"]}", "notify_command" },
		{ BASE "\"output\": \"r/{period}\", \"notify_command\": [\"m\"], "
		  "\"notify_timeout\": 0}", "\"notify_timeout\" must be a whole number from 1" },
		{ BASE "\"output\": \"r/{period}\", \"openmetrics_textfile\": \"m.txt\"}",
		  "*.prom" },
		{ BASE "\"output\": \"r/{period}\", \"openmetrics_textfile\": \"m-{period}.prom\"}",
		  "must not hold {period}" },
		{ BASE "\"output\": \"r/{ledger}/{period}\", \"ledgers\": [\"x\", \"y\"], "
		  "\"openmetrics_textfile\": \"m.prom\"}", "\"openmetrics_textfile\" must hold {ledger}" },
		{ BASE "\"output\": \"r/{period}\", \"summary\": \"in/s.json\"}",
		  "\"summary\" and \"inbox\"" },
		{ BASE "\"output\": \"r/{period}\", \"summary\": \"r/2026-01/s.json\"}",
		  "inside a report folder" },
		{ BASE "\"output\": \"r/{period}\", \"fiscal_start\": 13}", "\"fiscal_start\"" },
		{ BASE "\"output\": \"r/{period}\", \"tz\": 1}", "\"tz\" must be a time zone" },
	};
	char *dir = tu_tmpdir();
	struct rb_job *j = calloc(1, sizeof(*j));
	struct rb_err e;
	size_t i;

	(void)state;
	assert_non_null(j);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (load(dir, cases[i].text, j, &e) != -1)
			fail_msg("case %zu loads", i);
		assert_int_equal(e.code, RB_EX_CONFIG);
		if (strstr(e.msg, cases[i].says) == NULL)
			fail_msg("case %zu: '%s' does not name %s", i, e.msg, cases[i].says);
	}
	tu_rmrf(dir);
	free(dir);
	free(j);
}

static void ledger_names_are_file_names(void **state)
{
	char out[64];

	(void)state;
	rb_job_ledger_name("acme.example/rollback-ledger", out, sizeof(out));
	assert_string_equal(out, "acme.example_rollback-ledger");
	rb_job_ledger_name("../x y", out, sizeof(out));
	assert_string_equal(out, "_._x_y");             /* no parent part, no separator */
	rb_job_ledger_name("a\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "a__");                /* each byte of a non-ASCII letter */
	rb_job_ledger_name("abcdef", out, 4);
	assert_string_equal(out, "abc");
}

static void textfile_is_replaced_whole(void **state)
{
	char *dir = tu_tmpdir(), src[PATH_MAX], dest[PATH_MAX], from[PATH_MAX], *got;
	struct stat before, after;
	struct rb_err e;
	size_t len;

	(void)state;
	snprintf(src, sizeof(src), "%s/2026-07", dir);
	snprintf(dest, sizeof(dest), "%s/rbaudit.prom", dir);
	assert_int_equal(mkdir(src, 0750), 0);
	tu_spit(tu_path(src, "rbaudit-2026-07.prom"), "new 2\n", 6);
	tu_spit(tu_path(src, "other.prom"), "other 3\n", 8);
	tu_spit(dest, "old 1\n", 6);
	assert_int_equal(stat(dest, &before), 0);
	assert_int_equal(rb_jtextfile_copy(src, "2026-07", dest, from, sizeof(from), &e), 0);
	assert_string_equal(from, tu_path(src, "rbaudit-2026-07.prom"));
	got = tu_slurp(dest, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(got, "new 2\n", 6);
	free(got);
	assert_int_equal(stat(dest, &after), 0);
	assert_true(after.st_ino != before.st_ino);     /* renamed over, not rewritten */
	assert_int_equal(after.st_mode & 07777, 0644);
	/* Two others and not the period's: refused, and the textfile as it was. */
	assert_int_equal(rb_jtextfile_copy(src, "2026-08", dest, from, sizeof(from), &e), -1);
	assert_int_equal(e.code, RB_EX_NOINPUT);
	assert_non_null(strstr(e.msg, "more than one"));
	got = tu_slurp(dest, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(got, "new 2\n", 6);
	free(got);
	/* Its only *.prom is taken when it is not named for the period. */
	assert_int_equal(remove(tu_path(src, "rbaudit-2026-07.prom")), 0);
	assert_int_equal(rb_jtextfile_copy(src, "2026-08", dest, from, sizeof(from), &e), 0);
	got = tu_slurp(dest, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(got, "other 3\n", 8);
	free(got);
	/* None: refused, nothing left behind beside the textfile. */
	assert_int_equal(remove(tu_path(src, "other.prom")), 0);
	assert_int_equal(rb_jtextfile_copy(src, "2026-08", dest, from, sizeof(from), &e), -1);
	assert_int_equal(e.code, RB_EX_NOINPUT);
	assert_non_null(strstr(e.msg, "holds no OpenMetrics file"));
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_the_man_pages),
		cmocka_unit_test(alert_members_replace_the_defaults),
		cmocka_unit_test(bad_members_are_named),
		cmocka_unit_test(issue22_members_load),
		cmocka_unit_test(issue22_bad_members_are_named),
		cmocka_unit_test(ledger_names_are_file_names),
		cmocka_unit_test(textfile_is_replaced_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
