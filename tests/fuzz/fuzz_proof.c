/*
 * fuzz_proof.c - libFuzzer: c2sp.org/tlog-proof and add-checkpoint texts
 * (lib/proof), and the whole offline check of a proof under the sample
 * organisation's trust store (sample-data/keys.json): the seeds are real
 * proofs, whose hashes, index and extra data lie outside the signed
 * checkpoint, so mutations reach the inclusion check and the payload.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/proof.h"
#include "lib/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rb_trust *t;
	static int loaded;
	struct rb_tproof *p = NULL;
	struct rb_cproof *c = NULL;
	struct rb_tproof_result v;
	struct rb_err e;
	char why[600];

	if (!loaded) {
		loaded = 1;
		if (rb_trust_load("sample-data/keys.json", &t, &e) != 0)
			(void)rb_trust_new(&t, &e);
	}
	if (rb_tproof_parse((const char *)data, size, &p, &e) == 0)
		rb_tproof_free(p);
	if (rb_cproof_parse((const char *)data, size, &c, &e) == 0)
		rb_cproof_free(c);
	if (t != NULL)
		(void)rb_tproof_check((const char *)data, size, t, &v, why, sizeof(why));
	return 0;
}
