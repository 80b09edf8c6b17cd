/*
 * verify.h - the ledger-export-v1 verifier.
 *
 * rb_verify_export checks one export directory against a trust store: the
 * manifest, every entry's envelope, payload, signatures, sequence and hash
 * chain, the Merkle root, the checkpoint and the previous checkpoint
 * (spec §§2-7, all but E_FORK and E_GAP, which need stored history).  It
 * streams entries.jsonl in batches: memory does not grow with the export.
 * Signatures are checked on o->jobs threads; results stay in seq order.
 *
 * A failed verification is a result, not an error: the function returns 0
 * and the report lists findings.  It returns -1 only when it could not do
 * its work (out of memory, or the entry callback failed).  The report is
 * the caller's: free it with rb_vreport_free (NULL accepted).
 */
#ifndef RB_VERIFY_H
#define RB_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "lib/err.h"
#include "lib/merkle.h"
#include "lib/note.h"
#include "lib/rtime.h"
#include "lib/trust.h"

/* Longest entry line accepted (bytes, without the line end). */
#define RB_ENTRY_MAX_LINE (1u << 20)

/* One finding: an error (E_...) or a warning (W_...). */
struct rb_finding {
	char code[24];
	int64_t seq;            /* -1 when none applies */
	long long line;         /* line of entries.jsonl, -1 when none applies */
	char msg[256];
};

/* An entry as the callback sees it; every pointer is valid only during the call. */
struct rb_ventry {
	int64_t seq;
	long long line;
	const uint8_t *line_sha256;     /* SHA-256 of the line (no line end) */
	const char *signatures;         /* the envelope's signatures, compact JSON */
	const uint8_t *payload;         /* the exact signed bytes */
	size_t payload_len;
	const uint8_t *leaf;            /* 32-byte leaf hash */
	const cJSON *body;              /* the parsed payload */
	const char *time, *event, *actor;
	struct rb_time t;
	const char *signer;             /* key whose entry signature is valid */
	const char *countersigner;      /* approver key of the actor, or NULL */
	int stored;                     /* 1: already stored with this leaf hash,
					   2: stored with another leaf hash */
};

typedef struct rb_vreport rb_vreport;

/*
 * Called for each entry in seq order while the export has no error so far.
 * It may add findings to r (rb_vreport_add_error), after which it is not
 * called again.  Returning -1 (with *e filled) stops verification.
 */
typedef int (*rb_ventry_fn)(void *ctx, rb_vreport *r, const struct rb_ventry *v,
			    struct rb_err *e);

/* What the caller has stored for a seq (rb_vknown_fn). */
struct rb_vknown {
	uint8_t leaf[32];               /* its leaf hash */
	uint8_t line_sha256[32];        /* SHA-256 of the line it was stored from */
	uint8_t prev[32];               /* the leaf hash of seq - 1 ... */
	int have_prev;                  /* ... when that is stored (or seq is 0) */
	char time[RB_TIME_MAX];         /* its time, as signed */
};

/*
 * Asked, on the reading thread, whether seq is already stored: returns 1
 * and fills k, or 0.  A line byte for byte the one verified when seq was
 * stored (same SHA-256) is taken from k: it is not parsed, decoded or
 * signature-checked again; its seq, chain, time and leaf still go through
 * the in-order checks and the tree.  Any other line is checked in full.
 */
typedef int (*rb_vknown_fn)(void *ctx, int64_t seq, struct rb_vknown *k);

/* Called after each batch of entries with the counts so far. */
typedef void (*rb_vprogress_fn)(void *ctx, uint64_t entries, uint64_t bytes);

/*
 * Called in seq order for every error found in one entry on its own (its
 * envelope, payload, signatures and keys: not seq, chain or tree), all of
 * them, not only the ones the report keeps; before on_entry for it.
 */
typedef void (*rb_vfinding_fn)(void *ctx, const struct rb_finding *f);

struct rb_verify_opts {
	int jobs;                       /* threads; <= 0: one per online CPU */
	rb_ventry_fn on_entry;          /* may be NULL */
	void *ctx;
	rb_vprogress_fn progress;       /* may be NULL */
	void *progress_ctx;
	rb_vknown_fn known;             /* may be NULL */
	void *known_ctx;
	int full;                       /* check identical known lines in full too */
	int every;                      /* on_entry for every entry, errors or not
					   (its members may then be NULL) */
	rb_vfinding_fn on_error;        /* may be NULL */
	void *error_ctx;
};

int rb_verify_export(const char *dir, const rb_trust *t,
		     const struct rb_verify_opts *o, rb_vreport **out,
		     struct rb_err *e);
void rb_vreport_free(rb_vreport *r);

/*
 * Lines from elsewhere than a file (rbaudit check: envelopes rebuilt from
 * stored rows).  next returns RB_LINES_OK with *line and *len set (valid
 * until the next call), RB_LINES_EOF, or -1 with *e filled.
 */
struct rb_vsource {
	int (*next)(void *ctx, const char **line, size_t *len, struct rb_err *e);
	void *ctx;
};

/* A run of stored entries of one ledger, from first_seq on. */
struct rb_vrows {
	const char *name;               /* what the report calls them */
	const char *ledger;             /* the origin every payload must name */
	int64_t first_seq;
	struct rb_merkle before;        /* the tree of the first_seq entries before */
	const uint8_t *first_prev;      /* leaf of first_seq - 1 when known, or NULL */
	struct rb_vsource source;
};

/*
 * Verify lines from rows->source exactly as rb_verify_export verifies an
 * export's entries (§§2-4, 6: envelope, payload, signatures under the trust
 * store at each entry's time, seq, chain, time, tree), without a manifest or
 * checkpoint; the report's "after" tree is the whole run's.  Returns as
 * rb_verify_export does.  Entries carry no line number (-1).
 */
int rb_verify_rows(const struct rb_vrows *rows, const rb_trust *trust,
		   const struct rb_verify_opts *o, rb_vreport **out, struct rb_err *e);

const char *rb_vreport_path(const rb_vreport *r);
const char *rb_vreport_ledger(const rb_vreport *r);     /* NULL if unknown */
int64_t rb_vreport_first_seq(const rb_vreport *r);      /* -1 if unknown */
int64_t rb_vreport_last_seq(const rb_vreport *r);       /* -1 if unknown */
uint64_t rb_vreport_entries(const rb_vreport *r);       /* lines read */
int rb_vreport_valid(const rb_vreport *r);              /* no E_ code */

/* Findings kept (the first 1000 of each kind) and how many there were. */
size_t rb_vreport_nerrors(const rb_vreport *r);
const struct rb_finding *rb_vreport_error(const rb_vreport *r, size_t i);
uint64_t rb_vreport_errors_total(const rb_vreport *r);
size_t rb_vreport_nwarnings(const rb_vreport *r);
const struct rb_finding *rb_vreport_warning(const rb_vreport *r, size_t i);
uint64_t rb_vreport_warnings_total(const rb_vreport *r);
/* Add an error found by the caller (ingest: E_FORK, E_GAP). */
void rb_vreport_add_error(rb_vreport *r, const char *code, int64_t seq,
			  long long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Add a warning found by the caller (ingest: W_TIME_BACKWARDS across exports). */
void rb_vreport_add_warning(rb_vreport *r, const char *code, int64_t seq,
			    long long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * The kept errors (warnings when warnings is set) as a JSON array of
 * {code, seq, line, message}, seq and line null when none applies.  The
 * caller cJSON_Deletes it.
 */
cJSON *rb_vreport_findings_json(const rb_vreport *r, int warnings);

/* 1 when some finding has this code. */
int rb_vreport_has(const rb_vreport *r, const char *code);

/* The tree before the export (from the frontier) and after it. */
const struct rb_merkle *rb_vreport_before(const rb_vreport *r);
const struct rb_merkle *rb_vreport_after(const rb_vreport *r);
/* Leaf hash of the last entry (32 bytes), NULL when there is none. */
const uint8_t *rb_vreport_last_leaf(const rb_vreport *r);
/* prev of the first entry (32 bytes), NULL when unknown. */
const uint8_t *rb_vreport_first_prev(const rb_vreport *r);
/* The manifest's previous_checkpoint text, NULL when none. */
const char *rb_vreport_previous_checkpoint(const rb_vreport *r);
/* The manifest's entries_sha256 (64 hex digits), "" when unusable. */
const char *rb_vreport_entries_sha256(const rb_vreport *r);
/* The checkpoint text, NULL if unreadable. */
const char *rb_vreport_checkpoint(const rb_vreport *r);
/*
 * The witnesses whose cosignatures on the checkpoint verified, as a JSON
 * array text of {"name","time"} (time RFC 3339 UTC), owned by the report;
 * NULL when none.
 */
const char *rb_vreport_witnesses_json(const rb_vreport *r);
/* Their names joined with ", " into out (size n); "" when none. */
void rb_vreport_witness_names(const rb_vreport *r, char *out, size_t n);
/* The key that signed the checkpoint, NULL if none did. */
const char *rb_vreport_checkpoint_key(const rb_vreport *r);
/* Distinct keys whose signatures made entries valid. */
size_t rb_vreport_nsigners(const rb_vreport *r);
const char *rb_vreport_signer(const rb_vreport *r, size_t i);
/* Entries that carry an approver's countersignature. */
uint64_t rb_vreport_countersigned(const rb_vreport *r);
/* The earliest and the latest time of any entry read, formatted; "" when none. */
const char *rb_vreport_earliest_time(const rb_vreport *r);
const char *rb_vreport_latest_time(const rb_vreport *r);

#endif
