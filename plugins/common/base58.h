/*
 * Base58 (Bitcoin alphabet) and Base58Check (payload followed by the first
 * four bytes of SHA-256(SHA-256(payload))).
 *
 * Decoding is strict: any character outside the alphabet (including
 * whitespace), an empty string, a string longer than CGC_BASE58_MAX_CHARS
 * or a wrong checksum is -EINVAL. Inputs are bounded because the base
 * conversion is quadratic: the longest string the gateway handles is an
 * extended key (111 characters).
 *
 * Output buffers: on -ENOSPC nothing useful is written and *needed (when
 * not NULL) says how many bytes are required (for strings, including the
 * terminating NUL). Thread-safe, no allocation.
 */
#ifndef CGC_BASE58_H
#define CGC_BASE58_H

#include <stddef.h>
#include <stdint.h>

#define CGC_BASE58_MAX_BYTES 128	/* longest payload encoded or decoded */
#define CGC_BASE58_MAX_CHARS 176	/* ceil(128 * log(256) / log(58)) */

int cgc_base58_encode(const uint8_t *data, size_t len, char *out,
    size_t outsz, size_t *needed);
int cgc_base58_decode(const char *s, uint8_t *out, size_t outsz,
    size_t *outlen);

/* len + 4 must not exceed CGC_BASE58_MAX_BYTES. */
int cgc_base58check_encode(const uint8_t *payload, size_t len, char *out,
    size_t outsz, size_t *needed);
/* *outlen receives the payload length (checksum removed). */
int cgc_base58check_decode(const char *s, uint8_t *out, size_t outsz,
    size_t *outlen);

#endif
