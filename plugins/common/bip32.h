/*
 * BIP32 extended public keys: parsing, serialization and public (watch-only)
 * child derivation.
 *
 * The gateway derives deposit addresses from a merchant's account-level
 * extended public key (m/purpose'/coin'/account'), then the non-hardened
 * path change/index below it. It never holds a private key: this module
 * refuses extended private keys and hardened indexes. (The tests carry
 * their own private derivation, in tests/chain/, to check the published
 * vectors; it is not part of this library.)
 *
 * Serialization (BIP32): 4-byte version, depth, 4-byte parent fingerprint,
 * 4-byte child number (big-endian), 32-byte chain code, 33-byte compressed
 * key; 78 bytes, Base58Check. The version only names the encoding (SLIP-132
 * registry): xpub/tpub/Ltub leave the script open, ypub/upub/Mtub mean
 * P2WPKH nested in P2SH, zpub/vpub native P2WPKH. Ethereum and TRON keys
 * use the Bitcoin xpub version by convention.
 *
 * Parsing checks, in order: Base58Check (alphabet, length, checksum), the
 * 78-byte length, a known public version (a private version is refused with
 * its own message), depth 0 implies fingerprint 0 and child 0, the key
 * prefix 02/03 and that the key is a point on the curve.
 *
 * Errors are negative errno values; functions taking `const char **why`
 * store there a static English sentence naming the problem (may be NULL).
 * All functions are thread-safe.
 */
#ifndef CGC_BIP32_H
#define CGC_BIP32_H

#include <stddef.h>
#include <stdint.h>

#include "common/secp.h"

#define CGC_XKEY_LEN 78			/* serialized payload */
#define CGC_XKEY_STR_MAX 112		/* 111 characters + NUL */
#define CGC_BIP32_HARDENED 0x80000000U
#define CGC_BIP32_MAX_DEPTH 255

enum cgc_xkey_script {
	CGC_SCRIPT_UNSPECIFIED = 0,	/* xpub, tpub, Ltub, ttub */
	CGC_SCRIPT_P2SH_P2WPKH = 1,	/* ypub, upub, Mtub */
	CGC_SCRIPT_P2WPKH = 2,		/* zpub, vpub */
};

enum cgc_xkey_net {
	CGC_XNET_MAIN = 0,		/* Bitcoin (and EVM, TRON) */
	CGC_XNET_TEST = 1,		/* Bitcoin testnet, signet, regtest */
	CGC_XNET_LTC = 2,
	CGC_XNET_LTC_TEST = 3,
};

struct cgc_xkey_version {
	const char *name;		/* "zpub": the Base58 prefix it gives */
	uint32_t pub;
	uint32_t priv;
	enum cgc_xkey_net net;
	enum cgc_xkey_script script;
};

/* Lookups in the SLIP-132 table; NULL when unknown. */
const struct cgc_xkey_version *cgc_xkey_version_by_name(const char *name);
const struct cgc_xkey_version *cgc_xkey_version_by_pub(uint32_t version);
const struct cgc_xkey_version *cgc_xkey_version_by_priv(uint32_t version);

struct cgc_xpub {
	uint32_t version;
	uint8_t depth;
	uint8_t parent_fp[4];
	uint32_t child;
	uint8_t chain_code[32];
	uint8_t key[CGC_PUBKEY_LEN];
};

int cgc_xpub_parse(const char *s, struct cgc_xpub *out, const char **why);
/* Writes the Base58Check string of x under its own version. */
int cgc_xpub_format(const struct cgc_xpub *x, char *out, size_t outsz,
    size_t *needed);
/* Same key under another version (e.g. a zpub shown as xpub). */
int cgc_xpub_format_as(const struct cgc_xpub *x, uint32_t version,
    char *out, size_t outsz, size_t *needed);
/* First four bytes of HASH160 of the compressed key. */
int cgc_xpub_fingerprint(const struct cgc_xpub *x, uint8_t fp[4]);

/*
 * CKDpub: child of parent at a non-hardened index.
 * -EINVAL: hardened index (>= 2^31) or parent at depth 255.
 * -ERANGE: this index gives no valid key (probability about 2^-127);
 *          BIP32 says to skip to the next index.
 */
int cgc_xpub_child(const struct cgc_xpub *parent, uint32_t index,
    struct cgc_xpub *child, const char **why);
/*
 * Derives a relative path of non-hardened decimal indexes separated by
 * '/', e.g. "0/5" (change 0, index 5). "" gives the key itself; an "m/"
 * prefix, a hardened marker (' h H), a leading zero, an index >= 2^31 or
 * more than 255 levels in all are -EINVAL with a reason.
 */
int cgc_xpub_derive_path(const struct cgc_xpub *parent, const char *path,
    struct cgc_xpub *out, const char **why);
/*
 * Only the child's compressed public key (no fingerprint to compute):
 * the fast path for deposit addresses. Derive the receive chain once with
 * cgc_xpub_child(account, 0, &chain), then cgc_xpub_child_key(&chain, i,
 * key) per address. Errors as cgc_xpub_child.
 */
int cgc_xpub_child_key(const struct cgc_xpub *parent, uint32_t index,
    uint8_t key[CGC_PUBKEY_LEN]);
/* The compressed public key at change/index below an account key (two
 * steps every call; cache the change level where speed matters). */
int cgc_xpub_derive_key(const struct cgc_xpub *account, uint32_t change,
    uint32_t index, uint8_t key[CGC_PUBKEY_LEN]);

/*
 * 1 when x belongs to a publicly known test wallet (the BIP39 test
 * mnemonic "abandon ... about", the Hardhat/Anvil mnemonic "test ...
 * junk", BIP32 test vectors 1-3) at the master, purpose, coin, account or
 * change level of BIP44/49/84/86 for coins 0, 1, 2, 60, 195; else 0. Its
 * private keys are public: never serve a mainnet network from such a key.
 * Matched by fingerprint (see testkeys.c), so a false alarm on a real key
 * has a probability of about 5e-8.
 */
int cgc_xpub_is_test_key(const struct cgc_xpub *x);

/* Helpers shared with the tests' private derivation. */
void cgc_xkey_put_header(uint8_t buf[CGC_XKEY_LEN], uint32_t version,
    uint8_t depth, const uint8_t parent_fp[4], uint32_t child,
    const uint8_t chain_code[32]);
uint32_t cgc_be32(const uint8_t *p);

#endif
