/*
 * Base58 by repeated multiply-add over a big-endian digit buffer: O(n^2) in
 * the input length, which the length limits keep small.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/base58.h"
#include "common/hash.h"

static const char b58_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static int
b58_value(unsigned char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(b58_alphabet, c);
	return p == NULL ? -1 : (int)(p - b58_alphabet);
}

int
cgc_base58_encode(const uint8_t *data, size_t len, char *out, size_t outsz,
    size_t *needed)
{
	uint8_t digits[CGC_BASE58_MAX_CHARS];
	size_t zeros = 0, ndigits = 0, i, j, total;
	unsigned int carry;

	if (len > CGC_BASE58_MAX_BYTES || (data == NULL && len > 0))
		return -EINVAL;
	while (zeros < len && data[zeros] == 0)
		zeros++;
	/* digits[] holds base-58 digits, least significant first. */
	for (i = zeros; i < len; i++) {
		carry = data[i];
		for (j = 0; j < ndigits; j++) {
			carry += (unsigned int)digits[j] << 8;
			digits[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		while (carry > 0) {
			digits[ndigits++] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	total = zeros + ndigits + 1;
	if (needed != NULL)
		*needed = total;
	if (out == NULL || outsz < total)
		return -ENOSPC;
	for (i = 0; i < zeros; i++)
		out[i] = '1';
	for (j = 0; j < ndigits; j++)
		out[zeros + j] = b58_alphabet[digits[ndigits - 1 - j]];
	out[total - 1] = '\0';
	return 0;
}

/* Decoded bytes may be key material: wipe the scratch buffer on every exit. */
static int
wipe_return(uint8_t bytes[CGC_BASE58_MAX_CHARS], int rc)
{
	OPENSSL_cleanse(bytes, CGC_BASE58_MAX_CHARS);
	return rc;
}

int
cgc_base58_decode(const char *s, uint8_t *out, size_t outsz, size_t *outlen)
{
	uint8_t bytes[CGC_BASE58_MAX_CHARS];	/* little-endian, base 256 */
	size_t slen, zeros = 0, nbytes = 0, i, j, total;
	unsigned int carry;
	int v;

	if (s == NULL)
		return -EINVAL;
	slen = strnlen(s, CGC_BASE58_MAX_CHARS + 1);
	if (slen == 0 || slen > CGC_BASE58_MAX_CHARS)
		return -EINVAL;
	while (zeros < slen && s[zeros] == '1')
		zeros++;
	for (i = zeros; i < slen; i++) {
		v = b58_value((unsigned char)s[i]);
		if (v < 0)
			return wipe_return(bytes, -EINVAL);
		carry = (unsigned int)v;
		for (j = 0; j < nbytes; j++) {
			carry += (unsigned int)bytes[j] * 58;
			bytes[j] = (uint8_t)carry;
			carry >>= 8;
		}
		while (carry > 0) {
			bytes[nbytes++] = (uint8_t)carry;
			carry >>= 8;
		}
	}
	total = zeros + nbytes;
	if (total > CGC_BASE58_MAX_BYTES)
		return wipe_return(bytes, -EINVAL);
	if (outlen != NULL)
		*outlen = total;
	if (out == NULL || outsz < total)
		return wipe_return(bytes, -ENOSPC);
	memset(out, 0, zeros);
	for (j = 0; j < nbytes; j++)
		out[zeros + j] = bytes[nbytes - 1 - j];
	return wipe_return(bytes, 0);
}

int
cgc_base58check_encode(const uint8_t *payload, size_t len, char *out,
    size_t outsz, size_t *needed)
{
	uint8_t buf[CGC_BASE58_MAX_BYTES], sum[CGC_SHA256_LEN];
	int rc;

	if (len + 4 > CGC_BASE58_MAX_BYTES || (payload == NULL && len > 0))
		return -EINVAL;
	if (len > 0)
		memcpy(buf, payload, len);
	if (cgc_sha256d(buf, len, sum) != 0)
		return -EIO;
	memcpy(buf + len, sum, 4);
	rc = cgc_base58_encode(buf, len + 4, out, outsz, needed);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int
cgc_base58check_decode(const char *s, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	uint8_t buf[CGC_BASE58_MAX_BYTES], sum[CGC_SHA256_LEN];
	size_t len;
	int rc;

	rc = cgc_base58_decode(s, buf, sizeof(buf), &len);
	if (rc != 0)
		return rc == -ENOSPC ? -EINVAL : rc;
	rc = -EINVAL;
	if (len < 4)
		goto done;
	len -= 4;
	rc = -EIO;
	if (cgc_sha256d(buf, len, sum) != 0)
		goto done;
	rc = -EINVAL;
	if (CRYPTO_memcmp(sum, buf + len, 4) != 0)
		goto done;
	if (outlen != NULL)
		*outlen = len;
	rc = -ENOSPC;
	if (out == NULL || outsz < len)
		goto done;
	if (len > 0)
		memcpy(out, buf, len);
	rc = 0;
done:
	/* The buffer may have held an extended private key. */
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}
