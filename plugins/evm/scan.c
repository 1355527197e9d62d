/*
 * The evm plugin's chain reading: safe head, block hashes and scan.
 *
 * One scan reads the blocks [from, to] (to: at most blocks_per_batch on,
 * never past the safe head) in block mode (scan_block.c) or transaction
 * mode (scan_tx.c), then reports them. Everything is fetched and checked
 * before the first report to the host: a reply that is malformed, of the
 * wrong type, absurd, or inconsistent with the rest of the batch (a reorg
 * while reading) fails the whole batch, so the host never sees half of
 * one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "common/hash.h"

/* A reply that makes no sense: logged, its URL backed off, -EIO. */
int
evm_bad(struct evm *e, const char *what, uint64_t height)
{
	char why[160];

	snprintf(why, sizeof(why), "%s (block %llu)", what,
	    (unsigned long long)height);
	evm_rpc_blame(&e->rpc, why);
	return -EIO;
}

/* A 32-byte hash: "0x" + 64 hex digits, kept lower-case. */
int
evm_get_hash(const json_t *v, char out[EVM_HASH_STRLEN])
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != 66 || s[0] != '0' || s[1] != 'x')
		return -EIO;
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 2; i < 66; i++) {
		if (cgc_hex_value(s[i]) < 0)
			return -EIO;
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	}
	out[66] = '\0';
	return 0;
}

/* An address string from the node, rewritten with the EIP-55 checksum. */
int
evm_get_addr(const json_t *v, char out[CGC_EVM_ADDR_STRLEN])
{
	uint8_t a[CGC_EVM_ADDR_LEN];
	const char *s = json_string_value(v);

	if (s == NULL || cgc_evm_address_parse(s, a) < 0 ||
	    cgc_evm_address_format(a, out) < 0)
		return -EIO;
	return 0;
}

/* An indexed address topic: 12 zero bytes, then the address. */
int
evm_topic_addr(const char hash[EVM_HASH_STRLEN], char out[CGC_EVM_ADDR_STRLEN])
{
	uint8_t a[CGC_EVM_ADDR_LEN];

	for (size_t i = 2; i < 26; i++)
		if (hash[i] != '0')
			return -EINVAL;
	for (size_t i = 0; i < CGC_EVM_ADDR_LEN; i++)
		a[i] = (uint8_t)(cgc_hex_value(hash[26 + 2 * i]) << 4 |
		    cgc_hex_value(hash[27 + 2 * i]));
	return cgc_evm_address_format(a, out) < 0 ? -EIO : 0;
}

int
evm_get_height(const json_t *v, uint64_t *out)
{
	if (evm_hex_u64(v, out) < 0 || *out > EVM_HEIGHT_MAX)
		return -EIO;
	return 0;
}

json_t *
evm_block_params(uint64_t height, int full)
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
		rc = evm_get_height(json_object_get(res, "number"), &h);
	} else {
		rc = evm_rpc_call(&e->rpc, "eth_blockNumber", json_array(),
		    &res);
		if (rc < 0)
			return rc;
		rc = evm_get_height(res, &h);
	}
	json_decref(res);
	if (rc < 0)
		return evm_bad(e, "head height is not a sane quantity", 0);
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
	    evm_block_params(height, 0), &res);
	if (rc < 0)
		return rc;
	if (json_is_null(res)) {
		json_decref(res);
		return -ENOENT;
	}
	rc = evm_get_height(json_object_get(res, "number"), &n);
	if (rc == 0 && n != height)
		rc = -EIO;
	if (rc == 0)
		rc = evm_get_hash(json_object_get(res, "hash"), hash);
	json_decref(res);
	return rc < 0 ? evm_bad(e, "block without a sane number and hash",
	    height) : 0;
}

struct xfer *
evm_new_xfer(struct batch *b)
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

/* Sets x->amount from a hex quantity; flags what no column can hold and
 * skips a zero amount. */
int
evm_set_amount(struct xfer *x, const char *hex)
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
	/* A zero-value transfer (address-poisoning spam) pays nothing and
	 * must not turn an invoice partially paid: not reported, as TRON. */
	if (strcmp(x->amount, "0") == 0)
		x->skip = 1;
	return 0;
}

/* A block header of the reply, checked against the height asked and the
 * block before it; *txs: its transaction list. */
int
evm_take_header(struct batch *b, size_t bi, const json_t *blk, const json_t **txs)
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
	    evm_get_height(json_object_get(blk, "number"), &n) < 0 ||
	    n != h->height ||
	    evm_get_hash(json_object_get(blk, "hash"), h->hash) < 0 ||
	    evm_get_hash(json_object_get(blk, "parentHash"), h->parent) < 0 ||
	    evm_hex_u64(json_object_get(blk, "timestamp"), &t) < 0 ||
	    t > (uint64_t)INT64_MAX ||
	    !json_is_array(*txs = json_object_get(blk, "transactions")))
		return evm_bad(e, "block header malformed", h->height);
	h->time = (int64_t)t;
	if (bi > 0 && strcmp(h->parent, b->blocks[bi - 1].hash) != 0) {
		e->api->log(e->host, CG_PLUGIN_LOG_INFO, "chain changed "
		    "while reading block %llu: batch dropped",
		    (unsigned long long)h->height);
		return -EAGAIN;
	}
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

int
evm_fetch_blocks(struct batch *b, size_t per_block, evm_block_calls_fn make,
    evm_block_take_fn take)
{
	struct evm_call calls[EVM_BLOCKS_PER_REQUEST * EVM_CALLS_PER_BLOCK];
	json_t *res, *one[EVM_CALLS_PER_BLOCK];
	size_t total = (size_t)(b->to - b->from + 1), done = 0;
	size_t per = b->e->rpc.batch_limit / per_block;
	int rc;

	if (per_block < 1 || per_block > EVM_CALLS_PER_BLOCK)
		return -EINVAL;
	per = per < 1 ? 1 : per > EVM_BLOCKS_PER_REQUEST ?
	    EVM_BLOCKS_PER_REQUEST : per;
	while (done < total) {
		size_t k = total - done < per ? total - done : per;

		for (size_t i = 0; i < k; i++)
			make(b->from + done + i, &calls[i * per_block]);
		rc = evm_rpc_batch(&b->e->rpc, calls, k * per_block, &res);
		if (rc == -EMSGSIZE && per > 1) {
			per = smaller(b->e, per);
			continue;
		}
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < k && rc == 0; i++) {
			for (size_t j = 0; j < per_block; j++)
				one[j] = json_array_get(res, i * per_block + j);
			rc = take(b, done + i, one);
		}
		json_decref(res);
		if (rc < 0)
			return rc;
		done += k;
	}
	return 0;
}

int
evm_known_contract(const struct batch *b, const char *addr)
{
	for (size_t i = 0; i < b->ncontracts; i++)
		if (strcmp(b->contracts[i], addr) == 0)
			return 1;
	return 0;
}

/* Block, transaction, native before logs, then log order. */
int
evm_xfer_cmp(const void *pa, const void *pb)
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
	if (evm_known_contract(b, text))
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
		rc = evm_fetch_by_block(b);
		if (rc == -EIO && e->rpc.error_code == EVM_RPC_NO_METHOD) {
			e->api->log(e->host, CG_PLUGIN_LOG_WARN, "node lacks "
			    "eth_getBlockReceipts: receipts: transaction from "
			    "now on");
			e->block_receipts = 0;
			b->nx = 0;
		} else if (rc < 0)
			return rc;
		else
			return 0;
	}
	return evm_fetch_by_transaction(b);
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
