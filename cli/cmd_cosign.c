/*
 * cmd_cosign.c - rbaudit cosign: a witness's cosignature on a checkpoint
 * (c2sp.org/tlog-cosignature), so that tests and the demo can play a
 * witness.  It checks the log's signature (with --keys), never consistency
 * with checkpoints it saw before: it is not a witness service.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "opt.h"
#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/note.h"
#include "lib/rtime.h"
#include "lib/trust.h"

/* A checkpoint is read up to this size, as verify reads it. */
#define CHECKPOINT_MAX (64u << 10)

static const char cosign_synopsis[] =
	"usage: rbaudit cosign --key KEY.pem --checkpoint FILE [--keys KEYS.json]\n"
	"                      [--time TIME | --now] [--name NAME] [--out FILE]\n";

static const char cosign_about[] =
	"Add a witness's cosignature (c2sp.org/tlog-cosignature, Ed25519) to a\n"
	"checkpoint: one signature line '— NAME base64(key ID, time, signature)'\n"
	"over 'cosignature/v1', the time and the checkpoint's signed text.  With\n"
	"--keys, the checkpoint must first be validly signed by a checkpoint key of\n"
	"that trust store, as a witness must check the log's signature; without it\n"
	"the log's signature is not checked (said on standard error).  The note is\n"
	"written back to FILE, replaced atomically with its mode kept, or to --out.\n"
	"A checkpoint this key cosigned already is refused.  This witness keeps no\n"
	"state: it does not check that the log only grows (see docs/SECURITY.md).\n";

static const char cosign_tail[] =
	"Exit status: 0 cosigned, 1 the checkpoint is not signed by a checkpoint\n"
	"key of KEYS.json, 64 usage, 65 a malformed checkpoint or trust store, or\n"
	"one this key cosigned already, 66 a missing input, 73 the output cannot\n"
	"be written, 74 I/O error, 78 a private key readable by group or others.\n";

/* What the command line asks of cosign. */
struct cosign_args {
	const char *keypath, *checkpoint, *keys, *out;
	char name[RB_KEYNAME_MAX + 1];
	uint64_t time;
};

static int cosign_args(int argc, char **argv, struct cosign_args *a, struct rb_err *e)
{
	const char *name = NULL;
	struct rb_time at = rb_time_now();
	int have_time = 0, now = 0, argi, rc;
	const struct cli_opt opts[] = {
		{ "key", CLI_STR, &a->keypath, "KEY.pem", "the witness's private key (mode 0600)",
		  0, 0, NULL },
		{ "checkpoint", CLI_STR, &a->checkpoint, "FILE", "the checkpoint note to cosign",
		  0, 0, NULL },
		{ "keys", CLI_STR, &a->keys, "KEYS.json", "check first that a checkpoint key of "
		  "this trust store\nsigned it", 0, 0, NULL },
		{ "time", CLI_TIME, &at, "TIME", "the cosignature's time, RFC 3339 UTC, whole "
		  "seconds\n(default: now)", 0, 0, &have_time },
		{ "now", CLI_FLAG, &now, NULL, "the current time (the default)", 0, 0, NULL },
		{ "name", CLI_STR, &name, "NAME", "the witness's name (default: KEY without .pem)",
		  0, 0, NULL },
		{ "out", CLI_STR, &a->out, "FILE", "write the cosigned note there (default: "
		  "replace FILE)", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "cosign", cosign_synopsis, cosign_about, opts, cosign_tail,
				     0 };

	memset(a, 0, sizeof(*a));
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc;
	if (argi != argc)
		return cli_usage(e, "cosign", "unexpected argument '%s'", argv[argi]);
	if (a->keypath == NULL || a->checkpoint == NULL)
		return cli_usage(e, "cosign", "--key and --checkpoint are required");
	if (have_time && now)
		return cli_usage(e, "cosign", "give --time or --now, not both");
	if (at.sec < 0 || at.nsec != 0)
		return cli_usage(e, "cosign", "--time takes whole seconds from 1970-01-01T00:00:00Z "
				 "on");
	a->time = (uint64_t)at.sec;
	if (name != NULL)
		snprintf(a->name, sizeof(a->name), "%s", name);
	else
		rb_path_stem(a->keypath, ".pem", a->name, sizeof(a->name));
	if (!rb_keyname_valid(a->name))
		return cli_usage(e, "cosign", "invalid key name '%s' (use --name)", a->name);
	return 0;
}

/* With --keys: the log's signature on the checkpoint (RB_EX_FAIL when it is not valid). */
static int log_signed(const struct cosign_args *a, const char *text, size_t len,
		      struct rb_err *e)
{
	rb_trust *t = NULL;
	rb_checkpoint *c = NULL;
	char why[160];
	int rc = -1;

	if (a->keys == NULL) {
		fprintf(stderr, "rbaudit: cosign: the log's signature was not checked (no "
			"--keys)\n");
		return 0;
	}
	if (rb_trust_load(a->keys, &t, e) != 0)
		return -1;
	if (rb_checkpoint_parse(text, len, &c, why, sizeof(why)) != 0)
		RB_ERR(e, RB_EX_DATAERR, "'%s' is not a checkpoint note: %s", a->checkpoint, why);
	else if (rb_checkpoint_verify(c, t, "checkpoint") == NULL)
		RB_ERR(e, RB_EX_FAIL, "'%s' is not validly signed by a checkpoint key of '%s': "
		       "a witness cosigns only what the log signed", a->checkpoint, a->keys);
	else
		rc = 0;
	rb_checkpoint_free(c);
	rb_trust_free(t);
	return rc;
}

int cmd_cosign(int argc, char **argv, struct rb_err *e)
{
	struct cosign_args a;
	rb_privkey *key = NULL;
	char *text = NULL, *note = NULL, ts[RB_TIME_MAX];
	struct rb_time at;
	struct stat st;
	size_t len;
	int rc;

	if ((rc = cosign_args(argc, argv, &a, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	rc = -1;
	if (rb_read_file(a.checkpoint, CHECKPOINT_MAX, &text, &len, e) != 0 ||
	    log_signed(&a, text, len, e) != 0 || rb_privkey_load(a.keypath, &key, e) != 0)
		goto out;
	if (rb_checkpoint_cosign(text, len, a.name, key, a.time, &note, e) != 0) {
		char m[sizeof(e->msg)];

		snprintf(m, sizeof(m), "%s", e->msg);
		RB_ERR(e, e->code, "'%s': %s", a.checkpoint, m);
		goto out;
	}
	if (stat(a.checkpoint, &st) != 0)
		st.st_mode = 0644;
	if (rb_write_atomic(a.out != NULL ? a.out : a.checkpoint, note, strlen(note),
			    st.st_mode & 07777, e) != 0)
		goto out;
	at.sec = (int64_t)a.time;
	at.nsec = 0;
	rb_time_format(&at, ts);
	printf("cosigned %s as witness '%s' at %s%s%s\n", a.checkpoint, a.name, ts,
	       a.out != NULL ? " into " : "", a.out != NULL ? a.out : "");
	rc = RB_EX_OK;
out:
	free(note);
	free(text);
	rb_privkey_free(key);
	return rc;
}
