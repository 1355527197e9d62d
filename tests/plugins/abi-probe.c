/*
 * Exports every public type of <cryptic/plugin.h> through one function
 * each, so abidw sees them all (it only follows what exported symbols
 * reach), and pins the layout of the public structs with offsetof
 * assertions (LP64).
 */
#include <stddef.h>
#include <stdint.h>

#include <cryptic/plugin.h>

#define PROBE __attribute__((visibility("default")))

PROBE void cg_abi_probe_descriptor(const struct cg_plugin_descriptor *p);
PROBE void cg_abi_probe_key(const struct cg_plugin_key *p);
PROBE void cg_abi_probe_host_api(const struct cg_host_api *p);
PROBE void cg_abi_probe_http(const struct cg_http_request *a,
    const struct cg_http_response *b);
PROBE void cg_abi_probe_rates(const struct cg_rates_ops *a,
    const struct cg_rate_pair *b, cg_rate_emit_fn c);
PROBE void cg_abi_probe_network(const struct cg_network_ops *a,
    const struct cg_uri_request *b, const struct cg_scan_request *c,
    const struct cg_scan_sink *d, const struct cg_scan_result *e,
    const struct cg_scan_header *f, const struct cg_scan_transfer *g,
    cg_watched_each_fn h);
PROBE void cg_abi_probe_watcher(const struct cg_watcher_ops *a,
    const struct cg_watch_hint *b, cg_hint_emit_fn c);
PROBE void cg_abi_probe_entry(cg_plugin_entry_fn f);

void cg_abi_probe_descriptor(const struct cg_plugin_descriptor *p) { (void)p; }
void cg_abi_probe_key(const struct cg_plugin_key *p) { (void)p; }
void cg_abi_probe_host_api(const struct cg_host_api *p) { (void)p; }
void cg_abi_probe_http(const struct cg_http_request *a,
    const struct cg_http_response *b) { (void)a; (void)b; }
void cg_abi_probe_rates(const struct cg_rates_ops *a,
    const struct cg_rate_pair *b, cg_rate_emit_fn c)
{ (void)a; (void)b; (void)c; }
void cg_abi_probe_network(const struct cg_network_ops *a,
    const struct cg_uri_request *b, const struct cg_scan_request *c,
    const struct cg_scan_sink *d, const struct cg_scan_result *e,
    const struct cg_scan_header *f, const struct cg_scan_transfer *g,
    cg_watched_each_fn h)
{ (void)a; (void)b; (void)c; (void)d; (void)e; (void)f; (void)g; (void)h; }
void cg_abi_probe_watcher(const struct cg_watcher_ops *a,
    const struct cg_watch_hint *b, cg_hint_emit_fn c)
{ (void)a; (void)b; (void)c; }
void cg_abi_probe_entry(cg_plugin_entry_fn f) { (void)f; }

#if UINTPTR_MAX == UINT64_MAX
#define AT(T, m, off) _Static_assert(offsetof(struct T, m) == (off), \
	#T "." #m " moved")
#define SIZE(T, n) _Static_assert(sizeof(struct T) == (n), \
	#T " changed size")

AT(cg_plugin_descriptor, abi_version, 0);
AT(cg_plugin_descriptor, struct_size, 4);
AT(cg_plugin_descriptor, kind, 8);
AT(cg_plugin_descriptor, key_size, 12);
AT(cg_plugin_descriptor, name, 16);
AT(cg_plugin_descriptor, version, 24);
AT(cg_plugin_descriptor, description, 32);
AT(cg_plugin_descriptor, keys, 40);
AT(cg_plugin_descriptor, key_count, 48);
AT(cg_plugin_descriptor, create, 56);
AT(cg_plugin_descriptor, destroy, 64);
AT(cg_plugin_descriptor, ops, 72);
AT(cg_plugin_descriptor, reconfigure, 80);
SIZE(cg_plugin_descriptor, 88);

AT(cg_plugin_key, name, 0);
AT(cg_plugin_key, description, 8);
AT(cg_plugin_key, default_value, 16);
AT(cg_plugin_key, children, 24);
AT(cg_plugin_key, choices, 32);
AT(cg_plugin_key, type, 40);
AT(cg_plugin_key, flags, 44);
AT(cg_plugin_key, child_count, 48);
AT(cg_plugin_key, min, 56);
AT(cg_plugin_key, max, 64);
SIZE(cg_plugin_key, 72);

AT(cg_host_api, struct_size, 0);
AT(cg_host_api, abi_version, 4);
AT(cg_host_api, log, 8);
AT(cg_host_api, config_string, 16);
AT(cg_host_api, config_int, 24);
AT(cg_host_api, config_bool, 32);
AT(cg_host_api, config_count, 40);
AT(cg_host_api, config_key, 48);
AT(cg_host_api, http, 56);
AT(cg_host_api, http_free, 64);
AT(cg_host_api, random_bytes, 72);
AT(cg_host_api, now_ms, 80);
AT(cg_host_api, stopping, 88);
SIZE(cg_host_api, 96);

AT(cg_http_request, timeout_ms, 4);
AT(cg_http_request, method, 8);
AT(cg_http_request, url, 16);
AT(cg_http_request, headers, 24);
AT(cg_http_request, header_count, 32);
AT(cg_http_request, body, 40);
AT(cg_http_request, body_len, 48);
AT(cg_http_request, max_reply_bytes, 56);
SIZE(cg_http_request, 64);
AT(cg_http_response, status, 4);
AT(cg_http_response, body, 8);
AT(cg_http_response, body_len, 16);
SIZE(cg_http_response, 24);

AT(cg_rates_ops, fetch, 8);
SIZE(cg_rates_ops, 16);
SIZE(cg_rate_pair, 16);

AT(cg_network_ops, check_xpub, 8);
AT(cg_network_ops, derive_address, 16);
AT(cg_network_ops, validate_address, 24);
AT(cg_network_ops, payment_uri, 32);
AT(cg_network_ops, tip, 40);
AT(cg_network_ops, scan, 48);
AT(cg_network_ops, block_hash, 56);
SIZE(cg_network_ops, 64);

AT(cg_uri_request, decimals, 4);
AT(cg_uri_request, address, 8);
AT(cg_uri_request, contract, 16);
AT(cg_uri_request, amount, 24);
AT(cg_uri_request, label, 32);
AT(cg_uri_request, message, 40);
SIZE(cg_uri_request, 48);

AT(cg_scan_header, height, 8);
AT(cg_scan_header, hash, 16);
AT(cg_scan_header, parent_hash, 24);
AT(cg_scan_header, time, 32);
SIZE(cg_scan_header, 40);

AT(cg_scan_transfer, flags, 4);
AT(cg_scan_transfer, tx_hash, 8);
AT(cg_scan_transfer, position, 16);
AT(cg_scan_transfer, from, 24);
AT(cg_scan_transfer, to, 32);
AT(cg_scan_transfer, contract, 40);
AT(cg_scan_transfer, amount, 48);
AT(cg_scan_transfer, block_height, 56);
AT(cg_scan_transfer, block_hash, 64);
AT(cg_scan_transfer, block_time, 72);
SIZE(cg_scan_transfer, 80);

AT(cg_scan_sink, ctx, 8);
AT(cg_scan_sink, header, 16);
AT(cg_scan_sink, transfer, 24);
AT(cg_scan_sink, is_watched, 32);
AT(cg_scan_sink, watched_each, 40);
SIZE(cg_scan_sink, 48);

AT(cg_scan_request, max_blocks, 4);
AT(cg_scan_request, from_height, 8);
AT(cg_scan_request, expected_parent, 16);
AT(cg_scan_request, cursor, 24);
AT(cg_scan_request, contracts, 32);
AT(cg_scan_request, contract_count, 40);
AT(cg_scan_request, flags, 44);
SIZE(cg_scan_request, 48);

AT(cg_scan_result, next_height, 8);
AT(cg_scan_result, tip_height, 16);
AT(cg_scan_result, cursor, 24);
AT(cg_scan_result, cursor_size, 32);
SIZE(cg_scan_result, 40);

AT(cg_watcher_ops, subscribe, 8);
AT(cg_watcher_ops, unsubscribe, 16);
AT(cg_watcher_ops, parse_webhook, 24);
SIZE(cg_watcher_ops, 32);

AT(cg_watch_hint, flags, 4);
AT(cg_watch_hint, network, 8);
AT(cg_watch_hint, tx_hash, 16);
AT(cg_watch_hint, address, 24);
AT(cg_watch_hint, contract, 32);
AT(cg_watch_hint, amount, 40);
AT(cg_watch_hint, block_height, 48);
SIZE(cg_watch_hint, 56);
#endif
