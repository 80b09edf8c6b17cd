/*
 * csv.c - the CSV reports (RFC 4180, docs/REPORTS.md "CSV reports"): one
 * row per rollback (table "rollbacks") or per finding (table "findings")
 * of the analysis, in the analysis's order, read from the stored rows one
 * at a time, so memory does not grow with the period.
 *
 * UTF-8 without a byte order mark, a header row, CRLF after every record.
 * A field is quoted when it holds '"', ',', CR or LF, its quotes doubled.
 * A null is an empty field, an empty text "" (quoted).  A text that
 * begins with = + - @ TAB CR or ' is written with one more ' in front, so
 * that no spreadsheet takes it for a formula; dropping the first
 * character of a text field that begins with ' gives the text back.
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

/* A growing byte buffer; oom is set (and stays) when it cannot grow. */
struct sb {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Equal within the precision of the larger of the two. */
static int same_double(double a, double b)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= m * DBL_EPSILON;
}

/* A number as the JSON report writes it (report/jsonw.h), so both read the same. */
static void sb_num(struct sb *b, double d)
{
	char buf[64], *end;
	int as_int;

	if (isnan(d) || isinf(d))
		return;         /* never in an analysis: an empty field, as a null */
	as_int = d >= (double)INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
	if (d == (double)as_int) {
		snprintf(buf, sizeof(buf), "%d", as_int);
	} else {
		snprintf(buf, sizeof(buf), "%1.15g", d);
		if (!same_double(strtod(buf, &end), d) || *end != '\0')
			snprintf(buf, sizeof(buf), "%1.17g", d);
	}
	sb_str(b, buf);
}

/* A JSON string with the JSON report's escapes. */
static void sb_json_str(struct sb *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	sb_add(b, "\"", 1);
	for (; *p != '\0'; p++) {
		const char *r = *p == '"' ? "\\\"" : *p == '\\' ? "\\\\" : *p == '\b' ? "\\b" :
				*p == '\f' ? "\\f" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" :
				*p == '\t' ? "\\t" : NULL;

		if (r == NULL && *p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			r = esc;
		}
		if (r != NULL)
			sb_str(b, r);
		else
			sb_add(b, (const char *)p, 1);
	}
	sb_add(b, "\"", 1);
}

/* v as compact JSON: no white space between tokens. */
static void sb_json(struct sb *b, const cJSON *v)
{
	const cJSON *x;

	if (cJSON_IsBool(v)) {
		sb_str(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNumber(v) && !isnan(v->valuedouble) && !isinf(v->valuedouble)) {
		sb_num(b, v->valuedouble);
	} else if (cJSON_IsString(v)) {
		sb_json_str(b, v->valuestring);
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		sb_add(b, cJSON_IsArray(v) ? "[" : "{", 1);
		cJSON_ArrayForEach(x, v) {
			if (x != v->child)
				sb_add(b, ",", 1);
			if (cJSON_IsObject(v)) {
				sb_json_str(b, x->string);
				sb_add(b, ":", 1);
			}
			sb_json(b, x);
		}
		sb_add(b, cJSON_IsArray(v) ? "]" : "}", 1);
	} else {
		sb_str(b, "null");
	}
}

void rb_csv_text(const char *s, void (*put)(void *ctx, const char *p, size_t n), void *ctx)
{
	int quote = s[0] == '\0' || strpbrk(s, "\",\r\n") != NULL;
	const char *run = s;

	if (quote)
		put(ctx, "\"", 1);
	if (s[0] != '\0' && strchr("=+-@\t\r'", s[0]) != NULL)
		put(ctx, "'", 1);
	for (; *s != '\0'; s++)
		if (*s == '"') {        /* RFC 4180: a quote inside is doubled */
			put(ctx, run, (size_t)(s - run + 1));
			run = s;
		}
	put(ctx, run, (size_t)(s - run));
	if (quote)
		put(ctx, "\"", 1);
}

static void sb_put(void *b, const char *p, size_t n)
{
	sb_add(b, p, n);
}

/* A text field: formula-safe, quoted when RFC 4180 needs it (the header comment). */
static void put_text(struct sb *row, const char *s)
{
	rb_csv_text(s, sb_put, row);
}

/* What a column holds, from the rollback r. */
enum kind {
	K_VALUE,        /* a text, number, boolean or null as it is */
	K_WORDS,        /* an array of texts or numbers, joined with one space */
	K_JSON,         /* an array or object, as compact JSON */
	K_EV_REQUIRED,  /* the evidence items r requires, joined with a space */
	K_EV_PRESENT,   /* the evidence items r has */
	K_SAMPLED,      /* true when r is in the analysis's audit sample */
	K_FLAGGED,      /* r's stored flag */
	K_FINDING,      /* findings table: the finding's code */
	K_CONTROLS      /* findings table: the finding's controls, joined with a space */
};

struct col {
	const char *name;
	enum kind kind;
};

/* The rollbacks table: every member of the JSON report's rollback, in its order. */
static const struct col rollback_cols[] = {
	{ "rollback_id", K_VALUE }, { "service", K_VALUE }, { "environment", K_VALUE },
	{ "team", K_VALUE }, { "risk_tier", K_VALUE }, { "emergency", K_VALUE },
	{ "ttd", K_VALUE }, { "ttr", K_VALUE }, { "approval_latency", K_VALUE },
	{ "failed_attempts", K_VALUE }, { "completeness", K_VALUE }, { "complete", K_VALUE },
	{ "missing", K_WORDS }, { "score", K_VALUE }, { "level", K_VALUE },
	{ "findings", K_WORDS }, { "change_id", K_VALUE }, { "incident_id", K_VALUE },
	{ "requester", K_VALUE }, { "executor", K_VALUE }, { "deployed", K_VALUE },
	{ "detected", K_VALUE }, { "incident_found", K_VALUE }, { "requested", K_VALUE },
	{ "executed", K_VALUE }, { "need", K_VALUE }, { "approved", K_VALUE },
	{ "approvers", K_JSON }, { "approvals", K_JSON }, { "same_person", K_JSON },
	{ "evidence_required", K_EV_REQUIRED }, { "evidence_present", K_EV_PRESENT },
	{ "score_factors", K_JSON }, { "environment_factor", K_VALUE },
	{ "raw_score", K_VALUE }, { "finding_controls", K_JSON }, { "seqs", K_WORDS },
	{ "sampled", K_SAMPLED }, { "flagged", K_FLAGGED },
};

/* The findings table: the finding, then the figures of its rollback. */
static const struct col finding_cols[] = {
	{ "rollback_id", K_VALUE }, { "finding", K_FINDING }, { "controls", K_CONTROLS },
	{ "service", K_VALUE }, { "environment", K_VALUE }, { "team", K_VALUE },
	{ "risk_tier", K_VALUE }, { "emergency", K_VALUE }, { "requester", K_VALUE },
	{ "executor", K_VALUE }, { "executed", K_VALUE }, { "score", K_VALUE },
	{ "level", K_VALUE }, { "sampled", K_SAMPLED }, { "flagged", K_FLAGGED },
};

/* One rollback (and, in the findings table, one of its findings) being written. */
struct cur {
	const cJSON *r;
	const char *finding;
	int sampled, flagged;
};

/* The words of arr (texts and numbers), or the names of r's evidence items with `want`. */
static void words(struct sb *cell, const cJSON *arr, const char *want)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, arr) {
		if (want != NULL && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, want)))
			continue;
		if (cell->len > 0)
			sb_add(cell, " ", 1);
		if (want != NULL)
			sb_str(cell, x->string);
		else if (cJSON_IsNumber(x))
			sb_num(cell, x->valuedouble);
		else if (cJSON_IsString(x))
			sb_str(cell, x->valuestring);
	}
}

/* One field of column c into row; cell is scratch space. */
static void put_field(struct sb *row, struct sb *cell, const struct col *c,
		      const struct cur *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(k->r, c->name);

	cell->len = 0;
	sb_add(cell, "", 0);
	switch (c->kind) {
	case K_VALUE:
		if (cJSON_IsString(v))
			put_text(row, v->valuestring);
		else if (cJSON_IsNumber(v) || cJSON_IsBool(v))
			sb_json(row, v);
		return;         /* a null or absent member: an empty field */
	case K_WORDS:
		words(cell, v, NULL);
		break;
	case K_JSON:
		if (v != NULL && !cJSON_IsNull(v))
			sb_json(cell, v);
		break;
	case K_EV_REQUIRED:
	case K_EV_PRESENT:
		words(cell, cJSON_GetObjectItemCaseSensitive(k->r, "evidence"),
		      c->kind == K_EV_REQUIRED ? "required" : "present");
		break;
	case K_SAMPLED:
	case K_FLAGGED:
		sb_str(row, (c->kind == K_SAMPLED ? k->sampled : k->flagged) ? "true" : "false");
		return;
	case K_FINDING:
		sb_str(cell, k->finding);
		break;
	case K_CONTROLS:
		words(cell, cJSON_GetObjectItemCaseSensitive(
			      cJSON_GetObjectItemCaseSensitive(k->r, "finding_controls"), k->finding),
		      NULL);
		break;
	}
	/* An empty list is an empty field, like a null: nothing to quote. */
	if (cell->p != NULL && cell->len > 0)
		put_text(row, cell->p);
}

/* One record: the fields of cols, CRLF. */
static void put_record(struct sb *row, struct sb *cell, const struct col *cols, size_t n,
		       const struct cur *k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_add(row, ",", 1);
		if (k == NULL)
			sb_str(row, cols[i].name);
		else
			put_field(row, cell, &cols[i], k);
	}
	sb_add(row, "\r\n", 2);
}

/*
 * The rollbacks in the analysis's order: an older analysis's own array
 * (flagged as rb_rollback_flagged says), else the stored rows.
 */
struct each {
	const cJSON *inline_rb, *it;
	rb_rows *rows;
};

static int each_open(struct each *w, const struct rb_report_data *d, struct rb_err *e)
{
	memset(w, 0, sizeof(*w));
	w->inline_rb = cJSON_GetObjectItemCaseSensitive(d->a, "rollbacks");
	if (w->inline_rb != NULL) {
		w->it = w->inline_rb->child;
		return 0;
	}
	return rb_rows_open(d, &w->rows, e);
}

static const cJSON *each_next(struct each *w, int *flagged)
{
	const cJSON *r;

	if (w->rows != NULL) {
		r = rb_rows_next(w->rows);
		*flagged = r != NULL && rb_rows_flagged(w->rows);
		return r;
	}
	r = w->it;
	w->it = r != NULL ? r->next : NULL;
	*flagged = r != NULL && rb_rollback_flagged(r);
	return r;
}

/* After the last: 0, or -1 (e) when the rows could not all be read. */
static int each_close(struct each *w, const struct rb_report_data *d, struct rb_err *e)
{
	int rc = w->rows != NULL ? rb_rows_check(w->rows, d->db, e) : 0;

	rb_rows_close(w->rows);
	w->rows = NULL;
	return rc;
}

/* Write the row to f and empty it; -1 when it could not be built or written. */
static int flush_row(FILE *f, struct sb *row, const struct sb *cell, const char *path,
		     struct rb_err *e)
{
	if (row->oom || cell->oom)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (row->len > 0 && fwrite(row->p, 1, row->len, f) != row->len)
		return RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
	row->len = 0;
	return 0;
}

/* The header and every record of the table into f. */
static int write_table(FILE *f, const struct rb_report_data *d, int findings,
		       const char *path, struct rb_err *e)
{
	const struct col *cols = findings ? finding_cols : rollback_cols;
	size_t n = findings ? sizeof(finding_cols) / sizeof(*finding_cols) :
		   sizeof(rollback_cols) / sizeof(*rollback_cols);
	struct sb row = { NULL, 0, 0, 0 }, cell = { NULL, 0, 0, 0 };
	struct each w;
	struct cur k = { NULL, NULL, 0, 0 };
	const cJSON *fi;
	int rc = -1;

	put_record(&row, &cell, cols, n, NULL);
	if (flush_row(f, &row, &cell, path, e) != 0 || each_open(&w, d, e) != 0)
		goto out;
	while ((k.r = each_next(&w, &k.flagged)) != NULL) {
		k.sampled = rb_in_sample(d->a, rb_json_str(k.r, "rollback_id"));
		if (!findings) {
			put_record(&row, &cell, cols, n, &k);
		} else {
			cJSON_ArrayForEach(fi, cJSON_GetObjectItemCaseSensitive(k.r, "findings")) {
				k.finding = cJSON_IsString(fi) ? fi->valuestring : "";
				put_record(&row, &cell, cols, n, &k);
			}
		}
		if (flush_row(f, &row, &cell, path, e) != 0) {
			struct rb_err ignored;

			each_close(&w, d, &ignored);
			goto out;
		}
	}
	rc = each_close(&w, d, e);
out:
	free(row.p);
	free(cell.p);
	return rc;
}

int rb_render_csv(const struct rb_report_data *d, const struct rb_template *t,
		  const char *path, struct rb_err *e)
{
	const char *table = rb_json_str(t->doc, "table");
	FILE *f;

	if (table == NULL || (strcmp(table, "rollbacks") != 0 && strcmp(table, "findings") != 0))
		return RB_ERR(e, RB_EX_SOFTWARE, "template '%s' names no CSV table", t->name);
	f = fopen(path, "w");
	if (f == NULL)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
	if (write_table(f, d, strcmp(table, "findings") == 0, path, e) != 0) {
		fclose(f);
		return -1;
	}
	return rb_fclose_synced(f, path, e);
}
