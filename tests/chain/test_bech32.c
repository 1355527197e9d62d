/*
 * Bech32/Bech32m and segwit addresses: the valid and invalid vectors of
 * BIP173 and BIP350 (bitcoin/bips). BIP173's v1+ addresses written with a
 * Bech32 checksum are invalid since BIP350 and are tested as such.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/bech32.h"
#include "common/hash.h"
#include "xprv.h"

static const char *valid_bech32[] = {
	"A12UEL5L",
	"a12uel5l",
	"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
	"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
	"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	"?1ezyfcl",
};

static const char *valid_bech32m[] = {
	"A1LQFN3A",
	"a1lqfn3a",
	"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
	"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
	"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
	"split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
	"?1v759aa",
};

static const char *invalid_bech32[] = {
	" 1nwldj5", "\x7f" "1axkwrx", "\x80" "1eym55h",
	"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
	"pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3",
	"de1lg7wt\xff", "A1G7SGD8", "10a06t8", "1qzzfhee",
	/* BIP350's invalid Bech32m list */
	" 1xj0phk", "\x7f" "1g6xzxy", "\x80" "1vctc34",
	"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
	"qyrz8wqd2c9m", "1qyrz8wqd2c9m", "y1b0jsk6g", "lt1igcx5c0",
	"in1muywd", "mm1crxm3i", "au1s5cgom", "M1VUXWEZ", "16plkw9",
	"1p2gdwpf",
};

static void
check_valid(const char *s, enum cgc_bech32_variant want)
{
	char hrp[84], again[91], lower[91];
	uint8_t data[90];
	size_t n, i;
	enum cgc_bech32_variant v;

	cr_assert_eq(cgc_bech32_decode(s, hrp, sizeof(hrp), data, sizeof(data), &n, &v), 0,
	    "valid %s", s);
	cr_assert_eq(v, want, "variant of %s", s);
	cr_assert_eq(cgc_bech32_encode(hrp, data, n, v, again, sizeof(again), NULL), 0);
	for (i = 0; s[i] != '\0'; i++)
		lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	lower[i] = '\0';
	cr_assert_str_eq(again, lower);
}

Test(bech32, valid)
{
	size_t i;

	for (i = 0; i < sizeof(valid_bech32) / sizeof(valid_bech32[0]); i++)
		check_valid(valid_bech32[i], CGC_BECH32);
	for (i = 0; i < sizeof(valid_bech32m) / sizeof(valid_bech32m[0]); i++)
		check_valid(valid_bech32m[i], CGC_BECH32M);
}

Test(bech32, invalid)
{
	char hrp[84];
	uint8_t data[90];
	size_t n, i;

	for (i = 0; i < sizeof(invalid_bech32) / sizeof(invalid_bech32[0]); i++)
		cr_assert_eq(cgc_bech32_decode(invalid_bech32[i], hrp, sizeof(hrp),
		    data, sizeof(data), &n, NULL), -EINVAL, "invalid #%zu %s", i,
		    invalid_bech32[i]);
}

static const struct {
	const char *addr;
	const char *script;
} valid_segwit[] = {
	{ "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6" },
	{ "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
	    "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262" },
	{ "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
	    "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6" },
	{ "BC1SW50QGDZ25J", "6002751e" },
	{ "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323" },
	{ "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
	    "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433" },
	{ "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
	    "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433" },
	{ "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
	    "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" },
};

static const char *
hrp_of(const char *addr)
{
	return (addr[0] == 't' || addr[0] == 'T') ? "tb" : "bc";
}

Test(segwit, valid_bip173_bip350)
{
	uint8_t prog[40], script[42];
	char hex[90], again[91], lower[91];
	unsigned ver;
	size_t n, i, j;

	for (i = 0; i < sizeof(valid_segwit) / sizeof(valid_segwit[0]); i++) {
		const char *a = valid_segwit[i].addr;

		cr_assert_eq(cgc_segwit_decode(hrp_of(a), a, &ver, prog, &n), 0, "%s", a);
		script[0] = ver == 0 ? 0 : (uint8_t)(0x50 + ver);
		script[1] = (uint8_t)n;
		memcpy(script + 2, prog, n);
		cgc_hex_encode(script, n + 2, hex);
		cr_assert_str_eq(hex, valid_segwit[i].script, "%s", a);
		cr_assert_eq(cgc_segwit_encode(hrp_of(a), ver, prog, n, again, sizeof(again), NULL), 0);
		for (j = 0; a[j] != '\0'; j++)
			lower[j] = (a[j] >= 'A' && a[j] <= 'Z') ? (char)(a[j] + 32) : a[j];
		lower[j] = '\0';
		cr_assert_str_eq(again, lower);
	}
}

static const char *invalid_segwit[] = {
	/* BIP173 */
	"tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
	"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
	"BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
	"bc1rw5uspcuh",
	"bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
	"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
	"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
	"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
	"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
	"bc1gmk9yu",
	/* BIP173's v1+ examples, Bech32-checksummed: invalid under BIP350 */
	"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
	"BC1SW50QA3JX3S",
	"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
	/* BIP350 */
	"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
	"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
	"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
	"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
	"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
	"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
	"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
	"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
	"bc1pw5dgrnzv",
	"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
	"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
	"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
	"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
	"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
};

Test(segwit, invalid_bip173_bip350)
{
	uint8_t prog[40];
	unsigned ver;
	size_t n, i;

	for (i = 0; i < sizeof(invalid_segwit) / sizeof(invalid_segwit[0]); i++) {
		const char *a = invalid_segwit[i];

		cr_assert_neq(cgc_segwit_decode("bc", a, &ver, prog, &n), 0, "%s", a);
		cr_assert_neq(cgc_segwit_decode("tb", a, &ver, prog, &n), 0, "%s", a);
	}
}

Test(segwit, encoder_refuses_bad_programs)
{
	uint8_t prog[41] = { 0 };
	char out[100];
	size_t need;

	cr_assert_eq(cgc_segwit_encode("bc", 0, prog, 21, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_segwit_encode("bc", 17, prog, 20, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_segwit_encode("bc", 1, prog, 41, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_segwit_encode("bc", 1, prog, 1, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_segwit_encode("BC", 0, prog, 20, out, sizeof(out), NULL), -EINVAL);
	cr_assert_eq(cgc_segwit_encode("bc", 0, prog, 20, out, 10, &need), -ENOSPC);
	cr_assert_eq(need, 43);
	cr_assert_eq(cgc_segwit_encode("ltc", 0, prog, 20, out, sizeof(out), NULL), 0);
	cr_assert_eq(strncmp(out, "ltc1q", 5), 0);
}
