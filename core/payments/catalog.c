#include "payments/catalog.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "plugins/registry.h"
#include "util/clock.h"
#include "util/str.h"

/*
 * Rows found by code are kept CACHE_TTL_MS: invoice creation reads a
 * network and two currencies each time, and these rows change only by
 * hand (SQL, seed), which then applies within that time. Direct-mapped by
 * code; misses are not kept, so a row added shows at once.
 */
#define CACHE_TTL_MS 5000
#define CACHE_SLOTS 64

static struct {
	pthread_mutex_t lock;
	struct net_slot {
		int64_t until;
		struct cg_network_row row;
	} net[CACHE_SLOTS];
	struct cur_slot {
		int64_t until;
		struct cg_currency_row row;
	} cur[CACHE_SLOTS];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t
slot_of(const char *code)
{
	return cg_str_hash(code) % CACHE_SLOTS;
}

/* Copies the slot's row (size bytes, named rowcode) when it is live and
 * its code is code: 1, or 0. */
static int
cache_get(const int64_t *until, const void *row, const char *rowcode,
    const char *code, void *out, size_t size)
{
	int hit;

	pthread_mutex_lock(&cache.lock);
	hit = *until > cg_mono_ms() && strcmp(rowcode, code) == 0;
	if (hit)
		memcpy(out, row, size);
	pthread_mutex_unlock(&cache.lock);
	return hit;
}

static void
cache_put(int64_t *until, void *row, const void *in, size_t size)
{
	pthread_mutex_lock(&cache.lock);
	memcpy(row, in, size);
	*until = cg_mono_ms() + CACHE_TTL_MS;
	pthread_mutex_unlock(&cache.lock);
}

#define NETWORK_COLS "id, code, name, kind, plugin, chain_id, " \
	"confirmations, is_testnet, is_development, status, account_path"

static void
col(const struct cg_stmt *st, unsigned i, char *out, size_t size)
{
	const char *s = cg_stmt_str(st, i);

	snprintf(out, size, "%s", s ? s : "");
}

static int
network_query(struct cg_db *db, const char *sql, const char *arg,
    struct cg_network_row *n)
{
	struct cg_stmt *st = cg_db_query(db, sql, "s", arg);
	int64_t v;
	int rc;

	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		col(st, 0, n->id, sizeof(n->id));
		col(st, 1, n->code, sizeof(n->code));
		col(st, 2, n->name, sizeof(n->name));
		col(st, 3, n->kind, sizeof(n->kind));
		col(st, 4, n->plugin, sizeof(n->plugin));
		n->chain_id = cg_stmt_i64(st, 5, &v) == 0 ? v : -1;
		n->confirmations = cg_stmt_i64(st, 6, &v) == 0 ? v : 0;
		n->testnet = cg_stmt_i64(st, 7, &v) == 0 && v != 0;
		n->development = cg_stmt_i64(st, 8, &v) == 0 && v != 0;
		col(st, 9, n->status, sizeof(n->status));
		col(st, 10, n->account_path, sizeof(n->account_path));
	}
	cg_stmt_close(st);
	return rc;
}

int
cg_catalog_network(struct cg_db *db, const char *code,
    struct cg_network_row *out)
{
	struct net_slot *e = &cache.net[slot_of(code)];
	int rc;

	if (cache_get(&e->until, &e->row, e->row.code, code, out, sizeof(*out)))
		return 1;
	rc = network_query(db, "SELECT " NETWORK_COLS " FROM networks "
	    "WHERE code = ?", code, out);
	if (rc == 1 && strcmp(out->code, code) == 0)
		cache_put(&e->until, &e->row, out, sizeof(*out));
	return rc;
}

int
cg_catalog_network_by_id(struct cg_db *db, const char *id,
    struct cg_network_row *out)
{
	return network_query(db, "SELECT " NETWORK_COLS " FROM networks "
	    "WHERE id = ?", id, out);
}

static int currency_query(struct cg_db *, const char *,
    struct cg_currency_row *);

int
cg_catalog_currency(struct cg_db *db, const char *code,
    struct cg_currency_row *out)
{
	struct cur_slot *e = &cache.cur[slot_of(code)];
	int rc;

	if (cache_get(&e->until, &e->row, e->row.code, code, out, sizeof(*out)))
		return 1;
	rc = currency_query(db, code, out);
	if (rc == 1 && strcmp(out->code, code) == 0)
		cache_put(&e->until, &e->row, out, sizeof(*out));
	return rc;
}

static int
currency_query(struct cg_db *db, const char *code, struct cg_currency_row *c)
{
	struct cg_stmt *st;
	int64_t v;
	int rc;

	st = cg_db_query(db, "SELECT id, code, symbol, kind, network_id, "
	    "contract_address, decimals, status, min_amount, max_amount "
	    "FROM currencies WHERE code = ?", "s", code);
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		col(st, 0, c->id, sizeof(c->id));
		col(st, 1, c->code, sizeof(c->code));
		col(st, 2, c->symbol, sizeof(c->symbol));
		col(st, 3, c->kind, sizeof(c->kind));
		col(st, 4, c->network_id, sizeof(c->network_id));
		col(st, 5, c->contract, sizeof(c->contract));
		c->decimals = cg_stmt_i64(st, 6, &v) == 0 ? (unsigned)v : 0;
		col(st, 7, c->status, sizeof(c->status));
		col(st, 8, c->min_amount, sizeof(c->min_amount));
		col(st, 9, c->max_amount, sizeof(c->max_amount));
	}
	cg_stmt_close(st);
	return rc;
}

struct cg_plugin_instance *
cg_network_plugin(struct cg_plugins *plugins, const char *code)
{
	if (plugins == NULL || code == NULL)
		return NULL;
	return cg_plugins_find(plugins, code, CG_PLUGIN_KIND_NETWORK);
}

int
cg_network_usable(const struct cg_network_row *n, int development)
{
	if (strcmp(n->status, "ACTIVE") != 0)
		return 0;
	return !n->development || development;
}
