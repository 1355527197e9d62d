/*
 * The evm plugin's block mode (the default): per block, in one batch,
 * eth_getBlockByNumber (header, transaction hashes) and
 * eth_getBlockReceipts (every receipt, matched against those hashes).
 * Receipts give native candidates (to a watched address; their values
 * come from eth_getTransactionByHash) and the Transfer logs with their
 * index within the receipt at hand.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

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
	    evm_get_addr(json_object_get(log, "address"), contract) < 0)
		return -EIO;
	if (!evm_known_contract(b, contract) || json_array_size(topics) != 3)
		return 0;	/* ERC-721 has a fourth topic */
	if (evm_get_hash(json_array_get(topics, 0), topic[0]) < 0 ||
	    evm_get_hash(json_array_get(topics, 1), topic[1]) < 0 ||
	    evm_get_hash(json_array_get(topics, 2), topic[2]) < 0)
		return -EIO;
	if (strcmp(topic[0], TRANSFER_TOPIC) != 0 || evm_topic_addr(topic[2], to) < 0)
		return 0;
	if ((w = b->sink->is_watched(b->sink->ctx, to)) <= 0)
		return w;
	if ((x = evm_new_xfer(b)) == NULL)
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
	if (evm_topic_addr(topic[1], x->from) < 0 || data == NULL ||
	    evm_set_amount(x, data) < 0)
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
	    evm_get_hash(json_object_get(r, "transactionHash"), tx.tx_hash) < 0 ||
	    evm_get_hash(tx_hash, hash) < 0 || strcmp(hash, tx.tx_hash) != 0 ||
	    evm_get_hash(json_object_get(r, "blockHash"), hash) < 0 ||
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
		if (evm_get_addr(jto, to) < 0)
			return -EIO;
		if ((w = b->sink->is_watched(b->sink->ctx, to)) < 0)
			return w;
		if (w) {
			if ((x = evm_new_xfer(b)) == NULL)
				return -ENOMEM;
			*x = tx;
			x->blk = bi;
			x->native = 1;
			x->need_value = 1;
			x->position = EVM_NATIVE_POSITION;
			memcpy(x->to, to, sizeof(to));
			if (evm_get_addr(json_object_get(r, "from"), x->from) < 0)
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

	if ((rc = evm_take_header(b, bi, blk, &txs)) < 0)
		return rc;
	if (json_is_null(receipts)) {
		b->e->api->log(b->e->host, CG_PLUGIN_LOG_INFO, "receipts of "
		    "block %llu not available: batch dropped",
		    (unsigned long long)b->blocks[bi].height);
		return -EAGAIN;
	}
	if (!json_is_array(receipts) ||
	    json_array_size(receipts) != json_array_size(txs))
		return evm_bad(b->e, "receipts do not match the block",
		    b->blocks[bi].height);
	json_array_foreach(receipts, i, r)
		if ((rc = take_block_receipt(b, bi, i, r,
		    json_array_get(txs, i))) < 0)
			return rc == -EIO ? evm_bad(b->e, "receipt malformed",
			    b->blocks[bi].height) : rc;
	return 0;
}

static void
block_calls(uint64_t height, struct evm_call *calls)
{
	char tag[24];

	snprintf(tag, sizeof(tag), "0x%llx", (unsigned long long)height);
	calls[0].method = "eth_getBlockByNumber";
	calls[0].params = evm_block_params(height, 0);
	calls[1].method = "eth_getBlockReceipts";
	calls[1].params = json_pack("[s]", tag);
}

static int
block_take(struct batch *b, size_t bi, json_t *const *results)
{
	return take_block_and_receipts(b, bi, results[0], results[1]);
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
	    evm_get_hash(json_object_get(tx, "hash"), hash) < 0 ||
	    strcmp(hash, x->tx_hash) != 0)
		return evm_bad(b->e, "transaction malformed",
		    b->blocks[x->blk].height);
	/* Back in the mempool (null) or in another block: a reorg. */
	if (json_is_null(json_object_get(tx, "blockHash")))
		return -EAGAIN;
	if (evm_get_hash(json_object_get(tx, "blockHash"), hash) < 0)
		return evm_bad(b->e, "transaction malformed",
		    b->blocks[x->blk].height);
	if (strcmp(hash, b->blocks[x->blk].hash) != 0)
		return -EAGAIN;
	x->need_value = 0;
	if (strcmp(value, "0x0") == 0 || strcmp(value, "0x") == 0) {
		x->skip = 1;
		return 0;
	}
	if (evm_set_amount(x, value) < 0 || x->amount[0] == '\0')
		return evm_bad(b->e, "transaction value malformed",
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
		qsort(b->x, b->nx, sizeof(b->x[0]), evm_xfer_cmp);
	return rc;
}

int
evm_fetch_by_block(struct batch *b)
{
	int rc;

	if ((rc = evm_fetch_blocks(b, 2, block_calls, block_take)) < 0)
		return rc;
	return fetch_values(b);
}
