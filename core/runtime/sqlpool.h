/*
 * SQL worker pools: a cg_pool whose every thread owns one MariaDB
 * connection, opened lazily and retried with backoff while the server is
 * away, so a pool starts (and the daemon serves /healthz) even when the
 * database is down.
 */
#ifndef CG_RUNTIME_SQLPOOL_H
#define CG_RUNTIME_SQLPOOL_H

#include <stddef.h>

struct event_base;
struct cg_pool;
struct cg_db;
struct cg_db_params;

/* Creates a pool of threads, each with its own connection made from a copy
 * of params. */
struct cg_pool *cg_sqlpool_create(struct event_base *base, const char *name,
    int threads, size_t max_queue, const struct cg_db_params *params);

/* From a work function: the thread's connection, opened now if needed;
 * NULL while the database cannot be reached (the caller answers 503). */
struct cg_db *cg_sqlpool_db(void *thread_ctx);

/* Stops the pool as cg_pool_destroy does, closes its connections and frees
 * the copied parameters. */
void cg_sqlpool_destroy(struct cg_pool *pool);

#endif
