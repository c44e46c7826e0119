/* engine/net/net_nft: applies the table rendered by net_render.c through
 * libnftables (loaded on first use: util/nft_lazy.c) — the same parser and
 * transaction as `nft -f`, without a process. */
#include "hvc/network.h"
#include <nftables/libnftables.h>
#include <string.h>

static void nft_freep(struct nft_ctx **c)
{
	if (*c)
		nft_ctx_free(*c);
}
#define _cleanup_nft_ctx_ __attribute__((cleanup(nft_freep)))

/* The kernel's answer when nf_tables (or its nat, fib parts) is missing. */
static bool lacks_nf_tables(const char *msg)
{
	return strstr(msg, "Operation not supported") || strstr(msg, "Protocol not supported") ||
	       strstr(msg, "No such file or directory");
}

int hvc_net_nft_apply(const char *text, struct hvc_error *err)
{
	_cleanup_nft_ctx_ struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return hvc_err(err, ENOMEM, "nftables context");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, text) == 0)
		return 0;
	const char *e = nft_ctx_get_error_buffer(ctx);
	char first[512];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(e ? e : "", "\n"), e ? e : "");
	if (e && lacks_nf_tables(e))
		return hvc_err(
		    err, EOPNOTSUPP,
		    "nftables: the kernel lacks nf_tables or its nat/fib "
		    "expressions (CONFIG_NF_TABLES, nft_nat, nft_fib_inet, nft_masq): %s",
		    first);
	return hvc_err(err, EIO, "nftables: %s", first);
}
