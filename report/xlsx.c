/* xlsx.c - engineering workbooks with libxlsxwriter, in constant memory. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "lib/json.h"
#include "lib/rtime.h"
#include "lib/vocab.h"

struct xl {
	lxw_workbook *wb;
	lxw_format *head, *dt, *hours, *pct, *intf, *title, *wrap, *top;
	const cJSON *a, *attest;
	const struct rb_report_data *d;
	int failed;             /* the workbook fails: err says why */
	struct rb_err err;
};

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = rb_json_str(o, k);

	return s ? s : "";
}

/*
 * Characters of UTF-8 text as a spreadsheet counts them (UTF-16 units: a
 * character beyond U+FFFF counts twice); *cut is set to the byte offset
 * after which the count passes limit (strlen when it never does).
 */
static long long sheet_chars(const char *s, long long limit, size_t *cut)
{
	long long n = 0;
	size_t i;

	*cut = strlen(s);
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char b = (unsigned char)s[i];

		if ((b & 0xC0) == 0x80)
			continue;       /* a continuation byte */
		if (n + (b >= 0xF0 ? 2 : 1) > limit && *cut == strlen(s))
			*cut = i;
		n += b >= 0xF0 ? 2 : 1;
	}
	return n;
}

/*
 * Text always as a string cell: never a formula, whatever it starts with.
 * A text longer than a cell holds is cut, with a marker saying so, and
 * counted for the report's warning; never silently dropped.
 */
static void put_str(struct xl *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
		    const char *s, lxw_format *f)
{
	char marker[96], *cell;
	size_t cut, keep;
	long long n;

	if (s == NULL)
		s = "";
	n = sheet_chars(s, RB_XLSX_CELL_MAX, &cut);
	if (n <= RB_XLSX_CELL_MAX) {
		worksheet_write_string(ws, r, c, s, f);
		return;
	}
	rb_truncation_marker(n, marker, sizeof(marker));
	sheet_chars(s, RB_XLSX_CELL_MAX - sheet_chars(marker, RB_XLSX_CELL_MAX, &keep), &keep);
	cell = malloc(keep + strlen(marker) + 1);
	if (cell == NULL) {
		if (!x->failed)
			RB_ERR(&x->err, RB_EX_SOFTWARE, "out of memory");
		x->failed = 1;
		return;
	}
	memcpy(cell, s, keep);
	strcpy(cell + keep, marker);
	worksheet_write_string(ws, r, c, cell, f);
	free(cell);
	if (x->d->stats != NULL) {
		x->d->stats->truncated_cells++;
		if (n > x->d->stats->truncated_chars)
			x->d->stats->truncated_chars = n;
	}
}

static void put_num(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const cJSON *v,
		    double scale, lxw_format *f)
{
	if (cJSON_IsNumber(v))
		worksheet_write_number(ws, r, c, v->valuedouble * scale, f);
	else
		worksheet_write_blank(ws, r, c, f);
}

static void put_time(struct xl *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
		     const char *text)
{
	struct rb_time t;
	int64_t y;
	unsigned m, d;
	lxw_datetime dt;

	if (text == NULL || rb_time_parse(text, strlen(text), &t) != 0) {
		worksheet_write_blank(ws, r, c, NULL);
		return;
	}
	rb_civil_from_days(t.sec / 86400, &y, &m, &d);
	dt.year = (int)y;
	dt.month = (int)m;
	dt.day = (int)d;
	dt.hour = (int)(t.sec % 86400 / 3600);
	dt.min = (int)(t.sec % 3600 / 60);
	dt.sec = (double)(t.sec % 60) + t.nsec / 1e9;
	worksheet_write_datetime(ws, r, c, &dt, x->dt);
}

static void header(struct xl *x, lxw_worksheet *ws, const char *const *cols,
		   const double *widths, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		put_str(x, ws, 0, (lxw_col_t)i, cols[i], x->head);
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, widths[i], NULL);
	}
	worksheet_freeze_panes(ws, 1, 0);
}

/* The autofilter over the rows written (known only at the end: streaming). */
static void finish(lxw_worksheet *ws, lxw_row_t rows_written, int ncols)
{
	worksheet_autofilter(ws, 0, 0, rows_written > 1 ? rows_written - 1 : 1,
			     (lxw_col_t)(ncols - 1));
}

/*
 * The analysis's rollbacks from the database, one in memory at a time:
 * rows_begin opens the cursor (NULL after an error, kept in x), rows_end
 * checks that every row was read and closes it.
 */
static rb_rows *rows_begin(struct xl *x)
{
	rb_rows *rows = NULL;

	if (!x->failed && rb_rows_open(x->d, &rows, &x->err) != 0)
		x->failed = 1;
	return x->failed ? NULL : rows;
}

static void rows_end(struct xl *x, rb_rows *rows)
{
	if (rows != NULL && !x->failed && rb_rows_check(rows, x->d->db, &x->err) != 0)
		x->failed = 1;
	rb_rows_close(rows);
}

/*
 * Late and missing data, on the Summary sheet: the coverage of the period,
 * how many rejected exports and warnings the JSON report and the PDF packs
 * list, and the MANIFEST this workbook's folder supersedes.
 */
static lxw_row_t summary_late(struct xl *x, lxw_worksheet *ws, lxw_row_t r)
{
	const cJSON *cov = get(x->attest, "coverage"), *sup = get(x->attest, "supersedes");

	put_str(x, ws, r, 0, "Newest entry of the ledger", NULL);
	put_time(x, ws, r++, 1, rb_json_str(cov, "newest_entry"));
	put_str(x, ws, r, 0, "Share of the period the data covers", NULL);
	if (cJSON_IsNumber(get(cov, "percent")))
		worksheet_write_number(ws, r, 1, get(cov, "percent")->valuedouble / 100, x->pct);
	r++;
	put_str(x, ws, r, 0, "Period complete", NULL);
	put_str(x, ws, r++, 1, cov == NULL ? "unknown" : cJSON_IsTrue(get(cov, "complete")) ?
		"yes" : "no: INCOMPLETE", NULL);
	put_str(x, ws, r, 0, "Exports rejected or quarantined touching it", NULL);
	worksheet_write_number(ws, r++, 1, cJSON_GetArraySize(get(x->attest, "rejected_exports")),
			       x->intf);
	put_str(x, ws, r, 0, "Verification warnings of its entries", NULL);
	put_num(ws, r++, 1, get(x->attest, "warnings_total"), 1, x->intf);
	put_str(x, ws, r, 0, "Entries that no longer verify (trust store as it is)", NULL);
	put_num(ws, r++, 1, get(get(x->attest, "trust"), "failures_in_period"), 1, x->intf);
	put_str(x, ws, r, 0, "Every entry behind the period verifies", NULL);
	put_str(x, ws, r++, 1, cJSON_IsFalse(get(get(x->attest, "trust"), "current")) ?
		"not attested: re-checked against another trust store" :
		cJSON_IsTrue(get(get(x->attest, "trust"), "all_verified")) ? "yes" :
		"NO: see the auditor pack", NULL);
	if (sup != NULL) {
		put_str(x, ws, r, 0, "Supersedes the MANIFEST of SHA-256", NULL);
		put_str(x, ws, r++, 1, str(sup, "manifest_sha256"), NULL);
		put_str(x, ws, r, 0, "Why", NULL);
		put_str(x, ws, r++, 1, str(sup, "reason"), NULL);
	}
	return r;
}

static void sheet_summary(struct xl *x)
{
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Summary");
	const cJSON *a = x->a, *s;
	lxw_chart *chart;
	lxw_chart_series *ser;
	lxw_row_t r = 0, first;
	int n = 0;
	static const struct { const char *label, *k1, *k2; int kind; } rows[] = {
		{ "Rollbacks executed", "rollbacks_executed", NULL, 0 },
		{ "Deployments", "deployments", NULL, 0 },
		{ "Failed execution attempts", "failed_executions", NULL, 0 },
		{ "Rollback rate", "rollback_rate", NULL, 2 },
		{ "MTTD (mean time to detect), hours", "ttd", "mean", 1 },
		{ "Median time to detect, hours", "ttd", "median", 1 },
		{ "MTTR (mean time to restore), hours", "ttr", "mean", 1 },
		{ "Median time to restore, hours", "ttr", "median", 1 },
		{ "p90 time to restore, hours", "ttr", "p90", 1 },
		{ "Median approval latency, hours", "approval_latency", "median", 1 },
		{ "Complete evidence packages", "evidence_complete", NULL, 0 },
		{ "Complete evidence ratio", "evidence_complete_ratio", NULL, 2 },
		{ "Mean evidence completeness", "evidence_mean_completeness", NULL, 2 },
	};
	size_t i;

	worksheet_set_column(ws, 0, 0, 38, NULL);
	worksheet_set_column(ws, 1, 1, 44, NULL);
	put_str(x, ws, r++, 0, "Rollback metrics", x->title);
	put_str(x, ws, r, 0, "Ledger", NULL);
	put_str(x, ws, r++, 1, str(a, "ledger"), NULL);
	put_str(x, ws, r, 0, "Period", NULL);
	put_str(x, ws, r++, 1, str(a, "period"), NULL);
	put_str(x, ws, r, 0, "Data as of", NULL);
	put_time(x, ws, r++, 1, str(a, "as_of"));
	put_str(x, ws, r, 0, "Policy SHA-256", NULL);
	put_str(x, ws, r++, 1, str(a, "policy_sha256"), NULL);
	r = summary_late(x, ws, r);
	r++;
	put_str(x, ws, r, 0, "Metric", x->head);
	put_str(x, ws, r++, 1, "Value", x->head);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const cJSON *v = get(a, rows[i].k1);

		if (rows[i].k2 != NULL)
			v = get(v, rows[i].k2);
		put_str(x, ws, r, 0, rows[i].label, NULL);
		put_num(ws, r++, 1, v, rows[i].kind == 1 ? 1 / 3600.0 : 1,
			rows[i].kind == 1 ? x->hours : rows[i].kind == 2 ? x->pct : x->intf);
	}
	cJSON_ArrayForEach(s, get(a, "levels")) {
		char label[64];

		snprintf(label, sizeof(label), "Security level %s", s->string);
		put_str(x, ws, r, 0, label, NULL);
		worksheet_write_number(ws, r++, 1, s->valuedouble, x->intf);
	}
	cJSON_ArrayForEach(s, get(a, "finding_counts")) {
		char label[64];

		snprintf(label, sizeof(label), "Finding %s", s->string);
		put_str(x, ws, r, 0, label, NULL);
		worksheet_write_number(ws, r++, 1, s->valuedouble, x->intf);
	}
	r++;
	put_str(x, ws, r, 0, "Service", x->head);
	put_str(x, ws, r++, 1, "Rollbacks", x->head);
	first = r;
	cJSON_ArrayForEach(s, get(a, "by_service")) {
		put_str(x, ws, r, 0, s->string, NULL);
		worksheet_write_number(ws, r++, 1, s->valuedouble, x->intf);
		n++;
	}
	if (n > 0) {
		chart = workbook_add_chart(x->wb, LXW_CHART_BAR);
		ser = chart_add_series(chart, NULL, NULL);
		chart_series_set_categories(ser, "Summary", first, 0, r - 1, 0);
		chart_series_set_values(ser, "Summary", first, 1, r - 1, 1);
		chart_series_set_name(ser, "Rollbacks executed");
		chart_title_set_name(chart, "Rollbacks by service");
		chart_axis_set_name(chart->x_axis, "Rollbacks");
		worksheet_insert_chart(ws, 1, 3, chart);
	}
}

/*
 * metrics-v1 §8.1: the spellings of one person the analysis took as one,
 * "olga@x = Olga@X, olga@x " per person, "; " between people.
 */
static void same_person_text(const cJSON *same, char *buf, size_t n)
{
	const cJSON *p;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(p, same) {
		char list[1024];
		int w;

		rb_quote_list(get(p, "spellings"), list, sizeof(list));
		w = snprintf(buf + used, n - used, "%s%s = %s", used ? "; " : "", str(p, "person"),
			     list);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

static void sheet_rollbacks(struct xl *x)
{
	static const char *const cols[] = { "Rollback", "Service", "Environment", "Team",
		"Risk tier", "Emergency", "Requested", "Executed", "TTD (h)", "TTR (h)",
		"Approval latency (h)", "Completeness", "Complete", "Missing evidence", "Score",
		"Level", "Findings", "Requester", "Executor", "Change", "Incident", "Ledger seqs",
		"Failed attempts", "Taken as one person", "Sampled" };
	static const double widths[] = { 12, 16, 12, 12, 9, 10, 20, 20, 9, 9, 12, 12, 9, 34,
		7, 9, 40, 28, 28, 12, 11, 30, 9, 48, 9 };
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Rollbacks");
	const cJSON *r;
	rb_rows *rows;
	lxw_row_t row = 1;

	header(x, ws, cols, widths, 25);
	rows = rows_begin(x);
	while (rows != NULL && (r = rb_rows_next(rows)) != NULL) {
		char buf[2048];

		put_str(x, ws, row, 0, str(r, "rollback_id"), NULL);
		put_str(x, ws, row, 1, str(r, "service"), NULL);
		put_str(x, ws, row, 2, str(r, "environment"), NULL);
		put_str(x, ws, row, 3, str(r, "team"), NULL);
		put_str(x, ws, row, 4, str(r, "risk_tier"), NULL);
		put_str(x, ws, row, 5, cJSON_IsTrue(get(r, "emergency")) ? "yes" : "no", NULL);
		put_time(x, ws, row, 6, str(r, "requested"));
		put_time(x, ws, row, 7, str(r, "executed"));
		put_num(ws, row, 8, get(r, "ttd"), 1 / 3600.0, x->hours);
		put_num(ws, row, 9, get(r, "ttr"), 1 / 3600.0, x->hours);
		put_num(ws, row, 10, get(r, "approval_latency"), 1 / 3600.0, x->hours);
		put_num(ws, row, 11, get(r, "completeness"), 1, x->pct);
		put_str(x, ws, row, 12, cJSON_IsTrue(get(r, "complete")) ? "yes" : "no", NULL);
		rb_join(get(r, "missing"), ", ", buf, sizeof(buf));
		put_str(x, ws, row, 13, buf, NULL);
		put_num(ws, row, 14, get(r, "score"), 1, x->intf);
		put_str(x, ws, row, 15, str(r, "level"), NULL);
		rb_join(get(r, "findings"), ", ", buf, sizeof(buf));
		put_str(x, ws, row, 16, buf, NULL);
		put_str(x, ws, row, 17, str(r, "requester"), NULL);
		put_str(x, ws, row, 18, str(r, "executor"), NULL);
		put_str(x, ws, row, 19, str(r, "change_id"), NULL);
		put_str(x, ws, row, 20, str(r, "incident_id"), NULL);
		{
			const cJSON *s;
			size_t used = 0;

			buf[0] = '\0';
			cJSON_ArrayForEach(s, get(r, "seqs")) {
				int w = snprintf(buf + used, sizeof(buf) - used, "%s%.0f",
						 used ? " " : "", s->valuedouble);

				if (w < 0 || (size_t)w >= sizeof(buf) - used)
					break;
				used += (size_t)w;
			}
		}
		put_str(x, ws, row, 21, buf, NULL);
		put_num(ws, row, 22, get(r, "failed_attempts"), 1, x->intf);
		same_person_text(get(r, "same_person"), buf, sizeof(buf));
		put_str(x, ws, row, 23, buf, NULL);
		put_str(x, ws, row, 24, rb_in_sample(x->a, str(r, "rollback_id")) ? "yes" : "no",
			NULL);
		row++;
	}
	rows_end(x, rows);
	finish(ws, row, 25);
}

static void sheet_findings(struct xl *x)
{
	static const char *const cols[] = { "Rollback", "Finding", "Service", "Environment",
		"Executed", "Score", "Controls" };
	static const double widths[] = { 12, 22, 16, 12, 20, 7, 60 };
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Findings");
	const cJSON *r, *f;
	rb_rows *rows;
	lxw_row_t row = 1;

	header(x, ws, cols, widths, 7);
	rows = rows_begin(x);
	while (rows != NULL && (r = rb_rows_next(rows)) != NULL)
		cJSON_ArrayForEach(f, get(r, "findings")) {
			char ctl[512];

			rb_join(get(get(r, "finding_controls"), f->valuestring), ", ", ctl,
				sizeof(ctl));
			put_str(x, ws, row, 0, str(r, "rollback_id"), NULL);
			put_str(x, ws, row, 1, f->valuestring, NULL);
			put_str(x, ws, row, 2, str(r, "service"), NULL);
			put_str(x, ws, row, 3, str(r, "environment"), NULL);
			put_time(x, ws, row, 4, str(r, "executed"));
			put_num(ws, row, 5, get(r, "score"), 1, x->intf);
			put_str(x, ws, row, 6, ctl, NULL);
			row++;
		}
	rows_end(x, rows);
	finish(ws, row, 7);
}

static void sheet_approvals(struct xl *x)
{
	static const char *const cols[] = { "Rollback", "Approver", "Time", "Valid approver",
		"Countersigned", "Requester", "Executor" };
	static const double widths[] = { 12, 30, 20, 14, 14, 28, 28 };
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Approvals");
	const cJSON *r, *ap;
	rb_rows *rows;
	lxw_row_t row = 1;

	header(x, ws, cols, widths, 7);
	rows = rows_begin(x);
	while (rows != NULL && (r = rb_rows_next(rows)) != NULL)
		cJSON_ArrayForEach(ap, get(r, "approvals")) {
			const cJSON *v;
			int valid = 0;

			cJSON_ArrayForEach(v, get(r, "approvers"))
				valid |= strcmp(str(v, "actor"), str(ap, "actor")) == 0;
			put_str(x, ws, row, 0, str(r, "rollback_id"), NULL);
			put_str(x, ws, row, 1, str(ap, "actor"), NULL);
			put_time(x, ws, row, 2, str(ap, "time"));
			put_str(x, ws, row, 3, valid ? "yes" : "no", NULL);
			put_str(x, ws, row, 4, cJSON_IsTrue(get(ap, "countersigned")) ? "yes" : "no", NULL);
			put_str(x, ws, row, 5, str(r, "requester"), NULL);
			put_str(x, ws, row, 6, str(r, "executor"), NULL);
			row++;
		}
	rows_end(x, rows);
	finish(ws, row, 7);
}

static void sheet_evidence(struct xl *x)
{
	static const char *const cols[] = { "Rollback", "Item", "Required", "Present",
					    "Controls" };
	static const double widths[] = { 12, 24, 10, 10, 60 };
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Evidence");
	const cJSON *r, *it;
	rb_rows *rows;
	lxw_row_t row = 1;

	header(x, ws, cols, widths, 5);
	rows = rows_begin(x);
	while (rows != NULL && (r = rb_rows_next(rows)) != NULL)
		cJSON_ArrayForEach(it, get(r, "evidence")) {
			char ctl[512];

			rb_join(get(get(get(x->a, "control_mapping"), "evidence"), it->string), ", ", ctl,
				sizeof(ctl));
			put_str(x, ws, row, 0, str(r, "rollback_id"), NULL);
			put_str(x, ws, row, 1, it->string, NULL);
			put_str(x, ws, row, 2, cJSON_IsTrue(get(it, "required")) ? "yes" : "no", NULL);
			put_str(x, ws, row, 3, cJSON_IsTrue(get(it, "present")) ? "yes" : "no", NULL);
			put_str(x, ws, row, 4, ctl, NULL);
			row++;
		}
	rows_end(x, rows);
	finish(ws, row, 5);
}

/* The Trend sheet's columns before the findings by code. */
#define TREND_FIXED 9

/* A trend period's findings of one code, from its "finding_counts" (blank when absent). */
static void put_finding_count(struct xl *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
			      const cJSON *period, const char *code)
{
	put_num(ws, r, c, get(get(period, "finding_counts"), code), 1, x->intf);
}

/* The header of the Trend sheet: its figures, then one column per finding code. */
static void trend_header(struct xl *x, lxw_worksheet *ws)
{
	static const char *const cols[TREND_FIXED] = { "Period", "Rollbacks", "Deployments",
		"Rate", "MTTD (h)", "MTTR (h)", "Median approval latency (h)",
		"Complete evidence", "Failed executions" };
	static const double widths[TREND_FIXED] = { 24, 11, 12, 9, 10, 10, 16, 12, 12 };
	int k;

	header(x, ws, cols, widths, TREND_FIXED);
	for (k = 0; k < RB_NFINDINGS; k++) {
		put_str(x, ws, 0, (lxw_col_t)(TREND_FIXED + k), rb_finding_names[k], x->head);
		worksheet_set_column(ws, (lxw_col_t)(TREND_FIXED + k), (lxw_col_t)(TREND_FIXED + k),
				     (double)strlen(rb_finding_names[k]) + 3, NULL);
	}
}

static void sheet_trend(struct xl *x)
{
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Trend");
	const cJSON *rows[130], *t;
	int n = 0, i, k;
	lxw_chart *chart;
	lxw_chart_series *s;

	cJSON_ArrayForEach(t, get(x->a, "trend"))
		if (n < 129)
			rows[n++] = t;
	/* Oldest first, then the period itself. */
	for (i = 0; i < n / 2; i++) {
		t = rows[i];
		rows[i] = rows[n - 1 - i];
		rows[n - 1 - i] = t;
	}
	rows[n++] = x->a;
	trend_header(x, ws);
	finish(ws, (lxw_row_t)n + 1, TREND_FIXED + RB_NFINDINGS);
	for (i = 0; i < n; i++) {
		lxw_row_t r = (lxw_row_t)i + 1;

		put_str(x, ws, r, 0, str(rows[i], "period"), NULL);
		put_num(ws, r, 1, get(rows[i], "rollbacks_executed"), 1, x->intf);
		put_num(ws, r, 2, get(rows[i], "deployments"), 1, x->intf);
		put_num(ws, r, 3, get(rows[i], "rollback_rate"), 1, x->pct);
		put_num(ws, r, 4, get(get(rows[i], "ttd"), "mean"), 1 / 3600.0, x->hours);
		put_num(ws, r, 5, get(get(rows[i], "ttr"), "mean"), 1 / 3600.0, x->hours);
		put_num(ws, r, 6, get(get(rows[i], "approval_latency"), "median"), 1 / 3600.0,
			x->hours);
		put_num(ws, r, 7, get(rows[i], "evidence_complete_ratio"), 1, x->pct);
		put_num(ws, r, 8, get(rows[i], "failed_executions"), 1, x->intf);
		for (k = 0; k < RB_NFINDINGS; k++)
			put_finding_count(x, ws, r, (lxw_col_t)(TREND_FIXED + k), rows[i],
					  rb_finding_names[k]);
	}
	chart = workbook_add_chart(x->wb, LXW_CHART_LINE);
	s = chart_add_series(chart, NULL, NULL);
	chart_series_set_categories(s, "Trend", 1, 0, (lxw_row_t)n, 0);
	chart_series_set_values(s, "Trend", 1, 4, (lxw_row_t)n, 4);
	chart_series_set_name(s, "MTTD (h)");
	s = chart_add_series(chart, NULL, NULL);
	chart_series_set_categories(s, "Trend", 1, 0, (lxw_row_t)n, 0);
	chart_series_set_values(s, "Trend", 1, 5, (lxw_row_t)n, 5);
	chart_series_set_name(s, "MTTR (h)");
	chart_title_set_name(chart, "MTTD and MTTR by period");
	chart_axis_set_name(chart->y_axis, "hours");
	worksheet_insert_chart(ws, (lxw_row_t)n + 3, 0, chart);
}

/* The entries of seqs from the ledger (NULL after an error, kept in x). */
static cJSON *trail_of(struct xl *x, rb_trail_reader **t, const cJSON *seqs)
{
	cJSON *trail = NULL;

	if (!x->failed &&
	    rb_trail_of(x->d->db, x->d->ledger_id, t, seqs, &trail, &x->err) != 0)
		x->failed = 1;
	return trail;
}

static void sheet_sample(struct xl *x)
{
	static const char *const cols[] = { "Rollback", "Seq", "Time", "Event", "Actor",
					    "Countersigned by", "Export", "File", "Line" };
	static const double widths[] = { 12, 10, 20, 20, 30, 20, 40, 14, 8 };
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Sample");
	rb_trail_reader *t = NULL;
	const cJSON *s, *e;
	lxw_row_t row = 1;

	header(x, ws, cols, widths, 9);
	cJSON_ArrayForEach(s, get(get(x->a, "sample"), "rollbacks")) {
		cJSON *seqs = cJSON_CreateArray(), *trail;

		cJSON_ArrayForEach(e, get(s, "trail"))
			cJSON_AddItemToArray(seqs, cJSON_CreateNumber(cJSON_GetNumberValue(get(e, "seq"))));
		trail = trail_of(x, &t, seqs);
		cJSON_Delete(seqs);
		cJSON_ArrayForEach(e, trail) {
			put_str(x, ws, row, 0, str(s, "rollback_id"), NULL);
			put_num(ws, row, 1, get(e, "seq"), 1, x->intf);
			put_time(x, ws, row, 2, str(e, "time"));
			put_str(x, ws, row, 3, str(e, "event"), NULL);
			put_str(x, ws, row, 4, str(e, "actor"), NULL);
			put_str(x, ws, row, 5, str(e, "countersigned_by"), NULL);
			put_str(x, ws, row, 6, str(e, "export"), NULL);
			put_str(x, ws, row, 7, str(e, "file"), NULL);
			put_num(ws, row, 8, get(e, "line"), 1, x->intf);
			row++;
		}
		cJSON_Delete(trail);
	}
	rb_trail_close(t);
	finish(ws, row, 9);
}

/* The record's texts under label, one per line, into a new string; NULL when out of memory. */
static char *record_texts(const cJSON *rec, const char *label)
{
	const cJSON *pair;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int first = 1;

	if (f == NULL)
		return NULL;
	cJSON_ArrayForEach(pair, rec)
		if (strcmp(cJSON_GetArrayItem(pair, 0)->valuestring, label) == 0) {
			fprintf(f, "%s%s", first ? "" : "\n", cJSON_GetArrayItem(pair, 1)->valuestring);
			first = 0;
		}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Where each entry of the trail was ingested from, one per line. */
static char *trail_where(const cJSON *trail)
{
	const cJSON *e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	cJSON_ArrayForEach(e, trail)
		fprintf(f, "%sseq %.0f %s %s/%s:%.0f", e == trail->child ? "" : "\n",
			cJSON_GetNumberValue(get(e, "seq")), str(e, "event"), str(e, "export"),
			str(e, "file"), cJSON_GetNumberValue(get(e, "line")));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const char *const record_labels[] = { "Ticket", "Rationale", "Impact",
	"Security considerations", "Components", "Operation", "Approval", "Rejection",
	"Execution", "Evidence", "Review", "Resolution" };
#define NRECORD (sizeof(record_labels) / sizeof(record_labels[0]))
static const double record_widths[] = { 11, 8, 8, 11, 44, 36, 36, 16, 22, 50, 36, 50, 60, 44,
	36, 56 };

/* The lines a wrapped text takes in a column of width characters. */
static int text_lines(const char *s, double width)
{
	int lines = 1, col = 0;

	for (; s != NULL && *s; s++) {
		if (*s == '\n') {
			lines++;
			col = 0;
		} else if (((unsigned char)*s & 0xc0) != 0x80 && ++col > width) {
			lines++;
			col = 1;
		}
	}
	return lines;
}

/*
 * One rollback's record as a row: its texts whole (cut only at a cell's
 * limit), the row as high as its longest text needs (libxlsxwriter's
 * constant-memory mode sets a row's height before its cells).
 */
static void record_row(struct xl *x, lxw_worksheet *ws, lxw_row_t row, const cJSON *r,
		       int flagged, const cJSON *trail)
{
	cJSON *rec = rb_record_of(trail);
	char *text[NRECORD + 1] = { NULL };
	size_t i;
	int lines = 1, k;

	for (i = 0; rec != NULL && i <= NRECORD; i++) {
		text[i] = i < NRECORD ? record_texts(rec, record_labels[i]) : trail_where(trail);
		if (text[i] == NULL)
			break;
		k = text_lines(text[i], record_widths[3 + i]);
		lines = k > lines ? k : lines;
	}
	if (rec == NULL || i <= NRECORD) {
		RB_ERR(&x->err, RB_EX_SOFTWARE, "out of memory");
		x->failed = 1;
		goto out;
	}
	/* Excel's tallest row is 409 points. */
	worksheet_set_row(ws, row, lines * 15.0 > 409 ? 409 : lines * 15.0, NULL);
	put_str(x, ws, row, 0, str(r, "rollback_id"), x->top);
	put_str(x, ws, row, 1, rb_in_sample(x->a, str(r, "rollback_id")) ? "yes" : "no", x->top);
	put_str(x, ws, row, 2, flagged ? "yes" : "no", x->top);
	for (i = 0; i <= NRECORD; i++)
		put_str(x, ws, row, (lxw_col_t)(3 + i), text[i], x->wrap);
out:
	for (i = 0; i <= NRECORD; i++)
		free(text[i]);
	cJSON_Delete(rec);
}

/* Every rollback's record as the ledger holds it, one row each. */
static void sheet_records(struct xl *x)
{
	static const char *const cols[] = { "Rollback", "Sampled", "Flagged", "Ticket",
		"Rationale", "Impact", "Security considerations", "Components", "Operation",
		"Approvals", "Rejections", "Executions", "Evidence", "Reviews", "Resolution",
		"Entries (seq, event, ingested from)" };
	lxw_worksheet *ws = workbook_add_worksheet(x->wb, "Records");
	rb_trail_reader *t = NULL;
	const cJSON *r;
	rb_rows *rows;
	lxw_row_t row = 1;

	header(x, ws, cols, record_widths, 16);
	/* Printed: landscape, the header row and the rollback's id on every page. */
	worksheet_set_landscape(ws);
	worksheet_repeat_rows(ws, 0, 0);
	worksheet_repeat_columns(ws, 0, 0);
	rows = rows_begin(x);
	while (rows != NULL && !x->failed && (r = rb_rows_next(rows)) != NULL) {
		cJSON *trail = trail_of(x, &t, get(r, "seqs"));

		if (trail != NULL)
			record_row(x, ws, row++, r, rb_rows_flagged(rows), trail);
		cJSON_Delete(trail);
	}
	rows_end(x, rows);
	rb_trail_close(t);
	finish(ws, row, 16);
}

int rb_render_xlsx(const struct rb_report_data *d, const struct rb_template *t,
		   const char *path, struct rb_err *e)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .tmpdir = NULL };
	lxw_doc_properties props;
	struct xl x;
	struct rb_time asof;
	const cJSON *s;
	const char *as_of = rb_json_str(d->a, "as_of");
	char ptitle[160], pauthor[16], pcomments[80];
	lxw_error rc;

	memset(&x, 0, sizeof(x));
	memset(&props, 0, sizeof(props));
	x.a = d->a;
	x.attest = d->attest;
	x.d = d;
	x.wb = workbook_new_opt(path, &opt);
	if (x.wb == NULL)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s'", path);
	/* The creation date is the data's, so the same data gives the same bytes. */
	/* libxlsxwriter 1.1 takes char *: give it copies it may not modify anyway. */
	snprintf(ptitle, sizeof(ptitle), "%s", t->title[0] ? t->title : "rbaudit rollback metrics");
	snprintf(pauthor, sizeof(pauthor), "rbaudit");
	snprintf(pcomments, sizeof(pcomments),
		 "Generated by rbaudit from a stored analysis of a verified ledger");
	props.title = ptitle;
	props.author = pauthor;
	props.comments = pcomments;
	if (as_of != NULL && rb_time_parse(as_of, strlen(as_of), &asof) == 0)
		props.created = (time_t)asof.sec;
	workbook_set_properties(x.wb, &props);
	x.head = workbook_add_format(x.wb);
	format_set_bold(x.head);
	format_set_bg_color(x.head, 0xDCE6F1);
	format_set_bottom(x.head, LXW_BORDER_THIN);
	x.title = workbook_add_format(x.wb);
	format_set_bold(x.title);
	format_set_font_size(x.title, 14);
	x.dt = workbook_add_format(x.wb);
	format_set_num_format(x.dt, "yyyy-mm-dd hh:mm:ss");
	x.hours = workbook_add_format(x.wb);
	format_set_num_format(x.hours, "0.0");
	x.pct = workbook_add_format(x.wb);
	format_set_num_format(x.pct, "0.0%");
	x.intf = workbook_add_format(x.wb);
	format_set_num_format(x.intf, "0");
	x.wrap = workbook_add_format(x.wb);
	format_set_text_wrap(x.wrap);
	format_set_align(x.wrap, LXW_ALIGN_VERTICAL_TOP);
	x.top = workbook_add_format(x.wb);
	format_set_align(x.top, LXW_ALIGN_VERTICAL_TOP);
	cJSON_ArrayForEach(s, get(t->doc, "sections")) {
		const char *sheet = str(s, "sheet");

		if (strcmp(sheet, "Summary") == 0)
			sheet_summary(&x);
		else if (strcmp(sheet, "Rollbacks") == 0)
			sheet_rollbacks(&x);
		else if (strcmp(sheet, "Findings") == 0)
			sheet_findings(&x);
		else if (strcmp(sheet, "Approvals") == 0)
			sheet_approvals(&x);
		else if (strcmp(sheet, "Evidence") == 0)
			sheet_evidence(&x);
		else if (strcmp(sheet, "Trend") == 0)
			sheet_trend(&x);
		else if (strcmp(sheet, "Sample") == 0)
			sheet_sample(&x);
		else if (strcmp(sheet, "Records") == 0)
			sheet_records(&x);
	}
	rc = workbook_close(x.wb);
	if (x.failed) {
		*e = x.err;
		return -1;
	}
	if (rc != LXW_NO_ERROR)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot write '%s': %s", path, lxw_strerror(rc));
	return 0;
}
