#include "payments/settle.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/db.h"
#include "db/ledger.h"
#include "payments/invoice_cache.h"
#include "payments/invoice_view.h"
#include "webhooks/outbox.h"
#include "util/clock.h"
#include "util/decimal.h"
#include "util/log.h"

/* Payload format of the events this module writes. */
/* Late payments to an expired invoice without monitor_until are counted
 * for this long after the deadline. */
#define SETTLE_LATE_WINDOW_MS (24 * 3600 * 1000LL)

#define COUNTED_MATCH "('MATCHED', 'LATE')"
#define COUNTED_STATUS "('PENDING', 'CONFIRMED', 'ORPHANED')"

int
cg_idset_add(struct cg_idset *s, const char *id)
{
	size_t i;

	if (id == NULL || *id == '\0')
		return 0;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->ids, cap * sizeof(*s->ids));

		if (p == NULL)
			return -1;
		s->ids = p;
		s->cap = cap;
	}
	snprintf(s->ids[s->n++], CG_ID_SIZE, "%s", id);
	return 0;
}

void
cg_idset_free(struct cg_idset *s)
{
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

/* "1.500000000000000000" → "1.5" (DECIMAL text to an event's amount). */
static void
trim_decimal(const char *in, char *out, size_t outlen)
{
	size_t n;

	snprintf(out, outlen, "%s", in ? in : "0");
	if (strchr(out, '.') == NULL)
		return;
	n = strlen(out);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

static json_t *
json_time(const struct cg_stmt *st, unsigned col)
{
	int64_t ms;
	char buf[32];

	if (cg_stmt_is_null(st, col) || cg_stmt_time_ms(st, col, &ms) != 0)
		return json_null();
	cg_time_format_iso(ms, buf);
	return json_string(buf);
}

static json_t *
json_amount(const struct cg_stmt *st, unsigned col)
{
	char buf[64];

	if (cg_stmt_is_null(st, col))
		return json_null();
	trim_decimal(cg_stmt_str(st, col), buf, sizeof(buf));
	return json_string(buf);
}

int
cg_settle_audit(struct cg_db *db, const char *actor, const char *action,
    const char *entity_type, const char *entity_id, const char *merchant_id,
    const char *old_json, const char *new_json, const char *endpoint,
    int64_t now_ms)
{
	char id[CG_ID_SIZE];

	if (cg_id_new(id) != 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "INSERT INTO audit_logs (id, merchant_id, actor_type, "
	    "action, entity_type, entity_id, old_values, new_values, endpoint, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssssssst", id,
	    merchant_id, actor, action, entity_type, entity_id, old_json,
	    new_json, endpoint, now_ms) != 1)
		return CG_DB_ERR;
	return 0;
}

/* The stored position: a transaction's own value transfer is -1, so it
 * never meets a log or output index of the same transaction. */
static int64_t
tx_position(const struct cg_scan_transfer *t)
{
	return t->position == CG_TRANSFER_POSITION_VALUE ? -1 :
	    (int64_t)t->position;
}

/* ---- outbox ------------------------------------------------------------ */

static json_t *
transaction_object(struct cg_db *db, const char *tx_id)
{
	struct cg_stmt *st;
	json_t *o = NULL;

	st = cg_db_query(db, "SELECT t.id, t.tx_hash, t.tx_position, t.amount, "
	    "t.block_height, t.confirmations, t.status, t.block_time, "
	    "t.to_address FROM transactions t WHERE t.id = ?", "s", tx_id);
	if (st == NULL)
		return NULL;
	if (cg_stmt_fetch(st) == 1) {
		int64_t pos = 0, conf = 0, height = 0;

		cg_stmt_i64(st, 2, &pos);
		cg_stmt_i64(st, 5, &conf);
		o = json_pack("{s:s, s:s, s:I, s:o, s:o, s:I, s:s, s:o, s:s}",
		    "id", cg_stmt_str(st, 0), "tx_hash", cg_stmt_str(st, 1),
		    "position", (json_int_t)pos, "amount", json_amount(st, 3),
		    "block_height", cg_stmt_i64(st, 4, &height) == 0 ?
		    json_integer(height) : json_null(),
		    "confirmations", (json_int_t)conf, "status",
		    cg_stmt_str(st, 6), "block_time", json_time(st, 7),
		    "address", cg_stmt_str(st, 8));
	}
	cg_stmt_close(st);
	return o;
}

/*
 * One merchant event for an invoice, through the webhooks outbox (same
 * transaction). key makes it unique: a retried or repeated evaluation
 * enqueues nothing twice. The data object is the API's Invoice (with the
 * payment under "transaction" when there is one); the outbox skips
 * merchants without a URL or who did not select the event.
 */
static int
emit_invoice_event(struct cg_db *db, const char *invoice_id, const char *type,
    const char *key, const char *tx_id, int64_t now_ms)
{
	char merchant[CG_ID_SIZE];
	json_t *inv = NULL;
	int rc;

	if (cg_db_query_str(db, merchant, sizeof(merchant), "SELECT merchant_id "
	    "FROM invoices WHERE id = ?", "s", invoice_id) != 1)
		return CG_DB_ERR;
	if (cg_invoice_json(db, merchant, invoice_id, &inv) != 1)
		return CG_DB_ERR;
	if (tx_id != NULL) {
		json_t *tx = transaction_object(db, tx_id);

		if (tx == NULL) {
			json_decref(inv);
			return CG_DB_ERR;
		}
		json_object_set_new(inv, "transaction", tx);
	}
	rc = cg_outbox_add_keyed(db, merchant, type, invoice_id, key, inv,
	    now_ms, NULL);
	json_decref(inv);
	return rc < 0 ? CG_DB_ERR : 0;
}

/* wallet.balance_changed after a posting (same transaction). */
static int
emit_wallet_event(struct cg_db *db, const char *merchant_id,
    const char *wallet_id, const char *invoice_id, const char *tx_id,
    const char *move, int64_t now_ms)
{
	struct cg_stmt *st;
	json_t *wallet;
	char key[192];
	int64_t version = 0;
	int rc;

	st = cg_db_query(db, "SELECT w.id, c.code, w.confirmed_balance, "
	    "w.pending_balance, w.version FROM wallets w JOIN currencies c ON "
	    "c.id = w.currency_id WHERE w.id = ? AND w.merchant_id = ?", "ss",
	    wallet_id, merchant_id);
	if (st == NULL)
		return CG_DB_ERR;
	if (cg_stmt_fetch(st) != 1) {
		cg_stmt_close(st);
		return CG_DB_ERR;
	}
	cg_stmt_i64(st, 4, &version);
	wallet = json_pack("{s:s, s:s, s:o, s:o, s:I, s:s, s:s, s:s}",
	    "id", cg_stmt_str(st, 0), "currency", cg_stmt_str(st, 1),
	    "confirmed_balance", json_amount(st, 2),
	    "pending_balance", json_amount(st, 3), "version", (json_int_t)version,
	    "invoice_id", invoice_id, "transaction_id", tx_id, "move", move);
	cg_stmt_close(st);
	if (wallet == NULL)
		return CG_DB_ERR;
	snprintf(key, sizeof(key), "wallet.balance_changed:%s:%s:%s", wallet_id,
	    tx_id, move);
	rc = cg_outbox_add_keyed(db, merchant_id, "wallet.balance_changed",
	    invoice_id, key, wallet, now_ms, NULL);
	json_decref(wallet);
	return rc < 0 ? CG_DB_ERR : 0;
}

/* ---- postings ---------------------------------------------------------- */

/* Posts one payment move; 1 when written, 0 when it was already posted,
 * CG_DB_ERR otherwise. Writes its audit entry and outbox event. */
static int
post_move(struct cg_db *db, const char *merchant_id, const char *wallet_id,
    const char *invoice_id, const char *tx_id, const struct cg_posting *p,
    size_t n, int64_t now_ms)
{
	char json[512];
	int rc;

	rc = cg_ledger_post(db, merchant_id, wallet_id, p, n, now_ms);
	if (rc == CG_LEDGER_DUPLICATE)
		return 0;
	if (rc != 0) {
		cg_error("settle", "posting failed wallet=%s tx=%s move=%s rc=%d",
		    wallet_id, tx_id, p[0].move_kind, rc);
		return CG_DB_ERR;
	}
	snprintf(json, sizeof(json), "{\"wallet_id\":\"%s\",\"transaction_id\":"
	    "\"%s\",\"move\":\"%s\",\"bucket\":\"%s\",\"amount\":\"%s\"}",
	    wallet_id, tx_id, p[0].move_kind, p[n - 1].bucket, p[n - 1].amount);
	if (cg_settle_audit(db, "SYSTEM", "POST", "wallet", wallet_id,
	    merchant_id, NULL, json, "settlement", now_ms) != 0)
		return CG_DB_ERR;
	if (emit_wallet_event(db, merchant_id, wallet_id, invoice_id, tx_id,
	    p[0].move_kind, now_ms) != 0)
		return CG_DB_ERR;
	return 1;
}

struct counted {
	char id[CG_ID_SIZE];
	char amount[48];
	int confirmed;
};

static int
load_counted(struct cg_db *db, const char *invoice_id, struct counted **out,
    size_t *n)
{
	struct cg_stmt *st;
	struct counted *v = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	st = cg_db_query(db, "SELECT id, amount, status FROM transactions "
	    "WHERE invoice_id = ? AND match_status IN " COUNTED_MATCH
	    " AND status IN " COUNTED_STATUS " AND amount > 0 ORDER BY id",
	    "s", invoice_id);
	if (st == NULL)
		return CG_DB_ERR;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		if (*n == cap) {
			void *p;

			cap = cap ? cap * 2 : 8;
			if ((p = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = -1;
				break;
			}
			v = p;
		}
		snprintf(v[*n].id, sizeof(v[*n].id), "%s", cg_stmt_str(st, 0));
		snprintf(v[*n].amount, sizeof(v[*n].amount), "%s",
		    cg_stmt_str(st, 1));
		v[*n].confirmed = strcmp(cg_stmt_str(st, 2), "CONFIRMED") == 0;
		(*n)++;
	}
	cg_stmt_close(st);
	if (rc < 0) {
		free(v);
		*n = 0;
		return CG_DB_ERR;
	}
	*out = v;
	return 0;
}

/*
 * Postings of an invoice's counted payments: SEEN for each, CONFIRMED for
 * each confirmed one (each at most once: the ledger's unique key). The ids
 * of payments seen for the first time go to fresh (for their events).
 */
static int
post_payments(struct cg_db *db, const char *merchant_id, const char *wallet_id,
    const char *invoice_id, struct cg_idset *fresh, int64_t now_ms)
{
	struct counted *v = NULL;
	size_t n, i;
	int rc = 0;

	if (load_counted(db, invoice_id, &v, &n) != 0)
		return CG_DB_ERR;
	for (i = 0; i < n && rc >= 0; i++) {
		char neg[56];
		struct cg_posting seen = { "PENDING", "DEPOSIT", "SEEN",
		    v[i].amount, v[i].id, invoice_id, NULL, "payment seen" };
		struct cg_posting conf[2] = {
			{ "PENDING", "DEPOSIT", "CONFIRMED", neg, v[i].id,
			  invoice_id, NULL, "payment confirmed" },
			{ "CONFIRMED", "DEPOSIT", "CONFIRMED", v[i].amount,
			  v[i].id, invoice_id, NULL, "payment confirmed" },
		};

		snprintf(neg, sizeof(neg), "-%s", v[i].amount);
		rc = post_move(db, merchant_id, wallet_id, invoice_id, v[i].id,
		    &seen, 1, now_ms);
		if (rc == 1 && cg_idset_add(fresh, v[i].id) != 0)
			rc = CG_DB_ERR;
		if (rc >= 0 && v[i].confirmed)
			rc = post_move(db, merchant_id, wallet_id, invoice_id,
			    v[i].id, conf, 2, now_ms);
	}
	free(v);
	return rc < 0 ? CG_DB_ERR : 0;
}

/* ---- invoice evaluation ------------------------------------------------ */

struct inv_row {
	char merchant[CG_ID_SIZE];
	char wallet[CG_ID_SIZE];
	char status[24];
	int paid_over, paid_late;
	char received[48], confirmed[48];
	int64_t count;
};

static int
lock_invoice(struct cg_db *db, const char *invoice_id, struct inv_row *r)
{
	struct cg_stmt *st;
	int rc;

	st = cg_db_query(db, "SELECT merchant_id, wallet_id, status, paid_over, "
	    "paid_late, amount_received, amount_confirmed, payment_count "
	    "FROM invoices WHERE id = ? FOR UPDATE", "s", invoice_id);
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(r->merchant, sizeof(r->merchant), "%s", cg_stmt_str(st, 0));
		snprintf(r->wallet, sizeof(r->wallet), "%s", cg_stmt_str(st, 1));
		snprintf(r->status, sizeof(r->status), "%s", cg_stmt_str(st, 2));
		r->paid_over = strcmp(cg_stmt_str(st, 3), "1") == 0;
		r->paid_late = strcmp(cg_stmt_str(st, 4), "1") == 0;
		snprintf(r->received, sizeof(r->received), "%s", cg_stmt_str(st, 5));
		snprintf(r->confirmed, sizeof(r->confirmed), "%s",
		    cg_stmt_str(st, 6));
		cg_stmt_i64(st, 7, &r->count);
	}
	cg_stmt_close(st);
	return rc < 0 ? CG_DB_ERR : rc;
}

static bool
status_open(const char *s)
{
	return strcmp(s, "new") == 0 || strcmp(s, "partially_paid") == 0 ||
	    strcmp(s, "processing") == 0 || strcmp(s, "settled") == 0;
}

int
cg_settle_invoice(struct cg_db *db, const char *invoice_id, int64_t now_ms)
{
	struct inv_row r;
	struct cg_stmt *st;
	struct cg_idset fresh = { 0 };
	char received[48], confirmed[48], status[24], key[192];
	char oldj[256], newj[256];
	int64_t count = 0, late = 0, enough = 0, enough_conf = 0, over = 0;
	bool changed, status_changed;
	size_t i;
	int rc;

	if ((rc = lock_invoice(db, invoice_id, &r)) != 1)
		return rc == 0 ? 0 : CG_DB_ERR;
	if (post_payments(db, r.merchant, r.wallet, invoice_id, &fresh,
	    now_ms) != 0)
		goto fail;
	/* Totals from the payments; comparisons in exact DECIMAL. */
	st = cg_db_query(db, "SELECT COALESCE(SUM(t.amount), 0), "
	    "COALESCE(SUM(IF(t.status = 'CONFIRMED', t.amount, 0)), 0), "
	    "COUNT(t.id), COALESCE(MAX(t.match_status = 'LATE'), 0), "
	    "COALESCE(SUM(t.amount), 0) >= "
	    "i.pay_amount - i.pay_amount * i.payment_tolerance, "
	    "COALESCE(SUM(IF(t.status = 'CONFIRMED', t.amount, 0)), 0) >= "
	    "i.pay_amount - i.pay_amount * i.payment_tolerance, "
	    "COALESCE(SUM(t.amount), 0) > i.pay_amount "
	    "FROM invoices i LEFT JOIN transactions t ON t.invoice_id = i.id "
	    "AND t.match_status IN " COUNTED_MATCH " AND t.status IN "
	    COUNTED_STATUS " WHERE i.id = ? GROUP BY i.id", "s", invoice_id);
	if (st == NULL)
		goto fail;
	if (cg_stmt_fetch(st) != 1) {
		cg_stmt_close(st);
		goto fail;
	}
	snprintf(received, sizeof(received), "%s", cg_stmt_str(st, 0));
	snprintf(confirmed, sizeof(confirmed), "%s", cg_stmt_str(st, 1));
	cg_stmt_i64(st, 2, &count);
	cg_stmt_i64(st, 3, &late);
	cg_stmt_i64(st, 4, &enough);
	cg_stmt_i64(st, 5, &enough_conf);
	cg_stmt_i64(st, 6, &over);
	cg_stmt_close(st);

	snprintf(status, sizeof(status), "%s", r.status);
	if (status_open(r.status)) {
		if (enough_conf)
			snprintf(status, sizeof(status), "settled");
		else if (enough)
			snprintf(status, sizeof(status), "processing");
		else if (count > 0)
			snprintf(status, sizeof(status), "partially_paid");
		else
			snprintf(status, sizeof(status), "new");
	}
	status_changed = strcmp(status, r.status) != 0;
	changed = status_changed || strcmp(received, r.received) != 0 ||
	    strcmp(confirmed, r.confirmed) != 0 || count != r.count ||
	    (over != 0) != r.paid_over || (late != 0 || r.paid_late) != r.paid_late;
	if (!changed) {
		cg_idset_free(&fresh);
		return 0;
	}
	cg_invoice_changed(db, invoice_id);
	if (cg_db_run(db, "UPDATE invoices SET status = ?, paid_over = ?, "
	    "paid_late = paid_late OR ?, amount_received = ?, "
	    "amount_confirmed = ?, payment_count = ?, version = version + 1, "
	    "first_seen_at = IF(? > 0, COALESCE(first_seen_at, ?), first_seen_at), "
	    "paid_at = IF(? IN ('processing', 'settled'), COALESCE(paid_at, ?), "
	    "paid_at), settled_at = IF(? = 'settled', COALESCE(settled_at, ?), "
	    "settled_at), updated_at = ? WHERE id = ?", "siissiitststts", status,
	    over != 0 ? (int64_t)1 : (int64_t)0, late != 0 ? (int64_t)1 :
	    (int64_t)0, received, confirmed, count, count, now_ms, status, now_ms,
	    status, now_ms, now_ms, invoice_id) != 1)
		goto fail;
	snprintf(oldj, sizeof(oldj), "{\"status\":\"%s\",\"amount_received\":"
	    "\"%s\",\"amount_confirmed\":\"%s\"}", r.status, r.received,
	    r.confirmed);
	snprintf(newj, sizeof(newj), "{\"status\":\"%s\",\"amount_received\":"
	    "\"%s\",\"amount_confirmed\":\"%s\"}", status, received, confirmed);
	if (cg_settle_audit(db, "SYSTEM", "UPDATE", "invoice", invoice_id,
	    r.merchant, oldj, newj, "settlement", now_ms) != 0)
		goto fail;
	for (i = 0; i < fresh.n; i++) {
		snprintf(key, sizeof(key), "%s:invoice.payment_detected:%s",
		    invoice_id, fresh.ids[i]);
		if (emit_invoice_event(db, invoice_id, "invoice.payment_detected",
		    key, fresh.ids[i], now_ms) != 0)
			goto fail;
	}
	/* One event per (invoice, status) ever: a shallow reorg that moves
	 * the invoice back and forth does not make it flap. */
	/* Settled implies processing was reached (perhaps within one batch):
	 * its event first, so a later step back emits nothing. */
	if (status_changed && strcmp(status, "settled") == 0) {
		snprintf(key, sizeof(key), "%s:invoice.processing", invoice_id);
		if (emit_invoice_event(db, invoice_id, "invoice.processing", key,
		    NULL, now_ms) != 0)
			goto fail;
	}
	if (status_changed && strcmp(status, "new") != 0) {
		char type[48];

		snprintf(type, sizeof(type), "invoice.%s", status);
		snprintf(key, sizeof(key), "%s:%s", invoice_id, type);
		if (emit_invoice_event(db, invoice_id, type, key, NULL,
		    now_ms) != 0)
			goto fail;
	}
	if (late != 0 && !r.paid_late) {
		snprintf(key, sizeof(key), "%s:invoice.paid_late", invoice_id);
		if (emit_invoice_event(db, invoice_id, "invoice.paid_late", key,
		    NULL, now_ms) != 0)
			goto fail;
	}
	cg_idset_free(&fresh);
	return 0;
fail:
	cg_idset_free(&fresh);
	return CG_DB_ERR;
}

int
cg_settle_expire(struct cg_db *db, const char *invoice_id, int64_t now_ms)
{
	struct inv_row r;
	char key[192], oldj[128];
	int rc;

	if ((rc = lock_invoice(db, invoice_id, &r)) != 1)
		return rc == 0 ? 0 : CG_DB_ERR;
	if (strcmp(r.status, "new") != 0 && strcmp(r.status, "partially_paid") != 0)
		return 0;
	cg_invoice_changed(db, invoice_id);
	if (cg_db_run(db, "UPDATE invoices SET status = 'expired', "
	    "paid_partial = (amount_received > 0), expired_at = ?, "
	    "version = version + 1, updated_at = ? WHERE id = ?", "tts", now_ms,
	    now_ms, invoice_id) != 1)
		return CG_DB_ERR;
	snprintf(oldj, sizeof(oldj), "{\"status\":\"%s\"}", r.status);
	if (cg_settle_audit(db, "SYSTEM", "UPDATE", "invoice", invoice_id,
	    r.merchant, oldj, "{\"status\":\"expired\"}", "expiry", now_ms) != 0)
		return CG_DB_ERR;
	snprintf(key, sizeof(key), "%s:invoice.expired", invoice_id);
	return emit_invoice_event(db, invoice_id, "invoice.expired", key, NULL,
	    now_ms);
}

/* ---- recording payments ------------------------------------------------ */

struct asset {
	char currency[CG_ID_SIZE];
	int64_t decimals;
};

static int
find_asset(struct cg_db *db, const char *network_id, const char *contract,
    struct asset *a)
{
	struct cg_stmt *st;
	int rc;

	if (contract[0] == '\0')
		st = cg_db_query(db, "SELECT id, decimals FROM currencies WHERE "
		    "network_id = ? AND kind = 'COIN' ORDER BY display_priority "
		    "LIMIT 1", "s", network_id);
	else
		st = cg_db_query(db, "SELECT id, decimals FROM currencies WHERE "
		    "network_id = ? AND contract_address = ? LIMIT 1", "ss",
		    network_id, contract);
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(a->currency, sizeof(a->currency), "%s", cg_stmt_str(st, 0));
		cg_stmt_i64(st, 1, &a->decimals);
	}
	cg_stmt_close(st);
	return rc < 0 ? CG_DB_ERR : rc;
}

struct known {
	char id[CG_ID_SIZE];
	char status[24];
	char hash[132];
	char invoice[CG_ID_SIZE];
	char match[24];
};

/* The payment row of t's identity, locked. 1 found, 0 none, CG_DB_ERR. */
static int
find_known(struct cg_db *db, const char *network_id,
    const struct cg_scan_transfer *t, struct known *k)
{
	struct cg_stmt *st;
	int rc;

	st = cg_db_query(db, "SELECT id, status, COALESCE(block_hash, ''), "
	    "COALESCE(invoice_id, ''), match_status FROM transactions "
	    "WHERE network_id = ? AND tx_hash = ? AND tx_position = ? FOR UPDATE",
	    "ssi", network_id, t->tx_hash, tx_position(t));
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(k->id, sizeof(k->id), "%s", cg_stmt_str(st, 0));
		snprintf(k->status, sizeof(k->status), "%s", cg_stmt_str(st, 1));
		snprintf(k->hash, sizeof(k->hash), "%s", cg_stmt_str(st, 2));
		snprintf(k->invoice, sizeof(k->invoice), "%s", cg_stmt_str(st, 3));
		snprintf(k->match, sizeof(k->match), "%s", cg_stmt_str(st, 4));
	}
	cg_stmt_close(st);
	return rc < 0 ? CG_DB_ERR : rc;
}

static bool
match_counted(const char *m)
{
	return strcmp(m, "MATCHED") == 0 || strcmp(m, "LATE") == 0;
}

/*
 * A payment seen again: in a (new) block, or still in the mempool. A
 * transaction re-mined in another block is the same payment with a new
 * block (identity: network, hash, position): nothing is counted twice.
 * INVALID, FAILED and REJECTED rows stay as they are.
 */
static int
update_known(struct cg_db *db, const struct known *k,
    const struct cg_scan_transfer *t, bool in_block, int64_t now_ms,
    struct cg_idset *touched)
{
	bool moved;

	if (strcmp(k->status, "PENDING") != 0 &&
	    strcmp(k->status, "CONFIRMED") != 0 &&
	    strcmp(k->status, "ORPHANED") != 0)
		return 0;
	if (!in_block) {
		/* Reported from the mempool: only a payment that is not in a
		 * block (never mined, or dropped by a reorg) is affected; the
		 * absence timer starts again. */
		if (k->hash[0] != '\0' && strcmp(k->status, "ORPHANED") != 0)
			return 0;
		if (cg_db_run(db, "UPDATE transactions SET status = 'PENDING', "
		    "block_height = NULL, block_hash = NULL, block_time = NULL, "
		    "confirmations = 0, last_seen_at = ?, updated_at = ? "
		    "WHERE id = ?", "tts", now_ms, now_ms, k->id) < 0)
			return CG_DB_ERR;
		if (strcmp(k->status, "ORPHANED") == 0 && k->invoice[0] != '\0' &&
		    match_counted(k->match))
			return cg_idset_add(touched, k->invoice) != 0 ?
			    CG_DB_ERR : 0;
		return 0;
	}
	moved = strcmp(k->status, "ORPHANED") == 0 ||
	    strcmp(k->hash, t->block_hash) != 0;
	if (!moved)
		return cg_db_run(db, "UPDATE transactions SET last_seen_at = ? "
		    "WHERE id = ?", "ts", now_ms, k->id) < 0 ? CG_DB_ERR : 0;
	/* Confirmations are counted again from the new block. */
	if (cg_db_run(db, "UPDATE transactions SET block_height = ?, "
	    "block_hash = ?, block_time = ?, status = 'PENDING', "
	    "confirmations = 0, first_seen_block_time = "
	    "COALESCE(first_seen_block_time, ?), last_seen_at = ?, "
	    "updated_at = ? WHERE id = ?", "ustttts", t->block_height,
	    t->block_hash, t->block_time * 1000, t->block_time * 1000, now_ms,
	    now_ms, k->id) < 0)
		return CG_DB_ERR;
	if (k->invoice[0] != '\0' && match_counted(k->match))
		return cg_idset_add(touched, k->invoice) != 0 ? CG_DB_ERR : 0;
	return 0;
}

struct target {
	char pool[CG_ID_SIZE];
	char merchant[CG_ID_SIZE];
	char invoice[CG_ID_SIZE];
};

/* Receiving address row (and its invoice) of to. 1, 0 (not ours), err. */
static int
find_target(struct cg_db *db, const char *network_id, const char *to,
    struct target *tg)
{
	struct cg_stmt *st;
	int rc;

	st = cg_db_query(db, "SELECT id, merchant_id, COALESCE(invoice_id, '') "
	    "FROM address_pools WHERE network_id = ? AND address = ?", "ss",
	    network_id, to);
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(tg->pool, sizeof(tg->pool), "%s", cg_stmt_str(st, 0));
		snprintf(tg->merchant, sizeof(tg->merchant), "%s",
		    cg_stmt_str(st, 1));
		snprintf(tg->invoice, sizeof(tg->invoice), "%s",
		    cg_stmt_str(st, 2));
	}
	cg_stmt_close(st);
	return rc < 0 ? CG_DB_ERR : rc;
}

/*
 * How a new payment relates to its address's invoice (read under the
 * invoice's lock, so the expiry sweep cannot change it meanwhile).
 */
static int
classify(struct cg_db *db, const char *invoice_id, const char *currency_id,
    int64_t seen_ms, char *match, size_t matchlen)
{
	struct cg_stmt *st;
	char status[24], pay[CG_ID_SIZE];
	int64_t expires = 0, monitor = -1;
	int rc;

	st = cg_db_query(db, "SELECT status, pay_currency_id, expires_at, "
	    "monitor_until FROM invoices WHERE id = ? FOR UPDATE", "s",
	    invoice_id);
	if (st == NULL)
		return CG_DB_ERR;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(status, sizeof(status), "%s", cg_stmt_str(st, 0));
		snprintf(pay, sizeof(pay), "%s", cg_stmt_str(st, 1));
		cg_stmt_time_ms(st, 2, &expires);
		if (!cg_stmt_is_null(st, 3))
			cg_stmt_time_ms(st, 3, &monitor);
	}
	cg_stmt_close(st);
	if (rc != 1)
		return rc < 0 ? CG_DB_ERR : 0;
	if (monitor < 0)
		monitor = expires + SETTLE_LATE_WINDOW_MS;
	if (strcmp(pay, currency_id) != 0)
		snprintf(match, matchlen, "WRONG_ASSET");
	else if (strcmp(status, "expired") == 0)
		snprintf(match, matchlen, "%s", seen_ms <= monitor ? "LATE" :
		    "INVOICE_CLOSED");
	else if (!status_open(status) || strcmp(status, "settled") == 0)
		snprintf(match, matchlen, "INVOICE_CLOSED");
	else if (seen_ms > expires)
		snprintf(match, matchlen, "LATE");
	else
		snprintf(match, matchlen, "MATCHED");
	return 1;
}

int
cg_settle_record(struct cg_db *db, const struct cg_settle_net *net,
    const struct cg_scan_transfer *t, int64_t now_ms,
    struct cg_idset *touched)
{
	struct known k;
	struct asset a;
	struct target tg;
	char id[CG_ID_SIZE], amount[CG_DEC_STRLEN], match[24], status[16];
	const char *reason = NULL;
	bool in_block, counted;
	cg_i128 units = 0;
	int64_t block_ms, seen_ms;
	int rc;

	in_block = !(t->flags & CG_TRANSFER_MEMPOOL) && t->block_hash != NULL &&
	    t->block_hash[0] != '\0';
	rc = find_known(db, net->id, t, &k);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 1)
		return update_known(db, &k, t, in_block, now_ms, touched);

	if ((rc = find_asset(db, net->id, t->contract ? t->contract : "", &a)) < 0)
		return CG_DB_ERR;
	if (rc == 0) {
		cg_warn("settle", "untracked asset network=%s contract=%s tx=%s",
		    net->code, t->contract ? t->contract : "", t->tx_hash);
		return 0;
	}
	snprintf(status, sizeof(status), "PENDING");
	amount[0] = '\0';
	rc = cg_amount_parse_units(t->amount, strlen(t->amount),
	    (unsigned)a.decimals, &units);
	if (rc == -EINVAL || strlen(t->amount) > 78) {
		cg_warn("settle", "bad amount from plugin network=%s tx=%s",
		    net->code, t->tx_hash);
		return 0;
	}
	if (rc == -ERANGE || (t->flags & CG_TRANSFER_TOO_LARGE)) {
		snprintf(status, sizeof(status), "REJECTED");
		reason = "amount too large for the amount column";
	} else if (rc != 0 || cg_amount_format(units, (unsigned)a.decimals,
	    amount, sizeof(amount)) < 0) {
		return CG_DB_ERR;
	}
	if (t->flags & CG_TRANSFER_FAILED) {
		snprintf(status, sizeof(status), "FAILED");
		reason = "failed on chain";
	}

	block_ms = in_block ? t->block_time * 1000 : -1;
	seen_ms = in_block ? block_ms : now_ms;
	memset(&tg, 0, sizeof(tg));
	snprintf(match, sizeof(match), "UNMATCHED");
	if ((rc = find_target(db, net->id, t->to, &tg)) < 0)
		return CG_DB_ERR;
	if (rc == 1 && tg.invoice[0] != '\0') {
		rc = classify(db, tg.invoice, a.currency, seen_ms, match,
		    sizeof(match));
		if (rc < 0)
			return CG_DB_ERR;
		if (rc == 0)
			tg.invoice[0] = '\0';
	}
	if (cg_id_new(id) != 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "INSERT INTO transactions (id, network_id, tx_hash, "
	    "tx_position, from_address, to_address, currency_id, "
	    "contract_address, amount_raw, amount, block_height, block_hash, "
	    "block_time, confirmations, status, failure_reason, match_status, "
	    "merchant_id, address_pool_id, invoice_id, source, first_seen_at, "
	    "first_seen_block_time, last_seen_at, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, "
	    "'SCANNER', ?, ?, ?, ?, ?)", "sssisssssssstssssssttttt", id, net->id,
	    t->tx_hash, tx_position(t),
	    t->from && t->from[0] ? t->from : NULL, t->to, a.currency,
	    t->contract && t->contract[0] ? t->contract : NULL, t->amount,
	    amount[0] ? amount : NULL, NULL, in_block ? t->block_hash : NULL,
	    block_ms, status, reason, match, tg.merchant[0] ? tg.merchant : NULL,
	    tg.pool[0] ? tg.pool : NULL, tg.invoice[0] ? tg.invoice : NULL,
	    now_ms, block_ms, now_ms, now_ms, now_ms) != 1)
		return CG_DB_ERR;
	if (in_block && cg_db_run(db, "UPDATE transactions SET block_height = ? "
	    "WHERE id = ?", "us", t->block_height, id) != 1)
		return CG_DB_ERR;
	if (tg.pool[0] != '\0' && cg_db_run(db, "UPDATE address_pools SET "
	    "status = IF(invoice_id IS NULL, status, 'USED'), "
	    "used_at = COALESCE(used_at, ?), "
	    "tx_count = tx_count + 1, last_tx_at = ?, updated_at = ? "
	    "WHERE id = ?", "ttts", now_ms, now_ms, now_ms, tg.pool) != 1)
		return CG_DB_ERR;
	counted = strcmp(status, "PENDING") == 0 && match_counted(match);
	cg_info("settle", "payment network=%s tx=%s pos=%u amount=%s match=%s "
	    "status=%s invoice=%s", net->code, t->tx_hash, t->position,
	    amount[0] ? amount : t->amount, match, status,
	    tg.invoice[0] ? tg.invoice : "-");
	if (counted && cg_idset_add(touched, tg.invoice) != 0)
		return CG_DB_ERR;
	return 0;
}

/* Invoice ids of the rows a query selects (column 0). */
static int
collect_ids(struct cg_stmt *st, struct cg_idset *out)
{
	int rc;

	if (st == NULL)
		return CG_DB_ERR;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		if (cg_idset_add(out, cg_stmt_str(st, 0)) != 0) {
			rc = -1;
			break;
		}
	}
	cg_stmt_close(st);
	return rc < 0 ? CG_DB_ERR : 0;
}

int
cg_settle_confirm(struct cg_db *db, const struct cg_settle_net *net,
    uint64_t head, int64_t now_ms, struct cg_idset *touched)
{
	/* Invoices whose payments reach their confirmations now. */
	if (collect_ids(cg_db_query(db, "SELECT DISTINCT t.invoice_id "
	    "FROM transactions t JOIN invoices i ON i.id = t.invoice_id "
	    "WHERE t.network_id = ? AND t.status = 'PENDING' AND "
	    "t.block_height IS NOT NULL AND t.block_height <= ? AND "
	    "? - t.block_height + 1 >= GREATEST(?, i.confirmations_required)",
	    "suuu", net->id, head, head, (uint64_t)net->confirmations),
	    touched) != 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "UPDATE transactions SET confirmations = ? - "
	    "block_height + 1, updated_at = ? WHERE network_id = ? AND "
	    "status = 'PENDING' AND block_height IS NOT NULL AND "
	    "block_height <= ?", "utsu", head, now_ms, net->id, head) < 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "UPDATE transactions t LEFT JOIN invoices i ON "
	    "i.id = t.invoice_id SET t.status = 'CONFIRMED', "
	    "t.confirmed_at = COALESCE(t.confirmed_at, ?), t.updated_at = ? "
	    "WHERE t.network_id = ? AND t.status = 'PENDING' AND "
	    "t.block_height IS NOT NULL AND t.block_height <= ? AND "
	    "t.confirmations >= GREATEST(?, COALESCE(i.confirmations_required, 0))",
	    "ttsuu", now_ms, now_ms, net->id, head,
	    (uint64_t)net->confirmations) < 0)
		return CG_DB_ERR;
	return 0;
}

int
cg_settle_mempool_vanished(struct cg_db *db, const char *network_id,
    int64_t now_ms)
{
	int n;

	n = cg_db_run(db, "UPDATE transactions SET status = 'ORPHANED', "
	    "updated_at = ? WHERE network_id = ? AND status = 'PENDING' AND "
	    "block_height IS NULL AND last_seen_at < ?", "tst", now_ms,
	    network_id, now_ms);
	if (n < 0)
		return CG_DB_ERR;
	if (n > 0)
		cg_info("settle", "mempool payments gone network=%s count=%d",
		    network_id, n);
	return 0;
}

int
cg_settle_orphan_above(struct cg_db *db, const char *network_id,
    uint64_t height, int64_t now_ms, struct cg_idset *touched)
{
	if (collect_ids(cg_db_query(db, "SELECT DISTINCT invoice_id FROM "
	    "transactions WHERE network_id = ? AND block_height > ? AND "
	    "status IN ('PENDING', 'CONFIRMED') AND invoice_id IS NOT NULL",
	    "su", network_id, height), touched) != 0)
		return CG_DB_ERR;
	if (cg_db_run(db, "UPDATE transactions SET status = 'ORPHANED', "
	    "confirmations = 0, last_seen_at = ?, updated_at = ? "
	    "WHERE network_id = ? AND block_height > ? AND "
	    "status IN ('PENDING', 'CONFIRMED')", "ttsu", now_ms, now_ms,
	    network_id, height) < 0)
		return CG_DB_ERR;
	return 0;
}

/* Reverses the postings of an invoice's payments proven gone (ADJUSTMENT,
 * REVERSED) from the bucket their money sits in. */
static int
reverse_invalid(struct cg_db *db, const struct inv_row *r,
    const char *invoice_id, int64_t now_ms)
{
	struct cg_stmt *st;
	struct counted *v = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	st = cg_db_query(db, "SELECT t.id, t.amount, EXISTS (SELECT 1 FROM "
	    "balance_history h WHERE h.wallet_id = ? AND h.transaction_id = t.id "
	    "AND h.bucket = 'CONFIRMED' AND h.move_kind = 'CONFIRMED') "
	    "FROM transactions t WHERE t.invoice_id = ? AND t.status = 'INVALID' "
	    "AND t.amount > 0 AND EXISTS (SELECT 1 FROM balance_history h2 WHERE "
	    "h2.wallet_id = ? AND h2.transaction_id = t.id AND "
	    "h2.move_kind = 'SEEN')", "sss", r->wallet, invoice_id, r->wallet);
	if (st == NULL)
		return CG_DB_ERR;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		if (n == cap) {
			void *p;

			cap = cap ? cap * 2 : 4;
			if ((p = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = -1;
				break;
			}
			v = p;
		}
		snprintf(v[n].id, sizeof(v[n].id), "%s", cg_stmt_str(st, 0));
		snprintf(v[n].amount, sizeof(v[n].amount), "-%s",
		    cg_stmt_str(st, 1));
		v[n].confirmed = strcmp(cg_stmt_str(st, 2), "1") == 0;
		n++;
	}
	cg_stmt_close(st);
	for (i = 0; rc >= 0 && i < n; i++) {
		struct cg_posting p = { v[i].confirmed ? "CONFIRMED" : "PENDING",
		    "ADJUSTMENT", "REVERSED", v[i].amount, v[i].id, invoice_id,
		    NULL, "payment proven gone" };

		rc = post_move(db, r->merchant, r->wallet, invoice_id, v[i].id,
		    &p, 1, now_ms);
	}
	free(v);
	return rc < 0 ? CG_DB_ERR : 0;
}

static int
invalidate_invoice(struct cg_db *db, const char *invoice_id,
    const char *reason, int64_t now_ms)
{
	struct inv_row r;
	char key[192], oldj[128];
	int rc;

	if ((rc = lock_invoice(db, invoice_id, &r)) != 1)
		return rc == 0 ? 0 : CG_DB_ERR;
	if (reverse_invalid(db, &r, invoice_id, now_ms) != 0)
		return CG_DB_ERR;
	if (strcmp(r.status, "invalid") == 0 || strcmp(r.status, "cancelled") == 0)
		return cg_settle_invoice(db, invoice_id, now_ms);
	cg_invoice_changed(db, invoice_id);
	if (cg_db_run(db, "UPDATE invoices SET status = 'invalid', "
	    "invalid_at = ?, invalid_reason = ?, version = version + 1, "
	    "updated_at = ? WHERE id = ?", "tsts", now_ms, reason, now_ms,
	    invoice_id) != 1)
		return CG_DB_ERR;
	snprintf(oldj, sizeof(oldj), "{\"status\":\"%s\"}", r.status);
	if (cg_settle_audit(db, "SYSTEM", "UPDATE", "invoice", invoice_id,
	    r.merchant, oldj, "{\"status\":\"invalid\"}", "settlement",
	    now_ms) != 0)
		return CG_DB_ERR;
	/* Totals without the payment that is gone. */
	if (cg_settle_invoice(db, invoice_id, now_ms) != 0)
		return CG_DB_ERR;
	snprintf(key, sizeof(key), "%s:invoice.invalid", invoice_id);
	return emit_invoice_event(db, invoice_id, "invoice.invalid", key, NULL,
	    now_ms);
}

static bool
idset_has(const struct cg_idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return true;
	return false;
}

/*
 * A counted payment that never reached a block and never confirmed is gone
 * (replaced by RBF or dropped from the mempool): its pending amount is
 * reversed and the invoice evaluated without it, so it goes back (or stays
 * settled by the replacement that paid it) rather than turning invalid.
 */
static int
drop_unmined(struct cg_db *db, const char *invoice_id, int64_t now_ms)
{
	struct inv_row r;
	int rc;

	if ((rc = lock_invoice(db, invoice_id, &r)) != 1)
		return rc == 0 ? 0 : CG_DB_ERR;
	if (reverse_invalid(db, &r, invoice_id, now_ms) != 0)
		return CG_DB_ERR;
	return cg_settle_invoice(db, invoice_id, now_ms);
}

int
cg_settle_invalidate_absent(struct cg_db *db, const char *network_id,
    int64_t timeout_ms, int64_t mempool_timeout_ms, int64_t now_ms)
{
	struct cg_idset gone = { 0 }, invoices = { 0 }, unmined = { 0 };
	struct cg_stmt *st;
	size_t i;
	int rc = 0;

	st = cg_db_query(db, "SELECT id, COALESCE(invoice_id, ''), match_status, "
	    "block_height IS NULL AND confirmed_at IS NULL FROM transactions "
	    "WHERE network_id = ? AND ((status = 'ORPHANED' "
	    "AND last_seen_at < ?) OR (status = 'PENDING' AND "
	    "block_height IS NULL AND last_seen_at < ?)) FOR UPDATE", "stt",
	    network_id, now_ms - timeout_ms, now_ms - mempool_timeout_ms);
	if (st == NULL)
		return CG_DB_ERR;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		struct cg_idset *to = strcmp(cg_stmt_str(st, 3), "1") == 0 ?
		    &unmined : &invoices;

		if (cg_idset_add(&gone, cg_stmt_str(st, 0)) != 0 ||
		    (match_counted(cg_stmt_str(st, 2)) &&
		    cg_idset_add(to, cg_stmt_str(st, 1)) != 0)) {
			rc = -1;
			break;
		}
	}
	cg_stmt_close(st);
	for (i = 0; rc >= 0 && i < gone.n; i++) {
		cg_warn("settle", "payment proven gone network=%s tx=%s",
		    network_id, gone.ids[i]);
		if (cg_db_run(db, "UPDATE transactions SET status = 'INVALID', "
		    "confirmations = 0, failure_reason = 'absent from the chain "
		    "past the timeout', updated_at = ? WHERE id = ?", "ts", now_ms,
		    gone.ids[i]) != 1)
			rc = -1;
	}
	for (i = 0; rc >= 0 && i < invoices.n; i++)
		if (invalidate_invoice(db, invoices.ids[i], "a counted payment "
		    "is absent from the chain past the timeout", now_ms) != 0)
			rc = -1;
	for (i = 0; rc >= 0 && i < unmined.n; i++)
		if (!idset_has(&invoices, unmined.ids[i]) &&
		    drop_unmined(db, unmined.ids[i], now_ms) != 0)
			rc = -1;
	cg_idset_free(&gone);
	cg_idset_free(&invoices);
	cg_idset_free(&unmined);
	return rc < 0 ? CG_DB_ERR : 0;
}
