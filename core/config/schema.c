#include "config/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_SECRET_MAX 65536
#define CG_PATH_MAX 512

static int convert(struct cg_schema_ctx *, const struct cg_ynode *,
    const struct cg_plugin_key *, size_t, const char *, struct cg_cval *);

int
cg_schema_error(struct cg_schema_ctx *ctx, int line, int col,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ctx->err, ctx->errlen, "%s:%d:%d: ", ctx->file,
	    line > 0 ? line : 1, col > 0 ? col : 1);
	if (n < 0 || (size_t)n >= ctx->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct cg_plugin_key *
key_at(const struct cg_plugin_key *keys, size_t key_size, size_t i)
{
	return (const struct cg_plugin_key *)(const void *)
	    ((const char *)keys + i * key_size);
}

static void
join(char *out, const char *path, const char *name)
{
	if (path[0] == '\0')
		snprintf(out, CG_PATH_MAX, "%s", name);
	else
		snprintf(out, CG_PATH_MAX, "%s.%s", path, name);
}

void
cg_cval_clear(struct cg_cval *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++)
		cg_cval_clear(&v->items[i]);
	free(v->items);
	if (v->str != NULL && (v->flags & CG_KEY_SECRET))
		explicit_bzero(v->str, v->len);
	free(v->str);
	free(v->source);
	free(v->name);
	memset(v, 0, sizeof(*v));
}

static int
set_str(struct cg_cval *v, const char *s, size_t len)
{
	if ((v->str = malloc(len + 1)) == NULL)
		return -1;
	memcpy(v->str, s, len);
	v->str[len] = '\0';
	v->len = len;
	return 0;
}

static int
parse_int(const char *s, int64_t *out)
{
	const char *p = s;
	int neg = 0;
	uint64_t v = 0, lim;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p == '\0')
		return -EINVAL;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (lim - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int
is_decimal(const char *s)
{
	size_t i = 0, digits = 0;

	while (s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (digits == 0)
		return 0;
	if (s[i] == '.') {
		size_t frac = 0;

		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			frac++;
		if (frac == 0)
			return 0;
		digits += frac;
	}
	return s[i] == '\0' && digits <= 78;
}

static int
check_range(struct cg_schema_ctx *ctx, const struct cg_ynode *n,
    const struct cg_plugin_key *k, const char *path, const char *what,
    int64_t v)
{
	if (k->min == 0 && k->max == 0)
		return 0;
	if (v >= k->min && v <= k->max)
		return 0;
	if (what == NULL)
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: %" PRId64 " is out of range %" PRId64 "..%" PRId64,
		    path, v, k->min, k->max);
	return cg_schema_error(ctx, n->line, n->col,
	    "%s: %s %" PRId64 " is out of range %" PRId64 "..%" PRId64,
	    path, what, v, k->min, k->max);
}

static int
convert_scalar(struct cg_schema_ctx *ctx, const struct cg_ynode *n,
    const struct cg_plugin_key *k, const char *path, struct cg_cval *v)
{
	static const char *const names[] = {
		[CG_KEY_STRING] = "a string", [CG_KEY_INT] = "an integer",
		[CG_KEY_BOOL] = "true or false",
		[CG_KEY_DECIMAL] = "a decimal number such as \"1.25\"",
		[CG_KEY_ENUM] = "a string",
	};
	int rc;

	if (n->kind != CG_YNODE_SCALAR)
		return cg_schema_error(ctx, n->line, n->col, "%s: expected %s",
		    path, names[k->type]);
	switch (k->type) {
	case CG_KEY_INT:
		if (!n->plain || (rc = parse_int(n->value, &v->num)) == -EINVAL)
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: expected an integer", path);
		if (rc == -ERANGE)
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: %s is out of range %" PRId64 "..%" PRId64,
			    path, n->value, k->min, k->max);
		if (check_range(ctx, n, k, path, NULL, v->num) < 0)
			return -1;
		break;
	case CG_KEY_BOOL:
		if (n->plain && strcmp(n->value, "true") == 0)
			v->num = 1;
		else if (n->plain && strcmp(n->value, "false") == 0)
			v->num = 0;
		else
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: expected true or false", path);
		break;
	case CG_KEY_DECIMAL:
		if (!is_decimal(n->value))
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: expected %s", path, names[k->type]);
		break;
	case CG_KEY_ENUM:
		for (size_t i = 0; k->choices && k->choices[i]; i++)
			if (strcmp(k->choices[i], n->value) == 0)
				goto found;
		{
			char list[256] = "";
			size_t off = 0;

			for (size_t i = 0; k->choices && k->choices[i]; i++) {
				int w = snprintf(list + off, sizeof(list) - off,
				    "%s%s", i ? ", " : "", k->choices[i]);
				if (w < 0 || (size_t)w >= sizeof(list) - off)
					break;
				off += (size_t)w;
			}
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: \"%s\" is not one of %s", path, n->value,
			    list);
		}
found:
		break;
	default:
		if (check_range(ctx, n, k, path, "length", (int64_t)n->len) < 0)
			return -1;
		break;
	}
	return set_str(v, n->value, n->len);
}

/* Reads a secret file: at most 64 KiB, one trailing newline dropped. */
static int
read_secret(struct cg_schema_ctx *ctx, const struct cg_ynode *n,
    const char *path, struct cg_cval *v)
{
	char full[PATH_MAX], *buf = NULL;
	struct stat st;
	ssize_t r;
	size_t len = 0;
	int fd, err;

	if (n->value[0] != '/' && ctx->basedir != NULL)
		snprintf(full, sizeof(full), "%s/%s", ctx->basedir, n->value);
	else
		snprintf(full, sizeof(full), "%s", n->value);
	/* O_NONBLOCK and the S_ISREG check: a FIFO or a device must not
	 * hang or flood the start. */
	if ((fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		err = errno;
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: cannot read \"%s\": %s", path, full, strerror(err));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: \"%s\" is not a regular file", path, full);
	}
	if ((buf = malloc(CG_SECRET_MAX + 1)) == NULL) {
		close(fd);
		return cg_schema_error(ctx, n->line, n->col, "out of memory");
	}
	while ((r = read(fd, buf + len, CG_SECRET_MAX + 1 - len)) > 0 &&
	    len + (size_t)r <= CG_SECRET_MAX)
		len += (size_t)r;
	err = errno;
	close(fd);
	if (r < 0 || r > 0) {
		explicit_bzero(buf, CG_SECRET_MAX + 1);
		free(buf);
		if (r > 0)
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: \"%s\" is larger than %d bytes", path, full,
			    CG_SECRET_MAX);
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: cannot read \"%s\": %s", path, full, strerror(err));
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0) {
		free(buf);
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: \"%s\" is empty", path, full);
	}
	buf[len] = '\0';
	v->str = buf;
	v->len = len;
	return 0;
}

/* NAME_file or NAME_env: the value comes from elsewhere. */
static int
convert_indirect(struct cg_schema_ctx *ctx, const struct cg_ynode *n,
    const struct cg_plugin_key *k, int from_env, const char *path,
    struct cg_cval *v)
{
	const char *val;
	size_t srclen;

	if (n->kind != CG_YNODE_SCALAR || n->len == 0)
		return cg_schema_error(ctx, n->line, n->col, "%s: expected %s",
		    path, from_env ? "an environment variable name" :
		    "a file path");
	srclen = n->len + 6;
	if ((v->source = malloc(srclen)) == NULL)
		return cg_schema_error(ctx, n->line, n->col, "out of memory");
	snprintf(v->source, srclen, "%s %s", from_env ? "env" : "file",
	    n->value);
	if (!from_env)
		return read_secret(ctx, n, path, v);
	if ((val = getenv(n->value)) == NULL || val[0] == '\0')
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: environment variable \"%s\" is not set", path,
		    n->value);
	if (!(k->flags & CG_KEY_SECRET)) {
		/* A plain value from the environment, checked as if inline. */
		struct cg_ynode tmp = *n;

		tmp.value = (char *)val;
		tmp.len = strlen(val);
		tmp.plain = 0;
		return convert_scalar(ctx, &tmp, k, path, v);
	}
	return set_str(v, val, strlen(val));
}

static int
convert_list(struct cg_schema_ctx *ctx, const struct cg_ynode *n,
    const struct cg_plugin_key *k, const char *path, struct cg_cval *v)
{
	char sub[CG_PATH_MAX], idx[24];
	struct cg_plugin_key item = { .type = CG_KEY_STRING };

	if (n->kind != CG_YNODE_SEQ)
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: expected a list of strings", path);
	if (check_range(ctx, n, k, path, "item count", (int64_t)n->n) < 0)
		return -1;
	if (n->n && (v->items = calloc(n->n, sizeof(*v->items))) == NULL)
		return cg_schema_error(ctx, n->line, n->col, "out of memory");
	for (size_t i = 0; i < n->n; i++) {
		struct cg_cval *it = &v->items[v->n++];

		snprintf(idx, sizeof(idx), "%zu", i);
		join(sub, path, idx);
		it->type = CG_KEY_STRING;
		it->line = n->items[i]->line;
		it->col = n->items[i]->col;
		if ((it->name = strdup(idx)) == NULL)
			return cg_schema_error(ctx, n->line, n->col,
			    "out of memory");
		if (convert_scalar(ctx, n->items[i], &item, sub, it) < 0)
			return -1;
	}
	return 0;
}

static int
convert_map(struct cg_schema_ctx *ctx, const struct cg_ynode *n,
    const struct cg_plugin_key *k, size_t key_size, const char *path,
    struct cg_cval *v)
{
	char sub[CG_PATH_MAX];

	if (n->kind != CG_YNODE_MAP)
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: expected a mapping", path);
	if (k->children == NULL || k->child_count < 1)
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: schema has no item type", path);
	if (check_range(ctx, n, k, path, "item count", (int64_t)n->n) < 0)
		return -1;
	if (n->n && (v->items = calloc(n->n, sizeof(*v->items))) == NULL)
		return cg_schema_error(ctx, n->line, n->col, "out of memory");
	for (size_t i = 0; i < n->n; i++) {
		const struct cg_ynode *kn = n->keys[i];

		if (kn->len == 0 || strchr(kn->value, '.') != NULL)
			return cg_schema_error(ctx, kn->line, kn->col,
			    "%s: \"%s\" is not a valid name (empty or "
			    "contains \".\")", path, kn->value);
		join(sub, path, kn->value);
		if (cg_ynode_is_null(n->items[i]))
			return cg_schema_error(ctx, n->items[i]->line,
			    n->items[i]->col, "%s: value missing", sub);
		if (convert(ctx, n->items[i], k->children, key_size, sub,
		    &v->items[v->n]) < 0) {
			v->n++;
			return -1;
		}
		v->n++;
		if ((v->items[v->n - 1].name = strdup(kn->value)) == NULL)
			return cg_schema_error(ctx, n->line, n->col,
			    "out of memory");
	}
	return 0;
}

static int
convert(struct cg_schema_ctx *ctx, const struct cg_ynode *n,
    const struct cg_plugin_key *k, size_t key_size, const char *path,
    struct cg_cval *v)
{
	v->type = k->type;
	v->flags = k->flags;
	v->line = n->line;
	v->col = n->col;
	switch (k->type) {
	case CG_KEY_STRING:
	case CG_KEY_INT:
	case CG_KEY_BOOL:
	case CG_KEY_DECIMAL:
	case CG_KEY_ENUM:
		return convert_scalar(ctx, n, k, path, v);
	case CG_KEY_STRING_LIST:
		return convert_list(ctx, n, k, path, v);
	case CG_KEY_TABLE:
		if (n->kind != CG_YNODE_MAP)
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: expected a mapping", path);
		return cg_schema_validate(ctx, n, n->line, n->col, path,
		    k->children, k->child_count, key_size, v);
	case CG_KEY_MAP:
		return convert_map(ctx, n, k, key_size, path, v);
	case CG_KEY_ANY:
		if (n->kind != CG_YNODE_MAP)
			return cg_schema_error(ctx, n->line, n->col,
			    "%s: expected a mapping", path);
		v->raw = n;
		return 0;
	default:
		return cg_schema_error(ctx, n->line, n->col,
		    "%s: schema has an unknown type %u", path, k->type);
	}
}

/* Which key spec a YAML key names: 0 direct, 1 NAME_file, 2 NAME_env. */
static long
match_key(const char *name, const struct cg_plugin_key *keys, size_t count,
    size_t key_size, int *how)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; i < count; i++) {
		const struct cg_plugin_key *k = key_at(keys, key_size, i);
		size_t klen = strlen(k->name);

		*how = 0;
		if (strcmp(name, k->name) == 0)
			return (long)i;
		if (nlen <= klen || strncmp(name, k->name, klen) != 0)
			continue;
		if ((k->flags & CG_KEY_SECRET) &&
		    strcmp(name + klen, "_file") == 0) {
			*how = 1;
			return (long)i;
		}
		if ((k->flags & (CG_KEY_SECRET | CG_KEYF_ENV)) &&
		    strcmp(name + klen, "_env") == 0) {
			*how = 2;
			return (long)i;
		}
	}
	return -1;
}

static int
fill_default(struct cg_schema_ctx *ctx, const struct cg_plugin_key *k,
    size_t key_size, const char *path, int line, int col, struct cg_cval *v)
{
	struct cg_ynode tmp = { .kind = CG_YNODE_SCALAR, .plain = 1,
	    .line = line, .col = col };

	if (k->type == CG_KEY_TABLE) {
		/* An absent table with required keys stays absent. */
		for (uint32_t i = 0; i < k->child_count; i++)
			if (key_at(k->children, key_size, i)->flags &
			    CG_KEY_REQUIRED)
				return 0;
		v->type = k->type;
		v->flags = k->flags;
		return cg_schema_validate(ctx, NULL, line, col, path,
		    k->children, k->child_count, key_size, v) < 0 ? -1 : 1;
	}
	if (k->default_value == NULL)
		return 0;
	if (k->type == CG_KEY_STRING_LIST) {
		/* A list default is one item, or empty for "". */
		struct cg_ynode item = tmp, *items[1] = { &item };
		struct cg_ynode seq = { .kind = CG_YNODE_SEQ, .line = line,
		    .col = col, .items = items, .n = 1 };

		item.value = (char *)k->default_value;
		item.len = strlen(item.value);
		if (item.len == 0)
			seq.n = 0;
		if (convert(ctx, &seq, k, key_size, path, v) < 0)
			return -1;
	} else {
		tmp.value = (char *)k->default_value;
		tmp.len = strlen(tmp.value);
		if (convert(ctx, &tmp, k, key_size, path, v) < 0)
			return -1;
	}
	v->line = 0;
	v->col = 0;
	return 1;
}

/* Every key written must name a key of the schema, secrets indirectly. */
static int
check_written_keys(struct cg_schema_ctx *ctx, const struct cg_ynode *node,
    const char *path, const struct cg_plugin_key *keys, size_t count,
    size_t key_size)
{
	char sub[CG_PATH_MAX];
	int how;

	for (size_t i = 0; i < node->n; i++) {
		const struct cg_ynode *kn = node->keys[i];
		long ki = match_key(kn->value, keys, count, key_size, &how);

		join(sub, path, kn->value);
		if (ki < 0)
			return cg_schema_error(ctx, kn->line, kn->col,
			    "unknown key \"%s\"", sub);
		if (how == 0 && (key_at(keys, key_size, (size_t)ki)->flags &
		    CG_KEY_SECRET))
			return cg_schema_error(ctx, kn->line, kn->col,
			    "%s: secrets may not be written inline; use %s_file"
			    " or %s_env", sub, kn->value, kn->value);
	}
	return 0;
}

struct written {
	const struct cg_ynode *key;    /* as written: NAME, NAME_file, NAME_env */
	const struct cg_ynode *value;
	const struct cg_ynode *nullkey; /* a NAME written with no value */
	int how;
};

/* Finds the one non-null spelling of schema key i in node. */
static int
find_written(struct cg_schema_ctx *ctx, const struct cg_ynode *node,
    const char *sub, const struct cg_plugin_key *keys, size_t count,
    size_t key_size, size_t i, struct written *w)
{
	int how;

	memset(w, 0, sizeof(*w));
	for (size_t j = 0; node != NULL && j < node->n; j++) {
		if (match_key(node->keys[j]->value, keys, count, key_size,
		    &how) != (long)i)
			continue;
		if (cg_ynode_is_null(node->items[j])) {
			if (w->nullkey == NULL)
				w->nullkey = node->keys[j];
			continue;
		}
		if (w->value != NULL)
			return cg_schema_error(ctx, node->keys[j]->line,
			    node->keys[j]->col, "%s: give only one of \"%s\" "
			    "and \"%s\"", sub, w->key->value,
			    node->keys[j]->value);
		w->key = node->keys[j];
		w->value = node->items[j];
		w->how = how;
	}
	return 0;
}

/* One key of a table: 1 with v filled, 0 when absent, -1 on error. */
static int
validate_key(struct cg_schema_ctx *ctx, const struct cg_ynode *node,
    int line, int col, const char *path, const struct cg_plugin_key *keys,
    size_t count, size_t key_size, size_t i, struct cg_cval *v)
{
	const struct cg_plugin_key *k = key_at(keys, key_size, i);
	char sub[CG_PATH_MAX], ipath[CG_PATH_MAX];
	struct written w;

	join(sub, path, k->name);
	if (find_written(ctx, node, sub, keys, count, key_size, i, &w) < 0)
		return -1;
	if (w.value == NULL) {
		/* A required key left empty is reported where written. */
		if ((k->flags & CG_KEY_REQUIRED) && w.nullkey != NULL)
			return cg_schema_error(ctx, w.nullkey->line,
			    w.nullkey->col, "%s: a value is required", sub);
		if (k->flags & CG_KEY_REQUIRED)
			return cg_schema_error(ctx, line, col,
			    "missing required key \"%s\"", sub);
		return fill_default(ctx, k, key_size, sub, line, col, v);
	}
	if (w.how == 0)
		return convert(ctx, w.value, k, key_size, sub, v) < 0 ? -1 : 1;
	join(ipath, path, w.key->value);
	v->type = k->type;
	v->flags = k->flags;
	v->line = w.value->line;
	v->col = w.value->col;
	return convert_indirect(ctx, w.value, k, w.how == 2, ipath, v) < 0 ?
	    -1 : 1;
}

int
cg_schema_validate(struct cg_schema_ctx *ctx, const struct cg_ynode *node,
    int line, int col, const char *path, const struct cg_plugin_key *keys,
    size_t count, size_t key_size, struct cg_cval *out)
{
	int rc;

	out->type = CG_KEY_TABLE;
	if (node != NULL && cg_ynode_is_null(node))
		node = NULL;
	if (node != NULL && node->kind != CG_YNODE_MAP)
		return cg_schema_error(ctx, node->line, node->col,
		    "%s%sexpected a mapping", path, path[0] ? ": " : "");
	if (node != NULL && check_written_keys(ctx, node, path, keys, count,
	    key_size) < 0)
		return -1;
	if (count && (out->items = calloc(count, sizeof(*out->items))) == NULL)
		return cg_schema_error(ctx, line, col, "out of memory");
	for (size_t i = 0; i < count; i++) {
		struct cg_cval *v = &out->items[out->n];

		/* Counted even when it failed half-way, so clearing the
		 * table frees what it holds. */
		rc = validate_key(ctx, node, line, col, path, keys, count,
		    key_size, i, v);
		if (rc == 0) {
			cg_cval_clear(v);
			continue;
		}
		out->n++;
		if (rc < 0)
			return -1;
		if ((v->name = strdup(key_at(keys, key_size, i)->name)) == NULL)
			return cg_schema_error(ctx, line, col, "out of memory");
	}
	return 0;
}

const struct cg_cval *
cg_cval_get(const struct cg_cval *v, const char *path)
{
	const char *seg = path, *dot;
	size_t len;

	while (v != NULL && *seg != '\0') {
		const struct cg_cval *next = NULL;

		dot = strchr(seg, '.');
		len = dot ? (size_t)(dot - seg) : strlen(seg);
		for (size_t i = 0; i < v->n; i++) {
			if (strlen(v->items[i].name) == len &&
			    memcmp(v->items[i].name, seg, len) == 0) {
				next = &v->items[i];
				break;
			}
		}
		v = next;
		seg = dot ? dot + 1 : seg + len;
	}
	return v;
}

static int
ynode_equal(const struct cg_ynode *a, const struct cg_ynode *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->kind != b->kind || a->n != b->n)
		return 0;
	if (a->kind == CG_YNODE_SCALAR)
		return a->len == b->len && a->plain == b->plain &&
		    memcmp(a->value, b->value, a->len) == 0;
	for (size_t i = 0; i < a->n; i++) {
		if (a->kind == CG_YNODE_MAP &&
		    strcmp(a->keys[i]->value, b->keys[i]->value) != 0)
			return 0;
		if (!ynode_equal(a->items[i], b->items[i]))
			return 0;
	}
	return 1;
}

int
cg_cval_equal(const struct cg_cval *a, const struct cg_cval *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type || a->n != b->n || a->num != b->num ||
	    a->len != b->len)
		return 0;
	if ((a->name == NULL) != (b->name == NULL) ||
	    (a->name && strcmp(a->name, b->name) != 0))
		return 0;
	if ((a->str == NULL) != (b->str == NULL) ||
	    (a->str && memcmp(a->str, b->str, a->len) != 0))
		return 0;
	if (a->type == CG_KEY_ANY && !ynode_equal(a->raw, b->raw))
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!cg_cval_equal(&a->items[i], &b->items[i]))
			return 0;
	return 1;
}

static void
dump_scalar(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void
cg_cval_dump(const struct cg_cval *v, FILE *f, int indent)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct cg_cval *it = &v->items[i];

		if (v->type == CG_KEY_STRING_LIST)
			fprintf(f, "%*s-", indent, "");
		else if (it->source != NULL && (it->flags & CG_KEY_SECRET))
			/* Show where a secret came from, never the secret. */
			fprintf(f, "%*s%s_%s: ", indent, "", it->name,
			    strncmp(it->source, "env ", 4) == 0 ? "env" :
			    "file");
		else
			fprintf(f, "%*s%s:", indent, "", it->name);
		if (it->source != NULL && (it->flags & CG_KEY_SECRET)) {
			dump_scalar(f, strchr(it->source, ' ') + 1);
			fputc('\n', f);
			continue;
		}
		if (it->type != CG_KEY_TABLE && it->type != CG_KEY_MAP &&
		    !(it->type == CG_KEY_STRING_LIST && it->n > 0))
			fputc(' ', f);
		if (it->source != NULL) {
			dump_scalar(f, it->str);
			fprintf(f, "  # from %s\n", it->source);
			continue;
		}
		switch (it->type) {
		case CG_KEY_TABLE:
		case CG_KEY_MAP:
		case CG_KEY_STRING_LIST:
			fputs(it->n ? "\n" : (it->type == CG_KEY_STRING_LIST ?
			    "[]\n" : " {}\n"), f);
			cg_cval_dump(it, f, indent + 2);
			break;
		case CG_KEY_ANY:
			fputs("{...}\n", f);
			break;
		case CG_KEY_BOOL:
			fputs(it->num ? "true\n" : "false\n", f);
			break;
		case CG_KEY_INT:
			fprintf(f, "%" PRId64 "\n", it->num);
			break;
		default:
			if (it->flags & CG_KEY_SECRET)
				fputs("\"<redacted>\"\n", f);
			else {
				dump_scalar(f, it->str ? it->str : "");
				fputc('\n', f);
			}
		}
	}
}
