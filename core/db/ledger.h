/*
 * The balance ledger: every change of a wallet's balance is a posting,
 * written with its balance_history row in the caller's transaction.
 *
 * Postings to one wallet take the wallet's row lock first (lock order:
 * invoice, then wallet), so the arithmetic below is serialized per wallet.
 * The arithmetic happens in SQL on DECIMAL(36,18) values: exact, and a
 * result that does not fit is an error, never clamped. Each call bumps
 * wallets.version once; its rows carry that version, so a wallet's history
 * is totally ordered and each row's balance_before is the previous row's
 * balance_after in its bucket.
 *
 * A posting is unique per (wallet, payment, bucket, kind of move): posting
 * the same payment move twice changes nothing (CG_LEDGER_DUPLICATE), which
 * is what makes a retried settlement transaction safe.
 */
#ifndef CG_DB_LEDGER_H
#define CG_DB_LEDGER_H

#include <stddef.h>
#include <stdint.h>

struct cg_db;

struct cg_posting {
	const char *bucket;          /* "PENDING", "CONFIRMED", "LOCKED" */
	const char *change_type;     /* "DEPOSIT", "WITHDRAWAL", "FEE", "ADJUSTMENT" */
	const char *move_kind;       /* "SEEN", "CONFIRMED", "REVERSED" … */
	const char *amount;          /* signed decimal text, non-zero, <= 18 decimals */
	const char *transaction_id;  /* the payment, or NULL (manual adjustment) */
	const char *invoice_id;      /* or NULL */
	const char *user_id;         /* admin of a manual adjustment, or NULL */
	const char *description;     /* or NULL */
};

#define CG_LEDGER_DUPLICATE 1    /* already posted: nothing written */
#define CG_LEDGER_NOT_FOUND 2    /* no such wallet for this merchant */
#define CG_LEDGER_INVALID 3      /* bad posting (amount, bucket …) */

/* Inside a transaction (cg_db_tx): applies n postings (at most one per
 * bucket) to one wallet of merchant_id at time now_ms. 0, CG_LEDGER_* (> 0, nothing written), or
 * CG_DB_ERR (the transaction must roll back: e.g. a balance out of range
 * or a pending balance going negative). */
int cg_ledger_post(struct cg_db *db, const char *merchant_id,
    const char *wallet_id, const struct cg_posting *p, size_t n,
    int64_t now_ms);

/* Checks a wallet's ledger: each bucket's balance equals the sum of its
 * history, and each row's balance_before equals the previous row's
 * balance_after. 0 when consistent, 1 with the first problem in err,
 * -1 on a database error. */
int cg_ledger_verify(struct cg_db *db, const char *wallet_id, char *err,
    size_t errlen);

/* Whether s is a decimal amount the ledger accepts: optional '-', 1..18
 * integer digits, optionally '.' and 1..18 digits. */
int cg_ledger_amount_valid(const char *s);

#endif
