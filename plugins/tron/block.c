/*
 * TronGrid block and transaction-info replies to headers and transfers.
 *
 * Formats (java-tron HTTP API, developers.tron.network "HTTP API"):
 *  - getblockbynum: {"blockID", "block_header": {"raw_data": {"number",
 *    "parentHash", "timestamp" (ms)}}, "transactions": [{"txID",
 *    "ret": [{"contractRet"}], "raw_data": {"contract": [{"type",
 *    "parameter": {"value": {...}}}]}}]}; addresses in hex "41...".
 *  - gettransactioninfobyblocknum: [{"id", "blockNumber", "receipt":
 *    {"result"}, "log": [{"address" (hex without 41), "topics", "data"}]}].
 *
 * Only what the chain executed successfully is counted: TRX transfers
 * whose contractRet is SUCCESS, TRC-20 Transfer logs of transactions whose
 * contractRet and receipt.result are both SUCCESS (a reverted transaction
 * leaves no logs). A failed call of transfer/transferFrom on a watched
 * token is reported with CG_TRANSFER_FAILED so the host can show it.
 * Zero-value transfers (address-poisoning spam) carry no money and are
 * skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tron.h"

#include "common/hash.h"

/* keccak256("Transfer(address,address,uint256)") */
static const char transfer_topic[] =
    "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
static const char sel_transfer[] = "a9059cbb";
static const char sel_transfer_from[] = "23b872dd";

static int
is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* A 32-byte hash as 64 hex digits, copied in lower case. */
static int
copy_hash(const json_t *v, char out[TRON_HASH_STR])
{
	const char *s = json_string_value(v);

	if (s == NULL || json_string_length(v) != TRON_HASH_HEX ||
	    !is_hex(s, TRON_HASH_HEX))
		return -EINVAL;
	for (size_t i = 0; i < TRON_HASH_HEX; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	out[TRON_HASH_HEX] = '\0';
	return 0;
}

/* A JSON integer in [0, INT64_MAX]; jansson refuses larger ones when it
 * parses, reals and strings are wrong types. */
static int
get_uint(const json_t *obj, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
tron_parse_head(const json_t *block, uint64_t *height, const char **why)
{
	const json_t *raw;

	raw = json_object_get(json_object_get(block, "block_header"),
	    "raw_data");
	if (!json_is_object(raw) || get_uint(raw, "number", height) < 0) {
		*why = "no block_header.raw_data.number";
		return -EINVAL;
	}
	return 0;
}

int
tron_parse_header(const json_t *block, uint64_t want, struct tron_block *out,
    const char **why)
{
	const json_t *raw;
	uint64_t number, ms;
	char prefix[17];

	if (!json_is_object(block)) {
		*why = "block is not an object";
		return -EINVAL;
	}
	if (json_object_size(block) == 0)
		return -ENOENT;
	raw = json_object_get(json_object_get(block, "block_header"),
	    "raw_data");
	if (!json_is_object(raw)) {
		*why = "no block_header.raw_data";
		return -EINVAL;
	}
	if (get_uint(raw, "number", &number) < 0 || number != want) {
		*why = "block number missing or not the one asked for";
		return -EINVAL;
	}
	if (copy_hash(json_object_get(block, "blockID"), out->hash) < 0 ||
	    copy_hash(json_object_get(raw, "parentHash"), out->parent) < 0) {
		*why = "blockID or parentHash is not 64 hex digits";
		return -EINVAL;
	}
	/* A TRON block id starts with its number (8 bytes, big-endian). */
	snprintf(prefix, sizeof(prefix), "%016" PRIx64, number);
	if (memcmp(prefix, out->hash, 16) != 0) {
		*why = "blockID does not carry the block number";
		return -EINVAL;
	}
	if (get_uint(raw, "timestamp", &ms) < 0) {
		*why = "timestamp missing or not an integer";
		return -EINVAL;
	}
	out->height = number;
	out->time = (int64_t)(ms / 1000);
	return 0;
}

static const json_t *
first_contract(const json_t *tx)
{
	return json_array_get(json_object_get(json_object_get(tx, "raw_data"),
	    "contract"), 0);
}

static const char *
contract_type(const json_t *tx)
{
	return json_string_value(json_object_get(first_contract(tx), "type"));
}

static const json_t *
contract_value(const json_t *tx)
{
	return json_object_get(json_object_get(first_contract(tx),
	    "parameter"), "value");
}

/* The transaction's own result: contractRet of its first ret entry. */
static int
tx_succeeded(const json_t *tx)
{
	const char *r = json_string_value(json_object_get(
	    json_array_get(json_object_get(tx, "ret"), 0), "contractRet"));

	return r != NULL && strcmp(r, "SUCCESS") == 0;
}

int
tron_block_needs_info(const json_t *block)
{
	const json_t *txs = json_object_get(block, "transactions");
	size_t i;
	json_t *tx;

	json_array_foreach(txs, i, tx) {
		const char *type = contract_type(tx);

		if (type != NULL && tx_succeeded(tx) &&
		    (strcmp(type, "TriggerSmartContract") == 0 ||
		    strcmp(type, "CreateSmartContract") == 0))
			return 1;
	}
	return 0;
}

/* "41" + 40 hex digits to a Base58Check address. */
static int
hex_address(const json_t *v, uint8_t raw[CGC_EVM_ADDR_LEN],
    char out[CGC_TRON_ADDR_STRLEN])
{
	const char *s = json_string_value(v);

	if (s == NULL || cgc_tron_address_parse_hex(s, raw) < 0)
		return -EINVAL;
	return cgc_tron_address_format(raw, out);
}

/* A log address: 40 hex digits (java-tron's form), or with 41 in front. */
static int
log_address(const json_t *v, uint8_t raw[CGC_EVM_ADDR_LEN])
{
	const char *s = json_string_value(v);

	if (s == NULL)
		return -EINVAL;
	if (json_string_length(v) == 2 * CGC_EVM_ADDR_LEN)
		return cgc_hex_decode(s, raw, CGC_EVM_ADDR_LEN);
	return cgc_tron_address_parse_hex(s, raw);
}

/* An ABI address word: 64 hex digits, the first 24 zero. */
static int
word_address(const char *s, char out[CGC_TRON_ADDR_STRLEN])
{
	uint8_t raw[CGC_EVM_ADDR_LEN];
	char hex[2 * CGC_EVM_ADDR_LEN + 1];

	for (size_t i = 0; i < 24; i++)
		if (s[i] != '0')
			return -EINVAL;
	/* The word may be followed by more call data. */
	memcpy(hex, s + 24, sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	if (cgc_hex_decode(hex, raw, sizeof(raw)) < 0)
		return -EINVAL;
	return cgc_tron_address_format(raw, out);
}

static int
is_token(const struct tron_filter *f, const uint8_t raw[CGC_EVM_ADDR_LEN])
{
	for (size_t i = 0; i < f->contract_count; i++)
		if (memcmp(f->contracts[i], raw, CGC_EVM_ADDR_LEN) == 0)
			return 1;
	return 0;
}

static int
is_zero_units(const char *s)
{
	return strcmp(s, "0") == 0;
}

static struct tron_transfer *
add_transfer(struct tron_block *b)
{
	if (b->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct tron_transfer *n;

		if ((n = realloc(b->transfers, cap * sizeof(*n))) == NULL)
			return NULL;
		b->transfers = n;
		b->cap = cap;
	}
	memset(&b->transfers[b->count], 0, sizeof(b->transfers[0]));
	return &b->transfers[b->count++];
}

static int
trx_transfer(const json_t *tx, const char *txid, const struct tron_filter *f,
    struct tron_block *b, const char **why)
{
	const json_t *v = contract_value(tx), *amount;
	uint8_t raw[CGC_EVM_ADDR_LEN];
	struct tron_transfer *t;
	char to[CGC_TRON_ADDR_STRLEN];
	int w;

	if (hex_address(json_object_get(v, "to_address"), raw, to) < 0) {
		*why = "TransferContract to_address is not a TRON address";
		return -EINVAL;
	}
	/* 1 watched, 0 not, < 0 the host's error: returned at once. */
	if ((w = f->is_watched(f->ctx, to)) <= 0)
		return w;
	amount = json_object_get(v, "amount");
	if (!json_is_integer(amount) || json_integer_value(amount) < 0) {
		*why = "TransferContract amount is not a non-negative integer";
		return -EINVAL;
	}
	if (json_integer_value(amount) == 0)
		return 0;
	if ((t = add_transfer(b)) == NULL)
		return -ENOMEM;
	if (hex_address(json_object_get(v, "owner_address"), raw,
	    t->from) < 0) {
		b->count--;
		*why = "TransferContract owner_address is not a TRON address";
		return -EINVAL;
	}
	memcpy(t->tx_hash, txid, TRON_HASH_STR);
	memcpy(t->to, to, sizeof(to));
	snprintf(t->amount, sizeof(t->amount), "%" PRId64,
	    (int64_t)json_integer_value(amount));
	t->position = CG_TRANSFER_POSITION_VALUE;
	if (!tx_succeeded(tx))
		t->flags |= CG_TRANSFER_FAILED;
	return 0;
}

/*
 * A failed call of transfer(to, value) or transferFrom(from, to, value) on
 * a watched token, decoded from its call data. It moved nothing; it is
 * reported (flagged) so the payer's attempt is visible. Its position is
 * 0, where a successful call's Transfer log would have been.
 */
static int
failed_call(const json_t *tx, const char *txid, const struct tron_filter *f,
    struct tron_block *b)
{
	const json_t *v = contract_value(tx);
	const char *data = json_string_value(json_object_get(v, "data"));
	const char *ca = json_string_value(json_object_get(v,
	    "contract_address"));
	uint8_t token[CGC_EVM_ADDR_LEN], raw[CGC_EVM_ADDR_LEN];
	char from[CGC_TRON_ADDR_STRLEN], to[CGC_TRON_ADDR_STRLEN];
	char amount[CGC_UNITS_STR_MAX], word[65];
	const char *args;
	struct tron_transfer *t;
	int w;
	size_t len;

	if (data == NULL || ca == NULL ||
	    cgc_tron_address_parse_hex(ca, token) < 0 || !is_token(f, token))
		return 0;
	len = strlen(data);
	if (len == 8 + 128 && strncmp(data, sel_transfer, 8) == 0) {
		args = data + 8;
		if (hex_address(json_object_get(v, "owner_address"), raw,
		    from) < 0)
			return 0;
	} else if (len == 8 + 192 && strncmp(data, sel_transfer_from, 8) == 0) {
		args = data + 8;
		if (word_address(args, from) < 0)
			return 0;
		args += 64;
	} else
		return 0;
	if (word_address(args, to) < 0)
		return 0;
	if ((w = f->is_watched(f->ctx, to)) <= 0)
		return w;
	memcpy(word, args + 64, 64);
	word[64] = '\0';
	if (cgc_units_from_hex(word, amount, sizeof(amount), NULL) < 0 ||
	    is_zero_units(amount))
		return 0;
	if ((t = add_transfer(b)) == NULL)
		return -ENOMEM;
	memcpy(t->tx_hash, txid, TRON_HASH_STR);
	memcpy(t->from, from, sizeof(from));
	memcpy(t->to, to, sizeof(to));
	cgc_tron_address_format(token, t->contract);
	memcpy(t->amount, amount, sizeof(amount));
	t->position = 0;
	t->flags = CG_TRANSFER_FAILED;
	return 0;
}

/* One log; position is its index within the transaction's log list. */
static int
log_transfer(const json_t *log, uint32_t position, const char *txid,
    const struct tron_filter *f, struct tron_block *b, const char **why)
{
	const json_t *topics = json_object_get(log, "topics");
	const char *t0, *t1, *t2, *data;
	uint8_t token[CGC_EVM_ADDR_LEN];
	char to[CGC_TRON_ADDR_STRLEN];
	struct tron_transfer *t;
	int w;

	if (log_address(json_object_get(log, "address"), token) < 0) {
		*why = "log address is not a contract address";
		return -EINVAL;
	}
	if (!is_token(f, token))
		return 0;
	if (!json_is_array(topics)) {
		*why = "malformed Transfer log of a watched token";
		return -EINVAL;
	}
	t0 = json_string_value(json_array_get(topics, 0));
	if (t0 == NULL || strcmp(t0, transfer_topic) != 0)
		return 0;		/* another event (Approval, ...) */
	t1 = json_string_value(json_array_get(topics, 1));
	t2 = json_string_value(json_array_get(topics, 2));
	data = json_string_value(json_object_get(log, "data"));
	if (json_array_size(topics) != 3 || t1 == NULL || t2 == NULL ||
	    data == NULL || strlen(t1) != 64 || strlen(t2) != 64 ||
	    strlen(data) != 64 || word_address(t2, to) < 0) {
		*why = "malformed Transfer log of a watched token";
		return -EINVAL;
	}
	if ((w = f->is_watched(f->ctx, to)) <= 0)
		return w;
	if ((t = add_transfer(b)) == NULL)
		return -ENOMEM;
	if (word_address(t1, t->from) < 0 ||
	    cgc_units_from_hex(data, t->amount, sizeof(t->amount), NULL) < 0) {
		b->count--;
		*why = "malformed Transfer log of a watched token";
		return -EINVAL;
	}
	if (is_zero_units(t->amount)) {
		b->count--;
		return 0;
	}
	memcpy(t->tx_hash, txid, TRON_HASH_STR);
	memcpy(t->to, to, sizeof(to));
	cgc_tron_address_format(token, t->contract);
	t->position = position;
	return 0;
}

/*
 * Pairs each info entry with its transaction: match[k] = info index of
 * block transaction k, or -1. Info entries are in block order, so the
 * same index is tried first.
 */
static int
match_info(const json_t *txs, const json_t *info, uint64_t height,
    long *match, const char **why)
{
	size_t ntx = json_array_size(txs), j;
	const json_t *e;

	for (size_t k = 0; k < ntx; k++)
		match[k] = -1;
	json_array_foreach(info, j, e) {
		const char *id = json_string_value(json_object_get(e, "id"));
		uint64_t num;
		size_t k;

		if (id == NULL || get_uint(e, "blockNumber", &num) < 0 ||
		    num != height) {
			*why = "transaction info without id or of another block";
			return -EINVAL;
		}
		for (k = 0; k < ntx; k++) {
			size_t c = (j + k) % ntx;
			const char *txid = json_string_value(json_object_get(
			    json_array_get(txs, c), "txID"));

			if (txid != NULL && strcasecmp(txid, id) == 0) {
				match[c] = (long)j;
				break;
			}
		}
		if (k == ntx) {
			*why = "transaction info names a transaction the block "
			    "does not hold";
			return -EINVAL;
		}
	}
	return 0;
}

static int
contract_tx(const json_t *tx, const json_t *inf, const char *txid,
    const struct tron_filter *f, struct tron_block *b, const char **why)
{
	const char *result;
	const json_t *logs, *log;
	size_t i;
	int rc;

	if (!tx_succeeded(tx))
		return failed_call(tx, txid, f, b);
	if (inf == NULL) {
		*why = "a contract call has no transaction info";
		return -EINVAL;
	}
	result = json_string_value(json_object_get(json_object_get(inf,
	    "receipt"), "result"));
	if (result == NULL || strcmp(result, "SUCCESS") != 0)
		return failed_call(tx, txid, f, b);
	logs = json_object_get(inf, "log");
	if (logs != NULL && !json_is_array(logs)) {
		*why = "transaction info log is not an array";
		return -EINVAL;
	}
	json_array_foreach(logs, i, log) {
		if ((rc = log_transfer(log, (uint32_t)i, txid, f, b, why)) < 0)
			return rc;
	}
	return 0;
}

static int
one_tx(const json_t *tx, const json_t *inf, const struct tron_filter *f,
    struct tron_block *b, const char **why)
{
	char txid[TRON_HASH_STR];
	const char *type;

	if (copy_hash(json_object_get(tx, "txID"), txid) < 0) {
		*why = "txID is not 64 hex digits";
		return -EINVAL;
	}
	if ((type = contract_type(tx)) == NULL) {
		*why = "transaction without raw_data.contract[0].type";
		return -EINVAL;
	}
	if (strcmp(type, "TransferContract") == 0)
		return trx_transfer(tx, txid, f, b, why);
	if (strcmp(type, "TriggerSmartContract") == 0 ||
	    strcmp(type, "CreateSmartContract") == 0)
		return contract_tx(tx, inf, txid, f, b, why);
	return 0;
}

int
tron_parse_transfers(const json_t *block, const json_t *info,
    const struct tron_filter *f, struct tron_block *out, const char **why)
{
	const json_t *txs = json_object_get(block, "transactions");
	size_t ntx;
	long *match = NULL;
	int rc = 0;

	if (txs == NULL)
		return 0;		/* an empty block has no list */
	if (!json_is_array(txs)) {
		*why = "transactions is not an array";
		return -EINVAL;
	}
	if ((ntx = json_array_size(txs)) == 0)
		return 0;
	if (info != NULL && !json_is_array(info)) {
		*why = "transaction info is not an array";
		return -EINVAL;
	}
	if ((match = calloc(ntx, sizeof(*match))) == NULL)
		return -ENOMEM;
	if (info != NULL &&
	    (rc = match_info(txs, info, out->height, match, why)) < 0)
		goto done;
	for (size_t k = 0; k < ntx; k++) {
		const json_t *tx = json_array_get(txs, k);
		const json_t *inf = match[k] < 0 ? NULL :
		    json_array_get(info, (size_t)match[k]);

		if (!json_is_object(tx)) {
			*why = "transaction is not an object";
			rc = -EINVAL;
			goto done;
		}
		if ((rc = one_tx(tx, inf, f, out, why)) < 0)
			goto done;
	}
done:
	free(match);
	return rc;
}

void
tron_block_clear(struct tron_block *b)
{
	free(b->transfers);
	memset(b, 0, sizeof(*b));
}
