/*
 * Request-body validation, field by field: the body must be one JSON
 * object (else 400); each field is checked with its own call, errors are
 * collected as {field, message} (422), and fields nobody asked for are
 * refused as unknown. Pure (jansson only): unit-tested and fuzzed.
 *
 *	struct cg_vld v;
 *	if (cg_vld_begin(&v, body, len) != 0) → 400 (v.message)
 *	name = cg_vld_str(&v, "name", CG_VLD_REQUIRED, 1, 100);
 *	cg_vld_int(&v, "expires_in", 0, 60, 86400, &expires);
 *	if (cg_vld_end(&v) != 0) → 422 with v.errors[0..v.nerrors)
 *	…
 *	cg_vld_free(&v);
 *
 * Returned strings point into the parsed document: valid until
 * cg_vld_free.
 */
#ifndef CG_API_VALIDATE_H
#define CG_API_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/problem.h"
#include "util/decimal.h"

#define CG_VLD_MAX_ERRORS 16
#define CG_VLD_MAX_FIELDS 64

/* Field flags. */
#define CG_VLD_REQUIRED 0x1   /* absent → "is required" */
#define CG_VLD_NULLABLE 0x2   /* JSON null accepted (means "clear") */

struct cg_vld {
	json_t *root;
	char message[256];          /* cg_vld_begin's reason */
	struct cg_problem_field errors[CG_VLD_MAX_ERRORS];
	size_t nerrors;
	char ebuf[CG_VLD_MAX_ERRORS][2][128];
	const char *seen[CG_VLD_MAX_FIELDS];
	size_t nseen;
};

/* Result of the typed getters. */
enum {
	CG_VLD_ABSENT = 0,  /* not in the body (nothing stored) */
	CG_VLD_SET = 1,     /* present and valid (value stored) */
	CG_VLD_NULL = 2,    /* null given (CG_VLD_NULLABLE only) */
	CG_VLD_BAD = -1,    /* present and invalid (error recorded) */
};

/* Parses body (len bytes; an empty body is an empty object when
 * empty_ok). 0, or -1 with v->message (answer 400). */
int cg_vld_begin(struct cg_vld *v, const char *body, size_t len,
    bool empty_ok);
void cg_vld_free(struct cg_vld *v);

/* Records an error on a field (the handler's own rules). */
void cg_vld_error(struct cg_vld *v, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* String of minlen..maxlen characters (UTF-8 code points), no control
 * characters. */
int cg_vld_str(struct cg_vld *v, const char *field, unsigned flags,
    size_t minlen, size_t maxlen, const char **out);
/* One of choices (NULL-terminated); *out is its index. */
int cg_vld_enum(struct cg_vld *v, const char *field, unsigned flags,
    const char *const *choices, int *out);
/* JSON integer in min..max (no reals, no strings). */
int cg_vld_int(struct cg_vld *v, const char *field, unsigned flags,
    int64_t min, int64_t max, int64_t *out);
int cg_vld_bool(struct cg_vld *v, const char *field, unsigned flags,
    bool *out);
/* Decimal string (never a JSON number) with at most `decimals` fractional
 * digits, ≥ 0 (or > 0 when positive), fitting DECIMAL(precision, scale
 * decimals); *out holds units at `decimals`. */
int cg_vld_decimal(struct cg_vld *v, const char *field, unsigned flags,
    unsigned decimals, unsigned precision, bool positive, cg_i128 *out);
/* An e-mail address (a@b.c shape, ≤ 254). */
int cg_vld_email(struct cg_vld *v, const char *field, unsigned flags,
    const char **out);
/* An http(s) URL (≤ 2048). */
int cg_vld_url(struct cg_vld *v, const char *field, unsigned flags,
    const char **out);
/* Any JSON value of the given type (JSON_OBJECT, JSON_ARRAY); borrowed. */
int cg_vld_json(struct cg_vld *v, const char *field, unsigned flags,
    json_type type, size_t max_encoded, json_t **out);

/* Refuses unknown fields; 0 when no error was recorded, else -1. */
int cg_vld_end(struct cg_vld *v);

#endif
