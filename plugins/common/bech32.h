/*
 * Bech32 (BIP173) and Bech32m (BIP350) strings, and segwit addresses on
 * top of them.
 *
 * Generic strings: HRP of 1-83 characters in US-ASCII 33-126, separator
 * '1', 5-bit data, 6-character checksum, at most 90 characters in all, no
 * mixed case. Decoding returns the HRP in lower case.
 *
 * Segwit addresses (BIP173 as amended by BIP350): witness version 0 must
 * use Bech32 and a 20- or 32-byte program; versions 1-16 must use Bech32m
 * and a 2-40-byte program. The HRP ("bc", "tb", "bcrt", "ltc", "tltc") is
 * given by the caller and compared case-insensitively; encoders always
 * write lower case.
 *
 * Errors: -EINVAL bad input, -ENOSPC output too small (*needed set, string
 * sizes include the NUL). Thread-safe, no allocation.
 */
#ifndef CGC_BECH32_H
#define CGC_BECH32_H

#include <stddef.h>
#include <stdint.h>

#define CGC_BECH32_MAX_LEN 90
#define CGC_BECH32_MAX_HRP 83
#define CGC_SEGWIT_MAX_PROGRAM 40
/* Longest segwit address plus NUL. */
#define CGC_SEGWIT_ADDR_MAX (CGC_BECH32_MAX_LEN + 1)

enum cgc_bech32_variant {
	CGC_BECH32 = 1,
	CGC_BECH32M = 2,
};

/* data[] holds 5-bit values (each < 32), len of them. */
int cgc_bech32_encode(const char *hrp, const uint8_t *data, size_t len,
    enum cgc_bech32_variant variant, char *out, size_t outsz, size_t *needed);
/*
 * On success hrp (hrpsz >= 84 always suffices) gets the lower-case HRP,
 * data[0..*datalen) the 5-bit values without checksum, *variant the
 * checksum kind found.
 */
int cgc_bech32_decode(const char *s, char *hrp, size_t hrpsz, uint8_t *data,
    size_t datasz, size_t *datalen, enum cgc_bech32_variant *variant);

int cgc_segwit_encode(const char *hrp, unsigned witver,
    const uint8_t *program, size_t proglen, char *out, size_t outsz,
    size_t *needed);
/* program must hold CGC_SEGWIT_MAX_PROGRAM bytes. */
int cgc_segwit_decode(const char *hrp, const char *addr, unsigned *witver,
    uint8_t program[CGC_SEGWIT_MAX_PROGRAM], size_t *proglen);

#endif
