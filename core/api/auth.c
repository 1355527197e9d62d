/*
 * Users and sessions: login (Argon2id on the hash pool, never on the loop
 * or an SQL worker), logout, session lists and revocation, e-mail
 * verification and password reset with single-use expiring tokens, mail,
 * and the failed-login throttles: per user in the database
 * (failed_login_count, locked_until) and per client address in memory.
 */
#include "api/internal.h"
#include "api/resources.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <curl/curl.h>

#include "api/validate.h"
#include "config/config.h"
#include "db/db.h"
#include "runtime/daemon.h"
#include "runtime/pool.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/str.h"
#include "util/token.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024
#define PHC_MAX 256
#define LOGIN_FAIL_MAX_ENTRIES 10000
#define TOKEN_KIND_VERIFY "cgv"
#define TOKEN_KIND_RESET "cgr"
#define RESET_RESEND_MS (60LL * 1000)

static const struct cg_config *
cfg_of(struct cg_api *api)
{
	return api->d->cfg;
}

/* ---- passwords (hash workers) -------------------------------------------- */

int
cg_api_password_hash(struct cg_api *api, const char *password, char *out,
    size_t size)
{
	const struct cg_config *c = cfg_of(api);
	uint8_t salt[16];
	int rc;

	if (cg_random_bytes(salt, sizeof(salt)) != 0)
		return -1;
	rc = argon2id_hash_encoded((uint32_t)c->api.argon2_iterations,
	    (uint32_t)c->api.argon2_memory_kib,
	    (uint32_t)c->api.argon2_parallelism, password, strlen(password),
	    salt, sizeof(salt), 32, out, size);
	if (rc != ARGON2_OK) {
		cg_error("api", "argon2 hashing failed: %s",
		    argon2_error_message(rc));
		return -1;
	}
	return 0;
}

/* A hash to verify against when the e-mail is unknown, so that the answer
 * takes as long as for a known user (no account enumeration by timing). */
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[PHC_MAX];

static int
password_verify(struct cg_api *api, const char *phc, const char *password)
{
	if (!phc) {
		pthread_mutex_lock(&dummy_lock);
		if (!dummy_hash[0] && cg_api_password_hash(api,
		    "not a password", dummy_hash, sizeof(dummy_hash)) != 0)
			dummy_hash[0] = '\0';
		pthread_mutex_unlock(&dummy_lock);
		if (dummy_hash[0])
			(void)argon2id_verify(dummy_hash, password,
			    strlen(password));
		return 0;
	}
	if (strncmp(phc, "$argon2id$", 10) != 0)
		return 0;
	return argon2id_verify(phc, password, strlen(password)) == ARGON2_OK;
}

/* ---- failed logins per client address (loop only) ------------------------ */

struct login_fail {
	char ip[46];
	int64_t window_start_ms;
	int64_t count;
	struct login_fail *next;
};

void
cg_api_login_free(struct cg_api *api)
{
	struct login_fail *f, *n;

	for (f = api->login_fails; f; f = n) {
		n = f->next;
		free(f);
	}
	api->login_fails = NULL;
}

/* The entry of ip (created when add), old windows dropped on the way. */
static struct login_fail *
ip_entry(struct cg_api *api, const char *ip, int add)
{
	int64_t now = cg_now_ms();
	int64_t window = cfg_of(api)->api.login_lockout_s * 1000;
	struct login_fail **pp = &api->login_fails, *f, *found = NULL;
	size_t n = 0;

	while ((f = *pp) != NULL) {
		if (now - f->window_start_ms >= window) {
			*pp = f->next;
			free(f);
			continue;
		}
		if (strcmp(f->ip, ip) == 0)
			found = f;
		n++;
		pp = &f->next;
	}
	if (found || !add || n >= LOGIN_FAIL_MAX_ENTRIES)
		return found;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	cg_strlcpy(f->ip, ip, sizeof(f->ip));
	f->window_start_ms = now;
	f->next = api->login_fails;
	api->login_fails = f;
	return f;
}

/* ---- login --------------------------------------------------------------- */

struct login {
	char email[256];
	char password[PASSWORD_MAX * 4 + 1];
	int exists, active, ok;
	int64_t locked_until;
	char user_id[CG_ID_SIZE];
	char phc[PHC_MAX];
	char role[16];
	char token[CG_TOKEN_MAX_LEN + 1];
	struct cg_token info;
	char session_id[CG_ID_SIZE];
	int64_t expires_ms;
	json_t *user;
};

static void
login_free(void *p)
{
	struct login *l = p;

	cg_wipe(l->password, sizeof(l->password));
	cg_wipe(l->token, sizeof(l->token));
	json_decref(l->user);
	free(l);
}

static void
login_lookup_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct login *l = cg_api_state(call);
	struct cg_stmt *st;
	int rc;
	int64_t v;

	st = cg_db_query(db, "SELECT u.id, u.password_hash, u.role, "
	    "u.is_active, u.locked_until, u.email, u.name, u.email_verified_at, "
	    "m.id FROM users u LEFT JOIN merchants m ON m.user_id_live = u.id "
	    "WHERE u.email_live = ?", "s", l->email);
	if (!st) {
		cg_api_set_db_error(call, db);
		return;
	}
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		l->exists = 1;
		cg_strlcpy(l->user_id, cg_stmt_str(st, 0), sizeof(l->user_id));
		cg_strlcpy(l->phc, cg_stmt_str(st, 1) ? cg_stmt_str(st, 1) : "",
		    sizeof(l->phc));
		cg_strlcpy(l->role, cg_stmt_str(st, 2), sizeof(l->role));
		l->active = cg_stmt_i64(st, 3, &v) == 0 && v == 1;
		if (cg_stmt_is_null(st, 4) || cg_stmt_time_ms(st, 4,
		    &l->locked_until) != 0)
			l->locked_until = 0;
		l->user = json_pack("{s:s, s:s, s:o, s:s, s:b, s:o}", "id",
		    l->user_id, "email", cg_stmt_str(st, 5), "name",
		    cg_api_str_json(cg_stmt_str(st, 6)), "role", l->role,
		    "email_verified", !cg_stmt_is_null(st, 7), "merchant_id",
		    cg_api_str_json(cg_stmt_str(st, 8)));
	}
	cg_stmt_close(st);
	if (rc < 0)
		cg_api_set_db_error(call, db);
}

static void
login_verify(struct cg_api_call *call)
{
	struct login *l = cg_api_state(call);

	l->ok = password_verify(cg_api_of(call), l->exists ? l->phc : NULL,
	    l->password) && l->exists;
	cg_wipe(l->password, sizeof(l->password));
	if (l->ok && (cg_token_generate(CG_TOKEN_KIND_SESSION, l->token,
	    sizeof(l->token), &l->info) < 0 || cg_id_new(l->session_id) != 0))
		cg_api_set_problem(call, 500, NULL);
}

static struct cg_audit_actor
user_actor(struct cg_api_call *call, const char *user_id)
{
	struct cg_audit_actor a = {
		.actor_type = "USER", .user_id = user_id,
		.ip = cg_api_ip(call), .user_agent = cg_api_user_agent(call),
		.endpoint = cg_api_path(call), .http_method = cg_api_method(call),
		.request_id = cg_api_request_id(call),
	};
	return a;
}

static int
login_fail_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct login *l = cg_api_state(call);
	const struct cg_config *c = cfg_of(cg_api_of(call));
	int64_t now = cg_now_ms();
	struct cg_audit_actor a = user_actor(call, l->user_id);
	json_t *why;
	int rc;

	if (cg_db_run(db, "UPDATE users SET locked_until = IF("
	    "failed_login_count + 1 >= ?, ?, locked_until), "
	    "failed_login_count = IF(failed_login_count + 1 >= ?, 0, "
	    "failed_login_count + 1) WHERE id = ?", "itis",
	    c->api.login_max_failures, now + c->api.login_lockout_s * 1000,
	    c->api.login_max_failures, l->user_id) < 0)
		return CG_DB_ERR;
	why = json_pack("{s:s}", "reason", l->ok ? "user disabled" :
	    "wrong password");
	rc = cg_audit(db, &a, NULL, "LOGIN_FAILED", "user", l->user_id, NULL,
	    why);
	json_decref(why);
	return rc;
}

static void
login_fail_sql(struct cg_api_call *call, struct cg_db *db)
{
	if (cg_db_tx(db, login_fail_tx, call) != 0)
		cg_api_set_db_error(call, db);
	else
		cg_api_set_problem(call, 401, "The e-mail address or the "
		    "password is wrong.");
}

static int
login_ok_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct login *l = cg_api_state(call);
	const char *ip = cg_api_ip(call), *ua = cg_api_user_agent(call);
	int64_t now = cg_now_ms();
	struct cg_audit_actor a = user_actor(call, l->user_id);
	json_t *after;
	char iso[32];
	int rc;

	l->expires_ms = now + cfg_of(cg_api_of(call))->api.session_ttl_s * 1000;
	if (cg_db_run(db, "INSERT INTO user_sessions (id, user_id, "
	    "session_token_hash, ip_address, user_agent, created_at, "
	    "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "sssssttt", l->session_id, l->user_id, l->info.hash,
	    *ip ? ip : NULL, *ua ? ua : NULL, now, now, l->expires_ms) != 1)
		return CG_DB_ERR;
	if (cg_db_run(db, "UPDATE users SET failed_login_count = 0, "
	    "locked_until = NULL, last_login_at = ?, last_login_ip = ? WHERE "
	    "id = ?", "tss", now, *ip ? ip : NULL, l->user_id) != 1)
		return CG_DB_ERR;
	cg_time_format_iso(l->expires_ms, iso);
	after = json_pack("{s:s, s:s}", "session_id", l->session_id,
	    "expires_at", iso);
	rc = cg_audit(db, &a, json_string_value(json_object_get(l->user,
	    "merchant_id")), "LOGIN", "user_session", l->session_id, NULL,
	    after);
	json_decref(after);
	if (rc != 0)
		return rc;
	cg_api_set_json(call, 200, json_pack("{s:s, s:s, s:s, s:O}", "token",
	    l->token, "session_id", l->session_id, "expires_at", iso, "user",
	    l->user));
	return 0;
}

static void
login_ok_sql(struct cg_api_call *call, struct cg_db *db)
{
	if (cg_db_tx(db, login_ok_tx, call) != 0)
		cg_api_set_db_error(call, db);
}

static void
login_after_verify(struct cg_api_call *call)
{
	struct login *l = cg_api_state(call);
	struct login_fail *f;

	if (cg_api_status(call)) {
		cg_api_finish(call);
		return;
	}
	if (l->ok && l->active) {
		cg_api_sql(call, login_ok_sql, NULL);
		return;
	}
	f = ip_entry(cg_api_of(call), cg_api_ip(call), 1);
	if (f)
		f->count++;
	if (!l->exists) {
		cg_api_reply_problem(call, 401, "The e-mail address or the "
		    "password is wrong.");
		return;
	}
	cg_api_sql(call, login_fail_sql, NULL);
}

static void
too_many(struct cg_api_call *call, int64_t until_ms)
{
	char v[32];
	int64_t s = (until_ms - cg_now_ms() + 999) / 1000;

	snprintf(v, sizeof(v), "%lld", (long long)(s > 0 ? s : 1));
	cg_api_add_header(call, "Retry-After", v);
	cg_api_reply_problem(call, 429, "Too many failed logins; try again "
	    "later.");
}

static void
login_after_lookup(struct cg_api_call *call)
{
	struct login *l = cg_api_state(call);

	if (cg_api_status(call)) {
		cg_api_finish(call);
		return;
	}
	if (l->exists && l->locked_until > cg_now_ms()) {
		too_many(call, l->locked_until);
		return;
	}
	cg_api_hash(call, login_verify, login_after_verify);
}

void
cg_api_login(struct cg_api_call *call)
{
	struct cg_api *api = cg_api_of(call);
	struct login *l = calloc(1, sizeof(*l));
	struct login_fail *f;
	struct cg_vld v;
	const char *email = NULL, *pw = NULL;

	if (!l) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_set_state(call, l, login_free);
	f = ip_entry(api, cg_api_ip(call), 0);
	if (f && f->count >= cfg_of(api)->api.login_ip_max_failures) {
		too_many(call, f->window_start_ms +
		    cfg_of(api)->api.login_lockout_s * 1000);
		return;
	}
	if (cg_api_parse_body(call, &v, false) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_vld_str(&v, "email", CG_VLD_REQUIRED, 1, 254, &email);
	cg_vld_str(&v, "password", CG_VLD_REQUIRED, 1, PASSWORD_MAX, &pw);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		cg_api_finish(call);
		return;
	}
	cg_strlcpy(l->email, email, sizeof(l->email));
	cg_strlcpy(l->password, pw, sizeof(l->password));
	cg_vld_free(&v);
	cg_api_sql(call, login_lookup_sql, login_after_lookup);
}

/* ---- logout and sessions ------------------------------------------------- */

static int
session_end_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const struct cg_api_auth *a = cg_api_auth(call);
	const char *id = cg_api_param(call, "id");
	int logout = id == NULL;
	int64_t now = cg_now_ms(), n;
	json_t *after;
	char iso[32];
	int rc;

	if (logout)
		id = a->session_id;
	n = cg_db_run(db, "UPDATE user_sessions SET revoked_at = ? WHERE id = "
	    "? AND user_id = ? AND revoked_at IS NULL", "tss", now, id,
	    a->user_id);
	if (n < 0)
		return CG_DB_ERR;
	if (n == 0)
		return 404;
	cg_time_format_iso(now, iso);
	after = json_pack("{s:s}", "revoked_at", iso);
	rc = cg_api_audit(db, call, a->merchant_id, logout ? "LOGOUT" :
	    "REVOKE", "user_session", id, NULL, after);
	json_decref(after);
	if (rc != 0)
		return rc;
	cg_api_set_json(call, 200, json_pack("{s:s, s:s}", "id", id,
	    "revoked_at", iso));
	return 0;
}

/* A session of the list; arg: the caller's own session id. */
static json_t *
session_row(struct cg_stmt *st, const void *arg)
{
	const char *id = cg_stmt_str(st, 0);

	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:b}", "id", id,
	    "ip_address", cg_api_str_json(cg_stmt_str(st, 1)), "user_agent",
	    cg_api_str_json(cg_stmt_str(st, 2)), "created_at",
	    cg_api_time_json(cg_stmt_str(st, 3)), "last_seen_at",
	    cg_api_time_json(cg_stmt_str(st, 4)), "expires_at",
	    cg_api_time_json(cg_stmt_str(st, 5)), "current",
	    strcmp(id, (const char *)arg) == 0);
}

static void
session_end_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_tx(call, db, session_end_tx, "session");
}

void
cg_api_logout(struct cg_api_call *call)
{
	if (cg_api_auth(call)->kind != CG_AUTH_SESSION) {
		cg_api_reply_problem(call, 403, "Only a session can log out.");
		return;
	}
	cg_api_sql(call, session_end_sql, NULL);
}

void
cg_api_sessions_revoke(struct cg_api_call *call)
{
	if (!cg_id_valid(cg_api_param(call, "id"))) {
		cg_api_reply_problem(call, 404, "No session with this id.");
		return;
	}
	cg_api_sql(call, session_end_sql, NULL);
}

void
cg_api_sessions_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	const struct cg_api_auth *a = cg_api_auth(call);
	struct cg_api_page pg;
	struct cg_stmt *st;
	char sql[600];

	if (cg_api_page_parse(call, &pg) != 0)
		return;
	snprintf(sql, sizeof(sql), "SELECT id, ip_address, user_agent, "
	    "created_at, last_seen_at, expires_at FROM user_sessions WHERE "
	    "user_id = ? AND revoked_at IS NULL AND expires_at > ? AND "
	    CG_API_PAGE_SQL " ORDER BY created_at DESC, id DESC LIMIT %d",
	    pg.limit + 1);
	st = cg_db_query(db, sql, "st" CG_API_PAGE_TYPES, a->user_id,
	    cg_now_ms(), CG_API_PAGE_ARGS(&pg));
	cg_api_page_answer(call, db, &pg, st, 3, session_row, a->session_id);
}


/* ---- mail ---------------------------------------------------------------- */

struct mail {
	char *url, *from, *user, *pass, *to, *text;
	size_t off, len;
	long timeout_ms;
};

static size_t
mail_read(char *buf, size_t size, size_t n, void *arg)
{
	struct mail *m = arg;
	size_t left = m->len - m->off, k = size * n < left ? size * n : left;

	memcpy(buf, m->text + m->off, k);
	m->off += k;
	return k;
}

static void
mail_work(void *arg, void *thread_ctx)
{
	struct mail *m = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	CURLcode rc;

	(void)thread_ctx;
	if (!c)
		return;
	rcpt = curl_slist_append(rcpt, m->to);
	curl_easy_setopt(c, CURLOPT_URL, m->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, m->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(c, CURLOPT_READDATA, m);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (m->user)
		curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
	if (m->pass)
		curl_easy_setopt(c, CURLOPT_PASSWORD, m->pass);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		cg_warn("mail", "sending to %s failed: %s", m->to,
		    curl_easy_strerror(rc));
	else
		cg_info("mail", "sent to=%s", m->to);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
}

static void
mail_free(void *arg)
{
	struct mail *m = arg;

	free(m->url);
	free(m->from);
	free(m->user);
	if (m->pass)
		cg_wipe(m->pass, strlen(m->pass));
	free(m->pass);
	free(m->to);
	if (m->text)
		cg_wipe(m->text, m->len);
	free(m->text);
	free(m);
}

void
cg_api_mail(struct cg_api *api, const char *to, const char *subject,
    const char *body)
{
	const struct cg_config *c = cfg_of(api);
	struct mail *m;
	const char *from = c->smtp.from ? c->smtp.from :
	    "no-reply@localhost";
	int n;

	if (!c->smtp.url) {
		if (c->daemon.development)
			cg_info("mail", "development mail (smtp.url unset) "
			    "to=%s subject=\"%s\"\n%s", to, subject, body);
		else
			cg_warn("mail", "smtp.url is not set: message to %s "
			    "not sent (subject \"%s\")", to, subject);
		return;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	m->url = strdup(c->smtp.url);
	m->from = strdup(from);
	m->to = strdup(to);
	m->user = c->smtp.username ? strdup(c->smtp.username) : NULL;
	m->pass = c->smtp.password.value ? strdup(c->smtp.password.value) :
	    NULL;
	m->timeout_ms = (long)c->smtp.timeout_ms;
	n = asprintf(&m->text, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, to,
	    subject, body);
	if (n < 0 || !m->url || !m->from || !m->to) {
		m->text = n < 0 ? NULL : m->text;
		mail_free(m);
		return;
	}
	m->len = (size_t)n;
	/* Outbound network I/O: on the webhook pool, never on the loop. */
	if (cg_pool_post(api->d->webhook_pool, mail_work, mail_free, m) != 0) {
		cg_warn("mail", "mail to %s dropped: pool busy", to);
		mail_free(m);
	}
}

/* ---- single-use tokens: e-mail verification and password reset ----------- */

struct onetime {
	char token[CG_TOKEN_MAX_LEN + 1];
	struct cg_token info;
	char email[256];
	char password[PASSWORD_MAX * 4 + 1];
	char phc[PHC_MAX];
	char user_id[CG_ID_SIZE];
	int found;
};

static void
onetime_free(void *p)
{
	struct onetime *o = p;

	cg_wipe(o, sizeof(*o));
	free(o);
}

static struct onetime *
onetime_new(struct cg_api_call *call, const char *kind)
{
	struct onetime *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	cg_api_set_state(call, o, onetime_free);
	if (kind && cg_token_generate(kind, o->token, sizeof(o->token),
	    &o->info) < 0)
		return NULL;
	return o;
}

static void
mail_token(struct cg_api_call *call, const char *what, const char *path)
{
	struct onetime *o = cg_api_state(call);
	const struct cg_config *c = cfg_of(cg_api_of(call));
	char body[1024];

	snprintf(body, sizeof(body), "Your %s token for Cryptic Gateway:\n\n"
	    "    %s\n\nSubmit it to %s%s within the time it is valid. If you "
	    "did not ask for this, ignore this message.", what, o->token,
	    c->http.public_url ? c->http.public_url : "", path);
	cg_api_mail(cg_api_of(call), o->email, what, body);
}

static void
verify_request_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct onetime *o = cg_api_state(call);
	const struct cg_api_auth *a = cg_api_auth(call);
	int64_t exp = cg_now_ms() +
	    cfg_of(cg_api_of(call))->api.verify_token_ttl_s * 1000;
	int rc;

	rc = cg_db_query_str(db, o->email, sizeof(o->email), "SELECT email "
	    "FROM users WHERE id = ? AND deleted_at IS NULL", "s", a->user_id);
	if (rc < 0 || (rc == 1 && cg_db_run(db, "UPDATE users SET "
	    "email_verify_token_hash = ?, email_verify_expires_at = ? WHERE "
	    "id = ?", "sts", o->info.hash, exp, a->user_id) != 1)) {
		cg_api_set_db_error(call, db);
		return;
	}
	o->found = rc == 1;
	cg_api_set_json(call, 202, json_pack("{s:s}", "status", "sent"));
}

static void
verify_request_then(struct cg_api_call *call)
{
	struct onetime *o = cg_api_state(call);

	if (cg_api_status(call) == 202 && o->found)
		mail_token(call, "E-mail verification",
		    "/api/v1/auth/verify-email/confirm");
	cg_api_finish(call);
}

void
cg_api_verify_request(struct cg_api_call *call)
{
	if (!onetime_new(call, TOKEN_KIND_VERIFY)) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_sql(call, verify_request_sql, verify_request_then);
}

/* Parses {"token": …[, "password": …]}; 0, or -1 with the answer set. */
static int
onetime_body(struct cg_api_call *call, const char *kind, int with_password)
{
	struct onetime *o = onetime_new(call, NULL);
	struct cg_vld v;
	const char *tok = NULL, *pw = NULL;

	if (!o) {
		cg_api_set_problem(call, 500, NULL);
		return -1;
	}
	if (cg_api_parse_body(call, &v, false) != 0)
		return -1;
	if (cg_vld_str(&v, "token", CG_VLD_REQUIRED, 1, CG_TOKEN_MAX_LEN,
	    &tok) == CG_VLD_SET && cg_token_parse(tok, strlen(tok), kind,
	    &o->info) != 0)
		cg_vld_error(&v, "token", "is not a token of this kind");
	if (with_password)
		cg_vld_str(&v, "password", CG_VLD_REQUIRED, PASSWORD_MIN,
		    PASSWORD_MAX, &pw);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		return -1;
	}
	if (pw)
		cg_strlcpy(o->password, pw, sizeof(o->password));
	cg_vld_free(&v);
	return 0;
}

static void
token_invalid(struct cg_api_call *call)
{
	struct cg_vld v;

	memset(&v, 0, sizeof(v));
	cg_vld_error(&v, "token", "is invalid, used or expired");
	cg_api_set_vld_errors(call, &v);
}

static int
verify_confirm_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct onetime *o = cg_api_state(call);
	int64_t now = cg_now_ms();
	struct cg_audit_actor a;
	json_t *after;
	char iso[32];
	int rc;

	rc = cg_db_query_str(db, o->user_id, sizeof(o->user_id), "SELECT id "
	    "FROM users WHERE email_verify_token_hash = ? AND "
	    "email_verify_expires_at > ? AND deleted_at IS NULL FOR UPDATE",
	    "st", o->info.hash, now);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0)
		return 404;
	if (cg_db_run(db, "UPDATE users SET email_verified_at = ?, "
	    "email_verify_token_hash = NULL, email_verify_expires_at = NULL, "
	    "updated_at = ? WHERE id = ?", "tts", now, now, o->user_id) != 1)
		return CG_DB_ERR;
	a = user_actor(call, o->user_id);
	cg_time_format_iso(now, iso);
	after = json_pack("{s:s}", "email_verified_at", iso);
	rc = cg_audit(db, &a, NULL, "VERIFY_EMAIL", "user", o->user_id, NULL,
	    after);
	json_decref(after);
	if (rc == 0)
		cg_api_set_json(call, 200, json_pack("{s:b, s:s}",
		    "email_verified", 1, "email_verified_at", iso));
	return rc;
}

static void
verify_confirm_sql(struct cg_api_call *call, struct cg_db *db)
{
	int rc = cg_db_tx(db, verify_confirm_tx, call);

	if (rc == 404)
		token_invalid(call);
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

void
cg_api_verify_confirm(struct cg_api_call *call)
{
	if (onetime_body(call, TOKEN_KIND_VERIFY, 0) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_api_sql(call, verify_confirm_sql, NULL);
}

static void
reset_request_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct onetime *o = cg_api_state(call);
	int64_t exp = cg_now_ms() +
	    cfg_of(cg_api_of(call))->api.reset_token_ttl_s * 1000;
	int64_t n;

	/* At most one message a minute per user: the endpoint is public and
	 * must not become a way to flood a mailbox. */
	n = cg_db_run(db, "UPDATE users SET password_reset_token_hash = ?, "
	    "password_reset_expires_at = ? WHERE email_live = ? AND "
	    "is_active = 1 AND (password_reset_expires_at IS NULL OR "
	    "password_reset_expires_at < ?)", "stst", o->info.hash, exp,
	    o->email, exp - RESET_RESEND_MS);
	if (n < 0) {
		cg_api_set_db_error(call, db);
		return;
	}
	o->found = n == 1;
	/* The same answer whether or not the address is registered. */
	cg_api_set_json(call, 202, json_pack("{s:s}", "status",
	    "If the address is registered, a reset token was sent to it."));
}

static void
reset_request_then(struct cg_api_call *call)
{
	struct onetime *o = cg_api_state(call);

	if (cg_api_status(call) == 202 && o->found)
		mail_token(call, "Password reset",
		    "/api/v1/auth/password-reset/confirm");
	cg_api_finish(call);
}

void
cg_api_reset_request(struct cg_api_call *call)
{
	struct onetime *o = onetime_new(call, TOKEN_KIND_RESET);
	struct cg_vld v;
	const char *email = NULL;

	if (!o) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	if (cg_api_parse_body(call, &v, false) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_vld_email(&v, "email", CG_VLD_REQUIRED, &email);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		cg_api_finish(call);
		return;
	}
	cg_strlcpy(o->email, email, sizeof(o->email));
	cg_vld_free(&v);
	cg_api_sql(call, reset_request_sql, reset_request_then);
}

static int
reset_confirm_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct onetime *o = cg_api_state(call);
	int64_t now = cg_now_ms(), n;
	struct cg_audit_actor a;
	json_t *after;
	int rc;

	rc = cg_db_query_str(db, o->user_id, sizeof(o->user_id), "SELECT id "
	    "FROM users WHERE password_reset_token_hash = ? AND "
	    "password_reset_expires_at > ? AND deleted_at IS NULL FOR UPDATE",
	    "st", o->info.hash, now);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0)
		return 404;
	if (cg_db_run(db, "UPDATE users SET password_hash = ?, "
	    "password_reset_token_hash = NULL, password_reset_expires_at = "
	    "NULL, failed_login_count = 0, locked_until = NULL, updated_at = ? "
	    "WHERE id = ?", "sts", o->phc, now, o->user_id) != 1)
		return CG_DB_ERR;
	/* Whoever knew the old password is logged out. */
	n = cg_db_run(db, "UPDATE user_sessions SET revoked_at = ? WHERE "
	    "user_id = ? AND revoked_at IS NULL", "ts", now, o->user_id);
	if (n < 0)
		return CG_DB_ERR;
	a = user_actor(call, o->user_id);
	after = json_pack("{s:s, s:I}", "password", "changed",
	    "sessions_revoked", (json_int_t)n);
	rc = cg_audit(db, &a, NULL, "PASSWORD_RESET", "user", o->user_id, NULL,
	    after);
	json_decref(after);
	if (rc == 0)
		cg_api_set_json(call, 200, json_pack("{s:b, s:I}",
		    "password_changed", 1, "sessions_revoked", (json_int_t)n));
	return rc;
}

static void
reset_confirm_sql(struct cg_api_call *call, struct cg_db *db)
{
	int rc = cg_db_tx(db, reset_confirm_tx, call);

	if (rc == 404)
		token_invalid(call);
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

static void
reset_hash(struct cg_api_call *call)
{
	struct onetime *o = cg_api_state(call);

	if (cg_api_password_hash(cg_api_of(call), o->password, o->phc,
	    sizeof(o->phc)) != 0)
		cg_api_set_problem(call, 500, NULL);
	cg_wipe(o->password, sizeof(o->password));
}

static void
reset_after_hash(struct cg_api_call *call)
{
	if (cg_api_status(call)) {
		cg_api_finish(call);
		return;
	}
	cg_api_sql(call, reset_confirm_sql, NULL);
}

void
cg_api_reset_confirm(struct cg_api_call *call)
{
	if (onetime_body(call, TOKEN_KIND_RESET, 1) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_api_hash(call, reset_hash, reset_after_hash);
}
