/*
 * The bitcoin plugin's scan over hostile backend replies. The plugin's
 * sources are compiled in and driven through its descriptor with a fake
 * host: the first input byte picks the backend (even: esplora, odd:
 * bitcoind) and whether the mempool is asked for; the rest, split at each
 * "\n--\n", answers the plugin's requests in turn (the last part answers
 * every further one; "500 " at a part's start makes it an error reply,
 * "BIG " a reply over the host's cap, which sends the bitcoind backend to
 * the serialized block). Whatever the replies, a scan must end with 0, -EAGAIN or
 * a negative errno, every reported transfer must carry a canonical amount
 * within the supply, and nothing may leak or crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptic/plugin.h>

#include "common/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *input;
static size_t input_len, input_pos;
static int backend_rpc;

static void
fake_log(struct cg_host *host, uint32_t level, const char *fmt, ...)
{
	(void)host;
	(void)level;
	(void)fmt;
}

static int
put(const char *s, char *out, size_t out_size, size_t *out_len)
{
	size_t len = strlen(s);

	if (out_len != NULL)
		*out_len = len;
	if (out_size <= len)
		return -ENOSPC;
	memcpy(out, s, len + 1);
	return 0;
}

static int
fake_string(struct cg_host *host, const char *path, char *out,
    size_t out_size, size_t *out_len)
{
	(void)host;
	if (strcmp(path, "chain") == 0)
		return put("bitcoin", out, out_size, out_len);
	if (strcmp(path, "backend") == 0)
		return put(backend_rpc ? "bitcoind" : "esplora", out, out_size,
		    out_len);
	if (strcmp(path, "url") == 0)
		return put("http://127.0.0.1:9/x", out, out_size, out_len);
	if (strcmp(path, "rpc_user") == 0 || strcmp(path, "rpc_password") == 0)
		return put("u", out, out_size, out_len);
	return -ENOENT;
}

static int
fake_int(struct cg_host *host, const char *path, int64_t *out)
{
	(void)host;
	(void)path;
	*out = 1000;
	return 0;
}

static int
fake_bool(struct cg_host *host, const char *path, int32_t *out)
{
	(void)host;
	(void)path;
	*out = 1;
	return 0;
}

/* The next part of the input as a reply. */
static int
fake_http(struct cg_host *host, const struct cg_http_request *req,
    struct cg_http_response *resp)
{
	const char *part = input + input_pos, *end;
	size_t len;

	(void)host;
	(void)req;
	end = memmem(part, input_len - input_pos, "\n--\n", 4);
	len = end != NULL ? (size_t)(end - part) : input_len - input_pos;
	if (end != NULL)
		input_pos += len + 4;
	resp->status = 200;
	if (len >= 4 && memcmp(part, "BIG ", 4) == 0)
		return -EMSGSIZE;
	if (len >= 4 && memcmp(part, "500 ", 4) == 0) {
		resp->status = 500;
		part += 4;
		len -= 4;
	}
	if ((resp->body = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(resp->body, part, len);
	resp->body[len] = '\0';
	resp->body_len = len;
	return 0;
}

static void
fake_http_free(struct cg_host *host, struct cg_http_response *resp)
{
	(void)host;
	free(resp->body);
	resp->body = NULL;
}

static int32_t
fake_stopping(struct cg_host *host)
{
	(void)host;
	return 0;
}

static const struct cg_host_api api = {
	.struct_size = sizeof(struct cg_host_api),
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.log = fake_log,
	.config_string = fake_string,
	.config_int = fake_int,
	.config_bool = fake_bool,
	.http = fake_http,
	.http_free = fake_http_free,
	.stopping = fake_stopping,
};

static int
on_header(void *ctx, const struct cg_scan_header *h)
{
	(void)ctx;
	if (strlen(h->hash) != 64)
		abort();
	return 0;
}

static int
on_transfer(void *ctx, const struct cg_scan_transfer *t)
{
	(void)ctx;
	if (!cgc_units_valid(t->amount) ||
	    cgc_units_cmp(t->amount, "2100000000000000") > 0 ||
	    strlen(t->tx_hash) != 64)
		abort();
	return 0;
}

/* Every address is watched, so every parsed output is checked. */
static int
is_watched(void *ctx, const char *address)
{
	(void)ctx;
	(void)address;
	return 1;
}

static int
watched_each(void *ctx, cg_watched_each_fn fn, void *arg)
{
	(void)ctx;
	return fn(arg, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cg_plugin_descriptor *d = cg_plugin_entry();
	const struct cg_network_ops *ops = d->ops;
	struct cg_scan_sink sink = { sizeof(sink), 0, NULL, on_header,
	    on_transfer, is_watched, watched_each };
	struct cg_scan_request req;
	struct cg_scan_result res;
	char cursor[1024];
	void *inst;
	int rc;

	if (size < 1)
		return 0;
	backend_rpc = data[0] & 1;
	input = (const char *)data + 1;
	input_len = size - 1;
	input_pos = 0;
	if (d->create(&api, (struct cg_host *)&api, &inst) != 0)
		abort();
	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.max_blocks = 3;
	req.from_height = 1;
	req.expected_parent = "";
	req.cursor = "";
	req.flags = data[0] & 2 ? CG_SCAN_MEMPOOL : 0;
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	res.cursor = cursor;
	res.cursor_size = sizeof(cursor);
	rc = ops->scan(inst, &req, &sink, &res);
	if (rc > 0)
		abort();
	d->destroy(inst);
	return 0;
}
