/*
 * cmd_proof.c - rbaudit proof: c2sp.org/tlog-proof files of stored entries;
 * rbaudit verify-proof: check them offline, with the trust store alone.
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
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/merkle.h"
#include "lib/note.h"
#include "lib/proof.h"
#include "lib/schema.h"
#include "lib/tree.h"
#include "lib/trust.h"

/* A proof file is small: the payload, 63 hashes and a checkpoint. */
#define PROOF_MAX_BYTES (4 << 20)

static const char proof_synopsis[] =
	"usage: rbaudit proof --db FILE (--rollback ID | --seq N...) --out DIR\n"
	"                     [--ledger ORIGIN] [--json] [--busy-timeout SECONDS]\n";

static const char proof_about[] =
	"Write one c2sp.org/tlog-proof@v1 file per entry: the entry's inclusion proof in\n"
	"the ledger's tree at the newest stored checkpoint, with the entry's payload as\n"
	"the proof's extra data, so that anyone with the log's verifier key can check,\n"
	"without rbaudit or the database, that the ledger holds exactly that entry\n"
	"(rbaudit verify-proof, or any C2SP tool).  --rollback proves its whole\n"
	"timeline (its entries, its change's deployment, its incident) into\n"
	"DIR/ID/seq-N.tlog-proof; --seq one entry into DIR/ID/seq-N.tlog-proof, or\n"
	"DIR/seq-N.tlog-proof when it belongs to no rollback.  The database is only read.\n";

static const char proof_tail[] =
	"Exit status: 0 written; 1 no such rollback or entry, or stored rows that do\n"
	"not match the stored checkpoint (run rbaudit check); 64 usage; 66 no\n"
	"database; 73 DIR cannot be written; 75 the database is busy.\n";

struct proof_opts {
	const char *db, *ledger, *rollback, *out;
	struct cli_strs seqs;
	int json, busy_ms;
};

/* The seqs to prove: the rollback's timeline, or those given. */
static int wanted(sqlite3 *db, int64_t lid, const struct proof_opts *o, int64_t **seqs,
		  size_t *n, struct rb_err *e)
{
	size_t i;

	if (o->rollback != NULL)
		return rb_tree_rollback_seqs(db, lid, o->rollback, seqs, n, e);
	*seqs = calloc(o->seqs.n, sizeof(**seqs));
	if (*seqs == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	for (i = 0; i < o->seqs.n; i++) {
		char *end;
		long long v = strtoll(o->seqs.v[i], &end, 10);

		if (end == o->seqs.v[i] || *end != '\0' || v < 0) {
			free(*seqs);
			*seqs = NULL;
			return cli_usage(e, "proof", "--seq takes an entry's seq (a whole number "
					 "from 0), not '%s'", o->seqs.v[i]);
		}
		(*seqs)[i] = v;
	}
	*n = o->seqs.n;
	return 0;
}

static void print_written(const struct proof_opts *o, const char *origin, const rb_tree *t,
			  const struct rb_tree_proof *f, size_t n)
{
	size_t i;

	if (o->json) {
		cJSON *doc = cJSON_CreateObject(), *arr;
		char *s;

		cJSON_AddStringToObject(doc, "ledger", origin);
		cJSON_AddNumberToObject(doc, "tree_size", (double)rb_tree_size(t));
		cJSON_AddStringToObject(doc, "checkpoint", rb_tree_checkpoint(t));
		cJSON_AddStringToObject(doc, "out", o->out);
		arr = cJSON_AddArrayToObject(doc, "proofs");
		for (i = 0; i < n; i++) {
			cJSON *x = cJSON_CreateObject();

			cJSON_AddNumberToObject(x, "seq", (double)f[i].seq);
			cJSON_AddStringToObject(x, "file", f[i].name);
			cJSON_AddItemToArray(arr, x);
		}
		s = cJSON_Print(doc);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(doc);
		return;
	}
	printf("%zu %s of ledger %s against its checkpoint of size %" PRIu64 ", in %s:\n", n,
	       rb_plural((long long)n, "proof", "proofs"), origin, rb_tree_size(t), o->out);
	for (i = 0; i < n; i++)
		printf("  %s\n", f[i].name);
}

static int proof_run(const struct proof_opts *o, struct rb_err *e)
{
	sqlite3 *db = NULL;
	rb_tree *t = NULL;
	int64_t *seqs = NULL, lid;
	struct rb_tree_proof *files = NULL;
	char origin[512];
	size_t n = 0;
	int rc = -1;

	if (rb_schema_open(o->db, RB_DB_READONLY, o->busy_ms, &db, e) != 0)
		return -1;
	lid = rb_tree_pick_ledger(db, o->ledger, origin, sizeof(origin), e);
	if (lid < 0 || wanted(db, lid, o, &seqs, &n, e) != 0)
		goto out;
	if (n == 0) {
		RB_ERR(e, RB_EX_FAIL, "no rollback %s in ledger %s", o->rollback, origin);
		goto out;
	}
	if (rb_tree_load(db, lid, &t, e) != 0 ||
	    rb_tree_write_proofs(db, t, lid, seqs, n, o->rollback, o->out, 0644, 1, &files,
				 e) != 0)
		goto out;
	print_written(o, origin, t, files, n);
	rc = RB_EX_OK;
out:
	free(files);
	free(seqs);
	rb_tree_free(t);
	rb_db_close(db);
	return rc;
}

int cmd_proof(int argc, char **argv, struct rb_err *e)
{
	struct proof_opts o = { NULL, NULL, NULL, NULL, { { NULL }, 0 }, 0, 10000 };
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &o.db, "FILE", "the database", 0, 0, NULL },
		{ "rollback", CLI_STR, &o.rollback, "ID", "prove every entry of this rollback's "
		  "timeline", 0, 0, NULL },
		{ "seq", CLI_STRS, &o.seqs, "N", "prove this entry (repeatable)", 0, 0, NULL },
		{ "out", CLI_STR, &o.out, "DIR", "where the proofs go (created when missing)",
		  0, 0, NULL },
		{ "ledger", CLI_STR, &o.ledger, "ORIGIN", "the ledger, when the database holds "
		  "several", 0, 0, NULL },
		{ "json", CLI_FLAG, &o.json, NULL, "say what was written as JSON", 0, 0, NULL },
		{ "busy-timeout", CLI_SECONDS, &o.busy_ms, "SECS", "wait this long for a busy "
		  "database (default 10)", 0, 3600, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "proof", proof_synopsis, proof_about, opts, proof_tail, 0 };
	int rc, argi;

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (argi != argc)
		return cli_usage(e, "proof", "unexpected operand '%s'", argv[argi]);
	if (o.db == NULL || o.out == NULL)
		return cli_usage(e, "proof", "--db FILE and --out DIR are required");
	if ((o.rollback != NULL) == (o.seqs.n > 0))
		return cli_usage(e, "proof", "name either --rollback ID or --seq N");
	return proof_run(&o, e);
}

/* ---- verify-proof ---- */

static const char vproof_synopsis[] =
	"usage: rbaudit verify-proof --keys KEYS.json [--json] FILE...\n";

static const char vproof_about[] =
	"Check c2sp.org/tlog-proof@v1 files offline, with no database: parse each\n"
	"strictly, check its checkpoint's signature by a trusted key with role\n"
	"checkpoint (and the trust store's witness policy, if it has one), recompute\n"
	"the entry's leaf hash SHA-256(0x00 || payload) from the extra data, and check\n"
	"the inclusion proof against the checkpoint's root.  Prints the entry's ledger,\n"
	"seq, time, event, actor and rollback id, or the reason a proof fails.\n";

static const char vproof_tail[] =
	"Exit status: 0 every proof verifies; 1 one does not (or cannot be read);\n"
	"64 usage; 65 a malformed trust store; 66 no trust store.\n";

static cJSON *proved_json(const char *file, int ok, const struct rb_tproof_result *v, const char *why)
{
	cJSON *x = cJSON_CreateObject();

	cJSON_AddStringToObject(x, "file", file);
	cJSON_AddBoolToObject(x, "valid", ok);
	if (!ok) {
		cJSON_AddStringToObject(x, "reason", why);
		return x;
	}
	cJSON_AddStringToObject(x, "ledger", v->ledger);
	cJSON_AddNumberToObject(x, "seq", (double)v->seq);
	cJSON_AddStringToObject(x, "time", v->time);
	cJSON_AddStringToObject(x, "event", v->event);
	cJSON_AddStringToObject(x, "actor", v->actor);
	if (v->rollback[0] != '\0')
		cJSON_AddStringToObject(x, "rollback_id", v->rollback);
	else
		cJSON_AddNullToObject(x, "rollback_id");
	cJSON_AddNumberToObject(x, "tree_size", (double)v->size);
	cJSON_AddStringToObject(x, "checkpoint_key", v->key);
	cJSON_AddStringToObject(x, "witnesses", v->witnesses);
	return x;
}

static void proved_text(const char *file, int ok, const struct rb_tproof_result *v, const char *why)
{
	if (!ok) {
		printf("%s: INVALID: %s\n", file, why);
		return;
	}
	printf("%s: VALID\n", file);
	printf("  ledger          %s\n", v->ledger);
	printf("  seq             %" PRIu64 " (in the tree of %" PRIu64 " entries)\n", v->seq,
	       v->size);
	printf("  time            %s\n", v->time);
	printf("  event           %s\n", v->event);
	printf("  actor           %s\n", v->actor);
	printf("  rollback        %s\n", v->rollback[0] ? v->rollback : "-");
	printf("  checkpoint key  %s\n", v->key);
	printf("  witnesses       %s\n", v->witnesses[0] ? v->witnesses : "-");
}

int cmd_verify_proof(int argc, char **argv, struct rb_err *e)
{
	const char *store = NULL;
	rb_trust *t = NULL;
	cJSON *doc = NULL, *arr = NULL;
	int json = 0, rc, argi, i, all = 1;
	const struct cli_opt opts[] = {
		{ "keys", CLI_STR, &store, "KEYS.json", "the trust store", 0, 0, NULL },
		{ "json", CLI_FLAG, &json, NULL, "print {\"proofs\":[...]} for machines", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "verify-proof", vproof_synopsis, vproof_about, opts,
				     vproof_tail, 0 };

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (store == NULL)
		return cli_usage(e, "verify-proof", "--keys KEYS.json is required");
	if (argi == argc)
		return cli_usage(e, "verify-proof", "name one proof FILE at least");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	if (json) {
		doc = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(doc, "proofs");
	}
	for (i = argi; i < argc; i++) {
		struct rb_tproof_result v;
		struct rb_err fe;
		char *text = NULL, why[600];
		size_t len = 0;
		int ok;

		memset(&v, 0, sizeof(v));
		if (rb_read_file(argv[i], PROOF_MAX_BYTES, &text, &len, &fe) != 0) {
			snprintf(why, sizeof(why), "%s", fe.msg);
			ok = 0;
		} else {
			ok = rb_tproof_check(text, len, t, &v, why, sizeof(why)) == 0;
		}
		free(text);
		all &= ok;
		if (json)
			cJSON_AddItemToArray(arr, proved_json(argv[i], ok, &v, why));
		else
			proved_text(argv[i], ok, &v, why);
	}
	if (json) {
		char *s = cJSON_Print(doc);

		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(doc);
	}
	rb_trust_free(t);
	return all ? RB_EX_OK : RB_EX_FAIL;
}
