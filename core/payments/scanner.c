#include "payments/scanner.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/lease.h"
#include "payments/settle.h"
#include "plugins/registry.h"
#include "runtime/metrics.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/str.h"

#define LEASE_TTL_MS 30000
#define HASH_MAX 128
#define ADDR_MAX 128
#define CURSOR_MAX 1024
/* Returned by the batch transaction when an admin changed the scanner's
 * state meanwhile (rescan): the batch is dropped. */
#define STATE_CHANGED 410

struct hdr {
	uint64_t height;
	char hash[HASH_MAX + 1];
	char parent[HASH_MAX + 1];
	int64_t time;
};

struct xfer {
	struct cg_scan_transfer t;
	char tx_hash[HASH_MAX + 1];
	char from[ADDR_MAX + 1], to[ADDR_MAX + 1], contract[ADDR_MAX + 1];
	char amount[80];
	char block_hash[HASH_MAX + 1];
};

/* The watched addresses of a network: an open-addressing string set. */
struct addrset {
	char **slot;
	size_t cap, n;
};

/* How far the watched set has loaded one derivation counter: its rows
 * with derivation_index < loaded are in the set. */
struct mark {
	char id[CG_ID_SIZE];
	uint64_t loaded;
};

/* The watched set, kept across passes and grown from the counters. */
struct watch {
	char net_id[CG_ID_SIZE];
	struct addrset set;
	struct mark *m;          /* sorted by id */
	size_t nm;
};

struct batch {
	struct cg_scanner *s;
	const struct addrset *watched;
	struct hdr *h;
	size_t nh, caph;
	struct xfer *x;
	size_t nx, capx;
	int bad;
};

struct cg_scanner {
	char network[64];
	char job[CG_LEASE_JOB_MAX + 1];
	char owner[CG_LEASE_OWNER_MAX + 1];
	struct cg_plugin_instance *inst;
	struct cg_lease lease;
	/* Loaded each pass (worker only). */
	struct cg_settle_net net;
	/* Grown each pass (worker only: one pass at a time per scanner). */
	struct watch watch;
	char state_id[CG_ID_SIZE];
	int64_t state_version;
	pthread_mutex_t mu;
	struct cg_scanner_status st;
};

/* ---- metrics ----------------------------------------------------------- */

static void
publish(struct cg_scanner *s)
{
	static struct cg_metric *lag, *last, *stopped, *cursor, *tip;
	const char *lv[] = { s->network };
	struct cg_scanner_status c;

	if (lag == NULL) {
		lag = cg_metrics_gauge(NULL, "cg_scanner_lag_blocks",
		    "Chain tip minus the scanner's cursor", "network");
		last = cg_metrics_gauge(NULL, "cg_scanner_last_success_seconds",
		    "Unix time of the scanner's last committed batch", "network");
		stopped = cg_metrics_gauge(NULL, "cg_scanner_stopped",
		    "1 when a reorg deeper than the confirmations stopped the "
		    "scanner", "network");
		cursor = cg_metrics_gauge(NULL, "cg_scanner_cursor_height",
		    "Next block height the scanner reads", "network");
		tip = cg_metrics_gauge(NULL, "cg_scanner_tip_height",
		    "Chain tip the scanner last saw", "network");
	}
	cg_scanner_get_status(s, &c);
	if (!c.active)
		return;
	cg_metric_set(lag, lv, c.tip > c.cursor ? (double)(c.tip - c.cursor) : 0);
	cg_metric_set(last, lv, (double)(c.last_success_ms / 1000));
	cg_metric_set(stopped, lv, c.stopped ? 1 : 0);
	cg_metric_set(cursor, lv, (double)c.cursor);
	cg_metric_set(tip, lv, (double)c.tip);
}

static void
set_error(struct cg_scanner *s, const char *what, const char *detail)
{
	pthread_mutex_lock(&s->mu);
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s: %s", what,
	    detail);
	pthread_mutex_unlock(&s->mu);
}

/* ---- watched set ------------------------------------------------------- */

static int
addrset_add(struct addrset *a, const char *addr)
{
	size_t i;

	if (a->n * 2 >= a->cap) {
		struct addrset b = { NULL, a->cap ? a->cap * 2 : 256, 0 };

		if ((b.slot = calloc(b.cap, sizeof(char *))) == NULL)
			return -1;
		for (i = 0; i < a->cap; i++) {
			if (a->slot[i] == NULL)
				continue;
			size_t j = cg_str_hash(a->slot[i]) & (b.cap - 1);

			while (b.slot[j])
				j = (j + 1) & (b.cap - 1);
			b.slot[j] = a->slot[i];
			b.n++;
		}
		free(a->slot);
		*a = b;
	}
	i = cg_str_hash(addr) & (a->cap - 1);
	while (a->slot[i]) {
		if (strcmp(a->slot[i], addr) == 0)
			return 0;
		i = (i + 1) & (a->cap - 1);
	}
	if ((a->slot[i] = strdup(addr)) == NULL)
		return -1;
	a->n++;
	return 0;
}

static int
addrset_has(const struct addrset *a, const char *addr)
{
	size_t i;

	if (a->cap == 0)
		return 0;
	i = cg_str_hash(addr) & (a->cap - 1);
	while (a->slot[i]) {
		if (strcmp(a->slot[i], addr) == 0)
			return 1;
		i = (i + 1) & (a->cap - 1);
	}
	return 0;
}

static void
addrset_free(struct addrset *a)
{
	for (size_t i = 0; i < a->cap; i++)
		free(a->slot[i]);
	free(a->slot);
	memset(a, 0, sizeof(*a));
}

static void
watch_reset(struct watch *w)
{
	addrset_free(&w->set);
	free(w->m);
	memset(w, 0, sizeof(*w));
}

static int
mark_cmp(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* How far the set has loaded counter m (0: not yet). */
static uint64_t
watch_loaded(const struct watch *w, const struct mark *m)
{
	const struct mark *f;

	if (w->nm == 0)
		return 0;
	f = bsearch(m, w->m, w->nm, sizeof(*w->m), mark_cmp);
	return f ? f->loaded : 0;
}

/* The network's derivation counters, next_index as `loaded`, by id. */
static int
load_counters(struct cg_db *db, const char *network_id, struct mark **out,
    size_t *n)
{
	struct cg_stmt *st;
	struct mark *v = NULL;
	size_t cap = 0;
	int64_t next;
	int rc;

	*n = 0;
	st = cg_db_query(db, "SELECT id, next_index FROM address_counters "
	    "WHERE network_id = ?", "s", network_id);
	if (st == NULL)
		return -1;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		if (*n == cap) {
			void *p;

			cap = cap ? cap * 2 : 16;
			if ((p = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = -1;
				break;
			}
			v = p;
		}
		if (cg_stmt_i64(st, 1, &next) != 0 || next < 0 ||
		    cg_strcpy_checked(v[*n].id, cg_stmt_str(st, 0),
		    CG_ID_SIZE) < 0) {
			rc = -1;
			break;
		}
		v[(*n)++].loaded = (uint64_t)next;
	}
	cg_stmt_close(st);
	if (rc < 0) {
		free(v);
		*n = 0;
		return -1;
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), mark_cmp);
	*out = v;
	return 0;
}

/* Adds the counter's addresses with derivation_index in [from, to). */
static int
load_range(struct cg_db *db, struct addrset *a, const char *counter_id,
    uint64_t from, uint64_t to)
{
	struct cg_stmt *st;
	int rc;

	st = cg_db_query(db, "SELECT address FROM address_pools WHERE "
	    "counter_id = ? AND derivation_index >= ? AND derivation_index < ?",
	    "suu", counter_id, from, to);
	if (st == NULL)
		return -1;
	while ((rc = cg_stmt_fetch(st)) == 1)
		if (addrset_add(a, cg_stmt_str(st, 0)) != 0) {
			rc = -1;
			break;
		}
	cg_stmt_close(st);
	return rc < 0 ? -1 : 0;
}

/*
 * Every address ever handed out on the network is watched. The set is
 * kept across passes and only new addresses are read: a pool row with
 * derivation_index i is inserted in the transaction that moves its
 * counter's next_index past i (db/pool.c), so once a counter shows
 * next_index n, its rows below n are all committed. A counter's mark moves
 * only after its rows were added: a failed load is read again next pass.
 */
static int
watch_update(struct watch *w, struct cg_db *db, const char *network_id)
{
	struct mark *now;
	size_t n, i;
	int rc = 0;

	if (strcmp(w->net_id, network_id) != 0) {
		watch_reset(w);
		if (cg_strcpy_checked(w->net_id, network_id, CG_ID_SIZE) < 0)
			return -1;
	}
	if (load_counters(db, network_id, &now, &n) != 0)
		return -1;
	/* A counter that went back (never done by the gateway) may have had
	 * rows replaced: start over from an empty set. */
	for (i = 0; i < n; i++)
		if (now[i].loaded < watch_loaded(w, &now[i])) {
			cg_warn("scanner", "network=%s counter=%s went back: "
			    "reloading the watched set", network_id, now[i].id);
			addrset_free(&w->set);
			free(w->m);
			w->m = NULL;
			w->nm = 0;
			break;
		}
	for (i = 0; i < n; i++) {
		uint64_t from = watch_loaded(w, &now[i]);

		if (rc == 0 && now[i].loaded > from && load_range(db, &w->set,
		    now[i].id, from, now[i].loaded) != 0)
			rc = -1;
		if (rc != 0)
			now[i].loaded = from;
	}
	free(w->m);
	w->m = now;
	w->nm = n;
	return rc;
}

static int
load_contracts(struct cg_db *db, const char *network_id, char ***out,
    uint32_t *n)
{
	struct cg_stmt *st;
	char **v = NULL;
	int rc;

	*n = 0;
	st = cg_db_query(db, "SELECT contract_address FROM currencies WHERE "
	    "network_id = ? AND contract_address IS NOT NULL AND "
	    "status = 'ACTIVE'", "s", network_id);
	if (st == NULL)
		return -1;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		void *p = realloc(v, (*n + 1) * sizeof(char *));

		if (p == NULL || (((char **)p)[*n] =
		    strdup(cg_stmt_str(st, 0))) == NULL) {
			if (p)
				v = p;
			rc = -1;
			break;
		}
		v = p;
		(*n)++;
	}
	cg_stmt_close(st);
	*out = v;
	return rc < 0 ? -1 : 0;
}

static void
free_contracts(char **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- sink: copies what the plugin reports (untrusted) ------------------ */

static int
copy_str(char *dst, size_t size, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strlen(src);
	if (n >= size)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
sink_header(void *ctx, const struct cg_scan_header *h)
{
	struct batch *b = ctx;
	struct hdr *d;

	if (b->nh == b->caph) {
		size_t cap = b->caph ? b->caph * 2 : 64;
		void *p = realloc(b->h, cap * sizeof(*b->h));

		if (p == NULL)
			return -ENOMEM;
		b->h = p;
		b->caph = cap;
	}
	d = &b->h[b->nh];
	if (copy_str(d->hash, sizeof(d->hash), h->hash) != 0 ||
	    copy_str(d->parent, sizeof(d->parent), h->parent_hash) != 0 ||
	    d->hash[0] == '\0') {
		b->bad = 1;
		return -EINVAL;
	}
	d->height = h->height;
	d->time = h->time;
	b->nh++;
	return 0;
}

static int
sink_transfer(void *ctx, const struct cg_scan_transfer *t)
{
	struct batch *b = ctx;
	struct xfer *d;

	if (b->nx == b->capx) {
		size_t cap = b->capx ? b->capx * 2 : 64;
		void *p = realloc(b->x, cap * sizeof(*b->x));

		if (p == NULL)
			return -ENOMEM;
		b->x = p;
		b->capx = cap;
	}
	d = &b->x[b->nx];
	if (copy_str(d->tx_hash, sizeof(d->tx_hash), t->tx_hash) != 0 ||
	    copy_str(d->from, sizeof(d->from), t->from) != 0 ||
	    copy_str(d->to, sizeof(d->to), t->to) != 0 ||
	    copy_str(d->contract, sizeof(d->contract), t->contract) != 0 ||
	    copy_str(d->amount, sizeof(d->amount), t->amount) != 0 ||
	    copy_str(d->block_hash, sizeof(d->block_hash), t->block_hash) != 0 ||
	    d->tx_hash[0] == '\0' || d->to[0] == '\0' ||
	    (t->position > INT32_MAX &&
	    t->position != CG_TRANSFER_POSITION_VALUE)) {
		b->bad = 1;
		return -EINVAL;
	}
	/* Only what the host watches counts. */
	if (!addrset_has(b->watched, d->to))
		return 0;
	/* The string pointers are set when the transfer is used: the array
	 * may move while it grows. */
	d->t = *t;
	d->t.struct_size = sizeof(d->t);
	b->nx++;
	return 0;
}

static int
sink_is_watched(void *ctx, const char *address)
{
	struct batch *b = ctx;

	return address != NULL && addrset_has(b->watched, address);
}

static int
sink_watched_each(void *ctx, cg_watched_each_fn fn, void *arg)
{
	struct batch *b = ctx;
	int rc;

	for (size_t i = 0; i < b->watched->cap; i++)
		if (b->watched->slot[i] &&
		    (rc = fn(arg, b->watched->slot[i])) != 0)
			return rc;
	return 0;
}

static void
batch_free(struct batch *b)
{
	free(b->h);
	free(b->x);
	memset(b, 0, sizeof(*b));
}

/* ---- scanner state ----------------------------------------------------- */

struct cg_scanner *
cg_scanner_new(const char *network, struct cg_plugin_instance *inst,
    const char *owner)
{
	struct cg_scanner *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	snprintf(s->network, sizeof(s->network), "%s", network);
	snprintf(s->job, sizeof(s->job), "scan:%s", network);
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	s->inst = inst;
	pthread_mutex_init(&s->mu, NULL);
	snprintf(s->st.network, sizeof(s->st.network), "%s", network);
	s->st.poll_ms = 1000;
	return s;
}

void
cg_scanner_free(struct cg_scanner *s)
{
	if (s == NULL)
		return;
	watch_reset(&s->watch);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const char *
cg_scanner_network(const struct cg_scanner *s)
{
	return s->network;
}

void
cg_scanner_get_status(struct cg_scanner *s, struct cg_scanner_status *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
}

struct cg_plugin_instance *
cg_scanner_instance_for(struct cg_plugins *plugins, const char *network)
{
	return cg_plugins_find(plugins, network, CG_PLUGIN_KIND_NETWORK);
}

static int
load_network(struct cg_scanner *s, struct cg_db *db, int64_t *poll_ms)
{
	struct cg_stmt *st;
	int64_t conf = 0, block_s = 0;
	int rc;

	st = cg_db_query(db, "SELECT id, confirmations, COALESCE(block_time_s, 0) "
	    "FROM networks WHERE code = ? AND status = 'ACTIVE'", "s", s->network);
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(s->net.id, sizeof(s->net.id), "%s", cg_stmt_str(st, 0));
		snprintf(s->net.code, sizeof(s->net.code), "%s", s->network);
		cg_stmt_i64(st, 1, &conf);
		cg_stmt_i64(st, 2, &block_s);
		s->net.confirmations = (unsigned)conf;
	}
	cg_stmt_close(st);
	/* Poll at half the block interval, within [250 ms, 15 s]. */
	*poll_ms = block_s * 500;
	if (*poll_ms < 250)
		*poll_ms = 250;
	if (*poll_ms > 15000)
		*poll_ms = 15000;
	return rc;
}

struct state {
	int has_cursor;
	uint64_t cursor;
	char cursor_text[CURSOR_MAX + 1];
	int stopped;
	char reason[256];
};

static int
load_state(struct cg_scanner *s, struct cg_db *db, struct state *out)
{
	struct cg_stmt *st;
	char id[CG_ID_SIZE];
	int64_t v;
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		st = cg_db_query(db, "SELECT id, COALESCE(cursor_text, ''), "
		    "cursor_height, stopped, COALESCE(stop_reason, ''), version "
		    "FROM scanner_state WHERE instance = ?", "s", s->network);
		if (st == NULL)
			return -1;
		rc = cg_stmt_fetch(st);
		if (rc == 1) {
			snprintf(s->state_id, sizeof(s->state_id), "%s",
			    cg_stmt_str(st, 0));
			snprintf(out->cursor_text, sizeof(out->cursor_text), "%s",
			    cg_stmt_str(st, 1));
			out->has_cursor = cg_stmt_i64(st, 2, &v) == 0;
			out->cursor = out->has_cursor ? (uint64_t)v : 0;
			out->stopped = strcmp(cg_stmt_str(st, 3), "1") == 0;
			snprintf(out->reason, sizeof(out->reason), "%s",
			    cg_stmt_str(st, 4));
			cg_stmt_i64(st, 5, &s->state_version);
		}
		cg_stmt_close(st);
		if (rc != 0)
			return rc < 0 ? -1 : 1;
		if (cg_id_new(id) != 0)
			return -1;
		if (cg_db_run(db, "INSERT INTO scanner_state (id, instance, "
		    "network_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
		    "ON DUPLICATE KEY UPDATE id = id", "ssstt", id, s->network,
		    s->net.id, cg_now_ms(), cg_now_ms()) < 0)
			return -1;
	}
	return -1;
}

/* Locks the state row and checks nobody (an admin's rescan) changed it
 * since the pass read it. */
static int
hold_state(struct cg_scanner *s, struct cg_db *db)
{
	int64_t v;
	int rc;

	if ((rc = cg_lease_hold(db, &s->lease)) != 0)
		return rc;
	rc = cg_db_query_i64(db, &v, "SELECT version FROM scanner_state "
	    "WHERE id = ? FOR UPDATE", "s", s->state_id);
	if (rc < 0)
		return CG_DB_ERR;
	return rc == 1 && v == s->state_version ? 0 : STATE_CHANGED;
}

static int
eval_touched(struct cg_db *db, struct cg_idset *touched, int64_t now_ms)
{
	for (size_t i = 0; i < touched->n; i++)
		if (cg_settle_invoice(db, touched->ids[i], now_ms) != 0)
			return CG_DB_ERR;
	return 0;
}

/* ---- the batch transaction --------------------------------------------- */

struct commit {
	struct cg_scanner *s;
	struct batch *b;
	struct cg_scan_result *res;
	uint64_t head;           /* highest block of the batch */
	int have_head;
	uint64_t confirm;        /* confirmations count up to this block */
	int have_confirm;
	int complete;            /* the batch's mempool snapshot is complete */
	int64_t now_ms;
	struct cg_idset touched;
};

static int
commit_tx(struct cg_db *db, void *arg)
{
	struct commit *c = arg;
	struct cg_scanner *s = c->s;
	size_t i;
	int rc;

	/* A retry starts over. */
	cg_idset_free(&c->touched);
	if ((rc = hold_state(s, db)) != 0)
		return rc;
	for (i = 0; i < c->b->nh; i++) {
		struct hdr *h = &c->b->h[i];

		if (cg_db_run(db, "INSERT INTO scanner_blocks (scanner_id, height, "
		    "block_hash, parent_hash, block_time, created_at) VALUES "
		    "(?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE block_hash = "
		    "VALUES(block_hash), parent_hash = VALUES(parent_hash), "
		    "block_time = VALUES(block_time)", "susstt", s->state_id,
		    h->height, h->hash, h->parent, h->time * 1000, c->now_ms) < 0)
			return CG_DB_ERR;
	}
	for (i = 0; i < c->b->nx; i++) {
		struct xfer *x = &c->b->x[i];

		x->t.tx_hash = x->tx_hash;
		x->t.from = x->from;
		x->t.to = x->to;
		x->t.contract = x->contract;
		x->t.amount = x->amount;
		x->t.block_hash = x->block_hash;
		if (cg_settle_record(db, &s->net, &x->t, c->now_ms,
		    &c->touched) != 0)
			return CG_DB_ERR;
	}
	if (c->complete && cg_settle_mempool_vanished(db, s->net.id,
	    c->now_ms) != 0)
		return CG_DB_ERR;
	if (c->have_confirm && cg_settle_confirm(db, &s->net, c->confirm,
	    c->now_ms, &c->touched) != 0)
		return CG_DB_ERR;
	if (eval_touched(db, &c->touched, c->now_ms) != 0)
		return CG_DB_ERR;
	if (cg_settle_invalidate_absent(db, s->net.id, CG_SCAN_ABSENT_TIMEOUT_MS,
	    CG_SCAN_MEMPOOL_TIMEOUT_MS, c->now_ms) != 0)
		return CG_DB_ERR;
	if (c->res != NULL) {
		if (cg_db_run(db, "UPDATE scanner_state SET cursor_text = ?, "
		    "cursor_height = ?, tip_height = ?, last_scan_at = ?, "
		    "last_success_at = ?, last_error = NULL, version = version + 1, "
		    "updated_at = ? WHERE id = ?", "suuttts", c->res->cursor,
		    c->res->next_height, c->res->tip_height, c->now_ms, c->now_ms,
		    c->now_ms, s->state_id) != 1)
			return CG_DB_ERR;
	} else if (cg_db_run(db, "UPDATE scanner_state SET last_scan_at = ?, "
	    "last_success_at = ?, last_error = NULL, updated_at = ? "
	    "WHERE id = ?", "ttts", c->now_ms, c->now_ms, c->now_ms,
	    s->state_id) != 1)
		return CG_DB_ERR;
	if (c->have_head && c->head > 2ULL * s->net.confirmations + 64 &&
	    cg_db_run(db, "DELETE FROM scanner_blocks WHERE scanner_id = ? AND "
	    "height < ?", "su", s->state_id,
	    c->head - 2ULL * s->net.confirmations - 64) < 0)
		return CG_DB_ERR;
	return 0;
}

/* ---- reorgs ------------------------------------------------------------ */

struct rewind {
	struct cg_scanner *s;
	uint64_t ancestor;
	int stop;
	char reason[256];
	int64_t now_ms;
	struct cg_idset touched;
};

static int
rewind_tx(struct cg_db *db, void *arg)
{
	struct rewind *r = arg;
	struct cg_scanner *s = r->s;
	int rc;

	cg_idset_free(&r->touched);
	if ((rc = hold_state(s, db)) != 0)
		return rc;
	if (r->stop) {
		if (cg_db_run(db, "UPDATE scanner_state SET stopped = 1, "
		    "stop_reason = ?, last_error = ?, version = version + 1, "
		    "updated_at = ? WHERE id = ?", "ssts", r->reason, r->reason,
		    r->now_ms, s->state_id) != 1)
			return CG_DB_ERR;
		return cg_settle_audit(db, "SYSTEM", "STOP", "scanner",
		    s->state_id, NULL, NULL, "{\"stopped\":true}", "scanner",
		    r->now_ms);
	}
	if (cg_db_run(db, "DELETE FROM scanner_blocks WHERE scanner_id = ? AND "
	    "height > ?", "su", s->state_id, r->ancestor) < 0)
		return CG_DB_ERR;
	if (cg_settle_orphan_above(db, s->net.id, r->ancestor, r->now_ms,
	    &r->touched) != 0)
		return CG_DB_ERR;
	if (eval_touched(db, &r->touched, r->now_ms) != 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "UPDATE scanner_state SET cursor_height = ?, "
	    "cursor_text = '', reorg_count = reorg_count + 1, "
	    "version = version + 1, updated_at = ? WHERE id = ?", "uts",
	    r->ancestor + 1, r->now_ms, s->state_id) != 1)
		return CG_DB_ERR;
	return 0;
}

/*
 * How many of the replaced blocks (ancestor, newest] had confirmations:
 * those at or below the tip the plugin reported with the last batch.
 * Blocks above it (TRON's unsolidified blocks) were unconfirmed, and
 * replacing them is an ordinary reorg however many there are. Without a
 * recorded tip every replaced block counts.
 */
static uint64_t
confirmed_depth(struct cg_scanner *s, struct cg_db *db, uint64_t newest,
    uint64_t ancestor)
{
	int64_t v;
	uint64_t tip = newest;

	if (cg_db_query_i64(db, &v, "SELECT tip_height FROM scanner_state "
	    "WHERE id = ? AND tip_height IS NOT NULL", "s", s->state_id) == 1 &&
	    v >= 0 && (uint64_t)v < newest)
		tip = (uint64_t)v;
	return tip > ancestor ? tip - ancestor : 0;
}

/*
 * The batch does not link onto the kept blocks: find the common ancestor
 * (newest kept height whose hash the node still has) and rewind to it, or
 * stop when the reorg is deeper than the network's confirmations.
 */
static int
handle_reorg(struct cg_scanner *s, struct cg_db *db, uint64_t from)
{
	struct rewind r;
	struct cg_stmt *st;
	struct hdr *kept = NULL;
	size_t n = 0, cap = 0, i;
	int found = 0, rc;

	memset(&r, 0, sizeof(r));
	r.s = s;
	st = cg_db_query(db, "SELECT height, block_hash FROM scanner_blocks "
	    "WHERE scanner_id = ? AND height < ? ORDER BY height DESC", "su",
	    s->state_id, from);
	if (st == NULL)
		return -1;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		int64_t h;

		if (n == cap) {
			void *p;

			cap = cap ? cap * 2 : 64;
			if ((p = realloc(kept, cap * sizeof(*kept))) == NULL) {
				rc = -1;
				break;
			}
			kept = p;
		}
		cg_stmt_i64(st, 0, &h);
		kept[n].height = (uint64_t)h;
		snprintf(kept[n].hash, sizeof(kept[n].hash), "%s",
		    cg_stmt_str(st, 1));
		n++;
	}
	cg_stmt_close(st);
	for (i = 0; rc >= 0 && i < n; i++) {
		char hash[HASH_MAX + 1];
		size_t len;

		rc = cg_plugin_block_hash(s->inst, kept[i].height, hash,
		    sizeof(hash), &len);
		if (rc < 0)
			break;
		if (strcmp(hash, kept[i].hash) == 0) {
			found = 1;
			r.ancestor = kept[i].height;
			break;
		}
	}
	free(kept);
	if (rc < 0) {
		set_error(s, "reorg search failed", "block_hash error");
		return -1;
	}
	if (found && r.ancestor == from - 1) {
		/* The node still has our newest block, yet its next block does
		 * not name it as parent: inconsistent output, not a reorg. */
		cg_warn("scanner", "network=%s block %" PRIu64 " does not link "
		    "to the kept block %" PRIu64, s->network, from, from - 1);
		set_error(s, "scan failed", "batch does not link to the kept "
		    "blocks");
		return 1;
	}
	if (!found || confirmed_depth(s, db, from - 1, r.ancestor) >
	    s->net.confirmations) {
		r.stop = 1;
		if (found)
			snprintf(r.reason, sizeof(r.reason), "reorg of %" PRIu64
			    " blocks below height %" PRIu64 " is deeper than the "
			    "%u confirmations", from - 1 - r.ancestor, from,
			    s->net.confirmations);
		else
			snprintf(r.reason, sizeof(r.reason), "reorg below height %"
			    PRIu64 ": no common ancestor among the kept blocks",
			    from);
		cg_error("scanner", "network=%s stopped: %s; an admin must run "
		    "'cgctl scan rescan %s HEIGHT'", s->network, r.reason,
		    s->network);
	} else {
		cg_warn("scanner", "reorg network=%s depth=%" PRIu64
		    " ancestor=%" PRIu64, s->network, from - 1 - r.ancestor,
		    r.ancestor);
	}
	r.now_ms = cg_now_ms();
	rc = cg_db_tx(db, rewind_tx, &r);
	cg_idset_free(&r.touched);
	if (rc != 0)
		return -1;
	pthread_mutex_lock(&s->mu);
	if (r.stop) {
		s->st.stopped = 1;
		snprintf(s->st.reason, sizeof(s->st.reason), "%s", r.reason);
	} else {
		s->st.reorgs++;
		s->st.cursor = r.ancestor + 1;
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* ---- one pass ---------------------------------------------------------- */

/* Headers ascending from `from`, each the child of the one before. */
static int
batch_links(const struct batch *b, uint64_t from)
{
	for (size_t i = 0; i < b->nh; i++) {
		if (b->h[i].height != from + i)
			return 0;
		if (i > 0 && strcmp(b->h[i].parent, b->h[i - 1].hash) != 0)
			return 0;
	}
	return 1;
}

/* Whether the node's block at from - 1 differs from the one we kept. */
static int
tip_moved(struct cg_scanner *s, uint64_t from, const char *expected)
{
	char hash[HASH_MAX + 1];
	size_t len;

	if (cg_plugin_block_hash(s->inst, from - 1, hash, sizeof(hash), &len) != 0)
		return 0;
	return strcmp(hash, expected) != 0;
}

/*
 * The block confirmations count up to: the batch's highest block, but
 * never above the tip the plugin reports (a plugin may report blocks past
 * its confirmed head, e.g. TRON's unsolidified blocks: 0 confirmations).
 */
static uint64_t
confirm_head(uint64_t head, const struct cg_scan_result *res)
{
	return res->tip_height < head ? res->tip_height : head;
}

/* Keeps only the mempool transfers of a batch without blocks. */
static void
keep_mempool(struct batch *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->nx; i++)
		if (b->x[i].t.flags & CG_TRANSFER_MEMPOOL)
			b->x[n++] = b->x[i];
	b->nx = n;
}

static int64_t
scan_once(struct cg_scanner *s, struct cg_db *db, int64_t poll_ms)
{
	struct state state;
	struct batch b;
	struct commit c;
	struct cg_scan_request req;
	struct cg_scan_sink sink;
	struct cg_scan_result res;
	char expected[HASH_MAX + 1] = "", cursor[CURSOR_MAX + 1];
	char **contracts = NULL;
	uint32_t ncontracts = 0;
	uint64_t from, tip = 0;
	int64_t delay = poll_ms;
	int rc;

	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	if ((rc = load_state(s, db, &state)) != 1)
		return poll_ms;
	pthread_mutex_lock(&s->mu);
	s->st.stopped = state.stopped;
	snprintf(s->st.reason, sizeof(s->st.reason), "%s", state.reason);
	pthread_mutex_unlock(&s->mu);
	if (state.stopped)
		return poll_ms;
	if (state.has_cursor) {
		from = state.cursor;
	} else {
		if ((rc = cg_plugin_tip(s->inst, &tip)) != 0) {
			set_error(s, "tip failed", strerror(-rc));
			return poll_ms;
		}
		from = tip > CG_SCAN_START_BACK ? tip - CG_SCAN_START_BACK : 0;
	}
	if (from > 0 && cg_db_query_str(db, expected, sizeof(expected),
	    "SELECT block_hash FROM scanner_blocks WHERE scanner_id = ? AND "
	    "height = ?", "su", s->state_id, from - 1) < 0)
		return poll_ms;
	if (watch_update(&s->watch, db, s->net.id) != 0) {
		set_error(s, "watched addresses", "database error");
		goto out;
	}
	b.watched = &s->watch.set;
	if (load_contracts(db, s->net.id, &contracts, &ncontracts) != 0)
		goto out;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.max_blocks = CG_SCAN_MAX_BLOCKS;
	req.from_height = from;
	req.expected_parent = expected;
	req.cursor = state.cursor_text;
	req.contracts = (const char *const *)contracts;
	req.contract_count = ncontracts;
	req.flags = CG_SCAN_MEMPOOL;
	memset(&sink, 0, sizeof(sink));
	sink.struct_size = sizeof(sink);
	sink.ctx = &b;
	sink.header = sink_header;
	sink.transfer = sink_transfer;
	sink.is_watched = sink_is_watched;
	sink.watched_each = sink_watched_each;
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	cursor[0] = '\0';
	res.cursor = cursor;
	res.cursor_size = sizeof(cursor);

	rc = cg_plugin_scan(s->inst, &req, &sink, &res);
	cursor[sizeof(cursor) - 1] = '\0';
	c.s = s;
	c.b = &b;
	c.now_ms = cg_now_ms();
	if ((rc == -EAGAIN || (rc == 0 && b.nh == 0)) && expected[0] != '\0' &&
	    tip_moved(s, from, expected)) {
		/* A reorg to a chain no longer than ours: no new block, but
		 * the newest one we kept is gone. */
		if (handle_reorg(s, db, from) == 0)
			delay = 0;
		goto out;
	}
	if (rc == -EAGAIN || (rc == 0 && b.nh == 0)) {
		/* No new block: the mempool snapshot, confirmations against
		 * a tip that moved (a confirmed head behind the scanned
		 * blocks), the absence timer and the health. */
		if (rc == 0 && !b.bad && res.next_height == from) {
			keep_mempool(&b);
			c.complete = res.next_height == res.tip_height + 1;
		} else
			b.nx = 0;
		if (!b.bad && res.next_height == from && from > 0) {
			c.confirm = confirm_head(from - 1, &res);
			c.have_confirm = 1;
		}
		rc = cg_db_tx(db, commit_tx, &c);
		if (rc == 0) {
			pthread_mutex_lock(&s->mu);
			s->st.last_scan_ms = s->st.last_success_ms = c.now_ms;
			s->st.cursor = from;
			if (res.tip_height)
				s->st.tip = res.tip_height;
			else if (tip)
				s->st.tip = tip;
			s->st.last_error[0] = '\0';
			pthread_mutex_unlock(&s->mu);
		}
		goto out;
	}
	if (rc == -ENOSYS) {
		/* A network plugin without detection: nothing to scan. */
		pthread_mutex_lock(&s->mu);
		s->st.unsupported = 1;
		pthread_mutex_unlock(&s->mu);
		set_error(s, "scan", "not provided by the plugin");
		delay = 60000;
		goto out;
	}
	if (rc != 0 || b.bad) {
		cg_warn("scanner", "network=%s scan failed rc=%d", s->network, rc);
		set_error(s, "scan failed", rc ? strerror(-rc) :
		    "malformed batch");
		goto out;
	}
	if (b.h[0].height != from ||
	    (expected[0] != '\0' && strcmp(b.h[0].parent, expected) != 0)) {
		if (b.h[0].height == from) {
			if (handle_reorg(s, db, from) == 0)
				delay = 0;
		} else {
			set_error(s, "scan failed", "batch starts elsewhere");
		}
		goto out;
	}
	if (!batch_links(&b, from) || res.next_height != from + b.nh) {
		set_error(s, "scan failed", "headers do not link");
		goto out;
	}
	c.res = &res;
	c.head = b.h[b.nh - 1].height;
	c.have_head = 1;
	c.confirm = confirm_head(c.head, &res);
	c.have_confirm = 1;
	c.complete = res.next_height == res.tip_height + 1;
	rc = cg_db_tx(db, commit_tx, &c);
	if (rc == 0) {
		pthread_mutex_lock(&s->mu);
		s->st.last_scan_ms = s->st.last_success_ms = c.now_ms;
		s->st.cursor = res.next_height;
		s->st.tip = res.tip_height > c.head ? res.tip_height : c.head;
		s->st.batches++;
		s->st.payments += b.nx;
		s->st.last_error[0] = '\0';
		pthread_mutex_unlock(&s->mu);
		if (res.next_height <= res.tip_height)
			delay = 0;     /* catching up */
	} else if (rc == CG_LEASE_LOST || rc == STATE_CHANGED) {
		cg_info("scanner", "network=%s batch dropped (%s)", s->network,
		    rc == CG_LEASE_LOST ? "lease lost" : "state changed");
	} else {
		cg_error("scanner", "network=%s commit failed: %s", s->network,
		    cg_db_error(db));
		set_error(s, "commit failed", cg_db_error(db));
	}
out:
	cg_idset_free(&c.touched);
	free_contracts(contracts, ncontracts);
	batch_free(&b);
	return delay;
}

int64_t
cg_scanner_pass(struct cg_scanner *s, struct cg_db *db)
{
	int64_t poll_ms = 1000, delay;
	int rc;

	if (db == NULL)
		return poll_ms;
	rc = cg_lease_claim(db, s->job, s->owner, LEASE_TTL_MS, &s->lease);
	pthread_mutex_lock(&s->mu);
	s->st.active = rc == 1;
	pthread_mutex_unlock(&s->mu);
	if (rc != 1)
		return poll_ms;
	rc = load_network(s, db, &poll_ms);
	pthread_mutex_lock(&s->mu);
	s->st.known = rc == 1;
	s->st.poll_ms = poll_ms;
	pthread_mutex_unlock(&s->mu);
	if (rc != 1) {
		set_error(s, "network", rc == 0 ? "no active network row with this "
		    "code" : "database error");
		return poll_ms * 4;
	}
	delay = scan_once(s, db, poll_ms);
	publish(s);
	return delay;
}

void
cg_scanner_release(struct cg_scanner *s, struct cg_db *db)
{
	if (db == NULL || s->lease.epoch == 0)
		return;
	if (cg_lease_release(db, &s->lease) == 1)
		cg_info("scanner", "network=%s lease released", s->network);
	s->lease.epoch = 0;
}

/* ---- admin rescan ------------------------------------------------------ */

struct rescan {
	const char *network;
	uint64_t height;
	unsigned uid;
	int64_t now_ms;
	char *err;
	size_t errlen;
	struct cg_idset touched;
};

static int
rescan_tx(struct cg_db *db, void *arg)
{
	struct rescan *r = arg;
	struct cg_stmt *st;
	char id[CG_ID_SIZE], net[CG_ID_SIZE], json[160], endpoint[96];
	int rc;

	cg_idset_free(&r->touched);
	st = cg_db_query(db, "SELECT id, network_id FROM scanner_state WHERE "
	    "instance = ? FOR UPDATE", "s", r->network);
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(id, sizeof(id), "%s", cg_stmt_str(st, 0));
		snprintf(net, sizeof(net), "%s", cg_stmt_str(st, 1));
	}
	cg_stmt_close(st);
	if (rc != 1) {
		snprintf(r->err, r->errlen, "no scanner for network '%s'",
		    r->network);
		return rc < 0 ? CG_DB_ERR : 404;
	}
	if (cg_db_run(db, "DELETE FROM scanner_blocks WHERE scanner_id = ? AND "
	    "height >= ?", "su", id, r->height) < 0)
		return CG_DB_ERR;
	/* Payments at or above the height are found again if still there. */
	if (r->height > 0 && cg_settle_orphan_above(db, net, r->height - 1,
	    r->now_ms, &r->touched) != 0)
		return CG_DB_ERR;
	if (eval_touched(db, &r->touched, r->now_ms) != 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "UPDATE scanner_state SET cursor_height = ?, "
	    "cursor_text = '', stopped = 0, stop_reason = NULL, last_error = NULL, "
	    "version = version + 1, updated_at = ? WHERE id = ?", "uts",
	    r->height, r->now_ms, id) != 1)
		return CG_DB_ERR;
	snprintf(json, sizeof(json), "{\"network\":\"%s\",\"from_height\":%"
	    PRIu64 ",\"uid\":%u}", r->network, r->height, r->uid);
	snprintf(endpoint, sizeof(endpoint), "cgctl scan rescan");
	return cg_settle_audit(db, "CONTROL", "RESCAN", "scanner", id, NULL,
	    NULL, json, endpoint, r->now_ms);
}

int
cg_scanner_rescan(struct cg_db *db, const char *network, uint64_t height,
    unsigned uid, char *err, size_t errlen)
{
	struct rescan r = { network, height, uid, cg_now_ms(), err, errlen,
	    { 0 } };
	int rc;

	err[0] = '\0';
	rc = cg_db_tx(db, rescan_tx, &r);
	cg_idset_free(&r.touched);
	if (rc == 0) {
		cg_warn("scanner", "rescan network=%s from=%" PRIu64 " uid=%u",
		    network, height, uid);
		return 0;
	}
	if (err[0] == '\0')
		snprintf(err, errlen, "database error");
	return -1;
}
