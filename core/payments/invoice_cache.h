/*
 * Rendered Invoice objects kept in memory for GET /api/v1/invoices/{id}, so
 * a client polling an invoice (a checkout page, an integration waiting for
 * settlement) costs no database round trip.
 *
 * Freshness: every change to an invoice made by this process calls
 * cg_invoice_changed inside its transaction, which drops the copy once the
 * transaction has ended; a reader that read the row before that cannot
 * store its older copy afterwards (the slot's generation moved on). A
 * change made by another daemon on the same database shows within the
 * time to live (api.read_cache_ms). Process-wide; any thread.
 */
#ifndef CG_PAYMENTS_INVOICE_CACHE_H
#define CG_PAYMENTS_INVOICE_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct cg_db;

/* Entries live ttl_ms (0 turns the cache off and empties it). */
void cg_invoice_cache_configure(int64_t ttl_ms);
/* Frees every entry (daemon end). */
void cg_invoice_cache_clear(void);

/* A copy of the merchant's invoice text (*text malloc'd, the caller frees
 * it): 1, or 0 when none is fresh. */
int cg_invoice_cache_get(const char *merchant_id, const char *invoice_id,
    char **text, size_t *len);
/* The generation to pass to put, taken before reading the row. */
uint64_t cg_invoice_cache_gen(const char *invoice_id);
/* Keeps text (copied) unless the invoice changed since gen was taken. */
void cg_invoice_cache_put(const char *merchant_id, const char *invoice_id,
    const char *text, size_t len, uint64_t gen);

/* The invoice's row is being changed in db's transaction: its copy goes
 * when the transaction ends. */
void cg_invoice_changed(struct cg_db *db, const char *invoice_id);

#endif
