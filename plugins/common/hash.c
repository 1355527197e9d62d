/*
 * SHA-256 and HMAC-SHA512 through OpenSSL; RIPEMD-160 written out from its
 * specification (Dobbertin, Bosselaers, Preneel, 1996) so that no OpenSSL
 * provider configuration can take it away.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/hash.h"

int
cgc_sha256(const void *data, size_t len, uint8_t out[CGC_SHA256_LEN])
{
	if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;
	return 0;
}

int
cgc_sha256d(const void *data, size_t len, uint8_t out[CGC_SHA256_LEN])
{
	uint8_t once[CGC_SHA256_LEN];

	if (cgc_sha256(data, len, once) != 0)
		return -EIO;
	return cgc_sha256(once, sizeof(once), out);
}

int
cgc_hmac_sha512(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[CGC_SHA512_LEN])
{
	unsigned int outlen = 0;

	if (keylen > INT32_MAX)
		return -EINVAL;
	if (HMAC(EVP_sha512(), key, (int)keylen, data, len, out, &outlen) ==
	    NULL || outlen != CGC_SHA512_LEN)
		return -EIO;
	return 0;
}

/* RIPEMD-160: two parallel lines of five rounds of sixteen steps. */

static const uint8_t rmd_rl[80] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
	3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
	1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
	4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
};
static const uint8_t rmd_rr[80] = {
	5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
	6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
	15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
	8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
	12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
};
static const uint8_t rmd_sl[80] = {
	11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
	7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
	11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
	11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
	9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
};
static const uint8_t rmd_sr[80] = {
	8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
	9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
	9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
	15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
	8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
};
static const uint32_t rmd_kl[5] = {
	0x00000000, 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xa953fd4e,
};
static const uint32_t rmd_kr[5] = {
	0x50a28be6, 0x5c4dd124, 0x6d703ef3, 0x7a6d76e9, 0x00000000,
};

static uint32_t
rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/* The five boolean functions; the right line uses them in reverse order. */
static uint32_t
rmd_f(unsigned j, uint32_t x, uint32_t y, uint32_t z)
{
	switch (j) {
	case 0:
		return x ^ y ^ z;
	case 1:
		return (x & y) | (~x & z);
	case 2:
		return (x | ~y) ^ z;
	case 3:
		return (x & z) | (y & ~z);
	default:
		return x ^ (y | ~z);
	}
}

static void
rmd_block(uint32_t h[5], const uint8_t block[64])
{
	uint32_t x[16], al, bl, cl, dl, el, ar, br, cr, dr, er, t;
	unsigned i, round;

	for (i = 0; i < 16; i++)
		x[i] = (uint32_t)block[4 * i] |
		    (uint32_t)block[4 * i + 1] << 8 |
		    (uint32_t)block[4 * i + 2] << 16 |
		    (uint32_t)block[4 * i + 3] << 24;
	al = ar = h[0];
	bl = br = h[1];
	cl = cr = h[2];
	dl = dr = h[3];
	el = er = h[4];
	for (i = 0; i < 80; i++) {
		round = i / 16;
		t = rol32(al + rmd_f(round, bl, cl, dl) + x[rmd_rl[i]] +
		    rmd_kl[round], rmd_sl[i]) + el;
		al = el;
		el = dl;
		dl = rol32(cl, 10);
		cl = bl;
		bl = t;
		t = rol32(ar + rmd_f(4 - round, br, cr, dr) + x[rmd_rr[i]] +
		    rmd_kr[round], rmd_sr[i]) + er;
		ar = er;
		er = dr;
		dr = rol32(cr, 10);
		cr = br;
		br = t;
	}
	t = h[1] + cl + dr;
	h[1] = h[2] + dl + er;
	h[2] = h[3] + el + ar;
	h[3] = h[4] + al + br;
	h[4] = h[0] + bl + cr;
	h[0] = t;
}

void
cgc_ripemd160(const void *data, size_t len, uint8_t out[CGC_RIPEMD160_LEN])
{
	uint32_t h[5] = {
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0,
	};
	const uint8_t *p = data;
	uint8_t tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, tlen, i;

	for (; len >= 64; p += 64, len -= 64)
		rmd_block(h, p);
	/* Padding: 0x80, zeros, then the bit length little-endian. */
	rest = len;
	memset(tail, 0, sizeof(tail));
	if (rest > 0)
		memcpy(tail, p, rest);
	tail[rest] = 0x80;
	tlen = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tlen - 8 + i] = (uint8_t)(bits >> (8 * i));
	rmd_block(h, tail);
	if (tlen == 128)
		rmd_block(h, tail + 64);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)h[i];
		out[4 * i + 1] = (uint8_t)(h[i] >> 8);
		out[4 * i + 2] = (uint8_t)(h[i] >> 16);
		out[4 * i + 3] = (uint8_t)(h[i] >> 24);
	}
}

int
cgc_hash160(const void *data, size_t len, uint8_t out[CGC_HASH160_LEN])
{
	uint8_t sha[CGC_SHA256_LEN];

	if (cgc_sha256(data, len, sha) != 0)
		return -EIO;
	cgc_ripemd160(sha, sizeof(sha), out);
	return 0;
}

void
cgc_hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int
cgc_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
cgc_hex_decode(const char *s, uint8_t *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (s == NULL || strnlen(s, 2 * outlen + 1) != 2 * outlen)
		return -EINVAL;
	/* Check every digit first so that out is untouched on error. */
	for (i = 0; i < 2 * outlen; i++)
		if (cgc_hex_value(s[i]) < 0)
			return -EINVAL;
	for (i = 0; i < outlen; i++) {
		hi = cgc_hex_value(s[2 * i]);
		lo = cgc_hex_value(s[2 * i + 1]);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
