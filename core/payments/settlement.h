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

struct cg_daemon;
struct cg_settlement;

/* Loop thread, from the daemon's module start: creates the scanners and
 * timers, registers commands, status and readiness. 0 or -1. */
int cg_settlement_start(struct cg_daemon *d);
/* Loop thread: timers off, no new passes posted. */
void cg_settlement_stop(struct cg_settlement *st);
/* After the pools drained. */
void cg_settlement_free(struct cg_settlement *st);

#endif
