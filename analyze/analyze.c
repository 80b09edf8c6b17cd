/* analyze.c - the metrics-v1 engine (§§3-7) over the ingested entries. */
#include "analyze.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/period.h"
#include "analyze/stats.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/ident.h"
#include "lib/schema.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/pool.h"
#include "lib/rtime.h"
#include "lib/stored.h"

#define NS 1000000000LL

/* Built without it only for make bench, to measure what the check costs. */
#ifdef RB_BENCH_NO_STORED_CHECK
#define STORED_CHECK 0
#else
#define STORED_CHECK 1
#endif

/* The main connection's queries, then the per-rollback ones each reader prepares. */
enum {
	Q_LEDGERS, Q_ASOF, Q_EXECUTED, Q_DEPLOYS, Q_FAILED, Q_ANOMALIES, Q_ORPHANS, Q_SIZE, Q_MAIN,
	Q_OF_ROLLBACK = Q_MAIN, Q_DEPLOY, Q_INCIDENT, Q_COUNT
};

/*
 * §8.3: is the entry x a failed attempt?  A seek in the small partial index
 * of the failed ones (schema version 9), never the payload.
 */
#define FAILED(x) \
	"EXISTS (SELECT 1 FROM entry f INDEXED BY entry_failed WHERE f.ledger_id = " x \
	".ledger_id AND f.rollback_id = " x ".rollback_id AND f.seq = " x ".seq AND f.failed = 1)"

static const char *const sql[Q_COUNT] = {
	[Q_LEDGERS] = "SELECT id, origin FROM ledger ORDER BY origin",
	[Q_ASOF] = "SELECT max(time_s * 1000000000 + time_ns) FROM entry WHERE ledger_id = ?1",
	/* §3 and §8.3: the rollbacks whose execution (the first
	 * rollback.executed that is not a failed attempt) falls in [start, end)
	 * and that have a rollback.requested. */
	[Q_EXECUTED] =
		"SELECT e.rollback_id FROM entry e INDEXED BY entry_event_time "
		"WHERE e.event = 'rollback.executed' AND e.time_s >= ?2 AND e.time_s < ?3 "
		"AND e.ledger_id = ?1 AND e.rollback_id IS NOT NULL AND NOT " FAILED("e") " "
		"AND (e.counted = 1 OR NOT EXISTS (SELECT 1 FROM entry x INDEXED BY entry_rollback "
		"  WHERE x.ledger_id = e.ledger_id AND x.rollback_id = e.rollback_id "
		"  AND x.event = 'rollback.executed' AND x.seq < e.seq AND NOT " FAILED("x") ")) "
		"AND EXISTS (SELECT 1 FROM entry r INDEXED BY entry_rollback "
		"  WHERE r.ledger_id = e.ledger_id "
		"  AND r.rollback_id = e.rollback_id AND r.event = 'rollback.requested') "
		"ORDER BY e.time_s, e.time_ns, e.seq",
	/* In the index's order (event, seq): each event's first comes first. */
	[Q_OF_ROLLBACK] = "SELECT seq, time_s, time_ns, event, actor, payload, countersigner "
			  "FROM entry INDEXED BY entry_rollback WHERE ledger_id = ?1 AND rollback_id = ?2 "
			  "ORDER BY event, seq",
	[Q_DEPLOY] = "SELECT seq, time_s, time_ns, payload FROM entry INDEXED BY entry_change "
		     "WHERE ledger_id = ?1 "
		     "AND change_id = ?2 AND event = 'change.deployed' ORDER BY seq LIMIT 1",
	[Q_INCIDENT] = "SELECT seq, time_s, time_ns FROM entry INDEXED BY entry_incident "
		       "WHERE ledger_id = ?1 "
		       "AND incident_id = ?2 AND event = 'incident.detected' ORDER BY seq LIMIT 1",
	/* §4 deployments: the first change.deployed of each change, in the
	 * period (counted = 1 marks the first; the partial index holds them). */
	[Q_DEPLOYS] =
		"SELECT count(*) FROM entry INDEXED BY entry_deploys "
		"WHERE ledger_id = ?1 AND time_s >= ?2 AND time_s < ?3 "
		"AND event = 'change.deployed' AND change_id IS NOT NULL AND counted = 1",
	/* §8.3 failed_executions: failed attempts of any rollback in the period. */
	[Q_FAILED] =
		"SELECT count(*) FROM entry e INDEXED BY entry_failed_time "
		"WHERE e.ledger_id = ?1 AND e.time_s >= ?2 AND e.time_s < ?3 AND e.failed = 1 "
		"AND e.event = 'rollback.executed' AND e.rollback_id IS NOT NULL",
	[Q_ANOMALIES] = "SELECT a.seq, a.kind, a.member, a.detail, e.rollback_id, e.time "
			"FROM anomaly a JOIN entry e ON e.ledger_id = a.ledger_id AND e.seq = a.seq "
			"WHERE a.ledger_id = ?1 AND e.time_s >= ?2 AND e.time_s < ?3 "
			"ORDER BY a.seq, a.kind, a.member",
	/* Lifecycle events of rollbacks that were never requested. */
	[Q_ORPHANS] =
		"SELECT e.seq, e.event, e.rollback_id, e.time FROM entry e INDEXED BY entry_event_time "
		"WHERE e.ledger_id = ?1 AND e.time_s >= ?2 AND e.time_s < ?3 "
		"AND e.event IN ('rollback.approved', 'rollback.rejected', 'rollback.executed', "
		"  'rollback.verified', 'rollback.reviewed', 'rollback.closed') "
		"AND e.rollback_id IS NOT NULL "
		"AND NOT EXISTS (SELECT 1 FROM entry r INDEXED BY entry_rollback "
		"  WHERE r.ledger_id = e.ledger_id "
		"  AND r.rollback_id = e.rollback_id AND r.event = 'rollback.requested') "
		"ORDER BY e.seq",
	[Q_SIZE] = "SELECT size FROM ledger WHERE id = ?1",
};


/*
 * Every query names its index (INDEXED BY): without statistics SQLite may
 * prefer walking the primary key in seq order, which is a scan of the
 * whole ledger per rollback.
 */

/* An approval of a rollback. */
struct approval {
	char *actor;            /* as the entry spells it */
	char *normal;           /* its normal form (lib/ident.h) */
	const char *person;     /* who that is (§8.1): normal, or the policy's */
	int64_t t;
	int countersigned;
};

/* Everything about one rollback that the metrics read. */
struct rbk {
	char *id;
	int64_t requested, executed, detected, deployed;        /* ns */
	int has_deployed, incident_found;
	char *requester, *executor, *service, *env, *team, *change_id, *incident_id;
	/* §8.1: the requester's and executor's normal forms, and who they are */
	char *requester_n, *executor_n;
	const char *requester_p, *executor_p;
	int failed_attempts;    /* §8.3: failed rollback.executed before the execution */
	int64_t rejected;       /* first rollback.rejected, INT64_MAX if none */
	int tier;               /* -1: missing or unknown (held to the highest) */
	int emergency;
	int touches;            /* bit mask over rb_touch_names */
	int nreintroduces;
	int texts[4];           /* ticket, rationale, impact, security-considerations present */
	struct approval *ap;
	size_t nap;
	int64_t first_tests_pass, first_scan_pass;      /* any time; INT64_MAX if none */
	int tests_in_window;    /* a passing tests evidence within the verify window */
	int64_t *reviews;
	size_t nreviews;
	int64_t closed;         /* first rollback.closed, INT64_MAX if none */
	int has_closed;
	int64_t *seqs;
	size_t nseqs;
	cJSON *trail;           /* the entries behind it (for the audit sample) */
};

struct ctx {
	const struct rb_analyze_opts *o;
	const struct rb_policy *p;
	sqlite3 *db;
	sqlite3_stmt *q[Q_MAIN];
	int64_t ledger_id;
	char origin[512];
	int64_t as_of;          /* ns */
	cJSON *controls;
	struct rb_err *e;
	/* Storing (opts->store): one transaction around the whole analysis. */
	int in_txn;
	int64_t analysis_id;
	sqlite3_stmt *ins_r, *ins_f;
	cJSON *late;            /* anomalies found while evaluating the rollbacks */
	/* Readers: one connection each, used by one thread at a time. */
	struct reader *rd;
	size_t nrd;
	rb_pool *pool;
};

/*
 * A read-only connection with its statements and arena: the rollbacks of a
 * period are loaded and evaluated on several at once (one per thread), then
 * stored in order on the main connection.
 */
struct reader {
	sqlite3 *db;
	sqlite3_stmt *of_rollback, *deploy, *incident;
	rb_json_arena *arena;
	struct rb_err e;
};

static void fmt_ns(int64_t ns, char out[RB_TIME_MAX])
{
	struct rb_time t;

	t.sec = ns / NS;
	t.nsec = (int32_t)(ns % NS);
	if (t.nsec < 0) {
		t.nsec += (int32_t)NS;
		t.sec--;
	}
	rb_time_format(&t, out);
}

static int64_t col_ns(sqlite3_stmt *q, int s, int n)
{
	return sqlite3_column_int64(q, s) * NS + sqlite3_column_int64(q, n);
}

/* A copy of s (NULL for NULL); *oom set when it cannot be made. */
static char *dupstr_or(const char *s, int *oom)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((d = malloc(n)) == NULL) {
		*oom = 1;
		return NULL;
	}
	return memcpy(d, s, n);
}


static void rbk_free(struct rbk *r)
{
	size_t i;

	free(r->id);
	free(r->requester);
	free(r->executor);
	free(r->service);
	free(r->env);
	free(r->team);
	free(r->change_id);
	free(r->incident_id);
	free(r->requester_n);
	free(r->executor_n);
	for (i = 0; i < r->nap; i++) {
		free(r->ap[i].actor);
		free(r->ap[i].normal);
	}
	free(r->ap);
	free(r->reviews);
	free(r->seqs);
	cJSON_Delete(r->trail);
	memset(r, 0, sizeof(*r));
}

static int push_i64(int64_t **v, size_t *n, int64_t x)
{
	int64_t *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	*v = nv;
	nv[(*n)++] = x;
	return 0;
}

static int64_t hours_ns(double h)
{
	return (int64_t)llround(h * 3600.0 * 1e9);
}

/* The evidence items of one rollback.verified: tests and scan results. */
static void read_evidence(const cJSON *data, int *tests_pass, int *scan_pass)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(data, "evidence"), *it;

	*tests_pass = *scan_pass = 0;
	cJSON_ArrayForEach(it, ev) {
		const char *kind = rb_json_str(it, "kind"), *res = rb_json_str(it, "result");

		if (kind == NULL || res == NULL || strcmp(res, "pass") != 0)
			continue;
		if (strcmp(kind, "tests") == 0)
			*tests_pass = 1;
		else if (strcmp(kind, "security-scan") == 0)
			*scan_pass = 1;
	}
}

/*
 * A stored payload (verified at ingest), parsed into the reader's arena;
 * NULL when it is not JSON, and then *oom set when that was for want of
 * memory.
 */
static cJSON *parse_payload(struct reader *rd, sqlite3_stmt *q, int col, int *oom)
{
	cJSON *body = NULL;
	char why[8];

	if (rb_json_parse_in(rd->arena, sqlite3_column_blob(q, col),
			     (size_t)sqlite3_column_bytes(q, col), 64, &body, why,
			     sizeof(why)) != 0) {
		*oom |= errno == ENOMEM;
		return NULL;
	}
	return body;
}

static int cmp_trail(const void *a, const void *b)
{
	double x = cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)a, "seq")->valuedouble;
	double y = cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)b, "seq")->valuedouble;

	return (x > y) - (x < y);
}

/* Order a trail's entries by seq; -1 when out of memory. */
static int sort_trail(cJSON *trail)
{
	int n = cJSON_GetArraySize(trail), i;
	cJSON **v, *x;

	if (n < 2)
		return 0;
	if ((v = malloc((size_t)n * sizeof(cJSON *))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(trail, 0);
	qsort(v, (size_t)n, sizeof(cJSON *), cmp_trail);
	for (i = 0; i < n; i++) {
		x = v[i];
		cJSON_AddItemToArray(trail, x);
	}
	free(v);
	return 0;
}

/* What load_rollback keeps between the rows of one rollback. */
struct loading {
	int have_req, have_exe;
	struct {
		int64_t t;
		int tests;
	} *ver;                 /* each rollback.verified: its time, tests passed */
	size_t nver;
	int oom;                /* an item that could not be kept: the stage stops */
};

/* The row's entry, as the audit sample shows it, appended to r->trail; -1
 * when out of memory. */
static int add_trail_entry(struct rbk *r, sqlite3_stmt *q, int64_t seq, int64_t t,
			   const char *event, const char *actor, const cJSON *data)
{
	cJSON *o = cJSON_CreateObject(), *d = NULL;
	char ts[RB_TIME_MAX];

	fmt_ns(t, ts);
	if (o == NULL || cJSON_AddNumberToObject(o, "seq", (double)seq) == NULL ||
	    cJSON_AddStringToObject(o, "time", ts) == NULL ||
	    cJSON_AddStringToObject(o, "event", event) == NULL ||
	    cJSON_AddStringToObject(o, "actor", actor) == NULL ||
	    (sqlite3_column_type(q, 6) == SQLITE_TEXT &&
	     cJSON_AddStringToObject(o, "countersigned_by",
				     (const char *)sqlite3_column_text(q, 6)) == NULL) ||
	    (data != NULL && ((d = cJSON_Duplicate(data, 1)) == NULL ||
			      !cJSON_AddItemToObject(o, "data", d))) ||
	    !cJSON_AddItemToArray(r->trail, o)) {
		if (d != NULL && cJSON_GetObjectItemCaseSensitive(o, "data") != d)
			cJSON_Delete(d);
		cJSON_Delete(o);
		return -1;
	}
	return 0;
}

/* The first rollback.requested: who, what, the tier and the texts; -1 when
 * out of memory. */
static int take_requested(struct rbk *r, int64_t t, const char *actor, const cJSON *data)
{
	static const char *const texts[4] = { "ticket", "rationale", "impact",
					       "security_considerations" };
	int k, oom = 0;

	r->requested = t;
	r->requester = dupstr_or(actor, &oom);
	r->service = dupstr_or(rb_json_str(data, "service"), &oom);
	r->env = dupstr_or(rb_json_str(data, "environment"), &oom);
	r->change_id = dupstr_or(rb_json_str(data, "change_id"), &oom);
	r->incident_id = dupstr_or(rb_json_str(data, "incident_id"), &oom);
	r->tier = rb_tier_of(rb_json_str(data, "risk_tier"));
	r->emergency = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "emergency"));
	for (k = 0; k < 4; k++) {
		const char *s = rb_json_str(data, texts[k]);

		r->texts[k] = rb_text_present(s);      /* §8.2 */
	}
	return oom ? -1 : 0;
}

/* The first rollback.executed: who, and what it touches and reintroduces;
 * -1 when out of memory. */
static int take_executed(struct rbk *r, int64_t t, const char *actor, const cJSON *data)
{
	const cJSON *it;
	int oom = 0;

	r->executed = t;
	r->executor = dupstr_or(actor, &oom);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(data, "touches")) {
		int k = rb_touch_of(cJSON_IsString(it) ? it->valuestring : NULL);

		if (k >= 0)
			r->touches |= 1 << k;
	}
	it = cJSON_GetObjectItemCaseSensitive(data, "reintroduces");
	r->nreintroduces = cJSON_IsArray(it) ? cJSON_GetArraySize(it) : 0;
	return oom ? -1 : 0;
}

/* A rollback.approved, read from the columns; 0 or -1 out of memory. */
static int take_approval(struct rbk *r, sqlite3_stmt *q, int64_t t, const char *actor)
{
	struct approval *na = realloc(r->ap, (r->nap + 1) * sizeof(*na));
	int oom = 0;

	if (na == NULL)
		return -1;      /* never a silently dropped approval */
	r->ap = na;
	na[r->nap].actor = dupstr_or(actor, &oom);
	na[r->nap].normal = NULL;
	na[r->nap].person = NULL;
	na[r->nap].t = t;
	na[r->nap].countersigned = sqlite3_column_type(q, 6) == SQLITE_TEXT;
	r->nap++;
	return oom ? -1 : 0;
}

/* A rollback.verified: the first passing tests and scan, and (for the
 * verify window, known once executed is) each one's time. */
static int take_verified(struct rbk *r, struct loading *ld, int64_t t, const cJSON *data)
{
	int tp, sp;
	void *nv = realloc(ld->ver, (ld->nver + 1) * sizeof(*ld->ver));

	read_evidence(data, &tp, &sp);
	if (tp && t < r->first_tests_pass)
		r->first_tests_pass = t;
	if (sp && t < r->first_scan_pass)
		r->first_scan_pass = t;
	if (nv == NULL)
		return -1;
	ld->ver = nv;
	ld->ver[ld->nver].t = t;
	ld->ver[ld->nver++].tests = tp;
	return 0;
}

/* One row of the rollback's entries (§1: the first requested, executed and
 * closed count). */
static void take_row(struct reader *rd, sqlite3_stmt *q, struct rbk *r, struct loading *ld)
{
	int64_t seq = sqlite3_column_int64(q, 0), t = col_ns(q, 1, 2);
	const char *event = (const char *)sqlite3_column_text(q, 3);
	const char *actor = (const char *)sqlite3_column_text(q, 4);
	int ev = rb_event_of(event);
	/* Approvals, reviews and closings are read from the columns: their
	 * payload is parsed only for the trail. */
	int want_data = r->trail != NULL ||
			(ev != RB_EVENT_ROLLBACK_APPROVED && ev != RB_EVENT_ROLLBACK_REVIEWED &&
			 ev != RB_EVENT_ROLLBACK_CLOSED);
	cJSON *body = want_data ? parse_payload(rd, q, 5, &ld->oom) : NULL;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(body, "data");

	ld->oom |= push_i64(&r->seqs, &r->nseqs, seq) != 0;
	if (r->trail != NULL)
		ld->oom |= add_trail_entry(r, q, seq, t, event, actor, data) != 0;
	switch (ev) {
	case RB_EVENT_ROLLBACK_REQUESTED:
		if (!ld->have_req)
			ld->oom |= take_requested(r, t, actor, data) != 0;
		ld->have_req = 1;
		break;
	case RB_EVENT_ROLLBACK_EXECUTED:
		/* §8.3: the execution is the first that is not a failed attempt. */
		if (ld->have_exe)
			break;
		if (rb_failed_attempt(event, data)) {       /* lib/vocab.h */
			r->failed_attempts++;
			break;
		}
		ld->oom |= take_executed(r, t, actor, data) != 0;
		ld->have_exe = 1;
		break;
	case RB_EVENT_ROLLBACK_REJECTED:
		if (t < r->rejected)
			r->rejected = t;
		break;
	case RB_EVENT_ROLLBACK_APPROVED:
		ld->oom |= take_approval(r, q, t, actor) != 0;
		break;
	case RB_EVENT_ROLLBACK_VERIFIED:
		ld->oom |= take_verified(r, ld, t, data) != 0;
		break;
	case RB_EVENT_ROLLBACK_REVIEWED:
		ld->oom |= push_i64(&r->reviews, &r->nreviews, t) != 0;
		break;
	case RB_EVENT_ROLLBACK_CLOSED:
		if (!r->has_closed) {
			r->has_closed = 1;
			r->closed = t;
		}
		break;
	default:
		break;
	}
	rb_json_arena_reset(rd->arena);
}

/* One identity's normal form into *normal and who it is into *person (§8.1). */
static int person_of(const struct ctx *c, const char *actor, char **normal,
		     const char **person, struct rb_err *e)
{
	*person = NULL;
	if (actor == NULL)
		return 0;
	if (rb_ident_normal(actor, normal, e) != 0)
		return -1;
	*person = rb_policy_person(c->p, *normal);
	return 0;
}

/* Who the requester, the executor and each approver are. */
static int resolve_people(const struct ctx *c, struct rbk *r, struct rb_err *e)
{
	size_t i;

	if (person_of(c, r->requester, &r->requester_n, &r->requester_p, e) != 0 ||
	    person_of(c, r->executor, &r->executor_n, &r->executor_p, e) != 0)
		return -1;
	for (i = 0; i < r->nap; i++)
		if (person_of(c, r->ap[i].actor, &r->ap[i].normal, &r->ap[i].person, e) != 0)
			return -1;
	return 0;
}

/* Load the entries of rollback id into r. */
static int load_rollback(const struct ctx *c, struct reader *rd, const char *id,
			 struct rbk *r, int want_trail)
{
	sqlite3_stmt *q = rd->of_rollback;
	struct loading ld = { 0 };
	int64_t verify_end;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	r->id = strdup(id);
	r->tier = -1;
	r->first_tests_pass = r->first_scan_pass = r->closed = r->rejected = INT64_MAX;
	if (want_trail && (r->trail = cJSON_CreateArray()) == NULL)
		ld.oom = 1;
	sqlite3_bind_int64(q, 1, c->ledger_id);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		take_row(rd, q, r, &ld);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE) {
		rc = rb_db_fail(rd->db, rc, &rd->e, "cannot read a rollback");
		goto out;
	}
	if (ld.oom || r->id == NULL) {
		rc = RB_ERR(&rd->e, RB_EX_SOFTWARE, "out of memory reading rollback %.80s", id);
		goto out;
	}
	if ((rc = resolve_people(c, r, &rd->e)) != 0)
		goto out;
	/* The trail in seq order (the rows came in event order). */
	if (r->trail != NULL && sort_trail(r->trail) != 0) {
		rc = RB_ERR(&rd->e, RB_EX_SOFTWARE, "out of memory reading rollback %.80s", id);
		goto out;
	}
	/* §6 unverified: passing tests evidence in [executed, executed + window]. */
	verify_end = r->executed + hours_ns(c->p->verify_window_hours);
	for (i = 0; i < ld.nver; i++)
		if (ld.ver[i].tests && ld.ver[i].t >= r->executed && ld.ver[i].t <= verify_end)
			r->tests_in_window = 1;
	rc = 0;
out:
	free(ld.ver);
	return rc;
}

/* D (first deployment of the change), its team, and detected (§3). */
static int load_context(const struct ctx *c, struct reader *rd, struct rbk *r)
{
	sqlite3_stmt *q;
	int rc, oom = 0;

	r->detected = r->requested;
	if (r->change_id != NULL) {
		q = rd->deploy;
		sqlite3_bind_int64(q, 1, c->ledger_id);
		sqlite3_bind_text(q, 2, r->change_id, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			cJSON *body = parse_payload(rd, q, 3, &oom);
			const char *team = rb_json_str(cJSON_GetObjectItemCaseSensitive(body, "data"),
						       "team");

			r->has_deployed = 1;
			r->deployed = col_ns(q, 1, 2);
			r->team = dupstr_or(team, &oom);
			oom |= push_i64(&r->seqs, &r->nseqs, sqlite3_column_int64(q, 0)) != 0;
			rb_json_arena_reset(rd->arena);
		}
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rb_db_fail(rd->db, rc, &rd->e, "cannot read a deployment");
	}
	if (r->incident_id != NULL) {
		q = rd->incident;
		sqlite3_bind_int64(q, 1, c->ledger_id);
		sqlite3_bind_text(q, 2, r->incident_id, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			r->incident_found = 1;
			r->detected = col_ns(q, 1, 2);
			oom |= push_i64(&r->seqs, &r->nseqs, sqlite3_column_int64(q, 0)) != 0;
		}
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rb_db_fail(rd->db, rc, &rd->e, "cannot read an incident");
	}
	return oom ? RB_ERR(&rd->e, RB_EX_SOFTWARE, "out of memory reading rollback %.80s", r->id) :
		     0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The rollback's tier for the policy's rules: unknown is held to the highest. */
static int tier_of(const struct rbk *r)
{
	return r->tier >= 0 ? r->tier : RB_TIER_CRITICAL;
}

/* Is person the rollback's requester or executor (§3, §8.1)? */
static int is_party(const struct rbk *r, const char *person)
{
	return (r->requester_p != NULL && strcmp(person, r->requester_p) == 0) ||
	       (r->executor_p != NULL && strcmp(person, r->executor_p) == 0);
}

/* One valid approver: who, when first, whether countersigned (any approval). */
struct approver {
	int64_t t;
	const char *who;        /* borrowed from the rollback's approvals: its first spelling */
	const char *person;     /* who that is (§8.1) */
	int cos;
	size_t ord;             /* the order first seen in, for a stable sort */
};

/* The distinct approvers of a rollback up to a time, earliest first (§4).
 * Owns its array. */
struct approvers {
	size_t n;
	struct approver *v;
};

static void approvers_free(struct approvers *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static int cmp_approver(const void *a, const void *b)
{
	const struct approver *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->ord > y->ord) - (x->ord < y->ord);
}

/*
 * §3 valid approvers before until: distinct actors of approvals at or
 * before it, not the requester nor the executor, ordered by their first
 * approval (ties in the order first seen).  0, or -1 when out of memory
 * (a left empty).
 */
static int approvers_of(const struct ctx *c, const struct rbk *r, int64_t until,
			struct approvers *a)
{
	size_t i, j;

	a->n = 0;
	if ((a->v = calloc(r->nap ? r->nap : 1, sizeof(*a->v))) == NULL)
		return -1;
	/* Approvals are in seq order; each actor's earliest time is kept. */
	for (i = 0; i < r->nap; i++) {
		const struct approval *ap = &r->ap[i];
		int dup = 0;

		if (ap->t > until || ap->person == NULL || is_party(r, ap->person) ||
		    !rb_policy_authorized(c->p, RB_ACTION_APPROVE, tier_of(r), ap->person))
			continue;
		for (j = 0; j < a->n; j++)
			if (strcmp(a->v[j].person, ap->person) == 0) {
				dup = 1;
				if (ap->t < a->v[j].t)
					a->v[j].t = ap->t;
				a->v[j].cos |= ap->countersigned;
			}
		if (!dup) {
			a->v[a->n].who = ap->actor;
			a->v[a->n].person = ap->person;
			a->v[a->n].cos = ap->countersigned;
			a->v[a->n].t = ap->t;
			a->v[a->n].ord = a->n;
			a->n++;
		}
	}
	qsort(a->v, a->n, sizeof(*a->v), cmp_approver);
	return 0;
}

/* The results for one rollback, and its JSON object. */
struct facts {
	int need, approved;
	double ttd, ttr, latency;
	int has_ttd, has_ttr, has_latency;
	int neg_ttd, neg_latency;       /* left out for being negative (ttr: !has_ttr) */
	int required[RB_NEVIDENCE], present[RB_NEVIDENCE];
	double completeness;
	int complete;
	double raw, factor;
	int score, level;
	int findings[RB_NFINDINGS];
};

static cJSON *controls_of(const struct ctx *c, const char *group, const char *key)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(c->controls, group);
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(g, key);

	return l != NULL ? cJSON_Duplicate(l, 1) : cJSON_CreateArray();
}

/* The touches categories the policy counts as security sensitive, as a bit mask. */
static int sensitive_mask(const struct rb_policy *p)
{
	int k, m = 0;

	for (k = 0; k < RB_NTOUCH; k++)
		m |= (p->sensitive[k] != 0) << k;
	return m;
}


/* §4: approval against the tier's need, and the derived times. */
static void derive_times(const struct ctx *c, const struct rbk *r,
			 const struct approvers *at_exec, struct facts *f)
{
	f->need = c->p->approvals_required[tier_of(r)];
	f->approved = (int)at_exec->n >= f->need;
	/* §8.3: a duration that would be negative is left out (an anomaly). */
	f->ttr = (double)(r->executed - r->detected) / 1e9;
	f->has_ttr = f->ttr >= 0;
	if (r->has_deployed) {
		f->ttd = (double)(r->detected - r->deployed) / 1e9;
		f->has_ttd = f->ttd >= 0;
		f->neg_ttd = !f->has_ttd;
	}
	if (f->approved && f->need > 0) {
		f->latency = (double)(at_exec->v[f->need - 1].t - r->requested) / 1e9;
		f->has_latency = f->latency >= 0;
		f->neg_latency = !f->has_latency;
	}
}

/* §5: which evidence items are required and present (in the enum's order,
 * alphabetical), and the completeness.  -1 when out of memory. */
static int assess_evidence(const struct ctx *c, const struct rbk *r, struct facts *f)
{
	const struct rb_policy *p = c->p;
	int tier = tier_of(r), nreq = 0, npres = 0, k;

	for (k = 0; k < RB_NEVIDENCE; k++) {
		int *req = &f->required[k], *pres = &f->present[k];

		*req = 1;
		switch ((enum rb_evidence)k) {
		case RB_EVIDENCE_APPROVALS:
			/* An emergency rollback's approvals may follow it. */
			if (r->emergency) {
				struct approvers late;

				if (approvers_of(c, r, c->as_of, &late) != 0)
					return -1;
				*pres = (int)late.n >= f->need;
				approvers_free(&late);
			} else {
				*pres = f->approved;
			}
			break;
		case RB_EVIDENCE_IMPACT:
			*pres = r->texts[2];
			break;
		case RB_EVIDENCE_RATIONALE:
			*pres = r->texts[1];
			break;
		case RB_EVIDENCE_REVIEW:
			*req = r->emergency || tier == RB_TIER_CRITICAL;
			*pres = r->nreviews > 0;
			break;
		case RB_EVIDENCE_SECURITY_CONSIDERATIONS:
			*pres = r->texts[3];
			break;
		case RB_EVIDENCE_SECURITY_SCAN:
			*req = p->scan_required[tier] || (r->touches & sensitive_mask(p));
			*pres = r->first_scan_pass <= c->as_of;
			break;
		case RB_EVIDENCE_TESTS:
			*pres = r->first_tests_pass <= c->as_of;
			break;
		case RB_EVIDENCE_TICKET:
		default:
			*pres = r->texts[0];
			break;
		}
		nreq += *req;
		npres += *req && *pres;
	}
	f->completeness = nreq ? (double)npres / nreq : 1.0;
	f->complete = npres == nreq;
	return 0;
}

/* §8.5 unauthorized-actor: a requester, executor or approver the policy
 * does not authorise for that at the rollback's tier. */
static int unauthorized(const struct ctx *c, const struct rbk *r)
{
	int tier = tier_of(r);
	size_t i;

	if ((r->requester_p != NULL &&
	     !rb_policy_authorized(c->p, RB_ACTION_REQUEST, tier, r->requester_p)) ||
	    (r->executor_p != NULL &&
	     !rb_policy_authorized(c->p, RB_ACTION_EXECUTE, tier, r->executor_p)))
		return 1;
	for (i = 0; i < r->nap; i++)
		if (r->ap[i].person != NULL &&
		    !rb_policy_authorized(c->p, RB_ACTION_APPROVE, tier, r->ap[i].person))
			return 1;
	return 0;
}

/* §6: the policy findings. */
static void find_findings(const struct ctx *c, const struct rbk *r, struct facts *f)
{
	const struct rb_policy *p = c->p;
	int64_t review_end = r->executed + hours_ns(p->review_window_hours);
	int64_t revert_end = r->executed + hours_ns(p->max_revert_days * 24);
	size_t i;
	int sod = 0;

	for (i = 0; i < r->nap; i++)
		if (r->ap[i].person != NULL && is_party(r, r->ap[i].person))
			sod = 1;
	f->findings[RB_FINDING_APPROVALS_MISSING] = !r->emergency && !f->approved;
	f->findings[RB_FINDING_SEPARATION_OF_DUTIES] = sod;
	f->findings[RB_FINDING_UNAUTHORIZED_ACTOR] = unauthorized(c, r);
	f->findings[RB_FINDING_REJECTED_EXECUTED] = r->rejected <= r->executed;
	if (r->emergency && review_end <= c->as_of) {
		int ok = 0;

		for (i = 0; i < r->nreviews; i++)
			ok |= r->reviews[i] >= r->executed && r->reviews[i] <= review_end;
		f->findings[RB_FINDING_EMERGENCY_UNREVIEWED] = !ok;
	}
	if (r->executed + hours_ns(p->verify_window_hours) <= c->as_of)
		f->findings[RB_FINDING_UNVERIFIED] = !r->tests_in_window;
	if (revert_end <= c->as_of)
		f->findings[RB_FINDING_STALE_REVERT] = !(r->has_closed && r->closed <= revert_end);
	f->findings[RB_FINDING_SECURITY_REGRESSION] = r->nreintroduces > 0;
}

/* One factor of the score: its weight is added to the raw score. */
static cJSON *add_factor(cJSON *factors, struct facts *f, const char *name, double weight)
{
	cJSON *x = cJSON_CreateObject();

	f->raw += weight;
	cJSON_AddStringToObject(x, "factor", name);
	cJSON_AddItemToArray(factors, x);
	return x;
}

/* §7: the security impact score and level, and the factors behind it (a new
 * array, the caller's; NULL when out of memory). */
static cJSON *score(const struct ctx *c, const struct rbk *r, struct facts *f)
{
	const struct rb_policy *p = c->p;
	cJSON *fa = cJSON_CreateArray(), *x;
	int k;

	f->raw = 0;
	for (k = 0; k < RB_NTOUCH; k++)
		if (r->touches & (1 << k)) {
			x = add_factor(fa, f, rb_touch_names[k], p->w_touch[k]);
			cJSON_AddNumberToObject(x, "weight", p->w_touch[k]);
		}
	if (r->nreintroduces > 0) {
		int m = r->nreintroduces < 2 ? r->nreintroduces : 2;

		x = add_factor(fa, f, "advisory", p->w_advisory * m);
		cJSON_AddNumberToObject(x, "count", m);
		cJSON_AddNumberToObject(x, "weight", p->w_advisory * m);
	}
	/* §8.5: a rejected rollback that was executed bypassed the gate too (once). */
	if ((!r->emergency && !f->approved) || f->findings[RB_FINDING_REJECTED_EXECUTED]) {
		x = add_factor(fa, f, "gate-bypass", p->w_gate_bypass);
		cJSON_AddNumberToObject(x, "weight", p->w_gate_bypass);
	}
	if (r->emergency) {
		x = add_factor(fa, f, "emergency", p->w_emergency);
		cJSON_AddNumberToObject(x, "weight", p->w_emergency);
	}
	f->factor = rb_policy_env_factor(p, r->env);
	f->score = (int)floor(f->raw * f->factor + 0.5);
	if (f->score > 100)
		f->score = 100;
	f->level = f->score >= p->level_critical ? RB_LEVEL_CRITICAL :
		   f->score >= p->level_high ? RB_LEVEL_HIGH :
		   f->score >= p->level_medium ? RB_LEVEL_MEDIUM : RB_LEVEL_LOW;
	return fa;
}

static void add_str_or_null(cJSON *o, const char *name, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void add_num_or_null(cJSON *o, const char *name, int has, double v)
{
	if (has)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void add_time(cJSON *o, const char *name, int64_t ns)
{
	char ts[RB_TIME_MAX];

	fmt_ns(ns, ts);
	cJSON_AddStringToObject(o, name, ts);
}

/* The members of the expected output (metrics-v1's per-rollback object). */
static void put_figures(cJSON *o, const struct rbk *r, const struct facts *f)
{
	cJSON *a;
	int k;

	cJSON_AddStringToObject(o, "rollback_id", r->id);
	add_str_or_null(o, "service", r->service);
	add_str_or_null(o, "environment", r->env);
	add_str_or_null(o, "team", r->team);
	add_str_or_null(o, "risk_tier", r->tier >= 0 ? rb_tier_names[r->tier] : NULL);
	cJSON_AddBoolToObject(o, "emergency", r->emergency);
	add_num_or_null(o, "ttd", f->has_ttd, f->ttd);
	add_num_or_null(o, "ttr", f->has_ttr, f->ttr);
	add_num_or_null(o, "approval_latency", f->has_latency, f->latency);
	cJSON_AddNumberToObject(o, "failed_attempts", r->failed_attempts);
	cJSON_AddNumberToObject(o, "completeness", f->completeness);
	cJSON_AddBoolToObject(o, "complete", f->complete);
	a = cJSON_AddArrayToObject(o, "missing");
	for (k = 0; k < RB_NEVIDENCE; k++)
		if (f->required[k] && !f->present[k])
			cJSON_AddItemToArray(a, cJSON_CreateString(rb_evidence_names[k]));
	cJSON_AddNumberToObject(o, "score", f->score);
	cJSON_AddStringToObject(o, "level", rb_level_names[f->level]);
	a = cJSON_AddArrayToObject(o, "findings");
	for (k = 0; k < RB_NFINDINGS; k++)
		if (f->findings[k])
			cJSON_AddItemToArray(a, cJSON_CreateString(rb_finding_names[k]));
}

static void add_approval(cJSON *list, const char *actor, int64_t t, int countersigned)
{
	cJSON *x = cJSON_CreateObject();

	cJSON_AddStringToObject(x, "actor", actor);
	add_time(x, "time", t);
	cJSON_AddBoolToObject(x, "countersigned", countersigned);
	cJSON_AddItemToArray(list, x);
}

/* Add spelling to person's entry of same (an object person -> [spellings]). */
static void add_spelling(cJSON *same, const char *person, const char *spelling)
{
	cJSON *l = cJSON_GetObjectItemCaseSensitive(same, person), *x;

	if (person == NULL || spelling == NULL)
		return;
	if (l == NULL)
		l = cJSON_AddArrayToObject(same, person);
	cJSON_ArrayForEach(x, l)
		if (strcmp(x->valuestring, spelling) == 0)
			return;
	cJSON_AddItemToArray(l, cJSON_CreateString(spelling));
}

/*
 * §8.1, for the auditor: the people of the rollback (requester, executor,
 * approvers) written in more than one way and taken as one, each with the
 * spellings as the entries have them: [{"person", "spellings"}].
 */
static void put_same_person(cJSON *o, const struct rbk *r)
{
	cJSON *same = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "same_person"), *l;
	size_t i;

	add_spelling(same, r->requester_p, r->requester);
	add_spelling(same, r->executor_p, r->executor);
	for (i = 0; i < r->nap; i++)
		add_spelling(same, r->ap[i].person, r->ap[i].actor);
	cJSON_ArrayForEach(l, same) {
		cJSON *x;

		if (cJSON_GetArraySize(l) < 2)
			continue;
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "person", l->string);
		cJSON_AddItemToObject(x, "spellings", cJSON_Duplicate(l, 1));
		cJSON_AddItemToArray(a, x);
	}
	cJSON_Delete(same);
}

/* What an auditor needs beyond the figures: ids, people, times, approvals. */
static void put_trail(cJSON *o, const struct rbk *r, const struct facts *f,
		      const struct approvers *at_exec)
{
	cJSON *a;
	size_t i;

	add_str_or_null(o, "change_id", r->change_id);
	add_str_or_null(o, "incident_id", r->incident_id);
	add_str_or_null(o, "requester", r->requester);
	add_str_or_null(o, "executor", r->executor);
	if (r->has_deployed)
		add_time(o, "deployed", r->deployed);
	else
		cJSON_AddNullToObject(o, "deployed");
	add_time(o, "detected", r->detected);
	cJSON_AddBoolToObject(o, "incident_found", r->incident_found);
	add_time(o, "requested", r->requested);
	add_time(o, "executed", r->executed);
	cJSON_AddNumberToObject(o, "need", f->need);
	cJSON_AddBoolToObject(o, "approved", f->approved);
	a = cJSON_AddArrayToObject(o, "approvers");
	for (i = 0; i < at_exec->n; i++)
		add_approval(a, at_exec->v[i].who, at_exec->v[i].t, at_exec->v[i].cos);
	a = cJSON_AddArrayToObject(o, "approvals");
	for (i = 0; i < r->nap; i++)
		add_approval(a, r->ap[i].actor ? r->ap[i].actor : "", r->ap[i].t,
			     r->ap[i].countersigned);
	put_same_person(o, r);
}

/* How the figures came about: evidence, score, controls, the entries. */
static void put_basis(cJSON *o, const struct ctx *c, struct rbk *r, const struct facts *f,
		      cJSON *factors)
{
	cJSON *a;
	size_t i;
	int k;

	a = cJSON_AddObjectToObject(o, "evidence");
	for (k = 0; k < RB_NEVIDENCE; k++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddBoolToObject(x, "required", f->required[k]);
		cJSON_AddBoolToObject(x, "present", f->present[k]);
		cJSON_AddItemToObject(a, rb_evidence_names[k], x);
	}
	cJSON_AddItemToObject(o, "score_factors", factors);
	cJSON_AddNumberToObject(o, "environment_factor", f->factor);
	cJSON_AddNumberToObject(o, "raw_score", f->raw);
	a = cJSON_AddObjectToObject(o, "finding_controls");
	for (k = 0; k < RB_NFINDINGS; k++)
		if (f->findings[k])
			cJSON_AddItemToObject(a, rb_finding_names[k],
					      controls_of(c, "findings", rb_finding_names[k]));
	qsort(r->seqs, r->nseqs, sizeof(*r->seqs), cmp_i64);
	a = cJSON_AddArrayToObject(o, "seqs");
	for (i = 0; i < r->nseqs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)r->seqs[i]));
}

/* One rollback's figures (§4-§7) into f, and its JSON object (the caller's;
 * NULL when out of memory). */
static cJSON *evaluate(const struct ctx *c, struct rbk *r, struct facts *f)
{
	struct approvers at_exec = { 0 };
	cJSON *o = NULL, *factors = NULL;

	memset(f, 0, sizeof(*f));
	if (approvers_of(c, r, r->executed, &at_exec) != 0)
		return NULL;
	derive_times(c, r, &at_exec, f);
	if (assess_evidence(c, r, f) != 0)
		goto out;
	find_findings(c, r, f);
	factors = score(c, r, f);
	o = cJSON_CreateObject();
	if (factors == NULL || o == NULL) {
		cJSON_Delete(o);
		o = NULL;
		goto out;
	}
	put_figures(o, r, f);
	put_trail(o, r, f, &at_exec);
	put_basis(o, c, r, f, factors);
	factors = NULL;         /* o's now */
out:
	cJSON_Delete(factors);
	approvers_free(&at_exec);
	return o;
}

static cJSON *stats_json(double *v, size_t n)
{
	struct rb_stats s;
	cJSON *o = cJSON_CreateObject();

	rb_stats_of(v, n, &s);
	cJSON_AddNumberToObject(o, "n", (double)s.n);
	if (s.n > 0) {
		cJSON_AddNumberToObject(o, "mean", s.mean);
		cJSON_AddNumberToObject(o, "median", s.median);
		cJSON_AddNumberToObject(o, "p90", s.p90);
	} else {
		cJSON_AddNullToObject(o, "mean");
		cJSON_AddNullToObject(o, "median");
		cJSON_AddNullToObject(o, "p90");
	}
	return o;
}

/* Count key in a JSON object of counts (sort_members orders it at the end). */
static void bump(cJSON *obj, const char *key)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (it != NULL)
		cJSON_SetNumberValue(it, it->valuedouble + 1);
	else
		cJSON_AddNumberToObject(obj, key, 1);
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* The members of obj in the byte order of their names; -1 when out of memory. */
static int sort_members(cJSON *obj)
{
	int n = cJSON_GetArraySize(obj), i;
	cJSON **v;

	if (n < 2)
		return 0;
	if ((v = malloc((size_t)n * sizeof(cJSON *))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = cJSON_DetachItemViaPointer(obj, obj->child);
	qsort(v, (size_t)n, sizeof(cJSON *), cmp_member);
	for (i = 0; i < n; i++)
		cJSON_AddItemToObject(obj, v[i]->string, v[i]);
	free(v);
	return 0;
}

static uint64_t sample_rank(uint64_t seed, const char *id)
{
	char buf[300];
	uint8_t h[32];
	uint64_t v = 0;
	int i, n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n%s", seed, id);

	rb_sha256(buf, (size_t)n, h);
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

struct sample_pick {
	uint64_t rank;
	size_t index;
};

static int cmp_pick(const void *a, const void *b)
{
	const struct sample_pick *x = a, *y = b;

	return (x->rank > y->rank) - (x->rank < y->rank);
}

static int store_rollback(struct ctx *c, const cJSON *x, const char *facts, int flagged,
			  int64_t ord);

/* The anomalies a rollback's facts show: a change or an incident not found. */
/* §8.3: a duration left out for being negative, as an anomaly `timeline`. */
static void timeline_anomaly(struct ctx *c, const struct rbk *r, const char *duration,
			     double seconds, const char *why)
{
	cJSON *x = cJSON_CreateObject();
	char d[400];

	snprintf(d, sizeof(d), "rollback %s: %s would be %.0f s (%s); left out of its "
		 "statistic", r->id, duration, seconds, why);
	cJSON_AddStringToObject(x, "kind", "timeline");
	cJSON_AddStringToObject(x, "rollback_id", r->id);
	cJSON_AddStringToObject(x, "duration", duration);
	cJSON_AddNumberToObject(x, "seconds", seconds);
	cJSON_AddStringToObject(x, "detail", d);
	cJSON_AddItemToArray(c->late, x);
}

static void late_anomalies(struct ctx *c, const struct rbk *r, const struct facts *f)
{
	char d[300];
	cJSON *x;

	if (f->neg_ttd)
		timeline_anomaly(c, r, "ttd", f->ttd, "detected before the change was deployed");
	if (!f->has_ttr)
		timeline_anomaly(c, r, "ttr", f->ttr, "executed before it was detected");
	if (f->neg_latency)
		timeline_anomaly(c, r, "approval_latency", f->latency,
				 "approved before it was requested");

	if (!r->has_deployed) {
		x = cJSON_CreateObject();
		snprintf(d, sizeof(d), "rollback %s names change %s, which has no "
			 "change.deployed: no time to detect", r->id,
			 r->change_id ? r->change_id : "(none)");
		cJSON_AddStringToObject(x, "kind", "unknown-change");
		cJSON_AddStringToObject(x, "rollback_id", r->id);
		cJSON_AddStringToObject(x, "detail", d);
		cJSON_AddItemToArray(c->late, x);
	}
	if (r->incident_id != NULL && !r->incident_found) {
		x = cJSON_CreateObject();
		snprintf(d, sizeof(d), "rollback %s names incident %s, which has no "
			 "incident.detected: detection taken as the request", r->id,
			 r->incident_id);
		cJSON_AddStringToObject(x, "kind", "unknown-incident");
		cJSON_AddStringToObject(x, "rollback_id", r->id);
		cJSON_AddStringToObject(x, "detail", d);
		cJSON_AddItemToArray(c->late, x);
	}
}

/*
 * The audit sample: the n rollbacks of lowest SHA-256(seed, id).  Returns
 * for each rollback its place in the sample, or -1; NULL when out of memory.
 */
static long *sample_places(struct ctx *c, char **ids, size_t nids, size_t take)
{
	struct sample_pick *picks = calloc(nids + 1, sizeof(*picks));
	long *place = malloc((nids + 1) * sizeof(*place));
	size_t i;

	if (picks == NULL || place == NULL) {
		free(picks);
		free(place);
		return NULL;
	}
	for (i = 0; i < nids; i++) {
		picks[i].rank = sample_rank(c->o->sample_seed, ids[i]);
		picks[i].index = i;
		place[i] = -1;
	}
	qsort(picks, nids, sizeof(*picks), cmp_pick);
	for (i = 0; i < take; i++)
		place[picks[i].index] = (long)i;
	free(picks);
	return place;
}

/* Rollbacks loaded and evaluated at once, before they are taken in order. */
#define WINDOW ((size_t)512)

struct item {
	struct rbk r;
	struct facts f;
	cJSON *obj;             /* the facts */
	char *text;             /* ... printed, when they are stored */
	int failed;
	struct rb_err e;        /* why it failed */
};

struct par {
	const struct ctx *c;
	char **ids;
	const long *place;
	int print;
	struct item *items;
	size_t base, n;
};

/* Reader w takes the window's rollbacks w, w + nrd, w + 2 nrd, ... */
static void eval_some(void *ctx, size_t w)
{
	struct par *p = ctx;
	struct reader *rd = &p->c->rd[w];
	unsigned long jf;
	size_t j;

	for (j = w; j < p->n; j += p->c->nrd) {
		struct item *it = &p->items[j];
		size_t i = p->base + j;
		long at = p->place != NULL ? p->place[i] : -1;

		if (load_rollback(p->c, rd, p->ids[i], &it->r, at >= 0) != 0 ||
		    load_context(p->c, rd, &it->r) != 0) {
			/* This one and the ones after it on this reader. */
			for (; j < p->n; j += p->c->nrd) {
				p->items[j].failed = 1;
				p->items[j].e = rd->e;
			}
			return;
		}
		jf = rb_json_failures();
		it->obj = evaluate(p->c, &it->r, &it->f);
		if (p->print && it->obj != NULL)
			it->text = cJSON_PrintUnformatted(it->obj);
		/* A member cJSON could not allocate is left out: never used so. */
		if (rb_json_failures() != jf) {
			cJSON_Delete(it->obj);
			it->obj = NULL;
		}
	}
}

static void items_free(struct item *items, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++) {
		rbk_free(&items[j].r);
		cJSON_Delete(items[j].obj);
		cJSON_free(items[j].text);
		memset(&items[j], 0, sizeof(items[j]));
	}
}

/*
 * The metrics of one period (§4-§7) into doc.  With full set, each
 * rollback's facts are also stored (opts->store), handed to
 * opts->on_rollback and, with opts->keep_rollbacks, put in doc; the audit
 * sample goes into doc.  Only the sampled rollbacks stay in memory.
 */
/* A period's figures, gathered as its rollbacks are taken in order. */
struct tally {
	char **ids;             /* the rollbacks executed in the period */
	size_t nids;
	int64_t deploys;
	int64_t failed;         /* §8.3 failed_executions */
	double *ttd, *ttr, *lat, sumc;
	size_t nttd, nttr, nlat, ncomplete;
	int counts[RB_NFINDINGS], levels[RB_NLEVELS];
	cJSON *by_s, *by_e, *by_t;
	cJSON *rbs;             /* every rollback's facts (keep_rollbacks) */
	/* The audit sample (a full analysis with a sample). */
	size_t take;
	long *place;            /* per id: its place in the sample, or -1 */
	cJSON **sfacts, **strails;
};

static void tally_free(struct tally *t)
{
	size_t i;

	for (i = 0; i < t->nids; i++)
		free(t->ids[i]);
	free(t->ids);
	free(t->ttd);
	free(t->ttr);
	free(t->lat);
	for (i = 0; i < t->take && t->sfacts != NULL && t->strails != NULL; i++) {
		cJSON_Delete(t->sfacts[i]);
		cJSON_Delete(t->strails[i]);
	}
	free(t->sfacts);
	free(t->strails);
	free(t->place);
	cJSON_Delete(t->by_s);
	cJSON_Delete(t->by_e);
	cJSON_Delete(t->by_t);
	cJSON_Delete(t->rbs);
}

/* The ids of the rollbacks executed in the period, in t->ids. */
static int select_rollbacks(struct ctx *c, const struct rb_period *per, struct tally *t)
{
	sqlite3_stmt *q = c->q[Q_EXECUTED];
	int src;

	sqlite3_bind_int64(q, 1, c->ledger_id);
	sqlite3_bind_int64(q, 2, per->start);
	sqlite3_bind_int64(q, 3, per->end);
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		char **ni = realloc(t->ids, (t->nids + 1) * sizeof(*t->ids));

		if (ni == NULL) {
			src = SQLITE_NOMEM;
			break;
		}
		t->ids = ni;
		if ((t->ids[t->nids] = strdup((const char *)sqlite3_column_text(q, 0))) == NULL) {
			src = SQLITE_NOMEM;
			break;
		}
		t->nids++;
	}
	sqlite3_reset(q);
	if (src == SQLITE_NOMEM)
		return RB_ERR(c->e, RB_EX_SOFTWARE, "out of memory selecting the period's rollbacks");
	if (src != SQLITE_DONE)
		return rb_db_fail(c->db, src, c->e, "cannot select the period's rollbacks");
	return 0;
}

/* The deployments that count in the period (§3), in t->deploys. */
/* One count of the period (Q_DEPLOYS, Q_FAILED) into *n. */
static int count_of(struct ctx *c, int which, const struct rb_period *per, int64_t *n,
		    const char *what)
{
	sqlite3_stmt *q = c->q[which];
	int src;

	sqlite3_bind_int64(q, 1, c->ledger_id);
	sqlite3_bind_int64(q, 2, per->start);
	sqlite3_bind_int64(q, 3, per->end);
	src = sqlite3_step(q);
	if (src == SQLITE_ROW)
		*n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	/* An error is not zero (it would give a wrong rate). */
	if (src != SQLITE_ROW)
		return rb_db_fail(c->db, src, c->e, what);
	return 0;
}

static int count_deploys(struct ctx *c, const struct rb_period *per, struct tally *t)
{
	return count_of(c, Q_DEPLOYS, per, &t->deploys, "cannot count the period's deployments") ||
	       count_of(c, Q_FAILED, per, &t->failed, "cannot count the period's failed "
			"executions") ? -1 : 0;
}

/* The tally's arrays and objects, for t->nids rollbacks. */
static int tally_start(struct ctx *c, int full, struct tally *t)
{
	size_t n = t->nids;

	t->ttd = calloc(n + 1, sizeof(double));
	t->ttr = calloc(n + 1, sizeof(double));
	t->lat = calloc(n + 1, sizeof(double));
	t->by_s = cJSON_CreateObject();
	t->by_e = cJSON_CreateObject();
	t->by_t = cJSON_CreateObject();
	if (t->ttd == NULL || t->ttr == NULL || t->lat == NULL || t->by_s == NULL ||
	    t->by_e == NULL || t->by_t == NULL)
		return RB_ERR(c->e, RB_EX_SOFTWARE, "out of memory");
	if (full && c->o->keep_rollbacks && (t->rbs = cJSON_CreateArray()) == NULL)
		return RB_ERR(c->e, RB_EX_SOFTWARE, "out of memory");
	if (full && c->o->sample > 0) {
		t->take = (size_t)c->o->sample < n ? (size_t)c->o->sample : n;
		t->place = sample_places(c, t->ids, n, t->take);
		t->sfacts = calloc(t->take + 1, sizeof(cJSON *));
		t->strails = calloc(t->take + 1, sizeof(cJSON *));
		if (t->place == NULL || t->sfacts == NULL || t->strails == NULL)
			return RB_ERR(c->e, RB_EX_SOFTWARE, "out of memory");
	}
	return 0;
}

/* One evaluated rollback, the ord-th of the period, into the tally; in a full
 * analysis also stored, handed to the callback and kept for the sample. */
static int take_rollback(struct ctx *c, struct tally *t, int full, int print,
			 struct item *it, size_t ord)
{
	struct rbk *r = &it->r;
	const struct facts *f = &it->f;
	long at = t->place != NULL ? t->place[ord] : -1;
	int k, nf = 0, flagged;

	if (it->failed) {
		*c->e = it->e;
		return -1;
	}
	if (it->obj == NULL || (print && it->text == NULL))
		return RB_ERR(c->e, RB_EX_SOFTWARE, "out of memory");
	bump(t->by_s, r->service ? r->service : "unknown");
	bump(t->by_e, r->env ? r->env : "unknown");
	bump(t->by_t, r->team ? r->team : "unknown");
	if (f->has_ttd)
		t->ttd[t->nttd++] = f->ttd;
	if (f->has_ttr)
		t->ttr[t->nttr++] = f->ttr;
	if (f->has_latency)
		t->lat[t->nlat++] = f->latency;
	t->ncomplete += f->complete;
	t->sumc += f->completeness;
	t->levels[f->level]++;
	for (k = 0; k < RB_NFINDINGS; k++) {
		t->counts[k] += f->findings[k];
		nf += f->findings[k] != 0;
	}
	if (!full)
		return 0;
	/* Decided here, once: stored with the rollback, read by report and the CLI. */
	flagged = rb_flagged(rb_level_names[f->level], nf);
	late_anomalies(c, r, f);
	if ((c->o->store && store_rollback(c, it->obj, it->text, flagged, (int64_t)ord) != 0) ||
	    (c->o->on_rollback != NULL &&
	     c->o->on_rollback(c->o->rollback_ctx, it->obj, flagged, c->e) != 0))
		return -1;
	if (at >= 0) {
		t->sfacts[at] = cJSON_Duplicate(it->obj, 1);
		t->strails[at] = r->trail ? r->trail : cJSON_CreateArray();
		r->trail = NULL;
	}
	if (t->rbs != NULL) {
		cJSON_AddItemToArray(t->rbs, it->obj);
		it->obj = NULL;
	}
	return 0;
}

/* Start the readers on the window of par that starts at base. */
static int start_window(struct ctx *c, struct par *p, size_t base, size_t nids)
{
	p->base = base;
	p->n = nids - base < WINDOW ? nids - base : WINDOW;
	if (p->n > 0)
		rb_pool_start(c->pool, c->nrd, eval_some, p);
	return p->n > 0;
}

/*
 * Every rollback of the tally, evaluated by the readers and taken in order.
 * Two windows in flight: while the readers load and evaluate the next
 * window, this thread takes the last one in order (figures, storing, the
 * callback), then helps the readers.
 */
static int take_all(struct ctx *c, struct tally *t, int full)
{
	struct item *items = calloc(2 * WINDOW, sizeof(*items));
	struct par par[2];
	int cur, k, started = 0, rc = -1;
	size_t j;

	if (items == NULL)
		return RB_ERR(c->e, RB_EX_SOFTWARE, "out of memory");
	for (k = 0; k < 2; k++) {
		par[k].c = c;
		par[k].ids = t->ids;
		par[k].place = t->place;
		par[k].print = full && c->o->store;
		par[k].items = items + k * WINDOW;
		par[k].n = 0;
	}
	started = start_window(c, &par[0], 0, t->nids);
	for (cur = 0; par[cur].n > 0; cur = !cur) {
		struct par *pc = &par[cur], *pn = &par[!cur];

		rb_pool_wait(c->pool);
		items_free(pn->items, pn->n);
		started = start_window(c, pn, pc->base + pc->n, t->nids);
		for (j = 0; j < pc->n; j++)
			if (take_rollback(c, t, full, pc->print, &pc->items[j], pc->base + j) != 0)
				goto out;
	}
	rc = 0;
out:
	if (started)
		rb_pool_wait(c->pool);  /* the readers are done with the items */
	items_free(items, 2 * WINDOW);
	free(items);
	return rc;
}

/* The period's figures into doc (§3-§6), the tally's objects moved there. */
static int put_period(const struct ctx *c, cJSON *doc, struct tally *t)
{
	size_t n = t->nids;
	cJSON *o;
	int k;

	if (sort_members(t->by_s) != 0 || sort_members(t->by_e) != 0 ||
	    sort_members(t->by_t) != 0)
		return RB_ERR(c->e, RB_EX_SOFTWARE, "out of memory");

	cJSON_AddNumberToObject(doc, "rollbacks_executed", (double)n);
	cJSON_AddNumberToObject(doc, "deployments", (double)t->deploys);
	cJSON_AddNumberToObject(doc, "failed_executions", (double)t->failed);
	if (t->deploys > 0)
		cJSON_AddNumberToObject(doc, "rollback_rate", (double)n / (double)t->deploys);
	else
		cJSON_AddNullToObject(doc, "rollback_rate");
	cJSON_AddItemToObject(doc, "by_service", t->by_s);
	cJSON_AddItemToObject(doc, "by_environment", t->by_e);
	cJSON_AddItemToObject(doc, "by_team", t->by_t);
	t->by_s = t->by_e = t->by_t = NULL;
	cJSON_AddItemToObject(doc, "ttd", stats_json(t->ttd, t->nttd));
	cJSON_AddItemToObject(doc, "ttr", stats_json(t->ttr, t->nttr));
	cJSON_AddItemToObject(doc, "approval_latency", stats_json(t->lat, t->nlat));
	cJSON_AddNumberToObject(doc, "evidence_complete", (double)t->ncomplete);
	if (n > 0) {
		cJSON_AddNumberToObject(doc, "evidence_complete_ratio",
					(double)t->ncomplete / (double)n);
		cJSON_AddNumberToObject(doc, "evidence_mean_completeness", t->sumc / (double)n);
	} else {
		cJSON_AddNullToObject(doc, "evidence_complete_ratio");
		cJSON_AddNullToObject(doc, "evidence_mean_completeness");
	}
	o = cJSON_AddObjectToObject(doc, "levels");
	for (k = 0; k < RB_NLEVELS; k++)
		cJSON_AddNumberToObject(o, rb_level_names[k], t->levels[k]);
	o = cJSON_AddObjectToObject(doc, "findings");
	for (k = 0; k < RB_NFINDINGS; k++)
		if (t->counts[k] > 0)
			cJSON_AddNumberToObject(o, rb_finding_names[k], t->counts[k]);
	o = cJSON_AddObjectToObject(doc, "finding_counts");
	for (k = 0; k < RB_NFINDINGS; k++)
		cJSON_AddNumberToObject(o, rb_finding_names[k], t->counts[k]);
	if (t->rbs != NULL) {
		cJSON_AddItemToObject(doc, "rollbacks", t->rbs);
		t->rbs = NULL;
	}
	return 0;
}

/* The audit sample into doc, its facts and trails moved there. */
static void put_sample(cJSON *doc, const struct ctx *c, struct tally *t)
{
	cJSON *sm = cJSON_AddObjectToObject(doc, "sample"), *list;
	size_t i;

	cJSON_AddNumberToObject(sm, "seed", (double)c->o->sample_seed);
	cJSON_AddNumberToObject(sm, "requested", c->o->sample);
	cJSON_AddNumberToObject(sm, "size", (double)t->take);
	cJSON_AddStringToObject(sm, "method", "the rollbacks with the lowest "
				"SHA-256(seed LF rollback_id), first 8 bytes big-endian");
	list = cJSON_AddArrayToObject(sm, "rollbacks");
	for (i = 0; i < t->take; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "rollback_id", rb_json_str(t->sfacts[i], "rollback_id"));
		cJSON_AddItemToObject(x, "facts", t->sfacts[i]);
		cJSON_AddItemToObject(x, "trail", t->strails[i]);
		t->sfacts[i] = t->strails[i] = NULL;
		cJSON_AddItemToArray(list, x);
	}
}

static int analyse_period(struct ctx *c, const struct rb_period *per, int full, cJSON *doc)
{
	struct tally t;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	if (select_rollbacks(c, per, &t) != 0 || count_deploys(c, per, &t) != 0 ||
	    tally_start(c, full, &t) != 0 || take_all(c, &t, full) != 0)
		goto out;
	if (put_period(c, doc, &t) != 0)
		goto out;
	if (t.place != NULL)
		put_sample(doc, c, &t);
	rc = 0;
out:
	tally_free(&t);
	return rc;
}

/* Data-quality anomalies of the period (from ingest, and found here). */
static int anomalies(struct ctx *c, const struct rb_period *per, cJSON *doc)
{
	cJSON *a = cJSON_AddArrayToObject(doc, "anomalies");
	sqlite3_stmt *q = c->q[Q_ANOMALIES];
	int rc;

	sqlite3_bind_int64(q, 1, c->ledger_id);
	sqlite3_bind_int64(q, 2, per->start);
	sqlite3_bind_int64(q, 3, per->end);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "seq", (double)sqlite3_column_int64(q, 0));
		cJSON_AddStringToObject(x, "time", (const char *)sqlite3_column_text(q, 5));
		cJSON_AddStringToObject(x, "kind", (const char *)sqlite3_column_text(q, 1));
		if (sqlite3_column_type(q, 2) == SQLITE_TEXT)
			cJSON_AddStringToObject(x, "member", (const char *)sqlite3_column_text(q, 2));
		if (sqlite3_column_type(q, 4) == SQLITE_TEXT)
			cJSON_AddStringToObject(x, "rollback_id",
						(const char *)sqlite3_column_text(q, 4));
		cJSON_AddStringToObject(x, "detail", (const char *)sqlite3_column_text(q, 3));
		cJSON_AddItemToArray(a, x);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(c->db, rc, c->e, "cannot read anomalies");
	q = c->q[Q_ORPHANS];
	sqlite3_bind_int64(q, 1, c->ledger_id);
	sqlite3_bind_int64(q, 2, per->start);
	sqlite3_bind_int64(q, 3, per->end);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();
		char d[300];

		snprintf(d, sizeof(d), "%s of rollback %s, which was never requested",
			 (const char *)sqlite3_column_text(q, 1),
			 (const char *)sqlite3_column_text(q, 2));
		cJSON_AddNumberToObject(x, "seq", (double)sqlite3_column_int64(q, 0));
		cJSON_AddStringToObject(x, "time", (const char *)sqlite3_column_text(q, 3));
		cJSON_AddStringToObject(x, "kind", "unknown-rollback");
		cJSON_AddStringToObject(x, "rollback_id", (const char *)sqlite3_column_text(q, 2));
		cJSON_AddStringToObject(x, "detail", d);
		cJSON_AddItemToArray(a, x);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(c->db, rc, c->e, "cannot read anomalies");
	/* Rollbacks naming a change never deployed or an incident never detected. */
	while (c->late != NULL && c->late->child != NULL)
		cJSON_AddItemToArray(a, cJSON_DetachItemViaPointer(c->late, c->late->child));
	return 0;
}

/* Choose the ledger: the one named, or the only one. */
static int pick_ledger(struct ctx *c, struct rb_err *e)
{
	sqlite3_stmt *q = c->q[Q_LEDGERS];
	int n = 0, rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *origin = (const char *)sqlite3_column_text(q, 1);

		if (c->o->ledger == NULL || strcmp(origin, c->o->ledger) == 0) {
			c->ledger_id = sqlite3_column_int64(q, 0);
			snprintf(c->origin, sizeof(c->origin), "%s", origin);
			n++;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(c->db, rc, e, "cannot list ledgers");
	if (n == 0)
		return RB_ERR(e, RB_EX_NOINPUT, c->o->ledger ?
			      "the database holds no ledger '%s'" :
			      "the database holds no ledger yet%s: ingest its exports first",
			      c->o->ledger ? c->o->ledger : "");
	if (n > 1)
		return RB_ERR(e, RB_EX_USAGE,
			      "the database holds %d ledgers: name one by its origin", n);
	return 0;
}

/*
 * Storing an analysis: one transaction, begun by rb_analyze before the
 * stored check starts and committed once it has passed, so that readers
 * see the whole analysis or none of it.  The analysis row
 * is written first (its document at the end); each rollback's facts are
 * written as they are evaluated (analysis_rollback, analysis_finding) and
 * are not kept in memory.
 */
static int store_begin(struct ctx *c, const struct rb_period *per, const char *policy,
		       const char *hash, const char *as_of, struct rb_err *e)
{
	static const char del[] =
		"DELETE FROM analysis WHERE ledger_id = ?1 AND period = ?2 AND policy_sha256 = ?3 "
		"AND ledger_size = ?4 AND trend_periods = ?5 AND sample_size = ?6 AND sample_seed = ?7";
	static const char ins[] =
		"INSERT INTO analysis (ledger_id, period, start_s, end_s, as_of, ledger_size, "
		"policy_sha256, policy, trend_periods, sample_size, sample_seed, document, created) "
		"VALUES (?1, ?2, ?8, ?9, ?10, ?4, ?3, ?11, ?5, ?6, ?7, '{}', ?12)";
	static const char ins_r[] =
		"INSERT INTO analysis_rollback (analysis_id, rollback_id, executed, score, level, "
		"complete, facts, ord, flagged) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	static const char ins_f[] =
		"INSERT OR IGNORE INTO analysis_finding (analysis_id, rollback_id, code) "
		"VALUES (?1, ?2, ?3)";
	sqlite3_stmt *d = NULL, *a = NULL, *s = c->q[Q_SIZE];
	char now_s[RB_TIME_MAX];
	struct rb_time now = rb_time_now();
	int64_t size = 0;
	int stage, rc = -1;

	rb_time_format(&now, now_s);
	sqlite3_bind_int64(s, 1, c->ledger_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		size = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rb_db_prepare(c->db, del, &d, e) != 0 || rb_db_prepare(c->db, ins, &a, e) != 0 ||
	    rb_db_prepare(c->db, ins_r, &c->ins_r, e) != 0 ||
	    rb_db_prepare(c->db, ins_f, &c->ins_f, e) != 0)
		goto out;
	for (stage = 0; stage < 2; stage++) {
		sqlite3_stmt *q = stage == 0 ? d : a;

		sqlite3_bind_int64(q, 1, c->ledger_id);
		sqlite3_bind_text(q, 2, per->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, size);
		sqlite3_bind_int(q, 5, c->o->trend);
		sqlite3_bind_int(q, 6, c->o->sample);
		sqlite3_bind_int64(q, 7, (sqlite3_int64)c->o->sample_seed);
		if (stage == 1) {
			sqlite3_bind_int64(q, 8, per->start);
			sqlite3_bind_int64(q, 9, per->end);
			sqlite3_bind_text(q, 10, as_of, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 11, policy, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 12, now_s, -1, SQLITE_STATIC);
		}
		if ((rc = rb_db_step_done(c->db, q, e, "cannot store the analysis")) != 0)
			goto out;
	}
	c->analysis_id = sqlite3_last_insert_rowid(c->db);
	rc = 0;
out:
	sqlite3_finalize(d);
	sqlite3_finalize(a);
	return rc;
}

static int store_rollback(struct ctx *c, const cJSON *x, const char *facts, int flagged,
			  int64_t ord)
{
	sqlite3_stmt *r = c->ins_r, *f = c->ins_f;
	const char *id = rb_json_str(x, "rollback_id");
	const cJSON *code;
	int rc;

	sqlite3_bind_int64(r, 1, c->analysis_id);
	sqlite3_bind_text(r, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(r, 3, rb_json_str(x, "executed"), -1, SQLITE_STATIC);
	sqlite3_bind_int(r, 4, cJSON_GetObjectItemCaseSensitive(x, "score")->valueint);
	sqlite3_bind_text(r, 5, rb_json_str(x, "level"), -1, SQLITE_STATIC);
	sqlite3_bind_int(r, 6, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "complete")));
	sqlite3_bind_text(r, 7, facts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r, 8, ord);
	sqlite3_bind_int(r, 9, flagged);
	rc = sqlite3_step(r);
	sqlite3_reset(r);
	if (rc != SQLITE_DONE)
		return rb_db_fail(c->db, rc, c->e, "cannot store the analysis");
	cJSON_ArrayForEach(code, cJSON_GetObjectItemCaseSensitive(x, "findings")) {
		sqlite3_bind_int64(f, 1, c->analysis_id);
		sqlite3_bind_text(f, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(f, 3, code->valuestring, -1, SQLITE_STATIC);
		rc = sqlite3_step(f);
		sqlite3_reset(f);
		if (rc != SQLITE_DONE)
			return rb_db_fail(c->db, rc, c->e, "cannot store the analysis");
	}
	return 0;
}

/* The document, without its rollbacks (they are rows), then commit. */
char *rb_analysis_stored_text(const cJSON *doc)
{
	cJSON *view = cJSON_CreateObject();
	const cJSON *it;
	char *text;

	/* A view of the document by reference, without the rollbacks. */
	for (it = doc->child; view != NULL && it != NULL; it = it->next)
		if (strcmp(it->string, "rollbacks") != 0)
			cJSON_AddItemReferenceToObject(view, it->string, (cJSON *)it);
	text = view != NULL ? cJSON_PrintUnformatted(view) : NULL;
	cJSON_Delete(view);
	return text;
}

/* The document into the analysis row, in the transaction (not committed). */
static int store_document(struct ctx *c, cJSON *doc, struct rb_err *e)
{
	static const char upd[] = "UPDATE analysis SET document = ?2 WHERE id = ?1";
	sqlite3_stmt *u = NULL;
	char *text = rb_analysis_stored_text(doc);
	int rc = -1;

	if (text == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_prepare(c->db, upd, &u, e) != 0)
		goto out;
	sqlite3_bind_int64(u, 1, c->analysis_id);
	sqlite3_bind_text(u, 2, text, -1, SQLITE_STATIC);
	if ((rc = rb_db_step_done(c->db, u, e, "cannot store the analysis")) != 0)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(u);
	cJSON_free(text);
	return rc;
}

static int load_controls(struct ctx *c, struct rb_err *e)
{
	char *buf = NULL, why[160];
	size_t len;
	int rc;

	/* The mapping given whole (the one a stored analysis carries): a copy. */
	if (c->o->controls_doc != NULL) {
		c->controls = cJSON_Duplicate(c->o->controls_doc, 1);
		return c->controls != NULL ? 0 : RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	if (c->o->controls == NULL) {
		if (rb_json_parse(rb_controls_json, strlen(rb_controls_json), 16, &c->controls,
				  why, sizeof(why)) != 0)
			return RB_ERR(e, RB_EX_SOFTWARE, "built-in control mapping: %s", why);
		return 0;
	}
	if (rb_read_file(c->o->controls, 1u << 20, &buf, &len, e) != 0)
		return -1;
	rc = rb_json_parse(buf, len, 16, &c->controls, why, sizeof(why));
	free(buf);
	if (rc != 0)
		return RB_ERR(e, RB_EX_CONFIG, "control mapping '%s': %s", c->o->controls, why);
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c->controls, "findings")) ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c->controls, "evidence")))
		return RB_ERR(e, RB_EX_CONFIG, "control mapping '%s': members \"findings\" and "
			      "\"evidence\" must be objects", c->o->controls);
	return 0;
}

/* One reader per CPU, and the threads to run them. */
static int open_readers(struct ctx *c, struct rb_err *e)
{
	size_t i;

	c->nrd = (size_t)rb_ncpu();
	c->rd = calloc(c->nrd, sizeof(*c->rd));
	if (c->rd == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	for (i = 0; i < c->nrd; i++) {
		struct reader *rd = &c->rd[i];

		rd->arena = rb_json_arena_new();
		if (rd->arena == NULL)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		if (rb_schema_open(c->o->db_path, RB_DB_READONLY, c->o->busy_ms, &rd->db, e) != 0 ||
		    rb_db_prepare(rd->db, sql[Q_OF_ROLLBACK], &rd->of_rollback, e) != 0 ||
		    rb_db_prepare(rd->db, sql[Q_DEPLOY], &rd->deploy, e) != 0 ||
		    rb_db_prepare(rd->db, sql[Q_INCIDENT], &rd->incident, e) != 0)
			return -1;
	}
	return rb_pool_new((int)c->nrd - 1, &c->pool, e);
}

static void close_readers(struct ctx *c)
{
	size_t i;

	rb_pool_free(c->pool);
	for (i = 0; i < c->nrd && c->rd != NULL; i++) {
		sqlite3_finalize(c->rd[i].of_rollback);
		sqlite3_finalize(c->rd[i].deploy);
		sqlite3_finalize(c->rd[i].incident);
		rb_db_close(c->rd[i].db);
		rb_json_arena_free(c->rd[i].arena);
	}
	free(c->rd);
}

/* The connection, statements, ledger and readers of an analysis. */
static int ctx_open(struct ctx *c, struct rb_err *e)
{
	const struct rb_analyze_opts *o = c->o;
	int i;

	if (load_controls(c, e) != 0 ||
	    rb_schema_open(o->db_path, o->store ? 0 : RB_DB_READONLY, o->busy_ms, &c->db, e) != 0)
		return -1;
	for (i = 0; i < Q_MAIN; i++)
		if (rb_db_prepare(c->db, sql[i], &c->q[i], e) != 0)
			return -1;
	return pick_ledger(c, e) != 0 || open_readers(c, e) != 0 ? -1 : 0;
}

static void ctx_close(struct ctx *c)
{
	int i;

	if (c->in_txn)
		rb_db_rollback(c->db);
	sqlite3_finalize(c->ins_r);
	sqlite3_finalize(c->ins_f);
	cJSON_Delete(c->late);
	close_readers(c);
	for (i = 0; i < Q_MAIN; i++)
		sqlite3_finalize(c->q[i]);
	rb_db_close(c->db);
	cJSON_Delete(c->controls);
}

/* §3 as_of: the latest entry time of the ledger (0 for none). */
static int read_as_of(struct ctx *c, struct rb_err *e)
{
	sqlite3_stmt *q = c->q[Q_ASOF];
	int rc;

	sqlite3_bind_int64(q, 1, c->ledger_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		c->as_of = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(c->db, rc, e, "cannot read the ledger's latest time");
	return 0;
}

/* The document's first members: what was analysed, as of when, under which policy. */
static cJSON *doc_head(const struct ctx *c, const struct rb_period *per, const char *hash)
{
	cJSON *doc = cJSON_CreateObject();
	struct rb_time t = { per->start, 0 };
	char ts[RB_TIME_MAX];

	cJSON_AddStringToObject(doc, "ledger", c->origin);
	cJSON_AddStringToObject(doc, "period", per->name);
	rb_time_format(&t, ts);
	cJSON_AddStringToObject(doc, "start", ts);
	t.sec = per->end;
	rb_time_format(&t, ts);
	cJSON_AddStringToObject(doc, "end", ts);
	/* The calendar, only when it is not UTC's: documents in UTC stay as they were. */
	if (per->cal.tz[0] != '\0')
		cJSON_AddStringToObject(doc, RB_PERIOD_TZ_MEMBER, per->cal.tz);
	if (rb_period_is_fiscal(per->kind) && per->cal.fy_first_month > 1)
		cJSON_AddNumberToObject(doc, RB_PERIOD_FY_MEMBER, per->cal.fy_first_month);
	fmt_ns(c->as_of, ts);
	cJSON_AddStringToObject(doc, "as_of", ts);
	cJSON_AddStringToObject(doc, "policy_sha256", hash);
	cJSON_AddNumberToObject(doc, "metrics_revision", RB_METRICS_REVISION);
	return doc;
}

/*
 * The o->trend periods before per, latest first, each of the same kind and
 * counted in the same calendar; into *tps (the caller frees it).  Counted
 * before any thread starts: in a time zone, counting sets TZ.
 */
static int trend_periods(const struct rb_analyze_opts *o, const struct rb_period *per,
			 struct rb_period **tps, struct rb_err *e)
{
	int i;

	*tps = calloc((size_t)o->trend + 1, sizeof(**tps));
	if (*tps == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	for (i = 0; i < o->trend; i++)
		rb_period_prev(i == 0 ? per : &(*tps)[i - 1], &(*tps)[i]);
	return 0;
}

/* The figures of the o->trend periods tps (trend_periods), latest first. */
static int add_trend(struct ctx *c, const struct rb_period *tps, cJSON *doc)
{
	cJSON *trend = cJSON_AddArrayToObject(doc, "trend");
	int i;

	for (i = 0; i < c->o->trend; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "period", tps[i].name);
		cJSON_AddItemToArray(trend, x);
		if (analyse_period(c, &tps[i], 0, x) != 0)
			return -1;
	}
	return 0;
}

/* The policy applied and the controls the findings map to. */
static void add_policy(const struct ctx *c, const char *policy, cJSON *doc)
{
	cJSON *m;

	cJSON_AddItemToObject(doc, "policy", cJSON_Parse(policy));
	cJSON_AddItemToObject(doc, "controls", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(c->controls, "controls"), 1));
	m = cJSON_AddObjectToObject(doc, "control_mapping");
	cJSON_AddItemToObject(m, "findings", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(c->controls, "findings"), 1));
	cJSON_AddItemToObject(m, "evidence", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(c->controls, "evidence"), 1));
}

int rb_analyze(const struct rb_analyze_opts *o, cJSON **out, struct rb_err *e)
{
	struct ctx c;
	struct rb_period per, *tps = NULL;
	cJSON *doc = NULL;
	char *policy = NULL, hash[65], ts[RB_TIME_MAX];
	rb_stored_job *vjob = NULL;
	int rc = -1, rc_v;
	unsigned long jf = rb_json_failures();

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.p = o->policy;
	c.e = e;
	if (o->trend < 0 || o->trend > RB_ANALYZE_MAX_TREND)
		return RB_ERR(e, RB_EX_USAGE, "a trend takes 0 to %d periods, not %d",
			      RB_ANALYZE_MAX_TREND, o->trend);
	if (rb_period_parse_cal(o->period, o->now, o->cal, &per, e) != 0 ||
	    trend_periods(o, &per, &tps, e) != 0)
		return -1;
	if (ctx_open(&c, e) != 0)
		goto out;
	/* The write lock first, when storing, so that what the check reads is
	 * what is analysed; the stored history is checked from then on, beside
	 * the analysis, and nothing is committed or returned before it has
	 * passed. */
	if (o->store) {
		if (rb_db_begin(c.db, e) != 0)
			goto out;
		c.in_txn = 1;
	}
	if (STORED_CHECK && !o->verified &&
	    rb_stored_start(o->db_path, c.ledger_id, o->trust, o->busy_ms, &vjob, e) != 0)
		goto out;
	if (read_as_of(&c, e) != 0)
		goto out;
	policy = rb_policy_json(c.p);
	if (policy == NULL || rb_policy_hash(c.p, hash) != 0) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	doc = doc_head(&c, &per, hash);
	fmt_ns(c.as_of, ts);
	c.late = cJSON_CreateArray();
	if (doc == NULL || c.late == NULL ||
	    (o->store && store_begin(&c, &per, policy, hash, ts, e) != 0))
		goto out;
	if (analyse_period(&c, &per, 1, doc) != 0 || anomalies(&c, &per, doc) != 0 ||
	    add_trend(&c, tps, doc) != 0)
		goto out;
	add_policy(&c, policy, doc);
	/* cJSON leaves out what it cannot allocate: that is an error, not a result. */
	if (rb_json_failures() != jf) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory building the analysis");
		goto out;
	}
	if (o->store && store_document(&c, doc, e) != 0)
		goto out;
	rc_v = vjob != NULL ? rb_stored_join(vjob, NULL, e) : 0;
	vjob = NULL;
	if (rc_v != 0 || (o->store && rb_db_commit(c.db, e) != 0))
		goto out;
	c.in_txn = 0;
	/* Read without locks (a read-only folder): only if no writer changed it. */
	if (!o->store && rb_db_unchanged(c.db, e) != 0)
		goto out;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	if (vjob != NULL)
		rb_stored_join(vjob, NULL, NULL);
	ctx_close(&c);
	cJSON_Delete(doc);
	cJSON_free(policy);
	free(tps);
	return rc;
}

int rb_analysis_current(const char *db_path, int busy_ms, const char *period,
			const char *policy_sha256, int trend, int sample, uint64_t sample_seed,
			int *current, struct rb_err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1, step;

	*current = 0;
	if (rb_schema_open(db_path, RB_DB_READONLY, busy_ms, &db, e) != 0)
		return -1;
	if (rb_db_prepare(db, "SELECT count(*) FROM analysis a JOIN ledger l ON l.id = a.ledger_id "
			  "WHERE a.period = ?1 AND a.policy_sha256 = ?2 AND a.ledger_size = l.size "
			  "AND a.trend_periods = ?3 AND a.sample_size = ?4 AND a.sample_seed = ?5 "
			  "AND json_extract(a.document, '$.metrics_revision') = ?6", &q, e) != 0)
		goto out;
	sqlite3_bind_text(q, 1, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, policy_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, trend);
	sqlite3_bind_int(q, 4, sample);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)sample_seed);
	sqlite3_bind_int(q, 6, RB_METRICS_REVISION);
	if ((step = sqlite3_step(q)) != SQLITE_ROW) {
		rb_db_fail(db, step, e, "cannot look for a stored analysis");
		goto out;
	}
	*current = sqlite3_column_int(q, 0) > 0;
	rc = 0;
out:
	sqlite3_finalize(q);
	rb_db_close(db);
	return rc;
}
