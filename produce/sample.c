/* sample.c - the seeded sample organisation (see sample.h). */
#include "sample.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/rtime.h"
#include "lib/trust.h"
#include "lib/vocab.h"
#include "produce/seal.h"

/* ---- deterministic randomness: splitmix64 seeding xoshiro256** ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, 1). */
static double unif(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(unif(r) * n);
}

static int chance(struct rng *r, double p)
{
	return unif(r) < p;
}

/* Log-normal with the given median (seconds) and sigma; Box-Muller. */
static double lognormal(struct rng *r, double median, double sigma)
{
	double u1 = unif(r), u2 = unif(r), z;

	if (u1 < 1e-300)
		u1 = 1e-300;
	z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	return median * exp(sigma * z);
}

/* ---- the organisation ---- */

static const char *const teams[] = { "identity", "payments", "discovery", "platform",
				     "growth", "data" };

static const struct { const char *name; int team; } services[] = {
	{ "auth-gateway", 0 }, { "profile", 0 }, { "sso-bridge", 0 },
	{ "checkout", 1 }, { "billing", 1 }, { "ledger-api", 1 },
	{ "catalog", 2 }, { "search", 2 }, { "recommendations", 2 },
	{ "edge-proxy", 3 }, { "k8s-ingress", 3 }, { "secrets-broker", 3 },
	{ "campaigns", 4 }, { "notifications", 4 },
	{ "pipeline", 5 }, { "warehouse-sync", 5 },
};
#define NSERVICES (sizeof(services) / sizeof(services[0]))

/* Engineers who deploy and request rollbacks, by team. */
static const char *const engineers[6][3] = {
	{ "oren@acme.example", "zo\xc3\xab.m\xc3\xbcller@acme.example", "amara@acme.example" },
	{ "alice@acme.example", "\xc5\x82ukasz@acme.example", "priya@acme.example" },
	{ "fatima@acme.example", "j\xc3\xbcrgen.wei\xc3\x9f@acme.example", "kenji@acme.example" },
	{ "eve@acme.example", "s\xc3\xb8ren.\xc3\xb8stergaard@acme.example", "mateo@acme.example" },
	{ "chlo\xc3\xa9.dubois@acme.example", "nia@acme.example", "nia@acme.example" },
	{ "jos\xc3\xa9.\xc3\xa1lvarez@acme.example", "ingrid@acme.example", "ingrid@acme.example" },
};

/* Site reliability engineers who execute rollbacks. */
static const char *const sres[] = {
	"dmitri@acme.example", "bj\xc3\xb6rn.lindqvist@acme.example", "grace@acme.example",
	"tom\xc3\xa1s@acme.example", "yuki@acme.example",
};
#define NSRES (sizeof(sres) / sizeof(sres[0]))

/* Who executes a rollback whose story names executor NSRES: no SRE, and
 * not authorised to execute by the sample's policy. */
#define INTERN "ops-intern@acme.example"

/*
 * The sample's policy (written beside the exports as policy.json): the
 * defaults, one person's aliases, and who may execute (metrics-v1 §8).
 */
static const char sample_policy[] =
	"{\n"
	" \"aliases\": {\"oren@acme.example\": [\"oren.katz@acme.example\", \"okatz\"]},\n"
	" \"authorized\": {\n"
	"  \"execute\": {\"*\": [\"dmitri@acme.example\", \"bj\u00f6rn.lindqvist@acme.example\",\n"
	"               \"grace@acme.example\", \"tom\u00e1s@acme.example\", \"yuki@acme.example\"]}\n"
	" }\n"
	"}\n";

/* Approvers: team leads (one per team), change managers, security officers. */
static const struct { const char *key, *identity, *role; } approvers[] = {
	{ "approver-renee", "ren\xc3\xa9\x65.lef\xc3\xa8vre@acme.example", "team-lead" },
	{ "approver-marcus", "marcus@acme.example", "team-lead" },
	{ "approver-sofia", "sofia@acme.example", "team-lead" },
	{ "approver-ahmed", "ahmed@acme.example", "team-lead" },
	{ "approver-olga", "olga@acme.example", "team-lead" },
	{ "approver-wei", "wei@acme.example", "team-lead" },
	{ "approver-beatriz", "beatriz@acme.example", "change-manager" },
	{ "approver-noah", "noah@acme.example", "change-manager" },
	{ "approver-ines", "in\xc3\xaas@acme.example", "security-officer" },
	{ "approver-raj", "raj@acme.example", "security-officer" },
};
#define NAPPROVERS (sizeof(approvers) / sizeof(approvers[0]))

static const char *const envs[] = { "production", "staging", "dev" };
static const char *const touch_names[] = { "authz-config", "crypto-material",
	"network-exposure", "secrets", "dependency-downgrade", "schema-migration" };

/* ---- pending events ---- */

enum kind {
	K_DEPLOY, K_INCIDENT, K_REQUEST, K_APPROVE, K_REJECT, K_EXECUTE, K_VERIFY,
	K_REVIEW, K_CLOSE
};

/* Everything about one change and its rollback that its events need. */
struct story {
	uint32_t change, incident, rollback;    /* 0: none */
	uint8_t service, env, tier, emergency;
	uint8_t requester;                      /* index in engineers[team] */
	uint8_t executor;                       /* index in sres */
	uint8_t touches;                        /* bit mask over touch_names */
	uint8_t reintroduces;                   /* 0..2 advisories */
	uint8_t empty;                          /* bit mask: ticket, rationale, impact, security */
	uint8_t tests_fail, scan, scan_fail;
	uint8_t deployer;
};

struct ev {
	struct rb_time t;
	uint64_t order;         /* tie-break: creation order */
	uint8_t kind;
	uint8_t arg;            /* approvals: approver index; 255 = requester, 254 = executor */
	uint8_t cosign, dup;
	struct story st;
};

struct heap {
	struct ev *v;
	size_t n, cap;
};

static int ev_less(const struct ev *a, const struct ev *b)
{
	if (a->t.sec != b->t.sec)
		return a->t.sec < b->t.sec;
	return a->order < b->order;
}

static int heap_push(struct heap *h, const struct ev *e)
{
	size_t i;

	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 1024;
		struct ev *nv = realloc(h->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		h->v = nv;
		h->cap = ncap;
	}
	i = h->n++;
	h->v[i] = *e;
	while (i > 0 && ev_less(&h->v[i], &h->v[(i - 1) / 2])) {
		struct ev tmp = h->v[i];

		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
	return 0;
}

static void heap_pop(struct heap *h, struct ev *out)
{
	size_t i = 0;

	*out = h->v[0];
	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct ev tmp;

		if (l < h->n && ev_less(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->n && ev_less(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			break;
		tmp = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = tmp;
		i = m;
	}
}

/* ---- generation state ---- */

struct gen {
	const struct rb_sample_opts *o;
	struct rb_sample_stats *stats;
	struct rng r;
	struct heap h;
	uint64_t order;
	char origin[128], ledger_dir[PATH_MAX];
	rb_privkey *k1, *k2, *akeys[NAPPROVERS];
	struct rb_time rotation;        /* k2 signs from here on */
	int64_t end;                    /* first second after the sample */
	uint32_t changes, incidents, rollbacks;
	/* The export being written. */
	rb_sealer *s;
	int cur_y, cur_m;
	struct rb_ledger_state state;
	int using_k2;
	char spelt[160];        /* an actor spelt for the occasion (data_approve) */
};

static int push(struct gen *g, int64_t t, enum kind k, const struct story *st, int arg)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.t.sec = t;
	e.order = g->order++;
	e.kind = (uint8_t)k;
	e.arg = (uint8_t)arg;
	e.st = *st;
	if (t >= g->end)
		return 0;       /* after the sample's end: never written */
	return heap_push(&g->h, &e);
}

static const char *team_of(const struct story *st)
{
	return teams[services[st->service].team];
}

static const char *requester_of(const struct story *st)
{
	return engineers[services[st->service].team][st->requester];
}

static const char *executor_of(const struct story *st)
{
	return st->executor < NSRES ? sres[st->executor] : INTERN;
}

static void hexrand(struct gen *g, char *out, size_t nbytes)
{
	uint8_t b[32];
	size_t i;

	for (i = 0; i < nbytes; i++)
		b[i] = (uint8_t)rng_next(&g->r);
	rb_hex_encode(b, nbytes, out);
}

/* Seconds after t0 on a log-normal, at least lo. */
static int64_t after(struct gen *g, int64_t t0, double median, double sigma, double lo)
{
	double d = lognormal(&g->r, median, sigma);

	return t0 + (int64_t)(d < lo ? lo : d);
}

/* The rollback's character: tier, people, what it touches, gaps in its texts. */
static void cast_rollback(struct gen *g, struct story *st)
{
	struct rb_sample_stats *S = g->stats;
	double u = unif(&g->r);
	int i;

	st->tier = u < 0.45 ? 0 : u < 0.75 ? 1 : u < 0.92 ? 2 : 3;
	st->emergency = (uint8_t)chance(&g->r, 0.22);
	st->requester = (uint8_t)below(&g->r, 3);
	st->executor = (uint8_t)below(&g->r, NSRES);
	if (chance(&g->r, 0.35)) {
		st->touches = (uint8_t)(1u << below(&g->r, 6));
		if (chance(&g->r, 0.4))
			st->touches |= (uint8_t)(1u << below(&g->r, 6));
	}
	st->reintroduces = (uint8_t)(chance(&g->r, 0.04) ? 1 + below(&g->r, 2) : 0);
	/*
	 * Every few dozen rollbacks, one case the findings must meet even in a
	 * short sample: a critical security regression in production.
	 */
	if (st->rollback % 37 == 2) {
		st->env = 0;
		st->touches = 0x03;     /* authz-config, crypto-material */
		st->reintroduces = 2;
	}
	for (i = 0; i < 6; i++)
		S->touches[i] += (st->touches >> i) & 1;
	S->reintroduces += st->reintroduces > 0;
	for (i = 0; i < 4; i++)
		if (chance(&g->r, 0.05))
			st->empty |= (uint8_t)(1u << i);
	S->empty_evidence += st->empty != 0;
	S->emergencies += st->emergency;
}

/*
 * The approvals, by mode: 0 normal, 1 approvals missing, 2 late,
 * 3 self-approval, 4 by the executor.
 */
static int plan_approvals(struct gen *g, struct story *st, int mode, int64_t requested,
			  int64_t executed)
{
	struct rb_sample_stats *S = g->stats;
	int need = st->tier >= 2 ? 2 : 1, napprove = 0, i;

	for (i = 0; i < need; i++) {
		int who = i == 0 ? services[st->service].team : 6 + (int)below(&g->r, 4);
		int64_t at;

		if (mode == 1 && i == need - 1) {
			S->missing_approvals++;
			break;
		}
		if (st->emergency || mode == 2)
			at = after(g, executed, 3600, 1.0, 60);  /* after the fact */
		else
			at = requested + (int64_t)((double)(executed - requested) *
						   (0.3 + 0.6 * unif(&g->r)));
		if (mode == 2 && !st->emergency)
			S->late_approvals++;
		if (push(g, at, K_APPROVE, st, who) != 0)
			return -1;
		napprove++;
	}
	if (mode == 3) {
		S->self_approvals++;
		if (push(g, requested + 60, K_APPROVE, st, 255) != 0)
			return -1;
	} else if (mode == 4) {
		S->executor_approvals++;
		if (push(g, requested + 90, K_APPROVE, st, 254) != 0)
			return -1;
	}
	S->approvals += (uint64_t)napprove;
	return 0;
}

/* After the execution: verification, reviews and closure. */
static int plan_aftermath(struct gen *g, struct story *st, int64_t executed)
{
	struct rb_sample_stats *S = g->stats;
	int64_t t;
	double u;

	/* Verification: usually within hours, sometimes too late or never. */
	if (chance(&g->r, 0.9)) {
		st->tests_fail = (uint8_t)chance(&g->r, 0.1);
		st->scan = (uint8_t)((st->tier >= 2 || (st->touches & 0x0f)) ?
				     chance(&g->r, 0.8) : chance(&g->r, 0.2));
		st->scan_fail = (uint8_t)(st->scan && chance(&g->r, 0.08));
		S->failing_tests += st->tests_fail;
		if (push(g, after(g, executed, 5400, 1.1, 120), K_VERIFY, st, 0) != 0)
			return -1;
	}
	/* Reviews: required for emergencies and critical ones. */
	if (st->emergency || st->tier == 3) {
		u = unif(&g->r);
		if (u < 0.75)
			t = after(g, executed, 86400, 0.6, 3600);
		else if (u < 0.85)
			t = executed + 80 * 3600LL + below(&g->r, 40 * 3600);
		else
			t = -1;
		S->unreviewed += t < 0 || t > executed + 72 * 3600LL;
		if (t > 0 && push(g, t, K_REVIEW, st, 0) != 0)
			return -1;
	} else if (chance(&g->r, 0.1)) {
		if (push(g, after(g, executed, 172800, 0.5, 3600), K_REVIEW, st, 0) != 0)
			return -1;
	}
	/* Closure: most within days, some late, some never (stale reverts). */
	u = unif(&g->r);
	if (u < 0.82)
		t = executed + 86400 + below(&g->r, 9 * 86400);
	else if (u < 0.90)
		t = executed + 15 * 86400LL + below(&g->r, 10 * 86400);
	else
		t = -1;
	S->never_closed += t < 0;
	if (t > 0 && push(g, t, K_CLOSE, st, 0) != 0)
		return -1;
	return 0;
}

/*
 * The cases of metrics-v1 §8 (revision 2), a few a month each, chosen by
 * the rollback's number so that the random stream (and with it every other
 * figure of the sample) stays as it was: a rejection before the execution,
 * a failed attempt, the requester approving under another spelling or
 * under an alias, an approval before the request, an executor the policy
 * does not authorise.  (A blank rationale is written by data_request.)
 */
static int plan_revision2(struct gen *g, struct story *st, int64_t requested,
			  int64_t executed)
{
	struct rb_sample_stats *S = g->stats;
	int64_t mid = requested + (executed - requested) / 2;

	if (st->rollback % 41 == 7) {
		S->rejected_executed++;
		if (push(g, requested + (executed - requested) / 3, K_REJECT, st, 0) != 0)
			return -1;
	}
	if (st->rollback % 38 == 9) {
		S->failed_attempts++;
		if (push(g, mid, K_EXECUTE, st, 2) != 0)
			return -1;
	}
	if (st->rollback % 50 == 13) {
		S->spelt_self_approvals++;
		if (push(g, requested + 45, K_APPROVE, st, 253) != 0)
			return -1;
	}
	if (strcmp(requester_of(st), "oren@acme.example") == 0 && st->rollback % 3 == 0) {
		S->alias_approvals++;
		if (push(g, requested + 75, K_APPROVE, st, 252) != 0)
			return -1;
	}
	if (st->rollback % 23 == 5 && !st->emergency) {
		S->early_approvals++;
		if (push(g, requested - 60, K_APPROVE, st, 6) != 0)
			return -1;
	}
	if (st->rollback % 45 == 26) {
		S->unauthorized_executors++;
		st->executor = NSRES;
	}
	S->blank_rationales += st->rollback % 53 == 17;
	return 0;
}

/*
 * A rollback story for the change deployed at t: every event it will have,
 * queued at its own time.  The probabilities are chosen so that a few
 * months hold every case the metrics and findings read.
 */
static int plan_rollback(struct gen *g, struct story *st, int64_t deployed)
{
	struct rb_sample_stats *S = g->stats;
	int64_t detected, requested, executed;
	int mode;
	double u;

	st->rollback = ++g->rollbacks;
	S->rollbacks++;
	cast_rollback(g, st);
	/* Detection: an incident for most, the requester's own eyes for the rest. */
	if (chance(&g->r, 0.7)) {
		st->incident = ++g->incidents;
		S->incidents++;
		detected = after(g, deployed, 3000, 1.0, 60);
		if (push(g, detected, K_INCIDENT, st, 0) != 0)
			return -1;
		requested = after(g, detected, 600, 0.7, 30);
	} else {
		requested = after(g, deployed, 5400, 1.0, 120);
	}
	if (push(g, requested, K_REQUEST, st, 0) != 0)
		return -1;
	/* A few are turned down. */
	if (st->rollback % 31 == 11 || chance(&g->r, 0.02)) {
		S->rejected++;
		return push(g, after(g, requested, 1500, 0.6, 60), K_REJECT, st, 0);
	}
	u = unif(&g->r);
	mode = u < 0.80 ? 0 : u < 0.86 ? 1 : u < 0.91 ? 2 : u < 0.96 ? 3 : 4;
	if (st->emergency)
		executed = after(g, requested, 300, 0.6, 30);
	else
		executed = after(g, requested, 2400, 0.7, 120);
	if (plan_approvals(g, st, mode, requested, executed) != 0 ||
	    plan_revision2(g, st, requested, executed) != 0 ||
	    push(g, executed, K_EXECUTE, st, 0) != 0)
		return -1;
	/* An anomaly now and then: the same rollback executed twice. */
	if (st->rollback % 29 == 5 || chance(&g->r, 0.01)) {
		S->duplicate_executions++;
		if (push(g, executed + 120, K_EXECUTE, st, 1) != 0)
			return -1;
	}
	return plan_aftermath(g, st, executed);
}

/* Deployments of one day, with weekday rhythm and working hours. */
static int plan_day(struct gen *g, int64_t day)
{
	static const double hour_w[24] = { 0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.4, 1.8,
		2.0, 1.9, 1.3, 1.7, 2.0, 1.9, 1.7, 1.3, 0.9, 0.6, 0.5, 0.4, 0.3, 0.2 };
	int64_t dow = ((day / 86400) + 4) % 7;          /* 0 = Sunday */
	double rate = g->o->deploys_per_day * (dow == 0 || dow == 6 ? 0.25 : 1.0);
	double wsum = 0;
	uint32_t n, i;
	int h;

	for (h = 0; h < 24; h++)
		wsum += hour_w[h];
	n = (uint32_t)floor(rate * (0.7 + 0.6 * unif(&g->r)) + unif(&g->r));
	for (i = 0; i < n; i++) {
		struct story st;
		double pick = unif(&g->r) * wsum;
		int64_t t;

		for (h = 0; h < 23 && pick >= hour_w[h]; h++)
			pick -= hour_w[h];
		t = day + h * 3600LL + below(&g->r, 3600);
		memset(&st, 0, sizeof(st));
		st.change = ++g->changes;
		st.service = (uint8_t)below(&g->r, NSERVICES);
		{
			double u = unif(&g->r);

			st.env = u < 0.55 ? 0 : u < 0.88 ? 1 : 2;
		}
		st.deployer = (uint8_t)below(&g->r, 3);
		g->stats->deploys++;
		if (push(g, t, K_DEPLOY, &st, 0) != 0)
			return -1;
		if (chance(&g->r, 0.08) && plan_rollback(g, &st, t) != 0)
			return -1;
	}
	return 0;
}

/* ---- writing events ---- */

static void add_str(cJSON *o, const char *k, const char *v)
{
	cJSON_AddStringToObject(o, k, v);
}

static void ids(const struct story *st, char *chg, char *inc, char *rb)
{
	snprintf(chg, 16, "CHG-%06" PRIu32, st->change);
	snprintf(inc, 16, "INC-%05" PRIu32, st->incident);
	snprintf(rb, 16, "RB-%05" PRIu32, st->rollback);
}

/* One event's names and where its data goes: what each kind's writer gets. */
struct evw {
	struct gen *g;
	const struct ev *e;
	const struct story *st;
	const char *svc;
	char chg[16], inc[16], rb[16];
	cJSON *d;
	const char *event, *actor;
};

static void data_deploy(struct evw *w)
{
	const struct story *st = w->st;
	char buf[200], hex[80];

	w->event = "change.deployed";
	w->actor = engineers[services[st->service].team][st->deployer];
	add_str(w->d, "change_id", w->chg);
	add_str(w->d, "service", w->svc);
	add_str(w->d, "environment", envs[st->env]);
	add_str(w->d, "team", team_of(st));
	snprintf(buf, sizeof(buf), "OPS-%" PRIu32, 1000 + st->change);
	add_str(w->d, "ticket", buf);
	hexrand(w->g, hex, 20);
	add_str(w->d, "commit", hex);
	hexrand(w->g, hex, 32);
	snprintf(buf, sizeof(buf), "sha256:%s", hex);
	add_str(w->d, "artifact", buf);
}

static void data_incident(struct evw *w)
{
	static const char *const sev[] = { "sev1", "sev2", "sev3", "sev4" };
	static const char *const src[] = { "monitoring", "customer-report", "on-call",
					   "synthetic-check" };
	const struct story *st = w->st;

	w->event = "incident.detected";
	w->actor = "pagerbot@acme.example";
	add_str(w->d, "incident_id", w->inc);
	add_str(w->d, "change_id", w->chg);
	add_str(w->d, "service", w->svc);
	add_str(w->d, "environment", envs[st->env]);
	add_str(w->d, "severity", sev[(st->tier + st->change) % 4]);
	add_str(w->d, "source", src[st->change % 4]);
}

static void data_request(struct evw *w)
{
	static const char *const ops[] = { "helm-rollback", "git-revert", "feature-flag",
					   "db-restore" };
	const struct story *st = w->st;
	const char *svc = w->svc;
	cJSON *d = w->d, *a, *o;
	char buf[200];

	w->event = "rollback.requested";
	w->actor = requester_of(st);
	add_str(d, "rollback_id", w->rb);
	add_str(d, "change_id", w->chg);
	if (st->incident)
		add_str(d, "incident_id", w->inc);
	add_str(d, "service", svc);
	add_str(d, "environment", envs[st->env]);
	add_str(d, "risk_tier", rb_tier_names[st->tier]);
	cJSON_AddBoolToObject(d, "emergency", st->emergency);
	snprintf(buf, sizeof(buf), "OPS-%" PRIu32, 5000 + st->rollback);
	add_str(d, "ticket", st->empty & 1 ? "" : buf);
	snprintf(buf, sizeof(buf), "Error rate on %s rose after %s; reverting to the "
		 "last good release.", svc, w->chg);
	/* §8.2: white space only is no rationale (a case of revision 2). */
	add_str(d, "rationale", st->empty & 2 ? "" : st->rollback % 53 == 17 ? " \t " : buf);
	snprintf(buf, sizeof(buf), "%s users in %s see failures (\xe2\x89\x88%u%% of "
		 "requests).", svc, envs[st->env], 1 + st->change % 17);
	add_str(d, "impact", st->empty & 4 ? "" : buf);
	snprintf(buf, sizeof(buf), "%s", st->touches ?
		 "Revert touches security-relevant configuration; scan before close." :
		 "No security-relevant change expected.");
	add_str(d, "security_considerations", st->empty & 8 ? "" : buf);
	a = cJSON_AddArrayToObject(d, "components");
	cJSON_AddItemToArray(a, cJSON_CreateString(svc));
	o = cJSON_AddObjectToObject(d, "operation");
	add_str(o, "kind", ops[st->change % 4]);
	add_str(o, "target", w->chg);
}

static void data_approve(struct evw *w)
{
	const struct story *st = w->st;
	unsigned arg = w->e->arg;

	w->event = "rollback.approved";
	add_str(w->d, "rollback_id", w->rb);
	if (arg == 255) {
		w->actor = requester_of(st);
		add_str(w->d, "role", "requester");
	} else if (arg == 254) {
		w->actor = executor_of(st);
		add_str(w->d, "role", "sre");
	} else if (arg == 253) {
		/* The requester under another spelling: capitalised, a trailing space. */
		char *sp = w->g->spelt;

		snprintf(sp, sizeof(w->g->spelt), "%s ", requester_of(st));
		if (sp[0] >= 'a' && sp[0] <= 'z')
			sp[0] = (char)(sp[0] - 'a' + 'A');
		w->actor = sp;          /* in g: it outlives event_data, as the actor must */
		add_str(w->d, "role", "team-lead");
	} else if (arg == 252) {
		w->actor = "okatz";     /* oren@acme.example's alias in the sample's policy */
		add_str(w->d, "role", "team-lead");
	} else {
		w->actor = approvers[arg].identity;
		add_str(w->d, "role", approvers[arg].role);
		if (st->tier >= 2)
			add_str(w->d, "conditions", "Watch error budget for 24 h after the revert.");
	}
}

static void data_reject(struct evw *w)
{
	w->event = "rollback.rejected";
	w->actor = approvers[services[w->st->service].team].identity;
	add_str(w->d, "rollback_id", w->rb);
	add_str(w->d, "reason", "Fix-forward is safer: the revert would undo a schema change.");
}

static void data_execute(struct evw *w)
{
	const struct story *st = w->st;
	cJSON *a;
	char buf[200];
	int i;

	w->event = "rollback.executed";
	w->actor = executor_of(st);
	add_str(w->d, "rollback_id", w->rb);
	/* arg 1: run again after the execution; 2: a failed attempt before it */
	add_str(w->d, "result", w->e->arg == 2 ? "failed" : w->e->arg ? "retried" : "success");
	snprintf(buf, sizeof(buf), "v%u.%u.%u", 1 + st->change % 5, st->change % 40,
		 1 + st->change % 9);
	add_str(w->d, "from_version", buf);
	snprintf(buf, sizeof(buf), "v%u.%u.%u", 1 + st->change % 5, st->change % 40,
		 st->change % 9);
	add_str(w->d, "to_version", buf);
	a = cJSON_AddArrayToObject(w->d, "touches");
	for (i = 0; i < 6; i++)
		if (st->touches & (1u << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(touch_names[i]));
	if (st->reintroduces) {
		a = cJSON_AddArrayToObject(w->d, "reintroduces");
		for (i = 0; i < st->reintroduces; i++) {
			snprintf(buf, sizeof(buf), "CVE-2026-%05" PRIu32,
				 10000 + (st->rollback * 7 + (uint32_t)i) % 90000);
			cJSON_AddItemToArray(a, cJSON_CreateString(buf));
		}
	}
}

/* One item of a verification's evidence; with a digest when hashed. */
static void add_evidence(struct evw *w, cJSON *list, const char *kind, const char *result,
			 const char *ref, int hashed)
{
	cJSON *o = cJSON_CreateObject();
	char hex[80];

	add_str(o, "kind", kind);
	add_str(o, "result", result);
	add_str(o, "ref", ref);
	if (hashed) {
		hexrand(w->g, hex, 32);
		add_str(o, "sha256", hex);
	}
	cJSON_AddItemToArray(list, o);
}

static void data_verify(struct evw *w)
{
	const struct story *st = w->st;
	cJSON *a;
	char buf[200];

	w->event = "rollback.verified";
	w->actor = sres[(st->executor + 1) % NSRES];
	add_str(w->d, "rollback_id", w->rb);
	a = cJSON_AddArrayToObject(w->d, "evidence");
	snprintf(buf, sizeof(buf), "ci://acme/%s/runs/%" PRIu32, w->svc, 70000 + st->rollback);
	add_evidence(w, a, "tests", st->tests_fail ? "fail" : "pass", buf, 1);
	if (st->scan) {
		snprintf(buf, sizeof(buf), "scan://acme/%s/%" PRIu32, w->svc, st->rollback);
		add_evidence(w, a, "security-scan", st->scan_fail ? "fail" : "pass", buf, 1);
	}
	if (st->env == 0) {
		snprintf(buf, sizeof(buf), "grafana://acme/d/%s?rb=%s", w->svc, w->rb);
		add_evidence(w, a, "monitoring", "pass", buf, 0);
	}
}

static void data_review(struct evw *w)
{
	const struct story *st = w->st;
	char buf[200];

	w->event = "rollback.reviewed";
	w->actor = approvers[6 + st->rollback % 2].identity;
	add_str(w->d, "rollback_id", w->rb);
	add_str(w->d, "outcome", st->tests_fail ? "follow-up-required" : "accepted");
	snprintf(buf, sizeof(buf), "Post-incident review of %s held; actions in %s.", w->rb,
		 st->incident ? w->inc : w->chg);
	add_str(w->d, "notes", buf);
}

static void data_close(struct evw *w)
{
	const struct story *st = w->st;

	w->event = "rollback.closed";
	w->actor = requester_of(st);
	add_str(w->d, "rollback_id", w->rb);
	add_str(w->d, "resolution", st->change % 3 ? "fixed-forward" : "reverted-permanently");
}

/* The data member of event e, with its event type and actor. */
static cJSON *event_data(struct gen *g, const struct ev *e, const char **event,
			 const char **actor)
{
	struct evw w;

	memset(&w, 0, sizeof(w));
	w.g = g;
	w.e = e;
	w.st = &e->st;
	w.svc = services[e->st.service].name;
	w.d = cJSON_CreateObject();
	ids(w.st, w.chg, w.inc, w.rb);
	switch (e->kind) {
	case K_DEPLOY: data_deploy(&w); break;
	case K_INCIDENT: data_incident(&w); break;
	case K_REQUEST: data_request(&w); break;
	case K_APPROVE: data_approve(&w); break;
	case K_REJECT: data_reject(&w); break;
	case K_EXECUTE: data_execute(&w); break;
	case K_VERIFY: data_verify(&w); break;
	case K_REVIEW: data_review(&w); break;
	default: data_close(&w); break;
	}
	*event = w.event;
	*actor = w.actor;
	return w.d;
}

static int close_export(struct gen *g, struct rb_err *e)
{
	struct rb_ledger_state next;

	if (g->s == NULL)
		return 0;
	if (rb_sealer_close(g->s, 1, &next, e) != 0) {
		g->s = NULL;
		return -1;
	}
	g->s = NULL;
	rb_state_clear(&g->state);
	g->state = next;
	g->stats->exports++;
	return 0;
}

static int emit(struct gen *g, const struct ev *ev, struct rb_err *e)
{
	const char *event = NULL, *actor = NULL;
	struct rb_cosigner co;
	char ts[RB_TIME_MAX];
	int64_t y;
	unsigned m, d;
	cJSON *data;
	int rc, cos = 0;

	rb_civil_from_days(ev->t.sec / 86400, &y, &m, &d);
	if (g->s == NULL || (int)y != g->cur_y || (int)m != g->cur_m) {
		char dir[PATH_MAX], name[16];

		if (close_export(g, e) != 0)
			return -1;
		snprintf(name, sizeof(name), "%04d-%02u", (int)y, m);
		if (rb_path_join(dir, sizeof(dir), g->ledger_dir, name, e) != 0 ||
		    rb_sealer_open(dir, &g->state, g->using_k2 ? "sample-ledger-k2" :
				   "sample-ledger-k1", g->using_k2 ? g->k2 : g->k1, &g->s, e) != 0)
			return -1;
		g->cur_y = (int)y;
		g->cur_m = (int)m;
	}
	/* Key rotation (§6): from the rotation time on, the second key signs. */
	if (!g->using_k2 && rb_time_cmp(&ev->t, &g->rotation) >= 0) {
		g->using_k2 = 1;
		if (rb_sealer_set_key(g->s, "sample-ledger-k2", g->k2, e) != 0)
			return -1;
	}
	data = event_data(g, ev, &event, &actor);
	if (data == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	/* About half of the approvers countersign their approvals. */
	if (ev->kind == K_APPROVE && ev->arg < NAPPROVERS &&
	    (ev->st.rollback + ev->arg) % 2 == 0) {
		co.name = approvers[ev->arg].key;
		co.key = g->akeys[ev->arg];
		cos = 1;
		g->stats->countersigned++;
	}
	rb_time_format(&ev->t, ts);
	rc = rb_sealer_add(g->s, ts, event, actor, data, cos ? &co : NULL, (size_t)cos, e);
	cJSON_Delete(data);
	if (rc == 0) {
		g->stats->entries++;
		if (g->o->progress != NULL && g->stats->entries % 10000 == 0)
			g->o->progress(g->o->progress_ctx, g->stats->entries);
	}
	return rc;
}

/* A key from the seed and its name: SHA-256("rbaudit-sample" || seed || name). */
static int derive_key(uint64_t seed, const char *name, rb_privkey **out, struct rb_err *e)
{
	char buf[256];
	uint8_t h[32];
	int n = snprintf(buf, sizeof(buf), "rbaudit-sample\n%" PRIu64 "\n%s", seed, name);

	rb_sha256(buf, (size_t)n, h);
	return rb_privkey_from_seed(h, out, e);
}

static int write_key(const char *out, const char *name, const rb_privkey *k,
		     struct rb_err *e)
{
	char dir[PATH_MAX], path[PATH_MAX], file[RB_KEYNAME_MAX + 8];

	snprintf(file, sizeof(file), "%s.pem", name);
	if (rb_path_join(dir, sizeof(dir), out, "keys", e) != 0 ||
	    rb_mkdir_p(dir, 0700, e) != 0 ||
	    rb_path_join(path, sizeof(path), dir, file, e) != 0)
		return -1;
	return rb_privkey_save(k, path, e);
}

static cJSON *sample_entry(const char *name, const char *identity, const rb_privkey *k,
			   const char *roles, const struct rb_time *from,
			   const struct rb_time *until)
{
	uint8_t pub[32];
	cJSON *o;
	char ts[RB_TIME_MAX];

	rb_privkey_public(k, pub);
	o = rb_tkey_entry(name, identity, pub, roles, from);
	if (o == NULL)
		return NULL;
	if (until != NULL) {
		rb_time_format(until, ts);
		cJSON_ReplaceItemInObject(o, "valid_until", cJSON_CreateString(ts));
	}
	cJSON_AddStringToObject(o, "comment", "SAMPLE KEY derived from a public seed: "
				"unsafe for real use, never trust it outside demos and tests");
	return o;
}

void rb_sample_defaults(struct rb_sample_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->start_year = 2026;
	o->start_month = 5;
	o->months = 6;
	o->deploys_per_day = 12;
	o->ledgers = 1;
}

/* The sample's span [start, end) and the entry key's rotation (mid). */
static void sample_times(const struct rb_sample_opts *o, struct rb_time *start,
			 struct rb_time *mid, struct rb_time *end)
{
	int64_t ey = o->start_year + (o->start_month - 1 + o->months) / 12;
	unsigned em = (unsigned)((o->start_month - 1 + o->months) % 12 + 1);
	int mm = o->start_month - 1 + o->months / 2;

	start->sec = rb_days_from_civil(o->start_year, (unsigned)o->start_month, 1) * 86400;
	start->nsec = 0;
	end->sec = rb_days_from_civil(ey, em, 1) * 86400;
	end->nsec = 0;
	/* The entry key rotates in the middle month, on its 15th. */
	mid->sec = rb_days_from_civil(o->start_year + mm / 12, (unsigned)(mm % 12 + 1), 15) * 86400;
	mid->nsec = 0;
	if (o->months < 2)
		*mid = *end;
}

/* The keys, derived from the seed: the trust store and the private key files. */
static int write_keys(struct gen *g, const struct rb_time *start, const struct rb_time *mid,
		      struct rb_err *e)
{
	const struct rb_sample_opts *o = g->o;
	cJSON *store = NULL, *keys;
	char path[PATH_MAX];
	int i, rc = -1;

	if (derive_key(o->seed, "sample-ledger-k1", &g->k1, e) != 0 ||
	    derive_key(o->seed, "sample-ledger-k2", &g->k2, e) != 0)
		goto out;
	for (i = 0; i < (int)NAPPROVERS; i++)
		if (derive_key(o->seed, approvers[i].key, &g->akeys[i], e) != 0)
			goto out;
	store = cJSON_CreateObject();
	keys = cJSON_AddArrayToObject(store, "keys");
	cJSON_AddItemToArray(keys, sample_entry("sample-ledger-k1", NULL, g->k1,
						"entry,checkpoint", start,
						o->months >= 2 ? mid : NULL));
	if (o->months >= 2)
		cJSON_AddItemToArray(keys, sample_entry("sample-ledger-k2", NULL, g->k2,
							"entry,checkpoint", mid, NULL));
	for (i = 0; i < (int)NAPPROVERS; i++)
		cJSON_AddItemToArray(keys, sample_entry(approvers[i].key, approvers[i].identity,
							g->akeys[i], "approver", start, NULL));
	if (rb_path_join(path, sizeof(path), o->out, "keys.json", e) != 0 ||
	    rb_write_json(path, store, 0644, e) != 0)
		goto out;
	if (rb_path_join(path, sizeof(path), o->out, "policy.json", e) != 0 ||
	    rb_write_atomic(path, sample_policy, sizeof(sample_policy) - 1, 0644, e) != 0)
		goto out;
	if (write_key(o->out, "sample-ledger-k1", g->k1, e) != 0 ||
	    (o->months >= 2 && write_key(o->out, "sample-ledger-k2", g->k2, e) != 0))
		goto out;
	for (i = 0; i < (int)NAPPROVERS; i++)
		if (write_key(o->out, approvers[i].key, g->akeys[i], e) != 0)
			goto out;
	rc = 0;
out:
	cJSON_Delete(store);
	return rc;
}

/* Ledger L (from 0), day by day over [start, end), from its own stream of randomness. */
static int write_ledger(struct gen *g, int L, int64_t start, int64_t end, struct rb_err *e)
{
	const struct rb_sample_opts *o = g->o;
	char sub[160];
	struct ev ev;
	int64_t day;

	rng_seed(&g->r, o->seed * 1000003u + (uint64_t)L);
	g->order = 0;
	g->changes = g->incidents = g->rollbacks = 0;
	g->using_k2 = 0;
	g->cur_y = g->cur_m = 0;
	if (o->ledgers == 1)
		snprintf(g->origin, sizeof(g->origin), "acme.example/rollback-ledger");
	else
		snprintf(g->origin, sizeof(g->origin), "acme.example/rollback-ledger-%d", L + 1);
	rb_state_init(&g->state, g->origin);
	snprintf(sub, sizeof(sub), "exports/%s", strchr(g->origin, '/') + 1);
	if (rb_path_join(g->ledger_dir, sizeof(g->ledger_dir), o->out, sub, e) != 0)
		return -1;
	for (day = start; day < end; day += 86400) {
		if (plan_day(g, day) != 0)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		while (g->h.n > 0 && g->h.v[0].t.sec < day + 86400) {
			heap_pop(&g->h, &ev);
			if (emit(g, &ev, e) != 0)
				return -1;
		}
	}
	g->h.n = 0;     /* events after the end are never written */
	if (close_export(g, e) != 0)
		return -1;
	rb_state_clear(&g->state);
	return 0;
}

int rb_sample_generate(const struct rb_sample_opts *o, struct rb_sample_stats *stats,
		       struct rb_err *e)
{
	struct gen g;
	struct rb_time start, mid, end;
	int i, L, st, rc = -1;

	memset(&g, 0, sizeof(g));
	memset(stats, 0, sizeof(*stats));
	if (o->months < 1 || o->months > 1200 || o->ledgers < 1 || o->ledgers > 100 ||
	    o->deploys_per_day < 0 || o->deploys_per_day > 1e6 || o->start_month < 1 ||
	    o->start_month > 12 || o->start_year < 1970 || o->start_year > 9999)
		return RB_ERR(e, RB_EX_USAGE, "sample: options out of range");
	g.o = o;
	g.stats = stats;
	sample_times(o, &start, &mid, &end);
	/* Never over what a user has: a new or empty folder only. */
	if (rb_dir_state(o->out, &st, e) != 0)
		return -1;
	if (st == 2)
		return RB_ERR(e, RB_EX_CANTCREAT, "'%s' is not empty: sample writes only "
			      "into a new or empty folder, and replaces nothing", o->out);
	if (rb_mkdir_p(o->out, 0750, e) != 0 || write_keys(&g, &start, &mid, e) != 0)
		goto out;
	g.rotation = mid;
	g.end = end.sec;
	for (L = 0; L < o->ledgers; L++)
		if (write_ledger(&g, L, start.sec, end.sec, e) != 0)
			goto out;
	rc = 0;
out:
	if (g.s != NULL)
		rb_sealer_close(g.s, 0, NULL, NULL);
	rb_state_clear(&g.state);
	free(g.h.v);
	rb_privkey_free(g.k1);
	rb_privkey_free(g.k2);
	for (i = 0; i < (int)NAPPROVERS; i++)
		rb_privkey_free(g.akeys[i]);
	return rc;
}
