/*
 * Outbound target guard: URL check, resolution, address policy.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "webhooks/ssrf.h"

static bool
v4_public(uint32_t a)
{
	static const struct { uint32_t net, mask; } deny[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8 */
		{ 0x0a000000, 0xff000000 },	/* 10/8 */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10 */
		{ 0x7f000000, 0xff000000 },	/* 127/8 */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16 */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12 */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24 */
		{ 0xc0000200, 0xffffff00 },	/* 192.0.2/24 */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15 */
		{ 0xc6336400, 0xffffff00 },	/* 198.51.100/24 */
		{ 0xcb007100, 0xffffff00 },	/* 203.0.113/24 */
		{ 0xe0000000, 0xf0000000 },	/* 224/4 */
		{ 0xf0000000, 0xf0000000 },	/* 240/4, broadcast */
	};

	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
		if ((a & deny[i].mask) == deny[i].net)
			return false;
	return true;
}

static bool
v6_public(const uint8_t b[16])
{
	static const uint8_t zero[12];

	if (memcmp(b, zero, 12) == 0)
		return false;		/* ::, ::1, IPv4-compatible */
	if (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff)
		return false;		/* IPv4-mapped */
	if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
		return false;		/* NAT64 */
	if (b[0] == 0x01 && b[1] == 0x00 && memcmp(b + 2, zero, 6) == 0)
		return false;		/* 100::/64 discard */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
		return false;		/* Teredo */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return false;		/* documentation */
	if (b[0] == 0x20 && b[1] == 0x02)
		return false;		/* 6to4 */
	if ((b[0] & 0xfe) == 0xfc)
		return false;		/* ULA */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return false;		/* link-local */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return false;		/* site-local */
	if (b[0] == 0xff)
		return false;		/* multicast */
	return true;
}

bool
cg_ssrf_addr_public(const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return v4_public(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;
		return v6_public(in6->sin6_addr.s6_addr);
	}
	return false;
}

static int
parse_url(const char *url, struct cg_ssrf_target *t, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	int rc = -1;
	size_t n;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(err, errlen, "malformed URL");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)) {
		snprintf(err, errlen, "only http and https URLs are allowed");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		snprintf(err, errlen, "user info in the URL is not allowed");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		snprintf(err, errlen, "URL without a host");
		goto fail;
	}
	n = strlen(host);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = '\0';
		memmove(host, host + 1, n - 1);
	}
	if (host[0] == '\0' || strlen(host) >= sizeof(t->host)) {
		snprintf(err, errlen, "bad host in URL");
		goto fail;
	}
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = atoi(port);
	if (t->port <= 0 || t->port > 65535) {
		snprintf(err, errlen, "bad port in URL");
		goto fail;
	}
	rc = 0;
fail:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

int
cg_ssrf_check_url(const char *url, bool allow_private,
    struct cg_ssrf_target *t, char *err, size_t errlen)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	const struct sockaddr *sa = NULL;

	memset(t, 0, sizeof(*t));
	if (url == NULL || parse_url(url, t, err, errlen) != 0)
		return -1;
	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, t->host, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		sa = (const struct sockaddr *)&in;
		inet_ntop(AF_INET, &in.sin_addr, t->addr, sizeof(t->addr));
	} else if (inet_pton(AF_INET6, t->host, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		sa = (const struct sockaddr *)&in6;
		t->addr[0] = '[';
		inet_ntop(AF_INET6, &in6.sin6_addr, t->addr + 1,
		    sizeof(t->addr) - 2);
		strcat(t->addr, "]");
	}
	if (sa && !allow_private && !cg_ssrf_addr_public(sa)) {
		snprintf(err, errlen, "refused: %s is a loopback, private or "
		    "reserved address", t->host);
		return -1;
	}
	return 0;
}
