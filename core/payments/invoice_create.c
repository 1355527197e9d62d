#include "payments/invoice_create.h"
#include "webhooks/outbox.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/db.h"
#include "db/pool.h"
#include "payments/pool_fill.h"
#include "payments/catalog.h"
#include "payments/invoice_view.h"
#include "payments/rates.h"
#include "plugins/registry.h"
#include "util/clock.h"
#include "util/decimal.h"
#include "util/log.h"

/* fn results besides 0 and CG_DB_ERR */
#define TX_NO_KEY 3
#define TX_PLUGIN 4
#define TX_POOL_EMPTY 5
/* A dry pool is filled with this many addresses in a short transaction of
 * its own, then creation takes one of them; after FILL_TRIES fills taken by
 * others, creation derives its own address under the counter's lock. */
#define FILL_BATCH 64
#define FILL_TRIES 3

struct plan {
	const struct cg_invoice_env *env;
	const struct cg_invoice_request *req;
	struct cg_invoice_result *res;
	struct cg_network_row net;
	struct cg_currency_row cur, pay;
	struct cg_plugin_instance *plugin;
	char amount[CG_DEC_STRLEN];      /* DECIMAL(36,18) text */
	char pay_amount[CG_DEC_STRLEN];
	char pay_units[CG_DEC_STRLEN];   /* base units for the URI */
	struct cg_rate rate;
	bool has_rate;
	char wallet_id[CG_ID_SIZE];
	char tolerance[16];
	int64_t confirmations;
	int64_t expires_at, monitor_until, now;
	char business[201];
	char id[CG_ID_SIZE];
	json_t *invoice;
	int attempts;                /* of the transaction */
	struct cg_outbox_target hook; /* where invoice.created goes */
	bool derive_in_tx;           /* a dry pool: derive, do not give up */
};

static int fail(struct cg_invoice_result *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void field(struct cg_invoice_result *, const char *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

static int
fail(struct cg_invoice_result *res, int status, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	return status;
}

static void
field(struct cg_invoice_result *res, const char *name, const char *fmt, ...)
{
	struct cg_invoice_field_error *e;
	va_list ap;

	if (res->nerrors == CG_INVOICE_MAX_ERRORS)
		return;
	e = &res->errors[res->nerrors++];
	snprintf(e->field, sizeof(e->field), "%s", name);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* ---- validation (no transaction) -------------------------------------- */

static int
load_refs(struct cg_db *db, struct plan *p)
{
	const struct cg_invoice_request *r = p->req;
	struct cg_invoice_result *res = p->res;
	int rn, rc, rp;

	rn = cg_catalog_network(db, r->network, &p->net);
	rp = cg_catalog_currency(db, r->pay_currency, &p->pay);
	rc = cg_catalog_currency(db, r->currency, &p->cur);
	if (rn < 0 || rp < 0 || rc < 0)
		return fail(res, 500, "database error");
	if (rn == 0 || !cg_network_usable(&p->net, p->env->development))
		field(res, "network", "unknown network \"%s\" (GET "
		    "/api/v1/networks lists them)", r->network);
	if (rp == 0 || strcmp(p->pay.kind, "FIAT") == 0 ||
	    strcmp(p->pay.status, "ACTIVE") != 0)
		field(res, "pay_currency", "unknown crypto currency \"%s\"",
		    r->pay_currency);
	else if (rn == 1 && strcmp(p->pay.network_id, p->net.id) != 0)
		field(res, "pay_currency", "%s is not a currency of network %s",
		    p->pay.code, p->net.code);
	if (rc == 0 || strcmp(p->cur.status, "ACTIVE") != 0)
		field(res, "currency", "unknown currency \"%s\"", r->currency);
	else if (strcmp(p->cur.kind, "FIAT") != 0 && rp == 1 &&
	    strcmp(p->cur.id, p->pay.id) != 0)
		field(res, "currency", "must be a fiat currency or the pay "
		    "currency itself");
	if (res->nerrors)
		return fail(res, 422, "the invoice cannot be created as asked");
	return 0;
}

static int
check_limits(struct plan *p, cg_i128 pay_units)
{
	const char *lim[2] = { p->pay.min_amount, p->pay.max_amount };

	for (int i = 0; i < 2; i++) {
		cg_i128 l;

		if (lim[i][0] == '\0' || cg_amount_parse(lim[i], strlen(lim[i]),
		    p->pay.decimals, &l) != 0)
			continue;
		if (i == 0 ? pay_units < l : pay_units > l) {
			char b[CG_DEC_STRLEN];

			cg_amount_format(l, p->pay.decimals, b, sizeof(b));
			field(p->res, "amount", "the amount to pay must be %s "
			    "%s %s", i == 0 ? "at least" : "at most", b,
			    p->pay.code);
			return fail(p->res, 422, "amount out of range");
		}
	}
	return 0;
}

static int
compute_amounts(struct cg_db *db, struct plan *p)
{
	const struct cg_invoice_env *env = p->env;
	struct cg_invoice_result *res = p->res;
	const char *a = p->req->amount;
	cg_i128 amount, pay, price;
	int rc;

	rc = cg_dec_parse(a, strlen(a), p->cur.decimals,
	    CG_DEC_AMOUNT_PRECISION - CG_DEC_AMOUNT_SCALE + p->cur.decimals,
	    CG_ROUND_STRICT, &amount);
	if (rc != 0 || amount <= 0) {
		field(res, "amount", "must be a positive decimal string with at "
		    "most %u decimals for %s", p->cur.decimals, p->cur.code);
		return fail(res, 422, "bad amount");
	}
	{
		cg_i128 a18;

		/* DECIMAL(36,18) text of the amount asked. */
		if (cg_dec_rescale(amount, p->cur.decimals, CG_DEC_AMOUNT_SCALE,
		    CG_ROUND_EXACT, &a18) != 0 ||
		    cg_dec_format(a18, CG_DEC_AMOUNT_SCALE, 0, p->amount,
		    sizeof(p->amount)) < 0) {
			field(res, "amount", "too large");
			return fail(res, 422, "bad amount");
		}
	}
	if (strcmp(p->cur.kind, "FIAT") != 0) {
		pay = amount;   /* crypto-denominated: no rate */
	} else {
		rc = cg_rates_lookup(db, env->rate_sources,
		    env->rate_source_count, env->rate_max_age_s, p->pay.id,
		    p->cur.id, p->now, &p->rate);
		if (rc < 0)
			return fail(res, 500, "database error");
		if (rc == 0)
			return fail(res, 503, "no exchange rate for %s/%s younger "
			    "than %lld s from the configured sources; the "
			    "invoice was not created, retry later",
			    p->pay.symbol, p->cur.code,
			    (long long)env->rate_max_age_s);
		p->has_rate = true;
		if (cg_dec_parse(p->rate.price, strlen(p->rate.price),
		    CG_DEC_PRICE_SCALE, CG_DEC_PRICE_PRECISION, CG_ROUND_EXACT,
		    &price) != 0)
			return fail(res, 500, "stored rate unreadable");
		/* pay = fiat / price, rounded up: never less than asked. */
		rc = cg_dec_convert(amount, p->cur.decimals, price,
		    CG_DEC_PRICE_SCALE, p->pay.decimals, CG_ROUND_CEIL, &pay);
		if (rc != 0) {
			field(res, "amount", "too large to convert into %s",
			    p->pay.code);
			return fail(res, 422, "bad amount");
		}
	}
	if (pay <= 0) {
		field(res, "amount", "converts to nothing in %s", p->pay.code);
		return fail(res, 422, "bad amount");
	}
	if ((rc = check_limits(p, pay)) != 0)
		return rc;
	cg_amount_format(pay, p->pay.decimals, p->pay_amount,
	    sizeof(p->pay_amount));
	cg_dec_format(pay, 0, 0, p->pay_units, sizeof(p->pay_units));
	return 0;
}

/* Merchant defaults (lifetime, tolerance, confirmations) and the wallet
 * of the pay currency, in one read. */
static int
load_merchant(struct cg_db *db, struct plan *p)
{
	struct cg_stmt *st;
	int64_t expiry_min = 30, late_min = 1440, v;
	const char *over = NULL;
	int rc;

	p->confirmations = p->net.confirmations;
	snprintf(p->tolerance, sizeof(p->tolerance), "0");
	st = cg_db_query(db, "SELECT m.business_name, "
	    "s.invoice_expiry_minutes, s.payment_tolerance, "
	    "s.paid_late_window_minutes, s.confirmations_override, w.id, "
	    CG_OUTBOX_MERCHANT_COLS " FROM merchants m LEFT JOIN merchant_settings s ON "
	    "s.merchant_id = m.id LEFT JOIN wallets w ON w.merchant_id = m.id "
	    "AND w.currency_id = ? AND w.is_active = 1 "
	    "WHERE m.id = ? AND m.deleted_at IS NULL",
	    "ss", p->pay.id, p->req->merchant_id);
	if (st == NULL)
		return fail(p->res, 500, "database error");
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(p->business, sizeof(p->business), "%s",
		    cg_stmt_str(st, 0));
		if (cg_stmt_i64(st, 1, &v) == 0)
			expiry_min = v;
		if (cg_stmt_str(st, 2))
			snprintf(p->tolerance, sizeof(p->tolerance), "%s",
			    cg_stmt_str(st, 2));
		if (cg_stmt_i64(st, 3, &v) == 0)
			late_min = v;
		over = cg_stmt_str(st, 4);
		if (over) {
			/* Merchants may raise a network's confirmations only. */
			json_t *o = json_loads(over, 0, NULL);
			json_t *n = json_object_get(o, p->net.code);

			if (json_is_integer(n) &&
			    json_integer_value(n) > p->confirmations &&
			    json_integer_value(n) < 100000)
				p->confirmations = json_integer_value(n);
			json_decref(o);
		}
		snprintf(p->wallet_id, sizeof(p->wallet_id), "%s",
		    cg_stmt_str(st, 5) ? cg_stmt_str(st, 5) : "");
		cg_outbox_target_read(st, 6, "invoice.created", &p->hook);
	}
	cg_stmt_close(st);
	if (rc != 1)
		return fail(p->res, rc == 0 ? 404 : 500, "no such merchant");
	if (p->wallet_id[0] == '\0') {
		field(p->res, "pay_currency", "no active wallet for %s: register "
		    "one with POST /api/v1/wallets", p->pay.code);
		return fail(p->res, 422, "no wallet for the pay currency");
	}
	if (p->req->expires_in_s > 0)
		p->expires_at = p->now + p->req->expires_in_s * 1000;
	else
		p->expires_at = p->now + expiry_min * 60000;
	p->monitor_until = p->expires_at + late_min * 60000;
	return 0;
}

/* ---- the transaction ----------------------------------------------------- */

static int
take_address(struct cg_db *db, struct plan *p, struct cg_pool_address *a)
{
	struct cg_pool_counter c;
	char path[96];
	size_t len;
	int rc;

	rc = cg_pool_reserve(db, p->req->merchant_id, p->net.id, a);
	if (rc != 0)
		return rc < 0 ? CG_DB_ERR : 0;
	if (!p->derive_in_tx)
		return TX_POOL_EMPTY;
	rc = cg_pool_next_index(db, p->req->merchant_id, p->net.id, &c);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0)
		return TX_NO_KEY;
	if (c.index > INT32_MAX)
		return TX_NO_KEY;
	/* Pure CPU work in the plugin: no network I/O under the lock. */
	if (cg_plugin_derive_address(p->plugin, c.xpub, (uint32_t)c.index,
	    a->address, sizeof(a->address), &len) != 0)
		return TX_PLUGIN;
	if (snprintf(path, sizeof(path), "%s/0/%lld", c.account_path[0] ?
	    c.account_path : "m", (long long)c.index) >= (int)sizeof(a->path))
		return TX_PLUGIN;
	memcpy(a->path, path, sizeof(a->path));
	a->memo[0] = '\0';
	a->index = c.index;
	snprintf(a->counter_id, sizeof(a->counter_id), "%s", c.id);
	if (cg_pool_insert(db, p->req->merchant_id, p->net.id, &c, a->address,
	    NULL, a->path, p->now, a->id) != 0)
		return CG_DB_ERR;
	return 0;
}

static int
insert_outbox(struct cg_db *db, struct plan *p, json_t *inv)
{
	/* The merchant's webhook settings were read with its defaults (a new
	 * invoice has no overrides); the event key makes a retry harmless. */
	return cg_outbox_add_to(db, &p->hook, p->req->merchant_id,
	    "invoice.created", p->id, inv, p->now) < 0 ? CG_DB_ERR : 0;
}

static int
create_tx(struct cg_db *db, void *arg)
{
	struct plan *p = arg;
	const struct cg_invoice_request *r = p->req;
	struct cg_pool_address a;
	struct cg_uri_request uri = { sizeof(uri), 0, NULL, NULL, NULL, NULL,
	    NULL };
	char uribuf[2049], rate_text[CG_DEC_STRLEN];
	int64_t exists = 0;
	int rc;

	json_decref(p->invoice);
	p->invoice = NULL;
	/* On a retry: a COMMIT lost with the connection may have happened,
	 * then the invoice is there and this run only reads it back. */
	if (p->attempts++ > 0 && cg_db_query_i64(db, &exists, "SELECT COUNT(*) "
	    "FROM invoices WHERE id = ?", "s", p->id) < 0)
		return CG_DB_ERR;
	if (exists == 0) {
		if ((rc = take_address(db, p, &a)) != 0)
			return rc;
		uri.decimals = p->pay.decimals;
		uri.address = a.address;
		uri.contract = p->pay.contract[0] ? p->pay.contract : NULL;
		uri.amount = p->pay_units;
		uri.label = p->business[0] ? p->business : NULL;
		if (cg_plugin_payment_uri(p->plugin, &uri, uribuf,
		    sizeof(uribuf), NULL) != 0)
			return TX_PLUGIN;
		rate_text[0] = '\0';
		if (p->has_rate)
			snprintf(rate_text, sizeof(rate_text), "%s",
			    p->rate.price);
		if (cg_db_run(db, "INSERT INTO invoices (id, merchant_id, "
		    "order_id, description, amount, currency_id, pay_amount, "
		    "pay_currency_id, network_id, wallet_id, address_pool_id, "
		    "exchange_rate, rate_source, rate_at, deposit_address, "
		    "deposit_memo, payment_uri, status, payment_tolerance, "
		    "confirmations_required, version, metadata, "
		    "created_by_api_key_id, expires_at, monitor_until, "
		    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, 1, ?, ?, ?, ?, ?, ?)",
		    "ssssssssssssst" "sss" "si" "ss" "tttt", p->id,
		    r->merchant_id, r->order_id, r->description, p->amount,
		    p->cur.id, p->pay_amount, p->pay.id, p->net.id,
		    p->wallet_id, a.id, p->has_rate ? rate_text : NULL,
		    p->has_rate ? p->rate.source : NULL,
		    p->has_rate ? p->rate.observed_ms : (int64_t)-1, a.address,
		    a.memo[0] ? a.memo : NULL, uribuf, p->tolerance,
		    p->confirmations, r->metadata, r->api_key_id, p->expires_at,
		    p->monitor_until, p->now, p->now) != 1)
			return CG_DB_ERR;
		/* Never two invoices on one address: the reserve lock and the
		 * unique address_pool_id both say so; this is the check. */
		if (cg_pool_assign(db, a.id, p->id, p->now) != 1)
			return CG_DB_ERR;
	}
	if (exists == 0) {
		/* The row as just written; a retry reads it back instead. */
		struct cg_invoice_view v = {
			.id = p->id, .status = "new", .network = p->net.code,
			.address = a.address, .memo = a.memo[0] ? a.memo : NULL,
			.payment_uri = uribuf, .amount = p->amount,
			.currency = p->cur.code, .decimals = p->cur.decimals,
			.pay_amount = p->pay_amount, .pay_currency = p->pay.code,
			.pay_decimals = p->pay.decimals,
			.rate = p->has_rate ? rate_text : NULL,
			.rate_source = p->has_rate ? p->rate.source : NULL,
			.rate_at_ms = p->has_rate ? p->rate.observed_ms : -1,
			.expires_at_ms = p->expires_at, .created_at_ms = p->now,
			.order_id = r->order_id, .description = r->description,
			.metadata = r->metadata, .received = "0",
			.confirmed = "0", .version = 1,
			.confirmations = p->confirmations,
			.cancelled_at_ms = -1, .paid_at_ms = -1,
			.settled_at_ms = -1,
		};

		if ((p->invoice = cg_invoice_view_json(&v)) == NULL)
			return CG_DB_ERR;
	} else if (cg_invoice_json(db, r->merchant_id, p->id, &p->invoice) != 1)
		return CG_DB_ERR;
	if (exists == 0 && insert_outbox(db, p, p->invoice) != 0)
		return CG_DB_ERR;
	if (exists == 0 && r->hook != NULL &&
	    r->hook(db, r->hook_arg, p->id, p->invoice) != 0)
		return CG_DB_ERR;
	return 0;
}

static int
fill_tx(struct cg_db *db, void *arg)
{
	struct plan *p = arg;
	struct cg_pool_fill f;
	/* Only when still dry once the counter is ours: creations that
	 * queued behind a fill take its addresses and add none. */
	int rc = cg_pool_fill(db, p->plugin, p->req->merchant_id, p->net.id,
	    1, FILL_BATCH, FILL_BATCH, p->now, &f);

	if (rc == CG_POOL_FILL_NO_KEY)
		return TX_NO_KEY;
	if (rc == CG_POOL_FILL_PLUGIN)
		return TX_PLUGIN;
	return rc == 0 ? 0 : CG_DB_ERR;
}

/* The invoice's transaction; a dry pool is filled first, apart, so that
 * concurrent creations queue on the counter's lock once per FILL_BATCH
 * invoices and not for each. */
static int
run_create(struct cg_db *db, struct plan *p)
{
	int rc;

	for (int fills = 0;; fills++) {
		p->attempts = 0;
		p->derive_in_tx = fills >= FILL_TRIES;
		rc = cg_db_tx(db, create_tx, p);
		if (rc != TX_POOL_EMPTY)
			return rc;
		if ((rc = cg_db_tx(db, fill_tx, p)) != 0)
			return rc;
	}
}

int
cg_invoice_create(struct cg_db *db, const struct cg_invoice_env *env,
    const struct cg_invoice_request *req, struct cg_invoice_result *res)
{
	struct plan *p;
	int rc;

	memset(res, 0, sizeof(*res));
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return fail(res, 500, "out of memory");
	p->env = env;
	p->req = req;
	p->res = res;
	p->now = cg_now_ms();
	if (load_refs(db, p) != 0 || compute_amounts(db, p) != 0 ||
	    load_merchant(db, p) != 0)
		goto out;
	p->plugin = cg_network_plugin(env->plugins, p->net.code);
	if (p->plugin == NULL) {
		fail(res, 503, "network %s is not served by this gateway (no "
		    "plugin instance named %s)", p->net.code, p->net.code);
		goto out;
	}
	if (cg_id_new(p->id) != 0) {
		fail(res, 500, "cannot make an id");
		goto out;
	}
	rc = run_create(db, p);
	switch (rc) {
	case 0:
		res->status = 201;
		res->invoice = p->invoice;
		p->invoice = NULL;
		snprintf(res->invoice_id, sizeof(res->invoice_id), "%s", p->id);
		cg_info("invoices", "created id=%s merchant=%s network=%s "
		    "pay=%s %s", p->id, req->merchant_id, p->net.code,
		    p->pay_amount, p->pay.code);
		break;
	case TX_NO_KEY:
		field(res, "network", "no extended public key registered for "
		    "%s: register a wallet first", p->net.code);
		fail(res, 422, "no deposit address can be made");
		break;
	case TX_PLUGIN:
		fail(res, 503, "the %s plugin could not derive an address or "
		    "payment URI", p->net.code);
		break;
	default:
		fail(res, 503, "database busy or unreachable; the invoice was "
		    "not created, retry");
		break;
	}
out:
	json_decref(p->invoice);
	free(p);
	return res->status;
}
