/*
 * import_src.h - what an import source shares with import.c and
 * import_dep.c (internal to produce/): the mapping file as read, the
 * collector of events, the readers every JSON source needs, and the
 * deployment timeline that Helm, Argo CD, GitLab and GitHub are read into.
 *
 * A source calls rb_imp_event for each event it makes, with a key that
 * names the event for good (an event with the same key is the same event,
 * in this import and in any later one), and rb_imp_unmapped for each record
 * it cannot map.  The collector owns what it is given.
 */
#ifndef RB_IMPORT_SRC_H
#define RB_IMPORT_SRC_H

#include <regex.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "import.h"
#include "lib/rtime.h"

#define RB_IMP_SERVICES 64
#define RB_IMP_MARKERS 16
#define RB_IMP_NAME 160
#define RB_IMP_ENVS 32

/* The mapping file (docs/IMPORT.md), with its defaults. */
struct rb_imp_map {
	char environment[RB_IMP_NAME];  /* default "production" */
	char service[RB_IMP_NAME];      /* default: the repository's, release's... name */
	char team[RB_IMP_NAME];         /* default "" (none) */
	char risk_tier[16];             /* default "medium" */
	struct {
		char prefix[RB_IMP_NAME];       /* git: a path in the repository ("" none) */
		char name[RB_IMP_NAME];         /* others: a release, application, project,
						   repository or PagerDuty service ("" none) */
		char service[RB_IMP_NAME];
		char team[RB_IMP_NAME];
		char environment[RB_IMP_NAME];  /* "" the default */
	} services[RB_IMP_SERVICES];
	int nservices;
	char emergency[RB_IMP_MARKERS][RB_IMP_NAME];    /* markers in a message */
	int nemergency;
	char bots[RB_IMP_MARKERS][RB_IMP_NAME];         /* the automation's identities */
	int nbots;
	regex_t tickets[RB_IMP_MARKERS];                /* ticket patterns, compiled */
	int ntickets;
	struct {
		char from[RB_IMP_NAME], to[RB_IMP_NAME];
	} envs[RB_IMP_ENVS];                            /* environment names renamed */
	int nenvs;
	int64_t window;                 /* incident-to-change window, seconds (24 h) */
	char actor[RB_IMP_NAME];        /* who a record without a user is by ("" source) */
};

struct rb_imp {
	const struct rb_imp_map *map;
	struct rb_import_result *res;
	cJSON *events;          /* [{"key", "event": {time, event, actor, data}}] */
	int failed;             /* out of memory */
};

/* Add an event; data is taken (freed on failure too). */
void rb_imp_event(struct rb_imp *im, const char *key, const char *time, const char *event,
		  const char *actor, cJSON *data);

/* Count a record that could not be mapped, by reason. */
void rb_imp_unmapped(struct rb_imp *im, const char *reason);

/* ---- what the sources share (import.c) ---- */

/*
 * An RFC 3339 time with any offset (Go's, GitLab's, PagerDuty's) as the
 * ledger's UTC form into out; -1 when s is not such a time.  Go's zero time
 * (year 1) is refused too.
 */
int rb_imp_time(const char *s, char out[RB_TIME_MAX]);

/* The target a file holds: --name, else the file's name without ".json". */
void rb_imp_target_of(const struct rb_import_opts *o, const char *path, char *out, size_t n);

/* The map's service entry for a name (exact), or -1. */
int rb_imp_named(const struct rb_imp_map *m, const char *name);

/* The environment as the map renames it (borrowed). */
const char *rb_imp_env(const struct rb_imp_map *m, const char *env);

/* Is the actor one of the map's bots? */
int rb_imp_is_bot(const struct rb_imp_map *m, const char *actor);

/* Does text hold one of the map's emergency markers? */
int rb_imp_emergency(const struct rb_imp_map *m, const char *text);

/* The first ticket the map's patterns find in text, into out ("" none). */
void rb_imp_ticket(const struct rb_imp_map *m, const char *text, char *out, size_t n);

/*
 * Read a file of one or more JSON documents one after the other (pages of
 * an API concatenated, as curl writes them) into *docs, an array of the
 * documents.  A file that is not such is refused naming the file and the
 * line where the text stops being JSON (RB_EX_DATAERR).
 */
int rb_imp_read_docs(const char *path, cJSON **docs, struct rb_err *e);

/* ---- the deployment timeline (import_dep.c) ---- */

/* NOT_RUN: asked for, never run (blocked, canceled): a rollback's request only. */
enum rb_dep_status { RB_DEP_OK, RB_DEP_FAILED, RB_DEP_NOT_RUN };
enum rb_dep_kind { RB_DEP_RULE, RB_DEP_CHANGE, RB_DEP_ROLLBACK };

struct rb_dep_approval {
	char actor[RB_IMP_NAME];
	char time[RB_TIME_MAX];
	int rejected;
	char *comment;                  /* owned; NULL none */
};

/*
 * One deployment of a target (a release, application, project or
 * repository) to an environment, as a source read it.  Strings are owned
 * by the timeline once added.
 */
struct rb_dep {
	char id[64];                    /* the source's id: revision, history id... */
	char rev[RB_IMP_NAME];          /* what it deployed: a sha, a chart */
	char label[RB_IMP_NAME];        /* shown: "billing-1.2.0 (app 1.2.0)"; "" rev */
	char actor[RB_IMP_NAME];
	char time[RB_TIME_MAX];         /* when it was done */
	char started[RB_TIME_MAX];      /* when it was asked for; "" time */
	enum rb_dep_status status;
	char fails[4][RB_TIME_MAX];     /* failed attempts before it succeeded (GitHub) */
	int nfails;
	enum rb_dep_kind kind;          /* RULE: the rule of docs/IMPORT.md decides */
	char to_id[64];                 /* ROLLBACK: the id it went back to; "" unknown */
	int automated;
	char *text;                     /* text to find tickets and markers in; owned */
	char *reason;                   /* a person's words on why: a rollback's rationale;
					   owned; NULL none */
	struct rb_dep_approval *approvals;      /* owned */
	int napprovals;
};

/*
 * A source's deployments of one target to one environment, in the order
 * they happened (rb_dep_add takes each), made into events by rb_dep_events:
 * every deployment that is not a rollback is change.deployed; a rollback
 * (docs/IMPORT.md) is requested, approved or rejected, executed (a failed
 * one is a failed attempt, and the next attempt back to the same place is
 * the same rollback) and closed when the change it undid is deployed again.
 */
struct rb_dep_line;

struct rb_dep_line *rb_dep_line_new(const char *source, const char *target, const char *env);
int rb_dep_add(struct rb_dep_line *l, struct rb_dep *d);        /* takes d's pointers */
void rb_dep_events(struct rb_imp *im, struct rb_dep_line *l);
void rb_dep_line_free(struct rb_dep_line *l);
/* Free what a deployment owns (one not added to a line). */
void rb_dep_drop(struct rb_dep *d);

/*
 * PagerDuty incidents (pages of GET /incidents, in the files named) linked
 * to the deployments in against (the collector's events, or events read
 * from files, in the collector's form): each incident is incident.detected,
 * linked to the latest change.deployed of its service and environment
 * within the map's window before it; a rollback of that change requested at
 * or after the incident names it (its incident_id, set in against).  An
 * incident that links to no deployment is counted as not mapped.
 */
int rb_imp_incidents(struct rb_imp *im, cJSON *against, const char *const *paths, size_t n,
		     struct rb_err *e);

/* ---- the sources ---- */

int rb_import_git(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e);
int rb_import_helm(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e);
int rb_import_argocd(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e);
int rb_import_gitlab(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e);
int rb_import_github(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e);
int rb_import_pagerduty(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e);

#endif
