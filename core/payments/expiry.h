/*
 * The expiry sweep: invoices past their deadline expire only once their
 * network's scanner has processed a block whose time is past it, so a node
 * outage never expires an invoice that was paid in time. A leased job
 * ("sweep:expiry"): several daemons never sweep at once.
 */
#ifndef CG_PAYMENTS_EXPIRY_H
#define CG_PAYMENTS_EXPIRY_H

#include <stdint.h>

struct cg_db;
struct cg_lease;

#define CG_EXPIRY_JOB "sweep:expiry"

/* One sweep under lease (already claimed by the caller): expires what is
 * due, each invoice in its own short transaction. Returns the number of
 * invoices expired, or -1 on a database error (the lease lost stops it). */
int cg_expiry_sweep(struct cg_db *db, const struct cg_lease *lease,
    int64_t now_ms);

#endif
