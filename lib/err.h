/*
 * err.h - the one way rbaudit code fails.
 *
 * Every function that can fail returns int: 0 on success, -1 on failure,
 * after filling the caller's struct rb_err with an exit code (one of
 * enum rb_exit), a message and the source location that raised it.  Library
 * code never prints and never exits; only the command line layer does.
 * struct rb_err is plain data owned by the caller (usually on its stack).
 */
#ifndef RB_ERR_H
#define RB_ERR_H

#include <stdarg.h>

/* Exit codes, documented in rbaudit.1 and README.md (sysexits.h values). */
enum rb_exit {
	RB_EX_OK = 0,           /* success */
	RB_EX_FAIL = 1,         /* verification or policy failure found */
	RB_EX_REJECTED = 2,     /* run: an export was rejected (tampering suspected) */
	RB_EX_USAGE = 64,       /* command line misuse */
	RB_EX_DATAERR = 65,     /* malformed input */
	RB_EX_NOINPUT = 66,     /* input missing or unreadable */
	RB_EX_SOFTWARE = 70,    /* internal error */
	RB_EX_CANTCREAT = 73,   /* cannot create output */
	RB_EX_IOERR = 74,       /* I/O error */
	RB_EX_TEMPFAIL = 75,    /* temporary failure (database busy): retry */
	RB_EX_CONFIG = 78       /* configuration error */
};

struct rb_err {
	int code;               /* enum rb_exit */
	char msg[512];
	const char *file;       /* source file that raised it */
	int line;
};

/* Fill *e (which may be NULL) from a format and its arguments. */
void rb_err_vset(struct rb_err *e, int code, const char *file, int line,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* Like rb_err_vset, then append ": " and the drained OpenSSL error queue. */
void rb_err_vssl(struct rb_err *e, int code, const char *file, int line,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/*
 * Fill *e and return -1.  Defined here so that compilers and static
 * analysers see the -1 that every caller returns.
 */
__attribute__((format(printf, 5, 6)))
static inline int rb_err_set(struct rb_err *e, int code, const char *file, int line,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rb_err_vset(e, code, file, line, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 5, 6)))
static inline int rb_err_ssl(struct rb_err *e, int code, const char *file, int line,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rb_err_vssl(e, code, file, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Reset *e to "no error". */
void rb_err_clear(struct rb_err *e);

/*
 * The error pattern: "return RB_ERR(e, RB_EX_..., "fmt", ...);".  The -1
 * is spelled out in the macro so that static analysers, which do not look
 * into variadic calls, see it too.
 */
#define RB_ERR(e, code, ...) __extension__ ({ \
	rb_err_set((e), (code), __FILE__, __LINE__, __VA_ARGS__); -1; })
#define RB_ERR_SSL(e, code, ...) __extension__ ({ \
	rb_err_ssl((e), (code), __FILE__, __LINE__, __VA_ARGS__); -1; })

#endif
