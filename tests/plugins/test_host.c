/*
 * Host services handed to plugins: settings getters, HTTP (against a tiny
 * local server), randomness, the clock.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/schema.h"
#include "config/yaml.h"
#include "plugins/host.h"
#include "util/clock.h"

static const struct cg_host_api *api = &cg_host_api_table;
static struct cg_host host;
static atomic_int stopping;
static struct cg_ydoc *doc;

static const struct cg_plugin_key str_item[] = {
	{ .name = "*", .type = CG_KEY_STRING },
};
static const struct cg_plugin_key keys[] = {
	{ .name = "url", .type = CG_KEY_STRING },
	{ .name = "count", .type = CG_KEY_INT, .default_value = "5" },
	{ .name = "on", .type = CG_KEY_BOOL, .default_value = "true" },
	{ .name = "list", .type = CG_KEY_STRING_LIST },
	{ .name = "map", .type = CG_KEY_MAP, .children = str_item,
	  .child_count = 1 },
};

static void
setup(void)
{
	static const char yaml[] = "url: http://x\nlist: [a, bb]\n"
	    "map: {k1: v1, k2: v2}\n";
	struct cg_schema_ctx ctx = { .file = "h.yaml" };
	char err[512];

	ctx.err = err;
	ctx.errlen = sizeof(err);
	cg_host_global_init();
	cr_assert_eq(cg_yaml_load_buffer("h.yaml", yaml, strlen(yaml), &doc,
	    err, sizeof(err)), 0, "%s", err);
	memset(&host, 0, sizeof(host));
	host.name = "t";
	host.stopping = &stopping;
	atomic_store(&stopping, 0);
	pthread_rwlock_init(&host.settings_lock, NULL);
	cr_assert_eq(cg_schema_validate(&ctx, doc->root, 1, 1, "", keys, 5,
	    sizeof(keys[0]), &host.settings), 0, "%s", err);
}

static void
teardown(void)
{
	cg_cval_clear(&host.settings);
	pthread_rwlock_destroy(&host.settings_lock);
	cg_ydoc_free(doc);
}

TestSuite(host, .init = setup, .fini = teardown);

Test(host, settings_getters_follow_key_paths)
{
	char buf[16];
	size_t len = 0;
	int64_t n = 0;
	int32_t b = 0;
	uint32_t count = 0;

	cr_assert_eq(api->config_string(&host, "url", buf, sizeof(buf), &len), 0);
	cr_assert_str_eq(buf, "http://x");
	cr_assert_eq(len, 8);
	cr_assert_eq(api->config_string(&host, "url", buf, 4, &len), -ENOSPC);
	cr_assert_eq(len, 8);
	cr_assert_eq(api->config_string(&host, "list.1", buf, sizeof(buf), &len),
	    0);
	cr_assert_str_eq(buf, "bb");
	cr_assert_eq(api->config_string(&host, "map.k2", buf, sizeof(buf), &len),
	    0);
	cr_assert_str_eq(buf, "v2");
	cr_assert_eq(api->config_int(&host, "count", &n), 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(api->config_bool(&host, "on", &b), 0);
	cr_assert_eq(b, 1);
	cr_assert_eq(api->config_count(&host, "map", &count), 0);
	cr_assert_eq(count, 2);
	cr_assert_eq(api->config_count(&host, "", &count), 0);
	cr_assert_eq(count, 5);
	cr_assert_eq(api->config_key(&host, "map", 1, buf, sizeof(buf), &len),
	    0);
	cr_assert_str_eq(buf, "k2");
	cr_assert_eq(api->config_key(&host, "map", 2, buf, sizeof(buf), &len),
	    -ENOENT);
	cr_assert_eq(api->config_int(&host, "url", &n), -EINVAL);
	cr_assert_eq(api->config_string(&host, "count", buf, sizeof(buf), &len),
	    -EINVAL);
	cr_assert_eq(api->config_string(&host, "nope", buf, sizeof(buf), &len),
	    -ENOENT);
}

Test(host, random_and_clock)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 };

	cr_assert_eq(api->random_bytes(&host, a, sizeof(a)), 0);
	cr_assert_eq(api->random_bytes(&host, b, sizeof(b)), 0);
	cr_assert(memcmp(a, b, sizeof(a)) != 0);
	cg_clock_set_offset_ms(86400000);
	cr_assert(api->now_ms(&host) >= cg_now_ms() - 1000 &&
	    api->now_ms(&host) > 86400000);
	cr_assert(api->now_ms(&host) - cg_mono_ms() > 0);
	cg_clock_set_offset_ms(0);
}

/* A one-connection HTTP server. */
struct server {
	int fd;
	int port;
	const char *mode;        /* "ok", "big", "slow" */
	char request[4096];
	pthread_t thread;
};

static void *
serve(void *arg)
{
	struct server *s = arg;
	char big[6000];
	size_t used = 0;
	ssize_t n;
	int c;

	if ((c = accept(s->fd, NULL, NULL)) < 0)
		return NULL;
	while (used < sizeof(s->request) - 1 && (n = read(c, s->request + used,
	    sizeof(s->request) - 1 - used)) > 0) {
		used += (size_t)n;
		s->request[used] = '\0';
		if (strstr(s->request, "\r\n\r\n") &&
		    (strstr(s->request, "POST") == NULL ||
		    strstr(s->request, "ping")))
			break;
	}
	if (strcmp(s->mode, "ok") == 0) {
		const char *r = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n"
		    "Connection: close\r\n\r\nhello";
		(void)!write(c, r, strlen(r));
	} else if (strcmp(s->mode, "big") == 0) {
		int h = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 5000\r\nConnection: close\r\n\r\n");
		memset(big + h, 'x', 5000);
		(void)!write(c, big, (size_t)h + 5000);
	} else {
		sleep(2);
	}
	close(c);
	return NULL;
}

static void
server_start(struct server *s, const char *mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	s->mode = mode;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert((s->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	cr_assert_eq(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(s->fd, 1), 0);
	getsockname(s->fd, (struct sockaddr *)&sa, &len);
	s->port = ntohs(sa.sin_port);
	pthread_create(&s->thread, NULL, serve, s);
}

static void
server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static void
request(struct server *s, struct cg_http_request *req, char *url, size_t len)
{
	snprintf(url, len, "http://127.0.0.1:%d/path?q=1", s->port);
	memset(req, 0, sizeof(*req));
	req->struct_size = sizeof(*req);
	req->method = "GET";
	req->url = url;
}

Test(host, http_round_trip)
{
	static const char *hdrs[] = { "X-Api-Key: k1" };
	struct server s;
	struct cg_http_request req;
	struct cg_http_response resp = { .struct_size = sizeof(resp) };
	char url[128];

	server_start(&s, "ok");
	request(&s, &req, url, sizeof(url));
	req.method = "POST";
	req.headers = hdrs;
	req.header_count = 1;
	req.body = "ping";
	req.body_len = 4;
	cr_assert_eq(api->http(&host, &req, &resp), 0);
	server_stop(&s);
	cr_assert_eq(resp.status, 201);
	cr_assert_eq(resp.body_len, 5);
	cr_assert_str_eq(resp.body, "hello");
	api->http_free(&host, &resp);
	cr_assert_null(resp.body);
	cr_assert(strncmp(s.request, "POST /path?q=1 HTTP/1.1\r\n", 25) == 0,
	    "%s", s.request);
	cr_assert(strstr(s.request, "\r\nX-Api-Key: k1\r\n") != NULL);
	cr_assert(strstr(s.request, "\r\n\r\nping") != NULL);
}

Test(host, http_reply_size_limit)
{
	struct server s;
	struct cg_http_request req;
	struct cg_http_response resp = { .struct_size = sizeof(resp) };
	char url[128];

	server_start(&s, "big");
	request(&s, &req, url, sizeof(url));
	req.max_reply_bytes = 1000;
	cr_assert_eq(api->http(&host, &req, &resp), -EMSGSIZE);
	cr_assert_null(resp.body);
	server_stop(&s);
}

Test(host, http_timeout)
{
	struct server s;
	struct cg_http_request req;
	struct cg_http_response resp = { .struct_size = sizeof(resp) };
	char url[128];
	int64_t t0 = cg_mono_ms();

	server_start(&s, "slow");
	request(&s, &req, url, sizeof(url));
	req.timeout_ms = 300;
	cr_assert_eq(api->http(&host, &req, &resp), -ETIMEDOUT);
	cr_assert(cg_mono_ms() - t0 < 1500);
	server_stop(&s);
}

static void *
stop_later(void *arg)
{
	usleep(200000);
	atomic_store(&stopping, 1);
	return NULL;
}

Test(host, http_cancelled_at_shutdown)
{
	struct server s;
	struct cg_http_request req;
	struct cg_http_response resp = { .struct_size = sizeof(resp) };
	char url[128];
	pthread_t t;
	int64_t t0 = cg_mono_ms();

	server_start(&s, "slow");
	request(&s, &req, url, sizeof(url));
	pthread_create(&t, NULL, stop_later, NULL);
	cr_assert_eq(api->http(&host, &req, &resp), -ECANCELED);
	cr_assert(cg_mono_ms() - t0 < 1500);
	pthread_join(t, NULL);
	cr_assert_eq(api->stopping(&host), 1);
	cr_assert_eq(api->http(&host, &req, &resp), -ECANCELED);
	server_stop(&s);
}

Test(host, http_refuses_bad_requests)
{
	static const char *bad[] = { "X-A: 1\r\nX-Injected: 2" };
	struct cg_http_request req = { .struct_size = sizeof(req),
	    .method = "GET", .url = "file:///etc/passwd" };
	struct cg_http_response resp = { .struct_size = sizeof(resp) };

	cr_assert_eq(api->http(&host, &req, &resp), -EINVAL);
	req.url = "http://127.0.0.1:1/";
	req.headers = bad;
	req.header_count = 1;
	cr_assert_eq(api->http(&host, &req, &resp), -EINVAL);
	req.struct_size = 8;
	cr_assert_eq(api->http(&host, &req, &resp), -EINVAL);
}
