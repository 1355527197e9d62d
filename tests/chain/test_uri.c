/*
 * Amount formatting and payment URIs (BIP21, EIP-681, TRON).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/uri.h"

static void
dec(const char *units, unsigned decimals, const char *want)
{
	char out[100];
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
	/* 2^256 - 1, the largest uint256 */
	dec("115792089237316195423570985008687907853269984665640564039457584007913129639935", 18,
	    "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
}

Test(units, rejects)
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
	cr_assert_eq(cgc_units_to_decimal("1157920892373161954235709850086879078532699846656405640394575840079131296399350",
	    0, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_units_to_decimal("1", 8, out, 5, &need), -ENOSPC);
	cr_assert_eq(need, 11);
	cr_assert_str_eq(out, "");
}

Test(uri, bip21)
{
	char out[200];
	size_t need;

	cr_assert_eq(cgc_uri_bip21("bitcoin", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
	    "150000000", NULL, NULL, out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=1.5");
	cr_assert_eq(cgc_uri_bip21("litecoin", "ltc1qabc", "1", "Shop & Co", "Order #42 ü",
	    out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "litecoin:ltc1qabc?amount=0.00000001&label=Shop%20%26%20Co"
	    "&message=Order%20%2342%20%C3%BC");
	cr_assert_eq(cgc_uri_bip21("bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", NULL,
	    NULL, "hi", out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa?message=hi");
	cr_assert_eq(cgc_uri_bip21("bitcoin", "bc1q", "0", NULL, NULL, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_bip21("bitcoin", "bc1q?amount=5", "1", NULL, NULL, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_bip21("Bitcoin", "bc1q", "1", NULL, NULL, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_bip21("bitcoin", "", "1", NULL, NULL, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_bip21("bitcoin", "bc1q", "1.0", NULL, NULL, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_bip21("bitcoin", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
	    "150000000", NULL, NULL, out, 20, &need), -ENOSPC);
	cr_assert_eq(need, strlen("bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=1.5") + 1);
}

Test(uri, eip681)
{
	char out[300];

	cr_assert_eq(cgc_uri_eip681_native("0x9858effd232b4033e47d90003d41ec34ecaeda94", 1,
	    "1500000000000000000", out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94@1?value=1500000000000000000");
	cr_assert_eq(cgc_uri_eip681_native("0x9858EfFD232B4033E47d90003D41EC34EcaEda94", 11155111,
	    NULL, out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94@11155111");
	cr_assert_eq(cgc_uri_eip681_erc20("0xdAC17F958D2ee523a2206206994597C13D831ec7", 1,
	    "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "25000000", out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer"
	    "?address=0x9858EfFD232B4033E47d90003D41EC34EcaEda94&uint256=25000000");
	/* Bad checksum, chain id 0, bad amount. */
	cr_assert_eq(cgc_uri_eip681_native("0x9858EfFD232B4033E47d90003D41EC34EcaEdA94", 1,
	    "1", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_eip681_native("0x9858EfFD232B4033E47d90003D41EC34EcaEda94", 0,
	    "1", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_eip681_native("0x9858EfFD232B4033E47d90003D41EC34EcaEda94", 1,
	    "0x10", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_eip681_erc20("0xdAC17F958D2ee523a2206206994597C13D831ec7", 1,
	    "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", NULL, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_eip681_erc20("0xdAC17F958D2ee523a2206206994597C13D831ec7", 1,
	    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "1", out, sizeof(out), NULL), -EINVAL);
}

Test(uri, tron)
{
	char out[40];
	size_t need;

	cr_assert_eq(cgc_uri_tron("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH");
	cr_assert_eq(cgc_uri_tron("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdh", out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_uri_tron("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", out, 34, &need), -ENOSPC);
	cr_assert_eq(need, 35);
}
