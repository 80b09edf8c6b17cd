/* verify.c - checking a ledger export (ledger-export-v1 §§2-7). */
#include "verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/dsse.h"
#include "lib/fsutil.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/lines.h"
#include "lib/note.h"
#include "lib/pool.h"

#define PAYLOAD_TYPE RB_DSSE_ENTRY_TYPE
#define MANIFEST_MAX (1u << 20)
#define CHECKPOINT_MAX (64u << 10)
#define MAX_KEPT 1000
#define BATCH_SLOTS 1024
#define BATCH_BYTES (8u << 20)
#define SLOT_ERRS 4
#define MAX_SIGS 64
#define MAX_SIGNERS 64

struct slot {
	/* Input. */
	char *line;
	size_t len, cap;
	long long lineno;
	int toolong;
	/* Output of the parallel phase. */
	struct rb_finding errs[SLOT_ERRS];
	int nerrs;
	int revoked_later;
	int oom;                        /* out of memory: the check stops */
	char *pae;                      /* PAE header, then the payload */
	size_t paecap, hdrlen, plen;
	uint8_t leaf[32];
	int have_leaf;
	uint8_t line_sha256[32];        /* when storing or known */
	char *sigjson;                  /* when storing: the signatures, compact */
	size_t sigcap;
	int have_sigjson;
	cJSON *env, *body;      /* in arena, released by slot_reset */
	rb_json_arena *arena;
	int64_t seq;
	int have_seq;
	uint8_t prev[32];
	int have_prev;
	struct rb_time t;
	int have_time;
	const char *time, *event, *actor;
	const rb_tkey *signer, *countersigner;
	/* What the caller has stored for the expected seq (opts->known). */
	int known;
	int64_t known_seq;
	struct rb_vknown kn;
	int stored;             /* 1 same leaf, 2 other leaf */
};

struct rb_vreport {
	char *path;
	char *ledger;
	int64_t first_seq, last_seq, entry_count;
	uint64_t entries;
	struct rb_finding *errors, *warnings;
	size_t nerr, nwarn;
	uint64_t errtotal, warntotal;
	struct rb_merkle before, after;
	uint8_t last_leaf[32], first_prev[32];
	int have_last_leaf, have_first_prev;
	char *checkpoint;
	char *prev_checkpoint;
	char *witnesses;                /* JSON text, cJSON's; NULL when none */
	char sha_hex[65];
	char cpkey[RB_KEYNAME_MAX + 1];
	char *signers[MAX_SIGNERS];
	size_t nsigners;
	uint64_t countersigned;
	char earliest[RB_TIME_MAX], latest[RB_TIME_MAX];       /* of any entry */
	struct rb_time min_t, max_t;
};

/* State shared by the workers of one export. */
struct run {
	const rb_trust *trust;
	const char *ledger;     /* the manifest's, or NULL */
	struct slot *slots;
	int store;              /* the caller stores entries: digest, signatures */
	int full;               /* no line is taken from what is stored */
};

static void add_finding(rb_vreport *r, int warn, const char *code, int64_t seq,
			long long line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void add_finding(rb_vreport *r, int warn, const char *code, int64_t seq,
			long long line, const char *fmt, ...)
{
	struct rb_finding *list = warn ? r->warnings : r->errors;
	size_t *n = warn ? &r->nwarn : &r->nerr;
	va_list ap;

	if (warn)
		r->warntotal++;
	else
		r->errtotal++;
	if (*n >= MAX_KEPT)
		return;
	snprintf(list[*n].code, sizeof(list[*n].code), "%s", code);
	list[*n].seq = seq;
	list[*n].line = line;
	va_start(ap, fmt);
	vsnprintf(list[*n].msg, sizeof(list[*n].msg), fmt, ap);
	va_end(ap);
	(*n)++;
}

static void slot_err(struct slot *s, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void slot_err(struct slot *s, const char *code, const char *fmt, ...)
{
	struct rb_finding *f;
	va_list ap;

	if (s->nerrs >= SLOT_ERRS)
		return;
	f = &s->errs[s->nerrs++];
	snprintf(f->code, sizeof(f->code), "%s", code);
	f->seq = s->have_seq ? s->seq : -1;
	f->line = s->lineno;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* Make room for n bytes in a growable buffer. */
static int reserve(char **buf, size_t *cap, size_t n)
{
	char *nb;
	size_t ncap;

	if (n <= *cap)
		return 0;
	ncap = *cap ? *cap : 1024;
	while (ncap < n)
		ncap *= 2;
	nb = realloc(*buf, ncap);
	if (nb == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Decode the envelope's payload into s->pae after the PAE header. */
static int decode_payload(struct slot *s, const char *b64)
{
	size_t n = strlen(b64), plen, pad = 0;

	if (n % 4 != 0)
		return -1;
	if (n > 0 && b64[n - 1] == '=')
		pad++;
	if (n > 1 && b64[n - 2] == '=')
		pad++;
	plen = n / 4 * 3 - pad;
	if (reserve(&s->pae, &s->paecap, plen + sizeof(PAYLOAD_TYPE) + RB_DSSE_HDR_EXTRA) != 0) {
		s->oom = 1;
		return -1;
	}
	s->hdrlen = rb_dsse_pae_header(PAYLOAD_TYPE, plen, s->pae, s->paecap);
	if (rb_b64_decode(b64, n, (uint8_t *)s->pae + s->hdrlen) != (long)plen)
		return -1;
	s->plen = plen;
	return 0;
}

/* The member checks of §3; reports the first problem. */
static void check_payload(struct slot *s, const char *ledger)
{
	const cJSON *b = s->body, *it;
	const char *str;

	it = cJSON_GetObjectItemCaseSensitive(b, "seq");
	if (rb_json_is_int(it, 0, RB_JSON_MAX_INT)) {
		s->seq = (int64_t)it->valuedouble;
		s->have_seq = 1;
	}
	if (!cJSON_IsObject(b)) {
		slot_err(s, "E_PAYLOAD", "payload is not a JSON object");
		return;
	}
	it = cJSON_GetObjectItemCaseSensitive(b, "v");
	if (!rb_json_is_int(it, 1, 1)) {
		slot_err(s, "E_PAYLOAD", "member \"v\" is missing or not 1");
		return;
	}
	str = rb_json_str(b, "ledger");
	if (str == NULL) {
		slot_err(s, "E_PAYLOAD", "member \"ledger\" is missing or not a string");
		return;
	}
	if (ledger != NULL && strcmp(str, ledger) != 0)
		slot_err(s, "E_LEDGER", "ledger \"%.80s\" is not the manifest's \"%.80s\"",
			 str, ledger);
	if (!s->have_seq) {
		slot_err(s, "E_PAYLOAD",
			 "member \"seq\" is missing or not an integer in [0, 2^53)");
		return;
	}
	str = rb_json_str(b, "time");
	if (str == NULL || rb_time_parse(str, strlen(str), &s->t) != 0) {
		slot_err(s, "E_PAYLOAD",
			 "member \"time\" is missing or not YYYY-MM-DDTHH:MM:SS[.f]Z");
		return;
	}
	s->time = str;
	s->have_time = 1;
	str = rb_json_str(b, "prev");
	if (str == NULL || strlen(str) != 64 || rb_hex_decode(str, 32, s->prev) != 0) {
		slot_err(s, "E_PAYLOAD", "member \"prev\" is missing or not 64 lowercase hex digits");
		return;
	}
	s->have_prev = 1;
	s->event = rb_json_str(b, "event");
	if (s->event == NULL) {
		slot_err(s, "E_PAYLOAD", "member \"event\" is missing or not a string");
		return;
	}
	s->actor = rb_json_str(b, "actor");
	if (s->actor == NULL) {
		slot_err(s, "E_PAYLOAD", "member \"actor\" is missing or not a string");
		return;
	}
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(b, "data")))
		slot_err(s, "E_PAYLOAD", "member \"data\" is missing or not an object");
}

/*
 * Is the entry's actor the key's identity (ledger-export-v1 §6, compared
 * in normal form as metrics-v1 §8.1 says)?  Out of memory marks the slot.
 * The policy's aliases are the analysis's, not known here.
 */
static int same_person(struct slot *s, const rb_tkey *k)
{
	struct rb_err e;
	char *n = NULL;
	int same;

	if (rb_ident_normal(s->actor, &n, &e) != 0) {
		s->oom |= e.code == RB_EX_SOFTWARE;
		return 0;
	}
	same = rb_tkey_identity_normal(k) != NULL && strcmp(n, rb_tkey_identity_normal(k)) == 0;
	free(n);
	return same;
}

/*
 * §2 and §6: an entry is validly signed when a signature verifies under a
 * trusted key with role entry that is valid at the entry's time.  When none
 * is, the most telling reason is reported (see docs/FORMATS.md).
 */
static void check_signatures(struct slot *s, const rb_trust *trust,
			     const cJSON *sigs)
{
	const rb_tkey *seen[MAX_SIGS];
	size_t nseen = 0, i;
	int named_trusted = 0, entry_sig_failed = 0, role_missing = 0;
	int revoked = 0, notvalid = 0;
	const char *rname = NULL, *nvname = NULL, *rolename = NULL;
	const rb_tkey *nvkey = NULL;
	const cJSON *sg;
	const char *msg = s->pae;
	size_t mlen = s->hdrlen + s->plen;

	cJSON_ArrayForEach(sg, sigs) {
		const char *kid = rb_json_str(sg, "keyid");
		const char *sig64 = rb_json_str(sg, "sig");
		uint8_t sig[66];
		const rb_tkey *k;
		int dup = 0;

		k = rb_trust_find(trust, kid, strlen(kid));
		if (k == NULL)
			continue;       /* ignored unless nothing else is valid */
		named_trusted = 1;
		for (i = 0; i < nseen; i++)
			dup |= seen[i] == k;
		if (dup)
			continue;
		seen[nseen++] = k;
		if (strlen(sig64) != 88 || rb_b64_decode(sig64, 88, sig) != 64) {
			slot_err(s, "E_PARSE", "signature by '%s' is not base64 of 64 bytes",
				 rb_tkey_name(k));
			return;
		}
		if (!rb_pubkey_verify(rb_tkey_pub(k), msg, mlen, sig)) {
			if (rb_tkey_has_role(k, "entry"))
				entry_sig_failed = 1;
			continue;
		}
		if (!rb_tkey_has_role(k, "entry")) {
			/* An approver's countersignature (§6). */
			if (rb_tkey_has_role(k, "approver") && s->event != NULL &&
			    strcmp(s->event, "rollback.approved") == 0 &&
			    rb_tkey_identity(k) != NULL && s->actor != NULL &&
			    same_person(s, k) &&
			    (!s->have_time || rb_tkey_state(k, &s->t) == RB_KEY_VALID))
				s->countersigner = k;
			role_missing = 1;
			rolename = rb_tkey_name(k);
			continue;
		}
		if (!s->have_time) {
			/* The time is broken (already reported): judge no validity. */
			if (s->signer == NULL)
				s->signer = k;
			continue;
		}
		switch (rb_tkey_state(k, &s->t)) {
		case RB_KEY_VALID:
			if (s->signer == NULL ||
			    (s->revoked_later && rb_tkey_revoked_at(k) == NULL)) {
				s->signer = k;
				s->revoked_later = rb_tkey_revoked_at(k) != NULL;
			}
			break;
		case RB_KEY_REVOKED:
			revoked = 1;
			rname = rb_tkey_name(k);
			break;
		default:
			notvalid = 1;
			nvname = rb_tkey_name(k);
			nvkey = k;
			break;
		}
	}
	if (s->signer != NULL)
		return;
	s->countersigner = NULL;
	if (revoked)
		slot_err(s, "E_KEY_REVOKED", "key '%s' was revoked at or before %s",
			 rname, s->time);
	else if (notvalid) {
		char win[160];

		rb_tkey_window(nvkey, win, sizeof(win));
		slot_err(s, "E_KEY_NOT_VALID", "key '%s' is not valid at %s (it is %s)", nvname,
			 s->time, win);
	}
	else if (entry_sig_failed)
		slot_err(s, "E_SIG", "no signature verifies under a trusted entry key");
	else if (role_missing)
		slot_err(s, "E_KEY_ROLE", "key '%s' signed but lacks role \"entry\"",
			 rolename);
	else if (named_trusted)
		slot_err(s, "E_SIG", "no signature verifies under a trusted key");
	else
		slot_err(s, "E_KEY_UNKNOWN", "no signature is by a key in the trust store");
}

/* The line as a line: not too long, not blank, no byte-order mark. */
static int line_ok(struct slot *s)
{
	if (s->toolong)
		slot_err(s, "E_PARSE", "line is longer than %u bytes", RB_ENTRY_MAX_LINE);
	else if (s->len == 0)
		slot_err(s, "E_PARSE", "blank line");
	else if (s->len >= 3 && memcmp(s->line, "\xef\xbb\xbf", 3) == 0)
		slot_err(s, "E_PARSE", "line starts with a byte-order mark");
	else
		return 1;
	return 0;
}

/* The very line verified when seq was stored: taken from the row (1), or not (0). */
static int take_known(const struct run *run, struct slot *s)
{
	rb_sha256(s->line, s->len, s->line_sha256);
	if (run->full || memcmp(s->line_sha256, s->kn.line_sha256, 32) != 0 ||
	    rb_time_parse(s->kn.time, strlen(s->kn.time), &s->t) != 0)
		return 0;
	s->seq = s->known_seq;
	s->have_seq = 1;
	memcpy(s->leaf, s->kn.leaf, 32);
	s->have_leaf = 1;
	memcpy(s->prev, s->kn.prev, 32);
	s->have_prev = s->kn.have_prev;
	s->time = s->kn.time;
	s->have_time = 1;
	s->stored = 1;
	return 1;
}

/* The DSSE envelope: its payload and 1 to MAX_SIGS signatures; -1 with a finding. */
static int parse_envelope(struct slot *s, const cJSON **pl, const cJSON **sigs)
{
	const cJSON *pt, *sg;
	char why[160];
	int nsig = 0;

	if (rb_json_parse_in(s->arena, s->line, s->len, 8, &s->env, why, sizeof(why)) != 0) {
		if (errno == ENOMEM)
			s->oom = 1;     /* not the line's fault */
		else
			slot_err(s, "E_PARSE", "envelope: %s", why);
		return -1;
	}
	pt = cJSON_GetObjectItemCaseSensitive(s->env, "payloadType");
	*pl = cJSON_GetObjectItemCaseSensitive(s->env, "payload");
	*sigs = cJSON_GetObjectItemCaseSensitive(s->env, "signatures");
	if (!cJSON_IsObject(s->env) || !cJSON_IsString(pt) || !cJSON_IsString(*pl) ||
	    !cJSON_IsArray(*sigs)) {
		slot_err(s, "E_PARSE", "not a DSSE envelope (payloadType, payload, signatures)");
		return -1;
	}
	if (strcmp(pt->valuestring, PAYLOAD_TYPE) != 0) {
		slot_err(s, "E_PARSE", "payloadType is not \"%s\"", PAYLOAD_TYPE);
		return -1;
	}
	cJSON_ArrayForEach(sg, *sigs) {
		if (!cJSON_IsObject(sg) || rb_json_str(sg, "keyid") == NULL ||
		    rb_json_str(sg, "sig") == NULL) {
			slot_err(s, "E_PARSE", "a signature is not {\"keyid\", \"sig\"} strings");
			return -1;
		}
		nsig++;
	}
	if (nsig == 0 || nsig > MAX_SIGS) {
		slot_err(s, "E_PARSE", "an envelope has 1 to %d signatures, not %d",
			 MAX_SIGS, nsig);
		return -1;
	}
	return 0;
}

/*
 * The signatures as stored: compact JSON.  Usually no longer than their
 * text in the line (cJSON prints UTF-8 as is and drops needless escapes),
 * but a number in an extra member can grow (1e9), so the buffer grows until
 * it fits.  -1 (s->oom) when it cannot.
 */
static int print_signatures(struct slot *s, const cJSON *sigs)
{
	size_t want = s->len + 64;
	int ok = 0;

	while (!ok && want <= 16 * s->len + 64 &&
	       reserve(&s->sigjson, &s->sigcap, want) == 0) {
		ok = cJSON_PrintPreallocated((cJSON *)sigs, s->sigjson, (int)want, 0);
		want *= 2;
	}
	if (!ok) {
		s->oom = 1;
		return -1;
	}
	s->have_sigjson = 1;
	return 0;
}

/* The parallel phase: everything about one line that needs no other line. */
static void work(void *ctx, size_t i)
{
	struct run *run = ctx;
	struct slot *s = &run->slots[i];
	const cJSON *pl, *sigs;
	char why[160];
	unsigned long jf = rb_json_failures();

	if (!line_ok(s) || (s->known && take_known(run, s)))
		return;
	if (parse_envelope(s, &pl, &sigs) != 0) {
		s->oom |= rb_json_failures() != jf;     /* not the line's fault */
		return;
	}
	if (decode_payload(s, pl->valuestring) != 0) {
		if (!s->oom)
			slot_err(s, "E_PARSE", "payload is not valid padded base64");
		return;
	}
	/* Leaf hash SHA-256(0x00 || payload): the byte before it is the PAE's space. */
	s->pae[s->hdrlen - 1] = 0x00;
	rb_sha256(s->pae + s->hdrlen - 1, s->plen + 1, s->leaf);
	s->pae[s->hdrlen - 1] = ' ';
	s->have_leaf = 1;
	if (rb_json_parse_in(s->arena, s->pae + s->hdrlen, s->plen, 64, &s->body,
			     why, sizeof(why)) != 0) {
		if (errno == ENOMEM) {
			s->oom = 1;
			return;
		}
		slot_err(s, "E_PAYLOAD", "payload: %s", why);
		/* Still tell a forged payload (E_SIG) from a signed bad one. */
		check_signatures(s, run->trust, sigs);
		return;
	}
	check_payload(s, run->ledger);
	if (run->store && !s->known)
		rb_sha256(s->line, s->len, s->line_sha256);
	if (s->known && s->have_seq && s->seq == s->known_seq)
		s->stored = memcmp(s->leaf, s->kn.leaf, 32) == 0 ? 1 : 2;
	if (run->store && print_signatures(s, sigs) != 0)
		return;
	check_signatures(s, run->trust, sigs);
}

static void slot_reset(struct slot *s)
{
	rb_json_arena_reset(s->arena);
	s->env = s->body = NULL;
	s->nerrs = 0;
	s->revoked_later = 0;
	s->oom = 0;
	s->have_leaf = s->have_seq = s->have_prev = s->have_time = 0;
	s->hdrlen = s->plen = 0;
	s->time = s->event = s->actor = NULL;
	s->signer = s->countersigner = NULL;
	s->toolong = 0;
	s->known = 0;
	s->stored = 0;
	s->have_sigjson = 0;
	/* Do not keep a huge buffer from one long line. */
	if (s->cap > (64u << 10)) {
		free(s->line);
		s->line = NULL;
		s->cap = 0;
	}
	if (s->paecap > (64u << 10)) {
		free(s->pae);
		s->pae = NULL;
		s->paecap = 0;
	}
	if (s->sigcap > (64u << 10)) {
		free(s->sigjson);
		s->sigjson = NULL;
		s->sigcap = 0;
	}
}

static void note_signer(rb_vreport *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nsigners; i++)
		if (strcmp(r->signers[i], name) == 0)
			return;
	if (r->nsigners < MAX_SIGNERS) {
		r->signers[r->nsigners] = strdup(name);
		if (r->signers[r->nsigners] != NULL)
			r->nsigners++;
	}
}

/* Sequential state carried from one batch to the next. */
struct seqstate {
	int64_t expect;
	uint8_t prev[32];
	int prev_known;
	struct rb_time last_t;
	int have_last_t;
	int root_known;
};

/* The sequential phase: order, chain, time, tree; then the callback. */
static int sequential(rb_vreport *r, struct seqstate *st, struct slot *s,
		      const struct rb_verify_opts *o, struct rb_err *e)
{
	int i;
	int clean = r->errtotal == 0;
	size_t n;

	if (s->oom)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory checking line %lld", s->lineno);
	for (i = 0; i < s->nerrs; i++) {
		add_finding(r, 0, s->errs[i].code, s->errs[i].seq, s->errs[i].line, "%s",
			    s->errs[i].msg);
		if (o->on_error != NULL)
			o->on_error(o->error_ctx, &s->errs[i]);
	}
	if (s->have_seq) {
		if (s->seq != st->expect)
			add_finding(r, 0, "E_SEQ", s->seq, s->lineno,
				    "seq %" PRId64 " where %" PRId64 " was expected",
				    s->seq, st->expect);
		st->expect = s->seq + 1;
	} else {
		st->expect++;
	}
	if (s->have_prev && st->prev_known && memcmp(s->prev, st->prev, 32) != 0)
		add_finding(r, 0, "E_CHAIN", s->have_seq ? s->seq : -1, s->lineno,
			    "prev is not the leaf hash of the entry before");
	if (r->entries == 1 && s->have_prev) {
		memcpy(r->first_prev, s->prev, 32);
		r->have_first_prev = 1;
	}
	st->prev_known = s->have_leaf;
	if (s->have_leaf)
		memcpy(st->prev, s->leaf, 32);
	if (s->have_time) {
		if (st->have_last_t && rb_time_cmp(&s->t, &st->last_t) < 0)
			add_finding(r, 1, "W_TIME_BACKWARDS", s->seq, s->lineno,
				    "time %s is earlier than the entry before", s->time);
		st->last_t = s->t;
		st->have_last_t = 1;
		/* Earliest and latest, not first and last: times may go backwards. */
		n = strnlen(s->time, sizeof(r->latest) - 1);
		if (r->earliest[0] == '\0' || rb_time_cmp(&s->t, &r->min_t) < 0) {
			r->min_t = s->t;
			memcpy(r->earliest, s->time, n);        /* per entry: no printf */
			r->earliest[n] = '\0';
		}
		if (r->latest[0] == '\0' || rb_time_cmp(&s->t, &r->max_t) > 0) {
			r->max_t = s->t;
			memcpy(r->latest, s->time, n);
			r->latest[n] = '\0';
		}
	}
	if (s->signer != NULL) {
		note_signer(r, rb_tkey_name(s->signer));
		if (s->revoked_later)
			add_finding(r, 1, "W_KEY_REVOKED_LATER", s->seq, s->lineno,
				    "key '%s' was revoked after this entry",
				    rb_tkey_name(s->signer));
	}
	if (s->countersigner != NULL)
		r->countersigned++;
	if (s->have_leaf) {
		rb_merkle_append(&r->after, s->leaf);
		memcpy(r->last_leaf, s->leaf, 32);
		r->have_last_leaf = 1;
	} else {
		st->root_known = 0;
	}
	if ((o->every || (clean && r->errtotal == 0)) && o->on_entry != NULL) {
		struct rb_ventry v = {
			.seq = s->seq, .line = s->lineno,
			.line_sha256 = s->line_sha256, .signatures = s->have_sigjson ? s->sigjson : NULL,
			.payload = (const uint8_t *)s->pae + s->hdrlen,
			.payload_len = s->plen, .leaf = s->leaf, .body = s->body,
			.time = s->time, .event = s->event, .actor = s->actor,
			.t = s->t, .signer = s->signer ? rb_tkey_name(s->signer) : NULL,
			.countersigner = s->countersigner ? rb_tkey_name(s->countersigner) : NULL,
			.stored = s->stored,
		};

		if (o->on_entry(o->ctx, r, &v, e) != 0)
			return -1;
	}
	return 0;
}

/* manifest.json, parsed, into *m (NULL, with a finding, when it is not a JSON object). */
static int read_manifest(rb_vreport *r, const char *dir, cJSON **m, struct rb_err *e)
{
	char path[4096], *buf = NULL, why[160];
	size_t len;
	struct rb_err fe;

	*m = NULL;
	if (rb_path_join(path, sizeof(path), dir, "manifest.json", e) != 0)
		return -1;
	if (rb_read_file(path, MANIFEST_MAX, &buf, &len, &fe) != 0) {
		if (fe.code == RB_EX_SOFTWARE) {        /* out of memory: not the export's */
			*e = fe;
			return -1;
		}
		add_finding(r, 0, fe.code == RB_EX_DATAERR ? "E_MANIFEST" : "E_IO", -1, -1,
			    "manifest.json: %s", fe.msg);
		return 0;
	}
	if (rb_json_parse(buf, len, 16, m, why, sizeof(why)) != 0 && errno == ENOMEM) {
		free(buf);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory reading manifest.json");
	}
	if (*m == NULL)
		add_finding(r, 0, "E_MANIFEST", -1, -1, "manifest.json: %s", why);
	else if (!cJSON_IsObject(*m))
		add_finding(r, 0, "E_MANIFEST", -1, -1, "manifest.json is not an object");
	free(buf);
	if (r->errtotal > 0) {
		cJSON_Delete(*m);
		*m = NULL;
	}
	return 0;
}

/* format, version, ledger and the range: *ok 0 (with a finding) when the
 * entries cannot be checked against them. */
static int manifest_range(rb_vreport *r, const cJSON *m, int *ok, struct rb_err *e)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(m, "format");
	int64_t v;

	*ok = 0;
	if (!cJSON_IsString(it) || strcmp(it->valuestring, "rollback-ledger-export") != 0) {
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "manifest \"format\" is not \"rollback-ledger-export\"");
		return 0;
	}
	if (rb_json_int(m, "version", 1, 1, &v) != 0) {
		add_finding(r, 0, "E_MANIFEST", -1, -1, "manifest \"version\" is not 1");
		return 0;
	}
	if (rb_json_str(m, "ledger") == NULL || rb_json_str(m, "ledger")[0] == '\0') {
		add_finding(r, 0, "E_MANIFEST", -1, -1, "manifest \"ledger\" is not a string");
		return 0;
	}
	if ((r->ledger = strdup(rb_json_str(m, "ledger"))) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (rb_json_int(m, "first_seq", 0, RB_JSON_MAX_INT, &r->first_seq) != 0 ||
	    rb_json_int(m, "last_seq", -1, RB_JSON_MAX_INT, &r->last_seq) != 0 ||
	    rb_json_int(m, "entry_count", 0, RB_JSON_MAX_INT, &r->entry_count) != 0) {
		r->first_seq = r->last_seq = -1;
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "manifest \"first_seq\", \"last_seq\" or \"entry_count\" is "
			    "missing or not an integer in range");
		return 0;
	}
	if (r->last_seq < r->first_seq ||
	    r->entry_count != r->last_seq - r->first_seq + 1)
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "manifest range %" PRId64 "..%" PRId64 " does not hold "
			    "entry_count %" PRId64, r->first_seq, r->last_seq,
			    r->entry_count);
	*ok = 1;
	return 0;
}

/* entries_sha256 (into sha_hex, "" when unusable) and created. */
static void manifest_digest(rb_vreport *r, const cJSON *m, char *sha_hex)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(m, "entries_sha256");
	uint8_t bin[32];

	if (!cJSON_IsString(it) || strlen(it->valuestring) != 64 ||
	    rb_hex_decode(it->valuestring, 32, bin) != 0) {
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "manifest \"entries_sha256\" is not 64 lowercase hex digits");
		sha_hex[0] = '\0';
	} else {
		memcpy(sha_hex, it->valuestring, 65);
		memcpy(r->sha_hex, it->valuestring, 65);
	}
	it = cJSON_GetObjectItemCaseSensitive(m, "created");
	if (it != NULL && (!cJSON_IsString(it) ||
			   rb_time_parse(it->valuestring, strlen(it->valuestring),
					 &(struct rb_time){ 0, 0 }) != 0))
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "manifest \"created\" is not an RFC 3339 UTC time");
}

/* The frontier: popcount(first_seq) base64 hashes, largest subtree first,
 * into r->before; *ok 0 (with a finding) when it is not that. */
static int manifest_frontier(rb_vreport *r, const cJSON *m, int *ok, struct rb_err *e)
{
	const cJSON *fr = cJSON_GetObjectItemCaseSensitive(m, "frontier");
	int n = cJSON_IsArray(fr) ? cJSON_GetArraySize(fr) : -1, i;
	int want = __builtin_popcountll((unsigned long long)r->first_seq);
	uint8_t (*hashes)[32] = NULL;

	*ok = 0;
	if (n != want) {
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "manifest \"frontier\" must hold %d hashes for first_seq %" PRId64,
			    want, r->first_seq);
		return 0;
	}
	if ((hashes = calloc(RB_MERKLE_MAX, 32)) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++) {
		const cJSON *h = cJSON_GetArrayItem(fr, i);
		uint8_t tmp[48];

		if (!cJSON_IsString(h) || strlen(h->valuestring) != 44 ||
		    rb_b64_decode(h->valuestring, 44, tmp) != 32) {
			add_finding(r, 0, "E_MANIFEST", -1, -1,
				    "manifest \"frontier\"[%d] is not base64 of 32 bytes", i);
			free(hashes);
			return 0;
		}
		memcpy(hashes[i], tmp, 32);
	}
	rb_merkle_from_frontier(&r->before, (uint64_t)r->first_seq,
				(const uint8_t (*)[32])hashes, n);
	r->after = r->before;
	/* An odd first_seq: the smallest subtree is the previous entry's leaf. */
	if (n > 0 && (r->first_seq & 1)) {
		memcpy(r->first_prev, hashes[n - 1], 32);
		r->have_first_prev = 2;
	}
	free(hashes);
	*ok = 1;
	return 0;
}

/* A previous_checkpoint given: signed, of this ledger, sized and rooted as
 * the frontier; -1 (e) when out of memory. */
static int check_prev_checkpoint(rb_vreport *r, const char *text, const rb_trust *trust,
				 struct rb_err *e)
{
	rb_checkpoint *cp = NULL;
	uint8_t root[32];
	char why[160];

	if (rb_checkpoint_parse(text, strlen(text), &cp, why, sizeof(why)) != 0) {
		if (errno == ENOMEM)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory reading "
				      "previous_checkpoint");
		add_finding(r, 0, "E_CHECKPOINT_SIG", -1, -1,
			    "previous_checkpoint is malformed: %s", why);
		return 0;
	}
	if (rb_checkpoint_verify(cp, trust, "checkpoint") == NULL)
		add_finding(r, 0, "E_CHECKPOINT_SIG", -1, -1,
			    "previous_checkpoint is not signed by a trusted checkpoint key");
	if (strcmp(rb_checkpoint_origin(cp), r->ledger) != 0)
		add_finding(r, 0, "E_LEDGER", -1, -1,
			    "previous_checkpoint origin \"%.80s\" is not the ledger",
			    rb_checkpoint_origin(cp));
	if (rb_checkpoint_size(cp) != (uint64_t)r->first_seq)
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "previous_checkpoint size %" PRIu64 " is not first_seq %" PRId64,
			    rb_checkpoint_size(cp), r->first_seq);
	rb_merkle_root(&r->before, root);
	if (memcmp(root, rb_checkpoint_root(cp), 32) != 0)
		add_finding(r, 0, "E_ROOT", -1, -1,
			    "the frontier does not fold to previous_checkpoint's root");
	rb_checkpoint_free(cp);
	return 0;
}

/* previous_checkpoint: null iff first_seq is 0; else signed, sized, rooted. */
static int manifest_prev(rb_vreport *r, const cJSON *m, const rb_trust *trust,
			 struct rb_err *e)
{
	const cJSON *pc = cJSON_GetObjectItemCaseSensitive(m, "previous_checkpoint");

	if (r->first_seq == 0) {
		if (pc != NULL && !cJSON_IsNull(pc))
			add_finding(r, 0, "E_MANIFEST", -1, -1,
				    "manifest \"previous_checkpoint\" must be null when first_seq is 0");
		return 0;
	}
	if (!cJSON_IsString(pc)) {
		add_finding(r, 0, "E_MANIFEST", -1, -1, "manifest \"previous_checkpoint\" is missing");
		return 0;
	}
	if ((r->prev_checkpoint = strdup(pc->valuestring)) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return check_prev_checkpoint(r, pc->valuestring, trust, e);
}

/*
 * The export's manifest.json (§5) into r, with a finding for each problem; *usable
 * is 1 when the entries can be checked against it (a range and a frontier).
 * -1 (with *e) only when the check itself cannot go on.
 */
static int load_manifest(rb_vreport *r, const char *dir, const rb_trust *trust,
			 char *sha_hex, int *usable, struct rb_err *e)
{
	cJSON *m = NULL;
	int ok = 0, rc = -1;

	*usable = 0;
	if (read_manifest(r, dir, &m, e) != 0)
		return -1;
	if (m == NULL)
		return 0;
	if (manifest_range(r, m, &ok, e) != 0)
		goto out;
	if (ok) {
		manifest_digest(r, m, sha_hex);
		if (manifest_frontier(r, m, &ok, e) != 0 ||
		    (ok && manifest_prev(r, m, trust, e) != 0))
			goto out;
	}
	*usable = ok;
	rc = 0;
out:
	cJSON_Delete(m);
	return rc;
}

/* The witnesses that cosigned, as JSON text into r->witnesses (none: NULL). */
static int keep_witnesses(rb_vreport *r, const struct rb_cosig *cs, size_t n,
			  struct rb_err *e)
{
	cJSON *arr = n > 0 ? cJSON_CreateArray() : NULL;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; arr != NULL && i < n; i++) {
		cJSON *x = cJSON_CreateObject();
		struct rb_time t = { (int64_t)cs[i].time, 0 };
		char ts[RB_TIME_MAX];

		rb_time_format(&t, ts);
		if (x == NULL || !cJSON_AddItemToArray(arr, x) ||
		    cJSON_AddStringToObject(x, "name", rb_tkey_name(cs[i].key)) == NULL ||
		    cJSON_AddStringToObject(x, "time", ts) == NULL) {
			cJSON_Delete(arr);
			arr = NULL;
		}
	}
	r->witnesses = arr != NULL ? cJSON_PrintUnformatted(arr) : NULL;
	cJSON_Delete(arr);
	if (r->witnesses == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return 0;
}

/* The checkpoint's cosignatures, by the witness rules, into r. */
static int check_cosigs(rb_vreport *r, const rb_checkpoint *cp, const rb_trust *trust,
			struct rb_err *e)
{
	struct rb_cosig cs[RB_NOTE_MAX_SIGS];
	char code[RB_WITNESS_CODE_MAX], msg[240];
	size_t n = 0;

	if (rb_checkpoint_witnessed(cp, trust, cs, &n, code, msg, sizeof(msg), e) != 0)
		return -1;
	if (code[0] != '\0') {
		add_finding(r, 0, code, -1, -1, "checkpoint: %s", msg);
		if (strcmp(code, "E_WITNESS_SIG") == 0)
			return 0;
	}
	return keep_witnesses(r, cs, n, e);
}

/* Read and check the final checkpoint against what the entries gave: 0 with
 * findings in r, or -1 (e) when out of memory. */
static int check_checkpoint(rb_vreport *r, const char *dir, const rb_trust *trust,
			    int root_known, struct rb_err *e)
{
	char path[4096], *buf = NULL, why[160];
	rb_checkpoint *cp = NULL;
	const rb_tkey *k;
	struct rb_err fe;
	uint8_t root[32];
	size_t len;

	if (rb_path_join(path, sizeof(path), dir, "checkpoint", &fe) != 0 ||
	    rb_read_file(path, CHECKPOINT_MAX, &buf, &len, &fe) != 0) {
		if (fe.code == RB_EX_SOFTWARE) {
			*e = fe;
			return -1;
		}
		add_finding(r, 0, fe.code == RB_EX_DATAERR ? "E_CHECKPOINT_SIG" : "E_IO",
			    -1, -1, "checkpoint: %s", fe.msg);
		return 0;
	}
	r->checkpoint = buf;
	if (rb_checkpoint_parse(buf, len, &cp, why, sizeof(why)) != 0) {
		if (errno == ENOMEM)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory reading the checkpoint");
		add_finding(r, 0, "E_CHECKPOINT_SIG", -1, -1, "checkpoint is malformed: %s",
			    why);
		return 0;
	}
	k = rb_checkpoint_verify(cp, trust, "checkpoint");
	if (k == NULL)
		add_finding(r, 0, "E_CHECKPOINT_SIG", -1, -1,
			    "checkpoint is not signed by a trusted checkpoint key");
	else
		snprintf(r->cpkey, sizeof(r->cpkey), "%s", rb_tkey_name(k));
	if (check_cosigs(r, cp, trust, e) != 0) {
		rb_checkpoint_free(cp);
		return -1;
	}
	if (r->ledger != NULL && strcmp(rb_checkpoint_origin(cp), r->ledger) != 0)
		add_finding(r, 0, "E_LEDGER", -1, -1,
			    "checkpoint origin \"%.80s\" is not the manifest's ledger",
			    rb_checkpoint_origin(cp));
	if (r->first_seq >= 0) {
		if (rb_checkpoint_size(cp) != (uint64_t)r->first_seq + r->entries)
			add_finding(r, 0, "E_TRUNCATED", -1, -1,
				    "checkpoint size %" PRIu64 " is not first_seq %" PRId64
				    " plus %" PRIu64 " entries", rb_checkpoint_size(cp),
				    r->first_seq, r->entries);
		else if (root_known) {
			rb_merkle_root(&r->after, root);
			if (memcmp(root, rb_checkpoint_root(cp), 32) != 0)
				add_finding(r, 0, "E_ROOT", -1, -1,
					    "the entries and frontier give another root than the checkpoint's");
		}
	}
	rb_checkpoint_free(cp);
	return 0;
}

/* One batch of lines for the pipeline. */
struct batch {
	struct slot *slots;
	size_t n;
	int eof, ioerr;
	long long ioline;
	char iomsg[512];
};

/* Where the lines come from: entries.jsonl, or the caller's rows. */
struct input {
	rb_lines *lr;                   /* a file, or */
	const struct rb_vsource *src;   /* rows, which have no line numbers */
	uint64_t bytes;
};

static int input_next(struct input *in, const char **line, size_t *len, long long *lineno,
		      struct rb_err *e)
{
	int got;

	if (in->lr != NULL) {
		got = rb_lines_next(in->lr, line, len, e);
		*lineno = rb_lines_lineno(in->lr) + (got < 0);
		return got;
	}
	got = in->src->next(in->src->ctx, line, len, e);
	if (got == RB_LINES_OK)
		in->bytes += *len;
	*lineno = -1;
	return got;
}

static uint64_t input_bytes(const struct input *in)
{
	return in->lr != NULL ? rb_lines_bytes(in->lr) : in->bytes;
}

/*
 * Read up to BATCH_SLOTS lines (and about BATCH_BYTES) into b.  A read error
 * ends the batch and is kept in b, to be reported after its lines.
 */
static int read_batch(struct input *in, const rb_vreport *r,
		      const struct rb_verify_opts *o, struct batch *b,
		      uint64_t *nread, struct rb_err *e)
{
	size_t bytes = 0;
	struct rb_err fe;

	b->n = 0;
	b->eof = b->ioerr = 0;
	while (b->n < BATCH_SLOTS && bytes < BATCH_BYTES) {
		struct slot *s = &b->slots[b->n];
		const char *line = NULL;
		size_t len = 0;
		long long lineno;
		int got = input_next(in, &line, &len, &lineno, &fe);

		if (got < 0) {
			b->ioerr = 1;
			b->ioline = lineno;
			snprintf(b->iomsg, sizeof(b->iomsg), "%s", fe.msg);
			break;
		}
		if (got == RB_LINES_EOF) {
			b->eof = 1;
			break;
		}
		s->lineno = lineno;
		if (o->known != NULL) {
			s->known_seq = r->first_seq + (int64_t)*nread;
			s->known = o->known(o->known_ctx, s->known_seq, &s->kn);
		}
		s->toolong = got == RB_LINES_TOOLONG;
		s->len = 0;
		if (got == RB_LINES_OK && line != NULL) {
			if (reserve(&s->line, &s->cap, len + 1) != 0 || s->line == NULL)
				return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			memcpy(s->line, line, len);
			s->line[len] = '\0';
			s->len = len;
		}
		bytes += len;
		b->n++;
		(*nread)++;
	}
	return 0;
}

static rb_vreport *report_new(const char *dir)
{
	rb_vreport *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->path = strdup(dir);
	r->errors = calloc(MAX_KEPT, sizeof(*r->errors));
	r->warnings = calloc(MAX_KEPT, sizeof(*r->warnings));
	r->first_seq = r->last_seq = -1;
	rb_merkle_init(&r->before);
	rb_merkle_init(&r->after);
	if (r->path == NULL || r->errors == NULL || r->warnings == NULL) {
		rb_vreport_free(r);
		return NULL;
	}
	return r;
}

static void batches_free(struct batch batch[2])
{
	size_t i;
	int b;

	for (b = 0; b < 2; b++) {
		if (batch[b].slots == NULL)
			continue;
		for (i = 0; i < BATCH_SLOTS; i++) {
			slot_reset(&batch[b].slots[i]);
			rb_json_arena_free(batch[b].slots[i].arena);
			free(batch[b].slots[i].line);
			free(batch[b].slots[i].pae);
			free(batch[b].slots[i].sigjson);
		}
		free(batch[b].slots);
		batch[b].slots = NULL;
	}
}

static int batches_new(struct batch batch[2], struct rb_err *e)
{
	size_t i;
	int b;

	memset(batch, 0, 2 * sizeof(*batch));
	for (b = 0; b < 2; b++) {
		batch[b].slots = calloc(BATCH_SLOTS, sizeof(struct slot));
		if (batch[b].slots == NULL)
			goto oom;
		for (i = 0; i < BATCH_SLOTS; i++) {
			batch[b].slots[i].arena = rb_json_arena_new();
			if (batch[b].slots[i].arena == NULL)
				goto oom;
		}
	}
	return 0;
oom:
	batches_free(batch);
	return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
}

/*
 * Every line of in through the two phases.  A pipeline of two batches:
 * while the workers check batch `cur`, this thread reads the next one, and
 * while they check that one, it runs the in-order phase (and the caller's
 * callback, which stores) of `cur`.
 */
static int pipeline(rb_vreport *r, struct input *in, const rb_trust *trust,
		    const struct rb_verify_opts *o, struct seqstate *st, struct rb_err *e)
{
	rb_pool *pool = NULL;
	struct batch batch[2];
	struct run run[2];
	uint64_t nread = 0;
	size_t i;
	int rc = -1, cur, jobs;

	jobs = o->jobs > 0 ? o->jobs : rb_ncpu();
	if (batches_new(batch, e) != 0)
		return -1;
	if (rb_pool_new(jobs > 1 ? jobs : 0, &pool, e) != 0)
		goto out;
	run[0].trust = run[1].trust = trust;
	run[0].ledger = run[1].ledger = r->ledger;
	run[0].store = run[1].store = o->on_entry != NULL;
	run[0].full = run[1].full = o->full;
	run[0].slots = batch[0].slots;
	run[1].slots = batch[1].slots;
	cur = 0;
	if (read_batch(in, r, o, &batch[cur], &nread, e) != 0)
		goto out;
	rb_pool_start(pool, batch[cur].n, work, &run[cur]);
	while (batch[cur].n > 0 || batch[cur].ioerr) {
		struct batch *c = &batch[cur], *nx = &batch[!cur];

		nx->n = 0;
		if (!c->eof && !c->ioerr &&
		    read_batch(in, r, o, nx, &nread, e) != 0)
			goto out;
		rb_pool_wait(pool);
		rb_pool_start(pool, nx->n, work, &run[!cur]);
		for (i = 0; i < c->n; i++) {
			r->entries++;
			if (sequential(r, st, &c->slots[i], o, e) != 0)
				goto out;
			slot_reset(&c->slots[i]);
		}
		if (c->ioerr) {
			add_finding(r, 0, "E_IO", -1, c->ioline, "%s%s",
				    in->lr != NULL ? "entries.jsonl: " : "", c->iomsg);
			break;
		}
		if (o->progress != NULL)
			o->progress(o->progress_ctx, r->entries, input_bytes(in));
		if (c->eof)
			break;
		cur = !cur;
	}
	rc = 0;
out:
	rb_pool_free(pool);     /* first: it finishes a started batch */
	batches_free(batch);
	return rc;
}

int rb_verify_export(const char *dir, const rb_trust *trust,
		     const struct rb_verify_opts *o, rb_vreport **out,
		     struct rb_err *e)
{
	rb_vreport *r = NULL;
	struct input in = { NULL, NULL, 0 };
	struct seqstate st;
	char path[4096], sha_hex[65] = "";
	uint8_t digest[32];
	int rc = -1, usable;
	struct rb_err fe;

	*out = NULL;
	r = report_new(dir);
	if (r == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (load_manifest(r, dir, trust, sha_hex, &usable, e) != 0)
		goto out;
	if (rb_path_join(path, sizeof(path), dir, "entries.jsonl", e) != 0)
		goto out;
	if (rb_lines_open(path, RB_ENTRY_MAX_LINE, 1, &in.lr, &fe) != 0) {
		in.lr = NULL;
		if (fe.code == RB_EX_SOFTWARE) {
			*e = fe;
			goto out;
		}
		add_finding(r, 0, "E_IO", -1, -1, "entries.jsonl: %s", fe.msg);
	}
	if (!usable || in.lr == NULL) {
		/* Nothing to check the entries against, or no entries. */
		if (check_checkpoint(r, dir, trust, 0, e) != 0)
			goto out;
		goto done;
	}
	memset(&st, 0, sizeof(st));
	st.expect = r->first_seq;
	st.root_known = 1;
	if (r->have_first_prev == 2) {
		memcpy(st.prev, r->first_prev, 32);
		st.prev_known = 1;
	}
	r->have_first_prev = 0;
	if (pipeline(r, &in, trust, o, &st, e) != 0)
		goto out;
	/* End of the entries: counts, file digest, checkpoint. */
	if (r->entry_count >= 0 && (uint64_t)r->entry_count != r->entries)
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "manifest entry_count %" PRId64 " but entries.jsonl has %" PRIu64
			    " lines", r->entry_count, r->entries);
	rb_lines_digest(in.lr, digest);
	if (sha_hex[0] != '\0') {
		char hex[65];

		rb_hex_encode(digest, 32, hex);
		if (strcmp(hex, sha_hex) != 0)
			add_finding(r, 0, "E_MANIFEST", -1, -1,
				    "entries_sha256 does not match entries.jsonl (it is %s)", hex);
	}
	if (r->entries > 0 && st.expect - 1 != r->last_seq)
		add_finding(r, 0, "E_MANIFEST", -1, -1,
			    "the last entry's seq is %" PRId64 ", the manifest says last_seq %"
			    PRId64, st.expect - 1, r->last_seq);
	if (check_checkpoint(r, dir, trust, st.root_known, e) != 0)
		goto out;
done:
	*out = r;
	r = NULL;
	rc = 0;
out:
	rb_lines_close(in.lr);
	rb_vreport_free(r);
	return rc;
}

int rb_verify_rows(const struct rb_vrows *rows, const rb_trust *trust,
		   const struct rb_verify_opts *o, rb_vreport **out, struct rb_err *e)
{
	struct input in = { NULL, &rows->source, 0 };
	struct seqstate st;
	rb_vreport *r = report_new(rows->name);

	*out = NULL;
	if (r == NULL || (r->ledger = strdup(rows->ledger)) == NULL) {
		rb_vreport_free(r);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	r->first_seq = rows->first_seq;
	r->before = r->after = rows->before;
	memset(&st, 0, sizeof(st));
	st.expect = rows->first_seq;
	st.root_known = 1;
	if (rows->first_prev != NULL) {
		memcpy(st.prev, rows->first_prev, 32);
		st.prev_known = 1;
	}
	if (pipeline(r, &in, trust, o, &st, e) != 0) {
		rb_vreport_free(r);
		return -1;
	}
	r->last_seq = st.expect - 1;
	*out = r;
	return 0;
}

void rb_vreport_free(rb_vreport *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsigners; i++)
		free(r->signers[i]);
	free(r->path);
	free(r->ledger);
	free(r->errors);
	free(r->warnings);
	free(r->checkpoint);
	free(r->prev_checkpoint);
	cJSON_free(r->witnesses);
	free(r);
}

__attribute__((format(printf, 6, 0)))
static void add_vfinding(rb_vreport *r, int warn, const char *code, int64_t seq,
			 long long line, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	add_finding(r, warn, code, seq, line, "%s", msg);
}

void rb_vreport_add_error(rb_vreport *r, const char *code, int64_t seq,
			  long long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_vfinding(r, 0, code, seq, line, fmt, ap);
	va_end(ap);
}

void rb_vreport_add_warning(rb_vreport *r, const char *code, int64_t seq,
			    long long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_vfinding(r, 1, code, seq, line, fmt, ap);
	va_end(ap);
}

const char *rb_vreport_previous_checkpoint(const rb_vreport *r)
{
	return r->prev_checkpoint;
}

const char *rb_vreport_entries_sha256(const rb_vreport *r)
{
	return r->sha_hex;
}

const char *rb_vreport_path(const rb_vreport *r) { return r->path; }
const char *rb_vreport_ledger(const rb_vreport *r) { return r->ledger; }
int64_t rb_vreport_first_seq(const rb_vreport *r) { return r->first_seq; }
int64_t rb_vreport_last_seq(const rb_vreport *r) { return r->last_seq; }
uint64_t rb_vreport_entries(const rb_vreport *r) { return r->entries; }
int rb_vreport_valid(const rb_vreport *r) { return r->errtotal == 0; }
size_t rb_vreport_nerrors(const rb_vreport *r) { return r->nerr; }
uint64_t rb_vreport_errors_total(const rb_vreport *r) { return r->errtotal; }
size_t rb_vreport_nwarnings(const rb_vreport *r) { return r->nwarn; }
uint64_t rb_vreport_warnings_total(const rb_vreport *r) { return r->warntotal; }
const struct rb_merkle *rb_vreport_before(const rb_vreport *r) { return &r->before; }
const struct rb_merkle *rb_vreport_after(const rb_vreport *r) { return &r->after; }
const char *rb_vreport_checkpoint(const rb_vreport *r) { return r->checkpoint; }
size_t rb_vreport_nsigners(const rb_vreport *r) { return r->nsigners; }
uint64_t rb_vreport_countersigned(const rb_vreport *r) { return r->countersigned; }
const char *rb_vreport_earliest_time(const rb_vreport *r) { return r->earliest; }
const char *rb_vreport_latest_time(const rb_vreport *r) { return r->latest; }

const struct rb_finding *rb_vreport_error(const rb_vreport *r, size_t i)
{
	return i < r->nerr ? &r->errors[i] : NULL;
}

const struct rb_finding *rb_vreport_warning(const rb_vreport *r, size_t i)
{
	return i < r->nwarn ? &r->warnings[i] : NULL;
}

cJSON *rb_vreport_findings_json(const rb_vreport *r, int warnings)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i, n = warnings ? r->nwarn : r->nerr;

	for (i = 0; arr != NULL && i < n; i++) {
		const struct rb_finding *f = warnings ? &r->warnings[i] : &r->errors[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "code", f->code);
		if (f->seq >= 0)
			cJSON_AddNumberToObject(o, "seq", (double)f->seq);
		else
			cJSON_AddNullToObject(o, "seq");
		if (f->line >= 0)
			cJSON_AddNumberToObject(o, "line", (double)f->line);
		else
			cJSON_AddNullToObject(o, "line");
		cJSON_AddStringToObject(o, "message", f->msg);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int rb_vreport_has(const rb_vreport *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->nerr; i++)
		if (strcmp(r->errors[i].code, code) == 0)
			return 1;
	for (i = 0; i < r->nwarn; i++)
		if (strcmp(r->warnings[i].code, code) == 0)
			return 1;
	return 0;
}

const uint8_t *rb_vreport_last_leaf(const rb_vreport *r)
{
	return r->have_last_leaf ? r->last_leaf : NULL;
}

const uint8_t *rb_vreport_first_prev(const rb_vreport *r)
{
	return r->have_first_prev ? r->first_prev : NULL;
}

const char *rb_vreport_checkpoint_key(const rb_vreport *r)
{
	return r->cpkey[0] ? r->cpkey : NULL;
}

const char *rb_vreport_signer(const rb_vreport *r, size_t i)
{
	return i < r->nsigners ? r->signers[i] : NULL;
}

const char *rb_vreport_witnesses_json(const rb_vreport *r)
{
	return r->witnesses;
}

void rb_vreport_witness_names(const rb_vreport *r, char *out, size_t n)
{
	cJSON *arr = r->witnesses != NULL ? cJSON_Parse(r->witnesses) : NULL;
	const cJSON *x;
	size_t used = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(x, arr) {
		const char *name = rb_json_str(x, "name");
		int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "",
				 name != NULL ? name : "?");

		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	cJSON_Delete(arr);
}
