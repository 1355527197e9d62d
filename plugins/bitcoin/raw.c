/*
 * Serialized blocks (Bitcoin Core's `getblock <hash> 0`), for blocks whose
 * decoded form exceeds the host's reply cap: the raw hex is at most twice
 * the block's size. Transactions are read with their witness (BIP144),
 * txids are computed as the double SHA-256 of the serialization without
 * it, and output scripts of the standard templates (P2PKH, P2SH, witness
 * programs of any version) become addresses, as Bitcoin Core writes them.
 * Amounts are 64-bit satoshi counts, exact by construction. Every length
 * is checked against what is left: hostile bytes end in -EPROTO.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "btc.h"
#include "common/address.h"
#include "common/amount.h"
#include "common/hash.h"

struct rd {
	const uint8_t *p;
	size_t len, pos;
};

static int
take(struct rd *r, size_t n, const uint8_t **out)
{
	if (n > r->len - r->pos)
		return -EPROTO;
	if (out != NULL)
		*out = r->p + r->pos;
	r->pos += n;
	return 0;
}

static int
le(struct rd *r, size_t n, uint64_t *v)
{
	const uint8_t *b;
	size_t i;

	if (take(r, n, &b) < 0)
		return -EPROTO;
	*v = 0;
	for (i = n; i > 0; i--)
		*v = *v << 8 | b[i - 1];
	return 0;
}

/* CompactSize, at most what is left of the input (a count of items that
 * each take at least one byte). */
static int
varint(struct rd *r, uint64_t *v)
{
	uint64_t first;

	if (le(r, 1, &first) < 0)
		return -EPROTO;
	if (first < 0xfd)
		*v = first;
	else if (le(r, first == 0xfd ? 2 : first == 0xfe ? 4 : 8, v) < 0)
		return -EPROTO;
	return *v > r->len - r->pos ? -EPROTO : 0;
}

static int
skip_bytes(struct rd *r)
{
	uint64_t n;

	if (varint(r, &n) < 0)
		return -EPROTO;
	return take(r, (size_t)n, NULL);
}

/* The address of a standard output script, or 0 when it has none. */
static int
script_address(const struct cgc_btc_params *params, const uint8_t *s,
    size_t n, char *out, size_t outsz)
{
	struct cgc_btc_address a;

	memset(&a, 0, sizeof(a));
	if (n == 25 && s[0] == 0x76 && s[1] == 0xa9 && s[2] == 20 &&
	    s[23] == 0x88 && s[24] == 0xac) {
		a.type = CGC_BTC_P2PKH;
		memcpy(a.program, s + 3, 20);
		a.program_len = 20;
	} else if (n == 23 && s[0] == 0xa9 && s[1] == 20 && s[22] == 0x87) {
		a.type = CGC_BTC_P2SH;
		memcpy(a.program, s + 2, 20);
		a.program_len = 20;
	} else if (n >= 4 && n <= 42 && (s[0] == 0 ||
	    (s[0] >= 0x51 && s[0] <= 0x60)) && s[1] == n - 2 && s[1] >= 2) {
		a.type = CGC_BTC_WITNESS;
		a.witver = s[0] == 0 ? 0 : (unsigned)(s[0] - 0x50);
		memcpy(a.program, s + 2, n - 2);
		a.program_len = n - 2;
		if (a.witver == 0 && n - 2 != 20 && n - 2 != 32)
			return 0;
	} else {
		return 0;
	}
	return cgc_btc_address_format(params, &a, out, outsz, NULL) == 0;
}

/* Hex of a hash as Bitcoin writes it: bytes reversed. */
static void
hash_hex(const uint8_t h[32], char out[CGB_HASH_LEN + 1])
{
	uint8_t rev[32];
	size_t i;

	for (i = 0; i < 32; i++)
		rev[i] = h[31 - i];
	cgc_hex_encode(rev, 32, out);
}

static int
sha256d_parts(EVP_MD_CTX *ctx, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, const uint8_t *c, size_t clen,
    uint8_t out[32])
{
	uint8_t once[32];

	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    EVP_DigestUpdate(ctx, b, blen) != 1 ||
	    EVP_DigestUpdate(ctx, c, clen) != 1 ||
	    EVP_DigestFinal_ex(ctx, once, NULL) != 1)
		return -EIO;
	return cgc_sha256(once, sizeof(once), out);
}

struct raw_out {
	uint32_t n;
	uint64_t value;
	const uint8_t *script;
	size_t script_len;
};

/* Reads the inputs and outputs again (already checked) and hands each
 * output with an address to fn. */
static int
raw_outputs(const struct cgc_btc_params *params, struct rd *r,
    const char *txid, cgb_output_fn fn, void *arg)
{
	char addr[CGC_BTC_ADDR_MAX], sats[CGC_UNITS_STR_MAX];
	const uint8_t *script = NULL;
	uint64_t n, k, len, value = 0;
	struct cgb_output o;
	int rc;

	if (varint(r, &n) < 0)
		return -EPROTO;
	for (k = 0; k < n; k++)
		if (take(r, 36, NULL) < 0 || skip_bytes(r) < 0 ||
		    take(r, 4, NULL) < 0)
			return -EPROTO;
	if (varint(r, &n) < 0)
		return -EPROTO;
	for (k = 0; k < n; k++) {
		if (le(r, 8, &value) < 0 || varint(r, &len) < 0 ||
		    take(r, (size_t)len, &script) < 0)
			return -EPROTO;
		if (!script_address(params, script, (size_t)len, addr,
		    sizeof(addr)))
			continue;
		snprintf(sats, sizeof(sats), "%llu", (unsigned long long)value);
		o.txid = txid;
		o.address = addr;
		o.address_len = strlen(addr);
		o.n = (uint32_t)k;
		o.sats = sats;
		if ((rc = fn(arg, &o)) < 0)
			return rc;
	}
	return 0;
}

/*
 * The merkle root of the txids (internal byte order), computed in place:
 * pairs hashed level by level, an odd last one paired with itself.
 */
static int
merkle_root(uint8_t (*ids)[32], uint64_t n, uint8_t root[32])
{
	uint8_t pair[64];
	uint64_t i;

	while (n > 1) {
		for (i = 0; i < n; i += 2) {
			memcpy(pair, ids[i], 32);
			memcpy(pair + 32, ids[i + 1 < n ? i + 1 : i], 32);
			if (cgc_sha256d(pair, sizeof(pair), ids[i / 2]) < 0)
				return -EIO;
		}
		n = (n + 1) / 2;
	}
	memcpy(root, ids[0], 32);
	return 0;
}

/* One transaction: its outputs to addresses go to fn, its txid to h. */
static int
raw_tx(struct cgb *b, struct rd *r, EVP_MD_CTX *ctx, uint64_t max_money,
    uint8_t h[32], cgb_output_fn fn, void *arg)
{
	const struct cgc_btc_params *params =
	    cgc_btc_params_by_name(b->chain->name);
	size_t start = r->pos, body, body_end, i;
	uint64_t nin, nout, k, v, value;
	const uint8_t *lock;
	char txid[CGB_HASH_LEN + 1];
	int segwit = 0, rc;

	if (take(r, 4, NULL) < 0)
		return -EPROTO;
	if (r->len - r->pos >= 2 && r->p[r->pos] == 0 && r->p[r->pos + 1] == 1) {
		segwit = 1;
		r->pos += 2;
	}
	body = r->pos;
	if (varint(r, &nin) < 0 || nin == 0)
		return -EPROTO;
	for (k = 0; k < nin; k++)
		if (take(r, 36, NULL) < 0 || skip_bytes(r) < 0 ||
		    take(r, 4, NULL) < 0)
			return -EPROTO;
	if (varint(r, &nout) < 0)
		return -EPROTO;
	/* First pass: check the outputs and find where they end. */
	for (k = 0; k < nout; k++)
		if (le(r, 8, &value) < 0 || value > max_money ||
		    skip_bytes(r) < 0)
			return -EPROTO;
	body_end = r->pos;
	if (segwit)
		for (k = 0; k < nin; k++) {
			if (varint(r, &v) < 0)
				return -EPROTO;
			for (i = 0; i < v; i++)
				if (skip_bytes(r) < 0)
					return -EPROTO;
		}
	if (take(r, 4, &lock) < 0)
		return -EPROTO;
	if ((rc = sha256d_parts(ctx, r->p + start, 4, r->p + body,
	    body_end - body, lock, 4, h)) < 0)
		return rc;
	hash_hex(h, txid);
	/* Second pass: the outputs, now that the txid is known. */
	return raw_outputs(params, &(struct rd){ r->p, body_end, body }, txid,
	    fn, arg);
}

int
cgb_raw_block(struct cgb *b, const uint8_t *p, size_t len,
    const struct cgb_block *hdr, cgb_output_fn fn, void *arg)
{
	struct rd r = { p, len, 0 };
	char hex[CGB_HASH_LEN + 1], prev[CGB_HASH_LEN + 1];
	uint64_t ntx, k, max_money = 0;
	const uint8_t *head;
	uint8_t h[32], root[32], (*ids)[32] = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t i;
	int rc = -EPROTO;

	for (i = 0; b->chain->max_money[i] != '\0'; i++)
		max_money = max_money * 10 +
		    (uint64_t)(b->chain->max_money[i] - '0');
	if (take(&r, 80, &head) < 0 || cgc_sha256d(head, 80, h) < 0)
		goto bad;
	hash_hex(h, hex);
	hash_hex(head + 4, prev);
	if (strcmp(hex, hdr->hash) != 0 || (hdr->parent[0] != '\0' &&
	    strcmp(prev, hdr->parent) != 0))
		goto bad;
	/* Each transaction takes at least 60 bytes. */
	if (varint(&r, &ntx) < 0 || ntx != hdr->tx_count || ntx == 0 ||
	    ntx > (len - r.pos) / 60)
		goto bad;
	rc = -ENOMEM;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    (ids = malloc((size_t)ntx * sizeof(*ids))) == NULL)
		goto out;
	rc = -EPROTO;
	for (k = 0; k < ntx; k++)
		if ((rc = raw_tx(b, &r, ctx, max_money, ids[k], fn, arg)) < 0)
			goto bad;
	/* The transactions must be the ones the header commits to. */
	rc = -EPROTO;
	if (r.pos != r.len || merkle_root(ids, ntx, root) < 0 ||
	    memcmp(root, head + 36, 32) != 0)
		goto bad;
	rc = 0;
	goto out;
bad:
	if (rc == -EPROTO)
		cgb_log(b, CG_PLUGIN_LOG_ERROR, "backend reply refused: raw "
		    "block %s malformed near byte %zu", hdr->hash, r.pos);
out:
	EVP_MD_CTX_free(ctx);
	free(ids);
	return rc;
}
