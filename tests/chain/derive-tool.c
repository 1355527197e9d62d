/*
 * derive-tool: test support (not installed). Prints the deposit addresses
 * an account-level extended public key gives, one "change/index address"
 * per line, for integration tests and seed data.
 *
 *   derive-tool [-n network] [-t script] [-c change] xpub [first [count]]
 *
 *   network  evm (default), tron, bitcoin, bitcoin-testnet, bitcoin-regtest,
 *            litecoin, litecoin-testnet
 *   script   p2wpkh, p2sh-p2wpkh, p2pkh (Bitcoin family; default from the
 *            key's version: ypub/upub/Mtub give p2sh-p2wpkh, others p2wpkh)
 *   change   0 (receive, default) or another non-hardened index
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/address.h"
#include "common/bip32.h"

static void
usage(void)
{
	fprintf(stderr, "usage: derive-tool [-n network] [-t script] "
	    "[-c change] xpub [first [count]]\n");
	exit(2);
}

static int
parse_u32(const char *s, uint32_t *v)
{
	unsigned long long n;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n >= CGC_BIP32_HARDENED)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

static int
address_of(const char *network, int script, const uint8_t key[33],
    char *out, size_t outsz)
{
	const struct cgc_btc_params *p;
	uint8_t a[CGC_EVM_ADDR_LEN];

	if (strcmp(network, "evm") == 0) {
		if (outsz < CGC_EVM_ADDR_STRLEN ||
		    cgc_evm_address_from_pubkey(key, 33, a) != 0)
			return -1;
		return cgc_evm_address_format(a, out);
	}
	if (strcmp(network, "tron") == 0)
		return outsz < CGC_TRON_ADDR_STRLEN ? -1 :
		    cgc_tron_address_from_pubkey(key, 33, out);
	p = cgc_btc_params_by_name(network);
	if (p == NULL)
		return -1;
	return cgc_btc_address_from_pubkey(p, script, key, out, outsz, NULL);
}

int
main(int argc, char **argv)
{
	const char *network = "evm", *script_name = NULL, *why = "";
	const struct cgc_xkey_version *v;
	struct cgc_xpub acct, chain;
	uint32_t change = 0, first = 0, count = 1, i;
	uint8_t key[33];
	char addr[CGC_BTC_ADDR_MAX];
	int ch, script, rc;

	while ((ch = getopt(argc, argv, "n:t:c:h")) != -1) {
		switch (ch) {
		case 'n':
			network = optarg;
			break;
		case 't':
			script_name = optarg;
			break;
		case 'c':
			if (parse_u32(optarg, &change) != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 3)
		usage();
	if ((argc >= 2 && parse_u32(argv[1], &first) != 0) ||
	    (argc == 3 && (parse_u32(argv[2], &count) != 0 || count == 0)))
		usage();
	rc = cgc_xpub_parse(argv[0], &acct, &why);
	if (rc != 0) {
		fprintf(stderr, "derive-tool: bad extended public key: %s\n",
		    why);
		return 1;
	}
	v = cgc_xkey_version_by_pub(acct.version);
	script = v->script == CGC_SCRIPT_P2SH_P2WPKH ?
	    CGC_BTC_KEY_P2SH_P2WPKH : CGC_BTC_KEY_P2WPKH;
	if (script_name != NULL) {
		if (strcmp(script_name, "p2wpkh") == 0)
			script = CGC_BTC_KEY_P2WPKH;
		else if (strcmp(script_name, "p2sh-p2wpkh") == 0)
			script = CGC_BTC_KEY_P2SH_P2WPKH;
		else if (strcmp(script_name, "p2pkh") == 0)
			script = CGC_BTC_KEY_P2PKH;
		else
			usage();
	}
	if (cgc_xpub_child(&acct, change, &chain, &why) != 0) {
		fprintf(stderr, "derive-tool: change %u: %s\n", change, why);
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (first + i >= CGC_BIP32_HARDENED)
			break;
		rc = cgc_xpub_child_key(&chain, first + i, key);
		if (rc == -ERANGE)
			continue;	/* no key at this index: skipped */
		if (rc != 0 || address_of(network, script, key, addr,
		    sizeof(addr)) != 0) {
			fprintf(stderr, "derive-tool: cannot derive %u/%u on "
			    "%s\n", change, first + i, network);
			return 1;
		}
		printf("%u/%u %s\n", change, first + i, addr);
	}
	return 0;
}
