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
} routes[] = {
	{ "POST", "/api/v1/auth/login", "auth.login", cg_api_login,
	    CG_API_PUBLIC },
	{ "POST", "/api/v1/auth/logout", "auth.logout", cg_api_logout,
	    CG_API_USER },
	{ "GET", "/api/v1/auth/sessions", "auth.sessions.list",
	    cg_api_sessions_list, CG_API_USER },
	{ "DELETE", "/api/v1/auth/sessions/{id}", "auth.sessions.revoke",
	    cg_api_sessions_revoke, CG_API_USER },
	{ "POST", "/api/v1/auth/verify-email/request", "auth.verify.request",
	    cg_api_verify_request, CG_API_USER },
	{ "POST", "/api/v1/auth/verify-email/confirm", "auth.verify.confirm",
	    cg_api_verify_confirm, CG_API_PUBLIC },
	{ "POST", "/api/v1/auth/password-reset/request", "auth.reset.request",
	    cg_api_reset_request, CG_API_PUBLIC },
	{ "POST", "/api/v1/auth/password-reset/confirm", "auth.reset.confirm",
	    cg_api_reset_confirm, CG_API_PUBLIC },

	{ "GET", "/api/v1/merchant", "merchant.get", cg_api_merchant_get,
	    CG_API_MERCHANT },
	{ "PATCH", "/api/v1/merchant", "merchant.patch",
	    cg_api_merchant_patch, CG_API_MERCHANT },
	{ "GET", "/api/v1/merchant/settings", "merchant.settings.get",
	    cg_api_settings_get, CG_API_MERCHANT },
	{ "PATCH", "/api/v1/merchant/settings", "merchant.settings.patch",
	    cg_api_settings_patch, CG_API_MERCHANT },
	/* Keys are managed by the merchant's users, not by keys: a leaked
	 * key cannot mint more. */
	{ "POST", "/api/v1/merchant/api-keys", "merchant.keys.create",
	    cg_api_keys_create, CG_API_SESSION | POST_I },
	{ "GET", "/api/v1/merchant/api-keys", "merchant.keys.list",
	    cg_api_keys_list, CG_API_SESSION },
	{ "DELETE", "/api/v1/merchant/api-keys/{id}", "merchant.keys.revoke",
	    cg_api_keys_revoke, CG_API_SESSION },
	{ "GET", "/api/v1/usage", "usage.get", cg_api_usage_get,
	    CG_API_MERCHANT },

	{ "GET", "/api/v1/admin/merchants", "admin.merchants.list",
	    cg_api_admin_merchants_list, CG_API_OPERATOR },
	{ "POST", "/api/v1/admin/merchants", "admin.merchants.create",
	    cg_api_admin_merchants_create, CG_API_ADMIN | POST_I },
	{ "GET", "/api/v1/admin/merchants/{id}", "admin.merchants.get",
	    cg_api_admin_merchants_get, CG_API_OPERATOR },
	{ "PATCH", "/api/v1/admin/merchants/{id}", "admin.merchants.patch",
	    cg_api_admin_merchants_patch, CG_API_ADMIN },
	{ "DELETE", "/api/v1/admin/merchants/{id}", "admin.merchants.delete",
	    cg_api_admin_merchants_delete, CG_API_ADMIN },
	{ "GET", "/api/v1/admin/users", "admin.users.list",
	    cg_api_admin_users_list, CG_API_OPERATOR },
	{ "POST", "/api/v1/admin/users", "admin.users.create",
	    cg_api_admin_users_create, CG_API_ADMIN | POST_I },
	{ "GET", "/api/v1/admin/users/{id}", "admin.users.get",
	    cg_api_admin_users_get, CG_API_OPERATOR },
	{ "PATCH", "/api/v1/admin/users/{id}", "admin.users.patch",
	    cg_api_admin_users_patch, CG_API_ADMIN },
	{ "DELETE", "/api/v1/admin/users/{id}", "admin.users.delete",
	    cg_api_admin_users_delete, CG_API_ADMIN },
	{ "GET", "/api/v1/admin/audit-log", "admin.audit.list",
	    cg_api_admin_audit_list, CG_API_OPERATOR },
};

int
cg_api_register_routes(struct cg_api *api)
{
	int rc;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if ((rc = cg_api_route(api, routes[i].method,
		    routes[i].pattern, routes[i].name, routes[i].fn,
		    routes[i].flags)) != 0)
			return rc;
	return 0;
}
