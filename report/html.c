/*
 * html.c - one self-contained HTML report (issue 22): inline CSS and
 * inline SVG charts, no script, nothing fetched (a Content-Security-Policy
 * forbids it), readable on a phone.  The sections are the PDF's
 * (template.c); every text from the ledger is HTML-escaped here.
 */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ident.h"
#include "lib/json.h"
#include "lib/vocab.h"

struct html {
	FILE *f;
	const struct rb_report_data *d;
	const struct rb_template *t;
	const cJSON *a;         /* the analysis */
	const cJSON *at;        /* the attestation */
	rb_trail_reader *trails;        /* opened when a section needs a trail */
	int failed;             /* err says why */
	struct rb_err err;
};

/* ---- writing ---- */

static void put(struct html *h, const char *s)
{
	fputs(s, h->f);
}

/* Markup or figures rbaudit makes itself: never a text from the ledger. */
static void putf(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(h->f, fmt, ap);
	va_end(ap);
}

/* The bidirectional formatting characters: shown, never obeyed (as in the PDF). */
static int is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/*
 * s as HTML text or as a quoted attribute value: & < > " ' become
 * entities; control characters and the bidirectional formatting
 * characters are shown as [U+XXXX]; a byte that is not UTF-8 as U+FFFD.
 */
static void esc(struct html *h, const char *s)
{
	size_t i = 0, n = s != NULL ? strlen(s) : 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		int k;

		if (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'') {
			put(h, c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" :
			    c == '"' ? "&quot;" : "&#39;");
			i++;
			continue;
		}
		k = rb_utf8_next(s + i, n - i, &cp);
		if (k <= 0) {
			put(h, "\xef\xbf\xbd");
			i++;
		} else if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp < 0xa0) ||
			   is_bidi_control(cp)) {
			putf(h, "[U+%04X]", (unsigned)cp);
			i += (size_t)k;
		} else {
			fwrite(s + i, 1, (size_t)k, h->f);
			i += (size_t)k;
		}
	}
}

/* At most max characters of s, escaped, then "…" when cut. */
static void esc_cut(struct html *h, const char *s, int max)
{
	size_t i = 0, n = s != NULL ? strlen(s) : 0;
	int chars = 0;
	char *c;

	while (i < n && chars < max) {
		uint32_t cp;
		int k = rb_utf8_next(s + i, n - i, &cp);

		i += (size_t)(k > 0 ? k : 1);
		chars++;
	}
	if (i >= n) {
		esc(h, s);
		return;
	}
	if ((c = malloc(i + 1)) == NULL) {
		h->failed = 1;
		RB_ERR(&h->err, RB_EX_SOFTWARE, "out of memory");
		return;
	}
	memcpy(c, s, i);
	c[i] = '\0';
	esc(h, c);
	put(h, "\u2026");
	free(c);
}

/* An id for the anchor of a rollback: "rb-" and its id, other bytes as _XX. */
static void anchor(struct html *h, const char *id)
{
	put(h, "rb-");
	for (; id != NULL && *id; id++) {
		unsigned char c = (unsigned char)*id;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.')
			fputc(c, h->f);
		else
			putf(h, "_%02X", c);
	}
}

/* ---- data helpers ---- */

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *it = get(o, k);

	return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = rb_json_str(o, k);

	return s ? s : "";
}

/* A row's seq as a table cell: "-" when it has none. */
static void seq_cell(const cJSON *x, char *buf, size_t n)
{
	if (cJSON_IsNumber(get(x, "seq")))
		snprintf(buf, n, "%.0f", num(x, "seq"));
	else
		snprintf(buf, n, "-");
}

static const char *pl(double n, const char *one, const char *many)
{
	return rb_plural((long long)n, one, many);
}

/* ---- tables ---- */

/* A table's head: the columns' names (rbaudit's own words). */
static void table_open(struct html *h, const char *const *cols, int n)
{
	int i;

	put(h, "<div class=\"scroll\"><table><thead><tr>");
	for (i = 0; i < n; i++)
		putf(h, "<th>%s</th>", cols[i]);
	put(h, "</tr></thead><tbody>\n");
}

static void table_close(struct html *h)
{
	put(h, "</tbody></table></div>\n");
}

/* One row of texts, each escaped; the first in bold. */
static void table_row(struct html *h, const char *const *cells, int n)
{
	int i;

	put(h, "<tr>");
	for (i = 0; i < n; i++) {
		put(h, i == 0 ? "<th scope=\"row\">" : "<td>");
		esc(h, cells[i] != NULL ? cells[i] : "");
		put(h, i == 0 ? "</th>" : "</td>");
	}
	put(h, "</tr>\n");
}

/* A paragraph of a text, escaped; class may be NULL. */
static void para(struct html *h, const char *cls, const char *text)
{
	if (cls != NULL)
		putf(h, "<p class=\"%s\">", cls);
	else
		put(h, "<p>");
	esc(h, text);
	put(h, "</p>\n");
}

/* A section's start: its heading (the title escaped: templates are files). */
static void section(struct html *h, const char *id, const char *title)
{
	putf(h, "<section id=\"%s\"><h2>", id);
	esc(h, title);
	put(h, "</h2>\n");
}

/* ---- the rollbacks, one at a time (stored rows or an older document's array) ---- */

struct each {
	rb_rows *rows;
	const cJSON *it;        /* the older document's next rollback */
	int inline_rb;
};

static int each_open(struct html *h, struct each *w)
{
	const cJSON *in = get(h->a, "rollbacks");

	memset(w, 0, sizeof(*w));
	if (in != NULL) {
		w->inline_rb = 1;
		w->it = in->child;
		return 0;
	}
	if (rb_rows_open(h->d, &w->rows, &h->err) != 0) {
		h->failed = 1;
		return -1;
	}
	return 0;
}

static const cJSON *each_next(struct each *w)
{
	const cJSON *r;

	if (!w->inline_rb)
		return w->rows != NULL ? rb_rows_next(w->rows) : NULL;
	r = w->it;
	w->it = r != NULL ? r->next : NULL;
	return r;
}

static void each_close(struct html *h, struct each *w)
{
	if (w->rows != NULL && !h->failed && rb_rows_check(w->rows, h->d->db, &h->err) != 0)
		h->failed = 1;
	rb_rows_close(w->rows);
	w->rows = NULL;
}

/*
 * The attestation's trail of r when it holds one, else r's entries read
 * from the ledger into *owned, which the caller frees.  NULL after an error.
 */
static const cJSON *trail_of(struct html *h, const cJSON *r, cJSON **owned)
{
	const cJSON *have = get(get(h->at, "trails"), str(r, "rollback_id"));

	*owned = NULL;
	if (have != NULL)
		return have;
	if (rb_trail_of(h->d->db, h->d->ledger_id, &h->trails, get(r, "seqs"), owned,
			&h->err) != 0) {
		h->failed = 1;
		return NULL;
	}
	return *owned;
}

/* ---- the cover ---- */

static void cover_facts(struct html *h)
{
	static const char *const rows[][2] = {
		{ "Ledger", "ledger" }, { "Period", "period" }, { "From", "start" },
		{ "Until (exclusive)", "end" }, { "Data as of", "as_of" },
		{ "Policy SHA-256", "policy_sha256" },
	};
	size_t i;

	put(h, "<dl class=\"facts\">\n");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		putf(h, "<dt>%s</dt><dd%s>", rows[i][0], i == 5 ? " class=\"mono\"" : "");
		esc(h, str(h->a, rows[i][1]));
		put(h, "</dd>\n");
	}
	put(h, "</dl>\n");
}

/* Whether the entries behind the report verify under the trust store. */
static void cover_trust(struct html *h, char *buf, size_t n)
{
	const cJSON *tr = get(h->at, "trust");

	if (tr == NULL)
		return;
	if (cJSON_IsFalse(get(tr, "current")))
		snprintf(buf, n, "Trust: NOT ATTESTED under the trust store given (SHA-256 %s): the "
			 "stored history was last verified again against another one.",
			 str(tr, "given_trust_store_sha256"));
	else if (!cJSON_IsTrue(get(tr, "all_verified")))
		snprintf(buf, n, "Trust: NOT EVERY ENTRY VERIFIES.  %.0f %s behind this period no "
			 "longer %s under the trust store as it is (%d %s affected).",
			 num(tr, "failures_in_period"),
			 pl(num(tr, "failures_in_period"), "entry", "entries"),
			 pl(num(tr, "failures_in_period"), "verifies", "verify"),
			 cJSON_GetArraySize(get(tr, "rollbacks_affected")),
			 pl(cJSON_GetArraySize(get(tr, "rollbacks_affected")), "rollback", "rollbacks"));
	else
		snprintf(buf, n, "Trust: every entry behind this period verifies%s.",
			 cJSON_IsTrue(get(tr, "rechecked")) ? " under the trust store as it is" :
			 " (as ingested; not re-checked under a changed trust store)");
	para(h, cJSON_IsTrue(get(tr, "all_verified")) ? NULL : "warn", buf);
}

/* The data's coverage of the period, rejected exports, warnings, what it supersedes. */
static void cover_late(struct html *h)
{
	const cJSON *cov = get(h->at, "coverage"), *sup = get(h->at, "supersedes");
	int nrej = cJSON_GetArraySize(get(h->at, "rejected_exports"));
	int nwarn = (int)num(h->at, "warnings_total");
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
	para(h, cov != NULL && cJSON_IsTrue(get(cov, "complete")) ? NULL : "warn", buf);
	snprintf(buf, sizeof(buf), "%d %s rejected or quarantined %s this period; %d "
		 "verification %s its entries.", nrej, pl(nrej, "export", "exports"),
		 pl(nrej, "touches", "touch"), nwarn,
		 pl(nwarn, "warning concerns", "warnings concern"));
	para(h, nrej ? "warn" : NULL, buf);
	cover_trust(h, buf, sizeof(buf));
	if (sup != NULL) {
		snprintf(buf, sizeof(buf), "This report supersedes the report folder whose MANIFEST "
			 "has SHA-256 %s: %s.", str(sup, "manifest_sha256"), str(sup, "reason"));
		para(h, "warn", buf);
	}
}

static void sec_cover(struct html *h)
{
	const cJSON *a = h->a;
	char buf[600];

	put(h, "<header class=\"cover\"><h1>");
	esc(h, h->t->title[0] ? h->t->title : "Rollback report");
	put(h, "</h1>\n");
	if (h->t->subtitle[0]) {
		put(h, "<p class=\"sub\">");
		esc(h, h->t->subtitle);
		put(h, "</p>\n");
	}
	put(h, "<p class=\"org\">");
	esc(h, h->t->organisation[0] ? h->t->organisation : str(a, "ledger"));
	put(h, "</p></header>\n<section id=\"cover\">\n");
	cover_facts(h);
	snprintf(buf, sizeof(buf), "%.0f %s executed against %.0f %s; %.0f with a complete "
		 "evidence package; %.0f at high or critical security impact.",
		 num(a, "rollbacks_executed"), pl(num(a, "rollbacks_executed"), "rollback", "rollbacks"),
		 num(a, "deployments"), pl(num(a, "deployments"), "deployment", "deployments"),
		 num(a, "evidence_complete"),
		 num(get(a, "levels"), "high") + num(get(a, "levels"), "critical"));
	para(h, "lead", buf);
	cover_late(h);
	snprintf(buf, sizeof(buf), "Generated by rbaudit from the verified ledger; the figures "
		 "are those of the analysis stored for this period and policy, and the date is "
		 "that of the data (%s), not of printing.", str(a, "as_of"));
	para(h, "note", buf);
	put(h, "</section>\n");
}

/* ---- key figures ---- */

static void sec_key_figures(struct html *h, const char *title)
{
	struct rb_key_figures k;
	int i;

	rb_key_figures(h->d, &k);
	section(h, "key-figures", title ? title : "Key figures");
	put(h, "<div class=\"figs\">\n");
	for (i = 0; i < k.n; i++)
		putf(h, "<div class=\"fig\"><b>%s</b><span>%s</span></div>\n", k.value[i],
		     k.label[i]);
	put(h, "</div></section>\n");
}

/* ---- charts: inline SVG ---- */

#define SVG_W 720.0

static void svg_open(struct html *h, const char *title, double height)
{
	/* Inline SVG in HTML needs no xmlns: the page names no URL at all. */
	putf(h, "<figure><svg viewBox=\"0 0 %.0f %.0f\" "
	     "role=\"img\" aria-label=\"%s\" font-family=\"sans-serif\" font-size=\"13\">"
	     "<title>%s</title>\n", SVG_W, height, title, title);
}

static void svg_close(struct html *h, const char *caption)
{
	put(h, "</svg><figcaption>");
	esc(h, caption);
	put(h, "</figcaption></figure>\n");
}

/* A horizontal bar chart; a value that is NaN reads n/a. */
static void hbar_chart(struct html *h, const char *title, const char *const *labels,
		       const double *values, int n, double max, const char *unit,
		       const char *legend, const char *color, int counts)
{
	double lw = 190, cw = SVG_W - lw - 110, bh = 16, top = 10, y0, tick;
	int i, k, nt;

	if (max <= 0)
		max = 1;
	tick = rb_round_tick(max, counts);
	nt = (int)ceil(max / tick);
	if (nt < 1)
		nt = 1;
	y0 = top + n * (bh + 6);
	svg_open(h, title, y0 + 30);
	for (k = 0; k <= nt; k++) {
		double x = lw + cw * k / nt;

		putf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>"
		     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%g%s</text>\n",
		     x, top - 4, x, y0, x, y0 + 16, k * tick, unit);
	}
	for (i = 0; i < n; i++) {
		double y = top + i * (bh + 6);
		double w = isnan(values[i]) ? 0 : cw * values[i] / (tick * nt);

		put(h, "<g><title>");
		esc(h, labels[i]);
		putf(h, "</title><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lw - 6, y + 12);
		esc_cut(h, labels[i], 28);
		put(h, "</text>");
		if (w > 0)
			putf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
			     lw, y, w > cw ? cw : w, bh, color);
		if (isnan(values[i]))
			putf(h, "<text x=\"%.1f\" y=\"%.1f\">n/a (not required)</text></g>\n",
			     lw + 4, y + 12);
		else
			putf(h, "<text x=\"%.1f\" y=\"%.1f\">%g%s</text></g>\n", lw + (w > cw ? cw : w) + 4,
			     y + 12, round(values[i] * 10) / 10, unit);
	}
	putf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
	     lw, y0, lw + cw, y0);
	svg_close(h, legend);
}

/* The most services the chart shows; a note counts the rest. */
#define TOP_SERVICES 20

static void chart_by_service(struct html *h)
{
	const cJSON *x, *top[TOP_SERVICES];
	const char *labels[TOP_SERVICES];
	double v[TOP_SERVICES], max = 0, rest = 0;
	int n = 0, i, k, all = 0;
	char note[300];

	section(h, "chart-rollbacks-by-service", "Rollbacks by service");
	/* The highest counts, ties in the analysis's (name) order. */
	cJSON_ArrayForEach(x, get(h->a, "by_service")) {
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
	for (i = 0; i < n; i++) {
		labels[i] = top[i]->string;
		v[i] = top[i]->valuedouble;
		max = v[i] > max ? v[i] : max;
	}
	if (n == 0)
		para(h, NULL, "No rollbacks in this period.");
	else
		hbar_chart(h, "Rollbacks by service", labels, v, n, max, "",
			   "Rollbacks executed in the period, by service.", "#2b5c8a", 1);
	if (all > n) {
		snprintf(note, sizeof(note), "The %d services with the most rollbacks are drawn; "
			 "%d more service%s, with %.0f rollback%s together, %s not.  The workbook "
			 "and the JSON list every service.", n, all - n, all - n == 1 ? "" : "s",
			 rest, rest == 1 ? "" : "s", all - n == 1 ? "is" : "are");
		para(h, "note", note);
	}
	put(h, "</section>\n");
}

static void chart_evidence(struct html *h)
{
	static const enum rb_evidence order[RB_NEVIDENCE] = { RB_EVIDENCE_TICKET,
		RB_EVIDENCE_RATIONALE, RB_EVIDENCE_IMPACT, RB_EVIDENCE_SECURITY_CONSIDERATIONS,
		RB_EVIDENCE_APPROVALS, RB_EVIDENCE_TESTS, RB_EVIDENCE_SECURITY_SCAN,
		RB_EVIDENCE_REVIEW };
	const char *items[RB_NEVIDENCE];
	double v[RB_NEVIDENCE];
	int i;

	section(h, "chart-evidence-completeness", "Evidence completeness by item");
	for (i = 0; i < RB_NEVIDENCE; i++) {
		const cJSON *c = h->d->rollup != NULL ?
				 get(h->d->rollup->evidence, rb_evidence_names[order[i]]) : NULL;
		double req = num(c, "required"), pres = num(c, "present");

		items[i] = rb_evidence_names[order[i]];
		v[i] = req > 0 ? 100.0 * pres / req : NAN;
	}
	hbar_chart(h, "Evidence completeness by item", items, v, RB_NEVIDENCE, 100, "%",
		   "Share of the rollbacks that required the item and had it.", "#3d8b5a", 0);
	put(h, "</section>\n");
}

static void chart_levels(struct html *h)
{
	static const char *const colors[RB_NLEVELS] = { "#7aa874", "#e0b030", "#e07a30",
							 "#c0392b" };
	const cJSON *lv = get(h->a, "levels"), *th = get(get(h->a, "policy"), "levels");
	double max = 1, ch = 150, y0 = 175, cw = SVG_W - 80, bw = cw / 4 * 0.55;
	int i;

	section(h, "chart-security-levels", "Security impact levels");
	for (i = 0; i < RB_NLEVELS; i++)
		if (num(lv, rb_level_names[i]) > max)
			max = num(lv, rb_level_names[i]);
	svg_open(h, "Security impact levels", y0 + 50);
	for (i = 0; i < RB_NLEVELS; i++) {
		double x = 40 + cw / 4 * i + (cw / 4 - bw) / 2;
		double bh = ch * num(lv, rb_level_names[i]) / max;

		putf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>"
		     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\">%.0f</text>"
		     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
		     x, y0 - bh, bw, bh, colors[i], x + bw / 2, y0 - bh - 5,
		     num(lv, rb_level_names[i]), x + bw / 2, y0 + 16, rb_level_names[i]);
		if (i == 0)
			putf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">"
			     "below %.0f</text>\n", x + bw / 2, y0 + 32, num(th, "medium"));
		else
			putf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">"
			     "from %.0f</text>\n", x + bw / 2, y0 + 32, num(th, rb_level_names[i]));
	}
	putf(h, "<line x1=\"40\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", y0,
	     40 + cw, y0);
	svg_close(h, "Rollbacks of the period by security impact level (score thresholds of "
		  "the policy).");
	put(h, "</section>\n");
}

/* One series of the trend: a path broken where a period has no mean, and its points. */
static void trend_series(struct html *h, const cJSON *const *pts, int n, const char *series,
			 const char *color, double x0, double cw, double y0, double ch, double max)
{
	int i, first = 1;

	putf(h, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", color);
	for (i = 0; i < n; i++) {
		const cJSON *m = get(get(pts[i], series), "mean");
		double x = n == 1 ? x0 + cw / 2 : x0 + cw * i / (n - 1);

		if (!cJSON_IsNumber(m)) {
			first = 1;
			continue;
		}
		putf(h, "%s%.1f %.1f ", first ? "M" : "L", x, y0 - ch * (m->valuedouble / 3600) / max);
		first = 0;
	}
	put(h, "\"/>\n");
	for (i = 0; i < n; i++) {
		const cJSON *m = get(get(pts[i], series), "mean");
		double x = n == 1 ? x0 + cw / 2 : x0 + cw * i / (n - 1);

		if (cJSON_IsNumber(m))
			putf(h, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%.1f h"
			     "</title></circle>\n", x, y0 - ch * (m->valuedouble / 3600) / max, color,
			     m->valuedouble / 3600);
	}
}

/* MTTD and MTTR over the trend periods, oldest first, then this period. */
static void chart_trend(struct html *h)
{
	const cJSON *tr = get(h->a, "trend"), *pts[128];
	int n = cJSON_GetArraySize(tr) + 1, i, every;
	double max = 0.1, x0 = 60, cw = SVG_W - 90, y0 = 190, ch = 170;

	section(h, "chart-mttd-mttr-trend", "MTTD and MTTR trend (hours)");
	if (n > 128)
		n = 128;
	for (i = 0; i < n - 1; i++)
		pts[n - 2 - i] = cJSON_GetArrayItem(tr, i);
	pts[n - 1] = h->a;
	for (i = 0; i < n; i++) {
		if (num(get(pts[i], "ttd"), "mean") / 3600 > max)
			max = num(get(pts[i], "ttd"), "mean") / 3600;
		if (num(get(pts[i], "ttr"), "mean") / 3600 > max)
			max = num(get(pts[i], "ttr"), "mean") / 3600;
	}
	svg_open(h, "MTTD and MTTR trend (hours)", y0 + 60);
	for (i = 0; i <= 4; i++)
		putf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>"
		     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%.1f h</text>\n",
		     x0, y0 - ch * i / 4, x0 + cw, y0 - ch * i / 4, x0 - 4, y0 - ch * i / 4 + 4,
		     max * i / 4);
	every = (n + 11) / 12;
	for (i = 0; i < n; i++) {
		double x = n == 1 ? x0 + cw / 2 : x0 + cw * i / (n - 1);

		if ((n - 1 - i) % every != 0)
			continue;
		putf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">", x,
		     y0 + 16);
		esc(h, str(pts[i], "period"));
		put(h, "</text>\n");
	}
	trend_series(h, pts, n, "ttd", "#2b5c8a", x0, cw, y0, ch, max);
	trend_series(h, pts, n, "ttr", "#c0392b", x0, cw, y0, ch, max);
	putf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"#2b5c8a\"/>"
	     "<text x=\"%.1f\" y=\"%.1f\">MTTD (mean time to detect)</text>"
	     "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"#c0392b\"/>"
	     "<text x=\"%.1f\" y=\"%.1f\">MTTR (mean time to restore)</text>\n",
	     x0, y0 + 32, x0 + 14, y0 + 41, x0 + 260, y0 + 32, x0 + 274, y0 + 41);
	putf(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x0, y0,
	     x0 + cw, y0);
	svg_close(h, "Mean time to detect and to restore, by period, oldest first; a period "
		  "without a mean leaves a gap.");
	put(h, "</section>\n");
}

static void sec_chart(struct html *h, const char *chart)
{
	if (strcmp(chart, "rollbacks-by-service") == 0)
		chart_by_service(h);
	else if (strcmp(chart, "mttd-mttr-trend") == 0)
		chart_trend(h);
	else if (strcmp(chart, "evidence-completeness") == 0)
		chart_evidence(h);
	else
		chart_levels(h);
}

/* ---- findings ---- */

static void sec_findings_summary(struct html *h, const char *title)
{
	static const char *const cols[] = { "Finding", "Rollbacks", "Meaning", "Controls" };
	const cJSON *x;

	section(h, "findings-summary", title ? title : "Findings by control rule");
	table_open(h, cols, 4);
	cJSON_ArrayForEach(x, get(h->a, "finding_counts")) {
		char n[24], ctl[256] = "";
		const char *cells[4];

		snprintf(n, sizeof(n), "%.0f", x->valuedouble);
		rb_join(get(get(get(h->a, "control_mapping"), "findings"), x->string), ", ", ctl,
			sizeof(ctl));
		cells[0] = x->string;
		cells[1] = n;
		cells[2] = rb_finding_meaning(rb_finding_of(x->string));
		cells[3] = ctl[0] ? ctl : "-";
		table_row(h, cells, 4);
	}
	table_close(h);
	put(h, "</section>\n");
}

/* One finding of r as a row of the findings table. */
static void finding_row(struct html *h, const cJSON *r, const char *code)
{
	char se[400], facts[800], ctl[256];
	const char *cells[5];

	snprintf(se, sizeof(se), "%s / %s", str(r, "service"), str(r, "environment"));
	snprintf(facts, sizeof(facts), "tier %s%s; requested by %s, executed by %s at %s; "
		 "%d of %.0f approvals valid", str(r, "risk_tier"),
		 cJSON_IsTrue(get(r, "emergency")) ? ", emergency" : "", str(r, "requester"),
		 str(r, "executor"), str(r, "executed"), cJSON_GetArraySize(get(r, "approvers")),
		 num(r, "need"));
	rb_join(get(get(r, "finding_controls"), code), ", ", ctl, sizeof(ctl));
	cells[0] = str(r, "rollback_id");
	cells[1] = se;
	cells[2] = code;
	cells[3] = facts;
	cells[4] = ctl;
	table_row(h, cells, 5);
}

static void sec_findings(struct html *h, const char *title, int limit)
{
	static const char *const cols[] = { "Rollback", "Service / env", "Finding", "Facts",
					    "Controls" };
	struct each w;
	const cJSON *r, *f;
	int shown = 0, total = 0;
	char buf[200];

	section(h, "findings", title ? title : "Findings");
	table_open(h, cols, 5);
	if (each_open(h, &w) == 0) {
		while ((r = each_next(&w)) != NULL)
			cJSON_ArrayForEach(f, get(r, "findings")) {
				total++;
				if (shown < limit && cJSON_IsString(f)) {
					finding_row(h, r, f->valuestring);
					shown++;
				}
			}
		each_close(h, &w);
	}
	table_close(h);
	if (total == 0)
		para(h, NULL, "No findings in this period.");
	if (total > shown) {
		snprintf(buf, sizeof(buf), "%d more %s in the XLSX workbook and the JSON analysis "
			 "(this table shows the first %d).", total - shown,
			 pl(total - shown, "finding is", "findings are"), shown);
		para(h, "note", buf);
	}
	put(h, "</section>\n");
}

/* ---- the highest security impact ---- */

/*
 * The limit highest scores of the analysis, ties in its order, copied
 * into top (highest first); returns how many.  Memory grows with limit only.
 */
static int highest(struct html *h, cJSON **top, int limit)
{
	struct each w;
	const cJSON *r;
	int n = 0, pos, k;

	if (each_open(h, &w) != 0)
		return 0;
	while ((r = each_next(&w)) != NULL) {
		double s = num(r, "score");
		cJSON *c;

		for (pos = n; pos > 0 && num(top[pos - 1], "score") < s; pos--)
			;
		if (pos >= limit)
			continue;
		if ((c = cJSON_Duplicate(r, 1)) == NULL) {
			h->failed = 1;
			RB_ERR(&h->err, RB_EX_SOFTWARE, "out of memory");
			break;
		}
		if (n == limit)
			cJSON_Delete(top[--n]);
		for (k = n; k > pos; k--)
			top[k] = top[k - 1];
		top[pos] = c;
		n++;
	}
	each_close(h, &w);
	return n;
}

/* The factors of r's score: "secrets 25, advisory 40; x 1.00 (environment)". */
static void factors_text(const cJSON *r, char *fac, size_t n)
{
	const cJSON *f;
	size_t used = 0;

	fac[0] = '\0';
	cJSON_ArrayForEach(f, get(r, "score_factors")) {
		int w = snprintf(fac + used, n - used, "%s%s %.0f", used ? ", " : "",
				 str(f, "factor"), num(f, "weight"));

		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	snprintf(fac + used, n - used, "%s x %.2f (environment)", used ? ";" : "no factors",
		 num(r, "environment_factor"));
}

/* Under a top-risk row: the start of the rollback's rationale. */
static void rationale_row(struct html *h, const cJSON *r)
{
	cJSON *owned, *rec;
	const cJSON *trail = trail_of(h, r, &owned);

	if (trail == NULL)
		return;
	rec = rb_record_of(trail);
	cJSON_Delete(owned);
	if (rec == NULL) {
		h->failed = 1;
		RB_ERR(&h->err, RB_EX_SOFTWARE, "out of memory");
		return;
	}
	/* The record's second text is the rationale (render.h). */
	put(h, "<tr class=\"more\"><td colspan=\"5\">Rationale: ");
	esc_cut(h, cJSON_GetArrayItem(cJSON_GetArrayItem(rec, 1), 1)->valuestring, 300);
	put(h, "</td></tr>\n");
	cJSON_Delete(rec);
}

static void sec_top_risk(struct html *h, const char *title, int limit)
{
	static const char *const cols[] = { "Rollback", "Service / env", "Score", "Level",
					    "Factors" };
	cJSON **top = calloc((size_t)limit + 1, sizeof(cJSON *));
	int n, i;

	section(h, "top-risk", title ? title : "Highest security impact");
	if (top == NULL) {
		h->failed = 1;
		RB_ERR(&h->err, RB_EX_SOFTWARE, "out of memory");
		return;
	}
	n = highest(h, top, limit);
	table_open(h, cols, 5);
	for (i = 0; i < n && !h->failed; i++) {
		char se[400], sc[24], fac[600];
		const char *cells[5];

		factors_text(top[i], fac, sizeof(fac));
		snprintf(se, sizeof(se), "%s / %s", str(top[i], "service"), str(top[i], "environment"));
		snprintf(sc, sizeof(sc), "%.0f", num(top[i], "score"));
		cells[0] = str(top[i], "rollback_id");
		cells[1] = se;
		cells[2] = sc;
		cells[3] = str(top[i], "level");
		cells[4] = fac;
		table_row(h, cells, 5);
		rationale_row(h, top[i]);
	}
	table_close(h);
	if (n == 0)
		para(h, NULL, "No rollbacks in this period.");
	for (i = 0; i < n; i++)
		cJSON_Delete(top[i]);
	free(top);
	put(h, "</section>\n");
}

/* ---- trend ---- */

/* The findings of a trend period, all codes together ("-" when not recorded). */
static void findings_total(const cJSON *p, char *out, size_t n)
{
	const cJSON *fc = get(p, "finding_counts"), *x;
	double t = 0;

	if (fc == NULL) {
		snprintf(out, n, "-");
		return;
	}
	cJSON_ArrayForEach(x, fc)
		t += cJSON_IsNumber(x) ? x->valuedouble : 0;
	snprintf(out, n, "%.0f", t);
}

static void sec_trend(struct html *h, const char *title)
{
	static const char *const cols[] = { "Period", "Rollbacks", "Deploys", "Rate", "MTTD",
					    "MTTR", "Complete", "Findings", "Failed executions" };
	const cJSON *rows[130], *x;
	int n = 0, i, k;

	section(h, "trend-table", title ? title : "Trend");
	rows[n++] = h->a;
	cJSON_ArrayForEach(x, get(h->a, "trend"))
		if (n < 130)
			rows[n++] = x;
	table_open(h, cols, 9);
	for (i = 0; i < n; i++) {
		char c[9][64];
		const char *cells[9];

		snprintf(c[0], 64, "%s", str(rows[i], "period"));
		snprintf(c[1], 64, "%.0f", num(rows[i], "rollbacks_executed"));
		snprintf(c[2], 64, "%.0f", num(rows[i], "deployments"));
		rb_fmt_pct(get(rows[i], "rollback_rate"), c[3], 64);
		rb_fmt_hours(get(get(rows[i], "ttd"), "mean"), c[4], 64);
		rb_fmt_hours(get(get(rows[i], "ttr"), "mean"), c[5], 64);
		rb_fmt_pct(get(rows[i], "evidence_complete_ratio"), c[6], 64);
		findings_total(rows[i], c[7], 64);
		snprintf(c[8], 64, "%.0f", num(rows[i], "failed_executions"));
		for (k = 0; k < 9; k++)
			cells[k] = c[k];
		table_row(h, cells, 9);
	}
	table_close(h);
	put(h, "</section>\n");
}

/* ---- controls, anomalies, late and missing data ---- */

/* Append to by the names in a mapping group (name: [controls]) whose list holds control. */
static size_t names_mapping_to(const cJSON *group, const char *control, char *by, size_t n,
			       size_t used)
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

static void sec_controls(struct html *h, const char *title)
{
	static const char *const cols[] = { "Control", "What it requires", "Evidenced by" };
	const cJSON *c, *map = get(h->a, "control_mapping");

	section(h, "controls", title ? title : "Control mapping");
	para(h, NULL, "Each finding and each evidence item evidences these controls; a finding "
	     "is an exception against them, a present evidence item supports them.");
	table_open(h, cols, 3);
	cJSON_ArrayForEach(c, get(h->a, "controls")) {
		char by[600] = "";
		size_t used = names_mapping_to(get(map, "evidence"), c->string, by, sizeof(by), 0);
		const char *cells[3];

		used = names_mapping_to(get(map, "findings"), c->string, by, sizeof(by), used);
		cells[0] = c->string;
		cells[1] = cJSON_IsString(c) ? c->valuestring : "";
		cells[2] = used ? by : "-";
		table_row(h, cells, 3);
	}
	table_close(h);
	put(h, "</section>\n");
}

static void sec_anomalies(struct html *h, const char *title, int limit)
{
	static const char *const cols[] = { "Seq", "Kind", "Rollback", "Detail" };
	const cJSON *x;
	int n = 0;

	section(h, "anomalies", title ? title : "Data-quality anomalies");
	para(h, NULL, "Entries that lack a member the metrics read, hold it with the wrong type, "
	     "repeat a lifecycle event, or refer to something never recorded.  They are kept "
	     "and shown; they never stop an analysis.");
	table_open(h, cols, 4);
	cJSON_ArrayForEach(x, get(h->a, "anomalies")) {
		char seq[32];
		const char *cells[4];

		if (n++ >= limit)
			continue;
		seq_cell(x, seq, sizeof(seq));
		cells[0] = seq;
		cells[1] = str(x, "kind");
		cells[2] = str(x, "rollback_id");
		cells[3] = str(x, "detail");
		table_row(h, cells, 4);
	}
	table_close(h);
	if (n == 0)
		para(h, NULL, "None.");
	else if (n > limit) {
		char buf[160];

		snprintf(buf, sizeof(buf), "%d more in the JSON report.", n - limit);
		para(h, "note", buf);
	}
	put(h, "</section>\n");
}

static void late_coverage(struct html *h, const cJSON *cov)
{
	static const char *const cols[] = { "Coverage", "" };
	static const char *const rows[][2] = { { "Period from", "period_start" },
		{ "Until (exclusive)", "period_end" }, { "Ledger's newest entry", "newest_entry" },
		{ "Data covers until", "covered_until" } };
	char pct[64];
	const char *cells[2];
	size_t i;

	if (cov == NULL) {
		para(h, NULL, "Coverage unknown: the analysis gives no period or newest entry.");
		return;
	}
	table_open(h, cols, 2);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cells[0] = rows[i][0];
		cells[1] = str(cov, rows[i][1]);
		table_row(h, cells, 2);
	}
	snprintf(pct, sizeof(pct), "%.1f%% of the period: %s", num(cov, "percent"),
		 cJSON_IsTrue(get(cov, "complete")) ? "complete" : "INCOMPLETE");
	cells[0] = "Share covered";
	cells[1] = pct;
	table_row(h, cells, 2);
	table_close(h);
}

static void late_rejected(struct html *h, const cJSON *arr)
{
	static const char *const cols[] = { "Export (now, and where it came from)",
		"Ledger range", "Entry times (unverified)", "Code", "Reason" };
	const cJSON *x;

	put(h, "<h3>Exports rejected or quarantined</h3>\n");
	para(h, NULL, "Exports the job refused, whose entries' times touch this period.  None of "
	     "their entries is in the figures of this report.");
	if (cJSON_GetArraySize(arr) == 0) {
		para(h, NULL, "None.");
		return;
	}
	table_open(h, cols, 5);
	cJSON_ArrayForEach(x, arr) {
		char where[1200], range[64], times[200];
		const char *now = rb_json_str(x, "quarantined_path"), *cells[5];

		if (now != NULL && strcmp(now, str(x, "path")) != 0)
			snprintf(where, sizeof(where), "%s (from %s)", now, str(x, "path"));
		else
			snprintf(where, sizeof(where), "%s", str(x, "path"));
		if (cJSON_IsNumber(get(x, "first_seq")) && cJSON_IsNumber(get(x, "last_seq")))
			snprintf(range, sizeof(range), "%.0f..%.0f", num(x, "first_seq"),
				 num(x, "last_seq"));
		else
			snprintf(range, sizeof(range), "unknown");
		snprintf(times, sizeof(times), "%s to %s", str(x, "first_time"), str(x, "last_time"));
		cells[0] = where;
		cells[1] = range;
		cells[2] = rb_json_str(x, "first_time") != NULL ? times : "unknown";
		cells[3] = str(x, "code");
		cells[4] = str(x, "reason");
		table_row(h, cells, 5);
	}
	table_close(h);
}

static void late_warnings(struct html *h, int limit)
{
	static const char *const cols[] = { "Seq", "Time", "Code", "Message" };
	const cJSON *x;
	int n = 0, total = (int)num(h->at, "warnings_total");

	put(h, "<h3>Verification warnings</h3>\n");
	if (total == 0) {
		para(h, NULL, "None.");
		return;
	}
	table_open(h, cols, 4);
	cJSON_ArrayForEach(x, get(h->at, "warnings")) {
		char seq[32];
		const char *cells[4];

		if (n++ >= limit)
			break;
		seq_cell(x, seq, sizeof(seq));
		cells[0] = seq;
		cells[1] = str(x, "time");
		cells[2] = str(x, "code");
		cells[3] = str(x, "message");
		table_row(h, cells, 4);
	}
	table_close(h);
	if (total > limit) {
		char buf[160];

		snprintf(buf, sizeof(buf), "%d more %s; the JSON report's attestation holds the "
			 "first 1000.", total - limit, pl(total - limit, "warning", "warnings"));
		para(h, "note", buf);
	}
}

static void sec_late(struct html *h, const char *title, int limit)
{
	const cJSON *sup = get(h->at, "supersedes");
	char buf[1200];

	section(h, "data-completeness", title ? title : "Late and missing data");
	late_coverage(h, get(h->at, "coverage"));
	late_rejected(h, get(h->at, "rejected_exports"));
	late_warnings(h, limit);
	put(h, "<h3>Earlier report replaced</h3>\n");
	if (sup != NULL)
		snprintf(buf, sizeof(buf), "This report supersedes the report folder whose MANIFEST "
			 "has SHA-256 %s.  Why: %s.", str(sup, "manifest_sha256"), str(sup, "reason"));
	else
		snprintf(buf, sizeof(buf), "None named: this report was rendered into an empty "
			 "folder, or by 'rbaudit report', which does not say what it replaces.");
	para(h, NULL, buf);
	put(h, "</section>\n");
}

/* ---- attestation ---- */

static void sec_attestation(struct html *h, const char *title)
{
	static const char *const kc[] = { "Key", "Roles", "Valid from", "Valid until", "Revoked",
					  "Signed", "Co-signed", "C2SP verifier key string" };
	static const char *const ic[] = { "Export", "Range", "New", "Checkpoint key", "Stored" };
	const cJSON *x;
	char buf[800];

	section(h, "attestation", title ? title : "Verification attestation");
	cover_trust(h, buf, sizeof(buf));
	snprintf(buf, sizeof(buf), "Verified history of ledger %s: entries %.0f to %.0f.  "
		 "Checkpoint root (base64): %s.", str(h->at, "ledger"), num(h->at, "base_seq"),
		 num(h->at, "size") - 1, str(h->at, "root"));
	para(h, NULL, buf);
	put(h, "<h3>Latest signed checkpoint</h3><pre>");
	esc(h, str(h->at, "checkpoint"));
	put(h, "</pre>\n<h3>Signing keys</h3>\n");
	table_open(h, kc, 8);
	cJSON_ArrayForEach(x, get(h->at, "keys")) {
		char n1[32], n2[32];
		const char *cells[8];

		snprintf(n1, sizeof(n1), "%.0f", num(x, "entries_signed"));
		snprintf(n2, sizeof(n2), "%.0f", num(x, "countersigned"));
		cells[0] = str(x, "name");
		cells[1] = str(x, "roles");
		cells[2] = str(x, "valid_from");
		cells[3] = str(x, "valid_until")[0] ? str(x, "valid_until") : "-";
		cells[4] = str(x, "revoked_at")[0] ? str(x, "revoked_at") : "-";
		cells[5] = n1;
		cells[6] = n2;
		cells[7] = str(x, "keystring");
		table_row(h, cells, 8);
	}
	table_close(h);
	put(h, "<h3>Ingests (verdict: accepted)</h3>\n");
	table_open(h, ic, 5);
	cJSON_ArrayForEach(x, get(h->at, "ingests")) {
		char range[64], nw[32];
		const char *cells[5];

		snprintf(range, sizeof(range), "%.0f..%.0f", num(x, "first_seq"), num(x, "last_seq"));
		snprintf(nw, sizeof(nw), "%.0f", num(x, "new_entries"));
		cells[0] = rb_json_str(x, "archived_path") ? str(x, "archived_path") : str(x, "path");
		cells[1] = range;
		cells[2] = nw;
		cells[3] = str(x, "checkpoint_key");
		cells[4] = str(x, "finished");
		table_row(h, cells, 5);
	}
	table_close(h);
	para(h, "note", "The auditor pack (PDF) and the JSON report hold the whole attestation: "
	     "the entries that no longer verify, if any, and the witnesses.");
	put(h, "</section>\n");
}

/* ---- rollbacks in detail ---- */

/* One rollback: its facts, its record as the ledger holds it, its timeline. */
static void rollback_detail(struct html *h, const cJSON *r, int sampled)
{
	static const char *const cols[] = { "Time", "Seq", "Event", "Actor",
					    "Ingested from; proof file" };
	cJSON *owned, *rec;
	const cJSON *trail = trail_of(h, r, &owned), *x;
	char buf[1600], fa[400];

	if (trail == NULL || (rec = rb_record_of(trail)) == NULL) {
		if (!h->failed)
			RB_ERR(&h->err, RB_EX_SOFTWARE, "out of memory");
		h->failed = 1;
		cJSON_Delete(owned);
		return;
	}
	put(h, "<article id=\"");
	anchor(h, str(r, "rollback_id"));
	put(h, "\"><h3>");
	snprintf(buf, sizeof(buf), "%s%s: %s / %s, tier %s%s, score %.0f (%s)",
		 str(r, "rollback_id"), sampled ? " (sampled)" : "", str(r, "service"),
		 str(r, "environment"), str(r, "risk_tier"),
		 cJSON_IsTrue(get(r, "emergency")) ? ", emergency" : "", num(r, "score"),
		 str(r, "level"));
	esc(h, buf);
	put(h, "</h3>\n");
	rb_join(get(r, "findings"), ", ", fa, sizeof(fa));
	snprintf(buf, sizeof(buf), "Change %s, incident %s.  Requested by %s at %s; executed by "
		 "%s at %s.  Approvals: %d valid of %.0f needed.  Evidence completeness %.0f%%.  "
		 "Findings: %s.", str(r, "change_id"),
		 rb_json_str(r, "incident_id") ? str(r, "incident_id") : "none", str(r, "requester"),
		 str(r, "requested"), str(r, "executor"), str(r, "executed"),
		 cJSON_GetArraySize(get(r, "approvers")), num(r, "need"),
		 100 * num(r, "completeness"), fa[0] ? fa : "none");
	para(h, NULL, buf);
	put(h, "<dl class=\"record\">\n");
	cJSON_ArrayForEach(x, rec) {
		put(h, "<dt>");
		esc(h, cJSON_GetArrayItem(x, 0)->valuestring);
		put(h, "</dt><dd>");
		esc(h, cJSON_GetArrayItem(x, 1)->valuestring);
		put(h, "</dd>\n");
	}
	put(h, "</dl>\n");
	cJSON_Delete(rec);
	table_open(h, cols, 5);
	cJSON_ArrayForEach(x, trail) {
		char seq[32], where[1400];
		const char *cells[5];

		snprintf(seq, sizeof(seq), "%.0f", num(x, "seq"));
		snprintf(where, sizeof(where), "%s/%s:%.0f%s%s", str(x, "export"), str(x, "file"),
			 num(x, "line"), rb_json_str(x, "proof") ? "; proof " : "", str(x, "proof"));
		cells[0] = str(x, "time");
		cells[1] = seq;
		cells[2] = str(x, "event");
		cells[3] = str(x, "actor");
		cells[4] = where;
		table_row(h, cells, 5);
	}
	table_close(h);
	put(h, "</article>\n");
	cJSON_Delete(owned);
}

static void sec_details(struct html *h, const char *title, const char *select, int limit)
{
	const struct rb_rollup *ru = h->d->rollup;
	const cJSON *kept = ru != NULL ? ru->shown : NULL, *r;
	int want_sample = strstr(select, "sample") != NULL,
	    want_flagged = strstr(select, "flagged") != NULL, i = 0, sampled_shown = 0,
	    flagged_shown = 0, left = 0;
	char buf[400];

	section(h, "rollback-details", title ? title : "Rollbacks in detail");
	para(h, NULL, "Each rollback below was drawn in the audit sample (marked so) or has a "
	     "finding or a high security impact.  Its record is the ledger's own text, whole; "
	     "its timeline lists every ledger entry behind it, with its seq and the export file "
	     "and line it was ingested from.");
	/* The rollup keeps every sampled rollback and the first flagged ones, in order. */
	cJSON_ArrayForEach(r, kept) {
		int in_sample = rb_in_sample(h->a, str(r, "rollback_id"));
		int flagged = want_flagged && rb_rollup_flagged(ru, i++);

		if (h->failed)
			break;
		if (want_sample && in_sample)
			sampled_shown++;
		else if (flagged && flagged_shown < limit)
			flagged_shown++;
		else
			continue;
		rollback_detail(h, r, in_sample);
	}
	if (want_flagged && ru != NULL)
		left = ru->qualify[(want_sample ? RB_SEL_SAMPLE : 0) | RB_SEL_FLAGGED] -
		       sampled_shown - flagged_shown;
	if (left > 0) {
		snprintf(buf, sizeof(buf), "%d more flagged rollback%s %s left out of this section "
			 "(its limit is %d); they are in the XLSX workbook and the JSON report.", left,
			 left == 1 ? "" : "s", left == 1 ? "is" : "are", limit);
		para(h, "note", buf);
	}
	if (sampled_shown + flagged_shown == 0)
		para(h, NULL, "No rollback qualifies.");
	put(h, "</section>\n");
}

/* ---- methodology ---- */

static void sec_methodology(struct html *h, const char *title)
{
	static const char *const text[] = {
		"Membership.  A rollback belongs to the period [start, end) when it has a "
		"rollback.requested and its first rollback.executed falls in the period.  as_of is "
		"the latest entry time of the ledger; windows not yet closed by as_of raise no "
		"finding.",
		"Derived times.  D is the time of the first change.deployed of the rollback's "
		"change.  detected is the first incident.detected of its incident when that exists, "
		"else the request.  Valid approvers before t are the distinct actors of its "
		"approvals at or before t, other than its requester and executor.  need = "
		"approvals_required[risk_tier]; approved = at least need valid approvers before "
		"execution.",
		"Metrics.  rollback_rate = rollbacks executed / deployments.  TTD = detected - D; "
		"TTR = executed - detected; approval latency = time of the need-th valid approver - "
		"requested.  For each: n, mean, median and p90 = the value at rank ceil(0.9 n), "
		"ascending.  Durations are shown in hours with one decimal.",
		"Evidence.  Required always: ticket, rationale, impact, security considerations, "
		"approvals, tests.  A security scan is required for tiers in "
		"security_scan_required or when a sensitive category is touched; a review for "
		"emergencies and critical rollbacks.  completeness = present / required.",
		"Security impact.  raw = sum of the weights of the distinct touched categories + "
		"advisory weight x min(advisories, 2) + gate-bypass weight when not emergency and "
		"not approved + emergency weight when emergency; score = min(100, floor(raw x "
		"environment factor + 0.5)); levels from the policy thresholds.",
	};
	char *pol = cJSON_PrintUnformatted(get(h->a, "policy"));
	size_t i;

	section(h, "methodology", title ? title : "Methodology");
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		para(h, NULL, text[i]);
	put(h, "<p>Policy in force (SHA-256 <span class=\"mono\">");
	esc(h, str(h->a, "policy_sha256"));
	put(h, "</span>):</p><pre>");
	esc(h, pol != NULL ? pol : "");
	put(h, "</pre></section>\n");
	cJSON_free(pol);
}

/* ---- the page ---- */

static const char css[] =
	":root{color-scheme:light}"
	"*{box-sizing:border-box}"
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
	"'DejaVu Sans',sans-serif;color:#1b1f24;background:#fff}"
	"header.cover{background:#1f3f63;color:#fff;padding:28px 16px 20px}"
	"header.cover>*{max-width:1000px;margin-left:auto;margin-right:auto}"
	"header.cover h1{font-size:1.9em;margin:0 auto 6px;line-height:1.2}"
	"header.cover p{margin:4px auto}"
	"nav,main,footer,#cover{max-width:1000px;margin:0 auto;padding:0 16px}"
	"nav{font-size:.9em;padding-top:10px}nav a{margin-right:12px;white-space:nowrap}"
	"a{color:#2b5c8a}"
	"h2{font-size:1.35em;border-bottom:2px solid #2b5c8a;margin:28px 0 10px;padding-bottom:2px}"
	"h3{font-size:1.08em;margin:18px 0 6px}"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:14px 0}"
	"dl.facts dt{font-weight:bold}dl.facts dd{margin:0;overflow-wrap:anywhere}"
	"dl.record dt{font-weight:bold;margin-top:6px}"
	"dl.record dd{margin:0 0 0 1em;white-space:pre-wrap;overflow-wrap:anywhere}"
	".lead{font-size:1.08em}.note{font-size:.9em;color:#444}"
	".warn{font-weight:bold;color:#8a1c1c}"
	".mono,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.85em;"
	"overflow-wrap:anywhere}"
	"pre{white-space:pre-wrap;background:#f4f6f9;padding:8px}"
	".figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:8px}"
	".fig{background:#eef2f7;padding:10px 12px;border-radius:4px}"
	".fig b{display:block;font-size:1.5em}.fig span{font-size:.88em}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:8px 0}"
	"table{border-collapse:collapse;width:100%;font-size:.88em}"
	"thead th{background:#2b5c8a;color:#fff;text-align:left;white-space:nowrap}"
	"th,td{padding:4px 6px;vertical-align:top;text-align:left;min-width:5em}"
	"tbody th{font-weight:bold;white-space:nowrap}tbody tr:nth-child(even){background:#eef2f7}"
	"tr.more td{font-size:.92em;color:#333;padding-left:18px}"
	"figure{margin:8px 0;overflow-x:auto}"
	"svg{display:block;width:100%;min-width:480px;max-width:760px;height:auto}"
	"figcaption{font-size:.85em;color:#444}"
	"article{border-top:1px solid #ccd;margin-top:14px}"
	"footer{font-size:.85em;color:#555;border-top:1px solid #ccc;margin-top:30px;"
	"padding-top:8px;padding-bottom:24px}"
	"@media (max-width:600px){body{font-size:14px}header.cover h1{font-size:1.45em}"
	"dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:4px}"
	"table{width:max-content;min-width:100%}td{max-width:20em}}"
	"@media print{header.cover,thead th,.fig,tbody tr{-webkit-print-color-adjust:exact;"
	"print-color-adjust:exact}nav{display:none}.scroll{overflow:visible}"
	"h2,h3{break-after:avoid}figure,tr{break-inside:avoid}}";

/* The page's head: the policy that forbids any script and any fetch, the style. */
static void head(struct html *h)
{
	char title[700];

	snprintf(title, sizeof(title), "%s \u2014 %s \u2014 %s",
		 h->t->title[0] ? h->t->title : "Rollback report", str(h->a, "ledger"),
		 str(h->a, "period"));
	put(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"generator\" content=\"rbaudit\">\n<title>");
	esc(h, title);
	putf(h, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

/* The section's anchor and its name in the contents. */
static int nav_item(const cJSON *s, const char **id, const char **name)
{
	static const char *const map[][2] = {
		{ "key-figures", "Key figures" }, { "data-completeness", "Late and missing data" },
		{ "findings-summary", "Findings by rule" }, { "findings", "Findings" },
		{ "top-risk", "Highest impact" }, { "trend-table", "Trend" },
		{ "controls", "Controls" }, { "attestation", "Attestation" },
		{ "rollback-details", "Rollbacks in detail" }, { "anomalies", "Anomalies" },
		{ "methodology", "Methodology" } };
	const char *type = str(s, "type");
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(type, map[i][0]) == 0) {
			*id = map[i][0];
			*name = map[i][1];
			return 1;
		}
	return 0;
}

static void nav(struct html *h)
{
	const cJSON *s;
	const char *id, *name;

	put(h, "<nav aria-label=\"Contents\">");
	cJSON_ArrayForEach(s, get(h->t->doc, "sections"))
		if (nav_item(s, &id, &name))
			putf(h, "<a href=\"#%s\">%s</a> ", id, name);
	put(h, "</nav>\n<main>\n");
}

static void footer(struct html *h)
{
	char buf[900];

	snprintf(buf, sizeof(buf), "%s \u2014 %s \u2014 %s.  Rendered by rbaudit from the analysis "
		 "stored for this period; data as of %s.  This file is listed, with its SHA-256, "
		 "in the folder's MANIFEST: check it with rbaudit verify-report.",
		 h->t->title[0] ? h->t->title : "rbaudit", str(h->a, "ledger"), str(h->a, "period"),
		 str(h->a, "as_of"));
	put(h, "</main>\n<footer>");
	esc(h, buf);
	put(h, "</footer>\n</body>\n</html>\n");
}

/* One section of the template. */
static void one_section(struct html *h, const cJSON *s)
{
	const char *type = str(s, "type"), *title = rb_json_str(s, "title");
	int limit = cJSON_IsNumber(get(s, "limit")) ? (int)num(s, "limit") : 0;

	if (strcmp(type, "cover") == 0)
		sec_cover(h);
	else if (strcmp(type, "key-figures") == 0)
		sec_key_figures(h, title);
	else if (strcmp(type, "chart") == 0)
		sec_chart(h, str(s, "chart"));
	else if (strcmp(type, "findings-summary") == 0)
		sec_findings_summary(h, title);
	else if (strcmp(type, "findings") == 0)
		sec_findings(h, title, limit ? limit : RB_LIMIT_FINDINGS);
	else if (strcmp(type, "top-risk") == 0)
		sec_top_risk(h, title, limit ? limit : RB_LIMIT_TOP_RISK);
	else if (strcmp(type, "trend-table") == 0)
		sec_trend(h, title);
	else if (strcmp(type, "controls") == 0)
		sec_controls(h, title);
	else if (strcmp(type, "attestation") == 0)
		sec_attestation(h, title);
	else if (strcmp(type, "rollback-details") == 0)
		sec_details(h, title, rb_json_str(s, "select") ? str(s, "select") : "sample+flagged",
			    limit ? limit : RB_LIMIT_DETAILS);
	else if (strcmp(type, "data-completeness") == 0)
		sec_late(h, title, limit ? limit : 200);
	else if (strcmp(type, "anomalies") == 0)
		sec_anomalies(h, title, limit ? limit : 200);
	else if (strcmp(type, "methodology") == 0)
		sec_methodology(h, title);
}

int rb_render_html(const struct rb_report_data *d, const struct rb_template *t,
		   const char *path, struct rb_err *e)
{
	struct html h;
	const cJSON *s;
	int rc = -1, navs = 0;

	memset(&h, 0, sizeof(h));
	h.d = d;
	h.t = t;
	h.a = d->a;
	h.at = d->attest;
	if ((h.f = fopen(path, "w")) == NULL)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot write '%s': %s", path, strerror(errno));
	head(&h);
	cJSON_ArrayForEach(s, get(t->doc, "sections")) {
		if (h.failed)
			break;
		/* The contents after the cover, when the template starts with one. */
		if (!navs && strcmp(str(s, "type"), "cover") != 0) {
			nav(&h);
			navs = 1;
		}
		one_section(&h, s);
	}
	if (!navs)
		nav(&h);
	footer(&h);
	if (h.failed) {
		if (e != NULL)
			*e = h.err;
		goto out;
	}
	if (fflush(h.f) != 0 || ferror(h.f)) {
		RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	rb_trail_close(h.trails);
	if (fclose(h.f) != 0 && rc == 0)
		rc = RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
	return rc;
}
