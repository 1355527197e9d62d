/*
 * Invoice creation (worker side): validates the network and currencies,
 * locks the exchange rate, computes the amount to pay, takes a deposit
 * address from the merchant's pool for that network (or derives the next
 * one through the network plugin), and writes the invoice, the address
 * assignment, the idempotency record, the audit entry and the
 * invoice.created outbox row in one transaction.
 *
 * Safe to retry: the invoice id is chosen before the transaction, so a
 * retry after a COMMIT whose outcome was lost finds the invoice and stops;
 * every other write is guarded by a unique key (address per invoice,
 * derivation index per counter, event key).
 */
#ifndef CG_PAYMENTS_INVOICE_CREATE_H
#define CG_PAYMENTS_INVOICE_CREATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/id.h"

struct cg_db;
struct cg_plugins;

#define CG_INVOICE_EXPIRES_MIN_S 60
#define CG_INVOICE_EXPIRES_MAX_S (7 * 24 * 3600)
#define CG_INVOICE_MAX_ERRORS 8

/* What the handler validated syntactically (strings borrowed). */
struct cg_invoice_request {
	const char *merchant_id;
	const char *api_key_id;      /* NULL: not created with a key */
	const char *amount;          /* decimal text */
	const char *currency;        /* currency code (fiat or crypto) */
	const char *pay_currency;    /* currency code on network */
	const char *network;         /* network code */
	const char *order_id;        /* may be NULL */
	const char *description;     /* may be NULL */
	const char *metadata;        /* JSON object text or NULL */
	int64_t expires_in_s;        /* 0: merchant default */
	/*
	 * Called inside the transaction once the invoice is written, with
	 * its Invoice JSON (borrowed); 0 to commit, CG_DB_ERR to fail (and
	 * retry) the transaction. May be NULL. Runs again on a retry.
	 */
	int (*hook)(struct cg_db *db, void *arg, const char *invoice_id,
	    json_t *invoice);
	void *hook_arg;
};

/* Where invoices get rates and plugins. */
struct cg_invoice_env {
	struct cg_plugins *plugins;
	const char *const *rate_sources;
	size_t rate_source_count;
	int64_t rate_max_age_s;
	int development;
};

struct cg_invoice_field_error {
	char field[32];
	char message[192];
};

struct cg_invoice_result {
	int status;                  /* 201, 4xx, 5xx */
	char detail[256];            /* for errors */
	struct cg_invoice_field_error errors[CG_INVOICE_MAX_ERRORS];
	size_t nerrors;
	char invoice_id[CG_ID_SIZE];
	json_t *invoice;             /* 201: the Invoice JSON (owned) */
};

/* Fills res (always); json_decref(res->invoice). Returns res->status. */
int cg_invoice_create(struct cg_db *db, const struct cg_invoice_env *env,
    const struct cg_invoice_request *req, struct cg_invoice_result *res);

#endif
