/*
 * tron: the TRON network (network kind), through the TronGrid HTTP API.
 *
 *   settings:
 *     api_urls: [https://api.trongrid.io]   # failover in order
 *     api_key_file: /etc/cryptic-gateway/trongrid.key
 *     confirmed_head: solidified            # or latest
 *     trc20_contracts: [TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t]
 *
 * Addresses: BIP44 coin 195, account xpub -> 0/index, secp256k1 and
 * Keccak-256, 0x41 + 20 bytes in Base58Check (plugins/common). The
 * payment request is the bare address (no common TRON URI exists).
 *
 * Scanning (docs/plugins-tron.md): blocks by number from
 * /wallet/getblockbynum, their logs from
 * /wallet/gettransactioninfobyblocknum (block.c); the head the host counts
 * confirmations from is the solidified block (/walletsolidity/getnowblock)
 * or the latest one (/wallet/getnowblock), as configured.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptic/plugin.h>

#include "tron.h"

#include "common/bip32.h"
#include "common/uri.h"

#define TRON_CONTRACTS_MAX 64
#define TRON_KEY_MAX 256
#define TRON_XPUB_VERSION 0x0488b21eu	/* "xpub", TRON's convention */

struct tron {
	const struct cg_host_api *api;
	struct cg_host *host;
	struct tron_client client;
	int32_t solidified;		/* confirmed head: solidified block */
	int32_t scan_unconfirmed;	/* scan past the confirmed head */
	int32_t allow_test_keys;
	uint32_t batch;
	uint8_t contracts[TRON_CONTRACTS_MAX][CGC_EVM_ADDR_LEN];
	size_t contract_count;
};

static const char *const head_choices[] = { "solidified", "latest", NULL };

static const struct cg_plugin_key tron_keys[] = {
	{ .name = "api_urls", .type = CG_KEY_STRING_LIST,
	  .flags = CG_KEY_REQUIRED, .min = 1, .max = TRON_MAX_URLS,
	  .description = "TronGrid (or java-tron HTTP) base URLs, tried in "
	  "order" },
	{ .name = "api_key", .type = CG_KEY_STRING, .flags = CG_KEY_SECRET,
	  .min = 1, .max = TRON_KEY_MAX,
	  .description = "TronGrid API key, sent as TRON-PRO-API-KEY" },
	{ .name = "confirmed_head", .type = CG_KEY_ENUM,
	  .default_value = "solidified", .choices = head_choices,
	  .description = "head confirmations count from: the solidified "
	  "(irreversible) block or the latest one" },
	{ .name = "scan_unconfirmed", .type = CG_KEY_BOOL,
	  .default_value = "true",
	  .description = "also report blocks above the confirmed head" },
	{ .name = "poll_interval_ms", .type = CG_KEY_INT,
	  .default_value = "3000", .min = 500, .max = 600000,
	  .description = "how often the scanner asks for new blocks" },
	{ .name = "request_timeout_ms", .type = CG_KEY_INT,
	  .default_value = "10000", .min = 100, .max = 60000,
	  .description = "timeout of one TronGrid request" },
	{ .name = "trc20_contracts", .type = CG_KEY_STRING_LIST,
	  .min = 0, .max = TRON_CONTRACTS_MAX,
	  .description = "TRC-20 contracts watched besides the host's tokens" },
	{ .name = "blocks_per_batch", .type = CG_KEY_INT,
	  .default_value = "20", .min = 1, .max = 100,
	  .description = "most blocks one scan reads" },
	{ .name = "max_reply_bytes", .type = CG_KEY_INT,
	  .default_value = "16777216", .min = 65536, .max = 16777216,
	  .description = "largest TronGrid reply accepted" },
	{ .name = "allow_test_keys", .type = CG_KEY_BOOL,
	  .default_value = "false",
	  .description = "accept xpubs of publicly known test wallets "
	  "(development only)" },
};

static int
copy_out(const char *s, char *out, size_t out_size, size_t *out_len)
{
	size_t len = strlen(s);

	if (out_len != NULL)
		*out_len = len;
	if (out == NULL || out_size <= len)
		return -ENOSPC;
	memcpy(out, s, len + 1);
	return 0;
}

/* ---- settings ---------------------------------------------------------- */

static int
read_urls(struct tron *t)
{
	struct tron_client *c = &t->client;
	char path[32];
	size_t len;
	int rc;

	if ((rc = t->api->config_count(t->host, "api_urls", &c->url_count)) < 0)
		return rc;
	if (c->url_count == 0 || c->url_count > TRON_MAX_URLS)
		return -EINVAL;
	for (uint32_t i = 0; i < c->url_count; i++) {
		char *u = c->urls[i];

		snprintf(path, sizeof(path), "api_urls.%" PRIu32, i);
		if ((rc = t->api->config_string(t->host, path, u,
		    TRON_URL_MAX, &len)) < 0)
			return rc;
		if (strncmp(u, "http://", 7) != 0 &&
		    strncmp(u, "https://", 8) != 0) {
			t->api->log(t->host, CG_PLUGIN_LOG_ERROR, "api_urls.%"
			    PRIu32 " is not an http(s) URL", i);
			return -EINVAL;
		}
		while (len > 0 && u[len - 1] == '/')
			u[--len] = '\0';
		tron_origin(u, c->origins[i]);
	}
	return 0;
}

static int
read_key(struct tron *t)
{
	static const char name[] = "TRON-PRO-API-KEY: ";
	char key[TRON_KEY_MAX + 1];
	size_t len;
	int rc;

	rc = t->api->config_string(t->host, "api_key", key, sizeof(key), &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (len == 0 || strpbrk(key, "\r\n") != NULL) {
		t->api->log(t->host, CG_PLUGIN_LOG_ERROR,
		    "api_key is empty or holds a line break");
		return -EINVAL;
	}
	if ((t->client.key_header = malloc(sizeof(name) + len)) == NULL)
		return -ENOMEM;
	memcpy(t->client.key_header, name, sizeof(name) - 1);
	memcpy(t->client.key_header + sizeof(name) - 1, key, len + 1);
	return 0;
}

static int
read_contracts(struct tron *t)
{
	char path[48], addr[64];
	uint32_t n = 0;
	size_t len;
	int rc;

	rc = t->api->config_count(t->host, "trc20_contracts", &n);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	if (n > TRON_CONTRACTS_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "trc20_contracts.%" PRIu32, i);
		if ((rc = t->api->config_string(t->host, path, addr,
		    sizeof(addr), &len)) < 0)
			return rc;
		if (cgc_tron_address_parse(addr, t->contracts[i]) < 0) {
			t->api->log(t->host, CG_PLUGIN_LOG_ERROR,
			    "trc20_contracts.%" PRIu32 " is not a TRON "
			    "address", i);
			return -EINVAL;
		}
	}
	t->contract_count = n;
	return 0;
}

static int
read_settings(struct tron *t)
{
	char head[16];
	int64_t v;
	size_t len;
	int rc;

	if ((rc = read_urls(t)) < 0 || (rc = read_key(t)) < 0 ||
	    (rc = read_contracts(t)) < 0)
		return rc;
	if ((rc = t->api->config_string(t->host, "confirmed_head", head,
	    sizeof(head), &len)) < 0)
		return rc;
	t->solidified = strcmp(head, "solidified") == 0;
	if ((rc = t->api->config_bool(t->host, "scan_unconfirmed",
	    &t->scan_unconfirmed)) < 0 ||
	    (rc = t->api->config_bool(t->host, "allow_test_keys",
	    &t->allow_test_keys)) < 0)
		return rc;
	if ((rc = t->api->config_int(t->host, "request_timeout_ms", &v)) < 0)
		return rc;
	t->client.timeout_ms = (uint32_t)v;
	if ((rc = t->api->config_int(t->host, "blocks_per_batch", &v)) < 0)
		return rc;
	t->batch = (uint32_t)v;
	if ((rc = t->api->config_int(t->host, "max_reply_bytes", &v)) < 0)
		return rc;
	t->client.max_reply = (uint64_t)v;
	return 0;
}

static void
tron_destroy(void *instance)
{
	struct tron *t = instance;

	if (t == NULL)
		return;
	free(t->client.key_header);
	free(t);
}

static int
tron_create(const struct cg_host_api *api, struct cg_host *host,
    void **instance)
{
	struct tron *t;
	int rc;

	if (!CG_HAS_MEMBER(api, struct cg_host_api, stopping))
		return -ENOTSUP;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->api = api;
	t->host = host;
	t->client.api = api;
	t->client.host = host;
	if ((rc = read_settings(t)) < 0) {
		tron_destroy(t);
		return rc;
	}
	api->log(host, CG_PLUGIN_LOG_INFO, "tron ready urls=%" PRIu32
	    " confirmed_head=%s api_key=%s contracts=%zu", t->client.url_count,
	    t->solidified ? "solidified" : "latest",
	    t->client.key_header != NULL ? "set" : "none", t->contract_count);
	*instance = t;
	return 0;
}

/* ---- addresses --------------------------------------------------------- */

/* An account-level (m/44'/195'/account') key under the xpub version. */
static int
parse_account(struct tron *t, const char *s, struct cgc_xpub *x)
{
	const char *why = NULL;

	if (s == NULL || cgc_xpub_parse(s, x, &why) < 0) {
		t->api->log(t->host, CG_PLUGIN_LOG_WARN, "xpub refused: %s",
		    why != NULL ? why : "missing");
		return -EINVAL;
	}
	if (x->version != TRON_XPUB_VERSION) {
		t->api->log(t->host, CG_PLUGIN_LOG_WARN, "xpub refused: TRON "
		    "keys use the xpub version");
		return -EINVAL;
	}
	if (x->depth != 3 || (x->child & CGC_BIP32_HARDENED) == 0) {
		t->api->log(t->host, CG_PLUGIN_LOG_WARN, "xpub refused: not an "
		    "account key (m/44'/195'/account')");
		return -EINVAL;
	}
	return 0;
}

static int
tron_check_xpub(void *instance, const char *xpub)
{
	struct tron *t = instance;
	struct cgc_xpub x;
	int rc;

	if ((rc = parse_account(t, xpub, &x)) < 0)
		return rc;
	if (!t->allow_test_keys && cgc_xpub_is_test_key(&x)) {
		t->api->log(t->host, CG_PLUGIN_LOG_ERROR, "xpub refused: it "
		    "belongs to a publicly known test wallet");
		return -EINVAL;
	}
	return 0;
}

static int
tron_derive_address(void *instance, const char *xpub, uint32_t index,
    char *out, size_t out_size, size_t *out_len)
{
	struct tron *t = instance;
	uint8_t key[CGC_PUBKEY_LEN];
	char addr[CGC_TRON_ADDR_STRLEN];
	struct cgc_xpub x;
	int rc;

	if ((rc = parse_account(t, xpub, &x)) < 0)
		return rc;
	if ((rc = cgc_xpub_derive_key(&x, 0, index, key)) < 0 ||
	    (rc = cgc_tron_address_from_pubkey(key, sizeof(key), addr)) < 0)
		return rc;
	return copy_out(addr, out, out_size, out_len);
}

/* "T..." Base58Check, or TronGrid's hex "41...": canonical is Base58. */
static int
canonical_address(const char *s, char addr[CGC_TRON_ADDR_STRLEN])
{
	uint8_t raw[CGC_EVM_ADDR_LEN];

	if (s == NULL)
		return -EINVAL;
	if (cgc_tron_address_parse(s, raw) < 0 &&
	    cgc_tron_address_parse_hex(s, raw) < 0)
		return -EINVAL;
	return cgc_tron_address_format(raw, addr) < 0 ? -EINVAL : 0;
}

static int
tron_validate_address(void *instance, const char *address, char *out,
    size_t out_size, size_t *out_len)
{
	char addr[CGC_TRON_ADDR_STRLEN];

	if (canonical_address(address, addr) < 0)
		return -EINVAL;
	if (out == NULL && out_len == NULL)
		return 0;
	if (out == NULL) {
		*out_len = strlen(addr);
		return 0;
	}
	return copy_out(addr, out, out_size, out_len);
}

/* The bare address: TRON wallets agree on no payment URI (uri.h). */
static int
tron_payment_uri(void *instance, const struct cg_uri_request *req,
    char *out, size_t out_size, size_t *out_len)
{
	char addr[CGC_TRON_ADDR_STRLEN], uri[CGC_TRON_ADDR_STRLEN];
	uint8_t raw[CGC_EVM_ADDR_LEN];

	if (req == NULL || canonical_address(req->address, addr) < 0)
		return -EINVAL;
	if (req->contract != NULL && req->contract[0] != '\0' &&
	    cgc_tron_address_parse(req->contract, raw) < 0)
		return -EINVAL;
	if (req->amount != NULL && !cgc_units_valid(req->amount))
		return -EINVAL;
	if (cgc_uri_tron(addr, uri, sizeof(uri), NULL) < 0)
		return -EINVAL;
	return copy_out(uri, out, out_size, out_len);
}

/* ---- chain ------------------------------------------------------------- */

static int
head(struct tron *t, int solidified, uint64_t *height)
{
	const char *path = solidified ? "/walletsolidity/getnowblock" :
	    "/wallet/getnowblock";
	const char *why = NULL;
	json_t *j;
	int rc;

	if ((rc = tron_post(&t->client, path, "{}", &j)) < 0)
		return rc;
	rc = tron_parse_head(j, height, &why);
	json_decref(j);
	if (rc < 0) {
		t->api->log(t->host, CG_PLUGIN_LOG_WARN, "bad head reply "
		    "path=%s reason=\"%s\"", path, why);
		return -EIO;
	}
	return 0;
}

static int
tron_tip(void *instance, uint64_t *height)
{
	struct tron *t = instance;

	return head(t, t->solidified, height);
}

static int
get_block(struct tron *t, uint64_t height, json_t **out)
{
	char body[48];

	snprintf(body, sizeof(body), "{\"num\":%" PRIu64 "}", height);
	return tron_post(&t->client, "/wallet/getblockbynum", body, out);
}

static int
tron_block_hash(void *instance, uint64_t height, char *out, size_t out_size,
    size_t *out_len)
{
	struct tron *t = instance;
	struct tron_block b = { 0 };
	const char *why = NULL;
	json_t *j;
	int rc;

	if (height > INT64_MAX)
		return -EINVAL;
	if ((rc = get_block(t, height, &j)) < 0)
		return rc;
	rc = tron_parse_header(j, height, &b, &why);
	json_decref(j);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0) {
		t->api->log(t->host, CG_PLUGIN_LOG_WARN, "bad block height=%"
		    PRIu64 " reason=\"%s\"", height, why);
		return -EIO;
	}
	return copy_out(b.hash, out, out_size, out_len);
}

/* One block, header and transfers, read whole before anything is emitted
 * so that a failed request leaves no half block behind. */
static int
fetch_block(struct tron *t, uint64_t height, const struct tron_filter *f,
    struct tron_block *b)
{
	json_t *block = NULL, *info = NULL;
	const char *why = NULL;
	char body[48];
	int rc;

	if ((rc = get_block(t, height, &block)) < 0)
		return rc;
	if ((rc = tron_parse_header(block, height, b, &why)) < 0)
		goto parsed;
	if (tron_block_needs_info(block)) {
		snprintf(body, sizeof(body), "{\"num\":%" PRIu64 "}", height);
		if ((rc = tron_post(&t->client,
		    "/wallet/gettransactioninfobyblocknum", body, &info)) < 0)
			goto done;
	}
	rc = tron_parse_transfers(block, info, f, b, &why);
parsed:
	if (rc == -EINVAL) {
		t->api->log(t->host, CG_PLUGIN_LOG_WARN, "bad block height=%"
		    PRIu64 " reason=\"%s\"", height, why);
		rc = -EIO;
	} else if (rc == -ENOENT) {
		t->api->log(t->host, CG_PLUGIN_LOG_INFO, "block not served "
		    "yet height=%" PRIu64, height);
		rc = -EAGAIN;
	}
done:
	json_decref(info);
	json_decref(block);
	return rc;
}

static int
emit_block(const struct tron_block *b, const struct cg_scan_sink *sink)
{
	struct cg_scan_header h = {
		.struct_size = sizeof(h),
		.height = b->height,
		.hash = b->hash,
		.parent_hash = b->parent,
		.time = b->time,
	};
	int rc;

	if ((rc = sink->header(sink->ctx, &h)) < 0)
		return rc;
	for (size_t i = 0; i < b->count; i++) {
		const struct tron_transfer *x = &b->transfers[i];
		struct cg_scan_transfer st = {
			.struct_size = sizeof(st),
			.flags = x->flags,
			.tx_hash = x->tx_hash,
			.position = x->position,
			.from = x->from,
			.to = x->to,
			.contract = x->contract,
			.amount = x->amount,
			.block_height = b->height,
			.block_hash = b->hash,
			.block_time = b->time,
		};

		if ((rc = sink->transfer(sink->ctx, &st)) < 0)
			return rc;
	}
	return 0;
}

/* The instance's contracts and the host's, as 20-byte hashes. */
static int
scan_filter(struct tron *t, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct tron_filter *f)
{
	uint8_t (*c)[CGC_EVM_ADDR_LEN];
	size_t n = t->contract_count;

	if (req->contract_count > 0 && req->contracts == NULL)
		return -EINVAL;
	if ((c = calloc(n + req->contract_count + 1, sizeof(*c))) == NULL)
		return -ENOMEM;
	memcpy(c, t->contracts, n * sizeof(*c));
	for (uint32_t i = 0; i < req->contract_count; i++) {
		if (req->contracts[i] == NULL ||
		    cgc_tron_address_parse(req->contracts[i], c[n]) < 0) {
			t->api->log(t->host, CG_PLUGIN_LOG_ERROR, "host token "
			    "contract %" PRIu32 " is not a TRON address", i);
			free(c);
			return -EINVAL;
		}
		n++;
	}
	f->contracts = (const uint8_t (*)[CGC_EVM_ADDR_LEN])c;
	f->contract_count = n;
	f->is_watched = sink->is_watched;
	f->ctx = sink->ctx;
	return 0;
}

/* The confirmed head (result->tip_height) and how far this scan may go. */
static int
scan_heads(struct tron *t, uint64_t *confirmed, uint64_t *upper)
{
	int rc;

	if ((rc = head(t, t->solidified, confirmed)) < 0)
		return rc;
	*upper = *confirmed;
	if (t->solidified && t->scan_unconfirmed &&
	    (rc = head(t, 0, upper)) < 0)
		return rc;
	if (*upper < *confirmed)
		*upper = *confirmed;	/* nodes behind one another */
	return 0;
}

static int
scan_blocks(struct tron *t, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, const struct tron_filter *f,
    uint64_t last, struct cg_scan_result *result)
{
	char prev[TRON_HASH_STR] = "";
	uint64_t h;
	int rc;

	for (h = req->from_height; h <= last; h++) {
		struct tron_block b = { 0 };

		rc = fetch_block(t, h, f, &b);
		if (rc == 0 && prev[0] != '\0' && strcmp(b.parent, prev) != 0) {
			t->api->log(t->host, CG_PLUGIN_LOG_INFO, "chain changed "
			    "during the batch height=%" PRIu64, h);
			tron_block_clear(&b);
			break;
		}
		if (rc < 0) {
			tron_block_clear(&b);
			if (h == req->from_height || rc == -ECANCELED)
				return rc;
			break;		/* keep the blocks read so far */
		}
		rc = emit_block(&b, sink);
		memcpy(prev, b.hash, sizeof(prev));
		tron_block_clear(&b);
		if (rc < 0)
			return rc;
		if (t->api->stopping(t->host))
			return -ECANCELED;
	}
	result->next_height = h;
	if (result->cursor != NULL && result->cursor_size > 0)
		snprintf(result->cursor, (size_t)result->cursor_size,
		    "%" PRIu64 ":%s", h - 1, prev);
	return 0;
}

static int
tron_scan(void *instance, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct cg_scan_result *result)
{
	struct tron *t = instance;
	struct tron_filter f = { 0 };
	uint64_t confirmed, upper, last, n;
	int rc;

	if (req == NULL || sink == NULL || result == NULL ||
	    !CG_HAS_MEMBER(sink, struct cg_scan_sink, is_watched) ||
	    sink->header == NULL || sink->transfer == NULL ||
	    sink->is_watched == NULL || req->from_height > INT64_MAX)
		return -EINVAL;
	if ((rc = scan_heads(t, &confirmed, &upper)) < 0)
		return rc;
	result->tip_height = confirmed;
	result->next_height = req->from_height;
	if (req->from_height > upper)
		return -EAGAIN;
	n = req->max_blocks > 0 ? req->max_blocks : 1;
	if (n > t->batch)
		n = t->batch;
	last = req->from_height + n - 1;
	if (last > upper)
		last = upper;
	if ((rc = scan_filter(t, req, sink, &f)) < 0)
		return rc;
	rc = scan_blocks(t, req, sink, &f, last, result);
	free((void *)f.contracts);
	return rc;
}

static const struct cg_network_ops tron_ops = {
	.struct_size = sizeof(struct cg_network_ops),
	.check_xpub = tron_check_xpub,
	.derive_address = tron_derive_address,
	.validate_address = tron_validate_address,
	.payment_uri = tron_payment_uri,
	.tip = tron_tip,
	.scan = tron_scan,
	.block_hash = tron_block_hash,
};

static const struct cg_plugin_descriptor tron_descriptor = {
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct cg_plugin_descriptor),
	.kind = CG_PLUGIN_KIND_NETWORK,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "tron",
	.version = "0.1.0",
	.description = "TRON (TRX and TRC-20) through the TronGrid HTTP API",
	.keys = tron_keys,
	.key_count = sizeof(tron_keys) / sizeof(tron_keys[0]),
	.create = tron_create,
	.destroy = tron_destroy,
	.ops = &tron_ops,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &tron_descriptor;
}
