/*
 * Fuzz target: the control socket's line protocol (parse, resolve against
 * a command table, reply rendering).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cg_control_spec specs[5];
static size_t nspecs;

static void
setup(void)
{
	static const char *const s[] = { "ping", "status",
	    "scan rescan <network> <height>", "log-level [level]",
	    "db status [verbose]" };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (cg_control_spec_parse(s[i], &specs[nspecs]) == 0)
			nspecs++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_control_request req;
	struct cg_control_error err;
	char *out;

	if (!nspecs)
		setup();
	if (cg_control_parse((const char *)data, size, &req, &err) == 0) {
		if (cg_control_resolve(specs, nspecs, &req, &err) >= 0)
			out = cg_control_reply_ok(req.id, req.args);
		else
			out = cg_control_reply_error(req.id, err.code, err.message);
	} else {
		out = cg_control_reply_error(req.id, err.code, err.message);
	}
	/* Every reply is one line. */
	if (!out || !strchr(out, '\n') || strchr(out, '\n')[1] != '\0')
		abort();
	free(out);
	cg_control_request_clear(&req);
	return 0;
}
