/*
 * import_argocd.c - Argo CD applications (`kubectl get application -o json`,
 * `kubectl get applications -o json`, `argocd app get -o json`, `argocd app
 * list -o json`): each application's status.history as a deployment history
 * (import_dep.c), one line per application.  docs/IMPORT.md states the
 * mapping.
 *
 * Argo CD does not flag a rollback: a sync back to a revision the
 * application had before is one, by the rule of import_dep.c.  History
 * entries are written only for syncs that succeeded; an automated sync is by
 * the map's first bot.
 */
#include "import_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

/* The revision of an entry: "revision", or a multi-source one's "revisions" joined. */
static int revision_of(const cJSON *h, char *out, size_t n)
{
	const cJSON *revs = cJSON_GetObjectItemCaseSensitive(h, "revisions"), *r;
	size_t len = 0;

	out[0] = '\0';
	if (rb_json_str(h, "revision") != NULL && rb_json_str(h, "revision")[0]) {
		snprintf(out, n, "%s", rb_json_str(h, "revision"));
		return 0;
	}
	cJSON_ArrayForEach(r, revs) {
		if (!cJSON_IsString(r))
			return -1;
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? "," : "",
					r->valuestring);
	}
	return out[0] && len < n ? 0 : -1;
}

/* One history entry into d; 1 when it is not one to import (counted), -1 bad input. */
static int entry(struct rb_imp *im, const cJSON *h, const char *path, const char *app,
		 struct rb_dep *d, struct rb_err *e)
{
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(h, "initiatedBy");
	int64_t id;

	im->res->scanned++;
	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(h) || rb_json_int(h, "id", 0, INT64_MAX, &id) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "%s: application %s: a status.history entry "
			      "without a whole number \"id\"", path, app);
	snprintf(d->id, sizeof(d->id), "%lld", (long long)id);
	if (revision_of(h, d->rev, sizeof(d->rev)) != 0) {
		rb_imp_unmapped(im, "an Argo CD history entry without a revision");
		return 1;
	}
	if (rb_imp_time(rb_json_str(h, "deployedAt"), d->time) != 0) {
		rb_imp_unmapped(im, "an Argo CD history entry without a valid deployedAt");
		return 1;
	}
	if (rb_imp_time(rb_json_str(h, "deployStartedAt"), d->started) != 0)
		d->started[0] = '\0';
	d->status = RB_DEP_OK;
	d->kind = RB_DEP_RULE;
	if (rb_json_str(by, "username") != NULL)
		snprintf(d->actor, sizeof(d->actor), "%s", rb_json_str(by, "username"));
	d->automated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(by, "automated"));
	return 0;
}

static int one_app(struct rb_imp *im, cJSON *app, const char *path, struct rb_err *e)
{
	const char *name = rb_json_str(cJSON_GetObjectItemCaseSensitive(app, "metadata"), "name");
	const cJSON *hist = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(app, "status"), "history"), *h;
	struct rb_dep_line *l;

	if (name == NULL)
		return RB_ERR(e, RB_EX_DATAERR, "%s: an Argo CD application without "
			      "metadata.name", path);
	if (hist != NULL && !cJSON_IsArray(hist))
		return RB_ERR(e, RB_EX_DATAERR, "%s: application %s: status.history is not an "
			      "array", path, name);
	if ((l = rb_dep_line_new("argocd", name, NULL)) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	cJSON_ArrayForEach(h, hist) {
		struct rb_dep d;
		int k = entry(im, h, path, name, &d, e);

		if (k < 0)
			rb_dep_drop(&d);
		if (k < 0 || (k == 0 && rb_dep_add(l, &d) != 0)) {
			rb_dep_line_free(l);
			return k < 0 ? -1 : RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
	}
	/* Its history read, the application's entries are freed before its events are made. */
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(app, "status"),
						"history");
	rb_dep_events(im, l);
	rb_dep_line_free(l);
	return 0;
}

/* An Application, a List of them ("items"), or an array of them. */
static int one_doc(struct rb_imp *im, cJSON *doc, const char *path, struct rb_err *e)
{
	cJSON *items = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItemCaseSensitive(doc, "items"), *a;
	const char *kind = rb_json_str(doc, "kind");

	/* argocd app get may leave out kind: an object with metadata is one application. */
	if (cJSON_IsObject(doc) && ((kind != NULL && strcmp(kind, "Application") == 0) ||
				    (kind == NULL && cJSON_HasObjectItem(doc, "metadata"))))
		return one_app(im, doc, path, e);
	if (!cJSON_IsArray(items))
		return RB_ERR(e, RB_EX_DATAERR, "%s: not Argo CD applications (an Application, "
			      "a List of them or an array of them)", path);
	cJSON_ArrayForEach(a, items)
		if (one_app(im, a, path, e) != 0)
			return -1;
	return 0;
}

int rb_import_argocd(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e)
{
	size_t i;

	if (o->ninputs == 0)
		return RB_ERR(e, RB_EX_USAGE, "import argocd takes one or more application files");
	for (i = 0; i < o->ninputs; i++) {
		cJSON *docs = NULL, *d;
		int rc = 0;

		if (rb_imp_read_docs(o->inputs[i], &docs, e) != 0)
			return -1;
		cJSON_ArrayForEach(d, docs)
			if (rc == 0)
				rc = one_doc(im, d, o->inputs[i], e);
		cJSON_Delete(docs);
		if (rc != 0)
			return -1;
	}
	return 0;
}
