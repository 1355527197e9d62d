/*
 * TEST SUPPORT ONLY: BIP32 private derivation and BIP39 seeds, to check the
 * library's public derivation against the published vectors. The gateway
 * itself never holds a private key; nothing here is linked into the daemon
 * or a plugin.
 */
#ifndef CGT_XPRV_H
#define CGT_XPRV_H

#include <stddef.h>
#include <stdint.h>

#include "common/bip32.h"

struct cgt_xprv {
	uint32_t version;
	uint8_t depth;
	uint8_t parent_fp[4];
	uint32_t child;
	uint8_t chain_code[32];
	uint8_t key[32];
};

/* Master key from a seed (HMAC-SHA512 keyed "Bitcoin seed"). */
int cgt_xprv_from_seed(const uint8_t *seed, size_t len, uint32_t version,
    struct cgt_xprv *out);
/* CKDpriv; index >= 2^31 is hardened. */
int cgt_xprv_child(const struct cgt_xprv *parent, uint32_t index,
    struct cgt_xprv *child);
/* Absolute path "m/44'/60'/0'" ("h" or "H" also mark hardened). */
int cgt_xprv_derive(const struct cgt_xprv *master, const char *path,
    struct cgt_xprv *out);
/* N(): the matching extended public key, under a public version. */
int cgt_xprv_neuter(const struct cgt_xprv *x, uint32_t pubversion,
    struct cgc_xpub *out);
int cgt_xprv_format(const struct cgt_xprv *x, char *out, size_t outsz);
/* Strict parser (BIP32 test vector 5); *why names the fault. */
int cgt_xprv_parse(const char *s, struct cgt_xprv *out, const char **why);

/* BIP39: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" + passphrase, 2048). */
int cgt_bip39_seed(const char *mnemonic, const char *passphrase,
    uint8_t seed[64]);

/* Hex helpers for the tests. */
size_t cgt_unhex(const char *hex, uint8_t *out, size_t outsz);

#endif
