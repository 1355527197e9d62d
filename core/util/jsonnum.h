/*
 * Number text from foreign JSON. jansson turns a real into a double and
 * json-c clamps integers beyond 64 bits, so money (Bitcoin Core amounts,
 * price feeds) is read from the document's own text here, and everything
 * else with jansson as usual: parse the same bytes with both.
 *
 * The walker is a strict RFC 8259 validator without recursion (an explicit
 * stack of CG_JSON_MAX_DEPTH levels) and without allocation: UTF-8 is
 * checked, escapes and surrogate pairs are checked, no trailing commas, no
 * leading zeros, nothing after the top-level value but whitespace. It
 * hands every scalar (string, number, true, false, null) to a callback
 * together with its path from the root.
 *
 * Errors (negative errno): -EINVAL invalid JSON (the byte offset goes to
 * *err_at when asked), -E2BIG document over CG_JSON_MAX_SIZE, -ELOOP
 * nesting deeper than CG_JSON_MAX_DEPTH, -ENOENT nothing at the path,
 * -EPROTO the value at the path is not a number, -EEXIST the path matches
 * more than one value (a duplicated key).
 * No allocation and no shared state: safe on any thread.
 */
#ifndef CG_UTIL_JSONNUM_H
#define CG_UTIL_JSONNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "util/decimal.h"

#define CG_JSON_MAX_DEPTH 64
#define CG_JSON_MAX_SIZE ((size_t)64 << 20)

enum cg_json_type {
	CG_JSON_STRING = 1,
	CG_JSON_NUMBER,
	CG_JSON_TRUE,
	CG_JSON_FALSE,
	CG_JSON_NULL,
};

/* One step from a container to a member: an object key or array index. */
struct cg_json_seg {
	const char *key;	/* raw key text between the quotes, escapes
				   undecoded; NULL inside an array */
	size_t keylen;
	size_t index;		/* position inside an array */
};

/*
 * Called for each scalar. path[0..depth-1] leads from the root to it (depth
 * 0: the document is a bare scalar). text is the raw token: a number's
 * exact characters, a string's characters between the quotes (escapes
 * undecoded), or the literal. Return 0 to go on; anything else stops the
 * walk and is returned by cg_json_walk.
 */
typedef int (*cg_json_scalar_fn)(void *arg, const struct cg_json_seg *path,
    size_t depth, enum cg_json_type type, const char *text, size_t len);

/*
 * Validates doc[0..len) and reports its scalars in document order.
 * Returns 0 when the document is valid (and the callback never stopped
 * it), the callback's value, or a negative errno; err_at may be NULL.
 */
int cg_json_walk(const char *doc, size_t len, cg_json_scalar_fn fn, void *arg,
    size_t *err_at);

/* Whether a path step is the object member `key` (escapes decoded). */
bool cg_json_key_eq(const struct cg_json_seg *seg, const char *key);

/* A step of a query: member `key`, or element `index` when key is NULL. */
struct cg_json_step {
	const char *key;
	size_t index;
};

/*
 * The number at path (n steps) in a valid document: *num points into doc,
 * *numlen is its length. Validates the whole document first.
 */
int cg_json_number_at(const char *doc, size_t len,
    const struct cg_json_step *path, size_t n, const char **num,
    size_t *numlen);

/*
 * Same with a path written as text: keys separated by '.', array indexes
 * in brackets: "bitcoin.usd", "result.vout[0].value", "[2].price". Keys
 * containing '.', '[' or ']' need cg_json_number_at. -EINVAL for a bad
 * path as for bad JSON.
 */
int cg_json_number_path(const char *doc, size_t len, const char *path,
    const char **num, size_t *numlen);

/*
 * The number at a text path read as an exact decimal: cg_json_number_path
 * then cg_dec_parse_json(scale, precision, round). For example a Bitcoin
 * Core amount in satoshis:
 *   cg_json_decimal_path(doc, len, "result.amount", 8, 26, CG_ROUND_EXACT,
 *       &sat)
 * (26 = the 18 integer digits of DECIMAL(36,18) + 8 decimals), or a price
 * kept exactly: scale 18, precision 36. Errors of both.
 */
int cg_json_decimal_path(const char *doc, size_t len, const char *path,
    unsigned scale, unsigned precision, enum cg_round round, cg_i128 *out);

#endif
