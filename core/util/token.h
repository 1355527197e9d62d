/*
 * Bearer tokens (merchant API keys, user sessions, single-use links) and the
 * merchant webhook signature.
 *
 * Token text: "<kind>_<prefix>_<secret>", e.g.
 *   cgk_3mfq7xkd2ab5_Vt0dQx8… (43 characters of secret)
 * kind    2..8 lowercase letters: "cgk" API key, "cgs" session; others for
 *         single-use links ("cgv" email verification, "cgr" password reset)
 * prefix  12 characters of lowercase base32 (a-z, 2-7), 60 random bits: the
 *         public part, stored in clear and used to find the row. Lowercase
 *         only, so a case-insensitive SQL collation cannot confuse two.
 * secret  43 characters of base62: 43 × log2(62) = 256.03 bits.
 * The database keeps the prefix and SHA-256 (hex) of the secret part only;
 * a presented token is parsed, its row found by prefix, and the hashes
 * compared with cg_ct_equal.
 *
 * Webhook signature header (Cryptic-Signature):
 *   t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
 * one v1 per active secret (two during rotation). The HMAC key is the
 * secret's text as shown to the merchant ("whsec_…"), byte for byte.
 * All functions are safe on any thread.
 */
#ifndef CG_UTIL_TOKEN_H
#define CG_UTIL_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/crypto.h"

#define CG_TOKEN_KIND_API_KEY "cgk"
#define CG_TOKEN_KIND_SESSION "cgs"
#define CG_TOKEN_KIND_MAX 8
#define CG_TOKEN_PREFIX_LEN 12
#define CG_TOKEN_SECRET_LEN 43
/* Longest token text, without NUL. */
#define CG_TOKEN_MAX_LEN (CG_TOKEN_KIND_MAX + 2 + CG_TOKEN_PREFIX_LEN + \
    CG_TOKEN_SECRET_LEN)

struct cg_token {
	char kind[CG_TOKEN_KIND_MAX + 1];
	char prefix[CG_TOKEN_PREFIX_LEN + 1];
	char hash[2 * CG_SHA256_LEN + 1];	/* SHA-256 hex of the secret */
};

/*
 * Generates a new token of `kind` into out (CG_TOKEN_MAX_LEN + 1 bytes);
 * fills *info with what the database stores. Returns the text length,
 * -EINVAL (bad kind), -ENOSPC or -EIO.
 */
int cg_token_generate(const char *kind, char *out, size_t size,
    struct cg_token *info);

/*
 * Parses a presented token, which must be of `kind` (or of any kind when
 * kind is NULL). 0 with *info filled, -EINVAL when it is not a well-formed
 * token of that kind, -EIO when hashing fails.
 */
int cg_token_parse(const char *s, size_t len, const char *kind,
    struct cg_token *info);

/* ---- webhooks ---- */

#define CG_WEBHOOK_MAX_SECRETS 4
#define CG_WEBHOOK_SECRET_PREFIX "whsec_"
/* "whsec_" + 43 base62 characters (256 bits). */
#define CG_WEBHOOK_SECRET_LEN (6 + CG_TOKEN_SECRET_LEN)
/* Longest header value for n secrets, without NUL. */
#define CG_WEBHOOK_HEADER_LEN(n) (2 + 20 + (size_t)(n) * (4 + 64))

/* A new webhook secret, NUL-terminated (CG_WEBHOOK_SECRET_LEN + 1 bytes). */
int cg_webhook_secret_generate(char *out, size_t size);

/*
 * The Cryptic-Signature value for body at time t (unix seconds, ≥ 0), one
 * v1 per secret (1..CG_WEBHOOK_MAX_SECRETS). Returns length, -EINVAL,
 * -ENOSPC or -EIO.
 */
int cg_webhook_sign(int64_t t, const void *body, size_t n,
    const struct cg_bytes *secrets, size_t nsecrets, char *out, size_t size);

/*
 * Verifies a Cryptic-Signature value as a receiver does: some v1 must match
 * HMAC-SHA256(secret, "<t>.<body>") (compared in constant time; unknown
 * schemes are ignored) and |now - t| ≤ tolerance seconds.
 * 0 valid; -EINVAL malformed header; -EBADMSG no signature matches;
 * -ETIMEDOUT the timestamp is outside the tolerance.
 */
int cg_webhook_verify(const char *header, size_t hlen, const void *body,
    size_t n, const void *secret, size_t slen, int64_t now,
    int64_t tolerance);

#endif
