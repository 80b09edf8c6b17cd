/* testutil.c - see testutil.h. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <fnmatch.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "lib/dsse.h"

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(4096);

	snprintf(p, 4096, "%s/rbaudit-test-XXXXXX", base ? base : "/tmp");
	if (mkdtemp(p) == NULL)
		abort();
	return p;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

void tu_rmrf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_path(const char *dir, const char *name)
{
	static char bufs[8][4096];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, 4096, "%s/%s", dir, name);
	return b;
}

char *tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL)
		abort();
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
		abort();
	b[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return b;
}

void tu_spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len)
		abort();
	fclose(f);
}

void tu_copy_export(const char *src, const char *dst)
{
	static const char *files[] = { "manifest.json", "entries.jsonl", "checkpoint" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		char *b = tu_slurp(tu_path(src, files[i]), &n);

		tu_spit(tu_path(dst, files[i]), b, n);
		free(b);
	}
}

char **tu_lines(const char *path, size_t *n)
{
	size_t len, cap = 64, i;
	char *b = tu_slurp(path, &len), *p = b, **out = malloc(cap * sizeof(*out));

	*n = 0;
	while (p < b + len) {
		char *nl = memchr(p, '\n', (size_t)(b + len - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(b + len - p);

		if (*n == cap)
			out = realloc(out, (cap *= 2) * sizeof(*out));
		out[*n] = malloc(l + 1);
		memcpy(out[*n], p, l);
		out[*n][l] = '\0';
		(*n)++;
		p += l + 1;
	}
	(void)i;
	free(b);
	return out;
}

void tu_write_lines(const char *path, char **lines, size_t n, const char *eol,
		    int final_eol)
{
	FILE *f = fopen(path, "wb");
	size_t i;

	if (f == NULL)
		abort();
	for (i = 0; i < n; i++) {
		fputs(lines[i], f);
		if (i + 1 < n || final_eol)
			fputs(eol, f);
	}
	fclose(f);
}

void tu_free_lines(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

void tu_unhex(const char *hex, uint8_t *out, size_t n)
{
	if (rb_hex_decode(hex, n, out) != 0)
		abort();
}

rb_privkey *tu_key(uint8_t b)
{
	uint8_t seed[32];
	rb_privkey *k;
	int i;

	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t)(b + i);
	if (rb_privkey_from_seed(seed, &k, NULL) != 0)
		abort();
	return k;
}

char *tu_envelope(const char *payload, rb_privkey **keys, const char **names, size_t n)
{
	size_t plen = strlen(payload), i, hdr, cap = plen + 1024 + n * 200;
	char *pae = malloc(plen + 256), *out = malloc(cap + rb_b64_enclen(plen));
	char *b64 = malloc(rb_b64_enclen(plen) + 1), sig64[96];
	uint8_t sig[64];

	hdr = rb_dsse_pae_header(RB_DSSE_ENTRY_TYPE, plen, pae, plen + 256);
	memcpy(pae + hdr, payload, plen);
	rb_b64_encode(payload, plen, b64);
	sprintf(out, "{\"payloadType\":\"%s\",\"payload\":\"%s\",\"signatures\":[",
		RB_DSSE_ENTRY_TYPE, b64);
	for (i = 0; i < n; i++) {
		if (rb_privkey_sign(keys[i], pae, hdr + plen, sig, NULL) != 0)
			abort();
		rb_b64_encode(sig, 64, sig64);
		sprintf(out + strlen(out), "%s{\"keyid\":\"%s\",\"sig\":\"%s\"}", i ? "," : "",
			names[i], sig64);
	}
	strcat(out, "]}");
	free(pae);
	free(b64);
	return out;
}

char *tu_payload_of(const char *line)
{
	cJSON *env = cJSON_Parse(line);
	const char *b64 = cJSON_GetObjectItem(env, "payload")->valuestring;
	char *out = malloc(strlen(b64) + 1);
	long n = rb_b64_decode(b64, strlen(b64), (uint8_t *)out);

	if (n < 0)
		abort();
	out[n] = '\0';
	cJSON_Delete(env);
	return out;
}

void tu_fix_manifest(const char *dir)
{
	size_t len, n;
	char *m = tu_slurp(tu_path(dir, "manifest.json"), NULL);
	char *entries = tu_slurp(tu_path(dir, "entries.jsonl"), &len);
	char **lines = tu_lines(tu_path(dir, "entries.jsonl"), &n);
	cJSON *doc = cJSON_Parse(m);
	uint8_t d[32];
	char hex[65], *text;
	double first = cJSON_GetObjectItem(doc, "first_seq")->valuedouble;

	rb_sha256(entries, len, d);
	rb_hex_encode(d, 32, hex);
	cJSON_ReplaceItemInObject(doc, "entries_sha256", cJSON_CreateString(hex));
	cJSON_ReplaceItemInObject(doc, "entry_count", cJSON_CreateNumber((double)n));
	cJSON_ReplaceItemInObject(doc, "last_seq", cJSON_CreateNumber(first + (double)n - 1));
	text = cJSON_Print(doc);
	tu_spit(tu_path(dir, "manifest.json"), text, strlen(text));
	free(text);
	cJSON_Delete(doc);
	tu_free_lines(lines, n);
	free(entries);
	free(m);
}

#include "lib/fsutil.h"
#include "produce/seal.h"

static void write_store(const char *path, rb_privkey *ledger, rb_privkey *alice,
			rb_privkey *ck, const char *ledger_from, const char *revoked)
{
	rb_trust *t = NULL;
	struct rb_time from, jan = { 1767225600, 0 }; /* 2026-01-01 */
	uint8_t pub[32];
	cJSON *e;
	int added;

	if (rb_trust_new(&t, NULL) != 0 ||
	    rb_time_parse(ledger_from, strlen(ledger_from), &from) != 0)
		abort();
	rb_privkey_public(ledger, pub);
	e = rb_tkey_entry("test-ledger", NULL, pub, "entry,checkpoint", &from);
	if (revoked != NULL)
		cJSON_ReplaceItemInObject(e, "revoked_at", cJSON_CreateString(revoked));
	if (rb_trust_add(t, e, &added, NULL) != 0)
		abort();
	cJSON_Delete(e);
	rb_privkey_public(alice, pub);
	e = rb_tkey_entry("alice-key", "alice@example.test", pub, "approver", &jan);
	if (rb_trust_add(t, e, &added, NULL) != 0)
		abort();
	cJSON_Delete(e);
	rb_privkey_public(ck, pub);
	e = rb_tkey_entry("ck-only", NULL, pub, "checkpoint", &jan);
	if (rb_trust_add(t, e, &added, NULL) != 0)
		abort();
	cJSON_Delete(e);
	if (rb_trust_save(t, path, NULL) != 0)
		abort();
	rb_trust_free(t);
}

static void seal_range_v(const char *dir, struct rb_ledger_state *st, int from, int to,
			 rb_privkey *ledger, rb_privkey *alice, int variant)
{
	static const char *events[] = { "change.deployed", "incident.detected",
		"rollback.requested", "rollback.executed" };
	rb_sealer *s = NULL;
	struct rb_ledger_state next;
	struct rb_cosigner cos = { "alice-key", alice };
	int i;

	if (rb_sealer_open(dir, st, "test-ledger", ledger, &s, NULL) != 0)
		abort();
	for (i = from; i < to; i++) {
		char time[32], json[128];
		cJSON *data;
		int approval = i == 5;

		snprintf(time, sizeof(time), "2026-08-01T%02d:00:00Z", i);
		snprintf(json, sizeof(json), "{\"change_id\":\"CHG-%d\",\"rollback_id\":\"RB-%d\"}",
			 i / 4, i / 4);
		data = cJSON_Parse(json);
		if (rb_sealer_add(s, time, approval ? "rollback.approved" : events[i % 4],
				  approval ? "alice@example.test" :
				  variant ? "mallory@example.test" : "bob@example.test", data,
				  approval ? &cos : NULL, approval ? 1 : 0, NULL) != 0)
			abort();
		cJSON_Delete(data);
	}
	if (rb_sealer_close(s, 1, &next, NULL) != 0)
		abort();
	rb_state_clear(st);
	*st = next;
}

static void seal_range(const char *dir, struct rb_ledger_state *st, int from, int to,
		       rb_privkey *ledger, rb_privkey *alice)
{
	seal_range_v(dir, st, from, to, ledger, alice, 0);
}

void tu_seal_range(const char *dir, struct rb_ledger_state *st, int from, int to,
		   int variant)
{
	rb_privkey *ledger = tu_key(1), *alice = tu_key(2);

	seal_range_v(dir, st, from, to, ledger, alice, variant);
	rb_privkey_free(ledger);
	rb_privkey_free(alice);
}

char *tu_db_dump(const char *path)
{
	char cmd[4200], *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' .dump", path);
	p = popen(cmd, "r");
	if (p == NULL)
		abort();
	do {
		if (len + 65536 > cap)
			buf = realloc(buf, cap = cap * 2 + 65536);
		n = fread(buf + len, 1, 65536, p);
		len += n;
	} while (n > 0);
	pclose(p);
	buf[len] = '\0';
	return buf;
}

void tu_make_fixture(const char *dir)
{
	rb_privkey *ledger, *alice, *ck;
	struct rb_ledger_state st;

	if (access(tu_path(dir, "keys.json"), F_OK) == 0)
		return;         /* made already */
	ledger = tu_key(1);
	alice = tu_key(2);
	ck = tu_key(4);
	write_store(tu_path(dir, "keys.json"), ledger, alice, ck, "2026-01-01T00:00:00Z", NULL);
	write_store(tu_path(dir, "keys-late.json"), ledger, alice, ck, "2026-08-01T05:00:00Z", NULL);
	write_store(tu_path(dir, "keys-revoked.json"), ledger, alice, ck, "2026-01-01T00:00:00Z",
		    "2026-08-01T05:00:00Z");
	write_store(tu_path(dir, "keys-revoked-later.json"), ledger, alice, ck,
		    "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
	rb_state_init(&st, "test.example/ledger");
	seal_range(tu_path(dir, "A"), &st, 0, 12, ledger, alice);
	seal_range(tu_path(dir, "B"), &st, 12, 20, ledger, alice);
	rb_state_clear(&st);
	rb_privkey_free(ledger);
	rb_privkey_free(alice);
	rb_privkey_free(ck);
}

void tu_exec(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	char *err = NULL;

	if (sqlite3_open(db, &h) != SQLITE_OK ||
	    sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "tu_exec: %s: %s\n", sql, err ? err : sqlite3_errmsg(h));
		abort();
	}
	sqlite3_close(h);
}

int64_t tu_query_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, sql, -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "tu_query_int: %s: %s\n", sql, sqlite3_errmsg(h));
		abort();
	}
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return v;
}

size_t tu_select(struct CMUnitTest *t, size_t n)
{
	const char *skip = getenv("RB_TEST_SKIP");
	size_t i, kept = 0;

	for (i = 0; i < n; i++) {
		char pats[512], *pat, *save = NULL;
		int drop = 0;

		snprintf(pats, sizeof(pats), "%s", skip != NULL ? skip : "");
		for (pat = strtok_r(pats, ",", &save); pat != NULL; pat = strtok_r(NULL, ",", &save))
			drop |= fnmatch(pat, t[i].name, 0) == 0;
		if (!drop)
			t[kept++] = t[i];
	}
	return kept;
}
