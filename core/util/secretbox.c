#include "util/secretbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/crypto.h"
#include "util/log.h"
#include "util/str.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define KEYID_LEN (CG_SECRETBOX_KEYID_HEX / 2)
#define PREFIX "v1:"
/* "v1:" + key id + ':' + base64(nonce) (16) + ':' */
#define HEAD_LEN (3 + CG_SECRETBOX_KEYID_HEX + 1 + 16 + 1)
/* Secrets sealed here are keys and tokens, never bulk data. */
#define MAX_SECRET 4096

struct key {
	uint8_t key[CG_SECRETBOX_KEY_LEN];
	char id[CG_SECRETBOX_KEYID_HEX + 1];
};

struct cg_secretbox {
	struct key cur;
	struct key prev;
	int has_prev;
};

static int
parse_key_text(const uint8_t *buf, size_t n, uint8_t key[CG_SECRETBOX_KEY_LEN])
{
	static const uint8_t zero[CG_SECRETBOX_KEY_LEN];

	if (n == CG_SECRETBOX_KEY_LEN) {
		memcpy(key, buf, n);
	} else {
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		if (n != 2 * CG_SECRETBOX_KEY_LEN ||
		    cg_hex_decode((const char *)buf, n, key,
		    CG_SECRETBOX_KEY_LEN) != CG_SECRETBOX_KEY_LEN)
			return -EINVAL;
	}
	if (cg_ct_equal(key, zero, CG_SECRETBOX_KEY_LEN)) {
		cg_wipe(key, CG_SECRETBOX_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

int
cg_secretbox_read_key(const char *path, uint8_t key[CG_SECRETBOX_KEY_LEN])
{
	uint8_t buf[2 * CG_SECRETBOX_KEY_LEN + 2];
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd, err;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		err = -errno;
		cg_error("secretbox", "cannot open master key path=%s error=\"%s\"",
		    path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cg_error("secretbox", "master key is not a regular file path=%s",
		    path);
		err = -EINVAL;
		goto fail;
	}
	if ((st.st_mode & 027) != 0) {
		cg_error("secretbox", "master key file is open to others "
		    "path=%s mode=%04o (want 0600 or 0640)", path,
		    (unsigned)(st.st_mode & 07777));
		err = -EPERM;
		goto fail;
	}
	while (n < sizeof(buf) &&
	    (r = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -EIO;
			goto fail;
		}
		n += (size_t)r;
	}
	if ((err = parse_key_text(buf, n, key)) != 0)
		cg_error("secretbox", "master key must be 32 raw bytes or 64 hex "
		    "characters (not all zero) path=%s", path);
fail:
	cg_wipe(buf, sizeof(buf));
	close(fd);
	return err;
}

static int
key_init(struct key *k, const uint8_t key[CG_SECRETBOX_KEY_LEN])
{
	uint8_t md[CG_SHA256_LEN];
	int err;

	memcpy(k->key, key, CG_SECRETBOX_KEY_LEN);
	if ((err = cg_sha256(key, CG_SECRETBOX_KEY_LEN, md)) != 0)
		return err;
	cg_hex_encode(md, KEYID_LEN, k->id, sizeof(k->id));
	return 0;
}

int
cg_secretbox_new(const uint8_t cur[CG_SECRETBOX_KEY_LEN], const uint8_t *prev,
    struct cg_secretbox **out)
{
	struct cg_secretbox *box;
	int err;

	*out = NULL;
	if (prev != NULL && cg_ct_equal(cur, prev, CG_SECRETBOX_KEY_LEN))
		return -EINVAL;
	if ((box = calloc(1, sizeof(*box))) == NULL)
		return -ENOMEM;
	if ((err = key_init(&box->cur, cur)) != 0)
		goto fail;
	if (prev != NULL) {
		if ((err = key_init(&box->prev, prev)) != 0)
			goto fail;
		box->has_prev = 1;
	}
	*out = box;
	return 0;
fail:
	cg_secretbox_free(box);
	return err;
}

int
cg_secretbox_from_files(const char *cur_path, const char *prev_path,
    struct cg_secretbox **out)
{
	uint8_t cur[CG_SECRETBOX_KEY_LEN], prev[CG_SECRETBOX_KEY_LEN];
	int err;

	*out = NULL;
	if ((err = cg_secretbox_read_key(cur_path, cur)) != 0)
		return err;
	if (prev_path != NULL &&
	    (err = cg_secretbox_read_key(prev_path, prev)) != 0)
		goto fail;
	err = cg_secretbox_new(cur, prev_path != NULL ? prev : NULL, out);
	if (err == -EINVAL)
		cg_error("secretbox", "current and previous master keys are "
		    "the same key");
fail:
	cg_wipe(cur, sizeof(cur));
	cg_wipe(prev, sizeof(prev));
	return err;
}

void
cg_secretbox_free(struct cg_secretbox *box)
{
	if (box == NULL)
		return;
	cg_wipe(box, sizeof(*box));
	free(box);
}

void
cg_secretbox_key_id(const struct cg_secretbox *box,
    char out[CG_SECRETBOX_KEYID_HEX + 1])
{
	memcpy(out, box->cur.id, CG_SECRETBOX_KEYID_HEX + 1);
}

size_t
cg_secretbox_sealed_len(size_t n)
{
	return HEAD_LEN + cg_base64_len(n + TAG_LEN);
}

/* AES-256-GCM with "v1:<key id>:" ‖ context as associated data. */
static int
gcm(int enc, const struct key *k, const uint8_t nonce[NONCE_LEN],
    const char *context, const uint8_t *in, size_t n, uint8_t *out,
    uint8_t tag[TAG_LEN])
{
	char head[3 + CG_SECRETBOX_KEYID_HEX + 1];
	struct cg_bytes aad[2] = {
		{ head, sizeof(head) },
		{ context, strlen(context) },
	};

	memcpy(head, PREFIX, 3);
	memcpy(head + 3, k->id, CG_SECRETBOX_KEYID_HEX);
	head[3 + CG_SECRETBOX_KEYID_HEX] = ':';
	if (enc)
		return cg_aes256gcm_seal(k->key, nonce, aad, 2, in, n, out, tag);
	return cg_aes256gcm_open(k->key, nonce, aad, 2, in, n, tag, out);
}

int
cg_secretbox_seal(const struct cg_secretbox *box, const char *context,
    const void *secret, size_t n, char *out, size_t size)
{
	uint8_t nonce[NONCE_LEN], *ct = NULL;
	size_t k;
	int err;

	if (size > 0)
		out[0] = '\0';
	if (context == NULL || n > MAX_SECRET || strlen(context) > MAX_SECRET)
		return -EINVAL;
	if (cg_secretbox_sealed_len(n) + 1 > size)
		return -ENOSPC;
	if ((ct = malloc(n + TAG_LEN)) == NULL)
		return -ENOMEM;
	if ((err = cg_random_bytes(nonce, sizeof(nonce))) != 0 ||
	    (err = gcm(1, &box->cur, nonce, context, secret, n, ct,
	    ct + n)) != 0)
		goto fail;
	memcpy(out, PREFIX, 3);
	memcpy(out + 3, box->cur.id, CG_SECRETBOX_KEYID_HEX);
	k = 3 + CG_SECRETBOX_KEYID_HEX;
	out[k++] = ':';
	k += (size_t)cg_base64_encode(nonce, sizeof(nonce), out + k, size - k);
	out[k++] = ':';
	k += (size_t)cg_base64_encode(ct, n + TAG_LEN, out + k, size - k);
	err = (int)k;
fail:
	cg_wipe(ct, n + TAG_LEN);
	free(ct);
	return err;
}

/* Splits a sealed text; *k is the key it names (or NULL). */
static int
parse_sealed(const struct cg_secretbox *box, const char *s, size_t len,
    const struct key **k, uint8_t nonce[NONCE_LEN])
{
	const char *id;

	*k = NULL;
	if (s == NULL)
		return -EINVAL;
	id = s + 3;
	if (len < HEAD_LEN || memcmp(s, PREFIX, 3) != 0 ||
	    s[3 + CG_SECRETBOX_KEYID_HEX] != ':' || s[HEAD_LEN - 1] != ':')
		return -EINVAL;
	if (cg_base64_decode(s + 3 + CG_SECRETBOX_KEYID_HEX + 1, 16, nonce,
	    NONCE_LEN) != NONCE_LEN)
		return -EINVAL;
	if (memcmp(id, box->cur.id, CG_SECRETBOX_KEYID_HEX) == 0)
		*k = &box->cur;
	else if (box->has_prev &&
	    memcmp(id, box->prev.id, CG_SECRETBOX_KEYID_HEX) == 0)
		*k = &box->prev;
	else
		return -ENOKEY;
	return 0;
}

int
cg_secretbox_open(const struct cg_secretbox *box, const char *context,
    const char *sealed, size_t len, void *out, size_t size)
{
	uint8_t nonce[NONCE_LEN], *ct = NULL;
	const struct key *k;
	size_t blen;
	int n, err;

	if (context == NULL)
		return -EINVAL;
	if ((err = parse_sealed(box, sealed, len, &k, nonce)) != 0)
		return err;
	blen = len - HEAD_LEN;
	if (blen < cg_base64_len(TAG_LEN) ||
	    blen > cg_base64_len(MAX_SECRET + TAG_LEN))
		return -EINVAL;
	if ((ct = malloc(blen)) == NULL)
		return -ENOMEM;
	n = cg_base64_decode(sealed + HEAD_LEN, blen, ct, blen);
	if (n < TAG_LEN) {
		err = -EINVAL;
		goto fail;
	}
	n -= TAG_LEN;
	if ((size_t)n > size) {
		err = -ENOSPC;
		goto fail;
	}
	if ((err = gcm(0, k, nonce, context, ct, (size_t)n, out,
	    ct + n)) != 0)
		goto fail;
	err = n;
fail:
	cg_wipe(ct, blen);
	free(ct);
	return err;
}

int
cg_secretbox_is_current(const struct cg_secretbox *box, const char *sealed,
    size_t len)
{
	uint8_t nonce[NONCE_LEN];
	const struct key *k;
	int err;

	if ((err = parse_sealed(box, sealed, len, &k, nonce)) != 0)
		return err;
	return k == &box->cur;
}
