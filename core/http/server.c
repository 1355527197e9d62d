#include "http/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "runtime/metrics.h"
#include "util/clock.h"
#include "util/log.h"

#define CG_HTTP_MAX_QUERY_PAIRS 64
#define CG_HTTP_MAX_CHECKS 16

/* One accepted connection. Its memory is the context of the filter
 * bufferevent that wraps the socket, freed with it (conn_free). */
struct cg_http_conn {
	struct cg_http_server *srv;
	struct bufferevent *bev;	/* the filter evhttp uses */
	struct bufferevent *under;	/* the socket */
	int fd;
	int refused;
	int closecb_set;
	struct event *refuse_ev;
	struct event *flush_ev;
	struct cg_http_req *active;	/* the request being answered */
};

struct cg_http_req {
	struct cg_http_server *srv;
	struct evhttp_request *evreq;	/* NULL once answered or gone */
	struct cg_http_conn *conn;
	struct event *timer;
	unsigned method;
	const char *method_name;
	const struct cg_route_info *route;
	struct cg_route_match *match;
	struct cg_query query;
	char *path;
	char *body;
	size_t bodylen;
	char peer[64];
	char id[72];
	int64_t start_us;
	int orphaned;
	int answered;	/* the client got its reply (or 504) */
	int headers_set;	/* the handler set response headers */
	void *data;
	void (*data_free)(void *);
};

struct cg_ready_check {
	char name[32];
	cg_http_ready_fn fn;
	void *ud;
};

struct cg_http_server {
	struct event_base *base;
	struct evhttp *http;
	struct cg_router *router;
	struct cg_http_opts opts;
	char *listen[CG_HTTP_MAX_LISTEN];
	struct evhttp_bound_socket *bound[CG_HTTP_MAX_LISTEN];
	int ports[CG_HTTP_MAX_LISTEN];
	size_t nbound;

	struct cg_http_conn **by_fd;	/* connections by socket */
	size_t by_fd_cap;
	size_t nconns, nactive;
	size_t inflight;
	size_t refs;	/* owner + requests + connections */
	int stopping, freed;
	struct cg_http_req *dispatching;	/* in its handler right now */

	struct cg_ready_check checks[CG_HTTP_MAX_CHECKS];
	size_t nchecks;

	char id_prefix[16];
	uint64_t id_counter;

	struct cg_metric *m_requests, *m_duration, *m_conns, *m_inflight,
	    *m_refused;
};

static const char *const security_headers[][2] = {
	{ "X-Content-Type-Options", "nosniff" },
	{ "X-Frame-Options", "DENY" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'" },
};

static void builtin_healthz(struct cg_http_req *req, void *ud);
static void builtin_readyz(struct cg_http_req *req, void *ud);
static void builtin_metrics(struct cg_http_req *req, void *ud);

/* ---- server lifetime ---- */

static void
srv_unref(struct cg_http_server *srv)
{
	if (--srv->refs > 0)
		return;
	for (size_t i = 0; i < CG_HTTP_MAX_LISTEN; i++)
		free(srv->listen[i]);
	cg_router_free(srv->router);
	free(srv->by_fd);
	free(srv);
}

static void
apply_limits(struct cg_http_server *srv, const struct cg_http_opts *o)
{
	srv->opts.max_body_bytes = o->max_body_bytes ? o->max_body_bytes :
	    1024 * 1024;
	srv->opts.max_headers_size = o->max_headers_size ?
	    o->max_headers_size : 16 * 1024;
	srv->opts.max_connections = o->max_connections ?
	    o->max_connections : 1024;
	srv->opts.request_timeout_s = o->request_timeout_s > 0 ?
	    o->request_timeout_s : 30;
	srv->opts.idle_timeout_s = o->idle_timeout_s > 0 ?
	    o->idle_timeout_s : 60;
	if (!srv->http)
		return;
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)srv->opts.max_body_bytes);
	evhttp_set_max_headers_size(srv->http,
	    (ev_ssize_t)srv->opts.max_headers_size);
	evhttp_set_timeout(srv->http, srv->opts.idle_timeout_s);
}

void
cg_http_set_limits(struct cg_http_server *srv, const struct cg_http_opts *o)
{
	apply_limits(srv, o);
	cg_info("http", "limits max_body=%zu max_headers=%zu max_conns=%zu "
	    "request_timeout=%d idle_timeout=%d", srv->opts.max_body_bytes,
	    srv->opts.max_headers_size, srv->opts.max_connections,
	    srv->opts.request_timeout_s, srv->opts.idle_timeout_s);
}

static void
init_metrics(struct cg_http_server *srv)
{
	static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
	    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

	srv->m_requests = cg_metrics_counter(NULL, "cg_http_requests_total",
	    "HTTP requests answered, by route, method and status.",
	    "route,method,status");
	srv->m_duration = cg_metrics_histogram(NULL,
	    "cg_http_request_duration_seconds",
	    "Time from a request's arrival to its reply, by route.", "route",
	    bounds, sizeof(bounds) / sizeof(bounds[0]));
	srv->m_conns = cg_metrics_gauge(NULL, "cg_http_connections",
	    "Open HTTP connections.", NULL);
	srv->m_inflight = cg_metrics_gauge(NULL, "cg_http_inflight_requests",
	    "HTTP requests received and not yet answered.", NULL);
	srv->m_refused = cg_metrics_counter(NULL,
	    "cg_http_connections_refused_total",
	    "Connections refused over the connection limit.", NULL);
	/* Declared here so the series exists from the start; the database
	 * layer increments it. */
	cg_metrics_counter(NULL, "cg_db_errors_total",
	    "Database errors (failed connects, queries, lost connections).",
	    NULL);
}

static void gencb(struct evhttp_request *evreq, void *arg);
static struct bufferevent *bevcb(struct event_base *base, void *arg);

struct cg_http_server *
cg_http_create(struct event_base *base, const struct cg_http_opts *opts)
{
	struct cg_http_server *srv;
	unsigned char rnd[6];

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->refs = 1;
	srv->base = base;
	if (opts->nlisten > CG_HTTP_MAX_LISTEN)
		goto fail;
	for (size_t i = 0; i < opts->nlisten; i++) {
		srv->listen[i] = strdup(opts->listen[i]);
		if (!srv->listen[i])
			goto fail;
		srv->opts.listen[i] = srv->listen[i];
	}
	srv->opts.nlisten = opts->nlisten;
	srv->router = cg_router_new();
	srv->http = evhttp_new(base);
	if (!srv->router || !srv->http)
		goto fail;
	apply_limits(srv, opts);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	/* Read a refused body to its end before answering 413, so the client
	 * sees the answer instead of a reset. */
	evhttp_set_flags(srv->http, EVHTTP_SERVER_LINGERING_CLOSE);
	/* No text/html default: every reply names its own type. */
	evhttp_set_default_content_type(srv->http, NULL);
	evhttp_set_bevcb(srv->http, bevcb, srv);
	evhttp_set_gencb(srv->http, gencb, srv);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(srv->id_prefix + 2 * i, 3, "%02x", rnd[i]);
	init_metrics(srv);
	if (cg_http_route(srv, "GET", "/healthz", "healthz", builtin_healthz,
	    srv) < 0 ||
	    cg_http_route(srv, "GET", "/readyz", "readyz", builtin_readyz,
	    srv) < 0 ||
	    cg_http_route(srv, "GET", "/metrics", "metrics", builtin_metrics,
	    srv) < 0)
		goto fail;
	return srv;
fail:
	if (srv->http)
		evhttp_free(srv->http);
	srv->http = NULL;
	srv_unref(srv);
	return NULL;
}

/* "host:port", "[v6]:port", "*:port". */
static int
split_listen(const char *spec, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t n;
	char *end;
	long p;

	if (!colon)
		return -1;
	n = (size_t)(colon - spec);
	if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
		h = spec + 1;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcmp(host, "*") == 0)
		snprintf(host, hostlen, "0.0.0.0");
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static int
socket_port(evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int
cg_http_start(struct cg_http_server *srv)
{
	char host[128];
	int port;

	for (size_t i = 0; i < srv->opts.nlisten; i++) {
		if (split_listen(srv->opts.listen[i], host, sizeof(host),
		    &port) < 0) {
			cg_error("http", "bad listen address addr=%s",
			    srv->opts.listen[i]);
			return -EINVAL;
		}
		srv->bound[i] = evhttp_bind_socket_with_handle(srv->http, host,
		    (ev_uint16_t)port);
		if (!srv->bound[i]) {
			cg_error("http", "cannot listen addr=%s: %s",
			    srv->opts.listen[i], strerror(errno));
			return -EADDRNOTAVAIL;
		}
		srv->ports[i] = socket_port(
		    evhttp_bound_socket_get_fd(srv->bound[i]));
		srv->nbound = i + 1;
		cg_info("http", "listening addr=%s port=%d", host,
		    srv->ports[i]);
	}
	return 0;
}

int
cg_http_bound_port(const struct cg_http_server *srv, size_t i)
{
	return i < srv->nbound ? srv->ports[i] : 0;
}

void
cg_http_stop_accepting(struct cg_http_server *srv)
{
	for (size_t i = 0; i < srv->nbound; i++) {
		if (srv->bound[i])
			evhttp_del_accept_socket(srv->http, srv->bound[i]);
		srv->bound[i] = NULL;
	}
	if (!srv->stopping)
		cg_info("http", "stopped accepting inflight=%zu conns=%zu",
		    srv->inflight, srv->nconns);
	srv->stopping = 1;
}

size_t
cg_http_inflight(const struct cg_http_server *srv)
{
	return srv->inflight;
}

size_t
cg_http_connections(const struct cg_http_server *srv)
{
	return srv->nconns;
}

void
cg_http_free(struct cg_http_server *srv)
{
	if (!srv)
		return;
	cg_http_stop_accepting(srv);
	srv->freed = 1;
	/* Closes every connection: their requests become orphans. */
	evhttp_free(srv->http);
	srv->http = NULL;
	srv_unref(srv);
}

int
cg_http_route(struct cg_http_server *srv, const char *method,
    const char *pattern, const char *name, cg_http_handler fn, void *ud)
{
	int rc = cg_router_add(srv->router, method, pattern, name,
	    (cg_route_fn)fn, ud);

	if (rc < 0)
		cg_error("http", "cannot add route method=%s pattern=%s: %s",
		    method, pattern, strerror(-rc));
	return rc;
}

size_t
cg_http_route_count(const struct cg_http_server *srv)
{
	return cg_router_count(srv->router);
}

const struct cg_route_info *
cg_http_route_get(const struct cg_http_server *srv, size_t i)
{
	return cg_router_get(srv->router, i);
}

int
cg_http_add_ready_check(struct cg_http_server *srv, const char *name,
    cg_http_ready_fn fn, void *ud)
{
	struct cg_ready_check *c;

	if (srv->nchecks == CG_HTTP_MAX_CHECKS)
		return -ENOSPC;
	c = &srv->checks[srv->nchecks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->fn = fn;
	c->ud = ud;
	return 0;
}

/* ---- connections ---- */

static void
conn_map(struct cg_http_conn *c)
{
	struct cg_http_server *srv = c->srv;
	struct cg_http_conn **grown;
	size_t cap;

	if (c->fd >= 0)
		return;
	c->fd = bufferevent_getfd(c->under);
	if (c->fd < 0)
		return;
	if ((size_t)c->fd >= srv->by_fd_cap) {
		cap = srv->by_fd_cap ? srv->by_fd_cap : 1024;
		while (cap <= (size_t)c->fd)
			cap *= 2;
		grown = realloc(srv->by_fd, cap * sizeof(*grown));
		if (!grown) {
			c->fd = -1;
			return;
		}
		memset(grown + srv->by_fd_cap, 0,
		    (cap - srv->by_fd_cap) * sizeof(*grown));
		srv->by_fd = grown;
		srv->by_fd_cap = cap;
	}
	srv->by_fd[c->fd] = c;
}

static void orphan(struct cg_http_req *req, int evreq_alive);

/* The filter's free callback: the connection is gone for good. */
static void
conn_free(void *arg)
{
	struct cg_http_conn *c = arg;
	struct cg_http_server *srv = c->srv;

	if (c->active)
		orphan(c->active, 0);
	if (c->fd >= 0 && (size_t)c->fd < srv->by_fd_cap &&
	    srv->by_fd[c->fd] == c)
		srv->by_fd[c->fd] = NULL;
	if (c->refuse_ev)
		event_free(c->refuse_ev);
	if (c->flush_ev)
		event_free(c->flush_ev);
	srv->nconns--;
	if (!c->refused)
		srv->nactive--;
	free(c);
	srv_unref(srv);
}

/* evhttp closes the connection: a request still in a handler's hands
 * becomes an orphan. evhttp frees a request it still owns right after
 * this; one it detached (client gone mid-wait) is ours to free. */
static void
on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct cg_http_conn *c = arg;

	(void)evcon;
	if (c->active && c->active->evreq)
		orphan(c->active,
		    evhttp_request_get_connection(c->active->evreq) == NULL);
}

static enum bufferevent_filter_result
in_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct cg_http_conn *c = arg;

	(void)mode;
	conn_map(c);
	if (c->refused) {
		evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_OK;
	}
	if (lim < 0)
		evbuffer_add_buffer(dst, src);
	else
		evbuffer_remove_buffer(src, dst, (size_t)lim);
	return BEV_OK;
}

/* Builds a problem+json response, headers and body, for a raw socket. */
static size_t
raw_problem(char *out, size_t outlen, const char *version, int status,
    const char *detail)
{
	struct cg_problem p = { .status = status, .detail = detail };
	char *body;
	size_t blen = 0;
	int n;

	body = cg_problem_render(&p, &blen);
	n = snprintf(out, outlen, "%s %d %s\r\n"
	    "Content-Type: " CG_PROBLEM_CONTENT_TYPE "\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "\r\n%s", version, status, cg_http_status_phrase(status), blen,
	    body ? body : "");
	free(body);
	if (n < 0 || (size_t)n >= outlen)
		return 0;
	return (size_t)n;
}

static const char *
evhttp_error_detail(int status)
{
	switch (status) {
	case 413:
		return "The request body exceeds the server's limit.";
	case 400:
		return "The request line or headers are malformed or too large.";
	case 405:
		return "The method is not supported by this server.";
	default:
		return NULL;
	}
}

/* libevent 2.1 answers malformed or oversized requests itself with an
 * HTML page and offers no hook: such a reply is recognised on its way out
 * (an error status whose body is libevent's page) and replaced. */
static int
rewrite_evhttp_error(struct cg_http_conn *c, struct evbuffer *src,
    struct evbuffer *dst)
{
	static const char marker[] = "\r\n\r\n<HTML><HEAD>\n<TITLE>";
	char head[16], version[9], out[1024];
	struct evbuffer_ptr pos;
	size_t n = evbuffer_get_length(src), len;
	int status;

	if (n < 16 || n > 1024 || evbuffer_copyout(src, head, 16) != 16)
		return 0;
	if (memcmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ' ||
	    (head[9] != '4' && head[9] != '5'))
		return 0;
	pos = evbuffer_search(src, marker, sizeof(marker) - 1, NULL);
	if (pos.pos < 0)
		return 0;
	conn_map(c);
	memcpy(version, head, 8);
	version[8] = '\0';
	status = (head[9] - '0') * 100 + (head[10] - '0') * 10 +
	    (head[11] - '0');
	len = raw_problem(out, sizeof(out), version, status,
	    evhttp_error_detail(status));
	if (len == 0)
		return 0;
	evbuffer_drain(src, n);
	if (evbuffer_get_length(dst) == 0 && c->fd >= 0) {
		ssize_t w = send(c->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			memmove(out, out + w, len - (size_t)w);
			len -= (size_t)w;
		}
	}
	evbuffer_add(dst, out, len);
	cg_metric_inc(c->srv->m_requests, (const char *[]){ "none", "-",
	    status == 413 ? "413" : status == 400 ? "400" : "4xx" });
	return 1;
}

/* Output goes straight to the socket when nothing is queued before it:
 * evhttp shuts a "Connection: close" socket down as soon as the filter has
 * taken the response, before the socket bufferevent would have written
 * it. What the socket does not take now is queued as usual. */
static void
write_through(struct cg_http_conn *c, struct evbuffer *buf,
    struct evbuffer *dst)
{
	conn_map(c);
	if (c->fd >= 0 && evbuffer_get_length(dst) == 0)
		evbuffer_write(buf, c->fd);
}

static enum bufferevent_filter_result
out_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
    enum bufferevent_flush_mode mode, void *arg)
{
	(void)mode;
	if (rewrite_evhttp_error(arg, src, dst))
		return BEV_OK;
	write_through(arg, src, dst);
	if (lim < 0)
		evbuffer_add_buffer(dst, src);
	else
		evbuffer_remove_buffer(src, dst, (size_t)lim);
	return BEV_OK;
}

/* Over the cap: answer 503 at once and half-close; evhttp frees the
 * connection when the client closes its side or the idle timeout fires. */
static void
refuse_now(evutil_socket_t unused, short what, void *arg)
{
	struct cg_http_conn *c = arg;
	char out[1024];
	size_t len;

	(void)unused;
	(void)what;
	conn_map(c);
	if (c->fd < 0)
		return;
	len = raw_problem(out, sizeof(out), "HTTP/1.1", 503,
	    "Too many connections.");
	if (len && send(c->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		cg_debug("http", "refusal not sent: %s", strerror(errno));
	shutdown(c->fd, SHUT_WR);
}

/* A filter bufferevent only passes output on while writing is enabled,
 * and evhttp queues a response before it enables writing: so every
 * addition schedules a flush, which runs later in this loop pass. */
static void
flush_now(evutil_socket_t unused, short what, void *arg)
{
	struct cg_http_conn *c = arg;

	(void)unused;
	(void)what;
	bufferevent_flush(c->bev, EV_WRITE, BEV_NORMAL);
}

static void
output_added(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct cg_http_conn *c = arg;

	(void)buf;
	if (info->n_added && !event_pending(c->flush_ev, EV_TIMEOUT, NULL))
		event_active(c->flush_ev, EV_TIMEOUT, 0);
}

static struct bufferevent *
bevcb(struct event_base *base, void *arg)
{
	struct cg_http_server *srv = arg;
	struct cg_http_conn *c;
	struct timeval zero = { 0, 0 };

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->srv = srv;
	c->fd = -1;
	c->under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->under) {
		free(c);
		return NULL;
	}
	c->bev = bufferevent_filter_new(c->under, in_filter, out_filter,
	    BEV_OPT_CLOSE_ON_FREE, conn_free, c);
	if (!c->bev) {
		bufferevent_free(c->under);
		free(c);
		return NULL;
	}
	c->flush_ev = event_new(base, -1, 0, flush_now, c);
	if (!c->flush_ev ||
	    !evbuffer_add_cb(bufferevent_get_output(c->bev), output_added, c)) {
		/* conn_free runs with the filter and undoes the counts. */
		c->refused = 1;
		srv->refs++;
		srv->nconns++;
		bufferevent_free(c->bev);
		return NULL;
	}
	srv->refs++;
	srv->nconns++;
	if (srv->nactive >= srv->opts.max_connections) {
		c->refused = 1;
		cg_metric_inc(srv->m_refused, NULL);
		c->refuse_ev = event_new(base, -1, 0, refuse_now, c);
		if (c->refuse_ev)
			event_add(c->refuse_ev, &zero);
		cg_warn("http", "connection refused limit=%zu",
		    srv->opts.max_connections);
	} else {
		srv->nactive++;
	}
	return c->bev;
}

static struct cg_http_conn *
conn_of(struct cg_http_server *srv, struct evhttp_connection *evcon)
{
	struct bufferevent *bev;
	struct cg_http_conn *c;
	int fd;

	if (!evcon)
		return NULL;
	bev = evhttp_connection_get_bufferevent(evcon);
	fd = bev ? bufferevent_getfd(bev) : -1;
	if (fd < 0 || (size_t)fd >= srv->by_fd_cap)
		return NULL;
	c = srv->by_fd[fd];
	if (!c || c->bev != bev)
		return NULL;
	if (!c->closecb_set) {
		evhttp_connection_set_closecb(evcon, on_conn_close, c);
		c->closecb_set = 1;
	}
	return c;
}

/* ---- requests ---- */

static void
orphan(struct cg_http_req *req, int evreq_alive)
{
	if (req->timer)
		event_del(req->timer);
	if (!evreq_alive)
		req->evreq = NULL;
	req->orphaned = 1;
	if (req->conn)
		req->conn->active = NULL;
	req->conn = NULL;
}

static void
req_free(struct cg_http_req *req)
{
	struct cg_http_server *srv = req->srv;

	if (srv->dispatching == req)
		srv->dispatching = NULL;
	if (req->conn)
		req->conn->active = NULL;
	if (req->timer)
		event_free(req->timer);
	if (req->data_free)
		req->data_free(req->data);
	cg_query_clear(&req->query);
	free(req->match);
	free(req->path);
	if (req->bodylen)
		free(req->body);
	free(req);
	srv->inflight--;
	srv_unref(srv);
}

static void
record(struct cg_http_req *req, int status)
{
	const char *route = req->route ? req->route->name : "none";
	char st[8];
	int64_t us = cg_mono_us() - req->start_us;

	snprintf(st, sizeof(st), "%d", status);
	cg_metric_inc(req->srv->m_requests,
	    (const char *[]){ route, req->method_name, st });
	cg_metric_observe(req->srv->m_duration, (const char *[]){ route },
	    (double)us / 1e6);
	cg_debug("http", "request id=%s method=%s route=%s status=%d us=%lld",
	    req->id, req->method_name, route, status, (long long)us);
}

/* Sends on the evhttp request if there still is a client; the context
 * stays with the handler (freed by the caller). */
static void
send_now(struct cg_http_req *req, int status, const char *ctype,
    const void *body, size_t len)
{
	struct evhttp_request *evreq = req->evreq;
	struct evkeyvalq *h;

	if (req->timer)
		event_del(req->timer);
	if (req->answered)
		return;
	req->answered = 1;
	if (!evreq || req->orphaned) {
		/* Detached by evhttp when the client left: ours to free. */
		if (evreq)
			evhttp_request_free(evreq);
		req->evreq = NULL;
		record(req, 499);
		return;
	}
	req->evreq = NULL;
	if (req->conn)
		req->conn->active = NULL;
	req->conn = NULL;
	h = evhttp_request_get_output_headers(evreq);
	/* Only a handler that set headers may have replaced these. */
	for (size_t i = 0; i < sizeof(security_headers) /
	    sizeof(security_headers[0]); i++)
		if (!req->headers_set ||
		    !evhttp_find_header(h, security_headers[i][0]))
			evhttp_add_header(h, security_headers[i][0],
			    security_headers[i][1]);
	if (!req->headers_set || !evhttp_find_header(h, "Cache-Control"))
		evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Request-Id", req->id);
	if (ctype)
		evhttp_add_header(h, "Content-Type", ctype);
	if (req->srv->stopping)
		evhttp_add_header(h, "Connection", "close");
	record(req, status);
	if (len)
		evbuffer_add(evhttp_request_get_output_buffer(evreq), body, len);
	evhttp_send_reply(evreq, status, cg_http_status_phrase(status), NULL);
}

void
cg_http_reply(struct cg_http_req *req, int status, const char *content_type,
    const void *body, size_t len)
{
	send_now(req, status, content_type, body, len);
	req_free(req);
}

void
cg_http_reply_json(struct cg_http_req *req, int status, json_t *body)
{
	char *s;

	if (!body) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (!s) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	cg_http_reply(req, status, "application/json", s, strlen(s));
	free(s);
}

static void
send_problem(struct cg_http_req *req, const struct cg_problem *p)
{
	struct cg_problem copy = *p;
	char *s;
	size_t len = 0;

	copy.request_id = req->id;
	s = cg_problem_render(&copy, &len);
	if (!s) {
		/* Text the renderer refused (not UTF-8): the status alone. */
		copy.detail = NULL;
		copy.title = NULL;
		copy.type = NULL;
		copy.nerrors = 0;
		s = cg_problem_render(&copy, &len);
	}
	send_now(req, p->status, CG_PROBLEM_CONTENT_TYPE, s ? s : "{}",
	    s ? len : 2);
	free(s);
}

void
cg_http_reply_problem(struct cg_http_req *req, const struct cg_problem *p)
{
	send_problem(req, p);
	req_free(req);
}

void
cg_http_reply_error(struct cg_http_req *req, int status, const char *detail)
{
	struct cg_problem p = { .status = status, .detail = detail };

	cg_http_reply_problem(req, &p);
}

/* The handler missed its deadline: the client gets 504 now; the context
 * waits for the handler's own reply, which is then dropped. */
static void
on_req_timeout(evutil_socket_t unused, short what, void *arg)
{
	struct cg_http_req *req = arg;
	struct cg_problem p = { .status = 504,
	    .detail = "The request took too long to process." };

	(void)unused;
	(void)what;
	cg_warn("http", "request timed out route=%s id=%s",
	    req->route ? req->route->name : "none", req->id);
	send_problem(req, &p);
	req->orphaned = 1;
}

int
cg_http_post(struct cg_http_req *req, struct cg_pool *pool, cg_work_fn work,
    cg_done_fn done, void *arg)
{
	int rc = cg_pool_post(pool, work, done, arg);

	if (rc < 0) {
		cg_http_set_header(req, "Retry-After", "1");
		cg_http_reply_error(req, 503, rc == -EAGAIN ?
		    "The server is busy; retry shortly." :
		    "The server is shutting down.");
	}
	return rc;
}

void
cg_http_set_header(struct cg_http_req *req, const char *name,
    const char *value)
{
	struct evkeyvalq *h;

	if (!req->evreq || req->orphaned)
		return;
	h = evhttp_request_get_output_headers(req->evreq);
	evhttp_remove_header(h, name);
	evhttp_add_header(h, name, value);
	req->headers_set = 1;
}

/* "application/json", "application/json; charset=utf-8", any case. */
static int
is_json_type(const char *ct)
{
	static const char json_type[] = "application/json";
	size_t n = sizeof(json_type) - 1;

	if (!ct || strncasecmp(ct, json_type, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

json_t *
cg_http_req_json(struct cg_http_req *req)
{
	struct cg_problem p = { .status = 400 };
	json_error_t jerr;
	char detail[256];
	json_t *v;

	if (req->bodylen == 0) {
		cg_http_reply_error(req, 400, "A JSON object body is required.");
		return NULL;
	}
	if (!is_json_type(cg_http_req_header(req, "Content-Type"))) {
		cg_http_reply_error(req, 415,
		    "The body must be sent as application/json.");
		return NULL;
	}
	v = json_loadb(req->body, req->bodylen, JSON_REJECT_DUPLICATES, &jerr);
	if (!v || !json_is_object(v)) {
		if (v)
			snprintf(detail, sizeof(detail),
			    "The body must be a JSON object.");
		else
			snprintf(detail, sizeof(detail),
			    "The body is not valid JSON: %s (line %d, column %d).",
			    jerr.text, jerr.line, jerr.column);
		json_decref(v);
		p.detail = detail;
		cg_http_reply_problem(req, &p);
		return NULL;
	}
	return v;
}

const char *
cg_http_req_header(const struct cg_http_req *req, const char *name)
{
	if (!req->evreq || req->orphaned)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(req->evreq),
	    name);
}

const char *
cg_http_req_method(const struct cg_http_req *req)
{
	return req->method_name;
}

unsigned
cg_http_req_method_bit(const struct cg_http_req *req)
{
	return req->method;
}

const char *
cg_http_req_path(const struct cg_http_req *req)
{
	return req->path;
}

const char *
cg_http_req_route(const struct cg_http_req *req)
{
	return req->route ? req->route->name : NULL;
}

const char *
cg_http_req_param(const struct cg_http_req *req, const char *name)
{
	if (!req->match)
		return NULL;
	for (size_t i = 0; i < req->match->nparams; i++)
		if (strcmp(req->match->names[i], name) == 0)
			return req->match->values[i];
	return NULL;
}

const char *
cg_http_req_query(const struct cg_http_req *req, const char *key)
{
	return cg_query_get(&req->query, key);
}

const struct cg_query *
cg_http_req_query_all(const struct cg_http_req *req)
{
	return &req->query;
}

const char *
cg_http_req_body(const struct cg_http_req *req, size_t *len)
{
	if (len)
		*len = req->bodylen;
	return req->body;
}

const char *
cg_http_req_peer(const struct cg_http_req *req)
{
	return req->peer;
}

const char *
cg_http_req_id(const struct cg_http_req *req)
{
	return req->id;
}

int
cg_http_req_orphaned(const struct cg_http_req *req)
{
	return req->orphaned;
}

int64_t
cg_http_req_start_us(const struct cg_http_req *req)
{
	return req->start_us;
}

void
cg_http_req_set_data(struct cg_http_req *req, void *data,
    void (*free_fn)(void *))
{
	if (req->data_free)
		req->data_free(req->data);
	req->data = data;
	req->data_free = free_fn;
}

void *
cg_http_req_data(const struct cg_http_req *req)
{
	return req->data;
}

static unsigned
method_of(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return CG_HTTP_GET;
	case EVHTTP_REQ_HEAD: return CG_HTTP_HEAD;
	case EVHTTP_REQ_POST: return CG_HTTP_POST;
	case EVHTTP_REQ_PUT: return CG_HTTP_PUT;
	case EVHTTP_REQ_PATCH: return CG_HTTP_PATCH;
	case EVHTTP_REQ_DELETE: return CG_HTTP_DELETE;
	case EVHTTP_REQ_OPTIONS: return CG_HTTP_OPTIONS;
	default: return 0;
	}
}

/* A client's X-Request-Id is echoed when it is short and plain. */
static int
valid_request_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (n == 64 || !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return n > 0;
}

static void
set_request_id(struct cg_http_server *srv, struct cg_http_req *req)
{
	const char *given = evhttp_find_header(
	    evhttp_request_get_input_headers(req->evreq), "X-Request-Id");

	if (given && valid_request_id(given))
		snprintf(req->id, sizeof(req->id), "%s", given);
	else
		snprintf(req->id, sizeof(req->id), "%s%010llx", srv->id_prefix,
		    (unsigned long long)++srv->id_counter);
}

static int
copy_body(struct cg_http_req *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req->evreq);
	size_t n = in ? evbuffer_get_length(in) : 0;

	req->body = (char *)"";
	if (n == 0)
		return 0;
	req->body = malloc(n + 1);
	if (!req->body) {
		req->body = (char *)"";
		return -1;
	}
	evbuffer_copyout(in, req->body, n);
	req->body[n] = '\0';
	req->bodylen = n;
	return 0;
}

static void
dispatch(struct cg_http_server *srv, struct cg_http_req *req,
    const char *uri)
{
	const char *q = strchr(uri, '?');
	size_t pathlen = q ? (size_t)(q - uri) : strlen(uri);
	struct cg_problem p = { 0 };
	char allow[96];
	cg_http_handler fn;
	int rc;

	req->path = strndup(uri, pathlen);
	req->match = cg_route_match_new(pathlen);
	if (!req->path || !req->match || copy_body(req) < 0) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	if (req->bodylen > srv->opts.max_body_bytes) {
		cg_http_reply_error(req, 413,
		    "The request body exceeds the server's limit.");
		return;
	}
	if (q && cg_query_parse(q + 1, strlen(q + 1), CG_HTTP_MAX_QUERY_PAIRS,
	    &req->query) < 0) {
		cg_http_reply_error(req, 400, "The query string is malformed.");
		return;
	}
	rc = req->method ? cg_router_match(srv->router, req->method, req->path,
	    pathlen, req->match) : 405;
	if (rc == 400) {
		cg_http_reply_error(req, 400, "The path is malformed.");
		return;
	}
	if (rc == 404) {
		p.status = 404;
		p.detail = "No resource at this path.";
		cg_http_reply_problem(req, &p);
		return;
	}
	if (rc == 405) {
		cg_http_methods_format(req->match->allowed, allow, sizeof(allow));
		cg_http_set_header(req, "Allow", allow);
		cg_http_reply_error(req, 405,
		    "This method is not allowed on this resource.");
		return;
	}
	req->route = req->match->route;
	fn = (cg_http_handler)req->route->handler;
	fn(req, req->route->ud);
}

static void
gencb(struct evhttp_request *evreq, void *arg)
{
	struct cg_http_server *srv = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(evreq);
	struct cg_http_req *req;
	char *addr = NULL;
	ev_uint16_t port = 0;
	struct timeval tv;

	req = calloc(1, sizeof(*req));
	if (!req) {
		evhttp_send_error(evreq, 500, NULL);
		return;
	}
	srv->refs++;
	srv->inflight++;
	req->srv = srv;
	req->evreq = evreq;
	req->start_us = cg_mono_us();
	req->body = (char *)"";
	req->conn = conn_of(srv, evcon);
	if (req->conn)
		req->conn->active = req;
	req->method = method_of(evhttp_request_get_command(evreq));
	req->method_name = cg_http_method_name(req->method);
	if (evcon) {
		evhttp_connection_get_peer(evcon, &addr, &port);
		snprintf(req->peer, sizeof(req->peer), "%s", addr ? addr : "");
	}
	set_request_id(srv, req);

	srv->dispatching = req;
	dispatch(srv, req, evhttp_request_get_uri(evreq));
	if (srv->dispatching != req)
		return;	/* answered and freed already */
	srv->dispatching = NULL;
	/* Answered later from a completion: bound the wait. */
	req->timer = event_new(srv->base, -1, 0, on_req_timeout, req);
	tv.tv_sec = srv->opts.request_timeout_s;
	tv.tv_usec = 0;
	if (req->timer)
		event_add(req->timer, &tv);
}

/* ---- built-in routes ---- */

static void
builtin_healthz(struct cg_http_req *req, void *ud)
{
	static const char body[] = "{\"status\":\"ok\"}";

	(void)ud;
	cg_http_reply(req, 200, "application/json", body, sizeof(body) - 1);
}

static void
builtin_readyz(struct cg_http_req *req, void *ud)
{
	static const char *const names[] = { "ok", "degraded", "fail" };
	struct cg_http_server *srv = ud;
	json_t *checks = json_array(), *o;
	char reason[256];
	int worst = CG_READY_OK, st;

	if (srv->stopping) {
		worst = CG_READY_FAIL;
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s}",
		    "name", "server", "status", "fail", "reason",
		    "shutting down"));
	}
	for (size_t i = 0; i < srv->nchecks; i++) {
		reason[0] = '\0';
		st = srv->checks[i].fn(srv->checks[i].ud, reason, sizeof(reason));
		if (st < CG_READY_OK || st > CG_READY_FAIL)
			st = CG_READY_FAIL;
		if (st > worst)
			worst = st;
		o = json_pack("{s:s, s:s}", "name", srv->checks[i].name,
		    "status", names[st]);
		if (o && reason[0])
			json_object_set_new(o, "reason", json_string(reason));
		json_array_append_new(checks, o);
	}
	o = json_pack("{s:s, s:o}", "status", worst == CG_READY_OK ? "ready" :
	    worst == CG_READY_DEGRADED ? "degraded" : "not_ready",
	    "checks", checks);
	cg_http_reply_json(req, worst == CG_READY_FAIL ? 503 : 200, o);
}

static void
builtin_metrics(struct cg_http_req *req, void *ud)
{
	struct cg_http_server *srv = ud;
	size_t len = 0;
	char *text;

	cg_metric_set(srv->m_conns, NULL, (double)srv->nactive);
	cg_metric_set(srv->m_inflight, NULL, (double)srv->inflight);
	text = cg_metrics_render(NULL, &len);
	if (!text) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	cg_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    text, len);
	free(text);
}
