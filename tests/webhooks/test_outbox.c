/*
 * The outbox producers call (cg_outbox_add) against the seed's merchant:
 * payload shape, the merchant's event selection, the per-invoice URL and
 * selection overrides, notify_webhook off, no URL, and idempotency (a
 * retried producer enqueues an event once).
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../db/testdb.h"
#include "db/db.h"
#include "webhooks/outbox.h"

#define MERCHANT "cseedmerchant000000000000"
#define INVOICE "coutboxinvoice00000000000"

static struct cg_testdb T;
static struct cg_db *DB;

static void
setup(void)
{
	cg_testdb_create_migrated(&T, true);
	DB = cg_testdb_open(&T);
	cr_assert_eq(cg_db_exec(DB,
	    "INSERT INTO invoices (id, merchant_id, amount, currency_id, "
	    "pay_amount, pay_currency_id, network_id, wallet_id, "
	    "address_pool_id, deposit_address, payment_uri, "
	    "confirmations_required, payment_tolerance, expires_at) "
	    "SELECT '" INVOICE "', '" MERCHANT "', 1, c.id, 1, c.id, "
	    "p.network_id, w.id, p.id, p.address, 'bitcoin:x', 1, 0, "
	    "'2030-01-01' FROM address_pools p JOIN wallets w ON "
	    "w.merchant_id = p.merchant_id AND w.network_id = p.network_id "
	    "JOIN currencies c ON c.id = w.currency_id "
	    "WHERE p.id = 'cseedpoolbtc0000000000000' LIMIT 1"), 0,
	    "%s", cg_db_error(DB));
}

static void
teardown(void)
{
	cg_db_close(DB);
	cg_testdb_drop(&T);
}

TestSuite(outbox, .init = setup, .fini = teardown, .timeout = 120);

static int64_t
count(const char *where)
{
	char sql[512];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM webhook_deliveries "
	    "WHERE %s", where);
	cr_assert_eq(cg_db_query_i64(DB, &n, sql, ""), 1);
	return n;
}

static json_t *
invoice(int version)
{
	return json_pack("{s:s, s:s, s:s, s:i}", "id", INVOICE,
	    "status", "settled", "amount", "1.000000000000000000",
	    "version", version);
}

Test(outbox, payload_and_row)
{
	json_t *o = invoice(3), *p;
	char body[4096], url[256];

	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.settled", INVOICE, o,
	    1764559200123), 1);
	json_decref(o);
	cr_assert_eq(cg_db_query_str(DB, body, sizeof(body), "SELECT payload "
	    "FROM webhook_deliveries WHERE invoice_id = ?", "s", INVOICE), 1);
	p = json_loads(body, 0, NULL);
	cr_assert_not_null(p);
	cr_assert_eq(strncmp(json_string_value(json_object_get(p, "id")),
	    "evt_", 4), 0);
	cr_assert_str_eq(json_string_value(json_object_get(p, "type")),
	    "invoice.settled");
	cr_assert_eq(json_integer_value(json_object_get(p, "created")),
	    1764559200);
	cr_assert_str_eq(json_string_value(json_object_get(p, "api_version")),
	    CG_WEBHOOK_API_VERSION);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(p,
	    "data"), "version")), 3);
	json_decref(p);
	cr_assert_eq(cg_db_query_str(DB, url, sizeof(url), "SELECT url FROM "
	    "webhook_deliveries WHERE invoice_id = ?", "s", INVOICE), 1);
	cr_assert_str_eq(url, "http://127.0.0.1:8081/webhooks/cryptic");
	cr_assert_eq(count("status = 'PENDING' AND invoice_version = 3 AND "
	    "attempt_count = 0 AND next_attempt_at = '2025-12-01 03:20:00.123'"
	    " AND max_attempts = 20"), 1);
}

Test(outbox, idempotent_per_event)
{
	json_t *o = invoice(4);

	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.processing", INVOICE,
	    o, 1000), 1);
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.processing", INVOICE,
	    o, 2000), 0, "a retried producer enqueues nothing");
	json_object_set_new(o, "version", json_integer(5));
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.processing", INVOICE,
	    o, 3000), 1, "a new version is a new event");
	json_object_set_new(o, "transaction", json_pack("{s:s}", "id", "tx1"));
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.payment_detected",
	    INVOICE, o, 3000), 1);
	json_object_set_new(o, "transaction", json_pack("{s:s}", "id", "tx2"));
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.payment_detected",
	    INVOICE, o, 3000), 1, "each payment seen is its own event");
	json_decref(o);
	cr_assert_eq(count("1"), 4);
}

Test(outbox, selection_and_overrides)
{
	json_t *o = invoice(1);

	/* The seed selects every invoice event, not wallet.balance_changed. */
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "wallet.balance_changed",
	    NULL, o, 1000), 0);
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.bogus", INVOICE, o,
	    1000), CG_DB_ERR, "unknown types are refused");
	/* The invoice's own selection and URL win. */
	cr_assert_eq(cg_db_run(DB, "UPDATE invoices SET webhook_url = "
	    "'https://shop.example/hook', webhook_events = "
	    "'[\"invoice.expired\"]' WHERE id = ?", "s", INVOICE), 1);
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.settled", INVOICE, o,
	    1000), 0);
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.expired", INVOICE, o,
	    1000), 1);
	cr_assert_eq(count("url = 'https://shop.example/hook'"), 1);
	/* Webhooks off, and no URL at all: nothing. */
	cr_assert_eq(cg_db_run(DB, "UPDATE merchant_settings SET "
	    "notify_webhook = 0 WHERE merchant_id = ?", "s", MERCHANT), 1);
	json_object_set_new(o, "version", json_integer(2));
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "invoice.expired", INVOICE, o,
	    1000), 0);
	cr_assert_eq(cg_db_run(DB, "UPDATE merchant_settings SET "
	    "notify_webhook = 1, webhook_events = NULL WHERE merchant_id = ?",
	    "s", MERCHANT), 1);
	cr_assert_eq(cg_db_run(DB, "UPDATE merchants SET webhook_url = NULL "
	    "WHERE id = ?", "s", MERCHANT), 1);
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "wallet.balance_changed",
	    NULL, o, 1000), 0, "no URL: nothing to send");
	cr_assert_eq(cg_db_run(DB, "UPDATE merchants SET webhook_url = "
	    "'https://m.example/h' WHERE id = ?", "s", MERCHANT), 1);
	cr_assert_eq(cg_outbox_add(DB, MERCHANT, "wallet.balance_changed",
	    NULL, o, 1000), 1, "NULL selection: every event");
	json_decref(o);
	cr_assert_eq(count("1"), 2);
}
