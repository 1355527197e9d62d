#include "db/pool.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"

static void
copy_col(const struct cg_stmt *st, unsigned int col, char *out, size_t size)
{
	const char *s = cg_stmt_str(st, col);

	snprintf(out, size, "%s", s != NULL ? s : "");
}

int
cg_pool_reserve(struct cg_db *db, const char *merchant_id,
    const char *network_id, struct cg_pool_address *out)
{
	struct cg_stmt *st;
	int rc;

	/* Lowest index first: addresses are used in derivation order, which
	 * keeps wallets' gap limits happy. */
	st = cg_db_query(db, "SELECT id, counter_id, address, memo, "
	    "derivation_path, derivation_index FROM address_pools "
	    "WHERE merchant_id = ? AND network_id = ? AND status = 'AVAILABLE' "
	    "ORDER BY derivation_index LIMIT 1 FOR UPDATE SKIP LOCKED", "ss",
	    merchant_id, network_id);
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		copy_col(st, 0, out->id, sizeof(out->id));
		copy_col(st, 1, out->counter_id, sizeof(out->counter_id));
		copy_col(st, 2, out->address, sizeof(out->address));
		copy_col(st, 3, out->memo, sizeof(out->memo));
		copy_col(st, 4, out->path, sizeof(out->path));
		if (cg_stmt_i64(st, 5, &out->index) != 0)
			rc = -1;
	}
	cg_stmt_close(st);
	return rc;
}

int
cg_pool_lock_counter(struct cg_db *db, const char *merchant_id,
    const char *network_id, struct cg_pool_counter *out)
{
	struct cg_stmt *st;
	int rc;

	st = cg_db_query(db, "SELECT id, xpub, account_path, next_index "
	    "FROM address_counters WHERE merchant_id = ? AND network_id = ? "
	    "FOR UPDATE", "ss", merchant_id, network_id);
	if (st == NULL)
		return -1;
	rc = cg_stmt_fetch(st);
	if (rc == 1) {
		copy_col(st, 0, out->id, sizeof(out->id));
		copy_col(st, 1, out->xpub, sizeof(out->xpub));
		copy_col(st, 2, out->account_path, sizeof(out->account_path));
		if (cg_stmt_i64(st, 3, &out->index) != 0)
			rc = -1;
	}
	cg_stmt_close(st);
	return rc;
}

int
cg_pool_advance(struct cg_db *db, const char *counter_id, int64_t from,
    int64_t n)
{
	/* Non-hardened children only: the CHECK refuses 2^31 and beyond. */
	return cg_db_run(db, "UPDATE address_counters SET next_index = ? "
	    "WHERE id = ? AND next_index = ?", "isi", from + n, counter_id,
	    from) == 1 ? 0 : -1;
}

int
cg_pool_next_index(struct cg_db *db, const char *merchant_id,
    const char *network_id, struct cg_pool_counter *out)
{
	int rc = cg_pool_lock_counter(db, merchant_id, network_id, out);

	if (rc != 1)
		return rc;
	return cg_pool_advance(db, out->id, out->index, 1) == 0 ? 1 : -1;
}

int
cg_pool_insert(struct cg_db *db, const char *merchant_id,
    const char *network_id, const struct cg_pool_counter *c,
    const char *address, const char *memo, const char *path, int64_t now_ms,
    char id_out[CG_ID_SIZE])
{
	if (cg_id_new(id_out) != 0)
		return -1;
	return cg_db_run(db, "INSERT INTO address_pools (id, merchant_id, "
	    "network_id, counter_id, address, memo, derivation_path, "
	    "derivation_index, status, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, 'AVAILABLE', ?, ?)", "sssssssitt", id_out,
	    merchant_id, network_id, c->id, address,
	    memo != NULL && *memo != '\0' ? memo : NULL, path, c->index, now_ms,
	    now_ms) == 1 ? 0 : -1;
}

int64_t
cg_pool_insert_rows(struct cg_db *db, const char *merchant_id,
    const char *network_id, const char *counter_id, const char *rows_json,
    int64_t now_ms)
{
	/* One round trip for a whole fill: the rows travel as one JSON
	 * parameter and JSON_TABLE turns them back into rows. */
	return cg_db_run(db, "INSERT INTO address_pools (id, merchant_id, "
	    "network_id, counter_id, address, memo, derivation_path, "
	    "derivation_index, status, created_at, updated_at) "
	    "SELECT j.id, ?, ?, ?, j.address, NULL, j.path, j.idx, "
	    "'AVAILABLE', ?, ? FROM JSON_TABLE(?, '$[*]' COLUMNS ("
	    "id VARCHAR(25) PATH '$[0]' ERROR ON EMPTY, "
	    "address VARCHAR(128) PATH '$[1]' ERROR ON EMPTY, "
	    "path VARCHAR(64) PATH '$[2]' ERROR ON EMPTY, "
	    "idx BIGINT PATH '$[3]' ERROR ON EMPTY)) AS j",
	    "ssstts", merchant_id, network_id, counter_id, now_ms, now_ms,
	    rows_json);
}

int
cg_pool_assign(struct cg_db *db, const char *pool_id, const char *invoice_id,
    int64_t now_ms)
{
	int64_t n;

	n = cg_db_run(db, "UPDATE address_pools SET status = 'ASSIGNED', "
	    "invoice_id = ?, assigned_at = ?, updated_at = ? WHERE id = ? "
	    "AND status = 'AVAILABLE'", "stts", invoice_id, now_ms, now_ms, pool_id);
	if (n < 0)
		return -1;
	return n == 1 ? 1 : 0;
}
