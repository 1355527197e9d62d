/*
 * Exact decimals over 128-bit integers, and 256-bit unsigned integers for
 * EVM amounts and for products that need the room (fiat × 10^k ÷ price).
 * Magnitudes are handled as unsigned and the sign applied last, so no
 * negation of the most negative value ever happens.
 */
#include "util/decimal.h"

#include <errno.h>
#include <string.h>

#include "util/str.h"

#define U128_MAX (~(cg_u128)0)
#define I128_MAX ((cg_i128)(U128_MAX >> 1))

/* 10^n for n ≤ 38. */
static cg_u128
pow10_u128(unsigned n)
{
	cg_u128 r = 1;

	while (n-- > 0)
		r *= 10;
	return r;
}

static cg_u128
mag(cg_i128 v)
{
	return v < 0 ? (cg_u128)(-(v + 1)) + 1 : (cg_u128)v;
}

/* Applies the sign to a magnitude known to fit (≤ 2^127 when neg). */
static cg_i128
apply_sign(cg_u128 m, bool neg)
{
	if (!neg)
		return (cg_i128)m;
	if (m == 0)
		return 0;
	return -(cg_i128)(m - 1) - 1;
}

static bool
fits_i128(cg_u128 m, bool neg)
{
	return neg ? m <= (cg_u128)I128_MAX + 1 : m <= (cg_u128)I128_MAX;
}

/*
 * Decides whether a truncated quotient's magnitude must grow by one.
 * neg: sign of the exact result; inexact: something non-zero was dropped;
 * half: the dropped part against one half unit (<0 below, 0 equal, >0 above);
 * odd: the truncated magnitude is odd.
 */
static int
round_bump(enum cg_round round, bool neg, bool inexact, int half, bool odd,
    bool *bump)
{
	*bump = false;
	if (!inexact)
		return 0;
	switch (round) {
	case CG_ROUND_EXACT:
		return -EDOM;
	case CG_ROUND_CEIL:
		*bump = !neg;
		return 0;
	case CG_ROUND_FLOOR:
		*bump = neg;
		return 0;
	case CG_ROUND_HALF_EVEN:
		*bump = half > 0 || (half == 0 && odd);
		return 0;
	case CG_ROUND_STRICT:
		return -EDOM;	/* outside parsing it means exact */
	}
	return -EINVAL;
}

/* ---- number text ---- */

struct numtok {
	bool neg;
	const char *ip;		/* integer digits */
	size_t il;
	const char *fp;		/* fraction digits */
	size_t fl;
	int64_t exp;		/* decimal exponent, saturated at ±2^40 */
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON number grammar (RFC 8259 §6); the exponent only when allowed. */
static int
scan_number(const char *s, size_t len, bool allow_exp, struct numtok *t)
{
	size_t i = 0;
	bool eneg = false;

	memset(t, 0, sizeof(*t));
	if (s == NULL || len == 0)
		return -EINVAL;
	if (s[i] == '-') {
		t->neg = true;
		i++;
	}
	t->ip = s + i;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && is_digit(s[i]))
		while (i < len && is_digit(s[i]))
			i++;
	else
		return -EINVAL;
	t->il = (size_t)(s + i - t->ip);
	if (i < len && s[i] == '.') {
		i++;
		t->fp = s + i;
		while (i < len && is_digit(s[i]))
			i++;
		t->fl = (size_t)(s + i - t->fp);
		if (t->fl == 0)
			return -EINVAL;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E') && allow_exp) {
		size_t start;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		start = i;
		for (; i < len && is_digit(s[i]); i++)
			if (t->exp < ((int64_t)1 << 40))
				t->exp = t->exp * 10 + (s[i] - '0');
		if (i == start)
			return -EINVAL;
		if (eneg)
			t->exp = -t->exp;
	}
	return i == len ? 0 : -EINVAL;
}

static int
tok_digit(const struct numtok *t, size_t i)
{
	return i < t->il ? t->ip[i] - '0' : t->fp[i - t->il] - '0';
}

/* units = digits × 10^(scale + exp - fl), rounded, |units| < 10^precision. */
static int
tok_build(const struct numtok *t, unsigned scale, unsigned precision,
    enum cg_round round, cg_i128 *out)
{
	int64_t shift = (int64_t)scale + t->exp - (int64_t)t->fl;
	int64_t n = (int64_t)(t->il + t->fl), kept, i;
	cg_u128 limit, cap, acc = 0;
	int first = -1, half, err;
	bool sticky = false, bump;

	if (precision < 1 || precision > CG_DEC_MAX_PRECISION ||
	    scale > CG_DEC_MAX_PRECISION)
		return -EINVAL;
	limit = pow10_u128(precision);
	cap = limit / 10;
	kept = shift >= 0 ? n : n + shift;
	if (kept < 0)
		first = 0;
	for (i = 0; i < n; i++) {
		int d = tok_digit(t, (size_t)i);

		if (i < kept) {
			/* acc ≥ limit/10 would make acc·10 + d ≥ limit */
			if (acc >= cap)
				return -ERANGE;
			acc = acc * 10 + (cg_u128)d;
		} else if (first < 0)
			first = d;
		else
			sticky |= d != 0;
	}
	if (shift > 0 && acc != 0) {
		cg_u128 m;

		if (shift > CG_DEC_MAX_PRECISION)
			return -ERANGE;
		m = pow10_u128((unsigned)shift);
		if (acc > (limit - 1) / m)
			return -ERANGE;
		acc *= m;
	}
	if (round == CG_ROUND_STRICT && first >= 0)
		return -EDOM;
	if (round == CG_ROUND_STRICT)
		round = CG_ROUND_EXACT;
	half = first > 5 ? 1 : first < 5 ? -1 : sticky ? 1 : 0;
	err = round_bump(round, t->neg, first > 0 || sticky, half, acc & 1,
	    &bump);
	if (err != 0)
		return err;
	if (bump && ++acc >= limit)
		return -ERANGE;
	*out = apply_sign(acc, t->neg);
	return 0;
}

int
cg_dec_parse(const char *s, size_t len, unsigned scale, unsigned precision,
    enum cg_round round, cg_i128 *out)
{
	struct numtok t;
	int err;

	if ((err = scan_number(s, len, false, &t)) != 0)
		return err;
	return tok_build(&t, scale, precision, round, out);
}

int
cg_dec_parse_json(const char *s, size_t len, unsigned scale,
    unsigned precision, enum cg_round round, cg_i128 *out)
{
	struct numtok t;
	int err;

	if ((err = scan_number(s, len, true, &t)) != 0)
		return err;
	return tok_build(&t, scale, precision, round, out);
}

int
cg_dec_format(cg_i128 units, unsigned scale, int flags, char *buf, size_t size)
{
	char dig[CG_DEC_STRLEN], tmp[CG_DEC_STRLEN];
	cg_u128 m = mag(units);
	size_t nd = 0, ni, nf, k = 0, i;

	if (scale > CG_DEC_MAX_PRECISION)
		return -EINVAL;
	do {
		dig[nd++] = (char)('0' + (int)(m % 10));
		m /= 10;
	} while (m != 0);
	while (nd < scale + 1)
		dig[nd++] = '0';
	/* dig[] holds the digits least significant first */
	ni = nd - scale;
	nf = scale;
	if (flags & CG_DEC_TRIM)
		while (nf > 0 && dig[scale - nf] == '0')
			nf--;
	if (units < 0)
		tmp[k++] = '-';
	for (i = 0; i < ni; i++)
		tmp[k++] = dig[nd - 1 - i];
	if (nf > 0) {
		tmp[k++] = '.';
		for (i = 0; i < nf; i++)
			tmp[k++] = dig[scale - 1 - i];
	}
	if (k + 1 > size)
		return -ENOSPC;
	memcpy(buf, tmp, k);
	buf[k] = '\0';
	return (int)k;
}

int
cg_dec_rescale(cg_i128 units, unsigned from, unsigned to, enum cg_round round,
    cg_i128 *out)
{
	cg_u128 m, q, r, mg = mag(units);
	bool neg = units < 0, bump;
	int half, err;

	if (from > CG_DEC_MAX_PRECISION || to > CG_DEC_MAX_PRECISION)
		return -EINVAL;
	if (to >= from) {
		if (units == 0) {
			*out = 0;
			return 0;
		}
		if (to - from > CG_DEC_MAX_PRECISION)
			return -ERANGE;
		return cg_i128_mul(units, (cg_i128)pow10_u128(to - from), out);
	}
	m = pow10_u128(from - to);	/* from - to ≤ 38 */
	q = mg / m;
	r = mg % m;
	/* r < m ≤ 10^38, so 2r < 2^128 */
	half = 2 * r > m ? 1 : 2 * r < m ? -1 : 0;
	if ((err = round_bump(round, neg, r != 0, half, q & 1, &bump)) != 0)
		return err;
	*out = apply_sign(q + bump, neg);
	return 0;
}

bool
cg_dec_fits(cg_i128 units, unsigned scale, unsigned precision,
    unsigned col_scale)
{
	cg_u128 m = mag(units);
	unsigned e;

	if (precision < 1 || precision > CG_DEC_MAX_PRECISION ||
	    col_scale > precision || scale > CG_DEC_MAX_PRECISION)
		return false;
	if (scale > col_scale) {
		cg_u128 p = pow10_u128(scale - col_scale);

		if (m % p != 0)
			return false;
		m /= p;
		scale = col_scale;
	}
	e = precision - col_scale + scale;
	if (e > CG_DEC_MAX_PRECISION)
		return true;	/* every cg_i128 is below 10^39 */
	return m < pow10_u128(e);
}

int
cg_dec_cmp(cg_i128 a, unsigned as, cg_i128 b, unsigned bs)
{
	cg_i128 x;

	if (as < bs) {
		/* overflow means |a × 10^k| exceeds every cg_i128 */
		if (cg_dec_rescale(a, as, bs, CG_ROUND_EXACT, &x) != 0)
			return a < 0 ? -1 : 1;
		a = x;
	} else if (bs < as) {
		if (cg_dec_rescale(b, bs, as, CG_ROUND_EXACT, &x) != 0)
			return b < 0 ? 1 : -1;
		b = x;
	}
	return a < b ? -1 : a > b ? 1 : 0;
}

int
cg_i128_add(cg_i128 a, cg_i128 b, cg_i128 *out)
{
	cg_i128 r;

	if (__builtin_add_overflow(a, b, &r))
		return -ERANGE;
	*out = r;
	return 0;
}

int
cg_i128_sub(cg_i128 a, cg_i128 b, cg_i128 *out)
{
	cg_i128 r;

	if (__builtin_sub_overflow(a, b, &r))
		return -ERANGE;
	*out = r;
	return 0;
}

int
cg_i128_mul(cg_i128 a, cg_i128 b, cg_i128 *out)
{
	cg_i128 r;

	if (__builtin_mul_overflow(a, b, &r))
		return -ERANGE;
	*out = r;
	return 0;
}

int
cg_amount_parse(const char *s, size_t len, unsigned decimals, cg_i128 *units)
{
	if (decimals > CG_DEC_MAX_DECIMALS)
		return -EINVAL;
	/* DECIMAL(36,18) keeps 18 integer digits at any decimals */
	return cg_dec_parse(s, len, decimals,
	    CG_DEC_AMOUNT_PRECISION - CG_DEC_AMOUNT_SCALE + decimals,
	    CG_ROUND_EXACT, units);
}

int
cg_amount_format(cg_i128 units, unsigned decimals, char *buf, size_t size)
{
	if (decimals > CG_DEC_MAX_DECIMALS)
		return -EINVAL;
	return cg_dec_format(units, decimals, 0, buf, size);
}

/* ---- 256-bit unsigned ---- */

void
cg_u256_from_u128(struct cg_u256 *r, cg_u128 v)
{
	r->w[0] = (uint64_t)v;
	r->w[1] = (uint64_t)(v >> 64);
	r->w[2] = 0;
	r->w[3] = 0;
}

int
cg_u256_to_u128(const struct cg_u256 *a, cg_u128 *out)
{
	if (a->w[2] != 0 || a->w[3] != 0)
		return -ERANGE;
	*out = (cg_u128)a->w[1] << 64 | a->w[0];
	return 0;
}

int
cg_u256_cmp(const struct cg_u256 *a, const struct cg_u256 *b)
{
	int i;

	for (i = 3; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

bool
cg_u256_is_zero(const struct cg_u256 *a)
{
	return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

int
cg_u256_add(struct cg_u256 *r, const struct cg_u256 *a,
    const struct cg_u256 *b)
{
	struct cg_u256 t;
	cg_u128 c = 0;
	int i;

	for (i = 0; i < 4; i++) {
		c += (cg_u128)a->w[i] + b->w[i];
		t.w[i] = (uint64_t)c;
		c >>= 64;
	}
	if (c != 0)
		return -ERANGE;
	*r = t;
	return 0;
}

/* a - b assuming a ≥ b, or wrapping modulo 2^256. */
static void
u256_sub(struct cg_u256 *r, const struct cg_u256 *a, const struct cg_u256 *b)
{
	uint64_t borrow = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t x = a->w[i], y = b->w[i], d = x - y - borrow;

		borrow = (x < y) || (x == y && borrow) ? 1 : 0;
		r->w[i] = d;
	}
}

int
cg_u256_mul(struct cg_u256 *r, const struct cg_u256 *a,
    const struct cg_u256 *b)
{
	uint64_t p[8] = { 0 };
	int i, j;

	for (i = 0; i < 4; i++) {
		cg_u128 c = 0;

		for (j = 0; j < 4; j++) {
			c += (cg_u128)a->w[i] * b->w[j] + p[i + j];
			p[i + j] = (uint64_t)c;
			c >>= 64;
		}
		p[i + 4] = (uint64_t)c;
	}
	if ((p[4] | p[5] | p[6] | p[7]) != 0)
		return -ERANGE;
	memcpy(r->w, p, sizeof(r->w));
	return 0;
}

static int
u256_bits(const struct cg_u256 *a)
{
	int i;

	for (i = 3; i >= 0; i--)
		if (a->w[i] != 0)
			return i * 64 + 64 - __builtin_clzll(a->w[i]);
	return 0;
}

/* Shifts left by one; returns the bit shifted out. */
static int
u256_shl1(struct cg_u256 *a, int in)
{
	int i, out = (int)(a->w[3] >> 63);

	for (i = 3; i > 0; i--)
		a->w[i] = a->w[i] << 1 | a->w[i - 1] >> 63;
	a->w[0] = a->w[0] << 1 | (uint64_t)in;
	return out;
}

/* a = a / d; returns the remainder. */
static uint64_t
u256_div_small(struct cg_u256 *a, uint64_t d)
{
	cg_u128 r = 0;
	int i;

	for (i = 3; i >= 0; i--) {
		cg_u128 cur = r << 64 | a->w[i];

		a->w[i] = (uint64_t)(cur / d);
		r = cur % d;
	}
	return (uint64_t)r;
}

int
cg_u256_divmod(struct cg_u256 *q, struct cg_u256 *rem,
    const struct cg_u256 *a, const struct cg_u256 *b)
{
	struct cg_u256 qq = { { 0 } }, r = { { 0 } };
	int i;

	if (cg_u256_is_zero(b))
		return -EDOM;
	if ((a->w[2] | a->w[3] | b->w[2] | b->w[3]) == 0) {
		cg_u128 x = (cg_u128)a->w[1] << 64 | a->w[0];
		cg_u128 y = (cg_u128)b->w[1] << 64 | b->w[0];

		cg_u256_from_u128(&qq, x / y);
		cg_u256_from_u128(&r, x % y);
		goto done;
	}
	if ((b->w[1] | b->w[2] | b->w[3]) == 0) {
		qq = *a;
		cg_u256_from_u128(&r, u256_div_small(&qq, b->w[0]));
		goto done;
	}
	/* restoring binary long division; short enough for money paths */
	for (i = u256_bits(a) - 1; i >= 0; i--) {
		int bit = (int)(a->w[i / 64] >> (i % 64) & 1);
		int carry = u256_shl1(&r, bit);

		if (carry || cg_u256_cmp(&r, b) >= 0) {
			u256_sub(&r, &r, b);	/* true value < 2b: wraps right */
			qq.w[i / 64] |= (uint64_t)1 << (i % 64);
		}
	}
done:
	if (q != NULL)
		*q = qq;
	if (rem != NULL)
		*rem = r;
	return 0;
}

/* a = a × m + add; returns the carry out of the top limb. */
static uint64_t
u256_muladd_small(struct cg_u256 *a, uint64_t m, uint64_t add)
{
	cg_u128 c = add;
	int i;

	for (i = 0; i < 4; i++) {
		c += (cg_u128)a->w[i] * m;
		a->w[i] = (uint64_t)c;
		c >>= 64;
	}
	return (uint64_t)c;
}

int
cg_u256_from_hex(const char *s, size_t len, struct cg_u256 *out)
{
	struct cg_u256 r = { { 0 } };
	size_t i;

	if (s == NULL)
		return -EINVAL;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 64)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		int v = cg_hex_digit(s[i]);
		size_t bit = (len - 1 - i) * 4;

		if (v < 0)
			return -EINVAL;
		r.w[bit / 64] |= (uint64_t)v << (bit % 64);
	}
	*out = r;
	return 0;
}

int
cg_u256_from_dec(const char *s, size_t len, struct cg_u256 *out)
{
	struct cg_u256 r = { { 0 } };
	size_t i;

	if (s == NULL || len == 0 || len > 78 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return -EINVAL;
	for (i = 0; i < len; i++)
		if (u256_muladd_small(&r, 10, (uint64_t)(s[i] - '0')) != 0)
			return -ERANGE;
	*out = r;
	return 0;
}

int
cg_u256_to_dec(const struct cg_u256 *a, char *buf, size_t size)
{
	char tmp[CG_U256_DECLEN];
	struct cg_u256 v = *a;
	size_t n = 0, i;

	/* 19 digits per division by 10^19, the largest power in 64 bits */
	do {
		uint64_t chunk = u256_div_small(&v, 10000000000000000000ULL);
		int k;

		for (k = 0; k < 19 && (chunk != 0 || !cg_u256_is_zero(&v));
		    k++) {
			tmp[n++] = (char)('0' + chunk % 10);
			chunk /= 10;
		}
	} while (!cg_u256_is_zero(&v));
	if (n == 0)
		tmp[n++] = '0';
	if (n + 1 > size)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return (int)n;
}

int
cg_u256_to_amount(const struct cg_u256 *a, unsigned decimals, cg_i128 *units)
{
	cg_u128 v;

	if (decimals > CG_DEC_MAX_DECIMALS)
		return -EINVAL;
	if (cg_u256_to_u128(a, &v) != 0)
		return -ERANGE;
	if (v >= pow10_u128(CG_DEC_AMOUNT_PRECISION - CG_DEC_AMOUNT_SCALE +
	    decimals))
		return -ERANGE;
	if (units != NULL)
		*units = (cg_i128)v;
	return 0;
}

/* ---- products and quotients ---- */

static void
u256_pow10(struct cg_u256 *r, unsigned n)
{
	cg_u256_from_u128(r, 1);
	while (n-- > 0)
		(void)u256_muladd_small(r, 10, 0);	/* callers keep n ≤ 76 */
}

/*
 * q = num / den rounded by `round` for a result of sign `neg`; the result
 * must fit cg_i128.
 */
static int
u256_div_round(const struct cg_u256 *num, const struct cg_u256 *den, bool neg,
    enum cg_round round, cg_i128 *out)
{
	struct cg_u256 q, r, r2;
	cg_u128 qm;
	bool bump;
	int half, err;

	if ((err = cg_u256_divmod(&q, &r, num, den)) != 0)
		return err;
	/* r < den < 2^255 here, so 2r does not overflow */
	if (cg_u256_add(&r2, &r, &r) != 0)
		half = 1;
	else
		half = cg_u256_cmp(&r2, den);
	if (cg_u256_to_u128(&q, &qm) != 0)
		return -ERANGE;
	err = round_bump(round, neg, !cg_u256_is_zero(&r), half, qm & 1, &bump);
	if (err != 0)
		return err;
	if (bump && qm == U128_MAX)
		return -ERANGE;
	qm += bump;
	if (!fits_i128(qm, neg))
		return -ERANGE;
	*out = apply_sign(qm, neg);
	return 0;
}

int
cg_i128_muldiv(cg_i128 a, cg_i128 b, cg_i128 c, enum cg_round round,
    cg_i128 *out)
{
	struct cg_u256 x, y, p, d;
	bool neg;
	int err;

	if (c == 0)
		return -EDOM;
	cg_u256_from_u128(&x, mag(a));
	cg_u256_from_u128(&y, mag(b));
	cg_u256_from_u128(&d, mag(c));
	if ((err = cg_u256_mul(&p, &x, &y)) != 0)	/* < 2^254: cannot fail */
		return err;
	neg = ((a < 0) != (b < 0)) != (c < 0);
	return u256_div_round(&p, &d, neg && a != 0 && b != 0, round, out);
}

int
cg_dec_convert(cg_i128 fiat, unsigned fiat_scale, cg_i128 price,
    unsigned price_scale, unsigned pay_decimals, enum cg_round round,
    cg_i128 *pay_units)
{
	struct cg_u256 num, den, p;
	int e, err;
	cg_i128 v;

	if (fiat < 0 || price <= 0 || pay_decimals > CG_DEC_MAX_DECIMALS ||
	    fiat_scale > CG_DEC_MAX_PRECISION ||
	    price_scale > CG_DEC_MAX_PRECISION)
		return -EINVAL;
	e = (int)price_scale + (int)pay_decimals - (int)fiat_scale;
	cg_u256_from_u128(&num, (cg_u128)fiat);
	cg_u256_from_u128(&den, (cg_u128)price);
	u256_pow10(&p, (unsigned)(e < 0 ? -e : e));
	if ((err = cg_u256_mul(e < 0 ? &den : &num, e < 0 ? &den : &num,
	    &p)) != 0)
		return err;
	if ((err = u256_div_round(&num, &den, false, round, &v)) != 0)
		return err;
	if (!cg_dec_fits(v, pay_decimals, CG_DEC_AMOUNT_PRECISION,
	    CG_DEC_AMOUNT_SCALE))
		return -ERANGE;
	*pay_units = v;
	return 0;
}

int
cg_amount_parse_units(const char *s, size_t len, unsigned decimals,
    cg_i128 *units)
{
	struct cg_u256 a;
	int err;

	if (decimals > CG_DEC_MAX_DECIMALS)
		return -EINVAL;
	if ((err = cg_u256_from_dec(s, len, &a)) != 0)
		return err;
	return cg_u256_to_amount(&a, decimals, units);
}
