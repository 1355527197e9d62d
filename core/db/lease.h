/*
 * Leases of background jobs (a scanner's network, an expiry sweep, a pool
 * refill), shared through the `leases` table so several daemons on one
 * database never run one job at once, and no row lock is held across
 * network I/O:
 *
 *   claim   a short READ COMMITTED transaction takes the job's row with
 *           SELECT … FOR UPDATE SKIP LOCKED; when it is free or expired it
 *           sets owner, lease_until and epoch + 1, and commits;
 *   work    runs outside any transaction;
 *   result  written in a transaction that first calls cg_lease_hold(),
 *           which locks the row and checks that the epoch is still ours,
 *           so a claimer that lost its lease writes nothing.
 *
 * Owners must be unique per claimer (e.g. "<host>:<pid>:<thread>"). All
 * times come from the injectable clock (cg_now_ms()).
 */
#ifndef CG_DB_LEASE_H
#define CG_DB_LEASE_H

#include <stdint.h>

struct cg_db;

#define CG_LEASE_JOB_MAX 128
#define CG_LEASE_OWNER_MAX 128

struct cg_lease {
	char job[CG_LEASE_JOB_MAX + 1];
	char owner[CG_LEASE_OWNER_MAX + 1];
	uint64_t epoch;          /* the epoch our writes must match */
	int64_t until_ms;        /* lease end, ms since the epoch */
};

/* Claims job for ttl_ms. 1: claimed (out filled, epoch bumped), or already
 * ours and extended (same epoch); 0: held by someone else or being claimed
 * right now; -1: database error. */
int cg_lease_claim(struct cg_db *db, const char *job, const char *owner,
    int64_t ttl_ms, struct cg_lease *out);

/* Extends a lease still ours. 1: renewed, 0: lost, -1: error. */
int cg_lease_renew(struct cg_db *db, struct cg_lease *l, int64_t ttl_ms);

/* Gives the lease up so another claimer need not wait for it to expire.
 * 1: released, 0: it was no longer ours, -1: error. */
int cg_lease_release(struct cg_db *db, const struct cg_lease *l);

/* Inside a transaction (cg_db_tx): locks the job's row and checks that it
 * still carries our epoch and owner. 0: ours, write the result;
 * CG_LEASE_LOST (> 0): return it from the transaction function so nothing
 * is written; CG_DB_ERR: database error. */
#define CG_LEASE_LOST 409
int cg_lease_hold(struct cg_db *db, const struct cg_lease *l);

#endif
