/* fuzz_checkpoint.c - libFuzzer: signed-note checkpoints (lib/note). */
#include <stddef.h>
#include <stdint.h>

#include "lib/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160];
	rb_checkpoint *c = NULL;
	rb_trust *t = NULL;
	long bodylen;

	if (rb_checkpoint_parse((const char *)data, size, &c, why, sizeof(why)) == 0)
		rb_checkpoint_free(c);
	if (rb_trust_new(&t, NULL) == 0) {
		(void)rb_note_verify((const char *)data, size, t, "report", &bodylen);
		rb_trust_free(t);
	}
	return 0;
}
