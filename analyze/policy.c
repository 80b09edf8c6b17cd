/* policy.c - metrics-v1 §2 policy: defaults, overrides, validation. */
#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/json.h"

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
		} else {
			return bad(c, k, NULL, "is not a policy member (see metrics: approvals_required, "
				   "review_window_hours, verify_window_hours, max_revert_days, "
				   "security_scan_required, security_sensitive_touches, weights, "
				   "environment_factor, levels)");
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
