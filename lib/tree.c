/* tree.c - a stored ledger's tree in memory, and the proofs of its entries. */
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "fsutil.h"
#include "merkle.h"
#include "note.h"
#include "proof.h"

/*
 * Level h holds the hashes of the aligned perfect subtrees of 2^h leaves
 * inside [0, size): node k covers [k 2^h, (k+1) 2^h).  known[h] marks the
 * nodes computable from what is stored (all of them unless bootstrapped).
 */
struct rb_tree {
	uint64_t size, base;
	int levels;
	uint8_t (*h[RB_MERKLE_MAX])[32];
	uint8_t *known[RB_MERKLE_MAX];
	char *checkpoint;
	uint8_t root[32];
};

void rb_tree_free(rb_tree *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < t->levels; i++) {
		free(t->h[i]);
		free(t->known[i]);
	}
	free(t->checkpoint);
	free(t);
}

uint64_t rb_tree_size(const rb_tree *t)
{
	return t->size;
}

uint64_t rb_tree_base(const rb_tree *t)
{
	return t->base;
}

const char *rb_tree_checkpoint(const rb_tree *t)
{
	return t->checkpoint;
}

/* Room for every level of a tree of t->size leaves. */
static int alloc_levels(rb_tree *t, struct rb_err *e)
{
	uint64_t count;

	for (count = t->size; count > 0; count >>= 1) {
		int i = t->levels;

		t->h[i] = malloc((size_t)count * 32);
		t->known[i] = calloc((size_t)count, 1);
		t->levels++;
		if (t->h[i] == NULL || t->known[i] == NULL)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory for a tree of %" PRIu64
				      " leaves", t->size);
	}
	return 0;
}

/* The newest checkpoint kept for the ledger: its note, size and root. */
static int newest_checkpoint(sqlite3 *db, int64_t lid, rb_tree *t, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (rb_db_prepare(db, "SELECT note, size, root FROM checkpoint WHERE ledger_id = ?1 "
			  "ORDER BY size DESC, rowid DESC LIMIT 1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 2) == 32) {
		t->checkpoint = strdup((const char *)sqlite3_column_text(q, 0));
		t->size = (uint64_t)sqlite3_column_int64(q, 1);
		memcpy(t->root, sqlite3_column_blob(q, 2), 32);
		sqlite3_finalize(q);
		if (t->checkpoint == NULL)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		return 0;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the stored checkpoints");
	return RB_ERR(e, RB_EX_DATAERR, "the ledger has no stored checkpoint");
}

/* The base frontier: the perfect subtrees covering [0, base), largest first. */
static int place_frontier(sqlite3 *db, int64_t lid, rb_tree *t, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	const uint8_t *f;
	uint64_t off = 0;
	int rc, h, j = 0, nf;

	if (rb_db_prepare(db, "SELECT base_seq, base_frontier FROM ledger WHERE id = ?1",
			  &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(q);
		return rc == SQLITE_DONE ? RB_ERR(e, RB_EX_DATAERR, "no such ledger")
			: rb_db_fail(db, rc, e, "cannot read the ledger");
	}
	t->base = (uint64_t)sqlite3_column_int64(q, 0);
	f = sqlite3_column_blob(q, 1);
	nf = sqlite3_column_bytes(q, 1) / 32;
	if (t->base > t->size || nf != __builtin_popcountll(t->base)) {
		sqlite3_finalize(q);
		return RB_ERR(e, RB_EX_FAIL, "the ledger's base frontier does not fit its base");
	}
	for (h = 63; h >= 0; h--) {
		uint64_t w = (uint64_t)1 << h;

		if (!(t->base & w))
			continue;
		if (h >= t->levels || f == NULL) {      /* base <= size: cannot be */
			sqlite3_finalize(q);
			return RB_ERR(e, RB_EX_SOFTWARE, "the base frontier does not fit the tree");
		}
		memcpy(t->h[h][off >> h], f + 32 * (size_t)j++, 32);
		t->known[h][off >> h] = 1;
		off += w;
	}
	sqlite3_finalize(q);
	return 0;
}

/* The stored leaves base .. size-1, each once and in order. */
static int read_leaves(sqlite3 *db, int64_t lid, rb_tree *t, struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	uint64_t next = t->base;
	int rc;

	if (t->levels == 0)
		return 0;
	if (rb_db_prepare(db, "SELECT seq, leaf FROM entry WHERE ledger_id = ?1 AND seq >= ?2 "
			  "AND seq < ?3 ORDER BY seq", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)t->base);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)t->size);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((uint64_t)sqlite3_column_int64(q, 0) != next ||
		    sqlite3_column_bytes(q, 1) != 32) {
			sqlite3_finalize(q);
			return RB_ERR(e, RB_EX_FAIL, "stored entry %" PRIu64 " is missing or "
				      "malformed", next);
		}
		memcpy(t->h[0][next], sqlite3_column_blob(q, 1), 32);
		t->known[0][next++] = 1;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot read the stored leaves");
	if (next != t->size)
		return RB_ERR(e, RB_EX_FAIL, "stored entry %" PRIu64 " is missing", next);
	return 0;
}

/* Every node both of whose children are known. */
static void fold_levels(rb_tree *t)
{
	int h;
	uint64_t k, count;

	for (h = 1; h < t->levels; h++) {
		count = t->size >> h;
		for (k = 0; k < count; k++) {
			if (t->known[h][k] || !t->known[h - 1][2 * k] || !t->known[h - 1][2 * k + 1])
				continue;
			rb_merkle_node(t->h[h - 1][2 * k], t->h[h - 1][2 * k + 1], t->h[h][k]);
			t->known[h][k] = 1;
		}
	}
}

int rb_tree_load(sqlite3 *db, int64_t lid, rb_tree **out, struct rb_err *e)
{
	rb_tree *t = calloc(1, sizeof(*t));
	uint8_t root[32];

	*out = NULL;
	if (t == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (newest_checkpoint(db, lid, t, e) != 0 || alloc_levels(t, e) != 0 ||
	    place_frontier(db, lid, t, e) != 0 || read_leaves(db, lid, t, e) != 0)
		goto fail;
	fold_levels(t);
	if (t->size == 0) {
		RB_ERR(e, RB_EX_DATAERR, "the ledger's newest checkpoint is of the empty tree");
		goto fail;
	}
	if (rb_tree_subtree(t, 0, t->size, root, e) != 0)
		goto fail;
	if (memcmp(root, t->root, 32) != 0) {
		RB_ERR(e, RB_EX_FAIL, "the stored entries do not fold to the root of the "
		       "stored checkpoint of size %" PRIu64 " (run rbaudit check)", t->size);
		goto fail;
	}
	*out = t;
	return 0;
fail:
	rb_tree_free(t);
	return -1;
}

int rb_tree_subtree(void *ctx, uint64_t a, uint64_t b, uint8_t out[32], struct rb_err *e)
{
	const rb_tree *t = ctx;
	uint64_t w = b - a, k = 1;
	uint8_t l[32], r[32];
	int h;

	if (a >= b || b > t->size)
		return RB_ERR(e, RB_EX_SOFTWARE, "no subtree [%" PRIu64 ", %" PRIu64 ")", a, b);
	if (w != 0 && (w & (w - 1)) == 0 && a % w == 0) {
		h = __builtin_ctzll(w);
		if (!t->known[h][a >> h])
			return RB_ERR(e, RB_EX_DATAERR, "leaves %" PRIu64 "..%" PRIu64 " lie below "
				      "the ledger's bootstrap point (seq %" PRIu64 "): not stored",
				      a, b - 1, t->base);
		memcpy(out, t->h[h][a >> h], 32);
		return 0;
	}
	while (k << 1 < w)
		k <<= 1;
	if (rb_tree_subtree(ctx, a, a + k, l, e) != 0 || rb_tree_subtree(ctx, a + k, b, r, e) != 0)
		return -1;
	rb_merkle_node(l, r, out);
	return 0;
}

static int plain_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int rb_tree_proof_name(const char *rollback_id, int64_t seq, char *out, size_t n)
{
	size_t o = 0, i;
	int w;

	if (rollback_id != NULL && rollback_id[0] != '\0') {
		for (i = 0; rollback_id[i] != '\0'; i++) {
			unsigned char c = (unsigned char)rollback_id[i];

			if (o + 4 > n)
				return -1;
			if (plain_byte(c) && !(i == 0 && c == '.'))
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, n - o, "%%%02X", c);
		}
		if (o + 1 > n)
			return -1;
		out[o++] = '/';
	}
	w = snprintf(out + o, n - o, "seq-%" PRId64 ".tlog-proof", seq);
	return w < 0 || (size_t)w >= n - o ? -1 : 0;
}

/* One entry's payload and rollback id. */
static int entry_of(sqlite3_stmt *q, int64_t seq, uint8_t **payload, size_t *plen,
		    char **rid, struct rb_err *e)
{
	int rc;

	sqlite3_reset(q);
	sqlite3_bind_int64(q, 2, seq);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RB_ERR(e, RB_EX_FAIL, "seq %" PRId64 ": no such "
						  "entry stored", seq)
			: RB_ERR(e, RB_EX_SOFTWARE, "cannot read entry %" PRId64, seq);
	*plen = (size_t)sqlite3_column_bytes(q, 0);
	*payload = malloc(*plen + 1);
	*rid = sqlite3_column_type(q, 1) == SQLITE_NULL ? NULL
		: strdup((const char *)sqlite3_column_text(q, 1));
	if (*payload == NULL || (sqlite3_column_type(q, 1) != SQLITE_NULL && *rid == NULL)) {
		free(*payload);
		free(*rid);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	if (*plen > 0)
		memcpy(*payload, sqlite3_column_blob(q, 0), *plen);
	return 0;
}

/* A new file of data, written plainly (no sync, no rename). */
static int write_new(const char *path, const char *data, size_t len, mode_t mode,
		     struct rb_err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t done = 0;

	if (fd < 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		done += (size_t)w;
	}
	if (close(fd) != 0) {
		RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* Make, check and write one entry's proof. */
static int write_one(const rb_tree *t, int64_t seq, const uint8_t *payload, size_t plen,
		     const char *dir, const char *name, mode_t mode, int durable,
		     struct rb_err *e)
{
	uint8_t path[RB_PROOF_MAX][32], leaf[32];
	char full[PATH_MAX], *text = NULL, *slash;
	int n, rc;

	rb_merkle_leaf(payload, plen, leaf);
	if (seq < 0 || (uint64_t)seq < t->base || (uint64_t)seq >= t->size)
		return RB_ERR(e, RB_EX_FAIL, "seq %" PRId64 ": not provable in the tree of "
			      "%" PRIu64 " from %" PRIu64, seq, t->size, t->base);
	if (memcmp(leaf, t->h[0][seq], 32) != 0)
		return RB_ERR(e, RB_EX_FAIL, "seq %" PRId64 ": the stored payload does not "
			      "hash to its leaf (run rbaudit check)", seq);
	if (rb_proof_inclusion(rb_tree_subtree, (void *)t, (uint64_t)seq, t->size, path,
			       &n, e) != 0)
		return -1;
	if (!rb_proof_verify_inclusion(leaf, (uint64_t)seq, t->size,
				       (const uint8_t (*)[32])path, n, t->root))
		return RB_ERR(e, RB_EX_SOFTWARE, "seq %" PRId64 ": the proof made does not "
			      "verify", seq);
	if (rb_path_join(full, sizeof(full), dir, name, e) != 0)
		return -1;
	slash = strrchr(full, '/');
	if (slash != NULL) {
		*slash = '\0';
		rc = rb_mkdir_p(full, 0750, e);
		*slash = '/';
		if (rc != 0)
			return -1;
	}
	if (rb_tproof_format(payload, plen, (uint64_t)seq, (const uint8_t (*)[32])path, n,
			     t->checkpoint, &text, e) != 0)
		return -1;
	rc = durable ? rb_write_atomic(full, text, strlen(text), mode, e)
		: write_new(full, text, strlen(text), mode, e);
	free(text);
	return rc;
}

int rb_tree_write_proofs(sqlite3 *db, const rb_tree *t, int64_t lid, const int64_t *seqs,
		    size_t n, const char *group, const char *dir, mode_t mode, int durable,
		    struct rb_tree_proof **files, struct rb_err *e)
{
	struct rb_tree_proof *f = calloc(n > 0 ? n : 1, sizeof(*f));
	sqlite3_stmt *q = NULL;
	size_t i;
	int rc = -1;

	if (files != NULL)
		*files = NULL;
	if (f == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_db_prepare(db, "SELECT payload, rollback_id FROM entry WHERE ledger_id = ?1 "
			  "AND seq = ?2", &q, e) != 0)
		goto out;
	sqlite3_bind_int64(q, 1, lid);
	for (i = 0; i < n; i++) {
		uint8_t *payload = NULL;
		size_t plen = 0;
		char *rid = NULL;
		int wrc;

		if (entry_of(q, seqs[i], &payload, &plen, &rid, e) != 0)
			goto out;
		f[i].seq = seqs[i];
		wrc = rb_tree_proof_name(group != NULL ? group : rid, seqs[i], f[i].name, sizeof(f[i].name)) != 0
			? RB_ERR(e, RB_EX_DATAERR, "seq %" PRId64 ": rollback id too long for a "
				 "file name", seqs[i])
			: write_one(t, seqs[i], payload, plen, dir, f[i].name, mode, durable, e);
		free(payload);
		free(rid);
		if (wrc != 0)
			goto out;
	}
	rc = 0;
	if (files != NULL) {
		*files = f;
		f = NULL;
	}
out:
	sqlite3_finalize(q);
	free(f);
	return rc;
}

int64_t rb_tree_pick_ledger(sqlite3 *db, const char *want, char *origin, size_t n,
			    struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int64_t id = -1;
	int count = 0, rc;

	if (rb_db_prepare(db, "SELECT id, origin FROM ledger ORDER BY origin", &q, e) != 0)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(q, 1);

		if (want == NULL || strcmp(want, o) == 0) {
			id = sqlite3_column_int64(q, 0);
			snprintf(origin, n, "%s", o);
			count++;
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rb_db_fail(db, rc, e, "cannot list ledgers");
	if (count == 0)
		return RB_ERR(e, RB_EX_NOINPUT, "the database holds no ledger%s%s", want ? " " : "",
			      want ? want : "");
	if (count > 1)
		return RB_ERR(e, RB_EX_USAGE, "the database holds %d ledgers: name one by its origin",
			      count);
	return id;
}

int rb_tree_rollback_seqs(sqlite3 *db, int64_t lid, const char *id, int64_t **seqs,
			  size_t *n, struct rb_err *e)
{
	static const char sql[] =
		"SELECT seq FROM entry WHERE ledger_id = ?1 AND rollback_id = ?2 "
		"UNION SELECT min(d.seq) FROM entry d WHERE d.ledger_id = ?1 "
		"  AND d.event = 'change.deployed' AND d.change_id = (SELECT change_id FROM entry "
		"  WHERE ledger_id = ?1 AND rollback_id = ?2 AND event = 'rollback.requested' "
		"  ORDER BY seq LIMIT 1) "
		"UNION SELECT min(i.seq) FROM entry i WHERE i.ledger_id = ?1 "
		"  AND i.event = 'incident.detected' AND i.incident_id = (SELECT incident_id "
		"  FROM entry WHERE ledger_id = ?1 AND rollback_id = ?2 "
		"  AND event = 'rollback.requested' ORDER BY seq LIMIT 1) "
		"ORDER BY 1";
	sqlite3_stmt *q = NULL;
	int64_t *v = NULL;
	size_t cap = 0;
	int rc;

	*seqs = NULL;
	*n = 0;
	if (rb_db_prepare(db, sql, &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	rb_db_bind_text(q, 2, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (sqlite3_column_type(q, 0) == SQLITE_NULL)
			continue;
		if (*n == cap) {
			int64_t *p = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (p == NULL) {
				sqlite3_finalize(q);
				free(v);
				*n = 0;
				return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			}
			v = p;
		}
		v[(*n)++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return rb_db_fail(db, rc, e, "cannot read the rollback's entries");
	}
	*seqs = v;
	return 0;
}
