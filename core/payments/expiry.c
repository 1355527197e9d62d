#include "payments/expiry.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/lease.h"
#include "payments/settle.h"
#include "util/log.h"

/* Invoices expired per sweep at most (the next sweep takes the rest). */
#define EXPIRY_BATCH 500

struct expire_arg {
	const struct cg_lease *lease;
	const char *invoice_id;
	int64_t now_ms;
};

static int
expire_tx(struct cg_db *db, void *arg)
{
	struct expire_arg *a = arg;
	int rc;

	if ((rc = cg_lease_hold(db, a->lease)) != 0)
		return rc;
	return cg_settle_expire(db, a->invoice_id, a->now_ms);
}

int
cg_expiry_sweep(struct cg_db *db, const struct cg_lease *lease,
    int64_t now_ms)
{
	struct cg_idset due = { 0 };
	struct cg_stmt *st;
	size_t i;
	int rc, n = 0;

	/* The deadline must lie behind the newest block the network's
	 * scanner has processed (block time, not the wall clock). */
	st = cg_db_query(db, "SELECT i.id FROM invoices i WHERE i.status IN "
	    "('new', 'partially_paid') AND i.deleted_at IS NULL AND "
	    "i.expires_at < (SELECT MAX(b.block_time) FROM scanner_blocks b "
	    "JOIN scanner_state s ON s.id = b.scanner_id "
	    "WHERE s.network_id = i.network_id) ORDER BY i.expires_at LIMIT ?",
	    "i", (int64_t)EXPIRY_BATCH);
	if (st == NULL)
		return -1;
	while ((rc = cg_stmt_fetch(st)) == 1)
		if (cg_idset_add(&due, cg_stmt_str(st, 0)) != 0) {
			rc = -1;
			break;
		}
	cg_stmt_close(st);
	for (i = 0; rc >= 0 && i < due.n; i++) {
		struct expire_arg a = { lease, due.ids[i], now_ms };

		rc = cg_db_tx(db, expire_tx, &a);
		if (rc == CG_LEASE_LOST) {
			cg_info("expiry", "lease lost, sweep stopped");
			break;
		}
		if (rc != 0) {
			rc = -1;
			break;
		}
		cg_info("expiry", "invoice expired id=%s", due.ids[i]);
		n++;
	}
	cg_idset_free(&due);
	return rc < 0 ? -1 : n;
}
