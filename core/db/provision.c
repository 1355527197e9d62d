/*
 * The daemon's least-privilege database user (schema/provision/app-user.sql
 * holds the grants; this runs it with its inputs as session variables, so
 * no SQL is built from the user name or password here).
 */
#include "db/migrate.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "util/log.h"

static bool
valid_name(const char *s, const char *extra, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || strchr(extra, c) != NULL))
			return false;
	}
	return i > 0 && i <= max;
}

int
cg_db_provision_app_user(struct cg_db *db, const char *sql_file,
    const char *user, const char *host, const char *password, char *err,
    size_t errlen)
{
	int rc;

	if (host == NULL)
		host = "localhost";
	if (user == NULL || !valid_name(user, "-", 80) ||
	    !valid_name(host, ".-%:", 255)) {
		snprintf(err, errlen, "application user and host: letters, digits, "
		    "'_', '-' (host also '.', ':', '%%') only");
		return -1;
	}
	if (cg_db_run(db, "SET @cg_app_user = ?, @cg_app_host = ?, "
	    "@cg_app_password = ?", "sss", user, host, password) < 0) {
		snprintf(err, errlen, "provisioning: %s", cg_db_error(db));
		return -1;
	}
	rc = cg_db_apply_file(db, sql_file, err, errlen);
	(void)cg_db_exec(db, "SET @cg_app_password = NULL, @s = NULL");
	if (rc == 0)
		cg_info("db", "application user provisioned user=%s host=%s", user, host);
	return rc;
}
