/*
 * bench-scan: how many blocks per second the tron plugin scans, through
 * the real loader, against the local TronGrid server, with 200 TRC-20
 * transfers per block (all to watched addresses, so every log is decoded,
 * formatted and reported). Not run by meson test.
 *
 *   CG_TEST_TRON_DIR=build/plugins/tron \
 *   CG_TEST_TRONGRID=tests/tron/trongrid.py \
 *   CG_TEST_PYTHON=python3 build/tests/tron/bench-scan [blocks] [transfers]
 *
 * The server renders every block and its transaction info once, when it
 * is mined; serving them is a copy of bytes, so the figure is the
 * plugin's (HTTP, JSON, addresses) rather than Python's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include "plugins/registry.h"
#include "support.h"

#define USDT "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
#define PAYER "TRhVWK5XEDkQBDevcdCWW7RW51aRncty4W"
#define XPUB "xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQc" \
    "koHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd"
#define WATCHED 50

struct counter {
	char addrs[WATCHED][40];
	uint64_t headers;
	uint64_t transfers;
};

static int
count_header(void *ctx, const struct cg_scan_header *h)
{
	((struct counter *)ctx)->headers++;
	return 0;
}

static int
count_transfer(void *ctx, const struct cg_scan_transfer *t)
{
	((struct counter *)ctx)->transfers++;
	return 0;
}

static int
watched(void *ctx, const char *address)
{
	struct counter *c = ctx;

	for (int i = 0; i < WATCHED; i++)
		if (strcmp(c->addrs[i], address) == 0)
			return 1;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds this process used (the plugin's share of the work). */
static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
prepare(struct tg_server *srv, struct tg_plugin *p, struct counter *c,
    int blocks, int transfers)
{
	char settings[512], err[1024], *body, *r;
	size_t used;

	snprintf(settings, sizeof(settings), "{api_urls: "
	    "[\"http://127.0.0.1:%d\"], confirmed_head: latest, "
	    "blocks_per_batch: 100, allow_test_keys: true, "
	    "trc20_contracts: [" USDT "]}", srv->port);
	if (tg_load(p, settings, err, sizeof(err)) < 0) {
		fprintf(stderr, "load: %s\n", err);
		return -1;
	}
	if ((body = malloc(64 * WATCHED + 256)) == NULL)
		return -1;
	used = (size_t)sprintf(body, "{\"blocks\": %d, \"transfers\": %d, "
	    "\"contract\": \"" USDT "\", \"from\": \"" PAYER "\", \"to\": [",
	    blocks, transfers);
	for (uint32_t i = 0; i < WATCHED; i++) {
		if (cg_plugin_derive_address(p->inst, XPUB, i, c->addrs[i],
		    sizeof(c->addrs[i]), NULL) < 0)
			return -1;
		used += (size_t)sprintf(body + used, "%s\"%s\"", i ? "," : "",
		    c->addrs[i]);
	}
	strcpy(body + used, "]}");
	r = tg_control(srv, "bench", body);
	free(body);
	if (r == NULL)
		return -1;
	free(r);
	return 0;
}

int
main(int argc, char **argv)
{
	int blocks = argc > 1 ? atoi(argv[1]) : 200;
	int transfers = argc > 2 ? atoi(argv[2]) : 200;
	struct tg_server srv = { 0 };
	struct tg_plugin p = { 0 };
	struct counter c = { 0 };
	struct cg_scan_sink sink = {
		.struct_size = sizeof(sink), .ctx = &c,
		.header = count_header, .transfer = count_transfer,
		.is_watched = watched,
	};
	char cursor[1024];
	uint64_t h = 1;
	double t0, t1, dt, c0, dc;
	int rc = 1;

	if (blocks < 1 || transfers < 1 || tg_start(&srv, NULL) < 0) {
		fprintf(stderr, "usage: bench-scan [blocks] [transfers] (and "
		    "the CG_TEST_* variables)\n");
		return 2;
	}
	t0 = now_s();
	if (prepare(&srv, &p, &c, blocks, transfers) < 0)
		goto done;
	t1 = now_s();
	fprintf(stderr, "server rendered %d blocks in %.1f s\n", blocks,
	    t1 - t0);
	t0 = now_s();
	c0 = cpu_s();
	while (h <= (uint64_t)blocks) {
		struct cg_scan_request req = {
			.struct_size = sizeof(req), .max_blocks = 100,
			.from_height = h, .expected_parent = "", .cursor = "",
		};
		struct cg_scan_result res = {
			.struct_size = sizeof(res), .cursor = cursor,
			.cursor_size = sizeof(cursor),
		};
		int r = cg_plugin_scan(p.inst, &req, &sink, &res);

		if (r < 0) {
			fprintf(stderr, "scan from %llu: %s\n",
			    (unsigned long long)h, strerror(-r));
			goto done;
		}
		h = res.next_height;
	}
	dt = now_s() - t0;
	dc = cpu_s() - c0;
	if (c.transfers != (uint64_t)blocks * (uint64_t)transfers) {
		fprintf(stderr, "expected %llu transfers, got %llu\n",
		    (unsigned long long)blocks * (unsigned long long)transfers,
		    (unsigned long long)c.transfers);
		goto done;
	}
	printf("tron scan: %llu blocks, %llu TRC-20 transfers in %.3f s: "
	    "%.1f blocks/s, %.0f transfers/s; plugin CPU %.3f s "
	    "(%.1f blocks per CPU second)\n",
	    (unsigned long long)c.headers, (unsigned long long)c.transfers,
	    dt, (double)c.headers / dt, (double)c.transfers / dt, dc,
	    (double)c.headers / dc);
	rc = 0;
done:
	tg_unload(&p);
	tg_stop(&srv);
	return rc;
}
