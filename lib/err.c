/* err.c - filling struct rb_err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

void rb_err_vset(struct rb_err *e, int code, const char *file, int line,
		 const char *fmt, va_list ap)
{
	if (e == NULL)
		return;
	e->code = code;
	e->file = file;
	e->line = line;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void rb_err_vssl(struct rb_err *e, int code, const char *file, int line,
		 const char *fmt, va_list ap)
{
	unsigned long ec;
	size_t n;

	if (e == NULL) {
		ERR_clear_error();
		return;
	}
	rb_err_vset(e, code, file, line, fmt, ap);
	while ((ec = ERR_get_error()) != 0) {
		n = strlen(e->msg);
		if (n + 3 >= sizeof(e->msg))
			continue;       /* keep draining the queue */
		e->msg[n++] = ':';
		e->msg[n++] = ' ';
		ERR_error_string_n(ec, e->msg + n, sizeof(e->msg) - n);
	}
}

void rb_err_clear(struct rb_err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = '\0';
	e->file = NULL;
	e->line = 0;
}
