/*
 * A small server for the integration tests and the benchmark: the real
 * HTTP server (core/http) and control socket (core/control) on a libevent
 * loop with worker pools, plus a few test routes and commands. Not
 * installed.
 *
 *   cg-test-server [--listen ADDR] [--max-conns N] [--max-body N]
 *                  [--request-timeout S] [--idle-timeout S]
 *                  [--control PATH] [--control-mode OCTAL]
 *                  [--control-group GID] [--control-timeout S]
 *
 * Prints "port=N" (and "control=PATH") on stdout once serving. SIGTERM or
 * SIGINT: graceful stop (in-flight requests finish within 5 s).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "control/control.h"
#include "http/server.h"
#include "runtime/metrics.h"
#include "runtime/pool.h"
#include "util/clock.h"
#include "util/log.h"

struct harness {
	struct event_base *base;
	struct cg_http_server *http;
	struct cg_control *ctl;
	struct cg_pool *pool, *tiny;
	int ready_state;
	unsigned long orphans, completed;
	int64_t stop_deadline;
	struct event *drain_ev;
	int reload_count;
};

static struct harness H;

struct sleep_task {
	struct cg_http_req *req;
	struct cg_control_call *call;
	long ms;
	char *payload;	/* touched by the worker: ASan sees misuse */
};

static void
sleep_work(void *arg, void *thread_ctx)
{
	struct sleep_task *t = arg;
	struct timespec ts = { t->ms / 1000, (t->ms % 1000) * 1000000L };

	(void)thread_ctx;
	nanosleep(&ts, NULL);
	memset(t->payload, 'x', 64);
}

static void
sleep_done(void *arg)
{
	struct sleep_task *t = arg;

	H.completed++;
	if (t->req) {
		if (cg_http_req_orphaned(t->req))
			H.orphans++;
		/* Reads the request after the worker: must still be valid. */
		cg_http_reply_json(t->req, 200, json_pack("{s:i, s:s}",
		    "slept", (int)t->ms, "id", cg_http_req_id(t->req)));
	} else {
		if (cg_control_call_orphaned(t->call))
			H.orphans++;
		cg_control_reply(t->call, json_pack("{s:i}", "slept",
		    (int)t->ms));
	}
	free(t->payload);
	free(t);
}

static struct sleep_task *
sleep_task_new(long ms)
{
	struct sleep_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->payload = malloc(64);
	if (!t->payload) {
		free(t);
		return NULL;
	}
	t->ms = ms < 0 ? 0 : ms > 10000 ? 10000 : ms;
	return t;
}

static void
route_slow(struct cg_http_req *req, void *ud)
{
	const char *ms = cg_http_req_query(req, "ms");
	struct sleep_task *t = sleep_task_new(ms ? atol(ms) : 100);

	if (!t) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	t->req = req;
	if (cg_http_post(req, ud, sleep_work, sleep_done, t) < 0) {
		free(t->payload);
		free(t);
	}
}

static void
route_echo(struct cg_http_req *req, void *ud)
{
	const char *q = cg_http_req_query(req, "q");
	size_t len;
	const char *body = cg_http_req_body(req, &len);

	(void)ud;
	if (q && strcmp(q, "cache") == 0)
		cg_http_set_header(req, "Cache-Control", "max-age=60");
	cg_http_reply_json(req, 200, json_pack("{s:s, s:s, s:s?, s:s, s:s, "
	    "s:i, s:s?}", "route", cg_http_req_route(req), "method",
	    cg_http_req_method(req), "id", cg_http_req_param(req, "id"),
	    "request_id", cg_http_req_id(req), "peer", cg_http_req_peer(req),
	    "body_len", (int)len, "q", q));
	(void)body;
}

static void
route_stats(struct cg_http_req *req, void *ud)
{
	(void)ud;
	cg_http_reply_json(req, 200, json_pack("{s:I, s:I, s:I, s:I}",
	    "orphans", (json_int_t)H.orphans,
	    "completed", (json_int_t)H.completed,
	    "inflight", (json_int_t)cg_http_inflight(H.http),
	    "connections", (json_int_t)cg_http_connections(H.http)));
}

static void
route_ready(struct cg_http_req *req, void *ud)
{
	const char *s = cg_http_req_param(req, "state");

	(void)ud;
	H.ready_state = strcmp(s, "fail") == 0 ? CG_READY_FAIL :
	    strcmp(s, "degraded") == 0 ? CG_READY_DEGRADED : CG_READY_OK;
	cg_http_reply(req, 204, NULL, NULL, 0);
}

static void
route_problem(struct cg_http_req *req, void *ud)
{
	static const struct cg_problem_field errs[] = {
		{ "amount", "must be a decimal string" },
		{ "currency", "unknown currency" },
	};
	struct cg_problem p = { .status = 422, .title = "Validation failed",
	    .detail = "Two fields are invalid.", .errors = errs, .nerrors = 2 };

	(void)ud;
	cg_http_reply_problem(req, &p);
}

static void
route_never(struct cg_http_req *req, void *ud)
{
	/* Replies only through the request timeout, then (late) here. */
	struct sleep_task *t = sleep_task_new(1500);

	(void)ud;
	if (!t) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	t->req = req;
	if (cg_http_post(req, H.pool, sleep_work, sleep_done, t) < 0) {
		free(t->payload);
		free(t);
	}
}

static void
route_json(struct cg_http_req *req, void *ud)
{
	json_t *body = cg_http_req_json(req);

	(void)ud;
	if (!body)
		return;	/* answered */
	cg_http_reply_json(req, 201, json_pack("{s:o}", "got", body));
}

static void
route_routes(struct cg_http_req *req, void *ud)
{
	json_t *arr = json_array();
	const struct cg_route_info *r;

	(void)ud;
	for (size_t i = 0; (r = cg_http_route_get(H.http, i)); i++)
		json_array_append_new(arr, json_pack("[s, s, s]", r->method,
		    r->pattern, r->name));
	cg_http_reply_json(req, 200, arr);
}

/* Reload-style change of the limits: POST /limits?max_body=N&max_conns=N */
static void
route_limits(struct cg_http_req *req, void *ud)
{
	struct cg_http_opts o = { 0 };
	const char *v;

	(void)ud;
	if ((v = cg_http_req_query(req, "max_body")))
		o.max_body_bytes = (size_t)atol(v);
	if ((v = cg_http_req_query(req, "max_conns")))
		o.max_connections = (size_t)atol(v);
	cg_http_set_limits(H.http, &o);
	cg_http_reply(req, 204, NULL, NULL, 0);
}

static int
ready_check(void *ud, char *reason, size_t len)
{
	(void)ud;
	if (H.ready_state != CG_READY_OK)
		snprintf(reason, len, "test state %d", H.ready_state);
	return H.ready_state;
}

static void
cmd_sleep(struct cg_control_call *call, json_t *args, void *ud)
{
	json_t *v = json_object_get(args, "ms");
	long ms = 100;
	struct sleep_task *t;

	if (v && json_is_string(v))
		ms = atol(json_string_value(v));
	else if (v && json_is_integer(v))
		ms = (long)json_integer_value(v);
	else if (v) {
		cg_control_fail(call, "bad_argument", "ms must be a number");
		return;
	}
	t = sleep_task_new(ms);
	if (!t) {
		cg_control_fail(call, "internal", "out of memory");
		return;
	}
	t->call = call;
	if (cg_control_post(call, ud, sleep_work, sleep_done, t) < 0) {
		free(t->payload);
		free(t);
	}
}

static json_t *
status_database(void *ud)
{
	(void)ud;
	return json_pack("{s:s}", "state", "not configured");
}

static json_t *
plugins_list(void *ud)
{
	(void)ud;
	return json_pack("[{s:s, s:s, s:[s]}]", "name", "manual", "kind",
	    "rates", "instances", "manual");
}

static void
reload_cfg(void *ud, struct cg_control_call *call)
{
	(void)ud;
	if (H.reload_count++ % 2) {
		cg_control_fail(call, "reload_failed",
		    "test config is invalid (every 2nd reload)");
		return;
	}
	cg_control_reply(call, json_pack("{s:b, s:i}", "reloaded", 1,
	    "generation", H.reload_count));
}

static void
drain_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (cg_http_inflight(H.http) == 0 || cg_mono_ms() > H.stop_deadline)
		event_base_loopexit(H.base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct timeval tv = { 0, 20000 };

	(void)what;
	(void)arg;
	if (H.drain_ev)
		return;
	cg_info("test", "signal=%d stopping", (int)sig);
	cg_http_stop_accepting(H.http);
	if (H.ctl)
		cg_control_stop_accepting(H.ctl);
	H.stop_deadline = cg_mono_ms() + 5000;
	H.drain_ev = event_new(H.base, -1, EV_PERSIST, drain_tick, NULL);
	event_add(H.drain_ev, &tv);
}

static int
add_routes(void)
{
	struct cg_http_server *s = H.http;

	if (cg_http_route(s, "GET", "/slow", "slow", route_slow, H.pool) ||
	    cg_http_route(s, "GET", "/tiny", "tiny", route_slow, H.tiny) ||
	    cg_http_route(s, "GET", "/never", "never", route_never, NULL) ||
	    cg_http_route(s, "GET", "/echo/{id}", "echo.get", route_echo,
	    NULL) ||
	    cg_http_route(s, "POST", "/echo/{id}", "echo.post", route_echo,
	    NULL) ||
	    cg_http_route(s, "GET", "/items/{id}", "items.get", route_echo,
	    NULL) ||
	    cg_http_route(s, "DELETE", "/items/{id}", "items.delete",
	    route_echo, NULL) ||
	    cg_http_route(s, "GET", "/items/export", "items.export",
	    route_echo, NULL) ||
	    cg_http_route(s, "GET", "/stats", "stats", route_stats, NULL) ||
	    cg_http_route(s, "GET", "/problem", "problem", route_problem,
	    NULL) ||
	    cg_http_route(s, "POST", "/ready/{state}", "ready", route_ready,
	    NULL) ||
	    cg_http_route(s, "GET", "/routes", "routes", route_routes, NULL) ||
	    cg_http_route(s, "POST", "/json", "json", route_json, NULL) ||
	    cg_http_route(s, "POST", "/limits", "limits", route_limits, NULL))
		return -1;
	return cg_http_add_ready_check(s, "test", ready_check, NULL);
}

static int
setup_control(const char *path, const char *mode, const char *group,
    const char *timeout)
{
	struct cg_control_opts o = { 0 };

	o.path = path;
	o.mode = mode ? (unsigned)strtoul(mode, NULL, 8) : 0660;
	o.group = group ? (long)atol(group) : -1;
	o.read_timeout_s = timeout ? atoi(timeout) : 0;
	H.ctl = cg_control_create(H.base, &o);
	if (!H.ctl || cg_control_start(H.ctl) < 0)
		return -1;
	cg_control_add_status(H.ctl, "database", status_database, NULL);
	cg_control_set_plugins_provider(H.ctl, plugins_list, NULL);
	cg_control_set_reload_provider(H.ctl, reload_cfg, NULL);
	return cg_control_register(H.ctl, "test sleep [ms]", cmd_sleep, H.pool,
	    0);
}

int
main(int argc, char **argv)
{
	struct cg_http_opts o = { 0 };
	const char *ctl_path = NULL, *ctl_mode = NULL, *ctl_group = NULL,
	    *ctl_timeout = NULL;
	struct event *sigterm, *sigint;
	int status = 0;

	o.listen[0] = "127.0.0.1:0";
	o.nlisten = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--listen") == 0)
			o.listen[0] = v;
		else if (strcmp(k, "--max-conns") == 0)
			o.max_connections = (size_t)atol(v);
		else if (strcmp(k, "--max-body") == 0)
			o.max_body_bytes = (size_t)atol(v);
		else if (strcmp(k, "--request-timeout") == 0)
			o.request_timeout_s = atoi(v);
		else if (strcmp(k, "--idle-timeout") == 0)
			o.idle_timeout_s = atoi(v);
		else if (strcmp(k, "--control") == 0)
			ctl_path = v;
		else if (strcmp(k, "--control-mode") == 0)
			ctl_mode = v;
		else if (strcmp(k, "--control-group") == 0)
			ctl_group = v;
		else if (strcmp(k, "--control-timeout") == 0)
			ctl_timeout = v;
		else {
			fprintf(stderr, "unknown option %s\n", k);
			return 2;
		}
	}
	if (getenv("CG_TEST_QUIET"))
		cg_log_set_level(CG_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	H.base = event_base_new();
	H.pool = cg_pool_create(H.base, "test", 4, 0, NULL);
	H.tiny = cg_pool_create(H.base, "tiny", 1, 1, NULL);
	H.http = cg_http_create(H.base, &o);
	if (!H.base || !H.pool || !H.tiny || !H.http)
		return 1;
	cg_metrics_watch_pool(H.pool);
	cg_metrics_watch_pool(H.tiny);
	if (add_routes() < 0 || cg_http_start(H.http) < 0 ||
	    (ctl_path && setup_control(ctl_path, ctl_mode, ctl_group,
	    ctl_timeout) < 0)) {
		status = 1;
		goto out;
	}
	sigterm = event_new(H.base, SIGTERM, EV_SIGNAL | EV_PERSIST, on_signal,
	    NULL);
	sigint = event_new(H.base, SIGINT, EV_SIGNAL | EV_PERSIST, on_signal,
	    NULL);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	printf("port=%d\n", cg_http_bound_port(H.http, 0));
	if (ctl_path)
		printf("control=%s\n", ctl_path);
	fflush(stdout);

	event_base_dispatch(H.base);
	event_free(sigterm);
	event_free(sigint);
	/* A second signal while the rest shuts down changes nothing. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
out:

	/* The order main.c follows: servers first (requests still on a worker
	 * become orphans), then the pools, whose last completions answer
	 * those orphans and so free the servers' memory. */
	cg_http_free(H.http);
	cg_control_free(H.ctl);
	cg_metrics_unwatch_pool(H.pool);
	cg_metrics_unwatch_pool(H.tiny);
	cg_pool_destroy(H.pool);
	cg_pool_destroy(H.tiny);
	if (H.drain_ev)
		event_free(H.drain_ev);
	event_base_free(H.base);
	libevent_global_shutdown();
	return status;
}
