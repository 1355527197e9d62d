/*
 * The payments module of the daemon: the rates poller, the merchant
 * routes for invoices, wallets and the catalog (networks, currencies,
 * rates), the `pool` control commands and the pool refill job. Called
 * from the modules
 * sections of runtime/daemon.c.
 */
#ifndef CG_PAYMENTS_MODULE_H
#define CG_PAYMENTS_MODULE_H

struct cg_daemon;

/* Loop thread, at start: 0, or -1 (the daemon does not start). */
int cg_payments_start(struct cg_daemon *d);
/* Loop thread, at stop: no new work. */
void cg_payments_stop(struct cg_daemon *d);
/* After the pools drained. */
void cg_payments_free(struct cg_daemon *d);

/* Route registration, one per file of core/api/. */
int cg_api_invoices_register(struct cg_daemon *d);
int cg_api_wallets_register(struct cg_daemon *d);
int cg_api_catalog_register(struct cg_daemon *d);
/* `cgctl pool status|refill` and the background refill job
 * (core/payments/pool_admin.c): start, stop (no new round), free. */
int cg_pool_admin_register(struct cg_daemon *d);
void cg_pool_refill_stop(void);
void cg_pool_refill_free(void);

#endif
