/* crypto.c - Ed25519 through libsodium; SHA-256, base64, hex and key files through OpenSSL. */
#include "crypto.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sodium.h>

struct rb_sha256_ctx {
	EVP_MD_CTX *md;
};

struct rb_pubkey {
	uint8_t raw[RB_ED25519_PUB_LEN];
};

struct rb_privkey {
	uint8_t sk[crypto_sign_SECRETKEYBYTES];         /* seed || public key */
};

/*
 * SHA-256 fetched from the provider once: SHA256() and EVP_sha256() look it
 * up again (under a lock shared by every thread) on each call.
 */
static const EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);

	sha256_md = md != NULL ? md : EVP_sha256();
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md;
}

void rb_sha256(const void *buf, size_t len, uint8_t out[RB_SHA256_LEN])
{
	if (EVP_Digest(buf, len, out, NULL, sha256(), NULL) != 1)
		abort();        /* only when out of memory: nothing sane is left */
}

void rb_sha256_2(const void *a, size_t alen, const void *b, size_t blen,
		 uint8_t out[RB_SHA256_LEN])
{
	uint8_t small[256];
	rb_sha256_ctx *c;

	/* Merkle nodes are 65 bytes: hash them from the stack, no allocation. */
	if (alen + blen <= sizeof(small)) {
		memcpy(small, a, alen);
		memcpy(small + alen, b, blen);
		rb_sha256(small, alen + blen, out);
		return;
	}
	c = rb_sha256_new();
	if (c == NULL)
		abort();        /* a few bytes of memory: nothing sane is left to do */
	rb_sha256_update(c, a, alen);
	rb_sha256_update(c, b, blen);
	rb_sha256_final(c, out);
	rb_sha256_free(c);
}

int rb_sha256_file(const char *path, uint8_t out[RB_SHA256_LEN], long long *size,
		   struct rb_err *e)
{
	rb_sha256_ctx *c = NULL;
	char *buf = NULL;
	long long total = 0;
	ssize_t got;
	int fd, rc = -1;

	fd = rb_open_input(path, e);
	if (fd < 0)
		return -1;
	c = rb_sha256_new();
	buf = malloc(1u << 16);
	if (c == NULL || buf == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	while ((got = read(fd, buf, 1u << 16)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			RB_ERR(e, RB_EX_IOERR, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		rb_sha256_update(c, buf, (size_t)got);
		total += got;
	}
	rb_sha256_final(c, out);
	*size = total;
	rc = 0;
out:
	rb_sha256_free(c);
	free(buf);
	close(fd);
	return rc;
}

rb_sha256_ctx *rb_sha256_new(void)
{
	rb_sha256_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->md);
		free(c);
		return NULL;
	}
	return c;
}

void rb_sha256_update(rb_sha256_ctx *c, const void *buf, size_t len)
{
	EVP_DigestUpdate(c->md, buf, len);
}

void rb_sha256_final(rb_sha256_ctx *c, uint8_t out[RB_SHA256_LEN])
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(c->md, out, &n);
}

void rb_sha256_reset(rb_sha256_ctx *c)
{
	if (EVP_DigestInit_ex(c->md, sha256(), NULL) != 1)
		abort();        /* the digest was fetched once already: cannot fail */
}

void rb_sha256_free(rb_sha256_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

/* libsodium chooses its code for this CPU once, before any other call. */
static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;

static void sodium_start(void)
{
	sodium_ok = sodium_init() >= 0;
}

static int sodium_ready(struct rb_err *e)
{
	pthread_once(&sodium_once, sodium_start);
	return sodium_ok ? 0 : RB_ERR(e, RB_EX_SOFTWARE, "cannot start libsodium");
}

int rb_pubkey_new(const uint8_t raw[RB_ED25519_PUB_LEN], rb_pubkey **out,
		  struct rb_err *e)
{
	rb_pubkey *k;

	*out = NULL;
	if (sodium_ready(e) != 0)
		return -1;
	/*
	 * A key must be the canonical encoding of a point of the prime-order
	 * subgroup: small-order keys (which "verify" signatures of any message)
	 * and keys with a small-order component are refused here, where the
	 * trust store is read, not signature by signature (docs/FORMATS.md).
	 */
	if (!crypto_core_ed25519_is_valid_point(raw))
		return RB_ERR(e, RB_EX_DATAERR, "invalid Ed25519 public key (not the canonical "
			      "encoding of a point of prime order)");
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	memcpy(k->raw, raw, RB_ED25519_PUB_LEN);
	*out = k;
	return 0;
}

int rb_pubkey_verify(const rb_pubkey *k, const void *msg, size_t len,
		     const uint8_t sig[RB_ED25519_SIG_LEN])
{
	return crypto_sign_verify_detached(sig, msg, len, k->raw) == 0;
}

const uint8_t *rb_pubkey_raw(const rb_pubkey *k)
{
	return k->raw;
}

void rb_pubkey_free(rb_pubkey *k)
{
	free(k);
}

/* A key from its seed: libsodium's secret key is seed || public key. */
static int privkey_of_seed(const uint8_t seed[RB_ED25519_SEED_LEN], rb_privkey **out,
			   struct rb_err *e)
{
	uint8_t pk[RB_ED25519_PUB_LEN];
	rb_privkey *k;

	*out = NULL;
	if (sodium_ready(e) != 0)
		return -1;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (crypto_sign_seed_keypair(pk, k->sk, seed) != 0) {
		rb_privkey_free(k);
		return RB_ERR(e, RB_EX_SOFTWARE, "cannot make an Ed25519 key");
	}
	*out = k;
	return 0;
}

int rb_privkey_generate(rb_privkey **out, struct rb_err *e)
{
	uint8_t seed[RB_ED25519_SEED_LEN];
	int rc;

	*out = NULL;
	if (sodium_ready(e) != 0)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	rc = privkey_of_seed(seed, out, e);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int rb_privkey_from_seed(const uint8_t seed[RB_ED25519_SEED_LEN],
			 rb_privkey **out, struct rb_err *e)
{
	return privkey_of_seed(seed, out, e);
}

/* The PKCS#8 PEM file's key: OpenSSL reads the file, libsodium keeps the key. */
static int privkey_of_pem(FILE *f, const char *path, rb_privkey **out, struct rb_err *e)
{
	EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	uint8_t seed[RB_ED25519_SEED_LEN];
	size_t n = sizeof(seed);
	int rc;

	if (pkey == NULL)
		return RB_ERR_SSL(e, RB_EX_DATAERR, "cannot read private key '%s'", path);
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return RB_ERR(e, RB_EX_DATAERR, "'%s' is not an Ed25519 private key", path);
	}
	if (EVP_PKEY_get_raw_private_key(pkey, seed, &n) != 1 || n != sizeof(seed)) {
		EVP_PKEY_free(pkey);
		sodium_memzero(seed, sizeof(seed));
		return RB_ERR_SSL(e, RB_EX_DATAERR, "cannot read private key '%s'", path);
	}
	EVP_PKEY_free(pkey);    /* OpenSSL cleanses its copy */
	rc = privkey_of_seed(seed, out, e);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int rb_privkey_load(const char *path, rb_privkey **out, struct rb_err *e)
{
	FILE *f = NULL;
	struct stat st;
	int rc = -1;

	*out = NULL;
	{
		int fd = rb_open_input(path, e);

		if (fd < 0)
			goto out;
		f = fdopen(fd, "rb");
		if (f == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			goto out;
		}
	}
	if (fstat(fileno(f), &st) != 0) {
		RB_ERR(e, RB_EX_IOERR, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		RB_ERR(e, RB_EX_CONFIG,
		       "private key '%s' is accessible by group or others (mode %03o); "
		       "run: chmod 600 '%s'", path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	rc = privkey_of_pem(f, path, out, e);
out:
	if (f != NULL)
		fclose(f);
	return rc;
}

/* The key as PKCS#8 PEM on f (OpenSSL writes the format). */
static int write_pem(const rb_privkey *k, FILE *f, const char *path, struct rb_err *e)
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->sk,
						      RB_ED25519_SEED_LEN);
	int rc = 0;

	if (pkey == NULL)
		return RB_ERR_SSL(e, RB_EX_SOFTWARE, "cannot write '%s'", path);
	if (PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		rc = RB_ERR_SSL(e, RB_EX_IOERR, "cannot write '%s'", path);
	EVP_PKEY_free(pkey);
	return rc;
}

int rb_privkey_save(const rb_privkey *k, const char *path, struct rb_err *e)
{
	FILE *f = NULL;
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", path,
			      strerror(errno));
	f = fdopen(fd, "wb");
	if (f == NULL) {
		close(fd);
		RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	if (write_pem(k, f, path, e) != 0)
		goto out;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", path, strerror(errno));
	if (rc != 0)
		unlink(path);
	return rc;
}

int rb_privkey_sign(const rb_privkey *k, const void *msg, size_t len,
		    uint8_t sig[RB_ED25519_SIG_LEN], struct rb_err *e)
{
	if (crypto_sign_detached(sig, NULL, msg, len, k->sk) != 0)
		return RB_ERR(e, RB_EX_SOFTWARE, "Ed25519 signing failed");
	return 0;
}

void rb_privkey_public(const rb_privkey *k, uint8_t raw[RB_ED25519_PUB_LEN])
{
	memcpy(raw, k->sk + RB_ED25519_SEED_LEN, RB_ED25519_PUB_LEN);
}

void rb_privkey_free(rb_privkey *k)
{
	if (k == NULL)
		return;
	sodium_memzero(k->sk, sizeof(k->sk));
	free(k);
}

size_t rb_b64_enclen(size_t n)
{
	return 4 * ((n + 2) / 3);
}

void rb_b64_encode(const void *in, size_t n, char *out)
{
	/* EVP_EncodeBlock takes an int length; our inputs are far smaller. */
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* The standard alphabet (RFC 4648 §4), as a table: one load per character. */
static const unsigned char b64_alphabet[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
	['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
	['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['/'] = 1,
};

long rb_b64_decode(const char *in, size_t n, uint8_t *out)
{
	size_t i, pad = 0;
	int got;

	if (n % 4 != 0 || n > (size_t)0x7ffffffc)
		return -1;
	if (n == 0)
		return 0;
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	/*
	 * EVP_DecodeBlock skips surrounding white space and does not check
	 * where padding stands, so the alphabet and the padding are checked
	 * here first; the decoding itself is OpenSSL's.
	 */
	for (i = 0; i < n - pad; i++)
		if (!b64_alphabet[(unsigned char)in[i]])
			return -1;
	got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (got < 0)
		return -1;
	return (long)got - (long)pad;
}

void rb_hex_encode(const void *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = in;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int rb_hex_decode(const char *in, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = hexval(in[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int rb_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void rb_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
