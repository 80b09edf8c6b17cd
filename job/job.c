/* job.c - rbaudit run: the monthly job over the three stages. */
#define _XOPEN_SOURCE 700 /* realpath, strtok_r, flock */
#include "job.h"
#include "notify.h"
#include "sources.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "analyze/analyze.h"
#include "analyze/policy.h"
#include "ingest/ingest.h"
#include "ingest/recheck.h"
#include "lib/ident.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/period.h"
#include "lib/rtime.h"
#include "lib/schema.h"
#include "lib/trust.h"
#include "lib/vocab.h"
#include "report/report.h"

/* alert_level: a level's name, or "none" (RB_NLEVELS: no level alerts). */
static const char *level_name(int k)
{
	return k < RB_NLEVELS ? rb_level_names[k] : "none";
}

static const char *const members[] = { "database", "trust_store", "policy", "inbox",
	"archive", "quarantine", "output", "templates", "report_key", "report_key_name",
	"retention", "alert_level", "alert_findings", "trend", "sample", "sample_seed",
	"busy_timeout", "settle_seconds", "stale_after_hours", "ledger", "log_format", "sources",
	"about", "tz", "fiscal_start", "ledgers", "notify_command", "notify_timeout",
	"openmetrics_textfile", "summary" };

static int bad(const char *path, const char *text, const char *member, const char *what,
	       struct rb_err *e)
{
	int line = text ? rb_json_line_of(text, member, text, NULL) : 0;

	if (line > 0)
		return RB_ERR(e, RB_EX_CONFIG, "job '%s' line %d: member \"%s\" %s", path, line,
			      member, what);
	return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"%s\" %s", path, member, what);
}

/* A path member, relative to the job file's folder. */
static int path_member(const char *path, const char *text, const cJSON *doc,
		       const char *member, const char *base, char *out, int required,
		       struct rb_err *e)
{
	const char *v = rb_json_str(doc, member);

	out[0] = '\0';
	if (v == NULL) {
		if (cJSON_GetObjectItemCaseSensitive(doc, member) != NULL || required)
			return bad(path, text, member, required ? "is required: a path" :
				   "must be a path (a string)", e);
		return 0;
	}
	if (v[0] == '\0')
		return bad(path, text, member, "must not be empty", e);
	if (v[0] == '/')
		snprintf(out, PATH_MAX, "%s", v);
	else if (snprintf(out, PATH_MAX, "%s/%s", base, v) >= PATH_MAX)
		return bad(path, text, member, "is too long", e);
	return 0;
}

static int int_member(const char *path, const char *text, const cJSON *doc,
		      const char *member, int64_t lo, int64_t hi, int64_t *out,
		      struct rb_err *e)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, member);
	char what[96];

	if (it == NULL)
		return 0;
	if (!rb_json_is_int(it, lo, hi)) {
		snprintf(what, sizeof(what), "must be a whole number from %lld to %lld",
			 (long long)lo, (long long)hi);
		return bad(path, text, member, what, e);
	}
	*out = (int64_t)it->valuedouble;
	return 0;
}

/*
 * path made absolute, with `.`, `..` and repeated slashes collapsed, and its
 * longest existing prefix resolved by realpath(), so that two names of one
 * folder (a symbolic link among them) compare equal.  -1 when too long.
 */
static int canon(const char *in, char *out)
{
	char buf[2 * PATH_MAX + 2], pre[PATH_MAX], res[PATH_MAX], *comp[512] = { NULL };
	char *tok, *save = NULL;
	size_t n = 0, k, i, len;

	if (in[0] == '/')
		snprintf(buf, sizeof(buf), "%s", in);
	else if (getcwd(pre, sizeof(pre)) != NULL)
		snprintf(buf, sizeof(buf), "%s/%s", pre, in);
	else
		return -1;
	for (tok = strtok_r(buf, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, "..") == 0)
			n -= n > 0;
		else if (strcmp(tok, ".") != 0 && n < sizeof(comp) / sizeof(comp[0]))
			comp[n++] = tok;
		else if (strcmp(tok, ".") != 0)
			return -1;
	}
	for (k = n;; k--) {
		for (i = 0, len = 0, pre[0] = '\0'; i < k && len < sizeof(pre); i++)
			len += (size_t)snprintf(pre + len, sizeof(pre) - len, "/%s", comp[i]);
		if (len >= sizeof(pre))
			return -1;
		if (realpath(k > 0 ? pre : "/", res) != NULL)
			break;
		if (k == 0) {
			snprintf(res, sizeof(res), "/");
			break;
		}
	}
	len = (size_t)snprintf(out, PATH_MAX, "%s", strcmp(res, "/") == 0 ? "" : res);
	for (i = k; i < n && len < PATH_MAX; i++)
		len += (size_t)snprintf(out + len, PATH_MAX - len, "/%s", comp[i]);
	if (len == 0)
		snprintf(out, PATH_MAX, "/");
	return len < PATH_MAX ? 0 : -1;
}

/* 2 when canonical paths a and b are the same folder, 1 when a is inside b. */
static int within(const char *a, const char *b)
{
	size_t lb = strlen(b);

	if (strcmp(a, b) == 0)
		return 2;
	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, lb) == 0 && a[lb] == '/';
}

/*
 * The folders must not overlap: inbox, archive and quarantine are three
 * different folders, none inside another, and no report folder lies in any
 * of them (what matters of the output pattern is the folder that holds its
 * {period} part).
 */
static int check_layout(const char *path, const struct rb_job *j, struct rb_err *e)
{
	static const char *const names[] = { "inbox", "archive", "quarantine", "output" };
	const char *v[4] = { j->inbox, j->archive, j->quarantine, NULL };
	char c[4][PATH_MAX], prefix[PATH_MAX];
	int a, b, w;

	snprintf(prefix, sizeof(prefix), "%.*s", (int)(strstr(j->output, "{period}") - j->output),
		 j->output);
	v[3] = prefix[0] != '\0' ? prefix : ".";
	for (a = 0; a < 4; a++)
		if (v[a][0] != '\0' && canon(v[a], c[a]) != 0)
			return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"%s\" is too long", path,
				      names[a]);
	for (a = 0; a < 3; a++)
		for (b = a + 1; b < 3; b++) {
			if (v[a][0] == '\0' || v[b][0] == '\0')
				continue;
			if ((w = within(c[a], c[b])) == 2)
				return RB_ERR(e, RB_EX_CONFIG, "job '%s': members \"%s\" and \"%s\": "
					      "they are the same folder", path, names[a], names[b]);
			if (w == 1 || within(c[b], c[a]) == 1)
				return RB_ERR(e, RB_EX_CONFIG, "job '%s': members \"%s\" and \"%s\": "
					      "\"%s\" is inside \"%s\"", path, names[a], names[b],
					      names[w ? a : b], names[w ? b : a]);
		}
	for (a = 0; a < 3; a++)
		if (v[a][0] != '\0' && within(c[3], c[a]) != 0)
			return RB_ERR(e, RB_EX_CONFIG, "job '%s': members \"output\" and \"%s\": "
				      "\"output\" is inside \"%s\"", path, names[a], names[a]);
	return 0;
}

/* The path members, and the output pattern's {period}: once, a whole path part. */
static int load_paths(const char *path, const char *text, const cJSON *doc, const char *base,
		      struct rb_job *j, struct rb_err *e)
{
	const char *p;

	if (path_member(path, text, doc, "database", base, j->database, 1, e) != 0 ||
	    path_member(path, text, doc, "trust_store", base, j->trust_store, 1, e) != 0 ||
	    path_member(path, text, doc, "policy", base, j->policy, 0, e) != 0 ||
	    path_member(path, text, doc, "inbox", base, j->inbox, 1, e) != 0 ||
	    path_member(path, text, doc, "archive", base, j->archive, 0, e) != 0 ||
	    path_member(path, text, doc, "quarantine", base, j->quarantine, 0, e) != 0 ||
	    path_member(path, text, doc, "output", base, j->output, 1, e) != 0 ||
	    path_member(path, text, doc, "report_key", base, j->report_key, 0, e) != 0)
		return -1;
	p = strstr(j->output, "{period}");
	if (p == NULL)
		return bad(path, text, "output", "must hold {period}, e.g. \"reports/{period}\"", e);
	if (strstr(p + 8, "{period}") != NULL)
		return bad(path, text, "output", "must hold {period} once", e);
	if ((p != j->output && p[-1] != '/') || (p[8] != '\0' && p[8] != '/'))
		return bad(path, text, "output", "must hold {period} as a whole path part, e.g. "
			   "\"reports/{period}\" or \"reports/{period}/pack\"", e);
	return check_layout(path, j, e);
}

/* ---- "sources": what the job imports, seals and ingests first ---- */

/* A path of source i, relative to the job file's folder; "" when absent and not required. */
static int src_path(const char *path, const cJSON *o, int i, const char *member,
		    const char *base, const char *v, char *out, int required, struct rb_err *e)
{
	out[0] = '\0';
	if (v == NULL && o != NULL) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, member);

		if (x == NULL && !required)
			return 0;
		v = x != NULL && cJSON_IsString(x) ? x->valuestring : NULL;
	}
	if (v == NULL || v[0] == '\0')
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d].%s %s", path, i,
			      member, required ? "is required: a path" : "must be a path");
	if (snprintf(out, PATH_MAX, "%s%s%s", v[0] == '/' ? "" : base, v[0] == '/' ? "" : "/",
		     v) >= PATH_MAX)
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d].%s is too long",
			      path, i, member);
	return 0;
}

/* An array of at most RB_JOB_SOURCE_FILES paths (or one path as a string). */
static int src_paths(const char *path, const cJSON *o, int i, const char *member,
		     const char *base, char out[][PATH_MAX], int *n, int required, struct rb_err *e)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, member), *v;

	*n = 0;
	if (x == NULL && !required)
		return 0;
	if (x != NULL && cJSON_IsString(x))
		return src_path(path, NULL, i, member, base, x->valuestring, out[(*n)++], 1, e);
	if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) < 1 ||
	    cJSON_GetArraySize(x) > RB_JOB_SOURCE_FILES)
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d].%s must be a path "
			      "or an array of 1 to %d paths", path, i, member, RB_JOB_SOURCE_FILES);
	cJSON_ArrayForEach(v, x)
		if (src_path(path, NULL, i, member, base, cJSON_IsString(v) ? v->valuestring : NULL,
			     out[(*n)++], 1, e) != 0)
			return -1;
	return 0;
}

static int src_string(const char *path, const cJSON *o, int i, const char *member, char *out,
		      size_t n, int required, struct rb_err *e)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, member);

	out[0] = '\0';
	if (x == NULL && !required)
		return 0;
	if (x == NULL || !cJSON_IsString(x) || x->valuestring[0] == '\0' ||
	    strlen(x->valuestring) >= n)
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d].%s %s", path, i,
			      member, x == NULL ? "is required" : "must be a non-empty string of "
			      "reasonable length");
	memcpy(out, x->valuestring, strlen(x->valuestring) + 1);
	return 0;
}

static int load_source(const char *path, const cJSON *o, int i, const char *base,
		       struct rb_job_source *s, struct rb_err *e)
{
	static const char *const known[] = { "source", "inputs", "incidents", "ref", "name",
					     "map", "state", "key", "key_name", "ledger",
					     "seal_state", "about" };
	static const char *const kinds[] = { "git", "helm", "argocd", "gitlab", "github",
					     "pagerduty" };
	const char *unknown;
	size_t k;

	if (!cJSON_IsObject(o))
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d] must be an object",
			      path, i);
	if ((unknown = rb_json_unknown_member(o, known, sizeof(known) / sizeof(known[0]))) != NULL)
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d] has an unknown "
			      "member \"%s\"", path, i, unknown);
	if (src_string(path, o, i, "source", s->source, sizeof(s->source), 1, e) != 0)
		return -1;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(s->source, kinds[k]) == 0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]) || strcmp(s->source, "pagerduty") == 0)
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d].source must be "
			      "git, helm, argocd, gitlab or github (PagerDuty comes in as "
			      "\"incidents\" of one of them)", path, i);
	if (src_paths(path, o, i, "inputs", base, s->inputs, &s->ninputs, 1, e) != 0 ||
	    src_paths(path, o, i, "incidents", base, s->incidents, &s->nincidents, 0, e) != 0 ||
	    src_string(path, o, i, "ref", s->ref, sizeof(s->ref), 0, e) != 0 ||
	    src_string(path, o, i, "name", s->name, sizeof(s->name), 0, e) != 0 ||
	    src_path(path, o, i, "map", base, NULL, s->map, 0, e) != 0 ||
	    src_path(path, o, i, "state", base, NULL, s->state, 1, e) != 0 ||
	    src_path(path, o, i, "key", base, NULL, s->key, 1, e) != 0 ||
	    src_string(path, o, i, "key_name", s->key_name, sizeof(s->key_name), 0, e) != 0 ||
	    src_string(path, o, i, "ledger", s->ledger, sizeof(s->ledger), 1, e) != 0 ||
	    src_path(path, o, i, "seal_state", base, NULL, s->seal_state, 1, e) != 0)
		return -1;
	if (strcmp(s->source, "git") == 0 && s->ninputs != 1)
		return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"sources\"[%d].inputs: git takes "
			      "one repository", path, i);
	return 0;
}

static int load_sources(const char *path, const char *text, const cJSON *doc,
			const char *base, struct rb_job *j, struct rb_err *e)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "sources"), *o;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > RB_JOB_SOURCES)
		return bad(path, text, "sources", "must be an array of at most 4 sources", e);
	cJSON_ArrayForEach(o, arr)
		if (load_source(path, o, j->nsources, base, &j->sources[j->nsources], e) != 0)
			return -1;
		else
			j->nsources++;
	return 0;
}

/* "templates": names stay names; paths are relative to the job file. */
static int load_templates(const char *path, const char *text, const cJSON *doc,
			  const char *base, struct rb_job *j, struct rb_err *e)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, "templates"), *x;

	if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0 || cJSON_GetArraySize(it) > 16)
		return bad(path, text, "templates", "must be an array of 1 to 16 template names "
			   "or files", e);
	cJSON_ArrayForEach(x, it) {
		char *t = j->templates[j->ntemplates];

		if (!cJSON_IsString(x) || x->valuestring[0] == '\0')
			return bad(path, text, "templates", "must hold names or paths (strings)", e);
		if ((strchr(x->valuestring, '/') != NULL && x->valuestring[0] != '/' ?
		     snprintf(t, PATH_MAX, "%s/%s", base, x->valuestring) :
		     snprintf(t, PATH_MAX, "%s", x->valuestring)) >= PATH_MAX)
			return bad(path, text, "templates", "holds a path that is too long", e);
		j->ntemplates++;
	}
	return 0;
}

/* The whole-number members, each within its range. */
static int load_numbers(const char *path, const char *text, const cJSON *doc,
			struct rb_job *j, struct rb_err *e)
{
	int64_t ret = j->retention, trend = j->trend, sample = j->sample, seed = 0,
		busy = j->busy_ms / 1000, settle = j->settle_s, stale = j->stale_after_h;

	if (int_member(path, text, doc, "retention", 0, 10000, &ret, e) != 0 ||
	    int_member(path, text, doc, "trend", 0, 120, &trend, e) != 0 ||
	    int_member(path, text, doc, "sample", 0, 100000, &sample, e) != 0 ||
	    int_member(path, text, doc, "sample_seed", 0, RB_JSON_MAX_INT, &seed, e) != 0 ||
	    int_member(path, text, doc, "busy_timeout", 0, 86400, &busy, e) != 0 ||
	    int_member(path, text, doc, "settle_seconds", 0, 86400, &settle, e) != 0 ||
	    int_member(path, text, doc, "stale_after_hours", 0, 87600, &stale, e) != 0)
		return -1;
	j->retention = (int)ret;
	j->trend = (int)trend;
	j->sample = (int)sample;
	j->sample_seed = (uint64_t)seed;
	j->busy_ms = (int)busy * 1000;
	j->settle_s = (int)settle;
	j->stale_after_h = (int)stale;
	return 0;
}

/* "alert_level", "alert_findings" and "log_format". */
static int load_alerts(const char *path, const char *text, const cJSON *doc,
		       struct rb_job *j, struct rb_err *e)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, "alert_level"), *x;
	size_t k;

	if (it != NULL) {
		j->alert_level = -1;
		for (k = 0; k <= RB_NLEVELS && cJSON_IsString(it); k++)
			if (strcmp(it->valuestring, level_name((int)k)) == 0)
				j->alert_level = (int)k;
		if (j->alert_level < 0)
			return bad(path, text, "alert_level", "must be low, medium, high, critical "
				   "or none", e);
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "alert_findings");
	if (it != NULL) {
		if (!cJSON_IsArray(it))
			return bad(path, text, "alert_findings", "must be an array of finding codes", e);
		j->alert_findings = 0;
		cJSON_ArrayForEach(x, it) {
			int f = rb_finding_of(cJSON_GetStringValue(x));

			if (f < 0)
				return bad(path, text, "alert_findings", "names something that is not "
					   "a finding code (approvals-missing, separation-of-duties, ...)", e);
			j->alert_findings |= 1u << f;
		}
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "log_format");
	if (it != NULL) {
		if (!cJSON_IsString(it) || (strcmp(it->valuestring, "text") != 0 &&
					    strcmp(it->valuestring, "json") != 0))
			return bad(path, text, "log_format", "must be \"text\" or \"json\"", e);
		j->log_json = strcmp(it->valuestring, "json") == 0;
	}
	return 0;
}

/* ---- how periods are counted, and an organisation's ledgers ---- */

void rb_job_ledger_name(const char *origin, char *out, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; origin[i] != '\0' && i + 1 < n; i++) {
		char c = origin[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		out[i] = ok && !(i == 0 && c == '.') ? c : '_';
	}
	out[i] = '\0';
}

/* "tz" and "fiscal_start", checked by counting a period in them. */
static int load_calendar(const char *path, const char *text, const cJSON *doc,
			 struct rb_job *j, struct rb_err *e)
{
	const cJSON *tz = cJSON_GetObjectItemCaseSensitive(doc, "tz");
	int64_t fs = 1;
	struct rb_period p;
	struct rb_err pe = { 0 };

	if (tz != NULL && (!cJSON_IsString(tz) || strlen(tz->valuestring) >= sizeof(j->cal.tz)))
		return bad(path, text, "tz", "must be a time zone name of the system's tzdata "
			   "(\"Europe/Berlin\"; \"UTC\" the default)", e);
	if (tz != NULL && strcmp(tz->valuestring, "UTC") != 0)
		snprintf(j->cal.tz, sizeof(j->cal.tz), "%s", tz->valuestring);
	if (int_member(path, text, doc, "fiscal_start", 1, 12, &fs, e) != 0)
		return -1;
	j->cal.fy_first_month = (int)fs;
	if (rb_period_parse_cal("2026-01", 0, &j->cal, &p, &pe) != 0) {
		char what[600];

		snprintf(what, sizeof(what), "cannot be used: %s", pe.msg);
		return bad(path, text, tz != NULL ? "tz" : "fiscal_start", what, e);
	}
	return 0;
}

/* "ledgers": 1 to RB_JOB_MAX_LEDGERS origins, their {ledger} names all different. */
static int load_ledgers(const char *path, const char *text, const cJSON *doc,
			struct rb_job *j, struct rb_err *e)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, "ledgers"), *x;
	int a, b;

	if (it == NULL)
		return 0;
	if (j->ledger[0] != '\0')
		return bad(path, text, "ledgers", "cannot be given with \"ledger\": name every "
			   "ledger of the job in \"ledgers\"", e);
	if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) < 1 ||
	    cJSON_GetArraySize(it) > RB_JOB_MAX_LEDGERS)
		return bad(path, text, "ledgers", "must be an array of 1 to 16 ledger origins", e);
	cJSON_ArrayForEach(x, it) {
		if (!cJSON_IsString(x) || x->valuestring[0] == '\0' ||
		    strlen(x->valuestring) >= sizeof(j->ledgers[0]))
			return bad(path, text, "ledgers", "must hold ledger origins (non-empty "
				   "strings)", e);
		snprintf(j->ledgers[j->nledgers++], sizeof(j->ledgers[0]), "%s", x->valuestring);
	}
	for (a = 0; a < j->nledgers; a++)
		for (b = a + 1; b < j->nledgers; b++) {
			char na[512], nb[512];

			rb_job_ledger_name(j->ledgers[a], na, sizeof(na));
			rb_job_ledger_name(j->ledgers[b], nb, sizeof(nb));
			if (strcmp(na, nb) == 0)
				return RB_ERR(e, RB_EX_CONFIG, "job '%s': member \"ledgers\": '%s' and "
					      "'%s' have the same {ledger} name '%s'", path,
					      j->ledgers[a], j->ledgers[b], na);
		}
	return 0;
}

/* {ledger} in member v: needed with several ledgers, refused without "ledgers". */
static int ledger_part(const char *path, const char *text, const struct rb_job *j,
		       const char *member, const char *v, struct rb_err *e)
{
	const char *p = strstr(v, "{ledger}");

	if (p != NULL && j->nledgers == 0)
		return bad(path, text, member, "holds {ledger}, but the job names no \"ledgers\"", e);
	if (p == NULL && j->nledgers > 1)
		return bad(path, text, member, "must hold {ledger}: the job has several "
			   "\"ledgers\", each with its own files", e);
	if (p != NULL && strstr(p + 8, "{ledger}") != NULL)
		return bad(path, text, member, "must hold {ledger} once", e);
	return 0;
}

/* "notify_command" (argv, no shell) and "notify_timeout". */
static int load_notify(const char *path, const char *text, const cJSON *doc,
		       const char *base, struct rb_job *j, struct rb_err *e)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, "notify_command"), *x;
	int64_t t = 60;

	if (int_member(path, text, doc, "notify_timeout", 1, 3600, &t, e) != 0)
		return -1;
	j->notify_timeout_s = (int)t;
	if (it == NULL)
		return 0;
	if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) < 1 ||
	    cJSON_GetArraySize(it) > RB_JOB_NOTIFY_ARGS)
		return bad(path, text, "notify_command", "must be an array of 1 to 32 strings: "
			   "the program and its arguments (no shell)", e);
	cJSON_ArrayForEach(x, it) {
		char *a = j->notify[j->nnotify];
		const char *v = cJSON_GetStringValue(x);
		int w;

		if (v == NULL || (j->nnotify == 0 && v[0] == '\0'))
			return bad(path, text, "notify_command", "must hold strings, the first "
				   "the program (a name looked up in PATH, or a path)", e);
		/* The program: a relative path is relative to the job file, as every path. */
		if (j->nnotify == 0 && v[0] != '/' && strchr(v, '/') != NULL)
			w = snprintf(a, sizeof(j->notify[0]), "%s/%s", base, v);
		else
			w = snprintf(a, sizeof(j->notify[0]), "%s", v);
		if (w < 0 || (size_t)w >= sizeof(j->notify[0]))
			return bad(path, text, "notify_command", "holds a string that is too long", e);
		j->nnotify++;
	}
	return 0;
}

/*
 * "openmetrics_textfile": a *.prom path (the collector reads no other);
 * the openmetrics template is added to the run's when it is not there.
 */
static int load_textfile(const char *path, const char *text, const cJSON *doc,
			 const char *base, struct rb_job *j, struct rb_err *e)
{
	size_t n;
	int k;

	if (path_member(path, text, doc, "openmetrics_textfile", base, j->textfile, 0, e) != 0)
		return -1;
	if (j->textfile[0] == '\0')
		return 0;
	n = strlen(j->textfile);
	if (n < 6 || strcmp(j->textfile + n - 5, ".prom") != 0)
		return bad(path, text, "openmetrics_textfile", "must name a *.prom file (the "
			   "only ones node_exporter's textfile collector reads)", e);
	if (strstr(j->textfile, "{period}") != NULL)
		return bad(path, text, "openmetrics_textfile", "must not hold {period}: the "
			   "collector's file is replaced each run", e);
	if (ledger_part(path, text, j, "openmetrics_textfile", j->textfile, e) != 0)
		return -1;
	for (k = 0; k < j->ntemplates; k++)
		if (strcmp(j->templates[k], "openmetrics") == 0)
			return 0;
	if (j->ntemplates == 16)
		return bad(path, text, "templates", "has 16 templates: no room for openmetrics, "
			   "which \"openmetrics_textfile\" needs", e);
	snprintf(j->templates[j->ntemplates++], PATH_MAX, "openmetrics");
	return 0;
}

/* "summary": a path ({period} allowed), never inside a report folder or the inbox's. */
static int load_summary(const char *path, const char *text, const cJSON *doc,
			const char *base, struct rb_job *j, struct rb_err *e)
{
	static const char *const names[] = { "inbox", "archive", "quarantine", "output" };
	char dir[PATH_MAX], c[PATH_MAX], o[PATH_MAX], prefix[PATH_MAX];
	const char *v[4] = { j->inbox, j->archive, j->quarantine, NULL };
	const char *slash;
	int a;

	if (path_member(path, text, doc, "summary", base, j->summary, 0, e) != 0)
		return -1;
	if (j->summary[0] == '\0')
		return 0;
	if (strstr(j->summary, "{ledger}") != NULL)
		return bad(path, text, "summary", "must not hold {ledger}: it is one summary "
			   "across the job's ledgers", e);
	slash = strrchr(j->summary, '/');
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - j->summary), j->summary);
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(strstr(j->output, "{period}") - j->output),
		 j->output);
	v[3] = prefix[0] != '\0' ? prefix : ".";
	if (canon(dir[0] ? dir : "/", c) != 0)
		return bad(path, text, "summary", "is too long", e);
	for (a = 0; a < 4; a++) {
		int w;

		if (v[a][0] == '\0' || canon(v[a], o) != 0)
			continue;
		w = within(c, o);
		if ((a < 3 && w != 0) || (a == 3 && w == 1))
			return RB_ERR(e, RB_EX_CONFIG, "job '%s': members \"summary\" and \"%s\": "
				      "the summary would be written inside %s", path, names[a],
				      a < 3 ? "that folder" : "a report folder (write it beside them)");
	}
	return 0;
}

/* The members of issue #22: calendar, ledgers, notify, textfile and summary. */
static int load_org(const char *path, const char *text, const cJSON *doc, const char *base,
		    struct rb_job *j, struct rb_err *e)
{
	if (load_calendar(path, text, doc, j, e) != 0 || load_ledgers(path, text, doc, j, e) != 0 ||
	    ledger_part(path, text, j, "output", j->output, e) != 0 ||
	    load_notify(path, text, doc, base, j, e) != 0 ||
	    load_textfile(path, text, doc, base, j, e) != 0 ||
	    load_summary(path, text, doc, base, j, e) != 0)
		return -1;
	return 0;
}

int rb_job_load(const char *path, struct rb_job *j, struct rb_err *e)
{
	char *buf = NULL, why[160], base[PATH_MAX];
	const char *slash = strrchr(path, '/');
	cJSON *doc = NULL;
	const char *unknown;
	size_t len;
	int rc = -1;

	memset(j, 0, sizeof(*j));
	j->alert_level = 2;     /* high */
	j->alert_findings = 1u << RB_FINDING_APPROVALS_MISSING |
			    1u << RB_FINDING_SEPARATION_OF_DUTIES |
			    1u << RB_FINDING_EMERGENCY_UNREVIEWED |
			    1u << RB_FINDING_SECURITY_REGRESSION |
			    1u << RB_FINDING_UNAUTHORIZED_ACTOR |
			    1u << RB_FINDING_REJECTED_EXECUTED;
	j->trend = 6;
	j->sample = 25;
	j->busy_ms = 60000;
	j->settle_s = 300;
	j->stale_after_h = 48;
	j->notify_timeout_s = 60;
	j->cal.fy_first_month = 1;
	if (slash == NULL)
		snprintf(base, sizeof(base), ".");
	else
		snprintf(base, sizeof(base), "%.*s", (int)(slash - path), path);
	if (rb_read_file(path, 1u << 20, &buf, &len, e) != 0) {
		if (e != NULL && e->code == RB_EX_DATAERR)   /* too large: a wrong job file */
			e->code = RB_EX_CONFIG;
		return -1;
	}
	if (rb_json_parse(buf, len, 8, &doc, why, sizeof(why)) != 0 || !cJSON_IsObject(doc)) {
		RB_ERR(e, RB_EX_CONFIG, "job '%s': %s", path, doc ? "not a JSON object" : why);
		goto out;
	}
	if ((unknown = rb_json_unknown_member(doc, members,
					      sizeof(members) / sizeof(members[0]))) != NULL) {
		bad(path, buf, unknown, "is not a job member (database, trust_store, "
		    "policy, inbox, archive, quarantine, output, templates, report_key, "
		    "retention, settle_seconds, stale_after_hours, alert_level, alert_findings, "
		    "...)", e);
		goto out;
	}
	if (load_paths(path, buf, doc, base, j, e) != 0 ||
	    load_templates(path, buf, doc, base, j, e) != 0)
		goto out;
	if (rb_json_str(doc, "report_key_name") != NULL)
		snprintf(j->report_key_name, sizeof(j->report_key_name), "%s",
			 rb_json_str(doc, "report_key_name"));
	if (rb_json_str(doc, "ledger") != NULL)
		snprintf(j->ledger, sizeof(j->ledger), "%s", rb_json_str(doc, "ledger"));
	if (load_numbers(path, buf, doc, j, e) != 0 || load_alerts(path, buf, doc, j, e) != 0 ||
	    load_sources(path, buf, doc, base, j, e) != 0 || load_org(path, buf, doc, base, j, e) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(doc);
	free(buf);
	return rc;
}

static void logf_(rb_job_log_fn log, void *ctx, cJSON *steps, const char *step,
		  const char *status, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void logf_(rb_job_log_fn log, void *ctx, cJSON *steps, const char *step,
		  const char *status, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (log != NULL)
		log(ctx, step, status, detail);
	if (steps != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "step", step);
		cJSON_AddStringToObject(o, "status", status);
		cJSON_AddStringToObject(o, "detail", detail);
		cJSON_AddItemToArray(steps, o);
	}
}

/* The output folder of the period: the pattern with {period} replaced. */
static void output_of(const struct rb_job *j, const char *period, char *out)
{
	const char *p = strstr(j->output, "{period}");

	snprintf(out, PATH_MAX, "%.*s%s%s", (int)(p - j->output), j->output, period, p + 8);
}

/* Is there a stored analysis of the period for this ledger state and job? */
/* A report folder of the output pattern, by the period it covers. */
struct held {
	char name[48];
	int64_t start, end;
};

/* Newest first: the later end, then the later start. */
static int cmp_newest(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	if (x->start != y->start)
		return x->start > y->start ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The periods that have a report folder: the entries of the folder that
 * holds the {period} part named as a period is (2026-04, 2026-Q2, 2026,
 * ranges), for which the pattern with that period names something.
 * Newest first.  -1 with errno when that folder cannot be read.
 */
static int periods_held(const struct rb_job *j, char *parent, struct held **out, size_t *n)
{
	const char *p = strstr(j->output, "{period}");
	struct held *h = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	/* {period} is a whole path part, so p[-1] is the '/' after the parent. */
	snprintf(parent, PATH_MAX, "%.*s", p > j->output + 1 ? (int)(p - j->output - 1) : 1,
		 p > j->output + 1 ? j->output : "/");
	if ((d = opendir(parent)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct rb_period per;
		char dir[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(per.name) ||
		    rb_period_parse_cal(de->d_name, 0, &j->cal, &per, NULL) != 0 ||
		    strcmp(per.name, de->d_name) != 0)
			continue;
		output_of(j, de->d_name, dir);
		if (lstat(dir, &st) != 0)
			continue;
		if (*n == cap) {
			struct held *nh = realloc(h, (cap = cap ? 2 * cap : 32) * sizeof(*h));

			if (nh == NULL)
				break;
			h = nh;
		}
		snprintf(h[*n].name, sizeof(h[*n].name), "%s", per.name);
		h[*n].start = per.start;
		h[*n].end = per.end;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(h, *n, sizeof(*h), cmp_newest);
	*out = h;
	return 0;
}

/*
 * Remove the report folder dir of period name when rbaudit wrote it (its
 * MANIFEST lists every file in it and nothing else), then the folders
 * between it and the {period} folder, each only when it is empty.
 */
static void remove_report(const struct rb_job *j, const char *dir, const char *name,
			  rb_job_log_fn log, void *ctx, cJSON *steps)
{
	const char *p = strstr(j->output, "{period}");
	char up[PATH_MAX];
	struct rb_err e = { 0 };
	struct stat st;
	int owned = 0, rc;
	size_t stop;

	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		logf_(log, ctx, steps, "retention", "skipped", "%s: not removed: not a folder", dir);
		return;
	}
	if ((rc = rb_report_owned(dir, &owned, &e)) != 0 || !owned) {
		logf_(log, ctx, steps, "retention", "skipped", "%s: not removed: %s", dir,
		      rc != 0 ? e.msg : "not a report folder rbaudit wrote (it holds no MANIFEST of "
		      "rbaudit's, or files its MANIFEST does not list)");
		return;
	}
	if (rb_remove_tree(dir, &e) != 0) {
		logf_(log, ctx, steps, "retention", "skipped", "%s: not removed: %s", dir, e.msg);
		return;
	}
	logf_(log, ctx, steps, "retention", "removed", "%s", dir);
	/* "reports/{period}/pack": also reports/2026-04, if pack was all it held. */
	snprintf(up, sizeof(up), "%s", dir);
	stop = (size_t)(p - j->output) + strlen(name);
	while (strlen(up) > stop) {
		char *slash = strrchr(up, '/');

		if (slash == NULL || (size_t)(slash - up) < stop)
			break;
		*slash = '\0';
		if (rmdir(up) != 0)
			break;
	}
}

/*
 * Keep the newest `retention` report folders, ranked by the period they
 * cover (its end, then its start), and always the one of the period just
 * run; remove the older ones that rbaudit wrote, and say so.
 */
static void retain(const struct rb_job *j, const char *period, rb_job_log_fn log,
		   void *ctx, cJSON *steps)
{
	char parent[PATH_MAX], kept[768] = "";
	struct held *h = NULL;
	size_t n = 0, i, nkept = 0, len = 0;

	if (j->retention <= 0)
		return;
	if (periods_held(j, parent, &h, &n) != 0) {
		logf_(log, ctx, steps, "retention", "skipped", "cannot read '%s': %s", parent,
		      strerror(errno));
		return;
	}
	for (i = 0; i < n; i++)
		if (i < (size_t)j->retention || strcmp(h[i].name, period) == 0) {
			if (len < sizeof(kept))
				len += (size_t)snprintf(kept + len, sizeof(kept) - len, "%s%s",
							nkept ? ", " : "", h[i].name);
			nkept++;
		}
	logf_(log, ctx, steps, "retention", "kept", "%zu of %zu report %s in %s (the newest "
	      "%d by the period they cover, and always %s, just run): %s", nkept, n,
	      rb_plural((long long)n, "folder", "folders"), parent,
	      j->retention, period, kept);
	for (i = 0; i < n; i++) {
		char dir[PATH_MAX];

		if (i < (size_t)j->retention || strcmp(h[i].name, period) == 0)
			continue;
		output_of(j, h[i].name, dir);
		remove_report(j, dir, h[i].name, log, ctx, steps);
	}
	free(h);
}

/*
 * The analysis hands over each rollback: count it, and whether it alerts;
 * name those that alert in list (when not NULL), RB_JOB_MAX_NAMED at most
 * (*omitted counts the others).
 */
struct alerts {
	const struct rb_job *j;
	struct rb_job_result *res;
	cJSON *list;
	long *omitted;
};

/* What the summary says of an alerting rollback: who, what and why it alerts. */
static int name_alert(struct alerts *al, const cJSON *r, int level)
{
	static const char *const keep[] = { "rollback_id", "level", "score", "service", "team",
					    "environment", "risk_tier", "emergency", "findings" };
	cJSON *x, *why;
	const cJSON *f;
	size_t k;

	if (cJSON_GetArraySize(al->list) >= RB_JOB_MAX_NAMED) {
		(*al->omitted)++;
		return 0;
	}
	if ((x = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(al->list, x)) {
		cJSON_Delete(x);
		return -1;
	}
	if (al->j->ledger[0] != '\0')
		cJSON_AddStringToObject(x, "ledger", al->j->ledger);
	for (k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, keep[k]);

		if (v != NULL)
			cJSON_AddItemToObject(x, keep[k], cJSON_Duplicate(v, 1));
	}
	why = cJSON_AddArrayToObject(x, "alerts_for");
	if (level)
		cJSON_AddItemToArray(why, cJSON_CreateString("alert_level"));
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "findings")) {
		int c = rb_finding_of(cJSON_GetStringValue(f));

		if (c >= 0 && (al->j->alert_findings >> c & 1))
			cJSON_AddItemToArray(why, cJSON_CreateString(rb_finding_names[c]));
	}
	return 0;
}

static int count_alert(void *ctx, const cJSON *r, int flagged, struct rb_err *e)
{
	struct alerts *al = ctx;
	int lv = rb_level_of(rb_json_str(r, "level"));
	const cJSON *f;
	int level, finding = 0;

	(void)flagged;
	al->res->rollbacks++;
	level = lv >= 0 && lv >= al->j->alert_level;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "findings")) {
		int k = rb_finding_of(cJSON_GetStringValue(f));

		finding |= k >= 0 && (al->j->alert_findings >> k & 1);
	}
	al->res->alerts += level || finding;
	al->res->alert_level_rollbacks += level;
	al->res->alert_finding_rollbacks += finding;
	if ((level || finding) && al->list != NULL && name_alert(al, r, level) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

/* One run: what its steps share. */
struct run {
	const struct rb_job *j;
	struct rb_period per;
	int64_t now;
	int dry;
	rb_job_log_fn log;
	void *ctx;
	cJSON *steps;
	struct rb_job_result *res;
	rb_trust *trust;
	struct rb_policy pol;
	char hash[65];
	const char *tp[16];
	struct rb_report_opts ro;
	struct rb_rederive rd;
	struct rb_inbox ib;
	char trust_sha256[65];          /* of the trust store file, when re-checked */
	char started[RB_TIME_MAX];
	int64_t run_id;         /* its job_run row, once written */
	cJSON *pending;         /* rejected and archived exports not yet recorded */
	char reason[640];       /* why the period's pack replaces its folder */
	/* What the summary names (job/notify.h; docs/REPORTS.md). */
	const struct rb_job *job;       /* the whole job; j is the ledger's view of it */
	struct rb_job *view;            /* with "ledgers": the ledger's job (owned) */
	cJSON *alerting;        /* the alerting rollbacks of every ledger */
	long omitted;           /* alerting rollbacks past RB_JOB_MAX_NAMED */
	cJSON *rejected;        /* the rejected exports */
	cJSON *late_list;       /* the ledger's periods with late data */
	cJSON *ledgers;         /* each ledger's figures and alerts */
};

/* What record() has to write of one export: its rejection, or its archive. */
static int record_pending(struct run *r, sqlite3 *db, int64_t run_id, struct rb_err *e)
{
	sqlite3_stmt *rej = NULL, *arc = NULL;
	const cJSON *x;
	int rc = -1, k;

	if (rb_db_prepare(db, "INSERT INTO rejected_export (job_run_id, path, quarantined_path, "
			  "ledger, first_seq, last_seq, first_time, last_time, first_time_s, "
			  "last_time_s, code, reason, rejected) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			  "?8, ?9, ?10, ?11, ?12, ?13 WHERE ?3 IS NOT NULL OR NOT EXISTS (SELECT 1 "
			  "FROM rejected_export WHERE path = ?2 AND quarantined_path IS NULL AND "
			  "code = ?11 AND first_seq IS ?5 AND last_seq IS ?6)", &rej, e) != 0 ||
	    rb_db_prepare(db, "UPDATE ingest_export SET archived_path = ?1 WHERE id = ?2",
			  &arc, e) != 0)
		goto out;
	cJSON_ArrayForEach(x, r->pending) {
		static const char *const cols[] = { "path", "quarantined_path", "ledger",
			"first_seq", "last_seq", "first_time", "last_time", "first_time_s",
			"last_time_s", "code", "reason", "rejected" };
		sqlite3_stmt *q = cJSON_HasObjectItem(x, "export_id") ? arc : rej;

		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		if (q == arc) {
			sqlite3_bind_text(q, 1, rb_json_str(x, "archived_path"), -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, (sqlite3_int64)cJSON_GetObjectItemCaseSensitive(
						   x, "export_id")->valuedouble);
		} else {
			sqlite3_bind_int64(q, 1, run_id);
			for (k = 0; k < 12; k++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, cols[k]);

				if (cJSON_IsString(v))
					sqlite3_bind_text(q, k + 2, v->valuestring, -1, SQLITE_STATIC);
				else if (cJSON_IsNumber(v))
					sqlite3_bind_int64(q, k + 2, (sqlite3_int64)v->valuedouble);
			}
		}
		if (rb_db_step_done(db, q, e, "cannot record the exports filed away") != 0)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(rej);
	sqlite3_finalize(arc);
	return rc;
}

/*
 * Write the run's job_run row (inserted the first time, updated after) and
 * what it has to record so far (record_pending), in one transaction.  Not
 * final, before the analysis: exit code 70 and the steps so far, which a
 * run killed then keeps.
 */
static int record(struct run *r, int final, struct rb_err *e)
{
	const struct rb_job_result *res = r->res;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct rb_time now = rb_time_now();
	char fin[RB_TIME_MAX], *s = cJSON_PrintUnformatted(r->steps);
	int64_t id = r->run_id;
	int rc = -1;

	rb_time_format(&now, fin);
	if (s == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_schema_open(r->j->database, RB_DB_CREATE, r->j->busy_ms, &db, e) != 0 ||
	    rb_db_begin(db, e) != 0 ||
	    rb_db_prepare(db, id ? "UPDATE job_run SET started = ?1, finished = ?2, period = ?3, "
			  "exit_code = ?4, accepted = ?5, noop = ?6, rejected = ?7, rollbacks = ?8, "
			  "alerts = ?9, output = ?10, steps = ?11 WHERE id = ?12" :
			  "INSERT INTO job_run (started, finished, period, exit_code, accepted, "
			  "noop, rejected, rollbacks, alerts, output, steps) VALUES "
			  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &q, e) != 0)
		goto out;
	sqlite3_bind_text(q, 1, r->started, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, fin, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, res->period, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, final ? res->exit_code : RB_EX_SOFTWARE);
	sqlite3_bind_int(q, 5, res->accepted);
	sqlite3_bind_int(q, 6, res->noop);
	sqlite3_bind_int(q, 7, res->rejected);
	sqlite3_bind_int(q, 8, res->rollbacks);
	sqlite3_bind_int(q, 9, res->alerts);
	sqlite3_bind_text(q, 10, res->output, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 11, s, -1, SQLITE_STATIC);
	if (id)
		sqlite3_bind_int64(q, 12, id);
	if (rb_db_step_done(db, q, e, "cannot record the run") != 0)
		goto out;
	if (!id)
		id = sqlite3_last_insert_rowid(db);
	if (record_pending(r, db, id, e) != 0 || rb_db_commit(db, e) != 0)
		goto out;
	r->run_id = id;
	cJSON_Delete(r->pending);
	r->pending = cJSON_CreateArray();
	rc = 0;
out:
	sqlite3_finalize(q);
	if (rc != 0)
		rb_db_rollback(db);
	rb_db_close(db);
	cJSON_free(s);
	return rc;
}

/*
 * One run at a time per database.  A dry run creates nothing: it takes the
 * lock only when the lock file is there (without it, no run is under way).
 */
static int take_lock(const struct run *r, int *fd, struct rb_err *e)
{
	char p[PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s.lock", r->j->database);
	*fd = open(p, O_RDWR | O_CLOEXEC | (r->dry ? 0 : O_CREAT), 0640);
	if (*fd < 0 && r->dry && errno == ENOENT)
		return 0;
	if (*fd < 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot open the lock '%s': %s", p, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
		return RB_ERR(e, RB_EX_TEMPFAIL, "another rbaudit run holds '%s': try again later", p);
	return 0;
}

/*
 * Could a run create (or write in) the folder of member?  Checks without
 * creating anything: the folder, or else its nearest existing parent, must
 * be a folder rbaudit may write in.
 */
static int check_folder(const char *member, const char *path, struct rb_err *e)
{
	char p[PATH_MAX];
	struct stat st;
	int self = 1;

	snprintf(p, sizeof(p), "%s", path);
	while (stat(p, &st) != 0) {
		char *slash = strrchr(p, '/');

		if ((errno != ENOENT && errno != ENOTDIR) || strcmp(p, ".") == 0 ||
		    strcmp(p, "/") == 0)
			return RB_ERR(e, RB_EX_CANTCREAT, "member \"%s\": cannot use '%s': %s",
				      member, p, strerror(errno));
		self = 0;
		if (slash == p)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			snprintf(p, sizeof(p), ".");
	}
	if (!S_ISDIR(st.st_mode))
		return RB_ERR(e, RB_EX_CANTCREAT, "member \"%s\": '%s' is not a folder", member, p);
	if (access(p, (self ? R_OK : 0) | W_OK | X_OK) != 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "member \"%s\": %s '%s': %s", member,
			      self ? "cannot use" : "cannot create a folder in", p, strerror(errno));
	return 0;
}

/* The folders a run writes in, and the database beside its lock. */
static int check_folders(const struct rb_job *j, struct rb_err *e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(j->database, '/');
	struct stat st;

	if (check_folder("inbox", j->inbox, e) != 0 ||
	    (j->archive[0] && check_folder("archive", j->archive, e) != 0) ||
	    (j->quarantine[0] && check_folder("quarantine", j->quarantine, e) != 0))
		return -1;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - j->database) : 1,
		 slash ? j->database : ".");
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "/");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "member \"database\": '%s' is not a folder "
			      "rbaudit may write in (the database, its journal and lock go there)", dir);
	if (stat(j->database, &st) == 0 && (!S_ISREG(st.st_mode) ||
					    access(j->database, R_OK | W_OK) != 0))
		return RB_ERR(e, RB_EX_CANTCREAT, "member \"database\": '%s' is not a file rbaudit "
			      "may read and write", j->database);
	return 0;
}

/* The report options of the period, as the report step uses them. */
static void report_opts(struct run *r)
{
	const struct rb_job *j = r->j;
	int k;

	memset(&r->ro, 0, sizeof(r->ro));
	for (k = 0; k < j->ntemplates; k++)
		r->tp[k] = j->templates[k];
	r->ro.db_path = j->database;
	r->ro.ledger = j->ledger[0] ? j->ledger : NULL;
	r->ro.period = r->per.name;
	r->ro.now = r->now;
	r->ro.cal = &j->cal;
	r->ro.policy_sha256 = r->hash;
	r->ro.templates = r->tp;
	r->ro.ntemplates = (size_t)j->ntemplates;
	r->ro.out_dir = r->res->output;
	r->ro.sign_key = j->report_key[0] ? j->report_key : NULL;
	r->ro.sign_name = j->report_key_name[0] ? j->report_key_name : NULL;
	r->ro.templates_dir = j->templates_dir;
	r->ro.font_dir = j->font_dir;
	r->ro.trust = r->trust;
	r->ro.trust_sha256 = r->trust_sha256;   /* set by the re-check, before any report */
	r->ro.busy_ms = j->busy_ms;
	r->rd.db_path = j->database;
	r->rd.trust = r->trust;
	r->rd.busy_ms = j->busy_ms;
	r->ro.rederive = rb_analyze_rederive_cb;
	r->ro.rederive_ctx = &r->rd;
}

/*
 * Before anything moves: the policy, the trust store, the report key and
 * templates, the folders; then the inbox's whole exports (the others wait).
 */
/* A source's import, logged as a step of the run (job/sources.h). */
static void note_source(void *ctx, const char *status, const char *detail)
{
	struct run *r = ctx;

	logf_(r->log, r->ctx, r->steps, "import", status, "%s", detail);
}

static int preflight_all(struct run *r, struct rb_err *e);

/*
 * The policy, trust store, report key, templates and folders checked; the
 * job's sources imported and sealed into the inbox; the inbox scanned.
 */
static int prepare(struct run *r, struct rb_err *e)
{
	const struct rb_job *j = r->j;
	struct stat st;
	size_t i;

	rb_policy_default(&r->pol);
	if ((j->policy[0] && rb_policy_load(j->policy, &r->pol, e) != 0) ||
	    rb_trust_load(j->trust_store, &r->trust, e) != 0)
		return -1;
	if (rb_policy_hash(&r->pol, r->hash) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	logf_(r->log, r->ctx, r->steps, "start", "ok", "period %s, database %s%s", r->per.name,
	      j->database, r->dry ? " (dry run: nothing is written)" : "");
	if (preflight_all(r, e) != 0 || check_folders(j, e) != 0)
		return -1;
	logf_(r->log, r->ctx, r->steps, "check", "ok", "the report key, %d %s and the "
	      "folders are usable", j->ntemplates, rb_plural(j->ntemplates, "template", "templates"));
	if ((!r->dry && rb_mkdir_p(j->inbox, 0750, e) != 0) ||
	    rb_jsrc_run(j, r->now, r->dry, note_source, r, &r->res->imported, e) != 0)
		return -1;
	if (r->dry && stat(j->inbox, &st) != 0 && errno == ENOENT) {
		logf_(r->log, r->ctx, r->steps, "inbox", "ok", "%s does not exist yet: a run "
		      "creates it", j->inbox);
		return 0;
	}
	if (rb_inbox_scan(j->inbox, j->settle_s, r->now, &r->ib, e) != 0)
		return -1;
	for (i = 0; i < r->ib.nwaiting; i++)
		logf_(r->log, r->ctx, r->steps, "inbox", "waiting", "%s: %s; left in the inbox for "
		      "a later run", r->ib.waiting[i], r->ib.why[i]);
	return 0;
}

/* A dry run: verify the inbox's exports and say what a run would do. */
static int dry_run_(struct run *r, struct rb_err *e)
{
	size_t i;

	for (i = 0; i < r->ib.nready; i++) {
		struct rb_verify_opts vo = { 0 };
		rb_vreport *v = NULL;
		int ok;

		if (rb_verify_export(r->ib.ready[i], r->trust, &vo, &v, e) != 0)
			return -1;
		ok = rb_vreport_valid(v);
		r->res->accepted += ok;
		r->res->rejected += !ok;
		logf_(r->log, r->ctx, r->steps, "verify", ok ? "ok" : "rejected", "%s: %s",
		      r->ib.ready[i], ok ? "would be ingested" : rb_vreport_error(v, 0)->msg);
		rb_vreport_free(v);
	}
	logf_(r->log, r->ctx, r->steps, "analyze", "skipped", "would analyse %s and render %d "
	      "templates into %s", r->per.name, r->j->ntemplates, r->res->output);
	r->res->exit_code = r->res->rejected ? RB_EX_REJECTED : RB_EX_OK;
	return 0;
}

/* Log one ingested export's verdict and count it. */
static void log_outcome(struct run *r, const char *dir, const struct rb_ingest_outcome *oc)
{
	const struct rb_finding *f = rb_vreport_error(oc->report, 0);
	char where[64] = "", wit[256];

	/* seq and line only where the error has them (a missing file has neither). */
	if (f != NULL && f->seq >= 0 && f->line >= 0)
		snprintf(where, sizeof(where), " seq %lld line %lld", (long long)f->seq, f->line);
	else if (f != NULL && f->seq >= 0)
		snprintf(where, sizeof(where), " seq %lld", (long long)f->seq);
	else if (f != NULL && f->line >= 0)
		snprintf(where, sizeof(where), " line %lld", f->line);
	rb_vreport_witness_names(oc->report, wit, sizeof(wit));
	switch (oc->verdict) {
	case RB_ACCEPTED:
		r->res->accepted++;
		logf_(r->log, r->ctx, r->steps, "ingest", "accepted", "%s: %llu new entries%s%s",
		      dir, (unsigned long long)oc->new_entries, wit[0] ? ", cosigned by " : "", wit);
		break;
	case RB_NOOP:
		r->res->noop++;
		logf_(r->log, r->ctx, r->steps, "ingest", "noop", "%s: already stored", dir);
		break;
	default:
		r->res->rejected++;
		logf_(r->log, r->ctx, r->steps, "ingest", "rejected", "%s: %s%s: %s%s%s", dir,
		      f ? f->code : "?", where, f ? f->msg : "", oc->moved_to ? "; moved to " : "",
		      oc->moved_to ? oc->moved_to : "");
		break;
	}
}

/* The stored entries that do not verify under the trust store and touch the period. */
static int trust_in_period(struct run *r, struct rb_err *e)
{
	static const char sql[] = "WITH " RB_SQL_TRUST_PERIOD " SELECT count(DISTINCT seq) FROM tf";
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1;

	if (rb_schema_open(r->j->database, RB_DB_READONLY, r->j->busy_ms, &db, e) != 0)
		return -1;
	/* ?1 is each ledger of the job in turn. */
	if (rb_db_prepare(db, "SELECT id FROM ledger WHERE ?1 IS NULL OR origin = ?1", &q, e) != 0)
		goto out;
	if (r->j->ledger[0])
		sqlite3_bind_text(q, 1, r->j->ledger, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		sqlite3_stmt *c = NULL;
		int64_t lid = sqlite3_column_int64(q, 0);

		if (rb_db_prepare(db, sql, &c, e) != 0)
			goto out;
		sqlite3_bind_int64(c, 1, lid);
		sqlite3_bind_int64(c, 2, r->per.start);
		sqlite3_bind_int64(c, 3, r->per.end);
		if (sqlite3_step(c) == SQLITE_ROW)
			r->res->trust_failures_period += sqlite3_column_int64(c, 0);
		sqlite3_finalize(c);
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	rb_db_close(db);
	return rc;
}

/*
 * The stored history against the job's trust store: re-checked when the
 * store changed since the last check, then what does not verify counted.
 */
static int trust_recheck(struct run *r, struct rb_err *e)
{
	struct rb_recheck_opts o;
	struct rb_recheck_result t;
	struct rb_job_result *res = r->res;

	memset(&o, 0, sizeof(o));
	o.db_path = r->j->database;
	o.trust = r->trust;
	o.trust_path = r->j->trust_store;
	o.busy_ms = r->j->busy_ms;
	if (rb_recheck_run(&o, &t, e) != 0)
		return -1;
	snprintf(r->trust_sha256, sizeof(r->trust_sha256), "%s", t.sha256);
	res->trust_rechecked = t.rechecked;
	res->trust_failures = (long long)t.failures;
	rb_recheck_clear(&t);
	if (trust_in_period(r, e) != 0)
		return -1;
	res->trust_alert = res->trust_failures_period > 0 ||
			   (res->trust_rechecked && res->trust_failures > 0);
	logf_(r->log, r->ctx, r->steps, "trust", res->trust_alert ? "alert" : "ok",
	      "trust store sha256 %s: %s; %lld stored %s under it, %lld "
	      "of them touching %s", t.sha256, !t.rechecked ? "the one the stored history was "
	      "checked against" : t.previous[0] ? "changed since the last check: every stored "
	      "entry re-checked" : "no check recorded before: every stored entry checked",
	      res->trust_failures, rb_plural(res->trust_failures, "entry does not verify",
					     "entries do not verify"),
	      res->trust_failures_period, r->per.name);
	return 0;
}

/*
 * Was the period's latest stored analysis (under the job's policy) counted
 * with the bounds the job counts it with now?  A changed tz or fiscal_start
 * gives a period of the same name other bounds; its reports are then not
 * current.  *same 1 or 0; -1 with *e when the database cannot be read.
 */
static int bounds_stored(const struct run *r, int *same, struct rb_err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1, step;

	*same = 0;
	if (rb_schema_open(r->j->database, RB_DB_READONLY, r->j->busy_ms, &db, e) != 0)
		return -1;
	if (rb_db_prepare(db, "SELECT start_s = ?3 AND end_s = ?4 FROM analysis WHERE id = "
			  "(SELECT max(id) FROM analysis WHERE period = ?1 AND policy_sha256 = ?2)",
			  &q, e) != 0)
		goto out;
	sqlite3_bind_text(q, 1, r->per.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, r->per.start);
	sqlite3_bind_int64(q, 4, r->per.end);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		*same = sqlite3_column_int(q, 0);
	else if (step != SQLITE_DONE) {
		rb_db_fail(db, step, e, "cannot read the stored analysis");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	rb_db_close(db);
	return rc;
}

/*
 * Were the reports of the period last written (or found current) by a run
 * under this trust store?  Its digest is in that run's "trust" step.
 * *found 1 or 0; -1 with *e when the database cannot be read.
 */
static int trust_rendered(const struct run *r, int *found, struct rb_err *e)
{
	char want[96];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1, step;

	*found = 0;
	snprintf(want, sizeof(want), "trust store sha256 %s:", r->trust_sha256);
	if (rb_schema_open(r->j->database, RB_DB_READONLY, r->j->busy_ms, &db, e) != 0)
		return -1;
	if (rb_db_prepare(db, "SELECT instr(steps, ?2) > 0 FROM job_run WHERE period = ?1 AND "
			  "exit_code IN (0, 1, 2) ORDER BY id DESC LIMIT 1", &q, e) != 0)
		goto out;
	sqlite3_bind_text(q, 1, r->per.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, want, -1, SQLITE_STATIC);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		*found = sqlite3_column_int(q, 0);
	else if (step != SQLITE_DONE) {
		rb_db_fail(db, step, e, "cannot read the job's runs");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	rb_db_close(db);
	return rc;
}

/* A time of the verifier's, as text and Unix seconds, when it has one. */
static void add_time(cJSON *x, const char *name, const char *name_s, const char *t)
{
	struct rb_time tm;

	if (t == NULL || t[0] == '\0' || rb_time_parse(t, strlen(t), &tm) != 0)
		return;
	cJSON_AddStringToObject(x, name, t);
	cJSON_AddNumberToObject(x, name_s, (double)tm.sec);
}

/*
 * Keep for record() what the run must remember of an export filed away: a
 * rejected one, with what could be read of its range and times (manifest,
 * first and last entry, unverified), or where an accepted one now is.
 */
static int note_filed(struct run *r, const struct rb_ingest_outcome *oc, struct rb_err *e)
{
	const struct rb_finding *f = rb_vreport_error(oc->report, 0);
	cJSON *x = cJSON_CreateObject();
	struct rb_time now = rb_time_now();
	char ts[RB_TIME_MAX], reason[1200];

	if (x == NULL || !cJSON_AddItemToArray(r->pending, x)) {
		cJSON_Delete(x);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	if (oc->verdict == RB_ACCEPTED) {
		if (oc->moved_to != NULL)
			cJSON_AddStringToObject(x, "archived_path", oc->moved_to);
		cJSON_AddNumberToObject(x, "export_id", (double)oc->export_id);
		return 0;
	}
	rb_time_format(&now, ts);
	cJSON_AddStringToObject(x, "path", oc->path);
	if (oc->moved_to != NULL)
		cJSON_AddStringToObject(x, "quarantined_path", oc->moved_to);
	if (rb_vreport_ledger(oc->report) != NULL)
		cJSON_AddStringToObject(x, "ledger", rb_vreport_ledger(oc->report));
	if (rb_vreport_first_seq(oc->report) >= 0)
		cJSON_AddNumberToObject(x, "first_seq", (double)rb_vreport_first_seq(oc->report));
	if (rb_vreport_last_seq(oc->report) >= 0)
		cJSON_AddNumberToObject(x, "last_seq", (double)rb_vreport_last_seq(oc->report));
	add_time(x, "first_time", "first_time_s", rb_vreport_earliest_time(oc->report));
	add_time(x, "last_time", "last_time_s", rb_vreport_latest_time(oc->report));
	if (f != NULL && f->seq >= 0)
		snprintf(reason, sizeof(reason), "seq %lld: %s", (long long)f->seq, f->msg);
	else
		snprintf(reason, sizeof(reason), "%s", f ? f->msg : "rejected");
	cJSON_AddStringToObject(x, "code", f ? f->code : "?");
	cJSON_AddStringToObject(x, "reason", reason);
	cJSON_AddStringToObject(x, "rejected", ts);
	/* The summary names it too: record() empties pending. */
	if (!cJSON_AddItemToArray(r->rejected, cJSON_Duplicate(x, 1)))
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

/* Ingest the inbox's whole exports, filing each away. */
static int ingest_all(struct run *r, struct rb_err *e)
{
	const struct rb_job *j = r->j;
	struct rb_ingest_opts io = { 0 };
	rb_ingest *g = NULL;
	size_t i;
	int rc = -1;

	io.db_path = j->database;
	io.trust = r->trust;
	io.busy_ms = j->busy_ms;
	if (rb_ingest_open(&io, &g, e) != 0)
		return -1;
	/* The history stored so far, before the new exports (verified under the store). */
	if (trust_recheck(r, e) != 0)
		goto out;
	for (i = 0; i < r->ib.nready; i++) {
		struct rb_ingest_outcome *oc = NULL;

		if (rb_ingest_export(g, r->ib.ready[i], &oc, e) != 0)
			goto out;
		if (rb_ingest_file_away(oc, j->archive[0] ? j->archive : NULL,
					j->quarantine[0] ? j->quarantine : NULL, e) != 0) {
			rb_ingest_outcome_free(oc);
			goto out;
		}
		log_outcome(r, r->ib.ready[i], oc);
		if ((oc->verdict == RB_REJECTED || (oc->verdict == RB_ACCEPTED && oc->moved_to)) &&
		    note_filed(r, oc, e) != 0) {
			rb_ingest_outcome_free(oc);
			goto out;
		}
		rb_ingest_outcome_free(oc);
	}
	rc = 0;
out:
	if (rc == 0)
		return rb_ingest_close(g, e);
	{
		struct rb_err ce;

		rb_ingest_close(g, &ce);
	}
	return rc;
}

/* Analyse period per, counting the rollbacks that alert into *res. */
static int analyse(struct run *r, const struct rb_period *per, struct rb_job_result *res,
		   int store, cJSON **doc, struct rb_err *e)
{
	const struct rb_job *j = r->j;
	struct rb_analyze_opts ao;
	struct alerts al;

	memset(&ao, 0, sizeof(ao));
	ao.db_path = j->database;
	ao.ledger = j->ledger[0] ? j->ledger : NULL;
	ao.period = per->name;
	ao.now = r->now;
	ao.cal = &j->cal;
	ao.policy = &r->pol;
	ao.trend = j->trend;
	ao.sample = j->sample;
	ao.sample_seed = j->sample_seed;
	ao.store = store;
	ao.busy_ms = j->busy_ms;
	ao.trust = r->trust;
	ao.on_rollback = count_alert;
	ao.rollback_ctx = &al;
	al.j = j;
	al.res = res;
	al.list = per == &r->per ? r->alerting : NULL;  /* the run's period, not a re-render */
	al.omitted = &r->omitted;
	if (rb_analyze(&ao, doc, e) != 0)
		return -1;
	logf_(r->log, r->ctx, r->steps, "analyze", "ok", "%d %s in %s; %d alert: %d at or "
	      "above alert_level %s, %d with an alert_findings finding", res->rollbacks,
	      rb_plural(res->rollbacks, "rollback", "rollbacks"), per->name, res->alerts, res->alert_level_rollbacks, level_name(r->j->alert_level),
	      res->alert_finding_rollbacks);
	return 0;
}

/*
 * Entries with times in per stored after its last analysis under the job's
 * policy (and ledger): those past the ledger size that analysis saw.
 * *count is -1 when the period has no such analysis.
 */
static int late_count(sqlite3 *db, const struct run *r, const struct rb_period *per,
		      long long *count, long long *size, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*count = -1;
	*size = 0;
	if (rb_db_prepare(db, "SELECT a.ledger_size, (SELECT count(*) FROM entry t WHERE "
			  "t.ledger_id = a.ledger_id AND t.seq >= a.ledger_size AND t.time_s >= ?3 "
			  "AND t.time_s < ?4) FROM analysis a WHERE a.id = (SELECT max(b.id) FROM "
			  "analysis b JOIN ledger l ON l.id = b.ledger_id WHERE b.period = ?1 AND "
			  "b.policy_sha256 = ?2 AND (?5 IS NULL OR l.origin = ?5))", &q, e) != 0)
		return -1;
	sqlite3_bind_text(q, 1, per->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, per->start);
	sqlite3_bind_int64(q, 4, per->end);
	if (r->j->ledger[0])
		sqlite3_bind_text(q, 5, r->j->ledger, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*size = sqlite3_column_int64(q, 0);
		*count = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot look for late data");
	return 0;
}

/* Why the period's new pack replaces its folder (said when it had a MANIFEST). */
static int main_reason(struct run *r, struct rb_err *e)
{
	sqlite3 *db = NULL;
	long long count, size;
	int rc;

	if (rb_schema_open(r->j->database, RB_DB_READONLY, r->j->busy_ms, &db, e) != 0)
		return -1;
	rc = late_count(db, r, &r->per, &count, &size, e);
	rb_db_close(db);
	if (rc != 0)
		return -1;
	if (count > 0)
		snprintf(r->reason, sizeof(r->reason), "re-rendered by rbaudit run of %s: %lld "
			 "entries with times in the period were stored after the analysis of the "
			 "pack it replaces (ledger size %lld then)", r->per.name, count, size);
	else if (r->res->accepted > 0)
		snprintf(r->reason, sizeof(r->reason), "re-rendered by rbaudit run of %s after "
			 "it stored %d new %s (no entry of the period among them)",
			 r->per.name, r->res->accepted,
			 rb_plural(r->res->accepted, "export", "exports"));
	else
		snprintf(r->reason, sizeof(r->reason), "re-rendered by rbaudit run of %s: the "
			 "folder it replaces was not current (a file of it missing or changed, a "
			 "template added, or another analysis: policy, trend or sample)", r->per.name);
	r->ro.supersede_reason = r->reason;
	return 0;
}

/*
 * The period's reports: nothing to write when nothing is new and the
 * folder is current (but the period's real figures and alerts all the
 * same), else analyse, render and sign.
 */
static int report_period(struct run *r, cJSON **doc, struct rb_err *e)
{
	struct rb_job_result *res = r->res;
	struct rb_report_result rr;
	int current = 0;

	/* Several ledgers: always rendered (rb_analysis_current knows no ledger). */
	if (res->accepted == 0 && r->job->nledgers <= 1) {
		const struct rb_job *j = r->j;

		if (rb_analysis_current(j->database, j->busy_ms, r->per.name, r->hash, j->trend,
					j->sample, j->sample_seed, &current, e) != 0 ||
		    (current && bounds_stored(r, &current, e) != 0) ||
		    (current && trust_rendered(r, &current, e) != 0) ||
		    (current && rb_report_current(&r->ro, &current, e) != 0))
			return -1;
	}
	if (current) {
		res->nothing_to_do = 1;
		if (analyse(r, &r->per, res, 0, doc, e) != 0)
			return -1;
		logf_(r->log, r->ctx, r->steps, "report", "noop", "nothing new since the last run: "
		      "the reports of %s in %s are current (they verify and hold every template)",
		      r->per.name, res->output);
		return 0;
	}
	if (main_reason(r, e) != 0 || analyse(r, &r->per, res, 1, doc, e) != 0 ||
	    rb_report(&r->ro, &rr, e) != 0)
		return -1;
	logf_(r->log, r->ctx, r->steps, "report", "ok", "%zu %s and a %s MANIFEST in %s%s%s",
	      rr.nfiles, rb_plural((long long)rr.nfiles, "file", "files"), rr.signed_manifest ? "signed" : "unsigned", res->output,
	      rr.superseded[0] ? "; it supersedes the MANIFEST of SHA-256 " : "", rr.superseded);
	if (rr.truncated_cells > 0)
		logf_(r->log, r->ctx, r->steps, "report", "warning", "%lld %s too long for a "
		      "workbook cell (the longest %lld characters) and cut with a marker; "
		      "the JSON report holds %s whole", rr.truncated_cells,
		      rb_plural(rr.truncated_cells, "text was", "texts were"), rr.truncated_chars,
		      rb_plural(rr.truncated_cells, "it", "them"));
	return 0;
}

/*
 * Missing data: the ledger's newest entry (the analysis's as_of) against
 * the period's end, or now for a period not over.  Older by more than
 * stale_after_hours: an alert.  Either way the log says how much of the
 * period the data covers (as the pack's cover does).
 */
static void check_stale(struct run *r, const cJSON *doc)
{
	struct rb_job_result *res = r->res;
	const char *asof = rb_json_str(doc, "as_of");
	struct rb_time t = { 0, 0 }, rt;
	int64_t ref = r->per.end < r->now ? r->per.end : r->now;
	char reft[RB_TIME_MAX];
	double pct;

	if (asof == NULL || rb_time_parse(asof, strlen(asof), &t) != 0)
		asof = "unknown";
	snprintf(res->newest, sizeof(res->newest), "%s", asof);
	rt.sec = ref;
	rt.nsec = 0;
	rb_time_format(&rt, reft);
	res->stale_hours = t.sec < ref ? (double)(ref - t.sec) / 3600.0 : 0;
	pct = t.sec >= r->per.end ? 100 : t.sec <= r->per.start ? 0 :
	      floor(1000.0 * (double)(t.sec - r->per.start) /
		    (double)(r->per.end - r->per.start)) / 10;
	if (t.sec < ref && ref - t.sec > (int64_t)r->j->stale_after_h * 3600) {
		res->stale = 1;
		logf_(r->log, r->ctx, r->steps, "coverage", "alert", "stale data: the ledger's "
		      "newest entry is %s, %.1f hours before %s (%s), more than stale_after_hours "
		      "(%d); the data covers %.1f%% of %s", asof, res->stale_hours, reft,
		      ref == r->per.end ? "the end of the period" : "now: the period is not over",
		      r->j->stale_after_h, pct, r->per.name);
	} else if (t.sec < r->per.end) {
		logf_(r->log, r->ctx, r->steps, "coverage", "partial", "the data covers %.1f%% of "
		      "%s: the ledger's newest entry is %s, %.1f hours before %s (within "
		      "stale_after_hours, %d)", pct, r->per.name, asof, res->stale_hours, reft,
		      r->j->stale_after_h);
	} else {
		logf_(r->log, r->ctx, r->steps, "coverage", "ok", "the data covers all of %s (the "
		      "ledger's newest entry is %s)", r->per.name, asof);
	}
}

/* A period whose report folder exists and whose entries grew since its analysis. */
struct late {
	char name[48];
	long long count, size;
};

/*
 * The periods with a report folder (but the one run, and those retention
 * is about to remove) that have late data, newest first.
 */
static int find_late(struct run *r, struct late **out, size_t *n, struct rb_err *e)
{
	char parent[PATH_MAX];
	struct held *h = NULL;
	struct late *l = NULL;
	sqlite3 *db = NULL;
	size_t nh = 0, i;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (periods_held(r->j, parent, &h, &nh) != 0 || nh == 0) {
		free(h);
		return 0;       /* no report folder yet (retention says why, if it reads) */
	}
	if ((l = calloc(nh, sizeof(*l))) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_schema_open(r->j->database, RB_DB_READONLY, r->j->busy_ms, &db, e) != 0)
		goto out;
	for (i = 0; i < nh; i++) {
		struct rb_period per;

		if (strcmp(h[i].name, r->per.name) == 0 ||
		    (r->j->retention > 0 && i >= (size_t)r->j->retention))
			continue;
		memset(&per, 0, sizeof(per));
		snprintf(per.name, sizeof(per.name), "%s", h[i].name);
		per.start = h[i].start;
		per.end = h[i].end;
		snprintf(l[*n].name, sizeof(l[*n].name), "%s", h[i].name);
		if (late_count(db, r, &per, &l[*n].count, &l[*n].size, e) != 0)
			goto out;
		*n += l[*n].count > 0;
	}
	*out = l;
	l = NULL;
	rc = 0;
out:
	free(l);
	free(h);
	rb_db_close(db);
	return rc;
}

/*
 * Render a period with late data again, as the job renders its own (checked
 * first, so that nothing is stored for a folder it may not replace): the
 * new pack names the MANIFEST it supersedes and why.
 */
static int rerender(struct run *r, const struct late *lt, struct rb_err *e)
{
	struct rb_report_opts ro = r->ro;
	struct rb_report_result rr;
	struct rb_job_result lr;
	struct rb_period per;
	char dir[PATH_MAX], reason[640];
	cJSON *doc = NULL;
	int rc;

	memset(&lr, 0, sizeof(lr));
	if (rb_period_parse_cal(lt->name, r->now, &r->j->cal, &per, e) != 0)
		return -1;
	output_of(r->j, per.name, dir);
	snprintf(reason, sizeof(reason), "late data: %lld %s in %s stored "
		 "after the analysis of the pack it replaces (ledger size %lld then); "
		 "re-rendered by rbaudit run of %s", lt->count,
		 rb_plural(lt->count, "entry with a time", "entries with times"), per.name, lt->size, r->per.name);
	ro.period = per.name;
	ro.out_dir = dir;
	ro.supersede_reason = reason;
	if (rb_report_preflight(&ro, e) != 0 || analyse(r, &per, &lr, 1, &doc, e) != 0)
		return -1;
	rc = rb_report(&ro, &rr, e);
	cJSON_Delete(doc);
	if (rc != 0)
		return -1;
	logf_(r->log, r->ctx, r->steps, "late", "re-rendered", "%s: %lld %s in "
	      "the period stored after its last analysis; %zu %s and a %s MANIFEST in "
	      "%s, superseding the MANIFEST of SHA-256 %s", per.name, lt->count,
	      rb_plural(lt->count, "entry with a time", "entries with times"), rr.nfiles,
	      rb_plural((long long)rr.nfiles, "file", "files"),
	      rr.signed_manifest ? "signed" : "unsigned", dir,
	      rr.superseded[0] ? rr.superseded : "(none: the folder held none)");
	return 0;
}

/* A period with late data, for the summary. */
static void late_note(struct run *r, const struct late *lt, int taken)
{
	cJSON *x = cJSON_CreateObject();

	if (x == NULL || !cJSON_AddItemToArray(r->late_list, x)) {
		cJSON_Delete(x);
		return;
	}
	cJSON_AddStringToObject(x, "period", lt->name);
	cJSON_AddNumberToObject(x, "entries", (double)lt->count);
	cJSON_AddBoolToObject(x, "re_rendered", taken);
}

/* Late data: re-render the periods it touches (RB_JOB_MAX_LATE at most), alerting. */
static int late_all(struct run *r, struct rb_err *e)
{
	struct rb_job_result *res = r->res;
	struct late *l = NULL;
	size_t n = 0, i, len = 0;

	if (find_late(r, &l, &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct rb_err le = { 0 };
		int done = 0;

		if (len < sizeof(res->late_periods))
			len += (size_t)snprintf(res->late_periods + len, sizeof(res->late_periods) - len,
						"%s%s", i ? ", " : "", l[i].name);
		res->late++;
		if (i >= RB_JOB_MAX_LATE)
			logf_(r->log, r->ctx, r->steps, "late", "skipped", "%s: %lld %s "
			      "in the period stored after its last analysis; not re-rendered: at "
			      "most %d periods a run (a later run takes it)", l[i].name, l[i].count,
			      rb_plural(l[i].count, "entry with a time", "entries with times"),
			      RB_JOB_MAX_LATE);
		else if (rerender(r, &l[i], &le) != 0)
			logf_(r->log, r->ctx, r->steps, "late", "error", "%s: %lld %s "
			      "in the period stored after its last analysis; not re-rendered: %s",
			      l[i].name, l[i].count,
			      rb_plural(l[i].count, "entry with a time", "entries with times"), le.msg);
		else
			done = 1;
		res->late_done += done;
		late_note(r, &l[i], done);
	}
	if (n > 0)
		logf_(r->log, r->ctx, r->steps, "late", "alert", "late data in %zu earlier %s "
		      "with a report folder: %s; %d re-rendered", n,
		      rb_plural((long long)n, "period", "periods"), res->late_periods,
		      res->late_done);
	free(l);
	return 0;
}

/*
 * A run that failed is recorded too, with the exit code it ends with and
 * the error as its last step; a failure to record it is left unsaid (the
 * caller reports the first error, in *e, which stays as it was).
 */
static void finish(struct run *r, const struct rb_err *fail);

static void record_failure(struct run *r, const struct rb_err *e)
{
	struct rb_err ignored;

	r->res->exit_code = e->code ? e->code : RB_EX_SOFTWARE;
	if (r->res->summary == NULL)
		finish(r, e);
	logf_(NULL, NULL, r->steps, "fatal", "error", "%s", e->msg);     /* the last step */
	(void)record(r, 1, &ignored);
}

/*
 * The stored tree of ledger at size: *n entries stored, and the base64 root
 * at size (from the ledger or the export that ended there; "" unknown).
 */
static int stored_tree(const struct rb_job *j, const char *ledger, long long size,
		       long long *n, char root[48], struct rb_err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1;

	*n = 0;
	root[0] = '\0';
	if (access(j->database, F_OK) != 0)
		return 0;       /* no database at all: nothing stored */
	if (rb_schema_open(j->database, RB_DB_READONLY, j->busy_ms, &db, e) != 0 ||
	    rb_db_prepare(db, "SELECT l.size, CASE WHEN l.size = ?2 THEN l.root ELSE (SELECT "
			  "x.root FROM ingest_export x WHERE x.ledger_id = l.id AND x.last_seq + 1 "
			  "= ?2 LIMIT 1) END FROM ledger l WHERE l.origin = ?1", &q, e) != 0)
		goto out;
	sqlite3_bind_text(q, 1, ledger, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, size);
	if (sqlite3_step(q) == SQLITE_ROW) {
		*n = sqlite3_column_int64(q, 0);
		if (sqlite3_column_bytes(q, 1) == 32)
			rb_b64_encode(sqlite3_column_blob(q, 1), 32, root);
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	rb_db_close(db);
	return rc;
}

/*
 * Is the database behind what the newest signed pack attests?  That pack
 * (the newest report folder of the output pattern that verifies, signed,
 * under the trust store) names the ledger's size and root it was made
 * from: the database must hold at least as many entries, and the same tree
 * at that size.  A database deleted, or replaced by an older copy, is
 * caught here, before anything moves.
 */
static int check_behind(const struct run *r, struct rb_err *e)
{
	char parent[PATH_MAX], dir[PATH_MAX], ledger[512], root[48], have[48];
	struct held *h = NULL;
	size_t n = 0, i;
	long long size = 0, stored = 0;
	int found = 0, rc = 0;

	if (periods_held(r->j, parent, &h, &n) != 0)
		return 0;       /* no report folder yet */
	for (i = 0; i < n && !found; i++) {
		output_of(r->j, h[i].name, dir);
		if (rb_report_attested(dir, r->trust, &found, ledger, sizeof(ledger), &size, root,
				       NULL) != 0)
			found = 0;
	}
	free(h);
	if (!found || stored_tree(r->j, ledger, size, &stored, have, e) != 0)
		return found ? -1 : 0;
	if (stored < size)
		rc = RB_ERR(e, RB_EX_FAIL, "the database '%s' holds %lld entries of %s, but the "
			    "signed pack in '%s' was made from %lld: the database was deleted or "
			    "replaced by an older copy; ingest the archived exports again "
			    "(into %s, under the trust store %s, from %s), then run again",
			    r->j->database, stored, ledger, dir, size, r->j->database,
			    r->j->trust_store, r->j->archive);
	else if (have[0] != '\0' && strcmp(have, root) != 0)
		rc = RB_ERR(e, RB_EX_FAIL, "the database '%s' holds another history of %s than the "
			    "signed pack in '%s' attests: its tree of %lld entries has another root",
			    r->j->database, ledger, dir, size);
	return rc;
}

/* ---- the run's summary, notify_command and the OpenMetrics textfile ---- */

/* in with the first `key` replaced by val, into out (PATH_MAX); -1 when too long. */
static int subst(const char *in, const char *key, const char *val, char *out)
{
	const char *p = strstr(in, key);
	int w = p == NULL ? snprintf(out, PATH_MAX, "%s", in) :
		snprintf(out, PATH_MAX, "%.*s%s%s", (int)(p - in), in, val, p + strlen(key));

	return w < 0 || w >= PATH_MAX ? -1 : 0;
}

/*
 * Point r->j at ledger i's view of the job (with "ledgers": its ledger,
 * and {ledger} replaced in output and openmetrics_textfile), and
 * r->res->output at its report folder.  i -1, or a job without "ledgers":
 * the job itself.
 */
static int use_ledger(struct run *r, int i, struct rb_err *e)
{
	const struct rb_job *job = r->job;
	struct rb_job *v = r->view;
	char name[512];

	if (i < 0 || job->nledgers == 0 || v == NULL) {
		r->j = job;
		output_of(job, r->per.name, r->res->output);
		return 0;
	}
	rb_job_ledger_name(job->ledgers[i], name, sizeof(name));
	snprintf(v->ledger, sizeof(v->ledger), "%s", job->ledgers[i]);
	if (subst(job->output, "{ledger}", name, v->output) != 0 ||
	    subst(job->textfile, "{ledger}", name, v->textfile) != 0)
		return RB_ERR(e, RB_EX_CONFIG, "the paths of ledger '%s' are too long", job->ledgers[i]);
	r->j = v;
	output_of(v, r->per.name, r->res->output);
	return 0;
}

/* The textfile's folder must be there and writable (it is node_exporter's: not made). */
static int check_textfile(const struct rb_job *j, struct rb_err *e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(j->textfile, '/');
	struct stat st;

	if (j->textfile[0] == '\0')
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", slash && slash != j->textfile ?
		 (int)(slash - j->textfile) : 1, slash ? j->textfile : ".");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "member \"openmetrics_textfile\": '%s' is not a "
			      "folder rbaudit may write in (the collector's folder is not created)", dir);
	return 0;
}

/* Copy the period's OpenMetrics file of the report folder to the textfile. */
static int copy_textfile(struct run *r, struct rb_err *e)
{
	char from[PATH_MAX];

	if (r->j->textfile[0] == '\0')
		return 0;
	if (rb_jtextfile_copy(r->res->output, r->per.name, r->j->textfile, from, sizeof(from),
			      e) != 0)
		return -1;
	logf_(r->log, r->ctx, r->steps, "textfile", "ok", "%s replaced (atomically, mode 0644) "
	      "by %s", r->j->textfile, from);
	return 0;
}

/* Sum the numbers of from into to, member by member (objects of numbers too). */
static void add_figures(cJSON *to, const cJSON *from)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, from) {
		cJSON *t = cJSON_GetObjectItemCaseSensitive(to, m->string);

		if (t == NULL && cJSON_IsNumber(m))
			cJSON_AddNumberToObject(to, m->string, m->valuedouble);
		else if (t == NULL && cJSON_IsObject(m))
			add_figures(cJSON_AddObjectToObject(to, m->string), m);
		else if (t != NULL && cJSON_IsNumber(m) && cJSON_IsNumber(t))
			cJSON_SetNumberHelper(t, t->valuedouble + m->valuedouble);
		else if (t != NULL && cJSON_IsObject(m) && cJSON_IsObject(t))
			add_figures(t, m);
	}
}

/* A ledger's key figures of its analysis document. */
static cJSON *figures_of(const cJSON *doc)
{
	static const char *const keep[] = { "rollbacks_executed", "deployments",
		"failed_executions", "rollback_rate", "evidence_complete", "levels",
		"finding_counts" };
	cJSON *f = cJSON_CreateObject();
	size_t k;

	for (k = 0; k < sizeof(keep) / sizeof(keep[0]) && f != NULL; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keep[k]);

		if (v != NULL)
			cJSON_AddItemToObject(f, keep[k], cJSON_Duplicate(v, 1));
	}
	return f;
}

/* What one ledger's pass found, for the summary's "ledgers". */
static void note_ledger(struct run *r, const struct rb_job_result *lr, const cJSON *doc)
{
	cJSON *x = cJSON_CreateObject();
	const char *origin = rb_json_str(doc, "ledger");

	if (x == NULL || !cJSON_AddItemToArray(r->ledgers, x)) {
		cJSON_Delete(x);
		return;
	}
	cJSON_AddStringToObject(x, "ledger", r->j->ledger[0] ? r->j->ledger :
				origin ? origin : "");
	cJSON_AddStringToObject(x, "output", lr->output);
	if (r->j->textfile[0])
		cJSON_AddStringToObject(x, "textfile", r->j->textfile);
	cJSON_AddNumberToObject(x, "rollbacks", lr->rollbacks);
	cJSON_AddNumberToObject(x, "alerts", lr->alerts);
	cJSON_AddNumberToObject(x, "alert_level_rollbacks", lr->alert_level_rollbacks);
	cJSON_AddNumberToObject(x, "alert_finding_rollbacks", lr->alert_finding_rollbacks);
	cJSON_AddBoolToObject(x, "stale", lr->stale);
	cJSON_AddStringToObject(x, "newest", lr->newest);
	cJSON_AddNumberToObject(x, "stale_hours", floor(lr->stale_hours * 10) / 10);
	cJSON_AddItemToObject(x, "late", r->late_list);
	r->late_list = NULL;
	cJSON_AddBoolToObject(x, "nothing_new", lr->nothing_to_do);
	cJSON_AddItemToObject(x, "figures", figures_of(doc));
}

/* Fold one ledger's result into the run's. */
static void fold(struct rb_job_result *all, const struct rb_job_result *lr, const char *ledger,
		 int first)
{
	size_t len = strlen(all->late_periods);

	all->rollbacks += lr->rollbacks;
	all->alerts += lr->alerts;
	all->alert_level_rollbacks += lr->alert_level_rollbacks;
	all->alert_finding_rollbacks += lr->alert_finding_rollbacks;
	all->nothing_to_do = (first || all->nothing_to_do) && lr->nothing_to_do;
	if (lr->stale && (!all->stale || lr->stale_hours > all->stale_hours)) {
		all->stale_hours = lr->stale_hours;
		snprintf(all->newest, sizeof(all->newest), "%s", lr->newest);
	} else if (first) {
		snprintf(all->newest, sizeof(all->newest), "%s", lr->newest);
	}
	all->stale |= lr->stale;
	all->late += lr->late;
	all->late_done += lr->late_done;
	/* Cut when too long: the summary's "ledgers" hold every period whole. */
	if (lr->late && len < sizeof(all->late_periods) &&
	    snprintf(all->late_periods + len, sizeof(all->late_periods) - len, "%s%s%s%s%s",
		     len ? ", " : "", lr->late_periods, ledger ? " (" : "", ledger ? ledger : "",
		     ledger ? ")" : "") < 0)
		all->late_periods[len] = '\0';
}

/* The run's stated outcome, as the summary and the scheduler see it. */
static const char *status_of(int code)
{
	return code == RB_EX_OK ? "ok" : code == RB_EX_FAIL ? "attention" :
	       code == RB_EX_REJECTED ? "rejected" : "failed";
}

/* The part of the summary the run's counts make. */
static void summary_counts(const struct run *r, cJSON *s)
{
	const struct rb_job_result *res = r->res;
	cJSON *t, *a;
	int k;

	cJSON_AddNumberToObject(s, "accepted", res->accepted);
	cJSON_AddNumberToObject(s, "noop", res->noop);
	cJSON_AddNumberToObject(s, "rejected", res->rejected);
	cJSON_AddNumberToObject(s, "imported", (double)res->imported);
	cJSON_AddNumberToObject(s, "rollbacks", res->rollbacks);
	cJSON_AddNumberToObject(s, "alerts", res->alerts);
	cJSON_AddStringToObject(s, "alert_level", level_name(r->job->alert_level));
	a = cJSON_AddArrayToObject(s, "alert_findings");
	for (k = 0; k < RB_NFINDINGS; k++)
		if (r->job->alert_findings >> k & 1)
			cJSON_AddItemToArray(a, cJSON_CreateString(rb_finding_names[k]));
	cJSON_AddBoolToObject(s, "stale", res->stale);
	cJSON_AddNumberToObject(s, "late", res->late);
	t = cJSON_AddObjectToObject(s, "trust");
	cJSON_AddBoolToObject(t, "alert", res->trust_alert);
	cJSON_AddNumberToObject(t, "failures", (double)res->trust_failures);
	cJSON_AddNumberToObject(t, "failures_period", (double)res->trust_failures_period);
	cJSON_AddBoolToObject(t, "rechecked", res->trust_rechecked);
}

/* The ledgers' figures summed (rollback_rate worked out again from the sums). */
static cJSON *summary_totals(const cJSON *ledgers)
{
	cJSON *t = cJSON_CreateObject(), *rate;
	const cJSON *l, *ex, *dep;

	cJSON_ArrayForEach(l, ledgers)
		add_figures(t, cJSON_GetObjectItemCaseSensitive(l, "figures"));
	cJSON_DeleteItemFromObjectCaseSensitive(t, "rollback_rate");
	ex = cJSON_GetObjectItemCaseSensitive(t, "rollbacks_executed");
	dep = cJSON_GetObjectItemCaseSensitive(t, "deployments");
	rate = cJSON_IsNumber(ex) && cJSON_IsNumber(dep) && dep->valuedouble > 0 ?
	       cJSON_CreateNumber(ex->valuedouble / dep->valuedouble) : cJSON_CreateNull();
	cJSON_AddItemToObject(t, "rollback_rate", rate);
	return t;
}

/* The run's summary (docs/REPORTS.md, "The run's summary"); fail: the error that ended it. */
static cJSON *summary_of(struct run *r, const struct rb_err *fail)
{
	const struct rb_job_result *res = r->res;
	cJSON *s = cJSON_CreateObject();
	struct rb_time ts = { 0, 0 };
	char t[RB_TIME_MAX];

	if (s == NULL)
		return NULL;
	cJSON_AddStringToObject(s, "summary", "rbaudit-run-summary-v1");
	cJSON_AddStringToObject(s, "period", res->period);
	ts.sec = r->per.start;
	rb_time_format(&ts, t);
	cJSON_AddStringToObject(s, "start", t);
	ts.sec = r->per.end;
	rb_time_format(&ts, t);
	cJSON_AddStringToObject(s, "end", t);
	cJSON_AddStringToObject(s, "tz", r->job->cal.tz[0] ? r->job->cal.tz : "UTC");
	cJSON_AddNumberToObject(s, "fiscal_start", r->job->cal.fy_first_month);
	cJSON_AddStringToObject(s, "started", r->started);
	cJSON_AddStringToObject(s, "database", r->job->database);
	cJSON_AddStringToObject(s, "output", res->output);
	cJSON_AddNumberToObject(s, "exit_code", res->exit_code);
	cJSON_AddStringToObject(s, "status", status_of(res->exit_code));
	if (fail != NULL)
		cJSON_AddStringToObject(s, "error", fail->msg);
	else
		cJSON_AddNullToObject(s, "error");
	summary_counts(r, s);
	cJSON_AddItemReferenceToObject(s, "alerting", r->alerting);
	cJSON_AddNumberToObject(s, "alerting_omitted", (double)r->omitted);
	cJSON_AddItemReferenceToObject(s, "rejected_exports", r->rejected);
	cJSON_AddItemReferenceToObject(s, "ledgers", r->ledgers);
	cJSON_AddItemToObject(s, "totals", summary_totals(r->ledgers));
	return s;
}

/* Each line the notify command writes is logged as a step of the run. */
static void notify_line(void *ctx, const char *line)
{
	struct run *r = ctx;

	logf_(r->log, r->ctx, r->steps, "notify", "output", "%s", line);
}

/*
 * Run the notify_command with the summary on its standard input; what
 * happens is logged, and never changes the run's exit code.
 */
static void notify(struct run *r, const char *text)
{
	const struct rb_job *job = r->job;
	char *argv[RB_JOB_NOTIFY_ARGS + 1];
	struct rb_jnotify_result nr;
	struct rb_err ne = { 0 };
	int k;

	for (k = 0; k < job->nnotify; k++)
		argv[k] = (char *)job->notify[k];
	argv[k] = NULL;
	if (rb_jnotify_run(argv, job->notify_timeout_s, text, strlen(text), notify_line, r, &nr,
			   &ne) != 0) {
		r->res->notified = -1;
		logf_(r->log, r->ctx, r->steps, "notify", "error", "notify_command failed: %s "
		      "(the run's exit code stays %d)", ne.msg, r->res->exit_code);
		return;
	}
	r->res->notified = 1;
	logf_(r->log, r->ctx, r->steps, "notify", "ok", "'%s' exited 0 (%zu bytes of the "
	      "summary on its standard input%s%s)", argv[0], nr.written,
	      nr.unread ? ", not all of it read" : "",
	      nr.lines_dropped ? "; output lines past 200 not logged" : "");
}

/*
 * The run is over (fail: the error that ends it, or NULL): its summary
 * made, kept in *res, written to the job's "summary" file and recorded as
 * the run's "summary" step; the notify_command run when the run alerts or
 * failed (not for a busy database: that run is tried again).  Nothing
 * here changes the exit code.
 */
static void finish(struct run *r, const struct rb_err *fail)
{
	struct rb_job_result *res = r->res;
	cJSON *s = summary_of(r, fail), *step;
	char path[PATH_MAX];
	struct rb_err we = { 0 };

	if (s == NULL || (res->summary = cJSON_PrintUnformatted(s)) == NULL) {
		cJSON_Delete(s);
		return;
	}
	if (r->job->summary[0] && subst(r->job->summary, "{period}", r->per.name, path) == 0) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path), path);
		if ((dir[0] != '\0' && rb_mkdir_p(dir, 0750, &we) != 0) ||
		    rb_write_json(path, s, 0640, &we) != 0)
			logf_(r->log, r->ctx, r->steps, "summary", "error", "%s", we.msg);
		else
			logf_(r->log, r->ctx, r->steps, "summary", "ok", "written to %s", path);
	}
	if (r->job->nnotify > 0 && res->exit_code != RB_EX_OK && res->exit_code != RB_EX_TEMPFAIL)
		notify(r, res->summary);
	if ((step = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(step, "step", "summary");
		cJSON_AddStringToObject(step, "status", status_of(res->exit_code));
		cJSON_AddStringToObject(step, "detail", "what the run found, named (the summary "
					"notify_command is given)");
		cJSON_AddItemToObject(step, "summary", s);
		s = NULL;
		cJSON_AddItemToArray(r->steps, step);
	}
	cJSON_Delete(s);
}

void rb_job_result_clear(struct rb_job_result *res)
{
	if (res == NULL)
		return;
	cJSON_free(res->summary);
	res->summary = NULL;
}

/*
 * One ledger's pass (ledger i of "ledgers", or the job's one): its reports
 * (or nothing new), missing and late data, retention, the textfile; its
 * figures folded into the run's.
 */
static int ledger_pass(struct run *r, int i, struct rb_err *e)
{
	struct rb_job_result *all = r->res, *lr = calloc(1, sizeof(*lr));
	cJSON *doc = NULL;
	int rc = -1;

	if (lr == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	lr->accepted = all->accepted;
	lr->noop = all->noop;
	lr->rejected = all->rejected;
	r->res = lr;
	if (use_ledger(r, i, e) != 0)
		goto out;
	report_opts(r);
	if ((r->late_list = cJSON_CreateArray()) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (report_period(r, &doc, e) != 0)
		goto out;
	check_stale(r, doc);
	if (late_all(r, e) != 0)
		goto out;
	if (!lr->nothing_to_do)
		retain(r->j, r->per.name, r->log, r->ctx, r->steps);
	if (copy_textfile(r, e) != 0)
		goto out;
	note_ledger(r, lr, doc);
	fold(all, lr, r->job->nledgers > 1 ? r->j->ledger : NULL, i <= 0);
	if (r->job->nledgers <= 1)
		snprintf(all->output, sizeof(all->output), "%s", lr->output);
	rc = 0;
out:
	r->res = all;
	cJSON_Delete(r->late_list);
	r->late_list = NULL;
	cJSON_Delete(doc);
	free(lr);
	return rc;
}

/* Before anything moves, each ledger's report folder, templates and textfile folder. */
static int preflight_all(struct run *r, struct rb_err *e)
{
	int i, n = r->job->nledgers ? r->job->nledgers : 1;

	for (i = 0; i < n; i++) {
		if (use_ledger(r, i, e) != 0)
			return -1;
		report_opts(r);
		if (rb_report_preflight(&r->ro, e) != 0 || check_textfile(r->j, e) != 0)
			return -1;
	}
	return use_ledger(r, -1, e);
}

/* The database against each ledger's newest signed pack (check_behind). */
static int check_behind_all(struct run *r, struct rb_err *e)
{
	int i, n = r->job->nledgers ? r->job->nledgers : 1;

	for (i = 0; i < n; i++)
		if (use_ledger(r, i, e) != 0 || check_behind(r, e) != 0)
			return -1;
	return use_ledger(r, -1, e);
}

/* The run's state, set up for job j; -1 when out of memory. */
static int run_init(struct run *r, const struct rb_job *j, int64_t now, int dry_run,
		    rb_job_log_fn log, void *ctx, struct rb_job_result *res)
{
	struct rb_time t0 = rb_time_now();

	r->j = r->job = j;
	r->now = now;
	r->dry = dry_run;
	r->log = log;
	r->ctx = ctx;
	r->res = res;
	r->steps = cJSON_CreateArray();
	r->pending = cJSON_CreateArray();
	r->alerting = cJSON_CreateArray();
	r->rejected = cJSON_CreateArray();
	r->ledgers = cJSON_CreateArray();
	rb_time_format(&t0, r->started);
	if (j->nledgers > 0 && (r->view = malloc(sizeof(*r->view))) != NULL)
		memcpy(r->view, j, sizeof(*j));
	return r->steps && r->pending && r->alerting && r->rejected && r->ledgers &&
	       (j->nledgers == 0 || r->view) ? 0 : -1;
}

static void run_free(struct run *r)
{
	cJSON_Delete(r->steps);
	cJSON_Delete(r->pending);
	cJSON_Delete(r->alerting);
	cJSON_Delete(r->rejected);
	cJSON_Delete(r->ledgers);
	rb_inbox_clear(&r->ib);
	rb_trust_free(r->trust);
	free(r->view);
	free(r);
}

/* The ledgers' passes, then the run's exit code, summary, notify and record. */
static int run_ledgers(struct run *r, struct rb_err *e)
{
	struct rb_job_result *res = r->res;
	int i, n = r->job->nledgers ? r->job->nledgers : 1;

	for (i = 0; i < n; i++)
		if (ledger_pass(r, i, e) != 0)
			return -1;
	if (use_ledger(r, -1, e) != 0)
		return -1;
	if (r->job->nledgers > 1)
		output_of(r->job, r->per.name, res->output);    /* {ledger} left in */
	res->exit_code = res->rejected ? RB_EX_REJECTED :
			 res->alerts || res->trust_alert || res->stale || res->late ?
			 RB_EX_FAIL : RB_EX_OK;
	finish(r, NULL);
	return record(r, 1, e);
}

int rb_job_run(const struct rb_job *j, const char *period, int64_t now, int dry_run,
	       rb_job_log_fn log, void *ctx, struct rb_job_result *res, struct rb_err *e)
{
	struct run *r = calloc(1, sizeof(*r));
	int lock = -1, locked = 0, rc = -1;

	memset(res, 0, sizeof(*res));
	if (r == NULL || run_init(r, j, now, dry_run, log, ctx, res) != 0) {
		if (r != NULL)
			run_free(r);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	if (rb_period_parse_cal(period ? period : "last-month", now, &j->cal, &r->per, e) != 0)
		goto out;
	snprintf(res->period, sizeof(res->period), "%s", r->per.name);
	output_of(j, r->per.name, res->output);
	if (take_lock(r, &lock, e) != 0)
		goto out;
	locked = lock >= 0;
	if (prepare(r, e) != 0)
		goto out;
	if (dry_run) {
		rc = dry_run_(r, e);
		goto out;
	}
	/*
	 * 1. The inbox, once the database is found not behind the signed packs;
	 * what was filed where is recorded before any report.
	 */
	if (check_behind_all(r, e) != 0 || ingest_all(r, e) != 0 ||
	    (cJSON_GetArraySize(r->pending) > 0 && record(r, 0, e) != 0))
		goto out;
	/*
	 * 2. Each ledger: analyse, render and sign (or nothing new); missing
	 * and late data; the textfile.  3. The summary, notify, the record.
	 */
	if (run_ledgers(r, e) != 0)
		goto out;
	logf_(log, ctx, NULL, "done", res->exit_code == 0 ? "ok" : res->exit_code == 1 ?
	      "alerts" : "rejected", "exit %d: %d accepted, %d rejected, %d %s, %d %s%s%s%s; "
	      "reports in %s", res->exit_code, res->accepted, res->rejected, res->rollbacks,
	      rb_plural(res->rollbacks, "rollback", "rollbacks"), res->alerts,
	      rb_plural(res->alerts, "alert", "alerts"), res->stale ? "; stale data" : "",
	      res->late ? "; late data in " : "", res->late_periods, res->output);
	rc = 0;
out:
	if (rc != 0 && locked && !dry_run)
		record_failure(r, e);
	run_free(r);
	if (lock >= 0)
		close(lock);
	return rc;
}
