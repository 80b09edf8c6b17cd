/*
 * import_dep.c - a deployment history made into events: the rule that finds
 * rollbacks in Helm's, Argo CD's, GitLab's and GitHub's histories, shared by
 * the four (docs/IMPORT.md, "Deployment histories").
 *
 * One pass over a target's deployments to one environment, in order, keeps
 * what is in place, which revisions were deployed before (a hash set), and
 * the rollbacks still open (not yet relanded).
 */
#include "import_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rb_dep_line {
	char source[16];
	char target[RB_IMP_NAME];
	char env[RB_IMP_NAME];
	struct rb_dep *d;
	size_t n, cap;
};

/* An event's key: source, event, target, environment, id and more. */
#define KEYSZ 1024

/* A rollback found on the line. */
struct rb_open {
	char id[RB_IMP_NAME + 80];
	size_t undone;          /* the deployment it undid */
	size_t last;            /* its latest attempt */
	int failed;             /* its latest attempt failed */
	int closed;
};

/* One pass: what is known while walking a line. */
struct pass {
	struct rb_imp *im;
	struct rb_dep_line *l;
	char service[RB_IMP_NAME], team[RB_IMP_NAME], env[RB_IMP_NAME];
	size_t *seen;           /* hash set of revisions deployed: index + 1, 0 empty */
	size_t nseen;           /* its size, a power of two */
	struct undone {
		const char *rev;        /* borrowed from the line; NULL empty */
		size_t n;               /* open rollbacks that undid a deployment of rev */
	} *undone;              /* hash table of the same size as seen */
	struct rb_open *open;
	size_t nopen, capopen;
	long in_place;          /* the deployment in place, -1 none */
	long prev;              /* the latest deployment that ran, -1 none */
};

struct rb_dep_line *rb_dep_line_new(const char *source, const char *target, const char *env)
{
	struct rb_dep_line *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	snprintf(l->source, sizeof(l->source), "%s", source);
	snprintf(l->target, sizeof(l->target), "%s", target);
	snprintf(l->env, sizeof(l->env), "%s", env != NULL ? env : "");
	return l;
}

void rb_dep_drop(struct rb_dep *d)
{
	int i;

	for (i = 0; i < d->napprovals; i++)
		free(d->approvals[i].comment);
	free(d->approvals);
	free(d->text);
	free(d->reason);
	d->approvals = NULL;
	d->napprovals = 0;
	d->text = d->reason = NULL;
}

int rb_dep_add(struct rb_dep_line *l, struct rb_dep *d)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct rb_dep *v = realloc(l->d, cap * sizeof(*v));

		if (v == NULL) {
			rb_dep_drop(d);
			return -1;
		}
		l->d = v;
		l->cap = cap;
	}
	l->d[l->n++] = *d;
	return 0;
}

void rb_dep_line_free(struct rb_dep_line *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		rb_dep_drop(&l->d[i]);
	free(l->d);
	free(l);
}

/* ---- order ---- */

static int by_id(const void *pa, const void *pb)
{
	const struct rb_dep *a = pa, *b = pb;
	long long x = strtoll(a->id, NULL, 10), y = strtoll(b->id, NULL, 10);

	return x != y ? (x > y) - (x < y) : strcmp(a->time, b->time);
}

/*
 * Sorted by id (a revision, a history id, a deployment id: each source's
 * ids grow with time), a deployment given twice (in a page and as the
 * single deployment with its approvals) kept once: the view with more
 * approvals.
 */
static void sort_unique(struct rb_dep_line *l)
{
	size_t i, n = 0;

	if (l->n > 1)
		qsort(l->d, l->n, sizeof(*l->d), by_id);
	for (i = 0; i < l->n; i++) {
		if (n > 0 && strcmp(l->d[n - 1].id, l->d[i].id) == 0) {
			struct rb_dep *keep = &l->d[n - 1], *other = &l->d[i];

			if (other->napprovals > keep->napprovals) {
				struct rb_dep t = *keep;

				*keep = *other;
				*other = t;
			}
			rb_dep_drop(other);
			continue;
		}
		l->d[n++] = l->d[i];
	}
	l->n = n;
}

/* ---- the set of revisions deployed: revision -> its latest change ---- */

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static size_t *seen_slot(struct pass *p, const char *rev)
{
	size_t i = hash(rev) & (p->nseen - 1);

	while (p->seen[i] != 0 && strcmp(p->l->d[p->seen[i] - 1].rev, rev) != 0)
		i = (i + 1) & (p->nseen - 1);
	return &p->seen[i];
}

/* The count of open rollbacks that undid a deployment of rev (its slot made). */
static size_t *undone_slot(struct pass *p, const char *rev)
{
	size_t i = hash(rev) & (p->nseen - 1);

	while (p->undone[i].rev != NULL && strcmp(p->undone[i].rev, rev) != 0)
		i = (i + 1) & (p->nseen - 1);
	p->undone[i].rev = rev;
	return &p->undone[i].n;
}

/* The latest change deployed with this revision, or -1. */
static long seen_get(struct pass *p, const char *rev)
{
	size_t *s = seen_slot(p, rev);

	return *s ? (long)*s - 1 : -1;
}

/* ---- events ---- */

static const char *actor_of(const struct pass *p, const struct rb_dep *d)
{
	if (d->actor[0])
		return d->actor;
	if (d->automated && p->im->map->nbots > 0)
		return p->im->map->bots[0];
	return p->im->map->actor[0] ? p->im->map->actor : p->l->source;
}

static void key_of(const struct pass *p, const char *what, const struct rb_dep *d,
		   const char *more, char *out, size_t n)
{
	snprintf(out, n, "%s:%s:%s/%s#%s%s", p->l->source, what, p->l->target, p->env, d->id,
		 more);
}

static void change_id(const struct pass *p, const struct rb_dep *d, char *out, size_t n)
{
	snprintf(out, n, "%s#%s", p->l->target, d->id);
}

/* A 40-hex revision is a commit. */
static int is_sha(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static void add_common(const struct pass *p, cJSON *d)
{
	cJSON_AddStringToObject(d, "service", p->service);
	cJSON_AddStringToObject(d, "environment", p->env);
}

static void deployed_event(struct pass *p, const struct rb_dep *d)
{
	char key[KEYSZ], id[RB_IMP_NAME + 80], ticket[RB_IMP_NAME];
	cJSON *x = cJSON_CreateObject();

	key_of(p, "deployed", d, "", key, sizeof(key));
	change_id(p, d, id, sizeof(id));
	rb_imp_ticket(p->im->map, d->text, ticket, sizeof(ticket));
	cJSON_AddStringToObject(x, "change_id", id);
	add_common(p, x);
	if (p->team[0])
		cJSON_AddStringToObject(x, "team", p->team);
	if (ticket[0])
		cJSON_AddStringToObject(x, "ticket", ticket);
	if (is_sha(d->rev))
		cJSON_AddStringToObject(x, "commit", d->rev);
	cJSON_AddStringToObject(x, "artifact", d->label[0] ? d->label : d->rev);
	if (d->status == RB_DEP_FAILED)
		cJSON_AddStringToObject(x, "status", "failed");
	rb_imp_event(p->im, key, d->time, "change.deployed", actor_of(p, d), x);
}

static void requested_event(struct pass *p, const struct rb_open *r, const struct rb_dep *d)
{
	const struct rb_dep *u = &p->l->d[r->undone];
	char key[KEYSZ], id[RB_IMP_NAME + 80], ticket[RB_IMP_NAME], kind[32];
	const char *svc = p->service, *blank = " \t\r\n";
	cJSON *x = cJSON_CreateObject(), *op;

	key_of(p, "requested", d, "", key, sizeof(key));
	change_id(p, u, id, sizeof(id));
	rb_imp_ticket(p->im->map, d->text, ticket, sizeof(ticket));
	if (ticket[0] == '\0')
		rb_imp_ticket(p->im->map, d->reason, ticket, sizeof(ticket));
	cJSON_AddStringToObject(x, "rollback_id", r->id);
	cJSON_AddStringToObject(x, "change_id", id);
	add_common(p, x);
	cJSON_AddStringToObject(x, "risk_tier", p->im->map->risk_tier);
	cJSON_AddBoolToObject(x, "emergency", rb_imp_emergency(p->im->map, d->text) ||
						rb_imp_emergency(p->im->map, d->reason));
	if (ticket[0])
		cJSON_AddStringToObject(x, "ticket", ticket);
	if (d->reason != NULL && d->reason[strspn(d->reason, blank)] != '\0')
		cJSON_AddStringToObject(x, "rationale", d->reason);
	cJSON_AddItemToObject(x, "components", cJSON_CreateStringArray(&svc, 1));
	op = cJSON_AddObjectToObject(x, "operation");
	snprintf(kind, sizeof(kind), "%s-rollback", p->l->source);
	cJSON_AddStringToObject(op, "kind", kind);
	cJSON_AddStringToObject(op, "target", d->to_id[0] ? d->to_id : d->rev);
	if (d->automated || rb_imp_is_bot(p->im->map, actor_of(p, d)))
		cJSON_AddBoolToObject(x, "automated", 1);
	rb_imp_event(p->im, key, d->started[0] ? d->started : d->time, "rollback.requested",
		     actor_of(p, d), x);
}

static void approval_events(struct pass *p, const struct rb_open *r, const struct rb_dep *d)
{
	char key[KEYSZ], more[24];
	int i;

	for (i = 0; i < d->napprovals; i++) {
		const struct rb_dep_approval *a = &d->approvals[i];
		cJSON *x = cJSON_CreateObject();

		snprintf(more, sizeof(more), ":%d", i + 1);
		key_of(p, a->rejected ? "rejected" : "approved", d, more, key, sizeof(key));
		cJSON_AddStringToObject(x, "rollback_id", r->id);
		if (a->rejected) {
			cJSON_AddStringToObject(x, "reason", a->comment ? a->comment : "");
		} else {
			cJSON_AddStringToObject(x, "role", "approver");
			if (a->comment != NULL && a->comment[0])
				cJSON_AddStringToObject(x, "conditions", a->comment);
		}
		rb_imp_event(p->im, key, a->time[0] ? a->time : d->time,
			     a->rejected ? "rollback.rejected" : "rollback.approved", a->actor, x);
	}
}

/* An attempt (k: the failed attempt before success, or -1 the deployment's outcome). */
static void executed_event(struct pass *p, const struct rb_open *r, const struct rb_dep *d,
			   int k)
{
	char key[KEYSZ], more[24] = "";
	cJSON *x = cJSON_CreateObject();

	if (k >= 0)
		snprintf(more, sizeof(more), ":failed-%d", k + 1);
	key_of(p, "executed", d, more, key, sizeof(key));
	cJSON_AddStringToObject(x, "rollback_id", r->id);
	cJSON_AddStringToObject(x, "result", k < 0 && d->status == RB_DEP_OK ? "success" :
				"failed");
	cJSON_AddStringToObject(x, "from_version", p->l->d[r->undone].rev);
	cJSON_AddStringToObject(x, "to_version", d->rev);
	cJSON_AddItemToObject(x, "touches", cJSON_CreateArray());
	rb_imp_event(p->im, key, k >= 0 ? d->fails[k] : d->time, "rollback.executed",
		     actor_of(p, d), x);
}

/* A successful deployment of what an open rollback undid closes it: relanded. */
static void close_relanded(struct pass *p, const struct rb_dep *d, const struct rb_open *self)
{
	char key[KEYSZ], id[RB_IMP_NAME + 80], more[RB_IMP_NAME + 100];
	size_t i;

	/* Most deployments reland nothing: only look when a rollback undid this revision. */
	if (*undone_slot(p, d->rev) == 0)
		return;
	for (i = 0; i < p->nopen; i++) {
		struct rb_open *r = &p->open[i];
		cJSON *x;

		if (r == self || r->closed || r->failed ||
		    strcmp(p->l->d[r->undone].rev, d->rev) != 0)
			continue;
		r->closed = 1;
		--*undone_slot(p, d->rev);
		x = cJSON_CreateObject();
		snprintf(more, sizeof(more), ":%s", r->id);
		key_of(p, "closed", d, more, key, sizeof(key));
		change_id(p, d, id, sizeof(id));
		cJSON_AddStringToObject(x, "rollback_id", r->id);
		cJSON_AddStringToObject(x, "resolution", "relanded");
		cJSON_AddStringToObject(x, "change_id", id);
		rb_imp_event(p->im, key, d->time, "rollback.closed", actor_of(p, d), x);
	}
}

/* ---- the rule ---- */

/*
 * Is deployment i a rollback?  The source says so (Helm), or by the rule:
 * its revision was deployed before and differs from the one before it; or
 * it is the next attempt of a rollback whose attempt just failed.
 */
static int is_rollback(struct pass *p, size_t i, struct rb_open **retry)
{
	const struct rb_dep *d = &p->l->d[i], *prev = p->prev >= 0 ? &p->l->d[p->prev] : NULL;
	struct rb_open *last = p->nopen > 0 ? &p->open[p->nopen - 1] : NULL;

	*retry = NULL;
	if (last != NULL && last->failed && (long)last->last == p->prev &&
	    (d->kind == RB_DEP_ROLLBACK ||
	     (d->kind == RB_DEP_RULE && strcmp(d->rev, p->l->d[last->last].rev) == 0)))
		*retry = last;
	if (*retry != NULL || d->kind == RB_DEP_ROLLBACK)
		return 1;
	if (d->kind == RB_DEP_CHANGE || prev == NULL)
		return 0;
	return strcmp(d->rev, prev->rev) != 0 && seen_get(p, d->rev) >= 0;
}

static int open_rollback(struct pass *p, size_t i, struct rb_open **out)
{
	struct rb_open *r;

	if (p->nopen == p->capopen) {
		size_t cap = p->capopen ? p->capopen * 2 : 8;
		struct rb_open *v = realloc(p->open, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		p->open = v;
		p->capopen = cap;
	}
	r = &p->open[p->nopen++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s-%s-%s", p->l->source, p->l->target, p->l->d[i].id);
	r->undone = (size_t)p->in_place;
	++*undone_slot(p, p->l->d[r->undone].rev);
	*out = r;
	return 0;
}

static void one_rollback(struct pass *p, size_t i, struct rb_open *retry)
{
	const struct rb_dep *d = &p->l->d[i];
	struct rb_open *r = retry;
	int k;

	if (r == NULL) {
		if (p->in_place < 0) {
			rb_imp_unmapped(p->im, "a rollback before any deployment of its target");
			return;
		}
		if (open_rollback(p, i, &r) != 0) {
			p->im->failed = 1;
			return;
		}
		p->im->res->rollbacks++;
		requested_event(p, r, d);
	}
	approval_events(p, r, d);
	if (d->status == RB_DEP_NOT_RUN)
		return;
	for (k = 0; k < d->nfails; k++)
		executed_event(p, r, d, k);
	executed_event(p, r, d, -1);
	r->last = i;
	r->failed = d->status != RB_DEP_OK;
	if (!r->failed) {
		close_relanded(p, d, r);
		if (seen_get(p, d->rev) >= 0)
			p->in_place = seen_get(p, d->rev);
	}
}

static void one_change(struct pass *p, size_t i)
{
	const struct rb_dep *d = &p->l->d[i];

	if (d->status == RB_DEP_NOT_RUN) {
		rb_imp_unmapped(p->im, "a deployment that never ran (blocked or canceled)");
		return;
	}
	deployed_event(p, d);
	p->in_place = (long)i;
	if (d->status == RB_DEP_OK) {
		close_relanded(p, d, NULL);
		*seen_slot(p, d->rev) = i + 1;
	}
}

/* The service, team and environment of the line, from the map. */
static void line_names(struct pass *p)
{
	const struct rb_imp_map *m = p->im->map;
	int k = rb_imp_named(m, p->l->target);

	snprintf(p->service, sizeof(p->service), "%s",
		 k >= 0 ? m->services[k].service : m->service[0] ? m->service : p->l->target);
	snprintf(p->team, sizeof(p->team), "%s", k >= 0 ? m->services[k].team : m->team);
	snprintf(p->env, sizeof(p->env), "%s",
		 k >= 0 && m->services[k].environment[0] ? m->services[k].environment :
		 rb_imp_env(m, p->l->env));
}

void rb_dep_events(struct rb_imp *im, struct rb_dep_line *l)
{
	struct pass p;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.im = im;
	p.l = l;
	p.in_place = -1;
	p.prev = -1;
	line_names(&p);
	sort_unique(l);
	for (p.nseen = 16; p.nseen < 2 * l->n + 2; p.nseen *= 2)
		;
	p.seen = calloc(p.nseen, sizeof(*p.seen));
	p.undone = calloc(p.nseen, sizeof(*p.undone));
	if (p.seen == NULL || p.undone == NULL) {
		free(p.seen);
		free(p.undone);
		im->failed = 1;
		return;
	}
	for (i = 0; i < l->n && !im->failed; i++) {
		struct rb_open *retry;

		if (is_rollback(&p, i, &retry))
			one_rollback(&p, i, retry);
		else
			one_change(&p, i);
		if (l->d[i].status != RB_DEP_NOT_RUN)
			p.prev = (long)i;
	}
	free(p.seen);
	free(p.undone);
	free(p.open);
}
