/*
 * TEST SUPPORT ONLY: walks the publicly known test wallets whose keys the
 * gateway must recognise (see cgc_xpub_is_test_key), calling fn with
 * every (depth, fingerprint) entry of the table.
 */
#ifndef CGT_TESTWALLETS_H
#define CGT_TESTWALLETS_H

#include <stdint.h>

typedef void cgt_walk_fn(uint8_t depth, const uint8_t fp[4], void *arg);

extern const char *const cgt_test_mnemonics[];
extern const char *const cgt_test_seeds_hex[];

int cgt_test_wallet_walk(cgt_walk_fn *fn, void *arg);

#endif
