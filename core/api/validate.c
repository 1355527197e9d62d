#include "api/validate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

int
cg_vld_begin(struct cg_vld *v, const char *body, size_t len, bool empty_ok)
{
	json_error_t je;

	memset(v, 0, sizeof(*v));
	if (len == 0 && empty_ok) {
		v->root = json_object();
		return v->root ? 0 : -1;
	}
	/* Duplicate keys are refused: two values for one field is ambiguous. */
	v->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!v->root) {
		snprintf(v->message, sizeof(v->message),
		    "The body is not valid JSON (line %d, column %d): %.120s",
		    je.line, je.column, je.text);
		return -1;
	}
	if (!json_is_object(v->root)) {
		snprintf(v->message, sizeof(v->message),
		    "The body must be a JSON object.");
		json_decref(v->root);
		v->root = NULL;
		return -1;
	}
	return 0;
}

void
cg_vld_free(struct cg_vld *v)
{
	json_decref(v->root);
	v->root = NULL;
}

void
cg_vld_error(struct cg_vld *v, const char *field, const char *fmt, ...)
{
	va_list ap;
	size_t i = v->nerrors;

	if (i >= CG_VLD_MAX_ERRORS)
		return;
	snprintf(v->ebuf[i][0], sizeof(v->ebuf[i][0]), "%s", field);
	va_start(ap, fmt);
	vsnprintf(v->ebuf[i][1], sizeof(v->ebuf[i][1]), fmt, ap);
	va_end(ap);
	v->errors[i].field = v->ebuf[i][0];
	v->errors[i].message = v->ebuf[i][1];
	v->nerrors++;
}

/* Marks the field as known and returns its value (NULL: absent). */
static json_t *
field_get(struct cg_vld *v, const char *field, unsigned flags, int *rc)
{
	json_t *j;

	if (v->nseen < CG_VLD_MAX_FIELDS)
		v->seen[v->nseen++] = field;
	j = v->root ? json_object_get(v->root, field) : NULL;
	if (!j) {
		if (flags & CG_VLD_REQUIRED) {
			cg_vld_error(v, field, "is required");
			*rc = CG_VLD_BAD;
		} else
			*rc = CG_VLD_ABSENT;
		return NULL;
	}
	if (json_is_null(j)) {
		if (flags & CG_VLD_NULLABLE)
			*rc = CG_VLD_NULL;
		else {
			cg_vld_error(v, field, "must not be null");
			*rc = CG_VLD_BAD;
		}
		return NULL;
	}
	*rc = CG_VLD_SET;
	return j;
}

/* Number of UTF-8 code points (jansson guarantees valid UTF-8), or -1 when
 * a control character is present. */
static long
utf8_len(const char *s, size_t n)
{
	long cps = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return -1;
		if ((c & 0xc0) != 0x80)
			cps++;
	}
	return cps;
}

int
cg_vld_str(struct cg_vld *v, const char *field, unsigned flags,
    size_t minlen, size_t maxlen, const char **out)
{
	int rc;
	json_t *j = field_get(v, field, flags, &rc);
	long n;

	if (!j)
		return rc;
	if (!json_is_string(j)) {
		cg_vld_error(v, field, "must be a string");
		return CG_VLD_BAD;
	}
	n = utf8_len(json_string_value(j), json_string_length(j));
	if (n < 0 || strlen(json_string_value(j)) != json_string_length(j)) {
		cg_vld_error(v, field, "must not contain control characters");
		return CG_VLD_BAD;
	}
	if ((size_t)n < minlen || (size_t)n > maxlen) {
		if (minlen == maxlen)
			cg_vld_error(v, field, "must be %zu characters long",
			    minlen);
		else
			cg_vld_error(v, field, "must be %zu to %zu characters "
			    "long", minlen, maxlen);
		return CG_VLD_BAD;
	}
	if (out)
		*out = json_string_value(j);
	return CG_VLD_SET;
}

int
cg_vld_enum(struct cg_vld *v, const char *field, unsigned flags,
    const char *const *choices, int *out)
{
	int rc;
	json_t *j = field_get(v, field, flags, &rc);
	char list[256];
	size_t off = 0;

	if (!j)
		return rc;
	if (json_is_string(j))
		for (int i = 0; choices[i]; i++)
			if (strcmp(json_string_value(j), choices[i]) == 0) {
				if (out)
					*out = i;
				return CG_VLD_SET;
			}
	list[0] = '\0';
	for (int i = 0; choices[i] && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? ", " : "", choices[i]);
	cg_vld_error(v, field, "must be one of: %s", list);
	return CG_VLD_BAD;
}

int
cg_vld_int(struct cg_vld *v, const char *field, unsigned flags,
    int64_t min, int64_t max, int64_t *out)
{
	int rc;
	json_t *j = field_get(v, field, flags, &rc);
	json_int_t n;

	if (!j)
		return rc;
	if (!json_is_integer(j)) {
		cg_vld_error(v, field, "must be an integer");
		return CG_VLD_BAD;
	}
	n = json_integer_value(j);
	if (n < min || n > max) {
		cg_vld_error(v, field, "must be between %lld and %lld",
		    (long long)min, (long long)max);
		return CG_VLD_BAD;
	}
	if (out)
		*out = n;
	return CG_VLD_SET;
}

int
cg_vld_bool(struct cg_vld *v, const char *field, unsigned flags, bool *out)
{
	int rc;
	json_t *j = field_get(v, field, flags, &rc);

	if (!j)
		return rc;
	if (!json_is_boolean(j)) {
		cg_vld_error(v, field, "must be true or false");
		return CG_VLD_BAD;
	}
	if (out)
		*out = json_is_true(j);
	return CG_VLD_SET;
}

int
cg_vld_decimal(struct cg_vld *v, const char *field, unsigned flags,
    unsigned decimals, unsigned precision, bool positive, cg_i128 *out)
{
	int rc;
	json_t *j = field_get(v, field, flags, &rc);
	cg_i128 units;
	int e;

	if (!j)
		return rc;
	if (!json_is_string(j)) {
		cg_vld_error(v, field, "must be a decimal string such as "
		    "\"12.50\" (numbers are refused: they lose precision)");
		return CG_VLD_BAD;
	}
	e = cg_dec_parse(json_string_value(j), json_string_length(j),
	    decimals, precision, CG_ROUND_STRICT, &units);
	if (e == -EDOM) {
		cg_vld_error(v, field, "has more than %u decimal places",
		    decimals);
		return CG_VLD_BAD;
	}
	if (e == -ERANGE) {
		cg_vld_error(v, field, "is too large");
		return CG_VLD_BAD;
	}
	if (e != 0) {
		cg_vld_error(v, field, "must be a decimal number such as "
		    "\"12.50\"");
		return CG_VLD_BAD;
	}
	if (units < 0 || (positive && units == 0)) {
		cg_vld_error(v, field, positive ? "must be greater than 0" :
		    "must not be negative");
		return CG_VLD_BAD;
	}
	if (out)
		*out = units;
	return CG_VLD_SET;
}

int
cg_vld_email(struct cg_vld *v, const char *field, unsigned flags,
    const char **out)
{
	const char *s, *at, *dot;
	size_t before = v->nerrors;
	int rc = cg_vld_str(v, field, flags, 3, 254, &s);

	if (rc != CG_VLD_SET)
		return rc;
	at = strchr(s, '@');
	dot = at ? strrchr(at, '.') : NULL;
	if (!at || at == s || strchr(at + 1, '@') || !dot || dot == at + 1 ||
	    dot[1] == '\0' || strpbrk(s, " \t,;<>\"()[]\\") ||
	    v->nerrors != before) {
		cg_vld_error(v, field, "must be an e-mail address");
		return CG_VLD_BAD;
	}
	if (out)
		*out = s;
	return CG_VLD_SET;
}

int
cg_vld_url(struct cg_vld *v, const char *field, unsigned flags,
    const char **out)
{
	const char *s;
	int rc = cg_vld_str(v, field, flags, 8, 2048, &s);
	const char *host;

	if (rc != CG_VLD_SET)
		return rc;
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		host = NULL;
	if (!host || !*host || *host == '/' || strpbrk(s, " <>\"")) {
		cg_vld_error(v, field, "must be an http or https URL");
		return CG_VLD_BAD;
	}
	if (out)
		*out = s;
	return CG_VLD_SET;
}

int
cg_vld_json(struct cg_vld *v, const char *field, unsigned flags,
    json_type type, size_t max_encoded, json_t **out)
{
	int rc;
	json_t *j = field_get(v, field, flags, &rc);
	char *enc;
	size_t n;

	if (!j)
		return rc;
	if (json_typeof(j) != type) {
		cg_vld_error(v, field, "must be a JSON %s",
		    type == JSON_OBJECT ? "object" : "array");
		return CG_VLD_BAD;
	}
	enc = json_dumps(j, JSON_COMPACT);
	n = enc ? strlen(enc) : (size_t)-1;
	free(enc);
	if (n > max_encoded) {
		cg_vld_error(v, field, "must not exceed %zu bytes of JSON",
		    max_encoded);
		return CG_VLD_BAD;
	}
	if (out)
		*out = j;
	return CG_VLD_SET;
}

int
cg_vld_end(struct cg_vld *v)
{
	const char *key;
	json_t *val;

	json_object_foreach(v->root, key, val) {
		size_t i;

		for (i = 0; i < v->nseen; i++)
			if (strcmp(v->seen[i], key) == 0)
				break;
		if (i == v->nseen) {
			char name[96];

			snprintf(name, sizeof(name), "%s", key);
			cg_vld_error(v, name, "is not a known field");
		}
	}
	return v->nerrors ? -1 : 0;
}
