/*
 * Fuzz target: the request-target parsers (router match with percent
 * decoding, query string parsing). Input: one byte choosing the method,
 * then the request target ("/path?query").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cg_router *router;

static void h(void) {}

static void
setup(void)
{
	static const char *const routes[][2] = {
		{ "GET", "/api/v1/invoices" }, { "POST", "/api/v1/invoices" },
		{ "GET", "/api/v1/invoices/{id}" },
		{ "POST", "/api/v1/invoices/{id}/cancel" },
		{ "GET", "/api/v1/invoices/export" },
		{ "GET", "/a/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}" },
		{ "DELETE", "/api/v1/merchant/api-keys/{id}" }, { "GET", "/" },
	};

	router = cg_router_new();
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		cg_router_add(router, routes[i][0], routes[i][1], "r", h, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_route_match *m;
	struct cg_query q;
	const char *target, *qm;
	size_t pathlen;
	char *copy;
	int rc;

	if (!router)
		setup();
	if (size < 1)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	target = copy;
	qm = strchr(target, '?');
	pathlen = qm ? (size_t)(qm - target) : strlen(target);
	m = cg_route_match_new(pathlen);
	rc = cg_router_match(router, 1u << (data[0] % 7), target, pathlen, m);
	if (rc == 200) {
		for (size_t i = 0; i < m->nparams; i++)
			if (strlen(m->values[i]) > pathlen)
				abort();
	} else if (rc != 404 && rc != 405 && rc != 400) {
		abort();
	}
	free(m);
	if (qm && cg_query_parse(qm + 1, strlen(qm + 1), 64, &q) == 0) {
		for (size_t i = 0; i < q.n; i++)
			(void)cg_query_get(&q, q.keys[i]);
		cg_query_clear(&q);
	}
	free(copy);
	return 0;
}
