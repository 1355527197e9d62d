/*
 * Primary keys: collision-resistant, non-guessable string ids in the style
 * of cuid. 25 lowercase base36 characters:
 *
 *   'c' | 8 time (ms since the epoch) | 4 counter | 12 random
 *
 * The time part keeps ids roughly ordered (good for InnoDB inserts); the
 * counter separates ids made in one millisecond by one process; the random
 * part (from OpenSSL's RAND_bytes, about 62 bits) makes them unguessable
 * and separates processes and machines. Nothing sequential is exposed.
 */
#ifndef CG_UTIL_ID_H
#define CG_UTIL_ID_H

#include <stdbool.h>
#include <stddef.h>

#define CG_ID_LEN 25
#define CG_ID_SIZE (CG_ID_LEN + 1)

/* Writes a new id and its NUL into out. Returns 0, or -1 when the random
 * generator fails (then out holds an empty string). Thread-safe. */
int cg_id_new(char out[CG_ID_SIZE]);

/* Whether s is well formed: 'c' followed by 24 characters of [0-9a-z]. */
bool cg_id_valid(const char *s);

#endif
