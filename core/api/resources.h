/*
 * Handlers of the API's own resources, one file each: auth.c (login,
 * sessions, e-mail verification, password reset), merchant.c (merchant,
 * settings, API keys, usage), admin.c (merchants, users, audit log).
 */
#ifndef CG_API_RESOURCES_H
#define CG_API_RESOURCES_H

#include "api/api.h"

struct cg_db;
struct cg_stmt;

/* merchant.c */
json_t *cg_api_merchant_json(struct cg_stmt *st);
json_t *cg_api_merchant_load(struct cg_api_call *call, struct cg_db *db,
    const char *id, int *dberr);
void cg_api_merchant_get(struct cg_api_call *call);

#endif
