/*
 * import_pd.c - PagerDuty incidents (GET /incidents, pages concatenated; or
 * one incident as GET /incidents/:id gives it) linked to deployments: with
 * another source (`--incidents FILE`), or alone against events files that
 * hold the deployments (`import pagerduty FILE --deployments EVENTS.jsonl`).
 * docs/IMPORT.md states the rule and its choices.
 */
#include "import_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

struct incident {
	const cJSON *x;
	char time[RB_TIME_MAX];
	char service[RB_IMP_NAME], env[RB_IMP_NAME];
};

static int by_time(const void *a, const void *b)
{
	const struct incident *x = a, *y = b;
	int c = strcmp(x->time, y->time);

	return c != 0 ? c : strcmp(rb_json_str(x->x, "id"), rb_json_str(y->x, "id"));
}

/* The service an incident's PagerDuty service is: the map's entry (by id or name), else its name. */
static int service_of(const struct rb_imp_map *m, const cJSON *x, struct incident *in)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, "service");
	const char *id = rb_json_str(s, "id"), *name = rb_json_str(s, "summary");
	int k = rb_imp_named(m, id);

	if (k < 0)
		k = rb_imp_named(m, name);
	if (k < 0 && name == NULL)
		return -1;
	snprintf(in->service, sizeof(in->service), "%s", k >= 0 ? m->services[k].service : name);
	snprintf(in->env, sizeof(in->env), "%s",
		 k >= 0 && m->services[k].environment[0] ? m->services[k].environment :
		 m->environment);
	return 0;
}

/* The incidents of one document: a page {"incidents": [...]}, {"incident": {...}}, or an array. */
static const cJSON *incidents_of(const cJSON *doc, int *one)
{
	*one = 0;
	if (cJSON_IsArray(doc))
		return doc;
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "incidents")))
		return cJSON_GetObjectItemCaseSensitive(doc, "incidents");
	*one = 1;
	return cJSON_GetObjectItemCaseSensitive(doc, "incident");
}

static int collect(struct rb_imp *im, const cJSON *docs, const char *path, struct incident **v,
		   size_t *n, size_t *cap, struct rb_err *e)
{
	const cJSON *doc, *x;

	cJSON_ArrayForEach(doc, docs) {
		int one;
		const cJSON *list = incidents_of(doc, &one);

		if (list == NULL || (one && !cJSON_IsObject(list)))
			return RB_ERR(e, RB_EX_DATAERR, "%s: not PagerDuty incidents (pages of GET "
				      "/incidents)", path);
		for (x = one ? list : list->child; x != NULL; x = one ? NULL : x->next) {
			struct incident in;

			memset(&in, 0, sizeof(in));
			in.x = x;
			if (rb_json_str(x, "id") == NULL || rb_imp_time(rb_json_str(x, "created_at"),
									in.time) != 0) {
				rb_imp_unmapped(im, "a PagerDuty incident without id or a valid "
						"created_at");
				continue;
			}
			if (service_of(im->map, x, &in) != 0) {
				rb_imp_unmapped(im, "a PagerDuty incident without a service");
				continue;
			}
			if (*n == *cap) {
				struct incident *w = realloc(*v, (*cap ? *cap * 2 : 64) * sizeof(*w));

				if (w == NULL)
					return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
				*v = w;
				*cap = *cap ? *cap * 2 : 64;
			}
			(*v)[(*n)++] = in;
		}
	}
	return 0;
}

static int64_t epoch(const char *t)
{
	struct rb_time x;

	return rb_time_parse(t, strlen(t), &x) == 0 ? x.sec : 0;
}

/* The latest change.deployed of the incident's service and environment within the window. */
static const cJSON *deployment_of(const struct rb_imp *im, const cJSON *against,
				  const struct incident *in)
{
	const cJSON *x, *best = NULL;
	int64_t at = epoch(in->time);

	cJSON_ArrayForEach(x, against) {
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(x, "event");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
		const char *t = rb_json_str(ev, "time"), *what = rb_json_str(ev, "event");
		int64_t dt;

		if (what == NULL || t == NULL || strcmp(what, "change.deployed") != 0 ||
		    rb_json_str(d, "service") == NULL || rb_json_str(d, "environment") == NULL ||
		    rb_json_str(d, "change_id") == NULL ||
		    strcmp(rb_json_str(d, "service"), in->service) != 0 ||
		    strcmp(rb_json_str(d, "environment"), in->env) != 0)
			continue;
		dt = at - epoch(t);
		if (dt < 0 || dt > im->map->window)
			continue;
		if (best == NULL || strcmp(t, rb_json_str(cJSON_GetObjectItemCaseSensitive(best,
								"event"), "time")) >= 0)
			best = x;
	}
	return best;
}

/* The rollbacks of the change requested at or after the incident name it. */
static void name_in_rollbacks(cJSON *against, const char *change, const struct incident *in)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, against) {
		cJSON *ev = cJSON_GetObjectItemCaseSensitive(x, "event");
		cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
		const char *what = rb_json_str(ev, "event"), *t = rb_json_str(ev, "time");

		if (what == NULL || t == NULL || strcmp(what, "rollback.requested") != 0 ||
		    rb_json_str(d, "change_id") == NULL ||
		    strcmp(rb_json_str(d, "change_id"), change) != 0 || strcmp(t, in->time) < 0)
			continue;
		/* Incidents come in time order: the latest before the request wins. */
		cJSON_DeleteItemFromObjectCaseSensitive(d, "incident_id");
		cJSON_AddStringToObject(d, "incident_id", rb_json_str(in->x, "id"));
	}
}

static void detected_event(struct rb_imp *im, const struct incident *in, const char *change)
{
	const cJSON *x = in->x, *prio = cJSON_GetObjectItemCaseSensitive(x, "priority");
	char key[RB_IMP_NAME], resolved[RB_TIME_MAX];
	const char *sev = rb_json_str(prio, "summary") ? rb_json_str(prio, "summary") :
			  rb_json_str(x, "urgency");
	cJSON *d = cJSON_CreateObject();

	snprintf(key, sizeof(key), "pagerduty:detected:%s", rb_json_str(x, "id"));
	cJSON_AddStringToObject(d, "incident_id", rb_json_str(x, "id"));
	cJSON_AddStringToObject(d, "change_id", change);
	cJSON_AddStringToObject(d, "service", in->service);
	cJSON_AddStringToObject(d, "environment", in->env);
	cJSON_AddStringToObject(d, "severity", sev != NULL ? sev : "");
	cJSON_AddStringToObject(d, "source", "pagerduty");
	if (rb_json_str(x, "title") != NULL)
		cJSON_AddStringToObject(d, "title", rb_json_str(x, "title"));
	if (rb_json_str(x, "html_url") != NULL)
		cJSON_AddStringToObject(d, "url", rb_json_str(x, "html_url"));
	if (rb_imp_time(rb_json_str(x, "resolved_at"), resolved) == 0)
		cJSON_AddStringToObject(d, "resolved_at", resolved);
	rb_imp_event(im, key, in->time, "incident.detected",
		     im->map->actor[0] ? im->map->actor : "pagerduty", d);
}

int rb_imp_incidents(struct rb_imp *im, cJSON *against, const char *const *paths, size_t n,
		     struct rb_err *e)
{
	struct incident *v = NULL;
	size_t nv = 0, cap = 0, i;
	cJSON *all = cJSON_CreateArray();
	int rc = -1;

	if (all == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++) {
		cJSON *docs;

		if (rb_imp_read_docs(paths[i], &docs, e) != 0)
			goto out;
		cJSON_AddItemToArray(all, docs);
		if (collect(im, docs, paths[i], &v, &nv, &cap, e) != 0)
			goto out;
	}
	if (nv > 0)
		qsort(v, nv, sizeof(*v), by_time);
	for (i = 0; i < nv; i++) {
		const cJSON *dep = deployment_of(im, against, &v[i]);
		const char *change;

		im->res->scanned++;
		if (dep == NULL) {
			rb_imp_unmapped(im, "a PagerDuty incident with no deployment of its "
					"service within the window before it");
			continue;
		}
		change = rb_json_str(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(dep, "event"), "data"), "change_id");
		name_in_rollbacks(against, change, &v[i]);
		detected_event(im, &v[i], change);
	}
	rc = 0;
out:
	free(v);
	cJSON_Delete(all);
	return rc;
}

/* The deployments of events files (one event per line, as seal takes them). */
static int read_deployments(const struct rb_import_opts *o, cJSON *against, struct rb_err *e)
{
	size_t i;

	for (i = 0; i < o->ndeployments; i++) {
		cJSON *docs, *ev;

		if (rb_imp_read_docs(o->deployments[i], &docs, e) != 0)
			return -1;
		while ((ev = cJSON_DetachItemFromArray(docs, 0)) != NULL) {
			cJSON *x = cJSON_CreateObject();

			if (x == NULL || !cJSON_IsObject(ev) ||
			    !cJSON_AddItemToObject(x, "event", ev)) {
				cJSON_Delete(x);
				cJSON_Delete(ev);
				cJSON_Delete(docs);
				return RB_ERR(e, RB_EX_DATAERR, "%s: not events (one JSON object per "
					      "line)", o->deployments[i]);
			}
			cJSON_AddItemToArray(against, x);
		}
		cJSON_Delete(docs);
	}
	return 0;
}

int rb_import_pagerduty(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e)
{
	cJSON *against = cJSON_CreateArray();
	int rc = -1;

	if (o->ninputs == 0) {
		RB_ERR(e, RB_EX_USAGE, "import pagerduty takes one or more incidents files");
		goto out;
	}
	if (against == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (read_deployments(o, against, e) != 0 ||
	    rb_imp_incidents(im, against, o->inputs, o->ninputs, e) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(against);
	return rc;
}
