/* engine/image/image_digest: SHA-256 digests (OpenSSL EVP) in OCI's "sha256:<hex>" form. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "image_internal.h"

int hvc_hasher_init(struct hvc_hasher *h)
{
	h->bytes = 0;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
		return -1;
	}
	return 0;
}

void hvc_hasher_update(struct hvc_hasher *h, const void *data, size_t len)
{
	if (h->ctx && len)
		EVP_DigestUpdate(h->ctx, data, len);
	h->bytes += (int64_t)len;
}

void hvc_hasher_final(struct hvc_hasher *h, char out[HVC_DIGEST_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (h->ctx)
		EVP_DigestFinal_ex(h->ctx, md, &n);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < n && i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
	hvc_hasher_free(h);
}

void hvc_hasher_free(struct hvc_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

bool hvc_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

void hvc_digest_buf(const void *data, size_t len, char out[HVC_DIGEST_LEN])
{
	struct hvc_hasher h;
	hvc_hasher_init(&h);
	hvc_hasher_update(&h, data, len);
	hvc_hasher_final(&h, out);
}

int hvc_digest_file(const char *path, char out[HVC_DIGEST_LEN], int64_t *size,
		    struct hvc_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "open `%s`", path);
	struct hvc_hasher h;
	if (hvc_hasher_init(&h) < 0)
		return hvc_err(err, ENOMEM, "sha256 `%s`", path);
	char buf[1 << 16];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			hvc_hasher_free(&h);
			return hvc_err(err, e, "read `%s`", path);
		}
		if (r == 0)
			break;
		hvc_hasher_update(&h, buf, (size_t)r);
	}
	if (size)
		*size = h.bytes;
	hvc_hasher_final(&h, out);
	return 0;
}

int hvc_image_err(struct hvc_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code ? -code : -1;
}
