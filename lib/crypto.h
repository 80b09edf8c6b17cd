/*
 * crypto.h - thin wrappers over OpenSSL: SHA-256, Ed25519, base64, hex.
 *
 * Ownership: every *_new / *_load / *_generate returns an object the caller
 * frees with the matching *_free, which accepts NULL.  Functions returning
 * int follow err.h (0 ok, -1 with *e filled) unless they say otherwise.
 * Public keys (rb_pubkey) are immutable after creation and may be used for
 * verification from several threads at once.
 */
#ifndef RB_CRYPTO_H
#define RB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RB_SHA256_LEN 32
#define RB_ED25519_PUB_LEN 32
#define RB_ED25519_SEED_LEN 32
#define RB_ED25519_SIG_LEN 64

/* One-shot SHA-256 of buf[0..len) into out.  Never fails. */
void rb_sha256(const void *buf, size_t len, uint8_t out[RB_SHA256_LEN]);

/* SHA-256 of the concatenation of two buffers (for 0x00||x, 0x01||l||r). */
void rb_sha256_2(const void *a, size_t alen, const void *b, size_t blen,
		 uint8_t out[RB_SHA256_LEN]);

/* Streaming SHA-256. */
typedef struct rb_sha256_ctx rb_sha256_ctx;
/*
 * SHA-256 and size of a file, read in chunks (memory does not grow with the
 * file).  Returns 0, or -1 with e set (RB_EX_NOINPUT when it cannot be read).
 */
int rb_sha256_file(const char *path, uint8_t out[RB_SHA256_LEN], long long *size,
		   struct rb_err *e);
rb_sha256_ctx *rb_sha256_new(void);            /* NULL when out of memory */
void rb_sha256_update(rb_sha256_ctx *c, const void *buf, size_t len);
void rb_sha256_final(rb_sha256_ctx *c, uint8_t out[RB_SHA256_LEN]);
void rb_sha256_free(rb_sha256_ctx *c);
/* Start c again, as new: one context for many digests, no allocation. */
void rb_sha256_reset(rb_sha256_ctx *c);

/* Ed25519 public key. */
typedef struct rb_pubkey rb_pubkey;
int rb_pubkey_new(const uint8_t raw[RB_ED25519_PUB_LEN], rb_pubkey **out,
		  struct rb_err *e);
/* 1 when sig is a valid Ed25519 signature of msg under k, else 0. */
int rb_pubkey_verify(const rb_pubkey *k, const void *msg, size_t len,
		     const uint8_t sig[RB_ED25519_SIG_LEN]);
const uint8_t *rb_pubkey_raw(const rb_pubkey *k);
void rb_pubkey_free(rb_pubkey *k);

/* Ed25519 private key.  Key bytes are wiped on free. */
typedef struct rb_privkey rb_privkey;
int rb_privkey_generate(rb_privkey **out, struct rb_err *e);
int rb_privkey_from_seed(const uint8_t seed[RB_ED25519_SEED_LEN],
			 rb_privkey **out, struct rb_err *e);
/*
 * Load a PKCS#8 PEM private key.  Refuses a file that is readable or
 * writable by group or others (RB_EX_CONFIG), as ssh does.
 */
int rb_privkey_load(const char *path, rb_privkey **out, struct rb_err *e);
/* Write the key as PKCS#8 PEM to a new file of mode 0600 (never overwrites). */
int rb_privkey_save(const rb_privkey *k, const char *path, struct rb_err *e);
int rb_privkey_sign(const rb_privkey *k, const void *msg, size_t len,
		    uint8_t sig[RB_ED25519_SIG_LEN], struct rb_err *e);
void rb_privkey_public(const rb_privkey *k, uint8_t raw[RB_ED25519_PUB_LEN]);
void rb_privkey_free(rb_privkey *k);

/* Base64 (standard alphabet, padded).  Encoded length, without NUL. */
size_t rb_b64_enclen(size_t n);
/* Encode into out, which has room for rb_b64_enclen(n) + 1 bytes. */
void rb_b64_encode(const void *in, size_t n, char *out);
/*
 * Decode strictly: only the standard alphabet, length a multiple of 4,
 * padding only at the end.  out has room for 3 * (n / 4) bytes.  Returns
 * the decoded length, or -1 when the input is not valid base64.
 */
long rb_b64_decode(const char *in, size_t n, uint8_t *out);

/* Lowercase hex.  out has room for 2n + 1 bytes. */
void rb_hex_encode(const void *in, size_t n, char *out);
/* Decode exactly 2n lowercase hex digits into n bytes; 0 ok, -1 invalid. */
int rb_hex_decode(const char *in, size_t n, uint8_t *out);

/* Constant-time equality of two buffers of length n: 1 equal, 0 not. */
int rb_ct_equal(const void *a, const void *b, size_t n);

/* Wipe memory that held secrets. */
void rb_wipe(void *p, size_t n);

#endif
