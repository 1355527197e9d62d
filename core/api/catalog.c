/*
 * Reference data for merchants: the networks an invoice may use (each
 * with the code an invoice's `network` takes), the currencies, and the
 * exchange rate an invoice would lock now.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "db/db.h"
#include "api/api.h"
#include "api/validate.h"
#include "payments/catalog.h"
#include "payments/invoice_view.h"
#include "payments/module.h"
#include "payments/rates.h"
#include "runtime/daemon.h"
#include "util/clock.h"
#include "util/decimal.h"

/* A network of the list; arg: the daemon's plugins (served or not). */
static json_t *
network_row(struct cg_stmt *st, const void *arg)
{
	struct cg_plugins *plugins = (struct cg_plugins *)(uintptr_t)arg;
	int64_t chain, conf = 0, test = 0, nd = 0, bt;

	cg_stmt_i64(st, 4, &conf);
	cg_stmt_i64(st, 5, &test);
	cg_stmt_i64(st, 7, &nd);
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:b, s:s, s:I, s:o, s:b, "
	    "s:s}", "code", cg_stmt_str(st, 0),
	    "name", cg_stmt_str(st, 1), "kind", cg_stmt_str(st, 2),
	    "chain_id", cg_stmt_i64(st, 3, &chain) == 0 ?
	    json_integer(chain) : json_null(),
	    "confirmations", (json_int_t)conf, "testnet", (int)test,
	    "native_symbol", cg_stmt_str(st, 6),
	    "native_decimals", (json_int_t)nd,
	    "block_time_s", cg_stmt_i64(st, 8, &bt) == 0 ?
	    json_integer(bt) : json_null(),
	    "served", cg_network_plugin(plugins, cg_stmt_str(st, 0)) != NULL,
	    "health", cg_stmt_str(st, 9));
}

static void
networks_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	int dev = cg_api_daemon(call)->cfg->daemon.development;
	struct cg_stmt *st;

	st = cg_db_query(db, "SELECT code, name, kind, chain_id, confirmations, "
	    "is_testnet, native_symbol, native_decimals, block_time_s, "
	    "health_status FROM networks WHERE status = 'ACTIVE' AND "
	    "(is_development = 0 OR ? = 1) ORDER BY display_order, code", "i",
	    (int64_t)(dev != 0));
	cg_api_list_answer(call, db, st, network_row,
	    cg_api_daemon(call)->plugins);
}

static json_t *
currency_row(struct cg_stmt *st, const void *arg)
{
	int64_t dec = 0, stable = 0;

	(void)arg;
	cg_stmt_i64(st, 7, &dec);
	cg_stmt_i64(st, 8, &stable);
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:b, "
	    "s:o, s:o}", "code", cg_stmt_str(st, 0),
	    "symbol", cg_stmt_str(st, 1), "name", cg_stmt_str(st, 2),
	    "kind", cg_stmt_str(st, 3), "network", cg_stmt_str(st, 4),
	    "contract_address", cg_stmt_str(st, 5),
	    "token_standard", cg_stmt_str(st, 6),
	    "decimals", (json_int_t)dec, "stablecoin", (int)stable,
	    "min_amount", cg_amount_json(cg_stmt_str(st, 9), (unsigned)dec),
	    "max_amount", cg_amount_json(cg_stmt_str(st, 10), (unsigned)dec));
}

static void
currencies_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	int dev = cg_api_daemon(call)->cfg->daemon.development;
	struct cg_stmt *st;

	st = cg_db_query(db, "SELECT c.code, c.symbol, c.name, c.kind, n.code, "
	    "c.contract_address, c.token_standard, c.decimals, c.is_stablecoin, "
	    "c.min_amount, c.max_amount FROM currencies c LEFT JOIN networks n "
	    "ON n.id = c.network_id WHERE c.status = 'ACTIVE' AND (n.id IS NULL "
	    "OR (n.status = 'ACTIVE' AND (n.is_development = 0 OR ? = 1))) "
	    "ORDER BY c.display_priority, c.code", "i", (int64_t)(dev != 0));
	cg_api_list_answer(call, db, st, currency_row, NULL);
}

static void
rates_get_sql(struct cg_api_call *call, struct cg_db *db)
{
	const struct cg_config *cfg = cg_api_daemon(call)->cfg;
	const char *cur = cg_api_query(call, "currency");
	const char *vs = cg_api_query(call, "vs");
	struct cg_currency_row a, q;
	struct cg_rate r;
	char iso[32], trimmed[CG_DEC_STRLEN];
	cg_i128 u;
	int ra = 0, rq = 0, rc;
	struct cg_vld v;

	if (cg_vld_begin(&v, "{}", 2, true) != 0)
		return;

	if (cur == NULL || strlen(cur) > 32)
		cg_vld_error(&v, "currency", "required: a currency code (BTC)");
	else if ((ra = cg_catalog_currency(db, cur, &a)) == 1 &&
	    strcmp(a.kind, "FIAT") == 0)
		cg_vld_error(&v, "currency", "must be a crypto currency");
	else if (ra == 0)
		cg_vld_error(&v, "currency", "unknown currency");
	if (vs == NULL || strlen(vs) > 32)
		cg_vld_error(&v, "vs", "required: a fiat currency code (USD)");
	else if ((rq = cg_catalog_currency(db, vs, &q)) == 1 &&
	    strcmp(q.kind, "FIAT") != 0)
		cg_vld_error(&v, "vs", "must be a fiat currency");
	else if (rq == 0)
		cg_vld_error(&v, "vs", "unknown currency");
	if (ra < 0 || rq < 0 || v.nerrors) {
		if (ra < 0 || rq < 0)
			cg_api_set_db_error(call, db);
		else
			cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		return;
	}
	cg_vld_free(&v);
	rc = cg_rates_lookup(db, (const char *const *)cfg->rates.sources,
	    cfg->rates.source_count, cfg->rates.max_age_s, a.id, q.id,
	    cg_now_ms(), &r);
	if (rc < 0) {
		cg_api_set_db_error(call, db);
		return;
	}
	if (rc == 0) {
		cg_api_set_problem(call, 503, "no exchange rate for %s/%s younger than "
		    "%lld s from the configured sources", a.code, q.code,
		    (long long)cfg->rates.max_age_s);
		return;
	}
	cg_time_format_iso(r.observed_ms, iso);
	if (cg_dec_parse(r.price, strlen(r.price), 8, 18, CG_ROUND_EXACT,
	    &u) != 0 || cg_dec_format(u, 8, CG_DEC_TRIM, trimmed,
	    sizeof(trimmed)) < 0)
		snprintf(trimmed, sizeof(trimmed), "%s", r.price);
	cg_api_set_json(call, 200, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "currency",
	    a.code, "vs", q.code, "rate", trimmed, "source", r.source,
	    "observed_at", iso, "max_age_s", (json_int_t)cfg->rates.max_age_s));
}

int
cg_api_catalog_register(struct cg_daemon *d)
{
	/* Only SQL: one pool hop with the authentication. */
	if (cg_api_route_sql(d->api, "GET", "/api/v1/networks",
	    "networks.list", networks_list_sql,
	    CG_API_MERCHANT | CG_API_OPERATOR) != 0 ||
	    cg_api_route_sql(d->api, "GET", "/api/v1/currencies",
	    "currencies.list", currencies_list_sql,
	    CG_API_MERCHANT | CG_API_OPERATOR) != 0 ||
	    cg_api_route_sql(d->api, "GET", "/api/v1/rates", "rates.get",
	    rates_get_sql, CG_API_MERCHANT | CG_API_OPERATOR) != 0)
		return -1;
	return 0;
}
