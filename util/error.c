/* util/error: the one error contract — struct hvc_error carries errno and a
 * message that grows context as it travels up the stack. Uses nothing of util
 * (the cleanup functions are in cleanup.c, string vectors in strv.c). */
#include <string.h>
#include "hvc/util.h"

static int ret_for(int errnum)
{
	return errnum ? -abs(errnum) : -1;
}

int hvc_err(struct hvc_error *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		if (errnum && n >= 0 && (size_t)n < sizeof(err->msg))
			snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(abs(errnum)));
		err->code = abs(errnum);
	}
	return ret_for(errnum);
}

int hvc_error_prefix(struct hvc_error *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return ret_for(err->code);
}

void hvc_error_clear(struct hvc_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
