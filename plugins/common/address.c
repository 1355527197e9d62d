/*
 * EVM (EIP-55), TRON and Bitcoin-family addresses.
 */
#include <errno.h>
#include <string.h>

#include "common/address.h"
#include "common/base58.h"
#include "common/hash.h"
#include "common/keccak.h"
#include "common/secp.h"

/* --- EVM --- */

int
cgc_evm_address_from_pubkey(const uint8_t *pub, size_t publen,
    uint8_t addr[CGC_EVM_ADDR_LEN])
{
	uint8_t full[CGC_PUBKEY_FULL_LEN], h[CGC_KECCAK256_LEN];
	int rc;

	rc = cgc_pubkey_uncompress(pub, publen, full);
	if (rc != 0)
		return rc;
	cgc_keccak256(full + 1, sizeof(full) - 1, h);
	memcpy(addr, h + 12, CGC_EVM_ADDR_LEN);
	return 0;
}

/* The EIP-55 rendering of a 20-byte address (40 characters, no prefix). */
static void
eip55(const uint8_t addr[CGC_EVM_ADDR_LEN], char hex[41])
{
	uint8_t h[CGC_KECCAK256_LEN];
	unsigned nibble;
	size_t i;

	cgc_hex_encode(addr, CGC_EVM_ADDR_LEN, hex);
	cgc_keccak256(hex, 40, h);
	for (i = 0; i < 40; i++) {
		nibble = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 0x0f;
		if (hex[i] >= 'a' && hex[i] <= 'f' && nibble >= 8)
			hex[i] = (char)(hex[i] - 'a' + 'A');
	}
}

int
cgc_evm_address_format(const uint8_t addr[CGC_EVM_ADDR_LEN],
    char out[CGC_EVM_ADDR_STRLEN])
{
	if (addr == NULL || out == NULL)
		return -EINVAL;
	out[0] = '0';
	out[1] = 'x';
	eip55(addr, out + 2);
	return 0;
}

int
cgc_evm_address_parse(const char *s, uint8_t addr[CGC_EVM_ADDR_LEN])
{
	uint8_t a[CGC_EVM_ADDR_LEN];
	char want[41];
	int lower = 0, upper = 0;
	size_t i;

	if (s == NULL || s[0] != '0' || s[1] != 'x')
		return -EINVAL;
	s += 2;
	if (cgc_hex_decode(s, a, sizeof(a)) != 0)
		return -EINVAL;
	for (i = 0; i < 40; i++) {
		if (s[i] >= 'a' && s[i] <= 'f')
			lower = 1;
		else if (s[i] >= 'A' && s[i] <= 'F')
			upper = 1;
	}
	if (lower && upper) {
		eip55(a, want);
		if (memcmp(want, s, 40) != 0)
			return -EINVAL;
	}
	if (addr != NULL)
		memcpy(addr, a, sizeof(a));
	return 0;
}

/* --- TRON --- */

int
cgc_tron_address_format(const uint8_t addr[CGC_EVM_ADDR_LEN],
    char out[CGC_TRON_ADDR_STRLEN])
{
	uint8_t buf[1 + CGC_EVM_ADDR_LEN];

	if (addr == NULL || out == NULL)
		return -EINVAL;
	buf[0] = CGC_TRON_PREFIX;
	memcpy(buf + 1, addr, CGC_EVM_ADDR_LEN);
	return cgc_base58check_encode(buf, sizeof(buf), out,
	    CGC_TRON_ADDR_STRLEN, NULL);
}

int
cgc_tron_address_from_pubkey(const uint8_t *pub, size_t publen,
    char out[CGC_TRON_ADDR_STRLEN])
{
	uint8_t a[CGC_EVM_ADDR_LEN];
	int rc;

	rc = cgc_evm_address_from_pubkey(pub, publen, a);
	if (rc != 0)
		return rc;
	return cgc_tron_address_format(a, out);
}

int
cgc_tron_address_parse(const char *s, uint8_t addr[CGC_EVM_ADDR_LEN])
{
	uint8_t buf[1 + CGC_EVM_ADDR_LEN];
	size_t len;
	int rc;

	rc = cgc_base58check_decode(s, buf, sizeof(buf), &len);
	if (rc == -EIO)
		return rc;
	if (rc != 0 || len != sizeof(buf) || buf[0] != CGC_TRON_PREFIX)
		return -EINVAL;
	if (addr != NULL)
		memcpy(addr, buf + 1, CGC_EVM_ADDR_LEN);
	return 0;
}

int
cgc_tron_address_parse_hex(const char *s, uint8_t addr[CGC_EVM_ADDR_LEN])
{
	uint8_t buf[1 + CGC_EVM_ADDR_LEN];

	if (cgc_hex_decode(s, buf, sizeof(buf)) != 0 ||
	    buf[0] != CGC_TRON_PREFIX)
		return -EINVAL;
	if (addr != NULL)
		memcpy(addr, buf + 1, CGC_EVM_ADDR_LEN);
	return 0;
}

/* --- Bitcoin, Litecoin --- */

static const struct cgc_btc_params btc_params[] = {
	{ "bitcoin", "bc", 0x00, 0x05, -1 },
	{ "bitcoin-testnet", "tb", 0x6f, 0xc4, -1 },
	{ "bitcoin-regtest", "bcrt", 0x6f, 0xc4, -1 },
	{ "litecoin", "ltc", 0x30, 0x32, 0x05 },
	{ "litecoin-testnet", "tltc", 0x6f, 0x3a, 0xc4 },
};

const struct cgc_btc_params *
cgc_btc_params_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(btc_params) / sizeof(btc_params[0]); i++)
		if (strcmp(btc_params[i].name, name) == 0)
			return &btc_params[i];
	return NULL;
}

int
cgc_btc_address_format(const struct cgc_btc_params *p,
    const struct cgc_btc_address *a, char *out, size_t outsz, size_t *needed)
{
	uint8_t buf[21];

	if (p == NULL || a == NULL)
		return -EINVAL;
	switch (a->type) {
	case CGC_BTC_P2PKH:
	case CGC_BTC_P2SH:
		if (a->program_len != 20)
			return -EINVAL;
		buf[0] = a->type == CGC_BTC_P2PKH ? p->p2pkh : p->p2sh;
		memcpy(buf + 1, a->program, 20);
		return cgc_base58check_encode(buf, sizeof(buf), out, outsz,
		    needed);
	case CGC_BTC_WITNESS:
		return cgc_segwit_encode(p->hrp, a->witver, a->program,
		    a->program_len, out, outsz, needed);
	}
	return -EINVAL;
}

int
cgc_btc_address_from_pubkey(const struct cgc_btc_params *p,
    enum cgc_btc_key_script script, const uint8_t pub[33], char *out,
    size_t outsz, size_t *needed)
{
	struct cgc_btc_address a;
	uint8_t redeem[22], check[CGC_PUBKEY_LEN];
	int rc;

	if (p == NULL || pub == NULL)
		return -EINVAL;
	/* Only a valid compressed key: segwit outputs require one. */
	if (cgc_pubkey_compress(pub, CGC_PUBKEY_LEN, check) != 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.program_len = 20;
	rc = cgc_hash160(pub, 33, a.program);
	if (rc != 0)
		return rc;
	switch (script) {
	case CGC_BTC_KEY_P2PKH:
		a.type = CGC_BTC_P2PKH;
		break;
	case CGC_BTC_KEY_P2WPKH:
		a.type = CGC_BTC_WITNESS;
		a.witver = 0;
		break;
	case CGC_BTC_KEY_P2SH_P2WPKH:
		/* BIP49: P2SH of the script 0 <20-byte key hash>. */
		redeem[0] = 0x00;
		redeem[1] = 0x14;
		memcpy(redeem + 2, a.program, 20);
		rc = cgc_hash160(redeem, sizeof(redeem), a.program);
		if (rc != 0)
			return rc;
		a.type = CGC_BTC_P2SH;
		break;
	default:
		return -EINVAL;
	}
	return cgc_btc_address_format(p, &a, out, outsz, needed);
}

/* True when s looks like a segwit address of this network ("hrp1..."). */
static int
has_hrp(const struct cgc_btc_params *p, const char *s)
{
	size_t n = strlen(p->hrp), i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != p->hrp[i])
			return 0;
	}
	return s[n] == '1';
}

int
cgc_btc_address_parse(const struct cgc_btc_params *p, const char *s,
    struct cgc_btc_address *out)
{
	struct cgc_btc_address a;
	uint8_t buf[21];
	size_t len;
	int rc;

	if (p == NULL || s == NULL)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (has_hrp(p, s)) {
		rc = cgc_segwit_decode(p->hrp, s, &a.witver, a.program,
		    &a.program_len);
		if (rc != 0)
			return -EINVAL;
		a.type = CGC_BTC_WITNESS;
	} else {
		rc = cgc_base58check_decode(s, buf, sizeof(buf), &len);
		if (rc == -EIO)
			return rc;
		if (rc != 0 || len != sizeof(buf))
			return -EINVAL;
		if (buf[0] == p->p2pkh)
			a.type = CGC_BTC_P2PKH;
		else if (buf[0] == p->p2sh ||
		    (p->p2sh_alt >= 0 && buf[0] == p->p2sh_alt))
			a.type = CGC_BTC_P2SH;
		else
			return -EINVAL;
		memcpy(a.program, buf + 1, 20);
		a.program_len = 20;
	}
	if (out != NULL)
		*out = a;
	return 0;
}

int
cgc_btc_script_pubkey(const struct cgc_btc_address *a, uint8_t *out,
    size_t outsz, size_t *len)
{
	size_t n;

	if (a == NULL || a->program_len > CGC_SEGWIT_MAX_PROGRAM)
		return -EINVAL;
	switch (a->type) {
	case CGC_BTC_P2PKH:
		n = 25;
		break;
	case CGC_BTC_P2SH:
		n = 23;
		break;
	case CGC_BTC_WITNESS:
		if (a->witver > 16 || a->program_len < 2)
			return -EINVAL;
		n = 2 + a->program_len;
		break;
	default:
		return -EINVAL;
	}
	if ((a->type == CGC_BTC_P2PKH || a->type == CGC_BTC_P2SH) &&
	    a->program_len != 20)
		return -EINVAL;
	if (len != NULL)
		*len = n;
	if (out == NULL || outsz < n)
		return -ENOSPC;
	switch (a->type) {
	case CGC_BTC_P2PKH:
		/* OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG */
		out[0] = 0x76;
		out[1] = 0xa9;
		out[2] = 0x14;
		memcpy(out + 3, a->program, 20);
		out[23] = 0x88;
		out[24] = 0xac;
		break;
	case CGC_BTC_P2SH:
		/* OP_HASH160 <20> OP_EQUAL */
		out[0] = 0xa9;
		out[1] = 0x14;
		memcpy(out + 2, a->program, 20);
		out[22] = 0x87;
		break;
	default:
		/* OP_0 or OP_1..OP_16, then a direct push of the program. */
		out[0] = a->witver == 0 ? 0x00 : (uint8_t)(0x50 + a->witver);
		out[1] = (uint8_t)a->program_len;
		memcpy(out + 2, a->program, a->program_len);
		break;
	}
	return 0;
}
