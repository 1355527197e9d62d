/*
 * A strict, non-recursive JSON walker that keeps number tokens as text.
 * The grammar is RFC 8259's; the only state is a fixed stack of path steps.
 */
#include "util/jsonnum.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "util/str.h"

enum state {
	ST_VALUE,		/* a value must start here */
	ST_KEY,			/* an object key must start here */
	ST_AFTER,		/* a value ended: ',' or a closing bracket */
};

static size_t
skip_ws(const char *d, size_t len, size_t i)
{
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' ||
	    d[i] == '\r'))
		i++;
	return i;
}

/* Four hex digits at d[i..i+4) as a code unit, or -1. */
static long
hex4(const char *d, size_t len, size_t i)
{
	long v = 0;
	size_t k;

	if (len < 4 || i > len - 4)
		return -1;
	for (k = 0; k < 4; k++) {
		int h = cg_hex_digit(d[i + k]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Length of the valid UTF-8 sequence at d[i] (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *d, size_t len, size_t i)
{
	unsigned char c = d[i], lo = 0x80, hi = 0xbf;
	size_t n, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* above U+10FFFF */
	if (len - i < n || d[i + 1] < lo || d[i + 1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if (d[i + k] < 0x80 || d[i + k] > 0xbf)
			return 0;
	return n;
}

/*
 * Decodes the escape at d[i] (just after the backslash) into a code point;
 * returns the index after it, or 0 when malformed.
 */
static size_t
unescape(const char *d, size_t len, size_t i, unsigned long *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p;
	long hi, lo;

	if (i >= len)
		return 0;
	if (d[i] != 'u') {
		if (d[i] == '\0' || (p = strchr(from, d[i])) == NULL)
			return 0;
		*cp = (unsigned char)to[p - from];
		return i + 1;
	}
	if ((hi = hex4(d, len, i + 1)) < 0)
		return 0;
	i += 5;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return 0;	/* a lone low surrogate */
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = (unsigned long)hi;
		return i;
	}
	if (i + 1 >= len || d[i] != '\\' || d[i + 1] != 'u' ||
	    (lo = hex4(d, len, i + 2)) < 0xdc00 || lo > 0xdfff)
		return 0;
	*cp = 0x10000 + ((unsigned long)(hi - 0xd800) << 10) +
	    (unsigned long)(lo - 0xdc00);
	return i + 6;
}

/* d[*pi] is just after the opening quote; *pi ends on the closing quote. */
static int
scan_string(const char *d, size_t len, size_t *pi)
{
	size_t i = *pi, n;
	unsigned long cp;

	while (i < len) {
		unsigned char c = (unsigned char)d[i];

		if (c == '"') {
			*pi = i;
			return 0;
		}
		if (c < 0x20)
			break;
		if (c == '\\') {
			if ((n = unescape(d, len, i + 1, &cp)) == 0)
				break;
			i = n;
			continue;
		}
		if ((n = utf8_len((const unsigned char *)d, len, i)) == 0)
			break;
		i += n;
	}
	*pi = i;
	return -EINVAL;
}

static size_t
digits(const char *d, size_t len, size_t i)
{
	while (i < len && d[i] >= '0' && d[i] <= '9')
		i++;
	return i;
}

/* A number token at d[*pi]; *pi ends just after it. */
static int
scan_number(const char *d, size_t len, size_t *pi)
{
	size_t i = *pi, j;

	if (i < len && d[i] == '-')
		i++;
	if (i < len && d[i] == '0')
		i++;
	else if (i < len && d[i] >= '1' && d[i] <= '9')
		i = digits(d, len, i);
	else
		goto fail;
	if (i < len && d[i] == '.') {
		j = digits(d, len, i + 1);
		if (j == i + 1)
			goto fail;
		i = j;
	}
	if (i < len && (d[i] == 'e' || d[i] == 'E')) {
		i++;
		if (i < len && (d[i] == '+' || d[i] == '-'))
			i++;
		j = digits(d, len, i);
		if (j == i)
			goto fail;
		i = j;
	}
	*pi = i;
	return 0;
fail:
	*pi = i;
	return -EINVAL;
}

/* A literal (true, false, null) at d[*pi]. */
static int
scan_literal(const char *d, size_t len, size_t *pi, enum cg_json_type *type)
{
	static const struct {
		const char *text;
		enum cg_json_type type;
	} lit[] = {
		{ "true", CG_JSON_TRUE },
		{ "false", CG_JSON_FALSE },
		{ "null", CG_JSON_NULL },
	};
	size_t k, n;

	for (k = 0; k < sizeof(lit) / sizeof(lit[0]); k++) {
		n = strlen(lit[k].text);
		if (len - *pi >= n && memcmp(d + *pi, lit[k].text, n) == 0) {
			*pi += n;
			*type = lit[k].type;
			return 0;
		}
	}
	return -EINVAL;
}

/* A scalar at d[*pi]: reports it and moves *pi past it. */
static int
scalar(const char *d, size_t len, size_t *pi, const struct cg_json_seg *path,
    size_t depth, cg_json_scalar_fn fn, void *arg)
{
	size_t start = *pi;
	enum cg_json_type type;
	int err;

	if (d[start] == '"') {
		*pi = start + 1;
		if ((err = scan_string(d, len, pi)) != 0)
			return err;
		(*pi)++;
		type = CG_JSON_STRING;
		return fn == NULL ? 0 : fn(arg, path, depth, type, d + start + 1,
		    *pi - start - 2);
	}
	if (d[start] == '-' || (d[start] >= '0' && d[start] <= '9'))
		err = scan_number(d, len, pi), type = CG_JSON_NUMBER;
	else
		err = scan_literal(d, len, pi, &type);
	if (err != 0)
		return err;
	return fn == NULL ? 0 : fn(arg, path, depth, type, d + start,
	    *pi - start);
}

struct walker {
	const char *d;
	size_t len;
	size_t i;		/* the next byte to read */
	size_t depth;
	struct cg_json_seg path[CG_JSON_MAX_DEPTH];
	char open[CG_JSON_MAX_DEPTH];	/* '{' or '[' per level */
	cg_json_scalar_fn fn;
	void *arg;
	bool done;		/* the top-level value ended the document */
};

static char
closer(const struct walker *w)
{
	return w->open[w->depth - 1] == '{' ? '}' : ']';
}

/* After a value: a comma, a closing bracket, or the end of the document. */
static int
after_value(struct walker *w, enum state *st)
{
	w->i = skip_ws(w->d, w->len, w->i);
	if (w->depth == 0) {
		w->done = w->i == w->len;
		return w->done ? 0 : -EINVAL;
	}
	if (w->i == w->len)
		return -EINVAL;
	if (w->d[w->i] == ',') {
		w->i = skip_ws(w->d, w->len, w->i + 1);
		if (w->open[w->depth - 1] == '{') {
			*st = ST_KEY;
		} else {
			w->path[w->depth - 1].index++;
			*st = ST_VALUE;
		}
		return 0;
	}
	if (w->d[w->i] != closer(w))
		return -EINVAL;
	w->i++;
	w->depth--;
	return 0;
}

/* An object key and its colon. */
static int
key(struct walker *w, enum state *st)
{
	size_t ks;
	int err;

	if (w->d[w->i] != '"')
		return -EINVAL;
	ks = ++w->i;
	if ((err = scan_string(w->d, w->len, &w->i)) != 0)
		return err;
	w->path[w->depth - 1].key = w->d + ks;
	w->path[w->depth - 1].keylen = w->i - ks;
	w->i = skip_ws(w->d, w->len, w->i + 1);
	if (w->i == w->len || w->d[w->i] != ':')
		return -EINVAL;
	w->i = skip_ws(w->d, w->len, w->i + 1);
	*st = ST_VALUE;
	return 0;
}

/* A value: opens a container or reports a scalar. */
static int
value(struct walker *w, enum state *st)
{
	char c = w->d[w->i];
	int err;

	if (c != '{' && c != '[') {
		err = scalar(w->d, w->len, &w->i, w->path, w->depth, w->fn,
		    w->arg);
		*st = ST_AFTER;
		return err;	/* a bad token, or the callback said stop */
	}
	if (w->depth == CG_JSON_MAX_DEPTH)
		return -ELOOP;
	w->open[w->depth] = c;
	memset(&w->path[w->depth], 0, sizeof(w->path[w->depth]));
	w->depth++;
	w->i = skip_ws(w->d, w->len, w->i + 1);
	if (w->i < w->len && w->d[w->i] == closer(w)) {
		w->i++;
		w->depth--;
		*st = ST_AFTER;
	} else {
		*st = c == '{' ? ST_KEY : ST_VALUE;
	}
	return 0;
}

int
cg_json_walk(const char *doc, size_t len, cg_json_scalar_fn fn, void *arg,
    size_t *err_at)
{
	struct walker w = { .d = doc, .len = len, .fn = fn, .arg = arg };
	enum state st = ST_VALUE;
	int err = 0;

	if (len > CG_JSON_MAX_SIZE)
		err = -E2BIG;
	else
		w.i = skip_ws(doc, len, 0);
	while (err == 0 && !w.done) {
		if (st == ST_AFTER)
			err = after_value(&w, &st);
		else if (w.i == len)
			err = -EINVAL;
		else if (st == ST_KEY)
			err = key(&w, &st);
		else
			err = value(&w, &st);
	}
	if (err == 0)
		return 0;
	if (err_at != NULL)
		*err_at = w.i;
	return err;
}

/* UTF-8 bytes of a code point; returns their count. */
static size_t
utf8_put(unsigned long cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

bool
cg_json_key_eq(const struct cg_json_seg *seg, const char *key)
{
	const char *d = seg->key;
	size_t len = seg->keylen, i = 0, k = 0, n, j;
	unsigned char buf[4];
	unsigned long cp;

	if (d == NULL || key == NULL)
		return false;
	while (i < len) {
		if (d[i] != '\\') {
			if (key[k] == '\0' || key[k] != d[i])
				return false;
			i++, k++;
			continue;
		}
		if ((j = unescape(d, len, i + 1, &cp)) == 0)
			return false;
		i = j;
		n = utf8_put(cp, buf);
		for (j = 0; j < n; j++, k++)
			if (key[k] == '\0' || (unsigned char)key[k] != buf[j])
				return false;
	}
	return key[k] == '\0';
}

struct query {
	const struct cg_json_step *path;
	size_t n;
	const char *num;
	size_t numlen;
	enum cg_json_type type;
	int found;		/* scalars exactly at the path */
	int below;		/* scalars inside a container at the path */
};

static bool
step_eq(const struct cg_json_seg *seg, const struct cg_json_step *step)
{
	if (step->key == NULL)
		return seg->key == NULL && seg->index == step->index;
	return seg->key != NULL && cg_json_key_eq(seg, step->key);
}

static int
query_fn(void *arg, const struct cg_json_seg *path, size_t depth,
    enum cg_json_type type, const char *text, size_t len)
{
	struct query *q = arg;
	size_t k;

	if (depth < q->n)
		return 0;
	for (k = 0; k < q->n; k++)
		if (!step_eq(&path[k], &q->path[k]))
			return 0;
	if (depth > q->n) {
		q->below++;
		return 0;
	}
	if (q->found++ == 0) {
		q->num = text;
		q->numlen = len;
		q->type = type;
	}
	return 0;
}

int
cg_json_number_at(const char *doc, size_t len,
    const struct cg_json_step *path, size_t n, const char **num,
    size_t *numlen)
{
	struct query q;
	int err;

	memset(&q, 0, sizeof(q));
	q.path = path;
	q.n = n;
	if ((err = cg_json_walk(doc, len, query_fn, &q, NULL)) != 0)
		return err;
	if (q.found > 1 || (q.found == 1 && q.below > 0))
		return -EEXIST;
	if (q.found == 0)
		return q.below > 0 ? -EPROTO : -ENOENT;
	if (q.type != CG_JSON_NUMBER)
		return -EPROTO;
	*num = q.num;
	*numlen = q.numlen;
	return 0;
}

/* Splits a path text into steps; keys are copied NUL-terminated to keys. */
static int
parse_path(const char *p, struct cg_json_step *steps, size_t *n, char *keys,
    size_t keysize)
{
	size_t ns = 0, kp = 0;

	while (*p != '\0') {
		if (ns == CG_JSON_MAX_DEPTH)
			return -EINVAL;
		if (*p == '[') {
			size_t idx = 0, nd = 0;

			for (p++; *p >= '0' && *p <= '9' && nd < 9; p++, nd++)
				idx = idx * 10 + (size_t)(*p - '0');
			if (nd == 0 || *p != ']')
				return -EINVAL;
			p++;
			steps[ns].key = NULL;
			steps[ns++].index = idx;
		} else {
			const char *s = p;

			while (*p != '\0' && *p != '.' && *p != '[' && *p != ']')
				p++;
			if (p == s || *p == ']' || kp + (size_t)(p - s) + 1 > keysize)
				return -EINVAL;
			memcpy(keys + kp, s, (size_t)(p - s));
			keys[kp + (size_t)(p - s)] = '\0';
			steps[ns].key = keys + kp;
			steps[ns++].index = 0;
			kp += (size_t)(p - s) + 1;
		}
		if (*p == '.') {
			p++;
			if (*p == '\0' || *p == '.' || *p == '[')
				return -EINVAL;
		} else if (*p != '\0' && *p != '[') {
			return -EINVAL;
		}
	}
	*n = ns;
	return 0;
}

int
cg_json_number_path(const char *doc, size_t len, const char *path,
    const char **num, size_t *numlen)
{
	struct cg_json_step steps[CG_JSON_MAX_DEPTH];
	char keys[512];
	size_t n = 0;

	if (path == NULL || strlen(path) >= sizeof(keys) ||
	    parse_path(path, steps, &n, keys, sizeof(keys)) != 0)
		return -EINVAL;
	return cg_json_number_at(doc, len, steps, n, num, numlen);
}

int
cg_json_decimal_path(const char *doc, size_t len, const char *path,
    unsigned scale, unsigned precision, enum cg_round round, cg_i128 *out)
{
	const char *num;
	size_t n;
	int err;

	if ((err = cg_json_number_path(doc, len, path, &num, &n)) != 0)
		return err;
	return cg_dec_parse_json(num, n, scale, precision, round, out);
}
