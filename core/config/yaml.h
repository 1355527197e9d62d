/*
 * YAML documents as a small node tree that remembers where every node
 * came from (FILE:LINE:COLUMN), so validation errors can point at the text.
 * One document per file; anchors and aliases are refused (they make
 * positions ambiguous and open the door to "billion laughs" expansion);
 * duplicate mapping keys are refused.
 */
#ifndef CG_CONFIG_YAML_H
#define CG_CONFIG_YAML_H

#include <stddef.h>

#define CG_YNODE_SCALAR 1
#define CG_YNODE_SEQ 2
#define CG_YNODE_MAP 3

struct cg_ynode {
	int kind;
	int line;               /* 1-based */
	int col;                /* 1-based */
	int plain;              /* scalar written without quotes */
	char *value;            /* scalar text (NUL-terminated) */
	size_t len;
	/* SEQ: items; MAP: keys (scalars) and values side by side. */
	struct cg_ynode **keys;
	struct cg_ynode **items;
	size_t n;
	size_t cap;
};

struct cg_ydoc {
	char *file;             /* the name used in messages */
	struct cg_ynode *root;  /* NULL for an empty document */
};

/* Both return 0, or -1 with "FILE:LINE:COLUMN: message" in err. */
int cg_yaml_load_file(const char *path, struct cg_ydoc **out, char *err,
    size_t errlen);
int cg_yaml_load_buffer(const char *name, const char *buf, size_t len,
    struct cg_ydoc **out, char *err, size_t errlen);
void cg_ydoc_free(struct cg_ydoc *doc);

/* Value of key in a mapping node, or NULL. */
const struct cg_ynode *cg_ynode_get(const struct cg_ynode *map,
    const char *key);
/* True for a plain null scalar: "", "~", "null". */
int cg_ynode_is_null(const struct cg_ynode *n);

#endif
