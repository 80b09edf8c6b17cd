/*
 * test_record.c - a rollback's record as the packs and the workbook show it
 * (report/record.c): the texts of a hand-written trail, worked out by hand
 * from docs/REPORTS.md, and the note of a text cut in the PDF.
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

/* Entries as rb_trail_read gives them, in seq order. */
static const char trail_json[] =
	"[{\"seq\":10,\"time\":\"2026-10-02T10:00:00Z\",\"event\":\"rollback.requested\","
	"\"actor\":\"ana\",\"data\":{\"rollback_id\":\"R1\",\"ticket\":\"OPS-1\","
	"\"rationale\":\"Error rate rose.\",\"impact\":\" \",\"components\":[\"api\",\"db\"],"
	"\"operation\":{\"kind\":\"helm-rollback\",\"target\":\"api\"}}},"
	"{\"seq\":11,\"time\":\"2026-10-02T10:05:00Z\",\"event\":\"rollback.approved\","
	"\"actor\":\"bo\",\"countersigned_by\":\"approver-bo\",\"data\":{\"rollback_id\":\"R1\","
	"\"role\":\"team-lead\",\"conditions\":\"Watch for 24 h.\"}},"
	"{\"seq\":12,\"time\":\"2026-10-02T10:06:00Z\",\"event\":\"rollback.rejected\","
	"\"actor\":\"cy\",\"data\":{\"rollback_id\":\"R1\",\"reason\":\"No ticket.\"}},"
	"{\"seq\":13,\"time\":\"2026-10-02T10:10:00Z\",\"event\":\"rollback.executed\","
	"\"actor\":\"ana\",\"data\":{\"rollback_id\":\"R1\",\"result\":\"failed\"}},"
	"{\"seq\":14,\"time\":\"2026-10-02T10:20:00Z\",\"event\":\"rollback.executed\","
	"\"actor\":\"ana\",\"data\":{\"rollback_id\":\"R1\",\"result\":\"success\","
	"\"from_version\":\"2\",\"to_version\":\"1\",\"touches\":[\"secrets\"]}},"
	"{\"seq\":15,\"time\":\"2026-10-02T11:00:00Z\",\"event\":\"rollback.verified\","
	"\"actor\":\"ci\",\"data\":{\"rollback_id\":\"R1\",\"evidence\":["
	"{\"kind\":\"tests\",\"result\":\"pass\",\"ref\":\"ci://1\",\"sha256\":"
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
	"{\"kind\":\"security-scan\",\"result\":\"fail\",\"ref\":\"scan://1\"}]}},"
	"{\"seq\":16,\"time\":\"2026-10-03T09:00:00Z\",\"event\":\"rollback.reviewed\","
	"\"actor\":\"di\",\"data\":{\"rollback_id\":\"R1\",\"outcome\":\"accepted\","
	"\"notes\":\"Held.\"}},"
	"{\"seq\":17,\"time\":\"2026-10-04T09:00:00Z\",\"event\":\"rollback.closed\","
	"\"actor\":\"ana\",\"data\":{\"rollback_id\":\"R1\",\"resolution\":\"fixed-forward\"}}]";

static const char *const want[][2] = {
	{ "Ticket", "OPS-1" },
	{ "Rationale", "Error rate rose." },
	{ "Impact", "(blank: \" \")" },
	{ "Security considerations", "(not recorded)" },
	{ "Components", "api, db" },
	{ "Operation", "kind helm-rollback, target api" },
	{ "Approval", "team-lead by bo at 2026-10-02T10:05:00Z (seq 11); conditions: Watch for "
		      "24 h.; countersigned by key approver-bo" },
	{ "Rejection", "by cy at 2026-10-02T10:06:00Z (seq 12): No ticket." },
	{ "Execution", "failed by ana at 2026-10-02T10:10:00Z (seq 13), a failed attempt" },
	{ "Execution", "success by ana at 2026-10-02T10:20:00Z (seq 14); from 2 to 1; touches "
		       "secrets" },
	{ "Evidence", "tests pass ci://1 sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
		      "0123456789abcdef; by ci at 2026-10-02T11:00:00Z (seq 15)" },
	{ "Evidence", "security-scan fail scan://1 (no sha256); by ci at 2026-10-02T11:00:00Z "
		      "(seq 15)" },
	{ "Review", "accepted by di at 2026-10-03T09:00:00Z (seq 16); notes: Held." },
	{ "Resolution", "fixed-forward by ana at 2026-10-04T09:00:00Z (seq 17)" },
};

static void the_record_holds_every_text_in_order(void **state)
{
	cJSON *trail = cJSON_Parse(trail_json), *rec;
	size_t i, n = sizeof(want) / sizeof(want[0]);

	(void)state;
	assert_non_null(trail);
	rec = rb_record_of(trail);
	assert_non_null(rec);
	assert_int_equal(cJSON_GetArraySize(rec), (int)n);
	for (i = 0; i < n; i++) {
		const cJSON *pair = cJSON_GetArrayItem(rec, (int)i);

		assert_string_equal(cJSON_GetArrayItem(pair, 0)->valuestring, want[i][0]);
		assert_string_equal(cJSON_GetArrayItem(pair, 1)->valuestring, want[i][1]);
	}
	cJSON_Delete(rec);
	cJSON_Delete(trail);
}

static void without_a_request_the_record_says_so(void **state)
{
	cJSON *trail = cJSON_Parse("[{\"seq\":3,\"time\":\"t\",\"event\":\"rollback.closed\","
				   "\"actor\":\"a\",\"data\":{\"resolution\":\"x\"}}]"), *rec;

	(void)state;
	rec = rb_record_of(trail);
	assert_non_null(rec);
	assert_int_equal(cJSON_GetArraySize(rec), 7);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(rec, 1), 1)->valuestring,
			    "(no rollback.requested in the ledger)");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(rec, 6), 1)->valuestring,
			    "x by a at t (seq 3)");
	cJSON_Delete(rec);
	cJSON_Delete(trail);
}

static void the_cut_note_counts_what_is_left_out(void **state)
{
	char buf[200];

	(void)state;
	rb_cut_note(196000, buf, sizeof(buf));
	assert_string_equal(buf, "\u2026 [cut here: 196,000 more characters; the whole text is "
			    "in the JSON report, attestation.trails]");
	rb_cut_note(1, buf, sizeof(buf));
	assert_string_equal(buf, "\u2026 [cut here: 1 more character; the whole text is in the "
			    "JSON report, attestation.trails]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_record_holds_every_text_in_order),
		cmocka_unit_test(without_a_request_the_record_says_so),
		cmocka_unit_test(the_cut_note_counts_what_is_left_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
