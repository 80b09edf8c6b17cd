/* cmd_ingest.c - rbaudit ingest: verified exports into the database. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "ingest/ingest.h"
#include "lib/ident.h"
#include "lib/trust.h"

static const char ingest_synopsis[] =
	"usage: rbaudit ingest --db FILE --keys KEYS.json [--json] [--jobs N]\n"
	"                      [--archive DIR] [--quarantine DIR] [--bootstrap]\n"
	"                      [--busy-timeout SECONDS] EXPORT_DIR...\n"
	"       rbaudit ingest --db FILE --keys KEYS.json --inbox DIR [--settle SECONDS]\n"
	"                      [options]\n";

static const char ingest_about[] =
	"Verify ledger exports completely and store their new entries, each export\n"
	"in one transaction.  An export that fails verification or contradicts the\n"
	"history already stored (E_FORK, E_GAP) is rejected whole and changes\n"
	"nothing; one whose entries are all stored already is a no-op.  First, when\n"
	"the trust store is not the one the stored history was last checked against\n"
	"(its SHA-256 is stored), every stored entry is verified again under it and\n"
	"those that no longer verify (a key revoked after the fact, removed, its\n"
	"validity shortened) are recorded for analyze, report and run.\n";

static const char ingest_tail[] =
	"Exit status: 0 nothing rejected, 1 an export was rejected or the re-check\n"
	"under a changed trust store found stored entries that no longer verify, 64 usage,\n"
	"66 input missing, 74 I/O error or disk full, 75 database busy: retry.\n";

struct progress_ctx {
	const char *path;
	uint64_t total;
	struct timespec start;
};

static void progress(void *ctx, uint64_t entries, uint64_t bytes)
{
	struct progress_ctx *p = ctx;
	struct timespec now;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - p->start.tv_sec) +
	       (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
	fprintf(stderr, "\r\033[Kingesting %s: %" PRIu64 " entries, %.0f%%, %.0f entries/s",
		p->path, entries, p->total ? 100.0 * (double)bytes / (double)p->total : 0.0,
		secs > 0 ? (double)entries / secs : 0.0);
}

static void print_findings(const rb_vreport *r)
{
	size_t i;

	for (i = 0; i < rb_vreport_nerrors(r); i++) {
		const struct rb_finding *f = rb_vreport_error(r, i);

		printf("  %s", f->code);
		if (f->seq >= 0)
			printf(" seq %" PRId64, f->seq);
		if (f->line >= 0)
			printf(" line %lld", f->line);
		printf(": %s\n", f->msg);
	}
	if (rb_vreport_errors_total(r) > rb_vreport_nerrors(r))
		printf("  ... and %" PRIu64 " more %s\n",
		       rb_vreport_errors_total(r) - rb_vreport_nerrors(r),
		       rb_plural((long long)(rb_vreport_errors_total(r) - rb_vreport_nerrors(r)),
				 "error", "errors"));
}

/*
 * The whole exports of the inbox into *dirs; those still being written are
 * left there and listed (in doc when it is set, else on stdout).
 */
static int inbox_dirs(const char *inbox, int settle, cJSON *doc, char ***dirs, size_t *n,
		      struct rb_err *e)
{
	struct rb_inbox ib;
	cJSON *arr = doc ? cJSON_AddArrayToObject(doc, "waiting") : NULL;
	size_t i;

	if (rb_inbox_scan(inbox, settle, (int64_t)time(NULL), &ib, e) != 0)
		return -1;
	for (i = 0; i < ib.nwaiting; i++) {
		if (arr != NULL) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "path", ib.waiting[i]);
			cJSON_AddStringToObject(o, "reason", ib.why[i]);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("waiting  %s: %s; left in the inbox for a later run\n", ib.waiting[i],
			       ib.why[i]);
		}
	}
	*dirs = ib.ready;
	*n = ib.nready;
	ib.ready = NULL;
	ib.nready = 0;
	rb_inbox_clear(&ib);
	return 0;
}

static cJSON *outcome_json(const struct rb_ingest_outcome *oc)
{
	cJSON *o = cJSON_CreateObject(), *wit;
	const rb_vreport *r = oc->report;

	cJSON_AddStringToObject(o, "path", oc->path);
	cJSON_AddStringToObject(o, "verdict", rb_verdict_name(oc->verdict));
	if (rb_vreport_ledger(r))
		cJSON_AddStringToObject(o, "ledger", rb_vreport_ledger(r));
	else
		cJSON_AddNullToObject(o, "ledger");
	cJSON_AddNumberToObject(o, "first_seq", (double)rb_vreport_first_seq(r));
	cJSON_AddNumberToObject(o, "last_seq", (double)rb_vreport_last_seq(r));
	cJSON_AddNumberToObject(o, "new_entries", (double)oc->new_entries);
	if (oc->new_first_seq >= 0)
		cJSON_AddNumberToObject(o, "new_first_seq", (double)oc->new_first_seq);
	else
		cJSON_AddNullToObject(o, "new_first_seq");
	cJSON_AddBoolToObject(o, "bootstrap", oc->bootstrap);
	wit = rb_vreport_witnesses_json(r) != NULL ? cJSON_Parse(rb_vreport_witnesses_json(r)) :
							  NULL;
	cJSON_AddItemToObject(o, "witnesses", wit != NULL ? wit : cJSON_CreateArray());
	cJSON_AddItemToObject(o, "errors", rb_vreport_findings_json(r, 0));
	cJSON_AddItemToObject(o, "warnings", rb_vreport_findings_json(r, 1));
	if (oc->moved_to)
		cJSON_AddStringToObject(o, "moved_to", oc->moved_to);
	return o;
}

static void outcome_text(const struct rb_ingest_outcome *oc)
{
	const rb_vreport *r = oc->report;
	char wit[512];

	switch (oc->verdict) {
	case RB_ACCEPTED:
		printf("accepted %s: %s seq %" PRId64 "..%" PRId64 ", %" PRIu64
		       " new %s from seq %" PRId64 "%s\n", oc->path,
		       rb_vreport_ledger(r), rb_vreport_first_seq(r), rb_vreport_last_seq(r),
		       oc->new_entries, rb_plural((long long)oc->new_entries, "entry", "entries"),
		       oc->new_first_seq,
		       oc->bootstrap ? " (bootstrapped from its previous checkpoint)" : "");
		rb_vreport_witness_names(r, wit, sizeof(wit));
		if (wit[0] != '\0')
			printf("  checkpoint cosigned by %s\n", wit);
		break;
	case RB_NOOP:
		printf("no-op    %s: %s seq %" PRId64 "..%" PRId64 ": nothing new, every entry "
		       "is stored already (or precedes a bootstrapped start) and identical\n",
		       oc->path, rb_vreport_ledger(r), rb_vreport_first_seq(r),
		       rb_vreport_last_seq(r));
		break;
	default:
		printf("REJECTED %s: %" PRIu64 " %s; nothing stored\n", oc->path,
		       rb_vreport_errors_total(r),
		       rb_plural((long long)rb_vreport_errors_total(r), "error", "errors"));
		print_findings(r);
		break;
	}
	if (rb_vreport_warnings_total(r) > 0)
		printf("  %" PRIu64 " warnings (see --json)\n", rb_vreport_warnings_total(r));
	if (oc->moved_to)
		printf("  moved to %s\n", oc->moved_to);
}

/* A malloc'd copy of the n strings of v (NULL-terminated), or NULL. */
static char **strv_dup(char *const *v, size_t n)
{
	char **d = calloc(n + 1, sizeof(*d));
	size_t i;

	for (i = 0; d != NULL && i < n; i++)
		if ((d[i] = strdup(v[i])) == NULL) {
			rb_strv_free(d, i);
			d = NULL;
		}
	return d;
}

/* The last word: into doc (printed) when set, else one line. */
static void summary(cJSON *doc, const uint64_t counts[3], const char *dbpath)
{
	char *s;

	if (doc == NULL) {
		printf("ingest: %" PRIu64 " accepted, %" PRIu64 " no-op, %" PRIu64
		       " rejected; database %s\n", counts[RB_ACCEPTED], counts[RB_NOOP],
		       counts[RB_REJECTED], dbpath);
		return;
	}
	cJSON_AddStringToObject(doc, "database", dbpath);
	cJSON_AddNumberToObject(doc, "accepted", (double)counts[RB_ACCEPTED]);
	cJSON_AddNumberToObject(doc, "noop", (double)counts[RB_NOOP]);
	cJSON_AddNumberToObject(doc, "rejected", (double)counts[RB_REJECTED]);
	s = cJSON_Print(doc);
	if (s != NULL)
		printf("%s\n", s);
	cJSON_free(s);
}

/* What the command line asks of ingest. */
struct ingest_args {
	struct rb_ingest_opts io;
	const char *store, *archive, *quarantine, *inbox;
	int json, settle_ms, settle_set, argi;
};

static int ingest_args(int argc, char **argv, struct ingest_args *a, struct rb_err *e)
{
	struct rb_ingest_opts *io = &a->io;
	const struct cli_opt opts[] = {
		{ "db", CLI_STR, &io->db_path, "FILE",
		  "the database (created, mode 0640, when missing)", 0, 0, NULL },
		{ "keys", CLI_STR, &a->store, "KEYS.json", "the trust store", 0, 0, NULL },
		{ "inbox", CLI_STR, &a->inbox, "DIR", "ingest every export directory in DIR, "
		  "ordered by\nledger and first_seq; an export still being written\nis left "
		  "there and listed as waiting", 0, 0, NULL },
		{ "settle", CLI_SECONDS, &a->settle_ms, "SECONDS", "with --inbox: an export "
		  "without a READY file is whole\nonce nothing in it changed for this long "
		  "(default\n300; 0 takes every export)", 0, 86400, &a->settle_set },
		{ "archive", CLI_STR, &a->archive, "DIR", "move accepted and no-op exports here",
		  0, 0, NULL },
		{ "quarantine", CLI_STR, &a->quarantine, "DIR",
		  "move rejected exports here, with REJECTED.json", 0, 0, NULL },
		{ "bootstrap", CLI_FLAG, &io->bootstrap, NULL, "a ledger's first export may start "
		  "after seq 0:\ntrust its signed previous_checkpoint as the start", 0, 0, NULL },
		{ "busy-timeout", CLI_SECONDS, &io->busy_ms, "SECS",
		  "wait this long for another ingest (default 10)", 0, 86400, NULL },
		{ "jobs", CLI_INT, &io->jobs, "N", "threads checking signatures (default: online "
		  "CPUs)", 1, 256, NULL },
		{ "json", CLI_FLAG, &a->json, NULL, "print a JSON summary for machines", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "ingest", ingest_synopsis, ingest_about, opts,
				     ingest_tail, 0 };
	int rc;

	memset(a, 0, sizeof(*a));
	io->busy_ms = 10000;
	a->settle_ms = 300 * 1000;
	if ((rc = cli_parse(&cmd, argc, argv, &a->argi, e)) != 0)
		return rc;
	if (io->db_path == NULL || a->store == NULL)
		return cli_usage(e, "ingest", "--db and --keys are required");
	if (a->inbox == NULL && a->argi == argc)
		return cli_usage(e, "ingest", "name EXPORT_DIRs or an --inbox");
	if (a->inbox != NULL && a->argi != argc)
		return cli_usage(e, "ingest", "give either EXPORT_DIRs or --inbox, not both");
	if (a->settle_set && a->inbox == NULL)
		return cli_usage(e, "ingest", "--settle applies to --inbox only");
	return 0;
}

/* Each export of dirs in turn, into g; counts[] by verdict. */
static int ingest_dirs(const struct ingest_args *a, rb_ingest *g, char **dirs, size_t ndirs,
		       struct progress_ctx *pc, cJSON *arr, uint64_t counts[3], struct rb_err *e)
{
	size_t i;

	for (i = 0; i < ndirs; i++) {
		struct rb_ingest_outcome *oc = NULL;
		char ep[PATH_MAX];
		struct stat st;

		pc->path = dirs[i];
		pc->total = snprintf(ep, sizeof(ep), "%s/entries.jsonl", dirs[i]) < (int)sizeof(ep) &&
			    stat(ep, &st) == 0 ? (uint64_t)st.st_size : 0;
		clock_gettime(CLOCK_MONOTONIC, &pc->start);
		if (rb_ingest_export(g, dirs[i], &oc, e) != 0)
			return -1;
		if (a->io.progress != NULL)
			fprintf(stderr, "\r\033[K");
		if ((a->archive != NULL || a->quarantine != NULL) &&
		    rb_ingest_file_away(oc, a->archive, a->quarantine, e) != 0) {
			rb_ingest_outcome_free(oc);
			return -1;
		}
		counts[oc->verdict]++;
		if (a->json)
			cJSON_AddItemToArray(arr, outcome_json(oc));
		else
			outcome_text(oc);
		rb_ingest_outcome_free(oc);
	}
	return 0;
}

int cmd_ingest(int argc, char **argv, struct rb_err *e)
{
	struct ingest_args a;
	struct rb_ingest_opts *io = &a.io;
	char **dirs = NULL;
	size_t ndirs = 0;
	rb_trust *t = NULL;
	rb_ingest *g = NULL;
	cJSON *doc = NULL, *arr = NULL;
	uint64_t counts[3] = { 0, 0, 0 };
	struct progress_ctx pc;
	int rc, untrusted = 0;

	if ((rc = ingest_args(argc, argv, &a, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	rc = -1;
	if (rb_trust_load(a.store, &t, e) != 0)
		return -1;
	if (a.json) {
		doc = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(doc, "exports");
	}
	if (a.inbox != NULL) {
		if (inbox_dirs(a.inbox, a.settle_ms / 1000, doc, &dirs, &ndirs, e) != 0)
			goto out;
	} else {
		ndirs = (size_t)(argc - a.argi);
		if ((dirs = strv_dup(argv + a.argi, ndirs)) == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	io->trust = t;
	if (cli_progress_wanted()) {
		io->progress = progress;
		io->progress_ctx = &pc;
	}
	if (rb_ingest_open(io, &g, e) != 0 ||
	    cli_recheck("ingest", io->db_path, t, a.store, io->jobs, io->busy_ms, doc, &untrusted,
			e) != 0 ||
	    ingest_dirs(&a, g, dirs, ndirs, &pc, arr, counts, e) != 0)
		goto out;
	summary(doc, counts, io->db_path);
	rc = counts[RB_REJECTED] || untrusted ? RB_EX_FAIL : RB_EX_OK;
out:
	if (g != NULL) {
		struct rb_err ce;

		if (rb_ingest_close(g, &ce) != 0 && rc >= 0) {
			*e = ce;
			rc = -1;
		}
	}
	cJSON_Delete(doc);
	rb_strv_free(dirs, ndirs);
	rb_trust_free(t);
	return rc;
}
