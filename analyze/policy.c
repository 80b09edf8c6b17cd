/* policy.c - metrics-v1 §2 policy: defaults, overrides, validation. */
#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/ident.h"
#include "lib/json.h"

const char *const rb_action_names[RB_NACTIONS] = { "request", "approve", "execute" };

void rb_policy_default(struct rb_policy *p)
{
	static const double w[RB_NTOUCH] = { 30, 30, 25, 25, 10, 10 };
	int i;

	memset(p, 0, sizeof(*p));
	p->approvals_required[0] = 1;
	p->approvals_required[1] = 1;
	p->approvals_required[2] = 2;
	p->approvals_required[3] = 2;
	p->review_window_hours = 72;
	p->verify_window_hours = 24;
	p->max_revert_days = 14;
	p->scan_required[2] = p->scan_required[3] = 1;
	for (i = 0; i < 4; i++)
		p->sensitive[i] = 1;    /* authz, crypto, network, secrets */
	for (i = 0; i < RB_NTOUCH; i++)
		p->w_touch[i] = w[i];
	p->w_advisory = 40;
	p->w_gate_bypass = 20;
	p->w_emergency = 5;
	snprintf(p->env[0].name, sizeof(p->env[0].name), "production");
	p->env[0].factor = 1.0;
	snprintf(p->env[1].name, sizeof(p->env[1].name), "staging");
	p->env[1].factor = 0.5;
	p->nenv = 2;
	p->env_default = 0.25;
	p->level_medium = 25;
	p->level_high = 50;
	p->level_critical = 75;
	for (i = 0; i < RB_NACTIONS * (RB_NTIERS + 1); i++)
		p->auth[i / (RB_NTIERS + 1)][i % (RB_NTIERS + 1)].n = -1;
}

const char *rb_policy_person(const struct rb_policy *p, const char *normal)
{
	int i;

	for (i = 0; i < p->nalias; i++)
		if (strcmp(p->pool + p->alias[i].alias, normal) == 0)
			return p->pool + p->alias[i].person;
	return normal;
}

int rb_policy_authorized(const struct rb_policy *p, enum rb_action a, int tier,
			 const char *person)
{
	int t = tier >= 0 && tier < RB_NTIERS && p->auth[a][tier].n >= 0 ? tier : RB_NTIERS, i;
	int first = p->auth[a][t].first, n = p->auth[a][t].n;

	if (n < 0)
		return 1;
	for (i = 0; i < n; i++) {
		const char *x = p->pool + p->auth_name[first + i];

		if (strcmp(x, "*") == 0 || strcmp(rb_policy_person(p, x), person) == 0)
			return 1;
	}
	return 0;
}

int rb_policy_has_people(const struct rb_policy *p)
{
	int i;

	for (i = 0; i < RB_NACTIONS * (RB_NTIERS + 1); i++)
		if (p->auth[i / (RB_NTIERS + 1)][i % (RB_NTIERS + 1)].n >= 0)
			return 1;
	return p->nalias > 0;
}

double rb_policy_env_factor(const struct rb_policy *p, const char *env)
{
	int i;

	for (i = 0; env != NULL && i < p->nenv; i++)
		if (strcmp(p->env[i].name, env) == 0)
			return p->env[i].factor;
	return p->env_default;
}

struct ctx {
	const char *path, *text;
	struct rb_err *e;
};

static int bad(struct ctx *c, const char *member, const char *parent, const char *what)
{
	const char *at = c->text;
	int line = 0;

	if (parent != NULL)
		rb_json_line_of(c->text, parent, c->text, &at);
	line = rb_json_line_of(c->text, member, at, NULL);
	if (line > 0)
		return RB_ERR(c->e, RB_EX_CONFIG, "policy '%s' line %d: member \"%s%s%s\" %s",
			      c->path, line, parent ? parent : "", parent ? "." : "", member,
			      what);
	return RB_ERR(c->e, RB_EX_CONFIG, "policy '%s': member \"%s%s%s\" %s", c->path,
		      parent ? parent : "", parent ? "." : "", member, what);
}

static int number(struct ctx *c, const cJSON *it, const char *parent, double lo,
		  double hi, double *out)
{
	char what[96];

	*out = 0;
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < lo ||
	    it->valuedouble > hi) {
		snprintf(what, sizeof(what), "must be a number from %g to %g", lo, hi);
		return bad(c, it->string, parent, what);
	}
	*out = it->valuedouble;
	return 0;
}

/* A list of names from a set: marks flags[i] for each. */
static int name_list(struct ctx *c, const cJSON *it, const char *const *names, int n,
		     int *flags)
{
	const cJSON *x;
	int i;

	if (!cJSON_IsArray(it))
		return bad(c, it->string, NULL, "must be an array of names");
	for (i = 0; i < n; i++)
		flags[i] = 0;
	cJSON_ArrayForEach(x, it) {
		int k = -1;

		for (i = 0; cJSON_IsString(x) && i < n; i++)
			if (strcmp(x->valuestring, names[i]) == 0)
				k = i;
		if (k < 0) {
			char what[160];

			snprintf(what, sizeof(what), "names \"%.60s\", which is not one of %s, %s, ...",
				 cJSON_IsString(x) ? x->valuestring : "?", names[0], names[1]);
			return bad(c, it->string, NULL, what);
		}
		flags[k] = 1;
	}
	return 0;
}

/* An identity of the policy (NULL: not a string), in normal form, into p's
 * pool: its offset, or -1 (e). */
static int pool_name(struct ctx *c, struct rb_policy *p, const char *name, const char *member,
		     const char *parent)
{
	char *n = NULL, what[160];
	size_t len;
	int at;

	if (name == NULL)
		return bad(c, member, parent, "must be an array of identities (strings)");
	if (rb_ident_normal(name, &n, c->e) != 0)
		return -1;
	len = strlen(n);
	if (len == 0 || p->npool + (int)len + 1 > RB_POLICY_NAME_BYTES) {
		snprintf(what, sizeof(what), "%s", len == 0 ? "names an empty identity" :
			 "names more identities than rbaudit keeps (32 KiB in all)");
		free(n);
		return bad(c, member, parent, what);
	}
	at = p->npool;
	memcpy(p->pool + at, n, len + 1);
	p->npool += (int)len + 1;
	free(n);
	return at;
}

/* Is alias i's spelling already taken, by another person's alias or by a person? */
static int alias_clash(struct ctx *c, const struct rb_policy *p, int i)
{
	const char *a = p->pool + p->alias[i].alias, *who = p->pool + p->alias[i].person;
	char what[400];
	int j;

	for (j = 0; j < p->nalias; j++) {
		const char *b = p->pool + p->alias[j].alias, *whom = p->pool + p->alias[j].person;

		if (j != i && strcmp(a, b) == 0 && strcmp(who, whom) != 0) {
			snprintf(what, sizeof(what), "lists \"%.100s\" under two people, \"%.100s\" "
				 "and \"%.100s\"", a, j > i ? who : whom, j > i ? whom : who);
			return bad(c, "aliases", NULL, what);
		}
		if (strcmp(a, whom) == 0) {
			snprintf(what, sizeof(what), "lists \"%.100s\" as an alias of \"%.100s\" and "
				 "as a person with aliases of its own", a, who);
			return bad(c, "aliases", NULL, what);
		}
	}
	return 0;
}

/* §8.1 aliases: {"person": ["alias", ...]}; replaces the aliases before. */
static int apply_aliases(struct ctx *c, const cJSON *it, struct rb_policy *p)
{
	const cJSON *who, *x;
	int i;

	if (!cJSON_IsObject(it))
		return bad(c, "aliases", NULL, "must be an object of identity: [aliases]");
	p->nalias = 0;
	cJSON_ArrayForEach(who, it) {
		int person;

		if (!cJSON_IsArray(who))
			return bad(c, who->string, "aliases", "must be an array of identities (strings)");
		if ((person = pool_name(c, p, who->string, who->string, "aliases")) < 0)
			return -1;
		cJSON_ArrayForEach(x, who) {
			int a = pool_name(c, p, cJSON_GetStringValue(x), who->string, "aliases");

			if (a < 0)
				return -1;
			if (strcmp(p->pool + a, p->pool + person) == 0)
				continue;       /* a spelling of the person itself */
			if (p->nalias == RB_POLICY_NAMES)
				return bad(c, "aliases", NULL, "names more aliases than rbaudit keeps (512)");
			p->alias[p->nalias].alias = a;
			p->alias[p->nalias].person = person;
			p->nalias++;
		}
	}
	for (i = 0; i < p->nalias; i++)
		if (alias_clash(c, p, i) != 0)
			return -1;
	return 0;
}

/* One action's lists of §8.4 authorized: {"tier" or "*": ["identity" or "*", ...]}. */
static int apply_action(struct ctx *c, const cJSON *act, int a, struct rb_policy *p)
{
	const cJSON *tl, *x;

	if (!cJSON_IsObject(act))
		return bad(c, act->string, "authorized", "must be an object of tier: [identities]");
	cJSON_ArrayForEach(tl, act) {
		int t = strcmp(tl->string, "*") == 0 ? RB_NTIERS : rb_tier_of(tl->string);
		char parent[64];

		snprintf(parent, sizeof(parent), "authorized.%s", rb_action_names[a]);
		if (t < 0)
			return bad(c, tl->string, parent, "is not a risk tier (low, medium, high, "
				   "critical) or \"*\"");
		if (!cJSON_IsArray(tl))
			return bad(c, tl->string, parent, "must be an array of identities (strings)");
		p->auth[a][t].first = p->nauth;
		p->auth[a][t].n = 0;
		cJSON_ArrayForEach(x, tl) {
			int at = pool_name(c, p, cJSON_GetStringValue(x), tl->string, parent);

			if (at < 0)
				return -1;
			if (p->nauth == RB_POLICY_NAMES)
				return bad(c, tl->string, parent, "names more identities than rbaudit "
					   "keeps (512)");
			p->auth_name[p->nauth++] = at;
			p->auth[a][t].n++;
		}
	}
	return 0;
}

/* §8.4 authorized: {"request" | "approve" | "execute": {...}}. */
static int apply_authorized(struct ctx *c, const cJSON *it, struct rb_policy *p)
{
	const cJSON *act;

	if (!cJSON_IsObject(it))
		return bad(c, "authorized", NULL, "must be an object of action: {tier: [identities]}");
	cJSON_ArrayForEach(act, it) {
		int a;

		for (a = 0; a < RB_NACTIONS; a++)
			if (strcmp(act->string, rb_action_names[a]) == 0)
				break;
		if (a == RB_NACTIONS)
			return bad(c, act->string, "authorized", "is not an action (request, approve, "
				   "execute)");
		if (apply_action(c, act, a, p) != 0)
			return -1;
	}
	return 0;
}

static int apply(struct ctx *c, const cJSON *doc, struct rb_policy *p)
{
	const cJSON *it, *x;
	double v = 0;
	int i;

	if (!cJSON_IsObject(doc))
		return RB_ERR(c->e, RB_EX_CONFIG, "policy '%s' is not a JSON object", c->path);
	cJSON_ArrayForEach(it, doc) {
		const char *k = it->string;

		if (strcmp(k, "approvals_required") == 0) {
			if (!cJSON_IsObject(it))
				return bad(c, k, NULL, "must be an object of tier: count");
			cJSON_ArrayForEach(x, it) {
				int t = rb_tier_of(x->string);

				if (t < 0)
					return bad(c, x->string, k, "is not a risk tier (low, medium, high, critical)");
				if (!rb_json_is_int(x, 0, 100))
					return bad(c, x->string, k, "must be a whole number from 0 to 100");
				p->approvals_required[t] = (int)x->valuedouble;
			}
		} else if (strcmp(k, "review_window_hours") == 0) {
			if (number(c, it, NULL, 0, 1e6, &p->review_window_hours) != 0)
				return -1;
		} else if (strcmp(k, "verify_window_hours") == 0) {
			if (number(c, it, NULL, 0, 1e6, &p->verify_window_hours) != 0)
				return -1;
		} else if (strcmp(k, "max_revert_days") == 0) {
			if (number(c, it, NULL, 0, 1e5, &p->max_revert_days) != 0)
				return -1;
		} else if (strcmp(k, "security_scan_required") == 0) {
			if (name_list(c, it, rb_tier_names, RB_NTIERS, p->scan_required) != 0)
				return -1;
		} else if (strcmp(k, "security_sensitive_touches") == 0) {
			if (name_list(c, it, rb_touch_names, RB_NTOUCH, p->sensitive) != 0)
				return -1;
		} else if (strcmp(k, "weights") == 0) {
			if (!cJSON_IsObject(it))
				return bad(c, k, NULL, "must be an object of name: weight");
			cJSON_ArrayForEach(x, it) {
				int t = rb_touch_of(x->string);

				if (number(c, x, k, 0, 1e6, &v) != 0)
					return -1;
				if (t >= 0)
					p->w_touch[t] = v;
				else if (strcmp(x->string, "advisory") == 0)
					p->w_advisory = v;
				else if (strcmp(x->string, "gate-bypass") == 0)
					p->w_gate_bypass = v;
				else if (strcmp(x->string, "emergency") == 0)
					p->w_emergency = v;
				else
					return bad(c, x->string, k, "is not a touches category, "
						   "advisory, gate-bypass or emergency");
			}
		} else if (strcmp(k, "environment_factor") == 0) {
			if (!cJSON_IsObject(it))
				return bad(c, k, NULL, "must be an object of environment: factor");
			cJSON_ArrayForEach(x, it) {
				if (number(c, x, k, 0, 1e3, &v) != 0)
					return -1;
				if (strcmp(x->string, "*") == 0) {
					p->env_default = v;
					continue;
				}
				if (strlen(x->string) == 0 || strlen(x->string) >= sizeof(p->env[0].name))
					return bad(c, x->string, k, "is not a usable environment name");
				for (i = 0; i < p->nenv; i++)
					if (strcmp(p->env[i].name, x->string) == 0)
						break;
				if (i == p->nenv) {
					if (p->nenv == RB_MAX_ENVS)
						return bad(c, x->string, k, "is one environment too many");
					snprintf(p->env[i].name, sizeof(p->env[i].name), "%s", x->string);
					p->nenv++;
				}
				p->env[i].factor = v;
			}
		} else if (strcmp(k, "levels") == 0) {
			if (!cJSON_IsObject(it))
				return bad(c, k, NULL, "must be an object of level: threshold");
			cJSON_ArrayForEach(x, it) {
				double *dst = strcmp(x->string, "medium") == 0 ? &p->level_medium :
					      strcmp(x->string, "high") == 0 ? &p->level_high :
					      strcmp(x->string, "critical") == 0 ? &p->level_critical :
					      NULL;

				if (dst == NULL)
					return bad(c, x->string, k, "is not medium, high or critical");
				if (number(c, x, k, 0, 1e6, dst) != 0)
					return -1;
			}
		} else if (strcmp(k, "aliases") == 0) {
			if (apply_aliases(c, it, p) != 0)
				return -1;
		} else if (strcmp(k, "authorized") == 0) {
			if (apply_authorized(c, it, p) != 0)
				return -1;
		} else {
			return bad(c, k, NULL, "is not a policy member (see metrics: approvals_required, "
				   "review_window_hours, verify_window_hours, max_revert_days, "
				   "security_scan_required, security_sensitive_touches, weights, "
				   "environment_factor, levels, aliases, authorized)");
		}
	}
	if (!(p->level_medium <= p->level_high && p->level_high <= p->level_critical))
		return bad(c, "levels", NULL, "must rise: medium <= high <= critical");
	return 0;
}

int rb_policy_parse(const char *name, const char *text, size_t len, struct rb_policy *p,
		    struct rb_err *e)
{
	struct ctx c = { name, text, e };
	char why[160];
	cJSON *doc = NULL;
	int rc;

	if (rb_json_parse(text, len, 16, &doc, why, sizeof(why)) != 0) {
		rc = RB_ERR(e, RB_EX_CONFIG, "policy '%s': %s", name, why);
	} else {
		struct rb_policy tmp = *p;

		rc = apply(&c, doc, &tmp);
		if (rc == 0)
			*p = tmp;
	}
	cJSON_Delete(doc);
	return rc;
}

int rb_policy_load(const char *path, struct rb_policy *p, struct rb_err *e)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if (rb_read_file(path, 1u << 20, &buf, &len, e) != 0) {
		/* Too large is a configuration error like any other wrong policy. */
		if (e != NULL && e->code == RB_EX_DATAERR)
			e->code = RB_EX_CONFIG;
		return -1;
	}
	rc = rb_policy_parse(path, buf, len, p, e);
	free(buf);
	return rc;
}

/*
 * §8's members in the canonical JSON, only when the policy has them, so
 * that a policy without them keeps the hash it had before revision 2:
 * identities in normal form, each person's aliases in the file's order,
 * the lists of authorized under their action and tier ("*" last).
 */
static void people_json(const struct rb_policy *p, cJSON *d)
{
	cJSON *o, *l, *au = NULL, *act;
	int i, a, t;

	if (p->nalias > 0) {
		o = cJSON_AddObjectToObject(d, "aliases");
		for (i = 0; i < p->nalias; i++) {
			const char *who = p->pool + p->alias[i].person;

			if ((l = cJSON_GetObjectItemCaseSensitive(o, who)) == NULL)
				l = cJSON_AddArrayToObject(o, who);
			cJSON_AddItemToArray(l, cJSON_CreateString(p->pool + p->alias[i].alias));
		}
	}
	for (a = 0; a < RB_NACTIONS; a++) {
		for (act = NULL, t = 0; t <= RB_NTIERS; t++) {
			if (p->auth[a][t].n < 0)
				continue;
			if (au == NULL)
				au = cJSON_AddObjectToObject(d, "authorized");
			if (act == NULL)
				act = cJSON_AddObjectToObject(au, rb_action_names[a]);
			l = cJSON_AddArrayToObject(act, t < RB_NTIERS ? rb_tier_names[t] : "*");
			for (i = 0; i < p->auth[a][t].n; i++)
				cJSON_AddItemToArray(l, cJSON_CreateString(
					p->pool + p->auth_name[p->auth[a][t].first + i]));
		}
	}
}

char *rb_policy_json(const struct rb_policy *p)
{
	cJSON *d = cJSON_CreateObject(), *o, *a;
	char *s;
	int i;

	if (d == NULL)
		return NULL;
	o = cJSON_AddObjectToObject(d, "approvals_required");
	for (i = 0; i < RB_NTIERS; i++)
		cJSON_AddNumberToObject(o, rb_tier_names[i], p->approvals_required[i]);
	cJSON_AddNumberToObject(d, "review_window_hours", p->review_window_hours);
	cJSON_AddNumberToObject(d, "verify_window_hours", p->verify_window_hours);
	cJSON_AddNumberToObject(d, "max_revert_days", p->max_revert_days);
	a = cJSON_AddArrayToObject(d, "security_scan_required");
	for (i = 0; i < RB_NTIERS; i++)
		if (p->scan_required[i])
			cJSON_AddItemToArray(a, cJSON_CreateString(rb_tier_names[i]));
	a = cJSON_AddArrayToObject(d, "security_sensitive_touches");
	for (i = 0; i < RB_NTOUCH; i++)
		if (p->sensitive[i])
			cJSON_AddItemToArray(a, cJSON_CreateString(rb_touch_names[i]));
	o = cJSON_AddObjectToObject(d, "weights");
	for (i = 0; i < RB_NTOUCH; i++)
		cJSON_AddNumberToObject(o, rb_touch_names[i], p->w_touch[i]);
	cJSON_AddNumberToObject(o, "advisory", p->w_advisory);
	cJSON_AddNumberToObject(o, "gate-bypass", p->w_gate_bypass);
	cJSON_AddNumberToObject(o, "emergency", p->w_emergency);
	o = cJSON_AddObjectToObject(d, "environment_factor");
	for (i = 0; i < p->nenv; i++)
		cJSON_AddNumberToObject(o, p->env[i].name, p->env[i].factor);
	cJSON_AddNumberToObject(o, "*", p->env_default);
	o = cJSON_AddObjectToObject(d, "levels");
	cJSON_AddNumberToObject(o, "medium", p->level_medium);
	cJSON_AddNumberToObject(o, "high", p->level_high);
	cJSON_AddNumberToObject(o, "critical", p->level_critical);
	people_json(p, d);
	s = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	return s;
}

int rb_policy_hash(const struct rb_policy *p, char out[65])
{
	char *s = rb_policy_json(p);
	uint8_t h[32];

	if (s == NULL)
		return -1;
	rb_sha256(s, strlen(s), h);
	rb_hex_encode(h, 32, out);
	cJSON_free(s);
	return 0;
}
