/*
 * The control socket: a UNIX stream socket that admins drive with cgctl.
 * One JSON request per line, one JSON reply per line (control/proto.h).
 *
 * Access: the socket file's mode (default 0660) and the peer's credentials
 * (SO_PEERCRED): root, the daemon's own user, or members of the configured
 * group. Others get one error reply and are disconnected.
 *
 * Commands are registered with a usage spec (see proto.h) and a handler.
 * A handler answers exactly once with cg_control_reply() or
 * cg_control_fail(), at once or later from a pool completion
 * (cg_control_post). If the client disconnects first, the reply is
 * dropped and the call freed; the call stays valid until then.
 * Requests on one connection are answered in order, one at a time.
 *
 * Built-in commands: ping, help, status, plugins, reload, log-level [level].
 * status, plugins and reload ask the providers the daemon registers.
 * Everything here runs on the loop thread.
 */
#ifndef CG_CONTROL_CONTROL_H
#define CG_CONTROL_CONTROL_H

#include <stddef.h>

#include <jansson.h>

#include "runtime/pool.h"

struct event_base;
struct cg_control;
struct cg_control_call;

struct cg_control_opts {
	const char *path;	/* socket path (< 108 bytes) */
	unsigned mode;		/* file mode; 0: 0660 */
	long group;		/* allowed group id, -1: none */
	int read_timeout_s;	/* a request line must arrive within; 0: 10 */
	size_t max_connections;	/* 0: 64 */
};

/* Handlers get the named arguments (positional ones already folded in);
 * args is borrowed for the call. */
typedef void (*cg_control_fn)(struct cg_control_call *call, json_t *args,
    void *ud);

/* Commands that change the daemon: refused to group members, allowed to
 * root and the daemon's own user only. */
#define CG_CONTROL_F_OWNER 0x1

struct cg_control *cg_control_create(struct event_base *base,
    const struct cg_control_opts *opts);
/* Creates the socket (replacing a stale one; refusing when a live daemon
 * answers on it) and starts accepting. */
int cg_control_start(struct cg_control *ctl);
/* Closes the listener and removes the socket file; open connections stay. */
void cg_control_stop_accepting(struct cg_control *ctl);
/* Closes everything; calls still running become orphans. */
void cg_control_free(struct cg_control *ctl);

/* spec: "words <required> [optional]", e.g. "db status",
 * "scan rescan <network> <height>". Returns 0, -EEXIST, -EINVAL. */
int cg_control_register(struct cg_control *ctl, const char *spec,
    cg_control_fn fn, void *ud, unsigned flags);

/* Providers (all optional). A section function returns a new reference
 * (or NULL to omit the section); status shows each under its key. */
typedef json_t *(*cg_control_section_fn)(void *ud);
int cg_control_add_status(struct cg_control *ctl, const char *key,
    cg_control_section_fn fn, void *ud);
/* plugins: returns the array `plugins` and `status` show; default []. */
void cg_control_set_plugins_provider(struct cg_control *ctl,
    cg_control_section_fn fn, void *ud);
/* reload: the provider answers the call itself (at once or from a pool
 * completion, since applying plugin settings may do network I/O), with
 * cg_control_reply or cg_control_fail(call, "reload_failed", …).
 * Default: error "unsupported". */
typedef void (*cg_control_reload_fn)(void *ud, struct cg_control_call *call);
void cg_control_set_reload_provider(struct cg_control *ctl,
    cg_control_reload_fn fn, void *ud);

/* Replies (exactly once per call; the call is freed). reply takes the
 * reference to result (NULL: null). */
void cg_control_reply(struct cg_control_call *call, json_t *result);
void cg_control_fail(struct cg_control_call *call, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cg_control_call_orphaned(const struct cg_control_call *call);
/* The caller's uid (for audit logs). */
unsigned cg_control_call_uid(const struct cg_control_call *call);

/* Posts work for a call; on a full or stopping pool fails the call with
 * code "busy" and returns the negative errno (the caller frees arg). */
int cg_control_post(struct cg_control_call *call, struct cg_pool *pool,
    cg_work_fn work, cg_done_fn done, void *arg);

#endif
