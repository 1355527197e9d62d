/*
 * A network plugin as built against ABI 0.0: its descriptor and ops end
 * where 0.0 ended. The members a newer host knows about (reconfigure,
 * block_hash) are filled with a function that aborts: if the host ever
 * reads past the sizes declared here, the test process dies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptic/plugin.h>

struct old {
	int unused;
};

static int
past_size_reconfigure(void *instance)
{
	abort();
}

static int
past_size_block_hash(void *instance, uint64_t height, char *out,
    size_t out_size, size_t *out_len)
{
	abort();
}

static void
old_destroy(void *instance)
{
	free(instance);
}

static int
old_create(const struct cg_host_api *api, struct cg_host *host,
    void **instance)
{
	*instance = calloc(1, sizeof(struct old));
	return *instance ? 0 : -ENOMEM;
}

static int
old_check_xpub(void *instance, const char *xpub)
{
	return strncmp(xpub, "xpub", 4) == 0 ? 0 : -EINVAL;
}

static int
old_derive(void *instance, const char *xpub, uint32_t index, char *out,
    size_t out_size, size_t *out_len)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "old-%u", index);

	if (out_len)
		*out_len = (size_t)n;
	if (out_size < (size_t)n + 1)
		return -ENOSPC;
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

static int
old_validate(void *instance, const char *address, char *out,
    size_t out_size, size_t *out_len)
{
	return strncmp(address, "old-", 4) == 0 ? 0 : -EINVAL;
}

static int
old_uri(void *instance, const struct cg_uri_request *req, char *out,
    size_t out_size, size_t *out_len)
{
	return -EINVAL;
}

static int
old_tip(void *instance, uint64_t *height)
{
	*height = 42;
	return 0;
}

static int
old_scan(void *instance, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct cg_scan_result *result)
{
	return -EAGAIN;
}

/* The ops table of 0.0 followed by what 0.1 appended. */
static const struct cg_network_ops old_ops = {
	.struct_size = CG_NETWORK_OPS_MIN_SIZE,
	.check_xpub = old_check_xpub,
	.derive_address = old_derive,
	.validate_address = old_validate,
	.payment_uri = old_uri,
	.tip = old_tip,
	.scan = old_scan,
	.block_hash = past_size_block_hash,
};

static const struct cg_plugin_key old_keys[] = {
	{ .name = "greeting", .type = CG_KEY_STRING, .default_value = "hi" },
};

static const struct cg_plugin_descriptor old_descriptor = {
	.abi_version = (uint32_t)CG_PLUGIN_ABI_MAJOR << 16 | 0u,
	.struct_size = CG_PLUGIN_DESCRIPTOR_MIN_SIZE,
	.kind = CG_PLUGIN_KIND_NETWORK,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "old_minor",
	.version = "0.0.1",
	.keys = old_keys,
	.key_count = 1,
	.create = old_create,
	.destroy = old_destroy,
	.ops = &old_ops,
	.reconfigure = past_size_reconfigure,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &old_descriptor;
}
