/*
 * The daemon's configuration: one YAML file, validated against the schema
 * in config.c (unknown keys, types, ranges, required keys refused with
 * "FILE:LINE:COLUMN: message"), secrets read from *_file / *_env, and the
 * result parsed into struct cg_config with defaults applied.
 *
 * Plugin instance settings are kept as YAML here and validated against
 * each plugin's own schema by the plugin registry (plugins/registry.h).
 */
#ifndef CG_CONFIG_CONFIG_H
#define CG_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cg_ydoc;
struct cg_ynode;
struct cg_cval;

/* A secret read from a file or the environment. Never log value. */
struct cg_secret {
	char *value;            /* NULL when not configured */
	size_t len;
	const char *source;     /* "file /path" or "env NAME", loggable */
};

struct cg_listen_addr {
	char *host;             /* "127.0.0.1", "::1", "0.0.0.0" */
	uint16_t port;
};

struct cg_instance_config {
	const char *name;       /* YAML key under plugins.instances */
	const char *plugin;     /* file name without ".so" */
	int enabled;
	const struct cg_ynode *settings;  /* NULL: no settings block */
	int line;               /* position of the instance block */
	int col;
	int plugin_line;        /* position of its "plugin" value */
	int plugin_col;
};

struct cg_config {
	const char *file;       /* path given to cg_config_load */
	const char *dir;        /* its directory (relative *_file paths) */

	struct {
		int log_level;              /* CG_LOG_* */
		int64_t shutdown_timeout_s;
		int development;
		int test_clock;
		const char *state_dir;      /* relative state paths resolve here */
		struct cg_secret master_key;
		const char *instance_id;    /* lease owner name */
	} daemon;

	struct {
		struct cg_listen_addr *listen;
		size_t listen_count;
		const char *public_url;     /* NULL: derived from the request */
		int64_t max_body_bytes;
		int64_t max_connections;
		int64_t request_timeout_s;
		int64_t idle_timeout_s;
		const char **trusted_proxies;
		size_t trusted_proxy_count;
	} http;

	struct {
		const char *socket;         /* absolute (state_dir applied) */
		const char *group;          /* NULL: root and own user only */
		int mode;                   /* e.g. 0660 */
	} control;

	struct {
		const char *socket;         /* NULL when host is used */
		const char *host;
		int port;
		const char *name;
		const char *user;
		struct cg_secret password;
		int64_t connect_timeout_s;
		int64_t lock_wait_timeout_s;
		int64_t slow_query_ms;
	} database;

	struct {
		int api, scan, hash, webhook;                 /* threads */
		int64_t api_queue, scan_queue, hash_queue, webhook_queue;
	} workers;

	struct {
		int64_t max_age_s;
		const char **sources;       /* rates instance names, in order */
		size_t source_count;
		int64_t poll_interval_s;
	} rates;

	struct {
		int allow_private_targets;
		int64_t connect_timeout_ms;
		int64_t timeout_ms;
		int64_t max_per_merchant;
		int64_t max_attempts;
		int64_t max_response_bytes;
		int64_t max_inflight;        /* transfers per daemon */
		int64_t poll_interval_ms;    /* look for due rows */
		int64_t secret_overlap_s;    /* previous secret keeps signing */
	} webhooks;

	struct {
		int64_t usage_flush_s;      /* usage statistics batch interval */
		int64_t auth_cache_ms;      /* API key lookups kept (api.c) */
		int64_t read_cache_ms;      /* invoice answers kept */
		int64_t session_ttl_s;
		int64_t login_max_failures; /* per user, then locked */
		int64_t login_lockout_s;
		int64_t login_ip_max_failures; /* per address and lockout window */
		int64_t argon2_memory_kib;  /* new password hashes */
		int64_t argon2_iterations;
		int64_t argon2_parallelism;
		int64_t verify_token_ttl_s;
		int64_t reset_token_ttl_s;
	} api;

	struct {
		const char *url;            /* NULL: mail is written to the log */
		const char *from;
		const char *username;
		struct cg_secret password;
		int64_t timeout_ms;
	} smtp;

	struct {
		const char **directories;   /* extra search dirs (after env) */
		size_t directory_count;
		struct cg_instance_config *instances;
		size_t instance_count;
	} plugins;

	/* Owned internals. */
	struct cg_ydoc *doc;
	struct cg_cval *tree;
	char *owned_dir;
	char *owned_instance_id;
	char *owned_socket;
};

/*
 * Reads, validates and parses a configuration file. Returns 0 and *out,
 * or -1 with one message "FILE:LINE:COLUMN: message" (or "FILE: message"
 * when the file cannot be read) in err. Nothing is logged.
 */
int cg_config_load(const char *path, struct cg_config **out, char *err,
    size_t errlen);
/* The same from memory; name is used in messages. */
int cg_config_load_buffer(const char *name, const char *buf, size_t len,
    struct cg_config **out, char *err, size_t errlen);
void cg_config_free(struct cg_config *cfg);

/* Writes the effective configuration (defaults applied) as YAML; secrets
 * appear only as their *_file / *_env source. */
void cg_config_dump(const struct cg_config *cfg, FILE *f);

/*
 * Compares a running configuration with a new one. Writes the key paths
 * that changed into restart (keys only a restart applies: listen
 * addresses, pool sizes, sockets, database location, plugin instances
 * added/removed/moved) and reload (keys a reload applies), each comma
 * separated ("" when none; truncated to fit). Returns the number of
 * restart-only changes.
 */
int cg_config_compare(const struct cg_config *old, const struct cg_config *new,
    char *restart, size_t restart_len, char *reload, size_t reload_len);

/* The instance block named name, or NULL. */
const struct cg_instance_config *cg_config_instance(const struct cg_config *cfg,
    const char *name);

#endif
