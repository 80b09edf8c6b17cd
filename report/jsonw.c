/* jsonw.c - the JSON report's own layout (jsonw.h, docs/REPORTS.md). */
#include "report/jsonw.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void tabs(FILE *f, int n)
{
	while (n-- > 0)
		putc('\t', f);
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");

	putc('"', f);
	for (; *p != '\0'; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				putc(*p, f);
		}
	}
	putc('"', f);
}

/* Equal within the precision of the larger of the two. */
static int same_double(double a, double b)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= m * DBL_EPSILON;
}

static void put_number(FILE *f, double d)
{
	char buf[64], *end;
	double back;
	int as_int;

	if (isnan(d) || isinf(d)) {
		fputs("null", f);
		return;
	}
	as_int = d >= (double)INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
	if (d == (double)as_int) {
		fprintf(f, "%d", as_int);
		return;
	}
	snprintf(buf, sizeof(buf), "%1.15g", d);
	back = strtod(buf, &end);
	if (*end != '\0' || !same_double(back, d))
		snprintf(buf, sizeof(buf), "%1.17g", d);
	fputs(buf, f);
}

void rb_jsonw_key(FILE *f, const char *key, int depth)
{
	tabs(f, depth);
	put_string(f, key);
	fputs(":\t", f);
}

void rb_jsonw_value(FILE *f, const cJSON *v, int depth)
{
	const cJSON *x;

	if (cJSON_IsFalse(v)) {
		fputs("false", f);
	} else if (cJSON_IsTrue(v)) {
		fputs("true", f);
	} else if (cJSON_IsNumber(v)) {
		put_number(f, v->valuedouble);
	} else if (cJSON_IsString(v)) {
		put_string(f, v->valuestring);
	} else if (cJSON_IsArray(v)) {
		putc('[', f);
		cJSON_ArrayForEach(x, v) {
			rb_jsonw_value(f, x, depth + 1);
			if (x->next != NULL)
				fputs(", ", f);
		}
		putc(']', f);
	} else if (cJSON_IsObject(v)) {
		fputs("{\n", f);
		cJSON_ArrayForEach(x, v) {
			rb_jsonw_key(f, x->string, depth + 1);
			rb_jsonw_value(f, x, depth + 1);
			fputs(x->next != NULL ? ",\n" : "\n", f);
		}
		tabs(f, depth);
		putc('}', f);
	} else {
		fputs("null", f);       /* null (and raw or invalid: never in an analysis) */
	}
}
