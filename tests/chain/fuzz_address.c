/*
 * Address validators on arbitrary strings: Base58(Check), bech32, segwit,
 * EIP-55, TRON, Bitcoin-family, amounts. Whatever one accepts must
 * re-encode to the canonical form and parse again to the same value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/address.h"
#include "common/amount.h"
#include "common/base58.h"
#include "common/bech32.h"
#include "common/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_base58(const char *s)
{
	uint8_t b[CGC_BASE58_MAX_BYTES], b2[CGC_BASE58_MAX_BYTES];
	char e[CGC_BASE58_MAX_CHARS + 2];
	size_t n, n2;

	if (cgc_base58_decode(s, b, sizeof(b), &n) == 0) {
		if (cgc_base58_encode(b, n, e, sizeof(e), NULL) != 0 ||
		    strcmp(e, s) != 0)
			abort();
	}
	if (cgc_base58check_decode(s, b, sizeof(b), &n) == 0) {
		if (cgc_base58check_encode(b, n, e, sizeof(e), NULL) != 0 ||
		    strcmp(e, s) != 0)
			abort();
		if (cgc_base58check_decode(e, b2, sizeof(b2), &n2) != 0 ||
		    n2 != n || memcmp(b, b2, n) != 0)
			abort();
	}
}

static void
check_bech32(const char *s)
{
	char hrp[CGC_BECH32_MAX_HRP + 1], e[CGC_BECH32_MAX_LEN + 1];
	uint8_t d[CGC_BECH32_MAX_LEN], prog[CGC_SEGWIT_MAX_PROGRAM];
	enum cgc_bech32_variant v;
	unsigned ver;
	size_t n, i;

	if (cgc_bech32_decode(s, hrp, sizeof(hrp), d, sizeof(d), &n, &v) != 0)
		return;
	if (cgc_bech32_encode(hrp, d, n, v, e, sizeof(e), NULL) != 0 ||
	    strlen(e) != strlen(s))
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if ((s[i] | 0x20) != (e[i] | 0x20) && s[i] != e[i])
			abort();
	if (cgc_segwit_decode(hrp, s, &ver, prog, &n) == 0) {
		if (cgc_segwit_encode(hrp, ver, prog, n, e, sizeof(e), NULL) != 0)
			abort();
	}
}

static void
check_chains(const char *s)
{
	static const char *nets[] = { "bitcoin", "bitcoin-testnet",
	    "bitcoin-regtest", "litecoin", "litecoin-testnet" };
	struct cgc_btc_address a, a2;
	uint8_t h[20], h2[20], script[42];
	char e[CGC_BTC_ADDR_MAX + 8];
	size_t i, n;

	if (cgc_evm_address_parse(s, h) == 0) {
		if (cgc_evm_address_format(h, e) != 0 ||
		    cgc_evm_address_parse(e, h2) != 0 || memcmp(h, h2, 20) != 0)
			abort();
	}
	if (cgc_tron_address_parse(s, h) == 0) {
		if (cgc_tron_address_format(h, e) != 0 || strcmp(e, s) != 0)
			abort();
	}
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		const struct cgc_btc_params *p = cgc_btc_params_by_name(nets[i]);

		if (cgc_btc_address_parse(p, s, &a) != 0)
			continue;
		if (cgc_btc_script_pubkey(&a, script, sizeof(script), &n) != 0)
			abort();
		if (cgc_btc_address_format(p, &a, e, sizeof(e), NULL) != 0 ||
		    cgc_btc_address_parse(p, e, &a2) != 0 ||
		    a2.type != a.type || a2.program_len != a.program_len ||
		    memcmp(a2.program, a.program, a.program_len) != 0)
			abort();
	}
}

/* Amounts: whatever converts must come out canonical, and formatting then
 * parsing back must give the same units. */
static void
check_amounts(const char *s)
{
	static const unsigned decimals[] = { 0, 6, 8, 18, 77 };
	char d[CGC_UNITS_MAX_DIGITS * 2 + 3], u[CGC_UNITS_STR_MAX];
	size_t i;

	if (cgc_units_from_hex(s, u, sizeof(u), NULL) == 0 &&
	    !cgc_units_valid(u))
		abort();
	for (i = 0; i < sizeof(decimals) / sizeof(decimals[0]); i++) {
		if (cgc_units_from_decimal(s, decimals[i], u, sizeof(u),
		    NULL) == 0 && !cgc_units_valid(u))
			abort();
		if (!cgc_units_valid(s))
			continue;
		if (cgc_units_to_decimal(s, decimals[i], d, sizeof(d),
		    NULL) != 0 ||
		    cgc_units_from_decimal(d, decimals[i], u, sizeof(u),
		    NULL) != 0 || strcmp(u, s) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';
	check_base58(s);
	check_bech32(s);
	check_chains(s);
	check_amounts(s);
	/* Short raw inputs also become well-formed Base58Check and segwit
	 * strings, so the checks behind the checksums get exercised. */
	if (size >= 1 && size <= 41) {
		char e[CGC_BECH32_MAX_LEN + 1];

		if (cgc_base58check_encode(data, size, s, sizeof(s), NULL) == 0)
			check_chains(s);
		if (cgc_segwit_encode(data[0] & 1 ? "bc" : "tltc", data[0] >> 4,
		    data + 1, size - 1, e, sizeof(e), NULL) == 0)
			check_chains(e);
	}
	return 0;
}
