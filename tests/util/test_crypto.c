/*
 * Hash, MAC and cipher known-answer tests.
 * SHA-256: FIPS 180-2 appendix B. HMAC: RFC 4231 test cases 1, 2 and 6.
 * AES-256-GCM: "The Galois/Counter Mode of Operation" (McGrew, Viega),
 * test cases 14 and 16 (the NIST GCM submission's AES-256 vectors).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "util/crypto.h"
#include "util/str.h"

static const char *
hex(const void *p, size_t n)
{
	static char buf[2 * 128 + 1];

	cr_assert(cg_hex_encode(p, n, buf, sizeof(buf)) == (int)(2 * n));
	return buf;
}

static size_t
unhex(const char *s, uint8_t *out, size_t size)
{
	int n = cg_hex_decode(s, strlen(s), out, size);

	cr_assert(n >= 0, "bad hex in test: %s", s);
	return (size_t)n;
}

Test(crypto, sha256_fips180)
{
	uint8_t md[CG_SHA256_LEN];
	char h[65];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	cr_assert_eq(cg_sha256("abc", 3, md), 0);
	cr_assert_str_eq(hex(md, 32),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cr_assert_eq(cg_sha256(two, strlen(two), md), 0);
	cr_assert_str_eq(hex(md, 32),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	cr_assert_eq(cg_sha256_hex("", 0, h), 0);
	cr_assert_str_eq(h,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(crypto, hmac_rfc4231)
{
	uint8_t key1[20], key6[131], mac[CG_SHA512_LEN];
	const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";

	memset(key1, 0x0b, sizeof(key1));
	memset(key6, 0xaa, sizeof(key6));
	/* test case 1 */
	cr_assert_eq(cg_hmac_sha256(key1, 20, "Hi There", 8, mac), 0);
	cr_assert_str_eq(hex(mac, 32),
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	cr_assert_eq(cg_hmac_sha512(key1, 20, "Hi There", 8, mac), 0);
	cr_assert_str_eq(hex(mac, 64),
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
	/* test case 2: a short key */
	cr_assert_eq(cg_hmac_sha256("Jefe", 4, "what do ya want for nothing?",
	    28, mac), 0);
	cr_assert_str_eq(hex(mac, 32),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	cr_assert_eq(cg_hmac_sha512("Jefe", 4, "what do ya want for nothing?",
	    28, mac), 0);
	cr_assert_str_eq(hex(mac, 64),
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	/* test case 6: a key longer than the block */
	cr_assert_eq(cg_hmac_sha256(key6, 131, d6, strlen(d6), mac), 0);
	cr_assert_str_eq(hex(mac, 32),
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	cr_assert_eq(cg_hmac_sha512(key6, 131, d6, strlen(d6), mac), 0);
	cr_assert_str_eq(hex(mac, 64),
	    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	    "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

Test(crypto, hmac_parts_equal_whole)
{
	uint8_t a[CG_SHA256_LEN], b[CG_SHA256_LEN];
	struct cg_bytes parts[] = {
		{ "what do ", 8 }, { "", 0 }, { "ya want for nothing?", 20 },
	};

	cr_assert_eq(cg_hmac_sha256v("Jefe", 4, parts, 3, a), 0);
	cr_assert_eq(cg_hmac_sha256("Jefe", 4, "what do ya want for nothing?",
	    28, b), 0);
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
	/* an empty key is a valid HMAC key */
	cr_assert_eq(cg_hmac_sha256("", 0, "x", 1, a), 0);
	cr_assert_eq(cg_hmac_sha256("\0", 1, "x", 1, b), 0);
	/* HMAC pads the key with zeros: "" and "\0" give the same MAC */
	cr_assert_eq(memcmp(a, b, sizeof(a)), 0);
}

Test(crypto, random)
{
	uint8_t a[32], b[32], zero[32] = { 0 };
	char text[201];
	int seen[62] = { 0 }, i, distinct = 0;
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	cr_assert_eq(cg_random_bytes(a, sizeof(a)), 0);
	cr_assert_eq(cg_random_bytes(b, sizeof(b)), 0);
	cr_assert_neq(memcmp(a, b, 32), 0);
	cr_assert_neq(memcmp(a, zero, 32), 0);
	cr_assert_eq(cg_random_text(b62, 200, text), 0);
	cr_assert_eq(strlen(text), 200);
	for (i = 0; i < 200; i++) {
		const char *p = strchr(b62, text[i]);

		cr_assert_not_null(p, "character outside the alphabet");
		if (seen[p - b62]++ == 0)
			distinct++;
	}
	/* 200 uniform draws from 62 leave about 2 unseen; 40 is absurd */
	cr_assert_gt(distinct, 40);
	cr_assert_eq(cg_random_text("a", 4, text), -EINVAL);
	cr_assert_eq(cg_random_text("ab", 0, text), 0);
	cr_assert_str_eq(text, "");
}

Test(crypto, aes256gcm_known_answers)
{
	uint8_t key[32], iv[12], pt[64], ct[64], tag[16], back[64], aadb[20];
	struct cg_bytes aad;
	size_t n, an;

	/* test case 14: zero key, zero IV, one zero block */
	memset(key, 0, 32);
	memset(iv, 0, 12);
	memset(pt, 0, 16);
	cr_assert_eq(cg_aes256gcm_seal(key, iv, NULL, 0, pt, 16, ct, tag), 0);
	cr_assert_str_eq(hex(ct, 16), "cea7403d4d606b6e074ec5d3baf39d18");
	cr_assert_str_eq(hex(tag, 16), "d0d1c8a799996bf0265b98b5d48ab919");

	/* test case 16: 60-byte plaintext, 20 bytes of associated data */
	unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	    key, 32);
	unhex("cafebabefacedbaddecaf888", iv, 12);
	n = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a"
	    "721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39", pt, 64);
	an = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aadb, 20);
	aad.p = aadb;
	aad.n = an;
	cr_assert_eq(n, 60);
	cr_assert_eq(cg_aes256gcm_seal(key, iv, &aad, 1, pt, n, ct, tag), 0);
	cr_assert_str_eq(hex(ct, n),
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
	cr_assert_str_eq(hex(tag, 16), "76fc6ece0f4e1768cddf8853bb2d551b");
	cr_assert_eq(cg_aes256gcm_open(key, iv, &aad, 1, ct, n, tag, back), 0);
	cr_assert_eq(memcmp(back, pt, n), 0);

	/* any change is refused and the output wiped */
	ct[5] ^= 1;
	cr_assert_eq(cg_aes256gcm_open(key, iv, &aad, 1, ct, n, tag, back),
	    -EBADMSG);
	cr_assert_eq(back[0] | back[5] | back[59], 0);
	ct[5] ^= 1;
	tag[15] ^= 0x80;
	cr_assert_eq(cg_aes256gcm_open(key, iv, &aad, 1, ct, n, tag, back),
	    -EBADMSG);
	tag[15] ^= 0x80;
	aadb[0] ^= 1;
	cr_assert_eq(cg_aes256gcm_open(key, iv, &aad, 1, ct, n, tag, back),
	    -EBADMSG);
	aadb[0] ^= 1;
	cr_assert_eq(cg_aes256gcm_open(key, iv, &aad, 1, ct, n - 1, tag,
	    back), -EBADMSG);
	cr_assert_eq(cg_aes256gcm_open(key, iv, &aad, 1, ct, n, tag, back), 0);
}
