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
#include "http/server.h"
#include "payments/catalog.h"
#include "payments/httpglue.h"
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
	struct cg_pay_call *c;
	struct cg_network_row net;
	struct cg_currency_row cur;
	const char *xpub;
	const char *path;
	char id[CG_ID_SIZE];
	int64_t now;
};

#define REG_OTHER_KEY 2
#define REG_EXISTS 3

static int
register_tx(struct cg_db *db, void *arg)
{
	struct reg *r = arg;
	struct cg_pay_call *c = r->c;
	char have[256] = "", cid[CG_ID_SIZE], aid[CG_ID_SIZE];
	int rc;

	rc = cg_db_query_str(db, have, sizeof(have), "SELECT xpub FROM "
	    "address_counters WHERE merchant_id = ? AND network_id = ? FOR "
	    "UPDATE", "ss", c->merchant_id, r->net.id);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 1 && strcmp(have, r->xpub) != 0)
		return REG_OTHER_KEY;
	if (rc == 0) {
		if (cg_id_new(cid) != 0 || cg_db_run(db, "INSERT INTO "
		    "address_counters (id, merchant_id, network_id, xpub, "
		    "account_path, next_index, created_at, updated_at) VALUES "
		    "(?, ?, ?, ?, ?, 0, ?, ?)", "sssss" "tt", cid,
		    c->merchant_id, r->net.id, r->xpub, r->path, r->now,
		    r->now) != 1)
			return CG_DB_ERR;
	}
	if (cg_db_run(db, "INSERT INTO wallets (id, merchant_id, currency_id, "
	    "network_id, xpub, account_path, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", "ssssss" "tt", r->id, c->merchant_id,
	    r->cur.id, r->net.id, r->xpub, r->path, r->now, r->now) != 1)
		return cg_db_err_duplicate(cg_db_errno(db)) ? REG_EXISTS :
		    CG_DB_ERR;
	if (cg_id_new(aid) != 0 || cg_db_run(db, "INSERT INTO audit_logs (id, "
	    "merchant_id, api_key_id, actor_type, action, entity_type, "
	    "entity_id, new_values, ip_address, endpoint, http_method, "
	    "request_id, created_at) VALUES (?, ?, ?, 'API_KEY', 'CREATE', "
	    "'wallet', ?, JSON_OBJECT('currency', ?, 'network', ?, 'xpub', ?), "
	    "?, '/api/v1/wallets', 'POST', ?, ?)", "sssssssss" "t", aid,
	    c->merchant_id, c->api_key_id, r->id, r->cur.code, r->net.code,
	    r->xpub, c->ip, cg_http_req_id(c->req), r->now) != 1)
		return CG_DB_ERR;
	return 0;
}

static const char *const register_fields[] = { "currency", "network",
	"xpub", "account_path", NULL };

static const char *
str_field(struct cg_pay_call *c, json_t *o, const char *name, size_t max,
    int required)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL || json_is_null(v)) {
		if (required)
			cg_pay_field(c, name, "required");
		return NULL;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		cg_pay_field(c, name, "a string of 1 to %zu characters", max);
		return NULL;
	}
	return json_string_value(v);
}

static void
wallet_register(struct cg_pay_call *c, struct cg_db *db)
{
	struct reg r = { .c = c, .now = cg_now_ms() };
	struct cg_plugin_instance *pl = NULL;
	const char *cur, *net;
	char err[256], addr[FIRST_ADDRESSES][129];
	json_t *o, *first, *w = NULL;
	int rn = 0, rcur = 0, rc;

	if ((o = cg_pay_body(c, register_fields)) == NULL)
		return;
	cur = str_field(c, o, "currency", 32, 1);
	net = str_field(c, o, "network", 32, 1);
	r.xpub = str_field(c, o, "xpub", 200, 1);
	r.path = str_field(c, o, "account_path", 64, 0);
	if (net && ((rn = cg_catalog_network(db, net, &r.net)) == 0 ||
	    (rn == 1 && !cg_network_usable(&r.net, c->d->cfg->daemon.development))))
		cg_pay_field(c, "network", "unknown network");
	if (cur && (rcur = cg_catalog_currency(db, cur, &r.cur)) == 0)
		cg_pay_field(c, "currency", "unknown currency");
	else if (rcur == 1 && rn == 1 && strcmp(r.cur.network_id, r.net.id))
		cg_pay_field(c, "currency", "%s is not a currency of network %s",
		    r.cur.code, r.net.code);
	if (rn < 0 || rcur < 0) {
		cg_pay_error(c, 503, "database error");
		goto out;
	}
	if (c->nfields) {
		cg_pay_error(c, 422, "the wallet request is not valid");
		goto out;
	}
	if (r.path == NULL)
		r.path = r.net.account_path[0] ? r.net.account_path : NULL;
	pl = cg_network_plugin(c->d->plugins, r.net.code);
	if (pl == NULL) {
		cg_pay_error(c, 503, "network %s is not served by this gateway",
		    r.net.code);
		goto out;
	}
	if (cg_plugin_check_xpub(pl, r.xpub) != 0) {
		cg_pay_field(c, "xpub", "not an account-level extended public "
		    "key for %s (version bytes, depth 3, checksum)", r.net.code);
		cg_pay_error(c, 422, "the key does not fit the network");
		goto out;
	}
	if (cg_testkey_guard(c->d->cfg->daemon.development != 0,
	    r.net.testnet != 0, r.xpub, err, sizeof(err)) != 0) {
		cg_pay_field(c, "xpub", "%s", err);
		cg_pay_error(c, 422, "a publicly known test key on a mainnet");
		goto out;
	}
	for (uint32_t i = 0; i < FIRST_ADDRESSES; i++)
		if (cg_plugin_derive_address(pl, r.xpub, i, addr[i],
		    sizeof(addr[i]), NULL) != 0) {
			cg_pay_error(c, 503, "the %s plugin cannot derive from "
			    "this key", r.net.code);
			goto out;
		}
	if (cg_id_new(r.id) != 0) {
		cg_pay_error(c, 500, "cannot make an id");
		goto out;
	}
	rc = cg_db_tx(db, register_tx, &r);
	if (rc == REG_OTHER_KEY) {
		cg_pay_field(c, "xpub", "this merchant already derives %s "
		    "addresses from another key", r.net.code);
		cg_pay_error(c, 409, "one key per merchant and network");
		goto out;
	}
	if (rc == REG_EXISTS) {
		cg_pay_error(c, 409, "a wallet for %s exists already",
		    r.cur.code);
		goto out;
	}
	if (rc != 0 || wallet_json(db, c->merchant_id, r.id, &w) != 1) {
		cg_pay_error(c, 503, "database busy; retry");
		goto out;
	}
	first = json_array();
	for (int i = 0; i < FIRST_ADDRESSES; i++)
		json_array_append_new(first, json_pack("{s:i, s:s, s:s}",
		    "index", i, "path", "", "address", addr[i]));
	if (r.path) {
		size_t i;
		json_t *e;

		json_array_foreach(first, i, e) {
			char p[96];

			snprintf(p, sizeof(p), "%s/0/%zu", r.path, i);
			json_object_set_new(e, "path", json_string(p));
		}
	}
	json_object_set_new(w, "first_addresses", first);
	c->reply = w;
	c->status = 201;
	snprintf(c->location, sizeof(c->location), "/api/v1/wallets/%s", r.id);
out:
	json_decref(o);
}

static void
wallet_list(struct cg_pay_call *c, struct cg_db *db)
{
	char sql[sizeof(wallet_select) + 96];
	struct cg_stmt *st;
	json_t *data;
	int rc;

	snprintf(sql, sizeof(sql), "%sWHERE w.merchant_id = ? ORDER BY "
	    "c.display_priority, c.code", wallet_select);
	st = cg_db_query(db, sql, "s", c->merchant_id);
	if (st == NULL) {
		cg_pay_error(c, 503, "database error");
		return;
	}
	data = json_array();
	while ((rc = cg_stmt_fetch(st)) == 1)
		json_array_append_new(data, wallet_row_json(st));
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(data);
		cg_pay_error(c, 503, "database error");
		return;
	}
	c->reply = json_pack("{s:s, s:o}", "object", "list", "data", data);
	c->status = 200;
}

static void
wallet_history(struct cg_pay_call *c, struct cg_db *db)
{
	const char *id = cg_http_req_param(c->req, "id");
	char cur_id[CG_ID_SIZE] = "", next[96] = "";
	int64_t cur_v = -1, dec = 0;
	int limit, has_cursor, n = 0, rc;
	struct cg_stmt *st;
	json_t *data;

	if (id == NULL || !cg_id_valid(id) || cg_db_query_i64(db, &dec,
	    "SELECT c.decimals FROM wallets w JOIN currencies c ON c.id = "
	    "w.currency_id WHERE w.id = ? AND w.merchant_id = ?", "ss", id,
	    c->merchant_id) != 1) {
		cg_pay_error(c, 404, "no such wallet");
		return;
	}
	if (cg_pay_page(c, &limit, &cur_v, cur_id, &has_cursor) != 0)
		return;
	/* The ledger is totally ordered by wallet_version: newest first. */
	st = cg_db_query(db, "SELECT id, wallet_version, bucket, change_type, "
	    "move_kind, amount, balance_before, balance_after, transaction_id, "
	    "invoice_id, description, created_at FROM balance_history WHERE "
	    "wallet_id = ? AND merchant_id = ? AND wallet_version < ? "
	    "ORDER BY wallet_version DESC, id DESC LIMIT ?", "ssii", id,
	    c->merchant_id, has_cursor ? cur_v : INT64_MAX,
	    (int64_t)limit + 1);
	if (st == NULL) {
		cg_pay_error(c, 503, "database error");
		return;
	}
	data = json_array();
	while ((rc = cg_stmt_fetch(st)) == 1) {
		int64_t v = 0;

		if (n++ == limit)
			break;
		cg_stmt_i64(st, 1, &v);
		json_array_append_new(data, json_pack("{s:s, s:I, s:s, s:s, s:s, "
		    "s:o, s:o, s:o, s:s?, s:s?, s:s?, s:o}",
		    "id", cg_stmt_str(st, 0), "wallet_version", (json_int_t)v,
		    "bucket", cg_stmt_str(st, 2), "change_type", cg_stmt_str(st, 3),
		    "move_kind", cg_stmt_str(st, 4),
		    "amount", cg_amount_json(cg_stmt_str(st, 5), (unsigned)dec),
		    "balance_before", cg_amount_json(cg_stmt_str(st, 6),
		    (unsigned)dec),
		    "balance_after", cg_amount_json(cg_stmt_str(st, 7),
		    (unsigned)dec),
		    "transaction_id", cg_stmt_str(st, 8),
		    "invoice_id", cg_stmt_str(st, 9),
		    "description", cg_stmt_str(st, 10),
		    "created_at", cg_time_json(cg_stmt_str(st, 11))));
		cg_pay_cursor(v, cg_stmt_str(st, 0), next, sizeof(next));
	}
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(data);
		cg_pay_error(c, 503, "database error");
		return;
	}
	c->reply = json_pack("{s:s, s:o, s:b, s:s?}", "object", "list", "data",
	    data, "has_more", n > limit, "next_cursor",
	    n > limit ? next : NULL);
	c->status = 200;
}

/* ---- auto-withdrawal settings ----------------------------------------- */

static const char *const patch_fields[] = { "auto_withdraw_enabled",
	"auto_withdraw_address", "auto_withdraw_threshold",
	"low_balance_threshold", "active", NULL };

/* A threshold: absent (keep), null (clear) or a decimal string >= 0 with at
 * most `dec` decimals, written as DECIMAL(36,18) text into out. */
static int
threshold(struct cg_pay_call *c, json_t *o, const char *name, unsigned dec,
    char *out, size_t size, int *set)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	cg_i128 u;

	*set = v != NULL;
	if (v == NULL || json_is_null(v)) {
		out[0] = '\0';
		return 0;
	}
	s = json_string_value(v);
	if (s == NULL || cg_dec_parse(s, strlen(s), dec, 18 + dec,
	    CG_ROUND_STRICT, &u) != 0 || u < 0) {
		cg_pay_field(c, name, "a decimal string >= 0 with at most %u "
		    "decimals", dec);
		return -1;
	}
	/* DECIMAL(36,18) text from units at scale dec. */
	if (cg_dec_rescale(u, dec, 18, CG_ROUND_EXACT, &u) != 0 ||
	    cg_dec_format(u, 18, 0, out, size) < 0)
		return -1;
	return 0;
}

struct patch {
	struct cg_pay_call *c;
	json_t *o;
	const char *id, *addr, *thr, *low;
	int set_addr, set_thr, set_low;
};

#define PATCH_NOT_FOUND 2
#define PATCH_INCOMPLETE 3

/* One statement keeps each column or takes its new value ("? = 1" marks
 * a column as given); the check after it rolls an incomplete
 * auto-withdrawal back. */
static int
patch_tx(struct cg_db *db, void *arg)
{
	struct patch *p = arg;
	json_t *en = json_object_get(p->o, "auto_withdraw_enabled");
	json_t *act = json_object_get(p->o, "active");
	int64_t n, now = cg_now_ms();

	n = cg_db_run(db, "UPDATE wallets SET "
	    "auto_withdraw_enabled = IF(? = 1, ?, auto_withdraw_enabled), "
	    "is_active = IF(? = 1, ?, is_active), "
	    "auto_withdraw_address = IF(? = 1, ?, auto_withdraw_address), "
	    "auto_withdraw_threshold = IF(? = 1, ?, auto_withdraw_threshold), "
	    "low_balance_threshold = IF(? = 1, ?, low_balance_threshold), "
	    "updated_at = ? WHERE id = ? AND merchant_id = ?",
	    "ii" "ii" "is" "is" "is" "tss",
	    (int64_t)(en != NULL), (int64_t)json_is_true(en),
	    (int64_t)(act != NULL), (int64_t)json_is_true(act),
	    (int64_t)p->set_addr, p->addr, (int64_t)p->set_thr, p->thr,
	    (int64_t)p->set_low, p->low, now, p->id, p->c->merchant_id);
	/* 4025: the CHECK that an enabled auto-withdrawal is complete. */
	if (n < 0)
		return cg_db_errno(db) == 4025 ? PATCH_INCOMPLETE : CG_DB_ERR;
	if (n == 0)
		return PATCH_NOT_FOUND;
	if (cg_db_query_i64(db, &n, "SELECT COUNT(*) FROM wallets WHERE id = ? "
	    "AND auto_withdraw_enabled = 1 AND (auto_withdraw_address IS NULL "
	    "OR auto_withdraw_threshold IS NULL)", "s", p->id) < 0)
		return CG_DB_ERR;
	return n > 0 ? PATCH_INCOMPLETE : 0;
}

static void
wallet_patch(struct cg_pay_call *c, struct cg_db *db)
{
	const char *id = cg_http_req_param(c->req, "id");
	char net[33] = "", thr[CG_DEC_STRLEN], low[CG_DEC_STRLEN], canon[129];
	int set_thr, set_low, rc, set_addr;
	json_t *o = NULL, *v;
	const char *addr = NULL;
	int64_t dec = 0;
	struct patch p;

	if (id == NULL || !cg_id_valid(id) || cg_db_query_i64(db, &dec,
	    "SELECT c.decimals FROM wallets w JOIN currencies c ON c.id = "
	    "w.currency_id WHERE w.id = ? AND w.merchant_id = ?", "ss", id,
	    c->merchant_id) != 1 || cg_db_query_str(db, net, sizeof(net),
	    "SELECT n.code FROM wallets w JOIN networks n ON n.id = "
	    "w.network_id WHERE w.id = ?", "s", id) != 1) {
		cg_pay_error(c, 404, "no such wallet");
		return;
	}
	if ((o = cg_pay_body(c, patch_fields)) == NULL)
		return;
	v = json_object_get(o, "auto_withdraw_enabled");
	if (v && !json_is_boolean(v))
		cg_pay_field(c, "auto_withdraw_enabled", "true or false");
	v = json_object_get(o, "active");
	if (v && !json_is_boolean(v))
		cg_pay_field(c, "active", "true or false");
	v = json_object_get(o, "auto_withdraw_address");
	set_addr = v != NULL;
	if (v && !json_is_null(v)) {
		struct cg_plugin_instance *pl = cg_network_plugin(c->d->plugins,
		    net);

		addr = json_string_value(v);
		if (addr == NULL || strlen(addr) > 128)
			cg_pay_field(c, "auto_withdraw_address", "an address");
		else if (pl != NULL) {
			rc = cg_plugin_validate_address(pl, addr, canon,
			    sizeof(canon), NULL);
			if (rc == 0)
				addr = canon;
			else if (rc != -ENOSYS)
				cg_pay_field(c, "auto_withdraw_address",
				    "not a valid %s address", net);
		}
	}
	threshold(c, o, "auto_withdraw_threshold", (unsigned)dec, thr,
	    sizeof(thr), &set_thr);
	threshold(c, o, "low_balance_threshold", (unsigned)dec, low,
	    sizeof(low), &set_low);
	if (c->nfields) {
		cg_pay_error(c, 422, "the wallet settings are not valid");
		goto out;
	}
	p.c = c;
	p.o = o;
	p.id = id;
	p.addr = addr;
	p.set_addr = set_addr;
	p.thr = set_thr ? (thr[0] ? thr : NULL) : NULL;
	p.set_thr = set_thr;
	p.low = set_low ? (low[0] ? low : NULL) : NULL;
	p.set_low = set_low;
	rc = cg_db_tx(db, patch_tx, &p);
	if (rc == PATCH_INCOMPLETE) {
		cg_pay_field(c, "auto_withdraw_enabled", "needs "
		    "auto_withdraw_address and auto_withdraw_threshold");
		cg_pay_error(c, 422, "auto-withdrawal is incomplete");
		goto out;
	}
	if (rc != 0) {
		cg_pay_error(c, rc == PATCH_NOT_FOUND ? 404 : 503,
		    rc == PATCH_NOT_FOUND ? "no such wallet" : "database error");
		goto out;
	}
	if (wallet_json(db, c->merchant_id, id, &c->reply) != 1) {
		cg_pay_error(c, 503, "database error");
		goto out;
	}
	c->status = 200;
out:
	json_decref(o);
}

int
cg_api_wallets_register(struct cg_daemon *d)
{
	if (cg_pay_route(d, "POST", "/api/v1/wallets", "wallets.create",
	    wallet_register) != 0 ||
	    cg_pay_route(d, "GET", "/api/v1/wallets", "wallets.list",
	    wallet_list) != 0 ||
	    cg_pay_route(d, "GET", "/api/v1/wallets/{id}/history",
	    "wallets.history", wallet_history) != 0 ||
	    cg_pay_route(d, "PATCH", "/api/v1/wallets/{id}", "wallets.update",
	    wallet_patch) != 0)
		return -1;
	return 0;
}
