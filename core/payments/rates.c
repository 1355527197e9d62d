#include "payments/rates.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config/config.h"
#include "db/db.h"
#include "plugins/registry.h"
#include "runtime/daemon.h"
#include "runtime/pool.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/id.h"
#include "util/log.h"

/* A quote dated further ahead than this is refused (clock skew). */
#define FUTURE_SLACK_MS (5 * 60 * 1000)
#define MAX_SYMBOLS 256
#define MAX_QUOTES 16

struct cg_rates {
	struct cg_daemon *d;
	struct event *timer;
	bool busy;                   /* a round is on the scan pool */
	bool stopped;
	const struct cg_config *cfg; /* of the running round */
	int stored;
};

int
cg_rates_price_text(const char *price, char out[CG_DEC_STRLEN])
{
	cg_i128 units;
	int rc;

	if (price == NULL)
		return -EINVAL;
	rc = cg_dec_parse(price, strlen(price), CG_DEC_PRICE_SCALE,
	    CG_DEC_PRICE_PRECISION, CG_ROUND_HALF_EVEN, &units);
	if (rc != 0)
		return rc;
	if (units <= 0)
		return -EINVAL;
	rc = cg_dec_format(units, CG_DEC_PRICE_SCALE, 0, out, CG_DEC_STRLEN);
	return rc < 0 ? rc : 0;
}

int
cg_rates_lookup(struct cg_db *db, const char *const *sources,
    size_t nsources, int64_t max_age_s, const char *currency_id,
    const char *quote_id, int64_t now_ms, struct cg_rate *out)
{
	for (size_t i = 0; i < nsources; i++) {
		struct cg_stmt *st;
		int rc;

		st = cg_db_query(db, "SELECT price, observed_at FROM "
		    "price_history WHERE currency_id = ? AND "
		    "quote_currency_id = ? AND source = ? AND observed_at >= ? "
		    "AND observed_at <= ? ORDER BY observed_at DESC LIMIT 1",
		    "ssstt", currency_id, quote_id, sources[i],
		    now_ms - max_age_s * 1000, now_ms + FUTURE_SLACK_MS);
		if (st == NULL)
			return -1;
		rc = cg_stmt_fetch(st);
		if (rc == 1) {
			snprintf(out->price, sizeof(out->price), "%s",
			    cg_stmt_str(st, 0));
			snprintf(out->source, sizeof(out->source), "%s",
			    sources[i]);
			if (cg_stmt_time_ms(st, 1, &out->observed_ms) != 0)
				rc = -1;
		}
		cg_stmt_close(st);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- one poll -------------------------------------------------------- */

struct quote {
	char base[17], quote[33];
	char price[CG_DEC_STRLEN];
	int64_t at_ms;
};

struct poll {
	struct quote *q;
	size_t n, cap;
	int64_t now_ms;
	const char *source;
	size_t refused;
};

static int
on_quote(void *ctx, const char *base, const char *quote, const char *price,
    int64_t quoted_at)
{
	struct poll *p = ctx;
	struct quote *q;
	int64_t at_ms;

	if (base == NULL || quote == NULL || strlen(base) >= sizeof(q->base) ||
	    strlen(quote) >= sizeof(q->quote))
		goto refuse;
	if (quoted_at > INT64_MAX / 1000)
		goto refuse;
	at_ms = quoted_at > 0 ? quoted_at * 1000 : p->now_ms;
	if (at_ms > p->now_ms + FUTURE_SLACK_MS)
		goto refuse;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct quote *nq;

		if (cap > MAX_SYMBOLS * MAX_QUOTES)
			goto refuse;
		nq = realloc(p->q, cap * sizeof(*nq));
		if (nq == NULL)
			return -ENOMEM;
		p->q = nq;
		p->cap = cap;
	}
	q = &p->q[p->n];
	if (cg_rates_price_text(price, q->price) != 0)
		goto refuse;
	snprintf(q->base, sizeof(q->base), "%s", base);
	snprintf(q->quote, sizeof(q->quote), "%s", quote);
	q->at_ms = at_ms;
	p->n++;
	return 0;
refuse:
	p->refused++;
	return 0;
}

/* Loads one column of a query into a NULL-terminated malloc'd list. */
static char **
load_list(struct cg_db *db, const char *sql, size_t *n)
{
	struct cg_stmt *st = cg_db_query(db, sql, "");
	char **v = NULL;
	int rc;

	*n = 0;
	if (st == NULL)
		return NULL;
	v = calloc(MAX_SYMBOLS + 1, sizeof(*v));
	while (v != NULL && *n < MAX_SYMBOLS && (rc = cg_stmt_fetch(st)) == 1) {
		v[*n] = strdup(cg_stmt_str(st, 0));
		if (v[*n] == NULL)
			break;
		(*n)++;
	}
	cg_stmt_close(st);
	return v;
}

static void
free_list(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* One quote fans out to every currency row with that symbol (USDT on
 * Ethereum, TRON …): they are one asset priced once. */
static int
store_quote(struct cg_db *db, const struct quote *q, const char *source,
    int64_t now_ms)
{
	struct cg_stmt *st;
	char ids[16][CG_ID_SIZE], quote_id[CG_ID_SIZE], id[CG_ID_SIZE];
	size_t n = 0;
	int rc;

	rc = cg_db_query_str(db, quote_id, sizeof(quote_id), "SELECT id FROM "
	    "currencies WHERE code = ? AND kind = 'FIAT'", "s", q->quote);
	if (rc != 1)
		return rc;
	st = cg_db_query(db, "SELECT id FROM currencies WHERE symbol = ? AND "
	    "kind <> 'FIAT' AND status = 'ACTIVE' ORDER BY id", "s", q->base);
	if (st == NULL)
		return -1;
	while (n < 16 && (rc = cg_stmt_fetch(st)) == 1)
		snprintf(ids[n++], CG_ID_SIZE, "%s", cg_stmt_str(st, 0));
	cg_stmt_close(st);
	for (size_t i = 0; i < n; i++) {
		if (cg_id_new(id) != 0)
			return -1;
		if (cg_db_run(db, "INSERT INTO price_history (id, currency_id, "
		    "quote_currency_id, price, source, observed_at, created_at) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
		    "id = id", "ssssstt", id, ids[i], quote_id, q->price, source,
		    q->at_ms, now_ms) < 0)
			return -1;
	}
	return (int)n;
}

int
cg_rates_poll_source(struct cg_db *db, struct cg_plugin_instance *inst,
    const char *source, int64_t now_ms)
{
	struct poll p = { .now_ms = now_ms, .source = source };
	struct cg_rate_pair *pairs = NULL;
	char **bases, **quotes = NULL;
	size_t nb = 0, nq = 0, np = 0;
	int rc = -EIO, stored = 0;

	bases = load_list(db, "SELECT DISTINCT symbol FROM currencies WHERE "
	    "kind <> 'FIAT' AND status = 'ACTIVE' ORDER BY symbol", &nb);
	quotes = load_list(db, "SELECT code FROM currencies WHERE "
	    "kind = 'FIAT' AND status = 'ACTIVE' ORDER BY code", &nq);
	if (bases == NULL || quotes == NULL)
		goto out;
	if (nq > MAX_QUOTES)
		nq = MAX_QUOTES;
	pairs = calloc(nb * nq + 1, sizeof(*pairs));
	if (pairs == NULL)
		goto out;
	for (size_t i = 0; i < nb; i++)
		for (size_t j = 0; j < nq; j++) {
			pairs[np].base = bases[i];
			pairs[np++].quote = quotes[j];
		}
	if (np == 0) {
		rc = 0;
		goto out;
	}
	rc = cg_plugin_rates_fetch(inst, pairs, (uint32_t)np, on_quote, &p);
	if (rc < 0) {
		cg_warn("rates", "fetch failed source=%s rc=%d", source, rc);
		goto out;
	}
	if (p.refused)
		cg_warn("rates", "refused quotes source=%s count=%zu (bad price "
		    "or time)", source, p.refused);
	for (size_t i = 0; i < p.n; i++) {
		int n = store_quote(db, &p.q[i], source, now_ms);

		if (n < 0) {
			rc = -EIO;
			goto out;
		}
		stored += n;
	}
	rc = stored;
	cg_debug("rates", "polled source=%s quotes=%zu stored=%d", source, p.n,
	    stored);
out:
	free(p.q);
	free(pairs);
	free_list(bases);
	free_list(quotes);
	return rc;
}

/* ---- the poller ------------------------------------------------------- */

static void
round_work(void *arg, void *thread_ctx)
{
	struct cg_rates *r = arg;
	const struct cg_config *cfg = r->cfg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);

	r->stored = 0;
	if (db == NULL) {
		cg_warn("rates", "database unreachable: no poll this round");
		return;
	}
	for (size_t i = 0; i < cfg->rates.source_count; i++) {
		const char *name = cfg->rates.sources[i];
		struct cg_plugin_instance *inst = cg_plugins_find(r->d->plugins,
		    name, CG_PLUGIN_KIND_RATES);
		int n;

		if (inst == NULL) {
			cg_warn("rates", "no rates instance named %s", name);
			continue;
		}
		n = cg_rates_poll_source(db, inst, name, cg_now_ms());
		if (n > 0)
			r->stored += n;
	}
}

static void
round_done(void *arg)
{
	struct cg_rates *r = arg;

	r->busy = false;
}

static void
arm(struct cg_rates *r)
{
	struct timeval tv = { (time_t)r->d->cfg->rates.poll_interval_s, 0 };

	if (tv.tv_sec < 1)
		tv.tv_sec = 1;
	event_add(r->timer, &tv);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cg_rates *r = arg;

	(void)fd;
	(void)what;
	if (r->stopped)
		return;
	if (!r->busy && r->d->cfg->rates.source_count > 0) {
		r->cfg = r->d->cfg;
		r->busy = true;
		if (cg_pool_post(r->d->scan_pool, round_work, round_done, r) != 0)
			r->busy = false;
	}
	arm(r);
}

struct cg_rates *
cg_rates_start(struct cg_daemon *d)
{
	struct cg_rates *r = calloc(1, sizeof(*r));
	struct timeval now = { 0, 0 };

	if (r == NULL)
		return NULL;
	r->d = d;
	r->timer = evtimer_new(d->base, on_timer, r);
	if (r->timer == NULL) {
		free(r);
		return NULL;
	}
	event_add(r->timer, &now);
	return r;
}

void
cg_rates_stop(struct cg_rates *r)
{
	if (r == NULL)
		return;
	r->stopped = true;
	event_del(r->timer);
}

void
cg_rates_free(struct cg_rates *r)
{
	if (r == NULL)
		return;
	event_free(r->timer);
	free(r);
}
