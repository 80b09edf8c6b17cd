/*
 * import_src.h - what an import source shares with import.c (internal to
 * produce/): the mapping file as read, and the collector of events.
 *
 * A source calls rb_imp_event for each event it makes, with a key that
 * names the event for good (an event with the same key is the same event,
 * in this import and in any later one), and rb_imp_unmapped for each record
 * it cannot map.  The collector owns what it is given.
 */
#ifndef RB_IMPORT_SRC_H
#define RB_IMPORT_SRC_H

#include <cjson/cJSON.h>

#include "import.h"

#define RB_IMP_SERVICES 64
#define RB_IMP_MARKERS 16
#define RB_IMP_NAME 160

/* The mapping file (docs/IMPORT.md), with its defaults. */
struct rb_imp_map {
	char environment[RB_IMP_NAME];  /* default "production" */
	char service[RB_IMP_NAME];      /* default: the repository's folder name */
	char team[RB_IMP_NAME];         /* default "" (none) */
	char risk_tier[16];             /* default "medium" */
	struct {
		char prefix[RB_IMP_NAME];       /* a path in the repository */
		char service[RB_IMP_NAME];
		char team[RB_IMP_NAME];
	} services[RB_IMP_SERVICES];
	int nservices;
	char emergency[RB_IMP_MARKERS][RB_IMP_NAME];    /* markers in a message */
	int nemergency;
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

/* The git source (import_git.c). */
int rb_import_git(struct rb_imp *im, const struct rb_import_opts *o, struct rb_err *e);

#endif
