/*
 * The tron plugin's block parser on arbitrary replies. Input: a
 * getblockbynum body, optionally followed by "\n--\n" and a
 * gettransactioninfobyblocknum body. Whatever the parser accepts must be
 * well-formed: 64-hex hashes, Base58Check addresses, canonical amounts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tron.h"

#include "common/address.h"
#include "common/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
watch_all(void *ctx, const char *address)
{
	uint8_t raw[CGC_EVM_ADDR_LEN];

	if (cgc_tron_address_parse(address, raw) < 0)
		abort();
	return 1;
}

static void
check_hash(const char *h)
{
	if (strlen(h) != TRON_HASH_HEX ||
	    strspn(h, "0123456789abcdef") != TRON_HASH_HEX)
		abort();
}

static void
check(const struct tron_block *b)
{
	uint8_t raw[CGC_EVM_ADDR_LEN];

	check_hash(b->hash);
	check_hash(b->parent);
	for (size_t i = 0; i < b->count; i++) {
		const struct tron_transfer *t = &b->transfers[i];

		check_hash(t->tx_hash);
		if (cgc_tron_address_parse(t->to, raw) < 0 ||
		    cgc_tron_address_parse(t->from, raw) < 0 ||
		    (t->contract[0] != '\0' &&
		    cgc_tron_address_parse(t->contract, raw) < 0) ||
		    !cgc_units_valid(t->amount) || strcmp(t->amount, "0") == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t tokens[2][CGC_EVM_ADDR_LEN];
	static int init;
	struct tron_filter f = { .contracts = (const uint8_t (*)[20])tokens,
	    .contract_count = 2, .is_watched = watch_all };
	struct tron_block b = { 0 };
	const char *sep = "\n--\n", *why = NULL;
	json_t *block, *info = NULL;
	size_t blen = size;
	uint64_t height;

	if (!init) {
		cgc_tron_address_parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
		    tokens[0]);
		cgc_tron_address_parse("TT2X2yyubp7qpAWYYNE5JQWBtoZ7ikQFsY",
		    tokens[1]);
		init = 1;
	}
	for (size_t i = 0; i + 4 <= size; i++)
		if (memcmp(data + i, sep, 4) == 0) {
			blen = i;
			info = json_loadb((const char *)data + i + 4,
			    size - i - 4, JSON_REJECT_DUPLICATES, NULL);
			break;
		}
	block = json_loadb((const char *)data, blen, JSON_REJECT_DUPLICATES,
	    NULL);
	if (block != NULL && tron_parse_head(block, &height, &why) == 0 &&
	    tron_parse_header(block, height, &b, &why) == 0) {
		tron_block_needs_info(block);
		if (tron_parse_transfers(block, info, &f, &b, &why) == 0)
			check(&b);
	}
	tron_block_clear(&b);
	json_decref(block);
	json_decref(info);
	return 0;
}
