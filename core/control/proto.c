#include "control/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
set_err(struct cg_control_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(struct cg_control_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof(err->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void
cg_control_request_clear(struct cg_control_request *req)
{
	json_decref(req->args);
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

static int
valid_cmd(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static int
check_members(json_t *root, struct cg_control_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(root, key, v) {
		if (strcmp(key, "cmd") && strcmp(key, "args") &&
		    strcmp(key, "argv") && strcmp(key, "id")) {
			set_err(err, "invalid_request", "unknown member \"%.64s\"",
			    key);
			return -1;
		}
	}
	return 0;
}

int
cg_control_parse(const char *line, size_t len,
    struct cg_control_request *req, struct cg_control_error *err)
{
	json_error_t jerr;
	json_t *v;

	memset(req, 0, sizeof(*req));
	if (len > CG_CONTROL_MAX_LINE) {
		set_err(err, "line_too_long", "request line longer than %d bytes",
		    CG_CONTROL_MAX_LINE);
		return -1;
	}
	if (len && line[len - 1] == '\r')
		len--;
	req->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->root) {
		set_err(err, "parse_error", "invalid JSON at column %d: %s",
		    jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(req->root)) {
		set_err(err, "invalid_request", "the request must be an object");
		goto fail;
	}
	v = json_object_get(req->root, "id");
	if (v && !json_is_string(v) && !json_is_integer(v) && !json_is_null(v)) {
		set_err(err, "invalid_request",
		    "id must be a string, an integer or null");
		goto fail;
	}
	req->id = v;
	if (check_members(req->root, err) < 0)
		goto fail;
	v = json_object_get(req->root, "cmd");
	if (!v || !json_is_string(v) || !valid_cmd(json_string_value(v))) {
		set_err(err, "invalid_request",
		    "cmd must be a non-empty string of printable words");
		goto fail;
	}
	req->cmd = json_string_value(v);
	v = json_object_get(req->root, "args");
	if (v && !json_is_object(v)) {
		set_err(err, "invalid_request", "args must be an object");
		goto fail;
	}
	req->args = v ? json_deep_copy(v) : json_object();
	if (!req->args) {
		set_err(err, "internal", "out of memory");
		goto fail;
	}
	v = json_object_get(req->root, "argv");
	if (v) {
		size_t i;
		json_t *w;
		if (!json_is_array(v) || json_array_size(v) > 64) {
			set_err(err, "invalid_request",
			    "argv must be an array of at most 64 strings");
			goto fail;
		}
		json_array_foreach(v, i, w) {
			if (!json_is_string(w)) {
				set_err(err, "invalid_request",
				    "argv must be an array of strings");
				goto fail;
			}
		}
		req->argv = v;
	}
	return 0;
fail:
	/* Keep the id for the error reply, drop the rest. */
	if (req->id)
		json_incref(req->id);
	v = req->id;
	json_decref(req->args);
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
	if (v) {
		req->root = v;
		req->id = v;
	}
	return -1;
}

void
cg_control_spec_clear(struct cg_control_spec *s)
{
	for (size_t i = 0; i < s->nwords; i++)
		free(s->words[i]);
	for (size_t i = 0; i < s->npos; i++)
		free(s->pos[i]);
	memset(s, 0, sizeof(*s));
}

static int
valid_word(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

int
cg_control_spec_parse(const char *spec, struct cg_control_spec *out)
{
	const char *p = spec, *end;
	size_t n;
	char **slot;
	int opt_seen = 0;

	memset(out, 0, sizeof(*out));
	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		for (end = p; *end && *end != ' '; end++)
			;
		n = (size_t)(end - p);
		if ((p[0] == '<' && p[n - 1] == '>') ||
		    (p[0] == '[' && p[n - 1] == ']')) {
			int req = p[0] == '<';
			if (n < 3 || !valid_word(p + 1, n - 2) ||
			    out->npos == CG_CONTROL_MAX_WORDS || (req && opt_seen))
				goto fail;
			opt_seen |= !req;
			out->required[out->npos] = req;
			slot = &out->pos[out->npos++];
			*slot = strndup(p + 1, n - 2);
		} else {
			if (!valid_word(p, n) || out->npos ||
			    out->nwords == CG_CONTROL_MAX_WORDS)
				goto fail;
			slot = &out->words[out->nwords++];
			*slot = strndup(p, n);
		}
		if (!*slot)
			goto fail;
		p = end;
	}
	if (out->nwords == 0)
		goto fail;
	return 0;
fail:
	cg_control_spec_clear(out);
	return -1;
}

void
cg_control_spec_format(const struct cg_control_spec *s, char *out,
    size_t outlen)
{
	size_t used = 0;
	int n;

	out[0] = '\0';
	for (size_t i = 0; i < s->nwords + s->npos; i++) {
		if (i < s->nwords)
			n = snprintf(out + used, outlen - used, "%s%s",
			    i ? " " : "", s->words[i]);
		else
			n = snprintf(out + used, outlen - used,
			    s->required[i - s->nwords] ? " <%s>" : " [%s]",
			    s->pos[i - s->nwords]);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}

/* Splits cmd and argv into words (pointers into buf and argv). */
static long
request_words(const struct cg_control_request *req, char *buf,
    const char **words, size_t max)
{
	size_t n = 0, i;
	char *save = NULL, *w;
	json_t *v;

	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return -1;
		words[n++] = w;
	}
	if (req->argv) {
		json_array_foreach(req->argv, i, v) {
			if (n == max)
				return -1;
			words[n++] = json_string_value(v);
		}
	}
	return (long)n;
}

static size_t
prefix_len(const struct cg_control_spec *s, const char **words, size_t n)
{
	if (s->nwords > n)
		return 0;
	for (size_t i = 0; i < s->nwords; i++)
		if (strcmp(s->words[i], words[i]) != 0)
			return 0;
	return s->nwords;
}

long
cg_control_resolve(const struct cg_control_spec *specs, size_t n,
    struct cg_control_request *req, struct cg_control_error *err)
{
	const char *words[80];
	char buf[132];
	size_t best_len = 0, len, left, i;
	long best = -1, nw;
	const struct cg_control_spec *s;

	snprintf(buf, sizeof(buf), "%s", req->cmd);
	nw = request_words(req, buf, words, sizeof(words) / sizeof(words[0]));
	if (nw < 0) {
		set_err(err, "bad_argument", "too many words");
		return -1;
	}
	for (i = 0; i < n; i++) {
		len = prefix_len(&specs[i], words, (size_t)nw);
		if (len > best_len) {
			best_len = len;
			best = (long)i;
		}
	}
	if (best < 0) {
		set_err(err, "unknown_command", "unknown command \"%.64s\"",
		    req->cmd);
		return -1;
	}
	s = &specs[best];
	left = (size_t)nw - best_len;
	if (left > s->npos) {
		set_err(err, "bad_argument", "unexpected argument \"%.64s\"",
		    words[best_len + s->npos]);
		return -1;
	}
	for (i = 0; i < s->npos; i++) {
		if (i >= left) {
			if (s->required[i] && !json_object_get(req->args,
			    s->pos[i])) {
				set_err(err, "bad_argument",
				    "missing argument <%s>", s->pos[i]);
				return -1;
			}
			continue;
		}
		if (json_object_get(req->args, s->pos[i])) {
			set_err(err, "bad_argument",
			    "argument \"%s\" given twice", s->pos[i]);
			return -1;
		}
		json_object_set_new(req->args, s->pos[i],
		    json_string(words[best_len + i]));
	}
	return best;
}

static char *
dump_line(json_t *o)
{
	char *s, *line;
	size_t n;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *
cg_control_reply_ok(json_t *id, json_t *result)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "ok", json_true());
	if (id)
		json_object_set(o, "id", id);
	json_object_set(o, "result", result ? result : json_null());
	return dump_line(o);
}

char *
cg_control_reply_error(json_t *id, const char *code, const char *message)
{
	json_t *o = json_object(), *e;

	if (!o)
		return NULL;
	json_object_set_new(o, "ok", json_false());
	if (id)
		json_object_set(o, "id", id);
	e = json_object();
	json_object_set_new(e, "code", json_string(code));
	/* A message may quote client bytes that are not UTF-8. */
	if (json_object_set_new(e, "message", json_string(message)) < 0)
		json_object_set_new(e, "message",
		    json_string("(message not valid UTF-8)"));
	json_object_set_new(o, "error", e);
	return dump_line(o);
}
