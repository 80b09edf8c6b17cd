/*
 * note.h - C2SP signed notes holding tlog-checkpoints (ledger-export-v1 §4).
 *
 * rb_checkpoint_parse copies what it needs from the text; the result is the
 * caller's to free with rb_checkpoint_free.  Verification looks keys up in a
 * trust store; only a cosignature's check allocates (its message).  A note
 * holding an ASCII control character other than a newline is malformed, as
 * golang.org/x/mod/sumdb/note reads notes.
 */
#ifndef RB_NOTE_H
#define RB_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "err.h"
#include "trust.h"

/* At most this many signature lines are read (as C2SP suggests). */
#define RB_NOTE_MAX_SIGS 100

typedef struct rb_checkpoint rb_checkpoint;

/*
 * Parse a checkpoint note.  Returns 0, or -1 with a reason in why when the
 * text is not a well-formed signed note holding a checkpoint (errno
 * EINVAL), or when out of memory (errno ENOMEM).
 */
int rb_checkpoint_parse(const char *text, size_t len, rb_checkpoint **out,
			char *why, size_t whylen);
void rb_checkpoint_free(rb_checkpoint *c);

const char *rb_checkpoint_origin(const rb_checkpoint *c);
uint64_t rb_checkpoint_size(const rb_checkpoint *c);
const uint8_t *rb_checkpoint_root(const rb_checkpoint *c);

/*
 * Check the signatures as the C2SP ecosystem does (golang.org/x/mod/sumdb/
 * note; ledger-export-v1 §4 revision 2): returns the first trusted key with
 * role that signed the note validly, or NULL when none did or when any line
 * naming a trusted key of the role (name and key hash) does not verify.
 * Lines of other keys are ignored, as are repeated lines of one key after
 * its first.  The text may hold extension lines after the root hash.
 */
const rb_tkey *rb_checkpoint_verify(const rb_checkpoint *c, const rb_trust *t,
				    const char *role);

/* A witness's cosignature that verified (c2sp.org/tlog-cosignature). */
struct rb_cosig {
	const rb_tkey *key;     /* the witness: a key of the trust store */
	uint64_t time;          /* seconds since the Unix epoch, as the witness signed */
};

/*
 * Check the checkpoint's cosignatures (c2sp.org/tlog-cosignature, Ed25519,
 * signature type 0x04) against t's keys with role witness.  A line is a
 * witness's when its name and key ID (with 0x04) match such a key; other
 * lines are ignored (a checkpoint key's, an unknown witness's), and so are
 * a witness's lines after its first.  Fills out[0..*n), which has room for
 * RB_NOTE_MAX_SIGS, with each witness whose line verified, in line order.
 * Returns 0, or -1 with the reason, naming the witness, in why (errno
 * EINVAL) when a witness's line does not verify: not 8 + 64 bytes, a time
 * above 2^63 - 1, or a bad signature; -1 with errno ENOMEM out of memory.
 */
int rb_checkpoint_cosigs(const rb_checkpoint *c, const rb_trust *t, struct rb_cosig *out,
			 size_t *n, char *why, size_t whylen);

/* Room for a witness verdict's code, NUL included. */
#define RB_WITNESS_CODE_MAX 24

/*
 * The witness rules on checkpoint c under t (docs/FORMATS.md, "Witness
 * cosignatures"), for verify, ingest and check alike: every cosignature of
 * t's witnesses must verify, else code is E_WITNESS_SIG and msg names the
 * witness; with a witness policy in t, at least its quorum of its witnesses
 * must have cosigned validly, else code is E_WITNESS_QUORUM and msg says
 * how many did, which, and the quorum.  code is "" when the rules hold.
 * cs[0..*n) are the cosignatures that verified.  Returns 0, or -1 (with e)
 * only when out of memory.
 */
int rb_checkpoint_witnessed(const rb_checkpoint *c, const rb_trust *t,
			    struct rb_cosig cs[RB_NOTE_MAX_SIGS], size_t *n,
			    char code[RB_WITNESS_CODE_MAX], char *msg, size_t msglen,
			    struct rb_err *e);

/*
 * Cosign the checkpoint note text[0..len) as witness name with key, at time
 * (seconds since the epoch, at most 2^63 - 1): *out is the malloc'd note
 * with the cosignature line appended.  RB_EX_DATAERR when text is not a
 * checkpoint note, already holds a line of this name and key ID, or holds
 * RB_NOTE_MAX_SIGS lines.  The log's signature is not checked here.
 */
int rb_checkpoint_cosign(const char *text, size_t len, const char *name,
			 const rb_privkey *key, uint64_t time, char **out, struct rb_err *e);

/*
 * Sign any note text (which must end with a newline and hold no blank
 * line): *out is the malloc'd signed note, text + "\n" + signature line.
 */
int rb_note_sign(const char *text, const char *keyname, const rb_privkey *key,
		 char **out, struct rb_err *e);

/*
 * Verify a signed note of any text (a MANIFEST) by the same rule as
 * rb_checkpoint_verify: returns the first trusted key with role whose
 * signature verifies (NULL if none, or if one of a trusted key fails) and
 * sets *bodylen to the length of the signed text.  -1 in *bodylen when the
 * note is malformed (more than RB_NOTE_MAX_SIGS lines among it).
 */
const rb_tkey *rb_note_verify(const char *note, size_t len, const rb_trust *t,
			      const char *role, long *bodylen);

/*
 * Make and sign a checkpoint note.  *out is a malloc'd NUL-terminated text
 * (the caller frees it).
 */
int rb_checkpoint_sign(const char *origin, uint64_t size, const uint8_t root[32],
		       const char *keyname, const rb_privkey *key, char **out,
		       struct rb_err *e);

#endif
