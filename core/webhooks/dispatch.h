/*
 * The webhook dispatcher: sends due outbox rows (webhooks/outbox.h) to the
 * merchants' endpoints.
 *
 *   claim    a task on the webhook pool leases due rows in one short
 *            transaction (SELECT … FOR UPDATE SKIP LOCKED, then status
 *            SENDING, lease owner, lease_epoch + 1, attempt_count + 1,
 *            next_attempt_at = lease end), at most
 *            webhooks.max_per_merchant rows in flight per merchant across
 *            all daemons and webhooks.max_inflight per daemon; then, outside
 *            the transaction, signs each body and resolves and checks its
 *            target (webhooks/ssrf.h).
 *   send     libcurl's multi interface on the event loop: non-blocking,
 *            bounded connect and total timeouts, no redirects, http/https
 *            only, the checked address pinned.
 *   record   a task writes the attempt (webhook_attempts) and the outcome
 *            WHERE lease_epoch = ours: 2xx succeeded; otherwise retried
 *            with exponential backoff and jitter, or failed once the
 *            attempts or the retry window are used up.
 * A daemon killed mid-send leaves SENDING rows whose lease ends; any
 * daemon takes them again then (at-least-once).
 */
#ifndef CG_WEBHOOKS_DISPATCH_H
#define CG_WEBHOOKS_DISPATCH_H

#include <stdint.h>

struct cg_daemon;
struct cg_webhooks;
struct cg_secretbox;

/* Loop thread. Starts the dispatcher (timers, control commands, status);
 * NULL on failure (logged). */
struct cg_webhooks *cg_webhooks_start(struct cg_daemon *d);
/* Stops claiming, aborts transfers in flight and hands their rows back
 * (leases released) through the pool, which is drained afterwards. */
void cg_webhooks_stop(struct cg_webhooks *w);
/* After the pools are destroyed. NULL is fine. */
void cg_webhooks_free(struct cg_webhooks *w);

/* The master-key box secrets are sealed with; NULL without a master key. */
const struct cg_secretbox *cg_webhooks_box(const struct cg_webhooks *w);

/*
 * Delay before the retry that follows attempt n (1-based):
 * min(base_s · 2^(n−1), max_s) seconds, scaled by a jitter factor in
 * [0.9, 1.1] taken from rnd (any 32-bit random value).
 */
int64_t cg_webhook_backoff_ms(unsigned int n, int64_t base_s, int64_t max_s,
    uint32_t rnd);

/* Sets a delivery due now again (same event id and body): 0 done,
 * 1 no such delivery (of that merchant when merchant_id is not NULL),
 * 2 being sent right now, -1 error. Blocking (SQL). */
struct cg_db;
int cg_webhooks_redeliver(struct cg_db *db, const char *merchant_id,
    const char *delivery_id, int64_t now_ms);

#endif
