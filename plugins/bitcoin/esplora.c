/*
 * The Esplora REST backend (Blockstream's esplora, mempool.space): block
 * heights and hashes as plain text, headers and transactions as JSON,
 * amounts in satoshis. Blocks are read page by page
 * (/block/<hash>/txs/<start>, 25 transactions each); unconfirmed payments
 * are read per watched address (/address/<addr>/txs/mempool).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc.h"
#include "util/jsonnum.h"

static int
esplora_init(struct cgb *b)
{
	(void)b;
	return 0;
}

static void
esplora_fini(struct cgb *b)
{
	(void)b;
}

/* GET url + path; 0 with a 200 reply, -ENOENT on 404, else -EIO. */
static int
get(struct cgb *b, const char *path, struct cg_http_response *resp)
{
	char url[CGB_URL_MAX + 160];
	int rc;

	snprintf(url, sizeof(url), "%s%s", b->url, path);
	if ((rc = cgb_http(b, "GET", url, NULL, 0, resp)) < 0)
		return rc;
	if (resp->status == 200 && resp->body != NULL)
		return 0;
	rc = resp->status == 404 ? -ENOENT : -EIO;
	if (rc == -EIO)
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "esplora answered status=%d "
		    "path=%s", resp->status, path);
	cgb_http_done(b, resp);
	return rc;
}

/* A plain-text reply without its trailing whitespace. */
static size_t
trimmed(const struct cg_http_response *resp)
{
	size_t len = (size_t)resp->body_len;

	while (len > 0 && (resp->body[len - 1] == '\n' ||
	    resp->body[len - 1] == '\r' || resp->body[len - 1] == ' '))
		len--;
	return len;
}

static int
esplora_tip(struct cgb *b, uint64_t *height)
{
	struct cg_http_response resp;
	int rc;

	if ((rc = get(b, "/blocks/tip/height", &resp)) < 0)
		return rc == -ENOENT ? -EIO : rc;
	if ((rc = cgb_parse_u64(resp.body, trimmed(&resp), height)) < 0)
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "esplora tip height is not "
		    "a number");
	cgb_http_done(b, &resp);
	return rc;
}

static int
esplora_block_hash(struct cgb *b, uint64_t height,
    char hash[CGB_HASH_LEN + 1])
{
	struct cg_http_response resp;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/block-height/%llu",
	    (unsigned long long)height);
	if ((rc = get(b, path, &resp)) < 0)
		return rc;
	if ((rc = cgb_copy_hash(resp.body, trimmed(&resp), hash)) < 0)
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "esplora block hash at "
		    "height=%llu is malformed", (unsigned long long)height);
	cgb_http_done(b, &resp);
	return rc;
}

struct header_walk {
	struct cgb_block *hdr;
	unsigned seen;			/* bit per field */
};

static int
header_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct header_walk *w = arg;
	struct cgb_block *h = w->hdr;
	int64_t t;

	if (depth != 1)
		return depth == 0 ? -EPROTO : 0;
	if (cgb_key_is(&path[0], "id")) {
		w->seen |= 1;
		return type == CG_JSON_STRING ?
		    cgb_copy_hash(text, len, h->hash) : -EPROTO;
	}
	if (cgb_key_is(&path[0], "height")) {
		w->seen |= 2;
		return type == CG_JSON_NUMBER ?
		    cgb_parse_u64(text, len, &h->height) : -EPROTO;
	}
	if (cgb_key_is(&path[0], "previousblockhash")) {
		if (type == CG_JSON_NULL)
			return 0;
		return type == CG_JSON_STRING ?
		    cgb_copy_hash(text, len, h->parent) : -EPROTO;
	}
	if (cgb_key_is(&path[0], "timestamp")) {
		w->seen |= 4;
		if (type != CG_JSON_NUMBER || cgb_parse_i64(text, len, &t) < 0)
			return -EPROTO;
		h->time = t;
		return 0;
	}
	if (cgb_key_is(&path[0], "tx_count")) {
		w->seen |= 8;
		return type == CG_JSON_NUMBER ?
		    cgb_parse_u64(text, len, &h->tx_count) : -EPROTO;
	}
	return 0;
}

static int
read_header(struct cgb *b, const char *hash, struct cgb_block *hdr)
{
	struct header_walk w = { hdr, 0 };
	struct cg_http_response resp;
	char path[128];
	int rc;

	snprintf(path, sizeof(path), "/block/%s", hash);
	if ((rc = get(b, path, &resp)) < 0)
		return rc;
	rc = cg_json_walk(resp.body, (size_t)resp.body_len, header_scalar, &w,
	    NULL);
	cgb_http_done(b, &resp);
	if (rc == 0 && w.seen != 15)
		rc = -EPROTO;
	if (rc < 0) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "esplora block %s: header "
		    "malformed error=%d", hash, rc);
		return -EPROTO;
	}
	return 0;
}

struct page_walk {
	struct cgb_txwalk *tw;
	size_t start;
};

static int
page_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct page_walk *w = arg;

	if (depth < 2 || path[0].key != NULL)
		return -EPROTO;
	return cgb_txwalk_scalar(w->tw, w->start + path[0].index, path + 1,
	    depth - 1, (int)type, text, len);
}

/* Walks one reply holding an array of transactions. */
static int
walk_txs(struct cgb *b, const struct cg_http_response *resp,
    struct cgb_txwalk *tw, size_t start)
{
	struct page_walk w = { tw, start };
	int rc;

	(void)b;
	rc = cg_json_walk(resp->body, (size_t)resp->body_len, page_scalar, &w,
	    NULL);
	if (rc == 0)
		rc = cgb_txwalk_end(tw);
	return rc;
}

static int
esplora_block(struct cgb *b, const char *hash, struct cgb_block *hdr,
    cgb_output_fn fn, void *arg)
{
	struct cg_http_response resp;
	struct cgb_txwalk tw;
	char path[160];
	uint64_t start;
	int rc;

	if ((rc = read_header(b, hash, hdr)) < 0)
		return rc;
	cgb_txwalk_init(&tw, b, 0, fn, arg);
	for (start = 0; start < hdr->tx_count; start += CGB_ESPLORA_PAGE) {
		snprintf(path, sizeof(path), "/block/%s/txs/%llu", hash,
		    (unsigned long long)start);
		if ((rc = get(b, path, &resp)) < 0)
			goto out;
		rc = walk_txs(b, &resp, &tw, start);
		cgb_http_done(b, &resp);
		if (rc == 0 && tw.count != (hdr->tx_count - start <
		    CGB_ESPLORA_PAGE ? hdr->tx_count : start + CGB_ESPLORA_PAGE))
			rc = -EPROTO;
		if (rc < 0) {
			cgb_log(b, CG_PLUGIN_LOG_ERROR, "esplora block %s: "
			    "transactions from %llu malformed error=%d", hash,
			    (unsigned long long)start, rc);
			rc = rc == -ENOMEM ? rc : -EPROTO;
			goto out;
		}
	}
	rc = 0;
out:
	cgb_txwalk_free(&tw);
	return rc;
}

struct pool_walk {
	struct cgb *b;
	cgb_output_fn fn;
	void *arg;
	int rc;
};

static int
pool_address(void *arg, const char *address)
{
	struct pool_walk *p = arg;
	struct cg_http_response resp;
	struct cgb_txwalk tw;
	char path[160];
	size_t i;
	int rc;

	/* Canonical addresses are alphanumeric: nothing to escape. */
	for (i = 0; address[i] != '\0'; i++)
		if (i > 100 || !((address[i] >= '0' && address[i] <= '9') ||
		    (address[i] >= 'a' && address[i] <= 'z') ||
		    (address[i] >= 'A' && address[i] <= 'Z')))
			return 0;
	snprintf(path, sizeof(path), "/address/%s/txs/mempool", address);
	if ((rc = get(p->b, path, &resp)) < 0)
		return p->rc = rc == -ENOENT ? -EIO : rc;
	cgb_txwalk_init(&tw, p->b, 0, p->fn, p->arg);
	rc = walk_txs(p->b, &resp, &tw, 0);
	cgb_txwalk_free(&tw);
	cgb_http_done(p->b, &resp);
	if (rc < 0) {
		cgb_log(p->b, CG_PLUGIN_LOG_ERROR, "esplora mempool of %s "
		    "malformed error=%d", address, rc);
		return p->rc = rc == -ENOMEM ? rc : -EPROTO;
	}
	return 0;
}

static int
esplora_mempool(struct cgb *b, const struct cg_scan_sink *sink,
    cgb_output_fn fn, void *arg)
{
	struct pool_walk p = { b, fn, arg, 0 };
	int rc;

	if (sink->watched_each == NULL)
		return -ENOSYS;
	rc = sink->watched_each(sink->ctx, pool_address, &p);
	if (p.rc < 0)
		return p.rc;
	return rc < 0 ? rc : 0;
}

const struct cgb_backend cgb_esplora = {
	.name = "esplora",
	.init = esplora_init,
	.fini = esplora_fini,
	.tip = esplora_tip,
	.block_hash = esplora_block_hash,
	.block = esplora_block,
	.mempool = esplora_mempool,
};
