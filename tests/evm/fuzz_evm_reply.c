/*
 * fuzz-evm-reply: the evm plugin's reading of node replies. The input is
 * a sequence of HTTP reply bodies separated by "\n--\n"; a fake host
 * answers the plugin's requests with them in turn (eth_chainId is answered
 * correctly so the instance starts). The first byte picks the settings
 * (receipts mode, finality, confirmations) and the operation (scan, tip,
 * block_hash). Whatever the replies say, the plugin must return an errno
 * or a consistent batch, never crash or leak.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptic/plugin.h>

struct fake {
	const uint8_t *data;
	size_t size, pos;
	uint8_t mode;
	uint64_t headers, transfers;
};

static struct fake F;

static void
fake_log(struct cg_host *h, uint32_t level, const char *fmt, ...)
{
	(void)h;
	(void)level;
	(void)fmt;
}

static int
fake_string(struct cg_host *h, const char *path, char *out, size_t size,
    size_t *len)
{
	const char *v = NULL;

	(void)h;
	if (strcmp(path, "rpc_urls.0") == 0)
		v = "http://fuzz.invalid/";
	else if (strcmp(path, "finality") == 0)
		v = F.mode & 0x2 ? "finalized" : "latest";
	else if (strcmp(path, "receipts") == 0)
		v = F.mode & 0x1 ? "transaction" : "block";
	else if (strcmp(path, "tokens.0") == 0)
		v = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
	if (v == NULL)
		return -ENOENT;
	*len = strlen(v);
	if (*len >= size)
		return -ENOSPC;
	memcpy(out, v, *len + 1);
	return 0;
}

static int
fake_int(struct cg_host *h, const char *path, int64_t *out)
{
	(void)h;
	if (strcmp(path, "chain_id") == 0)
		*out = 31337;
	else if (strcmp(path, "confirmations") == 0)
		*out = F.mode & 0x2 ? 0 : (F.mode >> 2) & 0x3;
	else if (strcmp(path, "blocks_per_batch") == 0)
		*out = 4;
	else if (strcmp(path, "request_timeout_ms") == 0)
		*out = 1000;
	else if (strcmp(path, "rpc_batch_limit") == 0)
		*out = (F.mode & 0x10) ? 1 : 50;
	else
		return -ENOENT;
	return 0;
}

static int
fake_bool(struct cg_host *h, const char *path, int32_t *out)
{
	(void)h;
	(void)path;
	(void)out;
	return -ENOENT;
}

static int
fake_count(struct cg_host *h, const char *path, uint32_t *out)
{
	(void)h;
	if (strcmp(path, "rpc_urls") == 0 || strcmp(path, "tokens") == 0) {
		*out = 1;
		return 0;
	}
	return -ENOENT;
}

static int
fake_key(struct cg_host *h, const char *path, uint32_t index, char *out,
    size_t size, size_t *len)
{
	(void)h;
	(void)path;
	(void)index;
	(void)out;
	(void)size;
	(void)len;
	return -ENOENT;
}

/* The next reply body of the input, up to the separator. */
static int
fake_http(struct cg_host *h, const struct cg_http_request *req,
    struct cg_http_response *resp)
{
	static const char sep[] = "\n--\n";
	static const char chain[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"result\":\"0x7a69\"}";
	const uint8_t *start, *end;
	size_t len;

	(void)h;
	if (req->body != NULL && strstr(req->body, "eth_chainId") != NULL) {
		start = (const uint8_t *)chain;
		len = sizeof(chain) - 1;
	} else {
		if (F.pos >= F.size)
			return -EIO;
		start = F.data + F.pos;
		end = memmem(start, F.size - F.pos, sep, sizeof(sep) - 1);
		len = end != NULL ? (size_t)(end - start) : F.size - F.pos;
		F.pos += len + (end != NULL ? sizeof(sep) - 1 : 0);
	}
	if ((resp->body = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(resp->body, start, len);
	resp->body[len] = '\0';
	resp->body_len = len;
	resp->status = 200;
	return 0;
}

static void
fake_http_free(struct cg_host *h, struct cg_http_response *resp)
{
	(void)h;
	free(resp->body);
	resp->body = NULL;
}

static int
fake_random(struct cg_host *h, void *buf, size_t len)
{
	(void)h;
	memset(buf, 0x42, len);
	return 0;
}

static int64_t
fake_now(struct cg_host *h)
{
	(void)h;
	return 1700000000000;
}

static int32_t
fake_stopping(struct cg_host *h)
{
	(void)h;
	return 0;
}

static const struct cg_host_api api = {
	.struct_size = sizeof(api), .abi_version = CG_PLUGIN_ABI_VERSION,
	.log = fake_log, .config_string = fake_string, .config_int = fake_int,
	.config_bool = fake_bool, .config_count = fake_count,
	.config_key = fake_key, .http = fake_http,
	.http_free = fake_http_free, .random_bytes = fake_random,
	.now_ms = fake_now, .stopping = fake_stopping,
};

static int
on_header(void *ctx, const struct cg_scan_header *h)
{
	(void)ctx;
	F.headers++;
	return strlen(h->hash) == 66 && strlen(h->parent_hash) == 66 ?
	    0 : -EINVAL;
}

static int
on_transfer(void *ctx, const struct cg_scan_transfer *t)
{
	(void)ctx;
	F.transfers++;
	if (strlen(t->tx_hash) != 66 || strlen(t->to) != 42)
		abort();	/* the plugin let a malformed value through */
	return 0;
}

static int
is_watched(void *ctx, const char *address)
{
	(void)ctx;
	/* The BIP39 test mnemonic's first EVM address. */
	return strcmp(address, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94")
	    == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cg_plugin_descriptor *d = cg_plugin_entry();
	const struct cg_network_ops *ops = d->ops;
	struct cg_scan_request req = { .struct_size = sizeof(req),
	    .max_blocks = 4, .expected_parent = "", .cursor = "" };
	struct cg_scan_sink sink = { .struct_size = sizeof(sink),
	    .header = on_header, .transfer = on_transfer,
	    .is_watched = is_watched };
	char cursor[1024], hash[80];
	struct cg_scan_result res = { .struct_size = sizeof(res),
	    .cursor = cursor, .cursor_size = sizeof(cursor) };
	void *inst = NULL;
	uint64_t tip;
	int rc = 0;

	if (size < 1)
		return 0;
	memset(&F, 0, sizeof(F));
	F.mode = data[0];
	F.data = data + 1;
	F.size = size - 1;
	if (d->create(&api, (struct cg_host *)&F, &inst) < 0)
		return 0;
	switch (F.mode >> 5) {
	case 0:
		rc = ops->tip(inst, &tip);
		break;
	case 1:
		rc = ops->block_hash(inst, 7, hash, sizeof(hash), NULL);
		break;
	default:
		rc = ops->scan(inst, &req, &sink, &res);
		if (rc == 0 && res.next_height != F.headers)
			abort();	/* success must cover the blocks it says */
		break;
	}
	/* To check that the seeds reach the end of a scan. */
	if (getenv("FUZZ_EVM_VERBOSE") != NULL)
		fprintf(stderr, "mode=%#x rc=%d headers=%llu transfers=%llu\n",
		    F.mode, rc, (unsigned long long)F.headers,
		    (unsigned long long)F.transfers);
	d->destroy(inst);
	return 0;
}
