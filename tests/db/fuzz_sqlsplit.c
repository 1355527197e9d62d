/* libFuzzer target: the SQL script splitter must never read out of bounds
 * or loop, whatever the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "db/sqlsplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check(const char *stmt, size_t len, unsigned int line, void *arg)
{
	const char *base = arg;

	/* Statements are slices of the input. */
	if (stmt < base || len == 0 || line == 0)
		__builtin_trap();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];

	(void)cg_sql_split((const char *)data, size, check, (void *)data, err,
	    sizeof(err));
	return 0;
}
