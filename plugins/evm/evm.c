/*
 * evm: EVM networks (Ethereum, BSC, Polygon, devnets), network kind. One
 * file serves any number of instances, each from its settings block:
 *
 *   settings:
 *     rpc_urls: [https://a.example/KEY, https://b.example]  # failover
 *     chain_id: 1
 *     confirmations: 0          # or finality: finalized
 *     blocks_per_batch: 20
 *     request_timeout_ms: 10000
 *     rpc_batch_limit: 50
 *     receipts: block            # or transaction
 *     poll_interval_ms: 2000     # read by the host's scanner
 *     tokens: [0xdAC17F958D2ee523a2206206994597C13D831ec7]
 *
 * Addresses are derived at xpub/0/index (the receive chain below an
 * account key) and written with the EIP-55 checksum. scan (scan.c) reads
 * blocks with full transactions, Transfer logs and receipts over JSON-RPC
 * (rpc.c). See docs/plugins-evm.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/address.h"
#include "common/bip32.h"
#include "common/uri.h"
#include "evm.h"

#define EVM_URL_MAX 2048

static const char *const finality_choices[] = { "latest", "finalized", NULL };
static const char *const receipts_choices[] = { "block", "transaction", NULL };

static const struct cg_plugin_key evm_keys[] = {
	{ .name = "rpc_urls", .type = CG_KEY_STRING_LIST,
	  .flags = CG_KEY_REQUIRED, .min = 1, .max = EVM_RPC_URLS_MAX,
	  .description = "JSON-RPC URLs, tried in order (failover)" },
	{ .name = "chain_id", .type = CG_KEY_INT, .flags = CG_KEY_REQUIRED,
	  .min = 1, .max = INT64_C(4503599627370495),
	  .description = "expected eth_chainId; a node on another chain is "
	  "refused" },
	{ .name = "confirmations", .type = CG_KEY_INT, .default_value = "0",
	  .min = 0, .max = 100000,
	  .description = "blocks the scan stays behind the head (0: scan to "
	  "the head; the host counts confirmations)" },
	{ .name = "finality", .type = CG_KEY_ENUM, .default_value = "latest",
	  .choices = finality_choices,
	  .description = "latest, or finalized: scan only up to the block "
	  "tagged finalized" },
	{ .name = "poll_interval_ms", .type = CG_KEY_INT,
	  .default_value = "2000", .min = 100, .max = 3600000,
	  .description = "how often the host's scanner asks for new blocks" },
	{ .name = "blocks_per_batch", .type = CG_KEY_INT, .default_value = "20",
	  .min = 1, .max = 1000,
	  .description = "most blocks one scan call reads" },
	{ .name = "request_timeout_ms", .type = CG_KEY_INT,
	  .default_value = "10000", .min = 100, .max = 60000,
	  .description = "timeout of one HTTP request to a node" },
	{ .name = "rpc_batch_limit", .type = CG_KEY_INT, .default_value = "50",
	  .min = 1, .max = 1000,
	  .description = "most JSON-RPC calls in one HTTP request" },
	{ .name = "receipts", .type = CG_KEY_ENUM, .default_value = "block",
	  .choices = receipts_choices,
	  .description = "block: eth_getBlockReceipts per block (fast); "
	  "transaction: full blocks, eth_getLogs and one receipt per payment "
	  "(for nodes without eth_getBlockReceipts)" },
	{ .name = "tokens", .type = CG_KEY_STRING_LIST, .min = 0, .max = 256,
	  .description = "ERC-20 contracts watched besides those the host "
	  "passes with each scan" },
};

static int
put_str(const char *s, char *out, size_t out_size, size_t *out_len)
{
	size_t len = strlen(s);

	if (out_len != NULL)
		*out_len = len;
	if (out == NULL || len >= out_size)
		return -ENOSPC;
	memcpy(out, s, len + 1);
	return 0;
}

/* From cgchain's (needed = size with NUL) to the ABI's (length). */
static int
from_needed(int rc, const char *out, size_t needed, size_t *out_len)
{
	if (out_len == NULL)
		return rc;
	if (rc == 0)
		*out_len = strlen(out);
	else if (rc == -ENOSPC)
		*out_len = needed > 0 ? needed - 1 : 0;
	return rc;
}

static int
read_int(struct evm *e, const char *key, int64_t *out)
{
	int rc = e->api->config_int(e->host, key, out);

	if (rc < 0)
		e->api->log(e->host, CG_PLUGIN_LOG_ERROR, "setting %s "
		    "unreadable", key);
	return rc;
}

static int
read_urls(struct evm *e)
{
	char url[EVM_URL_MAX], path[32];
	uint32_t n;
	size_t len;
	int rc;

	if ((rc = e->api->config_count(e->host, "rpc_urls", &n)) < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "rpc_urls.%u", i);
		if ((rc = e->api->config_string(e->host, path, url,
		    sizeof(url), &len)) < 0)
			return rc;
		if ((rc = evm_rpc_add_url(&e->rpc, url)) < 0) {
			/* The URL itself may carry a key: name its index. */
			e->api->log(e->host, CG_PLUGIN_LOG_ERROR, "rpc_urls.%u "
			    "is not an http:// or https:// URL", i);
			return -EINVAL;
		}
	}
	return 0;
}

static int
read_tokens(struct evm *e)
{
	char text[128], path[32];
	uint32_t n = 0;
	size_t len;
	int rc;

	rc = e->api->config_count(e->host, "tokens", &n);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (n > EVM_TOKENS_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "tokens.%u", i);
		if ((rc = e->api->config_string(e->host, path, text,
		    sizeof(text), &len)) < 0)
			return rc;
		if (cgc_evm_address_parse(text, e->tokens[i]) < 0) {
			e->api->log(e->host, CG_PLUGIN_LOG_ERROR, "tokens.%u: "
			    "not an address (or a bad EIP-55 checksum): %.60s",
			    i, text);
			return -EINVAL;
		}
	}
	e->token_count = n;
	return 0;
}

static int
read_settings(struct evm *e)
{
	char fin[16];
	int64_t v;
	size_t len;
	int rc;

	if ((rc = read_int(e, "chain_id", &v)) < 0)
		return rc;
	e->rpc.chain_id = (uint64_t)v;
	if ((rc = read_int(e, "confirmations", &v)) < 0)
		return rc;
	e->confirmations = (uint64_t)v;
	if ((rc = read_int(e, "blocks_per_batch", &v)) < 0)
		return rc;
	e->blocks_per_batch = (uint32_t)v;
	if ((rc = read_int(e, "request_timeout_ms", &v)) < 0)
		return rc;
	e->rpc.timeout_ms = (uint32_t)v;
	if ((rc = read_int(e, "rpc_batch_limit", &v)) < 0)
		return rc;
	e->rpc.batch_limit = (uint32_t)v;
	if ((rc = e->api->config_string(e->host, "finality", fin, sizeof(fin),
	    &len)) < 0)
		return rc;
	e->finalized = strcmp(fin, "finalized") == 0;
	if ((rc = e->api->config_string(e->host, "receipts", fin, sizeof(fin),
	    &len)) < 0)
		return rc;
	e->block_receipts = strcmp(fin, "block") == 0;
	if (e->finalized && e->confirmations != 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_ERROR, "finality: finalized "
		    "and confirmations > 0 exclude each other");
		return -EINVAL;
	}
	if ((rc = read_urls(e)) < 0)
		return rc;
	return read_tokens(e);
}

static void
evm_destroy(void *instance)
{
	struct evm *e = instance;

	if (e == NULL)
		return;
	evm_rpc_free(&e->rpc);
	free(e);
}

/*
 * Every URL is asked for its chain id now: one that answers another chain
 * refuses the instance (a configuration error an operator must see at
 * start). A URL that cannot be reached is checked before its first use.
 */
static int
evm_create(const struct cg_host_api *api, struct cg_host *host,
    void **instance)
{
	struct evm *e;
	int rc;

	if (!CG_HAS_MEMBER(api, struct cg_host_api, stopping))
		return -ENOTSUP;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->api = api;
	e->host = host;
	e->rpc.api = api;
	e->rpc.host = host;
	e->rpc.last = -1;
	if ((rc = read_settings(e)) < 0)
		goto fail;
	if ((rc = evm_rpc_check_all(&e->rpc)) < 0) {
		api->log(host, CG_PLUGIN_LOG_ERROR, "instance refused: a node "
		    "serves another chain than chain_id %llu",
		    (unsigned long long)e->rpc.chain_id);
		goto fail;
	}
	api->log(host, CG_PLUGIN_LOG_INFO, "ready chain_id=%llu urls=%u "
	    "tokens=%u finality=%s confirmations=%llu receipts=%s",
	    (unsigned long long)e->rpc.chain_id, e->rpc.count, e->token_count,
	    e->finalized ? "finalized" : "latest",
	    (unsigned long long)e->confirmations,
	    e->block_receipts ? "block" : "transaction");
	*instance = e;
	return 0;
fail:
	evm_destroy(e);
	return rc;
}

/* xpub (or tpub) with no script type: what EVM wallets export. */
static int
parse_xpub(struct evm *e, const char *text, struct cgc_xpub *x)
{
	const struct cgc_xkey_version *v;
	const char *why = "";

	if (cgc_xpub_parse(text, x, &why) < 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_WARN, "xpub refused: %s",
		    why);
		return -EINVAL;
	}
	v = cgc_xkey_version_by_pub(x->version);
	if (v == NULL || v->script != CGC_SCRIPT_UNSPECIFIED ||
	    (v->net != CGC_XNET_MAIN && v->net != CGC_XNET_TEST)) {
		e->api->log(e->host, CG_PLUGIN_LOG_WARN, "xpub refused: "
		    "version %s is not for EVM (give an xpub)",
		    v != NULL ? v->name : "?");
		return -EINVAL;
	}
	return 0;
}

static int
evm_check_xpub(void *instance, const char *xpub)
{
	struct cgc_xpub x;

	if (xpub == NULL)
		return -EINVAL;
	return parse_xpub(instance, xpub, &x);
}

static int
evm_derive_address(void *instance, const char *xpub, uint32_t index,
    char *out, size_t out_size, size_t *out_len)
{
	uint8_t key[CGC_PUBKEY_LEN], addr[CGC_EVM_ADDR_LEN];
	char text[CGC_EVM_ADDR_STRLEN];
	struct cgc_xpub x;
	int rc;

	if (xpub == NULL || index >= CGC_BIP32_HARDENED)
		return -EINVAL;
	if ((rc = parse_xpub(instance, xpub, &x)) < 0)
		return rc;
	if ((rc = cgc_xpub_derive_key(&x, 0, index, key)) < 0)
		return rc;
	if ((rc = cgc_evm_address_from_pubkey(key, sizeof(key), addr)) < 0 ||
	    (rc = cgc_evm_address_format(addr, text)) < 0)
		return rc;
	return put_str(text, out, out_size, out_len);
}

static int
evm_validate_address(void *instance, const char *address, char *out,
    size_t out_size, size_t *out_len)
{
	uint8_t addr[CGC_EVM_ADDR_LEN];
	char text[CGC_EVM_ADDR_STRLEN];

	(void)instance;
	if (address == NULL || cgc_evm_address_parse(address, addr) < 0)
		return -EINVAL;
	if (out == NULL && out_len == NULL)
		return 0;
	if (cgc_evm_address_format(addr, text) < 0)
		return -EIO;
	if (out == NULL) {
		*out_len = strlen(text);
		return 0;
	}
	return put_str(text, out, out_size, out_len);
}

static int
evm_payment_uri(void *instance, const struct cg_uri_request *req,
    char *out, size_t out_size, size_t *out_len)
{
	struct evm *e = instance;
	uint8_t addr[CGC_EVM_ADDR_LEN];
	char to[CGC_EVM_ADDR_STRLEN], token[CGC_EVM_ADDR_STRLEN];
	size_t needed = 0;
	int rc;

	if (req == NULL || !CG_HAS_MEMBER(req, struct cg_uri_request,
	    message) || req->address == NULL || req->amount == NULL)
		return -EINVAL;
	if (cgc_evm_address_parse(req->address, addr) < 0 ||
	    cgc_evm_address_format(addr, to) < 0)
		return -EINVAL;
	if (req->contract == NULL || req->contract[0] == '\0') {
		rc = cgc_uri_eip681_native(to, e->rpc.chain_id, req->amount,
		    out, out_size, &needed);
		return from_needed(rc, out, needed, out_len);
	}
	if (cgc_evm_address_parse(req->contract, addr) < 0 ||
	    cgc_evm_address_format(addr, token) < 0)
		return -EINVAL;
	rc = cgc_uri_eip681_erc20(token, e->rpc.chain_id, to, req->amount,
	    out, out_size, &needed);
	return from_needed(rc, out, needed, out_len);
}

static int
evm_tip(void *instance, uint64_t *height)
{
	if (height == NULL)
		return -EINVAL;
	return evm_safe_head(instance, height);
}

static int
evm_block_hash(void *instance, uint64_t height, char *out, size_t out_size,
    size_t *out_len)
{
	char hash[EVM_HASH_STRLEN];
	int rc;

	if ((rc = evm_fetch_block_hash(instance, height, hash)) < 0)
		return rc;
	return put_str(hash, out, out_size, out_len);
}

static const struct cg_network_ops evm_ops = {
	.struct_size = sizeof(struct cg_network_ops),
	.check_xpub = evm_check_xpub,
	.derive_address = evm_derive_address,
	.validate_address = evm_validate_address,
	.payment_uri = evm_payment_uri,
	.tip = evm_tip,
	.scan = evm_scan,
	.block_hash = evm_block_hash,
};

static const struct cg_plugin_descriptor evm_descriptor = {
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct cg_plugin_descriptor),
	.kind = CG_PLUGIN_KIND_NETWORK,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "evm",
	.version = "0.1.0",
	.description = "EVM networks over JSON-RPC (Ethereum, BSC, Polygon, "
	    "devnets): native coin and ERC-20 tokens",
	.keys = evm_keys,
	.key_count = sizeof(evm_keys) / sizeof(evm_keys[0]),
	.create = evm_create,
	.destroy = evm_destroy,
	.ops = &evm_ops,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &evm_descriptor;
}
