/*
 * Exact money: fixed-point decimals and 256-bit unsigned integers.
 *
 * An amount is an integer count of units at a scale: value = units / 10^scale.
 * Base units of a currency with d decimals are simply units at scale d
 * (1.5 ETH = 1500000000000000000 at scale 18). SQL columns are DECIMAL(P,S):
 * amounts DECIMAL(36,18), stored prices DECIMAL(18,8). Nothing here uses
 * floating point, nothing clamps: a value that does not fit is an error.
 *
 * Errors are negative errno values:
 *   -EINVAL  text is not a number in the accepted grammar, or a bad argument
 *   -ERANGE  the value does not fit (the 128-bit type, the precision asked)
 *   -EDOM    CG_ROUND_EXACT was asked and the value has more fractional
 *            digits than the scale keeps (CG_ROUND_STRICT: more digits
 *            written); or a division by zero
 *   -ENOSPC  the output buffer is too small
 * On error the output is left untouched.
 * Every function is pure (no shared state): safe on any thread.
 */
#ifndef CG_UTIL_DECIMAL_H
#define CG_UTIL_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__extension__ typedef __int128 cg_i128;
__extension__ typedef unsigned __int128 cg_u128;

/* Largest scale and precision a cg_i128 holds (10^38 < 2^127). */
#define CG_DEC_MAX_PRECISION 38
/* Token decimals the gateway accepts (DECIMAL(36,18) keeps 18). */
#define CG_DEC_MAX_DECIMALS 18
/* Amount and balance columns: DECIMAL(36,18). */
#define CG_DEC_AMOUNT_PRECISION 36
#define CG_DEC_AMOUNT_SCALE 18
/* Stored price columns: DECIMAL(18,8). */
#define CG_DEC_PRICE_PRECISION 18
#define CG_DEC_PRICE_SCALE 8
/* Enough for any cg_i128 at any scale: sign, 39 digits, "0.", NUL. */
#define CG_DEC_STRLEN 48

enum cg_round {
	CG_ROUND_EXACT = 0,	/* refuse to drop a non-zero digit (-EDOM) */
	CG_ROUND_CEIL,		/* toward +infinity: what a customer pays */
	CG_ROUND_FLOOR,		/* toward -infinity */
	CG_ROUND_HALF_EVEN,	/* to nearest, ties to even: stored prices */
	CG_ROUND_STRICT,	/* parsing only: refuse any digit beyond the
				   scale, even a zero (-EDOM): input checks
				   where "1.50" is not a 1-decimal amount */
};

/*
 * Parses decimal text "[-](0|[1-9][0-9]*)[.[0-9]+]" (no exponent, no '+', no
 * whitespace, no leading zeros; "-0" is 0) into units at `scale`, rounding
 * dropped digits by `round`. The result must satisfy |units| < 10^precision
 * (precision 1..38; DECIMAL(36,18) → scale 18, precision 36).
 */
int cg_dec_parse(const char *s, size_t len, unsigned scale, unsigned precision,
    enum cg_round round, cg_i128 *out);

/*
 * Same as cg_dec_parse for a JSON number token: also accepts an exponent
 * ("1e-8", "1.5E+3"), applied exactly. For money read from foreign JSON
 * (Bitcoin Core amounts, price feeds).
 */
int cg_dec_parse_json(const char *s, size_t len, unsigned scale,
    unsigned precision, enum cg_round round, cg_i128 *out);

/* Format flags for cg_dec_format. */
#define CG_DEC_TRIM 0x1		/* drop trailing fractional zeros (and '.') */

/*
 * Writes units at `scale` (0..38) as canonical decimal text: "-" only for
 * negative values, "0." before a fraction, exactly `scale` fractional digits
 * unless CG_DEC_TRIM. NUL-terminated; returns the length or -ENOSPC
 * (CG_DEC_STRLEN always suffices).
 */
int cg_dec_format(cg_i128 units, unsigned scale, int flags, char *buf,
    size_t size);

/*
 * units × 10^(to - from) (scales 0..38), rounding by `round` when to < from:
 * -ERANGE on overflow, -EDOM when CG_ROUND_EXACT would drop a digit.
 */
int cg_dec_rescale(cg_i128 units, unsigned from, unsigned to,
    enum cg_round round, cg_i128 *out);

/* True when |units| at `scale` fits DECIMAL(precision, col_scale) exactly. */
bool cg_dec_fits(cg_i128 units, unsigned scale, unsigned precision,
    unsigned col_scale);

/* Compares a at scale as with b at scale bs exactly: <0, 0, >0. */
int cg_dec_cmp(cg_i128 a, unsigned as, cg_i128 b, unsigned bs);

/* Checked arithmetic: 0, or -ERANGE on overflow (*out untouched). */
int cg_i128_add(cg_i128 a, cg_i128 b, cg_i128 *out);
int cg_i128_sub(cg_i128 a, cg_i128 b, cg_i128 *out);
int cg_i128_mul(cg_i128 a, cg_i128 b, cg_i128 *out);

/*
 * Display amount text (e.g. "0.00012345", from the API or a DECIMAL column)
 * to base units of a currency with `decimals` (0..18, else -EINVAL). Exact:
 * more fractional digits than `decimals` is -EDOM, written zeros beyond
 * them are accepted ("1.500000000000000000" from a DECIMAL(36,18) column is
 * 1.5 USDT); the value must fit the amount column DECIMAL(36,18) (-ERANGE).
 * Input checks that refuse "1.5000000" for USDT use cg_dec_parse with
 * CG_ROUND_STRICT and precision 18 + decimals.
 */
int cg_amount_parse(const char *s, size_t len, unsigned decimals,
    cg_i128 *units);

/*
 * Base units as the plugin ABI writes them ("1500000000000000000": digits
 * only, no sign, no leading zeros, at most 78 digits) for a currency with
 * `decimals` (0..18). -EINVAL for bad text, -ERANGE when the amount does
 * not fit the amount column (an on-chain transfer to record as rejected).
 */
int cg_amount_parse_units(const char *s, size_t len, unsigned decimals,
    cg_i128 *units);

/* Base units to display text with exactly `decimals` fractional digits. */
int cg_amount_format(cg_i128 units, unsigned decimals, char *buf, size_t size);

/*
 * Fiat → crypto: pay = fiat / price, in base units of the pay currency,
 * computed exactly with a 256-bit intermediate:
 *   pay_units = fiat × 10^(price_scale + pay_decimals - fiat_scale) / price
 * rounded by `round` (CG_ROUND_CEIL: the customer never pays less). fiat ≥ 0
 * and price > 0 (else -EINVAL); pay_decimals 0..18; the result must fit the
 * amount column at pay_decimals (-ERANGE).
 */
int cg_dec_convert(cg_i128 fiat, unsigned fiat_scale, cg_i128 price,
    unsigned price_scale, unsigned pay_decimals, enum cg_round round,
    cg_i128 *pay_units);

/*
 * a × b / c with a 256-bit intermediate, signs allowed, rounded by `round`.
 * -EDOM when c is 0, -ERANGE when the quotient does not fit cg_i128.
 */
int cg_i128_muldiv(cg_i128 a, cg_i128 b, cg_i128 c, enum cg_round round,
    cg_i128 *out);

/* ---- 256-bit unsigned integers (EVM uint256) ---- */

struct cg_u256 {
	uint64_t w[4];		/* little-endian 64-bit limbs */
};

/* Enough for 2^256-1 in decimal (78 digits) plus NUL. */
#define CG_U256_DECLEN 80

void cg_u256_from_u128(struct cg_u256 *r, cg_u128 v);
/* -ERANGE when the value does not fit 128 bits. */
int cg_u256_to_u128(const struct cg_u256 *a, cg_u128 *out);
int cg_u256_cmp(const struct cg_u256 *a, const struct cg_u256 *b);
bool cg_u256_is_zero(const struct cg_u256 *a);
/* r = a + b, r = a × b: -ERANGE on overflow. r may alias a or b. */
int cg_u256_add(struct cg_u256 *r, const struct cg_u256 *a,
    const struct cg_u256 *b);
int cg_u256_mul(struct cg_u256 *r, const struct cg_u256 *a,
    const struct cg_u256 *b);
/*
 * q = a / b, rem = a % b (either may be NULL; both may alias a or b):
 * -EDOM when b is 0.
 */
int cg_u256_divmod(struct cg_u256 *q, struct cg_u256 *rem,
    const struct cg_u256 *a, const struct cg_u256 *b);

/*
 * Hex text, with or without "0x"/"0X", 1..64 hex digits (leading zeros
 * allowed: log data words are 64 digits), either case.
 */
int cg_u256_from_hex(const char *s, size_t len, struct cg_u256 *out);
/* Decimal text: 1..78 digits, no sign, no leading zeros ("0" is fine). */
int cg_u256_from_dec(const char *s, size_t len, struct cg_u256 *out);
/* Decimal text, NUL-terminated; returns length or -ENOSPC. */
int cg_u256_to_dec(const struct cg_u256 *a, char *buf, size_t size);

/*
 * Whether an on-chain amount of base units with `decimals` (0..18) fits the
 * amount column DECIMAL(36,18); when it does and `units` is not NULL, stores
 * it. -ERANGE means the transfer must be recorded as rejected.
 */
int cg_u256_to_amount(const struct cg_u256 *a, unsigned decimals,
    cg_i128 *units);

#endif
