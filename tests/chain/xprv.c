/*
 * TEST SUPPORT ONLY (see xprv.h). Private-key arithmetic goes through
 * libsecp256k1 (seckey_tweak_add, pubkey_create).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/base58.h"
#include "common/hash.h"
#include "common/secp.h"
#include "xprv.h"

static int
pubkey_of(const uint8_t key[32], uint8_t pub[33])
{
	const secp256k1_context *ctx = cgc_secp256k1();
	secp256k1_pubkey pk;
	size_t n = 33;

	if (ctx == NULL || !secp256k1_ec_pubkey_create(ctx, &pk, key))
		return -EINVAL;
	if (!secp256k1_ec_pubkey_serialize(ctx, pub, &n, &pk,
	    SECP256K1_EC_COMPRESSED))
		return -EINVAL;
	return 0;
}

int
cgt_xprv_from_seed(const uint8_t *seed, size_t len, uint32_t version,
    struct cgt_xprv *out)
{
	uint8_t I[64];

	if (len < 16 || len > 64)
		return -EINVAL;
	if (cgc_hmac_sha512("Bitcoin seed", 12, seed, len, I) != 0)
		return -EIO;
	if (!secp256k1_ec_seckey_verify(cgc_secp256k1(), I))
		return -ERANGE;
	memset(out, 0, sizeof(*out));
	out->version = version;
	memcpy(out->key, I, 32);
	memcpy(out->chain_code, I + 32, 32);
	return 0;
}

int
cgt_xprv_child(const struct cgt_xprv *parent, uint32_t index,
    struct cgt_xprv *child)
{
	uint8_t data[37], I[64], pub[33], h[20];
	struct cgt_xprv c;

	if (pubkey_of(parent->key, pub) != 0)
		return -EINVAL;
	if (index & CGC_BIP32_HARDENED) {
		data[0] = 0;
		memcpy(data + 1, parent->key, 32);
	} else {
		memcpy(data, pub, 33);
	}
	data[33] = (uint8_t)(index >> 24);
	data[34] = (uint8_t)(index >> 16);
	data[35] = (uint8_t)(index >> 8);
	data[36] = (uint8_t)index;
	if (cgc_hmac_sha512(parent->chain_code, 32, data, sizeof(data), I) != 0)
		return -EIO;
	c = *parent;
	if (!secp256k1_ec_seckey_tweak_add(cgc_secp256k1(), c.key, I))
		return -ERANGE;
	if (cgc_hash160(pub, 33, h) != 0)
		return -EIO;
	memcpy(c.parent_fp, h, 4);
	c.depth = (uint8_t)(parent->depth + 1);
	c.child = index;
	memcpy(c.chain_code, I + 32, 32);
	*child = c;
	return 0;
}

int
cgt_xprv_derive(const struct cgt_xprv *master, const char *path,
    struct cgt_xprv *out)
{
	struct cgt_xprv cur = *master;
	unsigned long v;
	char *end;

	if (path[0] != 'm')
		return -EINVAL;
	path++;
	while (*path == '/') {
		path++;
		if (*path < '0' || *path > '9')
			return -EINVAL;
		v = strtoul(path, &end, 10);
		if (v >= CGC_BIP32_HARDENED)
			return -EINVAL;
		if (*end == '\'' || *end == 'h' || *end == 'H') {
			v |= CGC_BIP32_HARDENED;
			end++;
		}
		if (cgt_xprv_child(&cur, (uint32_t)v, &cur) != 0)
			return -EINVAL;
		path = end;
	}
	if (*path != '\0')
		return -EINVAL;
	*out = cur;
	return 0;
}

int
cgt_xprv_neuter(const struct cgt_xprv *x, uint32_t pubversion,
    struct cgc_xpub *out)
{
	out->version = pubversion;
	out->depth = x->depth;
	memcpy(out->parent_fp, x->parent_fp, 4);
	out->child = x->child;
	memcpy(out->chain_code, x->chain_code, 32);
	return pubkey_of(x->key, out->key);
}

int
cgt_xprv_format(const struct cgt_xprv *x, char *out, size_t outsz)
{
	uint8_t buf[CGC_XKEY_LEN];

	cgc_xkey_put_header(buf, x->version, x->depth, x->parent_fp, x->child,
	    x->chain_code);
	buf[45] = 0;
	memcpy(buf + 46, x->key, 32);
	return cgc_base58check_encode(buf, sizeof(buf), out, outsz, NULL);
}

int
cgt_xprv_parse(const char *s, struct cgt_xprv *out, const char **why)
{
	uint8_t buf[CGC_XKEY_LEN];
	size_t len;

	*why = "";
	if (cgc_base58check_decode(s, buf, sizeof(buf), &len) != 0 ||
	    len != CGC_XKEY_LEN) {
		*why = "base58check";
		return -EINVAL;
	}
	if (cgc_xkey_version_by_priv(cgc_be32(buf)) == NULL) {
		*why = "version";
		return -EINVAL;
	}
	out->version = cgc_be32(buf);
	out->depth = buf[4];
	memcpy(out->parent_fp, buf + 5, 4);
	out->child = cgc_be32(buf + 9);
	memcpy(out->chain_code, buf + 13, 32);
	if (out->depth == 0 && (cgc_be32(out->parent_fp) != 0 ||
	    out->child != 0)) {
		*why = "depth 0";
		return -EINVAL;
	}
	if (buf[45] != 0) {
		*why = "prefix";
		return -EINVAL;
	}
	memcpy(out->key, buf + 46, 32);
	if (!secp256k1_ec_seckey_verify(cgc_secp256k1(), out->key)) {
		*why = "range";
		return -EINVAL;
	}
	return 0;
}

int
cgt_bip39_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64])
{
	char salt[256];

	if (snprintf(salt, sizeof(salt), "mnemonic%s",
	    passphrase != NULL ? passphrase : "") >= (int)sizeof(salt))
		return -EINVAL;
	if (PKCS5_PBKDF2_HMAC(mnemonic, (int)strlen(mnemonic),
	    (const unsigned char *)salt, (int)strlen(salt), 2048,
	    EVP_sha512(), 64, seed) != 1)
		return -EIO;
	return 0;
}

size_t
cgt_unhex(const char *hex, uint8_t *out, size_t outsz)
{
	size_t n = strlen(hex) / 2;

	if (n > outsz || cgc_hex_decode(hex, out, n) != 0)
		return (size_t)-1;
	return n;
}
