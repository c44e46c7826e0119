/* engine/registry: a client of the OCI distribution spec — references,
 * credentials ($HVC_ROOT/auth.json), the bearer-token flow, and pull/push on
 * top of the image store (the store stays the one place that writes blobs).
 * The parsers of what a registry answers take buffers, so unit tests and
 * fuzz targets call them without a network. */
#ifndef HVC_REGISTRY_H
#define HVC_REGISTRY_H

#include "hvc/image.h"

/* ---------- references (engine/registry/reg_reference.c; pure) ----------
 * Docker's grammar: [HOST[:PORT]/]PATH[:TAG][@sha256:HEX]. The first path
 * component is a host when it holds a '.' or a ':' or is "localhost" and a
 * further component follows. A reference without a host names the local
 * store only: hvc has no default registry. */
struct hvc_reg_ref {
	char *host;   /* "127.0.0.1:5000"; NULL when the reference names no registry */
	char *repo;   /* "library/busybox" */
	char *tag;    /* NULL when absent (and with a digest: "latest" is not implied) */
	char *digest; /* "sha256:…" or NULL */
};
/* 1 (a registry reference, host set), 0 (valid, but local: no host), -1 invalid. */
int hvc_reg_ref_parse(const char *s, struct hvc_reg_ref *out, struct hvc_error *err);
void hvc_reg_ref_clear(struct hvc_reg_ref *r);
/* "HOST/REPO:TAG" (tag "latest" when neither tag nor digest), or "HOST/REPO@DIGEST". */
char *hvc_reg_ref_string(const struct hvc_reg_ref *r);

/* ---------- answers of a registry (reg_parse.c; pure, fuzzable) ---------- */
/* WWW-Authenticate: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
struct hvc_reg_challenge {
	char scheme[16]; /* "bearer" or "basic", lowercase */
	char *realm, *service, *scope;
};
int hvc_reg_challenge_parse(const char *buf, size_t len, struct hvc_reg_challenge *out,
			    struct hvc_error *err);
void hvc_reg_challenge_clear(struct hvc_reg_challenge *c);

enum hvc_reg_doc_kind { HVC_REG_DOC_MANIFEST, HVC_REG_DOC_INDEX };
struct hvc_reg_desc {
	char media_type[128];
	char digest[HVC_DIGEST_LEN];
	int64_t size;
	char os[32], arch[32], variant[32]; /* platform, index entries only ("" when absent) */
};
/* A manifest (config + layers) or an index/manifest list (manifests), as
 * the distribution spec and Docker's v2 schema 2 define them. */
struct hvc_reg_doc {
	enum hvc_reg_doc_kind kind;
	char media_type[128];
	struct hvc_reg_desc config; /* manifests */
	struct hvc_reg_desc *items; /* layers (manifest) or manifests (index) */
	size_t n_items;
};
/* content_type: the response's Content-Type (may be NULL; the document's
 * own mediaType wins when both are there and agree, a disagreement is an
 * error). Refuses schema 1, unknown media types and invalid descriptors. */
int hvc_reg_doc_parse(const char *buf, size_t len, const char *content_type,
		      struct hvc_reg_doc *out, struct hvc_error *err);
void hvc_reg_doc_clear(struct hvc_reg_doc *d);
/* The index entry for os/arch[/variant] ("linux/amd64"); NULL when none. */
const struct hvc_reg_desc *hvc_reg_doc_pick(const struct hvc_reg_doc *index, const char *platform);
/* {"token": …} or {"access_token": …} of a token endpoint; malloc'd. */
int hvc_reg_token_parse(const char *buf, size_t len, char **token, struct hvc_error *err);

/* ---------- credentials (reg_authfile.c) -------------------------------
 * $HVC_ROOT/auth.json in containers-auth.json form ({"auths":{HOST:{"auth":
 * base64(user:pass)}}}), mode 0600. Never printed nor logged. */
char *hvc_reg_authfile_path(const char *root);
/* 1 found (*user, *pass malloc'd), 0 none. */
int hvc_reg_auth_get(const char *file, const char *host, char **user, char **pass,
		     struct hvc_error *err);
int hvc_reg_auth_set(const char *file, const char *host, const char *user, const char *pass,
		     struct hvc_error *err);
/* 1 removed, 0 there was nothing for host. */
int hvc_reg_auth_remove(const char *file, const char *host, struct hvc_error *err);

/* ---------- pull, push, login ---------------------------------------- */
enum hvc_reg_event { HVC_REG_EV_START, HVC_REG_EV_BYTES, HVC_REG_EV_SKIP, HVC_REG_EV_DONE,
		     HVC_REG_EV_RETRY };
struct hvc_reg_progress {
	enum hvc_reg_event ev;
	const char *what; /* "config", "layer" */
	const char *digest;
	int64_t done, total; /* bytes; total -1 when unknown */
	uint64_t elapsed_ns;
};
typedef void (*hvc_reg_progress_fn)(const struct hvc_reg_progress *p, void *data);

struct hvc_reg_opts {
	const char *root;      /* $HVC_ROOT: auth.json, registries.json, certs.d/ */
	int tls_verify;        /* -1: the config's word (insecure list), 0 off, 1 on */
	const char *cert_dir;  /* *.crt: CAs; *.cert + *.key: client certificate */
	const char *authfile;  /* NULL: $HVC_ROOT/auth.json */
	const char *creds;     /* "USER:PASS" for this command only; NULL: auth.json */
	const char *platform;  /* "os/arch[/variant]"; NULL: linux/<host arch> */
	int parallel;          /* blob transfers at once; <= 0: 3 */
	int timeout_s;         /* connect and stall time-out; <= 0: $HVC_REGISTRY_TIMEOUT or 30 */
	int64_t chunk_size;    /* push: > 0 uploads blobs larger than this in PATCH chunks */
	hvc_reg_progress_fn progress;
	void *progress_data;
};

/* Pulls ref into the store; *digest receives the manifest digest stored
 * (the platform's manifest when ref names an index). Nothing is added to
 * the index unless every blob arrived and verified. */
int hvc_reg_pull(struct hvc_image_store *s, const char *ref, const struct hvc_reg_opts *o,
		 char digest[HVC_DIGEST_LEN], struct hvc_error *err);
/* Pushes the local image (name or digest) to remote (a registry reference;
 * NULL: local must itself name a registry). */
int hvc_reg_push(struct hvc_image_store *s, const char *local, const char *remote,
		 const struct hvc_reg_opts *o, char digest[HVC_DIGEST_LEN], struct hvc_error *err);
/* Checks user/pass against HOST's /v2/ (and its token endpoint), then stores them. */
int hvc_reg_login(const struct hvc_reg_opts *o, const char *host, const char *user,
		  const char *pass, struct hvc_error *err);

/* --pull=missing|always|never for run and build FROM. */
enum hvc_reg_pull_policy { HVC_PULL_MISSING, HVC_PULL_ALWAYS, HVC_PULL_NEVER };
int hvc_reg_pull_policy_parse(const char *s, enum hvc_reg_pull_policy *out,
			      struct hvc_error *err);
/* Makes ref present as the policy says: pulls when ref names a registry and
 * is absent (missing) or always; a local name is left to the store. */
int hvc_reg_ensure(struct hvc_image_store *s, const char *ref, enum hvc_reg_pull_policy policy,
		   const struct hvc_reg_opts *o, struct hvc_error *err);

#endif
