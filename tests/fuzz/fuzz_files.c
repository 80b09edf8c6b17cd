/*
 * fuzz_files.c - libFuzzer: every file rbaudit reads, written from the input
 * and read back by its parser.  FUZZ_TARGET picks the parser at build time:
 * trust (trust store), policy, template, job (job file), manifest and
 * entries (a whole small export, verified against the vectors' keys), and
 * import (the first byte picks a JSON source, helm, argocd, gitlab, github
 * or pagerduty, and whether the rest is its input or its map file).
 */
#define _XOPEN_SOURCE 700
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/policy.h"
#include "ingest/verify.h"
#include "job/job.h"
#include "lib/trust.h"
#include "produce/import.h"
#include "report/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static rb_trust *keys;

static void put(const char *name, const void *buf, size_t len)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (f == NULL)
		abort();
	if (len > 0 && fwrite(buf, 1, len, f) != len)
		abort();
	fclose(f);
}

/* dir/name = the file at from (a vector or a seed). */
__attribute__((unused)) static void copy_file(const char *from, const char *name)
{
	char *buf;
	FILE *f;
	long n;

	f = fopen(from, "rb");
	if (f == NULL)
		abort();
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	put(name, buf, (size_t)n);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_err e;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/rbaudit-fuzz-XXXXXX");
		if (mkdtemp(dir) == NULL ||
		    rb_trust_load("tests/data/vectors/keys.json", &keys, &e) != 0)
			abort();
	}
#if defined(FUZZ_TRUST)
	{
		char p[128];
		rb_trust *t = NULL;

		put("f.json", data, size);
		snprintf(p, sizeof(p), "%s/f.json", dir);
		if (rb_trust_load(p, &t, &e) == 0)
			rb_trust_free(t);
	}
#elif defined(FUZZ_POLICY)
	{
		char p[128];
		struct rb_policy pol;

		put("f.json", data, size);
		snprintf(p, sizeof(p), "%s/f.json", dir);
		rb_policy_default(&pol);
		(void)rb_policy_load(p, &pol, &e);
	}
#elif defined(FUZZ_TEMPLATE)
	{
		char p[128];
		struct rb_template *t = NULL;

		put("f.json", data, size);
		snprintf(p, sizeof(p), "%s/f.json", dir);
		if (rb_template_load(p, &t, &e) == 0)
			rb_template_free(t);
	}
#elif defined(FUZZ_JOB)
	{
		char p[128];
		struct rb_job *j = malloc(sizeof(*j));

		put("f.json", data, size);
		snprintf(p, sizeof(p), "%s/f.json", dir);
		if (j != NULL)
			(void)rb_job_load(p, j, &e);
		free(j);
	}
#elif defined(FUZZ_IMPORT)
	{
		static const char *const src[] = { "helm", "argocd", "gitlab", "github",
						   "pagerduty" };
		static const char *const fixture[] = {
			"tests/data/import/helm/billing.json",
			"tests/data/import/argocd/guestbook.json",
			"tests/data/import/gitlab/deployments.json",
			"tests/data/import/github/deployments.json",
			"tests/data/import/pagerduty/incidents.json" };
		char in[128], map[128], out[128], inc[128];
		const char *inputs[1] = { in }, *incidents[1] = { inc };
		struct rb_import_opts o;
		struct rb_import_result res;
		int k = size > 0 ? data[0] % 5 : 0, is_map = size > 0 && (data[0] & 0x80);

		snprintf(in, sizeof(in), "%s/in.json", dir);
		snprintf(map, sizeof(map), "%s/map.json", dir);
		snprintf(out, sizeof(out), "%s/out.jsonl", dir);
		snprintf(inc, sizeof(inc), "%s/inc.json", dir);
		if (is_map) {
			put("map.json", data + 1, size - 1);
			copy_file(fixture[k], "in.json");
		} else {
			put("in.json", size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0);
		}
		copy_file(fixture[4], "inc.json");
		memset(&o, 0, sizeof(o));
		o.source = src[k];
		o.inputs = inputs;
		o.ninputs = 1;
		o.map_path = is_map ? map : NULL;
		o.out_path = out;
		/* PagerDuty's incidents linked to the fuzzed deployments. */
		if (k != 4) {
			o.incidents = incidents;
			o.nincidents = 1;
		}
		(void)rb_import(&o, &res, &e);
	}
#else
	{
		struct rb_verify_opts o = { 0 };
		rb_vreport *r = NULL;

		o.jobs = 1;
#if defined(FUZZ_MANIFEST)
		/* Three entries keep each run fast; the manifest is what varies. */
		put("manifest.json", data, size);
		copy_file("tests/fuzz/corpus/entries/first3.jsonl", "entries.jsonl");
#else
		put("entries.jsonl", data, size);
		copy_file("tests/data/vectors/export-2026-07/manifest.json", "manifest.json");
#endif
		copy_file("tests/data/vectors/export-2026-07/checkpoint", "checkpoint");
		if (rb_verify_export(dir, keys, &o, &r, &e) == 0)
			rb_vreport_free(r);
	}
#endif
	return 0;
}
