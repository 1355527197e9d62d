#include "config/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Deep nesting only serves to exhaust the stack of whoever walks it. */
#define CG_YAML_MAX_DEPTH 64
/* A configuration file is small; anything bigger is a mistake. */
#define CG_YAML_MAX_BYTES (4u * 1024 * 1024)

struct loader {
	yaml_parser_t parser;
	const char *file;
	char *err;
	size_t errlen;
};

static void
yerr(struct loader *l, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
yerr(struct loader *l, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(l->err, l->errlen, "%s:%zu:%zu: ", l->file, line + 1,
	    col + 1);
	if (n < 0 || (size_t)n >= l->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
node_free(struct cg_ynode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			node_free(n->keys[i]);
		node_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->value);
	free(n);
}

void
cg_ydoc_free(struct cg_ydoc *doc)
{
	if (doc == NULL)
		return;
	node_free(doc->root);
	free(doc->file);
	free(doc);
}

static struct cg_ynode *
node_new(int kind, const yaml_mark_t *m)
{
	struct cg_ynode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static int
node_append(struct cg_ynode *parent, struct cg_ynode *key,
    struct cg_ynode *val)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct cg_ynode **items, **keys;

		items = realloc(parent->items, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		parent->items = items;
		if (parent->kind == CG_YNODE_MAP) {
			keys = realloc(parent->keys, cap * sizeof(*keys));
			if (keys == NULL)
				return -1;
			parent->keys = keys;
		}
		parent->cap = cap;
	}
	if (parent->kind == CG_YNODE_MAP)
		parent->keys[parent->n] = key;
	parent->items[parent->n++] = val;
	return 0;
}

static int
next_event(struct loader *l, yaml_event_t *ev)
{
	if (yaml_parser_parse(&l->parser, ev))
		return 0;
	if (l->parser.error == YAML_MEMORY_ERROR) {
		snprintf(l->err, l->errlen, "%s: out of memory", l->file);
		return -1;
	}
	yerr(l, l->parser.problem_mark.line, l->parser.problem_mark.column,
	    "YAML syntax error: %s%s%s",
	    l->parser.problem ? l->parser.problem : "unknown problem",
	    l->parser.context ? " " : "",
	    l->parser.context ? l->parser.context : "");
	return -1;
}

static int parse_node(struct loader *, yaml_event_t *, int,
    struct cg_ynode **);

static int
refuse_anchor(struct loader *l, const yaml_event_t *ev, const void *anchor)
{
	if (anchor == NULL)
		return 0;
	yerr(l, ev->start_mark.line, ev->start_mark.column,
	    "YAML anchors and aliases are not supported");
	return -1;
}

/* Parses the items of a sequence or mapping whose start event was seen. */
static int
parse_children(struct loader *l, struct cg_ynode *n, int depth)
{
	yaml_event_t ev;
	struct cg_ynode *key, *val;
	yaml_event_type_t end = n->kind == CG_YNODE_MAP ?
	    YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;

	for (;;) {
		if (next_event(l, &ev) < 0)
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		key = NULL;
		if (n->kind == CG_YNODE_MAP) {
			if (parse_node(l, &ev, depth, &key) < 0)
				return -1;
			if (key->kind != CG_YNODE_SCALAR) {
				yerr(l, (size_t)key->line - 1,
				    (size_t)key->col - 1,
				    "mapping keys must be plain strings");
				node_free(key);
				return -1;
			}
			for (size_t i = 0; i < n->n; i++) {
				if (strcmp(n->keys[i]->value, key->value) != 0)
					continue;
				yerr(l, (size_t)key->line - 1,
				    (size_t)key->col - 1,
				    "duplicate key \"%s\" (first at line %d)",
				    key->value, n->keys[i]->line);
				node_free(key);
				return -1;
			}
			if (next_event(l, &ev) < 0) {
				node_free(key);
				return -1;
			}
		}
		if (parse_node(l, &ev, depth, &val) < 0) {
			node_free(key);
			return -1;
		}
		if (node_append(n, key, val) < 0) {
			node_free(key);
			node_free(val);
			snprintf(l->err, l->errlen, "%s: out of memory",
			    l->file);
			return -1;
		}
	}
}

/* Builds the node that starts with ev (consumed). */
static int
parse_node(struct loader *l, yaml_event_t *ev, int depth,
    struct cg_ynode **out)
{
	struct cg_ynode *n = NULL;
	int rc = -1;

	*out = NULL;
	if (depth >= CG_YAML_MAX_DEPTH) {
		yerr(l, ev->start_mark.line, ev->start_mark.column,
		    "nesting deeper than %d levels", CG_YAML_MAX_DEPTH);
		goto done;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		refuse_anchor(l, ev, ev);
		goto done;
	case YAML_SCALAR_EVENT:
		if (refuse_anchor(l, ev, ev->data.scalar.anchor) < 0)
			goto done;
		if ((n = node_new(CG_YNODE_SCALAR, &ev->start_mark)) == NULL)
			goto oom;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->len = ev->data.scalar.length;
		if ((n->value = malloc(n->len + 1)) == NULL)
			goto oom;
		memcpy(n->value, ev->data.scalar.value, n->len);
		n->value[n->len] = '\0';
		/* Embedded NULs would let a value mean two things. */
		if (strlen(n->value) != n->len) {
			yerr(l, ev->start_mark.line, ev->start_mark.column,
			    "NUL character in a scalar");
			goto done;
		}
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (refuse_anchor(l, ev, ev->type == YAML_MAPPING_START_EVENT ?
		    ev->data.mapping_start.anchor :
		    ev->data.sequence_start.anchor) < 0)
			goto done;
		n = node_new(ev->type == YAML_MAPPING_START_EVENT ?
		    CG_YNODE_MAP : CG_YNODE_SEQ, &ev->start_mark);
		if (n == NULL)
			goto oom;
		yaml_event_delete(ev);
		if (parse_children(l, n, depth + 1) < 0) {
			node_free(n);
			return -1;
		}
		*out = n;
		return 0;
	default:
		yerr(l, ev->start_mark.line, ev->start_mark.column,
		    "unexpected YAML event");
		goto done;
	}
	*out = n;
	n = NULL;
	rc = 0;
	goto done;
oom:
	snprintf(l->err, l->errlen, "%s: out of memory", l->file);
done:
	node_free(n);
	yaml_event_delete(ev);
	return rc;
}

static int
expect(struct loader *l, yaml_event_type_t type)
{
	yaml_event_t ev;
	int ok;

	if (next_event(l, &ev) < 0)
		return -1;
	ok = ev.type == type;
	if (!ok)
		yerr(l, ev.start_mark.line, ev.start_mark.column,
		    "only one YAML document is allowed");
	yaml_event_delete(&ev);
	return ok ? 0 : -1;
}

int
cg_yaml_load_buffer(const char *name, const char *buf, size_t len,
    struct cg_ydoc **out, char *err, size_t errlen)
{
	struct loader l = { .file = name, .err = err, .errlen = errlen };
	struct cg_ydoc *doc;
	yaml_event_t ev;
	int rc = -1;

	*out = NULL;
	if ((doc = calloc(1, sizeof(*doc))) == NULL ||
	    (doc->file = strdup(name)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(doc);
		return -1;
	}
	if (!yaml_parser_initialize(&l.parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		cg_ydoc_free(doc);
		return -1;
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf,
	    len);
	if (expect(&l, YAML_STREAM_START_EVENT) < 0)
		goto done;
	if (next_event(&l, &ev) < 0)
		goto done;
	if (ev.type == YAML_STREAM_END_EVENT) {
		/* An empty file is an empty document. */
		yaml_event_delete(&ev);
		rc = 0;
		goto done;
	}
	yaml_event_delete(&ev);
	if (next_event(&l, &ev) < 0)
		goto done;
	if (parse_node(&l, &ev, 0, &doc->root) < 0)
		goto done;
	if (expect(&l, YAML_DOCUMENT_END_EVENT) < 0 ||
	    expect(&l, YAML_STREAM_END_EVENT) < 0)
		goto done;
	rc = 0;
done:
	yaml_parser_delete(&l.parser);
	if (rc < 0)
		cg_ydoc_free(doc);
	else
		*out = doc;
	return rc;
}

int
cg_yaml_load_file(const char *path, struct cg_ydoc **out, char *err,
    size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc = -1;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			if ((nb = realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "%s: out of memory",
				    path);
				goto done;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > CG_YAML_MAX_BYTES) {
			snprintf(err, errlen, "%s: larger than %u bytes", path,
			    CG_YAML_MAX_BYTES);
			goto done;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    strerror(errno));
		goto done;
	}
	rc = cg_yaml_load_buffer(path, buf, len, out, err, errlen);
done:
	free(buf);
	fclose(f);
	return rc;
}

const struct cg_ynode *
cg_ynode_get(const struct cg_ynode *map, const char *key)
{
	if (map == NULL || map->kind != CG_YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return map->items[i];
	return NULL;
}

int
cg_ynode_is_null(const struct cg_ynode *n)
{
	return n != NULL && n->kind == CG_YNODE_SCALAR && n->plain &&
	    (n->len == 0 || strcmp(n->value, "~") == 0 ||
	    strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
	    strcmp(n->value, "NULL") == 0);
}
