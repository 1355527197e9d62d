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

static json_t *
str_or_null(const struct cg_stmt *st, unsigned i)
{
	const char *s = cg_stmt_str(st, i);

	return s ? json_string(s) : json_null();
}

static int64_t
i64(const struct cg_stmt *st, unsigned i)
{
	int64_t v = 0;

	cg_stmt_i64(st, i, &v);
	return v;
}

json_t *
cg_invoice_row_json(const struct cg_stmt *st)
{
	unsigned dec = (unsigned)i64(st, 4), pdec = (unsigned)i64(st, 7);
	const char *meta = cg_stmt_str(st, 19);
	json_t *o, *rate = json_null();

	if (cg_stmt_str(st, 12) != NULL) {
		/* The rate is fiat per pay unit, kept exactly as used. */
		char buf[CG_DEC_STRLEN];
		cg_i128 u;
		const char *r = cg_stmt_str(st, 12);

		if (cg_dec_parse(r, strlen(r), 18, 36, CG_ROUND_EXACT, &u) == 0 &&
		    cg_dec_format(u, 18, CG_DEC_TRIM, buf, sizeof(buf)) >= 0)
			r = buf;
		json_decref(rate);
		rate = json_pack("{s:s, s:o, s:o}", "rate", r, "source",
		    str_or_null(st, 13), "at", cg_time_json(cg_stmt_str(st, 14)));
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:s, "
	    "s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", cg_stmt_str(st, 0), "object", "invoice",
	    "status", cg_stmt_str(st, 1),
	    "amount", cg_amount_json(cg_stmt_str(st, 2), dec),
	    "currency", cg_stmt_str(st, 3),
	    "pay_amount", cg_amount_json(cg_stmt_str(st, 5), pdec),
	    "pay_currency", cg_stmt_str(st, 6),
	    "network", cg_stmt_str(st, 8),
	    "deposit_memo", str_or_null(st, 10),
	    "payment_uri", cg_stmt_str(st, 11),
	    "exchange_rate", rate,
	    "expires_at", cg_time_json(cg_stmt_str(st, 15)),
	    "created_at", cg_time_json(cg_stmt_str(st, 16)),
	    "order_id", str_or_null(st, 17),
	    "description", str_or_null(st, 18),
	    "metadata", meta ? json_loads(meta, 0, NULL) : json_null());
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "address", json_string(cg_stmt_str(st, 9)));
	json_object_set_new(o, "amount_received",
	    cg_amount_json(cg_stmt_str(st, 20), pdec));
	json_object_set_new(o, "amount_confirmed",
	    cg_amount_json(cg_stmt_str(st, 21), pdec));
	json_object_set_new(o, "paid_over", json_boolean(i64(st, 22)));
	json_object_set_new(o, "paid_late", json_boolean(i64(st, 23)));
	json_object_set_new(o, "paid_partial", json_boolean(i64(st, 24)));
	json_object_set_new(o, "version", json_integer(i64(st, 25)));
	json_object_set_new(o, "confirmations_required",
	    json_integer(i64(st, 26)));
	json_object_set_new(o, "payment_count", json_integer(i64(st, 27)));
	json_object_set_new(o, "cancelled_at", cg_time_json(cg_stmt_str(st, 28)));
	json_object_set_new(o, "paid_at", cg_time_json(cg_stmt_str(st, 29)));
	json_object_set_new(o, "settled_at", cg_time_json(cg_stmt_str(st, 30)));
	return o;
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
