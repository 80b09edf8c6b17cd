/* note.c - parsing, verifying and signing checkpoint notes. */
#include "note.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* U+2014 EM DASH and a space start every signature line. */
static const char SIG_PREFIX[] = "\xe2\x80\x94 ";

/* Most bytes after a line's key hash (its base64 is read to 168 characters). */
#define SIG_DATA_MAX 124

/* The cosignature's message starts so (c2sp.org/tlog-cosignature). */
static const char COSIG_HEADER[] = "cosignature/v1\ntime ";

struct note_sig {
	char name[RB_KEYNAME_MAX + 1];
	uint8_t keyhash[4];
	uint8_t data[SIG_DATA_MAX];     /* what follows the key hash: */
	size_t len;                     /* 64, an Ed25519 note signature; 8 + 64, a
					   cosignature (timestamp, signature) */
};

struct rb_checkpoint {
	char *body;             /* the signed text, ending in a newline */
	size_t bodylen;
	char *origin;
	uint64_t size;
	uint8_t root[32];
	struct note_sig *sigs;
	size_t nsigs;
};

void rb_checkpoint_free(rb_checkpoint *c)
{
	if (c == NULL)
		return;
	free(c->body);
	free(c->origin);
	free(c->sigs);
	free(c);
}

static int fail(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	errno = EINVAL;
	return -1;
}

static int fail_oom(char *why, size_t whylen)
{
	snprintf(why, whylen, "out of memory");
	errno = ENOMEM;
	return -1;
}

/* Parse one "— name base64" line (without its newline). */
static int parse_sig(const char *l, size_t n, struct note_sig *s)
{
	const char *sp;
	size_t plen = sizeof(SIG_PREFIX) - 1, nl;
	uint8_t raw[4 + SIG_DATA_MAX];
	long got;

	if (n < plen || memcmp(l, SIG_PREFIX, plen) != 0)
		return -1;
	l += plen;
	n -= plen;
	sp = memchr(l, ' ', n);
	if (sp == NULL)
		return -1;
	nl = (size_t)(sp - l);
	if (nl == 0 || nl > RB_KEYNAME_MAX || memchr(l, '+', nl) != NULL)
		return -1;
	memcpy(s->name, l, nl);
	s->name[nl] = '\0';
	n -= nl + 1;
	if (n > 4 * (sizeof(raw) / 3) || n == 0)
		return -1;
	got = rb_b64_decode(sp + 1, n, raw);
	if (got < 5)
		return -1;
	memcpy(s->keyhash, raw, 4);
	s->len = (size_t)got - 4;
	memcpy(s->data, raw + 4, s->len);
	return 0;
}

/*
 * 1 when text holds an ASCII control character other than a newline (a NUL,
 * a CR, a tab ...), which a signed note may not (golang.org/x/mod/sumdb/
 * note's Open refuses the note); bytes of multibyte UTF-8 are all >= 0x80.
 */
static int has_control(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
			return 1;
	return 0;
}

int rb_checkpoint_parse(const char *text, size_t len, rb_checkpoint **out,
			char *why, size_t whylen)
{
	rb_checkpoint *c = NULL;
	const char *sep, *p, *end = text + len, *nl;
	const char *l1, *l2, *l3;
	size_t n1, n2, n3;
	uint64_t size = 0;
	size_t i;

	*out = NULL;
	if (!rb_utf8_valid(text, len) || memchr(text, '\0', len) != NULL)
		return fail(why, whylen, "not UTF-8 text");
	if (has_control(text, len))
		return fail(why, whylen, "holds a control character other than a newline");
	if (len == 0 || text[len - 1] != '\n')
		return fail(why, whylen, "does not end with a newline");
	/* The signed text ends at the first blank line. */
	sep = NULL;
	for (p = text; p + 1 < end; p++)
		if (p[0] == '\n' && p[1] == '\n') {
			sep = p;
			break;
		}
	if (sep == NULL)
		return fail(why, whylen, "no blank line before the signatures");
	/* Three lines at least: origin, size, root hash. */
	l1 = text;
	nl = memchr(l1, '\n', (size_t)(sep + 1 - l1));
	n1 = (size_t)(nl - l1);
	l2 = nl + 1;
	nl = l2 <= sep ? memchr(l2, '\n', (size_t)(sep + 1 - l2)) : NULL;
	if (nl == NULL)
		return fail(why, whylen, "no tree size line");
	n2 = (size_t)(nl - l2);
	l3 = nl + 1;
	nl = l3 <= sep ? memchr(l3, '\n', (size_t)(sep + 1 - l3)) : NULL;
	if (nl == NULL)
		return fail(why, whylen, "no root hash line");
	n3 = (size_t)(nl - l3);
	/*
	 * Lines after the root hash, up to the blank line, are tlog-checkpoint's
	 * extension lines: part of the signed text, kept in it and otherwise
	 * ignored (ledger-export-v1 §4, revision 2).
	 */
	if (n1 == 0)
		return fail(why, whylen, "empty origin line");
	if (n2 == 0 || n2 > 16 || (n2 > 1 && l2[0] == '0'))
		return fail(why, whylen, "tree size is not a decimal number");
	for (i = 0; i < n2; i++) {
		if (l2[i] < '0' || l2[i] > '9')
			return fail(why, whylen, "tree size is not a decimal number");
		size = size * 10 + (uint64_t)(l2[i] - '0');
	}
	if (size > (uint64_t)RB_JSON_MAX_INT + 1)
		return fail(why, whylen, "tree size is too large");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return fail_oom(why, whylen);
	{
		uint8_t root[48];

		if (n3 != 44 || rb_b64_decode(l3, n3, root) != 32) {
			rb_checkpoint_free(c);
			return fail(why, whylen, "root hash is not base64 of 32 bytes");
		}
		memcpy(c->root, root, 32);
	}
	c->size = size;
	c->bodylen = (size_t)(sep + 1 - text);
	c->body = malloc(c->bodylen);
	c->origin = malloc(n1 + 1);
	c->sigs = calloc(RB_NOTE_MAX_SIGS, sizeof(*c->sigs));
	if (c->body == NULL || c->origin == NULL || c->sigs == NULL) {
		rb_checkpoint_free(c);
		return fail_oom(why, whylen);
	}
	memcpy(c->body, text, c->bodylen);
	memcpy(c->origin, l1, n1);
	c->origin[n1] = '\0';
	/* Signature lines: at least one, each ending in a newline. */
	for (p = sep + 2; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (c->nsigs == RB_NOTE_MAX_SIGS) {
			rb_checkpoint_free(c);
			return fail(why, whylen, "more than 100 signature lines");
		}
		if (parse_sig(p, (size_t)(nl - p), &c->sigs[c->nsigs]) != 0) {
			rb_checkpoint_free(c);
			return fail(why, whylen, "malformed signature line");
		}
		c->nsigs++;
	}
	if (c->nsigs == 0) {
		rb_checkpoint_free(c);
		return fail(why, whylen, "no signature lines");
	}
	*out = c;
	return 0;
}

const char *rb_checkpoint_origin(const rb_checkpoint *c)
{
	return c->origin;
}

uint64_t rb_checkpoint_size(const rb_checkpoint *c)
{
	return c->size;
}

const uint8_t *rb_checkpoint_root(const rb_checkpoint *c)
{
	return c->root;
}

/*
 * The verdict on a note's signatures, as golang.org/x/mod/sumdb/note reads
 * them (ledger-export-v1 §4, revision 2): a line is by a trusted key of the
 * role when its name and key hash both match one; the first line of each
 * such key must verify (later lines of the same key are dropped), or the
 * note is not validly signed at all, whatever the other lines say; lines of
 * other keys are ignored.  The first key that verified, or NULL.
 */
static const rb_tkey *verify_sigs(const struct note_sig *sigs, size_t n, const char *body,
				  size_t bodylen, const rb_trust *t, const char *role)
{
	const rb_tkey *first = NULL, *seen[RB_NOTE_MAX_SIGS];
	size_t i, j, nseen = 0;

	for (i = 0; i < n; i++) {
		const struct note_sig *s = &sigs[i];
		const rb_tkey *k = rb_trust_find(t, s->name, strlen(s->name));
		int again = 0;

		if (k == NULL || memcmp(rb_tkey_keyhash(k), s->keyhash, 4) != 0 ||
		    !rb_tkey_has_role(k, role))
			continue;
		for (j = 0; j < nseen; j++)
			again |= seen[j] == k;
		if (again)
			continue;
		seen[nseen++] = k;
		if (s->len != RB_ED25519_SIG_LEN ||
		    !rb_pubkey_verify(rb_tkey_pub(k), body, bodylen, s->data))
			return NULL;
		if (first == NULL)
			first = k;
	}
	return first;
}

const rb_tkey *rb_checkpoint_verify(const rb_checkpoint *c, const rb_trust *t,
				    const char *role)
{
	return verify_sigs(c->sigs, c->nsigs, c->body, c->bodylen, t, role);
}

/* A malloc'd string printed from fmt, sized by printing it first; NULL out of memory. */
static char *printed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printed(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

int rb_note_sign(const char *text, const char *keyname, const rb_privkey *key,
		 char **out, struct rb_err *e)
{
	size_t n = strlen(text);
	uint8_t pub[32], blob[4 + RB_ED25519_SIG_LEN];
	char b64sig[128], *note;

	*out = NULL;
	if (n == 0 || text[n - 1] != '\n' || strstr(text, "\n\n") != NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "note text must end in a newline, with no blank line");
	rb_privkey_public(key, pub);
	rb_note_keyhash(keyname, pub, blob);
	if (rb_privkey_sign(key, text, n, blob + 4, e) != 0)
		return -1;
	rb_b64_encode(blob, sizeof(blob), b64sig);
	note = printed("%s\n%s%s %s\n", text, SIG_PREFIX, keyname, b64sig);
	if (note == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	*out = note;
	return 0;
}

const rb_tkey *rb_note_verify(const char *note, size_t len, const rb_trust *t,
			      const char *role, long *bodylen)
{
	const char *sep = NULL, *p, *end = note + len, *nl;
	struct note_sig sigs[RB_NOTE_MAX_SIGS];
	size_t n = 0;

	*bodylen = -1;
	if (len == 0 || note[len - 1] != '\n' || has_control(note, len))
		return NULL;
	for (p = note; p + 1 < end; p++)
		if (p[0] == '\n' && p[1] == '\n') {
			sep = p;
			break;
		}
	if (sep == NULL)
		return NULL;
	for (p = sep + 2; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (n == RB_NOTE_MAX_SIGS || parse_sig(p, (size_t)(nl - p), &sigs[n]) != 0)
			return NULL;
		n++;
	}
	*bodylen = (long)(sep + 1 - note);
	return verify_sigs(sigs, n, note, (size_t)*bodylen, t, role);
}

/*
 * The message a cosignature at time signs (c2sp.org/tlog-cosignature): the
 * header, the time in decimal and a newline, then the note's signed text.
 * malloc'd, with *len; NULL when out of memory.
 */
static char *cosig_message(const char *body, size_t bodylen, uint64_t time, size_t *len)
{
	char head[64];
	int h = snprintf(head, sizeof(head), "%s%" PRIu64 "\n", COSIG_HEADER, time);
	char *m = malloc((size_t)h + bodylen);

	if (m == NULL)
		return NULL;
	memcpy(m, head, (size_t)h);
	memcpy(m + h, body, bodylen);
	*len = (size_t)h + bodylen;
	return m;
}

/* The why of a failing cosignature: -1, errno EINVAL. */
static int fail_cosig(char *why, size_t whylen, const char *name, const char *what)
{
	snprintf(why, whylen, "the cosignature of witness '%s' %s", name, what);
	errno = EINVAL;
	return -1;
}

int rb_checkpoint_cosigs(const rb_checkpoint *c, const rb_trust *t, struct rb_cosig *out,
			 size_t *n, char *why, size_t whylen)
{
	const rb_tkey *seen[RB_NOTE_MAX_SIGS];
	size_t i, j, nseen = 0, mlen;

	*n = 0;
	for (i = 0; i < c->nsigs; i++) {
		const struct note_sig *s = &c->sigs[i];
		const rb_tkey *k = rb_trust_find(t, s->name, strlen(s->name));
		uint64_t time = 0;
		int again = 0, ok;
		char *msg;

		if (k == NULL || !rb_tkey_has_role(k, "witness") ||
		    memcmp(rb_tkey_keyhash(k), s->keyhash, 4) != 0)
			continue;
		for (j = 0; j < nseen; j++)
			again |= seen[j] == k;
		if (again)
			continue;       /* a witness's first line is the one that counts */
		seen[nseen++] = k;
		if (s->len != 8 + RB_ED25519_SIG_LEN)
			return fail_cosig(why, whylen, s->name, "is not 8 + 64 bytes");
		for (j = 0; j < 8; j++)
			time = time << 8 | s->data[j];
		if (time > (uint64_t)INT64_MAX)
			return fail_cosig(why, whylen, s->name, "has a time above 2^63 - 1");
		if ((msg = cosig_message(c->body, c->bodylen, time, &mlen)) == NULL)
			return fail_oom(why, whylen);
		ok = rb_pubkey_verify(rb_tkey_pub(k), msg, mlen, s->data + 8);
		free(msg);
		if (!ok)
			return fail_cosig(why, whylen, s->name, "does not verify");
		out[*n].key = k;
		out[*n].time = time;
		(*n)++;
	}
	return 0;
}

int rb_checkpoint_witnessed(const rb_checkpoint *c, const rb_trust *t,
			    struct rb_cosig cs[RB_NOTE_MAX_SIGS], size_t *n,
			    char code[RB_WITNESS_CODE_MAX], char *msg, size_t msglen,
			    struct rb_err *e)
{
	char names[512] = "";
	size_t i, j, met = 0, used = 0;
	int quorum = rb_trust_witness_quorum(t);

	code[0] = '\0';
	msg[0] = '\0';
	if (rb_checkpoint_cosigs(c, t, cs, n, msg, msglen) != 0) {
		if (errno == ENOMEM)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory checking cosignatures");
		snprintf(code, RB_WITNESS_CODE_MAX, "E_WITNESS_SIG");
		return 0;
	}
	if (quorum == 0)
		return 0;
	for (i = 0; i < rb_trust_witness_count(t); i++)
		for (j = 0; j < *n; j++)
			if (cs[j].key == rb_trust_witness_at(t, i)) {
				int w = snprintf(names + used, sizeof(names) - used, "%s%s",
						 met ? ", " : "", rb_tkey_name(cs[j].key));

				if (w > 0 && (size_t)w < sizeof(names) - used)
					used += (size_t)w;
				met++;
			}
	if (met < (size_t)quorum) {
		snprintf(code, RB_WITNESS_CODE_MAX, "E_WITNESS_QUORUM");
		snprintf(msg, msglen, "%zu of the witness policy's %zu witnesses "
			 "cosigned the checkpoint validly (%s), its quorum is %d", met,
			 rb_trust_witness_count(t), met ? names : "none", quorum);
	}
	return 0;
}

int rb_checkpoint_cosign(const char *text, size_t len, const char *name,
			 const rb_privkey *key, uint64_t time, char **out, struct rb_err *e)
{
	rb_checkpoint *c = NULL;
	uint8_t pub[32], blob[4 + 8 + RB_ED25519_SIG_LEN];
	char why[160], b64[128], *msg = NULL;
	size_t mlen, i;
	int rc = -1;

	*out = NULL;
	if (!rb_keyname_valid(name) || time > (uint64_t)INT64_MAX)
		return RB_ERR(e, RB_EX_USAGE, "a cosignature needs a valid key name and a time "
			      "from 0 to 2^63 - 1 seconds");
	if (rb_checkpoint_parse(text, len, &c, why, sizeof(why)) != 0)
		return RB_ERR(e, errno == ENOMEM ? RB_EX_SOFTWARE : RB_EX_DATAERR,
			      "not a checkpoint note: %s", why);
	rb_privkey_public(key, pub);
	rb_note_keyhash_type(name, pub, RB_SIGTYPE_COSIGNATURE, blob);
	for (i = 0; i < c->nsigs; i++)
		if (strcmp(c->sigs[i].name, name) == 0 && memcmp(c->sigs[i].keyhash, blob, 4) == 0) {
			RB_ERR(e, RB_EX_DATAERR, "the checkpoint holds a cosignature of '%s' by "
			       "this key already", name);
			goto out;
		}
	if (c->nsigs == RB_NOTE_MAX_SIGS) {
		RB_ERR(e, RB_EX_DATAERR, "the checkpoint holds %d signature lines, the most a "
		       "note may", RB_NOTE_MAX_SIGS);
		goto out;
	}
	for (i = 0; i < 8; i++)
		blob[4 + i] = (uint8_t)(time >> (56 - 8 * i));
	if ((msg = cosig_message(c->body, c->bodylen, time, &mlen)) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_privkey_sign(key, msg, mlen, blob + 12, e) != 0)
		goto out;
	rb_b64_encode(blob, sizeof(blob), b64);
	if ((*out = printed("%.*s%s%s %s\n", (int)len, text, SIG_PREFIX, name, b64)) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(msg);
	rb_checkpoint_free(c);
	return rc;
}

int rb_checkpoint_sign(const char *origin, uint64_t size, const uint8_t root[32],
		       const char *keyname, const rb_privkey *key, char **out,
		       struct rb_err *e)
{
	char b64root[48], *text;
	int rc;

	*out = NULL;
	rb_b64_encode(root, 32, b64root);
	text = printed("%s\n%" PRIu64 "\n%s\n", origin, size, b64root);
	if (text == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	rc = rb_note_sign(text, keyname, key, out, e);
	free(text);
	return rc;
}
