#include "util/token.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/str.h"

static const char base32_lower[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char base62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static bool
valid_kind(const char *kind, size_t len)
{
	size_t i;

	if (len < 2 || len > CG_TOKEN_KIND_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (kind[i] < 'a' || kind[i] > 'z')
			return false;
	return true;
}

static bool
all_in(const char *s, size_t n, const char *alphabet)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
			return false;
	return true;
}

int
cg_token_generate(const char *kind, char *out, size_t size,
    struct cg_token *info)
{
	char prefix[CG_TOKEN_PREFIX_LEN + 1], secret[CG_TOKEN_SECRET_LEN + 1];
	size_t klen = kind != NULL ? strlen(kind) : 0;
	int n, err;

	if (size > 0)
		out[0] = '\0';
	if (!valid_kind(kind, klen))
		return -EINVAL;
	if (klen + 2 + CG_TOKEN_PREFIX_LEN + CG_TOKEN_SECRET_LEN + 1 > size)
		return -ENOSPC;
	if ((err = cg_random_text(base32_lower, CG_TOKEN_PREFIX_LEN,
	    prefix)) != 0 ||
	    (err = cg_random_text(base62, CG_TOKEN_SECRET_LEN, secret)) != 0)
		goto fail;
	n = snprintf(out, size, "%s_%s_%s", kind, prefix, secret);
	memcpy(info->kind, kind, klen + 1);
	memcpy(info->prefix, prefix, sizeof(prefix));
	if ((err = cg_sha256_hex(secret, CG_TOKEN_SECRET_LEN, info->hash)) != 0)
		goto fail;
	err = n;
fail:
	if (err < 0)
		cg_wipe(out, size);
	cg_wipe(secret, sizeof(secret));
	return err;
}

int
cg_token_parse(const char *s, size_t len, const char *kind,
    struct cg_token *info)
{
	const char *u1, *p, *sec;
	size_t klen;

	if (s == NULL || len > CG_TOKEN_MAX_LEN ||
	    (u1 = memchr(s, '_', len)) == NULL)
		return -EINVAL;
	klen = (size_t)(u1 - s);
	if (!valid_kind(s, klen))
		return -EINVAL;
	if (kind != NULL && (strlen(kind) != klen ||
	    memcmp(kind, s, klen) != 0))
		return -EINVAL;
	p = u1 + 1;
	sec = p + CG_TOKEN_PREFIX_LEN + 1;
	if (len != klen + 2 + CG_TOKEN_PREFIX_LEN + CG_TOKEN_SECRET_LEN ||
	    p[CG_TOKEN_PREFIX_LEN] != '_' ||
	    !all_in(p, CG_TOKEN_PREFIX_LEN, base32_lower) ||
	    !all_in(sec, CG_TOKEN_SECRET_LEN, base62))
		return -EINVAL;
	memcpy(info->kind, s, klen);
	info->kind[klen] = '\0';
	memcpy(info->prefix, p, CG_TOKEN_PREFIX_LEN);
	info->prefix[CG_TOKEN_PREFIX_LEN] = '\0';
	return cg_sha256_hex(sec, CG_TOKEN_SECRET_LEN, info->hash);
}

int
cg_webhook_secret_generate(char *out, size_t size)
{
	int err;

	if (size < CG_WEBHOOK_SECRET_LEN + 1) {
		if (size > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	memcpy(out, CG_WEBHOOK_SECRET_PREFIX, 6);
	if ((err = cg_random_text(base62, CG_TOKEN_SECRET_LEN, out + 6)) != 0)
		return err;
	return CG_WEBHOOK_SECRET_LEN;
}

/* HMAC-SHA256(secret, "<t>.<body>") with t given as its decimal text. */
static int
webhook_mac(const char *t, size_t tlen, const void *body, size_t n,
    const void *secret, size_t slen, uint8_t mac[CG_SHA256_LEN])
{
	struct cg_bytes parts[3] = { { t, tlen }, { ".", 1 }, { body, n } };

	return cg_hmac_sha256v(secret, slen, parts, 3, mac);
}

int
cg_webhook_sign(int64_t t, const void *body, size_t n,
    const struct cg_bytes *secrets, size_t nsecrets, char *out, size_t size)
{
	char ts[24];
	uint8_t mac[CG_SHA256_LEN];
	size_t i, k;
	int tl, err;

	if (size > 0)
		out[0] = '\0';
	if (t < 0 || nsecrets < 1 || nsecrets > CG_WEBHOOK_MAX_SECRETS)
		return -EINVAL;
	tl = snprintf(ts, sizeof(ts), "%" PRId64, t);
	if ((size_t)tl + 2 + nsecrets * (4 + 64) + 1 > size)
		return -ENOSPC;
	k = (size_t)snprintf(out, size, "t=%s", ts);
	for (i = 0; i < nsecrets; i++) {
		if ((err = webhook_mac(ts, (size_t)tl, body, n, secrets[i].p,
		    secrets[i].n, mac)) != 0) {
			out[0] = '\0';
			return err;
		}
		memcpy(out + k, ",v1=", 4);
		k += 4;
		k += (size_t)cg_hex_encode(mac, sizeof(mac), out + k, size - k);
	}
	return (int)k;
}

/* Parses "t" as 1..18 digits (no sign), so it fits int64_t. */
static int
parse_ts(const char *v, size_t n, int64_t *t)
{
	int64_t r = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		r = r * 10 + (v[i] - '0');
	}
	*t = r;
	return 0;
}

/*
 * The next "key=value" element of a header value: *p moves past it and its
 * comma. Returns false at the end.
 */
static bool
next_elem(const char **p, const char *end, const char **k, size_t *kn,
    const char **v, size_t *vn)
{
	const char *comma, *e, *eq;

	if (*p >= end)
		return false;
	comma = memchr(*p, ',', (size_t)(end - *p));
	e = comma != NULL ? comma : end;
	eq = memchr(*p, '=', (size_t)(e - *p));
	*k = *p;
	*kn = (size_t)((eq != NULL ? eq : e) - *p);
	*v = eq != NULL ? eq + 1 : e;
	*vn = (size_t)(e - *v);
	*p = comma != NULL ? comma + 1 : end;
	return true;
}

static bool
is_key(const char *k, size_t kn, const char *want)
{
	return kn == strlen(want) && memcmp(k, want, kn) == 0;
}

int
cg_webhook_verify(const char *header, size_t hlen, const void *body,
    size_t n, const void *secret, size_t slen, int64_t now,
    int64_t tolerance)
{
	const char *p, *end = header + hlen, *k, *v, *tv = NULL;
	uint8_t want[CG_SHA256_LEN], got[CG_SHA256_LEN];
	size_t kn, vn, tn = 0;
	int64_t t, diff;
	bool match = false, any = false;
	int err;

	if (header == NULL || hlen > 4096 || tolerance < 0)
		return -EINVAL;
	/* the timestamp, exactly once */
	for (p = header; next_elem(&p, end, &k, &kn, &v, &vn);) {
		if (!is_key(k, kn, "t"))
			continue;
		if (tv != NULL)
			return -EINVAL;
		tv = v;
		tn = vn;
	}
	if (tv == NULL || parse_ts(tv, tn, &t) != 0)
		return -EINVAL;
	if ((err = webhook_mac(tv, tn, body, n, secret, slen, want)) != 0)
		return err;
	/* every v1 is compared; other schemes are ignored */
	for (p = header; next_elem(&p, end, &k, &kn, &v, &vn);) {
		if (!is_key(k, kn, "v1"))
			continue;
		any = true;
		if (cg_hex_decode(v, vn, got, sizeof(got)) == CG_SHA256_LEN &&
		    cg_ct_equal(got, want, sizeof(want)))
			match = true;
	}
	if (!any)
		return -EINVAL;
	if (!match)
		return -EBADMSG;
	if (__builtin_sub_overflow(t, now, &diff) || diff > tolerance ||
	    diff < -tolerance)
		return -ETIMEDOUT;
	return 0;
}
