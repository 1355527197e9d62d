/*
 * The control socket's line protocol, as pure functions (no I/O) so it can
 * be unit-tested and fuzzed.
 *
 * Request, one JSON object per line (LF, an optional CR before it):
 *	{"cmd":"log-level","args":{"level":"debug"},"id":7}
 *	{"cmd":"scan","argv":["rescan","ethereum","19000000"]}
 * cmd is one or more words; argv holds further words (what cgctl sends for
 * its positional arguments); args holds named arguments. id (a string, an
 * integer or null) is echoed in the reply.
 *
 * Reply, one JSON object per line:
 *	{"ok":true,"id":7,"result":{…}}
 *	{"ok":false,"id":7,"error":{"code":"unknown_command","message":"…"}}
 *
 * Commands are registered with a usage spec, "words <required> [optional]":
 * "scan rescan <network> <height>". A request's words (cmd split on spaces,
 * then argv) select the registered command with the longest matching word
 * prefix; the words left over fill its positional arguments in order and
 * are added to args under their names (as strings).
 */
#ifndef CG_CONTROL_PROTO_H
#define CG_CONTROL_PROTO_H

#include <stddef.h>

#include <jansson.h>

#define CG_CONTROL_MAX_LINE 65536	/* bytes, without the LF */
#define CG_CONTROL_MAX_WORDS 8

struct cg_control_error {
	char code[32];		/* parse_error, invalid_request, … */
	char message[256];
};

struct cg_control_request {
	json_t *root;		/* owned */
	const char *cmd;	/* in root */
	json_t *args;		/* object, owned (a copy when resolved) */
	json_t *argv;		/* in root, array of strings, or NULL */
	json_t *id;		/* in root, or NULL */
};

struct cg_control_spec {
	char *words[CG_CONTROL_MAX_WORDS];
	size_t nwords;
	char *pos[CG_CONTROL_MAX_WORDS];
	int required[CG_CONTROL_MAX_WORDS];
	size_t npos;
};

/* Parses one line (without its LF). 0, or -1 with err filled: codes
 * line_too_long, parse_error, invalid_request. On error req->id may still
 * be set (when the JSON was an object with a valid id) for the reply. */
int cg_control_parse(const char *line, size_t len,
    struct cg_control_request *req, struct cg_control_error *err);
void cg_control_request_clear(struct cg_control_request *req);

/* Parses "scan rescan <network> [height]"; -1 when malformed. */
int cg_control_spec_parse(const char *spec, struct cg_control_spec *out);
void cg_control_spec_clear(struct cg_control_spec *s);
/* Formats the spec back ("scan rescan <network> [height]"). */
void cg_control_spec_format(const struct cg_control_spec *s, char *out,
    size_t outlen);

/* Selects the command for req among specs and moves positional words into
 * req->args. Returns the index, or -1 with err: unknown_command,
 * bad_argument. */
long cg_control_resolve(const struct cg_control_spec *specs, size_t n,
    struct cg_control_request *req, struct cg_control_error *err);

/* Reply lines, LF-terminated, malloc'd (free()); NULL on allocation
 * failure. id and result are borrowed. */
char *cg_control_reply_ok(json_t *id, json_t *result);
char *cg_control_reply_error(json_t *id, const char *code,
    const char *message);

#endif
