/*
 * Deposit addresses: one pool and one derivation counter per merchant and
 * network, shared by the network's coin and tokens, so an address never
 * serves two invoices. All functions run inside the caller's transaction.
 *
 * Invoice creation:
 *   cg_pool_reserve()     an AVAILABLE address, locked with SKIP LOCKED so
 *                         concurrent creations never wait on each other;
 *   or, when it answers 0 (pool empty):
 *   cg_pool_next_index()  the counter's next index (row locked), then the
 *                         network plugin derives the address, and
 *   cg_pool_insert()      stores it;
 *   then the invoice row is inserted, and
 *   cg_pool_assign()      marks the address ASSIGNED to it.
 * A pool fill (payments/pool_fill.h) uses cg_pool_lock_counter(), then
 * cg_pool_insert_rows() for the addresses derived, then cg_pool_advance().
 */
#ifndef CG_DB_POOL_H
#define CG_DB_POOL_H

#include <stdint.h>

#include "util/id.h"

struct cg_db;

struct cg_pool_address {
	char id[CG_ID_SIZE];
	char counter_id[CG_ID_SIZE];
	char address[129];
	char memo[129];              /* "" when none */
	char path[65];
	int64_t index;
};

struct cg_pool_counter {
	char id[CG_ID_SIZE];
	char xpub[256];
	char account_path[65];
	int64_t index;               /* the index handed out by this call */
};

/* 1: out holds a locked AVAILABLE address; 0: the pool is empty (or every
 * address is being taken right now); -1: error. */
int cg_pool_reserve(struct cg_db *db, const char *merchant_id,
    const char *network_id, struct cg_pool_address *out);

/* 1: out holds the counter's key and the next index (the counter has
 * moved on); 0: the merchant has no key on this network; -1: error (also
 * when the index space is exhausted). */
int cg_pool_next_index(struct cg_db *db, const char *merchant_id,
    const char *network_id, struct cg_pool_counter *out);

/* 1: out holds the counter's key and next index, its row locked until the
 * transaction ends (the counter has not moved); 0: no key; -1: error. */
int cg_pool_lock_counter(struct cg_db *db, const char *merchant_id,
    const char *network_id, struct cg_pool_counter *out);

/* Moves a locked counter from `from` to from + n. 0, or -1 (error, or the
 * counter was not at `from`, or past the non-hardened index space). */
int cg_pool_advance(struct cg_db *db, const char *counter_id, int64_t from,
    int64_t n);

/* Stores an address derived at c->index as AVAILABLE (cg_pool_assign then
 * hands it out). A duplicate (network, address) or (counter, index) is an
 * error: the derivation went wrong. 0 or -1; the new id goes to id_out. */
int cg_pool_insert(struct cg_db *db, const char *merchant_id,
    const char *network_id, const struct cg_pool_counter *c,
    const char *address, const char *memo, const char *path, int64_t now_ms,
    char id_out[CG_ID_SIZE]);

/* Stores addresses derived at consecutive indexes of counter c in one
 * statement: rows_json is a JSON array of [id, address, path, index]
 * arrays (ids from cg_id_new). Returns the rows stored, or -1. */
int64_t cg_pool_insert_rows(struct cg_db *db, const char *merchant_id,
    const char *network_id, const char *counter_id, const char *rows_json,
    int64_t now_ms);

/* Marks a reserved or inserted address ASSIGNED to invoice_id. 1, 0 (not
 * AVAILABLE any more), -1 error. */
int cg_pool_assign(struct cg_db *db, const char *pool_id,
    const char *invoice_id, int64_t now_ms);

#endif
