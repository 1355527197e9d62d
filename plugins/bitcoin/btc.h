/*
 * The bitcoin plugin's internals: one instance per configured network
 * (Bitcoin mainnet, testnet, regtest, Litecoin), with one of two block
 * sources behind a small backend table: an Esplora REST server (esplora.c)
 * or Bitcoin Core's JSON-RPC (rpc.c). bitcoin.c holds the descriptor, the
 * pure operations (derivation, validation, BIP21) and the scan driver that
 * both backends feed.
 */
#ifndef CGB_BTC_H
#define CGB_BTC_H

#include <stddef.h>
#include <stdint.h>

#include <cryptic/plugin.h>

#include "common/address.h"

#define CGB_HASH_LEN 64			/* block and transaction ids, hex */
#define CGB_URL_MAX 1024
#define CGB_REPLY_MAX ((uint64_t)16 << 20)	/* the host's cap */
#define CGB_ESPLORA_PAGE 25		/* transactions per /txs page */

struct cgb;

/* A block header as the backends read it. */
struct cgb_block {
	uint64_t height;
	char hash[CGB_HASH_LEN + 1];
	char parent[CGB_HASH_LEN + 1];	/* "" for the genesis block */
	int64_t time;
	uint64_t tx_count;
};

/*
 * One output with an address, handed to the scan driver. txid and address
 * point into the backend's reply (not NUL-terminated: lengths given);
 * sats is canonical decimal text of satoshis, NUL-terminated.
 */
struct cgb_output {
	const char *txid;
	const char *address;
	size_t address_len;
	uint32_t n;
	const char *sats;
};

typedef int (*cgb_output_fn)(void *arg, const struct cgb_output *o);

struct cgb_backend {
	const char *name;
	int (*init)(struct cgb *b);
	void (*fini)(struct cgb *b);
	/* Height and hash of the chain head. */
	int (*tip)(struct cgb *b, uint64_t *height);
	/* Hash at height on the current chain; -ENOENT beyond the head. */
	int (*block_hash)(struct cgb *b, uint64_t height,
	    char hash[CGB_HASH_LEN + 1]);
	/* Header of the block with this hash, then each of its outputs. */
	int (*block)(struct cgb *b, const char *hash, struct cgb_block *hdr,
	    cgb_output_fn fn, void *arg);
	/* Every output of unconfirmed transactions that may pay a watched
	 * address (the backend may filter through the sink, or not). */
	int (*mempool)(struct cgb *b, const struct cg_scan_sink *sink,
	    cgb_output_fn fn, void *arg);
};

struct cgb {
	const struct cg_host_api *api;
	struct cg_host *host;
	const struct cgb_backend *backend;
	void *backend_state;
	const struct cgb_params *chain;
	char url[CGB_URL_MAX];		/* without a trailing '/' */
	char *auth_header;		/* "Authorization: Basic ..." or NULL */
	uint32_t timeout_ms;
	int32_t mempool;		/* report unconfirmed payments */
};

/* What the plugin knows about each chain setting. */
struct cgb_params {
	const char *name;		/* the chain setting */
	const char *scheme;		/* BIP21 URI scheme */
	/* Extended key nets accepted (enum cgc_xkey_net), two at most. */
	int xnet[2];
	const char *max_money;		/* satoshis: 21e6 BTC, 84e6 LTC */
};

extern const struct cgb_backend cgb_esplora;
extern const struct cgb_backend cgb_rpc;

#define cgb_log(b, lvl, ...) (b)->api->log((b)->host, (lvl), __VA_ARGS__)

/*
 * GET or POST through the host's HTTP service. Returns 0 and the reply
 * (free with cgb_http_done) for any status; the caller checks it.
 */
int cgb_http(struct cgb *b, const char *method, const char *url,
    const char *body, size_t body_len, struct cg_http_response *resp);
void cgb_http_done(struct cgb *b, struct cg_http_response *resp);

/* 1 when s[0..len) is 64 lower-case hex digits. */
int cgb_is_hash(const char *s, size_t len);
/* Copies a hash token into out (NUL-terminated), -EPROTO if malformed. */
int cgb_copy_hash(const char *s, size_t len, char out[CGB_HASH_LEN + 1]);
/* Unsigned decimal integer token without sign or exponent; -EPROTO. */
int cgb_parse_u64(const char *s, size_t len, uint64_t *out);
/* A number token for an int64 (may be negative); -EPROTO. */
int cgb_parse_i64(const char *s, size_t len, int64_t *out);
/* Satoshis from an integer token, at most max_money; -EPROTO. */
int cgb_sats_from_int(struct cgb *b, const char *s, size_t len, char *out,
    size_t outsz);
/* Satoshis from a coin amount token ("0.00100000"), exactly; -EPROTO. */
int cgb_sats_from_coins(struct cgb *b, const char *s, size_t len, char *out,
    size_t outsz);

/*
 * Reads transactions out of a JSON walk (util/jsonnum.h) and hands each
 * output with an address to fn once its transaction is complete (fields
 * may come in any order). Both backends' layouts are understood: Bitcoin
 * Core's vout[].value (coins), .n, .scriptPubKey.address (or a one-item
 * .addresses), and Esplora's vout[].value (satoshis) and
 * .scriptpubkey_address. The output index is the position in vout.
 */
struct cgb_txout {
	const char *value;
	size_t value_len;
	const char *address;
	size_t address_len;
	uint32_t address_count;
	int64_t n;			/* -1 when absent */
};

struct cgb_txwalk {
	struct cgb *b;
	int coins;			/* values in coins, not satoshis */
	cgb_output_fn fn;
	void *arg;
	size_t cur;			/* transaction being read, SIZE_MAX none */
	const char *txid;
	size_t txid_len;
	struct cgb_txout *outs;
	size_t nouts, cap;
	uint64_t count;			/* transactions completed */
};

struct cg_json_seg;

void cgb_txwalk_init(struct cgb_txwalk *tw, struct cgb *b, int coins,
    cgb_output_fn fn, void *arg);
/* One scalar at rel[0..depth) below transaction txindex (an enum
 * cg_json_type in type). */
int cgb_txwalk_scalar(struct cgb_txwalk *tw, size_t txindex,
    const struct cg_json_seg *rel, size_t depth, int type, const char *text,
    size_t len);
/* Completes the last transaction. */
int cgb_txwalk_end(struct cgb_txwalk *tw);
void cgb_txwalk_free(struct cgb_txwalk *tw);
/* Whether a path step is the object member k (raw key text). */
int cgb_key_is(const struct cg_json_seg *seg, const char *k);

/*
 * The outputs of a serialized block (raw.c). hdr holds what the node said
 * of it (hash, parent, tx_count): the bytes must agree.
 */
int cgb_raw_block(struct cgb *b, const uint8_t *p, size_t len,
    const struct cgb_block *hdr, cgb_output_fn fn, void *arg);

/* Standard Base64 of len bytes into out (4 * ((len + 2) / 3) + 1 bytes);
 * returns the length written. */
int cgb_base64(const void *in, size_t len, char *out);
/* Overwrites secrets before their memory is released. */
void cgb_wipe(void *p, size_t len);

#endif
