#include "db/ledger.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "util/id.h"

int
cg_ledger_amount_valid(const char *s)
{
	size_t i = 0, ip = 0, fp = 0;
	bool nonzero = false;

	if (s == NULL)
		return 0;
	if (s[i] == '-')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++, ip++)
		nonzero |= s[i] != '0';
	if (ip == 0 || ip > 18)
		return 0;
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, fp++)
			nonzero |= s[i] != '0';
		if (fp == 0 || fp > 18)
			return 0;
	}
	return s[i] == '\0' && nonzero;
}

static bool
one_of(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++) {
		if (strcmp(s, *set) == 0)
			return true;
	}
	return false;
}

static const char *const buckets[] = { "PENDING", "CONFIRMED", "LOCKED", NULL };

static int
valid_posting(const struct cg_posting *p)
{
	static const char *const types[] = { "DEPOSIT", "WITHDRAWAL", "FEE",
	    "ADJUSTMENT", NULL };

	return one_of(p->bucket, buckets) && one_of(p->change_type, types) &&
	    p->move_kind != NULL && cg_ledger_amount_valid(p->amount);
}

/* The bucket's column, chosen from a fixed list (never from input). */
#define BUCKET_VALUE "CASE ? WHEN 'PENDING' THEN pending_balance " \
	"WHEN 'CONFIRMED' THEN confirmed_balance ELSE locked_balance END"

static int
post_one(struct cg_db *db, const char *wallet_id, const struct cg_posting *p,
    int64_t now_ms)
{
	char id[CG_ID_SIZE];

	if (cg_id_new(id) != 0)
		return CG_DB_ERR;
	/* The row reads the balance before this posting; version + 1 is the
	 * version the wallet gets at the end of this call. */
	if (cg_db_run(db, "INSERT INTO balance_history (id, wallet_id, merchant_id, "
	    "wallet_version, bucket, change_type, move_kind, amount, balance_before, "
	    "balance_after, transaction_id, invoice_id, created_by_user_id, "
	    "description, created_at) SELECT ?, id, merchant_id, version + 1, ?, ?, "
	    "?, CAST(? AS DECIMAL(36,18)), " BUCKET_VALUE ", (" BUCKET_VALUE ") + "
	    "CAST(? AS DECIMAL(36,18)), ?, ?, ?, ?, ? FROM wallets WHERE id = ?",
	    "ssssssssssssts", id, p->bucket, p->change_type, p->move_kind,
	    p->amount, p->bucket, p->bucket, p->amount, p->transaction_id,
	    p->invoice_id, p->user_id, p->description, now_ms, wallet_id) != 1)
		return CG_DB_ERR;
	if (cg_db_run(db, "UPDATE wallets SET "
	    "pending_balance = pending_balance + IF(? = 'PENDING', CAST(? AS DECIMAL(36,18)), 0), "
	    "confirmed_balance = confirmed_balance + IF(? = 'CONFIRMED', CAST(? AS DECIMAL(36,18)), 0), "
	    "locked_balance = locked_balance + IF(? = 'LOCKED', CAST(? AS DECIMAL(36,18)), 0) "
	    "WHERE id = ?", "sssssss", p->bucket, p->amount, p->bucket, p->amount,
	    p->bucket, p->amount, wallet_id) != 1)
		return CG_DB_ERR;
	return 0;
}

int
cg_ledger_post(struct cg_db *db, const char *merchant_id,
    const char *wallet_id, const struct cg_posting *p, size_t n,
    int64_t now_ms)
{
	int64_t version, dup;
	size_t i;
	int rc;

	if (n == 0 || merchant_id == NULL || wallet_id == NULL)
		return CG_LEDGER_INVALID;
	for (i = 0; i < n; i++) {
		size_t j;

		if (!valid_posting(&p[i]))
			return CG_LEDGER_INVALID;
		/* One row per bucket and wallet version. */
		for (j = 0; j < i; j++) {
			if (strcmp(p[i].bucket, p[j].bucket) == 0)
				return CG_LEDGER_INVALID;
		}
	}
	rc = cg_db_query_i64(db, &version, "SELECT version FROM wallets "
	    "WHERE id = ? AND merchant_id = ? FOR UPDATE", "ss", wallet_id,
	    merchant_id);
	if (rc < 0)
		return CG_DB_ERR;
	if (rc == 0)
		return CG_LEDGER_NOT_FOUND;
	/* Under the wallet's lock: a payment move posted before is final. */
	for (i = 0; i < n; i++) {
		if (p[i].transaction_id == NULL)
			continue;
		rc = cg_db_query_i64(db, &dup, "SELECT COUNT(*) FROM balance_history "
		    "WHERE wallet_id = ? AND transaction_id = ? AND bucket = ? AND "
		    "move_kind = ?", "ssss", wallet_id, p[i].transaction_id,
		    p[i].bucket, p[i].move_kind);
		if (rc != 1)
			return CG_DB_ERR;
		if (dup > 0)
			return CG_LEDGER_DUPLICATE;
	}
	for (i = 0; i < n; i++) {
		if ((rc = post_one(db, wallet_id, &p[i], now_ms)) != 0)
			return rc;
	}
	if (cg_db_run(db, "UPDATE wallets SET version = version + 1, updated_at = ? "
	    "WHERE id = ?", "ts", now_ms, wallet_id) != 1)
		return CG_DB_ERR;
	return 0;
}

int
cg_ledger_verify(struct cg_db *db, const char *wallet_id, char *err,
    size_t errlen)
{
	struct cg_stmt *st;
	int i, rc, result = 0;

	/* Balance of each bucket equals the sum of its history. */
	st = cg_db_query(db, "SELECT b.name, "
	    "CASE b.name WHEN 'PENDING' THEN w.pending_balance "
	    "WHEN 'CONFIRMED' THEN w.confirmed_balance ELSE w.locked_balance END, "
	    "(SELECT COALESCE(SUM(h.amount), 0) FROM balance_history h "
	    "WHERE h.wallet_id = w.id AND h.bucket = b.name) "
	    "FROM wallets w JOIN (SELECT 'PENDING' AS name UNION ALL SELECT "
	    "'CONFIRMED' UNION ALL SELECT 'LOCKED') b WHERE w.id = ?", "s", wallet_id);
	if (st == NULL)
		return -1;
	for (i = 0; (rc = cg_stmt_fetch(st)) == 1; i++) {
		/* DECIMAL text compares exactly: both have scale 18. */
		if (result == 0 && strcmp(cg_stmt_str(st, 1), cg_stmt_str(st, 2)) != 0) {
			snprintf(err, errlen, "wallet %s bucket %s: balance %s, history "
			    "sums to %s", wallet_id, cg_stmt_str(st, 0),
			    cg_stmt_str(st, 1), cg_stmt_str(st, 2));
			result = 1;
		}
	}
	cg_stmt_close(st);
	if (rc < 0)
		return -1;
	if (i == 0) {
		snprintf(err, errlen, "wallet %s not found", wallet_id);
		return 1;
	}
	if (result != 0)
		return result;
	/* Each row continues the previous one of its bucket. */
	st = cg_db_query(db, "SELECT id, bucket, balance_before, prev_after FROM ("
	    "SELECT id, bucket, balance_before, COALESCE(LAG(balance_after, 1) "
	    "OVER (PARTITION BY bucket ORDER BY wallet_version), 0) AS prev_after "
	    "FROM balance_history WHERE wallet_id = ?) x "
	    "WHERE balance_before <> prev_after LIMIT 1", "s", wallet_id);
	if (st == NULL)
		return -1;
	if ((rc = cg_stmt_fetch(st)) == 1) {
		snprintf(err, errlen, "wallet %s: history row %s (%s) starts at %s, "
		    "the previous row ended at %s", wallet_id, cg_stmt_str(st, 0),
		    cg_stmt_str(st, 1), cg_stmt_str(st, 2), cg_stmt_str(st, 3));
		result = 1;
	}
	cg_stmt_close(st);
	return rc < 0 ? -1 : result;
}
