/*
 * The migration runner and the schema status (see migrate.h).
 */
#include "db/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <openssl/evp.h>

#include "db/db.h"
#include "db/sqlsplit.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_MIGRATIONS 512
#define LOCK_WAIT_S 120

struct mfile {
	int version;
	char name[128];
	char path[PATH_MAX];
	char sum[65];
};

struct mrow {
	int version;
	char name[128];
	char sum[65];
	char status[16];
	int64_t done;
	bool seen;
};

static const char cg_migrations_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL,"
    " name VARCHAR(128) CHARACTER SET ascii NOT NULL,"
    " checksum CHAR(64) CHARACTER SET ascii NOT NULL,"
    " status VARCHAR(16) CHARACTER SET ascii NOT NULL,"
    " statements_total INT UNSIGNED NOT NULL DEFAULT 0,"
    " statements_done INT UNSIGNED NOT NULL DEFAULT 0,"
    " error TEXT NULL,"
    " applied_by VARCHAR(255) NULL,"
    " started_at DATETIME(3) NOT NULL,"
    " finished_at DATETIME(3) NULL,"
    " execution_ms INT UNSIGNED NULL,"
    " PRIMARY KEY (version),"
    " CONSTRAINT ck_schema_migrations_status CHECK (status IN ('running', 'applied', 'failed'))"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

int
cg_file_sha256(const char *path, char out[65], char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[8192];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx = NULL;
	FILE *f;
	size_t n;
	int rc = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto fail;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			goto fail;
	}
	if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto fail;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	rc = 0;
fail:
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot compute its checksum", path);
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return rc;
}

/* "0003_chains.sql" → 3; -1 when the name is not a migration's. */
static int
parse_name(const char *fn)
{
	size_t n = strlen(fn), i;
	int v = 0;

	if (n < 10 || n > 120 || strcmp(fn + n - 4, ".sql") != 0 || fn[4] != '_')
		return -1;
	for (i = 0; i < 4; i++) {
		if (fn[i] < '0' || fn[i] > '9')
			return -1;
		v = v * 10 + (fn[i] - '0');
	}
	for (i = 5; i < n - 4; i++) {
		char c = fn[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	return v > 0 ? v : -1;
}

static int
cmp_mfile(const void *a, const void *b)
{
	return ((const struct mfile *)a)->version - ((const struct mfile *)b)->version;
}

/* Lists migration files sorted by version; -1 on error (err). */
static int
list_files(const char *dir, struct mfile **out, int *count, char *err,
    size_t errlen)
{
	struct mfile *v = NULL;
	struct dirent *de;
	DIR *d;
	int n = 0, i;

	*out = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "migrations directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((v = calloc(MAX_MIGRATIONS, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		int ver = parse_name(de->d_name);

		if (ver < 0) {
			if (strstr(de->d_name, ".sql") != NULL)
				cg_warn("db", "ignoring file not named NNNN_name.sql file=%s", de->d_name);
			continue;
		}
		if (n == MAX_MIGRATIONS) {
			snprintf(err, errlen, "too many migrations in %s", dir);
			goto fail;
		}
		v[n].version = ver;
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		if ((size_t)snprintf(v[n].path, sizeof(v[n].path), "%s/%s", dir,
		    de->d_name) >= sizeof(v[n].path)) {
			snprintf(err, errlen, "path too long in %s", dir);
			goto fail;
		}
		if (cg_file_sha256(v[n].path, v[n].sum, err, errlen) != 0)
			goto fail;
		n++;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_mfile);
	for (i = 1; i < n; i++) {
		if (v[i].version == v[i - 1].version) {
			snprintf(err, errlen, "two migrations numbered %04d: %s and %s",
			    v[i].version, v[i - 1].name, v[i].name);
			goto fail;
		}
	}
	closedir(d);
	*out = v;
	*count = n;
	return 0;
fail:
	closedir(d);
	free(v);
	return -1;
}

static bool
table_exists(struct cg_db *db, const char *table, int *rc)
{
	int64_t n = 0;

	*rc = cg_db_query_i64(db, &n, "SELECT COUNT(*) FROM information_schema.tables "
	    "WHERE table_schema = DATABASE() AND table_name = ?", "s", table);
	return *rc == 1 && n > 0;
}

/* Reads schema_migrations (which must exist). */
static int
read_rows(struct cg_db *db, struct mrow **out, int *count, char *err,
    size_t errlen)
{
	struct cg_stmt *st;
	struct mrow *v;
	int n = 0, rc;

	*out = NULL;
	*count = 0;
	if ((v = calloc(MAX_MIGRATIONS, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st = cg_db_query(db, "SELECT version, name, checksum, status, statements_done "
	    "FROM schema_migrations ORDER BY version", NULL);
	if (st == NULL) {
		snprintf(err, errlen, "reading schema_migrations: %s", cg_db_error(db));
		free(v);
		return -1;
	}
	while ((rc = cg_stmt_fetch(st)) == 1 && n < MAX_MIGRATIONS) {
		int64_t ver = 0;

		cg_stmt_i64(st, 0, &ver);
		v[n].version = (int)ver;
		snprintf(v[n].name, sizeof(v[n].name), "%s", cg_stmt_str(st, 1));
		snprintf(v[n].sum, sizeof(v[n].sum), "%s", cg_stmt_str(st, 2));
		snprintf(v[n].status, sizeof(v[n].status), "%s", cg_stmt_str(st, 3));
		cg_stmt_i64(st, 4, &v[n].done);
		n++;
	}
	cg_stmt_close(st);
	if (rc < 0) {
		snprintf(err, errlen, "reading schema_migrations: %s", cg_db_error(db));
		free(v);
		return -1;
	}
	*out = v;
	*count = n;
	return 0;
}

struct script {
	struct cg_db *db;
	const char *name;
	unsigned int index;       /* statements seen */
	unsigned int skip;        /* statements already done (resume) */
	const char *record;       /* migration version to record progress, or NULL */
	int version;
	char *err;
	size_t errlen;
};

static int
run_stmt(const char *sql, size_t len, unsigned int line, void *arg)
{
	struct script *s = arg;
	char *copy;
	int rc;

	s->index++;
	if (s->index <= s->skip)
		return 0;
	if ((copy = strndup(sql, len)) == NULL) {
		snprintf(s->err, s->errlen, "out of memory");
		return -1;
	}
	rc = cg_db_exec(s->db, copy);
	free(copy);
	if (rc != 0) {
		snprintf(s->err, s->errlen, "%s:%u: statement %u failed: %s (errno %u)",
		    s->name, line, s->index, cg_db_error(s->db), cg_db_errno(s->db));
		return -1;
	}
	if (s->record != NULL && cg_db_run(s->db, "UPDATE schema_migrations SET "
	    "statements_done = ? WHERE version = ?", "ii", (int64_t)s->index,
	    (int64_t)s->version) < 0) {
		snprintf(s->err, s->errlen, "%s: cannot record progress: %s", s->name,
		    cg_db_error(s->db));
		return -1;
	}
	return 0;
}

static int
count_stmt(const char *sql, size_t len, unsigned int line, void *arg)
{
	(void)sql;
	(void)len;
	(void)line;
	(*(unsigned int *)arg)++;
	return 0;
}

static char *
read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    n > 64L * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		goto out;
	}
	if ((buf = malloc((size_t)n + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: cannot read", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

int
cg_db_apply_script(struct cg_db *db, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct script s = { db, name, 0, 0, NULL, 0, err, errlen };
	char serr[256] = "";
	int rc;

	rc = cg_sql_split(text, len, run_stmt, &s, serr, sizeof(serr));
	/* A syntax problem of the script itself (not a failed statement). */
	if (rc != 0 && serr[0] != '\0')
		snprintf(err, errlen, "%s: %s", name, serr);
	return rc == 0 ? 0 : -1;
}

int
cg_db_apply_file(struct cg_db *db, const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	int rc;

	if ((text = read_file(path, &len, err, errlen)) == NULL)
		return -1;
	rc = cg_db_apply_script(db, path, text, len, err, errlen);
	free(text);
	return rc;
}

/* Applies one file, from statement `skip` on, recording progress. */
static int
apply_one(struct cg_db *db, const struct mfile *f, int64_t skip, bool resume,
    char *err, size_t errlen)
{
	struct script s = { db, f->name, 0, (unsigned int)skip, "", f->version, err, errlen };
	char serr[256] = "";
	unsigned int total = 0;
	int64_t t0 = cg_mono_ms(), now = cg_now_ms();
	size_t len = 0;
	char *text;
	int rc = -1;

	if ((text = read_file(f->path, &len, err, errlen)) == NULL)
		return -1;
	if (cg_sql_split(text, len, count_stmt, &total, serr, sizeof(serr)) != 0) {
		snprintf(err, errlen, "%s: %s", f->name, serr);
		goto out;
	}
	if (resume) {
		cg_info("db", "resuming migration=%s at statement=%" PRId64 " of %u",
		    f->name, skip + 1, total);
		rc = (int)cg_db_run(db, "UPDATE schema_migrations SET status = 'running', "
		    "error = NULL, statements_total = ?, started_at = ? WHERE version = ?",
		    "iti", (int64_t)total, now, (int64_t)f->version);
	} else {
		cg_info("db", "applying migration=%s statements=%u", f->name, total);
		rc = (int)cg_db_run(db, "INSERT INTO schema_migrations (version, name, "
		    "checksum, status, statements_total, statements_done, applied_by, "
		    "started_at) VALUES (?, ?, ?, 'running', ?, 0, CURRENT_USER(), ?)",
		    "issit", (int64_t)f->version, f->name, f->sum, (int64_t)total, now);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot record it in schema_migrations: %s",
		    f->name, cg_db_error(db));
		rc = -1;
		goto out;
	}
	serr[0] = '\0';
	rc = cg_sql_split(text, len, run_stmt, &s, serr, sizeof(serr));
	if (rc != 0) {
		/* DDL already committed stays: mark the migration as failed. */
		(void)cg_db_run(db, "UPDATE schema_migrations SET status = 'failed', "
		    "error = ?, finished_at = ? WHERE version = ?", "sti", err,
		    cg_now_ms(), (int64_t)f->version);
		cg_error("db", "migration failed migration=%s error=\"%s\"", f->name, err);
		rc = -1;
		goto out;
	}
	if (cg_db_run(db, "UPDATE schema_migrations SET status = 'applied', "
	    "error = NULL, finished_at = ?, execution_ms = ? WHERE version = ?",
	    "tii", cg_now_ms(), cg_mono_ms() - t0, (int64_t)f->version) < 0) {
		snprintf(err, errlen, "%s: cannot record it as applied: %s", f->name,
		    cg_db_error(db));
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

static const struct mrow *
find_row(const struct mrow *rows, int n, int version)
{
	int i;

	for (i = 0; i < n; i++) {
		if (rows[i].version == version)
			return &rows[i];
	}
	return NULL;
}

static const struct mfile *
find_file(const struct mfile *files, int n, int version)
{
	int i;

	for (i = 0; i < n; i++) {
		if (files[i].version == version)
			return &files[i];
	}
	return NULL;
}

/* Refuses applied rows whose file changed or vanished. */
static int
verify_applied(const struct mfile *files, int nf, const struct mrow *rows,
    int nr, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < nr; i++) {
		const struct mfile *f = find_file(files, nf, rows[i].version);

		if (f == NULL) {
			snprintf(err, errlen, "migration %04d (%s) is applied to the "
			    "database but unknown to this build: the database is newer "
			    "than this program or the file was removed",
			    rows[i].version, rows[i].name);
			return -1;
		}
		if (strcmp(f->sum, rows[i].sum) != 0) {
			snprintf(err, errlen, "migration %s changed after it was applied "
			    "(checksum in database %.12s…, file %.12s…): applied "
			    "migrations must never change; restore it and add a new "
			    "migration instead", f->name, rows[i].sum, f->sum);
			return -1;
		}
	}
	return 0;
}

static int
lock_migrations(struct cg_db *db, char *err, size_t errlen)
{
	int64_t got = 0;

	/* A named lock per database, held by this connection while it runs. */
	if (cg_db_query_i64(db, &got, "SELECT GET_LOCK(CONCAT('cryptic-gateway:"
	    "migrate:', DATABASE()), ?)", "i", (int64_t)LOCK_WAIT_S) != 1 || got != 1) {
		snprintf(err, errlen, "another migration has held the lock for over "
		    "%d s (or the lock failed: %s)", LOCK_WAIT_S, cg_db_error(db));
		return -1;
	}
	return 0;
}

static void
unlock_migrations(struct cg_db *db)
{
	int64_t r;

	(void)cg_db_query_i64(db, &r, "SELECT RELEASE_LOCK(CONCAT('cryptic-gateway:"
	    "migrate:', DATABASE()))", NULL);
}

int
cg_db_migrate_conn(struct cg_db *db, const char *dir, int *applied, char *err,
    size_t errlen)
{
	struct mfile *files = NULL;
	struct mrow *rows = NULL;
	int nf = 0, nr = 0, i, done = 0, maxv = 0, rc = -1;

	if (applied != NULL)
		*applied = 0;
	if (list_files(dir, &files, &nf, err, errlen) != 0)
		return -1;
	if (lock_migrations(db, err, errlen) != 0)
		goto out_nolock;
	if (cg_db_exec(db, cg_migrations_table) != 0) {
		snprintf(err, errlen, "cannot create schema_migrations: %s",
		    cg_db_error(db));
		goto out;
	}
	if (read_rows(db, &rows, &nr, err, errlen) != 0 ||
	    verify_applied(files, nf, rows, nr, err, errlen) != 0)
		goto out;
	for (i = 0; i < nr; i++) {
		if (strcmp(rows[i].status, "applied") == 0 && rows[i].version > maxv)
			maxv = rows[i].version;
	}
	for (i = 0; i < nf; i++) {
		const struct mrow *r = find_row(rows, nr, files[i].version);

		if (r != NULL && strcmp(r->status, "applied") == 0)
			continue;
		if (files[i].version < maxv) {
			snprintf(err, errlen, "migration %s is not applied but the newer "
			    "%04d is: migrations must be added with higher numbers only",
			    files[i].name, maxv);
			goto out;
		}
		/* 'running' left by a killed runner (we hold the lock): resume. */
		if (apply_one(db, &files[i], r != NULL ? r->done : 0, r != NULL,
		    err, errlen) != 0)
			goto out;
		done++;
		maxv = files[i].version;
	}
	if (done > 0)
		cg_info("db", "migrations applied count=%d version=%d", done, maxv);
	if (applied != NULL)
		*applied = done;
	rc = 0;
out:
	unlock_migrations(db);
out_nolock:
	free(files);
	free(rows);
	return rc;
}

static bool
valid_db_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return i > 0 && i <= 64;
}

/* Creates the database named in p if it is missing (first installation). */
static int
create_database(const struct cg_db_params *p, char *err, size_t errlen)
{
	char sql[160];
	MYSQL *my;
	unsigned int ct = p->connect_timeout_s ? p->connect_timeout_s : 5;
	bool sock = p->socket != NULL && *p->socket != '\0';
	int rc = -1;

	if (!valid_db_name(p->database)) {
		snprintf(err, errlen, "database name \"%s\" must be letters, digits "
		    "and underscores", p->database);
		return -1;
	}
	if ((my = mysql_init(NULL)) == NULL)
		return -1;
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	if (mysql_real_connect(my, sock ? NULL : p->host, p->user, p->password,
	    NULL, p->port, sock ? p->socket : NULL, 0) == NULL) {
		snprintf(err, errlen, "cannot connect: %s", mysql_error(my));
		goto out;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `%s` "
	    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", p->database);
	if (mysql_query(my, sql) != 0) {
		snprintf(err, errlen, "cannot create database %s: %s", p->database,
		    mysql_error(my));
		goto out;
	}
	cg_info("db", "created database=%s", p->database);
	rc = 0;
out:
	mysql_close(my);
	return rc;
}

int
cg_db_migrate(const struct cg_db_params *p, const char *dir, char *err,
    size_t errlen)
{
	struct cg_db *db;
	int rc;

	if ((db = cg_db_open(p, err, errlen)) == NULL) {
		if (p == NULL || p->database == NULL || strstr(err, "Unknown database") == NULL)
			return -1;
		if (create_database(p, err, errlen) != 0 ||
		    (db = cg_db_open(p, err, errlen)) == NULL)
			return -1;
	}
	rc = cg_db_migrate_conn(db, dir, NULL, err, errlen);
	cg_db_close(db);
	return rc;
}

int
cg_db_schema_status(struct cg_db *db, const char *dir,
    struct cg_schema_status *out, char *err, size_t errlen)
{
	struct mfile *files = NULL;
	struct mrow *rows = NULL;
	int nf = 0, nr = 0, i, trc;
	char verr[512];

	memset(out, 0, sizeof(*out));
	out->required = CG_SCHEMA_VERSION;
	if (dir != NULL && list_files(dir, &files, &nf, err, errlen) != 0)
		return -1;
	if (!table_exists(db, "schema_migrations", &trc)) {
		if (trc < 0) {
			snprintf(err, errlen, "%s", cg_db_error(db));
			free(files);
			return -1;
		}
	} else if (read_rows(db, &rows, &nr, err, errlen) != 0) {
		free(files);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		if (strcmp(rows[i].status, "applied") == 0) {
			out->applied_count++;
			if (rows[i].version > out->applied_version)
				out->applied_version = rows[i].version;
		} else if (out->failed_version == 0) {
			out->failed_version = rows[i].version;
		}
	}
	for (i = 0; i < nf; i++) {
		const struct mrow *r = find_row(rows, nr, files[i].version);

		if (files[i].version > out->available_version)
			out->available_version = files[i].version;
		if (r == NULL || strcmp(r->status, "applied") != 0)
			out->pending_count++;
	}
	if (dir != NULL && verify_applied(files, nf, rows, nr, verr, sizeof(verr)) != 0) {
		out->checksum_mismatch = true;
		snprintf(out->message, sizeof(out->message), "%s", verr);
	} else if (out->failed_version != 0) {
		snprintf(out->message, sizeof(out->message), "migration %04d stopped "
		    "part-way; fix the cause and run cryptic-gatewayd --migrate again",
		    out->failed_version);
	} else if (out->applied_version < out->required) {
		snprintf(out->message, sizeof(out->message), "database schema is at "
		    "version %d, this build needs %d: run cryptic-gatewayd --migrate",
		    out->applied_version, out->required);
	} else if (out->pending_count > 0) {
		snprintf(out->message, sizeof(out->message), "%d migration(s) pending",
		    out->pending_count);
	}
	out->ok = !out->checksum_mismatch && out->failed_version == 0 &&
	    out->applied_version >= out->required;
	free(files);
	free(rows);
	return 0;
}

int
cg_db_schema_check(struct cg_db *db, int required, char *err, size_t errlen)
{
	struct cg_schema_status s;

	if (cg_db_schema_status(db, NULL, &s, err, errlen) != 0)
		return -1;
	if (s.failed_version != 0) {
		snprintf(err, errlen, "%s", s.message);
		return -1;
	}
	if (s.applied_version < required) {
		snprintf(err, errlen, "database schema is at version %d, this build "
		    "needs %d: run cryptic-gatewayd --migrate", s.applied_version,
		    required);
		return -1;
	}
	return 0;
}
