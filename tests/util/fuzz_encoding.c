/*
 * libFuzzer target for the small text parsers: hex, base64, base64url,
 * bearer tokens, the webhook signature header and sealed secrets.
 * Properties: a decoder's success means the input was the canonical
 * encoding (encoding the bytes again gives the same text), encoding any
 * bytes decodes back to them, a parsed token rebuilds to its text with the
 * hash of its secret, and nothing opens a sealed secret but the real one.
 * Byte 0 picks the parser; the rest is its input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/crypto.h"
#include "util/secretbox.h"
#include "util/str.h"
#include "util/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAXIN 2048

static void
check_hex(const char *s, size_t n)
{
	uint8_t bin[MAXIN];
	char txt[2 * MAXIN + 1];
	int k;

	if ((k = cg_hex_decode(s, n, bin, sizeof(bin))) >= 0) {
		CHECK((size_t)k * 2 == n);
		CHECK(cg_hex_encode(bin, (size_t)k, txt, sizeof(txt)) ==
		    (int)n);
		CHECK(strncasecmp(txt, s, n) == 0);
	}
	k = cg_hex_encode(s, n, txt, sizeof(txt));
	CHECK(k == (int)(2 * n));
	CHECK(cg_hex_decode(txt, (size_t)k, bin, sizeof(bin)) == (int)n);
	CHECK(memcmp(bin, s, n) == 0);
}

static void
check_b64(const char *s, size_t n, int url)
{
	uint8_t bin[MAXIN];
	char txt[2 * MAXIN + 8];
	int k, e;

	k = url ? cg_base64url_decode(s, n, bin, sizeof(bin)) :
	    cg_base64_decode(s, n, bin, sizeof(bin));
	CHECK(k >= 0 || k == -EINVAL);
	if (k >= 0) {
		e = url ? cg_base64url_encode(bin, (size_t)k, txt, sizeof(txt)) :
		    cg_base64_encode(bin, (size_t)k, txt, sizeof(txt));
		CHECK(e == (int)n && memcmp(txt, s, n) == 0);
	}
	e = url ? cg_base64url_encode(s, n, txt, sizeof(txt)) :
	    cg_base64_encode(s, n, txt, sizeof(txt));
	CHECK(e == (int)(url ? cg_base64url_len(n) : cg_base64_len(n)));
	k = url ? cg_base64url_decode(txt, (size_t)e, bin, sizeof(bin)) :
	    cg_base64_decode(txt, (size_t)e, bin, sizeof(bin));
	CHECK(k == (int)n && memcmp(bin, s, n) == 0);
}

static void
check_token(const char *s, size_t n)
{
	struct cg_token t;
	char rebuilt[CG_TOKEN_MAX_LEN + 1], hash[65];
	size_t kl;

	if (cg_token_parse(s, n, NULL, &t) != 0)
		return;
	kl = strlen(t.kind);
	CHECK(n == kl + 2 + CG_TOKEN_PREFIX_LEN + CG_TOKEN_SECRET_LEN);
	memcpy(rebuilt, t.kind, kl);
	rebuilt[kl] = '_';
	memcpy(rebuilt + kl + 1, t.prefix, CG_TOKEN_PREFIX_LEN);
	rebuilt[kl + 1 + CG_TOKEN_PREFIX_LEN] = '_';
	memcpy(rebuilt + kl + 2 + CG_TOKEN_PREFIX_LEN,
	    s + kl + 2 + CG_TOKEN_PREFIX_LEN, CG_TOKEN_SECRET_LEN);
	CHECK(memcmp(rebuilt, s, n) == 0);
	CHECK(cg_sha256_hex(s + kl + 2 + CG_TOKEN_PREFIX_LEN,
	    CG_TOKEN_SECRET_LEN, hash) == 0);
	CHECK(strcmp(hash, t.hash) == 0);
	CHECK(cg_token_parse(s, n, t.kind, &t) == 0);
}

/* Whether s[0..n) holds needle (k bytes) ignoring ASCII case. */
static int
contains_ci(const char *s, size_t n, const char *needle, size_t k)
{
	size_t i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

static void
check_webhook(const char *s, size_t n)
{
	int e = cg_webhook_verify(s, n, "{}", 2, "whsec_fuzz", 10,
	    1700000000, 300);
	char h[CG_WEBHOOK_HEADER_LEN(1) + 1];
	struct cg_bytes sec = { "whsec_fuzz", 10 };
	int64_t ts = 0;
	size_t i;

	CHECK(e == 0 || e == -EINVAL || e == -EBADMSG || e == -ETIMEDOUT);
	if (e != 0)
		return;
	/* accepted: the header must carry what the signer makes for its t */
	for (i = 0; i + 1 < n; i++)
		if ((i == 0 || s[i - 1] == ',') && s[i] == 't' &&
		    s[i + 1] == '=')
			break;
	CHECK(i + 1 < n);
	for (i += 2; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		ts = ts * 10 + (s[i] - '0');
	CHECK(cg_webhook_sign(ts, "{}", 2, &sec, 1, h, sizeof(h)) > 0);
	CHECK(contains_ci(s, n, strchr(h, ',') + 4, 64));
}

static void
check_sealed(const char *s, size_t n)
{
	static struct cg_secretbox *box;
	static const uint8_t key[32] = { 'f', 'u', 'z', 'z' };
	static const uint8_t prev[32] = { 'o', 'l', 'd' };
	uint8_t out[MAXIN];
	int e;

	if (box == NULL)
		CHECK(cg_secretbox_new(key, prev, &box) == 0);
	e = cg_secretbox_open(box, "row", s, n, out, sizeof(out));
	CHECK(e == -EINVAL || e == -ENOKEY || e == -EBADMSG || e >= 0);
	if (e >= 0)
		CHECK((size_t)e < n);
	e = cg_secretbox_is_current(box, s, n);
	CHECK(e == 0 || e == 1 || e == -EINVAL || e == -ENOKEY);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAXIN + 1];
	size_t n;

	if (size < 1 || size - 1 > MAXIN)
		return 0;
	n = size - 1;
	memcpy(s, data + 1, n);
	s[n] = '\0';		/* the parsers get n; this is for safety only */
	switch (data[0] % 6) {
	case 0:
		check_hex(s, n);
		break;
	case 1:
		check_b64(s, n, 0);
		break;
	case 2:
		check_b64(s, n, 1);
		break;
	case 3:
		check_token(s, n);
		break;
	case 4:
		check_webhook(s, n);
		break;
	default:
		check_sealed(s, n);
		break;
	}
	return 0;
}
