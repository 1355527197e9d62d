/*
 * seed-keys: test support (not installed). Prints the account-level
 * extended public keys and first receive addresses of a BIP39 mnemonic
 * (default: the public test mnemonic "abandon ... about"), for seed data
 * and integration tests. Keys of a published mnemonic hold no secret, and
 * the daemon refuses to serve a mainnet network from them.
 *
 *   seed-keys [mnemonic]
 */
#include <stdio.h>
#include <string.h>

#include "common/address.h"
#include "common/bip32.h"
#include "xprv.h"

struct account {
	const char *label;
	const char *path;
	const char *versions[2];	/* key forms to print, first is primary */
	const char *network;		/* evm, tron or a Bitcoin-family name */
	int script;
};

static const struct account accounts[] = {
	{ "ethereum/evm", "m/44'/60'/0'", { "xpub", NULL }, "evm", 0 },
	{ "tron", "m/44'/195'/0'", { "xpub", NULL }, "tron", 0 },
	{ "bitcoin", "m/84'/0'/0'", { "zpub", "xpub" }, "bitcoin", CGC_BTC_KEY_P2WPKH },
	{ "bitcoin-testnet", "m/84'/1'/0'", { "vpub", "tpub" }, "bitcoin-testnet", CGC_BTC_KEY_P2WPKH },
	{ "bitcoin-regtest", "m/84'/1'/0'", { "vpub", "tpub" }, "bitcoin-regtest", CGC_BTC_KEY_P2WPKH },
	{ "litecoin (BIP84)", "m/84'/2'/0'", { "zpub", "Ltub" }, "litecoin", CGC_BTC_KEY_P2WPKH },
	{ "litecoin (BIP44)", "m/44'/2'/0'", { "Ltub", "xpub" }, "litecoin", CGC_BTC_KEY_P2PKH },
	{ "litecoin-testnet", "m/84'/1'/0'", { "vpub", "ttub" }, "litecoin-testnet", CGC_BTC_KEY_P2WPKH },
};

static int
print_address(const struct account *a, const struct cgc_xpub *acct,
    uint32_t index)
{
	uint8_t key[33], h[20];
	char s[CGC_BTC_ADDR_MAX];

	if (cgc_xpub_derive_key(acct, 0, index, key) != 0)
		return -1;
	if (strcmp(a->network, "evm") == 0) {
		if (cgc_evm_address_from_pubkey(key, 33, h) != 0)
			return -1;
		cgc_evm_address_format(h, s);
	} else if (strcmp(a->network, "tron") == 0) {
		if (cgc_tron_address_from_pubkey(key, 33, s) != 0)
			return -1;
	} else if (cgc_btc_address_from_pubkey(cgc_btc_params_by_name(a->network),
	    a->script, key, s, sizeof(s), NULL) != 0) {
		return -1;
	}
	printf("  %s/0/%u %s\n", a->path, index, s);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mnemonic = "abandon abandon abandon abandon abandon "
	    "abandon abandon abandon abandon abandon abandon about";
	struct cgt_xprv master, x;
	struct cgc_xpub acct;
	char s[CGC_XKEY_STR_MAX];
	uint8_t seed[64];
	size_t i, j;

	if (argc > 2) {
		fprintf(stderr, "usage: seed-keys [mnemonic]\n");
		return 2;
	}
	if (argc == 2)
		mnemonic = argv[1];
	if (cgt_bip39_seed(mnemonic, "", seed) != 0 ||
	    cgt_xprv_from_seed(seed, 64, 0x0488ade4, &master) != 0)
		return 1;
	for (i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++) {
		const struct account *a = &accounts[i];

		if (cgt_xprv_derive(&master, a->path, &x) != 0 ||
		    cgt_xprv_neuter(&x, cgc_xkey_version_by_name(
		    a->versions[0])->pub, &acct) != 0)
			return 1;
		printf("%s %s\n", a->label, a->path);
		for (j = 0; j < 2 && a->versions[j] != NULL; j++) {
			if (cgc_xpub_format_as(&acct, cgc_xkey_version_by_name(
			    a->versions[j])->pub, s, sizeof(s), NULL) != 0)
				return 1;
			printf("  %s\n", s);
		}
		if (print_address(a, &acct, 0) != 0 ||
		    print_address(a, &acct, 1) != 0)
			return 1;
	}
	return 0;
}
