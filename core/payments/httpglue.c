#include "payments/httpglue.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "http/server.h"
#include "runtime/daemon.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"

#define MAX_ROUTES 32

struct route {
	struct cg_daemon *d;
	cg_pay_op op;
};

/* One daemon per process: the table lives as long as the routes. */
static struct route routes[MAX_ROUTES];
static size_t nroutes;

void
cg_pay_error(struct cg_pay_call *c, int status, const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

void
cg_pay_field(struct cg_pay_call *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	size_t i = c->nfields;

	if (i == CG_PAY_MAX_FIELDS)
		return;
	snprintf(c->fieldtext[i][0], sizeof(c->fieldtext[i][0]), "%s", field);
	va_start(ap, fmt);
	vsnprintf(c->fieldtext[i][1], sizeof(c->fieldtext[i][1]), fmt, ap);
	va_end(ap);
	c->fields[i].field = c->fieldtext[i][0];
	c->fields[i].message = c->fieldtext[i][1];
	c->nfields++;
}

json_t *
cg_pay_body(struct cg_pay_call *c, const char *const *allowed)
{
	const char *body, *key;
	json_error_t jerr;
	json_t *o, *v;
	size_t len;

	body = cg_http_req_body(c->req, &len);
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		cg_pay_error(c, 400, "the body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? jerr.text : "");
		return NULL;
	}
	json_object_foreach(o, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL)
			cg_pay_field(c, key, "unknown field");
	}
	if (c->nfields) {
		json_decref(o);
		cg_pay_error(c, 422, "the body has unknown fields");
		return NULL;
	}
	return o;
}

void
cg_pay_cursor(int64_t ms, const char *id, char *out, size_t size)
{
	char raw[64];
	int n = snprintf(raw, sizeof(raw), "%lld.%s", (long long)ms, id);

	if (cg_base64url_encode(raw, (size_t)n, out, size) < 0)
		out[0] = '\0';
}

int
cg_pay_page(struct cg_pay_call *c, int *limit, int64_t *cur_ms,
    char cur_id[CG_ID_SIZE], int *has_cursor)
{
	const char *l = cg_http_req_query(c->req, "limit");
	const char *cur = cg_http_req_query(c->req, "cursor");
	char raw[64], *dot, *end;
	int n;

	*limit = 20;
	*has_cursor = 0;
	if (l != NULL) {
		long v = strtol(l, &end, 10);

		if (*l == '\0' || *end != '\0' || v < 1 || v > 100) {
			cg_pay_field(c, "limit", "an integer from 1 to 100");
			cg_pay_error(c, 422, "bad query parameter");
			return -1;
		}
		*limit = (int)v;
	}
	if (cur == NULL)
		return 0;
	n = cg_base64url_decode(cur, strlen(cur), raw, sizeof(raw) - 1);
	if (n < 0)
		goto bad;
	raw[n] = '\0';
	dot = strchr(raw, '.');
	if (dot == NULL || !cg_id_valid(dot + 1))
		goto bad;
	*dot = '\0';
	*cur_ms = strtoll(raw, &end, 10);
	if (*raw == '\0' || *end != '\0' || *cur_ms < 0)
		goto bad;
	snprintf(cur_id, CG_ID_SIZE, "%s", dot + 1);
	*has_cursor = 1;
	return 0;
bad:
	cg_pay_field(c, "cursor", "not a cursor this API returned");
	cg_pay_error(c, 422, "bad query parameter");
	return -1;
}

/* API keys are stored as the SHA-256 of the whole key. */
static int
authenticate(struct cg_pay_call *c, struct cg_db *db)
{
	char hash[2 * CG_SHA256_LEN + 1];
	struct cg_stmt *st;
	int rc;

	if (c->token[0] == '\0' ||
	    cg_sha256_hex(c->token, strlen(c->token), hash) != 0)
		return 0;
	st = cg_db_query(db, "SELECT k.id, k.merchant_id FROM api_keys k JOIN "
	    "merchants m ON m.id = k.merchant_id WHERE k.key_hash = ? AND "
	    "k.revoked_at IS NULL AND k.deleted_at IS NULL AND "
	    "(k.expires_at IS NULL OR k.expires_at > ?) AND "
	    "m.deleted_at IS NULL AND m.is_active = 1", "st", hash,
	    cg_now_ms());
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		snprintf(c->api_key_id, sizeof(c->api_key_id), "%s",
		    cg_stmt_str(st, 0));
		snprintf(c->merchant_id, sizeof(c->merchant_id), "%s",
		    cg_stmt_str(st, 1));
	}
	cg_stmt_close(st);
	return rc;
}

static void
call_work(void *arg, void *thread_ctx)
{
	struct cg_pay_call *c = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	int rc;

	if (cg_http_req_orphaned(c->req))
		return;
	if (db == NULL) {
		cg_pay_error(c, 503, "database unreachable");
		return;
	}
	rc = authenticate(c, db);
	if (rc < 0) {
		cg_pay_error(c, 503, "database error");
		return;
	}
	if (rc == 0) {
		cg_pay_error(c, 401, "a valid API key is required "
		    "(Authorization: Bearer <key>)");
		return;
	}
	c->op(c, db);
}

static void
call_done(void *arg)
{
	struct cg_pay_call *c = arg;
	struct cg_problem p;

	if (c->status == 401)
		cg_http_set_header(c->req, "WWW-Authenticate", "Bearer");
	if (c->location[0])
		cg_http_set_header(c->req, "Location", c->location);
	if (c->raw != NULL) {
		cg_http_reply(c->req, c->status, "application/json", c->raw,
		    strlen(c->raw));
	} else if (c->reply != NULL && c->status < 400) {
		cg_http_reply_json(c->req, c->status, c->reply);
		c->reply = NULL;
	} else {
		memset(&p, 0, sizeof(p));
		p.status = c->status ? c->status : 500;
		p.detail = c->detail[0] ? c->detail : NULL;
		p.errors = c->fields;
		p.nerrors = c->nfields;
		p.request_id = cg_http_req_id(c->req);
		if (p.status == 503)
			cg_http_set_header(c->req, "Retry-After", "5");
		cg_http_reply_problem(c->req, &p);
	}
	json_decref(c->reply);
	free(c->raw);
	free(c);
}

static void
on_request(struct cg_http_req *req, void *ud)
{
	struct route *r = ud;
	struct cg_pay_call *c = calloc(1, sizeof(*c));
	const char *auth, *idem, *peer;

	if (c == NULL) {
		cg_http_reply_error(req, 500, "out of memory");
		return;
	}
	c->d = r->d;
	c->req = req;
	c->op = r->op;
	auth = cg_http_req_header(req, "Authorization");
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 &&
	    strlen(auth + 7) < sizeof(c->token))
		snprintf(c->token, sizeof(c->token), "%s", auth + 7);
	idem = cg_http_req_header(req, "Idempotency-Key");
	if (idem != NULL) {
		size_t n = strlen(idem);

		if (n == 0 || n >= sizeof(c->idem_key)) {
			free(c);
			cg_http_reply_error(req, 400, "Idempotency-Key must be "
			    "1 to 255 characters");
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (idem[i] < 0x21 || idem[i] > 0x7e) {
				free(c);
				cg_http_reply_error(req, 400, "Idempotency-Key "
				    "must be printable ASCII");
				return;
			}
		snprintf(c->idem_key, sizeof(c->idem_key), "%s", idem);
		c->has_idem = 1;
	}
	peer = cg_http_req_peer(req);
	snprintf(c->ip, sizeof(c->ip), "%s", peer ? peer : "");
	if (cg_http_post(req, r->d->api_pool, call_work, call_done, c) != 0)
		free(c);
}

int
cg_pay_route(struct cg_daemon *d, const char *method, const char *pattern,
    const char *name, cg_pay_op op)
{
	struct route *r;

	if (nroutes == MAX_ROUTES)
		return -ENOSPC;
	r = &routes[nroutes++];
	r->d = d;
	r->op = op;
	return cg_http_route(d->http, method, pattern, name, on_request, r);
}
