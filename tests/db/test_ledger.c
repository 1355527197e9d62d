/*
 * The ledger helper on the seed's BTC wallet: postings, exact arithmetic,
 * duplicates ignored, tenancy, limits, verification, and concurrent
 * posters on one wallet.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "db/db.h"
#include "db/ledger.h"
#include "testdb.h"
#include "util/id.h"

#define MERCHANT "cseedmerchant000000000000"
#define WALLET "cseedwalbtc00000000000000"
#define NETWORK "cseednetbitcoin0000000000"
#define BTC "cseedcurbtc00000000000000"

static struct cg_testdb T;
static struct cg_db *DB;

static void
setup(void)
{
	cg_testdb_create_migrated(&T, true);
	DB = cg_testdb_open(&T);
}

static void
teardown(void)
{
	cg_db_close(DB);
	cg_testdb_drop(&T);
}

TestSuite(ledger, .init = setup, .fini = teardown, .timeout = 120);

/* Records a payment; its id goes to out. */
static void
payment(struct cg_db *db, char out[CG_ID_SIZE], const char *amount)
{
	cr_assert(cg_id_new(out) == 0);
	cr_assert(cg_db_run(db, "INSERT INTO transactions (id, network_id, tx_hash, "
	    "tx_position, to_address, currency_id, amount_raw, amount, merchant_id) "
	    "VALUES (?, ?, ?, 0, 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', ?, "
	    "'1', ?, ?)", "ssssss", out, NETWORK, out, BTC, amount, MERCHANT) == 1,
	    "%s", cg_db_error(db));
}

struct post {
	const char *merchant;
	const struct cg_posting *p;
	size_t n;
};

static int
tx_post(struct cg_db *db, void *arg)
{
	struct post *a = arg;

	return cg_ledger_post(db, a->merchant, WALLET, a->p, a->n, 1764560000000);
}

static int
post(const char *merchant, const struct cg_posting *p, size_t n)
{
	struct post a = { merchant, p, n };

	return cg_db_tx(DB, tx_post, &a);
}

static void
balances(char *pending, char *confirmed, int64_t *version)
{
	struct cg_stmt *st = cg_db_query(DB, "SELECT pending_balance, "
	    "confirmed_balance, version FROM wallets WHERE id = ?", "s", WALLET);

	cr_assert(st != NULL && cg_stmt_fetch(st) == 1);
	strcpy(pending, cg_stmt_str(st, 0));
	strcpy(confirmed, cg_stmt_str(st, 1));
	cr_assert(cg_stmt_i64(st, 2, version) == 0);
	cg_stmt_close(st);
}

static void
expect_consistent(void)
{
	char err[512] = "";

	cr_expect_eq(cg_ledger_verify(DB, WALLET, err, sizeof(err)), 0, "%s %s", err,
	    cg_db_error(DB));
}

Test(ledger, seen_then_confirmed)
{
	char tx[CG_ID_SIZE], pend[64], conf[64];
	int64_t version = -1, rows = 0;

	payment(DB, tx, "0.00150000");
	struct cg_posting seen = { "PENDING", "DEPOSIT", "SEEN", "0.0015", tx,
	    NULL, NULL, NULL };
	cr_assert_eq(post(MERCHANT, &seen, 1), 0, "%s", cg_db_error(DB));
	balances(pend, conf, &version);
	cr_expect_str_eq(pend, "0.001500000000000000");
	cr_expect_str_eq(conf, "0.000000000000000000");
	cr_expect_eq(version, 1);

	struct cg_posting confirm[2] = {
		{ "PENDING", "DEPOSIT", "CONFIRMED", "-0.0015", tx, NULL, NULL, NULL },
		{ "CONFIRMED", "DEPOSIT", "CONFIRMED", "0.0015", tx, NULL, NULL, NULL },
	};
	cr_assert_eq(post(MERCHANT, confirm, 2), 0, "%s", cg_db_error(DB));
	balances(pend, conf, &version);
	cr_expect_str_eq(pend, "0.000000000000000000");
	cr_expect_str_eq(conf, "0.001500000000000000");
	cr_expect_eq(version, 2);
	expect_consistent();

	/* The same moves again (a retried settlement): nothing changes. */
	cr_expect_eq(post(MERCHANT, &seen, 1), CG_LEDGER_DUPLICATE);
	cr_expect_eq(post(MERCHANT, confirm, 2), CG_LEDGER_DUPLICATE);
	balances(pend, conf, &version);
	cr_expect_eq(version, 2);
	cr_assert(cg_db_query_i64(DB, &rows, "SELECT COUNT(*) FROM balance_history", NULL) == 1);
	cr_expect_eq(rows, 3);
	{
		char v[64];

		cr_assert(cg_db_query_str(DB, v, sizeof(v), "SELECT balance_after FROM "
		    "balance_history WHERE wallet_version = 2 AND bucket = 'CONFIRMED'",
		    NULL) == 1);
		cr_expect_str_eq(v, "0.001500000000000000");
	}
}

Test(ledger, refusals_write_nothing)
{
	char tx[CG_ID_SIZE], pend[64], conf[64];
	int64_t version = -1;

	payment(DB, tx, "1");
	struct cg_posting p = { "PENDING", "DEPOSIT", "SEEN", "1", tx, NULL, NULL, NULL };
	/* Another merchant's wallet id is simply not found. */
	cr_expect_eq(post("cseedotherm00000000000000", &p, 1), CG_LEDGER_NOT_FOUND);
	/* Bad amounts and buckets. */
	static const char *const bad[] = { "0", "0.000", "1.1234567890123456789",
	    "1234567890123456789", "abc", "1e5", "", "-", ".5", "5.", "+1", NULL };
	for (int i = 0; bad[i] != NULL; i++) {
		p.amount = bad[i];
		cr_expect_eq(post(MERCHANT, &p, 1), CG_LEDGER_INVALID, "%s", bad[i]);
	}
	p.amount = "1";
	p.bucket = "SAVINGS";
	cr_expect_eq(post(MERCHANT, &p, 1), CG_LEDGER_INVALID);
	p.bucket = "PENDING";
	struct cg_posting twice[2] = { p, p };
	cr_expect_eq(post(MERCHANT, twice, 2), CG_LEDGER_INVALID);
	/* Pending may not go negative: the whole transaction rolls back. */
	p.amount = "-1";
	p.move_kind = "REVERSED";
	cr_expect_eq(post(MERCHANT, &p, 1), CG_DB_ERR);
	balances(pend, conf, &version);
	cr_expect_eq(version, 0);
	cr_expect_str_eq(pend, "0.000000000000000000");
	/* A balance beyond DECIMAL(36,18) is an error, not a clamp. */
	struct cg_posting big = { "CONFIRMED", "ADJUSTMENT", "MANUAL",
	    "999999999999999999.9", NULL, NULL, NULL, "test" };
	cr_expect_eq(post(MERCHANT, &big, 1), 0, "%s", cg_db_error(DB));
	cr_expect_eq(post(MERCHANT, &big, 1), CG_DB_ERR);
	balances(pend, conf, &version);
	cr_expect_str_eq(conf, "999999999999999999.900000000000000000");
	cr_expect_eq(version, 1);
	expect_consistent();
}

Test(ledger, verify_detects_a_tampered_balance)
{
	char tx[CG_ID_SIZE], err[512] = "";

	payment(DB, tx, "2");
	struct cg_posting p = { "PENDING", "DEPOSIT", "SEEN", "2", tx, NULL, NULL, NULL };
	cr_assert_eq(post(MERCHANT, &p, 1), 0);
	expect_consistent();
	cr_assert(cg_db_run(DB, "UPDATE wallets SET pending_balance = 3 WHERE id = ?",
	    "s", WALLET) == 1);
	cr_expect_eq(cg_ledger_verify(DB, WALLET, err, sizeof(err)), 1);
	cr_expect(strstr(err, "PENDING") != NULL, "%s", err);
	cr_expect_eq(cg_ledger_verify(DB, "cseednowallet000000000000", err, sizeof(err)), 1);

	/* A row that does not continue its predecessor (sums still agree). */
	cr_assert(cg_db_run(DB, "UPDATE wallets SET pending_balance = 3, "
	    "version = 2 WHERE id = ?", "s", WALLET) == 1);
	cr_assert(cg_db_run(DB, "INSERT INTO balance_history (id, wallet_id, "
	    "merchant_id, wallet_version, bucket, change_type, move_kind, amount, "
	    "balance_before, balance_after) VALUES ('cbogus0000000000000000000', ?, ?, "
	    "2, 'PENDING', 'ADJUSTMENT', 'MANUAL', 1, 5, 6)", "ss", WALLET,
	    MERCHANT) == 1, "%s", cg_db_error(DB));
	err[0] = '\0';
	cr_expect_eq(cg_ledger_verify(DB, WALLET, err, sizeof(err)), 1);
	cr_expect(strstr(err, "cbogus") != NULL, "%s", err);
}

struct poster {
	const struct cg_testdb *t;
	int ok;
};

static void *
run_poster(void *arg)
{
	struct poster *ps = arg;
	struct cg_db *db = cg_testdb_open(ps->t);
	char tx[CG_ID_SIZE];
	int i;

	for (i = 0; i < 40; i++) {
		struct cg_posting p = { "PENDING", "DEPOSIT", "SEEN", "0.1", tx,
		    NULL, NULL, NULL };
		struct post a = { MERCHANT, &p, 1 };

		payment(db, tx, "0.1");
		if (cg_db_tx(db, tx_post, &a) == 0)
			ps->ok++;
	}
	cg_db_close(db);
	return NULL;
}

Test(ledger, concurrent_posters_serialize_per_wallet)
{
	struct poster a = { &T, 0 }, b = { &T, 0 };
	char pend[64], conf[64];
	pthread_t ta, tb;
	int64_t version = 0;

	cr_assert(pthread_create(&ta, NULL, run_poster, &a) == 0);
	cr_assert(pthread_create(&tb, NULL, run_poster, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	cr_expect_eq(a.ok + b.ok, 80);
	balances(pend, conf, &version);
	cr_expect_str_eq(pend, "8.000000000000000000");
	cr_expect_eq(version, 80);
	expect_consistent();
}
