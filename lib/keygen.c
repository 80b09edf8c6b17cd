/* keygen.c - a new key pair and its trust-store entry (keygen.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/keygen.h"
#include "lib/trust.h"

/* Roles: words of lowercase letters, digits, - and _, separated by commas. */
static int check_roles(const char *roles, struct rb_err *e)
{
	const char *p;

	if (roles[0] == '\0' || roles[0] == ',' || roles[strlen(roles) - 1] == ',' ||
	    strstr(roles, ",,") != NULL)
		return RB_ERR(e, RB_EX_USAGE, "roles are words separated by commas, not '%.60s'",
			      roles);
	for (p = roles; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == ','))
			return RB_ERR(e, RB_EX_USAGE,
				      "a role is lowercase letters, digits, - and _, not '%.60s'",
				      roles);
	return 0;
}

/* 1 when the comma separated roles hold word. */
static int has_role(const char *roles, const char *word)
{
	size_t n = strlen(word);
	const char *p = roles;

	for (;;) {
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) == NULL)
			return 0;
		p++;
	}
}

/* The two paths, DIR created; refuses an entry file that exists. */
static int key_paths(const struct rb_keygen_opts *o, struct rb_keygen_result *r,
		     struct rb_err *e)
{
	char fname[RB_KEYNAME_MAX + 16];

	snprintf(fname, sizeof(fname), "%s.pem", o->name);
	if (rb_mkdir_p(o->dir, 0750, e) != 0 ||
	    rb_path_join(r->pem, sizeof(r->pem), o->dir, fname, e) != 0)
		return -1;
	snprintf(fname, sizeof(fname), "%s.pub.json", o->name);
	if (rb_path_join(r->pub, sizeof(r->pub), o->dir, fname, e) != 0)
		return -1;
	if (access(r->pub, F_OK) == 0)
		return RB_ERR(e, RB_EX_CANTCREAT, "'%s' exists: refusing to replace a key", r->pub);
	return 0;
}

int rb_keygen(const struct rb_keygen_opts *o, struct rb_keygen_result *r, struct rb_err *e)
{
	const char *roles = o->roles != NULL ? o->roles : "entry,checkpoint";
	rb_privkey *key = NULL;
	cJSON *entry = NULL;
	uint8_t raw[32];
	int rc = -1, wrote_pem = 0, witness;

	memset(r, 0, sizeof(*r));
	if (!rb_keyname_valid(o->name))
		return RB_ERR(e, RB_EX_USAGE, "invalid key name '%.60s' (1-128 of A-Z a-z 0-9 "
			      ". _ - @)", o->name);
	if (check_roles(roles, e) != 0)
		return -1;
	/* One key ID and key string per key, of one signature type (lib/trust.h). */
	witness = has_role(roles, "witness");
	if (witness && (has_role(roles, "checkpoint") || has_role(roles, "report")))
		return RB_ERR(e, RB_EX_USAGE, "a witness key has no other role that signs notes: "
			      "not checkpoint or report (make a key for each)");
	if (o->identity != NULL && o->identity[0] == '\0')
		return RB_ERR(e, RB_EX_USAGE, "a key's identity must not be empty");
	if (key_paths(o, r, e) != 0 || rb_privkey_generate(&key, e) != 0 ||
	    rb_privkey_save(key, r->pem, e) != 0)
		goto out;
	wrote_pem = 1;
	rb_privkey_public(key, raw);
	entry = rb_tkey_entry(o->name, o->identity, raw, roles, &o->valid_from);
	if (entry == NULL) {
		RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (rb_write_json(r->pub, entry, 0644, e) != 0)
		goto out;
	rb_keystring_type(o->name, raw, witness ? RB_SIGTYPE_COSIGNATURE : RB_SIGTYPE_ED25519,
			  r->keystring);
	rc = 0;
out:
	if (rc != 0 && wrote_pem)
		unlink(r->pem);
	cJSON_Delete(entry);
	rb_privkey_free(key);
	return rc;
}
