/*
 * Figures for the data layer (not a test): durable single-row INSERT
 * commits/s, primary-key SELECTs/s through the statement cache, and
 * cg_db_tx round trips/s, on one connection.
 *
 *   bench-db SOCKET DATABASE [N]     (the database must be migrated)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/clock.h"
#include "util/id.h"

static int
tx_touch(struct cg_db *db, void *arg)
{
	const char *id = arg;

	return cg_db_run(db, "UPDATE leases SET epoch = epoch + 1 WHERE job_name = ?",
	    "s", id) == 1 ? 0 : CG_DB_ERR;
}

int
main(int argc, char **argv)
{
	struct cg_db_params p;
	struct cg_db *db;
	char err[512], id[CG_ID_SIZE], first[CG_ID_SIZE] = "";
	int i, n = argc > 3 ? atoi(argv[3]) : 2000;
	int64_t t0, v;

	if (argc < 3 || n <= 0) {
		fprintf(stderr, "usage: bench-db SOCKET DATABASE [N]\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	p.socket = argv[1];
	p.database = argv[2];
	p.user = "root";
	cg_db_global_init();
	if ((db = cg_db_open(&p, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = cg_mono_us();
	for (i = 0; i < n; i++) {
		cg_id_new(id);
		if (i == 0)
			strcpy(first, id);
		if (cg_db_run(db, "INSERT INTO leases (job_name, created_at, updated_at) "
		    "VALUES (?, ?, ?)", "stt", id, cg_now_ms(), cg_now_ms()) != 1) {
			fprintf(stderr, "%s\n", cg_db_error(db));
			return 1;
		}
	}
	printf("insert_commits_per_s=%.0f\n", n * 1e6 / (double)(cg_mono_us() - t0));
	t0 = cg_mono_us();
	for (i = 0; i < n; i++) {
		if (cg_db_query_i64(db, &v, "SELECT epoch FROM leases WHERE job_name = ?",
		    "s", first) != 1)
			return 1;
	}
	printf("pk_selects_per_s=%.0f\n", n * 1e6 / (double)(cg_mono_us() - t0));
	t0 = cg_mono_us();
	for (i = 0; i < n; i++) {
		if (cg_db_tx(db, tx_touch, first) != 0)
			return 1;
	}
	printf("tx_update_commits_per_s=%.0f\n", n * 1e6 / (double)(cg_mono_us() - t0));
	(void)cg_db_exec(db, "DELETE FROM leases");
	cg_db_close(db);
	cg_db_global_end();
	return 0;
}
