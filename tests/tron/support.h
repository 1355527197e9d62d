/*
 * TEST SUPPORT for the tron plugin: starts the local TronGrid server
 * (trongrid.py), drives it, loads tron.so through the real loader and
 * collects what a scan reports.
 */
#ifndef TRON_TEST_SUPPORT_H
#define TRON_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cryptic/plugin.h>

struct cg_config;
struct cg_plugins;
struct cg_plugin_instance;

struct tg_server {
	pid_t pid;
	int port;
};

/* Starts trongrid.py (CG_TEST_TRONGRID, CG_TEST_PYTHON) with api_key
 * (NULL: no key checked). 0 or -1. */
int tg_start(struct tg_server *s, const char *api_key);
void tg_stop(struct tg_server *s);
/* POSTs json to /_test/<op>; the reply body (free it), or NULL. */
char *tg_control(const struct tg_server *s, const char *op, const char *json);
/* GET /_test/stats body (free it), or NULL. */
char *tg_stats(const struct tg_server *s);

struct tg_plugin {
	struct cg_config *cfg;
	struct cg_plugins *ps;
	struct cg_plugin_instance *inst;
};

/* Loads one "tron" instance named "tron" with the given settings block
 * (YAML flow mapping text). 0, or -1 with err. */
int tg_load(struct tg_plugin *p, const char *settings, char *err,
    size_t errlen);
void tg_unload(struct tg_plugin *p);

#define TG_MAX_ITEMS 4096
#define TG_MAX_WATCHED 256

struct tg_transfer {
	char tx_hash[80];
	uint32_t position;
	uint32_t flags;
	char from[40];
	char to[40];
	char contract[40];
	char amount[96];
	uint64_t block_height;
	char block_hash[80];
	int64_t block_time;
};

struct tg_header {
	uint64_t height;
	char hash[80];
	char parent[80];
	int64_t time;
};

struct tg_sink {
	struct cg_scan_sink sink;
	const char *watched[TG_MAX_WATCHED];
	size_t watched_count;
	struct tg_header *headers;	/* TG_MAX_ITEMS each */
	size_t header_count;
	struct tg_transfer *transfers;
	size_t transfer_count;
	char cursor[1024];
	struct cg_scan_result result;
};

void tg_sink_init(struct tg_sink *s);
void tg_sink_reset(struct tg_sink *s);
void tg_sink_free(struct tg_sink *s);
/* One scan from height with up to max blocks; contracts as the host's
 * token list (may be NULL). */
int tg_scan(struct tg_plugin *p, struct tg_sink *s, uint64_t from,
    uint32_t max, const char *expected_parent, const char *const *contracts,
    uint32_t contract_count);

/* Captures this process's stderr (the log) into a file; tg_log_has
 * reports whether a captured line holds every given fragment. */
void tg_capture_log(void);
int tg_log_has(const char *a, const char *b);
/* Removes the capture file. */
void tg_release_log(void);

#endif
