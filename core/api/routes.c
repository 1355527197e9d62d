/*
 * The routes of the API's own resources (users and sessions, the
 * merchant, its settings and keys, usage, administration). Invoices,
 * wallets, catalog and webhooks register theirs from their own files.
 */
#include "api/internal.h"
#include "api/resources.h"

#define R(m, p, n, fn, f) \
	if ((rc = cg_api_route(api, m, p, n, fn, f)) != 0) return rc

int
cg_api_register_routes(struct cg_api *api)
{
	int rc;

	R("GET", "/api/v1/merchant", "merchant.get", cg_api_merchant_get,
	    CG_API_MERCHANT);
	return 0;
}
