/*
 * SHA-256, HMAC-SHA512, RIPEMD-160, HASH160, hex; Keccak-256.
 * Sources: FIPS 180 "abc"; RFC 4231 test case 1; the RIPEMD-160 page of
 * Bosselaers (homes.esat.kuleuven.be/~bosselae/ripemd160.html); for
 * Keccak-256, Ethereum's Keccak-256("") and "abc", the ERC-20 Transfer
 * topic, and the one-byte (0xcc) and 241-byte known-answer messages of the
 * Keccak submission's KATs as carried by the johanns/sha3 gem's spec
 * (spec/sha3_core_spec.rb); plus OpenSSL's SHA3-256 for the permutation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "common/hash.h"
#include "common/keccak.h"
#include "xprv.h"

static void
hex_of(const uint8_t *d, size_t n, char *out)
{
	cgc_hex_encode(d, n, out);
}

Test(hash, sha256_and_hmac)
{
	uint8_t d[64], key[20];
	char hex[129];

	cr_assert_eq(cgc_sha256("abc", 3, d), 0);
	hex_of(d, 32, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	memset(key, 0x0b, sizeof(key));
	cr_assert_eq(cgc_hmac_sha512(key, sizeof(key), "Hi There", 8, d), 0);
	hex_of(d, 64, hex);
	cr_assert_str_eq(hex, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
}

static const struct {
	const char *in;
	const char *out;
} rmd_vectors[] = {
	{ "", "9c1185a5c5e9fc54612808977ee8f548b2258d31" },
	{ "a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe" },
	{ "abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc" },
	{ "message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36" },
	{ "abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "12a053384a9c0c88e405a06c27dcf49ada62eb2b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	    "b0e20b6e3116640286ed3a87a5713079b21f5189" },
	{ "1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890",
	    "9b752e45573d4b39f4dbd3323cab82bf63326bfb" },
};

Test(hash, ripemd160_published)
{
	uint8_t d[20];
	char hex[41];
	size_t i;
	char *million;

	for (i = 0; i < sizeof(rmd_vectors) / sizeof(rmd_vectors[0]); i++) {
		cgc_ripemd160(rmd_vectors[i].in, strlen(rmd_vectors[i].in), d);
		hex_of(d, 20, hex);
		cr_assert_str_eq(hex, rmd_vectors[i].out, "input \"%s\"",
		    rmd_vectors[i].in);
	}
	million = malloc(1000000);
	cr_assert_not_null(million);
	memset(million, 'a', 1000000);
	cgc_ripemd160(million, 1000000, d);
	free(million);
	hex_of(d, 20, hex);
	cr_assert_str_eq(hex, "52783243c1697bdbe16d37f97f68f08325dc1528");
}

/* Every length across the padding boundaries against OpenSSL, when the
 * running OpenSSL offers RIPEMD-160 at all. */
Test(hash, ripemd160_matches_openssl)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "RIPEMD160", NULL);
	uint8_t in[300], a[20], b[EVP_MAX_MD_SIZE];
	unsigned int blen;
	size_t n;

	if (md == NULL)
		cr_skip_test("OpenSSL has no RIPEMD-160 in its default provider");
	for (n = 0; n < sizeof(in); n++)
		in[n] = (uint8_t)(n * 7 + 3);
	for (n = 0; n <= sizeof(in); n++) {
		cgc_ripemd160(in, n, a);
		cr_assert_eq(EVP_Digest(in, n, b, &blen, md, NULL), 1);
		cr_assert_eq(memcmp(a, b, 20), 0, "length %zu", n);
	}
	EVP_MD_free(md);
}

Test(hash, hash160_of_generator)
{
	uint8_t pub[33], d[20];
	char hex[41];

	/* HASH160 of the compressed generator point (private key 1). */
	cr_assert_eq(cgc_hex_decode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
	    pub, 33), 0);
	cr_assert_eq(cgc_hash160(pub, 33, d), 0);
	hex_of(d, 20, hex);
	cr_assert_str_eq(hex, "751e76e8199196d454941c45d1b3a323f1433bd6");
}

Test(hash, hex_strict)
{
	uint8_t b[2] = { 0xaa, 0xbb };

	cr_assert_eq(cgc_hex_decode("0aFf", b, 2), 0);
	cr_assert(b[0] == 0x0a && b[1] == 0xff);
	cr_assert_eq(cgc_hex_decode("0aF", b, 2), -EINVAL);
	cr_assert_eq(cgc_hex_decode("0aFff", b, 2), -EINVAL);
	cr_assert_eq(cgc_hex_decode("zz00", b, 2), -EINVAL);
	cr_assert_eq(cgc_hex_decode("00zz", b, 2), -EINVAL);
	cr_assert(b[0] == 0x0a && b[1] == 0xff, "left untouched on error");
}

Test(keccak, published_vectors)
{
	static const char long_msg[] =
	    "6172f1971a6e1e4e6170afbad95d5fec99bf69b24b674bc17dd78011615e502d"
	    "e6f56b86b1a71d3f4348087218ac7b7d09302993be272e4a591968aef18a1262"
	    "d665610d1070ee91cc8da36e1f841a69a7a682c580e836941d21d909a3afc1f0"
	    "b963e1ca5ab193e124a1a53df1c587470e5881fb54dae1b0d840f0c8f9d1b04c"
	    "645ba1041c7d8dbf22030a623aa15638b3d99a2c400ff76f3252079af88d2b37"
	    "f35ee66c1ad7801a28d3d388ac450b97d5f0f79e4541755356b3b1a5696b023f"
	    "39ab7ab5f28df4202936bc97393b93bc915cb159ea1bd7a0a414cb4b7a1ac3af"
	    "68f50d79f0c9c7314e750f7d02faa58bfa";
	uint8_t d[32], msg[256];
	char hex[65];
	size_t n;

	cgc_keccak256("", 0, d);
	hex_of(d, 32, hex);
	cr_assert_str_eq(hex, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	cgc_keccak256("abc", 3, d);
	hex_of(d, 32, hex);
	cr_assert_str_eq(hex, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	cgc_keccak256("\xcc", 1, d);
	hex_of(d, 32, hex);
	cr_assert_str_eq(hex, "eead6dbfc7340a56caedc044696a168870549a6a7f6f56961e84a54bd9970b8a");
	/* The ERC-20 Transfer event topic. */
	cgc_keccak256("Transfer(address,address,uint256)", 33, d);
	hex_of(d, 32, hex);
	cr_assert_str_eq(hex, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
	/* 241 bytes: one full 136-byte block, then a partial one. */
	n = cgt_unhex(long_msg, msg, sizeof(msg));
	cr_assert_eq(n, 241);
	cgc_keccak256(msg, n, d);
	hex_of(d, 32, hex);
	cr_assert_str_eq(hex, "4ea524e705020284b18284e34683725590e1ee565a6ff598ed4d42b1c987471e");
}

Test(keccak, not_sha3)
{
	uint8_t k[32], s[32];

	cgc_keccak256("", 0, k);
	cgc_sha3_256("", 0, s);
	cr_assert_neq(memcmp(k, s, 32), 0);
}

/* The sponge over every length up to 4.5 blocks, against OpenSSL SHA3-256
 * (same permutation, other padding), and incremental against one-shot. */
Test(keccak, sponge_matches_openssl_sha3)
{
	uint8_t in[620], a[32], b[32];
	unsigned int blen;
	struct cgc_keccak k;
	size_t n, cut;

	for (n = 0; n < sizeof(in); n++)
		in[n] = (uint8_t)(n ^ (n >> 3));
	for (n = 0; n <= sizeof(in); n++) {
		cgc_sha3_256(in, n, a);
		cr_assert_eq(EVP_Digest(in, n, b, &blen, EVP_sha3_256(), NULL), 1);
		cr_assert_eq(memcmp(a, b, 32), 0, "length %zu", n);
		cgc_keccak256(in, n, a);
		cut = n / 3;
		cgc_keccak256_init(&k);
		cgc_keccak256_update(&k, in, cut);
		cgc_keccak256_update(&k, in + cut, n - cut);
		cgc_keccak256_final(&k, b);
		cr_assert_eq(memcmp(a, b, 32), 0, "split at %zu of %zu", cut, n);
	}
}
