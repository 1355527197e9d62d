/*
 * btc-tool: drives network plugin instances through the real loader, for
 * the integration tests and the benchmark (tests/bitcoin/test_bitcoin.py, bench-scan.py).
 *
 *   btc-tool CONFIG.yaml
 *
 * loads the configuration and its plugin instances, then answers one
 * command per line on stdin. Every answer ends with a line starting with
 * "ok" or "err <negative errno>":
 *
 *   derive INST XPUB INDEX          ok ADDRESS
 *   check INST XPUB                 ok
 *   validate INST ADDRESS           ok CANONICAL
 *   uri INST ADDRESS UNITS|- [LABEL [MESSAGE]]   ok URI
 *   tip INST                        ok HEIGHT
 *   hash INST HEIGHT                ok HASH
 *   watch [ADDRESS...]              ok COUNT   (replaces the watched set)
 *   scan INST FROM PARENT|- MAX MEMPOOL(0|1)
 *       header HEIGHT HASH PARENT|- TIME
 *       transfer FLAGS TXID POS TO AMOUNT HEIGHT HASH|- TIME
 *       ok NEXT TIP CURSOR|-
 *   bench INST FROM COUNT           ok BLOCKS MICROSECONDS TRANSFERS
 *       (scans COUNT blocks one batch of one block at a time)
 *   bufsize N                       ok N   (output buffer of derive,
 *       validate, uri and hash; a short one answers "err -28 NEEDED")
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "plugins/registry.h"

#define MAX_WATCH 100000

static struct cg_plugins *plugins;
static char **watched;
static size_t nwatched;
static uint64_t transfers;
static int quiet;
static size_t out_size = 2048;
static size_t out_len;

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_watched(void *ctx, const char *address)
{
	(void)ctx;
	return bsearch(&address, watched, nwatched, sizeof(*watched),
	    str_cmp) != NULL;
}

static int
watched_each(void *ctx, cg_watched_each_fn fn, void *arg)
{
	size_t i;
	int rc;

	(void)ctx;
	for (i = 0; i < nwatched; i++)
		if ((rc = fn(arg, watched[i])) != 0)
			return rc;
	return 0;
}

static int
on_header(void *ctx, const struct cg_scan_header *h)
{
	(void)ctx;
	if (!quiet)
		printf("header %" PRIu64 " %s %s %" PRId64 "\n", h->height,
		    h->hash, h->parent_hash[0] ? h->parent_hash : "-", h->time);
	return 0;
}

static int
on_transfer(void *ctx, const struct cg_scan_transfer *t)
{
	(void)ctx;
	transfers++;
	if (!quiet)
		printf("transfer %u %s %u %s %s %" PRIu64 " %s %" PRId64 "\n",
		    t->flags, t->tx_hash, t->position, t->to, t->amount,
		    t->block_height, t->block_hash[0] ? t->block_hash : "-",
		    t->block_time);
	return 0;
}

static const struct cg_scan_sink sink = {
	.struct_size = sizeof(struct cg_scan_sink),
	.header = on_header,
	.transfer = on_transfer,
	.is_watched = is_watched,
	.watched_each = watched_each,
};

static int
scan(struct cg_plugin_instance *inst, uint64_t from, const char *parent,
    uint32_t max, uint32_t flags, char *cursor, size_t cursor_size,
    struct cg_scan_result *res)
{
	struct cg_scan_request req;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.max_blocks = max;
	req.from_height = from;
	req.expected_parent = parent;
	req.cursor = "";
	req.flags = flags;
	memset(res, 0, sizeof(*res));
	res->struct_size = sizeof(*res);
	res->cursor = cursor;
	res->cursor_size = cursor_size;
	return cg_plugin_scan(inst, &req, &sink, res);
}

static int
cmd_watch(char **argv, int argc)
{
	int i;

	for (i = 0; i < (int)nwatched; i++)
		free(watched[i]);
	nwatched = 0;
	for (i = 1; i < argc && nwatched < MAX_WATCH; i++)
		watched[nwatched++] = strdup(argv[i]);
	qsort(watched, nwatched, sizeof(*watched), str_cmp);
	printf("ok %zu\n", nwatched);
	return 0;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmd_bench(struct cg_plugin_instance *inst, uint64_t from, uint64_t count)
{
	struct cg_scan_result res;
	char cursor[1024];
	uint64_t h = from;
	int64_t t0 = now_us();
	int rc = 0;

	quiet = 1;
	transfers = 0;
	while (h < from + count) {
		if ((rc = scan(inst, h, "", 1, 0, cursor, sizeof(cursor),
		    &res)) < 0)
			break;
		h = res.next_height;
	}
	quiet = 0;
	if (rc < 0)
		printf("err %d\n", rc);
	else
		printf("ok %" PRIu64 " %" PRId64 " %" PRIu64 "\n", h - from,
		    now_us() - t0, transfers);
	return 0;
}

static void
answer(int rc, const char *text)
{
	if (rc == -ENOSPC)
		printf("err %d %zu\n", rc, out_len);
	else if (rc < 0)
		printf("err %d\n", rc);
	else
		printf("ok %s\n", text);
}

static void
run(char **argv, int argc)
{
	struct cg_plugin_instance *inst;
	struct cg_scan_result res;
	char out[2048], cursor[1024];
	uint64_t h;
	int rc;

	if (strcmp(argv[0], "watch") == 0) {
		cmd_watch(argv, argc);
		return;
	}
	if (strcmp(argv[0], "bufsize") == 0 && argc == 2) {
		out_size = strtoul(argv[1], NULL, 10);
		if (out_size > 2048)
			out_size = 2048;
		printf("ok %zu\n", out_size);
		return;
	}
	if (argc < 2 || (inst = cg_plugins_find(plugins, argv[1],
	    CG_PLUGIN_KIND_NETWORK)) == NULL) {
		printf("err %d\n", -ENOENT);
		return;
	}
	out[0] = '\0';
	out_len = 0;
	if (strcmp(argv[0], "derive") == 0 && argc == 4) {
		answer(cg_plugin_derive_address(inst, argv[2],
		    (uint32_t)strtoul(argv[3], NULL, 10), out, out_size,
		    &out_len), out);
	} else if (strcmp(argv[0], "check") == 0 && argc == 3) {
		answer(cg_plugin_check_xpub(inst, argv[2]), "");
	} else if (strcmp(argv[0], "validate") == 0 && argc == 3) {
		answer(cg_plugin_validate_address(inst, argv[2], out,
		    out_size, &out_len), out);
	} else if (strcmp(argv[0], "uri") == 0 && argc >= 4) {
		struct cg_uri_request req = { .struct_size = sizeof(req),
		    .decimals = 8, .address = argv[2],
		    .amount = strcmp(argv[3], "-") == 0 ? NULL : argv[3],
		    .label = argc > 4 ? argv[4] : NULL,
		    .message = argc > 5 ? argv[5] : NULL };

		answer(cg_plugin_payment_uri(inst, &req, out, out_size,
		    &out_len), out);
	} else if (strcmp(argv[0], "tip") == 0) {
		rc = cg_plugin_tip(inst, &h);
		snprintf(out, sizeof(out), "%" PRIu64, h);
		answer(rc, out);
	} else if (strcmp(argv[0], "hash") == 0 && argc == 3) {
		answer(cg_plugin_block_hash(inst, strtoull(argv[2], NULL, 10),
		    out, out_size, &out_len), out);
	} else if (strcmp(argv[0], "scan") == 0 && argc == 6) {
		rc = scan(inst, strtoull(argv[2], NULL, 10),
		    strcmp(argv[3], "-") == 0 ? "" : argv[3],
		    (uint32_t)strtoul(argv[4], NULL, 10),
		    strcmp(argv[5], "1") == 0 ? CG_SCAN_MEMPOOL : 0, cursor,
		    sizeof(cursor), &res);
		snprintf(out, sizeof(out), "%" PRIu64 " %" PRIu64 " %s",
		    res.next_height, res.tip_height,
		    cursor[0] ? cursor : "-");
		answer(rc, out);
	} else if (strcmp(argv[0], "bench") == 0 && argc == 4) {
		cmd_bench(inst, strtoull(argv[2], NULL, 10),
		    strtoull(argv[3], NULL, 10));
	} else {
		printf("err %d\n", -EINVAL);
	}
}

int
main(int argc, char **argv)
{
	static char line[1 << 20];
	struct cg_config *cfg = NULL;
	char err[2048], *args[4096], *p;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: btc-tool CONFIG.yaml < commands\n");
		return 2;
	}
	if (cg_config_load(argv[1], &cfg, err, sizeof(err)) < 0 ||
	    cg_plugins_load_all(cfg, 0, &plugins, err, sizeof(err)) < 0) {
		printf("err %s\n", err);
		fflush(stdout);
		cg_config_free(cfg);
		return 1;
	}
	if ((watched = calloc(MAX_WATCH, sizeof(*watched))) == NULL)
		return 1;
	printf("ok loaded\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = 0;
		for (p = strtok(line, " \t\r\n"); p != NULL && n < 4096;
		    p = strtok(NULL, " \t\r\n"))
			args[n++] = p;
		if (n > 0)
			run(args, n);
		fflush(stdout);
	}
	while (nwatched > 0)
		free(watched[--nwatched]);
	free(watched);
	cg_plugins_free(plugins);
	cg_config_free(cfg);
	return 0;
}
