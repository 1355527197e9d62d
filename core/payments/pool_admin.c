/*
 * `cgctl pool status [merchant] [network]` and
 * `cgctl pool refill <merchant> <network> [target]`: the deposit address
 * pools per merchant and network, and topping one up with addresses
 * derived ahead through the network plugin (AVAILABLE, in short
 * transactions of a few addresses each, safe beside invoice creation on
 * any number of daemons: the counter row lock orders the indexes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/control.h"
#include "db/db.h"
#include "db/pool.h"
#include "payments/catalog.h"
#include "payments/module.h"
#include "plugins/registry.h"
#include "runtime/daemon.h"
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
	struct pool_call *p;
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
	int64_t avail = 0, added = 0;

	if (cg_db_query_i64(db, &avail, "SELECT COUNT(*) FROM address_pools "
	    "WHERE merchant_id = ? AND network_id = ? AND status = "
	    "'AVAILABLE'", "ss", r->p->merchant, r->net.id) < 0)
		return CG_DB_ERR;
	while (avail < r->target && added < REFILL_BATCH) {
		struct cg_pool_counter c;
		char addr[129], path[96], id[CG_ID_SIZE];
		int rc = cg_pool_next_index(db, r->p->merchant, r->net.id, &c);

		if (rc < 0)
			return CG_DB_ERR;
		if (rc == 0 || c.index > INT32_MAX) {
			r->fail = 1;
			return 1;
		}
		if (cg_plugin_derive_address(r->pl, c.xpub, (uint32_t)c.index,
		    addr, sizeof(addr), NULL) != 0) {
			r->fail = 2;
			return 1;
		}
		snprintf(path, sizeof(path), "%s/0/%lld", c.account_path[0] ?
		    c.account_path : "m", (long long)c.index);
		if (cg_pool_insert(db, r->p->merchant, r->net.id, &c, addr, NULL,
		    path, r->now, id) != 0)
			return CG_DB_ERR;
		avail++;
		added++;
	}
	r->added += added;
	r->available = avail;
	return 0;
}

static void
pool_refill_work(void *arg, void *thread_ctx)
{
	struct pool_call *p = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	struct refill_tx r = { .p = p };
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
	if (r.target > REFILL_MAX)
		r.target = REFILL_MAX;
	do {
		int64_t before = r.added;

		r.now = cg_now_ms();
		rc = cg_db_tx(db, refill_batch, &r);
		if (rc != 0 || r.added == before)
			break;
	} while (r.available < r.target);
	if (rc != 0) {
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

int
cg_pool_admin_register(struct cg_daemon *d)
{
	if (cg_control_register(d->control, "pool status [merchant] [network]",
	    cmd_pool_status, d, 0) != 0 ||
	    cg_control_register(d->control,
	    "pool refill <merchant> <network> [target]", cmd_pool_refill, d,
	    CG_CONTROL_F_OWNER) != 0)
		return -1;
	return 0;
}
