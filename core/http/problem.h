/*
 * RFC 9457 problem details ("application/problem+json"): the body of every
 * error the HTTP server and the API answer.
 *
 *	{"type":"about:blank","title":"Not Found","status":404,
 *	 "detail":"…","errors":[{"field":"amount","message":"…"}],
 *	 "request_id":"…"}
 *
 * type defaults to "about:blank" (the title is then the status phrase);
 * detail, errors and request_id appear only when given.
 */
#ifndef CG_HTTP_PROBLEM_H
#define CG_HTTP_PROBLEM_H

#include <stddef.h>

#define CG_PROBLEM_CONTENT_TYPE "application/problem+json"

struct cg_problem_field {
	const char *field;	/* JSON path of the offending member */
	const char *message;
};

struct cg_problem {
	int status;
	const char *type;	/* NULL: "about:blank" */
	const char *title;	/* NULL: the status phrase */
	const char *detail;	/* NULL: omitted */
	const struct cg_problem_field *errors;
	size_t nerrors;
	const char *request_id;	/* NULL: omitted */
};

/* The reason phrase of an HTTP status ("Not Found"); "Error" if unknown. */
const char *cg_http_status_phrase(int status);

/* Returns the JSON text (malloc'd, NUL-terminated; free()), *len set when
 * len is not NULL; NULL on allocation failure. */
char *cg_problem_render(const struct cg_problem *p, size_t *len);

#endif
