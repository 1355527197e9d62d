/*
 * The schema against the real MariaDB: the spec's indexes, the data
 * dictionary, append-only rules (for root and for the application user,
 * and through RESTRICT foreign keys), strict decimals, soft-delete
 * uniqueness, byte-exact addresses, the seed, the test-key guard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <criterion/criterion.h>
#include <mysqld_error.h>

#include "db/db.h"
#include "db/migrate.h"
#include "db/testkeys.h"
#include "testdb.h"
#include "util/id.h"

static struct cg_testdb T;
static struct cg_db *DB;

/* Seed ids: "cseed" + name, padded with '0' to 25 characters. */
static const char *
seed_id(const char *name, char out[CG_ID_SIZE])
{
	snprintf(out, CG_ID_SIZE, "cseed%s", name);
	while (strlen(out) < CG_ID_LEN)
		strcat(out, "0");
	return out;
}

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
	DB = NULL;
	cg_testdb_drop(&T);
}

static int64_t
count(struct cg_db *db, const char *sql)
{
	int64_t n = -1;

	cr_assert(cg_db_query_i64(db, &n, sql, NULL) == 1, "%s: %s", sql,
	    cg_db_error(db));
	return n;
}

TestSuite(schema, .init = setup, .fini = teardown, .timeout = 120);

/* (table, index, leading columns in order) */
static const char *const spec_indexes[][3] = {
	{ "users", "idx_users_email", "email" },
	{ "users", "uq_users_email_live", "email_live" },
	{ "user_sessions", "uq_user_sessions_token", "session_token_hash" },
	{ "invoices", "idx_invoices_deposit_address", "deposit_address" },
	{ "invoices", "idx_invoices_merchant_status", "merchant_id,status" },
	{ "transactions", "idx_transactions_tx_hash", "tx_hash" },
	{ "transactions", "idx_transactions_invoice", "invoice_id" },
	{ "address_pools", "idx_address_pools_address", "address" },
	{ "address_pools", "idx_address_pools_merchant_status", "merchant_id,status" },
	{ "audit_logs", "idx_audit_logs_created", "created_at" },
	{ "balance_history", "idx_balance_history_created", "created_at" },
	{ "api_usage_stats", "idx_api_usage_stats_hourly", "hourly_bucket" },
	{ "api_usage_stats", "idx_api_usage_stats_daily", "daily_bucket" },
	{ "invoices", "idx_invoices_expires", "expires_at" },
	{ "invoices", "idx_invoices_paid", "paid_at" },
	{ "wallets", "uq_wallets_merchant_currency", "merchant_id,currency_id" },
	{ "api_usage_stats", "uq_api_usage_stats_bucket", "merchant_id,endpoint,http_method,hourly_bucket" },
	{ "price_history", "idx_price_history_currency_time_source", "currency_id,observed_at,source" },
	/* unique constraints the rules need */
	{ "price_history", "uq_price_history_point", "currency_id,quote_currency_id,observed_at,source" },
	{ "transactions", "uq_transactions_identity", "network_id,tx_hash,tx_position" },
	{ "address_pools", "uq_address_pools_network_address", "network_id,address" },
	{ "address_counters", "uq_address_counters_merchant_network", "merchant_id,network_id" },
	{ "address_pools", "uq_address_pools_counter_index", "counter_id,derivation_index" },
	{ "balance_history", "uq_balance_history_posting", "wallet_id,transaction_id,bucket,move_kind" },
	{ "api_keys", "uq_api_keys_prefix_live", "prefix_live" },
	{ "invoices", "uq_invoices_address_pool", "address_pool_id" },
};

Test(schema, spec_indexes_exist)
{
	size_t i;

	for (i = 0; i < sizeof(spec_indexes) / sizeof(spec_indexes[0]); i++) {
		char cols[256] = "";
		int rc;

		rc = cg_db_query_str(DB, cols, sizeof(cols),
		    "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) "
		    "FROM information_schema.statistics WHERE table_schema = DATABASE() "
		    "AND table_name = ? AND index_name = ?", "ss",
		    spec_indexes[i][0], spec_indexes[i][1]);
		cr_expect(rc == 1, "index %s.%s missing", spec_indexes[i][0],
		    spec_indexes[i][1]);
		cr_expect_str_eq(cols, spec_indexes[i][2], "index %s", spec_indexes[i][1]);
		if (strncmp(spec_indexes[i][1], "uq_", 3) == 0) {
			int64_t nonuniq = -1;

			cr_expect(cg_db_query_i64(DB, &nonuniq, "SELECT MAX(non_unique) "
			    "FROM information_schema.statistics WHERE table_schema = "
			    "DATABASE() AND index_name = ?", "s", spec_indexes[i][1]) == 1);
			cr_expect_eq(nonuniq, 0, "%s not unique", spec_indexes[i][1]);
		}
	}
}

Test(schema, every_table_is_innodb_utf8mb4)
{
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM information_schema.tables "
	    "WHERE table_schema = DATABASE() AND (engine <> 'InnoDB' OR "
	    "table_collation NOT LIKE 'utf8mb4%')"), 0);
	/* Addresses and hashes compare byte-exact. */
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM information_schema.columns "
	    "WHERE table_schema = DATABASE() AND (column_name LIKE '%address' OR "
	    "column_name LIKE '%hash') AND column_name NOT IN ('ip_address', "
	    "'last_login_ip', 'password_hash') AND collation_name <> 'ascii_bin'"), 0);
	/* Money columns are DECIMAL(36,18). */
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM information_schema.columns "
	    "WHERE table_schema = DATABASE() AND column_name IN ('amount', "
	    "'pay_amount', 'confirmed_balance', 'pending_balance', 'locked_balance', "
	    "'balance_before', 'balance_after', 'amount_received', "
	    "'amount_confirmed') AND column_type <> 'decimal(36,18)'"), 0);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM information_schema.columns "
	    "WHERE table_schema = DATABASE() AND table_name = 'price_history' AND "
	    "column_name = 'price' AND column_type = 'decimal(18,8)'"), 1);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM information_schema.columns "
	    "WHERE table_schema = DATABASE() AND column_name = 'tax_rate' "
	    "AND column_type = 'decimal(5,4)'"), 2);
}

/* Parses docs/data-model.md's "## Tables" section into "table.column"
 * lines, sorted, newline-separated. */
static char *
dictionary_columns(void)
{
	char path[512], line[2048], table[128] = "";
	size_t cap = 65536, len = 0;
	char *out = calloc(1, cap);
	bool in_tables = false;
	FILE *f;

	cr_assert(out != NULL);
	f = fopen(cg_testdb_path("docs/data-model.md", path, sizeof(path)), "r");
	cr_assert(f != NULL, "%s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		char col[128];

		if (strncmp(line, "## ", 3) == 0)
			in_tables = strncmp(line, "## Tables", 9) == 0;
		if (!in_tables)
			continue;
		if (sscanf(line, "### `%127[a-z0-9_]`", table) == 1)
			continue;
		if (table[0] != '\0' && sscanf(line, "| `%127[a-z0-9_]` |", col) == 1) {
			int n = snprintf(out + len, cap - len, "%s.%s\n", table, col);

			cr_assert(n > 0 && (size_t)n < cap - len);
			len += (size_t)n;
		}
	}
	fclose(f);
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the lines of a newline-separated list in place. */
static void
sort_lines(char *s, char ***lines, size_t *n)
{
	size_t cap = 1024;
	char *p, *save = NULL;

	*lines = calloc(cap, sizeof(char *));
	*n = 0;
	for (p = strtok_r(s, "\n", &save); p != NULL; p = strtok_r(NULL, "\n", &save)) {
		cr_assert(*n < cap);
		(*lines)[(*n)++] = p;
	}
	qsort(*lines, *n, sizeof(char *), cmp_str);
}

Test(schema, dictionary_matches_schema)
{
	char *doc = dictionary_columns(), *live;
	char **a, **b;
	size_t na, nb, i, j, len = 0, cap = 65536;
	struct cg_stmt *st;
	int diffs = 0;

	live = calloc(1, cap);
	st = cg_db_query(DB, "SELECT CONCAT(table_name, '.', column_name) FROM "
	    "information_schema.columns WHERE table_schema = DATABASE()", NULL);
	cr_assert(st != NULL);
	while (cg_stmt_fetch(st) == 1) {
		int n = snprintf(live + len, cap - len, "%s\n", cg_stmt_str(st, 0));

		cr_assert(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	cg_stmt_close(st);
	sort_lines(doc, &a, &na);
	sort_lines(live, &b, &nb);
	cr_expect_gt(na, 300);
	for (i = 0, j = 0; i < na || j < nb;) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			cr_expect_fail("documented but not in the schema: %s", a[i++]);
			diffs++;
		} else {
			cr_expect_fail("in the schema but not documented: %s", b[j++]);
			diffs++;
		}
	}
	cr_expect_eq(diffs, 0);
	cr_expect_eq(na, nb);
	free(a);
	free(b);
	free(doc);
	free(live);
}

/* A payment and one ledger row on the seed's BTC wallet; returns the
 * transaction id in tx. */
static void
make_payment(struct cg_db *db, char tx[CG_ID_SIZE], char bh[CG_ID_SIZE])
{
	char net[CG_ID_SIZE], cur[CG_ID_SIZE], wal[CG_ID_SIZE], mer[CG_ID_SIZE];
	char pool[CG_ID_SIZE];

	cr_assert(cg_id_new(tx) == 0 && cg_id_new(bh) == 0);
	cr_assert(cg_db_run(db, "INSERT INTO transactions (id, network_id, tx_hash, "
	    "tx_position, to_address, currency_id, amount_raw, amount, merchant_id, "
	    "address_pool_id, first_seen_at) VALUES (?, ?, ?, 0, ?, ?, '150000', "
	    "'0.0015', ?, ?, ?)", "ssssssst", tx, seed_id("netbitcoin", net),
	    tx, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", seed_id("curbtc", cur),
	    seed_id("merchant", mer), seed_id("poolbtc0", pool), (int64_t)1764560000000) == 1,
	    "%s", cg_db_error(db));
	cr_assert(cg_db_run(db, "UPDATE wallets SET version = version + 1, "
	    "pending_balance = pending_balance + 0.0015 WHERE id = ?", "s",
	    seed_id("walbtc", wal)) == 1, "%s", cg_db_error(db));
	cr_assert(cg_db_run(db, "INSERT INTO balance_history (id, wallet_id, "
	    "merchant_id, wallet_version, bucket, change_type, move_kind, amount, "
	    "balance_before, balance_after, transaction_id) VALUES (?, ?, ?, 1, "
	    "'PENDING', 'DEPOSIT', 'SEEN', '0.0015', '0', '0.0015', ?)", "ssss",
	    bh, wal, mer, tx) == 1, "%s", cg_db_error(db));
}

static void
make_audit(struct cg_db *db, char id[CG_ID_SIZE])
{
	char user[CG_ID_SIZE];

	cr_assert(cg_id_new(id) == 0);
	cr_assert(cg_db_run(db, "INSERT INTO audit_logs (id, user_id, actor_type, "
	    "action, entity_type, entity_id, new_values) VALUES (?, ?, 'USER', "
	    "'LOGIN', 'user', ?, '{\"ok\":true}')", "sss", id,
	    seed_id("useradmin", user), user) == 1, "%s", cg_db_error(db));
}

static void
expect_refused(struct cg_db *db, const char *sql, const char *types,
    const char *arg, unsigned int want)
{
	int64_t n = cg_db_run(db, sql, types, arg);

	cr_expect_lt(n, 0, "not refused: %s", sql);
	cr_expect_eq(cg_db_errno(db), want, "%s: errno %u %s", sql, cg_db_errno(db),
	    cg_db_error(db));
}

static void
check_append_only(struct cg_db *db, unsigned int want_ledger)
{
	char tx[CG_ID_SIZE], bh[CG_ID_SIZE], au[CG_ID_SIZE];

	make_payment(db, tx, bh);
	make_audit(db, au);
	expect_refused(db, "UPDATE balance_history SET amount = 1, balance_after = 1 "
	    "WHERE id = ?", "s", bh, want_ledger);
	expect_refused(db, "DELETE FROM balance_history WHERE id = ?", "s", bh,
	    want_ledger);
	expect_refused(db, "UPDATE audit_logs SET action = 'UPDATE' WHERE id = ?",
	    "s", au, want_ledger);
	expect_refused(db, "DELETE FROM audit_logs WHERE id = ?", "s", au,
	    want_ledger);
	/* transactions: identity and money frozen, progress allowed. */
	expect_refused(db, "UPDATE transactions SET amount = '15' WHERE id = ?",
	    "s", tx, ER_SIGNAL_EXCEPTION);
	expect_refused(db, "UPDATE transactions SET to_address = "
	    "'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g' WHERE id = ?", "s", tx,
	    ER_SIGNAL_EXCEPTION);
	expect_refused(db, "UPDATE transactions SET tx_position = 1 WHERE id = ?",
	    "s", tx, ER_SIGNAL_EXCEPTION);
	expect_refused(db, "UPDATE transactions SET amount_raw = '1' WHERE id = ?",
	    "s", tx, ER_SIGNAL_EXCEPTION);
	expect_refused(db, "DELETE FROM transactions WHERE id = ?", "s", tx,
	    want_ledger);
	cr_expect_eq(cg_db_run(db, "UPDATE transactions SET confirmations = 3, "
	    "status = 'CONFIRMED', block_height = 800000, block_hash = 'abc' "
	    "WHERE id = ?", "s", tx), 1, "%s", cg_db_error(db));
	cr_expect_eq(count(db, "SELECT COUNT(*) FROM balance_history"), 1);
}

Test(schema, append_only_for_admin)
{
	check_append_only(DB, ER_SIGNAL_EXCEPTION);
}

Test(schema, append_only_for_app_user_and_no_ddl)
{
	char err[512], file[512], user[80];
	struct cg_db *app;

	snprintf(user, sizeof(user), "app_%.20s", T.name + 4);
	cr_assert(cg_db_provision_app_user(DB, cg_testdb_path(
	    "schema/provision/app-user.sql", file, sizeof(file)), user, "localhost",
	    "s3cret'pw", err, sizeof(err)) == 0, "%s", err);
	app = cg_testdb_open_as(&T, user, "s3cret'pw");
	/* The grants refuse before the triggers are reached. */
	check_append_only(app, ER_TABLEACCESS_DENIED_ERROR);
	expect_refused(app, "CREATE TABLE x (i INT)", NULL, NULL,
	    ER_TABLEACCESS_DENIED_ERROR);
	expect_refused(app, "DROP TRIGGER trg_audit_logs_no_update", NULL, NULL,
	    ER_TABLEACCESS_DENIED_ERROR);
	expect_refused(app, "DELETE FROM wallets", NULL, NULL,
	    ER_TABLEACCESS_DENIED_ERROR);
	expect_refused(app, "UPDATE schema_migrations SET checksum = ''", NULL,
	    NULL, ER_TABLEACCESS_DENIED_ERROR);
	/* What the product needs works. */
	cr_expect_eq(cg_db_run(app, "DELETE FROM idempotency_keys WHERE expires_at < ?",
	    "t", (int64_t)0), 0, "%s", cg_db_error(app));
	cr_expect_eq(count(app, "SELECT COUNT(*) FROM networks WHERE is_development = 0"), 8);
	cg_db_close(app);
	(void)snprintf(err, sizeof(err), "DROP USER '%s'@'localhost'", user);
	cr_expect(cg_db_exec(DB, err) == 0, "%s", cg_db_error(DB));
}

Test(schema, restrict_keys_protect_money_and_audit)
{
	char tx[CG_ID_SIZE], bh[CG_ID_SIZE], au[CG_ID_SIZE], id[CG_ID_SIZE];

	make_payment(DB, tx, bh);
	make_audit(DB, au);
	/* No cascade can reach the ledger, payments or the audit log. */
	expect_refused(DB, "DELETE FROM wallets WHERE id = ?", "s",
	    seed_id("walbtc", id), ER_ROW_IS_REFERENCED_2);
	expect_refused(DB, "DELETE FROM merchants WHERE id = ?", "s",
	    seed_id("merchant", id), ER_ROW_IS_REFERENCED_2);
	expect_refused(DB, "DELETE FROM users WHERE id = ?", "s",
	    seed_id("useradmin", id), ER_ROW_IS_REFERENCED_2);
	expect_refused(DB, "DELETE FROM networks WHERE id = ?", "s",
	    seed_id("netbitcoin", id), ER_ROW_IS_REFERENCED_2);
	expect_refused(DB, "DELETE FROM address_pools WHERE id = ?", "s",
	    seed_id("poolbtc0", id), ER_ROW_IS_REFERENCED_2);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM balance_history"), 1);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM audit_logs"), 1);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM transactions"), 1);
	/* A cascade where it is allowed: sessions go with their user. */
	cr_assert(cg_id_new(id) == 0);
	cr_assert(cg_db_run(DB, "INSERT INTO users (id, email, password_hash) "
	    "VALUES (?, 'gone@example.com', 'x')", "s", id) == 1);
	cr_assert(cg_db_run(DB, "INSERT INTO user_sessions (id, user_id, "
	    "session_token_hash, expires_at) VALUES (?, ?, REPEAT('b', 64), "
	    "'2030-01-01')", "ss", tx, id) == 1, "%s", cg_db_error(DB));
	cr_expect_eq(cg_db_run(DB, "DELETE FROM users WHERE id = ?", "s", id), 1);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM user_sessions"), 0);
}

Test(schema, decimals_out_of_range_are_errors)
{
	char id[CG_ID_SIZE];
	int64_t n;

	seed_id("walbtc", id);
	/* 19 integer digits do not fit DECIMAL(36,18). */
	n = cg_db_run(DB, "UPDATE wallets SET confirmed_balance = ? WHERE id = ?",
	    "ss", "1000000000000000000", id);
	cr_expect_lt(n, 0);
	cr_expect_eq(cg_db_errno(DB), ER_WARN_DATA_OUT_OF_RANGE, "%s", cg_db_error(DB));
	/* The largest value fits, exactly. */
	cr_expect_eq(cg_db_run(DB, "UPDATE wallets SET confirmed_balance = ? "
	    "WHERE id = ?", "ss", "999999999999999999.999999999999999999", id), 1,
	    "%s", cg_db_error(DB));
	{
		char v[64];

		cr_assert(cg_db_query_str(DB, v, sizeof(v), "SELECT confirmed_balance "
		    "FROM wallets WHERE id = ?", "s", id) == 1);
		cr_expect_str_eq(v, "999999999999999999.999999999999999999");
	}
	/* Prices: DECIMAL(18,8); tax: DECIMAL(5,4) and a CHECK below 1. */
	n = cg_db_run(DB, "UPDATE merchant_settings SET tax_rate = ?", "s", "12.5");
	cr_expect_lt(n, 0);
	n = cg_db_run(DB, "UPDATE merchant_settings SET tax_rate = ?", "s", "1.0000");
	cr_expect_lt(n, 0);
	cr_expect_eq(cg_db_errno(DB), ER_CONSTRAINT_FAILED);
	/* Not a number at all. */
	n = cg_db_run(DB, "UPDATE wallets SET pending_balance = ? WHERE id = ?",
	    "ss", "12abc", id);
	cr_expect_lt(n, 0);
	/* Negative pending balance refused by CHECK. */
	n = cg_db_run(DB, "UPDATE wallets SET pending_balance = -1 WHERE id = ?",
	    "s", id);
	cr_expect_lt(n, 0);
	cr_expect_eq(cg_db_errno(DB), ER_CONSTRAINT_FAILED);
}

Test(schema, soft_deleted_email_registers_again)
{
	char a[CG_ID_SIZE], b[CG_ID_SIZE], c[CG_ID_SIZE];
	static const char ins[] = "INSERT INTO users (id, email, password_hash) "
	    "VALUES (?, ?, 'x')";

	cr_assert(cg_id_new(a) == 0 && cg_id_new(b) == 0 && cg_id_new(c) == 0);
	cr_assert_eq(cg_db_run(DB, ins, "ss", a, "shop@example.com"), 1);
	/* Two live rows with one address: refused (case-insensitively too). */
	cr_expect_lt(cg_db_run(DB, ins, "ss", b, "Shop@Example.com"), 0);
	cr_expect_eq(cg_db_errno(DB), ER_DUP_ENTRY);
	cr_assert_eq(cg_db_run(DB, "UPDATE users SET deleted_at = ? WHERE id = ?",
	    "ts", (int64_t)1764560000000, a), 1);
	cr_expect_eq(cg_db_run(DB, ins, "ss", b, "shop@example.com"), 1, "%s",
	    cg_db_error(DB));
	cr_expect_lt(cg_db_run(DB, ins, "ss", c, "shop@example.com"), 0);
	cr_expect_eq(cg_db_errno(DB), ER_DUP_ENTRY);
	/* API key prefixes follow the same rule. */
	cr_assert_eq(cg_db_run(DB, "INSERT INTO api_keys (id, merchant_id, name, "
	    "prefix, key_hash) VALUES (?, ?, 'k', 'abc123', REPEAT('1', 64))", "ss",
	    a, seed_id("merchant", c)), 1, "%s", cg_db_error(DB));
	cr_expect_lt(cg_db_run(DB, "INSERT INTO api_keys (id, merchant_id, name, "
	    "prefix, key_hash) VALUES (?, ?, 'k', 'abc123', REPEAT('2', 64))", "ss",
	    b, c), 0);
	cr_assert_eq(cg_db_run(DB, "UPDATE api_keys SET deleted_at = ? WHERE id = ?",
	    "ts", (int64_t)1764560000000, a), 1);
	cr_expect_eq(cg_db_run(DB, "INSERT INTO api_keys (id, merchant_id, name, "
	    "prefix, key_hash) VALUES (?, ?, 'k', 'abc123', REPEAT('2', 64))", "ss",
	    b, c), 1, "%s", cg_db_error(DB));
}

Test(schema, base58_case_is_significant)
{
	char a[CG_ID_SIZE], b[CG_ID_SIZE], tmp[CG_ID_SIZE], mer[CG_ID_SIZE];
	char net[CG_ID_SIZE], ctr[CG_ID_SIZE];
	static const char ins[] = "INSERT INTO address_pools (id, merchant_id, "
	    "network_id, counter_id, address, derivation_path, derivation_index) "
	    "VALUES (?, ?, ?, ?, ?, 'm/0', ?)";

	cr_assert(cg_id_new(a) == 0 && cg_id_new(b) == 0 && cg_id_new(tmp) == 0);
	seed_id("merchant", mer);
	seed_id("nettron", net);
	seed_id("ctrtron", ctr);
	cr_expect_eq(cg_db_run(DB, ins, "sssssi", a, mer, net, ctr,
	    "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", (int64_t)100), 1, "%s",
	    cg_db_error(DB));
	cr_expect_eq(cg_db_run(DB, ins, "sssssi", b, mer, net, ctr,
	    "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdh", (int64_t)101), 1, "%s",
	    cg_db_error(DB));
	/* The exact same address twice on one network is refused. */
	cr_expect_lt(cg_db_run(DB, ins, "sssssi", tmp, mer, net, ctr,
	    "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", (int64_t)102), 0);
	cr_expect_eq(cg_db_errno(DB), ER_DUP_ENTRY);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM address_pools WHERE address = "
	    "'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH'"), 1);
}

Test(schema, seed_counts_and_passwords)
{
	char hash[256];

	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM networks WHERE is_development = 0"), 8);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM networks WHERE is_testnet = 1 "
	    "AND is_development = 0"), 2);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM currencies c JOIN networks n "
	    "ON n.id = c.network_id WHERE n.is_development = 0"), 13);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM currencies WHERE kind = 'FIAT'"), 2);
	cr_expect_eq(count(DB, "SELECT COUNT(DISTINCT network_id) FROM currencies "
	    "WHERE symbol = 'USDT'"), 3);
	cr_expect_eq(count(DB, "SELECT COUNT(DISTINCT network_id) FROM currencies "
	    "WHERE symbol = 'USDC'"), 2);
	/* Decimals per network and contract: USDT 6 on Ethereum, 18 on BSC. */
	cr_expect_eq(count(DB, "SELECT decimals FROM currencies WHERE contract_address "
	    "= '0xdAC17F958D2ee523a2206206994597C13D831ec7'"), 6);
	cr_expect_eq(count(DB, "SELECT decimals FROM currencies WHERE contract_address "
	    "= '0x55d398326f99059fF775485246999027B3197955'"), 18);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM address_pools p JOIN networks n "
	    "ON n.id = p.network_id WHERE n.code IN ('bitcoin', 'ethereum') "
	    "AND p.status = 'AVAILABLE'"), 10);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM address_pools WHERE address = "
	    "'0x9858EfFD232B4033E47d90003D41EC34EcaEda94' AND derivation_index = 0"), 1);
	cr_expect_eq(count(DB, "SELECT COUNT(*) FROM merchant_settings"), 1);

	cr_assert(cg_db_query_str(DB, hash, sizeof(hash), "SELECT password_hash FROM "
	    "users WHERE email = 'admin@crypticgateway.com' AND role = 'ADMIN'", NULL) == 1);
	cr_expect_eq(argon2id_verify(hash, "admin123", 8), ARGON2_OK);
	cr_expect_neq(argon2id_verify(hash, "admin124", 8), ARGON2_OK);
	cr_assert(cg_db_query_str(DB, hash, sizeof(hash), "SELECT u.password_hash "
	    "FROM users u JOIN merchants m ON m.user_id = u.id WHERE u.email = "
	    "'test@merchant.com' AND u.role = 'MERCHANT'", NULL) == 1);
	cr_expect_eq(argon2id_verify(hash, "merchant123", 11), ARGON2_OK);

	/* Re-seeding changes nothing. */
	{
		char err[512], file[512];

		cr_assert(cg_db_seed(&T.p, cg_testdb_path("schema/seed/dev.sql", file,
		    sizeof(file)), err, sizeof(err)) == 0, "%s", err);
		cr_expect_eq(count(DB, "SELECT COUNT(*) FROM networks"), 9);
		cr_expect_eq(count(DB, "SELECT COUNT(*) FROM users"), 2);
	}
}

Test(schema, mainnet_test_key_guard)
{
	char err[512] = "";
	struct cg_stmt *st;

	/* Development mode: the seed's keys are fine. */
	cr_expect_eq(cg_db_check_test_keys(DB, true, err, sizeof(err)), 0);
	/* Production: a mainnet network on a test key is refused. */
	cr_expect_eq(cg_db_check_test_keys(DB, false, err, sizeof(err)), -1);
	cr_expect(strstr(err, "well-known test key") != NULL, "%s", err);
	/* Every seeded wallet key is a listed test key. */
	st = cg_db_query(DB, "SELECT xpub FROM wallets", NULL);
	cr_assert(st != NULL);
	while (cg_stmt_fetch(st) == 1)
		cr_expect(cg_testkey_is_known(cg_stmt_str(st, 0)), "%s", cg_stmt_str(st, 0));
	cg_stmt_close(st);
	/* With mainnets disabled only testnets remain: allowed. */
	cr_assert(cg_db_run(DB, "UPDATE networks SET status = 'DISABLED' "
	    "WHERE is_testnet = 0", NULL) == 6);
	cr_expect_eq(cg_db_check_test_keys(DB, false, err, sizeof(err)), 0, "%s", err);
}
