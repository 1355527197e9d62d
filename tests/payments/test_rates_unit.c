/* Stored prices: DECIMAL(18,8), rounded half-even, positive, never clamped. */
#include <criterion/criterion.h>

#include "payments/rates.h"

static const char *
price(const char *in)
{
	static char out[CG_DEC_STRLEN];

	return cg_rates_price_text(in, out) == 0 ? out : NULL;
}

Test(rates, half_even)
{
	cr_assert_str_eq(price("67000.00"), "67000.00000000");
	cr_assert_str_eq(price("2.700000005"), "2.70000000");   /* tie, even */
	cr_assert_str_eq(price("0.925000015"), "0.92500002");   /* tie, odd */
	cr_assert_str_eq(price("0.925000025"), "0.92500002");   /* tie, even */
	cr_assert_str_eq(price("0.1234567851"), "0.12345679");  /* above half */
	cr_assert_str_eq(price("0.00000001"), "0.00000001");
}

Test(rates, refused)
{
	cr_assert_null(price("0"));
	cr_assert_null(price("0.000000004"));       /* rounds to zero */
	cr_assert_null(price("-1"));
	cr_assert_null(price("1e3"));
	cr_assert_null(price("abc"));
	cr_assert_null(price(""));
	cr_assert_null(price("12345678901"));       /* beyond DECIMAL(18,8) */
	cr_assert_str_eq(price("9999999999.99999999"), "9999999999.99999999");
	cr_assert_null(price(NULL));
}
