/*
 * Keccak-256 as Ethereum and TRON use it: the Keccak submission's padding
 * (domain byte 0x01), NOT FIPS 202 SHA3-256 (0x06). OpenSSL 3.0 offers only
 * the latter, so the sponge is implemented here. Keccak-256("") is
 * c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470.
 *
 * The context is plain data (no allocation); use one per thread.
 */
#ifndef CGC_KECCAK_H
#define CGC_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define CGC_KECCAK256_LEN 32

struct cgc_keccak {
	uint64_t st[25];
	size_t pos;		/* bytes absorbed into the current block */
};

void cgc_keccak256_init(struct cgc_keccak *k);
void cgc_keccak256_update(struct cgc_keccak *k, const void *data, size_t len);
/* Pads, squeezes 32 bytes into out and wipes the context. */
void cgc_keccak256_final(struct cgc_keccak *k, uint8_t out[CGC_KECCAK256_LEN]);
void cgc_keccak256(const void *data, size_t len,
    uint8_t out[CGC_KECCAK256_LEN]);

/*
 * FIPS 202 SHA3-256 over the same permutation. Not used for addresses: it
 * exists so the tests can check the sponge against OpenSSL's SHA3-256 on
 * inputs of every length.
 */
void cgc_sha3_256(const void *data, size_t len, uint8_t out[32]);

#endif
