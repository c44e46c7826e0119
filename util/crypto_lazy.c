/* util/crypto_lazy: libcrypto (OpenSSL EVP, for sha256), loaded on first use
 * (see hvc/lazy.h). Linked, its relocation cost every hvc start ~0.8 ms,
 * including commands that never hash. Every libcrypto function hvc calls is
 * listed here; one that is not fails to link. */
#include "hvc/lazy.h"
#include <openssl/evp.h>

#ifndef HVC_SONAME_CRYPTO
#define HVC_SONAME_CRYPTO "libcrypto.so.3"
#endif
HVC_LAZY_LIB(crypto_lib, HVC_SONAME_CRYPTO);

/* One-shot */
HVC_LAZY_FN(crypto_lib, const EVP_MD *, EVP_sha256, (void), ())
HVC_LAZY_FN(crypto_lib, int, EVP_Digest,
	    (const void *data, size_t count, unsigned char *md, unsigned int *size,
	     const EVP_MD *type, ENGINE *impl),
	    (data, count, md, size, type, impl))

/* Streaming */
HVC_LAZY_FN(crypto_lib, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
HVC_LAZY_VOID_FN(crypto_lib, EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))
HVC_LAZY_FN(crypto_lib, int, EVP_DigestInit_ex,
	    (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *impl), (ctx, type, impl))
HVC_LAZY_FN(crypto_lib, int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t cnt),
	    (ctx, d, cnt))
HVC_LAZY_FN(crypto_lib, int, EVP_DigestFinal_ex,
	    (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *s), (ctx, md, s))

/* base64 (the registry client's basic auth and auth.json) */
HVC_LAZY_FN(crypto_lib, int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n),
	    (t, f, n))
HVC_LAZY_FN(crypto_lib, int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n),
	    (t, f, n))
