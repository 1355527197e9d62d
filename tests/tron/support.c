/* TEST SUPPORT for the tron plugin (see support.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config/config.h"
#include "plugins/registry.h"
#include "support.h"

int
tg_start(struct tg_server *s, const char *api_key)
{
	const char *py = getenv("CG_TEST_PYTHON");
	const char *script = getenv("CG_TEST_TRONGRID");
	char line[64];
	FILE *f;
	int fd[2];

	if (py == NULL || script == NULL || pipe(fd) < 0)
		return -1;
	if ((s->pid = fork()) < 0)
		return -1;
	if (s->pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		if (api_key != NULL)
			execlp(py, py, script, "--api-key", api_key, (char *)NULL);
		else
			execlp(py, py, script, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	if ((f = fdopen(fd[0], "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "PORT %d", &s->port) != 1) {
		fclose(f);
		tg_stop(s);
		return -1;
	}
	fclose(f);
	return 0;
}

void
tg_stop(struct tg_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

struct buf {
	char *p;
	size_t len;
};

static size_t
buf_write(char *data, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	char *np;

	if ((np = realloc(b->p, b->len + size * n + 1)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

static char *
request(const struct tg_server *s, const char *path, const char *json)
{
	struct buf b = { 0 };
	char url[256];
	CURL *c;
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (json != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) != CURLE_OK ||
	    (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status), status) !=
	    200) {
		free(b.p);
		b.p = NULL;
	}
	curl_easy_cleanup(c);
	return b.p;
}

char *
tg_control(const struct tg_server *s, const char *op, const char *json)
{
	char path[64];

	snprintf(path, sizeof(path), "/_test/%s", op);
	return request(s, path, json);
}

char *
tg_stats(const struct tg_server *s)
{
	return request(s, "/_test/stats", NULL);
}

int
tg_load(struct tg_plugin *p, const char *settings, char *err, size_t errlen)
{
	const char *dir = getenv("CG_TEST_TRON_DIR");
	char text[8192];

	memset(p, 0, sizeof(*p));
	if (dir == NULL) {
		snprintf(err, errlen, "CG_TEST_TRON_DIR not set");
		return -1;
	}
	setenv(CG_PLUGIN_PATH_ENV, dir, 1);
	snprintf(text, sizeof(text),
	    "database: {socket: /tmp/db.sock, name: t}\n"
	    "plugins:\n"
	    "  instances:\n"
	    "    tron:\n"
	    "      plugin: tron\n"
	    "      settings: %s\n", settings);
	if (cg_config_load_buffer("t.yaml", text, strlen(text), &p->cfg, err,
	    errlen) < 0)
		return -1;
	if (cg_plugins_load_all(p->cfg, 0, &p->ps, err, errlen) < 0)
		return -1;
	p->inst = cg_plugins_find(p->ps, "tron", CG_PLUGIN_KIND_NETWORK);
	if (p->inst == NULL) {
		snprintf(err, errlen, "no tron instance");
		return -1;
	}
	return 0;
}

void
tg_unload(struct tg_plugin *p)
{
	cg_plugins_free(p->ps);
	cg_config_free(p->cfg);
	memset(p, 0, sizeof(*p));
}

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "(null)");
}

static int
sink_header(void *ctx, const struct cg_scan_header *h)
{
	struct tg_sink *s = ctx;
	struct tg_header *o;

	if (s->header_count == TG_MAX_ITEMS)
		return -ENOSPC;
	o = &s->headers[s->header_count++];
	o->height = h->height;
	copy(o->hash, sizeof(o->hash), h->hash);
	copy(o->parent, sizeof(o->parent), h->parent_hash);
	o->time = h->time;
	return 0;
}

static int
sink_transfer(void *ctx, const struct cg_scan_transfer *t)
{
	struct tg_sink *s = ctx;
	struct tg_transfer *o;

	if (s->transfer_count == TG_MAX_ITEMS)
		return -ENOSPC;
	o = &s->transfers[s->transfer_count++];
	copy(o->tx_hash, sizeof(o->tx_hash), t->tx_hash);
	o->position = t->position;
	o->flags = t->flags;
	copy(o->from, sizeof(o->from), t->from);
	copy(o->to, sizeof(o->to), t->to);
	copy(o->contract, sizeof(o->contract), t->contract);
	copy(o->amount, sizeof(o->amount), t->amount);
	o->block_height = t->block_height;
	copy(o->block_hash, sizeof(o->block_hash), t->block_hash);
	o->block_time = t->block_time;
	return 0;
}

static int
sink_is_watched(void *ctx, const char *address)
{
	struct tg_sink *s = ctx;

	for (size_t i = 0; i < s->watched_count; i++)
		if (strcmp(s->watched[i], address) == 0)
			return 1;
	return 0;
}

static int
sink_watched_each(void *ctx, cg_watched_each_fn fn, void *arg)
{
	struct tg_sink *s = ctx;
	int rc;

	for (size_t i = 0; i < s->watched_count; i++)
		if ((rc = fn(arg, s->watched[i])) != 0)
			return rc;
	return 0;
}

void
tg_sink_init(struct tg_sink *s)
{
	memset(s, 0, sizeof(*s));
	s->sink.struct_size = sizeof(s->sink);
	s->sink.ctx = s;
	s->sink.header = sink_header;
	s->sink.transfer = sink_transfer;
	s->sink.is_watched = sink_is_watched;
	s->sink.watched_each = sink_watched_each;
	s->headers = calloc(TG_MAX_ITEMS, sizeof(*s->headers));
	s->transfers = calloc(TG_MAX_ITEMS, sizeof(*s->transfers));
	if (s->headers == NULL || s->transfers == NULL)
		abort();
}

void
tg_sink_reset(struct tg_sink *s)
{
	s->header_count = 0;
	s->transfer_count = 0;
	memset(&s->result, 0, sizeof(s->result));
	s->cursor[0] = '\0';
}

void
tg_sink_free(struct tg_sink *s)
{
	free(s->headers);
	free(s->transfers);
	s->headers = NULL;
	s->transfers = NULL;
}

int
tg_scan(struct tg_plugin *p, struct tg_sink *s, uint64_t from, uint32_t max,
    const char *expected_parent, const char *const *contracts,
    uint32_t contract_count)
{
	struct cg_scan_request req = {
		.struct_size = sizeof(req),
		.max_blocks = max,
		.from_height = from,
		.expected_parent = expected_parent != NULL ? expected_parent : "",
		.cursor = "",
		.contracts = contracts,
		.contract_count = contract_count,
	};

	tg_sink_reset(s);
	s->result.struct_size = sizeof(s->result);
	s->result.cursor = s->cursor;
	s->result.cursor_size = sizeof(s->cursor);
	return cg_plugin_scan(p->inst, &req, &s->sink, &s->result);
}

static char log_path[64];

void
tg_capture_log(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "/tmp/cg-tron-log-XXXXXX");
	if ((fd = mkstemp(log_path)) < 0)
		abort();
	close(fd);
	/* O_APPEND: the reader's offset never moves the writer's. */
	if ((fd = open(log_path, O_WRONLY | O_APPEND)) < 0)
		abort();
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
}

int
tg_log_has(const char *a, const char *b)
{
	char line[2048];
	int found = 0;
	FILE *f;

	fflush(stderr);
	if (log_path[0] == '\0' || (f = fopen(log_path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, a) != NULL &&
		    (b == NULL || strstr(line, b) != NULL);
	fclose(f);
	return found;
}

void
tg_release_log(void)
{
	if (log_path[0] != '\0')
		unlink(log_path);
	log_path[0] = '\0';
}
