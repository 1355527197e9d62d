/*
 * manual: exchange rates fixed in the configuration (rates kind).
 *
 *   settings:
 *     rates:
 *       BTC: { USD: "67000.00", EUR: "62000.00" }
 *       USDT: { USD: "1", EUR: "0.92" }
 *
 * Used by the development setup so fiat invoices work offline, and in
 * production for pegged assets. Each quote carries the time of the fetch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptic/plugin.h>

#define MANUAL_NAME_MAX 32
#define MANUAL_PRICE_MAX 96

struct manual_rate {
	char base[MANUAL_NAME_MAX];
	char quote[MANUAL_NAME_MAX];
	char price[MANUAL_PRICE_MAX];
};

struct manual {
	const struct cg_host_api *api;
	struct cg_host *host;
	struct manual_rate *rates;
	size_t count;
};

static const struct cg_plugin_key price_spec[] = {
	{ .name = "*", .type = CG_KEY_DECIMAL,
	  .description = "price of one BASE in QUOTE, decimal text" },
};

static const struct cg_plugin_key quote_map[] = {
	{ .name = "*", .type = CG_KEY_MAP, .children = price_spec,
	  .child_count = 1, .min = 1, .max = 64,
	  .description = "quote currency symbol -> price" },
};

static const struct cg_plugin_key manual_keys[] = {
	{ .name = "rates", .type = CG_KEY_MAP, .flags = CG_KEY_REQUIRED,
	  .children = quote_map, .child_count = 1, .min = 1, .max = 1024,
	  .description = "base currency symbol -> { quote symbol: price }" },
};

static int
is_zero(const char *s)
{
	for (; *s; s++)
		if (*s != '0' && *s != '.')
			return 0;
	return 1;
}

static int
read_rate(struct manual *m, const char *base, uint32_t qi,
    struct manual_rate *r)
{
	char path[128];
	size_t len;
	int rc;

	if (strlen(base) >= sizeof(r->base))
		return -ENAMETOOLONG;
	strcpy(r->base, base);
	snprintf(path, sizeof(path), "rates.%s", base);
	if ((rc = m->api->config_key(m->host, path, qi, r->quote,
	    sizeof(r->quote), &len)) < 0)
		return rc;
	snprintf(path, sizeof(path), "rates.%s.%s", base, r->quote);
	if ((rc = m->api->config_string(m->host, path, r->price,
	    sizeof(r->price), &len)) < 0)
		return rc;
	if (is_zero(r->price)) {
		m->api->log(m->host, CG_PLUGIN_LOG_ERROR,
		    "rate %s/%s is zero", r->base, r->quote);
		return -EINVAL;
	}
	return 0;
}

static int
load_rates(struct manual *m)
{
	char base[MANUAL_NAME_MAX], path[64];
	uint32_t nbase, nquote;
	size_t len;
	int rc;

	if ((rc = m->api->config_count(m->host, "rates", &nbase)) < 0)
		return rc;
	for (uint32_t i = 0; i < nbase; i++) {
		struct manual_rate *grown;

		if ((rc = m->api->config_key(m->host, "rates", i, base,
		    sizeof(base), &len)) < 0)
			return rc;
		snprintf(path, sizeof(path), "rates.%s", base);
		if ((rc = m->api->config_count(m->host, path, &nquote)) < 0)
			return rc;
		grown = realloc(m->rates, (m->count + nquote) *
		    sizeof(*m->rates));
		if (grown == NULL)
			return -ENOMEM;
		m->rates = grown;
		for (uint32_t q = 0; q < nquote; q++) {
			if ((rc = read_rate(m, base, q, &m->rates[m->count])) < 0)
				return rc;
			m->count++;
		}
	}
	return 0;
}

static void
manual_destroy(void *instance)
{
	struct manual *m = instance;

	if (m == NULL)
		return;
	free(m->rates);
	free(m);
}

static int
manual_create(const struct cg_host_api *api, struct cg_host *host,
    void **instance)
{
	struct manual *m;
	int rc;

	if (!CG_HAS_MEMBER(api, struct cg_host_api, stopping))
		return -ENOTSUP;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -ENOMEM;
	m->api = api;
	m->host = host;
	if ((rc = load_rates(m)) < 0) {
		manual_destroy(m);
		return rc;
	}
	api->log(host, CG_PLUGIN_LOG_INFO, "loaded rates=%zu", m->count);
	*instance = m;
	return 0;
}

static int
manual_fetch(void *instance, const struct cg_rate_pair *pairs,
    uint32_t pair_count, cg_rate_emit_fn emit, void *ctx)
{
	struct manual *m = instance;
	int64_t now = m->api->now_ms(m->host) / 1000;
	int rc;

	for (uint32_t i = 0; i < pair_count; i++) {
		for (size_t j = 0; j < m->count; j++) {
			const struct manual_rate *r = &m->rates[j];

			if (strcmp(r->base, pairs[i].base) != 0 ||
			    strcmp(r->quote, pairs[i].quote) != 0)
				continue;
			if ((rc = emit(ctx, r->base, r->quote, r->price,
			    now)) < 0)
				return rc;
			break;
		}
	}
	return 0;
}

static const struct cg_rates_ops manual_ops = {
	.struct_size = sizeof(struct cg_rates_ops),
	.fetch = manual_fetch,
};

static const struct cg_plugin_descriptor manual_descriptor = {
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct cg_plugin_descriptor),
	.kind = CG_PLUGIN_KIND_RATES,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "manual",
	.version = "0.1.0",
	.description = "exchange rates fixed in the configuration",
	.keys = manual_keys,
	.key_count = sizeof(manual_keys) / sizeof(manual_keys[0]),
	.create = manual_create,
	.destroy = manual_destroy,
	.ops = &manual_ops,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &manual_descriptor;
}
