/*
 * Merchant webhook signing secrets: random "whsec_…" texts, shown once,
 * stored sealed with the master key (util/secretbox.h, the merchant id as
 * the associated context). During a rotation the previous secret keeps
 * signing (a second v1 in Cryptic-Signature) until it is retired by hand
 * or its overlap ends (webhooks.secret_overlap_s).
 * All functions block (SQL): call them on workers.
 */
#ifndef CG_WEBHOOKS_SECRETS_H
#define CG_WEBHOOKS_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "util/token.h"

struct cg_db;
struct cg_secretbox;

struct cg_whsecrets {
	char s[2][CG_WEBHOOK_SECRET_LEN + 1];	/* current first */
	size_t n;				/* 0, 1 or 2 */
};

/* The secrets that sign now for merchant_id (the previous one only while
 * its overlap lasts). 0 (out->n may be 0), -1 error or a box that does not
 * open (logged). */
int cg_whsecrets_load(struct cg_db *db, const struct cg_secretbox *box,
    const char *merchant_id, int64_t now_ms, struct cg_whsecrets *out);

/* Makes a new secret for merchant_id, keeping the current one as the
 * previous secret for overlap_ms. The new secret's text is written to out
 * (CG_WEBHOOK_SECRET_LEN + 1 bytes). hook (may be NULL) runs inside the
 * same transaction once the secret is stored (the caller's audit entry):
 * non-zero rolls the rotation back. 0, 1 no such merchant, -1 error. */
int cg_whsecret_rotate(struct cg_db *db, const struct cg_secretbox *box,
    const char *merchant_id, int64_t overlap_ms, int64_t now_ms, char *out,
    int (*hook)(struct cg_db *db, void *arg), void *hook_arg);

/* Stops the previous secret signing now (inside the caller's transaction
 * when there is one). 0 retired (or none), 1 no such merchant, -1 error. */
int cg_whsecret_retire_previous(struct cg_db *db, const char *merchant_id,
    int64_t now_ms);

/* Builds a box from a master key given as 64 hex characters (optional
 * final newline) or 32 raw bytes. 0 or negative errno. */
int cg_whsecret_box_from_text(const char *text, size_t len,
    struct cg_secretbox **out);

#endif
