/* util/alloc: the one memory policy. Small allocations that cannot sensibly
 * be recovered from (a spec's arrays, a result's rows, a path) abort the
 * process with a message when memory runs out, as crun's xmalloc does: a
 * half-built container or result is worse than a clean stop, and an unchecked
 * NULL is worse still. Allocations whose size comes from outside (a blob, a
 * file read) keep checked malloc and report ENOMEM through hvc_error. */
#include <string.h>
#include <unistd.h>
#include "hvc/util.h"

__attribute__((noreturn)) static void oom(size_t n)
{
	char msg[96];
	int len = snprintf(msg, sizeof(msg), "hvc: out of memory (allocating %zu bytes)\n", n);
	if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0) {
		/* nothing more can be said */
	}
	abort();
}

void *hvc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *hvc_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	return p;
}

void *hvc_xrealloc(void *ptr, size_t nmemb, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(nmemb, size, &n))
		oom(SIZE_MAX);
	void *p = realloc(ptr, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

char *hvc_xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		oom(s ? strlen(s) + 1 : 1);
	return p;
}

char *hvc_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return p;
}
