/* cmd_seal.c - rbaudit seal: the producer side of a ledger export. */
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/crypto.h"
#include "lib/trust.h"
#include "produce/seal.h"

#define MAX_COSIGNERS 16

static const char seal_usage[] =
	"usage: rbaudit seal --key KEY.pem --ledger ORIGIN --events EVENTS.jsonl\n"
	"                    --out EXPORT_DIR [--state STATE.json] [--key-name NAME]\n"
	"                    [--cosigner NAME=KEY.pem]...\n"
	"\n"
	"Sign events into a ledger export: entries.jsonl (one DSSE envelope per\n"
	"event, seq and prev assigned), manifest.json and checkpoint.  Each line of\n"
	"EVENTS.jsonl is {\"time\":..., \"event\":..., \"actor\":..., \"data\":{...}},\n"
	"optionally with \"cosign\":[NAME,...] naming --cosigner keys that sign too.\n"
	"\n"
	"  --key KEY.pem        the ledger's private key (mode 0600)\n"
	"  --key-name NAME      its name in the trust store (default: KEY without .pem)\n"
	"  --ledger ORIGIN      the ledger's origin, e.g. acme.example/rollback-ledger\n"
	"  --events FILE        the events to seal, one JSON object per line\n"
	"  --out DIR            the export directory to write (must hold no export)\n"
	"  --state STATE.json   where the ledger stands: read if it exists (the next\n"
	"                       export continues it), written after success\n"
	"  --cosigner NAME=PEM  a further key that events may name in \"cosign\"\n"
	"\n"
	"The same events, key and state always give byte-identical exports.\n";

/* NAME from a path DIR/NAME.pem. */
static void name_from_path(const char *path, char *out, size_t n)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".pem") == 0)
		len -= 4;
	snprintf(out, n, "%.*s", (int)len, base);
}

int cmd_seal(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "key-name", required_argument, NULL, 'n' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "events", required_argument, NULL, 'e' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "cosigner", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *keypath = NULL, *ledger = NULL, *events = NULL, *out = NULL;
	const char *statepath = NULL, *keyname_arg = NULL;
	char keyname[RB_KEYNAME_MAX + 1], cnames[MAX_COSIGNERS][RB_KEYNAME_MAX + 1];
	const char *cpaths[MAX_COSIGNERS];
	struct rb_cosigner cos[MAX_COSIGNERS];
	rb_privkey *ckeys[MAX_COSIGNERS] = { NULL };
	struct rb_ledger_state st;
	rb_privkey *key = NULL;
	uint64_t first, count = 0;
	size_t ncos = 0, i;
	int c, rc = -1;

	memset(&st, 0, sizeof(st));
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'n': keyname_arg = optarg; break;
		case 'l': ledger = optarg; break;
		case 'e': events = optarg; break;
		case 'o': out = optarg; break;
		case 's': statepath = optarg; break;
		case 'c': {
			const char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg || (size_t)(eq - optarg) > RB_KEYNAME_MAX ||
			    eq[1] == '\0')
				return cli_usage(e, "seal", "--cosigner takes NAME=KEY.pem");
			if (ncos == MAX_COSIGNERS)
				return cli_usage(e, "seal", "at most %d --cosigner keys",
						 MAX_COSIGNERS);
			snprintf(cnames[ncos], sizeof(cnames[ncos]), "%.*s",
				 (int)(eq - optarg), optarg);
			if (!rb_keyname_valid(cnames[ncos]))
				return cli_usage(e, "seal", "invalid key name '%s'", cnames[ncos]);
			cpaths[ncos++] = eq + 1;
			break;
		}
		case 'h': fputs(seal_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "seal", opts, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage(e, "seal", "unexpected argument '%s'", argv[optind]);
	if (keypath == NULL || ledger == NULL || events == NULL || out == NULL)
		return cli_usage(e, "seal", "--key, --ledger, --events and --out are required");
	if (keyname_arg != NULL)
		snprintf(keyname, sizeof(keyname), "%s", keyname_arg);
	else
		name_from_path(keypath, keyname, sizeof(keyname));
	if (!rb_keyname_valid(keyname))
		return cli_usage(e, "seal", "invalid key name '%s' (use --key-name)", keyname);
	if (ledger[0] == '\0' || strchr(ledger, '\n') != NULL)
		return cli_usage(e, "seal", "--ledger must be one non-empty line");
	if (rb_privkey_load(keypath, &key, e) != 0)
		goto out;
	for (i = 0; i < ncos; i++) {
		if (rb_privkey_load(cpaths[i], &ckeys[i], e) != 0)
			goto out;
		cos[i].name = cnames[i];
		cos[i].key = ckeys[i];
	}
	if (statepath != NULL && access(statepath, F_OK) == 0) {
		if (rb_state_load(statepath, &st, e) != 0)
			goto out;
		if (strcmp(st.ledger, ledger) != 0) {
			RB_ERR(e, RB_EX_DATAERR, "state '%s' is of ledger '%s', not '%s'",
			       statepath, st.ledger, ledger);
			goto out;
		}
	} else {
		rb_state_init(&st, ledger);
	}
	first = st.tree.size;
	if (rb_seal_file(events, out, &st, keyname, key, cos, ncos, &count, e) != 0)
		goto out;
	if (statepath != NULL && rb_state_save(statepath, &st, e) != 0)
		goto out;
	printf("sealed %" PRIu64 " entries, seq %" PRIu64 "..%" PRIu64 ", into %s\n", count,
	       first, first + count - 1, out);
	rc = RB_EX_OK;
out:
	rb_state_clear(&st);
	for (i = 0; i < ncos; i++)
		rb_privkey_free(ckeys[i]);
	rb_privkey_free(key);
	return rc;
}
