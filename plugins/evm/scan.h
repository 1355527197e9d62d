/*
 * Internals of the evm plugin's scan, shared by scan.c (safe head, block
 * hashes, the batch and its report to the host) and the two ways of
 * reading payments: scan_block.c (eth_getBlockReceipts) and scan_tx.c
 * (full blocks, eth_getLogs, receipts per transaction). Internal to
 * plugins/evm/.
 */
#ifndef EVM_SCAN_H
#define EVM_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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
/* A transaction's own value: plugin.h's CG_TRANSFER_POSITION_VALUE, never
 * equal to a log's position within the receipt. */
#define EVM_NATIVE_POSITION CG_TRANSFER_POSITION_VALUE

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

/* A reply that makes no sense: logged, its URL backed off; -EIO. */
int evm_bad(struct evm *e, const char *what, uint64_t height);
/* Checked reads of node values (-EIO when malformed): a 32-byte hash
 * (kept lower-case), an address (written EIP-55), an indexed address
 * topic (-EINVAL when its top 12 bytes are not zero), a block height. */
int evm_get_hash(const json_t *v, char out[EVM_HASH_STRLEN]);
int evm_get_addr(const json_t *v, char out[CGC_EVM_ADDR_STRLEN]);
int evm_topic_addr(const char hash[EVM_HASH_STRLEN],
    char out[CGC_EVM_ADDR_STRLEN]);
int evm_get_height(const json_t *v, uint64_t *out);
/* Params of eth_getBlockByNumber: [height, full]. */
json_t *evm_block_params(uint64_t height, int full);

struct xfer *evm_new_xfer(struct batch *b);
/* Sets x->amount from a hex quantity; flags what no column can hold. */
int evm_set_amount(struct xfer *x, const char *hex);
/* Header of block b->from + bi, checked; *txs: its transaction list. */
int evm_take_header(struct batch *b, size_t bi, const json_t *blk,
    const json_t **txs);
/*
 * Reads the blocks [b->from, b->to] in requests of up to
 * EVM_BLOCKS_PER_REQUEST blocks (fewer after a reply past the host's size
 * cap): make() writes the per_block calls of one height, take() reads
 * their results for block index bi.
 */
#define EVM_CALLS_PER_BLOCK 2
typedef void (*evm_block_calls_fn)(uint64_t height, struct evm_call *calls);
typedef int (*evm_block_take_fn)(struct batch *b, size_t bi,
    json_t *const *results);
int evm_fetch_blocks(struct batch *b, size_t per_block,
    evm_block_calls_fn make, evm_block_take_fn take);
int evm_known_contract(const struct batch *b, const char *addr);
/* Block, transaction, native before logs, then log order. */
int evm_xfer_cmp(const void *a, const void *b);

/* Reads the transfers of [b->from, b->to] into b (headers too). */
int evm_fetch_by_block(struct batch *b);
int evm_fetch_by_transaction(struct batch *b);

#endif
