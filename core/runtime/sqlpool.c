#include "runtime/sqlpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "runtime/pool.h"
#include "util/clock.h"
#include "util/log.h"

/* Owned copy of the connection parameters, shared by a pool's threads. */
struct sql_shared {
	struct cg_db_params params;
	char *socket, *host, *user, *password, *database;
	char name[32];
};

struct sql_thread {
	struct sql_shared *shared;
	struct cg_db *db;
	int64_t next_try_ms;
	unsigned int failures;
};

/* Pools are few and live as long as the daemon: a small table maps a pool
 * to its shared block for cg_sqlpool_release. */
#define MAX_SQLPOOLS 8
static struct {
	struct cg_pool *pool;
	struct sql_shared *shared;
} sqlpools[MAX_SQLPOOLS];

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
shared_free(struct sql_shared *s)
{
	if (!s)
		return;
	free(s->socket);
	free(s->host);
	free(s->user);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->database);
	free(s);
}

static void *
thread_init(void *ud)
{
	struct sql_thread *t = calloc(1, sizeof(*t));

	if (t)
		t->shared = ud;
	return t;
}

static void
thread_fini(void *ctx, void *ud)
{
	struct sql_thread *t = ctx;

	(void)ud;
	if (!t)
		return;
	cg_db_close(t->db);
	free(t);
}

struct cg_db *
cg_sqlpool_db(void *thread_ctx)
{
	struct sql_thread *t = thread_ctx;
	char err[256];
	int64_t now;
	unsigned int delay;

	if (!t)
		return NULL;
	if (t->db)
		return t->db;
	now = cg_mono_ms();
	if (now < t->next_try_ms)
		return NULL;
	t->db = cg_db_open(&t->shared->params, err, sizeof(err));
	if (t->db) {
		if (t->failures)
			cg_info("db", "pool=%s connected after %u failed attempts",
			    t->shared->name, t->failures);
		t->failures = 0;
		return t->db;
	}
	/* Backoff 250 ms doubling to 4 s: reconnects well within 10 s of
	 * the server's return without hammering it while it is away. */
	delay = 250u << (t->failures < 4 ? t->failures : 4);
	t->failures++;
	t->next_try_ms = now + delay;
	if (t->failures == 1 || t->failures % 20 == 0)
		cg_warn("db", "pool=%s cannot connect: %s", t->shared->name, err);
	return NULL;
}

struct cg_pool *
cg_sqlpool_create(struct event_base *base, const char *name, int threads,
    size_t max_queue, const struct cg_db_params *params)
{
	struct cg_pool_thread_ops ops;
	struct sql_shared *s;
	struct cg_pool *pool;
	int slot;

	for (slot = 0; slot < MAX_SQLPOOLS && sqlpools[slot].pool; slot++)
		;
	if (slot == MAX_SQLPOOLS)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->params = *params;
	s->socket = dup_or_null(params->socket);
	s->host = dup_or_null(params->host);
	s->user = dup_or_null(params->user);
	s->password = dup_or_null(params->password);
	s->database = dup_or_null(params->database);
	s->params.socket = s->socket;
	s->params.host = s->host;
	s->params.user = s->user;
	s->params.password = s->password;
	s->params.database = s->database;
	snprintf(s->name, sizeof(s->name), "%s", name);
	ops.thread_init = thread_init;
	ops.thread_fini = thread_fini;
	ops.ud = s;
	pool = cg_pool_create(base, name, threads, max_queue, &ops);
	if (!pool) {
		shared_free(s);
		return NULL;
	}
	sqlpools[slot].pool = pool;
	sqlpools[slot].shared = s;
	return pool;
}

void
cg_sqlpool_destroy(struct cg_pool *pool)
{
	struct sql_shared *shared = NULL;

	if (!pool)
		return;
	for (int i = 0; i < MAX_SQLPOOLS; i++) {
		if (sqlpools[i].pool == pool) {
			shared = sqlpools[i].shared;
			sqlpools[i].pool = NULL;
			sqlpools[i].shared = NULL;
		}
	}
	cg_pool_destroy(pool);
	shared_free(shared);
}
