/*
 * The data-access layer against the real MariaDB: session settings,
 * typed parameters and results, the statement cache, the transaction
 * helper (a provoked deadlock, a killed connection, caller aborts) and the
 * lease helper (one winner, stale epochs refused, expiry, release).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <mysqld_error.h>

#include "db/db.h"
#include "db/lease.h"
#include "testdb.h"
#include "util/clock.h"

static struct cg_testdb T;
static struct cg_db *DB;

static void
setup(void)
{
	cg_testdb_create_migrated(&T, false);
	DB = cg_testdb_open(&T);
	cr_assert(cg_db_exec(DB, "CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL, "
	    "s LONGTEXT NULL, d DECIMAL(36,18) NULL, ts DATETIME(3) NULL, "
	    "u BIGINT UNSIGNED NULL) ENGINE=InnoDB") == 0, "%s", cg_db_error(DB));
	cr_assert(cg_db_exec(DB, "INSERT INTO t (id, v) VALUES (1, 0), (2, 0)") == 0);
}

static void
teardown(void)
{
	cg_clock_set_offset_ms(0);
	cg_db_close(DB);
	cg_testdb_drop(&T);
}

TestSuite(dbapi, .init = setup, .fini = teardown, .timeout = 120);

Test(dbapi, session_is_strict_utc_read_committed)
{
	char v[512];

	cr_assert(cg_db_query_str(DB, v, sizeof(v), "SELECT @@SESSION.sql_mode", NULL) == 1);
	cr_expect(strstr(v, "STRICT_ALL_TABLES") != NULL, "%s", v);
	cr_expect(strstr(v, "NO_ZERO_DATE") != NULL, "%s", v);
	cr_expect(strstr(v, "ERROR_FOR_DIVISION_BY_ZERO") != NULL, "%s", v);
	cr_assert(cg_db_query_str(DB, v, sizeof(v), "SELECT @@SESSION.tx_isolation", NULL) == 1);
	cr_expect_str_eq(v, "READ-COMMITTED");
	cr_assert(cg_db_query_str(DB, v, sizeof(v), "SELECT @@SESSION.time_zone", NULL) == 1);
	cr_expect_str_eq(v, "+00:00");
	cr_assert(cg_db_query_str(DB, v, sizeof(v),
	    "SELECT @@SESSION.innodb_lock_wait_timeout", NULL) == 1);
	cr_expect_str_eq(v, "2");
	cr_assert(cg_db_query_str(DB, v, sizeof(v), "SELECT @@character_set_client", NULL) == 1);
	cr_expect_str_eq(v, "utf8mb4");
}

Test(dbapi, typed_parameters_and_results)
{
	char big[100001];
	struct cg_stmt *st;
	int64_t i64 = 0, ms = 0;
	const int64_t when = 1764559286123;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(cg_db_run(DB, "UPDATE t SET v = ?, s = ?, d = ?, ts = ?, u = ? "
	    "WHERE id = ?", "isstui", (int64_t)-42, big, "12.000000000000000001",
	    when, (uint64_t)18446744073709551615ull, (int64_t)1), 1, "%s",
	    cg_db_error(DB));
	cr_assert_eq(cg_db_run(DB, "UPDATE t SET s = ?, d = ?, ts = ? WHERE id = ?",
	    "snti", (const char *)NULL, (int64_t)-1, (int64_t)2), 1, "%s",
	    cg_db_error(DB));

	st = cg_db_query(DB, "SELECT id, v, s, d, ts, u FROM t ORDER BY id", NULL);
	cr_assert(st != NULL, "%s", cg_db_error(DB));
	cr_assert_eq(cg_stmt_columns(st), 6);
	cr_assert_eq(cg_stmt_fetch(st), 1);
	cr_expect(cg_stmt_i64(st, 1, &i64) == 0 && i64 == -42);
	cr_expect_eq(cg_stmt_len(st, 2), sizeof(big) - 1);
	cr_expect(cg_stmt_str(st, 2) != NULL && strcmp(cg_stmt_str(st, 2), big) == 0);
	cr_expect_str_eq(cg_stmt_str(st, 3), "12.000000000000000001");
	cr_expect_str_eq(cg_stmt_str(st, 4), "2025-12-01 03:21:26.123");
	cr_expect(cg_stmt_time_ms(st, 4, &ms) == 0 && ms == when, "%lld", (long long)ms);
	cr_expect_str_eq(cg_stmt_str(st, 5), "18446744073709551615");
	cr_assert_eq(cg_stmt_fetch(st), 1);
	cr_expect(cg_stmt_is_null(st, 2) && cg_stmt_str(st, 2) == NULL);
	cr_expect(cg_stmt_is_null(st, 3));
	cr_expect(cg_stmt_is_null(st, 4));
	cr_expect(cg_stmt_i64(st, 3, &i64) != 0);
	cr_assert_eq(cg_stmt_fetch(st), 0);
	cg_stmt_close(st);

	/* Binary-safe strings with an explicit length. */
	cr_assert_eq(cg_db_run(DB, "UPDATE t SET s = ? WHERE id = 2", "S", "a\0b", (size_t)3), 1);
	cr_assert(cg_db_query_i64(DB, &i64, "SELECT LENGTH(s) FROM t WHERE id = 2", NULL) == 1);
	cr_expect_eq(i64, 3);
	/* No row, and a value too long for the caller's buffer. */
	{
		char small[4];

		cr_expect_eq(cg_db_query_i64(DB, &i64, "SELECT v FROM t WHERE id = 99", NULL), 0);
		cr_expect_eq(cg_db_query_str(DB, small, sizeof(small),
		    "SELECT s FROM t WHERE id = 1", NULL), -1);
	}
	/* Wrong parameter count or letter: an error, not a crash. */
	cr_expect_lt(cg_db_run(DB, "UPDATE t SET v = ? WHERE id = ?", "i", (int64_t)1), 0);
	cr_expect_lt(cg_db_run(DB, "UPDATE t SET v = ?", "x", 1), 0);
	cr_expect_lt(cg_db_run(DB, "SELEKT 1", NULL), 0);
	cr_expect_eq(cg_db_errno(DB), ER_PARSE_ERROR);
	/* Matched rows count, not changed ones; a missing row is 0. */
	cr_expect_eq(cg_db_run(DB, "UPDATE t SET v = v WHERE id = 1", NULL), 1);
	cr_expect_eq(cg_db_run(DB, "UPDATE t SET v = v WHERE id = 99", NULL), 0);
	/* The connection is still fine afterwards. */
	cr_expect(cg_db_query_i64(DB, &i64, "SELECT 7", NULL) == 1 && i64 == 7);
}

Test(dbapi, time_parsing)
{
	int64_t ms;

	cr_expect(cg_db_parse_time("1970-01-01 00:00:00.000", &ms) == 0 && ms == 0);
	cr_expect(cg_db_parse_time("2000-03-01 00:00:01", &ms) == 0 && ms == 951868801000);
	cr_expect(cg_db_parse_time("2026-12-01 03:21:26.123456", &ms) == 0 &&
	    ms == 1796095286123, "%lld", (long long)ms);
	cr_expect(cg_db_parse_time("2026-13-01 00:00:00", &ms) != 0);
	cr_expect(cg_db_parse_time("2026-12-01T00:00:00", &ms) != 0);
	cr_expect(cg_db_parse_time("2026-12-01 00:00:00.1x", &ms) != 0);
	cr_expect(cg_db_parse_time("", &ms) != 0);
}

Test(dbapi, statement_cache_and_nesting)
{
	struct cg_stmt *a, *b;
	int64_t v;
	int i;

	/* The same statement many times (cached), and more distinct ones
	 * than the cache holds. */
	for (i = 0; i < 300; i++) {
		char sql[64];

		cr_assert(cg_db_query_i64(DB, &v, "SELECT v + ? FROM t WHERE id = 1",
		    "i", (int64_t)i) == 1);
		cr_assert_eq(v, i);
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		cr_assert(cg_db_query_i64(DB, &v, sql, NULL) == 1 && v == i);
	}
	/* Two open results of one statement text at once. */
	a = cg_db_query(DB, "SELECT id FROM t WHERE id >= ? ORDER BY id", "i", (int64_t)1);
	b = cg_db_query(DB, "SELECT id FROM t WHERE id >= ? ORDER BY id", "i", (int64_t)2);
	cr_assert(a != NULL && b != NULL);
	cr_assert_eq(cg_stmt_fetch(b), 1);
	cr_expect(cg_stmt_i64(b, 0, &v) == 0 && v == 2);
	cr_assert_eq(cg_stmt_fetch(a), 1);
	cr_expect(cg_stmt_i64(a, 0, &v) == 0 && v == 1);
	cg_stmt_close(a);
	cg_stmt_close(b);
}

static int
tx_abort(struct cg_db *db, void *arg)
{
	(void)arg;
	if (cg_db_run(db, "UPDATE t SET v = 100 WHERE id = 1", NULL) != 1)
		return CG_DB_ERR;
	return 404;     /* the caller's "not found": roll back */
}

static int
tx_increment_first(struct cg_db *db, void *arg)
{
	(void)arg;
	return cg_db_run(db, "UPDATE t SET v = v + 1 WHERE id = 1", NULL) == 1 ?
	    0 : CG_DB_ERR;
}

static int
tx_dup(struct cg_db *db, void *arg)
{
	(void)arg;
	if (cg_db_run(db, "UPDATE t SET v = 200 WHERE id = 1", NULL) != 1)
		return CG_DB_ERR;
	if (cg_db_run(db, "INSERT INTO t (id, v) VALUES (2, 0)", NULL) < 0)
		return CG_DB_ERR;
	return 0;
}

static int
tx_nested(struct cg_db *db, void *arg)
{
	(void)arg;
	if (cg_db_run(db, "UPDATE t SET v = 300 WHERE id = 1", NULL) != 1)
		return CG_DB_ERR;
	/* Would commit the outer work half-way: refused. */
	return cg_db_tx(db, tx_abort, NULL) == CG_DB_ERR ? 409 : 0;
}

Test(dbapi, tx_does_not_nest)
{
	int64_t v = -1;

	cr_expect_eq(cg_db_tx(DB, tx_nested, NULL), 409);
	cr_assert(cg_db_query_i64(DB, &v, "SELECT v FROM t WHERE id = 1", NULL) == 1);
	cr_expect_eq(v, 0);
	/* And the connection is usable for the next transaction. */
	cr_expect_eq(cg_db_tx(DB, tx_increment_first, NULL), 0);
}

Test(dbapi, tx_rolls_back_on_abort_and_error)
{
	struct cg_db_health h;
	int64_t v;

	cr_expect_eq(cg_db_tx(DB, tx_abort, NULL), 404);
	cr_assert(cg_db_query_i64(DB, &v, "SELECT v FROM t WHERE id = 1", NULL) == 1);
	cr_expect_eq(v, 0);
	/* A duplicate key is not retried: the caller sees it. */
	cr_expect_eq(cg_db_tx(DB, tx_dup, NULL), CG_DB_ERR);
	cr_expect(cg_db_err_duplicate(cg_db_errno(DB)));
	cr_assert(cg_db_query_i64(DB, &v, "SELECT v FROM t WHERE id = 1", NULL) == 1);
	cr_expect_eq(v, 0);
	cg_db_get_health(DB, &h);
	cr_expect_eq(h.retries, 0);
}

struct dl {
	struct cg_db *db;
	pthread_barrier_t *bar;
	int first, second;
	int runs;
	int rc;
};

static int
tx_deadlock(struct cg_db *db, void *arg)
{
	struct dl *d = arg;

	d->runs++;
	if (cg_db_run(db, "UPDATE t SET v = v + 1 WHERE id = ?", "i",
	    (int64_t)d->first) != 1)
		return CG_DB_ERR;
	/* Only the first run meets the other thread half-way. */
	if (d->runs == 1)
		pthread_barrier_wait(d->bar);
	if (cg_db_run(db, "UPDATE t SET v = v + 1 WHERE id = ?", "i",
	    (int64_t)d->second) != 1)
		return CG_DB_ERR;
	return 0;
}

static void *
run_deadlock(void *arg)
{
	struct dl *d = arg;

	d->rc = cg_db_tx(d->db, tx_deadlock, d);
	return NULL;
}

Test(dbapi, tx_retries_a_deadlock)
{
	pthread_barrier_t bar;
	struct cg_db_health ha, hb;
	struct dl a, b;
	pthread_t ta, tb;
	int64_t v1 = 0, v2 = 0;

	pthread_barrier_init(&bar, NULL, 2);
	a = (struct dl){ cg_testdb_open(&T), &bar, 1, 2, 0, -9 };
	b = (struct dl){ cg_testdb_open(&T), &bar, 2, 1, 0, -9 };
	cr_assert(pthread_create(&ta, NULL, run_deadlock, &a) == 0);
	cr_assert(pthread_create(&tb, NULL, run_deadlock, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	cr_expect_eq(a.rc, 0);
	cr_expect_eq(b.rc, 0);
	cg_db_get_health(a.db, &ha);
	cg_db_get_health(b.db, &hb);
	/* One of them was the deadlock victim and ran again. */
	cr_expect_eq(ha.retries + hb.retries, 1);
	cr_expect_eq(a.runs + b.runs, 3);
	/* Each transaction counted exactly once: the victim's first run
	 * was rolled back. */
	cr_assert(cg_db_query_i64(DB, &v1, "SELECT v FROM t WHERE id = 1", NULL) == 1);
	cr_assert(cg_db_query_i64(DB, &v2, "SELECT v FROM t WHERE id = 2", NULL) == 1);
	cr_expect_eq(v1, 2);
	cr_expect_eq(v2, 2);
	cg_db_close(a.db);
	cg_db_close(b.db);
	pthread_barrier_destroy(&bar);
}

static int
tx_increment(struct cg_db *db, void *arg)
{
	(void)arg;
	return cg_db_run(db, "UPDATE t SET v = v + 1 WHERE id = 1", NULL) == 1 ?
	    0 : CG_DB_ERR;
}

Test(dbapi, tx_reconnects_after_a_killed_connection)
{
	struct cg_db *victim = cg_testdb_open(&T);
	struct cg_db_health h;
	int64_t id = 0, v = 0;
	char sql[64];

	cr_assert(cg_db_query_i64(victim, &id, "SELECT CONNECTION_ID()", NULL) == 1);
	snprintf(sql, sizeof(sql), "KILL CONNECTION %lld", (long long)id);
	cr_assert(cg_db_exec(DB, sql) == 0, "%s", cg_db_error(DB));
	cr_expect_eq(cg_db_tx(victim, tx_increment, NULL), 0, "%s", cg_db_error(victim));
	cg_db_get_health(victim, &h);
	cr_expect_eq(h.reconnects, 1);
	cr_expect(h.healthy);
	cr_assert(cg_db_query_i64(DB, &v, "SELECT v FROM t WHERE id = 1", NULL) == 1);
	cr_expect_eq(v, 1);
	/* ping notices a dead connection and comes back. */
	cr_assert(cg_db_query_i64(victim, &id, "SELECT CONNECTION_ID()", NULL) == 1);
	snprintf(sql, sizeof(sql), "KILL CONNECTION %lld", (long long)id);
	cr_assert(cg_db_exec(DB, sql) == 0);
	cr_expect_eq(cg_db_ping(victim), 0);
	cg_db_get_health(victim, &h);
	cr_expect_eq(h.reconnects, 2);
	cg_db_close(victim);
}

Test(dbapi, slow_queries_are_counted)
{
	struct cg_db_params p = T.p;
	struct cg_db_health h;
	char err[256];
	struct cg_db *db;
	int64_t v;

	p.slow_query_ms = 200;
	db = cg_db_open(&p, err, sizeof(err));
	cr_assert(db != NULL, "%s", err);
	cr_assert(cg_db_query_i64(db, &v, "SELECT SLEEP(0.3)", NULL) == 1);
	cr_assert(cg_db_query_i64(db, &v, "SELECT 1", NULL) == 1);
	cg_db_get_health(db, &h);
	cr_expect_eq(h.slow_queries, 1);
	cg_db_close(db);
}

Test(dbapi, open_failure_is_reported)
{
	struct cg_db_params p = T.p;
	char err[256] = "";

	p.database = "cgt_does_not_exist";
	cr_expect(cg_db_open(&p, err, sizeof(err)) == NULL);
	cr_expect(strstr(err, "Unknown database") != NULL, "%s", err);
	p.database = NULL;
	cr_expect(cg_db_open(&p, err, sizeof(err)) == NULL);
}

/* --- leases --- */

Test(dbapi, lease_one_claimer_wins)
{
	struct cg_db *other = cg_testdb_open(&T);
	struct cg_lease a, b;

	cr_expect_eq(cg_lease_claim(DB, "scan:ethereum", "host-a:1", 30000, &a), 1);
	cr_expect_eq(a.epoch, 1);
	cr_expect_eq(cg_lease_claim(other, "scan:ethereum", "host-b:1", 30000, &b), 0);
	/* The holder claiming again keeps its epoch and extends. */
	cr_expect_eq(cg_lease_claim(DB, "scan:ethereum", "host-a:1", 60000, &a), 1);
	cr_expect_eq(a.epoch, 1);
	cr_expect_eq(cg_lease_renew(DB, &a, 30000), 1);
	cr_expect_eq(cg_lease_renew(other, &(struct cg_lease){ "scan:ethereum",
	    "host-b:1", 1, 0 }, 30000), 0);
	/* Another job is independent. */
	cr_expect_eq(cg_lease_claim(other, "sweep:expiry", "host-b:1", 30000, &b), 1);
	cr_expect_eq(cg_lease_claim(DB, "", "host-a:1", 1000, &a), -1);
	cr_expect_eq(cg_lease_claim(DB, "x", "host-a:1", 0, &a), -1);
	cg_db_close(other);
}

struct claimer {
	const struct cg_testdb *t;
	pthread_barrier_t *bar;
	const char *owner;
	int won;
};

static void *
run_claims(void *arg)
{
	struct claimer *c = arg;
	struct cg_db *db = cg_testdb_open(c->t);
	struct cg_lease l;
	char job[32];
	int i, r;

	for (i = 0; i < 25; i++) {
		snprintf(job, sizeof(job), "race:%d", i);
		pthread_barrier_wait(c->bar);
		r = cg_lease_claim(db, job, c->owner, 30000, &l);
		cr_assert(r >= 0, "%s", cg_db_error(db));
		c->won += r;
	}
	cg_db_close(db);
	return NULL;
}

Test(dbapi, lease_concurrent_claims_have_one_winner)
{
	pthread_barrier_t bar;
	struct claimer a, b;
	pthread_t ta, tb;
	int64_t n = 0;

	pthread_barrier_init(&bar, NULL, 2);
	a = (struct claimer){ &T, &bar, "host-a:1", 0 };
	b = (struct claimer){ &T, &bar, "host-b:1", 0 };
	cr_assert(pthread_create(&ta, NULL, run_claims, &a) == 0);
	cr_assert(pthread_create(&tb, NULL, run_claims, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* Every job claimed exactly once. */
	cr_expect_eq(a.won + b.won, 25, "a=%d b=%d", a.won, b.won);
	cr_assert(cg_db_query_i64(DB, &n, "SELECT COUNT(*) FROM leases "
	    "WHERE job_name LIKE 'race:%' AND epoch = 1", NULL) == 1);
	cr_expect_eq(n, 25);
	pthread_barrier_destroy(&bar);
}

struct result_write {
	const struct cg_lease *l;
	int64_t value;
};

static int
tx_write_result(struct cg_db *db, void *arg)
{
	struct result_write *w = arg;
	int rc = cg_lease_hold(db, w->l);

	if (rc != 0)
		return rc;
	return cg_db_run(db, "UPDATE t SET v = ? WHERE id = 2", "i", w->value) == 1 ?
	    0 : CG_DB_ERR;
}

Test(dbapi, lease_expiry_and_stale_epoch)
{
	struct cg_db *other = cg_testdb_open(&T);
	struct cg_lease a, b;
	struct result_write w;
	int64_t v = 0;

	cg_clock_set_offset_ms(0);
	cr_assert_eq(cg_lease_claim(DB, "refill:pool", "host-a:1", 10000, &a), 1);
	/* Not yet expired: nobody else gets it. */
	cg_clock_set_offset_ms(5000);
	cr_expect_eq(cg_lease_claim(other, "refill:pool", "host-b:1", 10000, &b), 0);
	/* Expired: re-claimable, with a new epoch. */
	cg_clock_set_offset_ms(20000);
	cr_assert_eq(cg_lease_claim(other, "refill:pool", "host-b:1", 10000, &b), 1);
	cr_expect_eq(b.epoch, a.epoch + 1);
	/* The old holder's result is refused, and it cannot renew. */
	w = (struct result_write){ &a, 111 };
	cr_expect_eq(cg_db_tx(DB, tx_write_result, &w), CG_LEASE_LOST);
	cr_expect_eq(cg_lease_renew(DB, &a, 1000), 0);
	cr_expect_eq(cg_lease_release(DB, &a), 0);
	/* The new holder's result is written. */
	w = (struct result_write){ &b, 222 };
	cr_expect_eq(cg_db_tx(other, tx_write_result, &w), 0);
	cr_assert(cg_db_query_i64(DB, &v, "SELECT v FROM t WHERE id = 2", NULL) == 1);
	cr_expect_eq(v, 222);
	/* Released: claimable at once, without waiting for expiry. */
	cr_expect_eq(cg_lease_release(other, &b), 1);
	cr_expect_eq(cg_lease_claim(DB, "refill:pool", "host-a:1", 1000, &a), 1);
	cr_expect_eq(a.epoch, b.epoch + 1);
	cg_clock_set_offset_ms(0);
	cg_db_close(other);
}

Test(dbapi, backoff_grows_with_jitter)
{
	unsigned int i, b;

	for (i = 1; i <= 10; i++) {
		b = cg_db_backoff_ms(i);
		unsigned int base = i > 6 ? 320 : 10u << (i - 1);

		cr_expect(b >= base && b <= 2 * base, "attempt %u: %u", i, b);
	}
}
