#include "db/lease.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "util/clock.h"

struct claim {
	const char *job;
	const char *owner;
	int64_t now, until;
	struct cg_lease *out;
	int won;
};

static int
claim_tx(struct cg_db *db, void *arg)
{
	struct claim *c = arg;
	struct cg_stmt *st;
	char owner[CG_LEASE_OWNER_MAX + 1] = "";
	int64_t epoch = 0, until = 0;
	int rc;

	c->won = 0;
	st = cg_db_query(db, "SELECT owner, epoch, lease_until FROM leases "
	    "WHERE job_name = ? FOR UPDATE SKIP LOCKED", "s", c->job);
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		if (cg_stmt_str(st, 0) != NULL)
			snprintf(owner, sizeof(owner), "%s", cg_stmt_str(st, 0));
		if (cg_stmt_i64(st, 1, &epoch) != 0 ||
		    cg_stmt_time_ms(st, 2, &until) != 0)
			rc = -1;
	}
	cg_stmt_close(st);
	if (rc <= 0)
		return rc < 0 ? CG_DB_ERR : 0;   /* locked by a claimer right now */

	if (until > c->now && strcmp(owner, c->owner) != 0)
		return 0;                         /* someone else's, still valid */
	if (until > c->now) {
		/* Already ours: extend without a new epoch. */
		if (cg_db_run(db, "UPDATE leases SET lease_until = ?, renewed_at = ?, "
		    "updated_at = ? WHERE job_name = ?", "ttts", c->until, c->now,
		    c->now, c->job) < 0)
			return CG_DB_ERR;
	} else {
		epoch++;
		if (cg_db_run(db, "UPDATE leases SET owner = ?, epoch = ?, "
		    "lease_until = ?, claimed_at = ?, renewed_at = NULL, "
		    "updated_at = ? WHERE job_name = ?", "sittts", c->owner, epoch,
		    c->until, c->now, c->now, c->job) < 0)
			return CG_DB_ERR;
	}
	snprintf(c->out->job, sizeof(c->out->job), "%s", c->job);
	snprintf(c->out->owner, sizeof(c->out->owner), "%s", c->owner);
	c->out->epoch = (uint64_t)epoch;
	c->out->until_ms = c->until;
	c->won = 1;
	return 0;
}

int
cg_lease_claim(struct cg_db *db, const char *job, const char *owner,
    int64_t ttl_ms, struct cg_lease *out)
{
	struct claim c;

	if (job == NULL || owner == NULL || *job == '\0' || *owner == '\0' ||
	    strlen(job) > CG_LEASE_JOB_MAX || strlen(owner) > CG_LEASE_OWNER_MAX ||
	    ttl_ms <= 0)
		return -1;
	c.job = job;
	c.owner = owner;
	c.now = cg_now_ms();
	c.until = c.now + ttl_ms;
	c.out = out;
	c.won = 0;
	/* The row must exist before it can be locked; creating it is harmless
	 * to repeat (the primary key guards it). */
	if (cg_db_run(db, "INSERT INTO leases (job_name, epoch, lease_until, "
	    "created_at, updated_at) VALUES (?, 0, '1970-01-01 00:00:00.000', ?, ?) "
	    "ON DUPLICATE KEY UPDATE job_name = job_name", "stt", job, c.now,
	    c.now) < 0)
		return -1;
	if (cg_db_tx(db, claim_tx, &c) != 0)
		return -1;
	return c.won;
}

int
cg_lease_renew(struct cg_db *db, struct cg_lease *l, int64_t ttl_ms)
{
	int64_t now = cg_now_ms(), n;

	/* Only while unexpired: an expired lease may already be someone's. */
	n = cg_db_run(db, "UPDATE leases SET lease_until = ?, renewed_at = ?, "
	    "updated_at = ? WHERE job_name = ? AND epoch = ? AND owner = ? "
	    "AND lease_until > ?", "tttsust", now + ttl_ms, now, now, l->job,
	    l->epoch, l->owner, now);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	l->until_ms = now + ttl_ms;
	return 1;
}

int
cg_lease_release(struct cg_db *db, const struct cg_lease *l)
{
	int64_t now = cg_now_ms(), n;

	n = cg_db_run(db, "UPDATE leases SET lease_until = ?, updated_at = ? "
	    "WHERE job_name = ? AND epoch = ? AND owner = ?", "ttsus", now, now,
	    l->job, l->epoch, l->owner);
	if (n < 0)
		return -1;
	return n > 0 ? 1 : 0;
}

int
cg_lease_hold(struct cg_db *db, const struct cg_lease *l)
{
	int64_t epoch = 0;
	int rc;

	rc = cg_db_query_i64(db, &epoch, "SELECT epoch FROM leases "
	    "WHERE job_name = ? AND owner = ? FOR UPDATE", "ss", l->job, l->owner);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0 || (uint64_t)epoch != l->epoch)
		return CG_LEASE_LOST;
	return 0;
}
