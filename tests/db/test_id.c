/* Ids: format, uniqueness, order by time, randomness. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "util/clock.h"
#include "util/id.h"

static int
cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

Test(id, format)
{
	char id[CG_ID_SIZE];
	int i;

	for (i = 0; i < 1000; i++) {
		cr_assert(cg_id_new(id) == 0);
		cr_assert_eq(strlen(id), CG_ID_LEN);
		cr_assert(cg_id_valid(id), "%s", id);
	}
	cr_expect(!cg_id_valid("c123"));
	cr_expect(!cg_id_valid("x000000000000000000000000"));
	cr_expect(!cg_id_valid("c00000000000000000000000A"));
	cr_expect(!cg_id_valid("c0000000000000000000000000"));
	cr_expect(!cg_id_valid(NULL));
}

Test(id, unique_among_many)
{
	enum { N = 200000 };
	char (*ids)[CG_ID_SIZE] = calloc(N, CG_ID_SIZE);
	int i;

	cr_assert(ids != NULL);
	for (i = 0; i < N; i++)
		cr_assert(cg_id_new(ids[i]) == 0);
	qsort(ids, N, CG_ID_SIZE, cmp);
	for (i = 1; i < N; i++)
		cr_assert(strcmp(ids[i - 1], ids[i]) != 0, "duplicate %s", ids[i]);
	free(ids);
}

Test(id, time_prefix_orders_and_random_part_varies)
{
	char a[CG_ID_SIZE], b[CG_ID_SIZE];

	cg_clock_set_offset_ms(0);
	cr_assert(cg_id_new(a) == 0);
	cg_clock_set_offset_ms(5000);
	cr_assert(cg_id_new(b) == 0);
	cg_clock_set_offset_ms(0);
	/* A later time sorts later (time part first). */
	cr_expect(memcmp(a, b, 9) < 0, "%s %s", a, b);
	/* The random tails differ. */
	cr_expect(memcmp(a + 13, b + 13, 12) != 0);
}
