/*
 * policy.h - the analysis policy of metrics-v1 §2: defaults, a policy file
 * that overrides them member by member, validation, and a canonical form
 * whose SHA-256 identifies the policy an analysis used.
 *
 * struct rb_policy is plain data owned by the caller.
 */
#ifndef RB_POLICY_H
#define RB_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/vocab.h"          /* tiers and touches categories */

#define RB_MAX_ENVS 32

/* metrics-v1 §8.4: what a person may be authorised to do. */
enum rb_action { RB_ACTION_REQUEST, RB_ACTION_APPROVE, RB_ACTION_EXECUTE, RB_NACTIONS };
extern const char *const rb_action_names[RB_NACTIONS];

/* The identities the policy names (aliases, authorized): how many, and
 * their bytes in normal form, in all. */
#define RB_POLICY_NAMES 512
#define RB_POLICY_NAME_BYTES 32768

struct rb_policy {
	int approvals_required[RB_NTIERS];
	double review_window_hours, verify_window_hours, max_revert_days;
	int scan_required[RB_NTIERS];           /* security_scan_required */
	int sensitive[RB_NTOUCH];               /* security_sensitive_touches */
	double w_touch[RB_NTOUCH];
	double w_advisory, w_gate_bypass, w_emergency;
	struct { char name[64]; double factor; } env[RB_MAX_ENVS];
	int nenv;
	double env_default;                     /* environment_factor["*"] */
	double level_medium, level_high, level_critical;
	/*
	 * §8.1 aliases: the identity at pool + alias[i].alias stands for the
	 * person at pool + alias[i].person (both in normal form, lib/ident.h).
	 */
	struct { int alias, person; } alias[RB_POLICY_NAMES];
	int nalias;
	/*
	 * §8.4 authorized: for each action and tier (index RB_NTIERS: "*"),
	 * the list's identities (normal forms at pool + auth_name[first ..
	 * first + n), "*" for anyone), or no list (n < 0).
	 */
	struct { int first, n; } auth[RB_NACTIONS][RB_NTIERS + 1];
	int auth_name[RB_POLICY_NAMES];
	int nauth;
	char pool[RB_POLICY_NAME_BYTES];
	int npool;
};

/* The defaults of metrics-v1 §2. */
void rb_policy_default(struct rb_policy *p);

/*
 * Apply the policy file at path over *p.  Errors name the file, the member
 * and, where it can be found, the line: RB_EX_CONFIG for a policy that is
 * wrong, RB_EX_NOINPUT for a missing file.
 */
int rb_policy_load(const char *path, struct rb_policy *p, struct rb_err *e);

/* The same from text in memory; name stands for the file in messages. */
int rb_policy_parse(const char *name, const char *text, size_t len, struct rb_policy *p,
		    struct rb_err *e);

/* Canonical JSON of the whole policy (malloc'd; the caller frees). */
char *rb_policy_json(const struct rb_policy *p);

/* Lowercase hex SHA-256 of the canonical JSON. */
int rb_policy_hash(const struct rb_policy *p, char out[65]);

/* environment_factor for env ("*" when it is not named). */
double rb_policy_env_factor(const struct rb_policy *p, const char *env);

/* The person an identity in normal form stands for (§8.1): the one it is
 * an alias of, else itself.  Borrowed from p or normal. */
const char *rb_policy_person(const struct rb_policy *p, const char *normal);

/*
 * §8.4: may the person (rb_policy_person's answer) take the action at the
 * tier?  The tier's list, else the "*" list; neither, or the action not
 * named: anyone.
 */
int rb_policy_authorized(const struct rb_policy *p, enum rb_action a, int tier,
			 const char *person);

/* Does the policy say anything of §8 (aliases or authorized)? */
int rb_policy_has_people(const struct rb_policy *p);

#endif
