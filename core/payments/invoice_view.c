#include "payments/invoice_view.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "util/clock.h"
#include "util/decimal.h"

const char cg_invoice_select[] =
	"SELECT i.id, i.status, i.amount, c.code, c.decimals, i.pay_amount, "
	"p.code, p.decimals, n.code, i.deposit_address, i.deposit_memo, "
	"i.payment_uri, i.exchange_rate, i.rate_source, i.rate_at, "
	"i.expires_at, i.created_at, i.order_id, i.description, i.metadata, "
	"i.amount_received, i.amount_confirmed, i.paid_over, i.paid_late, "
	"i.paid_partial, i.version, i.confirmations_required, "
	"i.payment_count, i.cancelled_at, i.paid_at, i.settled_at "
	"FROM invoices i JOIN currencies c ON c.id = i.currency_id "
	"JOIN currencies p ON p.id = i.pay_currency_id "
	"JOIN networks n ON n.id = i.network_id ";

json_t *
cg_amount_json(const char *dbtext, unsigned decimals)
{
	char buf[CG_DEC_STRLEN];
	cg_i128 units;

	if (dbtext == NULL || *dbtext == '\0')
		return json_null();
	if (cg_amount_parse(dbtext, strlen(dbtext), decimals, &units) != 0 ||
	    cg_amount_format(units, decimals, buf, sizeof(buf)) < 0)
		return json_string(dbtext);
	return json_string(buf);
}

json_t *
cg_time_json(const char *dbtext)
{
	char iso[32];
	int64_t ms;

	if (dbtext == NULL || cg_db_parse_time(dbtext, &ms) != 0)
		return json_null();
	cg_time_format_iso(ms, iso);
	return json_string(iso);
}

static int64_t
i64(const struct cg_stmt *st, unsigned i)
{
	int64_t v = 0;

	cg_stmt_i64(st, i, &v);
	return v;
}

static json_t *
ms_json(int64_t ms)
{
	char iso[32];

	if (ms < 0)
		return json_null();
	cg_time_format_iso(ms, iso);
	return json_string(iso);
}

static json_t *
text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
cg_invoice_view_json(const struct cg_invoice_view *v)
{
	json_t *o, *rate = json_null();

	if (v->rate != NULL) {
		/* The rate is fiat per pay unit, kept exactly as used. */
		char buf[CG_DEC_STRLEN];
		cg_i128 u;
		const char *r = v->rate;

		if (cg_dec_parse(r, strlen(r), 18, 36, CG_ROUND_EXACT, &u) == 0 &&
		    cg_dec_format(u, 18, CG_DEC_TRIM, buf, sizeof(buf)) >= 0)
			r = buf;
		json_decref(rate);
		rate = json_pack("{s:s, s:o, s:o}", "rate", r, "source",
		    text_or_null(v->rate_source), "at", ms_json(v->rate_at_ms));
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:s, "
	    "s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", v->id, "object", "invoice",
	    "status", v->status,
	    "amount", cg_amount_json(v->amount, v->decimals),
	    "currency", v->currency,
	    "pay_amount", cg_amount_json(v->pay_amount, v->pay_decimals),
	    "pay_currency", v->pay_currency,
	    "network", v->network,
	    "deposit_memo", text_or_null(v->memo),
	    "payment_uri", v->payment_uri,
	    "exchange_rate", rate,
	    "expires_at", ms_json(v->expires_at_ms),
	    "created_at", ms_json(v->created_at_ms),
	    "order_id", text_or_null(v->order_id),
	    "description", text_or_null(v->description),
	    "metadata", v->metadata ? json_loads(v->metadata, 0, NULL) :
	    json_null());
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "address", json_string(v->address));
	json_object_set_new(o, "amount_received",
	    cg_amount_json(v->received, v->pay_decimals));
	json_object_set_new(o, "amount_confirmed",
	    cg_amount_json(v->confirmed, v->pay_decimals));
	json_object_set_new(o, "paid_over", json_boolean(v->paid_over));
	json_object_set_new(o, "paid_late", json_boolean(v->paid_late));
	json_object_set_new(o, "paid_partial", json_boolean(v->paid_partial));
	json_object_set_new(o, "version", json_integer(v->version));
	json_object_set_new(o, "confirmations_required",
	    json_integer(v->confirmations));
	json_object_set_new(o, "payment_count", json_integer(v->payment_count));
	json_object_set_new(o, "cancelled_at", ms_json(v->cancelled_at_ms));
	json_object_set_new(o, "paid_at", ms_json(v->paid_at_ms));
	json_object_set_new(o, "settled_at", ms_json(v->settled_at_ms));
	return o;
}

static int64_t
col_ms(const struct cg_stmt *st, unsigned i)
{
	int64_t ms;

	return cg_stmt_time_ms(st, i, &ms) == 0 ? ms : -1;
}

json_t *
cg_invoice_row_json(const struct cg_stmt *st)
{
	struct cg_invoice_view v = {
		.id = cg_stmt_str(st, 0),
		.status = cg_stmt_str(st, 1),
		.amount = cg_stmt_str(st, 2),
		.currency = cg_stmt_str(st, 3),
		.decimals = (unsigned)i64(st, 4),
		.pay_amount = cg_stmt_str(st, 5),
		.pay_currency = cg_stmt_str(st, 6),
		.pay_decimals = (unsigned)i64(st, 7),
		.network = cg_stmt_str(st, 8),
		.address = cg_stmt_str(st, 9),
		.memo = cg_stmt_str(st, 10),
		.payment_uri = cg_stmt_str(st, 11),
		.rate = cg_stmt_str(st, 12),
		.rate_source = cg_stmt_str(st, 13),
		.rate_at_ms = col_ms(st, 14),
		.expires_at_ms = col_ms(st, 15),
		.created_at_ms = col_ms(st, 16),
		.order_id = cg_stmt_str(st, 17),
		.description = cg_stmt_str(st, 18),
		.metadata = cg_stmt_str(st, 19),
		.received = cg_stmt_str(st, 20),
		.confirmed = cg_stmt_str(st, 21),
		.paid_over = i64(st, 22) != 0,
		.paid_late = i64(st, 23) != 0,
		.paid_partial = i64(st, 24) != 0,
		.version = i64(st, 25),
		.confirmations = i64(st, 26),
		.payment_count = i64(st, 27),
		.cancelled_at_ms = col_ms(st, 28),
		.paid_at_ms = col_ms(st, 29),
		.settled_at_ms = col_ms(st, 30),
	};

	return cg_invoice_view_json(&v);
}

int
cg_invoice_json(struct cg_db *db, const char *merchant_id,
    const char *invoice_id, json_t **out)
{
	char sql[sizeof(cg_invoice_select) + 64];
	struct cg_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql), "%sWHERE i.id = ? AND i.merchant_id = ?",
	    cg_invoice_select);
	st = cg_db_query(db, sql, "ss", invoice_id, merchant_id);
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		*out = cg_invoice_row_json(st);
		if (*out == NULL)
			rc = -1;
	}
	cg_stmt_close(st);
	return rc;
}
