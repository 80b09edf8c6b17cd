/* cmd_run.c - rbaudit run: the scheduled job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "job/job.h"
#include "lib/ident.h"
#include "lib/rtime.h"

static const char run_synopsis[] =
	"usage: rbaudit run --config job.json [--period P] [--dry-run] [--log-format text|json]\n"
	"                   [--json]\n";

static const char run_about[] =
	"The scheduled job: ingest every export of the inbox (rejected ones go to the\n"
	"quarantine), analyse the period (default: the last complete month, in the\n"
	"job file's tz, UTC unless it says),\n"
	"render every template into the output folder with a signed MANIFEST, keep\n"
	"the newest report folders, and record the run in the database.  A second run\n"
	"with nothing new writes no report when the folder verifies and holds every\n"
	"template, but reports the period's figures and alerts and exits as a full\n"
	"run would.  One line per step on stderr; every run is recorded in job_run.\n"
	"The report key, the templates and the folders are checked before any export\n"
	"moves; an export still being written (no READY file, changed within\n"
	"settle_seconds) waits in the inbox for a later run.  --dry-run checks and\n"
	"verifies the same, creating nothing (no lock file, no inbox).  When the trust\n"
	"store is not the one the stored history was last checked against, every\n"
	"stored entry is verified again under it first, and the reports are written\n"
	"again: they list the entries that no longer verify.\n"
	"The run's summary names what alerts: each alerting rollback with its level\n"
	"and findings, each rejected export with its folder and error, late and stale\n"
	"data and trust alerts (--json prints it; it is recorded in job_run, and the\n"
	"job file's \"summary\" names a file for it).  When the run alerts or fails,\n"
	"the job file's notify_command (an argv list, run without a shell) gets it as\n"
	"JSON on its standard input; its failure is logged and never changes the exit\n"
	"status.  With openmetrics_textfile the period's OpenMetrics file replaces\n"
	"that file atomically; with \"ledgers\" one run covers several ledgers, each\n"
	"in its own report folder ({ledger} in output), and the summary totals them.\n"
	"Periods are counted in the job file's tz and fiscal_start (default UTC,\n"
	"January).\n";

static const char run_tail[] =
	"Exit status for schedulers:\n"
	"  0   success, nothing needs a human\n"
	"  1   success, but rollbacks at or above the alert threshold (alert_level,\n"
	"      alert_findings in the job file); stale data (the newest entry more\n"
	"      than stale_after_hours before the period's end, or now); late data\n"
	"      (entries of an earlier period with a report folder: re-rendered);\n"
	"      stored entries that no longer verify under the trust store as it is\n"
	"      (a key revoked after the fact, removed, its validity shortened):\n"
	"      touching the period, or found by this run's re-check; a stored\n"
	"      history that does not verify; or a database behind the newest signed\n"
	"      pack (deleted, or an older copy)\n"
	"  2   an export was rejected and quarantined: tampering suspected\n"
	"  64  usage error (the command line)\n"
	"  66  a file the job names is missing (trust store, report key, ...)\n"
	"  73  a folder of the job cannot be created or written (the\n"
	"      openmetrics_textfile's too)\n"
	"  75  temporary failure (another run holds the lock, database busy): retry\n"
	"  78  configuration error (job file, policy, trust store, template, report\n"
	"      key mode or role)\n"
	"  other codes as for every rbaudit command (see rbaudit(1))\n";

struct logctx {
	int json;
};

static void logline(void *vc, const char *step, const char *status, const char *detail)
{
	struct logctx *c = vc;
	struct rb_time now = rb_time_now();
	char ts[RB_TIME_MAX];

	rb_time_format(&now, ts);
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "time", ts);
		cJSON_AddStringToObject(o, "program", "rbaudit");
		cJSON_AddStringToObject(o, "step", step);
		cJSON_AddStringToObject(o, "status", status);
		cJSON_AddStringToObject(o, "detail", detail);
		s = cJSON_PrintUnformatted(o);
		if (s != NULL)
			fprintf(stderr, "%s\n", s);
		cJSON_free(s);
		cJSON_Delete(o);
	} else {
		fprintf(stderr, "%s rbaudit run: %-9s %-8s %s\n", ts, step, status, detail);
	}
}

/*
 * A JSON log stays JSON to its last line: the error is logged as a "fatal"
 * step and its exit code returned (main prints nothing more).  A text log
 * leaves the error to main: -1.
 */
static int fatal(struct logctx *lc, const struct rb_err *e)
{
	if (!lc->json)
		return -1;
	logline(lc, "fatal", "error", e->msg);
	return e->code ? e->code : RB_EX_SOFTWARE;
}

/* The run's outcome for a person: one line, and one more for a trust alert. */
static void print_text(const struct rb_job_result *res)
{
	printf("%s: period %s, %d %s accepted, %d rejected, %d %s, %d %s%s",
	       res->exit_code == 0 ? "ok" : res->exit_code == 1 ? "ATTENTION" :
	       "REJECTED EXPORT", res->period, res->accepted,
	       rb_plural(res->accepted, "export", "exports"), res->rejected, res->rollbacks,
	       rb_plural(res->rollbacks, "rollback", "rollbacks"), res->alerts,
	       rb_plural(res->alerts, "alert", "alerts"), res->nothing_to_do ? " (nothing new)" : "");
	if (res->stale)
		printf("; STALE DATA: the newest entry is %s, %.1f hours before the period's "
		       "end (or now)", res->newest, res->stale_hours);
	if (res->late)
		printf("; LATE DATA in %s (%d re-rendered)", res->late_periods, res->late_done);
	printf("; reports in %s\n", res->output);
	if (res->trust_alert)
		printf("ATTENTION: %lld stored %s under the trust store as it "
		       "is, %lld of them touching %s%s: see the auditor pack or 'rbaudit check'\n",
		       res->trust_failures, rb_plural(res->trust_failures, "entry does not verify",
						      "entries do not verify"),
		       res->trust_failures_period, res->period,
		       res->trust_rechecked ? " (found by this run's re-check)" : "");
}

int cmd_run(int argc, char **argv, struct rb_err *e)
{
	const char *config = NULL, *period = NULL, *fmt = NULL;
	struct rb_job *j = NULL;
	struct rb_job_result res = { 0 };
	struct logctx lc = { 0 };
	int dry = 0, json = 0, rc, argi;
	const struct cli_opt opts[] = {
		{ "config", CLI_STR, &config, "job.json", "the job file", 0, 0, NULL },
		{ "period", CLI_STR, &period, "P", "the period (default: the last complete "
		  "month, in the job file's tz)", 0, 0, NULL },
		{ "dry-run", CLI_FLAG, &dry, NULL, "check and verify, creating and moving nothing",
		  0, 0, NULL },
		{ "log-format", CLI_STR, &fmt, "text|json", "the log on stderr (default: the job "
		  "file's log_format)", 0, 0, NULL },
		{ "json", CLI_FLAG, &json, NULL, "print the run's summary as JSON instead of the "
		  "text lines (none for a dry run)", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "run", run_synopsis, run_about, opts, run_tail, 0 };

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	if (argi != argc) {
		rc = cli_usage(e, "run", "unexpected argument '%s'", argv[argi]);
		goto out;
	}
	if (config == NULL) {
		rc = cli_usage(e, "run", "--config job.json is required");
		goto out;
	}
	if (fmt != NULL && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
		rc = cli_usage(e, "run", "--log-format takes text or json");
		goto out;
	}
	lc.json = fmt != NULL && strcmp(fmt, "json") == 0;
	if (rb_job_load(config, j, e) != 0) {
		rc = fatal(&lc, e);
		goto out;
	}
	lc.json = fmt ? strcmp(fmt, "json") == 0 : j->log_json;
	j->templates_dir = getenv("RBAUDIT_TEMPLATES");
	j->font_dir = getenv("RBAUDIT_FONT_DIR");
	if (rb_job_run(j, period, (int64_t)time(NULL), dry, logline, &lc, &res, e) != 0) {
		if (json && res.summary != NULL)
			printf("%s\n", res.summary);
		rc = fatal(&lc, e);
		goto out;
	}
	if (json && res.summary != NULL)
		printf("%s\n", res.summary);
	else if (!dry)
		print_text(&res);
	rc = res.exit_code;
out:
	rb_job_result_clear(&res);
	free(j);
	return rc;
}
