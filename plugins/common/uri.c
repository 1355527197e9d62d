/*
 * Payment URIs. Output is assembled in a bounded writer that keeps counting
 * past the end of the buffer, so one pass gives either the string or the
 * exact size needed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/address.h"
#include "common/uri.h"

struct wbuf {
	char *out;
	size_t size;
	size_t len;		/* bytes that would have been written */
};

static void
w_char(struct wbuf *w, char c)
{
	if (w->out != NULL && w->len + 1 < w->size)
		w->out[w->len] = c;
	w->len++;
}

static void
w_str(struct wbuf *w, const char *s)
{
	for (; *s != '\0'; s++)
		w_char(w, *s);
}

/* NUL-terminates and reports; the buffer is left empty on -ENOSPC. */
static int
w_finish(struct wbuf *w, size_t *needed)
{
	if (needed != NULL)
		*needed = w->len + 1;
	if (w->out == NULL || w->len + 1 > w->size) {
		if (w->out != NULL && w->size > 0)
			w->out[0] = '\0';
		return -ENOSPC;
	}
	w->out[w->len] = '\0';
	return 0;
}

static int
scheme_valid(const char *s)
{
	size_t i;

	if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i > 32)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	}
	return 1;
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
address_chars_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= CGC_BTC_ADDR_MAX || !is_alnum(s[i]))
			return 0;
	return 1;
}

static void
w_pct(struct wbuf *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (is_alnum((char)c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			w_char(w, (char)c);
		} else {
			w_char(w, '%');
			w_char(w, hex[c >> 4]);
			w_char(w, hex[c & 0x0f]);
		}
	}
}

int
cgc_uri_bip21(const char *scheme, const char *address,
    const char *amount_units, const char *label, const char *message,
    char *out, size_t outsz, size_t *needed)
{
	struct wbuf w = { out, outsz, 0 };
	char coins[CGC_UNITS_MAX_DIGITS + 3], sep = '?';

	if (!scheme_valid(scheme) || !address_chars_valid(address))
		return -EINVAL;
	if (amount_units != NULL && (strcmp(amount_units, "0") == 0 ||
	    cgc_units_to_decimal(amount_units, CGC_BIP21_DECIMALS, coins,
	    sizeof(coins), NULL) != 0))
		return -EINVAL;
	w_str(&w, scheme);
	w_char(&w, ':');
	w_str(&w, address);
	if (amount_units != NULL) {
		w_str(&w, "?amount=");
		w_str(&w, coins);
		sep = '&';
	}
	if (label != NULL && label[0] != '\0') {
		w_char(&w, sep);
		w_str(&w, "label=");
		w_pct(&w, label);
		sep = '&';
	}
	if (message != NULL && message[0] != '\0') {
		w_char(&w, sep);
		w_str(&w, "message=");
		w_pct(&w, message);
	}
	return w_finish(&w, needed);
}

/* "ethereum:" + EIP-55 address + "@" + chain id. */
static int
w_eth_target(struct wbuf *w, const char *address, uint64_t chain_id)
{
	uint8_t a[CGC_EVM_ADDR_LEN];
	char s[CGC_EVM_ADDR_STRLEN], id[24];

	if (chain_id == 0 || cgc_evm_address_parse(address, a) != 0)
		return -EINVAL;
	cgc_evm_address_format(a, s);
	snprintf(id, sizeof(id), "%" PRIu64, chain_id);
	w_str(w, "ethereum:");
	w_str(w, s);
	w_char(w, '@');
	w_str(w, id);
	return 0;
}

int
cgc_uri_eip681_native(const char *address, uint64_t chain_id,
    const char *wei, char *out, size_t outsz, size_t *needed)
{
	struct wbuf w = { out, outsz, 0 };

	if (wei != NULL && !cgc_units_valid(wei))
		return -EINVAL;
	if (w_eth_target(&w, address, chain_id) != 0)
		return -EINVAL;
	if (wei != NULL) {
		w_str(&w, "?value=");
		w_str(&w, wei);
	}
	return w_finish(&w, needed);
}

int
cgc_uri_eip681_erc20(const char *contract, uint64_t chain_id, const char *to,
    const char *units, char *out, size_t outsz, size_t *needed)
{
	struct wbuf w = { out, outsz, 0 };
	uint8_t a[CGC_EVM_ADDR_LEN];
	char s[CGC_EVM_ADDR_STRLEN];

	if (!cgc_units_valid(units) || cgc_evm_address_parse(to, a) != 0)
		return -EINVAL;
	if (w_eth_target(&w, contract, chain_id) != 0)
		return -EINVAL;
	cgc_evm_address_format(a, s);
	w_str(&w, "/transfer?address=");
	w_str(&w, s);
	w_str(&w, "&uint256=");
	w_str(&w, units);
	return w_finish(&w, needed);
}

int
cgc_uri_tron(const char *address, char *out, size_t outsz, size_t *needed)
{
	struct wbuf w = { out, outsz, 0 };

	if (cgc_tron_address_parse(address, NULL) != 0)
		return -EINVAL;
	w_str(&w, address);
	return w_finish(&w, needed);
}
