/* recheck.c - the stored history against today's trust store, for ingest and analyze. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "ingest/recheck.h"
#include "lib/ident.h"

/* Failure lines printed in text; --json holds up to RB_RECHECK_KEPT. */
#define SHOWN 20

static void progress(void *ctx, uint64_t entries, uint64_t bytes)
{
	(void)bytes;
	fprintf(stderr, "\r\033[K%s: trust store changed: re-checking the stored history: "
		"%" PRIu64 " entries", (const char *)ctx, entries);
}

static void print_text(const char *cmd, const struct rb_recheck_result *r, const char *store)
{
	const cJSON *x;
	int n = 0;

	if (!r->rechecked) {
		if (r->failures > 0)
			printf("%s: %" PRIu64 " stored entries do not verify under %s (checked %s; "
			       "see 'rbaudit check')\n", cmd, r->failures, store, r->checked);
		return;
	}
	printf("%s: the trust store %s (sha256 %.16s...) is not the one the stored history "
	       "was last checked against (%s): %" PRIu64 " entries re-checked, %" PRIu64
	       " do not verify under it (before: %" PRIu64 ")\n", cmd, store, r->sha256,
	       r->previous[0] ? r->previous : "none", r->entries, r->failures,
	       r->previous_failures);
	cJSON_ArrayForEach(x, r->failures_json) {
		if (n++ == SHOWN) {
			printf("  ... and more: see 'rbaudit check'\n");
			break;
		}
		printf("  %s ledger %s seq %.0f (%s): %s\n",
		       cJSON_GetObjectItemCaseSensitive(x, "code")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(x, "ledger")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(x, "seq")->valuedouble,
		       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(x, "time")) ?
		       cJSON_GetObjectItemCaseSensitive(x, "time")->valuestring : "?",
		       cJSON_GetObjectItemCaseSensitive(x, "message")->valuestring);
	}
	if (r->other_errors > 0)
		printf("  %" PRIu64 " other %s (not about keys or signatures): run "
		       "'rbaudit check'\n", r->other_errors,
		       rb_plural((long long)r->other_errors, "error", "errors"));
}

static void add_json(cJSON *doc, struct rb_recheck_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(doc, "trust");

	cJSON_AddStringToObject(o, "sha256", r->sha256);
	if (r->previous[0])
		cJSON_AddStringToObject(o, "previous_sha256", r->previous);
	else
		cJSON_AddNullToObject(o, "previous_sha256");
	cJSON_AddBoolToObject(o, "rechecked", r->rechecked);
	cJSON_AddStringToObject(o, "checked", r->checked);
	cJSON_AddNumberToObject(o, "entries", (double)r->entries);
	cJSON_AddNumberToObject(o, "failures", (double)r->failures);
	cJSON_AddNumberToObject(o, "previous_failures", (double)r->previous_failures);
	cJSON_AddNumberToObject(o, "other_errors", (double)r->other_errors);
	cJSON_AddItemToObject(o, "failed", r->failures_json);
	r->failures_json = NULL;
}

int cli_recheck(const char *cmd, const char *db, const rb_trust *t, const char *store,
		int jobs, int busy_ms, cJSON *doc, int *found, struct rb_err *e)
{
	struct rb_recheck_opts o;
	struct rb_recheck_result r;

	memset(&o, 0, sizeof(o));
	o.db_path = db;
	o.trust = t;
	o.trust_path = store;
	o.jobs = jobs;
	o.busy_ms = busy_ms;
	if (cli_progress_wanted()) {
		o.progress = progress;
		o.progress_ctx = (void *)cmd;
	}
	*found = 0;
	if (rb_recheck_run(&o, &r, e) != 0)
		return -1;
	if (o.progress != NULL && r.rechecked)
		fprintf(stderr, "\r\033[K");
	*found = r.rechecked && r.failures > 0;
	if (doc != NULL)
		add_json(doc, &r);
	else
		print_text(cmd, &r, store);
	rb_recheck_clear(&r);
	return 0;
}
