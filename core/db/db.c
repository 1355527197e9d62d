/*
 * Connections, prepared statements and the retrying transaction helper.
 * See db.h for the contract.
 */
#include "db/db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "runtime/metrics.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

#define CACHE_SLOTS 64
#define MAX_PARAMS 64

struct cache_slot {
	char *sql;
	MYSQL_STMT *st;
	bool in_use;
};

struct after_tx {
	cg_db_after_fn fn;
	char key[CG_DB_AFTER_KEY_MAX + 1];
};

struct cg_db {
	MYSQL *my;
	bool broken;                 /* reconnect before the next statement */
	bool in_tx;                  /* inside cg_db_tx: no nesting */
	char *socket, *host, *user, *password, *database;
	struct cg_db_params p;       /* numbers; string members unused */
	struct cg_db_health h;
	struct cache_slot cache[CACHE_SLOTS];
	unsigned int cache_next;
	struct after_tx *after;      /* cg_db_after_tx, for this attempt */
	size_t nafter, after_cap;
};

struct cg_stmt {
	struct cg_db *db;
	MYSQL_STMT *st;
	int slot;                    /* cache slot, or -1: closed with the stmt */
	unsigned int ncols;
	MYSQL_BIND *res;
	char **buf;
	unsigned long *len;
	my_bool *nul;
	my_bool *trunc;
	uint64_t affected;
};

static const char cg_sql_mode[] =
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'";

int
cg_db_global_init(void)
{
	return mysql_library_init(0, NULL, NULL) == 0 ? 0 : -1;
}

void
cg_db_global_end(void)
{
	mysql_library_end();
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL && *s != '\0') ? strdup(s) : NULL;
}

/* cg_db_errors_total in /metrics: every error a statement or connection
 * reports, expected ones (a duplicate key guarding a retry) included. */
static struct cg_metric *db_errors;
static pthread_once_t db_errors_once = PTHREAD_ONCE_INIT;

static void
db_errors_init(void)
{
	db_errors = cg_metrics_counter(NULL, "cg_db_errors_total",
	    "Database errors (failed connects, queries, lost connections).",
	    NULL);
}

static void
count_error(void)
{
	pthread_once(&db_errors_once, db_errors_init);
	cg_metric_inc(db_errors, NULL);
}

static void
set_error(struct cg_db *db, unsigned int no, const char *msg)
{
	count_error();
	db->h.healthy = !(no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST ||
	    no == CR_CONNECTION_ERROR || no == CR_CONN_HOST_ERROR ||
	    no == ER_CONNECTION_KILLED || no == 2055);
	db->h.last_errno = no;
	db->h.last_error_ms = cg_now_ms();
	snprintf(db->h.last_error, sizeof(db->h.last_error), "%s", msg);
	if (!db->h.healthy)
		db->broken = true;
}

static void
set_ok(struct cg_db *db)
{
	db->h.healthy = true;
	db->h.last_ok_ms = cg_now_ms();
	db->h.last_errno = 0;
	db->h.last_error[0] = '\0';
}

static void
set_my_error(struct cg_db *db)
{
	set_error(db, mysql_errno(db->my), mysql_error(db->my));
}

static void
set_stmt_error(struct cg_db *db, MYSQL_STMT *st)
{
	set_error(db, mysql_stmt_errno(st), mysql_stmt_error(st));
}

static void
cache_clear(struct cg_db *db)
{
	unsigned int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		/* A statement in use is closed by its holder (cg_stmt_close). */
		if (db->cache[i].st != NULL && !db->cache[i].in_use)
			mysql_stmt_close(db->cache[i].st);
		free(db->cache[i].sql);
		memset(&db->cache[i], 0, sizeof(db->cache[i]));
	}
}

static int
session_setup(struct cg_db *db)
{
	char sql[128];

	if (mysql_real_query(db->my, cg_sql_mode, sizeof(cg_sql_mode) - 1) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "SET SESSION innodb_lock_wait_timeout = %u",
	    db->p.lock_wait_timeout_s);
	if (mysql_query(db->my, sql) != 0)
		return -1;
	if (mysql_query(db->my,
	    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED") != 0)
		return -1;
	return 0;
}

static int
connect_now(struct cg_db *db)
{
	unsigned int ct = db->p.connect_timeout_s;
	unsigned int rt = db->p.read_timeout_s, wt = db->p.write_timeout_s;

	if (db->my != NULL) {
		cache_clear(db);
		mysql_close(db->my);
		db->my = NULL;
	}
	if ((db->my = mysql_init(NULL)) == NULL) {
		set_error(db, CR_OUT_OF_MEMORY, "out of memory");
		return -1;
	}
	mysql_options(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(db->my, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(db->my, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(db->my, db->socket != NULL ? NULL : db->host,
	    db->user, db->password, db->database, db->p.port, db->socket,
	    CLIENT_FOUND_ROWS) == NULL) {
		set_my_error(db);
		db->broken = true;
		return -1;
	}
	if (session_setup(db) != 0) {
		set_my_error(db);
		db->broken = true;
		return -1;
	}
	db->broken = false;
	set_ok(db);
	return 0;
}

static int
ensure_connected(struct cg_db *db)
{
	if (!db->broken && db->my != NULL)
		return 0;
	if (db->my != NULL) {
		db->h.reconnects++;
		cg_warn("db", "reconnecting database=%s", db->database);
	}
	return connect_now(db);
}

struct cg_db *
cg_db_open(const struct cg_db_params *p, char *err, size_t errlen)
{
	struct cg_db *db;

	if (p == NULL || p->database == NULL || *p->database == '\0' ||
	    p->user == NULL) {
		snprintf(err, errlen, "database connection: user and database required");
		return NULL;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	db->p = *p;
	db->p.socket = db->p.host = db->p.user = db->p.password = NULL;
	db->p.database = NULL;
	if (db->p.connect_timeout_s == 0)
		db->p.connect_timeout_s = 5;
	if (db->p.read_timeout_s == 0)
		db->p.read_timeout_s = 30;
	if (db->p.write_timeout_s == 0)
		db->p.write_timeout_s = 30;
	if (db->p.lock_wait_timeout_s == 0)
		db->p.lock_wait_timeout_s = 5;
	if (db->p.slow_query_ms == 0)
		db->p.slow_query_ms = 500;
	if (db->p.tx_max_retries == 0)
		db->p.tx_max_retries = 5;
	if (db->p.port == 0)
		db->p.port = 3306;
	db->socket = dup_or_null(p->socket);
	db->host = p->host != NULL && *p->host != '\0' ? strdup(p->host) :
	    strdup("localhost");
	db->user = strdup(p->user);
	db->password = dup_or_null(p->password);
	db->database = strdup(p->database);
	if (db->host == NULL || db->user == NULL || db->database == NULL ||
	    (p->socket != NULL && *p->socket != '\0' && db->socket == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (connect_now(db) != 0) {
		snprintf(err, errlen, "cannot connect to database %s: %s",
		    db->database, db->h.last_error);
		goto fail;
	}
	return db;
fail:
	cg_db_close(db);
	return NULL;
}

void
cg_db_close(struct cg_db *db)
{
	if (db == NULL)
		return;
	cache_clear(db);
	if (db->my != NULL)
		mysql_close(db->my);
	free(db->socket);
	free(db->host);
	free(db->user);
	if (db->password != NULL) {
		explicit_bzero(db->password, strlen(db->password));
		free(db->password);
	}
	free(db->database);
	free(db->after);
	free(db);
}

int
cg_db_ping(struct cg_db *db)
{
	if (ensure_connected(db) != 0)
		return -1;
	if (mysql_ping(db->my) != 0) {
		set_my_error(db);
		db->broken = true;
		if (ensure_connected(db) != 0)
			return -1;
	}
	set_ok(db);
	return 0;
}

void
cg_db_get_health(const struct cg_db *db, struct cg_db_health *out)
{
	*out = db->h;
}

unsigned int
cg_db_errno(const struct cg_db *db)
{
	return db->h.last_errno;
}

const char *
cg_db_error(const struct cg_db *db)
{
	return db->h.last_error;
}

bool
cg_db_err_retryable(unsigned int e)
{
	return e == ER_LOCK_DEADLOCK || e == ER_CHECKREAD ||
	    e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == ER_CONNECTION_KILLED || e == 2055;
}

bool
cg_db_err_duplicate(unsigned int e)
{
	return e == ER_DUP_ENTRY;
}

static bool
err_lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == ER_CONNECTION_KILLED || e == 2055;
}

static void
log_slow(struct cg_db *db, const char *sql, int64_t start_us)
{
	int64_t ms = (cg_mono_us() - start_us) / 1000;

	if (ms < (int64_t)db->p.slow_query_ms)
		return;
	db->h.slow_queries++;
	cg_warn("db", "slow query ms=%" PRId64 " sql=\"%.160s\"", ms, sql);
}

int
cg_db_exec(struct cg_db *db, const char *sql)
{
	int64_t t0;

	if (ensure_connected(db) != 0)
		return -1;
	t0 = cg_mono_us();
	if (mysql_real_query(db->my, sql, strlen(sql)) != 0) {
		set_my_error(db);
		return -1;
	}
	/* Drain a result set so the connection stays usable. */
	do {
		MYSQL_RES *r = mysql_store_result(db->my);

		if (r != NULL)
			mysql_free_result(r);
	} while (mysql_next_result(db->my) == 0);
	if (mysql_errno(db->my) != 0) {
		set_my_error(db);
		return -1;
	}
	log_slow(db, sql, t0);
	set_ok(db);
	return 0;
}

/* Takes a prepared statement for sql from the cache, or prepares one. */
static MYSQL_STMT *
stmt_get(struct cg_db *db, const char *sql, int *slot_out)
{
	MYSQL_STMT *st = NULL;
	unsigned int i, tries;
	int slot = -1;

	*slot_out = -1;
	for (i = 0; i < CACHE_SLOTS && !db->broken; i++) {
		struct cache_slot *c = &db->cache[i];

		if (c->sql != NULL && !c->in_use && strcmp(c->sql, sql) == 0) {
			c->in_use = true;
			*slot_out = (int)i;
			return c->st;
		}
	}
	for (tries = 0; tries < 2; tries++) {
		if (ensure_connected(db) != 0)
			return NULL;
		if ((st = mysql_stmt_init(db->my)) == NULL) {
			set_my_error(db);
			return NULL;
		}
		if (mysql_stmt_prepare(st, sql, strlen(sql)) == 0)
			break;
		set_stmt_error(db, st);
		mysql_stmt_close(st);
		st = NULL;
		/* Nothing ran yet: a lost idle connection is safe to redo. */
		if (!err_lost(db->h.last_errno))
			return NULL;
	}
	if (st == NULL)
		return NULL;
	for (i = 0; i < CACHE_SLOTS && slot < 0; i++) {
		if (db->cache[i].sql == NULL && db->cache[i].st == NULL)
			slot = (int)i;
	}
	/* Full: evict a slot not in use, round robin. */
	for (i = 0; i < CACHE_SLOTS && slot < 0; i++) {
		unsigned int k = (db->cache_next + i) % CACHE_SLOTS;

		if (!db->cache[k].in_use) {
			mysql_stmt_close(db->cache[k].st);
			free(db->cache[k].sql);
			memset(&db->cache[k], 0, sizeof(db->cache[k]));
			slot = (int)k;
			db->cache_next = k + 1;
		}
	}
	if (slot >= 0 && (db->cache[slot].sql = strdup(sql)) != NULL) {
		db->cache[slot].st = st;
		db->cache[slot].in_use = true;
		*slot_out = slot;
	}
	return st;
}

static void
stmt_put(struct cg_db *db, MYSQL_STMT *st, int slot)
{
	if (slot >= 0 && db->cache[slot].st == st) {
		/* Local only; a reset would cost a round trip per statement. */
		mysql_stmt_free_result(st);
		db->cache[slot].in_use = false;
		return;
	}
	mysql_stmt_close(st);
}

struct params {
	MYSQL_BIND b[MAX_PARAMS];
	unsigned long len[MAX_PARAMS];
	long long iv[MAX_PARAMS];
	char tbuf[MAX_PARAMS][32];
	my_bool isnull[MAX_PARAMS];
};

static int
bind_params(struct cg_db *db, MYSQL_STMT *st, struct params *pa,
    const char *sql, const char *types, va_list ap)
{
	size_t n = types != NULL ? strlen(types) : 0, i;

	if (n > MAX_PARAMS || n != mysql_stmt_param_count(st)) {
		/* A programming error: say loudly where. */
		cg_error("db", "parameter count mismatch types=%zu placeholders=%lu "
		    "sql=\"%.160s\"", n, mysql_stmt_param_count(st), sql);
		set_error(db, CR_PARAMS_NOT_BOUND, "parameter count mismatch");
		return -1;
	}
	memset(pa->b, 0, sizeof(pa->b[0]) * (n > 0 ? n : 1));
	for (i = 0; i < n; i++) {
		MYSQL_BIND *b = &pa->b[i];
		const char *s;
		int64_t ms;

		switch (types[i]) {
		case 's':
		case 'S':
			s = va_arg(ap, const char *);
			pa->len[i] = types[i] == 'S' ? (unsigned long)va_arg(ap, size_t) :
			    (s != NULL ? (unsigned long)strlen(s) : 0);
			if (s == NULL) {
				b->buffer_type = MYSQL_TYPE_NULL;
				break;
			}
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = (void *)(uintptr_t)s;
			b->buffer_length = pa->len[i];
			b->length = &pa->len[i];
			break;
		case 'i':
		case 'u':
			if (types[i] == 'i')
				pa->iv[i] = va_arg(ap, int64_t);
			else
				pa->iv[i] = (long long)va_arg(ap, uint64_t);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &pa->iv[i];
			b->is_unsigned = types[i] == 'u';
			break;
		case 't':
			ms = va_arg(ap, int64_t);
			if (ms < 0) {
				b->buffer_type = MYSQL_TYPE_NULL;
				break;
			}
			cg_time_format_sql(ms, pa->tbuf[i]);
			pa->len[i] = (unsigned long)strlen(pa->tbuf[i]);
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = pa->tbuf[i];
			b->buffer_length = pa->len[i];
			b->length = &pa->len[i];
			break;
		case 'n':
			b->buffer_type = MYSQL_TYPE_NULL;
			break;
		default:
			set_error(db, CR_UNSUPPORTED_PARAM_TYPE, "bad parameter type letter");
			return -1;
		}
	}
	if (n > 0 && mysql_stmt_bind_param(st, pa->b) != 0) {
		set_stmt_error(db, st);
		return -1;
	}
	return 0;
}

static void
stmt_free_result_bufs(struct cg_stmt *s)
{
	unsigned int i;

	if (s->buf != NULL) {
		for (i = 0; i < s->ncols; i++)
			free(s->buf[i]);
	}
	free(s->buf);
	free(s->res);
	free(s->len);
	free(s->nul);
	free(s->trunc);
	s->buf = NULL;
	s->res = NULL;
}

static int
stmt_bind_results(struct cg_stmt *s, MYSQL_RES *meta)
{
	MYSQL_FIELD *f = mysql_fetch_fields(meta);
	unsigned int i;

	s->ncols = mysql_num_fields(meta);
	s->res = calloc(s->ncols, sizeof(*s->res));
	s->buf = calloc(s->ncols, sizeof(*s->buf));
	s->len = calloc(s->ncols, sizeof(*s->len));
	s->nul = calloc(s->ncols, sizeof(*s->nul));
	s->trunc = calloc(s->ncols, sizeof(*s->trunc));
	if (s->res == NULL || s->buf == NULL || s->len == NULL ||
	    s->nul == NULL || s->trunc == NULL)
		return -1;
	for (i = 0; i < s->ncols; i++) {
		unsigned long size = f[i].max_length < 64 ? 64 : f[i].max_length;

		if ((s->buf[i] = malloc(size + 1)) == NULL)
			return -1;
		s->res[i].buffer_type = MYSQL_TYPE_STRING;
		s->res[i].buffer = s->buf[i];
		s->res[i].buffer_length = size + 1;
		s->res[i].length = &s->len[i];
		s->res[i].is_null = &s->nul[i];
		s->res[i].error = &s->trunc[i];
	}
	return mysql_stmt_bind_result(s->st, s->res) == 0 ? 0 : -1;
}

static struct cg_stmt *
query_v(struct cg_db *db, const char *sql, const char *types, va_list ap)
{
	struct cg_stmt *s;
	struct params *pa = NULL;
	MYSQL_RES *meta = NULL;
	my_bool one = 1;
	int64_t t0;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->db = db;
	if ((s->st = stmt_get(db, sql, &s->slot)) == NULL)
		goto fail;
	if ((pa = malloc(sizeof(*pa))) == NULL)
		goto fail;
	if (bind_params(db, s->st, pa, sql, types, ap) != 0)
		goto fail;
	t0 = cg_mono_us();
	if (mysql_stmt_execute(s->st) != 0) {
		set_stmt_error(db, s->st);
		goto fail;
	}
	s->affected = mysql_stmt_affected_rows(s->st);
	if ((meta = mysql_stmt_result_metadata(s->st)) != NULL) {
		mysql_stmt_attr_set(s->st, STMT_ATTR_UPDATE_MAX_LENGTH, &one);
		if (mysql_stmt_store_result(s->st) != 0) {
			set_stmt_error(db, s->st);
			goto fail;
		}
		if (stmt_bind_results(s, meta) != 0) {
			set_error(db, CR_OUT_OF_MEMORY, "cannot bind result");
			goto fail;
		}
		mysql_free_result(meta);
		meta = NULL;
	}
	log_slow(db, sql, t0);
	free(pa);
	set_ok(db);
	return s;
fail:
	if (meta != NULL)
		mysql_free_result(meta);
	free(pa);
	cg_stmt_close(s);
	return NULL;
}

struct cg_stmt *
cg_db_query(struct cg_db *db, const char *sql, const char *types, ...)
{
	struct cg_stmt *s;
	va_list ap;

	va_start(ap, types);
	s = query_v(db, sql, types, ap);
	va_end(ap);
	return s;
}

int64_t
cg_db_run(struct cg_db *db, const char *sql, const char *types, ...)
{
	struct cg_stmt *s;
	int64_t n;
	va_list ap;

	va_start(ap, types);
	s = query_v(db, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	n = (int64_t)s->affected;
	cg_stmt_close(s);
	return n;
}

int
cg_db_query_str(struct cg_db *db, char *out, size_t outlen, const char *sql,
    const char *types, ...)
{
	struct cg_stmt *s;
	va_list ap;
	int rc;

	if (outlen > 0)
		out[0] = '\0';
	va_start(ap, types);
	s = query_v(db, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	rc = cg_stmt_fetch(s);
	if (rc == 1 && s->ncols > 0 && !s->nul[0]) {
		if (s->len[0] >= outlen)
			rc = -1;
		else
			memcpy(out, s->buf[0], s->len[0] + 1);
	} else if (rc == 1) {
		rc = 0;
	}
	cg_stmt_close(s);
	return rc;
}

int
cg_db_query_i64(struct cg_db *db, int64_t *out, const char *sql,
    const char *types, ...)
{
	struct cg_stmt *s;
	va_list ap;
	int rc;

	va_start(ap, types);
	s = query_v(db, sql, types, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	rc = cg_stmt_fetch(s);
	if (rc == 1 && s->ncols > 0 && !s->nul[0])
		rc = cg_stmt_i64(s, 0, out) == 0 ? 1 : -1;
	else if (rc == 1)
		rc = 0;
	cg_stmt_close(s);
	return rc;
}

/* Grows a truncated column's buffer and fetches it again. */
static int
refetch_column(struct cg_stmt *s, unsigned int i)
{
	unsigned long need = s->len[i];
	char *nb = realloc(s->buf[i], need + 1);

	if (nb == NULL)
		return -1;
	s->buf[i] = nb;
	s->res[i].buffer = nb;
	s->res[i].buffer_length = need + 1;
	if (mysql_stmt_fetch_column(s->st, &s->res[i], i, 0) != 0)
		return -1;
	return mysql_stmt_bind_result(s->st, s->res) == 0 ? 0 : -1;
}

int
cg_stmt_fetch(struct cg_stmt *st)
{
	unsigned int i;
	int rc;

	if (st->res == NULL)
		return 0;
	rc = mysql_stmt_fetch(st->st);
	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc == 1) {
		set_stmt_error(st->db, st->st);
		return -1;
	}
	for (i = 0; i < st->ncols; i++) {
		if (rc == MYSQL_DATA_TRUNCATED && st->trunc[i] &&
		    refetch_column(st, i) != 0) {
			set_error(st->db, CR_OUT_OF_MEMORY, "cannot fetch column");
			return -1;
		}
		if (!st->nul[i])
			st->buf[i][st->len[i]] = '\0';
	}
	return 1;
}

unsigned int
cg_stmt_columns(const struct cg_stmt *st)
{
	return st->ncols;
}

const char *
cg_stmt_str(const struct cg_stmt *st, unsigned int col)
{
	if (col >= st->ncols || st->nul[col])
		return NULL;
	return st->buf[col];
}

size_t
cg_stmt_len(const struct cg_stmt *st, unsigned int col)
{
	if (col >= st->ncols || st->nul[col])
		return 0;
	return st->len[col];
}

bool
cg_stmt_is_null(const struct cg_stmt *st, unsigned int col)
{
	return col >= st->ncols || st->nul[col];
}

int
cg_stmt_i64(const struct cg_stmt *st, unsigned int col, int64_t *out)
{
	const char *s = cg_stmt_str(st, col);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
cg_stmt_time_ms(const struct cg_stmt *st, unsigned int col, int64_t *out)
{
	const char *s = cg_stmt_str(st, col);

	return s != NULL ? cg_db_parse_time(s, out) : -1;
}

uint64_t
cg_stmt_affected(const struct cg_stmt *st)
{
	return st->affected;
}

void
cg_stmt_close(struct cg_stmt *st)
{
	if (st == NULL)
		return;
	if (st->st != NULL)
		stmt_put(st->db, st->st, st->slot);
	stmt_free_result_bufs(st);
	free(st);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int
cg_db_parse_time(const char *s, int64_t *out_ms)
{
	int y, mo, d, h, mi, sec, n = 0, ms = 0, i;

	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
	    &n) != 6 || n != 19)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (s[19] == '.') {
		for (i = 20; i < 23; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			ms = ms * 10 + (s[i] - '0');
		}
		for (; s[i] != '\0'; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
		}
	} else if (s[19] != '\0') {
		return -1;
	}
	*out_ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec) * 1000) + ms;
	return 0;
}

unsigned int
cg_db_backoff_ms(unsigned int attempt)
{
	static _Thread_local uint32_t x;
	unsigned int base;

	if (x == 0)
		x = (uint32_t)cg_mono_us() | 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	if (attempt == 0)
		attempt = 1;
	base = attempt > 6 ? 320 : 10u << (attempt - 1);
	/* Full jitter on top of the base: competing retries spread out. */
	return base + x % (base + 1);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
cg_db_after_tx(struct cg_db *db, cg_db_after_fn fn, const char *key)
{
	struct after_tx *a;

	if (!db->in_tx) {
		fn(key);
		return 0;
	}
	if (db->nafter == db->after_cap) {
		size_t cap = db->after_cap ? db->after_cap * 2 : 8;

		a = realloc(db->after, cap * sizeof(*a));
		if (a == NULL) {
			fn(key);
			return -1;
		}
		db->after = a;
		db->after_cap = cap;
	}
	a = &db->after[db->nafter];
	if (cg_strcpy_checked(a->key, key, sizeof(a->key)) < 0) {
		fn(key);	/* too long to keep: at once, never lost */
		return -1;
	}
	a->fn = fn;
	db->nafter++;
	return 0;
}

static void
run_after(struct cg_db *db)
{
	for (size_t i = 0; i < db->nafter; i++)
		db->after[i].fn(db->after[i].key);
	db->nafter = 0;
}

static int tx_loop(struct cg_db *, cg_db_tx_fn, void *);

int
cg_db_tx(struct cg_db *db, cg_db_tx_fn fn, void *arg)
{
	int rc;

	/* START TRANSACTION would silently commit the outer transaction. */
	if (db->in_tx) {
		cg_error("db", "nested transaction refused");
		set_error(db, CR_COMMANDS_OUT_OF_SYNC, "nested transaction");
		return CG_DB_ERR;
	}
	db->in_tx = true;
	rc = tx_loop(db, fn, arg);
	db->in_tx = false;
	return rc;
}

static int
tx_loop(struct cg_db *db, cg_db_tx_fn fn, void *arg)
{
	unsigned int attempt, err;
	int rc;

	for (attempt = 0;; attempt++) {
		if (attempt > 0) {
			db->h.retries++;
			sleep_ms(cg_db_backoff_ms(attempt));
		}
		if (cg_db_exec(db, "START TRANSACTION") != 0) {
			err = db->h.last_errno;
			goto retry;
		}
		rc = fn(db, arg);
		if (rc == 0) {
			if (cg_db_exec(db, "COMMIT") == 0) {
				run_after(db);
				return 0;
			}
			err = db->h.last_errno;
			run_after(db);
			goto retry;
		}
		err = db->h.last_errno;
		if (!db->broken)
			(void)mysql_rollback(db->my);
		run_after(db);
		if (rc != CG_DB_ERR)
			return rc;
retry:
		if (!cg_db_err_retryable(err) || attempt >= db->p.tx_max_retries) {
			if (attempt > 0)
				cg_warn("db", "transaction failed after retries=%u errno=%u error=\"%s\"",
				    attempt, err, db->h.last_error);
			return CG_DB_ERR;
		}
		cg_debug("db", "transaction retry attempt=%u errno=%u", attempt + 1, err);
		/* Keep the error the retry is about, even across a rollback. */
		db->h.last_errno = err;
	}
}
