/*
 * Cursor pagination and small JSON helpers for the API's handlers.
 */
#include "api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/clock.h"
#include "util/str.h"

/* Cursor text: base64url of "<ms>.<id>". */
int
cg_api_cursor_encode(int64_t ms, const char *id, char *out, size_t size)
{
	char raw[64];
	int n = snprintf(raw, sizeof(raw), "%lld.%s", (long long)ms, id);

	if (n < 0 || (size_t)n >= sizeof(raw))
		return -EINVAL;
	return cg_base64url_encode(raw, (size_t)n, out, size);
}

int
cg_api_cursor_decode(const char *s, int64_t *ms, char id[CG_ID_SIZE])
{
	char raw[64], *dot, *end;
	int n;
	long long v;

	if (strlen(s) > 80)
		return -EINVAL;
	n = cg_base64url_decode(s, strlen(s), raw, sizeof(raw) - 1);
	if (n <= 0)
		return -EINVAL;
	raw[n] = '\0';
	if (memchr(raw, '\0', (size_t)n))
		return -EINVAL;
	dot = strchr(raw, '.');
	if (!dot || dot == raw)
		return -EINVAL;
	*dot = '\0';
	errno = 0;
	v = strtoll(raw, &end, 10);
	if (errno || *end || v < 0 || !cg_id_valid(dot + 1))
		return -EINVAL;
	*ms = v;
	cg_strlcpy(id, dot + 1, CG_ID_SIZE);
	return 0;
}

int
cg_api_page_parse(struct cg_api_call *call, struct cg_api_page *pg)
{
	const char *l = cg_api_query(call, "limit");
	const char *c = cg_api_query(call, "cursor");
	char *end;
	long v;

	memset(pg, 0, sizeof(*pg));
	pg->limit = CG_API_PAGE_DEFAULT;
	if (l) {
		errno = 0;
		v = strtol(l, &end, 10);
		if (errno || end == l || *end || v < 1 || v > CG_API_PAGE_MAX) {
			cg_api_set_problem(call, 400, "limit must be an integer "
			    "from 1 to %d.", CG_API_PAGE_MAX);
			return -1;
		}
		pg->limit = (int)v;
	}
	if (c) {
		if (cg_api_cursor_decode(c, &pg->after_ms, pg->after_id) != 0) {
			cg_api_set_problem(call, 400, "cursor is not a cursor "
			    "this API returned.");
			return -1;
		}
		pg->has_cursor = 1;
	}
	pg->data = json_array();
	if (!pg->data) {
		cg_api_set_problem(call, 500, NULL);
		return -1;
	}
	return 0;
}

int
cg_api_page_add(struct cg_api_page *pg, int64_t created_ms, const char *id,
    json_t *item)
{
	if (pg->count >= pg->limit) {
		pg->has_more = 1;
		json_decref(item);
		return 0;
	}
	json_array_append_new(pg->data, item);
	pg->count++;
	pg->last_ms = created_ms;
	cg_strlcpy(pg->last_id, id ? id : "", sizeof(pg->last_id));
	return 1;
}

json_t *
cg_api_page_result(struct cg_api_page *pg)
{
	char cur[128];
	json_t *next = json_null();

	if (pg->has_more && cg_api_cursor_encode(pg->last_ms, pg->last_id, cur,
	    sizeof(cur)) > 0)
		next = json_string(cur);
	json_t *r = json_pack("{s:o, s:b, s:o}", "data", pg->data,
	    "has_more", pg->has_more, "next_cursor", next);
	pg->data = NULL;
	return r;
}

void
cg_api_page_answer(struct cg_api_call *call, struct cg_db *db,
    struct cg_api_page *pg, struct cg_stmt *st, unsigned time_col,
    cg_api_row_fn row, const void *arg)
{
	int rc = -1;

	while (st != NULL && (rc = cg_stmt_fetch(st)) == 1) {
		json_t *item = row(st, arg);
		int64_t ms;

		if (item == NULL || cg_stmt_time_ms(st, time_col, &ms) != 0) {
			json_decref(item);
			rc = -2;
			break;
		}
		if (cg_api_page_add(pg, ms, cg_stmt_str(st, 0), item) == 0)
			break;
	}
	if (st != NULL)
		cg_stmt_close(st);
	if (rc < 0) {
		json_decref(pg->data);
		pg->data = NULL;
		if (rc == -2)
			cg_api_set_problem(call, 500, "A row could not be read.");
		else
			cg_api_set_db_error(call, db);
		return;
	}
	cg_api_set_json(call, 200, cg_api_page_result(pg));
}

void
cg_api_list_answer(struct cg_api_call *call, struct cg_db *db,
    struct cg_stmt *st, cg_api_row_fn row, const void *arg)
{
	json_t *data = json_array(), *item;
	int rc = -1;

	while (st != NULL && data != NULL && (rc = cg_stmt_fetch(st)) == 1) {
		if ((item = row(st, arg)) == NULL ||
		    json_array_append_new(data, item) != 0) {
			rc = -2;
			break;
		}
	}
	if (st != NULL)
		cg_stmt_close(st);
	if (data == NULL || rc == -2) {
		json_decref(data);
		cg_api_set_problem(call, 500, "A row could not be read.");
		return;
	}
	if (rc < 0) {
		json_decref(data);
		cg_api_set_db_error(call, db);
		return;
	}
	cg_api_set_json(call, 200, json_pack("{s:o}", "data", data));
}

json_t *
cg_api_time_json(const char *sqltime)
{
	int64_t ms;
	char iso[32];

	if (!sqltime || cg_db_parse_time(sqltime, &ms) != 0)
		return json_null();
	cg_time_format_iso(ms, iso);
	return json_string(iso);
}

json_t *
cg_api_str_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

int
cg_api_parse_time(const char *s, int64_t *ms)
{
	char buf[32];
	size_t n = strlen(s);

	if (n == 10) {
		snprintf(buf, sizeof(buf), "%s 00:00:00", s);
	} else if (n >= 20 && n <= 24 && s[10] == 'T' && s[n - 1] == 'Z') {
		snprintf(buf, sizeof(buf), "%.*s", (int)(n - 1), s);
		buf[10] = ' ';
	} else
		return -1;
	return cg_db_parse_time(buf, ms) == 0 ? 0 : -1;
}
