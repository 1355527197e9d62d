/*
 * The benchmark's baseline: the least an evhttp server can do to answer
 * GET /healthz with the same body as the gateway. Not installed.
 *
 *   bare-evhttp PORT
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static void
healthz(struct evhttp_request *req, void *arg)
{
	static const char body[] = "{\"status\":\"ok\"}";
	struct evbuffer *buf = evbuffer_new();

	(void)arg;
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_reference(buf, body, sizeof(body) - 1, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;

	if (argc != 2) {
		fprintf(stderr, "usage: bare-evhttp PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = evhttp_new(base);
	if (!base || !http)
		return 1;
	evhttp_set_cb(http, "/healthz", healthz, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1",
	    (ev_uint16_t)atoi(argv[1])) < 0) {
		perror("bind");
		return 1;
	}
	printf("port=%s\n", argv[1]);
	fflush(stdout);
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
