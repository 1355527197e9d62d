/*
 * Arbitrary strings as extended public keys: parse must never crash, and
 * whatever it accepts must serialize back to the same string and derive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/base58.h"
#include "common/bip32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgc_xpub x, c;
	char s[256], again[CGC_XKEY_STR_MAX];
	const char *why = NULL;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	/* Raw 78-byte payloads get a valid checksum, so that the checks
	 * behind Base58Check (version, depth, key) see mutated fields. */
	if (size == CGC_XKEY_LEN) {
		if (cgc_base58check_encode(data, size, s, sizeof(s), NULL) != 0)
			abort();
		n = strlen(s);
	} else {
		memcpy(s, data, n);
		s[n] = '\0';
	}
	if (cgc_xpub_parse(s, &x, &why) != 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (cgc_xpub_format(&x, again, sizeof(again), NULL) != 0 ||
	    strcmp(again, s) != 0)
		abort();
	if (x.depth < CGC_BIP32_MAX_DEPTH &&
	    cgc_xpub_derive_path(&x, "0/1", &c, &why) == 0 &&
	    c.depth != x.depth + 2)
		abort();
	(void)cgc_xpub_derive_path(&x, s + (n > 4 ? n - 4 : 0), &c, &why);
	return 0;
}
