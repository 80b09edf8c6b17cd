/* job.c - rbaudit run: the monthly job over the three stages. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include "lib/db.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/period.h"
#include "lib/rtime.h"
#include "lib/trust.h"
#include "report/report.h"

static const char *const finding_codes[] = { "approvals-missing", "separation-of-duties",
	"emergency-unreviewed", "unverified", "stale-revert", "security-regression" };
static const char *const levels[] = { "low", "medium", "high", "critical", "none" };

static const char *const members[] = { "database", "trust_store", "policy", "inbox",
	"archive", "quarantine", "output", "templates", "report_key", "report_key_name",
	"retention", "alert_level", "alert_findings", "trend", "sample", "sample_seed",
	"busy_timeout", "ledger", "log_format", "about" };

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

int rb_job_load(const char *path, struct rb_job *j, struct rb_err *e)
{
	char *buf = NULL, why[160], base[PATH_MAX];
	const char *slash = strrchr(path, '/');
	cJSON *doc = NULL;
	const cJSON *it, *x;
	size_t len, k;
	int64_t v;
	int rc = -1;

	memset(j, 0, sizeof(*j));
	j->alert_level = 2;     /* high */
	j->alert_findings = 1u << 0 | 1u << 1 | 1u << 2 | 1u << 5;
	j->trend = 6;
	j->sample = 25;
	j->busy_ms = 60000;
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
	cJSON_ArrayForEach(it, doc) {
		int known = 0;

		for (k = 0; k < sizeof(members) / sizeof(members[0]); k++)
			known |= strcmp(it->string, members[k]) == 0;
		if (!known) {
			bad(path, buf, it->string, "is not a job member (database, trust_store, "
			    "policy, inbox, archive, quarantine, output, templates, report_key, "
			    "retention, alert_level, alert_findings, ...)", e);
			goto out;
		}
	}
	if (path_member(path, buf, doc, "database", base, j->database, 1, e) != 0 ||
	    path_member(path, buf, doc, "trust_store", base, j->trust_store, 1, e) != 0 ||
	    path_member(path, buf, doc, "policy", base, j->policy, 0, e) != 0 ||
	    path_member(path, buf, doc, "inbox", base, j->inbox, 1, e) != 0 ||
	    path_member(path, buf, doc, "archive", base, j->archive, 0, e) != 0 ||
	    path_member(path, buf, doc, "quarantine", base, j->quarantine, 0, e) != 0 ||
	    path_member(path, buf, doc, "output", base, j->output, 1, e) != 0 ||
	    path_member(path, buf, doc, "report_key", base, j->report_key, 0, e) != 0)
		goto out;
	if (strstr(j->output, "{period}") == NULL) {
		bad(path, buf, "output", "must hold {period}, e.g. \"reports/{period}\"", e);
		goto out;
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "templates");
	if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0 || cJSON_GetArraySize(it) > 16) {
		bad(path, buf, "templates", "must be an array of 1 to 16 template names or files", e);
		goto out;
	}
	cJSON_ArrayForEach(x, it) {
		if (!cJSON_IsString(x) || x->valuestring[0] == '\0') {
			bad(path, buf, "templates", "must hold names or paths (strings)", e);
			goto out;
		}
		/* A name stays a name; a path is relative to the job file. */
		if (strlen(base) + strlen(x->valuestring) + 2 > PATH_MAX) {
			bad(path, buf, "templates", "holds a path that is too long", e);
			goto out;
		}
		if (strchr(x->valuestring, '/') != NULL && x->valuestring[0] != '/') {
			size_t bl = strlen(base);

			memcpy(j->templates[j->ntemplates], base, bl);
			j->templates[j->ntemplates][bl] = '/';
			strcpy(j->templates[j->ntemplates++] + bl + 1, x->valuestring);
		} else
			snprintf(j->templates[j->ntemplates++], PATH_MAX, "%s", x->valuestring);
	}
	if (rb_json_str(doc, "report_key_name") != NULL)
		snprintf(j->report_key_name, sizeof(j->report_key_name), "%s",
			 rb_json_str(doc, "report_key_name"));
	if (rb_json_str(doc, "ledger") != NULL)
		snprintf(j->ledger, sizeof(j->ledger), "%s", rb_json_str(doc, "ledger"));
	v = j->retention;
	if (int_member(path, buf, doc, "retention", 0, 10000, &v, e) != 0)
		goto out;
	j->retention = (int)v;
	v = j->trend;
	if (int_member(path, buf, doc, "trend", 0, 120, &v, e) != 0)
		goto out;
	j->trend = (int)v;
	v = j->sample;
	if (int_member(path, buf, doc, "sample", 0, 100000, &v, e) != 0)
		goto out;
	j->sample = (int)v;
	v = 0;
	if (int_member(path, buf, doc, "sample_seed", 0, RB_JSON_MAX_INT, &v, e) != 0)
		goto out;
	j->sample_seed = (uint64_t)v;
	v = j->busy_ms / 1000;
	if (int_member(path, buf, doc, "busy_timeout", 0, 86400, &v, e) != 0)
		goto out;
	j->busy_ms = (int)v * 1000;
	it = cJSON_GetObjectItemCaseSensitive(doc, "alert_level");
	if (it != NULL) {
		j->alert_level = -1;
		for (k = 0; k < 5 && cJSON_IsString(it); k++)
			if (strcmp(it->valuestring, levels[k]) == 0)
				j->alert_level = (int)k;
		if (j->alert_level < 0) {
			bad(path, buf, "alert_level", "must be low, medium, high, critical or none", e);
			goto out;
		}
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "alert_findings");
	if (it != NULL) {
		if (!cJSON_IsArray(it)) {
			bad(path, buf, "alert_findings", "must be an array of finding codes", e);
			goto out;
		}
		j->alert_findings = 0;
		cJSON_ArrayForEach(x, it) {
			int f = -1;

			for (k = 0; k < 6 && cJSON_IsString(x); k++)
				if (strcmp(x->valuestring, finding_codes[k]) == 0)
					f = (int)k;
			if (f < 0) {
				bad(path, buf, "alert_findings", "names something that is not a finding "
				    "code (approvals-missing, separation-of-duties, ...)", e);
				goto out;
			}
			j->alert_findings |= 1u << f;
		}
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "log_format");
	if (it != NULL) {
		if (!cJSON_IsString(it) || (strcmp(it->valuestring, "text") != 0 &&
					    strcmp(it->valuestring, "json") != 0)) {
			bad(path, buf, "log_format", "must be \"text\" or \"json\"", e);
			goto out;
		}
		j->log_json = strcmp(it->valuestring, "json") == 0;
	}
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

/* Is there a stored analysis for this ledger state, and its reports? */
static int up_to_date(const struct rb_job *j, const char *period, const char *hash,
		      const char *outdir)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct stat st;
	char p[PATH_MAX + 16];
	int found = 0;
	struct rb_err e;

	if (snprintf(p, sizeof(p), "%s/MANIFEST", outdir) >= (int)sizeof(p) ||
	    stat(p, &st) != 0)
		return 0;
	if (rb_db_open(j->database, RB_DB_READONLY, j->busy_ms, &db, &e) != 0)
		return 0;
	if (rb_db_prepare(db, "SELECT count(*) FROM analysis a JOIN ledger l ON l.id = a.ledger_id "
			  "WHERE a.period = ?1 AND a.policy_sha256 = ?2 AND a.ledger_size = l.size "
			  "AND a.trend_periods = ?3 AND a.sample_size = ?4 AND a.sample_seed = ?5",
			  &q, &e) == 0) {
		sqlite3_bind_text(q, 1, period, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, j->trend);
		sqlite3_bind_int(q, 4, j->sample);
		sqlite3_bind_int64(q, 5, (sqlite3_int64)j->sample_seed);
		if (sqlite3_step(q) == SQLITE_ROW)
			found = sqlite3_column_int(q, 0) > 0;
	}
	sqlite3_finalize(q);
	rb_db_close(db);
	return found;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Keep the newest `retention` report folders next to this one (period names). */
static void retain(const struct rb_job *j, const char *outdir, rb_job_log_fn log,
		   void *ctx, cJSON *steps)
{
	char parent[PATH_MAX], **names = NULL;
	const char *slash = strrchr(outdir, '/');
	size_t n = 0, i, k;
	DIR *d;
	struct dirent *de;

	if (j->retention <= 0 || slash == NULL || strcmp(strstr(j->output, "{period}"),
							 "{period}") != 0)
		return;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - outdir), outdir);
	d = opendir(parent);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct rb_period per;
		char m[PATH_MAX + 300];
		struct stat st;
		char **nn;

		/* Only folders named like a period and holding a MANIFEST. */
		if (de->d_name[0] == '.' || rb_period_parse(de->d_name, 0, &per, NULL) != 0 ||
		    strcmp(per.name, de->d_name) != 0)
			continue;
		snprintf(m, sizeof(m), "%s/%s/MANIFEST", parent, de->d_name);
		if (stat(m, &st) != 0)
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (nn == NULL)
			break;
		names = nn;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && strcmp(names[k], names[k - 1]) < 0; k--) {
			char *t = names[k];

			names[k] = names[k - 1];
			names[k - 1] = t;
		}
	for (i = 0; n > (size_t)j->retention && i < n - (size_t)j->retention; i++) {
		char p[PATH_MAX + 300];

		snprintf(p, sizeof(p), "%s/%s", parent, names[i]);
		nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		logf_(log, ctx, steps, "retention", "removed", "%s (keeping the newest %d)", p,
		      j->retention);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int record(const struct rb_job *j, const char *started, const struct rb_job_result *r,
		  cJSON *steps, struct rb_err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct rb_time now = rb_time_now();
	char fin[RB_TIME_MAX], *s = cJSON_PrintUnformatted(steps);
	int rc = -1;

	rb_time_format(&now, fin);
	if (s == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_open(j->database, RB_DB_CREATE, j->busy_ms, &db, e) != 0 ||
	    rb_db_prepare(db, "INSERT INTO job_run (started, finished, period, exit_code, accepted, "
			  "noop, rejected, rollbacks, alerts, output, steps) VALUES "
			  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &q, e) != 0)
		goto out;
	sqlite3_bind_text(q, 1, started, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, fin, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->period, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, r->exit_code);
	sqlite3_bind_int(q, 5, r->accepted);
	sqlite3_bind_int(q, 6, r->noop);
	sqlite3_bind_int(q, 7, r->rejected);
	sqlite3_bind_int(q, 8, r->rollbacks);
	sqlite3_bind_int(q, 9, r->alerts);
	sqlite3_bind_text(q, 10, r->output, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 11, s, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) != SQLITE_DONE) {
		rb_db_fail(db, rc, e, "cannot record the run");
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	rb_db_close(db);
	cJSON_free(s);
	return rc;
}

/* The analysis hands over each rollback: count it, and whether it alerts. */
struct alerts {
	const struct rb_job *j;
	struct rb_job_result *res;
};

static int count_alert(void *ctx, const cJSON *r, struct rb_err *e)
{
	struct alerts *al = ctx;
	const char *lv = rb_json_str(r, "level");
	const cJSON *f;
	int k, alert = 0;

	al->res->rollbacks++;
	for (k = al->j->alert_level; k < 4; k++)
		alert |= lv != NULL && strcmp(lv, levels[k]) == 0;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r, "findings"))
		for (k = 0; k < 6; k++)
			if ((al->j->alert_findings >> k & 1) &&
			    strcmp(f->valuestring, finding_codes[k]) == 0)
				alert = 1;
	al->res->alerts += alert;
	return 0;
}

int rb_job_run(const struct rb_job *j, const char *period, int64_t now, int dry_run,
	       rb_job_log_fn log, void *ctx, struct rb_job_result *res, struct rb_err *e)
{
	char lockpath[PATH_MAX + 16], hash[65], started[RB_TIME_MAX];
	struct rb_time t0 = rb_time_now();
	struct rb_policy pol;
	struct rb_period per;
	struct rb_ingest_opts io = { 0 };
	rb_trust *trust = NULL;
	rb_ingest *g = NULL;
	char **dirs = NULL;
	size_t ndirs = 0, i;
	cJSON *steps = cJSON_CreateArray(), *doc = NULL;
	int lock = -1, rc = -1;

	memset(res, 0, sizeof(*res));
	rb_time_format(&t0, started);
	if (rb_period_parse(period ? period : "last-month", now, &per, e) != 0)
		goto out;
	snprintf(res->period, sizeof(res->period), "%s", per.name);
	output_of(j, per.name, res->output);
	/* One run at a time per database. */
	snprintf(lockpath, sizeof(lockpath), "%s.lock", j->database);
	lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (lock < 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot open the lock '%s': %s", lockpath, strerror(errno));
		goto out;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		RB_ERR(e, RB_EX_TEMPFAIL, "another rbaudit run holds '%s': try again later", lockpath);
		goto out;
	}
	rb_policy_default(&pol);
	if ((j->policy[0] && rb_policy_load(j->policy, &pol, e) != 0) ||
	    rb_trust_load(j->trust_store, &trust, e) != 0)
		goto out;
	if (rb_policy_hash(&pol, hash) != 0) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	logf_(log, ctx, steps, "start", "ok", "period %s, database %s%s", per.name, j->database,
	      dry_run ? " (dry run: nothing is written)" : "");
	/* 1. The inbox. */
	if (rb_mkdir_p(j->inbox, 0750, e) != 0 || rb_inbox_list(j->inbox, &dirs, &ndirs, e) != 0)
		goto out;
	if (dry_run) {
		for (i = 0; i < ndirs; i++) {
			struct rb_verify_opts vo = { 0 };
			rb_vreport *r = NULL;

			if (rb_verify_export(dirs[i], trust, &vo, &r, e) != 0)
				goto out;
			if (rb_vreport_valid(r))
				res->accepted++;
			else
				res->rejected++;
			logf_(log, ctx, steps, "verify", rb_vreport_valid(r) ? "ok" : "rejected",
			      "%s: %s", dirs[i], rb_vreport_valid(r) ? "would be ingested" :
			      rb_vreport_error(r, 0)->msg);
			rb_vreport_free(r);
		}
		logf_(log, ctx, steps, "analyze", "skipped", "would analyse %s and render %d "
		      "templates into %s", per.name, j->ntemplates, res->output);
		res->exit_code = res->rejected ? RB_EX_REJECTED : RB_EX_OK;
		rc = 0;
		goto out;
	}
	io.db_path = j->database;
	io.trust = trust;
	io.busy_ms = j->busy_ms;
	if (rb_ingest_open(&io, &g, e) != 0)
		goto out;
	for (i = 0; i < ndirs; i++) {
		struct rb_ingest_outcome *oc = NULL;
		const struct rb_finding *f;

		if (rb_ingest_export(g, dirs[i], &oc, e) != 0)
			goto out;
		if (rb_ingest_file_away(oc, j->archive[0] ? j->archive : NULL,
					j->quarantine[0] ? j->quarantine : NULL, e) != 0) {
			rb_ingest_outcome_free(oc);
			goto out;
		}
		f = rb_vreport_error(oc->report, 0);
		switch (oc->verdict) {
		case RB_ACCEPTED:
			res->accepted++;
			logf_(log, ctx, steps, "ingest", "accepted", "%s: %llu new entries", dirs[i],
			      (unsigned long long)oc->new_entries);
			break;
		case RB_NOOP:
			res->noop++;
			logf_(log, ctx, steps, "ingest", "noop", "%s: already stored", dirs[i]);
			break;
		default:
			res->rejected++;
			logf_(log, ctx, steps, "ingest", "rejected", "%s: %s seq %lld line %lld: %s%s%s",
			      dirs[i], f ? f->code : "?", f ? (long long)f->seq : -1LL,
			      f ? f->line : -1LL, f ? f->msg : "", oc->moved_to ? "; moved to " : "",
			      oc->moved_to ? oc->moved_to : "");
			break;
		}
		rb_ingest_outcome_free(oc);
	}
	if (rb_ingest_close(g, e) != 0) {
		g = NULL;
		goto out;
	}
	g = NULL;
	/* 2. Nothing new and the reports are there: nothing to do. */
	if (res->accepted == 0 && up_to_date(j, per.name, hash, res->output)) {
		res->nothing_to_do = 1;
		res->exit_code = res->rejected ? RB_EX_REJECTED : RB_EX_OK;
		logf_(log, ctx, steps, "analyze", "noop", "nothing new since the last run: the "
		      "analysis of %s and its reports in %s are current", per.name, res->output);
		rc = 0;
		goto out;
	}
	/* 3. Analyse. */
	{
		struct rb_analyze_opts ao;
		struct alerts al;

		memset(&ao, 0, sizeof(ao));
		ao.db_path = j->database;
		ao.ledger = j->ledger[0] ? j->ledger : NULL;
		ao.period = per.name;
		ao.now = now;
		ao.policy = &pol;
		ao.trend = j->trend;
		ao.sample = j->sample;
		ao.sample_seed = j->sample_seed;
		ao.store = 1;
		ao.busy_ms = j->busy_ms;
		ao.on_rollback = count_alert;
		ao.rollback_ctx = &al;
		al.j = j;
		al.res = res;
		if (rb_analyze(&ao, &doc, e) != 0)
			goto out;
		logf_(log, ctx, steps, "analyze", "ok", "%d rollbacks in %s; %d at or above the "
		      "alert threshold", res->rollbacks, per.name, res->alerts);
	}
	/* 4. Render and sign. */
	{
		struct rb_report_opts ro;
		struct rb_report_result rr;
		const char *tp[16];
		int k;

		memset(&ro, 0, sizeof(ro));
		for (k = 0; k < j->ntemplates; k++)
			tp[k] = j->templates[k];
		ro.db_path = j->database;
		ro.ledger = j->ledger[0] ? j->ledger : NULL;
		ro.period = per.name;
		ro.now = now;
		ro.policy_sha256 = hash;
		ro.templates = tp;
		ro.ntemplates = (size_t)j->ntemplates;
		ro.out_dir = res->output;
		ro.sign_key = j->report_key[0] ? j->report_key : NULL;
		ro.sign_name = j->report_key_name[0] ? j->report_key_name : NULL;
		ro.busy_ms = j->busy_ms;
		if (rb_report(&ro, &rr, e) != 0)
			goto out;
		logf_(log, ctx, steps, "report", "ok", "%zu files and a %s MANIFEST in %s", rr.nfiles,
		      rr.signed_manifest ? "signed" : "unsigned", res->output);
	}
	retain(j, res->output, log, ctx, steps);
	res->exit_code = res->rejected ? RB_EX_REJECTED : res->alerts ? RB_EX_FAIL : RB_EX_OK;
	/* 5. Record the run. */
	if (record(j, started, res, steps, e) != 0)
		goto out;
	logf_(log, ctx, NULL, "done", res->exit_code == 0 ? "ok" : res->exit_code == 1 ?
	      "alerts" : "rejected", "exit %d: %d accepted, %d rejected, %d rollbacks, %d alerts; "
	      "reports in %s", res->exit_code, res->accepted, res->rejected, res->rollbacks,
	      res->alerts, res->output);
	rc = 0;
out:
	if (g != NULL) {
		struct rb_err ce;

		rb_ingest_close(g, &ce);
	}
	cJSON_Delete(doc);
	cJSON_Delete(steps);
	rb_strv_free(dirs, ndirs);
	rb_trust_free(trust);
	if (lock >= 0)
		close(lock);
	return rc;
}
