#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include <openssl/rand.h>

#include "common/secp.h"

static pthread_once_t secp_once = PTHREAD_ONCE_INIT;
static secp256k1_context *secp_ctx;

static void
secp_create(void)
{
	secp256k1_context *ctx;
	unsigned char seed[32];

	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (ctx == NULL)
		return;
	/*
	 * Blinding only protects operations on secret keys (used by the
	 * tests alone); without entropy the context is still correct.
	 */
	if (RAND_bytes(seed, sizeof(seed)) == 1 &&
	    secp256k1_context_randomize(ctx, seed) != 1) {
		secp256k1_context_destroy(ctx);
		return;
	}
	secp_ctx = ctx;
}

const secp256k1_context *
cgc_secp256k1(void)
{
	if (pthread_once(&secp_once, secp_create) != 0)
		return NULL;
	return secp_ctx;
}

static int
pubkey_serialize(const uint8_t *pub, size_t len, uint8_t *out, size_t outlen,
    unsigned int flags)
{
	const secp256k1_context *ctx = cgc_secp256k1();
	secp256k1_pubkey pk;
	size_t n = outlen;

	if (ctx == NULL)
		return -ENOMEM;
	if (pub == NULL || (len != CGC_PUBKEY_LEN && len != CGC_PUBKEY_FULL_LEN))
		return -EINVAL;
	if (!secp256k1_ec_pubkey_parse(ctx, &pk, pub, len))
		return -EINVAL;
	if (!secp256k1_ec_pubkey_serialize(ctx, out, &n, &pk, flags) ||
	    n != outlen)
		return -EINVAL;
	return 0;
}

int
cgc_pubkey_compress(const uint8_t *pub, size_t len,
    uint8_t out[CGC_PUBKEY_LEN])
{
	return pubkey_serialize(pub, len, out, CGC_PUBKEY_LEN,
	    SECP256K1_EC_COMPRESSED);
}

int
cgc_pubkey_uncompress(const uint8_t *pub, size_t len,
    uint8_t out[CGC_PUBKEY_FULL_LEN])
{
	return pubkey_serialize(pub, len, out, CGC_PUBKEY_FULL_LEN,
	    SECP256K1_EC_UNCOMPRESSED);
}
