/*
 * cgc_xpub_is_test_key: the library's table equals a fresh computation,
 * the published test keys are caught, an unrelated wallet is not.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "common/address.h"
#include "common/bip32.h"
#include "testwallets.h"
#include "xprv.h"

struct probe {
	size_t seen;
	size_t missed;
};

/* Builds a key with that (depth, fingerprint) and asks the library. */
static void
probe_entry(uint8_t depth, const uint8_t fp[4], void *arg)
{
	struct probe *p = arg;
	struct cgc_xpub x;

	p->seen++;
	if (depth == 0)
		return;		/* checked below through the real masters */
	cr_assert_eq(cgc_xpub_parse("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8",
	    &x, NULL), 0);
	x.depth = depth;
	memcpy(x.parent_fp, fp, 4);
	if (!cgc_xpub_is_test_key(&x))
		p->missed++;
}

Test(testkeys, table_matches_computation)
{
	struct probe p = { 0, 0 };

	cr_assert_eq(cgt_test_wallet_walk(probe_entry, &p), 0);
	cr_assert_eq(p.seen, 230);
	cr_assert_eq(p.missed, 0);
}

static int
is_test(const char *s)
{
	struct cgc_xpub x;
	const char *why = NULL;

	cr_assert_eq(cgc_xpub_parse(s, &x, &why), 0, "%s: %s", s, why);
	return cgc_xpub_is_test_key(&x);
}

Test(testkeys, published_keys)
{
	/* BIP84 account, its xpub form, SLIP-132 BIP44/49 accounts, the
	 * Ethereum account, BIP32 vector 1 master and m/0'. */
	cr_assert(is_test("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"));
	cr_assert(is_test("xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V"));
	cr_assert(is_test("xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj"));
	cr_assert(is_test("ypub6Ww3ibxVfGzLrAH1PNcjyAWenMTbbAosGNB6VvmSEgytSER9azLDWCxoJwW7Ke7icmizBMXrzBx9979FfaHxHcrArf3zbeJJJUZPf663zsP"));
	cr_assert(is_test("xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt"));
	cr_assert(is_test("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"));
	cr_assert(is_test("xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"));
	cr_assert(is_test("xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB"));
}

Test(testkeys, hardhat_account_and_other_wallets)
{
	struct cgt_xprv m, x;
	struct cgc_xpub acct;
	uint8_t seed[64], key[33], a[20];
	char s[CGC_EVM_ADDR_STRLEN];

	/* Hardhat's and Anvil's account #0 comes from the second mnemonic. */
	cr_assert_eq(cgt_bip39_seed(cgt_test_mnemonics[1], "", seed), 0);
	cr_assert_eq(cgt_xprv_from_seed(seed, 64, 0x0488ade4, &m), 0);
	cr_assert_eq(cgt_xprv_derive(&m, "m/44'/60'/0'", &x), 0);
	cr_assert_eq(cgt_xprv_neuter(&x, 0x0488b21e, &acct), 0);
	cr_assert_eq(cgc_xpub_derive_key(&acct, 0, 0, key), 0);
	cr_assert_eq(cgc_evm_address_from_pubkey(key, 33, a), 0);
	cgc_evm_address_format(a, s);
	cr_assert_str_eq(s, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
	cr_assert(cgc_xpub_is_test_key(&acct));
	/* Account 7 under the same coin node is caught too. */
	cr_assert_eq(cgt_xprv_derive(&m, "m/44'/60'/7'", &x), 0);
	cr_assert_eq(cgt_xprv_neuter(&x, 0x0488b21e, &acct), 0);
	cr_assert(cgc_xpub_is_test_key(&acct));
	/* A wallet not in the list (BIP39 vector "legal winner ... yellow"). */
	cr_assert_eq(cgt_bip39_seed("legal winner thank year wave sausage worth useful "
	    "legal winner thank yellow", "", seed), 0);
	cr_assert_eq(cgt_xprv_from_seed(seed, 64, 0x0488ade4, &m), 0);
	cr_assert_eq(cgt_xprv_derive(&m, "m/84'/0'/0'", &x), 0);
	cr_assert_eq(cgt_xprv_neuter(&x, 0x04b24746, &acct), 0);
	cr_assert_not(cgc_xpub_is_test_key(&acct));
	cr_assert_eq(cgt_xprv_neuter(&m, 0x0488b21e, &acct), 0);
	cr_assert_not(cgc_xpub_is_test_key(&acct));
	/* The abandon wallet with a passphrase is another wallet. */
	cr_assert_eq(cgt_bip39_seed(cgt_test_mnemonics[0], "TREZOR", seed), 0);
	cr_assert_eq(cgt_xprv_from_seed(seed, 64, 0x0488ade4, &m), 0);
	cr_assert_eq(cgt_xprv_derive(&m, "m/44'/60'/0'", &x), 0);
	cr_assert_eq(cgt_xprv_neuter(&x, 0x0488b21e, &acct), 0);
	cr_assert_not(cgc_xpub_is_test_key(&acct));
	cr_assert_not(cgc_xpub_is_test_key(NULL));
}
