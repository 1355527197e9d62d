/*
 * scripted: a network plugin for tests whose chain is a JSON file the test
 * rewrites between scans (settings: chain_file). Built with the public
 * header only.
 *
 *   { "blocks": [ { "hash": "h0", "parent": "", "time": 1700000000,
 *                   "transfers": [ { "tx": "t1", "pos": 0, "from": "f",
 *                                    "to": "ADDRESS", "contract": "",
 *                                    "amount": "1000", "flags": 0 } ] }, … ],
 *     "mempool": [ transfers … ],      optional, reported with CG_SCAN_MEMPOOL
 *     "fail": -5,                      optional: scan/tip fail with this errno
 *     "delay_ms": 0,                   optional: scan sleeps first (kill tests)
 *     "watched_file": "path" }         optional: each scan writes the host's
 *                                      watched set there (watched_each), one
 *                                      address a line
 *
 * blocks[i] is the block at height i. Addresses are derived
 * deterministically: "sc" + 16 hex digits of a hash of the key + "x" +
 * index.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <cryptic/plugin.h>

struct scripted {
	const struct cg_host_api *api;
	struct cg_host *host;
	char path[1024];
};

static const struct cg_plugin_key scripted_keys[] = {
	{ .name = "chain_file", .type = CG_KEY_STRING, .flags = CG_KEY_REQUIRED,
	  .description = "JSON file describing the chain" },
};

static int
put(const char *s, char *out, size_t size, size_t *len)
{
	size_t n = strlen(s);

	if (len)
		*len = n;
	if (out == NULL)
		return 0;
	if (n + 1 > size)
		return -ENOSPC;
	memcpy(out, s, n + 1);
	return 0;
}

static json_t *
load(struct scripted *p)
{
	json_error_t e;
	json_t *j = json_load_file(p->path, 0, &e);

	if (j == NULL || !json_is_array(json_object_get(j, "blocks"))) {
		p->api->log(p->host, CG_PLUGIN_LOG_ERROR, "chain file %s: %s",
		    p->path, j ? "no blocks" : e.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
failure(json_t *j)
{
	json_int_t f = json_integer_value(json_object_get(j, "fail"));

	return f < 0 ? (int)f : 0;
}

static int
scripted_create(const struct cg_host_api *api, struct cg_host *host,
    void **instance)
{
	struct scripted *p = calloc(1, sizeof(*p));
	size_t len;

	if (p == NULL)
		return -ENOMEM;
	p->api = api;
	p->host = host;
	if (api->config_string(host, "chain_file", p->path, sizeof(p->path),
	    &len) != 0) {
		free(p);
		return -EINVAL;
	}
	*instance = p;
	return 0;
}

static void
scripted_destroy(void *instance)
{
	free(instance);
}

static int
scripted_check_xpub(void *instance, const char *xpub)
{
	(void)instance;
	return xpub && *xpub ? 0 : -EINVAL;
}

static int
scripted_derive(void *instance, const char *xpub, uint32_t index, char *out,
    size_t out_size, size_t *out_len)
{
	uint64_t h = 14695981039346656037ULL;
	char buf[64];

	(void)instance;
	for (const char *c = xpub; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	snprintf(buf, sizeof(buf), "sc%016" PRIx64 "x%" PRIu32, h, index);
	return put(buf, out, out_size, out_len);
}

static int
scripted_validate(void *instance, const char *address, char *out,
    size_t out_size, size_t *out_len)
{
	(void)instance;
	if (address == NULL || strncmp(address, "sc", 2) != 0)
		return -EINVAL;
	return put(address, out, out_size, out_len);
}

static int
scripted_uri(void *instance, const struct cg_uri_request *req, char *out,
    size_t out_size, size_t *out_len)
{
	char buf[512];

	(void)instance;
	snprintf(buf, sizeof(buf), "scripted:%s?amount=%s", req->address,
	    req->amount);
	return put(buf, out, out_size, out_len);
}

static int
scripted_tip(void *instance, uint64_t *height)
{
	json_t *j = load(instance);
	size_t n;
	int rc;

	if (j == NULL)
		return -EIO;
	if ((rc = failure(j)) == 0) {
		n = json_array_size(json_object_get(j, "blocks"));
		*height = n ? n - 1 : 0;
	}
	json_decref(j);
	return rc;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int
emit_transfer(const struct cg_scan_sink *sink, json_t *t, uint64_t height,
    const char *hash, int64_t time, uint32_t extra)
{
	struct cg_scan_transfer x;

	memset(&x, 0, sizeof(x));
	x.struct_size = sizeof(x);
	x.flags = (uint32_t)json_integer_value(json_object_get(t, "flags")) |
	    extra;
	x.tx_hash = str(t, "tx");
	x.position = (uint32_t)json_integer_value(json_object_get(t, "pos"));
	x.from = str(t, "from");
	x.to = str(t, "to");
	x.contract = str(t, "contract");
	x.amount = str(t, "amount");
	x.block_height = height;
	x.block_hash = hash;
	x.block_time = time;
	return sink->transfer(sink->ctx, &x);
}

static int
write_line(void *arg, const char *address)
{
	return fprintf(arg, "%s\n", address) < 0 ? -EIO : 0;
}

/* The host's watched set, as an address-indexed backend would read it. */
static int
dump_watched(const struct cg_scan_sink *sink, const char *path)
{
	char tmp[1100];
	FILE *f;
	int rc;

	if (sink->watched_each == NULL)
		return -ENOSYS;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -EIO;
	rc = sink->watched_each(sink->ctx, write_line, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -EIO;
	return rc;
}

static int
scripted_scan(void *instance, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct cg_scan_result *result)
{
	struct scripted *p = instance;
	json_t *j = load(p), *blocks, *t;
	json_int_t delay;
	const char *dump;
	uint64_t h, last, tip;
	size_t n, i;
	int rc = 0;

	if (j == NULL)
		return -EIO;
	if ((rc = failure(j)) != 0)
		goto out;
	delay = json_integer_value(json_object_get(j, "delay_ms"));
	if (delay > 0) {
		struct timespec ts = { (time_t)(delay / 1000),
		    (long)(delay % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	dump = json_string_value(json_object_get(j, "watched_file"));
	if (dump != NULL && (rc = dump_watched(sink, dump)) != 0)
		goto out;
	blocks = json_object_get(j, "blocks");
	n = json_array_size(blocks);
	tip = n ? n - 1 : 0;
	if (n == 0 || req->from_height > tip) {
		rc = -EAGAIN;
		goto out;
	}
	last = req->from_height + (req->max_blocks ? req->max_blocks : 1) - 1;
	if (last > tip)
		last = tip;
	for (h = req->from_height; h <= last && rc == 0; h++) {
		json_t *b = json_array_get(blocks, (size_t)h);
		struct cg_scan_header hd;

		memset(&hd, 0, sizeof(hd));
		hd.struct_size = sizeof(hd);
		hd.height = h;
		hd.hash = str(b, "hash");
		hd.parent_hash = str(b, "parent");
		hd.time = (int64_t)json_integer_value(json_object_get(b, "time"));
		rc = sink->header(sink->ctx, &hd);
		json_array_foreach(json_object_get(b, "transfers"), i, t) {
			if (rc != 0)
				break;
			rc = emit_transfer(sink, t, h, hd.hash, hd.time, 0);
		}
	}
	if (rc == 0 && (req->flags & CG_SCAN_MEMPOOL)) {
		json_array_foreach(json_object_get(j, "mempool"), i, t) {
			if (rc != 0)
				break;
			rc = emit_transfer(sink, t, 0, "", 0, CG_TRANSFER_MEMPOOL);
		}
	}
	if (rc == 0) {
		result->next_height = last + 1;
		result->tip_height = tip;
		snprintf(result->cursor, (size_t)result->cursor_size, "h=%" PRIu64,
		    last + 1);
	}
out:
	json_decref(j);
	return rc;
}

static int
scripted_block_hash(void *instance, uint64_t height, char *out,
    size_t out_size, size_t *out_len)
{
	json_t *j = load(instance), *b;
	int rc;

	if (j == NULL)
		return -EIO;
	b = json_array_get(json_object_get(j, "blocks"), (size_t)height);
	rc = b ? put(str(b, "hash"), out, out_size, out_len) : -ENOENT;
	json_decref(j);
	return rc;
}

static const struct cg_network_ops scripted_ops = {
	.struct_size = sizeof(struct cg_network_ops),
	.check_xpub = scripted_check_xpub,
	.derive_address = scripted_derive,
	.validate_address = scripted_validate,
	.payment_uri = scripted_uri,
	.tip = scripted_tip,
	.scan = scripted_scan,
	.block_hash = scripted_block_hash,
};

static const struct cg_plugin_descriptor scripted_descriptor = {
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct cg_plugin_descriptor),
	.kind = CG_PLUGIN_KIND_NETWORK,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "scripted",
	.version = "0.1.0",
	.description = "test network whose chain is a JSON file",
	.keys = scripted_keys,
	.key_count = sizeof(scripted_keys) / sizeof(scripted_keys[0]),
	.create = scripted_create,
	.destroy = scripted_destroy,
	.ops = &scripted_ops,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &scripted_descriptor;
}
