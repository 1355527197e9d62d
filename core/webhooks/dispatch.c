/*
 * The webhook dispatcher: claim (worker), send (curl multi on the loop),
 * record (worker). See dispatch.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cg_build_config.h"
#include "api/webhooks.h"
#include "config/config.h"
#include "control/control.h"
#include "db/db.h"
#include "runtime/daemon.h"
#include "runtime/metrics.h"
#include "runtime/pool.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/id.h"
#include "util/log.h"
#include "util/secretbox.h"
#include "util/str.h"
#include "util/token.h"
#include "webhooks/admin.h"
#include "webhooks/dispatch.h"
#include "webhooks/outbox.h"
#include "webhooks/secrets.h"
#include "webhooks/ssrf.h"

#define EXCERPT_MAX 1024
#define ERROR_MAX 511
#define MERCHANTS_PER_CLAIM 64
/* A lease outlives the longest attempt by this much. */
#define LEASE_MARGIN_MS 30000

struct job {
	struct job *next;
	struct cg_webhooks *w;
	char id[CG_ID_SIZE];
	char merchant_id[CG_ID_SIZE];
	char event_id[48];
	char event_type[72];
	uint64_t epoch;
	int64_t attempt_no, max_attempts;
	int64_t created_ms;
	int64_t due_ms;		/* next_attempt_at when claimed */
	int64_t base_s, max_s, window_s, timeout_ms;
	char *url, *payload;
	size_t payload_len;
	char sig[CG_WEBHOOK_HEADER_LEN(2) + 1];
	struct cg_ssrf_target target;
	bool prepared;		/* signed and target checked: send it */
	int64_t release_ms;	/* > 0: hand back unsent, due again after */
	bool allow_private;
	/* transfer */
	CURL *easy;
	struct curl_slist *hdrs;
	char curl_err[CURL_ERROR_SIZE];
	int64_t started_ms, started_mono_ms;
	size_t body_bytes, max_body;
	bool too_large;
	/* result */
	long status;
	int64_t duration_ms;
	char excerpt[EXCERPT_MAX + 1];
	size_t excerpt_len;
	char error[ERROR_MAX + 1];
	int64_t cap_attempts;
	const char *outcome;	/* as recorded; NULL: lease lost */
};

struct cg_webhooks {
	struct cg_daemon *d;
	struct event_base *base;
	struct cg_pool *pool;
	struct cg_secretbox *box;
	CURLM *multi;
	struct event *curl_timer;
	struct event *tick;
	struct event *flush;
	char owner[128];
	bool claiming, stopping;
	int inflight;		/* claimed and not yet recorded */
	struct job *sending;	/* transfers on the multi handle */
	struct job *unposted;	/* results waiting for room in the pool */
	uint64_t claimed, sent, succeeded, retried, failed, refused, lost;
	struct cg_metric *m_attempts, *m_inflight, *m_duration;
};

#define SATURATED_MAX 64

struct claim {
	struct cg_webhooks *w;
	/* merchants this daemon has at their limit now, "id,id,…": skipped
	 * by the claim so they do not hide merchants with free slots */
	char saturated[SATURATED_MAX * CG_ID_SIZE + 1];
	char owner[128];
	int free_slots, per_merchant;
	int64_t now_ms, timeout_ms;
	int64_t max_body, cap_attempts;
	bool allow_private;
	const struct cg_secretbox *box;
	struct job *jobs;
	int njobs;
};

static void kick(struct cg_webhooks *w, int64_t delay_ms);
static void release_work(void *arg, void *thread_ctx);
static void release_done(void *arg);
static void post_record(struct job *j);

const struct cg_secretbox *
cg_webhooks_box(const struct cg_webhooks *w)
{
	return w ? w->box : NULL;
}

int64_t
cg_webhook_backoff_ms(unsigned int n, int64_t base_s, int64_t max_s,
    uint32_t rnd)
{
	int64_t d = base_s > 0 ? base_s : 1;

	if (max_s < d)
		max_s = d;
	for (unsigned int i = 1; i < n && d < max_s; i++)
		d *= 2;
	if (d > max_s)
		d = max_s;
	/* jitter: 90 % … 110 %, so many receivers failing together do not
	 * retry together */
	return d * (900 + (int64_t)(rnd % 201));
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->hdrs);
	free(j->url);
	if (j->payload)
		OPENSSL_cleanse(j->sig, sizeof(j->sig));
	free(j->payload);
	free(j);
}

static void
jobs_free(struct job *j)
{
	while (j) {
		struct job *n = j->next;
		job_free(j);
		j = n;
	}
}

/* ---- claim (worker) ---- */

static char *
dup_col(struct cg_stmt *st, unsigned int col, size_t *len)
{
	const char *s = cg_stmt_str(st, col);
	size_t n = s ? cg_stmt_len(st, col) : 0;
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

struct msettings {
	int64_t base_s, max_s, window_s, timeout_ms;
};

static int
merchant_settings(struct cg_db *db, const char *mid, struct msettings *m)
{
	struct cg_stmt *st = cg_db_query(db,
	    "SELECT webhook_retry_base_s, webhook_retry_max_s, "
	    "webhook_retry_window_s, webhook_timeout_ms FROM merchants "
	    "WHERE id = ?", "s", mid);
	int rc = -1;

	if (st == NULL)
		return -1;
	if (cg_stmt_fetch(st) == 1 && cg_stmt_i64(st, 0, &m->base_s) == 0 &&
	    cg_stmt_i64(st, 1, &m->max_s) == 0 &&
	    cg_stmt_i64(st, 2, &m->window_s) == 0 &&
	    cg_stmt_i64(st, 3, &m->timeout_ms) == 0)
		rc = 0;
	cg_stmt_close(st);
	return rc;
}

/*
 * Up to take of the merchant's due rows in one status, prepended to *list
 * (the newest first). One status is a range of
 * idx_webhook_deliveries_due_merchant (status, merchant_id,
 * next_attempt_at) in next_attempt_at order, so the scan stops after take
 * of them; both statuses at once would sort every due row. The rows are locked (SKIP
 * LOCKED: another daemon's claim is passed over).
 */
static int
fetch_due(struct cg_db *db, struct claim *c, const struct msettings *ms,
    const char *mid, const char *status, int take, struct job **list)
{
	struct cg_stmt *st;
	struct job *j;
	int f;

	st = cg_db_query(db,
	    "SELECT id, lease_epoch, attempt_count, max_attempts, url, "
	    "payload, created_at, event_id, event_type, next_attempt_at "
	    "FROM webhook_deliveries "
	    "FORCE INDEX (idx_webhook_deliveries_due_merchant) "
	    "WHERE status = ? AND merchant_id = ? AND next_attempt_at <= ? "
	    "ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED",
	    "ssti", status, mid, c->now_ms, (int64_t)take);
	if (st == NULL)
		return -1;
	while ((f = cg_stmt_fetch(st)) == 1) {
		int64_t epoch;

		j = calloc(1, sizeof(*j));
		if (j == NULL)
			break;
		j->next = *list;
		*list = j;
		j->w = c->w;
		cg_strlcpy(j->id, cg_stmt_str(st, 0), sizeof(j->id));
		cg_strlcpy(j->merchant_id, mid, sizeof(j->merchant_id));
		if (cg_stmt_i64(st, 1, &epoch) != 0 ||
		    cg_stmt_i64(st, 2, &j->attempt_no) != 0 ||
		    cg_stmt_i64(st, 3, &j->max_attempts) != 0 ||
		    cg_stmt_time_ms(st, 6, &j->created_ms) != 0 ||
		    cg_stmt_time_ms(st, 9, &j->due_ms) != 0) {
			f = -1;
			break;
		}
		j->epoch = (uint64_t)epoch + 1;
		j->attempt_no++;
		j->url = dup_col(st, 4, NULL);
		j->payload = dup_col(st, 5, &j->payload_len);
		cg_strlcpy(j->event_id, cg_stmt_str(st, 7),
		    sizeof(j->event_id));
		cg_strlcpy(j->event_type, cg_stmt_str(st, 8),
		    sizeof(j->event_type));
		if (j->url == NULL || j->payload == NULL) {
			f = -1;
			break;
		}
		j->base_s = ms->base_s;
		j->max_s = ms->max_s;
		j->window_s = ms->window_s;
		j->timeout_ms = ms->timeout_ms < c->timeout_ms ?
		    ms->timeout_ms : c->timeout_ms;
		j->max_body = (size_t)c->max_body;
		j->cap_attempts = c->cap_attempts;
		j->allow_private = c->allow_private;
	}
	cg_stmt_close(st);
	return f < 0 ? -1 : 0;
}

static struct job *
jobs_reverse(struct job *l)
{
	struct job *out = NULL, *next;

	for (; l; l = next) {
		next = l->next;
		l->next = out;
		out = l;
	}
	return out;
}

/* The oldest take of two lists ordered oldest first, the newest first in
 * the result; the rest is freed (its rows stay locked until the commit
 * and are not touched). */
static struct job *
jobs_oldest(struct job *a, struct job *b, int take)
{
	struct job *out = NULL, *j;

	for (; (a || b) && take > 0; take--) {
		if (b == NULL || (a != NULL && a->due_ms <= b->due_ms)) {
			j = a;
			a = a->next;
		} else {
			j = b;
			b = b->next;
		}
		j->next = out;
		out = j;
	}
	jobs_free(a);
	jobs_free(b);
	return out;
}

/* Leases up to `take` due rows of one merchant, the oldest first: new
 * events (PENDING) and those whose lease ended (SENDING). */
static int
claim_merchant(struct cg_db *db, struct claim *c, const char *mid, int take)
{
	struct msettings ms;
	struct job *pending = NULL, *sending = NULL, *list, *j;
	int n = 0;

	if (merchant_settings(db, mid, &ms) != 0)
		return CG_DB_ERR;
	if (fetch_due(db, c, &ms, mid, "PENDING", take, &pending) != 0 ||
	    fetch_due(db, c, &ms, mid, "SENDING", take, &sending) != 0) {
		jobs_free(pending);
		jobs_free(sending);
		return CG_DB_ERR;
	}
	list = jobs_oldest(jobs_reverse(pending), jobs_reverse(sending), take);
	for (j = list; j; j = j->next) {
		int64_t until = c->now_ms + j->timeout_ms + LEASE_MARGIN_MS;

		if (cg_db_run(db,
		    "UPDATE webhook_deliveries SET status = 'SENDING', "
		    "lease_owner = ?, lease_until = ?, next_attempt_at = ?, "
		    "lease_epoch = ?, attempt_count = ?, last_attempt_at = ?, "
		    "updated_at = ? WHERE id = ?", "sttuitts", c->owner, until,
		    until, j->epoch, j->attempt_no, c->now_ms, c->now_ms,
		    j->id) != 1)
			goto fail;
		n++;
	}
	/* append to the claim's list */
	if (list) {
		for (j = list; j->next; j = j->next)
			;
		j->next = c->jobs;
		c->jobs = list;
	}
	c->njobs += n;
	return 0;
fail:
	jobs_free(list);
	return CG_DB_ERR;
}

/* Rows other sends hold now, by any daemon, of the merchants in mids. */
static int
busy_counts(struct cg_db *db, int64_t now_ms, char (*mids)[CG_ID_SIZE],
    int nm, int64_t *busy)
{
	struct cg_stmt *st;
	int64_t v;
	int rc;

	memset(busy, 0, (size_t)nm * sizeof(*busy));
	st = cg_db_query(db,
	    "SELECT merchant_id, COUNT(*) FROM webhook_deliveries "
	    "FORCE INDEX (idx_webhook_deliveries_due) "
	    "WHERE status = 'SENDING' AND next_attempt_at > ? "
	    "GROUP BY merchant_id", "t", now_ms);
	if (st == NULL)
		return -1;
	while ((rc = cg_stmt_fetch(st)) == 1) {
		if (cg_stmt_i64(st, 1, &v) != 0) {
			rc = -1;
			break;
		}
		for (int i = 0; i < nm; i++)
			if (strcmp(mids[i], cg_stmt_str(st, 0)) == 0) {
				busy[i] = v;
				break;
			}
	}
	cg_stmt_close(st);
	return rc < 0 ? -1 : 0;
}

/*
 * The claim reads what is due only, however long the outbox history and
 * however deep a backlog grows. Which merchants have due rows: a loose
 * scan of idx_webhook_deliveries_due_merchant (status, merchant_id,
 * next_attempt_at) that reads about one entry per merchant and status,
 * oldest due merchant first so none starves behind the first 64; a
 * merchant's due rows: one range of the same index; the busy count: the
 * leased rows through idx_webhook_deliveries_due. Left to itself the
 * optimizer may walk the merchants and each one's
 * idx_webhook_deliveries_merchant, i.e. every delivery the merchant ever
 * had; the hints keep the plans fixed.
 */
static int
claim_tx(struct cg_db *db, void *arg)
{
	struct claim *c = arg;
	char mids[MERCHANTS_PER_CLAIM][CG_ID_SIZE];
	int64_t busy[MERCHANTS_PER_CLAIM];
	struct cg_stmt *st;
	int nm = 0, free_slots = c->free_slots;

	/* a retried transaction starts over */
	jobs_free(c->jobs);
	c->jobs = NULL;
	c->njobs = 0;
	st = cg_db_query(db,
	    "SELECT g.merchant_id FROM (SELECT merchant_id, "
	    "MIN(next_attempt_at) AS due FROM webhook_deliveries "
	    "FORCE INDEX (idx_webhook_deliveries_due_merchant) "
	    "WHERE status IN ('PENDING', 'SENDING') AND next_attempt_at <= ? "
	    "GROUP BY status, merchant_id) g "
	    "STRAIGHT_JOIN merchants m ON m.id = g.merchant_id "
	    "WHERE m.webhooks_paused = 0 "
	    /* without a secret nothing can be signed: the events wait */
	    "AND m.webhook_secret_enc IS NOT NULL "
	    "AND FIND_IN_SET(g.merchant_id, ?) = 0 "
	    "GROUP BY g.merchant_id ORDER BY MIN(g.due) LIMIT ?",
	    "tsi", c->now_ms, c->saturated, (int64_t)MERCHANTS_PER_CLAIM);
	if (st == NULL)
		return CG_DB_ERR;
	while (nm < MERCHANTS_PER_CLAIM && cg_stmt_fetch(st) == 1)
		cg_strlcpy(mids[nm++], cg_stmt_str(st, 0), CG_ID_SIZE);
	cg_stmt_close(st);
	if (nm == 0)
		return 0;
	if (busy_counts(db, c->now_ms, mids, nm, busy) != 0)
		return CG_DB_ERR;
	for (int i = 0; i < nm && free_slots > 0; i++) {
		int take, before = c->njobs;

		take = c->per_merchant - (int)busy[i];
		if (take > free_slots)
			take = free_slots;
		if (take <= 0)
			continue;
		if (claim_merchant(db, c, mids[i], take) != 0)
			return CG_DB_ERR;
		free_slots -= c->njobs - before;
	}
	return 0;
}

/* A merchant whose secrets could not be read or opened: its rows go back
 * unsent, no attempt spent, and are due again after this. */
#define SECRET_RETRY_MS 60000

/* Signs the body and checks the target, outside the transaction. */
static void
prepare(struct claim *c, struct cg_db *db, struct job *j,
    struct cg_whsecrets *s, char *s_mid, bool *s_bad)
{
	struct cg_bytes keys[2];
	char err[256];
	int n;

	/* a claim's rows come grouped by merchant: one load per group */
	if (strcmp(s_mid, j->merchant_id) != 0) {
		*s_bad = cg_whsecrets_load(db, c->box, j->merchant_id,
		    cg_now_ms(), s) != 0;
		if (*s_bad) {
			s->n = 0;
			cg_warn("webhooks", "merchant=%s: its webhook secret "
			    "could not be read or opened (database error, or "
			    "not the daemon.master_key it was stored with); "
			    "its deliveries wait %d s", j->merchant_id,
			    SECRET_RETRY_MS / 1000);
		}
		cg_strlcpy(s_mid, j->merchant_id, CG_ID_SIZE);
	}
	if (*s_bad) {
		j->release_ms = SECRET_RETRY_MS;
		return;
	}
	if (s->n == 0) {
		snprintf(j->error, sizeof(j->error), "no signing secret "
		    "(rotate one: POST /api/v1/merchant/webhook-secret/rotate)");
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		keys[i].p = s->s[i];
		keys[i].n = strlen(s->s[i]);
	}
	n = cg_webhook_sign(cg_now_s(), j->payload, j->payload_len, keys, s->n,
	    j->sig, sizeof(j->sig));
	if (n < 0) {
		snprintf(j->error, sizeof(j->error), "cannot sign (%d)", n);
		return;
	}
	/* Names are resolved by libcurl (asynchronously) and every address
	 * it connects to is checked in on_open_socket. */
	if (cg_ssrf_check_url(j->url, c->allow_private, &j->target, err,
	    sizeof(err)) != 0) {
		snprintf(j->error, sizeof(j->error), "%s", err);
		return;
	}
	j->prepared = true;
}

static void
claim_work(void *arg, void *thread_ctx)
{
	struct claim *c = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	struct cg_whsecrets s;
	char s_mid[CG_ID_SIZE] = "";
	bool s_bad = false;

	if (db == NULL)
		return;
	if (cg_db_tx(db, claim_tx, c) != 0) {
		jobs_free(c->jobs);
		c->jobs = NULL;
		c->njobs = 0;
		return;
	}
	memset(&s, 0, sizeof(s));
	for (struct job *j = c->jobs; j; j = j->next)
		prepare(c, db, j, &s, s_mid, &s_bad);
	OPENSSL_cleanse(&s, sizeof(s));
}

/* ---- send (loop) ---- */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t n = size * nmemb;

	for (size_t i = 0; i < n && j->excerpt_len < EXCERPT_MAX; i++) {
		unsigned char ch = (unsigned char)p[i];

		/* the excerpt goes into a text column: printable ASCII only */
		j->excerpt[j->excerpt_len++] = (ch >= 0x20 && ch < 0x7f) ||
		    ch == '\n' || ch == '\t' ? (char)ch : '?';
	}
	j->excerpt[j->excerpt_len] = '\0';
	j->body_bytes += n;
	if (j->body_bytes > j->max_body) {
		j->too_large = true;
		return 0;	/* stop reading; the status line decides */
	}
	return n;
}

/* Refuses a connection to any address the guard would refuse: the check
 * of the addresses a name resolves to, at the moment of use. */
static curl_socket_t
on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct job *j = ud;
	char buf[INET6_ADDRSTRLEN] = "?";
	const void *ip;

	(void)purpose;
	if (!j->allow_private && !cg_ssrf_addr_public(&a->addr)) {
		ip = a->family == AF_INET6 ?
		    (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr :
		    (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr;
		inet_ntop(a->family, ip, buf, sizeof(buf));
		snprintf(j->error, sizeof(j->error), "refused: %s resolves to "
		    "%s, a loopback, private or reserved address",
		    j->target.host, buf);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static int
start_transfer(struct cg_webhooks *w, struct job *j, int64_t connect_ms)
{
	char h[512];
	CURL *e = curl_easy_init();

	if (e == NULL)
		return -1;
	j->easy = e;
	j->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	j->hdrs = curl_slist_append(j->hdrs, "User-Agent: CrypticGateway-"
	    "Webhooks/" CG_VERSION);
	j->hdrs = curl_slist_append(j->hdrs, "Expect:");
	snprintf(h, sizeof(h), "Cryptic-Signature: %s", j->sig);
	j->hdrs = curl_slist_append(j->hdrs, h);
	snprintf(h, sizeof(h), "Cryptic-Event-Id: %s", j->event_id);
	j->hdrs = curl_slist_append(j->hdrs, h);
	snprintf(h, sizeof(h), "Cryptic-Event-Type: %s", j->event_type);
	j->hdrs = curl_slist_append(j->hdrs, h);
	if (j->hdrs == NULL)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->payload);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)j->payload_len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->curl_err);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	j->started_ms = cg_now_ms();
	j->started_mono_ms = cg_mono_ms();
	if (curl_multi_add_handle(w->multi, e) != CURLM_OK)
		return -1;
	j->next = w->sending;
	w->sending = j;
	return 0;
}

static void
unlink_sending(struct cg_webhooks *w, struct job *j)
{
	for (struct job **pp = &w->sending; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			j->next = NULL;
			return;
		}
	}
}

static void
finish_transfer(struct cg_webhooks *w, CURL *e, CURLcode res)
{
	struct job *j;
	char *priv = NULL;
	long code = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
	j = (struct job *)(void *)priv;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(w->multi, e);
	if (j == NULL)
		return;
	unlink_sending(w, j);
	j->duration_ms = cg_mono_ms() - j->started_mono_ms;
	j->status = code;
	if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && j->too_large)) {
		if (j->error[0] == '\0')
			snprintf(j->error, sizeof(j->error), "%s: %s",
			    curl_easy_strerror(res), j->curl_err[0] ?
			    j->curl_err : "-");
		/* a reply cut off by a timeout proves nothing */
		if (res == CURLE_OPERATION_TIMEDOUT)
			j->status = 0;
	}
	if (strncmp(j->error, "refused", 7) == 0)
		w->refused++;	/* set by on_open_socket: nothing was sent */
	else
		w->sent++;
	post_record(j);
}

static void
check_multi(struct cg_webhooks *w)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(w->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			finish_transfer(w, m->easy_handle, m->data.result);
}

static void
on_socket_event(evutil_socket_t fd, short what, void *ud)
{
	struct cg_webhooks *w = ud;
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(w->multi, fd, flags, &running);
	check_multi(w);
}

static int
on_curl_socket(CURL *e, curl_socket_t s, int what, void *ud, void *sockp)
{
	struct cg_webhooks *w = ud;
	struct event *ev = sockp;
	short kind = EV_PERSIST;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ev)
			event_free(ev);
		curl_multi_assign(w->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev) {
		event_del(ev);
		event_assign(ev, w->base, s, kind, on_socket_event, w);
	} else {
		ev = event_new(w->base, s, kind, on_socket_event, w);
		if (ev == NULL)
			return -1;
		curl_multi_assign(w->multi, s, ev);
	}
	event_add(ev, NULL);
	return 0;
}

static void
on_curl_timeout(evutil_socket_t fd, short what, void *ud)
{
	struct cg_webhooks *w = ud;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi(w);
}

static int
on_curl_timer(CURLM *multi, long timeout_ms, void *ud)
{
	struct cg_webhooks *w = ud;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(w->curl_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(w->curl_timer, &tv);
	return 0;
}

/* ---- record (worker) ---- */

static int
record_one(struct cg_db *db, struct job *j)
{
	int64_t now = cg_now_ms(), next = now, n;
	uint32_t rnd = 0;
	const char *status;
	char aid[CG_ID_SIZE], code[16];
	int64_t limit = j->max_attempts < j->cap_attempts ?
	    j->max_attempts : j->cap_attempts;
	bool ok = j->status >= 200 && j->status < 300 && j->error[0] == '\0';

	snprintf(code, sizeof(code), "%ld", j->status);
	if (ok) {
		status = "SUCCEEDED";
	} else {
		RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
		next = now + cg_webhook_backoff_ms((unsigned)j->attempt_no,
		    j->base_s, j->max_s, rnd);
		status = j->attempt_no >= limit ||
		    next > j->created_ms + j->window_s * 1000 ?
		    "FAILED" : "PENDING";
	}
	n = cg_db_run(db,
	    "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, "
	    "last_status_code = ?, last_response_excerpt = ?, "
	    "last_duration_ms = ?, last_error = ?, lease_owner = NULL, "
	    "lease_until = NULL, delivered_at = ?, failed_at = ?, "
	    "updated_at = ? WHERE id = ? AND lease_epoch = ? AND "
	    "status = 'SENDING'",
	    "stssisttts" "u", status, next,
	    j->status > 0 ? code : NULL, j->excerpt_len ? j->excerpt : NULL,
	    j->duration_ms, j->error[0] ? j->error : NULL,
	    ok ? now : (int64_t)-1,
	    strcmp(status, "FAILED") == 0 ? now : (int64_t)-1, now, j->id,
	    j->epoch);
	if (n < 0)
		return CG_DB_ERR;
	if (n == 0)
		return 0;	/* lease lost: the new holder records */
	if (cg_id_new(aid) != 0)
		return CG_DB_ERR;
	n = cg_db_run(db,
	    "INSERT INTO webhook_attempts (id, delivery_id, attempt_no, "
	    "started_at, status_code, duration_ms, response_excerpt, error, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ssit" "sis" "st", aid, j->id, j->attempt_no, j->started_ms,
	    j->status > 0 ? code : NULL, j->duration_ms,
	    j->excerpt_len ? j->excerpt : NULL, j->error[0] ? j->error : NULL,
	    now);
	if (n < 0 && !cg_db_err_duplicate(cg_db_errno(db)))
		return CG_DB_ERR;
	j->outcome = status;
	return 0;
}

#define RECORD_BATCH 64

/* Results are written in batches, one transaction each: a commit per
 * attempt would bound the rate by the log flush. */
struct batch {
	struct cg_webhooks *w;
	struct job *jobs;
};

static int
record_tx(struct cg_db *db, void *arg)
{
	struct batch *b = arg;

	for (struct job *j = b->jobs; j; j = j->next) {
		j->outcome = NULL;	/* a retried transaction starts over */
		if (record_one(db, j) != 0)
			return CG_DB_ERR;
	}
	return 0;
}

static void
record_work(void *arg, void *thread_ctx)
{
	struct batch *b = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);

	/* Without a database the leases simply end and the rows are sent
	 * again: at-least-once. */
	if (db == NULL || cg_db_tx(db, record_tx, b) != 0)
		for (struct job *j = b->jobs; j; j = j->next)
			j->outcome = NULL;
}

static void
record_done(void *arg)
{
	struct batch *b = arg;
	struct cg_webhooks *w = b->w;
	struct job *j, *next;

	for (j = b->jobs; j; j = next) {
		next = j->next;
		if (j->outcome == NULL)
			w->lost++;
		else if (strcmp(j->outcome, "SUCCEEDED") == 0)
			w->succeeded++;
		else if (strcmp(j->outcome, "FAILED") == 0)
			w->failed++;
		else
			w->retried++;
		cg_debug("webhooks", "attempt delivery=%s event=%s attempt=%"
		    PRId64 " status=%ld ms=%" PRId64 " outcome=%s%s%s", j->id,
		    j->event_id, j->attempt_no, j->status, j->duration_ms,
		    j->outcome ? j->outcome : "lease-lost",
		    j->error[0] ? " error=" : "", j->error);
		cg_metric_inc(w->m_attempts, (const char *[]){ j->outcome ?
		    j->outcome : "LEASE_LOST" });
		if (j->started_mono_ms)
			cg_metric_observe(w->m_duration, NULL,
			    (double)j->duration_ms / 1000.0);
		w->inflight--;
		job_free(j);
	}
	cg_metric_set(w->m_inflight, NULL, w->inflight);
	free(b);
	if (!w->stopping)
		kick(w, 0);
}

/* Posts the waiting results in batches; what finds no room waits for the
 * next tick. */
static void
flush_records(struct cg_webhooks *w)
{
	while (w->unposted) {
		struct batch *b = calloc(1, sizeof(*b));
		struct job *j, *last = NULL;
		int n = 0;

		if (b == NULL)
			return;
		b->w = w;
		b->jobs = w->unposted;
		for (j = w->unposted; j && n < RECORD_BATCH; j = j->next, n++)
			last = j;
		w->unposted = last->next;
		last->next = NULL;
		if (cg_pool_post(w->pool, record_work, record_done, b) != 0) {
			last->next = w->unposted;
			w->unposted = b->jobs;
			free(b);
			return;
		}
	}
}

static void
on_flush(evutil_socket_t fd, short what, void *ud)
{
	(void)fd;
	(void)what;
	flush_records(ud);
}

static void
post_record(struct job *j)
{
	struct cg_webhooks *w = j->w;
	struct timeval now = { 0, 0 };

	j->next = w->unposted;
	w->unposted = j;
	/* gathered until the loop has handled what is ready now */
	if (!evtimer_pending(w->flush, NULL))
		evtimer_add(w->flush, &now);
}

/* ---- claim (loop side) ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fills c->saturated with the merchants whose transfers from this daemon
 * fill their limit. */
static void
saturated_merchants(struct cg_webhooks *w, struct claim *c)
{
	const char **ids;
	size_t n = 0, i, run, out = 0, len = 0;
	struct job *j;

	c->saturated[0] = '\0';
	if (w->inflight < c->per_merchant)
		return;
	ids = calloc((size_t)w->inflight + 1, sizeof(*ids));
	if (ids == NULL)
		return;
	for (j = w->sending; j && n < (size_t)w->inflight; j = j->next)
		ids[n++] = j->merchant_id;
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && strcmp(ids[i], ids[i + run]) == 0;
		    run++)
			;
		if ((int)run < c->per_merchant || out == SATURATED_MAX)
			continue;
		len += (size_t)snprintf(c->saturated + len,
		    sizeof(c->saturated) - len, "%s%s", out ? "," : "",
		    ids[i]);
		out++;
	}
	free(ids);
}

static void
claim_done(void *arg)
{
	struct claim *c = arg;
	struct cg_webhooks *w = c->w;
	int64_t connect_ms = w->d->cfg->webhooks.connect_timeout_ms;
	struct job *j, *next;
	int got = c->njobs;

	w->claiming = false;
	w->claimed += (uint64_t)got;
	for (j = c->jobs; j; j = next) {
		next = j->next;
		j->next = NULL;
		w->inflight++;
		if (j->release_ms > 0 || w->stopping) {
			w->inflight--;
			if (cg_pool_post(w->pool, release_work, release_done,
			    j) != 0)
				job_free(j);
			continue;
		}
		if (!j->prepared) {
			w->refused++;
			post_record(j);
			continue;
		}
		if (start_transfer(w, j, connect_ms) != 0) {
			if (j->error[0] == '\0')
				snprintf(j->error, sizeof(j->error),
				    "cannot start the request");
			post_record(j);
		}
	}
	free(c);
	if (!w->stopping)
		kick(w, got > 0 ? 0 : w->d->cfg->webhooks.poll_interval_ms);
}

static void
on_tick(evutil_socket_t fd, short what, void *ud)
{
	struct cg_webhooks *w = ud;
	const struct cg_config *cfg = w->d->cfg;
	struct claim *c;
	int free_slots;

	(void)fd;
	(void)what;
	if (w->stopping)
		return;
	flush_records(w);
	free_slots = (int)cfg->webhooks.max_inflight - w->inflight;
	/* Without the master key nothing can be signed: the deliveries wait
	 * (claiming them would spend their attempts). */
	if (w->claiming || free_slots <= 0 || w->box == NULL) {
		kick(w, cfg->webhooks.poll_interval_ms);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto later;
	c->w = w;
	snprintf(c->owner, sizeof(c->owner), "%s", w->owner);
	c->free_slots = free_slots;
	c->per_merchant = (int)cfg->webhooks.max_per_merchant;
	saturated_merchants(w, c);
	c->now_ms = cg_now_ms();
	c->timeout_ms = cfg->webhooks.timeout_ms;
	c->max_body = cfg->webhooks.max_response_bytes;
	c->cap_attempts = cfg->webhooks.max_attempts;
	c->allow_private = cfg->webhooks.allow_private_targets != 0;
	c->box = w->box;
	if (cg_pool_post(w->pool, claim_work, claim_done, c) != 0) {
		free(c);
		goto later;
	}
	w->claiming = true;
	return;
later:
	kick(w, cfg->webhooks.poll_interval_ms);
}

static void
kick(struct cg_webhooks *w, int64_t delay_ms)
{
	struct timeval tv;

	if (w->claiming && delay_ms == 0)
		return;	/* claim_done kicks again */
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	/* an earlier wake-up wins over a later one already set */
	if (delay_ms > 0 && evtimer_pending(w->tick, NULL))
		return;
	evtimer_add(w->tick, &tv);
}

/* ---- redelivery ---- */

int
cg_webhooks_redeliver(struct cg_db *db, const char *merchant_id,
    const char *delivery_id, int64_t now_ms)
{
	char st[24];
	int rc;
	int64_t n;

	rc = cg_db_query_str(db, st, sizeof(st),
	    "SELECT IF(status = 'SENDING' AND next_attempt_at > ?, 'busy', "
	    "status) FROM webhook_deliveries WHERE id = ? AND "
	    "(? IS NULL OR merchant_id = ?)", "tsss", now_ms, delivery_id,
	    merchant_id, merchant_id);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return 1;
	if (strcmp(st, "busy") == 0)
		return 2;
	/* One more attempt now, with the same event id and body; a failed
	 * event gets exactly that one attempt (no new retry budget). */
	n = cg_db_run(db,
	    "UPDATE webhook_deliveries SET status = 'PENDING', "
	    "next_attempt_at = ?, failed_at = NULL, "
	    "max_attempts = GREATEST(max_attempts, attempt_count + 1), "
	    "lease_owner = NULL, lease_until = NULL, "
	    "lease_epoch = lease_epoch + 1, updated_at = ? "
	    "WHERE id = ? AND NOT (status = 'SENDING' AND next_attempt_at > ?)",
	    "ttst", now_ms, now_ms, delivery_id, now_ms);
	if (n < 0)
		return -1;
	return n == 0 ? 2 : 0;
}

/* ---- module ---- */

static json_t *
status_section(void *ud)
{
	struct cg_webhooks *w = ud;

	return json_pack("{s:s, s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "owner", w->owner, "inflight", w->inflight,
	    "signing", w->box != NULL,
	    "claimed", (json_int_t)w->claimed, "sent", (json_int_t)w->sent,
	    "succeeded", (json_int_t)w->succeeded,
	    "retried", (json_int_t)w->retried,
	    "failed", (json_int_t)w->failed,
	    "refused", (json_int_t)w->refused,
	    "lease_lost", (json_int_t)w->lost);
}

struct cg_webhooks *
cg_webhooks_start(struct cg_daemon *d)
{
	struct cg_webhooks *w = calloc(1, sizeof(*w));
	const struct cg_secret *mk = &d->cfg->daemon.master_key;
	char host[64];

	if (w == NULL)
		return NULL;
	w->d = d;
	w->base = d->base;
	w->pool = d->webhook_pool;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(w->owner, sizeof(w->owner), "%s:%ld:webhooks",
	    d->cfg->daemon.instance_id ? d->cfg->daemon.instance_id : host,
	    (long)getpid());
	if (mk->value) {
		int rc = cg_whsecret_box_from_text(mk->value, mk->len,
		    &w->box);
		if (rc != 0) {
			cg_error("webhooks", "daemon.master_key (%s): not 64 "
			    "hex characters or 32 bytes (%d)", mk->source, rc);
			goto fail;
		}
	} else {
		cg_warn("webhooks", "no daemon.master_key: webhook secrets "
		    "cannot be made or opened, deliveries wait");
	}
	w->multi = curl_multi_init();
	w->curl_timer = evtimer_new(w->base, on_curl_timeout, w);
	w->tick = evtimer_new(w->base, on_tick, w);
	w->flush = evtimer_new(w->base, on_flush, w);
	if (w->multi == NULL || w->curl_timer == NULL || w->tick == NULL ||
	    w->flush == NULL)
		goto fail;
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS,
	    (long)d->cfg->webhooks.max_inflight);
	{
		static const double bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5,
		    5, 10, 30 };

		w->m_attempts = cg_metrics_counter(NULL,
		    "cg_webhook_attempts_total", "Webhook delivery attempts "
		    "recorded, by outcome", "outcome");
		w->m_inflight = cg_metrics_gauge(NULL, "cg_webhook_inflight",
		    "Webhook deliveries claimed and not yet recorded", NULL);
		w->m_duration = cg_metrics_histogram(NULL,
		    "cg_webhook_attempt_duration_seconds", "Duration of "
		    "webhook requests", NULL, bounds,
		    sizeof(bounds) / sizeof(bounds[0]));
	}
	cg_control_add_status(d->control, "webhooks", status_section, w);
	cg_webhooks_admin_register(w, d);
	if (d->api && cg_api_webhooks_routes(d->api, w) != 0) {
		cg_error("webhooks", "cannot register the API routes");
		goto fail;
	}
	kick(w, 100);
	cg_info("webhooks", "dispatcher started owner=%s max_inflight=%" PRId64
	    " max_per_merchant=%" PRId64 " private_targets=%s", w->owner,
	    d->cfg->webhooks.max_inflight, d->cfg->webhooks.max_per_merchant,
	    d->cfg->webhooks.allow_private_targets ? "allowed" : "refused");
	return w;
fail:
	cg_webhooks_free(w);
	return NULL;
}

/* Hands rows back unsent, the attempt not spent: at a graceful stop (the
 * next daemon need not wait for their leases to end), or when they cannot
 * be signed (due again after release_ms). */
static void
release_work(void *arg, void *thread_ctx)
{
	struct job *j = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);

	if (db == NULL)
		return;
	(void)cg_db_run(db,
	    "UPDATE webhook_deliveries SET status = 'PENDING', "
	    "attempt_count = attempt_count - 1, next_attempt_at = ?, "
	    "lease_owner = NULL, lease_until = NULL, updated_at = ? "
	    "WHERE id = ? AND lease_epoch = ? AND status = 'SENDING'",
	    "ttsu", cg_now_ms() + j->release_ms, cg_now_ms(), j->id, j->epoch);
}

static void
release_done(void *arg)
{
	job_free(arg);
}

void
cg_webhooks_stop(struct cg_webhooks *w)
{
	struct job *j;

	if (w == NULL)
		return;
	w->stopping = true;
	evtimer_del(w->tick);
	while ((j = w->sending) != NULL) {
		w->sending = j->next;
		j->next = NULL;
		curl_multi_remove_handle(w->multi, j->easy);
		if (cg_pool_post(w->pool, release_work, release_done, j) != 0)
			job_free(j);
	}
	evtimer_del(w->flush);
	flush_records(w);
	evtimer_del(w->curl_timer);
}

void
cg_webhooks_free(struct cg_webhooks *w)
{
	if (w == NULL)
		return;
	jobs_free(w->sending);
	jobs_free(w->unposted);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	if (w->curl_timer)
		event_free(w->curl_timer);
	if (w->tick)
		event_free(w->tick);
	if (w->flush)
		event_free(w->flush);
	cg_secretbox_free(w->box);
	free(w);
}
