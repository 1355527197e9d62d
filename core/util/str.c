/*
 * Encodings written by hand so their strictness is ours to decide: OpenSSL's
 * EVP_DecodeBlock accepts whitespace and returns padded lengths.
 */
#include "util/str.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

size_t
cg_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int
cg_strcpy_checked(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (n >= size || n > INT32_MAX) {
		if (size > 0)
			dst[0] = '\0';
		return -ENOSPC;
	}
	memcpy(dst, src, n + 1);
	return (int)n;
}

bool
cg_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

bool
cg_ct_streq(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen == blen ? 0 : 1;
	size_t i;

	/* walk a whole; index b modulo its length so timing tracks alen only */
	for (i = 0; i < alen; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)(blen ? b[i % blen] : 0);
	return d == 0;
}

static int
nospace(char *out, size_t size)
{
	if (size > 0)
		out[0] = '\0';
	return -ENOSPC;
}

int
cg_hex_encode(const void *data, size_t n, char *out, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	if (n > INT32_MAX / 2 || 2 * n + 1 > size)
		return nospace(out, size);
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
	return (int)(2 * n);
}

int
cg_hex_digit(char c)
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
cg_hex_decode(const char *hex, size_t len, void *out, size_t size)
{
	unsigned char *p = out;
	size_t i;

	if (len % 2 != 0 || len / 2 > INT32_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (cg_hex_digit(hex[i]) < 0)
			return -EINVAL;
	if (len / 2 > size)
		return -ENOSPC;
	for (i = 0; i < len / 2; i++)
		p[i] = (unsigned char)(cg_hex_digit(hex[2 * i]) << 4 |
		    cg_hex_digit(hex[2 * i + 1]));
	return (int)(len / 2);
}

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
cg_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t
cg_base64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

static int
b64_encode(const char *alpha, bool pad, const unsigned char *p, size_t n,
    char *out, size_t size)
{
	size_t need = pad ? cg_base64_len(n) : cg_base64url_len(n), i, k = 0;

	if (n > INT32_MAX / 2 || need + 1 > size)
		return nospace(out, size);
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];

		out[k++] = alpha[v >> 18];
		out[k++] = alpha[v >> 12 & 63];
		out[k++] = alpha[v >> 6 & 63];
		out[k++] = alpha[v & 63];
	}
	if (n - i == 1) {
		out[k++] = alpha[p[i] >> 2];
		out[k++] = alpha[(p[i] & 3) << 4];
		if (pad) {
			out[k++] = '=';
			out[k++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		out[k++] = alpha[v >> 10];
		out[k++] = alpha[v >> 4 & 63];
		out[k++] = alpha[(v & 15) << 2];
		if (pad)
			out[k++] = '=';
	}
	out[k] = '\0';
	return (int)k;
}

static int
b64_value(const char *alpha, char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(alpha, c)) == NULL)
		return -1;
	return (int)(p - alpha);
}

/* Decodes unpadded groups; s holds len characters of the alphabet only. */
static int
b64_decode(const char *alpha, const char *s, size_t len, unsigned char *out,
    size_t size)
{
	size_t full = len / 4, rest = len % 4, need, i, k = 0;
	int v[4];
	int j;

	if (rest == 1 || len / 4 * 3 > INT32_MAX)
		return -EINVAL;
	need = full * 3 + (rest ? rest - 1 : 0);
	for (i = 0; i < len; i++)
		if (b64_value(alpha, s[i]) < 0)
			return -EINVAL;
	/* the unused low bits of a final partial group must be zero */
	if (rest == 2 && (b64_value(alpha, s[len - 1]) & 15) != 0)
		return -EINVAL;
	if (rest == 3 && (b64_value(alpha, s[len - 1]) & 3) != 0)
		return -EINVAL;
	if (need > size)
		return -ENOSPC;
	for (i = 0; i < full * 4; i += 4) {
		for (j = 0; j < 4; j++)
			v[j] = b64_value(alpha, s[i + (size_t)j]);
		out[k++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		out[k++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		out[k++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	if (rest >= 2) {
		v[0] = b64_value(alpha, s[i]);
		v[1] = b64_value(alpha, s[i + 1]);
		out[k++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (rest == 3) {
			v[2] = b64_value(alpha, s[i + 2]);
			out[k++] = (unsigned char)((v[1] & 15) << 4 |
			    v[2] >> 2);
		}
	}
	return (int)k;
}

int
cg_base64_encode(const void *data, size_t n, char *out, size_t size)
{
	return b64_encode(b64std, true, data, n, out, size);
}

int
cg_base64_decode(const char *s, size_t len, void *out, size_t size)
{
	size_t padn = 0;

	if (len % 4 != 0)
		return -EINVAL;
	while (padn < 2 && padn < len && s[len - 1 - padn] == '=')
		padn++;
	return b64_decode(b64std, s, len - padn, out, size);
}

int
cg_base64url_encode(const void *data, size_t n, char *out, size_t size)
{
	return b64_encode(b64url, false, data, n, out, size);
}

int
cg_base64url_decode(const char *s, size_t len, void *out, size_t size)
{
	return b64_decode(b64url, s, len, out, size);
}

uint32_t
cg_str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}
