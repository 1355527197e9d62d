/* Secrets at rest: key files, sealing, tampering, rotation. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/crypto.h"
#include "util/secretbox.h"
#include "util/str.h"

static char dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/cg-secretbox-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(secretbox, .init = setup, .fini = teardown);

static const char *
write_file(const char *name, const void *data, size_t n, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, data, n), (ssize_t)n);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void
make_key(uint8_t key[32], uint8_t fill)
{
	int i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(fill + i);
}

Test(secretbox, key_files)
{
	uint8_t key[32], want[32], zero[32] = { 0 };
	char hexkey[66];

	make_key(want, 1);
	cr_assert_eq(cg_secretbox_read_key(write_file("raw", want, 32, 0600),
	    key), 0);
	cr_assert_eq(memcmp(key, want, 32), 0);
	cg_hex_encode(want, 32, hexkey, sizeof(hexkey));
	cr_assert_eq(cg_secretbox_read_key(write_file("hex", hexkey, 64, 0400),
	    key), 0);
	cr_assert_eq(memcmp(key, want, 32), 0);
	strcat(hexkey, "\n");
	cr_assert_eq(cg_secretbox_read_key(write_file("hexnl", hexkey, 65,
	    0640), key), 0);
	cr_assert_eq(memcmp(key, want, 32), 0);
	/* the mode policy: others may not read, the group may not write */
	cr_assert_eq(cg_secretbox_read_key(write_file("m644", want, 32, 0644),
	    key), -EPERM);
	cr_assert_eq(cg_secretbox_read_key(write_file("m660", want, 32, 0660),
	    key), -EPERM);
	cr_assert_eq(cg_secretbox_read_key(write_file("m604", want, 32, 0604),
	    key), -EPERM);
	/* sizes and contents */
	cr_assert_eq(cg_secretbox_read_key(write_file("short", want, 31, 0600),
	    key), -EINVAL);
	{
		uint8_t longer[33] = { 1 };

		cr_assert_eq(cg_secretbox_read_key(write_file("long", longer,
		    33, 0600), key), -EINVAL);
	}
	hexkey[64] = 'a';
	cr_assert_eq(cg_secretbox_read_key(write_file("hex65", hexkey, 65,
	    0600), key), -EINVAL);
	hexkey[10] = 'z';
	cr_assert_eq(cg_secretbox_read_key(write_file("nothex", hexkey, 64,
	    0600), key), -EINVAL);
	cr_assert_eq(cg_secretbox_read_key(write_file("zero", zero, 32, 0600),
	    key), -EINVAL);
	cr_assert_eq(cg_secretbox_read_key(dir, key), -EINVAL);
	cr_assert_eq(cg_secretbox_read_key("/nonexistent/cg.key", key),
	    -ENOENT);
}

Test(secretbox, seal_and_open)
{
	struct cg_secretbox *box;
	uint8_t key[32], md[32];
	char sealed[200], again[200], id[17], idhex[65], out[64];
	const char *secret = "whsec_0123456789abcdef";
	size_t n = strlen(secret);
	int len;

	make_key(key, 7);
	cr_assert_eq(cg_secretbox_new(key, NULL, &box), 0);
	/* the key id is the first 8 bytes of SHA-256(key) */
	cg_secretbox_key_id(box, id);
	cg_sha256(key, 32, md);
	cg_hex_encode(md, 32, idhex, sizeof(idhex));
	cr_assert_eq(strncmp(id, idhex, 16), 0);

	len = cg_secretbox_seal(box, "mrc_123", secret, n, sealed,
	    sizeof(sealed));
	cr_assert_eq(len, (int)cg_secretbox_sealed_len(n));
	cr_assert_eq(strncmp(sealed, "v1:", 3), 0);
	cr_assert_eq(strncmp(sealed + 3, id, 16), 0);
	cr_assert_eq(sealed[19], ':');
	cr_assert_eq(sealed[36], ':');
	cr_assert_null(strstr(sealed, secret));
	/* a fresh nonce each time */
	cg_secretbox_seal(box, "mrc_123", secret, n, again, sizeof(again));
	cr_assert_str_neq(sealed, again);

	cr_assert_eq(cg_secretbox_open(box, "mrc_123", sealed, (size_t)len,
	    out, sizeof(out)), (int)n);
	cr_assert_eq(memcmp(out, secret, n), 0);
	cr_assert_eq(cg_secretbox_open(box, "mrc_123", again, strlen(again),
	    out, sizeof(out)), (int)n);
	/* another row's id as associated data: refused */
	cr_assert_eq(cg_secretbox_open(box, "mrc_124", sealed, (size_t)len,
	    out, sizeof(out)), -EBADMSG);
	cr_assert_eq(cg_secretbox_open(box, "", sealed, (size_t)len, out,
	    sizeof(out)), -EBADMSG);
	/* sizes */
	cr_assert_eq(cg_secretbox_open(box, "mrc_123", sealed, (size_t)len,
	    out, n - 1), -ENOSPC);
	cr_assert_eq(cg_secretbox_seal(box, "mrc_123", secret, n, again,
	    (size_t)len), -ENOSPC);
	cr_assert_eq(cg_secretbox_is_current(box, sealed, (size_t)len), 1);
	/* an empty secret seals too */
	len = cg_secretbox_seal(box, "r", "", 0, sealed, sizeof(sealed));
	cr_assert_gt(len, 0);
	cr_assert_eq(cg_secretbox_open(box, "r", sealed, (size_t)len, out,
	    sizeof(out)), 0);
	cg_secretbox_free(box);
}

Test(secretbox, tampering)
{
	struct cg_secretbox *box;
	uint8_t key[32];
	char sealed[200], out[64];
	size_t len, i;
	int err;

	make_key(key, 9);
	cr_assert_eq(cg_secretbox_new(key, NULL, &box), 0);
	len = (size_t)cg_secretbox_seal(box, "row", "provider-api-key", 16,
	    sealed, sizeof(sealed));
	/* change each character in turn to another: nothing opens */
	for (i = 0; i < len; i++) {
		char was = sealed[i];

		sealed[i] = was == 'A' ? 'B' : 'A';
		err = cg_secretbox_open(box, "row", sealed, len, out,
		    sizeof(out));
		cr_assert(err == -EBADMSG || err == -EINVAL || err == -ENOKEY,
		    "byte %zu changed: %d", i, err);
		sealed[i] = was;
	}
	cr_assert_eq(cg_secretbox_open(box, "row", sealed, len, out,
	    sizeof(out)), 16);
	/* truncated and extended texts */
	for (i = 0; i < len; i++)
		cr_assert_lt(cg_secretbox_open(box, "row", sealed, i, out,
		    sizeof(out)), 0, "prefix of %zu opened", i);
	strcpy(sealed + len, "AAAA");
	cr_assert_lt(cg_secretbox_open(box, "row", sealed, len + 4, out,
	    sizeof(out)), 0);
	cr_assert_eq(cg_secretbox_open(box, "row", "v2:x", 4, out,
	    sizeof(out)), -EINVAL);
	cg_secretbox_free(box);
}

Test(secretbox, rotation)
{
	struct cg_secretbox *old, *both, *next, *other, *same;
	uint8_t k1[32], k2[32], k3[32];
	char s1[200], s2[200], out[64];
	int l1, l2;

	make_key(k1, 1);
	make_key(k2, 2);
	make_key(k3, 3);
	cr_assert_eq(cg_secretbox_new(k1, NULL, &old), 0);
	cr_assert_eq(cg_secretbox_new(k2, k1, &both), 0);
	cr_assert_eq(cg_secretbox_new(k3, k2, &next), 0);
	cr_assert_eq(cg_secretbox_new(k2, NULL, &other), 0);
	/* current and previous must differ */
	cr_assert_eq(cg_secretbox_new(k1, k1, &same), -EINVAL);
	cr_assert_null(same);

	l1 = cg_secretbox_seal(old, "id1", "first", 5, s1, sizeof(s1));
	cr_assert_gt(l1, 0);
	/* the new box opens what the old key sealed and says to re-seal */
	cr_assert_eq(cg_secretbox_open(both, "id1", s1, (size_t)l1, out,
	    sizeof(out)), 5);
	cr_assert_eq(memcmp(out, "first", 5), 0);
	cr_assert_eq(cg_secretbox_is_current(both, s1, (size_t)l1), 0);
	l2 = cg_secretbox_seal(both, "id1", "first", 5, s2, sizeof(s2));
	cr_assert_eq(cg_secretbox_is_current(both, s2, (size_t)l2), 1);
	/* a box without the sealing key names the problem */
	cr_assert_eq(cg_secretbox_open(other, "id1", s1, (size_t)l1, out,
	    sizeof(out)), -ENOKEY);
	cr_assert_eq(cg_secretbox_open(next, "id1", s1, (size_t)l1, out,
	    sizeof(out)), -ENOKEY);
	cr_assert_eq(cg_secretbox_is_current(next, s1, (size_t)l1), -ENOKEY);
	cr_assert_eq(cg_secretbox_open(next, "id1", s2, (size_t)l2, out,
	    sizeof(out)), 5);
	/* a forged key id pointing at the other key fails authentication */
	memcpy(s1 + 3, s2 + 3, 16);
	cr_assert_eq(cg_secretbox_open(both, "id1", s1, (size_t)l1, out,
	    sizeof(out)), -EBADMSG);
	cg_secretbox_free(old);
	cg_secretbox_free(both);
	cg_secretbox_free(next);
	cg_secretbox_free(other);
	cg_secretbox_free(NULL);
}

Test(secretbox, from_files)
{
	struct cg_secretbox *box;
	uint8_t k1[32], k2[32];
	const char *p1;
	char p1copy[128], sealed[200], out[16];
	int len;

	make_key(k1, 1);
	make_key(k2, 2);
	p1 = write_file("k1", k1, 32, 0600);
	strcpy(p1copy, p1);
	cr_assert_eq(cg_secretbox_from_files(p1copy, write_file("k2", k2, 32,
	    0600), &box), 0);
	len = cg_secretbox_seal(box, "x", "abc", 3, sealed, sizeof(sealed));
	cr_assert_gt(len, 0);
	cg_secretbox_free(box);
	cr_assert_eq(cg_secretbox_from_files(p1copy, p1copy, &box), -EINVAL);
	cr_assert_null(box);
	cr_assert_eq(cg_secretbox_from_files(p1copy, NULL, &box), 0);
	cr_assert_eq(cg_secretbox_open(box, "x", sealed, (size_t)len, out,
	    sizeof(out)), 3);
	cg_secretbox_free(box);
}
