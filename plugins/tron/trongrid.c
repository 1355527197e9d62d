/*
 * TronGrid (java-tron HTTP API) requests through the host's blocking HTTP,
 * with failover across the configured URLs. Every reply is untrusted: an
 * HTTP error, a body that is not JSON (truncated, numbers beyond 64 bits,
 * duplicate keys) or TronGrid's {"Error": "..."} moves on to the next URL
 * and is logged; the last failure is returned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tron.h"

static int
post_one(struct tron_client *c, uint32_t idx, const char *path,
    const char *body, json_t **out)
{
	const char *headers[2] = { "Content-Type: application/json",
	    c->key_header };
	struct cg_http_request req = {
		.struct_size = sizeof(req),
		.timeout_ms = c->timeout_ms,
		.method = "POST",
		.headers = headers,
		.header_count = c->key_header != NULL ? 2 : 1,
		.body = body,
		.body_len = strlen(body),
		.max_reply_bytes = c->max_reply,
	};
	struct cg_http_response resp = { .struct_size = sizeof(resp) };
	char url[TRON_URL_MAX + 64];
	json_error_t jerr;
	const json_t *e;
	json_t *j;
	int rc;

	snprintf(url, sizeof(url), "%s%s", c->urls[idx], path);
	/* Logs name the origin only: some providers put keys in the path. */
	req.url = url;
	if ((rc = c->api->http(c->host, &req, &resp)) < 0) {
		c->api->log(c->host, CG_PLUGIN_LOG_WARN, "trongrid request "
		    "failed url=%s path=%s errno=%d", c->origins[idx], path, -rc);
		return rc;
	}
	if (resp.status != 200) {
		c->api->log(c->host, CG_PLUGIN_LOG_WARN, "trongrid http error "
		    "url=%s path=%s status=%d", c->origins[idx], path,
		    (int)resp.status);
		c->api->http_free(c->host, &resp);
		return -EIO;
	}
	j = json_loadb(resp.body, (size_t)resp.body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	c->api->http_free(c->host, &resp);
	if (j == NULL) {
		c->api->log(c->host, CG_PLUGIN_LOG_WARN, "trongrid reply is not "
		    "JSON url=%s path=%s error=\"%s\" pos=%d", c->origins[idx],
		    path, jerr.text, jerr.position);
		return -EIO;
	}
	if (json_is_object(j) && (e = json_object_get(j, "Error")) != NULL) {
		c->api->log(c->host, CG_PLUGIN_LOG_WARN, "trongrid error "
		    "url=%s path=%s error=\"%.200s\"", c->origins[idx], path,
		    json_is_string(e) ? json_string_value(e) : "?");
		json_decref(j);
		return -EIO;
	}
	*out = j;
	return 0;
}

void
tron_origin(const char *url, char out[TRON_URL_MAX])
{
	const char *host = strstr(url, "://"), *end, *at;
	size_t slen;

	host = host != NULL ? host + 3 : url;
	end = host + strcspn(host, "/?#");
	/* Drop user:password@ if the operator wrote one. */
	if ((at = memchr(host, '@', (size_t)(end - host))) != NULL)
		host = at + 1;
	slen = (size_t)(strstr(url, "://") != NULL ?
	    strstr(url, "://") + 3 - url : 0);
	snprintf(out, TRON_URL_MAX, "%.*s%.*s", (int)slen, url,
	    (int)(end - host), host);
}

int
tron_post(struct tron_client *c, const char *path, const char *body,
    json_t **out)
{
	int rc = -EIO;

	for (uint32_t n = 0; n < c->url_count; n++) {
		uint32_t idx = (c->current + n) % c->url_count;

		if ((rc = post_one(c, idx, path, body, out)) == 0) {
			if (idx != c->current)
				c->api->log(c->host, CG_PLUGIN_LOG_INFO,
				    "trongrid failover url=%s", c->origins[idx]);
			c->current = idx;
			return 0;
		}
		if (rc == -ECANCELED || c->api->stopping(c->host))
			return -ECANCELED;
	}
	return rc;
}
