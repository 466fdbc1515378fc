/* setup_error.c: one recorded error line; see setup_error.h. */
#include "setup_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char last_error[512];

int setup_fail(const char *fmt, ...)
{
	int err = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	len = strlen(last_error);
	snprintf(last_error + len, sizeof(last_error) - len, ": %s", strerror(err));
	errno = err;
	return -1;
}

int setup_fail_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return -1;
}

const char *setup_error(void)
{
	return last_error;
}
