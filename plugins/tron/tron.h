/*
 * tron plugin internals: what the block parser (block.c) and the TronGrid
 * client (trongrid.c) share with the plugin entry (tron.c).
 *
 * The parser turns one block of /wallet/getblockbynum and the matching
 * list of /wallet/gettransactioninfobyblocknum into a header and the
 * transfers to watched addresses. It is pure (no I/O, no logging) so the
 * fuzz target can drive it directly; a refusal names its reason in *why.
 */
#ifndef TRON_H
#define TRON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <cryptic/plugin.h>

#include "common/address.h"
#include "common/amount.h"

#define TRON_HASH_HEX 64
#define TRON_HASH_STR (TRON_HASH_HEX + 1)

struct tron_transfer {
	uint32_t position;
	uint32_t flags;			/* CG_TRANSFER_* */
	char tx_hash[TRON_HASH_STR];
	char from[CGC_TRON_ADDR_STRLEN];
	char to[CGC_TRON_ADDR_STRLEN];
	char contract[CGC_TRON_ADDR_STRLEN];	/* "" for TRX */
	char amount[CGC_UNITS_STR_MAX];
};

struct tron_block {
	uint64_t height;
	int64_t time;			/* Unix seconds */
	char hash[TRON_HASH_STR];
	char parent[TRON_HASH_STR];
	struct tron_transfer *transfers;
	size_t count;
	size_t cap;
};

/* What the parser reports: token contracts (20-byte hashes) and the host's
 * is_watched callback. */
struct tron_filter {
	const uint8_t (*contracts)[CGC_EVM_ADDR_LEN];
	size_t contract_count;
	int (*is_watched)(void *ctx, const char *address);
	void *ctx;
};

/*
 * Header of a getblockbynum reply: blockID, number (must be want), parent
 * hash, timestamp. 0, -ENOENT for the empty object TronGrid answers past
 * its head, or -EINVAL with *why.
 */
int tron_parse_header(const json_t *block, uint64_t want,
    struct tron_block *out, const char **why);
/* 1 when the block holds smart-contract calls whose logs must be read
 * from the transaction info, else 0. */
int tron_block_needs_info(const json_t *block);
/*
 * Transfers of a block whose header was parsed into out: TRX
 * (TransferContract) and TRC-20 Transfer logs of the filter's contracts,
 * to watched addresses. info is the block's transaction info list (NULL
 * when tron_block_needs_info said 0). 0, -ENOMEM, or -EINVAL with *why
 * (malformed, or block and info disagree).
 */
int tron_parse_transfers(const json_t *block, const json_t *info,
    const struct tron_filter *f, struct tron_block *out, const char **why);
void tron_block_clear(struct tron_block *b);

/* Height of a getnowblock reply (latest or solidified). */
int tron_parse_head(const json_t *block, uint64_t *height,
    const char **why);

/* ---- TronGrid client ---- */

#define TRON_MAX_URLS 8
#define TRON_URL_MAX 512

struct tron_client {
	const struct cg_host_api *api;
	struct cg_host *host;
	char urls[TRON_MAX_URLS][TRON_URL_MAX];
	char origins[TRON_MAX_URLS][TRON_URL_MAX];	/* for logs */
	uint32_t url_count;
	uint32_t current;		/* the URL that answered last */
	char *key_header;		/* "TRON-PRO-API-KEY: ..." or NULL */
	uint32_t timeout_ms;
	uint64_t max_reply;
};

/*
 * POSTs body to path on the current URL, failing over in order to the
 * others on transport errors, HTTP errors, unparsable JSON and TronGrid's
 * {"Error": ...} replies. 0 and the parsed reply (json_decref it), or the
 * last failure: -ETIMEDOUT, -EIO, -EMSGSIZE, -ECANCELED (no failover).
 */
int tron_post(struct tron_client *c, const char *path, const char *body,
    json_t **out);
/* scheme://host[:port] of url, without user info or path: what logs show
 * (providers may carry keys in the path). */
void tron_origin(const char *url, char out[TRON_URL_MAX]);

#endif
