/* dsse.c - DSSE v1 pre-authentication encoding. */
#include "dsse.h"

#include <stdio.h>
#include <string.h>

size_t rb_dsse_pae_header(const char *type, size_t bodylen, char *out, size_t cap)
{
	int n = snprintf(out, cap, "DSSEv1 %zu %s %zu ", strlen(type), type, bodylen);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
