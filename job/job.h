/*
 * job.h - the scheduled job (rbaudit run): ingest the inbox, analyse the
 * period, render the templates, sign the manifest, record the run.
 *
 * job/ is not a stage: it sequences the stages through their public
 * headers, as the command line does, and owns no data of its own beyond the
 * job_run table.  A struct rb_job is plain data owned by the caller.
 */
#ifndef RB_JOB_H
#define RB_JOB_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/period.h"

/* The most sources a job imports from, and inputs (or incident files) per source. */
#define RB_JOB_MAX_LEDGERS 16           /* "ledgers" of an organisation-wide job */
#define RB_JOB_NOTIFY_ARGS 32           /* "notify_command": its argv's most elements */
#define RB_JOB_MAX_NAMED 500            /* alerting rollbacks the summary names */
#define RB_JOB_SOURCES 4
#define RB_JOB_SOURCE_FILES 4

/*
 * One source the job imports, seals and ingests before its analysis
 * (docs/IMPORT.md, "The monthly job"): the import's source, inputs, map and
 * state, and the producer key, ledger and seal state it is sealed with.
 */
struct rb_job_source {
	char source[16];                /* git, helm, argocd, gitlab, github, pagerduty */
	char inputs[RB_JOB_SOURCE_FILES][PATH_MAX];
	int ninputs;
	char incidents[RB_JOB_SOURCE_FILES][PATH_MAX];  /* PagerDuty, linked */
	int nincidents;
	char ref[256], name[256];       /* git's --ref; helm, gitlab, github's --name */
	char map[PATH_MAX];             /* "" the defaults */
	char state[PATH_MAX];           /* the import's state */
	char key[PATH_MAX];             /* the producer's private key */
	char key_name[160];             /* "" the key file's name */
	char ledger[512];
	char seal_state[PATH_MAX];      /* the ledger's state */
};

struct rb_job {
	char database[PATH_MAX], trust_store[PATH_MAX], policy[PATH_MAX];
	char inbox[PATH_MAX], archive[PATH_MAX], quarantine[PATH_MAX];
	char output[PATH_MAX];          /* with {period} */
	char templates[16][PATH_MAX];
	int ntemplates;
	char report_key[PATH_MAX], report_key_name[160], ledger[512];
	int retention;                  /* report folders to keep; 0: all */
	int alert_level;                /* 0 low .. 3 critical; 4: none */
	unsigned alert_findings;        /* bit i: finding code i alerts */
	int trend, sample;
	uint64_t sample_seed;
	int busy_ms;
	int settle_s;                   /* an export without READY: unchanged this long */
	int stale_after_h;              /* alert when the newest entry is older, hours */
	int log_json;
	struct rb_job_source sources[RB_JOB_SOURCES];
	int nsources;
	struct rb_period_cal cal;       /* "tz" and "fiscal_start": how periods are counted */
	/*
	 * "ledgers": the origins of an organisation-wide job (0: the one of
	 * "ledger", or the database's only one).  Each gets its own report
	 * folder (output and openmetrics_textfile hold {ledger}, replaced by
	 * rb_job_ledger_name) and the run's summary holds them all.
	 */
	char ledgers[RB_JOB_MAX_LEDGERS][512];
	int nledgers;
	char notify[RB_JOB_NOTIFY_ARGS][1024];  /* "notify_command": argv, no shell */
	int nnotify;                    /* 0: none */
	int notify_timeout_s;           /* "notify_timeout": killed after (default 60) */
	char textfile[PATH_MAX];        /* "openmetrics_textfile" ("" none): {ledger} allowed */
	char summary[PATH_MAX];         /* "summary": the run's summary, with {period} ("" none) */
	/* Not of the job file: the caller's (rbaudit run maps its environment). */
	const char *templates_dir;      /* looked in first for a template by name */
	const char *font_dir;           /* the PDF fonts; NULL: the built-in folder */
};

/*
 * Load and check a job file.  Relative paths are relative to its folder.
 * Errors are RB_EX_CONFIG and name the member (and line).  The file is also
 * checked as a whole: inbox, archive and quarantine must be three folders,
 * none inside another, and output must hold {period} once, as a whole path
 * part, with no report folder inside any of the three (paths compared after
 * collapsing `.`, `..` and `//` and resolving the part that exists, so that
 * symbolic links count); such errors name both members.
 */
int rb_job_load(const char *path, struct rb_job *j, struct rb_err *e);

/* One log line: step, status ("ok", "noop", "rejected", ...), detail. */
typedef void (*rb_job_log_fn)(void *ctx, const char *step, const char *status,
			      const char *detail);

struct rb_job_result {
	int exit_code;                  /* enum rb_exit: 0, 1, 2 */
	int accepted, noop, rejected;
	long long imported;             /* events the job's sources sealed into the inbox */
	int rollbacks, alerts;          /* alerts: rollbacks that alert, for either cause */
	int alert_level_rollbacks;      /* at or above alert_level */
	int alert_finding_rollbacks;    /* with a finding of alert_findings */
	int nothing_to_do;              /* a second run: nothing changed */
	int stale;                      /* the newest entry is more than stale_after_h
					 * older than the period's end (or now) */
	double stale_hours;             /* by how many hours it is older */
	char newest[32];                /* the newest entry's time ("" unknown) */
	int late;                       /* earlier periods with late data (alerts) */
	int late_done;                  /* of them, re-rendered in this run */
	char late_periods[512];         /* their names, ", " between */
	char period[48];
	char output[PATH_MAX];
	/* The stored history against the job's trust store (ingest/recheck.h). */
	int trust_rechecked;            /* the trust store changed: all re-checked */
	long long trust_failures;       /* stored entries that do not verify under it */
	long long trust_failures_period;        /* of them, touching the period */
	int trust_alert;                /* touching the period, or newly found */
	/*
	 * The run's summary (docs/REPORTS.md, "The run's summary"): what alerts
	 * and why, by name, as compact JSON text; malloc'd, freed by
	 * rb_job_result_clear.  NULL for a dry run, or a run that stopped
	 * before it held the lock.
	 */
	char *summary;
	int notified;                   /* notify_command: 1 ran and exited 0, -1 failed,
					 * 0 not run */
};

/* Free what *res owns (its summary); NULL is a no-op. */
void rb_job_result_clear(struct rb_job_result *res);

/*
 * The file-name form of a ledger's origin, for {ledger}: every byte but
 * A-Z a-z 0-9 . _ - becomes '_', and a leading '.' too
 * ("acme.example/rollback-ledger" is "acme.example_rollback-ledger").  out
 * holds n bytes; the name is cut to fit.
 */
void rb_job_ledger_name(const char *origin, char *out, size_t n);

/*
 * Run the job for period (NULL: the last complete month before now).  First
 * each source imports what is new, sealed into an export in the inbox
 * (job/sources.h).  Before
 * any export moves, the report key and templates (rb_report_preflight) and
 * the folders are checked.  The inbox's exports are taken when whole (a
 * READY file, or settle_s seconds without change before now); the others
 * are left there and logged as "waiting".  Retention keeps the newest
 * report folders by the period they cover, and the one just written; it
 * removes only folders rbaudit wrote (rb_report_owned).  With dry_run,
 * check and verify only, creating nothing (no lock file, no inbox), and say
 * what would be done.
 *
 * Late and missing data alert (exit 1 unless an export was rejected): the
 * period is stale when the ledger's newest entry is more than stale_after_h
 * hours older than the period's end, or than now for a period not over;
 * an earlier period whose report folder exists and whose entries gained
 * members since its last stored analysis (late data) is re-rendered, at
 * most RB_JOB_MAX_LATE of them, the newest first; each named in *res.
 * Each rejected export is recorded in rejected_export, each archived one's
 * ingest_export.archived_path set, with the run's job_run row, before the
 * analysis (that row is then completed at the end).  Returns 0 with *res
 * filled (its exit_code tells the scheduler what happened), or -1 with *e:
 * RB_EX_TEMPFAIL when another run holds the lock or the database is busy.
 *
 * With "ledgers", the inbox is ingested once and each ledger then has its
 * own pass (reports, stale and late data, retention, textfile) into its
 * own folder; res sums them and res->summary lists each.  After the
 * reports, the period's OpenMetrics file is copied to openmetrics_textfile
 * (job/notify.h).  Every run that held the lock ends with res->summary
 * made (failed runs too), written to "summary", recorded as its "summary"
 * step and, when the exit code is neither 0 nor RB_EX_TEMPFAIL, given to
 * notify_command; what notify does never changes the exit code.  The
 * caller frees res with rb_job_result_clear, whatever this returns.
 */
#define RB_JOB_MAX_LATE 12

int rb_job_run(const struct rb_job *j, const char *period, int64_t now, int dry_run,
	       rb_job_log_fn log, void *log_ctx, struct rb_job_result *res,
	       struct rb_err *e);

#endif
