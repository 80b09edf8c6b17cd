/* json.c - the strict checks cJSON does not make. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rb_utf8_next(const char *buf, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)buf;
	unsigned c;
	size_t n, k;
	uint32_t v;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (len <= n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	if ((n == 2 && v < 0x800) || (n == 3 && v < 0x10000) || v > 0x10ffff ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return (int)n + 1;
}

int rb_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		int n;

		if (s[i] < 0x80) {
			uint64_t w;

			/* ASCII runs, eight bytes at a time. */
			i++;
			while (len - i >= 8) {
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ULL)
					break;
				i += 8;
			}
			continue;
		}
		if ((n = rb_utf8_next(buf + i, len - i, &cp)) == 0)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/*
 * 1 when one of the eight bytes of w is a control byte (< 0x20), '"' or
 * '\\': the bytes that end a run of plain string content.  The classic
 * word-at-a-time tests; exact for "is there one", which is all we ask.
 */
static int special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t lt = (w - 0x20 * ones) & ~w & highs;
	uint64_t q = w ^ (0x22 * ones), bs = w ^ (0x5c * ones);

	lt |= (q - ones) & ~q & highs;
	lt |= (bs - ones) & ~bs & highs;
	return lt != 0;
}

/*
 * One pass over the raw text: control bytes, "\u0000" escapes and nesting
 * depth, tracking whether we are inside a string.
 */
static int scan_raw(const char *buf, size_t len, int maxdepth, char *why,
		    size_t whylen)
{
	int in_str = 0, depth = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c;

		/* Inside a string, skip eight plain bytes at a time. */
		while (in_str && len - i >= 8) {
			uint64_t w;

			memcpy(&w, buf + i, 8);
			if (special8(w))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = (unsigned char)buf[i];
		if (c < 0x20 && !(!in_str && (c == ' ' || c == '\t' || c == '\n' ||
					       c == '\r'))) {
			snprintf(why, whylen, "control byte 0x%02x at offset %zu", c, i);
			return -1;
		}
		if (in_str) {
			if (c == '"') {
				in_str = 0;
			} else if (c == '\\' && i + 1 < len) {
				if (buf[i + 1] == 'u' && i + 5 < len &&
				    memcmp(buf + i + 2, "0000", 4) == 0) {
					snprintf(why, whylen,
						 "string holds U+0000 at offset %zu", i);
					return -1;
				}
				i++;    /* skip the escaped character */
			}
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > maxdepth) {
				snprintf(why, whylen, "nesting deeper than %d levels",
					 maxdepth);
				return -1;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Find a duplicate member name anywhere in the tree; returns it or NULL. */
static const char *find_dup(const cJSON *item, int *oom)
{
	const cJSON *c;
	const char *dup = NULL;

	if (cJSON_IsObject(item)) {
		size_t n = 0, i;
		const char **names;

		for (c = item->child; c != NULL; c = c->next)
			n++;
		if (n > 1 && n <= 24) {
			/* Small objects (all of an entry's): compare pairs, no allocation. */
			const cJSON *d;

			for (c = item->child; c != NULL; c = c->next)
				for (d = c->next; d != NULL; d = d->next)
					if (strcmp(c->string, d->string) == 0)
						return d->string;
		} else if (n > 1) {
			names = malloc(n * sizeof(*names));
			if (names == NULL) {
				*oom = 1;
				return NULL;
			}
			i = 0;
			for (c = item->child; c != NULL; c = c->next)
				names[i++] = c->string;
			qsort(names, n, sizeof(*names), cmp_names);
			for (i = 1; i < n && dup == NULL; i++)
				if (strcmp(names[i - 1], names[i]) == 0)
					dup = names[i];
			free(names);
			if (dup != NULL)
				return dup;
		}
	}
	if (cJSON_IsObject(item) || cJSON_IsArray(item))
		for (c = item->child; c != NULL && dup == NULL && !*oom; c = c->next)
			dup = find_dup(c, oom);
	return dup;
}

/*
 * Arenas.  cJSON allocates through global hooks; ours serve the calling
 * thread's current arena when one is set (only inside rb_json_parse_in) and
 * malloc otherwise, so every other tree is an ordinary one.
 */
#define ARENA_MIN (4u << 10)
#define ARENA_KEEP (64u << 10)

struct block {
	struct block *next;
	size_t cap, used;
	max_align_t data[];
};

struct rb_json_arena {
	struct block *head;     /* the newest block */
	size_t hint;            /* size of the next first block */
};

static _Thread_local rb_json_arena *cur_arena;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
/* cJSON's allocations that failed, on any thread (rb_json_failures). */
static atomic_ulong failures;

static int arena_owns(const rb_json_arena *a, const void *p)
{
	const struct block *b;

	for (b = a->head; b != NULL; b = b->next)
		if ((const char *)p >= (const char *)b->data &&
		    (const char *)p < (const char *)b->data + b->cap)
			return 1;
	return 0;
}

static void *hook_malloc(size_t n)
{
	rb_json_arena *a = cur_arena;
	struct block *b;
	void *p;

	if (a == NULL) {
		p = malloc(n);
		if (p == NULL)
			atomic_fetch_add(&failures, 1);
		return p;
	}
	if (n > SIZE_MAX / 2) {
		atomic_fetch_add(&failures, 1);
		return NULL;
	}
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	b = a->head;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = b == NULL ? a->hint : 2 * b->cap;

		if (cap < n)
			cap = n;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL) {
			atomic_fetch_add(&failures, 1);
			return NULL;
		}
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

/* Inside an arena, cJSON frees what it drops on a parse error: a no-op. */
static void hook_free(void *p)
{
	if (p != NULL && cur_arena != NULL && arena_owns(cur_arena, p))
		return;
	free(p);
}

static void install_hooks(void)
{
	cJSON_Hooks h = { .malloc_fn = hook_malloc, .free_fn = hook_free };

	cJSON_InitHooks(&h);
}

unsigned long rb_json_failures(void)
{
	pthread_once(&hooks_once, install_hooks);
	return atomic_load(&failures);
}

rb_json_arena *rb_json_arena_new(void)
{
	rb_json_arena *a;

	pthread_once(&hooks_once, install_hooks);
	a = calloc(1, sizeof(*a));
	if (a != NULL)
		a->hint = ARENA_MIN;
	return a;
}

/* Keep one modest block for the next tree; free the rest. */
void rb_json_arena_reset(rb_json_arena *a)
{
	struct block *b, *next;
	size_t total = 0;

	if (a == NULL || a->head == NULL)
		return;
	if (a->head->next == NULL && a->head->cap <= ARENA_KEEP) {
		a->head->used = 0;
		return;
	}
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		total += b->used;
		free(b);
	}
	a->head = NULL;
	a->hint = total < ARENA_MIN ? ARENA_MIN : (total > ARENA_KEEP ? ARENA_KEEP : total);
}

void rb_json_arena_free(rb_json_arena *a)
{
	struct block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

int rb_json_parse_known_in(rb_json_arena *a, const char *buf, size_t len, cJSON **out)
{
	rb_json_arena *saved = cur_arena;
	const char *end = NULL;

	unsigned long jf = rb_json_failures();

	cur_arena = a;
	*out = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	cur_arena = saved;
	if (*out == NULL) {
		errno = rb_json_failures() != jf ? ENOMEM : EINVAL;
		return -1;
	}
	while (end < buf + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	errno = EINVAL;
	return end == buf + len ? 0 : -1;       /* an arena tree is freed by the reset */
}

int rb_json_parse_in(rb_json_arena *a, const char *buf, size_t len, int maxdepth,
		     cJSON **out, char *why, size_t whylen)
{
	rb_json_arena *saved = cur_arena;
	int rc;

	cur_arena = a;
	rc = rb_json_parse(buf, len, maxdepth, out, why, whylen);
	cur_arena = saved;
	return rc;
}

int rb_json_parse(const char *buf, size_t len, int maxdepth, cJSON **out,
		  char *why, size_t whylen)
{
	const char *end = NULL;
	const char *dup;
	cJSON *root;
	int oom = 0;
	unsigned long jf = rb_json_failures();

	*out = NULL;
	errno = EINVAL;
	if (!rb_utf8_valid(buf, len)) {
		snprintf(why, whylen, "not valid UTF-8");
		return -1;
	}
	if (scan_raw(buf, len, maxdepth, why, whylen) != 0)
		return -1;
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (root == NULL && rb_json_failures() != jf) {
		snprintf(why, whylen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	if (root == NULL) {
		size_t off = end != NULL && end >= buf ? (size_t)(end - buf) : 0;

		snprintf(why, whylen, "not valid JSON (near offset %zu)", off);
		errno = EINVAL;
		return -1;
	}
	while (end < buf + len && (*end == ' ' || *end == '\t' || *end == '\n' ||
				   *end == '\r'))
		end++;
	if (end != buf + len) {
		snprintf(why, whylen, "text after the JSON value at offset %zu",
			 (size_t)(end - buf));
		cJSON_Delete(root);
		return -1;
	}
	dup = find_dup(root, &oom);
	if (oom) {
		snprintf(why, whylen, "out of memory");
		cJSON_Delete(root);
		errno = ENOMEM;
		return -1;
	}
	if (dup != NULL) {
		snprintf(why, whylen, "duplicate member \"%.64s\"", dup);
		cJSON_Delete(root);
		errno = EINVAL;
		return -1;
	}
	*out = root;
	return 0;
}

int rb_json_line_of(const char *text, const char *name, const char *from,
		    const char **at)
{
	char pat[96];
	const char *p, *q;
	int line = 1;

	snprintf(pat, sizeof(pat), "\"%s\"", name);
	for (p = strstr(from, pat); p != NULL; p = strstr(p + 1, pat)) {
		q = p + strlen(pat);
		while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			q++;
		if (*q == ':')
			break;
	}
	if (p == NULL)
		return 0;
	for (q = text; q < p; q++)
		line += *q == '\n';
	if (at != NULL)
		*at = p;
	return line;
}

const char *rb_json_str(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

const char *rb_json_unknown_member(const cJSON *obj, const char *const *known, size_t n)
{
	const cJSON *it;
	size_t i;

	cJSON_ArrayForEach(it, obj) {
		for (i = 0; i < n && strcmp(it->string, known[i]) != 0; i++)
			;
		if (i == n)
			return it->string;
	}
	return NULL;
}

int rb_json_is_int(const cJSON *item, int64_t min, int64_t max)
{
	double d;

	if (!cJSON_IsNumber(item))
		return 0;
	if (max > RB_JSON_MAX_INT)
		max = RB_JSON_MAX_INT;     /* beyond it a double is not exact */
	if (min < -RB_JSON_MAX_INT)
		min = -RB_JSON_MAX_INT;
	d = item->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return 0;
	return d >= (double)min && d <= (double)max;
}

int rb_json_int(const cJSON *obj, const char *name, int64_t min, int64_t max,
		int64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!rb_json_is_int(it, min, max))
		return -1;
	*out = (int64_t)it->valuedouble;
	return 0;
}
