/*
 * testchain: a scripted network plugin for the payment tests, so invoices
 * and wallets work without a real chain. Built with the public header
 * only.
 *
 * Keys: "tstpub" followed by 10 to 100 characters of [0-9A-Za-z], of which
 * the last two are a check: the sum of the other characters' byte values
 * modulo 100, in two decimal digits (so a typo is refused like a bad
 * checksum). It also takes any 111-character Base58 text beginning with
 * xpub/zpub/tpub/vpub as a key (no real BIP32 check), so the tests can
 * offer the publicly known test keys the gateway must refuse on mainnets. Addresses: "tst1" + 32 hex digits of two FNV-1a 64-bit
 * hashes of "<xpub>/<index>" (seeds below), which the tests recompute
 * (tests/payments/payments.py: testchain_address).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptic/plugin.h>

#define PREFIX "tstpub"

struct tc {
	const struct cg_host_api *api;
	struct cg_host *host;
};

static int
put(const char *s, char *out, size_t size, size_t *len)
{
	size_t n = strlen(s);

	if (len)
		*len = n;
	if (out == NULL || n + 1 > size)
		return -ENOSPC;
	memcpy(out, s, n + 1);
	return 0;
}

static int
tc_create(const struct cg_host_api *api, struct cg_host *host, void **inst)
{
	struct tc *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->api = api;
	t->host = host;
	*inst = t;
	return 0;
}

static void
tc_destroy(void *inst)
{
	free(inst);
}

static const char b58[] =
	"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static int
bip32_shaped(const char *x)
{
	return strlen(x) == 111 && strspn(x, b58) == 111 &&
	    (strncmp(x, "xpub", 4) == 0 || strncmp(x, "zpub", 4) == 0 ||
	    strncmp(x, "tpub", 4) == 0 || strncmp(x, "vpub", 4) == 0);
}

static int
tc_check_xpub(void *inst, const char *x)
{
	size_t n, body;
	unsigned sum = 0;

	(void)inst;
	if (x != NULL && bip32_shaped(x))
		return 0;
	if (x == NULL || strncmp(x, PREFIX, strlen(PREFIX)) != 0)
		return -EINVAL;
	x += strlen(PREFIX);
	n = strlen(x);
	if (n < 10 || n > 100)
		return -EINVAL;
	body = n - 2;
	for (size_t i = 0; i < n; i++) {
		char c = x[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z')))
			return -EINVAL;
		if (i < body)
			sum += (unsigned char)c;
	}
	if (x[body] != (char)('0' + (sum % 100) / 10) ||
	    x[body + 1] != (char)('0' + sum % 10))
		return -EINVAL;
	return 0;
}

static uint64_t
fnv(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
tc_derive(void *inst, const char *xpub, uint32_t index, char *out,
    size_t size, size_t *len)
{
	char in[160], addr[64];

	if (tc_check_xpub(inst, xpub) != 0 || index >= 0x80000000u)
		return -EINVAL;
	snprintf(in, sizeof(in), "%s/%u", xpub, index);
	snprintf(addr, sizeof(addr), "tst1%016llx%016llx",
	    (unsigned long long)fnv(in, 0xcbf29ce484222325ULL),
	    (unsigned long long)fnv(in, 0x84222325cbf29ce4ULL));
	return put(addr, out, size, len);
}

static int
tc_validate(void *inst, const char *a, char *out, size_t size, size_t *len)
{
	(void)inst;
	if (a == NULL || strlen(a) != 36 || strncmp(a, "tst1", 4) != 0 ||
	    strspn(a + 4, "0123456789abcdef") != 32)
		return -EINVAL;
	return out ? put(a, out, size, len) : 0;
}

static int
tc_uri(void *inst, const struct cg_uri_request *r, char *out, size_t size,
    size_t *len)
{
	char buf[512];

	(void)inst;
	snprintf(buf, sizeof(buf), "testchain:%s?amount=%s&decimals=%u%s%s",
	    r->address, r->amount, r->decimals, r->contract ? "&contract=" : "",
	    r->contract ? r->contract : "");
	return put(buf, out, size, len);
}

static int
tc_tip(void *inst, uint64_t *h)
{
	(void)inst;
	*h = 0;
	return 0;
}

static int
tc_scan(void *inst, const struct cg_scan_request *req,
    const struct cg_scan_sink *sink, struct cg_scan_result *res)
{
	(void)inst;
	(void)req;
	(void)sink;
	(void)res;
	return -EAGAIN;
}

static const struct cg_network_ops tc_ops = {
	.struct_size = sizeof(struct cg_network_ops),
	.check_xpub = tc_check_xpub,
	.derive_address = tc_derive,
	.validate_address = tc_validate,
	.payment_uri = tc_uri,
	.tip = tc_tip,
	.scan = tc_scan,
};

static const struct cg_plugin_descriptor tc_descriptor = {
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct cg_plugin_descriptor),
	.kind = CG_PLUGIN_KIND_NETWORK,
	.key_size = sizeof(struct cg_plugin_key),
	.name = "testchain",
	.version = "1",
	.description = "scripted network for the payment tests",
	.create = tc_create,
	.destroy = tc_destroy,
	.ops = &tc_ops,
};

CG_PLUGIN_EXPORT const struct cg_plugin_descriptor *
cg_plugin_entry(void)
{
	return &tc_descriptor;
}
