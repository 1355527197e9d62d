/*
 * The webhook outbox: producers (invoice creation, settlement, expiry,
 * wallet postings) enqueue merchant events into webhook_deliveries inside
 * their own transaction, so an event exists exactly when the change it
 * reports was committed. The dispatcher (webhooks/dispatch.h) sends them.
 *
 * Payload (the body the merchant receives, compact JSON):
 *   {"id":"evt_…","type":"invoice.settled","created":<unix s>,
 *    "api_version":"2026-12-01","data":<object>}
 * data is the caller's object as given (for invoice events the invoice with
 * amounts as decimal strings, flags, "version" and its transactions; for
 * invoice.payment_detected the invoice with a "transaction" member, the
 * payment seen).
 *
 * One row per event (unique event_key): a retried transaction cannot
 * enqueue an event twice. The URL is resolved at enqueue: the invoice's
 * webhook_url override, else the merchant's webhook_url.
 */
#ifndef CG_WEBHOOKS_OUTBOX_H
#define CG_WEBHOOKS_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct cg_db;
struct cg_stmt;

#define CG_WEBHOOK_API_VERSION "2026-12-01"
#define CG_EVENT_ID_SIZE 32		/* "evt_" + 25-character id + NUL */
#define CG_EVENT_KEY_MAX 191
#define CG_EVENT_TEST "webhook.test"

/* Whether type is one of the event types merchants can receive
 * (invoice.created … wallet.balance_changed; webhook.test is not one). */
bool cg_outbox_event_known(const char *type);
/* The known event types, NULL-terminated. */
extern const char *const cg_outbox_event_types[];

/*
 * Enqueues one event, inside the caller's transaction (cg_db_tx):
 *   merchant_id   the merchant (required)
 *   event_type    a known type (cg_outbox_event_known) or webhook.test
 *   invoice_id    the invoice concerned, or NULL
 *   object        the event's data (borrowed; serialized into the payload)
 *   now_ms        cg_now_ms() of the transaction
 * The producer's idempotency key is "<type>:<invoice_id>:<object.version>"
 * (plus ":<object.transaction.id>" when present) for invoice events, and
 * "<type>:<object.id>:<object.version>" otherwise; an object without a
 * "version" gets a random key (use cg_outbox_add_keyed to give one).
 *
 * Nothing is enqueued (returns 0) when the merchant receives no webhooks
 * (merchant_settings.notify_webhook = 0), has no URL, did not select the
 * event type (invoices.webhook_events, else merchant_settings.
 * webhook_events; NULL = all), or the event was already enqueued.
 * Returns 1 when a row was inserted, 0 when skipped, CG_DB_ERR (-1) on a
 * database error or bad argument: return it from the transaction function
 * (cg_db_tx retries what is retryable).
 */
int cg_outbox_add(struct cg_db *db, const char *merchant_id,
    const char *event_type, const char *invoice_id, json_t *object,
    int64_t now_ms);

/* Same, with the producer's own idempotency key (≤ 191 ASCII characters)
 * and, when event_id is not NULL, the new event's id written there
 * (CG_EVENT_ID_SIZE bytes; "" when nothing was enqueued). */
int cg_outbox_add_keyed(struct cg_db *db, const char *merchant_id,
    const char *event_type, const char *invoice_id, const char *event_key,
    json_t *object, int64_t now_ms, char *event_id);

/*
 * For a producer that reads the merchant row anyway (invoice creation):
 * select CG_OUTBOX_MERCHANT_COLS over "merchants m LEFT JOIN
 * merchant_settings s" with it, resolve the event's target from those
 * columns (starting at col) with cg_outbox_target_read, and enqueue with
 * cg_outbox_add_to, sparing the outbox its own read. Only for an invoice
 * without its own webhook overrides (a new one).
 */
#define CG_OUTBOX_MERCHANT_COLS \
	"m.webhook_url, s.notify_webhook, s.webhook_events, " \
	"m.webhook_max_attempts"

struct cg_outbox_target {
	bool wanted;                 /* the merchant receives this event */
	char url[2049];
	int64_t max_attempts;
};

void cg_outbox_target_read(const struct cg_stmt *st, unsigned col,
    const char *event_type, struct cg_outbox_target *t);
/* As cg_outbox_add, with the target resolved. */
int cg_outbox_add_to(struct cg_db *db, const struct cg_outbox_target *t,
    const char *merchant_id, const char *event_type, const char *invoice_id,
    json_t *object, int64_t now_ms);

#endif
