/*
 * Merchant invoice routes: create, read, list, cancel, and an invoice's
 * payments. Creation itself is payments/invoice_create.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "db/db.h"
#include "http/server.h"
#include "payments/httpglue.h"
#include "payments/invoice_create.h"
#include "payments/invoice_view.h"
#include "payments/module.h"
#include "runtime/daemon.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"

static const char *const create_fields[] = { "amount", "currency",
	"pay_currency", "network", "order_id", "description", "expires_in",
	"metadata", NULL };

static const char *const statuses[] = { "new", "partially_paid",
	"processing", "settled", "expired", "invalid", "cancelled", NULL };

/* A string member: NULL when absent, a field error when not a string or
 * longer than max. */
static const char *
get_str(struct cg_pay_call *c, json_t *o, const char *name, size_t max,
    int required)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL || json_is_null(v)) {
		if (required)
			cg_pay_field(c, name, "required");
		return NULL;
	}
	if (!json_is_string(v)) {
		cg_pay_field(c, name, "must be a string%s", json_is_number(v) ?
		    " (amounts are decimal strings, never JSON numbers)" : "");
		return NULL;
	}
	if (json_string_length(v) == 0 && required) {
		cg_pay_field(c, name, "must not be empty");
		return NULL;
	}
	if (json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		cg_pay_field(c, name, "at most %zu characters, no NUL", max);
		return NULL;
	}
	return json_string_value(v);
}

static void
invoice_create(struct cg_pay_call *c, struct cg_db *db)
{
	const struct cg_config *cfg = c->d->cfg;
	struct cg_invoice_request r = { 0 };
	struct cg_invoice_env env = { 0 };
	struct cg_invoice_result *res = NULL;
	json_t *o, *v;
	char *meta = NULL, hash[2 * CG_SHA256_LEN + 1], *hin = NULL;
	const char *body;
	size_t blen;

	if ((o = cg_pay_body(c, create_fields)) == NULL)
		return;
	r.merchant_id = c->merchant_id;
	r.api_key_id = c->api_key_id;
	r.amount = get_str(c, o, "amount", 64, 1);
	r.currency = get_str(c, o, "currency", 32, 1);
	r.pay_currency = get_str(c, o, "pay_currency", 32, 1);
	r.network = get_str(c, o, "network", 32, 1);
	r.order_id = get_str(c, o, "order_id", 255, 0);
	r.description = get_str(c, o, "description", 1000, 0);
	v = json_object_get(o, "expires_in");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) ||
		    json_integer_value(v) < CG_INVOICE_EXPIRES_MIN_S ||
		    json_integer_value(v) > CG_INVOICE_EXPIRES_MAX_S)
			cg_pay_field(c, "expires_in", "an integer number of "
			    "seconds from %d to %d", CG_INVOICE_EXPIRES_MIN_S,
			    CG_INVOICE_EXPIRES_MAX_S);
		else
			r.expires_in_s = json_integer_value(v);
	}
	v = json_object_get(o, "metadata");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_object(v))
			cg_pay_field(c, "metadata", "must be a JSON object");
		else if ((meta = json_dumps(v, JSON_COMPACT)) == NULL ||
		    strlen(meta) > 16384)
			cg_pay_field(c, "metadata", "at most 16 KiB of JSON");
		r.metadata = meta;
	}
	if (c->nfields) {
		cg_pay_error(c, 422, "the invoice request is not valid");
		goto out;
	}
	if (c->has_idem) {
		body = cg_http_req_body(c->req, &blen);
		if (asprintf(&hin, "POST\n/api/v1/invoices\n%.*s", (int)blen,
		    body) < 0 || cg_sha256_hex(hin, strlen(hin), hash) != 0) {
			cg_pay_error(c, 500, "cannot hash the request");
			goto out;
		}
		r.idem_key = c->idem_key;
		r.request_hash = hash;
		r.request_path = "/api/v1/invoices";
	}
	r.ip = c->ip;
	r.request_id = cg_http_req_id(c->req);
	env.plugins = c->d->plugins;
	env.rate_sources = (const char *const *)cfg->rates.sources;
	env.rate_source_count = cfg->rates.source_count;
	env.rate_max_age_s = cfg->rates.max_age_s;
	env.development = cfg->daemon.development;
	res = calloc(1, sizeof(*res));
	if (res == NULL) {
		cg_pay_error(c, 500, "out of memory");
		goto out;
	}
	cg_invoice_create(db, &env, &r, res);
	c->status = res->status;
	if (res->body != NULL && res->status < 400) {
		c->raw = res->body;
		res->body = NULL;
		if (res->invoice_id[0])
			snprintf(c->location, sizeof(c->location),
			    "/api/v1/invoices/%s", res->invoice_id);
	} else {
		snprintf(c->detail, sizeof(c->detail), "%s", res->detail);
		for (size_t i = 0; i < res->nerrors; i++)
			cg_pay_field(c, res->errors[i].field, "%s",
			    res->errors[i].message);
	}
out:
	if (res)
		free(res->body);
	free(res);
	free(hin);
	free(meta);
	json_decref(o);
}

static void
invoice_get(struct cg_pay_call *c, struct cg_db *db)
{
	const char *id = cg_http_req_param(c->req, "id");
	int rc;

	if (id == NULL || !cg_id_valid(id)) {
		cg_pay_error(c, 404, "no such invoice");
		return;
	}
	rc = cg_invoice_json(db, c->merchant_id, id, &c->reply);
	if (rc < 0)
		cg_pay_error(c, 503, "database error");
	else if (rc == 0)
		cg_pay_error(c, 404, "no such invoice");
	else
		c->status = 200;
}

/* "2026-12-01T10:00:00Z", with optional ".fff": ms, or -1. */
static int64_t
parse_iso(const char *s)
{
	char buf[32];
	size_t n = strlen(s);
	int64_t ms;

	if (n < 20 || n > 24 || s[10] != 'T' || s[n - 1] != 'Z')
		return -1;
	memcpy(buf, s, n - 1);
	buf[n - 1] = '\0';
	buf[10] = ' ';
	return cg_db_parse_time(buf, &ms) == 0 ? ms : -1;
}

static void
invoice_list(struct cg_pay_call *c, struct cg_db *db)
{
	const char *status = cg_http_req_query(c->req, "status");
	const char *after = cg_http_req_query(c->req, "created_after");
	const char *order = cg_http_req_query(c->req, "order_id");
	char sql[2048], cur_id[CG_ID_SIZE] = "", next[96];
	int64_t after_ms = -1, cur_ms = -1, ms;
	int limit, has_cursor, n = 0, rc;
	struct cg_stmt *st;
	json_t *data, *last = NULL;

	if (status != NULL) {
		size_t i;

		for (i = 0; statuses[i] && strcmp(statuses[i], status); i++)
			;
		if (statuses[i] == NULL)
			cg_pay_field(c, "status", "one of new, partially_paid, "
			    "processing, settled, expired, invalid, cancelled");
	}
	if (after != NULL && (after_ms = parse_iso(after)) < 0)
		cg_pay_field(c, "created_after", "an ISO 8601 UTC time "
		    "(2026-12-01T10:00:00Z)");
	if (order != NULL && strlen(order) > 255)
		cg_pay_field(c, "order_id", "at most 255 characters");
	if (c->nfields) {
		cg_pay_error(c, 422, "bad query parameter");
		return;
	}
	if (cg_pay_page(c, &limit, &cur_ms, cur_id, &has_cursor) != 0)
		return;
	/* Newest first; (created_at, id) is unique, so pages are stable. */
	snprintf(sql, sizeof(sql), "%sWHERE i.merchant_id = ? AND "
	    "i.deleted_at IS NULL AND (? IS NULL OR i.status = ?) AND "
	    "(? IS NULL OR i.created_at > ?) AND (? IS NULL OR i.order_id = ?) "
	    "AND (? IS NULL OR i.created_at < ? OR (i.created_at = ? AND "
	    "i.id < ?)) ORDER BY i.created_at DESC, i.id DESC LIMIT ?",
	    cg_invoice_select);
	st = cg_db_query(db, sql, "ssstt" "ss" "tttsi", c->merchant_id, status,
	    status, after_ms, after_ms, order, order, has_cursor ? cur_ms : -1,
	    cur_ms, cur_ms, cur_id, (int64_t)limit + 1);
	if (st == NULL) {
		cg_pay_error(c, 503, "database error");
		return;
	}
	data = json_array();
	while ((rc = cg_stmt_fetch(st)) == 1) {
		if (n++ == limit)
			break;
		last = cg_invoice_row_json(st);
		json_array_append_new(data, last);
		if (cg_stmt_time_ms(st, 16, &ms) == 0)
			cg_pay_cursor(ms, cg_stmt_str(st, 0), next, sizeof(next));
	}
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(data);
		cg_pay_error(c, 503, "database error");
		return;
	}
	c->reply = json_pack("{s:s, s:o, s:b, s:s?}", "object", "list", "data",
	    data, "has_more", n > limit,
	    "next_cursor", n > limit && last ? next : NULL);
	c->status = 200;
}

/* ---- cancel ------------------------------------------------------------ */

struct cancel {
	struct cg_pay_call *c;
	const char *id;
	int64_t now;
};

#define CANCEL_NOT_FOUND 2
#define CANCEL_CONFLICT 3

static int
cancel_tx(struct cg_db *db, void *arg)
{
	struct cancel *k = arg;
	struct cg_pay_call *c = k->c;
	char status[17] = "", aid[CG_ID_SIZE], evt[64], ekey[96], wid[CG_ID_SIZE];
	int64_t payments = 0, version = 0;
	struct cg_stmt *st;
	json_t *inv = NULL, *payload;
	char *text, url[2049] = "";
	int rc;

	/* Lock order: invoice first (settlement does the same). */
	st = cg_db_query(db, "SELECT status, payment_count, version FROM "
	    "invoices WHERE id = ? AND merchant_id = ? AND deleted_at IS NULL "
	    "FOR UPDATE", "ss", k->id, c->merchant_id);
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
	if (strcmp(status, "cancelled") == 0)
		return 0;    /* cancelling twice answers the same */
	if (strcmp(status, "new") != 0 || payments > 0)
		return CANCEL_CONFLICT;
	/* Any payment seen on the address, even one not counted yet. */
	if (cg_db_query_i64(db, &payments, "SELECT COUNT(*) FROM transactions "
	    "WHERE invoice_id = ?", "s", k->id) < 0)
		return CG_DB_ERR;
	if (payments > 0)
		return CANCEL_CONFLICT;
	if (cg_db_run(db, "UPDATE invoices SET status = 'cancelled', "
	    "cancelled_at = ?, version = version + 1, updated_at = ? WHERE "
	    "id = ? AND merchant_id = ? AND status = 'new'", "ttss", k->now,
	    k->now, k->id, c->merchant_id) != 1)
		return CG_DB_ERR;
	if (cg_id_new(aid) != 0 || cg_db_run(db, "INSERT INTO audit_logs (id, "
	    "merchant_id, api_key_id, actor_type, action, entity_type, "
	    "entity_id, old_values, new_values, ip_address, endpoint, "
	    "http_method, request_id, created_at) VALUES (?, ?, ?, 'API_KEY', "
	    "'UPDATE', 'invoice', ?, '{\"status\":\"new\"}', "
	    "'{\"status\":\"cancelled\"}', ?, ?, 'POST', ?, ?)", "sssssss" "t",
	    aid, c->merchant_id, c->api_key_id, k->id, c->ip,
	    cg_http_req_path(c->req), cg_http_req_id(c->req), k->now) != 1)
		return CG_DB_ERR;
	if (cg_db_query_str(db, url, sizeof(url), "SELECT m.webhook_url FROM "
	    "merchants m LEFT JOIN merchant_settings s ON s.merchant_id = "
	    "m.id WHERE m.id = ? AND COALESCE(s.notify_webhook, 1) = 1 AND "
	    "(s.webhook_events IS NULL OR JSON_CONTAINS(s.webhook_events, "
	    "'\"invoice.cancelled\"'))", "s", c->merchant_id) < 0)
		return CG_DB_ERR;
	if (url[0] == '\0')
		return 0;
	if (cg_invoice_json(db, c->merchant_id, k->id, &inv) != 1)
		return CG_DB_ERR;
	snprintf(evt, sizeof(evt), "evt_%s_c", k->id);
	snprintf(ekey, sizeof(ekey), "invoice.cancelled:%s", k->id);
	payload = json_pack("{s:s, s:s, s:s, s:I, s:{s:o}}", "id", evt, "type",
	    "invoice.cancelled", "api_version", "v1", "invoice_version",
	    (json_int_t)(version + 1), "data", "invoice", inv);
	text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	if (text == NULL || cg_id_new(wid) != 0) {
		free(text);
		return CG_DB_ERR;
	}
	rc = cg_db_run(db, "INSERT INTO webhook_deliveries (id, event_id, "
	    "event_key, event_type, merchant_id, invoice_id, invoice_version, "
	    "api_version, payload, url, status, next_attempt_at, created_at, "
	    "updated_at) VALUES (?, ?, ?, 'invoice.cancelled', ?, ?, ?, 'v1', "
	    "?, ?, 'PENDING', ?, ?, ?)", "sssssi" "ss" "ttt", wid, evt, ekey,
	    c->merchant_id, k->id, version + 1, text, url, k->now, k->now,
	    k->now) == 1 ? 0 : CG_DB_ERR;
	free(text);
	return rc;
}

static void
invoice_cancel(struct cg_pay_call *c, struct cg_db *db)
{
	struct cancel k = { c, cg_http_req_param(c->req, "id"), cg_now_ms() };
	int rc;

	if (k.id == NULL || !cg_id_valid(k.id)) {
		cg_pay_error(c, 404, "no such invoice");
		return;
	}
	rc = cg_db_tx(db, cancel_tx, &k);
	if (rc == CANCEL_NOT_FOUND)
		cg_pay_error(c, 404, "no such invoice");
	else if (rc == CANCEL_CONFLICT)
		cg_pay_error(c, 409, "only an invoice with no payment can be "
		    "cancelled");
	else if (rc != 0)
		cg_pay_error(c, 503, "database busy; retry");
	else if (cg_invoice_json(db, c->merchant_id, k.id, &c->reply) != 1)
		cg_pay_error(c, 503, "database error");
	else
		c->status = 200;
}

/* ---- an invoice's payments --------------------------------------------- */

static void
invoice_transactions(struct cg_pay_call *c, struct cg_db *db)
{
	const char *id = cg_http_req_param(c->req, "id");
	struct cg_stmt *st;
	unsigned dec = 0;
	int64_t v;
	json_t *data;
	int rc;

	if (id == NULL || !cg_id_valid(id) || cg_db_query_i64(db, &v,
	    "SELECT p.decimals FROM invoices i JOIN currencies p ON p.id = "
	    "i.pay_currency_id WHERE i.id = ? AND i.merchant_id = ?", "ss", id,
	    c->merchant_id) != 1) {
		cg_pay_error(c, 404, "no such invoice");
		return;
	}
	dec = (unsigned)v;
	st = cg_db_query(db, "SELECT t.id, t.tx_hash, t.tx_position, "
	    "t.from_address, t.to_address, cu.code, t.amount, t.confirmations, "
	    "t.status, t.match_status, t.block_height, t.block_hash, "
	    "t.first_seen_at, t.confirmed_at, cu.decimals FROM transactions t "
	    "JOIN currencies cu ON cu.id = t.currency_id WHERE t.invoice_id = ? "
	    "AND t.merchant_id = ? ORDER BY t.first_seen_at, t.id LIMIT 1000",
	    "ss", id, c->merchant_id);
	if (st == NULL) {
		cg_pay_error(c, 503, "database error");
		return;
	}
	data = json_array();
	while ((rc = cg_stmt_fetch(st)) == 1) {
		int64_t pos = 0, conf = 0, h, cd = dec;
		json_t *t;

		cg_stmt_i64(st, 2, &pos);
		cg_stmt_i64(st, 7, &conf);
		cg_stmt_i64(st, 14, &cd);
		t = json_pack("{s:s, s:s, s:I, s:s?, s:s, s:s, s:o, s:I, s:s, "
		    "s:s, s:o, s:s?, s:o, s:o}", "id", cg_stmt_str(st, 0),
		    "tx_hash", cg_stmt_str(st, 1), "position", (json_int_t)pos,
		    "from", cg_stmt_str(st, 3), "to", cg_stmt_str(st, 4),
		    "currency", cg_stmt_str(st, 5),
		    "amount", cg_amount_json(cg_stmt_str(st, 6), (unsigned)cd),
		    "confirmations", (json_int_t)conf,
		    "status", cg_stmt_str(st, 8),
		    "match_status", cg_stmt_str(st, 9),
		    "block_height", cg_stmt_i64(st, 10, &h) == 0 ?
		    json_integer(h) : json_null(),
		    "block_hash", cg_stmt_str(st, 11),
		    "first_seen_at", cg_time_json(cg_stmt_str(st, 12)),
		    "confirmed_at", cg_time_json(cg_stmt_str(st, 13)));
		if (t)
			json_array_append_new(data, t);
	}
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(data);
		cg_pay_error(c, 503, "database error");
		return;
	}
	c->reply = json_pack("{s:s, s:o}", "object", "list", "data", data);
	c->status = 200;
}

int
cg_api_invoices_register(struct cg_daemon *d)
{
	if (cg_pay_route(d, "POST", "/api/v1/invoices", "invoices.create",
	    invoice_create) != 0 ||
	    cg_pay_route(d, "GET", "/api/v1/invoices", "invoices.list",
	    invoice_list) != 0 ||
	    cg_pay_route(d, "GET", "/api/v1/invoices/{id}", "invoices.get",
	    invoice_get) != 0 ||
	    cg_pay_route(d, "POST", "/api/v1/invoices/{id}/cancel",
	    "invoices.cancel", invoice_cancel) != 0 ||
	    cg_pay_route(d, "GET", "/api/v1/invoices/{id}/transactions",
	    "invoices.transactions", invoice_transactions) != 0)
		return -1;
	return 0;
}
