/*
 * dsse.h - the DSSE v1 pre-authentication encoding (ledger-export-v1 §2).
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * rbaudit writes the header into a buffer and places the body right after
 * it, so signing and verifying need no copy of the payload.
 */
#ifndef RB_DSSE_H
#define RB_DSSE_H

#include <stddef.h>

/* The payloadType of ledger entries. */
#define RB_DSSE_ENTRY_TYPE "application/vnd.rollback-ledger.entry.v1+json"

/* Room a PAE header needs beyond the type: "DSSEv1", lengths, spaces. */
#define RB_DSSE_HDR_EXTRA 48

/*
 * Write the PAE header for a body of bodylen bytes into out (cap bytes);
 * returns its length, or 0 when cap is too small.  The body follows it.
 */
size_t rb_dsse_pae_header(const char *type, size_t bodylen, char *out, size_t cap);

#endif
