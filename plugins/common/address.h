/*
 * Addresses of the networks the gateway serves.
 *
 * EVM (Ethereum, BSC, Polygon, devnets): the last 20 bytes of
 * Keccak-256(X || Y) of the uncompressed public key, written "0x" + 40 hex
 * digits with the EIP-55 mixed-case checksum (a hex letter is upper case
 * when the matching nibble of Keccak-256(lower-case hex) is >= 8).
 * Validation accepts all-lower and all-upper (no checksum to check) and
 * mixed case only when it matches the checksum; the "0x" prefix is
 * required.
 *
 * TRON: byte 0x41 then the same 20 bytes, Base58Check; 34 characters
 * beginning with 'T'.
 *
 * Bitcoin and Litecoin: P2PKH (Base58Check, version + HASH160(pubkey)),
 * P2SH (version + HASH160(script)), P2SH-P2WPKH (BIP49), and native segwit
 * (bech32/bech32m with the network's HRP). Version bytes per network:
 * Bitcoin 0x00/0x05 "bc", testnet 0x6f/0xc4 "tb", regtest 0x6f/0xc4 "bcrt",
 * Litecoin 0x30/0x32 (and the old 0x05 for P2SH) "ltc", Litecoin testnet
 * 0x6f/0x3a (and 0xc4) "tltc".
 *
 * Errors: -EINVAL bad input, -ENOSPC small buffer (*needed set), -EIO a
 * libcrypto failure. Thread-safe, no allocation.
 */
#ifndef CGC_ADDRESS_H
#define CGC_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/bech32.h"

#define CGC_EVM_ADDR_LEN 20
#define CGC_EVM_ADDR_STRLEN 43		/* "0x" + 40 + NUL */
#define CGC_TRON_ADDR_STRLEN 35		/* 34 + NUL */
#define CGC_TRON_PREFIX 0x41
#define CGC_BTC_ADDR_MAX CGC_SEGWIT_ADDR_MAX	/* longest of all kinds */

/* --- EVM --- */

/* pub: compressed (33) or uncompressed (65) SEC1 public key. */
int cgc_evm_address_from_pubkey(const uint8_t *pub, size_t publen,
    uint8_t addr[CGC_EVM_ADDR_LEN]);
/* EIP-55 form. */
int cgc_evm_address_format(const uint8_t addr[CGC_EVM_ADDR_LEN],
    char out[CGC_EVM_ADDR_STRLEN]);
/* Validates and decodes; -EINVAL on any fault, including a bad checksum. */
int cgc_evm_address_parse(const char *s, uint8_t addr[CGC_EVM_ADDR_LEN]);

/* --- TRON --- */

int cgc_tron_address_from_pubkey(const uint8_t *pub, size_t publen,
    char out[CGC_TRON_ADDR_STRLEN]);
/* From the 20-byte hash (what TRC-20 logs and EVM-style tooling carry). */
int cgc_tron_address_format(const uint8_t addr[CGC_EVM_ADDR_LEN],
    char out[CGC_TRON_ADDR_STRLEN]);
/* Validates a Base58Check "T..." address and returns its 20-byte hash. */
int cgc_tron_address_parse(const char *s, uint8_t addr[CGC_EVM_ADDR_LEN]);
/* Accepts the hex form "41" + 40 hex digits (TronGrid's default). */
int cgc_tron_address_parse_hex(const char *s,
    uint8_t addr[CGC_EVM_ADDR_LEN]);

/* --- Bitcoin, Litecoin --- */

struct cgc_btc_params {
	const char *name;	/* "bitcoin", "bitcoin-testnet", ... */
	const char *hrp;	/* segwit HRP */
	uint8_t p2pkh;		/* Base58Check version bytes */
	uint8_t p2sh;
	int16_t p2sh_alt;	/* a second accepted P2SH version, or -1 */
};

/*
 * "bitcoin", "bitcoin-testnet" (also signet), "bitcoin-regtest",
 * "litecoin", "litecoin-testnet"; NULL when unknown.
 */
const struct cgc_btc_params *cgc_btc_params_by_name(const char *name);

enum cgc_btc_addr_type {
	CGC_BTC_P2PKH = 1,
	CGC_BTC_P2SH = 2,		/* any script hash, P2SH-P2WPKH too */
	CGC_BTC_WITNESS = 3,		/* native segwit, see witver/program */
};

/* Which address a public key is paid to. */
enum cgc_btc_key_script {
	CGC_BTC_KEY_P2PKH = 1,
	CGC_BTC_KEY_P2SH_P2WPKH = 2,
	CGC_BTC_KEY_P2WPKH = 3,
};

struct cgc_btc_address {
	enum cgc_btc_addr_type type;
	unsigned witver;		/* CGC_BTC_WITNESS only */
	uint8_t program[CGC_SEGWIT_MAX_PROGRAM];	/* hash or program */
	size_t program_len;		/* 20 for P2PKH/P2SH */
};

/* pub: 33-byte compressed key (the only form BIP32 yields). */
int cgc_btc_address_from_pubkey(const struct cgc_btc_params *p,
    enum cgc_btc_key_script script, const uint8_t pub[33], char *out,
    size_t outsz, size_t *needed);
/*
 * Validates an address for network p: Base58Check with one of the
 * network's version bytes, or segwit with its HRP (any witness version
 * 0-16, per BIP350). A bech32 address in upper case is accepted.
 */
int cgc_btc_address_parse(const struct cgc_btc_params *p, const char *s,
    struct cgc_btc_address *out);
/* Canonical string (lower-case bech32, primary P2SH version). */
int cgc_btc_address_format(const struct cgc_btc_params *p,
    const struct cgc_btc_address *a, char *out, size_t outsz,
    size_t *needed);
/* The output script (scriptPubKey) paying to a; at most 42 bytes. */
int cgc_btc_script_pubkey(const struct cgc_btc_address *a, uint8_t *out,
    size_t outsz, size_t *len);

#endif
