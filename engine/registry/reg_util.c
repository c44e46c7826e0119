/* engine/registry/reg_util: small shared pieces of the registry client —
 * its error helper, URLs and scopes, progress events, base64 (EVP). */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include "reg_internal.h"

int hvc_reg_err(struct hvc_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return -1;
}

char *hvc_reg_url(struct hvc_reg_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = NULL;
	if (vasprintf(&path, fmt, ap) < 0)
		path = NULL;
	va_end(ap);
	if (!path)
		return NULL;
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
		return path; /* a Location header is absolute already */
	char *u = hvc_xasprintf("%s%s", c->base, path);
	free(path);
	return u;
}

char *hvc_reg_scope(const char *repo, const char *actions)
{
	return hvc_xasprintf("repository:%s:%s", repo, actions);
}

void hvc_reg_progress(const struct hvc_reg_opts *o, enum hvc_reg_event ev, const char *what,
		      const char *digest, int64_t done, int64_t total, uint64_t t0)
{
	if (!o || !o->progress)
		return;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* push reports from threads */
	struct hvc_reg_progress p = { .ev = ev, .what = what, .digest = digest, .done = done,
				      .total = total, .elapsed_ns = t0 ? hvc_now_ns() - t0 : 0 };
	pthread_mutex_lock(&lock);
	o->progress(&p, o->progress_data);
	pthread_mutex_unlock(&lock);
}

char *hvc_reg_base64(const char *s)
{
	size_t n = strlen(s);
	char *out = hvc_xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

char *hvc_reg_unbase64(const char *s)
{
	size_t n = strlen(s);
	if (n % 4 || n > (1 << 16))
		return NULL;
	unsigned char *out = hvc_xmalloc(3 * (n / 4) + 1);
	int m = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (m < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the '=' padding as zero bytes */
	for (size_t i = n; i > 0 && s[i - 1] == '='; i--)
		m--;
	out[m] = '\0';
	if (memchr(out, '\0', (size_t)m)) {
		free(out);
		return NULL;
	}
	return (char *)out;
}
