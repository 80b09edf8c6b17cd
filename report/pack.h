/*
 * pack.h - a report folder and its MANIFEST (internal to report/).
 *
 * A report folder changes all at once or not at all.  rb_pack_begin locks
 * the folder's parent (flock on the directory itself, so nothing is left
 * behind), repairs what a crashed run left (see below) and creates the new
 * folder beside the old one, `.NAME.rbaudit-new`; every file is written
 * there; rb_pack_commit then swaps the two folders in one rename
 * (RENAME_EXCHANGE) and removes the old one.  Where the file system cannot
 * exchange, the old folder is renamed to `.NAME.rbaudit-old`, the new one
 * in, and the old one removed; a crash between those two renames leaves
 * `.NAME.rbaudit-old` without NAME, which the next rb_pack_begin renames
 * back.  rb_pack_abort removes the new folder: the old one is untouched.
 *
 * A MANIFEST lists every regular file under its folder (subfolders too,
 * names with '/') but itself, sorted by name, with SHA-256 and size.
 * struct rb_pack is plain data owned by the caller.
 */
#ifndef RB_PACK_H
#define RB_PACK_H

#include <limits.h>

#include "lib/crypto.h"
#include "lib/err.h"
#include "lib/trust.h"

struct rb_pack {
	char dir[PATH_MAX];     /* the report folder, no trailing '/' */
	char parent[PATH_MAX];
	char newdir[PATH_MAX];  /* parent/.NAME.rbaudit-new */
	char olddir[PATH_MAX];  /* parent/.NAME.rbaudit-old */
	int lockfd;             /* the parent, locked; -1 */
	int writing;            /* newdir is ours: abort removes it */
	int refused_unsigned;   /* rb_pack_check refused to replace a signed folder
				 * with an unsigned report */
};

/* Work out the names for out_dir (nothing is touched).  RB_EX_USAGE. */
int rb_pack_plan(const char *out_dir, struct rb_pack *p, struct rb_err *e);

/*
 * May a report replace p->dir?  It may when the folder is missing or empty,
 * or when it is one rbaudit wrote (rb_report_owned); a signed folder only
 * by a signed report unless allow_unsigned (else p->refused_unsigned is set,
 * for the caller to say how to allow it).  Else RB_EX_CANTCREAT, naming the
 * first file that is not rbaudit's.  Reads only.
 */
int rb_pack_check(struct rb_pack *p, int signing, int allow_unsigned, struct rb_err *e);

/* Lock, repair, check (as rb_pack_check) and create the new folder. */
int rb_pack_begin(struct rb_pack *p, int signing, int allow_unsigned, struct rb_err *e);

/*
 * Write newdir/MANIFEST for origin and period, with tree ("SIZE ROOT": the
 * ledger's size and base64 root the reports were made from), signed by key
 * as keyname when key is not NULL.
 */
int rb_pack_manifest(const struct rb_pack *p, const char *origin, const char *period,
		     const char *tree, const rb_privkey *key, const char *keyname,
		     struct rb_err *e);

/* Put the new folder in place of the old one, remove the old one, unlock. */
int rb_pack_commit(struct rb_pack *p, struct rb_err *e);

/*
 * Is p->dir current: a folder verify-report calls VALID under t (for an
 * unsigned report, valid but for the missing signature), that lists every
 * file in names[0..n)?  A missing folder or MANIFEST is not current (0).
 */
int rb_pack_current(const struct rb_pack *p, const rb_trust *t, int want_signed,
		    const char (*names)[256], size_t n, int *current, struct rb_err *e);

/* Remove the new folder (if this run made it) and unlock.  Never fails. */
void rb_pack_abort(struct rb_pack *p);

#endif
