/*
 * Base-unit amounts as decimal strings. Arithmetic on little-endian arrays
 * of decimal digits: small, exact and bounded (78 digits).
 */
#include <errno.h>
#include <string.h>

#include "common/amount.h"
#include "common/hash.h"

/* 2^256 - 1: the largest amount (78 digits). */
static const char units_max[] = "1157920892373161954235709850086879078532699"
    "84665640564039457584007913129639935";

int
cgc_units_valid(const char *s)
{
	size_t n, i;

	if (s == NULL)
		return 0;
	n = strnlen(s, CGC_UNITS_MAX_DIGITS + 1);
	if (n == 0 || n > CGC_UNITS_MAX_DIGITS)
		return 0;
	if (s[0] == '0' && n > 1)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n < CGC_UNITS_MAX_DIGITS || strcmp(s, units_max) <= 0;
}

int
cgc_units_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* Copies s (n bytes) and a NUL into out, or reports the size needed. */
static int
put(const char *s, size_t n, char *out, size_t outsz, size_t *needed)
{
	if (needed != NULL)
		*needed = n + 1;
	if (out == NULL || outsz < n + 1) {
		if (out != NULL && outsz > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int
cgc_units_to_decimal(const char *units, unsigned decimals, char *out,
    size_t outsz, size_t *needed)
{
	char buf[CGC_UNITS_MAX_DIGITS * 2 + 3];
	size_t n, end, len = 0, i;

	if (!cgc_units_valid(units) || decimals >= CGC_UNITS_MAX_DIGITS)
		return -EINVAL;
	n = strlen(units);
	/* The fraction's trailing zeros are the units' trailing zeros. */
	end = n;
	while (end > 0 && n - end < decimals && units[end - 1] == '0')
		end--;
	if (n <= decimals) {
		if (end == 0)
			return put("0", 1, out, outsz, needed);
		buf[len++] = '0';
		buf[len++] = '.';
		for (i = n; i < decimals; i++)
			buf[len++] = '0';
		memcpy(buf + len, units, end);
		len += end;
	} else {
		memcpy(buf, units, n - decimals);
		len = n - decimals;
		if (end > n - decimals) {
			buf[len++] = '.';
			memcpy(buf + len, units + n - decimals,
			    end - (n - decimals));
			len += end - (n - decimals);
		}
	}
	return put(buf, len, out, outsz, needed);
}

/* Writes little-endian digits d[0..nd) as a canonical string. */
static int
put_digits(const unsigned char *d, size_t nd, char *out, size_t outsz,
    size_t *needed)
{
	char buf[CGC_UNITS_STR_MAX];
	size_t i;

	while (nd > 1 && d[nd - 1] == 0)
		nd--;
	if (nd == 0)
		return put("0", 1, out, outsz, needed);
	for (i = 0; i < nd; i++)
		buf[i] = (char)('0' + d[nd - 1 - i]);
	return put(buf, nd, out, outsz, needed);
}

int
cgc_units_from_hex(const char *hex, char *out, size_t outsz, size_t *needed)
{
	unsigned char d[CGC_UNITS_MAX_DIGITS + 2];
	size_t nd = 0, sig = 0, i;
	unsigned carry, v;
	int x;

	if (hex == NULL)
		return -EINVAL;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	if (hex[0] == '\0')
		return -EINVAL;
	for (i = 0; hex[i] != '\0'; i++)
		if (cgc_hex_value(hex[i]) < 0)
			return -EINVAL;
	for (; *hex != '\0'; hex++) {
		x = cgc_hex_value(*hex);
		if (sig == 0 && x == 0)
			continue;	/* leading zeros */
		if (++sig > 64)
			return -ERANGE;
		carry = (unsigned)x;
		for (i = 0; i < nd; i++) {
			v = d[i] * 16U + carry;
			d[i] = (unsigned char)(v % 10);
			carry = v / 10;
		}
		while (carry > 0) {
			d[nd++] = (unsigned char)(carry % 10);
			carry /= 10;
		}
	}
	return put_digits(d, nd, out, outsz, needed);
}

int
cgc_units_from_decimal(const char *text, unsigned decimals, char *out,
    size_t outsz, size_t *needed)
{
	char buf[CGC_UNITS_MAX_DIGITS * 2 + 2];
	const char *p, *dot;
	size_t ilen, flen, len = 0, i;

	if (text == NULL || decimals >= CGC_UNITS_MAX_DIGITS)
		return -EINVAL;
	for (p = text; *p >= '0' && *p <= '9'; p++)
		;
	ilen = (size_t)(p - text);
	if (ilen == 0 || (text[0] == '0' && ilen > 1))
		return -EINVAL;
	flen = 0;
	dot = NULL;
	if (*p == '.') {
		dot = p + 1;
		for (p = dot; *p >= '0' && *p <= '9'; p++)
			;
		flen = (size_t)(p - dot);
		if (flen == 0)
			return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	/* Fraction digits past `decimals` must all be zero. */
	for (i = decimals; i < flen; i++)
		if (dot[i] != '0')
			return -ERANGE;
	if (ilen > CGC_UNITS_MAX_DIGITS)
		return -ERANGE;
	for (i = 0; i < ilen; i++)
		if (len > 0 || text[i] != '0')
			buf[len++] = text[i];
	for (i = 0; i < decimals; i++) {
		char c = i < flen ? dot[i] : '0';

		if (len > 0 || c != '0')
			buf[len++] = c;
	}
	if (len == 0)
		return put("0", 1, out, outsz, needed);
	buf[len] = '\0';
	if (len > CGC_UNITS_MAX_DIGITS || (len == CGC_UNITS_MAX_DIGITS &&
	    strcmp(buf, units_max) > 0))
		return -ERANGE;
	return put(buf, len, out, outsz, needed);
}
