/*
 * Prints the speed of the money and crypto helpers; a measurement, not a
 * test (no pass/fail, not run by meson test). Usage: bench-util
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/crypto.h"
#include "util/decimal.h"
#include "util/jsonnum.h"
#include "util/secretbox.h"
#include "util/token.h"

static volatile int sink;

#define BENCH(name, iters, body) do {					\
	int64_t b0_ = cg_mono_us();					\
	for (long it_ = 0; it_ < (iters); it_++) { body; }		\
	int64_t dt = cg_mono_us() - b0_;					\
	printf("%-34s %10.0f ns/op %12.0f op/s\n", name,		\
	    dt * 1000.0 / (iters), (iters) * 1e6 / (dt ? dt : 1));	\
} while (0)

static char *
big_doc(size_t *len)
{
	size_t cap = 4 << 20, n = 0;
	char *d = malloc(cap);
	int i = 0;

	if (d == NULL)
		abort();
	n += (size_t)snprintf(d, cap, "{\"result\":{\"tx\":[");
	while (n < cap - 200)
		n += (size_t)snprintf(d + n, cap - n, "%s{\"txid\":\"%064x\","
		    "\"vout\":[{\"value\":0.%08d,\"n\":%d}]}", i ? "," : "", i,
		    i, i), i++;
	n += (size_t)snprintf(d + n, cap - n, "]}}");
	*len = n;
	return d;
}

int
main(void)
{
	const char *price = "67187.123456789012345678";
	char buf[CG_U256_DECLEN], sealed[256], out[64];
	char tok[CG_TOKEN_MAX_LEN + 1], hdr[CG_WEBHOOK_HEADER_LEN(2) + 1];
	cg_i128 v, pay;
	struct cg_u256 a, b, q, r;
	struct cg_token t;
	struct cg_secretbox *box;
	uint8_t key[32] = { 1, 2, 3 }, mac[32];
	struct cg_bytes secrets[2] = { { "whsec_a", 7 }, { "whsec_b", 7 } };
	char body[1024];
	size_t dlen;
	char *doc;
	int64_t t0;

	memset(body, 'x', sizeof(body));
	BENCH("cg_dec_parse (24 chars, scale 18)", 2000000,
	    sink += cg_dec_parse(price, 24, 18, 36, CG_ROUND_EXACT, &v));
	BENCH("cg_dec_format (scale 18)", 2000000,
	    sink += cg_dec_format(v, 18, 0, buf, sizeof(buf)));
	BENCH("cg_dec_convert (fiat -> wei, ceil)", 1000000,
	    sink += cg_dec_convert(1999, 2, v, 18, 18, CG_ROUND_CEIL, &pay));
	cg_u256_from_hex("0xffffffffffffffffffffffffffffffffffffffffffffffffffff"
	    "ffffffffffff", 66, &a);
	BENCH("cg_u256_from_hex (64 digits)", 2000000,
	    sink += cg_u256_from_hex("0x00000000000000000000000000000000000000"
	    "00000000000000000de0b6b3a7640000", 66, &b));
	BENCH("cg_u256_to_dec (78 digits)", 500000,
	    sink += cg_u256_to_dec(&a, buf, sizeof(buf)));
	cg_u256_from_u128(&b, 6718733);
	BENCH("cg_u256_divmod (256 by 23 bits)", 500000,
	    sink += cg_u256_divmod(&q, &r, &a, &b));

	doc = big_doc(&dlen);
	t0 = cg_mono_us();
	for (int i = 0; i < 10; i++)
		sink += cg_json_walk(doc, dlen, NULL, NULL, NULL);
	printf("%-34s %10.1f MB/s (%zu byte document)\n", "cg_json_walk",
	    10.0 * dlen / (double)(cg_mono_us() - t0), dlen);
	t0 = cg_mono_us();
	for (int i = 0; i < 10; i++)
		sink += cg_json_decimal_path(doc, dlen,
		    "result.tx[1000].vout[0].value", 8, 26, CG_ROUND_EXACT, &v);
	printf("%-34s %10.1f MB/s\n", "cg_json_decimal_path (full doc)",
	    10.0 * dlen / (double)(cg_mono_us() - t0));
	free(doc);

	BENCH("cg_sha256 (60 bytes)", 500000,
	    sink += cg_sha256(tok, 60, mac));
	BENCH("cg_hmac_sha256 (1 KiB)", 200000,
	    sink += cg_hmac_sha256("whsec_a", 7, body, sizeof(body), mac));
	BENCH("cg_webhook_sign (1 KiB, 2 secrets)", 100000,
	    sink += cg_webhook_sign(1700000000, body, sizeof(body), secrets,
	    2, hdr, sizeof(hdr)));
	BENCH("cg_webhook_verify (1 KiB)", 100000,
	    sink += cg_webhook_verify(hdr, strlen(hdr), body, sizeof(body),
	    "whsec_b", 7, 1700000000, 300));
	BENCH("cg_token_generate", 100000,
	    sink += cg_token_generate("cgk", tok, sizeof(tok), &t));
	BENCH("cg_token_parse (+ SHA-256)", 500000,
	    sink += cg_token_parse(tok, 60, "cgk", &t));
	if (cg_secretbox_new(key, NULL, &box) != 0)
		return 1;
	BENCH("cg_secretbox_seal (49 bytes)", 200000,
	    sink += cg_secretbox_seal(box, "mrc_1", tok, 49, sealed,
	    sizeof(sealed)));
	BENCH("cg_secretbox_open (49 bytes)", 200000,
	    sink += cg_secretbox_open(box, "mrc_1", sealed, strlen(sealed), out,
	    sizeof(out)));
	cg_secretbox_free(box);
	return 0;
}
