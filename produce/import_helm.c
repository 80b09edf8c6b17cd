/*
 * import_helm.c - `helm history RELEASE -o json`, one release per file (its
 * name the file's, or --name / --release), as a deployment history
 * (import_dep.c).  docs/IMPORT.md states the mapping.
 *
 * Helm says which revisions are rollbacks: `helm rollback` writes the
 * description "Rollback to N" (newer Helm also `rollback_revision`), and a
 * rollback that failed "Rollback \"NAME\" failed: ...".  Helm records no
 * user, so every event is by the map's default_actor (else "helm").
 */
#include "import_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

/* Helm's words for a failed operation: Upgrade "N" failed:, Rollback "N" failed:, ... */
static int helm_failed(const char *desc)
{
	static const char *const ops[] = { "Upgrade \"", "Rollback \"", "Release \"",
					   "Install \"" };
	size_t i;

	for (i = 0; desc != NULL && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(desc, ops[i], strlen(ops[i])) == 0 && strstr(desc, "\" failed") != NULL)
			return 1;
	return 0;
}

/* What a revision's description and members say it is. */
static void kind_of(const cJSON *r, const char *desc, struct rb_dep *d)
{
	int64_t to = 0;

	d->kind = RB_DEP_CHANGE;
	if (rb_json_int(r, "rollback_revision", 1, INT32_MAX, &to) == 0 && to > 0) {
		d->kind = RB_DEP_ROLLBACK;
		snprintf(d->to_id, sizeof(d->to_id), "%lld", (long long)to);
	} else if (strncmp(desc, "Rollback to ", 12) == 0 && desc[12] >= '1' && desc[12] <= '9') {
		d->kind = RB_DEP_ROLLBACK;
		snprintf(d->to_id, sizeof(d->to_id), "%.*s", (int)strspn(desc + 12, "0123456789"),
			 desc + 12);
	} else if (strncmp(desc, "Rollback \"", 10) == 0 && strstr(desc, "\" failed") != NULL) {
		d->kind = RB_DEP_ROLLBACK;
	}
}

/* One revision into d; 1 when it is not one to import (counted), -1 on bad input. */
static int revision(struct rb_imp *im, const cJSON *r, int i, const char *path,
		    struct rb_dep *d, struct rb_err *e)
{
	const char *status = rb_json_str(r, "status"), *chart = rb_json_str(r, "chart");
	const char *app = rb_json_str(r, "app_version"), *desc = rb_json_str(r, "description");
	int64_t rev;

	im->res->scanned++;
	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(r) || rb_json_int(r, "revision", 1, INT32_MAX, &rev) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "%s: entry %d: not a revision of helm history -o "
			      "json (no whole number \"revision\")", path, i + 1);
	snprintf(d->id, sizeof(d->id), "%lld", (long long)rev);
	if (rb_imp_time(rb_json_str(r, "updated"), d->time) != 0) {
		rb_imp_unmapped(im, "a Helm revision without a valid \"updated\" time");
		return 1;
	}
	if (status == NULL || strncmp(status, "pending", 7) == 0 || strcmp(status, "unknown") == 0) {
		rb_imp_unmapped(im, "a Helm revision still pending or of unknown status");
		return 1;
	}
	/*
	 * A failed upgrade or rollback that a later rollback superseded shows
	 * "superseded": its description still says it failed.
	 */
	d->status = strcmp(status, "failed") == 0 || helm_failed(desc) ? RB_DEP_FAILED : RB_DEP_OK;
	snprintf(d->rev, sizeof(d->rev), "%s", chart != NULL ? chart : "");
	if (app != NULL && app[0])
		snprintf(d->label, sizeof(d->label), "%s (app %s)", chart ? chart : "?", app);
	kind_of(r, desc != NULL ? desc : "", d);
	/* A rollback's description is Helm's own words, never a rationale. */
	if (d->kind == RB_DEP_CHANGE && desc != NULL && (d->text = strdup(desc)) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

static int one_file(struct rb_imp *im, const struct rb_import_opts *o, const char *path,
		    struct rb_err *e)
{
	char release[RB_IMP_NAME];
	cJSON *docs = NULL;
	const cJSON *arr, *r;
	struct rb_dep_line *l = NULL;
	int i = 0, rc = -1;

	rb_imp_target_of(o, path, release, sizeof(release));
	if (rb_imp_read_docs(path, &docs, e) != 0)
		return -1;
	arr = cJSON_GetArrayItem(docs, 0);
	if (cJSON_GetArraySize(docs) != 1 || !cJSON_IsArray(arr)) {
		RB_ERR(e, RB_EX_DATAERR, "%s: not the output of helm history -o json (one JSON "
		       "array of revisions)", path);
		goto out;
	}
	if ((l = rb_dep_line_new("helm", release, NULL)) == NULL)
		goto oom;
	cJSON_ArrayForEach(r, arr) {
		struct rb_dep d;
		int k = revision(im, r, i++, path, &d, e);

		if (k < 0) {
			rb_dep_drop(&d);
			goto out;
		}
		if (k == 0 && rb_dep_add(l, &d) != 0)
			goto oom;
	}
	/* The document is no longer needed: free it before the events are made. */
	cJSON_Delete(docs);
	docs = NULL;
	rb_dep_events(im, l);
	rc = 0;
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	rb_dep_line_free(l);
	cJSON_Delete(docs);
	return rc;
}

int rb_import_helm(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e)
{
	size_t i;

	if (o->ninputs == 0)
		return RB_ERR(e, RB_EX_USAGE, "import helm takes one or more history files");
	if (o->name != NULL && o->ninputs > 1)
		return RB_ERR(e, RB_EX_USAGE, "--name (--release) names one release: give one file");
	for (i = 0; i < o->ninputs; i++)
		if (one_file(im, o, o->inputs[i], e) != 0)
			return -1;
	return 0;
}
