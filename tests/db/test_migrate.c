/*
 * The migration runner against the real MariaDB: empty database, no-op
 * re-run, changed and unknown migrations refused, a migration that fails
 * part-way resumes, two runners at once, schema status and the daemon's
 * start check.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "db/db.h"
#include "db/migrate.h"
#include "testdb.h"

static struct cg_testdb T;

static void
setup(void)
{
	cg_testdb_create(&T);
}

static void
teardown(void)
{
	cg_testdb_drop(&T);
}

static const char *
mdir(void)
{
	static char buf[512];

	return cg_testdb_path("schema/migrations", buf, sizeof(buf));
}

static int64_t
count(struct cg_db *db, const char *sql)
{
	int64_t n = -1;

	cr_assert(cg_db_query_i64(db, &n, sql, NULL) == 1, "%s: %s", sql,
	    cg_db_error(db));
	return n;
}

/* Copies the project's migrations into a temporary directory. */
static void
copy_migrations(char *dir, size_t size)
{
	char cmd[1200];

	snprintf(dir, size, "/tmp/cg-mig-%s", T.name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s' && cp '%s'/*.sql '%s'/",
	    dir, dir, mdir(), dir);
	cr_assert(system(cmd) == 0);
}

static void
rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert(f != NULL);
	fputs(text, f);
	fclose(f);
}

TestSuite(migrate, .init = setup, .fini = teardown, .timeout = 120);

Test(migrate, empty_database_then_noop)
{
	struct cg_schema_status st;
	char err[1024];
	struct cg_db *db;
	int applied = -1;

	db = cg_testdb_open(&T);
	cr_assert(cg_db_schema_status(db, mdir(), &st, err, sizeof(err)) == 0, "%s", err);
	cr_expect_eq(st.applied_version, 0);
	cr_expect_eq(st.pending_count, CG_SCHEMA_VERSION);
	cr_expect(!st.ok);
	cr_expect(cg_db_schema_check(db, CG_SCHEMA_VERSION, err, sizeof(err)) != 0);
	cr_expect(strstr(err, "--migrate") != NULL, "%s", err);

	cr_assert(cg_db_migrate_conn(db, mdir(), &applied, err, sizeof(err)) == 0, "%s", err);
	cr_expect_eq(applied, CG_SCHEMA_VERSION);
	cr_expect_eq(count(db, "SELECT COUNT(*) FROM schema_migrations "
	    "WHERE status = 'applied' AND statements_done = statements_total "
	    "AND LENGTH(checksum) = 64"), CG_SCHEMA_VERSION);
	cr_expect_eq(count(db, "SELECT COUNT(*) FROM information_schema.tables "
	    "WHERE table_schema = DATABASE()"), 24);

	/* Second run: nothing to do, nothing changes. */
	cr_assert(cg_db_migrate_conn(db, mdir(), &applied, err, sizeof(err)) == 0, "%s", err);
	cr_expect_eq(applied, 0);
	cr_assert(cg_db_schema_status(db, mdir(), &st, err, sizeof(err)) == 0, "%s", err);
	cr_expect(st.ok, "%s", st.message);
	cr_expect_eq(st.applied_version, CG_SCHEMA_VERSION);
	cr_expect_eq(st.pending_count, 0);
	cr_expect(cg_db_schema_check(db, CG_SCHEMA_VERSION, err, sizeof(err)) == 0, "%s", err);
	cr_expect(cg_db_schema_check(db, CG_SCHEMA_VERSION + 1, err, sizeof(err)) != 0);
	cg_db_close(db);
}

Test(migrate, creates_missing_database)
{
	char err[1024];
	struct cg_db *db;
	char name[64];

	/* The database is dropped first: cg_db_migrate creates it. */
	snprintf(name, sizeof(name), "%s", T.name);
	cg_testdb_drop(&T);
	snprintf(T.name, sizeof(T.name), "%s", name);
	cr_assert(cg_db_migrate(&T.p, mdir(), err, sizeof(err)) == 0, "%s", err);
	db = cg_testdb_open(&T);
	cr_expect_eq(count(db, "SELECT MAX(version) FROM schema_migrations"),
	    CG_SCHEMA_VERSION);
	cg_db_close(db);
}

Test(migrate, changed_checksum_refused)
{
	char dir[512], err[1024], path[700];
	struct cg_schema_status st;
	struct cg_db *db;
	FILE *f;

	copy_migrations(dir, sizeof(dir));
	db = cg_testdb_open(&T);
	cr_assert(cg_db_migrate_conn(db, dir, NULL, err, sizeof(err)) == 0, "%s", err);
	/* One byte more in an applied migration. */
	snprintf(path, sizeof(path), "%s/0003_chains.sql", dir);
	cr_assert((f = fopen(path, "a")) != NULL);
	fputs("-- edited\n", f);
	fclose(f);
	cr_expect(cg_db_migrate_conn(db, dir, NULL, err, sizeof(err)) != 0);
	cr_expect(strstr(err, "0003_chains.sql changed after it was applied") != NULL,
	    "%s", err);
	cr_assert(cg_db_schema_status(db, dir, &st, err, sizeof(err)) == 0);
	cr_expect(st.checksum_mismatch);
	cr_expect(!st.ok);
	cg_db_close(db);
	rm_dir(dir);
}

Test(migrate, unknown_applied_migration_refused)
{
	char err[1024];
	struct cg_db *db;

	db = cg_testdb_open(&T);
	cr_assert(cg_db_migrate_conn(db, mdir(), NULL, err, sizeof(err)) == 0, "%s", err);
	cr_assert(cg_db_run(db, "INSERT INTO schema_migrations (version, name, "
	    "checksum, status, started_at) VALUES (9001, '9001_future.sql', "
	    "REPEAT('a', 64), 'applied', '2026-01-01')", NULL) == 1);
	cr_expect(cg_db_migrate_conn(db, mdir(), NULL, err, sizeof(err)) != 0);
	cr_expect(strstr(err, "9001") != NULL && strstr(err, "unknown to this build") != NULL,
	    "%s", err);
	cg_db_close(db);
}

Test(migrate, out_of_order_and_duplicates_refused)
{
	char dir[512], err[1024], path[700];
	struct cg_db *db;

	copy_migrations(dir, sizeof(dir));
	write_file(dir, "0010_later.sql", "CREATE TABLE later (i INT);\n");
	db = cg_testdb_open(&T);
	cr_assert(cg_db_migrate_conn(db, dir, NULL, err, sizeof(err)) == 0, "%s", err);
	/* A migration numbered below an applied one. */
	write_file(dir, "0008_between.sql", "CREATE TABLE between_t (i INT);\n");
	cr_expect(cg_db_migrate_conn(db, dir, NULL, err, sizeof(err)) != 0);
	cr_expect(strstr(err, "0008_between.sql is not applied but the newer 0010") != NULL,
	    "%s", err);
	snprintf(path, sizeof(path), "%s/0008_between.sql", dir);
	unlink(path);
	/* Two files with one number. */
	write_file(dir, "0002_again.sql", "SELECT 1;\n");
	cr_expect(cg_db_migrate_conn(db, dir, NULL, err, sizeof(err)) != 0);
	cr_expect(strstr(err, "two migrations numbered 0002") != NULL, "%s", err);
	rm_dir(dir);
	cg_db_close(db);
}

Test(migrate, failed_part_way_resumes)
{
	char dir[512], err[1024];
	struct cg_schema_status st;
	struct cg_db *db;
	int applied = 0;

	copy_migrations(dir, sizeof(dir));
	/* Statement 2 fails (the table it alters does not exist yet). */
	write_file(dir, "0100_extra.sql",
	    "CREATE TABLE extra_a (i INT PRIMARY KEY);\n"
	    "ALTER TABLE extra_missing ADD COLUMN j INT;\n"
	    "CREATE TABLE extra_b (i INT PRIMARY KEY);\n");
	db = cg_testdb_open(&T);
	cr_expect(cg_db_migrate_conn(db, dir, NULL, err, sizeof(err)) != 0);
	cr_expect(strstr(err, "0100_extra.sql:2: statement 2 failed") != NULL, "%s", err);
	cr_expect_eq(count(db, "SELECT statements_done FROM schema_migrations "
	    "WHERE version = 100 AND status = 'failed'"), 1);
	cr_assert(cg_db_schema_status(db, dir, &st, err, sizeof(err)) == 0);
	cr_expect_eq(st.failed_version, 100);
	cr_expect(!st.ok);
	cr_expect(cg_db_schema_check(db, CG_SCHEMA_VERSION, err, sizeof(err)) != 0);

	/* The operator creates what was missing; the file is unchanged. */
	cr_assert(cg_db_exec(db, "CREATE TABLE extra_missing (i INT)") == 0);
	cr_assert(cg_db_migrate_conn(db, dir, &applied, err, sizeof(err)) == 0, "%s", err);
	cr_expect_eq(applied, 1);
	/* Statement 1 was not run twice (it would fail: table exists). */
	cr_expect_eq(count(db, "SELECT COUNT(*) FROM information_schema.columns "
	    "WHERE table_schema = DATABASE() AND table_name = 'extra_missing' "
	    "AND column_name = 'j'"), 1);
	cr_expect_eq(count(db, "SELECT COUNT(*) FROM schema_migrations "
	    "WHERE version = 100 AND status = 'applied' AND statements_done = 3"), 1);
	cg_db_close(db);
	rm_dir(dir);
}

Test(migrate, killed_runner_resumes)
{
	char err[1024];
	struct cg_db *db;
	int applied = 0;

	db = cg_testdb_open(&T);
	cr_assert(cg_db_migrate_conn(db, mdir(), NULL, err, sizeof(err)) == 0, "%s", err);
	/* As if the runner died after statement 3 of 0005 ran but before it
	 * was recorded, and the later ones never started. */
	cr_assert(cg_db_run(db, "UPDATE schema_migrations SET status = 'running', "
	    "statements_done = 2, finished_at = NULL WHERE version = 5", NULL) == 1);
	cr_assert(cg_db_run(db, "DELETE FROM schema_migrations WHERE version > 5",
	    NULL) == CG_SCHEMA_VERSION - 5);
	cr_expect(cg_db_schema_check(db, CG_SCHEMA_VERSION, err, sizeof(err)) != 0);
	cr_assert(cg_db_migrate_conn(db, mdir(), &applied, err, sizeof(err)) == 0, "%s", err);
	cr_expect_eq(applied, CG_SCHEMA_VERSION - 4);
	cr_expect_eq(count(db, "SELECT COUNT(*) FROM schema_migrations WHERE "
	    "status = 'applied' AND statements_done = statements_total"),
	    CG_SCHEMA_VERSION);
	cr_expect(cg_db_schema_check(db, CG_SCHEMA_VERSION, err, sizeof(err)) == 0, "%s", err);
	cg_db_close(db);
}

Test(migrate, script_errors_are_named)
{
	static const char bad_quote[] = "SELECT 1;\nSELECT 'open";
	static const char bad_stmt[] = "SELECT 1;\n\nSELEKT 2;";
	char err[512] = "";
	struct cg_db *db = cg_testdb_open(&T);

	cr_expect(cg_db_apply_script(db, "x.sql", bad_quote, sizeof(bad_quote) - 1,
	    err, sizeof(err)) != 0);
	cr_expect(strstr(err, "x.sql: line 2: unterminated quote") != NULL, "%s", err);
	cr_expect(cg_db_apply_script(db, "y.sql", bad_stmt, sizeof(bad_stmt) - 1,
	    err, sizeof(err)) != 0);
	cr_expect(strstr(err, "y.sql:3: statement 2 failed") != NULL, "%s", err);
	cr_expect(cg_db_apply_file(db, "/nonexistent/z.sql", err, sizeof(err)) != 0);
	cr_expect(strstr(err, "/nonexistent/z.sql") != NULL, "%s", err);
	cg_db_close(db);
}

struct runner {
	const struct cg_testdb *t;
	int rc;
	int applied;
	char err[1024];
};

static void *
run_migrate(void *arg)
{
	struct runner *r = arg;
	char err[512];
	struct cg_db *db = cg_db_open(&r->t->p, err, sizeof(err));

	if (db == NULL) {
		r->rc = -2;
		return NULL;
	}
	r->rc = cg_db_migrate_conn(db, mdir(), &r->applied, r->err, sizeof(r->err));
	cg_db_close(db);
	return NULL;
}

Test(migrate, two_concurrent_runners)
{
	struct runner a = { &T, -9, 0, "" }, b = { &T, -9, 0, "" };
	pthread_t ta, tb;
	struct cg_db *db;

	cr_assert(pthread_create(&ta, NULL, run_migrate, &a) == 0);
	cr_assert(pthread_create(&tb, NULL, run_migrate, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	cr_expect_eq(a.rc, 0, "%s", a.err);
	cr_expect_eq(b.rc, 0, "%s", b.err);
	/* One of them applied everything, the other found nothing to do. */
	cr_expect_eq(a.applied + b.applied, CG_SCHEMA_VERSION);
	cr_expect(a.applied == 0 || b.applied == 0);
	db = cg_testdb_open(&T);
	cr_expect_eq(count(db, "SELECT COUNT(*) FROM schema_migrations "
	    "WHERE status = 'applied'"), CG_SCHEMA_VERSION);
	cg_db_close(db);
}
