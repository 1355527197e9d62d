/*
 * Integration test support: each test gets its own database with a random
 * name on the private MariaDB (CG_TEST_DB_SOCKET), dropped at the end.
 * The test binaries' main() exits 77 (skipped) when the socket is unset.
 */
#ifndef CG_TESTS_DB_TESTDB_H
#define CG_TESTS_DB_TESTDB_H

#include <stdbool.h>

#include "db/db.h"

struct cg_testdb {
	char name[64];
	char socket[256];
	struct cg_db_params p;       /* root over the socket, this database */
};

/* Creates an empty database; aborts the test on failure. */
void cg_testdb_create(struct cg_testdb *t);
/* Creates it and applies the project's migrations (and the dev seed). */
void cg_testdb_create_migrated(struct cg_testdb *t, bool seed);
void cg_testdb_drop(struct cg_testdb *t);
/* A new connection as root; aborts the test on failure. */
struct cg_db *cg_testdb_open(const struct cg_testdb *t);
/* A new connection as another user with a password. */
struct cg_db *cg_testdb_open_as(const struct cg_testdb *t, const char *user,
    const char *password);

/* Paths of the source tree (CG_SOURCE_ROOT set by meson). */
const char *cg_testdb_path(const char *rel, char *buf, unsigned int size);

#endif
