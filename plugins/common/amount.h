/*
 * Exact amounts as decimal strings of base units (satoshi, wei, sun, token
 * units), the form amounts take across the plugin ABI. No floating point:
 * conversions work digit by digit. Up to 256 bits (78 decimal digits).
 *
 * A canonical units string is 1-78 decimal digits, no sign, no leading
 * zero except "0" itself, and at most 2^256-1.
 *
 * Errors: -EINVAL malformed input, -ERANGE well-formed but beyond 2^256-1
 * (or, from a decimal, finer than one base unit), -ENOSPC small buffer
 * (*needed is the size required, NUL included). Thread-safe.
 */
#ifndef CGC_AMOUNT_H
#define CGC_AMOUNT_H

#include <stddef.h>

#define CGC_UNITS_MAX_DIGITS 78
#define CGC_UNITS_STR_MAX (CGC_UNITS_MAX_DIGITS + 1)

/* 1 when s is a canonical units string, else 0. */
int cgc_units_valid(const char *s);
/* Compares two canonical units strings: <0, 0, >0 like strcmp. */
int cgc_units_cmp(const char *a, const char *b);

/*
 * units / 10^decimals as a decimal without trailing zeros (and without a
 * point when whole): ("1", 8) -> "0.00000001", ("100000000", 8) -> "1",
 * ("0", 18) -> "0". decimals < 78.
 */
int cgc_units_to_decimal(const char *units, unsigned decimals, char *out,
    size_t outsz, size_t *needed);

/*
 * A hexadecimal quantity to units: an optional "0x"/"0X" prefix, then 1-64
 * significant hex digits (leading zeros allowed, as in 32-byte log data;
 * any number of them). Ethereum JSON-RPC quantities ("0x1bc16d674ec80000")
 * and ABI uint256 words both fit. More than 256 bits is -ERANGE.
 */
int cgc_units_from_hex(const char *hex, char *out, size_t outsz,
    size_t *needed);

/*
 * A decimal amount in whole coins to units, e.g. Bitcoin Core's JSON
 * amount text "0.00100000" with decimals 8 -> "100000". Accepts JSON's
 * unsigned number syntax without exponent: "0" or [1-9][0-9]*, optionally
 * "." and one or more digits. Fraction digits beyond `decimals` must be
 * zero (else -ERANGE: not a whole number of base units). decimals < 78.
 */
int cgc_units_from_decimal(const char *text, unsigned decimals, char *out,
    size_t outsz, size_t *needed);

#endif
