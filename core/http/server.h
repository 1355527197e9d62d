/*
 * The HTTP server: evhttp (libevent 2.1) with what it lacks added around
 * it: a connection cap, a router with path parameters, per-request contexts
 * that handlers answer asynchronously from worker pools, problem+json for
 * every error (libevent's own HTML error pages are rewritten on their way
 * out), security headers, request ids, metrics, /healthz, /readyz and
 * /metrics, and a graceful stop.
 *
 * Everything here runs on the loop thread, except the request accessors
 * marked "any thread", which a worker may call until the reply is sent.
 *
 * Request life: the handler receives a cg_http_req and owns it until it
 * calls one of the reply functions (exactly once), now or later from a
 * pool completion. If the client went away meanwhile the reply is dropped
 * and the request freed; the context itself stays valid until then, so a
 * completion never touches freed memory. cg_http_req_orphaned() tells a
 * completion it may skip work.
 */
#ifndef CG_HTTP_SERVER_H
#define CG_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/problem.h"
#include "http/router.h"
#include "runtime/pool.h"

struct event_base;
struct cg_http_server;
struct cg_http_req;

#define CG_HTTP_MAX_LISTEN 8

struct cg_http_opts {
	/* "127.0.0.1:8080", "[::1]:8080", "*:8080" (all IPv4), "[::]:8080";
	 * port 0 picks a free port (see cg_http_bound_port). */
	const char *listen[CG_HTTP_MAX_LISTEN];
	size_t nlisten;
	size_t max_body_bytes;		/* 0: 1 MiB */
	size_t max_headers_size;	/* 0: 16 KiB */
	size_t max_connections;		/* 0: 1024 */
	int request_timeout_s;		/* handler must reply within; 0: 30 */
	int idle_timeout_s;		/* read/write inactivity; 0: 60 */
};

typedef void (*cg_http_handler)(struct cg_http_req *req, void *ud);

/* Readiness: a check returns CG_READY_OK, CG_READY_DEGRADED (served, shown
 * in /readyz) or CG_READY_FAIL (/readyz answers 503), with a short reason.
 * Checks run on the loop at each /readyz: they read state, never block. */
enum { CG_READY_OK = 0, CG_READY_DEGRADED = 1, CG_READY_FAIL = 2 };
typedef int (*cg_http_ready_fn)(void *ud, char *reason, size_t reasonlen);

/* Server. create binds nothing; start binds the listen list. */
struct cg_http_server *cg_http_create(struct event_base *base,
    const struct cg_http_opts *opts);
int cg_http_start(struct cg_http_server *srv);
/* The port of the i-th bound listener (after start), 0 if none. */
int cg_http_bound_port(const struct cg_http_server *srv, size_t i);
/* Run-time limits (reload). The connection cap, the request timeout and
 * a lowered body limit apply at once; the header limit, the idle timeout
 * and a raised body limit to connections accepted afterwards (libevent
 * copies them into each connection). Listen addresses are ignored. */
void cg_http_set_limits(struct cg_http_server *srv,
    const struct cg_http_opts *opts);
/* Graceful stop: close the listeners, answer requests on open
 * connections with "Connection: close", /readyz answers 503. */
void cg_http_stop_accepting(struct cg_http_server *srv);
/* Requests received and not yet answered (including those whose client
 * left while a worker runs). */
size_t cg_http_inflight(const struct cg_http_server *srv);
size_t cg_http_connections(const struct cg_http_server *srv);
/* Closes every connection. Requests still in flight become orphans and
 * are freed by their reply; the server's memory goes with the last one. */
void cg_http_free(struct cg_http_server *srv);

/* Routing. method: "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS";
 * name: the route's label in metrics ("invoices.get"). Returns as
 * cg_router_add. /healthz, /readyz and /metrics are built in. */
int cg_http_route(struct cg_http_server *srv, const char *method,
    const char *pattern, const char *name, cg_http_handler fn, void *ud);
/* Every registered route, in registration order (built-ins first). */
size_t cg_http_route_count(const struct cg_http_server *srv);
const struct cg_route_info *cg_http_route_get(
    const struct cg_http_server *srv, size_t i);

int cg_http_add_ready_check(struct cg_http_server *srv, const char *name,
    cg_http_ready_fn fn, void *ud);

/* Request accessors (any thread, until the reply). */
const char *cg_http_req_method(const struct cg_http_req *req);
unsigned cg_http_req_method_bit(const struct cg_http_req *req);
const char *cg_http_req_path(const struct cg_http_req *req);	/* raw */
const char *cg_http_req_route(const struct cg_http_req *req);	/* name */
const char *cg_http_req_param(const struct cg_http_req *req,
    const char *name);
const char *cg_http_req_query(const struct cg_http_req *req,
    const char *key);
const struct cg_query *cg_http_req_query_all(const struct cg_http_req *req);
/* The body, NUL-terminated (len excludes the NUL); "" when none. */
const char *cg_http_req_body(const struct cg_http_req *req, size_t *len);
const char *cg_http_req_peer(const struct cg_http_req *req);	/* address */
const char *cg_http_req_id(const struct cg_http_req *req);
int cg_http_req_orphaned(const struct cg_http_req *req);
int64_t cg_http_req_start_us(const struct cg_http_req *req);	/* mono */
/* Handler data freed with the request (e.g. the authenticated merchant). */
void cg_http_req_set_data(struct cg_http_req *req, void *data,
    void (*free_fn)(void *));
void *cg_http_req_data(const struct cg_http_req *req);

/* The body as a JSON object (a new reference), for handlers of JSON
 * APIs. On failure the request is answered (and freed) with
 * problem+json: 415 when a body comes with another Content-Type than
 * application/json, 400 for invalid JSON (duplicate keys included) or
 * a body that is not an object; NULL is returned and the handler must
 * not touch req again. Loop thread. */
json_t *cg_http_req_json(struct cg_http_req *req);

/* Request headers: loop thread only (NULL once orphaned). */
const char *cg_http_req_header(const struct cg_http_req *req,
    const char *name);

/* Response headers, before the reply (loop thread). set replaces. */
void cg_http_set_header(struct cg_http_req *req, const char *name,
    const char *value);

/* Replies (loop thread, exactly once; req is freed). */
void cg_http_reply(struct cg_http_req *req, int status,
    const char *content_type, const void *body, size_t len);
/* Takes the reference to body. NULL body: 500. */
void cg_http_reply_json(struct cg_http_req *req, int status, json_t *body);
/* status with its phrase as title, detail may be NULL. */
void cg_http_reply_error(struct cg_http_req *req, int status,
    const char *detail);
void cg_http_reply_problem(struct cg_http_req *req,
    const struct cg_problem *p);

/* Posts work to a pool for this request. On a full queue or a stopping
 * pool, replies 503 problem+json (Retry-After: 1) and returns the negative
 * errno: the caller then frees arg itself and must not reply again. */
int cg_http_post(struct cg_http_req *req, struct cg_pool *pool,
    cg_work_fn work, cg_done_fn done, void *arg);

#endif
