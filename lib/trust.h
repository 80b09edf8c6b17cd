/*
 * trust.h - the trust store (ledger-export-v1 §6) and C2SP key strings.
 *
 * An rb_trust holds the keys of a keys.json file and the JSON document
 * itself, so that saving keeps members rbaudit does not know.  Keys
 * (rb_tkey) belong to the store and live as long as it does.  A loaded
 * store is read-only and may be shared between threads.
 */
#ifndef RB_TRUST_H
#define RB_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "crypto.h"
#include "err.h"
#include "rtime.h"

typedef struct rb_trust rb_trust;
typedef struct rb_tkey rb_tkey;

/* Longest key name; names are also file names, so they are restricted. */
#define RB_KEYNAME_MAX 128
/* Length of a C2SP verifier key string for the longest name, NUL included. */
#define RB_KEYSTRING_MAX (RB_KEYNAME_MAX + 64)

/*
 * C2SP signature types, the byte hashed into a key ID and written before
 * the public key in a verifier key string: an Ed25519 note signature
 * (checkpoints, MANIFESTs) and an Ed25519 cosignature (c2sp.org/
 * tlog-cosignature), which is a witness's.
 */
#define RB_SIGTYPE_ED25519 0x01
#define RB_SIGTYPE_COSIGNATURE 0x04

/* Most witnesses a witness policy names (a note holds 100 signature lines at most). */
#define RB_WITNESS_MAX 100

/* Where a key stands at a time t (§6). */
enum rb_key_state {
	RB_KEY_VALID = 0,
	RB_KEY_NOT_YET,         /* t < valid_from */
	RB_KEY_EXPIRED,         /* t >= valid_until */
	RB_KEY_REVOKED          /* t >= revoked_at */
};

/* An empty store. */
int rb_trust_new(rb_trust **out, struct rb_err *e);

/*
 * Load path.  A missing file is RB_EX_NOINPUT; a malformed one
 * RB_EX_DATAERR with the member at fault named.  A key may not hold the
 * role witness beside checkpoint or report (a key has one key ID and one
 * key string, of one signature type).  The optional member
 * "witness_policy": {"quorum": N, "witnesses": [NAME, ...]} (after
 * c2sp.org/tlog-policy) must name distinct keys of the store with role
 * witness, at most RB_WITNESS_MAX, with 1 <= N <= their number.
 */
int rb_trust_load(const char *path, rb_trust **out, struct rb_err *e);

/* Write the store to path atomically (mode 0644: it holds public keys). */
int rb_trust_save(const rb_trust *t, const char *path, struct rb_err *e);

void rb_trust_free(rb_trust *t);

/*
 * Add one key entry (a copy of the JSON object is kept).  Adding a key whose
 * name exists is an error unless the entry is identical (then *added is 0);
 * so is adding a public key the store holds under another name.
 */
int rb_trust_add(rb_trust *t, const cJSON *entry, int *added, struct rb_err *e);

/*
 * Add the key entry of the file path (a NAME.pub.json as keygen writes it),
 * as rb_trust_add; *key is then that key in t.  Errors name the file.
 */
int rb_trust_add_file(rb_trust *t, const char *path, int *added, const rb_tkey **key,
		      struct rb_err *e);

/*
 * Set revoked_at of key name to at.  RB_EX_DATAERR when there is no such
 * key, when at is before its valid_from, or when it is revoked already at an
 * earlier time (a later one would make entries valid again; an earlier one
 * only widens the revocation).
 */
int rb_trust_revoke(rb_trust *t, const char *name, const struct rb_time *at,
		    struct rb_err *e);

/* Set valid_until of key name to at, under the same rules as revoke. */
int rb_trust_set_valid_until(rb_trust *t, const char *name, const struct rb_time *at,
			     struct rb_err *e);

/*
 * Append one line to PATH.log, the trust store's change log: a JSON object
 * with the time, the command and the SHA-256 of the file before (null when
 * it did not exist) and after.  Created 0644 (it holds no secret).
 */
int rb_trust_log_change(const char *path, const char *command, const char *before_hex,
			const char *after_hex, struct rb_err *e);

/*
 * Replace the store's witness policy by quorum of the n witnesses names
 * (checked as rb_trust_load checks the member: RB_EX_DATAERR naming what
 * is wrong, the store unchanged), or remove it when quorum and n are 0.
 */
int rb_trust_set_witness_policy(rb_trust *t, int quorum, const char *const *names, size_t n,
				struct rb_err *e);

/* The witness policy's quorum, 0 when the store has no policy. */
int rb_trust_witness_quorum(const rb_trust *t);
/* The policy's witnesses (0 without a policy): keys of the store, in its order. */
size_t rb_trust_witness_count(const rb_trust *t);
const rb_tkey *rb_trust_witness_at(const rb_trust *t, size_t i);

size_t rb_trust_count(const rb_trust *t);
const rb_tkey *rb_trust_at(const rb_trust *t, size_t i);
/* The key of that name, or NULL. */
const rb_tkey *rb_trust_find(const rb_trust *t, const char *name, size_t len);

const char *rb_tkey_name(const rb_tkey *k);
const char *rb_tkey_identity(const rb_tkey *k);     /* NULL when none */
/* Its normal form (metrics-v1 §8.1, lib/ident.h), NULL when none. */
const char *rb_tkey_identity_normal(const rb_tkey *k);
const rb_pubkey *rb_tkey_pub(const rb_tkey *k);
int rb_tkey_has_role(const rb_tkey *k, const char *role);
/* Roles joined with commas into out. */
void rb_tkey_roles(const rb_tkey *k, char *out, size_t n);
const struct rb_time *rb_tkey_valid_from(const rb_tkey *k);
const struct rb_time *rb_tkey_valid_until(const rb_tkey *k); /* NULL if unset */
const struct rb_time *rb_tkey_revoked_at(const rb_tkey *k);  /* NULL if unset */
/*
 * The 4-byte C2SP key hash (key ID) of this key: of type
 * RB_SIGTYPE_COSIGNATURE for a key with role witness, else RB_SIGTYPE_ED25519.
 */
const uint8_t *rb_tkey_keyhash(const rb_tkey *k);
/* Its C2SP verifier key string, of the same type as its key hash, into out. */
void rb_tkey_keystring(const rb_tkey *k, char out[RB_KEYSTRING_MAX]);
enum rb_key_state rb_tkey_state(const rb_tkey *k, const struct rb_time *t);

/* The key's window in words, "valid from A until B, revoked at C", into out. */
void rb_tkey_window(const rb_tkey *k, char *out, size_t n);

/* 1 when name is an acceptable key name (also used as a file name). */
int rb_keyname_valid(const char *name);

/* First 4 bytes of SHA-256(name || 0x0A || 0x01 || pub): C2SP key hash. */
void rb_note_keyhash(const char *name, const uint8_t pub[32], uint8_t out[4]);
/* The same with another signature type byte (RB_SIGTYPE_...) for 0x01. */
void rb_note_keyhash_type(const char *name, const uint8_t pub[32], uint8_t type,
			  uint8_t out[4]);

/* "<name>+<8 hex key hash>+<base64(0x01 || pub)>" into out. */
void rb_keystring(const char *name, const uint8_t pub[32],
		  char out[RB_KEYSTRING_MAX]);
/* The same of another signature type (0x04: a witness's verifier key). */
void rb_keystring_type(const char *name, const uint8_t pub[32], uint8_t type,
		       char out[RB_KEYSTRING_MAX]);

/* A trust-store entry for a new public key; the caller cJSON_Deletes it. */
cJSON *rb_tkey_entry(const char *name, const char *identity,
		     const uint8_t pub[32], const char *roles_csv,
		     const struct rb_time *valid_from);

#endif
