#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/rand.h>

#include "db/migrate.h"

const char *
cg_testdb_path(const char *rel, char *buf, unsigned int size)
{
	const char *root = getenv("CG_SOURCE_ROOT");

	snprintf(buf, size, "%s/%s", root != NULL ? root : ".", rel);
	return buf;
}

static void
fill_params(struct cg_testdb *t, const char *database)
{
	memset(&t->p, 0, sizeof(t->p));
	t->p.socket = t->socket;
	t->p.user = "root";
	t->p.database = database;
	t->p.lock_wait_timeout_s = 2;
	t->p.slow_query_ms = 5000;
}

void
cg_testdb_create(struct cg_testdb *t)
{
	unsigned char r[6];
	char err[512], sql[256];
	const char *sock = getenv("CG_TEST_DB_SOCKET");
	struct cg_db *db;

	cr_assert(sock != NULL, "CG_TEST_DB_SOCKET unset");
	snprintf(t->socket, sizeof(t->socket), "%s", sock);
	cr_assert(RAND_bytes(r, sizeof(r)) == 1);
	snprintf(t->name, sizeof(t->name), "cgt_%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5]);
	fill_params(t, "mysql");
	db = cg_db_open(&t->p, err, sizeof(err));
	cr_assert(db != NULL, "%s", err);
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET utf8mb4 "
	    "COLLATE utf8mb4_unicode_ci", t->name);
	cr_assert(cg_db_exec(db, sql) == 0, "%s", cg_db_error(db));
	cg_db_close(db);
	fill_params(t, t->name);
}

void
cg_testdb_create_migrated(struct cg_testdb *t, bool seed)
{
	char err[1024], dir[512], file[512];

	cg_testdb_create(t);
	cr_assert(cg_db_migrate(&t->p, cg_testdb_path("schema/migrations", dir,
	    sizeof(dir)), err, sizeof(err)) == 0, "%s", err);
	if (!seed)
		return;
	cr_assert(cg_db_seed(&t->p, cg_testdb_path("schema/seed/dev.sql", file,
	    sizeof(file)), err, sizeof(err)) == 0, "%s", err);
	cr_assert(cg_db_seed(&t->p, cg_testdb_path("schema/seed/devnet.sql", file,
	    sizeof(file)), err, sizeof(err)) == 0, "%s", err);
}

void
cg_testdb_drop(struct cg_testdb *t)
{
	struct cg_db_params p = t->p;
	char err[512], sql[256];
	struct cg_db *db;

	if (t->name[0] == '\0')
		return;
	p.database = "mysql";
	if ((db = cg_db_open(&p, err, sizeof(err))) == NULL)
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", t->name);
	(void)cg_db_exec(db, sql);
	cg_db_close(db);
	t->name[0] = '\0';
}

struct cg_db *
cg_testdb_open(const struct cg_testdb *t)
{
	char err[512];
	struct cg_db *db = cg_db_open(&t->p, err, sizeof(err));

	cr_assert(db != NULL, "%s", err);
	return db;
}

struct cg_db *
cg_testdb_open_as(const struct cg_testdb *t, const char *user,
    const char *password)
{
	struct cg_db_params p = t->p;
	char err[512];
	struct cg_db *db;

	p.user = user;
	p.password = password;
	db = cg_db_open(&p, err, sizeof(err));
	cr_assert(db != NULL, "%s", err);
	return db;
}

int
main(int argc, char **argv)
{
	struct criterion_test_set *tests;
	int result = 0;

	if (getenv("CG_TEST_DB_SOCKET") == NULL ||
	    *getenv("CG_TEST_DB_SOCKET") == '\0') {
		fprintf(stderr, "CG_TEST_DB_SOCKET unset: skipped\n");
		return 77;
	}
	if (cg_db_global_init() != 0)
		return 1;
	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	cg_db_global_end();
	return result;
}
