/* trust.c - loading, checking and saving the trust store. */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "ident.h"
#include "json.h"

#define TRUST_MAX_BYTES (16u << 20)

struct rb_tkey {
	char name[RB_KEYNAME_MAX + 1];
	const char *identity;           /* in the JSON document */
	char *identity_n;               /* its normal form (lib/ident.h), owned */
	rb_pubkey *pub;
	uint8_t keyhash[4];
	const cJSON *roles;             /* array in the JSON document */
	struct rb_time valid_from, valid_until, revoked_at;
	int has_until, has_revoked;
	cJSON *entry;                   /* in the document */
	uint8_t sigtype;                /* RB_SIGTYPE_COSIGNATURE for a witness */
};

struct rb_trust {
	cJSON *doc;                     /* {"keys":[...]} */
	rb_tkey *keys;
	size_t n, cap;
	int quorum;                     /* the witness policy's; 0: none */
	size_t witness[RB_WITNESS_MAX]; /* its witnesses, indexes into keys */
	size_t nwitness;
};

int rb_keyname_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > RB_KEYNAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
		      c == '@'))
			return 0;
	}
	return 1;
}

void rb_note_keyhash(const char *name, const uint8_t pub[32], uint8_t out[4])
{
	rb_note_keyhash_type(name, pub, RB_SIGTYPE_ED25519, out);
}

void rb_note_keyhash_type(const char *name, const uint8_t pub[32], uint8_t type,
			  uint8_t out[4])
{
	uint8_t buf[RB_KEYNAME_MAX + 2 + 32], h[32];
	size_t n = strlen(name);

	if (n > RB_KEYNAME_MAX)
		n = RB_KEYNAME_MAX;
	memcpy(buf, name, n);   /* NOLINT(bugprone-not-null-terminated-result): bytes */
	buf[n] = 0x0a;
	buf[n + 1] = type;
	memcpy(buf + n + 2, pub, 32);
	rb_sha256(buf, n + 34, h);
	memcpy(out, h, 4);
}

void rb_keystring(const char *name, const uint8_t pub[32],
		  char out[RB_KEYSTRING_MAX])
{
	rb_keystring_type(name, pub, RB_SIGTYPE_ED25519, out);
}

void rb_keystring_type(const char *name, const uint8_t pub[32], uint8_t type,
		       char out[RB_KEYSTRING_MAX])
{
	uint8_t kh[4], typed[33];
	char hex[9], b64[48];

	rb_note_keyhash_type(name, pub, type, kh);
	rb_hex_encode(kh, 4, hex);
	typed[0] = type;
	memcpy(typed + 1, pub, 32);
	rb_b64_encode(typed, 33, b64);
	snprintf(out, RB_KEYSTRING_MAX, "%.*s+%s+%s", RB_KEYNAME_MAX, name, hex, b64);
}

/* Parse an optional time member: absent or null leaves *has 0. */
static int opt_time(const cJSON *entry, const char *member, const char *name,
		    struct rb_time *t, int *has, struct rb_err *e)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(entry, member);

	*has = 0;
	if (it == NULL || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it) ||
	    rb_time_parse(it->valuestring, strlen(it->valuestring), t) != 0)
		return RB_ERR(e, RB_EX_DATAERR,
			      "key '%s': member \"%s\" is not null or an RFC 3339 UTC time",
			      name, member);
	*has = 1;
	return 0;
}

/* Free what a parsed key owns. */
static void key_clear(rb_tkey *k)
{
	rb_pubkey_free(k->pub);
	k->pub = NULL;
	free(k->identity_n);
	k->identity_n = NULL;
}

/*
 * A witness's key ID and key string are of the cosignature type, a
 * checkpoint or report key's of the note signature type: a key has one of
 * each, so it cannot hold both kinds of role (docs/FORMATS.md).
 */
static int witness_roles(rb_tkey *k, struct rb_err *e)
{
	const cJSON *r;
	int witness = 0, note = 0;

	cJSON_ArrayForEach(r, k->roles) {
		witness |= strcmp(r->valuestring, "witness") == 0;
		note |= strcmp(r->valuestring, "checkpoint") == 0 ||
			strcmp(r->valuestring, "report") == 0;
	}
	if (witness && note)
		return RB_ERR(e, RB_EX_DATAERR, "key '%s': member \"roles\" holds witness with "
			      "checkpoint or report: a witness key cosigns, and has no other "
			      "role that signs notes", k->name);
	k->sigtype = witness ? RB_SIGTYPE_COSIGNATURE : RB_SIGTYPE_ED25519;
	return 0;
}

/* Check one entry and fill *k from it (k->entry is set by the caller). */
static int parse_key(const cJSON *entry, rb_tkey *k, struct rb_err *e)
{
	const char *name, *alg, *pk, *id;
	const cJSON *roles, *r, *idit;
	uint8_t raw[48];
	int has;

	memset(k, 0, sizeof(*k));
	if (!cJSON_IsObject(entry))
		return RB_ERR(e, RB_EX_DATAERR, "a member of \"keys\" is not an object");
	name = rb_json_str(entry, "name");
	if (name == NULL || !rb_keyname_valid(name))
		return RB_ERR(e, RB_EX_DATAERR,
			      "key \"name\" is missing or not a valid key name "
			      "(1-%d of A-Z a-z 0-9 . _ - @)", RB_KEYNAME_MAX);
	snprintf(k->name, sizeof(k->name), "%s", name);
	alg = rb_json_str(entry, "algorithm");
	if (alg == NULL || strcmp(alg, "ed25519") != 0)
		return RB_ERR(e, RB_EX_DATAERR,
			      "key '%s': member \"algorithm\" must be \"ed25519\"", name);
	pk = rb_json_str(entry, "public_key");
	if (pk == NULL || strlen(pk) != 44 || rb_b64_decode(pk, 44, raw) != 32)
		return RB_ERR(e, RB_EX_DATAERR,
			      "key '%s': member \"public_key\" is not base64 of 32 bytes",
			      name);
	if (rb_pubkey_new(raw, &k->pub, e) != 0)
		return RB_ERR(e, RB_EX_DATAERR,
			      "key '%s': member \"public_key\" is not a usable Ed25519 key: it "
			      "is not the canonical encoding of a point of prime order", name);
	idit = cJSON_GetObjectItemCaseSensitive(entry, "identity");
	if (idit != NULL && !cJSON_IsNull(idit)) {
		id = cJSON_IsString(idit) ? idit->valuestring : NULL;
		if (id == NULL || id[0] == '\0')
			goto bad_identity;
		k->identity = id;
		if (rb_ident_normal(id, &k->identity_n, e) != 0)
			goto fail;
	}
	roles = cJSON_GetObjectItemCaseSensitive(entry, "roles");
	if (!cJSON_IsArray(roles))
		goto bad_roles;
	cJSON_ArrayForEach(r, roles)
		if (!cJSON_IsString(r) || r->valuestring[0] == '\0')
			goto bad_roles;
	k->roles = roles;
	if (witness_roles(k, e) != 0)
		goto fail;
	rb_note_keyhash_type(name, raw, k->sigtype, k->keyhash);
	if (opt_time(entry, "valid_from", name, &k->valid_from, &has, e) != 0)
		goto fail;
	if (!has) {
		RB_ERR(e, RB_EX_DATAERR, "key '%s': member \"valid_from\" is missing",
		       name);
		goto fail;
	}
	if (opt_time(entry, "valid_until", name, &k->valid_until, &k->has_until, e) != 0 ||
	    opt_time(entry, "revoked_at", name, &k->revoked_at, &k->has_revoked, e) != 0)
		goto fail;
	return 0;
bad_identity:
	RB_ERR(e, RB_EX_DATAERR, "key '%s': member \"identity\" is not a non-empty string",
	       name);
	goto fail;
bad_roles:
	RB_ERR(e, RB_EX_DATAERR,
	       "key '%s': member \"roles\" is not an array of non-empty strings", name);
fail:
	key_clear(k);
	return -1;
}

int rb_trust_new(rb_trust **out, struct rb_err *e)
{
	rb_trust *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	t->doc = cJSON_CreateObject();
	if (t->doc == NULL || cJSON_AddArrayToObject(t->doc, "keys") == NULL) {
		rb_trust_free(t);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	*out = t;
	return 0;
}

/* Index the entry at the end of the document's "keys" array. */
static int index_key(rb_trust *t, cJSON *entry, struct rb_err *e)
{
	rb_tkey k;

	if (parse_key(entry, &k, e) != 0)
		return -1;
	if (rb_trust_find(t, k.name, strlen(k.name)) != NULL) {
		key_clear(&k);
		return RB_ERR(e, RB_EX_DATAERR, "key '%s' appears twice", k.name);
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		rb_tkey *nk = realloc(t->keys, ncap * sizeof(*nk));

		if (nk == NULL) {
			key_clear(&k);
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		}
		t->keys = nk;
		t->cap = ncap;
	}
	k.entry = entry;
	t->keys[t->n++] = k;
	return 0;
}

/*
 * The member "witness_policy" (NULL or null: none) into t's quorum and
 * witnesses: distinct names of keys with role witness, 1 <= quorum <= their
 * number.  t is unchanged on error.
 */
static int parse_policy(rb_trust *t, const cJSON *pol, struct rb_err *e)
{
	const cJSON *ws, *w;
	size_t idx[RB_WITNESS_MAX], n = 0, i;
	int64_t quorum;

	if (pol == NULL || cJSON_IsNull(pol)) {
		t->quorum = 0;
		t->nwitness = 0;
		return 0;
	}
	if (!cJSON_IsObject(pol))
		return RB_ERR(e, RB_EX_DATAERR, "member \"witness_policy\" is not an object");
	ws = cJSON_GetObjectItemCaseSensitive(pol, "witnesses");
	if (!cJSON_IsArray(ws) || cJSON_GetArraySize(ws) < 1 ||
	    cJSON_GetArraySize(ws) > RB_WITNESS_MAX)
		return RB_ERR(e, RB_EX_DATAERR, "member \"witness_policy\": \"witnesses\" is not "
			      "an array of 1 to %d key names", RB_WITNESS_MAX);
	cJSON_ArrayForEach(w, ws) {
		const rb_tkey *k = cJSON_IsString(w) ?
			rb_trust_find(t, w->valuestring, strlen(w->valuestring)) : NULL;

		if (!cJSON_IsString(w))
			return RB_ERR(e, RB_EX_DATAERR, "member \"witness_policy\": \"witnesses\" "
				      "holds something other than a key name");
		if (k == NULL || !rb_tkey_has_role(k, "witness"))
			return RB_ERR(e, RB_EX_DATAERR, "member \"witness_policy\": witness "
				      "'%.128s' is not a key of the trust store with role witness",
				      w->valuestring);
		for (i = 0; i < n; i++)
			if (&t->keys[idx[i]] == k)
				return RB_ERR(e, RB_EX_DATAERR, "member \"witness_policy\": witness "
					      "'%s' is named twice", k->name);
		idx[n++] = (size_t)(k - t->keys);
	}
	if (rb_json_int(pol, "quorum", 1, (int64_t)n, &quorum) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "member \"witness_policy\": \"quorum\" is not a "
			      "whole number from 1 to the number of witnesses (%zu)", n);
	t->quorum = (int)quorum;
	memcpy(t->witness, idx, n * sizeof(idx[0]));
	t->nwitness = n;
	return 0;
}

int rb_trust_set_witness_policy(rb_trust *t, int quorum, const char *const *names, size_t n,
				struct rb_err *e)
{
	cJSON *pol = NULL, *ws;
	size_t i;

	if (quorum == 0 && n == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(t->doc, "witness_policy");
		return parse_policy(t, NULL, e);
	}
	pol = cJSON_CreateObject();
	if (pol == NULL || cJSON_AddNumberToObject(pol, "quorum", quorum) == NULL ||
	    (ws = cJSON_AddArrayToObject(pol, "witnesses")) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		if (!cJSON_AddItemToArray(ws, cJSON_CreateString(names[i])))
			goto oom;
	if (parse_policy(t, pol, e) != 0) {
		cJSON_Delete(pol);
		return -1;
	}
	if (cJSON_HasObjectItem(t->doc, "witness_policy"))
		cJSON_ReplaceItemInObjectCaseSensitive(t->doc, "witness_policy", pol);
	else
		cJSON_AddItemToObject(t->doc, "witness_policy", pol);
	return 0;
oom:
	cJSON_Delete(pol);
	return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
}

int rb_trust_witness_quorum(const rb_trust *t)
{
	return t->quorum;
}

size_t rb_trust_witness_count(const rb_trust *t)
{
	return t->nwitness;
}

const rb_tkey *rb_trust_witness_at(const rb_trust *t, size_t i)
{
	return i < t->nwitness ? &t->keys[t->witness[i]] : NULL;
}

int rb_trust_load(const char *path, rb_trust **out, struct rb_err *e)
{
	rb_trust *t = NULL;
	char *buf = NULL, why[128];
	size_t len;
	cJSON *keys, *k;
	int rc = -1;

	*out = NULL;
	if (rb_read_file(path, TRUST_MAX_BYTES, &buf, &len, e) != 0)
		return -1;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_json_parse(buf, len, 16, &t->doc, why, sizeof(why)) != 0) {
		RB_ERR(e, errno == ENOMEM ? RB_EX_SOFTWARE : RB_EX_DATAERR, "trust store '%s': %s",
		       path, why);
		goto out;
	}
	keys = cJSON_GetObjectItemCaseSensitive(t->doc, "keys");
	if (!cJSON_IsObject(t->doc) || !cJSON_IsArray(keys)) {
		RB_ERR(e, RB_EX_DATAERR, "trust store '%s': member \"keys\" is not an array",
		       path);
		goto out;
	}
	cJSON_ArrayForEach(k, keys) {
		if (index_key(t, k, e) != 0) {
			char m[sizeof(e->msg)];

			snprintf(m, sizeof(m), "%s", e->msg);
			RB_ERR(e, RB_EX_DATAERR, "trust store '%s': %s", path, m);
			goto out;
		}
	}
	if (parse_policy(t, cJSON_GetObjectItemCaseSensitive(t->doc, "witness_policy"), e) != 0) {
		char m[sizeof(e->msg)];

		snprintf(m, sizeof(m), "%s", e->msg);
		RB_ERR(e, RB_EX_DATAERR, "trust store '%s': %s", path, m);
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	rb_trust_free(t);
	free(buf);
	return rc;
}

int rb_trust_save(const rb_trust *t, const char *path, struct rb_err *e)
{
	return rb_write_json(path, t->doc, 0644, e);
}

void rb_trust_free(rb_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		key_clear(&t->keys[i]);
	free(t->keys);
	cJSON_Delete(t->doc);
	free(t);
}

int rb_trust_add(rb_trust *t, const cJSON *entry, int *added, struct rb_err *e)
{
	cJSON *keys = cJSON_GetObjectItemCaseSensitive(t->doc, "keys");
	cJSON *copy;
	const rb_tkey *old;
	const char *name;
	rb_tkey probe;

	*added = 0;
	if (parse_key(entry, &probe, e) != 0)
		return -1;
	name = rb_json_str(entry, "name");
	old = rb_trust_find(t, name, strlen(name));
	if (old != NULL) {
		key_clear(&probe);
		if (cJSON_Compare(old->entry, entry, 1))
			return 0;
		return RB_ERR(e, RB_EX_DATAERR,
			      "the trust store already holds a different key named '%s'",
			      name);
	}
	/* One public key, one name: a second name would give it a second life. */
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(rb_pubkey_raw(t->keys[i].pub), rb_pubkey_raw(probe.pub), 32) == 0) {
			key_clear(&probe);
			return RB_ERR(e, RB_EX_DATAERR, "the trust store already holds this public "
				      "key as '%s': one key has one name", t->keys[i].name);
		}
	key_clear(&probe);
	copy = cJSON_Duplicate(entry, 1);
	if (copy == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (!cJSON_AddItemToArray(keys, copy)) {
		cJSON_Delete(copy);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	if (index_key(t, copy, e) != 0) {
		cJSON_Delete(cJSON_DetachItemViaPointer(keys, copy));
		return -1;
	}
	*added = 1;
	return 0;
}

int rb_trust_add_file(rb_trust *t, const char *path, int *added, const rb_tkey **key,
		      struct rb_err *e)
{
	cJSON *entry = NULL;
	char *buf = NULL, why[160];
	size_t len;
	int rc = -1;

	*key = NULL;
	if (rb_read_file(path, 1u << 20, &buf, &len, e) != 0)
		return -1;
	if (rb_json_parse(buf, len, 8, &entry, why, sizeof(why)) != 0) {
		RB_ERR(e, RB_EX_DATAERR, "'%s': %s", path, why);
		goto out;
	}
	if (rb_trust_add(t, entry, added, e) != 0) {
		char m[sizeof(e->msg)];

		snprintf(m, sizeof(m), "%s", e->msg);
		RB_ERR(e, e->code, "'%s': %s", path, m);
		goto out;
	}
	*key = rb_trust_find(t, rb_json_str(entry, "name"), strlen(rb_json_str(entry, "name")));
	rc = 0;
out:
	cJSON_Delete(entry);
	free(buf);
	return rc;
}

/* Set member (revoked_at or valid_until) of k's entry to at. */
static int set_time_member(rb_tkey *k, const char *member, const struct rb_time *at,
			   struct rb_err *e)
{
	char ts[RB_TIME_MAX];
	cJSON *v;

	rb_time_format(at, ts);
	v = cJSON_CreateString(ts);
	if (v == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (cJSON_GetObjectItemCaseSensitive(k->entry, member) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(k->entry, member, v);
	else
		cJSON_AddItemToObject(k->entry, member, v);
	return 0;
}

/*
 * An end already set may move earlier (it only takes validity away), never
 * later: that would make entries valid again, rewriting the past.
 */
static int check_end(const rb_tkey *k, const char *what, int has, const struct rb_time *cur,
		     const struct rb_time *at, struct rb_err *e)
{
	char ts[RB_TIME_MAX];

	if (has && rb_time_cmp(at, cur) > 0) {
		rb_time_format(cur, ts);
		return RB_ERR(e, RB_EX_DATAERR, "key '%s' is %s %s: a later time would make what "
			      "it signed since then valid again (an earlier time is allowed)",
			      k->name, what, ts);
	}
	if (rb_time_cmp(at, &k->valid_from) < 0) {
		rb_time_format(&k->valid_from, ts);
		return RB_ERR(e, RB_EX_DATAERR, "key '%s' is valid from %s: give a time at or "
			      "after it", k->name, ts);
	}
	return 0;
}

/* Set the end (revoked_at, or valid_until) of key name's validity to at. */
static int set_end(rb_trust *t, const char *name, int revoke, const struct rb_time *at,
		   struct rb_err *e)
{
	rb_tkey *k = (rb_tkey *)rb_trust_find(t, name, strlen(name));
	struct rb_time *cur;
	int *has;

	if (k == NULL)
		return RB_ERR(e, RB_EX_DATAERR, "no key named '%s' in the trust store", name);
	cur = revoke ? &k->revoked_at : &k->valid_until;
	has = revoke ? &k->has_revoked : &k->has_until;
	if (check_end(k, revoke ? "already revoked at" : "already valid only until", *has, cur,
		      at, e) != 0 ||
	    set_time_member(k, revoke ? "revoked_at" : "valid_until", at, e) != 0)
		return -1;
	*cur = *at;
	*has = 1;
	return 0;
}

int rb_trust_revoke(rb_trust *t, const char *name, const struct rb_time *at,
		    struct rb_err *e)
{
	return set_end(t, name, 1, at, e);
}

int rb_trust_set_valid_until(rb_trust *t, const char *name, const struct rb_time *at,
			     struct rb_err *e)
{
	return set_end(t, name, 0, at, e);
}

size_t rb_trust_count(const rb_trust *t)
{
	return t->n;
}

const rb_tkey *rb_trust_at(const rb_trust *t, size_t i)
{
	return i < t->n ? &t->keys[i] : NULL;
}

const rb_tkey *rb_trust_find(const rb_trust *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->keys[i].name) == len &&
		    memcmp(t->keys[i].name, name, len) == 0)
			return &t->keys[i];
	return NULL;
}

const char *rb_tkey_name(const rb_tkey *k)
{
	return k->name;
}

const char *rb_tkey_identity(const rb_tkey *k)
{
	return k->identity;
}

const char *rb_tkey_identity_normal(const rb_tkey *k)
{
	return k->identity_n;
}

const rb_pubkey *rb_tkey_pub(const rb_tkey *k)
{
	return k->pub;
}

int rb_tkey_has_role(const rb_tkey *k, const char *role)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, k->roles)
		if (strcmp(r->valuestring, role) == 0)
			return 1;
	return 0;
}

void rb_tkey_roles(const rb_tkey *k, char *out, size_t n)
{
	const cJSON *r;
	size_t used = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(r, k->roles) {
		int w = snprintf(out + used, n - used, "%s%s", used ? "," : "",
				 r->valuestring);

		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

const struct rb_time *rb_tkey_valid_from(const rb_tkey *k)
{
	return &k->valid_from;
}

const struct rb_time *rb_tkey_valid_until(const rb_tkey *k)
{
	return k->has_until ? &k->valid_until : NULL;
}

const struct rb_time *rb_tkey_revoked_at(const rb_tkey *k)
{
	return k->has_revoked ? &k->revoked_at : NULL;
}

const uint8_t *rb_tkey_keyhash(const rb_tkey *k)
{
	return k->keyhash;
}

void rb_tkey_keystring(const rb_tkey *k, char out[RB_KEYSTRING_MAX])
{
	rb_keystring_type(k->name, rb_pubkey_raw(k->pub), k->sigtype, out);
}

enum rb_key_state rb_tkey_state(const rb_tkey *k, const struct rb_time *t)
{
	/* §6: valid when valid_from <= t < valid_until and t < revoked_at. */
	if (k->has_revoked && rb_time_cmp(t, &k->revoked_at) >= 0)
		return RB_KEY_REVOKED;
	if (rb_time_cmp(t, &k->valid_from) < 0)
		return RB_KEY_NOT_YET;
	if (k->has_until && rb_time_cmp(t, &k->valid_until) >= 0)
		return RB_KEY_EXPIRED;
	return RB_KEY_VALID;
}

cJSON *rb_tkey_entry(const char *name, const char *identity,
		     const uint8_t pub[32], const char *roles_csv,
		     const struct rb_time *valid_from)
{
	cJSON *o = cJSON_CreateObject(), *roles;
	char b64[48], ts[RB_TIME_MAX];
	const char *p = roles_csv;

	if (o == NULL)
		return NULL;
	rb_b64_encode(pub, 32, b64);
	rb_time_format(valid_from, ts);
	cJSON_AddStringToObject(o, "name", name);
	if (identity != NULL)
		cJSON_AddStringToObject(o, "identity", identity);
	cJSON_AddStringToObject(o, "algorithm", "ed25519");
	cJSON_AddStringToObject(o, "public_key", b64);
	roles = cJSON_AddArrayToObject(o, "roles");
	while (roles != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char word[64];

		if (n > 0 && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			cJSON_AddItemToArray(roles, cJSON_CreateString(word));
		}
		p += n + (comma != NULL);
	}
	cJSON_AddStringToObject(o, "valid_from", ts);
	cJSON_AddNullToObject(o, "valid_until");
	cJSON_AddNullToObject(o, "revoked_at");
	return o;
}

int rb_trust_log_change(const char *path, const char *command, const char *before_hex,
			const char *after_hex, struct rb_err *e)
{
	struct rb_time now = rb_time_now();
	char log[4096], ts[RB_TIME_MAX], *line = NULL;
	cJSON *o = cJSON_CreateObject();
	size_t n;
	int fd = -1, rc = -1;

	rb_time_format(&now, ts);
	if (snprintf(log, sizeof(log), "%s.log", path) >= (int)sizeof(log)) {
		RB_ERR(e, RB_EX_USAGE, "path too long: '%s'", path);
		goto out;
	}
	if (o == NULL || cJSON_AddStringToObject(o, "time", ts) == NULL ||
	    cJSON_AddStringToObject(o, "command", command) == NULL ||
	    (before_hex ? cJSON_AddStringToObject(o, "before_sha256", before_hex) :
	     cJSON_AddNullToObject(o, "before_sha256")) == NULL ||
	    cJSON_AddStringToObject(o, "after_sha256", after_hex) == NULL ||
	    (line = cJSON_PrintUnformatted(o)) == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot open the change log '%s': %s", log,
		       strerror(errno));
		goto out;
	}
	n = strlen(line);
	line[n] = '\n';        /* cJSON's buffer: replace the NUL, write n + 1 */
	if (write(fd, line, n + 1) != (ssize_t)(n + 1) || fsync(fd) != 0) {
		RB_ERR(e, RB_EX_IOERR, "cannot write the change log '%s': %s", log,
		       strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	cJSON_free(line);
	cJSON_Delete(o);
	return rc;
}

void rb_tkey_window(const rb_tkey *k, char *out, size_t n)
{
	char from[RB_TIME_MAX], until[RB_TIME_MAX] = "", rev[RB_TIME_MAX] = "";

	rb_time_format(rb_tkey_valid_from(k), from);
	if (rb_tkey_valid_until(k) != NULL)
		rb_time_format(rb_tkey_valid_until(k), until);
	if (rb_tkey_revoked_at(k) != NULL)
		rb_time_format(rb_tkey_revoked_at(k), rev);
	snprintf(out, n, "valid from %s%s%s%s%s", from, until[0] ? " until " : ", with no end",
		 until, rev[0] ? ", revoked at " : "", rev);
}
