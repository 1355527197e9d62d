/*
 * The BIP39 test mnemonic "abandon ... about" (no passphrase) through
 * private derivation to the account level, then the library's public
 * derivation to addresses. Published results: BIP84 (zpub, zprv and three
 * addresses), SLIP-0132 (m/44'/0'/0' xpub and address, m/49'/0'/0' ypub and
 * address), the Ethereum and TRON first addresses widely used as wallet
 * vectors (issue 5 and 7).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/address.h"
#include "common/bip32.h"
#include "common/hash.h"
#include "xprv.h"

#define ABANDON "abandon abandon abandon abandon abandon abandon " \
	"abandon abandon abandon abandon abandon about"

static struct cgt_xprv master;

static void
setup(void)
{
	uint8_t seed[64];

	cr_assert_eq(cgt_bip39_seed(ABANDON, "", seed), 0);
	cr_assert_eq(cgt_xprv_from_seed(seed, 64, 0x0488ade4, &master), 0);
}

static void
account(const char *path, const char *pubname, struct cgc_xpub *out)
{
	struct cgt_xprv x;

	cr_assert_eq(cgt_xprv_derive(&master, path, &x), 0, "%s", path);
	cr_assert_eq(cgt_xprv_neuter(&x, cgc_xkey_version_by_name(pubname)->pub, out), 0);
}

/* The address key at change/index must agree both ways. */
static void
key_at(const struct cgc_xpub *acct, const char *acct_path, uint32_t change,
    uint32_t index, uint8_t key[33])
{
	struct cgt_xprv x;
	struct cgc_xpub viapriv;
	char path[64];

	cr_assert_eq(cgc_xpub_derive_key(acct, change, index, key), 0);
	snprintf(path, sizeof(path), "%s/%u/%u", acct_path, change, index);
	cr_assert_eq(cgt_xprv_derive(&master, path, &x), 0);
	cr_assert_eq(cgt_xprv_neuter(&x, 0x0488b21e, &viapriv), 0);
	cr_assert_eq(memcmp(viapriv.key, key, 33), 0, "public != private at %s", path);
}

Test(mnemonic, bip39_seed)
{
	uint8_t seed[64];
	char hex[129];

	/* BIP39 reference vectors (trezor/python-mnemonic vectors.json),
	 * passphrase "TREZOR". */
	cr_assert_eq(cgt_bip39_seed(ABANDON, "TREZOR", seed), 0);
	cgc_hex_encode(seed, 64, hex);
	cr_assert_str_eq(hex, "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e5349553"
	    "1f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04");
}

Test(mnemonic, ethereum, .init = setup)
{
	struct cgc_xpub acct;
	uint8_t key[33], a[20];
	char s[CGC_EVM_ADDR_STRLEN];

	account("m/44'/60'/0'", "xpub", &acct);
	key_at(&acct, "m/44'/60'/0'", 0, 0, key);
	cr_assert_eq(cgc_evm_address_from_pubkey(key, 33, a), 0);
	cgc_evm_address_format(a, s);
	cr_assert_str_eq(s, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
}

Test(mnemonic, tron, .init = setup)
{
	struct cgc_xpub acct;
	uint8_t key[33];
	char s[CGC_TRON_ADDR_STRLEN];

	account("m/44'/195'/0'", "xpub", &acct);
	key_at(&acct, "m/44'/195'/0'", 0, 0, key);
	cr_assert_eq(cgc_tron_address_from_pubkey(key, 33, s), 0);
	cr_assert_str_eq(s, "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH");
}

Test(mnemonic, bip84, .init = setup)
{
	const struct cgc_btc_params *btc = cgc_btc_params_by_name("bitcoin");
	struct cgc_xpub acct, parsed;
	struct cgt_xprv x;
	uint8_t key[33];
	char s[CGC_XKEY_STR_MAX];
	const char *why = NULL;

	account("m/84'/0'/0'", "zpub", &acct);
	cr_assert_eq(cgc_xpub_format(&acct, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs");
	cr_assert_eq(cgc_xpub_format_as(&acct, 0x0488b21e, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V");
	cr_assert_eq(cgt_xprv_derive(&master, "m/84'/0'/0'", &x), 0);
	x.version = 0x04b2430c;
	cr_assert_eq(cgt_xprv_format(&x, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE");
	/* From here on only what a merchant would hand over: the zpub. */
	cr_assert_eq(cgc_xpub_parse("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs",
	    &parsed, &why), 0, "%s", why);
	cr_assert_eq(cgc_xkey_version_by_pub(parsed.version)->script, CGC_SCRIPT_P2WPKH);
	key_at(&parsed, "m/84'/0'/0'", 0, 0, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu");
	key_at(&parsed, "m/84'/0'/0'", 0, 1, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
	key_at(&parsed, "m/84'/0'/0'", 1, 0, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el");
}

Test(mnemonic, slip132_bip44_bip49, .init = setup)
{
	const struct cgc_btc_params *btc = cgc_btc_params_by_name("bitcoin");
	struct cgc_xpub acct;
	uint8_t key[33];
	char s[CGC_XKEY_STR_MAX];

	account("m/44'/0'/0'", "xpub", &acct);
	cr_assert_eq(cgc_xpub_format(&acct, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj");
	key_at(&acct, "m/44'/0'/0'", 0, 0, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2PKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA");

	account("m/49'/0'/0'", "ypub", &acct);
	cr_assert_eq(cgc_xpub_format(&acct, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "ypub6Ww3ibxVfGzLrAH1PNcjyAWenMTbbAosGNB6VvmSEgytSER9azLDWCxoJwW7Ke7icmizBMXrzBx9979FfaHxHcrArf3zbeJJJUZPf663zsP");
	key_at(&acct, "m/49'/0'/0'", 0, 0, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(btc, CGC_BTC_KEY_P2SH_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf");
}

/*
 * Results not in a BIP but agreed on by several independent public wallet
 * libraries (ETH account xpub; BIP84 testnet and Litecoin addresses).
 */
Test(mnemonic, cross_checked, .init = setup)
{
	struct cgc_xpub acct;
	uint8_t key[33];
	char s[CGC_XKEY_STR_MAX];
	const struct cgc_btc_params *tb = cgc_btc_params_by_name("bitcoin-testnet");
	const struct cgc_btc_params *ltc = cgc_btc_params_by_name("litecoin");

	account("m/44'/60'/0'", "xpub", &acct);
	cr_assert_eq(cgc_xpub_format(&acct, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt");
	account("m/84'/1'/0'", "vpub", &acct);
	key_at(&acct, "m/84'/1'/0'", 0, 0, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(tb, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl");
	key_at(&acct, "m/84'/1'/0'", 0, 1, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(tb, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "tb1qd7spv5q28348xl4myc8zmh983w5jx32cjhkn97");
	account("m/84'/2'/0'", "zpub", &acct);
	key_at(&acct, "m/84'/2'/0'", 0, 0, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(ltc, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh");
	key_at(&acct, "m/84'/2'/0'", 0, 1, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(ltc, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "ltc1qwlezpr3890hcp6vva9twqh27mr6edadreqvhnn");
	key_at(&acct, "m/84'/2'/0'", 1, 0, key);
	cr_assert_eq(cgc_btc_address_from_pubkey(ltc, CGC_BTC_KEY_P2WPKH, key, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "ltc1qyeljcy9v88jg8sqvnqh0m5q390xruc5r98q9yy");
}
