/*
 * import_github.c - GitHub's deployments (GET /repos/O/R/deployments) and
 * their statuses (GET .../deployments/ID/statuses), pages and files in any
 * order, as deployment histories (import_dep.c), one line per environment.
 * docs/IMPORT.md states the mapping.
 *
 * A deployment was done at its first `success` status (never `updated_at`,
 * which moves when GitHub marks it inactive); `failure` or `error` statuses
 * before it are failed attempts; a deployment with only those failed.  A
 * status names its deployment by the last segment of `deployment_url`.
 */
#include "import_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

#define MAX_ENVS 64

struct status {
	long long dep;
	char time[RB_TIME_MAX];
	const char *state;
};

struct gh {
	const cJSON **deps;
	size_t ndeps, capdeps;
	struct status *st;
	size_t nst, capst;
};

static int by_dep_time(const void *pa, const void *pb)
{
	const struct status *a = pa, *b = pb;

	if (a->dep != b->dep)
		return (a->dep > b->dep) - (a->dep < b->dep);
	return strcmp(a->time, b->time);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *w;

	if (n < *cap)
		return 0;
	if ((w = realloc(*v, (*cap ? *cap * 2 : 64) * size)) == NULL)
		return -1;
	*v = w;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

/* A status or a deployment, kept; 1 when neither (refused by the caller). */
static int keep(struct rb_imp *im, struct gh *g, const cJSON *x)
{
	const char *url = rb_json_str(x, "deployment_url"), *slash;

	if (rb_json_str(x, "state") != NULL && url != NULL) {
		struct status *s;

		if (grow((void **)&g->st, &g->capst, g->nst, sizeof(*g->st)) != 0)
			return -1;
		s = &g->st[g->nst];
		slash = strrchr(url, '/');
		s->dep = slash != NULL ? strtoll(slash + 1, NULL, 10) : 0;
		s->state = rb_json_str(x, "state");
		if (rb_imp_time(rb_json_str(x, "created_at"), s->time) != 0) {
			rb_imp_unmapped(im, "a GitHub deployment status without a valid "
					"created_at");
			return 0;
		}
		g->nst++;
		return 0;
	}
	if (rb_json_str(x, "sha") != NULL && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x,
										       "id"))) {
		if (grow((void **)&g->deps, &g->capdeps, g->ndeps, sizeof(const cJSON *)) != 0)
			return -1;
		g->deps[g->ndeps++] = x;
		return 0;
	}
	return 1;
}

/* The outcome of deployment id from its statuses (sorted), into d; 1 never done. */
static int outcome(const struct gh *g, long long id, struct rb_dep *d)
{
	size_t lo = 0, hi = g->nst;
	char failed[RB_TIME_MAX] = "";

	while (lo < hi) {               /* the first status of id */
		size_t mid = (lo + hi) / 2;

		if (g->st[mid].dep < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < g->nst && g->st[lo].dep == id; lo++) {
		const struct status *s = &g->st[lo];

		if (strcmp(s->state, "success") == 0) {
			d->status = RB_DEP_OK;
			memcpy(d->time, s->time, sizeof(d->time));
			return 0;
		}
		if (strcmp(s->state, "failure") == 0 || strcmp(s->state, "error") == 0) {
			if (!failed[0])
				memcpy(failed, s->time, sizeof(failed));
			if (d->nfails < 4)
				memcpy(d->fails[d->nfails++], s->time, sizeof(d->fails[0]));
		}
	}
	if (!failed[0])
		return 1;
	d->status = RB_DEP_FAILED;
	memcpy(d->time, failed, sizeof(d->time));
	d->nfails = 0;
	return 0;
}

static int deployment(struct rb_imp *im, const struct gh *g, const cJSON *x, struct rb_dep *d)
{
	const char *desc = rb_json_str(x, "description"), *ref = rb_json_str(x, "ref");
	long long id = (long long)cJSON_GetObjectItemCaseSensitive(x, "id")->valuedouble;

	im->res->scanned++;
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%lld", id);
	snprintf(d->rev, sizeof(d->rev), "%s", rb_json_str(x, "sha"));
	if (ref != NULL)
		snprintf(d->label, sizeof(d->label), "%s (%.12s)", ref, d->rev);
	if (rb_imp_time(rb_json_str(x, "created_at"), d->started) != 0) {
		rb_imp_unmapped(im, "a GitHub deployment without a valid created_at");
		return 1;
	}
	if (outcome(g, id, d) != 0) {
		rb_imp_unmapped(im, "a GitHub deployment with no success, failure or error "
				"status");
		return 1;
	}
	d->kind = RB_DEP_RULE;
	if (rb_json_str(cJSON_GetObjectItemCaseSensitive(x, "creator"), "login") != NULL)
		snprintf(d->actor, sizeof(d->actor), "%s",
			 rb_json_str(cJSON_GetObjectItemCaseSensitive(x, "creator"), "login"));
	d->automated = rb_imp_is_bot(im->map, d->actor) ||
		       (strlen(d->actor) > 5 && strcmp(d->actor + strlen(d->actor) - 5, "[bot]") == 0);
	if (desc != NULL && ((d->reason = strdup(desc)) == NULL || (d->text = strdup(desc)) == NULL))
		return -1;
	return 0;
}

/* The repository: --name, else from repository_url (".../repos/OWNER/NAME"). */
static void repo_of(const struct rb_import_opts *o, const cJSON *x, char *out, size_t n)
{
	const char *u = rb_json_str(x, "repository_url"), *r = u ? strstr(u, "/repos/") : NULL;

	snprintf(out, n, "%s", o->name != NULL ? o->name : r != NULL ? r + 7 : "github");
}

static int lines(struct rb_imp *im, const struct rb_import_opts *o, const struct gh *g,
		 struct rb_err *e)
{
	struct rb_dep_line *l[MAX_ENVS];
	char names[MAX_ENVS][2][RB_IMP_NAME];   /* each line's repository and environment */
	int nl = 0, k, rc = -1;
	size_t i;

	for (i = 0; i < g->ndeps; i++) {
		const char *env = rb_json_str(g->deps[i], "environment");
		char repo[RB_IMP_NAME];
		struct rb_dep d;
		int j = deployment(im, g, g->deps[i], &d);

		if (j > 0)
			continue;
		repo_of(o, g->deps[i], repo, sizeof(repo));
		if (env == NULL)
			env = "";
		for (k = 0; k < nl; k++)
			if (strcmp(names[k][0], repo) == 0 && strcmp(names[k][1], env) == 0)
				break;
		if (j == 0 && k == nl && nl < MAX_ENVS &&
		    (l[nl] = rb_dep_line_new("github", repo, env)) != NULL) {
			snprintf(names[nl][0], RB_IMP_NAME, "%s", repo);
			snprintf(names[nl++][1], RB_IMP_NAME, "%s", env);
		}
		if (j < 0 || k == nl || rb_dep_add(l[k], &d) != 0) {
			rb_dep_drop(&d);
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory or more than %d environments",
			       MAX_ENVS);
			goto out;
		}
	}
	for (k = 0; k < nl; k++)
		rb_dep_events(im, l[k]);
	rc = 0;
out:
	for (k = 0; k < nl; k++)
		rb_dep_line_free(l[k]);
	return rc;
}

static int read_all(struct rb_imp *im, const struct rb_import_opts *o, cJSON *all, struct gh *g,
		    struct rb_err *e)
{
	size_t i;

	for (i = 0; i < o->ninputs; i++) {
		cJSON *docs = NULL;
		const cJSON *page, *x;

		if (rb_imp_read_docs(o->inputs[i], &docs, e) != 0)
			return -1;
		cJSON_AddItemToArray(all, docs);
		cJSON_ArrayForEach(page, docs) {
			int k = 0;

			if (!cJSON_IsArray(page))
				k = 1;
			cJSON_ArrayForEach(x, page)
				if (k == 0)
					k = keep(im, g, x);
			if (k != 0)
				return RB_ERR(e, k < 0 ? RB_EX_SOFTWARE : RB_EX_DATAERR, k < 0 ?
					      "out of memory" : "%s: not GitHub deployments or "
					      "deployment statuses (JSON arrays of them)", o->inputs[i]);
		}
	}
	return 0;
}

int rb_import_github(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e)
{
	struct gh g;
	cJSON *all = cJSON_CreateArray();
	int rc = -1;

	memset(&g, 0, sizeof(g));
	if (o->ninputs == 0) {
		RB_ERR(e, RB_EX_USAGE, "import github takes deployments and statuses files");
		goto out;
	}
	if (all == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (read_all(im, o, all, &g, e) != 0)
		goto out;
	if (g.nst > 1)
		qsort(g.st, g.nst, sizeof(*g.st), by_dep_time);
	rc = lines(im, o, &g, e);
out:
	free(g.deps);
	free(g.st);
	cJSON_Delete(all);
	return rc;
}
