/* stored.c - stored entries held against their payloads and checkpoint (see stored.h). */
#define _GNU_SOURCE     /* SCHED_IDLE */
#include "stored.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crypto.h"
#include "db.h"
#include "schema.h"
#include "json.h"
#include "merkle.h"
#include "note.h"
#include "pool.h"
#include "rtime.h"
#include "vocab.h"

/* Rows are read in chunks of 2^CHUNK_BITS seqs, aligned, so that a whole
 * chunk's leaves are one perfect subtree of the ledger's tree.  A chunk is
 * some milliseconds of work: a joiner never waits long for the one a
 * low-priority reader holds. */
#define CHUNK_BITS 12
#define CHUNK ((int64_t)1 << CHUNK_BITS)

static const char rows_sql[] =
	"SELECT seq, payload, leaf, time, time_s, time_ns, event, actor, rollback_id, "
	"change_id, incident_id, service, environment, counted, failed FROM entry "
	"WHERE ledger_id = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq";

/* The text columns after time_ns, in rows_sql's order, and where the payload has them. */
static const char *const text_cols[] = { "event", "actor", "rollback_id", "change_id",
	"incident_id", "service", "environment" };
#define NTEXT 7
#define TEXT0 6         /* column of "event" */

/* What a check is of. */
struct rb_stored_opts {
	sqlite3 *db;                    /* reads the ledger row and the id indexes */
	int64_t ledger_id;
	const rb_trust *trust;          /* for the checkpoint's signature; NULL: not checked */
};

struct chunk {
	int64_t from, to;               /* seqs [from, to) */
	struct rb_merkle m;             /* its leaves, from an empty tree */
	uint8_t (*leaves)[32];          /* a chunk not starting on a chunk boundary */
	int64_t fail_seq;               /* first disagreement, or -1 */
	struct rb_err err;
};

struct run {
	const struct rb_stored_opts *o;
	const char *origin;
	int64_t base, size;
	struct chunk *ch;
	size_t nch;
	uint8_t *counted;               /* stored counted, by seq - base */
	atomic_size_t next;             /* the next chunk a worker takes */
};

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Record the chunk's first disagreement at seq. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void disagree(struct chunk *c, const char *origin, int64_t seq, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (c->fail_seq >= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	c->fail_seq = seq;
	RB_ERR(&c->err, RB_EX_FAIL, "the stored history of %s does not verify: table entry, "
	       "seq %" PRId64 ": %s; nothing was used or written (run 'rbaudit check' for "
	       "every problem)", origin, seq, what);
}

/* The row's columns against its parsed payload. */
static void columns(struct chunk *c, const char *origin, sqlite3_stmt *q, int64_t seq,
		    const cJSON *body)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(body, "data");
	const cJSON *sq = cJSON_GetObjectItemCaseSensitive(body, "seq");
	const char *ts = rb_json_str(body, "time");
	struct rb_time t;
	int k;

	if (!cJSON_IsNumber(sq) || sq->valuedouble != (double)seq) {
		disagree(c, origin, seq, "the payload's seq is not the row's");
		return;
	}
	if (ts == NULL || rb_time_parse(ts, strlen(ts), &t) != 0 ||
	    !same((const char *)sqlite3_column_text(q, 3), ts) ||
	    sqlite3_column_int64(q, 4) != t.sec || sqlite3_column_int64(q, 5) != t.nsec) {
		disagree(c, origin, seq, "the time columns (%s, %" PRId64 ".%09" PRId64 ") "
			 "are not the payload's time %.40s", sqlite3_column_text(q, 3),
			 (int64_t)sqlite3_column_int64(q, 4), (int64_t)sqlite3_column_int64(q, 5),
			 ts != NULL ? ts : "(none)");
		return;
	}
	for (k = 0; k < NTEXT; k++) {
		const char *stored = (const char *)sqlite3_column_text(q, TEXT0 + k);
		const char *want = rb_json_str(k < 2 ? body : data, text_cols[k]);

		if (!same(stored, want)) {
			disagree(c, origin, seq, "the %s column holds %s%.60s%s, the payload %s%.60s%s",
				 text_cols[k], stored ? "\"" : "", stored ? stored : "null",
				 stored ? "\"" : "", want ? "\"" : "", want ? want : "null",
				 want ? "\"" : "");
			return;
		}
	}
	if ((sqlite3_column_int(q, 14) != 0) != rb_failed_attempt(rb_json_str(body, "event"), data))
		disagree(c, origin, seq, "the failed column says %s, the payload %s",
			 sqlite3_column_int(q, 14) ? "a failed attempt" : "no failed attempt",
			 sqlite3_column_int(q, 14) ? "none" : "one");
}

/* One row: its place, its leaf, its columns; its leaf into the chunk's tree. */
static void row(struct run *r, struct chunk *c, sqlite3_stmt *q, int64_t want,
		rb_json_arena *arena, rb_sha256_ctx *sha)
{
	int64_t seq = sqlite3_column_int64(q, 0);
	const void *payload = sqlite3_column_blob(q, 1);
	size_t plen = (size_t)sqlite3_column_bytes(q, 1);
	uint8_t leaf[32];
	cJSON *body = NULL;
	static const uint8_t zero = 0x00;

	if (seq != want) {
		disagree(c, r->origin, want, "no row, where the ledger's entries are seq %" PRId64
			 " to %" PRId64 " (the next row is seq %" PRId64 ")", r->base,
			 r->size - 1, seq);
		return;
	}
	rb_sha256_reset(sha);          /* the leaf hash, SHA-256(0x00 || payload) */
	rb_sha256_update(sha, &zero, 1);
	rb_sha256_update(sha, payload != NULL ? payload : "", plen);
	rb_sha256_final(sha, leaf);
	if (sqlite3_column_bytes(q, 2) != 32 || memcmp(sqlite3_column_blob(q, 2), leaf, 32) != 0) {
		disagree(c, r->origin, seq, "the leaf column is not the hash of the payload "
			 "(the payload or the leaf was changed)");
		return;
	}
	if (c->leaves != NULL)
		memcpy(c->leaves[seq - c->from], leaf, 32);
	else
		rb_merkle_append(&c->m, leaf);
	r->counted[seq - r->base] = (uint8_t)sqlite3_column_int(q, 13);
	/* Its leaf is checked, and the leaves against the signed root at the end:
	 * these are the bytes ingest checked for strictness, or the check fails. */
	if (rb_json_parse_known_in(arena, payload, plen, &body) != 0) {
		disagree(c, r->origin, seq, "the payload is not valid JSON");
		return;
	}
	columns(c, r->origin, q, seq, body);
	rb_json_arena_reset(arena);
}

static void check_chunk(struct run *r, struct chunk *c, sqlite3 *db, sqlite3_stmt *q,
			rb_json_arena *arena, rb_sha256_ctx *sha)
{
	int64_t want = c->from;
	int rc = SQLITE_DONE;

	sqlite3_bind_int64(q, 1, r->o->ledger_id);
	sqlite3_bind_int64(q, 2, c->from);
	sqlite3_bind_int64(q, 3, c->to);
	while (c->fail_seq < 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		row(r, c, q, want++, arena, sha);
	if (c->fail_seq < 0 && rc != SQLITE_DONE) {
		rb_db_fail(db, rc, &c->err, "cannot read the stored entries");
		c->fail_seq = c->from;
	} else if (c->fail_seq < 0 && want != c->to) {
		disagree(c, r->origin, want, "no row, where the ledger's entries are seq %" PRId64
			 " to %" PRId64, r->base, r->size - 1);
	}
	sqlite3_reset(q);
}

/* On connection db: the next chunk no one has taken, until none is left. */
static void take_chunks(struct run *r, sqlite3 *db)
{
	sqlite3_stmt *q = NULL;
	rb_json_arena *arena = rb_json_arena_new();
	rb_sha256_ctx *sha = rb_sha256_new();
	struct rb_err e;
	size_t k;

	if (arena == NULL || sha == NULL || rb_db_prepare(db, rows_sql, &q, &e) != 0) {
		if (arena == NULL || sha == NULL)
			RB_ERR(&e, RB_EX_SOFTWARE, "out of memory");
		while ((k = atomic_fetch_add(&r->next, 1)) < r->nch) {
			r->ch[k].err = e;
			r->ch[k].fail_seq = r->ch[k].from;
		}
	} else {
		while ((k = atomic_fetch_add(&r->next, 1)) < r->nch)
			check_chunk(r, &r->ch[k], db, q, arena, sha);
	}
	sqlite3_finalize(q);
	rb_sha256_free(sha);
	rb_json_arena_free(arena);
}

int rb_stored_counted(sqlite3 *db, int64_t ledger_id, int64_t base, int64_t size,
		      uint8_t *want, struct rb_err *e)
{
	/* In each index's own order (no sort): the events other than the one
	 * that counts once are skipped below. */
	static const char *const sql[3] = {
		"SELECT rollback_id, event, seq FROM entry INDEXED BY entry_rollback "
		"WHERE ledger_id = ?1 AND rollback_id IS NOT NULL AND event IN "
		"('rollback.closed', 'rollback.executed', 'rollback.requested') "
		"ORDER BY rollback_id, event, seq",
		"SELECT incident_id, event, seq FROM entry INDEXED BY entry_incident "
		"WHERE ledger_id = ?1 AND incident_id IS NOT NULL ORDER BY incident_id, event, seq",
		"SELECT change_id, event, seq FROM entry INDEXED BY entry_change "
		"WHERE ledger_id = ?1 AND change_id IS NOT NULL ORDER BY change_id, event, seq",
	};
	static const char *const only[3] = { NULL, "incident.detected", "change.deployed" };
	sqlite3_stmt *q = NULL;
	size_t cap = 256, lastlen = 0;
	char *last = calloc(cap, 1);
	int k, rc = SQLITE_DONE;

	if (last == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	memset(want, 1, (size_t)(size - base));
	for (k = 0; k < 3 && rc == SQLITE_DONE; k++) {
		if (rb_db_prepare(db, sql[k], &q, e) != 0)
			goto fail;
		sqlite3_bind_int64(q, 1, ledger_id);
		lastlen = (size_t)-1;
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			/* id, 0x1f, event: a repeat has the key of the row before */
			const void *id = sqlite3_column_blob(q, 0);
			size_t il = (size_t)sqlite3_column_bytes(q, 0);
			const void *ev = sqlite3_column_blob(q, 1);
			size_t el = (size_t)sqlite3_column_bytes(q, 1), n = il + el + 1;
			int64_t seq = sqlite3_column_int64(q, 2);

			if (only[k] != NULL && (el != strlen(only[k]) || memcmp(ev, only[k], el) != 0))
				continue;
			if (n == lastlen && (il == 0 || memcmp(last, id, il) == 0) &&
			    last[il] == 0x1f && (el == 0 || memcmp(last + il + 1, ev, el) == 0)) {
				if (seq >= base && seq < size)
					want[seq - base] = 0;
				continue;
			}
			if (n > cap) {
				char *nb = realloc(last, n * 2);

				if (nb == NULL) {
					RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
					goto fail;
				}
				last = nb;
				cap = n * 2;
			}
			if (last == NULL)
				goto fail;      /* cannot be: for the analyzer */
			if (il > 0)
				memcpy(last, id, il);
			last[il] = 0x1f;
			if (el > 0)
				memcpy(last + il + 1, ev, el);
			lastlen = n;
		}
		sqlite3_finalize(q);
		q = NULL;
	}
	free(last);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the id indexes");
	return 0;
fail:
	free(last);
	sqlite3_finalize(q);
	return -1;
}

/* The stored counted marks against the expected ones (want). */
static int check_counted(const struct run *r, const uint8_t *want, struct rb_err *e)
{
	int64_t i;

	for (i = 0; i < r->size - r->base; i++)
		if ((want[i] != 0) != (r->counted[i] != 0))
			return RB_ERR(e, RB_EX_FAIL, "the stored history of %s does not verify: "
				      "table entry, seq %" PRId64 ": the counted column says %s, but "
				      "this is %s of its lifecycle event; nothing was used or written "
				      "(run 'rbaudit check' for every problem)", r->origin, r->base + i,
				      r->counted[i] ? "it counts" : "it does not count",
				      r->counted[i] ? "a repeat" : "the first");
	return 0;
}

/* The chunks' trees, in order, onto the tree at base: the ledger's root. */
static int fold(struct run *r, struct rb_merkle *m)
{
	size_t i;
	int64_t k;
	int j, h;

	for (i = 0; i < r->nch; i++) {
		const struct chunk *c = &r->ch[i];
		uint64_t size = c->m.size;

		if (c->leaves != NULL) {
			for (k = 0; k < c->to - c->from; k++)
				rb_merkle_append(m, c->leaves[k]);
			continue;
		}
		/* Its perfect subtrees, largest first, each onto an aligned place. */
		for (j = 0, h = 63; h >= 0; h--)
			if (size & ((uint64_t)1 << h))
				if (rb_merkle_append_subtree(m, h, c->m.h[j++]) != 0)
					return -1;
	}
	return 0;
}

/* The ledger's stored checkpoint: of this ledger, size and root, and signed. */
static int check_checkpoint(struct run *r, const char *text, const uint8_t root[32],
			    struct rb_stored_result *res, struct rb_err *e)
{
	rb_checkpoint *cp = NULL;
	char why[160];
	const char *bad = NULL;

	if (text == NULL)
		return r->size == r->base ? 0 :
			RB_ERR(e, RB_EX_FAIL, "the stored history of %s does not verify: table "
			       "ledger: it has entries but no checkpoint", r->origin);
	if (rb_checkpoint_parse(text, strlen(text), &cp, why, sizeof(why)) != 0)
		return RB_ERR(e, RB_EX_FAIL, "the stored history of %s does not verify: table "
			      "ledger: the stored checkpoint is malformed: %s", r->origin, why);
	if (strcmp(rb_checkpoint_origin(cp), r->origin) != 0)
		bad = "it is of another ledger";
	else if (rb_checkpoint_size(cp) != (uint64_t)r->size)
		bad = "its tree size is not the ledger's size";
	else if (memcmp(rb_checkpoint_root(cp), root, 32) != 0)
		bad = "its root is not the ledger's stored root";
	else if (r->o->trust != NULL && rb_checkpoint_verify(cp, r->o->trust, "checkpoint") == NULL)
		bad = "it is not signed by a trusted key with role checkpoint";
	rb_checkpoint_free(cp);
	if (bad != NULL)
		return RB_ERR(e, RB_EX_FAIL, "the stored history of %s does not verify: table "
			      "ledger, seq %" PRId64 ": the stored checkpoint: %s", r->origin,
			      r->size - 1, bad);
	res->checkpoint_signed = r->o->trust != NULL;
	return 0;
}

/* The ledger row: origin, where stored history starts, size, root, checkpoint. */
static int load_ledger(struct run *r, char *origin, size_t olen, struct rb_merkle *before,
		       uint8_t root[32], char **checkpoint, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc, nf;

	if (rb_db_prepare(r->o->db, "SELECT origin, base_seq, base_frontier, size, root, "
			  "checkpoint FROM ledger WHERE id = ?1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, r->o->ledger_id);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return rc == SQLITE_DONE ? RB_ERR(e, RB_EX_DATAERR, "no such ledger") :
			rb_db_fail(r->o->db, rc, e, "cannot read the ledger");
	}
	snprintf(origin, olen, "%s", sqlite3_column_text(q, 0));
	r->base = sqlite3_column_int64(q, 1);
	r->size = sqlite3_column_int64(q, 3);
	nf = sqlite3_column_bytes(q, 2) / 32;
	rc = 0;
	rb_merkle_init(before);
	if (r->base < 0 || r->size < r->base ||
	    (nf > 0 && rb_merkle_from_frontier(before, (uint64_t)r->base,
					       (const uint8_t (*)[32])sqlite3_column_blob(q, 2),
					       nf) != 0) ||
	    (nf == 0 && r->base != 0) || sqlite3_column_bytes(q, 4) != 32)
		rc = RB_ERR(e, RB_EX_FAIL, "the stored history of %s does not verify: table "
			    "ledger: its base, frontier, size or root is malformed", origin);
	else
		memcpy(root, sqlite3_column_blob(q, 4), 32);
	if (rc == 0 && sqlite3_column_type(q, 5) == SQLITE_TEXT &&
	    (*checkpoint = strdup((const char *)sqlite3_column_text(q, 5))) == NULL)
		rc = RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	sqlite3_finalize(q);
	return rc;
}

/* Cut [base, size) at the chunk boundaries. */
static int make_chunks(struct run *r, struct rb_err *e)
{
	int64_t at = r->base;

	r->nch = 0;
	r->ch = calloc((size_t)((r->size - r->base) / CHUNK + 2), sizeof(*r->ch));
	r->counted = calloc((size_t)(r->size - r->base) + 1, 1);
	if (r->ch == NULL || r->counted == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	while (at < r->size) {
		struct chunk *c = &r->ch[r->nch++];
		int64_t end = (at / CHUNK + 1) * CHUNK;

		c->from = at;
		c->to = end < r->size ? end : r->size;
		c->fail_seq = -1;
		rb_merkle_init(&c->m);
		if (at % CHUNK != 0 && (c->leaves = malloc((size_t)(c->to - c->from) * 32)) == NULL)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		at = c->to;
	}
	return 0;
}

/* The first disagreement of all chunks, in seq order (they are in order). */
static int first_failure(const struct run *r, struct rb_err *e)
{
	size_t i;

	for (i = 0; i < r->nch; i++)
		if (r->ch[i].fail_seq >= 0) {
			if (e != NULL)
				*e = r->ch[i].err;
			return -1;
		}
	return 0;
}

/* What a check holds from its start to its end. */
struct state {
	struct run r;
	struct rb_merkle m;             /* the tree at base, then the ledger's */
	uint8_t root[32];               /* the ledger row's */
	char origin[512];
	char *checkpoint;
	uint8_t *want;                  /* expected counted, by seq - base */
	int crc;                        /* rb_stored_counted's outcome */
	struct rb_err cerr;
};

/* The ledger row, its checkpoint, the chunks: what the rows are read into. */
static int prepare(struct state *st, const struct rb_stored_opts *o,
		   struct rb_stored_result *res, struct rb_err *e)
{
	struct run *r = &st->r;

	memset(st, 0, sizeof(*st));
	atomic_init(&r->next, 0);
	memset(res, 0, sizeof(*res));
	r->o = o;
	r->origin = st->origin;
	if (load_ledger(r, st->origin, sizeof(st->origin), &st->m, st->root, &st->checkpoint,
			e) != 0 ||
	    check_checkpoint(r, st->checkpoint, st->root, res, e) != 0 || make_chunks(r, e) != 0)
		return -1;
	if ((st->want = calloc((size_t)(r->size - r->base) + 1, 1)) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

/* Once every chunk is read: the first disagreement, the root, counted. */
static int conclude(struct state *st, struct rb_stored_result *res, struct rb_err *e)
{
	struct run *r = &st->r;
	uint8_t got[32];

	if (first_failure(r, e) != 0)
		return -1;
	if (st->crc != 0) {
		if (e != NULL)
			*e = st->cerr;
		return -1;
	}
	if (fold(r, &st->m) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "the stored entries do not fold into a tree");
	rb_merkle_root(&st->m, got);
	if (memcmp(got, st->root, 32) != 0)
		return RB_ERR(e, RB_EX_FAIL, "the stored history of %s does not verify: table "
			      "entry, seq %" PRId64 " to %" PRId64 ": the stored entries give another "
			      "root than the signed checkpoint's (a payload and its leaf were changed); "
			      "nothing was used or written (run 'rbaudit check' for every problem)",
			      st->origin, r->base, r->size - 1);
	if (check_counted(r, st->want, e) != 0)
		return -1;
	res->entries = r->size - r->base;
	return 0;
}

static void release(struct state *st)
{
	size_t i;

	for (i = 0; i < st->r.nch; i++)
		free(st->r.ch[i].leaves);
	free(st->r.ch);
	free(st->r.counted);
	free(st->want);
	free(st->checkpoint);
}

/*
 * A check on threads of its own.  Its readers run at the lowest CPU
 * priority (SCHED_IDLE): they use what the caller's work leaves of the
 * cores, and never slow it down.  Whoever joins takes the chunks still left
 * at its own priority, so a busy machine cannot starve the check.
 */
struct rb_stored_job {
	pthread_t thread;
	char *path;
	int64_t ledger_id;
	const rb_trust *trust;
	int busy_ms;
	int rc;
	struct rb_stored_result res;
	struct rb_err err;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct run *rows;               /* while chunks may be left; else NULL */
	int past;                       /* 1: the rows are read, or never will be */
	int helpers;                    /* joiners inside take_chunks */
};

struct reader {
	pthread_t thread;
	struct run *r;
	sqlite3 *db;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct sched_param sp = { 0 };

	/* Best effort: without it, the readers share the cores as equals. */
	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	take_chunks(rd->r, rd->db);
	return NULL;
}

/* The rows on the readers, the counted marks here; then no joiner is inside. */
static void read_rows(struct rb_stored_job *j, struct state *st, struct reader *rd, size_t n)
{
	size_t i, started = 0;

	pthread_mutex_lock(&j->mu);
	j->rows = &st->r;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	for (i = 0; i < n; i++) {
		rd[i].r = &st->r;
		if (pthread_create(&rd[i].thread, NULL, reader_main, &rd[i]) != 0)
			break;
		started++;
	}
	st->crc = rb_stored_counted(st->r.o->db, st->r.o->ledger_id, st->r.base, st->r.size,
				    st->want, &st->cerr);
	if (started == 0)
		take_chunks(&st->r, rd[0].db);
	for (i = 0; i < started; i++)
		pthread_join(rd[i].thread, NULL);
	pthread_mutex_lock(&j->mu);
	j->rows = NULL;
	j->past = 1;
	while (j->helpers > 0)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
}

/* The job's thread: its connections, its readers, the check. */
static void *job_main(void *arg)
{
	struct rb_stored_job *j = arg;
	struct rb_stored_opts o;
	struct state *st = NULL;
	struct reader *rd = NULL;
	sqlite3 *db = NULL;
	size_t n = (size_t)rb_ncpu(), i;

	j->rc = -1;
	memset(&o, 0, sizeof(o));
	st = malloc(sizeof(*st));
	rd = calloc(n, sizeof(*rd));
	if (st == NULL || rd == NULL) {
		RB_ERR(&j->err, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_schema_open(j->path, RB_DB_READONLY, j->busy_ms, &db, &j->err) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (rb_schema_open(j->path, RB_DB_READONLY, j->busy_ms, &rd[i].db, &j->err) != 0)
			goto out;
	o.db = db;
	o.ledger_id = j->ledger_id;
	o.trust = j->trust;
	if (prepare(st, &o, &j->res, &j->err) == 0) {
		read_rows(j, st, rd, n);
		j->rc = conclude(st, &j->res, &j->err);
	}
	release(st);
out:
	pthread_mutex_lock(&j->mu);
	j->past = 1;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	for (i = 0; rd != NULL && i < n; i++)
		rb_db_close(rd[i].db);
	free(rd);
	free(st);
	rb_db_close(db);
	return NULL;
}

int rb_stored_start(const char *path, int64_t ledger_id, const rb_trust *trust, int busy_ms,
		    rb_stored_job **out, struct rb_err *e)
{
	struct rb_stored_job *j = calloc(1, sizeof(*j));

	*out = NULL;
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	j->ledger_id = ledger_id;
	j->trust = trust;
	j->busy_ms = busy_ms;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cv);
		free(j->path);
		free(j);
		return RB_ERR(e, RB_EX_SOFTWARE, "cannot start a thread");
	}
	*out = j;
	return 0;
}

/* The joiner takes the chunks still left, on a connection of its own. */
static void help(rb_stored_job *j)
{
	struct run *r;
	sqlite3 *db = NULL;
	struct rb_err e;

	pthread_mutex_lock(&j->mu);
	while (j->rows == NULL && !j->past)
		pthread_cond_wait(&j->cv, &j->mu);
	r = j->rows;
	if (r != NULL && atomic_load(&r->next) < r->nch)
		j->helpers++;
	else
		r = NULL;
	pthread_mutex_unlock(&j->mu);
	if (r == NULL)
		return;
	/* Without a connection, the readers finish alone. */
	if (rb_schema_open(j->path, RB_DB_READONLY, j->busy_ms, &db, &e) == 0)
		take_chunks(r, db);
	rb_db_close(db);
	pthread_mutex_lock(&j->mu);
	j->helpers--;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

int rb_stored_join(rb_stored_job *j, struct rb_stored_result *res, struct rb_err *e)
{
	int rc;

	help(j);
	pthread_join(j->thread, NULL);
	rc = j->rc;
	if (res != NULL)
		*res = j->res;
	if (rc != 0 && e != NULL)
		*e = j->err;
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j->path);
	free(j);
	return rc;
}
