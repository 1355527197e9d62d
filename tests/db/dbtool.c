/*
 * A small driver for development and tests until the daemon's own
 * --migrate / cgctl db status are wired: runs the data-layer functions
 * against a database over a UNIX socket as root (or $CG_DB_USER).
 *
 *   cg-dbtool SOCKET DATABASE migrate DIR
 *   cg-dbtool SOCKET DATABASE status [DIR]
 *   cg-dbtool SOCKET DATABASE seed FILE
 *   cg-dbtool SOCKET DATABASE check-keys [development]
 *   cg-dbtool SOCKET DATABASE provision SQLFILE USER PASSWORD
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/migrate.h"
#include "db/testkeys.h"

static int
usage(void)
{
	fprintf(stderr, "usage: cg-dbtool SOCKET DATABASE "
	    "migrate DIR | status [DIR] | seed FILE | check-keys [development] | "
	    "provision SQLFILE USER PASSWORD\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct cg_db_params p;
	struct cg_schema_status st;
	struct cg_db *db;
	char err[1024];
	const char *cmd;
	int rc = 1;

	if (argc < 4)
		return usage();
	memset(&p, 0, sizeof(p));
	p.socket = argv[1];
	p.database = argv[2];
	p.user = getenv("CG_DB_USER") != NULL ? getenv("CG_DB_USER") : "root";
	p.password = getenv("CG_DB_PASSWORD");
	cmd = argv[3];
	if (strcmp(cmd, "migrate") == 0 && argc == 5) {
		if (cg_db_migrate(&p, argv[4], err, sizeof(err)) != 0) {
			fprintf(stderr, "cg-dbtool: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (strcmp(cmd, "seed") == 0 && argc == 5) {
		if (cg_db_seed(&p, argv[4], err, sizeof(err)) != 0) {
			fprintf(stderr, "cg-dbtool: %s\n", err);
			return 1;
		}
		return 0;
	}
	if ((db = cg_db_open(&p, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cg-dbtool: %s\n", err);
		return 1;
	}
	if (strcmp(cmd, "status") == 0 && argc <= 5) {
		if (cg_db_schema_status(db, argc == 5 ? argv[4] : NULL, &st, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "cg-dbtool: %s\n", err);
			goto out;
		}
		printf("required=%d applied=%d applied_count=%d available=%d "
		    "pending=%d failed=%d mismatch=%d ok=%d\n%s%s", st.required,
		    st.applied_version, st.applied_count, st.available_version,
		    st.pending_count, st.failed_version, st.checksum_mismatch,
		    st.ok, st.message, st.message[0] != '\0' ? "\n" : "");
		rc = st.ok ? 0 : 3;
	} else if (strcmp(cmd, "check-keys") == 0 && argc <= 5) {
		rc = cg_db_check_test_keys(db, argc == 5 &&
		    strcmp(argv[4], "development") == 0, err, sizeof(err)) == 0 ? 0 : 1;
		if (rc != 0)
			fprintf(stderr, "cg-dbtool: %s\n", err);
	} else if (strcmp(cmd, "provision") == 0 && argc == 7) {
		rc = cg_db_provision_app_user(db, argv[4], argv[5], "localhost",
		    argv[6], err, sizeof(err)) == 0 ? 0 : 1;
		if (rc != 0)
			fprintf(stderr, "cg-dbtool: %s\n", err);
	} else {
		rc = usage();
	}
out:
	cg_db_close(db);
	return rc;
}
