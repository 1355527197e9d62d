/*
 * The sd_notify protocol, spoken directly (a datagram to $NOTIFY_SOCKET) so
 * the daemon needs no libsystemd. Without NOTIFY_SOCKET it does nothing.
 */
#ifndef CG_RUNTIME_NOTIFY_H
#define CG_RUNTIME_NOTIFY_H

/* Sends a state string such as "READY=1" or "STATUS=…". Returns 0 when sent
 * or when there is nobody to tell, -errno on failure. */
int cg_notify(const char *state);

#endif
