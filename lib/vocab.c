/* vocab.c - the shared words and their names (see vocab.h). */
#include "vocab.h"

#include <stddef.h>
#include <string.h>

#include <cjson/cJSON.h>

const char *const rb_finding_names[RB_NFINDINGS] = {
	[RB_FINDING_APPROVALS_MISSING] = "approvals-missing",
	[RB_FINDING_SEPARATION_OF_DUTIES] = "separation-of-duties",
	[RB_FINDING_EMERGENCY_UNREVIEWED] = "emergency-unreviewed",
	[RB_FINDING_UNVERIFIED] = "unverified",
	[RB_FINDING_STALE_REVERT] = "stale-revert",
	[RB_FINDING_SECURITY_REGRESSION] = "security-regression",
	[RB_FINDING_UNAUTHORIZED_ACTOR] = "unauthorized-actor",
	[RB_FINDING_REJECTED_EXECUTED] = "rejected-executed",
};

static const char *const finding_meanings[RB_NFINDINGS] = {
	[RB_FINDING_APPROVALS_MISSING] =
		"not an emergency, and fewer valid approvals than the tier needs before execution",
	[RB_FINDING_SEPARATION_OF_DUTIES] = "approved by its own requester or executor",
	[RB_FINDING_EMERGENCY_UNREVIEWED] =
		"emergency rollback without a review within the review window",
	[RB_FINDING_UNVERIFIED] = "no passing tests evidence within the verification window",
	[RB_FINDING_STALE_REVERT] = "not closed within the maximum revert time",
	[RB_FINDING_SECURITY_REGRESSION] = "reintroduces a security advisory",
	[RB_FINDING_UNAUTHORIZED_ACTOR] =
		"requested, approved or executed by someone the policy does not authorise",
	[RB_FINDING_REJECTED_EXECUTED] = "executed after it was rejected",
};

const char *const rb_tier_names[RB_NTIERS] = {
	[RB_TIER_LOW] = "low", [RB_TIER_MEDIUM] = "medium",
	[RB_TIER_HIGH] = "high", [RB_TIER_CRITICAL] = "critical",
};

const char *const rb_level_names[RB_NLEVELS] = {
	[RB_LEVEL_LOW] = "low", [RB_LEVEL_MEDIUM] = "medium",
	[RB_LEVEL_HIGH] = "high", [RB_LEVEL_CRITICAL] = "critical",
};

const char *const rb_evidence_names[RB_NEVIDENCE] = {
	[RB_EVIDENCE_APPROVALS] = "approvals",
	[RB_EVIDENCE_IMPACT] = "impact",
	[RB_EVIDENCE_RATIONALE] = "rationale",
	[RB_EVIDENCE_REVIEW] = "review",
	[RB_EVIDENCE_SECURITY_CONSIDERATIONS] = "security-considerations",
	[RB_EVIDENCE_SECURITY_SCAN] = "security-scan",
	[RB_EVIDENCE_TESTS] = "tests",
	[RB_EVIDENCE_TICKET] = "ticket",
};

const char *const rb_event_names[RB_NEVENTS] = {
	[RB_EVENT_CHANGE_DEPLOYED] = "change.deployed",
	[RB_EVENT_INCIDENT_DETECTED] = "incident.detected",
	[RB_EVENT_ROLLBACK_REQUESTED] = "rollback.requested",
	[RB_EVENT_ROLLBACK_APPROVED] = "rollback.approved",
	[RB_EVENT_ROLLBACK_REJECTED] = "rollback.rejected",
	[RB_EVENT_ROLLBACK_EXECUTED] = "rollback.executed",
	[RB_EVENT_ROLLBACK_VERIFIED] = "rollback.verified",
	[RB_EVENT_ROLLBACK_REVIEWED] = "rollback.reviewed",
	[RB_EVENT_ROLLBACK_CLOSED] = "rollback.closed",
};

const char *const rb_touch_names[RB_NTOUCH] = {
	[RB_TOUCH_AUTHZ_CONFIG] = "authz-config",
	[RB_TOUCH_CRYPTO_MATERIAL] = "crypto-material",
	[RB_TOUCH_NETWORK_EXPOSURE] = "network-exposure",
	[RB_TOUCH_SECRETS] = "secrets",
	[RB_TOUCH_DEPENDENCY_DOWNGRADE] = "dependency-downgrade",
	[RB_TOUCH_SCHEMA_MIGRATION] = "schema-migration",
};

/* The index of name in names[0..n), or -1. */
static int index_of(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

int rb_finding_of(const char *name)
{
	return index_of(rb_finding_names, RB_NFINDINGS, name);
}

const char *rb_finding_meaning(enum rb_finding_code f)
{
	return (int)f >= 0 && f < RB_NFINDINGS ? finding_meanings[f] : "";
}

int rb_tier_of(const char *name)
{
	return index_of(rb_tier_names, RB_NTIERS, name);
}

int rb_level_of(const char *name)
{
	return index_of(rb_level_names, RB_NLEVELS, name);
}

int rb_flagged(const char *level, int nfindings)
{
	return nfindings > 0 || rb_level_of(level) >= RB_LEVEL_HIGH;
}

int rb_evidence_of(const char *name)
{
	return index_of(rb_evidence_names, RB_NEVIDENCE, name);
}

int rb_touch_of(const char *name)
{
	return index_of(rb_touch_names, RB_NTOUCH, name);
}

int rb_event_of(const char *name)
{
	return index_of(rb_event_names, RB_NEVENTS, name);
}

int rb_failed_attempt(const char *event, const struct cJSON *data)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(data, "result");

	return rb_event_of(event) == RB_EVENT_ROLLBACK_EXECUTED && res != NULL &&
	       !(cJSON_IsString(res) && strcmp(res->valuestring, "success") == 0);
}
