/*
 * openmetrics.c - the period's figures in the Prometheus text exposition
 * format, version 0.0.4 (the format node_exporter's textfile collector
 * reads), for dashboards: docs/REPORTS.md "OpenMetrics for dashboards"
 * lists every series, its labels and its unit.
 *
 * Every series is a gauge (a period's figure goes down as well as up from
 * one period to the next) or, for the durations, a summary; each has a
 * "# HELP" and a "# TYPE" line, and the labels ledger and period.  A label
 * value escapes '\\', '"' and LF as \\ \" \n.  No sample has a timestamp
 * (the textfile collector refuses them).  A figure the analysis has as
 * null (a rate without deployments) is left out, its family with it.  The
 * rollbacks are read one at a time from the stored rows, for what the
 * analysis document does not hold per label (service, team, environment)
 * and for the durations' sums.
 */
#include "render.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/rtime.h"
#include "lib/vocab.h"

/* Rollbacks of one service, team and environment. */
struct combo {
	char *label[3];         /* service, team, environment ("unknown" for a null) */
	long long n;
};

/* A duration over the rollbacks that have it: their number and sum, in seconds. */
struct dur {
	long long n;
	double sum;
};

/* What the rollbacks add to the analysis document. */
struct tally {
	struct combo *c;
	size_t nc, cap;
	long long flagged, with_findings;
	long long required[RB_NEVIDENCE], present[RB_NEVIDENCE];
	struct dur ttd, ttr, lat;
};

struct om {
	FILE *f;
	const char *ledger, *period;
};

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A label value, escaped as the format says. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			putc(*s, f);
	}
}

/* Equal within the precision of the larger of the two. */
static int same_double(double a, double b)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= m * DBL_EPSILON;
}

/* A sample's value: whole numbers in decimal, others in the shortest of 15 or 17 digits. */
static void put_value(FILE *f, double d)
{
	char buf[64], *end;

	if (isnan(d)) {
		fputs("NaN", f);
	} else if (isinf(d)) {
		fputs(d > 0 ? "+Inf" : "-Inf", f);
	} else if (d == floor(d) && fabs(d) < 9007199254740992.0) {
		fprintf(f, "%.0f", d);
	} else {
		snprintf(buf, sizeof(buf), "%1.15g", d);
		if (!same_double(strtod(buf, &end), d) || *end != '\0')
			snprintf(buf, sizeof(buf), "%1.17g", d);
		fputs(buf, f);
	}
}

static void family(struct om *m, const char *name, const char *type, const char *help)
{
	fprintf(m->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{ledger="...",period="..." : the caller adds labels, then end(). */
static void begin(struct om *m, const char *name)
{
	fprintf(m->f, "%s{ledger=\"", name);
	put_escaped(m->f, m->ledger);
	fputs("\",period=\"", m->f);
	put_escaped(m->f, m->period);
	putc('"', m->f);
}

static void label(struct om *m, const char *name, const char *value)
{
	fprintf(m->f, ",%s=\"", name);
	put_escaped(m->f, value);
	putc('"', m->f);
}

static void end(struct om *m, double v)
{
	fputs("} ", m->f);
	put_value(m->f, v);
	putc('\n', m->f);
}

/* A gauge with the ledger and period labels only; none when v is not a number. */
static void gauge(struct om *m, const char *name, const char *help, const cJSON *v)
{
	if (!cJSON_IsNumber(v))
		return;
	family(m, name, "gauge", help);
	begin(m, name);
	end(m, v->valuedouble);
}

static void gauge_n(struct om *m, const char *name, const char *help, double v)
{
	family(m, name, "gauge", help);
	begin(m, name);
	end(m, v);
}

/* A gauge with one more label, a sample per member of obj (name -> count). */
static void gauge_by(struct om *m, const char *name, const char *help, const char *lab,
		     const cJSON *obj)
{
	const cJSON *x;
	int first = 1;

	cJSON_ArrayForEach(x, obj) {
		if (!cJSON_IsNumber(x))
			continue;
		if (first)
			family(m, name, "gauge", help);
		first = 0;
		begin(m, name);
		label(m, lab, x->string);
		end(m, x->valuedouble);
	}
}

/*
 * A duration as a summary: quantiles 0.5 and 0.9 (the analysis's median
 * and p90, metrics-v1 §3), when it has them, then _sum and _count over the
 * rollbacks that have the duration.
 */
static void summary(struct om *m, const char *name, const char *help, const cJSON *st,
		    const struct dur *d)
{
	static const char *const q[2][2] = { { "0.5", "median" }, { "0.9", "p90" } };
	char sub[96];
	int i;

	family(m, name, "summary", help);
	for (i = 0; i < 2; i++) {
		const cJSON *v = get(st, q[i][1]);

		if (!cJSON_IsNumber(v))
			continue;
		begin(m, name);
		label(m, "quantile", q[i][0]);
		end(m, v->valuedouble);
	}
	snprintf(sub, sizeof(sub), "%s_sum", name);
	begin(m, sub);
	end(m, d->sum);
	snprintf(sub, sizeof(sub), "%s_count", name);
	begin(m, sub);
	end(m, (double)d->n);
}

static int combo_cmp(const void *a, const void *b)
{
	const struct combo *x = a, *y = b;
	int i, c;

	for (i = 0; i < 3; i++)
		if ((c = strcmp(x->label[i], y->label[i])) != 0)
			return c;
	return 0;
}

/* Count r under its service, team and environment; -1 when out of memory. */
static int count_combo(struct tally *t, const cJSON *r)
{
	static const char *const keys[3] = { "service", "team", "environment" };
	const char *v[3];
	struct combo *c;
	size_t i;
	int k;

	for (k = 0; k < 3; k++) {
		/* As the analysis's by_service, by_team and by_environment name a null. */
		v[k] = rb_json_str(r, keys[k]);
		v[k] = v[k] != NULL ? v[k] : "unknown";
	}
	for (i = 0; i < t->nc; i++)
		if (strcmp(t->c[i].label[0], v[0]) == 0 && strcmp(t->c[i].label[1], v[1]) == 0 &&
		    strcmp(t->c[i].label[2], v[2]) == 0) {
			t->c[i].n++;
			return 0;
		}
	if (t->nc == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;

		if ((c = realloc(t->c, cap * sizeof(*c))) == NULL)
			return -1;
		t->c = c;
		t->cap = cap;
	}
	c = &t->c[t->nc];
	memset(c, 0, sizeof(*c));
	for (k = 0; k < 3; k++)
		if ((c->label[k] = strdup(v[k])) == NULL) {
			while (k-- > 0)
				free(c->label[k]);
			return -1;
		}
	c->n = 1;
	t->nc++;
	return 0;
}

static void add_dur(struct dur *d, const cJSON *v)
{
	if (cJSON_IsNumber(v)) {
		d->n++;
		d->sum += v->valuedouble;
	}
}

/* What one rollback adds to the tally; -1 when out of memory. */
static int count_rollback(struct tally *t, const cJSON *r, int flagged)
{
	const cJSON *ev;

	t->flagged += flagged != 0;
	t->with_findings += cJSON_GetArraySize(get(r, "findings")) > 0;
	cJSON_ArrayForEach(ev, get(r, "evidence")) {
		int k = rb_evidence_of(ev->string);

		if (k < 0 || !cJSON_IsTrue(get(ev, "required")))
			continue;
		t->required[k]++;
		t->present[k] += cJSON_IsTrue(get(ev, "present"));
	}
	add_dur(&t->ttd, get(r, "ttd"));
	add_dur(&t->ttr, get(r, "ttr"));
	add_dur(&t->lat, get(r, "approval_latency"));
	return count_combo(t, r);
}

/* One pass over the rollbacks (an older analysis's own array, else the stored rows). */
static int tally_rollbacks(const struct rb_report_data *d, struct tally *t, struct rb_err *e)
{
	const cJSON *inline_rb = get(d->a, "rollbacks"), *r;
	rb_rows *rows = NULL;
	int rc = -1;

	if (inline_rb == NULL && rb_rows_open(d, &rows, e) != 0)
		return -1;
	r = inline_rb != NULL ? inline_rb->child : rb_rows_next(rows);
	while (r != NULL) {
		if (count_rollback(t, r, inline_rb != NULL ? rb_rollback_flagged(r) :
				   rb_rows_flagged(rows)) != 0) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
		r = inline_rb != NULL ? r->next : rb_rows_next(rows);
	}
	if (rows != NULL && rb_rows_check(rows, d->db, e) != 0)
		goto out;
	/* By service, team and environment, so that the same data give the same bytes. */
	if (t->nc > 1)
		qsort(t->c, t->nc, sizeof(*t->c), combo_cmp);
	rc = 0;
out:
	rb_rows_close(rows);
	return rc;
}

static void tally_free(struct tally *t)
{
	size_t i;
	int k;

	for (i = 0; i < t->nc; i++)
		for (k = 0; k < 3; k++)
			free(t->c[i].label[k]);
	free(t->c);
}

/* The period's counts: rollbacks, deployments, rate, failures, flags. */
static void put_counts(struct om *m, const cJSON *a, const struct tally *t)
{
	size_t i;

	gauge(m, "rbaudit_rollbacks_executed", "Rollbacks of the period: requested, and first "
	      "executed in the period (metrics-v1).", get(a, "rollbacks_executed"));
	if (t->nc > 0)
		family(m, "rbaudit_service_rollbacks_executed", "gauge", "Rollbacks of the "
		       "period by service, team and environment (\"unknown\" when not recorded).");
	for (i = 0; i < t->nc; i++) {
		begin(m, "rbaudit_service_rollbacks_executed");
		label(m, "service", t->c[i].label[0]);
		label(m, "team", t->c[i].label[1]);
		label(m, "environment", t->c[i].label[2]);
		end(m, (double)t->c[i].n);
	}
	gauge(m, "rbaudit_deployments", "Changes first deployed in the period.",
	      get(a, "deployments"));
	gauge(m, "rbaudit_rollback_rate", "Rollbacks executed per deployment in the period "
	      "(a ratio; absent without deployments).", get(a, "rollback_rate"));
	gauge(m, "rbaudit_failed_executions", "Failed execution attempts in the period (a "
	      "rollback.executed whose result is not success).", get(a, "failed_executions"));
	gauge_n(m, "rbaudit_rollbacks_flagged", "Rollbacks of the period with a finding or a "
		"security level of high or critical.", (double)t->flagged);
	gauge_n(m, "rbaudit_rollbacks_with_findings", "Rollbacks of the period with at least "
		"one finding.", (double)t->with_findings);
	gauge_by(m, "rbaudit_findings", "Findings of the period's rollbacks, by finding code.",
		 "code", get(a, "finding_counts"));
	gauge_by(m, "rbaudit_rollbacks_by_level", "Rollbacks of the period by security impact "
		 "level.", "level", get(a, "levels"));
}

/* Evidence completeness: the period's ratios and, per item, required and present. */
static void put_evidence(struct om *m, const cJSON *a, const struct tally *t)
{
	static const char *const names[2] = { "rbaudit_evidence_required",
					      "rbaudit_evidence_present" };
	static const char *const helps[2] = {
		"Rollbacks of the period that required the evidence item.",
		"Rollbacks of the period that required the evidence item and have it." };
	int w, k;

	gauge(m, "rbaudit_evidence_complete", "Rollbacks of the period with a complete "
	      "evidence package.", get(a, "evidence_complete"));
	gauge(m, "rbaudit_evidence_complete_ratio", "Share of the period's rollbacks with a "
	      "complete evidence package.", get(a, "evidence_complete_ratio"));
	gauge(m, "rbaudit_evidence_mean_completeness_ratio", "Mean evidence completeness "
	      "(present / required) of the period's rollbacks.",
	      get(a, "evidence_mean_completeness"));
	for (w = 0; w < 2; w++) {
		family(m, names[w], "gauge", helps[w]);
		for (k = 0; k < RB_NEVIDENCE; k++) {
			begin(m, names[w]);
			label(m, "item", rb_evidence_names[k]);
			end(m, (double)(w == 0 ? t->required[k] : t->present[k]));
		}
	}
}

/* How fresh and how whole the data is (the attestation's late and missing data). */
static void put_data(struct om *m, const cJSON *a, const cJSON *at)
{
	const char *asof = rb_json_str(a, "as_of");
	const cJSON *cov = get(at, "coverage"), *pct = get(cov, "percent");
	struct rb_time t;

	if (asof != NULL && rb_time_parse(asof, strlen(asof), &t) == 0)
		gauge_n(m, "rbaudit_data_as_of_timestamp_seconds", "Time of the ledger's newest "
			"entry when the period was analysed (Unix time).",
			(double)t.sec + t.nsec / 1e9);
	if (cJSON_IsNumber(pct))
		gauge_n(m, "rbaudit_period_coverage_ratio", "Share of the period the data covers "
			"(up to the newest entry), rounded down to 0.001.",
			pct->valuedouble / 100.0);
	if (cJSON_IsArray(get(at, "rejected_exports")))
		gauge_n(m, "rbaudit_rejected_exports", "Exports rejected or quarantined by the "
			"job that touch the period.",
			(double)cJSON_GetArraySize(get(at, "rejected_exports")));
	gauge(m, "rbaudit_verification_warnings", "Verification warnings of the period's "
	      "entries.", get(at, "warnings_total"));
	gauge(m, "rbaudit_entries_failing_verification", "Entries touching the period that no "
	      "longer verify under the trust store of the last re-check.",
	      get(get(at, "trust"), "failures_in_period"));
}

static int write_metrics(FILE *f, const struct rb_report_data *d, struct rb_err *e)
{
	struct tally t;
	struct om m = { f, rb_json_str(d->a, "ledger"), rb_json_str(d->a, "period") };
	int rc;

	memset(&t, 0, sizeof(t));
	if (m.ledger == NULL || m.period == NULL)
		return RB_ERR(e, RB_EX_DATAERR, "the stored analysis names no ledger or period");
	rc = tally_rollbacks(d, &t, e);
	if (rc == 0) {
		put_counts(&m, d->a, &t);
		summary(&m, "rbaudit_time_to_detect_seconds", "Time to detect (detected - first "
			"deployment of the change) of the period's rollbacks.", get(d->a, "ttd"),
			&t.ttd);
		summary(&m, "rbaudit_time_to_restore_seconds", "Time to restore (executed - "
			"detected) of the period's rollbacks.", get(d->a, "ttr"), &t.ttr);
		summary(&m, "rbaudit_approval_latency_seconds", "Approval latency (the needed "
			"approval - the request) of the period's approved rollbacks.",
			get(d->a, "approval_latency"), &t.lat);
		put_evidence(&m, d->a, &t);
		put_data(&m, d->a, d->attest);
	}
	tally_free(&t);
	return rc;
}

int rb_render_openmetrics(const struct rb_report_data *d, const struct rb_template *t,
			  const char *path, struct rb_err *e)
{
	FILE *f = fopen(path, "w");

	(void)t;
	if (f == NULL)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
	if (write_metrics(f, d, e) != 0) {
		fclose(f);
		return -1;
	}
	return rb_fclose_synced(f, path, e);
}
