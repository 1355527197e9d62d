/* Unit tests of the webhook module's pure parts: the retry schedule and
 * the target guard's address policy. */
#include <arpa/inet.h>
#include <string.h>

#include <criterion/criterion.h>

#include "webhooks/dispatch.h"
#include "webhooks/ssrf.h"

Test(backoff, doubles_from_base_up_to_max)
{
	/* rnd % 201 == 100: jitter factor exactly 1.0 */
	cr_assert_eq(cg_webhook_backoff_ms(1, 10, 21600, 100), 10000);
	cr_assert_eq(cg_webhook_backoff_ms(2, 10, 21600, 100), 20000);
	cr_assert_eq(cg_webhook_backoff_ms(5, 10, 21600, 100), 160000);
	cr_assert_eq(cg_webhook_backoff_ms(12, 10, 21600, 100), 20480000);
	cr_assert_eq(cg_webhook_backoff_ms(13, 10, 21600, 100), 21600000);
	cr_assert_eq(cg_webhook_backoff_ms(60, 10, 21600, 100), 21600000);
}

Test(backoff, jitter_within_ten_percent)
{
	for (uint32_t r = 0; r < 1000; r += 7) {
		int64_t d = cg_webhook_backoff_ms(3, 10, 3600, r);
		cr_assert(d >= 36000 && d <= 44000, "d=%lld", (long long)d);
	}
	cr_assert_eq(cg_webhook_backoff_ms(3, 10, 3600, 0), 36000);
	cr_assert_eq(cg_webhook_backoff_ms(3, 10, 3600, 200), 44000);
}

static bool
pub(const char *s)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, s, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		return cg_ssrf_addr_public((struct sockaddr *)&in);
	}
	cr_assert_eq(inet_pton(AF_INET6, s, &in6.sin6_addr), 1, "%s", s);
	in6.sin6_family = AF_INET6;
	return cg_ssrf_addr_public((struct sockaddr *)&in6);
}

Test(ssrf, refuses_private_and_reserved)
{
	static const char *const refused[] = {
		"127.0.0.1", "127.255.1.2", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "100.127.255.255", "0.0.0.0", "224.0.0.1",
		"239.255.255.250", "255.255.255.255", "192.0.2.5",
		"198.18.0.1", "::", "::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8",
		"fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "2001:db8::1",
		"64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_assert(!pub(refused[i]), "%s must be refused", refused[i]);
}

Test(ssrf, allows_public)
{
	static const char *const ok[] = {
		"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1",
		"93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001::1",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert(pub(ok[i]), "%s must be allowed", ok[i]);
}

Test(ssrf, urls)
{
	struct cg_ssrf_target t;
	char err[256];

	cr_assert_eq(cg_ssrf_check_url("ftp://example.com/x", true, &t, err,
	    sizeof(err)), -1);
	cr_assert_eq(cg_ssrf_check_url("http://u:p@127.0.0.1/x", true, &t, err,
	    sizeof(err)), -1);
	cr_assert_eq(cg_ssrf_check_url("not a url", true, &t, err,
	    sizeof(err)), -1);
	cr_assert_eq(cg_ssrf_check_url("http://127.0.0.1:9/x", false, &t, err,
	    sizeof(err)), -1);
	cr_assert(strstr(err, "refused") != NULL, "%s", err);
	cr_assert_eq(cg_ssrf_check_url("http://[::1]:9/x", false, &t, err,
	    sizeof(err)), -1);
	cr_assert_eq(cg_ssrf_check_url("http://127.0.0.1:9/x", true, &t, err,
	    sizeof(err)), 0);
	cr_assert_str_eq(t.addr, "127.0.0.1");
	cr_assert_eq(t.port, 9);
	cr_assert_eq(cg_ssrf_check_url("https://[::1]/x", true, &t, err,
	    sizeof(err)), 0);
	cr_assert_eq(t.port, 443);
	cr_assert_str_eq(t.addr, "[::1]");
}

Test(ssrf, check_url_without_dns)
{
	struct cg_ssrf_target t;
	char err[256];

	cr_assert_eq(cg_ssrf_check_url("http://localhost:9/x", false, &t, err,
	    sizeof(err)), 0, "names are checked at connect time");
	cr_assert_str_eq(t.host, "localhost");
	cr_assert_eq(cg_ssrf_check_url("http://10.0.0.1/x", false, &t, err,
	    sizeof(err)), -1);
	cr_assert_eq(cg_ssrf_check_url("http://[fe80::1]/x", false, &t, err,
	    sizeof(err)), -1);
	cr_assert_eq(cg_ssrf_check_url("http://[fe80::1]/x", true, &t, err,
	    sizeof(err)), 0);
	cr_assert_str_eq(t.addr, "[fe80::1]");
	cr_assert_eq(cg_ssrf_check_url("https://8.8.8.8/x", false, &t, err,
	    sizeof(err)), 0);
	cr_assert_str_eq(t.addr, "8.8.8.8");
	cr_assert_eq(cg_ssrf_check_url("gopher://8.8.8.8/x", false, &t, err,
	    sizeof(err)), -1);
}
