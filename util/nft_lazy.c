/* util/nft_lazy: libnftables, loaded on first use (see hvc/lazy.h). Only the
 * network module's rule updates (engine/net/net_nft.c) need it, and it
 * drags in libnftnl, libmnl, libjansson and libxtables. */
#include "hvc/lazy.h"
#include <nftables/libnftables.h>

#ifndef HVC_SONAME_NFT
#define HVC_SONAME_NFT "libnftables.so.1"
#endif
HVC_LAZY_LIB(nft_lib, HVC_SONAME_NFT);

HVC_LAZY_FN(nft_lib, struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags))
HVC_LAZY_VOID_FN(nft_lib, nft_ctx_free, (struct nft_ctx * ctx), (ctx))
HVC_LAZY_FN(nft_lib, int, nft_ctx_buffer_output, (struct nft_ctx * ctx), (ctx))
HVC_LAZY_FN(nft_lib, int, nft_ctx_buffer_error, (struct nft_ctx * ctx), (ctx))
HVC_LAZY_FN(nft_lib, const char *, nft_ctx_get_error_buffer, (struct nft_ctx * ctx), (ctx))
HVC_LAZY_FN(nft_lib, int, nft_run_cmd_from_buffer, (struct nft_ctx * nft, const char *buf),
	    (nft, buf))
