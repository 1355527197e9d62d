#include "http/problem.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const struct {
	int status;
	const char *phrase;
} phrases[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 408, "Request Timeout" },
	{ 409, "Conflict" }, { 410, "Gone" }, { 411, "Length Required" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *
cg_http_status_phrase(int status)
{
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (phrases[i].status == status)
			return phrases[i].phrase;
	return "Error";
}

static json_t *
errors_array(const struct cg_problem *p)
{
	json_t *arr = json_array(), *e;

	if (!arr)
		return NULL;
	for (size_t i = 0; i < p->nerrors; i++) {
		e = json_pack("{s:s, s:s}",
		    "field", p->errors[i].field ? p->errors[i].field : "",
		    "message", p->errors[i].message ? p->errors[i].message : "");
		if (!e || json_array_append_new(arr, e) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

char *
cg_problem_render(const struct cg_problem *p, size_t *len)
{
	json_t *o;
	char *s = NULL;

	o = json_pack("{s:s, s:s, s:i}",
	    "type", p->type ? p->type : "about:blank",
	    "title", p->title ? p->title : cg_http_status_phrase(p->status),
	    "status", p->status);
	if (!o)
		return NULL;
	/* Invalid UTF-8 in caller text (an echoed field name) must not lose
	 * the whole error: jansson refuses it, so the member is dropped. */
	if (p->detail)
		json_object_set_new(o, "detail", json_string(p->detail));
	if (p->nerrors && json_object_set_new(o, "errors", errors_array(p)) < 0)
		goto out;
	if (p->request_id)
		json_object_set_new(o, "request_id", json_string(p->request_id));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s && len)
		*len = strlen(s);
out:
	json_decref(o);
	return s;
}
