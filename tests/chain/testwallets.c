/*
 * TEST SUPPORT ONLY (see testwallets.h). For each known wallet: the
 * master's own fingerprint (depth 0), and the fingerprints of the parents
 * of depth 1 (master), depth 2 (m/P'), depth 3 (m/P'/C') and depth 4
 * (m/P'/C'/0') keys, for purposes 44, 49, 84, 86 and coins 0, 1, 2, 60,
 * 195.
 */
#include <stdio.h>
#include <string.h>

#include "common/hash.h"
#include "testwallets.h"
#include "xprv.h"

const char *const cgt_test_mnemonics[] = {
	/* BIP39 test vectors, and every wallet library's tests */
	"abandon abandon abandon abandon abandon abandon abandon abandon "
	    "abandon abandon abandon about",
	/* Hardhat and Anvil (Foundry) development accounts */
	"test test test test test test test test test test test junk",
	NULL,
};

const char *const cgt_test_seeds_hex[] = {
	/* BIP32 test vectors 1, 2, 3 */
	"000102030405060708090a0b0c0d0e0f",
	"fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c"
	    "999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542",
	"4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45"
	    "d239319ac14f863b8d5ab5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be",
	NULL,
};

static const unsigned purposes[] = { 44, 49, 84, 86 };
static const unsigned coins[] = { 0, 1, 2, 60, 195 };

static int
fingerprint(const struct cgt_xprv *x, uint8_t fp[4])
{
	struct cgc_xpub p;

	if (cgt_xprv_neuter(x, 0x0488b21e, &p) != 0)
		return -1;
	return cgc_xpub_fingerprint(&p, fp);
}

static int
walk_master(const struct cgt_xprv *m, cgt_walk_fn *fn, void *arg)
{
	struct cgt_xprv x;
	uint8_t fp[4];
	char path[64];
	size_t i, j;

	if (fingerprint(m, fp) != 0)
		return -1;
	fn(0, fp, arg);
	fn(1, fp, arg);
	for (i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++) {
		snprintf(path, sizeof(path), "m/%u'", purposes[i]);
		if (cgt_xprv_derive(m, path, &x) != 0 || fingerprint(&x, fp) != 0)
			return -1;
		fn(2, fp, arg);
		for (j = 0; j < sizeof(coins) / sizeof(coins[0]); j++) {
			snprintf(path, sizeof(path), "m/%u'/%u'", purposes[i],
			    coins[j]);
			if (cgt_xprv_derive(m, path, &x) != 0 ||
			    fingerprint(&x, fp) != 0)
				return -1;
			fn(3, fp, arg);
			snprintf(path, sizeof(path), "m/%u'/%u'/0'", purposes[i],
			    coins[j]);
			if (cgt_xprv_derive(m, path, &x) != 0 ||
			    fingerprint(&x, fp) != 0)
				return -1;
			fn(4, fp, arg);
		}
	}
	return 0;
}

int
cgt_test_wallet_walk(cgt_walk_fn *fn, void *arg)
{
	struct cgt_xprv m;
	uint8_t seed[64];
	size_t i, n;

	for (i = 0; cgt_test_mnemonics[i] != NULL; i++) {
		if (cgt_bip39_seed(cgt_test_mnemonics[i], "", seed) != 0 ||
		    cgt_xprv_from_seed(seed, 64, 0x0488ade4, &m) != 0 ||
		    walk_master(&m, fn, arg) != 0)
			return -1;
	}
	for (i = 0; cgt_test_seeds_hex[i] != NULL; i++) {
		n = cgt_unhex(cgt_test_seeds_hex[i], seed, sizeof(seed));
		if (n == (size_t)-1 ||
		    cgt_xprv_from_seed(seed, n, 0x0488ade4, &m) != 0 ||
		    walk_master(&m, fn, arg) != 0)
			return -1;
	}
	return 0;
}
