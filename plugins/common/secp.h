/*
 * The one secp256k1 context of the library: created on first use under
 * pthread_once, randomized, and never changed afterwards, so every thread
 * may use it at once (libsecp256k1 allows concurrent use of a const
 * context). It lives until the process exits.
 */
#ifndef CGC_SECP_H
#define CGC_SECP_H

#include <stdint.h>

#include <secp256k1.h>

#define CGC_PUBKEY_LEN 33		/* compressed SEC1 */
#define CGC_PUBKEY_FULL_LEN 65		/* uncompressed SEC1, 0x04 X Y */

/* NULL only if libsecp256k1 could not allocate its context. */
const secp256k1_context *cgc_secp256k1(void);

/*
 * Parses a compressed or uncompressed public key (len 33 or 65) and writes
 * its compressed form; -EINVAL if it is not a point on the curve.
 */
int cgc_pubkey_compress(const uint8_t *pub, size_t len,
    uint8_t out[CGC_PUBKEY_LEN]);
/* Likewise, writing the uncompressed 65-byte form. */
int cgc_pubkey_uncompress(const uint8_t *pub, size_t len,
    uint8_t out[CGC_PUBKEY_FULL_LEN]);

#endif
