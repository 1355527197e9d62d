/*
 * MariaDB access: one connection per worker thread (struct cg_db), prepared
 * statements only, decimals carried as strings, a retrying transaction
 * helper and health state for /readyz.
 *
 * Sessions run in a strict SQL mode (a value that does not fit is an error,
 * never truncated), utf8mb4, UTC, READ COMMITTED and a short lock wait.
 * A connection is used by one thread at a time; it reconnects by itself
 * when the server went away (prepared statements are then re-prepared).
 */
#ifndef CG_DB_DB_H
#define CG_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Newest migration this build needs; the daemon refuses an older schema. */
#define CG_SCHEMA_VERSION 7

/* Where to connect; the lead maps the YAML config onto it. Strings are
 * borrowed for the call to cg_db_open (copied inside). */
struct cg_db_params {
	const char *socket;          /* UNIX socket path; NULL/"": use host */
	const char *host;            /* NULL/"": "localhost" */
	unsigned int port;           /* 0: 3306 */
	const char *user;
	const char *password;        /* NULL: none */
	const char *database;        /* required */
	unsigned int connect_timeout_s;  /* 0: 5 */
	unsigned int read_timeout_s;     /* 0: 30 */
	unsigned int write_timeout_s;    /* 0: 30 */
	unsigned int lock_wait_timeout_s; /* innodb_lock_wait_timeout; 0: 5 */
	unsigned int slow_query_ms;      /* log statements slower; 0: 500 */
	unsigned int tx_max_retries;     /* cg_db_tx retries; 0: 5 */
};

struct cg_db;
struct cg_stmt;

/* Once, on the main thread, before any worker opens a connection (the
 * client library's global state is not safe to create from two threads). */
int cg_db_global_init(void);
void cg_db_global_end(void);

/* Opens a connection (strict session set up). NULL on failure with the
 * reason in err. */
struct cg_db *cg_db_open(const struct cg_db_params *p, char *err, size_t errlen);
void cg_db_close(struct cg_db *db);

/* Checks the connection, reconnecting if it was lost. 0 when healthy. */
int cg_db_ping(struct cg_db *db);

struct cg_db_health {
	bool healthy;              /* last operation reached the server */
	int64_t last_ok_ms;        /* cg_now_ms() of the last success, 0: never */
	int64_t last_error_ms;
	unsigned int last_errno;
	char last_error[256];
	uint64_t reconnects;
	uint64_t slow_queries;
	uint64_t retries;          /* transaction retries */
};
void cg_db_get_health(const struct cg_db *db, struct cg_db_health *out);

/* Last error of this connection (MariaDB error number, 0 if none). */
unsigned int cg_db_errno(const struct cg_db *db);
const char *cg_db_error(const struct cg_db *db);
/* Whether err is a deadlock/snapshot conflict/lost connection. */
bool cg_db_err_retryable(unsigned int err);
/* 1062: duplicate key (the guard that makes retried writes idempotent). */
bool cg_db_err_duplicate(unsigned int err);

/* Runs constant SQL with no parameters (SET, START TRANSACTION, DDL).
 * Never build the string from input: use cg_db_run/cg_db_query. */
int cg_db_exec(struct cg_db *db, const char *sql);

/*
 * Parameters are given by a type string, one letter per '?':
 *   's'  const char *      string (NULL → SQL NULL)
 *   'S'  const char *, size_t   string with length (binary safe)
 *   'i'  int64_t
 *   'u'  uint64_t
 *   't'  int64_t            ms since the epoch → DATETIME(3); < 0 → NULL
 *   'n'  (no argument)      NULL
 * Decimals are passed as strings ("12.500000000000000000").
 */

/* Executes a statement; returns the affected rows (>= 0) or -1. Rows are
 * counted as matched, not changed (CLIENT_FOUND_ROWS): an UPDATE that
 * finds its row but writes the same values returns 1, so 0 really means
 * "no such row" (a lost lease, another merchant's id). */
int64_t cg_db_run(struct cg_db *db, const char *sql, const char *types, ...);

/* Executes a query and stores its result; NULL on error. Fetch rows with
 * cg_stmt_fetch, then cg_stmt_close. */
struct cg_stmt *cg_db_query(struct cg_db *db, const char *sql,
    const char *types, ...);

/* Runs a query expected to return at most one row and copies its first
 * column into out. Returns 1 (row), 0 (no row or NULL), -1 (error or the
 * value does not fit). */
int cg_db_query_str(struct cg_db *db, char *out, size_t outlen,
    const char *sql, const char *types, ...);
/* Same, for an integer column. */
int cg_db_query_i64(struct cg_db *db, int64_t *out, const char *sql,
    const char *types, ...);

/* 1: a row is ready, 0: no more rows, -1: error. */
int cg_stmt_fetch(struct cg_stmt *st);
unsigned int cg_stmt_columns(const struct cg_stmt *st);
/* Column of the current row as a NUL-terminated string (NULL for SQL
 * NULL); valid until the next fetch. Decimals and times come as text
 * ("2026-12-01 03:21:26.123" for DATETIME(3)). */
const char *cg_stmt_str(const struct cg_stmt *st, unsigned int col);
size_t cg_stmt_len(const struct cg_stmt *st, unsigned int col);
bool cg_stmt_is_null(const struct cg_stmt *st, unsigned int col);
/* 0 on success, -1 for NULL or not an integer. */
int cg_stmt_i64(const struct cg_stmt *st, unsigned int col, int64_t *out);
/* Parses a DATETIME(3) column into ms since the epoch (UTC). */
int cg_stmt_time_ms(const struct cg_stmt *st, unsigned int col, int64_t *out);
uint64_t cg_stmt_affected(const struct cg_stmt *st);
void cg_stmt_close(struct cg_stmt *st);

/*
 * Transactions. fn runs between START TRANSACTION and COMMIT:
 *   return 0            commit
 *   return CG_DB_ERR    a statement failed: rolled back, and retried when
 *                       the error is 1213/1020/2006/2013 (reconnecting)
 *   any other value     rolled back and returned (the caller's "not found",
 *                       "conflict" … results)
 * A retried fn must be idempotent: every write guarded by a unique key.
 * A COMMIT lost with the connection (2006/2013) is retried too: the
 * outcome is unknown and the unique keys make a second run harmless.
 * Returns 0, fn's own value, or CG_DB_ERR once retries are exhausted.
 * Transactions do not nest: cg_db_tx inside fn is refused (CG_DB_ERR), as
 * are functions that run their own (cg_lease_claim).
 */
#define CG_DB_ERR (-1)
typedef int (*cg_db_tx_fn)(struct cg_db *db, void *arg);
int cg_db_tx(struct cg_db *db, cg_db_tx_fn fn, void *arg);

/*
 * Work that must not run before a change is visible to other connections
 * (dropping a cached copy of a row): inside cg_db_tx, fn(key) runs once
 * the attempt has ended, committed or rolled back (running it after a
 * rollback is harmless for such work, and a lost COMMIT leaves the outcome
 * unknown anyway); outside a transaction, at once. key (at most
 * CG_DB_AFTER_KEY_MAX bytes) is copied. 0, or -1 when out of memory or
 * the key is longer (fn then ran at once: never lost).
 */
#define CG_DB_AFTER_KEY_MAX 63
typedef void (*cg_db_after_fn)(const char *key);
int cg_db_after_tx(struct cg_db *db, cg_db_after_fn fn, const char *key);

/* Backoff before retry n (1-based), in ms; exposed for tests. */
unsigned int cg_db_backoff_ms(unsigned int attempt);

/* Parses a DATETIME(3) text "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) into ms. */
int cg_db_parse_time(const char *s, int64_t *out_ms);

#endif
