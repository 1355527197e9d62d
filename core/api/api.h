/*
 * The merchant and user HTTP API framework (/api/v1/…): what every endpoint
 * shares, so a handler is only its validation and its SQL.
 *
 * A request to a route registered with cg_api_route goes through, in order:
 *   1. the loop: 503 when the database monitor says the database is not
 *      ready; the headers the workers need are copied (Authorization,
 *      Idempotency-Key, User-Agent);
 *   2. one SQL worker task: authentication (API key "cgk_…" looked up by
 *      prefix, session "cgs_…" by hash; compared in constant time; revoked,
 *      expired, deleted, inactive refused; a successful API key lookup is
 *      reused for api.auth_cache_ms, so a change made elsewhere takes
 *      effect within that bound, one made through this daemon at once),
 *      the merchant's IP allow-list,
 *      the route's access flags (401/403), the rate limit of the key or
 *      session (token bucket in memory, limits from the merchant row: 429
 *      with Retry-After and RateLimit-* headers), and for CG_API_IDEMPOTENT
 *      routes with an Idempotency-Key the claim of the key (replay, 422 for
 *      another body, 409 while the first is in flight);
 *   3. the loop: the route's handler, which validates its input and posts
 *      its SQL with cg_api_sql (or hashing with cg_api_hash);
 *   4. the answer set by the work function (cg_api_set_json/…) is sent by
 *      the framework, which also settles the idempotency record, counts the
 *      request into the usage statistics and adds the rate-limit headers.
 *
 * Errors are application/problem+json (core/http/problem.h). Input errors:
 * a body that is not a JSON object is 400; a well-formed object whose
 * fields are wrong (missing, unknown, bad type, length, value) is 422 with
 * errors: [{field, message}] (see api/validate.h).
 *
 * Tenancy: a merchant-scoped handler takes the merchant id only from
 * cg_api_merchant_id(call) (the authenticated key's or user's merchant) and
 * puts "merchant_id = ?" in every statement; a row of another merchant is
 * simply not found and answered 404 (cg_api_set_not_found), never 403.
 *
 * Threads: functions marked "loop" run on the loop thread only; "worker"
 * from the work function of cg_api_sql/cg_api_hash; "any" from both while
 * the call is alive (it lives until the answer is sent).
 *
 * Other modules register their routes from their own start function, after
 * cg_api_start (daemon.c starts the API first): cg_api_route(d->api, …).
 * A handler in outline:
 *
 *	static int create_tx(struct cg_db *db, void *arg) {
 *		struct cg_api_call *call = arg;
 *		… INSERT … WHERE merchant_id = ? (cg_api_merchant_id(call)) …
 *		cg_api_audit(db, call, mid, "CREATE", "invoice", id, NULL, j);
 *		cg_api_set_json(call, 201, j);
 *		return cg_api_idem_save(db, call, "invoice", id);
 *	}
 *	static void create_sql(struct cg_api_call *call, struct cg_db *db) {
 *		if (cg_db_tx(db, create_tx, call) != 0)
 *			cg_api_set_db_error(call, db);
 *	}
 *	static void create(struct cg_api_call *call) {	// loop
 *		struct cg_vld v;
 *		if (cg_api_parse_body(call, &v, false) != 0) {
 *			cg_api_finish(call); return;	// 400 was set
 *		}
 *		… cg_vld_* …; if (cg_vld_end(&v) != 0) → cg_api_set_vld_errors,
 *		cg_vld_free, cg_api_finish; else keep the values in a state
 *		(cg_api_set_state) and cg_api_sql(call, create_sql, NULL);
 *	}
 *	cg_api_route(d->api, "POST", "/api/v1/invoices", "invoices.create",
 *	    create, CG_API_MERCHANT | CG_API_IDEMPOTENT);
 */
#ifndef CG_API_API_H
#define CG_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/id.h"

struct cg_daemon;
struct cg_db;
struct cg_api;
struct cg_api_call;
struct cg_http_req;

/* ---- module -------------------------------------------------------------- */

/* Registers the API's routes on d->http and its control commands, starts
 * the usage flush timer. NULL on failure (logged). Loop. */
struct cg_api *cg_api_start(struct cg_daemon *d);
/* Timers off; the last usage batch is posted to the SQL pool (which drains
 * it before it is destroyed). */
void cg_api_stop(struct cg_api *api);
/* After the pools are destroyed. */
void cg_api_free(struct cg_api *api);

/* ---- routes -------------------------------------------------------------- */

/* Who may call a route: any of the set bits admits. */
#define CG_API_PUBLIC     0x0001 /* anyone; credentials used when given */
#define CG_API_KEY        0x0002 /* a merchant API key */
#define CG_API_SESSION    0x0004 /* a session of a MERCHANT user with a live
                                    merchant (acts on that merchant) */
#define CG_API_USER       0x0008 /* a session of any user (own account) */
#define CG_API_OPERATOR   0x0010 /* a session of an OPERATOR or ADMIN */
#define CG_API_ADMIN      0x0020 /* a session of an ADMIN */
#define CG_API_MERCHANT   (CG_API_KEY | CG_API_SESSION)
/* POST honours Idempotency-Key (scope: the key's merchant or the user). */
#define CG_API_IDEMPOTENT 0x0100
/* A write that cannot end a key or change a merchant's state (invoices,
 * wallets): the API key cache is kept after it. Other writes through this
 * daemon empty it, so a revocation or suspension applies at once. */
#define CG_API_KEEPS_AUTH 0x0200

typedef void (*cg_api_handler)(struct cg_api_call *call);

/* method "GET" …, pattern "/api/v1/invoices/{id}", name "invoices.get"
 * (metrics label). Returns 0 or a negative errno (as cg_http_route). Loop,
 * before the daemon serves (from cg_api_start or a module's start). */
int cg_api_route(struct cg_api *api, const char *method, const char *pattern,
    const char *name, cg_api_handler fn, unsigned flags);

/* A route that is only SQL (no validation on the loop: reads by id,
 * lists): work runs on the SQL worker right after authentication, in the
 * same task, and its answer is sent; one pool hop instead of two. */
typedef void (*cg_api_sql_fn)(struct cg_api_call *call, struct cg_db *db);
int cg_api_route_sql(struct cg_api *api, const char *method,
    const char *pattern, const char *name, cg_api_sql_fn work,
    unsigned flags);

/* An SQL route whose answer may be in memory: on the loop, before any
 * pool hop, a request with an API key found in the key cache is checked
 * (key, allow-list, rate limit, access) and cached(call) runs; it answers
 * (cg_api_set_text + cg_api_finish) and returns 1, or returns 0 and work
 * runs on a worker as for cg_api_route_sql, without authenticating again.
 * Other requests go the usual way. Loop. */
typedef int (*cg_api_cached_fn)(struct cg_api_call *call);
int cg_api_route_sql_cached(struct cg_api *api, const char *method,
    const char *pattern, const char *name, cg_api_sql_fn work,
    cg_api_cached_fn cached, unsigned flags);

/* ---- the call: authentication and request -------------------------------- */

enum cg_api_auth_kind {
	CG_AUTH_NONE = 0,
	CG_AUTH_API_KEY,
	CG_AUTH_SESSION,
};

enum cg_api_role {
	CG_ROLE_NONE = 0,
	CG_ROLE_MERCHANT,
	CG_ROLE_OPERATOR,
	CG_ROLE_ADMIN,
};

struct cg_api_auth {
	enum cg_api_auth_kind kind;
	enum cg_api_role role;         /* API keys: CG_ROLE_MERCHANT */
	char merchant_id[CG_ID_SIZE];  /* "" when the caller has no merchant */
	char user_id[CG_ID_SIZE];      /* sessions; "" for API keys */
	char key_id[CG_ID_SIZE];       /* API key id; "" for sessions */
	char session_id[CG_ID_SIZE];   /* session id; "" for API keys */
};

/* Any. Never NULL; kind CG_AUTH_NONE on public routes without credentials. */
const struct cg_api_auth *cg_api_auth(const struct cg_api_call *call);
/* The authenticated merchant id, or NULL when the caller has none. Any. */
const char *cg_api_merchant_id(const struct cg_api_call *call);

struct cg_api *cg_api_of(const struct cg_api_call *call);
struct cg_daemon *cg_api_daemon(const struct cg_api_call *call);
struct cg_http_req *cg_api_req(const struct cg_api_call *call);
/* Path parameter ({id}) and query value, or NULL. Any. */
const char *cg_api_param(const struct cg_api_call *call, const char *name);
const char *cg_api_query(const struct cg_api_call *call, const char *key);
/* The raw body (NUL-terminated) and its length. Any. */
const char *cg_api_body(const struct cg_api_call *call, size_t *len);
/* Client address, User-Agent ("" when none), method, path, route pattern,
 * request id. Any. */
const char *cg_api_ip(const struct cg_api_call *call);
const char *cg_api_user_agent(const struct cg_api_call *call);
const char *cg_api_method(const struct cg_api_call *call);
const char *cg_api_path(const struct cg_api_call *call);
const char *cg_api_pattern(const struct cg_api_call *call);
const char *cg_api_request_id(const struct cg_api_call *call);

/* Handler state, freed with the call by free_fn (may be NULL). Any. */
void cg_api_set_state(struct cg_api_call *call, void *state,
    void (*free_fn)(void *));
void *cg_api_state(const struct cg_api_call *call);

/* ---- work on the pools --------------------------------------------------- */

/* cg_api_sql_fn (above) runs on an SQL worker with that thread's
 * connection (never NULL: while the database is unreachable the framework
 * answers 503 itself). */
/* Runs on a hash worker (Argon2). */
typedef void (*cg_api_hash_fn)(struct cg_api_call *call);
/* Runs on the loop after the work: continue (post more work) or answer. */
typedef void (*cg_api_then_fn)(struct cg_api_call *call);

/* Posts work; then == NULL answers what the work set (cg_api_finish).
 * On a full queue answers 503 itself. Loop. */
void cg_api_sql(struct cg_api_call *call, cg_api_sql_fn work,
    cg_api_then_fn then);
void cg_api_hash(struct cg_api_call *call, cg_api_hash_fn work,
    cg_api_then_fn then);

/* ---- answers ------------------------------------------------------------- */

/* Set the answer (any; the last one set wins). set_json takes the
 * reference to body. */
void cg_api_set_json(struct cg_api_call *call, int status, json_t *body);
/* A JSON answer already rendered: takes text (malloc'd, NUL-terminated). */
void cg_api_set_text(struct cg_api_call *call, int status, char *text,
    size_t len);
/* The answer's JSON text, rendered now if it was not (the call keeps it):
 * for keeping a copy. NULL when it cannot be rendered. Any. */
const char *cg_api_text(struct cg_api_call *call, size_t *len);
/* problem+json with status, its phrase as title, and detail (may be NULL). */
void cg_api_set_problem(struct cg_api_call *call, int status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* 404 "No <what> with this id." */
void cg_api_set_not_found(struct cg_api_call *call, const char *what);
/* 500, logged with the database's error. */
void cg_api_set_db_error(struct cg_api_call *call, struct cg_db *db);
/* Runs fn in a transaction (cg_db_tx) with the call as its argument and
 * answers what it did not: 404 "No <what> …" when fn returned 404, 500 on
 * any other failure. Worker. */
void cg_api_tx(struct cg_api_call *call, struct cg_db *db,
    int (*fn)(struct cg_db *, void *), const char *what);
/* A response header sent with the answer (copied). Any. */
void cg_api_add_header(struct cg_api_call *call, const char *name,
    const char *value);
int cg_api_status(const struct cg_api_call *call);
/* Sends the answer that was set (500 if none). Loop; the call is gone. */
void cg_api_finish(struct cg_api_call *call);
/* Shorthands: set and finish. Loop. */
void cg_api_reply_json(struct cg_api_call *call, int status, json_t *body);
void cg_api_reply_problem(struct cg_api_call *call, int status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- request bodies (api/validate.h) ------------------------------------- */

struct cg_vld;
/* Parses the body into v (cg_vld_begin); on failure sets a 400 answer and
 * returns -1 (v needs no free then). Any. */
int cg_api_parse_body(struct cg_api_call *call, struct cg_vld *v,
    bool empty_ok);
/* Sets the 422 answer listing v's field errors. Any. */
void cg_api_set_vld_errors(struct cg_api_call *call, const struct cg_vld *v);

/* ---- idempotency --------------------------------------------------------- */

/*
 * Inside the handler's transaction (cg_db_tx), after the change and after
 * the answer was set: stores that answer in the claimed idempotency record,
 * so the change and its stored response commit together. A no-op (0) when
 * the request carries no Idempotency-Key or the route is not idempotent.
 * Returns 0 or CG_DB_ERR (let the transaction fail). resource_type/id may
 * be NULL. Worker.
 *
 * Answers the handler does not store this way (validation errors, 404 …)
 * are stored by the framework after the fact (no change went with them);
 * 5xx and 429 answers are never stored, the claim is released, and a retry
 * runs again.
 */
int cg_api_idem_save(struct cg_db *db, struct cg_api_call *call,
    const char *resource_type, const char *resource_id);

/* ---- audit --------------------------------------------------------------- */

struct cg_audit_actor {
	const char *actor_type;   /* "USER", "API_KEY", "SYSTEM", "CONTROL" */
	const char *user_id;      /* NULL/"": none */
	const char *api_key_id;
	const char *ip;
	const char *user_agent;
	const char *endpoint;     /* HTTP path or control command */
	const char *http_method;
	const char *request_id;
};

/* Appends one audit_logs row (inside the caller's transaction). before and
 * after may be NULL (borrowed, not consumed). 0 or CG_DB_ERR. Worker. */
int cg_audit(struct cg_db *db, const struct cg_audit_actor *actor,
    const char *merchant_id, const char *action, const char *entity_type,
    const char *entity_id, const json_t *before, const json_t *after);
/* The same with the actor, IP, endpoint and request id of the call. */
int cg_api_audit(struct cg_db *db, const struct cg_api_call *call,
    const char *merchant_id, const char *action, const char *entity_type,
    const char *entity_id, const json_t *before, const json_t *after);
/* Audits a change, then answers status with after. Consumes before and
 * after either way. 0 or CG_DB_ERR (return it from the transaction). */
int cg_api_audit_reply(struct cg_db *db, struct cg_api_call *call,
    const char *merchant_id, const char *action, const char *entity_type,
    const char *entity_id, json_t *before, json_t *after, int status);

/* ---- cursor pagination --------------------------------------------------- */

/*
 * Lists are ordered newest first by (created_at, id), both descending; the
 * cursor is the opaque base64url text of the last row's (created_at ms, id).
 * Query: ?limit=1..100 (default 20)&cursor=…. The SQL of a page is
 *   … AND (? = 0 OR created_at < ? OR (created_at = ? AND id < ?))
 *   ORDER BY created_at DESC, id DESC LIMIT <limit + 1>
 * with the parameters of CG_API_PAGE_ARGS: one row more than asked tells
 * whether there is a next page.
 */
#define CG_API_PAGE_DEFAULT 20
#define CG_API_PAGE_MAX 100
#define CG_API_PAGE_SQL \
	"(? = 0 OR created_at < ? OR (created_at = ? AND id < ?))"
/* The prefixed form, for joins: CG_API_PAGE_SQL_T("i.") */
#define CG_API_PAGE_SQL_T(t) \
	"(? = 0 OR " t "created_at < ? OR (" t "created_at = ? AND " t \
	"id < ?))"
#define CG_API_PAGE_TYPES "itts"
#define CG_API_PAGE_ARGS(pg) (int64_t)(pg)->has_cursor, (pg)->after_ms, \
	(pg)->after_ms, (pg)->after_id

struct cg_api_page {
	int limit;                /* rows asked for */
	int has_cursor;
	int64_t after_ms;         /* cursor: created_at of the last row seen */
	char after_id[CG_ID_SIZE];
	/* Filled by cg_api_page_add as rows are added: */
	json_t *data;
	int count;
	int has_more;
	int64_t last_ms;
	char last_id[CG_ID_SIZE];
};

/* Parses limit and cursor from the query; on error sets a 400 answer and
 * returns -1. Any. */
int cg_api_page_parse(struct cg_api_call *call, struct cg_api_page *pg);
/* Adds one fetched row (its created_at and id) in order: returns 1 when the
 * row belongs to the page (item appended, reference taken), 0 when it is
 * the extra row that says a next page exists (item released). */
int cg_api_page_add(struct cg_api_page *pg, int64_t created_ms,
    const char *id, json_t *item);
/* {"data": […], "has_more": b, "next_cursor": "…"|null}; frees pg->data. */
json_t *cg_api_page_result(struct cg_api_page *pg);
/* The object of a list's current row (NULL: out of memory). */
struct cg_stmt;
typedef json_t *(*cg_api_row_fn)(struct cg_stmt *st, const void *arg);
/*
 * Answers a page from st, the result of a page query (NULL when it
 * failed): each row's id is column 0, its created_at column time_col, its
 * item row(st, arg). 200 with cg_api_page_result, or the database error.
 * Closes st and frees pg->data either way. Worker.
 */
void cg_api_page_answer(struct cg_api_call *call, struct cg_db *db,
    struct cg_api_page *pg, struct cg_stmt *st, unsigned time_col,
    cg_api_row_fn row, const void *arg);
/* The same for a short list without pages: {"data": [row(st, arg) …]}. */
void cg_api_list_answer(struct cg_api_call *call, struct cg_db *db,
    struct cg_stmt *st, cg_api_row_fn row, const void *arg);
/* Cursor text codec (exposed for tests). out: at least 64 bytes. */
int cg_api_cursor_encode(int64_t ms, const char *id, char *out, size_t size);
int cg_api_cursor_decode(const char *s, int64_t *ms, char id[CG_ID_SIZE]);

/* Query times: "2026-01-31", "2026-01-31T12:00:00Z" or
 * "…T12:00:00.123Z" (UTC) → ms. 0 or -1. */
int cg_api_parse_time(const char *s, int64_t *ms);

/* Whether ip is in the JSON allow-list (array of addresses and CIDRs;
 * NULL or [] admit everyone; an unreadable list admits no one). */
int cg_api_ip_allowed(const char *ip, const char *list_json);
/* Whether s is one allow-list entry: an IPv4/IPv6 address or CIDR. */
int cg_api_ip_entry_valid(const char *s);

/* ---- small helpers for handlers ------------------------------------------ */

/* DATETIME(3) column → RFC 3339 JSON string, or JSON null. */
json_t *cg_api_time_json(const char *sqltime);
/* A column as a JSON string, or null for SQL NULL. */
json_t *cg_api_str_json(const char *s);

#endif
