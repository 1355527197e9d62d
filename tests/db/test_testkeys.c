/* The well-known test key guard. */
#include <string.h>

#include <criterion/criterion.h>

#include "db/testkeys.h"

/* BIP32 test vector 1, chain m/0H: not the seed's key. */
static const char other_xpub[] =
    "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";
/* The seed's BIP84 key (zpub in BIP84) written with xpub version bytes. */
static const char btc_as_xpub[] =
    "xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V";

Test(testkeys, every_listed_key_is_known)
{
	int i;

	for (i = 0; cg_test_xpubs[i] != NULL; i++)
		cr_expect(cg_testkey_is_known(cg_test_xpubs[i]), "%s", cg_test_xpubs[i]);
	cr_expect_geq(i, 4);
}

Test(testkeys, other_encodings_and_other_keys)
{
	char bad[200];

	cr_expect(cg_testkey_is_known(btc_as_xpub));
	cr_expect(!cg_testkey_is_known(other_xpub));
	cr_expect(!cg_testkey_is_known(""));
	cr_expect(!cg_testkey_is_known(NULL));
	cr_expect(!cg_testkey_is_known("not a key"));
	/* One changed character breaks the checksum: not recognised. */
	strcpy(bad, cg_test_xpubs[2]);
	bad[50] = bad[50] == 'a' ? 'b' : 'a';
	cr_expect(!cg_testkey_is_known(bad));
}

Test(testkeys, guard)
{
	char err[256] = "";

	/* mainnet, production, test key: refused */
	cr_expect(cg_testkey_guard(false, false, cg_test_xpubs[0], err, sizeof(err)) != 0);
	cr_expect(strstr(err, "well-known test key") != NULL);
	/* development mode, or a testnet, or a real key: allowed */
	cr_expect(cg_testkey_guard(true, false, cg_test_xpubs[0], err, sizeof(err)) == 0);
	cr_expect(cg_testkey_guard(false, true, cg_test_xpubs[0], err, sizeof(err)) == 0);
	cr_expect(cg_testkey_guard(false, false, other_xpub, err, sizeof(err)) == 0);
}
