/*
 * Ethereum JSON-RPC over the host's blocking HTTP: a list of node URLs
 * tried in order (a failing URL backs off and the next one serves), each
 * checked against the configured chain id before its first use, and batch
 * calls whose replies are checked as an envelope (one reply per id, a
 * result or an error) before anyone reads them.
 */
#ifndef EVM_RPC_H
#define EVM_RPC_H

#include <stdint.h>

#include <jansson.h>

#include <cryptic/plugin.h>

#define EVM_RPC_URLS_MAX 8

struct evm_rpc_url {
	char *url;
	char label[64];		/* "#N host": URLs may carry API keys */
	int verified;		/* its chain id matched */
	int refused;		/* its chain id did not match: never used */
	uint32_t fails;		/* consecutive failures */
	int64_t retry_at_ms;	/* backoff end (host clock) */
};

struct evm_rpc {
	const struct cg_host_api *api;
	struct cg_host *host;
	struct evm_rpc_url urls[EVM_RPC_URLS_MAX];
	uint32_t count;
	uint64_t chain_id;
	uint32_t timeout_ms;
	uint32_t batch_limit;	/* calls per HTTP request */
	int last;		/* index of the URL that answered last */
	int64_t error_code;	/* code of the last JSON-RPC error answer */
};

/* One call of a batch: the method and its params (reference stolen). */
struct evm_call {
	const char *method;
	json_t *params;
};

/* -EINVAL when the URL is not http(s). */
int evm_rpc_add_url(struct evm_rpc *r, const char *url);
void evm_rpc_free(struct evm_rpc *r);

/*
 * Asks every URL for its chain id: -EINVAL when one answers another chain
 * (the instance must be refused); unreachable URLs are checked again before
 * their first use.
 */
int evm_rpc_check_all(struct evm_rpc *r);

/*
 * Runs n calls (split into HTTP requests of batch_limit calls) on the
 * first healthy URL, failing over on transport errors, HTTP errors and
 * malformed envelopes. On success *results is a new array of n results in
 * call order (json null where the node answered null). A JSON-RPC error
 * answer is -EIO. The params of calls are released in every case.
 */
int evm_rpc_batch(struct evm_rpc *r, struct evm_call *calls, size_t n,
    json_t **results);

/* JSON-RPC "method not found": the node lacks a method. */
#define EVM_RPC_NO_METHOD (-32601)

/* One call; *result is a new reference. */
int evm_rpc_call(struct evm_rpc *r, const char *method, json_t *params,
    json_t **result);

/* The URL that gave the last answer turned out to send nonsense: back it
 * off so the next call goes to the next URL. */
void evm_rpc_blame(struct evm_rpc *r, const char *why);

/* Strict "0x" quantity (no more than 16 hex digits) to uint64. */
int evm_hex_u64(const json_t *v, uint64_t *out);

#endif
