#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "control/proto.h"

/* Parses a line and, on failure, renders the error reply. */
static char *
reply_for(const char *line)
{
	struct cg_control_request req;
	struct cg_control_error err;
	char *out;

	if (cg_control_parse(line, strlen(line), &req, &err) == 0)
		out = cg_control_reply_ok(req.id, req.args);
	else
		out = cg_control_reply_error(req.id, err.code, err.message);
	cg_control_request_clear(&req);
	return out;
}

#define EXPECT(line, reply) do { \
	char *got_ = reply_for(line); \
	cr_assert_str_eq(got_, reply "\n"); \
	free(got_); \
} while (0)

Test(proto, good_requests)
{
	EXPECT("{\"cmd\":\"ping\"}", "{\"ok\":true,\"result\":{}}");
	EXPECT("{\"cmd\":\"ping\",\"id\":7}", "{\"ok\":true,\"id\":7,\"result\":{}}");
	EXPECT("{\"id\":\"a\",\"cmd\":\"log-level\",\"args\":{\"level\":\"debug\"}}\r",
	    "{\"ok\":true,\"id\":\"a\",\"result\":{\"level\":\"debug\"}}");
	EXPECT("{\"cmd\":\"x\",\"id\":null}", "{\"ok\":true,\"id\":null,\"result\":{}}");
}

Test(proto, bad_requests)
{
	EXPECT("", "{\"ok\":false,\"error\":{\"code\":\"parse_error\","
	    "\"message\":\"invalid JSON at column 0: '[' or '{' expected near end of file\"}}");
	EXPECT("hello", "{\"ok\":false,\"error\":{\"code\":\"parse_error\","
	    "\"message\":\"invalid JSON at column 5: '[' or '{' expected near 'hello'\"}}");
	EXPECT("[1]", "{\"ok\":false,\"error\":{\"code\":\"invalid_request\","
	    "\"message\":\"the request must be an object\"}}");
	EXPECT("{}", "{\"ok\":false,\"error\":{\"code\":\"invalid_request\","
	    "\"message\":\"cmd must be a non-empty string of printable words\"}}");
	EXPECT("{\"cmd\":\"\",\"id\":3}", "{\"ok\":false,\"id\":3,\"error\":{\"code\":"
	    "\"invalid_request\",\"message\":\"cmd must be a non-empty string of printable words\"}}");
	EXPECT("{\"cmd\":\"a\\nb\"}", "{\"ok\":false,\"error\":{\"code\":\"invalid_request\","
	    "\"message\":\"cmd must be a non-empty string of printable words\"}}");
	EXPECT("{\"cmd\":\"ping\",\"args\":[1],\"id\":4}", "{\"ok\":false,\"id\":4,"
	    "\"error\":{\"code\":\"invalid_request\",\"message\":\"args must be an object\"}}");
	EXPECT("{\"cmd\":\"ping\",\"id\":{}}", "{\"ok\":false,\"error\":{\"code\":"
	    "\"invalid_request\",\"message\":\"id must be a string, an integer or null\"}}");
	EXPECT("{\"cmd\":\"ping\",\"extra\":1}", "{\"ok\":false,\"error\":{\"code\":"
	    "\"invalid_request\",\"message\":\"unknown member \\\"extra\\\"\"}}");
	EXPECT("{\"cmd\":\"ping\",\"argv\":[1]}", "{\"ok\":false,\"error\":{\"code\":"
	    "\"invalid_request\",\"message\":\"argv must be an array of strings\"}}");
	EXPECT("{\"cmd\":\"a\",\"cmd\":\"b\"}", "{\"ok\":false,\"error\":{\"code\":"
	    "\"parse_error\",\"message\":\"invalid JSON at column 16: duplicate object key near '\\\"cmd\\\"'\"}}");
}

Test(proto, line_too_long)
{
	struct cg_control_request req;
	struct cg_control_error err;
	size_t n = CG_CONTROL_MAX_LINE + 1;
	char *line = malloc(n);

	memset(line, ' ', n);
	cr_assert_eq(cg_control_parse(line, n, &req, &err), -1);
	cr_assert_str_eq(err.code, "line_too_long");
	cr_assert_null(req.id);
	free(line);
}

Test(proto, invalid_utf8_message)
{
	char *s = cg_control_reply_error(NULL, "x", "bad \xff");

	cr_assert_str_eq(s, "{\"ok\":false,\"error\":{\"code\":\"x\","
	    "\"message\":\"(message not valid UTF-8)\"}}\n");
	free(s);
}

static struct cg_control_spec specs[4];

static void
setup_specs(void)
{
	cr_assert_eq(cg_control_spec_parse("ping", &specs[0]), 0);
	cr_assert_eq(cg_control_spec_parse("scan rescan <network> <height>",
	    &specs[1]), 0);
	cr_assert_eq(cg_control_spec_parse("scan", &specs[2]), 0);
	cr_assert_eq(cg_control_spec_parse("log-level [level]", &specs[3]), 0);
}

static void
teardown_specs(void)
{
	for (int i = 0; i < 4; i++)
		cg_control_spec_clear(&specs[i]);
}

static long
resolve(const char *line, char **args_out, struct cg_control_error *err)
{
	struct cg_control_request req;
	long idx;

	cr_assert_eq(cg_control_parse(line, strlen(line), &req, err), 0);
	idx = cg_control_resolve(specs, 4, &req, err);
	*args_out = json_dumps(req.args, JSON_COMPACT | JSON_SORT_KEYS);
	cg_control_request_clear(&req);
	return idx;
}

Test(resolve, longest_prefix_and_positionals, .init = setup_specs,
    .fini = teardown_specs)
{
	struct cg_control_error err;
	char *args;

	cr_assert_eq(resolve("{\"cmd\":\"scan\",\"argv\":[\"rescan\",\"eth\",\"19\"]}",
	    &args, &err), 1);
	cr_assert_str_eq(args, "{\"height\":\"19\",\"network\":\"eth\"}");
	free(args);
	cr_assert_eq(resolve("{\"cmd\":\"scan rescan\",\"args\":{\"network\":\"btc\","
	    "\"height\":\"5\"}}", &args, &err), 1);
	cr_assert_str_eq(args, "{\"height\":\"5\",\"network\":\"btc\"}");
	free(args);
	cr_assert_eq(resolve("{\"cmd\":\"scan\"}", &args, &err), 2);
	free(args);
	cr_assert_eq(resolve("{\"cmd\":\"log-level\",\"argv\":[\"warn\"]}", &args,
	    &err), 3);
	cr_assert_str_eq(args, "{\"level\":\"warn\"}");
	free(args);
	cr_assert_eq(resolve("{\"cmd\":\"log-level\"}", &args, &err), 3);
	cr_assert_str_eq(args, "{}");
	free(args);
}

Test(resolve, errors, .init = setup_specs, .fini = teardown_specs)
{
	struct cg_control_error err;
	char *args;

	cr_assert_eq(resolve("{\"cmd\":\"pong\"}", &args, &err), -1);
	cr_assert_str_eq(err.code, "unknown_command");
	cr_assert_str_eq(err.message, "unknown command \"pong\"");
	free(args);
	cr_assert_eq(resolve("{\"cmd\":\"ping\",\"argv\":[\"x\"]}", &args, &err), -1);
	cr_assert_str_eq(err.code, "bad_argument");
	cr_assert_str_eq(err.message, "unexpected argument \"x\"");
	free(args);
	cr_assert_eq(resolve("{\"cmd\":\"scan rescan eth\"}", &args, &err), -1);
	cr_assert_str_eq(err.message, "missing argument <height>");
	free(args);
	cr_assert_eq(resolve("{\"cmd\":\"scan rescan eth\",\"args\":{\"network\":\"x\","
	    "\"height\":\"1\"}}", &args, &err), -1);
	cr_assert_str_eq(err.message, "argument \"network\" given twice");
	free(args);
}

Test(spec, parse_and_format)
{
	struct cg_control_spec s;
	char out[128];

	cr_assert_eq(cg_control_spec_parse("db  status [verbose]", &s), 0);
	cg_control_spec_format(&s, out, sizeof(out));
	cr_assert_str_eq(out, "db status [verbose]");
	cg_control_spec_clear(&s);
	cr_assert_eq(cg_control_spec_parse("", &s), -1);
	cr_assert_eq(cg_control_spec_parse("<x>", &s), -1);
	cr_assert_eq(cg_control_spec_parse("a [b] <c>", &s), -1);
	cr_assert_eq(cg_control_spec_parse("a <b> c", &s), -1);
	cr_assert_eq(cg_control_spec_parse("Bad", &s), -1);
	cr_assert_eq(cg_control_spec_parse("a <>", &s), -1);
}
