/*
 * The merchant's own resources: the merchant row, its settings, its API
 * keys and its usage statistics. Every statement carries the merchant id
 * of the caller (cg_api_merchant_id): another merchant's ids find nothing.
 */
#include "api/resources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/fields.h"
#include "api/validate.h"
#include "db/db.h"
#include "util/clock.h"
#include "util/str.h"
#include "util/token.h"

const struct cg_api_col cg_api_merchant_cols[] = {
	{ "id", CG_COL_STR }, { "user_id", CG_COL_STR },
	{ "business_name", CG_COL_STR }, { "legal_name", CG_COL_STR },
	{ "business_email", CG_COL_STR }, { "business_phone", CG_COL_STR },
	{ "website_url", CG_COL_STR }, { "address_line1", CG_COL_STR },
	{ "address_line2", CG_COL_STR }, { "city", CG_COL_STR },
	{ "region", CG_COL_STR }, { "postal_code", CG_COL_STR },
	{ "country_code", CG_COL_STR }, { "tax_id", CG_COL_STR },
	{ "webhook_url", CG_COL_STR },
	{ "verification_status", CG_COL_STR }, { "verified_at", CG_COL_TIME },
	{ "is_active", CG_COL_BOOL },
	{ "rate_limit_per_minute", CG_COL_INT },
	{ "rate_limit_burst", CG_COL_INT },
	{ "created_at", CG_COL_TIME }, { "updated_at", CG_COL_TIME },
	{ "deleted_at", CG_COL_TIME },
	{ NULL, 0 }
};

/* What a merchant may change about itself. */
const struct cg_api_field cg_api_merchant_fields[] = {
	{ "business_name", CG_F_STR, 0, 1, 200, NULL },
	{ "legal_name", CG_F_STR, CG_VLD_NULLABLE, 1, 200, NULL },
	{ "business_email", CG_F_EMAIL, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "business_phone", CG_F_STR, CG_VLD_NULLABLE, 3, 32, NULL },
	{ "website_url", CG_F_URL, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "address_line1", CG_F_STR, CG_VLD_NULLABLE, 1, 200, NULL },
	{ "address_line2", CG_F_STR, CG_VLD_NULLABLE, 1, 200, NULL },
	{ "city", CG_F_STR, CG_VLD_NULLABLE, 1, 100, NULL },
	{ "region", CG_F_STR, CG_VLD_NULLABLE, 1, 100, NULL },
	{ "postal_code", CG_F_STR, CG_VLD_NULLABLE, 1, 32, NULL },
	{ "country_code", CG_F_COUNTRY, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "tax_id", CG_F_STR, CG_VLD_NULLABLE, 1, 64, NULL },
	{ "webhook_url", CG_F_URL, CG_VLD_NULLABLE, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct cg_api_col settings_cols[] = {
	{ "notify_email", CG_COL_BOOL }, { "notify_webhook", CG_COL_BOOL },
	{ "notify_sms", CG_COL_BOOL }, { "notification_email", CG_COL_STR },
	{ "notification_phone", CG_COL_STR }, { "webhook_events", CG_COL_JSON },
	{ "default_currency", CG_COL_STR },
	{ "invoice_expiry_minutes", CG_COL_INT },
	{ "payment_tolerance", CG_COL_DEC },
	{ "paid_late_window_minutes", CG_COL_INT },
	{ "confirmations_override", CG_COL_JSON },
	{ "redirect_url", CG_COL_STR }, { "cancel_url", CG_COL_STR },
	{ "brand_name", CG_COL_STR }, { "brand_primary_color", CG_COL_STR },
	{ "brand_secondary_color", CG_COL_STR },
	{ "brand_logo_url", CG_COL_STR }, { "checkout_theme", CG_COL_STR },
	{ "ip_whitelist", CG_COL_JSON },
	{ "require_webhook_signature", CG_COL_BOOL },
	{ "business_category", CG_COL_STR },
	{ "business_description", CG_COL_STR }, { "tax_rate", CG_COL_DEC },
	{ "tax_included", CG_COL_BOOL }, { "tax_region", CG_COL_STR },
	{ "metadata", CG_COL_JSON }, { "created_at", CG_COL_TIME },
	{ "updated_at", CG_COL_TIME },
	{ NULL, 0 }
};

static const char *const themes[] = { "light", "dark", NULL };

static const struct cg_api_field settings_fields[] = {
	{ "notify_email", CG_F_BOOL, 0, 0, 0, NULL },
	{ "notify_webhook", CG_F_BOOL, 0, 0, 0, NULL },
	{ "notify_sms", CG_F_BOOL, 0, 0, 0, NULL },
	{ "notification_email", CG_F_EMAIL, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "notification_phone", CG_F_STR, CG_VLD_NULLABLE, 3, 32, NULL },
	{ "webhook_events", CG_F_ARRAY, CG_VLD_NULLABLE, 0, 4096, NULL },
	{ "default_currency", CG_F_STR, 0, 2, 32, NULL },
	{ "invoice_expiry_minutes", CG_F_INT, 0, 5, 10080, NULL },
	{ "payment_tolerance", CG_F_FRACTION, 0, 0, 0, NULL },
	{ "paid_late_window_minutes", CG_F_INT, 0, 0, 43200, NULL },
	{ "confirmations_override", CG_F_OBJECT, CG_VLD_NULLABLE, 0, 4096,
	    NULL },
	{ "redirect_url", CG_F_URL, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "cancel_url", CG_F_URL, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "brand_name", CG_F_STR, CG_VLD_NULLABLE, 1, 200, NULL },
	{ "brand_primary_color", CG_F_COLOR, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "brand_secondary_color", CG_F_COLOR, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "brand_logo_url", CG_F_URL, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "checkout_theme", CG_F_ENUM, 0, 0, 0, themes },
	{ "ip_whitelist", CG_F_ARRAY, CG_VLD_NULLABLE, 0, 8192, NULL },
	{ "business_category", CG_F_STR, CG_VLD_NULLABLE, 1, 64, NULL },
	{ "business_description", CG_F_STR, CG_VLD_NULLABLE, 1, 1000, NULL },
	{ "tax_rate", CG_F_FRACTION, CG_VLD_NULLABLE, 0, 0, NULL },
	{ "tax_included", CG_F_BOOL, 0, 0, 0, NULL },
	{ "tax_region", CG_F_STR, CG_VLD_NULLABLE, 1, 64, NULL },
	{ "metadata", CG_F_OBJECT, CG_VLD_NULLABLE, 0, 16384, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct cg_api_col key_cols[] = {
	{ "id", CG_COL_STR }, { "name", CG_COL_STR }, { "prefix", CG_COL_STR },
	{ "scopes", CG_COL_JSON }, { "last_used_at", CG_COL_TIME },
	{ "last_used_ip", CG_COL_STR }, { "usage_count", CG_COL_INT },
	{ "expires_at", CG_COL_TIME }, { "revoked_at", CG_COL_TIME },
	{ "created_by_user_id", CG_COL_STR }, { "created_at", CG_COL_TIME },
	{ NULL, 0 }
};

/* State of a PATCH: the validated changes. */
struct patch {
	json_t *changes;
	char id[CG_ID_SIZE];
};

static void
patch_free(void *p)
{
	struct patch *s = p;

	json_decref(s->changes);
	free(s);
}

/* Parses a PATCH body against fields; 0 with the state attached, or -1
 * with the answer set (400/422). */
int
cg_api_patch_begin(struct cg_api_call *call, const struct cg_api_field *f,
    int (*extra)(struct cg_api_call *, struct cg_vld *, json_t *))
{
	struct cg_vld v;
	struct patch *s = calloc(1, sizeof(*s));

	if (!s || !(s->changes = json_object())) {
		free(s);
		cg_api_set_problem(call, 500, NULL);
		return -1;
	}
	cg_api_set_state(call, s, patch_free);
	if (cg_api_parse_body(call, &v, false) != 0)
		return -1;
	cg_api_fields_parse(&v, f, s->changes);
	if (extra)
		extra(call, &v, s->changes);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		return -1;
	}
	cg_vld_free(&v);
	return 0;
}

json_t *
cg_api_patch_changes(struct cg_api_call *call)
{
	struct patch *s = cg_api_state(call);

	return s ? s->changes : NULL;
}

/* ---- merchant ------------------------------------------------------------ */

json_t *
cg_api_merchant_load(struct cg_api_call *call, struct cg_db *db,
    const char *id, int lock, int *dberr)
{
	char cols[1024], sql[1200];
	struct cg_stmt *st;
	json_t *o = NULL;
	int rc;

	cg_api_cols_sql(cg_api_merchant_cols, "", cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT %s FROM merchants WHERE id = ? AND "
	    "deleted_at IS NULL%s", cols, lock ? " FOR UPDATE" : "");
	*dberr = 0;
	st = cg_db_query(db, sql, "s", id);
	if (!st) {
		*dberr = 1;
		cg_api_set_db_error(call, db);
		return NULL;
	}
	rc = cg_stmt_fetch(st);
	if (rc == 1)
		o = cg_api_row_json(st, cg_api_merchant_cols, 0);
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(o);
		o = NULL;
		*dberr = 1;
		cg_api_set_db_error(call, db);
	}
	return o;
}

void
cg_api_merchant_get_sql(struct cg_api_call *call, struct cg_db *db)
{
	int dberr;
	json_t *m = cg_api_merchant_load(call, db, cg_api_merchant_id(call), 0,
	    &dberr);

	if (m)
		cg_api_set_json(call, 200, m);
	else if (!dberr)
		cg_api_set_not_found(call, "merchant");
}


/* The transaction of a merchant PATCH (own or by an admin): lock, change,
 * audit, answer. */
struct merchant_tx {
	struct cg_api_call *call;
	const char *id;
};

static int
merchant_patch_tx(struct cg_db *db, void *arg)
{
	struct merchant_tx *t = arg;
	struct cg_api_call *call = t->call;
	json_t *changes = cg_api_patch_changes(call);
	json_t *before, *after;
	int dberr;

	before = cg_api_merchant_load(call, db, t->id, 1, &dberr);
	if (!before)
		return dberr ? CG_DB_ERR : 404;
	if (cg_api_fields_apply(db, "merchants", "id", t->id, 1, changes,
	    cg_now_ms()) < 0) {
		json_decref(before);
		return CG_DB_ERR;
	}
	after = cg_api_merchant_load(call, db, t->id, 0, &dberr);
	if (!after) {
		json_decref(before);
		return CG_DB_ERR;
	}
	return cg_api_audit_reply(db, call, t->id, "UPDATE", "merchant", t->id,
	    before, after, 200);
}

void
cg_api_merchant_patch_sql(struct cg_api_call *call, struct cg_db *db,
    const char *id)
{
	struct merchant_tx t = { call, id };
	int rc = cg_db_tx(db, merchant_patch_tx, &t);

	if (rc == 404)
		cg_api_set_not_found(call, "merchant");
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

static void
merchant_patch_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_merchant_patch_sql(call, db, cg_api_merchant_id(call));
}

void
cg_api_merchant_patch(struct cg_api_call *call)
{
	if (cg_api_patch_begin(call, cg_api_merchant_fields, NULL) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_api_sql(call, merchant_patch_sql, NULL);
}

/* ---- settings ------------------------------------------------------------ */

static json_t *
settings_load(struct cg_api_call *call, struct cg_db *db, int lock,
    int *dberr)
{
	char cols[1500], sql[1700];
	struct cg_stmt *st;
	json_t *o = NULL;
	int rc;

	cg_api_cols_sql(settings_cols, "", cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT %s FROM merchant_settings WHERE "
	    "merchant_id = ?%s", cols, lock ? " FOR UPDATE" : "");
	*dberr = 0;
	st = cg_db_query(db, sql, "s", cg_api_merchant_id(call));
	if (!st) {
		*dberr = 1;
		return NULL;
	}
	rc = cg_stmt_fetch(st);
	if (rc == 1)
		o = cg_api_row_json(st, settings_cols, 0);
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(o);
		*dberr = 1;
		return NULL;
	}
	return o;
}

/* A merchant without a settings row (made by hand) gets the defaults. */
static int
settings_ensure(struct cg_api_call *call, struct cg_db *db)
{
	char id[CG_ID_SIZE];
	int64_t now = cg_now_ms();

	if (cg_id_new(id) != 0)
		return -1;
	return cg_db_run(db, "INSERT IGNORE INTO merchant_settings (id, "
	    "merchant_id, created_at, updated_at) VALUES (?, ?, ?, ?)", "sstt",
	    id, cg_api_merchant_id(call), now, now) < 0 ? -1 : 0;
}

void
cg_api_settings_get_sql(struct cg_api_call *call, struct cg_db *db)
{
	int dberr;
	json_t *s;

	if (settings_ensure(call, db) != 0) {
		cg_api_set_db_error(call, db);
		return;
	}
	s = settings_load(call, db, 0, &dberr);
	if (s)
		cg_api_set_json(call, 200, s);
	else if (dberr)
		cg_api_set_db_error(call, db);
	else
		cg_api_set_not_found(call, "settings");
}


static int
settings_patch_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const char *mid = cg_api_merchant_id(call);
	json_t *before, *after;
	int dberr;

	if (settings_ensure(call, db) != 0)
		return CG_DB_ERR;
	before = settings_load(call, db, 1, &dberr);
	if (!before)
		return dberr ? CG_DB_ERR : 404;
	if (cg_api_fields_apply(db, "merchant_settings", "merchant_id", mid, 0,
	    cg_api_patch_changes(call), cg_now_ms()) < 0) {
		json_decref(before);
		return CG_DB_ERR;
	}
	after = settings_load(call, db, 0, &dberr);
	if (!after) {
		json_decref(before);
		return CG_DB_ERR;
	}
	return cg_api_audit_reply(db, call, mid, "UPDATE", "merchant_settings",
	    mid, before, after, 200);
}

static void
settings_patch_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_tx(call, db, settings_patch_tx, "settings");
}

/* Checks the settings whose shape the field list cannot express. */
static int
settings_extra(struct cg_api_call *call, struct cg_vld *v, json_t *changes)
{
	json_t *c = json_object_get(changes, "ip_whitelist");
	json_t *l, *e, *co;
	size_t i;
	const char *k;

	(void)call;
	if (c && json_is_string(c)) {
		l = json_loads(json_string_value(c), 0, NULL);
		json_array_foreach(l, i, e)
			if (!json_is_string(e) || !cg_api_ip_entry_valid(
			    json_string_value(e))) {
				cg_vld_error(v, "ip_whitelist", "entry %zu is "
				    "not an IP address or CIDR range", i);
				break;
			}
		json_decref(l);
	}
	c = json_object_get(changes, "confirmations_override");
	if (c && json_is_string(c)) {
		l = json_loads(json_string_value(c), 0, NULL);
		json_object_foreach(l, k, co)
			if (!json_is_integer(co) || json_integer_value(co) < 1 ||
			    json_integer_value(co) > 10000) {
				cg_vld_error(v, "confirmations_override",
				    "%.60s: must be an integer 1..10000", k);
				break;
			}
		json_decref(l);
	}
	c = json_object_get(changes, "webhook_events");
	if (c && json_is_string(c)) {
		l = json_loads(json_string_value(c), 0, NULL);
		json_array_foreach(l, i, e)
			if (!json_is_string(e) ||
			    json_string_length(e) > 64) {
				cg_vld_error(v, "webhook_events", "entry %zu is "
				    "not an event type", i);
				break;
			}
		json_decref(l);
	}
	return 0;
}

void
cg_api_settings_patch(struct cg_api_call *call)
{
	if (cg_api_patch_begin(call, settings_fields, settings_extra) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_api_sql(call, settings_patch_sql, NULL);
}

/* ---- API keys ------------------------------------------------------------ */

int
cg_api_key_insert(struct cg_db *db, const char *id, const char *merchant_id,
    const char *name, const struct cg_token *t, const char *user_id,
    int64_t now)
{
	return cg_db_run(db, "INSERT INTO api_keys (id, merchant_id, name, "
	    "prefix, key_hash, created_by_user_id, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "sssssstt", id, merchant_id, name,
	    t->prefix, t->hash, user_id, now, now) == 1 ? 0 : CG_DB_ERR;
}

struct key_new {
	char name[401];
	char token[CG_TOKEN_MAX_LEN + 1];
	struct cg_token info;
	char id[CG_ID_SIZE];
};

static void
key_new_free(void *p)
{
	struct key_new *k = p;

	cg_wipe(k->token, sizeof(k->token));
	free(k);
}

static int
key_create_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct key_new *k = cg_api_state(call);
	const char *mid = cg_api_merchant_id(call);
	const struct cg_api_auth *a = cg_api_auth(call);
	int64_t now = cg_now_ms();
	char iso[32];
	json_t *shown;

	if (cg_api_key_insert(db, k->id, mid, k->name, &k->info,
	    a->user_id[0] ? a->user_id : NULL, now) != 0)
		return CG_DB_ERR;
	cg_time_format_iso(now, iso);
	shown = json_pack("{s:s, s:s, s:s, s:s}", "id", k->id, "name", k->name,
	    "prefix", k->info.prefix, "created_at", iso);
	if (cg_api_audit(db, call, mid, "CREATE", "api_key", k->id, NULL,
	    shown) != 0) {
		json_decref(shown);
		return CG_DB_ERR;
	}
	/* The stored (replayable) answer never holds the key itself: a
	 * replay says so; the key is shown once, in this answer only. */
	json_object_set_new(shown, "key", json_null());
	json_object_set_new(shown, "key_redacted", json_true());
	cg_api_set_json(call, 201, shown);
	if (cg_api_idem_save(db, call, "api_key", k->id) != 0)
		return CG_DB_ERR;
	shown = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", k->id, "name",
	    k->name, "prefix", k->info.prefix, "key", k->token, "created_at",
	    iso);
	cg_api_set_json(call, 201, shown);
	return 0;
}

static void
key_create_sql(struct cg_api_call *call, struct cg_db *db)
{
	if (cg_db_tx(db, key_create_tx, call) != 0)
		cg_api_set_db_error(call, db);
}

void
cg_api_keys_create(struct cg_api_call *call)
{
	struct cg_vld v;
	struct key_new *k = calloc(1, sizeof(*k));
	const char *name = NULL;

	if (!k) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_set_state(call, k, key_new_free);
	if (cg_api_parse_body(call, &v, false) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_vld_str(&v, "name", CG_VLD_REQUIRED, 1, 100, &name);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		cg_api_finish(call);
		return;
	}
	cg_strlcpy(k->name, name, sizeof(k->name));
	cg_vld_free(&v);
	if (cg_token_generate(CG_TOKEN_KIND_API_KEY, k->token,
	    sizeof(k->token), &k->info) < 0 || cg_id_new(k->id) != 0) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_sql(call, key_create_sql, NULL);
}

void
cg_api_keys_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct cg_api_page pg;
	char cols[512], sql[1200];
	struct cg_stmt *st;

	if (cg_api_page_parse(call, &pg) != 0)
		return;
	cg_api_cols_sql(key_cols, "", cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT %s FROM api_keys WHERE merchant_id "
	    "= ? AND deleted_at IS NULL AND " CG_API_PAGE_SQL " ORDER BY "
	    "created_at DESC, id DESC LIMIT %d", cols, pg.limit + 1);
	st = cg_db_query(db, sql, "s" CG_API_PAGE_TYPES,
	    cg_api_merchant_id(call), CG_API_PAGE_ARGS(&pg));
	cg_api_page_answer(call, db, &pg, st, 10, cg_api_cols_row, key_cols);
}


static int
key_load(struct cg_db *db, const char *mid, const char *id, json_t **out)
{
	char cols[512], sql[800];
	struct cg_stmt *st;
	int rc;

	*out = NULL;
	cg_api_cols_sql(key_cols, "", cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT %s FROM api_keys WHERE id = ? AND "
	    "merchant_id = ? AND deleted_at IS NULL FOR UPDATE", cols);
	st = cg_db_query(db, sql, "ss", id, mid);
	if (!st)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1)
		*out = cg_api_row_json(st, key_cols, 0);
	cg_stmt_close(st);
	return rc < 0 ? -1 : 0;
}

static int
key_revoke_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const char *mid = cg_api_merchant_id(call);
	const char *id = cg_api_param(call, "id");
	int64_t now = cg_now_ms();
	json_t *before, *after;

	if (key_load(db, mid, id, &before) != 0)
		return CG_DB_ERR;
	if (!before)
		return 404;
	/* Revoked and soft-deleted: refused at once, hidden from lists, its
	 * prefix free again; audit rows keep pointing at it. */
	if (cg_db_run(db, "UPDATE api_keys SET revoked_at = IFNULL(revoked_at, "
	    "?), deleted_at = ?, updated_at = ? WHERE id = ? AND merchant_id = "
	    "? AND deleted_at IS NULL", "tttss", now, now, now, id, mid) != 1) {
		json_decref(before);
		return CG_DB_ERR;
	}
	after = json_deep_copy(before);
	json_object_set_new(after, "revoked_at", cg_api_time_json(NULL));
	{
		char iso[32];

		cg_time_format_iso(now, iso);
		json_object_set_new(after, "revoked_at", json_string(iso));
	}
	return cg_api_audit_reply(db, call, mid, "REVOKE", "api_key", id, before,
	    after, 200);
}

static void
key_revoke_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_tx(call, db, key_revoke_tx, "API key");
}

void
cg_api_keys_revoke(struct cg_api_call *call)
{
	if (!cg_id_valid(cg_api_param(call, "id"))) {
		cg_api_reply_problem(call, 404, "No API key with this id.");
		return;
	}
	cg_api_sql(call, key_revoke_sql, NULL);
}

/* ---- usage --------------------------------------------------------------- */

struct usage_q {
	int daily;
	int64_t from_ms, to_ms;
	char endpoint[192];
	char method[8];
};

static void
usage_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct usage_q *q = cg_api_state(call);
	struct cg_stmt *st;
	json_t *data = json_array();
	char from[32], to[32];
	int rc;
	const char *sql_h = "SELECT DATE_FORMAT(hourly_bucket, "
	    "'%Y-%m-%dT%H:00:00Z'), endpoint, http_method, request_count, "
	    "error_count, client_error_count, server_error_count, "
	    "rate_limited_count, total_response_ms, max_response_ms FROM "
	    "api_usage_stats WHERE merchant_id = ? AND hourly_bucket >= ? AND "
	    "hourly_bucket < ? AND (? = '' OR endpoint = ?) AND (? = '' OR "
	    "http_method = ?) ORDER BY hourly_bucket, endpoint, http_method "
	    "LIMIT 5000";
	const char *sql_d = "SELECT DATE_FORMAT(daily_bucket, '%Y-%m-%d'), "
	    "endpoint, http_method, SUM(request_count), SUM(error_count), "
	    "SUM(client_error_count), SUM(server_error_count), "
	    "SUM(rate_limited_count), SUM(total_response_ms), "
	    "MAX(max_response_ms) FROM api_usage_stats WHERE merchant_id = ? "
	    "AND hourly_bucket >= ? AND hourly_bucket < ? AND (? = '' OR "
	    "endpoint = ?) AND (? = '' OR http_method = ?) GROUP BY "
	    "daily_bucket, endpoint, http_method ORDER BY daily_bucket, "
	    "endpoint, http_method LIMIT 5000";

	cg_time_format_sql(q->from_ms, from);
	cg_time_format_sql(q->to_ms, to);
	st = cg_db_query(db, q->daily ? sql_d : sql_h, "sssssss",
	    cg_api_merchant_id(call), from, to, q->endpoint, q->endpoint,
	    q->method, q->method);
	if (!st) {
		json_decref(data);
		cg_api_set_db_error(call, db);
		return;
	}
	while ((rc = cg_stmt_fetch(st)) == 1) {
		int64_t n[7] = { 0 };

		for (unsigned i = 0; i < 7; i++)
			cg_stmt_i64(st, 3 + i, &n[i]);
		json_array_append_new(data, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:I, s:I, s:I, s:I, s:I, s:I}", "bucket",
		    cg_stmt_str(st, 0), "endpoint", cg_stmt_str(st, 1),
		    "method", cg_stmt_str(st, 2), "request_count",
		    (json_int_t)n[0], "error_count", (json_int_t)n[1],
		    "client_error_count", (json_int_t)n[2],
		    "server_error_count", (json_int_t)n[3],
		    "rate_limited_count", (json_int_t)n[4],
		    "avg_response_ms", (json_int_t)(n[0] ? n[5] / n[0] : 0),
		    "max_response_ms", (json_int_t)n[6]));
	}
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(data);
		cg_api_set_db_error(call, db);
		return;
	}
	cg_api_set_json(call, 200, json_pack("{s:s, s:o}", "granularity",
	    q->daily ? "day" : "hour", "data", data));
}

void
cg_api_usage_get(struct cg_api_call *call)
{
	struct usage_q *q = calloc(1, sizeof(*q));
	const char *g = cg_api_query(call, "granularity");
	const char *from = cg_api_query(call, "from");
	const char *to = cg_api_query(call, "to");
	const char *ep = cg_api_query(call, "endpoint");
	const char *m = cg_api_query(call, "method");

	if (!q) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_set_state(call, q, free);
	q->to_ms = cg_now_ms() + 3600 * 1000;
	q->from_ms = cg_now_ms() - 7LL * 24 * 3600 * 1000;
	if (g && strcmp(g, "day") != 0 && strcmp(g, "hour") != 0) {
		cg_api_reply_problem(call, 400, "granularity is hour or day.");
		return;
	}
	q->daily = g && strcmp(g, "day") == 0;
	if ((from && cg_api_parse_time(from, &q->from_ms) != 0) ||
	    (to && cg_api_parse_time(to, &q->to_ms) != 0)) {
		cg_api_reply_problem(call, 400, "from and to are dates "
		    "(2026-01-31) or RFC 3339 times (2026-01-31T12:00:00Z).");
		return;
	}
	if (q->to_ms - q->from_ms > 93LL * 24 * 3600 * 1000 ||
	    q->to_ms <= q->from_ms) {
		cg_api_reply_problem(call, 400, "from must be before to, at "
		    "most 93 days apart.");
		return;
	}
	if ((ep && cg_strcpy_checked(q->endpoint, ep, sizeof(q->endpoint)) < 0)
	    || (m && cg_strcpy_checked(q->method, m, sizeof(q->method)) < 0)) {
		cg_api_reply_problem(call, 400, "endpoint or method is too "
		    "long.");
		return;
	}
	cg_api_sql(call, usage_sql, NULL);
}
