/*
 * vocab.h - the words every stage shares, once: ledger events, finding
 * codes, risk tiers, impact levels, evidence items and the categories a
 * change touches, as
 * enums with the names metrics-v1 and the stored documents use, looked up
 * both ways; and what "flagged" means.
 *
 * Adding a finding is one enumerator, one name and one meaning here, and
 * its rule in analyze.  The tables are constant; nothing is allocated.
 * rb_*_of(name) gives the enumerator of a name, or -1 when the name is
 * none of them (NULL included).
 */
#ifndef RB_VOCAB_H
#define RB_VOCAB_H

struct cJSON;

/* metrics-v1 §1: the events of the ledger that the metrics read. */
enum rb_event {
	RB_EVENT_CHANGE_DEPLOYED,
	RB_EVENT_INCIDENT_DETECTED,
	RB_EVENT_ROLLBACK_REQUESTED,
	RB_EVENT_ROLLBACK_APPROVED,
	RB_EVENT_ROLLBACK_REJECTED,
	RB_EVENT_ROLLBACK_EXECUTED,
	RB_EVENT_ROLLBACK_VERIFIED,
	RB_EVENT_ROLLBACK_REVIEWED,
	RB_EVENT_ROLLBACK_CLOSED,
	RB_NEVENTS
};
extern const char *const rb_event_names[RB_NEVENTS];
int rb_event_of(const char *name);

/*
 * metrics-v1 §8.3: a rollback.executed whose result is present and is not
 * "success" is a failed attempt (rb_failed_attempt, of the entry's event
 * and data).  Ingest stores the answer with each entry (column `failed`,
 * proved against the payload like the other columns); the same test in
 * SQL, on the stored payload of the entry row named x, is what the schema
 * migration fills the column with.
 */
int rb_failed_attempt(const char *event, const struct cJSON *data);
#define RB_SQL_FAILED_ATTEMPT(x) \
	"(json_type(CAST(" x ".payload AS TEXT), '$.data.result') IS NOT NULL AND NOT " \
	"ifnull(json_type(CAST(" x ".payload AS TEXT), '$.data.result') = 'text' AND " \
	"json_extract(CAST(" x ".payload AS TEXT), '$.data.result') = 'success', 0))"

/* metrics-v1 §6 and §8.5: the findings of a rollback, in the order documents list them. */
enum rb_finding_code {
	RB_FINDING_APPROVALS_MISSING,
	RB_FINDING_SEPARATION_OF_DUTIES,
	RB_FINDING_EMERGENCY_UNREVIEWED,
	RB_FINDING_UNVERIFIED,
	RB_FINDING_STALE_REVERT,
	RB_FINDING_SECURITY_REGRESSION,
	RB_FINDING_UNAUTHORIZED_ACTOR,          /* revision 2 */
	RB_FINDING_REJECTED_EXECUTED,           /* revision 2 */
	RB_NFINDINGS
};
extern const char *const rb_finding_names[RB_NFINDINGS];
int rb_finding_of(const char *name);
/* What a finding means, in one sentence (the packs' findings table). */
const char *rb_finding_meaning(enum rb_finding_code f);

/* metrics-v1 §2: a rollback's risk tier. */
enum rb_tier { RB_TIER_LOW, RB_TIER_MEDIUM, RB_TIER_HIGH, RB_TIER_CRITICAL, RB_NTIERS };
extern const char *const rb_tier_names[RB_NTIERS];
int rb_tier_of(const char *name);

/* metrics-v1 §6: the level of a security impact score. */
enum rb_level { RB_LEVEL_LOW, RB_LEVEL_MEDIUM, RB_LEVEL_HIGH, RB_LEVEL_CRITICAL, RB_NLEVELS };
extern const char *const rb_level_names[RB_NLEVELS];
int rb_level_of(const char *name);

/*
 * A rollback is flagged (shown in the packs' details, listed by analyze)
 * when it has a finding or its level is high or critical.  The level comes
 * from the policy's levels, so an overridden policy moves what is flagged.
 */
int rb_flagged(const char *level, int nfindings);

/* metrics-v1 §4: the evidence items, in the order documents list them. */
enum rb_evidence {
	RB_EVIDENCE_APPROVALS,
	RB_EVIDENCE_IMPACT,
	RB_EVIDENCE_RATIONALE,
	RB_EVIDENCE_REVIEW,
	RB_EVIDENCE_SECURITY_CONSIDERATIONS,
	RB_EVIDENCE_SECURITY_SCAN,
	RB_EVIDENCE_TESTS,
	RB_EVIDENCE_TICKET,
	RB_NEVIDENCE
};
extern const char *const rb_evidence_names[RB_NEVIDENCE];
int rb_evidence_of(const char *name);

/* metrics-v1 §6: what a change touches (the "touches" of a request). */
enum rb_touch {
	RB_TOUCH_AUTHZ_CONFIG,
	RB_TOUCH_CRYPTO_MATERIAL,
	RB_TOUCH_NETWORK_EXPOSURE,
	RB_TOUCH_SECRETS,
	RB_TOUCH_DEPENDENCY_DOWNGRADE,
	RB_TOUCH_SCHEMA_MIGRATION,
	RB_NTOUCH
};
extern const char *const rb_touch_names[RB_NTOUCH];
int rb_touch_of(const char *name);

#endif
