/*
 * Hashes, MACs and randomness over OpenSSL 3: what the gateway signs and
 * stores (API keys as SHA-256, webhook HMAC-SHA256, Tatum HMAC-SHA512) and
 * where its secrets come from. Errors are negative errno values; every
 * failure of OpenSSL is logged with its error queue ("crypto" module).
 * All functions are safe on any thread.
 */
#ifndef CG_UTIL_CRYPTO_H
#define CG_UTIL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CG_SHA256_LEN 32
#define CG_SHA512_LEN 64

/* A borrowed byte range, for MACs over several pieces without copying. */
struct cg_bytes {
	const void *p;
	size_t n;
};

/*
 * Fills buf with n bytes from the OpenSSL CSPRNG. Returns 0 or -EIO; a
 * failure is logged as an error and the buffer is zeroed, so a caller that
 * ignores the result never uses stale memory as a secret.
 */
int cg_random_bytes(void *buf, size_t n);

/*
 * n characters drawn uniformly from `alphabet` (2..256 distinct bytes, by
 * rejection sampling: no modulo bias), NUL-terminated in out[n].
 * out must hold n+1 bytes. 0, -EINVAL or -EIO.
 */
int cg_random_text(const char *alphabet, size_t n, char *out);

/* SHA-256 of data. 0 or -EIO. */
int cg_sha256(const void *data, size_t n, uint8_t out[CG_SHA256_LEN]);
/* SHA-256 as 64 lowercase hex characters + NUL. 0 or -EIO. */
int cg_sha256_hex(const void *data, size_t n, char out[2 * CG_SHA256_LEN + 1]);

/* HMAC-SHA256 / HMAC-SHA512 over the concatenation of parts. 0 or -EIO. */
int cg_hmac_sha256v(const void *key, size_t klen, const struct cg_bytes *parts,
    size_t nparts, uint8_t out[CG_SHA256_LEN]);
int cg_hmac_sha512v(const void *key, size_t klen, const struct cg_bytes *parts,
    size_t nparts, uint8_t out[CG_SHA512_LEN]);
/* One-part forms. */
int cg_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
    uint8_t out[CG_SHA256_LEN]);
int cg_hmac_sha512(const void *key, size_t klen, const void *data, size_t n,
    uint8_t out[CG_SHA512_LEN]);

#define CG_GCM_KEY_LEN 32
#define CG_GCM_NONCE_LEN 12
#define CG_GCM_TAG_LEN 16

/*
 * AES-256-GCM with a 96-bit nonce and a 128-bit tag; the associated data is
 * the concatenation of aad[0..naad). ct and pt hold n bytes (n < 2^31) and
 * may be the same buffer. seal: 0 or -EIO. open: 0, -EBADMSG when the tag
 * does not verify (pt is then zeroed), or -EIO.
 */
int cg_aes256gcm_seal(const uint8_t key[CG_GCM_KEY_LEN],
    const uint8_t nonce[CG_GCM_NONCE_LEN], const struct cg_bytes *aad,
    size_t naad, const void *pt, size_t n, void *ct,
    uint8_t tag[CG_GCM_TAG_LEN]);
int cg_aes256gcm_open(const uint8_t key[CG_GCM_KEY_LEN],
    const uint8_t nonce[CG_GCM_NONCE_LEN], const struct cg_bytes *aad,
    size_t naad, const void *ct, size_t n, const uint8_t tag[CG_GCM_TAG_LEN],
    void *pt);

/* Overwrites n bytes in a way the compiler cannot drop (OPENSSL_cleanse). */
void cg_wipe(void *p, size_t n);

#endif
