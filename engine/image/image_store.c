/* engine/image/image_store: the OCI image layout under $HVC_ROOT/images — opening
 * and locking the store, blobs (temp + fsync + rename), reading and writing
 * index.json. The bottom of the image module: it uses no other image file. */
#include "image_internal.h"
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char oci_layout_doc[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

const char *hvc_image_host_arch(void)
{
	static char arch[32];
	if (!arch[0]) {
		struct utsname u;
		const char *m = uname(&u) == 0 ? u.machine : "x86_64";
		const char *a = !strcmp(m, "x86_64")			 ? "amd64"
				: !strcmp(m, "aarch64")			 ? "arm64"
				: !strncmp(m, "i", 1) && strstr(m, "86") ? "386"
				: !strncmp(m, "armv7", 5)		 ? "arm"
									 : m;
		snprintf(arch, sizeof(arch), "%s", a);
	}
	return arch;
}

static void store_free(struct hvc_image_store *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->hold_fd >= 0)
		close(s->hold_fd);
	free(s->root);
	free(s->layout);
	free(s->layers);
	free(s->tmp);
	free(s);
}

void hvc_image_store_close(struct hvc_image_store *s)
{
	store_free(s);
}

static int open_lock_file(struct hvc_image_store *s, const char *name, struct hvc_error *err)
{
	_cleanup_free_ char *p = hvc_path_join(s->root, name);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return hvc_err(err, errno, "open lock file `%s`", p);
	return fd;
}

int hvc_image_store_lock(struct hvc_image_store *s, struct hvc_error *err)
{
	if (s->lock_depth++ > 0)
		return 0;
	if (s->lock_fd < 0 && (s->lock_fd = open_lock_file(s, "images.lock", err)) < 0) {
		s->lock_depth = 0;
		return -1;
	}
	while (flock(s->lock_fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		s->lock_depth = 0;
		return hvc_err(err, errno, "lock the image store `%s/images.lock`", s->root);
	}
	return 0;
}

void hvc_image_store_unlock(struct hvc_image_store *s)
{
	if (s->lock_depth > 0 && --s->lock_depth == 0)
		flock(s->lock_fd, LOCK_UN);
}

/* The hold lock: writers share it while they own unreferenced blobs; GC takes
 * it exclusively. Always taken before images.lock, never after (no deadlock). */
int hvc_image_store_hold(struct hvc_image_store *s, struct hvc_error *err)
{
	if (s->hold_fd >= 0)
		return 0;
	int fd = open_lock_file(s, "images.hold", err);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		return hvc_err(err, e, "lock `%s/images.hold`", s->root);
	}
	s->hold_fd = fd;
	return 0;
}

int hvc_image_hold_temp(struct hvc_image_store *s, bool *taken, struct hvc_error *err)
{
	*taken = false;
	if (s->hold_fd >= 0)
		return 0;
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	*taken = true;
	return 0;
}

void hvc_image_hold_release(struct hvc_image_store *s, bool taken)
{
	if (taken && s->hold_fd >= 0) {
		close(s->hold_fd);
		s->hold_fd = -1;
	}
}

void hvc_image_store_unhold(struct hvc_image_store *s)
{
	if (s)
		hvc_image_hold_release(s, true);
}

int hvc_image_store_open(const char *root, struct hvc_image_store **out, struct hvc_error *err)
{
	struct hvc_image_store *s = calloc(1, sizeof(*s));
	if (!s)
		return hvc_err(err, ENOMEM, "open image store");
	s->lock_fd = s->hold_fd = -1;
	s->root = strdup(root);
	s->layout = hvc_path_join(root, "images");
	s->layers = hvc_path_join(root, "layers");
	s->tmp = hvc_path_join(root, "tmp");
	_cleanup_free_ char *blobs = hvc_path_join(root, "images/blobs/sha256");
	_cleanup_free_ char *layout_file = hvc_path_join(root, "images/oci-layout");
	_cleanup_free_ char *index_file = hvc_path_join(root, "images/index.json");
	if (!s->root || !s->layout || !s->layers || !s->tmp || !blobs || !layout_file ||
	    !index_file) {
		store_free(s);
		return hvc_err(err, ENOMEM, "open image store");
	}
	if (hvc_path_exists(index_file) && hvc_path_exists(blobs) && hvc_path_exists(s->tmp) &&
	    hvc_path_exists(s->layers)) {
		*out = s;
		return 0;
	}
	if (hvc_mkdir_p(blobs, 0755, err) < 0 || hvc_mkdir_p(s->layers, 0700, err) < 0 ||
	    hvc_mkdir_p(s->tmp, 0700, err) < 0 || hvc_image_store_lock(s, err) < 0) {
		hvc_error_prefix(err, "open image store `%s`", s->layout);
		store_free(s);
		return -1;
	}
	int rc = 0;
	if (!hvc_path_exists(layout_file))
		rc = hvc_write_file_atomic(layout_file, oci_layout_doc, strlen(oci_layout_doc),
					   0644, err);
	if (rc == 0 && !hvc_path_exists(index_file)) {
		_cleanup_json_ json_object *idx = json_object_new_object();
		json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
		hvc_json_add_string(idx, "mediaType", HVC_MT_INDEX);
		json_object_object_add(idx, "manifests", json_object_new_array());
		rc = hvc_image_index_write(s, idx, err);
	}
	hvc_image_store_unlock(s);
	if (rc < 0) {
		hvc_error_prefix(err, "open image store `%s`", s->layout);
		store_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void hvc_image_store_trust_reads(struct hvc_image_store *s)
{
	s->trust_reads = true;
}

const char *hvc_image_store_root(struct hvc_image_store *s)
{
	return s->root;
}

const char *hvc_image_store_layout(struct hvc_image_store *s)
{
	return s->layout;
}

const char *hvc_image_store_tmpdir(struct hvc_image_store *s)
{
	return s->tmp;
}

char *hvc_image_blob_path(struct hvc_image_store *s, const char *digest)
{
	if (!hvc_digest_valid(digest))
		return NULL;
	return hvc_strdup_printf("%s/blobs/sha256/%s", s->layout, digest + 7);
}

/* ---------- blobs ------------------------------------------------------ */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Moves a finished temp file to its blob path (or drops it when the blob exists). */
static int blob_install(struct hvc_image_store *s, const char *tmp, const char *digest,
			struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	if (hvc_path_exists(path)) {
		unlink(tmp);
		return 0;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return hvc_err(err, e, "install blob %s", digest);
	}
	_cleanup_free_ char *dir = hvc_path_join(s->layout, "blobs/sha256");
	fsync_dir(dir);
	return 0;
}

int hvc_image_blob_write_buf(struct hvc_image_store *s, const void *data, size_t len,
			     char digest[HVC_DIGEST_LEN], struct hvc_error *err)
{
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	hvc_digest_buf(data, len, digest);
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	if (hvc_path_exists(path))
		return 0;
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s/blob.XXXXXX", s->tmp);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return hvc_err(err, errno, "create temporary blob in `%s`", s->tmp);
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return hvc_err(err, e, "write blob %s", digest);
	}
	return blob_install(s, tmp, digest, err);
}

/* ---------- streaming writer: temp file, hashed as it grows ------------ */

struct hvc_image_blob_writer {
	struct hvc_image_store *s;
	char *tmp;
	int fd;
	struct hvc_hasher h;
	char expect[HVC_DIGEST_LEN]; /* "" when the content decides the digest */
	bool keep;                   /* a partial download to resume: free keeps it */
};

int hvc_image_blob_writer_open(struct hvc_image_store *s, const char *expect,
			       struct hvc_image_blob_writer **out, struct hvc_error *err)
{
	if (expect && !hvc_digest_valid(expect))
		return hvc_image_err(err, EINVAL, "invalid digest \"%s\"", expect);
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	struct hvc_image_blob_writer *w = hvc_xcalloc(1, sizeof(*w));
	w->s = s;
	w->tmp = hvc_strdup_printf("%s/blob.XXXXXX", s->tmp);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		int e = errno;
		free(w->tmp);
		free(w);
		return hvc_err(err, e, "create temporary blob in `%s`", s->tmp);
	}
	snprintf(w->expect, sizeof(w->expect), "%s", expect ? expect : "");
	hvc_hasher_init(&w->h);
	*out = w;
	return 0;
}

/* The partial file's bytes hashed again (the hash state died with the
 * process that wrote them); the file offset ends after them. */
static int rehash_partial(struct hvc_image_blob_writer *w, struct hvc_error *err)
{
	char buf[1 << 16];
	for (;;) {
		ssize_t r = read(w->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hvc_err(err, errno, "read partial blob `%s`", w->tmp);
		if (r == 0)
			return 0;
		hvc_hasher_update(&w->h, buf, (size_t)r);
	}
}

int hvc_image_blob_writer_open_partial(struct hvc_image_store *s, const char *expect,
				       struct hvc_image_blob_writer **out, struct hvc_error *err)
{
	if (!hvc_digest_valid(expect))
		return hvc_image_err(err, EINVAL, "invalid digest \"%s\"", expect);
	if (hvc_image_store_hold(s, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s/partial-%s", s->tmp, expect + 7);
	_cleanup_close_ int fd = -1;
	for (;;) {
		fd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return hvc_err(err, errno, "open partial blob `%s`", tmp);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0)
			return errno == EWOULDBLOCK ? 1 : hvc_err(err, errno, "lock `%s`", tmp);
		/* the writer before us may have removed (or installed) it
		 * between our open and our lock: then the name is another file */
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(tmp, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd);
	}
	struct hvc_image_blob_writer *w = hvc_xcalloc(1, sizeof(*w));
	w->s = s;
	w->tmp = steal_pointer(&tmp);
	w->fd = steal_fd(&fd);
	snprintf(w->expect, sizeof(w->expect), "%s", expect);
	hvc_hasher_init(&w->h);
	if (rehash_partial(w, err) < 0) {
		hvc_image_blob_writer_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void hvc_image_blob_writer_keep(struct hvc_image_blob_writer *w)
{
	w->keep = true;
}

int hvc_image_blob_writer_write(struct hvc_image_blob_writer *w, const void *data, size_t len,
				struct hvc_error *err)
{
	if (write_all(w->fd, data, len) < 0)
		return hvc_err(err, errno, "write temporary blob `%s`", w->tmp);
	hvc_hasher_update(&w->h, data, len);
	return 0;
}

int64_t hvc_image_blob_writer_bytes(const struct hvc_image_blob_writer *w)
{
	return w->h.bytes;
}

int hvc_image_blob_writer_restart(struct hvc_image_blob_writer *w, struct hvc_error *err)
{
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return hvc_err(err, errno, "truncate temporary blob `%s`", w->tmp);
	hvc_hasher_free(&w->h);
	hvc_hasher_init(&w->h);
	return 0;
}

int hvc_image_blob_writer_commit(struct hvc_image_blob_writer *w, char digest[HVC_DIGEST_LEN],
				 struct hvc_error *err)
{
	char got[HVC_DIGEST_LEN];
	hvc_hasher_final(&w->h, got);
	if (*w->expect && strcmp(w->expect, got) != 0) {
		w->keep = false; /* a partial download that went wrong: gone at free */
		return hvc_image_err(err, EILSEQ, "blob %s: digest mismatch: content is %s",
				     w->expect, got);
	}
	if (fchmod(w->fd, 0644) < 0 || fsync(w->fd) < 0)
		return hvc_err(err, errno, "write blob %s", got);
	if (digest)
		strcpy(digest, got);
	int rc = blob_install(w->s, w->tmp, got, err);
	free(w->tmp);
	w->tmp = NULL; /* installed (or dropped): nothing for free to unlink */
	return rc;
}

void hvc_image_blob_writer_free(struct hvc_image_blob_writer *w)
{
	if (!w)
		return;
	if (w->tmp) {
		if (!w->keep || w->h.bytes == 0) /* an empty partial is no use */
			unlink(w->tmp);
		free(w->tmp);
		hvc_hasher_free(&w->h);
	}
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

bool hvc_image_blob_exists(struct hvc_image_store *s, const char *digest, int64_t size)
{
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size < 0 || st.st_size == size);
}

int hvc_image_blob_write_file(struct hvc_image_store *s, const char *src, const char *expect,
			      char digest[HVC_DIGEST_LEN], int64_t *size, struct hvc_error *err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return hvc_err(err, errno, "open `%s`", src);
	_cleanup_image_blob_writer_ struct hvc_image_blob_writer *w = NULL;
	if (hvc_image_blob_writer_open(s, expect, &w, err) < 0)
		return -1;
	char buf[1 << 16];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hvc_err(err, errno, "copy `%s` into the store", src);
		if (r == 0)
			break;
		if (hvc_image_blob_writer_write(w, buf, (size_t)r, err) < 0)
			return hvc_error_prefix(err, "copy `%s` into the store", src);
	}
	int64_t n = hvc_image_blob_writer_bytes(w);
	if (hvc_image_blob_writer_commit(w, digest, err) < 0)
		return hvc_error_prefix(err, "`%s`", src);
	if (size)
		*size = n;
	return 0;
}

int hvc_image_blob_read(struct hvc_image_store *s, const char *digest, int64_t size, char **data,
			size_t *len, struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_image_blob_path(s, digest);
	if (!path)
		return hvc_image_err(err, EINVAL, "invalid digest \"%s\"", digest ? digest : "");
	_cleanup_free_ char *buf = NULL;
	size_t n;
	if (hvc_read_file(path, &buf, &n, err) < 0) {
		if (err && err->code == ENOENT)
			return hvc_image_err(err, ENOENT, "blob %s: missing (`%s`)", digest, path);
		return hvc_error_prefix(err, "blob %s", digest);
	}
	if (size >= 0 && (int64_t)n != size)
		return hvc_image_err(err, EILSEQ, "blob %s: %s (%zu of %lld bytes)", digest,
				     (int64_t)n < size ? "truncated" : "too long", n,
				     (long long)size);
	char got[HVC_DIGEST_LEN];
	if (!s->trust_reads && (hvc_digest_buf(buf, n, got), strcmp(got, digest) != 0))
		return hvc_image_err(err, EILSEQ, "blob %s: digest mismatch: content is %s", digest,
				     got);
	*data = steal_pointer(&buf);
	if (len)
		*len = n;
	return 0;
}

/* ---------- index.json ------------------------------------------------- */

int hvc_image_index_read(struct hvc_image_store *s, json_object **out, struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_path_join(s->layout, "index.json");
	_cleanup_json_ json_object *idx = NULL;
	if (hvc_json_read_file(path, &idx, err) < 0)
		return -1;
	json_object *m = hvc_json_get(idx, "manifests");
	if (!json_object_is_type(idx, json_type_object) ||
	    hvc_json_get_int(idx, "schemaVersion", 0) != 2 ||
	    (m && !json_object_is_type(m, json_type_array)))
		return hvc_image_err(
		    err, EINVAL,
		    "`%s`: not an OCI image index (schemaVersion 2 with a manifests array)", path);
	if (!m)
		json_object_object_add(idx, "manifests", json_object_new_array());
	*out = steal_pointer(&idx);
	return 0;
}

int hvc_image_index_write(struct hvc_image_store *s, json_object *index, struct hvc_error *err)
{
	_cleanup_free_ char *path = hvc_path_join(s->layout, "index.json");
	return hvc_json_write_file_atomic(path, index, err);
}
