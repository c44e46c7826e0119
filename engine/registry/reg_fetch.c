/* engine/registry/reg_fetch: blobs downloaded in parallel (a small fixed
 * pool of transfers on one curl multi handle, one thread), each streamed
 * into the store's blob writer, which hashes as it writes: a blob is
 * installed only when its digest and size match its descriptor. A dropped
 * connection or a 5xx is retried with backoff, resuming with a Range
 * request from the bytes already written. The blob's temp file is named by
 * its digest (tmp/partial-HEX) and kept when the pull dies (or fails on the
 * network), so that the next pull re-hashes what it holds and continues from
 * there with a Range request too; a server that answers 200 (Range ignored)
 * sends it all again. */
#include <string.h>
#include "reg_internal.h"

struct fetch {
	const struct hvc_reg_blob_job *job;
	CURL *e;
	struct curl_slist *hdrs;
	struct hvc_image_blob_writer *w;
	int attempt;
	bool active, done, auth_retried, bad_status, too_long, fresh, bad_range;
	uint64_t t0, last_report, not_before;
	char errbuf[CURL_ERROR_SIZE];
};

struct pool {
	struct hvc_reg_client *c;
	struct hvc_image_store *s;
	CURLM *m;
	char *scope;
	const char *repo;
	struct fetch *f;
	size_t n;
};

/* A 206's first byte ("Content-Range: bytes START-END/SIZE"); -1 unknown. */
static int64_t range_start(CURL *e)
{
	struct curl_header *h = NULL;
	long long start;
	if (curl_easy_header(e, "Content-Range", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h ||
	    !h->value || sscanf(h->value, "bytes %lld-", &start) != 1)
		return -1;
	return start;
}

static size_t on_data(char *data, size_t sz, size_t n, void *ud)
{
	struct fetch *f = ud;
	size_t len = sz * n;
	long st = 0;
	curl_easy_getinfo(f->e, CURLINFO_RESPONSE_CODE, &st);
	if (st != 200 && st != 206) {
		f->bad_status = true; /* an error body: not blob content */
		return len;
	}
	int64_t have = hvc_image_blob_writer_bytes(f->w);
	bool first = f->fresh;
	f->fresh = false;
	if (first && st == 200 && have > 0) {
		/* the server ignored our Range: start over */
		hvc_debug("registry: %s: 200 to a Range request: from byte 0 again",
			  f->job->desc->digest);
		if (hvc_image_blob_writer_restart(f->w, NULL) < 0)
			return 0;
		have = 0;
	}
	if (first && st == 206 && range_start(f->e) != have) {
		/* not the part asked for: drop what we have, ask for all of it */
		hvc_image_blob_writer_restart(f->w, NULL);
		f->bad_range = true;
		return 0;
	}
	if (have + (int64_t)len > f->job->desc->size) {
		f->too_long = true;
		return 0;
	}
	if (hvc_image_blob_writer_write(f->w, data, len, NULL) < 0)
		return 0;
	return len;
}


/* The blob's partial file (resumed from what an earlier, killed pull
 * wrote), or an anonymous temp file when another pull holds it. */
static int open_writer(struct pool *p, struct fetch *f, struct hvc_error *err)
{
	const struct hvc_reg_desc *d = f->job->desc;
	int k = hvc_image_blob_writer_open_partial(p->s, d->digest, &f->w, err);
	if (k < 0)
		return -1;
	if (k > 0)
		return hvc_image_blob_writer_open(p->s, d->digest, &f->w, err);
	int64_t have = hvc_image_blob_writer_bytes(f->w);
	if (have >= d->size && have > 0) /* nothing left to ask for: fetch it whole */
		return hvc_image_blob_writer_restart(f->w, err);
	if (have > 0)
		hvc_debug("registry: %s: %lld bytes from an earlier pull, re-hashed", d->digest,
			  (long long)have);
	return 0;
}

static int start(struct pool *p, struct fetch *f, struct hvc_error *err)
{
	if (!f->w && open_writer(p, f, err) < 0)
		return -1;
	f->e = curl_easy_init();
	if (!f->e)
		return hvc_reg_err(err, ENOMEM, "libcurl: cannot create a handle");
	hvc_reg_client_setup_easy(p->c, f->e);
	_cleanup_free_ char *url = hvc_reg_url(p->c, "/v2/%s/blobs/%s", p->repo, f->job->desc->digest);
	curl_easy_setopt(f->e, CURLOPT_URL, url);
	/* 256 KiB reads: 16 times fewer recv() and write() calls (and hash
	 * updates) per blob than libcurl's 16 KiB default */
	curl_easy_setopt(f->e, CURLOPT_BUFFERSIZE, 256L << 10);
	curl_easy_setopt(f->e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(f->e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->e, CURLOPT_PRIVATE, f);
	curl_easy_setopt(f->e, CURLOPT_ERRORBUFFER, f->errbuf);
	f->hdrs = hvc_reg_auth_headers(p->c, NULL);
	int64_t have = hvc_image_blob_writer_bytes(f->w);
	if (have > 0) {
		_cleanup_free_ char *range = hvc_xasprintf("Range: bytes=%lld-", (long long)have);
		f->hdrs = curl_slist_append(f->hdrs, range);
		hvc_debug("registry: resuming %s at byte %lld", f->job->desc->digest, (long long)have);
	}
	curl_easy_setopt(f->e, CURLOPT_HTTPHEADER, f->hdrs);
	f->errbuf[0] = '\0';
	f->bad_status = f->too_long = f->bad_range = false;
	f->active = f->fresh = true;
	if (!f->t0) {
		f->t0 = hvc_now_ns();
		hvc_reg_progress(p->c->o, HVC_REG_EV_START, f->job->what, f->job->desc->digest, 0,
				 f->job->desc->size, f->t0);
	}
	CURLMcode mc = curl_multi_add_handle(p->m, f->e);
	return mc ? hvc_reg_err(err, EIO, "libcurl: %s", curl_multi_strerror(mc)) : 0;
}

static void stop(struct pool *p, struct fetch *f)
{
	if (f->e) {
		curl_multi_remove_handle(p->m, f->e);
		curl_easy_cleanup(f->e);
		f->e = NULL;
	}
	curl_slist_free_all(f->hdrs);
	f->hdrs = NULL;
	f->active = false;
}

/* Schedules another attempt after a backoff; false when none is left. */
static bool retry_later(struct fetch *f)
{
	int ms = hvc_reg_backoff_ms(f->attempt);
	if (ms < 0)
		return false;
	f->attempt++;
	f->not_before = hvc_now_ns() + (uint64_t)ms * 1000000ull;
	return true;
}

static int finish_ok(struct pool *p, struct fetch *f, struct hvc_error *err)
{
	const struct hvc_reg_desc *d = f->job->desc;
	int64_t got = hvc_image_blob_writer_bytes(f->w);
	if (got < d->size) /* the connection ended early without an error: resume */
		return retry_later(f) ? 0
				      : hvc_reg_err(err, EIO, "blob %s: %lld of %lld bytes, then the "
							     "connection ended",
						    d->digest, (long long)got, (long long)d->size);
	hvc_reg_progress(p->c->o, HVC_REG_EV_DONE, f->job->what, d->digest, got, d->size, f->t0);
	f->done = true;
	if (f->job->fetched) {
		struct hvc_image_blob_writer *w = steal_pointer(&f->w);
		return f->job->fetched(f->job, w, err);
	}
	if (hvc_image_blob_writer_commit(f->w, NULL, err) < 0)
		return hvc_error_prefix(err, "%s/%s: %s", p->c->host, p->repo, f->job->what);
	hvc_image_blob_writer_free(f->w);
	f->w = NULL;
	return 0;
}

/* One finished transfer: installed, scheduled again, or an error. */
static int on_done(struct pool *p, struct fetch *f, CURLcode rc, struct hvc_error *err)
{
	long st = 0;
	curl_easy_getinfo(f->e, CURLINFO_RESPONSE_CODE, &st);
	struct curl_header *h = NULL;
	_cleanup_free_ char *www = NULL;
	if (st == 401 && curl_easy_header(f->e, "WWW-Authenticate", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		www = hvc_xstrdup(h->value);
	const char *digest = f->job->desc->digest;
	hvc_debug("registry: GET blob %s -> %ld%s%s (attempt %d, %.1f ms)", digest, st,
		  rc ? " " : "", rc ? curl_easy_strerror(rc) : "", f->attempt + 1,
		  hvc_ns_to_ms(hvc_now_ns() - f->t0));
	stop(p, f);
	if (f->too_long)
		return hvc_reg_err(err, EILSEQ, "blob %s: more bytes than its descriptor's %lld: refused",
				   digest, (long long)f->job->desc->size);
	if (f->bad_range && retry_later(f))
		return 0;
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && f->bad_status)) {
		if (hvc_reg_curl_retryable(rc) && retry_later(f)) {
			hvc_reg_progress(p->c->o, HVC_REG_EV_RETRY, f->job->what, digest,
					 hvc_image_blob_writer_bytes(f->w), f->job->desc->size, f->t0);
			return 0;
		}
		return hvc_reg_err(err, EIO, "%s: GET blob %s: %s%s%s%s", p->c->host, digest,
				   curl_easy_strerror(rc), *f->errbuf ? " (" : "", f->errbuf,
				   *f->errbuf ? ")" : "");
	}
	if (st == 200 || st == 206)
		return finish_ok(p, f, err);
	if (st == 401 && www && !f->auth_retried) {
		f->auth_retried = true;
		return hvc_reg_authenticate(p->c, www, p->scope, err);
	}
	if (hvc_reg_status_retryable(st) && retry_later(f))
		return 0;
	struct hvc_reg_req fake = { .status = st };
	_cleanup_free_ char *what = hvc_xasprintf("%s/%s: blob %s", p->c->host, p->repo, digest);
	return hvc_reg_status_err(&fake, what, err);
}

static void report_bytes(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct fetch *f = &p->f[i];
		if (f->active && f->w && hvc_now_ns() - f->last_report > 100000000ull) {
			f->last_report = hvc_now_ns();
			hvc_reg_progress(p->c->o, HVC_REG_EV_BYTES, f->job->what, f->job->desc->digest,
					 hvc_image_blob_writer_bytes(f->w), f->job->desc->size, f->t0);
		}
	}
}

/* Starts waiting transfers while fewer than max run; how many are unfinished. */
static int fill(struct pool *p, int max, size_t *unfinished, struct hvc_error *err)
{
	int running = 0;
	*unfinished = 0;
	for (size_t i = 0; i < p->n; i++)
		running += p->f[i].active;
	for (size_t i = 0; i < p->n; i++) {
		struct fetch *f = &p->f[i];
		*unfinished += !f->done;
		if (f->done || f->active || running >= max || hvc_now_ns() < f->not_before)
			continue;
		if (start(p, f, err) < 0)
			return -1;
		running++;
	}
	return 0;
}

/* perform, then the finished transfers, then poll: a transfer that the
 * perform completed is handled (and its slot refilled) at once, not after
 * a poll that has nothing left to wait for (that order cost up to the poll's
 * 100 ms per blob: the config's GET took ~110 ms instead of ~10). */
static int loop(struct pool *p, struct hvc_error *err)
{
	int max = p->c->o->parallel > 0 ? p->c->o->parallel : 3;
	for (;;) {
		size_t unfinished;
		if (fill(p, max, &unfinished, err) < 0)
			return -1;
		if (!unfinished)
			return 0;
		int still = 0, left = 0, finished = 0;
		CURLMcode mc = curl_multi_perform(p->m, &still);
		if (mc != CURLM_OK)
			return hvc_reg_err(err, EIO, "libcurl: %s", curl_multi_strerror(mc));
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(p->m, &left))) {
			struct fetch *f = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
			finished++;
			if (on_done(p, f, msg->data.result, err) < 0)
				return -1;
		}
		report_bytes(p);
		if (finished)
			continue;
		mc = curl_multi_poll(p->m, NULL, 0, 100, NULL);
		if (mc != CURLM_OK)
			return hvc_reg_err(err, EIO, "libcurl: %s", curl_multi_strerror(mc));
	}
}

int hvc_reg_fetch_blobs(struct hvc_reg_client *c, struct hvc_image_store *s, const char *repo,
			const struct hvc_reg_blob_job *jobs, size_t n, struct hvc_error *err)
{
	if (!n)
		return 0;
	struct pool p = { .c = c, .s = s, .repo = repo, .n = n };
	p.scope = hvc_reg_scope(repo, "pull");
	p.f = hvc_xcalloc(n, sizeof(*p.f));
	for (size_t i = 0; i < n; i++)
		p.f[i].job = &jobs[i];
	p.m = curl_multi_init();
	int rc = p.m ? loop(&p, err) : hvc_reg_err(err, ENOMEM, "libcurl: no multi handle");
	/* a pull that failed on the network (retries spent) keeps its partial
	 * blobs for the next one; any other failure (a digest mismatch, a
	 * hostile answer, 4xx) leaves tmp/ as it was */
	bool keep = rc < 0 && err && err->code == EIO;
	for (size_t i = 0; i < n; i++) {
		stop(&p, &p.f[i]);
		if (keep && p.f[i].w && hvc_image_blob_writer_bytes(p.f[i].w) > 0)
			hvc_image_blob_writer_keep(p.f[i].w);
		hvc_image_blob_writer_free(p.f[i].w); /* else an unfinished blob's temp file goes */
	}
	if (p.m)
		curl_multi_cleanup(p.m);
	free(p.f);
	free(p.scope);
	return rc;
}
