#include "http/router.h"
#include "util/str.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cg_segment {
	char *text;	/* literal text, or the parameter's name */
	int param;
};

struct cg_route {
	struct cg_route_info info;
	unsigned method;
	size_t nseg;
	struct cg_segment seg[CG_ROUTER_MAX_SEGMENTS];
};

struct cg_router {
	struct cg_route **routes;
	size_t n, cap;
};

static const struct {
	unsigned bit;
	const char *name;
} methods[] = {
	{ CG_HTTP_GET, "GET" }, { CG_HTTP_HEAD, "HEAD" },
	{ CG_HTTP_POST, "POST" }, { CG_HTTP_PUT, "PUT" },
	{ CG_HTTP_PATCH, "PATCH" }, { CG_HTTP_DELETE, "DELETE" },
	{ CG_HTTP_OPTIONS, "OPTIONS" },
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

unsigned
cg_http_method_parse(const char *name)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (strcmp(name, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

const char *
cg_http_method_name(unsigned method)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].bit == method)
			return methods[i].name;
	return "OTHER";
}

void
cg_http_methods_format(unsigned mask, char *out, size_t outlen)
{
	size_t used = 0;
	int n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < NMETHODS; i++) {
		if (!(mask & methods[i].bit))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s",
		    used ? ", " : "", methods[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}

struct cg_router *
cg_router_new(void)
{
	return calloc(1, sizeof(struct cg_router));
}

static void
route_free(struct cg_route *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->nseg; i++)
		free(rt->seg[i].text);
	free((char *)rt->info.pattern);
	free((char *)rt->info.name);
	free(rt);
}

void
cg_router_free(struct cg_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		route_free(r->routes[i]);
	free(r->routes);
	free(r);
}

static int
valid_param_name(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* Splits the pattern into rt->seg; -EINVAL on a malformed one. */
static int
parse_pattern(struct cg_route *rt, const char *pattern)
{
	const char *p = pattern + 1, *slash;
	size_t n, nparams = 0;

	if (pattern[0] != '/')
		return -EINVAL;
	if (*p == '\0')
		return 0;	/* "/" has no segments */
	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (rt->nseg == CG_ROUTER_MAX_SEGMENTS)
			return -EINVAL;
		if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
			if (!valid_param_name(p + 1, n - 2) ||
			    ++nparams > CG_ROUTER_MAX_PARAMS)
				return -EINVAL;
			rt->seg[rt->nseg].param = 1;
			rt->seg[rt->nseg].text = strndup(p + 1, n - 2);
		} else {
			if (n == 0 || memchr(p, '{', n) || memchr(p, '}', n) ||
			    memchr(p, '%', n))
				return -EINVAL;
			rt->seg[rt->nseg].text = strndup(p, n);
		}
		if (!rt->seg[rt->nseg].text)
			return -ENOMEM;
		rt->nseg++;
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

static int
same_shape(const struct cg_route *a, const struct cg_route *b)
{
	if (a->nseg != b->nseg)
		return 0;
	for (size_t i = 0; i < a->nseg; i++) {
		if (a->seg[i].param != b->seg[i].param)
			return 0;
		if (!a->seg[i].param && strcmp(a->seg[i].text, b->seg[i].text))
			return 0;
	}
	return 1;
}

int
cg_router_add(struct cg_router *r, const char *method, const char *pattern,
    const char *name, cg_route_fn handler, void *ud)
{
	struct cg_route *rt, **grown;
	unsigned bit;
	int rc;

	if (!method || !pattern || !name || !*name)
		return -EINVAL;
	bit = cg_http_method_parse(method);
	if (bit == 0 || bit == CG_HTTP_HEAD)
		return -EINVAL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	rc = parse_pattern(rt, pattern);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < r->n; i++) {
		if (r->routes[i]->method == bit && same_shape(r->routes[i], rt)) {
			rc = -EEXIST;
			goto fail;
		}
	}
	rc = -ENOMEM;
	rt->method = bit;
	rt->info.method = cg_http_method_name(bit);
	rt->info.pattern = strdup(pattern);
	rt->info.name = strdup(name);
	rt->info.handler = handler;
	rt->info.ud = ud;
	if (!rt->info.pattern || !rt->info.name)
		goto fail;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		grown = realloc(r->routes, cap * sizeof(*grown));
		if (!grown)
			goto fail;
		r->routes = grown;
		r->cap = cap;
	}
	r->routes[r->n++] = rt;
	return 0;
fail:
	route_free(rt);
	return rc;
}

size_t
cg_router_count(const struct cg_router *r)
{
	return r->n;
}

const struct cg_route_info *
cg_router_get(const struct cg_router *r, size_t i)
{
	return i < r->n ? &r->routes[i]->info : NULL;
}

long
cg_url_decode(const char *src, size_t srclen, char *dst, int plus_space)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < srclen; i++) {
		char c = src[i];
		if (c == '%') {
			if (srclen - i < 3)
				return -1;
			hi = cg_hex_digit(src[i + 1]);
			lo = cg_hex_digit(src[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		} else if (c == '\0') {
			return -1;
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	return (long)o;
}

struct cg_route_match *
cg_route_match_new(size_t pathlen)
{
	return calloc(1, sizeof(struct cg_route_match) + pathlen + 2);
}

/* Splits and decodes the path into m->buf; returns the segment count, -1
 * for bad encoding, -2 for too many segments or no leading slash. */
static int
split_path(const char *path, size_t len, struct cg_route_match *m,
    char *segs[CG_ROUTER_MAX_SEGMENTS])
{
	size_t start = 1, end, used = 0;
	int n = 0;
	long dl;

	if (len == 0 || path[0] != '/')
		return -2;
	if (len == 1)
		return 0;
	while (start <= len) {
		for (end = start; end < len && path[end] != '/'; end++)
			;
		if (n == CG_ROUTER_MAX_SEGMENTS)
			return -2;
		dl = cg_url_decode(path + start, end - start, m->buf + used, 0);
		if (dl < 0)
			return -1;
		segs[n++] = m->buf + used;
		used += (size_t)dl + 1;
		start = end + 1;
	}
	return n;
}

/* Higher is more specific: a literal beats a parameter, earliest first. */
static uint32_t
specificity(const struct cg_route *rt)
{
	uint32_t s = 0;

	for (size_t i = 0; i < rt->nseg; i++)
		if (!rt->seg[i].param)
			s |= 1u << (31 - i);
	return s;
}

static int
route_matches(const struct cg_route *rt, char **segs, int nseg)
{
	if (rt->nseg != (size_t)nseg)
		return 0;
	for (int i = 0; i < nseg; i++) {
		if (rt->seg[i].param) {
			if (segs[i][0] == '\0')
				return 0;
		} else if (strcmp(rt->seg[i].text, segs[i]) != 0) {
			return 0;
		}
	}
	return 1;
}

int
cg_router_match(const struct cg_router *r, unsigned method, const char *path,
    size_t pathlen, struct cg_route_match *m)
{
	char *segs[CG_ROUTER_MAX_SEGMENTS];
	const struct cg_route *best = NULL, *rt;
	uint32_t best_spec = 0, spec;
	unsigned want = method == CG_HTTP_HEAD ? CG_HTTP_GET : method;
	int nseg;

	m->route = NULL;
	m->allowed = 0;
	m->nparams = 0;
	nseg = split_path(path, pathlen, m, segs);
	if (nseg == -1)
		return 400;
	if (nseg < 0)
		return 404;
	for (size_t i = 0; i < r->n; i++) {
		rt = r->routes[i];
		if (!route_matches(rt, segs, nseg))
			continue;
		if (rt->method != want) {
			m->allowed |= rt->method;
			if (rt->method == CG_HTTP_GET)
				m->allowed |= CG_HTTP_HEAD;
			continue;
		}
		spec = specificity(rt);
		if (!best || spec > best_spec) {
			best = rt;
			best_spec = spec;
		}
	}
	if (!best)
		return m->allowed ? 405 : 404;
	m->route = &best->info;
	for (int i = 0; i < nseg; i++) {
		if (!best->seg[i].param)
			continue;
		m->names[m->nparams] = best->seg[i].text;
		m->values[m->nparams] = segs[i];
		m->nparams++;
	}
	return 200;
}

void
cg_query_clear(struct cg_query *q)
{
	free(q->keys);
	free(q->values);
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

int
cg_query_parse(const char *qs, size_t len, size_t max_pairs,
    struct cg_query *q)
{
	size_t start = 0, end, eq, used = 0, n = 1;
	long kl, vl;

	memset(q, 0, sizeof(*q));
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (qs[i] == '&')
			n++;
	if (n > max_pairs)
		return -EINVAL;
	q->keys = calloc(n, sizeof(char *));
	q->values = calloc(n, sizeof(char *));
	q->buf = malloc(len + 2 * n);
	if (!q->keys || !q->values || !q->buf)
		goto nomem;
	while (start <= len) {
		for (end = start; end < len && qs[end] != '&'; end++)
			;
		if (end > start) {
			for (eq = start; eq < end && qs[eq] != '='; eq++)
				;
			kl = cg_url_decode(qs + start, eq - start, q->buf + used, 1);
			if (kl < 0)
				goto bad;
			q->keys[q->n] = q->buf + used;
			used += (size_t)kl + 1;
			vl = eq < end ? cg_url_decode(qs + eq + 1, end - eq - 1,
			    q->buf + used, 1) : cg_url_decode("", 0, q->buf + used, 1);
			if (vl < 0)
				goto bad;
			q->values[q->n] = q->buf + used;
			used += (size_t)vl + 1;
			q->n++;
		}
		start = end + 1;
	}
	return 0;
bad:
	cg_query_clear(q);
	return -EINVAL;
nomem:
	cg_query_clear(q);
	return -ENOMEM;
}

const char *
cg_query_get(const struct cg_query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->keys[i], key) == 0)
			return q->values[i];
	return NULL;
}
