/* util/cleanup: the functions behind the generic cleanup attributes of
 * hvc/util.h (_cleanup_free_, _cleanup_close_, _cleanup_fclose_,
 * _cleanup_json_). Safe on NULL and -1. At the very bottom of util: every
 * file may use them and they use nothing of hvc's. Cleanups of hvc's own
 * types live next to their type (hvc_strv_freep in strv.c, ...). */
#include "hvc/util.h"
#include <unistd.h>

void hvc_freep(void *p)
{
	free(*(void **)p);
}

void hvc_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

void hvc_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void hvc_json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}
