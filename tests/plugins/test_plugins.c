/*
 * Plugin loader and ABI checks, against fixture plugins built with only
 * the public header (tests/plugins/oot/). CG_TEST_PLUGIN_DIR names the
 * directory holding them (the meson build, or the out-of-tree build of
 * oot-build.py); CG_TEST_MANUAL_DIR the manual plugin's.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg_build_config.h"
#include "config/config.h"
#include "plugins/registry.h"

static struct cg_config *cfg;
static struct cg_plugins *ps;
static char err[2048];

static void
setup(void)
{
	const char *dir = getenv("CG_TEST_PLUGIN_DIR");
	const char *manual = getenv("CG_TEST_MANUAL_DIR");
	char path[4096];

	cr_assert(dir != NULL && manual != NULL, "test environment not set");
	snprintf(path, sizeof(path), "%s:%s", dir, manual);
	setenv(CG_PLUGIN_PATH_ENV, path, 1);
}

static void
teardown(void)
{
	cg_plugins_free(ps);
	cg_config_free(cfg);
	ps = NULL;
	cfg = NULL;
}

TestSuite(plugins, .init = setup, .fini = teardown);

/* Loads a configuration whose plugins block is body. */
static int
load(const char *body, uint32_t flags)
{
	char text[8192];

	snprintf(text, sizeof(text),
	    "database: {socket: /tmp/db.sock, name: t}\n%s", body);
	if (cg_config_load_buffer("t.yaml", text, strlen(text), &cfg, err,
	    sizeof(err)) < 0)
		cr_assert_fail("config: %s", err);
	return cg_plugins_load_all(cfg, flags, &ps, err, sizeof(err));
}

struct quotes {
	char text[4096];
};

static int
collect(void *ctx, const char *base, const char *quote, const char *price,
    int64_t at)
{
	struct quotes *q = ctx;
	size_t used = strlen(q->text);

	snprintf(q->text + used, sizeof(q->text) - used, "%s/%s=%s;", base,
	    quote, price);
	return 0;
}

static const char probe_block[] =
    "plugins:\n"
    "  instances:\n"
    "    p1:\n"
    "      plugin: probe_rates\n"
    "      settings:\n"
    "        label: first\n"
    "        limit: 7\n"
    "        flag: true\n"
    "        endpoints: [a, b, c]\n"
    "        headers: {X-A: one}\n"
    "        nested: {depth: 2}\n"
    "    p2:\n"
    "      plugin: probe_rates\n"
    "      settings: {label: second}\n";

Test(plugins, one_file_serves_two_instances_with_their_settings)
{
	struct cg_rate_pair pairs[] = { { "PROBE", "INFO" }, { "PROBE", "PRICE" },
	    { "BTC", "USD" } };
	struct quotes q1 = { "" }, q2 = { "" };
	struct cg_plugin_instance *a, *b;

	cr_assert_eq(load(probe_block, 0), 0, "%s", err);
	cr_assert_eq(cg_plugins_count(ps), 2);
	a = cg_plugins_find(ps, "p1", CG_PLUGIN_KIND_RATES);
	b = cg_plugins_find(ps, "p2", 0);
	cr_assert(a != NULL && b != NULL);
	cr_assert_null(cg_plugins_find(ps, "p1", CG_PLUGIN_KIND_NETWORK));
	cr_assert_eq(cg_plugin_rates_fetch(a, pairs, 3, collect, &q1), 0);
	cr_assert_eq(cg_plugin_rates_fetch(b, pairs, 3, collect, &q2), 0);
	cr_assert_str_eq(q1.text, "PROBE/INFO=first/7/1/3/-;PROBE/PRICE=1.5;");
	cr_assert_str_eq(q2.text, "PROBE/INFO=second/10/0/0/-;PROBE/PRICE=1.5;");
	/* Network operations on a rates instance are refused. */
	cr_assert_eq(cg_plugin_tip(a, &(uint64_t){ 0 }), -ENOTSUP);
}

static int
list_one(const struct cg_plugin_info *info, void *arg)
{
	char *out = arg;
	size_t used = strlen(out);

	snprintf(out + used, 512 - used, "%s %s %s %s %u.%u %zu:%s,%s;",
	    info->plugin, info->name, info->kind, info->version,
	    info->abi_major, info->abi_minor, info->instance_count,
	    info->instances[0], info->instance_count > 1 ?
	    info->instances[1] : "");
	return 0;
}

Test(plugins, listing_names_files_kinds_versions_instances)
{
	char out[512] = "";

	cr_assert_eq(load(probe_block, 0), 0, "%s", err);
	cr_assert_eq(cg_plugins_each(ps, list_one, out), 0);
	cr_assert_str_eq(out, "probe_rates probe_rates rates 1.2.3 0.1 2:p1,p2;");
}

Test(plugins, settings_errors_point_into_the_plugin_block)
{
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: probe_rates\n      settings:\n"
	    "        label: x\n        lmit: 3\n", CG_PLUGINS_CHECK_ONLY), -1);
	cr_assert_str_eq(err, "t.yaml:8:9: unknown key "
	    "\"plugins.instances.p1.settings.lmit\"");
	teardown();
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: probe_rates\n      settings:\n"
	    "        label: x\n        limit: 300\n", 0), -1);
	cr_assert_str_eq(err, "t.yaml:8:16: plugins.instances.p1.settings."
	    "limit: 300 is out of range 1..100");
	teardown();
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: probe_rates\n      settings:\n"
	    "        price: 1\n", 0), -1);
	cr_assert_str_eq(err, "t.yaml:5:7: missing required key "
	    "\"plugins.instances.p1.settings.label\"");
	teardown();
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: probe_rates\n      settings:\n"
	    "        label: x\n        token: abc\n", 0), -1);
	cr_assert_str_eq(err, "t.yaml:8:9: plugins.instances.p1.settings.token: "
	    "secrets may not be written inline; use token_file or token_env");
	teardown();
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: probe_rates\n      settings:\n"
	    "        label: x\n        mode: medium\n", 0), -1);
	cr_assert_str_eq(err, "t.yaml:8:15: plugins.instances.p1.settings.mode: "
	    "\"medium\" is not one of fast, slow");
}

Test(plugins, secret_setting_reaches_the_plugin)
{
	setenv("CG_TEST_PROBE_TOKEN", "s3cret", 1);
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: probe_rates\n      settings:\n"
	    "        label: x\n        token_env: CG_TEST_PROBE_TOKEN\n", 0), 0,
	    "%s", err);
	struct cg_rate_pair pair = { "PROBE", "INFO" };
	struct quotes q = { "" };

	cr_assert_eq(cg_plugin_rates_fetch(cg_plugins_find(ps, "p1", 0), &pair,
	    1, collect, &q), 0);
	cr_assert_str_eq(q.text, "PROBE/INFO=x/10/0/0/s3cret;");
}

Test(plugins, missing_plugin_file_is_a_positioned_error)
{
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: nosuch\n", 0), -1);
	const char *want = "t.yaml:5:15: plugins.instances.p1.plugin: no "
	    "plugin file \"nosuch.so\" (searched ";

	cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
	cr_assert(strstr(err, CG_PLUGIN_DIR ")") != NULL, "%s", err);
}

Test(plugins, check_config_covers_plugin_settings)
{
	char path[] = "/tmp/cg-check-XXXXXX";
	const char *text = "database: {socket: /s, name: x}\nplugins:\n"
	    "  instances:\n    m:\n      plugin: manual\n"
	    "      settings: {rates: {BTC: {USD: abc}}}\n";
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(cg_config_check(path, err, sizeof(err)), -1);
	unlink(path);
	cr_assert(strstr(err, ":6:37: plugins.instances.m.settings.rates.BTC."
	    "USD: expected a decimal number") != NULL, "%s", err);
	cr_assert_eq(cg_config_check("/nonexistent.yaml", err, sizeof(err)),
	    -1);
}

Test(plugins, disabled_instances_are_not_loaded)
{
	cr_assert_eq(load("plugins:\n  instances:\n    p1:\n"
	    "      plugin: nosuch\n      enabled: false\n", 0), 0, "%s", err);
	cr_assert_eq(cg_plugins_count(ps), 0);
}

Test(plugins, rates_sources_must_be_rates_instances)
{
	cr_assert_eq(load("rates: {sources: [n]}\nplugins:\n  instances:\n"
	    "    n: {plugin: old_minor}\n", CG_PLUGINS_CHECK_ONLY), -1);
	cr_assert_str_eq(err, "t.yaml: rates.sources.0: plugin instance \"n\" "
	    "is not a rates plugin");
}

/* Loads a refused fixture; checks the error and the one log line. */
static void
expect_refused(const char *plugin, const char *found, const char *reason)
{
	char text[512], want[1024], line[2048];
	FILE *f;
	int lines = 0, seen = 0;

	snprintf(text, sizeof(text), "plugins:\n  instances:\n    r:\n"
	    "      plugin: %s\n", plugin);
	cr_redirect_stderr();
	cr_assert_eq(load(text, 0), -1);
	snprintf(want, sizeof(want), "%s (found ABI %s, expected 0.x)", reason,
	    found);
	cr_assert(strstr(err, want) != NULL, "error: %s", err);
	snprintf(want, sizeof(want), "t.yaml:5:15: plugins.instances.r.plugin: "
	    "plugin /");
	cr_assert(strncmp(err, want, strlen(want)) == 0, "error: %s", err);
	fflush(stderr);
	f = cr_get_redirected_stderr();
	snprintf(want, sizeof(want), "found_abi=%s expected_abi=0.1 "
	    "reason=\"%s\"", found, reason);
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		if (strstr(line, "level=error mod=plugins plugin refused file=")
		    && strstr(line, plugin) && strstr(line, want))
			seen++;
	}
	cr_assert_eq(seen, 1, "log line with %s not found", want);
	cr_assert_eq(lines, 1, "a refusal is one log line, got %d", lines);
}

Test(plugins, another_major_is_refused)
{
	expect_refused("refuse_major", "1.0", "ABI major 1 is not the host's 0");
}

Test(plugins, missing_entry_symbol_is_refused)
{
	expect_refused("refuse_no_entry", "none", "no cg_plugin_entry symbol");
}

Test(plugins, undersized_descriptor_is_refused)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "descriptor of 16 bytes is smaller "
	    "than the minimum %zu", (size_t)CG_PLUGIN_DESCRIPTOR_MIN_SIZE);
	expect_refused("refuse_undersized", "0.1", reason);
}

Test(plugins, unknown_kind_is_refused)
{
	expect_refused("refuse_kind", "0.1", "unknown plugin kind 9");
}

Test(plugins, undersized_ops_are_refused)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "rates ops of 4 bytes are smaller "
	    "than the minimum %zu", (size_t)CG_RATES_OPS_MIN_SIZE);
	expect_refused("refuse_ops", "0.1", reason);
}

Test(plugins, malformed_schema_is_refused)
{
	expect_refused("refuse_schema", "0.1", "config schema: a table or map "
	    "key has malformed children");
}

Test(plugins, older_minor_loads_and_is_never_called_past_its_size)
{
	struct cg_plugin_instance *n;
	struct cg_config *old;
	char out[64], text[512];
	size_t len = 0;
	uint64_t tip = 0;

	cr_assert_eq(load("plugins:\n  instances:\n    n:\n"
	    "      plugin: old_minor\n", 0), 0, "%s", err);
	n = cg_plugins_find(ps, "n", CG_PLUGIN_KIND_NETWORK);
	cr_assert_not_null(n);
	cr_assert_eq(cg_plugin_check_xpub(n, "xpub123"), 0);
	cr_assert_eq(cg_plugin_check_xpub(n, "zzz"), -EINVAL);
	cr_assert_eq(cg_plugin_derive_address(n, "xpub1", 7, out, sizeof(out),
	    &len), 0);
	cr_assert_str_eq(out, "old-7");
	cr_assert_eq(len, 5);
	cr_assert_eq(cg_plugin_derive_address(n, "xpub1", 12345, out, 4, &len),
	    -ENOSPC);
	cr_assert_eq(len, 9);
	cr_assert_eq(cg_plugin_tip(n, &tip), 0);
	cr_assert_eq(tip, 42);
	/* block_hash lies past the ops size it declared: never called. */
	cr_assert_eq(cg_plugin_block_hash(n, 1, out, sizeof(out), &len),
	    -ENOSYS);
	/* A reload must recreate it: reconfigure lies past its size. */
	old = cfg;
	cfg = NULL;
	snprintf(text, sizeof(text), "database: {socket: /tmp/db.sock, name: t}"
	    "\nplugins:\n  instances:\n    n:\n      plugin: old_minor\n"
	    "      settings: {greeting: hello}\n");
	cr_assert_eq(cg_config_load_buffer("t.yaml", text, strlen(text), &cfg,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cg_plugins_reload(ps, cfg, err, sizeof(err)), 1, "%s", err);
	cg_config_free(old);
	cr_assert_eq(cg_plugin_derive_address(n, "xpub1", 1, out, sizeof(out),
	    &len), 0);
}

Test(plugins, reload_applies_changed_settings_only)
{
	struct cg_rate_pair pair = { "PROBE", "INFO" };
	struct quotes q = { "" };
	struct cg_config *old;
	char text[2048];

	cr_assert_eq(load(probe_block, 0), 0, "%s", err);
	old = cfg;
	snprintf(text, sizeof(text), "database: {socket: /tmp/db.sock, name: t}"
	    "\n%s", probe_block);
	*strstr(text, "label: second") = '\0';
	strcat(text, "label: changed}\n");
	cr_assert_eq(cg_config_load_buffer("t.yaml", text, strlen(text), &cfg,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cg_plugins_reload(ps, cfg, err, sizeof(err)), 1, "%s", err);
	cg_config_free(old);
	cr_assert_eq(cg_plugin_rates_fetch(cg_plugins_find(ps, "p2", 0), &pair,
	    1, collect, &q), 0);
	/* Reconfigured in place (the probe marks that with "+r"). */
	cr_assert_str_eq(q.text, "PROBE/INFO=changed+r/10/0/0/-;");
}

Test(plugins, refused_reconfigure_falls_back_to_a_new_instance)
{
	struct cg_rate_pair pair = { "PROBE", "INFO" };
	struct quotes q = { "" };
	struct cg_config *old;
	char text[2048];

	cr_assert_eq(load(probe_block, 0), 0, "%s", err);
	old = cfg;
	snprintf(text, sizeof(text), "database: {socket: /tmp/db.sock, name: t}"
	    "\n%s", probe_block);
	*strstr(text, "label: second") = '\0';
	strcat(text, "label: refuse, limit: 9}\n");
	cr_assert_eq(cg_config_load_buffer("t.yaml", text, strlen(text), &cfg,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cg_plugins_reload(ps, cfg, err, sizeof(err)), 1, "%s", err);
	cg_config_free(old);
	cr_assert_eq(cg_plugin_rates_fetch(cg_plugins_find(ps, "p2", 0), &pair,
	    1, collect, &q), 0);
	cr_assert_str_eq(q.text, "PROBE/INFO=refuse/9/0/0/-;");
}

Test(plugins, instance_failing_to_restart_keeps_its_old_object)
{
	struct cg_rate_pair pair = { "BTC", "USD" };
	struct quotes q = { "" };
	struct cg_config *next;
	const char *text = "database: {socket: /tmp/db.sock, name: t}\n"
	    "plugins:\n  instances:\n    m:\n      plugin: manual\n"
	    "      settings: {rates: {BTC: {USD: \"0.00\"}}}\n";

	cr_assert_eq(load("plugins:\n  instances:\n    m:\n"
	    "      plugin: manual\n      settings: {rates: {BTC: {USD: 5}}}\n",
	    0), 0, "%s", err);
	cr_assert_eq(cg_config_load_buffer("t.yaml", text, strlen(text), &next,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cg_plugins_reload(ps, next, err, sizeof(err)), -1);
	cg_config_free(next);
	cr_assert_str_eq(err, "plugin instance m (manual) failed to start: "
	    "Invalid argument");
	cr_assert_eq(cg_plugin_rates_fetch(cg_plugins_find(ps, "m", 0), &pair,
	    1, collect, &q), 0);
	cr_assert_str_eq(q.text, "BTC/USD=5;");
}

struct hammer {
	struct cg_plugin_instance *inst;
	atomic_int stop;
	atomic_int calls;
	int bad;
};

static int
check_quote(void *ctx, const char *base, const char *quote,
    const char *price, int64_t at)
{
	struct hammer *h = ctx;

	if (strcmp(price, "1") != 0 && strcmp(price, "2") != 0)
		h->bad++;
	return 0;
}

static void *
hammer_fetch(void *arg)
{
	struct hammer *h = arg;
	struct cg_rate_pair pair = { "BTC", "USD" };

	while (!atomic_load(&h->stop)) {
		if (cg_plugin_rates_fetch(h->inst, &pair, 1, check_quote, h) != 0)
			h->bad++;
		atomic_fetch_add(&h->calls, 1);
	}
	return NULL;
}

Test(plugins, reload_while_calls_run)
{
#define RELOAD_FMT "database: {socket: /tmp/db.sock, name: t}\n" \
	    "plugins:\n  instances:\n    m:\n      plugin: manual\n" \
	    "      settings: {rates: {BTC: {USD: \"%d\"}}}\n"
	struct hammer h = { 0 };
	struct cg_config *next;
	char text[512];
	pthread_t t[1];

	snprintf(text, sizeof(text), RELOAD_FMT, 1);
	cr_assert_eq(cg_config_load_buffer("t.yaml", text, strlen(text), &cfg,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cg_plugins_load_all(cfg, 0, &ps, err, sizeof(err)), 0,
	    "%s", err);
	h.inst = cg_plugins_find(ps, "m", 0);
	atomic_init(&h.stop, 0);
	atomic_init(&h.calls, 0);
	pthread_create(&t[0], NULL, hammer_fetch, &h);
	for (int i = 0; i < 40; i++) {
		/* Let calls run between (and during) the reloads. */
		int seen = atomic_load(&h.calls);

		while (atomic_load(&h.calls) == seen)
			sched_yield();
		snprintf(text, sizeof(text), RELOAD_FMT, 2 - i % 2);
		cr_assert_eq(cg_config_load_buffer("t.yaml", text, strlen(text),
		    &next, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(cg_plugins_reload(ps, next, err, sizeof(err)), 1,
		    "%s", err);
		cg_config_free(cfg);
		cfg = next;
	}
	atomic_store(&h.stop, 1);
	pthread_join(t[0], NULL);
	cr_assert(atomic_load(&h.calls) >= 40);
	cr_assert_eq(h.bad, 0);
}

Test(plugins, bad_reload_changes_nothing)
{
	struct cg_rate_pair pair = { "PROBE", "INFO" };
	struct quotes q = { "" };
	struct cg_config *bad;
	const char *text = "database: {socket: /tmp/db.sock, name: t}\n"
	    "plugins:\n  instances:\n    p1:\n      plugin: probe_rates\n"
	    "      settings: {label: ok}\n    p2:\n      plugin: probe_rates\n"
	    "      settings: {label: second, limit: 0}\n";

	cr_assert_eq(load(probe_block, 0), 0, "%s", err);
	cr_assert_eq(cg_config_load_buffer("t.yaml", text, strlen(text), &bad,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cg_plugins_reload(ps, bad, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "t.yaml:9:40: plugins.instances.p2.settings."
	    "limit: 0 is out of range 1..100");
	cg_config_free(bad);
	cr_assert_eq(cg_plugin_rates_fetch(cg_plugins_find(ps, "p1", 0), &pair,
	    1, collect, &q), 0);
	cr_assert_str_eq(q.text, "PROBE/INFO=first/7/1/3/-;");
}

Test(plugins, manual_plugin_quotes_its_fixed_rates)
{
	struct cg_rate_pair pairs[] = { { "BTC", "USD" }, { "USDT", "EUR" },
	    { "BTC", "JPY" }, { "XMR", "USD" } };
	struct quotes q = { "" };

	cr_assert_eq(load("plugins:\n  instances:\n    m:\n"
	    "      plugin: manual\n      settings:\n        rates:\n"
	    "          BTC: {USD: \"67000.5\", EUR: 62000}\n"
	    "          USDT: {USD: \"1\", EUR: \"0.92\"}\n", 0), 0, "%s", err);
	cr_assert_eq(cg_plugin_rates_fetch(cg_plugins_find(ps, "m",
	    CG_PLUGIN_KIND_RATES), pairs, 4, collect, &q), 0);
	cr_assert_str_eq(q.text, "BTC/USD=67000.5;USDT/EUR=0.92;");
}

Test(plugins, manual_plugin_refuses_bad_prices)
{
	cr_assert_eq(load("plugins:\n  instances:\n    m:\n"
	    "      plugin: manual\n      settings:\n        rates:\n"
	    "          BTC: {USD: \"-3\"}\n", 0), -1);
	cr_assert_str_eq(err, "t.yaml:8:22: plugins.instances.m.settings.rates."
	    "BTC.USD: expected a decimal number such as \"1.25\"");
	teardown();
	cr_assert_eq(load("plugins:\n  instances:\n    m:\n"
	    "      plugin: manual\n      settings:\n        rates:\n"
	    "          BTC: {USD: \"0.00\"}\n", 0), -1);
	cr_assert_str_eq(err, "plugin instance m (manual) failed to start: "
	    "Invalid argument");
	teardown();
	cr_assert_eq(load("plugins:\n  instances:\n    m:\n"
	    "      plugin: manual\n", 0), -1);
	cr_assert_str_eq(err, "t.yaml:5:7: missing required key "
	    "\"plugins.instances.m.settings.rates\"");
}

Test(plugins, check_only_creates_nothing)
{
	/* refused.c aborts in create: check-only must not call it, and a
	 * healthy plugin validates. */
	cr_assert_eq(load(probe_block, CG_PLUGINS_CHECK_ONLY), 0, "%s", err);
	cr_assert_eq(cg_plugins_count(ps), 2);
	cr_assert_eq(cg_plugin_rates_fetch(cg_plugins_find(ps, "p1", 0), NULL,
	    0, collect, NULL), -ENODEV);
}
