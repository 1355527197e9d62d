/*
 * libFuzzer target for exact decimals and uint256. It checks properties
 * that tie independent code paths together, not only "no crash":
 *  - a value parsed exactly parses the same under every rounding mode,
 *    formats to text that parses back to it, and equals the plain parse;
 *  - when digits are dropped, floor and ceiling are one unit apart and
 *    half-even is one of them; each equals parsing at scale 38 and then
 *    rescaling (a different routine);
 *  - uint256 decimal and hex text round-trip;
 *  - muldiv and the fiat conversion satisfy q·c ≤ a·b < (q+1)·c in 256-bit
 *    arithmetic.
 * Input: byte 0 picks the mode (top two bits) and, with bytes 1-2, the
 * parameters; the rest is the text or the raw operands.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/decimal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/*
 * Reference rounding in plain integer arithmetic: v exact at scale ws,
 * rounded to scale s (< ws) by floor, ceiling and half-even.
 */
static void
check_rounding(cg_i128 v, unsigned ws, unsigned s, const cg_i128 *fl,
    const cg_i128 *ce, const cg_i128 *he)
{
	cg_i128 m = 1, q, r, f, c, h;
	unsigned k;

	for (k = s; k < ws; k++)
		m *= 10;
	q = v / m;
	r = v % m;
	f = r < 0 ? q - 1 : q;		/* C division truncates */
	r = v - f * m;			/* now 0 ≤ r < m */
	CHECK(r >= 0 && r < m);
	c = r == 0 ? f : f + 1;
	if (r == 0)
		h = f;
	else if (r > m - r)
		h = c;
	else if (r < m - r)
		h = f;
	else
		h = f % 2 == 0 ? f : c;
	/* cg_dec_rescale must agree whatever the parse said */
	CHECK(cg_dec_rescale(v, ws, s, CG_ROUND_FLOOR, &q) == 0 && q == f);
	CHECK(cg_dec_rescale(v, ws, s, CG_ROUND_CEIL, &q) == 0 && q == c);
	CHECK(cg_dec_rescale(v, ws, s, CG_ROUND_HALF_EVEN, &q) == 0 && q == h);
	if (fl != NULL)
		CHECK(*fl == f);
	if (ce != NULL)
		CHECK(*ce == c);
	if (he != NULL)
		CHECK(*he == h);
}

static void
check_parse(const char *s, size_t n, unsigned scale, unsigned prec)
{
	cg_i128 ex, fl, ce, he, js, back, wide;
	char buf[CG_DEC_STRLEN];
	int e_ex, e_fl, e_ce, e_he, e_js, len;
	unsigned ws;

	e_ex = cg_dec_parse(s, n, scale, prec, CG_ROUND_EXACT, &ex);
	e_fl = cg_dec_parse(s, n, scale, prec, CG_ROUND_FLOOR, &fl);
	e_ce = cg_dec_parse(s, n, scale, prec, CG_ROUND_CEIL, &ce);
	e_he = cg_dec_parse(s, n, scale, prec, CG_ROUND_HALF_EVEN, &he);
	e_js = cg_dec_parse_json(s, n, scale, prec, CG_ROUND_EXACT, &js);
	/* strict is exact that also refuses written zeros beyond the scale */
	{
		cg_i128 st;
		int e_st = cg_dec_parse(s, n, scale, prec, CG_ROUND_STRICT,
		    &st);

		CHECK(e_st == e_ex || (e_st == -EDOM && e_ex == 0));
		if (e_st == 0)
			CHECK(st == ex);
	}
	CHECK(e_ex == 0 || e_ex == -EINVAL || e_ex == -ERANGE ||
	    e_ex == -EDOM);
	/* the JSON grammar is a superset: it agrees wherever plain parses */
	if (e_ex != -EINVAL) {
		CHECK(e_js == e_ex);
		if (e_ex == 0)
			CHECK(js == ex);
	} else if (e_js != -EINVAL) {
		CHECK(memchr(s, 'e', n) != NULL || memchr(s, 'E', n) != NULL);
	}
	if (e_ex == 0) {
		CHECK(e_fl == 0 && e_ce == 0 && e_he == 0);
		CHECK(fl == ex && ce == ex && he == ex);
		CHECK(cg_dec_fits(ex, scale, prec, scale) ||
		    prec < scale);
		len = cg_dec_format(ex, scale, 0, buf, sizeof(buf));
		CHECK(len > 0);
		CHECK(cg_dec_parse(buf, (size_t)len, scale, prec,
		    CG_ROUND_EXACT, &back) == 0 && back == ex);
		len = cg_dec_format(ex, scale, CG_DEC_TRIM, buf, sizeof(buf));
		CHECK(len > 0);
		CHECK(cg_dec_parse(buf, (size_t)len, scale, prec,
		    CG_ROUND_EXACT, &back) == 0 && back == ex);
		return;
	}
	if (e_ex == -EDOM) {
		if (e_fl == 0 && e_ce == 0) {
			CHECK(ce - fl == 1);
			if (e_he == 0)
				CHECK(he == fl || he == ce);
		}
		/* the same value exact at a finer scale, then rescaled */
		for (ws = 38; ws > scale; ws--)
			if (cg_dec_parse_json(s, n, ws, 38, CG_ROUND_EXACT,
			    &wide) == 0)
				break;
		if (ws > scale)
			check_rounding(wide, ws, scale, e_fl == 0 ? &fl : NULL,
			    e_ce == 0 ? &ce : NULL, e_he == 0 ? &he : NULL);
	}
}

static void
check_u256(const char *s, size_t n)
{
	struct cg_u256 a, b;
	char buf[CG_U256_DECLEN];
	int len;

	if (cg_u256_from_dec(s, n, &a) == 0) {
		len = cg_u256_to_dec(&a, buf, sizeof(buf));
		CHECK(len > 0 && (size_t)len == n && memcmp(buf, s, n) == 0);
	}
	if (cg_u256_from_hex(s, n, &a) == 0) {
		len = cg_u256_to_dec(&a, buf, sizeof(buf));
		CHECK(len > 0);
		CHECK(cg_u256_from_dec(buf, (size_t)len, &b) == 0);
		CHECK(cg_u256_cmp(&a, &b) == 0);
	}
}

static cg_u128
take(const uint8_t *p, int bits)
{
	cg_u128 v = 0;
	int i;

	for (i = 0; i < 16; i++)
		v = v << 8 | p[i];
	return bits >= 128 ? v : v & (((cg_u128)1 << bits) - 1);
}

/* q·c ≤ a·b < (q+1)·c for non-negative a, b and positive c. */
static void
check_floor(cg_u128 a, cg_u128 b, cg_u128 c, cg_u128 q)
{
	struct cg_u256 x, y, p, qc, q1c, cc, one;

	cg_u256_from_u128(&x, a);
	cg_u256_from_u128(&y, b);
	cg_u256_from_u128(&cc, c);
	cg_u256_from_u128(&one, 1);
	CHECK(cg_u256_mul(&p, &x, &y) == 0);
	cg_u256_from_u128(&x, q);
	CHECK(cg_u256_mul(&qc, &x, &cc) == 0);
	CHECK(cg_u256_cmp(&qc, &p) <= 0);
	CHECK(cg_u256_add(&q1c, &qc, &cc) == 0);
	CHECK(cg_u256_cmp(&p, &q1c) < 0);
}

static void
check_arith(const uint8_t *p, size_t n, unsigned p1, unsigned p2)
{
	cg_u128 a, b, c;
	cg_i128 fl, ce, he, pay_c, pay_f;
	int ef, ec, eh;
	unsigned fs = p1 % 19, ps = p2 % 19, pd = (p1 / 19) % 19;

	if (n < 48)
		return;
	a = take(p, 1 + p1 % 127);
	b = take(p + 16, 1 + p2 % 127);
	c = take(p + 32, 127);
	if (c == 0)
		return;
	ef = cg_i128_muldiv((cg_i128)a, (cg_i128)b, (cg_i128)c,
	    CG_ROUND_FLOOR, &fl);
	ec = cg_i128_muldiv((cg_i128)a, (cg_i128)b, (cg_i128)c,
	    CG_ROUND_CEIL, &ce);
	eh = cg_i128_muldiv((cg_i128)a, (cg_i128)b, (cg_i128)c,
	    CG_ROUND_HALF_EVEN, &he);
	if (ef == 0) {
		check_floor(a, b, c, (cg_u128)fl);
		if (ec == 0)
			CHECK(ce == fl || ce == fl + 1);
		if (eh == 0)
			CHECK(he == fl || he == fl + 1);
		/* the negated product gives the mirrored result */
		CHECK(cg_i128_muldiv(-(cg_i128)a, (cg_i128)b, (cg_i128)c,
		    CG_ROUND_CEIL, &ce) == 0 && ce == -fl);
	} else {
		CHECK(ef == -ERANGE);
	}
	/* conversion: floor and ceiling one unit apart at most */
	a = take(p, 1 + p1 % 120);
	ef = cg_dec_convert((cg_i128)a, fs, (cg_i128)c, ps, pd,
	    CG_ROUND_FLOOR, &pay_f);
	ec = cg_dec_convert((cg_i128)a, fs, (cg_i128)c, ps, pd,
	    CG_ROUND_CEIL, &pay_c);
	CHECK(ef == 0 || ef == -ERANGE);
	CHECK(ec == 0 || ec == -ERANGE);
	if (ef == 0 && ec == 0)
		CHECK(pay_c == pay_f || pay_c == pay_f + 1);
	if (ec == 0)
		CHECK(cg_dec_fits(pay_c, pd, CG_DEC_AMOUNT_PRECISION,
		    CG_DEC_AMOUNT_SCALE));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode, scale, prec;

	if (size < 3)
		return 0;
	mode = data[0] >> 6;
	scale = data[1] % 39;
	prec = 1 + data[2] % 38;
	data += 3;
	size -= 3;
	if (size > 4096)
		return 0;
	switch (mode) {
	case 0:
	case 1:
		check_parse((const char *)data, size, scale, prec);
		break;
	case 2:
		check_u256((const char *)data, size);
		break;
	default:
		check_arith(data, size, data[-2], data[-1]);
		break;
	}
	return 0;
}
