/*
 * The evm plugin's chain reading: safe head, block hashes and scan.
 *
 * One scan reads the blocks [from, to] (to: at most blocks_per_batch on,
 * never past the safe head) with full transactions, the Transfer logs of
 * the watched token contracts over that range, and the receipts of the
 * transactions that pay a watched address. Everything is fetched and
 * checked before the first report to the host: a reply that is malformed,
 * of the wrong type, absurd, or inconsistent with the rest of the batch
 * (a reorg while reading) fails the whole batch, so the host never sees
 * half of one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/amount.h"
#include "evm.h"

#define TRANSFER_TOPIC \
	"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
/* Heights past 2^48 are nonsense from a broken node, not a chain. */
#define EVM_HEIGHT_MAX (UINT64_C(1) << 48)
/* Blocks with full transactions are large: fewer per HTTP request. */
#define EVM_BLOCKS_PER_REQUEST 10
/* Digits of the largest amount DECIMAL(36,18) can hold at any decimals
 * the host accepts (<= 18): anything longer is flagged too large. */
#define EVM_AMOUNT_DIGITS_MAX 36
/* plugin.h: position 0 for a native EVM value (the host stores it as the
 * data model's tx_position -1; the transfer has contract ""). */
#define EVM_NATIVE_POSITION 0u

struct blk {
	uint64_t height;
	int64_t time;
	char hash[EVM_HASH_STRLEN];
	char parent[EVM_HASH_STRLEN];
};

struct xfer {
	size_t blk;
	uint64_t tx_index;
	uint64_t log_index;		/* block-wide; logs only */
	int native;
	int need_value;			/* native, value not read yet */
	int skip;			/* turned out to carry no value */
	uint32_t position;
	uint32_t flags;
	char tx_hash[EVM_HASH_STRLEN];
	char from[CGC_EVM_ADDR_STRLEN];
	char to[CGC_EVM_ADDR_STRLEN];
	char contract[CGC_EVM_ADDR_STRLEN];
	char amount[CGC_UNITS_STR_MAX];
};

struct batch {
	struct evm *e;
	const struct cg_scan_sink *sink;
	uint64_t from, to;
	struct blk *blocks;
	struct xfer *x;
	size_t nx, capx;
	char (*contracts)[CGC_EVM_ADDR_STRLEN];
	size_t ncontracts;
};

/* A reply that makes no sense: logged, its URL backed off, -EIO. */
static int
bad(struct evm *e, const char *what, uint64_t height)
{
	char why[160];

	snprintf(why, sizeof(why), "%s (block %llu)", what,
	    (unsigned long long)height);
	evm_rpc_blame(&e->rpc, why);
	return -EIO;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A 32-byte hash: "0x" + 64 hex digits, kept lower-case. */
static int
get_hash(const json_t *v, char out[EVM_HASH_STRLEN])
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != 66 || s[0] != '0' || s[1] != 'x')
		return -EIO;
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 2; i < 66; i++) {
		if (hexval(s[i]) < 0)
			return -EIO;
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	}
	out[66] = '\0';
	return 0;
}

/* An address string from the node, rewritten with the EIP-55 checksum. */
static int
get_addr(const json_t *v, char out[CGC_EVM_ADDR_STRLEN])
{
	uint8_t a[CGC_EVM_ADDR_LEN];
	const char *s = json_string_value(v);

	if (s == NULL || cgc_evm_address_parse(s, a) < 0 ||
	    cgc_evm_address_format(a, out) < 0)
		return -EIO;
	return 0;
}

/* An indexed address topic: 12 zero bytes, then the address. */
static int
topic_addr(const char hash[EVM_HASH_STRLEN], char out[CGC_EVM_ADDR_STRLEN])
{
	uint8_t a[CGC_EVM_ADDR_LEN];

	for (size_t i = 2; i < 26; i++)
		if (hash[i] != '0')
			return -EINVAL;
	for (size_t i = 0; i < CGC_EVM_ADDR_LEN; i++)
		a[i] = (uint8_t)(hexval(hash[26 + 2 * i]) << 4 |
		    hexval(hash[27 + 2 * i]));
	return cgc_evm_address_format(a, out) < 0 ? -EIO : 0;
}

static int
get_height(const json_t *v, uint64_t *out)
{
	if (evm_hex_u64(v, out) < 0 || *out > EVM_HEIGHT_MAX)
		return -EIO;
	return 0;
}

static json_t *
block_params(uint64_t height, int full)
{
	char tag[24];

	snprintf(tag, sizeof(tag), "0x%llx", (unsigned long long)height);
	return json_pack("[sb]", tag, full);
}

int
evm_safe_head(struct evm *e, uint64_t *height)
{
	json_t *res;
	uint64_t h;
	int rc;

	if (e->finalized) {
		rc = evm_rpc_call(&e->rpc, "eth_getBlockByNumber",
		    json_pack("[sb]", "finalized", 0), &res);
		if (rc < 0)
			return rc;
		if (json_is_null(res)) {
			json_decref(res);
			return -EAGAIN;
		}
		rc = get_height(json_object_get(res, "number"), &h);
	} else {
		rc = evm_rpc_call(&e->rpc, "eth_blockNumber", json_array(),
		    &res);
		if (rc < 0)
			return rc;
		rc = get_height(res, &h);
	}
	json_decref(res);
	if (rc < 0)
		return bad(e, "head height is not a sane quantity", 0);
	if (!e->finalized) {
		if (h < e->confirmations)
			return -EAGAIN;
		h -= e->confirmations;
	}
	*height = h;
	return 0;
}

int
evm_fetch_block_hash(struct evm *e, uint64_t height,
    char hash[EVM_HASH_STRLEN])
{
	json_t *res;
	uint64_t n;
	int rc;

	if (height > EVM_HEIGHT_MAX)
		return -EINVAL;
	rc = evm_rpc_call(&e->rpc, "eth_getBlockByNumber",
	    block_params(height, 0), &res);
	if (rc < 0)
		return rc;
	if (json_is_null(res)) {
		json_decref(res);
		return -ENOENT;
	}
	rc = get_height(json_object_get(res, "number"), &n);
	if (rc == 0 && n != height)
		rc = -EIO;
	if (rc == 0)
		rc = get_hash(json_object_get(res, "hash"), hash);
	json_decref(res);
	return rc < 0 ? bad(e, "block without a sane number and hash",
	    height) : 0;
}

static struct xfer *
new_xfer(struct batch *b)
{
	struct xfer *grown;

	if (b->nx == b->capx) {
		size_t cap = b->capx ? b->capx * 2 : 64;

		if ((grown = realloc(b->x, cap * sizeof(*grown))) == NULL)
			return NULL;
		b->x = grown;
		b->capx = cap;
	}
	memset(&b->x[b->nx], 0, sizeof(b->x[0]));
	return &b->x[b->nx++];
}

/* Sets x->amount from a hex quantity; flags what no column can hold. */
static int
set_amount(struct xfer *x, const char *hex)
{
	size_t needed;
	int rc;

	rc = cgc_units_from_hex(hex, x->amount, sizeof(x->amount), &needed);
	if (rc == -ERANGE) {
		x->amount[0] = '\0';
		x->flags |= CG_TRANSFER_TOO_LARGE;
		return 0;
	}
	if (rc < 0)
		return -EIO;
	if (strlen(x->amount) > EVM_AMOUNT_DIGITS_MAX)
		x->flags |= CG_TRANSFER_TOO_LARGE;
	return 0;
}

/* A transaction of a block body: a native payment when it sends value to
 * a watched address. */
static int
take_tx(struct batch *b, size_t bi, size_t pos, const json_t *tx)
{
	const json_t *to = json_object_get(tx, "to");
	const char *value = json_string_value(json_object_get(tx, "value"));
	char addr[CGC_EVM_ADDR_STRLEN];
	struct xfer *x;
	uint64_t index;
	int w;

	if (!json_is_object(tx) || value == NULL)
		return -EIO;
	if (to == NULL || json_is_null(to))
		return 0;		/* contract creation */
	if (get_addr(to, addr) < 0)
		return -EIO;
	if (strcmp(value, "0x0") == 0 || strcmp(value, "0x") == 0)
		return 0;
	if ((w = b->sink->is_watched(b->sink->ctx, addr)) < 0)
		return w;
	if (w == 0)
		return 0;
	if ((x = new_xfer(b)) == NULL)
		return -ENOMEM;
	x->blk = bi;
	x->native = 1;
	x->position = EVM_NATIVE_POSITION;
	memcpy(x->to, addr, sizeof(addr));
	if (evm_hex_u64(json_object_get(tx, "transactionIndex"), &index) < 0)
		index = pos;
	x->tx_index = index;
	if (get_hash(json_object_get(tx, "hash"), x->tx_hash) < 0 ||
	    get_addr(json_object_get(tx, "from"), x->from) < 0 ||
	    set_amount(x, value) < 0 || ((x->flags & CG_TRANSFER_TOO_LARGE) &&
	    x->amount[0] == '\0'))
		return -EIO;	/* a value past 256 bits: not a real chain */
	return 0;
}

/* A block header of the reply, checked against the height asked and the
 * block before it; *txs: its transaction list. */
static int
take_header(struct batch *b, size_t bi, const json_t *blk, const json_t **txs)
{
	struct evm *e = b->e;
	struct blk *h = &b->blocks[bi];
	uint64_t n, t;

	h->height = b->from + bi;
	if (json_is_null(blk)) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "block %llu not "
		    "available (chain shorter than its head said?)",
		    (unsigned long long)h->height);
		return -EAGAIN;
	}
	if (!json_is_object(blk) ||
	    get_height(json_object_get(blk, "number"), &n) < 0 ||
	    n != h->height ||
	    get_hash(json_object_get(blk, "hash"), h->hash) < 0 ||
	    get_hash(json_object_get(blk, "parentHash"), h->parent) < 0 ||
	    evm_hex_u64(json_object_get(blk, "timestamp"), &t) < 0 ||
	    t > (uint64_t)INT64_MAX ||
	    !json_is_array(*txs = json_object_get(blk, "transactions")))
		return bad(e, "block header malformed", h->height);
	h->time = (int64_t)t;
	if (bi > 0 && strcmp(h->parent, b->blocks[bi - 1].hash) != 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "chain changed "
		    "while reading block %llu: batch dropped",
		    (unsigned long long)h->height);
		return -EAGAIN;
	}
	return 0;
}

/* Transaction mode: a block with full transactions. */
static int
take_block(struct batch *b, size_t bi, const json_t *blk)
{
	const json_t *txs, *tx;
	size_t i;
	int rc;

	if ((rc = take_header(b, bi, blk, &txs)) < 0)
		return rc;
	json_array_foreach(txs, i, tx)
		if ((rc = take_tx(b, bi, i, tx)) < 0)
			return rc == -EIO ? bad(b->e, "transaction malformed",
			    b->blocks[bi].height) : rc;
	return 0;
}

/* A reply past the host's size cap: ask for half as many blocks. */
static size_t
smaller(struct evm *e, size_t per)
{
	e->api->log(e->host, CG_PLUGIN_LOG_INFO, "reply too large: %zu "
	    "blocks per request from now on (this batch)", per / 2);
	return per / 2;
}

static int
fetch_blocks(struct batch *b)
{
	struct evm_call calls[EVM_BLOCKS_PER_REQUEST];
	size_t total = (size_t)(b->to - b->from + 1), done = 0;
	size_t per = b->e->rpc.batch_limit < EVM_BLOCKS_PER_REQUEST ?
	    b->e->rpc.batch_limit : EVM_BLOCKS_PER_REQUEST;
	json_t *res;
	int rc;

	while (done < total) {
		size_t k = total - done < per ? total - done : per;

		for (size_t i = 0; i < k; i++) {
			calls[i].method = "eth_getBlockByNumber";
			calls[i].params = block_params(b->from + done + i, 1);
		}
		rc = evm_rpc_batch(&b->e->rpc, calls, k, &res);
		if (rc == -EMSGSIZE && per > 1) {
			per = smaller(b->e, per);
			continue;
		}
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < k && rc == 0; i++)
			rc = take_block(b, done + i, json_array_get(res, i));
		json_decref(res);
		if (rc < 0)
			return rc;
		done += k;
	}
	return 0;
}

static int
known_contract(const struct batch *b, const char *addr)
{
	for (size_t i = 0; i < b->ncontracts; i++)
		if (strcmp(b->contracts[i], addr) == 0)
			return 1;
	return 0;
}

/* One Transfer log: a token payment when its recipient is watched. */
static int
take_log(struct batch *b, const json_t *log)
{
	struct evm *e = b->e;
	char topic[3][EVM_HASH_STRLEN], to[CGC_EVM_ADDR_STRLEN];
	const json_t *topics = json_object_get(log, "topics");
	const char *data;
	struct xfer *x;
	uint64_t height;
	size_t bi;
	int w;

	if (!json_is_object(log) ||
	    get_height(json_object_get(log, "blockNumber"), &height) < 0 ||
	    height < b->from || height > b->to || !json_is_array(topics) ||
	    json_array_size(topics) < 1 ||
	    get_hash(json_array_get(topics, 0), topic[0]) < 0 ||
	    strcmp(topic[0], TRANSFER_TOPIC) != 0)
		return bad(e, "log malformed or not asked for", b->from);
	bi = (size_t)(height - b->from);
	if (json_is_true(json_object_get(log, "removed")) ||
	    get_hash(json_object_get(log, "blockHash"), topic[1]) < 0 ||
	    strcmp(topic[1], b->blocks[bi].hash) != 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "log of block %llu "
		    "from another chain: batch dropped",
		    (unsigned long long)height);
		return -EAGAIN;
	}
	/* ERC-721 shares the topic with a fourth (token id) topic. */
	if (json_array_size(topics) != 3)
		return 0;
	if (get_hash(json_array_get(topics, 1), topic[1]) < 0 ||
	    get_hash(json_array_get(topics, 2), topic[2]) < 0)
		return bad(e, "log topics malformed", height);
	if (topic_addr(topic[2], to) < 0)
		return 0;	/* not an address: no payment of ours */
	if ((w = b->sink->is_watched(b->sink->ctx, to)) <= 0)
		return w;
	if ((x = new_xfer(b)) == NULL)
		return -ENOMEM;
	x->blk = bi;
	memcpy(x->to, to, sizeof(to));
	data = json_string_value(json_object_get(log, "data"));
	if (topic_addr(topic[1], x->from) < 0 ||
	    get_addr(json_object_get(log, "address"), x->contract) < 0 ||
	    !known_contract(b, x->contract) || data == NULL ||
	    set_amount(x, data) < 0 ||
	    get_hash(json_object_get(log, "transactionHash"), x->tx_hash) < 0 ||
	    evm_hex_u64(json_object_get(log, "transactionIndex"),
	    &x->tx_index) < 0 ||
	    evm_hex_u64(json_object_get(log, "logIndex"), &x->log_index) < 0)
		return bad(e, "transfer log malformed", height);
	return 0;
}

static int
fetch_logs(struct batch *b)
{
	json_t *res, *addrs, *log, *filter;
	char from[24], to[24];
	size_t i;
	int rc = 0;

	if (b->ncontracts == 0)
		return 0;
	if ((addrs = json_array()) == NULL)
		return -ENOMEM;
	for (i = 0; i < b->ncontracts; i++)
		if (json_array_append_new(addrs, json_string(
		    b->contracts[i])) < 0) {
			json_decref(addrs);
			return -ENOMEM;
		}
	snprintf(from, sizeof(from), "0x%llx", (unsigned long long)b->from);
	snprintf(to, sizeof(to), "0x%llx", (unsigned long long)b->to);
	filter = json_pack("[{s:s,s:s,s:o,s:[s]}]", "fromBlock", from,
	    "toBlock", to, "address", addrs, "topics", TRANSFER_TOPIC);
	if ((rc = evm_rpc_call(&b->e->rpc, "eth_getLogs", filter, &res)) < 0)
		return rc;
	if (!json_is_array(res)) {
		json_decref(res);
		return bad(b->e, "eth_getLogs gave no list", b->from);
	}
	json_array_foreach(res, i, log)
		if ((rc = take_log(b, log)) < 0)
			break;
	json_decref(res);
	return rc;
}

/* Block, transaction, native before logs, then log order. */
static int
xfer_cmp(const void *pa, const void *pb)
{
	const struct xfer *a = pa, *b = pb;

	if (a->blk != b->blk)
		return a->blk < b->blk ? -1 : 1;
	if (a->tx_index != b->tx_index)
		return a->tx_index < b->tx_index ? -1 : 1;
	if (a->native != b->native)
		return a->native ? -1 : 1;
	if (a->log_index != b->log_index)
		return a->log_index < b->log_index ? -1 : 1;
	return 0;
}

/* Applies one receipt to the transfers x[0..n) of its transaction: the
 * failed flag, and each log's position within the receipt. */
static int
take_receipt(struct batch *b, const json_t *r, struct xfer *x, size_t n)
{
	struct evm *e = b->e;
	const json_t *logs, *l;
	char hash[EVM_HASH_STRLEN];
	uint64_t status, li;
	size_t i;

	if (json_is_null(r)) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "receipt of %s "
		    "missing: batch dropped", x->tx_hash);
		return -EAGAIN;
	}
	if (!json_is_object(r) ||
	    get_hash(json_object_get(r, "transactionHash"), hash) < 0 ||
	    strcmp(hash, x->tx_hash) != 0 ||
	    get_hash(json_object_get(r, "blockHash"), hash) < 0 ||
	    evm_hex_u64(json_object_get(r, "status"), &status) < 0 ||
	    status > 1 || !json_is_array(logs = json_object_get(r, "logs")))
		return bad(e, "receipt malformed", b->blocks[x->blk].height);
	if (strcmp(hash, b->blocks[x->blk].hash) != 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "receipt of %s from "
		    "another block: batch dropped", x->tx_hash);
		return -EAGAIN;
	}
	for (size_t k = 0; k < n; k++) {
		if (status == 0)
			x[k].flags |= CG_TRANSFER_FAILED;
		if (x[k].native)
			continue;
		json_array_foreach(logs, i, l)
			if (evm_hex_u64(json_object_get(l, "logIndex"),
			    &li) == 0 && li == x[k].log_index)
				break;
		if (i == json_array_size(logs))
			return bad(e, "receipt lacks the transfer's log",
			    b->blocks[x->blk].height);
		x[k].position = (uint32_t)i;
	}
	return 0;
}

/* Length of the run of transfers of one transaction starting at i. */
static size_t
tx_run(const struct batch *b, size_t i)
{
	size_t j = i + 1;

	while (j < b->nx && b->x[j].blk == b->x[i].blk &&
	    strcmp(b->x[j].tx_hash, b->x[i].tx_hash) == 0)
		j++;
	return j - i;
}

static int
fetch_receipts(struct batch *b)
{
	struct evm_call *calls;
	json_t *res = NULL;
	size_t n = 0, i, k;
	int rc;

	if (b->nx == 0)
		return 0;
	qsort(b->x, b->nx, sizeof(b->x[0]), xfer_cmp);
	/* The same log twice (a node repeating itself) would be counted
	 * once by the host, but it is a sign of a broken reply. */
	for (i = 1; i < b->nx; i++)
		if (xfer_cmp(&b->x[i - 1], &b->x[i]) == 0)
			return bad(b->e, "the same transfer twice",
			    b->blocks[b->x[i].blk].height);
	if ((calls = calloc(b->nx, sizeof(*calls))) == NULL)
		return -ENOMEM;
	for (i = 0; i < b->nx; i += tx_run(b, i)) {
		calls[n].method = "eth_getTransactionReceipt";
		calls[n++].params = json_pack("[s]", b->x[i].tx_hash);
	}
	rc = evm_rpc_batch(&b->e->rpc, calls, n, &res);
	free(calls);
	if (rc < 0)
		return rc;
	for (i = 0, k = 0; i < b->nx && rc == 0; i += tx_run(b, i), k++)
		rc = take_receipt(b, json_array_get(res, k), &b->x[i],
		    tx_run(b, i));
	json_decref(res);
	return rc;
}

/* ---- block mode: eth_getBlockReceipts ---------------------------------- */

/* A log of a receipt: a token payment when it is a Transfer of a watched
 * contract to a watched address. pos: its index in the receipt. */
static int
take_receipt_log(struct batch *b, size_t bi, const json_t *log, size_t pos,
    const struct xfer *tx)
{
	char contract[CGC_EVM_ADDR_STRLEN], to[CGC_EVM_ADDR_STRLEN];
	char topic[3][EVM_HASH_STRLEN];
	const json_t *topics = json_object_get(log, "topics");
	const char *data;
	struct xfer *x;
	int w;

	if (!json_is_object(log) || !json_is_array(topics) ||
	    get_addr(json_object_get(log, "address"), contract) < 0)
		return -EIO;
	if (!known_contract(b, contract) || json_array_size(topics) != 3)
		return 0;	/* ERC-721 has a fourth topic */
	if (get_hash(json_array_get(topics, 0), topic[0]) < 0 ||
	    get_hash(json_array_get(topics, 1), topic[1]) < 0 ||
	    get_hash(json_array_get(topics, 2), topic[2]) < 0)
		return -EIO;
	if (strcmp(topic[0], TRANSFER_TOPIC) != 0 || topic_addr(topic[2], to) < 0)
		return 0;
	if ((w = b->sink->is_watched(b->sink->ctx, to)) <= 0)
		return w;
	if ((x = new_xfer(b)) == NULL)
		return -ENOMEM;
	x->blk = bi;
	x->tx_index = tx->tx_index;
	x->log_index = pos;
	x->position = (uint32_t)pos;
	x->flags = tx->flags & CG_TRANSFER_FAILED;
	memcpy(x->tx_hash, tx->tx_hash, sizeof(x->tx_hash));
	memcpy(x->to, to, sizeof(to));
	memcpy(x->contract, contract, sizeof(contract));
	data = json_string_value(json_object_get(log, "data"));
	if (topic_addr(topic[1], x->from) < 0 || data == NULL ||
	    set_amount(x, data) < 0)
		return -EIO;
	return 0;
}

/* One receipt of a block: a native candidate when it goes to a watched
 * address (its value is read later), then its Transfer logs. */
static int
take_block_receipt(struct batch *b, size_t bi, size_t i, const json_t *r,
    const json_t *tx_hash)
{
	struct evm *e = b->e;
	char hash[EVM_HASH_STRLEN], to[CGC_EVM_ADDR_STRLEN];
	const json_t *logs, *l, *jto;
	struct xfer tx = { .tx_index = i }, *x;
	uint64_t status;
	size_t k;
	int rc, w;

	if (!json_is_object(r) ||
	    get_hash(json_object_get(r, "transactionHash"), tx.tx_hash) < 0 ||
	    get_hash(tx_hash, hash) < 0 || strcmp(hash, tx.tx_hash) != 0 ||
	    get_hash(json_object_get(r, "blockHash"), hash) < 0 ||
	    evm_hex_u64(json_object_get(r, "status"), &status) < 0 ||
	    status > 1 || !json_is_array(logs = json_object_get(r, "logs")))
		return -EIO;
	if (strcmp(hash, b->blocks[bi].hash) != 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "receipts of block "
		    "%llu from another chain: batch dropped",
		    (unsigned long long)b->blocks[bi].height);
		return -EAGAIN;
	}
	if (status == 0)
		tx.flags = CG_TRANSFER_FAILED;
	jto = json_object_get(r, "to");
	if (jto != NULL && !json_is_null(jto)) {
		if (get_addr(jto, to) < 0)
			return -EIO;
		if ((w = b->sink->is_watched(b->sink->ctx, to)) < 0)
			return w;
		if (w) {
			if ((x = new_xfer(b)) == NULL)
				return -ENOMEM;
			*x = tx;
			x->blk = bi;
			x->native = 1;
			x->need_value = 1;
			x->position = EVM_NATIVE_POSITION;
			memcpy(x->to, to, sizeof(to));
			if (get_addr(json_object_get(r, "from"), x->from) < 0)
				return -EIO;
		}
	}
	json_array_foreach(logs, k, l)
		if ((rc = take_receipt_log(b, bi, l, k, &tx)) < 0)
			return rc;
	return 0;
}

static int
take_block_and_receipts(struct batch *b, size_t bi, const json_t *blk,
    const json_t *receipts)
{
	const json_t *txs, *r;
	size_t i;
	int rc;

	if ((rc = take_header(b, bi, blk, &txs)) < 0)
		return rc;
	if (json_is_null(receipts)) {
		b->e->api->log(b->e->host, CG_PLUGIN_LOG_INFO, "receipts of "
		    "block %llu not available: batch dropped",
		    (unsigned long long)b->blocks[bi].height);
		return -EAGAIN;
	}
	if (!json_is_array(receipts) ||
	    json_array_size(receipts) != json_array_size(txs))
		return bad(b->e, "receipts do not match the block",
		    b->blocks[bi].height);
	json_array_foreach(receipts, i, r)
		if ((rc = take_block_receipt(b, bi, i, r,
		    json_array_get(txs, i))) < 0)
			return rc == -EIO ? bad(b->e, "receipt malformed",
			    b->blocks[bi].height) : rc;
	return 0;
}

static int
fetch_blocks_receipts(struct batch *b)
{
	struct evm_call calls[2 * EVM_BLOCKS_PER_REQUEST];
	size_t total = (size_t)(b->to - b->from + 1), done = 0;
	size_t per = b->e->rpc.batch_limit / 2;
	char tag[24];
	json_t *res;
	int rc;

	if (per < 1)
		per = 1;
	if (per > EVM_BLOCKS_PER_REQUEST)
		per = EVM_BLOCKS_PER_REQUEST;
	while (done < total) {
		size_t k = total - done < per ? total - done : per;

		for (size_t i = 0; i < k; i++) {
			uint64_t h = b->from + done + i;

			snprintf(tag, sizeof(tag), "0x%llx",
			    (unsigned long long)h);
			calls[2 * i].method = "eth_getBlockByNumber";
			calls[2 * i].params = block_params(h, 0);
			calls[2 * i + 1].method = "eth_getBlockReceipts";
			calls[2 * i + 1].params = json_pack("[s]", tag);
		}
		rc = evm_rpc_batch(&b->e->rpc, calls, 2 * k, &res);
		if (rc == -EMSGSIZE && per > 1) {
			per = smaller(b->e, per);
			continue;
		}
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < k && rc == 0; i++)
			rc = take_block_and_receipts(b, done + i,
			    json_array_get(res, 2 * i),
			    json_array_get(res, 2 * i + 1));
		json_decref(res);
		if (rc < 0)
			return rc;
		done += k;
	}
	return 0;
}

/* The value of a native candidate, from its transaction. */
static int
take_value(struct batch *b, struct xfer *x, const json_t *tx)
{
	char hash[EVM_HASH_STRLEN];
	const char *value;

	if (json_is_null(tx))
		return -EAGAIN;
	value = json_string_value(json_object_get(tx, "value"));
	if (!json_is_object(tx) || value == NULL ||
	    get_hash(json_object_get(tx, "hash"), hash) < 0 ||
	    strcmp(hash, x->tx_hash) != 0)
		return bad(b->e, "transaction malformed",
		    b->blocks[x->blk].height);
	/* Back in the mempool (null) or in another block: a reorg. */
	if (json_is_null(json_object_get(tx, "blockHash")))
		return -EAGAIN;
	if (get_hash(json_object_get(tx, "blockHash"), hash) < 0)
		return bad(b->e, "transaction malformed",
		    b->blocks[x->blk].height);
	if (strcmp(hash, b->blocks[x->blk].hash) != 0)
		return -EAGAIN;
	x->need_value = 0;
	if (strcmp(value, "0x0") == 0 || strcmp(value, "0x") == 0) {
		x->skip = 1;
		return 0;
	}
	if (set_amount(x, value) < 0 || x->amount[0] == '\0')
		return bad(b->e, "transaction value malformed",
		    b->blocks[x->blk].height);
	return 0;
}

static int
fetch_values(struct batch *b)
{
	struct evm_call *calls;
	json_t *res;
	size_t n = 0, k = 0;
	int rc;

	for (size_t i = 0; i < b->nx; i++)
		n += b->x[i].need_value;
	if (n == 0)
		return 0;
	if ((calls = calloc(n, sizeof(*calls))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < b->nx; i++)
		if (b->x[i].need_value) {
			calls[k].method = "eth_getTransactionByHash";
			calls[k++].params = json_pack("[s]", b->x[i].tx_hash);
		}
	rc = evm_rpc_batch(&b->e->rpc, calls, n, &res);
	free(calls);
	if (rc < 0)
		return rc;
	k = 0;
	for (size_t i = 0; i < b->nx && rc == 0; i++)
		if (b->x[i].need_value)
			rc = take_value(b, &b->x[i], json_array_get(res, k++));
	json_decref(res);
	if (rc == 0)
		qsort(b->x, b->nx, sizeof(b->x[0]), xfer_cmp);
	return rc;
}

static int
emit(struct batch *b)
{
	const struct cg_scan_sink *s = b->sink;
	size_t xi = 0;
	int rc;

	for (size_t bi = 0; bi <= (size_t)(b->to - b->from); bi++) {
		const struct blk *h = &b->blocks[bi];
		struct cg_scan_header hdr = {
			.struct_size = sizeof(hdr), .height = h->height,
			.hash = h->hash, .parent_hash = h->parent,
			.time = h->time };

		if ((rc = s->header(s->ctx, &hdr)) < 0)
			return rc;
		for (; xi < b->nx && b->x[xi].blk == bi; xi++) {
			const struct xfer *x = &b->x[xi];
			struct cg_scan_transfer t;

			if (x->skip)
				continue;
			t = (struct cg_scan_transfer){
				.struct_size = sizeof(t), .flags = x->flags,
				.tx_hash = x->tx_hash, .position = x->position,
				.from = x->from, .to = x->to,
				.contract = x->contract, .amount = x->amount,
				.block_height = h->height,
				.block_hash = h->hash, .block_time = h->time };

			if ((rc = s->transfer(s->ctx, &t)) < 0)
				return rc;
		}
	}
	return 0;
}

static int
add_contract(struct batch *b, const uint8_t addr[CGC_EVM_ADDR_LEN])
{
	char text[CGC_EVM_ADDR_STRLEN];

	if (cgc_evm_address_format(addr, text) < 0)
		return -EIO;
	if (known_contract(b, text))
		return 0;
	memcpy(b->contracts[b->ncontracts++], text, sizeof(text));
	return 0;
}

/* The host's contracts and the settings' tokens, checked and deduplicated. */
static int
collect_contracts(struct batch *b, const struct cg_scan_request *req)
{
	struct evm *e = b->e;
	uint8_t addr[CGC_EVM_ADDR_LEN];
	size_t n = (size_t)req->contract_count + e->token_count;
	int rc;

	if (n == 0)
		return 0;
	if ((b->contracts = calloc(n, sizeof(*b->contracts))) == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < req->contract_count; i++) {
		if (req->contracts[i] == NULL ||
		    cgc_evm_address_parse(req->contracts[i], addr) < 0) {
			e->api->log(e->host, CG_PLUGIN_LOG_ERROR, "scan: "
			    "contract %u is not an EVM address", i);
			return -EINVAL;
		}
		if ((rc = add_contract(b, addr)) < 0)
			return rc;
	}
	for (uint32_t i = 0; i < e->token_count; i++)
		if ((rc = add_contract(b, e->tokens[i])) < 0)
			return rc;
	return 0;
}

static int
check_args(const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, const struct cg_scan_result *result)
{
	if (req == NULL || sink == NULL || result == NULL ||
	    !CG_HAS_MEMBER(req, struct cg_scan_request, flags) ||
	    !CG_HAS_MEMBER(sink, struct cg_scan_sink, is_watched) ||
	    !CG_HAS_MEMBER(result, struct cg_scan_result, cursor_size) ||
	    sink->header == NULL || sink->transfer == NULL ||
	    sink->is_watched == NULL ||
	    (req->contract_count > 0 && req->contracts == NULL) ||
	    req->contract_count > EVM_TOKENS_MAX ||
	    req->from_height > EVM_HEIGHT_MAX)
		return -EINVAL;
	return 0;
}

/* Block mode, or transaction mode for nodes without eth_getBlockReceipts
 * (found out once, then kept). */
static int
fetch(struct batch *b)
{
	struct evm *e = b->e;
	int rc;

	if (e->block_receipts) {
		rc = fetch_blocks_receipts(b);
		if (rc == -EIO && e->rpc.error_code == EVM_RPC_NO_METHOD) {
			e->api->log(e->host, CG_PLUGIN_LOG_WARN, "node lacks "
			    "eth_getBlockReceipts: receipts: transaction from "
			    "now on");
			e->block_receipts = 0;
			b->nx = 0;
		} else if (rc < 0)
			return rc;
		else
			return fetch_values(b);
	}
	if ((rc = fetch_blocks(b)) < 0 || (rc = fetch_logs(b)) < 0)
		return rc;
	return fetch_receipts(b);
}

int
evm_scan(void *instance, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct cg_scan_result *result)
{
	struct evm *e = instance;
	struct batch b = { .e = e, .sink = sink };
	uint64_t safe, max;
	int rc;

	if ((rc = check_args(req, sink, result)) < 0)
		return rc;
	if ((rc = collect_contracts(&b, req)) < 0)
		goto done;
	if ((rc = evm_safe_head(e, &safe)) < 0)
		goto done;
	result->tip_height = safe;
	if (req->from_height > safe) {
		rc = -EAGAIN;
		goto done;
	}
	max = req->max_blocks > 0 ? req->max_blocks : 1;
	if (max > e->blocks_per_batch)
		max = e->blocks_per_batch;
	b.from = req->from_height;
	b.to = safe - b.from + 1 > max ? b.from + max - 1 : safe;
	if ((b.blocks = calloc((size_t)(b.to - b.from + 1),
	    sizeof(*b.blocks))) == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	if ((rc = fetch(&b)) < 0 || (rc = emit(&b)) < 0)
		goto done;
	result->next_height = b.to + 1;
	if (result->cursor != NULL && result->cursor_size > 0)
		result->cursor[0] = '\0';
	e->api->log(e->host, CG_PLUGIN_LOG_DEBUG, "scanned blocks=%llu-%llu "
	    "transfers=%zu safe_head=%llu", (unsigned long long)b.from,
	    (unsigned long long)b.to, b.nx, (unsigned long long)safe);
done:
	free(b.blocks);
	free(b.x);
	free(b.contracts);
	return rc;
}
