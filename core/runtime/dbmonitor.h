/*
 * Watches the database from a thread of its own: a ping every second while
 * the server is away (so the daemon serves again within seconds of its
 * return), every few seconds while it is up, and a schema check on each
 * (re)connection. The API and /readyz read the state without blocking.
 */
#ifndef CG_RUNTIME_DBMONITOR_H
#define CG_RUNTIME_DBMONITOR_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct cg_db_params;
struct cg_dbmon;

struct cg_dbmon_state {
	int up;                 /* reachable at the last check */
	int schema_ok;          /* schema at least what this build needs */
	int64_t last_ok_ms;     /* cg_now_ms() of the last good check */
	int64_t changed_ms;     /* when up last changed */
	uint64_t failures;      /* failed checks since start */
	char message[320];      /* why not ready, "" when ready */
};

struct cg_dbmon *cg_dbmon_start(struct event_base *base,
    const struct cg_db_params *params, int required_schema);
/* Loop thread. */
void cg_dbmon_get(struct cg_dbmon *m, struct cg_dbmon_state *out);
/* 1 when requests may use the database now. Any thread. */
int cg_dbmon_ready(struct cg_dbmon *m);
void cg_dbmon_stop(struct cg_dbmon *m);

#endif
