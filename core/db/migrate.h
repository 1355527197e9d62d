/*
 * Schema migrations: numbered SQL files NNNN_name.sql applied in order and
 * recorded in schema_migrations with their SHA-256. An applied migration
 * must never change: a changed checksum, or an applied version without its
 * file, is refused with a message saying so. Two runners at once are safe
 * (a named lock per database: the second waits, then finds nothing to do).
 *
 * MariaDB commits each DDL statement by itself, so a migration cannot be
 * rolled back as a whole. The runner records its progress statement by
 * statement: a migration that failed part-way is marked 'failed' with the
 * number of statements done and the error; once the cause is fixed (and
 * the file is unchanged) the next run resumes at the failed statement.
 * Each DDL statement on InnoDB is itself atomic (MariaDB >= 10.6), and the
 * project's migrations are written re-runnable (CREATE … IF NOT EXISTS), so
 * a runner killed between a statement and its progress record resumes
 * safely too (a 'running' row is treated like a failed one).
 */
#ifndef CG_DB_MIGRATE_H
#define CG_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cg_build_config.h"

/* Installed locations (schema/meson.build); a development run passes the
 * source tree's schema/ folders instead. The seed is installed only with
 * -Dinstall_seed=true. */
#define CG_DB_MIGRATIONS_DIR CG_PKGDATADIR "/schema/migrations"
#define CG_DB_PROVISION_SQL CG_PKGDATADIR "/schema/provision/app-user.sql"
#define CG_DB_SEED_DIR CG_PKGDATADIR "/schema/seed"

struct cg_db;
struct cg_db_params;

/* Applies every pending migration of migrations_dir to the database named
 * in p, creating the database when it does not exist yet. 0 on success
 * (also when nothing was pending), -1 with a message in err. */
int cg_db_migrate(const struct cg_db_params *p, const char *migrations_dir,
    char *err, size_t errlen);

/* Same on an open connection (an admin user's); *applied (may be NULL)
 * receives how many migrations ran. */
int cg_db_migrate_conn(struct cg_db *db, const char *migrations_dir,
    int *applied, char *err, size_t errlen);

struct cg_schema_status {
	int required;            /* CG_SCHEMA_VERSION of this build */
	int applied_version;     /* highest applied migration, 0: none */
	int applied_count;
	int available_version;   /* highest file (0 without a directory) */
	int pending_count;       /* files not applied yet */
	int failed_version;      /* stopped part-way, 0: none */
	bool checksum_mismatch;  /* an applied file changed or vanished */
	bool ok;                 /* recent enough, nothing failed or changed */
	char message[512];       /* what is wrong, for the operator */
};

/* Reports the schema's state; migrations_dir may be NULL (then files are
 * not compared: pending and mismatch stay 0). 0, or -1 on a database error
 * (err). A database without schema_migrations reports version 0. */
int cg_db_schema_status(struct cg_db *db, const char *migrations_dir,
    struct cg_schema_status *out, char *err, size_t errlen);

/* For the daemon's start: 0 when the schema is at least `required` and no
 * migration failed; -1 with a message telling the operator to run
 * `cryptic-gatewayd --migrate`. */
int cg_db_schema_check(struct cg_db *db, int required, char *err,
    size_t errlen);

/* Runs every statement of an SQL script (seed data, provisioning); stops at
 * the first error, naming the line. Not recorded anywhere. */
int cg_db_apply_script(struct cg_db *db, const char *name, const char *text,
    size_t len, char *err, size_t errlen);
int cg_db_apply_file(struct cg_db *db, const char *path, char *err,
    size_t errlen);

/* Development data (schema/seed/dev.sql, devnet.sql …) applied after the
 * migrations; refuses a schema older than this build needs. Re-running it
 * changes nothing. */
int cg_db_seed(const struct cg_db_params *p, const char *seed_file, char *err,
    size_t errlen);

/* SHA-256 of a file as 64 hex digits; 0 or -1. */
int cg_file_sha256(const char *path, char out[65], char *err, size_t errlen);


/* Creates (or resets) the daemon's least-privilege user on the database
 * db is connected to, by running schema/provision/app-user.sql (path in
 * sql_file) as db's admin user. host NULL: "localhost"; password NULL:
 * keep an existing user's. 0 or -1 (err). */
int cg_db_provision_app_user(struct cg_db *db, const char *sql_file,
    const char *user, const char *host, const char *password, char *err,
    size_t errlen);

#endif
