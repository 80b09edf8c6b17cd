/* pdf.c - PDF packs with libharu: text, tables, vector charts, page X of Y. */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>

#include "fonts.h"

#include "lib/ident.h"
#include "lib/json.h"
#include "lib/vocab.h"

#define PAGE_W 595.276
#define PAGE_H 841.89
#define LEFT 50.0
#define RIGHT (PAGE_W - 50.0)
#define TOP (PAGE_H - 62.0)
#define BOTTOM 62.0
#define WIDTH (RIGHT - LEFT)
#define MAX_PAGES 4000

#ifndef RB_FONT_DIR
#define RB_FONT_DIR "/usr/share/fonts/truetype/dejavu"
#endif

struct pdf {
	HPDF_Doc doc;
	rb_fonts *fonts;        /* which font shows each character */
	rb_trail_reader *trails;        /* opened when a section needs a trail */
	HPDF_Font reg, bold, mono;
	HPDF_Page pages[MAX_PAGES];
	int npages;
	HPDF_Page page;
	double y;
	const struct rb_report_data *d;
	const struct rb_template *t;
	const cJSON *a;
	int failed;
	unsigned long status;
};

static void on_error(HPDF_STATUS status, HPDF_STATUS detail, void *user)
{
	struct pdf *p = user;

	(void)detail;
	if (!p->failed) {
		p->failed = 1;
		p->status = (unsigned long)status;
	}
}

/* ---- text: every character shown, by DejaVu or a fallback (fonts.c) ---- */

static enum rb_face face_of(const struct pdf *p, HPDF_Font f)
{
	return f == p->mono ? RB_FACE_MONO : f == p->bold ? RB_FACE_BOLD : RB_FACE_REG;
}

/* The width of s (cleaned) in font f at size. */
static double width_of(struct pdf *p, HPDF_Font f, double size, const char *s)
{
	return rb_fonts_width(p->fonts, p->page, face_of(p, f), size, s);
}

static void text_at(struct pdf *p, double x, double y, HPDF_Font f, double size,
		    const char *s)
{
	char *c = rb_fonts_clean(p->fonts, face_of(p, f), s);

	if (c == NULL) {
		p->failed = 1;
		return;
	}
	rb_fonts_draw(p->fonts, p->page, face_of(p, f), size, x, y, c);
	free(c);
}

static void text_right(struct pdf *p, double xr, double y, HPDF_Font f, double size,
		       const char *s)
{
	char *c = rb_fonts_clean(p->fonts, face_of(p, f), s);

	if (c == NULL) {
		p->failed = 1;
		return;
	}
	rb_fonts_draw(p->fonts, p->page, face_of(p, f), size, xr - width_of(p, f, size, c), y,
		      c);
	free(c);
}

static void rgb(struct pdf *p, int fill, unsigned hex)
{
	double r = ((hex >> 16) & 255) / 255.0, g = ((hex >> 8) & 255) / 255.0,
	       b = (hex & 255) / 255.0;

	if (fill)
		HPDF_Page_SetRGBFill(p->page, (HPDF_REAL)r, (HPDF_REAL)g, (HPDF_REAL)b);
	else
		HPDF_Page_SetRGBStroke(p->page, (HPDF_REAL)r, (HPDF_REAL)g, (HPDF_REAL)b);
}

static void box(struct pdf *p, double x, double y, double w, double h, unsigned fill)
{
	rgb(p, 1, fill);
	HPDF_Page_Rectangle(p->page, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
	HPDF_Page_Fill(p->page);
	rgb(p, 1, 0x000000);
}

static void line(struct pdf *p, double x1, double y1, double x2, double y2, double w,
		 unsigned color)
{
	rgb(p, 0, color);
	HPDF_Page_SetLineWidth(p->page, (HPDF_REAL)w);
	HPDF_Page_MoveTo(p->page, (HPDF_REAL)x1, (HPDF_REAL)y1);
	HPDF_Page_LineTo(p->page, (HPDF_REAL)x2, (HPDF_REAL)y2);
	HPDF_Page_Stroke(p->page);
	rgb(p, 0, 0x000000);
}

static void new_page(struct pdf *p)
{
	if (p->npages == MAX_PAGES) {
		p->failed = 1;
		return;
	}
	p->page = HPDF_AddPage(p->doc);
	HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	p->pages[p->npages++] = p->page;
	p->y = TOP;
}

/* Make room for h points, starting a new page when needed. */
static void need(struct pdf *p, double h)
{
	if (p->y - h < BOTTOM)
		new_page(p);
}

/*
 * Where a word may break after byte k (next: the byte after its character):
 * 2 after '/' or before '@', 1 after '-', '.', '_' or ',', else 0.
 */
static int break_after(const char *w, size_t k, size_t next, size_t wl)
{
	if (w[k] == '/' || (next < wl && w[next] == '@'))
		return 2;
	return strchr("-._,", w[k]) != NULL;
}

/*
 * The bytes of the longest start of the word w (wl bytes, cleaned) that
 * fits width, ending where a name breaks when it can (after '/' or before
 * '@' rather than after '-', '.', '_' or ','); one character at least.
 */
static size_t fit_prefix(struct pdf *p, HPDF_Font f, double size, const char *w, size_t wl,
			 double width, char *tmp)
{
	size_t k = 0, fit = 0, brk[3] = { 0, 0, 0 };

	while (k < wl) {
		size_t nb = k + 1;

		while (nb < wl && (w[nb] & 0xc0) == 0x80)
			nb++;
		memcpy(tmp, w, nb);
		tmp[nb] = '\0';
		if (fit > 0 && width_of(p, f, size, tmp) > width)
			break;
		fit = nb;
		brk[break_after(w, k, nb, wl)] = nb;
		k = nb;
	}
	if (fit == wl)
		return fit;
	return brk[2] > 0 ? brk[2] : brk[1] > 0 ? brk[1] : fit;
}

/*
 * Start a line with the word w (wl bytes): the parts that fit no line are
 * emitted, broken by fit_prefix; the rest is left in cur, and its length
 * returned.
 */
static size_t place_word(struct pdf *p, HPDF_Font f, double size, const char *w, size_t wl,
			 double width, char *cur, char *tmp, void (*emit)(void *, const char *),
			 void *ctx, int *lines)
{
	for (;;) {
		size_t k;

		memcpy(cur, w, wl);
		cur[wl] = '\0';
		if (width_of(p, f, size, cur) <= width)
			return wl;
		k = fit_prefix(p, f, size, w, wl, width, tmp);
		memcpy(tmp, w, k);
		tmp[k] = '\0';
		emit(ctx, tmp);
		(*lines)++;
		w += k;
		wl -= k;
	}
}

/*
 * Wrap s to width: calls emit(ctx, line) for each line, and returns how
 * many.  Breaks at spaces; a word wider than a line breaks where a name
 * breaks (fit_prefix), else between characters.
 */
static int wrap(struct pdf *p, HPDF_Font f, double size, const char *s, double width,
		void (*emit)(void *, const char *), void *ctx)
{
	char *buf = rb_fonts_clean(p->fonts, face_of(p, f), s), *cur = NULL, *tmp = NULL;
	const char *w;
	size_t cl = 0;
	int lines = 0;

	if (buf == NULL || (cur = malloc(strlen(buf) + 2)) == NULL ||
	    (tmp = malloc(strlen(buf) + 2)) == NULL) {
		p->failed = 1;
		goto out;
	}
	for (w = buf; *w == ' '; w++)
		;
	while (*w) {
		size_t wl = strcspn(w, " ");

		if (cl > 0) {
			cur[cl] = ' ';
			memcpy(cur + cl + 1, w, wl);
			cur[cl + 1 + wl] = '\0';
			if (width_of(p, f, size, cur) <= width) {
				cl += 1 + wl;
			} else {
				cur[cl] = '\0';
				emit(ctx, cur);
				lines++;
				cl = place_word(p, f, size, w, wl, width, cur, tmp, emit, ctx, &lines);
			}
		} else {
			cl = place_word(p, f, size, w, wl, width, cur, tmp, emit, ctx, &lines);
		}
		w += wl;
		while (*w == ' ')
			w++;
	}
	if (cl > 0 || lines == 0) {
		cur[cl] = '\0';
		emit(ctx, cur);
		lines++;
	}
out:
	free(buf);
	free(cur);
	free(tmp);
	return lines;
}

/* At most FEW lines of a wrapped text, the last ending in "…" when cut. */
#define FEW 4

struct few_lines {
	char l[FEW][1024];
	int n, max, more;
};

static void keep_few(void *vc, const char *l)
{
	struct few_lines *c = vc;

	if (c->n < c->max)
		snprintf(c->l[c->n++], sizeof(c->l[0]), "%s", l);
	else
		c->more = 1;
}

static void few_lines(struct pdf *p, HPDF_Font f, double size, const char *s, double width,
		      int max, struct few_lines *c)
{
	memset(c, 0, sizeof(*c));
	c->max = max < FEW ? max : FEW;
	wrap(p, f, size, s, width, keep_few, c);
	if (c->more && c->n > 0) {
		char *l = c->l[c->n - 1];
		size_t n = strlen(l);

		while (n > 0 && width_of(p, f, size, l) + width_of(p, f, size, " \u2026") > width) {
			do
				n--;
			while (n > 0 && (l[n] & 0xc0) == 0x80);
			l[n] = '\0';
		}
		snprintf(l + n, sizeof(c->l[0]) - n, " \u2026");
	}
}

/* Draw at most max lines of s from y down at x; returns the y below them. */
static double lines_at(struct pdf *p, double x, double y, HPDF_Font f, double size,
		       double lead, const char *s, double width, int max)
{
	struct few_lines c;
	int k;

	few_lines(p, f, size, s, width, max, &c);
	for (k = 0; k < c.n; k++)
		text_at(p, x, y - k * lead, f, size, c.l[k]);
	return y - c.n * lead;
}

struct para_ctx {
	struct pdf *p;
	HPDF_Font f;
	double size, x;
};

static void para_line(void *vc, const char *l)
{
	struct para_ctx *c = vc;

	need(c->p, c->size * 1.35);
	text_at(c->p, c->x, c->p->y - c->size, c->f, c->size, l);
	c->p->y -= c->size * 1.35;
}

static void para(struct pdf *p, HPDF_Font f, double size, const char *s)
{
	struct para_ctx c = { p, f, size, LEFT };

	wrap(p, f, size, s, WIDTH, para_line, &c);
	p->y -= size * 0.5;
}

/* A heading, wrapped when it is wider than the page. */
static void heading(struct pdf *p, const char *s, int level)
{
	double size = level == 1 ? 16 : 12.5;
	struct para_ctx c = { p, p->bold, size, LEFT };

	need(p, size * 3 + 40);
	p->y -= level == 1 ? 8 : 4;
	wrap(p, p->bold, size, s, WIDTH, para_line, &c);
	p->y -= size * 0.15;
	if (level == 1) {
		line(p, LEFT, p->y + 2, RIGHT, p->y + 2, 0.8, 0x2b5c8a);
		p->y -= 6;
	}
}

/* ---- tables: wrapped cells, page breaks, repeated headers ---- */

struct cell_lines {
	char l[12][512];
	int n;
};

static void collect(void *vc, const char *s)
{
	struct cell_lines *c = vc;

	if (c->n < 12)
		snprintf(c->l[c->n++], sizeof(c->l[0]), "%s", s);
	else
		snprintf(c->l[11], sizeof(c->l[0]), "...");
}

struct table {
	int ncols;
	const char *const *hdr;
	const double *w;        /* fractions of the width */
	double size;
};

static void table_header(struct pdf *p, const struct table *t)
{
	double x = LEFT, h = t->size * 1.9;
	int i;

	need(p, h + t->size * 3);
	box(p, LEFT, p->y - h, WIDTH, h, 0x2b5c8a);
	rgb(p, 1, 0xffffff);
	for (i = 0; i < t->ncols; i++) {
		HPDF_Page_SetRGBFill(p->page, 1, 1, 1);
		text_at(p, x + 3, p->y - t->size * 1.35, p->bold, t->size, t->hdr[i]);
		x += t->w[i] * WIDTH;
	}
	HPDF_Page_SetRGBFill(p->page, 0, 0, 0);
	p->y -= h;
}

static void table_row(struct pdf *p, const struct table *t, const char *const *cells,
		      int shade)
{
	struct cell_lines *cl = calloc((size_t)t->ncols, sizeof(*cl));
	double x = LEFT, lead = t->size * 1.25, h;
	int i, k, rows = 1;

	if (cl == NULL) {
		p->failed = 1;
		return;
	}
	for (i = 0; i < t->ncols; i++) {
		HPDF_Font f = i == 0 ? p->bold : p->reg;

		wrap(p, f, t->size, cells[i] ? cells[i] : "", t->w[i] * WIDTH - 6, collect, &cl[i]);
		if (cl[i].n > rows)
			rows = cl[i].n;
	}
	h = rows * lead + t->size * 0.6;
	if (p->y - h < BOTTOM) {
		new_page(p);
		table_header(p, t);
	}
	if (shade)
		box(p, LEFT, p->y - h, WIDTH, h, 0xeef2f7);
	for (i = 0; i < t->ncols; i++) {
		for (k = 0; k < cl[i].n; k++)
			text_at(p, x + 3, p->y - t->size - k * lead, i == 0 ? p->bold : p->reg,
				t->size, cl[i].l[k]);
		x += t->w[i] * WIDTH;
	}
	p->y -= h;
	free(cl);
}

/* ---- data helpers ---- */

/* The noun for a count (lib/ident.h). */
static const char *pl(double n, const char *one, const char *many)
{
	return rb_plural((long long)n, one, many);
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = rb_json_str(o, k);

	return s ? s : "";
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A row's seq as a table cell, into buf: "-" when it has none. */
static const char *seq_cell(const cJSON *x, char *buf, size_t n)
{
	if (cJSON_IsNumber(get(x, "seq")))
		snprintf(buf, n, "%.0f", num(x, "seq"));
	else
		snprintf(buf, n, "-");
	return buf;
}

/* ---- late and missing data (docs/REPORTS.md) ---- */

/* Where an export is now, and where it came from when it moved. */
static const char *export_where(const cJSON *x, const char *now_key, char *buf, size_t n)
{
	const char *now = rb_json_str(x, now_key), *from = str(x, "path");

	if (now == NULL || strcmp(now, from) == 0)
		return from;
	snprintf(buf, n, "%s (from %s)", now, from);
	return buf;
}

/*
 * On the cover: how much of the period the data covers, and what the pack
 * lists of late and missing data, so that no template can leave it out.
 */
/* On every cover: whether the entries behind the report verify under the trust store. */
static void cover_trust(struct pdf *p, char *buf, size_t n)
{
	const cJSON *tr = get(p->d->attest, "trust");

	if (tr == NULL)
		return;
	if (cJSON_IsFalse(get(tr, "current")))
		snprintf(buf, n, "Trust: NOT ATTESTED under the trust store given (SHA-256 %s): the "
			 "stored history was last verified again against another one.",
			 str(tr, "given_trust_store_sha256"));
	else if (!cJSON_IsTrue(get(tr, "all_verified")))
		snprintf(buf, n, "Trust: NOT EVERY ENTRY VERIFIES.  %.0f %s behind this period "
			 "no longer %s under the trust store as it is (%.0f %s affected; "
			 "listed in the auditor pack and the JSON attestation).",
			 num(tr, "failures_in_period"),
			 pl(num(tr, "failures_in_period"), "entry", "entries"),
			 pl(num(tr, "failures_in_period"), "verifies", "verify"),
			 (double)cJSON_GetArraySize(get(tr, "rollbacks_affected")),
			 pl(cJSON_GetArraySize(get(tr, "rollbacks_affected")), "rollback", "rollbacks"));
	else
		snprintf(buf, n, "Trust: every entry behind this period verifies%s.",
			 cJSON_IsTrue(get(tr, "rechecked")) ? " under the trust store as it is" :
			 " (as ingested; not re-checked under a changed trust store)");
	para(p, cJSON_IsTrue(get(tr, "all_verified")) ? p->reg : p->bold, 10, buf);
}

static void cover_late(struct pdf *p)
{
	const cJSON *at = p->d->attest, *cov = get(at, "coverage"), *sup = get(at, "supersedes");
	int nrej = cJSON_GetArraySize(get(at, "rejected_exports"));
	int nwarn = (int)num(at, "warnings_total");
	char buf[1200];

	if (cov != NULL && cJSON_IsTrue(get(cov, "complete")))
		snprintf(buf, sizeof(buf), "Data coverage: complete, 100%% of the period (the "
			 "ledger's newest entry, %s, is at or after its end).", str(cov, "newest_entry"));
	else if (cov != NULL)
		snprintf(buf, sizeof(buf), "Data coverage: INCOMPLETE. The data covers %.1f%% of "
			 "the period, until %s: the ledger's newest entry is %s, before the "
			 "period's end (%s).", num(cov, "percent"), str(cov, "covered_until"),
			 str(cov, "newest_entry"), str(cov, "period_end"));
	else
		snprintf(buf, sizeof(buf), "Data coverage: unknown (the analysis gives no period "
			 "or newest entry).");
	para(p, cov != NULL && cJSON_IsTrue(get(cov, "complete")) ? p->reg : p->bold, 10, buf);
	snprintf(buf, sizeof(buf), "%d %s rejected or quarantined %s this period; "
		 "%d verification %s its entries%s", nrej, pl(nrej, "export", "exports"),
		 pl(nrej, "touches", "touch"), nwarn, pl(nwarn, "warning concerns", "warnings concern"),
		 nrej || nwarn ? " (both listed under \"Late and missing data\" and in the "
		 "attestation)." : ".");
	para(p, nrej ? p->bold : p->reg, 10, buf);
	cover_trust(p, buf, sizeof(buf));
	if (sup != NULL) {
		snprintf(buf, sizeof(buf), "This pack supersedes the report folder whose MANIFEST "
			 "has SHA-256 %s: %s.", str(sup, "manifest_sha256"), str(sup, "reason"));
		para(p, p->bold, 10, buf);
	}
}

static void late_coverage(struct pdf *p, const cJSON *cov)
{
	static const char *const hdr[] = { "Coverage", "" };
	static const double w[] = { 0.3, 0.7 };
	static const char *const rows[][2] = { { "Period from", "period_start" },
		{ "Until (exclusive)", "period_end" }, { "Ledger's newest entry", "newest_entry" },
		{ "Data covers until", "covered_until" } };
	struct table t = { 2, hdr, w, 8 };
	char pct[64];
	const char *cells[2];
	size_t i;
	int shade = 0;

	if (cov == NULL) {
		para(p, p->reg, 9, "Coverage unknown: the analysis gives no period or newest entry.");
		return;
	}
	table_header(p, &t);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cells[0] = rows[i][0];
		cells[1] = str(cov, rows[i][1]);
		table_row(p, &t, cells, shade ^= 1);
	}
	snprintf(pct, sizeof(pct), "%.1f%% of the period: %s", num(cov, "percent"),
		 cJSON_IsTrue(get(cov, "complete")) ? "complete" : "INCOMPLETE");
	cells[0] = "Share covered";
	cells[1] = pct;
	table_row(p, &t, cells, !shade);
	p->y -= 6;
}

static void late_rejected(struct pdf *p, const cJSON *arr)
{
	static const char *const hdr[] = { "Export (now, and where it came from)", "Ledger range",
		"Entry times (unverified)", "Code", "Reason" };
	static const double w[] = { 0.3, 0.12, 0.2, 0.1, 0.28 };
	struct table t = { 5, hdr, w, 7 };
	const cJSON *x;
	int shade = 0;

	heading(p, "Exports rejected or quarantined", 2);
	para(p, p->reg, 9, "Exports the job refused, whose entries' times touch this period (or, "
	     "when they could not be read, that the run of this period refused).  None of "
	     "their entries is in the figures of this pack.");
	if (cJSON_GetArraySize(arr) == 0) {
		para(p, p->reg, 9, "None.");
		return;
	}
	table_header(p, &t);
	cJSON_ArrayForEach(x, arr) {
		char where[1200], range[64], times[96];
		const cJSON *fs = get(x, "first_seq"), *ls = get(x, "last_seq");
		const char *cells[5];

		if (cJSON_IsNumber(fs) && cJSON_IsNumber(ls))
			snprintf(range, sizeof(range), "%.0f..%.0f", fs->valuedouble, ls->valuedouble);
		else
			snprintf(range, sizeof(range), "unknown");
		if (rb_json_str(x, "first_time") != NULL)
			snprintf(times, sizeof(times), "%s to %s", str(x, "first_time"),
				 str(x, "last_time"));
		else
			snprintf(times, sizeof(times), "unknown");
		cells[0] = export_where(x, "quarantined_path", where, sizeof(where));
		cells[1] = range;
		cells[2] = times;
		cells[3] = str(x, "code");
		cells[4] = str(x, "reason");
		table_row(p, &t, cells, shade ^= 1);
	}
	p->y -= 6;
}

static void late_warnings(struct pdf *p, const cJSON *at, int limit)
{
	static const char *const hdr[] = { "Seq", "Time", "Code", "Message" };
	static const double w[] = { 0.08, 0.22, 0.22, 0.48 };
	struct table t = { 4, hdr, w, 7 };
	const cJSON *x;
	int n = 0, shade = 0, total = (int)num(at, "warnings_total");
	char buf[160];

	heading(p, "Verification warnings", 2);
	para(p, p->reg, 9, "Warnings of the verification of this period's entries: they did not "
	     "stop the ingest, but each deserves a look (an entry dated before the one stored "
	     "before it, a key revoked after it signed, ...).");
	if (total == 0) {
		para(p, p->reg, 9, "None.");
		return;
	}
	table_header(p, &t);
	cJSON_ArrayForEach(x, get(at, "warnings")) {
		char seq[24];
		const char *cells[4];

		if (n++ >= limit)
			break;
		cells[0] = seq_cell(x, seq, sizeof(seq));
		cells[1] = str(x, "time");
		cells[2] = str(x, "code");
		cells[3] = str(x, "message");
		table_row(p, &t, cells, shade ^= 1);
	}
	if (total > limit) {
		snprintf(buf, sizeof(buf), "%d more %s; the JSON report's attestation holds "
			 "the first 1000.", total - limit, pl(total - limit, "warning", "warnings"));
		para(p, p->reg, 9, buf);
	}
	p->y -= 6;
}

/* The section: coverage, rejected exports, warnings, the folder superseded. */
static void sec_late(struct pdf *p, const char *title, int limit)
{
	const cJSON *at = p->d->attest, *sup = get(at, "supersedes");
	char buf[1200];

	heading(p, title ? title : "Late and missing data", 1);
	late_coverage(p, get(at, "coverage"));
	late_rejected(p, get(at, "rejected_exports"));
	late_warnings(p, at, limit);
	heading(p, "Earlier pack replaced", 2);
	if (sup != NULL)
		snprintf(buf, sizeof(buf), "This pack supersedes the report folder whose MANIFEST "
			 "has SHA-256 %s.  Why: %s.", str(sup, "manifest_sha256"), str(sup, "reason"));
	else
		snprintf(buf, sizeof(buf), "None named: this pack was rendered into an empty "
			 "folder, or by 'rbaudit report', which does not say what it replaces.");
	para(p, p->reg, 9, buf);
	p->y -= 8;
}

/* ---- sections ---- */

static void sec_cover(struct pdf *p)
{
	const cJSON *a = p->a;
	char buf[512];
	const char *org = p->t->organisation[0] ? p->t->organisation : str(a, "ledger");

	double y;

	box(p, 0, PAGE_H - 230, PAGE_W, 230, 0x1f3f63);
	HPDF_Page_SetRGBFill(p->page, 1, 1, 1);
	/* Wrapped, and cut with "…" so that all of it stays in the band. */
	y = lines_at(p, LEFT, PAGE_H - 92, p->bold, 26, 30,
		     p->t->title[0] ? p->t->title : "Rollback report", WIDTH, 2);
	if (p->t->subtitle[0])
		y = lines_at(p, LEFT, y - 4, p->reg, 13, 16, p->t->subtitle, WIDTH, 3);
	lines_at(p, LEFT, y - 16, p->reg, 12, 15, org, WIDTH, 2);
	HPDF_Page_SetRGBFill(p->page, 0, 0, 0);
	p->y = PAGE_H - 280;
	{
		static const char *const rows[][2] = {
			{ "Ledger", "ledger" }, { "Period", "period" }, { "From", "start" },
			{ "Until (exclusive)", "end" }, { "Data as of", "as_of" },
			{ "Policy SHA-256", "policy_sha256" },
		};
		size_t i;

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			double below;

			text_at(p, LEFT, p->y, p->bold, 11, rows[i][0]);
			below = lines_at(p, LEFT + 130, p->y, i == 5 ? p->mono : p->reg,
					 i == 5 ? 8.5 : 11, 13, str(a, rows[i][1]), WIDTH - 130, 3);
			p->y = below - 7;
		}
	}
	p->y -= 20;
	snprintf(buf, sizeof(buf), "%.0f %s executed against %.0f %s; "
		 "%.0f with a complete evidence package; %.0f at high or critical security "
		 "impact.", num(a, "rollbacks_executed"),
		 pl(num(a, "rollbacks_executed"), "rollback", "rollbacks"), num(a, "deployments"),
		 pl(num(a, "deployments"), "deployment", "deployments"),
		 num(a, "evidence_complete"), num(get(a, "levels"), "high") +
		 num(get(a, "levels"), "critical"));
	para(p, p->reg, 11, buf);
	p->y -= 4;
	cover_late(p);
	p->y -= 6;
	snprintf(buf, sizeof(buf), "Generated by rbaudit from the verified ledger; the figures "
		 "are those of the analysis stored for this period and policy, and the date "
		 "is that of the data (%s), not of printing.", str(a, "as_of"));
	para(p, p->reg, 9, buf);
	new_page(p);
}

static void figure_box(struct pdf *p, double x, double y, const char *label,
		       const char *value)
{
	box(p, x, y, WIDTH / 3 - 8, 52, 0xeef2f7);
	text_at(p, x + 8, y + 30, p->bold, 17, value);
	text_at(p, x + 8, y + 12, p->reg, 8.5, label);
}

static void sec_key_figures(struct pdf *p, const char *title)
{
	struct rb_key_figures k;
	int i, rows;

	rb_key_figures(p->d, &k);
	rows = (k.n + 2) / 3;
	need(p, rows * 60 + 70);        /* the heading with its boxes */
	heading(p, title ? title : "Key figures", 1);
	need(p, rows * 60 + 10);
	for (i = 0; i < k.n; i++)
		figure_box(p, LEFT + (i % 3) * (WIDTH / 3 + 4), p->y - 56 - 60.0 * (double)(int)(i / 3),
			   k.label[i], k.value[i]);
	p->y -= rows * 60 + 12;
}

/* label cut with "…" to fit width at size (into out, n bytes). */
static void fit_label(struct pdf *p, const char *label, double size, double width, char *out,
		      size_t n)
{
	size_t len;

	snprintf(out, n, "%s", label);
	len = strlen(out);
	while (len > 0 && width_of(p, p->reg, size, out) > width) {
		do
			len--;
		while (len > 0 && (out[len] & 0xc0) == 0x80);
		snprintf(out + len, n - len, "\u2026");
	}
}

/* A horizontal bar chart; a value that is NaN is shown as n/a. */
static void hbar_chart(struct pdf *p, const char *title, const char **labels,
		       const double *values, int n, double max, const char *unit,
		       const char *legend, unsigned color, int counts)
{
	double lw = 130, cw = WIDTH - lw - 40, bh = 13, h = n * (bh + 6) + 60;
	double x0 = LEFT + lw, y0, tick;
	int i, k, nt;
	char buf[64], lab[512];

	need(p, h + 40);        /* the heading and its chart on one page */
	heading(p, title, 2);
	y0 = p->y - h + 36;     /* the axis */
	if (max <= 0)
		max = 1;
	tick = rb_round_tick(max, counts);
	nt = (int)ceil(max / tick);
	if (nt < 1)
		nt = 1;
	for (k = 0; k <= nt; k++) {
		double x = x0 + cw * k / nt;

		line(p, x, y0, x, y0 + n * (bh + 6) + 4, 0.3, 0xcccccc);
		snprintf(buf, sizeof(buf), "%g%s", k * tick, unit);
		text_at(p, x - width_of(p, p->reg, 7, buf) / 2, y0 - 10, p->reg, 7, buf);
	}
	for (i = 0; i < n; i++) {
		double y = y0 + (n - 1 - i) * (bh + 6) + 4;
		double w = isnan(values[i]) ? 0 : cw * values[i] / (tick * nt);

		fit_label(p, labels[i], 8, lw - 10, lab, sizeof(lab));
		text_right(p, x0 - 6, y + 3, p->reg, 8, lab);
		if (w > 0)
			box(p, x0, y, w > cw ? cw : w, bh, color);
		if (isnan(values[i]))
			snprintf(buf, sizeof(buf), "n/a (not required)");
		else
			snprintf(buf, sizeof(buf), "%g%s", round(values[i] * 10) / 10, unit);
		text_at(p, x0 + (w > cw ? cw : w) + 4, y + 3, p->reg, 7.5, buf);
	}
	line(p, x0, y0, x0 + cw, y0, 0.8, 0x333333);
	line(p, x0, y0, x0, y0 + n * (bh + 6) + 4, 0.8, 0x333333);
	/* Legend. */
	box(p, x0, y0 - 26, 9, 9, color);
	text_at(p, x0 + 13, y0 - 25, p->reg, 8, legend);
	p->y -= h + 6;
}

/* The most services the chart shows; a note counts the rest. */
#define TOP_SERVICES 20

static void chart_by_service(struct pdf *p)
{
	const cJSON *s = get(p->a, "by_service"), *x, *top[TOP_SERVICES];
	const char *labels[TOP_SERVICES];
	double v[TOP_SERVICES], max = 0, rest = 0;
	int n = 0, i, k, all = 0;
	char note[300];

	/* The highest counts, ties in the analysis's (name) order. */
	cJSON_ArrayForEach(x, s) {
		all++;
		for (i = n; i > 0 && top[i - 1]->valuedouble < x->valuedouble; i--)
			;
		if (i == TOP_SERVICES) {
			rest += x->valuedouble;
			continue;
		}
		if (n == TOP_SERVICES)
			rest += top[--n]->valuedouble;
		for (k = n; k > i; k--)
			top[k] = top[k - 1];
		top[i] = x;
		n++;
	}
	if (n == 0) {
		heading(p, "Rollbacks by service", 2);
		para(p, p->reg, 9, "No rollbacks in this period.");
		return;
	}
	for (i = 0; i < n; i++) {
		labels[i] = top[i]->string;
		v[i] = top[i]->valuedouble;
		max = v[i] > max ? v[i] : max;
	}
	hbar_chart(p, "Rollbacks by service", labels, v, n, max, "",
		   "rollbacks executed in the period", 0x2b5c8a, 1);
	if (all > n) {
		snprintf(note, sizeof(note), "The %d services with the most rollbacks are drawn; "
			 "%d more service%s, with %.0f rollback%s together, %s not.  The workbook "
			 "and the JSON list every service.", n, all - n, all - n == 1 ? "" : "s",
			 rest, rest == 1 ? "" : "s", all - n == 1 ? "is" : "are");
		para(p, p->reg, 8.5, note);
	}
}

static void chart_evidence(struct pdf *p)
{
	/* The order of the request's own items first, then what follows it. */
	static const enum rb_evidence order[RB_NEVIDENCE] = { RB_EVIDENCE_TICKET,
		RB_EVIDENCE_RATIONALE, RB_EVIDENCE_IMPACT, RB_EVIDENCE_SECURITY_CONSIDERATIONS,
		RB_EVIDENCE_APPROVALS, RB_EVIDENCE_TESTS, RB_EVIDENCE_SECURITY_SCAN,
		RB_EVIDENCE_REVIEW };
	const char *items[RB_NEVIDENCE];
	double v[RB_NEVIDENCE];
	int i;

	for (i = 0; i < RB_NEVIDENCE; i++) {
		const cJSON *c = get(p->d->rollup->evidence, rb_evidence_names[order[i]]);
		double req = num(c, "required"), pres = num(c, "present");

		items[i] = rb_evidence_names[order[i]];
		v[i] = req > 0 ? 100.0 * pres / req : NAN;
	}
	hbar_chart(p, "Evidence completeness by item", items, v, RB_NEVIDENCE, 100, "%",
		   "share of rollbacks that required the item and had it", 0x3d8b5a, 0);
}

static void chart_levels(struct pdf *p)
{
	const char *const *names = rb_level_names;
	static const unsigned colors[RB_NLEVELS] = { 0x7aa874, 0xe0b030, 0xe07a30, 0xc0392b };
	const cJSON *lv = get(p->a, "levels");
	double max = 1, h = 190, x0 = LEFT + 40, cw = WIDTH - 80, y0, bw;
	int i;
	char buf[32];

	need(p, h + 40);
	heading(p, "Security impact levels", 2);
	y0 = p->y - h + 40;
	for (i = 0; i < 4; i++)
		if (num(lv, names[i]) > max)
			max = num(lv, names[i]);
	bw = cw / 4 * 0.55;
	for (i = 0; i < 4; i++) {
		double x = x0 + cw / 4 * i + (cw / 4 - bw) / 2;
		double bh = (h - 70) * num(lv, names[i]) / max;

		box(p, x, y0, bw, bh, colors[i]);
		snprintf(buf, sizeof(buf), "%.0f", num(lv, names[i]));
		text_at(p, x + bw / 2 - width_of(p, p->bold, 9, buf) / 2, y0 + bh + 4, p->bold, 9,
			buf);
		text_at(p, x + bw / 2 - width_of(p, p->reg, 8.5, names[i]) / 2, y0 - 12, p->reg,
			8.5, names[i]);
	}
	line(p, x0, y0, x0 + cw, y0, 0.8, 0x333333);
	line(p, x0, y0, x0, y0 + h - 60, 0.8, 0x333333);
	text_at(p, LEFT, y0 + h - 62, p->reg, 7.5, "rollbacks");
	/* Legend: the thresholds of the policy. */
	snprintf(buf, sizeof(buf), "score >= %.0f", num(get(get(p->a, "policy"), "levels"), "critical"));
	for (i = 0; i < 4; i++) {
		char lg[80];

		if (i == 0)
			snprintf(lg, sizeof(lg), "low: below %.0f",
				 num(get(get(p->a, "policy"), "levels"), "medium"));
		else
			snprintf(lg, sizeof(lg), "%s: from %.0f", names[i],
				 num(get(get(p->a, "policy"), "levels"), names[i]));
		box(p, LEFT + 40 + i * 120, y0 - 32, 9, 9, colors[i]);
		text_at(p, LEFT + 53 + i * 120, y0 - 31, p->reg, 7.5, lg);
	}
	p->y -= h + 4;
}

/* MTTD and MTTR over the trend periods, oldest first, then this period. */
static void chart_trend(struct pdf *p)
{
	const cJSON *tr = get(p->a, "trend");
	int n = cJSON_GetArraySize(tr) + 1, i, s;
	const cJSON *pts[128];
	double max = 0.1, h = 210, x0 = LEFT + 45, cw = WIDTH - 60, y0;
	static const char *const series[2] = { "ttd", "ttr" };
	static const char *const names[2] = { "MTTD (mean time to detect)",
					       "MTTR (mean time to restore)" };
	static const unsigned colors[2] = { 0x2b5c8a, 0xc0392b };
	char buf[48];

	if (n > 128)
		n = 128;
	for (i = 0; i < n - 1; i++)
		pts[n - 2 - i] = cJSON_GetArrayItem(tr, i);
	pts[n - 1] = p->a;
	for (i = 0; i < n; i++)
		for (s = 0; s < 2; s++)
			if (num(get(pts[i], series[s]), "mean") / 3600 > max)
				max = num(get(pts[i], series[s]), "mean") / 3600;
	need(p, h + 40);
	heading(p, "MTTD and MTTR trend (hours)", 2);
	y0 = p->y - h + 50;
	for (i = 0; i <= 4; i++) {
		double y = y0 + (h - 80) * i / 4;

		line(p, x0, y, x0 + cw, y, 0.3, 0xcccccc);
		snprintf(buf, sizeof(buf), "%.1f h", max * i / 4);
		text_right(p, x0 - 4, y - 3, p->reg, 7, buf);
	}
	for (i = 0; i < n; i++) {
		double x = n == 1 ? x0 + cw / 2 : x0 + cw * i / (n - 1);

		text_at(p, x - width_of(p, p->reg, 7, str(pts[i], "period")) / 2, y0 - 11, p->reg,
			7, str(pts[i], "period"));
	}
	for (s = 0; s < 2; s++) {
		int first = 1;

		rgb(p, 0, colors[s]);
		HPDF_Page_SetLineWidth(p->page, 1.6);
		for (i = 0; i < n; i++) {
			const cJSON *m = get(get(pts[i], series[s]), "mean");
			double x = n == 1 ? x0 + cw / 2 : x0 + cw * i / (n - 1);
			double y;

			if (!cJSON_IsNumber(m)) {
				first = 1;
				continue;
			}
			y = y0 + (h - 80) * (m->valuedouble / 3600) / max;
			if (first)
				HPDF_Page_MoveTo(p->page, (HPDF_REAL)x, (HPDF_REAL)y);
			else
				HPDF_Page_LineTo(p->page, (HPDF_REAL)x, (HPDF_REAL)y);
			first = 0;
		}
		HPDF_Page_Stroke(p->page);
		for (i = 0; i < n; i++) {
			const cJSON *m = get(get(pts[i], series[s]), "mean");
			double x = n == 1 ? x0 + cw / 2 : x0 + cw * i / (n - 1);

			if (cJSON_IsNumber(m))
				box(p, x - 2.5, y0 + (h - 80) * (m->valuedouble / 3600) / max - 2.5, 5,
				    5, colors[s]);
		}
		box(p, x0 + s * 200, y0 - 30, 9, 9, colors[s]);
		text_at(p, x0 + 13 + s * 200, y0 - 29, p->reg, 8, names[s]);
	}
	rgb(p, 0, 0);
	line(p, x0, y0, x0 + cw, y0, 0.8, 0x333333);
	line(p, x0, y0, x0, y0 + h - 80, 0.8, 0x333333);
	p->y -= h + 4;
}

static void sec_chart(struct pdf *p, const char *chart)
{
	if (strcmp(chart, "rollbacks-by-service") == 0)
		chart_by_service(p);
	else if (strcmp(chart, "mttd-mttr-trend") == 0)
		chart_trend(p);
	else if (strcmp(chart, "evidence-completeness") == 0)
		chart_evidence(p);
	else
		chart_levels(p);
}

static void sec_findings_summary(struct pdf *p, const char *title)
{
	static const char *const hdr[] = { "Finding", "Rollbacks", "Meaning", "Controls" };
	static const double w[] = { 0.22, 0.1, 0.4, 0.28 };
	struct table t = { 4, hdr, w, 8.5 };
	const cJSON *x;
	int shade = 0;

	heading(p, title ? title : "Findings by control rule", 1);
	table_header(p, &t);
	cJSON_ArrayForEach(x, get(p->a, "finding_counts")) {
		char n[16], ctl[256] = "";
		const char *cells[4];

		snprintf(n, sizeof(n), "%.0f", x->valuedouble);
		rb_join(get(get(get(p->a, "control_mapping"), "findings"), x->string), ", ", ctl,
			   sizeof(ctl));
		cells[0] = x->string;
		cells[1] = n;
		cells[2] = rb_finding_meaning(rb_finding_of(x->string));
		cells[3] = ctl[0] ? ctl : "-";
		table_row(p, &t, cells, shade ^= 1);
	}
	p->y -= 8;
}

static void sec_findings(struct pdf *p, const char *title, int limit)
{
	static const char *const hdr[] = { "Rollback", "Service / env", "Finding", "Facts",
					   "Controls" };
	static const double w[] = { 0.13, 0.17, 0.19, 0.31, 0.2 };
	struct table t = { 5, hdr, w, 7.5 };
	const cJSON *r;
	int shown = 0, total = 0, shade = 0;
	char buf[200];

	heading(p, title ? title : "Findings", 1);
	table_header(p, &t);
	total = p->d->rollup->findings;
	cJSON_ArrayForEach(r, p->d->rollup->shown) {
		const cJSON *f;

		cJSON_ArrayForEach(f, get(r, "findings")) {
			char se[200], facts[400], ctl[256];
			const char *cells[5];

			if (shown >= limit)
				break;
			snprintf(se, sizeof(se), "%s / %s", str(r, "service"), str(r, "environment"));
			snprintf(facts, sizeof(facts), "tier %s%s; requested by %s, executed by %s "
				 "at %s; %.0f of %.0f approvals valid", str(r, "risk_tier"),
				 cJSON_IsTrue(get(r, "emergency")) ? ", emergency" : "",
				 str(r, "requester"), str(r, "executor"), str(r, "executed"),
				 (double)cJSON_GetArraySize(get(r, "approvers")), num(r, "need"));
			rb_join(get(get(r, "finding_controls"), f->valuestring), ", ", ctl,
				   sizeof(ctl));
			cells[0] = str(r, "rollback_id");
			cells[1] = se;
			cells[2] = f->valuestring;
			cells[3] = facts;
			cells[4] = ctl;
			table_row(p, &t, cells, shade ^= 1);
			shown++;
		}
	}
	if (total == 0)
		para(p, p->reg, 9, "No findings in this period.");
	if (total > shown) {
		snprintf(buf, sizeof(buf), "%d more %s in the XLSX workbook and the JSON "
			 "analysis (this table shows the first %d).", total - shown,
			 pl(total - shown, "finding is", "findings are"), shown);
		para(p, p->reg, 8.5, buf);
	}
	p->y -= 8;
}

/* The rollback's entries from the ledger, with where each was ingested from. */
/*
 * The attestation's trail of r when it holds one (report.c read it for the
 * JSON report), else r's entries read from the ledger into *owned, which
 * the caller frees.  NULL after a read error (p->failed).
 */
static const cJSON *trail_of(struct pdf *p, const cJSON *r, cJSON **owned)
{
	const cJSON *have = get(get(p->d->attest, "trails"), str(r, "rollback_id"));
	struct rb_err e;

	*owned = NULL;
	if (have != NULL)
		return have;
	if (rb_trail_of(p->d->db, p->d->ledger_id, &p->trails, get(r, "seqs"), owned, &e) != 0) {
		p->failed = 1;
		return NULL;
	}
	return *owned;
}


/* Under a top-risk row: the first two lines of the rollback's rationale. */
static void rationale_lines(struct pdf *p, const cJSON *r, int shade)
{
	cJSON *owned, *rec;
	const cJSON *trail = trail_of(p, r, &owned);
	struct few_lines c;
	char text[1100];
	double size = 7.5, lead = size * 1.25;
	int k;

	if (trail == NULL)
		return;
	rec = rb_record_of(trail);
	cJSON_Delete(owned);
	if (rec == NULL) {
		p->failed = 1;
		return;
	}
	/* The record's second text is the rationale (render.h). */
	snprintf(text, sizeof(text), "Rationale: %s",
		 cJSON_GetArrayItem(cJSON_GetArrayItem(rec, 1), 1)->valuestring);
	cJSON_Delete(rec);
	few_lines(p, p->reg, size, text, WIDTH - 16, 2, &c);
	need(p, c.n * lead + 3);
	if (shade)
		box(p, LEFT, p->y - c.n * lead - 3, WIDTH, c.n * lead + 3, 0xeef2f7);
	for (k = 0; k < c.n; k++)
		text_at(p, LEFT + 12, p->y - size - k * lead, p->reg, size, c.l[k]);
	p->y -= c.n * lead + 3;
}

static void sec_top_risk(struct pdf *p, const char *title, int limit)
{
	static const char *const hdr[] = { "Rollback", "Service / env", "Score", "Level",
					   "Factors" };
	static const double w[] = { 0.14, 0.22, 0.08, 0.1, 0.46 };
	struct table t = { 5, hdr, w, 8 };
	const cJSON *r, **v;
	int n = cJSON_GetArraySize(p->d->rollup->shown), k = 0, i, j, shade = 0;

	heading(p, title ? title : "Highest security impact", 1);
	v = calloc((size_t)n + 1, sizeof(const cJSON *));
	if (v == NULL) {
		p->failed = 1;
		return;
	}
	/* The rollup keeps the highest scores (and others), in order. */
	cJSON_ArrayForEach(r, p->d->rollup->shown)
		v[k++] = r;
	/* Stable selection of the highest scores. */
	for (i = 0; i < k && i < limit; i++) {
		int best = i;

		for (j = i + 1; j < k; j++)
			if (num(v[j], "score") > num(v[best], "score"))
				best = j;
		r = v[best];
		memmove(&v[i + 1], &v[i], (size_t)(best - i) * sizeof(const cJSON *));
		v[i] = r;
	}
	table_header(p, &t);
	for (i = 0; i < k && i < limit; i++) {
		char se[200], sc[16], fac[400] = "";
		const cJSON *f;
		size_t used = 0;
		const char *cells[5];

		cJSON_ArrayForEach(f, get(v[i], "score_factors")) {
			int w2 = snprintf(fac + used, sizeof(fac) - used, "%s%s %.0f", used ? ", " : "",
					  str(f, "factor"), num(f, "weight"));

			if (w2 < 0 || (size_t)w2 >= sizeof(fac) - used)
				break;
			used += (size_t)w2;
		}
		snprintf(fac + used, sizeof(fac) - used, "%s x %.2f (environment)",
			 used ? ";" : "no factors", num(v[i], "environment_factor"));
		snprintf(se, sizeof(se), "%s / %s", str(v[i], "service"), str(v[i], "environment"));
		snprintf(sc, sizeof(sc), "%.0f", num(v[i], "score"));
		cells[0] = str(v[i], "rollback_id");
		cells[1] = se;
		cells[2] = sc;
		cells[3] = str(v[i], "level");
		cells[4] = fac;
		table_row(p, &t, cells, shade ^= 1);
		rationale_lines(p, v[i], shade);
	}
	free(v);
	p->y -= 8;
}

static void sec_trend(struct pdf *p, const char *title)
{
	static const char *const hdr[] = { "Period", "Rollbacks", "Deploys", "Rate", "MTTD",
					   "MTTR", "Complete" };
	static const double w[] = { 0.22, 0.12, 0.12, 0.12, 0.14, 0.14, 0.14 };
	struct table t = { 7, hdr, w, 8.5 };
	const cJSON *rows[130];
	int n = 0, i, shade = 0;
	const cJSON *x;

	heading(p, title ? title : "Trend", 1);
	rows[n++] = p->a;
	cJSON_ArrayForEach(x, get(p->a, "trend"))
		if (n < 130)
			rows[n++] = x;
	table_header(p, &t);
	for (i = 0; i < n; i++) {
		char c[7][64];
		const char *cells[7];
		int k;

		snprintf(c[0], 64, "%s", str(rows[i], "period"));
		snprintf(c[1], 64, "%.0f", num(rows[i], "rollbacks_executed"));
		snprintf(c[2], 64, "%.0f", num(rows[i], "deployments"));
		rb_fmt_pct(get(rows[i], "rollback_rate"), c[3], 64);
		rb_fmt_hours(get(get(rows[i], "ttd"), "mean"), c[4], 64);
		rb_fmt_hours(get(get(rows[i], "ttr"), "mean"), c[5], 64);
		rb_fmt_pct(get(rows[i], "evidence_complete_ratio"), c[6], 64);
		for (k = 0; k < 7; k++)
			cells[k] = c[k];
		table_row(p, &t, cells, shade ^= 1);
	}
	p->y -= 8;
}

/*
 * Append to by (from used) the names in a mapping group (name: [controls])
 * whose list holds control; returns the new length.
 */
static size_t names_mapping_to(const cJSON *group, const char *control, char *by,
			       size_t n, size_t used)
{
	const cJSON *r, *x;

	cJSON_ArrayForEach(r, group)
		cJSON_ArrayForEach(x, r)
			if (cJSON_IsString(x) && strcmp(x->valuestring, control) == 0) {
				int w = snprintf(by + used, n - used, "%s%s", used ? ", " : "",
						 r->string);

				if (w > 0 && (size_t)w < n - used)
					used += (size_t)w;
			}
	return used;
}

static void sec_controls(struct pdf *p, const char *title)
{
	static const char *const hdr[] = { "Control", "What it requires", "Evidenced by" };
	static const double w[] = { 0.2, 0.5, 0.3 };
	struct table t = { 3, hdr, w, 8 };
	const cJSON *c;
	int shade = 0;

	heading(p, title ? title : "Control mapping", 1);
	para(p, p->reg, 9, "Each finding and each evidence item evidences these controls; a "
	     "finding is an exception against them, a present evidence item supports them.");
	table_header(p, &t);
	cJSON_ArrayForEach(c, get(p->a, "controls")) {
		char by[600] = "";
		size_t used = 0;
		const char *cells[3];

		/* Which evidence items and findings name it. */
		used = names_mapping_to(get(get(p->a, "control_mapping"), "evidence"), c->string,
					by, sizeof(by), used);
		used = names_mapping_to(get(get(p->a, "control_mapping"), "findings"), c->string,
					by, sizeof(by), used);
		cells[0] = c->string;
		cells[1] = cJSON_IsString(c) ? c->valuestring : "";
		cells[2] = used ? by : "-";
		table_row(p, &t, cells, shade ^= 1);
	}
	p->y -= 8;
}

/*
 * What the attestation may claim: every entry verified (at ingest, and again
 * under the trust store as it is when a re-check was recorded), or which
 * entries touching the period no longer verify.
 */
static void attest_claim(struct pdf *p, const cJSON *at)
{
	const cJSON *tr = get(at, "trust");
	char buf[900], again[300] = "";
	int all = !cJSON_IsFalse(get(tr, "all_verified"));

	if (cJSON_IsFalse(get(tr, "current"))) {
		snprintf(buf, sizeof(buf), "WHETHER EVERY ENTRY VERIFIES UNDER THE TRUST STORE GIVEN "
			 "IS NOT ATTESTED.  This pack was made with the trust store of SHA-256 %s, "
			 "but the stored history was last verified again against %s%s%s.  Run "
			 "'rbaudit analyze --keys' (or ingest, or the job) with this trust store, then "
			 "render the reports again.  History of ledger %s: entries %.0f to %.0f.",
			 str(tr, "given_trust_store_sha256"),
			 cJSON_IsTrue(get(tr, "rechecked")) ? "the trust store of SHA-256 " :
			 "no trust store at all", cJSON_IsTrue(get(tr, "rechecked")) ?
			 str(tr, "trust_store_sha256") : "", cJSON_IsTrue(get(tr, "rechecked")) ?
			 "" : " since it was ingested", str(at, "ledger"), num(at, "base_seq"),
			 num(at, "size") - 1);
		para(p, p->bold, 9, buf);
		return;
	}
	if (all) {
		if (cJSON_IsTrue(get(tr, "rechecked")))
			snprintf(again, sizeof(again), "  Every stored entry was verified again "
				 "under the trust store as it is (SHA-256 %s, checked %s), and every "
				 "one behind this report still verifies.", str(tr, "trust_store_sha256"),
				 str(tr, "checked"));
		snprintf(buf, sizeof(buf), "Every entry behind this report was verified by rbaudit "
			 "before it was stored: its DSSE Ed25519 signature under a trusted key valid "
			 "at its time, its sequence and hash chain, and the RFC 6962 Merkle root "
			 "signed in the ledger's checkpoint (ledger-export-v1).%s  Verified history "
			 "of ledger %s: entries %.0f to %.0f.", again, str(at, "ledger"),
			 num(at, "base_seq"), num(at, "size") - 1);
		para(p, p->reg, 9, buf);
		return;
	}
	snprintf(buf, sizeof(buf), "NOT EVERY ENTRY BEHIND THIS REPORT VERIFIES.  %.0f %s "
		 "that this period's report rests on no longer %s under the trust store as it "
		 "is (SHA-256 %s, checked %s): a key revoked after the fact, removed from the "
		 "trust store or with its validity shortened.  They, the reason and the rollbacks "
		 "they concern are listed below; findings and figures that rest on them are not "
		 "attested.  The other entries were verified before they were stored (signature "
		 "under a trusted key valid at its time, sequence, hash chain, the Merkle root "
		 "signed in the checkpoint) and again under that trust store.  History of ledger "
		 "%s: entries %.0f to %.0f; %.0f %s of it no longer %s in all.",
		 num(tr, "failures_in_period"), pl(num(tr, "failures_in_period"), "entry", "entries"),
		 pl(num(tr, "failures_in_period"), "verifies", "verify"),
		 str(tr, "trust_store_sha256"), str(tr, "checked"),
		 str(at, "ledger"), num(at, "base_seq"), num(at, "size") - 1,
		 num(tr, "failures_total"), pl(num(tr, "failures_total"), "entry", "entries"),
		 pl(num(tr, "failures_total"), "verifies", "verify"));
	para(p, p->bold, 9, buf);
}

/* The entries of the period that no longer verify, and the rollbacks they concern. */
static void attest_failures(struct pdf *p, const cJSON *at)
{
	static const char *const h[] = { "Seq", "Time", "Event", "Code", "Rollbacks", "Why" };
	static const double w[] = { 0.06, 0.19, 0.15, 0.15, 0.13, 0.32 };
	struct table t = { 6, h, w, 7 };
	const cJSON *tr = get(at, "trust"), *x;
	char ids[1200];
	int shade = 0;

	if (cJSON_GetArraySize(get(tr, "failures")) == 0)
		return;
	heading(p, "Entries that no longer verify", 2);
	rb_join(get(tr, "rollbacks_affected"), ", ", ids, sizeof(ids));
	{
		char buf[1400];

		snprintf(buf, sizeof(buf), "Rollbacks affected: %s.", ids[0] ? ids : "none");
		para(p, p->reg, 9, buf);
	}
	table_header(p, &t);
	cJSON_ArrayForEach(x, get(tr, "failures")) {
		char seq[32];
		const char *cells[6];

		snprintf(seq, sizeof(seq), "%.0f", num(x, "seq"));
		cells[0] = seq;
		cells[1] = str(x, "time");
		cells[2] = str(x, "event");
		cells[3] = str(x, "code");
		cells[4] = str(x, "rollbacks")[0] ? str(x, "rollbacks") : "-";
		cells[5] = str(x, "message");
		table_row(p, &t, cells, shade ^= 1);
	}
	if (num(tr, "failures_in_period") > cJSON_GetArraySize(get(tr, "failures"))) {
		char buf[160];

		double more = num(tr, "failures_in_period") - cJSON_GetArraySize(get(tr, "failures"));

		snprintf(buf, sizeof(buf), "... and %.0f more %s: the JSON report and "
			 "'rbaudit check' list them all.", more, pl(more, "entry", "entries"));
		para(p, p->reg, 9, buf);
	}
	p->y -= 6;
}

/* The keys: roles, validity, revocation, and what each signed in the period. */
static void attest_keys(struct pdf *p, const cJSON *at)
{
	static const char *const h[] = { "Key", "Roles", "Valid from", "Valid until", "Revoked",
		"Signed", "Co-signed" };
	static const double w[] = { 0.17, 0.15, 0.17, 0.17, 0.17, 0.07, 0.10 };
	static const char *const kh[] = { "Key", "C2SP verifier key string" };
	static const double kw[] = { 0.2, 0.8 };
	struct table t = { 7, h, w, 6.5 }, kt = { 2, kh, kw, 7 };
	const cJSON *tr = get(at, "trust"), *x;
	int shade = 0;

	heading(p, "Signing keys", 2);
	para(p, p->reg, 9, strcmp(str(tr, "keys_from"), "trust store") == 0 ?
	     "The trust store as it is when this report was rendered; \"Signed\" and "
	     "\"Co-signed\" (countersigned) count the entries of the period." :
	     "The keys as the trust store held them when entries were ingested; \"Signed\" "
	     "and \"Co-signed\" (countersigned) count the entries of the period.");
	table_header(p, &t);
	cJSON_ArrayForEach(x, get(at, "keys")) {
		char roles[300], n1[32], n2[32];
		const char *cells[7];

		snprintf(roles, sizeof(roles), "%s%s", str(x, "roles"),
			 cJSON_IsFalse(get(x, "in_trust_store")) ? " (no longer in the trust store)" :
			 "");
		snprintf(n1, sizeof(n1), "%.0f", num(x, "entries_signed"));
		snprintf(n2, sizeof(n2), "%.0f", num(x, "countersigned"));
		cells[0] = str(x, "name");
		cells[1] = roles;
		cells[2] = str(x, "valid_from");
		cells[3] = str(x, "valid_until")[0] ? str(x, "valid_until") : "-";
		cells[4] = str(x, "revoked_at")[0] ? str(x, "revoked_at") : "-";
		cells[5] = n1;
		cells[6] = n2;
		table_row(p, &t, cells, shade ^= 1);
	}
	p->y -= 6;
	table_header(p, &kt);
	shade = 0;
	cJSON_ArrayForEach(x, get(at, "keys")) {
		const char *cells[2] = { str(x, "name"), str(x, "keystring") };

		table_row(p, &kt, cells, shade ^= 1);
	}
	p->y -= 6;
}

/* The witnesses whose cosignatures on the latest checkpoint verified at ingest. */
static void attest_witnesses(struct pdf *p, const cJSON *at)
{
	const cJSON *x;
	char wl[1200];
	size_t used = (size_t)snprintf(wl, sizeof(wl), "Witnesses that cosigned this checkpoint: ");
	int n = 0;

	cJSON_ArrayForEach(x, get(at, "witnesses")) {
		int w = snprintf(wl + used, sizeof(wl) - used, "%s%s (%s)", n++ ? ", " : "",
				 str(x, "name"), str(x, "time"));

		if (w < 0 || (size_t)w >= sizeof(wl) - used)
			break;
		used += (size_t)w;
	}
	if (n == 0)
		snprintf(wl + used, sizeof(wl) - used, "none.");
	para(p, p->reg, 8.5, wl);
}

static void sec_attestation(struct pdf *p, const char *title)
{
	static const char *const ih[] = { "Export", "Range", "New", "Checkpoint key", "Stored" };
	static const double iw[] = { 0.36, 0.16, 0.08, 0.18, 0.22 };
	struct table it = { 5, ih, iw, 7.5 };
	const cJSON *at = p->d->attest, *x;
	int shade = 0;

	heading(p, title ? title : "Verification attestation", 1);
	attest_claim(p, at);
	attest_failures(p, at);
	text_at(p, LEFT, p->y - 9, p->bold, 9, "Checkpoint root (base64)");
	text_at(p, LEFT + 140, p->y - 9, p->mono, 8.5, str(at, "root"));
	p->y -= 16;
	text_at(p, LEFT, p->y - 9, p->bold, 9, "Latest signed checkpoint");
	p->y -= 14;
	{
		char cp[2048], *l, *save = NULL;

		snprintf(cp, sizeof(cp), "%s", str(at, "checkpoint"));
		for (l = strtok_r(cp, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
			struct para_ctx c = { p, p->mono, 7, LEFT + 10 };

			wrap(p, p->mono, 7, l, WIDTH - 10, para_line, &c);
		}
	}
	p->y -= 6;
	attest_witnesses(p, at);
	attest_keys(p, at);
	heading(p, "Ingests (verdict: accepted)", 2);
	table_header(p, &it);
	cJSON_ArrayForEach(x, get(at, "ingests")) {
		char range[64], nw[32], where[1200];
		const char *cells[5];

		snprintf(range, sizeof(range), "%.0f..%.0f", num(x, "first_seq"), num(x, "last_seq"));
		snprintf(nw, sizeof(nw), "%.0f", num(x, "new_entries"));
		cells[0] = export_where(x, "archived_path", where, sizeof(where));
		cells[1] = range;
		cells[2] = nw;
		cells[3] = str(x, "checkpoint_key");
		cells[4] = str(x, "finished");
		table_row(p, &it, cells, shade ^= 1);
	}
	p->y -= 8;
}

/* One rollback: facts, timeline (entries), approvers, evidence, findings. */
/*
 * metrics-v1 §8: the failed attempts before the execution, and the
 * spellings taken as one person, when there are any.
 */
static void people_note(struct pdf *p, const cJSON *r)
{
	const cJSON *x;
	char buf[1200], list[600];
	size_t used = 0;

	if (num(r, "failed_attempts") > 0) {
		snprintf(buf, sizeof(buf), "%.0f failed execution attempt%s before the execution "
			 "that counts.", num(r, "failed_attempts"),
			 num(r, "failed_attempts") == 1 ? "" : "s");
		para(p, p->reg, 8.5, buf);
	}
	cJSON_ArrayForEach(x, get(r, "same_person")) {
		int w;

		rb_quote_list(get(x, "spellings"), list, sizeof(list));
		w = snprintf(buf + used, sizeof(buf) - used, "%s%s are one person (%s)",
			     used ? "; " : "Taken as one person: ", list, str(x, "person"));
		if (w < 0 || (size_t)w >= sizeof(buf) - used)
			break;
		used += (size_t)w;
	}
	if (used > 0 && used + 2 < sizeof(buf)) {
		memcpy(buf + used, ".", 2);
		para(p, p->reg, 8.5, buf);
	}
}

/* ---- a rollback's record ---- */

#define LABEL_W 122.0

struct field_ctx {
	struct pdf *p;
	const char *label;      /* drawn beside the first line, then NULL */
	double size;
};

static void field_line(void *vc, const char *l)
{
	struct field_ctx *c = vc;

	need(c->p, c->size * 1.3);
	if (c->label != NULL) {
		text_at(c->p, LEFT, c->p->y - c->size, c->p->bold, c->size, c->label);
		c->label = NULL;
	}
	text_at(c->p, LEFT + LABEL_W, c->p->y - c->size, c->p->reg, c->size, l);
	c->p->y -= c->size * 1.3;
}

/*
 * One text of the record beside its label, wrapped; a text of more than
 * RB_PDF_TEXT_MAX characters is cut, with a note saying how many more
 * there are and where the whole text is.
 */
static void field(struct pdf *p, const char *label, const char *text)
{
	struct field_ctx c = { p, label, 8 };
	size_t bytes = 0, at = 0, left = strlen(text);
	long long chars = 0;
	char *cut = NULL, note[200];

	/* at: where the RB_PDF_TEXT_MAX-th character ends. */
	while (bytes < left) {
		uint32_t cp;
		int k = rb_utf8_next(text + bytes, left - bytes, &cp);

		bytes += (size_t)(k > 0 ? k : 1);
		if (++chars == RB_PDF_TEXT_MAX)
			at = bytes;
	}
	if (chars > RB_PDF_TEXT_MAX) {
		rb_cut_note(chars - RB_PDF_TEXT_MAX, note, sizeof(note));
		if ((cut = malloc(at + strlen(note) + 2)) == NULL) {
			p->failed = 1;
			return;
		}
		memcpy(cut, text, at);
		snprintf(cut + at, strlen(note) + 2, " %s", note);
	}
	wrap(p, p->reg, c.size, cut != NULL ? cut : text, WIDTH - LABEL_W, field_line, &c);
	p->y -= 1.5;
	free(cut);
}

static void detail_summary(struct pdf *p, const cJSON *r, int sampled)
{
	char buf[1400], fa[300];

	snprintf(buf, sizeof(buf), "%s%s: %s / %s, tier %s%s, score %.0f (%s)",
		 str(r, "rollback_id"), sampled ? " (sampled)" : "", str(r, "service"),
		 str(r, "environment"), str(r, "risk_tier"),
		 cJSON_IsTrue(get(r, "emergency")) ? ", emergency" : "", num(r, "score"),
		 str(r, "level"));
	heading(p, buf, 2);
	rb_join(get(r, "findings"), ", ", fa, sizeof(fa));
	snprintf(buf, sizeof(buf), "%sChange %s, incident %s.  Requested by %s at %s; executed "
		 "by %s at %s.  Approvals: %.0f valid of %.0f needed.  Evidence completeness "
		 "%.0f%%.  Findings: %s.", sampled ? "In the audit sample.  " : "",
		 str(r, "change_id"),
		 rb_json_str(r, "incident_id") ? str(r, "incident_id") : "none",
		 str(r, "requester"), str(r, "requested"), str(r, "executor"), str(r, "executed"),
		 (double)cJSON_GetArraySize(get(r, "approvers")), num(r, "need"),
		 100 * num(r, "completeness"), fa[0] ? fa : "none");
	para(p, p->reg, 8.5, buf);
	people_note(p, r);
}

/* One rollback: its facts, its record as the ledger holds it, its timeline. */
static void rollback_detail(struct pdf *p, const cJSON *r, int sampled)
{
	static const char *const th[] = { "Time", "Seq", "Event", "Actor",
					  "Ingested from; proof file" };
	static const double tw[] = { 0.22, 0.07, 0.17, 0.23, 0.31 };
	struct table t = { 5, th, tw, 7.5 };
	cJSON *owned, *rec;
	const cJSON *trail = trail_of(p, r, &owned), *x;
	int shade = 0;

	if (trail == NULL)
		return;
	detail_summary(p, r, sampled);
	if ((rec = rb_record_of(trail)) == NULL) {
		p->failed = 1;
		cJSON_Delete(owned);
		return;
	}
	cJSON_ArrayForEach(x, rec)
		field(p, cJSON_GetArrayItem(x, 0)->valuestring, cJSON_GetArrayItem(x, 1)->valuestring);
	cJSON_Delete(rec);
	p->y -= 4;
	table_header(p, &t);
	cJSON_ArrayForEach(x, trail) {
		char seq[24], where[1200];
		const char *cells[5];

		snprintf(seq, sizeof(seq), "%.0f", num(x, "seq"));
		snprintf(where, sizeof(where), "%s/%s:%.0f%s%s", str(x, "export"), str(x, "file"),
			 num(x, "line"), rb_json_str(x, "proof") ? "; proof " : "",
			 rb_json_str(x, "proof") ? str(x, "proof") : "");
		cells[0] = str(x, "time");
		cells[1] = seq;
		cells[2] = str(x, "event");
		cells[3] = str(x, "actor");
		cells[4] = where;
		table_row(p, &t, cells, shade ^= 1);
	}
	cJSON_Delete(owned);
	p->y -= 6;
}

static void sec_details(struct pdf *p, const char *title, const char *select, int limit)
{
	const cJSON *r;
	int flagged_shown = 0, flagged_left = 0, sampled_shown = 0, i = 0,
	    want_sample = strstr(select, "sample") != NULL,
	    want_flagged = strstr(select, "flagged") != NULL;
	char buf[400];

	heading(p, title ? title : "Rollbacks in detail", 1);
	para(p, p->reg, 9, "Each rollback below was drawn in the audit sample (every one of "
	     "them, marked so) or has a finding or a high security impact.  Its record is the "
	     "ledger's own text: the request's ticket, rationale, impact and security "
	     "considerations, every approval, rejection, execution, evidence item, review and "
	     "resolution.  Its timeline lists every ledger entry behind it, with its seq and "
	     "the export file and line it was ingested from, so that each line can be checked "
	     "against the ledger, and the entry's proof file in this folder's proofs/: a "
	     "c2sp.org/tlog-proof that the ledger's signed checkpoint includes exactly that "
	     "entry, which rbaudit verify-proof or any C2SP tool checks with the log's key "
	     "alone.");
	/* The rollup keeps every sampled rollback and the first flagged ones, in order. */
	cJSON_ArrayForEach(r, p->d->rollup->shown) {
		int in_sample = rb_in_sample(p->a, str(r, "rollback_id"));
		int flagged = want_flagged && rb_rollup_flagged(p->d->rollup, i++);

		if (p->failed)
			break;
		if (want_sample && in_sample) {
			sampled_shown++;
		} else if (flagged && flagged_shown < limit) {
			flagged_shown++;
		} else {
			continue;
		}
		rollback_detail(p, r, in_sample);
	}
	if (want_flagged) {
		int sel = (want_sample ? RB_SEL_SAMPLE : 0) | RB_SEL_FLAGGED;

		flagged_left = p->d->rollup->qualify[sel] - sampled_shown - flagged_shown;
	}
	if (flagged_left > 0) {
		snprintf(buf, sizeof(buf), "%d more flagged rollback%s%s %s left out of this "
			 "section (its limit is %d); they are in the XLSX workbook (sheets "
			 "Rollbacks and Records) and the JSON report.", flagged_left,
			 flagged_left == 1 ? "" : "s", want_sample ? " (not in the sample)" : "",
			 flagged_left == 1 ? "is" : "are", limit);
		para(p, p->reg, 9, buf);
	}
	if (sampled_shown + flagged_shown == 0)
		para(p, p->reg, 9, "No rollback qualifies.");
}

static void sec_anomalies(struct pdf *p, const char *title, int limit)
{
	static const char *const hdr[] = { "Seq", "Kind", "Rollback", "Detail" };
	static const double w[] = { 0.08, 0.18, 0.14, 0.6 };
	struct table t = { 4, hdr, w, 7.5 };
	const cJSON *x;
	int n = 0, shade = 0;

	heading(p, title ? title : "Data-quality anomalies", 1);
	para(p, p->reg, 9, "Entries that lack a member the metrics read, hold it with the wrong "
	     "type, repeat a lifecycle event, or refer to something never recorded.  They are "
	     "kept and shown; they never stop an analysis.");
	table_header(p, &t);
	cJSON_ArrayForEach(x, get(p->a, "anomalies")) {
		char seq[24];
		const char *cells[4];

		if (n++ >= limit)
			continue;
		cells[0] = seq_cell(x, seq, sizeof(seq));
		cells[1] = str(x, "kind");
		cells[2] = str(x, "rollback_id");
		cells[3] = str(x, "detail");
		table_row(p, &t, cells, shade ^= 1);
	}
	if (n == 0)
		para(p, p->reg, 9, "None.");
	p->y -= 8;
}

static void sec_methodology(struct pdf *p, const char *title)
{
	static const char *const text[] = {
		"Membership.  A rollback belongs to the period [start, end) when it has a "
		"rollback.requested and its first rollback.executed falls in the period.  as_of is "
		"the latest entry time of the ledger; windows not yet closed by as_of raise no "
		"finding.  Only the first rollback.requested, rollback.executed and "
		"rollback.closed of a rollback count.",
		"Derived times.  D is the time of the first change.deployed of the rollback's "
		"change.  detected is the first incident.detected of its incident when that exists, "
		"else the request.  Valid approvers before t are the distinct actors of its "
		"approvals at or before t, other than its requester and executor.  need = "
		"approvals_required[risk_tier]; approved = at least need valid approvers before "
		"execution.",
		"Metrics.  rollback_rate = rollbacks executed / deployments (changes first deployed "
		"in the period).  TTD = detected - D; TTR = executed - detected; approval latency = "
		"time of the need-th valid approver - requested.  For each: n, mean, median (mean "
		"of the two middle values for even n) and p90 = the value at rank ceil(0.9 n), "
		"ascending.  Durations are shown in hours with one decimal.",
		"Evidence.  Required always: ticket, rationale, impact, security considerations "
		"(non-empty), approvals (approved; for an emergency, need valid approvers by "
		"as_of), tests (passing tests evidence).  A security scan is required for tiers in "
		"security_scan_required or when a sensitive category is touched; a review for "
		"emergencies and critical rollbacks.  completeness = present / required.",
		"Findings.  approvals-missing: not emergency and not approved.  "
		"separation-of-duties: an approval by the requester or executor.  "
		"emergency-unreviewed: emergency, executed + review window <= as_of, no review in "
		"[executed, executed + window].  unverified: executed + verify window <= as_of and "
		"no passing tests in [executed, executed + window].  stale-revert: executed + "
		"max_revert_days <= as_of and not closed by then.  security-regression: reintroduces "
		"an advisory.",
		"Security impact.  raw = sum of the weights of the distinct touched categories + "
		"advisory weight x min(advisories, 2) + gate-bypass weight when not emergency and "
		"not approved + emergency weight when emergency; score = min(100, floor(raw x "
		"environment factor + 0.5)); levels from the policy thresholds.",
	};
	char *pol = cJSON_PrintUnformatted(get(p->a, "policy")), buf[300];
	size_t i;

	heading(p, title ? title : "Methodology", 1);
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		para(p, p->reg, 8.5, text[i]);
	snprintf(buf, sizeof(buf), "Policy in force (SHA-256 %s):", str(p->a, "policy_sha256"));
	para(p, p->bold, 8.5, buf);
	{
		struct para_ctx c = { p, p->mono, 6.5, LEFT };

		wrap(p, p->mono, 6.5, pol ? pol : "", WIDTH, para_line, &c);
	}
	cJSON_free(pol);
}

static void footers(struct pdf *p)
{
	char buf[400];
	int i;

	for (i = 0; i < p->npages; i++) {
		p->page = p->pages[i];
		line(p, LEFT, BOTTOM - 18, RIGHT, BOTTOM - 18, 0.4, 0x999999);
		char left[400];

		snprintf(buf, sizeof(buf), "Page %d of %d", i + 1, p->npages);
		text_right(p, RIGHT, BOTTOM - 32, p->reg, 7.5, buf);
		snprintf(left, sizeof(left), "%s - %s - %s",
			 p->t->title[0] ? p->t->title : "rbaudit", str(p->a, "ledger"),
			 str(p->a, "period"));
		fit_label(p, left, 7.5, WIDTH - width_of(p, p->reg, 7.5, buf) - 12, buf,
			  sizeof(buf));
		text_at(p, LEFT, BOTTOM - 32, p->reg, 7.5, buf);
	}
}

/* The DejaVu fonts from dir, and fallbacks for what they lack (fonts.c). */
static int load_fonts(struct pdf *p, const char *dir, struct rb_err *e)
{
	if (rb_fonts_open(p->doc, dir, 1, &p->fonts, e) != 0)
		return -1;
	p->reg = rb_fonts_font(p->fonts, RB_FACE_REG);
	p->bold = rb_fonts_font(p->fonts, RB_FACE_BOLD);
	p->mono = rb_fonts_font(p->fonts, RB_FACE_MONO);
	return p->failed ? RB_ERR(e, RB_EX_CONFIG, "cannot load the fonts from '%s'", dir) : 0;
}

int rb_render_pdf(const struct rb_report_data *d, const struct rb_template *t,
		  const char *path, struct rb_err *e)
{
	struct pdf *p = calloc(1, sizeof(*p));
	const cJSON *s;
	int rc = -1;

	if (p == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	p->d = d;
	p->t = t;
	p->a = d->a;
	p->doc = HPDF_New(on_error, p);
	if (p->doc == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "libharu: cannot start a document");
		goto out;
	}
	HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL);
	HPDF_UseUTFEncodings(p->doc);
	if (load_fonts(p, d->font_dir != NULL ? d->font_dir : RB_FONT_DIR, e) != 0)
		goto out;
	HPDF_SetInfoAttr(p->doc, HPDF_INFO_CREATOR, "rbaudit");
	HPDF_SetInfoAttr(p->doc, HPDF_INFO_TITLE, t->title[0] ? t->title : "rbaudit report");
	new_page(p);
	cJSON_ArrayForEach(s, get(t->doc, "sections")) {
		const char *type = str(s, "type"), *title = rb_json_str(s, "title");
		int limit = cJSON_IsNumber(get(s, "limit")) ? (int)num(s, "limit") : 0;

		if (p->failed)
			break;
		if (strcmp(type, "cover") == 0)
			sec_cover(p);
		else if (strcmp(type, "key-figures") == 0)
			sec_key_figures(p, title);
		else if (strcmp(type, "chart") == 0)
			sec_chart(p, str(s, "chart"));
		else if (strcmp(type, "findings-summary") == 0)
			sec_findings_summary(p, title);
		else if (strcmp(type, "findings") == 0)
			sec_findings(p, title, limit ? limit : RB_LIMIT_FINDINGS);
		else if (strcmp(type, "top-risk") == 0)
			sec_top_risk(p, title, limit ? limit : RB_LIMIT_TOP_RISK);
		else if (strcmp(type, "trend-table") == 0)
			sec_trend(p, title);
		else if (strcmp(type, "controls") == 0)
			sec_controls(p, title);
		else if (strcmp(type, "attestation") == 0)
			sec_attestation(p, title);
		else if (strcmp(type, "rollback-details") == 0)
			sec_details(p, title, rb_json_str(s, "select") ? str(s, "select") :
				    "sample+flagged", limit ? limit : RB_LIMIT_DETAILS);
		else if (strcmp(type, "data-completeness") == 0)
			sec_late(p, title, limit ? limit : 200);
		else if (strcmp(type, "anomalies") == 0)
			sec_anomalies(p, title, limit ? limit : 200);
		else if (strcmp(type, "methodology") == 0)
			sec_methodology(p, title);
	}
	footers(p);
	if (p->failed) {
		RB_ERR(e, RB_EX_SOFTWARE, "libharu failed (status 0x%04lx) while drawing the report",
		       p->status);
		goto out;
	}
	if (HPDF_SaveToFile(p->doc, path) != HPDF_OK || p->failed) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot write '%s' (libharu status 0x%04lx)", path,
		       p->status);
		goto out;
	}
	rc = 0;
out:
	rb_fonts_close(p->fonts);
	rb_trail_close(p->trails);
	HPDF_Free(p->doc);
	free(p);
	return rc;
}
