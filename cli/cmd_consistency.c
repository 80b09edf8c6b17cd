/*
 * cmd_consistency.c - rbaudit consistency: an RFC 6962 consistency proof
 * between two checkpoints of a stored ledger, in the layout of
 * c2sp.org/tlog-witness's add-checkpoint body; rbaudit verify-consistency:
 * check one offline against the older checkpoint the auditor kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/fsutil.h"
#include "lib/note.h"
#include "lib/proof.h"
#include "lib/schema.h"
#include "lib/tree.h"
#include "lib/trust.h"

#define NOTE_MAX_BYTES (1 << 20)

static const char cons_synopsis[] =
	"usage: rbaudit consistency --db FILE (--from CHECKPOINT | --from-size N)\n"
	"                           [--to CHECKPOINT | --to-size N] [--ledger ORIGIN]\n"
	"                           [--out FILE] [--busy-timeout SECONDS]\n"
	"       rbaudit consistency --db FILE --list [--ledger ORIGIN] [--json]\n";

static const char cons_about[] =
	"Print an RFC 6962 consistency proof from an older signed checkpoint of a\n"
	"stored ledger (a file the auditor kept, or one the database kept: every\n"
	"checkpoint ingest verified is kept, --list shows them) to a newer one (the\n"
	"newest stored, by default), as c2sp.org/tlog-witness's add-checkpoint body:\n"
	"\"old SIZE\", one base64 hash a line, an empty line, the newer checkpoint.  A\n"
	"checkpoint whose root is not the stored tree's at its size is refused: the\n"
	"log has shown two different histories (a fork).  The database is only read.\n";

static const char cons_tail[] =
	"Exit status: 0 written; 1 a checkpoint contradicts the stored history, or is\n"
	"of another ledger, or newer than the newest stored; 64 usage; 65 a malformed\n"
	"checkpoint file; 66 no database or checkpoint file; 75 the database is busy.\n";

struct cons_opts {
	const char *db, *ledger, *from, *to, *out;
	uint64_t from_size, to_size;
	int have_from_size, have_to_size, list, json, busy_ms;
};

/* A checkpoint of ledger origin: from a file, or the latest kept of a size. */
struct side {
	char *note;
	uint64_t size;
	uint8_t root[32];
};

static int side_from_file(const char *path, const char *origin, struct side *s,
			  struct rb_err *e)
{
	rb_checkpoint *c = NULL;
	size_t len;
	char why[160];

	if (rb_read_file(path, NOTE_MAX_BYTES, &s->note, &len, e) != 0)
		return -1;
	if (rb_checkpoint_parse(s->note, len, &c, why, sizeof(why)) != 0)
		return RB_ERR(e, RB_EX_DATAERR, "%s: not a checkpoint: %s", path, why);
	if (strcmp(rb_checkpoint_origin(c), origin) != 0) {
		RB_ERR(e, RB_EX_FAIL, "%s: a checkpoint of ledger '%s', not of '%s'", path,
		       rb_checkpoint_origin(c), origin);
		rb_checkpoint_free(c);
		return -1;
	}
	s->size = rb_checkpoint_size(c);
	memcpy(s->root, rb_checkpoint_root(c), 32);
	rb_checkpoint_free(c);
	return 0;
}

static int side_stored(sqlite3 *db, int64_t lid, uint64_t size, struct side *s,
		       struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (rb_db_prepare(db, "SELECT note, root FROM checkpoint WHERE ledger_id = ?1 AND "
			  "size = ?2 ORDER BY rowid DESC LIMIT 1", &q, e) != 0)
		return -1;
	sqlite3_bind_int64(q, 1, lid);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)size);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 1) == 32) {
		s->note = strdup((const char *)sqlite3_column_text(q, 0));
		memcpy(s->root, sqlite3_column_blob(q, 1), 32);
		s->size = size;
	}
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return RB_ERR(e, RB_EX_FAIL, "no checkpoint of size %" PRIu64 " is kept "
			      "(rbaudit consistency --list shows those that are)", size);
	if (rc != SQLITE_ROW)
		return rb_db_fail(db, rc, e, "cannot read the stored checkpoints");
	return s->note == NULL ? RB_ERR(e, RB_EX_SOFTWARE, "out of memory") : 0;
}

/* The side's root must be the stored tree's at its size. */
static int side_matches(const rb_tree *t, const struct side *s, const char *what,
			struct rb_err *e)
{
	uint8_t mine[32];
	char a[48], b[48];

	if (s->size > rb_tree_size(t))
		return RB_ERR(e, RB_EX_FAIL, "the %s checkpoint is of %" PRIu64 " entries, more "
			      "than the %" PRIu64 " stored: ingest the exports up to it first",
			      what, s->size, rb_tree_size(t));
	if (s->size == 0)
		return 0;
	if (rb_tree_subtree((void *)t, 0, s->size, mine, e) != 0)
		return -1;
	if (memcmp(mine, s->root, 32) != 0) {
		rb_b64_encode(s->root, 32, a);
		rb_b64_encode(mine, 32, b);
		return RB_ERR(e, RB_EX_FAIL, "the %s checkpoint contradicts the stored history "
			      "(a fork): at size %" PRIu64 " its root is %s, the stored tree's is %s",
			      what, s->size, a, b);
	}
	return 0;
}

static int list_stored(sqlite3 *db, int64_t lid, const char *origin, int json,
		       struct rb_err *e)
{
	sqlite3_stmt *q = NULL;
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "checkpoints");
	char b64[48];
	int rc;

	if (rb_db_prepare(db, "SELECT size, root, first_seen, witnesses, note FROM checkpoint "
			  "WHERE ledger_id = ?1 ORDER BY size, rowid", &q, e) != 0) {
		cJSON_Delete(doc);
		return -1;
	}
	sqlite3_bind_int64(q, 1, lid);
	if (!json)
		printf("checkpoints kept for ledger %s (size, root, first seen, witnesses):\n", origin);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cJSON *x = cJSON_CreateObject();

		rb_b64_encode(sqlite3_column_blob(q, 1), 32, b64);
		cJSON_AddNumberToObject(x, "size", (double)sqlite3_column_int64(q, 0));
		cJSON_AddStringToObject(x, "root", b64);
		cJSON_AddStringToObject(x, "first_seen", (const char *)sqlite3_column_text(q, 2));
		cJSON_AddRawToObject(x, "witnesses", (const char *)sqlite3_column_text(q, 3));
		cJSON_AddStringToObject(x, "note", (const char *)sqlite3_column_text(q, 4));
		cJSON_AddItemToArray(arr, x);
		if (!json)
			printf("  %8lld  %s  %s  %s\n", (long long)sqlite3_column_int64(q, 0), b64,
			       sqlite3_column_text(q, 2), sqlite3_column_text(q, 3));
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(doc);
		return rb_db_fail(db, rc, e, "cannot read the stored checkpoints");
	}
	if (json) {
		char *s = cJSON_Print(doc);

		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
	}
	cJSON_Delete(doc);
	return RB_EX_OK;
}

/* The proof from old to new over the stored tree, written to o->out or stdout. */
static int write_proof(const rb_tree *t, const struct side *old, const struct side *new,
		       const char *out, struct rb_err *e)
{
	uint8_t path[RB_PROOF_MAX][32];
	char *text = NULL;
	int n, rc;

	if (old->size > new->size)
		return RB_ERR(e, RB_EX_FAIL, "the older checkpoint (size %" PRIu64 ") is larger "
			      "than the newer one (size %" PRIu64 ")", old->size, new->size);
	if (rb_proof_consistency(rb_tree_subtree, (void *)t, old->size, new->size, path, &n,
				 e) != 0 ||
	    rb_cproof_format(old->size, (const uint8_t (*)[32])path, n, new->note, &text, e) != 0)
		return -1;
	if (!rb_proof_verify_consistency(old->size, old->root, new->size, new->root,
					 (const uint8_t (*)[32])path, n)) {
		free(text);
		return RB_ERR(e, RB_EX_SOFTWARE, "the consistency proof made does not verify");
	}
	if (out != NULL)
		rc = rb_write_atomic(out, text, strlen(text), 0644, e);
	else
		rc = fputs(text, stdout) < 0 ? RB_ERR(e, RB_EX_IOERR, "cannot write the proof") : 0;
	free(text);
	return rc;
}

/* The ledger a checkpoint file names, when --ledger is not given. */
static const char *origin_wanted(const struct cons_opts *o, char *buf, size_t n)
{
	char *text = NULL, *nl;
	size_t len;
	struct rb_err e;

	if (o->ledger != NULL || o->from == NULL ||
	    rb_read_file(o->from, NOTE_MAX_BYTES, &text, &len, &e) != 0)
		return o->ledger;
	nl = strchr(text, '\n');
	if (nl != NULL)
		*nl = '\0';
	snprintf(buf, n, "%s", text);
	free(text);
	return buf;
}

static int cons_run(const struct cons_opts *o, struct rb_err *e)
{
	sqlite3 *db = NULL;
	rb_tree *t = NULL;
	struct side old = { NULL, 0, { 0 } }, new = { NULL, 0, { 0 } };
	char origin[512], want[512];
	int64_t lid;
	int rc = -1;

	if (rb_schema_open(o->db, RB_DB_READONLY, o->busy_ms, &db, e) != 0)
		return -1;
	lid = rb_tree_pick_ledger(db, origin_wanted(o, want, sizeof(want)), origin,
				  sizeof(origin), e);
	if (lid < 0)
		goto out;
	if (o->list) {
		rc = list_stored(db, lid, origin, o->json, e);
		goto out;
	}
	if (rb_tree_load(db, lid, &t, e) != 0 ||
	    (o->from != NULL ? side_from_file(o->from, origin, &old, e)
			     : side_stored(db, lid, o->from_size, &old, e)) != 0)
		goto out;
	if (o->to != NULL ? side_from_file(o->to, origin, &new, e)
	    : side_stored(db, lid, o->have_to_size ? o->to_size : rb_tree_size(t), &new, e))
		goto out;
	if (side_matches(t, &old, "older", e) != 0 || side_matches(t, &new, "newer", e) != 0 ||
	    write_proof(t, &old, &new, o->out, e) != 0)
		goto out;
	if (o->out != NULL)
		fprintf(stderr, "consistency: %s: from size %" PRIu64 " to %" PRIu64 " of ledger %s\n",
			o->out, old.size, new.size, origin);
	rc = RB_EX_OK;
out:
	free(old.note);
	free(new.note);
	rb_tree_free(t);
	rb_db_close(db);
	return rc;
}

int cmd_consistency(int argc, char **argv, struct rb_err *e)
{
	struct cons_opts o;
	int rc, argi;
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &o.db, "FILE", "the database", 0, 0, NULL },
		{ "from", CLI_STR, &o.from, "CHECKPOINT", "the older checkpoint, a file", 0, 0,
		  NULL },
		{ "from-size", CLI_U64, &o.from_size, "N", "the older checkpoint: the one kept of "
		  "this size", 0, 9e15, &o.have_from_size },
		{ "to", CLI_STR, &o.to, "CHECKPOINT", "the newer checkpoint, a file (default: the "
		  "newest stored)", 0, 0, NULL },
		{ "to-size", CLI_U64, &o.to_size, "N", "the newer checkpoint: the one kept of this "
		  "size", 0, 9e15, &o.have_to_size },
		{ "ledger", CLI_STR, &o.ledger, "ORIGIN", "the ledger (default: the --from "
		  "checkpoint's, or the only one)", 0, 0, NULL },
		{ "out", CLI_STR, &o.out, "FILE", "write the proof there (default: standard "
		  "output)", 0, 0, NULL },
		{ "list", CLI_FLAG, &o.list, NULL, "list the checkpoints kept instead", 0, 0, NULL },
		{ "json", CLI_FLAG, &o.json, NULL, "with --list: as JSON", 0, 0, NULL },
		{ "busy-timeout", CLI_SECONDS, &o.busy_ms, "SECS", "wait this long for a busy "
		  "database (default 10)", 0, 3600, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "consistency", cons_synopsis, cons_about, opts, cons_tail,
				     0 };

	memset(&o, 0, sizeof(o));
	o.busy_ms = 10000;
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (argi != argc)
		return cli_usage(e, "consistency", "unexpected operand '%s'", argv[argi]);
	if (o.db == NULL)
		return cli_usage(e, "consistency", "--db FILE is required");
	if (!o.list && (o.from != NULL) == o.have_from_size)
		return cli_usage(e, "consistency", "name the older checkpoint: --from FILE or "
				 "--from-size N");
	if (o.to != NULL && o.have_to_size)
		return cli_usage(e, "consistency", "name the newer checkpoint once: --to or --to-size");
	return cons_run(&o, e);
}

/* ---- verify-consistency ---- */

static const char vcons_synopsis[] =
	"usage: rbaudit verify-consistency --keys KEYS.json --old CHECKPOINT [--json] FILE\n";

static const char vcons_about[] =
	"Check a consistency proof offline (an add-checkpoint body, as rbaudit\n"
	"consistency writes it): the newer checkpoint in FILE and the older one you\n"
	"kept (--old; the proof names only its size) must both be validly signed by a\n"
	"trusted key with role checkpoint, be of one ledger, and the proof must show\n"
	"that the newer tree extends the older one: nothing the older checkpoint\n"
	"committed to was changed or removed.\n";

static const char vcons_tail[] =
	"Exit status: 0 consistent; 1 not (or a checkpoint is not validly signed, or\n"
	"a file cannot be read); 64 usage; 65 a malformed trust store; 66 no trust store.\n";

/* A signed checkpoint from text: 0, or -1 with why. */
static int signed_checkpoint(const char *text, size_t len, const rb_trust *t, const char *what,
			     rb_checkpoint **c, char *why, size_t n)
{
	char cwhy[160], names[600], wwhy[500];

	if (rb_checkpoint_parse(text, len, c, cwhy, sizeof(cwhy)) != 0) {
		snprintf(why, n, "the %s checkpoint is malformed: %s", what, cwhy);
		return -1;
	}
	if (rb_checkpoint_verify(*c, t, "checkpoint") == NULL) {
		snprintf(why, n, "the %s checkpoint is not validly signed by a trusted key with role "
			 "checkpoint (E_CHECKPOINT_SIG)", what);
		return -1;
	}
	/* The trust store's witness rules hold for both. */
	if (rb_proof_witnessed(*c, t, names, sizeof(names), wwhy, sizeof(wwhy)) != 0) {
		snprintf(why, n, "the %s checkpoint: %s", what, wwhy);
		return -1;
	}
	return 0;
}

/* Check the proof text against the old checkpoint text. */
static int check_consistency(const char *ptext, size_t plen, const char *otext, size_t olen,
			     const rb_trust *t, uint64_t sizes[2], char *why, size_t n)
{
	struct rb_cproof *p = NULL;
	rb_checkpoint *newc = NULL, *oldc = NULL;
	struct rb_err e;
	int rc = -1;

	if (rb_cproof_parse(ptext, plen, &p, &e) != 0) {
		snprintf(why, n, "%s", e.msg);
		return -1;
	}
	if (signed_checkpoint(p->checkpoint, p->checkpoint_len, t, "newer", &newc, why, n) != 0 ||
	    signed_checkpoint(otext, olen, t, "older", &oldc, why, n) != 0)
		goto out;
	sizes[0] = rb_checkpoint_size(oldc);
	sizes[1] = rb_checkpoint_size(newc);
	if (strcmp(rb_checkpoint_origin(oldc), rb_checkpoint_origin(newc)) != 0) {
		snprintf(why, n, "the checkpoints are of two ledgers: '%s' and '%s'",
			 rb_checkpoint_origin(oldc), rb_checkpoint_origin(newc));
		goto out;
	}
	if (p->old != sizes[0]) {
		snprintf(why, n, "the proof is from size %" PRIu64 ", the older checkpoint is of "
			 "size %" PRIu64, p->old, sizes[0]);
		goto out;
	}
	if (!rb_proof_verify_consistency(sizes[0], rb_checkpoint_root(oldc), sizes[1],
					 rb_checkpoint_root(newc), (const uint8_t (*)[32])p->path,
					 p->n)) {
		snprintf(why, n, "the proof (%d %s) does not show the tree of %" PRIu64 " extends "
			 "the tree of %" PRIu64 ": the log's history differs (a fork), or the "
			 "proof is forged", p->n, p->n == 1 ? "hash" : "hashes", sizes[1], sizes[0]);
		goto out;
	}
	snprintf(why, n, "%s", rb_checkpoint_origin(newc));
	rc = 0;
out:
	rb_checkpoint_free(newc);
	rb_checkpoint_free(oldc);
	rb_cproof_free(p);
	return rc;
}

static void vcons_print(const char *file, int ok, const uint64_t sizes[2], const char *why,
			int json)
{
	if (json) {
		cJSON *x = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(x, "file", file);
		cJSON_AddBoolToObject(x, "consistent", ok);
		if (ok) {
			cJSON_AddStringToObject(x, "ledger", why);
			cJSON_AddNumberToObject(x, "old_size", (double)sizes[0]);
			cJSON_AddNumberToObject(x, "new_size", (double)sizes[1]);
		} else {
			cJSON_AddStringToObject(x, "reason", why);
		}
		s = cJSON_Print(x);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(x);
	} else if (ok) {
		printf("%s: CONSISTENT: ledger %s, the tree of %" PRIu64 " entries extends the "
		       "tree of %" PRIu64 "\n", file, why, sizes[1], sizes[0]);
	} else {
		printf("%s: INCONSISTENT: %s\n", file, why);
	}
}

int cmd_verify_consistency(int argc, char **argv, struct rb_err *e)
{
	const char *store = NULL, *oldf = NULL;
	rb_trust *t = NULL;
	char *ptext = NULL, *otext = NULL, why[600];
	size_t plen = 0, olen = 0;
	uint64_t sizes[2] = { 0, 0 };
	struct rb_err fe;
	int json = 0, rc, argi, ok;
	const struct cli_opt opts[] = {
		{ "keys", CLI_STR, &store, "KEYS.json", "the trust store", 0, 0, NULL },
		{ "old", CLI_STR, &oldf, "CHECKPOINT", "the older checkpoint you kept", 0, 0, NULL },
		{ "json", CLI_FLAG, &json, NULL, "print the verdict as JSON", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "verify-consistency", vcons_synopsis, vcons_about, opts,
				     vcons_tail, 0 };

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (store == NULL || oldf == NULL)
		return cli_usage(e, "verify-consistency", "--keys KEYS.json and --old CHECKPOINT "
				 "are required (the proof names only the older size: its root is "
				 "in the checkpoint you kept)");
	if (argi + 1 != argc)
		return cli_usage(e, "verify-consistency", "name one proof FILE");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	if (rb_read_file(argv[argi], NOTE_MAX_BYTES, &ptext, &plen, &fe) != 0 ||
	    rb_read_file(oldf, NOTE_MAX_BYTES, &otext, &olen, &fe) != 0) {
		snprintf(why, sizeof(why), "%s", fe.msg);
		ok = 0;
	} else {
		ok = check_consistency(ptext, plen, otext, olen, t, sizes, why, sizeof(why)) == 0;
	}
	vcons_print(argv[argi], ok, sizes, why, json);
	free(ptext);
	free(otext);
	rb_trust_free(t);
	return ok ? RB_EX_OK : RB_EX_FAIL;
}
