/* cmd_sample.c - rbaudit sample: the seeded sample organisation. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "produce/sample.h"

static const char sample_usage[] =
	"usage: rbaudit sample --out DIR [--seed N] [--start YYYY-MM] [--months M]\n"
	"                      [--deploys-per-day R] [--ledgers L]\n"
	"\n"
	"Write a realistic, seeded organisation's signed rollback ledger: DIR/keys.json\n"
	"(trust store), DIR/keys/*.pem (sample keys, mode 0600) and one export per\n"
	"ledger per calendar month in DIR/exports/LEDGER/YYYY-MM/.  DIR must be new\n"
	"or empty: sample replaces nothing (exit 73).  The same options give\n"
	"byte-identical files.  The keys derive from the seed: they are public,\n"
	"marked unsafe in the trust store, and only for demos, tests and benchmarks.\n"
	"\n"
	"  --seed N              seed of everything (default 1)\n"
	"  --start YYYY-MM       first month (default 2026-05)\n"
	"  --months M            number of months (default 6)\n"
	"  --deploys-per-day R   mean deployments on a weekday (default 12; about\n"
	"                        1.3 entries per deployment; 25000 gives about a\n"
	"                        million entries a month)\n"
	"  --ledgers L           independent ledgers (default 1)\n";

static void progress(void *ctx, uint64_t entries)
{
	(void)ctx;
	fprintf(stderr, "\r\033[Ksample: %" PRIu64 " entries", entries);
}

static int number(const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (*arg == '\0' || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int cmd_sample(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "months", required_argument, NULL, 'm' },
		{ "deploys-per-day", required_argument, NULL, 'r' },
		{ "ledgers", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rb_sample_opts so;
	struct rb_sample_stats st;
	double v;
	int c, y, m;

	rb_sample_defaults(&so);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': so.out = optarg; break;
		case 's':
			if (number(optarg, 0, 9007199254740991.0, &v) != 0 || v != (double)(uint64_t)v)
				return cli_usage(e, "sample", "--seed takes a whole number from 0 to "
						 "9007199254740991, not '%.40s'", optarg);
			so.seed = (uint64_t)v;
			break;
		case 'S':
			if (strlen(optarg) != 7 || optarg[4] != '-' ||
			    strspn(optarg, "0123456789") != 4 ||
			    strspn(optarg + 5, "0123456789") != 2)
				return cli_usage(e, "sample", "--start takes YYYY-MM, not '%s'", optarg);
			y = (int)strtol(optarg, NULL, 10);
			m = (int)strtol(optarg + 5, NULL, 10);
			if (y < 1970 || m < 1 || m > 12)
				return cli_usage(e, "sample", "--start takes YYYY-MM, not '%s'", optarg);
			so.start_year = y;
			so.start_month = m;
			break;
		case 'm':
			if (number(optarg, 1, 1200, &v) != 0 || v != (int)v)
				return cli_usage(e, "sample", "--months takes 1 to 1200");
			so.months = (int)v;
			break;
		case 'r':
			if (number(optarg, 0, 1e6, &v) != 0)
				return cli_usage(e, "sample", "--deploys-per-day takes 0 to 1000000");
			so.deploys_per_day = v;
			break;
		case 'l':
			if (number(optarg, 1, 100, &v) != 0 || v != (int)v)
				return cli_usage(e, "sample", "--ledgers takes 1 to 100");
			so.ledgers = (int)v;
			break;
		case 'h': fputs(sample_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "sample", opts, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage(e, "sample", "unexpected argument '%s'", argv[optind]);
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
