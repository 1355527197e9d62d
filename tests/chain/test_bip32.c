/*
 * BIP32 test vectors 1, 2, 3 (private chains derived by the test support,
 * public keys compared and re-derived with the library's CKDpub wherever
 * the step is non-hardened) and vector 5's invalid keys (bitcoin/bips
 * bip-0032.mediawiki).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/bip32.h"
#include "xprv.h"

struct step {
	const char *path;
	const char *xpub;
	const char *xprv;
};

static const char seed1[] = "000102030405060708090a0b0c0d0e0f";
static const struct step vec1[] = {
	{ "m", "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8",
	    "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi" },
	{ "m/0'", "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw",
	    "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7" },
	{ "m/0'/1", "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ",
	    "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs" },
	{ "m/0'/1/2'", "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5",
	    "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM" },
	{ "m/0'/1/2'/2", "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV",
	    "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334" },
	{ "m/0'/1/2'/2/1000000000", "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy",
	    "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76" },
	{ NULL, NULL, NULL },
};

static const char seed2[] = "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542";
static const struct step vec2[] = {
	{ "m", "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB",
	    "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U" },
	{ "m/0", "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH",
	    "xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt" },
	{ "m/0/2147483647'", "xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZNnBC5y4a",
	    "xprv9wSp6B7kry3Vj9m1zSnLvN3xH8RdsPP1Mh7fAaR7aRLcQMKTR2vidYEeEg2mUCTAwCd6vnxVrcjfy2kRgVsFawNzmjuHc2YmYRmagcEPdU9" },
	{ "m/0/2147483647'/1", "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47EL2dhHKon",
	    "xprv9zFnWC6h2cLgpmSA46vutJzBcfJ8yaJGg8cX1e5StJh45BBciYTRXSd25UEPVuesF9yog62tGAQtHjXajPPdbRCHuWS6T8XA2ECKADdw4Ef" },
	{ "m/0/2147483647'/1/2147483646'", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL",
	    "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc" },
	{ "m/0/2147483647'/1/2147483646'/2", "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW6EEgAtqt",
	    "xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j" },
	{ NULL, NULL, NULL },
};

static const char seed3[] = "4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45d239319ac14f863b8d5ab5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be";
static const struct step vec3[] = {
	{ "m", "xpub661MyMwAqRbcEZVB4dScxMAdx6d4nFc9nvyvH3v4gJL378CSRZiYmhRoP7mBy6gSPSCYk6SzXPTf3ND1cZAceL7SfJ1Z3GC8vBgp2epUt13",
	    "xprv9s21ZrQH143K25QhxbucbDDuQ4naNntJRi4KUfWT7xo4EKsHt2QJDu7KXp1A3u7Bi1j8ph3EGsZ9Xvz9dGuVrtHHs7pXeTzjuxBrCmmhgC6" },
	{ "m/0'", "xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y",
	    "xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L" },
	{ NULL, NULL, NULL },
};

/* The last element of a path, when it is non-hardened. */
static int
last_public_index(const char *path, uint32_t *index)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return 0;
	n = strlen(slash + 1);
	if (slash[n] == '\'')
		return 0;
	*index = (uint32_t)strtoul(slash + 1, NULL, 10);
	return 1;
}

static int
xpub_eq(const struct cgc_xpub *a, const struct cgc_xpub *b)
{
	return a->version == b->version && a->depth == b->depth &&
	    memcmp(a->parent_fp, b->parent_fp, 4) == 0 &&
	    a->child == b->child &&
	    memcmp(a->chain_code, b->chain_code, 32) == 0 &&
	    memcmp(a->key, b->key, 33) == 0;
}

static void
run_vector(const char *seedhex, const struct step *steps)
{
	uint8_t seed[64];
	size_t seedlen = cgt_unhex(seedhex, seed, sizeof(seed));
	struct cgt_xprv master, x;
	struct cgc_xpub pub, parsed, prev, child;
	char s[CGC_XKEY_STR_MAX];
	const char *why = NULL;
	uint32_t index;
	uint8_t key[33];
	size_t i;

	cr_assert_eq(cgt_xprv_from_seed(seed, seedlen, 0x0488ade4, &master), 0);
	for (i = 0; steps[i].path != NULL; i++) {
		cr_assert_eq(cgt_xprv_derive(&master, steps[i].path, &x), 0);
		cr_assert_eq(cgt_xprv_format(&x, s, sizeof(s)), 0);
		cr_assert_str_eq(s, steps[i].xprv, "xprv at %s", steps[i].path);
		cr_assert_eq(cgt_xprv_neuter(&x, 0x0488b21e, &pub), 0);
		cr_assert_eq(cgc_xpub_format(&pub, s, sizeof(s), NULL), 0);
		cr_assert_str_eq(s, steps[i].xpub, "xpub at %s", steps[i].path);
		/* Parse and re-serialize the published string. */
		cr_assert_eq(cgc_xpub_parse(steps[i].xpub, &parsed, &why), 0,
		    "%s: %s", steps[i].path, why);
		cr_assert(xpub_eq(&parsed, &pub));
		/* Non-hardened step: CKDpub from the parent xpub must agree. */
		if (i > 0 && last_public_index(steps[i].path, &index)) {
			cr_assert_eq(cgc_xpub_child(&prev, index, &child, &why), 0);
			cr_assert_eq(cgc_xpub_format(&child, s, sizeof(s), NULL), 0);
			cr_assert_str_eq(s, steps[i].xpub, "CKDpub at %s", steps[i].path);
			cr_assert_eq(cgc_xpub_child_key(&prev, index, key), 0);
			cr_assert_eq(memcmp(key, pub.key, 33), 0);
		}
		prev = parsed;
	}
}

Test(bip32, vector1) { run_vector(seed1, vec1); }
Test(bip32, vector2) { run_vector(seed2, vec2); }
Test(bip32, vector3) { run_vector(seed3, vec3); }

/* BIP32 test vector 5: invalid extended keys. */
static const char *invalid_pub[] = {
	"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6LBpB85b3D2yc8sfvZU521AAwdZafEz7mnzBBsz4wKY5fTtTQBm",	/* pubkey version / prvkey mismatch */
	"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6Txnt3siSujt9RCVYsx4qHZGc62TG4McvMGcAUjeuwZdduYEvFn",	/* invalid pubkey prefix 04 */
	"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6N8ZMMXctdiCjxTNq964yKkwrkBJJwpzZS4HS2fxvyYUA4q2Xe4",	/* invalid pubkey prefix 01 */
	"xpub661no6RGEX3uJkY4bNnPcw4URcQTrSibUZ4NqJEw5eBkv7ovTwgiT91XX27VbEXGENhYRCf7hyEbWrR3FewATdCEebj6znwMfQkhRYHRLpJ",	/* zero depth, non-zero parent fingerprint */
	"xpub661MyMwAuDcm6CRQ5N4qiHKrJ39Xe1R1NyfouMKTTWcguwVcfrZJaNvhpebzGerh7gucBvzEQWRugZDuDXjNDRmXzSZe4c7mnTK97pTvGS8",	/* zero depth, non-zero index */
	"DMwo58pR1QLEFihHiXPVykYB6fJmsTeHvyTp7hRThAtCX8CvYzgPcn8XnmdfHGMQzT7ayAmfo4z3gY5KfbrZWZ6St24UVf2Qgo6oujFktLHdHY4",	/* unknown version */
	"DMwo58pR1QLEFihHiXPVykYB6fJmsTeHvyTp7hRThAtCX8CvYzgPcn8XnmdfHPmHJiEDXkTiJTVV9rHEBUem2mwVbbNfvT2MTcAqj3nesx8uBf9",	/* unknown version */
	"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6Q5JXayek4PRsn35jii4veMimro1xefsM58PgBMrvdYre8QyULY",	/* invalid pubkey 02...07 */
};

static const char *invalid_prv[] = {
	"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFGTQQD3dC4H2D5GBj7vWvSQaaBv5cxi9gafk7NF3pnBju6dwKvH",	/* prvkey version / pubkey mismatch */
	"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFGpWnsj83BHtEy5Zt8CcDr1UiRXuWCmTQLxEK9vbz5gPstX92JQ",	/* invalid prvkey prefix 04 */
	"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFAzHGBP2UuGCqWLTAPLcMtD9y5gkZ6Eq3Rjuahrv17fEQ3Qen6J",	/* invalid prvkey prefix 01 */
	"xprv9s2SPatNQ9Vc6GTbVMFPFo7jsaZySyzk7L8n2uqKXJen3KUmvQNTuLh3fhZMBoG3G4ZW1N2kZuHEPY53qmbZzCHshoQnNf4GvELZfqTUrcv",	/* zero depth, non-zero parent fingerprint */
	"xprv9s21ZrQH4r4TsiLvyLXqM9P7k1K3EYhA1kkD6xuquB5i39AU8KF42acDyL3qsDbU9NmZn6MsGSUYZEsuoePmjzsB3eFKSUEh3Gu1N3cqVUN",	/* zero depth, non-zero index */
	"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzF93Y5wvzdUayhgkkFoicQZcP3y52uPPxFnfoLZB21Teqt1VvEHx",	/* private key 0 */
	"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFAzHGBP2UuGCqWLTAPLcMtD5SDKr24z3aiUvKr9bJpdrcLg1y3G",	/* private key n */
	"xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHL",	/* invalid checksum */
};

Test(bip32, vector5_invalid_public)
{
	struct cgc_xpub x;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(invalid_pub) / sizeof(invalid_pub[0]); i++) {
		why = NULL;
		cr_assert_eq(cgc_xpub_parse(invalid_pub[i], &x, &why), -EINVAL, "#%zu", i);
		cr_assert_not_null(why);
	}
}

Test(bip32, vector5_invalid_private)
{
	struct cgt_xprv x;
	struct cgc_xpub p;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(invalid_prv) / sizeof(invalid_prv[0]); i++) {
		cr_assert_eq(cgt_xprv_parse(invalid_prv[i], &x, &why), -EINVAL, "#%zu", i);
		/* And the public parser never takes any of them. */
		cr_assert_eq(cgc_xpub_parse(invalid_prv[i], &p, &why), -EINVAL, "#%zu", i);
	}
}

Test(bip32, refuses_private_keys_and_hardened)
{
	struct cgc_xpub x, c;
	const char *why = NULL;

	cr_assert_eq(cgc_xpub_parse(vec1[0].xprv, &x, &why), -EINVAL);
	cr_assert(strstr(why, "PRIVATE") != NULL, "why: %s", why);
	cr_assert_eq(cgc_xpub_parse(vec1[0].xpub, &x, &why), 0);
	cr_assert_eq(cgc_xpub_child(&x, CGC_BIP32_HARDENED, &c, &why), -EINVAL);
	cr_assert(strstr(why, "hardened") != NULL, "why: %s", why);
	cr_assert_eq(cgc_xpub_derive_path(&x, "0'/1", &c, &why), -EINVAL);
	cr_assert(strstr(why, "hardened") != NULL, "why: %s", why);
	cr_assert_eq(cgc_xpub_derive_path(&x, "0h", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "2147483648", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "m/0", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "0/", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "/0", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "0//1", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "01", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "-1", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "1 ", &c, &why), -EINVAL);
	cr_assert_eq(cgc_xpub_derive_path(&x, "", &c, &why), 0);
	cr_assert(xpub_eq(&x, &c));
	cr_assert_eq(cgc_xpub_derive_path(&x, "2147483647/0", &c, &why), 0);
	cr_assert_eq(c.depth, 2);
}

Test(bip32, depth_limit)
{
	struct cgc_xpub x, c;
	const char *why = NULL;

	cr_assert_eq(cgc_xpub_parse(vec1[0].xpub, &x, &why), 0);
	x.depth = 255;
	cr_assert_eq(cgc_xpub_child(&x, 0, &c, &why), -EINVAL);
}

Test(bip32, version_table)
{
	const struct cgc_xkey_version *v;
	struct cgc_xpub x;
	char s[CGC_XKEY_STR_MAX];
	const char *names[] = { "xpub", "ypub", "zpub", "tpub", "upub", "vpub",
	    "Ltub", "Mtub", "ttub" };
	size_t i;

	cr_assert_eq(cgc_xpub_parse(vec1[1].xpub, &x, NULL), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = cgc_xkey_version_by_name(names[i]);
		cr_assert_not_null(v, "%s", names[i]);
		/* Every version really encodes to its own prefix. */
		cr_assert_eq(cgc_xpub_format_as(&x, v->pub, s, sizeof(s), NULL), 0);
		cr_assert_eq(strncmp(s, names[i], 4), 0, "%s gave %s", names[i], s);
		cr_assert_eq(strlen(s), 111);
	}
	cr_assert_null(cgc_xkey_version_by_name("Zpub"));
	cr_assert_eq(cgc_xpub_format_as(&x, 0x12345678, s, sizeof(s), NULL), -EINVAL);
}

/* Pure operations may run on many threads at once (DESIGN: plugin ABI):
 * the lazily created secp256k1 context and everything else must give the
 * same keys on every thread as on one. */
#include <pthread.h>

#define THREADS 4
#define PER_THREAD 64

static const char zpub84[] = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
static uint8_t thread_keys[THREADS][PER_THREAD][33];

static void *
derive_many(void *arg)
{
	uintptr_t t = (uintptr_t)arg;
	struct cgc_xpub acct;
	uint32_t i;

	if (cgc_xpub_parse(zpub84, &acct, NULL) != 0)
		return (void *)1;
	for (i = 0; i < PER_THREAD; i++)
		if (cgc_xpub_derive_key(&acct, 0, i, thread_keys[t][i]) != 0)
			return (void *)1;
	return NULL;
}

Test(bip32, concurrent_derivation)
{
	pthread_t th[THREADS];
	struct cgc_xpub acct;
	uint8_t key[33];
	void *rv;
	uintptr_t t;
	uint32_t i;

	/* Threads start before anything has created the context. */
	for (t = 0; t < THREADS; t++)
		cr_assert_eq(pthread_create(&th[t], NULL, derive_many, (void *)t), 0);
	for (t = 0; t < THREADS; t++) {
		cr_assert_eq(pthread_join(th[t], &rv), 0);
		cr_assert_null(rv);
	}
	cr_assert_eq(cgc_xpub_parse(zpub84, &acct, NULL), 0);
	for (i = 0; i < PER_THREAD; i++) {
		cr_assert_eq(cgc_xpub_derive_key(&acct, 0, i, key), 0);
		for (t = 0; t < THREADS; t++)
			cr_assert_eq(memcmp(key, thread_keys[t][i], 33), 0, "thread %zu index %u",
			    (size_t)t, i);
	}
}
