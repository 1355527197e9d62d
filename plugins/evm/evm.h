/*
 * The evm plugin's instance and the operations that talk to the chain
 * (scan.c). Internal to plugins/evm/.
 */
#ifndef EVM_EVM_H
#define EVM_EVM_H

#include <stdint.h>

#include <cryptic/plugin.h>

#include "common/address.h"
#include "rpc.h"

#define EVM_TOKENS_MAX 256
#define EVM_HASH_STRLEN 67	/* "0x" + 64 + NUL */

struct evm {
	const struct cg_host_api *api;
	struct cg_host *host;
	struct evm_rpc rpc;
	uint64_t confirmations;	/* the scan stays this far behind the head */
	int finalized;		/* scan up to the "finalized" block instead */
	int block_receipts;	/* eth_getBlockReceipts, not per transaction */
	uint32_t blocks_per_batch;
	uint8_t tokens[EVM_TOKENS_MAX][CGC_EVM_ADDR_LEN]; /* from settings */
	uint32_t token_count;
};

/* The highest block a scan may read: the head minus confirmations, or
 * the finalized block. -EAGAIN when no block qualifies yet. */
int evm_safe_head(struct evm *e, uint64_t *height);

/* Hash of the block at height ("0x" + 64 lower-case hex); -ENOENT when
 * the chain has no such block. */
int evm_fetch_block_hash(struct evm *e, uint64_t height,
    char hash[EVM_HASH_STRLEN]);

int evm_scan(void *instance, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct cg_scan_result *result);

#endif
