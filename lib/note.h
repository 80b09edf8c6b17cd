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
 * Check the signatures: returns the first trusted key with role that signed
 * the note validly, or NULL.  Signature lines of unknown keys are ignored.
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
 * Verify a signed note of any text: returns the first trusted key with role
 * whose signature verifies (NULL if none) and sets *bodylen to the length of
 * the signed text.  -1 in *bodylen when the note is malformed.
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
