/*
 * gen-test-keys: test support (not installed). Prints the table of
 * plugins/common/testkeys.c: (depth, fingerprint) pairs that identify
 * extended keys of publicly known test wallets. test_testkeys.c
 * recomputes it the same way, so the table cannot drift silently.
 */
#include <stdio.h>

#include "testwallets.h"

static void
emit(uint8_t depth, const uint8_t fp[4], void *arg)
{
	(void)arg;
	printf("\t{ %u, { 0x%02x, 0x%02x, 0x%02x, 0x%02x } },\n", depth, fp[0],
	    fp[1], fp[2], fp[3]);
}

int
main(void)
{
	return cgt_test_wallet_walk(emit, NULL) == 0 ? 0 : 1;
}
