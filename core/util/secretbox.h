/*
 * Secrets at rest: AES-256-GCM under a master key read from a file.
 *
 * A sealed secret is one line of ASCII, safe for a VARCHAR column:
 *   v1:<key id, 16 hex>:<nonce, base64 of 12 bytes>:<base64 of ct ‖ tag>
 * The key id is the first 8 bytes of SHA-256(key), so the box names the key
 * that sealed it. The GCM associated data is "v1:<key id>:" followed by the
 * caller's context, which must be the row id (and may say the column): a
 * box copied to another row, or rewritten under another key id, does not
 * open. Nonces are 96 random bits per seal; a key is meant for far fewer
 * than 2^32 seals (secrets are sealed when created or rotated, not often).
 *
 * Rotation: a box holds the current key and optionally the previous one.
 * Sealing always uses the current key; opening accepts either, and
 * cg_secretbox_is_current() tells which rows to re-seal.
 *
 * Key file policy: a regular file holding exactly 32 raw bytes, or 64 hex
 * characters with an optional final newline. The file is refused when
 * anyone but its owner and group can read it, or when its group can write
 * it (mode & 027): 0600 and 0640 (root:gateway-group, as packages install
 * it) are accepted. An all-zero key is refused. To make one:
 *   umask 077; openssl rand -hex 32 > /etc/cryptic-gateway/master.key
 * To rotate: the new key becomes current, the old one previous; rows whose
 * box is not current (cg_secretbox_is_current() == 0) are opened and sealed
 * again; then the previous key can go.
 *
 * Errors (negative errno): -EINVAL malformed box or argument, -ENOKEY the
 * box names a key this box does not hold, -EBADMSG authentication failed
 * (tampered, wrong row, wrong key), -ENOSPC output too small, -EPERM key
 * file mode, -EIO OpenSSL or read failure (logged).
 *
 * A box is never changed after cg_secretbox_new: seal and open may be
 * called on one box from any number of threads at once.
 */
#ifndef CG_UTIL_SECRETBOX_H
#define CG_UTIL_SECRETBOX_H

#include <stddef.h>
#include <stdint.h>

#define CG_SECRETBOX_KEY_LEN 32
#define CG_SECRETBOX_KEYID_HEX 16

struct cg_secretbox;

/* Reads a master key file under the policy above. 0 or negative errno. */
int cg_secretbox_read_key(const char *path, uint8_t key[CG_SECRETBOX_KEY_LEN]);

/*
 * A box over the current key and an optional previous key (NULL when none;
 * -EINVAL when both are the same key). The keys are copied.
 */
int cg_secretbox_new(const uint8_t cur[CG_SECRETBOX_KEY_LEN],
    const uint8_t *prev, struct cg_secretbox **out);
/* Same, from key files (prev_path may be NULL). */
int cg_secretbox_from_files(const char *cur_path, const char *prev_path,
    struct cg_secretbox **out);
/* Wipes the keys and frees. NULL is fine. */
void cg_secretbox_free(struct cg_secretbox *box);

/* The current key's id, 16 hex characters + NUL. */
void cg_secretbox_key_id(const struct cg_secretbox *box,
    char out[CG_SECRETBOX_KEYID_HEX + 1]);

/* Characters (without NUL) of a sealed n-byte secret. */
size_t cg_secretbox_sealed_len(size_t n);

/*
 * Seals n bytes under the current key, with `context` (the row id) bound
 * in. Writes the NUL-terminated text to out; returns its length.
 */
int cg_secretbox_seal(const struct cg_secretbox *box, const char *context,
    const void *secret, size_t n, char *out, size_t size);

/*
 * Opens a sealed text of len characters bound to `context`; writes the
 * secret to out and returns its length. Nothing is left in out on failure.
 */
int cg_secretbox_open(const struct cg_secretbox *box, const char *context,
    const char *sealed, size_t len, void *out, size_t size);

/*
 * 1 when the sealed text names the current key, 0 when it names the
 * previous one (re-seal it), -ENOKEY or -EINVAL otherwise. Does not
 * authenticate: cg_secretbox_open does.
 */
int cg_secretbox_is_current(const struct cg_secretbox *box, const char *sealed,
    size_t len);

#endif
