/*
 * The tron plugin through the real loader, against the local TronGrid
 * server (trongrid.py): derivation (checked against an independent private
 * derivation of the BIP39 test mnemonic), validation, payment requests,
 * scanning (TRX and TRC-20 exact, failed transfers flagged, positions,
 * confirmations by the solidified head, API key, reorgs) and hostile
 * replies.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>

#include "common/address.h"
#include "common/bip32.h"
#include "common/secp.h"
#include "plugins/registry.h"
#include "support.h"
#include "xprv.h"

#define KEY "k-3f9a1c"
#define USDT "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
#define A0 "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"	/* test mnemonic 0/0 */
#define A1 "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK"	/* 0/1 */
#define OTHER "TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx"	/* 0/2, not watched */
#define PAYER "TRhVWK5XEDkQBDevcdCWW7RW51aRncty4W"
#define ROUTER "TT2X2yyubp7qpAWYYNE5JQWBtoZ7ikQFsY"
#define XPUB "xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQc" \
    "koHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd"
#define MNEMONIC "abandon abandon abandon abandon abandon abandon abandon " \
    "abandon abandon abandon abandon about"

static struct tg_server srv;
static struct tg_plugin plug;
static struct tg_sink sink;
static char err[2048];

static void
setup(void)
{
	tg_capture_log();
	cr_assert_eq(tg_start(&srv, KEY), 0, "trongrid.py did not start");
	setenv("CG_TRON_TEST_KEY", KEY, 1);
	tg_sink_init(&sink);
	sink.watched[sink.watched_count++] = A0;
	sink.watched[sink.watched_count++] = A1;
}

static void
teardown(void)
{
	tg_unload(&plug);
	tg_sink_free(&sink);
	tg_stop(&srv);
	tg_release_log();
}

TestSuite(tron, .init = setup, .fini = teardown, .timeout = 60);

/* Loads the instance against the server with extra settings. */
static void
load(const char *extra)
{
	char settings[2048];

	snprintf(settings, sizeof(settings), "{api_urls: "
	    "[\"http://127.0.0.1:%d\"], api_key_env: CG_TRON_TEST_KEY, "
	    "trc20_contracts: [" USDT "], allow_test_keys: true"
	    "%s%s}", srv.port, extra ? ", " : "",
	    extra ? extra : "");
	cr_assert_eq(tg_load(&plug, settings, err, sizeof(err)), 0, "%s", err);
}

static void
ctl(const char *op, const char *json)
{
	char *r = tg_control(&srv, op, json);

	cr_assert_not_null(r, "control %s failed", op);
	free(r);
}

/* Mines one block; returns its height. */
static uint64_t
mine(const char *txs)
{
	char body[8192], *r;
	unsigned long long h;

	snprintf(body, sizeof(body), "{\"txs\": [%s]}", txs);
	r = tg_control(&srv, "mine", body);
	cr_assert_not_null(r);
	cr_assert_eq(sscanf(r, "{\"height\": %llu", &h), 1, "%s", r);
	free(r);
	return h;
}

static const struct tg_transfer *
find(const char *to, const char *contract, uint32_t position)
{
	for (size_t i = 0; i < sink.transfer_count; i++) {
		const struct tg_transfer *t = &sink.transfers[i];

		if (strcmp(t->to, to) == 0 &&
		    strcmp(t->contract, contract) == 0 &&
		    t->position == position)
			return t;
	}
	return NULL;
}

/* ---- addresses ---- */

Test(tron, derives_the_test_mnemonic_addresses)
{
	char out[64];
	size_t len;

	load(NULL);
	cr_assert_eq(cg_plugin_check_xpub(plug.inst, XPUB), 0);
	cr_assert_eq(cg_plugin_derive_address(plug.inst, XPUB, 0, out,
	    sizeof(out), &len), 0);
	cr_assert_str_eq(out, A0);
	cr_assert_eq(len, 34);
	cr_assert_eq(cg_plugin_derive_address(plug.inst, XPUB, 1, out,
	    sizeof(out), &len), 0);
	cr_assert_str_eq(out, A1);
	/* Too small a buffer says what it needs. */
	cr_assert_eq(cg_plugin_derive_address(plug.inst, XPUB, 0, out, 34,
	    &len), -ENOSPC);
	cr_assert_eq(len, 34);
	cr_assert_eq(cg_plugin_derive_address(plug.inst, XPUB, 0x80000000u,
	    out, sizeof(out), &len), -EINVAL);
}

/* The same addresses by another road: BIP39 seed, private BIP32 down
 * m/44'/195'/0'/0/i, public key from the private key. */
Test(tron, derivation_matches_an_independent_private_derivation)
{
	struct cgt_xprv master, account, child;
	char xpub[CGC_XKEY_STR_MAX], addr[CGC_TRON_ADDR_STRLEN], out[64];
	uint8_t seed[64], pub[33];
	struct cgc_xpub neutered;
	secp256k1_pubkey pk;
	size_t len = sizeof(pub);

	load(NULL);
	cr_assert_eq(cgt_bip39_seed(MNEMONIC, "", seed), 0);
	cr_assert_eq(cgt_xprv_from_seed(seed, 64, 0x0488ade4u, &master), 0);
	cr_assert_eq(cgt_xprv_derive(&master, "m/44'/195'/0'", &account), 0);
	cr_assert_eq(cgt_xprv_neuter(&account, 0x0488b21eu, &neutered), 0);
	cr_assert_eq(cgc_xpub_format(&neutered, xpub, sizeof(xpub), NULL), 0);
	cr_assert_str_eq(xpub, XPUB);
	for (uint32_t i = 0; i < 8; i++) {
		char path[32];

		snprintf(path, sizeof(path), "m/44'/195'/0'/0/%u", i);
		cr_assert_eq(cgt_xprv_derive(&master, path, &child), 0);
		cr_assert(secp256k1_ec_pubkey_create(cgc_secp256k1(), &pk,
		    child.key));
		len = sizeof(pub);
		secp256k1_ec_pubkey_serialize(cgc_secp256k1(), pub, &len, &pk,
		    SECP256K1_EC_COMPRESSED);
		cr_assert_eq(cgc_tron_address_from_pubkey(pub, 33, addr), 0);
		cr_assert_eq(cg_plugin_derive_address(plug.inst, XPUB, i, out,
		    sizeof(out), NULL), 0);
		cr_assert_str_eq(out, addr, "index %u", i);
	}
}

Test(tron, refuses_unsuitable_xpubs)
{
	/* BIP84 zpub of the test mnemonic (BIP84's published vector). */
	static const char zpub[] = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYY"
	    "fG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
	struct cgc_xpub x, chg;
	char deeper[CGC_XKEY_STR_MAX];

	load("confirmed_head: latest");
	cr_assert_eq(cg_plugin_check_xpub(plug.inst, zpub), -EINVAL);
	cr_assert_eq(cg_plugin_check_xpub(plug.inst, "xpub123"), -EINVAL);
	/* The change-level key (depth 4) is not an account key. */
	cr_assert_eq(cgc_xpub_parse(XPUB, &x, NULL), 0);
	cr_assert_eq(cgc_xpub_child(&x, 0, &chg, NULL), 0);
	cr_assert_eq(cgc_xpub_format(&chg, deeper, sizeof(deeper), NULL), 0);
	cr_assert_eq(cg_plugin_check_xpub(plug.inst, deeper), -EINVAL);
	cr_assert(tg_log_has("xpub refused", "not an account key"));
	tg_unload(&plug);

	/* Without allow_test_keys the public test wallet is refused. */
	{
		char settings[512];

		snprintf(settings, sizeof(settings), "{api_urls: "
		    "[\"http://127.0.0.1:%d\"]}", srv.port);
		cr_assert_eq(tg_load(&plug, settings, err, sizeof(err)), 0,
		    "%s", err);
	}
	cr_assert_eq(cg_plugin_check_xpub(plug.inst, XPUB), -EINVAL);
	cr_assert(tg_log_has("publicly known test wallet", NULL));
}

Test(tron, validates_addresses)
{
	char out[64], bad[64];
	size_t len;

	load(NULL);
	cr_assert_eq(cg_plugin_validate_address(plug.inst, A0, out,
	    sizeof(out), &len), 0);
	cr_assert_str_eq(out, A0);
	/* TronGrid's hex form is accepted and written in Base58. */
	cr_assert_eq(cg_plugin_validate_address(plug.inst,
	    "41a614f803b6fd780986a42c78ec9c7f77e6ded13c", out, sizeof(out),
	    &len), 0);
	cr_assert_str_eq(out, USDT);
	cr_assert_eq(cg_plugin_validate_address(plug.inst, A0, NULL, 0,
	    NULL), 0);
	/* A changed character breaks the checksum. */
	snprintf(bad, sizeof(bad), "%s", A0);
	bad[33] = bad[33] == 'H' ? 'J' : 'H';
	cr_assert_eq(cg_plugin_validate_address(plug.inst, bad, out,
	    sizeof(out), &len), -EINVAL);
	/* Valid Base58Check with another version byte (Bitcoin P2PKH). */
	cr_assert_eq(cg_plugin_validate_address(plug.inst,
	    "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", out, sizeof(out), &len),
	    -EINVAL);
	cr_assert_eq(cg_plugin_validate_address(plug.inst,
	    "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", out, sizeof(out),
	    &len), -EINVAL);
	cr_assert_eq(cg_plugin_validate_address(plug.inst, "", out,
	    sizeof(out), &len), -EINVAL);
	cr_assert_eq(cg_plugin_validate_address(plug.inst, A0, out, 10,
	    &len), -ENOSPC);
	cr_assert_eq(len, 34);
}

Test(tron, payment_request_is_the_bare_address)
{
	struct cg_uri_request req = { .struct_size = sizeof(req),
	    .decimals = 6, .address = A0, .contract = USDT,
	    .amount = "12500000" };
	char out[128];
	size_t len;

	load(NULL);
	cr_assert_eq(cg_plugin_payment_uri(plug.inst, &req, out, sizeof(out),
	    &len), 0);
	cr_assert_str_eq(out, A0);
	req.amount = "12.5";
	cr_assert_eq(cg_plugin_payment_uri(plug.inst, &req, out, sizeof(out),
	    &len), -EINVAL);
	req.amount = NULL;
	req.address = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdX";
	cr_assert_eq(cg_plugin_payment_uri(plug.inst, &req, out, sizeof(out),
	    &len), -EINVAL);
}

/* ---- scanning ---- */

#define TRX(to, amount) \
    "{\"type\":\"trx\",\"from\":\"" PAYER "\",\"to\":\"" to "\"," \
    "\"amount\":" amount "}"
#define TRC20(to, amount, fail) \
    "{\"type\":\"trc20\",\"contract\":\"" USDT "\",\"from\":\"" PAYER \
    "\",\"to\":\"" to "\",\"amount\":\"" amount "\",\"fail\":" fail "}"

Test(tron, scan_reports_trx_and_trc20_exactly)
{
	const struct tg_transfer *t;
	uint64_t h;

	load(NULL);
	h = mine(TRX(A0, "1500000") "," TRX(OTHER, "7") ","
	    TRC20(A1, "123456789012345678901234567890", "false") ","
	    TRC20(A0, "25000000", "true") ","
	    /* a contract paying two watched addresses, after an Approval */
	    "{\"type\":\"multi\",\"contract\":\"" USDT "\",\"via\":\"" ROUTER
	    "\",\"from\":\"" PAYER "\",\"approval_first\":true,\"transfers\":["
	    "{\"to\":\"" A0 "\",\"amount\":\"9000000\"},"
	    "{\"to\":\"" OTHER "\",\"amount\":\"1\"},"
	    "{\"to\":\"" A0 "\",\"amount\":\"1000001\"}]},"
	    /* a token the gateway does not track */
	    "{\"type\":\"trc20\",\"contract\":\"" ROUTER "\",\"from\":\"" PAYER
	    "\",\"to\":\"" A0 "\",\"amount\":\"5\",\"fail\":false},"
	    TRX(A1, "0"));
	cr_assert_eq(h, 1);
	ctl("solidify", "{\"height\": 1}");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 1);
	cr_assert_eq(sink.headers[0].height, 1);
	cr_assert_eq(strncmp(sink.headers[0].hash, "0000000000000001", 16), 0);
	cr_assert_eq(sink.headers[0].time, 1700000003);
	cr_assert_eq(sink.result.next_height, 2);
	cr_assert_eq(sink.result.tip_height, 1);
	for (size_t i = 0; i < sink.transfer_count; i++)
		cr_log_info("transfer %s %s %u %s %u", sink.transfers[i].to,
		    sink.transfers[i].contract, sink.transfers[i].position,
		    sink.transfers[i].amount, sink.transfers[i].flags);
	cr_assert_eq(sink.transfer_count, 5, "got %zu", sink.transfer_count);

	t = find(A0, "", CG_TRANSFER_POSITION_VALUE);
	cr_assert_not_null(t);
	cr_assert_str_eq(t->amount, "1500000");
	cr_assert_str_eq(t->from, PAYER);
	cr_assert_eq(t->flags, 0);
	cr_assert_eq(t->block_height, 1);
	cr_assert_str_eq(t->block_hash, sink.headers[0].hash);

	t = find(A1, USDT, 0);
	cr_assert_not_null(t);
	cr_assert_str_eq(t->amount, "123456789012345678901234567890");
	cr_assert_str_eq(t->from, PAYER);
	cr_assert_eq(t->flags, 0);

	/* The reverted transfer is reported, flagged, never to be counted. */
	t = find(A0, USDT, 0);
	cr_assert_not_null(t);
	cr_assert_str_eq(t->amount, "25000000");
	cr_assert_eq(t->flags, CG_TRANSFER_FAILED);

	/* Two transfers of one transaction: distinct log positions (the
	 * Approval is log 0, the transfer to OTHER log 2). */
	cr_assert_not_null(t = find(A0, USDT, 1));
	cr_assert_str_eq(t->amount, "9000000");
	cr_assert_str_eq(t->from, ROUTER);
	cr_assert_eq(t->flags, 0);
	cr_assert_not_null(t = find(A0, USDT, 3));
	cr_assert_str_eq(t->amount, "1000001");
	cr_assert_str_eq(find(A0, USDT, 1)->tx_hash, t->tx_hash);
	cr_assert_str_neq(find(A0, "", CG_TRANSFER_POSITION_VALUE)->tx_hash, t->tx_hash);
	cr_assert(strlen(t->tx_hash) == 64);
	/* Nothing for OTHER, for the untracked token or the zero transfer. */
	for (size_t i = 0; i < sink.transfer_count; i++) {
		cr_assert_str_neq(sink.transfers[i].to, OTHER);
		cr_assert_str_neq(sink.transfers[i].contract, ROUTER);
	}
	cr_assert_eq(tg_scan(&plug, &sink, 2, 10, NULL, NULL, 0), -EAGAIN);
}

Test(tron, failed_transfer_from_and_prefixed_log_addresses)
{
	const struct tg_transfer *t;

	load(NULL);
	mine("{\"type\":\"trc20\",\"contract\":\"" USDT "\",\"from\":\""
	    OTHER "\",\"to\":\"" A1 "\",\"amount\":\"4000000\",\"fail\":true,"
	    "\"transfer_from\":true},"
	    /* a log address written with its 41 prefix */
	    "{\"type\":\"trc20\",\"contract\":\"" USDT "\",\"from\":\""
	    PAYER "\",\"to\":\"" A0 "\",\"amount\":\"6\",\"log41\":true}");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.transfer_count, 2);
	cr_assert_not_null(t = find(A0, USDT, 0));
	cr_assert_eq(t->flags, 0);
	cr_assert_str_eq(t->amount, "6");
	cr_assert_not_null(t = find(A1, USDT, 0));
	cr_assert_eq(t->flags, CG_TRANSFER_FAILED);
	cr_assert_str_eq(t->from, OTHER);
	cr_assert_str_eq(t->amount, "4000000");
}

Test(tron, host_token_list_extends_the_watched_contracts)
{
	const char *const host_tokens[] = { ROUTER };

	load(NULL);
	mine("{\"type\":\"trc20\",\"contract\":\"" ROUTER "\",\"from\":\""
	    PAYER "\",\"to\":\"" A0 "\",\"amount\":\"5\",\"fail\":false}");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.transfer_count, 0);
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, host_tokens, 1), 0);
	cr_assert_eq(sink.transfer_count, 1);
	cr_assert_str_eq(sink.transfers[0].contract, ROUTER);
	cr_assert_str_eq(sink.transfers[0].amount, "5");
	{
		const char *const bad[] = { "Tnot-an-address" };

		cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, bad, 1),
		    -EINVAL);
	}
}

Test(tron, confirmations_follow_the_solidified_head)
{
	uint64_t tip = 99;
	char hash[80];

	load(NULL);
	mine(TRX(A0, "1000000"));
	ctl("mine", "{\"count\": 4}");		/* head 5, solidified 0 */
	cr_assert_eq(cg_plugin_tip(plug.inst, &tip), 0);
	cr_assert_eq(tip, 0);
	/* Blocks above the solidified head are reported (unconfirmed). */
	cr_assert_eq(tg_scan(&plug, &sink, 1, 100, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 5);
	cr_assert_eq(sink.result.tip_height, 0);
	cr_assert_eq(sink.result.next_height, 6);
	ctl("solidify", "{\"height\": 3}");
	cr_assert_eq(cg_plugin_tip(plug.inst, &tip), 0);
	cr_assert_eq(tip, 3);
	cr_assert_eq(tg_scan(&plug, &sink, 1, 100, NULL, NULL, 0), 0);
	cr_assert_eq(sink.result.tip_height, 3);
	/* The header chain links up. */
	for (size_t i = 1; i < sink.header_count; i++)
		cr_assert_str_eq(sink.headers[i].parent,
		    sink.headers[i - 1].hash);
	cr_assert_eq(cg_plugin_block_hash(plug.inst, 2, hash, sizeof(hash),
	    NULL), 0);
	cr_assert_str_eq(hash, sink.headers[1].hash);
	cr_assert_eq(cg_plugin_block_hash(plug.inst, 50, hash, sizeof(hash),
	    NULL), -ENOENT);
	tg_unload(&plug);

	/* Only solidified blocks when scan_unconfirmed is off. */
	load("scan_unconfirmed: false, blocks_per_batch: 2");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 100, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 2);	/* the batch limit */
	cr_assert_eq(tg_scan(&plug, &sink, 3, 100, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 1);	/* up to the solidified 3 */
	cr_assert_eq(tg_scan(&plug, &sink, 4, 100, NULL, NULL, 0), -EAGAIN);
	cr_assert_eq(sink.result.tip_height, 3);
	tg_unload(&plug);

	/* confirmed_head: latest counts from the newest block. */
	load("confirmed_head: latest");
	cr_assert_eq(cg_plugin_tip(plug.inst, &tip), 0);
	cr_assert_eq(tip, 5);
}

Test(tron, api_key_header_is_sent_and_required)
{
	char settings[512], *stats;

	load(NULL);
	mine(TRX(A0, "1"));
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	stats = tg_stats(&srv);
	cr_assert_not_null(stats);
	cr_assert_not_null(strstr(stats, "\"bad_key\": 0"), "%s", stats);
	free(stats);
	tg_unload(&plug);

	/* A wrong key: TronGrid answers 401; a logged error, nothing read. */
	setenv("CG_TRON_TEST_KEY", "wrong", 1);
	load(NULL);
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), -EIO);
	cr_assert_eq(sink.header_count, 0);
	cr_assert(tg_log_has("trongrid http error", "status=401"));
	tg_unload(&plug);

	/* No key at all. */
	snprintf(settings, sizeof(settings), "{api_urls: "
	    "[\"http://127.0.0.1:%d\"]}", srv.port);
	cr_assert_eq(tg_load(&plug, settings, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cg_plugin_tip(plug.inst, &(uint64_t){ 0 }), -EIO);
	stats = tg_stats(&srv);
	cr_assert_null(strstr(stats, "\"bad_key\": 0"), "%s", stats);
	free(stats);
	/* The key itself never reaches the log. */
	cr_assert(!tg_log_has(KEY, NULL));
}

Test(tron, reorg_gives_new_hashes_and_same_identities)
{
	char before[3][80], after[80];
	const struct tg_transfer *t;
	char txid[80], oldblock[80];

	load(NULL);
	mine("");
	mine(TRC20(A0, "42000000", "false"));
	mine("");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 3);
	for (int i = 0; i < 3; i++)
		snprintf(before[i], sizeof(before[i]), "%s",
		    sink.headers[i].hash);
	cr_assert_not_null(t = find(A0, USDT, 0));
	snprintf(txid, sizeof(txid), "%s", t->tx_hash);
	snprintf(oldblock, sizeof(oldblock), "%s", t->block_hash);

	ctl("reorg", "{\"depth\": 2}");
	cr_assert_eq(cg_plugin_block_hash(plug.inst, 2, after, sizeof(after),
	    NULL), 0);
	cr_assert_str_neq(after, before[1]);
	cr_assert_eq(cg_plugin_block_hash(plug.inst, 1, after, sizeof(after),
	    NULL), 0);
	cr_assert_str_eq(after, before[0]);
	/* Rescanning from the fork point: the first parent is the block the
	 * host kept, the transfer keeps its identity in a new block. */
	cr_assert_eq(tg_scan(&plug, &sink, 2, 10, before[0], NULL, 0), 0);
	cr_assert_eq(sink.header_count, 2);
	cr_assert_str_eq(sink.headers[0].parent, before[0]);
	cr_assert_str_neq(sink.headers[0].hash, before[1]);
	cr_assert_str_neq(sink.headers[1].hash, before[2]);
	cr_assert_not_null(t = find(A0, USDT, 0));
	cr_assert_str_eq(t->tx_hash, txid);
	cr_assert_str_neq(t->block_hash, oldblock);
	cr_assert_str_eq(t->amount, "42000000");
}

/* ---- hostile and broken servers ---- */

struct hostile_case {
	const char *path;
	const char *mode;
	int rc;
	const char *log_a;
	const char *log_b;
};

static void
hostile(const struct hostile_case *c)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"path\": \"%s\", \"mode\": \"%s\", "
	    "\"count\": 1, \"delay\": 6}", c->path, c->mode);
	ctl("fault", body);
	tg_sink_reset(&sink);
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), c->rc,
	    "mode %s on %s", c->mode, c->path);
	cr_assert_eq(sink.header_count, 0, "mode %s", c->mode);
	cr_assert_eq(sink.transfer_count, 0, "mode %s", c->mode);
	cr_assert(tg_log_has(c->log_a, c->log_b), "no log for %s on %s",
	    c->mode, c->path);
	/* The fault is spent: the next scan reads the block whole. */
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0,
	    "after %s", c->mode);
	cr_assert_eq(sink.header_count, 1);
	cr_assert_eq(sink.transfer_count, 2);
}

Test(tron, hostile_replies_are_errors_and_logged)
{
	static const char blk[] = "/wallet/getblockbynum";
	static const char inf[] = "/wallet/gettransactioninfobyblocknum";
	static const char solid[] = "/walletsolidity/getnowblock";
	static const char now[] = "/wallet/getnowblock";
	const struct hostile_case cases[] = {
		{ blk, "status500", -EIO, "http error", "status=500" },
		{ inf, "status500", -EIO, "http error", "status=500" },
		{ blk, "truncated", -EIO, "not JSON", blk },
		{ inf, "truncated", -EIO, "not JSON", inf },
		{ solid, "truncated", -EIO, "not JSON", solid },
		{ blk, "garbage", -EIO, "not JSON", blk },
		{ blk, "error", -EIO, "trongrid error", "rate limit" },
		{ blk, "wrong_types", -EIO, "bad block", "number" },
		{ inf, "wrong_types", -EIO, "bad block", "malformed Transfer" },
		{ now, "wrong_types", -EIO, "bad head", now },
		{ blk, "huge", -EIO, "not JSON", "too big" },
		{ solid, "huge", -EIO, "not JSON", "too big" },
		{ blk, "negative", -EIO, "bad block", "amount" },
		{ inf, "mismatch", -EIO, "bad block", "does not hold" },
		{ blk, "empty", -EAGAIN, "not served yet", NULL },
		{ blk, "slow", -ETIMEDOUT, "request failed", "errno=110" },
	};

	load("request_timeout_ms: 2000");
	mine(TRX(A0, "3000000") "," TRC20(A1, "77", "false"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		hostile(&cases[i]);
	cr_assert_str_eq(find(A1, USDT, 0)->amount, "77");
}

Test(tron, failover_to_the_next_url)
{
	char settings[512];
	uint64_t tip = 0;

	/* Port 1 on loopback refuses connections. */
	snprintf(settings, sizeof(settings), "{api_urls: "
	    "[\"http://user:pw@127.0.0.1:1/k-in-path\", "
	    "\"http://127.0.0.1:%d/\"], "
	    "api_key_env: CG_TRON_TEST_KEY, confirmed_head: latest}",
	    srv.port);
	cr_assert_eq(tg_load(&plug, settings, err, sizeof(err)), 0, "%s", err);
	mine(TRX(A1, "5"));
	cr_assert_eq(cg_plugin_tip(plug.inst, &tip), 0);
	cr_assert_eq(tip, 1);
	cr_assert(tg_log_has("trongrid request failed", "127.0.0.1:1 "));
	cr_assert(tg_log_has("trongrid failover", NULL));
	/* Logs show the origin, never a key carried in the path or user. */
	cr_assert(!tg_log_has("k-in-path", NULL));
	cr_assert(!tg_log_has("pw@", NULL));
	/* A 500 on the second moves back to the first, which is dead. */
	ctl("fault", "{\"path\": \"/wallet/getnowblock\", \"mode\": "
	    "\"status500\"}");
	cr_assert_eq(cg_plugin_tip(plug.inst, &tip), -EIO);
	cr_assert_eq(tg_scan(&plug, &sink, 1, 5, NULL, NULL, 0), 0);
	cr_assert_eq(sink.transfer_count, 1);
}

Test(tron, a_failure_inside_a_batch_keeps_the_blocks_before_it)
{
	load(NULL);
	mine(TRX(A0, "1"));
	mine(TRX(A0, "2"));
	mine(TRX(A0, "3"));
	ctl("fault", "{\"path\": \"/wallet/getblockbynum\", \"mode\": "
	    "\"status500\", \"num\": 2}");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 1);
	cr_assert_eq(sink.result.next_height, 2);
	cr_assert_eq(sink.transfer_count, 1);
	cr_assert_str_eq(sink.transfers[0].amount, "1");
	cr_assert_eq(strncmp(sink.cursor, "1:", 2), 0, "%s", sink.cursor);
	cr_assert_eq(tg_scan(&plug, &sink, 2, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 2);
	cr_assert_str_eq(sink.transfers[1].amount, "3");
}

Test(tron, a_chain_moving_during_the_batch_ends_it)
{
	load(NULL);
	mine(TRX(A0, "1"));
	mine(TRX(A0, "2"));
	mine(TRX(A0, "3"));
	ctl("fault", "{\"path\": \"/wallet/getblockbynum\", \"mode\": "
	    "\"forked\", \"num\": 3}");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.header_count, 2);
	cr_assert_eq(sink.transfer_count, 2);
	cr_assert_eq(sink.result.next_height, 3);
	cr_assert(tg_log_has("chain changed during the batch", "height=3"));
}

Test(tron, a_reply_beyond_the_size_limit_is_refused)
{
	load("max_reply_bytes: 65536");
	ctl("bench", "{\"blocks\": 1, \"transfers\": 200, \"contract\": \""
	    USDT "\", \"from\": \"" PAYER "\", \"to\": [\"" A0 "\"]}");
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), -EMSGSIZE);
	cr_assert_eq(sink.header_count, 0);
	cr_assert(tg_log_has("trongrid request failed", "errno=90"));
	tg_unload(&plug);
	load(NULL);
	cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
	cr_assert_eq(sink.transfer_count, 200);
}

struct deriver {
	pthread_t th;
	int bad;
};

static void *
derive_loop(void *arg)
{
	struct deriver *d = arg;
	char out[64];

	for (int i = 0; i < 200; i++) {
		if (cg_plugin_derive_address(plug.inst, XPUB, (uint32_t)(i & 1),
		    out, sizeof(out), NULL) != 0 ||
		    strcmp(out, (i & 1) ? A1 : A0) != 0)
			d->bad++;
		if (cg_plugin_validate_address(plug.inst, A1, out, sizeof(out),
		    NULL) != 0 || strcmp(out, A1) != 0)
			d->bad++;
	}
	return NULL;
}

/* The pure operations run on other threads while a scan runs. */
Test(tron, pure_operations_beside_a_scan)
{
	struct deriver d[2] = { { 0 } };

	load(NULL);
	for (int i = 0; i < 5; i++)
		mine(TRX(A0, "1") "," TRC20(A1, "2", "false"));
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&d[i].th, NULL, derive_loop, &d[i]),
		    0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(tg_scan(&plug, &sink, 1, 10, NULL, NULL, 0), 0);
		cr_assert_eq(sink.header_count, 5);
		cr_assert_eq(sink.transfer_count, 10);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(d[i].th, NULL);
		cr_assert_eq(d[i].bad, 0);
	}
}

Test(tron, settings_are_checked)
{
	char settings[512];

	snprintf(settings, sizeof(settings), "{api_urls: [\"ftp://x\"]}");
	cr_assert_neq(tg_load(&plug, settings, err, sizeof(err)), 0);
	tg_unload(&plug);
	snprintf(settings, sizeof(settings), "{api_urls: [\"http://x\"], "
	    "trc20_contracts: [TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T]}");
	cr_assert_neq(tg_load(&plug, settings, err, sizeof(err)), 0);
	tg_unload(&plug);
	/* A secret written inline is refused by the host's schema. */
	snprintf(settings, sizeof(settings), "{api_urls: [\"http://x\"], "
	    "api_key: abc}");
	cr_assert_neq(tg_load(&plug, settings, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "api_key"), "%s", err);
}
