/*
 * keygen.h - a new Ed25519 key pair and its trust-store entry, as files.
 *
 * rb_keygen() makes DIR/NAME.pem (PKCS#8, mode 0600; the private key is
 * never printed or returned) and DIR/NAME.pub.json (the key's trust-store
 * entry: name, identity, roles, validity), creating DIR when missing.  It
 * refuses to replace an existing entry file and removes the private key
 * again when the entry cannot be written.  Plain data in and out.
 */
#ifndef RB_KEYGEN_H
#define RB_KEYGEN_H

#include <limits.h>

#include "lib/err.h"
#include "lib/rtime.h"
#include "lib/trust.h"

struct rb_keygen_opts {
	const char *name;               /* 1-128 of A-Z a-z 0-9 . _ - @ */
	const char *dir;
	const char *roles;              /* comma separated words; NULL: entry,checkpoint */
	const char *identity;           /* the person or service; NULL for none */
	struct rb_time valid_from;
};

struct rb_keygen_result {
	char pem[PATH_MAX];             /* the private key file */
	char pub[PATH_MAX];             /* the trust-store entry file */
	char keystring[RB_KEYSTRING_MAX];       /* C2SP verifier key NAME+HASH+KEY */
};

/* 0, or -1 with *e: RB_EX_USAGE for a bad name, roles or identity. */
int rb_keygen(const struct rb_keygen_opts *o, struct rb_keygen_result *r, struct rb_err *e);

#endif
