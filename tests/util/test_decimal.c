/*
 * Exact decimals: parsing, formatting, rounding, conversion and uint256.
 * Expected values are worked out in the comments, not taken from the code.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "util/decimal.h"

#define AMT_P CG_DEC_AMOUNT_PRECISION
#define AMT_S CG_DEC_AMOUNT_SCALE

static const char *
fmt(cg_i128 v, unsigned scale, int flags)
{
	static char buf[CG_DEC_STRLEN];

	cr_assert(cg_dec_format(v, scale, flags, buf, sizeof(buf)) > 0);
	return buf;
}

/* Parses s at scale/precision/round and expects `want` formatted at scale. */
static void
parse_ok(const char *s, unsigned scale, unsigned prec, enum cg_round r,
    const char *want)
{
	cg_i128 v = 12345;
	int err = cg_dec_parse(s, strlen(s), scale, prec, r, &v);

	cr_assert_eq(err, 0, "parse \"%s\" scale %u: %d", s, scale, err);
	cr_assert_str_eq(fmt(v, scale, 0), want, "parse \"%s\"", s);
}

static void
parse_err(const char *s, unsigned scale, unsigned prec, enum cg_round r,
    int want)
{
	cg_i128 v = 777;
	int err = cg_dec_parse(s, strlen(s), scale, prec, r, &v);

	cr_assert_eq(err, want, "parse \"%s\": got %d want %d", s, err, want);
	cr_assert(v == 777, "parse \"%s\" wrote its output on error", s);
}

static void
json_ok(const char *s, unsigned scale, enum cg_round r, const char *want)
{
	cg_i128 v = 0;
	int err = cg_dec_parse_json(s, strlen(s), scale, AMT_P, r, &v);

	cr_assert_eq(err, 0, "json \"%s\": %d", s, err);
	cr_assert_str_eq(fmt(v, scale, 0), want, "json \"%s\"", s);
}

static void
json_err(const char *s, unsigned scale, enum cg_round r, int want)
{
	cg_i128 v = 0;
	int err = cg_dec_parse_json(s, strlen(s), scale, AMT_P, r, &v);

	cr_assert_eq(err, want, "json \"%s\": got %d want %d", s, err, want);
}

Test(decimal, column_limits)
{
	/* DECIMAL(36,18): 18 integer digits, 18 fractional digits */
	parse_ok("999999999999999999.999999999999999999", AMT_S, AMT_P,
	    CG_ROUND_EXACT, "999999999999999999.999999999999999999");
	parse_ok("-999999999999999999.999999999999999999", AMT_S, AMT_P,
	    CG_ROUND_EXACT, "-999999999999999999.999999999999999999");
	/* one more integer digit does not fit */
	parse_err("9999999999999999999.999999999999999999", AMT_S, AMT_P,
	    CG_ROUND_EXACT, -ERANGE);
	parse_err("1000000000000000000", AMT_S, AMT_P, CG_ROUND_EXACT, -ERANGE);
	/* one more fractional digit is refused unless a rounding is asked */
	parse_err("0.0000000000000000001", AMT_S, AMT_P, CG_ROUND_EXACT, -EDOM);
	parse_ok("0.0000000000000000001", AMT_S, AMT_P, CG_ROUND_CEIL,
	    "0.000000000000000001");
	parse_ok("0.0000000000000000001", AMT_S, AMT_P, CG_ROUND_FLOOR,
	    "0.000000000000000000");
	/* trailing zeros beyond the scale drop nothing: still exact */
	parse_ok("1.5000000000000000000000", AMT_S, AMT_P, CG_ROUND_EXACT,
	    "1.500000000000000000");
	/* strict input checking: a zero beyond the scale is refused too */
	parse_err("1.5000000", 6, AMT_P, CG_ROUND_STRICT, -EDOM);
	parse_ok("1.500000", 6, AMT_P, CG_ROUND_STRICT, "1.500000");
	parse_ok("1.5", 6, AMT_P, CG_ROUND_STRICT, "1.500000");
	parse_err("1.0000001", 6, AMT_P, CG_ROUND_STRICT, -EDOM);
	/* rounding up the largest value overflows the column, never clamps */
	parse_err("999999999999999999.9999999999999999991", AMT_S, AMT_P,
	    CG_ROUND_CEIL, -ERANGE);
	/* 38 digits is the most a cg_i128 holds at precision 38 */
	parse_ok("99999999999999999999999999999999999999", 0, 38,
	    CG_ROUND_EXACT, "99999999999999999999999999999999999999");
	parse_err("100000000000000000000000000000000000000", 0, 38,
	    CG_ROUND_EXACT, -ERANGE);
	parse_err("340282366920938463463374607431768211456", 0, 38,
	    CG_ROUND_EXACT, -ERANGE);
}

Test(decimal, syntax)
{
	static const char *bad[] = {
		"", "-", "+1", "01", "-01", "00", "1.", ".5", "-.5", "1e5",
		" 1", "1 ", "1,5", "0x10", "--1", "1.2.3", "NaN", "Infinity",
		"1_000", "1.-5", "\t1", "1\n", "one", "1.5x", "-", "0.0.",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_err(bad[i], 8, 36, CG_ROUND_HALF_EVEN, -EINVAL);
	/* embedded NUL: length says 3 bytes, text "1\0" + "5" */
	cg_i128 v;
	cr_assert_eq(cg_dec_parse("1\0005", 3, 2, 36, CG_ROUND_EXACT, &v),
	    -EINVAL);
	parse_ok("-0", 2, 36, CG_ROUND_EXACT, "0.00");
	parse_ok("-0.000", 2, 36, CG_ROUND_EXACT, "0.00");
	parse_ok("0", 0, 1, CG_ROUND_EXACT, "0");
}

Test(decimal, bad_arguments)
{
	cg_i128 v;

	cr_assert_eq(cg_dec_parse("1", 1, 2, 0, CG_ROUND_EXACT, &v), -EINVAL);
	cr_assert_eq(cg_dec_parse("1", 1, 2, 39, CG_ROUND_EXACT, &v), -EINVAL);
	cr_assert_eq(cg_dec_parse("1", 1, 39, 38, CG_ROUND_EXACT, &v),
	    -EINVAL);
	/* an unknown rounding mode only matters when something is dropped */
	cr_assert_eq(cg_dec_parse("1.25", 4, 1, 36, (enum cg_round)99, &v),
	    -EINVAL);
}

Test(decimal, half_even_prices)
{
	/* DECIMAL(18,8): ties go to the even last digit */
	unsigned s = CG_DEC_PRICE_SCALE, p = CG_DEC_PRICE_PRECISION;

	parse_ok("0.123456785", s, p, CG_ROUND_HALF_EVEN, "0.12345678");
	parse_ok("0.123456775", s, p, CG_ROUND_HALF_EVEN, "0.12345678");
	parse_ok("0.1234567850000001", s, p, CG_ROUND_HALF_EVEN,
	    "0.12345679");
	parse_ok("0.1234567849999999", s, p, CG_ROUND_HALF_EVEN,
	    "0.12345678");
	parse_ok("-0.123456785", s, p, CG_ROUND_HALF_EVEN, "-0.12345678");
	parse_ok("-0.123456775", s, p, CG_ROUND_HALF_EVEN, "-0.12345678");
	parse_ok("0.000000005", s, p, CG_ROUND_HALF_EVEN, "0.00000000");
	parse_ok("0.000000015", s, p, CG_ROUND_HALF_EVEN, "0.00000002");
	parse_ok("67187.33", s, p, CG_ROUND_HALF_EVEN, "67187.33000000");
	/* 10 integer digits + 8 = 18: the largest stored price */
	parse_ok("9999999999.99999999", s, p, CG_ROUND_HALF_EVEN,
	    "9999999999.99999999");
	/* rounds up into an 11th integer digit: refused */
	parse_err("9999999999.999999995", s, p, CG_ROUND_HALF_EVEN, -ERANGE);
	/* ceil/floor of negatives: toward +inf / -inf */
	parse_ok("-1.000000001", s, p, CG_ROUND_CEIL, "-1.00000000");
	parse_ok("-1.000000001", s, p, CG_ROUND_FLOOR, "-1.00000001");
	parse_ok("1.000000001", s, p, CG_ROUND_CEIL, "1.00000001");
	parse_ok("1.000000001", s, p, CG_ROUND_FLOOR, "1.00000000");
}

Test(decimal, json_numbers)
{
	/* Bitcoin Core prints 8 decimals; exponents are taken exactly */
	json_ok("0.00012345", 8, CG_ROUND_EXACT, "0.00012345");
	json_ok("1e-8", 8, CG_ROUND_EXACT, "0.00000001");
	json_ok("1E-8", 8, CG_ROUND_EXACT, "0.00000001");
	json_ok("12345e-8", 8, CG_ROUND_EXACT, "0.00012345");
	json_ok("1.5E+3", 2, CG_ROUND_EXACT, "1500.00");
	json_ok("1.5e3", 0, CG_ROUND_EXACT, "1500");
	json_ok("21000000", 8, CG_ROUND_EXACT, "21000000.00000000");
	json_ok("-0.0", 8, CG_ROUND_EXACT, "0.00000000");
	json_ok("0e999999999999999999999", 8, CG_ROUND_EXACT, "0.00000000");
	json_ok("0.000000000000000000000000000000000000000000000001e48", 0,
	    CG_ROUND_EXACT, "1");
	json_ok("67187.123456789012345678", 18, CG_ROUND_EXACT,
	    "67187.123456789012345678");
	json_err("1e-9", 8, CG_ROUND_EXACT, -EDOM);
	json_ok("1e-9", 8, CG_ROUND_CEIL, "0.00000001");
	json_ok("5e-9", 8, CG_ROUND_HALF_EVEN, "0.00000000");
	json_ok("15e-9", 8, CG_ROUND_HALF_EVEN, "0.00000002");
	json_ok("1e-999999999999999999999", 8, CG_ROUND_CEIL, "0.00000001");
	json_err("1e-999999999999999999999", 8, CG_ROUND_EXACT, -EDOM);
	json_err("1e36", 0, CG_ROUND_EXACT, -ERANGE);
	json_ok("1e35", 0, CG_ROUND_EXACT,
	    "100000000000000000000000000000000000");
	json_err("1e400000000000000000000", 8, CG_ROUND_EXACT, -ERANGE);
	json_err("1e", 8, CG_ROUND_EXACT, -EINVAL);
	json_err("1e+", 8, CG_ROUND_EXACT, -EINVAL);
	json_err("1.e5", 8, CG_ROUND_EXACT, -EINVAL);
	json_err("e5", 8, CG_ROUND_EXACT, -EINVAL);
	json_err("01e5", 8, CG_ROUND_EXACT, -EINVAL);
}

Test(decimal, format)
{
	char buf[CG_DEC_STRLEN];

	cr_assert_str_eq(fmt(1500000, 6, CG_DEC_TRIM), "1.5");
	cr_assert_str_eq(fmt(1000000, 6, CG_DEC_TRIM), "1");
	cr_assert_str_eq(fmt(0, 6, CG_DEC_TRIM), "0");
	cr_assert_str_eq(fmt(0, 2, 0), "0.00");
	cr_assert_str_eq(fmt(-5, 3, 0), "-0.005");
	cr_assert_str_eq(fmt(-5, 3, CG_DEC_TRIM), "-0.005");
	cr_assert_str_eq(fmt(-50, 3, CG_DEC_TRIM), "-0.05");
	cr_assert_str_eq(fmt(123, 0, 0), "123");
	/* the extremes of cg_i128 at the largest scale */
	cg_i128 max = (cg_i128)(~(cg_u128)0 >> 1), min = -max - 1;
	cr_assert_str_eq(fmt(max, 0, 0),
	    "170141183460469231731687303715884105727");
	cr_assert_str_eq(fmt(min, 0, 0),
	    "-170141183460469231731687303715884105728");
	cr_assert_str_eq(fmt(min, 38, 0),
	    "-1.70141183460469231731687303715884105728");
	cr_assert_str_eq(fmt(1, 38, 0),
	    "0.00000000000000000000000000000000000001");
	/* buffer sizes: exactly enough, one short */
	cr_assert_eq(cg_dec_format(-5, 3, 0, buf, 7), 6);
	cr_assert_str_eq(buf, "-0.005");
	cr_assert_eq(cg_dec_format(-5, 3, 0, buf, 6), -ENOSPC);
	cr_assert_eq(cg_dec_format(1, 39, 0, buf, sizeof(buf)), -EINVAL);
}

Test(decimal, amounts)
{
	cg_i128 u;
	char buf[CG_DEC_STRLEN];

	/* 1.5 ETH = 1500000000000000000 wei */
	cr_assert_eq(cg_amount_parse("1.5", 3, 18, &u), 0);
	cr_assert_str_eq(fmt(u, 0, 0), "1500000000000000000");
	/* USDT has 6 decimals: a 7th is refused, not rounded */
	cr_assert_eq(cg_amount_parse("0.0000001", 9, 6, &u), -EDOM);
	cr_assert_eq(cg_amount_parse("12.345678", 9, 6, &u), 0);
	cr_assert_str_eq(fmt(u, 0, 0), "12345678");
	/* the integer part is limited by the column at any decimals */
	cr_assert_eq(cg_amount_parse("999999999999999999", 18, 0, &u), 0);
	cr_assert_eq(cg_amount_parse("1000000000000000000", 19, 0, &u),
	    -ERANGE);
	cr_assert_eq(cg_amount_parse("1", 1, 19, &u), -EINVAL);
	/* base units from a plugin: digits only, limited by the column */
	cr_assert_eq(cg_amount_parse_units("1500000000000000000", 19, 18, &u),
	    0);
	cr_assert_str_eq(fmt(u, 18, CG_DEC_TRIM), "1.5");
	cr_assert_eq(cg_amount_parse_units("999999999999999999999999", 24, 6,
	    &u), 0);
	cr_assert_eq(cg_amount_parse_units("1000000000000000000000000", 25, 6,
	    &u), -ERANGE);
	cr_assert_eq(cg_amount_parse_units("-1", 2, 6, &u), -EINVAL);
	cr_assert_eq(cg_amount_parse_units("1.0", 3, 6, &u), -EINVAL);
	cr_assert_eq(cg_amount_parse_units("007", 3, 6, &u), -EINVAL);
	cr_assert_eq(cg_amount_parse_units("1", 1, 19, &u), -EINVAL);
	cr_assert_eq(cg_amount_format(12345, 8, buf, sizeof(buf)), 10);
	cr_assert_str_eq(buf, "0.00012345");
	cr_assert_eq(cg_amount_format(1, 19, buf, sizeof(buf)), -EINVAL);
}

Test(decimal, rescale_and_fits)
{
	cg_i128 v;

	/* 1.2345 → 2 decimals, half-even: 1.23 (0.45 of a cent < half) */
	cr_assert_eq(cg_dec_rescale(12345, 4, 2, CG_ROUND_HALF_EVEN, &v), 0);
	cr_assert(v == 123);
	/* 1.2350 → 1.24 (tie, 3 odd → up); 1.2250 → 1.22 (tie, 2 even) */
	cr_assert_eq(cg_dec_rescale(12350, 4, 2, CG_ROUND_HALF_EVEN, &v), 0);
	cr_assert(v == 124);
	cr_assert_eq(cg_dec_rescale(12250, 4, 2, CG_ROUND_HALF_EVEN, &v), 0);
	cr_assert(v == 122);
	cr_assert_eq(cg_dec_rescale(-12350, 4, 2, CG_ROUND_HALF_EVEN, &v), 0);
	cr_assert(v == -124);
	cr_assert_eq(cg_dec_rescale(12345, 4, 2, CG_ROUND_EXACT, &v), -EDOM);
	cr_assert_eq(cg_dec_rescale(12300, 4, 2, CG_ROUND_EXACT, &v), 0);
	cr_assert(v == 123);
	cr_assert_eq(cg_dec_rescale(-1, 4, 0, CG_ROUND_FLOOR, &v), 0);
	cr_assert(v == -1);
	cr_assert_eq(cg_dec_rescale(-1, 4, 0, CG_ROUND_CEIL, &v), 0);
	cr_assert(v == 0);
	cr_assert_eq(cg_dec_rescale(5, 2, 20, CG_ROUND_EXACT, &v), 0);
	/* 0.05 at scale 20 is 5 × 10^18 units */
	cr_assert_str_eq(fmt(v, 0, 0), "5000000000000000000");
	cr_assert_eq(cg_dec_rescale(2, 0, 38, CG_ROUND_EXACT, &v), -ERANGE);
	cr_assert_eq(cg_dec_rescale(0, 0, 38, CG_ROUND_EXACT, &v), 0);

	/* DECIMAL(36,18) holds 18 integer digits */
	cr_assert(cg_dec_fits(999999999999999999, 0, 36, 18));
	cr_assert(!cg_dec_fits(1000000000000000000, 0, 36, 18));
	/* at scale 20 the value must also be exact at 18 */
	cr_assert(cg_dec_fits(100, 20, 36, 18));
	cr_assert(!cg_dec_fits(101, 20, 36, 18));
	/* DECIMAL(5,4) tax rates: 0.2000 fits, 10.0000 does not */
	cr_assert(cg_dec_fits(2000, 4, 5, 4));
	cr_assert(!cg_dec_fits(100000, 4, 5, 4));
}

Test(decimal, compare_and_checked_arithmetic)
{
	cg_i128 max = (cg_i128)(~(cg_u128)0 >> 1), min = -max - 1, v;

	cr_assert_eq(cg_dec_cmp(10, 1, 1, 0), 0);		/* 1.0 = 1 */
	cr_assert_eq(cg_dec_cmp(15, 1, 2, 0), -1);		/* 1.5 < 2 */
	cr_assert_eq(cg_dec_cmp(-15, 1, -2, 0), 1);
	/* max × 10^38 overflows: the comparison still answers */
	cr_assert_eq(cg_dec_cmp(max, 0, 1, 38), 1);
	cr_assert_eq(cg_dec_cmp(min, 0, 1, 38), -1);
	cr_assert_eq(cg_dec_cmp(1, 38, max, 0), -1);
	cr_assert_eq(cg_dec_cmp(1, 38, min, 0), 1);

	cr_assert_eq(cg_i128_add(max, 1, &v), -ERANGE);
	cr_assert_eq(cg_i128_sub(min, 1, &v), -ERANGE);
	cr_assert_eq(cg_i128_mul(max, 2, &v), -ERANGE);
	cr_assert_eq(cg_i128_mul(min, -1, &v), -ERANGE);
	cr_assert_eq(cg_i128_add(max, -1, &v), 0);
	cr_assert(v == max - 1);
	cr_assert_eq(cg_i128_sub(0, max, &v), 0);
	cr_assert(v == min + 1);
}

Test(decimal, fiat_to_crypto_rounds_up)
{
	cg_i128 pay;

	/*
	 * 100.00 USD at 67187.33 USD/BTC, 8 decimals:
	 * 10000 × 10^(2+8-2) / 6718733 = 10^12 / 6718733
	 * = 148837 remainder 3936479 (6718733 × 148837 = 999996063521)
	 * → ceil 148838 sat = 0.00148838 BTC; floor 148837.
	 */
	cr_assert_eq(cg_dec_convert(10000, 2, 6718733, 2, 8, CG_ROUND_CEIL,
	    &pay), 0);
	cr_assert(pay == 148838);
	cr_assert_eq(cg_dec_convert(10000, 2, 6718733, 2, 8, CG_ROUND_FLOOR,
	    &pay), 0);
	cr_assert(pay == 148837);
	/* 2 × 3936479 = 7872958 > 6718733: above half → 148838 */
	cr_assert_eq(cg_dec_convert(10000, 2, 6718733, 2, 8,
	    CG_ROUND_HALF_EVEN, &pay), 0);
	cr_assert(pay == 148838);

	/*
	 * 25 EUR at 3000 EUR/ETH, 18 decimals: 25 × 10^18 / 3000
	 * = 8333333333333333 remainder 1000 → 8333333333333334 wei.
	 */
	cr_assert_eq(cg_dec_convert(25, 0, 3000, 0, 18, CG_ROUND_CEIL,
	    &pay), 0);
	cr_assert_str_eq(fmt(pay, 0, 0), "8333333333333334");

	/* 30 USD at 3 USD: exactly 10, nothing to round */
	cr_assert_eq(cg_dec_convert(30, 0, 3, 0, 18, CG_ROUND_CEIL, &pay), 0);
	cr_assert_str_eq(fmt(pay, 18, 0), "10.000000000000000000");

	/*
	 * 100.00 USD at 1.0001 USD/USDT, 6 decimals:
	 * 10000 × 10^(4+6-2) / 10001 = 10^12 / 10001 = 99990000 rem 10000
	 * → 99990001 = 99.990001 USDT.
	 */
	cr_assert_eq(cg_dec_convert(10000, 2, 10001, 4, 6, CG_ROUND_CEIL,
	    &pay), 0);
	cr_assert(pay == 99990001);

	/* fiat at scale 18 (a DECIMAL(36,18) column) with a scale-18 price:
	 * 19.99 USD at 0.1 USD/TRX, 6 decimals → 199.9 TRX = 199900000 */
	cr_assert_eq(cg_dec_convert((cg_i128)1999 * 10000000000000000,
	    18, 100000000000000000, 18, 6, CG_ROUND_CEIL, &pay), 0);
	cr_assert(pay == 199900000);

	/* too small a price makes an amount beyond the column: refused */
	cr_assert_eq(cg_dec_convert(100000000000000000, 0, 1, 18, 18,
	    CG_ROUND_CEIL, &pay), -ERANGE);
	cr_assert_eq(cg_dec_convert(1, 0, 0, 2, 8, CG_ROUND_CEIL, &pay),
	    -EINVAL);
	cr_assert_eq(cg_dec_convert(-1, 0, 1, 2, 8, CG_ROUND_CEIL, &pay),
	    -EINVAL);
	cr_assert_eq(cg_dec_convert(1, 0, 1, 2, 19, CG_ROUND_CEIL, &pay),
	    -EINVAL);
	cr_assert_eq(cg_dec_convert(1, 0, 3, 0, 8, CG_ROUND_EXACT, &pay),
	    -EDOM);
}

Test(decimal, muldiv)
{
	cg_i128 v, max = (cg_i128)(~(cg_u128)0 >> 1);

	/* -7 / 2 = -3.5: floor -4, ceil -3, half-even -4 */
	cr_assert_eq(cg_i128_muldiv(-7, 1, 2, CG_ROUND_FLOOR, &v), 0);
	cr_assert(v == -4);
	cr_assert_eq(cg_i128_muldiv(-7, 1, 2, CG_ROUND_CEIL, &v), 0);
	cr_assert(v == -3);
	cr_assert_eq(cg_i128_muldiv(7, -1, 2, CG_ROUND_HALF_EVEN, &v), 0);
	cr_assert(v == -4);
	cr_assert_eq(cg_i128_muldiv(5, 1, 2, CG_ROUND_HALF_EVEN, &v), 0);
	cr_assert(v == 2);
	cr_assert_eq(cg_i128_muldiv(-1, 1, 3, CG_ROUND_FLOOR, &v), 0);
	cr_assert(v == -1);
	/* max × max / max needs 254 bits on the way */
	cr_assert_eq(cg_i128_muldiv(max, max, max, CG_ROUND_EXACT, &v), 0);
	cr_assert(v == max);
	cr_assert_eq(cg_i128_muldiv(max, 2, 1, CG_ROUND_EXACT, &v), -ERANGE);
	cr_assert_eq(cg_i128_muldiv(-max - 1, 1, 1, CG_ROUND_EXACT, &v), 0);
	cr_assert(v == -max - 1);
	cr_assert_eq(cg_i128_muldiv(1, 1, 0, CG_ROUND_EXACT, &v), -EDOM);
}

static const char u256max[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

Test(u256, hex_and_decimal)
{
	struct cg_u256 a, b;
	char buf[CG_U256_DECLEN];
	static const char ffs[] = "0x"
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

	cr_assert_eq(cg_u256_from_hex(ffs, strlen(ffs), &a), 0);
	cr_assert_eq(cg_u256_to_dec(&a, buf, sizeof(buf)), 78);
	cr_assert_str_eq(buf, u256max);
	cr_assert_eq(cg_u256_from_dec(u256max, strlen(u256max), &b), 0);
	cr_assert_eq(cg_u256_cmp(&a, &b), 0);
	/* one more than the maximum */
	cr_assert_eq(cg_u256_from_dec("115792089237316195423570985008687907853"
	    "269984665640564039457584007913129639936", 78, &b), -ERANGE);
	cr_assert_eq(cg_u256_from_dec("999999999999999999999999999999999999999"
	    "999999999999999999999999999999999999999", 78, &b), -ERANGE);
	cr_assert_eq(cg_u256_to_dec(&a, buf, 78), -ENOSPC);

	/* 1 ETH in wei as an eth_getBalance quantity */
	cr_assert_eq(cg_u256_from_hex("0xde0b6b3a7640000", 17, &a), 0);
	cr_assert_eq(cg_u256_to_dec(&a, buf, sizeof(buf)), 19);
	cr_assert_str_eq(buf, "1000000000000000000");
	cr_assert_eq(cg_u256_from_hex("0x0", 3, &a), 0);
	cr_assert(cg_u256_is_zero(&a));
	cr_assert_eq(cg_u256_to_dec(&a, buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "0");
	/* a 64-digit log data word with leading zeros */
	cr_assert_eq(cg_u256_from_hex("00000000000000000000000000000000000000"
	    "000000000000000000000f4240", 64, &a), 0);
	cr_assert_eq(cg_u256_to_dec(&a, buf, sizeof(buf)), 7);
	cr_assert_str_eq(buf, "1000000");

	cr_assert_eq(cg_u256_from_hex("0x", 2, &a), -EINVAL);
	cr_assert_eq(cg_u256_from_hex("", 0, &a), -EINVAL);
	cr_assert_eq(cg_u256_from_hex("0xg", 3, &a), -EINVAL);
	cr_assert_eq(cg_u256_from_hex("-0x1", 4, &a), -EINVAL);
	cr_assert_eq(cg_u256_from_hex(ffs, strlen(ffs) - 1, &a), 0);
	{
		char big[70] = "0x1";

		memcpy(big + 3, ffs + 2, 64);
		cr_assert_eq(cg_u256_from_hex(big, 67, &a), -EINVAL);
	}
	cr_assert_eq(cg_u256_from_dec("01", 2, &a), -EINVAL);
	cr_assert_eq(cg_u256_from_dec("-1", 2, &a), -EINVAL);
	cr_assert_eq(cg_u256_from_dec("", 0, &a), -EINVAL);
	cr_assert_eq(cg_u256_from_dec("0", 1, &a), 0);
}

Test(u256, arithmetic)
{
	struct cg_u256 a, b, q, r, one, t;
	cg_u128 m = ~(cg_u128)0;
	char buf[CG_U256_DECLEN];

	cr_assert_eq(cg_u256_from_dec(u256max, strlen(u256max), &a), 0);
	/* (2^256-1) / 10 = 1157…3993 remainder 5 */
	cg_u256_from_u128(&b, 10);
	cr_assert_eq(cg_u256_divmod(&q, &r, &a, &b), 0);
	cg_u256_to_dec(&q, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1157920892373161954235709850086879078532699846"
	    "6564056403945758400791312963993");
	cg_u256_to_dec(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "5");
	/* divisor above 2^255: the quotient is 1 */
	cg_u256_from_u128(&one, 1);
	b = a;
	b.w[0] -= 1;
	cr_assert_eq(cg_u256_divmod(&q, &r, &a, &b), 0);
	cr_assert_eq(cg_u256_cmp(&q, &one), 0);
	cr_assert_eq(cg_u256_cmp(&r, &one), 0);
	cr_assert_eq(cg_u256_add(&t, &a, &one), -ERANGE);
	cr_assert_eq(cg_u256_divmod(&q, &r, &a, &(struct cg_u256){ { 0 } }),
	    -EDOM);
	/* (2^128-1)^2 = 2^256 - 2^129 + 1 fits; 2^128 × 2^128 does not */
	cg_u256_from_u128(&b, m);
	cr_assert_eq(cg_u256_mul(&t, &b, &b), 0);
	cr_assert(t.w[0] == 1 && t.w[1] == 0 && t.w[2] == ~(uint64_t)1 &&
	    t.w[3] == ~(uint64_t)0);
	cr_assert_eq(cg_u256_add(&b, &b, &one), 0);
	cr_assert_eq(cg_u256_mul(&t, &b, &b), -ERANGE);
	/* q × d + r = a for an odd divisor */
	cg_u256_from_u128(&b, (cg_u128)0xfffffffbULL << 70 | 12345);
	cr_assert_eq(cg_u256_divmod(&q, &r, &a, &b), 0);
	cr_assert_eq(cg_u256_mul(&t, &q, &b), 0);
	cr_assert_eq(cg_u256_add(&t, &t, &r), 0);
	cr_assert_eq(cg_u256_cmp(&t, &a), 0);
	cr_assert(cg_u256_cmp(&r, &b) < 0);
}

Test(u256, fits_amount_column)
{
	struct cg_u256 a;
	cg_i128 u;
	static const char d36[] = "999999999999999999999999999999999999";

	/* 18 decimals: units < 10^36 fit DECIMAL(36,18) */
	cr_assert_eq(cg_u256_from_dec(d36, 36, &a), 0);
	cr_assert_eq(cg_u256_to_amount(&a, 18, &u), 0);
	cr_assert_str_eq(fmt(u, 18, 0),
	    "999999999999999999.999999999999999999");
	cr_assert_eq(cg_u256_from_dec("1000000000000000000000000000000000000",
	    37, &a), 0);
	cr_assert_eq(cg_u256_to_amount(&a, 18, &u), -ERANGE);
	/* 6 decimals: 10^24 base units is 10^18 tokens: too large */
	cr_assert_eq(cg_u256_from_dec("1000000000000000000000000", 25, &a), 0);
	cr_assert_eq(cg_u256_to_amount(&a, 6, NULL), -ERANGE);
	cr_assert_eq(cg_u256_from_dec("999999999999999999999999", 24, &a), 0);
	cr_assert_eq(cg_u256_to_amount(&a, 6, NULL), 0);
	/* the uint256 maximum is rejected, never clamped */
	cr_assert_eq(cg_u256_from_dec(u256max, strlen(u256max), &a), 0);
	u = 42;
	cr_assert_eq(cg_u256_to_amount(&a, 18, &u), -ERANGE);
	cr_assert(u == 42);
	cr_assert_eq(cg_u256_to_amount(&a, 19, &u), -EINVAL);
}
