/* cmd_keys.c - rbaudit keygen and rbaudit keys (add, list, revoke). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "lib/crypto.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/rtime.h"
#include "lib/trust.h"

static const char keygen_usage[] =
	"usage: rbaudit keygen --name NAME --out DIR [--roles ROLE,...] [--identity ID]\n"
	"                      [--valid-from TIME] [--json]\n"
	"\n"
	"Make an Ed25519 key pair: DIR/NAME.pem (PKCS#8, mode 0600, never printed)\n"
	"and DIR/NAME.pub.json (its trust-store entry).  Prints the C2SP verifier\n"
	"key string NAME+HASH+KEY.\n"
	"\n"
	"  --name NAME        key name: 1-128 of A-Z a-z 0-9 . _ - @\n"
	"  --out DIR          directory for the two files (created if missing)\n"
	"  --roles LIST       roles, comma separated (default: entry,checkpoint);\n"
	"                     words in use: entry, checkpoint, approver, report\n"
	"  --identity ID      the person or service the key belongs to (approvers)\n"
	"  --valid-from TIME  start of validity, RFC 3339 UTC (default: now)\n"
	"  --json             print a JSON object instead of the key string\n";

static const char keys_usage[] =
	"usage: rbaudit keys add FILE.pub.json... --keys KEYS.json\n"
	"       rbaudit keys list --keys KEYS.json [--json]\n"
	"       rbaudit keys revoke NAME --at TIME --keys KEYS.json\n"
	"       rbaudit keys set-valid-until NAME --at TIME --keys KEYS.json\n"
	"\n"
	"Keep a trust store.  'add' creates KEYS.json when it does not exist and\n"
	"refuses a different key under a name already present, and a public key\n"
	"already present under another name.  'revoke' sets the key's revoked_at:\n"
	"entries it signed at or after TIME fail verification (E_KEY_REVOKED),\n"
	"earlier ones pass with W_KEY_REVOKED_LATER.  'set-valid-until' ends the\n"
	"key's validity at TIME.  Neither moves a time already set later (that\n"
	"would make entries valid again); an earlier time is allowed.  'list' shows\n"
	"each key's identity, roles, validity and revocation.  Every change is\n"
	"appended to KEYS.json.log: the time, the command, and the SHA-256 of the\n"
	"trust store before and after.\n";

static int parse_time_arg(const char *cmd, const char *opt, const char *arg,
			  struct rb_time *t, struct rb_err *e)
{
	if (rb_time_parse(arg, strlen(arg), t) != 0)
		return cli_usage(e, cmd, "%s takes an RFC 3339 UTC time like "
				 "2026-08-01T00:00:00Z, not '%s'", opt, arg);
	return 0;
}

static int check_roles(const char *roles, struct rb_err *e)
{
	const char *p;

	if (roles[0] == '\0' || roles[0] == ',' || roles[strlen(roles) - 1] == ',' ||
	    strstr(roles, ",,") != NULL)
		return cli_usage(e, "keygen", "--roles takes words separated by commas");
	for (p = roles; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == ','))
			return cli_usage(e, "keygen",
					 "--roles: a role is lowercase letters, digits, - and _");
	return 0;
}

int cmd_keygen(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "roles", required_argument, NULL, 'r' },
		{ "identity", required_argument, NULL, 'i' },
		{ "valid-from", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *dir = NULL, *roles = "entry,checkpoint", *identity = NULL;
	char pem[PATH_MAX], pub[PATH_MAX], fname[RB_KEYNAME_MAX + 16];
	char ks[RB_KEYSTRING_MAX];
	struct rb_time from = rb_time_now();
	rb_privkey *key = NULL;
	cJSON *entry = NULL;
	uint8_t raw[32];
	int c, json = 0, rc = -1, wrote_pem = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'o': dir = optarg; break;
		case 'r': roles = optarg; break;
		case 'i': identity = optarg; break;
		case 'j': json = 1; break;
		case 'f':
			if (parse_time_arg("keygen", "--valid-from", optarg, &from, e) != 0)
				return -1;
			break;
		case 'h': fputs(keygen_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "keygen", opts, argc, argv);
		}
	}
	if (optind != argc)
		return cli_usage(e, "keygen", "unexpected argument '%s'", argv[optind]);
	if (name == NULL || dir == NULL)
		return cli_usage(e, "keygen", "--name and --out are required");
	if (!rb_keyname_valid(name))
		return cli_usage(e, "keygen", "invalid key name '%s' (1-128 of A-Z a-z 0-9 . _ - @)",
				 name);
	if (check_roles(roles, e) != 0)
		return -1;
	if (identity != NULL && identity[0] == '\0')
		return cli_usage(e, "keygen", "--identity must not be empty");
	snprintf(fname, sizeof(fname), "%s.pem", name);
	if (rb_mkdir_p(dir, 0750, e) != 0 ||
	    rb_path_join(pem, sizeof(pem), dir, fname, e) != 0)
		return -1;
	snprintf(fname, sizeof(fname), "%s.pub.json", name);
	if (rb_path_join(pub, sizeof(pub), dir, fname, e) != 0)
		return -1;
	if (access(pub, F_OK) == 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "'%s' exists: refusing to replace a key", pub);
	if (rb_privkey_generate(&key, e) != 0)
		goto out;
	if (rb_privkey_save(key, pem, e) != 0)
		goto out;
	wrote_pem = 1;
	rb_privkey_public(key, raw);
	entry = rb_tkey_entry(name, identity, raw, roles, &from);
	if (entry == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_write_json(pub, entry, 0644, e) != 0)
		goto out;
	rb_keystring(name, raw, ks);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "private_key", pem);
		cJSON_AddStringToObject(o, "public_entry", pub);
		cJSON_AddStringToObject(o, "keystring", ks);
		s = cJSON_Print(o);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(o);
	} else {
		printf("%s\n", ks);
		fprintf(stderr, "rbaudit: wrote %s (private key, mode 0600) and %s\n", pem, pub);
	}
	rc = RB_EX_OK;
out:
	if (rc < 0 && wrote_pem)
		unlink(pem);
	cJSON_Delete(entry);
	rb_privkey_free(key);
	return rc;
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
	cJSON *entry = NULL;
	char *buf = NULL, why[160];
	size_t len;
	int i, added, changed = 0, rc = -1;

	if (open_store(store, 1, &t, e) != 0)
		return -1;
	for (i = 0; i < argc; i++) {
		if (rb_read_file(argv[i], 1u << 20, &buf, &len, e) != 0)
			goto out;
		if (rb_json_parse(buf, len, 8, &entry, why, sizeof(why)) != 0) {
			RB_ERR(e, RB_EX_DATAERR, "'%s': %s", argv[i], why);
			goto out;
		}
		if (rb_trust_add(t, entry, &added, e) != 0) {
			char m[sizeof(e->msg)];

			snprintf(m, sizeof(m), "%s", e->msg);
			RB_ERR(e, e->code, "'%s': %s", argv[i], m);
			goto out;
		}
		printf("%s key '%s'\n", added ? "added" : "already present:",
		       rb_json_str(entry, "name"));
		changed |= added;
		cJSON_Delete(entry);
		entry = NULL;
		free(buf);
		buf = NULL;
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
	cJSON_Delete(entry);
	free(buf);
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
		rb_keystring(rb_tkey_name(k), rb_pubkey_raw(rb_tkey_pub(k)), ks);
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
		s = cJSON_Print(o);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(o);
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

int cmd_keys(int argc, char **argv, struct rb_err *e)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *store = NULL, *sub;
	struct rb_time at;
	int c, json = 0, have_at = 0;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(keys_usage, stdout);
		return RB_EX_OK;
	}
	if (argc < 2)
		return cli_usage(e, "keys", "say add, list, revoke or set-valid-until");
	sub = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': store = optarg; break;
		case 'j': json = 1; break;
		case 'a':
			if (parse_time_arg("keys", "--at", optarg, &at, e) != 0)
				return -1;
			have_at = 1;
			break;
		case 'h': fputs(keys_usage, stdout); return RB_EX_OK;
		default: return cli_bad_option(e, "keys", opts, argc - 1, argv + 1);
		}
	}
	if (store == NULL)
		return cli_usage(e, "keys", "--keys KEYS.json is required");
	argc -= 1 + optind;
	argv += 1 + optind;
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
	return cli_usage(e, "keys", "unknown subcommand '%s': say add, list, revoke or "
			 "set-valid-until", sub);
}
