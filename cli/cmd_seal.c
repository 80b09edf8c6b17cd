/* cmd_seal.c - rbaudit seal: the producer side of a ledger export. */
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "lib/fsutil.h"
#include "lib/ident.h"
#include "lib/crypto.h"
#include "lib/trust.h"
#include "produce/seal.h"

#define MAX_COSIGNERS 16

static const char seal_synopsis[] =
	"usage: rbaudit seal --key KEY.pem --ledger ORIGIN --events EVENTS.jsonl\n"
	"                    --out EXPORT_DIR [--state STATE.json] [--key-name NAME]\n"
	"                    [--keys KEYS.json] [--cosigner NAME=KEY.pem]...\n";

static const char seal_about[] =
	"Sign events into a ledger export: entries.jsonl (one DSSE envelope per\n"
	"event, seq and prev assigned), manifest.json and checkpoint.  Each line of\n"
	"EVENTS.jsonl is {\"time\":..., \"event\":..., \"actor\":..., \"data\":{...}},\n"
	"optionally with \"cosign\":[NAME,...] naming --cosigner keys that sign too;\n"
	"any other member is refused (exit 65), never dropped.  Before anything is\n"
	"written, every event's time is checked against the key's trust-store entry\n"
	"(--keys, else NAME.pub.json beside KEY.pem as keygen wrote it): an event the\n"
	"key cannot validly sign (before its valid_from, after its valid_until or its\n"
	"revocation) is refused, naming the line and the key's window, so that the\n"
	"export never fails later at verify with E_KEY_NOT_VALID.\n";

static const char seal_tail[] =
	"The same events, key and state always give byte-identical exports.\n"
	"\n"
	"Exit status: 0 sealed, 64 usage, 65 a bad event, key or state file, 66 a\n"
	"missing input, 73 EXPORT_DIR holds an export or cannot be written, 74 I/O\n"
	"error, 78 a private key readable by group or others.\n";

/* NAME from a path DIR/NAME.pem. */
/* What the command line asks of seal. */
struct seal_args {
	const char *keypath, *ledger, *events, *out, *statepath, *keys;
	char keyname[RB_KEYNAME_MAX + 1], cnames[MAX_COSIGNERS][RB_KEYNAME_MAX + 1];
	const char *cpaths[MAX_COSIGNERS];
	size_t ncos;
};

/* The --cosigner NAME=KEY.pem values into names and paths. */
static int cosigners(const struct cli_strs *cs, struct seal_args *a, struct rb_err *e)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		const char *v = cs->v[i], *eq = strchr(v, '=');

		if (eq == NULL || eq == v || (size_t)(eq - v) > RB_KEYNAME_MAX || eq[1] == '\0')
			return cli_usage(e, "seal", "--cosigner takes NAME=KEY.pem, not '%.60s'", v);
		snprintf(a->cnames[i], sizeof(a->cnames[i]), "%.*s", (int)(eq - v), v);
		if (!rb_keyname_valid(a->cnames[i]))
			return cli_usage(e, "seal", "invalid key name '%s'", a->cnames[i]);
		a->cpaths[i] = eq + 1;
	}
	a->ncos = cs->n;
	return 0;
}

static int seal_args(int argc, char **argv, struct seal_args *a, struct rb_err *e)
{
	const char *keyname = NULL;
	struct cli_strs cs = { { NULL }, 0 };
	const struct cli_opt opts[] = {
		{ "key", CLI_STR, &a->keypath, "KEY.pem", "the ledger's private key (mode 0600)",
		  0, 0, NULL },
		{ "key-name", CLI_STR, &keyname, "NAME",
		  "its name in the trust store (default: KEY without .pem)", 0, 0, NULL },
		{ "ledger", CLI_STR, &a->ledger, "ORIGIN",
		  "the ledger's origin, e.g. acme.example/rollback-ledger", 0, 0, NULL },
		{ "events", CLI_STR, &a->events, "FILE",
		  "the events to seal, one JSON object per line", 0, 0, NULL },
		{ "out", CLI_STR, &a->out, "DIR", "the export directory to write (must hold no "
		  "export)", 0, 0, NULL },
		{ "state", CLI_STR, &a->statepath, "STATE.json", "where the ledger stands: read if "
		  "it exists (the next\nexport continues it), written after success", 0, 0, NULL },
		{ "keys", CLI_STR, &a->keys, "KEYS.json", "the trust store that holds the key "
		  "(default: NAME.pub.json\nbeside KEY.pem)", 0, 0, NULL },
		{ "cosigner", CLI_STRS, &cs, "NAME=PEM",
		  "a further key that events may name in \"cosign\"", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "seal", seal_synopsis, seal_about, opts, seal_tail, 1 };
	int argi, rc;

	memset(a, 0, sizeof(*a));
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc;
	if (argi != argc)
		return cli_usage(e, "seal", "unexpected argument '%s'", argv[argi]);
	if (a->keypath == NULL || a->ledger == NULL || a->events == NULL || a->out == NULL)
		return cli_usage(e, "seal", "--key, --ledger, --events and --out are required");
	if (cosigners(&cs, a, e) != 0)
		return -1;
	if (keyname != NULL)
		snprintf(a->keyname, sizeof(a->keyname), "%s", keyname);
	else
		rb_path_stem(a->keypath, ".pem", a->keyname, sizeof(a->keyname));
	if (!rb_keyname_valid(a->keyname))
		return cli_usage(e, "seal", "invalid key name '%s' (use --key-name)", a->keyname);
	if (a->ledger[0] == '\0' || strchr(a->ledger, '\n') != NULL)
		return cli_usage(e, "seal", "--ledger must be one non-empty line");
	return 0;
}

/*
 * The key's trust-store entry: from --keys, else NAME.pub.json beside the
 * private key; *t NULL (no check) when neither is there.
 */
static int key_entry(const struct seal_args *a, rb_trust **t, const rb_tkey **k,
		     struct rb_err *e)
{
	char pub[PATH_MAX];
	size_t len = strlen(a->keypath);
	const rb_tkey *beside;
	int added;

	*t = NULL;
	*k = NULL;
	if (a->keys != NULL) {
		if (rb_trust_load(a->keys, t, e) != 0)
			return -1;
	} else {
		if (len > 4 && strcmp(a->keypath + len - 4, ".pem") == 0)
			len -= 4;
		snprintf(pub, sizeof(pub), "%.*s.pub.json", (int)len, a->keypath);
		if (access(pub, F_OK) != 0)
			return 0;
		if (rb_trust_new(t, e) != 0 || rb_trust_add_file(*t, pub, &added, &beside, e) != 0)
			goto fail;
	}
	if ((*k = rb_trust_find(*t, a->keyname, strlen(a->keyname))) == NULL) {
		RB_ERR(e, RB_EX_DATAERR, "the trust store holds no key '%s' (use --key-name)",
		       a->keyname);
		goto fail;
	}
	return 0;
fail:
	rb_trust_free(*t);
	*t = NULL;
	return -1;
}

int cmd_seal(int argc, char **argv, struct rb_err *e)
{
	struct seal_args a;
	struct rb_cosigner cos[MAX_COSIGNERS];
	rb_privkey *ckeys[MAX_COSIGNERS] = { NULL };
	struct rb_ledger_state st;
	rb_privkey *key = NULL;
	rb_trust *trust = NULL;
	const rb_tkey *tk = NULL;
	uint64_t first, count = 0;
	size_t i;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = seal_args(argc, argv, &a, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	rc = -1;
	if (rb_privkey_load(a.keypath, &key, e) != 0 || key_entry(&a, &trust, &tk, e) != 0 ||
	    (tk != NULL && rb_seal_check(a.events, tk, e) != 0))
		goto out;
	for (i = 0; i < a.ncos; i++) {
		if (rb_privkey_load(a.cpaths[i], &ckeys[i], e) != 0)
			goto out;
		cos[i].name = a.cnames[i];
		cos[i].key = ckeys[i];
	}
	if (a.statepath != NULL && access(a.statepath, F_OK) == 0) {
		if (rb_state_load(a.statepath, &st, e) != 0)
			goto out;
		if (strcmp(st.ledger, a.ledger) != 0) {
			RB_ERR(e, RB_EX_DATAERR, "state '%s' is of ledger '%s', not '%s'",
			       a.statepath, st.ledger, a.ledger);
			goto out;
		}
	} else {
		rb_state_init(&st, a.ledger);
	}
	first = st.tree.size;
	if (rb_seal_file(a.events, a.out, &st, a.keyname, key, cos, a.ncos, &count, e) != 0)
		goto out;
	if (a.statepath != NULL && rb_state_save(a.statepath, &st, e) != 0)
		goto out;
	printf("sealed %" PRIu64 " %s, seq %" PRIu64 "..%" PRIu64 ", into %s\n", count,
	       rb_plural((long long)count, "entry", "entries"), first, first + count - 1, a.out);
	rc = RB_EX_OK;
out:
	rb_trust_free(trust);
	rb_state_clear(&st);
	for (i = 0; i < a.ncos; i++)
		rb_privkey_free(ckeys[i]);
	rb_privkey_free(key);
	return rc;
}
