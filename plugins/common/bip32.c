/*
 * BIP32 public derivation over libsecp256k1. Version bytes from SLIP-0132
 * (satoshilabs/slips, "Registered HD version bytes for BIP-0032").
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/base58.h"
#include "common/bip32.h"
#include "common/hash.h"

static const struct cgc_xkey_version xkey_versions[] = {
	{ "xpub", 0x0488b21e, 0x0488ade4, CGC_XNET_MAIN, CGC_SCRIPT_UNSPECIFIED },
	{ "ypub", 0x049d7cb2, 0x049d7878, CGC_XNET_MAIN, CGC_SCRIPT_P2SH_P2WPKH },
	{ "zpub", 0x04b24746, 0x04b2430c, CGC_XNET_MAIN, CGC_SCRIPT_P2WPKH },
	{ "tpub", 0x043587cf, 0x04358394, CGC_XNET_TEST, CGC_SCRIPT_UNSPECIFIED },
	{ "upub", 0x044a5262, 0x044a4e28, CGC_XNET_TEST, CGC_SCRIPT_P2SH_P2WPKH },
	{ "vpub", 0x045f1cf6, 0x045f18bc, CGC_XNET_TEST, CGC_SCRIPT_P2WPKH },
	{ "Ltub", 0x019da462, 0x019d9cfe, CGC_XNET_LTC, CGC_SCRIPT_UNSPECIFIED },
	{ "Mtub", 0x01b26ef6, 0x01b26792, CGC_XNET_LTC, CGC_SCRIPT_P2SH_P2WPKH },
	{ "ttub", 0x0436f6e1, 0x0436ef7d, CGC_XNET_LTC_TEST,
	    CGC_SCRIPT_UNSPECIFIED },
};
#define NVERSIONS (sizeof(xkey_versions) / sizeof(xkey_versions[0]))

const struct cgc_xkey_version *
cgc_xkey_version_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NVERSIONS; i++)
		if (strcmp(xkey_versions[i].name, name) == 0)
			return &xkey_versions[i];
	return NULL;
}

const struct cgc_xkey_version *
cgc_xkey_version_by_pub(uint32_t version)
{
	size_t i;

	for (i = 0; i < NVERSIONS; i++)
		if (xkey_versions[i].pub == version)
			return &xkey_versions[i];
	return NULL;
}

const struct cgc_xkey_version *
cgc_xkey_version_by_priv(uint32_t version)
{
	size_t i;

	for (i = 0; i < NVERSIONS; i++)
		if (xkey_versions[i].priv == version)
			return &xkey_versions[i];
	return NULL;
}

uint32_t
cgc_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
cgc_xkey_put_header(uint8_t buf[CGC_XKEY_LEN], uint32_t version,
    uint8_t depth, const uint8_t parent_fp[4], uint32_t child,
    const uint8_t chain_code[32])
{
	put_be32(buf, version);
	buf[4] = depth;
	memcpy(buf + 5, parent_fp, 4);
	put_be32(buf + 9, child);
	memcpy(buf + 13, chain_code, 32);
}

static int
fail(const char **why, const char *msg, int rc)
{
	if (why != NULL)
		*why = msg;
	return rc;
}

int
cgc_xpub_parse(const char *s, struct cgc_xpub *out, const char **why)
{
	const secp256k1_context *ctx = cgc_secp256k1();
	uint8_t buf[CGC_XKEY_LEN];
	secp256k1_pubkey pk;
	struct cgc_xpub x;
	uint32_t version;
	size_t len;
	int rc;

	if (ctx == NULL)
		return fail(why, "secp256k1 context unavailable", -ENOMEM);
	if (s == NULL || out == NULL)
		return fail(why, "no extended key given", -EINVAL);
	rc = cgc_base58check_decode(s, buf, sizeof(buf), &len);
	if (rc == -EIO)
		return fail(why, "hashing failed", -EIO);
	if (rc != 0 && rc != -ENOSPC)
		return fail(why, "not a Base58Check string (bad character, "
		    "length or checksum)", -EINVAL);
	if (rc == -ENOSPC || len != CGC_XKEY_LEN) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return fail(why, "extended key is not 78 bytes long", -EINVAL);
	}
	version = cgc_be32(buf);
	x.version = version;
	x.depth = buf[4];
	memcpy(x.parent_fp, buf + 5, 4);
	x.child = cgc_be32(buf + 9);
	memcpy(x.chain_code, buf + 13, 32);
	memcpy(x.key, buf + 45, CGC_PUBKEY_LEN);
	/* Until the version is known public, this may be a private key. */
	OPENSSL_cleanse(buf, sizeof(buf));
	if (cgc_xkey_version_by_priv(version) != NULL) {
		OPENSSL_cleanse(&x, sizeof(x));
		return fail(why, "this is an extended PRIVATE key; give the "
		    "extended public key (xpub) instead and keep the private "
		    "key off the gateway", -EINVAL);
	}
	if (cgc_xkey_version_by_pub(version) == NULL) {
		OPENSSL_cleanse(&x, sizeof(x));
		return fail(why, "unknown extended key version", -EINVAL);
	}
	if (x.depth == 0 && cgc_be32(x.parent_fp) != 0)
		return fail(why, "zero depth with non-zero parent fingerprint",
		    -EINVAL);
	if (x.depth == 0 && x.child != 0)
		return fail(why, "zero depth with non-zero child index",
		    -EINVAL);
	if (x.key[0] != 0x02 && x.key[0] != 0x03)
		return fail(why, "public key prefix is not 02 or 03", -EINVAL);
	if (!secp256k1_ec_pubkey_parse(ctx, &pk, x.key, CGC_PUBKEY_LEN))
		return fail(why, "public key is not a point on secp256k1",
		    -EINVAL);
	*out = x;
	return 0;
}

int
cgc_xpub_format_as(const struct cgc_xpub *x, uint32_t version, char *out,
    size_t outsz, size_t *needed)
{
	uint8_t buf[CGC_XKEY_LEN];

	if (x == NULL || cgc_xkey_version_by_pub(version) == NULL)
		return -EINVAL;
	cgc_xkey_put_header(buf, version, x->depth, x->parent_fp, x->child,
	    x->chain_code);
	memcpy(buf + 45, x->key, CGC_PUBKEY_LEN);
	return cgc_base58check_encode(buf, sizeof(buf), out, outsz, needed);
}

int
cgc_xpub_format(const struct cgc_xpub *x, char *out, size_t outsz,
    size_t *needed)
{
	if (x == NULL)
		return -EINVAL;
	return cgc_xpub_format_as(x, x->version, out, outsz, needed);
}

int
cgc_xpub_fingerprint(const struct cgc_xpub *x, uint8_t fp[4])
{
	uint8_t h[CGC_HASH160_LEN];

	if (x == NULL || cgc_hash160(x->key, CGC_PUBKEY_LEN, h) != 0)
		return -EIO;
	memcpy(fp, h, 4);
	return 0;
}

/* CKDpub without the bookkeeping: the child's key and chain code. */
static int
ckd_pub(const struct cgc_xpub *parent, uint32_t index,
    uint8_t key[CGC_PUBKEY_LEN], uint8_t chain_code[32], const char **why)
{
	const secp256k1_context *ctx = cgc_secp256k1();
	uint8_t data[CGC_PUBKEY_LEN + 4], I[CGC_SHA512_LEN];
	secp256k1_pubkey pk;
	size_t n = CGC_PUBKEY_LEN;

	if (ctx == NULL)
		return fail(why, "secp256k1 context unavailable", -ENOMEM);
	if (parent == NULL)
		return fail(why, "no key given", -EINVAL);
	if (index & CGC_BIP32_HARDENED)
		return fail(why, "hardened index: an extended public key can "
		    "derive only non-hardened children (index < 2^31)",
		    -EINVAL);
	if (!secp256k1_ec_pubkey_parse(ctx, &pk, parent->key, CGC_PUBKEY_LEN))
		return fail(why, "public key is not a point on secp256k1",
		    -EINVAL);
	memcpy(data, parent->key, CGC_PUBKEY_LEN);
	put_be32(data + CGC_PUBKEY_LEN, index);
	if (cgc_hmac_sha512(parent->chain_code, 32, data, sizeof(data), I) !=
	    0)
		return fail(why, "HMAC-SHA512 failed", -EIO);
	/* Fails when IL >= n or the sum is the point at infinity. */
	if (!secp256k1_ec_pubkey_tweak_add(ctx, &pk, I))
		return fail(why, "this index gives no valid key; use the next "
		    "one", -ERANGE);
	if (!secp256k1_ec_pubkey_serialize(ctx, key, &n, &pk,
	    SECP256K1_EC_COMPRESSED) || n != CGC_PUBKEY_LEN)
		return fail(why, "cannot serialize the child key", -EIO);
	if (chain_code != NULL)
		memcpy(chain_code, I + 32, 32);
	return 0;
}

int
cgc_xpub_child(const struct cgc_xpub *parent, uint32_t index,
    struct cgc_xpub *child, const char **why)
{
	struct cgc_xpub c;
	int rc;

	if (parent == NULL || child == NULL)
		return fail(why, "no key given", -EINVAL);
	if (parent->depth == CGC_BIP32_MAX_DEPTH)
		return fail(why, "depth would exceed 255", -EINVAL);
	rc = ckd_pub(parent, index, c.key, c.chain_code, why);
	if (rc != 0)
		return rc;
	if (cgc_xpub_fingerprint(parent, c.parent_fp) != 0)
		return fail(why, "hashing failed", -EIO);
	c.version = parent->version;
	c.depth = (uint8_t)(parent->depth + 1);
	c.child = index;
	*child = c;
	return 0;
}

int
cgc_xpub_child_key(const struct cgc_xpub *parent, uint32_t index,
    uint8_t key[CGC_PUBKEY_LEN])
{
	uint8_t k[CGC_PUBKEY_LEN];
	int rc;

	if (key == NULL)
		return -EINVAL;
	rc = ckd_pub(parent, index, k, NULL, NULL);
	if (rc == 0)
		memcpy(key, k, sizeof(k));
	return rc;
}

/* One path element: decimal, no sign, no leading zero, below 2^31. */
static int
path_index(const char **pp, uint32_t *index, const char **why)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return fail(why, "path element is not a decimal index",
		    -EINVAL);
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return fail(why, "path index has a leading zero", -EINVAL);
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v >= CGC_BIP32_HARDENED)
			return fail(why, "path index is 2^31 or more (hardened)",
			    -EINVAL);
	}
	if (*p == '\'' || *p == 'h' || *p == 'H')
		return fail(why, "hardened path element: an extended public "
		    "key can derive only non-hardened children", -EINVAL);
	if (*p != '\0' && *p != '/')
		return fail(why, "unexpected character in path", -EINVAL);
	*index = (uint32_t)v;
	*pp = p;
	return 0;
}

int
cgc_xpub_derive_path(const struct cgc_xpub *parent, const char *path,
    struct cgc_xpub *out, const char **why)
{
	struct cgc_xpub cur;
	uint32_t index;
	int rc;

	if (parent == NULL || path == NULL || out == NULL)
		return fail(why, "no key or path given", -EINVAL);
	if (path[0] == 'm' || path[0] == 'M')
		return fail(why, "path must be relative to the given key "
		    "(e.g. \"0/5\"), without \"m/\"", -EINVAL);
	cur = *parent;
	while (*path != '\0') {
		rc = path_index(&path, &index, why);
		if (rc != 0)
			return rc;
		if (*path == '/' && path[1] == '\0')
			return fail(why, "path ends with '/'", -EINVAL);
		if (*path == '/')
			path++;
		rc = cgc_xpub_child(&cur, index, &cur, why);
		if (rc != 0)
			return rc;
	}
	*out = cur;
	return 0;
}

int
cgc_xpub_derive_key(const struct cgc_xpub *account, uint32_t change,
    uint32_t index, uint8_t key[CGC_PUBKEY_LEN])
{
	struct cgc_xpub c;
	int rc;

	if (key == NULL)
		return -EINVAL;
	rc = cgc_xpub_child(account, change, &c, NULL);
	if (rc == 0)
		rc = cgc_xpub_child_key(&c, index, key);
	return rc;
}
