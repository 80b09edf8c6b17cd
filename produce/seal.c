/* seal.c - writing ledger exports (ledger-export-v1 §§2-5). */
#include "seal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dsse.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/lines.h"
#include "lib/note.h"
#include "lib/rtime.h"
#include "lib/trust.h"

#define PAYLOAD_TYPE RB_DSSE_ENTRY_TYPE
#define STATE_MAX (1u << 20)
#define EVENT_MAX_LINE (1u << 20)

struct rb_sealer {
	char dir[PATH_MAX];
	char tmp_entries[PATH_MAX];
	FILE *f;
	rb_sha256_ctx *sha;
	struct rb_ledger_state st;      /* advances with every entry */
	struct rb_merkle before;
	char *prev_checkpoint;
	const char *keyname;
	const rb_privkey *key;
	uint64_t count;
	char *pae;
	size_t paecap;
};

void rb_state_init(struct rb_ledger_state *s, const char *ledger)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ledger, sizeof(s->ledger), "%s", ledger);
	rb_merkle_init(&s->tree);
}

void rb_state_clear(struct rb_ledger_state *s)
{
	free(s->checkpoint);
	s->checkpoint = NULL;
}

int rb_state_load(const char *path, struct rb_ledger_state *s, struct rb_err *e)
{
	char *buf = NULL, why[160];
	cJSON *doc = NULL;
	const cJSON *fr, *h;
	const char *str;
	int64_t size;
	size_t len;
	int rc = -1, i = 0;
	uint8_t hashes[RB_MERKLE_MAX][32];

	memset(s, 0, sizeof(*s));
	if (rb_read_file(path, STATE_MAX, &buf, &len, e) != 0)
		return -1;
	if (rb_json_parse(buf, len, 8, &doc, why, sizeof(why)) != 0) {
		RB_ERR(e, RB_EX_DATAERR, "state file '%s': %s", path, why);
		goto out;
	}
	str = rb_json_str(doc, "ledger");
	if (str == NULL) {
		RB_ERR(e, RB_EX_DATAERR, "state file '%s': \"ledger\" is missing or not a string",
		       path);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(doc, "size") == NULL) {
		RB_ERR(e, RB_EX_DATAERR, "state file '%s': \"size\" is missing", path);
		goto out;
	}
	if (rb_json_int(doc, "size", 0, RB_JSON_MAX_INT, &size) != 0) {
		RB_ERR(e, RB_EX_DATAERR, "state file '%s': \"size\" must be a whole number from 0 "
		       "to %lld (the entries sealed so far)", path, (long long)RB_JSON_MAX_INT);
		goto out;
	}
	snprintf(s->ledger, sizeof(s->ledger), "%s", str);
	fr = cJSON_GetObjectItemCaseSensitive(doc, "frontier");
	if (!cJSON_IsArray(fr) || cJSON_GetArraySize(fr) > RB_MERKLE_MAX)
		goto bad;
	cJSON_ArrayForEach(h, fr) {
		uint8_t tmp[48];

		if (!cJSON_IsString(h) || strlen(h->valuestring) != 44 ||
		    rb_b64_decode(h->valuestring, 44, tmp) != 32)
			goto bad;
		memcpy(hashes[i++], tmp, 32);
	}
	if (rb_merkle_from_frontier(&s->tree, (uint64_t)size,
				    (const uint8_t (*)[32])hashes, i) != 0)
		goto bad;
	str = rb_json_str(doc, "last_leaf");
	if (str == NULL || strlen(str) != 64 || rb_hex_decode(str, 32, s->last_leaf) != 0)
		goto bad;
	str = rb_json_str(doc, "last_time");
	snprintf(s->last_time, sizeof(s->last_time), "%s", str ? str : "");
	str = rb_json_str(doc, "checkpoint");
	if (size > 0) {
		if (str == NULL)
			goto bad;
		s->checkpoint = strdup(str);
		if (s->checkpoint == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	rc = 0;
	goto out;
bad:
	RB_ERR(e, RB_EX_DATAERR,
	       "state file '%s': \"frontier\", \"last_leaf\" or \"checkpoint\" is malformed",
	       path);
out:
	cJSON_Delete(doc);
	free(buf);
	return rc;
}

int rb_state_save(const char *path, const struct rb_ledger_state *s,
		  struct rb_err *e)
{
	cJSON *doc = cJSON_CreateObject(), *fr;
	char hex[65], b64[48];
	int i, rc;

	if (doc == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	cJSON_AddStringToObject(doc, "ledger", s->ledger);
	cJSON_AddNumberToObject(doc, "size", (double)s->tree.size);
	fr = cJSON_AddArrayToObject(doc, "frontier");
	for (i = 0; fr != NULL && i < s->tree.n; i++) {
		rb_b64_encode(s->tree.h[i], 32, b64);
		cJSON_AddItemToArray(fr, cJSON_CreateString(b64));
	}
	rb_hex_encode(s->last_leaf, 32, hex);
	cJSON_AddStringToObject(doc, "last_leaf", hex);
	cJSON_AddStringToObject(doc, "last_time", s->last_time);
	if (s->checkpoint != NULL)
		cJSON_AddStringToObject(doc, "checkpoint", s->checkpoint);
	else
		cJSON_AddNullToObject(doc, "checkpoint");
	rc = rb_write_json(path, doc, 0640, e);
	cJSON_Delete(doc);
	return rc;
}

static int exists_in(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return 0;
	return lstat(p, &st) == 0;
}

int rb_sealer_open(const char *out_dir, const struct rb_ledger_state *st,
		   const char *keyname, const rb_privkey *key, rb_sealer **out,
		   struct rb_err *e)
{
	rb_sealer *s = NULL;
	int fd;

	*out = NULL;
	if (!rb_keyname_valid(keyname))
		return RB_ERR(e, RB_EX_USAGE, "invalid key name '%s'", keyname);
	if (st->ledger[0] == '\0' || strchr(st->ledger, '\n') != NULL)
		return RB_ERR(e, RB_EX_USAGE, "invalid ledger origin '%s'", st->ledger);
	if (rb_mkdir_p(out_dir, 0750, e) != 0)
		return -1;
	if (exists_in(out_dir, "entries.jsonl") || exists_in(out_dir, "manifest.json") ||
	    exists_in(out_dir, "checkpoint") || exists_in(out_dir, "READY"))
		return RB_ERR(e, RB_EX_CANTCREAT, "'%s' already holds an export", out_dir);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	snprintf(s->dir, sizeof(s->dir), "%s", out_dir);
	if (rb_path_join(s->tmp_entries, sizeof(s->tmp_entries), out_dir,
			 "entries.jsonl.tmp", e) != 0)
		goto fail;
	s->st = *st;
	s->st.checkpoint = NULL;
	s->before = st->tree;
	if (st->checkpoint != NULL && (s->prev_checkpoint = strdup(st->checkpoint)) == NULL)
		goto oom;
	s->keyname = keyname;
	s->key = key;
	s->sha = rb_sha256_new();
	if (s->sha == NULL)
		goto oom;
	fd = open(s->tmp_entries, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s': %s", s->tmp_entries,
		       strerror(errno));
		goto fail;
	}
	s->f = fdopen(fd, "wb");
	if (s->f == NULL) {
		close(fd);
		goto oom;
	}
	*out = s;
	return 0;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
fail:
	rb_sealer_close(s, 0, NULL, NULL);
	return -1;
}


/* time has the digits and separators of YYYY-MM-DDTHH:MM:SS...Z (its values aside). */
static int time_shaped(const char *time)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t i, n = strlen(time);

	if (n < sizeof(form) || time[n - 1] != 'Z')
		return 0;
	for (i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? !isdigit((unsigned char)time[i]) : time[i] != form[i])
			return 0;
	return 1;
}
static int write_out(rb_sealer *s, const void *buf, size_t len, struct rb_err *e)
{
	if (fwrite(buf, 1, len, s->f) != len)
		return RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", s->tmp_entries,
			      strerror(errno));
	rb_sha256_update(s->sha, buf, len);
	return 0;
}

int rb_sealer_add(rb_sealer *s, const char *time, const char *event,
		  const char *actor, const cJSON *data,
		  const struct rb_cosigner *cosigners, size_t ncosigners,
		  struct rb_err *e)
{
	cJSON *p = NULL, *chk = NULL;
	char *payload = NULL, *b64 = NULL, hex[65], why[160], sig64[96];
	uint8_t sig[RB_ED25519_SIG_LEN], leaf[32];
	struct rb_time t;
	size_t plen, hdr, i;
	int rc = -1, w;

	if (rb_time_parse(time, strlen(time), &t) != 0)
		return RB_ERR(e, RB_EX_DATAERR, time_shaped(time) ?
			      "time \"%.40s\" has the form YYYY-MM-DDTHH:MM:SS[.f]Z but is no real "
			      "time (no such day, hour, minute or second)" :
			      "time \"%.40s\" is not YYYY-MM-DDTHH:MM:SS[.f]Z", time);
	if (event[0] == '\0' || actor[0] == '\0')
		return RB_ERR(e, RB_EX_DATAERR, "event and actor must not be empty");
	if (!cJSON_IsObject(data))
		return RB_ERR(e, RB_EX_DATAERR, "data is not a JSON object");
	if (s->st.tree.size > (uint64_t)RB_JSON_MAX_INT)
		return RB_ERR(e, RB_EX_DATAERR, "the ledger is full (seq 2^53)");
	/* §3: the payload members, in this order, compact. */
	p = cJSON_CreateObject();
	if (p == NULL)
		goto oom;
	if (s->st.tree.size == 0) {
		memset(hex, '0', 64);
		hex[64] = '\0';
	} else {
		rb_hex_encode(s->st.last_leaf, 32, hex);
	}
	cJSON_AddNumberToObject(p, "v", 1);
	cJSON_AddStringToObject(p, "ledger", s->st.ledger);
	cJSON_AddNumberToObject(p, "seq", (double)s->st.tree.size);
	cJSON_AddStringToObject(p, "time", time);
	cJSON_AddStringToObject(p, "prev", hex);
	cJSON_AddStringToObject(p, "event", event);
	cJSON_AddStringToObject(p, "actor", actor);
	if (!cJSON_AddItemReferenceToObject(p, "data", (cJSON *)data))
		goto oom;
	payload = cJSON_PrintUnformatted(p);
	if (payload == NULL)
		goto oom;
	plen = strlen(payload);
	/* Never write what our own verifier would refuse. */
	if (rb_json_parse(payload, plen, 64, &chk, why, sizeof(why)) != 0) {
		RB_ERR(e, RB_EX_DATAERR, "the entry would not be valid: %s", why);
		goto out;
	}
	/* DSSE PAE, then sign. */
	if (s->paecap < plen + sizeof(PAYLOAD_TYPE) + RB_DSSE_HDR_EXTRA) {
		size_t ncap = plen + sizeof(PAYLOAD_TYPE) + RB_DSSE_HDR_EXTRA;
		char *np = realloc(s->pae, ncap);

		if (np == NULL)
			goto oom;
		s->pae = np;
		s->paecap = ncap;
	}
	hdr = rb_dsse_pae_header(PAYLOAD_TYPE, plen, s->pae, s->paecap);
	memcpy(s->pae + hdr, payload, plen);
	b64 = malloc(rb_b64_enclen(plen) + 1);
	if (b64 == NULL)
		goto oom;
	rb_b64_encode(payload, plen, b64);
	w = snprintf(why, sizeof(why), "{\"payloadType\":\"%s\",\"payload\":\"", PAYLOAD_TYPE);
	if (write_out(s, why, (size_t)w, e) != 0 || write_out(s, b64, strlen(b64), e) != 0 ||
	    write_out(s, "\",\"signatures\":[", 16, e) != 0)
		goto out;
	for (i = 0; i <= ncosigners; i++) {
		const char *name = i == 0 ? s->keyname : cosigners[i - 1].name;
		const rb_privkey *k = i == 0 ? s->key : cosigners[i - 1].key;
		char head[RB_KEYNAME_MAX + 32];

		if (rb_privkey_sign(k, s->pae, hdr + plen, sig, e) != 0)
			goto out;
		rb_b64_encode(sig, sizeof(sig), sig64);
		w = snprintf(head, sizeof(head), "%s{\"keyid\":\"%s\",\"sig\":\"",
			     i ? "," : "", name);
		if (write_out(s, head, (size_t)w, e) != 0 ||
		    write_out(s, sig64, strlen(sig64), e) != 0 ||
		    write_out(s, "\"}", 2, e) != 0)
			goto out;
	}
	if (write_out(s, "]}\n", 3, e) != 0)
		goto out;
	rb_merkle_leaf(payload, plen, leaf);
	rb_merkle_append(&s->st.tree, leaf);
	memcpy(s->st.last_leaf, leaf, 32);
	snprintf(s->st.last_time, sizeof(s->st.last_time), "%s", time);
	s->count++;
	rc = 0;
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	cJSON_Delete(chk);
	free(b64);
	cJSON_free(payload);
	cJSON_Delete(p);
	return rc;
}

int rb_sealer_set_key(rb_sealer *s, const char *keyname, const rb_privkey *key,
		      struct rb_err *e)
{
	if (!rb_keyname_valid(keyname))
		return RB_ERR(e, RB_EX_USAGE, "invalid key name '%s'", keyname);
	s->keyname = keyname;
	s->key = key;
	return 0;
}

uint64_t rb_sealer_count(const rb_sealer *s)
{
	return s->count;
}

/* The manifest of §5, as text. */
static char *manifest_text(const rb_sealer *s, const char *sha_hex)
{
	cJSON *m = cJSON_CreateObject(), *fr;
	char b64[48], *text = NULL, *withnl = NULL;
	int i;

	if (m == NULL)
		return NULL;
	cJSON_AddStringToObject(m, "format", "rollback-ledger-export");
	cJSON_AddNumberToObject(m, "version", 1);
	cJSON_AddStringToObject(m, "ledger", s->st.ledger);
	cJSON_AddNumberToObject(m, "first_seq", (double)s->before.size);
	cJSON_AddNumberToObject(m, "last_seq", (double)(s->st.tree.size - 1));
	cJSON_AddNumberToObject(m, "entry_count", (double)s->count);
	cJSON_AddStringToObject(m, "entries_sha256", sha_hex);
	fr = cJSON_AddArrayToObject(m, "frontier");
	for (i = 0; fr != NULL && i < s->before.n; i++) {
		rb_b64_encode(s->before.h[i], 32, b64);
		cJSON_AddItemToArray(fr, cJSON_CreateString(b64));
	}
	if (s->prev_checkpoint != NULL)
		cJSON_AddStringToObject(m, "previous_checkpoint", s->prev_checkpoint);
	else
		cJSON_AddNullToObject(m, "previous_checkpoint");
	text = cJSON_Print(m);
	cJSON_Delete(m);
	if (text == NULL)
		return NULL;
	withnl = malloc(strlen(text) + 2);
	if (withnl != NULL)
		sprintf(withnl, "%s\n", text);
	cJSON_free(text);
	return withnl;
}

static void remove_in(const char *dir, const char *name)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p))
		unlink(p);
}

int rb_sealer_close(rb_sealer *s, int commit, struct rb_ledger_state *next,
		    struct rb_err *e)
{
	char sha_hex[65], path[PATH_MAX], *manifest = NULL, *cp = NULL;
	uint8_t digest[32], root[32];
	int rc = -1;

	if (s == NULL)
		return 0;
	if (s->f != NULL) {
		int bad = fflush(s->f) != 0 || fsync(fileno(s->f)) != 0;

		bad |= fclose(s->f) != 0;
		s->f = NULL;
		if (bad && commit) {
			RB_ERR(e, RB_EX_IOERR, "cannot write '%s': %s", s->tmp_entries,
			       strerror(errno));
			commit = 0;
		}
	}
	if (!commit)
		goto out;
	if (s->count == 0) {
		RB_ERR(e, RB_EX_DATAERR, "no events to seal: an export holds one entry at least");
		goto out;
	}
	rb_sha256_final(s->sha, digest);
	rb_hex_encode(digest, 32, sha_hex);
	rb_merkle_root(&s->st.tree, root);
	if (rb_checkpoint_sign(s->st.ledger, s->st.tree.size, root, s->keyname, s->key,
			       &cp, e) != 0)
		goto out;
	manifest = manifest_text(s, sha_hex);
	if (manifest == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	/* entries and checkpoint first, then the manifest, and READY last. */
	if (rb_path_join(path, sizeof(path), s->dir, "entries.jsonl", e) != 0)
		goto out;
	if (rename(s->tmp_entries, path) != 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot rename '%s': %s", s->tmp_entries,
		       strerror(errno));
		goto out;
	}
	if (rb_path_join(path, sizeof(path), s->dir, "checkpoint", e) != 0 ||
	    rb_write_atomic(path, cp, strlen(cp), 0640, e) != 0)
		goto out;
	if (rb_path_join(path, sizeof(path), s->dir, "manifest.json", e) != 0 ||
	    rb_write_atomic(path, manifest, strlen(manifest), 0640, e) != 0)
		goto out;
	/* docs/FORMATS.md, the READY marker: written last, an inbox takes it whole. */
	if (rb_path_join(path, sizeof(path), s->dir, "READY", e) != 0 ||
	    rb_write_atomic(path, "", 0, 0640, e) != 0)
		goto out;
	if (next != NULL) {
		*next = s->st;
		next->checkpoint = cp;
		cp = NULL;
	}
	rc = 0;
out:
	if (rc != 0) {
		unlink(s->tmp_entries);
		if (commit) {
			remove_in(s->dir, "entries.jsonl");
			remove_in(s->dir, "checkpoint");
			remove_in(s->dir, "manifest.json");
		}
	}
	free(cp);
	free(manifest);
	free(s->pae);
	free(s->prev_checkpoint);
	rb_sha256_free(s->sha);
	free(s);
	return rc;
}

/*
 * An event holds time, event, actor, data and cosign, nothing else: a
 * member the entry has no place for is refused, never dropped.
 */
static int unknown_member(const cJSON *ev, char *why, size_t n)
{
	static const char *const known[] = { "time", "event", "actor", "data", "cosign" };
	const char *m;

	if (!cJSON_IsObject(ev)) {
		snprintf(why, n, "an event is a JSON object");
		return 1;
	}
	m = rb_json_unknown_member(ev, known, sizeof(known) / sizeof(known[0]));
	if (m != NULL)
		snprintf(why, n, "unknown member \"%.60s\" (an event holds time, event, actor, "
			 "data and cosign; put it in data)", m);
	return m != NULL;
}

/* One events-file line: check its members and append it. */
static int seal_line(rb_sealer *s, const char *line, size_t len,
		     const struct rb_cosigner *cos, size_t ncos, struct rb_err *e)
{
	struct rb_cosigner use[16];
	size_t nuse = 0, i;
	cJSON *ev = NULL;
	const cJSON *data, *cs, *c;
	const char *time, *event, *actor;
	char why[160];
	int rc = -1;

	if (rb_json_parse(line, len, 64, &ev, why, sizeof(why)) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "%s", why);
	if (unknown_member(ev, why, sizeof(why))) {
		RB_ERR(e, RB_EX_DATAERR, "%s", why);
		goto out;
	}
	time = rb_json_str(ev, "time");
	event = rb_json_str(ev, "event");
	actor = rb_json_str(ev, "actor");
	data = cJSON_GetObjectItemCaseSensitive(ev, "data");
	if (time == NULL || event == NULL || actor == NULL || !cJSON_IsObject(data)) {
		RB_ERR(e, RB_EX_DATAERR,
		       "an event needs \"time\", \"event\", \"actor\" strings and a \"data\" object");
		goto out;
	}
	cs = cJSON_GetObjectItemCaseSensitive(ev, "cosign");
	if (cs != NULL) {
		if (!cJSON_IsArray(cs)) {
			RB_ERR(e, RB_EX_DATAERR, "\"cosign\" is not an array of key names");
			goto out;
		}
		cJSON_ArrayForEach(c, cs) {
			const struct rb_cosigner *hit = NULL;

			for (i = 0; cJSON_IsString(c) && i < ncos; i++)
				if (strcmp(cos[i].name, c->valuestring) == 0)
					hit = &cos[i];
			if (hit == NULL || nuse == sizeof(use) / sizeof(use[0])) {
				RB_ERR(e, RB_EX_DATAERR,
				       "\"cosign\" names a key that is not one of the cosigning keys");
				goto out;
			}
			use[nuse++] = *hit;
		}
	}
	rc = rb_sealer_add(s, time, event, actor, data, use, nuse, e);
out:
	cJSON_Delete(ev);
	return rc;
}

int rb_seal_file(const char *events_path, const char *out_dir,
		 struct rb_ledger_state *st, const char *keyname,
		 const rb_privkey *key, const struct rb_cosigner *cosigners,
		 size_t ncosigners, uint64_t *count, struct rb_err *e)
{
	rb_lines *lr = NULL;
	rb_sealer *s = NULL;
	struct rb_ledger_state next;
	const char *line;
	size_t len;
	int got, rc = -1;

	*count = 0;
	if (rb_lines_open(events_path, EVENT_MAX_LINE, 0, &lr, e) != 0)
		return -1;
	if (rb_sealer_open(out_dir, st, keyname, key, &s, e) != 0)
		goto out;
	while ((got = rb_lines_next(lr, &line, &len, e)) != RB_LINES_EOF) {
		if (got < 0)
			goto out;
		if (got == RB_LINES_TOOLONG) {
			RB_ERR(e, RB_EX_DATAERR, "%s:%lld: line longer than %u bytes",
			       events_path, rb_lines_lineno(lr), EVENT_MAX_LINE);
			goto out;
		}
		if (seal_line(s, line, len, cosigners, ncosigners, e) != 0) {
			char m[sizeof(e->msg)];

			snprintf(m, sizeof(m), "%s", e->msg);
			RB_ERR(e, RB_EX_DATAERR, "%s:%lld: %s", events_path,
			       rb_lines_lineno(lr), m);
			goto out;
		}
	}
	*count = s->count;
	rc = rb_sealer_close(s, 1, &next, e);
	s = NULL;
	if (rc == 0) {
		rb_state_clear(st);
		*st = next;
	}
out:
	if (s != NULL)
		rb_sealer_close(s, 0, NULL, NULL);
	rb_lines_close(lr);
	return rc;
}

int rb_seal_check(const char *events_path, const rb_tkey *k, struct rb_err *e)
{
	rb_lines *lr = NULL;
	const char *line;
	size_t len;
	int got, rc = -1;
	char win[160];

	rb_tkey_window(k, win, sizeof(win));
	if (!rb_tkey_has_role(k, "entry"))
		return RB_ERR(e, RB_EX_DATAERR, "key '%s' lacks role \"entry\": it cannot sign "
			      "entries; nothing was sealed", rb_tkey_name(k));
	if (rb_lines_open(events_path, EVENT_MAX_LINE, 0, &lr, e) != 0)
		return -1;
	while ((got = rb_lines_next(lr, &line, &len, e)) != RB_LINES_EOF) {
		cJSON *ev = NULL;
		const char *t;
		struct rb_time tm;
		int bad;

		if (got < 0)
			goto out;
		if (got == RB_LINES_TOOLONG || rb_json_parse(line, len, 64, &ev, NULL, 0) != 0)
			continue;       /* the sealing says what is wrong with it */
		t = rb_json_str(ev, "time");
		bad = t != NULL && rb_time_parse(t, strlen(t), &tm) == 0 &&
		      rb_tkey_state(k, &tm) != RB_KEY_VALID;
		if (bad)
			RB_ERR(e, RB_EX_DATAERR, "%s:%lld: key '%s' cannot validly sign an event of "
			       "%s (it is %s); nothing was sealed", events_path,
			       rb_lines_lineno(lr), rb_tkey_name(k), t, win);
		cJSON_Delete(ev);
		if (bad)
			goto out;
	}
	rc = 0;
out:
	rb_lines_close(lr);
	return rc;
}
