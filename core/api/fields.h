/*
 * Table-driven rows and updates for the API's own resources: a column
 * list turns a fetched row into JSON (cg_api_row_json), and a field list
 * validates a PATCH body into a set of column changes that are applied one
 * prepared statement each (column names come from these lists, never from
 * input).
 */
#ifndef CG_API_FIELDS_H
#define CG_API_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct cg_db;
struct cg_stmt;
struct cg_vld;

enum cg_api_col_kind {
	CG_COL_STR,	/* text or NULL */
	CG_COL_INT,	/* integer */
	CG_COL_BOOL,	/* 0/1 → false/true */
	CG_COL_TIME,	/* DATETIME(3) → RFC 3339 */
	CG_COL_JSON,	/* JSON text → the value */
	CG_COL_DEC,	/* decimal text, kept as a string */
};

struct cg_api_col {
	const char *name;	/* column and JSON member; NULL ends the list */
	enum cg_api_col_kind kind;
};

/* "t.a, t.b, …" into out (prefix may be ""). */
void cg_api_cols_sql(const struct cg_api_col *cols, const char *prefix,
    char *out, size_t size);
/* The row's columns, in list order, from column `first` on. */
/* cg_api_row_json(st, cols, 0) as a cg_api_row_fn (arg: the columns). */
json_t *cg_api_cols_row(struct cg_stmt *st, const void *cols);
json_t *cg_api_row_json(struct cg_stmt *st, const struct cg_api_col *cols,
    unsigned first);

enum cg_api_field_kind {
	CG_F_STR,	/* min..max characters */
	CG_F_EMAIL,
	CG_F_URL,
	CG_F_ENUM,	/* choices */
	CG_F_INT,	/* min..max */
	CG_F_BOOL,
	CG_F_FRACTION,	/* decimal string 0 ≤ x < 1, 4 places (DECIMAL(5,4)) */
	CG_F_COLOR,	/* #RRGGBB */
	CG_F_COUNTRY,	/* two capital letters */
	CG_F_OBJECT,	/* JSON object (≤ max bytes) */
	CG_F_ARRAY,	/* JSON array (≤ max bytes) */
};

struct cg_api_field {
	const char *name;	/* JSON member and column; NULL ends */
	enum cg_api_field_kind kind;
	unsigned flags;		/* CG_VLD_REQUIRED, CG_VLD_NULLABLE */
	int64_t min, max;
	const char *const *choices;
};

/* Validates the listed fields present in v into changes (an object
 * column → JSON string value or null). Errors go to v. */
void cg_api_fields_parse(struct cg_vld *v, const struct cg_api_field *f,
    json_t *changes);
/* UPDATE table SET col = ?, updated_at = ? WHERE key_col = ? [AND
 * deleted_at IS NULL] for each change. Returns the rows matched by the
 * last statement (0: no such row), or -1. */
int64_t cg_api_fields_apply(struct cg_db *db, const char *table,
    const char *key_col, const char *key, int live_only, json_t *changes,
    int64_t now_ms);

#endif
