/*
 * Bech32/Bech32m after BIP173 and BIP350: a BCH checksum over GF(32) whose
 * final constant is 1 for Bech32 and 0x2bc830a3 for Bech32m.
 */
#include <errno.h>
#include <string.h>

#include "common/bech32.h"

#define BECH32_CONST 1U
#define BECH32M_CONST 0x2bc830a3U

static const char b32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
polymod_step(uint32_t pre)
{
	uint32_t b = pre >> 25;

	return ((pre & 0x1ffffff) << 5) ^
	    (-((b >> 0) & 1) & 0x3b6a57b2U) ^
	    (-((b >> 1) & 1) & 0x26508e6dU) ^
	    (-((b >> 2) & 1) & 0x1ea119faU) ^
	    (-((b >> 3) & 1) & 0x3d4233ddU) ^
	    (-((b >> 4) & 1) & 0x2a1462b3U);
}

static uint32_t
variant_const(enum cgc_bech32_variant v)
{
	return v == CGC_BECH32M ? BECH32M_CONST : BECH32_CONST;
}

/* Checksum state after the expanded HRP (high bits, 0, low bits). */
static uint32_t
hrp_polymod(const char *hrp, size_t hlen)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < hlen; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] >> 5);
	chk = polymod_step(chk);
	for (i = 0; i < hlen; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
	return chk;
}

static int
charset_value(unsigned char c)
{
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if (c == '\0')
		return -1;
	p = strchr(b32_charset, c);
	return p == NULL ? -1 : (int)(p - b32_charset);
}

int
cgc_bech32_encode(const char *hrp, const uint8_t *data, size_t len,
    enum cgc_bech32_variant variant, char *out, size_t outsz, size_t *needed)
{
	uint32_t chk;
	size_t hlen, total, i;

	if (hrp == NULL || (data == NULL && len > 0) ||
	    (variant != CGC_BECH32 && variant != CGC_BECH32M))
		return -EINVAL;
	hlen = strnlen(hrp, CGC_BECH32_MAX_HRP + 1);
	if (hlen == 0 || hlen > CGC_BECH32_MAX_HRP)
		return -EINVAL;
	for (i = 0; i < hlen; i++)
		if (hrp[i] < 33 || hrp[i] > 126 ||
		    (hrp[i] >= 'A' && hrp[i] <= 'Z'))
			return -EINVAL;
	for (i = 0; i < len; i++)
		if (data[i] >> 5)
			return -EINVAL;
	if (len > CGC_BECH32_MAX_LEN || hlen + 1 + len + 6 > CGC_BECH32_MAX_LEN)
		return -EINVAL;
	total = hlen + 1 + len + 6 + 1;
	if (needed != NULL)
		*needed = total;
	if (out == NULL || outsz < total)
		return -ENOSPC;
	chk = hrp_polymod(hrp, hlen);
	memcpy(out, hrp, hlen);
	out[hlen] = '1';
	for (i = 0; i < len; i++) {
		chk = polymod_step(chk) ^ data[i];
		out[hlen + 1 + i] = b32_charset[data[i]];
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk);
	chk ^= variant_const(variant);
	for (i = 0; i < 6; i++)
		out[hlen + 1 + len + i] =
		    b32_charset[(chk >> (5 * (5 - i))) & 0x1f];
	out[total - 1] = '\0';
	return 0;
}

int
cgc_bech32_decode(const char *s, char *hrp, size_t hrpsz, uint8_t *data,
    size_t datasz, size_t *datalen, enum cgc_bech32_variant *variant)
{
	char lhrp[CGC_BECH32_MAX_HRP + 1];
	uint8_t vals[CGC_BECH32_MAX_LEN];
	uint32_t chk;
	size_t slen, sep, i, ndata;
	int lower = 0, upper = 0, v;

	if (s == NULL)
		return -EINVAL;
	slen = strnlen(s, CGC_BECH32_MAX_LEN + 1);
	if (slen < 8 || slen > CGC_BECH32_MAX_LEN)
		return -EINVAL;
	for (i = 0; i < slen; i++) {
		if (s[i] < 33 || s[i] > 126)
			return -EINVAL;
		if (s[i] >= 'a' && s[i] <= 'z')
			lower = 1;
		if (s[i] >= 'A' && s[i] <= 'Z')
			upper = 1;
	}
	if (lower && upper)
		return -EINVAL;
	/* The separator is the last '1'; the HRP may itself contain '1'. */
	sep = slen;
	for (i = slen; i > 0; i--)
		if (s[i - 1] == '1') {
			sep = i - 1;
			break;
		}
	if (sep == slen || sep == 0 || sep > CGC_BECH32_MAX_HRP ||
	    slen - sep - 1 < 6)
		return -EINVAL;
	for (i = 0; i < sep; i++)
		lhrp[i] = (s[i] >= 'A' && s[i] <= 'Z') ?
		    (char)(s[i] - 'A' + 'a') : s[i];
	lhrp[sep] = '\0';
	ndata = slen - sep - 1;
	chk = hrp_polymod(lhrp, sep);
	for (i = 0; i < ndata; i++) {
		v = charset_value((unsigned char)s[sep + 1 + i]);
		if (v < 0)
			return -EINVAL;
		vals[i] = (uint8_t)v;
		chk = polymod_step(chk) ^ vals[i];
	}
	if (chk != BECH32_CONST && chk != BECH32M_CONST)
		return -EINVAL;
	ndata -= 6;
	if (datalen != NULL)
		*datalen = ndata;
	if (hrp == NULL || hrpsz < sep + 1 || (data == NULL && ndata > 0) ||
	    datasz < ndata)
		return -ENOSPC;
	memcpy(hrp, lhrp, sep + 1);
	if (ndata > 0)
		memcpy(data, vals, ndata);
	if (variant != NULL)
		*variant = chk == BECH32M_CONST ? CGC_BECH32M : CGC_BECH32;
	return 0;
}

/*
 * Regroups bits (8 -> 5 when encoding, 5 -> 8 when decoding). Decoding
 * refuses leftover padding of 5 bits or more and non-zero padding bits.
 */
static int
convert_bits(uint8_t *out, size_t outsz, size_t *outlen, const uint8_t *in,
    size_t inlen, unsigned frombits, unsigned tobits, int pad)
{
	uint32_t acc = 0, maxv = (1U << tobits) - 1;
	unsigned bits = 0;
	size_t i, n = 0;

	for (i = 0; i < inlen; i++) {
		acc = (acc << frombits) | in[i];
		bits += frombits;
		while (bits >= tobits) {
			bits -= tobits;
			if (n == outsz)
				return -EINVAL;
			out[n++] = (uint8_t)((acc >> bits) & maxv);
		}
		acc &= (1U << bits) - 1;
	}
	if (pad) {
		if (bits > 0) {
			if (n == outsz)
				return -EINVAL;
			out[n++] = (uint8_t)((acc << (tobits - bits)) & maxv);
		}
	} else if (bits >= frombits || (acc & ((1U << bits) - 1)) != 0) {
		return -EINVAL;
	}
	*outlen = n;
	return 0;
}

static int
segwit_check(unsigned witver, size_t proglen)
{
	if (witver > 16 || proglen < 2 || proglen > CGC_SEGWIT_MAX_PROGRAM)
		return -EINVAL;
	if (witver == 0 && proglen != 20 && proglen != 32)
		return -EINVAL;
	return 0;
}

int
cgc_segwit_encode(const char *hrp, unsigned witver, const uint8_t *program,
    size_t proglen, char *out, size_t outsz, size_t *needed)
{
	uint8_t data[1 + (CGC_SEGWIT_MAX_PROGRAM * 8 + 4) / 5];
	size_t n;

	if (program == NULL || segwit_check(witver, proglen) != 0)
		return -EINVAL;
	data[0] = (uint8_t)witver;
	if (convert_bits(data + 1, sizeof(data) - 1, &n, program, proglen, 8,
	    5, 1) != 0)
		return -EINVAL;
	return cgc_bech32_encode(hrp, data, n + 1,
	    witver == 0 ? CGC_BECH32 : CGC_BECH32M, out, outsz, needed);
}

int
cgc_segwit_decode(const char *hrp, const char *addr, unsigned *witver,
    uint8_t program[CGC_SEGWIT_MAX_PROGRAM], size_t *proglen)
{
	char got[CGC_BECH32_MAX_HRP + 1];
	uint8_t data[CGC_BECH32_MAX_LEN], prog[CGC_SEGWIT_MAX_PROGRAM];
	enum cgc_bech32_variant variant;
	size_t datalen, n, hlen, i;

	if (hrp == NULL || addr == NULL)
		return -EINVAL;
	if (cgc_bech32_decode(addr, got, sizeof(got), data, sizeof(data),
	    &datalen, &variant) != 0)
		return -EINVAL;
	hlen = strlen(got);
	if (strnlen(hrp, CGC_BECH32_MAX_HRP + 1) != hlen)
		return -EINVAL;
	for (i = 0; i < hlen; i++) {
		char c = hrp[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != got[i])
			return -EINVAL;
	}
	if (datalen < 1 || data[0] > 16)
		return -EINVAL;
	if ((data[0] == 0) != (variant == CGC_BECH32))
		return -EINVAL;
	if (convert_bits(prog, sizeof(prog), &n, data + 1, datalen - 1, 5, 8,
	    0) != 0)
		return -EINVAL;
	if (segwit_check(data[0], n) != 0)
		return -EINVAL;
	if (witver != NULL)
		*witver = data[0];
	if (proglen != NULL)
		*proglen = n;
	if (program != NULL)
		memcpy(program, prog, n);
	return 0;
}
