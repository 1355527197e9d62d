#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "http/router.h"

static void h1(void) {}
static void h2(void) {}

static struct cg_router *
sample(void)
{
	struct cg_router *r = cg_router_new();

	cr_assert_eq(cg_router_add(r, "GET", "/api/v1/invoices", "inv.list",
	    h1, NULL), 0);
	cr_assert_eq(cg_router_add(r, "POST", "/api/v1/invoices", "inv.create",
	    h2, NULL), 0);
	cr_assert_eq(cg_router_add(r, "GET", "/api/v1/invoices/{id}", "inv.get",
	    h1, NULL), 0);
	cr_assert_eq(cg_router_add(r, "POST", "/api/v1/invoices/{id}/cancel",
	    "inv.cancel", h1, NULL), 0);
	cr_assert_eq(cg_router_add(r, "GET", "/api/v1/invoices/export",
	    "inv.export", h1, NULL), 0);
	cr_assert_eq(cg_router_add(r, "GET", "/a/{x}/b/{y}", "two", h1, NULL),
	    0);
	cr_assert_eq(cg_router_add(r, "GET", "/", "root", h1, NULL), 0);
	return r;
}

static int
match(struct cg_router *r, unsigned method, const char *path,
    struct cg_route_match **out)
{
	*out = cg_route_match_new(strlen(path));
	return cg_router_match(r, method, path, strlen(path), *out);
}

Test(router, literal_and_method)
{
	struct cg_router *r = sample();
	struct cg_route_match *m;

	cr_assert_eq(match(r, CG_HTTP_GET, "/api/v1/invoices", &m), 200);
	cr_assert_str_eq(m->route->name, "inv.list");
	cr_assert_eq(m->route->handler, h1);
	free(m);
	cr_assert_eq(match(r, CG_HTTP_POST, "/api/v1/invoices", &m), 200);
	cr_assert_str_eq(m->route->name, "inv.create");
	cr_assert_eq(m->route->handler, h2);
	free(m);
	cr_assert_eq(match(r, CG_HTTP_GET, "/", &m), 200);
	cr_assert_str_eq(m->route->name, "root");
	free(m);
	cg_router_free(r);
}

Test(router, params_are_decoded)
{
	struct cg_router *r = sample();
	struct cg_route_match *m;

	cr_assert_eq(match(r, CG_HTTP_GET, "/api/v1/invoices/inv_%41b", &m), 200);
	cr_assert_str_eq(m->route->name, "inv.get");
	cr_assert_eq(m->nparams, 1);
	cr_assert_str_eq(m->names[0], "id");
	cr_assert_str_eq(m->values[0], "inv_Ab");
	free(m);
	cr_assert_eq(match(r, CG_HTTP_GET, "/a/1/b/two%20words", &m), 200);
	cr_assert_eq(m->nparams, 2);
	cr_assert_str_eq(m->values[0], "1");
	cr_assert_str_eq(m->values[1], "two words");
	free(m);
	cg_router_free(r);
}

Test(router, literal_beats_param)
{
	struct cg_router *r = sample();
	struct cg_route_match *m;

	cr_assert_eq(match(r, CG_HTTP_GET, "/api/v1/invoices/export", &m), 200);
	cr_assert_str_eq(m->route->name, "inv.export");
	cr_assert_eq(m->nparams, 0);
	free(m);
	cg_router_free(r);
}

Test(router, not_found)
{
	struct cg_router *r = sample();
	struct cg_route_match *m;
	const char *paths[] = { "/api/v1/invoice", "/api/v1/invoices/",
	    "/api/v1//invoices", "api/v1/invoices", "", "/api/v1/invoices/x/y",
	    "/a//b/1" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		cr_assert_eq(match(r, CG_HTTP_GET, paths[i], &m), 404, "%s",
		    paths[i]);
		cr_assert_null(m->route);
		free(m);
	}
	cg_router_free(r);
}

Test(router, method_not_allowed_lists_methods)
{
	struct cg_router *r = sample();
	struct cg_route_match *m;
	char allow[64];

	cr_assert_eq(match(r, CG_HTTP_DELETE, "/api/v1/invoices", &m), 405);
	cg_http_methods_format(m->allowed, allow, sizeof(allow));
	cr_assert_str_eq(allow, "GET, HEAD, POST");
	free(m);
	cr_assert_eq(match(r, CG_HTTP_GET, "/api/v1/invoices/x/cancel", &m), 405);
	cg_http_methods_format(m->allowed, allow, sizeof(allow));
	cr_assert_str_eq(allow, "POST");
	free(m);
	/* HEAD is served by GET. */
	cr_assert_eq(match(r, CG_HTTP_HEAD, "/api/v1/invoices/x", &m), 200);
	free(m);
	cg_router_free(r);
}

Test(router, bad_encoding)
{
	struct cg_router *r = sample();
	struct cg_route_match *m;

	cr_assert_eq(match(r, CG_HTTP_GET, "/api/v1/invoices/%zz", &m), 400);
	free(m);
	cr_assert_eq(match(r, CG_HTTP_GET, "/api/v1/invoices/%00", &m), 400);
	free(m);
	cr_assert_eq(match(r, CG_HTTP_GET, "/api/v1/invoices/%4", &m), 400);
	free(m);
	cg_router_free(r);
}

Test(router, registration_errors)
{
	struct cg_router *r = cg_router_new();

	cr_assert_eq(cg_router_add(r, "GET", "/x/{id}", "x", h1, NULL), 0);
	cr_assert_eq(cg_router_add(r, "GET", "/x/{other}", "y", h1, NULL),
	    -EEXIST);
	cr_assert_eq(cg_router_add(r, "POST", "/x/{id}", "x.post", h1, NULL), 0);
	cr_assert_eq(cg_router_add(r, "GET", "x", "n", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_add(r, "GET", "/x//y", "n", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_add(r, "GET", "/x/{}", "n", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_add(r, "GET", "/x/{1a}", "n", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_add(r, "GET", "/x/a{b}", "n", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_add(r, "FETCH", "/z", "n", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_add(r, "HEAD", "/z", "n", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_add(r, "GET", "/z", "", h1, NULL), -EINVAL);
	cr_assert_eq(cg_router_count(r), 2);
	cr_assert_str_eq(cg_router_get(r, 1)->method, "POST");
	cr_assert_str_eq(cg_router_get(r, 1)->pattern, "/x/{id}");
	cr_assert_str_eq(cg_router_get(r, 1)->name, "x.post");
	cr_assert_null(cg_router_get(r, 2));
	cg_router_free(r);
}

Test(query, parse_and_decode)
{
	struct cg_query q;
	const char *qs = "status=new&order_id=A%2B1&name=a+b&flag&&empty=&status=x";

	cr_assert_eq(cg_query_parse(qs, strlen(qs), 16, &q), 0);
	cr_assert_eq(q.n, 6);
	cr_assert_str_eq(cg_query_get(&q, "status"), "new");
	cr_assert_str_eq(cg_query_get(&q, "order_id"), "A+1");
	cr_assert_str_eq(cg_query_get(&q, "name"), "a b");
	cr_assert_str_eq(cg_query_get(&q, "flag"), "");
	cr_assert_str_eq(cg_query_get(&q, "empty"), "");
	cr_assert_null(cg_query_get(&q, "missing"));
	cr_assert_str_eq(q.keys[5], "status");
	cr_assert_str_eq(q.values[5], "x");
	cg_query_clear(&q);
}

Test(query, errors)
{
	struct cg_query q;

	cr_assert_eq(cg_query_parse("a=%g0", 5, 16, &q), -EINVAL);
	cr_assert_eq(cg_query_parse("a=%00", 5, 16, &q), -EINVAL);
	cr_assert_eq(cg_query_parse("a&b&c", 5, 2, &q), -EINVAL);
	cr_assert_eq(cg_query_parse("", 0, 2, &q), 0);
	cr_assert_eq(q.n, 0);
	cg_query_clear(&q);
}
