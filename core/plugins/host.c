#include "plugins/host.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cg_build_config.h"
#include "util/clock.h"
#include "util/log.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void
global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
cg_host_global_init(void)
{
	pthread_once(&global_once, global_init);
}

static void host_log(struct cg_host *h, uint32_t level, const char *fmt, ...)
	CG_PLUGIN_PRINTF(3, 4);

static void
host_log(struct cg_host *h, uint32_t level, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	if (level > CG_PLUGIN_LOG_DEBUG)
		level = CG_PLUGIN_LOG_DEBUG;
	if ((int)level > cg_log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Plugin text must not forge extra log lines. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	cg_log((int)level, "plugin", "instance=%s %s", h->name, msg);
}

void
cg_host_swap_settings(struct cg_host *h, struct cg_cval *settings)
{
	struct cg_cval old;

	pthread_rwlock_wrlock(&h->settings_lock);
	old = h->settings;
	h->settings = *settings;
	pthread_rwlock_unlock(&h->settings_lock);
	memset(settings, 0, sizeof(*settings));
	cg_cval_clear(&old);
}

static int
copy_out(const char *s, size_t len, char *out, size_t out_size,
    size_t *out_len)
{
	if (out_len != NULL)
		*out_len = len;
	if (out == NULL || out_size < len + 1)
		return -ENOSPC;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Looks up path under the settings; read lock held by the caller. */
static const struct cg_cval *
lookup(struct cg_host *h, const char *path)
{
	if (path == NULL)
		return NULL;
	return cg_cval_get(&h->settings, path);
}

static int
host_config_string(struct cg_host *h, const char *path, char *out,
    size_t out_size, size_t *out_len)
{
	const struct cg_cval *v;
	int rc;

	pthread_rwlock_rdlock(&h->settings_lock);
	if ((v = lookup(h, path)) == NULL)
		rc = -ENOENT;
	else if (v->str == NULL || (v->type != CG_KEY_STRING &&
	    v->type != CG_KEY_DECIMAL && v->type != CG_KEY_ENUM))
		rc = -EINVAL;
	else
		rc = copy_out(v->str, v->len, out, out_size, out_len);
	pthread_rwlock_unlock(&h->settings_lock);
	return rc;
}

static int
host_config_number(struct cg_host *h, const char *path, uint32_t type,
    int64_t *out)
{
	const struct cg_cval *v;
	int rc = 0;

	pthread_rwlock_rdlock(&h->settings_lock);
	if ((v = lookup(h, path)) == NULL)
		rc = -ENOENT;
	else if (v->type != type)
		rc = -EINVAL;
	else
		*out = v->num;
	pthread_rwlock_unlock(&h->settings_lock);
	return rc;
}

static int
host_config_int(struct cg_host *h, const char *path, int64_t *out)
{
	return host_config_number(h, path, CG_KEY_INT, out);
}

static int
host_config_bool(struct cg_host *h, const char *path, int32_t *out)
{
	int64_t v;
	int rc;

	if ((rc = host_config_number(h, path, CG_KEY_BOOL, &v)) == 0)
		*out = (int32_t)v;
	return rc;
}

static int
is_container(const struct cg_cval *v)
{
	return v->type == CG_KEY_TABLE || v->type == CG_KEY_MAP ||
	    v->type == CG_KEY_STRING_LIST;
}

static int
host_config_count(struct cg_host *h, const char *path, uint32_t *out)
{
	const struct cg_cval *v;
	int rc = 0;

	pthread_rwlock_rdlock(&h->settings_lock);
	if ((v = lookup(h, path)) == NULL)
		rc = -ENOENT;
	else if (!is_container(v))
		rc = -EINVAL;
	else
		*out = (uint32_t)v->n;
	pthread_rwlock_unlock(&h->settings_lock);
	return rc;
}

static int
host_config_key(struct cg_host *h, const char *path, uint32_t index,
    char *out, size_t out_size, size_t *out_len)
{
	const struct cg_cval *v;
	int rc;

	pthread_rwlock_rdlock(&h->settings_lock);
	if ((v = lookup(h, path)) == NULL || (is_container(v) &&
	    index >= v->n))
		rc = -ENOENT;
	else if (v->type != CG_KEY_TABLE && v->type != CG_KEY_MAP)
		rc = -EINVAL;
	else
		rc = copy_out(v->items[index].name,
		    strlen(v->items[index].name), out, out_size, out_len);
	pthread_rwlock_unlock(&h->settings_lock);
	return rc;
}

struct reply {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;
	int too_large;
	atomic_int *stopping;
};

static size_t
reply_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct reply *r = ud;
	size_t n = size * nmemb;

	if (n > r->max - r->len) {
		r->too_large = 1;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *nb;

		while (cap < r->len + n + 1)
			cap *= 2;
		if ((nb = realloc(r->buf, cap)) == NULL)
			return 0;
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static int
reply_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct reply *r = ud;

	return atomic_load(r->stopping) ? 1 : 0;
}

static int
valid_header(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL && strchr(s, ':');
}

/* The request as the host will run it: caps applied, headers checked. */
static int
http_prepare(const struct cg_http_request *req, struct curl_slist **hdrs,
    uint32_t *timeout, size_t *max)
{
	struct curl_slist *tmp;

	*timeout = CG_HOST_HTTP_TIMEOUT_MS;
	if (req->timeout_ms != 0)
		*timeout = req->timeout_ms < CG_HOST_HTTP_TIMEOUT_MAX_MS ?
		    req->timeout_ms : CG_HOST_HTTP_TIMEOUT_MAX_MS;
	*max = CG_HOST_HTTP_REPLY_BYTES;
	if (req->max_reply_bytes != 0)
		*max = req->max_reply_bytes < CG_HOST_HTTP_REPLY_MAX_BYTES ?
		    (size_t)req->max_reply_bytes : CG_HOST_HTTP_REPLY_MAX_BYTES;
	for (uint32_t i = 0; i < req->header_count; i++) {
		if (!valid_header(req->headers[i]))
			return -EINVAL;
		if ((tmp = curl_slist_append(*hdrs, req->headers[i])) == NULL)
			return -ENOMEM;
		*hdrs = tmp;
	}
	return 0;
}

static void
http_setopts(CURL *c, const struct cg_http_request *req,
    struct curl_slist *hdrs, uint32_t timeout, struct reply *r)
{
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "cryptic-gateway/" CG_VERSION);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (req->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	/* The progress callback is where a shutdown cancels the transfer. */
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, reply_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

static int
http_errno(CURLcode cc, const struct reply *r)
{
	switch (cc) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_WRITE_ERROR:
		return r->too_large ? -EMSGSIZE : -ENOMEM;
	default:
		return -EIO;
	}
}

static int
host_http(struct cg_host *h, const struct cg_http_request *req,
    struct cg_http_response *resp)
{
	struct reply r = { .stopping = h->stopping };
	struct curl_slist *hdrs = NULL;
	uint32_t timeout;
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int rc;

	if (req == NULL || resp == NULL ||
	    !CG_HAS_MEMBER(req, struct cg_http_request, max_reply_bytes) ||
	    !CG_HAS_MEMBER(resp, struct cg_http_response, body_len) ||
	    req->url == NULL || req->method == NULL ||
	    (strncmp(req->url, "http://", 7) != 0 &&
	    strncmp(req->url, "https://", 8) != 0))
		return -EINVAL;
	resp->status = 0;
	resp->body = NULL;
	resp->body_len = 0;
	if (atomic_load(h->stopping))
		return -ECANCELED;
	if ((rc = http_prepare(req, &hdrs, &timeout, &r.max)) < 0)
		goto done;
	if ((c = curl_easy_init()) == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	http_setopts(c, req, hdrs, timeout, &r);
	cc = curl_easy_perform(c);
	if ((rc = http_errno(cc, &r)) != 0) {
		host_log(h, CG_PLUGIN_LOG_DEBUG, "http failed method=%s "
		    "error=\"%s\"", req->method, curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (r.buf == NULL && (r.buf = calloc(1, 1)) == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	resp->status = (int32_t)status;
	resp->body = r.buf;
	resp->body_len = r.len;
	r.buf = NULL;
done:
	free(r.buf);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return rc;
}

static void
host_http_free(struct cg_host *h, struct cg_http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

static int
host_random(struct cg_host *h, void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int64_t
host_now_ms(struct cg_host *h)
{
	return cg_now_ms();
}

static int32_t
host_stopping(struct cg_host *h)
{
	return atomic_load(h->stopping) ? 1 : 0;
}

const struct cg_host_api cg_host_api_table = {
	.struct_size = sizeof(struct cg_host_api),
	.abi_version = CG_PLUGIN_ABI_VERSION,
	.log = host_log,
	.config_string = host_config_string,
	.config_int = host_config_int,
	.config_bool = host_config_bool,
	.config_count = host_config_count,
	.config_key = host_config_key,
	.http = host_http,
	.http_free = host_http_free,
	.random_bytes = host_random,
	.now_ms = host_now_ms,
	.stopping = host_stopping,
};
