/*
 * The JSON number walker: strict syntax, limits, paths, and the replies
 * it exists for (CoinGecko prices, Bitcoin Core amounts).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/decimal.h"
#include "util/jsonnum.h"

static int
walk(const char *doc)
{
	return cg_json_walk(doc, strlen(doc), NULL, NULL, NULL);
}

static const char *
num_at(const char *doc, const char *path, int *err)
{
	static char buf[256];
	const char *num = NULL;
	size_t len = 0;

	*err = cg_json_number_path(doc, strlen(doc), path, &num, &len);
	if (*err != 0)
		return NULL;
	cr_assert(len < sizeof(buf));
	memcpy(buf, num, len);
	buf[len] = '\0';
	return buf;
}

static void
expect_num(const char *doc, const char *path, const char *want)
{
	int err;
	const char *got = num_at(doc, path, &err);

	cr_assert_eq(err, 0, "path %s: %d", path, err);
	cr_assert_str_eq(got, want, "path %s", path);
}

static void
expect_err(const char *doc, const char *path, int want)
{
	int err;

	num_at(doc, path, &err);
	cr_assert_eq(err, want, "path %s in %s: got %d want %d", path, doc,
	    err, want);
}

Test(jsonnum, valid_documents)
{
	static const char *ok[] = {
		"{}", "[]", "0", "-0", "1.5e-8", "\"x\"", "true", "false",
		"null", " \t\r\n{ \"a\" : [ 1 , 2.5 , { } , [ ] ] } \n",
		"{\"a\":\"\\u00e9\\ud83d\\ude00\\n\\\"\"}",
		"[\"caf\xc3\xa9\", \"\xf0\x9f\x98\x80\", \"\xe2\x82\xac\"]",
		"{\"\":0}", "[1E+2,1e-2,-0.0,0e0]",
		"\"\\u0000\"",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert_eq(walk(ok[i]), 0, "refused: %s", ok[i]);
}

Test(jsonnum, invalid_documents)
{
	static const char *bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]",
		"[+1]", "[1e]", "[-]", "{a:1}", "{'a':1}", "[1 2]", "{\"a\" 1}",
		"[NaN]", "[Infinity]", "[tru]", "[nul]", "\"abc", "\"\\x\"",
		"\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
		"\"\x01\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xe2\x82\"", "\"\xff\"", "{} {}", "[1]x", "[1,,2]", "[,1]",
		"{\"a\":}", "{,}", "[\"a\":1]", "{\"a\",1}", "1 1", "[1e5.0]",
		"[0x10]", "[1]]", "[[1]", "{\"a\":1}}",
	};
	size_t i, at;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(walk(bad[i]), -EINVAL, "accepted: %s", bad[i]);
	/* the error offset points at the trouble */
	cr_assert_eq(cg_json_walk("[1,]", 4, NULL, NULL, &at), -EINVAL);
	cr_assert_eq(at, 3);
	/* an embedded NUL is not whitespace */
	cr_assert_eq(cg_json_walk("[1]\0", 4, NULL, NULL, NULL), -EINVAL);
}

Test(jsonnum, depth_and_size_limits)
{
	char *doc = malloc(2 * (CG_JSON_MAX_DEPTH + 1) + 1);
	size_t n = CG_JSON_MAX_DEPTH, i;

	cr_assert_not_null(doc);
	for (i = 0; i < n; i++) {
		doc[i] = '[';
		doc[2 * n - 1 - i] = ']';
	}
	doc[2 * n] = '\0';
	cr_assert_eq(walk(doc), 0);
	n++;
	for (i = 0; i < n; i++) {
		doc[i] = '[';
		doc[2 * n - 1 - i] = ']';
	}
	doc[2 * n] = '\0';
	cr_assert_eq(walk(doc), -ELOOP);
	free(doc);
	/* the size is checked before any byte is read */
	cr_assert_eq(cg_json_walk("[]", CG_JSON_MAX_SIZE + 1, NULL, NULL,
	    NULL), -E2BIG);
}

Test(jsonnum, deep_input_does_not_recurse)
{
	/* a million brackets: refused at the limit, in constant stack */
	size_t n = 1000000;
	char *doc = malloc(n);

	cr_assert_not_null(doc);
	memset(doc, '[', n);
	cr_assert_eq(cg_json_walk(doc, n, NULL, NULL, NULL), -ELOOP);
	memset(doc, '{', n);
	cr_assert_eq(cg_json_walk(doc, n, NULL, NULL, NULL), -EINVAL);
	free(doc);
}

Test(jsonnum, coingecko_price)
{
	/* the reply documented for /simple/price, plus precision=full */
	const char *doc = "{\"bitcoin\":{\"usd\":67187.33,"
	    "\"last_updated_at\":1711356300},\"ethereum\":{\"usd\":"
	    "3456.123456789012345678,\"eur\":3190.5}}";
	int err;
	const char *t;
	cg_i128 v;

	expect_num(doc, "bitcoin.usd", "67187.33");
	expect_num(doc, "ethereum.usd", "3456.123456789012345678");
	expect_num(doc, "bitcoin.last_updated_at", "1711356300");
	/* the digits a double would lose are kept */
	t = num_at(doc, "ethereum.usd", &err);
	cr_assert_eq(cg_dec_parse_json(t, strlen(t), 18, 36, CG_ROUND_EXACT,
	    &v), 0);
	{
		char buf[CG_DEC_STRLEN];

		cg_dec_format(v, 18, CG_DEC_TRIM, buf, sizeof(buf));
		cr_assert_str_eq(buf, "3456.123456789012345678");
	}
	expect_err(doc, "bitcoin.eur", -ENOENT);
	expect_err(doc, "bitcoin", -EPROTO);
	expect_err(doc, "tether.usd", -ENOENT);
	expect_err(doc, "bitcoin.usd.x", -ENOENT);
}

Test(jsonnum, bitcoin_core_amounts)
{
	const char *doc = "{\"result\":{\"amount\":0.00012345,\"details\":["
	    "{\"address\":\"bc1q\",\"category\":\"receive\",\"amount\":"
	    "0.00012345,\"vout\":1},{\"category\":\"send\",\"amount\":-1e-8,"
	    "\"vout\":0}],\"confirmations\":3},\"error\":null,\"id\":7}";
	const char *t;
	int err;
	cg_i128 sat;

	expect_num(doc, "result.amount", "0.00012345");
	expect_num(doc, "result.details[0].amount", "0.00012345");
	expect_num(doc, "result.details[1].amount", "-1e-8");
	expect_num(doc, "result.details[1].vout", "0");
	expect_num(doc, "id", "7");
	expect_err(doc, "error", -EPROTO);
	expect_err(doc, "result.details[2].amount", -ENOENT);
	expect_err(doc, "result.details[0].address", -EPROTO);
	/* straight to satoshis */
	cr_assert_eq(cg_json_decimal_path(doc, strlen(doc), "result.amount", 8,
	    26, CG_ROUND_EXACT, &sat), 0);
	cr_assert(sat == 12345);
	cr_assert_eq(cg_json_decimal_path(doc, strlen(doc), "result.amount", 4,
	    26, CG_ROUND_EXACT, &sat), -EDOM);
	cr_assert_eq(cg_json_decimal_path(doc, strlen(doc), "error", 8,
	    26, CG_ROUND_EXACT, &sat), -EPROTO);
	t = num_at(doc, "result.details[1].amount", &err);
	cr_assert_eq(cg_dec_parse_json(t, strlen(t), 8, 36, CG_ROUND_EXACT,
	    &sat), 0);
	cr_assert(sat == -1);
}

Test(jsonnum, duplicates_and_escaped_keys)
{
	/* jansson keeps one of two equal keys: refuse to guess which */
	expect_err("{\"usd\":1,\"usd\":2}", "usd", -EEXIST);
	expect_err("{\"a\":{\"usd\":1},\"a\":{\"usd\":2}}", "a.usd", -EEXIST);
	expect_err("{\"usd\":1,\"us\\u0064\":2}", "usd", -EEXIST);
	expect_num("{\"us\\u0064\":2}", "usd", "2");
	expect_num("{\"caf\\u00e9\":3}", "caf\xc3\xa9", "3");
	expect_num("{\"\\ud83d\\ude00\":4}", "\xf0\x9f\x98\x80", "4");
	expect_num("{\"a\\\"b\":5}", "a\"b", "5");
	/* a bare number document and an array root */
	expect_num("  42.5 ", "", "42.5");
	expect_num("[[0,1],[2,3e3]]", "[1][1]", "3e3");
	expect_err("[[0,1],[2,3e3]]", "[1][2]", -ENOENT);
}

Test(jsonnum, bad_paths)
{
	const char *doc = "{\"a\":{\"b\":[1,2]}}";

	expect_err(doc, "a..b", -EINVAL);
	expect_err(doc, "a.", -EINVAL);
	expect_err(doc, ".a", -EINVAL);
	expect_err(doc, "a.b[", -EINVAL);
	expect_err(doc, "a.b[x]", -EINVAL);
	expect_err(doc, "a.b[]", -EINVAL);
	expect_err(doc, "a.b[0]x", -EINVAL);
	expect_err(doc, "a]", -EINVAL);
	expect_err(doc, "a.b[1234567890]", -EINVAL);
	expect_num(doc, "a.b[1]", "2");
	/* a syntax error anywhere fails the query, even after the match */
	expect_err("{\"a\":1,}", "a", -EINVAL);
}

struct collect {
	char out[512];
	size_t n;
};

static int
collect_fn(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct collect *c = arg;
	size_t k;

	for (k = 0; k < depth; k++) {
		if (path[k].key != NULL)
			c->n += (size_t)snprintf(c->out + c->n,
			    sizeof(c->out) - c->n, "/%.*s", (int)path[k].keylen,
			    path[k].key);
		else
			c->n += (size_t)snprintf(c->out + c->n,
			    sizeof(c->out) - c->n, "/%zu", path[k].index);
	}
	c->n += (size_t)snprintf(c->out + c->n, sizeof(c->out) - c->n,
	    "=%d:%.*s;", (int)type, (int)len, text);
	return 0;
}

static int
stop_fn(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	(*(int *)arg)++;
	return type == CG_JSON_NULL ? 99 : type == CG_JSON_NUMBER ? 1 : 0;
}

Test(jsonnum, walker_reports_every_scalar)
{
	struct collect c = { .n = 0 };
	const char *doc = "{\"a\":[true,{\"b\":\"x\\n\"},null],\"c\":-2E3,"
	    "\"d\":{},\"e\":[]}";
	int calls = 0;

	cr_assert_eq(cg_json_walk(doc, strlen(doc), collect_fn, &c, NULL), 0);
	cr_assert_str_eq(c.out,
	    "/a/0=3:true;/a/1/b=1:x\\n;/a/2=5:null;/c=2:-2E3;");
	/* a callback's non-zero answer stops the walk and is returned */
	cr_assert_eq(cg_json_walk(doc, strlen(doc), stop_fn, &calls, NULL),
	    99);
	cr_assert_eq(calls, 3);
	calls = 0;
	cr_assert_eq(cg_json_walk("[true,2,null]", 13, stop_fn, &calls, NULL),
	    1);
	cr_assert_eq(calls, 2);
}
