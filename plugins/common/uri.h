/*
 * Payment request URIs (what wallets scan from a QR code) and the exact
 * formatting of amounts they need.
 *
 * Amounts go in as canonical base-units strings (see amount.h). No
 * floating point anywhere.
 *
 * - BIP21: scheme ":" address ["?amount=" coins] ["&label=" ...]
 *   ["&message=" ...], the amount in whole coins with 8 decimals, written
 *   exactly and without trailing zeros ("150000000" -> "1.5"). The scheme
 *   comes from the caller ("bitcoin", "litecoin").
 * - EIP-681: "ethereum:" address "@" chainId ["?value=" wei] for the
 *   native coin; "ethereum:" contract "@" chainId "/transfer?address="
 *   recipient "&uint256=" units for an ERC-20 token. Addresses are
 *   validated and written in EIP-55 form.
 * - TRON: no common payment URI standard exists (TronLink and other
 *   wallets scan the bare address, and TIP proposals for one are not
 *   adopted), so the payment request is the validated address alone; the
 *   amount must be shown to the payer beside the QR code.
 *
 * Errors: -EINVAL bad input, -ENOSPC small buffer (*needed is the size
 * required, NUL included). Thread-safe, no allocation.
 */
#ifndef CGC_URI_H
#define CGC_URI_H

#include <stddef.h>
#include <stdint.h>

#include "common/amount.h"

#define CGC_BIP21_DECIMALS 8

/*
 * amount_units NULL: no amount; "0" is refused (a request for nothing).
 * label and message may be NULL; they are percent-encoded (RFC 3986
 * unreserved characters kept). The address must be alphanumeric (validate
 * it with the network's parser first).
 */
int cgc_uri_bip21(const char *scheme, const char *address,
    const char *amount_units, const char *label, const char *message,
    char *out, size_t outsz, size_t *needed);
/* wei NULL: no value; chain_id >= 1. */
int cgc_uri_eip681_native(const char *address, uint64_t chain_id,
    const char *wei, char *out, size_t outsz, size_t *needed);
int cgc_uri_eip681_erc20(const char *contract, uint64_t chain_id,
    const char *to, const char *units, char *out, size_t outsz,
    size_t *needed);
/* The validated TRON address itself (see above). */
int cgc_uri_tron(const char *address, char *out, size_t outsz,
    size_t *needed);

#endif
