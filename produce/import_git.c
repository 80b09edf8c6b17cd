/*
 * import_git.c - rollbacks from a git repository, through libgit2 (no git
 * process; bare repositories too).  docs/IMPORT.md states the mapping.
 *
 * One walk over the commits keeps only the candidates (a commit whose
 * message has a line "This reverts commit <sha>" or "This is a reland of
 * commit <sha>"), so memory grows with the reverts, not the history; the
 * events are made after the walk, once every revert is known.
 */
#define _GNU_SOURCE     /* memmem */
#include "import_src.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <git2.h>

#define MAX_TARGETS 8
/* A full sha in hex (libgit2's GIT_OID_HEXSZ, as a size). */
#define HEXSZ 40
_Static_assert(HEXSZ == GIT_OID_HEXSZ, "SHA-1 repositories");

enum cand_kind { CAND_REVERT, CAND_RELAND };

struct cand {
	git_oid self;
	git_oid target[MAX_TARGETS];    /* the commits its lines name, in order */
	int ntarget;
	enum cand_kind kind;
	int64_t committed;              /* committer time, for the relands' order */
	int rollback;                   /* a revert that is a rollback (after resolve) */
};

struct walk {
	struct rb_imp *im;
	const struct rb_import_opts *o;
	git_repository *repo;
	struct cand *c;
	size_t n, cap;
	char repo_name[RB_IMP_NAME];
};

static int git_fail(struct rb_err *e, const char *what, const char *path)
{
	const git_error *g = git_error_last();

	return RB_ERR(e, RB_EX_NOINPUT, "%s '%s': %s", what, path,
		      g != NULL && g->message != NULL ? g->message : "libgit2 error");
}

/* ---- reading messages ---- */

/* The full hex shas after prefix at the start of a line, into c. */
static void lines_naming(const char *msg, const char *prefix, struct cand *c)
{
	size_t pl = strlen(prefix);
	const char *l = msg;

	while (l != NULL && *l) {
		if (strncmp(l, prefix, pl) == 0 && c->ntarget < MAX_TARGETS) {
			char hex[HEXSZ + 1];
			size_t k = strspn(l + pl, "0123456789abcdef");

			if (k == HEXSZ) {
				memcpy(hex, l + pl, HEXSZ);
				hex[HEXSZ] = '\0';
				if (git_oid_fromstr(&c->target[c->ntarget], hex) == 0)
					c->ntarget++;
			}
		}
		l = strchr(l, '\n');
		l = l != NULL ? l + 1 : NULL;
	}
}

static void oid_hex(const git_oid *o, char out[HEXSZ + 1])
{
	git_oid_tostr(out, HEXSZ + 1, o);
}

static void utc(int64_t t, char out[32])
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Who a signature is: its email, or its name when it has none. */
static const char *who(const git_signature *s)
{
	return s->email != NULL && s->email[0] ? s->email : s->name;
}

/* "Name <email>" as the email; else the text. */
static void trailer_who(const char *v, char *out, size_t n)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt != NULL && gt != NULL && gt > lt + 1)
		snprintf(out, n, "%.*s", (int)(gt - lt - 1), lt + 1);
	else
		snprintf(out, n, "%s", v);
}

/* ---- the walk ---- */

static int keep(struct walk *w, const git_commit *c, const git_oid *id)
{
	const char *msg = git_commit_message(c);
	struct cand x;

	memset(&x, 0, sizeof(x));
	git_oid_cpy(&x.self, id);
	x.committed = (int64_t)git_commit_time(c);
	lines_naming(msg, "This reverts commit ", &x);
	x.kind = CAND_REVERT;
	if (x.ntarget == 0) {
		lines_naming(msg, "This is a reland of commit ", &x);
		if (x.ntarget == 0)
			lines_naming(msg, "This is a reland of ", &x);
		x.kind = CAND_RELAND;
	}
	if (x.ntarget == 0) {
		rb_imp_unmapped(w->im, "a revert line naming no full commit sha");
		return 0;
	}
	if (w->n == w->cap) {
		size_t nc = w->cap > 0 ? w->cap * 2 : 64;
		struct cand *nv = realloc(w->c, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		w->c = nv;
		w->cap = nc;
	}
	w->c[w->n++] = x;
	return 0;
}

/*
 * The walk: every commit reachable from the start, each read once, in no
 * order (candidates are ordered after the walk, by their times).  One raw
 * read per commit gives both its parents and whether it might be a revert
 * or a reland; only those few are parsed by libgit2.  What the walk keeps
 * per commit is the set of commits seen (a hash set of object ids, 20 to 40
 * bytes each) and the ones still to visit: the floor for walking a graph.
 */
struct seen {
	git_oid *v;             /* open addressing; a zero id is an empty slot */
	size_t cap, n;
};

static uint64_t oid_hash(const git_oid *id)
{
	uint64_t h;

	memcpy(&h, id->id, sizeof(h));
	return h;
}

/* Add id; 1 when it was there already, -1 out of memory. */
static int seen_add(struct seen *s, const git_oid *id)
{
	static const git_oid zero;
	size_t i;

	if (5 * (s->n + 1) > 4 * s->cap) {     /* at most 80% full */
		struct seen t = { NULL, s->cap ? s->cap * 2 : 1024, 0 };
		size_t k;

		if ((t.v = calloc(t.cap, sizeof(*t.v))) == NULL)
			return -1;
		for (k = 0; k < s->cap; k++)
			if (!git_oid_equal(&s->v[k], &zero))
				(void)seen_add(&t, &s->v[k]);
		free(s->v);
		*s = t;
	}
	for (i = oid_hash(id) & (s->cap - 1); !git_oid_equal(&s->v[i], &zero);
	     i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->v[i], id))
			return 1;
	git_oid_cpy(&s->v[i], id);
	s->n++;
	return 0;
}

struct todo {
	git_oid *v;
	size_t n, cap;
};

static int todo_push(struct todo *t, struct seen *s, const git_oid *id)
{
	int k = seen_add(s, id);

	if (k != 0)
		return k < 0 ? -1 : 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		git_oid *v = realloc(t->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	git_oid_cpy(&t->v[t->n++], id);
	return 0;
}

/* The parents named in a raw commit's header (up to its blank line), pushed. */
static int push_parents(struct todo *t, struct seen *s, const char *data, size_t n)
{
	const char *p = data, *end = data + n;

	while (p < end && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		git_oid parent;

		if (eol == NULL)
			break;
		if ((size_t)(eol - p) == 7 + HEXSZ && memcmp(p, "parent ", 7) == 0 &&
		    git_oid_fromstrn(&parent, p + 7, HEXSZ) == 0 && todo_push(t, s, &parent) != 0)
			return -1;
		p = eol + 1;
	}
	return 0;
}

/* One commit read: its parents pushed; *yes when it might be a revert or a reland. */
static int visit(struct walk *w, git_odb *odb, struct todo *t, struct seen *s,
		 const git_oid *id, int *yes)
{
	git_odb_object *o = NULL;
	const char *data;
	size_t n;
	int rc = 0;

	*yes = 0;
	if (git_odb_read(&o, odb, id) != 0) {
		/* A shallow clone's boundary: its parents are not there. */
		return git_repository_is_shallow(w->repo) == 1 ? 1 : -1;
	}
	if (git_odb_object_type(o) != GIT_OBJECT_COMMIT) {
		git_odb_object_free(o);
		return -1;
	}
	data = git_odb_object_data(o);
	n = git_odb_object_size(o);
	if (push_parents(t, s, data, n) != 0)
		rc = -2;
	*yes = memmem(data, n, "This reverts commit ", 20) != NULL ||
	       memmem(data, n, "This is a reland of ", 20) != NULL;
	git_odb_object_free(o);
	return rc;
}

static int walk_commits(struct walk *w, const char *ref, struct rb_err *e)
{
	git_object *start = NULL, *peeled = NULL;
	git_odb *odb = NULL;
	struct seen s = { NULL, 0, 0 };
	struct todo t = { NULL, 0, 0 };
	int rc = -1;

	if (git_repository_odb(&odb, w->repo) != 0 ||
	    git_revparse_single(&start, w->repo, ref != NULL ? ref : "HEAD") != 0 ||
	    git_object_peel(&peeled, start, GIT_OBJECT_COMMIT) != 0) {
		git_fail(e, "cannot walk", ref != NULL ? ref : "HEAD");
		goto out;
	}
	if (todo_push(&t, &s, git_object_id(peeled)) != 0)
		goto oom;
	while (t.n > 0) {
		git_oid id;
		git_commit *c = NULL;
		int yes, k;

		git_oid_cpy(&id, &t.v[--t.n]);
		if ((k = visit(w, odb, &t, &s, &id, &yes)) == -2)
			goto oom;
		if (k == 1)
			continue;
		if (k != 0 || (yes && git_commit_lookup(&c, w->repo, &id) != 0)) {
			git_fail(e, "cannot read commit of", ref != NULL ? ref : "HEAD");
			goto out;
		}
		if (++w->im->res->scanned % 16384 == 0 && w->o->progress != NULL)
			w->o->progress(w->o->progress_ctx, w->im->res->scanned);
		if (yes && keep(w, c, &id) != 0) {
			git_commit_free(c);
			goto oom;
		}
		git_commit_free(c);
	}
	rc = 0;
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	free(s.v);
	free(t.v);
	git_object_free(peeled);
	git_object_free(start);
	git_odb_free(odb);
	return rc;
}

/* ---- the events of one rollback ---- */

static struct cand *find(struct walk *w, const git_oid *id, enum cand_kind kind)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->c[i].kind == kind && git_oid_equal(&w->c[i].self, id))
			return &w->c[i];
	return NULL;
}

/* The service and team of a revert: the first mapped path it changes. */
static void service_of(struct walk *w, git_commit *r, char *svc, char *team)
{
	const struct rb_imp_map *m = w->im->map;
	git_commit *parent = NULL;
	git_tree *t = NULL, *pt = NULL;
	git_diff *d = NULL;
	size_t i;
	int k, found = 0;

	snprintf(svc, RB_IMP_NAME, "%s", m->service[0] ? m->service : w->repo_name);
	snprintf(team, RB_IMP_NAME, "%s", m->team);
	if (m->nservices == 0 || git_commit_tree(&t, r) != 0)
		goto out;
	if (git_commit_parentcount(r) > 0 && (git_commit_parent(&parent, r, 0) != 0 ||
					      git_commit_tree(&pt, parent) != 0))
		goto out;
	if (git_diff_tree_to_tree(&d, w->repo, pt, t, NULL) != 0)
		goto out;
	for (k = 0; k < m->nservices && !found; k++)
		for (i = 0; i < git_diff_num_deltas(d) && !found; i++) {
			const git_diff_delta *dd = git_diff_get_delta(d, i);
			const char *path = dd->new_file.path ? dd->new_file.path : dd->old_file.path;

			if (path != NULL && m->services[k].prefix[0] &&
			    strncmp(path, m->services[k].prefix,
						    strlen(m->services[k].prefix)) == 0) {
				snprintf(svc, RB_IMP_NAME, "%s", m->services[k].service);
				snprintf(team, RB_IMP_NAME, "%s", m->services[k].team);
				found = 1;
			}
		}
out:
	git_diff_free(d);
	git_tree_free(pt);
	git_tree_free(t);
	git_commit_free(parent);
}

/* The rationale: "Reason for revert:" and what follows it, else the body. */
static char *rationale_of(const git_commit *r)
{
	const char *msg = git_commit_message(r), *reason = strstr(msg, "Reason for revert:");
	const char *body = git_commit_body((git_commit *)r);
	char *out, *p;
	size_t n;

	if (reason != NULL) {
		const char *end = strstr(reason, "\n\n");

		reason += strlen("Reason for revert:");
		n = end != NULL ? (size_t)(end - reason) : strlen(reason);
		out = strndup(reason, n);
	} else {
		out = strdup(body != NULL ? body : "");
		/* Without the line git wrote and the trailers' paragraph. */
		if (out != NULL && (p = strstr(out, "This reverts commit ")) != NULL) {
			const char *eol = strchr(p, '\n'), *rest = eol ? eol + 1 : p + strlen(p);

			memmove(p, rest, strlen(rest) + 1);
		}
	}
	if (out == NULL)
		return NULL;
	/* Trim. */
	for (p = out; *p == ' ' || *p == '\n' || *p == '\t'; p++)
		;
	memmove(out, p, strlen(p) + 1);
	for (n = strlen(out); n > 0 && strchr(" \n\t", out[n - 1]) != NULL; n--)
		out[n - 1] = '\0';
	return out;
}

/*
 * The ticket: a Bug:, Fixes: or Closes: trailer, else the first match of the
 * map's ticket patterns in the message, else "(#123)" in the subject.
 */
static void ticket_of(const struct rb_imp_map *m, const git_commit *r,
		      const git_message_trailer_array *tr, char *out, size_t n)
{
	const char *sum = git_commit_summary((git_commit *)r), *h;
	size_t i;

	out[0] = '\0';
	for (i = 0; i < tr->count; i++)
		if (strcasecmp(tr->trailers[i].key, "Bug") == 0 ||
		    strcasecmp(tr->trailers[i].key, "Fixes") == 0 ||
		    strcasecmp(tr->trailers[i].key, "Closes") == 0) {
			snprintf(out, n, "%s", tr->trailers[i].value);
			return;
		}
	rb_imp_ticket(m, git_commit_message(r), out, n);
	if (out[0] == '\0' && sum != NULL && (h = strstr(sum, "(#")) != NULL && strspn(h + 2, "0123456789") > 0 &&
	    h[2 + strspn(h + 2, "0123456789")] == ')')
		snprintf(out, n, "#%.*s", (int)strspn(h + 2, "0123456789"), h + 2);
}

/* Gerrit's "Bot-Commit:" trailer: a commit a bot made. */
static int bot_commit(const git_message_trailer_array *tr)
{
	size_t i;

	for (i = 0; i < tr->count; i++)
		if (strcasecmp(tr->trailers[i].key, "Bot-Commit") == 0)
			return 1;
	return 0;
}

static void rollback_id(const git_oid *r, char out[32])
{
	char hex[HEXSZ + 1];

	oid_hex(r, hex);
	snprintf(out, 32, "git-%.12s", hex);
}

/* The change a revert reverts: change.deployed at its committer time. */
static void change_event(struct walk *w, git_commit *c, const char *svc, const char *team)
{
	char hex[HEXSZ + 1], t[32], key[80];
	cJSON *d = cJSON_CreateObject();

	oid_hex(git_commit_id(c), hex);
	utc((int64_t)git_commit_time(c), t);
	snprintf(key, sizeof(key), "git:deployed:%s", hex);
	cJSON_AddStringToObject(d, "change_id", hex);
	cJSON_AddStringToObject(d, "service", svc);
	cJSON_AddStringToObject(d, "environment", w->im->map->environment);
	if (team[0])
		cJSON_AddStringToObject(d, "team", team);
	cJSON_AddStringToObject(d, "commit", hex);
	cJSON_AddStringToObject(d, "artifact", hex);
	rb_imp_event(w->im, key, t, "change.deployed", who(git_commit_committer(c)), d);
}

static void request_event(struct walk *w, git_commit *r, const struct cand *x, const char *svc,
			  const git_message_trailer_array *tr, const char *id)
{
	char hex[HEXSZ + 1], rhex[HEXSZ + 1], t[32], key[80], ticket[256];
	cJSON *d = cJSON_CreateObject(), *op, *also;
	char *why = rationale_of(r);
	int i;

	oid_hex(&x->target[0], hex);
	oid_hex(&x->self, rhex);
	utc((int64_t)git_commit_author(r)->when.time, t);
	snprintf(key, sizeof(key), "git:requested:%s", rhex);
	ticket_of(w->im->map, r, tr, ticket, sizeof(ticket));
	cJSON_AddStringToObject(d, "rollback_id", id);
	cJSON_AddStringToObject(d, "change_id", hex);
	cJSON_AddStringToObject(d, "service", svc);
	cJSON_AddStringToObject(d, "environment", w->im->map->environment);
	cJSON_AddStringToObject(d, "risk_tier", w->im->map->risk_tier);
	cJSON_AddBoolToObject(d, "emergency", rb_imp_emergency(w->im->map, git_commit_message(r)));
	if (ticket[0])
		cJSON_AddStringToObject(d, "ticket", ticket);
	if (rb_imp_is_bot(w->im->map, who(git_commit_author(r))) || bot_commit(tr))
		cJSON_AddBoolToObject(d, "automated", 1);
	cJSON_AddStringToObject(d, "rationale", why != NULL ? why : "");
	cJSON_AddItemToObject(d, "components", cJSON_CreateStringArray(&svc, 1));
	op = cJSON_AddObjectToObject(d, "operation");
	cJSON_AddStringToObject(op, "kind", "git-revert");
	cJSON_AddStringToObject(op, "target", hex);
	cJSON_AddStringToObject(d, "commit", rhex);
	if (x->ntarget > 1) {
		also = cJSON_AddArrayToObject(d, "also_reverts");
		for (i = 1; i < x->ntarget; i++) {
			oid_hex(&x->target[i], hex);
			cJSON_AddItemToArray(also, cJSON_CreateString(hex));
		}
	}
	free(why);
	if (why == NULL)
		w->im->failed = 1;
	rb_imp_event(w->im, key, t, "rollback.requested", who(git_commit_author(r)), d);
}

/* Each Reviewed-by, Approved-by or Acked-by trailer of the revert's own message. */
static void approval_events(struct walk *w, git_commit *r, const git_message_trailer_array *tr,
			    const char *id)
{
	static const char *const keys[][2] = { { "Reviewed-by", "reviewer" },
		{ "Approved-by", "approver" }, { "Acked-by", "acker" } };
	char rhex[HEXSZ + 1], t[32], key[120], actor[RB_IMP_NAME];
	size_t i, k;

	oid_hex(git_commit_id(r), rhex);
	utc((int64_t)git_commit_time(r), t);
	for (i = 0; i < tr->count; i++)
		for (k = 0; k < 3; k++)
			if (strcasecmp(tr->trailers[i].key, keys[k][0]) == 0) {
				cJSON *d = cJSON_CreateObject();

				trailer_who(tr->trailers[i].value, actor, sizeof(actor));
				snprintf(key, sizeof(key), "git:approved:%s:%zu", rhex, i);
				cJSON_AddStringToObject(d, "rollback_id", id);
				cJSON_AddStringToObject(d, "role", keys[k][1]);
				rb_imp_event(w->im, key, t, "rollback.approved", actor, d);
			}
}

static void execute_event(struct walk *w, git_commit *r, git_commit *c, const char *id)
{
	char rhex[HEXSZ + 1], chex[HEXSZ + 1], phex[HEXSZ + 1] = "";
	char t[32], key[80];
	cJSON *d = cJSON_CreateObject();

	oid_hex(git_commit_id(r), rhex);
	oid_hex(git_commit_id(c), chex);
	if (git_commit_parentcount(c) > 0)
		oid_hex(git_commit_parent_id(c, 0), phex);
	utc((int64_t)git_commit_time(r), t);
	snprintf(key, sizeof(key), "git:executed:%s", rhex);
	cJSON_AddStringToObject(d, "rollback_id", id);
	cJSON_AddStringToObject(d, "result", "success");
	cJSON_AddStringToObject(d, "from_version", chex);
	cJSON_AddStringToObject(d, "to_version", phex);
	cJSON_AddItemToObject(d, "touches", cJSON_CreateArray());
	rb_imp_event(w->im, key, t, "rollback.executed", who(git_commit_committer(r)), d);
}

/* A revert of a commit of the repository: its change and rollback. */
static int rollback_events(struct walk *w, struct cand *x, struct rb_err *e)
{
	git_commit *r = NULL, *c = NULL;
	git_message_trailer_array tr = { NULL, 0, NULL };
	char svc[RB_IMP_NAME], team[RB_IMP_NAME], id[32];

	if (git_commit_lookup(&c, w->repo, &x->target[0]) != 0) {
		rb_imp_unmapped(w->im, "a revert of a commit that is not in the repository");
		return 0;
	}
	if (git_commit_lookup(&r, w->repo, &x->self) != 0) {
		git_commit_free(c);
		return git_fail(e, "cannot read a revert in", "the repository");
	}
	if (git_message_trailers(&tr, git_commit_message(r)) != 0) {
		git_message_trailer_array_free(&tr);
		memset(&tr, 0, sizeof(tr));
	}
	x->rollback = 1;
	w->im->res->rollbacks++;
	rollback_id(&x->self, id);
	service_of(w, r, svc, team);
	change_event(w, c, svc, team);
	request_event(w, r, x, svc, &tr, id);
	approval_events(w, r, &tr, id);
	execute_event(w, r, c, id);
	git_message_trailer_array_free(&tr);
	git_commit_free(r);
	git_commit_free(c);
	return 0;
}

/* rollback.closed, resolution relanded, for the rollback of revert x by commit l. */
static int close_event(struct walk *w, const struct cand *x, const git_oid *l, struct rb_err *e)
{
	git_commit *c = NULL;
	char id[32], lhex[HEXSZ + 1], t[32], key[120];
	cJSON *d;

	if (git_commit_lookup(&c, w->repo, l) != 0)
		return git_fail(e, "cannot read a reland in", "the repository");
	rollback_id(&x->self, id);
	oid_hex(l, lhex);
	utc((int64_t)git_commit_time(c), t);
	snprintf(key, sizeof(key), "git:closed:%s", id);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "rollback_id", id);
	cJSON_AddStringToObject(d, "resolution", "relanded");
	cJSON_AddStringToObject(d, "commit", lhex);
	rb_imp_event(w->im, key, t, "rollback.closed", who(git_commit_author(c)), d);
	git_commit_free(c);
	return 0;
}

/* The latest revert of change before time t that is a rollback; NULL. */
static const struct cand *revert_of(struct walk *w, const git_oid *change, int64_t t)
{
	const struct cand *best = NULL;
	size_t i;

	for (i = 0; i < w->n; i++) {
		const struct cand *x = &w->c[i];

		if (x->kind == CAND_REVERT && x->rollback && git_oid_equal(&x->target[0], change) &&
		    x->committed <= t && (best == NULL || x->committed > best->committed))
			best = x;
	}
	return best;
}

/*
 * After the walk: each revert of a commit that is not itself a revert is a
 * rollback; a revert of a revert, and a "reland of" commit, close one.
 */
static int resolve(struct walk *w, struct rb_err *e)
{
	size_t i;

	/*
	 * clang-analyzer reports w->c as leaking here, a false positive (the
	 * block stays in w and rb_import_git frees it); the one line is exempt.
	 */
	for (i = 0; i < w->n; i++)
		if (w->c[i].kind == CAND_REVERT && find(w, &w->c[i].target[0], CAND_REVERT) == NULL &&
		    rollback_events(w, &w->c[i], e) != 0) // NOLINT(clang-analyzer-unix.Malloc)
			return -1;
	for (i = 0; i < w->n; i++) {
		const struct cand *x = &w->c[i], *rb = NULL;

		if (x->kind == CAND_REVERT) {
			rb = find(w, &x->target[0], CAND_REVERT);
			if (rb == NULL)
				continue;               /* a rollback itself */
			if (!rb->rollback) {
				rb_imp_unmapped(w->im, "a revert of a revert that is no rollback");
				continue;
			}
		} else if ((rb = revert_of(w, &x->target[0], x->committed)) == NULL) {
			rb_imp_unmapped(w->im, "a reland of a change that no rollback reverted before it");
			continue;
		}
		if (close_event(w, rb, &x->self, e) != 0)
			return -1;
	}
	return 0;
}

/* The repository's folder name, without ".git": the default service. */
static void repo_name(const char *path, char *out, size_t n)
{
	char tmp[PATH_MAX];
	size_t len;
	const char *b;

	if (realpath(path, tmp) == NULL)
		snprintf(tmp, sizeof(tmp), "%s", path);
	for (len = strlen(tmp); len > 1 && tmp[len - 1] == '/'; len--)
		tmp[len - 1] = '\0';
	b = strrchr(tmp, '/') ? strrchr(tmp, '/') + 1 : tmp;
	len = strlen(b);
	if (len > 4 && strcmp(b + len - 4, ".git") == 0)
		len -= 4;
	snprintf(out, n, "%.*s", (int)len, b);
}

int rb_import_git(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e)
{
	struct walk w;
	int rc = -1;

	if (o->ninputs != 1)
		return RB_ERR(e, RB_EX_USAGE, "import git takes one repository");
	memset(&w, 0, sizeof(w));
	w.im = im;
	w.o = o;
	repo_name(o->inputs[0], w.repo_name, sizeof(w.repo_name));
	if ((w.c = calloc(64, sizeof(*w.c))) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	w.cap = 64;
	git_libgit2_init();
	/*
	 * Commits are read once each: libgit2's object cache would only keep
	 * every commit walked, growing with the history.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	if (git_repository_open_ext(&w.repo, o->inputs[0], GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) != 0) {
		git_fail(e, "not a git repository:", o->inputs[0]);
		goto out;
	}
	if (walk_commits(&w, o->ref, e) != 0 || resolve(&w, e) != 0)
		goto out;
	rc = 0;
out:
	git_repository_free(w.repo);
	free(w.c);
	git_libgit2_shutdown();
	return rc;
}
