/*
 * Well-known test keys: the account-level extended public keys of the
 * public BIP39 test mnemonic ("abandon" x11, "about") that the development
 * seed uses. Anyone holds their private keys, so outside development mode
 * the daemon refuses to serve a mainnet network from one of them.
 *
 * Keys are compared on their chain code and public key, so every encoding
 * of one key (xpub, ypub, zpub, tpub …) is recognised.
 */
#ifndef CG_DB_TESTKEYS_H
#define CG_DB_TESTKEYS_H

#include <stdbool.h>
#include <stddef.h>

struct cg_db;

/* The list, NULL-terminated (for docs, tests and cgctl). */
extern const char *const cg_test_xpubs[];

/* Whether xpub is (an encoding of) a well-known test key. */
bool cg_testkey_is_known(const char *xpub);

/* The rule: 0 when a network may be served with this key, -1 (message in
 * err) for a mainnet network and a test key outside development mode. */
int cg_testkey_guard(bool development, bool network_testnet,
    const char *xpub, char *err, size_t errlen);

/* Applies the rule to every active mainnet network's wallets and
 * derivation counters in the database. 0: fine; -1: refused or database
 * error (message in err). */
int cg_db_check_test_keys(struct cg_db *db, bool development, char *err,
    size_t errlen);

#endif
