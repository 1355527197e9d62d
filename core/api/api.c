/*
 * The API framework: dispatch, authentication, access, rate limits,
 * idempotency records, answers, usage statistics. See api.h.
 */
#include "api/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api/internal.h"
#include "api/resources.h"
#include "api/validate.h"
#include "config/config.h"
#include "control/control.h"
#include "db/db.h"
#include "http/server.h"
#include "runtime/daemon.h"
#include "runtime/dbmonitor.h"
#include "runtime/pool.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/str.h"
#include "util/token.h"

#define IDEM_TTL_MS (24LL * 3600 * 1000)
/* A PROCESSING record older than this was left by a daemon that died. */
#define IDEM_STALE_MS (120LL * 1000)
#define IDEM_KEY_MAX 255
/* Callers without a merchant (admin and operator sessions). */
#define USER_RATE_PER_MIN 600
#define USER_RATE_BURST 100
#define RL_IDLE_MS (3600LL * 1000)
#define HASH_BUCKETS 1024
#define USAGE_BUCKETS CG_API_USAGE_BUCKETS
#define PRUNE_EVERY_MS (60LL * 1000)
#define SESSION_KEEP_MS (7LL * 24 * 3600 * 1000)

struct api_route {
	struct cg_api *api;
	cg_api_handler fn;
	cg_api_sql_fn sql_fn;	/* route_sql: runs in the auth task */
	cg_api_cached_fn cached; /* answers from memory on the loop */
	unsigned flags;
	char *pattern;
	struct api_route *next;
};

struct hdr {
	char *name, *value;
	struct hdr *next;
};

struct cg_api_call {
	struct cg_api *api;
	struct api_route *route;
	struct cg_http_req *req;
	struct cg_api_auth auth;
	int authed;		/* authenticated on the loop (key cache) */
	char authz[CG_TOKEN_MAX_LEN + 64];
	int has_authz;
	char idem_key[IDEM_KEY_MAX + 2];
	int has_idem;
	char ua[256];
	char ip[46];		/* the client: peer, or X-Forwarded-For */
	int64_t start_us;

	/* rate limit headers */
	int rl_on;
	long rl_limit, rl_remaining, rl_reset_s, rl_retry_s;

	/* idempotency */
	int idem_claimed;
	char idem_id[CG_ID_SIZE];
	int idem_saved_status;
	int replay;

	/* the answer */
	int status;
	json_t *body;
	int problem;
	char *text;		/* rendered body (or the replayed one) */
	size_t textlen;
	struct hdr *headers;

	/* posted work */
	cg_api_sql_fn sql_work;
	cg_api_hash_fn hash_work;
	cg_api_then_fn then;
	int unreachable;

	void *state;
	void (*state_free)(void *);
};

/* ---- call accessors ------------------------------------------------------ */

const struct cg_api_auth *
cg_api_auth(const struct cg_api_call *call)
{
	return &call->auth;
}

const char *
cg_api_merchant_id(const struct cg_api_call *call)
{
	return call->auth.merchant_id[0] ? call->auth.merchant_id : NULL;
}

struct cg_api *cg_api_of(const struct cg_api_call *call) { return call->api; }
struct cg_daemon *cg_api_daemon(const struct cg_api_call *call)
{
	return call->api->d;
}
struct cg_http_req *cg_api_req(const struct cg_api_call *call)
{
	return call->req;
}

const char *
cg_api_param(const struct cg_api_call *call, const char *name)
{
	return cg_http_req_param(call->req, name);
}

const char *
cg_api_query(const struct cg_api_call *call, const char *key)
{
	return cg_http_req_query(call->req, key);
}

const char *
cg_api_body(const struct cg_api_call *call, size_t *len)
{
	return cg_http_req_body(call->req, len);
}

const char *
cg_api_ip(const struct cg_api_call *call)
{
	return call->ip;
}

const char *cg_api_user_agent(const struct cg_api_call *call)
{
	return call->ua;
}
const char *cg_api_method(const struct cg_api_call *call)
{
	return cg_http_req_method(call->req);
}
const char *cg_api_path(const struct cg_api_call *call)
{
	return cg_http_req_path(call->req);
}
const char *cg_api_pattern(const struct cg_api_call *call)
{
	return call->route->pattern;
}
const char *cg_api_request_id(const struct cg_api_call *call)
{
	return cg_http_req_id(call->req);
}

void
cg_api_set_state(struct cg_api_call *call, void *state, void (*fn)(void *))
{
	if (call->state && call->state_free)
		call->state_free(call->state);
	call->state = state;
	call->state_free = fn;
}

void *cg_api_state(const struct cg_api_call *call) { return call->state; }

static void
call_free(void *p)
{
	struct cg_api_call *call = p;
	struct hdr *h, *n;

	if (call->state && call->state_free)
		call->state_free(call->state);
	json_decref(call->body);
	free(call->text);
	for (h = call->headers; h; h = n) {
		n = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
	free(call);
}

/* ---- answers ------------------------------------------------------------- */

static void
set_answer(struct cg_api_call *call, int status, json_t *body, int problem)
{
	json_decref(call->body);
	free(call->text);
	call->text = NULL;
	call->status = status;
	call->body = body;
	call->problem = problem;
	call->replay = 0;
}

void
cg_api_set_json(struct cg_api_call *call, int status, json_t *body)
{
	set_answer(call, status, body, 0);
}

void
cg_api_set_text(struct cg_api_call *call, int status, char *text, size_t len)
{
	set_answer(call, status, NULL, 0);
	call->text = text;
	call->textlen = len;
}

static json_t *
problem_json(struct cg_api_call *call, int status, const char *detail)
{
	json_t *p = json_pack("{s:s, s:s, s:i}", "type", "about:blank",
	    "title", cg_http_status_phrase(status), "status", status);

	if (p && detail)
		json_object_set_new(p, "detail", json_string(detail));
	if (p)
		json_object_set_new(p, "request_id",
		    json_string(cg_http_req_id(call->req)));
	return p;
}

static void vset_problem(struct cg_api_call *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vset_problem(struct cg_api_call *call, int status, const char *fmt,
    va_list ap)
{
	char detail[512];

	if (fmt)
		vsnprintf(detail, sizeof(detail), fmt, ap);
	set_answer(call, status, problem_json(call, status, fmt ? detail :
	    NULL), 1);
}

void
cg_api_set_problem(struct cg_api_call *call, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_problem(call, status, fmt, ap);
	va_end(ap);
}

void
cg_api_set_not_found(struct cg_api_call *call, const char *what)
{
	cg_api_set_problem(call, 404, "No %s with this id.", what);
}

void
cg_api_set_db_error(struct cg_api_call *call, struct cg_db *db)
{
	cg_error("api", "database error route=%s request_id=%s errno=%u: %s",
	    call->route->pattern, cg_http_req_id(call->req), cg_db_errno(db),
	    cg_db_error(db));
	cg_api_set_problem(call, 500, "A database error occurred.");
}

void
cg_api_tx(struct cg_api_call *call, struct cg_db *db,
    int (*fn)(struct cg_db *, void *), const char *what)
{
	int rc = cg_db_tx(db, fn, call);

	if (rc == 404)
		cg_api_set_not_found(call, what);
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

void
cg_api_set_vld_errors(struct cg_api_call *call, const struct cg_vld *v)
{
	json_t *p = problem_json(call, 422,
	    "The request has invalid fields.");
	json_t *errs = json_array();

	for (size_t i = 0; i < v->nerrors; i++)
		json_array_append_new(errs, json_pack("{s:s, s:s}", "field",
		    v->errors[i].field, "message", v->errors[i].message));
	json_object_set_new(p, "errors", errs);
	set_answer(call, 422, p, 1);
}

int
cg_api_parse_body(struct cg_api_call *call, struct cg_vld *v, bool empty_ok)
{
	size_t len;
	const char *body = cg_http_req_body(call->req, &len);

	if (cg_vld_begin(v, body, len, empty_ok) != 0) {
		cg_api_set_problem(call, 400, "%s", v->message);
		return -1;
	}
	return 0;
}

void
cg_api_add_header(struct cg_api_call *call, const char *name,
    const char *value)
{
	struct hdr *h = calloc(1, sizeof(*h));

	if (!h)
		return;
	h->name = strdup(name);
	h->value = strdup(value);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		free(h);
		return;
	}
	h->next = call->headers;
	call->headers = h;
}

int cg_api_status(const struct cg_api_call *call) { return call->status; }

/* The body text of the answer, rendered once. */
static int
render(struct cg_api_call *call)
{
	if (call->text)
		return 0;
	if (!call->body) {
		set_answer(call, 500, problem_json(call, 500,
		    "The handler set no answer."), 1);
		if (!call->body)
			return -1;
	}
	call->text = json_dumps(call->body, JSON_COMPACT);
	if (!call->text)
		return -1;
	call->textlen = strlen(call->text);
	return 0;
}

const char *
cg_api_text(struct cg_api_call *call, size_t *len)
{
	if (!call->text && (!call->body || render(call) != 0))
		return NULL;
	*len = call->textlen;
	return call->text;
}

static json_t *
headers_json(const struct cg_api_call *call)
{
	json_t *o = json_object();

	for (const struct hdr *h = call->headers; h; h = h->next)
		json_object_set_new(o, h->name, json_string(h->value));
	return o;
}

/* ---- usage statistics and key use (loop only) ---------------------------- */

static void usage_record(struct cg_api_call *call, int status, int64_t ms);

static void
really_finish(struct cg_api_call *call)
{
	struct cg_http_req *req = call->req;
	char v[32];
	int64_t ms;

	if (render(call) != 0) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	if (call->rl_on) {
		snprintf(v, sizeof(v), "%ld", call->rl_limit);
		cg_http_set_header(req, "RateLimit-Limit", v);
		snprintf(v, sizeof(v), "%ld", call->rl_remaining);
		cg_http_set_header(req, "RateLimit-Remaining", v);
		snprintf(v, sizeof(v), "%ld", call->rl_reset_s);
		cg_http_set_header(req, "RateLimit-Reset", v);
	}
	if (call->status == 429) {
		snprintf(v, sizeof(v), "%ld", call->rl_retry_s > 0 ?
		    call->rl_retry_s : 1);
		cg_http_set_header(req, "Retry-After", v);
	}
	if (call->status == 401)
		cg_http_set_header(req, "WWW-Authenticate",
		    "Bearer realm=\"cryptic-gateway\"");
	if (call->replay)
		cg_http_set_header(req, "Idempotent-Replayed", "true");
	for (const struct hdr *h = call->headers; h; h = h->next)
		cg_http_set_header(req, h->name, h->value);
	/* A write through this daemon may end a key (revocation,
	 * suspension, allow-list): later requests read keys afresh. */
	if (call->status < 400 && !(call->route->flags & CG_API_KEEPS_AUTH) &&
	    strcmp(cg_api_method(call), "GET") != 0 &&
	    strcmp(cg_api_method(call), "HEAD") != 0)
		cg_api_auth_cache_flush(call->api);
	ms = (cg_mono_us() - call->start_us) / 1000;
	usage_record(call, call->status, ms);
	cg_http_reply(req, call->status, call->problem ?
	    CG_PROBLEM_CONTENT_TYPE : "application/json", call->text,
	    call->textlen);
}

/* Settles a claimed idempotency record the handler did not save: a 5xx or
 * 429 releases it (the retry runs again), anything else is stored (no
 * change went with it). */
static void
idem_finalize_work(void *arg, void *thread_ctx)
{
	struct cg_api_call *call = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);

	if (!db)
		return;
	if (call->status >= 500 || call->status == 429) {
		if (cg_db_run(db, "DELETE FROM idempotency_keys WHERE id = ? "
		    "AND status = 'PROCESSING'", "s", call->idem_id) < 0)
			cg_warn("api", "idempotency release failed: %s",
			    cg_db_error(db));
		return;
	}
	json_t *h = headers_json(call);
	char *ht = json_dumps(h, JSON_COMPACT);

	if (cg_db_run(db, "UPDATE idempotency_keys SET status = 'COMPLETED', "
	    "response_status = ?, response_headers = ?, response_body = ?, "
	    "completed_at = ? WHERE id = ? AND status = 'PROCESSING'", "issts",
	    (int64_t)call->status, ht, call->text, cg_now_ms(),
	    call->idem_id) < 0)
		cg_warn("api", "idempotency store failed: %s", cg_db_error(db));
	free(ht);
	json_decref(h);
}

static void
idem_finalize_done(void *arg)
{
	really_finish(arg);
}

void
cg_api_finish(struct cg_api_call *call)
{
	if (render(call) != 0) {
		cg_http_reply_error(call->req, 500, NULL);
		return;
	}
	if (call->idem_claimed && !call->replay &&
	    call->idem_saved_status != call->status) {
		if (cg_pool_post(call->api->d->api_pool, idem_finalize_work,
		    idem_finalize_done, call) == 0)
			return;
		cg_warn("api", "idempotency record of request %s left "
		    "PROCESSING: pool busy", cg_http_req_id(call->req));
	}
	really_finish(call);
}

void
cg_api_reply_json(struct cg_api_call *call, int status, json_t *body)
{
	cg_api_set_json(call, status, body);
	cg_api_finish(call);
}

void
cg_api_reply_problem(struct cg_api_call *call, int status, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_problem(call, status, fmt, ap);
	va_end(ap);
	cg_api_finish(call);
}

/* ---- posted work --------------------------------------------------------- */

/* The worker's connection for a call whose client is still there; NULL
 * otherwise (marked unreachable when the database is). */
static struct cg_db *
call_db(struct cg_api_call *call, void *thread_ctx)
{
	struct cg_db *db;

	if (cg_http_req_orphaned(call->req))
		return NULL;
	if ((db = cg_sqlpool_db(thread_ctx)) == NULL)
		call->unreachable = 1;
	return db;
}

static void
sql_work(void *arg, void *thread_ctx)
{
	struct cg_api_call *call = arg;
	struct cg_db *db = call_db(call, thread_ctx);

	if (db)
		call->sql_work(call, db);
}

static void
hash_work(void *arg, void *thread_ctx)
{
	struct cg_api_call *call = arg;

	(void)thread_ctx;
	if (!cg_http_req_orphaned(call->req))
		call->hash_work(call);
}

static void
work_done(void *arg)
{
	struct cg_api_call *call = arg;
	cg_api_then_fn then = call->then;

	if (call->unreachable) {
		call->unreachable = 0;
		cg_api_add_header(call, "Retry-After", "5");
		cg_api_set_problem(call, 503, "The database is unavailable.");
		cg_api_finish(call);
		return;
	}
	if (then && !cg_http_req_orphaned(call->req)) {
		call->then = NULL;
		then(call);
		return;
	}
	cg_api_finish(call);
}

/* A full or stopping pool answers 503 through cg_api_finish, so a claimed
 * idempotency record is released and the request counted. */
static void
post_or_busy(struct cg_api_call *call, struct cg_pool *pool, cg_work_fn fn)
{
	int rc = cg_pool_post(pool, fn, work_done, call);

	if (rc == 0)
		return;
	cg_api_add_header(call, "Retry-After", "1");
	cg_api_reply_problem(call, 503, rc == -EAGAIN ? "The server is busy; "
	    "retry shortly." : "The server is shutting down.");
}

void
cg_api_sql(struct cg_api_call *call, cg_api_sql_fn work, cg_api_then_fn then)
{
	call->sql_work = work;
	call->then = then;
	post_or_busy(call, call->api->d->api_pool, sql_work);
}

void
cg_api_hash(struct cg_api_call *call, cg_api_hash_fn work,
    cg_api_then_fn then)
{
	call->hash_work = work;
	call->then = then;
	post_or_busy(call, call->api->d->hash_pool, hash_work);
}

/* ---- rate limits (token buckets; workers, under a mutex) ----------------- */

struct bucket {
	char id[CG_ID_SIZE];
	int64_t milli;		/* tokens × 1000 */
	int64_t last_ms;	/* monotonic */
	struct bucket *next;
};

static void
rate_limit(struct cg_api *api, struct cg_api_call *call, const char *id,
    long per_min, long burst)
{
	uint32_t h = cg_str_hash(id) % HASH_BUCKETS;
	int64_t now = cg_mono_ms(), full, add;
	struct bucket *b;

	if (per_min <= 0)
		per_min = 1;
	if (burst <= 0)
		burst = 1;
	full = (int64_t)burst * 1000;
	pthread_mutex_lock(&api->rl_lock);
	for (b = api->rl[h]; b; b = b->next)
		if (strcmp(b->id, id) == 0)
			break;
	if (!b && (b = calloc(1, sizeof(*b))) != NULL) {
		cg_strlcpy(b->id, id, sizeof(b->id));
		b->milli = full;
		b->last_ms = now;
		b->next = api->rl[h];
		api->rl[h] = b;
	}
	if (!b) {
		pthread_mutex_unlock(&api->rl_lock);
		return;
	}
	/* per_min tokens per 60000 ms: milli-tokens per ms = per_min / 60 */
	add = (now - b->last_ms) * per_min / 60;
	if (add > 0) {
		b->milli = b->milli + add > full ? full : b->milli + add;
		b->last_ms = now;
	}
	if (b->milli > full)
		b->milli = full;
	call->rl_on = 1;
	call->rl_limit = burst;
	if (b->milli >= 1000) {
		b->milli -= 1000;
	} else {
		call->rl_retry_s = (long)(((1000 - b->milli) * 60 + per_min -
		    1) / per_min + 999) / 1000;
		if (call->rl_retry_s < 1)
			call->rl_retry_s = 1;
		cg_api_set_problem(call, 429, "Rate limit exceeded: %ld "
		    "requests per minute, bursts of %ld.", per_min, burst);
	}
	call->rl_remaining = (long)(b->milli / 1000);
	call->rl_reset_s = (long)(((full - b->milli) * 60 / per_min + 999) /
	    1000);
	pthread_mutex_unlock(&api->rl_lock);
}

/* Forgets buckets idle long enough to be full again (loop, by the timer). */
static void
rate_prune(struct cg_api *api)
{
	int64_t now = cg_mono_ms();

	pthread_mutex_lock(&api->rl_lock);
	for (size_t i = 0; i < HASH_BUCKETS; i++) {
		struct bucket **pp = &api->rl[i], *b;

		while ((b = *pp) != NULL) {
			if (now - b->last_ms > RL_IDLE_MS) {
				*pp = b->next;
				free(b);
			} else
				pp = &b->next;
		}
	}
	pthread_mutex_unlock(&api->rl_lock);
}

/* ---- IP allow-list ------------------------------------------------------- */

/* Whether ip matches one entry "addr" or "addr/len" (IPv4 or IPv6). */
static int
ip_match(const char *ip, const char *entry)
{
	unsigned char a[16], n[16];
	char buf[64];
	const char *slash = strchr(entry, '/');
	int fa = strchr(ip, ':') ? AF_INET6 : AF_INET;
	int fe, bits, max;
	char *end;

	if (strlen(entry) >= sizeof(buf))
		return 0;
	cg_strlcpy(buf, entry, sizeof(buf));
	if (slash)
		buf[slash - entry] = '\0';
	fe = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (fe != fa || inet_pton(fa, ip, a) != 1 || inet_pton(fe, buf, n) != 1)
		return 0;
	max = fa == AF_INET ? 32 : 128;
	bits = max;
	if (slash) {
		long l = strtol(slash + 1, &end, 10);

		if (*end || end == slash + 1 || l < 0 || l > max)
			return 0;
		bits = (int)l;
	}
	for (int i = 0; i < bits / 8; i++)
		if (a[i] != n[i])
			return 0;
	if (bits % 8) {
		unsigned char m = (unsigned char)(0xff << (8 - bits % 8));

		if ((a[bits / 8] & m) != (n[bits / 8] & m))
			return 0;
	}
	return 1;
}

int
cg_api_ip_entry_valid(const char *s)
{
	unsigned char a[16];
	char buf[64];
	const char *slash = strchr(s, '/');
	int fam, max;
	char *end;
	long l;

	if (strlen(s) >= sizeof(buf))
		return 0;
	cg_strlcpy(buf, s, sizeof(buf));
	if (slash)
		buf[slash - s] = '\0';
	fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, buf, a) != 1)
		return 0;
	if (!slash)
		return 1;
	max = fam == AF_INET ? 32 : 128;
	l = strtol(slash + 1, &end, 10);
	return !*end && end != slash + 1 && l >= 0 && l <= max;
}

int
cg_api_ip_allowed(const char *ip, const char *list_json)
{
	json_t *l, *e;
	size_t i;
	int ok = 0;

	if (!list_json)
		return 1;
	l = json_loads(list_json, 0, NULL);
	if (!json_is_array(l)) {
		json_decref(l);
		return 0;	/* unreadable list: refuse rather than open */
	}
	if (json_array_size(l) == 0)
		ok = 1;
	json_array_foreach(l, i, e)
		if (json_is_string(e) && ip_match(ip, json_string_value(e)))
			ok = 1;
	json_decref(l);
	return ok;
}

/* ---- authentication (worker) --------------------------------------------- */

static int64_t
col_ms(struct cg_stmt *st, unsigned c)
{
	int64_t ms;

	if (cg_stmt_is_null(st, c) || cg_stmt_time_ms(st, c, &ms) != 0)
		return -1;
	return ms;
}

static int64_t
col_i64(struct cg_stmt *st, unsigned c, int64_t dflt)
{
	int64_t v;

	return cg_stmt_i64(st, c, &v) == 0 ? v : dflt;
}

/*
 * API key lookups are reused for api.auth_cache_ms: the key's row, its
 * merchant's state and allow-list as read at that time. Only successful
 * lookups are kept; expiry and the allow-list are checked on every use
 * and the secret's hash compared each time. The bound: a key revoked, a
 * merchant suspended or an allow-list changed elsewhere (another daemon,
 * SQL) takes effect within auth_cache_ms; changes through this daemon
 * (API writes, `cgctl api keys revoke`) flush the cache at once.
 */
#define KC_SLOTS (sizeof(((struct cg_api *)0)->kc) / \
	sizeof(((struct cg_api *)0)->kc[0]))

struct key_cached {
	char prefix[CG_TOKEN_PREFIX_LEN + 1];
	char hash[2 * CG_SHA256_LEN + 1];
	char key_id[CG_ID_SIZE];
	char merchant_id[CG_ID_SIZE];
	long per_min, burst;
	int64_t expires_ms;	/* the key's own expiry; -1: none */
	char *allow;		/* ip_whitelist JSON, NULL: none */
	int64_t until_mono;	/* entry dead after (cg_mono_ms) */
	uint64_t gen;
};

static void
kc_free(struct key_cached *e)
{
	if (e) {
		free(e->allow);
		free(e);
	}
}

void
cg_api_auth_cache_flush(struct cg_api *api)
{
	pthread_mutex_lock(&api->kc_lock);
	api->kc_gen++;
	pthread_mutex_unlock(&api->kc_lock);
}

static uint64_t
kc_gen(struct cg_api *api)
{
	uint64_t g;

	pthread_mutex_lock(&api->kc_lock);
	g = api->kc_gen;
	pthread_mutex_unlock(&api->kc_lock);
	return g;
}

/* Copies a live entry for the token's prefix into *out (allow-list
 * duplicated, the caller frees it). 1 found, 0 not. */
static int
kc_get(struct cg_api *api, const struct cg_token *t, struct key_cached *out)
{
	struct key_cached *e;
	int found = 0;

	pthread_mutex_lock(&api->kc_lock);
	e = api->kc[cg_str_hash(t->prefix) % KC_SLOTS];
	if (e && e->gen == api->kc_gen && e->until_mono > cg_mono_ms() &&
	    strcmp(e->prefix, t->prefix) == 0) {
		*out = *e;
		out->allow = e->allow ? strdup(e->allow) : NULL;
		found = !e->allow || out->allow;
	}
	pthread_mutex_unlock(&api->kc_lock);
	return found;
}

/* Keeps e (taken) as read under generation gen: dropped when a flush
 * came in between. */
static void
kc_put(struct cg_api *api, struct key_cached *e, uint64_t gen)
{
	struct key_cached **slot = &api->kc[cg_str_hash(e->prefix) % KC_SLOTS];

	e->gen = gen;
	e->until_mono = cg_mono_ms() + api->kc_ttl_ms;
	pthread_mutex_lock(&api->kc_lock);
	if (gen == api->kc_gen) {
		kc_free(*slot);
		*slot = e;
		e = NULL;
	}
	pthread_mutex_unlock(&api->kc_lock);
	kc_free(e);
}

/* The checks of a key that is known and live, on every use. 0, or -1 with
 * why set. */
static int
key_usable(struct cg_api_call *call, const struct cg_token *t,
    const struct key_cached *k, char *why, size_t len)
{
	if (!cg_ct_streq(k->hash, strlen(k->hash), t->hash, strlen(t->hash))) {
		snprintf(why, len, "The API key is not valid.");
		return -1;
	}
	if (k->expires_ms >= 0 && k->expires_ms <= cg_now_ms()) {
		snprintf(why, len, "The API key has expired.");
		return -1;
	}
	if (!cg_api_ip_allowed(call->ip, k->allow)) {
		snprintf(why, len, "This client address is not in the "
		    "merchant's IP allow-list.");
		return -1;
	}
	call->auth.kind = CG_AUTH_API_KEY;
	call->auth.role = CG_ROLE_MERCHANT;
	cg_strlcpy(call->auth.key_id, k->key_id, sizeof(call->auth.key_id));
	cg_strlcpy(call->auth.merchant_id, k->merchant_id,
	    sizeof(call->auth.merchant_id));
	return 0;
}

/* Reads the key: 1 found live (*k filled, allow-list allocated), 0 not
 * (why set), -1 database error. */
static int
key_read(struct cg_db *db, const struct cg_token *t, struct key_cached *k,
    char *why, size_t len)
{
	struct cg_stmt *st;
	int rc, found = 0;

	st = cg_db_query(db, "SELECT k.id, k.merchant_id, k.key_hash, "
	    "k.revoked_at, k.expires_at, m.is_active, m.rate_limit_per_minute, "
	    "m.rate_limit_burst, s.ip_whitelist FROM api_keys k "
	    "JOIN merchants m ON m.id = k.merchant_id AND m.deleted_at IS NULL "
	    "LEFT JOIN merchant_settings s ON s.merchant_id = m.id "
	    "WHERE k.prefix_live = ?", "s", t->prefix);
	if (!st)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		const char *h = cg_stmt_str(st, 2), *al = cg_stmt_str(st, 8);

		if (!h || !cg_ct_streq(h, strlen(h), t->hash, strlen(t->hash)))
			;
		else if (!cg_stmt_is_null(st, 3))
			snprintf(why, len, "The API key was revoked.");
		else if (col_i64(st, 5, 0) != 1)
			snprintf(why, len, "The merchant account is suspended.");
		else if (!al || (k->allow = strdup(al))) {
			found = 1;
			cg_strlcpy(k->prefix, t->prefix, sizeof(k->prefix));
			cg_strlcpy(k->hash, h, sizeof(k->hash));
			cg_strlcpy(k->key_id, cg_stmt_str(st, 0),
			    sizeof(k->key_id));
			cg_strlcpy(k->merchant_id, cg_stmt_str(st, 1),
			    sizeof(k->merchant_id));
			k->expires_ms = col_ms(st, 4);
			k->per_min = (long)col_i64(st, 6, 600);
			k->burst = (long)col_i64(st, 7, 100);
		} else
			rc = -1;
	}
	cg_stmt_close(st);
	return rc < 0 ? -1 : found;
}

/* 0: authenticated; else the answer was set. */
static int
auth_api_key(struct cg_api_call *call, struct cg_db *db,
    const struct cg_token *t)
{
	struct cg_api *api = call->api;
	struct key_cached k, *keep;
	char why[96] = "The API key is not valid.";
	uint64_t gen = 0;
	int rc;

	memset(&k, 0, sizeof(k));
	if (api->kc_ttl_ms > 0 && kc_get(api, t, &k))
		rc = 1;
	else {
		gen = kc_gen(api);
		rc = key_read(db, t, &k, why, sizeof(why));
		if (rc < 0) {
			cg_api_set_db_error(call, db);
			return -1;
		}
		if (rc == 1 && api->kc_ttl_ms > 0 &&
		    (keep = malloc(sizeof(*keep))) != NULL) {
			*keep = k;
			keep->allow = k.allow ? strdup(k.allow) : NULL;
			if (k.allow && !keep->allow)
				kc_free(keep);
			else
				kc_put(api, keep, gen);
		}
	}
	if (rc == 1 && key_usable(call, t, &k, why, sizeof(why)) == 0) {
		free(k.allow);
		rate_limit(call->api, call, call->auth.key_id, k.per_min,
		    k.burst);
		return call->status ? -1 : 0;
	}
	free(k.allow);
	/* The allow-list refuses with 403: the key is good. */
	cg_api_set_problem(call, strstr(why, "allow-list") ? 403 : 401, "%s",
	    why);
	return -1;
}


static enum cg_api_role
role_of(const char *s)
{
	if (!s)
		return CG_ROLE_NONE;
	if (strcmp(s, "ADMIN") == 0)
		return CG_ROLE_ADMIN;
	if (strcmp(s, "OPERATOR") == 0)
		return CG_ROLE_OPERATOR;
	if (strcmp(s, "MERCHANT") == 0)
		return CG_ROLE_MERCHANT;
	return CG_ROLE_NONE;
}

static int
auth_session(struct cg_api_call *call, struct cg_db *db,
    const struct cg_token *t)
{
	struct cg_stmt *st;
	int rc, ok = 0;
	long per_min = USER_RATE_PER_MIN, burst = USER_RATE_BURST;
	char why[96] = "The session token is not valid.";

	st = cg_db_query(db, "SELECT s.id, s.user_id, s.session_token_hash, "
	    "s.expires_at, s.revoked_at, u.role, u.is_active, m.id, "
	    "m.is_active, m.rate_limit_per_minute, m.rate_limit_burst "
	    "FROM user_sessions s JOIN users u ON u.id = s.user_id AND "
	    "u.deleted_at IS NULL LEFT JOIN merchants m ON "
	    "m.user_id_live = u.id WHERE s.session_token_hash = ?", "s",
	    t->hash);
	if (!st) {
		cg_api_set_db_error(call, db);
		return -1;
	}
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		const char *h = cg_stmt_str(st, 2);
		int64_t exp = col_ms(st, 3);

		if (!h || !cg_ct_streq(h, strlen(h), t->hash, strlen(t->hash)))
			;
		else if (!cg_stmt_is_null(st, 4))
			snprintf(why, sizeof(why), "The session has ended.");
		else if (exp <= cg_now_ms())
			snprintf(why, sizeof(why), "The session has expired.");
		else if (col_i64(st, 6, 0) != 1)
			snprintf(why, sizeof(why), "The user is disabled.");
		else {
			ok = 1;
			call->auth.kind = CG_AUTH_SESSION;
			call->auth.role = role_of(cg_stmt_str(st, 5));
			cg_strlcpy(call->auth.session_id, cg_stmt_str(st, 0),
			    sizeof(call->auth.session_id));
			cg_strlcpy(call->auth.user_id, cg_stmt_str(st, 1),
			    sizeof(call->auth.user_id));
			if (call->auth.role == CG_ROLE_MERCHANT &&
			    !cg_stmt_is_null(st, 7) &&
			    col_i64(st, 8, 0) == 1) {
				cg_strlcpy(call->auth.merchant_id,
				    cg_stmt_str(st, 7),
				    sizeof(call->auth.merchant_id));
				per_min = (long)col_i64(st, 9, 600);
				burst = (long)col_i64(st, 10, 100);
			}
		}
	}
	cg_stmt_close(st);
	if (rc < 0) {
		cg_api_set_db_error(call, db);
		return -1;
	}
	if (!ok) {
		cg_api_set_problem(call, 401, "%s", why);
		return -1;
	}
	rate_limit(call->api, call, call->auth.session_id, per_min, burst);
	return call->status ? -1 : 0;
}

static int
authenticate(struct cg_api_call *call, struct cg_db *db)
{
	struct cg_token t;
	const char *tok;

	if (!call->has_authz)
		return 0;
	if (strncasecmp(call->authz, "Bearer ", 7) != 0) {
		cg_api_set_problem(call, 401, "Use \"Authorization: Bearer "
		    "<API key or session token>\".");
		return -1;
	}
	tok = call->authz + 7;
	while (*tok == ' ')
		tok++;
	if (cg_token_parse(tok, strlen(tok), NULL, &t) != 0) {
		cg_api_set_problem(call, 401, "The bearer token is malformed.");
		return -1;
	}
	if (strcmp(t.kind, CG_TOKEN_KIND_API_KEY) == 0)
		return auth_api_key(call, db, &t);
	if (strcmp(t.kind, CG_TOKEN_KIND_SESSION) == 0)
		return auth_session(call, db, &t);
	cg_api_set_problem(call, 401, "This kind of token is not a "
	    "credential.");
	return -1;
}

static int
access_ok(const struct cg_api_call *call, unsigned f)
{
	const struct cg_api_auth *a = &call->auth;

	if (f & CG_API_PUBLIC)
		return 1;
	if (a->kind == CG_AUTH_API_KEY)
		return (f & CG_API_KEY) != 0;
	if (a->kind != CG_AUTH_SESSION)
		return 0;
	if ((f & CG_API_USER) || ((f & CG_API_ADMIN) &&
	    a->role == CG_ROLE_ADMIN))
		return 1;
	if ((f & CG_API_OPERATOR) && (a->role == CG_ROLE_ADMIN ||
	    a->role == CG_ROLE_OPERATOR))
		return 1;
	return (f & CG_API_SESSION) && a->role == CG_ROLE_MERCHANT &&
	    a->merchant_id[0];
}

/* ---- idempotency (worker) ------------------------------------------------ */

static int
idem_key_ok(const char *k)
{
	size_t n = 0;

	for (; k[n]; n++)
		if (k[n] < 0x21 || k[n] > 0x7e || n >= IDEM_KEY_MAX)
			return 0;
	return n > 0;
}

static int
request_hash(struct cg_api_call *call, char out[2 * CG_SHA256_LEN + 1])
{
	const char *m = cg_http_req_method(call->req);
	const char *p = cg_http_req_path(call->req);
	size_t blen, n;
	const char *b = cg_http_req_body(call->req, &blen);
	char *buf;
	int rc;

	n = strlen(m) + strlen(p) + blen + 3;
	buf = malloc(n);
	if (!buf)
		return -1;
	snprintf(buf, n, "%s\n%s\n", m, p);
	memcpy(buf + strlen(m) + strlen(p) + 2, b, blen);
	rc = cg_sha256_hex(buf, n - 1, out);
	free(buf);
	return rc;
}

static void
idem_replay(struct cg_api_call *call, struct cg_stmt *st)
{
	int64_t status = col_i64(st, 3, 500);
	const char *hdrs = cg_stmt_str(st, 4);
	const char *body = cg_stmt_str(st, 5);
	json_t *h = hdrs ? json_loads(hdrs, 0, NULL) : NULL;
	const char *k;
	json_t *v;

	set_answer(call, (int)status, NULL, 0);
	call->text = strdup(body ? body : "");
	call->textlen = call->text ? strlen(call->text) : 0;
	call->replay = 1;
	/* Stored error answers are problem+json: they carry "status". */
	call->problem = status >= 400;
	json_object_foreach(h, k, v)
		if (json_is_string(v))
			cg_api_add_header(call, k, json_string_value(v));
	json_decref(h);
}

static void
idem_claim(struct cg_api_call *call, struct cg_db *db)
{
	const struct cg_api_auth *a = &call->auth;
	const char *mid = a->kind == CG_AUTH_API_KEY ? a->merchant_id : NULL;
	const char *uid = a->kind == CG_AUTH_SESSION ? a->user_id : NULL;
	const char *scope = mid ? mid : uid;
	char hash[2 * CG_SHA256_LEN + 1];
	int64_t now = cg_now_ms(), created;
	struct cg_stmt *st;
	const char *h, *status;
	int rc;

	if (!idem_key_ok(call->idem_key)) {
		cg_api_set_problem(call, 400, "Idempotency-Key must be 1 to "
		    "%d printable ASCII characters.", IDEM_KEY_MAX);
		return;
	}
	if (request_hash(call, hash) != 0 || cg_id_new(call->idem_id) != 0) {
		cg_api_set_problem(call, 500, NULL);
		return;
	}
	/* An expired record no longer binds the key. */
	if (cg_db_run(db, "DELETE FROM idempotency_keys WHERE scope_id = ? "
	    "AND idem_key = ? AND expires_at <= ?", "sst", scope,
	    call->idem_key, now) < 0)
		goto dberr;
	if (cg_db_run(db, "INSERT INTO idempotency_keys (id, merchant_id, "
	    "user_id, idem_key, http_method, request_path, request_hash, "
	    "status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "'PROCESSING', ?, ?)", "ssssssstt", call->idem_id, mid, uid,
	    call->idem_key, cg_http_req_method(call->req),
	    cg_http_req_path(call->req), hash, now, now + IDEM_TTL_MS) == 1) {
		call->idem_claimed = 1;
		return;
	}
	if (!cg_db_err_duplicate(cg_db_errno(db)))
		goto dberr;
	st = cg_db_query(db, "SELECT id, request_hash, status, "
	    "response_status, response_headers, response_body, created_at "
	    "FROM idempotency_keys WHERE scope_id = ? AND idem_key = ?", "ss",
	    scope, call->idem_key);
	if (!st)
		goto dberr;
	rc = cg_stmt_fetch(st);
	if (rc != 1) {
		cg_stmt_close(st);
		if (rc < 0)
			goto dberr;
		cg_api_set_problem(call, 409, "A request with this "
		    "Idempotency-Key is in progress; retry later.");
		return;
	}
	h = cg_stmt_str(st, 1);
	status = cg_stmt_str(st, 2);
	created = col_ms(st, 6);
	if (!h || !cg_ct_streq(h, strlen(h), hash, strlen(hash))) {
		cg_api_set_problem(call, 422, "This Idempotency-Key was used "
		    "with another request (method, path or body differ).");
	} else if (status && strcmp(status, "COMPLETED") == 0) {
		idem_replay(call, st);
	} else if (created >= 0 && now - created > IDEM_STALE_MS) {
		/* Left by a daemon that stopped mid-request: take it over. */
		cg_strlcpy(call->idem_id, cg_stmt_str(st, 0),
		    sizeof(call->idem_id));
		if (cg_db_run(db, "UPDATE idempotency_keys SET created_at = ? "
		    "WHERE id = ? AND status = 'PROCESSING' AND created_at = ?",
		    "tst", now, call->idem_id, created) == 1)
			call->idem_claimed = 1;
		else
			cg_api_set_problem(call, 409, "A request with this "
			    "Idempotency-Key is in progress; retry later.");
	} else {
		cg_api_set_problem(call, 409, "A request with this "
		    "Idempotency-Key is in progress; retry later.");
	}
	cg_stmt_close(st);
	return;
dberr:
	cg_api_set_db_error(call, db);
}

int
cg_api_idem_save(struct cg_db *db, struct cg_api_call *call,
    const char *resource_type, const char *resource_id)
{
	json_t *hj;
	char *ht;
	int64_t n;

	if (!call->idem_claimed)
		return 0;
	free(call->text);
	call->text = NULL;
	if (render(call) != 0)
		return CG_DB_ERR;
	hj = headers_json(call);
	ht = json_dumps(hj, JSON_COMPACT);
	json_decref(hj);
	n = cg_db_run(db, "UPDATE idempotency_keys SET status = 'COMPLETED', "
	    "response_status = ?, response_headers = ?, response_body = ?, "
	    "resource_type = ?, resource_id = ?, completed_at = ? WHERE id = ? "
	    "AND status = 'PROCESSING'", "issssts", (int64_t)call->status, ht,
	    call->text, resource_type, resource_id, cg_now_ms(),
	    call->idem_id);
	free(ht);
	if (n != 1)
		return CG_DB_ERR;
	call->idem_saved_status = call->status;
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

static void
forbid(struct cg_api_call *call)
{
	if (call->auth.kind == CG_AUTH_NONE)
		cg_api_set_problem(call, 401, "Authentication required: send "
		    "\"Authorization: Bearer <API key or session token>\".");
	else
		cg_api_set_problem(call, 403, "These credentials may not use "
		    "this endpoint.");
}

static void
prelude_work(void *arg, void *thread_ctx)
{
	struct cg_api_call *call = arg;
	struct cg_db *db = call_db(call, thread_ctx);

	if (!db)
		return;
	if (!call->authed && authenticate(call, db) != 0)
		return;
	if (!access_ok(call, call->route->flags)) {
		forbid(call);
		return;
	}
	if (call->has_idem && (call->route->flags & CG_API_IDEMPOTENT) &&
	    call->auth.kind != CG_AUTH_NONE)
		idem_claim(call, db);
	/* One hop for the routes that are only SQL. */
	if (call->route->sql_fn && !call->status && !call->replay)
		call->route->sql_fn(call, db);
}

static void
prelude_done(void *arg)
{
	struct cg_api_call *call = arg;

	if (call->unreachable) {
		work_done(call);
		return;
	}
	if (call->status || call->replay || call->route->sql_fn) {
		cg_api_finish(call);
		return;
	}
	call->route->fn(call);
}

static void
copy_header(struct cg_http_req *req, const char *name, char *out,
    size_t size, int *has)
{
	const char *v = cg_http_req_header(req, name);

	out[0] = '\0';
	if (has)
		*has = v != NULL;
	if (v && strlen(v) >= size && has)
		*has = -1;	/* too long to be valid */
	if (v)
		cg_strlcpy(out, v, size);
}

static int
in_list(const char *ip, const char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ip_match(ip, list[i]))
			return 1;
	return 0;
}

/* The client's address: the peer, unless the peer is one of
 * http.trusted_proxies; then the right-most X-Forwarded-For entry that is
 * not a trusted proxy (entries left of it are the client's to forge). */
static void
client_ip(struct cg_api_call *call)
{
	const struct cg_config *c = call->api->d->cfg;
	const char *xff;
	char buf[1024], *e;
	unsigned char a[16];

	cg_strlcpy(call->ip, cg_http_req_peer(call->req), sizeof(call->ip));
	if (!c->http.trusted_proxy_count || !in_list(call->ip,
	    c->http.trusted_proxies, c->http.trusted_proxy_count))
		return;
	xff = cg_http_req_header(call->req, "X-Forwarded-For");
	if (!xff || strlen(xff) >= sizeof(buf))
		return;
	cg_strlcpy(buf, xff, sizeof(buf));
	for (;;) {
		char *comma = strrchr(buf, ',');

		e = comma ? comma + 1 : buf;
		while (*e == ' ' || *e == '\t')
			e++;
		for (char *t = e + strlen(e); t > e && (t[-1] == ' ' ||
		    t[-1] == '\t'); t--)
			t[-1] = '\0';
		if (inet_pton(strchr(e, ':') ? AF_INET6 : AF_INET, e, a) != 1)
			return;
		cg_strlcpy(call->ip, e, sizeof(call->ip));
		if (!comma || !in_list(e, c->http.trusted_proxies,
		    c->http.trusted_proxy_count))
			return;
		*comma = '\0';	/* a trusted hop: look further left */
	}
}

/* A cached route called with an API key the key cache knows: checked and,
 * when its answer is in memory, answered here without a pool hop. 1
 * answered; 0 go on (authenticated, when the key was usable). */
static int
loop_answer(struct cg_api_call *call)
{
	struct cg_api *api = call->api;
	struct key_cached k;
	struct cg_token t;
	const char *tok = call->authz + 7;
	char why[96];

	if (call->has_authz != 1 || api->kc_ttl_ms <= 0 ||
	    strncasecmp(call->authz, "Bearer ", 7) != 0)
		return 0;
	while (*tok == ' ')
		tok++;
	if (cg_token_parse(tok, strlen(tok), NULL, &t) != 0 ||
	    strcmp(t.kind, CG_TOKEN_KIND_API_KEY) != 0)
		return 0;
	memset(&k, 0, sizeof(k));
	if (!kc_get(api, &t, &k))
		return 0;
	if (key_usable(call, &t, &k, why, sizeof(why)) != 0) {
		/* The worker reads the key and says why. */
		free(k.allow);
		memset(&call->auth, 0, sizeof(call->auth));
		return 0;
	}
	free(k.allow);
	rate_limit(api, call, call->auth.key_id, k.per_min, k.burst);
	call->authed = 1;
	if (!call->status && !access_ok(call, call->route->flags))
		forbid(call);
	if (call->status) {
		cg_api_finish(call);
		return 1;
	}
	return call->route->cached(call);
}

static void
on_request(struct cg_http_req *req, void *ud)
{
	struct api_route *r = ud;
	struct cg_api *api = r->api;
	struct cg_api_call *call = calloc(1, sizeof(*call));

	if (!call) {
		cg_http_reply_error(req, 500, NULL);
		return;
	}
	call->api = api;
	call->route = r;
	call->req = req;
	call->start_us = cg_http_req_start_us(req);
	cg_http_req_set_data(req, call, call_free);
	copy_header(req, "Authorization", call->authz, sizeof(call->authz),
	    &call->has_authz);
	copy_header(req, "Idempotency-Key", call->idem_key,
	    sizeof(call->idem_key), &call->has_idem);
	copy_header(req, "User-Agent", call->ua, sizeof(call->ua), NULL);
	client_ip(call);
	/* Kept to printable ASCII: the audit column is text. */
	for (char *p = call->ua; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (call->has_authz < 0) {
		cg_api_reply_problem(call, 401, "The bearer token is "
		    "malformed.");
		return;
	}
	if (call->has_idem < 0)
		call->idem_key[IDEM_KEY_MAX] = 'x';	/* too long */
	if (!cg_dbmon_ready(api->d->dbmon)) {
		cg_api_add_header(call, "Retry-After", "5");
		cg_api_reply_problem(call, 503, "The database is unavailable.");
		return;
	}
	/* Public and no credentials: nothing to look up first. */
	if ((r->flags & CG_API_PUBLIC) && !call->has_authz && r->fn) {
		r->fn(call);
		return;
	}
	if (r->cached && loop_answer(call))
		return;
	if (cg_pool_post(api->d->api_pool, prelude_work, prelude_done,
	    call) != 0) {
		cg_api_add_header(call, "Retry-After", "1");
		cg_api_reply_problem(call, 503, "The server is busy; retry "
		    "shortly.");
	}
}

static int
add_route(struct cg_api *api, const char *method, const char *pattern,
    const char *name, cg_api_handler fn, cg_api_sql_fn sql_fn,
    cg_api_cached_fn cached, unsigned flags)
{
	struct api_route *r = calloc(1, sizeof(*r));
	int rc;

	if (!r || !(r->pattern = strdup(pattern))) {
		free(r);
		return -ENOMEM;
	}
	r->api = api;
	r->fn = fn;
	r->sql_fn = sql_fn;
	r->cached = cached;
	r->flags = flags;
	rc = cg_http_route(api->d->http, method, pattern, name, on_request, r);
	if (rc != 0) {
		cg_error("api", "cannot route %s %s: %s", method, pattern,
		    strerror(-rc));
		free(r->pattern);
		free(r);
		return rc;
	}
	r->next = api->routes;
	api->routes = r;
	return 0;
}

int
cg_api_route(struct cg_api *api, const char *method, const char *pattern,
    const char *name, cg_api_handler fn, unsigned flags)
{
	return add_route(api, method, pattern, name, fn, NULL, NULL, flags);
}

int
cg_api_route_sql(struct cg_api *api, const char *method, const char *pattern,
    const char *name, cg_api_sql_fn work, unsigned flags)
{
	return add_route(api, method, pattern, name, NULL, work, NULL, flags);
}

int
cg_api_route_sql_cached(struct cg_api *api, const char *method,
    const char *pattern, const char *name, cg_api_sql_fn work,
    cg_api_cached_fn cached, unsigned flags)
{
	return add_route(api, method, pattern, name, NULL, work, cached, flags);
}

/* ---- usage statistics ---------------------------------------------------- */

struct usage {
	char merchant_id[CG_ID_SIZE];
	const char *endpoint;	/* the route pattern (lives with api) */
	const char *method;	/* static */
	int64_t hour_ms;
	uint64_t requests, errors, client_errors, server_errors, limited;
	uint64_t total_ms, max_ms;
	struct usage *next;	/* the batch */
	struct usage *hnext;	/* the index chain */
};

struct key_use {
	char id[CG_ID_SIZE];
	int session;
	uint64_t count;
	int64_t last_ms;
	char ip[46];
	struct key_use *next;
	struct key_use *hnext;
};

struct usage_batch {
	struct usage *usage;
	struct key_use *keys;
};

static void
usage_record(struct cg_api_call *call, int status, int64_t ms)
{
	struct cg_api *api = call->api;
	const struct cg_api_auth *a = &call->auth;
	int64_t hour = cg_now_ms() / 3600000 * 3600000;
	const char *method = cg_http_req_method(call->req);
	struct usage *u;
	struct key_use *k;
	const char *kid;
	uint32_t kh;

	if (a->merchant_id[0]) {
		/* Indexed: one batch may hold many merchants and routes. */
		uint32_t h = (cg_str_hash(a->merchant_id) ^ cg_str_hash(method) ^
		    (uint32_t)(uintptr_t)call->route ^ (uint32_t)(hour /
		    3600000)) % USAGE_BUCKETS;

		for (u = api->usage_idx[h]; u; u = u->hnext)
			if (u->hour_ms == hour && u->endpoint ==
			    call->route->pattern && strcmp(u->method, method)
			    == 0 && strcmp(u->merchant_id, a->merchant_id) == 0)
				break;
		if (!u && (u = calloc(1, sizeof(*u))) != NULL) {
			cg_strlcpy(u->merchant_id, a->merchant_id,
			    sizeof(u->merchant_id));
			u->endpoint = call->route->pattern;
			u->method = method;
			u->hour_ms = hour;
			u->next = api->usage;
			api->usage = u;
			u->hnext = api->usage_idx[h];
			api->usage_idx[h] = u;
		}
		if (u) {
			u->requests++;
			u->errors += status >= 400;
			u->client_errors += status >= 400 && status < 500;
			u->server_errors += status >= 500;
			u->limited += status == 429;
			u->total_ms += (uint64_t)(ms > 0 ? ms : 0);
			if ((uint64_t)ms > u->max_ms)
				u->max_ms = (uint64_t)ms;
		}
	}
	kid = a->kind == CG_AUTH_API_KEY ? a->key_id :
	    a->kind == CG_AUTH_SESSION ? a->session_id : NULL;
	if (!kid || status == 401)
		return;
	kh = cg_str_hash(kid) % USAGE_BUCKETS;
	for (k = api->keys_idx[kh]; k; k = k->hnext)
		if (strcmp(k->id, kid) == 0)
			break;
	if (!k && (k = calloc(1, sizeof(*k))) != NULL) {
		cg_strlcpy(k->id, kid, sizeof(k->id));
		k->session = a->kind == CG_AUTH_SESSION;
		k->next = api->keys;
		api->keys = k;
		k->hnext = api->keys_idx[kh];
		api->keys_idx[kh] = k;
	}
	if (k) {
		k->count++;
		k->last_ms = cg_now_ms();
		cg_strlcpy(k->ip, call->ip, sizeof(k->ip));
	}
}

static void
batch_free(struct usage_batch *b)
{
	struct usage *u, *un;
	struct key_use *k, *kn;

	for (u = b->usage; u; u = un) {
		un = u->next;
		free(u);
	}
	for (k = b->keys; k; k = kn) {
		kn = k->next;
		free(k);
	}
	free(b);
}

static void
flush_work(void *arg, void *thread_ctx)
{
	struct usage_batch *b = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	char id[CG_ID_SIZE], day[16], t[32];
	size_t nu = 0, nk = 0;

	if (!db) {
		cg_warn("api", "usage statistics dropped: database unreachable");
		return;
	}
	for (struct usage *u = b->usage; u; u = u->next, nu++) {
		cg_time_format_sql(u->hour_ms, t);
		snprintf(day, sizeof(day), "%.10s", t);
		if (cg_id_new(id) != 0 || cg_db_run(db,
		    "INSERT INTO api_usage_stats (id, merchant_id, endpoint, "
		    "http_method, hourly_bucket, daily_bucket, request_count, "
		    "error_count, client_error_count, server_error_count, "
		    "rate_limited_count, total_response_ms, max_response_ms, "
		    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		    "request_count = request_count + VALUES(request_count), "
		    "error_count = error_count + VALUES(error_count), "
		    "client_error_count = client_error_count + "
		    "VALUES(client_error_count), server_error_count = "
		    "server_error_count + VALUES(server_error_count), "
		    "rate_limited_count = rate_limited_count + "
		    "VALUES(rate_limited_count), total_response_ms = "
		    "total_response_ms + VALUES(total_response_ms), "
		    "max_response_ms = GREATEST(max_response_ms, "
		    "VALUES(max_response_ms)), updated_at = VALUES(updated_at)",
		    "ssssssuuuuuuutt", id, u->merchant_id, u->endpoint,
		    u->method, t, day, u->requests, u->errors, u->client_errors,
		    u->server_errors, u->limited, u->total_ms, u->max_ms,
		    cg_now_ms(), cg_now_ms()) < 0)
			cg_warn("api", "usage statistics row dropped: %s",
			    cg_db_error(db));
	}
	for (struct key_use *k = b->keys; k; k = k->next, nk++) {
		int64_t rc;

		if (k->session)
			rc = cg_db_run(db, "UPDATE user_sessions SET "
			    "last_seen_at = GREATEST(IFNULL(last_seen_at, ?), ?) "
			    "WHERE id = ?", "tts", k->last_ms, k->last_ms, k->id);
		else
			rc = cg_db_run(db, "UPDATE api_keys SET usage_count = "
			    "usage_count + ?, last_used_at = GREATEST(IFNULL("
			    "last_used_at, ?), ?), last_used_ip = ? WHERE id = ?",
			    "uttss", k->count, k->last_ms, k->last_ms, k->ip,
			    k->id);
		if (rc < 0)
			cg_warn("api", "key usage dropped: %s", cg_db_error(db));
	}
	cg_debug("api", "usage flushed buckets=%zu keys=%zu", nu, nk);
}

static void
flush_done(void *arg)
{
	batch_free(arg);
}

void
cg_api_flush_usage(struct cg_api *api)
{
	struct usage_batch *b;

	if (!api->usage && !api->keys)
		return;
	b = calloc(1, sizeof(*b));
	if (!b)
		return;
	b->usage = api->usage;
	b->keys = api->keys;
	api->usage = NULL;
	api->keys = NULL;
	memset(api->usage_idx, 0, sizeof(api->usage_idx));
	memset(api->keys_idx, 0, sizeof(api->keys_idx));
	if (cg_pool_post(api->d->api_pool, flush_work, flush_done, b) != 0) {
		cg_warn("api", "usage statistics batch dropped: pool busy");
		batch_free(b);
	}
}

/* Retention: idempotency records past their 24 h, sessions a week after
 * they ended. Bounded batches; several daemons doing it is harmless. */
static void
prune_work(void *arg, void *thread_ctx)
{
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	int64_t now = cg_now_ms(), a, b;

	(void)arg;
	if (!db)
		return;
	a = cg_db_run(db, "DELETE FROM idempotency_keys WHERE expires_at <= ? "
	    "LIMIT 1000", "t", now);
	b = cg_db_run(db, "DELETE FROM user_sessions WHERE expires_at <= ? "
	    "LIMIT 1000", "t", now - SESSION_KEEP_MS);
	if (a < 0 || b < 0)
		cg_warn("api", "pruning failed: %s", cg_db_error(db));
	else if (a + b > 0)
		cg_info("api", "pruned idempotency_records=%lld sessions=%lld",
		    (long long)a, (long long)b);
}

static void
on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cg_api *api = arg;

	(void)fd;
	(void)what;
	cg_api_flush_usage(api);
	rate_prune(api);
	if (cg_mono_ms() - api->pruned_ms >= PRUNE_EVERY_MS &&
	    cg_dbmon_ready(api->d->dbmon) && cg_pool_post(api->d->api_pool,
	    prune_work, NULL, NULL) == 0)
		api->pruned_ms = cg_mono_ms();
}

/* cgctl api routes: every HTTP route the server registered (all modules),
 * which the tests compare with docs/openapi.yaml. */
static void
cmd_api_routes(struct cg_control_call *ctl, json_t *args, void *ud)
{
	struct cg_api *api = ud;
	json_t *a = json_array();

	(void)args;
	for (size_t i = 0; i < cg_http_route_count(api->d->http); i++) {
		const struct cg_route_info *r = cg_http_route_get(api->d->http,
		    i);

		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "method",
		    r->method, "pattern", r->pattern, "name", r->name));
	}
	cg_control_reply(ctl, json_pack("{s:o}", "routes", a));
}

/* ---- module -------------------------------------------------------------- */

struct cg_api *
cg_api_start(struct cg_daemon *d)
{
	struct cg_api *api = calloc(1, sizeof(*api));
	struct timeval tv;

	if (!api)
		return NULL;
	api->d = d;
	pthread_mutex_init(&api->rl_lock, NULL);
	pthread_mutex_init(&api->kc_lock, NULL);
	api->kc_ttl_ms = d->cfg->api.auth_cache_ms;
	pthread_mutex_init(&api->login_lock, NULL);
	api->flush_timer = event_new(d->base, -1, EV_PERSIST, on_flush_timer,
	    api);
	tv.tv_sec = d->cfg->api.usage_flush_s;
	tv.tv_usec = 0;
	if (!api->flush_timer || event_add(api->flush_timer, &tv) != 0)
		goto fail;
	if (cg_api_register_routes(api) != 0 ||
	    cg_api_admin_payments_register(api) != 0 ||
	    cg_control_register(d->control, "api routes", cmd_api_routes, api,
	    0) != 0 || cg_api_control_register(api) != 0)
		goto fail;
	return api;
fail:
	cg_error("api", "cannot start the API");
	cg_api_stop(api);
	cg_api_free(api);
	return NULL;
}

void
cg_api_stop(struct cg_api *api)
{
	if (!api)
		return;
	if (api->flush_timer) {
		event_free(api->flush_timer);
		api->flush_timer = NULL;
	}
	cg_api_flush_usage(api);
}

void
cg_api_free(struct cg_api *api)
{
	struct api_route *r, *n;
	struct usage_batch rest = { api ? api->usage : NULL,
	    api ? api->keys : NULL };

	if (!api)
		return;
	for (r = api->routes; r; r = n) {
		n = r->next;
		free(r->pattern);
		free(r);
	}
	if (rest.usage || rest.keys) {
		struct usage_batch *b = malloc(sizeof(*b));

		if (b) {
			*b = rest;
			batch_free(b);
		}
	}
	for (size_t i = 0; i < HASH_BUCKETS; i++) {
		struct bucket *b, *bn;

		for (b = api->rl[i]; b; b = bn) {
			bn = b->next;
			free(b);
		}
	}
	cg_api_login_free(api);
	for (size_t i = 0; i < KC_SLOTS; i++)
		kc_free(api->kc[i]);
	pthread_mutex_destroy(&api->kc_lock);
	pthread_mutex_destroy(&api->rl_lock);
	pthread_mutex_destroy(&api->login_lock);
	free(api);
}
