/*
 * cgctl: the admin's client of the daemon's control socket. It knows no
 * command: it turns its arguments into one request line, prints the reply
 * as text (or raw with --json) and exits with its outcome, so commands the
 * daemon gains need no change here.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cg_build_config.h"

#define CGCTL_DEFAULT_SOCKET "/run/cryptic-gateway/control.sock"
#define CGCTL_MAX_REPLY (16 * 1024 * 1024)

enum {
	EXIT_OK = 0,
	EXIT_DAEMON_ERROR = 1,	/* the daemon answered with an error */
	EXIT_USAGE = 2,
	EXIT_TRANSPORT = 3,	/* no daemon, timeout, unreadable reply */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: cgctl [--socket PATH] [--json] [--timeout S] COMMAND [WORD...] [ARG...]\n"
"\n"
"Sends one command to cryptic-gatewayd's control socket and prints the reply.\n"
"\n"
"  COMMAND WORD...  the command and its positional arguments, as words:\n"
"                   \"cgctl db status\", \"cgctl scan rescan ethereum 19000000\";\n"
"                   the daemon picks the longest command it knows and reads\n"
"                   the remaining words as its arguments\n"
"  key=value        a named argument, as a string (\"level=debug\")\n"
"  key:=JSON        a named argument as JSON (\"limit:=10\", \"force:=true\")\n"
"\n"
"  -s, --socket PATH  control socket (default: $CG_CONTROL_SOCKET, else\n"
"                     " CGCTL_DEFAULT_SOCKET ")\n"
"  -j, --json         print the daemon's reply line as it came\n"
"  -t, --timeout S    seconds to wait for the reply (default 30)\n"
"  -h, --help         this text;  -V, --version  the version\n"
"\n"
"\"cgctl help\" lists the daemon's commands. Exit status: 0 success, 1 the\n"
"daemon refused or failed the command (its message on stderr), 2 usage,\n"
"3 no answer (no daemon, no permission, timeout, bad reply).\n");
}

/* Builds {"cmd":…,"argv":[…],"args":{…},"id":1}. */
static json_t *
build_request(int argc, char **argv)
{
	json_t *req, *args, *words, *v;
	json_error_t jerr;
	char *eq, key[256];
	size_t klen;
	int i;

	req = json_object();
	args = json_object();
	words = json_array();
	if (!req || !args || !words)
		goto fail;
	for (i = 0; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			if (json_array_append_new(words, json_string(argv[i])) < 0)
				goto bad_utf8;
			continue;
		}
		klen = (size_t)(eq - argv[i]);
		if (eq[-1] == ':') {
			klen--;
			v = json_loads(eq + 1, JSON_DECODE_ANY, &jerr);
			if (!v) {
				fprintf(stderr, "cgctl: %s: not JSON: %s\n", argv[i],
				    jerr.text);
				goto fail;
			}
		} else {
			v = json_string(eq + 1);
		}
		if (klen == 0 || klen >= sizeof(key) || !v) {
			json_decref(v);
			goto bad_utf8;
		}
		memcpy(key, argv[i], klen);
		key[klen] = '\0';
		json_object_set_new(args, key, v);
	}
	if (json_array_size(words) == 0) {
		fprintf(stderr, "cgctl: no command given\n");
		goto fail;
	}
	json_object_set(req, "cmd", json_array_get(words, 0));
	json_array_remove(words, 0);
	if (json_array_size(words))
		json_object_set(req, "argv", words);
	if (json_object_size(args))
		json_object_set(req, "args", args);
	json_object_set_new(req, "id", json_integer(1));
	json_decref(args);
	json_decref(words);
	return req;
bad_utf8:
	fprintf(stderr, "cgctl: %s: not a valid argument\n", argv[i]);
fail:
	json_decref(req);
	json_decref(args);
	json_decref(words);
	return NULL;
}

static int
connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "cgctl: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "cgctl: cannot connect to %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one LF-terminated line within the deadline; malloc'd. */
static char *
read_line(int fd, int timeout_s)
{
	int64_t deadline = mono_ms() + (int64_t)timeout_s * 1000;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *grown;
	ssize_t n;
	int rc;

	while (buf) {
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			fprintf(stderr, "cgctl: no reply within %d s\n", timeout_s);
			break;
		}
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;
		if (len + 1 >= cap) {
			if (cap >= CGCTL_MAX_REPLY)
				break;
			grown = realloc(buf, cap * 2);
			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "cgctl: the daemon closed the connection\n");
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*strchr(buf, '\n') = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

/* ---- text output ---- */

static void
print_scalar(FILE *f, json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), f);
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_TRUE:
		fputs("yes", f);
		break;
	case JSON_FALSE:
		fputs("no", f);
		break;
	case JSON_NULL:
		fputs("-", f);
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    JSON_ENCODE_ANY);
		fputs(s ? s : "?", f);
		free(s);
	}
}

/* A cell: scalars as text, arrays of scalars joined with commas. */
static char *
cell_text(json_t *v)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	size_t i;
	json_t *e;

	if (!f)
		return NULL;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (i)
				fputs(",", f);
			print_scalar(f, e);
		}
	} else {
		print_scalar(f, v);
	}
	fclose(f);
	return buf;
}

static int
is_table(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return 0;
	json_array_foreach(v, i, e)
		if (!json_is_object(e))
			return 0;
	return 1;
}

static void
print_table(json_t *rows, int indent)
{
	json_t *cols = json_array(), *row, *v;
	const char *key;
	size_t i, c, ncols, *width;
	char *s;

	json_array_foreach(rows, i, row) {
		json_object_foreach(row, key, v) {
			int seen = 0;
			json_t *k;
			json_array_foreach(cols, c, k)
				seen |= strcmp(json_string_value(k), key) == 0;
			if (!seen)
				json_array_append_new(cols, json_string(key));
		}
	}
	ncols = json_array_size(cols);
	width = calloc(ncols ? ncols : 1, sizeof(*width));
	if (!width) {
		json_decref(cols);
		return;
	}
	for (c = 0; c < ncols; c++)
		width[c] = strlen(json_string_value(json_array_get(cols, c)));
	json_array_foreach(rows, i, row) {
		for (c = 0; c < ncols; c++) {
			v = json_object_get(row,
			    json_string_value(json_array_get(cols, c)));
			s = cell_text(v ? v : json_null());
			if (s && strlen(s) > width[c])
				width[c] = strlen(s);
			free(s);
		}
	}
	printf("%*s", indent, "");
	for (c = 0; c < ncols; c++) {
		const char *name = json_string_value(json_array_get(cols, c));
		for (const char *p = name; *p; p++)
			putchar(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		printf("%*s", c + 1 < ncols ? (int)(width[c] - strlen(name) + 2) :
		    0, "");
	}
	putchar('\n');
	json_array_foreach(rows, i, row) {
		printf("%*s", indent, "");
		for (c = 0; c < ncols; c++) {
			v = json_object_get(row,
			    json_string_value(json_array_get(cols, c)));
			s = cell_text(v ? v : json_null());
			printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0,
			    s ? s : "", c + 1 < ncols ? "  " : "");
			free(s);
		}
		putchar('\n');
	}
	free(width);
	json_decref(cols);
}

static void
print_value(json_t *v, int indent)
{
	const char *key;
	json_t *e;
	char *s;

	if (is_table(v)) {
		print_table(v, indent);
		return;
	}
	if (!json_is_object(v)) {
		s = cell_text(v);
		printf("%*s%s\n", indent, "", s ? s : "");
		free(s);
		return;
	}
	json_object_foreach(v, key, e) {
		if (json_is_object(e) || is_table(e)) {
			printf("%*s%s:\n", indent, "", key);
			print_value(e, indent + 2);
			continue;
		}
		s = cell_text(e);
		printf("%*s%s: %s\n", indent, "", key, s ? s : "");
		free(s);
	}
}

static int
handle_reply(const char *line, int raw)
{
	json_t *reply, *err;
	json_error_t jerr;
	int ok;

	reply = json_loads(line, 0, &jerr);
	if (!reply || !json_is_object(reply) ||
	    !json_is_boolean(json_object_get(reply, "ok"))) {
		fprintf(stderr, "cgctl: unreadable reply from the daemon\n");
		json_decref(reply);
		return EXIT_TRANSPORT;
	}
	ok = json_is_true(json_object_get(reply, "ok"));
	if (raw) {
		printf("%s\n", line);
	} else if (ok) {
		print_value(json_object_get(reply, "result"), 0);
	} else {
		err = json_object_get(reply, "error");
		fprintf(stderr, "cgctl: %s (%s)\n",
		    json_string_value(json_object_get(err, "message")) ?
		    json_string_value(json_object_get(err, "message")) : "error",
		    json_string_value(json_object_get(err, "code")) ?
		    json_string_value(json_object_get(err, "code")) : "unknown");
	}
	json_decref(reply);
	return ok ? EXIT_OK : EXIT_DAEMON_ERROR;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("CG_CONTROL_SOCKET");
	int raw = 0, timeout_s = 30, c, fd, rc;
	char *text, *line, *end;
	json_t *req;

	if (!path || !*path)
		path = CGCTL_DEFAULT_SOCKET;
	/* "+": options end at the command, so its arguments may start with -. */
	while ((c = getopt_long(argc, argv, "+s:jt:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			raw = 1;
			break;
		case 't':
			timeout_s = (int)strtol(optarg, &end, 10);
			if (*end || timeout_s < 1 || timeout_s > 3600) {
				fprintf(stderr, "cgctl: bad timeout: %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("cgctl %s\n", CG_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	req = build_request(argc - optind, argv + optind);
	if (!req)
		return EXIT_USAGE;
	text = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(req);
	if (!text)
		return EXIT_USAGE;
	fd = connect_socket(path);
	if (fd < 0) {
		free(text);
		return EXIT_TRANSPORT;
	}
	rc = send_all(fd, text, strlen(text)) < 0 || send_all(fd, "\n", 1) < 0;
	free(text);
	/* A daemon that refuses a client answers and closes before reading:
	 * its reply may be waiting even when the send failed. */
	line = read_line(fd, rc ? 1 : timeout_s);
	close(fd);
	if (!line)
		return EXIT_TRANSPORT;
	rc = handle_reply(line, raw);
	free(line);
	return rc;
}
