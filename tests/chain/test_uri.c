/*
 * Payment URIs (BIP21, EIP-681, TRON).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/uri.h"

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
