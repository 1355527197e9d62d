/*
 * Development and demo data: the schema/seed/ files applied after the
 * migrations, only when asked (tools/run, tests). Never part of a
 * production package.
 */
#include "db/migrate.h"

#include <stdio.h>

#include "db/db.h"
#include "util/log.h"

int
cg_db_seed(const struct cg_db_params *p, const char *seed_file, char *err,
    size_t errlen)
{
	struct cg_db *db;
	int rc = -1;

	if ((db = cg_db_open(p, err, errlen)) == NULL)
		return -1;
	if (cg_db_schema_check(db, CG_SCHEMA_VERSION, err, errlen) != 0)
		goto out;
	if (cg_db_apply_file(db, seed_file, err, errlen) != 0)
		goto out;
	cg_info("db", "seed applied file=%s", seed_file);
	rc = 0;
out:
	cg_db_close(db);
	return rc;
}
