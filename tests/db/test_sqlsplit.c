/* The SQL script splitter: delimiters, quotes, comments, errors. */
#include <string.h>

#include <criterion/criterion.h>

#include "db/sqlsplit.h"

struct got {
	int n;
	char s[16][256];
	unsigned int line[16];
};

static int
collect(const char *stmt, size_t len, unsigned int line, void *arg)
{
	struct got *g = arg;

	cr_assert(g->n < 16 && len < 256);
	memcpy(g->s[g->n], stmt, len);
	g->s[g->n][len] = '\0';
	g->line[g->n] = line;
	g->n++;
	return 0;
}

static struct got
split(const char *text, int expect_rc)
{
	struct got g;
	char err[128] = "";

	memset(&g, 0, sizeof(g));
	cr_assert_eq(cg_sql_split(text, strlen(text), collect, &g, err, sizeof(err)),
	    expect_rc, "%s", err);
	return g;
}

Test(sqlsplit, plain_statements_and_comments)
{
	struct got g = split("-- head\nSELECT 1;\n\n# other\nSELECT 'a;b' ; /* c; */ SELECT \"x;\" -- tail;\n", 0);

	cr_assert_eq(g.n, 3);
	cr_expect_str_eq(g.s[0], "-- head\nSELECT 1");
	cr_expect_str_eq(g.s[1], "# other\nSELECT 'a;b'");
	cr_expect_str_eq(g.s[2], "/* c; */ SELECT \"x;\" -- tail;");
	cr_expect_eq(g.line[0], 1);
}

Test(sqlsplit, delimiter_blocks)
{
	struct got g = split(
	    "CREATE TABLE t (i INT);\n"
	    "DELIMITER $$\n"
	    "CREATE TRIGGER x BEFORE UPDATE ON t FOR EACH ROW\nBEGIN\n"
	    "  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no;';\nEND$$\n"
	    "DELIMITER ;\n"
	    "SELECT 2;", 0);

	cr_assert_eq(g.n, 3);
	cr_expect_str_eq(g.s[0], "CREATE TABLE t (i INT)");
	cr_expect(strncmp(g.s[1], "CREATE TRIGGER x", 16) == 0);
	cr_expect(strstr(g.s[1], "'no;';\nEND") != NULL, "%s", g.s[1]);
	cr_expect_str_eq(g.s[2], "SELECT 2");
	cr_expect_eq(g.line[1], 3);
	cr_expect_eq(g.line[2], 8);
}

Test(sqlsplit, escapes_and_backticks)
{
	struct got g = split("SELECT 'it\\'s;', `we;ird`;SELECT 'a''b;'", 0);

	cr_assert_eq(g.n, 2);
	cr_expect_str_eq(g.s[0], "SELECT 'it\\'s;', `we;ird`");
	cr_expect_str_eq(g.s[1], "SELECT 'a''b;'");
}

Test(sqlsplit, only_comments_is_nothing)
{
	struct got g = split("-- nothing\n/* here */\n  \n", 0);

	cr_expect_eq(g.n, 0);
	g = split(";;;", 0);
	cr_expect_eq(g.n, 0);
}

Test(sqlsplit, errors)
{
	split("SELECT 'open", -1);
	split("SELECT 1 /* open", -1);
	split("DELIMITER\nSELECT 1", 0);
	split("DELIMITER $$ extra\nSELECT 1", -1);
	split("DELIMITER '\nSELECT 1", -1);
	split("DELIMITER \x01\nSELECT 1", -1);
}

Test(sqlsplit, delimiter_with_a_nul_is_refused)
{
	/* Found by the fuzzer: a NUL made the delimiter empty (endless loop). */
	static const char text[] = "DELIMITER \0;G$$\nSELECT 1;\n";
	struct got g;
	char err[128];

	memset(&g, 0, sizeof(g));
	cr_expect_eq(cg_sql_split(text, sizeof(text) - 1, collect, &g, err,
	    sizeof(err)), -1);
}
