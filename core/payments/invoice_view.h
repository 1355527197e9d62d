/*
 * The merchant-facing JSON of an invoice (the API's Invoice object), read
 * from the database with the merchant id in the WHERE clause. Amounts are
 * decimal strings with exactly their currency's decimals; times ISO 8601.
 */
#ifndef CG_PAYMENTS_INVOICE_VIEW_H
#define CG_PAYMENTS_INVOICE_VIEW_H

#include <jansson.h>

struct cg_db;
struct cg_stmt;

/* Columns and joins for one invoice row, as cg_invoice_row_json reads them. */
extern const char cg_invoice_select[];

/* 1 and *out (new reference), 0 no such invoice of this merchant, -1 error. */
int cg_invoice_json(struct cg_db *db, const char *merchant_id,
    const char *invoice_id, json_t **out);

/* An invoice's values as the object shows them: amounts as DECIMAL text
 * (any scale up to 18), times in ms (-1: none), NULL strings for none. */
struct cg_invoice_view {
	const char *id, *status, *network, *address, *memo, *payment_uri;
	const char *amount, *currency, *pay_amount, *pay_currency;
	unsigned decimals, pay_decimals;
	const char *rate, *rate_source;	/* rate NULL: none */
	int64_t rate_at_ms, expires_at_ms, created_at_ms;
	const char *order_id, *description, *metadata;	/* metadata: JSON */
	const char *received, *confirmed;
	int paid_over, paid_late, paid_partial;
	int64_t version, confirmations, payment_count;
	int64_t cancelled_at_ms, paid_at_ms, settled_at_ms;
};

/* The Invoice object (new reference), or NULL when out of memory. */
json_t *cg_invoice_view_json(const struct cg_invoice_view *v);

/* The object of the current row of a statement built on cg_invoice_select. */
json_t *cg_invoice_row_json(const struct cg_stmt *st);

/* DECIMAL(36,18) text to exactly `decimals` fractional digits; "" → NULL. */
json_t *cg_amount_json(const char *dbtext, unsigned decimals);
/* DATETIME(3) column text to ISO 8601, NULL → JSON null. */
json_t *cg_time_json(const char *dbtext);

#endif
