/* sources.c - the job's sources: import, seal into the inbox (sources.h). */
#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/ident.h"
#include "lib/trust.h"
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
	const char *b = strrchr(s->key, '/') ? strrchr(s->key, '/') + 1 : s->key;
	size_t len = strlen(b);

	if (s->key_name[0]) {
		snprintf(out, n, "%s", s->key_name);
		return;
	}
	if (len > 4 && strcmp(b + len - 4, ".pem") == 0)
		len -= 4;
	snprintf(out, n, "%.*s", (int)len, b);
}

/* The new export's folder in the inbox. */
static int export_dir(const struct rb_job *j, const struct rb_job_source *s, int i, int64_t now,
		      char *out, struct rb_err *e)
{
	time_t t = (time_t)now;
	struct tm tm;
	char stamp[32];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* By time, then the source's place: the inbox takes them in this order. */
	if (snprintf(out, PATH_MAX, "%s/import-%s-%d-%s", j->inbox, stamp, i + 1, s->source) >=
	    PATH_MAX)
		return RB_ERR(e, RB_EX_CONFIG, "the inbox path is too long");
	if (access(out, F_OK) == 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "source %s: export '%s' exists already",
			      s->source, out);
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

/* Seal the imported events into the inbox, then save the seal state. */
static int seal_one(const struct rb_job *j, const struct rb_job_source *s, int i, int64_t now,
		    const struct scratch *x, uint64_t *count, struct rb_err *e)
{
	char name[160], dir[PATH_MAX];
	rb_privkey *key = NULL;
	rb_trust *trust = NULL;
	const rb_tkey *tk;
	struct rb_ledger_state st;
	int rc = -1, sealed = 0;

	memset(&st, 0, sizeof(st));
	key_name_of(s, name, sizeof(name));
	if (key_of(j, s, &key, &trust, &tk, e) != 0 || rb_seal_check(x->events, tk, e) != 0)
		goto out;
	if (access(s->seal_state, F_OK) == 0) {
		if (rb_state_load(s->seal_state, &st, e) != 0)
			goto out;
		if (strcmp(st.ledger, s->ledger) != 0) {
			RB_ERR(e, RB_EX_CONFIG, "source %s: seal state '%s' is of ledger '%s', not "
			       "'%s'", s->source, s->seal_state, st.ledger, s->ledger);
			goto out;
		}
	} else {
		rb_state_init(&st, s->ledger);
	}
	if (export_dir(j, s, i, now, dir, e) != 0 ||
	    rb_seal_file(x->events, dir, &st, name, key, NULL, 0, count, e) != 0)
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

static int one_source(const struct rb_job *j, int i, int64_t now, int dry, rb_jsrc_note_fn note,
		      void *ctx, long long *sealed, struct rb_err *e)
{
	const struct rb_job_source *s = &j->sources[i];
	struct rb_import_result res;
	struct scratch x;
	char detail[512];
	uint64_t count = 0;
	int rc = -1;

	if (scratch_of(s, &x, e) != 0 || check_key(j, s, e) != 0)
		return -1;
	if (import_one(s, &x, &res, e) != 0)
		goto out;
	if (res.events == 0 || dry) {
		snprintf(detail, sizeof(detail), "%s %s: %lld new %s%s (%lld %s scanned, %lld not "
			 "mapped)", s->source, s->inputs[0], res.events,
			 rb_plural(res.events, "event", "events"), dry && res.events ?
			 " would be sealed" : "", res.scanned,
			 rb_plural(res.scanned, "record", "records"), res.unmapped);
		note(ctx, res.events == 0 ? "noop" : "would", detail);
		rc = 0;
		goto out;
	}
	if (seal_one(j, s, i, now, &x, &count, e) != 0)
		goto out;
	/* Only now is what was imported marked imported. */
	if (rename(x.next, s->state) != 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "source %s: cannot save state '%s': %s", s->source,
		       s->state, strerror(errno));
		goto out;
	}
	*sealed += (long long)count;
	snprintf(detail, sizeof(detail), "%s %s: %llu %s sealed for ledger %s (%lld %s scanned, "
		 "%lld not mapped)", s->source, s->inputs[0], (unsigned long long)count,
		 rb_plural((long long)count, "event", "events"), s->ledger, res.scanned,
		 rb_plural(res.scanned, "record", "records"), res.unmapped);
	note(ctx, "ok", detail);
	rc = 0;
out:
	scratch_drop(&x);
	if (rc != 0 && e != NULL) {
		char why[sizeof(e->msg)];

		snprintf(why, sizeof(why), "%s", e->msg);
		snprintf(e->msg, sizeof(e->msg), "source %d (%s): %.*s", i + 1, s->source,
			 (int)sizeof(e->msg) - 40, why);
	}
	return rc;
}

int rb_jsrc_run(const struct rb_job *j, int64_t now, int dry, rb_jsrc_note_fn note, void *ctx,
		long long *sealed, struct rb_err *e)
{
	int i;

	for (i = 0; i < j->nsources; i++)
		if (one_source(j, i, now, dry, note, ctx, sealed, e) != 0)
			return -1;
	return 0;
}
