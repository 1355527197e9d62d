/*
 * Deriving deposit addresses ahead into a merchant's pool on a network,
 * for the background refill job, `cgctl pool refill` and invoice creation
 * when the pool ran dry. See db/pool.h for the rows and the counter.
 */
#ifndef CG_PAYMENTS_POOL_FILL_H
#define CG_PAYMENTS_POOL_FILL_H

#include <stdint.h>

struct cg_db;
struct cg_plugin_instance;

#define CG_POOL_FILL_NO_KEY 2   /* the merchant has no key on the network */
#define CG_POOL_FILL_PLUGIN 3   /* the plugin could not derive */

struct cg_pool_fill {
	int64_t added;               /* by this call */
	int64_t available;           /* AVAILABLE addresses after it */
};

/*
 * Inside the caller's transaction: locks the merchant's counter on the
 * network, then counts the AVAILABLE addresses (after the lock, so a fill
 * that committed meanwhile is seen and not repeated); when fewer than
 * `below`, derives min(target - available, max) addresses at the next
 * indexes through the plugin (pure CPU), stores them AVAILABLE and moves
 * the counter past them.
 * Every index below the counter has its row: no gaps. 0 (out filled),
 * CG_POOL_FILL_NO_KEY, CG_POOL_FILL_PLUGIN, or CG_DB_ERR.
 */
int cg_pool_fill(struct cg_db *db, struct cg_plugin_instance *pl,
    const char *merchant_id, const char *network_id, int64_t below,
    int64_t target, int64_t max, int64_t now_ms, struct cg_pool_fill *out);

#endif
