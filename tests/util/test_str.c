/* Bounded copies, hex, base64 (RFC 4648 §10 vectors), constant-time compare. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "util/str.h"

Test(str, strlcpy)
{
	char buf[6];

	cr_assert_eq(cg_strlcpy(buf, "hello", sizeof(buf)), 5);
	cr_assert_str_eq(buf, "hello");
	cr_assert_eq(cg_strlcpy(buf, "hello world", sizeof(buf)), 11);
	cr_assert_str_eq(buf, "hello");
	cr_assert_eq(cg_strlcpy(buf, "x", 0), 1);
	cr_assert_eq(cg_strcpy_checked(buf, "hello", sizeof(buf)), 5);
	cr_assert_eq(cg_strcpy_checked(buf, "hello!", sizeof(buf)), -ENOSPC);
	cr_assert_str_eq(buf, "");
}

Test(str, constant_time_compare)
{
	cr_assert(cg_ct_equal("abc", "abc", 3));
	cr_assert(!cg_ct_equal("abc", "abd", 3));
	cr_assert(cg_ct_equal("", "", 0));
	cr_assert(cg_ct_streq("secret", 6, "secret", 6));
	cr_assert(!cg_ct_streq("secret", 6, "secre", 5));
	cr_assert(!cg_ct_streq("secre", 5, "secret", 6));
	cr_assert(!cg_ct_streq("secret", 6, "Secret", 6));
	cr_assert(!cg_ct_streq("a", 1, "", 0));
	cr_assert(cg_ct_streq("", 0, "", 0));
	/* a prefix repeated must not pass for the whole */
	cr_assert(!cg_ct_streq("abab", 4, "ab", 2));
}

Test(str, hex)
{
	unsigned char bytes[] = { 0x00, 0x01, 0xab, 0xff };
	unsigned char back[4];
	char buf[9];

	cr_assert_eq(cg_hex_encode(bytes, 4, buf, sizeof(buf)), 8);
	cr_assert_str_eq(buf, "0001abff");
	cr_assert_eq(cg_hex_encode(bytes, 4, buf, 8), -ENOSPC);
	cr_assert_eq(cg_hex_decode("0001ABff", 8, back, sizeof(back)), 4);
	cr_assert_eq(memcmp(back, bytes, 4), 0);
	cr_assert_eq(cg_hex_decode("0001abf", 7, back, sizeof(back)), -EINVAL);
	cr_assert_eq(cg_hex_decode("0001abfg", 8, back, sizeof(back)),
	    -EINVAL);
	cr_assert_eq(cg_hex_decode("0x01", 4, back, sizeof(back)), -EINVAL);
	cr_assert_eq(cg_hex_decode("0001abff00", 10, back, sizeof(back)),
	    -ENOSPC);
	cr_assert_eq(cg_hex_decode("", 0, back, sizeof(back)), 0);
}

Test(str, base64_rfc4648_vectors)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	static const char *std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };
	static const char *url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
	    "Zm9vYmE", "Zm9vYmFy" };
	char buf[16], back[16];
	size_t i;

	for (i = 0; i < 7; i++) {
		size_t n = strlen(in[i]);

		cr_assert_eq(cg_base64_encode(in[i], n, buf, sizeof(buf)),
		    (int)strlen(std[i]));
		cr_assert_str_eq(buf, std[i]);
		cr_assert_eq(cg_base64_len(n), strlen(std[i]));
		cr_assert_eq(cg_base64_decode(std[i], strlen(std[i]), back,
		    sizeof(back)), (int)n);
		cr_assert_eq(memcmp(back, in[i], n), 0);
		cr_assert_eq(cg_base64url_encode(in[i], n, buf, sizeof(buf)),
		    (int)strlen(url[i]));
		cr_assert_str_eq(buf, url[i]);
		cr_assert_eq(cg_base64url_len(n), strlen(url[i]));
		cr_assert_eq(cg_base64url_decode(url[i], strlen(url[i]), back,
		    sizeof(back)), (int)n);
		cr_assert_eq(memcmp(back, in[i], n), 0);
	}
}

Test(str, base64_alphabets_and_strictness)
{
	unsigned char b[] = { 0xfb, 0xff };
	unsigned char out[8];
	char buf[8];

	cr_assert_eq(cg_base64_encode(b, 2, buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "+/8=");
	cr_assert_eq(cg_base64url_encode(b, 2, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "-_8");
	cr_assert_eq(cg_base64_encode(b, 2, buf, 4), -ENOSPC);
	/* each alphabet refuses the other's characters */
	cr_assert_eq(cg_base64_decode("-_8=", 4, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64url_decode("+/8", 3, out, sizeof(out)), -EINVAL);
	/* padding: required in base64, refused in base64url */
	cr_assert_eq(cg_base64_decode("Zg", 2, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64_decode("Zg=", 3, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64_decode("Z===", 4, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64_decode("====", 4, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64_decode("Zg=a", 4, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64url_decode("Zg==", 4, out, sizeof(out)),
	    -EINVAL);
	/* non-canonical trailing bits ("Zh==" decodes to 'f' too) */
	cr_assert_eq(cg_base64_decode("Zh==", 4, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64_decode("Zm9=", 4, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64url_decode("Zh", 2, out, sizeof(out)), -EINVAL);
	/* no whitespace, no length-1 remainder */
	cr_assert_eq(cg_base64_decode("Zm9v\n", 5, out, sizeof(out)), -EINVAL);
	cr_assert_eq(cg_base64url_decode("Zm9vY", 5, out, sizeof(out)),
	    -EINVAL);
	cr_assert_eq(cg_base64_decode("Zm9vYmFy", 8, out, 5), -ENOSPC);
	cr_assert_eq(cg_base64_decode("Zm\0v", 4, out, sizeof(out)), -EINVAL);
}
