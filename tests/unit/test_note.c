/*
 * test_note.c - focus: C2SP signed-note checkpoints and the trust store.
 * The vector checkpoint parses and verifies; its key string matches the
 * one an independent implementation computes; every malformation and a
 * key without the checkpoint role are refused; a note we sign verifies;
 * revision 2 of ledger-export-v1 §4: a failing trusted signature spoils a
 * note, and extension lines are signed text; a note with an ASCII control
 * character other than a newline is refused; witness cosignatures
 * (c2sp.org/tlog-cosignature), computed here with libsodium alone from the
 * spec, verify, and rbaudit's own are the same bytes; a failing one of a
 * trusted witness is an error, unknown ones are ignored; the trust store's
 * witness_policy and witness role are checked on load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/note.h"
#include "lib/trust.h"
#include "testutil.h"

#define VEC "tests/data/vectors"

static void vector_checkpoint_verifies(void **state)
{
	rb_trust *t = NULL;
	rb_checkpoint *cp = NULL;
	char why[160], b64[48];
	size_t len;
	char *text = tu_slurp(VEC "/export-2026-08/checkpoint", &len);
	const rb_tkey *k;

	(void)state;
	assert_int_equal(rb_trust_load(VEC "/keys.json", &t, NULL), 0);
	assert_int_equal(rb_checkpoint_parse(text, len, &cp, why, sizeof(why)), 0);
	assert_string_equal(rb_checkpoint_origin(cp), "acme.example/rollback-ledger");
	assert_int_equal(rb_checkpoint_size(cp), 469);
	rb_b64_encode(rb_checkpoint_root(cp), 32, b64);
	assert_string_equal(b64, "iSD/Ey0H7G2cqh+EoHClzhYEzzigammutXJiOkhGpFw=");
	k = rb_checkpoint_verify(cp, t, "checkpoint");
	assert_non_null(k);
	assert_string_equal(rb_tkey_name(k), "acme-ledger-2026");
	assert_null(rb_checkpoint_verify(cp, t, "report"));
	rb_checkpoint_free(cp);
	/* One changed character of the root: parses, no longer verifies. */
	text[40] = text[40] == 'A' ? 'B' : 'A';
	assert_int_equal(rb_checkpoint_parse(text, len, &cp, why, sizeof(why)), 0);
	assert_null(rb_checkpoint_verify(cp, t, "checkpoint"));
	rb_checkpoint_free(cp);
	free(text);
	rb_trust_free(t);
}

static void keystring_matches_independent_value(void **state)
{
	rb_trust *t = NULL;
	char ks[RB_KEYSTRING_MAX];
	const rb_tkey *k;

	(void)state;
	assert_int_equal(rb_trust_load(VEC "/keys.json", &t, NULL), 0);
	k = rb_trust_find(t, "acme-ledger-2026", 16);
	assert_non_null(k);
	rb_keystring(rb_tkey_name(k), rb_pubkey_raw(rb_tkey_pub(k)), ks);
	/* Computed by tests/indep/ledger_export.py keystring. */
	assert_string_equal(ks, "acme-ledger-2026+2bc82721+AQSpoj67VKA1RBlUeu0FBObEjRZpv2r7eu+5lS44ZWua");
	rb_trust_free(t);
}

static void malformed_notes_are_refused(void **state)
{
	static const char *bad[] = {
		"",
		"origin\n1\n",
		"origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",
		"origin\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 k AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"origin\nx\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 k AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"origin\n1\nAAAA\n\n\xe2\x80\x94 k AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n- k AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 k AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 a+b AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 k AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	};
	rb_checkpoint *cp = NULL;
	char why[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rb_checkpoint_parse(bad[i], strlen(bad[i]), &cp, why, sizeof(why)) == 0)
			fail_msg("accepted note %zu", i);
}

static void signed_note_round_trip_and_unknown_cosignature(void **state)
{
	rb_privkey *k = tu_key(7);
	rb_trust *t = NULL;
	rb_checkpoint *cp = NULL;
	uint8_t root[32] = { 1, 2, 3 }, pub[32];
	struct rb_time from = { 0, 0 };
	char *text = NULL, *two, why[160];
	cJSON *entry;
	int added;

	(void)state;
	rb_privkey_public(k, pub);
	assert_int_equal(rb_trust_new(&t, NULL), 0);
	entry = rb_tkey_entry("log-key", NULL, pub, "checkpoint", &from);
	assert_int_equal(rb_trust_add(t, entry, &added, NULL), 0);
	assert_int_equal(added, 1);
	assert_int_equal(rb_checkpoint_sign("example/log", 5, root, "log-key", k, &text, NULL), 0);
	assert_int_equal(rb_checkpoint_parse(text, strlen(text), &cp, why, sizeof(why)), 0);
	assert_non_null(rb_checkpoint_verify(cp, t, "checkpoint"));
	rb_checkpoint_free(cp);
	/* A witness line from a key we do not know is ignored. */
	two = malloc(strlen(text) + 200);
	sprintf(two, "%s\xe2\x80\x94 witness AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", text);
	assert_int_equal(rb_checkpoint_parse(two, strlen(two), &cp, why, sizeof(why)), 0);
	assert_non_null(rb_checkpoint_verify(cp, t, "checkpoint"));
	rb_checkpoint_free(cp);
	/* Adding the same entry again is a no-op; another key of the name is refused. */
	assert_int_equal(rb_trust_add(t, entry, &added, NULL), 0);
	assert_int_equal(added, 0);
	cJSON_ReplaceItemInObject(entry, "roles", cJSON_CreateStringArray((const char *[]){ "entry" }, 1));
	assert_int_equal(rb_trust_add(t, entry, &added, NULL), -1);
	cJSON_Delete(entry);
	free(two);
	free(text);
	rb_trust_free(t);
	rb_privkey_free(k);
}

/* The signature line key signs text with, as "— name base64\n" (malloc'd). */
static char *sig_line(const rb_privkey *key, const char *name, const char *text)
{
	char *note = NULL, *line;

	assert_int_equal(rb_note_sign(text, name, key, &note, NULL), 0);
	line = strdup(strstr(note, "\n\n") + 2);
	free(note);
	return line;
}

/* A trust store of the two keys, each with role. */
static rb_trust *two_keys(const rb_privkey *a, const rb_privkey *b, const char *role_b)
{
	struct rb_time from = { 0, 0 };
	uint8_t pa[32], pb[32];
	rb_trust *t = NULL;
	cJSON *ea, *eb;
	int added;

	rb_privkey_public(a, pa);
	rb_privkey_public(b, pb);
	assert_int_equal(rb_trust_new(&t, NULL), 0);
	ea = rb_tkey_entry("log-a", NULL, pa, "checkpoint", &from);
	eb = rb_tkey_entry("log-b", NULL, pb, role_b, &from);
	assert_int_equal(rb_trust_add(t, ea, &added, NULL), 0);
	assert_int_equal(rb_trust_add(t, eb, &added, NULL), 0);
	cJSON_Delete(ea);
	cJSON_Delete(eb);
	return t;
}

/* Is the note (body, then the lines in order) validly signed under t? */
static int verifies(const rb_trust *t, const char *body, const char *l1, const char *l2)
{
	char *text = malloc(strlen(body) + strlen(l1) + (l2 ? strlen(l2) : 0) + 2), why[160];
	rb_checkpoint *cp = NULL;
	long bodylen;
	int ok, note_ok;

	sprintf(text, "%s\n%s%s", body, l1, l2 ? l2 : "");
	assert_int_equal(rb_checkpoint_parse(text, strlen(text), &cp, why, sizeof(why)), 0);
	ok = rb_checkpoint_verify(cp, t, "checkpoint") != NULL;
	/* Every note rbaudit reads (a MANIFEST too) is read by the same rule. */
	note_ok = rb_note_verify(text, strlen(text), t, "checkpoint", &bodylen) != NULL;
	assert_int_equal(ok, note_ok);
	assert_int_equal(bodylen, (long)strlen(body));
	rb_checkpoint_free(cp);
	free(text);
	return ok;
}

/*
 * ledger-export-v1 §4 revision 2, as golang.org/x/mod/sumdb/note reads
 * notes: a trusted checkpoint key's line that does not verify spoils the
 * note whatever the others say; only a key's first line counts; lines of
 * unknown keys, and of trusted keys without the role, are ignored.
 */
static void a_failing_trusted_signature_spoils_the_note(void **state)
{
	static const char body[] = "example/log\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	static const char other[] = "example/log\n6\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	rb_privkey *a = tu_key(7), *b = tu_key(8);
	rb_trust *both = two_keys(a, b, "checkpoint"), *b_other_role = two_keys(a, b, "report");
	rb_trust *only_a = NULL;
	char *good_a = sig_line(a, "log-a", body), *good_b = sig_line(b, "log-b", body);
	char *bad_a = sig_line(a, "log-a", other), *bad_b = sig_line(b, "log-b", other);
	struct rb_time from = { 0, 0 };
	uint8_t pa[32];
	cJSON *ea;
	int added;

	(void)state;
	rb_privkey_public(a, pa);
	assert_int_equal(rb_trust_new(&only_a, NULL), 0);
	ea = rb_tkey_entry("log-a", NULL, pa, "checkpoint", &from);
	assert_int_equal(rb_trust_add(only_a, ea, &added, NULL), 0);
	cJSON_Delete(ea);
	assert_true(verifies(both, body, good_a, good_b));
	assert_true(verifies(both, body, good_a, NULL));
	/* Before revision 2 these two were valid: one good line was enough. */
	assert_false(verifies(both, body, good_a, bad_b));
	assert_false(verifies(both, body, bad_b, good_a));
	/* The same bad line by a key the store lacks, or holds for another role. */
	assert_true(verifies(only_a, body, good_a, bad_b));
	assert_true(verifies(b_other_role, body, bad_b, good_a));
	/* A key's first line is the one that counts. */
	assert_true(verifies(both, body, good_a, bad_a));
	assert_false(verifies(both, body, bad_a, good_a));
	assert_false(verifies(both, body, bad_a, NULL));
	free(good_a);
	free(good_b);
	free(bad_a);
	free(bad_b);
	rb_trust_free(both);
	rb_trust_free(b_other_role);
	rb_trust_free(only_a);
	rb_privkey_free(a);
	rb_privkey_free(b);
}

/* tlog-checkpoint's extension lines: part of the signed text, kept, ignored. */
static void extension_lines_are_signed_and_kept(void **state)
{
	static const char body[] = "example/log\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
				   "timestamp 1700000000\nwitnessed-by w1\n";
	rb_privkey *a = tu_key(7), *b = tu_key(8);
	rb_trust *t = two_keys(a, b, "checkpoint");
	char *line = sig_line(a, "log-a", body), *changed = strdup(body);
	rb_checkpoint *cp = NULL;
	char why[160];

	(void)state;
	assert_true(verifies(t, body, line, NULL));
	{
		char *text = malloc(strlen(body) + strlen(line) + 2);

		sprintf(text, "%s\n%s", body, line);
		assert_int_equal(rb_checkpoint_parse(text, strlen(text), &cp, why, sizeof(why)), 0);
		assert_int_equal(rb_checkpoint_size(cp), 5);
		assert_string_equal(rb_checkpoint_origin(cp), "example/log");
		rb_checkpoint_free(cp);
		free(text);
	}
	/* They are signed: one changed character and the note no longer verifies. */
	changed[strlen(changed) - 3] = 'x';
	assert_false(verifies(t, changed, line, NULL));
	free(changed);
	free(line);
	rb_trust_free(t);
	rb_privkey_free(a);
	rb_privkey_free(b);
}

static void trust_store_rejects_bad_entries(void **state)
{
	static const char *bad[] = {
		"{\"keys\":{}}",
		"{\"keys\":[{\"name\":\"a\",\"algorithm\":\"rsa\",\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\",\"roles\":[],\"valid_from\":\"2026-01-01T00:00:00Z\"}]}",
		"{\"keys\":[{\"name\":\"a\",\"algorithm\":\"ed25519\",\"public_key\":\"BKmi\",\"roles\":[],\"valid_from\":\"2026-01-01T00:00:00Z\"}]}",
		"{\"keys\":[{\"name\":\"a b\",\"algorithm\":\"ed25519\",\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\",\"roles\":[],\"valid_from\":\"2026-01-01T00:00:00Z\"}]}",
		"{\"keys\":[{\"name\":\"a\",\"algorithm\":\"ed25519\",\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\",\"roles\":[1],\"valid_from\":\"2026-01-01T00:00:00Z\"}]}",
		"{\"keys\":[{\"name\":\"a\",\"algorithm\":\"ed25519\",\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\",\"roles\":[],\"valid_from\":\"yesterday\"}]}",
		"{\"keys\":[{\"name\":\"a\",\"algorithm\":\"ed25519\",\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\",\"roles\":[],\"valid_from\":\"2026-01-01T00:00:00Z\",\"revoked_at\":5}]}",
		"{\"keys\":[{\"name\":\"a\",\"algorithm\":\"ed25519\",\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\",\"roles\":[],\"valid_from\":\"2026-01-01T00:00:00Z\"},"
		"{\"name\":\"a\",\"algorithm\":\"ed25519\",\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\",\"roles\":[],\"valid_from\":\"2026-01-01T00:00:00Z\"}]}",
		"{\"keys\":[],\"keys\":[]}",
	};
	char *dir = tu_tmpdir();
	const char *p = tu_path(dir, "keys.json");
	struct rb_err e;
	rb_trust *t = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tu_spit(p, bad[i], strlen(bad[i]));
		if (rb_trust_load(p, &t, &e) == 0)
			fail_msg("accepted trust store %zu", i);
		assert_int_equal(e.code, RB_EX_DATAERR);
	}
	assert_int_equal(rb_trust_load(tu_path(dir, "missing.json"), &t, &e), -1);
	assert_int_equal(e.code, RB_EX_NOINPUT);
	tu_rmrf(dir);
	free(dir);
}

static void key_validity_windows(void **state)
{
	rb_trust *t = NULL;
	const rb_tkey *k;
	struct rb_time at, before = { 1000, 0 }, inside = { 1500, 0 }, after = { 2000, 0 };
	char *dir = tu_tmpdir();
	const char *p = tu_path(dir, "keys.json");
	static const char store[] =
		"{\"keys\":[{\"name\":\"a\",\"algorithm\":\"ed25519\","
		"\"public_key\":\"BKmiPrtUoDVEGVR67QUE5sSNFmm/avt677mVLjhla5o=\","
		"\"roles\":[\"entry\"],\"valid_from\":\"1970-01-01T00:16:41Z\","
		"\"valid_until\":\"1970-01-01T00:33:20Z\",\"revoked_at\":null,\"extra\":true}]}";

	(void)state;
	tu_spit(p, store, sizeof(store) - 1);
	assert_int_equal(rb_trust_load(p, &t, NULL), 0);
	k = rb_trust_find(t, "a", 1);
	assert_int_equal(rb_tkey_state(k, &before), RB_KEY_NOT_YET);
	assert_int_equal(rb_tkey_state(k, &inside), RB_KEY_VALID);
	assert_int_equal(rb_tkey_state(k, &after), RB_KEY_EXPIRED);   /* t < valid_until */
	at.sec = 1500;
	at.nsec = 0;
	assert_int_equal(rb_trust_revoke(t, "a", &at, NULL), 0);
	assert_int_equal(rb_tkey_state(k, &inside), RB_KEY_REVOKED);  /* at or after */
	/* Saving keeps members rbaudit does not know; loading gives it back. */
	assert_int_equal(rb_trust_save(t, p, NULL), 0);
	rb_trust_free(t);
	assert_int_equal(rb_trust_load(p, &t, NULL), 0);
	k = rb_trust_find(t, "a", 1);
	assert_non_null(rb_tkey_revoked_at(k));
	assert_int_equal(rb_tkey_revoked_at(k)->sec, 1500);
	{
		char *text = tu_slurp(p, NULL);

		assert_non_null(strstr(text, "\"extra\""));
		free(text);
	}
	rb_trust_free(t);
	tu_rmrf(dir);
	free(dir);
}

/* ASCII control characters other than a newline: refused anywhere in a note. */
static void control_characters_are_refused(void **state)
{
	static const char *const bodies[] = {
		"example/log\r\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"example/log\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\tension\n",
		"example/\x1blog\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	};
	rb_privkey *a = tu_key(7), *b = tu_key(8);
	rb_trust *t = two_keys(a, b, "checkpoint");
	rb_checkpoint *cp = NULL;
	char why[160], *note = NULL;
	long bodylen;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(rb_note_sign(bodies[i], "log-a", a, &note, NULL), 0);
		assert_int_equal(rb_checkpoint_parse(note, strlen(note), &cp, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "control character"));
		assert_null(rb_note_verify(note, strlen(note), t, "checkpoint", &bodylen));
		assert_int_equal(bodylen, -1);
		free(note);
	}
	/* In a signature line too (a CR before its newline). */
	assert_int_equal(rb_note_sign("example/log\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
				      "log-a", a, &note, NULL), 0);
	assert_non_null(rb_note_verify(note, strlen(note), t, "checkpoint", &bodylen));
	note[strlen(note) - 1] = '\r';
	{
		char *crlf = malloc(strlen(note) + 2);

		sprintf(crlf, "%s\n", note);
		assert_int_equal(rb_checkpoint_parse(crlf, strlen(crlf), &cp, why, sizeof(why)), -1);
		assert_null(rb_note_verify(crlf, strlen(crlf), t, "checkpoint", &bodylen));
		free(crlf);
	}
	free(note);
	rb_trust_free(t);
	rb_privkey_free(a);
	rb_privkey_free(b);
}

/* The seed tu_key(b) derives its key from, for libsodium. */
static void seed_of(uint8_t b, uint8_t seed[32])
{
	int i;

	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t)(b + i);
}

/*
 * A cosignature line computed from the spec with libsodium alone: "— name "
 * then base64(keyID || u64 BE time || Ed25519 signature), keyID the first 4
 * bytes of SHA-256(name "\n" 0x04 pub), over "cosignature/v1\ntime T\n" and
 * the body; the signature over other_body when given (a failing one), and
 * only 4 + 64 bytes when short.  malloc'd.
 */
static char *indep_cosig(uint8_t b, const char *name, uint64_t time, const char *body,
			 const char *other_body, int short_)
{
	uint8_t seed[32], pk[32], sk[64], h[32], blob[76], *idin;
	char *msg, *line, b64[128];
	size_t n = strlen(name), mlen, i;
	unsigned long long slen;

	seed_of(b, seed);
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	idin = malloc(n + 34);
	memcpy(idin, name, n);
	idin[n] = '\n';
	idin[n + 1] = 0x04;
	memcpy(idin + n + 2, pk, 32);
	crypto_hash_sha256(h, idin, n + 34);
	free(idin);
	memcpy(blob, h, 4);
	for (i = 0; i < 8; i++)
		blob[4 + i] = (uint8_t)(time >> (56 - 8 * i));
	body = other_body != NULL ? other_body : body;
	msg = malloc(strlen(body) + 64);
	mlen = (size_t)sprintf(msg, "cosignature/v1\ntime %llu\n%s", (unsigned long long)time,
			       body);
	if (short_)
		crypto_sign_detached(blob + 4, &slen, (const uint8_t *)body, strlen(body), sk);
	else
		crypto_sign_detached(blob + 12, &slen, (const uint8_t *)msg, mlen, sk);
	free(msg);
	sodium_bin2base64(b64, sizeof(b64), blob, short_ ? 68 : 76,
			  sodium_base64_VARIANT_ORIGINAL);
	line = malloc(strlen(name) + strlen(b64) + 8);
	sprintf(line, "\xe2\x80\x94 %s %s\n", name, b64);
	return line;
}

/* A store of the log key (tu_key(7), checkpoint) and witnesses w1 (9) and w2 (10). */
static rb_trust *witness_store(void)
{
	struct rb_time from = { 0, 0 };
	static const char *const names[] = { "log-a", "w1", "w2" };
	static const uint8_t seeds[] = { 7, 9, 10 };
	rb_trust *t = NULL;
	int added, i;

	assert_int_equal(rb_trust_new(&t, NULL), 0);
	for (i = 0; i < 3; i++) {
		rb_privkey *k = tu_key(seeds[i]);
		uint8_t pub[32];
		cJSON *en;

		rb_privkey_public(k, pub);
		en = rb_tkey_entry(names[i], NULL, pub, i ? "witness" : "checkpoint", &from);
		assert_int_equal(rb_trust_add(t, en, &added, NULL), 0);
		cJSON_Delete(en);
		rb_privkey_free(k);
	}
	return t;
}

/* c2sp.org/tlog-cosignature: the cosignatures of text's lines under t. */
static int cosigs(const rb_trust *t, const char *text, struct rb_cosig *cs, size_t *n,
		  char *why)
{
	rb_checkpoint *cp = NULL;
	int rc;

	assert_int_equal(rb_checkpoint_parse(text, strlen(text), &cp, why, 160), 0);
	rc = rb_checkpoint_cosigs(cp, t, cs, n, why, 160);
	rb_checkpoint_free(cp);
	return rc;
}

static char *cat3(const char *a, const char *b, const char *c)
{
	char *s = malloc(strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 1);

	sprintf(s, "%s%s%s", a, b, c ? c : "");
	return s;
}

static void witness_cosignatures_verify_by_the_spec(void **state)
{
	static const char body[] = "example/log\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	static const char other[] = "example/log\n6\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	rb_privkey *logk = tu_key(7), *w1 = tu_key(9);
	rb_trust *t = witness_store();
	struct rb_cosig cs[RB_NOTE_MAX_SIGS];
	char *note = NULL, *good1 = indep_cosig(9, "w1", 1700000000, body, NULL, 0);
	char *good2 = indep_cosig(10, "w2", 1700000123, body, NULL, 0);
	char *bad1 = indep_cosig(9, "w1", 1700000000, body, other, 0);
	char *short1 = indep_cosig(9, "w1", 1700000000, body, NULL, 1);
	char *late1 = indep_cosig(9, "w1", (uint64_t)INT64_MAX + 1, body, NULL, 0);
	char *unknown = indep_cosig(11, "w3", 1700000000, body, other, 0);
	char *wrongid = indep_cosig(11, "w1", 1700000000, body, other, 0);
	char *x, *mine = NULL, why[160];
	rb_checkpoint *cp = NULL;
	size_t n;

	(void)state;
	assert_int_equal(rb_note_sign(body, "log-a", logk, &note, NULL), 0);
	/* Two witnesses, in line order, beside the log's valid signature. */
	x = cat3(note, good1, good2);
	assert_int_equal(cosigs(t, x, cs, &n, why), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rb_tkey_name(cs[0].key), "w1");
	assert_int_equal(cs[0].time, 1700000000);
	assert_string_equal(rb_tkey_name(cs[1].key), "w2");
	assert_int_equal(cs[1].time, 1700000123);
	assert_int_equal(rb_checkpoint_parse(x, strlen(x), &cp, why, sizeof(why)), 0);
	assert_non_null(rb_checkpoint_verify(cp, t, "checkpoint"));
	rb_checkpoint_free(cp);
	free(x);
	/* rbaudit's own cosignature is byte for byte the independent one (Ed25519 is deterministic). */
	assert_int_equal(rb_checkpoint_cosign(note, strlen(note), "w1", w1, 1700000000, &mine,
					      NULL), 0);
	x = cat3(note, good1, NULL);
	assert_string_equal(mine, x);
	free(x);
	x = NULL;
	assert_int_equal(rb_checkpoint_cosign(mine, strlen(mine), "w1", w1, 1700000001, &x, NULL),
			 -1);
	free(mine);
	/* Unknown witnesses and a known name with another key ID: ignored. */
	x = cat3(note, unknown, wrongid);
	assert_int_equal(cosigs(t, x, cs, &n, why), 0);
	assert_int_equal(n, 0);
	free(x);
	/* A trusted witness's failing line is an error, even beside a good one. */
	x = cat3(note, good2, bad1);
	assert_int_equal(cosigs(t, x, cs, &n, why), -1);
	assert_non_null(strstr(why, "'w1' does not verify"));
	free(x);
	x = cat3(note, short1, NULL);
	assert_int_equal(cosigs(t, x, cs, &n, why), -1);
	assert_non_null(strstr(why, "'w1' is not 8 + 64 bytes"));
	free(x);
	x = cat3(note, late1, NULL);
	assert_int_equal(cosigs(t, x, cs, &n, why), -1);
	assert_non_null(strstr(why, "2^63"));
	free(x);
	/* A witness's first line counts; later ones are ignored. */
	x = cat3(note, good1, bad1);
	assert_int_equal(cosigs(t, x, cs, &n, why), 0);
	assert_int_equal(n, 1);
	free(x);
	x = cat3(note, bad1, good1);
	assert_int_equal(cosigs(t, x, cs, &n, why), -1);
	free(x);
	/* A witness's line is no checkpoint signature: the log's alone does not verify. */
	x = cat3(body, "\n", good1);
	assert_int_equal(rb_checkpoint_parse(x, strlen(x), &cp, why, sizeof(why)), 0);
	assert_null(rb_checkpoint_verify(cp, t, "checkpoint"));
	rb_checkpoint_free(cp);
	free(x);
	free(good1);
	free(good2);
	free(bad1);
	free(short1);
	free(late1);
	free(unknown);
	free(wrongid);
	free(note);
	rb_trust_free(t);
	rb_privkey_free(logk);
	rb_privkey_free(w1);
}

/* The witness rules with a policy: a quorum of its witnesses, others not counted. */
static void witness_quorum(void **state)
{
	static const char body[] = "example/log\n5\nAQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	static const char *const only_w1[] = { "w1" };
	rb_privkey *logk = tu_key(7);
	rb_trust *t = witness_store();
	struct rb_cosig cs[RB_NOTE_MAX_SIGS];
	char *note = NULL, *x, code[RB_WITNESS_CODE_MAX], msg[240], why[160];
	char *c1 = indep_cosig(9, "w1", 1700000000, body, NULL, 0);
	char *c2 = indep_cosig(10, "w2", 1700000000, body, NULL, 0);
	rb_checkpoint *cp = NULL;
	size_t n;

	(void)state;
	assert_int_equal(rb_note_sign(body, "log-a", logk, &note, NULL), 0);
	x = cat3(note, c2, NULL);
	assert_int_equal(rb_checkpoint_parse(x, strlen(x), &cp, why, sizeof(why)), 0);
	/* No policy: any valid cosignatures will do, none too. */
	assert_int_equal(rb_checkpoint_witnessed(cp, t, cs, &n, code, msg, sizeof(msg), NULL), 0);
	assert_string_equal(code, "");
	assert_int_equal(n, 1);
	/* A policy of w1 alone: w2 is verified, but does not count. */
	assert_int_equal(rb_trust_set_witness_policy(t, 1, only_w1, 1, NULL), 0);
	assert_int_equal(rb_checkpoint_witnessed(cp, t, cs, &n, code, msg, sizeof(msg), NULL), 0);
	assert_string_equal(code, "E_WITNESS_QUORUM");
	assert_non_null(strstr(msg, "0 of the witness policy's 1 witnesses"));
	assert_non_null(strstr(msg, "(none), its quorum is 1"));
	rb_checkpoint_free(cp);
	free(x);
	x = cat3(note, c2, c1);
	assert_int_equal(rb_checkpoint_parse(x, strlen(x), &cp, why, sizeof(why)), 0);
	assert_int_equal(rb_checkpoint_witnessed(cp, t, cs, &n, code, msg, sizeof(msg), NULL), 0);
	assert_string_equal(code, "");
	assert_int_equal(n, 2);
	rb_checkpoint_free(cp);
	free(x);
	free(c1);
	free(c2);
	free(note);
	rb_trust_free(t);
	rb_privkey_free(logk);
}

/* A witness's key ID and verifier key are of type 0x04, computed here with libsodium. */
static void witness_keystring_is_of_type_4(void **state)
{
	rb_trust *t = witness_store();
	const rb_tkey *w = rb_trust_find(t, "w1", 2), *l = rb_trust_find(t, "log-a", 5);
	uint8_t seed[32], pk[32], sk[64], typed[33], h[32], in[2 + 2 + 32];
	char ks[RB_KEYSTRING_MAX], want[RB_KEYSTRING_MAX], b64[64], lks[RB_KEYSTRING_MAX];

	(void)state;
	seed_of(9, seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(in, "w1\n\x04", 4);
	memcpy(in + 4, pk, 32);
	crypto_hash_sha256(h, in, sizeof(in));
	typed[0] = 0x04;
	memcpy(typed + 1, pk, 32);
	sodium_bin2base64(b64, sizeof(b64), typed, 33, sodium_base64_VARIANT_ORIGINAL);
	snprintf(want, sizeof(want), "w1+%02x%02x%02x%02x+%s", h[0], h[1], h[2], h[3], b64);
	rb_tkey_keystring(w, ks);
	assert_string_equal(ks, want);
	assert_memory_equal(rb_tkey_keyhash(w), h, 4);
	/* Every other key keeps the note type, 0x01. */
	rb_tkey_keystring(l, ks);
	rb_keystring(rb_tkey_name(l), rb_pubkey_raw(rb_tkey_pub(l)), lks);
	assert_string_equal(ks, lks);
	rb_trust_free(t);
}

/* witness_policy: checked on load, kept by save, set and removed. */
static void witness_policy_is_checked(void **state)
{
	static const char *const bad[] = {
		"[]", "{\"quorum\":1}", "{\"quorum\":0,\"witnesses\":[\"w1\"]}",
		"{\"quorum\":3,\"witnesses\":[\"w1\",\"w2\"]}",
		"{\"quorum\":1,\"witnesses\":[\"log-a\"]}",
		"{\"quorum\":1,\"witnesses\":[\"nobody\"]}",
		"{\"quorum\":1,\"witnesses\":[\"w1\",\"w1\"]}",
		"{\"quorum\":\"1\",\"witnesses\":[\"w1\"]}",
	};
	static const char *const two[] = { "w2", "w1" };
	char *dir = tu_tmpdir();
	const char *p = tu_path(dir, "keys.json");
	rb_trust *t = witness_store(), *u = NULL;
	struct rb_err e;
	size_t i;

	(void)state;
	assert_int_equal(rb_trust_witness_quorum(t), 0);
	assert_int_equal(rb_trust_save(t, p, NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = tu_slurp(p, NULL), *doc = malloc(strlen(text) + 200);
		char *brace = strrchr(text, '}');

		*brace = '\0';
		sprintf(doc, "%s,\"witness_policy\":%s}", text, bad[i]);
		tu_spit(tu_path(dir, "bad.json"), doc, strlen(doc));
		if (rb_trust_load(tu_path(dir, "bad.json"), &u, &e) == 0)
			fail_msg("accepted witness_policy %zu", i);
		assert_int_equal(e.code, RB_EX_DATAERR);
		assert_non_null(strstr(e.msg, "\"witness_policy\""));
		free(doc);
		free(text);
	}
	assert_int_equal(rb_trust_set_witness_policy(t, 3, two, 2, &e), -1);
	assert_int_equal(rb_trust_witness_quorum(t), 0);
	assert_int_equal(rb_trust_set_witness_policy(t, 2, two, 2, NULL), 0);
	assert_int_equal(rb_trust_save(t, p, NULL), 0);
	assert_int_equal(rb_trust_load(p, &u, NULL), 0);
	assert_int_equal(rb_trust_witness_quorum(u), 2);
	assert_int_equal(rb_trust_witness_count(u), 2);
	assert_string_equal(rb_tkey_name(rb_trust_witness_at(u, 0)), "w2");
	assert_string_equal(rb_tkey_name(rb_trust_witness_at(u, 1)), "w1");
	assert_null(rb_trust_witness_at(u, 2));
	assert_int_equal(rb_trust_set_witness_policy(u, 0, NULL, 0, NULL), 0);
	assert_int_equal(rb_trust_witness_quorum(u), 0);
	rb_trust_free(u);
	rb_trust_free(t);
	tu_rmrf(dir);
	free(dir);
}

/* A key cannot be both witness and checkpoint (or report): one key ID per key. */
static void witness_role_stands_alone(void **state)
{
	struct rb_time from = { 0, 0 };
	rb_privkey *k = tu_key(12);
	uint8_t pub[32];
	rb_trust *t = NULL;
	cJSON *en;
	int added;

	(void)state;
	rb_privkey_public(k, pub);
	assert_int_equal(rb_trust_new(&t, NULL), 0);
	en = rb_tkey_entry("wc", NULL, pub, "witness,checkpoint", &from);
	assert_int_equal(rb_trust_add(t, en, &added, NULL), -1);
	cJSON_Delete(en);
	en = rb_tkey_entry("wr", NULL, pub, "report,witness", &from);
	assert_int_equal(rb_trust_add(t, en, &added, NULL), -1);
	cJSON_Delete(en);
	en = rb_tkey_entry("we", NULL, pub, "witness,entry", &from);
	assert_int_equal(rb_trust_add(t, en, &added, NULL), 0);
	cJSON_Delete(en);
	rb_trust_free(t);
	rb_privkey_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vector_checkpoint_verifies),
		cmocka_unit_test(keystring_matches_independent_value),
		cmocka_unit_test(malformed_notes_are_refused),
		cmocka_unit_test(signed_note_round_trip_and_unknown_cosignature),
		cmocka_unit_test(a_failing_trusted_signature_spoils_the_note),
		cmocka_unit_test(extension_lines_are_signed_and_kept),
		cmocka_unit_test(trust_store_rejects_bad_entries),
		cmocka_unit_test(key_validity_windows),
		cmocka_unit_test(control_characters_are_refused),
		cmocka_unit_test(witness_cosignatures_verify_by_the_spec),
		cmocka_unit_test(witness_quorum),
		cmocka_unit_test(witness_keystring_is_of_type_4),
		cmocka_unit_test(witness_policy_is_checked),
		cmocka_unit_test(witness_role_stands_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
