/*
 * Merchant webhook secrets: load, rotate, retire.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/db.h"
#include "util/log.h"
#include "util/str.h"
#include "util/secretbox.h"
#include "webhooks/secrets.h"

static int
open_one(const struct cg_secretbox *box, const char *merchant_id,
    const char *sealed, size_t len, char *out)
{
	int n = cg_secretbox_open(box, merchant_id, sealed, len, out,
	    CG_WEBHOOK_SECRET_LEN + 1);

	if (n <= 0 || n > CG_WEBHOOK_SECRET_LEN) {
		cg_error("webhooks", "secret of merchant=%s does not open "
		    "(err=%d): wrong master key?", merchant_id, n);
		return -1;
	}
	out[n] = '\0';
	return 0;
}

int
cg_whsecrets_load(struct cg_db *db, const struct cg_secretbox *box,
    const char *merchant_id, int64_t now_ms, struct cg_whsecrets *out)
{
	struct cg_stmt *st;
	int rc = -1, f;

	memset(out, 0, sizeof(*out));
	st = cg_db_query(db,
	    "SELECT webhook_secret_enc, webhook_secret_prev_enc, "
	    "webhook_secret_prev_expires_at > ? FROM merchants WHERE id = ?",
	    "ts", now_ms, merchant_id);
	if (st == NULL)
		return -1;
	f = cg_stmt_fetch(st);
	if (f < 0)
		goto fail;
	rc = 0;
	if (f == 0 || box == NULL)
		goto fail;
	if (!cg_stmt_is_null(st, 0)) {
		if (open_one(box, merchant_id, cg_stmt_str(st, 0),
		    cg_stmt_len(st, 0), out->s[out->n]) != 0) {
			rc = -1;
			goto fail;
		}
		out->n++;
	}
	if (!cg_stmt_is_null(st, 1) && cg_stmt_str(st, 2) &&
	    strcmp(cg_stmt_str(st, 2), "1") == 0) {
		if (open_one(box, merchant_id, cg_stmt_str(st, 1),
		    cg_stmt_len(st, 1), out->s[out->n]) != 0) {
			rc = -1;
			goto fail;
		}
		out->n++;
	}
fail:
	cg_stmt_close(st);
	if (rc != 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

struct rotate_arg {
	const struct cg_secretbox *box;
	const char *merchant_id;
	int64_t overlap_ms, now_ms;
	char sealed[512];
	int (*hook)(struct cg_db *, void *);
	void *hook_arg;
};

static int
rotate_tx(struct cg_db *db, void *varg)
{
	struct rotate_arg *a = varg;
	char kid[CG_SECRETBOX_KEYID_HEX + 1];
	int64_t n;

	cg_secretbox_key_id(a->box, kid);
	/* The current secret becomes the previous one (same merchant, same
	 * context: the sealed text moves as it is); one without a current
	 * secret has nothing to keep signing. */
	n = cg_db_run(db,
	    "UPDATE merchants SET "
	    "webhook_secret_prev_enc = webhook_secret_enc, "
	    "webhook_secret_prev_key_id = webhook_secret_key_id, "
	    "webhook_secret_prev_expires_at = IF(webhook_secret_enc IS NULL, "
	    "NULL, ?), webhook_secret_enc = ?, webhook_secret_key_id = ?, "
	    "webhook_secret_rotated_at = ?, updated_at = ? "
	    "WHERE id = ? AND deleted_at IS NULL",
	    "tsstts", a->now_ms + a->overlap_ms, a->sealed, kid, a->now_ms,
	    a->now_ms, a->merchant_id);
	if (n < 0)
		return CG_DB_ERR;
	if (n == 0)
		return 1;
	return a->hook != NULL && a->hook(db, a->hook_arg) != 0 ? CG_DB_ERR : 0;
}

int
cg_whsecret_rotate(struct cg_db *db, const struct cg_secretbox *box,
    const char *merchant_id, int64_t overlap_ms, int64_t now_ms, char *out,
    int (*hook)(struct cg_db *db, void *arg), void *hook_arg)
{
	struct rotate_arg a;
	int rc;

	if (box == NULL) {
		cg_error("webhooks", "no master key (daemon.master_key_file): "
		    "cannot store a webhook secret");
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.box = box;
	a.merchant_id = merchant_id;
	a.overlap_ms = overlap_ms;
	a.now_ms = now_ms;
	a.hook = hook;
	a.hook_arg = hook_arg;
	if (cg_webhook_secret_generate(out, CG_WEBHOOK_SECRET_LEN + 1) < 0)
		return -1;
	if (cg_secretbox_seal(box, merchant_id, out, strlen(out), a.sealed,
	    sizeof(a.sealed)) < 0) {
		OPENSSL_cleanse(out, CG_WEBHOOK_SECRET_LEN + 1);
		return -1;
	}
	rc = cg_db_tx(db, rotate_tx, &a);
	if (rc != 0)
		OPENSSL_cleanse(out, CG_WEBHOOK_SECRET_LEN + 1);
	return rc;
}

int
cg_whsecret_retire_previous(struct cg_db *db, const char *merchant_id,
    int64_t now_ms)
{
	int64_t n = cg_db_run(db,
	    "UPDATE merchants SET webhook_secret_prev_enc = NULL, "
	    "webhook_secret_prev_key_id = NULL, "
	    "webhook_secret_prev_expires_at = NULL, updated_at = ? "
	    "WHERE id = ? AND deleted_at IS NULL", "ts", now_ms, merchant_id);

	if (n < 0)
		return -1;
	return n == 0 ? 1 : 0;
}

int
cg_whsecret_box_from_text(const char *text, size_t len,
    struct cg_secretbox **out)
{
	uint8_t key[CG_SECRETBOX_KEY_LEN];
	int rc;

	*out = NULL;
	if (text == NULL)
		return -EINVAL;
	if (len == 2 * CG_SECRETBOX_KEY_LEN + 1 && text[len - 1] == '\n')
		len--;
	if (len == 2 * CG_SECRETBOX_KEY_LEN) {
		if (cg_hex_decode(text, len, key, sizeof(key)) !=
		    CG_SECRETBOX_KEY_LEN)
			return -EINVAL;
	} else if (len == CG_SECRETBOX_KEY_LEN) {
		memcpy(key, text, CG_SECRETBOX_KEY_LEN);
	} else {
		return -EINVAL;
	}
	rc = cg_secretbox_new(key, NULL, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
