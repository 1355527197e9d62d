#include "payments/pool_fill.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "db/db.h"
#include "db/pool.h"
#include "plugins/registry.h"

int
cg_pool_fill(struct cg_db *db, struct cg_plugin_instance *pl,
    const char *merchant_id, const char *network_id, int64_t below,
    int64_t target, int64_t max, int64_t now_ms, struct cg_pool_fill *out)
{
	struct cg_pool_counter c;
	int64_t first, n, stored;
	json_t *rows;
	char *text;
	int rc;

	out->added = 0;
	rc = cg_pool_lock_counter(db, merchant_id, network_id, &c);
	if (rc != 1)
		return rc == 0 ? CG_POOL_FILL_NO_KEY : CG_DB_ERR;
	if (cg_db_query_i64(db, &out->available, "SELECT COUNT(*) FROM "
	    "address_pools WHERE merchant_id = ? AND network_id = ? AND "
	    "status = 'AVAILABLE'", "ss", merchant_id, network_id) < 0)
		return CG_DB_ERR;
	if (out->available >= below)
		return 0;
	n = target - out->available;
	if (n > max)
		n = max;
	if (n <= 0)
		return 0;
	first = c.index;
	if (first + n - 1 > INT32_MAX)
		return CG_POOL_FILL_NO_KEY;	/* index space used up */
	if ((rows = json_array()) == NULL)
		return CG_DB_ERR;
	rc = 0;
	for (int64_t i = 0; i < n && rc == 0; i++) {
		char addr[129], path[65], id[CG_ID_SIZE];

		if (cg_plugin_derive_address(pl, c.xpub, (uint32_t)(first + i),
		    addr, sizeof(addr), NULL) != 0)
			rc = CG_POOL_FILL_PLUGIN;
		else if (snprintf(path, sizeof(path), "%s/0/%lld",
		    c.account_path[0] ? c.account_path : "m",
		    (long long)(first + i)) >= (int)sizeof(path) ||
		    cg_id_new(id) != 0 ||
		    json_array_append_new(rows, json_pack("[s, s, s, I]", id,
		    addr, path, (json_int_t)(first + i))) != 0)
			rc = CG_DB_ERR;
	}
	text = rc == 0 ? json_dumps(rows, JSON_COMPACT) : NULL;
	json_decref(rows);
	if (rc != 0)
		return rc;
	if (text == NULL)
		return CG_DB_ERR;
	stored = cg_pool_insert_rows(db, merchant_id, network_id, c.id, text,
	    now_ms);
	free(text);
	if (stored != n || cg_pool_advance(db, c.id, first, n) != 0)
		return CG_DB_ERR;
	out->added = n;
	out->available += n;
	return 0;
}
