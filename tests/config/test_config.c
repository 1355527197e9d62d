/*
 * The daemon's configuration: exact FILE:LINE:COLUMN messages for every
 * error class, defaults, secrets, redaction, reload classification, and
 * the two example files.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/log.h"

#define DB "database: {socket: /tmp/db.sock, name: gw}\n"

static struct cg_config *cfg;
static char err[2048];

static void
teardown(void)
{
	cg_config_free(cfg);
	cfg = NULL;
}

TestSuite(config, .fini = teardown);

static int
load(const char *text)
{
	cg_config_free(cfg);
	cfg = NULL;
	return cg_config_load_buffer("gw.yaml", text, strlen(text), &cfg, err,
	    sizeof(err));
}

/* The load must fail with exactly this message. */
static void
refused(const char *text, const char *message)
{
	cr_assert_eq(load(text), -1, "accepted:\n%s", text);
	cr_assert_null(cfg);
	cr_assert_str_eq(err, message);
}

Test(config, defaults)
{
	cr_assert_eq(load(DB), 0, "%s", err);
	cr_assert_eq(cfg->daemon.log_level, CG_LOG_INFO);
	cr_assert_eq(cfg->daemon.shutdown_timeout_s, 10);
	cr_assert_eq(cfg->daemon.development, 0);
	cr_assert_eq(cfg->daemon.test_clock, 0);
	cr_assert_null(cfg->daemon.master_key.value);
	cr_assert_str_eq(cfg->daemon.state_dir, "/var/lib/cryptic-gateway");
	cr_assert(strchr(cfg->daemon.instance_id, ':') != NULL);
	cr_assert_eq(cfg->http.listen_count, 1);
	cr_assert_str_eq(cfg->http.listen[0].host, "127.0.0.1");
	cr_assert_eq(cfg->http.listen[0].port, 8080);
	cr_assert_null(cfg->http.public_url);
	cr_assert_eq(cfg->http.max_body_bytes, 1048576);
	cr_assert_eq(cfg->http.max_connections, 10000);
	cr_assert_eq(cfg->http.trusted_proxy_count, 0);
	cr_assert_str_eq(cfg->control.socket, "/run/cryptic-gateway/control.sock");
	cr_assert_null(cfg->control.group);
	cr_assert_eq(cfg->control.mode, 0660);
	cr_assert_str_eq(cfg->database.socket, "/tmp/db.sock");
	cr_assert_null(cfg->database.host);
	cr_assert_str_eq(cfg->database.name, "gw");
	cr_assert_str_eq(cfg->database.user, "cryptic");
	cr_assert_null(cfg->database.password.value);
	cr_assert_eq(cfg->database.lock_wait_timeout_s, 5);
	cr_assert_eq(cfg->database.slow_query_ms, 500);
	cr_assert_eq(cfg->workers.api, 4);
	cr_assert_eq(cfg->workers.scan, 2);
	cr_assert_eq(cfg->workers.hash, 1);
	cr_assert_eq(cfg->workers.webhook, 4);
	cr_assert_eq(cfg->rates.max_age_s, 900);
	cr_assert_eq(cfg->rates.source_count, 0);
	cr_assert_eq(cfg->webhooks.allow_private_targets, 0);
	cr_assert_eq(cfg->plugins.instance_count, 0);
	cr_assert_eq(cfg->plugins.directory_count, 0);
}

Test(config, values_override_defaults)
{
	cr_assert_eq(load(DB "daemon: {log_level: debug, instance_id: gw1, "
	    "state_dir: /srv/gw}\n"
	    "http:\n  listen: [\"0.0.0.0:80\", \"[::1]:8443\"]\n"
	    "  public_url: https://pay.example.com\n  max_connections: 5\n"
	    "control: {socket: ctl.sock, group: wheel, mode: \"0600\"}\n"
	    "workers: {api: 8}\n"
	    "webhooks: {allow_private_targets: true}\n"), 0, "%s", err);
	cr_assert_eq(cfg->daemon.log_level, CG_LOG_DEBUG);
	cr_assert_str_eq(cfg->daemon.instance_id, "gw1");
	cr_assert_eq(cfg->http.listen_count, 2);
	cr_assert_str_eq(cfg->http.listen[1].host, "::1");
	cr_assert_eq(cfg->http.listen[1].port, 8443);
	cr_assert_str_eq(cfg->http.public_url, "https://pay.example.com");
	cr_assert_eq(cfg->http.max_connections, 5);
	cr_assert_str_eq(cfg->control.socket, "/srv/gw/ctl.sock");
	cr_assert_str_eq(cfg->control.group, "wheel");
	cr_assert_eq(cfg->control.mode, 0600);
	cr_assert_eq(cfg->workers.api, 8);
	cr_assert_eq(cfg->http.trusted_proxy_count, 0);
	cr_assert_eq(cfg->webhooks.allow_private_targets, 1);
}

Test(config, yaml_syntax_errors)
{
	refused("daemon: [\n", "gw.yaml:2:1: YAML syntax error: did not find "
	    "expected node content while parsing a flow node");
	refused("a: b: c\n", "gw.yaml:1:5: YAML syntax error: mapping values "
	    "are not allowed in this context");
	refused("a: 1\n---\nb: 2\n", "gw.yaml:2:1: only one YAML document is "
	    "allowed");
	refused("a: \"x\\0y\"\n", "gw.yaml:1:4: NUL character in a scalar");
}

Test(config, duplicate_keys_and_aliases_are_refused)
{
	refused(DB "http:\n  max_connections: 1\n  max_connections: 2\n",
	    "gw.yaml:4:3: duplicate key \"max_connections\" (first at line 3)");
	refused(DB "http: &h {max_connections: 1}\nx: *h\n",
	    "gw.yaml:2:7: YAML anchors and aliases are not supported");
	refused(DB "http: {max_connections: *n}\n",
	    "gw.yaml:2:25: YAML anchors and aliases are not supported");
}

Test(config, unknown_keys)
{
	refused(DB "htttp: {}\n", "gw.yaml:2:1: unknown key \"htttp\"");
	refused(DB "http:\n  listen: [\"1.2.3.4:5\"]\n  max_conections: 3\n",
	    "gw.yaml:4:3: unknown key \"http.max_conections\"");
	refused(DB "plugins:\n  instances:\n    r: {plugin: manual, "
	    "enable: true}\n", "gw.yaml:4:25: unknown key "
	    "\"plugins.instances.r.enable\"");
}

Test(config, wrong_types)
{
	refused(DB "http: {max_connections: many}\n",
	    "gw.yaml:2:25: http.max_connections: expected an integer");
	refused(DB "http: {max_connections: \"5\"}\n",
	    "gw.yaml:2:25: http.max_connections: expected an integer");
	refused(DB "daemon: {development: yes}\n",
	    "gw.yaml:2:23: daemon.development: expected true or false");
	refused(DB "http: {listen: \"127.0.0.1:80\"}\n",
	    "gw.yaml:2:16: http.listen: expected a list of strings");
	refused(DB "http: [1, 2]\n", "gw.yaml:2:7: http: expected a mapping");
	refused(DB "http: {public_url: {a: b}}\n",
	    "gw.yaml:2:20: http.public_url: expected a string");
	refused("- a\n- b\n", "gw.yaml:1:1: expected a mapping");
}

Test(config, out_of_range)
{
	refused(DB "http: {max_connections: 0}\n",
	    "gw.yaml:2:25: http.max_connections: 0 is out of range 1..1000000");
	refused(DB "workers: {api: 99999999999999999999}\n",
	    "gw.yaml:2:16: workers.api: 99999999999999999999 is out of range "
	    "1..256");
	refused(DB "daemon: {instance_id: \"\"}\n",
	    "gw.yaml:2:23: daemon.instance_id: length 0 is out of range 1..64");
	refused(DB "http: {listen: []}\n",
	    "gw.yaml:2:16: http.listen: item count 0 is out of range 1..16");
}

Test(config, enums_and_semantic_checks)
{
	refused(DB "daemon: {log_level: loud}\n", "gw.yaml:2:21: "
	    "daemon.log_level: \"loud\" is not one of error, warn, info, debug");
	refused(DB "daemon: {test_clock: true}\n", "gw.yaml:2:22: "
	    "daemon.test_clock: only allowed when daemon.development is true");
	refused(DB "http: {listen: [\"localhost\"]}\n", "gw.yaml:2:17: "
	    "http.listen.0: \"localhost\" is not HOST:PORT");
	refused(DB "http: {listen: [\"a:1\", \"b:70000\"]}\n", "gw.yaml:2:24: "
	    "http.listen.1: \"b:70000\" is not HOST:PORT");
	refused(DB "http: {public_url: ftp://example.com}\n", "gw.yaml:2:20: "
	    "http.public_url: \"ftp://example.com\" is not an http:// or "
	    "https:// URL");
	refused(DB "http: {trusted_proxies: [10.0.0.0/8, \"::1\", 10.1/33]}"
	    "\n", "gw.yaml:2:45: http.trusted_proxies.2: \"10.1/33\" is not an "
	    "IP address or CIDR range");
	refused(DB "http: {trusted_proxies: [\"2001:db8::/129\"]}\n",
	    "gw.yaml:2:26: http.trusted_proxies.0: \"2001:db8::/129\" is not "
	    "an IP address or CIDR range");
	refused(DB "control: {mode: \"0999\"}\n", "gw.yaml:2:17: control.mode: "
	    "\"0999\" is not an octal file mode such as 0660");
	refused(DB "daemon: {state_dir: relative}\n", "gw.yaml:2:21: "
	    "daemon.state_dir: must be an absolute path, not \"relative\"");
	refused("database: {socket: /s, host: h, name: x}\n", "gw.yaml:1:11: "
	    "database: give exactly one of \"socket\" and \"host\"");
	refused("database: {name: x}\n", "gw.yaml:1:11: database: give "
	    "exactly one of \"socket\" and \"host\"");
}

Test(config, missing_required_keys)
{
	refused("http: {}\n", "gw.yaml:1:1: missing required key \"database\"");
	refused("", "gw.yaml:1:1: missing required key \"database\"");
	refused("database: {socket: /s}\n", "gw.yaml:1:11: missing required "
	    "key \"database.name\"");
	refused("database: {socket: /s, name: }\n", "gw.yaml:1:24: "
	    "database.name: a value is required");
	refused(DB "plugins:\n  instances:\n    r: {enabled: true}\n",
	    "gw.yaml:4:8: missing required key \"plugins.instances.r.plugin\"");
}

Test(config, plugin_block_shape)
{
	refused(DB "plugins:\n  instances:\n    Bad.Name: {plugin: manual}\n",
	    "gw.yaml:4:5: plugins.instances: \"Bad.Name\" is not a valid name "
	    "(empty or contains \".\")");
	refused(DB "plugins:\n  instances:\n    Rates: {plugin: manual}\n",
	    "gw.yaml:4:12: plugins.instances.Rates: instance names use a-z, "
	    "0-9, \"_\" and \"-\" only");
	refused(DB "plugins:\n  instances:\n    r: {plugin: ../evil}\n",
	    "gw.yaml:4:17: plugins.instances.r.plugin: \"../evil\" is not a "
	    "plugin name (a-z, 0-9, \"_\", \"-\")");
	refused(DB "plugins:\n  instances:\n    r: {plugin: manual, settings: "
	    "[1]}\n", "gw.yaml:4:35: plugins.instances.r.settings: expected a "
	    "mapping");
	refused(DB "rates: {sources: [nope]}\n", "gw.yaml:2:19: "
	    "rates.sources.0: no plugin instance named \"nope\"");
	refused(DB "rates: {sources: [r]}\nplugins:\n  instances:\n"
	    "    r: {plugin: manual, enabled: false}\n", "gw.yaml:2:19: "
	    "rates.sources.0: plugin instance \"r\" is disabled");
	cr_assert_eq(load(DB "rates: {sources: [r]}\nplugins:\n  instances:\n"
	    "    r:\n      plugin: manual\n      settings: {rates: {}}\n"), 0,
	    "%s", err);
	cr_assert_eq(cfg->plugins.instance_count, 1);
	cr_assert_str_eq(cfg->plugins.instances[0].name, "r");
	cr_assert_str_eq(cfg->plugins.instances[0].plugin, "manual");
	cr_assert_eq(cfg->plugins.instances[0].enabled, 1);
	cr_assert_not_null(cfg->plugins.instances[0].settings);
	cr_assert_eq(cfg->plugins.instances[0].line, 6);
	cr_assert_eq(cfg->plugins.instances[0].plugin_line, 6);
	cr_assert_eq(cfg->plugins.instances[0].plugin_col, 15);
	cr_assert_not_null(cg_config_instance(cfg, "r"));
	cr_assert_null(cg_config_instance(cfg, "x"));
}

static char *
temp_file(const char *content)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/cg-test-secret-XXXXXX");
	cr_assert((fd = mkstemp(path)) >= 0);
	cr_assert_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
	return path;
}

Test(config, secrets_from_file_and_env)
{
	char text[512], *path = temp_file("hunter2\n");

	snprintf(text, sizeof(text), "database: {socket: /s, name: x, "
	    "password_file: %s}\ndaemon: {master_key_env: CG_TEST_MK}\n", path);
	setenv("CG_TEST_MK", "0123456789abcdef", 1);
	cr_assert_eq(load(text), 0, "%s", err);
	unlink(path);
	cr_assert_str_eq(cfg->database.password.value, "hunter2");
	cr_assert_eq(cfg->database.password.len, 7);
	cr_assert(strncmp(cfg->database.password.source, "file /tmp/", 10) == 0);
	cr_assert_str_eq(cfg->daemon.master_key.value, "0123456789abcdef");
	cr_assert_str_eq(cfg->daemon.master_key.source, "env CG_TEST_MK");
}

Test(config, secret_errors)
{
	refused("database: {socket: /s, name: x, password: pw}\n",
	    "gw.yaml:1:33: database.password: secrets may not be written "
	    "inline; use password_file or password_env");
	refused("database: {socket: /s, name: x, password_file: /nonexistent/p}"
	    "\n", "gw.yaml:1:48: database.password_file: cannot read "
	    "\"/nonexistent/p\": No such file or directory");
	unsetenv("CG_TEST_UNSET");
	refused("database: {socket: /s, name: x, password_env: CG_TEST_UNSET}\n",
	    "gw.yaml:1:47: database.password_env: environment variable "
	    "\"CG_TEST_UNSET\" is not set");
	setenv("CG_TEST_PW", "x", 1);
	refused("database: {socket: /s, name: x, password_env: CG_TEST_PW, "
	    "password_file: /p}\n", "gw.yaml:1:59: database.password: give "
	    "only one of \"password_env\" and \"password_file\"");
	refused("database: {socket: /s, name: x, password_file: /dev/null}\n",
	    "gw.yaml:1:48: database.password_file: \"/dev/null\" is not a "
	    "regular file");
	char text[256], *path = temp_file("\n");

	snprintf(text, sizeof(text), "database: {socket: /s, name: x, "
	    "password_file: %s}\n", path);
	cr_assert_eq(load(text), -1);
	unlink(path);
	cr_assert(strstr(err, "\" is empty") != NULL, "%s", err);
}

Test(config, plain_values_from_the_environment)
{
	setenv("CG_TEST_SOCK", "/run/test/db.sock", 1);
	setenv("CG_TEST_STATE", "/srv/state", 1);
	cr_assert_eq(load("database: {socket_env: CG_TEST_SOCK, name: x}\n"
	    "daemon: {state_dir_env: CG_TEST_STATE}\ncontrol: {socket: c.sock}"
	    "\n"), 0, "%s", err);
	cr_assert_str_eq(cfg->database.socket, "/run/test/db.sock");
	cr_assert_str_eq(cfg->control.socket, "/srv/state/c.sock");
	refused("database: {socket_env: CG_TEST_SOCK, name: x}\n"
	    "http: {public_url_env: X}\n", "gw.yaml:2:8: unknown key "
	    "\"http.public_url_env\"");
}

Test(config, dump_redacts_secrets)
{
	char text[512], *path = temp_file("hunter2\n"), *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(text, sizeof(text), "database: {socket: /s, name: x, "
	    "password_file: %s}\ndaemon: {master_key_env: CG_TEST_MK2}\n", path);
	setenv("CG_TEST_MK2", "topsecretkey", 1);
	cr_assert_eq(load(text), 0, "%s", err);
	unlink(path);
	f = open_memstream(&buf, &len);
	cg_config_dump(cfg, f);
	fclose(f);
	cr_assert(strstr(buf, "hunter2") == NULL, "%s", buf);
	cr_assert(strstr(buf, "topsecretkey") == NULL, "%s", buf);
	cr_assert(strstr(buf, "  password_file: \"/tmp/cg-test-secret-") != NULL,
	    "%s", buf);
	cr_assert(strstr(buf, "  master_key_env: \"CG_TEST_MK2\"\n") != NULL,
	    "%s", buf);
	cr_assert(strstr(buf, "  max_connections: 10000\n") != NULL, "%s", buf);
	free(buf);
}

Test(config, compare_sorts_restart_and_reload_keys)
{
	struct cg_config *a;
	char restart[512], reload[512];
	const char *base = DB "http: {listen: [\"127.0.0.1:1\"], "
	    "max_connections: 5}\ndaemon: {log_level: info}\n"
	    "plugins:\n  instances:\n"
	    "    r: {plugin: manual, settings: {rates: {BTC: {USD: 1}}}}\n"
	    "    s: {plugin: manual}\n";

	cr_assert_eq(load(base), 0, "%s", err);
	a = cfg;
	cfg = NULL;
	cr_assert_eq(load(base), 0, "%s", err);
	cr_assert_eq(cg_config_compare(a, cfg, restart, sizeof(restart), reload,
	    sizeof(reload)), 0);
	cr_assert_str_eq(restart, "");
	cr_assert_str_eq(reload, "");
	cr_assert_eq(load("database: {socket: /tmp/other.sock, name: gw}\n"
	    "http: {listen: [\"127.0.0.1:2\"], max_connections: 6}\n"
	    "daemon: {log_level: debug}\nworkers: {api: 5}\n"
	    "plugins:\n  instances:\n"
	    "    r: {plugin: manual, settings: {rates: {BTC: {USD: 2}}}}\n"
	    "    t: {plugin: manual}\n"), 0, "%s", err);
	cr_assert_eq(cg_config_compare(a, cfg, restart, sizeof(restart), reload,
	    sizeof(reload)), 5);
	cr_assert_str_eq(restart, "http.listen, database.socket, workers.api, "
	    "plugins.instances.s, plugins.instances.t");
	cr_assert_str_eq(reload, "daemon.log_level, http.max_connections, "
	    "plugins.instances.r.settings");
	cg_config_free(a);
}

Test(config, example_files_validate)
{
	char path[4096];
	const char *src = getenv("CG_TEST_SOURCE_ROOT");

	cr_assert_not_null(src);
	setenv("CG_STATE_DIR", "/tmp/cg-state", 1);
	setenv("CG_DB_SOCKET", "/tmp/cg-db.sock", 1);
	snprintf(path, sizeof(path), "%s/etc/cryptic-gateway.dev.yaml", src);
	cr_assert_eq(cg_config_load(path, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg->daemon.development, 1);
	cr_assert_eq(cfg->daemon.test_clock, 1);
	cr_assert_eq(cfg->daemon.master_key.len, 64);
	cr_assert_str_eq(cfg->control.socket, "/tmp/cg-state/control.sock");
	cr_assert_str_eq(cfg->database.socket, "/tmp/cg-db.sock");
	cr_assert_eq(cfg->webhooks.allow_private_targets, 1);
	cr_assert_eq(cfg->rates.source_count, 1);
	cr_assert_str_eq(cfg->rates.sources[0], "fixed");
	teardown();

	/* The production example names secrets under /etc: point them at
	 * temporary files and validate everything else as written. */
	FILE *f;
	char *text = NULL, *p, dir[] = "/tmp/cg-etc-XXXXXX", file[512];
	size_t len = 0, n;
	long size;

	snprintf(path, sizeof(path), "%s/etc/cryptic-gateway.yaml", src);
	cr_assert((f = fopen(path, "r")) != NULL);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size * 2 + 1);
	n = fread(text, 1, (size_t)size, f);
	fclose(f);
	cr_assert_eq(n, (size_t)size);
	cr_assert_not_null(mkdtemp(dir));
	while ((p = strstr(text, "/etc/cryptic-gateway/")) != NULL) {
		len = strlen(dir);
		memmove(p + len + 1, p + 21, strlen(p + 21) + 1);
		memcpy(p, dir, len);
		p[len] = '/';
	}
	snprintf(file, sizeof(file), "%s/master.key", dir);
	f = fopen(file, "w");
	fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
	    f);
	fclose(f);
	snprintf(file, sizeof(file), "%s/db-password", dir);
	f = fopen(file, "w");
	fputs("pw\n", f);
	fclose(f);
	cr_assert_eq(load(text), 0, "%s", err);
	cr_assert_eq(cfg->daemon.development, 0);
	cr_assert_str_eq(cfg->database.password.value, "pw");
	cr_assert_str_eq(cfg->http.public_url, "https://pay.example.com");
	/* The rates instance runs; the network examples wait, disabled,
	 * for their nodes. */
	cr_assert_eq(cfg->plugins.instance_count, 7);
	n = 0;
	for (size_t i = 0; i < cfg->plugins.instance_count; i++)
		n += cfg->plugins.instances[i].enabled ? 1 : 0;
	cr_assert_eq(n, 1);
	snprintf(file, sizeof(file), "%s/master.key", dir);
	unlink(file);
	snprintf(file, sizeof(file), "%s/db-password", dir);
	unlink(file);
	rmdir(dir);
	free(text);
}

Test(config, file_errors)
{
	cr_assert_eq(cg_config_load("/nonexistent/gw.yaml", &cfg, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "/nonexistent/gw.yaml: cannot open: No such file "
	    "or directory");
}
