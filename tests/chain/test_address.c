/*
 * EVM (EIP-55 examples from the EIP), TRON, Bitcoin and Litecoin addresses.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/address.h"
#include "common/base58.h"
#include "common/hash.h"
#include "xprv.h"

static const char *eip55_examples[] = {
	/* all caps */
	"0x52908400098527886E0F7030069857D2E4169EE7",
	"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
	/* all lower */
	"0xde709f2102306220921060314715629080e2fb77",
	"0x27b1fdb04752bbc536007a920d24acb045561c26",
	/* normal */
	"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

Test(evm, eip55_examples)
{
	uint8_t a[20];
	char s[CGC_EVM_ADDR_STRLEN], lower[CGC_EVM_ADDR_STRLEN];
	size_t i, j;

	for (i = 0; i < sizeof(eip55_examples) / sizeof(eip55_examples[0]); i++) {
		const char *e = eip55_examples[i];

		cr_assert_eq(cgc_evm_address_parse(e, a), 0, "%s", e);
		cr_assert_eq(cgc_evm_address_format(a, s), 0);
		cr_assert_str_eq(s, e);
		/* All-lower and all-upper forms are accepted too. */
		for (j = 0; e[j] != '\0'; j++)
			lower[j] = (e[j] >= 'A' && e[j] <= 'F') ? (char)(e[j] + 32) : e[j];
		lower[j] = '\0';
		cr_assert_eq(cgc_evm_address_parse(lower, NULL), 0);
	}
}

Test(evm, checksum_enforced)
{
	/* One letter's case flipped in a mixed-case address. */
	cr_assert_eq(cgc_evm_address_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("0x", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse("", NULL), -EINVAL);
	cr_assert_eq(cgc_evm_address_parse(NULL, NULL), -EINVAL);
}

Test(evm, from_pubkey)
{
	uint8_t pub[33], full[65], a[20];
	char s[CGC_EVM_ADDR_STRLEN];

	/* Private key 1: the generator point; its well-known address. */
	cgc_hex_decode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", pub, 33);
	cr_assert_eq(cgc_evm_address_from_pubkey(pub, 33, a), 0);
	cgc_evm_address_format(a, s);
	cr_assert_str_eq(s, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
	cr_assert_eq(cgc_pubkey_uncompress(pub, 33, full), 0);
	memset(a, 0, sizeof(a));
	cr_assert_eq(cgc_evm_address_from_pubkey(full, 65, a), 0);
	cgc_evm_address_format(a, s);
	cr_assert_str_eq(s, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
	/* Not a point: x = 7 has no y on secp256k1 (BIP32 vector 5). */
	cgc_hex_decode("020000000000000000000000000000000000000000000000000000000000000007", pub, 33);
	cr_assert_eq(cgc_evm_address_from_pubkey(pub, 33, a), -EINVAL);
	cr_assert_eq(cgc_evm_address_from_pubkey(pub, 32, a), -EINVAL);
}

Test(tron, parse_format)
{
	uint8_t a[20];
	char s[CGC_TRON_ADDR_STRLEN];

	cr_assert_eq(cgc_tron_address_parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", a), 0);
	cr_assert_eq(cgc_tron_address_format(a, s), 0);
	cr_assert_str_eq(s, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
	cr_assert_eq(cgc_tron_address_parse_hex("41a614f803b6fd780986a42c78ec9c7f77e6ded13c", a), 0);
	cr_assert_eq(cgc_tron_address_format(a, s), 0);
	cr_assert_str_eq(s, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
	cr_assert_eq(cgc_tron_address_parse_hex("42a614f803b6fd780986a42c78ec9c7f77e6ded13c", a), -EINVAL);
	cr_assert_eq(cgc_tron_address_parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T", a), -EINVAL);
	/* A Bitcoin address is valid Base58Check but not TRON. */
	cr_assert_eq(cgc_tron_address_parse("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", a), -EINVAL);
	cr_assert_eq(cgc_tron_address_parse("", a), -EINVAL);
}

Test(btc, params)
{
	cr_assert_str_eq(cgc_btc_params_by_name("bitcoin")->hrp, "bc");
	cr_assert_str_eq(cgc_btc_params_by_name("bitcoin-testnet")->hrp, "tb");
	cr_assert_str_eq(cgc_btc_params_by_name("litecoin")->hrp, "ltc");
	cr_assert_str_eq(cgc_btc_params_by_name("litecoin-testnet")->hrp, "tltc");
	cr_assert_null(cgc_btc_params_by_name("dogecoin"));
}

static void
script_hex(const char *net, const char *addr, const char *want, int type)
{
	const struct cgc_btc_params *p = cgc_btc_params_by_name(net);
	struct cgc_btc_address a;
	uint8_t script[42];
	char hex[90], again[CGC_BTC_ADDR_MAX];
	size_t n;

	cr_assert_eq(cgc_btc_address_parse(p, addr, &a), 0, "%s on %s", addr, net);
	cr_assert_eq((int)a.type, type, "%s", addr);
	cr_assert_eq(cgc_btc_script_pubkey(&a, script, sizeof(script), &n), 0);
	cgc_hex_encode(script, n, hex);
	cr_assert_str_eq(hex, want, "%s", addr);
	cr_assert_eq(cgc_btc_address_format(p, &a, again, sizeof(again), NULL), 0);
}

Test(btc, parse_kinds)
{
	script_hex("bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
	    "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", CGC_BTC_P2PKH);
	script_hex("bitcoin", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
	    "0014751e76e8199196d454941c45d1b3a323f1433bd6", CGC_BTC_WITNESS);
	script_hex("bitcoin", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
	    "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", CGC_BTC_WITNESS);
	script_hex("bitcoin-testnet", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
	    "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", CGC_BTC_WITNESS);
}

Test(btc, network_mismatch)
{
	const struct cgc_btc_params *btc = cgc_btc_params_by_name("bitcoin");
	const struct cgc_btc_params *tb = cgc_btc_params_by_name("bitcoin-testnet");
	const struct cgc_btc_params *ltc = cgc_btc_params_by_name("litecoin");
	struct cgc_btc_address a;
	uint8_t payload[21];
	char s[64];

	cr_assert_eq(cgc_btc_address_parse(tb, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", &a), -EINVAL);
	cr_assert_eq(cgc_btc_address_parse(ltc, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", &a), -EINVAL);
	cr_assert_eq(cgc_btc_address_parse(btc, "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", &a), -EINVAL);
	cr_assert_eq(cgc_btc_address_parse(btc, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", &a), -EINVAL);
	cr_assert_eq(cgc_btc_address_parse(btc, "", &a), -EINVAL);
	/* Litecoin accepts its own P2SH versions 0x32 and the old 0x05. */
	memset(payload, 0x11, sizeof(payload));
	payload[0] = 0x32;
	cr_assert_eq(cgc_base58check_encode(payload, 21, s, sizeof(s), NULL), 0);
	cr_assert_eq(s[0], 'M');
	cr_assert_eq(cgc_btc_address_parse(ltc, s, &a), 0);
	cr_assert_eq(a.type, CGC_BTC_P2SH);
	cr_assert_eq(cgc_btc_address_parse(btc, s, &a), -EINVAL);
	payload[0] = 0x05;
	cr_assert_eq(cgc_base58check_encode(payload, 21, s, sizeof(s), NULL), 0);
	cr_assert_eq(cgc_btc_address_parse(ltc, s, &a), 0);
	cr_assert_eq(cgc_btc_address_parse(btc, s, &a), 0);
	payload[0] = 0x30;
	cr_assert_eq(cgc_base58check_encode(payload, 21, s, sizeof(s), NULL), 0);
	cr_assert_eq(s[0], 'L');
	cr_assert_eq(cgc_btc_address_parse(ltc, s, &a), 0);
	cr_assert_eq(a.type, CGC_BTC_P2PKH);
}

Test(btc, from_pubkey)
{
	const struct cgc_btc_params *btc = cgc_btc_params_by_name("bitcoin");
	uint8_t pub[33];
	char s[CGC_BTC_ADDR_MAX];
	size_t need;

	/* BIP84: m/84'/0'/0'/0/0. */
	cgc_hex_decode("0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c", pub, 33);
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2WPKH, pub, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu");
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2WPKH, pub, s, 10, &need), -ENOSPC);
	cr_assert_eq(need, 43);
	/* The generator's P2PKH address (private key 1). */
	cgc_hex_decode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", pub, 33);
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2PKH, pub, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH");
	pub[0] = 0x04;
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2PKH, pub, s, sizeof(s), NULL), -EINVAL);
}
