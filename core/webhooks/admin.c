/*
 * Deliveries for the API and the control socket: list, pause, resume,
 * redeliver, test events, secret rotation by an admin.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "control/control.h"
#include "db/db.h"
#include "runtime/daemon.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/id.h"
#include "util/log.h"
#include "webhooks/admin.h"
#include "webhooks/dispatch.h"
#include "webhooks/outbox.h"
#include "webhooks/secrets.h"

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
time_or_null(struct cg_stmt *st, unsigned int col)
{
	int64_t ms;
	char buf[32];

	if (cg_stmt_time_ms(st, col, &ms) != 0)
		return json_null();
	cg_time_format_iso(ms, buf);
	return json_string(buf);
}

static json_t *
int_or_null(struct cg_stmt *st, unsigned int col)
{
	int64_t v;

	return cg_stmt_i64(st, col, &v) == 0 ? json_integer(v) : json_null();
}

static json_t *
attempts_of(struct cg_db *db, const char *id)
{
	struct cg_stmt *st = cg_db_query(db,
	    "SELECT attempt_no, started_at, status_code, duration_ms, "
	    "response_excerpt, error FROM webhook_attempts "
	    "WHERE delivery_id = ? ORDER BY attempt_no", "s", id);
	json_t *arr = json_array();

	if (st == NULL) {
		json_decref(arr);
		return NULL;
	}
	while (cg_stmt_fetch(st) == 1) {
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, "
		    "s:o, s:o}", "attempt", int_or_null(st, 0),
		    "started_at", time_or_null(st, 1),
		    "status_code", int_or_null(st, 2),
		    "duration_ms", int_or_null(st, 3),
		    "response_excerpt", str_or_null(cg_stmt_str(st, 4)),
		    "error", str_or_null(cg_stmt_str(st, 5))));
	}
	cg_stmt_close(st);
	return arr;
}

json_t *
cg_webhooks_delivery_json(struct cg_stmt *st)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", cg_stmt_str(st, 0), "event_id", cg_stmt_str(st, 1),
	    "event_type", cg_stmt_str(st, 2),
	    "invoice_id", str_or_null(cg_stmt_str(st, 3)),
	    "url", cg_stmt_str(st, 4), "status", cg_stmt_str(st, 5),
	    "attempt_count", int_or_null(st, 6),
	    "max_attempts", int_or_null(st, 7),
	    "next_attempt_at", time_or_null(st, 8),
	    "last_attempt_at", time_or_null(st, 9),
	    "last_status_code", int_or_null(st, 10),
	    "last_response_excerpt", str_or_null(cg_stmt_str(st, 11)),
	    "last_duration_ms", int_or_null(st, 12),
	    "last_error", str_or_null(cg_stmt_str(st, 13)),
	    "delivered_at", time_or_null(st, 14),
	    "failed_at", time_or_null(st, 15),
	    "created_at", time_or_null(st, 16));
	return o;
}

json_t *
cg_webhooks_attempts_json(struct cg_db *db, const char *delivery_id)
{
	return attempts_of(db, delivery_id);
}

json_t *
cg_webhooks_list(struct cg_db *db, const struct cg_delivery_filter *f,
    int with_attempts)
{
	struct cg_stmt *st;
	json_t *data = json_array(), *page = NULL;
	int limit = f->limit < 1 ? 20 : f->limit > 100 ? 100 : f->limit;
	int n = 0, more = 0;
	char last[CG_ID_SIZE] = "";

	st = cg_db_query(db,
	    "SELECT " CG_DELIVERY_COLS " "
	    "FROM webhook_deliveries d LEFT JOIN webhook_deliveries c "
	    "ON c.id = ? "
	    "WHERE (? IS NULL OR d.merchant_id = ?) "
	    "AND (? IS NULL OR d.status = ?) "
	    "AND (? IS NULL OR d.event_type = ?) "
	    "AND (? IS NULL OR d.invoice_id = ?) "
	    "AND (? IS NULL OR d.created_at < c.created_at OR "
	    "(d.created_at = c.created_at AND d.id < c.id)) "
	    "ORDER BY d.created_at DESC, d.id DESC LIMIT ?",
	    "ssssssssssi", f->after, f->merchant_id, f->merchant_id, f->status,
	    f->status, f->event_type, f->event_type, f->invoice_id,
	    f->invoice_id, f->after, (int64_t)limit + 1);
	if (st == NULL || data == NULL)
		goto fail;
	while (cg_stmt_fetch(st) == 1) {
		json_t *o;

		if (n == limit) {
			more = 1;
			break;
		}
		o = cg_webhooks_delivery_json(st);
		if (o == NULL)
			goto fail;
		if (f->merchant_id == NULL)
			json_object_set_new(o, "merchant_id",
			    json_string(cg_stmt_str(st, 17)));
		snprintf(last, sizeof(last), "%s", cg_stmt_str(st, 0));
		json_array_append_new(data, o);
		n++;
	}
	cg_stmt_close(st);
	st = NULL;
	if (with_attempts) {
		size_t i;
		json_t *o;

		json_array_foreach(data, i, o) {
			json_t *a = attempts_of(db, json_string_value(
			    json_object_get(o, "id")));
			if (a == NULL)
				goto fail;
			json_object_set_new(o, "attempts", a);
		}
	}
	page = json_pack("{s:O, s:b, s:o}", "data", data, "has_more", more,
	    "next_cursor", more ? json_string(last) : json_null());
fail:
	if (st)
		cg_stmt_close(st);
	json_decref(data);
	return page;
}

int
cg_webhooks_set_paused(struct cg_db *db, const char *merchant_id, int paused,
    int64_t now_ms)
{
	int64_t n = cg_db_run(db, "UPDATE merchants SET webhooks_paused = ?, "
	    "updated_at = ? WHERE id = ? AND deleted_at IS NULL", "its",
	    (int64_t)(paused != 0), now_ms, merchant_id);

	if (n < 0)
		return -1;
	return n == 0 ? 1 : 0;
}

/* ---- cgctl webhooks … ---- */

enum cmd { C_LIST, C_REDELIVER, C_PAUSE, C_RESUME, C_TEST, C_ROTATE,
    C_RETIRE };

struct ctl {
	struct cg_control_call *call;
	struct cg_webhooks *w;
	enum cmd cmd;
	int64_t overlap_ms;
	char arg[CG_ID_SIZE + 8], status[24], limit[8];
	json_t *result;
	const char *code;
	char err[256];
};

struct enqueue_test {
	const char *merchant_id;
	char event_id[CG_EVENT_ID_SIZE];
	int rc;
};

static int
enqueue_test_tx(struct cg_db *db, void *arg)
{
	struct enqueue_test *e = arg;
	char key[64], rnd[CG_ID_SIZE];
	json_t *obj;
	int rc;

	if (cg_id_new(rnd) != 0)
		return CG_DB_ERR;
	snprintf(key, sizeof(key), "webhook.test:%s", rnd);
	obj = json_pack("{s:s, s:s}", "object", "test", "message",
	    "A test event from Cryptic Gateway.");
	rc = cg_outbox_add_keyed(db, e->merchant_id, CG_EVENT_TEST, NULL, key,
	    obj, cg_now_ms(), e->event_id);
	json_decref(obj);
	if (rc < 0)
		return CG_DB_ERR;
	e->rc = rc;
	return 0;
}

int
cg_webhooks_enqueue_test(struct cg_db *db, const char *merchant_id,
    char *event_id)
{
	struct enqueue_test e;

	memset(&e, 0, sizeof(e));
	e.merchant_id = merchant_id;
	if (cg_db_tx(db, enqueue_test_tx, &e) != 0)
		return -1;
	snprintf(event_id, CG_EVENT_ID_SIZE, "%s", e.event_id);
	return e.rc;
}

static void
ctl_work(void *arg, void *thread_ctx)
{
	struct ctl *c = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	struct cg_delivery_filter f;
	char secret[CG_WEBHOOK_SECRET_LEN + 1], evt[CG_EVENT_ID_SIZE];
	int rc = -1;

	c->code = "internal";
	snprintf(c->err, sizeof(c->err), "database error");
	if (db == NULL)
		return;
	switch (c->cmd) {
	case C_LIST:
		memset(&f, 0, sizeof(f));
		f.merchant_id = c->arg[0] ? c->arg : NULL;
		f.status = c->status[0] ? c->status : NULL;
		f.limit = c->limit[0] ? atoi(c->limit) : 50;
		c->result = cg_webhooks_list(db, &f, 0);
		return;
	case C_REDELIVER:
		rc = cg_webhooks_redeliver(db, NULL, c->arg, cg_now_ms());
		if (rc == 2) {
			c->code = "conflict";
			snprintf(c->err, sizeof(c->err), "being sent now");
			return;
		}
		break;
	case C_PAUSE:
	case C_RESUME:
		rc = cg_webhooks_set_paused(db, c->arg, c->cmd == C_PAUSE,
		    cg_now_ms());
		break;
	case C_TEST:
		rc = cg_webhooks_enqueue_test(db, c->arg, evt);
		if (rc == 0) {
			c->code = "conflict";
			snprintf(c->err, sizeof(c->err), "merchant has no "
			    "webhook URL or receives no webhooks");
			return;
		}
		if (rc == 1)
			c->result = json_pack("{s:s}", "event_id", evt);
		return;
	case C_ROTATE:
		if (cg_webhooks_box(c->w) == NULL) {
			c->code = "unavailable";
			snprintf(c->err, sizeof(c->err), "no daemon.master_key: "
			    "a webhook secret cannot be stored");
			return;
		}
		rc = cg_whsecret_rotate(db, cg_webhooks_box(c->w), c->arg,
		    c->overlap_ms, cg_now_ms(), secret, NULL, NULL);
		if (rc == 0)
			c->result = json_pack("{s:s}", "secret", secret);
		OPENSSL_cleanse(secret, sizeof(secret));
		break;
	case C_RETIRE:
		rc = cg_whsecret_retire_previous(db, c->arg, cg_now_ms());
		break;
	}
	if (rc == 1) {
		c->code = "not_found";
		snprintf(c->err, sizeof(c->err), "no such %s",
		    c->cmd == C_REDELIVER ? "delivery" : "merchant");
	} else if (rc == 0 && c->result == NULL) {
		c->result = json_pack("{s:b}", "ok", 1);
	}
}

static void
ctl_done(void *arg)
{
	struct ctl *c = arg;

	if (c->result)
		cg_control_reply(c->call, c->result);
	else
		cg_control_fail(c->call, c->code, "%s", c->err);
	free(c);
}

static void
ctl_start(struct cg_control_call *call, json_t *args, struct cg_webhooks *w,
    struct cg_daemon *d, enum cmd cmd, const char *argname)
{
	struct ctl *c = calloc(1, sizeof(*c));
	const char *a = argname ? json_string_value(json_object_get(args,
	    argname)) : NULL;
	const char *st = json_string_value(json_object_get(args, "status"));
	const char *lim = json_string_value(json_object_get(args, "limit"));

	if (c == NULL) {
		cg_control_fail(call, "internal", "out of memory");
		return;
	}
	if ((a && !cg_id_valid(a)) || (argname && cmd != C_LIST && !a)) {
		cg_control_fail(call, "bad_argument", "%s: not an id",
		    argname);
		free(c);
		return;
	}
	c->call = call;
	c->w = w;
	c->cmd = cmd;
	c->overlap_ms = d->cfg->webhooks.secret_overlap_s * 1000;
	snprintf(c->arg, sizeof(c->arg), "%s", a ? a : "");
	snprintf(c->status, sizeof(c->status), "%s", st ? st : "");
	for (char *p = c->status; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(c->limit, sizeof(c->limit), "%s", lim ? lim : "");
	if (cg_control_post(call, d->webhook_pool, ctl_work, ctl_done, c) != 0)
		free(c);
}

struct reg {
	struct cg_webhooks *w;
	struct cg_daemon *d;
};
static struct reg reg;

#define CTL_CMD(fn, cmd, name) \
static void \
fn(struct cg_control_call *call, json_t *args, void *ud) \
{ \
	struct reg *r = ud; \
	ctl_start(call, args, r->w, r->d, cmd, name); \
}
CTL_CMD(cmd_list, C_LIST, "merchant")
CTL_CMD(cmd_redeliver, C_REDELIVER, "id")
CTL_CMD(cmd_pause, C_PAUSE, "merchant")
CTL_CMD(cmd_resume, C_RESUME, "merchant")
CTL_CMD(cmd_test, C_TEST, "merchant")
CTL_CMD(cmd_rotate, C_ROTATE, "merchant")
CTL_CMD(cmd_retire, C_RETIRE, "merchant")

void
cg_webhooks_admin_register(struct cg_webhooks *w, struct cg_daemon *d)
{
	const unsigned o = CG_CONTROL_F_OWNER;

	reg.w = w;
	reg.d = d;
	cg_control_register(d->control, "webhooks list [merchant] [status] "
	    "[limit]", cmd_list, &reg, 0);
	cg_control_register(d->control, "webhooks redeliver <id>",
	    cmd_redeliver, &reg, o);
	cg_control_register(d->control, "webhooks pause <merchant>",
	    cmd_pause, &reg, o);
	cg_control_register(d->control, "webhooks resume <merchant>",
	    cmd_resume, &reg, o);
	cg_control_register(d->control, "webhooks test <merchant>", cmd_test,
	    &reg, o);
	cg_control_register(d->control, "webhooks rotate-secret <merchant>",
	    cmd_rotate, &reg, o);
	cg_control_register(d->control, "webhooks retire-secret <merchant>",
	    cmd_retire, &reg, o);
}
