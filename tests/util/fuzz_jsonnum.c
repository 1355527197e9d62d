/*
 * libFuzzer target for the JSON number walker. Properties:
 *  - it agrees with jansson on validity (jansson may refuse only numbers
 *    it cannot hold and NUL in keys, we may refuse only nesting beyond
 *    our limit and bytes after a NUL, which jansson takes for the end);
 *  - every number token it reports is a JSON number to the decimal
 *    parser, and found again, at the same bytes, by a path query (or the
 *    query reports the path as ambiguous);
 *  - the error offset lies inside the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/decimal.h"
#include "util/jsonnum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_SEEN 32

struct seen {
	struct cg_json_step steps[CG_JSON_MAX_DEPTH];
	char keys[CG_JSON_MAX_DEPTH][64];
	size_t depth;
	enum cg_json_type type;
	const char *text;
	size_t len;
};

struct state {
	struct seen seen[MAX_SEEN];
	size_t n;
};

static int
record(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct state *st = arg;
	struct seen *s;
	size_t k;
	cg_i128 v;
	int err;

	if (type == CG_JSON_NUMBER) {
		err = cg_dec_parse_json(text, len, 8, 38, CG_ROUND_HALF_EVEN,
		    &v);
		CHECK(err == 0 || err == -ERANGE);
	}
	if (st->n == MAX_SEEN)
		return 0;
	s = &st->seen[st->n];
	for (k = 0; k < depth; k++) {
		if (path[k].key == NULL) {
			s->steps[k].key = NULL;
			s->steps[k].index = path[k].index;
			continue;
		}
		/* keys with escapes or NULs are left to the unit tests */
		if (path[k].keylen >= sizeof(s->keys[k]) ||
		    memchr(path[k].key, '\\', path[k].keylen) != NULL ||
		    memchr(path[k].key, '\0', path[k].keylen) != NULL)
			return 0;
		memcpy(s->keys[k], path[k].key, path[k].keylen);
		s->keys[k][path[k].keylen] = '\0';
		CHECK(cg_json_key_eq(&path[k], s->keys[k]));
		s->steps[k].key = s->keys[k];
	}
	s->depth = depth;
	s->type = type;
	s->text = text;
	s->len = len;
	st->n++;
	return 0;
}

/*
 * jansson's refusals of valid JSON: numbers it cannot hold, and "\u0000"
 * in an object key (it keeps keys as C strings).
 */
static int
jansson_limit(const json_error_t *e)
{
	return strstr(e->text, "too big") != NULL ||
	    strstr(e->text, "overflow") != NULL ||
	    strstr(e->text, "NUL byte in object key") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	const char *doc = (const char *)data, *num;
	size_t at = (size_t)-1, i, nl;
	json_error_t jerr;
	json_t *j;
	int err, e;

	if (size > 65536)
		return 0;
	st.n = 0;
	err = cg_json_walk(doc, size, record, &st, &at);
	CHECK(err == 0 || err == -EINVAL || err == -ELOOP);
	if (err != 0)
		CHECK(at <= size);

	j = json_loadb(doc, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (err == 0)
		CHECK(j != NULL || jansson_limit(&jerr));
	else if (err == -EINVAL)	/* jansson reads a NUL byte as the end */
		CHECK(j == NULL || memchr(doc, '\0', size) != NULL);
	json_decref(j);
	if (err != 0)
		return 0;

	for (i = 0; i < st.n; i++) {
		struct seen *s = &st.seen[i];

		e = cg_json_number_at(doc, size, s->steps, s->depth, &num, &nl);
		if (s->type == CG_JSON_NUMBER) {
			CHECK(e == 0 || e == -EEXIST);
			if (e == 0)
				CHECK(num == s->text && nl == s->len);
		} else {
			CHECK(e == -EPROTO || e == -EEXIST);
		}
	}
	return 0;
}
