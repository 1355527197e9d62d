/*
 * Payments seen on chain, for operators: the list (flagged payments that
 * wait for a decision first of all) and their resolution, the HTTP face
 * of `cgctl payments unmatched|resolve`. The resolution itself is the
 * settlement module's (cg_payment_resolve); this file adds the user, the
 * note's validation and the audit entry.
 */
#include "api/internal.h"
#include "api/resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "db/db.h"
#include "payments/settlement.h"
#include "util/clock.h"

/* Transaction statuses accepted by the status filter (schema 0005). */
static const char *const tx_statuses[] = { "PENDING", "CONFIRMED",
    "ORPHANED", "INVALID", "FAILED", "REJECTED", NULL };

static int
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static json_t *
payment_json(struct cg_stmt *st)
{
	json_t *o = json_object();
	static const char *const names[] = { "id", "network", "tx_hash",
	    NULL, "from_address", "to_address", "currency", "amount",
	    "amount_raw", "status", "match_status", "merchant_id",
	    "invoice_id", NULL, NULL, NULL, NULL, NULL,
	    "resolved_by_user_id", NULL, "resolution_note" };
	int64_t v;

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i])
			json_object_set_new(o, names[i],
			    cg_api_str_json(cg_stmt_str(st, i)));
	json_object_set_new(o, "position", cg_stmt_i64(st, 3, &v) == 0 ?
	    json_integer(v) : json_null());
	json_object_set_new(o, "block_height", cg_stmt_i64(st, 13, &v) == 0 ?
	    json_integer(v) : json_null());
	json_object_set_new(o, "confirmations", cg_stmt_i64(st, 14, &v) == 0 ?
	    json_integer(v) : json_integer(0));
	json_object_set_new(o, "first_seen_at",
	    cg_api_time_json(cg_stmt_str(st, 15)));
	json_object_set_new(o, "confirmed_at",
	    cg_api_time_json(cg_stmt_str(st, 16)));
	json_object_set_new(o, "created_at",
	    cg_api_time_json(cg_stmt_str(st, 17)));
	json_object_set_new(o, "resolved_at",
	    cg_api_time_json(cg_stmt_str(st, 19)));
	return o;
}

static json_t *
payment_row(struct cg_stmt *st, const void *arg)
{
	(void)arg;
	return payment_json(st);
}

#define PAYMENT_COLS "t.id, n.code, t.tx_hash, t.tx_position, " \
	"t.from_address, t.to_address, c.code, t.amount, t.amount_raw, " \
	"t.status, t.match_status, t.merchant_id, t.invoice_id, " \
	"t.block_height, t.confirmations, t.first_seen_at, t.confirmed_at, " \
	"t.created_at, t.resolved_by_user_id, t.resolved_at, " \
	"t.resolution_note"
#define PAYMENT_FROM "transactions t JOIN networks n ON n.id = " \
	"t.network_id JOIN currencies c ON c.id = t.currency_id"

/* GET /api/v1/admin/payments?unmatched=true&network=…&status=… */
static void
list_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *um = cg_api_query(call, "unmatched");
	const char *net = cg_api_query(call, "network");
	const char *status = cg_api_query(call, "status");
	struct cg_api_page pg;
	struct cg_stmt *st;
	char sql[1400];
	int flagged = 0;

	if (um && strcmp(um, "true") == 0)
		flagged = 1;
	else if (um && strcmp(um, "false") != 0) {
		cg_api_set_problem(call, 400, "unmatched must be true or false.");
		return;
	}
	if (status && !in_list(status, tx_statuses)) {
		cg_api_set_problem(call, 400, "Unknown status '%.32s'.", status);
		return;
	}
	if (net && strlen(net) > 64) {
		cg_api_set_problem(call, 400, "network is too long.");
		return;
	}
	if (cg_api_page_parse(call, &pg) != 0)
		return;
	snprintf(sql, sizeof(sql), "SELECT " PAYMENT_COLS " FROM "
	    PAYMENT_FROM " WHERE (? = 0 OR t.match_status IN "
	    CG_PAYMENT_FLAGGED_SQL ") AND (? = '' OR n.code = ?) AND "
	    "(? = '' OR t.status = ?) AND " CG_API_PAGE_SQL_T("t.")
	    " ORDER BY t.created_at DESC, t.id DESC LIMIT %d", pg.limit + 1);
	st = cg_db_query(db, sql, "issss" CG_API_PAGE_TYPES, (int64_t)flagged,
	    net ? net : "", net ? net : "", status ? status : "",
	    status ? status : "", CG_API_PAGE_ARGS(&pg));
	cg_api_page_answer(call, db, &pg, st, 17, payment_row, NULL);
}

/* One payment by id, or NULL (*dberr tells a failure from "none"). */
static json_t *
payment_load(struct cg_db *db, const char *id, int *dberr)
{
	struct cg_stmt *st;
	json_t *o = NULL;
	int rc;

	*dberr = 0;
	st = cg_db_query(db, "SELECT " PAYMENT_COLS " FROM " PAYMENT_FROM
	    " WHERE t.id = ?", "s", id);
	if (!st) {
		*dberr = 1;
		return NULL;
	}
	if ((rc = cg_stmt_fetch(st)) == 1)
		o = payment_json(st);
	else if (rc < 0)
		*dberr = 1;
	cg_stmt_close(st);
	return o;
}

struct resolve {
	char note[2048];	/* ≤ 500 characters of UTF-8 */
};

static int
resolve_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct resolve *r = cg_api_state(call);
	const char *id = cg_api_param(call, "id");
	json_t *before = NULL, *after = NULL;
	int dberr, rc = CG_DB_ERR;

	before = payment_load(db, id, &dberr);
	if (!before) {
		if (dberr)
			return CG_DB_ERR;
		cg_api_set_not_found(call, "payment");
		return 404;
	}
	switch (cg_payment_resolve(db, id, r->note, cg_api_auth(call)->user_id,
	    cg_now_ms())) {
	case 0:
		cg_api_set_problem(call, 409, "The payment is not waiting for "
		    "a resolution (match_status %s).", json_string_value(
		    json_object_get(before, "match_status")));
		rc = 409;
		goto done;
	case 1:
		break;
	default:
		goto done;
	}
	after = payment_load(db, id, &dberr);
	if (!after)
		goto done;
	/* Consumes before and after. */
	return cg_api_audit_reply(db, call, json_string_value(json_object_get(
	    after, "merchant_id")), "RESOLVE", "transaction", id, before, after,
	    200);
done:
	json_decref(before);
	json_decref(after);
	return rc;
}

static void
resolve_sql(struct cg_api_call *call, struct cg_db *db)
{
	int rc = cg_db_tx(db, resolve_tx, call);

	if (rc == CG_DB_ERR)
		cg_api_set_db_error(call, db);
}

/* POST /api/v1/admin/payments/{id}/resolve {"note": "…"} */
static void
resolve(struct cg_api_call *call)
{
	struct cg_vld v;
	struct resolve *r;
	const char *note = NULL;

	if (!cg_id_valid(cg_api_param(call, "id"))) {
		cg_api_reply_problem(call, 404, "No payment with this id.");
		return;
	}
	if (cg_api_parse_body(call, &v, false) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_vld_str(&v, "note", CG_VLD_REQUIRED, 1, 500, &note);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		cg_api_finish(call);
		return;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		cg_vld_free(&v);
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	snprintf(r->note, sizeof(r->note), "%s", note);
	cg_vld_free(&v);
	cg_api_set_state(call, r, free);
	cg_api_sql(call, resolve_sql, NULL);
}

int
cg_api_admin_payments_register(struct cg_api *api)
{
	int rc;

	if ((rc = cg_api_route_sql(api, "GET", "/api/v1/admin/payments",
	    "admin.payments.list", list_sql, CG_API_OPERATOR)) != 0 ||
	    (rc = cg_api_route(api, "POST",
	    "/api/v1/admin/payments/{id}/resolve", "admin.payments.resolve",
	    resolve, CG_API_ADMIN)) != 0)
		return rc;
	return 0;
}
