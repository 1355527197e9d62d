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
