/*
 * The audit trail: one append-only audit_logs row per change, login,
 * logout and key operation, written inside the transaction of the change
 * it records (so a rolled-back change leaves no entry).
 */
#include "api/api.h"

#include <stdlib.h>

#include "db/db.h"
#include "http/server.h"
#include "util/clock.h"

static const char *
nz(const char *s)
{
	return s && *s ? s : NULL;
}

int
cg_audit(struct cg_db *db, const struct cg_audit_actor *a,
    const char *merchant_id, const char *action, const char *entity_type,
    const char *entity_id, const json_t *before, const json_t *after)
{
	char id[CG_ID_SIZE];
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) :
	    NULL;
	char *n = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) :
	    NULL;
	int64_t rc = -1;

	if ((before && !b) || (after && !n) || cg_id_new(id) != 0)
		goto out;
	rc = cg_db_run(db, "INSERT INTO audit_logs (id, user_id, merchant_id, "
	    "api_key_id, actor_type, action, entity_type, entity_id, "
	    "old_values, new_values, ip_address, user_agent, endpoint, "
	    "http_method, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssssssssssssst", id,
	    nz(a->user_id), nz(merchant_id), nz(a->api_key_id), a->actor_type,
	    action, entity_type, nz(entity_id), b, n, nz(a->ip),
	    nz(a->user_agent), nz(a->endpoint), nz(a->http_method),
	    nz(a->request_id), cg_now_ms());
out:
	free(b);
	free(n);
	return rc == 1 ? 0 : CG_DB_ERR;
}

int
cg_api_audit(struct cg_db *db, const struct cg_api_call *call,
    const char *merchant_id, const char *action, const char *entity_type,
    const char *entity_id, const json_t *before, const json_t *after)
{
	const struct cg_api_auth *au = cg_api_auth(call);
	struct cg_audit_actor a = {
		.actor_type = au->kind == CG_AUTH_API_KEY ? "API_KEY" :
		    au->kind == CG_AUTH_SESSION ? "USER" : "SYSTEM",
		.user_id = au->user_id,
		.api_key_id = au->key_id,
		.ip = cg_api_ip(call),
		.user_agent = cg_api_user_agent(call),
		.endpoint = cg_api_path(call),
		.http_method = cg_api_method(call),
		.request_id = cg_api_request_id(call),
	};

	return cg_audit(db, &a, merchant_id, action, entity_type, entity_id,
	    before, after);
}

int
cg_api_audit_reply(struct cg_db *db, struct cg_api_call *call,
    const char *merchant_id, const char *action, const char *entity_type,
    const char *entity_id, json_t *before, json_t *after, int status)
{
	int rc = cg_api_audit(db, call, merchant_id, action, entity_type,
	    entity_id, before, after);

	json_decref(before);
	if (rc != 0) {
		json_decref(after);
		return CG_DB_ERR;
	}
	cg_api_set_json(call, status, after);
	return 0;
}
