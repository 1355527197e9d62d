/*
 * Base58 and Base58Check. Vectors from Bitcoin Core's
 * src/test/data/base58_encode_decode.json; addresses from BIP49/SLIP-132
 * and the TRON USDT contract.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/base58.h"
#include "common/hash.h"
#include "xprv.h"

static const struct {
	const char *hex;
	const char *b58;
} vectors[] = {
	{ "61", "2g" },
	{ "626262", "a3gV" },
	{ "636363", "aPEr" },
	{ "73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2" },
	{ "00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L" },
	{ "516b6fcd0f", "ABnLTmg" },
	{ "bf4f89001e670274dd", "3SEo3LWLoPntC" },
	{ "572e4794", "3EFU7m" },
	{ "ecac89cad93923c02321", "EJDM8drfXA6uyA" },
	{ "10c8511e", "Rt5zm" },
	{ "00000000000000000000", "1111111111" },
};

Test(base58, vectors_round_trip)
{
	uint8_t bin[64], back[64];
	char s[128];
	size_t i, n, m;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		n = cgt_unhex(vectors[i].hex, bin, sizeof(bin));
		cr_assert_eq(cgc_base58_encode(bin, n, s, sizeof(s), NULL), 0);
		cr_assert_str_eq(s, vectors[i].b58);
		cr_assert_eq(cgc_base58_decode(vectors[i].b58, back, sizeof(back), &m), 0);
		cr_assert_eq(m, n);
		cr_assert_eq(memcmp(bin, back, n), 0);
	}
	cr_assert_eq(cgc_base58_encode(NULL, 0, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "");
}

Test(base58, strict_decode)
{
	uint8_t b[200];
	char longstr[300];
	size_t n;

	cr_assert_eq(cgc_base58_decode("", b, sizeof(b), &n), -EINVAL);
	cr_assert_eq(cgc_base58_decode("0", b, sizeof(b), &n), -EINVAL);
	cr_assert_eq(cgc_base58_decode("O", b, sizeof(b), &n), -EINVAL);
	cr_assert_eq(cgc_base58_decode("I", b, sizeof(b), &n), -EINVAL);
	cr_assert_eq(cgc_base58_decode("l", b, sizeof(b), &n), -EINVAL);
	cr_assert_eq(cgc_base58_decode("2g ", b, sizeof(b), &n), -EINVAL);
	cr_assert_eq(cgc_base58_decode(" 2g", b, sizeof(b), &n), -EINVAL);
	cr_assert_eq(cgc_base58_decode("2g\xff", b, sizeof(b), &n), -EINVAL);
	memset(longstr, 'z', sizeof(longstr) - 1);
	longstr[sizeof(longstr) - 1] = '\0';
	cr_assert_eq(cgc_base58_decode(longstr, b, sizeof(b), &n), -EINVAL);
	longstr[CGC_BASE58_MAX_CHARS] = '\0';	/* within chars, too many bytes */
	cr_assert_eq(cgc_base58_decode(longstr, b, sizeof(b), &n), -EINVAL);
}

Test(base58, small_buffers)
{
	uint8_t bin[3] = { 0x62, 0x62, 0x62 }, out[2];
	char s[4];
	size_t need = 0;

	cr_assert_eq(cgc_base58_encode(bin, 3, s, sizeof(s), &need), -ENOSPC);
	cr_assert_eq(need, 5);
	cr_assert_eq(cgc_base58_decode("a3gV", out, sizeof(out), &need), -ENOSPC);
	cr_assert_eq(need, 3);
}

Test(base58check, addresses)
{
	uint8_t p[64];
	char s[64];
	size_t n;

	/* The genesis block's coinbase address. */
	cr_assert_eq(cgc_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", p, sizeof(p), &n), 0);
	cr_assert_eq(n, 21);
	cgc_hex_encode(p, n, s);
	cr_assert_str_eq(s, "0062e907b15cbf27d5425399ebf6f0fb50ebb88f18");
	cr_assert_eq(cgc_base58check_encode(p, n, s, sizeof(s), NULL), 0);
	cr_assert_str_eq(s, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
	/* USDT on TRON. */
	cr_assert_eq(cgc_base58check_decode("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", p, sizeof(p), &n), 0);
	cgc_hex_encode(p, n, s);
	cr_assert_str_eq(s, "41a614f803b6fd780986a42c78ec9c7f77e6ded13c");
	/* One character changed, one dropped, one added: all rejected. */
	cr_assert_eq(cgc_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", p, sizeof(p), &n), -EINVAL);
	cr_assert_eq(cgc_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN", p, sizeof(p), &n), -EINVAL);
	cr_assert_eq(cgc_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa1", p, sizeof(p), &n), -EINVAL);
	cr_assert_eq(cgc_base58check_decode("111", p, sizeof(p), &n), -EINVAL);
	/* Output too small: -ENOSPC with the payload size. */
	cr_assert_eq(cgc_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", p, 20, &n), -ENOSPC);
	cr_assert_eq(n, 21);
}
