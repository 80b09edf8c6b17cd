/*
 * test_vocab.c - focus: the shared words are metrics-v1's, each looked up
 * both ways, and "flagged" follows the level, not a fixed score.  The
 * expected names are copied from the spec's tables (§1 events and their touches, §4
 * evidence items, §5 findings, §2 tiers and levels), not from lib/vocab.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/vocab.h"

static void names_are_the_specs(void **state)
{
	static const char *const findings[] = { "approvals-missing", "separation-of-duties",
		"emergency-unreviewed", "unverified", "stale-revert", "security-regression",
		/* revision 2, §8.5 */
		"unauthorized-actor", "rejected-executed" };
	static const char *const evidence[] = { "approvals", "impact", "rationale", "review",
		"security-considerations", "security-scan", "tests", "ticket" };
	static const char *const touches[] = { "authz-config", "crypto-material",
		"network-exposure", "secrets", "dependency-downgrade", "schema-migration" };
	static const char *const tiers[] = { "low", "medium", "high", "critical" };
	static const char *const events[] = { "change.deployed", "incident.detected",
		"rollback.requested", "rollback.approved", "rollback.rejected",
		"rollback.executed", "rollback.verified", "rollback.reviewed", "rollback.closed" };
	int i;

	(void)state;
	assert_int_equal(RB_NEVENTS, 9);
	for (i = 0; i < 9; i++) {
		assert_string_equal(rb_event_names[i], events[i]);
		assert_int_equal(rb_event_of(events[i]), i);
	}
	assert_int_equal(rb_event_of("rollback.cancelled"), -1);
	assert_int_equal(rb_event_of(NULL), -1);
	assert_int_equal(RB_NFINDINGS, 8);
	for (i = 0; i < 6; i++) {
		assert_string_equal(rb_finding_names[i], findings[i]);
		assert_int_equal(rb_finding_of(findings[i]), i);
		assert_true(strlen(rb_finding_meaning((enum rb_finding_code)i)) > 10);
	}
	assert_int_equal(RB_NEVIDENCE, 8);
	for (i = 0; i < 8; i++) {
		assert_string_equal(rb_evidence_names[i], evidence[i]);
		assert_int_equal(rb_evidence_of(evidence[i]), i);
	}
	assert_int_equal(RB_NTOUCH, 6);
	for (i = 0; i < 6; i++) {
		assert_string_equal(rb_touch_names[i], touches[i]);
		assert_int_equal(rb_touch_of(touches[i]), i);
	}
	for (i = 0; i < 4; i++) {
		assert_string_equal(rb_tier_names[i], tiers[i]);
		assert_string_equal(rb_level_names[i], tiers[i]);
		assert_int_equal(rb_tier_of(tiers[i]), i);
		assert_int_equal(rb_level_of(tiers[i]), i);
	}
}

static void unknown_names_are_none(void **state)
{
	(void)state;
	assert_int_equal(rb_finding_of(NULL), -1);
	assert_int_equal(rb_finding_of("Approvals-Missing"), -1);      /* case matters */
	assert_int_equal(rb_finding_of("approvals-missing "), -1);
	assert_int_equal(rb_tier_of(""), -1);
	assert_int_equal(rb_tier_of("none"), -1);
	assert_int_equal(rb_level_of("severe"), -1);
	assert_int_equal(rb_evidence_of("security_considerations"), -1); /* the payload's spelling */
	assert_int_equal(rb_touch_of("secret"), -1);
	assert_string_equal(rb_finding_meaning(RB_NFINDINGS), "");
}

static void flagged_is_a_finding_or_a_high_level(void **state)
{
	(void)state;
	assert_false(rb_flagged("low", 0));
	assert_false(rb_flagged("medium", 0));
	assert_true(rb_flagged("high", 0));
	assert_true(rb_flagged("critical", 0));
	assert_true(rb_flagged("low", 1));
	assert_true(rb_flagged(NULL, 2));
	assert_false(rb_flagged(NULL, 0));
	assert_false(rb_flagged("unknown", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_the_specs),
		cmocka_unit_test(unknown_names_are_none),
		cmocka_unit_test(flagged_is_a_finding_or_a_high_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
