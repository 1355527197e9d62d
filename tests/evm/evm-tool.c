/*
 * evm-tool: drives one instance of the evm plugin through the daemon's
 * real plugin loader, for the tests and the benchmark (test_evm.py,
 * bench-scan). The plugin directory comes from CRYPTIC_GATEWAY_PLUGIN_PATH.
 *
 *   evm-tool CONFIG INSTANCE derive XPUB INDEX
 *   evm-tool CONFIG INSTANCE validate ADDRESS
 *   evm-tool CONFIG INSTANCE check-xpub XPUB
 *   evm-tool CONFIG INSTANCE uri ADDRESS AMOUNT [CONTRACT]
 *   evm-tool CONFIG INSTANCE tip
 *   evm-tool CONFIG INSTANCE block-hash HEIGHT
 *   evm-tool CONFIG INSTANCE scan FROM MAX WATCHFILE [CONTRACT...]
 *   evm-tool CONFIG INSTANCE scan-all FROM TO WATCHFILE [CONTRACT...]
 *
 * Prints one line per result ("header ...", "transfer ...", "result ...",
 * "ok VALUE"), or "rc=N" (a negative errno) and exits 1. WATCHFILE holds
 * one watched address per line, in canonical (EIP-55) form. With
 * EVM_TOOL_SINK_FAIL=N the sink refuses its Nth report (-ECANCELED).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "plugins/registry.h"
#include "util/clock.h"
#include "util/log.h"

struct watch {
	char **addr;
	size_t n;
	int quiet;
	uint64_t fail_at;	/* EVM_TOOL_SINK_FAIL: refuse the Nth report */
	uint64_t headers, transfers;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_watch(const char *path, struct watch *w)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		char **grown;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if ((grown = realloc(w->addr, (w->n + 1) * sizeof(*grown))) ==
		    NULL) {
			fclose(f);
			return -ENOMEM;
		}
		w->addr = grown;
		if ((grown[w->n] = strdup(line)) == NULL) {
			fclose(f);
			return -ENOMEM;
		}
		w->n++;
	}
	fclose(f);
	qsort(w->addr, w->n, sizeof(*w->addr), cmp_str);
	return 0;
}

static int
is_watched(void *ctx, const char *address)
{
	struct watch *w = ctx;

	return bsearch(&address, w->addr, w->n, sizeof(*w->addr), cmp_str) !=
	    NULL;
}

static int
on_header(void *ctx, const struct cg_scan_header *h)
{
	struct watch *w = ctx;

	if (w->fail_at != 0 && w->headers + w->transfers + 1 == w->fail_at)
		return -ECANCELED;
	w->headers++;
	if (!w->quiet)
		printf("header %" PRIu64 " %s %s %" PRId64 "\n", h->height,
		    h->hash, h->parent_hash, h->time);
	return 0;
}

static int
on_transfer(void *ctx, const struct cg_scan_transfer *t)
{
	struct watch *w = ctx;

	if (w->fail_at != 0 && w->headers + w->transfers + 1 == w->fail_at)
		return -ECANCELED;
	w->transfers++;
	if (!w->quiet)
		printf("transfer %s %u %s %s %s %s %u %" PRIu64 " %s %" PRId64
		    "\n", t->tx_hash, t->position, t->from, t->to,
		    t->contract[0] ? t->contract : "-",
		    t->amount[0] ? t->amount : "-", t->flags, t->block_height,
		    t->block_hash, t->block_time);
	return 0;
}

static int
scan(struct cg_plugin_instance *inst, struct watch *w, uint64_t from,
    uint32_t max, const char *const *contracts, uint32_t ncontracts,
    struct cg_scan_result *res)
{
	static char cursor[1024];
	struct cg_scan_request req = {
		.struct_size = sizeof(req), .max_blocks = max,
		.from_height = from, .expected_parent = "", .cursor = "",
		.contracts = contracts, .contract_count = ncontracts };
	struct cg_scan_sink sink = {
		.struct_size = sizeof(sink), .ctx = w, .header = on_header,
		.transfer = on_transfer, .is_watched = is_watched };

	memset(res, 0, sizeof(*res));
	res->struct_size = sizeof(*res);
	res->cursor = cursor;
	res->cursor_size = sizeof(cursor);
	return cg_plugin_scan(inst, &req, &sink, res);
}

/* Scans [from, to] in batches and prints the rate (benchmark). */
static int
scan_all(struct cg_plugin_instance *inst, struct watch *w, uint64_t from,
    uint64_t to, const char *const *contracts, uint32_t ncontracts)
{
	struct cg_scan_result res;
	int64_t t0 = cg_mono_us(), us;
	int rc;

	w->quiet = 1;
	while (from <= to) {
		if ((rc = scan(inst, w, from, 1000, contracts, ncontracts,
		    &res)) < 0)
			return rc;
		from = res.next_height;
	}
	us = cg_mono_us() - t0;
	if (us < 1)
		us = 1;
	printf("blocks=%" PRIu64 " transfers=%" PRIu64 " us=%" PRId64
	    " blocks_per_s=%" PRId64 "\n", w->headers, w->transfers, us,
	    (int64_t)w->headers * 1000000 / us);
	return 0;
}

static int
run(struct cg_plugin_instance *inst, int argc, char **argv)
{
	const char *cmd = argv[0];
	char out[1024];
	size_t len = 0;
	uint64_t h;
	int rc;

	if (strcmp(cmd, "derive") == 0 && argc == 3)
		rc = cg_plugin_derive_address(inst, argv[1],
		    (uint32_t)strtoul(argv[2], NULL, 10), out, sizeof(out),
		    &len);
	else if (strcmp(cmd, "validate") == 0 && argc == 2)
		rc = cg_plugin_validate_address(inst, argv[1], out,
		    sizeof(out), &len);
	else if (strcmp(cmd, "check-xpub") == 0 && argc == 2) {
		rc = cg_plugin_check_xpub(inst, argv[1]);
		snprintf(out, sizeof(out), "valid");
	} else if (strcmp(cmd, "uri") == 0 && (argc == 3 || argc == 4)) {
		struct cg_uri_request req = { .struct_size = sizeof(req),
		    .decimals = 18, .address = argv[1], .amount = argv[2],
		    .contract = argc == 4 ? argv[3] : NULL };

		rc = cg_plugin_payment_uri(inst, &req, out, sizeof(out), &len);
	} else if (strcmp(cmd, "tip") == 0 && argc == 1) {
		if ((rc = cg_plugin_tip(inst, &h)) == 0)
			snprintf(out, sizeof(out), "%" PRIu64, h);
	} else if (strcmp(cmd, "block-hash") == 0 && argc == 2)
		rc = cg_plugin_block_hash(inst, strtoull(argv[1], NULL, 10),
		    out, sizeof(out), &len);
	else if ((strcmp(cmd, "scan") == 0 || strcmp(cmd, "scan-all") == 0) &&
	    argc >= 4) {
		struct watch w = { 0 };
		struct cg_scan_result res;

		if ((rc = load_watch(argv[3], &w)) < 0)
			goto free_watch;
		if (getenv("EVM_TOOL_SINK_FAIL") != NULL)
			w.fail_at = strtoull(getenv("EVM_TOOL_SINK_FAIL"),
			    NULL, 10);
		if (strcmp(cmd, "scan-all") == 0) {
			rc = scan_all(inst, &w, strtoull(argv[1], NULL, 10),
			    strtoull(argv[2], NULL, 10),
			    (const char *const *)argv + 4, (uint32_t)argc - 4);
			goto free_watch;
		}
		rc = scan(inst, &w, strtoull(argv[1], NULL, 10),
		    (uint32_t)strtoul(argv[2], NULL, 10),
		    (const char *const *)argv + 4, (uint32_t)argc - 4, &res);
		if (rc == 0)
			printf("result %" PRIu64 " %" PRIu64 "\n",
			    res.next_height, res.tip_height);
free_watch:
		for (size_t i = 0; i < w.n; i++)
			free(w.addr[i]);
		free(w.addr);
		return rc;
	} else {
		fprintf(stderr, "evm-tool: unknown command or arguments\n");
		return -EINVAL;
	}
	if (rc == 0)
		printf("ok %s\n", out);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cg_config *cfg = NULL;
	struct cg_plugins *ps = NULL;
	struct cg_plugin_instance *inst;
	char err[2048];
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: evm-tool CONFIG INSTANCE COMMAND ...\n");
		return 2;
	}
	if (getenv("EVM_TOOL_DEBUG") != NULL)
		cg_log_set_level(CG_LOG_DEBUG);
	if (cg_config_load(argv[1], &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		printf("config-error %s\n", err);
		return 1;
	}
	if (cg_plugins_load_all(cfg, 0, &ps, err, sizeof(err)) < 0) {
		printf("load-error %s\n", err);
		cg_config_free(cfg);
		return 1;
	}
	if ((inst = cg_plugins_find(ps, argv[2], CG_PLUGIN_KIND_NETWORK)) ==
	    NULL) {
		printf("no-instance %s\n", argv[2]);
		rc = -ENOENT;
	} else
		rc = run(inst, argc - 3, argv + 3);
	if (rc < 0)
		printf("rc=%d\n", rc);
	fflush(stdout);
	cg_plugins_free(ps);
	cg_config_free(cfg);
	return rc < 0 ? 1 : 0;
}
