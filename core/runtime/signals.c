#include "runtime/signals.h"

#include <signal.h>
#include <stdlib.h>

#include <event2/event.h>

struct cg_signals {
	struct cg_signal_handlers h;
	struct event *term, *intr, *hup;
};

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct cg_signals *s = arg;

	(void)what;
	if (s->h.stop)
		s->h.stop((int)sig, s->h.ud);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct cg_signals *s = arg;

	(void)sig;
	(void)what;
	if (s->h.reload)
		s->h.reload(s->h.ud);
}

struct cg_signals *
cg_signals_install(struct event_base *base, const struct cg_signal_handlers *h)
{
	struct cg_signals *s;

	signal(SIGPIPE, SIG_IGN);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->h = *h;
	s->term = evsignal_new(base, SIGTERM, on_stop, s);
	s->intr = evsignal_new(base, SIGINT, on_stop, s);
	s->hup = evsignal_new(base, SIGHUP, on_hup, s);
	if (!s->term || !s->intr || !s->hup || evsignal_add(s->term, NULL) ||
	    evsignal_add(s->intr, NULL) || evsignal_add(s->hup, NULL)) {
		cg_signals_free(s);
		return NULL;
	}
	return s;
}

void
cg_signals_free(struct cg_signals *s)
{
	if (!s)
		return;
	if (s->term)
		event_free(s->term);
	if (s->intr)
		event_free(s->intr);
	if (s->hup)
		event_free(s->hup);
	free(s);
}
