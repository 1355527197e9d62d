#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/schema.h"
#include "config/yaml.h"
#include "util/log.h"

#define R CG_KEYF_RESTART
#define K(n, t, ...) { .name = n, .type = t, __VA_ARGS__ }
#define TABLE(n, kids, f) { .name = n, .type = CG_KEY_TABLE, \
	.children = kids, .child_count = sizeof(kids) / sizeof(kids[0]), \
	.flags = f }

static const char *const log_levels[] = { "error", "warn", "info", "debug",
    NULL };

static const struct cg_plugin_key daemon_keys[] = {
	K("log_level", CG_KEY_ENUM, .choices = log_levels,
	    .default_value = "info"),
	K("shutdown_timeout_s", CG_KEY_INT, .default_value = "10", .min = 1,
	    .max = 3600),
	K("development", CG_KEY_BOOL, .default_value = "false", .flags = R),
	K("test_clock", CG_KEY_BOOL, .default_value = "false", .flags = R),
	K("state_dir", CG_KEY_STRING, .default_value = "/var/lib/cryptic-gateway",
	    .flags = R | CG_KEYF_ENV, .min = 1, .max = 256),
	K("master_key", CG_KEY_STRING, .flags = R | CG_KEY_SECRET),
	K("instance_id", CG_KEY_STRING, .flags = R | CG_KEYF_ENV, .min = 1,
	    .max = 64),
};

static const struct cg_plugin_key http_keys[] = {
	K("listen", CG_KEY_STRING_LIST, .default_value = "127.0.0.1:8080",
	    .flags = R, .min = 1, .max = 16),
	K("public_url", CG_KEY_STRING, .min = 8, .max = 512),
	K("max_body_bytes", CG_KEY_INT, .default_value = "1048576",
	    .min = 1024, .max = 67108864),
	K("max_connections", CG_KEY_INT, .default_value = "10000", .min = 1,
	    .max = 1000000),
	K("request_timeout_s", CG_KEY_INT, .default_value = "30", .min = 1,
	    .max = 3600),
	K("idle_timeout_s", CG_KEY_INT, .default_value = "60", .min = 1,
	    .max = 3600),
	K("trusted_proxies", CG_KEY_STRING_LIST, .min = 0, .max = 64),
};

static const struct cg_plugin_key control_keys[] = {
	K("socket", CG_KEY_STRING, .flags = R,
	    .default_value = "/run/cryptic-gateway/control.sock", .min = 1,
	    .max = 100),
	K("group", CG_KEY_STRING, .flags = R, .min = 1, .max = 64),
	K("mode", CG_KEY_STRING, .flags = R, .default_value = "0660"),
};

static const struct cg_plugin_key database_keys[] = {
	K("socket", CG_KEY_STRING, .flags = R | CG_KEYF_ENV, .min = 1,
	    .max = 107),
	K("host", CG_KEY_STRING, .flags = R, .min = 1, .max = 255),
	K("port", CG_KEY_INT, .flags = R, .default_value = "3306", .min = 1,
	    .max = 65535),
	K("name", CG_KEY_STRING, .flags = R | CG_KEY_REQUIRED, .min = 1,
	    .max = 64),
	K("user", CG_KEY_STRING, .flags = R, .default_value = "cryptic",
	    .min = 1, .max = 80),
	K("password", CG_KEY_STRING, .flags = R | CG_KEY_SECRET),
	K("connect_timeout_s", CG_KEY_INT, .default_value = "5", .min = 1,
	    .max = 300),
	K("lock_wait_timeout_s", CG_KEY_INT, .default_value = "5", .min = 1,
	    .max = 3600),
	K("slow_query_ms", CG_KEY_INT, .default_value = "500", .min = 0,
	    .max = 600000),
};

static const struct cg_plugin_key workers_keys[] = {
	K("api", CG_KEY_INT, .flags = R, .default_value = "4", .min = 1,
	    .max = 256),
	K("scan", CG_KEY_INT, .flags = R, .default_value = "2", .min = 1,
	    .max = 256),
	K("hash", CG_KEY_INT, .flags = R, .default_value = "1", .min = 1,
	    .max = 64),
	K("webhook", CG_KEY_INT, .flags = R, .default_value = "4", .min = 1,
	    .max = 256),
	K("api_queue", CG_KEY_INT, .flags = R, .default_value = "1024",
	    .min = 1, .max = 1000000),
	K("scan_queue", CG_KEY_INT, .flags = R, .default_value = "256",
	    .min = 1, .max = 1000000),
	K("hash_queue", CG_KEY_INT, .flags = R, .default_value = "64",
	    .min = 1, .max = 1000000),
	K("webhook_queue", CG_KEY_INT, .flags = R, .default_value = "1024",
	    .min = 1, .max = 1000000),
};

static const struct cg_plugin_key rates_keys[] = {
	K("max_age_s", CG_KEY_INT, .default_value = "900", .min = 1,
	    .max = 86400),
	K("sources", CG_KEY_STRING_LIST, .min = 0, .max = 32),
	K("poll_interval_s", CG_KEY_INT, .default_value = "60", .min = 5,
	    .max = 86400),
};

static const struct cg_plugin_key webhooks_keys[] = {
	K("allow_private_targets", CG_KEY_BOOL, .default_value = "false"),
	K("connect_timeout_ms", CG_KEY_INT, .default_value = "3000",
	    .min = 100, .max = 60000),
	K("timeout_ms", CG_KEY_INT, .default_value = "10000", .min = 100,
	    .max = 120000),
	K("max_per_merchant", CG_KEY_INT, .default_value = "4", .min = 1,
	    .max = 100),
	K("max_attempts", CG_KEY_INT, .default_value = "20", .min = 1,
	    .max = 100),
	K("max_response_bytes", CG_KEY_INT, .default_value = "65536",
	    .min = 0, .max = 1048576),
	K("max_inflight", CG_KEY_INT, .default_value = "1024", .min = 1,
	    .max = 10000),
	K("poll_interval_ms", CG_KEY_INT, .default_value = "500", .min = 10,
	    .max = 60000),
	K("secret_overlap_s", CG_KEY_INT, .default_value = "86400", .min = 0,
	    .max = 2592000),
};

static const struct cg_plugin_key api_keys[] = {
	K("usage_flush_s", CG_KEY_INT, .default_value = "30", .min = 1,
	    .max = 3600, .flags = R),
	K("auth_cache_ms", CG_KEY_INT, .default_value = "1000", .min = 0,
	    .max = 60000, .flags = R),
	K("read_cache_ms", CG_KEY_INT, .default_value = "250", .min = 0,
	    .max = 60000, .flags = R),
	K("session_ttl_s", CG_KEY_INT, .default_value = "43200", .min = 60,
	    .max = 2592000),
	K("login_max_failures", CG_KEY_INT, .default_value = "5", .min = 1,
	    .max = 1000),
	K("login_lockout_s", CG_KEY_INT, .default_value = "900", .min = 1,
	    .max = 86400),
	K("login_ip_max_failures", CG_KEY_INT, .default_value = "20",
	    .min = 1, .max = 100000),
	K("argon2_memory_kib", CG_KEY_INT, .default_value = "19456",
	    .min = 8, .max = 4194304),
	K("argon2_iterations", CG_KEY_INT, .default_value = "2", .min = 1,
	    .max = 100),
	K("argon2_parallelism", CG_KEY_INT, .default_value = "1", .min = 1,
	    .max = 16),
	K("verify_token_ttl_s", CG_KEY_INT, .default_value = "86400",
	    .min = 60, .max = 604800),
	K("reset_token_ttl_s", CG_KEY_INT, .default_value = "3600", .min = 60,
	    .max = 86400),
};

static const struct cg_plugin_key smtp_keys[] = {
	K("url", CG_KEY_STRING, .min = 8, .max = 512),
	K("from", CG_KEY_STRING, .min = 3, .max = 254),
	K("username", CG_KEY_STRING, .min = 1, .max = 254),
	K("password", CG_KEY_STRING, .flags = CG_KEY_SECRET),
	K("timeout_ms", CG_KEY_INT, .default_value = "10000", .min = 100,
	    .max = 120000),
};

static const struct cg_plugin_key instance_keys[] = {
	K("plugin", CG_KEY_STRING, .flags = R | CG_KEY_REQUIRED, .min = 1,
	    .max = 64),
	K("enabled", CG_KEY_BOOL, .flags = R, .default_value = "true"),
	K("settings", CG_KEY_ANY, .flags = 0),
};

static const struct cg_plugin_key instance_item[] = {
	TABLE("*", instance_keys, 0),
};

static const struct cg_plugin_key plugins_keys[] = {
	K("directories", CG_KEY_STRING_LIST, .flags = R, .min = 0, .max = 16),
	{ .name = "instances", .type = CG_KEY_MAP, .children = instance_item,
	    .child_count = 1, .max = 256 },
};

static const struct cg_plugin_key top_keys[] = {
	TABLE("daemon", daemon_keys, 0),
	TABLE("http", http_keys, 0),
	TABLE("control", control_keys, 0),
	TABLE("database", database_keys, CG_KEY_REQUIRED),
	TABLE("workers", workers_keys, 0),
	TABLE("rates", rates_keys, 0),
	TABLE("webhooks", webhooks_keys, 0),
	TABLE("api", api_keys, 0),
	TABLE("smtp", smtp_keys, 0),
	TABLE("plugins", plugins_keys, 0),
};

#undef K
#undef TABLE
#undef R

static const struct cg_cval *
get(const struct cg_config *cfg, const char *path)
{
	return cg_cval_get(cfg->tree, path);
}

static const char *
get_str(const struct cg_config *cfg, const char *path)
{
	const struct cg_cval *v = get(cfg, path);

	return v != NULL ? v->str : NULL;
}

static int64_t
get_num(const struct cg_config *cfg, const char *path)
{
	const struct cg_cval *v = get(cfg, path);

	return v != NULL ? v->num : 0;
}

static void
get_secret(const struct cg_config *cfg, const char *path, struct cg_secret *s)
{
	const struct cg_cval *v = get(cfg, path);

	if (v == NULL)
		return;
	s->value = v->str;
	s->len = v->len;
	s->source = v->source;
}

/* Borrowed pointers to the strings of a list value. */
static int
get_list(const struct cg_config *cfg, const char *path, const char ***out,
    size_t *count)
{
	const struct cg_cval *v = get(cfg, path);

	*out = NULL;
	*count = 0;
	if (v == NULL || v->n == 0)
		return 0;
	if ((*out = calloc(v->n, sizeof(**out))) == NULL)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		(*out)[i] = v->items[i].str;
	*count = v->n;
	return 0;
}

/* Position of a value for messages (1:1 when absent or defaulted). */
#define VPOS(v) ((v) != NULL ? (v)->line : 1), ((v) != NULL ? (v)->col : 1)

/* "host:port" or "[v6]:port". */
static int
parse_listen(const char *s, struct cg_listen_addr *out)
{
	const char *colon, *h = s;
	size_t hlen;
	int64_t port = 0;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL)
			return -1;
	}
	if (hlen == 0 || colon[1] == '\0' || strlen(colon + 1) > 5)
		return -1;
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535)
		return -1;
	if ((out->host = strndup(h, hlen)) == NULL)
		return -1;
	out->port = (uint16_t)port;
	return 0;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static int
fill_daemon(struct cg_config *cfg, struct cg_schema_ctx *ctx)
{
	char host[256];
	size_t len;

	cfg->daemon.log_level = cg_log_level_parse(get_str(cfg,
	    "daemon.log_level"));
	cfg->daemon.shutdown_timeout_s = get_num(cfg,
	    "daemon.shutdown_timeout_s");
	cfg->daemon.development = (int)get_num(cfg, "daemon.development");
	cfg->daemon.test_clock = (int)get_num(cfg, "daemon.test_clock");
	if (cfg->daemon.test_clock && !cfg->daemon.development)
		return cg_schema_error(ctx, VPOS(get(cfg, "daemon.test_clock")),
		    "%s: only allowed when daemon.development is true",
		    "daemon.test_clock");
	cfg->daemon.state_dir = get_str(cfg, "daemon.state_dir");
	if (cfg->daemon.state_dir == NULL || cfg->daemon.state_dir[0] != '/')
		return cg_schema_error(ctx, VPOS(get(cfg, "daemon.state_dir")),
		    "%s: must be an absolute path, not \"%s\"",
		    "daemon.state_dir", cfg->daemon.state_dir);
	get_secret(cfg, "daemon.master_key", &cfg->daemon.master_key);
	cfg->daemon.instance_id = get_str(cfg, "daemon.instance_id");
	if (cfg->daemon.instance_id == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		len = strlen(host) + 24;
		if ((cfg->owned_instance_id = malloc(len)) == NULL)
			return -1;
		snprintf(cfg->owned_instance_id, len, "%s:%ld", host,
		    (long)getpid());
		cfg->daemon.instance_id = cfg->owned_instance_id;
	}
	return 0;
}

/* "192.0.2.1", "10.0.0.0/8", "2001:db8::/32". */
static int
valid_cidr(const char *s)
{
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int v6, bits = 0;

	if (alen == 0 || alen >= sizeof(addr))
		return 0;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	v6 = strchr(addr, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
		return 0;
	if (slash == NULL)
		return 1;
	if (slash[1] == '\0' || strlen(slash + 1) > 3)
		return 0;
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		bits = bits * 10 + (*p - '0');
	}
	return bits <= (v6 ? 128 : 32);
}

static int
fill_http(struct cg_config *cfg, struct cg_schema_ctx *ctx)
{
	const struct cg_cval *l = get(cfg, "http.listen");
	const char *url;

	if (l == NULL)
		return -1;

	cfg->http.listen = calloc(l->n, sizeof(*cfg->http.listen));
	if (cfg->http.listen == NULL)
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		if (parse_listen(l->items[i].str, &cfg->http.listen[i]) < 0)
			return cg_schema_error(ctx, l->items[i].line,
			    l->items[i].col, "http.listen.%zu: \"%s\" is not "
			    "HOST:PORT", i, l->items[i].str);
		cfg->http.listen_count++;
	}
	url = cfg->http.public_url = get_str(cfg, "http.public_url");
	if (url != NULL && strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)
		return cg_schema_error(ctx, VPOS(get(cfg, "http.public_url")),
		    "%s: \"%s\" is not an http:// or https:// URL",
		    "http.public_url", url);
	if ((l = get(cfg, "http.trusted_proxies")) != NULL) {
		for (size_t i = 0; i < l->n; i++)
			if (!valid_cidr(l->items[i].str))
				return cg_schema_error(ctx, l->items[i].line,
				    l->items[i].col, "http.trusted_proxies.%zu: "
				    "\"%s\" is not an IP address or CIDR range",
				    i, l->items[i].str);
	}
	cfg->http.max_body_bytes = get_num(cfg, "http.max_body_bytes");
	cfg->http.max_connections = get_num(cfg, "http.max_connections");
	cfg->http.request_timeout_s = get_num(cfg, "http.request_timeout_s");
	cfg->http.idle_timeout_s = get_num(cfg, "http.idle_timeout_s");
	return get_list(cfg, "http.trusted_proxies", &cfg->http.trusted_proxies,
	    &cfg->http.trusted_proxy_count);
}

static int
fill_control(struct cg_config *cfg, struct cg_schema_ctx *ctx)
{
	const char *sock = get_str(cfg, "control.socket");
	const char *mode = get_str(cfg, "control.mode");
	char *end;
	long m;
	size_t len;

	if (sock == NULL || mode == NULL)
		return -1;

	if (sock[0] != '/') {
		len = strlen(cfg->daemon.state_dir) + strlen(sock) + 2;
		if ((cfg->owned_socket = malloc(len)) == NULL)
			return -1;
		snprintf(cfg->owned_socket, len, "%s/%s", cfg->daemon.state_dir,
		    sock);
		sock = cfg->owned_socket;
	}
	if (strlen(sock) >= 108)
		return cg_schema_error(ctx, VPOS(get(cfg, "control.socket")),
		    "%s: \"%s\" is longer than a UNIX socket path may be",
		    "control.socket", sock);
	cfg->control.socket = sock;
	cfg->control.group = get_str(cfg, "control.group");
	errno = 0;
	m = strtol(mode, &end, 8);
	if (mode[0] != '0' || *end != '\0' || errno != 0 || m < 0 || m > 0777)
		return cg_schema_error(ctx, VPOS(get(cfg, "control.mode")),
		    "%s: \"%s\" is not an octal file mode such as 0660",
		    "control.mode", mode);
	cfg->control.mode = (int)m;
	return 0;
}

static int
fill_database(struct cg_config *cfg, struct cg_schema_ctx *ctx)
{
	const struct cg_cval *db = get(cfg, "database");

	if (db == NULL)
		return -1;

	cfg->database.socket = get_str(cfg, "database.socket");
	cfg->database.host = get_str(cfg, "database.host");
	if ((cfg->database.socket == NULL) == (cfg->database.host == NULL))
		return cg_schema_error(ctx, db->line, db->col,
		    "database: give exactly one of \"socket\" and \"host\"");
	cfg->database.port = (int)get_num(cfg, "database.port");
	cfg->database.name = get_str(cfg, "database.name");
	cfg->database.user = get_str(cfg, "database.user");
	get_secret(cfg, "database.password", &cfg->database.password);
	cfg->database.connect_timeout_s = get_num(cfg,
	    "database.connect_timeout_s");
	cfg->database.lock_wait_timeout_s = get_num(cfg,
	    "database.lock_wait_timeout_s");
	cfg->database.slow_query_ms = get_num(cfg, "database.slow_query_ms");
	return 0;
}

static void
fill_numbers(struct cg_config *cfg)
{
	cfg->workers.api = (int)get_num(cfg, "workers.api");
	cfg->workers.scan = (int)get_num(cfg, "workers.scan");
	cfg->workers.hash = (int)get_num(cfg, "workers.hash");
	cfg->workers.webhook = (int)get_num(cfg, "workers.webhook");
	cfg->workers.api_queue = get_num(cfg, "workers.api_queue");
	cfg->workers.scan_queue = get_num(cfg, "workers.scan_queue");
	cfg->workers.hash_queue = get_num(cfg, "workers.hash_queue");
	cfg->workers.webhook_queue = get_num(cfg, "workers.webhook_queue");
	cfg->rates.max_age_s = get_num(cfg, "rates.max_age_s");
	cfg->rates.poll_interval_s = get_num(cfg, "rates.poll_interval_s");
	cfg->webhooks.allow_private_targets = (int)get_num(cfg,
	    "webhooks.allow_private_targets");
	cfg->webhooks.connect_timeout_ms = get_num(cfg,
	    "webhooks.connect_timeout_ms");
	cfg->webhooks.timeout_ms = get_num(cfg, "webhooks.timeout_ms");
	cfg->webhooks.max_per_merchant = get_num(cfg,
	    "webhooks.max_per_merchant");
	cfg->webhooks.max_attempts = get_num(cfg, "webhooks.max_attempts");
	cfg->webhooks.max_response_bytes = get_num(cfg,
	    "webhooks.max_response_bytes");
	cfg->webhooks.max_inflight = get_num(cfg, "webhooks.max_inflight");
	cfg->webhooks.poll_interval_ms = get_num(cfg,
	    "webhooks.poll_interval_ms");
	cfg->webhooks.secret_overlap_s = get_num(cfg,
	    "webhooks.secret_overlap_s");
	cfg->api.usage_flush_s = get_num(cfg, "api.usage_flush_s");
	cfg->api.auth_cache_ms = get_num(cfg, "api.auth_cache_ms");
	cfg->api.read_cache_ms = get_num(cfg, "api.read_cache_ms");
	cfg->api.session_ttl_s = get_num(cfg, "api.session_ttl_s");
	cfg->api.login_max_failures = get_num(cfg, "api.login_max_failures");
	cfg->api.login_lockout_s = get_num(cfg, "api.login_lockout_s");
	cfg->api.login_ip_max_failures = get_num(cfg,
	    "api.login_ip_max_failures");
	cfg->api.argon2_memory_kib = get_num(cfg, "api.argon2_memory_kib");
	cfg->api.argon2_iterations = get_num(cfg, "api.argon2_iterations");
	cfg->api.argon2_parallelism = get_num(cfg, "api.argon2_parallelism");
	cfg->api.verify_token_ttl_s = get_num(cfg, "api.verify_token_ttl_s");
	cfg->api.reset_token_ttl_s = get_num(cfg, "api.reset_token_ttl_s");
	cfg->smtp.url = get_str(cfg, "smtp.url");
	cfg->smtp.from = get_str(cfg, "smtp.from");
	cfg->smtp.username = get_str(cfg, "smtp.username");
	get_secret(cfg, "smtp.password", &cfg->smtp.password);
	cfg->smtp.timeout_ms = get_num(cfg, "smtp.timeout_ms");
}

static int
fill_plugins(struct cg_config *cfg, struct cg_schema_ctx *ctx)
{
	const struct cg_cval *inst = get(cfg, "plugins.instances");
	const struct cg_cval *src;

	if (get_list(cfg, "plugins.directories", &cfg->plugins.directories,
	    &cfg->plugins.directory_count) < 0)
		return -1;
	if (inst != NULL && inst->n > 0) {
		cfg->plugins.instances = calloc(inst->n,
		    sizeof(*cfg->plugins.instances));
		if (cfg->plugins.instances == NULL)
			return -1;
	}
	for (size_t i = 0; inst != NULL && i < inst->n; i++) {
		const struct cg_cval *b = &inst->items[i];
		struct cg_instance_config *ic = &cfg->plugins.instances[i];
		const struct cg_cval *p = cg_cval_get(b, "plugin");
		const struct cg_cval *s = cg_cval_get(b, "settings");

		if (!valid_name(b->name))
			return cg_schema_error(ctx, b->line, b->col,
			    "plugins.instances.%s: instance names use a-z, "
			    "0-9, \"_\" and \"-\" only", b->name);
		if (!valid_name(p->str))
			return cg_schema_error(ctx, p->line, p->col,
			    "plugins.instances.%s.plugin: \"%s\" is not a "
			    "plugin name (a-z, 0-9, \"_\", \"-\")", b->name,
			    p->str);
		ic->name = b->name;
		ic->plugin = p->str;
		ic->enabled = (int)cg_cval_get(b, "enabled")->num;
		ic->settings = s != NULL ? s->raw : NULL;
		ic->line = b->line;
		ic->col = b->col;
		ic->plugin_line = p->line;
		ic->plugin_col = p->col;
		cfg->plugins.instance_count++;
	}
	if (get_list(cfg, "rates.sources", &cfg->rates.sources,
	    &cfg->rates.source_count) < 0)
		return -1;
	src = get(cfg, "rates.sources");
	for (size_t i = 0; i < cfg->rates.source_count; i++) {
		const struct cg_instance_config *ic =
		    cg_config_instance(cfg, cfg->rates.sources[i]);

		if (ic == NULL)
			return cg_schema_error(ctx, src->items[i].line,
			    src->items[i].col, "rates.sources.%zu: no plugin "
			    "instance named \"%s\"", i, cfg->rates.sources[i]);
		if (!ic->enabled)
			return cg_schema_error(ctx, src->items[i].line,
			    src->items[i].col, "rates.sources.%zu: plugin "
			    "instance \"%s\" is disabled", i,
			    cfg->rates.sources[i]);
	}
	return 0;
}

static int
config_build(struct cg_config *cfg, char *err, size_t errlen)
{
	struct cg_schema_ctx ctx = { .file = cfg->doc->file,
	    .basedir = cfg->dir, .err = err, .errlen = errlen };

	if ((cfg->tree = calloc(1, sizeof(*cfg->tree))) == NULL)
		goto oom;
	if (cg_schema_validate(&ctx, cfg->doc->root, 1, 1, "", top_keys,
	    sizeof(top_keys) / sizeof(top_keys[0]), sizeof(top_keys[0]),
	    cfg->tree) < 0)
		return -1;
	if (fill_daemon(cfg, &ctx) < 0 || fill_http(cfg, &ctx) < 0 ||
	    fill_control(cfg, &ctx) < 0 || fill_database(cfg, &ctx) < 0)
		goto check;
	fill_numbers(cfg);
	if (fill_plugins(cfg, &ctx) < 0)
		goto check;
	return 0;
check:
	/* Every failure above sets err, except running out of memory. */
	if (err[0] != '\0')
		return -1;
oom:
	snprintf(err, errlen, "%s: out of memory", cfg->doc->file);
	return -1;
}

static int
config_finish(struct cg_config *cfg, const char *path, struct cg_config **out,
    char *err, size_t errlen)
{
	const char *slash;

	if ((slash = strrchr(path, '/')) == NULL)
		cfg->owned_dir = strdup(".");
	else if (slash == path)
		cfg->owned_dir = strdup("/");
	else
		cfg->owned_dir = strndup(path, (size_t)(slash - path));
	if (cfg->owned_dir == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	cfg->dir = cfg->owned_dir;
	cfg->file = cfg->doc->file;
	if (config_build(cfg, err, errlen) < 0)
		goto fail;
	*out = cfg;
	return 0;
fail:
	cg_config_free(cfg);
	return -1;
}

int
cg_config_load(const char *path, struct cg_config **out, char *err,
    size_t errlen)
{
	struct cg_config *cfg;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (cg_yaml_load_file(path, &cfg->doc, err, errlen) < 0) {
		free(cfg);
		return -1;
	}
	return config_finish(cfg, path, out, err, errlen);
}

int
cg_config_load_buffer(const char *name, const char *buf, size_t len,
    struct cg_config **out, char *err, size_t errlen)
{
	struct cg_config *cfg;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if (cg_yaml_load_buffer(name, buf, len, &cfg->doc, err, errlen) < 0) {
		free(cfg);
		return -1;
	}
	return config_finish(cfg, name, out, err, errlen);
}

void
cg_config_free(struct cg_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->http.listen_count; i++)
		free(cfg->http.listen[i].host);
	free(cfg->http.listen);
	free(cfg->http.trusted_proxies);
	free(cfg->rates.sources);
	free(cfg->plugins.directories);
	free(cfg->plugins.instances);
	cg_cval_clear(cfg->tree);
	free(cfg->tree);
	cg_ydoc_free(cfg->doc);
	free(cfg->owned_dir);
	free(cfg->owned_instance_id);
	free(cfg->owned_socket);
	free(cfg);
}

void
cg_config_dump(const struct cg_config *cfg, FILE *f)
{
	cg_cval_dump(cfg->tree, f, 0);
}

const struct cg_instance_config *
cg_config_instance(const struct cg_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->plugins.instance_count; i++)
		if (strcmp(cfg->plugins.instances[i].name, name) == 0)
			return &cfg->plugins.instances[i];
	return NULL;
}

struct diff {
	char *restart, *reload;
	size_t restart_len, reload_len;
	int restarts;
};

static void
note(struct diff *d, int restart, const char *path)
{
	char *buf = restart ? d->restart : d->reload;
	size_t len = restart ? d->restart_len : d->reload_len, used;

	if (restart)
		d->restarts++;
	if (buf == NULL || len == 0)
		return;
	used = strlen(buf);
	if (used + strlen(path) + 3 > len)
		return;
	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", path);
}

static const struct cg_cval *
item(const struct cg_cval *t, const char *name)
{
	for (size_t i = 0; t != NULL && i < t->n; i++)
		if (strcmp(t->items[i].name, name) == 0)
			return &t->items[i];
	return NULL;
}

static void
diff_instances(struct diff *d, const struct cg_cval *a,
    const struct cg_cval *b, const char *path)
{
	char sub[512];

	for (size_t i = 0; a != NULL && i < a->n; i++) {
		const struct cg_cval *x = &a->items[i];
		const struct cg_cval *y = item(b, x->name);

		if (snprintf(sub, sizeof(sub), "%s.%s", path, x->name) >=
		    (int)sizeof(sub))
			continue;
		if (y == NULL || !cg_cval_equal(item(x, "plugin"),
		    item(y, "plugin")) || !cg_cval_equal(item(x, "enabled"),
		    item(y, "enabled")))
			note(d, 1, sub);
		else if (!cg_cval_equal(item(x, "settings"),
		    item(y, "settings"))) {
			if (snprintf(sub, sizeof(sub), "%s.%s.settings", path,
			    x->name) < (int)sizeof(sub))
				note(d, 0, sub);
		}
	}
	for (size_t i = 0; b != NULL && i < b->n; i++) {
		if (item(a, b->items[i].name) != NULL)
			continue;
		if (snprintf(sub, sizeof(sub), "%s.%s", path,
		    b->items[i].name) < (int)sizeof(sub))
			note(d, 1, sub);
	}
}

/* Walks two tables by schema: a change under a key flagged RESTART is a
 * restart change, any other a reload change. */
static void
diff_table(struct diff *d, const struct cg_plugin_key *keys, size_t count,
    const struct cg_cval *a, const struct cg_cval *b, const char *path)
{
	char sub[512];

	for (size_t i = 0; i < count; i++) {
		const struct cg_plugin_key *k = &keys[i];
		const struct cg_cval *x = item(a, k->name);
		const struct cg_cval *y = item(b, k->name);

		if (snprintf(sub, sizeof(sub), "%s%s%s", path,
		    path[0] ? "." : "", k->name) >= (int)sizeof(sub))
			continue;
		if (k->type == CG_KEY_TABLE)
			diff_table(d, k->children, k->child_count, x, y, sub);
		else if (k->type == CG_KEY_MAP)
			diff_instances(d, x, y, sub);
		else if (!cg_cval_equal(x, y) ||
		    (x && y && (x->source == NULL) != (y->source == NULL)) ||
		    (x && y && x->source && strcmp(x->source, y->source)))
			note(d, (k->flags & CG_KEYF_RESTART) != 0, sub);
	}
}

int
cg_config_compare(const struct cg_config *old, const struct cg_config *new,
    char *restart, size_t restart_len, char *reload, size_t reload_len)
{
	struct diff d = { restart, reload, restart_len, reload_len, 0 };

	if (restart_len > 0)
		restart[0] = '\0';
	if (reload_len > 0)
		reload[0] = '\0';
	diff_table(&d, top_keys, sizeof(top_keys) / sizeof(top_keys[0]),
	    old->tree, new->tree, "");
	return d.restarts;
}
