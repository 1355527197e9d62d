/*
 * Hashes used by addresses and extended keys.
 *
 * SHA-256 and HMAC-SHA512 come from OpenSSL libcrypto. RIPEMD-160 is our own
 * small implementation: OpenSSL 3 moved it between the legacy and default
 * providers across releases, and an address must never depend on which
 * providers a host's openssl.cnf happens to load. The tests check it against
 * the published RIPEMD-160 vectors and against OpenSSL where present.
 *
 * All functions are pure and thread-safe. Those that go through OpenSSL
 * return 0 or -EIO (libcrypto failed, which a working install never does).
 */
#ifndef CGC_HASH_H
#define CGC_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CGC_SHA256_LEN 32
#define CGC_SHA512_LEN 64
#define CGC_RIPEMD160_LEN 20
#define CGC_HASH160_LEN 20

int cgc_sha256(const void *data, size_t len, uint8_t out[CGC_SHA256_LEN]);
/* SHA-256 of SHA-256, the Base58Check checksum hash. */
int cgc_sha256d(const void *data, size_t len, uint8_t out[CGC_SHA256_LEN]);
int cgc_hmac_sha512(const void *key, size_t keylen, const void *data,
    size_t len, uint8_t out[CGC_SHA512_LEN]);
void cgc_ripemd160(const void *data, size_t len,
    uint8_t out[CGC_RIPEMD160_LEN]);
/* RIPEMD-160(SHA-256(data)): the Bitcoin key and script hash. */
int cgc_hash160(const void *data, size_t len, uint8_t out[CGC_HASH160_LEN]);

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void cgc_hex_encode(const uint8_t *data, size_t len, char *out);
/*
 * Decodes exactly outlen bytes from the hex string s (either case, no
 * prefix); -EINVAL unless s is exactly 2 * outlen hex digits.
 */
/* The value of one hex digit (either case), or -1. */
int cgc_hex_value(char c);
int cgc_hex_decode(const char *s, uint8_t *out, size_t outlen);

#endif
