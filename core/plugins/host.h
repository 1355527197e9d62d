/*
 * Host side of one plugin instance: the services table handed to plugins
 * (logging, settings, HTTP, randomness, time) and the per-instance state
 * behind the opaque struct cg_host. Internal to core/plugins/.
 */
#ifndef CG_PLUGINS_HOST_H
#define CG_PLUGINS_HOST_H

#include <pthread.h>
#include <stdatomic.h>

#include <cryptic/plugin.h>

#include "config/schema.h"

/* Host HTTP limits: defaults and caps for what a plugin asks. */
#define CG_HOST_HTTP_TIMEOUT_MS 10000u
#define CG_HOST_HTTP_TIMEOUT_MAX_MS 60000u
#define CG_HOST_HTTP_REPLY_BYTES (1024u * 1024u)
#define CG_HOST_HTTP_REPLY_MAX_BYTES (16u * 1024u * 1024u)

struct cg_plugin_instance;

/* One live plugin instance object. A reload that recreates an instance
 * makes a new one; the old one is destroyed when its last call returns. */
struct cg_host {
	struct cg_plugin_instance *inst;
	const char *name;            /* instance name, for log lines */
	atomic_int *stopping;        /* the registry's shutdown flag */
	pthread_rwlock_t settings_lock;
	struct cg_cval settings;     /* validated, defaults applied */
	void *handle;                /* the plugin's instance */
	int refs;                    /* calls running (under inst->lock) */
	int retired;
};

extern const struct cg_host_api cg_host_api_table;

/* One-time process setup for the HTTP service (curl_global_init). */
void cg_host_global_init(void);

/* Replaces the settings of h (under its lock); frees the old ones. */
void cg_host_swap_settings(struct cg_host *h, struct cg_cval *settings);

#endif
