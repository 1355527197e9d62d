#include "db/testkeys.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "db/db.h"

/* Derived from the BIP39 mnemonic "abandon abandon abandon abandon abandon
 * abandon abandon abandon abandon abandon abandon about" (no passphrase).
 * Checked against BIP84's published zpub and first addresses
 * bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu (m/84'/0'/0'/0/0),
 * 0x9858EfFD232B4033E47d90003D41EC34EcaEda94 (m/44'/60'/0'/0/0) and
 * TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH (m/44'/195'/0'/0/0). */
const char *const cg_test_xpubs[] = {
	/* m/84'/0'/0' (BIP84 Bitcoin), zpub as published in BIP84 */
	"zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs",
	/* m/84'/1'/0' (BIP84 Bitcoin testnet) */
	"vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc",
	/* m/44'/60'/0' (Ethereum and every EVM chain) */
	"xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt",
	/* m/44'/195'/0' (TRON) */
	"xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd",
	/* m/84'/2'/0' (Litecoin native SegWit) */
	"zpub6rPo5mF47z5coVm5rvWv7fv181awb7Vckn5Cf3xQXBVKu18kuBHDhNi1Jrb4br6vVD3ZbrnXemEsWJoR18mZwkUdzwD8TQnHDUCGxqZ6swA",
	NULL,
};

static const char b58_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Base58Check-decodes an extended key into its 78 bytes; 0 or -1. */
static int
decode_xkey(const char *s, unsigned char out[78])
{
	unsigned char buf[82], h1[32], h2[32];
	unsigned int hl;
	size_t i, j, n = strlen(s);

	if (n < 100 || n > 120)
		return -1;
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < n; i++) {
		const char *p = strchr(b58_alphabet, s[i]);
		unsigned int carry;

		if (p == NULL || s[i] == '\0')
			return -1;
		carry = (unsigned int)(p - b58_alphabet);
		for (j = sizeof(buf); j-- > 0;) {
			carry += 58u * buf[j];
			buf[j] = (unsigned char)(carry & 0xff);
			carry >>= 8;
		}
		if (carry != 0)
			return -1;
	}
	if (EVP_Digest(buf, 78, h1, &hl, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(h1, 32, h2, &hl, EVP_sha256(), NULL) != 1 ||
	    memcmp(h2, buf + 78, 4) != 0)
		return -1;
	memcpy(out, buf, 78);
	return 0;
}

bool
cg_testkey_is_known(const char *xpub)
{
	unsigned char a[78], b[78];
	size_t i;

	if (xpub == NULL || decode_xkey(xpub, a) != 0)
		return false;
	for (i = 0; cg_test_xpubs[i] != NULL; i++) {
		/* Chain code and key (bytes 13..77): the version may differ. */
		if (decode_xkey(cg_test_xpubs[i], b) == 0 &&
		    memcmp(a + 13, b + 13, 65) == 0)
			return true;
	}
	return false;
}

int
cg_testkey_guard(bool development, bool network_testnet, const char *xpub,
    char *err, size_t errlen)
{
	if (development || network_testnet || !cg_testkey_is_known(xpub))
		return 0;
	snprintf(err, errlen, "a mainnet network is configured with a well-known "
	    "test key (the public BIP39 test mnemonic): anyone can spend from its "
	    "addresses; refusing outside development mode");
	return -1;
}

int
cg_db_check_test_keys(struct cg_db *db, bool development, char *err,
    size_t errlen)
{
	struct cg_stmt *st;
	int rc, result = 0;

	if (development)
		return 0;
	st = cg_db_query(db,
	    "SELECT n.code, w.merchant_id, w.xpub FROM wallets w "
	    "JOIN networks n ON n.id = w.network_id "
	    "WHERE n.is_testnet = 0 AND n.status = 'ACTIVE' AND w.xpub IS NOT NULL "
	    "UNION ALL "
	    "SELECT n.code, c.merchant_id, c.xpub FROM address_counters c "
	    "JOIN networks n ON n.id = c.network_id "
	    "WHERE n.is_testnet = 0 AND n.status = 'ACTIVE'", NULL);
	if (st == NULL) {
		snprintf(err, errlen, "checking keys: %s", cg_db_error(db));
		return -1;
	}
	while ((rc = cg_stmt_fetch(st)) == 1) {
		char why[256];

		if (cg_testkey_guard(false, false, cg_stmt_str(st, 2), why,
		    sizeof(why)) != 0) {
			snprintf(err, errlen, "network %s, merchant %s: %s",
			    cg_stmt_str(st, 0), cg_stmt_str(st, 1), why);
			result = -1;
			break;
		}
	}
	cg_stmt_close(st);
	if (rc < 0) {
		snprintf(err, errlen, "checking keys: %s", cg_db_error(db));
		return -1;
	}
	return result;
}
