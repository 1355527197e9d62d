/*
 * Ethereum JSON-RPC client: failover across the instance's URLs, chain id
 * checks, batch calls with envelope checks. See rpc.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"

#define RPC_REPLY_MAX (16u * 1024u * 1024u)
#define RPC_BACKOFF_MIN_MS 500
#define RPC_BACKOFF_MAX_MS 60000
#define RPC_TEXT_MAX 120

/* "#N host[:port]" without user info, path or query (keys live there). */
static void
url_label(char *out, size_t outsz, uint32_t index, const char *url)
{
	const char *a = strstr(url, "://"), *end, *at;
	int len;

	a = a != NULL ? a + 3 : url;
	end = a + strcspn(a, "/?#");
	for (at = a; at < end; at++)
		if (*at == '@')
			a = at + 1;
	len = (int)(end - a) > 40 ? 40 : (int)(end - a);
	snprintf(out, outsz, "#%u %.*s", index + 1, len, a);
}

int
evm_rpc_add_url(struct evm_rpc *r, const char *url)
{
	struct evm_rpc_url *u;

	if (r->count >= EVM_RPC_URLS_MAX)
		return -E2BIG;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return -EINVAL;
	u = &r->urls[r->count];
	memset(u, 0, sizeof(*u));
	if ((u->url = strdup(url)) == NULL)
		return -ENOMEM;
	url_label(u->label, sizeof(u->label), r->count, url);
	r->count++;
	return 0;
}

void
evm_rpc_free(struct evm_rpc *r)
{
	for (uint32_t i = 0; i < r->count; i++)
		free(r->urls[i].url);
	r->count = 0;
}

/* Untrusted text for a log line: printable ASCII, bounded. */
static void
clean_text(char *out, size_t outsz, const char *in)
{
	size_t n = 0;

	for (; in != NULL && *in != '\0' && n + 1 < outsz; in++)
		out[n++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[n] = '\0';
}

int
evm_hex_u64(const json_t *v, uint64_t *out)
{
	const char *s;
	uint64_t x = 0;
	size_t n;

	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EINVAL;
	s += 2;
	n = strlen(s);
	if (n == 0 || n > 16)
		return -EINVAL;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		x = x << 4 | d;
	}
	*out = x;
	return 0;
}

static void
mark_failed(struct evm_rpc *r, struct evm_rpc_url *u)
{
	int64_t delay = RPC_BACKOFF_MIN_MS;

	u->fails++;
	for (uint32_t i = 1; i < u->fails && delay < RPC_BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > RPC_BACKOFF_MAX_MS)
		delay = RPC_BACKOFF_MAX_MS;
	u->retry_at_ms = r->api->now_ms(r->host) + delay;
}

void
evm_rpc_blame(struct evm_rpc *r, const char *why)
{
	struct evm_rpc_url *u;

	if (r->last < 0 || (uint32_t)r->last >= r->count)
		return;
	u = &r->urls[r->last];
	r->api->log(r->host, CG_PLUGIN_LOG_WARN,
	    "rpc bad reply url=\"%s\" error=\"%s\"", u->label, why);
	mark_failed(r, u);
}

/* Checks one reply object of a batch and stores its result at its id. */
static int
take_reply(struct evm_rpc *r, struct evm_rpc_url *u, json_t *reply,
    json_t *results, unsigned char *seen, size_t n)
{
	json_t *id = json_object_get(reply, "id"), *res, *err;
	char text[RPC_TEXT_MAX];
	json_int_t i;

	if (!json_is_object(reply) || !json_is_integer(id))
		return -EIO;
	i = json_integer_value(id);
	if (i < 1 || (size_t)i > n || seen[i - 1])
		return -EIO;
	seen[i - 1] = 1;
	err = json_object_get(reply, "error");
	if (err != NULL && !json_is_null(err)) {
		r->error_code = json_integer_value(json_object_get(err,
		    "code"));
		clean_text(text, sizeof(text), json_string_value(
		    json_object_get(err, "message")));
		r->api->log(r->host, CG_PLUGIN_LOG_WARN, "rpc error url=\"%s\" "
		    "code=%lld message=\"%s\"", u->label, (long long)
		    json_integer_value(json_object_get(err, "code")), text);
		return -EREMOTEIO;	/* an answer, not a broken reply */
	}
	if ((res = json_object_get(reply, "result")) == NULL)
		return -EIO;
	return json_array_set(results, (size_t)i - 1, res) == 0 ? 0 : -ENOMEM;
}

/* Checks the envelope of a parsed reply; single: one call sent bare. */
static int
check_envelope(struct evm_rpc *r, struct evm_rpc_url *u, json_t *doc,
    size_t n, int single, json_t **results)
{
	unsigned char *seen = calloc(n, 1);
	json_t *out = json_array(), *item;
	size_t i;
	int rc = -ENOMEM;

	if (seen == NULL || out == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if (json_array_append_new(out, json_null()) < 0)
			goto fail;
	rc = -EIO;
	if (single) {
		if ((rc = take_reply(r, u, doc, out, seen, n)) < 0)
			goto fail;
	} else {
		if (!json_is_array(doc) || json_array_size(doc) != n)
			goto fail;
		json_array_foreach(doc, i, item)
			if ((rc = take_reply(r, u, item, out, seen, n)) < 0)
				goto fail;
	}
	free(seen);
	*results = out;
	return 0;
fail:
	free(seen);
	json_decref(out);
	return rc;
}

/* One HTTP exchange with URL u. */
static int
post(struct evm_rpc *r, struct evm_rpc_url *u, const char *body, size_t n,
    int single, json_t **results)
{
	static const char *const headers[] = {
		"Content-Type: application/json", "Accept: application/json" };
	struct cg_http_request req = {
		.struct_size = sizeof(req), .timeout_ms = r->timeout_ms,
		.method = "POST", .url = u->url, .headers = headers,
		.header_count = 2, .body = body, .body_len = strlen(body),
		.max_reply_bytes = RPC_REPLY_MAX };
	struct cg_http_response resp = { .struct_size = sizeof(resp) };
	json_error_t jerr;
	char text[RPC_TEXT_MAX];
	json_t *doc;
	int rc;

	if ((rc = r->api->http(r->host, &req, &resp)) < 0) {
		r->api->log(r->host, CG_PLUGIN_LOG_WARN, "rpc failed url=\"%s\" "
		    "error=%s", u->label, rc == -ETIMEDOUT ? "timeout" :
		    rc == -EMSGSIZE ? "reply-too-large" : rc == -ECANCELED ?
		    "cancelled" : "transport");
		return rc;
	}
	if (resp.status != 200) {
		r->api->log(r->host, CG_PLUGIN_LOG_WARN, "rpc failed url=\"%s\" "
		    "http_status=%d", u->label, (int)resp.status);
		r->api->http_free(r->host, &resp);
		return -EIO;
	}
	doc = json_loadb(resp.body, (size_t)resp.body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	r->api->http_free(r->host, &resp);
	if (doc == NULL) {
		clean_text(text, sizeof(text), jerr.text);
		r->api->log(r->host, CG_PLUGIN_LOG_WARN, "rpc malformed reply "
		    "url=\"%s\" error=\"%s\" line=%d", u->label, text,
		    jerr.line);
		return -EIO;
	}
	rc = check_envelope(r, u, doc, n, single, results);
	json_decref(doc);
	if (rc == -EIO)
		r->api->log(r->host, CG_PLUGIN_LOG_WARN, "rpc malformed reply "
		    "url=\"%s\" error=\"bad envelope\"", u->label);
	return rc;
}

/* The JSON text of calls[0..n), ids 1..n; bare object when single. */
static char *
encode(struct evm_call *calls, size_t n, int single)
{
	json_t *doc = single ? NULL : json_array(), *one;
	char *text;

	if (!single && doc == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		one = json_pack("{s:s,s:I,s:s,s:O}", "jsonrpc", "2.0", "id",
		    (json_int_t)(i + 1), "method", calls[i].method, "params",
		    calls[i].params);
		if (one == NULL)
			goto fail;
		if (single) {
			doc = one;
			break;
		}
		if (json_array_append_new(doc, one) < 0)
			goto fail;
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
fail:
	json_decref(doc);
	return NULL;
}

/* Asks URL u for its chain id and refuses it on a mismatch. */
static int
verify(struct evm_rpc *r, struct evm_rpc_url *u)
{
	struct evm_call c = { "eth_chainId", NULL };
	json_t *res = NULL;
	char *body;
	uint64_t id;
	int rc;

	if ((c.params = json_array()) == NULL)
		return -ENOMEM;
	body = encode(&c, 1, 1);
	json_decref(c.params);
	if (body == NULL)
		return -ENOMEM;
	rc = post(r, u, body, 1, 1, &res);
	free(body);
	if (rc < 0)
		return rc;
	rc = evm_hex_u64(json_array_get(res, 0), &id);
	json_decref(res);
	if (rc < 0) {
		r->api->log(r->host, CG_PLUGIN_LOG_WARN, "rpc bad chain id "
		    "reply url=\"%s\"", u->label);
		return -EIO;
	}
	if (id != r->chain_id) {
		r->api->log(r->host, CG_PLUGIN_LOG_ERROR, "chain id mismatch "
		    "url=\"%s\" expected=%llu found=%llu: url refused",
		    u->label, (unsigned long long)r->chain_id,
		    (unsigned long long)id);
		u->refused = 1;
		return -EINVAL;
	}
	u->verified = 1;
	return 0;
}

int
evm_rpc_check_all(struct evm_rpc *r)
{
	int refused = 0;

	for (uint32_t i = 0; i < r->count; i++) {
		int rc = verify(r, &r->urls[i]);

		if (rc == -EINVAL)
			refused = 1;
		else if (rc < 0)
			r->api->log(r->host, CG_PLUGIN_LOG_WARN, "chain id "
			    "not checked url=\"%s\": checked before first use",
			    r->urls[i].label);
	}
	return refused ? -EINVAL : 0;
}

/* One HTTP request with failover: URLs in order, skipping those backing
 * off (unless every usable one is), each verified before first use. */
static int
exchange(struct evm_rpc *r, const char *body, size_t n, int single,
    json_t **results)
{
	int64_t now = r->api->now_ms(r->host);
	int rc = -EIO, tried = 0;

	for (int pass = 0; pass < 2 && !tried; pass++) {
		for (uint32_t i = 0; i < r->count; i++) {
			struct evm_rpc_url *u = &r->urls[i];

			if (u->refused || (pass == 0 && u->retry_at_ms > now))
				continue;
			if (r->api->stopping(r->host))
				return -ECANCELED;
			tried = 1;
			if (!u->verified && (rc = verify(r, u)) < 0) {
				if (rc != -EINVAL)
					mark_failed(r, u);
				continue;
			}
			if ((rc = post(r, u, body, n, single, results)) == 0) {
				u->fails = 0;
				u->retry_at_ms = 0;
				r->last = (int)i;
				return 0;
			}
			/* Too large is the request's fault, not the URL's:
			 * the caller asks for less. */
			if (rc == -ENOMEM || rc == -ECANCELED ||
			    rc == -EMSGSIZE)
				return rc;
			/* A JSON-RPC error answer (logged with its code): the
			 * node works, another may still answer; no backoff. */
			if (rc != -EREMOTEIO)
				mark_failed(r, u);
		}
	}
	if (!tried)
		r->api->log(r->host, CG_PLUGIN_LOG_ERROR, "rpc no usable url "
		    "(every url refused for its chain id)");
	return rc == -EINVAL || rc == -EREMOTEIO ? -EIO : rc;
}

int
evm_rpc_batch(struct evm_rpc *r, struct evm_call *calls, size_t n,
    json_t **results)
{
	json_t *all = json_array(), *part;
	size_t done = 0, i;
	char *body;
	int rc = 0;

	r->error_code = 0;
	if (all == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (done < n) {
		size_t k = n - done < r->batch_limit ? n - done : r->batch_limit;

		if ((body = encode(calls + done, k, n == 1)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		rc = exchange(r, body, k, n == 1, &part);
		free(body);
		if (rc < 0)
			goto out;
		rc = json_array_extend(all, part) == 0 ? 0 : -ENOMEM;
		json_decref(part);
		if (rc < 0)
			goto out;
		done += k;
	}
out:
	for (i = 0; i < n; i++)
		json_decref(calls[i].params);
	if (rc < 0) {
		json_decref(all);
		return rc;
	}
	*results = all;
	return 0;
}

int
evm_rpc_call(struct evm_rpc *r, const char *method, json_t *params,
    json_t **result)
{
	struct evm_call c = { method, params };
	json_t *all;
	int rc;

	if (params == NULL)
		return -ENOMEM;
	if ((rc = evm_rpc_batch(r, &c, 1, &all)) < 0)
		return rc;
	*result = json_incref(json_array_get(all, 0));
	json_decref(all);
	return 0;
}
