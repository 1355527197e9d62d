/*
 * Settlement: where payments are recorded and invoices change state.
 *
 * Everything here runs inside the caller's transaction (cg_db_tx on a scan
 * worker, under the scanner's lease) and is safe to retry: payments are
 * unique per (network, tx hash, position), balance postings per (wallet,
 * payment, bucket, kind of move), outbox events per event key.
 *
 * Rules (docs/settlement.md):
 *  - a payment is counted when it is MATCHED or LATE and its status is
 *    PENDING, CONFIRMED or ORPHANED (dropped by a shallow reorg, waiting to
 *    be re-included or proven gone);
 *  - invoice totals are computed from the counted payments under the
 *    invoice's row lock, never added to a counter;
 *  - postings: SEEN (pending +amount) once seen, CONFIRMED (pending -amount,
 *    confirmed +amount) once confirmed, REVERSED (ADJUSTMENT, from the
 *    bucket the money sits in) once proven gone; each at most once;
 *  - events: one per (invoice, event type) for status events, so a shallow
 *    reorg that moves an invoice back and forth emits nothing new.
 */
#ifndef CG_PAYMENTS_SETTLE_H
#define CG_PAYMENTS_SETTLE_H

#include <stddef.h>
#include <stdint.h>

#include <cryptic/plugin.h>

#include "util/id.h"

struct cg_db;

/* The network a batch belongs to (read by the scanner each pass). */
struct cg_settle_net {
	char id[CG_ID_SIZE];
	char code[64];
	unsigned confirmations;
};

/* A small set of invoice ids touched by a batch (re-evaluated once each). */
struct cg_idset {
	char (*ids)[CG_ID_SIZE];
	size_t n, cap;
};
int cg_idset_add(struct cg_idset *s, const char *id);
void cg_idset_free(struct cg_idset *s);

/* Records one transfer the plugin reported (insert or update of its
 * payment row: block moved, re-included, left the mempool). Adds the
 * invoice it pays to touched when the change matters to it. 0 or
 * CG_DB_ERR; transfers in an asset the network does not track are logged
 * and skipped (0). */
int cg_settle_record(struct cg_db *db, const struct cg_settle_net *net,
    const struct cg_scan_transfer *t, int64_t now_ms,
    struct cg_idset *touched);

/* Counts confirmations against head (the highest block scanned) and marks
 * payments CONFIRMED once they reach max(network, invoice) confirmations. */
int cg_settle_confirm(struct cg_db *db, const struct cg_settle_net *net,
    uint64_t head, int64_t now_ms, struct cg_idset *touched);

/* Moves payments in blocks above height back to ORPHANED (a reorg). */
int cg_settle_orphan_above(struct cg_db *db, const char *network_id,
    uint64_t height, int64_t now_ms, struct cg_idset *touched);

/* A complete mempool snapshot (the plugin ABI's rule: scan returned 0 and
 * next_height == tip_height + 1) no longer holds the mempool-only payments
 * not reported in this pass (last_seen_at < now_ms): replaced or dropped.
 * They become ORPHANED, so the absence timeout proves them gone. */
int cg_settle_mempool_vanished(struct cg_db *db, const char *network_id,
    int64_t now_ms);

/* Payments ORPHANED and not seen again for timeout_ms, or only ever seen
 * in the mempool and not reported for mempool_timeout_ms, are proven gone:
 * INVALID, their invoice invalid with reversal postings. A counted payment
 * that never reached a block and never confirmed only drops out: its
 * pending amount reversed, its invoice re-evaluated (not invalid). */
int cg_settle_invalidate_absent(struct cg_db *db, const char *network_id,
    int64_t timeout_ms, int64_t mempool_timeout_ms, int64_t now_ms);

/* Re-evaluates one invoice under SELECT … FOR UPDATE: totals, status,
 * flags, postings, audit, outbox. 0 or CG_DB_ERR. */
int cg_settle_invoice(struct cg_db *db, const char *invoice_id,
    int64_t now_ms);

/* Expires one invoice (the sweep found its deadline passed on chain). */
int cg_settle_expire(struct cg_db *db, const char *invoice_id,
    int64_t now_ms);

/* Appends an audit_logs row (actor SYSTEM or CONTROL). */
int cg_settle_audit(struct cg_db *db, const char *actor, const char *action,
    const char *entity_type, const char *entity_id, const char *merchant_id,
    const char *old_json, const char *new_json, const char *endpoint,
    int64_t now_ms);

#endif
