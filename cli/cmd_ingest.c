/* cmd_ingest.c - rbaudit ingest: verified exports into the database. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "ingest/ingest.h"
#include "lib/trust.h"

static const char ingest_usage[] =
	"usage: rbaudit ingest --db FILE --keys KEYS.json [--json] [--jobs N]\n"
	"                      [--archive DIR] [--quarantine DIR] [--bootstrap]\n"
	"                      [--busy-timeout SECONDS] EXPORT_DIR...\n"
	"       rbaudit ingest --db FILE --keys KEYS.json --inbox DIR [--settle SECONDS]\n"
	"                      [options]\n"
	"\n"
	"Verify ledger exports completely and store their new entries, each export\n"
	"in one transaction.  An export that fails verification or contradicts the\n"
	"history already stored (E_FORK, E_GAP) is rejected whole and changes\n"
	"nothing; one whose entries are all stored already is a no-op.  First, when\n"
	"the trust store is not the one the stored history was last checked against\n"
	"(its SHA-256 is stored), every stored entry is verified again under it and\n"
	"those that no longer verify (a key revoked after the fact, removed, its\n"
	"validity shortened) are recorded for analyze, report and run.\n"
	"\n"
	"  --db FILE             the database (created, mode 0640, when missing)\n"
	"  --keys KEYS.json      the trust store\n"
	"  --inbox DIR           ingest every export directory in DIR, ordered by\n"
	"                        ledger and first_seq; an export still being written\n"
	"                        is left there and listed as waiting\n"
	"  --settle SECONDS      with --inbox: an export without a READY file is whole\n"
	"                        once nothing in it changed for this long (default\n"
	"                        300, 0..86400; 0 takes every export)\n"
	"  --archive DIR         move accepted and no-op exports here\n"
	"  --quarantine DIR      move rejected exports here, with REJECTED.json\n"
	"  --bootstrap           a ledger's first export may start after seq 0:\n"
	"                        trust its signed previous_checkpoint as the start\n"
	"  --busy-timeout SECS   wait this long for another ingest (default 10)\n"
	"  --jobs N              threads checking signatures (default: online CPUs)\n"
	"  --json                print a JSON summary for machines\n"
	"\n"
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
		printf("  ... and %" PRIu64 " more errors\n",
		       rb_vreport_errors_total(r) - rb_vreport_nerrors(r));
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
	cJSON *o = cJSON_CreateObject();
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
	cJSON_AddItemToObject(o, "errors", rb_vreport_findings_json(r, 0));
	cJSON_AddItemToObject(o, "warnings", rb_vreport_findings_json(r, 1));
	if (oc->moved_to)
		cJSON_AddStringToObject(o, "moved_to", oc->moved_to);
	return o;
}

static void outcome_text(const struct rb_ingest_outcome *oc)
{
	const rb_vreport *r = oc->report;

	switch (oc->verdict) {
	case RB_ACCEPTED:
		printf("accepted %s: %s seq %" PRId64 "..%" PRId64 ", %" PRIu64
		       " new entries from seq %" PRId64 "%s\n", oc->path,
		       rb_vreport_ledger(r), rb_vreport_first_seq(r), rb_vreport_last_seq(r),
		       oc->new_entries, oc->new_first_seq,
		       oc->bootstrap ? " (bootstrapped from its previous checkpoint)" : "");
		break;
	case RB_NOOP:
		printf("no-op    %s: %s seq %" PRId64 "..%" PRId64 ": nothing new, every entry "
		       "is stored already (or precedes a bootstrapped start) and identical\n",
		       oc->path, rb_vreport_ledger(r), rb_vreport_first_seq(r),
		       rb_vreport_last_seq(r));
		break;
	default:
		printf("REJECTED %s: %" PRIu64 " errors; nothing stored\n", oc->path,
		       rb_vreport_errors_total(r));
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

int cmd_ingest(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "archive", required_argument, NULL, 'a' },
		{ "quarantine", required_argument, NULL, 'q' },
		{ "inbox", required_argument, NULL, 'i' },
		{ "bootstrap", no_argument, NULL, 'b' },
		{ "busy-timeout", required_argument, NULL, 't' },
		{ "settle", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rb_ingest_opts io = { 0 };
	const char *dbpath = NULL, *store = NULL, *archive = NULL, *quarantine = NULL;
	const char *inbox = NULL;
	char **dirs = NULL;
	size_t ndirs = 0, i;
	rb_trust *t = NULL;
	rb_ingest *g = NULL;
	cJSON *doc = NULL, *arr = NULL;
	uint64_t counts[3] = { 0, 0, 0 };
	struct progress_ctx pc;
	int c, json = 0, rc = -1, untrusted = 0;
	long secs, settle = 300, settle_set = 0;

	io.busy_ms = 10000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dbpath = optarg; break;
		case 'k': store = optarg; break;
		case 'j': json = 1; break;
		case 'J':
			if (cli_jobs(optarg, &io.jobs, e) != 0)
				return -1;
			break;
		case 'a': archive = optarg; break;
		case 'q': quarantine = optarg; break;
		case 'i': inbox = optarg; break;
		case 'b': io.bootstrap = 1; break;
		case 't':
			if (cli_seconds("ingest", "--busy-timeout", optarg, &secs, e) != 0)
				return -1;
			io.busy_ms = (int)secs * 1000;
			break;
		case 's':
			if (cli_seconds("ingest", "--settle", optarg, &settle, e) != 0)
				return -1;
			settle_set = 1;
			break;
		case 'h': fputs(ingest_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "ingest", opts, argc, argv);
		}
	}
	if (dbpath == NULL || store == NULL)
		return cli_usage(e, "ingest", "--db and --keys are required");
	if (inbox == NULL && optind == argc)
		return cli_usage(e, "ingest", "name EXPORT_DIRs or an --inbox");
	if (inbox != NULL && optind != argc)
		return cli_usage(e, "ingest", "give either EXPORT_DIRs or --inbox, not both");
	if (settle_set && inbox == NULL)
		return cli_usage(e, "ingest", "--settle applies to --inbox only");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	if (json) {
		doc = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(doc, "exports");
	}
	if (inbox != NULL) {
		if (inbox_dirs(inbox, (int)settle, doc, &dirs, &ndirs, e) != 0)
			goto out;
	} else {
		ndirs = (size_t)(argc - optind);
		if ((dirs = strv_dup(argv + optind, ndirs)) == NULL) {
			RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	io.db_path = dbpath;
	io.trust = t;
	if (cli_progress_wanted()) {
		io.progress = progress;
		io.progress_ctx = &pc;
	}
	if (rb_ingest_open(&io, &g, e) != 0 ||
	    cli_recheck("ingest", dbpath, t, store, io.jobs, io.busy_ms, doc, &untrusted, e) != 0)
		goto out;
	for (i = 0; i < ndirs; i++) {
		struct rb_ingest_outcome *oc = NULL;
		char ep[PATH_MAX];
		struct stat st;

		pc.path = dirs[i];
		pc.total = snprintf(ep, sizeof(ep), "%s/entries.jsonl", dirs[i]) < (int)sizeof(ep) &&
			   stat(ep, &st) == 0 ? (uint64_t)st.st_size : 0;
		clock_gettime(CLOCK_MONOTONIC, &pc.start);
		if (rb_ingest_export(g, dirs[i], &oc, e) != 0)
			goto out;
		if (io.progress != NULL)
			fprintf(stderr, "\r\033[K");
		if ((archive != NULL || quarantine != NULL) &&
		    rb_ingest_file_away(oc, archive, quarantine, e) != 0) {
			rb_ingest_outcome_free(oc);
			goto out;
		}
		counts[oc->verdict]++;
		if (json)
			cJSON_AddItemToArray(arr, outcome_json(oc));
		else
			outcome_text(oc);
		rb_ingest_outcome_free(oc);
	}
	summary(doc, counts, dbpath);
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
