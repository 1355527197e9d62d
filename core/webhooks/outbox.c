/*
 * The webhook outbox: builds an event's payload and inserts its delivery
 * row inside the producer's transaction.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/id.h"
#include "util/log.h"
#include "webhooks/outbox.h"

const char *const cg_outbox_event_types[] = {
	"invoice.created",
	"invoice.payment_detected",
	"invoice.partially_paid",
	"invoice.processing",
	"invoice.settled",
	"invoice.expired",
	"invoice.invalid",
	"invoice.cancelled",
	"invoice.paid_late",
	"wallet.balance_changed",
	NULL
};

bool
cg_outbox_event_known(const char *type)
{
	if (type == NULL)
		return false;
	for (size_t i = 0; cg_outbox_event_types[i]; i++)
		if (strcmp(type, cg_outbox_event_types[i]) == 0)
			return true;
	return false;
}

/* Whether a JSON array text (an event selection) names type. A selection
 * that is not an array of strings selects nothing, so a damaged column
 * never floods the merchant. */
static bool
selected(const char *list, const char *type)
{
	json_t *arr, *v;
	size_t i;
	bool found = false;

	if (list == NULL)
		return true;
	arr = json_loads(list, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return false;
	}
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), type) == 0) {
			found = true;
			break;
		}
	}
	json_decref(arr);
	return found;
}

/* Whether the merchant receives an event of type, and where: the
 * invoice's URL and selection override the merchant's. */
static void
decide(struct cg_outbox_target *t, const char *murl, const char *notify,
    const char *mev, const char *iurl, const char *iev, const char *type)
{
	const char *url = (iurl && iurl[0]) ? iurl : murl;

	t->wanted = url != NULL && url[0] != '\0' &&
	    !(notify && strcmp(notify, "0") == 0);
	/* A test event is asked for explicitly: the selection does not apply. */
	if (t->wanted && strcmp(type, CG_EVENT_TEST) != 0)
		t->wanted = selected(iev ? iev : mev, type);
	if (t->wanted)
		snprintf(t->url, sizeof(t->url), "%s", url);
}

void
cg_outbox_target_read(const struct cg_stmt *st, unsigned col,
    const char *event_type, struct cg_outbox_target *t)
{
	memset(t, 0, sizeof(*t));
	if (cg_stmt_i64(st, col + 3, &t->max_attempts) != 0)
		t->max_attempts = 20;
	decide(t, cg_stmt_str(st, col), cg_stmt_str(st, col + 1),
	    cg_stmt_str(st, col + 2), NULL, NULL, event_type);
}

/* Resolves the merchant's settings, the invoice's overrides and the URL.
 * 0 ok (t->wanted says whether to enqueue), -1 error. */
static int
resolve_target(struct cg_db *db, const char *merchant_id,
    const char *invoice_id, const char *type, struct cg_outbox_target *t)
{
	struct cg_stmt *st;
	int rc;

	memset(t, 0, sizeof(*t));
	st = cg_db_query(db, "SELECT " CG_OUTBOX_MERCHANT_COLS ", "
	    "i.webhook_url, i.webhook_events FROM merchants m "
	    "LEFT JOIN merchant_settings s ON s.merchant_id = m.id "
	    "LEFT JOIN invoices i ON i.id = ? AND i.merchant_id = m.id "
	    "WHERE m.id = ? AND m.deleted_at IS NULL",
	    "ss", invoice_id, merchant_id);
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc <= 0) {
		cg_stmt_close(st);
		return rc;	/* no such merchant: nothing to send */
	}
	if (cg_stmt_i64(st, 3, &t->max_attempts) != 0)
		t->max_attempts = 20;
	decide(t, cg_stmt_str(st, 0), cg_stmt_str(st, 1), cg_stmt_str(st, 2),
	    cg_stmt_str(st, 4), cg_stmt_str(st, 5), type);
	cg_stmt_close(st);
	return 0;
}

static void
derive_key(const char *type, const char *invoice_id, json_t *object,
    char *out, size_t size)
{
	json_t *ver = json_object_get(object, "version");
	json_t *tx = json_object_get(object, "transaction");
	const char *txid = json_string_value(json_object_get(tx, "id"));
	const char *oid = json_string_value(json_object_get(object, "id"));
	char rnd[CG_ID_SIZE];

	if (!json_is_integer(ver) || (invoice_id == NULL && oid == NULL)) {
		if (cg_id_new(rnd) != 0)
			rnd[0] = '\0';
		snprintf(out, size, "%s:rnd:%s", type, rnd);
		return;
	}
	snprintf(out, size, "%s:%s:%" PRId64 "%s%s", type,
	    invoice_id ? invoice_id : oid, (int64_t)json_integer_value(ver),
	    txid ? ":" : "", txid ? txid : "");
}

static bool
args_ok(struct cg_db *db, const char *merchant_id, const char *event_type,
    const char *event_key, json_t *object)
{
	if (db == NULL || merchant_id == NULL || event_type == NULL ||
	    event_key == NULL || event_key[0] == '\0' ||
	    strlen(event_key) > CG_EVENT_KEY_MAX || object == NULL ||
	    (!cg_outbox_event_known(event_type) &&
	    strcmp(event_type, CG_EVENT_TEST) != 0)) {
		cg_error("webhooks", "outbox: bad event type=%s key=%s",
		    event_type ? event_type : "(null)",
		    event_key ? event_key : "(null)");
		return false;
	}
	return true;
}

/* Inserts the delivery row for a wanted event. 1, 0 already enqueued,
 * CG_DB_ERR. */
static int
enqueue(struct cg_db *db, const struct cg_outbox_target *t,
    const char *merchant_id, const char *event_type, const char *invoice_id,
    const char *event_key, json_t *object, int64_t now_ms, char *event_id)
{
	char id[CG_ID_SIZE], evt[CG_EVENT_ID_SIZE], verstr[24] = "";
	json_t *payload = NULL, *ver;
	char *body = NULL;
	int64_t n;
	int rc = CG_DB_ERR;

	if (cg_id_new(id) != 0 || cg_id_new(evt + 4) != 0)
		return CG_DB_ERR;
	memcpy(evt, "evt_", 4);
	payload = json_pack("{s:s, s:s, s:I, s:s, s:O}", "id", evt,
	    "type", event_type, "created", (json_int_t)(now_ms / 1000),
	    "api_version", CG_WEBHOOK_API_VERSION, "data", object);
	if (payload == NULL)
		goto fail;
	body = json_dumps(payload, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (body == NULL)
		goto fail;
	ver = json_object_get(object, "version");
	if (json_is_integer(ver) && json_integer_value(ver) >= 0)
		snprintf(verstr, sizeof(verstr), "%" PRId64,
		    (int64_t)json_integer_value(ver));
	n = cg_db_run(db,
	    "INSERT INTO webhook_deliveries (id, event_id, event_key, "
	    "event_type, merchant_id, invoice_id, invoice_version, "
	    "api_version, payload, url, status, attempt_count, max_attempts, "
	    "next_attempt_at, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?, ?, ?)",
	    "ssssssssssittt", id, evt, event_key, event_type, merchant_id,
	    invoice_id, invoice_id && verstr[0] ? verstr : NULL,
	    CG_WEBHOOK_API_VERSION, body, t->url, t->max_attempts, now_ms,
	    now_ms, now_ms);
	if (n < 0) {
		/* Already enqueued (a retried producer): not an error. The
		 * statement failing alone leaves the transaction usable. */
		if (cg_db_err_duplicate(cg_db_errno(db)))
			rc = 0;
		goto fail;
	}
	if (event_id)
		snprintf(event_id, CG_EVENT_ID_SIZE, "%s", evt);
	rc = 1;
fail:
	free(body);
	json_decref(payload);
	return rc;
}

int
cg_outbox_add(struct cg_db *db, const char *merchant_id,
    const char *event_type, const char *invoice_id, json_t *object,
    int64_t now_ms)
{
	char key[CG_EVENT_KEY_MAX + 1];

	derive_key(event_type ? event_type : "", invoice_id, object, key,
	    sizeof(key));
	return cg_outbox_add_keyed(db, merchant_id, event_type, invoice_id, key,
	    object, now_ms, NULL);
}

int
cg_outbox_add_to(struct cg_db *db, const struct cg_outbox_target *t,
    const char *merchant_id, const char *event_type, const char *invoice_id,
    json_t *object, int64_t now_ms)
{
	char key[CG_EVENT_KEY_MAX + 1];

	derive_key(event_type ? event_type : "", invoice_id, object, key,
	    sizeof(key));
	if (!args_ok(db, merchant_id, event_type, key, object))
		return CG_DB_ERR;
	if (!t->wanted)
		return 0;
	return enqueue(db, t, merchant_id, event_type, invoice_id, key, object,
	    now_ms, NULL);
}

int
cg_outbox_add_keyed(struct cg_db *db, const char *merchant_id,
    const char *event_type, const char *invoice_id, const char *event_key,
    json_t *object, int64_t now_ms, char *event_id)
{
	struct cg_outbox_target t;

	if (event_id)
		event_id[0] = '\0';
	if (!args_ok(db, merchant_id, event_type, event_key, object))
		return CG_DB_ERR;
	if (resolve_target(db, merchant_id, invoice_id, event_type, &t) != 0)
		return CG_DB_ERR;
	if (!t.wanted)
		return 0;
	return enqueue(db, &t, merchant_id, event_type, invoice_id, event_key,
	    object, now_ms, event_id);
}
