/*
 * The merchant API of webhooks: deliveries (list, show, redeliver), test
 * events, signing-secret rotation. The dispatcher module registers these
 * routes (webhooks/dispatch.c) once the API framework is up.
 */
#ifndef CG_API_WEBHOOKS_H
#define CG_API_WEBHOOKS_H

struct cg_api;
struct cg_webhooks;

/* Loop, before the daemon serves. 0 or a negative errno. */
int cg_api_webhooks_routes(struct cg_api *api, struct cg_webhooks *w);

#endif
