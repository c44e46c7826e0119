/* engine/registry/reg_http: one request to a registry through libcurl, with
 * what every request needs: the client's TLS and time-outs, retries with
 * backoff on 5xx, 429 and dropped connections, and the auth dance on 401.
 * The request trace (`-v`) names method, URL, status, bytes and time; the
 * Authorization header is never logged. */
#include <string.h>
#include <unistd.h>
#include "reg_internal.h"

void hvc_reg_client_setup_easy(struct hvc_reg_client *c, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_USERAGENT, "hvc/" HVC_VERSION);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)c->timeout_s);
	/* a stalled transfer (under 1 byte/s for the time-out) fails and is retried */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)c->timeout_s);
	/* blob GETs may redirect to storage; the Authorization header is not sent
	 * to another host (libcurl's rule for custom auth headers) */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, c->insecure ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file && c->key_file) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
	}
}

/* Drops what an earlier attempt answered (the request itself stays). */
static void reset_results(struct hvc_reg_req *r)
{
	free(r->resp.p);
	free(r->location);
	free(r->content_type_got);
	free(r->docker_digest);
	free(r->range);
	r->resp = (struct hvc_strbuf){ 0 };
	r->location = r->content_type_got = r->docker_digest = r->range = NULL;
	r->status = 0;
}

void hvc_reg_req_clear(struct hvc_reg_req *r)
{
	reset_results(r);
	free(r->url);
	r->url = NULL;
}

int hvc_reg_backoff_ms(int attempt)
{
	if (attempt >= HVC_REG_RETRIES)
		return -1;
	const char *scale = getenv("HVC_REGISTRY_BACKOFF_MS"); /* tests shorten it */
	int base = scale && atoi(scale) > 0 ? atoi(scale) : 200;
	return base << attempt;
}

bool hvc_reg_status_retryable(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool hvc_reg_curl_retryable(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
	       rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
	       rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM;
}

struct xfer {
	struct hvc_reg_req *r;
	size_t sent;
	bool too_big;
};

static size_t on_body(char *data, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = sz * n;
	if (x->r->resp.len + len > x->r->max_resp) {
		x->too_big = true;
		return 0;
	}
	hvc_strbuf_putn(&x->r->resp, data, len);
	return x->r->resp.oom ? 0 : len;
}

static size_t on_read(char *dst, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t want = sz * n, left = x->r->body_len - x->sent;
	if (want > left)
		want = left;
	if (x->r->body_fd >= 0) {
		ssize_t got = pread(x->r->body_fd, dst, want, x->r->body_off + (off_t)x->sent);
		if (got < 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)got;
	} else {
		memcpy(dst, (const char *)x->r->body + x->sent, want);
	}
	x->sent += want;
	return want;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
	struct xfer *x = ud;
	if (origin != SEEK_SET || off < 0 || (size_t)off > x->r->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static char *header(CURL *e, const char *name)
{
	struct curl_header *h = NULL;
	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h || !h->value)
		return NULL;
	return hvc_xstrdup(h->value);
}

struct curl_slist *hvc_reg_auth_headers(struct hvc_reg_client *c, struct curl_slist *l)
{
	return c->auth_header ? curl_slist_append(l, c->auth_header) : l;
}

static void set_method(CURL *e, struct hvc_reg_req *r, struct xfer *x)
{
	bool has_body = r->body || r->body_fd >= 0;
	if (!strcmp(r->method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (!strcmp(r->method, "GET"))
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (has_body) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
	} else if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
}

/* One attempt: sets r->status and the headers; the curl result. */
static CURLcode perform_once(struct hvc_reg_client *c, struct hvc_reg_req *r, struct xfer *x,
			     char *errbuf, char **www_auth, char **retry_after)
{
	CURL *e = c->easy;
	curl_easy_reset(e);
	hvc_reg_client_setup_easy(c, e);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	set_method(e, r, x);
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	if (r->accept)
		h = curl_slist_append(h, r->accept);
	if (r->content_type) {
		_cleanup_free_ char *ct = hvc_xasprintf("Content-Type: %s", r->content_type);
		h = curl_slist_append(h, ct);
	}
	if (r->extra_header)
		h = curl_slist_append(h, r->extra_header);
	h = hvc_reg_auth_headers(c, h);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	errbuf[0] = '\0';
	CURLcode rc = curl_easy_perform(e);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	r->status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_off_t cl = -1;
	curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	r->content_length = cl;
	r->location = header(e, "Location");
	r->content_type_got = header(e, "Content-Type");
	r->docker_digest = header(e, "Docker-Content-Digest");
	r->range = header(e, "Range");
	*www_auth = header(e, "WWW-Authenticate");
	*retry_after = header(e, "Retry-After");
	return rc;
}

static void sleep_before_retry(int attempt, const char *retry_after)
{
	int ms = hvc_reg_backoff_ms(attempt);
	if (retry_after && atoi(retry_after) > 0)
		ms = atoi(retry_after) > 10 ? 10000 : atoi(retry_after) * 1000;
	usleep((useconds_t)ms * 1000);
}

static int transport_err(struct hvc_reg_client *c, struct hvc_reg_req *r, CURLcode rc,
			 const struct xfer *x, const char *errbuf, struct hvc_error *err)
{
	if (x->too_big)
		return hvc_reg_err(err, EFBIG, "%s %s: answer larger than %zu bytes: refused",
				   r->method, r->url, r->max_resp);
	const char *hint = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE
				   ? " (a private CA: --cert-dir DIR with its .crt; or --tls-verify=false)"
			   : rc == CURLE_TOO_MANY_REDIRECTS ? " (a redirect loop)"
							    : "";
	return hvc_reg_err(err, EIO, "%s: %s %s: %s%s%s%s%s", c->host, r->method, r->url,
			   curl_easy_strerror(rc), *errbuf ? " (" : "", errbuf, *errbuf ? ")" : "",
			   hint);
}

int hvc_reg_send(struct hvc_reg_client *c, struct hvc_reg_req *r, char **www_auth_out,
		  struct hvc_error *err)
{
	/* probing (plain http to a maybe-TLS-only registry): a transport
	 * failure is an answer, not a reason to retry; statuses still are */
	bool once = r->no_retry || c->probing;
	for (int attempt = 0;;) {
		struct xfer x = { .r = r };
		char errbuf[CURL_ERROR_SIZE];
		_cleanup_free_ char *www_auth = NULL, *retry_after = NULL;
		reset_results(r);
		uint64_t t0 = hvc_now_ns();
		CURLcode rc = perform_once(c, r, &x, errbuf, &www_auth, &retry_after);
		hvc_debug("registry: %s %s -> %ld%s%s (%zu bytes, %.1f ms)", r->method, r->url,
			  r->status, rc ? " " : "", rc ? curl_easy_strerror(rc) : "", r->resp.len,
			  hvc_ns_to_ms(hvc_now_ns() - t0));
		if (rc != CURLE_OK) {
			if (hvc_reg_curl_retryable(rc) && !once && hvc_reg_backoff_ms(attempt) >= 0 &&
			    !x.too_big) {
				sleep_before_retry(attempt++, NULL);
				continue;
			}
			return transport_err(c, r, rc, &x, errbuf, err);
		}
		if (hvc_reg_status_retryable(r->status) && !r->no_retry &&
		    hvc_reg_backoff_ms(attempt) >= 0) {
			hvc_debug("registry: HTTP %ld, retrying", r->status);
			sleep_before_retry(attempt++, retry_after);
			continue;
		}
		if (www_auth_out)
			*www_auth_out = steal_pointer(&www_auth);
		return 0;
	}
}

/* {"errors":[{"code":…,"message":…}]}: the registry's own words, when sent. */
static void registry_message(const struct hvc_reg_req *r, char *out, size_t cap)
{
	out[0] = '\0';
	_cleanup_json_ json_object *o = NULL;
	if (!r->resp.len || hvc_json_parse(r->resp.p, r->resp.len, "error", &o, NULL) < 0)
		return;
	json_object *e0 = json_object_array_get_idx(hvc_json_get(o, "errors"), 0);
	const char *code = hvc_json_get_string(e0, "code"), *msg = hvc_json_get_string(e0, "message");
	if (code || msg)
		snprintf(out, cap, " (%s%s%s)", code ? code : "", code && msg ? ": " : "",
			 msg ? msg : "");
}

int hvc_reg_status_err(const struct hvc_reg_req *r, const char *what, struct hvc_error *err)
{
	char said[512];
	registry_message(r, said, sizeof(said));
	const char *why = r->status == 401   ? " Unauthorized: authentication required or "
						"credentials rejected (hvc login HOST)"
			  : r->status == 403 ? " Forbidden: access denied"
			  : r->status == 404 ? " Not Found"
			  : r->status == 429 ? " Too Many Requests: the registry rate-limits; "
						"retried, still refused"
			  : r->status >= 500 ? ": server error, retried, still failing"
					     : ": unexpected answer";
	int code = r->status == 401 || r->status == 403 ? EACCES
		   : r->status == 404			  ? ENOENT
		   : r->status == 429			  ? EAGAIN
							  : EPROTO;
	return hvc_reg_err(err, code, "%s: HTTP %ld%s%s", what, r->status, why, said);
}
