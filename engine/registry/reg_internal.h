/* engine/registry/reg_internal: private declarations shared by the
 * registry client's files (include/hvc/registry.h is the public contract). */
#ifndef HVC_REG_INTERNAL_H
#define HVC_REG_INTERNAL_H

#include <curl/curl.h>
#include "hvc/registry.h"

/* Like hvc_err, but the message is complete: no strerror(code) appended. */
int hvc_reg_err(struct hvc_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Manifests larger than this are refused while they stream in (containerd's limit). */
#define HVC_REG_MANIFEST_MAX (4 << 20)
#define HVC_REG_TOKEN_MAX (1 << 20)
#define HVC_REG_ACCEPT                                                                             \
	"Accept: " HVC_MT_INDEX ", " HVC_MT_MANIFEST                                               \
	", application/vnd.docker.distribution.manifest.list.v2+json, " HVC_MT_DOCKER_MANIFEST

/* ---------- the client: one registry, its TLS and credentials (reg_client.c) */
struct hvc_reg_client {
	char *host;       /* "127.0.0.1:5000" */
	char *base;       /* "https://127.0.0.1:5000" or "http://…" */
	bool tls_verify;
	bool insecure;    /* listed in registries.json or --tls-verify=false: http allowed */
	char *ca_file, *cert_file, *key_file;
	char *user, *pass; /* never logged */
	char *auth_header; /* "Authorization: Bearer …" or "Basic …"; never logged */
	char *scope;       /* the scope the bearer token was granted for */
	int timeout_s;
	bool probing;      /* the first request over plain http: one attempt, no retries */
	CURL *easy;        /* sequential requests reuse its connection */
	const struct hvc_reg_opts *o;
};
int hvc_reg_client_open(const struct hvc_reg_opts *o, const char *host,
			struct hvc_reg_client **out, struct hvc_error *err);
/* Another client of the same registry (for another thread): same options
 * and scheme, its own connection and token. */
int hvc_reg_client_clone(const struct hvc_reg_client *c, struct hvc_reg_client **out,
			 struct hvc_error *err);
void hvc_reg_client_free(struct hvc_reg_client *c);
static inline void hvc_reg_client_freep(struct hvc_reg_client **c)
{
	hvc_reg_client_free(*c);
	*c = NULL;
}
#define _cleanup_reg_client_ __attribute__((cleanup(hvc_reg_client_freep)))
/* GET /v2/ (falls back to http for an insecure registry without TLS). */
int hvc_reg_client_ping(struct hvc_reg_client *c, struct hvc_error *err);
/* The TLS, time-out and redirect options every handle of this client gets. */
void hvc_reg_client_setup_easy(struct hvc_reg_client *c, CURL *e);

/* ---------- one request (reg_http.c) ------------------------------------ */
struct hvc_reg_req {
	const char *method;    /* "GET", "HEAD", "PUT", "POST", "PATCH" */
	char *url;             /* absolute */
	const char *scope;     /* token scope this request needs ("repository:x:pull") */
	const char *accept;    /* full "Accept: …" header line or NULL */
	const char *content_type;
	const char *extra_header; /* one more header line ("Content-Range: …") or NULL */
	const void *body;      /* upload from memory ... */
	size_t body_len;
	int body_fd;           /* ... or from a file (-1: none) at body_off */
	int64_t body_off;
	size_t max_resp;       /* response bodies larger than this fail */
	bool no_auth_retry;    /* a 401 is an answer (the /v2/ check, the token service) */
	bool no_retry;         /* one attempt only (the token service) */
	/* results */
	long status;
	struct hvc_strbuf resp;
	char *location, *content_type_got, *docker_digest, *range;
	int64_t content_length;
};
void hvc_reg_req_clear(struct hvc_reg_req *r);
/* One request with retries (5xx, 429, resets; backoff), no auth dance;
 * *www_auth (may be NULL) gets a 401's challenge. (reg_http.c) */
int hvc_reg_send(struct hvc_reg_client *c, struct hvc_reg_req *r, char **www_auth,
		 struct hvc_error *err);
/* Performs r with retries (5xx, 429, resets; backoff) and the auth dance
 * (401: challenge -> token or basic -> once more). Returns 0 with any HTTP
 * status in r->status; -1 for transport failures. */
int hvc_reg_do(struct hvc_reg_client *c, struct hvc_reg_req *r, struct hvc_error *err);
/* A clear error for an unexpected status (401/403/404/429/5xx, with the
 * registry's own error message when it sent one). Returns -1. */
int hvc_reg_status_err(const struct hvc_reg_req *r, const char *what, struct hvc_error *err);
/* Adds the client's Authorization header to l. */
struct curl_slist *hvc_reg_auth_headers(struct hvc_reg_client *c, struct curl_slist *l);
/* Delays before retries: 0.2 s, 0.4 s, 0.8 s ... (attempt from 0); -1 when done. */
int hvc_reg_backoff_ms(int attempt);
#define HVC_REG_RETRIES 4
bool hvc_reg_status_retryable(long status);
bool hvc_reg_curl_retryable(CURLcode rc);

/* ---------- auth (reg_auth.c) ------------------------------------------- */
/* After a 401: reads its challenge and gets a token (or sets basic auth).
 * 0 when the request may be retried, -1 when it cannot succeed. */
int hvc_reg_authenticate(struct hvc_reg_client *c, const char *www_auth, const char *scope,
			 struct hvc_error *err);
/* base64 (OpenSSL EVP_EncodeBlock / EVP_DecodeBlock). */
char *hvc_reg_base64(const char *s);
char *hvc_reg_unbase64(const char *s);

/* ---------- pull helpers ------------------------------------------------- */
/* Fetches descriptors' blobs into the store in parallel, each verified. */
struct hvc_reg_blob_job {
	const struct hvc_reg_desc *desc;
	const char *what; /* "config", "layer" */
	/* NULL: the fetch loop commits the blob itself (fsync, rename). Else
	 * the downloaded, not yet verified blob's writer is handed over (w is
	 * the callee's to commit and free), so that the commit's fsync and the
	 * layer's unpacking run beside the other downloads; a return < 0 (with
	 * err set) stops the pull. */
	int (*fetched)(const struct hvc_reg_blob_job *job, struct hvc_image_blob_writer *w,
		       struct hvc_error *err);
	void *data; /* the callee's */
};
int hvc_reg_fetch_blobs(struct hvc_reg_client *c, struct hvc_image_store *s, const char *repo,
			const struct hvc_reg_blob_job *jobs, size_t n, struct hvc_error *err);
/* The pool that commits and unpacks a pull's layers while the others still
 * download (reg_unpack.c). add() queues a blob (w: its writer, to commit
 * first; NULL: in the store already) whose layers are then unpacked; it
 * fails (and frees w) once any earlier blob failed. finish() waits for the
 * queue, frees the pool, and returns the first failure. */
struct hvc_reg_unpacker;
/* Run once, by a pool thread, before any blob is processed: sets *img
 * (owned by the caller, alive until finish) or fails the pool. */
typedef int (*hvc_reg_unpack_prepare_fn)(void *data, const struct hvc_image **img,
					 struct hvc_error *err);
int hvc_reg_unpacker_start(struct hvc_image_store *s, hvc_reg_unpack_prepare_fn prepare,
			   void *data, size_t n_layers, int threads, struct hvc_reg_unpacker **out);
int hvc_reg_unpacker_add(struct hvc_reg_unpacker *u, const char *digest,
			 struct hvc_image_blob_writer *w, struct hvc_error *err);
int hvc_reg_unpacker_finish(struct hvc_reg_unpacker *u, struct hvc_error *err);
/* GET a manifest by tag or digest (size-limited, digest-checked). */
int hvc_reg_get_manifest(struct hvc_reg_client *c, const char *repo, const char *ref,
			 char **body, size_t *len, char **ctype, char digest[HVC_DIGEST_LEN],
			 struct hvc_error *err);

/* ---------- push helpers (reg_upload.c) ---------------------------------- */
/* Makes the blob present in repo: HEAD, else a cross-repo mount from
 * from_repo (may be NULL), else an upload (monolithic, or chunked when
 * larger than the opts' chunk_size). */
int hvc_reg_put_blob(struct hvc_reg_client *c, struct hvc_image_store *s, const char *repo,
		     const char *from_repo, const struct hvc_reg_desc *d, const char *what,
		     struct hvc_error *err);

/* URL pieces */
char *hvc_reg_url(struct hvc_reg_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *hvc_reg_scope(const char *repo, const char *actions);
void hvc_reg_progress(const struct hvc_reg_opts *o, enum hvc_reg_event ev, const char *what,
		      const char *digest, int64_t done, int64_t total, uint64_t t0);

#endif
