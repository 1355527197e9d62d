#include "api/fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "db/db.h"

void
cg_api_cols_sql(const struct cg_api_col *cols, const char *prefix,
    char *out, size_t size)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; cols[i].name && off < size; i++)
		off += (size_t)snprintf(out + off, size - off, "%s%s%s",
		    i ? ", " : "", prefix, cols[i].name);
}

json_t *
cg_api_row_json(struct cg_stmt *st, const struct cg_api_col *cols,
    unsigned first)
{
	json_t *o = json_object();

	for (unsigned i = 0; o && cols[i].name; i++) {
		unsigned c = first + i;
		const char *s = cg_stmt_str(st, c);
		int64_t n;
		json_t *v;

		if (!s) {
			json_object_set_new(o, cols[i].name, json_null());
			continue;
		}
		switch (cols[i].kind) {
		case CG_COL_INT:
			v = cg_stmt_i64(st, c, &n) == 0 ? json_integer(n) :
			    json_null();
			break;
		case CG_COL_BOOL:
			v = json_boolean(cg_stmt_i64(st, c, &n) == 0 && n != 0);
			break;
		case CG_COL_TIME:
			v = cg_api_time_json(s);
			break;
		case CG_COL_JSON:
			v = json_loads(s, JSON_DECODE_ANY, NULL);
			if (!v)
				v = json_null();
			break;
		default:
			v = json_string(s);
			break;
		}
		json_object_set_new(o, cols[i].name, v);
	}
	return o;
}

static int
color_ok(const char *s)
{
	if (strlen(s) != 7 || s[0] != '#')
		return 0;
	for (int i = 1; i < 7; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	return 1;
}

static void
parse_one(struct cg_vld *v, const struct cg_api_field *f, json_t *changes)
{
	const char *s = NULL;
	int64_t n;
	bool b = false;
	int idx, rc;
	cg_i128 units;
	json_t *j;
	char buf[CG_DEC_STRLEN];

	switch (f->kind) {
	case CG_F_STR:
	case CG_F_COLOR:
	case CG_F_COUNTRY:
		rc = cg_vld_str(v, f->name, f->flags, f->kind == CG_F_STR ?
		    (size_t)f->min : 1, f->kind == CG_F_STR ? (size_t)f->max :
		    8, &s);
		if (rc == CG_VLD_SET && f->kind == CG_F_COLOR && !color_ok(s)) {
			cg_vld_error(v, f->name, "must be a colour #RRGGBB");
			return;
		}
		if (rc == CG_VLD_SET && f->kind == CG_F_COUNTRY &&
		    (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' ||
		    s[1] < 'A' || s[1] > 'Z')) {
			cg_vld_error(v, f->name, "must be an ISO 3166-1 "
			    "alpha-2 code such as \"DE\"");
			return;
		}
		break;
	case CG_F_EMAIL:
		rc = cg_vld_email(v, f->name, f->flags, &s);
		break;
	case CG_F_URL:
		rc = cg_vld_url(v, f->name, f->flags, &s);
		break;
	case CG_F_ENUM:
		rc = cg_vld_enum(v, f->name, f->flags, f->choices, &idx);
		if (rc == CG_VLD_SET)
			s = f->choices[idx];
		break;
	case CG_F_INT:
		rc = cg_vld_int(v, f->name, f->flags, f->min, f->max, &n);
		if (rc == CG_VLD_SET) {
			snprintf(buf, sizeof(buf), "%lld", (long long)n);
			s = buf;
		}
		break;
	case CG_F_BOOL:
		rc = cg_vld_bool(v, f->name, f->flags, &b);
		s = b ? "1" : "0";
		break;
	case CG_F_FRACTION:
		rc = cg_vld_decimal(v, f->name, f->flags, 4, 4, false, &units);
		if (rc == CG_VLD_SET) {
			cg_dec_format(units, 4, 0, buf, sizeof(buf));
			s = buf;
		}
		break;
	case CG_F_OBJECT:
	case CG_F_ARRAY:
		rc = cg_vld_json(v, f->name, f->flags, f->kind == CG_F_OBJECT ?
		    JSON_OBJECT : JSON_ARRAY, (size_t)f->max, &j);
		if (rc == CG_VLD_SET) {
			char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

			json_object_set_new(changes, f->name, json_string(t ?
			    t : "null"));
			free(t);
			return;
		}
		break;
	default:
		return;
	}
	if (rc == CG_VLD_SET)
		json_object_set_new(changes, f->name, json_string(s));
	else if (rc == CG_VLD_NULL)
		json_object_set_new(changes, f->name, json_null());
}

void
cg_api_fields_parse(struct cg_vld *v, const struct cg_api_field *f,
    json_t *changes)
{
	for (size_t i = 0; f[i].name; i++)
		parse_one(v, &f[i], changes);
}

int64_t
cg_api_fields_apply(struct cg_db *db, const char *table, const char *key_col,
    const char *key, int live_only, json_t *changes, int64_t now_ms)
{
	const char *col;
	json_t *val;
	char sql[256];
	int64_t rc = 1;

	json_object_foreach(changes, col, val) {
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ?, updated_at = "
		    "? WHERE %s = ?%s", table, col, key_col, live_only ?
		    " AND deleted_at IS NULL" : "");
		rc = cg_db_run(db, sql, "sts", json_string_value(val), now_ms,
		    key);
		if (rc <= 0)
			return rc;
	}
	return rc;
}

json_t *
cg_api_cols_row(struct cg_stmt *st, const void *cols)
{
	return cg_api_row_json(st, cols, 0);
}
