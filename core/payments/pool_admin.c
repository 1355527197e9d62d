/*
 * Deposit address pools: `cgctl pool status [merchant] [network]`,
 * `cgctl pool refill <merchant> <network> [target]`, and the background
 * refill job. Addresses are derived ahead through the network plugin
 * (AVAILABLE, in short transactions of REFILL_BATCH addresses each, safe
 * beside invoice creation on any number of daemons: the counter row lock
 * orders the indexes; payments/pool_fill.c), so that creations take pooled
 * addresses with SKIP LOCKED and do not queue on the counter's row lock.
 *
 * The job runs every REFILL_PERIOD_S on the scan pool under the lease
 * "pool-refill" (one daemon at a time): every counter of a served, usable
 * network whose AVAILABLE addresses fell below half its pool_target is
 * topped up to pool_target (0 turns the job off for that counter).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <jansson.h>

#include "control/control.h"
#include "db/db.h"
#include "db/lease.h"
#include "db/pool.h"
#include "payments/catalog.h"
#include "payments/module.h"
#include "payments/pool_fill.h"
#include "plugins/registry.h"
#include "runtime/daemon.h"
#include "config/config.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/log.h"

#define REFILL_BATCH 20
#define REFILL_MAX 10000

struct pool_call {
	struct cg_control_call *call;
	struct cg_daemon *d;
	char merchant[64], network[64];
	int64_t target;              /* -1: the counter's pool_target */
	json_t *result;
	char code[32], err[256];
};

static void
pool_status_work(void *arg, void *thread_ctx)
{
	struct pool_call *p = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	const char *m = p->merchant[0] ? p->merchant : NULL;
	const char *n = p->network[0] ? p->network : NULL;
	struct cg_stmt *st;
	json_t *a;
	int rc;

	if (db == NULL) {
		snprintf(p->err, sizeof(p->err), "database unreachable");
		return;
	}
	st = cg_db_query(db, "SELECT ac.merchant_id, n.code, ac.next_index, "
	    "ac.pool_target, COALESCE(SUM(ap.status = 'AVAILABLE'), 0), "
	    "COALESCE(SUM(ap.status = 'ASSIGNED'), 0), "
	    "COALESCE(SUM(ap.status = 'USED'), 0), "
	    "COALESCE(SUM(ap.status = 'EXPIRED'), 0) FROM address_counters ac "
	    "JOIN networks n ON n.id = ac.network_id LEFT JOIN address_pools ap "
	    "ON ap.counter_id = ac.id WHERE (? IS NULL OR ac.merchant_id = ?) "
	    "AND (? IS NULL OR n.code = ?) GROUP BY ac.id, ac.merchant_id, "
	    "n.code, ac.next_index, ac.pool_target, n.display_order ORDER BY "
	    "ac.merchant_id, n.display_order", "ssss", m, m, n, n);
	if (st == NULL) {
		snprintf(p->err, sizeof(p->err), "%s", cg_db_error(db));
		return;
	}
	a = json_array();
	while ((rc = cg_stmt_fetch(st)) == 1) {
		int64_t v[6] = { 0 };

		for (unsigned i = 0; i < 6; i++)
			cg_stmt_i64(st, 2 + i, &v[i]);
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, "
		    "s:I, s:I, s:I, s:b}", "merchant_id", cg_stmt_str(st, 0),
		    "network", cg_stmt_str(st, 1), "next_index", (json_int_t)v[0],
		    "target", (json_int_t)v[1], "available", (json_int_t)v[2],
		    "assigned", (json_int_t)v[3], "used", (json_int_t)v[4],
		    "expired", (json_int_t)v[5], "served",
		    cg_network_plugin(p->d->plugins, cg_stmt_str(st, 1)) != NULL));
	}
	cg_stmt_close(st);
	p->result = json_pack("{s:o}", "pools", a);
}

struct refill_tx {
	const char *merchant;
	struct cg_plugin_instance *pl;
	struct cg_network_row net;
	int64_t target, added, available;
	int64_t now;
	int fail;                    /* 1 no key, 2 plugin */
};

static int
refill_batch(struct cg_db *db, void *arg)
{
	struct refill_tx *r = arg;
	struct cg_pool_fill f;
	int rc;

	rc = cg_pool_fill(db, r->pl, r->merchant, r->net.id, r->target,
	    r->target, REFILL_BATCH, r->now, &f);
	if (rc == CG_POOL_FILL_NO_KEY || rc == CG_POOL_FILL_PLUGIN) {
		r->fail = rc == CG_POOL_FILL_NO_KEY ? 1 : 2;
		return 1;
	}
	if (rc != 0)
		return CG_DB_ERR;
	r->added += f.added;
	r->available = f.available;
	return 0;
}

/* Derives until r->target addresses are AVAILABLE (at most REFILL_MAX),
 * REFILL_BATCH per transaction. 0, or -1 (r->fail says why). */
static int
refill_to(struct cg_db *db, struct refill_tx *r)
{
	int rc = 0;

	if (r->target > REFILL_MAX)
		r->target = REFILL_MAX;
	do {
		int64_t before = r->added;

		r->now = cg_now_ms();
		rc = cg_db_tx(db, refill_batch, r);
		if (rc != 0 || r->added == before)
			break;
	} while (r->available < r->target);
	return rc == 0 ? 0 : -1;
}

static void
pool_refill_work(void *arg, void *thread_ctx)
{
	struct pool_call *p = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	struct refill_tx r = { .merchant = p->merchant };
	int rc;

	if (db == NULL) {
		snprintf(p->err, sizeof(p->err), "database unreachable");
		return;
	}
	rc = cg_catalog_network(db, p->network, &r.net);
	if (rc != 1) {
		snprintf(p->code, sizeof(p->code), "not_found");
		snprintf(p->err, sizeof(p->err), "no network %s", p->network);
		return;
	}
	r.pl = cg_network_plugin(p->d->plugins, r.net.code);
	if (r.pl == NULL) {
		snprintf(p->code, sizeof(p->code), "unavailable");
		snprintf(p->err, sizeof(p->err), "no plugin instance serves %s",
		    r.net.code);
		return;
	}
	r.target = p->target;
	if (r.target < 0 && cg_db_query_i64(db, &r.target, "SELECT pool_target "
	    "FROM address_counters WHERE merchant_id = ? AND network_id = ?",
	    "ss", p->merchant, r.net.id) != 1) {
		snprintf(p->code, sizeof(p->code), "not_found");
		snprintf(p->err, sizeof(p->err), "merchant %s has no key on %s",
		    p->merchant, r.net.code);
		return;
	}
	if (refill_to(db, &r) != 0) {
		snprintf(p->code, sizeof(p->code), r.fail ? "refused" :
		    "database");
		snprintf(p->err, sizeof(p->err), "%s after %lld addresses",
		    r.fail == 1 ? "merchant has no key on this network" :
		    r.fail == 2 ? "the plugin could not derive" :
		    "database error", (long long)r.added);
		return;
	}
	cg_info("pool", "refilled merchant=%s network=%s added=%lld "
	    "available=%lld", p->merchant, r.net.code, (long long)r.added,
	    (long long)r.available);
	p->result = json_pack("{s:s, s:s, s:I, s:I, s:I}", "merchant_id",
	    p->merchant, "network", r.net.code, "added", (json_int_t)r.added,
	    "available", (json_int_t)r.available, "target",
	    (json_int_t)r.target);
}

static void
pool_done(void *arg)
{
	struct pool_call *p = arg;

	if (p->result)
		cg_control_reply(p->call, p->result);
	else
		cg_control_fail(p->call, p->code[0] ? p->code : "database",
		    "%s", p->err);
	free(p);
}

static struct pool_call *
pool_call_new(struct cg_control_call *call, json_t *args, void *ud)
{
	struct pool_call *p = calloc(1, sizeof(*p));
	const char *m = json_string_value(json_object_get(args, "merchant"));
	const char *n = json_string_value(json_object_get(args, "network"));

	if (p == NULL) {
		cg_control_fail(call, "internal", "out of memory");
		return NULL;
	}
	p->call = call;
	p->d = ud;
	p->target = -1;
	snprintf(p->merchant, sizeof(p->merchant), "%s", m ? m : "");
	snprintf(p->network, sizeof(p->network), "%s", n ? n : "");
	return p;
}

static void
cmd_pool_status(struct cg_control_call *call, json_t *args, void *ud)
{
	struct cg_daemon *d = ud;
	struct pool_call *p = pool_call_new(call, args, ud);

	if (p && cg_control_post(call, d->api_pool, pool_status_work,
	    pool_done, p) != 0)
		free(p);
}

static void
cmd_pool_refill(struct cg_control_call *call, json_t *args, void *ud)
{
	struct cg_daemon *d = ud;
	struct pool_call *p = pool_call_new(call, args, ud);
	const char *t = json_string_value(json_object_get(args, "target"));
	char *end;

	if (p == NULL)
		return;
	if (t != NULL) {
		p->target = strtoll(t, &end, 10);
		if (*t == '\0' || *end != '\0' || p->target < 0 ||
		    p->target > REFILL_MAX) {
			free(p);
			cg_control_fail(call, "bad_argument", "target is a "
			    "number of addresses from 0 to %d", REFILL_MAX);
			return;
		}
	}
	if (cg_control_post(call, d->api_pool, pool_refill_work, pool_done,
	    p) != 0)
		free(p);
}

/* ---- background refill ------------------------------------------------- */

#define REFILL_PERIOD_S 5
#define REFILL_LEASE_MS 60000
#define REFILL_SCAN 64

struct refiller {
	struct cg_daemon *d;
	struct event *timer;
	bool busy, stopped;
	int development;             /* of the configuration at post time */
	char owner[CG_LEASE_OWNER_MAX + 1];
};

struct low_pool {
	char merchant[CG_ID_SIZE];
	char network[33];
	int64_t target;
};

/* One daemon per process: the job's state lives beside its commands. */
static struct refiller *refiller;

/* Counters below half their target, collected before any write. */
static int
low_pools(struct cg_db *db, struct low_pool *out, int max)
{
	struct cg_stmt *st;
	int n = 0, rc;

	st = cg_db_query(db, "SELECT ac.merchant_id, n.code, ac.pool_target "
	    "FROM address_counters ac JOIN networks n ON n.id = ac.network_id "
	    "WHERE ac.pool_target > 0 AND n.status = 'ACTIVE' AND "
	    "(SELECT COUNT(*) FROM address_pools ap WHERE ap.counter_id = "
	    "ac.id AND ap.status = 'AVAILABLE') * 2 < ac.pool_target "
	    "ORDER BY ac.id LIMIT ?", "i", (int64_t)max);
	if (st == NULL)
		return -1;
	while (n < max && (rc = cg_stmt_fetch(st)) == 1) {
		snprintf(out[n].merchant, sizeof(out[n].merchant), "%s",
		    cg_stmt_str(st, 0));
		snprintf(out[n].network, sizeof(out[n].network), "%s",
		    cg_stmt_str(st, 1));
		if (cg_stmt_i64(st, 2, &out[n].target) == 0)
			n++;
	}
	cg_stmt_close(st);
	return n;
}

static void
refill_job_work(void *arg, void *thread_ctx)
{
	struct refiller *f = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	struct low_pool low[REFILL_SCAN];
	struct cg_lease l;
	int n;

	if (db == NULL || cg_lease_claim(db, "pool-refill", f->owner,
	    REFILL_LEASE_MS, &l) != 1)
		return;
	n = low_pools(db, low, REFILL_SCAN);
	for (int i = 0; i < n; i++) {
		struct refill_tx r = { .merchant = low[i].merchant,
		    .target = low[i].target };

		if (cg_catalog_network(db, low[i].network, &r.net) != 1 ||
		    !cg_network_usable(&r.net, f->development))
			continue;
		r.pl = cg_network_plugin(f->d->plugins, r.net.code);
		if (r.pl == NULL)
			continue;
		if (refill_to(db, &r) != 0)
			cg_warn("pool", "refill failed merchant=%s network=%s "
			    "reason=%s", r.merchant, r.net.code, r.fail == 1 ?
			    "no key" : r.fail == 2 ? "plugin" : "database");
		else if (r.added > 0)
			cg_info("pool", "refilled merchant=%s network=%s "
			    "added=%lld available=%lld", r.merchant, r.net.code,
			    (long long)r.added, (long long)r.available);
	}
	cg_lease_release(db, &l);
}

static void
refill_job_done(void *arg)
{
	struct refiller *f = arg;

	f->busy = false;
}

static void
on_refill_timer(evutil_socket_t fd, short what, void *arg)
{
	struct refiller *f = arg;

	(void)fd;
	(void)what;
	if (f->stopped || f->busy)
		return;
	f->busy = true;
	f->development = f->d->cfg->daemon.development;
	if (cg_pool_post(f->d->scan_pool, refill_job_work, refill_job_done,
	    f) != 0)
		f->busy = false;
}

static int
refiller_start(struct cg_daemon *d)
{
	struct timeval tv = { REFILL_PERIOD_S, 0 };
	struct refiller *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->d = d;
	snprintf(f->owner, sizeof(f->owner), "%s:%ld:pool-refill",
	    d->cfg->daemon.instance_id ? d->cfg->daemon.instance_id : "",
	    (long)getpid());
	f->timer = event_new(d->base, -1, EV_PERSIST, on_refill_timer, f);
	if (f->timer == NULL || event_add(f->timer, &tv) != 0) {
		if (f->timer)
			event_free(f->timer);
		free(f);
		return -1;
	}
	refiller = f;
	return 0;
}

void
cg_pool_refill_stop(void)
{
	if (refiller == NULL)
		return;
	refiller->stopped = true;
	event_del(refiller->timer);
}

void
cg_pool_refill_free(void)
{
	if (refiller == NULL)
		return;
	event_free(refiller->timer);
	free(refiller);
	refiller = NULL;
}

int
cg_pool_admin_register(struct cg_daemon *d)
{
	if (cg_control_register(d->control, "pool status [merchant] [network]",
	    cmd_pool_status, d, 0) != 0 ||
	    cg_control_register(d->control,
	    "pool refill <merchant> <network> [target]", cmd_pool_refill, d,
	    CG_CONTROL_F_OWNER) != 0)
		return -1;
	return refiller_start(d);
}
