/*
 * A rates plugin that uses every kind of setting and host service, built
 * like a third party would: only <cryptic/plugin.h>.
 * It quotes "PROBE/<quote>" with the settings it read, so tests can see
 * what the host handed over.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptic/plugin.h>

struct probe {
	const struct cg_host_api *api;
	struct cg_host *host;
	char label[64];
	char price[64];
	char token[128];
	int64_t limit;
	int32_t flag;
	uint32_t endpoints;
};

static const struct cg_plugin_key endpoint_item[] = {
	{ .name = "*", .type = CG_KEY_STRING },
};
static const char *const modes[] = { "fast", "slow", NULL };
static const struct cg_plugin_key nested_keys[] = {
	{ .name = "depth", .type = CG_KEY_INT, .default_value = "3", .min = 1,
	  .max = 9 },
};
static const struct cg_plugin_key probe_keys[] = {
	{ .name = "label", .type = CG_KEY_STRING, .flags = CG_KEY_REQUIRED,
	  .min = 1, .max = 32, .description = "quoted back as the price" },
	{ .name = "price", .type = CG_KEY_DECIMAL, .default_value = "1.5" },
	{ .name = "limit", .type = CG_KEY_INT, .default_value = "10", .min = 1,
	  .max = 100 },
	{ .name = "flag", .type = CG_KEY_BOOL, .default_value = "false" },
	{ .name = "mode", .type = CG_KEY_ENUM, .choices = modes,
	  .default_value = "fast" },
	{ .name = "endpoints", .type = CG_KEY_STRING_LIST, .max = 4 },
	{ .name = "headers", .type = CG_KEY_MAP, .children = endpoint_item,
	  .child_count = 1 },
	{ .name = "nested", .type = CG_KEY_TABLE, .children = nested_keys,
	  .child_count = 1 },
	{ .name = "token", .type = CG_KEY_STRING, .flags = CG_KEY_SECRET },
};

/* Reads the settings; also on reconfigure, when the host has already
 * switched the getters to the new values. */
static int
probe_read(struct probe *p)
{
	size_t len;
	int rc;

	if ((rc = p->api->config_string(p->host, "label", p->label,
	    sizeof(p->label), &len)) < 0 ||
	    (rc = p->api->config_string(p->host, "price", p->price,
	    sizeof(p->price), &len)) < 0 ||
	    (rc = p->api->config_int(p->host, "limit", &p->limit)) < 0 ||
	    (rc = p->api->config_bool(p->host, "flag", &p->flag)) < 0)
		return rc;
	if (p->api->config_string(p->host, "token", p->token, sizeof(p->token),
	    &len) < 0)
		strcpy(p->token, "-");
	if (p->api->config_count(p->host, "endpoints", &p->endpoints) < 0)
		p->endpoints = 0;
	/* A label "refuse" makes reconfigure fail: the host must recreate. */
	return strcmp(p->label, "refuse") == 0 ? -EINVAL : 0;
}

static int
probe_reconfigure(void *instance)
{
	struct probe *p = instance;
	int rc = probe_read(p);

	if (rc == 0)
		strcat(p->label, "+r");
	return rc;
}

static void
probe_destroy(void *instance)
{
	free(instance);
}

static int
probe_create(const struct cg_host_api *api, struct cg_host *host,
    void **instance)
{
	struct probe *p;
	int rc;

	if (!CG_HAS_MEMBER(api, struct cg_host_api, stopping))
		return -ENOTSUP;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->api = api;
	p->host = host;
	if ((rc = probe_read(p)) < 0 && strcmp(p->label, "refuse") != 0) {
		free(p);
		return rc;
	}
	api->log(host, CG_PLUGIN_LOG_INFO, "probe created label=%s limit=%lld",
	    p->label, (long long)p->limit);
	*instance = p;
	return 0;
}

static int
probe_fetch(void *instance, const struct cg_rate_pair *pairs,
    uint32_t pair_count, cg_rate_emit_fn emit, void *ctx)
{
	struct probe *p = instance;
	char desc[512];
	int rc;

	for (uint32_t i = 0; i < pair_count; i++) {
		if (strcmp(pairs[i].base, "PROBE") != 0)
			continue;
		/* The quote names what to echo back. */
		if (strcmp(pairs[i].quote, "PRICE") == 0)
			rc = emit(ctx, "PROBE", "PRICE", p->price, 1);
		else {
			snprintf(desc, sizeof(desc), "%s/%lld/%d/%u/%s",
			    p->label, (long long)p->limit, (int)p->flag,
			    p->endpoints, p->token);
			rc = emit(ctx, "PROBE", pairs[i].quote, desc, 2);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct cg_rates_ops probe_ops = {
	.struct_size = sizeof(struct cg_rates_ops),
	.fetch = probe_fetch,
};

static const struct cg_plugin_descriptor probe_descriptor = {
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct cg_plugin_descriptor),
	.kind = CG_PLUGIN_KIND_RATES,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "probe_rates",
	.version = "1.2.3",
	.description = "test plugin",
	.keys = probe_keys,
	.key_count = sizeof(probe_keys) / sizeof(probe_keys[0]),
	.create = probe_create,
	.destroy = probe_destroy,
	.ops = &probe_ops,
	.reconfigure = probe_reconfigure,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &probe_descriptor;
}
