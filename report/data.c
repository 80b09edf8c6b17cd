/*
 * data.c - what the renderers read of a report's data (render.h): the
 * analysis's rollbacks one by one, whether one is flagged or sampled, and
 * the marker of a text cut to fit a cell.  report.c, pdf.c and xlsx.c all
 * take these from here, so that the renderers never reach back into
 * report.c.
 */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "lib/db.h"
#include "lib/json.h"
#include "lib/vocab.h"

/* n with a comma between each group of three digits: "196,000". */
static void group_digits(long long n, char grouped[48])
{
	char digits[32];
	size_t nd, i, g = 0;

	nd = (size_t)snprintf(digits, sizeof(digits), "%lld", n);
	for (i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = digits[i];
	}
	grouped[g] = '\0';
}

void rb_truncation_marker(long long n, char *out, size_t len)
{
	char grouped[48];

	group_digits(n, grouped);
	snprintf(out, len, "\u2026 [truncated: %s characters, see the JSON]", grouped);
}

void rb_cut_note(long long more, char *out, size_t len)
{
	char grouped[48];

	group_digits(more, grouped);
	snprintf(out, len, "\u2026 [cut here: %s more character%s; the whole text is in the "
		 "JSON report, attestation.trails]", grouped, more == 1 ? "" : "s");
}

int rb_rollback_flagged(const cJSON *r)
{
	return rb_flagged(rb_json_str(r, "level"),
			  cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "findings")));
}

int rb_in_sample(const cJSON *a, const char *id)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(
				   cJSON_GetObjectItemCaseSensitive(a, "sample"), "rollbacks")) {
		const char *sid = rb_json_str(s, "rollback_id");

		if (sid != NULL && id != NULL && strcmp(sid, id) == 0)
			return 1;
	}
	return 0;
}

struct rb_rows {
	sqlite3_stmt *q;
	cJSON *cur;
	int step;               /* the last sqlite3_step */
	int flagged;            /* cur's stored flag */
	int64_t bad;            /* rows whose facts are not JSON */
};

int rb_rows_open(const struct rb_report_data *d, rb_rows **out, struct rb_err *e)
{
	rb_rows *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_prepare(d->db, "SELECT facts, flagged FROM analysis_rollback WHERE "
			  "analysis_id = ?1 ORDER BY ord, rowid", &r->q, e) != 0) {
		free(r);
		return -1;
	}
	sqlite3_bind_int64(r->q, 1, d->analysis_id);
	r->step = SQLITE_DONE;
	*out = r;
	return 0;
}

const cJSON *rb_rows_next(rb_rows *r)
{
	cJSON_Delete(r->cur);
	r->cur = NULL;
	while (r->cur == NULL && (r->step = sqlite3_step(r->q)) == SQLITE_ROW) {
		r->cur = cJSON_Parse((const char *)sqlite3_column_text(r->q, 0));
		r->bad += r->cur == NULL;
	}
	r->flagged = r->cur != NULL && sqlite3_column_int(r->q, 1) != 0;
	return r->cur;
}

int rb_rows_flagged(const rb_rows *r)
{
	return r->flagged;
}

int rb_rollup_flagged(const struct rb_rollup *ru, int i)
{
	return i >= 0 && i < ru->nshown && ru->flagged[i];
}

int rb_rows_check(rb_rows *r, sqlite3 *db, struct rb_err *e)
{
	if (r->step != SQLITE_DONE && r->step != SQLITE_ROW)
		return rb_db_fail(db, r->step, e, "cannot read the analysis's rollbacks");
	if (r->bad > 0)
		return RB_ERR(e, RB_EX_DATAERR, "%lld stored rollbacks of the analysis are not "
			      "valid JSON", (long long)r->bad);
	return 0;
}

void rb_rows_close(rb_rows *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->cur);
	sqlite3_finalize(r->q);
	free(r);
}
