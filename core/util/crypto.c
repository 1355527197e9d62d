#include "util/crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/log.h"
#include "util/str.h"

/* Logs OpenSSL's error queue (and empties it) under one line per entry. */
static int
ossl_fail(const char *what)
{
	unsigned long e;
	char buf[256];

	cg_error("crypto", "%s failed", what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		cg_error("crypto", "openssl error=\"%s\"", buf);
	}
	return -EIO;
}

int
cg_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t done = 0;

	while (done < n) {
		int chunk = n - done > 1 << 20 ? 1 << 20 : (int)(n - done);

		if (RAND_bytes(p + done, chunk) != 1) {
			memset(buf, 0, n);
			return ossl_fail("RAND_bytes");
		}
		done += (size_t)chunk;
	}
	return 0;
}

int
cg_random_text(const char *alphabet, size_t n, char *out)
{
	size_t alen = alphabet != NULL ? strlen(alphabet) : 0, i = 0, limit;
	unsigned char pool[64];

	if (alen < 2 || alen > 256) {
		out[0] = '\0';
		return -EINVAL;
	}
	/* accept only bytes below the largest multiple of alen */
	limit = 256 - 256 % alen;
	while (i < n) {
		size_t j;

		if (cg_random_bytes(pool, sizeof(pool)) != 0) {
			memset(out, 0, n + 1);
			return -EIO;
		}
		for (j = 0; j < sizeof(pool) && i < n; j++)
			if (pool[j] < limit)
				out[i++] = alphabet[pool[j] % alen];
	}
	out[n] = '\0';
	cg_wipe(pool, sizeof(pool));
	return 0;
}

int
cg_sha256(const void *data, size_t n, uint8_t out[CG_SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != CG_SHA256_LEN)
		return ossl_fail("EVP_Digest sha256");
	return 0;
}

int
cg_sha256_hex(const void *data, size_t n, char out[2 * CG_SHA256_LEN + 1])
{
	uint8_t md[CG_SHA256_LEN];
	int err;

	if ((err = cg_sha256(data, n, md)) != 0)
		return err;
	cg_hex_encode(md, sizeof(md), out, 2 * CG_SHA256_LEN + 1);
	return 0;
}

static int
hmac_parts(const char *digest, const void *key, size_t klen,
    const struct cg_bytes *parts, size_t nparts, uint8_t *out, size_t outlen)
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t i, len = 0;
	int err = -EIO;
	static const uint8_t nokey[1];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* OpenSSL refuses a NULL key; an empty HMAC key is legal */
	if (klen == 0)
		key = nokey;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, klen, params) != 1)
		goto fail;
	for (i = 0; i < nparts; i++)
		if (parts[i].n > 0 &&
		    EVP_MAC_update(ctx, parts[i].p, parts[i].n) != 1)
			goto fail;
	if (EVP_MAC_final(ctx, out, &len, outlen) != 1 || len != outlen)
		goto fail;
	err = 0;
fail:
	if (err != 0)
		ossl_fail("HMAC");
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return err;
}

int
cg_hmac_sha256v(const void *key, size_t klen, const struct cg_bytes *parts,
    size_t nparts, uint8_t out[CG_SHA256_LEN])
{
	return hmac_parts("SHA256", key, klen, parts, nparts, out,
	    CG_SHA256_LEN);
}

int
cg_hmac_sha512v(const void *key, size_t klen, const struct cg_bytes *parts,
    size_t nparts, uint8_t out[CG_SHA512_LEN])
{
	return hmac_parts("SHA512", key, klen, parts, nparts, out,
	    CG_SHA512_LEN);
}

int
cg_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
    uint8_t out[CG_SHA256_LEN])
{
	struct cg_bytes part = { data, n };

	return cg_hmac_sha256v(key, klen, &part, 1, out);
}

int
cg_hmac_sha512(const void *key, size_t klen, const void *data, size_t n,
    uint8_t out[CG_SHA512_LEN])
{
	struct cg_bytes part = { data, n };

	return cg_hmac_sha512v(key, klen, &part, 1, out);
}

/* AES-256-GCM in either direction; the tag is read (open) or written. */
static int
gcm(int enc, const uint8_t *key, const uint8_t *nonce,
    const struct cg_bytes *aad, size_t naad, const void *in, size_t n,
    void *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t last[16];
	size_t i;
	int len, err = -EIO;

	if (n > INT32_MAX)
		return -EINVAL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce,
	    enc) != 1)
		goto fail;
	for (i = 0; i < naad; i++)
		if (aad[i].n > 0 && (aad[i].n > INT32_MAX ||
		    EVP_CipherUpdate(ctx, NULL, &len, aad[i].p,
		    (int)aad[i].n) != 1))
			goto fail;
	if (n > 0 && EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1)
		goto fail;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
	    CG_GCM_TAG_LEN, tag) != 1)
		goto fail;
	if (EVP_CipherFinal_ex(ctx, last, &len) != 1) {
		if (!enc) {
			/* a forged or damaged box is not an OpenSSL fault */
			ERR_clear_error();
			cg_wipe(out, n);
			err = -EBADMSG;
			EVP_CIPHER_CTX_free(ctx);
			return err;
		}
		goto fail;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    CG_GCM_TAG_LEN, tag) != 1)
		goto fail;
	err = 0;
fail:
	if (err != 0) {
		ossl_fail("AES-256-GCM");
		if (!enc)
			cg_wipe(out, n);
	}
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

int
cg_aes256gcm_seal(const uint8_t key[CG_GCM_KEY_LEN],
    const uint8_t nonce[CG_GCM_NONCE_LEN], const struct cg_bytes *aad,
    size_t naad, const void *pt, size_t n, void *ct,
    uint8_t tag[CG_GCM_TAG_LEN])
{
	return gcm(1, key, nonce, aad, naad, pt, n, ct, tag);
}

int
cg_aes256gcm_open(const uint8_t key[CG_GCM_KEY_LEN],
    const uint8_t nonce[CG_GCM_NONCE_LEN], const struct cg_bytes *aad,
    size_t naad, const void *ct, size_t n, const uint8_t tag[CG_GCM_TAG_LEN],
    void *pt)
{
	return gcm(0, key, nonce, aad, naad, ct, n, pt, (uint8_t *)tag);
}

void
cg_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
