/*
 * import_gitlab.c - GitLab's deployments API (GET /projects/:id/deployments,
 * pages concatenated; a deployment as GET /projects/:id/deployments/:id
 * shows it, with its approvals) as deployment histories (import_dep.c), one
 * line per environment.  docs/IMPORT.md states the mapping.
 *
 * GitLab does not flag a rollback: a deployment of a sha the environment
 * had before is one, by the rule of import_dep.c.  An approval of a
 * rollback's deployment is rollback.approved, a rejection rollback.rejected.
 */
#include "import_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

#define MAX_ENVS 64

static const char *user_of(const cJSON *o)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "user");

	return rb_json_str(u, "username") != NULL ? rb_json_str(u, "username") :
	       rb_json_str(u, "name");
}

/* A deployment's approvals: approved and rejected ones. */
static int approvals(const cJSON *dep, struct rb_dep *d)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(dep, "approvals"), *a;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return 0;
	if ((d->approvals = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*d->approvals))) == NULL)
		return -1;
	cJSON_ArrayForEach(a, arr) {
		struct rb_dep_approval *x = &d->approvals[d->napprovals];
		const char *st = rb_json_str(a, "status"), *who = user_of(a);

		if (st == NULL || who == NULL ||
		    (strcmp(st, "approved") != 0 && strcmp(st, "rejected") != 0))
			continue;
		snprintf(x->actor, sizeof(x->actor), "%s", who);
		if (rb_imp_time(rb_json_str(a, "created_at"), x->time) != 0)
			x->time[0] = '\0';
		x->rejected = strcmp(st, "rejected") == 0;
		if (rb_json_str(a, "comment") != NULL &&
		    (x->comment = strdup(rb_json_str(a, "comment"))) == NULL)
			return -1;
		d->napprovals++;
	}
	return 0;
}

/* The time a deployment was done: finished_at, else its job's, else updated_at. */
static int done_at(const cJSON *dep, char out[RB_TIME_MAX])
{
	const cJSON *job = cJSON_GetObjectItemCaseSensitive(dep, "deployable");

	if (rb_imp_time(rb_json_str(dep, "finished_at"), out) == 0 ||
	    rb_imp_time(rb_json_str(job, "finished_at"), out) == 0)
		return 0;
	return rb_imp_time(rb_json_str(dep, "updated_at"), out);
}

/* One deployment into d; 1 when not one to import (counted), -1 bad input or memory. */
static int deployment(struct rb_imp *im, const cJSON *dep, const char *path, struct rb_dep *d,
		      struct rb_err *e)
{
	const char *st = rb_json_str(dep, "status"), *sha = rb_json_str(dep, "sha");
	const cJSON *commit = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(dep, "deployable"), "commit");
	int64_t id;

	im->res->scanned++;
	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(dep) || rb_json_int(dep, "id", 1, INT64_MAX, &id) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "%s: not a GitLab deployment (no whole number "
			      "\"id\")", path);
	snprintf(d->id, sizeof(d->id), "%lld", (long long)id);
	if (sha == NULL || st == NULL) {
		rb_imp_unmapped(im, "a GitLab deployment without sha or status");
		return 1;
	}
	snprintf(d->rev, sizeof(d->rev), "%s", sha);
	if (rb_json_str(dep, "ref") != NULL)
		snprintf(d->label, sizeof(d->label), "%s (%.12s)", rb_json_str(dep, "ref"), sha);
	d->status = strcmp(st, "success") == 0 ? RB_DEP_OK :
		    strcmp(st, "failed") == 0 ? RB_DEP_FAILED : RB_DEP_NOT_RUN;
	if (d->status == RB_DEP_NOT_RUN && strcmp(st, "blocked") != 0 &&
	    strcmp(st, "canceled") != 0) {
		rb_imp_unmapped(im, "a GitLab deployment not finished (created, running or "
				"skipped)");
		return 1;
	}
	if (rb_imp_time(rb_json_str(dep, "created_at"), d->started) != 0 ||
	    (d->status != RB_DEP_NOT_RUN && done_at(dep, d->time) != 0)) {
		rb_imp_unmapped(im, "a GitLab deployment without valid times");
		return 1;
	}
	if (d->status == RB_DEP_NOT_RUN)
		memcpy(d->time, d->started, sizeof(d->time));
	d->kind = RB_DEP_RULE;
	/* The job's user is who ran it, as GitLab's own pages show it; else the deployment's. */
	if (user_of(cJSON_GetObjectItemCaseSensitive(dep, "deployable")) != NULL)
		snprintf(d->actor, sizeof(d->actor), "%s",
			 user_of(cJSON_GetObjectItemCaseSensitive(dep, "deployable")));
	else if (user_of(dep) != NULL)
		snprintf(d->actor, sizeof(d->actor), "%s", user_of(dep));
	if ((rb_json_str(commit, "message") != NULL &&
	     (d->text = strdup(rb_json_str(commit, "message"))) == NULL) || approvals(dep, d) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

struct envs {
	struct rb_dep_line *l[MAX_ENVS];
	char name[MAX_ENVS][RB_IMP_NAME];       /* each line's environment */
	int n;
};

static struct rb_dep_line *line_for(struct envs *v, const char *project, const char *env)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->name[i], env) == 0)
			return v->l[i];
	if (v->n == MAX_ENVS || (v->l[v->n] = rb_dep_line_new("gitlab", project, env)) == NULL)
		return NULL;
	snprintf(v->name[v->n], RB_IMP_NAME, "%s", env);
	return v->l[v->n++];
}

static int one_file(struct rb_imp *im, const char *path, const char *project, struct envs *v,
		    struct rb_err *e)
{
	cJSON *docs = NULL;
	const cJSON *page, *dep;
	int rc = -1;

	if (rb_imp_read_docs(path, &docs, e) != 0)
		return -1;
	cJSON_ArrayForEach(page, docs) {
		if (!cJSON_IsArray(page) && !cJSON_IsObject(page)) {
			RB_ERR(e, RB_EX_DATAERR, "%s: not GitLab deployments (pages of JSON arrays)",
			       path);
			goto out;
		}
		/* A page, or one deployment as GET .../deployments/:id gives it. */
		for (dep = cJSON_IsArray(page) ? page->child : page; dep != NULL;
		     dep = cJSON_IsArray(page) ? dep->next : NULL) {
			struct rb_dep d;
			const char *env = rb_json_str(cJSON_GetObjectItemCaseSensitive(dep,
								"environment"), "name");
			struct rb_dep_line *l;
			int k = deployment(im, dep, path, &d, e);

			if (k < 0) {
				rb_dep_drop(&d);
				goto out;
			}
			if (k > 0)
				continue;
			if ((l = line_for(v, project, env != NULL ? env : "")) == NULL)
				rb_dep_drop(&d);
			if (l == NULL || rb_dep_add(l, &d) != 0) {
				RB_ERR(e, RB_EX_SOFTWARE, "out of memory or more than %d environments",
				       MAX_ENVS);
				goto out;
			}
		}
	}
	rc = 0;
out:
	cJSON_Delete(docs);
	return rc;
}

int rb_import_gitlab(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e)
{
	struct envs v;
	char project[RB_IMP_NAME];
	size_t i;
	int k, rc = -1;

	if (o->ninputs == 0)
		return RB_ERR(e, RB_EX_USAGE, "import gitlab takes one or more deployments files");
	memset(&v, 0, sizeof(v));
	rb_imp_target_of(o, o->inputs[0], project, sizeof(project));
	for (i = 0; i < o->ninputs; i++)
		if (one_file(im, o->inputs[i], project, &v, e) != 0)
			goto out;
	for (k = 0; k < v.n; k++)
		rb_dep_events(im, v.l[k]);
	rc = 0;
out:
	for (k = 0; k < v.n; k++)
		rb_dep_line_free(v.l[k]);
	return rc;
}
