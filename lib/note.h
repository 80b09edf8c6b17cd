/*
 * note.h - C2SP signed notes holding tlog-checkpoints (ledger-export-v1 §4).
 *
 * rb_checkpoint_parse copies what it needs from the text; the result is the
 * caller's to free with rb_checkpoint_free.  Verification looks keys up in a
 * trust store and never allocates.
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
