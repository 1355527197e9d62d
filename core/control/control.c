#include "control/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "cg_build_config.h"
#include "control/proto.h"
#include "runtime/metrics.h"
#include "util/clock.h"
#include "util/log.h"

#define CG_CONTROL_MAX_COMMANDS 128
#define CG_CONTROL_MAX_SECTIONS 16

struct cg_command {
	cg_control_fn fn;
	void *ud;
	unsigned flags;
};

struct cg_section {
	char key[32];
	cg_control_section_fn fn;
	void *ud;
};

struct cg_control_conn {
	struct cg_control_conn *prev, *next;
	struct cg_control *ctl;
	struct bufferevent *bev;
	struct cg_control_call *call;	/* being answered */
	unsigned uid;
	int owner;	/* root or the daemon's user */
	int closing;	/* half-close once the output is flushed */
	int in_loop;
};

struct cg_control_call {
	struct cg_control *ctl;
	struct cg_control_conn *conn;	/* NULL once the client left */
	json_t *id;
	unsigned uid;
	int owner;
};

struct cg_control {
	struct event_base *base;
	struct cg_control_opts opts;
	char *path;
	struct evconnlistener *listener;
	struct cg_command cmds[CG_CONTROL_MAX_COMMANDS];
	struct cg_control_spec specs[CG_CONTROL_MAX_COMMANDS];
	size_t ncmds;
	struct cg_section sections[CG_CONTROL_MAX_SECTIONS];
	size_t nsections;
	cg_control_section_fn plugins_fn;
	void *plugins_ud;
	cg_control_reload_fn reload_fn;
	void *reload_ud;
	struct cg_control_conn *conns;
	size_t nconns;
	size_t ncalls;	/* calls alive, including orphans */
	int freed;
	int64_t started_ms;
};

static void builtin_commands(struct cg_control *ctl);
static void read_loop(struct cg_control_conn *c);

struct cg_control *
cg_control_create(struct event_base *base, const struct cg_control_opts *o)
{
	struct cg_control *ctl;

	if (!o->path || strlen(o->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return NULL;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	ctl->base = base;
	ctl->opts = *o;
	ctl->path = strdup(o->path);
	if (!ctl->path) {
		free(ctl);
		return NULL;
	}
	ctl->opts.path = ctl->path;
	if (!ctl->opts.mode)
		ctl->opts.mode = 0660;
	if (ctl->opts.read_timeout_s <= 0)
		ctl->opts.read_timeout_s = 10;
	if (!ctl->opts.max_connections)
		ctl->opts.max_connections = 64;
	ctl->started_ms = cg_mono_ms();
	builtin_commands(ctl);
	return ctl;
}

static void
ctl_release(struct cg_control *ctl)
{
	if (!ctl->freed || ctl->nconns || ctl->ncalls)
		return;
	for (size_t i = 0; i < ctl->ncmds; i++)
		cg_control_spec_clear(&ctl->specs[i]);
	free(ctl->path);
	free(ctl);
}

/* ---- socket ---- */

/* A socket file nobody answers on is left over from a dead daemon. */
static int
remove_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		cg_error("control", "path exists and is not a socket path=%s",
		    path);
		return -EEXIST;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		cg_error("control", "another daemon answers on path=%s", path);
		return -EADDRINUSE;
	}
	cg_info("control", "removing stale socket path=%s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg);

int
cg_control_start(struct cg_control *ctl)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	rc = remove_stale(ctl->path);
	if (rc < 0)
		return rc;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* No window in which the socket exists with a looser mode. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		rc = -errno;
		cg_error("control", "cannot bind path=%s: %s", ctl->path,
		    strerror(errno));
		close(fd);
		return rc;
	}
	if (ctl->opts.group >= 0 &&
	    chown(ctl->path, (uid_t)-1, (gid_t)ctl->opts.group) < 0)
		goto fail;
	if (chmod(ctl->path, (mode_t)ctl->opts.mode) < 0 || listen(fd, 64) < 0)
		goto fail;
	ctl->listener = evconnlistener_new(ctl->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (!ctl->listener) {
		errno = ENOMEM;
		goto fail;
	}
	cg_info("control", "listening path=%s mode=%04o", ctl->path,
	    ctl->opts.mode);
	return 0;
fail:
	rc = -errno;
	cg_error("control", "cannot listen path=%s: %s", ctl->path,
	    strerror(errno));
	close(fd);
	unlink(ctl->path);
	return rc;
}

void
cg_control_stop_accepting(struct cg_control *ctl)
{
	if (!ctl || !ctl->listener)
		return;
	evconnlistener_free(ctl->listener);
	ctl->listener = NULL;
	unlink(ctl->path);
}

/* ---- peer credentials ---- */

/* Supplementary groups of a process, from /proc (the socket only gives
 * the primary group). */
static int
pid_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096], *p, *end;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7; *p; p = end) {
			unsigned long g = strtoul(p, &end, 10);
			if (end == p)
				break;
			if (g == gid)
				found = 1;
		}
		break;
	}
	fclose(f);
	return found;
}

/* Returns 1 for the owner (root, the daemon's uid), 2 for a group member,
 * 0 for others. */
static int
peer_access(const struct cg_control *ctl, int fd, unsigned *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return 1;
	if (ctl->opts.group >= 0 && (cred.gid == (gid_t)ctl->opts.group ||
	    pid_in_group(cred.pid, (gid_t)ctl->opts.group)))
		return 2;
	return 0;
}

/* ---- connections ---- */

static void
conn_free(struct cg_control_conn *c)
{
	struct cg_control *ctl = c->ctl;

	if (c->call)
		c->call->conn = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	free(c);
	ctl->nconns--;
	ctl_release(ctl);
}

static void
conn_send(struct cg_control_conn *c, char *line)
{
	if (!line) {
		static const char oom[] = "{\"ok\":false,\"error\":{\"code\":"
		    "\"internal\",\"message\":\"out of memory\"}}\n";
		bufferevent_write(c->bev, oom, sizeof(oom) - 1);
		return;
	}
	bufferevent_write(c->bev, line, strlen(line));
	free(line);
}

static void
conn_error(struct cg_control_conn *c, json_t *id, const char *code,
    const char *message)
{
	conn_send(c, cg_control_reply_error(id, code, message));
}

/* After a final error reply: send it, half-close, and drop whatever the
 * client still sends until it closes (or the read timeout), so the reply
 * is not lost to a reset. */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct cg_control_conn *c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct cg_control_conn *c = arg;

	if ((what & BEV_EVENT_TIMEOUT) && c->call && !c->closing) {
		/* Waiting for our own answer is not the client's delay. */
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		cg_info("control", "closing idle connection uid=%u", c->uid);
	conn_free(c);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	read_loop(arg);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct cg_control *ctl = arg;
	struct cg_control_conn *c;
	struct timeval rt = { ctl->opts.read_timeout_s, 0 };
	unsigned uid = (unsigned)-1;
	int access;

	(void)l;
	(void)sa;
	(void)len;
	c = calloc(1, sizeof(*c));
	if (c)
		c->bev = bufferevent_socket_new(ctl->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (!c || !c->bev) {
		free(c);
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->next = ctl->conns;
	if (c->next)
		c->next->prev = c;
	ctl->conns = c;
	ctl->nconns++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_set_timeouts(c->bev, &rt, &rt);
	/* Bounded input: a line longer than the limit stops the reading and
	 * is answered with an error. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, CG_CONTROL_MAX_LINE + 2);
	access = peer_access(ctl, fd, &uid);
	c->uid = uid;
	c->owner = access == 1;
	if (!access || ctl->nconns > ctl->opts.max_connections) {
		cg_warn("control", "connection refused uid=%u reason=%s", uid,
		    access ? "too many connections" : "credentials");
		conn_error(c, NULL, access ? "busy" : "permission_denied",
		    access ? "too many control connections" :
		    "this user may not use the control socket");
		c->closing = 1;
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- calls ---- */

static void
call_free(struct cg_control_call *call)
{
	struct cg_control *ctl = call->ctl;

	json_decref(call->id);
	free(call);
	ctl->ncalls--;
	ctl_release(ctl);
}

/* Writes the reply and lets the connection read its next request. */
static void
call_finish(struct cg_control_call *call, char *line)
{
	struct cg_control_conn *c = call->conn;

	if (!c) {
		free(line);
		call_free(call);
		return;
	}
	c->call = NULL;
	conn_send(c, line);
	call_free(call);
	if (!c->in_loop)
		read_loop(c);
}

void
cg_control_reply(struct cg_control_call *call, json_t *result)
{
	call_finish(call, call->conn ?
	    cg_control_reply_ok(call->id, result) : NULL);
	json_decref(result);
}

void
cg_control_fail(struct cg_control_call *call, const char *code,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	call_finish(call, call->conn ?
	    cg_control_reply_error(call->id, code, msg) : NULL);
}

int
cg_control_call_orphaned(const struct cg_control_call *call)
{
	return call->conn == NULL;
}

unsigned
cg_control_call_uid(const struct cg_control_call *call)
{
	return call->uid;
}

int
cg_control_post(struct cg_control_call *call, struct cg_pool *pool,
    cg_work_fn work, cg_done_fn done, void *arg)
{
	int rc = cg_pool_post(pool, work, done, arg);

	if (rc < 0)
		cg_control_fail(call, "busy", rc == -EAGAIN ?
		    "the worker queue is full; retry shortly" :
		    "the daemon is shutting down");
	return rc;
}

static void
dispatch(struct cg_control_conn *c, const char *line, size_t len)
{
	struct cg_control *ctl = c->ctl;
	struct cg_control_request req;
	struct cg_control_error err;
	struct cg_control_call *call;
	struct cg_command *cmd;
	long idx;

	if (cg_control_parse(line, len, &req, &err) < 0) {
		conn_error(c, req.id, err.code, err.message);
		cg_control_request_clear(&req);
		return;
	}
	idx = cg_control_resolve(ctl->specs, ctl->ncmds, &req, &err);
	if (idx < 0) {
		conn_error(c, req.id, err.code, err.message);
		cg_control_request_clear(&req);
		return;
	}
	cmd = &ctl->cmds[idx];
	if ((cmd->flags & CG_CONTROL_F_OWNER) && !c->owner) {
		conn_error(c, req.id, "permission_denied",
		    "this command is reserved to root and the daemon's user");
		cg_control_request_clear(&req);
		return;
	}
	call = calloc(1, sizeof(*call));
	if (!call) {
		conn_error(c, req.id, "internal", "out of memory");
		cg_control_request_clear(&req);
		return;
	}
	call->ctl = ctl;
	call->conn = c;
	call->uid = c->uid;
	call->owner = c->owner;
	call->id = req.id ? json_incref(req.id) : NULL;
	ctl->ncalls++;
	c->call = call;
	cmd->fn(call, req.args, cmd->ud);
	cg_control_request_clear(&req);
}

/* Answers the complete lines buffered, one at a time: while a call runs
 * the connection does not read (replies stay in order). */
static void
read_loop(struct cg_control_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr eol;
	size_t len;
	char *line;

	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	c->in_loop = 1;
	while (!c->call && !c->closing) {
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > CG_CONTROL_MAX_LINE) {
				conn_error(c, NULL, "line_too_long",
				    "request line longer than 65536 bytes");
				c->closing = 1;
			}
			break;
		}
		len = (size_t)eol.pos;
		if (len > CG_CONTROL_MAX_LINE) {
			evbuffer_drain(in, len + 1);
			conn_error(c, NULL, "line_too_long",
			    "request line longer than 65536 bytes");
			continue;
		}
		line = malloc(len + 1);
		if (!line) {
			c->closing = 1;
			break;
		}
		evbuffer_remove(in, line, len);
		evbuffer_drain(in, 1);
		line[len] = '\0';
		dispatch(c, line, len);
		free(line);
	}
	c->in_loop = 0;
	/* Reading goes on while a call runs, to notice a client that leaves;
	 * the watermark bounds what it may queue meanwhile. */
	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	}
}

void
cg_control_free(struct cg_control *ctl)
{
	if (!ctl)
		return;
	cg_control_stop_accepting(ctl);
	ctl->nconns++;	/* hold ctl while its connections go */
	while (ctl->conns)
		conn_free(ctl->conns);
	ctl->nconns--;
	/* Orphaned calls keep ctl alive until their reply. */
	ctl->freed = 1;
	ctl_release(ctl);
}

/* ---- registration ---- */

int
cg_control_register(struct cg_control *ctl, const char *spec,
    cg_control_fn fn, void *ud, unsigned flags)
{
	struct cg_control_spec s;

	if (ctl->ncmds == CG_CONTROL_MAX_COMMANDS ||
	    cg_control_spec_parse(spec, &s) < 0)
		return -EINVAL;
	for (size_t i = 0; i < ctl->ncmds; i++) {
		const struct cg_control_spec *o = &ctl->specs[i];
		int same = o->nwords == s.nwords;
		for (size_t w = 0; same && w < s.nwords; w++)
			same = strcmp(o->words[w], s.words[w]) == 0;
		if (same) {
			cg_control_spec_clear(&s);
			return -EEXIST;
		}
	}
	ctl->specs[ctl->ncmds] = s;
	ctl->cmds[ctl->ncmds].fn = fn;
	ctl->cmds[ctl->ncmds].ud = ud;
	ctl->cmds[ctl->ncmds].flags = flags;
	ctl->ncmds++;
	return 0;
}

int
cg_control_add_status(struct cg_control *ctl, const char *key,
    cg_control_section_fn fn, void *ud)
{
	struct cg_section *s;

	if (ctl->nsections == CG_CONTROL_MAX_SECTIONS)
		return -ENOSPC;
	s = &ctl->sections[ctl->nsections++];
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->fn = fn;
	s->ud = ud;
	return 0;
}

void
cg_control_set_plugins_provider(struct cg_control *ctl,
    cg_control_section_fn fn, void *ud)
{
	ctl->plugins_fn = fn;
	ctl->plugins_ud = ud;
}

void
cg_control_set_reload_provider(struct cg_control *ctl,
    cg_control_reload_fn fn, void *ud)
{
	ctl->reload_fn = fn;
	ctl->reload_ud = ud;
}

/* ---- built-in commands ---- */

static void
cmd_ping(struct cg_control_call *call, json_t *args, void *ud)
{
	(void)args;
	(void)ud;
	cg_control_reply(call, json_pack("{s:b, s:I}", "pong", 1, "time_ms",
	    (json_int_t)cg_now_ms()));
}

static void
cmd_help(struct cg_control_call *call, json_t *args, void *ud)
{
	struct cg_control *ctl = ud;
	json_t *arr = json_array();
	char usage[256];

	(void)args;
	for (size_t i = 0; i < ctl->ncmds; i++) {
		cg_control_spec_format(&ctl->specs[i], usage, sizeof(usage));
		json_array_append_new(arr, json_pack("{s:s, s:b}", "usage", usage,
		    "owner_only", (ctl->cmds[i].flags & CG_CONTROL_F_OWNER) != 0));
	}
	cg_control_reply(call, json_pack("{s:o}", "commands", arr));
}

static json_t *
plugins_json(struct cg_control *ctl)
{
	json_t *p = ctl->plugins_fn ? ctl->plugins_fn(ctl->plugins_ud) : NULL;

	return p ? p : json_array();
}

static void
pool_json(struct cg_pool *pool, void *ud)
{
	struct cg_pool_stats st;

	cg_pool_get_stats(pool, &st);
	json_array_append_new(ud, json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, "
	    "s:I}", "name", st.name, "threads", st.threads,
	    "queued", (json_int_t)st.queued, "running", (json_int_t)st.running,
	    "completed", (json_int_t)st.completed,
	    "rejected", (json_int_t)st.rejected,
	    "max_queue", (json_int_t)st.max_queue));
}

static void
cmd_status(struct cg_control_call *call, json_t *args, void *ud)
{
	struct cg_control *ctl = ud;
	json_t *o, *pools = json_array(), *v;

	(void)args;
	cg_metrics_each_pool(pool_json, pools);
	o = json_pack("{s:s, s:i, s:I, s:s, s:o, s:o}", "version", CG_VERSION,
	    "pid", (int)getpid(),
	    "uptime_s", (json_int_t)((cg_mono_ms() - ctl->started_ms) / 1000),
	    "log_level", cg_log_level_name(cg_log_get_level()),
	    "plugins", plugins_json(ctl), "pools", pools);
	for (size_t i = 0; o && i < ctl->nsections; i++) {
		v = ctl->sections[i].fn(ctl->sections[i].ud);
		if (v)
			json_object_set_new(o, ctl->sections[i].key, v);
	}
	if (!o) {
		cg_control_fail(call, "internal", "out of memory");
		return;
	}
	cg_control_reply(call, o);
}

static void
cmd_plugins(struct cg_control_call *call, json_t *args, void *ud)
{
	(void)args;
	cg_control_reply(call, json_pack("{s:o}", "plugins", plugins_json(ud)));
}

static void
cmd_reload(struct cg_control_call *call, json_t *args, void *ud)
{
	struct cg_control *ctl = ud;

	(void)args;
	if (!ctl->reload_fn) {
		cg_control_fail(call, "unsupported",
		    "this daemon cannot reload its configuration");
		return;
	}
	ctl->reload_fn(ctl->reload_ud, call);
}

static void
cmd_log_level(struct cg_control_call *call, json_t *args, void *ud)
{
	json_t *v = json_object_get(args, "level");
	int old = cg_log_get_level(), lvl;

	(void)ud;
	if (!v) {
		cg_control_reply(call, json_pack("{s:s}", "level",
		    cg_log_level_name(old)));
		return;
	}
	if (!call->owner) {
		cg_control_fail(call, "permission_denied",
		    "changing the log level is reserved to root and the "
		    "daemon's user");
		return;
	}
	if (!json_is_string(v) ||
	    (lvl = cg_log_level_parse(json_string_value(v))) < 0) {
		cg_control_fail(call, "bad_argument",
		    "level must be one of error, warn, info, debug");
		return;
	}
	cg_log_set_level(lvl);
	cg_info("control", "log level set level=%s previous=%s uid=%u",
	    cg_log_level_name(lvl), cg_log_level_name(old),
	    cg_control_call_uid(call));
	cg_control_reply(call, json_pack("{s:s, s:s}", "level",
	    cg_log_level_name(lvl), "previous", cg_log_level_name(old)));
}

static void
builtin_commands(struct cg_control *ctl)
{
	cg_control_register(ctl, "ping", cmd_ping, ctl, 0);
	cg_control_register(ctl, "help", cmd_help, ctl, 0);
	cg_control_register(ctl, "status", cmd_status, ctl, 0);
	cg_control_register(ctl, "plugins", cmd_plugins, ctl, 0);
	cg_control_register(ctl, "reload", cmd_reload, ctl, CG_CONTROL_F_OWNER);
	cg_control_register(ctl, "log-level [level]", cmd_log_level, ctl, 0);
}
