/* engine/image: the OCI image store shared by containers and VMs.
 * This is the contract the runtime (engine), the VM driver and the bench
 * harness code against; engine/image/ implements it. */
#ifndef HVC_IMAGE_H
#define HVC_IMAGE_H

#include "hvc/util.h"

struct hvc_image_store; /* opaque: $HVC_ROOT/images (+ layers/ cache), locked as needed */

/* The parts of an OCI image config a runtime applies (Docker semantics). */
struct hvc_image_config {
	char **env;        /* "K=V", NULL-terminated; may be NULL */
	char **entrypoint; /* may be NULL */
	char **cmd;        /* may be NULL */
	char *workdir;     /* may be NULL */
	char *user;        /* may be NULL */
	char **labels;     /* "K=V"; may be NULL */
};

/* A resolved image. */
struct hvc_image {
	char *name;            /* "busybox:latest", or NULL when referenced by digest only */
	char *manifest_digest; /* "sha256:…" */
	char *config_digest;
	char **diff_ids;       /* bottom layer first, NULL-terminated */
	size_t n_layers;
	struct hvc_image_config config;
	char *architecture, *os, *created;
	/* Added by the store (fields above are the contract; these extend it): */
	struct hvc_image_layer *layers; /* n_layers manifest descriptors, bottom first */
	int64_t manifest_size, config_size;
};

/* Opens (creating when absent) the store under root (normally hvc_root()). */
int hvc_image_store_open(const char *root, struct hvc_image_store **out, struct hvc_error *err);
void hvc_image_store_close(struct hvc_image_store *s);
static inline void hvc_image_store_closep(struct hvc_image_store **s)
{
	hvc_image_store_close(*s); /* safe on NULL */
	*s = NULL;
}
#define _cleanup_image_store_ __attribute__((cleanup(hvc_image_store_closep)))
/* Blob reads through this handle check each blob's size against its
 * descriptor but do not re-hash it. Content is verified when it enters the
 * store (import, load, build) and by `hvc image fsck`, as containerd does;
 * the container start path uses this because hashing there would load and
 * initialise libcrypto on every `hvc run` (about 1.5 ms, bench/micro/run.sh). */
void hvc_image_store_trust_reads(struct hvc_image_store *s);

/* Resolves "name[:tag]", "sha256:<hex>" or a unique digest prefix.
 * "busybox[:latest]" absent from the store is first created from the host's
 * busybox-static (hvc_image_import_busybox), so a fresh root can run it.
 * Unknown: error `image "busybx" not found (try: hvc images)` with code ENOENT. */
int hvc_image_resolve(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		      struct hvc_error *err);
void hvc_image_free(struct hvc_image *img);
static inline void hvc_image_freep(struct hvc_image **img)
{
	hvc_image_free(*img); /* safe on NULL */
	*img = NULL;
}
#define _cleanup_image_ __attribute__((cleanup(hvc_image_freep)))
/* The same, but never creates busybox:latest (for rm and other queries). */
int hvc_image_lookup(struct hvc_image_store *s, const char *ref, struct hvc_image **out,
		     struct hvc_error *err);

/* Ensures every layer is unpacked in $root/layers/<diff-id>/ (once, verified)
 * and returns the overlayfs lowerdir list, TOP layer first (the order
 * overlayfs' lowerdir= option wants), NULL-terminated. */
int hvc_image_lowerdirs(struct hvc_image_store *s, const struct hvc_image *img, char ***dirs,
			struct hvc_error *err);

/* Writes the image's merged filesystem (whiteouts applied) into dest, which
 * must not exist or be empty. Used by the VM driver for initramfs/disk. */
int hvc_image_flatten(struct hvc_image_store *s, const struct hvc_image *img, const char *dest,
		      struct hvc_error *err);
/* Unpacks every layer of every image into the layer cache (`hvc image du --unpack`). */
int hvc_image_unpack_all(struct hvc_image_store *s, struct hvc_error *err);

/* ======================================================================
 * Lower-level store API (image import, `hvc build`, save/load, the CLI).
 * Digests are "sha256:<64 hex>" strings (HVC_DIGEST_LEN bytes with the NUL).
 * ====================================================================== */
#define HVC_DIGEST_LEN 72
#define HVC_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define HVC_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define HVC_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define HVC_MT_LAYER_TGZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define HVC_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define HVC_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define HVC_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define HVC_ANNOT_REF_NAME "org.opencontainers.image.ref.name"

/* One layer: its blob (compressed) and its diff_id (sha256 of the plain tar). */
struct hvc_image_layer {
	char digest[HVC_DIGEST_LEN];
	char diff_id[HVC_DIGEST_LEN];
	int64_t size;           /* compressed blob bytes */
	int64_t tar_size;       /* uncompressed tar bytes; -1 when unknown */
	char media_type[96];
};

/* Paths inside the store (borrowed, valid until close). */
const char *hvc_image_store_root(struct hvc_image_store *s);   /* $HVC_ROOT */
const char *hvc_image_store_layout(struct hvc_image_store *s); /* $HVC_ROOT/images */
/* A scratch directory on the store's filesystem (renames into the store are atomic). */
const char *hvc_image_store_tmpdir(struct hvc_image_store *s);
/* malloc'd path of a blob ("sha256:…" -> …/blobs/sha256/<hex>); NULL on a bad digest. */
char *hvc_image_blob_path(struct hvc_image_store *s, const char *digest);

/* Exclusive store lock (flock) around index changes and GC. Re-entrant per handle.
 * Writers that create blobs before referencing them (builds) call
 * hvc_image_store_hold() once: it keeps GC from deleting their fresh blobs
 * until hvc_image_store_close(). */
int hvc_image_store_lock(struct hvc_image_store *s, struct hvc_error *err);
void hvc_image_store_unlock(struct hvc_image_store *s);
int hvc_image_store_hold(struct hvc_image_store *s, struct hvc_error *err);
/* Gives the hold back before close (a run holds it from resolving its image
 * until its config.json names the image; NULL: nothing). */
void hvc_image_store_unhold(struct hvc_image_store *s);

/* Digests (OpenSSL EVP). */
bool hvc_digest_valid(const char *digest); /* "sha256:" + 64 lowercase hex */
void hvc_digest_buf(const void *data, size_t len, char out[HVC_DIGEST_LEN]);
int hvc_digest_file(const char *path, char out[HVC_DIGEST_LEN], int64_t *size, struct hvc_error *err);

/* Blobs: temp file + fsync + rename into blobs/sha256/. Existing blobs are kept. */
int hvc_image_blob_write_buf(struct hvc_image_store *s, const void *data, size_t len,
			     char digest[HVC_DIGEST_LEN], struct hvc_error *err);
/* Copies a file into the store; when expect is non-NULL the content must match it. */
int hvc_image_blob_write_file(struct hvc_image_store *s, const char *path, const char *expect,
			      char digest[HVC_DIGEST_LEN], int64_t *size, struct hvc_error *err);
/* A blob written as it arrives (the registry client streams into it): a
 * temp file in the store, hashed on the way; commit checks expect (when not
 * NULL), fsyncs and renames it into blobs/; free without commit removes the
 * temp file, so a failed or interrupted download leaves the store unchanged. */
struct hvc_image_blob_writer;
int hvc_image_blob_writer_open(struct hvc_image_store *s, const char *expect,
			       struct hvc_image_blob_writer **out, struct hvc_error *err);
int hvc_image_blob_writer_write(struct hvc_image_blob_writer *w, const void *data, size_t len,
				struct hvc_error *err);
/* A resumable writer (a download that may continue in a later process):
 * its temp file is tmp/partial-HEX, named by the expected digest, kept when
 * the writer is freed without a commit (a killed or failed pull leaves it for
 * the next one) and locked (flock) while open. What it already holds is
 * hashed again and writing continues after it (hvc_image_blob_writer_bytes
 * says where). 1 when another writer holds it (*out unset: use an ordinary
 * writer), 0, -1. Freed without a commit it is removed, like any temp
 * blob, unless hvc_image_blob_writer_keep() said otherwise (a pull that
 * failed on the network keeps it; one killed keeps it anyway). */
int hvc_image_blob_writer_open_partial(struct hvc_image_store *s, const char *expect,
				       struct hvc_image_blob_writer **out, struct hvc_error *err);
void hvc_image_blob_writer_keep(struct hvc_image_blob_writer *w);
int64_t hvc_image_blob_writer_bytes(const struct hvc_image_blob_writer *w);
/* Back to empty (a server that ignored a Range request sends it all again). */
int hvc_image_blob_writer_restart(struct hvc_image_blob_writer *w, struct hvc_error *err);
int hvc_image_blob_writer_commit(struct hvc_image_blob_writer *w, char digest[HVC_DIGEST_LEN],
				 struct hvc_error *err);
void hvc_image_blob_writer_free(struct hvc_image_blob_writer *w);
static inline void hvc_image_blob_writer_freep(struct hvc_image_blob_writer **w)
{
	hvc_image_blob_writer_free(*w); /* safe on NULL */
	*w = NULL;
}
#define _cleanup_image_blob_writer_ __attribute__((cleanup(hvc_image_blob_writer_freep)))
/* The blob is in the store (with that size when size >= 0); not re-hashed. */
bool hvc_image_blob_exists(struct hvc_image_store *s, const char *digest, int64_t size);
/* Reads a blob whole, verified against its digest (and size when size >= 0). */
int hvc_image_blob_read(struct hvc_image_store *s, const char *digest, int64_t size, char **data,
			size_t *len, struct hvc_error *err);

/* Layers. From a directory tree: a gzip tar of it (sorted, deterministic; an
 * overlayfs upper dir works too: char 0/0 whiteouts become `.wh.NAME` and
 * trusted.overlay.opaque dirs get `.wh..wh..opq`). */
int hvc_image_layer_from_dir(struct hvc_image_store *s, const char *dir,
			     struct hvc_image_layer *out, struct hvc_error *err);
/* From a tar or tar.gz file (any compression libarchive reads): members are
 * checked (no `..`, absolute paths or device nodes) and rewritten as a gzip
 * tar. *has_sh (may be NULL) tells whether bin/sh is present. */
int hvc_image_layer_from_tar(struct hvc_image_store *s, const char *tar_path,
			     struct hvc_image_layer *out, bool *has_sh, struct hvc_error *err);

/* Image configs are json-c objects (the OCI config document). A new one has
 * architecture/os/created, empty rootfs.diff_ids, history and config. */
json_object *hvc_image_config_new(const char *created);
/* Reads an image's config document (verified). */
int hvc_image_config_read(struct hvc_image_store *s, const struct hvc_image *img,
			  json_object **out, struct hvc_error *err);
/* Appends a history entry; when layer is non-NULL its diff_id joins rootfs.diff_ids
 * (otherwise the entry is marked empty_layer). created may be NULL (= now). */
int hvc_image_config_add_history(json_object *cfg, const struct hvc_image_layer *layer,
				 const char *created_by, const char *comment, const char *created);

/* Writes config + manifest and (when name is non-NULL) points name at it.
 * layers: the image's full layer list, bottom first; must match the config's
 * diff_ids. manifest_digest (may be NULL) receives the new digest. */
int hvc_image_commit(struct hvc_image_store *s, json_object *config,
		     const struct hvc_image_layer *layers, size_t n_layers, const char *name,
		     char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err);

/* Names. "busybox" -> "busybox:latest"; invalid names are refused. */
int hvc_image_name_normalize(const char *name, char **out, struct hvc_error *err);
/* This host's OCI architecture ("amd64", "arm64", …): the default platform. */
const char *hvc_image_host_arch(void);
/* The image a manifest blob already in blobs/ describes (following an index
 * to this host's platform), every blob read verified; index.json untouched.
 * The registry client checks a pulled image with it before naming it. */
int hvc_image_open_manifest(struct hvc_image_store *s, const char *digest, int64_t size,
			    struct hvc_image **out, struct hvc_error *err);
/* Points name at an existing image (ref: name, digest or prefix). */
int hvc_image_tag(struct hvc_image_store *s, const char *ref, const char *name,
		  struct hvc_error *err);
/* Adds a manifest already in blobs/ to index.json under name (may be NULL: untagged). */
int hvc_image_index_add(struct hvc_image_store *s, const char *manifest_digest, int64_t size,
			const char *name, struct hvc_error *err);

/* Every image in index.json (tagged and untagged), NULL-terminated. An image
 * whose manifest or config cannot be read is left out with a warning. */
int hvc_image_list(struct hvc_image_store *s, struct hvc_image ***out, struct hvc_error *err);
void hvc_image_list_free(struct hvc_image **v);
static inline void hvc_image_list_freep(struct hvc_image ***v)
{
	hvc_image_list_free(*v); /* safe on NULL */
	*v = NULL;
}
#define _cleanup_image_list_ __attribute__((cleanup(hvc_image_list_freep)))

/* Imports a rootfs directory or a tar(.gz) as a one-layer image named name.
 * manifest_digest may be NULL. */
int hvc_image_import(struct hvc_image_store *s, const char *source, const char *name,
		     char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err);
/* The same, as one more layer on top of the image parent (its config kept):
 * a layered image without a Dockerfile. A directory source may hold overlay
 * or OCI whiteouts. */
int hvc_image_import_onto(struct hvc_image_store *s, const char *parent, const char *source,
			  const char *name, char manifest_digest[HVC_DIGEST_LEN],
			  struct hvc_error *err);
/* Creates busybox:latest (or name) from the host's static busybox
 * ($HVC_BUSYBOX, else /bin/busybox): applet links, /etc/passwd, /etc/group,
 * /tmp, /proc, /sys, /dev. hvc_image_resolve() calls it when "busybox" is absent. */
int hvc_image_import_busybox(struct hvc_image_store *s, const char *name,
			     char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err);

/* debootstrap --variant=minbase SUITE from $HVC_DEBIAN_MIRROR (default
 * deb.debian.org; needs network access to a mirror), imported as name. */
int hvc_image_import_debootstrap(struct hvc_image_store *s, const char *suite, const char *name,
				 char manifest_digest[HVC_DIGEST_LEN], struct hvc_error *err);

/* Unpacks one layer into $root/layers/<hex>/ (once; verified against its
 * diff_id; whiteouts converted for overlayfs). *dir (may be NULL) receives the path. */
int hvc_image_layer_unpack(struct hvc_image_store *s, const struct hvc_image_layer *layer,
			   char **dir, struct hvc_error *err);
/* Extracts a layer tar/tar.gz into an existing directory with every safety
 * check; overlay=true converts OCI whiteouts to overlayfs ones, false applies
 * them (deletes) as a flatten does. diff_id (may be NULL) receives the digest
 * of the uncompressed stream; blob_digest (may be NULL) that of the file. */
int hvc_image_extract(const char *tar_path, const char *dest, bool overlay,
		      char diff_id[HVC_DIGEST_LEN], char blob_digest[HVC_DIGEST_LEN],
		      struct hvc_error *err);

/* `hvc image inspect`: a JSON document (names, digests, config, layers, history). */
int hvc_image_inspect(struct hvc_image_store *s, const char *ref, json_object **out,
		      struct hvc_error *err);
/* Every name (ref.name) in index.json that points at manifest_digest. */
json_object *hvc_image_names_of(struct hvc_image_store *s, const char *manifest_digest);

/* Why a tar member name is refused (`..`, absolute, empty), or NULL when fine. */
const char *hvc_image_member_path_problem_public(const char *path);

/* Containers record the manifest digest they run as "image_digest" in
 * $root/containers/<id>/config.json; rm refuses such images and GC keeps them.
 * Returns 1 (and the id in *ctr, may be NULL) when used, 0 when not. */
int hvc_image_in_use(struct hvc_image_store *s, const char *manifest_digest, char **ctr,
		     struct hvc_error *err);

/* ---------- reports ------------------------------------------------------ */
/* Bytes of an image's blobs in the store: manifest, config and compressed layers. */
int64_t hvc_image_size(const struct hvc_image *img);
/* "repo/name:tag" -> repo "repo/name" and tag "tag" ("<none>" without one; a
 * colon before the last slash is a registry port, not a tag). */
void hvc_image_name_split(const char *name, char *repo, size_t rlen, char *tag, size_t tlen);
/* `hvc images`: one JSON row per image {name, digest, created, size, layers};
 * the text table (quiet: names, or digests of unnamed images, only). */
json_object *hvc_image_ls_json(struct hvc_image **v);
void hvc_image_ls_print(FILE *f, struct hvc_image **v, bool quiet);
/* One JSON row per history step (bottom first): created, created_by, comment,
 * layer/diff_id/size (compressed) and unpacked bytes when the layer is unpacked. */
int hvc_image_history(struct hvc_image_store *s, const char *ref, json_object **out,
		      struct hvc_error *err);
void hvc_image_history_print(FILE *f, json_object *rows, bool no_trunc);
/* The images as a text tree of shared layers (a layer per node, names at tops). */
int hvc_image_tree_print(struct hvc_image_store *s, FILE *f, struct hvc_error *err);
/* Disk usage: {"images":[{name,digest,layers,compressed,compressed_shared,
 * compressed_unique,unpacked,unpacked_shared,unpacked_unique}], "store":{blobs,
 * layers_unpacked}}; unpacked is null while a layer is not unpacked. Shared =
 * layers that another image uses too. */
int hvc_image_du(struct hvc_image_store *s, json_object **out, struct hvc_error *err);
void hvc_image_du_print(FILE *f, json_object *du);

/* ---------- OCI archives ---------------------------------------------- */
/* Writes refs (NULL-terminated) as an OCI archive (a tar of an OCI layout). */
int hvc_image_save(struct hvc_image_store *s, char *const *refs, const char *out,
		   struct hvc_error *err);
/* Loads an OCI archive (tar or tar.gz; e.g. from skopeo copy oci-archive:):
 * every blob verified, manifests and configs checked, then installed; a bad
 * archive leaves the store unchanged. *loaded gets "Loaded image: …" lines. */
int hvc_image_load(struct hvc_image_store *s, const char *file, char ***loaded,
		   struct hvc_error *err);

/* ---------- removal, GC, checks ----------------------------------------- */
struct hvc_image_gc_stats {
	size_t blobs_removed, layers_removed, temp_removed;
	uint64_t bytes_freed;
	bool skipped; /* another process was writing (wait=false) */
};
/* Deletes blobs and unpacked layers no image (nor container) refers to, and
 * scratch left by killed writers. wait=false skips GC when a writer is busy. */
int hvc_image_gc(struct hvc_image_store *s, bool wait, struct hvc_image_gc_stats *st,
		 struct hvc_error *err);
/* Removes a name (when other names keep the image) or the image; refuses
 * (EBUSY) while a container uses it unless force. *report gets
 * "Untagged: …"/"Deleted: …" lines. Blobs are collected when no writer is busy. */
int hvc_image_rm(struct hvc_image_store *s, const char *ref, bool force, char ***report,
		 struct hvc_error *err);
/* Drops untagged images (all unused images when all), then GC. */
int hvc_image_prune(struct hvc_image_store *s, bool all, char ***report,
		    struct hvc_image_gc_stats *st, struct hvc_error *err);
/* Verifies every referenced blob is present with its size and digest, and that
 * manifests and configs parse. *problems gets one line per fault. */
int hvc_image_fsck(struct hvc_image_store *s, char ***problems, size_t *checked,
		   struct hvc_error *err);
/* Bytes on disk of a file or tree (allocated blocks, hard links once). */
uint64_t hvc_image_tree_bytes(const char *path);

#endif
