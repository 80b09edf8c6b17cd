/*
 * cmd_show.c - rbaudit show: one rollback's whole record, with every stored
 * analysis that holds it, and its entries' proofs on request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "lib/db.h"
#include "lib/ident.h"
#include "lib/json.h"
#include "lib/schema.h"
#include "lib/tree.h"
#include "report/query.h"

static const char show_synopsis[] =
	"usage: rbaudit show ID --db FILE [--ledger ORIGIN] [--json] [--proofs DIR]\n"
	"                    [--busy-timeout SECONDS]\n";

static const char show_about[] =
	"Print rollback ID's whole record: every entry of its timeline decoded (its\n"
	"own entries, its change's deployment and its incident), each with its seq,\n"
	"time, event, actor and where it was ingested from (the export folder, the\n"
	"file entries.jsonl and the line), the texts of its request, approvals,\n"
	"executions, evidence, review and resolution, and, for every stored analysis\n"
	"that holds it, its score and level, findings, evidence items and score\n"
	"factors.  --proofs writes each entry's c2sp.org/tlog-proof into DIR/ID/, as\n"
	"rbaudit proof --rollback does.  An unknown ID names the closest ids the\n"
	"ledger holds (least edit distance).  The database is only read.\n";

static const char show_tail[] =
	"Exit status: 0 shown; 1 no such rollback (the closest ids are named), or\n"
	"stored rows that do not match the stored checkpoint (--proofs: run rbaudit\n"
	"check); 64 usage; 65 a database of another schema version; 66 no database\n"
	"or ledger; 73 DIR cannot be written; 75 the database is busy.\n";

struct show_opts {
	const char *db, *ledger, *proofs, *id;
	int json, busy_ms;
};

static void print_json(const cJSON *doc)
{
	char *s = cJSON_Print(doc);

	if (s != NULL)
		printf("%s\n", s);
	cJSON_free(s);
}

static const char *str_or(const cJSON *o, const char *k, const char *dflt)
{
	const char *s = rb_json_str(o, k);

	return s != NULL ? s : dflt;
}

/* The entries, one line each, and the record's texts. */
static void print_entries(const cJSON *doc)
{
	const cJSON *x, *entries = cJSON_GetObjectItemCaseSensitive(doc, "entries");

	printf("rollback %s in ledger %s\n\n%d %s:\n", rb_json_str(doc, "rollback_id"),
	       rb_json_str(doc, "ledger"), cJSON_GetArraySize(entries),
	       rb_plural(cJSON_GetArraySize(entries), "entry", "entries"));
	cJSON_ArrayForEach(x, entries) {
		printf("  seq %-7.0f %s  ", cJSON_GetNumberValue(
			       cJSON_GetObjectItemCaseSensitive(x, "seq")), str_or(x, "time", "?"));
		rb_text_pad(stdout, str_or(x, "event", "?"), 19, 0);
		printf(" %s\n      from %s/%s line %.0f", str_or(x, "actor", "?"),
		       str_or(x, "export", "?"), str_or(x, "file", "?"),
		       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "line")));
		if (rb_json_str(x, "countersigned_by") != NULL)
			printf(", countersigned by key %s", rb_json_str(x, "countersigned_by"));
		printf("\n");
	}
	printf("\nrecord:\n");
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "record"))
		printf("  %s: %s\n", cJSON_GetStringValue(cJSON_GetArrayItem(x, 0)),
		       cJSON_GetStringValue(cJSON_GetArrayItem(x, 1)));
}

/* One stored analysis's view of the rollback. */
static void print_analysis(const cJSON *a)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(a, "facts"), *x;
	int n = 0;

	printf("\nanalysis %.0f of period %s (as of %s):\n",
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "analysis_id")),
	       str_or(a, "period", "?"), str_or(a, "as_of", "?"));
	printf("  score %.0f, level %s%s\n",
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "score")),
	       str_or(a, "level", "?"),
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "flagged")) ? " (flagged)" : "");
	printf("  findings:");
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(f, "findings"))
		printf("%s %s", n++ ? "," : "", cJSON_GetStringValue(x));
	printf("%s\n  evidence:", n ? "" : " none");
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(f, "evidence")) {
		int req = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "required"));
		int has = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "present"));

		printf(" %s %s;", x->string, has ? "present" : req ? "MISSING" : "not required");
	}
	printf("\n  score factors:");
	n = 0;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(f, "score_factors")) {
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(x, "weight");

		printf("%s %s", n++ ? "," : "", str_or(x, "factor", "?"));
		if (cJSON_IsNumber(w))
			printf(" %g", w->valuedouble);
	}
	printf("%s; environment factor %g, raw score %g\n", n ? "" : " none",
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(f, "environment_factor")),
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(f, "raw_score")));
}

static void print_show(const cJSON *doc)
{
	const cJSON *an = cJSON_GetObjectItemCaseSensitive(doc, "analyses"), *x;

	print_entries(doc);
	if (cJSON_GetArraySize(an) == 0)
		printf("\nno stored analysis holds it (rbaudit analyze --period P stores one)\n");
	cJSON_ArrayForEach(x, an)
		print_analysis(x);
}

/* --proofs: the timeline's proofs into DIR/ID/, named in doc (or printed). */
static int write_proofs(sqlite3 *db, int64_t lid, const struct show_opts *o, cJSON *doc,
			struct rb_err *e)
{
	rb_tree *t = NULL;
	int64_t *seqs = NULL;
	struct rb_tree_proof *files = NULL;
	cJSON *arr;
	size_t n = 0, i;
	int rc = -1;

	if (rb_tree_rollback_seqs(db, lid, o->id, &seqs, &n, e) != 0 ||
	    rb_tree_load(db, lid, &t, e) != 0 ||
	    rb_tree_write_proofs(db, t, lid, seqs, n, o->id, o->proofs, 0644, 1, &files, e) != 0)
		goto out;
	arr = cJSON_AddArrayToObject(doc, "proofs");
	for (i = 0; i < n; i++) {
		char path[1200];

		snprintf(path, sizeof(path), "%s/%s", o->proofs, files[i].name);
		cJSON_AddItemToArray(arr, cJSON_CreateString(path));
	}
	rc = 0;
out:
	free(files);
	free(seqs);
	rb_tree_free(t);
	return rc;
}

static int show_run(const struct show_opts *o, struct rb_err *e)
{
	sqlite3 *db = NULL;
	cJSON *doc = NULL;
	const cJSON *x;
	char origin[512];
	int64_t lid;
	int rc = -1;

	if (rb_schema_open(o->db, RB_DB_READONLY, o->busy_ms, &db, e) != 0)
		return -1;
	lid = rb_tree_pick_ledger(db, o->ledger, origin, sizeof(origin), e);
	if (lid < 0 || rb_query_show(db, lid, origin, o->id, &doc, e) != 0)
		goto out;
	if (o->proofs != NULL && write_proofs(db, lid, o, doc, e) != 0)
		goto out;
	if (rb_db_unchanged(db, e) != 0)
		goto out;
	if (o->json) {
		print_json(doc);
	} else {
		print_show(doc);
		if (o->proofs != NULL)
			printf("\nproofs:\n");
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "proofs"))
			printf("  %s\n", cJSON_GetStringValue(x));
	}
	rc = RB_EX_OK;
out:
	cJSON_Delete(doc);
	rb_db_close(db);
	return rc;
}

int cmd_show(int argc, char **argv, struct rb_err *e)
{
	struct show_opts o = { NULL, NULL, NULL, NULL, 0, 10000 };
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &o.db, "FILE", "the database", 0, 0, NULL },
		{ "ledger", CLI_STR, &o.ledger, "ORIGIN", "the ledger, when the database holds "
		  "several", 0, 0, NULL },
		{ "json", CLI_FLAG, &o.json, NULL, "print the record as one JSON object", 0, 0,
		  NULL },
		{ "proofs", CLI_STR, &o.proofs, "DIR", "write its entries' tlog-proofs into "
		  "DIR/ID/ (created\nwhen missing)", 0, 0, NULL },
		{ "busy-timeout", CLI_SECONDS, &o.busy_ms, "SECS", "wait this long for a busy "
		  "database (default 10)", 0, 3600, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "show", show_synopsis, show_about, opts, show_tail, 0 };
	int rc, argi;

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (argi == argc)
		return cli_usage(e, "show", "name the rollback: rbaudit show ID --db FILE");
	if (argi + 1 != argc)
		return cli_usage(e, "show", "unexpected operand '%s'", argv[argi + 1]);
	if (o.db == NULL)
		return cli_usage(e, "show", "--db FILE is required");
	o.id = argv[argi];
	return show_run(&o, e);
}
