/*
 * One scanner per network instance: takes the lease "scan:<network>",
 * asks the network plugin for one batch from the host-kept cursor, checks
 * the batch links onto the blocks it kept (reorg detection), and commits
 * the batch, the cursor and the recent block hashes in one transaction
 * under the lease's epoch. Runs on the scan pool; the settlement module
 * drives it with a timer.
 *
 * Reorgs: on a parent mismatch it walks back with the plugin's block_hash
 * to the common ancestor among the kept hashes. Up to the network's
 * confirmations deep: payments above the ancestor become ORPHANED (still
 * counted as received, not confirmed) and the cursor rewinds; re-included
 * payments get their new block. Deeper (or no ancestor in the window):
 * the scanner stops and alerts until an admin runs `cgctl scan rescan`.
 */
#ifndef CG_PAYMENTS_SCANNER_H
#define CG_PAYMENTS_SCANNER_H

#include <stddef.h>
#include <stdint.h>

struct cg_db;
struct cg_plugin_instance;
struct cg_scanner;

/* A payment absent from the chain (orphaned, or dropped from the mempool)
 * this long is proven gone: the invoice turns invalid. */
#define CG_SCAN_ABSENT_TIMEOUT_MS (600 * 1000LL)
/* A payment only ever seen in the mempool is proven gone once the plugin
 * has not reported it for this long (plugins that report the mempool
 * report its still-pending transfers with every batch). */
#define CG_SCAN_MEMPOOL_TIMEOUT_MS (72 * 3600 * 1000LL)
/* A fresh scanner starts this many blocks behind the tip. */
#define CG_SCAN_START_BACK 256
/* Blocks per batch. */
#define CG_SCAN_MAX_BLOCKS 100

struct cg_scanner_status {
	char network[64];
	int active;              /* this daemon holds the lease */
	int known;               /* a network row matches the instance */
	int stopped;             /* deep reorg: an admin must act */
	int unsupported;         /* the plugin offers no scan */
	uint64_t cursor;         /* next height to scan */
	uint64_t tip;
	int64_t last_scan_ms, last_success_ms;
	int64_t poll_ms;
	uint64_t batches, payments, reorgs;
	char reason[256];        /* stop reason */
	char last_error[256];
};

/* owner: this daemon's lease owner name (unique per daemon). */
struct cg_scanner *cg_scanner_new(const char *network,
    struct cg_plugin_instance *inst, const char *owner);
void cg_scanner_free(struct cg_scanner *s);
const char *cg_scanner_network(const struct cg_scanner *s);

/* Worker thread: one pass (claim or renew the lease, scan one batch,
 * commit). Returns the delay in ms before the next pass. */
int64_t cg_scanner_pass(struct cg_scanner *s, struct cg_db *db);
/* Gives the scanner's lease up (graceful stop), so another daemon scans
 * at once instead of after the lease expires. Same thread rules as
 * cg_scanner_pass: never while a pass of this scanner runs. */
void cg_scanner_release(struct cg_scanner *s, struct cg_db *db);

/* Any thread: a copy of the scanner's state. */
void cg_scanner_get_status(struct cg_scanner *s, struct cg_scanner_status *out);

/* Worker thread, admin: rewinds network's cursor to height, clears its
 * stop flag, orphans payments at or above height (the rescan reports
 * those still on chain again), audited. 0, or -1 with a message. */
int cg_scanner_rescan(struct cg_db *db, const char *network, uint64_t height,
    unsigned uid, char *err, size_t errlen);

/* The network plugin instance of a network code (one place, so the
 * mapping can change): the instance named like networks.code. */
struct cg_plugins;
struct cg_plugin_instance *cg_scanner_instance_for(struct cg_plugins *plugins,
    const char *network);

#endif
