/*
 * Exchange rates: a poller that asks each rates plugin instance listed in
 * rates.sources for the price of every active crypto currency in every
 * active fiat currency, every rates.poll_interval_s, on the scan pool, and
 * stores the quotes in price_history (DECIMAL(18,8), rounded half-even);
 * and the lookup invoices use: the newest rate younger than
 * rates.max_age_s, sources in the configured priority order.
 *
 * Several daemons on one database all poll; the unique key
 * (currency, quote, observed_at, source) keeps one row per quote.
 */
#ifndef CG_PAYMENTS_RATES_H
#define CG_PAYMENTS_RATES_H

#include <stddef.h>
#include <stdint.h>

#include "util/decimal.h"

struct cg_daemon;
struct cg_db;
struct cg_rates;
struct cg_plugin_instance;

struct cg_rate {
	char price[CG_DEC_STRLEN];   /* as stored: 8 fractional digits */
	char source[33];             /* rates instance name */
	int64_t observed_ms;         /* when the source says it is from */
};

/* Loop thread: starts polling at once and then every poll interval (read
 * from the configuration in force at each round). NULL on failure. */
struct cg_rates *cg_rates_start(struct cg_daemon *d);
/* Loop thread: no new round is posted (a running one finishes). */
void cg_rates_stop(struct cg_rates *r);
/* After the scan pool drained. */
void cg_rates_free(struct cg_rates *r);

/*
 * Worker: the newest price of one currency_id in quote_id younger than
 * max_age_s at now_ms, trying sources in order (the first source with a
 * fresh price wins). 1 found, 0 none fresh, -1 database error.
 */
int cg_rates_lookup(struct cg_db *db, const char *const *sources,
    size_t nsources, int64_t max_age_s, const char *currency_id,
    const char *quote_id, int64_t now_ms, struct cg_rate *out);

/*
 * Worker: one poll of one rates instance named source; stores what it
 * quotes. Returns the number of quotes stored (duplicates included), or a
 * negative errno (the plugin failed, or -EIO for the database).
 */
int cg_rates_poll_source(struct cg_db *db, struct cg_plugin_instance *inst,
    const char *source, int64_t now_ms);

/* Parses a price as a source gives it into DECIMAL(18,8) text (rounded
 * half-even). 0, or a negative errno (not a number, not > 0, too big). */
int cg_rates_price_text(const char *price, char out[CG_DEC_STRLEN]);

#endif
