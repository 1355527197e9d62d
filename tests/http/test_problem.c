#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "http/problem.h"

Test(problem, minimal)
{
	struct cg_problem p = { .status = 404 };
	size_t len;
	char *s = cg_problem_render(&p, &len);

	cr_assert_str_eq(s,
	    "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}");
	cr_assert_eq(len, strlen(s));
	free(s);
}

Test(problem, full)
{
	static const struct cg_problem_field errs[] = {
		{ "amount", "must be a decimal string" },
		{ "metadata.note", "too long \"quoted\"" },
	};
	struct cg_problem p = { .status = 422, .type = "/problems/validation",
	    .title = "Validation failed", .detail = "2 fields", .errors = errs,
	    .nerrors = 2, .request_id = "r-1" };
	char *s = cg_problem_render(&p, NULL);

	cr_assert_str_eq(s, "{\"type\":\"/problems/validation\","
	    "\"title\":\"Validation failed\",\"status\":422,"
	    "\"detail\":\"2 fields\",\"errors\":["
	    "{\"field\":\"amount\",\"message\":\"must be a decimal string\"},"
	    "{\"field\":\"metadata.note\",\"message\":\"too long \\\"quoted\\\"\"}"
	    "],\"request_id\":\"r-1\"}");
	free(s);
}

Test(problem, invalid_utf8_detail_is_dropped)
{
	struct cg_problem p = { .status = 400, .detail = "bad \xff byte" };
	char *s = cg_problem_render(&p, NULL);

	cr_assert_str_eq(s,
	    "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400}");
	free(s);
}

Test(problem, phrases)
{
	cr_assert_str_eq(cg_http_status_phrase(413), "Content Too Large");
	cr_assert_str_eq(cg_http_status_phrase(503), "Service Unavailable");
	cr_assert_str_eq(cg_http_status_phrase(599), "Error");
}
