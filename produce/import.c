/* import.c - importers' common part: the mapping file, the state, the output. */
#include "import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "import_src.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/vocab.h"

#define MAP_MAX (1u << 20)
#define STATE_MAX (64u << 20)

/* ---- the collector ---- */

void rb_imp_event(struct rb_imp *im, const char *key, const char *time, const char *event,
		  const char *actor, cJSON *data)
{
	cJSON *x = cJSON_CreateObject(), *ev = cJSON_CreateObject();

	if (x == NULL || ev == NULL || data == NULL ||
	    cJSON_AddStringToObject(ev, "time", time) == NULL ||
	    cJSON_AddStringToObject(ev, "event", event) == NULL ||
	    cJSON_AddStringToObject(ev, "actor", actor) == NULL ||
	    !cJSON_AddItemToObject(ev, "data", data)) {
		if (cJSON_GetObjectItemCaseSensitive(ev, "data") != data)
			cJSON_Delete(data);
		cJSON_Delete(ev);
		cJSON_Delete(x);
		im->failed = 1;
		return;
	}
	if (cJSON_AddStringToObject(x, "key", key) == NULL ||
	    !cJSON_AddItemToObject(x, "event", ev)) {
		cJSON_Delete(ev);
		cJSON_Delete(x);
		im->failed = 1;
		return;
	}
	if (!cJSON_AddItemToArray(im->events, x)) {
		cJSON_Delete(x);
		im->failed = 1;
	}
}

void rb_imp_unmapped(struct rb_imp *im, const char *reason)
{
	struct rb_import_result *r = im->res;
	int i;

	r->unmapped++;
	for (i = 0; i < r->nwhy; i++)
		if (strcmp(r->why[i].reason, reason) == 0) {
			r->why[i].n++;
			return;
		}
	if (r->nwhy == RB_IMPORT_REASONS)
		i = RB_IMPORT_REASONS - 1;      /* the last counts the rest */
	else
		snprintf(r->why[r->nwhy++].reason, sizeof(r->why[0].reason), "%s", reason);
	r->why[i].n++;
}

/* ---- the mapping file ---- */

static int map_string(const cJSON *doc, const char *k, char *out, size_t n, const char *path,
		      struct rb_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, k);

	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= n)
		return RB_ERR(e, RB_EX_CONFIG, "%s: member \"%s\" must be a string of fewer than "
			      "%zu bytes", path, k, n);
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int map_services(const cJSON *doc, struct rb_imp_map *m, const char *path,
			struct rb_err *e)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "services"), *s;
	static const char *const known[] = { "path", "name", "service", "team", "environment" };

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > RB_IMP_SERVICES)
		return RB_ERR(e, RB_EX_CONFIG, "%s: member \"services\" must be an array of at "
			      "most %d objects", path, RB_IMP_SERVICES);
	cJSON_ArrayForEach(s, arr) {
		int i = m->nservices++;
		int has_path = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "path"));
		int has_name = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "name"));

		if (!cJSON_IsObject(s) || has_path == has_name ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "service")) ||
		    rb_json_unknown_member(s, known, sizeof(known) / sizeof(known[0])) != NULL)
			return RB_ERR(e, RB_EX_CONFIG, "%s: member \"services\"[%d] must be an object "
				      "with a string \"service\" and one of \"path\" (git) or "
				      "\"name\" (and \"team\", \"environment\")", path, i);
		if (map_string(s, "path", m->services[i].prefix, RB_IMP_NAME, path, e) != 0 ||
		    map_string(s, "name", m->services[i].name, RB_IMP_NAME, path, e) != 0 ||
		    map_string(s, "service", m->services[i].service, RB_IMP_NAME, path, e) != 0 ||
		    map_string(s, "team", m->services[i].team, RB_IMP_NAME, path, e) != 0 ||
		    map_string(s, "environment", m->services[i].environment, RB_IMP_NAME, path,
			       e) != 0)
			return -1;
	}
	return 0;
}

/* An array of at most RB_IMP_MARKERS non-empty strings, into out; their count in *n. */
static int map_strings(const cJSON *doc, const char *k, char out[][RB_IMP_NAME], int *n,
		       const char *path, struct rb_err *e)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, k), *s;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > RB_IMP_MARKERS)
		return RB_ERR(e, RB_EX_CONFIG, "%s: member \"%s\" must be an array of at most %d "
			      "strings", path, k, RB_IMP_MARKERS);
	cJSON_ArrayForEach(s, arr) {
		if (!cJSON_IsString(s) || s->valuestring[0] == '\0' ||
		    strlen(s->valuestring) >= RB_IMP_NAME)
			return RB_ERR(e, RB_EX_CONFIG, "%s: member \"%s\" must hold non-empty "
				      "strings of fewer than %d bytes", path, k, RB_IMP_NAME);
		memcpy(out[(*n)++], s->valuestring, strlen(s->valuestring) + 1);
	}
	return 0;
}

/* "ticket_patterns": POSIX extended regular expressions, compiled. */
static int map_tickets(const cJSON *doc, struct rb_imp_map *m, const char *path,
		       struct rb_err *e)
{
	char pat[RB_IMP_MARKERS][RB_IMP_NAME];
	int n = 0, i;

	if (map_strings(doc, "ticket_patterns", pat, &n, path, e) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int rc = regcomp(&m->tickets[i], pat[i], REG_EXTENDED);

		if (rc != 0) {
			char why[160];

			regerror(rc, NULL, why, sizeof(why));
			return RB_ERR(e, RB_EX_CONFIG, "%s: member \"ticket_patterns\"[%d] '%s' is "
				      "not an extended regular expression: %s", path, i, pat[i], why);
		}
		m->ntickets++;
	}
	return 0;
}

/* "environments": {"prod": "production"}; "incident_window_hours". */
static int map_envs(const cJSON *doc, struct rb_imp_map *m, const char *path, struct rb_err *e)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, "environments"), *v;
	int64_t h = 24;

	if (o != NULL && (!cJSON_IsObject(o) || cJSON_GetArraySize(o) > RB_IMP_ENVS))
		return RB_ERR(e, RB_EX_CONFIG, "%s: member \"environments\" must be an object of "
			      "at most %d names", path, RB_IMP_ENVS);
	cJSON_ArrayForEach(v, o) {
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
		    strlen(v->valuestring) >= RB_IMP_NAME || strlen(v->string) >= RB_IMP_NAME)
			return RB_ERR(e, RB_EX_CONFIG, "%s: member \"environments\" must map names "
				      "to non-empty strings of fewer than %d bytes", path,
				      RB_IMP_NAME);
		snprintf(m->envs[m->nenvs].from, RB_IMP_NAME, "%s", v->string);
		snprintf(m->envs[m->nenvs++].to, RB_IMP_NAME, "%s", v->valuestring);
	}
	if (cJSON_GetObjectItemCaseSensitive(doc, "incident_window_hours") != NULL &&
	    rb_json_int(doc, "incident_window_hours", 1, (int64_t)24 * 366, &h) != 0)
		return RB_ERR(e, RB_EX_CONFIG, "%s: member \"incident_window_hours\" must be a "
			      "whole number of hours from 1 to %d", path, 24 * 366);
	m->window = h * 3600;
	return 0;
}

static int map_load(const char *path, struct rb_imp_map *m, struct rb_err *e)
{
	static const char *const known[] = { "environment", "service", "team", "risk_tier",
					     "services", "emergency_markers", "bots",
					     "ticket_patterns", "environments",
					     "incident_window_hours", "default_actor", "about" };
	char *buf = NULL;
	size_t len;
	cJSON *doc = NULL;
	const char *unknown;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	snprintf(m->environment, sizeof(m->environment), "production");
	snprintf(m->risk_tier, sizeof(m->risk_tier), "medium");
	m->window = (int64_t)24 * 3600;
	if (path == NULL)
		return 0;
	if (rb_read_file(path, MAP_MAX, &buf, &len, e) != 0)
		return -1;
	if (rb_json_parse(buf, len, 16, &doc, NULL, 0) != 0 || !cJSON_IsObject(doc)) {
		RB_ERR(e, RB_EX_CONFIG, "%s: not a JSON object", path);
		goto out;
	}
	if ((unknown = rb_json_unknown_member(doc, known, sizeof(known) / sizeof(known[0]))) !=
	    NULL) {
		RB_ERR(e, RB_EX_CONFIG, "%s: unknown member \"%s\"", path, unknown);
		goto out;
	}
	if (map_string(doc, "environment", m->environment, RB_IMP_NAME, path, e) != 0 ||
	    map_string(doc, "service", m->service, RB_IMP_NAME, path, e) != 0 ||
	    map_string(doc, "team", m->team, RB_IMP_NAME, path, e) != 0 ||
	    map_string(doc, "risk_tier", m->risk_tier, sizeof(m->risk_tier), path, e) != 0 ||
	    map_string(doc, "default_actor", m->actor, RB_IMP_NAME, path, e) != 0 ||
	    map_services(doc, m, path, e) != 0 ||
	    map_strings(doc, "emergency_markers", m->emergency, &m->nemergency, path, e) != 0 ||
	    map_strings(doc, "bots", m->bots, &m->nbots, path, e) != 0 ||
	    map_tickets(doc, m, path, e) != 0 || map_envs(doc, m, path, e) != 0)
		goto out;
	if (rb_tier_of(m->risk_tier) < 0) {
		RB_ERR(e, RB_EX_CONFIG, "%s: member \"risk_tier\" must be low, medium, high or "
		       "critical, not '%s'", path, m->risk_tier);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(doc);
	free(buf);
	return rc;
}

static void map_free(struct rb_imp_map *m)
{
	int i;

	for (i = 0; i < m->ntickets; i++)
		regfree(&m->tickets[i]);
	m->ntickets = 0;
}

/* ---- what the sources share ---- */

int rb_imp_time(const char *s, char out[RB_TIME_MAX])
{
	char z[RB_TIME_MAX + 8];
	size_t n = s != NULL ? strlen(s) : 0, body;
	struct rb_time t;
	int sign = 0, oh = 0, om = 0;

	if (n < 20 || n >= sizeof(z))
		return -1;
	if (s[n - 1] == 'Z' || s[n - 1] == 'z') {
		body = n - 1;
	} else if (n >= 25 && (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':' &&
		   rb_digits(s + n - 5, 2, &oh) == 0 && rb_digits(s + n - 2, 2, &om) == 0 &&
		   oh < 24 && om < 60) {
		body = n - 6;
		sign = s[n - 6] == '+' ? 1 : -1;
	} else {
		return -1;
	}
	memcpy(z, s, body);
	z[body] = 'Z';
	z[body + 1] = '\0';
	if (z[10] == 't' || z[10] == ' ')
		z[10] = 'T';
	if (rb_time_parse(z, body + 1, &t) != 0 || strncmp(z, "0001-", 5) == 0)
		return -1;
	t.sec -= (int64_t)sign * (oh * 3600 + om * 60);
	rb_time_format(&t, out);
	return 0;
}

void rb_imp_target_of(const struct rb_import_opts *o, const char *path, char *out, size_t n)
{
	if (o->name != NULL)
		snprintf(out, n, "%s", o->name);
	else
		rb_path_stem(path, ".json", out, n);
}

int rb_imp_named(const struct rb_imp_map *m, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < m->nservices; i++)
		if (m->services[i].name[0] && strcmp(m->services[i].name, name) == 0)
			return i;
	return -1;
}

const char *rb_imp_env(const struct rb_imp_map *m, const char *env)
{
	int i;

	if (env == NULL || env[0] == '\0')
		return m->environment;
	for (i = 0; i < m->nenvs; i++)
		if (strcmp(m->envs[i].from, env) == 0)
			return m->envs[i].to;
	return env;
}

int rb_imp_is_bot(const struct rb_imp_map *m, const char *actor)
{
	int i;

	for (i = 0; actor != NULL && i < m->nbots; i++)
		if (strcmp(m->bots[i], actor) == 0)
			return 1;
	return 0;
}

int rb_imp_emergency(const struct rb_imp_map *m, const char *text)
{
	int i;

	for (i = 0; text != NULL && i < m->nemergency; i++)
		if (strstr(text, m->emergency[i]) != NULL)
			return 1;
	return 0;
}

void rb_imp_ticket(const struct rb_imp_map *m, const char *text, char *out, size_t n)
{
	regmatch_t g[2];
	int i;

	out[0] = '\0';
	for (i = 0; text != NULL && i < m->ntickets; i++)
		if (regexec(&m->tickets[i], text, 2, g, 0) == 0) {
			/* The first group when the pattern has one, else the whole match. */
			const regmatch_t *w = g[1].rm_so >= 0 ? &g[1] : &g[0];

			snprintf(out, n, "%.*s", (int)(w->rm_eo - w->rm_so), text + w->rm_so);
			return;
		}
}

/* The line of text at offset off, from 1. */
static long line_at(const char *text, size_t off)
{
	long line = 1;
	size_t i;

	for (i = 0; i < off && text[i]; i++)
		line += text[i] == '\n';
	return line;
}

int rb_imp_read_docs(const char *path, cJSON **docs, struct rb_err *e)
{
	char *buf = NULL;
	size_t len, off = 0;
	int rc = -1;

	*docs = NULL;
	if (rb_read_file(path, (size_t)STATE_MAX * 4, &buf, &len, e) != 0)
		return -1;
	if (!rb_utf8_valid(buf, len)) {
		RB_ERR(e, RB_EX_DATAERR, "%s: not UTF-8 text", path);
		goto out;
	}
	if ((*docs = cJSON_CreateArray()) == NULL)
		goto oom;
	for (;;) {
		const char *end = NULL;
		unsigned long before = rb_json_failures();
		cJSON *d;

		off += strspn(buf + off, " \t\r\n");
		if (off >= len)
			break;
		d = cJSON_ParseWithLengthOpts(buf + off, len - off, &end, 0);
		if (d == NULL) {
			if (rb_json_failures() != before)
				goto oom;
			end = cJSON_GetErrorPtr();
			RB_ERR(e, RB_EX_DATAERR, "%s: line %ld: not JSON%s", path,
			       line_at(buf, end != NULL && end >= buf ? (size_t)(end - buf) : off),
			       cJSON_GetArraySize(*docs) > 0 ? " (after the documents before it)" :
			       "");
			goto out;
		}
		cJSON_AddItemToArray(*docs, d);
		off = (size_t)(end - buf);
	}
	if (cJSON_GetArraySize(*docs) == 0) {
		RB_ERR(e, RB_EX_DATAERR, "%s: empty: no JSON document", path);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	if (rc != 0) {
		cJSON_Delete(*docs);
		*docs = NULL;
	}
	free(buf);
	return rc;
}

/* ---- the state: the keys of the events written before ---- */

static int state_load(const char *path, const char *source, cJSON **keys, struct rb_err *e)
{
	char *buf = NULL;
	size_t len;
	cJSON *doc = NULL;
	const cJSON *k;
	int rc = -1;

	*keys = NULL;
	if (path == NULL || (access(path, F_OK) != 0 && errno == ENOENT)) {
		*keys = cJSON_CreateArray();
		return *keys != NULL ? 0 : RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	if (rb_read_file(path, STATE_MAX, &buf, &len, e) != 0)
		return -1;
	if (rb_json_parse(buf, len, 8, &doc, NULL, 0) != 0 || !cJSON_IsObject(doc) ||
	    !rb_json_is_int(cJSON_GetObjectItemCaseSensitive(doc, "v"), 1, 1) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "keys"))) {
		RB_ERR(e, RB_EX_DATAERR, "state '%s' is not an import state (v 1, keys)", path);
		goto out;
	}
	if (rb_json_str(doc, "source") == NULL || strcmp(rb_json_str(doc, "source"), source) != 0) {
		RB_ERR(e, RB_EX_DATAERR, "state '%s' is of source '%s', not '%s'", path,
		       rb_json_str(doc, "source") ? rb_json_str(doc, "source") : "?", source);
		goto out;
	}
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(doc, "keys"))
		if (!cJSON_IsString(k)) {
			RB_ERR(e, RB_EX_DATAERR, "state '%s': its keys must be strings", path);
			goto out;
		}
	*keys = cJSON_DetachItemFromObjectCaseSensitive(doc, "keys");
	rc = 0;
out:
	cJSON_Delete(doc);
	free(buf);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys as a sorted array of strings, for bsearch (borrowed from keys). */
static const char **sorted_keys(const cJSON *keys, size_t *n)
{
	const char **v = calloc((size_t)cJSON_GetArraySize(keys) + 1, sizeof(*v));
	const cJSON *k;

	*n = 0;
	if (v == NULL)
		return NULL;
	cJSON_ArrayForEach(k, keys)
		v[(*n)++] = k->valuestring;
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

/* ---- the output ---- */

/* An event's place in metrics-v1 §1's order (lib/vocab); an unknown one last. */
static int event_order(const char *ev)
{
	int i = rb_event_of(ev);

	return i < 0 ? RB_NEVENTS : i;
}

/* An event of the collector, for sorting. */
struct ref {
	const cJSON *x;
};

/* By time (RFC 3339 UTC with Z sorts as text), then event, then key. */
static int cmp_event(const void *pa, const void *pb)
{
	const cJSON *a = ((const struct ref *)pa)->x, *b = ((const struct ref *)pb)->x;
	const cJSON *ea = cJSON_GetObjectItemCaseSensitive(a, "event");
	const cJSON *eb = cJSON_GetObjectItemCaseSensitive(b, "event");
	int c = strcmp(rb_json_str(ea, "time"), rb_json_str(eb, "time"));

	if (c != 0)
		return c;
	c = event_order(rb_json_str(ea, "event")) - event_order(rb_json_str(eb, "event"));
	return c != 0 ? c : strcmp(rb_json_str(a, "key"), rb_json_str(b, "key"));
}

/*
 * The new events, sorted, one line each, into *text; their keys added to
 * keys.  Events whose key is in old are counted in res->already.
 */
static int render(struct rb_imp *im, cJSON *keys, char **text, size_t *len, struct rb_err *e)
{
	size_t nold, n = 0, i;
	const char **old = sorted_keys(keys, &nold);
	struct ref *v = calloc((size_t)cJSON_GetArraySize(im->events) + 1, sizeof(*v));
	const cJSON *x;
	FILE *f = NULL;
	int rc = -1;

	*text = NULL;
	if (old == NULL || v == NULL || (f = open_memstream(text, len)) == NULL)
		goto oom;
	cJSON_ArrayForEach(x, im->events) {
		const char *k = rb_json_str(x, "key");

		if (bsearch(&k, old, nold, sizeof(*old), cmp_str) != NULL) {
			im->res->already++;
			continue;
		}
		v[n++].x = x;
	}
	qsort(v, n, sizeof(*v), cmp_event);
	for (i = 0; i < n; i++) {
		char *line;

		/* One event a source made twice (a change reverted twice) is written once. */
		if (i > 0 && cmp_event(&v[i - 1], &v[i]) == 0)
			continue;
		line = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v[i].x, "event"));
		if (line == NULL || fprintf(f, "%s\n", line) < 0 ||
		    !cJSON_AddItemToArray(keys, cJSON_CreateString(rb_json_str(v[i].x, "key")))) {
			cJSON_free(line);
			goto oom;
		}
		cJSON_free(line);
		im->res->events++;
	}
	rc = 0;
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rc != 0) {
		free(*text);
		*text = NULL;
	}
	free(old);
	free(v);
	return rc;
}

/* The state as JSON: its keys sorted, so that the same imports give the same bytes. */
static int state_save(const char *path, const char *source, cJSON *keys, struct rb_err *e)
{
	size_t n, i;
	const char **v = sorted_keys(keys, &n);
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	int rc = -1;

	if (v == NULL || doc == NULL || arr == NULL)
		goto oom;
	cJSON_AddNumberToObject(doc, "v", 1);
	cJSON_AddStringToObject(doc, "source", source);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
	cJSON_AddItemToObject(doc, "keys", arr);
	arr = NULL;
	rc = rb_write_json(path, doc, 0640, e);
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	cJSON_Delete(arr);
	cJSON_Delete(doc);
	free(v);
	return rc;
}

static int write_out(const char *path, const char *text, size_t len, struct rb_err *e)
{
	if (strcmp(path, "-") == 0) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
			return RB_ERR(e, RB_EX_IOERR, "cannot write the events to standard output");
		return 0;
	}
	return rb_write_atomic(path, text, len, 0640, e);
}

static const struct {
	const char *name;
	int (*run)(struct rb_imp *, const struct rb_import_opts *, struct rb_err *);
} sources[] = {
	{ "git", rb_import_git }, { "helm", rb_import_helm }, { "argocd", rb_import_argocd },
	{ "gitlab", rb_import_gitlab }, { "github", rb_import_github },
	{ "pagerduty", rb_import_pagerduty },
};

int rb_import(const struct rb_import_opts *o, struct rb_import_result *res, struct rb_err *e)
{
	struct rb_imp_map map;
	struct rb_imp im = { &map, res, NULL, 0 };
	cJSON *keys = NULL;
	char *text = NULL;
	size_t len = 0, s;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&map, 0, sizeof(map));
	for (s = 0; s < sizeof(sources) / sizeof(sources[0]); s++)
		if (strcmp(o->source, sources[s].name) == 0)
			break;
	if (s == sizeof(sources) / sizeof(sources[0]))
		return RB_ERR(e, RB_EX_USAGE, "unknown source '%s' (%s)", o->source,
			      RB_IMPORT_SOURCES);
	if (map_load(o->map_path, &map, e) != 0 ||
	    state_load(o->state_path, o->source, &keys, e) != 0)
		goto out;
	if ((im.events = cJSON_CreateArray()) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (sources[s].run(&im, o, e) != 0)
		goto out;
	if (o->nincidents > 0 && rb_imp_incidents(&im, im.events, o->incidents, o->nincidents, e) != 0)
		goto out;
	if (im.failed) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (render(&im, keys, &text, &len, e) != 0 || write_out(o->out_path, text, len, e) != 0 ||
	    (o->state_path != NULL && state_save(o->state_path, o->source, keys, e) != 0))
		goto out;
	rc = 0;
out:
	map_free(&map);
	free(text);
	cJSON_Delete(keys);
	cJSON_Delete(im.events);
	return rc;
}
