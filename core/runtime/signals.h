/*
 * Signal handling on the loop: SIGTERM/SIGINT start a graceful stop, SIGHUP a
 * reload, SIGPIPE is ignored (peers that vanish are handled by write errors).
 */
#ifndef CG_RUNTIME_SIGNALS_H
#define CG_RUNTIME_SIGNALS_H

struct event_base;
struct cg_signals;

struct cg_signal_handlers {
	void (*stop)(int signo, void *ud);
	void (*reload)(void *ud);
	void *ud;
};

struct cg_signals *cg_signals_install(struct event_base *base,
    const struct cg_signal_handlers *h);
void cg_signals_free(struct cg_signals *s);

#endif
