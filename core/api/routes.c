/*
 * The routes of the API's own resources (users and sessions, the
 * merchant, its settings and keys, usage, administration). Invoices,
 * wallets, catalog and webhooks register theirs from their own files.
 */
#include "api/internal.h"
#include "api/resources.h"

#define POST_I (CG_API_IDEMPOTENT)

static const struct {
	const char *method, *pattern, *name;
	cg_api_handler fn;
	unsigned flags;
	cg_api_sql_fn sql;	/* instead of fn: only SQL (one hop) */
} routes[] = {
	{ "POST", "/api/v1/auth/login", "auth.login",
	    cg_api_login, CG_API_PUBLIC, NULL },
	{ "POST", "/api/v1/auth/logout", "auth.logout",
	    cg_api_logout, CG_API_USER, NULL },
	{ "GET", "/api/v1/auth/sessions", "auth.sessions.list",
	    NULL, CG_API_USER, cg_api_sessions_list_sql },
	{ "DELETE", "/api/v1/auth/sessions/{id}", "auth.sessions.revoke",
	    cg_api_sessions_revoke, CG_API_USER, NULL },
	{ "POST", "/api/v1/auth/verify-email/request", "auth.verify.request",
	    cg_api_verify_request, CG_API_USER, NULL },
	{ "POST", "/api/v1/auth/verify-email/confirm", "auth.verify.confirm",
	    cg_api_verify_confirm, CG_API_PUBLIC, NULL },
	{ "POST", "/api/v1/auth/password-reset/request", "auth.reset.request",
	    cg_api_reset_request, CG_API_PUBLIC, NULL },
	{ "POST", "/api/v1/auth/password-reset/confirm", "auth.reset.confirm",
	    cg_api_reset_confirm, CG_API_PUBLIC, NULL },

	{ "GET", "/api/v1/merchant", "merchant.get",
	    NULL, CG_API_MERCHANT, cg_api_merchant_get_sql },
	{ "PATCH", "/api/v1/merchant", "merchant.patch",
	    cg_api_merchant_patch, CG_API_MERCHANT, NULL },
	{ "GET", "/api/v1/merchant/settings", "merchant.settings.get",
	    NULL, CG_API_MERCHANT, cg_api_settings_get_sql },
	{ "PATCH", "/api/v1/merchant/settings", "merchant.settings.patch",
	    cg_api_settings_patch, CG_API_MERCHANT, NULL },
	/* Keys are managed by the merchant's users, not by keys: a leaked
	 * key cannot mint more. */
	{ "POST", "/api/v1/merchant/api-keys", "merchant.keys.create",
	    cg_api_keys_create, CG_API_SESSION | POST_I, NULL },
	{ "GET", "/api/v1/merchant/api-keys", "merchant.keys.list",
	    NULL, CG_API_SESSION, cg_api_keys_list_sql },
	{ "DELETE", "/api/v1/merchant/api-keys/{id}", "merchant.keys.revoke",
	    cg_api_keys_revoke, CG_API_SESSION, NULL },
	{ "GET", "/api/v1/usage", "usage.get",
	    cg_api_usage_get, CG_API_MERCHANT, NULL },

	{ "GET", "/api/v1/admin/merchants", "admin.merchants.list",
	    NULL, CG_API_OPERATOR, cg_api_admin_merchants_list_sql },
	{ "POST", "/api/v1/admin/merchants", "admin.merchants.create",
	    cg_api_admin_merchants_create, CG_API_ADMIN | POST_I, NULL },
	{ "GET", "/api/v1/admin/merchants/{id}", "admin.merchants.get",
	    NULL, CG_API_OPERATOR, cg_api_admin_merchants_get_sql },
	{ "PATCH", "/api/v1/admin/merchants/{id}", "admin.merchants.patch",
	    cg_api_admin_merchants_patch, CG_API_ADMIN, NULL },
	{ "DELETE", "/api/v1/admin/merchants/{id}", "admin.merchants.delete",
	    cg_api_admin_merchants_delete, CG_API_ADMIN, NULL },
	{ "GET", "/api/v1/admin/users", "admin.users.list",
	    NULL, CG_API_OPERATOR, cg_api_admin_users_list_sql },
	{ "POST", "/api/v1/admin/users", "admin.users.create",
	    cg_api_admin_users_create, CG_API_ADMIN | POST_I, NULL },
	{ "GET", "/api/v1/admin/users/{id}", "admin.users.get",
	    NULL, CG_API_OPERATOR, cg_api_admin_users_get_sql },
	{ "PATCH", "/api/v1/admin/users/{id}", "admin.users.patch",
	    cg_api_admin_users_patch, CG_API_ADMIN, NULL },
	{ "DELETE", "/api/v1/admin/users/{id}", "admin.users.delete",
	    cg_api_admin_users_delete, CG_API_ADMIN, NULL },
	{ "GET", "/api/v1/admin/audit-log", "admin.audit.list",
	    cg_api_admin_audit_list, CG_API_OPERATOR, NULL },
};

int
cg_api_register_routes(struct cg_api *api)
{
	int rc;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if ((rc = routes[i].sql ? cg_api_route_sql(api,
		    routes[i].method, routes[i].pattern, routes[i].name,
		    routes[i].sql, routes[i].flags) : cg_api_route(api,
		    routes[i].method, routes[i].pattern, routes[i].name,
		    routes[i].fn, routes[i].flags)) != 0)
			return rc;
	return 0;
}
