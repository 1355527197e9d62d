/*
 * The evm plugin's transaction mode, for nodes without
 * eth_getBlockReceipts: eth_getBlockByNumber with full transactions
 * (native value to watched addresses), one eth_getLogs over the range for
 * the Transfer topic of the watched contracts, and the receipts of the
 * transactions that pay a watched address (status, and each log's index
 * within its receipt).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

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
	if (evm_get_addr(to, addr) < 0)
		return -EIO;
	if (strcmp(value, "0x0") == 0 || strcmp(value, "0x") == 0)
		return 0;
	if ((w = b->sink->is_watched(b->sink->ctx, addr)) < 0)
		return w;
	if (w == 0)
		return 0;
	if ((x = evm_new_xfer(b)) == NULL)
		return -ENOMEM;
	x->blk = bi;
	x->native = 1;
	x->position = EVM_NATIVE_POSITION;
	memcpy(x->to, addr, sizeof(addr));
	if (evm_hex_u64(json_object_get(tx, "transactionIndex"), &index) < 0)
		index = pos;
	x->tx_index = index;
	if (evm_get_hash(json_object_get(tx, "hash"), x->tx_hash) < 0 ||
	    evm_get_addr(json_object_get(tx, "from"), x->from) < 0 ||
	    evm_set_amount(x, value) < 0 || ((x->flags & CG_TRANSFER_TOO_LARGE) &&
	    x->amount[0] == '\0'))
		return -EIO;	/* a value past 256 bits: not a real chain */
	return 0;
}

/* Transaction mode: a block with full transactions. */
static int
take_block(struct batch *b, size_t bi, const json_t *blk)
{
	const json_t *txs, *tx;
	size_t i;
	int rc;

	if ((rc = evm_take_header(b, bi, blk, &txs)) < 0)
		return rc;
	json_array_foreach(txs, i, tx)
		if ((rc = take_tx(b, bi, i, tx)) < 0)
			return rc == -EIO ? evm_bad(b->e, "transaction malformed",
			    b->blocks[bi].height) : rc;
	return 0;
}

static void
block_calls(uint64_t height, struct evm_call *calls)
{
	calls[0].method = "eth_getBlockByNumber";
	calls[0].params = evm_block_params(height, 1);
}

static int
block_take(struct batch *b, size_t bi, json_t *const *results)
{
	return take_block(b, bi, results[0]);
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
	    evm_get_height(json_object_get(log, "blockNumber"), &height) < 0 ||
	    height < b->from || height > b->to || !json_is_array(topics) ||
	    json_array_size(topics) < 1 ||
	    evm_get_hash(json_array_get(topics, 0), topic[0]) < 0 ||
	    strcmp(topic[0], TRANSFER_TOPIC) != 0)
		return evm_bad(e, "log malformed or not asked for", b->from);
	bi = (size_t)(height - b->from);
	if (json_is_true(json_object_get(log, "removed")) ||
	    evm_get_hash(json_object_get(log, "blockHash"), topic[1]) < 0 ||
	    strcmp(topic[1], b->blocks[bi].hash) != 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "log of block %llu "
		    "from another chain: batch dropped",
		    (unsigned long long)height);
		return -EAGAIN;
	}
	/* ERC-721 shares the topic with a fourth (token id) topic. */
	if (json_array_size(topics) != 3)
		return 0;
	if (evm_get_hash(json_array_get(topics, 1), topic[1]) < 0 ||
	    evm_get_hash(json_array_get(topics, 2), topic[2]) < 0)
		return evm_bad(e, "log topics malformed", height);
	if (evm_topic_addr(topic[2], to) < 0)
		return 0;	/* not an address: no payment of ours */
	if ((w = b->sink->is_watched(b->sink->ctx, to)) <= 0)
		return w;
	if ((x = evm_new_xfer(b)) == NULL)
		return -ENOMEM;
	x->blk = bi;
	memcpy(x->to, to, sizeof(to));
	data = json_string_value(json_object_get(log, "data"));
	if (evm_topic_addr(topic[1], x->from) < 0 ||
	    evm_get_addr(json_object_get(log, "address"), x->contract) < 0 ||
	    !evm_known_contract(b, x->contract) || data == NULL ||
	    evm_set_amount(x, data) < 0 ||
	    evm_get_hash(json_object_get(log, "transactionHash"), x->tx_hash) < 0 ||
	    evm_hex_u64(json_object_get(log, "transactionIndex"),
	    &x->tx_index) < 0 ||
	    evm_hex_u64(json_object_get(log, "logIndex"), &x->log_index) < 0)
		return evm_bad(e, "transfer log malformed", height);
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
		return evm_bad(b->e, "eth_getLogs gave no list", b->from);
	}
	json_array_foreach(res, i, log)
		if ((rc = take_log(b, log)) < 0)
			break;
	json_decref(res);
	return rc;
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
	    evm_get_hash(json_object_get(r, "transactionHash"), hash) < 0 ||
	    strcmp(hash, x->tx_hash) != 0 ||
	    evm_get_hash(json_object_get(r, "blockHash"), hash) < 0 ||
	    evm_hex_u64(json_object_get(r, "status"), &status) < 0 ||
	    status > 1 || !json_is_array(logs = json_object_get(r, "logs")))
		return evm_bad(e, "receipt malformed", b->blocks[x->blk].height);
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
			return evm_bad(e, "receipt lacks the transfer's log",
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
	qsort(b->x, b->nx, sizeof(b->x[0]), evm_xfer_cmp);
	/* The same log twice (a node repeating itself) would be counted
	 * once by the host, but it is a sign of a broken reply. */
	for (i = 1; i < b->nx; i++)
		if (evm_xfer_cmp(&b->x[i - 1], &b->x[i]) == 0)
			return evm_bad(b->e, "the same transfer twice",
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

int
evm_fetch_by_transaction(struct batch *b)
{
	int rc;

	if ((rc = evm_fetch_blocks(b, 1, block_calls, block_take)) < 0 || (rc = fetch_logs(b)) < 0)
		return rc;
	return fetch_receipts(b);
}
