/*
 * test_crypto.c - focus: the crypto wrappers give the published answers:
 * Ed25519 against RFC 8032 §7.1 and the edge cases of "Taming the many
 * EdDSAs" (tests/data/ed25519), SHA-256 against FIPS 180-2, the DSSE PAE
 * against the DSSE protocol's example, and strict base64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "lib/crypto.h"
#include "lib/dsse.h"
#include "testutil.h"

#define ED "tests/data/ed25519"

static cJSON *load_json(const char *path)
{
	size_t n;
	char *text = tu_slurp(path, &n);
	cJSON *doc = cJSON_ParseWithLength(text, n);

	free(text);
	assert_non_null(doc);
	return doc;
}

/* hex member of o into a new buffer of *n bytes. */
static uint8_t *hex_of(const cJSON *o, const char *name, size_t *n)
{
	const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
	uint8_t *out;

	assert_non_null(h);
	*n = strlen(h) / 2;
	out = malloc(*n + 1);
	assert_non_null(out);
	tu_unhex(h, out, *n);
	return out;
}

/* RFC 8032 §7.1, all five: the key from the seed, the signature, and its verification. */
static void ed25519_rfc8032_sign_and_verify(void **state)
{
	cJSON *doc = load_json(ED "/rfc8032.json"), *v;
	int count = 0;

	(void)state;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(doc, "vectors")) {
		size_t ls, lp, lm, lg;
		uint8_t *seed = hex_of(v, "secret_key", &ls), *pub = hex_of(v, "public_key", &lp);
		uint8_t *msg = hex_of(v, "message", &lm), *want = hex_of(v, "signature", &lg);
		uint8_t got[64], raw[32];
		rb_privkey *k = NULL;
		rb_pubkey *pk = NULL;

		assert_int_equal(ls, 32);
		assert_int_equal(lg, 64);
		assert_int_equal(rb_privkey_from_seed(seed, &k, NULL), 0);
		rb_privkey_public(k, raw);
		assert_memory_equal(raw, pub, 32);
		assert_int_equal(rb_privkey_sign(k, msg, lm, got, NULL), 0);
		assert_memory_equal(got, want, 64);
		assert_int_equal(rb_pubkey_new(pub, &pk, NULL), 0);
		assert_int_equal(rb_pubkey_verify(pk, msg, lm, want), 1);
		/* One bit off in the signature or the message: no longer valid. */
		want[0] ^= 1;
		assert_int_equal(rb_pubkey_verify(pk, msg, lm, want), 0);
		want[0] ^= 1;
		want[63] ^= 0x10;       /* S's top bit: above L (not canonical), or wrong */
		assert_int_equal(rb_pubkey_verify(pk, msg, lm, want), 0);
		want[63] ^= 0x10;
		msg[lm] = 0x01;
		assert_int_equal(rb_pubkey_verify(pk, msg, lm + 1, want), 0);
		rb_pubkey_free(pk);
		rb_privkey_free(k);
		free(seed);
		free(pub);
		free(msg);
		free(want);
		count++;
	}
	assert_int_equal(count, 5);
	cJSON_Delete(doc);
}

/*
 * The twelve edge cases of "Taming the many EdDSAs": libsodium gives the
 * verdicts the paper's table gives it, and rbaudit accepts none of them,
 * refusing every key that is not of prime order where keys are read.
 */
static void ed25519_edge_cases(void **state)
{
	cJSON *doc = load_json(ED "/speccheck.json"), *c;
	int count = 0;

	(void)state;
	assert_true(sodium_init() >= 0);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "cases")) {
		size_t lm, lp, lg;
		uint8_t *msg = hex_of(c, "message", &lm), *pub = hex_of(c, "public_key", &lp);
		uint8_t *sig = hex_of(c, "signature", &lg);
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "A"));
		int sodium = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "libsodium_1_0_18"));
		rb_pubkey *pk = NULL;
		struct rb_err e;
		int key_ok;

		assert_int_equal(lp, 32);
		assert_int_equal(lg, 64);
		assert_int_equal(crypto_sign_verify_detached(sig, msg, lm, pub) == 0, sodium);
		key_ok = rb_pubkey_new(pub, &pk, &e) == 0;
		/* Only the keys of prime order are taken (cases 6 and 7). */
		assert_int_equal(key_ok, strcmp(a, "order L") == 0);
		if (key_ok)
			assert_int_equal(rb_pubkey_verify(pk, msg, lm, sig), 0);
		else
			assert_non_null(strstr(e.msg, "prime order"));
		rb_pubkey_free(pk);
		free(msg);
		free(pub);
		free(sig);
		count++;
	}
	assert_int_equal(count, 12);
	cJSON_Delete(doc);
}

static void sha256_known_answers(void **state)
{
	uint8_t d[32], want[32];
	rb_sha256_ctx *c;

	(void)state;
	tu_unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	rb_sha256("abc", 3, d);
	assert_memory_equal(d, want, 32);
	rb_sha256_2("a", 1, "bc", 2, d);
	assert_memory_equal(d, want, 32);
	c = rb_sha256_new();
	rb_sha256_update(c, "ab", 2);
	rb_sha256_update(c, "c", 1);
	rb_sha256_final(c, d);
	rb_sha256_free(c);
	assert_memory_equal(d, want, 32);
	tu_unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
	rb_sha256("", 0, d);
	assert_memory_equal(d, want, 32);
}

static void dsse_pae_known_answer(void **state)
{
	char buf[128];
	size_t n;

	(void)state;
	/* The example of the DSSE protocol document. */
	n = rb_dsse_pae_header("http://example.com/HelloWorld", 11, buf, sizeof(buf));
	memcpy(buf + n, "hello world", 12);
	assert_string_equal(buf, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	n = rb_dsse_pae_header("", 0, buf, sizeof(buf));
	assert_int_equal(n, 12);
	assert_string_equal(buf, "DSSEv1 0  0 ");
	assert_int_equal(rb_dsse_pae_header("type", 5, buf, 8), 0);
}

static void base64_strict(void **state)
{
	uint8_t out[16];
	char enc[16];

	(void)state;
	assert_int_equal(rb_b64_decode("Zm9vYg==", 8, out), 4);
	assert_memory_equal(out, "foob", 4);
	assert_int_equal(rb_b64_decode("Zm9vYmE=", 8, out), 5);
	assert_int_equal(rb_b64_decode("Zm9vYmFy", 8, out), 6);
	assert_int_equal(rb_b64_decode("", 0, out), 0);
	assert_int_equal(rb_b64_decode("Zm9vYg=", 7, out), -1);     /* length */
	assert_int_equal(rb_b64_decode("Zm9v Yg=", 8, out), -1);    /* space */
	assert_int_equal(rb_b64_decode(" m9vYg==", 8, out), -1);
	assert_int_equal(rb_b64_decode("Zm9vYg==\n", 9, out), -1);
	assert_int_equal(rb_b64_decode("Zm=vYg==", 8, out), -1);    /* inner pad */
	assert_int_equal(rb_b64_decode("Zm9v-_==", 8, out), -1);    /* URL alphabet */
	assert_int_equal(rb_b64_decode("Zg=a", 4, out), -1);
	rb_b64_encode("foob", 4, enc);
	assert_string_equal(enc, "Zm9vYg==");
	assert_int_equal(rb_b64_enclen(4), 8);
}

static void hex_round_trip(void **state)
{
	uint8_t b[3];
	char h[7];

	(void)state;
	assert_int_equal(rb_hex_decode("00ff7a", 3, b), 0);
	rb_hex_encode(b, 3, h);
	assert_string_equal(h, "00ff7a");
	assert_int_equal(rb_hex_decode("00FF7a", 3, b), -1);        /* uppercase */
	assert_int_equal(rb_hex_decode("0g0000", 3, b), -1);
	assert_int_equal(rb_ct_equal("abc", "abc", 3), 1);
	assert_int_equal(rb_ct_equal("abc", "abd", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ed25519_rfc8032_sign_and_verify),
		cmocka_unit_test(ed25519_edge_cases),
		cmocka_unit_test(sha256_known_answers),
		cmocka_unit_test(dsse_pae_known_answer),
		cmocka_unit_test(base64_strict),
		cmocka_unit_test(hex_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
