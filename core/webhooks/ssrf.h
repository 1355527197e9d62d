/*
 * The outbound target guard: a merchant's webhook URL must not make the
 * gateway probe its own network.
 *
 * The dispatcher checks the URL (scheme, user info, a literal address)
 * without DNS (cg_ssrf_check_url), lets libcurl's threaded resolver look
 * the name up (never blocking the loop or a worker on a slow DNS server)
 * and checks every address libcurl is about to connect to in its socket
 * callback (cg_ssrf_addr_public): the address checked is the address
 * used, so a second, different DNS answer (rebinding) cannot get past.
 *
 * Refused unless webhooks.allow_private_targets: IPv4 0/8, 10/8,
 * 100.64/10 (CGNAT), 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24,
 * 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4 (multicast),
 * 240/4 and broadcast; IPv6 ::, ::1, IPv4-mapped ::ffff:0:0/96, IPv4-
 * compatible ::/96, NAT64 64:ff9b::/96, 100::/64, 2001::/32 (Teredo),
 * 2001:db8::/32, 2002::/16 (6to4), fc00::/7 (ULA), fe80::/10, fec0::/10,
 * ff00::/8. Only http and https; no user info in the URL.
 */
#ifndef CG_WEBHOOKS_SSRF_H
#define CG_WEBHOOKS_SSRF_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

/* Whether a connection to sa may be made (ignores the port). */
bool cg_ssrf_addr_public(const struct sockaddr *sa);

struct cg_ssrf_target {
	char host[256];		/* as in the URL, brackets removed */
	int port;
	char addr[64];		/* a literal host's address, "" for a name */
};

/*
 * Parses url and checks it without DNS: http/https, no user info, and a
 * literal address host must pass unless allow_private. t->host and t->port
 * are filled (t->addr for a literal). 0 or -1 with a reason in err.
 */
int cg_ssrf_check_url(const char *url, bool allow_private,
    struct cg_ssrf_target *t, char *err, size_t errlen);

#endif
