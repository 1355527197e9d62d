/*
 * Merchant wallets: registration with an account-level extended public
 * key (checked by the network's plugin, answered with the first three
 * addresses it derives so the merchant can compare them with their own
 * wallet), listing, the balance ledger, and auto-withdrawal settings
 * (stored for the withdrawal feature).
 *
 * One key per merchant and network: the wallet's xpub is the network's
 * derivation counter key (address_counters), shared by the network's coin
 * and tokens. Registering a second currency on a network reuses the key
 * already there and refuses a different one (409).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "db/db.h"
#include "db/testkeys.h"
#include "api/api.h"
#include "api/validate.h"
#include "payments/catalog.h"
#include "payments/invoice_view.h"
#include "payments/module.h"
#include "plugins/registry.h"
#include "runtime/daemon.h"
#include "util/clock.h"
#include "util/decimal.h"

#define FIRST_ADDRESSES 3

static const char wallet_select[] =
	"SELECT w.id, c.code, n.code, w.xpub, w.account_path, "
	"w.confirmed_balance, w.pending_balance, w.locked_balance, "
	"w.auto_withdraw_enabled, w.auto_withdraw_address, "
	"w.auto_withdraw_threshold, w.low_balance_threshold, w.is_active, "
	"w.created_at, w.updated_at, c.decimals, w.version FROM wallets w "
	"JOIN currencies c ON c.id = w.currency_id JOIN networks n ON "
	"n.id = w.network_id ";

static json_t *
wallet_row_json(const struct cg_stmt *st)
{
	int64_t dec = 0, ae = 0, act = 0, ver = 0;
	const char *addr = cg_stmt_str(st, 9);

	cg_stmt_i64(st, 15, &dec);
	cg_stmt_i64(st, 8, &ae);
	cg_stmt_i64(st, 12, &act);
	cg_stmt_i64(st, 16, &ver);
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:o, s:o, s:o, "
	    "s:{s:b, s:s?, s:o}, s:o, s:b, s:I, s:o, s:o}",
	    "id", cg_stmt_str(st, 0), "object", "wallet",
	    "currency", cg_stmt_str(st, 1), "network", cg_stmt_str(st, 2),
	    "xpub", cg_stmt_str(st, 3), "account_path", cg_stmt_str(st, 4),
	    "confirmed_balance", cg_amount_json(cg_stmt_str(st, 5),
	    (unsigned)dec),
	    "pending_balance", cg_amount_json(cg_stmt_str(st, 6), (unsigned)dec),
	    "locked_balance", cg_amount_json(cg_stmt_str(st, 7), (unsigned)dec),
	    "auto_withdraw", "enabled", (int)ae, "address", addr,
	    "threshold", cg_amount_json(cg_stmt_str(st, 10), (unsigned)dec),
	    "low_balance_threshold", cg_amount_json(cg_stmt_str(st, 11),
	    (unsigned)dec),
	    "active", (int)act, "version", (json_int_t)ver,
	    "created_at", cg_time_json(cg_stmt_str(st, 13)),
	    "updated_at", cg_time_json(cg_stmt_str(st, 14)));
}

/* 1 and *out, 0 none, -1 error. */
static int
wallet_json(struct cg_db *db, const char *merchant_id, const char *id,
    json_t **out)
{
	char sql[sizeof(wallet_select) + 64];
	struct cg_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql), "%sWHERE w.id = ? AND w.merchant_id = ?",
	    wallet_select);
	st = cg_db_query(db, sql, "ss", id, merchant_id);
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1 && (*out = wallet_row_json(st)) == NULL)
		rc = -1;
	cg_stmt_close(st);
	return rc;
}

/* ---- register --------------------------------------------------------- */

struct reg {
	struct cg_api_call *call;
	struct cg_network_row net;
	struct cg_currency_row cur;
	const char *xpub;
	const char *path;
	char addr[FIRST_ADDRESSES][129];
	char id[CG_ID_SIZE];
	int64_t now;
};

#define REG_OTHER_KEY 2
#define REG_EXISTS 3

/* The answer: the wallet and the first addresses its key derives. */
static int
register_answer(struct cg_db *db, struct reg *r)
{
	json_t *w = NULL, *first = json_array();
	const char *mid = cg_api_merchant_id(r->call);

	if (wallet_json(db, mid, r->id, &w) != 1) {
		json_decref(first);
		return CG_DB_ERR;
	}
	for (int i = 0; i < FIRST_ADDRESSES; i++) {
		char p[96];

		snprintf(p, sizeof(p), "%s/0/%d", r->path ? r->path : "m", i);
		json_array_append_new(first, json_pack("{s:i, s:s, s:s}",
		    "index", i, "path", p, "address", r->addr[i]));
	}
	json_object_set_new(w, "first_addresses", first);
	return cg_api_audit_reply(db, r->call, mid, "CREATE", "wallet", r->id,
	    NULL, w, 201);
}

static int
register_tx(struct cg_db *db, void *arg)
{
	struct reg *r = arg;
	const char *mid = cg_api_merchant_id(r->call);
	char have[256] = "", cid[CG_ID_SIZE], loc[64];
	int rc;

	/* One key per merchant and network: the counter row is its home. */
	rc = cg_db_query_str(db, have, sizeof(have), "SELECT xpub FROM "
	    "address_counters WHERE merchant_id = ? AND network_id = ? FOR "
	    "UPDATE", "ss", mid, r->net.id);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 1 && strcmp(have, r->xpub) != 0)
		return REG_OTHER_KEY;
	if (rc == 0 && (cg_id_new(cid) != 0 || cg_db_run(db, "INSERT INTO "
	    "address_counters (id, merchant_id, network_id, xpub, "
	    "account_path, next_index, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, 0, ?, ?)", "sssss" "tt", cid, mid, r->net.id,
	    r->xpub, r->path, r->now, r->now) != 1))
		return CG_DB_ERR;
	if (cg_db_run(db, "INSERT INTO wallets (id, merchant_id, currency_id, "
	    "network_id, xpub, account_path, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", "ssssss" "tt", r->id, mid, r->cur.id,
	    r->net.id, r->xpub, r->path, r->now, r->now) != 1)
		return cg_db_err_duplicate(cg_db_errno(db)) ? REG_EXISTS :
		    CG_DB_ERR;
	if (register_answer(db, r) != 0)
		return CG_DB_ERR;
	snprintf(loc, sizeof(loc), "/api/v1/wallets/%s", r->id);
	cg_api_add_header(r->call, "Location", loc);
	return cg_api_idem_save(db, r->call, "wallet", r->id);
}

/* Catalog checks of the body: 0, or -1 with the answer set. */
static int
register_refs(struct cg_api_call *call, struct cg_db *db, struct reg *r,
    struct cg_vld *v, const char *cur, const char *net)
{
	int dev = cg_api_daemon(call)->cfg->daemon.development;
	int rn, rc;

	rn = cg_catalog_network(db, net, &r->net);
	rc = cg_catalog_currency(db, cur, &r->cur);
	if (rn < 0 || rc < 0) {
		cg_api_set_db_error(call, db);
		return -1;
	}
	if (rn == 0 || !cg_network_usable(&r->net, dev))
		cg_vld_error(v, "network", "unknown network");
	if (rc == 0)
		cg_vld_error(v, "currency", "unknown currency");
	else if (rn == 1 && strcmp(r->cur.network_id, r->net.id) != 0)
		cg_vld_error(v, "currency", "%s is not a currency of network %s",
		    r->cur.code, r->net.code);
	if (v->nerrors) {
		cg_api_set_vld_errors(call, v);
		return -1;
	}
	return 0;
}

/* The network plugin checks the key (version bytes, depth, checksum) and
 * derives the first addresses; a publicly known test key is refused on a
 * mainnet outside development. 0, or -1 with the answer set. */
static int
register_key(struct cg_api_call *call, struct reg *r, struct cg_vld *v)
{
	struct cg_daemon *d = cg_api_daemon(call);
	struct cg_plugin_instance *pl = cg_network_plugin(d->plugins,
	    r->net.code);
	char err[256];

	if (pl == NULL) {
		cg_api_set_problem(call, 503, "Network %s is not served by this "
		    "gateway.", r->net.code);
		return -1;
	}
	if (cg_plugin_check_xpub(pl, r->xpub) != 0)
		cg_vld_error(v, "xpub", "not an account-level extended public "
		    "key for %s (version bytes, depth 3, checksum)", r->net.code);
	else if (cg_testkey_guard(d->cfg->daemon.development != 0,
	    r->net.testnet != 0, r->xpub, err, sizeof(err)) != 0)
		cg_vld_error(v, "xpub", "%s", err);
	if (v->nerrors) {
		cg_api_set_vld_errors(call, v);
		return -1;
	}
	for (uint32_t i = 0; i < FIRST_ADDRESSES; i++)
		if (cg_plugin_derive_address(pl, r->xpub, i, r->addr[i],
		    sizeof(r->addr[i]), NULL) != 0) {
			cg_api_set_problem(call, 503, "The %s plugin cannot "
			    "derive from this key.", r->net.code);
			return -1;
		}
	return 0;
}

static void
wallet_register_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct reg r = { .call = call, .now = cg_now_ms() };
	const char *cur = NULL, *net = NULL;
	struct cg_vld v;
	int rc;

	if (cg_api_parse_body(call, &v, false) != 0)
		return;
	cg_vld_str(&v, "currency", CG_VLD_REQUIRED, 1, 32, &cur);
	cg_vld_str(&v, "network", CG_VLD_REQUIRED, 1, 32, &net);
	cg_vld_str(&v, "xpub", CG_VLD_REQUIRED, 1, 200, &r.xpub);
	cg_vld_str(&v, "account_path", 0, 1, 64, &r.path);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		goto out;
	}
	if (register_refs(call, db, &r, &v, cur, net) != 0 ||
	    register_key(call, &r, &v) != 0)
		goto out;
	if (r.path == NULL && r.net.account_path[0])
		r.path = r.net.account_path;
	if (cg_id_new(r.id) != 0) {
		cg_api_set_problem(call, 500, "Cannot make an id.");
		goto out;
	}
	rc = cg_db_tx(db, register_tx, &r);
	if (rc == REG_OTHER_KEY) {
		cg_vld_error(&v, "xpub", "this merchant already derives %s "
		    "addresses from another key", r.net.code);
		cg_api_set_problem(call, 409, "One key per merchant and network: "
		    "this merchant already derives %s addresses from another "
		    "key.", r.net.code);
	} else if (rc == REG_EXISTS)
		cg_api_set_problem(call, 409, "A wallet for %s exists already.",
		    r.cur.code);
	else if (rc != 0)
		cg_api_set_db_error(call, db);
out:
	cg_vld_free(&v);
}

static json_t *
wallet_row(struct cg_stmt *st, const void *arg)
{
	(void)arg;
	return wallet_row_json(st);
}

static void
wallet_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	char sql[sizeof(wallet_select) + 96];
	struct cg_stmt *st;

	snprintf(sql, sizeof(sql), "%sWHERE w.merchant_id = ? ORDER BY "
	    "c.display_priority, c.code", wallet_select);
	st = cg_db_query(db, sql, "s", cg_api_merchant_id(call));
	cg_api_list_answer(call, db, st, wallet_row, NULL);
}

static json_t *
posting_json(const struct cg_stmt *st, unsigned dec, int64_t *version)
{
	cg_stmt_i64(st, 1, version);
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o}", "id", cg_stmt_str(st, 0),
	    "wallet_version", (json_int_t)*version,
	    "bucket", cg_stmt_str(st, 2), "change_type", cg_stmt_str(st, 3),
	    "move_kind", cg_stmt_str(st, 4),
	    "amount", cg_amount_json(cg_stmt_str(st, 5), dec),
	    "balance_before", cg_amount_json(cg_stmt_str(st, 6), dec),
	    "balance_after", cg_amount_json(cg_stmt_str(st, 7), dec),
	    "transaction_id", cg_api_str_json(cg_stmt_str(st, 8)),
	    "invoice_id", cg_api_str_json(cg_stmt_str(st, 9)),
	    "description", cg_api_str_json(cg_stmt_str(st, 10)),
	    "created_at", cg_api_time_json(cg_stmt_str(st, 11)));
}

/* The ledger is totally ordered by wallet_version: newest first, and the
 * page cursor carries (wallet_version, id) in the API's cursor format. */
static void
wallet_history_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *id = cg_api_param(call, "id");
	const char *mid = cg_api_merchant_id(call);
	struct cg_api_page pg;
	struct cg_stmt *st;
	int64_t dec = 0, v;
	int rc;

	if (id == NULL || !cg_id_valid(id) || cg_db_query_i64(db, &dec,
	    "SELECT c.decimals FROM wallets w JOIN currencies c ON c.id = "
	    "w.currency_id WHERE w.id = ? AND w.merchant_id = ?", "ss", id,
	    mid) != 1) {
		cg_api_set_not_found(call, "wallet");
		return;
	}
	if (cg_api_page_parse(call, &pg) != 0)
		return;
	st = cg_db_query(db, "SELECT id, wallet_version, bucket, change_type, "
	    "move_kind, amount, balance_before, balance_after, transaction_id, "
	    "invoice_id, description, created_at FROM balance_history WHERE "
	    "wallet_id = ? AND merchant_id = ? AND wallet_version < ? "
	    "ORDER BY wallet_version DESC LIMIT ?", "ssii", id, mid,
	    pg.has_cursor ? pg.after_ms : INT64_MAX, (int64_t)pg.limit + 1);
	if (st == NULL) {
		cg_api_set_db_error(call, db);
		return;
	}
	while ((rc = cg_stmt_fetch(st)) == 1) {
		json_t *o = posting_json(st, (unsigned)dec, &v);

		if (cg_api_page_add(&pg, v, cg_stmt_str(st, 0), o) == 0)
			break;
	}
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(pg.data);
		cg_api_set_db_error(call, db);
		return;
	}
	cg_api_set_json(call, 200, cg_api_page_result(&pg));
}

/* ---- auto-withdrawal settings ----------------------------------------- */

struct patch {
	struct cg_api_call *call;
	const char *id;
	int en, act, addr, thr, low;        /* CG_VLD_* results */
	bool enabled, active;
	const char *address;
	char threshold[CG_DEC_STRLEN], low_balance[CG_DEC_STRLEN];
};

#define PATCH_NOT_FOUND 2
#define PATCH_INCOMPLETE 3

static int
given(int r)
{
	return r == CG_VLD_SET || r == CG_VLD_NULL;
}

/* One statement keeps each column or takes its new value ("? = 1" marks
 * a column as given); the CHECK that an enabled auto-withdrawal has an
 * address and a threshold rolls an incomplete change back. */
static int
patch_tx(struct cg_db *db, void *arg)
{
	struct patch *p = arg;
	const char *mid = cg_api_merchant_id(p->call);
	json_t *before = NULL, *w = NULL;
	int64_t n;

	/* The wallet as it was, for the audit entry (0: answered below). */
	if (wallet_json(db, mid, p->id, &before) < 0)
		return CG_DB_ERR;
	n = cg_db_run(db, "UPDATE wallets SET "
	    "auto_withdraw_enabled = IF(? = 1, ?, auto_withdraw_enabled), "
	    "is_active = IF(? = 1, ?, is_active), "
	    "auto_withdraw_address = IF(? = 1, ?, auto_withdraw_address), "
	    "auto_withdraw_threshold = IF(? = 1, ?, auto_withdraw_threshold), "
	    "low_balance_threshold = IF(? = 1, ?, low_balance_threshold), "
	    "updated_at = ? WHERE id = ? AND merchant_id = ?",
	    "ii" "ii" "is" "is" "is" "tss",
	    (int64_t)given(p->en), (int64_t)p->enabled,
	    (int64_t)given(p->act), (int64_t)p->active,
	    (int64_t)given(p->addr), p->addr == CG_VLD_SET ? p->address : NULL,
	    (int64_t)given(p->thr), p->thr == CG_VLD_SET ? p->threshold : NULL,
	    (int64_t)given(p->low), p->low == CG_VLD_SET ? p->low_balance :
	    NULL, cg_now_ms(), p->id, mid);
	if (n <= 0 || wallet_json(db, mid, p->id, &w) != 1) {
		json_decref(before);
		/* 4025: a CHECK constraint refused the row. */
		if (n < 0)
			return cg_db_errno(db) == 4025 ? PATCH_INCOMPLETE :
			    CG_DB_ERR;
		return n == 0 ? PATCH_NOT_FOUND : CG_DB_ERR;
	}
	return cg_api_audit_reply(db, p->call, mid, "UPDATE", "wallet", p->id,
	    before, w, 200);
}

/* A decimal setting at the currency's decimals, as DECIMAL(36,18) text. */
static int
patch_decimal(struct cg_vld *v, const char *field, unsigned dec, char *out)
{
	cg_i128 u;
	int r = cg_vld_decimal(v, field, CG_VLD_NULLABLE, dec, 18 + dec, false,
	    &u);

	if (r == CG_VLD_SET && (cg_dec_rescale(u, dec, 18, CG_ROUND_EXACT,
	    &u) != 0 || cg_dec_format(u, 18, 0, out, CG_DEC_STRLEN) < 0)) {
		cg_vld_error(v, field, "too large");
		return CG_VLD_BAD;
	}
	return r;
}

static void
wallet_patch_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct patch p = { .call = call, .id = cg_api_param(call, "id") };
	char net[33] = "", canon[129];
	struct cg_plugin_instance *pl;
	struct cg_vld v;
	int64_t dec = 0;
	int rc;

	if (p.id == NULL || !cg_id_valid(p.id) || cg_db_query_i64(db, &dec,
	    "SELECT c.decimals FROM wallets w JOIN currencies c ON c.id = "
	    "w.currency_id WHERE w.id = ? AND w.merchant_id = ?", "ss", p.id,
	    cg_api_merchant_id(call)) != 1 || cg_db_query_str(db, net,
	    sizeof(net), "SELECT n.code FROM wallets w JOIN networks n ON "
	    "n.id = w.network_id WHERE w.id = ?", "s", p.id) != 1) {
		cg_api_set_not_found(call, "wallet");
		return;
	}
	if (cg_api_parse_body(call, &v, false) != 0)
		return;
	p.en = cg_vld_bool(&v, "auto_withdraw_enabled", 0, &p.enabled);
	p.act = cg_vld_bool(&v, "active", 0, &p.active);
	p.addr = cg_vld_str(&v, "auto_withdraw_address", CG_VLD_NULLABLE, 1,
	    128, &p.address);
	p.thr = patch_decimal(&v, "auto_withdraw_threshold", (unsigned)dec,
	    p.threshold);
	p.low = patch_decimal(&v, "low_balance_threshold", (unsigned)dec,
	    p.low_balance);
	pl = cg_network_plugin(cg_api_daemon(call)->plugins, net);
	if (p.addr == CG_VLD_SET && pl != NULL) {
		/* The plugin says whether it is an address, and its form. */
		rc = cg_plugin_validate_address(pl, p.address, canon,
		    sizeof(canon), NULL);
		if (rc == 0)
			p.address = canon;
		else if (rc != -ENOSYS)
			cg_vld_error(&v, "auto_withdraw_address", "not a valid %s "
			    "address", net);
	}
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		goto out;
	}
	rc = cg_db_tx(db, patch_tx, &p);
	if (rc == PATCH_INCOMPLETE) {
		cg_vld_error(&v, "auto_withdraw_enabled", "needs "
		    "auto_withdraw_address and auto_withdraw_threshold");
		cg_api_set_vld_errors(call, &v);
	} else if (rc == PATCH_NOT_FOUND)
		cg_api_set_not_found(call, "wallet");
	else if (rc != 0)
		cg_api_set_db_error(call, db);
out:
	cg_vld_free(&v);
}

int
cg_api_wallets_register(struct cg_daemon *d)
{
	struct cg_api *api = d->api;

	if (cg_api_route_sql(api, "POST", "/api/v1/wallets", "wallets.create",
	    wallet_register_sql, CG_API_MERCHANT | CG_API_IDEMPOTENT) != 0 ||
	    cg_api_route_sql(api, "GET", "/api/v1/wallets", "wallets.list",
	    wallet_list_sql, CG_API_MERCHANT) != 0 ||
	    cg_api_route_sql(api, "GET", "/api/v1/wallets/{id}/history",
	    "wallets.history", wallet_history_sql, CG_API_MERCHANT) != 0 ||
	    cg_api_route_sql(api, "PATCH", "/api/v1/wallets/{id}",
	    "wallets.update", wallet_patch_sql, CG_API_MERCHANT) != 0)
		return -1;
	return 0;
}
