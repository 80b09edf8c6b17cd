/*
 * query.h - the database queries behind rbaudit show, search and compare
 * (issue #22): one rollback's whole record, rollbacks found by what they
 * are and who touched them, and two stored analyses side by side.
 *
 * Everything here only reads: the database is the caller's, open (read-only
 * is enough), and stays open.  Every document returned (cJSON *) is the
 * caller's, to free with cJSON_Delete; every search hit is borrowed, valid
 * during the callback only.  Errors follow lib/err.h: -1 with *e filled.
 * SQL goes only through prepared statements; the indexes the search needs
 * are schema version 11's (docs/ARCHITECTURE.md).
 */
#ifndef RB_QUERY_H
#define RB_QUERY_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "lib/err.h"
#include "lib/period.h"

/* The most rollback ids an unknown id's error suggests. */
#define RB_QUERY_CLOSEST 3

/*
 * The whole record of rollback id in ledger lid (origin is its name, for
 * the document and the messages): {ledger, rollback_id, entries (its
 * timeline as report/record.c's rb_trail_read gives it: seq, time, event,
 * actor, export, file, line, data...), record ([label, text] pairs:
 * rb_record_of), analyses ([{analysis_id, period, as_of, created,
 * policy_sha256, score, level, flagged, facts}] in the order they were
 * stored: every stored analysis that holds it)}.  A ledger with no such
 * rollback is RB_EX_FAIL: "no rollback ID in ledger ORIGIN", followed by
 * the closest ids the ledger holds (rb_query_closest).
 */
int rb_query_show(sqlite3 *db, int64_t lid, const char *origin, const char *id, cJSON **out,
		  struct rb_err *e);

/*
 * The ids of ledger lid's rollbacks closest to id, into out (size n),
 * joined by ", ": the at most RB_QUERY_CLOSEST ids of least edit distance
 * (Levenshtein over bytes, ASCII letters compared without case), ties in
 * byte order of the ids; "" when the ledger holds no rollback.
 */
int rb_query_closest(sqlite3 *db, int64_t lid, const char *id, char *out, size_t n,
		     struct rb_err *e);

/* What rb_query_search looks for; NULL or 0 members are not filters. */
struct rb_search {
	int64_t ledger_id;
	const char *actor;      /* an actor of one of its entries: same person (metrics-v1 §8.1) */
	const char *service, *environment;      /* of its rollback.requested, exactly */
	const char *team, *finding, *level;     /* in its stored analysis (below), exactly */
	const char *text;       /* in its request's rationale, impact, security
				 * considerations or ticket, compared in normal form */
	int64_t since, until;   /* its request's time in [since, until), Unix seconds */
	int open;               /* only open work: status requested, executed or failed */
	int64_t now;            /* ages are counted to this time, Unix seconds */
};

/*
 * One rollback found.  Its analysis is the most recently stored one that
 * holds it (the largest analysis id of the ledger), or none (period NULL).
 * status is its state from its entries: "closed" (a rollback.closed),
 * else "executed" (an execution that is not a failed attempt), else
 * "failed" (failed attempts only: metrics-v1 §8.3), else "rejected", else
 * "requested"; since is the time of the entry that put it there, age the
 * seconds from it to now.
 */
struct rb_search_hit {
	const char *rollback_id, *requested, *requester, *service, *environment;
	int64_t seq;                    /* of its rollback.requested */
	const char *period;             /* of its analysis, or NULL */
	const char *team, *level;       /* NULL when unknown */
	double score;
	const cJSON *findings;          /* array of codes; empty without analysis */
	const char *status, *since;
	int64_t age;
	int open;                       /* status is requested, executed or failed */
};

typedef int (*rb_search_fn)(void *ctx, const struct rb_search_hit *h, struct rb_err *e);

/*
 * Call fn for each rollback of s->ledger_id that holds every filter of s,
 * in the order of its request (time, seq); a callback's -1 stops the search
 * and is returned.  The filters are ANDed.  A --actor spelt in no entry
 * finds nothing.
 */
int rb_query_search(sqlite3 *db, const struct rb_search *s, rb_search_fn fn, void *ctx,
		    struct rb_err *e);

/*
 * Two periods of ledger lid compared from their stored analyses (the newest
 * stored of each, any policy): {ledger, a, b ({period, analysis_id, as_of,
 * policy_sha256} each), same_policy, metrics ([{metric, a, b, change,
 * relative}]: every number of the analysis's metrics, named by its path:
 * "ttr.median", "by_team.payments", "finding_counts.unverified"; change is b
 * - a and relative change / a, null when either is null or a is 0),
 * new_rollbacks (ids of b's rollbacks that a does not hold), new_findings
 * ([{rollback_id, code}] of b's rollbacks that a does not hold for that
 * rollback), new_finding_codes (codes b counts and a counted none of)}.
 * A period with no stored analysis is RB_EX_NOINPUT naming it.
 */
int rb_query_compare(sqlite3 *db, int64_t lid, const char *origin, const struct rb_period *a,
		     const struct rb_period *b, cJSON **out, struct rb_err *e);

/*
 * One CSV cell (RFC 4180) of UTF-8 text s into f, by the rule of the CSV
 * reports (docs/REPORTS.md): quoted when it holds a comma, a quotation mark,
 * CR or LF, or is empty (quotation marks doubled); a text that starts with
 * = + - @ TAB CR or ' is given a leading apostrophe, so that no spreadsheet
 * reads it as a formula.  NULL is an empty cell.
 */
void rb_query_csv_cell(FILE *f, const char *s);

#endif
