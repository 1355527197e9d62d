/*
 * Merchant invoice routes: create, read, list, cancel, and an invoice's
 * payments. Creation itself is payments/invoice_create.c; this file turns
 * HTTP into its request and its result into the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "webhooks/outbox.h"
#include "api/validate.h"
#include "config/config.h"
#include "db/db.h"
#include "payments/invoice_cache.h"
#include "payments/invoice_create.h"
#include "payments/invoice_view.h"
#include "payments/module.h"
#include "runtime/daemon.h"
#include "util/clock.h"

static const char *const statuses[] = { "new", "partially_paid",
	"processing", "settled", "expired", "invalid", "cancelled", NULL };

/* ---- create ---------------------------------------------------------- */

/* Inside the invoice's transaction: the answer, its idempotency record
 * and the audit entry commit with the invoice. */
static int
create_hook(struct cg_db *db, void *arg, const char *id, json_t *invoice)
{
	struct cg_api_call *call = arg;
	char loc[64];

	cg_api_set_json(call, 201, json_incref(invoice));
	snprintf(loc, sizeof(loc), "/api/v1/invoices/%s", id);
	cg_api_add_header(call, "Location", loc);
	if (cg_api_audit(db, call, cg_api_merchant_id(call), "CREATE",
	    "invoice", id, NULL, invoice) != 0)
		return CG_DB_ERR;
	return cg_api_idem_save(db, call, "invoice", id);
}

static void
invoice_create_sql(struct cg_api_call *call, struct cg_db *db)
{
	const struct cg_config *cfg = cg_api_daemon(call)->cfg;
	const struct cg_api_auth *auth = cg_api_auth(call);
	struct cg_invoice_request r = { 0 };
	struct cg_invoice_env env = { 0 };
	struct cg_invoice_result *res;
	struct cg_vld v;
	json_t *meta = NULL;
	char *metatext = NULL;

	if (cg_api_parse_body(call, &v, false) != 0)
		return;
	r.merchant_id = cg_api_merchant_id(call);
	r.api_key_id = auth->key_id[0] ? auth->key_id : NULL;
	/* Amounts are decimal strings; their scale is checked against the
	 * currency once it is known. */
	cg_vld_str(&v, "amount", CG_VLD_REQUIRED, 1, 64, &r.amount);
	cg_vld_str(&v, "currency", CG_VLD_REQUIRED, 1, 32, &r.currency);
	cg_vld_str(&v, "pay_currency", CG_VLD_REQUIRED, 1, 32, &r.pay_currency);
	cg_vld_str(&v, "network", CG_VLD_REQUIRED, 1, 32, &r.network);
	cg_vld_str(&v, "order_id", CG_VLD_NULLABLE, 1, 255, &r.order_id);
	cg_vld_str(&v, "description", CG_VLD_NULLABLE, 1, 1000,
	    &r.description);
	cg_vld_int(&v, "expires_in", CG_VLD_NULLABLE, CG_INVOICE_EXPIRES_MIN_S,
	    CG_INVOICE_EXPIRES_MAX_S, &r.expires_in_s);
	if (cg_vld_json(&v, "metadata", CG_VLD_NULLABLE, JSON_OBJECT, 16384,
	    &meta) == CG_VLD_SET)
		r.metadata = metatext = json_dumps(meta, JSON_COMPACT);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		goto out;
	}
	r.hook = create_hook;
	r.hook_arg = call;
	env.plugins = cg_api_daemon(call)->plugins;
	env.rate_sources = (const char *const *)cfg->rates.sources;
	env.rate_source_count = cfg->rates.source_count;
	env.rate_max_age_s = cfg->rates.max_age_s;
	env.development = cfg->daemon.development;
	res = calloc(1, sizeof(*res));
	if (res == NULL) {
		cg_api_set_problem(call, 500, "out of memory");
		goto out;
	}
	cg_invoice_create(db, &env, &r, res);
	if (res->status == 201 && cg_api_status(call) != 201) {
		/* A retry found the invoice its lost COMMIT had written: the
		 * hook (answer, audit, idempotency record) committed with it. */
		cg_api_set_json(call, 201, json_incref(res->invoice));
	} else if (res->status >= 400 && res->nerrors > 0) {
		struct cg_vld e;

		if (cg_vld_begin(&e, "{}", 2, true) == 0) {
			for (size_t i = 0; i < res->nerrors; i++)
				cg_vld_error(&e, res->errors[i].field, "%s",
				    res->errors[i].message);
			cg_api_set_vld_errors(call, &e);
			cg_vld_free(&e);
		}
	} else if (res->status >= 400) {
		cg_api_set_problem(call, res->status, "%s", res->detail);
		if (res->status == 503)
			cg_api_add_header(call, "Retry-After", "5");
	}
	json_decref(res->invoice);
	free(res);
out:
	free(metatext);
	cg_vld_free(&v);
}

/* ---- read and list ------------------------------------------------------ */

static void
invoice_get_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *id = cg_api_param(call, "id");
	const char *text;
	char *kept;
	json_t *o = NULL;
	uint64_t gen;
	size_t len;
	int rc;

	if (id == NULL || !cg_id_valid(id)) {
		cg_api_set_not_found(call, "invoice");
		return;
	}
	/* Callers the loop could not check (sessions, a key read afresh). */
	if (cg_invoice_cache_get(cg_api_merchant_id(call), id, &kept, &len)) {
		cg_api_set_text(call, 200, kept, len);
		return;
	}
	gen = cg_invoice_cache_gen(id);
	rc = cg_invoice_json(db, cg_api_merchant_id(call), id, &o);
	if (rc < 0)
		cg_api_set_db_error(call, db);
	else if (rc == 0)
		cg_api_set_not_found(call, "invoice");
	else {
		cg_api_set_json(call, 200, o);
		if ((text = cg_api_text(call, &len)) != NULL)
			cg_invoice_cache_put(cg_api_merchant_id(call), id, text,
			    len, gen);
	}
}

/* Loop: the invoice as last read, while it is fresh (invoice_cache.h). */
static int
invoice_get_cached(struct cg_api_call *call)
{
	const char *id = cg_api_param(call, "id");
	char *text;
	size_t len;

	if (id == NULL || !cg_id_valid(id) || !cg_invoice_cache_get(
	    cg_api_merchant_id(call), id, &text, &len))
		return 0;
	cg_api_set_text(call, 200, text, len);
	cg_api_finish(call);
	return 1;
}

static json_t *
invoice_row(struct cg_stmt *st, const void *arg)
{
	(void)arg;
	return cg_invoice_row_json(st);
}

static void
invoice_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *status = cg_api_query(call, "status");
	const char *after = cg_api_query(call, "created_after");
	const char *order = cg_api_query(call, "order_id");
	struct cg_api_page pg;
	int64_t after_ms = -1;
	char sql[2048];
	struct cg_stmt *st;
	struct cg_vld v;

	if (cg_vld_begin(&v, "{}", 2, true) != 0)
		return;
	if (status != NULL) {
		size_t i;

		for (i = 0; statuses[i] && strcmp(statuses[i], status); i++)
			;
		if (statuses[i] == NULL)
			cg_vld_error(&v, "status", "one of new, partially_paid, "
			    "processing, settled, expired, invalid, cancelled");
	}
	/* (a date alone, 2026-12-01, is midnight UTC) */
	if (after != NULL && cg_api_parse_time(after, &after_ms) != 0)
		cg_vld_error(&v, "created_after", "an RFC 3339 UTC time "
		    "(2026-12-01T10:00:00Z)");
	if (order != NULL && strlen(order) > 255)
		cg_vld_error(&v, "order_id", "at most 255 characters");
	if (v.nerrors) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		return;
	}
	cg_vld_free(&v);
	if (cg_api_page_parse(call, &pg) != 0)
		return;
	/* Newest first; (created_at, id) is unique, so pages are stable. */
	snprintf(sql, sizeof(sql), "%sWHERE i.merchant_id = ? AND "
	    "i.deleted_at IS NULL AND (? IS NULL OR i.status = ?) AND "
	    "(? IS NULL OR i.created_at > ?) AND (? IS NULL OR i.order_id = ?) "
	    "AND " CG_API_PAGE_SQL_T("i.") " ORDER BY i.created_at DESC, "
	    "i.id DESC LIMIT ?", cg_invoice_select);
	st = cg_db_query(db, sql, "ssstt" "ss" CG_API_PAGE_TYPES "i",
	    cg_api_merchant_id(call), status, status, after_ms, after_ms,
	    order, order, CG_API_PAGE_ARGS(&pg), (int64_t)pg.limit + 1);
	cg_api_page_answer(call, db, &pg, st, 16, invoice_row, NULL);
}

/* ---- cancel ------------------------------------------------------------ */

struct cancel {
	struct cg_api_call *call;
	const char *merchant_id;
	const char *id;
	int64_t now;
};

#define CANCEL_NOT_FOUND 2
#define CANCEL_CONFLICT 3

/* invoice.cancelled into the outbox (the webhooks module decides whether
 * the merchant receives it). */
static int
cancel_outbox(struct cg_db *db, struct cancel *k, int64_t version)
{
	json_t *inv = NULL;
	int rc;

	(void)version;
	if (cg_invoice_json(db, k->merchant_id, k->id, &inv) != 1)
		return CG_DB_ERR;
	rc = cg_outbox_add(db, k->merchant_id, "invoice.cancelled", k->id, inv,
	    k->now);
	json_decref(inv);
	return rc < 0 ? CG_DB_ERR : 0;
}

static int
cancel_tx(struct cg_db *db, void *arg)
{
	struct cancel *k = arg;
	char status[17] = "";
	int64_t payments = 0, version = 0;
	struct cg_stmt *st;
	json_t *before, *after, *inv = NULL;
	int rc;

	/* Lock order: invoice first (settlement does the same). */
	st = cg_db_query(db, "SELECT status, payment_count, version FROM "
	    "invoices WHERE id = ? AND merchant_id = ? AND deleted_at IS NULL "
	    "FOR UPDATE", "ss", k->id, k->merchant_id);
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(status, sizeof(status), "%s", cg_stmt_str(st, 0));
		cg_stmt_i64(st, 1, &payments);
		cg_stmt_i64(st, 2, &version);
	}
	cg_stmt_close(st);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0)
		return CANCEL_NOT_FOUND;
	if (strcmp(status, "cancelled") != 0) {
		if (strcmp(status, "new") != 0 || payments > 0)
			return CANCEL_CONFLICT;
		/* Any payment seen on the address, even one not counted. */
		if (cg_db_query_i64(db, &payments, "SELECT COUNT(*) FROM "
		    "transactions WHERE invoice_id = ?", "s", k->id) < 0)
			return CG_DB_ERR;
		if (payments > 0)
			return CANCEL_CONFLICT;
		cg_invoice_changed(db, k->id);
		if (cg_db_run(db, "UPDATE invoices SET status = 'cancelled', "
		    "cancelled_at = ?, version = version + 1, updated_at = ? "
		    "WHERE id = ? AND merchant_id = ? AND status = 'new'",
		    "ttss", k->now, k->now, k->id, k->merchant_id) != 1)
			return CG_DB_ERR;
		before = json_pack("{s:s}", "status", "new");
		after = json_pack("{s:s}", "status", "cancelled");
		rc = cg_api_audit(db, k->call, k->merchant_id, "UPDATE",
		    "invoice", k->id, before, after);
		json_decref(before);
		json_decref(after);
		if (rc != 0 || cancel_outbox(db, k, version + 1) != 0)
			return CG_DB_ERR;
	}
	/* Cancelling twice answers the same. */
	if (cg_invoice_json(db, k->merchant_id, k->id, &inv) != 1)
		return CG_DB_ERR;
	cg_api_set_json(k->call, 200, inv);
	return cg_api_idem_save(db, k->call, "invoice", k->id);
}

static void
invoice_cancel_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct cancel k = { call, cg_api_merchant_id(call),
	    cg_api_param(call, "id"), cg_now_ms() };
	int rc;

	if (k.id == NULL || !cg_id_valid(k.id)) {
		cg_api_set_not_found(call, "invoice");
		return;
	}
	rc = cg_db_tx(db, cancel_tx, &k);
	if (rc == CANCEL_NOT_FOUND)
		cg_api_set_not_found(call, "invoice");
	else if (rc == CANCEL_CONFLICT)
		cg_api_set_problem(call, 409, "Only an invoice with no payment "
		    "can be cancelled.");
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

/* ---- an invoice's payments --------------------------------------------- */

static json_t *
tx_row(struct cg_stmt *st, const void *arg)
{
	int64_t pos = 0, conf = 0, h, dec = 0;

	(void)arg;
	cg_stmt_i64(st, 2, &pos);
	cg_stmt_i64(st, 7, &conf);
	cg_stmt_i64(st, 14, &dec);
	return json_pack("{s:s, s:s, s:I, s:o, s:s, s:s, s:o, s:I, s:s, s:s, "
	    "s:o, s:o, s:o, s:o}", "id", cg_stmt_str(st, 0),
	    "tx_hash", cg_stmt_str(st, 1), "position", (json_int_t)pos,
	    "from", cg_api_str_json(cg_stmt_str(st, 3)),
	    "to", cg_stmt_str(st, 4), "currency", cg_stmt_str(st, 5),
	    "amount", cg_amount_json(cg_stmt_str(st, 6), (unsigned)dec),
	    "confirmations", (json_int_t)conf, "status", cg_stmt_str(st, 8),
	    "match_status", cg_stmt_str(st, 9),
	    "block_height", cg_stmt_i64(st, 10, &h) == 0 ? json_integer(h) :
	    json_null(),
	    "block_hash", cg_api_str_json(cg_stmt_str(st, 11)),
	    "first_seen_at", cg_api_time_json(cg_stmt_str(st, 12)),
	    "confirmed_at", cg_api_time_json(cg_stmt_str(st, 13)));
}


static void
invoice_transactions_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *id = cg_api_param(call, "id");
	const char *mid = cg_api_merchant_id(call);
	struct cg_stmt *st;
	int64_t v;

	if (id == NULL || !cg_id_valid(id) || cg_db_query_i64(db, &v,
	    "SELECT COUNT(*) FROM invoices WHERE id = ? AND merchant_id = ?",
	    "ss", id, mid) != 1 || v == 0) {
		cg_api_set_not_found(call, "invoice");
		return;
	}
	st = cg_db_query(db, "SELECT t.id, t.tx_hash, t.tx_position, "
	    "t.from_address, t.to_address, cu.code, t.amount, t.confirmations, "
	    "t.status, t.match_status, t.block_height, t.block_hash, "
	    "t.first_seen_at, t.confirmed_at, cu.decimals FROM transactions t "
	    "JOIN currencies cu ON cu.id = t.currency_id WHERE t.invoice_id = ? "
	    "AND t.merchant_id = ? ORDER BY t.first_seen_at, t.id LIMIT 1000",
	    "ss", id, mid);
	cg_api_list_answer(call, db, st, tx_row, NULL);
}

int
cg_api_invoices_register(struct cg_daemon *d)
{
	struct cg_api *api = d->api;

	cg_invoice_cache_configure(d->cfg->api.read_cache_ms);
	/* Only SQL (the body is checked on the worker): one pool hop with
	 * the authentication and the idempotency claim. */
	if (cg_api_route_sql(api, "POST", "/api/v1/invoices",
	    "invoices.create", invoice_create_sql, CG_API_MERCHANT |
	    CG_API_IDEMPOTENT | CG_API_KEEPS_AUTH) != 0 ||
	    cg_api_route_sql(api, "GET", "/api/v1/invoices", "invoices.list",
	    invoice_list_sql, CG_API_MERCHANT) != 0 ||
	    cg_api_route_sql_cached(api, "GET", "/api/v1/invoices/{id}",
	    "invoices.get", invoice_get_sql, invoice_get_cached,
	    CG_API_MERCHANT) != 0 ||
	    cg_api_route_sql(api, "POST", "/api/v1/invoices/{id}/cancel",
	    "invoices.cancel", invoice_cancel_sql, CG_API_MERCHANT |
	    CG_API_IDEMPOTENT | CG_API_KEEPS_AUTH) != 0 ||
	    cg_api_route_sql(api, "GET", "/api/v1/invoices/{id}/transactions",
	    "invoices.transactions", invoice_transactions_sql,
	    CG_API_MERCHANT) != 0)
		return -1;
	return 0;
}
