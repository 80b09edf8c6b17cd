/* sources.c - the job's sources: import, seal into the inbox (sources.h). */
#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/trust.h"
#include "lib/vocab.h"
#include "produce/import.h"
#include "produce/seal.h"

/* The scratch files of a source: the events, and the import state to come. */
struct scratch {
	char events[PATH_MAX], next[PATH_MAX];
};

static int scratch_of(const struct rb_job_source *s, struct scratch *x, struct rb_err *e)
{
	if (snprintf(x->events, sizeof(x->events), "%s.events.tmp", s->state) >= PATH_MAX ||
	    snprintf(x->next, sizeof(x->next), "%s.next.tmp", s->state) >= PATH_MAX)
		return RB_ERR(e, RB_EX_CONFIG, "source %s: state path '%s' is too long", s->source,
			      s->state);
	return 0;
}

static void scratch_drop(const struct scratch *x)
{
	(void)unlink(x->events);
	(void)unlink(x->next);
}

/* The import state as it stands, copied to where the import will update it. */
static int copy_state(const char *from, const char *to, struct rb_err *e)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if (access(from, F_OK) != 0 && errno == ENOENT) {
		(void)unlink(to);
		return 0;
	}
	if (rb_read_file(from, 64u << 20, &buf, &len, e) != 0)
		return -1;
	rc = rb_write_atomic(to, buf, len, 0640, e);
	free(buf);
	return rc;
}

static int import_one(const struct rb_job_source *s, const struct scratch *x,
		      struct rb_import_result *res, struct rb_err *e)
{
	const char *inputs[RB_JOB_SOURCE_FILES], *incidents[RB_JOB_SOURCE_FILES];
	struct rb_import_opts o;
	int i;

	for (i = 0; i < s->ninputs; i++)
		inputs[i] = s->inputs[i];
	for (i = 0; i < s->nincidents; i++)
		incidents[i] = s->incidents[i];
	memset(&o, 0, sizeof(o));
	o.source = s->source;
	o.inputs = inputs;
	o.ninputs = (size_t)s->ninputs;
	o.incidents = incidents;
	o.nincidents = (size_t)s->nincidents;
	o.ref = s->ref[0] ? s->ref : NULL;
	o.name = s->name[0] ? s->name : NULL;
	o.map_path = s->map[0] ? s->map : NULL;
	o.state_path = x->next;
	o.out_path = x->events;
	if (copy_state(s->state, x->next, e) != 0)
		return -1;
	return rb_import(&o, res, e);
}

/* The key's name: key_name, else the key file's name without ".pem". */
static void key_name_of(const struct rb_job_source *s, char *out, size_t n)
{
	if (s->key_name[0])
		snprintf(out, n, "%s", s->key_name);
	else
		rb_path_stem(s->key, ".pem", out, n);
}

/* The new export's folder in the inbox: by time, then the group's place. */
static int export_dir(const struct rb_job *j, const char *label, int n, int64_t now, char *out,
		      struct rb_err *e)
{
	time_t t = (time_t)now;
	struct tm tm;
	char stamp[32];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (snprintf(out, PATH_MAX, "%s/import-%s-%d-%s", j->inbox, stamp, n, label) >= PATH_MAX)
		return RB_ERR(e, RB_EX_CONFIG, "the inbox path is too long");
	if (access(out, F_OK) == 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "export '%s' exists already", out);
	return 0;
}

/* The producer key and its entry in the job's trust store, *key and *trust the caller's. */
static int key_of(const struct rb_job *j, const struct rb_job_source *s, rb_privkey **key,
		  rb_trust **trust, const rb_tkey **tk, struct rb_err *e)
{
	char name[160];

	key_name_of(s, name, sizeof(name));
	if (rb_privkey_load(s->key, key, e) != 0 || rb_trust_load(j->trust_store, trust, e) != 0)
		return -1;
	if ((*tk = rb_trust_find(*trust, name, strlen(name))) == NULL)
		return RB_ERR(e, RB_EX_CONFIG, "source %s: the job's trust store holds no key '%s' "
			      "to seal with (key_name)", s->source, name);
	return 0;
}

/* Checked before anything is imported, whether or not there is anything new. */
static int check_key(const struct rb_job *j, const struct rb_job_source *s, struct rb_err *e)
{
	rb_privkey *key = NULL;
	rb_trust *trust = NULL;
	const rb_tkey *tk;
	int rc = key_of(j, s, &key, &trust, &tk, e);

	rb_trust_free(trust);
	rb_privkey_free(key);
	return rc;
}

/* Seal the events file into the inbox with s's key, then save the seal state. */
static int seal_one(const struct rb_job *j, const struct rb_job_source *s, const char *events,
		    const char *label, int n, int64_t now, char *dir, uint64_t *count,
		    struct rb_err *e)
{
	char name[160];
	rb_privkey *key = NULL;
	rb_trust *trust = NULL;
	const rb_tkey *tk;
	struct rb_ledger_state st;
	int rc = -1, sealed = 0;

	memset(&st, 0, sizeof(st));
	key_name_of(s, name, sizeof(name));
	if (key_of(j, s, &key, &trust, &tk, e) != 0 || rb_seal_check(events, tk, e) != 0)
		goto out;
	if (access(s->seal_state, F_OK) == 0) {
		if (rb_state_load(s->seal_state, &st, e) != 0)
			goto out;
		if (strcmp(st.ledger, s->ledger) != 0) {
			RB_ERR(e, RB_EX_CONFIG, "seal state '%s' is of ledger '%s', not '%s'",
			       s->seal_state, st.ledger, s->ledger);
			goto out;
		}
	} else {
		rb_state_init(&st, s->ledger);
	}
	if (export_dir(j, label, n, now, dir, e) != 0 ||
	    rb_seal_file(events, dir, &st, name, key, NULL, 0, count, e) != 0)
		goto out;
	sealed = 1;
	if (rb_state_save(s->seal_state, &st, e) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && sealed)
		(void)rb_remove_tree(dir, NULL);        /* not ingested: as if never sealed */
	rb_state_clear(&st);
	rb_trust_free(trust);
	rb_privkey_free(key);
	return rc;
}

/* ---- sources that share a ledger, sealed as one export ---- */

/* An event line of a source's scratch file, for the merge. */
struct line {
	const char *text;
	size_t len;
	char time[40];
	int rank, src;
	size_t idx;
};

/* By time, then metrics-v1's order of events, then the source's place and line. */
static int by_time(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;
	int c = strcmp(a->time, b->time);

	if (c != 0)
		return c;
	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->src != b->src)
		return a->src - b->src;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

/* The lines of text (one event each), appended to *v; text stays the caller's. */
static int split_lines(char *text, size_t len, int src, struct line **v, size_t *n,
		       size_t *cap)
{
	char *p = text, *end = text + len;
	size_t idx = 0;

	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t l = eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
		cJSON *ev = NULL;
		struct line *x;

		if (*n == *cap) {
			struct line *w = realloc(*v, (*cap ? *cap * 2 : 256) * sizeof(*w));

			if (w == NULL)
				return -1;
			*v = w;
			*cap = *cap ? *cap * 2 : 256;
		}
		x = &(*v)[(*n)++];
		memset(x, 0, sizeof(*x));
		x->text = p;
		x->len = l;
		x->src = src;
		x->idx = idx++;
		if (rb_json_parse(p, l, 8, &ev, NULL, 0) != 0)
			return -1;      /* the importer's own output: only memory fails */
		snprintf(x->time, sizeof(x->time), "%s", rb_json_str(ev, "time") ?
			 rb_json_str(ev, "time") : "");
		x->rank = rb_event_of(rb_json_str(ev, "event") ? rb_json_str(ev, "event") : "");
		cJSON_Delete(ev);
		p = eol != NULL ? eol + 1 : end;
	}
	return 0;
}

/* The group's events, merged in time order, into path. */
static int merge(const struct scratch *x, const int *member, int nm, const char *path,
		 struct rb_err *e)
{
	char *text[RB_JOB_SOURCES] = { NULL }, *out = NULL;
	size_t len[RB_JOB_SOURCES] = { 0 }, n = 0, cap = 0, i, olen = 0;
	struct line *v = NULL;
	FILE *f = NULL;
	int k, rc = -1;

	for (k = 0; k < nm; k++)
		if (rb_read_file(x[member[k]].events, 1u << 30, &text[k], &len[k], e) != 0)
			goto out;
	for (k = 0; k < nm; k++)
		if (split_lines(text[k], len[k], k, &v, &n, &cap) != 0)
			goto oom;
	if (n > 1)
		qsort(v, n, sizeof(*v), by_time);
	if ((f = open_memstream(&out, &olen)) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		if (fwrite(v[i].text, 1, v[i].len, f) != v[i].len || fputc('\n', f) == EOF)
			goto oom;
	if (fclose(f) != 0) {
		f = NULL;
		goto oom;
	}
	f = NULL;
	rc = rb_write_atomic(path, out, olen, 0640, e);
	goto out;
oom:
	RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
out:
	if (f != NULL)
		fclose(f);
	free(out);
	free(v);
	for (k = 0; k < nm; k++)
		free(text[k]);
	return rc;
}

/* The sources after i with its seal state (its ledger and key too, else an error). */
static int group_of(const struct rb_job *j, int i, const int *done, int *member, int *nm,
		    struct rb_err *e)
{
	const struct rb_job_source *s = &j->sources[i];
	int k;

	*nm = 0;
	for (k = i; k < j->nsources; k++) {
		const struct rb_job_source *t = &j->sources[k];

		if (done[k] || strcmp(t->seal_state, s->seal_state) != 0)
			continue;
		if (strcmp(t->ledger, s->ledger) != 0 || strcmp(t->key, s->key) != 0 ||
		    strcmp(t->key_name, s->key_name) != 0)
			return RB_ERR(e, RB_EX_CONFIG, "sources %d and %d share a seal_state but "
				      "not their ledger and key: sources of one ledger are sealed "
				      "together, with one key", i + 1, k + 1);
		member[(*nm)++] = k;
	}
	return 0;
}

/* Import one source into its scratch files; its new events counted in *n. */
static int import_member(const struct rb_job *j, int k, const struct scratch *x, int dry,
			 rb_jsrc_note_fn note, void *ctx, long long *n, struct rb_err *e)
{
	const struct rb_job_source *s = &j->sources[k];
	struct rb_import_result res;
	char detail[512];

	if (check_key(j, s, e) != 0 || import_one(s, x, &res, e) != 0) {
		char why[sizeof(e->msg)];

		snprintf(why, sizeof(why), "%s", e->msg);
		snprintf(e->msg, sizeof(e->msg), "source %d (%s): %.*s", k + 1, s->source,
			 (int)sizeof(e->msg) - 40, why);
		return -1;
	}
	snprintf(detail, sizeof(detail), "%s %s: %lld new %s%s (%lld %s scanned, %lld not "
		 "mapped)", s->source, s->inputs[0], res.events,
		 rb_plural(res.events, "event", "events"), dry && res.events ? " would be sealed" :
		 "", res.scanned, rb_plural(res.scanned, "record", "records"), res.unmapped);
	note(ctx, res.events == 0 ? "noop" : dry ? "would" : "ok", detail);
	*n += res.events;
	return 0;
}

/* Seal the group's new events as one export, then save every member's state. */
static int seal_group(const struct rb_job *j, const int *member, int nm, int place,
		      const struct scratch *x, int64_t now, rb_jsrc_note_fn note, void *ctx,
		      long long *sealed, struct rb_err *e)
{
	const struct rb_job_source *s = &j->sources[member[0]];
	char merged[PATH_MAX], label[96] = "", dir[PATH_MAX], detail[PATH_MAX + 256];
	uint64_t count = 0;
	int k, rc = -1;

	snprintf(merged, sizeof(merged), "%.*s.events.tmp", PATH_MAX - 16, s->seal_state);
	for (k = 0; k < nm; k++)
		snprintf(label + strlen(label), sizeof(label) - strlen(label), "%s%s",
			 k ? "+" : "", j->sources[member[k]].source);
	if (merge(x, member, nm, merged, e) != 0 ||
	    seal_one(j, s, merged, label, place, now, dir, &count, e) != 0)
		goto out;
	/* Only now is what was imported marked imported. */
	for (k = 0; k < nm; k++)
		if (access(x[member[k]].next, F_OK) == 0 &&
		    rename(x[member[k]].next, j->sources[member[k]].state) != 0) {
			RB_ERR(e, RB_EX_CANTCREAT, "cannot save state '%s': %s",
			       j->sources[member[k]].state, strerror(errno));
			goto out;
		}
	*sealed += (long long)count;
	snprintf(detail, sizeof(detail), "%llu %s of %s sealed for ledger %s into %s",
		 (unsigned long long)count, rb_plural((long long)count, "event", "events"), label,
		 s->ledger, dir);
	note(ctx, "ok", detail);
	rc = 0;
out:
	if (rc != 0 && e != NULL) {
		char why[sizeof(e->msg)];

		snprintf(why, sizeof(why), "%s", e->msg);
		snprintf(e->msg, sizeof(e->msg), "sealing %s for ledger %.*s: %.*s", label, 120,
			 s->ledger, (int)sizeof(e->msg) - 260, why);
	}
	(void)unlink(merged);
	return rc;
}

int rb_jsrc_run(const struct rb_job *j, int64_t now, int dry, rb_jsrc_note_fn note, void *ctx,
		long long *sealed, struct rb_err *e)
{
	struct scratch x[RB_JOB_SOURCES];
	int done[RB_JOB_SOURCES] = { 0 }, member[RB_JOB_SOURCES], nm, i, k, place = 0, rc = 0;

	for (i = 0; i < j->nsources; i++)
		if (scratch_of(&j->sources[i], &x[i], e) != 0)
			return -1;
	for (i = 0; i < j->nsources && rc == 0; i++) {
		long long n = 0;

		if (done[i])
			continue;
		if (group_of(j, i, done, member, &nm, e) != 0)
			return -1;
		for (k = 0; k < nm && rc == 0; k++) {
			done[member[k]] = 1;
			rc = import_member(j, member[k], &x[member[k]], dry, note, ctx, &n, e);
		}
		if (rc == 0 && n > 0 && !dry)
			rc = seal_group(j, member, nm, ++place, x, now, note, ctx, sealed, e);
		for (k = 0; k < nm; k++)
			scratch_drop(&x[member[k]]);
	}
	return rc;
}
