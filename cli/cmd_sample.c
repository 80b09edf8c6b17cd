/* cmd_sample.c - rbaudit sample: the seeded sample organisation. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/json.h"
#include "lib/rtime.h"
#include "opt.h"
#include "produce/sample.h"

static const char sample_synopsis[] =
	"usage: rbaudit sample --out DIR [--seed N] [--start YYYY-MM] [--months M]\n"
	"                      [--deploys-per-day R] [--ledgers L]\n";

static const char sample_about[] =
	"Write a realistic, seeded organisation's signed rollback ledger: DIR/keys.json\n"
	"(trust store), DIR/keys/*.pem (sample keys, mode 0600) and one export per\n"
	"ledger per calendar month in DIR/exports/LEDGER/YYYY-MM/.  DIR must be new\n"
	"or empty: sample replaces nothing (exit 73).  The same options give\n"
	"byte-identical files.  The keys derive from the seed: they are public,\n"
	"marked unsafe in the trust store, and only for demos, tests and benchmarks.\n";

static const char sample_tail[] =
	"Exit status: 0 written, 64 usage, 73 DIR is not new or empty, 74 I/O error.\n";

static void progress(void *ctx, uint64_t entries)
{
	(void)ctx;
	fprintf(stderr, "\r\033[Ksample: %" PRIu64 " entries", entries);
}

int cmd_sample(int argc, char **argv, struct rb_err *e)
{
	struct rb_sample_opts so;
	struct rb_sample_stats st;
	struct rb_period start;
	int have_start = 0, argi, rc;
	const struct cli_opt opts[] = {
		{ "out", CLI_STR, &so.out, "DIR", "the new or empty folder to write", 0, 0, NULL },
		{ "seed", CLI_U64, &so.seed, "N", "seed of everything (default 1)",
		  0, RB_JSON_MAX_INT, NULL },
		{ "start", CLI_MONTH, &start, "YYYY-MM", "first month (default 2026-05)",
		  0, 0, &have_start },
		{ "months", CLI_INT, &so.months, "M", "number of months (default 6)", 1, 1200, NULL },
		{ "deploys-per-day", CLI_NUMBER, &so.deploys_per_day, "R",
		  "mean deployments on a weekday (default 12; about\n1.3 entries per "
		  "deployment; 25000 gives about a\nmillion entries a month)", 0, 1e6, NULL },
		{ "ledgers", CLI_INT, &so.ledgers, "L", "independent ledgers (default 1)",
		  1, 100, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "sample", sample_synopsis, sample_about, opts,
				     sample_tail, 0 };

	rb_sample_defaults(&so);
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (argi != argc)
		return cli_usage(e, "sample", "unexpected argument '%s'", argv[argi]);
	if (have_start) {
		int64_t y;
		unsigned m, d;

		rb_civil_from_days(start.start / 86400, &y, &m, &d);
		if (y < 1970 || y > 9999)
			return cli_usage(e, "sample", "--start takes a month from 1970-01 to 9999-12");
		so.start_year = (int)y;
		so.start_month = (int)m;
	}
	if (so.out == NULL)
		return cli_usage(e, "sample", "--out DIR is required");
	if (cli_progress_wanted())
		so.progress = progress;
	if (rb_sample_generate(&so, &st, e) != 0)
		return -1;
	if (so.progress != NULL)
		fprintf(stderr, "\r\033[K");
	printf("sample: %" PRIu64 " entries in %" PRIu64 " exports under %s/exports\n",
	       st.entries, st.exports, so.out);
	printf("  %" PRIu64 " deployments, %" PRIu64 " rollbacks (%" PRIu64 " emergencies, %"
	       PRIu64 " rejected), %" PRIu64 " incidents\n", st.deploys, st.rollbacks,
	       st.emergencies, st.rejected, st.incidents);
	printf("  %" PRIu64 " approvals, %" PRIu64 " countersigned; trust store %s/keys.json "
	       "(SAMPLE KEYS: unsafe for real use)\n", st.approvals, st.countersigned, so.out);
	return RB_EX_OK;
}
