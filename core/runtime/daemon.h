/*
 * The running daemon: owns the loop, the worker pools, the HTTP server, the
 * control socket, the plugins and the database monitor, and carries out
 * start, reload (SIGHUP, cgctl reload) and graceful stop (SIGTERM/SIGINT).
 */
#ifndef CG_RUNTIME_DAEMON_H
#define CG_RUNTIME_DAEMON_H

#include <stdint.h>

struct event_base;
struct cg_config;
struct cg_plugins;
struct cg_pool;
struct cg_http_server;
struct cg_control;
struct cg_dbmon;
struct cg_signals;
struct cg_api;
struct cg_rates;
struct cg_settlement;
struct cg_webhooks;

struct cg_daemon {
	const char *config_path;
	const char *schema_dir;       /* holds migrations/ */
	struct cg_config *cfg;        /* the configuration in force */
	struct cg_config **retired;   /* replaced by reloads; freed at exit */
	int nretired;
	char restart_pending[512];    /* restart-only keys changed by reloads */

	struct event_base *base;
	struct cg_plugins *plugins;
	struct cg_pool *api_pool;     /* API SQL, one connection per thread */
	struct cg_pool *scan_pool;    /* chain scanning and plugin I/O */
	struct cg_pool *hash_pool;    /* password hashing (Argon2) */
	struct cg_pool *webhook_pool; /* outbound webhooks */
	struct cg_dbmon *dbmon;
	struct cg_http_server *http;
	struct cg_control *control;

	/* Product modules, each started and stopped by daemon.c. */
	struct cg_api *api;               /* merchant and user HTTP API */
	struct cg_rates *rates;           /* exchange-rate polling */
	struct cg_settlement *settlement; /* scanners, settlement, expiry */
	struct cg_webhooks *webhooks;     /* outbound webhook dispatcher */

	struct cg_signals *signals;
	struct event *stop_timer;
	int64_t started_mono_ms;
	int64_t stop_deadline_ms;
	int stopping;
	int reloading;
	uint64_t reloads, reload_failures;
};

/* Runs the daemon on a loaded configuration until it is stopped; returns
 * the process exit status. Takes ownership of cfg. */
int cg_daemon_run(struct cg_config *cfg, const char *config_path,
    const char *schema_dir);



struct cg_db_params;
/* The database parameters of a configuration (strings borrowed from cfg). */
void cg_daemon_db_params(const struct cg_config *cfg, struct cg_db_params *p);
#endif
