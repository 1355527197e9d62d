/*
 * Cryptic Gateway plugin ABI, version 0.1.
 *
 * UNSTABLE: the ABI stays 0.x until every plugin kind (network, rates,
 * watcher) has been proven by two real plugins; then it becomes 1.0 and is
 * frozen by the test suite. Until then it may still be reshaped, but an
 * incompatible change always gets a new major; within one major the rules
 * below already hold. See docs/plugins.md.
 *
 * This is the only header a plugin needs. It depends on <stdint.h> and
 * <stddef.h> only; every struct uses fixed-width integers, pointers and
 * function pointers (no bool, enum or bitfield members).
 *
 * Versioning (after sudo_plugin.h): the version is one integer,
 * major << 16 | minor. The host refuses a plugin of another major and
 * accepts any minor of its own. Structs only grow: members are appended,
 * never removed, reordered or retyped. Every struct that crosses the ABI
 * starts with its own size (struct_size), and each side checks that size
 * before it touches a member: the host never calls a plugin's member past
 * the size the plugin declared, and a plugin must not read a host member
 * past the size the host declared (see CG_HAS_MEMBER).
 *
 * Entry: a plugin exports exactly one symbol, cg_plugin_entry, returning
 * its descriptor (static storage, valid until the process ends). Build
 * with -fvisibility=hidden and mark only the entry with CG_PLUGIN_EXPORT.
 *
 * Threading contract:
 *  - create, destroy and reconfigure are serialized by the host (never two
 *    at once, for any instance of any plugin);
 *  - the pure network operations (check_xpub, derive_address,
 *    validate_address, payment_uri) may be called from any thread at once,
 *    also concurrently with scan on the same instance;
 *  - scan, tip and block_hash are serialized per instance (one scanner);
 *  - rates fetch and watcher operations are serialized per instance;
 *  - reconfigure never runs beside the instance's serialized operations
 *    (but may run beside the pure network operations);
 *  - everything except create/destroy runs on host worker threads, where
 *    blocking (the host's HTTP service) is allowed.
 *
 * Memory: who allocates frees. Strings handed to a callback are borrowed
 * for the duration of the call. Results go into caller buffers with
 * explicit sizes (see "Output buffers"). The host's HTTP reply is freed
 * with the host's http_free.
 *
 * Errors: negative errno values (-EINVAL bad input, -ENOSPC buffer too
 * small, -ENOENT not found, -EIO/-ETIMEDOUT upstream trouble, -ECANCELED
 * shutting down, -ENOSYS operation not provided); details go to the host's
 * log.
 *
 * Amounts and prices cross as decimal strings: amounts in integer base
 * units ("1500000000000000000"), prices as non-negative decimals
 * ("67187.33"). Never floating point.
 *
 * Output buffers: a function that writes a string takes (out, out_size,
 * out_len). On success it writes a NUL-terminated string and stores its
 * length (without the NUL) in *out_len. When out_size is too small it
 * returns -ENOSPC and stores in *out_len the length it needs (the buffer
 * must then be *out_len + 1 bytes). out_len may be NULL.
 */
#ifndef CRYPTIC_PLUGIN_H
#define CRYPTIC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CG_PLUGIN_ABI_MAJOR 0
#define CG_PLUGIN_ABI_MINOR 1
#define CG_PLUGIN_ABI_VERSION \
	((uint32_t)CG_PLUGIN_ABI_MAJOR << 16 | (uint32_t)CG_PLUGIN_ABI_MINOR)
#define CG_PLUGIN_ABI_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define CG_PLUGIN_ABI_VERSION_MINOR(v) ((uint32_t)(v) & 0xffffu)

/* The name of the one exported symbol. */
#define CG_PLUGIN_ENTRY_SYMBOL "cg_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define CG_PLUGIN_EXPORT __attribute__((visibility("default")))
#define CG_PLUGIN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CG_PLUGIN_EXPORT
#define CG_PLUGIN_PRINTF(fmt, args)
#endif

/* True when the struct at p (which starts with uint32_t struct_size) is
 * large enough to hold member m of type T. */
#define CG_HAS_MEMBER(p, T, m) \
	((p)->struct_size >= offsetof(T, m) + sizeof(((T *)0)->m))

/* Plugin kinds (descriptor.kind). */
#define CG_PLUGIN_KIND_NETWORK 1u
#define CG_PLUGIN_KIND_RATES 2u
#define CG_PLUGIN_KIND_WATCHER 3u

/* Log levels for cg_host_api.log. */
#define CG_PLUGIN_LOG_ERROR 0u
#define CG_PLUGIN_LOG_WARN 1u
#define CG_PLUGIN_LOG_INFO 2u
#define CG_PLUGIN_LOG_DEBUG 3u

/*
 * Configuration schema. A plugin declares the keys of its YAML "settings"
 * block; the host validates the block against them (unknown keys, types,
 * ranges, required keys, with FILE:LINE:COLUMN errors) before it creates
 * the instance, and serves the values through the config getters.
 */
#define CG_KEY_STRING 1u      /* a scalar string */
#define CG_KEY_INT 2u         /* a 64-bit signed decimal integer */
#define CG_KEY_BOOL 3u        /* true or false */
#define CG_KEY_DECIMAL 4u     /* a non-negative decimal ("0.9998"), kept as text */
#define CG_KEY_STRING_LIST 5u /* a sequence of strings */
#define CG_KEY_TABLE 6u       /* a mapping with the fixed keys in children */
#define CG_KEY_MAP 7u         /* a mapping of free names (no '.'), each
                                 value checked against children[0] */
#define CG_KEY_ENUM 8u        /* a string, one of choices */

#define CG_KEY_REQUIRED 0x1u  /* must be present (and not null) */
#define CG_KEY_SECRET 0x2u    /* never inline: given as NAME_file (path) or
                                 NAME_env (variable name); never logged */
/* Bits 16..31 of flags are reserved for the host. */

struct cg_plugin_key {
	const char *name;
	const char *description;
	/* Default as YAML text (e.g. "30", "true"), or NULL for none. */
	const char *default_value;
	/* TABLE: its keys; MAP: one entry, the spec of every value. */
	const struct cg_plugin_key *children;
	/* ENUM: NULL-terminated list of allowed values. */
	const char *const *choices;
	uint32_t type;
	uint32_t flags;
	uint32_t child_count;
	uint32_t reserved;
	/* INT: allowed range; STRING: length range; STRING_LIST and MAP:
	 * item count range. min == max == 0 means unchecked. */
	int64_t min;
	int64_t max;
};

/* Handed to the plugin at create; identifies the instance to the host. */
struct cg_host;

/* Blocking outbound HTTP (host service). */
struct cg_http_request {
	uint32_t struct_size;
	uint32_t timeout_ms;        /* 0: host default; host caps it */
	const char *method;         /* "GET", "POST", ... */
	const char *url;            /* http:// or https:// only */
	const char *const *headers; /* "Name: value" lines */
	uint32_t header_count;
	uint32_t reserved;
	const char *body;           /* may be NULL */
	uint64_t body_len;
	uint64_t max_reply_bytes;   /* 0: host default; host caps it */
};

struct cg_http_response {
	uint32_t struct_size;
	int32_t status;             /* HTTP status code */
	char *body;                 /* NUL-terminated, host-owned: http_free */
	uint64_t body_len;
};

/*
 * Host services. Every function takes the instance's host handle. A plugin
 * checks struct_size (CG_HAS_MEMBER) before it uses a member added after
 * the minor it was built for.
 */
struct cg_host_api {
	uint32_t struct_size;
	uint32_t abi_version;       /* the host's CG_PLUGIN_ABI_VERSION */

	/* Logs one line tagged with the instance name. Never log secrets. */
	void (*log)(struct cg_host *host, uint32_t level, const char *fmt, ...)
		CG_PLUGIN_PRINTF(3, 4);

	/*
	 * Settings of this instance by key path: names joined with '.', list
	 * items by their index ("rates.BTC.USD", "endpoints.0"). Defaults
	 * declared in the schema are applied. Secrets read as strings.
	 * -ENOENT: absent; -EINVAL: wrong type for this getter.
	 */
	int (*config_string)(struct cg_host *host, const char *path,
	    char *out, size_t out_size, size_t *out_len);
	int (*config_int)(struct cg_host *host, const char *path,
	    int64_t *out);
	int (*config_bool)(struct cg_host *host, const char *path,
	    int32_t *out);
	/* Number of items of a list, table or map. */
	int (*config_count)(struct cg_host *host, const char *path,
	    uint32_t *out);
	/* Name of the index-th key of a map (file order) or of a table
	 * (schema order; absent optional keys are skipped). */
	int (*config_key)(struct cg_host *host, const char *path,
	    uint32_t index, char *out, size_t out_size, size_t *out_len);

	/*
	 * Blocking HTTP, for worker threads only. The host enforces its
	 * timeout and reply-size caps and cancels the transfer at shutdown
	 * (-ECANCELED). Returns 0 with any HTTP status in resp (free it with
	 * http_free), or -ETIMEDOUT, -EMSGSIZE (reply too large), -EIO,
	 * -EINVAL (bad request, e.g. scheme).
	 */
	int (*http)(struct cg_host *host, const struct cg_http_request *req,
	    struct cg_http_response *resp);
	void (*http_free)(struct cg_host *host, struct cg_http_response *resp);

	/* Cryptographically secure random bytes. */
	int (*random_bytes)(struct cg_host *host, void *buf, size_t len);

	/* The host's clock (injectable in tests): ms since the Unix epoch. */
	int64_t (*now_ms)(struct cg_host *host);

	/* Non-zero once the daemon is stopping: finish long work early. */
	int32_t (*stopping)(struct cg_host *host);
};

/* ---- rates kind -------------------------------------------------------- */

struct cg_rate_pair {
	const char *base;           /* currency symbol, e.g. "BTC" */
	const char *quote;          /* e.g. "USD" */
};

/* Emits one quote; strings are borrowed for the call. Returns 0, or a
 * negative errno to make the plugin stop early. */
typedef int (*cg_rate_emit_fn)(void *ctx, const char *base,
    const char *quote, const char *price, int64_t quoted_at);

struct cg_rates_ops {
	uint32_t struct_size;
	uint32_t reserved;
	/*
	 * Emits a price for each pair it can quote (price: units of quote
	 * per one base, decimal text; quoted_at: Unix seconds of the quote).
	 * Pairs it cannot quote are skipped. Returns 0, or a negative errno
	 * when the source failed as a whole.
	 */
	int (*fetch)(void *instance, const struct cg_rate_pair *pairs,
	    uint32_t pair_count, cg_rate_emit_fn emit, void *ctx);
};

/* ---- network kind ------------------------------------------------------ */

struct cg_uri_request {
	uint32_t struct_size;
	uint32_t decimals;          /* of the asset, from the host's table */
	const char *address;        /* the deposit address */
	const char *contract;       /* token contract, NULL for the native coin */
	const char *amount;         /* base units, decimal text */
	const char *label;          /* may be NULL */
	const char *message;        /* may be NULL */
};

/* A block header the scan went through, in ascending height order. */
struct cg_scan_header {
	uint32_t struct_size;
	uint32_t reserved;
	uint64_t height;
	const char *hash;
	const char *parent_hash;
	int64_t time;               /* block time, Unix seconds */
};

#define CG_TRANSFER_FAILED 0x1u    /* reverted/failed on chain: never count */
#define CG_TRANSFER_MEMPOOL 0x2u   /* not in a block yet (height 0) */
#define CG_TRANSFER_TOO_LARGE 0x4u /* amount beyond what the plugin parses */

/* The position of a transaction's own value transfer (stored as -1). */
#define CG_TRANSFER_POSITION_VALUE 0xffffffffu

/* A transfer to a watched address. Identity: network + tx_hash + position. */
struct cg_scan_transfer {
	uint32_t struct_size;
	uint32_t flags;             /* CG_TRANSFER_* */
	const char *tx_hash;
	/* Position within the transaction: output index (UTXO), the log's
	 * index within its receipt (tokens), or CG_TRANSFER_POSITION_VALUE
	 * for the transaction's own value (native ETH, TRX): distinct from
	 * every log index, so one transaction can carry both. */
	uint32_t position;
	uint32_t reserved;
	const char *from;           /* "" when unknown (UTXO inputs) */
	const char *to;
	const char *contract;       /* "" for the native coin */
	const char *amount;         /* base units, decimal text */
	uint64_t block_height;      /* 0 for mempool */
	const char *block_hash;     /* "" for mempool */
	int64_t block_time;
};

typedef int (*cg_watched_each_fn)(void *arg, const char *address);

/* Host callbacks a scan reports through. Return 0, or a negative errno
 * that the plugin returns at once (the host aborts the batch). */
struct cg_scan_sink {
	uint32_t struct_size;
	uint32_t reserved;
	void *ctx;
	int (*header)(void *ctx, const struct cg_scan_header *h);
	int (*transfer)(void *ctx, const struct cg_scan_transfer *t);
	/* 1 when the host watches address (byte-exact, canonical form as
	 * validate_address gives it), else 0. */
	int (*is_watched)(void *ctx, const char *address);
	/* Calls fn for every watched address (for address-indexed backends);
	 * stops when fn returns non-zero and returns that value. */
	int (*watched_each)(void *ctx, cg_watched_each_fn fn, void *arg);
};

struct cg_scan_request {
	uint32_t struct_size;
	uint32_t max_blocks;        /* batch limit (at least 1) */
	/* First block of this batch, and the hash the host holds for the
	 * block before it ("" when it has none). */
	uint64_t from_height;
	const char *expected_parent;
	/* The plugin's own cursor text from the previous batch, "" at start
	 * and after the host rewound for a reorg (start from from_height). */
	const char *cursor;
	/* Token contracts the host tracks on this network. */
	const char *const *contracts;
	uint32_t contract_count;
	uint32_t flags;             /* CG_SCAN_* */
};

#define CG_SCAN_MEMPOOL 0x1u        /* also report unconfirmed transfers */

struct cg_scan_result {
	uint32_t struct_size;
	uint32_t reserved;
	uint64_t next_height;       /* first height of the next batch */
	uint64_t tip_height;        /* chain head seen during the scan */
	char *cursor;               /* host buffer for the plugin's cursor */
	uint64_t cursor_size;       /* its size (the host gives at least 1024) */
};

struct cg_network_ops {
	uint32_t struct_size;
	uint32_t reserved;
	/* 0 if the extended public key suits this network, else -EINVAL. */
	int (*check_xpub)(void *instance, const char *xpub);
	/* The receive address at a non-hardened index of xpub. */
	int (*derive_address)(void *instance, const char *xpub,
	    uint32_t index, char *out, size_t out_size, size_t *out_len);
	/* 0 and the canonical form (out may be NULL), or -EINVAL. */
	int (*validate_address)(void *instance, const char *address,
	    char *out, size_t out_size, size_t *out_len);
	/* BIP21 / EIP-681 / plain address, for the QR code. */
	int (*payment_uri)(void *instance, const struct cg_uri_request *req,
	    char *out, size_t out_size, size_t *out_len);
	/* Height of the chain head the host should treat as current. */
	int (*tip)(void *instance, uint64_t *height);
	/*
	 * One batch from req->from_height: emits each block header in
	 * ascending order (parents included, so the host can detect a reorg:
	 * the first header's parent must be req->expected_parent), the
	 * transfers to watched addresses in those blocks, then fills result.
	 * Writes nothing anywhere else; the host commits the batch and the
	 * cursor together. Returns 0, -EAGAIN when there is no new block
	 * yet, or a negative errno (the batch is then discarded).
	 */
	int (*scan)(void *instance, const struct cg_scan_request *req,
	    const struct cg_scan_sink *sink, struct cg_scan_result *result);
	/* Hash of the block at height on the current chain (reorg search). */
	int (*block_hash)(void *instance, uint64_t height, char *out,
	    size_t out_size, size_t *out_len);
};

/* ---- watcher kind (payment hints, e.g. provider webhooks) -------------- */

struct cg_watch_hint {
	uint32_t struct_size;
	uint32_t flags;             /* CG_TRANSFER_* */
	const char *network;        /* the provider's chain name */
	const char *tx_hash;
	const char *address;        /* the watched address */
	const char *contract;       /* "" for the native coin */
	const char *amount;         /* base units as the provider says */
	uint64_t block_height;      /* 0 when unknown or mempool */
};

typedef int (*cg_hint_emit_fn)(void *ctx, const struct cg_watch_hint *hint);

struct cg_watcher_ops {
	uint32_t struct_size;
	uint32_t reserved;
	/* Asks the provider to notify callback_url about address; writes
	 * the provider's subscription id. */
	int (*subscribe)(void *instance, const char *network,
	    const char *address, const char *callback_url, char *out,
	    size_t out_size, size_t *out_len);
	int (*unsubscribe)(void *instance, const char *subscription_id);
	/* Verifies an incoming webhook (signature headers, "Name: value")
	 * and emits its hints. -EPERM when the signature does not verify,
	 * -EINVAL when the body is malformed. Hints are only hints: the host
	 * confirms each on chain. */
	int (*parse_webhook)(void *instance, const char *const *headers,
	    uint32_t header_count, const char *body, uint64_t body_len,
	    cg_hint_emit_fn emit, void *ctx);
};

/* ---- descriptor -------------------------------------------------------- */

struct cg_plugin_descriptor {
	uint32_t abi_version;       /* CG_PLUGIN_ABI_VERSION built against */
	uint32_t struct_size;       /* sizeof(struct cg_plugin_descriptor) */
	uint32_t kind;              /* CG_PLUGIN_KIND_* */
	uint32_t key_size;          /* sizeof(struct cg_plugin_key) */
	const char *name;           /* short name, e.g. "manual" */
	const char *version;        /* the plugin's own version */
	const char *description;
	const struct cg_plugin_key *keys; /* schema of its settings block */
	uint32_t key_count;
	uint32_t reserved;
	/* Creates an instance from its validated settings (read them through
	 * api's config getters with host). Keep api and host: they stay
	 * valid until destroy. Returns 0 and *instance, or a negative errno. */
	int (*create)(const struct cg_host_api *api, struct cg_host *host,
	    void **instance);
	void (*destroy)(void *instance);
	/* Kind-specific operations; first member is their struct_size. */
	const void *ops;
	/* Optional: applies changed settings in place (read them again
	 * through the getters). When absent, or when it fails, the host
	 * creates a new instance and destroys the old one once idle. */
	int (*reconfigure)(void *instance);
};

/* Smallest sizes the host accepts: the 0.0 layouts (reconfigure and
 * block_hash came in 0.1). */
#define CG_PLUGIN_DESCRIPTOR_MIN_SIZE \
	(offsetof(struct cg_plugin_descriptor, ops) + sizeof(const void *))
#define CG_RATES_OPS_MIN_SIZE \
	(offsetof(struct cg_rates_ops, fetch) + sizeof(void (*)(void)))
#define CG_NETWORK_OPS_MIN_SIZE \
	(offsetof(struct cg_network_ops, scan) + sizeof(void (*)(void)))
#define CG_WATCHER_OPS_MIN_SIZE \
	(offsetof(struct cg_watcher_ops, parse_webhook) + sizeof(void (*)(void)))

typedef const struct cg_plugin_descriptor *(*cg_plugin_entry_fn)(void);

/* The one symbol a plugin exports. */
CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *cg_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif
