/* pack.c - report folders: the MANIFEST, its check, the all-at-once swap. */
#define _GNU_SOURCE /* renameat2 */
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/note.h"
#include "lib/proof.h"
#include "lib/rtime.h"
#include "lib/trust.h"
#include "report/report.h"

#define MANIFEST_HEAD "rbaudit report manifest v1\n"
#define MANIFEST_MAX (16u << 20)
#define TREE_DEPTH 16

/* What a folder holds: its regular files, and everything else in it. */
struct tree {
	char **files;           /* relative paths, sorted; MANIFEST (top) left out */
	size_t nfiles;
	char **odd;             /* "NAME (what it is)": no regular file */
	size_t nodd;
};

/* One listed file of a MANIFEST. */
struct mf_line {
	char hex[65];
	long long size;
	char *name;             /* into the body */
	int seen;
};

struct mf {
	char *buf;              /* the file */
	char *body;             /* the signed text (a copy) */
	int is_signed;
	int has_time;           /* a "signed TIME" line */
	struct rb_time signed_at;
	int has_tree;           /* a "tree SIZE ROOT" line: the ledger it was made from */
	long long tree_size;
	char tree_root[48];
	char ledger[512];
	struct mf_line *v;
	size_t n;
};

static int push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL)
		return -1;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	*v = nv;
	(*v)[(*n)++] = s;
	return 0;
}

/* "NAME (what it is)", malloc'd; a folder's name ends in '/'. */
static char *odd_name(const char *name, int folder, const char *what)
{
	size_t n = strlen(name) + strlen(what) + 5;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s%s (%s)", name, folder ? "/" : "", what);
	return s;
}

static void tree_free(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	for (i = 0; i < t->nodd; i++)
		free(t->odd[i]);
	free(t->files);
	free(t->odd);
	memset(t, 0, sizeof(*t));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add what root/rel holds to t; a folder with no file in it counts as odd. */
static int walk(const char *root, const char *rel, int depth, struct tree *t,
		struct rb_err *e)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	DIR *d;
	size_t before = t->nfiles;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel) >=
	    (int)sizeof(path))
		return RB_ERR(e, RB_EX_USAGE, "path too long under '%s'", root);
	d = opendir(path);
	if (d == NULL)
		return RB_ERR(e, RB_EX_NOINPUT, "cannot open '%s': %s", path, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		char full[PATH_MAX + 256];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (rel[0] == '\0' && strcmp(de->d_name, "MANIFEST") == 0))
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) >=
		    (int)sizeof(sub)) {
			rc = RB_ERR(e, RB_EX_USAGE, "path too long under '%s'", root);
			break;
		}
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (lstat(full, &st) != 0)
			continue;       /* gone meanwhile */
		if (S_ISREG(st.st_mode))
			rc = push(&t->files, &t->nfiles, strdup(sub));
		else if (S_ISDIR(st.st_mode) && depth < TREE_DEPTH)
			rc = walk(root, sub, depth + 1, t, e) != 0 ? -2 : 0;
		else
			rc = push(&t->odd, &t->nodd, odd_name(sub, 0,
							     rb_file_kind((unsigned)st.st_mode)));
	}
	closedir(d);
	if (rc == 0 && rel[0] != '\0' && t->nfiles == before)
		rc = push(&t->odd, &t->nodd, odd_name(rel, 1, "a folder with no file"));
	if (rc == -1)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	return rc == 0 ? 0 : -1;
}

static int tree_read(const char *root, struct tree *t, struct rb_err *e)
{
	memset(t, 0, sizeof(*t));
	if (walk(root, "", 0, t, e) != 0) {
		tree_free(t);
		return -1;
	}
	if (t->nfiles > 1)
		qsort(t->files, t->nfiles, sizeof(*t->files), cmp_str);
	return 0;
}

static void mf_free(struct mf *m)
{
	free(m->buf);
	free(m->body);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* A listed name: relative, parts not empty and not starting with '.'. */
static int name_ok(const char *s)
{
	const char *p = s;

	if (*s == '\0' || strlen(s) >= PATH_MAX / 2)
		return 0;
	for (;;) {
		if (*p == '.' || *p == '/' || *p == '\0')
			return 0;
		p = strchr(p, '/');
		if (p == NULL)
			return 1;
		p++;
	}
}

/* "<64 hex> <size> <name>": 0, or -1 when malformed. */
static int parse_line(char *line, struct mf_line *l)
{
	char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL, *end;

	if (sp1 == NULL || sp2 == NULL || sp1 - line != 64 ||
	    strspn(line, "0123456789abcdef") != 64 || sp2 == sp1 + 1)
		return -1;
	memcpy(l->hex, line, 64);
	l->hex[64] = '\0';
	errno = 0;
	l->size = strtoll(sp1 + 1, &end, 10);
	if (end != sp2 || errno != 0 || l->size < 0 || !name_ok(sp2 + 1))
		return -1;
	l->name = sp2 + 1;
	l->seen = 0;
	return 0;
}

/*
 * Read dir/MANIFEST into *m: *found 0 when it is missing, or not an
 * rbaudit manifest (then nothing is parsed); bad (may be NULL) gets the
 * first malformed line.  The signature is not checked here.
 */
static int mf_read(const char *dir, struct mf *m, int *found, char *bad, size_t badlen,
		   struct rb_err *e)
{
	char path[PATH_MAX], *line, *save = NULL, *sep;
	size_t len;
	struct stat st;

	memset(m, 0, sizeof(*m));
	*found = 0;
	if (bad != NULL)
		bad[0] = '\0';
	if (rb_path_join(path, sizeof(path), dir, "MANIFEST", e) != 0)
		return -1;
	if (lstat(path, &st) != 0 && errno == ENOENT)
		return 0;
	if (rb_read_file(path, MANIFEST_MAX, &m->buf, &len, e) != 0)
		return -1;
	if (strncmp(m->buf, MANIFEST_HEAD, strlen(MANIFEST_HEAD)) != 0)
		return 0;
	*found = 1;
	sep = strstr(m->buf, "\n\n");
	m->is_signed = sep != NULL;
	m->body = sep ? strndup(m->buf, (size_t)(sep - m->buf) + 1) : strdup(m->buf);
	if (m->body == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	for (line = strtok_r(m->body, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mf_line *nv;

		if (strncmp(line, "signed ", 7) == 0) {
			m->has_time = m->has_time ||
				      rb_time_parse(line + 7, strlen(line + 7), &m->signed_at) == 0;
			continue;
		}
		if (strncmp(line, "tree ", 5) == 0) {
			char *end = NULL;

			errno = 0;
			m->tree_size = strtoll(line + 5, &end, 10);
			m->has_tree = errno == 0 && end != line + 5 && *end == ' ' &&
				      m->tree_size >= 0 && strlen(end + 1) < sizeof(m->tree_root);
			if (m->has_tree)
				snprintf(m->tree_root, sizeof(m->tree_root), "%s", end + 1);
			continue;
		}
		if (strncmp(line, "ledger ", 7) == 0)
			snprintf(m->ledger, sizeof(m->ledger), "%s", line + 7);
		if (strncmp(line, "rbaudit ", 8) == 0 || strncmp(line, "ledger ", 7) == 0 ||
		    strncmp(line, "period ", 7) == 0)
			continue;
		nv = realloc(m->v, (m->n + 1) * sizeof(*m->v));
		if (nv == NULL)
			return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		m->v = nv;
		if (parse_line(line, &m->v[m->n]) == 0)
			m->n++;
		else if (bad != NULL && bad[0] == '\0')
			snprintf(bad, badlen, "%.80s", line);
	}
	return 0;
}

static struct mf_line *mf_find(struct mf *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	return NULL;
}

/*
 * The first thing under the folder that m does not list (a file, or *odd
 * set: a folder, FIFO, link...), or NULL when m lists all of it.
 */
static const char *first_unlisted(struct mf *m, const struct tree *t, int *odd)
{
	size_t i;

	*odd = 0;
	for (i = 0; i < t->nfiles; i++)
		if (mf_find(m, t->files[i]) == NULL)
			return t->files[i];
	*odd = t->nodd > 0;
	return *odd ? t->odd[0] : NULL;
}

int rb_report_owned(const char *dir, int *owned, struct rb_err *e)
{
	struct mf m;
	struct tree t = { NULL, 0, NULL, 0 };
	char bad[96];
	int found, odd, rc = -1;

	*owned = 0;
	if (mf_read(dir, &m, &found, bad, sizeof(bad), e) != 0)
		goto out;
	if (found && tree_read(dir, &t, e) != 0)
		goto out;
	*owned = found && bad[0] == '\0' && first_unlisted(&m, &t, &odd) == NULL;
	rc = 0;
out:
	tree_free(&t);
	mf_free(&m);
	return rc;
}

/* Append one problem line to why (cut, never overflowing). */
struct why {
	char *buf;
	size_t len, used;
	int problems;
	int proofs;             /* tlog-proof files checked */
};

__attribute__((format(printf, 2, 0)))
static void vappend(struct why *w, const char *fmt, va_list ap)
{
	int n = vsnprintf(w->buf + w->used, w->len - w->used, fmt, ap);

	if (n > 0 && (size_t)n < w->len - w->used)
		w->used += (size_t)n;
}

/* A line that makes the folder INVALID. */
__attribute__((format(printf, 2, 3)))
static void problem(struct why *w, const char *fmt, ...)
{
	va_list ap;

	w->problems++;
	va_start(ap, fmt);
	vappend(w, fmt, ap);
	va_end(ap);
}

/* A line that does not make the folder INVALID. */
__attribute__((format(printf, 2, 3)))
static void warning(struct why *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(w, fmt, ap);
	va_end(ap);
}

static int file_digest(const char *dir, const char *name, char hex[65], long long *size,
		       struct rb_err *e)
{
	char p[PATH_MAX];
	uint8_t d[32];

	if (rb_path_join(p, sizeof(p), dir, name, e) != 0 ||
	    rb_sha256_file(p, d, size, e) != 0)
		return -1;
	rb_hex_encode(d, 32, hex);
	return 0;
}

/* Every listed file against the folder's files; every file against the list. */
static int compare(const char *dir, struct mf *m, const struct tree *t, struct why *w,
		   struct rb_err *e)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++) {
		struct mf_line *l = mf_find(m, t->files[i]);
		char actual[65];
		long long size;

		if (l == NULL) {
			problem(w, "%s: present but not in the manifest\n", t->files[i]);
			continue;
		}
		l->seen = 1;
		if (file_digest(dir, t->files[i], actual, &size, e) != 0)
			return -1;
		if (size != l->size)
			problem(w, "%s: %lld bytes, the manifest says %lld\n", t->files[i], size,
				l->size);
		else if (strcmp(actual, l->hex) != 0)
			problem(w, "%s: SHA-256 %s, the manifest says %s\n", t->files[i], actual,
				l->hex);
	}
	for (i = 0; i < t->nodd; i++)
		problem(w, "%s: not in the manifest\n", t->odd[i]);
	for (i = 0; i < m->n; i++)
		if (!m->v[i].seen)
			problem(w, "%s: listed but missing\n", m->v[i].name);
	return 0;
}

/* "proofs/.../seq-N.tlog-proof": its N, or -1 for any other file. */
static long long proof_seq(const char *name)
{
	const char *base = strrchr(name, '/'), *dot;
	char *end;
	long long v;

	if (strncmp(name, "proofs/", 7) != 0 || base == NULL || strncmp(base, "/seq-", 5) != 0)
		return -1;
	dot = strstr(base, ".tlog-proof");
	if (dot == NULL || dot[11] != '\0')
		return -1;
	v = strtoll(base + 5, &end, 10);
	return end == dot && v >= 0 ? v : -1;
}

/*
 * Every proof in the folder (issue #21): valid under t (lib/proof.h), of
 * the entry its name says, and against the tree the MANIFEST says the
 * reports were made from.
 */
static int check_proofs(const char *dir, const struct mf *m, const struct tree *t,
			const rb_trust *tr, struct why *w, int *nproofs, struct rb_err *e)
{
	size_t i;

	*nproofs = 0;
	for (i = 0; i < t->nfiles; i++) {
		long long seq = proof_seq(t->files[i]);
		struct rb_tproof_result v;
		char p[PATH_MAX], *text = NULL, why[600], b64[48];
		size_t len;

		if (seq < 0)
			continue;
		(*nproofs)++;
		if (rb_path_join(p, sizeof(p), dir, t->files[i], e) != 0 ||
		    rb_read_file(p, 4 << 20, &text, &len, e) != 0)
			return -1;
		if (rb_tproof_check(text, len, tr, &v, why, sizeof(why)) != 0) {
			problem(w, "%s: %s\n", t->files[i], why);
		} else if ((long long)v.seq != seq) {
			problem(w, "%s: proves seq %llu, not the seq its name says\n", t->files[i],
				(unsigned long long)v.seq);
		} else if (m->has_tree) {
			rb_b64_encode(v.root, 32, b64);
			if ((long long)v.size != m->tree_size || strcmp(b64, m->tree_root) != 0 ||
			    strcmp(v.ledger, m->ledger) != 0)
				problem(w, "%s: against the tree of %llu entries of '%s', not the one "
					"the reports were made from (%lld, %s)\n", t->files[i],
					(unsigned long long)v.size, v.ledger, m->tree_size,
					m->tree_root);
		}
		free(text);
	}
	return 0;
}

/*
 * A report key is judged like an entry key, at the signing time the
 * MANIFEST carries: valid then, or INVALID; revoked only later, VALID with
 * a warning (W_KEY_REVOKED_LATER).
 */
static void judge_key(const rb_tkey *k, const struct mf *m, struct why *w, char *signer,
		      size_t signerlen)
{
	char ts[RB_TIME_MAX], at[RB_TIME_MAX];
	const struct rb_time *rev = rb_tkey_revoked_at(k);

	snprintf(signer, signerlen, "%s", rb_tkey_name(k));
	if (!m->has_time) {
		warning(w, "warning: MANIFEST carries no signing time (an older rbaudit wrote it): "
			"the validity of key '%s' was not checked\n", rb_tkey_name(k));
		return;
	}
	rb_time_format(&m->signed_at, ts);
	switch (rb_tkey_state(k, &m->signed_at)) {
	case RB_KEY_VALID:
		break;
	case RB_KEY_NOT_YET:
		problem(w, "MANIFEST: signed at %s by key '%s' before it was valid\n", ts,
			rb_tkey_name(k));
		return;
	case RB_KEY_EXPIRED:
		problem(w, "MANIFEST: signed at %s by key '%s' after its validity ended\n", ts,
			rb_tkey_name(k));
		return;
	default:
		rb_time_format(rev, at);
		problem(w, "MANIFEST: signed at %s by key '%s', revoked at %s (E_KEY_REVOKED)\n",
			ts, rb_tkey_name(k), at);
		return;
	}
	if (rev != NULL) {
		rb_time_format(rev, at);
		warning(w, "warning: W_KEY_REVOKED_LATER: key '%s' signed at %s and was revoked "
			"later, at %s\n", rb_tkey_name(k), ts, at);
	}
}

/*
 * Verify dir into *w (problems and warnings) with the MANIFEST left in *m
 * for the caller to look at and free; -1 only when dir cannot be read.
 */
static int verify_into(const char *dir, const rb_trust *t, struct why *w, char *signer,
		       size_t signerlen, struct mf *m, struct rb_err *e)
{
	struct tree tr = { NULL, 0, NULL, 0 };
	char bad[96], path[PATH_MAX];
	int found, rc = -1;

	memset(m, 0, sizeof(*m));
	signer[0] = '\0';
	if (rb_path_join(path, sizeof(path), dir, "MANIFEST", e) != 0)
		return -1;
	if (access(path, F_OK) != 0)
		return RB_ERR(e, RB_EX_NOINPUT, "no MANIFEST in '%s': %s", dir, strerror(errno));
	if (mf_read(dir, m, &found, bad, sizeof(bad), e) != 0)
		return -1;
	if (!found) {
		problem(w, "MANIFEST is not an rbaudit report manifest\n");
		return 0;
	}
	if (m->is_signed) {
		long bodylen;
		const rb_tkey *k = rb_note_verify(m->buf, strlen(m->buf), t, "report", &bodylen);

		if (bodylen < 0)
			problem(w, "MANIFEST: malformed signature lines\n");
		else if (k == NULL)
			problem(w, "MANIFEST: no signature by a trusted key with role \"report\"\n");
		else
			judge_key(k, m, w, signer, signerlen);
	} else {
		problem(w, "MANIFEST is not signed: the digests bind nothing to a key\n");
	}
	if (bad[0] != '\0')
		problem(w, "MANIFEST: malformed line '%s'\n", bad);
	if (tree_read(dir, &tr, e) == 0 && compare(dir, m, &tr, w, e) == 0 &&
	    check_proofs(dir, m, &tr, t, w, &w->proofs, e) == 0)
		rc = 0;
	tree_free(&tr);
	return rc;
}

int rb_report_verify(const char *dir, const rb_trust *t, int *ok, char *why,
		     size_t whylen, char *signer, size_t signerlen, int *proofs,
		     struct rb_err *e)
{
	struct why w = { why, whylen, 0, 0, 0 };
	struct mf m;
	int rc;

	why[0] = '\0';
	rc = verify_into(dir, t, &w, signer, signerlen, &m, e);
	*ok = rc == 0 && w.problems == 0;
	if (proofs != NULL)
		*proofs = w.proofs;
	mf_free(&m);
	return rc;
}

int rb_report_attested(const char *dir, const rb_trust *t, int *found, char *ledger,
		       size_t ledgerlen, long long *size, char root[48], struct rb_err *e)
{
	char why[4096], signer[RB_KEYNAME_MAX + 1];
	struct why w = { why, sizeof(why), 0, 0, 0 };
	struct mf m;
	int rc = 0;

	*found = 0;
	if (access(dir, F_OK) != 0)
		return 0;
	if (verify_into(dir, t, &w, signer, sizeof(signer), &m, e) != 0)
		rc = e != NULL && e->code == RB_EX_NOINPUT ? 0 : -1;
	else if (m.is_signed && w.problems == 0 && m.has_tree) {
		*found = 1;
		snprintf(ledger, ledgerlen, "%s", m.ledger);
		*size = m.tree_size;
		snprintf(root, 48, "%s", m.tree_root);
	}
	mf_free(&m);
	return rc;
}

int rb_pack_current(const struct rb_pack *p, const rb_trust *t, int want_signed,
		    const char (*names)[256], size_t n, int *current, struct rb_err *e)
{
	char why[4096], signer[RB_KEYNAME_MAX + 1];
	struct why w = { why, sizeof(why), 0, 0, 0 };
	struct mf m;
	size_t i;
	int rc = 0;

	*current = 0;
	if (access(p->dir, F_OK) != 0)
		return 0;
	if (verify_into(p->dir, t, &w, signer, sizeof(signer), &m, e) != 0) {
		rc = e != NULL && e->code == RB_EX_NOINPUT ? 0 : -1;   /* no MANIFEST: not current */
		goto out;
	}
	/* Signed and VALID; or, for an unsigned job, valid but for the signature. */
	*current = want_signed ? m.is_signed && w.problems == 0 :
		   !m.is_signed && w.problems == 1;
	for (i = 0; *current && i < n; i++)
		*current = mf_find(&m, names[i]) != NULL;
out:
	mf_free(&m);
	return rc;
}

int rb_pack_plan(const char *out_dir, struct rb_pack *p, struct rb_err *e)
{
	size_t n = strlen(out_dir);
	const char *base, *slash;

	memset(p, 0, sizeof(*p));
	p->lockfd = -1;
	while (n > 1 && out_dir[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(p->dir))
		return RB_ERR(e, RB_EX_USAGE, "invalid report folder '%s'", out_dir);
	memcpy(p->dir, out_dir, n);
	p->dir[n] = '\0';
	slash = strrchr(p->dir, '/');
	base = slash ? slash + 1 : p->dir;
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return RB_ERR(e, RB_EX_USAGE, "the report folder '%s' must end in a folder name "
			      "(it is replaced as a whole)", out_dir);
	if (slash == NULL)
		snprintf(p->parent, sizeof(p->parent), ".");
	else if (slash == p->dir)
		snprintf(p->parent, sizeof(p->parent), "/");
	else
		snprintf(p->parent, sizeof(p->parent), "%.*s", (int)(slash - p->dir), p->dir);
	if (snprintf(p->newdir, sizeof(p->newdir), "%s/.%s.rbaudit-new", p->parent, base) >=
	    (int)sizeof(p->newdir) ||
	    snprintf(p->olddir, sizeof(p->olddir), "%s/.%s.rbaudit-old", p->parent, base) >=
	    (int)sizeof(p->olddir))
		return RB_ERR(e, RB_EX_USAGE, "path too long: '%s'", out_dir);
	return 0;
}

int rb_pack_check(struct rb_pack *p, int signing, int allow_unsigned, struct rb_err *e)
{
	struct tree t = { NULL, 0, NULL, 0 };
	struct mf m;
	char bad[96];
	const char *name;
	int state, found, odd, rc = -1;

	if (rb_dir_state(p->dir, &state, e) != 0)
		return -1;
	if (state < 2)
		return 0;
	if (mf_read(p->dir, &m, &found, bad, sizeof(bad), e) != 0)
		goto out;
	if (tree_read(p->dir, &t, e) != 0)
		goto out;
	if (!found) {
		RB_ERR(e, RB_EX_CANTCREAT, "'%s' holds '%s' and no rbaudit MANIFEST: a report "
		       "replaces only a folder rbaudit wrote (choose a new or empty folder)", p->dir,
		       t.nfiles > 0 ? t.files[0] : t.nodd > 0 ? t.odd[0] : "MANIFEST");
		goto out;
	}
	if ((name = first_unlisted(&m, &t, &odd)) != NULL) {
		if (odd)
			RB_ERR(e, RB_EX_CANTCREAT, "'%s' holds %s, which its MANIFEST does not "
			       "list: move it out first", p->dir, name);
		else
			RB_ERR(e, RB_EX_CANTCREAT, "'%s/%s' is not in the folder's MANIFEST: a "
			       "report replaces the whole folder, so move it out first", p->dir, name);
		goto out;
	}
	if (m.is_signed && !signing && !allow_unsigned) {
		p->refused_unsigned = 1;
		RB_ERR(e, RB_EX_CANTCREAT, "'%s' holds a signed report: replacing it with an "
		       "unsigned one must be allowed (or the report signed)", p->dir);
		goto out;
	}
	rc = 0;
out:
	tree_free(&t);
	mf_free(&m);
	return rc;
}

/* What a crashed run left: the old folder aside (put it back), a new one. */
static int repair(const struct rb_pack *p, struct rb_err *e)
{
	struct stat st;

	if (lstat(p->olddir, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (lstat(p->dir, &st) != 0 && errno == ENOENT) {
			if (rename(p->olddir, p->dir) != 0)
				return RB_ERR(e, RB_EX_CANTCREAT, "cannot put '%s' back as '%s': %s",
					      p->olddir, p->dir, strerror(errno));
		} else if (rb_remove_tree(p->olddir, e) != 0) {
			return -1;
		}
	}
	return rb_remove_tree(p->newdir, e);
}

int rb_pack_begin(struct rb_pack *p, int signing, int allow_unsigned, struct rb_err *e)
{
	if (rb_mkdir_p(p->parent, 0750, e) != 0)
		return -1;
	p->lockfd = open(p->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->lockfd < 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot open '%s': %s", p->parent,
			      strerror(errno));
	if (flock(p->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rb_pack_abort(p);
		return RB_ERR(e, RB_EX_TEMPFAIL, "another report is being written into '%s': "
			      "try again later", p->parent);
	}
	if (repair(p, e) != 0 || rb_pack_check(p, signing, allow_unsigned, e) != 0) {
		rb_pack_abort(p);
		return -1;
	}
	if (mkdir(p->newdir, 0750) != 0) {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot create '%s' (a report folder is replaced whole, "
		       "so the folder that holds it must be writable): %s", p->newdir,
		       strerror(errno));
		rb_pack_abort(p);
		return -1;
	}
	p->writing = 1;
	return 0;
}

int rb_pack_manifest(const struct rb_pack *p, const char *origin, const char *period,
		     const char *tree, const rb_privkey *key, const char *keyname,
		     struct rb_err *e)
{
	struct tree t = { NULL, 0, NULL, 0 };
	char path[PATH_MAX], *text = NULL, *note = NULL;
	size_t i, cap, used;
	int rc = -1;

	if (tree_read(p->newdir, &t, e) != 0)
		return -1;
	cap = 256 + RB_TIME_MAX + strlen(origin) + strlen(period) + strlen(tree);
	for (i = 0; i < t.nfiles; i++)
		cap += 96 + strlen(t.files[i]);
	text = malloc(cap);
	if (text == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	used = (size_t)snprintf(text, cap, "%sledger %s\nperiod %s\ntree %s\n", MANIFEST_HEAD,
				origin, period, tree);
	if (key != NULL) {
		/* The signing time, inside the signed text: the key is judged at it. */
		struct rb_time now = rb_time_now();
		char ts[RB_TIME_MAX];

		rb_time_format(&now, ts);
		used += (size_t)snprintf(text + used, cap - used, "signed %s\n", ts);
	}
	for (i = 0; i < t.nfiles; i++) {
		char hex[65];
		long long size;

		if (file_digest(p->newdir, t.files[i], hex, &size, e) != 0)
			goto out;
		used += (size_t)snprintf(text + used, cap - used, "%s %lld %s\n", hex, size,
					 t.files[i]);
	}
	if (key != NULL && rb_note_sign(text, keyname, key, &note, e) != 0)
		goto out;
	if (rb_path_join(path, sizeof(path), p->newdir, "MANIFEST", e) != 0 ||
	    rb_write_atomic(path, note ? note : text, strlen(note ? note : text), 0640, e) != 0)
		goto out;
	rc = 0;
out:
	tree_free(&t);
	free(text);
	free(note);
	return rc;
}

/* Swap by two renames, where the file system cannot exchange two folders. */
static int swap_by_renames(struct rb_pack *p, struct rb_err *e)
{
	if (rename(p->dir, p->olddir) != 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot move '%s' aside: %s", p->dir,
			      strerror(errno));
	if (rename(p->newdir, p->dir) != 0) {
		int err = errno;

		if (rename(p->olddir, p->dir) != 0)
			return RB_ERR(e, RB_EX_CANTCREAT, "cannot put '%s' in place (%s), and the "
				      "previous report is in '%s': the next report run puts it back",
				      p->dir, strerror(err), p->olddir);
		return RB_ERR(e, RB_EX_CANTCREAT, "cannot put '%s' in place: %s", p->dir,
			      strerror(err));
	}
	p->writing = 0;
	(void)rb_sync_parent(p->dir);
	/* In place; an old folder left behind is removed by the next run. */
	(void)rb_remove_tree(p->olddir, e);
	return 0;
}

int rb_pack_commit(struct rb_pack *p, struct rb_err *e)
{
	struct stat st;
	int fd, rc = -1;

	/* What is renamed in must be on disk first. */
	fd = open(p->newdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	if (lstat(p->dir, &st) != 0 && errno == ENOENT) {
		if (rename(p->newdir, p->dir) != 0) {
			RB_ERR(e, RB_EX_CANTCREAT, "cannot put '%s' in place: %s", p->dir,
			       strerror(errno));
			goto out;
		}
		p->writing = 0;
		(void)rb_sync_parent(p->dir);
		rc = 0;
	} else if (renameat2(AT_FDCWD, p->newdir, AT_FDCWD, p->dir, RENAME_EXCHANGE) == 0) {
		/* One step: newdir now holds the previous report, which goes. */
		(void)rb_sync_parent(p->dir);
		rc = 0;
	} else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
		rc = swap_by_renames(p, e);
	} else {
		RB_ERR(e, RB_EX_CANTCREAT, "cannot put '%s' in place: %s", p->dir, strerror(errno));
	}
out:
	rb_pack_abort(p);
	return rc;
}

void rb_pack_abort(struct rb_pack *p)
{
	if (p->writing) {
		struct rb_err ignored;

		(void)rb_remove_tree(p->newdir, &ignored);
		p->writing = 0;
	}
	if (p->lockfd >= 0) {
		close(p->lockfd);
		p->lockfd = -1;
	}
}
