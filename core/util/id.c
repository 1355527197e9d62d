#include "util/id.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <openssl/rand.h>

#include "util/clock.h"

static const char cg_b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static _Atomic uint32_t id_counter;
static atomic_flag id_seeded = ATOMIC_FLAG_INIT;

/* Writes v in base36 into exactly n characters (the low digits of v). */
static void
put_b36(char *out, size_t n, uint64_t v)
{
	while (n > 0) {
		out[--n] = cg_b36[v % 36];
		v /= 36;
	}
}

int
cg_id_new(char out[CG_ID_SIZE])
{
	unsigned char rnd[8];
	uint64_t r, t;
	uint32_t ctr;

	out[0] = '\0';
	if (!atomic_flag_test_and_set(&id_seeded)) {
		uint32_t start;

		/* Start the counter at a random point so it leaks no count. */
		if (RAND_bytes((unsigned char *)&start, sizeof(start)) != 1)
			return -1;
		atomic_fetch_add(&id_counter, start);
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	memcpy(&r, rnd, sizeof(r));
	t = (uint64_t)cg_now_ms();
	ctr = atomic_fetch_add(&id_counter, 1);

	out[0] = 'c';
	put_b36(out + 1, 8, t);
	put_b36(out + 9, 4, ctr % (36u * 36 * 36 * 36));
	/* 36^12 is about 2^62: the random part keeps 62 bits of r. */
	put_b36(out + 13, 12, r % 4738381338321616896ull);
	out[CG_ID_LEN] = '\0';
	return 0;
}

bool
cg_id_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] != 'c')
		return false;
	for (i = 1; i < CG_ID_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	}
	return s[CG_ID_LEN] == '\0';
}
