/*
 * Transactions out of a JSON walk, for both backends (see btc.h). Tokens
 * are kept as pointers into the document until their transaction is
 * complete, so nothing is copied but the outputs that matter.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "btc.h"
#include "common/amount.h"
#include "util/jsonnum.h"

int
cgb_key_is(const struct cg_json_seg *seg, const char *k)
{
	size_t n = strlen(k);

	return seg->key != NULL && seg->keylen == n &&
	    memcmp(seg->key, k, n) == 0;
}

void
cgb_txwalk_init(struct cgb_txwalk *tw, struct cgb *b, int coins,
    cgb_output_fn fn, void *arg)
{
	memset(tw, 0, sizeof(*tw));
	tw->b = b;
	tw->coins = coins;
	tw->fn = fn;
	tw->arg = arg;
	tw->cur = SIZE_MAX;
}

void
cgb_txwalk_free(struct cgb_txwalk *tw)
{
	free(tw->outs);
	tw->outs = NULL;
	tw->nouts = tw->cap = 0;
}

static int
flush(struct cgb_txwalk *tw)
{
	struct cgb_output o;
	char sats[CGC_UNITS_STR_MAX];
	size_t i;
	int rc;

	if (tw->cur == SIZE_MAX)
		return 0;
	if (!cgb_is_hash(tw->txid, tw->txid_len)) {
		cgb_log(tw->b, CG_PLUGIN_LOG_ERROR, "backend reply refused: "
		    "transaction %zu has no valid txid", tw->cur);
		return -EPROTO;
	}
	for (i = 0; i < tw->nouts; i++) {
		struct cgb_txout *t = &tw->outs[i];

		if (t->n >= 0 && (uint64_t)t->n != i) {
			cgb_log(tw->b, CG_PLUGIN_LOG_ERROR, "backend reply "
			    "refused: output %zu of %.64s says n=%lld", i,
			    tw->txid, (long long)t->n);
			return -EPROTO;
		}
		/* No single address (OP_RETURN, bare multisig): no payment. */
		if (t->address_count != 1)
			continue;
		if (t->value == NULL) {
			cgb_log(tw->b, CG_PLUGIN_LOG_ERROR, "backend reply "
			    "refused: output %zu of %.64s has no value", i,
			    tw->txid);
			return -EPROTO;
		}
		rc = tw->coins ?
		    cgb_sats_from_coins(tw->b, t->value, t->value_len, sats,
		    sizeof(sats)) :
		    cgb_sats_from_int(tw->b, t->value, t->value_len, sats,
		    sizeof(sats));
		if (rc < 0)
			return rc;
		o.txid = tw->txid;
		o.address = t->address;
		o.address_len = t->address_len;
		o.n = (uint32_t)i;
		o.sats = sats;
		if ((rc = tw->fn(tw->arg, &o)) < 0)
			return rc;
	}
	tw->count++;
	tw->cur = SIZE_MAX;
	tw->txid = NULL;
	tw->txid_len = 0;
	tw->nouts = 0;
	return 0;
}

static struct cgb_txout *
out_at(struct cgb_txwalk *tw, size_t j)
{
	struct cgb_txout *v;

	while (tw->nouts <= j) {
		if (tw->nouts == tw->cap) {
			size_t cap = tw->cap ? tw->cap * 2 : 8;

			if ((v = realloc(tw->outs, cap * sizeof(*v))) == NULL)
				return NULL;
			tw->outs = v;
			tw->cap = cap;
		}
		memset(&tw->outs[tw->nouts], 0, sizeof(*tw->outs));
		tw->outs[tw->nouts++].n = -1;
	}
	return &tw->outs[j];
}

static int
wrong(struct cgb_txwalk *tw, const char *what)
{
	cgb_log(tw->b, CG_PLUGIN_LOG_ERROR, "backend reply refused: "
	    "transaction %zu: %s", tw->cur, what);
	return -EPROTO;
}

static int
vout_scalar(struct cgb_txwalk *tw, const struct cg_json_seg *rel,
    size_t depth, int type, const char *text, size_t len)
{
	struct cgb_txout *t;
	int64_t n;

	if ((t = out_at(tw, rel[1].index)) == NULL)
		return -ENOMEM;
	if (depth == 3 && cgb_key_is(&rel[2], "value")) {
		if (type != CG_JSON_NUMBER || t->value != NULL)
			return wrong(tw, "vout value not one number");
		t->value = text;
		t->value_len = len;
	} else if (depth == 3 && cgb_key_is(&rel[2], "n")) {
		if (type != CG_JSON_NUMBER || t->n >= 0 ||
		    cgb_parse_i64(text, len, &n) < 0 || n < 0)
			return wrong(tw, "vout n not one index");
		t->n = n;
	} else if ((depth == 3 && cgb_key_is(&rel[2],
	    "scriptpubkey_address")) || (depth == 4 &&
	    cgb_key_is(&rel[2], "scriptPubKey") &&
	    cgb_key_is(&rel[3], "address")) || (depth == 5 &&
	    cgb_key_is(&rel[2], "scriptPubKey") &&
	    cgb_key_is(&rel[3], "addresses"))) {
		if (type != CG_JSON_STRING)
			return wrong(tw, "address not a string");
		if (t->address_count++ == 0) {
			t->address = text;
			t->address_len = len;
		}
	}
	return 0;
}

int
cgb_txwalk_scalar(struct cgb_txwalk *tw, size_t txindex,
    const struct cg_json_seg *rel, size_t depth, int type, const char *text,
    size_t len)
{
	int rc;

	if (txindex != tw->cur) {
		if ((rc = flush(tw)) < 0)
			return rc;
		tw->cur = txindex;
	}
	if (depth == 1 && cgb_key_is(&rel[0], "txid")) {
		if (type != CG_JSON_STRING || tw->txid != NULL)
			return wrong(tw, "txid not one string");
		tw->txid = text;
		tw->txid_len = len;
		return 0;
	}
	if (depth >= 3 && cgb_key_is(&rel[0], "vout") && rel[1].key == NULL)
		return vout_scalar(tw, rel, depth, type, text, len);
	return 0;
}

int
cgb_txwalk_end(struct cgb_txwalk *tw)
{
	return flush(tw);
}
