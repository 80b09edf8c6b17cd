/* fuzz_json.c - libFuzzer: the strict JSON parser (lib/json) on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "lib/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160];
	cJSON *j = NULL;

	if (rb_json_parse((const char *)data, size, 64, &j, why, sizeof(why)) == 0)
		cJSON_Delete(j);
	return 0;
}
