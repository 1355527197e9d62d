/*
 * Worker thread pools, in the pattern of nginx's thread pools: the loop
 * posts a task with a completion callback, a worker runs the blocking part,
 * and the completion runs back on the loop thread.
 *
 * Each pool may give its threads their own state (an SQL connection, a curl
 * handle): thread_init runs once on each worker, and its result is passed to
 * every work function that thread runs.
 *
 * Ownership: the task argument belongs to the caller until the completion
 * has run. A caller whose requester vanished (a closed connection) marks its
 * own argument as orphaned and frees it in the completion: the pool never
 * drops a completion, so nothing is freed under a running worker.
 */
#ifndef CG_RUNTIME_POOL_H
#define CG_RUNTIME_POOL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct cg_pool;

typedef void (*cg_work_fn)(void *arg, void *thread_ctx);
typedef void (*cg_done_fn)(void *arg);

struct cg_pool_thread_ops {
	void *(*thread_init)(void *ud);
	void (*thread_fini)(void *thread_ctx, void *ud);
	void *ud;
};

struct cg_pool_stats {
	const char *name;
	int threads;
	uint64_t queued;      /* waiting for a worker now */
	uint64_t running;     /* on a worker now */
	uint64_t completed;   /* total, since start */
	uint64_t rejected;    /* refused because the queue was full */
	size_t max_queue;
};

/* ops may be NULL. max_queue bounds waiting tasks (0: unbounded). */
struct cg_pool *cg_pool_create(struct event_base *base, const char *name,
    int threads, size_t max_queue, const struct cg_pool_thread_ops *ops);

/* From the loop thread. Returns 0, -EAGAIN when the queue is full, or
 * -ESHUTDOWN once the pool is stopping. done may be NULL. */
int cg_pool_post(struct cg_pool *pool, cg_work_fn work, cg_done_fn done,
    void *arg);

void cg_pool_get_stats(struct cg_pool *pool, struct cg_pool_stats *out);
const char *cg_pool_name(const struct cg_pool *pool);

/* Refuses new tasks, waits for queued and running ones to finish, runs their
 * completions, joins the threads and frees the pool. Loop thread only. */
void cg_pool_destroy(struct cg_pool *pool);

#endif
