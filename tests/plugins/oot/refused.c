/*
 * Plugins the host must refuse, one per REFUSE_* define:
 *   REFUSE_MAJOR       built for ABI major + 1
 *   REFUSE_NO_ENTRY    exports no cg_plugin_entry
 *   REFUSE_UNDERSIZED  descriptor smaller than the minimum
 *   REFUSE_KIND        unknown kind
 *   REFUSE_OPS         ops table smaller than the kind's minimum
 *   REFUSE_SCHEMA      a map key without its item spec
 */
#include <errno.h>
#include <stdlib.h>

#include <cryptic/plugin.h>

static int
r_create(const struct cg_host_api *api, struct cg_host *host, void **inst)
{
	abort();
}

static void
r_destroy(void *inst)
{
	abort();
}

static int
r_fetch(void *instance, const struct cg_rate_pair *pairs, uint32_t n,
    cg_rate_emit_fn emit, void *ctx)
{
	abort();
}

static const struct cg_rates_ops r_ops = {
#ifdef REFUSE_OPS
	.struct_size = 4,
#else
	.struct_size = sizeof(struct cg_rates_ops),
#endif
	.fetch = r_fetch,
};

#ifdef REFUSE_SCHEMA
static const struct cg_plugin_key r_keys[] = {
	{ .name = "rates", .type = CG_KEY_MAP, .child_count = 1 },
};
#endif

static const struct cg_plugin_descriptor r_descriptor = {
#ifdef REFUSE_MAJOR
	.abi_version = (uint32_t)(CG_PLUGIN_ABI_MAJOR + 1) << 16 | 0u,
#else
	.abi_version = CG_PLUGIN_ABI_VERSION,
#endif
#ifdef REFUSE_UNDERSIZED
	.struct_size = 16,
#else
	.struct_size = sizeof(struct cg_plugin_descriptor),
#endif
#ifdef REFUSE_KIND
	.kind = 9,
#else
	.kind = CG_PLUGIN_KIND_RATES,
#endif
	.key_size = sizeof(struct cg_plugin_key),
#ifdef REFUSE_SCHEMA
	.keys = r_keys,
	.key_count = 1,
#endif
	.name = "refused",
	.version = "0",
	.create = r_create,
	.destroy = r_destroy,
	.ops = &r_ops,
};

#ifdef REFUSE_NO_ENTRY
CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *cg_plugin_entry_v2(void);

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry_v2(void)
#else
CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
#endif
{
	return &r_descriptor;
}
