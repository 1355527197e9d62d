#include "plugins/registry.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_build_config.h"
#include "config/config.h"
#include "config/schema.h"
#include "plugins/host.h"
#include "util/log.h"

/* A schema bigger than this is a broken descriptor, not a real plugin. */
#define CG_PLUGIN_MAX_KEYS 1024

struct cg_plugin_file {
	char *plugin;                /* file name without ".so" */
	char *path;
	const struct cg_plugin_descriptor *desc;
	size_t ops_size;
	const char **instances;      /* names, for listings */
	size_t instance_count;
	struct cg_plugin_file *next;
};

struct cg_plugin_instance {
	char *name;
	struct cg_plugin_file *file;
	struct cg_plugins *owner;
	pthread_mutex_t lock;        /* cur and the refs of its hosts */
	pthread_mutex_t op_lock;     /* serialized operations */
	struct cg_host *cur;
};

struct cg_plugins {
	struct cg_plugin_file *files;
	struct cg_plugin_instance **insts;
	size_t n;
	atomic_int stopping;
};

/* create, destroy and reconfigure never run at once (threading contract). */
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER;

const char *
cg_plugin_kind_name(uint32_t kind)
{
	switch (kind) {
	case CG_PLUGIN_KIND_NETWORK:
		return "network";
	case CG_PLUGIN_KIND_RATES:
		return "rates";
	case CG_PLUGIN_KIND_WATCHER:
		return "watcher";
	default:
		return "unknown";
	}
}

static size_t
ops_min_size(uint32_t kind)
{
	switch (kind) {
	case CG_PLUGIN_KIND_NETWORK:
		return CG_NETWORK_OPS_MIN_SIZE;
	case CG_PLUGIN_KIND_RATES:
		return CG_RATES_OPS_MIN_SIZE;
	case CG_PLUGIN_KIND_WATCHER:
		return CG_WATCHER_OPS_MIN_SIZE;
	default:
		return 0;
	}
}

/* Logs the one refusal line and sets err; returns -1. */
static int
refuse(const char *path, uint32_t found, int have_found, char *err,
    size_t errlen, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
refuse(const char *path, uint32_t found, int have_found, char *err,
    size_t errlen, const char *fmt, ...)
{
	char reason[512], fv[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (have_found)
		snprintf(fv, sizeof(fv), "%u.%u",
		    CG_PLUGIN_ABI_VERSION_MAJOR(found),
		    CG_PLUGIN_ABI_VERSION_MINOR(found));
	else
		snprintf(fv, sizeof(fv), "none");
	cg_error("plugins", "plugin refused file=%s found_abi=%s "
	    "expected_abi=%u.%u reason=\"%s\"", path, fv, CG_PLUGIN_ABI_MAJOR,
	    CG_PLUGIN_ABI_MINOR, reason);
	snprintf(err, errlen, "plugin %s refused: %s (found ABI %s, expected "
	    "%u.x)", path, reason, fv, CG_PLUGIN_ABI_MAJOR);
	return -1;
}

/* A plugin's schema is walked by the validator: check its shape first. */
static const char *
check_keys(const struct cg_plugin_key *keys, size_t count, size_t key_size,
    int depth)
{
	const char *bad;

	if (depth > 16)
		return "nested deeper than 16 levels";
	for (size_t i = 0; i < count; i++) {
		const struct cg_plugin_key *k = (const void *)
		    ((const char *)keys + i * key_size);

		if (k->name == NULL || k->name[0] == '\0')
			return "a key has no name";
		switch (k->type) {
		case CG_KEY_STRING:
		case CG_KEY_INT:
		case CG_KEY_BOOL:
		case CG_KEY_DECIMAL:
		case CG_KEY_STRING_LIST:
			break;
		case CG_KEY_ENUM:
			if (k->choices == NULL)
				return "an enum key has no choices";
			break;
		case CG_KEY_TABLE:
		case CG_KEY_MAP:
			if ((k->child_count > 0 && k->children == NULL) ||
			    (k->type == CG_KEY_MAP && k->child_count != 1) ||
			    k->child_count > CG_PLUGIN_MAX_KEYS)
				return "a table or map key has malformed children";
			if ((bad = check_keys(k->children, k->child_count,
			    key_size, depth + 1)) != NULL)
				return bad;
			break;
		default:
			return "a key has an unknown type";
		}
	}
	return NULL;
}

/* Checks what the host will read before it reads it. */
static int
check_descriptor(const char *path, const struct cg_plugin_descriptor *d,
    char *err, size_t errlen)
{
	const uint32_t *ops;
	const char *bad;
	size_t min;

	if (d == NULL)
		return refuse(path, 0, 0, err, errlen,
		    "cg_plugin_entry returned NULL");
	if (CG_PLUGIN_ABI_VERSION_MAJOR(d->abi_version) != CG_PLUGIN_ABI_MAJOR)
		return refuse(path, d->abi_version, 1, err, errlen,
		    "ABI major %u is not the host's %u",
		    CG_PLUGIN_ABI_VERSION_MAJOR(d->abi_version),
		    CG_PLUGIN_ABI_MAJOR);
	if (d->struct_size < CG_PLUGIN_DESCRIPTOR_MIN_SIZE)
		return refuse(path, d->abi_version, 1, err, errlen,
		    "descriptor of %u bytes is smaller than the minimum %zu",
		    d->struct_size, (size_t)CG_PLUGIN_DESCRIPTOR_MIN_SIZE);
	if ((min = ops_min_size(d->kind)) == 0)
		return refuse(path, d->abi_version, 1, err, errlen,
		    "unknown plugin kind %u", d->kind);
	if (d->name == NULL || d->version == NULL || d->create == NULL ||
	    d->destroy == NULL || d->ops == NULL)
		return refuse(path, d->abi_version, 1, err, errlen,
		    "descriptor lacks name, version, create, destroy or ops");
	if (d->key_count > 0 && (d->keys == NULL ||
	    d->key_size < sizeof(struct cg_plugin_key) ||
	    d->key_count > CG_PLUGIN_MAX_KEYS))
		return refuse(path, d->abi_version, 1, err, errlen,
		    "config schema of %u keys of %u bytes is malformed",
		    d->key_count, d->key_size);
	if (d->key_count > 0 && (bad = check_keys(d->keys, d->key_count,
	    d->key_size, 0)) != NULL)
		return refuse(path, d->abi_version, 1, err, errlen,
		    "config schema: %s", bad);
	ops = d->ops;
	if (*ops < min)
		return refuse(path, d->abi_version, 1, err, errlen,
		    "%s ops of %u bytes are smaller than the minimum %zu",
		    cg_plugin_kind_name(d->kind), *ops, min);
	return 0;
}

static struct cg_plugin_file *
open_file(const char *plugin, const char *path, char *err, size_t errlen)
{
	const struct cg_plugin_descriptor *d;
	struct cg_plugin_file *f;
	cg_plugin_entry_fn entry;
	void *dl, *sym;
	const char *e;

	/* RTLD_LOCAL: plugins never see each other's symbols. */
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		refuse(path, 0, 0, err, errlen, "dlopen: %s", e ? e : "failed");
		return NULL;
	}
	dlerror();
	if ((sym = dlsym(dl, CG_PLUGIN_ENTRY_SYMBOL)) == NULL) {
		refuse(path, 0, 0, err, errlen, "no %s symbol",
		    CG_PLUGIN_ENTRY_SYMBOL);
		return NULL;
	}
	/* ISO C has no conversion from void * to a function pointer. */
	memcpy(&entry, &sym, sizeof(entry));
	d = entry();
	if (check_descriptor(path, d, err, errlen) < 0)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->plugin = strdup(plugin)) == NULL ||
	    (f->path = strdup(path)) == NULL) {
		if (f)
			free(f->plugin);
		free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->desc = d;
	f->ops_size = *(const uint32_t *)d->ops;
	cg_info("plugins", "loaded file=%s name=%s kind=%s version=%s abi=%u.%u",
	    path, d->name, cg_plugin_kind_name(d->kind), d->version,
	    CG_PLUGIN_ABI_VERSION_MAJOR(d->abi_version),
	    CG_PLUGIN_ABI_VERSION_MINOR(d->abi_version));
	/* The handle is deliberately never closed: see registry.h. */
	return f;
}

/* Appends dir/plugin.so to the searched list and returns 1 if it exists. */
static int
try_dir(const char *dir, size_t dlen, const char *plugin, char *path,
    size_t pathlen, char *searched, size_t slen)
{
	size_t used = strlen(searched);

	if (dlen == 0)
		return 0;
	if (snprintf(path, pathlen, "%.*s/%s.so", (int)dlen, dir, plugin) >=
	    (int)pathlen)
		return 0;
	if (used + dlen + 3 < slen)
		snprintf(searched + used, slen - used, "%s%.*s",
		    used ? ", " : "", (int)dlen, dir);
	return access(path, R_OK) == 0;
}

static int
find_file(const struct cg_config *cfg, const char *plugin, char *path,
    size_t pathlen, char *searched, size_t slen)
{
	const char *env = getenv(CG_PLUGIN_PATH_ENV), *p, *colon;

	searched[0] = '\0';
	for (p = env; p != NULL && *p; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		if (try_dir(p, colon ? (size_t)(colon - p) : strlen(p), plugin,
		    path, pathlen, searched, slen))
			return 0;
		if (colon == NULL)
			break;
	}
	for (size_t i = 0; i < cfg->plugins.directory_count; i++) {
		p = cfg->plugins.directories[i];
		if (try_dir(p, strlen(p), plugin, path, pathlen, searched,
		    slen))
			return 0;
	}
	if (try_dir(CG_PLUGIN_DIR, strlen(CG_PLUGIN_DIR), plugin, path,
	    pathlen, searched, slen))
		return 0;
	return -ENOENT;
}

static struct cg_plugin_file *
get_file(struct cg_plugins *ps, const struct cg_config *cfg,
    const struct cg_instance_config *ic, char *err, size_t errlen)
{
	struct cg_plugin_file *f, **tail;
	char path[4096], searched[2048], reason[1024];

	for (tail = &ps->files; (f = *tail) != NULL; tail = &f->next)
		if (strcmp(f->plugin, ic->plugin) == 0)
			return f;
	if (find_file(cfg, ic->plugin, path, sizeof(path), searched,
	    sizeof(searched)) < 0) {
		snprintf(err, errlen, "%s:%d:%d: plugins.instances.%s.plugin: "
		    "no plugin file \"%s.so\" (searched %s)", cfg->file,
		    ic->plugin_line, ic->plugin_col, ic->name, ic->plugin, searched);
		return NULL;
	}
	if ((f = open_file(ic->plugin, path, reason, sizeof(reason))) == NULL) {
		snprintf(err, errlen, "%s:%d:%d: plugins.instances.%s.plugin: "
		    "%s", cfg->file, ic->plugin_line, ic->plugin_col, ic->name,
		    reason);
		return NULL;
	}
	*tail = f;
	return f;
}

static int
validate_settings(const struct cg_config *cfg,
    const struct cg_instance_config *ic, const struct cg_plugin_file *f,
    struct cg_cval *out, char *err, size_t errlen)
{
	struct cg_schema_ctx ctx = { .file = cfg->file, .basedir = cfg->dir,
	    .err = err, .errlen = errlen };
	char path[256];
	const struct cg_plugin_descriptor *d = f->desc;

	snprintf(path, sizeof(path), "plugins.instances.%s.settings", ic->name);
	return cg_schema_validate(&ctx, ic->settings, ic->line, ic->col, path,
	    d->keys, d->key_count, d->key_size ? d->key_size :
	    sizeof(struct cg_plugin_key), out);
}

static void
host_free(struct cg_host *h)
{
	if (h == NULL)
		return;
	pthread_rwlock_destroy(&h->settings_lock);
	cg_cval_clear(&h->settings);
	free(h);
}

/* Creates a live instance object from validated settings (consumed). */
static struct cg_host *
host_create(struct cg_plugin_instance *inst, struct cg_cval *settings,
    char *err, size_t errlen)
{
	struct cg_host *h;
	int rc;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		cg_cval_clear(settings);
		return NULL;
	}
	h->inst = inst;
	h->name = inst->name;
	h->stopping = &inst->owner->stopping;
	pthread_rwlock_init(&h->settings_lock, NULL);
	h->settings = *settings;
	memset(settings, 0, sizeof(*settings));
	pthread_mutex_lock(&life_lock);
	rc = inst->file->desc->create(&cg_host_api_table, h, &h->handle);
	pthread_mutex_unlock(&life_lock);
	if (rc != 0) {
		snprintf(err, errlen, "plugin instance %s (%s) failed to start: "
		    "%s", inst->name, inst->file->plugin, strerror(rc < 0 ?
		    -rc : EINVAL));
		host_free(h);
		return NULL;
	}
	return h;
}

static void
host_destroy(struct cg_host *h)
{
	pthread_mutex_lock(&life_lock);
	h->inst->file->desc->destroy(h->handle);
	pthread_mutex_unlock(&life_lock);
	host_free(h);
}

static int
add_instance(struct cg_plugins *ps, const struct cg_config *cfg,
    const struct cg_instance_config *ic, uint32_t flags, char *err,
    size_t errlen)
{
	struct cg_plugin_instance *inst;
	struct cg_plugin_file *f;
	struct cg_cval settings = { 0 };
	const char **names;

	if ((f = get_file(ps, cfg, ic, err, errlen)) == NULL)
		return -1;
	if (validate_settings(cfg, ic, f, &settings, err, errlen) < 0) {
		cg_cval_clear(&settings);
		return -1;
	}
	if ((inst = calloc(1, sizeof(*inst))) == NULL ||
	    (inst->name = strdup(ic->name)) == NULL)
		goto oom;
	inst->file = f;
	inst->owner = ps;
	pthread_mutex_init(&inst->lock, NULL);
	pthread_mutex_init(&inst->op_lock, NULL);
	names = realloc(f->instances, (f->instance_count + 1) *
	    sizeof(*names));
	if (names == NULL)
		goto oom_inst;
	f->instances = names;
	ps->insts[ps->n++] = inst;
	names[f->instance_count++] = inst->name;
	if (flags & CG_PLUGINS_CHECK_ONLY) {
		cg_cval_clear(&settings);
		return 0;
	}
	if ((inst->cur = host_create(inst, &settings, err, errlen)) == NULL)
		return -1;
	cg_info("plugins", "instance started name=%s plugin=%s kind=%s",
	    inst->name, f->plugin, cg_plugin_kind_name(f->desc->kind));
	return 0;
oom_inst:
	pthread_mutex_destroy(&inst->lock);
	pthread_mutex_destroy(&inst->op_lock);
oom:
	if (inst)
		free(inst->name);
	free(inst);
	cg_cval_clear(&settings);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
cg_plugins_load_all(const struct cg_config *cfg, uint32_t flags,
    struct cg_plugins **out, char *err, size_t errlen)
{
	struct cg_plugins *ps;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	cg_host_global_init();
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		goto oom;
	if (cfg->plugins.instance_count > 0 && (ps->insts = calloc(
	    cfg->plugins.instance_count, sizeof(*ps->insts))) == NULL)
		goto oom;
	for (size_t i = 0; i < cfg->plugins.instance_count; i++) {
		const struct cg_instance_config *ic = &cfg->plugins.instances[i];

		if (!ic->enabled)
			continue;
		if (add_instance(ps, cfg, ic, flags, err, errlen) < 0)
			goto fail;
	}
	for (size_t i = 0; i < cfg->rates.source_count; i++) {
		const struct cg_plugin_instance *inst = cg_plugins_find(ps,
		    cfg->rates.sources[i], 0);

		if (inst != NULL && inst->file->desc->kind ==
		    CG_PLUGIN_KIND_RATES)
			continue;
		snprintf(err, errlen, "%s: rates.sources.%zu: plugin instance "
		    "\"%s\" is not a rates plugin", cfg->file, i,
		    cfg->rates.sources[i]);
		goto fail;
	}
	*out = ps;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	cg_plugins_free(ps);
	return -1;
}

int
cg_config_check(const char *path, char *err, size_t errlen)
{
	struct cg_config *cfg;
	struct cg_plugins *ps;
	int rc;

	if (cg_config_load(path, &cfg, err, errlen) < 0)
		return -1;
	rc = cg_plugins_load_all(cfg, CG_PLUGINS_CHECK_ONLY, &ps, err, errlen);
	cg_plugins_free(ps);
	cg_config_free(cfg);
	return rc;
}

void
cg_plugins_stop(struct cg_plugins *ps)
{
	if (ps != NULL)
		atomic_store(&ps->stopping, 1);
}

void
cg_plugins_free(struct cg_plugins *ps)
{
	struct cg_plugin_file *f, *next;

	if (ps == NULL)
		return;
	atomic_store(&ps->stopping, 1);
	for (size_t i = ps->n; i-- > 0;) {
		struct cg_plugin_instance *inst = ps->insts[i];

		if (inst->cur != NULL)
			host_destroy(inst->cur);
		pthread_mutex_destroy(&inst->lock);
		pthread_mutex_destroy(&inst->op_lock);
		free(inst->name);
		free(inst);
	}
	free(ps->insts);
	for (f = ps->files; f != NULL; f = next) {
		next = f->next;
		free(f->instances);
		free(f->plugin);
		free(f->path);
		free(f);
	}
	free(ps);
}

struct cg_plugin_instance *
cg_plugins_find(struct cg_plugins *ps, const char *name, uint32_t kind)
{
	for (size_t i = 0; ps != NULL && i < ps->n; i++)
		if (strcmp(ps->insts[i]->name, name) == 0 && (kind == 0 ||
		    ps->insts[i]->file->desc->kind == kind))
			return ps->insts[i];
	return NULL;
}

size_t
cg_plugins_count(const struct cg_plugins *ps)
{
	return ps != NULL ? ps->n : 0;
}

struct cg_plugin_instance *
cg_plugins_at(struct cg_plugins *ps, size_t index)
{
	return ps != NULL && index < ps->n ? ps->insts[index] : NULL;
}

const char *
cg_plugin_instance_name(const struct cg_plugin_instance *inst)
{
	return inst->name;
}

uint32_t
cg_plugin_instance_kind(const struct cg_plugin_instance *inst)
{
	return inst->file->desc->kind;
}

int
cg_plugins_each(struct cg_plugins *ps, cg_plugins_each_fn fn, void *arg)
{
	struct cg_plugin_file *f;
	int rc;

	for (f = ps ? ps->files : NULL; f != NULL; f = f->next) {
		const struct cg_plugin_descriptor *d = f->desc;
		struct cg_plugin_info info = {
			.plugin = f->plugin, .file = f->path, .name = d->name,
			.kind = cg_plugin_kind_name(d->kind),
			.version = d->version,
			.description = d->description ? d->description : "",
			.abi_major = CG_PLUGIN_ABI_VERSION_MAJOR(d->abi_version),
			.abi_minor = CG_PLUGIN_ABI_VERSION_MINOR(d->abi_version),
			.instances = f->instances,
			.instance_count = f->instance_count,
		};

		if ((rc = fn(&info, arg)) != 0)
			return rc;
	}
	return 0;
}

/* ---- reload ------------------------------------------------------------ */

static struct cg_host *
acquire(struct cg_plugin_instance *inst)
{
	struct cg_host *h;

	pthread_mutex_lock(&inst->lock);
	if ((h = inst->cur) != NULL)
		h->refs++;
	pthread_mutex_unlock(&inst->lock);
	return h;
}

static void
release(struct cg_plugin_instance *inst, struct cg_host *h)
{
	int dead;

	pthread_mutex_lock(&inst->lock);
	dead = --h->refs == 0 && h->retired;
	pthread_mutex_unlock(&inst->lock);
	if (dead)
		host_destroy(h);
}

static int
has_reconfigure(const struct cg_plugin_descriptor *d)
{
	return CG_HAS_MEMBER(d, struct cg_plugin_descriptor, reconfigure) &&
	    d->reconfigure != NULL;
}

/* Applies new settings to one instance; settings are consumed. */
static int
reload_instance(struct cg_plugin_instance *inst, struct cg_cval *settings,
    char *err, size_t errlen)
{
	const struct cg_plugin_descriptor *d = inst->file->desc;
	struct cg_host *old, *nh;
	struct cg_cval saved = { 0 };
	int rc;

	old = acquire(inst);
	if (old != NULL && has_reconfigure(d)) {
		/* Keep the old settings in case the plugin refuses. */
		pthread_rwlock_wrlock(&old->settings_lock);
		saved = old->settings;
		old->settings = *settings;
		pthread_rwlock_unlock(&old->settings_lock);
		memset(settings, 0, sizeof(*settings));
		/* Never beside the instance's serialized calls; lock order:
		 * op_lock, then life_lock. */
		pthread_mutex_lock(&inst->op_lock);
		pthread_mutex_lock(&life_lock);
		rc = d->reconfigure(old->handle);
		pthread_mutex_unlock(&life_lock);
		pthread_mutex_unlock(&inst->op_lock);
		if (rc == 0) {
			cg_cval_clear(&saved);
			release(inst, old);
			return 0;
		}
		cg_warn("plugins", "reconfigure refused instance=%s rc=%d, "
		    "recreating", inst->name, rc);
		/* Put the new settings back in hand, the old ones in place. */
		pthread_rwlock_wrlock(&old->settings_lock);
		*settings = old->settings;
		old->settings = saved;
		pthread_rwlock_unlock(&old->settings_lock);
	}
	if ((nh = host_create(inst, settings, err, errlen)) == NULL) {
		if (old != NULL)
			release(inst, old);
		return -1;
	}
	pthread_mutex_lock(&inst->lock);
	inst->cur = nh;
	if (old != NULL)
		old->retired = 1;
	pthread_mutex_unlock(&inst->lock);
	/* Dropping our reference destroys the old object once no call
	 * runs on it any more. */
	if (old != NULL)
		release(inst, old);
	return 0;
}

/* 1 when the instance took new settings, 0 when they did not change
 * (or it is not running), -1 when its new object failed to start (it
 * keeps the old one). */
static int
apply_settings(struct cg_plugin_instance *inst, struct cg_cval *next,
    char *err, size_t errlen)
{
	struct cg_host *h;
	int same;

	if (next->type == 0 || (h = acquire(inst)) == NULL)
		return 0;
	pthread_rwlock_rdlock(&h->settings_lock);
	same = cg_cval_equal(&h->settings, next);
	pthread_rwlock_unlock(&h->settings_lock);
	release(inst, h);
	if (same)
		return 0;
	if (reload_instance(inst, next, err, errlen) < 0) {
		cg_error("plugins", "reload failed instance=%s: %s", inst->name,
		    err);
		return -1;
	}
	cg_info("plugins", "instance reconfigured name=%s", inst->name);
	return 1;
}

int
cg_plugins_reload(struct cg_plugins *ps, const struct cg_config *cfg,
    char *err, size_t errlen)
{
	struct cg_cval *next;
	char msg[1024];
	int changed = 0, failed = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (ps->n == 0)
		return 0;
	if ((next = calloc(ps->n, sizeof(*next))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Validate everything first: apply all or nothing. */
	for (size_t i = 0; i < ps->n; i++) {
		const struct cg_instance_config *ic = cg_config_instance(cfg,
		    ps->insts[i]->name);

		if (ic == NULL || !ic->enabled ||
		    strcmp(ic->plugin, ps->insts[i]->file->plugin) != 0)
			continue;
		if (validate_settings(cfg, ic, ps->insts[i]->file, &next[i], err,
		    errlen) < 0) {
			changed = -1;
			goto done;
		}
	}
	for (size_t i = 0; i < ps->n; i++) {
		switch (apply_settings(ps->insts[i], &next[i], msg,
		    sizeof(msg))) {
		case 1:
			changed++;
			break;
		case -1:
			/* Keep going: the others are valid and independent. */
			if (failed++ == 0)
				snprintf(err, errlen, "%s", msg);
			break;
		}
	}
	if (failed)
		changed = -1;
done:
	for (size_t i = 0; i < ps->n; i++)
		cg_cval_clear(&next[i]);
	free(next);
	return changed;
}

/* ---- operations -------------------------------------------------------- */

/* The ops member m of kind T if the plugin declared it, else NULL. */
#define OPS_MEMBER(inst, T, m) \
	((inst)->file->ops_size >= offsetof(T, m) + sizeof(((T *)0)->m) ? \
	((const T *)(inst)->file->desc->ops)->m : NULL)

static int
kind_is(const struct cg_plugin_instance *inst, uint32_t kind)
{
	return inst != NULL && inst->file->desc->kind == kind;
}

/* A plugin that says it wrote a string must have NUL-terminated it. */
static int
check_out(int rc, const char *out, size_t out_size)
{
	if (rc == 0 && out != NULL && out_size > 0 &&
	    memchr(out, '\0', out_size) == NULL)
		return -EIO;
	return rc;
}

int
cg_plugin_rates_fetch(struct cg_plugin_instance *inst,
    const struct cg_rate_pair *pairs, uint32_t pair_count,
    cg_rate_emit_fn emit, void *ctx)
{
	int (*fn)(void *, const struct cg_rate_pair *, uint32_t,
	    cg_rate_emit_fn, void *);
	struct cg_host *h;
	int rc;

	if (!kind_is(inst, CG_PLUGIN_KIND_RATES))
		return -ENOTSUP;
	if ((fn = OPS_MEMBER(inst, struct cg_rates_ops, fetch)) == NULL)
		return -ENOSYS;
	if ((h = acquire(inst)) == NULL)
		return -ENODEV;
	pthread_mutex_lock(&inst->op_lock);
	rc = fn(h->handle, pairs, pair_count, emit, ctx);
	pthread_mutex_unlock(&inst->op_lock);
	release(inst, h);
	return rc;
}

/* Pure network operations: any thread, no serialization. */
#define NET_CALL(inst, member, ...) do { \
	struct cg_host *h_; \
	int rc_; \
	if (!kind_is(inst, CG_PLUGIN_KIND_NETWORK)) \
		return -ENOTSUP; \
	if (OPS_MEMBER(inst, struct cg_network_ops, member) == NULL) \
		return -ENOSYS; \
	if ((h_ = acquire(inst)) == NULL) \
		return -ENODEV; \
	rc_ = OPS_MEMBER(inst, struct cg_network_ops, member)(h_->handle, \
	    __VA_ARGS__); \
	release(inst, h_); \
	return rc_; \
} while (0)

/* Serialized per instance (scanner-side operations). */
#define SERIAL_CALL(inst, kind, T, member, ...) do { \
	struct cg_host *h_; \
	int rc_; \
	if (!kind_is(inst, kind)) \
		return -ENOTSUP; \
	if (OPS_MEMBER(inst, T, member) == NULL) \
		return -ENOSYS; \
	if ((h_ = acquire(inst)) == NULL) \
		return -ENODEV; \
	pthread_mutex_lock(&(inst)->op_lock); \
	rc_ = OPS_MEMBER(inst, T, member)(h_->handle, __VA_ARGS__); \
	pthread_mutex_unlock(&(inst)->op_lock); \
	release(inst, h_); \
	return rc_; \
} while (0)

int
cg_plugin_check_xpub(struct cg_plugin_instance *inst, const char *xpub)
{
	NET_CALL(inst, check_xpub, xpub);
}

static int
derive(struct cg_plugin_instance *inst, const char *xpub, uint32_t index,
    char *out, size_t out_size, size_t *out_len)
{
	NET_CALL(inst, derive_address, xpub, index, out, out_size, out_len);
}

int
cg_plugin_derive_address(struct cg_plugin_instance *inst, const char *xpub,
    uint32_t index, char *out, size_t out_size, size_t *out_len)
{
	return check_out(derive(inst, xpub, index, out, out_size, out_len),
	    out, out_size);
}

static int
validate(struct cg_plugin_instance *inst, const char *address, char *out,
    size_t out_size, size_t *out_len)
{
	NET_CALL(inst, validate_address, address, out, out_size, out_len);
}

int
cg_plugin_validate_address(struct cg_plugin_instance *inst,
    const char *address, char *out, size_t out_size, size_t *out_len)
{
	return check_out(validate(inst, address, out, out_size, out_len), out,
	    out_size);
}

static int
uri(struct cg_plugin_instance *inst, const struct cg_uri_request *req,
    char *out, size_t out_size, size_t *out_len)
{
	NET_CALL(inst, payment_uri, req, out, out_size, out_len);
}

int
cg_plugin_payment_uri(struct cg_plugin_instance *inst,
    const struct cg_uri_request *req, char *out, size_t out_size,
    size_t *out_len)
{
	return check_out(uri(inst, req, out, out_size, out_len), out,
	    out_size);
}

int
cg_plugin_tip(struct cg_plugin_instance *inst, uint64_t *height)
{
	SERIAL_CALL(inst, CG_PLUGIN_KIND_NETWORK, struct cg_network_ops, tip,
	    height);
}

int
cg_plugin_scan(struct cg_plugin_instance *inst,
    const struct cg_scan_request *req, const struct cg_scan_sink *sink,
    struct cg_scan_result *result)
{
	SERIAL_CALL(inst, CG_PLUGIN_KIND_NETWORK, struct cg_network_ops, scan,
	    req, sink, result);
}

static int
block_hash(struct cg_plugin_instance *inst, uint64_t height, char *out,
    size_t out_size, size_t *out_len)
{
	SERIAL_CALL(inst, CG_PLUGIN_KIND_NETWORK, struct cg_network_ops,
	    block_hash, height, out, out_size, out_len);
}

int
cg_plugin_block_hash(struct cg_plugin_instance *inst, uint64_t height,
    char *out, size_t out_size, size_t *out_len)
{
	return check_out(block_hash(inst, height, out, out_size, out_len), out,
	    out_size);
}

static int
subscribe(struct cg_plugin_instance *inst, const char *network,
    const char *address, const char *callback_url, char *out,
    size_t out_size, size_t *out_len)
{
	SERIAL_CALL(inst, CG_PLUGIN_KIND_WATCHER, struct cg_watcher_ops,
	    subscribe, network, address, callback_url, out, out_size, out_len);
}

int
cg_plugin_watch_subscribe(struct cg_plugin_instance *inst,
    const char *network, const char *address, const char *callback_url,
    char *out, size_t out_size, size_t *out_len)
{
	return check_out(subscribe(inst, network, address, callback_url, out,
	    out_size, out_len), out, out_size);
}

int
cg_plugin_watch_unsubscribe(struct cg_plugin_instance *inst,
    const char *subscription_id)
{
	SERIAL_CALL(inst, CG_PLUGIN_KIND_WATCHER, struct cg_watcher_ops,
	    unsubscribe, subscription_id);
}

int
cg_plugin_watch_parse(struct cg_plugin_instance *inst,
    const char *const *headers, uint32_t header_count, const char *body,
    uint64_t body_len, cg_hint_emit_fn emit, void *ctx)
{
	SERIAL_CALL(inst, CG_PLUGIN_KIND_WATCHER, struct cg_watcher_ops,
	    parse_webhook, headers, header_count, body, body_len, emit, ctx);
}
