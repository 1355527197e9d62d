/*
 * The merchant's own resources: the merchant row, its settings, its API
 * keys and its usage statistics. Every statement carries the merchant id
 * of the caller (cg_api_merchant_id).
 */
#include "api/resources.h"

#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "db/db.h"
#include "util/clock.h"

/* Columns of merchants shown by the API, in SELECT order. */
#define MERCHANT_COLS "id, business_name, legal_name, business_email, " \
	"business_phone, website_url, address_line1, address_line2, city, " \
	"region, postal_code, country_code, tax_id, webhook_url, " \
	"verification_status, is_active, rate_limit_per_minute, " \
	"rate_limit_burst, created_at, updated_at, user_id"

static const char *const merchant_names[] = { "id", "business_name",
    "legal_name", "business_email", "business_phone", "website_url",
    "address_line1", "address_line2", "city", "region", "postal_code",
    "country_code", "tax_id", "webhook_url", "verification_status",
    NULL };

json_t *
cg_api_merchant_json(struct cg_stmt *st)
{
	json_t *o = json_object();
	int64_t v;

	for (unsigned i = 0; merchant_names[i]; i++)
		json_object_set_new(o, merchant_names[i],
		    cg_api_str_json(cg_stmt_str(st, i)));
	json_object_set_new(o, "is_active", json_boolean(
	    cg_stmt_i64(st, 15, &v) == 0 && v == 1));
	json_object_set_new(o, "rate_limit_per_minute", json_integer(
	    cg_stmt_i64(st, 16, &v) == 0 ? v : 0));
	json_object_set_new(o, "rate_limit_burst", json_integer(
	    cg_stmt_i64(st, 17, &v) == 0 ? v : 0));
	json_object_set_new(o, "created_at", cg_api_time_json(
	    cg_stmt_str(st, 18)));
	json_object_set_new(o, "updated_at", cg_api_time_json(
	    cg_stmt_str(st, 19)));
	json_object_set_new(o, "user_id", cg_api_str_json(cg_stmt_str(st, 20)));
	return o;
}

/* The live merchant id as JSON, or NULL (not found) / answer set. */
json_t *
cg_api_merchant_load(struct cg_api_call *call, struct cg_db *db,
    const char *id, int *dberr)
{
	struct cg_stmt *st = cg_db_query(db, "SELECT " MERCHANT_COLS
	    " FROM merchants WHERE id = ? AND deleted_at IS NULL", "s", id);
	json_t *o = NULL;
	int rc;

	*dberr = 0;
	if (!st) {
		*dberr = 1;
		cg_api_set_db_error(call, db);
		return NULL;
	}
	rc = cg_stmt_fetch(st);
	if (rc == 1)
		o = cg_api_merchant_json(st);
	cg_stmt_close(st);
	if (rc < 0) {
		*dberr = 1;
		cg_api_set_db_error(call, db);
	}
	return o;
}

static void
merchant_get_sql(struct cg_api_call *call, struct cg_db *db)
{
	int dberr;
	json_t *m = cg_api_merchant_load(call, db, cg_api_merchant_id(call),
	    &dberr);

	if (m)
		cg_api_set_json(call, 200, m);
	else if (!dberr)
		cg_api_set_not_found(call, "merchant");
}

void
cg_api_merchant_get(struct cg_api_call *call)
{
	cg_api_sql(call, merchant_get_sql, NULL);
}
