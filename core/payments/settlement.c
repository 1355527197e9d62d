#include "payments/settlement.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "config/config.h"
#include "control/control.h"
#include "db/db.h"
#include "db/lease.h"
#include "http/server.h"
#include "payments/expiry.h"
#include "payments/scanner.h"
#include "payments/settle.h"
#include "plugins/registry.h"
#include "runtime/daemon.h"
#include "runtime/pool.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/log.h"

#define SWEEP_INTERVAL_MS 1000
#define SWEEP_LEASE_TTL_MS 30000
/* /readyz degrades when an active scanner has not committed for this long
 * (at least), or lags the tip by more than this many blocks. */
#define READY_STALE_MS 60000
#define READY_LAG_BLOCKS 100

struct runner {
	struct cg_settlement *st;
	struct cg_scanner *scanner;   /* NULL: the expiry sweep */
	struct event *timer;
	int running;
	int64_t delay_ms;
};

struct cg_settlement {
	struct cg_daemon *d;
	struct runner *r;
	size_t n;
	struct runner sweep;
	struct cg_lease sweep_lease;
	char owner[CG_LEASE_OWNER_MAX + 1];
	int stopping;
	/* Read by workers: a pass that ends after the stop gives its lease
	 * up itself. */
	atomic_int releasing;
};

static void arm(struct runner *r, int64_t ms);

static void
run_work(void *arg, void *thread_ctx)
{
	struct runner *r = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);

	if (r->scanner != NULL) {
		r->delay_ms = cg_scanner_pass(r->scanner, db);
		if (atomic_load(&r->st->releasing))
			cg_scanner_release(r->scanner, db);
		return;
	}
	r->delay_ms = SWEEP_INTERVAL_MS;
	if (db == NULL)
		return;
	if (cg_lease_claim(db, CG_EXPIRY_JOB, r->st->owner, SWEEP_LEASE_TTL_MS,
	    &r->st->sweep_lease) == 1)
		cg_expiry_sweep(db, &r->st->sweep_lease, cg_now_ms());
}

static void
run_done(void *arg)
{
	struct runner *r = arg;

	r->running = 0;
	if (!r->st->stopping)
		arm(r, r->delay_ms);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = arg;
	int rc;

	(void)fd;
	(void)what;
	if (r->running || r->st->stopping)
		return;
	r->running = 1;
	rc = cg_pool_post(r->st->d->scan_pool, run_work, run_done, r);
	if (rc != 0) {
		r->running = 0;
		arm(r, 1000);
	}
}

static void
arm(struct runner *r, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);
}

/* ---- status, readiness ------------------------------------------------- */

static json_t *
status_networks(void *ud)
{
	struct cg_settlement *st = ud;
	json_t *a = json_array();

	for (size_t i = 0; i < st->n; i++) {
		struct cg_scanner_status s;

		cg_scanner_get_status(st->r[i].scanner, &s);
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:I, s:I, "
		    "s:I, s:I, s:I, s:b, s:s, s:s, s:I, s:I}",
		    "network", s.network,
		    "role", s.active ? "active" : "standby",
		    "known", s.known,
		    "cursor", (json_int_t)s.cursor, "tip", (json_int_t)s.tip,
		    "lag", (json_int_t)(s.tip > s.cursor ? s.tip - s.cursor : 0),
		    "last_success_ms", (json_int_t)s.last_success_ms,
		    "poll_ms", (json_int_t)s.poll_ms,
		    "stopped", s.stopped, "stop_reason", s.reason,
		    "last_error", s.last_error,
		    "reorgs", (json_int_t)s.reorgs,
		    "batches", (json_int_t)s.batches));
	}
	return a;
}

static int
ready_networks(void *ud, char *reason, size_t len)
{
	struct cg_settlement *st = ud;
	int64_t now = cg_now_ms();
	size_t off = 0;
	int rc = CG_READY_OK;

	reason[0] = '\0';
	for (size_t i = 0; i < st->n; i++) {
		struct cg_scanner_status s;
		const char *why = NULL;
		int64_t stale;

		cg_scanner_get_status(st->r[i].scanner, &s);
		if (!s.active || s.unsupported)
			continue;
		stale = s.poll_ms * 10 > READY_STALE_MS ? s.poll_ms * 10 :
		    READY_STALE_MS;
		if (s.stopped)
			why = "stopped (deep reorg)";
		else if (s.last_success_ms == 0 || now - s.last_success_ms > stale)
			why = "no recent scan";
		else if (s.tip > s.cursor + READY_LAG_BLOCKS)
			why = "lagging";
		if (why == NULL)
			continue;
		rc = CG_READY_DEGRADED;
		if (off < len)
			off += (size_t)snprintf(reason + off, len - off, "%snetwork %s "
			    "%s", off ? "; " : "", s.network, why);
	}
	return rc;
}

/* ---- control commands -------------------------------------------------- */

struct ctl {
	struct cg_control_call *call;
	struct cg_settlement *st;
	char cmd;                 /* 's' status, 'r' rescan, 'u' unmatched, 'v' resolve */
	char a1[64], a2[512];
	uint64_t height;
	json_t *result;
	char err[256];
	unsigned uid;
};

static json_t *
rows_json(struct cg_stmt *st, const char *const *names, unsigned n)
{
	json_t *a = json_array();
	int rc;

	while ((rc = cg_stmt_fetch(st)) == 1) {
		json_t *o = json_object();

		for (unsigned i = 0; i < n; i++)
			json_object_set_new(o, names[i], cg_stmt_is_null(st, i) ?
			    json_null() : json_string(cg_stmt_str(st, i)));
		json_array_append_new(a, o);
	}
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int
cg_payment_resolve(struct cg_db *db, const char *id, const char *note,
    const char *user_id, int64_t now_ms)
{
	int64_t n;

	n = cg_db_run(db, "UPDATE transactions SET match_status = 'RESOLVED', "
	    "resolved_at = ?, resolved_by_user_id = ?, resolution_note = ?, "
	    "updated_at = ? WHERE id = ? AND match_status IN "
	    CG_PAYMENT_FLAGGED_SQL, "tssts", now_ms, user_id, note, now_ms, id);
	if (n < 0)
		return CG_DB_ERR;
	return n > 0;
}

static int
resolve_tx(struct cg_db *db, void *arg)
{
	struct ctl *c = arg;
	char json[1200];
	json_t *note;
	char *nt;
	int64_t n;

	n = cg_payment_resolve(db, c->a1, c->a2, NULL, cg_now_ms());
	if (n < 0)
		return CG_DB_ERR;
	if (n == 0) {
		snprintf(c->err, sizeof(c->err), "no unresolved flagged payment "
		    "with id '%s'", c->a1);
		return 404;
	}
	note = json_string(c->a2);
	nt = note ? json_dumps(note, JSON_ENCODE_ANY) : NULL;
	json_decref(note);
	snprintf(json, sizeof(json), "{\"match_status\":\"RESOLVED\","
	    "\"note\":%s,\"uid\":%u}", nt ? nt : "null", c->uid);
	free(nt);
	return cg_settle_audit(db, "CONTROL", "RESOLVE", "transaction", c->a1,
	    NULL, NULL, json, "cgctl payments resolve", cg_now_ms());
}

static void
ctl_work(void *arg, void *thread_ctx)
{
	static const char *const scan_cols[] = { "network", "cursor", "tip",
	    "last_scan_at", "last_success_at", "stopped", "stop_reason",
	    "reorg_count", "last_error" };
	static const char *const pay_cols[] = { "id", "network", "tx_hash",
	    "position", "to_address", "currency", "amount", "match_status",
	    "status", "invoice_id", "block_height", "first_seen_at" };
	struct ctl *c = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	struct cg_stmt *st;

	if (db == NULL) {
		snprintf(c->err, sizeof(c->err), "database unavailable");
		return;
	}
	switch (c->cmd) {
	case 's':
		st = cg_db_query(db, "SELECT instance, cursor_height, tip_height, "
		    "last_scan_at, last_success_at, stopped, stop_reason, "
		    "reorg_count, last_error FROM scanner_state ORDER BY instance",
		    "");
		if (st != NULL)
			c->result = rows_json(st, scan_cols, 9);
		break;
	case 'u':
		st = cg_db_query(db, "SELECT t.id, n.code, t.tx_hash, "
		    "t.tx_position, t.to_address, c.code, t.amount, t.match_status, "
		    "t.status, t.invoice_id, t.block_height, t.first_seen_at "
		    "FROM transactions t JOIN networks n ON n.id = t.network_id "
		    "JOIN currencies c ON c.id = t.currency_id WHERE t.match_status "
		    "IN " CG_PAYMENT_FLAGGED_SQL " "
		    "ORDER BY t.first_seen_at, t.id LIMIT 1000", "");
		if (st != NULL)
			c->result = rows_json(st, pay_cols, 12);
		break;
	case 'r':
		if (cg_scanner_rescan(db, c->a1, c->height, c->uid, c->err,
		    sizeof(c->err)) == 0)
			c->result = json_pack("{s:s, s:I}", "network", c->a1,
			    "from_height", (json_int_t)c->height);
		return;
	case 'v':
		if (cg_db_tx(db, resolve_tx, c) == 0)
			c->result = json_pack("{s:s, s:s}", "id", c->a1,
			    "match_status", "RESOLVED");
		else if (c->err[0] == '\0')
			snprintf(c->err, sizeof(c->err), "database error");
		return;
	}
	if (c->result == NULL && c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "database error");
}

static void
ctl_done(void *arg)
{
	struct ctl *c = arg;

	if (c->result != NULL)
		cg_control_reply(c->call, c->result);
	else
		cg_control_fail(c->call, strncmp(c->err, "no ", 3) == 0 ?
		    "not_found" : "failed", "%s", c->err);
	free(c);
}

static void
ctl_post(struct cg_control_call *call, struct cg_settlement *st,
    struct ctl *c)
{
	c->call = call;
	c->st = st;
	c->uid = cg_control_call_uid(call);
	if (cg_control_post(call, st->d->scan_pool, ctl_work, ctl_done, c) != 0)
		free(c);
}

static struct ctl *
ctl_new(struct cg_control_call *call, char cmd)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (c == NULL)
		cg_control_fail(call, "failed", "out of memory");
	else
		c->cmd = cmd;
	return c;
}

static void
cmd_scan_status(struct cg_control_call *call, json_t *args, void *ud)
{
	struct ctl *c = ctl_new(call, 's');

	(void)args;
	if (c)
		ctl_post(call, ud, c);
}

static void
cmd_scan_rescan(struct cg_control_call *call, json_t *args, void *ud)
{
	const char *net = json_string_value(json_object_get(args, "network"));
	const char *h = json_string_value(json_object_get(args, "height"));
	unsigned long long v;
	struct ctl *c;
	char *end;

	if (net == NULL || h == NULL || strlen(net) >= 64 || *h == '\0') {
		cg_control_fail(call, "bad_argument",
		    "usage: scan rescan NETWORK FROM_HEIGHT");
		return;
	}
	errno = 0;
	v = strtoull(h, &end, 10);
	if (errno || *end || *h == '-' || v > INT64_MAX) {
		cg_control_fail(call, "bad_argument",
		    "FROM_HEIGHT must be a block height");
		return;
	}
	if ((c = ctl_new(call, 'r')) == NULL)
		return;
	snprintf(c->a1, sizeof(c->a1), "%s", net);
	c->height = v;
	ctl_post(call, ud, c);
}

static void
cmd_unmatched(struct cg_control_call *call, json_t *args, void *ud)
{
	struct ctl *c = ctl_new(call, 'u');

	(void)args;
	if (c)
		ctl_post(call, ud, c);
}

static void
cmd_resolve(struct cg_control_call *call, json_t *args, void *ud)
{
	const char *id = json_string_value(json_object_get(args, "id"));
	const char *note = json_string_value(json_object_get(args, "note"));
	struct ctl *c;

	if (id == NULL || !cg_id_valid(id) || note == NULL || *note == '\0' ||
	    strlen(note) > 500) {
		cg_control_fail(call, "bad_argument", "usage: payments resolve "
		    "ID NOTE (a payment id and a note of 1..500 characters)");
		return;
	}
	if ((c = ctl_new(call, 'v')) == NULL)
		return;
	snprintf(c->a1, sizeof(c->a1), "%s", id);
	snprintf(c->a2, sizeof(c->a2), "%s", note);
	ctl_post(call, ud, c);
}

/* ---- life -------------------------------------------------------------- */

static int
runner_init(struct cg_settlement *st, struct runner *r,
    struct cg_scanner *scanner)
{
	r->st = st;
	r->scanner = scanner;
	r->timer = evtimer_new(st->d->base, on_timer, r);
	if (r->timer == NULL)
		return -1;
	arm(r, 0);
	return 0;
}

int
cg_settlement_start(struct cg_daemon *d)
{
	struct cg_settlement *st;
	size_t i, count = cg_plugins_count(d->plugins);

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->d = d;
	d->settlement = st;
	snprintf(st->owner, sizeof(st->owner), "%s:%ld", d->cfg->daemon.instance_id,
	    (long)getpid());
	if ((st->r = calloc(count ? count : 1, sizeof(*st->r))) == NULL)
		return -1;
	for (i = 0; i < count; i++) {
		struct cg_plugin_instance *inst = cg_plugins_at(d->plugins, i);
		const char *name = cg_plugin_instance_name(inst);
		struct cg_scanner *s;

		if (cg_plugin_instance_kind(inst) != CG_PLUGIN_KIND_NETWORK ||
		    cg_scanner_instance_for(d->plugins, name) != inst)
			continue;
		if ((s = cg_scanner_new(name, inst, st->owner)) == NULL)
			return -1;
		if (runner_init(st, &st->r[st->n++], s) != 0)
			return -1;
		cg_info("settlement", "scanner network=%s owner=%s", name,
		    st->owner);
	}
	if (runner_init(st, &st->sweep, NULL) != 0)
		return -1;
	cg_control_add_status(d->control, "networks", status_networks, st);
	cg_http_add_ready_check(d->http, "networks", ready_networks, st);
	cg_control_register(d->control, "scan status", cmd_scan_status, st, 0);
	cg_control_register(d->control, "scan rescan <network> <height>",
	    cmd_scan_rescan, st, CG_CONTROL_F_OWNER);
	cg_control_register(d->control, "payments unmatched", cmd_unmatched,
	    st, 0);
	cg_control_register(d->control, "payments resolve <id> <note>",
	    cmd_resolve, st, CG_CONTROL_F_OWNER);
	return 0;
}

/* A scanner that is not running gives its lease up on the scan pool,
 * which drains its queue before the daemon exits. */
static void
release_work(void *arg, void *thread_ctx)
{
	struct runner *r = arg;

	cg_scanner_release(r->scanner, cg_sqlpool_db(thread_ctx));
}

void
cg_settlement_stop(struct cg_settlement *st)
{
	if (st == NULL)
		return;
	st->stopping = 1;
	atomic_store(&st->releasing, 1);
	for (size_t i = 0; i < st->n; i++) {
		struct runner *r = &st->r[i];

		if (r->timer)
			evtimer_del(r->timer);
		/* A running pass releases at its end (run_work). */
		if (!r->running && r->scanner != NULL)
			cg_pool_post(st->d->scan_pool, release_work, NULL, r);
	}
	if (st->sweep.timer)
		evtimer_del(st->sweep.timer);
}

void
cg_settlement_free(struct cg_settlement *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++) {
		if (st->r[i].timer)
			event_free(st->r[i].timer);
		cg_scanner_free(st->r[i].scanner);
	}
	if (st->sweep.timer)
		event_free(st->sweep.timer);
	free(st->r);
	free(st);
}
