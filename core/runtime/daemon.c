#include "runtime/daemon.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "cg_build_config.h"
#include "api/api.h"
#include "config/config.h"
#include "control/control.h"
#include "db/db.h"
#include "db/migrate.h"
#include "db/testkeys.h"
#include "http/server.h"
#include "payments/module.h"
#include "payments/settlement.h"
#include "plugins/registry.h"
#include "runtime/dbmonitor.h"
#include "runtime/metrics.h"
#include "runtime/notify.h"
#include "runtime/pool.h"
#include "runtime/signals.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/log.h"
#include "webhooks/dispatch.h"

#define STOP_POLL_MS 50

void
cg_daemon_db_params(const struct cg_config *cfg, struct cg_db_params *p)
{
	memset(p, 0, sizeof(*p));
	p->socket = cfg->database.socket;
	p->host = cfg->database.host;
	p->port = (unsigned)cfg->database.port;
	p->user = cfg->database.user;
	p->password = cfg->database.password.value;
	p->database = cfg->database.name;
	p->connect_timeout_s = (unsigned)cfg->database.connect_timeout_s;
	p->lock_wait_timeout_s = (unsigned)cfg->database.lock_wait_timeout_s;
	p->slow_query_ms = (unsigned)cfg->database.slow_query_ms;
}

static void
http_opts_from(const struct cg_config *cfg, struct cg_http_opts *o,
    char listen[][80])
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < cfg->http.listen_count &&
	    o->nlisten < CG_HTTP_MAX_LISTEN; i++) {
		const struct cg_listen_addr *a = &cfg->http.listen[i];

		snprintf(listen[o->nlisten], 80,
		    strchr(a->host, ':') ? "[%s]:%u" : "%s:%u", a->host,
		    (unsigned)a->port);
		o->listen[o->nlisten] = listen[o->nlisten];
		o->nlisten++;
	}
	o->max_body_bytes = (size_t)cfg->http.max_body_bytes;
	o->max_connections = (size_t)cfg->http.max_connections;
	o->request_timeout_s = (int)cfg->http.request_timeout_s;
	o->idle_timeout_s = (int)cfg->http.idle_timeout_s;
}

/* ---- status providers ---------------------------------------------------- */

static json_t *
status_daemon(void *ud)
{
	struct cg_daemon *d = ud;
	const struct cg_config *cfg = d->cfg;

	return json_pack("{s:s, s:I, s:I, s:s, s:b, s:b, s:s, s:I, s:I, s:s?}",
	    "version", CG_VERSION,
	    "pid", (json_int_t)getpid(),
	    "uptime_s", (json_int_t)((cg_mono_ms() - d->started_mono_ms) / 1000),
	    "config", d->config_path,
	    "development", cfg->daemon.development,
	    "test_clock", cfg->daemon.test_clock,
	    "instance_id", cfg->daemon.instance_id ? cfg->daemon.instance_id : "",
	    "reloads", (json_int_t)d->reloads,
	    "reload_failures", (json_int_t)d->reload_failures,
	    "restart_pending", d->restart_pending[0] ? d->restart_pending : NULL);
}

static json_t *
status_database(void *ud)
{
	struct cg_daemon *d = ud;
	struct cg_dbmon_state s;

	cg_dbmon_get(d->dbmon, &s);
	return json_pack("{s:s, s:b, s:b, s:I, s:I, s:s}",
	    "state", s.up && s.schema_ok ? "ready" : s.up ? "schema" : "down",
	    "reachable", s.up, "schema_ok", s.schema_ok,
	    "last_ok_ms", (json_int_t)s.last_ok_ms,
	    "failed_checks", (json_int_t)s.failures, "message", s.message);
}

static json_t *
status_http(void *ud)
{
	struct cg_daemon *d = ud;

	return json_pack("{s:I, s:I, s:b}",
	    "connections", (json_int_t)cg_http_connections(d->http),
	    "in_flight", (json_int_t)cg_http_inflight(d->http),
	    "accepting", !d->stopping);
}

static int
plugin_info_json(const struct cg_plugin_info *info, void *arg)
{
	json_t *a = arg, *inst = json_array();
	char abi[24];

	for (size_t i = 0; i < info->instance_count; i++)
		json_array_append_new(inst, json_string(info->instances[i]));
	snprintf(abi, sizeof(abi), "%u.%u", info->abi_major, info->abi_minor);
	json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
	    "plugin", info->plugin, "file", info->file, "name", info->name,
	    "kind", info->kind, "version", info->version, "abi", abi,
	    "instances", inst));
	return 0;
}

static json_t *
plugins_provider(void *ud)
{
	struct cg_daemon *d = ud;
	json_t *a = json_array();

	cg_plugins_each(d->plugins, plugin_info_json, a);
	return a;
}

/* ---- readiness ------------------------------------------------------------ */

static int
ready_database(void *ud, char *reason, size_t len)
{
	struct cg_daemon *d = ud;
	struct cg_dbmon_state s;

	if (cg_dbmon_ready(d->dbmon))
		return CG_READY_OK;
	cg_dbmon_get(d->dbmon, &s);
	snprintf(reason, len, "%s", s.message);
	return CG_READY_FAIL;
}

/* ---- reload --------------------------------------------------------------- */

static void
retire_config(struct cg_daemon *d, struct cg_config *old)
{
	struct cg_config **r;

	/* Plugin instances and borrowed strings may still point into the old
	 * configuration: it lives until exit. Reloads are rare. */
	r = realloc(d->retired, sizeof(*r) * (size_t)(d->nretired + 1));
	if (!r) {
		cg_warn("daemon", "cannot keep retired configuration");
		return;
	}
	d->retired = r;
	d->retired[d->nretired++] = old;
}

/*
 * A reload reads and validates the whole new file on the loop (a small
 * local file), applies the plugin instances' settings on the scan pool
 * (creating an instance may talk to its node), then applies the rest back
 * on the loop. Nothing changes unless every step succeeds.
 */
struct reload_job {
	struct cg_daemon *d;
	struct cg_control_call *call;   /* NULL for SIGHUP */
	struct cg_config *ncfg;
	int nplugins;
	char err[1024];
};

static void
reload_finish(struct reload_job *j, json_t *result)
{
	struct cg_daemon *d = j->d;

	if (!result) {
		d->reload_failures++;
		cg_error("daemon", "reload refused, still running on the "
		    "previous configuration: %s", j->err);
		if (j->call)
			cg_control_fail(j->call, "reload_failed", "%s", j->err);
		cg_config_free(j->ncfg);
	} else if (j->call) {
		cg_control_reply(j->call, result);
	} else {
		json_decref(result);
	}
	d->reloading = 0;
	cg_notify("READY=1");
	free(j);
}

static void
reload_plugins_work(void *arg, void *thread_ctx)
{
	struct reload_job *j = arg;

	(void)thread_ctx;
	j->nplugins = cg_plugins_reload(j->d->plugins, j->ncfg, j->err,
	    sizeof(j->err));
}

static void
reload_plugins_done(void *arg)
{
	struct reload_job *j = arg;
	struct cg_daemon *d = j->d;
	struct cg_http_opts hopts;
	char listen[CG_HTTP_MAX_LISTEN][80];
	char restart[512], reload[1024];
	json_t *result;
	int nrestart;

	if (j->nplugins < 0) {
		reload_finish(j, NULL);
		return;
	}
	nrestart = cg_config_compare(d->cfg, j->ncfg, restart, sizeof(restart),
	    reload, sizeof(reload));
	cg_log_set_level(j->ncfg->daemon.log_level);
	http_opts_from(j->ncfg, &hopts, listen);
	cg_http_set_limits(d->http, &hopts);
	if (nrestart > 0) {
		cg_warn("daemon", "reload: these changes need a restart and "
		    "are not applied: %s", restart);
		snprintf(d->restart_pending, sizeof(d->restart_pending), "%s",
		    restart);
	}
	cg_info("daemon", "configuration reloaded from %s applied=%s "
	    "plugin_instances_changed=%d", d->config_path,
	    reload[0] ? reload : "(none)", j->nplugins);
	retire_config(d, d->cfg);
	d->cfg = j->ncfg;
	j->ncfg = NULL;		/* the daemon's now: never freed as refused */
	d->reloads++;
	result = json_pack("{s:s, s:s, s:i}", "applied", reload,
	    "restart_required", restart, "plugin_instances_changed",
	    j->nplugins);
	reload_finish(j, result ? result : json_object());
}

static void
start_reload(struct cg_daemon *d, struct cg_control_call *call)
{
	struct reload_job *j;

	if (d->reloading || d->stopping) {
		if (call)
			cg_control_fail(call, "busy", "%s", d->stopping ?
			    "the daemon is stopping" : "a reload is running");
		else
			cg_warn("daemon", "reload ignored: one is running");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		if (call)
			cg_control_fail(call, "internal", "out of memory");
		return;
	}
	j->d = d;
	j->call = call;
	d->reloading = 1;
	cg_notify("RELOADING=1");
	if (cg_config_load(d->config_path, &j->ncfg, j->err,
	    sizeof(j->err)) != 0) {
		reload_finish(j, NULL);
		return;
	}
	if (cg_pool_post(d->scan_pool, reload_plugins_work, reload_plugins_done,
	    j) != 0) {
		snprintf(j->err, sizeof(j->err), "the scan pool is busy; try "
		    "again");
		reload_finish(j, NULL);
	}
}

static void
reload_provider(void *ud, struct cg_control_call *call)
{
	start_reload(ud, call);
}

static void
on_sighup(void *ud)
{
	start_reload(ud, NULL);
}

/* ---- control commands ----------------------------------------------------- */

struct db_status_call {
	struct cg_control_call *call;
	const char *schema_dir;
	struct cg_schema_status st;
	int rc;
	char err[512];
};

static void
db_status_work(void *arg, void *thread_ctx)
{
	struct db_status_call *c = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);
	char dir[1024];

	if (!db) {
		c->rc = -1;
		snprintf(c->err, sizeof(c->err), "database unreachable");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/migrations", c->schema_dir);
	c->rc = cg_db_schema_status(db, dir, &c->st, c->err, sizeof(c->err));
}

static void
db_status_done(void *arg)
{
	struct db_status_call *c = arg;
	const struct cg_schema_status *s = &c->st;

	if (c->rc != 0)
		cg_control_fail(c->call, "database", "%s", c->err);
	else
		cg_control_reply(c->call, json_pack(
		    "{s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:b, s:s}",
		    "required", s->required, "applied_version", s->applied_version,
		    "applied_count", s->applied_count,
		    "available_version", s->available_version,
		    "pending", s->pending_count, "failed_version", s->failed_version,
		    "checksum_mismatch", s->checksum_mismatch, "ok", s->ok,
		    "message", s->message));
	free(c);
}

static void
cmd_db_status(struct cg_control_call *call, json_t *args, void *ud)
{
	struct cg_daemon *d = ud;
	struct db_status_call *c;

	(void)args;
	c = calloc(1, sizeof(*c));
	if (!c) {
		cg_control_fail(call, "internal", "out of memory");
		return;
	}
	c->call = call;
	c->schema_dir = d->schema_dir;
	if (cg_control_post(call, d->api_pool, db_status_work, db_status_done,
	    c) != 0)
		free(c);
}

/* Test time: only with daemon.test_clock (development configs). */
static void
cmd_clock(struct cg_control_call *call, json_t *args, void *ud)
{
	struct cg_daemon *d = ud;
	const char *adv = json_string_value(json_object_get(args, "advance"));
	char *end;
	long long ms;

	if (adv) {
		if (!d->cfg->daemon.test_clock) {
			cg_control_fail(call, "forbidden",
			    "the test clock is off (daemon.test_clock)");
			return;
		}
		errno = 0;
		ms = strtoll(adv, &end, 10);
		if (errno || end == adv || *end || ms < 0) {
			cg_control_fail(call, "bad_argument",
			    "advance takes a number of milliseconds >= 0");
			return;
		}
		cg_clock_set_offset_ms(cg_clock_offset_ms() + ms);
		cg_info("daemon", "test clock moved forward ms=%lld offset_ms=%lld",
		    ms, (long long)cg_clock_offset_ms());
	}
	cg_control_reply(call, json_pack("{s:I, s:I}", "now_ms",
	    (json_int_t)cg_now_ms(), "offset_ms",
	    (json_int_t)cg_clock_offset_ms()));
}

/* ---- stop ----------------------------------------------------------------- */

static void
on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cg_daemon *d = arg;
	size_t inflight = cg_http_inflight(d->http);

	(void)fd;
	(void)what;
	if (inflight == 0 || cg_mono_ms() >= d->stop_deadline_ms) {
		if (inflight)
			cg_warn("daemon", "shutdown deadline reached with %zu "
			    "requests in flight", inflight);
		event_base_loopbreak(d->base);
	}
}

static void
on_stop_signal(int signo, void *ud)
{
	struct cg_daemon *d = ud;
	struct timeval tv = { 0, STOP_POLL_MS * 1000 };

	if (d->stopping) {
		cg_warn("daemon", "second stop signal: stopping now");
		event_base_loopbreak(d->base);
		return;
	}
	d->stopping = 1;
	cg_info("daemon", "stopping signal=%d deadline_s=%lld", signo,
	    (long long)d->cfg->daemon.shutdown_timeout_s);
	cg_notify("STOPPING=1");
	cg_http_stop_accepting(d->http);
	cg_control_stop_accepting(d->control);
	d->stop_deadline_ms = cg_mono_ms() +
	    d->cfg->daemon.shutdown_timeout_s * 1000;
	d->stop_timer = event_new(d->base, -1, EV_PERSIST, on_stop_timer, d);
	if (!d->stop_timer || event_add(d->stop_timer, &tv) != 0)
		event_base_loopbreak(d->base);
}

/* ---- start ---------------------------------------------------------------- */

static long
group_id(const char *name)
{
	struct group *gr;

	if (!name)
		return -1;
	gr = getgrnam(name);
	return gr ? (long)gr->gr_gid : -2;
}

/* Refuses to start on a schema older than this build needs; a database
 * that cannot be reached now is waited for (the daemon serves 503). */
static int
check_schema_at_start(const struct cg_db_params *p, int development)
{
	char err[512];
	struct cg_db *db = cg_db_open(p, err, sizeof(err));
	int rc;

	if (!db) {
		cg_warn("daemon", "database unreachable at start, serving 503 "
		    "until it returns: %s", err);
		return 0;
	}
	rc = cg_db_schema_check(db, CG_SCHEMA_VERSION, err, sizeof(err));
	/* A mainnet network must never take payments to a well-known test
	 * key (the seed's): anyone could spend them. */
	if (rc == 0)
		rc = cg_db_check_test_keys(db, development != 0, err,
		    sizeof(err));
	cg_db_close(db);
	if (rc != 0)
		cg_error("daemon", "%s", err);
	return rc;
}

static int
start(struct cg_daemon *d)
{
	const struct cg_config *cfg = d->cfg;
	struct cg_db_params dbp;
	struct cg_http_opts hopts;
	struct cg_control_opts copts;
	char listen[CG_HTTP_MAX_LISTEN][80];
	struct cg_signal_handlers sh = { on_stop_signal, on_sighup, d };
	char err[1024];

	cg_daemon_db_params(cfg, &dbp);
	if (check_schema_at_start(&dbp, cfg->daemon.development) != 0)
		return 1;
	if (cg_plugins_load_all(cfg, 0, &d->plugins, err, sizeof(err)) != 0) {
		cg_error("daemon", "%s", err);
		return 2;
	}
	d->base = event_base_new();
	if (!d->base)
		return 1;
	d->api_pool = cg_sqlpool_create(d->base, "api", cfg->workers.api,
	    (size_t)cfg->workers.api_queue, &dbp);
	d->scan_pool = cg_sqlpool_create(d->base, "scan", cfg->workers.scan,
	    (size_t)cfg->workers.scan_queue, &dbp);
	d->hash_pool = cg_pool_create(d->base, "hash", cfg->workers.hash,
	    (size_t)cfg->workers.hash_queue, NULL);
	d->webhook_pool = cg_sqlpool_create(d->base, "webhook",
	    cfg->workers.webhook, (size_t)cfg->workers.webhook_queue, &dbp);
	d->dbmon = cg_dbmon_start(d->base, &dbp, CG_SCHEMA_VERSION);
	if (!d->api_pool || !d->scan_pool || !d->hash_pool ||
	    !d->webhook_pool || !d->dbmon) {
		cg_error("daemon", "cannot start worker threads");
		return 1;
	}
	cg_metrics_watch_pool(d->api_pool);
	cg_metrics_watch_pool(d->scan_pool);
	cg_metrics_watch_pool(d->hash_pool);
	cg_metrics_watch_pool(d->webhook_pool);

	http_opts_from(cfg, &hopts, listen);
	d->http = cg_http_create(d->base, &hopts);
	if (!d->http)
		return 1;
	cg_http_add_ready_check(d->http, "database", ready_database, d);
	if (cg_http_start(d->http) != 0) {
		cg_error("daemon", "cannot listen for HTTP (http.listen)");
		return 1;
	}

	memset(&copts, 0, sizeof(copts));
	copts.path = cfg->control.socket;
	copts.mode = (unsigned)cfg->control.mode;
	copts.group = group_id(cfg->control.group);
	if (copts.group == -2) {
		cg_error("daemon", "control.group: no group named '%s'",
		    cfg->control.group);
		return 2;
	}
	d->control = cg_control_create(d->base, &copts);
	if (!d->control)
		return 1;
	cg_control_add_status(d->control, "daemon", status_daemon, d);
	cg_control_add_status(d->control, "database", status_database, d);
	cg_control_add_status(d->control, "http", status_http, d);
	cg_control_set_plugins_provider(d->control, plugins_provider, d);
	cg_control_set_reload_provider(d->control, reload_provider, d);
	cg_control_register(d->control, "db status", cmd_db_status, d, 0);
	cg_control_register(d->control, "clock [advance]", cmd_clock, d,
	    CG_CONTROL_F_OWNER);
	if (cg_control_start(d->control) != 0) {
		cg_error("daemon", "cannot open the control socket %s",
		    cfg->control.socket);
		return 1;
	}

	/* ---- modules: start (one block each; they may register HTTP routes,
	 * control commands, status sections and readiness checks) ---- */
	d->api = cg_api_start(d);
	if (!d->api)
		return 1;

	/* payments (after the API: it routes through d->api): rates poller,
	 * invoice/wallet/catalog routes, pool commands */
	if (cg_payments_start(d) != 0)
		return 1;

	/* settlement: scanners, expiry sweep, scan/payments commands */
	if (cg_settlement_start(d) != 0) {
		cg_error("daemon", "cannot start the settlement module");
		return 1;
	}

	d->webhooks = cg_webhooks_start(d);
	if (!d->webhooks)
		return 1;

	/* ---- end of modules ---- */

	d->signals = cg_signals_install(d->base, &sh);
	if (!d->signals)
		return 1;
	return 0;
}

static void
teardown(struct cg_daemon *d)
{
	/* ---- modules: stop (reverse order of start): timers off, no new
	 * work posted. Their memory is freed below, after the pools, whose
	 * last completions may still reach them ---- */
	cg_webhooks_stop(d->webhooks);
	cg_settlement_stop(d->settlement);
	cg_payments_stop(d);
	cg_api_stop(d->api);

	/* ---- end of modules ---- */

	if (d->plugins)
		cg_plugins_stop(d->plugins);
	/* Pools first: their last completions still reply through the HTTP
	 * server and the control socket. */
	cg_dbmon_stop(d->dbmon);
	if (d->api_pool) {
		cg_metrics_unwatch_pool(d->api_pool);
		cg_sqlpool_destroy(d->api_pool);
	}
	if (d->scan_pool) {
		cg_metrics_unwatch_pool(d->scan_pool);
		cg_sqlpool_destroy(d->scan_pool);
	}
	if (d->hash_pool) {
		cg_metrics_unwatch_pool(d->hash_pool);
		cg_pool_destroy(d->hash_pool);
	}
	if (d->webhook_pool) {
		cg_metrics_unwatch_pool(d->webhook_pool);
		cg_sqlpool_destroy(d->webhook_pool);
	}
	/* ---- modules: free (after the pools drained) ---- */
	cg_webhooks_free(d->webhooks);
	cg_settlement_free(d->settlement);
	cg_payments_free(d);
	cg_api_free(d->api);

	/* ---- end of modules ---- */

	if (d->http)
		cg_http_free(d->http);
	if (d->control)
		cg_control_free(d->control);
	cg_signals_free(d->signals);
	if (d->stop_timer)
		event_free(d->stop_timer);
	if (d->base)
		event_base_free(d->base);
	cg_plugins_free(d->plugins);
	for (int i = 0; i < d->nretired; i++)
		cg_config_free(d->retired[i]);
	free(d->retired);
	cg_config_free(d->cfg);
}

int
cg_daemon_run(struct cg_config *cfg, const char *config_path,
    const char *schema_dir)
{
	struct cg_daemon d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.config_path = config_path;
	d.schema_dir = schema_dir;
	d.started_mono_ms = cg_mono_ms();
	cg_log_set_level(cfg->daemon.log_level);

	rc = start(&d);
	if (rc == 0) {
		cg_info("daemon", "ready version=%s http_port=%d control=%s",
		    CG_VERSION, cg_http_bound_port(d.http, 0),
		    cfg->control.socket);
		cg_notify("READY=1");
		event_base_dispatch(d.base);
		cg_info("daemon", "stopped");
	}
	teardown(&d);
	return rc;
}
