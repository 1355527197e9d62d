/*
 * Address pool and derivation counter: concurrent invoice creations get
 * distinct addresses and indexes, an empty pool falls back to the counter,
 * nothing is handed out twice.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "db/db.h"
#include "db/pool.h"
#include "testdb.h"

#define MERCHANT "cseedmerchant000000000000"
#define NETWORK "cseednetbitcoin0000000000"
#define WALLET "cseedwalbtc00000000000000"
#define BTC "cseedcurbtc00000000000000"
#define USD "cseedcurusd00000000000000"

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

TestSuite(pool, .init = setup, .fini = teardown, .timeout = 120);

static int
tx_create_invoice(struct cg_db *db, void *arg)
{
	struct cg_pool_address a;
	struct cg_pool_counter c;
	char inv[CG_ID_SIZE], *derived = arg;
	int rc;

	rc = cg_pool_reserve(db, MERCHANT, NETWORK, &a);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0) {
		char path[64];

		if (cg_pool_next_index(db, MERCHANT, NETWORK, &c) != 1)
			return CG_DB_ERR;
		/* Stands in for the plugin's derivation. */
		snprintf(a.address, sizeof(a.address), "bc1qtest%05lld", (long long)c.index);
		snprintf(path, sizeof(path), "m/84'/0'/0'/0/%lld", (long long)c.index);
		if (cg_pool_insert(db, MERCHANT, NETWORK, &c, a.address, NULL, path,
		    1764560000000, a.id) != 0)
			return CG_DB_ERR;
		(*derived)++;
	}
	if (cg_id_new(inv) != 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "INSERT INTO invoices (id, merchant_id, amount, currency_id, "
	    "pay_amount, pay_currency_id, network_id, wallet_id, address_pool_id, "
	    "deposit_address, payment_uri, confirmations_required, expires_at) "
	    "VALUES (?, ?, '10.00', ?, '0.00015', ?, ?, ?, ?, ?, CONCAT('bitcoin:', ?), "
	    "2, ?)", "ssssssssst", inv, MERCHANT, USD, BTC, NETWORK, WALLET, a.id,
	    a.address, a.address, (int64_t)1764563600000) != 1)
		return CG_DB_ERR;
	return cg_pool_assign(db, a.id, inv, 1764560000000) == 1 ? 0 : CG_DB_ERR;
}

struct creator {
	const struct cg_testdb *t;
	int ok;
	char derived;
};

static void *
run_creator(void *arg)
{
	struct creator *c = arg;
	struct cg_db *db = cg_testdb_open(c->t);
	int i;

	for (i = 0; i < 15; i++) {
		if (cg_db_tx(db, tx_create_invoice, &c->derived) == 0)
			c->ok++;
		else
			fprintf(stderr, "creation failed: %s\n", cg_db_error(db));
	}
	cg_db_close(db);
	return NULL;
}

static int64_t
count(const char *sql)
{
	int64_t n = -1;

	cr_assert(cg_db_query_i64(DB, &n, sql, NULL) == 1, "%s: %s", sql, cg_db_error(DB));
	return n;
}

Test(pool, concurrent_creations_never_share_an_address)
{
	struct creator a = { &T, 0, 0 }, b = { &T, 0, 0 };
	pthread_t ta, tb;

	cr_assert(pthread_create(&ta, NULL, run_creator, &a) == 0);
	cr_assert(pthread_create(&tb, NULL, run_creator, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	cr_expect_eq(a.ok + b.ok, 30);
	/* The seed's 5 pool addresses first, then 25 derived ones. */
	cr_expect_eq(a.derived + b.derived, 25);
	cr_expect_eq(count("SELECT COUNT(DISTINCT deposit_address) FROM invoices"), 30);
	cr_expect_eq(count("SELECT COUNT(DISTINCT address_pool_id) FROM invoices"), 30);
	cr_expect_eq(count("SELECT COUNT(DISTINCT derivation_index) FROM address_pools "
	    "WHERE network_id = '" NETWORK "'"), 30);
	cr_expect_eq(count("SELECT MAX(derivation_index) FROM address_pools "
	    "WHERE network_id = '" NETWORK "'"), 29);
	cr_expect_eq(count("SELECT next_index FROM address_counters "
	    "WHERE network_id = '" NETWORK "'"), 30);
	cr_expect_eq(count("SELECT COUNT(*) FROM address_pools p JOIN invoices i "
	    "ON i.address_pool_id = p.id WHERE p.status = 'ASSIGNED' AND "
	    "p.invoice_id = i.id AND p.address = i.deposit_address"), 30);
}

Test(pool, empty_pool_and_missing_key)
{
	struct cg_pool_address a;
	struct cg_pool_counter c;
	char id[CG_ID_SIZE];

	cr_assert(cg_db_exec(DB, "START TRANSACTION") == 0);
	/* Ethereum has 5 seeded addresses, in index order. */
	cr_expect_eq(cg_pool_reserve(DB, MERCHANT, "cseednetethereum000000000", &a), 1);
	cr_expect_str_eq(a.address, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
	cr_expect_eq(a.index, 0);
	/* TRON has none: the counter gives index 0 and moves on. */
	cr_expect_eq(cg_pool_reserve(DB, MERCHANT, "cseednettron0000000000000", &a), 0);
	cr_expect_eq(cg_pool_next_index(DB, MERCHANT, "cseednettron0000000000000", &c), 1);
	cr_expect_eq(c.index, 0);
	cr_expect(strncmp(c.xpub, "xpub6D1AabNH", 12) == 0, "%s", c.xpub);
	cr_expect_eq(cg_pool_next_index(DB, MERCHANT, "cseednettron0000000000000", &c), 1);
	cr_expect_eq(c.index, 1);
	cr_expect_eq(cg_pool_insert(DB, MERCHANT, "cseednettron0000000000000", &c,
	    "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", NULL, "m/44'/195'/0'/0/1",
	    1764560000000, id), 0, "%s", cg_db_error(DB));
	/* The same index twice is refused. */
	cr_expect_eq(cg_pool_insert(DB, MERCHANT, "cseednettron0000000000000", &c,
	    "TXXX", NULL, "m/44'/195'/0'/0/1", 1764560000000, id), -1);
	/* No key for this merchant on that network. */
	cr_expect_eq(cg_pool_next_index(DB, "cseednomerchant0000000000",
	    "cseednettron0000000000000", &c), 0);
	cr_assert(cg_db_exec(DB, "ROLLBACK") == 0);
}
