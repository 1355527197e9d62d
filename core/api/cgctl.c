/*
 * Control commands for API keys, so an operator can give a merchant its
 * first key (or cut one off) from the host without a web login:
 *
 *	cgctl api keys create <merchant> <name>   prints the key once
 *	cgctl api keys list <merchant>
 *	cgctl api keys revoke <id>
 *
 * Audited with actor CONTROL and the caller's uid.
 */
#include "api/internal.h"
#include "api/resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/control.h"
#include "db/db.h"
#include "runtime/daemon.h"
#include "runtime/sqlpool.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"
#include "util/token.h"

struct keycmd {
	struct cg_control_call *ctl;
	struct cg_api *api;
	int op;				/* 0 create, 1 list, 2 revoke */
	char merchant[CG_ID_SIZE];
	char name[101];
	char id[CG_ID_SIZE];
	char token[CG_TOKEN_MAX_LEN + 1];
	struct cg_token info;
	char agent[48];
	json_t *result;
	int rc;			/* 0, 404, or CG_DB_ERR */
	char err[256];
};

static struct cg_audit_actor
control_actor(struct keycmd *k, const char *cmd)
{
	struct cg_audit_actor a = {
		.actor_type = "CONTROL", .user_agent = k->agent,
		.endpoint = cmd,
	};
	return a;
}

static int
create_tx(struct cg_db *db, void *arg)
{
	struct keycmd *k = arg;
	int64_t now = cg_now_ms();
	struct cg_audit_actor a = control_actor(k, "api keys create");
	char iso[32];
	json_t *shown;
	int64_t live;
	int rc;

	rc = cg_db_query_i64(db, &live, "SELECT COUNT(*) FROM merchants WHERE "
	    "id = ? AND deleted_at IS NULL FOR UPDATE", "s", k->merchant);
	if (rc < 0)
		return CG_DB_ERR;
	if (live == 0)
		return 404;
	if (cg_api_key_insert(db, k->id, k->merchant, k->name, &k->info, NULL,
	    now) != 0)
		return CG_DB_ERR;
	cg_time_format_iso(now, iso);
	shown = json_pack("{s:s, s:s, s:s, s:s}", "id", k->id, "name", k->name,
	    "prefix", k->info.prefix, "created_at", iso);
	if (cg_audit(db, &a, k->merchant, "CREATE", "api_key", k->id, NULL,
	    shown) != 0) {
		json_decref(shown);
		return CG_DB_ERR;
	}
	json_object_set_new(shown, "key", json_string(k->token));
	json_decref(k->result);
	k->result = shown;
	return 0;
}

static int
revoke_tx(struct cg_db *db, void *arg)
{
	struct keycmd *k = arg;
	int64_t now = cg_now_ms(), n;
	struct cg_audit_actor a = control_actor(k, "api keys revoke");
	char mid[CG_ID_SIZE], iso[32];
	json_t *after;
	int rc;

	rc = cg_db_query_str(db, mid, sizeof(mid), "SELECT merchant_id FROM "
	    "api_keys WHERE id = ? AND deleted_at IS NULL FOR UPDATE", "s",
	    k->id);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0)
		return 404;
	n = cg_db_run(db, "UPDATE api_keys SET revoked_at = IFNULL(revoked_at, "
	    "?), deleted_at = ?, updated_at = ? WHERE id = ?", "ttts", now, now,
	    now, k->id);
	if (n != 1)
		return CG_DB_ERR;
	cg_time_format_iso(now, iso);
	after = json_pack("{s:s}", "revoked_at", iso);
	rc = cg_audit(db, &a, mid, "REVOKE", "api_key", k->id, NULL, after);
	json_object_set_new(after, "id", json_string(k->id));
	json_decref(k->result);
	k->result = after;
	return rc;
}

static void
list_keys(struct keycmd *k, struct cg_db *db)
{
	struct cg_stmt *st = cg_db_query(db, "SELECT id, name, prefix, "
	    "created_at, last_used_at, usage_count, revoked_at FROM api_keys "
	    "WHERE merchant_id = ? AND deleted_at IS NULL ORDER BY created_at "
	    "DESC LIMIT 1000", "s", k->merchant);
	json_t *a = json_array();
	int rc;

	if (!st) {
		json_decref(a);
		k->rc = CG_DB_ERR;
		return;
	}
	while ((rc = cg_stmt_fetch(st)) == 1) {
		int64_t n = 0;

		cg_stmt_i64(st, 5, &n);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:o, "
		    "s:I, s:o}", "id", cg_stmt_str(st, 0), "name",
		    cg_stmt_str(st, 1), "prefix", cg_stmt_str(st, 2),
		    "created_at", cg_api_time_json(cg_stmt_str(st, 3)),
		    "last_used_at", cg_api_time_json(cg_stmt_str(st, 4)),
		    "usage_count", (json_int_t)n, "revoked_at",
		    cg_api_time_json(cg_stmt_str(st, 6))));
	}
	cg_stmt_close(st);
	k->rc = rc < 0 ? CG_DB_ERR : 0;
	k->result = json_pack("{s:o}", "keys", a);
}

static void
keycmd_work(void *arg, void *thread_ctx)
{
	struct keycmd *k = arg;
	struct cg_db *db = cg_sqlpool_db(thread_ctx);

	if (!db) {
		k->rc = CG_DB_ERR;
		snprintf(k->err, sizeof(k->err), "database unreachable");
		return;
	}
	if (k->op == 1)
		list_keys(k, db);
	else
		k->rc = cg_db_tx(db, k->op == 0 ? create_tx : revoke_tx, k);
	if (k->rc == CG_DB_ERR && !k->err[0])
		snprintf(k->err, sizeof(k->err), "%s", cg_db_error(db));
}

static void
keycmd_done(void *arg)
{
	struct keycmd *k = arg;

	if (k->rc == 404)
		cg_control_fail(k->ctl, "not_found", "no live %s with this id",
		    k->op == 2 ? "API key" : "merchant");
	else if (k->rc != 0)
		cg_control_fail(k->ctl, "database", "%s", k->err);
	else {
		if (k->op == 2)
			cg_api_auth_cache_flush(k->api);
		cg_control_reply(k->ctl, k->result);
		k->result = NULL;
	}
	json_decref(k->result);
	cg_wipe(k->token, sizeof(k->token));
	free(k);
}

static void
keycmd(struct cg_control_call *ctl, json_t *args, void *ud, int op)
{
	struct cg_api *api = ud;
	struct keycmd *k = calloc(1, sizeof(*k));
	const char *m = json_string_value(json_object_get(args, "merchant"));
	const char *n = json_string_value(json_object_get(args, "name"));
	const char *id = json_string_value(json_object_get(args, "id"));

	if (!k) {
		cg_control_fail(ctl, "internal", "out of memory");
		return;
	}
	k->ctl = ctl;
	k->api = api;
	k->op = op;
	snprintf(k->agent, sizeof(k->agent), "cgctl uid=%u",
	    cg_control_call_uid(ctl));
	if ((op != 2 && (!m || !cg_id_valid(m))) || (op == 2 && (!id ||
	    !cg_id_valid(id))) || (op == 0 && (!n || !*n || strlen(n) > 100))) {
		free(k);
		cg_control_fail(ctl, "bad_argument", "%s", op == 2 ?
		    "give a key id" : op == 0 ? "give a merchant id and a name "
		    "(1..100 characters)" : "give a merchant id");
		return;
	}
	if (m)
		cg_strlcpy(k->merchant, m, sizeof(k->merchant));
	if (n)
		cg_strlcpy(k->name, n, sizeof(k->name));
	if (id)
		cg_strlcpy(k->id, id, sizeof(k->id));
	if (op == 0 && (cg_token_generate(CG_TOKEN_KIND_API_KEY, k->token,
	    sizeof(k->token), &k->info) < 0 || cg_id_new(k->id) != 0)) {
		free(k);
		cg_control_fail(ctl, "internal", "no randomness");
		return;
	}
	if (cg_control_post(ctl, api->d->api_pool, keycmd_work, keycmd_done,
	    k) != 0)
		free(k);
}

static void
cmd_create(struct cg_control_call *c, json_t *a, void *ud)
{
	keycmd(c, a, ud, 0);
}

static void
cmd_list(struct cg_control_call *c, json_t *a, void *ud)
{
	keycmd(c, a, ud, 1);
}

static void
cmd_revoke(struct cg_control_call *c, json_t *a, void *ud)
{
	keycmd(c, a, ud, 2);
}

int
cg_api_control_register(struct cg_api *api)
{
	struct cg_control *ctl = api->d->control;

	if (cg_control_register(ctl, "api keys create <merchant> <name>",
	    cmd_create, api, CG_CONTROL_F_OWNER) != 0 ||
	    cg_control_register(ctl, "api keys list <merchant>", cmd_list, api,
	    0) != 0 ||
	    cg_control_register(ctl, "api keys revoke <id>", cmd_revoke, api,
	    CG_CONTROL_F_OWNER) != 0)
		return -1;
	return 0;
}
