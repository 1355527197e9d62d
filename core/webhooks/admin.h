/*
 * Reading and steering deliveries, shared by the merchant API
 * (api/webhooks.c) and the control socket (cgctl webhooks …).
 */
#ifndef CG_WEBHOOKS_ADMIN_H
#define CG_WEBHOOKS_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct cg_db;
struct cg_stmt;
struct cg_daemon;
struct cg_webhooks;

struct cg_delivery_filter {
	const char *merchant_id;	/* NULL: all (control socket only) */
	const char *status;		/* PENDING … or NULL */
	const char *event_type;		/* or NULL */
	const char *invoice_id;		/* or NULL */
	const char *after;		/* cursor: the last id of a page */
	int limit;			/* 1..100 */
};

/* The columns cg_webhooks_delivery_json reads, of webhook_deliveries d. */
#define CG_DELIVERY_COLS "d.id, d.event_id, d.event_type, d.invoice_id, " \
	"d.url, d.status, d.attempt_count, d.max_attempts, " \
	"d.next_attempt_at, d.last_attempt_at, d.last_status_code, " \
	"d.last_response_excerpt, d.last_duration_ms, d.last_error, " \
	"d.delivered_at, d.failed_at, d.created_at, d.merchant_id"
/* A delivery as JSON from a row of CG_DELIVERY_COLS (no merchant id). */
json_t *cg_webhooks_delivery_json(struct cg_stmt *st);
/* A delivery's attempts as a JSON array; NULL on error. */
json_t *cg_webhooks_attempts_json(struct cg_db *db, const char *delivery_id);

/*
 * A page of deliveries, newest first: {"data":[…], "has_more":bool,
 * "next_cursor":id|null}. Each delivery shows id, event_id, event_type,
 * invoice_id, url, status, attempt_count, max_attempts, next_attempt_at,
 * last_* and created_at; with_attempts adds its attempts. NULL on error.
 */
json_t *cg_webhooks_list(struct cg_db *db, const struct cg_delivery_filter *f,
    int with_attempts);

/* Enqueues a webhook.test event: 1 enqueued (event_id set, CG_EVENT_ID_SIZE
 * bytes), 0 the merchant has no URL or receives no webhooks, -1 error. */
int cg_webhooks_enqueue_test(struct cg_db *db, const char *merchant_id,
    char *event_id);

/* Pauses (1) or resumes (0) a merchant's deliveries. 0, 1 no such
 * merchant, -1 error. */
int cg_webhooks_set_paused(struct cg_db *db, const char *merchant_id,
    int paused, int64_t now_ms);

/* Registers the cgctl webhooks commands (dispatch.c calls it). */
void cg_webhooks_admin_register(struct cg_webhooks *w, struct cg_daemon *d);

#endif
