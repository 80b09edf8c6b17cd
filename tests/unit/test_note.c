/*
 * test_note.c - focus: C2SP signed-note checkpoints and the trust store.
 * The vector checkpoint parses and verifies; its key string matches the
 * one an independent implementation computes; every malformation and a
 * key without the checkpoint role are refused; a note we sign verifies;
 * revision 2 of ledger-export-v1 §4: a failing trusted signature spoils a
 * note, and extension lines are signed text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
