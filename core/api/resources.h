/*
 * Handlers of the API's own resources, one file each: auth.c (login,
 * sessions, e-mail verification, password reset, mail), merchant.c
 * (merchant, settings, API keys, usage), admin.c (merchants, users, audit
 * log); and what they share.
 */
#ifndef CG_API_RESOURCES_H
#define CG_API_RESOURCES_H

#include <stdint.h>

#include "api/api.h"
#include "api/fields.h"

struct cg_db;
struct cg_stmt;
struct cg_vld;

struct cg_token;

/* merchant.c */
/* Inserts an API key row (inside a transaction). 0 or CG_DB_ERR. */
int cg_api_key_insert(struct cg_db *db, const char *id,
    const char *merchant_id, const char *name, const struct cg_token *t,
    const char *user_id, int64_t now);
extern const struct cg_api_col cg_api_merchant_cols[];
extern const struct cg_api_field cg_api_merchant_fields[];
json_t *cg_api_merchant_load(struct cg_api_call *call, struct cg_db *db,
    const char *id, int lock, int *dberr);
void cg_api_merchant_patch_sql(struct cg_api_call *call, struct cg_db *db,
    const char *id);
int cg_api_patch_begin(struct cg_api_call *call, const struct cg_api_field *f,
    int (*extra)(struct cg_api_call *, struct cg_vld *, json_t *));
json_t *cg_api_patch_changes(struct cg_api_call *call);
void cg_api_merchant_get_sql(struct cg_api_call *call, struct cg_db *db);
void cg_api_merchant_patch(struct cg_api_call *call);
void cg_api_settings_get_sql(struct cg_api_call *call, struct cg_db *db);
void cg_api_settings_patch(struct cg_api_call *call);
void cg_api_keys_create(struct cg_api_call *call);
void cg_api_keys_list_sql(struct cg_api_call *call, struct cg_db *db);
void cg_api_keys_revoke(struct cg_api_call *call);
void cg_api_usage_get(struct cg_api_call *call);

/* auth.c */
void cg_api_login(struct cg_api_call *call);
void cg_api_logout(struct cg_api_call *call);
void cg_api_sessions_list_sql(struct cg_api_call *call, struct cg_db *db);
void cg_api_sessions_revoke(struct cg_api_call *call);
void cg_api_verify_request(struct cg_api_call *call);
void cg_api_verify_confirm(struct cg_api_call *call);
void cg_api_reset_request(struct cg_api_call *call);
void cg_api_reset_confirm(struct cg_api_call *call);
/* Argon2id of password with the configured parameters (hash worker):
 * 0 with the PHC string in out, or -1. */
int cg_api_password_hash(struct cg_api *api, const char *password,
    char *out, size_t size);
/* Sends (or, without smtp.url, logs) one message; never blocks the loop. */
void cg_api_mail(struct cg_api *api, const char *to, const char *subject,
    const char *body);

/* cgctl.c: "api keys create|revoke|list" control commands. */
int cg_api_control_register(struct cg_api *api);

/* admin_payments.c: GET /api/v1/admin/payments, POST …/{id}/resolve. */
int cg_api_admin_payments_register(struct cg_api *api);

/* admin.c */
void cg_api_admin_merchants_list_sql(struct cg_api_call *call,
    struct cg_db *db);
void cg_api_admin_merchants_create(struct cg_api_call *call);
void cg_api_admin_merchants_get_sql(struct cg_api_call *call,
    struct cg_db *db);
void cg_api_admin_merchants_patch(struct cg_api_call *call);
void cg_api_admin_merchants_delete(struct cg_api_call *call);
void cg_api_admin_users_list_sql(struct cg_api_call *call,
    struct cg_db *db);
void cg_api_admin_users_create(struct cg_api_call *call);
void cg_api_admin_users_get_sql(struct cg_api_call *call,
    struct cg_db *db);
void cg_api_admin_users_patch(struct cg_api_call *call);
void cg_api_admin_users_delete(struct cg_api_call *call);
void cg_api_admin_audit_list(struct cg_api_call *call);


#endif
