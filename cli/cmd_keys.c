/* cmd_keys.c - rbaudit keygen and rbaudit keys (add, list, revoke). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "lib/keygen.h"
#include "opt.h"
#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/rtime.h"
#include "lib/trust.h"

static const char keygen_synopsis[] =
	"usage: rbaudit keygen --name NAME --out DIR [--roles ROLE,...] [--identity ID]\n"
	"                      [--valid-from TIME] [--json]\n";

static const char keygen_about[] =
	"Make an Ed25519 key pair: DIR/NAME.pem (PKCS#8, mode 0600, never printed)\n"
	"and DIR/NAME.pub.json (its trust-store entry).  Prints the C2SP verifier\n"
	"key string NAME+HASH+KEY.\n";

static const char keygen_tail[] =
	"Exit status: 0 made, 64 usage, 73 the entry file exists or DIR cannot be\n"
	"written, 74 I/O error.\n";

static const char keys_synopsis[] =
	"usage: rbaudit keys add FILE.pub.json... --keys KEYS.json\n"
	"       rbaudit keys list --keys KEYS.json [--json]\n"
	"       rbaudit keys revoke NAME --at TIME --keys KEYS.json\n"
	"       rbaudit keys set-valid-until NAME --at TIME --keys KEYS.json\n"
	"       rbaudit keys policy --quorum N --witness NAME... --keys KEYS.json\n"
	"       rbaudit keys policy --none --keys KEYS.json\n";

static const char keys_about[] =
	"Keep a trust store.  'add' creates KEYS.json when it does not exist and\n"
	"refuses a different key under a name already present, and a public key\n"
	"already present under another name.  'revoke' sets the key's revoked_at:\n"
	"entries it signed at or after TIME fail verification (E_KEY_REVOKED),\n"
	"earlier ones pass with W_KEY_REVOKED_LATER.  'set-valid-until' ends the\n"
	"key's validity at TIME.  Neither moves a time already set later (that\n"
	"would make entries valid again); an earlier time is allowed.  'list' shows\n"
	"each key's identity, roles, validity and revocation, and the witness\n"
	"policy.  'policy' sets the witness policy: verify and ingest refuse an\n"
	"export whose checkpoint lacks valid cosignatures of N of the witnesses\n"
	"named (keys of the store with role witness) with E_WITNESS_QUORUM;\n"
	"'policy --none' removes it.  Every change is appended to KEYS.json.log:\n"
	"the time, the command, and the SHA-256 of the trust store before and\n"
	"after.\n";

static const char keys_tail[] =
	"Exit status: 0 done, 64 usage, 65 a malformed trust store or entry file,\n"
	"66 a missing file, 73 the trust store cannot be written.\n";

int cmd_keygen(int argc, char **argv, struct rb_err *e)
{
	struct rb_keygen_opts ko;
	struct rb_keygen_result kr;
	int json = 0, argi, rc;
	const struct cli_opt opts[] = {
		{ "name", CLI_STR, &ko.name, "NAME", "key name: 1-128 of A-Z a-z 0-9 . _ - @",
		  0, 0, NULL },
		{ "out", CLI_STR, &ko.dir, "DIR", "directory for the two files (created if "
		  "missing)", 0, 0, NULL },
		{ "roles", CLI_STR, &ko.roles, "LIST", "roles, comma separated (default: "
		  "entry,checkpoint);\nwords in use: entry, checkpoint, approver, report,\nwitness (alone, or with entry or approver)",
		  0, 0, NULL },
		{ "identity", CLI_STR, &ko.identity, "ID",
		  "the person or service the key belongs to (approvers)", 0, 0, NULL },
		{ "valid-from", CLI_TIME, &ko.valid_from, "TIME",
		  "start of validity, RFC 3339 UTC (default: now)", 0, 0, NULL },
		{ "json", CLI_FLAG, &json, NULL, "print a JSON object instead of the key string",
		  0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "keygen", keygen_synopsis, keygen_about, opts,
				     keygen_tail, 1 };

	memset(&ko, 0, sizeof(ko));
	ko.valid_from = rb_time_now();
	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (argi != argc)
		return cli_usage(e, "keygen", "unexpected argument '%s'", argv[argi]);
	if (ko.name == NULL || ko.dir == NULL)
		return cli_usage(e, "keygen", "--name and --out are required");
	if (rb_keygen(&ko, &kr, e) != 0)
		return -1;
	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "name", ko.name);
		cJSON_AddStringToObject(o, "private_key", kr.pem);
		cJSON_AddStringToObject(o, "public_entry", kr.pub);
		cJSON_AddStringToObject(o, "keystring", kr.keystring);
		s = cJSON_Print(o);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(o);
	} else {
		printf("%s\n", kr.keystring);
		fprintf(stderr, "rbaudit: wrote %s (private key, mode 0600) and %s\n", kr.pem,
			kr.pub);
	}
	return RB_EX_OK;
}

/* Load the store at path, or an empty one when create is set and it is missing. */
static int open_store(const char *path, int create, rb_trust **t, struct rb_err *e)
{
	if (create && access(path, F_OK) != 0)
		return rb_trust_new(t, e);
	return rb_trust_load(path, t, e);
}

/* The SHA-256 of path in hex, or 0 in *have when it does not exist. */
static int store_digest(const char *path, char hex[65], int *have, struct rb_err *e)
{
	uint8_t d[32];
	long long size;

	*have = access(path, F_OK) == 0;
	if (!*have)
		return 0;
	if (rb_sha256_file(path, d, &size, e) != 0)
		return -1;
	rb_hex_encode(d, 32, hex);
	return 0;
}

/* Save t to path and append the change to path.log. */
static int save_logged(const rb_trust *t, const char *path, const char *command,
		       struct rb_err *e)
{
	char before[65], after[65];
	int had, have;

	if (store_digest(path, before, &had, e) != 0 || rb_trust_save(t, path, e) != 0 ||
	    store_digest(path, after, &have, e) != 0)
		return -1;
	return rb_trust_log_change(path, command, had ? before : NULL, after, e);
}

static int keys_add(int argc, char **argv, const char *store, struct rb_err *e)
{
	rb_trust *t = NULL;
	const rb_tkey *k;
	int i, added, changed = 0, rc = -1;

	if (open_store(store, 1, &t, e) != 0)
		return -1;
	for (i = 0; i < argc; i++) {
		if (rb_trust_add_file(t, argv[i], &added, &k, e) != 0)
			goto out;
		printf("%s key '%s'\n", added ? "added" : "already present:", rb_tkey_name(k));
		changed |= added;
	}
	if (changed || access(store, F_OK) != 0) {
		char cmd[1024];
		size_t used = (size_t)snprintf(cmd, sizeof(cmd), "keys add");

		for (i = 0; i < argc && used < sizeof(cmd); i++)
			used += (size_t)snprintf(cmd + used, sizeof(cmd) - used, " %s", argv[i]);
		if (save_logged(t, store, cmd, e) != 0)
			goto out;
	}
	rc = RB_EX_OK;
out:
	rb_trust_free(t);
	return rc;
}

static void fmt_opt_time(const struct rb_time *t, char *out)
{
	if (t == NULL)
		strcpy(out, "-");
	else
		rb_time_format(t, out);
}

/* The store's witness policy: into o as "witness_policy", or printed when o is NULL. */
static void show_policy(const rb_trust *t, cJSON *o)
{
	cJSON *pol, *ws;
	size_t i;

	if (rb_trust_witness_quorum(t) == 0)
		return;
	if (o == NULL) {
		printf("witness policy: a quorum of %d of ", rb_trust_witness_quorum(t));
		for (i = 0; i < rb_trust_witness_count(t); i++)
			printf("%s%s", i ? ", " : "", rb_tkey_name(rb_trust_witness_at(t, i)));
		printf("\n");
		return;
	}
	pol = cJSON_AddObjectToObject(o, "witness_policy");
	cJSON_AddNumberToObject(pol, "quorum", rb_trust_witness_quorum(t));
	ws = cJSON_AddArrayToObject(pol, "witnesses");
	for (i = 0; i < rb_trust_witness_count(t); i++)
		cJSON_AddItemToArray(ws, cJSON_CreateString(rb_tkey_name(rb_trust_witness_at(t, i))));
}

static int keys_list(const char *store, int json, struct rb_err *e)
{
	rb_trust *t = NULL;
	cJSON *arr = NULL;
	size_t i;

	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	if (json)
		arr = cJSON_CreateArray();
	else
		printf("%-28s %-24s %-20s %-20s %-20s %-20s %s\n", "NAME", "IDENTITY", "ROLES",
		       "VALID FROM", "VALID UNTIL", "REVOKED AT", "KEY STRING");
	for (i = 0; i < rb_trust_count(t); i++) {
		const rb_tkey *k = rb_trust_at(t, i);
		char roles[256], from[RB_TIME_MAX], until[RB_TIME_MAX], rev[RB_TIME_MAX];
		char ks[RB_KEYSTRING_MAX];

		rb_tkey_roles(k, roles, sizeof(roles));
		fmt_opt_time(rb_tkey_valid_from(k), from);
		fmt_opt_time(rb_tkey_valid_until(k), until);
		fmt_opt_time(rb_tkey_revoked_at(k), rev);
		rb_tkey_keystring(k, ks);
		if (json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", rb_tkey_name(k));
			if (rb_tkey_identity(k) != NULL)
				cJSON_AddStringToObject(o, "identity", rb_tkey_identity(k));
			cJSON_AddStringToObject(o, "roles", roles);
			cJSON_AddStringToObject(o, "valid_from", from);
			if (rb_tkey_valid_until(k))
				cJSON_AddStringToObject(o, "valid_until", until);
			else
				cJSON_AddNullToObject(o, "valid_until");
			if (rb_tkey_revoked_at(k))
				cJSON_AddStringToObject(o, "revoked_at", rev);
			else
				cJSON_AddNullToObject(o, "revoked_at");
			cJSON_AddStringToObject(o, "keystring", ks);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-28s %-24s %-20s %-20s %-20s %-20s %s\n", rb_tkey_name(k),
			       rb_tkey_identity(k) ? rb_tkey_identity(k) : "-", roles, from, until,
			       rev, ks);
		}
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddItemToObject(o, "keys", arr);
		show_policy(t, o);
		s = cJSON_Print(o);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(o);
	} else {
		show_policy(t, NULL);
	}
	rb_trust_free(t);
	return RB_EX_OK;
}

/* keys revoke, keys set-valid-until: one end of a key's validity. */
static int keys_end(const char *sub, const char *name, const struct rb_time *at,
		    const char *store, struct rb_err *e)
{
	int revoke = strcmp(sub, "revoke") == 0;
	rb_trust *t = NULL;
	char ts[RB_TIME_MAX], cmd[512];
	int rc = -1;

	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	rb_time_format(at, ts);
	snprintf(cmd, sizeof(cmd), "keys %s %s --at %s", sub, name, ts);
	if ((revoke ? rb_trust_revoke(t, name, at, e) :
	     rb_trust_set_valid_until(t, name, at, e)) != 0 ||
	    save_logged(t, store, cmd, e) != 0)
		goto out;
	printf("%s key '%s' at %s\n", revoke ? "revoked" : "validity ends for", name, ts);
	rc = RB_EX_OK;
out:
	rb_trust_free(t);
	return rc;
}

/* keys policy: set the witness policy (quorum of the witnesses), or remove it (none). */
static int keys_policy(int quorum, const struct cli_strs *ws, int none, const char *store,
		       struct rb_err *e)
{
	rb_trust *t = NULL;
	char cmd[2048];
	size_t i, used;
	int rc = -1;

	if (none ? quorum != 0 || ws->n != 0 : quorum == 0 || ws->n == 0)
		return cli_usage(e, "keys", "policy takes --quorum N and one --witness NAME at "
				 "least, or --none");
	if (rb_trust_load(store, &t, e) != 0)
		return -1;
	used = (size_t)snprintf(cmd, sizeof(cmd), "keys policy");
	if (none)
		snprintf(cmd + used, sizeof(cmd) - used, " --none");
	else
		used += (size_t)snprintf(cmd + used, sizeof(cmd) - used, " --quorum %d", quorum);
	for (i = 0; i < ws->n && used < sizeof(cmd); i++)
		used += (size_t)snprintf(cmd + used, sizeof(cmd) - used, " --witness %s", ws->v[i]);
	if (rb_trust_set_witness_policy(t, quorum, ws->v, ws->n, e) != 0) {
		char m[sizeof(e->msg)];

		snprintf(m, sizeof(m), "%s", e->msg);
		RB_ERR(e, e->code, "trust store '%s': %s", store, m);
		goto out;
	}
	if (save_logged(t, store, cmd, e) != 0)
		goto out;
	if (none)
		printf("removed the witness policy\n");
	else
		show_policy(t, NULL);
	rc = RB_EX_OK;
out:
	rb_trust_free(t);
	return rc;
}

int cmd_keys(int argc, char **argv, struct rb_err *e)
{
	const char *store = NULL, *sub;
	struct rb_time at;
	struct cli_strs ws = { { NULL }, 0 };
	int json = 0, have_at = 0, quorum = 0, none = 0, argi, rc;
	const struct cli_opt opts[] = {
		{ "keys", CLI_STR, &store, "KEYS.json", "the trust store", 0, 0, NULL },
		{ "at", CLI_TIME, &at, "TIME", "revoke, set-valid-until: the time, RFC 3339 UTC",
		  0, 0, &have_at },
		{ "json", CLI_FLAG, &json, NULL, "list: a JSON object", 0, 0, NULL },
		{ "quorum", CLI_INT, &quorum, "N", "policy: how many of the witnesses must cosign",
		  1, RB_WITNESS_MAX, NULL },
		{ "witness", CLI_STRS, &ws, "NAME", "policy: a witness of the policy (a key with "
		  "role witness)", 0, 0, NULL },
		{ "none", CLI_FLAG, &none, NULL, "policy: remove the witness policy", 0, 0, NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "keys", keys_synopsis, keys_about, opts, keys_tail, 0 };

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cli_help(&cmd, stdout);
		return RB_EX_OK;
	}
	if (argc < 2)
		return cli_usage(e, "keys", "say add, list, revoke, set-valid-until or policy");
	sub = argv[1];
	if (sub[0] == '-')
		return cli_usage(e, "keys", "unknown option '%.60s' (the subcommand comes first: "
				 "add, list, revoke, set-valid-until or policy)", sub);
	if ((rc = cli_parse(&cmd, argc - 1, argv + 1, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (store == NULL)
		return cli_usage(e, "keys", "--keys KEYS.json is required");
	argc -= 1 + argi;
	argv += 1 + argi;
	if (strcmp(sub, "add") == 0) {
		if (argc < 1)
			return cli_usage(e, "keys", "add needs one FILE.pub.json at least");
		return keys_add(argc, argv, store, e);
	}
	if (strcmp(sub, "list") == 0) {
		if (argc != 0)
			return cli_usage(e, "keys", "list takes no arguments");
		return keys_list(store, json, e);
	}
	if (strcmp(sub, "revoke") == 0 || strcmp(sub, "set-valid-until") == 0) {
		if (argc != 1 || !have_at)
			return cli_usage(e, "keys", "%s takes one NAME and --at TIME", sub);
		return keys_end(sub, argv[0], &at, store, e);
	}
	if (strcmp(sub, "policy") == 0) {
		if (argc != 0)
			return cli_usage(e, "keys", "policy takes no arguments");
		return keys_policy(quorum, &ws, none, store, e);
	}
	return cli_usage(e, "keys", "unknown subcommand '%s': say add, list, revoke, "
			 "set-valid-until or policy", sub);
}
