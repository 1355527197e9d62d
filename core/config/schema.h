/*
 * Schema-driven validation of YAML node trees into typed value trees.
 * The schema is the same struct cg_plugin_key array a plugin declares, so
 * the daemon's own keys and every plugin's settings are checked by one
 * validator with the same FILE:LINE:COLUMN messages.
 */
#ifndef CG_CONFIG_SCHEMA_H
#define CG_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cryptic/plugin.h>

#include "config/yaml.h"

/* Host-only additions to the public key types and flags. */
#define CG_KEY_ANY 100u                /* kept as raw YAML (plugin settings) */
#define CG_KEYF_RESTART (1u << 16)     /* a change needs a restart */
#define CG_KEYF_ENV (1u << 17)         /* may be given as NAME_env */

/* A validated value. Tables, maps and lists hold their items in order. */
struct cg_cval {
	char *name;                  /* key, map name, or list index */
	uint32_t type;               /* CG_KEY_* */
	uint32_t flags;              /* of its key spec */
	int line;                    /* position of the value; 0 if defaulted */
	int col;
	char *str;                   /* scalar text (secret: the secret) */
	size_t len;
	int64_t num;                 /* INT value; BOOL 0 or 1 */
	char *source;                /* secrets and _env: where it came from */
	struct cg_cval *items;       /* TABLE, MAP, STRING_LIST */
	size_t n;
	const struct cg_ynode *raw;  /* CG_KEY_ANY */
};

struct cg_schema_ctx {
	const char *file;            /* for messages */
	const char *basedir;         /* relative *_file paths; NULL: cwd */
	char *err;
	size_t errlen;
};

/*
 * Validates the mapping node (NULL when absent) against keys (count
 * entries, key_size bytes apart) into out, a TABLE value. line/col: where
 * to report a missing key when node is NULL. path: prefix for key paths in
 * messages ("" at the top). Returns 0, or -1 with err set.
 */
int cg_schema_validate(struct cg_schema_ctx *ctx, const struct cg_ynode *node,
    int line, int col, const char *path, const struct cg_plugin_key *keys,
    size_t count, size_t key_size, struct cg_cval *out);

void cg_cval_clear(struct cg_cval *v);

/* The value at a dotted path under v ("http.listen.0"), or NULL. */
const struct cg_cval *cg_cval_get(const struct cg_cval *v, const char *path);

/* Deep comparison of values (names, types, text, numbers, items). */
int cg_cval_equal(const struct cg_cval *a, const struct cg_cval *b);

/* Writes v as YAML-like text, secrets as their source only. */
void cg_cval_dump(const struct cg_cval *v, FILE *f, int indent);

/* Sets "FILE:LINE:COLUMN: " + message in ctx->err; returns -1. */
int cg_schema_error(struct cg_schema_ctx *ctx, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
