/*
 * Base-unit amount strings: formatting for URIs, hex quantities (EVM/TRON
 * JSON-RPC and uint256 log words), decimal coin amounts (Bitcoin Core).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/amount.h"

#define MAX256 "115792089237316195423570985008687907853269984665640564039457584007913129639935"

static void
dec(const char *units, unsigned decimals, const char *want)
{
	char out[200];
	size_t need = 0;

	cr_assert_eq(cgc_units_to_decimal(units, decimals, out, sizeof(out), &need), 0,
	    "%s/%u", units, decimals);
	cr_assert_str_eq(out, want, "%s/%u", units, decimals);
	cr_assert_eq(need, strlen(want) + 1);
}

Test(units, to_decimal)
{
	dec("0", 8, "0");
	dec("0", 0, "0");
	dec("1", 8, "0.00000001");
	dec("10", 8, "0.0000001");
	dec("100000000", 8, "1");
	dec("150000000", 8, "1.5");
	dec("2100000000000000", 8, "21000000");
	dec("123456789", 8, "1.23456789");
	dec("12345678900", 8, "123.456789");
	dec("1000000000000000000", 18, "1");
	dec("1500000000000000001", 18, "1.500000000000000001");
	dec("1", 18, "0.000000000000000001");
	dec("42", 0, "42");
	dec("1000000", 6, "1");
	dec("1", 6, "0.000001");
	dec(MAX256, 18, "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
	dec(MAX256, 77, "1.15792089237316195423570985008687907853269984665640564039457584007913129639935");
	dec("1", 77, "0.00000000000000000000000000000000000000000000000000000000000000000000000000001");
}

Test(units, to_decimal_rejects)
{
	char out[100];
	size_t need;

	cr_assert_eq(cgc_units_to_decimal("", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal("01", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal("-1", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal("1.5", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal("1e8", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal(" 1", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal(NULL, 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal("1", 78, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal(MAX256 "0", 0, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal("1", 8, out, 5, &need), -ENOSPC);
	cr_assert_eq(need, 11);
	cr_assert_str_eq(out, "");
}

static void
hex(const char *in, const char *want)
{
	char out[100];

	cr_assert_eq(cgc_units_from_hex(in, out, sizeof(out), NULL), 0, "%s", in);
	cr_assert_str_eq(out, want, "%s", in);
}

Test(units, from_hex)
{
	hex("0x0", "0");
	hex("0x00", "0");
	hex("0", "0");
	hex("0x1bc16d674ec80000", "2000000000000000000");
	hex("0X1BC16D674EC80000", "2000000000000000000");
	hex("0x00000000000000000000000000000000000000000000000000000000017d7840", "25000000");
	hex("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", MAX256);
	hex("0x000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", MAX256);
	hex("ff", "255");
}

Test(units, from_hex_rejects)
{
	char out[100];
	size_t need;

	cr_assert_eq(cgc_units_from_hex("0x", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_hex("", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_hex("0xg", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_hex("-0x1", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_hex("0x1 ", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_hex("0x0x1", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_hex(NULL, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_hex("0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	    out, sizeof(out), NULL), -ERANGE);
	cr_assert_eq(cgc_units_from_hex("0xff", out, 3, &need), -ENOSPC);
	cr_assert_eq(need, 4);
}

static void
coins(const char *in, unsigned decimals, const char *want)
{
	char out[100];

	cr_assert_eq(cgc_units_from_decimal(in, decimals, out, sizeof(out), NULL), 0, "%s", in);
	cr_assert_str_eq(out, want, "%s", in);
}

Test(units, from_decimal)
{
	coins("0.00100000", 8, "100000");
	coins("0", 8, "0");
	coins("0.0", 8, "0");
	coins("1", 8, "100000000");
	coins("21000000.00000000", 8, "2100000000000000");
	coins("0.00000001", 8, "1");
	coins("1.5", 18, "1500000000000000000");
	coins("1.50000000000000000000", 8, "150000000");
	coins("67187.123456789012345678", 18, "67187123456789012345678");
	coins("12", 0, "12");
	coins("12.000", 0, "12");
	coins("115792089237316195423570985008687907853269984665640564039457.584007913129639935", 18, MAX256);
}

Test(units, from_decimal_rejects)
{
	char out[100];

	cr_assert_eq(cgc_units_from_decimal("0.000000001", 8, out, sizeof(out), NULL), -ERANGE);
	cr_assert_eq(cgc_units_from_decimal("115792089237316195423570985008687907853269984665640564039457.584007913129639936",
	    18, out, sizeof(out), NULL), -ERANGE);
	cr_assert_eq(cgc_units_from_decimal("1e-8", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal("-1", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal("01", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal(".5", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal("1.", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal("1.2.3", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal("", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal(" 1", 8, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_from_decimal("1", 78, out, sizeof(out), NULL), -EINVAL);
}

Test(units, valid_and_cmp)
{
	cr_assert(cgc_units_valid("0"));
	cr_assert(cgc_units_valid(MAX256));
	cr_assert_not(cgc_units_valid(MAX256 "1"));
	cr_assert_not(cgc_units_valid("00"));
	/* 78 digits but above 2^256-1 (found by fuzz-address) */
	cr_assert_not(cgc_units_valid("115792089237316195423570985079078532699846656665640564039457584007913129639935"));
	cr_assert_not(cgc_units_valid("115792089237316195423570985008687907853269984665640564039457584007913129639936"));
	cr_assert_lt(cgc_units_cmp("9", "10"), 0);
	cr_assert_gt(cgc_units_cmp("100", "99"), 0);
	cr_assert_eq(cgc_units_cmp("123", "123"), 0);
	cr_assert_lt(cgc_units_cmp("122", "123"), 0);
}
