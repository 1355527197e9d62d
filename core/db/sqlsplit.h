/*
 * Splits an SQL script into statements the way the mariadb client does:
 * statements end at the current delimiter (";" unless a "DELIMITER xx"
 * line changes it, which trigger and procedure bodies need), outside
 * quotes ('…', "…", `…`) and comments (-- …, # …, / * … * /). So one
 * migration file runs the same through the runner and through `mariadb`.
 */
#ifndef CG_DB_SQLSPLIT_H
#define CG_DB_SQLSPLIT_H

#include <stddef.h>

/* Called for each statement (trimmed, delimiter removed, not terminated:
 * use len). line is the 1-based line it starts on. A non-zero return stops
 * the split and is returned. */
typedef int (*cg_sql_stmt_fn)(const char *stmt, size_t len, unsigned int line,
    void *arg);

/* 0 when the whole text was split, the callback's non-zero value, or -1 on
 * a syntax problem (unterminated quote or comment, bad DELIMITER) with a
 * message in err. */
int cg_sql_split(const char *text, size_t len, cg_sql_stmt_fn fn, void *arg,
    char *err, size_t errlen);

#endif
