/*
 * test_crypto.c - focus: the OpenSSL wrappers give the published answers:
 * Ed25519 against RFC 8032 §7.1, SHA-256 against FIPS 180-2, the DSSE PAE
 * against the DSSE protocol's example, and strict base64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/crypto.h"
#include "lib/dsse.h"
#include "testutil.h"

static const struct {
	const char *seed, *pub, *msg, *sig;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

static void ed25519_rfc8032_sign_and_verify(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
		uint8_t seed[32], pub[32], want[64], got[64], msg[8], raw[32];
		size_t mlen = strlen(rfc8032[i].msg) / 2;
		rb_privkey *k = NULL;
		rb_pubkey *pk = NULL;

		tu_unhex(rfc8032[i].seed, seed, 32);
		tu_unhex(rfc8032[i].pub, pub, 32);
		tu_unhex(rfc8032[i].sig, want, 64);
		tu_unhex(rfc8032[i].msg, msg, mlen);
		assert_int_equal(rb_privkey_from_seed(seed, &k, NULL), 0);
		rb_privkey_public(k, raw);
		assert_memory_equal(raw, pub, 32);
		assert_int_equal(rb_privkey_sign(k, msg, mlen, got, NULL), 0);
		assert_memory_equal(got, want, 64);
		assert_int_equal(rb_pubkey_new(pub, &pk, NULL), 0);
		assert_int_equal(rb_pubkey_verify(pk, msg, mlen, want), 1);
		/* One bit off in the signature or the message: no longer valid. */
		want[0] ^= 1;
		assert_int_equal(rb_pubkey_verify(pk, msg, mlen, want), 0);
		want[0] ^= 1;
		msg[mlen] = 0x01;
		assert_int_equal(rb_pubkey_verify(pk, msg, mlen + 1, want), 0);
		rb_pubkey_free(pk);
		rb_privkey_free(k);
	}
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
		cmocka_unit_test(sha256_known_answers),
		cmocka_unit_test(dsse_pae_known_answer),
		cmocka_unit_test(base64_strict),
		cmocka_unit_test(hex_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
