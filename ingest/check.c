/* check.c - rbaudit check: stored history verified again (see check.h). */
#include "check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/schema.h"
#include "lib/dsse.h"
#include "lib/json.h"
#include "lib/lines.h"
#include "lib/merkle.h"
#include "lib/note.h"
#include "lib/stored.h"
#include "lib/vocab.h"

/*
 * Rows read ahead of the in-order phase: the verifier holds two batches of
 * at most 1024 lines, so the columns of the last 4096 rows read are enough.
 */
#define RING 4096
#define MAX_EXPORTS_KEPT 1000000

/* The columns of one stored entry, held until the verifier reaches it. */
struct row {
	int64_t seq, time_s;
	int time_ns, counted, failed;
	uint8_t leaf[32];
	int have_leaf;
	char *text;             /* the strings below, one after the other */
	size_t cap;
	const char *col[9];     /* see cols[] */
};

/* The text columns checked against the payload, in the query's order. */
static const char *const cols[9] = { "time", "event", "actor", "rollback_id", "change_id",
	"incident_id", "service", "environment", "countersigner" };

/* An ingested export's end: the tree there must be its root and checkpoint's. */
struct boundary {
	int64_t id, last_seq;
	uint8_t root[32];
	char *checkpoint;
};

/* One ledger being checked. */
struct led {
	sqlite3 *db;
	const rb_trust *trust;
	const struct rb_check_opts *o;
	int64_t id, base, size;
	uint8_t prev[32];       /* leaf of base - 1, when known */
	int have_prev;
	int failed;             /* the source could not read: err */
	char origin[512];
	uint8_t root[32];
	char *checkpoint;
	struct rb_merkle before;
	sqlite3_stmt *q;        /* the rows, in seq order */
	struct row *ring;
	uint64_t nread, nseen;
	int64_t shift;          /* row seq less its place, where last seen */
	char *line;
	size_t linecap;
	struct boundary *b;
	size_t nb, next_b;
	uint8_t *want;          /* the counted marks the id indexes give, by seq - base */
	struct rb_err err;      /* the source's error */
};

struct rb_check {
	size_t n;
	char (*origin)[512];
	rb_vreport **reports;
	char ***rollbacks;      /* per ledger, per kept error */
};

static int grow(char **buf, size_t *cap, size_t n)
{
	char *nb;
	size_t nc = *cap ? *cap : 256;

	if (n <= *cap)
		return 0;
	while (nc < n)
		nc *= 2;
	nb = realloc(*buf, nc);
	if (nb == NULL)
		return -1;
	*buf = nb;
	*cap = nc;
	return 0;
}

/* Keep the row's columns in its ring slot. */
static int keep_row(struct led *l, struct row *w)
{
	size_t need = 0, at = 0;
	int k;

	w->seq = sqlite3_column_int64(l->q, 0);
	w->have_leaf = sqlite3_column_bytes(l->q, 3) == 32;
	if (w->have_leaf)
		memcpy(w->leaf, sqlite3_column_blob(l->q, 3), 32);
	w->time_s = sqlite3_column_int64(l->q, 13);
	w->time_ns = sqlite3_column_int(l->q, 14);
	w->counted = sqlite3_column_int(l->q, 15);
	w->failed = sqlite3_column_int(l->q, 16);
	for (k = 0; k < 9; k++)
		need += (size_t)sqlite3_column_bytes(l->q, 4 + k) + 1;
	if (grow(&w->text, &w->cap, need) != 0)
		return -1;
	for (k = 0; k < 9; k++) {
		const unsigned char *t = sqlite3_column_text(l->q, 4 + k);
		size_t n = (size_t)sqlite3_column_bytes(l->q, 4 + k);

		w->col[k] = NULL;
		if (t == NULL)
			continue;
		memcpy(w->text + at, t, n);
		w->text[at + n] = '\0';
		w->col[k] = w->text + at;
		at += n + 1;
	}
	return 0;
}

/*
 * The source could not read: the error is kept in l->err, because the
 * verifier turns a source's error into a finding, and it is the database's.
 */
static int source_failed(struct led *l, struct rb_err *e)
{
	l->failed = 1;
	if (e != NULL)
		*e = l->err;
	return -1;
}

/* The verifier's line source: each stored row as the envelope it came in. */
static int rows_next(void *ctx, const char **line, size_t *len, struct rb_err *e)
{
	static const char head[] = "{\"payloadType\":\"" RB_DSSE_ENTRY_TYPE "\",\"payload\":\"";
	struct led *l = ctx;
	const void *payload;
	const char *sigs;
	size_t plen, b64, slen, n;
	int rc = sqlite3_step(l->q);

	if (rc == SQLITE_DONE)
		return RB_LINES_EOF;
	if (rc != SQLITE_ROW) {
		rb_db_fail(l->db, rc, &l->err, "cannot read the stored entries");
		return source_failed(l, e);
	}
	payload = sqlite3_column_blob(l->q, 1);
	plen = (size_t)sqlite3_column_bytes(l->q, 1);
	sigs = (const char *)sqlite3_column_text(l->q, 2);
	slen = (size_t)sqlite3_column_bytes(l->q, 2);
	b64 = rb_b64_enclen(plen);
	n = sizeof(head) - 1 + b64 + sizeof("\",\"signatures\":}") + slen;
	if (grow(&l->line, &l->linecap, n + 1) != 0 ||
	    keep_row(l, &l->ring[l->nread % RING]) != 0) {
		RB_ERR(&l->err, RB_EX_SOFTWARE, "out of memory");
		return source_failed(l, e);
	}
	memcpy(l->line, head, sizeof(head) - 1);
	rb_b64_encode(payload != NULL ? payload : "", plen, l->line + sizeof(head) - 1);
	n = sizeof(head) - 1 + b64;
	n += (size_t)snprintf(l->line + n, l->linecap - n, "\",\"signatures\":%s}",
			      sigs != NULL ? sigs : "null");
	l->nread++;
	*line = l->line;
	*len = n;
	return RB_LINES_OK;
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int rb_check_trust_code(const char *code)
{
	return strcmp(code, "E_SIG") == 0 || strncmp(code, "E_KEY_", 6) == 0 ||
	       strcmp(code, "E_COUNTERSIG") == 0 || strcmp(code, "E_CHECKPOINT_SIG") == 0 ||
	       strncmp(code, "E_WITNESS_", 10) == 0;
}

/* The verifier's errors of one entry: those about signatures and keys, to the caller. */
static void entry_error(void *ctx, const struct rb_finding *f)
{
	const struct led *l = ctx;

	if (l->o->on_trust != NULL && rb_check_trust_code(f->code))
		l->o->on_trust(l->o->trust_ctx, l->id, f);
}

/* A finding of check's own about signatures or keys: in the report and to the caller. */
static void trust_error(struct led *l, rb_vreport *r, const char *code, int64_t seq,
			const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void trust_error(struct led *l, rb_vreport *r, const char *code, int64_t seq,
			const char *fmt, ...)
{
	struct rb_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	snprintf(f.code, sizeof(f.code), "%s", code);
	f.seq = seq;
	f.line = -1;
	va_start(ap, fmt);
	vsnprintf(f.msg, sizeof(f.msg), fmt, ap);
	va_end(ap);
	rb_vreport_add_error(r, code, seq, -1, "%s", f.msg);
	entry_error(l, &f);
}

/* One column against what the payload says. */
static void column(rb_vreport *r, int64_t seq, const char *name, const char *stored,
		   const char *signed_)
{
	if (!same(stored, signed_))
		rb_vreport_add_error(r, "E_STORED", seq, -1, "the %s column holds %s%.60s%s, "
				     "the payload %s%.60s%s", name,
				     stored ? "\"" : "", stored ? stored : "null", stored ? "\"" : "",
				     signed_ ? "\"" : "", signed_ ? signed_ : "null",
				     signed_ ? "\"" : "");
}

/* The columns analysis reads, against the payload they were taken from. */
static void columns(struct led *l, rb_vreport *r, const struct row *w,
		    const struct rb_ventry *v)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(v->body, "data");
	const cJSON *sq = cJSON_GetObjectItemCaseSensitive(v->body, "seq");
	int k;

	if (w->have_leaf == 0 || memcmp(w->leaf, v->leaf, 32) != 0)
		rb_vreport_add_error(r, "E_STORED", w->seq, -1, "the leaf column is not the "
				     "leaf hash of the stored payload");
	if (v->body == NULL || v->time == NULL || v->event == NULL || v->actor == NULL)
		return;         /* the verifier has said what is wrong with the payload */
	if (!cJSON_IsNumber(sq) || (int64_t)sq->valuedouble != w->seq)
		rb_vreport_add_error(r, "E_STORED", w->seq, -1, "the row's seq %" PRId64
				     " is not the payload's", w->seq);
	column(r, w->seq, "time", w->col[0], v->time);
	if (w->time_s != v->t.sec || w->time_ns != (int)v->t.nsec)
		rb_vreport_add_error(r, "E_STORED", w->seq, -1, "the time_s and time_ns columns "
				     "(%" PRId64 ".%09d) are not the payload's time %s", w->time_s,
				     w->time_ns, v->time);
	column(r, w->seq, "event", w->col[1], v->event);
	column(r, w->seq, "actor", w->col[2], v->actor);
	for (k = 3; k < 8; k++)
		column(r, w->seq, cols[k], w->col[k], rb_json_str(data, cols[k]));
	if ((w->failed != 0) != rb_failed_attempt(v->event, data))
		rb_vreport_add_error(r, "E_STORED", w->seq, -1, "the failed column says %s, but "
				     "the payload makes it %s (metrics-v1 §8.3)",
				     w->failed ? "a failed attempt" : "no failed attempt",
				     w->failed ? "none" : "one");
	/* Whose countersignature verifies, under this trust store (when the entry does). */
	if (v->signer != NULL && w->col[8] != NULL && v->countersigner == NULL)
		trust_error(l, r, "E_COUNTERSIG", w->seq, "the countersigner column holds %.60s, "
			    "but no countersignature verifies under this trust store", w->col[8]);
	else if (v->signer != NULL && !same(w->col[8], v->countersigner))
		rb_vreport_add_error(r, "E_STORED", w->seq, -1, "the countersigner column holds "
				     "%.60s, but the signatures under this trust store give %.60s",
				     w->col[8] ? w->col[8] : "none",
				     v->countersigner ? v->countersigner : "none");
}

/* A stored checkpoint: signed by a trusted checkpoint key, of this ledger and tree. */
static void checkpoint(struct led *l, rb_vreport *r, const char *what, const char *text,
		       int64_t seq, uint64_t size, const uint8_t root[32])
{
	const char *origin = l->origin;
	rb_checkpoint *cp = NULL;
	char why[160];

	if (text == NULL)
		return;
	if (rb_checkpoint_parse(text, strlen(text), &cp, why, sizeof(why)) != 0) {
		rb_vreport_add_error(r, "E_CHECKPOINT_SIG", seq, -1, "%s: the stored checkpoint "
				     "is malformed: %s", what, why);
		return;
	}
	if (rb_checkpoint_verify(cp, l->trust, "checkpoint") == NULL)
		trust_error(l, r, "E_CHECKPOINT_SIG", seq, "%s: the stored checkpoint is not "
			    "signed by a trusted checkpoint key", what);
	if (strcmp(rb_checkpoint_origin(cp), origin) != 0)
		rb_vreport_add_error(r, "E_LEDGER", seq, -1, "%s: the stored checkpoint is of "
				     "\"%.80s\"", what, rb_checkpoint_origin(cp));
	if (rb_checkpoint_size(cp) != size)
		rb_vreport_add_error(r, "E_STORED", seq, -1, "%s: the stored checkpoint's size "
				     "%" PRIu64 " is not %" PRIu64, what, rb_checkpoint_size(cp), size);
	else if (memcmp(rb_checkpoint_root(cp), root, 32) != 0)
		rb_vreport_add_error(r, "E_ROOT", seq, -1, "%s: the stored entries give another "
				     "root than the stored checkpoint's", what);
	rb_checkpoint_free(cp);
}

/*
 * 1 when another kept copy of the ledger's checkpoint (the same size and
 * root, schema v10's checkpoint table: a copy with more cosignatures,
 * ingested later as a no-op) is validly signed and meets the witness rules
 * under the trust store as it is now.
 */
static int kept_copy_witnessed(struct led *l, const rb_checkpoint *mine)
{
	struct rb_cosig cs[RB_NOTE_MAX_SIGS];
	char code[RB_WITNESS_CODE_MAX], msg[200], why[160];
	sqlite3_stmt *q = NULL;
	struct rb_err e;
	int ok = 0;

	if (rb_db_prepare(l->db, "SELECT note FROM checkpoint WHERE ledger_id = ?1 AND size = ?2 "
			  "AND root = ?3 ORDER BY rowid DESC", &q, &e) != 0)
		return 0;
	sqlite3_bind_int64(q, 1, l->id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)rb_checkpoint_size(mine));
	rb_db_bind_blob(q, 3, rb_checkpoint_root(mine), 32);
	while (!ok && sqlite3_step(q) == SQLITE_ROW) {
		const char *note = (const char *)sqlite3_column_text(q, 0);
		rb_checkpoint *c = NULL;
		size_t n = 0;

		if (note == NULL || rb_checkpoint_parse(note, strlen(note), &c, why, sizeof(why)) != 0)
			continue;
		ok = strcmp(rb_checkpoint_origin(c), l->origin) == 0 &&
		     rb_checkpoint_verify(c, l->trust, "checkpoint") != NULL &&
		     rb_checkpoint_witnessed(c, l->trust, cs, &n, code, msg, sizeof(msg), &e) == 0 &&
		     code[0] == '\0';
		rb_checkpoint_free(c);
	}
	sqlite3_finalize(q);
	return ok;
}

/*
 * The ledger's newest checkpoint under the trust store's witnesses and
 * witness policy, as verify and ingest judge an export's: -1 (e) only when
 * out of memory.  (A malformed one was reported by checkpoint().)
 */
static int witnessed(struct led *l, rb_vreport *r, int64_t seq, struct rb_err *e)
{
	struct rb_cosig cs[RB_NOTE_MAX_SIGS];
	char code[RB_WITNESS_CODE_MAX], msg[200], why[160];
	rb_checkpoint *cp = NULL;
	size_t n;
	int rc;

	if (l->checkpoint == NULL ||
	    rb_checkpoint_parse(l->checkpoint, strlen(l->checkpoint), &cp, why, sizeof(why)) != 0)
		return 0;
	rc = rb_checkpoint_witnessed(cp, l->trust, cs, &n, code, msg, sizeof(msg), e);
	/* Too few cosignatures: a later kept copy with more may make up the
	 * quorum; a failing cosignature is always said. */
	if (rc == 0 && code[0] != '\0' &&
	    !(strcmp(code, "E_WITNESS_QUORUM") == 0 && kept_copy_witnessed(l, cp)))
		trust_error(l, r, code, seq, "the ledger: the stored checkpoint: %s", msg);
	rb_checkpoint_free(cp);
	return rc;
}

/* Each export that ended at this entry: its stored root and checkpoint. */
static void boundaries(struct led *l, rb_vreport *r, int64_t seq)
{
	uint8_t root[32];

	while (l->next_b < l->nb && l->b[l->next_b].last_seq < seq)
		l->next_b++;    /* ended below the stored entries (a bootstrap) */
	if (l->next_b >= l->nb || l->b[l->next_b].last_seq != seq)
		return;
	rb_merkle_root(rb_vreport_after(r), root);
	for (; l->next_b < l->nb && l->b[l->next_b].last_seq == seq; l->next_b++) {
		const struct boundary *b = &l->b[l->next_b];
		char what[64];

		snprintf(what, sizeof(what), "ingested export %" PRId64, b->id);
		if (memcmp(b->root, root, 32) != 0)
			rb_vreport_add_error(r, "E_STORED", seq, -1, "%s: its stored root is not "
					     "the root of the stored entries up to seq %" PRId64,
					     what, seq);
		checkpoint(l, r, what, b->checkpoint, seq, (uint64_t)seq + 1, root);
	}
}

/* The verifier's callback, for every entry in seq order. */
static int on_entry(void *ctx, rb_vreport *r, const struct rb_ventry *v, struct rb_err *e)
{
	struct led *l = ctx;
	const struct row *w = &l->ring[l->nseen % RING];
	int64_t seq = l->base + (int64_t)l->nseen;

	(void)e;
	l->nseen++;
	/* Rows missing or out of place: said once where the shift changes. */
	if (w->seq - seq != l->shift)
		rb_vreport_add_error(r, "E_STORED", w->seq, -1, "the row of seq %" PRId64
				     " stands where seq %" PRId64 " should: rows are missing or "
				     "out of place", w->seq, seq);
	l->shift = w->seq - seq;
	if (w->seq >= l->base && w->seq < l->size &&
	    (w->counted != 0) != (l->want[w->seq - l->base] != 0))
		rb_vreport_add_error(r, "E_STORED", w->seq, -1, "the counted column says %s, but "
				     "this is %s of its lifecycle event (metrics-v1 §1)",
				     w->counted ? "it counts" : "it does not count",
				     w->counted ? "a repeat" : "the first");
	columns(l, r, w, v);
	boundaries(l, r, seq);
	return 0;
}

/*
 * The ledger's own row: its size, root and checkpoint (with its witnesses),
 * after the entries; -1 (e) only when out of memory.
 */
static int ledger_end(struct led *l, rb_vreport *r, struct rb_err *e)
{
	int64_t n = (int64_t)rb_vreport_entries(r);
	uint8_t root[32];

	if (l->base + n != l->size) {
		rb_vreport_add_error(r, "E_STORED", -1, -1, "the ledger's size is %" PRId64
				     ", but %" PRId64 " entries are stored from seq %" PRId64,
				     l->size, n, l->base);
		return 0;
	}
	rb_merkle_root(rb_vreport_after(r), root);
	if (memcmp(root, l->root, 32) != 0)
		rb_vreport_add_error(r, "E_ROOT", -1, -1, "the stored entries give another root "
				     "than the ledger's stored root");
	if (l->next_b < l->nb)
		rb_vreport_add_error(r, "E_STORED", l->b[l->next_b].last_seq, -1, "ingested export "
				     "%" PRId64 " ends at seq %" PRId64 ", after the stored entries",
				     l->b[l->next_b].id, l->b[l->next_b].last_seq);
	checkpoint(l, r, "the ledger", l->checkpoint, n > 0 ? l->size - 1 : -1,
		   (uint64_t)l->size, root);
	return witnessed(l, r, n > 0 ? l->size - 1 : -1, e);
}

/* The ledger's stored state and the ends of its ingested exports. */
static int load_ledger(struct led *l, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc, nf;

	if (rb_db_prepare(l->db, "SELECT base_seq, base_frontier, size, root, checkpoint FROM "
			  "ledger WHERE id = ?1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, l->id);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return rb_db_fail(l->db, rc, e, "cannot read the ledger");
	}
	l->base = sqlite3_column_int64(q, 0);
	nf = sqlite3_column_bytes(q, 1) / 32;
	rb_merkle_init(&l->before);
	if (nf > 0 && rb_merkle_from_frontier(&l->before, (uint64_t)l->base,
					      (const uint8_t (*)[32])sqlite3_column_blob(q, 1),
					      nf) != 0)
		rb_merkle_init(&l->before);     /* a bad frontier: the roots will not match */
	/* An odd base: the smallest subtree is the leaf of the entry before it. */
	if (nf > 0 && (l->base & 1)) {
		memcpy(l->prev, (const uint8_t *)sqlite3_column_blob(q, 1) + (size_t)(nf - 1) * 32,
		       32);
		l->have_prev = 1;
	}
	l->size = sqlite3_column_int64(q, 2);
	if (sqlite3_column_bytes(q, 3) == 32)
		memcpy(l->root, sqlite3_column_blob(q, 3), 32);
	if (sqlite3_column_type(q, 4) == SQLITE_TEXT &&
	    (l->checkpoint = strdup((const char *)sqlite3_column_text(q, 4))) == NULL)
		rc = -1;
	sqlite3_finalize(q);
	if (rc == -1)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

static int load_boundaries(struct led *l, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (rb_db_prepare(l->db, "SELECT id, last_seq, root, checkpoint FROM ingest_export "
			  "WHERE ledger_id = ?1 ORDER BY last_seq, id", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, l->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct boundary *nb, *b;

		if (l->nb >= MAX_EXPORTS_KEPT)
			break;
		nb = realloc(l->b, (l->nb + 1) * sizeof(*l->b));
		if (nb == NULL) {
			sqlite3_finalize(q);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		l->b = nb;
		b = &l->b[l->nb];
		memset(b, 0, sizeof(*b));
		b->id = sqlite3_column_int64(q, 0);
		b->last_seq = sqlite3_column_int64(q, 1);
		if (sqlite3_column_bytes(q, 2) == 32)
			memcpy(b->root, sqlite3_column_blob(q, 2), 32);
		b->checkpoint = strdup((const char *)sqlite3_column_text(q, 3));
		l->nb++;
		if (b->checkpoint == NULL) {
			sqlite3_finalize(q);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(l->db, rc, e, "cannot read the ingested exports");
	return 0;
}

/*
 * The counted marks every entry should have (lib/stored: the id indexes in
 * order), read before the rows, held against each row as it comes.
 */
static int expect_counted(struct led *l, struct rb_err *e)
{
	int64_t n = l->size > l->base ? l->size - l->base : 0;

	l->want = calloc((size_t)n + 1, 1);
	if (l->want == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return rb_stored_counted(l->db, l->id, l->base, l->base + n, l->want, e);
}

static void led_clear(struct led *l)
{
	size_t i;

	sqlite3_finalize(l->q);
	if (l->ring != NULL)
		for (i = 0; i < RING; i++)
			free(l->ring[i].text);
	free(l->ring);
	for (i = 0; i < l->nb; i++)
		free(l->b[i].checkpoint);
	free(l->b);
	free(l->line);
	free(l->checkpoint);
	free(l->want);
	memset(l, 0, sizeof(*l));
}

/* Check one ledger into *out. */
static int check_ledger(sqlite3 *db, int64_t lid, const char *origin,
			const struct rb_check_opts *o, rb_vreport **out, struct rb_err *e)
{
	struct rb_verify_opts vo;
	struct rb_vrows rows;
	struct led l;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.db = db;
	l.id = lid;
	l.trust = o->trust;
	l.o = o;
	snprintf(l.origin, sizeof(l.origin), "%s", origin);
	l.ring = calloc(RING, sizeof(*l.ring));
	if (l.ring == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (load_ledger(&l, e) != 0 || load_boundaries(&l, e) != 0 || expect_counted(&l, e) != 0 ||
	    rb_db_prepare(db, "SELECT seq, payload, signatures, leaf, time, event, actor, "
			  "rollback_id, change_id, incident_id, service, environment, "
			  "countersigner, time_s, time_ns, counted, failed FROM entry WHERE ledger_id = ?1 "
			  "ORDER BY seq", &l.q, e) != 0)
		goto out;
	sqlite3_bind_int64(l.q, 1, lid);
	memset(&rows, 0, sizeof(rows));
	rows.name = l.origin;
	rows.ledger = l.origin;
	rows.first_seq = l.base;
	rows.before = l.before;
	rows.first_prev = l.have_prev ? l.prev : NULL;
	rows.source.next = rows_next;
	rows.source.ctx = &l;
	memset(&vo, 0, sizeof(vo));
	vo.jobs = o->jobs;
	vo.on_entry = on_entry;
	vo.ctx = &l;
	vo.every = 1;
	vo.full = 1;
	vo.progress = o->progress;
	vo.progress_ctx = o->progress_ctx;
	vo.on_error = entry_error;
	vo.error_ctx = &l;
	if (rb_verify_rows(&rows, o->trust, &vo, out, e) != 0)
		goto out;
	if (l.failed) {         /* a read error is the database's, not a finding */
		if (e != NULL)
			*e = l.err;
		goto out;
	}
	if (ledger_end(&l, *out, e) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		rb_vreport_free(*out);
		*out = NULL;
	}
	led_clear(&l);
	return rc;
}

/* The rollbacks an entry concerns: its own, or its change's or incident's. */
static char *rollbacks_of(sqlite3 *db, int64_t lid, int64_t seq, struct rb_err *e)
{
	static const char sql[] =
		"SELECT DISTINCT x.rollback_id FROM entry e JOIN entry x ON x.ledger_id = "
		"e.ledger_id AND x.rollback_id IS NOT NULL AND (x.rollback_id = e.rollback_id "
		"OR (e.rollback_id IS NULL AND (x.change_id = e.change_id OR "
		"x.incident_id = e.incident_id))) WHERE e.ledger_id = ?1 AND e.seq = ?2 "
		"ORDER BY x.rollback_id LIMIT 20";
	sqlite3_stmt *q = NULL;
	char *out = NULL;
	size_t cap = 0, n = 0;
	int rc = SQLITE_DONE;

	if (seq < 0) {
		out = strdup("");
		if (out == NULL)
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		return out;
	}
	if (rb_db_prepare(db, sql, &q, e) != 0)
		return NULL;
	sqlite3_bind_int64(q, 1, lid);
	sqlite3_bind_int64(q, 2, seq);
	if (grow(&out, &cap, 1) == 0)
		out[0] = '\0';
	while (out != NULL && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		size_t k = strlen(id);

		if (grow(&out, &cap, n + k + 3) != 0) {
			free(out);
			out = NULL;
			break;
		}
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", id);
	}
	if (out != NULL && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rb_db_fail(db, rc, e, "cannot find the rollbacks of an entry");
		free(out);
		sqlite3_finalize(q);
		return NULL;
	}
	sqlite3_finalize(q);
	if (out == NULL)
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return out;
}

/* Room for one more ledger in c (n unchanged, the new slots zeroed). */
static int grow_check(rb_check *c)
{
	char (*no)[512] = realloc(c->origin, (c->n + 1) * sizeof(*c->origin));
	rb_vreport **nr;
	char ***nb;

	if (no == NULL)
		return -1;
	c->origin = no;
	nr = realloc(c->reports, (c->n + 1) * sizeof(rb_vreport *));
	if (nr == NULL)
		return -1;
	c->reports = nr;
	nb = realloc(c->rollbacks, (c->n + 1) * sizeof(char **));
	if (nb == NULL)
		return -1;
	c->rollbacks = nb;
	c->reports[c->n] = NULL;
	c->rollbacks[c->n] = NULL;
	return 0;
}

int rb_check_run(const struct rb_check_opts *o, rb_check **out, struct rb_err *e)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	rb_check *c = calloc(1, sizeof(*c));
	int rc = -1, step;

	*out = NULL;
	if (c == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_schema_open(o->db_path, RB_DB_READONLY, o->busy_ms, &db, e) != 0 ||
	    rb_db_prepare(db, "SELECT id, origin FROM ledger ORDER BY origin", &q, e) != 0)
		goto out;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		size_t i, k = c->n;
		const rb_vreport *r;

		if (grow_check(c) != 0) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
		snprintf(c->origin[k], sizeof(c->origin[k]), "%s", sqlite3_column_text(q, 1));
		if (check_ledger(db, sqlite3_column_int64(q, 0), c->origin[k], o, &c->reports[k],
				 e) != 0)
			goto out;
		c->n++;
		r = c->reports[k];
		c->rollbacks[k] = calloc(rb_vreport_nerrors(r) + 1, sizeof(char *));
		if (c->rollbacks[k] == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
		for (i = 0; !o->no_rollbacks && i < rb_vreport_nerrors(r); i++)
			if ((c->rollbacks[k][i] = rollbacks_of(db, sqlite3_column_int64(q, 0),
							       rb_vreport_error(r, i)->seq, e)) == NULL)
				goto out;
	}
	if (step != SQLITE_DONE) {
		rb_db_fail(db, step, e, "cannot list the ledgers");
		goto out;
	}
	if (rb_db_unchanged(db, e) != 0)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	sqlite3_finalize(q);
	rb_db_close(db);
	rb_check_free(c);
	return rc;
}

void rb_check_free(rb_check *c)
{
	size_t i, k;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		for (k = 0; c->rollbacks[i] != NULL && c->rollbacks[i][k] != NULL; k++)
			free(c->rollbacks[i][k]);
		free(c->rollbacks[i]);
		rb_vreport_free(c->reports[i]);
	}
	free(c->origin);
	free(c->reports);
	free(c->rollbacks);
	free(c);
}

int rb_check_valid(const rb_check *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!rb_vreport_valid(c->reports[i]))
			return 0;
	return 1;
}

size_t rb_check_nledgers(const rb_check *c)
{
	return c->n;
}

const rb_vreport *rb_check_report(const rb_check *c, size_t ledger)
{
	return ledger < c->n ? c->reports[ledger] : NULL;
}

const char *rb_check_rollbacks(const rb_check *c, size_t ledger, size_t i)
{
	if (ledger >= c->n || i >= rb_vreport_nerrors(c->reports[ledger]))
		return "";
	return c->rollbacks[ledger][i] != NULL ? c->rollbacks[ledger][i] : "";
}
