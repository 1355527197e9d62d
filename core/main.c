/*
 * cryptic-gatewayd: command line, one-shot administration (--check-config,
 * --migrate, --seed) and the hand-over to the running daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cryptic/plugin.h>

#include "cg_build_config.h"
#include "config/config.h"
#include "db/db.h"
#include "db/migrate.h"
#include "plugins/registry.h"
#include "runtime/daemon.h"
#include "util/log.h"

#define EXIT_CONFIG 2
#define SCHEMA_DIR_ENV "CRYPTIC_GATEWAY_SCHEMA_DIR"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cryptic-gatewayd [-c FILE] [--check-config] [--migrate]\n"
	    "                        [--seed PATH] [--schema-dir DIR]\n"
	    "                        [--db-user USER] [--db-password-file FILE]\n"
	    "                        [--version] [--help]\n"
	    "\n"
	    "  -c, --config FILE        configuration (default %s/cryptic-gateway.yaml)\n"
	    "      --check-config       validate the configuration and the plugins' settings, then exit\n"
	    "      --migrate            apply pending schema migrations, then exit\n"
	    "      --seed PATH          apply development data (a .sql file or a folder of them);\n"
	    "                           only with daemon.development: true\n"
	    "      --schema-dir DIR     folder holding migrations/ (default $%s or %s/schema)\n"
	    "      --db-user USER       database user for --migrate and --seed (an admin)\n"
	    "      --db-password-file F its password\n"
	    "      --version            print the version and exit\n"
	    "  -h, --help               this text\n"
	    "\n"
	    "Runs in the foreground; logs to stderr. SIGHUP reloads the configuration,\n"
	    "SIGTERM stops gracefully. Exit status: 0 ok, 1 failure, 2 bad configuration.\n",
	    CG_SYSCONFDIR, SCHEMA_DIR_ENV, CG_PKGDATADIR);
}

static char *
read_secret_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[512];
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return strdup(buf);
}

static int
is_sql_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0 &&
	    e->d_name[0] != '.';
}

/* A file, or every *.sql of a folder in name order. */
static int
seed(const struct cg_db_params *p, const char *path)
{
	struct dirent **list = NULL;
	struct stat st;
	char err[1024], file[4096];
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (cg_db_seed(p, path, err, sizeof(err)) != 0) {
			fprintf(stderr, "seed: %s\n", err);
			return 1;
		}
		return 0;
	}
	n = scandir(path, &list, is_sql_file, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", path, list[i]->d_name);
		if (rc == 0 && cg_db_seed(p, file, err, sizeof(err)) != 0) {
			fprintf(stderr, "seed: %s\n", err);
			rc = 1;
		} else if (rc == 0) {
			cg_info("seed", "applied %s", file);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "migrate", no_argument, NULL, 'M' },
		{ "seed", required_argument, NULL, 'S' },
		{ "schema-dir", required_argument, NULL, 'D' },
		{ "db-user", required_argument, NULL, 'U' },
		{ "db-password-file", required_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = CG_SYSCONFDIR "/cryptic-gateway.yaml";
	const char *schema_dir = getenv(SCHEMA_DIR_ENV);
	const char *seed_path = NULL, *db_user = NULL, *db_password_file = NULL;
	int check = 0, migrate = 0, c, rc;
	struct cg_config *cfg = NULL;
	struct cg_db_params dbp;
	char *db_password = NULL;
	char err[2048], migrations[4096];

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'C': check = 1; break;
		case 'M': migrate = 1; break;
		case 'S': seed_path = optarg; break;
		case 'D': schema_dir = optarg; break;
		case 'U': db_user = optarg; break;
		case 'P': db_password_file = optarg; break;
		case 'V':
			printf("cryptic-gatewayd %s (plugin ABI %d.%d)\n",
			    CG_VERSION, CG_PLUGIN_ABI_MAJOR, CG_PLUGIN_ABI_MINOR);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cryptic-gatewayd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (!schema_dir || !*schema_dir)
		schema_dir = CG_PKGDATADIR "/schema";

	if (check) {
		if (cg_config_check(config_path, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return EXIT_CONFIG;
		}
		printf("%s: configuration OK\n", config_path);
		return 0;
	}
	if (cg_config_load(config_path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (cg_db_global_init() != 0) {
		fprintf(stderr, "cannot initialise the MariaDB client library\n");
		cg_config_free(cfg);
		return 1;
	}
	if (migrate || seed_path) {
		cg_log_set_level(cfg->daemon.log_level);
		cg_daemon_db_params(cfg, &dbp);
		if (db_user)
			dbp.user = db_user;
		if (db_password_file) {
			db_password = read_secret_file(db_password_file);
			if (!db_password) {
				cg_config_free(cfg);
				return 1;
			}
			dbp.password = db_password;
		}
		rc = 0;
		snprintf(migrations, sizeof(migrations), "%s/migrations",
		    schema_dir);
		if (migrate && cg_db_migrate(&dbp, migrations, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "migrate: %s\n", err);
			rc = 1;
		}
		if (rc == 0 && seed_path) {
			if (!cfg->daemon.development) {
				fprintf(stderr, "seed: refused: development data "
				    "needs daemon.development: true\n");
				rc = 1;
			} else {
				rc = seed(&dbp, seed_path);
			}
		}
		if (db_password) {
			explicit_bzero(db_password, strlen(db_password));
			free(db_password);
		}
		cg_config_free(cfg);
		cg_db_global_end();
		return rc;
	}
	rc = cg_daemon_run(cfg, config_path, schema_dir);
	cg_db_global_end();
	return rc;
}
