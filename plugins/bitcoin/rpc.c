/*
 * The Bitcoin Core JSON-RPC backend: getblockcount, getblockhash,
 * getblock <hash> 2 (every transaction with its outputs), getrawmempool
 * and batched getrawtransaction <txid> true. Amounts are JSON numbers in
 * coins: their text is scaled to satoshis exactly, never through a double.
 *
 * The mempool is read incrementally: the txids of the last snapshot and
 * their outputs to watched addresses are kept, so each scan fetches only
 * transactions it has not seen yet (at most RPC_BATCHES_PER_SCAN batches).
 * Keeping only watched outputs bounds the memory to a list of txids; an
 * address first watched after its payment entered the mempool is reported
 * once that payment confirms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc.h"
#include "common/address.h"
#include "util/jsonnum.h"
#include "util/str.h"

#define RPC_BATCH 100			/* getrawtransaction calls per request */
/* Batches per scan: a large mempool is learnt over several scans, so no
 * scan runs for minutes (until it is known, snapshots are incomplete). */
#define RPC_BATCHES_PER_SCAN 20
#define RPC_ERR_NOT_FOUND (-5)		/* RPC_INVALID_ADDRESS_OR_KEY */
#define RPC_ERR_RANGE (-8)		/* RPC_INVALID_PARAMETER */

struct mp_out {
	uint32_t n;
	char sats[24];
	char address[CGC_BTC_ADDR_MAX];
};

struct mp_tx {
	char txid[CGB_HASH_LEN + 1];
	int fetched;
	struct mp_out *outs;
	uint32_t nouts;
};

struct rpc_state {
	struct mp_tx *txs;		/* sorted by txid */
	size_t len;
	const struct cg_scan_sink *sink;	/* during a mempool read */
};

static int
rpc_init(struct cgb *b)
{
	if ((b->backend_state = calloc(1, sizeof(struct rpc_state))) == NULL)
		return -ENOMEM;
	return 0;
}

static void
free_txs(struct mp_tx *txs, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		free(txs[i].outs);
	free(txs);
}

static void
rpc_fini(struct cgb *b)
{
	struct rpc_state *st = b->backend_state;

	if (st == NULL)
		return;
	free_txs(st->txs, st->len);
	free(st);
	b->backend_state = NULL;
}

typedef int (*result_fn)(void *arg, const struct cg_json_seg *path,
    size_t depth, enum cg_json_type type, const char *text, size_t len);

struct rpc_walk {
	result_fn fn;
	void *arg;
	int (*done)(void *arg);		/* before the reply is freed */
	int has_error;
	int64_t code;
	const char *msg;
	size_t msg_len;
};

static int
reply_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct rpc_walk *w = arg;

	if (depth == 0)
		return -EPROTO;
	if (cgb_key_is(&path[0], "result"))
		return depth == 1 && type == CG_JSON_NULL ? 0 :
		    w->fn(w->arg, path + 1, depth - 1, type, text, len);
	if (!cgb_key_is(&path[0], "error") || type == CG_JSON_NULL)
		return 0;
	w->has_error = 1;
	if (depth == 2 && cgb_key_is(&path[1], "code") &&
	    type == CG_JSON_NUMBER)
		return cgb_parse_i64(text, len, &w->code) < 0 ? -EPROTO : 0;
	if (depth == 2 && cgb_key_is(&path[1], "message") &&
	    type == CG_JSON_STRING) {
		w->msg = text;
		w->msg_len = len > 200 ? 200 : len;
	}
	return 0;
}

/*
 * One call; fn sees the scalars below "result". Returns 0, -ENOENT for
 * the node's "out of range" / "not found" errors, -EACCES when the
 * credentials are refused, -EPROTO for a malformed reply, else -EIO.
 */
static int
call_done(struct cgb *b, const char *method, const char *params,
    result_fn fn, int (*done)(void *), void *arg)
{
	struct rpc_walk w = { fn, arg, done, 0, 0, NULL, 0 };
	struct cg_http_response resp;
	char body[512];
	int len, rc;

	len = snprintf(body, sizeof(body), "{\"jsonrpc\":\"1.0\",\"id\":\"cg\","
	    "\"method\":\"%s\",\"params\":%s}", method, params);
	if (len < 0 || (size_t)len >= sizeof(body))
		return -EINVAL;
	if ((rc = cgb_http(b, "POST", b->url, body, (size_t)len, &resp)) < 0)
		return rc;
	if (resp.status == 401 || resp.status == 403) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "bitcoind refused the "
		    "credentials status=%d", resp.status);
		rc = -EACCES;
		goto out;
	}
	rc = cg_json_walk(resp.body, (size_t)resp.body_len, reply_scalar, &w,
	    NULL);
	if (rc < 0 || (!w.has_error && resp.status != 200)) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "bitcoind %s: reply malformed "
		    "status=%d error=%d", method, resp.status, rc);
		/* A failing server is not a lying one. */
		if (rc != -ENOMEM)
			rc = resp.status == 200 ? -EPROTO : -EIO;
		goto out;
	}
	if (!w.has_error && done != NULL)
		rc = done(arg);
	if (w.has_error) {
		rc = w.code == RPC_ERR_RANGE || w.code == RPC_ERR_NOT_FOUND ?
		    -ENOENT : -EIO;
		if (rc == -EIO)
			cgb_log(b, CG_PLUGIN_LOG_ERROR, "bitcoind %s failed "
			    "code=%lld message=\"%.*s\"", method,
			    (long long)w.code, (int)w.msg_len,
			    w.msg != NULL ? w.msg : "");
	}
out:
	cgb_http_done(b, &resp);
	return rc;
}

static int
call(struct cgb *b, const char *method, const char *params, result_fn fn,
    void *arg)
{
	return call_done(b, method, params, fn, NULL, arg);
}

struct u64_result {
	uint64_t v;
	int seen;
};

static int
u64_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct u64_result *r = arg;

	(void)path;
	if (depth != 0 || type != CG_JSON_NUMBER)
		return -EPROTO;
	r->seen = 1;
	return cgb_parse_u64(text, len, &r->v);
}

static int
rpc_tip(struct cgb *b, uint64_t *height)
{
	struct u64_result r = { 0, 0 };
	int rc;

	if ((rc = call(b, "getblockcount", "[]", u64_scalar, &r)) < 0)
		return rc == -ENOENT ? -EIO : rc;
	if (!r.seen)
		return -EPROTO;
	*height = r.v;
	return 0;
}

struct hash_result {
	char *hash;
	int seen;
};

static int
hash_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct hash_result *r = arg;

	(void)path;
	if (depth != 0 || type != CG_JSON_STRING)
		return -EPROTO;
	r->seen = 1;
	return cgb_copy_hash(text, len, r->hash);
}

static int
rpc_block_hash(struct cgb *b, uint64_t height, char hash[CGB_HASH_LEN + 1])
{
	struct hash_result r = { hash, 0 };
	char params[32];
	int rc;

	snprintf(params, sizeof(params), "[%llu]", (unsigned long long)height);
	if ((rc = call(b, "getblockhash", params, hash_scalar, &r)) < 0)
		return rc;
	return r.seen ? 0 : -EPROTO;
}

struct block_walk {
	struct cgb_block *hdr;
	struct cgb_txwalk *tw;
	unsigned seen;
};

static int
block_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct block_walk *w = arg;
	struct cgb_block *h = w->hdr;

	if (depth == 0)
		return -EPROTO;
	if (depth >= 3 && cgb_key_is(&path[0], "tx") && path[1].key == NULL)
		return cgb_txwalk_scalar(w->tw, path[1].index, path + 2,
		    depth - 2, (int)type, text, len);
	if (depth != 1)
		return 0;
	if (cgb_key_is(&path[0], "hash")) {
		w->seen |= 1;
		return type == CG_JSON_STRING ?
		    cgb_copy_hash(text, len, h->hash) : -EPROTO;
	}
	if (cgb_key_is(&path[0], "height")) {
		w->seen |= 2;
		return type == CG_JSON_NUMBER ?
		    cgb_parse_u64(text, len, &h->height) : -EPROTO;
	}
	if (cgb_key_is(&path[0], "previousblockhash"))
		return type == CG_JSON_STRING ?
		    cgb_copy_hash(text, len, h->parent) : -EPROTO;
	if (cgb_key_is(&path[0], "time")) {
		w->seen |= 4;
		return type == CG_JSON_NUMBER ?
		    cgb_parse_i64(text, len, &h->time) : -EPROTO;
	}
	if (cgb_key_is(&path[0], "nTx")) {
		w->seen |= 8;
		return type == CG_JSON_NUMBER ?
		    cgb_parse_u64(text, len, &h->tx_count) : -EPROTO;
	}
	return 0;
}

struct hex_result {
	uint8_t *buf;
	size_t len;
};

static int
hex_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct hex_result *r = arg;
	size_t i;
	int hi, lo;

	(void)path;
	if (depth != 0 || type != CG_JSON_STRING || len % 2 != 0 ||
	    r->buf != NULL)
		return -EPROTO;
	if ((r->buf = malloc(len / 2 + 1)) == NULL)
		return -ENOMEM;
	for (i = 0; i < len; i += 2) {
		if ((hi = cg_hex_digit(text[i])) < 0 ||
		    (lo = cg_hex_digit(text[i + 1])) < 0)
			return -EPROTO;
		r->buf[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	r->len = len / 2;
	return 0;
}

/*
 * A block too large to decode within the reply cap: its header from
 * getblockheader, its transactions from the serialized block (at most
 * twice the block's size as hex).
 */
static int
rpc_block_raw(struct cgb *b, const char *hash, struct cgb_block *hdr,
    cgb_output_fn fn, void *arg)
{
	struct cgb_txwalk tw;
	struct block_walk w = { hdr, &tw, 0 };
	struct hex_result raw = { NULL, 0 };
	char params[96];
	int rc;

	memset(hdr, 0, sizeof(*hdr));
	cgb_txwalk_init(&tw, b, 1, fn, arg);
	snprintf(params, sizeof(params), "[\"%s\",true]", hash);
	rc = call(b, "getblockheader", params, block_scalar, &w);
	cgb_txwalk_free(&tw);
	if (rc == 0 && w.seen != 15)
		rc = -EPROTO;
	if (rc < 0)
		return rc == -ENOENT ? -EIO : rc;
	snprintf(params, sizeof(params), "[\"%s\",0]", hash);
	if ((rc = call(b, "getblock", params, hex_scalar, &raw)) == 0)
		rc = raw.buf == NULL ? -EPROTO :
		    cgb_raw_block(b, raw.buf, raw.len, hdr, fn, arg);
	free(raw.buf);
	return rc == -ENOENT ? -EIO : rc;
}

static int
block_done(void *arg)
{
	struct block_walk *w = arg;

	return cgb_txwalk_end(w->tw);
}

static int
rpc_block(struct cgb *b, const char *hash, struct cgb_block *hdr,
    cgb_output_fn fn, void *arg)
{
	struct cgb_txwalk tw;
	struct block_walk w = { hdr, &tw, 0 };
	char params[96];
	int rc;

	snprintf(params, sizeof(params), "[\"%s\",2]", hash);
	cgb_txwalk_init(&tw, b, 1, fn, arg);
	rc = call_done(b, "getblock", params, block_scalar, block_done, &w);
	if (rc == -EMSGSIZE) {
		cgb_txwalk_free(&tw);
		cgb_log(b, CG_PLUGIN_LOG_INFO, "block %s: decoded form over "
		    "the reply cap, reading it serialized", hash);
		return rpc_block_raw(b, hash, hdr, fn, arg);
	}
	if (rc == 0 && (w.seen != 15 || tw.count != hdr->tx_count)) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "bitcoind block %s: header "
		    "incomplete or %llu transactions of nTx=%llu", hash,
		    (unsigned long long)tw.count,
		    (unsigned long long)hdr->tx_count);
		rc = -EPROTO;
	}
	cgb_txwalk_free(&tw);
	return rc == -ENOENT ? -EIO : rc;
}

/* ---- mempool ----------------------------------------------------------- */

struct txids {
	char (*v)[CGB_HASH_LEN + 1];
	size_t len, cap;
};

static int
txids_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct txids *t = arg;

	if (depth != 1 || path[0].key != NULL || type != CG_JSON_STRING)
		return -EPROTO;
	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		void *v = realloc(t->v, cap * sizeof(*t->v));

		if (v == NULL)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	return cgb_copy_hash(text, len, t->v[t->len++]);
}

static int
txid_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Rebuilds the cache for the current txids, keeping what it knew. */
static int
merge(struct rpc_state *st, const struct txids *ids)
{
	struct mp_tx *next, *old;
	size_t i, j = 0;

	if ((next = calloc(ids->len + 1, sizeof(*next))) == NULL)
		return -ENOMEM;
	for (i = 0; i < ids->len; i++) {
		while (j < st->len && strcmp(st->txs[j].txid, ids->v[i]) < 0)
			free(st->txs[j++].outs);
		old = j < st->len && strcmp(st->txs[j].txid, ids->v[i]) == 0 ?
		    &st->txs[j++] : NULL;
		if (old != NULL)
			next[i] = *old;
		else
			memcpy(next[i].txid, ids->v[i], sizeof(next[i].txid));
	}
	while (j < st->len)
		free(st->txs[j++].outs);
	free(st->txs);
	st->txs = next;
	st->len = ids->len;
	return 0;
}

static struct mp_tx *
find_tx(struct rpc_state *st, const char *txid, size_t len)
{
	char key[CGB_HASH_LEN + 1];

	if (!cgb_is_hash(txid, len))
		return NULL;
	memcpy(key, txid, len);
	key[len] = '\0';
	return bsearch(key, st->txs, st->len, sizeof(*st->txs), txid_cmp);
}

struct batch_walk {
	struct cgb *b;
	struct rpc_state *st;
	struct cgb_txwalk *tw;
	int failed;
};

static int
keep_output(void *arg, const struct cgb_output *o)
{
	struct rpc_state *st = arg;
	char addr[CGC_BTC_ADDR_MAX];
	struct mp_tx *t;
	struct mp_out *v;
	int w;

	if ((t = find_tx(st, o->txid, CGB_HASH_LEN)) == NULL ||
	    o->address_len == 0 || o->address_len >= sizeof(addr))
		return 0;
	memcpy(addr, o->address, o->address_len);
	addr[o->address_len] = '\0';
	if ((w = st->sink->is_watched(st->sink->ctx, addr)) <= 0)
		return w;
	if ((v = realloc(t->outs, (t->nouts + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	t->outs = v;
	v = &t->outs[t->nouts++];
	v->n = o->n;
	snprintf(v->sats, sizeof(v->sats), "%s", o->sats);
	memcpy(v->address, o->address, o->address_len);
	v->address[o->address_len] = '\0';
	return 0;
}

static int
batch_scalar(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct batch_walk *w = arg;
	struct mp_tx *t;
	int64_t code;

	if (depth < 2 || path[0].key != NULL)
		return depth == 0 ? -EPROTO : 0;
	if (cgb_key_is(&path[1], "error") && type != CG_JSON_NULL) {
		/* A transaction that left the mempool meanwhile is gone. */
		if (depth == 3 && cgb_key_is(&path[2], "code") &&
		    cgb_parse_i64(text, len, &code) == 0 &&
		    code == RPC_ERR_NOT_FOUND)
			return 0;
		w->failed = 1;
		return 0;
	}
	if (!cgb_key_is(&path[1], "result") || depth < 3)
		return 0;
	if (depth == 3 && cgb_key_is(&path[2], "txid") &&
	    type == CG_JSON_STRING && (t = find_tx(w->st, text, len)) != NULL)
		t->fetched = 1;
	return cgb_txwalk_scalar(w->tw, path[0].index, path + 2, depth - 2,
	    (int)type, text, len);
}

/* getrawtransaction for cache[from..to) that are not fetched yet. */
static int
fetch_batch(struct cgb *b, struct rpc_state *st, size_t *pos)
{
	struct cgb_txwalk tw;
	struct batch_walk w = { b, st, &tw, 0 };
	struct cg_http_response resp;
	char *body;
	size_t cap = RPC_BATCH * 200 + 8, len = 0, k = 0;
	int rc;

	if ((body = malloc(cap)) == NULL)
		return -ENOMEM;
	body[len++] = '[';
	for (; *pos < st->len && k < RPC_BATCH; (*pos)++) {
		if (st->txs[*pos].fetched)
			continue;
		len += (size_t)snprintf(body + len, cap - len, "%s{\"jsonrpc\":"
		    "\"1.0\",\"id\":%zu,\"method\":\"getrawtransaction\","
		    "\"params\":[\"%s\",true]}", k > 0 ? "," : "", k,
		    st->txs[*pos].txid);
		k++;
	}
	body[len++] = ']';
	body[len] = '\0';
	if (k == 0) {
		free(body);
		return 0;
	}
	rc = cgb_http(b, "POST", b->url, body, len, &resp);
	free(body);
	if (rc < 0)
		return rc;
	cgb_txwalk_init(&tw, b, 1, keep_output, st);
	rc = resp.status == 200 ? cg_json_walk(resp.body,
	    (size_t)resp.body_len, batch_scalar, &w, NULL) : -EIO;
	if (rc == 0)
		rc = cgb_txwalk_end(&tw);
	cgb_txwalk_free(&tw);
	if (rc < 0 || w.failed) {
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "bitcoind getrawtransaction "
		    "batch failed status=%d error=%d", resp.status, rc);
		rc = rc == -ENOMEM ? rc : -EIO;
	}
	cgb_http_done(b, &resp);
	return rc;
}

static int
rpc_mempool(struct cgb *b, const struct cg_scan_sink *sink,
    cgb_output_fn fn, void *arg)
{
	struct rpc_state *st = b->backend_state;
	struct txids ids = { NULL, 0, 0 };
	struct cgb_output o;
	size_t i, j, pos = 0;
	int rc;

	st->sink = sink;
	if ((rc = call(b, "getrawmempool", "[]", txids_scalar, &ids)) < 0)
		goto out;
	if (ids.len > 1)
		qsort(ids.v, ids.len, sizeof(*ids.v), txid_cmp);
	for (i = j = 0; i < ids.len; i++)
		if (j == 0 || strcmp(ids.v[j - 1], ids.v[i]) != 0)
			memmove(ids.v[j++], ids.v[i], sizeof(*ids.v));
	ids.len = j;
	if ((rc = merge(st, &ids)) < 0)
		goto out;
	for (i = 0; pos < st->len; i++) {
		if (i == RPC_BATCHES_PER_SCAN) {
			cgb_log(b, CG_PLUGIN_LOG_INFO, "mempool of %zu "
			    "transactions partly read, the rest next scan",
			    st->len);
			rc = -EINPROGRESS;
			goto out;
		}
		if ((rc = fetch_batch(b, st, &pos)) < 0)
			goto out;
	}
	/* Transactions that vanished between the two calls count as gone. */
	for (i = 0; i < st->len; i++) {
		st->txs[i].fetched = 1;
		for (j = 0; j < st->txs[i].nouts; j++) {
			o.txid = st->txs[i].txid;
			o.address = st->txs[i].outs[j].address;
			o.address_len = strlen(o.address);
			o.n = st->txs[i].outs[j].n;
			o.sats = st->txs[i].outs[j].sats;
			if ((rc = fn(arg, &o)) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(ids.v);
	return rc;
}

const struct cgb_backend cgb_rpc = {
	.name = "bitcoind",
	.init = rpc_init,
	.fini = rpc_fini,
	.tip = rpc_tip,
	.block_hash = rpc_block_hash,
	.block = rpc_block,
	.mempool = rpc_mempool,
};
