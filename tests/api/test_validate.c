/* Body validation, table-driven fields, cursors, allow-lists, query times. */
#include <criterion/criterion.h>

#include <string.h>

#include "api/api.h"
#include "api/fields.h"
#include "api/validate.h"

static const char *
field_error(const struct cg_vld *v, const char *field)
{
	for (size_t i = 0; i < v->nerrors; i++)
		if (strcmp(v->errors[i].field, field) == 0)
			return v->errors[i].message;
	return NULL;
}

Test(validate, body_must_be_object)
{
	struct cg_vld v;

	cr_assert_eq(cg_vld_begin(&v, "[1]", 3, false), -1);
	cr_assert(strstr(v.message, "object"));
	cr_assert_eq(cg_vld_begin(&v, "{\"a\":", 5, false), -1);
	cr_assert(strstr(v.message, "not valid JSON"));
	cr_assert_eq(cg_vld_begin(&v, "", 0, false), -1);
	cr_assert_eq(cg_vld_begin(&v, "", 0, true), 0);
	cr_assert_eq(cg_vld_end(&v), 0);
	cg_vld_free(&v);
	/* two values for one field are refused, not silently merged */
	cr_assert_eq(cg_vld_begin(&v, "{\"a\":1,\"a\":2}", 13, false), -1);
}

Test(validate, strings_and_unknown_fields)
{
	const char *body = "{\"name\":\"Caf\\u00e9\",\"long\":\"abcdef\","
	    "\"ctl\":\"a\\u0001b\",\"num\":5,\"extra\":true}";
	struct cg_vld v;
	const char *s = NULL;

	cr_assert_eq(cg_vld_begin(&v, body, strlen(body), false), 0);
	cr_assert_eq(cg_vld_str(&v, "name", CG_VLD_REQUIRED, 1, 4, &s),
	    CG_VLD_SET);
	cr_assert_str_eq(s, "Caf\xc3\xa9");	/* 4 characters, 5 bytes */
	cr_assert_eq(cg_vld_str(&v, "long", 0, 1, 5, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_str(&v, "ctl", 0, 1, 5, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_str(&v, "num", 0, 1, 5, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_str(&v, "absent", 0, 1, 5, NULL), CG_VLD_ABSENT);
	cr_assert_eq(cg_vld_str(&v, "needed", CG_VLD_REQUIRED, 1, 5, NULL),
	    CG_VLD_BAD);
	cr_assert_eq(cg_vld_end(&v), -1);
	cr_assert_str_eq(field_error(&v, "needed"), "is required");
	cr_assert_str_eq(field_error(&v, "extra"), "is not a known field");
	cr_assert(strstr(field_error(&v, "ctl"), "control"));
	cr_assert(strstr(field_error(&v, "num"), "string"));
	cr_assert(field_error(&v, "name") == NULL);
	cg_vld_free(&v);
}

Test(validate, numbers_bools_enums_null)
{
	const char *body = "{\"i\":5,\"big\":100,\"real\":1.5,\"b\":true,"
	    "\"bs\":\"true\",\"e\":\"dark\",\"bad\":\"blue\",\"n\":null,"
	    "\"nn\":null}";
	static const char *const themes[] = { "light", "dark", NULL };
	struct cg_vld v;
	int64_t i = 0;
	bool b = false;
	int e = -1;

	cr_assert_eq(cg_vld_begin(&v, body, strlen(body), false), 0);
	cr_assert_eq(cg_vld_int(&v, "i", 0, 1, 10, &i), CG_VLD_SET);
	cr_assert_eq(i, 5);
	cr_assert_eq(cg_vld_int(&v, "big", 0, 1, 10, &i), CG_VLD_BAD);
	cr_assert_eq(cg_vld_int(&v, "real", 0, 1, 10, &i), CG_VLD_BAD);
	cr_assert_eq(cg_vld_bool(&v, "b", 0, &b), CG_VLD_SET);
	cr_assert(b);
	cr_assert_eq(cg_vld_bool(&v, "bs", 0, &b), CG_VLD_BAD);
	cr_assert_eq(cg_vld_enum(&v, "e", 0, themes, &e), CG_VLD_SET);
	cr_assert_eq(e, 1);
	cr_assert_eq(cg_vld_enum(&v, "bad", 0, themes, &e), CG_VLD_BAD);
	cr_assert(strstr(field_error(&v, "bad"), "light, dark"));
	cr_assert_eq(cg_vld_str(&v, "n", CG_VLD_NULLABLE, 1, 5, NULL),
	    CG_VLD_NULL);
	cr_assert_eq(cg_vld_str(&v, "nn", 0, 1, 5, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_end(&v), -1);
	cr_assert_eq(v.nerrors, 5);
	cg_vld_free(&v);
}

Test(validate, decimals)
{
	const char *body = "{\"a\":\"12.50\",\"b\":\"0.001\",\"c\":12.5,"
	    "\"d\":\"-1\",\"e\":\"0\",\"f\":\"1e3\",\"g\":\"01.5\","
	    "\"h\":\"99999999999999999999\"}";
	struct cg_vld v;
	cg_i128 u = 0;

	cr_assert_eq(cg_vld_begin(&v, body, strlen(body), false), 0);
	cr_assert_eq(cg_vld_decimal(&v, "a", 0, 2, 18, true, &u), CG_VLD_SET);
	cr_assert(u == 1250);
	cr_assert_eq(cg_vld_decimal(&v, "b", 0, 2, 18, true, &u), CG_VLD_BAD);
	cr_assert(strstr(field_error(&v, "b"), "2 decimal places"));
	cr_assert_eq(cg_vld_decimal(&v, "c", 0, 2, 18, true, &u), CG_VLD_BAD);
	cr_assert(strstr(field_error(&v, "c"), "numbers are refused"));
	cr_assert_eq(cg_vld_decimal(&v, "d", 0, 2, 18, false, &u),
	    CG_VLD_BAD);
	cr_assert_eq(cg_vld_decimal(&v, "e", 0, 2, 18, true, &u), CG_VLD_BAD);
	cr_assert_eq(cg_vld_decimal(&v, "f", 0, 2, 18, true, &u), CG_VLD_BAD);
	cr_assert_eq(cg_vld_decimal(&v, "g", 0, 2, 18, true, &u), CG_VLD_BAD);
	cr_assert_eq(cg_vld_decimal(&v, "h", 0, 2, 18, true, &u), CG_VLD_BAD);
	cr_assert(strstr(field_error(&v, "h"), "too large"));
	cg_vld_free(&v);
}

Test(validate, emails_and_urls)
{
	const char *body = "{\"e1\":\"a@b.co\",\"e2\":\"a@b\",\"e3\":\"@b.co\","
	    "\"e4\":\"a b@c.de\",\"u1\":\"https://shop.example/x\","
	    "\"u2\":\"ftp://x.y\",\"u3\":\"http:///x\"}";
	struct cg_vld v;

	cr_assert_eq(cg_vld_begin(&v, body, strlen(body), false), 0);
	cr_assert_eq(cg_vld_email(&v, "e1", 0, NULL), CG_VLD_SET);
	cr_assert_eq(cg_vld_email(&v, "e2", 0, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_email(&v, "e3", 0, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_email(&v, "e4", 0, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_url(&v, "u1", 0, NULL), CG_VLD_SET);
	cr_assert_eq(cg_vld_url(&v, "u2", 0, NULL), CG_VLD_BAD);
	cr_assert_eq(cg_vld_url(&v, "u3", 0, NULL), CG_VLD_BAD);
	cg_vld_free(&v);
}

Test(validate, field_tables)
{
	static const struct cg_api_field f[] = {
		{ "name", CG_F_STR, 0, 1, 10, NULL },
		{ "tol", CG_F_FRACTION, 0, 0, 0, NULL },
		{ "color", CG_F_COLOR, CG_VLD_NULLABLE, 0, 0, NULL },
		{ "cc", CG_F_COUNTRY, 0, 0, 0, NULL },
		{ "on", CG_F_BOOL, 0, 0, 0, NULL },
		{ "n", CG_F_INT, 0, 1, 5, NULL },
		{ "meta", CG_F_OBJECT, 0, 0, 20, NULL },
		{ NULL, 0, 0, 0, 0, NULL }
	};
	const char *ok = "{\"name\":\"x\",\"tol\":\"0.005\",\"color\":null,"
	    "\"cc\":\"DE\",\"on\":false,\"n\":3,\"meta\":{\"a\":1}}";
	const char *bad = "{\"tol\":\"1\",\"color\":\"red\",\"cc\":\"de\","
	    "\"meta\":{\"a\":\"0123456789012345678\"}}";
	struct cg_vld v;
	json_t *c = json_object();

	cr_assert_eq(cg_vld_begin(&v, ok, strlen(ok), false), 0);
	cg_api_fields_parse(&v, f, c);
	cr_assert_eq(cg_vld_end(&v), 0);
	cr_assert_str_eq(json_string_value(json_object_get(c, "tol")),
	    "0.0050");
	cr_assert(json_is_null(json_object_get(c, "color")));
	cr_assert_str_eq(json_string_value(json_object_get(c, "on")), "0");
	cr_assert_str_eq(json_string_value(json_object_get(c, "n")), "3");
	cr_assert_str_eq(json_string_value(json_object_get(c, "meta")),
	    "{\"a\":1}");
	cg_vld_free(&v);
	json_object_clear(c);

	cr_assert_eq(cg_vld_begin(&v, bad, strlen(bad), false), 0);
	cg_api_fields_parse(&v, f, c);
	cr_assert_eq(cg_vld_end(&v), -1);
	cr_assert(field_error(&v, "tol"));	/* 1 is not < 1 */
	cr_assert(field_error(&v, "color"));
	cr_assert(field_error(&v, "cc"));
	cr_assert(field_error(&v, "meta"));
	cr_assert_eq(json_object_size(c), 0);
	cg_vld_free(&v);
	json_decref(c);
}

Test(page, cursor_round_trip)
{
	char buf[128], id[CG_ID_SIZE];
	int64_t ms;

	cr_assert_gt(cg_api_cursor_encode(1764560000123LL,
	    "cabcdefghijklmnopqrstuvwx", buf, sizeof(buf)), 0);
	cr_assert_eq(cg_api_cursor_decode(buf, &ms, id), 0);
	cr_assert_eq(ms, 1764560000123LL);
	cr_assert_str_eq(id, "cabcdefghijklmnopqrstuvwx");
	cr_assert_neq(cg_api_cursor_decode("abc", &ms, id), 0);
	cr_assert_neq(cg_api_cursor_decode("MTIz", &ms, id), 0);   /* "123" */
	cr_assert_neq(cg_api_cursor_decode("LTEuY2FiYw", &ms, id), 0);
	cr_assert_neq(cg_api_cursor_decode("", &ms, id), 0);
}

Test(page, times)
{
	int64_t ms;

	cr_assert_eq(cg_api_parse_time("2026-01-31", &ms), 0);
	cr_assert_eq(ms, 1769817600000LL);
	cr_assert_eq(cg_api_parse_time("2026-01-31T12:00:00Z", &ms), 0);
	cr_assert_eq(ms, 1769817600000LL + 12 * 3600000LL);
	cr_assert_eq(cg_api_parse_time("2026-01-31T12:00:00.250Z", &ms), 0);
	cr_assert_eq(ms % 1000, 250);
	cr_assert_eq(cg_api_parse_time("yesterday", &ms), -1);
	cr_assert_eq(cg_api_parse_time("2026-01-31T12:00:00+02:00", &ms), -1);
}

Test(allowlist, cidr)
{
	cr_assert(cg_api_ip_allowed("10.1.2.3", NULL));
	cr_assert(cg_api_ip_allowed("10.1.2.3", "[]"));
	cr_assert(cg_api_ip_allowed("10.1.2.3", "[\"10.0.0.0/8\"]"));
	cr_assert(!cg_api_ip_allowed("11.1.2.3", "[\"10.0.0.0/8\"]"));
	cr_assert(cg_api_ip_allowed("192.168.1.7", "[\"192.168.1.7\"]"));
	cr_assert(!cg_api_ip_allowed("192.168.1.8", "[\"192.168.1.7\"]"));
	cr_assert(cg_api_ip_allowed("192.168.1.9", "[\"192.168.1.8/31\"]"));
	cr_assert(!cg_api_ip_allowed("192.168.1.10", "[\"192.168.1.8/31\"]"));
	cr_assert(cg_api_ip_allowed("2001:db8::1", "[\"2001:db8::/32\"]"));
	cr_assert(!cg_api_ip_allowed("2001:db9::1", "[\"2001:db8::/32\"]"));
	cr_assert(!cg_api_ip_allowed("10.0.0.1", "[\"2001:db8::/32\"]"));
	cr_assert(!cg_api_ip_allowed("10.0.0.1", "not json"));
	cr_assert(!cg_api_ip_allowed("10.0.0.1", "[\"10.0.0.0/40\"]"));
	cr_assert(cg_api_ip_entry_valid("10.0.0.0/8"));
	cr_assert(cg_api_ip_entry_valid("::1"));
	cr_assert(!cg_api_ip_entry_valid("10.0.0.0/33"));
	cr_assert(!cg_api_ip_entry_valid("10.0.0/8"));
	cr_assert(!cg_api_ip_entry_valid("10.0.0.0/"));
}
