/* util/strbuf: a growing, always NUL-terminated string. Writers never check
 * each append: a failed allocation sets oom, later appends do nothing, and the
 * owner checks oom once at the end (the domain XML and Dockerfile word
 * builders both work that way). */
#include <string.h>
#include "hvc/util.h"

/* Room for n more bytes and the NUL; false (and oom set) if there is none. */
static bool grow(struct hvc_strbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void hvc_strbuf_putn(struct hvc_strbuf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void hvc_strbuf_putc(struct hvc_strbuf *b, char c)
{
	hvc_strbuf_putn(b, &c, 1);
}

void hvc_strbuf_printf(struct hvc_strbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
