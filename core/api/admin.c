/*
 * Administration: merchants and users across the installation, and the
 * audit log. OPERATOR sessions read, ADMIN sessions change (route flags in
 * routes.c). Every change is audited with its before and after values.
 */
#include "api/internal.h"
#include "api/resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "db/db.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"

static const char *const roles[] = { "ADMIN", "MERCHANT", "OPERATOR",
    NULL };
static const char *const verification[] = { "PENDING", "VERIFIED",
    "REJECTED", "SUSPENDED", NULL };

static const struct cg_api_col user_cols[] = {
	{ "id", CG_COL_STR }, { "email", CG_COL_STR }, { "name", CG_COL_STR },
	{ "role", CG_COL_STR }, { "is_active", CG_COL_BOOL },
	{ "email_verified_at", CG_COL_TIME },
	{ "failed_login_count", CG_COL_INT }, { "locked_until", CG_COL_TIME },
	{ "last_login_at", CG_COL_TIME }, { "last_login_ip", CG_COL_STR },
	{ "created_at", CG_COL_TIME }, { "updated_at", CG_COL_TIME },
	{ "deleted_at", CG_COL_TIME },
	{ NULL, 0 }
};

/* What an admin may change about a merchant beyond the merchant's own
 * fields. */
static const struct cg_api_field merchant_admin_fields[] = {
	{ "is_active", CG_F_BOOL, 0, 0, 0, NULL },
	{ "verification_status", CG_F_ENUM, 0, 0, 0, verification },
	{ "rate_limit_per_minute", CG_F_INT, 0, 1, 1000000, NULL },
	{ "rate_limit_burst", CG_F_INT, 0, 1, 1000000, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct cg_api_field user_fields[] = {
	{ "name", CG_F_STR, CG_VLD_NULLABLE, 1, 200, NULL },
	{ "role", CG_F_ENUM, 0, 0, 0, roles },
	{ "is_active", CG_F_BOOL, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static int
id_param_ok(struct cg_api_call *call, const char *what)
{
	if (cg_id_valid(cg_api_param(call, "id")))
		return 1;
	cg_api_reply_problem(call, 404, "No %s with this id.", what);
	return 0;
}

/* ---- a generic paginated list of one table ------------------------------- */

static void
list_rows(struct cg_api_call *call, struct cg_db *db, const char *table,
    const struct cg_api_col *cols, unsigned created_col, const char *where,
    const char *types, const char *a1, const char *a2)
{
	struct cg_api_page pg;
	char cl[1024], sql[2048], ty[16];
	struct cg_stmt *st;

	if (cg_api_page_parse(call, &pg) != 0)
		return;
	cg_api_cols_sql(cols, "", cl, sizeof(cl));
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE %s AND "
	    CG_API_PAGE_SQL " ORDER BY created_at DESC, id DESC LIMIT %d", cl,
	    table, where, pg.limit + 1);
	snprintf(ty, sizeof(ty), "%s" CG_API_PAGE_TYPES, types);
	if (strlen(types) == 2)
		st = cg_db_query(db, sql, ty, a1, a2, CG_API_PAGE_ARGS(&pg));
	else
		st = cg_db_query(db, sql, ty, CG_API_PAGE_ARGS(&pg));
	cg_api_page_answer(call, db, &pg, st, created_col, cg_api_cols_row, cols);
}

static unsigned
col_index(const struct cg_api_col *cols, const char *name)
{
	unsigned i;

	for (i = 0; cols[i].name; i++)
		if (strcmp(cols[i].name, name) == 0)
			break;
	return i;
}

/* ---- merchants ----------------------------------------------------------- */

void
cg_api_admin_merchants_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *vs = cg_api_query(call, "verification_status");

	list_rows(call, db, "merchants", cg_api_merchant_cols,
	    col_index(cg_api_merchant_cols, "created_at"),
	    "deleted_at IS NULL AND (? = '' OR verification_status = ?)", "ss",
	    vs ? vs : "", vs ? vs : "");
}


void
cg_api_admin_merchants_get_sql(struct cg_api_call *call, struct cg_db *db)
{
	int dberr;
	json_t *m;

	if (!cg_id_valid(cg_api_param(call, "id"))) {
		cg_api_set_not_found(call, "merchant");
		return;
	}
	m = cg_api_merchant_load(call, db, cg_api_param(call, "id"), 0,
	    &dberr);

	if (m)
		cg_api_set_json(call, 200, m);
	else if (!dberr)
		cg_api_set_not_found(call, "merchant");
}


static int
merchant_admin_extra(struct cg_api_call *call, struct cg_vld *v,
    json_t *changes)
{
	(void)call;
	cg_api_fields_parse(v, merchant_admin_fields, changes);
	return 0;
}

static void
merchants_patch_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_merchant_patch_sql(call, db, cg_api_param(call, "id"));
}

void
cg_api_admin_merchants_patch(struct cg_api_call *call)
{
	if (!id_param_ok(call, "merchant"))
		return;
	if (cg_api_patch_begin(call, cg_api_merchant_fields,
	    merchant_admin_extra) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_api_sql(call, merchants_patch_sql, NULL);
}

struct merchant_new {
	char id[CG_ID_SIZE];
	char user_id[CG_ID_SIZE];
	json_t *changes;
};

static void
merchant_new_free(void *p)
{
	struct merchant_new *m = p;

	json_decref(m->changes);
	free(m);
}

static int
merchant_create_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct merchant_new *m = cg_api_state(call);
	int64_t now = cg_now_ms();
	char sid[CG_ID_SIZE], role[16];
	json_t *after;
	int dberr, rc;

	rc = cg_db_query_str(db, role, sizeof(role), "SELECT role FROM users "
	    "WHERE id = ? AND deleted_at IS NULL FOR UPDATE", "s", m->user_id);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0)
		return 404;
	if (strcmp(role, "MERCHANT") != 0)
		return 422;
	if (cg_db_run(db, "INSERT INTO merchants (id, user_id, business_name, "
	    "created_at, updated_at) VALUES (?, ?, ?, ?, ?)", "ssstt",
	    m->id, m->user_id, json_string_value(json_object_get(m->changes,
	    "business_name")), now, now) != 1)
		return cg_db_err_duplicate(cg_db_errno(db)) ? 409 : CG_DB_ERR;
	if (cg_id_new(sid) != 0 || cg_db_run(db, "INSERT INTO "
	    "merchant_settings (id, merchant_id, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?)", "sstt", sid, m->id, now, now) != 1)
		return CG_DB_ERR;
	if (cg_api_fields_apply(db, "merchants", "id", m->id, 1, m->changes,
	    now) < 0)
		return CG_DB_ERR;
	after = cg_api_merchant_load(call, db, m->id, 0, &dberr);
	if (!after || cg_api_audit_reply(db, call, m->id, "CREATE", "merchant",
	    m->id, NULL, after, 201) != 0)
		return CG_DB_ERR;
	return cg_api_idem_save(db, call, "merchant", m->id);
}

static void
merchant_create_sql(struct cg_api_call *call, struct cg_db *db)
{
	int rc = cg_db_tx(db, merchant_create_tx, call);

	if (rc == 404)
		cg_api_set_problem(call, 422, "user_id: no such user.");
	else if (rc == 422)
		cg_api_set_problem(call, 422, "user_id: the user's role must "
		    "be MERCHANT.");
	else if (rc == 409)
		cg_api_set_problem(call, 409, "This user already has a "
		    "merchant.");
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

void
cg_api_admin_merchants_create(struct cg_api_call *call)
{
	struct merchant_new *m = calloc(1, sizeof(*m));
	struct cg_vld v;
	const char *uid = NULL, *bn = NULL;

	if (!m || !(m->changes = json_object()) || cg_id_new(m->id) != 0) {
		free(m);
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_set_state(call, m, merchant_new_free);
	if (cg_api_parse_body(call, &v, false) != 0) {
		cg_api_finish(call);
		return;
	}
	if (cg_vld_str(&v, "user_id", CG_VLD_REQUIRED, 25, 25, &uid) ==
	    CG_VLD_SET && !cg_id_valid(uid))
		cg_vld_error(&v, "user_id", "is not an id");
	cg_vld_str(&v, "business_name", CG_VLD_REQUIRED, 1, 200, &bn);
	cg_api_fields_parse(&v, cg_api_merchant_fields, m->changes);
	cg_api_fields_parse(&v, merchant_admin_fields, m->changes);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		cg_api_finish(call);
		return;
	}
	cg_strlcpy(m->user_id, uid, sizeof(m->user_id));
	cg_vld_free(&v);
	cg_api_sql(call, merchant_create_sql, NULL);
}

static int
merchant_delete_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const char *id = cg_api_param(call, "id");
	int64_t now = cg_now_ms();
	json_t *before, *after;
	char iso[32];
	int dberr;

	before = cg_api_merchant_load(call, db, id, 1, &dberr);
	if (!before)
		return dberr ? CG_DB_ERR : 404;
	/* Soft delete; its keys stop working at once. */
	if (cg_db_run(db, "UPDATE merchants SET deleted_at = ?, is_active = 0, "
	    "updated_at = ? WHERE id = ? AND deleted_at IS NULL", "tts", now,
	    now, id) != 1 || cg_db_run(db, "UPDATE api_keys SET revoked_at = "
	    "IFNULL(revoked_at, ?), updated_at = ? WHERE merchant_id = ?",
	    "tts", now, now, id) < 0) {
		json_decref(before);
		return CG_DB_ERR;
	}
	after = json_deep_copy(before);
	cg_time_format_iso(now, iso);
	json_object_set_new(after, "deleted_at", json_string(iso));
	json_object_set_new(after, "is_active", json_false());
	return cg_api_audit_reply(db, call, id, "DELETE", "merchant", id, before,
	    after, 200);
}

static void
merchant_delete_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_tx(call, db, merchant_delete_tx, "merchant");
}

void
cg_api_admin_merchants_delete(struct cg_api_call *call)
{
	if (id_param_ok(call, "merchant"))
		cg_api_sql(call, merchant_delete_sql, NULL);
}

/* ---- users --------------------------------------------------------------- */

static json_t *
user_load(struct cg_db *db, const char *id, int lock, int *dberr)
{
	char cl[1024], sql[1200];
	struct cg_stmt *st;
	json_t *o = NULL;
	int rc;

	cg_api_cols_sql(user_cols, "", cl, sizeof(cl));
	snprintf(sql, sizeof(sql), "SELECT %s FROM users WHERE id = ? AND "
	    "deleted_at IS NULL%s", cl, lock ? " FOR UPDATE" : "");
	*dberr = 0;
	st = cg_db_query(db, sql, "s", id);
	if (!st) {
		*dberr = 1;
		return NULL;
	}
	rc = cg_stmt_fetch(st);
	if (rc == 1)
		o = cg_api_row_json(st, user_cols, 0);
	cg_stmt_close(st);
	if (rc < 0) {
		json_decref(o);
		*dberr = 1;
		return NULL;
	}
	return o;
}

void
cg_api_admin_users_list_sql(struct cg_api_call *call, struct cg_db *db)
{
	const char *role = cg_api_query(call, "role");

	list_rows(call, db, "users", user_cols, col_index(user_cols,
	    "created_at"), "deleted_at IS NULL AND (? = '' OR role = ?)", "ss",
	    role ? role : "", role ? role : "");
}


void
cg_api_admin_users_get_sql(struct cg_api_call *call, struct cg_db *db)
{
	int dberr;
	json_t *u;

	if (!cg_id_valid(cg_api_param(call, "id"))) {
		cg_api_set_not_found(call, "user");
		return;
	}
	u = user_load(db, cg_api_param(call, "id"), 0, &dberr);

	if (u)
		cg_api_set_json(call, 200, u);
	else if (dberr)
		cg_api_set_db_error(call, db);
	else
		cg_api_set_not_found(call, "user");
}


struct user_new {
	char id[CG_ID_SIZE];
	char email[256];
	char password[4097];
	char phc[256];
	json_t *changes;
};

static void
user_new_free(void *p)
{
	struct user_new *u = p;

	json_decref(u->changes);
	cg_wipe(u, sizeof(*u));
	free(u);
}

static int
user_create_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	struct user_new *u = cg_api_state(call);
	int64_t now = cg_now_ms();
	json_t *after;
	int dberr;

	if (cg_db_run(db, "INSERT INTO users (id, email, password_hash, role, "
	    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", "sssstt",
	    u->id, u->email, u->phc, json_string_value(json_object_get(
	    u->changes, "role")), now, now) != 1)
		return cg_db_err_duplicate(cg_db_errno(db)) ? 409 : CG_DB_ERR;
	if (cg_api_fields_apply(db, "users", "id", u->id, 1, u->changes,
	    now) < 0)
		return CG_DB_ERR;
	after = user_load(db, u->id, 0, &dberr);
	if (!after || cg_api_audit_reply(db, call, NULL, "CREATE", "user",
	    u->id, NULL, after, 201) != 0)
		return CG_DB_ERR;
	return cg_api_idem_save(db, call, "user", u->id);
}

static void
user_create_sql(struct cg_api_call *call, struct cg_db *db)
{
	int rc = cg_db_tx(db, user_create_tx, call);

	if (rc == 409)
		cg_api_set_problem(call, 409, "A user with this e-mail address "
		    "exists.");
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

static void
user_create_hash(struct cg_api_call *call)
{
	struct user_new *u = cg_api_state(call);

	if (cg_api_password_hash(cg_api_of(call), u->password, u->phc,
	    sizeof(u->phc)) != 0)
		cg_api_set_problem(call, 500, NULL);
	cg_wipe(u->password, sizeof(u->password));
}

static void
user_create_hashed(struct cg_api_call *call)
{
	if (cg_api_status(call))
		cg_api_finish(call);
	else
		cg_api_sql(call, user_create_sql, NULL);
}

void
cg_api_admin_users_create(struct cg_api_call *call)
{
	struct user_new *u = calloc(1, sizeof(*u));
	struct cg_vld v;
	const char *email = NULL, *pw = NULL;

	if (!u || !(u->changes = json_object()) || cg_id_new(u->id) != 0) {
		free(u);
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_set_state(call, u, user_new_free);
	if (cg_api_parse_body(call, &v, false) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_vld_email(&v, "email", CG_VLD_REQUIRED, &email);
	cg_vld_str(&v, "password", CG_VLD_REQUIRED, 8, 1024, &pw);
	if (!json_object_get(v.root, "role"))
		cg_vld_error(&v, "role", "is required");
	cg_api_fields_parse(&v, user_fields, u->changes);
	if (cg_vld_end(&v) != 0) {
		cg_api_set_vld_errors(call, &v);
		cg_vld_free(&v);
		cg_api_finish(call);
		return;
	}
	cg_strlcpy(u->email, email, sizeof(u->email));
	cg_strlcpy(u->password, pw, sizeof(u->password));
	cg_vld_free(&v);
	/* Argon2 runs on the hash pool before the transaction. */
	cg_api_hash(call, user_create_hash, user_create_hashed);
}

static int
user_patch_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const char *id = cg_api_param(call, "id");
	json_t *changes = cg_api_patch_changes(call);
	json_t *before, *after, *active = json_object_get(changes, "is_active");
	int64_t now = cg_now_ms();
	int dberr;

	before = user_load(db, id, 1, &dberr);
	if (!before)
		return dberr ? CG_DB_ERR : 404;
	if (cg_api_fields_apply(db, "users", "id", id, 1, changes, now) < 0)
		goto fail;
	/* A disabled user's sessions end now. */
	if (active && strcmp(json_string_value(active), "0") == 0 &&
	    cg_db_run(db, "UPDATE user_sessions SET revoked_at = ? WHERE "
	    "user_id = ? AND revoked_at IS NULL", "ts", now, id) < 0)
		goto fail;
	after = user_load(db, id, 0, &dberr);
	if (!after)
		goto fail;
	return cg_api_audit_reply(db, call, NULL, "UPDATE", "user", id, before,
	    after, 200);
fail:
	json_decref(before);
	return CG_DB_ERR;
}

static void
user_patch_sql(struct cg_api_call *call, struct cg_db *db)
{
	cg_api_tx(call, db, user_patch_tx, "user");
}

void
cg_api_admin_users_patch(struct cg_api_call *call)
{
	if (!id_param_ok(call, "user"))
		return;
	if (cg_api_patch_begin(call, user_fields, NULL) != 0) {
		cg_api_finish(call);
		return;
	}
	cg_api_sql(call, user_patch_sql, NULL);
}

static int
user_delete_tx(struct cg_db *db, void *arg)
{
	struct cg_api_call *call = arg;
	const char *id = cg_api_param(call, "id");
	int64_t now = cg_now_ms(), n, one;
	json_t *before, *after;
	char iso[32];
	int dberr;

	if (strcmp(id, cg_api_auth(call)->user_id) == 0)
		return 422;
	before = user_load(db, id, 1, &dberr);
	if (!before)
		return dberr ? CG_DB_ERR : 404;
	n = cg_db_query_i64(db, &one, "SELECT 1 FROM merchants WHERE "
	    "user_id_live = ?", "s", id);
	if (n != 0) {
		json_decref(before);
		return n < 0 ? CG_DB_ERR : 409;
	}
	if (cg_db_run(db, "UPDATE users SET deleted_at = ?, is_active = 0, "
	    "updated_at = ? WHERE id = ? AND deleted_at IS NULL", "tts", now,
	    now, id) != 1 || cg_db_run(db, "UPDATE user_sessions SET "
	    "revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", "ts",
	    now, id) < 0) {
		json_decref(before);
		return CG_DB_ERR;
	}
	after = json_deep_copy(before);
	cg_time_format_iso(now, iso);
	json_object_set_new(after, "deleted_at", json_string(iso));
	json_object_set_new(after, "is_active", json_false());
	return cg_api_audit_reply(db, call, NULL, "DELETE", "user", id, before,
	    after, 200);
}

static void
user_delete_sql(struct cg_api_call *call, struct cg_db *db)
{
	int rc = cg_db_tx(db, user_delete_tx, call);

	if (rc == 404)
		cg_api_set_not_found(call, "user");
	else if (rc == 422)
		cg_api_set_problem(call, 422, "You cannot delete yourself.");
	else if (rc == 409)
		cg_api_set_problem(call, 409, "The user owns a merchant: "
		    "delete the merchant first.");
	else if (rc != 0)
		cg_api_set_db_error(call, db);
}

void
cg_api_admin_users_delete(struct cg_api_call *call)
{
	if (id_param_ok(call, "user"))
		cg_api_sql(call, user_delete_sql, NULL);
}

/* ---- audit log ----------------------------------------------------------- */

static const struct cg_api_col audit_cols[] = {
	{ "id", CG_COL_STR }, { "created_at", CG_COL_TIME },
	{ "actor_type", CG_COL_STR }, { "user_id", CG_COL_STR },
	{ "api_key_id", CG_COL_STR }, { "merchant_id", CG_COL_STR },
	{ "action", CG_COL_STR }, { "entity_type", CG_COL_STR },
	{ "entity_id", CG_COL_STR }, { "old_values", CG_COL_JSON },
	{ "new_values", CG_COL_JSON }, { "ip_address", CG_COL_STR },
	{ "user_agent", CG_COL_STR }, { "endpoint", CG_COL_STR },
	{ "http_method", CG_COL_STR }, { "request_id", CG_COL_STR },
	{ NULL, 0 }
};

struct audit_q {
	const char *f[5];	/* merchant_id, user_id, action, entity_type,
				   entity_id */
	int64_t since, until;
};

static void
audit_sql(struct cg_api_call *call, struct cg_db *db)
{
	struct audit_q *q = cg_api_state(call);
	struct cg_api_page pg;
	char cl[1024], sql[2400];
	struct cg_stmt *st;

	if (cg_api_page_parse(call, &pg) != 0)
		return;
	cg_api_cols_sql(audit_cols, "", cl, sizeof(cl));
	snprintf(sql, sizeof(sql), "SELECT %s FROM audit_logs WHERE "
	    "(? = '' OR merchant_id = ?) AND (? = '' OR user_id = ?) AND "
	    "(? = '' OR action = ?) AND (? = '' OR entity_type = ?) AND "
	    "(? = '' OR entity_id = ?) AND created_at >= ? AND created_at < ? "
	    "AND " CG_API_PAGE_SQL " ORDER BY created_at DESC, id DESC "
	    "LIMIT %d", cl, pg.limit + 1);
	st = cg_db_query(db, sql, "ssssssssss" "tt" CG_API_PAGE_TYPES,
	    q->f[0], q->f[0], q->f[1], q->f[1], q->f[2], q->f[2], q->f[3],
	    q->f[3], q->f[4], q->f[4], q->since, q->until,
	    CG_API_PAGE_ARGS(&pg));
	cg_api_page_answer(call, db, &pg, st, 1, cg_api_cols_row, audit_cols);
}

void
cg_api_admin_audit_list(struct cg_api_call *call)
{
	static const char *const names[5] = { "merchant_id", "user_id",
	    "action", "entity_type", "entity_id" };
	struct audit_q *q = calloc(1, sizeof(*q));
	const char *s, *u;

	if (!q) {
		cg_api_reply_problem(call, 500, NULL);
		return;
	}
	cg_api_set_state(call, q, free);
	for (int i = 0; i < 5; i++) {
		q->f[i] = cg_api_query(call, names[i]);
		if (!q->f[i])
			q->f[i] = "";
		if (strlen(q->f[i]) > 64) {
			cg_api_reply_problem(call, 400, "%s is too long.",
			    names[i]);
			return;
		}
	}
	q->since = 0;
	q->until = cg_now_ms() + 1000;
	s = cg_api_query(call, "since");
	u = cg_api_query(call, "until");
	if ((s && cg_api_parse_time(s, &q->since) != 0) ||
	    (u && cg_api_parse_time(u, &q->until) != 0)) {
		cg_api_reply_problem(call, 400, "since and until are dates "
		    "(2026-01-31) or RFC 3339 times (2026-01-31T12:00:00Z).");
		return;
	}
	cg_api_sql(call, audit_sql, NULL);
}
