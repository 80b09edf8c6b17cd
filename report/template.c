/* template.c - report templates: JSON data, validated with line numbers. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/json.h"

static const char *const pdf_sections[] = { "cover", "key-figures", "chart",
	"findings-summary", "findings", "top-risk", "trend-table", "controls",
	"attestation", "rollback-details", "anomalies", "methodology", "data-completeness" };
static const char *const charts[] = { "rollbacks-by-service", "mttd-mttr-trend",
	"evidence-completeness", "security-levels" };
static const char *const sheets[] = { "Summary", "Rollbacks", "Findings", "Approvals",
	"Evidence", "Trend", "Sample", "Records" };

static int one_of(const char *s, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

struct tctx {
	const char *path, *text;
	struct rb_err *e;
};

/* An error naming the member, found at or after from. */
static int bad(struct tctx *c, const char *member, const char *from, const char *what)
{
	int line = rb_json_line_of(c->text, member, from ? from : c->text, NULL);

	if (line > 0)
		return RB_ERR(c->e, RB_EX_CONFIG, "template '%s' line %d: member \"%s\" %s",
			      c->path, line, member, what);
	return RB_ERR(c->e, RB_EX_CONFIG, "template '%s': member \"%s\" %s", c->path, member,
		      what);
}

static int copy_str(struct tctx *c, const cJSON *doc, const char *member, char *dst,
		    size_t n, int required)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, member);

	if (it == NULL && !required)
		return 0;
	if (it == NULL || !cJSON_IsString(it) || strlen(it->valuestring) >= n ||
	    (required && it->valuestring[0] == '\0'))
		return bad(c, member, NULL, "must be a non-empty string of fewer than 160 bytes");
	snprintf(dst, n, "%s", it->valuestring);
	return 0;
}

static int check_file_pattern(struct tctx *c, const char *f, const char *ext)
{
	const char *p;
	size_t n = strlen(f), m = strlen(ext);

	if (f[0] == '.' || n <= m || strcmp(f + n - m, ext) != 0)
		return bad(c, "file", NULL, "must be a file name ending in the format's extension");
	for (p = f; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
		      *p == '{' || *p == '}'))
			return bad(c, "file", NULL, "may hold only A-Z a-z 0-9 - _ . and {period}");
	return 0;
}

static int check_sections(struct tctx *c, const cJSON *secs, enum rb_format fmt)
{
	const cJSON *s;
	const char *from = c->text;
	unsigned sheets_seen = 0;

	if (!cJSON_IsArray(secs) || cJSON_GetArraySize(secs) == 0)
		return bad(c, "sections", NULL, "must be a non-empty array");
	rb_json_line_of(c->text, "sections", c->text, &from);
	cJSON_ArrayForEach(s, secs) {
		const cJSON *x;
		const char *type = rb_json_str(s, "type");
		char what[200];
		int k;

		if (!cJSON_IsObject(s) || type == NULL)
			return bad(c, "sections", NULL, "must hold objects with a \"type\"");
		/* Point at this section's "type" for the line numbers below. */
		if (rb_json_line_of(c->text, "type", from, &from) > 0)
			from++;
		if (fmt == RB_FMT_XLSX) {
			if (strcmp(type, "sheet") != 0 ||
			    !one_of(rb_json_str(s, "sheet"), sheets, sizeof(sheets) / sizeof(sheets[0]))) {
				snprintf(what, sizeof(what), "of an XLSX template must be "
					 "{\"type\":\"sheet\",\"sheet\":NAME}, NAME one of Summary, "
					 "Rollbacks, Findings, Approvals, Evidence, Trend, Sample, "
					 "Records");
				return bad(c, "type", from - 1, what);
			}
			/* A workbook holds each sheet once (libxlsxwriter refuses a second). */
			for (k = 0; k < 7 && strcmp(rb_json_str(s, "sheet"), sheets[k]) != 0; k++)
				;
			if (sheets_seen >> k & 1u) {
				snprintf(what, sizeof(what), "names the sheet \"%s\" a second time: "
					 "a workbook holds each sheet once", sheets[k]);
				return bad(c, "sheet", from - 1, what);
			}
			sheets_seen |= 1u << k;
		} else if (!one_of(type, pdf_sections, sizeof(pdf_sections) / sizeof(*pdf_sections))) {
			snprintf(what, sizeof(what), "is \"%.40s\", not a section rbaudit knows "
				 "(cover, key-figures, chart, findings, ...)", type);
			return bad(c, "type", from - 1, what);
		}
		if (strcmp(type, "chart") == 0 && !one_of(rb_json_str(s, "chart"), charts, 4))
			return bad(c, "chart", from - 1, "must be rollbacks-by-service, mttd-mttr-trend, "
				   "evidence-completeness or security-levels");
		cJSON_ArrayForEach(x, s) {
			if (strcmp(x->string, "type") == 0 || strcmp(x->string, "chart") == 0 ||
			    strcmp(x->string, "sheet") == 0)
				continue;
			if (strcmp(x->string, "title") == 0 && cJSON_IsString(x))
				continue;
			if (strcmp(x->string, "limit") == 0 && rb_json_is_int(x, 1, 100000))
				continue;
			if (strcmp(x->string, "select") == 0 && cJSON_IsString(x) &&
			    (strcmp(x->valuestring, "sample") == 0 ||
			     strcmp(x->valuestring, "flagged") == 0 ||
			     strcmp(x->valuestring, "sample+flagged") == 0))
				continue;
			snprintf(what, sizeof(what), "is not a section option (title: string, "
				 "limit: number, select: sample|flagged|sample+flagged)");
			return bad(c, x->string, from - 1, what);
		}
	}
	return 0;
}

/*
 * A CSV template's "table" (rollbacks or findings), which no other format
 * has; and no "sections" in a CSV or OpenMetrics template, which has none.
 */
static int check_table(struct tctx *c, const cJSON *doc, enum rb_format fmt)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, "table");

	if ((fmt == RB_FMT_CSV || fmt == RB_FMT_OPENMETRICS) &&
	    cJSON_GetObjectItemCaseSensitive(doc, "sections") != NULL)
		return bad(c, "sections", NULL, fmt == RB_FMT_CSV ?
			   "has no place in a csv template (its \"table\" says what it holds)" :
			   "has no place in an openmetrics template (it holds the period's figures)");
	if (fmt != RB_FMT_CSV) {
		if (it != NULL)
			return bad(c, "table", NULL, "is only for a csv template");
		return 0;
	}
	if (it == NULL)
		return bad(c, "table", NULL, "is missing: a csv template names its table, "
			   "\"rollbacks\" or \"findings\"");
	if (!cJSON_IsString(it) || (strcmp(it->valuestring, "rollbacks") != 0 &&
				    strcmp(it->valuestring, "findings") != 0))
		return bad(c, "table", NULL, "must be \"rollbacks\" (one row per rollback) or "
			   "\"findings\" (one row per finding)");
	return 0;
}

/* The file name ending of a format's reports. */
static const char *format_ext(enum rb_format f)
{
	switch (f) {
	case RB_FMT_PDF: return ".pdf";
	case RB_FMT_XLSX: return ".xlsx";
	case RB_FMT_CSV: return ".csv";
	case RB_FMT_OPENMETRICS: return ".prom";
	case RB_FMT_HTML: return ".html";
	default: return ".json";
	}
}

int rb_template_load(const char *path, struct rb_template **out, struct rb_err *e)
{
	static const char *const members[] = { "template", "format", "title", "subtitle",
					       "organisation", "file", "sections", "about",
					       "table" };
	struct rb_template *t = NULL;
	struct tctx c = { path, NULL, e };
	char *buf = NULL, why[160];
	const cJSON *it;
	const char *fmt, *unknown;
	size_t len;
	int rc = -1;

	*out = NULL;
	if (rb_read_file(path, 1u << 20, &buf, &len, e) != 0) {
		if (e != NULL && e->code == RB_EX_DATAERR)   /* too large: a wrong template */
			e->code = RB_EX_CONFIG;
		return -1;
	}
	c.text = buf;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_json_parse(buf, len, 16, &t->doc, why, sizeof(why)) != 0) {
		RB_ERR(e, RB_EX_CONFIG, "template '%s': %s", path, why);
		goto out;
	}
	if (!cJSON_IsObject(t->doc)) {
		RB_ERR(e, RB_EX_CONFIG, "template '%s' is not a JSON object", path);
		goto out;
	}
	if ((unknown = rb_json_unknown_member(t->doc, members,
					      sizeof(members) / sizeof(members[0]))) != NULL) {
		bad(&c, unknown, NULL, "is not a template member (template, format, "
		    "title, subtitle, organisation, file, sections, table, about)");
		goto out;
	}
	if (copy_str(&c, t->doc, "template", t->name, sizeof(t->name), 1) != 0 ||
	    copy_str(&c, t->doc, "title", t->title, sizeof(t->title), 0) != 0 ||
	    copy_str(&c, t->doc, "subtitle", t->subtitle, sizeof(t->subtitle), 0) != 0 ||
	    copy_str(&c, t->doc, "organisation", t->organisation, sizeof(t->organisation), 0) != 0 ||
	    copy_str(&c, t->doc, "file", t->file, sizeof(t->file), 1) != 0)
		goto out;
	it = cJSON_GetObjectItemCaseSensitive(t->doc, "about");
	if (it != NULL && !cJSON_IsString(it)) {
		bad(&c, "about", NULL, "must be a string (what the template is for)");
		goto out;
	}
	fmt = rb_json_str(t->doc, "format");
	if (fmt != NULL && strcmp(fmt, "pdf") == 0)
		t->format = RB_FMT_PDF;
	else if (fmt != NULL && strcmp(fmt, "xlsx") == 0)
		t->format = RB_FMT_XLSX;
	else if (fmt != NULL && strcmp(fmt, "json") == 0)
		t->format = RB_FMT_JSON;
	else if (fmt != NULL && strcmp(fmt, "csv") == 0)
		t->format = RB_FMT_CSV;
	else if (fmt != NULL && strcmp(fmt, "openmetrics") == 0)
		t->format = RB_FMT_OPENMETRICS;
	else if (fmt != NULL && strcmp(fmt, "html") == 0)
		t->format = RB_FMT_HTML;
	else {
		bad(&c, "format", NULL, "must be \"pdf\", \"xlsx\", \"json\", \"csv\", "
		    "\"openmetrics\" or \"html\"");
		goto out;
	}
	if (check_file_pattern(&c, t->file, format_ext(t->format)) != 0 ||
	    check_table(&c, t->doc, t->format) != 0)
		goto out;
	if ((t->format == RB_FMT_PDF || t->format == RB_FMT_XLSX || t->format == RB_FMT_HTML) &&
	    check_sections(&c, cJSON_GetObjectItemCaseSensitive(t->doc, "sections"), t->format) != 0)
		goto out;
	*out = t;
	t = NULL;
	rc = 0;
out:
	rb_template_free(t);
	free(buf);
	return rc;
}

void rb_template_free(struct rb_template *t)
{
	if (t == NULL)
		return;
	cJSON_Delete(t->doc);
	free(t);
}

int rb_template_filename(const struct rb_template *t, const char *period, char *out,
			 size_t n, struct rb_err *e)
{
	const char *p = strstr(t->file, "{period}");
	int w;

	if (p == NULL)
		w = snprintf(out, n, "%s", t->file);
	else
		w = snprintf(out, n, "%.*s%s%s", (int)(p - t->file), t->file, period, p + 8);
	if (w < 0 || (size_t)w >= n)
		return RB_ERR(e, RB_EX_CONFIG, "output name too long");
	/* Never a path: no separator, no hidden or parent name. */
	if (strchr(out, '/') != NULL || out[0] == '.' || strcmp(out, "MANIFEST") == 0)
		return RB_ERR(e, RB_EX_CONFIG, "output name '%s' would leave the report folder", out);
	return 0;
}

void rb_fmt_hours(const cJSON *seconds, char *out, size_t n)
{
	if (cJSON_IsNumber(seconds))
		snprintf(out, n, "%.1f h", seconds->valuedouble / 3600.0);
	else
		snprintf(out, n, "n/a");
}

void rb_join(const cJSON *arr, const char *sep, char *out, size_t n)
{
	const cJSON *x;
	size_t used = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(x, arr) {
		int w = snprintf(out + used, n - used, "%s%s", used ? sep : "",
				 cJSON_IsString(x) ? x->valuestring : "");

		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

void rb_quote_list(const cJSON *arr, char *out, size_t n)
{
	const cJSON *x;
	size_t used = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(x, arr) {
		int w = snprintf(out + used, n - used, "%s\u201c%s\u201d", used ? ", " : "",
				 cJSON_IsString(x) ? x->valuestring : "");

		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

void rb_fmt_pct(const cJSON *ratio, char *out, size_t n)
{
	if (cJSON_IsNumber(ratio))
		snprintf(out, n, "%.1f%%", ratio->valuedouble * 100.0);
	else
		snprintf(out, n, "n/a");
}
