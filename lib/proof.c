/* proof.c - RFC 6962 proofs and the C2SP tlog-proof and add-checkpoint texts. */
#include "proof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crypto.h"
#include "json.h"
#include "merkle.h"
#include "note.h"

static const char TPROOF_HEADER[] = "c2sp.org/tlog-proof@v1";

/* The largest power of two smaller than n (n ≥ 2): RFC 6962's split point k. */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* Append one hash to a proof, refusing more than RB_PROOF_MAX. */
static int push(rb_subtree_fn fn, void *ctx, uint64_t a, uint64_t b,
		uint8_t out[RB_PROOF_MAX][32], int *n, struct rb_err *e)
{
	if (*n == RB_PROOF_MAX)
		return RB_ERR(e, RB_EX_SOFTWARE, "proof longer than %d hashes", RB_PROOF_MAX);
	if (fn(ctx, a, b, out[*n], e) != 0)
		return -1;
	(*n)++;
	return 0;
}

/*
 * PATH(m, D[lo, hi)) of RFC 6962 §2.1.1.  The recursion appends the lowest
 * level first, so it is written as the loop it is: descend from the root,
 * remember each level's sibling, and emit them leaf first.
 */
int rb_proof_inclusion(rb_subtree_fn fn, void *ctx, uint64_t index, uint64_t size,
		       uint8_t out[RB_PROOF_MAX][32], int *n, struct rb_err *e)
{
	uint64_t lo = 0, hi = size, sib[RB_PROOF_MAX][2];
	int depth = 0;

	*n = 0;
	if (index >= size)
		return RB_ERR(e, RB_EX_SOFTWARE, "leaf %" PRIu64 " is not in a tree of %" PRIu64,
			      index, size);
	while (hi - lo > 1) {
		uint64_t k = split(hi - lo);

		if (depth == RB_PROOF_MAX)
			return RB_ERR(e, RB_EX_SOFTWARE, "tree too deep");
		if (index - lo < k) {
			sib[depth][0] = lo + k;
			sib[depth][1] = hi;
			hi = lo + k;
		} else {
			sib[depth][0] = lo;
			sib[depth][1] = lo + k;
			lo += k;
		}
		depth++;
	}
	while (depth-- > 0)
		if (push(fn, ctx, sib[depth][0], sib[depth][1], out, n, e) != 0)
			return -1;
	return 0;
}

/*
 * SUBPROOF(m, D[lo, hi), b) of RFC 6962 §2.1.2, with the same inversion:
 * the hashes each level adds are remembered on the way down and emitted
 * deepest first, after what the bottom of the recursion gives.
 */
int rb_proof_consistency(rb_subtree_fn fn, void *ctx, uint64_t old, uint64_t size,
			 uint8_t out[RB_PROOF_MAX][32], int *n, struct rb_err *e)
{
	uint64_t lo = 0, hi = size, m = old, sib[RB_PROOF_MAX][2];
	int depth = 0, whole = 1;

	*n = 0;
	if (old > size)
		return RB_ERR(e, RB_EX_SOFTWARE, "old size %" PRIu64 " is beyond %" PRIu64,
			      old, size);
	if (old == 0 || old == size)
		return 0;
	while (m != hi - lo) {
		uint64_t k = split(hi - lo);

		if (depth == RB_PROOF_MAX)
			return RB_ERR(e, RB_EX_SOFTWARE, "tree too deep");
		if (m <= k) {
			sib[depth][0] = lo + k;
			sib[depth][1] = hi;
			hi = lo + k;
		} else {
			sib[depth][0] = lo;
			sib[depth][1] = lo + k;
			lo += k;
			m -= k;
			whole = 0;
		}
		depth++;
	}
	/* m == n: nothing when the old tree is this very subtree (b true). */
	if (!whole && push(fn, ctx, lo, hi, out, n, e) != 0)
		return -1;
	while (depth-- > 0)
		if (push(fn, ctx, sib[depth][0], sib[depth][1], out, n, e) != 0)
			return -1;
	return 0;
}

int rb_proof_verify_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			      const uint8_t (*path)[32], int n, const uint8_t root[32])
{
	uint64_t fn = index, sn;
	uint8_t r[32];
	int i;

	if (index >= size || n < 0 || n > RB_PROOF_MAX)
		return 0;
	sn = size - 1;
	memcpy(r, leaf, 32);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			rb_merkle_node(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			rb_merkle_node(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

int rb_proof_verify_consistency(uint64_t old, const uint8_t old_root[32], uint64_t size,
				const uint8_t root[32], const uint8_t (*path)[32], int n)
{
	uint64_t fn, sn;
	uint8_t fr[32], sr[32];
	int i = 0;

	if (old > size || n < 0 || n > RB_PROOF_MAX)
		return 0;
	if (old == size)
		return n == 0 && memcmp(old_root, root, 32) == 0;
	if (old == 0)
		return n == 0;
	if (n == 0)
		return 0;
	fn = old - 1;
	sn = size - 1;
	/* A power of two: the old root is the proof's implied first hash. */
	if ((old & (old - 1)) == 0) {
		memcpy(fr, old_root, 32);
	} else {
		memcpy(fr, path[0], 32);
		i = 1;
	}
	memcpy(sr, fr, 32);
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			rb_merkle_node(path[i], fr, fr);
			rb_merkle_node(path[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			rb_merkle_node(sr, path[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, old_root, 32) == 0 && memcmp(sr, root, 32) == 0;
}

/* --- text forms ------------------------------------------------------- */

/* A growing text; on allocation failure it stays NULL and says so at the end. */
struct text {
	char *s;
	size_t len, cap;
	int oom;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->s, cap);

		if (p == NULL) {
			t->oom = 1;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void put_str(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_hashes(struct text *t, const uint8_t (*path)[32], int n)
{
	char b64[48];
	int i;

	for (i = 0; i < n; i++) {
		rb_b64_encode(path[i], 32, b64);
		put_str(t, b64);
		put(t, "\n", 1);
	}
}

static int finish(struct text *t, const char *checkpoint, char **out, struct rb_err *e)
{
	size_t cl = strlen(checkpoint);

	if (cl == 0 || checkpoint[cl - 1] != '\n') {
		free(t->s);
		return RB_ERR(e, RB_EX_SOFTWARE, "a checkpoint ends in a newline");
	}
	put(t, "\n", 1);
	put(t, checkpoint, cl);
	if (t->oom) {
		free(t->s);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	*out = t->s;
	return 0;
}

int rb_tproof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
		     const uint8_t (*path)[32], int n, const char *checkpoint,
		     char **out, struct rb_err *e)
{
	struct text t = { 0 };
	char line[48];

	*out = NULL;
	put_str(&t, TPROOF_HEADER);
	put(&t, "\n", 1);
	if (extra_len > 0) {
		char *b64 = malloc(rb_b64_enclen(extra_len) + 1);

		if (b64 == NULL) {
			free(t.s);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		rb_b64_encode(extra, extra_len, b64);
		put_str(&t, "extra ");
		put_str(&t, b64);
		put(&t, "\n", 1);
		free(b64);
	}
	snprintf(line, sizeof(line), "index %" PRIu64 "\n", index);
	put_str(&t, line);
	put_hashes(&t, path, n);
	return finish(&t, checkpoint, out, e);
}

int rb_cproof_format(uint64_t old, const uint8_t (*path)[32], int n, const char *checkpoint,
		     char **out, struct rb_err *e)
{
	struct text t = { 0 };
	char line[48];

	*out = NULL;
	snprintf(line, sizeof(line), "old %" PRIu64 "\n", old);
	put_str(&t, line);
	put_hashes(&t, path, n);
	return finish(&t, checkpoint, out, e);
}

/* A cursor over the lines of a text. */
struct lines {
	const char *p, *end;
	int no;                         /* number of the line last taken */
};

/* The next line without its newline; -1 when none is left or it lacks one. */
static int next_line(struct lines *l, const char **s, size_t *n)
{
	const char *nl;

	if (l->p >= l->end)
		return -1;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	if (nl == NULL)
		return -1;
	*s = l->p;
	*n = (size_t)(nl - l->p);
	l->p = nl + 1;
	l->no++;
	return 0;
}

static int bad(struct rb_err *e, const struct lines *l, const char *what)
{
	return RB_ERR(e, RB_EX_DATAERR, "line %d: %s", l->no, what);
}

/* Canonical base64: decodes, and encodes back to the very same text. */
static long b64_canonical(const char *s, size_t n, uint8_t *out)
{
	long got = rb_b64_decode(s, n, out);
	char *again;
	int same;

	if (got < 0)
		return -1;
	again = malloc(rb_b64_enclen((size_t)got) + 1);
	if (again == NULL)
		return -2;
	rb_b64_encode(out, (size_t)got, again);
	same = strlen(again) == n && memcmp(again, s, n) == 0;
	free(again);
	return same ? got : -1;
}

/* "WORD N": a decimal with no leading zero (0 itself allowed), < 2^63. */
static int word_number(const char *s, size_t n, const char *word, uint64_t *v)
{
	size_t w = strlen(word), i;
	uint64_t x = 0;

	if (n <= w + 1 || memcmp(s, word, w) != 0 || s[w] != ' ')
		return -1;
	s += w + 1;
	n -= w + 1;
	if (n > 19 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > (uint64_t)INT64_MAX)
		return -1;
	*v = x;
	return 0;
}

/* Hash lines up to the empty one, then the rest as the checkpoint. */
static int parse_tail(struct lines *l, uint8_t path[RB_PROOF_MAX][32], int *np,
		      char **cp, size_t *cplen, struct rb_err *e)
{
	const char *s;
	size_t n;

	*np = 0;
	for (;;) {
		uint8_t h[48];
		long got;

		if (next_line(l, &s, &n) != 0)
			return bad(e, l, "no empty line before the checkpoint");
		if (n == 0)
			break;
		if (*np == RB_PROOF_MAX)
			return bad(e, l, "more than 63 proof hashes");
		got = n == 44 ? b64_canonical(s, n, h) : -1;
		if (got == -2)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		if (got != 32)
			return bad(e, l, "not the canonical base64 of a 32-byte hash");
		memcpy(path[(*np)++], h, 32);
	}
	if (l->p >= l->end)
		return bad(e, l, "no checkpoint after the empty line");
	*cplen = (size_t)(l->end - l->p);
	*cp = malloc(*cplen + 1);
	if (*cp == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	memcpy(*cp, l->p, *cplen);
	(*cp)[*cplen] = '\0';
	return 0;
}

void rb_tproof_free(struct rb_tproof *p)
{
	if (p == NULL)
		return;
	free(p->extra);
	free(p->checkpoint);
	free(p);
}

void rb_cproof_free(struct rb_cproof *p)
{
	if (p == NULL)
		return;
	free(p->checkpoint);
	free(p);
}

/* The optional "extra B64" line; *taken 0 when the line is something else. */
static int parse_extra(struct rb_tproof *p, const char *s, size_t n, int *taken,
		       const struct lines *l, struct rb_err *e)
{
	long got;

	*taken = 0;
	if (n < 6 || memcmp(s, "extra ", 6) != 0)
		return 0;
	*taken = 1;
	s += 6;
	n -= 6;
	if (n == 0)
		return bad(e, l, "empty extra data");
	p->extra = malloc(3 * (n / 4) + 3);
	if (p->extra == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	got = b64_canonical(s, n, p->extra);
	if (got == -2)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (got <= 0)
		return bad(e, l, "extra data is not canonical base64");
	p->extra_len = (size_t)got;
	return 0;
}

int rb_tproof_parse(const char *text, size_t len, struct rb_tproof **out,
		    struct rb_err *e)
{
	struct lines l = { text, text + len, 0 };
	struct rb_tproof *p;
	const char *s;
	size_t n;
	int taken;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL)
		return RB_ERR(e, RB_EX_DATAERR, "not text: it holds a NUL byte");
	if (next_line(&l, &s, &n) != 0 || n != strlen(TPROOF_HEADER) ||
	    memcmp(s, TPROOF_HEADER, n) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "line 1: not %s", TPROOF_HEADER);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (next_line(&l, &s, &n) != 0) {
		bad(e, &l, "no index line");
		goto fail;
	}
	if (parse_extra(p, s, n, &taken, &l, e) != 0)
		goto fail;
	if (taken && next_line(&l, &s, &n) != 0) {
		bad(e, &l, "no index line");
		goto fail;
	}
	if (word_number(s, n, "index", &p->index) != 0) {
		bad(e, &l, "not \"index N\" (a decimal with no leading zeros)");
		goto fail;
	}
	if (parse_tail(&l, p->path, &p->n, &p->checkpoint, &p->checkpoint_len, e) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	rb_tproof_free(p);
	return -1;
}

int rb_cproof_parse(const char *text, size_t len, struct rb_cproof **out,
		    struct rb_err *e)
{
	struct lines l = { text, text + len, 0 };
	struct rb_cproof *p;
	const char *s;
	size_t n;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL)
		return RB_ERR(e, RB_EX_DATAERR, "not text: it holds a NUL byte");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (next_line(&l, &s, &n) != 0 || word_number(s, n, "old", &p->old) != 0) {
		RB_ERR(e, RB_EX_DATAERR, "line 1: not \"old N\" (a decimal with no "
		       "leading zeros)");
		goto fail;
	}
	if (parse_tail(&l, p->path, &p->n, &p->checkpoint, &p->checkpoint_len, e) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	rb_cproof_free(p);
	return -1;
}

/* --- checking a tlog-proof ------------------------------------------- */

/* The payload's members, which must agree with the checkpoint and the index. */
static int read_payload(const struct rb_tproof *p, const rb_checkpoint *c, struct rb_tproof_result *v,
			char *why, size_t n)
{
	cJSON *doc = NULL;
	char jwhy[128];
	int64_t seq;
	const char *s;

	if (rb_json_parse((const char *)p->extra, p->extra_len, 64, &doc, jwhy,
			  sizeof(jwhy)) != 0 ||
	    !cJSON_IsObject(doc)) {
		snprintf(why, n, "the extra data is not a ledger payload (JSON object)");
		cJSON_Delete(doc);
		return -1;
	}
	if (rb_json_int(doc, "seq", 0, INT64_MAX, &seq) != 0 || (uint64_t)seq != p->index) {
		snprintf(why, n, "the payload's seq is not the proof's index %" PRIu64, p->index);
		cJSON_Delete(doc);
		return -1;
	}
	s = rb_json_str(doc, "ledger");
	if (s == NULL || strcmp(s, rb_checkpoint_origin(c)) != 0) {
		snprintf(why, n, "the payload's ledger is not the checkpoint's origin '%s'",
			 rb_checkpoint_origin(c));
		cJSON_Delete(doc);
		return -1;
	}
	snprintf(v->ledger, sizeof(v->ledger), "%s", s);
	snprintf(v->time, sizeof(v->time), "%s", (s = rb_json_str(doc, "time")) ? s : "?");
	snprintf(v->event, sizeof(v->event), "%s", (s = rb_json_str(doc, "event")) ? s : "?");
	snprintf(v->actor, sizeof(v->actor), "%s", (s = rb_json_str(doc, "actor")) ? s : "?");
	s = rb_json_str(cJSON_GetObjectItemCaseSensitive(doc, "data"), "rollback_id");
	snprintf(v->rollback, sizeof(v->rollback), "%s", s ? s : "");
	v->seq = p->index;
	cJSON_Delete(doc);
	return 0;
}

int rb_proof_witnessed(const rb_checkpoint *c, const rb_trust *t, char *names, size_t len,
		       char *why, size_t n)
{
	struct rb_cosig cs[RB_NOTE_MAX_SIGS];
	char code[RB_WITNESS_CODE_MAX], msg[400];
	struct rb_err e;
	size_t nc = 0, i, used = 0;

	if (rb_checkpoint_witnessed(c, t, cs, &nc, code, msg, sizeof(msg), &e) != 0) {
		snprintf(why, n, "%s", e.msg);
		return -1;
	}
	if (code[0] != '\0') {
		snprintf(why, n, "%s (%s)", msg, code);
		return -1;
	}
	names[0] = '\0';
	for (i = 0; i < nc; i++) {
		int w = snprintf(names + used, len - used, "%s%s", i ? ", " : "",
				 rb_tkey_name(cs[i].key));

		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return 0;
}

int rb_tproof_check(const char *text, size_t len, const rb_trust *t, struct rb_tproof_result *v,
		       char *why, size_t n)
{
	struct rb_tproof *p = NULL;
	rb_checkpoint *c = NULL;
	const rb_tkey *k;
	struct rb_err e;
	uint8_t leaf[32];
	char cwhy[160];
	int rc = -1;

	if (rb_tproof_parse(text, len, &p, &e) != 0) {
		snprintf(why, n, "%s", e.msg);
		return -1;
	}
	if (rb_checkpoint_parse(p->checkpoint, p->checkpoint_len, &c, cwhy, sizeof(cwhy)) != 0) {
		snprintf(why, n, "the checkpoint is malformed: %s", cwhy);
		goto out;
	}
	if ((k = rb_checkpoint_verify(c, t, "checkpoint")) == NULL) {
		snprintf(why, n, "the checkpoint is not validly signed by a trusted key with "
			 "role checkpoint (E_CHECKPOINT_SIG)");
		goto out;
	}
	if (rb_proof_witnessed(c, t, v->witnesses, sizeof(v->witnesses), why, n) != 0)
		goto out;
	if (p->extra == NULL) {
		snprintf(why, n, "no extra line: the entry's payload is needed to recompute its "
			 "leaf hash");
		goto out;
	}
	if (p->index >= rb_checkpoint_size(c)) {
		snprintf(why, n, "index %" PRIu64 " is not in the checkpoint's tree of %" PRIu64
			 " entries", p->index, rb_checkpoint_size(c));
		goto out;
	}
	rb_merkle_leaf(p->extra, p->extra_len, leaf);
	if (!rb_proof_verify_inclusion(leaf, p->index, rb_checkpoint_size(c),
				       (const uint8_t (*)[32])p->path, p->n,
				       rb_checkpoint_root(c))) {
		snprintf(why, n, "the inclusion proof of index %" PRIu64 " (%d %s) does not lead "
			 "to the checkpoint's root of tree size %" PRIu64, p->index, p->n,
			 p->n == 1 ? "hash" : "hashes", rb_checkpoint_size(c));
		goto out;
	}
	if (read_payload(p, c, v, why, n) != 0)
		goto out;
	v->size = rb_checkpoint_size(c);
	memcpy(v->root, rb_checkpoint_root(c), 32);
	snprintf(v->key, sizeof(v->key), "%s", rb_tkey_name(k));
	rc = 0;
out:
	rb_checkpoint_free(c);
	rb_tproof_free(p);
	return rc;
}

