/*
 * The settlement module: one scanner per network plugin instance (timer on
 * the loop, pass on the scan pool), the expiry sweep, the absence timer,
 * and their faces: `cgctl scan status|rescan`, `cgctl payments
 * unmatched|resolve`, the "networks" section of `cgctl status`, per-network
 * metrics (cg_scanner_*) and a /readyz check naming a lagging or stopped
 * network. See docs/settlement.md.
 */
#ifndef CG_PAYMENTS_SETTLEMENT_H
#define CG_PAYMENTS_SETTLEMENT_H

#include <stdint.h>

struct cg_daemon;
struct cg_db;
struct cg_settlement;

/* The match statuses of a payment that waits for an operator (`cgctl
 * payments unmatched`, GET /api/v1/admin/payments?unmatched=true). */
#define CG_PAYMENT_FLAGGED_SQL "('UNMATCHED', 'WRONG_ASSET', 'INVOICE_CLOSED')"

/* Marks the flagged payment id RESOLVED with note, by user_id (NULL: not a
 * user, e.g. the control socket), inside the caller's transaction; the
 * caller writes the audit entry. 1 resolved, 0 no unresolved flagged
 * payment with this id, CG_DB_ERR. Worker. */
int cg_payment_resolve(struct cg_db *db, const char *id, const char *note,
    const char *user_id, int64_t now_ms);

/* Loop thread, from the daemon's module start: creates the scanners and
 * timers, registers commands, status and readiness. 0 or -1. */
int cg_settlement_start(struct cg_daemon *d);
/* Loop thread: timers off, no new passes posted. */
void cg_settlement_stop(struct cg_settlement *st);
/* After the pools drained. */
void cg_settlement_free(struct cg_settlement *st);

#endif
