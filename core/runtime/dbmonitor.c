#include "runtime/dbmonitor.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "db/db.h"
#include "db/migrate.h"
#include "runtime/pool.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/log.h"

#define CHECK_UP_MS 5000
#define CHECK_DOWN_MS 1000

struct check {
	struct cg_dbmon *m;
	int up, schema_ok;
	char message[320];
};

struct cg_dbmon {
	struct cg_pool *pool;
	struct event *timer;
	int required_schema;
	int in_flight;
	int stopping;
	struct cg_dbmon_state state;
	atomic_int ready;
};

static void schedule(struct cg_dbmon *m);

static void
check_work(void *arg, void *thread_ctx)
{
	struct check *c = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	char err[300];

	if (!db) {
		snprintf(c->message, sizeof(c->message),
		    "database unreachable");
		return;
	}
	if (cg_db_ping(db) != 0) {
		snprintf(c->message, sizeof(c->message),
		    "database unreachable: %s", cg_db_error(db));
		return;
	}
	c->up = 1;
	if (cg_db_schema_check(db, c->m->required_schema, err,
	    sizeof(err)) != 0) {
		snprintf(c->message, sizeof(c->message), "%s", err);
		return;
	}
	c->schema_ok = 1;
}

static void
check_done(void *arg)
{
	struct check *c = arg;
	struct cg_dbmon *m = c->m;
	struct cg_dbmon_state *s = &m->state;
	int was_ready = s->up && s->schema_ok;
	int now_ready = c->up && c->schema_ok;

	m->in_flight = 0;
	if (m->stopping) {
		free(c);
		return;
	}
	if (c->up != s->up)
		s->changed_ms = cg_now_ms();
	if (now_ready)
		s->last_ok_ms = cg_now_ms();
	else
		s->failures++;
	if (now_ready && !was_ready)
		cg_info("db", "database ready");
	else if (!now_ready && (was_ready || strcmp(s->message, c->message)))
		cg_warn("db", "database not ready: %s", c->message);
	s->up = c->up;
	s->schema_ok = c->schema_ok;
	snprintf(s->message, sizeof(s->message), "%s", c->message);
	atomic_store(&m->ready, now_ready);
	free(c);
	schedule(m);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cg_dbmon *m = arg;
	struct check *c;

	(void)fd;
	(void)what;
	if (m->in_flight)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		schedule(m);
		return;
	}
	c->m = m;
	if (cg_pool_post(m->pool, check_work, check_done, c) != 0) {
		free(c);
		schedule(m);
		return;
	}
	m->in_flight = 1;
}

static void
schedule(struct cg_dbmon *m)
{
	int ms = atomic_load(&m->ready) ? CHECK_UP_MS : CHECK_DOWN_MS;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(m->timer, &tv);
}

struct cg_dbmon *
cg_dbmon_start(struct event_base *base, const struct cg_db_params *params,
    int required_schema)
{
	struct cg_dbmon *m;
	struct timeval now = { 0, 0 };

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->required_schema = required_schema;
	snprintf(m->state.message, sizeof(m->state.message),
	    "database not checked yet");
	m->pool = cg_sqlpool_create(base, "db-monitor", 1, 4, params);
	m->timer = evtimer_new(base, on_timer, m);
	if (!m->pool || !m->timer) {
		cg_dbmon_stop(m);
		return NULL;
	}
	evtimer_add(m->timer, &now);
	return m;
}

void
cg_dbmon_get(struct cg_dbmon *m, struct cg_dbmon_state *out)
{
	*out = m->state;
}

int
cg_dbmon_ready(struct cg_dbmon *m)
{
	return m ? atomic_load(&m->ready) : 0;
}

void
cg_dbmon_stop(struct cg_dbmon *m)
{
	if (!m)
		return;
	/* Destroying the pool runs a last completion: stopping keeps it from
	 * re-arming the timer. */
	m->stopping = 1;
	if (m->pool)
		cg_sqlpool_destroy(m->pool);
	if (m->timer)
		event_free(m->timer);
	free(m);
}
