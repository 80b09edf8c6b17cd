/*
 * test_verify.c - focus: the verifier accepts what the spec calls valid and
 * names every tampering with its code, seq and line.  Each tampered export
 * is made here, from the independent vectors or from a small ledger sealed
 * on the spot (so that re-signed entries can be forged with known keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ingest/verify.h"
#include "lib/crypto.h"
#include "testutil.h"

#define VEC "tests/data/vectors"

static char *fx;        /* the fixture directory */
static int caseno;

static int setup(void **state)
{
	(void)state;
	fx = tu_tmpdir();
	tu_make_fixture(fx);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmrf(fx);
	free(fx);
	return 0;
}

/* A fresh copy of an export to tamper with. */
static const char *copy_of(const char *src)
{
	static char dst[4096];

	snprintf(dst, sizeof(dst), "%s/case%d", fx, ++caseno);
	mkdir(dst, 0700);
	tu_copy_export(src, dst);
	return dst;
}

static rb_vreport *verify_with(const char *dir, const char *keys, int jobs)
{
	rb_trust *t = NULL;
	rb_vreport *r = NULL;
	struct rb_verify_opts o = { 0 };
	struct rb_err e;

	o.jobs = jobs;
	assert_int_equal(rb_trust_load(keys, &t, &e), 0);
	if (rb_verify_export(dir, t, &o, &r, &e) != 0)
		fail_msg("verify failed to run: %s", e.msg);
	rb_trust_free(t);
	return r;
}

/* Assert that r holds code at seq and line (-1: none), as error or warning. */
static void expect(const rb_vreport *r, const char *code, int64_t seq, long long line)
{
	size_t i;

	for (i = 0; i < rb_vreport_nerrors(r); i++) {
		const struct rb_finding *f = rb_vreport_error(r, i);

		if (strcmp(f->code, code) == 0 && f->seq == seq && f->line == line)
			return;
	}
	for (i = 0; i < rb_vreport_nwarnings(r); i++) {
		const struct rb_finding *f = rb_vreport_warning(r, i);

		if (strcmp(f->code, code) == 0 && f->seq == seq && f->line == line)
			return;
	}
	for (i = 0; i < rb_vreport_nerrors(r); i++) {
		const struct rb_finding *f = rb_vreport_error(r, i);

		print_message("  got %s seq %lld line %lld: %s\n", f->code,
			      (long long)f->seq, f->line, f->msg);
	}
	fail_msg("expected %s at seq %lld line %lld", code, (long long)seq, line);
}

/* No error names a line before line (the tampering does not spill backwards). */
static void clean_before(const rb_vreport *r, long long line)
{
	size_t i;

	for (i = 0; i < rb_vreport_nerrors(r); i++) {
		const struct rb_finding *f = rb_vreport_error(r, i);

		if (f->line >= 1 && f->line < line)
			fail_msg("unexpected %s at line %lld", f->code, f->line);
	}
}

/* Replace line no (1-based) of dir's entries with text (taken over). */
static void set_line(const char *dir, size_t no, char *text)
{
	size_t n;
	char **l = tu_lines(tu_path(dir, "entries.jsonl"), &n);

	free(l[no - 1]);
	l[no - 1] = text;
	tu_write_lines(tu_path(dir, "entries.jsonl"), l, n, "\n", 1);
	tu_free_lines(l, n);
}

static char *get_line(const char *dir, size_t no)
{
	size_t n;
	char **l = tu_lines(tu_path(dir, "entries.jsonl"), &n), *out = strdup(l[no - 1]);

	tu_free_lines(l, n);
	return out;
}

/* A copy of s with the first "from" replaced by "to". */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(s) + strlen(to) + 1);
	sprintf(out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

/* Re-sign line no of dir after replacing from with to in its payload. */
static void forge(const char *dir, size_t no, const char *from, const char *to,
		  uint8_t keyseed, const char *keyname)
{
	char *line = get_line(dir, no), *payload = tu_payload_of(line);
	char *np = replace(payload, from, to);
	rb_privkey *k = tu_key(keyseed);
	const char *names[1] = { keyname };

	set_line(dir, no, tu_envelope(np, &k, names, 1));
	rb_privkey_free(k);
	free(np);
	free(payload);
	free(line);
	tu_fix_manifest(dir);
}

static void vectors_verify_with_ranges(void **state)
{
	static const struct { const char *dir; int64_t first, last; } v[] = {
		{ VEC "/export-2026-07", 0, 251 },
		{ VEC "/export-2026-08", 252, 468 },
		{ VEC "/export-2026-09", 469, 678 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		rb_vreport *r = verify_with(v[i].dir, VEC "/keys.json", 2);

		assert_true(rb_vreport_valid(r));
		assert_int_equal(rb_vreport_nwarnings(r), 0);
		assert_int_equal(rb_vreport_first_seq(r), v[i].first);
		assert_int_equal(rb_vreport_last_seq(r), v[i].last);
		assert_int_equal(rb_vreport_entries(r), v[i].last - v[i].first + 1);
		assert_string_equal(rb_vreport_checkpoint_key(r), "acme-ledger-2026");
		rb_vreport_free(r);
	}
}

static void own_exports_verify_and_count_countersignature(void **state)
{
	rb_vreport *r;

	(void)state;
	r = verify_with(tu_path(fx, "A"), tu_path(fx, "keys.json"), 2);
	assert_true(rb_vreport_valid(r));
	assert_int_equal(rb_vreport_countersigned(r), 1);
	rb_vreport_free(r);
	r = verify_with(tu_path(fx, "B"), tu_path(fx, "keys.json"), 1);
	assert_true(rb_vreport_valid(r));
	assert_int_equal(rb_vreport_first_seq(r), 12);
	rb_vreport_free(r);
	/*
	 * The key's identity spelt otherwise (case, a trailing space) is still
	 * the approval's actor alice@example.test (metrics-v1 §8.1); another
	 * person's is not.
	 */
	{
		static const char *const spellings[2] = { "ALICE@Example.test ", "alicia@example.test" };
		size_t len;
		char *keys = tu_slurp(tu_path(fx, "keys.json"), &len), *at, other[8192];
		int k;

		for (k = 0; k < 2; k++) {
			at = strstr(keys, "alice@example.test");
			assert_non_null(at);
			snprintf(other, sizeof(other), "%.*s%s%s", (int)(at - keys), keys, spellings[k],
				 at + strlen("alice@example.test"));
			tu_spit(tu_path(fx, "keys-spelt.json"), other, strlen(other));
			r = verify_with(tu_path(fx, "A"), tu_path(fx, "keys-spelt.json"), 2);
			assert_true(rb_vreport_valid(r));
			assert_int_equal(rb_vreport_countersigned(r), k == 0 ? 1 : 0);
			rb_vreport_free(r);
		}
		free(keys);
	}
}

static void one_thread_and_many_agree(void **state)
{
	const char *d = copy_of(VEC "/export-2026-08");
	rb_vreport *a, *b;
	size_t i;

	(void)state;
	set_line(d, 30, strdup("{}"));
	set_line(d, 100, strdup(""));
	a = verify_with(d, VEC "/keys.json", 1);
	b = verify_with(d, VEC "/keys.json", 4);
	assert_int_equal(rb_vreport_nerrors(a), rb_vreport_nerrors(b));
	for (i = 0; i < rb_vreport_nerrors(a); i++) {
		assert_string_equal(rb_vreport_error(a, i)->code, rb_vreport_error(b, i)->code);
		assert_int_equal(rb_vreport_error(a, i)->line, rb_vreport_error(b, i)->line);
	}
	rb_vreport_free(a);
	rb_vreport_free(b);
}

static void payload_byte_changed_is_E_SIG(void **state)
{
	const char *d = copy_of(VEC "/export-2026-08");
	char *line = get_line(d, 5), *p = tu_payload_of(line), *np, *b64, *nl;
	cJSON *env = cJSON_Parse(line);
	rb_vreport *r;

	(void)state;
	np = replace(p, "@acme.example", "@acme.exbmple");
	b64 = malloc(rb_b64_enclen(strlen(np)) + 1);
	rb_b64_encode(np, strlen(np), b64);
	cJSON_ReplaceItemInObject(env, "payload", cJSON_CreateString(b64));
	nl = cJSON_PrintUnformatted(env);
	set_line(d, 5, nl);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_SIG", 256, 5);
	clean_before(r, 5);
	assert_false(rb_vreport_valid(r));
	rb_vreport_free(r);
	cJSON_Delete(env);
	free(b64);
	free(np);
	free(p);
	free(line);
}

static void signature_changed_is_E_SIG(void **state)
{
	const char *d = copy_of(VEC "/export-2026-08");
	char *line = get_line(d, 5), *sig = strstr(line, "\"sig\":\"") + 7;
	rb_vreport *r;

	(void)state;
	sig[3] = sig[3] == 'A' ? 'B' : 'A';
	set_line(d, 5, line);
	tu_fix_manifest(d);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_SIG", 256, 5);
	assert_int_equal(rb_vreport_errors_total(r), 1);
	rb_vreport_free(r);
}

static void line_deleted_swapped_duplicated_are_E_SEQ(void **state)
{
	size_t n;
	char **l;
	rb_vreport *r;
	const char *d;
	char *tmp;

	(void)state;
	/* Deleted: line 10 now holds seq 10 where 9 was expected. */
	d = copy_of(VEC "/export-2026-07");
	l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	free(l[9]);
	memmove(&l[9], &l[10], (n - 10) * sizeof(*l));
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n - 1, "\n", 1);
	tu_free_lines(l, n - 1);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_SEQ", 10, 10);
	expect(r, "E_CHAIN", 10, 10);
	clean_before(r, 10);
	rb_vreport_free(r);
	/* Swapped: lines 10 and 11. */
	d = copy_of(VEC "/export-2026-07");
	l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	tmp = l[9];
	l[9] = l[10];
	l[10] = tmp;
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n, "\n", 1);
	tu_free_lines(l, n);
	tu_fix_manifest(d);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_SEQ", 10, 10);
	expect(r, "E_SEQ", 9, 11);
	clean_before(r, 10);
	rb_vreport_free(r);
	/* Duplicated: line 11 repeats seq 9. */
	d = copy_of(VEC "/export-2026-07");
	l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	l = realloc(l, (n + 1) * sizeof(*l));
	memmove(&l[10], &l[9], (n - 9) * sizeof(*l));
	l[10] = strdup(l[9]);
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n + 1, "\n", 1);
	tu_free_lines(l, n + 1);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_SEQ", 9, 11);
	clean_before(r, 11);
	rb_vreport_free(r);
}

static void tail_truncated_is_E_TRUNCATED_even_with_manifest_fixed(void **state)
{
	const char *d = copy_of(VEC "/export-2026-09");
	size_t n;
	char **l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	rb_vreport *r;

	(void)state;
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n - 3, "\n", 1);
	tu_free_lines(l, n);
	tu_fix_manifest(d);     /* the best a forger can do without the key */
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_TRUNCATED", -1, -1);
	assert_false(rb_vreport_valid(r));
	rb_vreport_free(r);
}

static void blank_non_json_and_bad_base64_lines_are_E_PARSE(void **state)
{
	const char *d;
	rb_vreport *r;
	char *line;

	(void)state;
	d = copy_of(VEC "/export-2026-08");
	set_line(d, 10, strdup(""));
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_PARSE", -1, 10);
	clean_before(r, 10);
	rb_vreport_free(r);

	d = copy_of(VEC "/export-2026-08");
	set_line(d, 10, strdup("this is not JSON"));
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_PARSE", -1, 10);
	rb_vreport_free(r);

	d = copy_of(VEC "/export-2026-08");
	line = get_line(d, 10);
	set_line(d, 10, replace(line, "\"payload\":\"ey", "\"payload\":\"*y"));
	free(line);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_PARSE", -1, 10);
	rb_vreport_free(r);

	d = copy_of(VEC "/export-2026-08");
	line = get_line(d, 10);
	set_line(d, 10, replace(line, "application/vnd", "application/x"));
	free(line);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_PARSE", -1, 10);
	rb_vreport_free(r);
}

static void forged_payloads_are_E_PAYLOAD_or_E_LEDGER(void **state)
{
	const char *d;
	rb_vreport *r;

	(void)state;
	/* Duplicate member, validly signed. */
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "\"event\":", "\"actor\":\"x\",\"event\":", 1, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_PAYLOAD", -1, 12);
	clean_before(r, 12);
	rb_vreport_free(r);
	/* Another ledger. */
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "test.example/ledger", "evil.example/ledger", 1, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_LEDGER", 11, 12);
	rb_vreport_free(r);
	/* seq at 2^53. */
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "\"seq\":11", "\"seq\":9007199254740992", 1, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_PAYLOAD", -1, 12);
	rb_vreport_free(r);
	/* Malformed time. */
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "T11:00:00Z", " 11:00:00", 1, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_PAYLOAD", 11, 12);
	rb_vreport_free(r);
	/* U+0000 in a string. */
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "RB-2", "RB-\\u0000", 1, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_PAYLOAD", -1, 12);
	rb_vreport_free(r);
	/* A missing member. */
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "\"actor\":\"bob@example.test\",", "", 1, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_PAYLOAD", 11, 12);
	rb_vreport_free(r);
}

static void key_problems_have_their_codes(void **state)
{
	const char *d;
	rb_vreport *r;

	(void)state;
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "\"v\":1", "\"v\":1", 3, "rogue");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_KEY_UNKNOWN", 11, 12);
	rb_vreport_free(r);

	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "\"v\":1", "\"v\":1", 4, "ck-only");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_KEY_ROLE", 11, 12);
	assert_int_equal(rb_vreport_errors_total(r), 1);  /* same bytes: chain intact */
	rb_vreport_free(r);

	/* A key that names a trusted key but is forged by another. */
	d = copy_of(tu_path(fx, "A"));
	forge(d, 12, "\"v\":1", "\"v\":1", 3, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "E_SIG", 11, 12);
	rb_vreport_free(r);

	/* Before the key's validity: entries 0..4 at 00:00..04:00. */
	r = verify_with(tu_path(fx, "A"), tu_path(fx, "keys-late.json"), 2);
	expect(r, "E_KEY_NOT_VALID", 0, 1);
	expect(r, "E_KEY_NOT_VALID", 4, 5);
	assert_int_equal(rb_vreport_errors_total(r), 5);
	rb_vreport_free(r);

	/* Revoked at 05:00: seq 5 on fail, seq 0..4 pass with a warning. */
	r = verify_with(tu_path(fx, "A"), tu_path(fx, "keys-revoked.json"), 2);
	expect(r, "E_KEY_REVOKED", 5, 6);
	expect(r, "E_KEY_REVOKED", 11, 12);
	expect(r, "W_KEY_REVOKED_LATER", 4, 5);
	clean_before(r, 6);
	rb_vreport_free(r);

	r = verify_with(tu_path(fx, "A"), tu_path(fx, "keys-revoked-later.json"), 2);
	assert_true(rb_vreport_valid(r));
	expect(r, "W_KEY_REVOKED_LATER", 0, 1);
	assert_int_equal(rb_vreport_warnings_total(r), 12);
	rb_vreport_free(r);
}

static void checkpoint_and_manifest_tampering(void **state)
{
	const char *d;
	rb_vreport *r;
	char *cp, *m, *nm;
	size_t len;

	(void)state;
	/* Checkpoint signature changed. */
	d = copy_of(VEC "/export-2026-08");
	cp = tu_slurp(tu_path(d, "checkpoint"), &len);
	cp[len - 10] = cp[len - 10] == 'A' ? 'B' : 'A';
	tu_spit(tu_path(d, "checkpoint"), cp, len);
	free(cp);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_CHECKPOINT_SIG", -1, -1);
	assert_int_equal(rb_vreport_errors_total(r), 1);
	rb_vreport_free(r);
	/* Frontier forged: its first hash replaced by the second. */
	d = copy_of(VEC "/export-2026-08");
	m = tu_slurp(tu_path(d, "manifest.json"), NULL);
	nm = replace(m, "gdAUh1RVNhkl5eJHjYFpmgmyFm4o4Ch+b/aTyOOIhzA=",
		     "yvyOLLL8e78Msl6uwVxGSSim0rA4Yt5su41LAwjxiRM=");
	tu_spit(tu_path(d, "manifest.json"), nm, strlen(nm));
	free(m);
	free(nm);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_ROOT", -1, -1);
	rb_vreport_free(r);
	/* entry_count wrong. */
	d = copy_of(VEC "/export-2026-08");
	m = tu_slurp(tu_path(d, "manifest.json"), NULL);
	nm = replace(m, "\"entry_count\": 217", "\"entry_count\": 218");
	tu_spit(tu_path(d, "manifest.json"), nm, strlen(nm));
	free(m);
	free(nm);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_MANIFEST", -1, -1);
	rb_vreport_free(r);
	/* entries_sha256 wrong. */
	d = copy_of(VEC "/export-2026-08");
	m = tu_slurp(tu_path(d, "manifest.json"), NULL);
	nm = replace(m, "c583f341", "c583f342");
	tu_spit(tu_path(d, "manifest.json"), nm, strlen(nm));
	free(m);
	free(nm);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_MANIFEST", -1, -1);
	assert_int_equal(rb_vreport_errors_total(r), 1);
	rb_vreport_free(r);
	/* A missing checkpoint. */
	d = copy_of(VEC "/export-2026-08");
	remove(tu_path(d, "checkpoint"));
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_IO", -1, -1);
	rb_vreport_free(r);
	/* A checkpoint of another origin. */
	d = copy_of(VEC "/export-2026-07");
	cp = tu_slurp(tu_path(d, "checkpoint"), &len);
	cp[0] = 'b';
	tu_spit(tu_path(d, "checkpoint"), cp, len);
	free(cp);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_LEDGER", -1, -1);
	rb_vreport_free(r);
	/* A directory where a file should be. */
	d = copy_of(VEC "/export-2026-07");
	remove(tu_path(d, "manifest.json"));
	mkdir(tu_path(d, "manifest.json"), 0700);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_IO", -1, -1);
	rb_vreport_free(r);
}

static void crlf_and_missing_final_lf_are_valid(void **state)
{
	const char *d;
	size_t n;
	char **l;
	rb_vreport *r;

	(void)state;
	d = copy_of(VEC "/export-2026-08");
	l = tu_lines(tu_path(d, "entries.jsonl"), &n);
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n, "\r\n", 1);
	tu_fix_manifest(d);
	r = verify_with(d, VEC "/keys.json", 2);
	assert_true(rb_vreport_valid(r));
	rb_vreport_free(r);
	tu_write_lines(tu_path(d, "entries.jsonl"), l, n, "\n", 0);
	tu_fix_manifest(d);
	r = verify_with(d, VEC "/keys.json", 2);
	assert_true(rb_vreport_valid(r));
	assert_int_equal(rb_vreport_entries(r), 217);
	rb_vreport_free(r);
	tu_free_lines(l, n);
}

static void time_backwards_is_a_warning(void **state)
{
	const char *d = copy_of(tu_path(fx, "A"));
	rb_vreport *r;

	(void)state;
	/* The last entry re-signed an hour earlier than the one before it. */
	forge(d, 12, "T11:00:00Z", "T09:30:00Z", 1, "test-ledger");
	r = verify_with(d, tu_path(fx, "keys.json"), 2);
	expect(r, "W_TIME_BACKWARDS", 11, 12);
	rb_vreport_free(r);
}

static void an_overlong_line_is_E_PARSE_in_bounded_memory(void **state)
{
	const char *d = copy_of(VEC "/export-2026-08");
	size_t big = (size_t)RB_ENTRY_MAX_LINE + 100;
	char *line = malloc(big + 1);
	rb_vreport *r;

	(void)state;
	memset(line, 'x', big);
	line[big] = '\0';
	set_line(d, 3, line);
	r = verify_with(d, VEC "/keys.json", 2);
	expect(r, "E_PARSE", -1, 3);
	assert_int_equal(rb_vreport_entries(r), 217);
	rb_vreport_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors_verify_with_ranges),
		cmocka_unit_test(own_exports_verify_and_count_countersignature),
		cmocka_unit_test(one_thread_and_many_agree),
		cmocka_unit_test(payload_byte_changed_is_E_SIG),
		cmocka_unit_test(signature_changed_is_E_SIG),
		cmocka_unit_test(line_deleted_swapped_duplicated_are_E_SEQ),
		cmocka_unit_test(tail_truncated_is_E_TRUNCATED_even_with_manifest_fixed),
		cmocka_unit_test(blank_non_json_and_bad_base64_lines_are_E_PARSE),
		cmocka_unit_test(forged_payloads_are_E_PAYLOAD_or_E_LEDGER),
		cmocka_unit_test(key_problems_have_their_codes),
		cmocka_unit_test(checkpoint_and_manifest_tampering),
		cmocka_unit_test(crlf_and_missing_final_lf_are_valid),
		cmocka_unit_test(time_backwards_is_a_warning),
		cmocka_unit_test(an_overlong_line_is_E_PARSE_in_bounded_memory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
