/*
 * The HTTP router and the request-target parsers: pure functions with no
 * libevent in them, so they can be unit-tested and fuzzed.
 *
 * Patterns are absolute paths whose segments are literals or "{name}"
 * parameters matching one non-empty segment: /api/v1/invoices/{id}/cancel.
 * Segments are compared after percent-decoding. When several patterns
 * match, the one with a literal at the first segment where they differ
 * wins (/invoices/export before /invoices/{id}). A path that matches a
 * pattern under another method only answers 405 with the methods allowed.
 * HEAD is served by GET routes.
 */
#ifndef CG_HTTP_ROUTER_H
#define CG_HTTP_ROUTER_H

#include <stddef.h>

#define CG_ROUTER_MAX_PARAMS 8
#define CG_ROUTER_MAX_SEGMENTS 32

enum cg_http_method {
	CG_HTTP_GET = 1 << 0,
	CG_HTTP_HEAD = 1 << 1,
	CG_HTTP_POST = 1 << 2,
	CG_HTTP_PUT = 1 << 3,
	CG_HTTP_PATCH = 1 << 4,
	CG_HTTP_DELETE = 1 << 5,
	CG_HTTP_OPTIONS = 1 << 6,
};

struct cg_router;

/* Handlers are stored as a generic function pointer; the server casts it
 * back to its own handler type. */
typedef void (*cg_route_fn)(void);

struct cg_route_info {
	const char *method;	/* "GET" */
	const char *pattern;	/* "/api/v1/invoices/{id}" */
	const char *name;	/* "invoices.get", the metrics label */
	cg_route_fn handler;	/* as registered */
	void *ud;
};

struct cg_route_match {
	const struct cg_route_info *route;	/* NULL: 404 or 405 */
	unsigned allowed;	/* 405: the methods whose routes match */
	size_t nparams;
	const char *names[CG_ROUTER_MAX_PARAMS];
	char *values[CG_ROUTER_MAX_PARAMS];	/* decoded, in buf */
	char buf[];		/* cg_route_match_new() sizes it */
};

/* "GET" → CG_HTTP_GET; 0 when unknown. */
unsigned cg_http_method_parse(const char *name);
const char *cg_http_method_name(unsigned method);
/* "GET, HEAD, POST" for a mask, into out. */
void cg_http_methods_format(unsigned mask, char *out, size_t outlen);

struct cg_router *cg_router_new(void);
void cg_router_free(struct cg_router *r);
/* Returns 0, -EINVAL for a malformed pattern, method or name, -EEXIST when
 * the method and pattern are already routed, -ENOMEM. */
int cg_router_add(struct cg_router *r, const char *method,
    const char *pattern, const char *name, cg_route_fn handler, void *ud);
size_t cg_router_count(const struct cg_router *r);
/* The i-th route in registration order, or NULL. */
const struct cg_route_info *cg_router_get(const struct cg_router *r,
    size_t i);

/* Allocates a match able to hold the parameters of a path of pathlen
 * bytes; free() it. */
struct cg_route_match *cg_route_match_new(size_t pathlen);
/* path: the raw (percent-encoded) path, without the query. Returns 200
 * (m->route set), 404, 405 (m->allowed set) or 400 (bad encoding). */
int cg_router_match(const struct cg_router *r, unsigned method,
    const char *path, size_t pathlen, struct cg_route_match *m);

/* Percent-decodes src into dst (dst may equal src; at most srclen+1
 * bytes). plus_space: '+' means ' ' (query strings). Returns the decoded
 * length, or -1 for a bad escape or a decoded NUL. */
long cg_url_decode(const char *src, size_t srclen, char *dst, int plus_space);

/* A parsed query string: pairs decoded into one buffer. */
struct cg_query {
	size_t n;
	char **keys, **values;
	char *buf;
};

/* Parses "a=1&b=x%20y&flag". Returns 0, -EINVAL (bad escape, more than
 * max_pairs pairs), -ENOMEM. Empty pieces are skipped. */
int cg_query_parse(const char *qs, size_t len, size_t max_pairs,
    struct cg_query *q);
void cg_query_clear(struct cg_query *q);
/* The first value of key, or NULL. */
const char *cg_query_get(const struct cg_query *q, const char *key);

#endif
