/*
 * test_csv.c - focus: the CSV and OpenMetrics renderers (report/csv.c,
 * report/openmetrics.c) on an analysis that holds its rollbacks in its own
 * document (no database needed), and the CSV template's "table" member
 * (report/template.c).  Every expected byte is worked out here by hand from
 * docs/REPORTS.md: RFC 4180 quoting, the leading apostrophe of a text that
 * could be a formula, a null as an empty field and an empty text as "",
 * numbers in the JSON report's 15 or 17 digits, words joined with a space,
 * nested values as compact JSON; the exposition format's label escapes, a
 * summary's quantiles, sum and count, and a null figure left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "report/render.h"
#include "testutil.h"

#ifndef RB_SOURCE_DIR
#define RB_SOURCE_DIR "."
#endif

/* Two rollbacks, R1 with every kind of value, R2 nearly empty and sampled. */
static const char *const analysis =
	"{\"ledger\": \"l\\\"x\\\\y\", \"period\": \"2026-08\", "
	"\"as_of\": \"2026-08-01T03:00:00.5Z\", "
	"\"rollbacks_executed\": 2, \"deployments\": 0, \"rollback_rate\": null, "
	"\"failed_executions\": 1, "
	"\"ttd\": {\"n\": 1, \"mean\": 0.1, \"median\": 0.1, \"p90\": 0.1}, "
	"\"ttr\": {\"n\": 1, \"mean\": 3600, \"median\": 3600, \"p90\": 3600}, "
	"\"approval_latency\": {\"n\": 0, \"mean\": null, \"median\": null, \"p90\": null}, "
	"\"evidence_complete\": 0, \"evidence_complete_ratio\": 0, "
	"\"evidence_mean_completeness\": 0.5, "
	"\"levels\": {\"low\": 1, \"medium\": 1, \"high\": 0, \"critical\": 0}, "
	"\"finding_counts\": {\"approvals-missing\": 1, \"unverified\": 0}, "
	"\"sample\": {\"rollbacks\": [{\"rollback_id\": \"R2\"}]}, "
	"\"rollbacks\": [{\"rollback_id\": \"R1\", \"service\": \"a,b\", "
	"\"environment\": \"=1+1\", \"team\": \"\", \"risk_tier\": null, \"emergency\": true, "
	"\"ttd\": 0.1, \"ttr\": 3600, \"approval_latency\": null, \"failed_attempts\": 0, "
	"\"completeness\": 0.6666666666666666, \"complete\": false, "
	"\"missing\": [\"approvals\", \"tests\"], \"score\": 20, \"level\": \"low\", "
	"\"findings\": [\"approvals-missing\"], \"change_id\": \"'C\", \"incident_id\": null, "
	"\"requester\": \"he said \\\"hi\\\"\", \"executor\": \"line\\nbreak\", "
	"\"deployed\": \"2026-08-01T00:00:00Z\", \"approvers\": [], "
	"\"approvals\": [{\"actor\": \"-x\", \"time\": \"t\", \"countersigned\": true}], "
	"\"same_person\": [], \"evidence\": {\"ticket\": {\"required\": true, \"present\": true}, "
	"\"review\": {\"required\": false, \"present\": false}, "
	"\"approvals\": {\"required\": true, \"present\": false}}, "
	"\"score_factors\": [{\"factor\": \"gate-bypass\", \"weight\": 20}], "
	"\"environment_factor\": 1, \"raw_score\": 20, "
	"\"finding_controls\": {\"approvals-missing\": [\"C1\", \"C2\"]}, \"seqs\": [3, 5]}, "
	"{\"rollback_id\": \"R2\", \"service\": \"\\tx\", \"score\": 1e20, \"level\": \"medium\", "
	"\"findings\": []}]}";

/* n commas. */
static const char *commas(int n)
{
	static char buf[64];

	memset(buf, ',', (size_t)n);
	buf[n] = '\0';
	return buf;
}

/* What a renderer writes for the analysis with template t (format, table). */
static char *rendered(enum rb_format fmt, const char *table)
{
	struct rb_template t;
	struct rb_report_data d;
	struct rb_err e = { 0, "", NULL, 0 };
	cJSON *a = cJSON_Parse(analysis);
	char *dir = tu_tmpdir(), *text;
	const char *path = tu_path(dir, "out");
	int rc;

	assert_non_null(a);
	memset(&t, 0, sizeof(t));
	memset(&d, 0, sizeof(d));
	snprintf(t.name, sizeof(t.name), "t");
	t.format = fmt;
	t.doc = cJSON_CreateObject();
	if (table != NULL)
		cJSON_AddStringToObject(t.doc, "table", table);
	d.a = a;
	rc = fmt == RB_FMT_CSV ? rb_render_csv(&d, &t, path, &e) :
	     rb_render_openmetrics(&d, &t, path, &e);
	if (rc != 0)
		fail_msg("render: %s", e.msg);
	text = tu_slurp(path, NULL);
	tu_rmrf(dir);
	free(dir);
	cJSON_Delete(t.doc);
	cJSON_Delete(a);
	return text;
}

static void rollbacks_table_by_hand(void **state)
{
	char *got = rendered(RB_FMT_CSV, "rollbacks"), want[4096];

	(void)state;
	snprintf(want, sizeof(want), "%s%s%s%s",
		 "rollback_id,service,environment,team,risk_tier,emergency,ttd,ttr,"
		 "approval_latency,failed_attempts,completeness,complete,missing,score,level,"
		 "findings,change_id,incident_id,requester,executor,deployed,detected,"
		 "incident_found,requested,executed,need,approved,approvers,approvals,"
		 "same_person,evidence_required,evidence_present,score_factors,"
		 "environment_factor,raw_score,finding_controls,seqs,sampled,flagged\r\n"
		 /*
		  * R1: "a,b" quoted; =1+1 and 'C get an apostrophe; "" for the
		  * empty team, nothing for the null tier; 2/3 needs 17 digits;
		  * the quotes of the requester doubled, the executor's LF inside
		  * quotes; six members R1 lacks (detected ... approved) empty;
		  * the approvals, factors and controls as compact JSON, quoted.
		  */
		 "R1,\"a,b\",'=1+1,\"\",,true,0.1,3600,,0,0.66666666666666663,false,"
		 "approvals tests,20,low,approvals-missing,''C,,\"he said \"\"hi\"\"\","
		 "\"line\nbreak\",2026-08-01T00:00:00Z,,,,,,,[],"
		 "\"[{\"\"actor\"\":\"\"-x\"\",\"\"time\"\":\"\"t\"\",\"\"countersigned\"\":true}]\","
		 "[],ticket approvals,ticket,"
		 "\"[{\"\"factor\"\":\"\"gate-bypass\"\",\"\"weight\"\":20}]\",1,20,"
		 "\"{\"\"approvals-missing\"\":[\"\"C1\"\",\"\"C2\"\"]}\",3 5,false,true\r\n",
		 /* R2: TAB x gets an apostrophe (no quotes: TAB is no separator);
		  * columns 3 to 13 empty; 1e20 as %1.15g gives; 22 empty columns. */
		 "R2,'\tx", commas(12), "1e+20,medium");
	strcat(want, commas(23));
	strcat(want, "true,false\r\n");
	assert_string_equal(got, want);
	free(got);
}

static void findings_table_by_hand(void **state)
{
	char *got = rendered(RB_FMT_CSV, "findings");

	(void)state;
	/* R2 has no finding: no record. */
	assert_string_equal(got,
			    "rollback_id,finding,controls,service,environment,team,risk_tier,"
			    "emergency,requester,executor,executed,score,level,sampled,flagged\r\n"
			    "R1,approvals-missing,C1 C2,\"a,b\",'=1+1,\"\",,true,"
			    "\"he said \"\"hi\"\"\",\"line\nbreak\",,20,low,false,true\r\n");
	free(got);
}

/* got holds the whole line want (between line feeds). */
static void has_line(const char *got, const char *want)
{
	size_t n = strlen(want);
	const char *p;

	for (p = strstr(got, want); p != NULL; p = strstr(p + 1, want))
		if ((p == got || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line \"%s\" in:\n%s", want, got);
}

static void openmetrics_by_hand(void **state)
{
	char *got = rendered(RB_FMT_OPENMETRICS, NULL);
#define L "ledger=\"l\\\"x\\\\y\",period=\"2026-08\""

	(void)state;
	has_line(got, "# TYPE rbaudit_rollbacks_executed gauge");
	has_line(got, "rbaudit_rollbacks_executed{" L "} 2");
	/* R1 and R2, sorted by service ("\tx" before "a,b"); a null is "unknown". */
	has_line(got, "rbaudit_service_rollbacks_executed{" L ",service=\"\tx\",team=\"unknown\","
		 "environment=\"unknown\"} 1");
	has_line(got, "rbaudit_service_rollbacks_executed{" L ",service=\"a,b\",team=\"\","
		 "environment=\"=1+1\"} 1");
	assert_null(strstr(got, "rbaudit_rollback_rate"));     /* null: left out */
	has_line(got, "rbaudit_failed_executions{" L "} 1");
	has_line(got, "rbaudit_rollbacks_flagged{" L "} 1");
	has_line(got, "rbaudit_findings{" L ",code=\"approvals-missing\"} 1");
	has_line(got, "rbaudit_findings{" L ",code=\"unverified\"} 0");
	has_line(got, "rbaudit_rollbacks_by_level{" L ",level=\"medium\"} 1");
	has_line(got, "# TYPE rbaudit_time_to_restore_seconds summary");
	has_line(got, "rbaudit_time_to_restore_seconds{" L ",quantile=\"0.5\"} 3600");
	has_line(got, "rbaudit_time_to_restore_seconds{" L ",quantile=\"0.9\"} 3600");
	has_line(got, "rbaudit_time_to_restore_seconds_sum{" L "} 3600");
	has_line(got, "rbaudit_time_to_restore_seconds_count{" L "} 1");
	has_line(got, "rbaudit_time_to_detect_seconds_sum{" L "} 0.1");
	/* No rollback has an approval latency: a count of 0 and no quantile. */
	has_line(got, "rbaudit_approval_latency_seconds_count{" L "} 0");
	assert_null(strstr(got, "rbaudit_approval_latency_seconds{"));
	/* R1 requires the ticket (present) and the approvals (missing). */
	has_line(got, "rbaudit_evidence_required{" L ",item=\"approvals\"} 1");
	has_line(got, "rbaudit_evidence_present{" L ",item=\"approvals\"} 0");
	has_line(got, "rbaudit_evidence_present{" L ",item=\"ticket\"} 1");
	has_line(got, "rbaudit_evidence_required{" L ",item=\"review\"} 0");
	has_line(got, "rbaudit_evidence_mean_completeness_ratio{" L "} 0.5");
	/* 2026-08-01T03:00:00.5Z: 20666 days and 3 hours after the epoch, and a half. */
	has_line(got, "rbaudit_data_as_of_timestamp_seconds{" L "} 1785553200.5");
	assert_int_equal(got[strlen(got) - 1], '\n');
	free(got);
#undef L
}

/* A template's text: loaded, 0; refused, -1 with the message in why. */
static int load_text(const char *text, char *why, size_t n)
{
	char *dir = tu_tmpdir();
	const char *path = tu_path(dir, "t.json");
	struct rb_template *t = NULL;
	struct rb_err e = { 0, "", NULL, 0 };
	int rc;

	tu_spit(path, text, strlen(text));
	rc = rb_template_load(path, &t, &e);
	snprintf(why, n, "%s", rc == 0 ? "" : e.msg);
	if (rc != 0)
		assert_int_equal(e.code, RB_EX_CONFIG);
	rb_template_free(t);
	tu_rmrf(dir);
	free(dir);
	return rc;
}

static void csv_templates_name_their_table(void **state)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "{\"template\": \"t\", \"format\": \"csv\", \"file\": \"t.csv\"}",
		  "member \"table\" is missing" },
		{ "{\"template\": \"t\",\n \"format\": \"csv\",\n \"table\": \"people\",\n"
		  " \"file\": \"t.csv\"}", "line 3: member \"table\" must be \"rollbacks\"" },
		{ "{\"template\": \"t\", \"format\": \"csv\",\n \"table\": 1, \"file\": \"t.csv\"}",
		  "line 2: member \"table\" must be" },
		{ "{\"template\": \"t\", \"format\": \"pdf\", \"file\": \"t.pdf\",\n"
		  " \"table\": \"rollbacks\", \"sections\": [{\"type\": \"cover\"}]}",
		  "line 2: member \"table\" is only for a csv template" },
		{ "{\"template\": \"t\", \"format\": \"openmetrics\", \"file\": \"t.prom\",\n"
		  " \"sections\": [{\"type\": \"cover\"}]}",
		  "line 2: member \"sections\" has no place in an openmetrics template" },
		{ "{\"template\": \"t\", \"format\": \"openmetrics\", \"file\": \"t.txt\"}",
		  "member \"file\" must be a file name ending in the format's extension" },
	};
	static const char *const names[] = { "rollbacks-csv", "findings-csv", "openmetrics" };
	static const char *const files[] = { "rollbacks-2026-08.csv", "findings-2026-08.csv",
					     "rbaudit-2026-08.prom" };
	char why[600], path[512], name[256];
	struct rb_template *t;
	struct rb_err e = { 0, "", NULL, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_text(bad[i].text, why, sizeof(why)), -1);
		if (strstr(why, bad[i].says) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, why, bad[i].says);
	}
	assert_int_equal(load_text("{\"template\": \"t\", \"format\": \"csv\", \"table\": "
				   "\"findings\", \"file\": \"t.csv\"}", why, sizeof(why)), 0);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/templates/%s.json", RB_SOURCE_DIR, names[i]);
		if (rb_template_load(path, &t, &e) != 0)
			fail_msg("%s: %s", path, e.msg);
		assert_int_equal(t->format, i < 2 ? RB_FMT_CSV : RB_FMT_OPENMETRICS);
		assert_int_equal(rb_template_filename(t, "2026-08", name, sizeof(name), &e), 0);
		assert_string_equal(name, files[i]);
		rb_template_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rollbacks_table_by_hand),
		cmocka_unit_test(findings_table_by_hand),
		cmocka_unit_test(openmetrics_by_hand),
		cmocka_unit_test(csv_templates_name_their_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
