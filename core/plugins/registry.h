/*
 * The plugin registry: finds plugin files, loads them with dlopen, checks
 * their ABI (major equal to the host's, sizes no smaller than the 0.0
 * minimum, a known kind), validates each instance's settings against the
 * plugin's schema and creates the instances. One file serves any number
 * of instances. Files are never unloaded while the daemon runs.
 *
 * Operations go through the wrappers below: they never call an ops member
 * past the size the plugin declared (-ENOSYS), enforce the threading
 * contract of <cryptic/plugin.h> (scan/tip/block_hash, rates fetch and
 * watcher calls serialized per instance), and keep an instance alive
 * while a call runs even if a reload replaces it.
 */
#ifndef CG_PLUGINS_REGISTRY_H
#define CG_PLUGINS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <cryptic/plugin.h>

struct cg_config;
struct cg_plugins;
struct cg_plugin_instance;

/* Environment variable with extra plugin directories (colon-separated),
 * searched before plugins.directories and the compiled-in directory. */
#define CG_PLUGIN_PATH_ENV "CRYPTIC_GATEWAY_PLUGIN_PATH"

/* Validate only: load the files and check the settings, create nothing
 * (--check-config). */
#define CG_PLUGINS_CHECK_ONLY 0x1u

/*
 * Loads the plugin of every enabled instance of cfg, validates its
 * settings and (without CG_PLUGINS_CHECK_ONLY) creates it. Returns 0 and
 * *out, or -1 with one message in err ("FILE:LINE:COLUMN: ..." for
 * configuration errors). A refused plugin file is also logged as one line
 * naming the file, the found and the expected ABI version.
 */
int cg_plugins_load_all(const struct cg_config *cfg, uint32_t flags,
    struct cg_plugins **out, char *err, size_t errlen);

/* --check-config: loads path, validates it and every enabled plugin
 * instance's settings without creating anything. 0, or -1 with the one
 * message in err. */
int cg_config_check(const char *path, char *err, size_t errlen);

/* Destroys the instances (after the workers stopped). Files stay mapped. */
void cg_plugins_free(struct cg_plugins *plugins);

/* Cancels running host HTTP transfers and refuses new ones (shutdown). */
void cg_plugins_stop(struct cg_plugins *plugins);

/*
 * Applies the plugin instance settings of a new configuration: each
 * instance whose settings changed is validated, then reconfigured in place
 * (if the plugin offers it) or replaced by a new instance; the old one is
 * destroyed when its last running call returns. Adding, removing or
 * moving instances needs a restart (cg_config_compare reports it) and is
 * ignored here. Returns the number of instances changed, or -1 with err:
 * when a settings block is invalid nothing changes; when an instance's new
 * object fails to start, that instance keeps its old one (the others are
 * still applied).
 *
 * Like cg_plugins_load_all it may block (a plugin's create may do network
 * I/O, reconfigure waits for the instance's running scan or fetch): call
 * both at start-up or from a worker thread, never on the event loop.
 * Calls running on other threads meanwhile are safe.
 */
int cg_plugins_reload(struct cg_plugins *plugins, const struct cg_config *cfg,
    char *err, size_t errlen);

/* Lookup; NULL when absent. kind 0 matches any kind. */
struct cg_plugin_instance *cg_plugins_find(struct cg_plugins *plugins,
    const char *name, uint32_t kind);
size_t cg_plugins_count(const struct cg_plugins *plugins);
struct cg_plugin_instance *cg_plugins_at(struct cg_plugins *plugins,
    size_t index);

const char *cg_plugin_instance_name(const struct cg_plugin_instance *inst);
uint32_t cg_plugin_instance_kind(const struct cg_plugin_instance *inst);
const char *cg_plugin_kind_name(uint32_t kind);

/* For `cgctl plugins` and `status`: one entry per loaded file. */
struct cg_plugin_info {
	const char *plugin;          /* file name without ".so" */
	const char *file;            /* full path */
	const char *name;            /* descriptor name */
	const char *kind;            /* "network", "rates", "watcher" */
	const char *version;         /* plugin's version */
	const char *description;
	uint32_t abi_major;
	uint32_t abi_minor;
	const char *const *instances;
	size_t instance_count;
};
typedef int (*cg_plugins_each_fn)(const struct cg_plugin_info *info,
    void *arg);
/* Calls fn per file in load order; stops at and returns fn's non-zero. */
int cg_plugins_each(struct cg_plugins *plugins, cg_plugins_each_fn fn,
    void *arg);

/* ---- operations (worker threads) ----------------------------------------
 * All return -ENOTSUP for an instance of another kind and -ENOSYS for an
 * operation the plugin does not provide. */
int cg_plugin_rates_fetch(struct cg_plugin_instance *inst,
    const struct cg_rate_pair *pairs, uint32_t pair_count,
    cg_rate_emit_fn emit, void *ctx);

int cg_plugin_check_xpub(struct cg_plugin_instance *inst, const char *xpub);
int cg_plugin_derive_address(struct cg_plugin_instance *inst,
    const char *xpub, uint32_t index, char *out, size_t out_size,
    size_t *out_len);
int cg_plugin_validate_address(struct cg_plugin_instance *inst,
    const char *address, char *out, size_t out_size, size_t *out_len);
int cg_plugin_payment_uri(struct cg_plugin_instance *inst,
    const struct cg_uri_request *req, char *out, size_t out_size,
    size_t *out_len);
int cg_plugin_tip(struct cg_plugin_instance *inst, uint64_t *height);
int cg_plugin_scan(struct cg_plugin_instance *inst,
    const struct cg_scan_request *req, const struct cg_scan_sink *sink,
    struct cg_scan_result *result);
int cg_plugin_block_hash(struct cg_plugin_instance *inst, uint64_t height,
    char *out, size_t out_size, size_t *out_len);

int cg_plugin_watch_subscribe(struct cg_plugin_instance *inst,
    const char *network, const char *address, const char *callback_url,
    char *out, size_t out_size, size_t *out_len);
int cg_plugin_watch_unsubscribe(struct cg_plugin_instance *inst,
    const char *subscription_id);
int cg_plugin_watch_parse(struct cg_plugin_instance *inst,
    const char *const *headers, uint32_t header_count, const char *body,
    uint64_t body_len, cg_hint_emit_fn emit, void *ctx);

#endif
