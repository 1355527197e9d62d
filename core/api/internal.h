/*
 * Shared by the API's own files (api.c and the resource handlers in
 * core/api/): the module state. Handlers of other modules use api.h only.
 */
#ifndef CG_API_INTERNAL_H
#define CG_API_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "api/api.h"

struct event;
struct api_route;
struct bucket;
struct usage;
struct key_use;
struct login_fail;

#define CG_API_USAGE_BUCKETS 512

struct cg_api {
	struct cg_daemon *d;
	struct api_route *routes;
	struct event *flush_timer;
	int64_t pruned_ms;	/* monotonic time of the last retention run */

	/* API key lookups reused for auth_cache_ms (api.c), by workers;
	 * an entry made before the last flush (older generation) is dead */
	pthread_mutex_t kc_lock;
	uint64_t kc_gen;
	int64_t kc_ttl_ms;
	struct key_cached *kc[256];

	/* token buckets, touched by workers */
	pthread_mutex_t rl_lock;
	struct bucket *rl[1024];

	/* loop only: aggregated until the next flush (lists and indexes) */
	struct usage *usage;
	struct key_use *keys;
	struct usage *usage_idx[CG_API_USAGE_BUCKETS];
	struct key_use *keys_idx[CG_API_USAGE_BUCKETS];

	/* failed logins per client address (auth.c) */
	pthread_mutex_t login_lock;
	struct login_fail *login_fails;
};

/* Forgets every cached API key lookup: after a change through this
 * daemon that can end a key (revocation, suspension, allow-list). Any. */
void cg_api_auth_cache_flush(struct cg_api *api);

/* Registers every route of the API's own resources (routes.c). */
int cg_api_register_routes(struct cg_api *api);
/* Posts the usage statistics gathered so far to the SQL pool. Loop. */
void cg_api_flush_usage(struct cg_api *api);
/* Frees the failed-login table (auth.c). */
void cg_api_login_free(struct cg_api *api);

#endif
