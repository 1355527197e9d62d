/* API keys, session tokens and the webhook signature header. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "util/crypto.h"
#include "util/str.h"
#include "util/token.h"

Test(token, generate_and_parse)
{
	char key[CG_TOKEN_MAX_LEN + 1], again[CG_TOKEN_MAX_LEN + 1];
	char hash[65];
	struct cg_token made, parsed;
	int len;
	size_t i;

	len = cg_token_generate(CG_TOKEN_KIND_API_KEY, key, sizeof(key), &made);
	/* "cgk_" + 12 + "_" + 43 */
	cr_assert_eq(len, 60);
	cr_assert_eq(strncmp(key, "cgk_", 4), 0);
	cr_assert_eq(key[16], '_');
	cr_assert_eq(strncmp(key + 4, made.prefix, 12), 0);
	for (i = 4; i < 16; i++)
		cr_assert(strchr("abcdefghijklmnopqrstuvwxyz234567", key[i]));
	/* the stored hash is SHA-256 of the secret part only */
	cg_sha256_hex(key + 17, 43, hash);
	cr_assert_str_eq(made.hash, hash);
	cr_assert_str_eq(made.kind, "cgk");

	cr_assert_eq(cg_token_parse(key, (size_t)len, "cgk", &parsed), 0);
	cr_assert_str_eq(parsed.prefix, made.prefix);
	cr_assert_str_eq(parsed.hash, made.hash);
	cr_assert_eq(cg_token_parse(key, (size_t)len, NULL, &parsed), 0);
	cr_assert_eq(cg_token_parse(key, (size_t)len, "cgs", &parsed),
	    -EINVAL);

	cg_token_generate("cgs", again, sizeof(again), &parsed);
	cr_assert_str_neq(again + 4, key + 4);
	cr_assert_str_neq(parsed.hash, made.hash);
	cr_assert_eq(cg_token_generate("CGK", key, sizeof(key), &made),
	    -EINVAL);
	cr_assert_eq(cg_token_generate("c", key, sizeof(key), &made), -EINVAL);
	cr_assert_eq(cg_token_generate("cgk", key, 60, &made), -ENOSPC);
}

Test(token, parse_refuses_malformed)
{
	char key[CG_TOKEN_MAX_LEN + 1], bad[CG_TOKEN_MAX_LEN + 8];
	struct cg_token t;
	int len;

	len = cg_token_generate("cgk", key, sizeof(key), &t);
	cr_assert_eq(len, 60);
	memcpy(bad, key, 61);
	cr_assert_eq(cg_token_parse(bad, 59, "cgk", &t), -EINVAL);
	bad[60] = 'x';
	cr_assert_eq(cg_token_parse(bad, 61, "cgk", &t), -EINVAL);
	memcpy(bad, key, 61);
	bad[5] = 'A';			/* uppercase in the prefix */
	cr_assert_eq(cg_token_parse(bad, 60, "cgk", &t), -EINVAL);
	memcpy(bad, key, 61);
	bad[16] = '-';			/* separator */
	cr_assert_eq(cg_token_parse(bad, 60, "cgk", &t), -EINVAL);
	memcpy(bad, key, 61);
	bad[40] = '/';			/* outside base62 */
	cr_assert_eq(cg_token_parse(bad, 60, "cgk", &t), -EINVAL);
	memcpy(bad, key, 61);
	bad[40] = '\0';
	cr_assert_eq(cg_token_parse(bad, 60, "cgk", &t), -EINVAL);
	cr_assert_eq(cg_token_parse("", 0, NULL, &t), -EINVAL);
	cr_assert_eq(cg_token_parse("cgk__", 5, NULL, &t), -EINVAL);
	cr_assert_eq(cg_token_parse("Bearer", 6, NULL, &t), -EINVAL);
	/* a different secret with the same prefix hashes differently */
	memcpy(bad, key, 61);
	bad[59] = bad[59] == 'a' ? 'b' : 'a';
	{
		struct cg_token t2;

		cr_assert_eq(cg_token_parse(key, 60, "cgk", &t), 0);
		cr_assert_eq(cg_token_parse(bad, 60, "cgk", &t2), 0);
		cr_assert_str_eq(t.prefix, t2.prefix);
		cr_assert(!cg_ct_equal(t.hash, t2.hash, 64));
	}
}

/*
 * Expected MACs computed independently with Python's hmac module:
 * hmac.new(b"whsec_test", b'1700000000.{"id":"evt_1"}', sha256).hexdigest()
 */
#define BODY "{\"id\":\"evt_1\"}"
#define MAC_TEST "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
#define MAC_OLD "ef1b1b7e4b312671a75ef2a03e10529f7834a6528a49db77ad6568c8c8017843"

Test(webhook, sign_known_answer)
{
	struct cg_bytes secrets[2] = {
		{ "whsec_test", 10 }, { "whsec_old", 9 },
	};
	char h[CG_WEBHOOK_HEADER_LEN(2) + 1];

	cr_assert_eq(cg_webhook_sign(1700000000, BODY, strlen(BODY), secrets,
	    1, h, sizeof(h)), (int)strlen("t=1700000000,v1=" MAC_TEST));
	cr_assert_str_eq(h, "t=1700000000,v1=" MAC_TEST);
	cr_assert_gt(cg_webhook_sign(1700000000, BODY, strlen(BODY), secrets,
	    2, h, sizeof(h)), 0);
	cr_assert_str_eq(h, "t=1700000000,v1=" MAC_TEST ",v1=" MAC_OLD);
	cr_assert_eq(cg_webhook_sign(1700000000, BODY, strlen(BODY), secrets,
	    0, h, sizeof(h)), -EINVAL);
	cr_assert_eq(cg_webhook_sign(-1, BODY, strlen(BODY), secrets, 1, h,
	    sizeof(h)), -EINVAL);
	cr_assert_eq(cg_webhook_sign(1700000000, BODY, strlen(BODY), secrets,
	    2, h, 100), -ENOSPC);
}

Test(webhook, verify)
{
	struct cg_bytes both[2] = { { "whsec_new", 9 }, { "whsec_test", 10 } };
	const char *one = "t=1700000000,v1=" MAC_TEST;
	char h[CG_WEBHOOK_HEADER_LEN(2) + 1];
	int64_t t = 1700000000;
	size_t bl = strlen(BODY);

	cr_assert_eq(cg_webhook_verify(one, strlen(one), BODY, bl,
	    "whsec_test", 10, t + 300, 300), 0);
	cr_assert_eq(cg_webhook_verify(one, strlen(one), BODY, bl,
	    "whsec_test", 10, t - 300, 300), 0);
	cr_assert_eq(cg_webhook_verify(one, strlen(one), BODY, bl,
	    "whsec_test", 10, t + 301, 300), -ETIMEDOUT);
	cr_assert_eq(cg_webhook_verify(one, strlen(one), BODY, bl,
	    "whsec_other", 11, t, 300), -EBADMSG);
	cr_assert_eq(cg_webhook_verify(one, strlen(one), "{\"id\":\"evt_2\"}",
	    bl, "whsec_test", 10, t, 300), -EBADMSG);
	/* during rotation either secret verifies the same header */
	cg_webhook_sign(t, BODY, bl, both, 2, h, sizeof(h));
	cr_assert_eq(cg_webhook_verify(h, strlen(h), BODY, bl, "whsec_new", 9,
	    t, 300), 0);
	cr_assert_eq(cg_webhook_verify(h, strlen(h), BODY, bl, "whsec_test",
	    10, t, 300), 0);
	/* a changed timestamp breaks the signature, not only the window */
	{
		char moved[sizeof(h)];

		strcpy(moved, h);
		moved[11] = moved[11] == '1' ? '2' : '1';
		cr_assert_eq(cg_webhook_verify(moved, strlen(moved), BODY, bl,
		    "whsec_test", 10, t, 1000000000), -EBADMSG);
	}
	/* unknown schemes are ignored, upper-case hex is read */
	{
		char v0[] = "v0=abc,t=1700000000,v1=" MAC_TEST ",v2=x";

		for (size_t i = 23; i < 23 + 64; i++)
			if (v0[i] >= 'a' && v0[i] <= 'f')
				v0[i] = (char)(v0[i] - 'a' + 'A');
		cr_assert_eq(cg_webhook_verify(v0, strlen(v0), BODY, bl,
		    "whsec_test", 10, t, 300), 0);
	}
	static const char *bad[] = {
		"", "t=", "v1=" MAC_TEST, "t=1700000000",
		"t=abc,v1=" MAC_TEST, "t=-1,v1=" MAC_TEST,
		"t=1,t=1700000000,v1=" MAC_TEST,
		"t=1234567890123456789,v1=" MAC_TEST,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(cg_webhook_verify(bad[i], strlen(bad[i]), BODY,
		    bl, "whsec_test", 10, t, 300), -EINVAL, "accepted %s",
		    bad[i]);
	/* a NUL inside a key is not the end of the key */
	{
		const char nul[] = "t\0=1700000000,v1=" MAC_TEST;

		cr_assert_eq(cg_webhook_verify(nul, sizeof(nul) - 1, BODY, bl,
		    "whsec_test", 10, t, 300), -EINVAL);
	}
	/* a truncated or wrong-length MAC never matches */
	cr_assert_eq(cg_webhook_verify(one, strlen(one) - 2, BODY, bl,
	    "whsec_test", 10, t, 300), -EBADMSG);
	cr_assert_eq(cg_webhook_verify(one, strlen(one), BODY, bl,
	    "whsec_test", 10, t, -1), -EINVAL);
}

Test(webhook, secret_generate)
{
	char a[CG_WEBHOOK_SECRET_LEN + 1], b[CG_WEBHOOK_SECRET_LEN + 1];

	cr_assert_eq(cg_webhook_secret_generate(a, sizeof(a)), 49);
	cr_assert_eq(cg_webhook_secret_generate(b, sizeof(b)), 49);
	cr_assert_eq(strncmp(a, "whsec_", 6), 0);
	cr_assert_eq(strlen(a), 49);
	cr_assert_str_neq(a, b);
	cr_assert_eq(cg_webhook_secret_generate(a, 49), -ENOSPC);
}
