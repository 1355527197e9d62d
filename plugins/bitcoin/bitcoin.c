/*
 * bitcoin: the network plugin for Bitcoin and Litecoin (mainnet, testnet,
 * regtest), one instance per YAML block.
 *
 *   settings:
 *     chain: bitcoin            # bitcoin-testnet, bitcoin-regtest, litecoin…
 *     backend: esplora          # or bitcoind
 *     url: https://blockstream.info/api
 *
 * Deposit addresses are native SegWit (BIP84 P2WPKH, bech32) at 0/i below
 * the merchant's account key; payment URIs are BIP21. Detection reads
 * whole blocks (every output to a watched address is a payment, identified
 * by txid and output index) and, on request, the mempool. The scan
 * contract, mempool snapshot included, is in docs/plugins-bitcoin.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "btc.h"
#include "common/amount.h"
#include "common/bip32.h"
#include "common/uri.h"

static const char *const chain_choices[] = { "bitcoin", "bitcoin-testnet",
    "bitcoin-regtest", "litecoin", "litecoin-testnet", NULL };
static const char *const backend_choices[] = { "esplora", "bitcoind", NULL };

static const struct cg_plugin_key btc_keys[] = {
	{ .name = "chain", .type = CG_KEY_ENUM, .flags = CG_KEY_REQUIRED,
	  .choices = chain_choices,
	  .description = "network: address HRP and version bytes, key "
	    "versions accepted, BIP21 scheme" },
	{ .name = "backend", .type = CG_KEY_ENUM, .flags = CG_KEY_REQUIRED,
	  .choices = backend_choices,
	  .description = "block source: an Esplora REST server or Bitcoin "
	    "Core JSON-RPC" },
	{ .name = "url", .type = CG_KEY_STRING, .flags = CG_KEY_REQUIRED,
	  .min = 8, .max = CGB_URL_MAX - 1,
	  .description = "Esplora API base (…/api) or the node's RPC URL" },
	{ .name = "rpc_user", .type = CG_KEY_STRING, .min = 1, .max = 256,
	  .description = "bitcoind: RPC user name" },
	{ .name = "rpc_password", .type = CG_KEY_STRING, .flags = CG_KEY_SECRET,
	  .min = 1, .max = 1024,
	  .description = "bitcoind: RPC password (rpc_password_file or "
	    "rpc_password_env)" },
	{ .name = "confirmations", .type = CG_KEY_INT, .default_value = "2",
	  .min = 0, .max = 1000,
	  .description = "blocks that settle a payment (read by the host)" },
	{ .name = "poll_interval_ms", .type = CG_KEY_INT,
	  .default_value = "10000", .min = 200, .max = 3600000,
	  .description = "time between scans (read by the host)" },
	{ .name = "request_timeout_ms", .type = CG_KEY_INT,
	  .default_value = "10000", .min = 100, .max = 60000,
	  .description = "timeout of each request to the backend" },
	{ .name = "mempool", .type = CG_KEY_BOOL, .default_value = "true",
	  .description = "report unconfirmed payments when the host asks" },
};

static const struct cgb_params chains[] = {
	{ "bitcoin", "bitcoin", { CGC_XNET_MAIN, -1 },
	  "2100000000000000" },
	{ "bitcoin-testnet", "bitcoin", { CGC_XNET_TEST, -1 },
	  "2100000000000000" },
	{ "bitcoin-regtest", "bitcoin", { CGC_XNET_TEST, -1 },
	  "2100000000000000" },
	/* Litecoin wallets export native SegWit keys as Ltub or as zpub. */
	{ "litecoin", "litecoin", { CGC_XNET_LTC, CGC_XNET_MAIN },
	  "8400000000000000" },
	{ "litecoin-testnet", "litecoin",
	  { CGC_XNET_LTC_TEST, CGC_XNET_TEST }, "8400000000000000" },
};

/* ---- helpers shared with the backends ---------------------------------- */

int
cgb_is_hash(const char *s, size_t len)
{
	size_t i;

	if (len != CGB_HASH_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
cgb_copy_hash(const char *s, size_t len, char out[CGB_HASH_LEN + 1])
{
	if (!cgb_is_hash(s, len))
		return -EPROTO;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
cgb_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -EPROTO;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EPROTO;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
cgb_parse_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t v;
	int neg = len > 0 && s[0] == '-';

	if (cgb_parse_u64(s + neg, len - (size_t)neg, &v) < 0 ||
	    v > (uint64_t)INT64_MAX)
		return -EPROTO;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int
sats_check(struct cgb *b, const char *sats)
{
	if (cgc_units_cmp(sats, b->chain->max_money) > 0) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "backend reply refused: "
		    "amount=%s satoshis exceeds the supply limit", sats);
		return -EPROTO;
	}
	return 0;
}

int
cgb_sats_from_int(struct cgb *b, const char *s, size_t len, char *out,
    size_t outsz)
{
	uint64_t v;

	if (len >= outsz || cgb_parse_u64(s, len, &v) < 0) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "backend reply refused: "
		    "amount=%.*s is not a whole number of satoshis",
		    len > 40 ? 40 : (int)len, s);
		return -EPROTO;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return sats_check(b, out);
}

int
cgb_sats_from_coins(struct cgb *b, const char *s, size_t len, char *out,
    size_t outsz)
{
	char text[48];

	if (len >= sizeof(text))
		goto bad;
	memcpy(text, s, len);
	text[len] = '\0';
	if (cgc_units_from_decimal(text, 8, out, outsz, NULL) < 0)
		goto bad;
	return sats_check(b, out);
bad:
	cgb_log(b, CG_PLUGIN_LOG_ERROR, "backend reply refused: amount=%.*s "
	    "is not an exact coin amount", len > 40 ? 40 : (int)len, s);
	return -EPROTO;
}

int
cgb_http(struct cgb *b, const char *method, const char *url,
    const char *body, size_t body_len, struct cg_http_response *resp)
{
	const char *headers[2];
	struct cg_http_request req;
	uint32_t n = 0;
	int rc;

	if (b->api->stopping(b->host))
		return -ECANCELED;
	if (b->auth_header != NULL)
		headers[n++] = b->auth_header;
	if (body != NULL)
		headers[n++] = "Content-Type: application/json";
	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.timeout_ms = b->timeout_ms;
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.header_count = n;
	req.body = body;
	req.body_len = body_len;
	req.max_reply_bytes = CGB_REPLY_MAX;
	memset(resp, 0, sizeof(*resp));
	resp->struct_size = sizeof(*resp);
	rc = b->api->http(b->host, &req, resp);
	if (rc < 0)
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "request failed method=%s "
		    "backend=%s error=%d", method, b->backend->name, rc);
	return rc;
}

void
cgb_http_done(struct cgb *b, struct cg_http_response *resp)
{
	if (resp->body != NULL)
		b->api->http_free(b->host, resp);
	resp->body = NULL;
}

int
cgb_base64(const void *in, size_t len, char *out)
{
	return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

void
cgb_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

/* ---- create / destroy -------------------------------------------------- */

static int
get_string(struct cgb *b, const char *key, char *out, size_t outsz)
{
	return b->api->config_string(b->host, key, out, outsz, NULL);
}

static int
make_auth(struct cgb *b)
{
	char user[260], pass[1030], plain[1300];
	unsigned char *enc = NULL;
	size_t plen;
	int rc, len;

	if ((rc = get_string(b, "rpc_user", user, sizeof(user))) < 0 ||
	    (rc = get_string(b, "rpc_password", pass, sizeof(pass))) < 0) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "backend bitcoind needs "
		    "rpc_user and rpc_password (rpc_password_file or _env)");
		return -EINVAL;
	}
	plen = (size_t)snprintf(plain, sizeof(plain), "%s:%s", user, pass);
	if ((enc = malloc(4 * ((plen + 2) / 3) + 1)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	len = cgb_base64(plain, plen, (char *)enc);
	rc = -ENOMEM;
	if ((b->auth_header = malloc((size_t)len + 32)) == NULL)
		goto out;
	snprintf(b->auth_header, (size_t)len + 32, "Authorization: Basic %s",
	    enc);
	rc = 0;
out:
	/* The credentials never stay in memory longer than needed. */
	cgb_wipe(plain, sizeof(plain));
	cgb_wipe(pass, sizeof(pass));
	if (enc != NULL)
		cgb_wipe(enc, 4 * ((plen + 2) / 3) + 1);
	free(enc);
	return rc;
}

static int
read_settings(struct cgb *b)
{
	char name[32], backend[16];
	int64_t timeout;
	int32_t mempool;
	size_t i, len;

	if (get_string(b, "chain", name, sizeof(name)) < 0 ||
	    get_string(b, "backend", backend, sizeof(backend)) < 0 ||
	    get_string(b, "url", b->url, sizeof(b->url)) < 0 ||
	    b->api->config_int(b->host, "request_timeout_ms", &timeout) < 0 ||
	    b->api->config_bool(b->host, "mempool", &mempool) < 0)
		return -EINVAL;
	for (i = 0; i < sizeof(chains) / sizeof(chains[0]); i++)
		if (strcmp(chains[i].name, name) == 0)
			b->chain = &chains[i];
	if (b->chain == NULL)
		return -EINVAL;
	if (strncmp(b->url, "http://", 7) != 0 &&
	    strncmp(b->url, "https://", 8) != 0) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "url must be http:// or "
		    "https://");
		return -EINVAL;
	}
	len = strlen(b->url);
	while (len > 0 && b->url[len - 1] == '/')
		b->url[--len] = '\0';
	b->timeout_ms = (uint32_t)timeout;
	b->mempool = mempool;
	if (strcmp(backend, "bitcoind") == 0) {
		b->backend = &cgb_rpc;
		return make_auth(b);
	}
	b->backend = &cgb_esplora;
	return 0;
}

static int
btc_create(const struct cg_host_api *api, struct cg_host *host,
    void **instance)
{
	struct cgb *b;
	int rc;

	if (!CG_HAS_MEMBER(api, struct cg_host_api, stopping))
		return -ENOTSUP;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -ENOMEM;
	b->api = api;
	b->host = host;
	if ((rc = read_settings(b)) < 0)
		goto fail;
	if ((rc = b->backend->init(b)) < 0)
		goto fail;
	cgb_log(b, CG_PLUGIN_LOG_INFO, "ready chain=%s backend=%s",
	    b->chain->name, b->backend->name);
	*instance = b;
	return 0;
fail:
	free(b->auth_header);
	free(b);
	return rc;
}

static void
btc_destroy(void *instance)
{
	struct cgb *b = instance;

	if (b == NULL)
		return;
	b->backend->fini(b);
	if (b->auth_header != NULL)
		cgb_wipe(b->auth_header, strlen(b->auth_header));
	free(b->auth_header);
	free(b);
}

/* ---- pure operations --------------------------------------------------- */

/* Copies a string into an ABI output buffer. */
static int
put_out(const char *s, char *out, size_t out_size, size_t *out_len)
{
	size_t len = strlen(s);

	if (out_len != NULL)
		*out_len = len;
	if (out == NULL || out_size <= len)
		return -ENOSPC;
	memcpy(out, s, len + 1);
	return 0;
}

static const struct cgc_btc_params *
addr_params(const struct cgb *b)
{
	return cgc_btc_params_by_name(b->chain->name);
}

/* Parses an account key and checks that it suits this network and BIP84. */
static int
parse_xpub(struct cgb *b, const char *s, struct cgc_xpub *x)
{
	const struct cgc_xkey_version *v;
	const char *why = NULL;

	if (s == NULL || cgc_xpub_parse(s, x, &why) < 0)
		return -EINVAL;
	if ((v = cgc_xkey_version_by_pub(x->version)) == NULL)
		return -EINVAL;
	if ((int)v->net != b->chain->xnet[0] &&
	    (int)v->net != b->chain->xnet[1])
		return -EINVAL;
	/* ypub and friends promise nested SegWit addresses. */
	if (v->script == CGC_SCRIPT_P2SH_P2WPKH)
		return -EINVAL;
	return 0;
}

static int
btc_check_xpub(void *instance, const char *xpub)
{
	struct cgc_xpub x;

	return parse_xpub(instance, xpub, &x);
}

static int
btc_derive_address(void *instance, const char *xpub, uint32_t index,
    char *out, size_t out_size, size_t *out_len)
{
	struct cgb *b = instance;
	char addr[CGC_BTC_ADDR_MAX];
	uint8_t key[CGC_PUBKEY_LEN];
	struct cgc_xpub x;
	int rc;

	if (index >= CGC_BIP32_HARDENED)
		return -EINVAL;
	if ((rc = parse_xpub(b, xpub, &x)) < 0)
		return rc;
	if ((rc = cgc_xpub_derive_key(&x, 0, index, key)) < 0)
		return rc;
	if ((rc = cgc_btc_address_from_pubkey(addr_params(b),
	    CGC_BTC_KEY_P2WPKH, key, addr, sizeof(addr), NULL)) < 0)
		return rc;
	return put_out(addr, out, out_size, out_len);
}

static int
canonical(const struct cgb *b, const char *address, char *buf, size_t bufsz)
{
	struct cgc_btc_address a;

	if (address == NULL || strlen(address) >= CGC_BTC_ADDR_MAX)
		return -EINVAL;
	if (cgc_btc_address_parse(addr_params(b), address, &a) < 0)
		return -EINVAL;
	return cgc_btc_address_format(addr_params(b), &a, buf, bufsz, NULL);
}

static int
btc_validate_address(void *instance, const char *address, char *out,
    size_t out_size, size_t *out_len)
{
	char buf[CGC_BTC_ADDR_MAX];
	int rc;

	if ((rc = canonical(instance, address, buf, sizeof(buf))) < 0)
		return rc;
	if (out == NULL && out_len == NULL)
		return 0;
	return put_out(buf, out, out_size, out_len);
}

static int
btc_payment_uri(void *instance, const struct cg_uri_request *req, char *out,
    size_t out_size, size_t *out_len)
{
	struct cgb *b = instance;
	char addr[CGC_BTC_ADDR_MAX];
	const char *amount;
	size_t needed = 0;
	int rc;

	if (req == NULL || req->decimals != 8 ||
	    (req->contract != NULL && req->contract[0] != '\0'))
		return -EINVAL;
	if ((rc = canonical(b, req->address, addr, sizeof(addr))) < 0)
		return rc;
	amount = req->amount != NULL && req->amount[0] != '\0' ?
	    req->amount : NULL;
	if (amount != NULL && !cgc_units_valid(amount))
		return -EINVAL;
	rc = cgc_uri_bip21(b->chain->scheme, addr, amount, req->label,
	    req->message, out, out == NULL ? 0 : out_size, &needed);
	/* cgchain counts the NUL in needed; the ABI does not. */
	if (out_len != NULL && rc == 0)
		*out_len = strlen(out);
	else if (out_len != NULL && rc == -ENOSPC)
		*out_len = needed - 1;
	return rc;
}

/* ---- chain head -------------------------------------------------------- */

static int
btc_tip(void *instance, uint64_t *height)
{
	struct cgb *b = instance;

	return b->backend->tip(b, height);
}

static int
btc_block_hash(void *instance, uint64_t height, char *out, size_t out_size,
    size_t *out_len)
{
	struct cgb *b = instance;
	char hash[CGB_HASH_LEN + 1];
	int rc;

	if ((rc = b->backend->block_hash(b, height, hash)) < 0)
		return rc;
	return put_out(hash, out, out_size, out_len);
}

/* ---- scan -------------------------------------------------------------- */

/* A payment to a watched address, kept until its block is complete. */
struct xfer {
	char txid[CGB_HASH_LEN + 1];
	char address[CGC_BTC_ADDR_MAX];
	char sats[CGC_UNITS_STR_MAX];
	uint32_t n;
};

struct xfers {
	struct xfer *v;
	size_t len, cap;
};

struct collect {
	struct cgb *b;
	const struct cg_scan_sink *sink;
	struct xfers *into;
};

static int
xfers_push(struct xfers *xs, const struct cgb_output *o)
{
	struct xfer *x;

	if (xs->len == xs->cap) {
		size_t cap = xs->cap ? xs->cap * 2 : 16;

		if ((x = realloc(xs->v, cap * sizeof(*x))) == NULL)
			return -ENOMEM;
		xs->v = x;
		xs->cap = cap;
	}
	x = &xs->v[xs->len++];
	memcpy(x->txid, o->txid, CGB_HASH_LEN);
	x->txid[CGB_HASH_LEN] = '\0';
	memcpy(x->address, o->address, o->address_len);
	x->address[o->address_len] = '\0';
	snprintf(x->sats, sizeof(x->sats), "%s", o->sats);
	x->n = o->n;
	return 0;
}

/* Keeps the outputs that pay a watched address. */
static int
collect_output(void *arg, const struct cgb_output *o)
{
	struct collect *c = arg;
	char addr[CGC_BTC_ADDR_MAX];
	int w;

	if (o->address_len == 0 || o->address_len >= sizeof(addr))
		return 0;
	memcpy(addr, o->address, o->address_len);
	addr[o->address_len] = '\0';
	if ((w = c->sink->is_watched(c->sink->ctx, addr)) < 0)
		return w;
	if (w == 0)
		return 0;
	return xfers_push(c->into, o);
}

static int
emit_xfer(const struct cg_scan_sink *sink, const struct xfer *x,
    const struct cgb_block *blk)
{
	struct cg_scan_transfer t;

	memset(&t, 0, sizeof(t));
	t.struct_size = sizeof(t);
	t.flags = blk == NULL ? CG_TRANSFER_MEMPOOL : 0;
	t.tx_hash = x->txid;
	t.position = x->n;
	t.from = "";
	t.to = x->address;
	t.contract = "";
	t.amount = x->sats;
	t.block_height = blk == NULL ? 0 : blk->height;
	t.block_hash = blk == NULL ? "" : blk->hash;
	t.block_time = blk == NULL ? 0 : blk->time;
	return sink->transfer(sink->ctx, &t);
}

static int
xfer_cmp(const void *a, const void *b)
{
	const struct xfer *x = a, *y = b;
	int c = strcmp(x->txid, y->txid);

	if (c != 0)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* Reads one block and emits its header and its watched payments. */
static int
scan_block(struct cgb *b, const struct cg_scan_sink *sink, uint64_t height,
    const char *want_parent, struct cgb_block *blk, struct xfers *seen)
{
	struct xfers xs = { 0 };
	struct collect c = { b, sink, &xs };
	struct cg_scan_header h;
	char hash[CGB_HASH_LEN + 1];
	size_t i;
	int rc;

	if ((rc = b->backend->block_hash(b, height, hash)) < 0)
		return rc;
	memset(blk, 0, sizeof(*blk));
	if ((rc = b->backend->block(b, hash, blk, collect_output, &c)) < 0)
		goto out;
	rc = -EPROTO;
	if (strcmp(blk->hash, hash) != 0 || blk->height != height ||
	    (height > 0 && blk->parent[0] == '\0')) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "backend reply refused: asked "
		    "block %s at height %llu, got %s at %llu parent=\"%s\"",
		    hash, (unsigned long long)height, blk->hash,
		    (unsigned long long)blk->height, blk->parent);
		goto out;
	}
	/* The chain changed under this batch: end it before this block. */
	rc = -ESTALE;
	if (want_parent != NULL && strcmp(blk->parent, want_parent) != 0)
		goto out;
	memset(&h, 0, sizeof(h));
	h.struct_size = sizeof(h);
	h.height = blk->height;
	h.hash = blk->hash;
	h.parent_hash = blk->parent;
	h.time = blk->time;
	if ((rc = sink->header(sink->ctx, &h)) < 0)
		goto out;
	for (i = 0; i < xs.len; i++) {
		if ((rc = emit_xfer(sink, &xs.v[i], blk)) < 0)
			goto out;
		if ((rc = xfers_push(seen, &(struct cgb_output){ xs.v[i].txid,
		    xs.v[i].address, strlen(xs.v[i].address), xs.v[i].n,
		    xs.v[i].sats })) < 0)
			goto out;
	}
	rc = 0;
out:
	free(xs.v);
	return rc;
}

/*
 * The watched payments of unconfirmed transactions, sorted and without
 * duplicates (an Esplora server is asked per address, so a transaction
 * paying two watched addresses comes twice).
 */
static int
take_mempool(struct cgb *b, const struct cg_scan_sink *sink,
    struct xfers *snap)
{
	struct collect c = { b, sink, snap };
	size_t i, j;
	int rc;

	if ((rc = b->backend->mempool(b, sink, collect_output, &c)) < 0)
		return rc;
	if (snap->len > 1)
		qsort(snap->v, snap->len, sizeof(*snap->v), xfer_cmp);
	for (i = j = 0; i < snap->len; i++)
		if (j == 0 || xfer_cmp(&snap->v[j - 1], &snap->v[i]) != 0)
			snap->v[j++] = snap->v[i];
	snap->len = j;
	return 0;
}

/* Emits the snapshot, leaving out what this batch saw confirmed. */
static int
emit_mempool(const struct cg_scan_sink *sink, const struct xfers *snap,
    struct xfers *seen)
{
	size_t i;
	int rc;

	if (seen->len > 1)
		qsort(seen->v, seen->len, sizeof(*seen->v), xfer_cmp);
	for (i = 0; i < snap->len; i++) {
		if (seen->len > 0 && bsearch(&snap->v[i], seen->v, seen->len,
		    sizeof(*seen->v), xfer_cmp) != NULL)
			continue;
		if ((rc = emit_xfer(sink, &snap->v[i], NULL)) < 0)
			return rc;
	}
	return 0;
}

static void
set_cursor(struct cg_scan_result *res, const char *text)
{
	if (res->cursor != NULL && res->cursor_size > strlen(text))
		memcpy(res->cursor, text, strlen(text) + 1);
	else if (res->cursor != NULL && res->cursor_size > 0)
		res->cursor[0] = '\0';
}

/*
 * Order matters for the mempool contract: the snapshot is taken first and
 * the head read again after it, so a transaction that left the mempool by
 * being mined before the snapshot is in a block at or below the head this
 * batch reports. A batch ends at the head (next_height == tip_height + 1)
 * only when its snapshot is complete; if the snapshot failed, the head
 * block is held back for the next scan.
 */
static int
btc_scan(void *instance, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct cg_scan_result *res)
{
	struct cgb *b = instance;
	struct xfers snap = { 0 }, seen = { 0 };
	struct cgb_block blk;
	char last_hash[CGB_HASH_LEN + 1] = "";
	const char *parent = NULL;
	uint64_t tip, h, last;
	int want_pool, pool_rc = -ENODATA, rc;

	if (req == NULL || sink == NULL || res == NULL ||
	    sink->header == NULL || sink->transfer == NULL ||
	    sink->is_watched == NULL || req->max_blocks == 0)
		return -EINVAL;
	want_pool = b->mempool && (req->flags & CG_SCAN_MEMPOOL) != 0;
	if ((rc = b->backend->tip(b, &tip)) < 0)
		goto out;
	if (want_pool && req->from_height + req->max_blocks > tip) {
		if ((pool_rc = take_mempool(b, sink, &snap)) < 0)
			cgb_log(b, CG_PLUGIN_LOG_WARN, "mempool not read "
			    "error=%d: the head block waits", pool_rc);
		else if ((rc = b->backend->tip(b, &tip)) < 0)
			goto out;
	}
	last = req->from_height + req->max_blocks - 1;
	if (last > tip || last < req->from_height)
		last = tip;
	if (want_pool && pool_rc < 0 && last == tip && tip > 0)
		last = tip - 1;
	res->tip_height = tip;
	res->next_height = req->from_height;
	for (h = req->from_height; h <= last; h++) {
		rc = scan_block(b, sink, h, parent, &blk, &seen);
		if (rc == -ESTALE || rc == -ENOENT) {
			cgb_log(b, CG_PLUGIN_LOG_INFO, "chain changed during "
			    "the batch at height=%llu", (unsigned long long)h);
			break;
		}
		if (rc < 0)
			goto out;
		memcpy(last_hash, blk.hash, sizeof(last_hash));
		parent = last_hash;
		res->next_height = h + 1;
	}
	if (pool_rc == 0 && (rc = emit_mempool(sink, &snap, &seen)) < 0)
		goto out;
	set_cursor(res, last_hash);
	rc = 0;
	if (res->next_height == req->from_height && pool_rc != 0)
		rc = pool_rc != -ENODATA ? pool_rc : -EAGAIN;
out:
	free(snap.v);
	free(seen.v);
	return rc;
}

static const struct cg_network_ops btc_ops = {
	.struct_size = sizeof(struct cg_network_ops),
	.check_xpub = btc_check_xpub,
	.derive_address = btc_derive_address,
	.validate_address = btc_validate_address,
	.payment_uri = btc_payment_uri,
	.tip = btc_tip,
	.scan = btc_scan,
	.block_hash = btc_block_hash,
};

static const struct cg_plugin_descriptor btc_descriptor = {
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct cg_plugin_descriptor),
	.kind = CG_PLUGIN_KIND_NETWORK,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "bitcoin",
	.version = "0.1.0",
	.description = "Bitcoin and Litecoin: BIP84 deposit addresses, BIP21, "
	    "detection through Esplora or Bitcoin Core RPC",
	.keys = btc_keys,
	.key_count = sizeof(btc_keys) / sizeof(btc_keys[0]),
	.create = btc_create,
	.destroy = btc_destroy,
	.ops = &btc_ops,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &btc_descriptor;
}
