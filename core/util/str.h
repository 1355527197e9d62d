/*
 * Small string and encoding helpers: bounded copy, hex, base64 and
 * base64url, base62/base32 text from random bytes, constant-time compare.
 * Every writer takes the output size, NUL-terminates, and returns the
 * length written or a negative errno (-ENOSPC when too small, with nothing
 * half-written that a caller could mistake for a result: buf[0] is '\0').
 * Decoders are strict: any character outside the alphabet, odd hex length,
 * wrong padding or non-canonical trailing bits is -EINVAL.
 */
#ifndef CG_UTIL_STR_H
#define CG_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copies src into dst (size bytes), always NUL-terminated when size > 0.
 * Returns strlen(src); a result ≥ size means it was truncated (strlcpy).
 */
size_t cg_strlcpy(char *dst, const char *src, size_t size);

/* Like cg_strlcpy but refuses to truncate: length, or -ENOSPC. */
int cg_strcpy_checked(char *dst, const char *src, size_t size);

/* FNV-1a of a string: for in-memory hash tables, not for anything an
 * attacker could exploit by choosing keys that collide. */
uint32_t cg_str_hash(const char *s);

/* Constant-time equality of two n-byte buffers (CRYPTO_memcmp). */
bool cg_ct_equal(const void *a, const void *b, size_t n);

/*
 * Constant-time equality of two strings of possibly different lengths; the
 * time depends on the lengths only, never on where they differ.
 */
bool cg_ct_streq(const char *a, size_t alen, const char *b, size_t blen);

/* Value of one hex digit (either case), or -1. */
int cg_hex_digit(char c);

/* Lowercase hex of n bytes: needs 2n+1 bytes. Returns 2n or -ENOSPC. */
int cg_hex_encode(const void *data, size_t n, char *out, size_t size);
/* Hex (either case, even length) to bytes: returns bytes written. */
int cg_hex_decode(const char *hex, size_t len, void *out, size_t size);

/* Encoded length of n bytes without the NUL (padded base64 / unpadded url). */
size_t cg_base64_len(size_t n);
size_t cg_base64url_len(size_t n);

/* RFC 4648 §4 base64 with '=' padding. */
int cg_base64_encode(const void *data, size_t n, char *out, size_t size);
int cg_base64_decode(const char *s, size_t len, void *out, size_t size);
/* RFC 4648 §5 base64url without padding (padding refused on decode). */
int cg_base64url_encode(const void *data, size_t n, char *out, size_t size);
int cg_base64url_decode(const char *s, size_t len, void *out, size_t size);

#endif
