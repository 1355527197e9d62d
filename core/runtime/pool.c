#include "runtime/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/log.h"

struct cg_task {
	struct cg_task *next;
	cg_work_fn work;
	cg_done_fn done;
	void *arg;
};

struct cg_task_list {
	struct cg_task *head, *tail;
};

struct cg_pool {
	char name[32];
	int nthreads;
	size_t max_queue;
	struct cg_pool_thread_ops ops;
	pthread_t *threads;

	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct cg_task_list waiting;
	struct cg_task_list finished;
	uint64_t nwaiting, nrunning, ncompleted, nrejected;
	int stopping;

	int efd;
	struct event *ev;
};

static void
list_push(struct cg_task_list *l, struct cg_task *t)
{
	t->next = NULL;
	if (l->tail)
		l->tail->next = t;
	else
		l->head = t;
	l->tail = t;
}

static struct cg_task *
list_pop(struct cg_task_list *l)
{
	struct cg_task *t = l->head;

	if (t) {
		l->head = t->next;
		if (!l->head)
			l->tail = NULL;
	}
	return t;
}

static void
wake_loop(struct cg_pool *p)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(p->efd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

static void *
worker_main(void *arg)
{
	struct cg_pool *p = arg;
	void *ctx = NULL;
	struct cg_task *t;

	if (p->ops.thread_init)
		ctx = p->ops.thread_init(p->ops.ud);
	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (!p->waiting.head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->mtx);
		t = list_pop(&p->waiting);
		if (!t)
			break; /* stopping and drained */
		p->nwaiting--;
		p->nrunning++;
		pthread_mutex_unlock(&p->mtx);

		t->work(t->arg, ctx);

		pthread_mutex_lock(&p->mtx);
		p->nrunning--;
		p->ncompleted++;
		list_push(&p->finished, t);
		wake_loop(p);
	}
	pthread_mutex_unlock(&p->mtx);
	if (p->ops.thread_fini)
		p->ops.thread_fini(ctx, p->ops.ud);
	return NULL;
}

static void
run_completions(struct cg_pool *p)
{
	struct cg_task_list done;
	struct cg_task *t;

	pthread_mutex_lock(&p->mtx);
	done = p->finished;
	p->finished.head = p->finished.tail = NULL;
	pthread_mutex_unlock(&p->mtx);
	while ((t = list_pop(&done))) {
		if (t->done)
			t->done(t->arg);
		free(t);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t v;

	(void)what;
	while (read(fd, &v, sizeof(v)) > 0)
		;
	run_completions(arg);
}

struct cg_pool *
cg_pool_create(struct event_base *base, const char *name, int threads,
    size_t max_queue, const struct cg_pool_thread_ops *ops)
{
	struct cg_pool *p;
	int i;

	if (threads < 1)
		threads = 1;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->nthreads = 0;
	p->max_queue = max_queue;
	if (ops)
		p->ops = *ops;
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0)
		goto fail;
	p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, on_wake, p);
	if (!p->ev || event_add(p->ev, NULL) < 0)
		goto fail;
	p->threads = calloc((size_t)threads, sizeof(*p->threads));
	if (!p->threads)
		goto fail;
	for (i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
			cg_error("pool", "pool=%s cannot start thread: %s", p->name,
			    strerror(errno));
			break;
		}
		p->nthreads++;
	}
	if (p->nthreads == 0)
		goto fail;
	return p;
fail:
	if (p->ev)
		event_free(p->ev);
	if (p->efd >= 0)
		close(p->efd);
	free(p->threads);
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cond);
	free(p);
	return NULL;
}

int
cg_pool_post(struct cg_pool *p, cg_work_fn work, cg_done_fn done, void *arg)
{
	struct cg_task *t;

	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->work = work;
	t->done = done;
	t->arg = arg;
	pthread_mutex_lock(&p->mtx);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mtx);
		free(t);
		return -ESHUTDOWN;
	}
	if (p->max_queue && p->nwaiting >= p->max_queue) {
		p->nrejected++;
		pthread_mutex_unlock(&p->mtx);
		free(t);
		return -EAGAIN;
	}
	list_push(&p->waiting, t);
	p->nwaiting++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	return 0;
}

void
cg_pool_get_stats(struct cg_pool *p, struct cg_pool_stats *out)
{
	pthread_mutex_lock(&p->mtx);
	out->name = p->name;
	out->threads = p->nthreads;
	out->queued = p->nwaiting;
	out->running = p->nrunning;
	out->completed = p->ncompleted;
	out->rejected = p->nrejected;
	out->max_queue = p->max_queue;
	pthread_mutex_unlock(&p->mtx);
}

const char *
cg_pool_name(const struct cg_pool *p)
{
	return p->name;
}

void
cg_pool_destroy(struct cg_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mtx);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	run_completions(p);
	event_free(p->ev);
	close(p->efd);
	free(p->threads);
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cond);
	free(p);
}
