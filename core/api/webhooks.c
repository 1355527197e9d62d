/*
 * Webhook endpoints of the merchant API:
 *   GET  /api/v1/webhooks/deliveries              list (status, event, invoice)
 *   GET  /api/v1/webhooks/deliveries/{id}         one, with its attempts
 *   POST /api/v1/webhooks/deliveries/{id}/redeliver
 *   POST /api/v1/webhooks/test
 *   POST /api/v1/merchant/webhook-secret/rotate   {secret}, shown once
 *   POST /api/v1/merchant/webhook-secret/retire-previous
 * Every statement carries the caller's merchant id.
 */
#include "api/webhooks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "config/config.h"
#include "db/db.h"
#include "runtime/daemon.h"
#include "util/clock.h"
#include "util/token.h"
#include "webhooks/admin.h"
#include "webhooks/dispatch.h"
#include "webhooks/outbox.h"
#include "webhooks/secrets.h"

static struct cg_webhooks *whmod;

static const char *const statuses[] = { "PENDING", "SENDING", "SUCCEEDED",
    "FAILED", "CANCELLED", NULL };

struct list_state {
	struct cg_api_page pg;
	char status[16];
	const char *event, *invoice;
};

static json_t *
delivery_row(struct cg_stmt *st, const void *arg)
{
	(void)arg;
	return cg_webhooks_delivery_json(st);
}

static void
list_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct list_state *s = cg_api_state(call);
	const char *mid = cg_api_merchant_id(call);
	const char *st_f = s->status[0] ? s->status : NULL;
	struct cg_stmt *st;

	st = cg_db_query(db, "SELECT " CG_DELIVERY_COLS
	    " FROM webhook_deliveries d WHERE d.merchant_id = ? "
	    "AND (? IS NULL OR d.status = ?) "
	    "AND (? IS NULL OR d.event_type = ?) "
	    "AND (? IS NULL OR d.invoice_id = ?) AND "
	    CG_API_PAGE_SQL_T("d.")
	    " ORDER BY d.created_at DESC, d.id DESC LIMIT ?",
	    "sssssss" CG_API_PAGE_TYPES "i", mid, st_f, st_f, s->event,
	    s->event, s->invoice, s->invoice, CG_API_PAGE_ARGS(&s->pg),
	    (int64_t)s->pg.limit + 1);
	cg_api_page_answer(call, db, &s->pg, st, 16, delivery_row, NULL);
}

static void
list_state_free(void *p)
{
	struct list_state *s = p;

	json_decref(s->pg.data);
	free(s);
}

static void
deliveries_list(struct cg_api_call *call)
{
	struct list_state *s = calloc(1, sizeof(*s));
	const char *status = cg_api_query(call, "status");
	size_t i;

	if (s == NULL) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_set_state(call, s, list_state_free);
	if (cg_api_page_parse(call, &s->pg) != 0) {
		cg_api_finish(call);
		return;
	}
	if (status) {
		for (i = 0; status[i] && i + 1 < sizeof(s->status); i++)
			s->status[i] = (char)toupper((unsigned char)status[i]);
		s->status[i] = '\0';
		for (i = 0; statuses[i]; i++)
			if (strcmp(statuses[i], s->status) == 0)
				break;
		if (statuses[i] == NULL || status[strlen(s->status)]) {
			cg_api_reply_problem(call, 400, "status must be one of "
			    "pending, sending, succeeded, failed, cancelled");
			return;
		}
	}
	s->event = cg_api_query(call, "event");
	if (s->event && !cg_outbox_event_known(s->event) &&
	    strcmp(s->event, CG_EVENT_TEST) != 0) {
		cg_api_reply_problem(call, 400, "event is not an event type");
		return;
	}
	s->invoice = cg_api_query(call, "invoice");
	if (s->invoice && !cg_id_valid(s->invoice)) {
		cg_api_reply_problem(call, 400, "invoice is not an id");
		return;
	}
	cg_api_sql(call, list_sql, NULL);
}

/* ---- one delivery, redelivery ---- */

static json_t *
load_one(struct cg_api_call *call, struct cg_db *db, const char *id)
{
	struct cg_stmt *st = cg_db_query(db, "SELECT " CG_DELIVERY_COLS
	    " FROM webhook_deliveries d WHERE d.id = ? AND d.merchant_id = ?",
	    "ss", id, cg_api_merchant_id(call));
	json_t *o = NULL, *a;

	if (st == NULL) {
		cg_api_set_db_error(call, db);
		return NULL;
	}
	if (cg_stmt_fetch(st) == 1)
		o = cg_webhooks_delivery_json(st);
	cg_stmt_close(st);
	if (o == NULL) {
		cg_api_set_not_found(call, "delivery");
		return NULL;
	}
	a = cg_webhooks_attempts_json(db, id);
	if (a == NULL) {
		json_decref(o);
		cg_api_set_db_error(call, db);
		return NULL;
	}
	json_object_set_new(o, "attempts", a);
	return o;
}

static void
get_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *id = cg_api_param(call, "id");
	json_t *o;

	if (!cg_id_valid(id)) {
		cg_api_set_not_found(call, "delivery");
		return;
	}
	if ((o = load_one(call, db, id)) != NULL)
		cg_api_set_json(call, 200, o);
}

static void
redeliver_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *id = cg_api_param(call, "id");
	json_t *o;
	int rc;

	if (!cg_id_valid(id)) {
		cg_api_set_not_found(call, "delivery");
		return;
	}
	rc = cg_webhooks_redeliver(db, cg_api_merchant_id(call), id,
	    cg_now_ms());
	if (rc < 0) {
		cg_api_set_db_error(call, db);
		return;
	}
	if (rc == 1) {
		cg_api_set_not_found(call, "delivery");
		return;
	}
	if (rc == 2) {
		cg_api_set_problem(call, 409, "The delivery is being sent right "
		    "now; try again when this attempt is recorded.");
		return;
	}
	o = load_one(call, db, id);
	if (o)
		cg_api_set_json(call, 202, o);
}

/* ---- test event ---- */

static void
test_sql(struct cg_api_call *call, struct cg_db *db)
{
	char evt[CG_EVENT_ID_SIZE];
	int rc = cg_webhooks_enqueue_test(db, cg_api_merchant_id(call), evt);

	if (rc < 0) {
		cg_api_set_db_error(call, db);
		return;
	}
	if (rc == 0) {
		cg_api_set_problem(call, 409, "No webhook URL is set, or "
		    "webhooks are turned off in the merchant settings.");
		return;
	}
	cg_api_set_json(call, 202, json_pack("{s:s, s:s}", "event_id", evt,
	    "type", CG_EVENT_TEST));
}

/* ---- secrets ---- */

/* In the rotation's transaction: no rotation without its audit entry. */
static int
rotate_audit(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const char *mid = cg_api_merchant_id(call);

	return cg_api_audit(db, call, mid, "webhook_secret.rotate", "merchant",
	    mid, NULL, NULL);
}

static void
rotate_sql(struct cg_api_call *call, struct cg_db *db)
{
	const struct cg_config *cfg = cg_api_daemon(call)->cfg;
	char secret[CG_WEBHOOK_SECRET_LEN + 1];
	const char *mid = cg_api_merchant_id(call);
	int64_t now = cg_now_ms(), overlap = cfg->webhooks.secret_overlap_s *
	    1000;
	char until[32];
	int rc;

	if (cg_webhooks_box(whmod) == NULL) {
		cg_api_set_problem(call, 503, "The gateway has no master key "
		    "to keep webhook secrets with.");
		return;
	}
	rc = cg_whsecret_rotate(db, cg_webhooks_box(whmod), mid, overlap, now,
	    secret, rotate_audit, call);
	if (rc == 1) {
		cg_api_set_not_found(call, "merchant");
		return;
	}
	if (rc != 0) {
		cg_api_set_db_error(call, db);
		return;
	}
	cg_time_format_iso(now + overlap, until);
	cg_api_set_json(call, 201, json_pack("{s:s, s:s}", "secret", secret,
	    "previous_secret_expires_at", until));
	OPENSSL_cleanse(secret, sizeof(secret));
}

static int
retire_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const char *mid = cg_api_merchant_id(call);
	int rc = cg_whsecret_retire_previous(db, mid, cg_now_ms());

	if (rc != 0)
		return rc == 1 ? 404 : CG_DB_ERR;
	if (cg_api_audit(db, call, mid, "webhook_secret.retire_previous",
	    "merchant", mid, NULL, NULL) != 0)
		return CG_DB_ERR;
	cg_api_set_json(call, 200, json_pack("{s:b}", "retired", 1));
	return 0;
}

static void
retire_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_tx(call, db, retire_tx, "merchant");
}

#define R(m, p, n, fn, f) \
	if ((rc = cg_api_route(api, m, p, n, fn, f)) != 0) return rc
/* Routes that are only SQL: one pool hop with the authentication. */
#define RS(m, p, n, fn, f) \
	if ((rc = cg_api_route_sql(api, m, p, n, fn, f)) != 0) return rc

int
cg_api_webhooks_routes(struct cg_api *api, struct cg_webhooks *w)
{
	int rc;

	whmod = w;
	R("GET", "/api/v1/webhooks/deliveries", "webhooks.deliveries.list",
	    deliveries_list, CG_API_MERCHANT);
	RS("GET", "/api/v1/webhooks/deliveries/{id}",
	    "webhooks.deliveries.get", get_sql, CG_API_MERCHANT);
	RS("POST", "/api/v1/webhooks/deliveries/{id}/redeliver",
	    "webhooks.deliveries.redeliver", redeliver_sql,
	    CG_API_MERCHANT | CG_API_IDEMPOTENT);
	RS("POST", "/api/v1/webhooks/test", "webhooks.test", test_sql,
	    CG_API_MERCHANT | CG_API_IDEMPOTENT);
	/* Not idempotent: a stored reply would keep the secret in clear. */
	RS("POST", "/api/v1/merchant/webhook-secret/rotate",
	    "merchant.webhook_secret.rotate", rotate_sql, CG_API_MERCHANT);
	RS("POST", "/api/v1/merchant/webhook-secret/retire-previous",
	    "merchant.webhook_secret.retire", retire_sql, CG_API_MERCHANT);
	return 0;
}
