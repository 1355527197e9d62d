/*
 * A thin adapter between the HTTP server and the payment handlers (the
 * invoice, wallet and catalog routes), until they move onto the API
 * framework: Bearer API key authentication, one generic worker hop per
 * request (authenticate, then the route's operation on the API SQL pool),
 * and replies as JSON or problem+json with field errors.
 *
 * An operation runs on a worker with the request's merchant set; it sets
 * c->status and either c->reply (JSON), c->raw (stored JSON text, for an
 * idempotent replay) or an error through cg_pay_error/cg_pay_field.
 */
#ifndef CG_PAYMENTS_HTTPGLUE_H
#define CG_PAYMENTS_HTTPGLUE_H

#include <stddef.h>

#include <jansson.h>

#include "http/problem.h"
#include "util/id.h"

struct cg_daemon;
struct cg_db;
struct cg_http_req;
struct cg_pay_call;

#define CG_PAY_MAX_FIELDS 16

typedef void (*cg_pay_op)(struct cg_pay_call *c, struct cg_db *db);

struct cg_pay_call {
	struct cg_daemon *d;
	struct cg_http_req *req;
	cg_pay_op op;
	char token[256];             /* Bearer credential (loop copy) */
	char idem_key[256];
	int has_idem;
	char ip[64];
	char merchant_id[CG_ID_SIZE];
	char api_key_id[CG_ID_SIZE];
	/* result */
	int status;
	json_t *reply;
	char *raw;
	char location[128];          /* Location header for 201, or "" */
	char detail[256];
	struct cg_problem_field fields[CG_PAY_MAX_FIELDS];
	char fieldtext[CG_PAY_MAX_FIELDS][2][192];
	size_t nfields;
};

/* Registers a merchant route (API key required). 0 or a negative errno. */
int cg_pay_route(struct cg_daemon *d, const char *method,
    const char *pattern, const char *name, cg_pay_op op);

void cg_pay_error(struct cg_pay_call *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cg_pay_field(struct cg_pay_call *c, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The request body as a JSON object, refusing members not in allowed
 * (NULL-terminated): NULL with a 400/422 error set. */
json_t *cg_pay_body(struct cg_pay_call *c, const char *const *allowed);

/* Query parameter `limit` (1..100, default 20) and the opaque cursor
 * "<created ms>.<id>": 0, or -1 with a 422 error set. */
int cg_pay_page(struct cg_pay_call *c, int *limit, int64_t *cur_ms,
    char cur_id[CG_ID_SIZE], int *has_cursor);
/* Writes the cursor for a row into out (base64url). */
void cg_pay_cursor(int64_t ms, const char *id, char *out, size_t size);

#endif
