/* engine/build/build: `hvc build` — walks a parsed Dockerfile step by step. FROM
 * starts from an image in the store (or scratch); RUN runs in the build
 * sandbox and its overlay upper dir becomes a layer; COPY/ADD stage their
 * files and that becomes a layer; every other instruction edits the image
 * config and adds a history entry with empty_layer. A step's result is cached
 * under $HVC_ROOT/build-cache/ keyed by the chain of steps before it plus the
 * expanded instruction (plus the sources' content digest for COPY/ADD, and the
 * ARG environment for RUN). Nothing reaches index.json until the last step
 * succeeded: a failed build leaves the images as they were (blobs of the
 * steps that did succeed stay as build cache, for the GC to judge). */
#include "hvc/build.h"
#include "build_internal.h"
#include "hvc/image.h"
#include "hvc/registry.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct builder {
	const struct hvc_build_opts *o;
	struct hvc_image_store *s;
	struct hvc_dockerfile *df;
	struct hvc_df_scope sc;
	json_object *cfg;
	struct hvc_image_layer *layers;
	char **layer_dirs; /* parallel to layers: this build's own layer trees (a
			    * RUN's upper dir, a COPY's staging dir), NULL when
			    * the layer came from the store or the cache */
	size_t n_layers;
	char chain[72]; /* cache key of the image so far */
	char *tmp;	/* this build's scratch dir on the store's filesystem */
	int tmp_lock;	/* flock on tmp/lock while the build lives */
	char *cache_dir;
	struct hvc_build_context ctx; /* real path + .dockerignore */
	FILE *pf;
	int out_fd;
	char created[64]; /* of the last step: the image's "created" */
	size_t step_no;
};

static void progress(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct builder *b, const char *fmt, ...)
{
	if (!b->pf)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(b->pf, fmt, ap);
	va_end(ap);
	fflush(b->pf);
}

static void sha256_str(const char *s, char out[72])
{
	unsigned char d[32];
	unsigned int l;
	EVP_Digest(s, strlen(s), d, &l, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", d[i]);
}

/* ---------- the cache --------------------------------------------------------- */
static char *cache_path(struct builder *b, const char *key)
{
	return hvc_strdup_printf("%s/%s.json", b->cache_dir, key + 7);
}

/* Returns true and fills *layer / created when a usable entry exists. */
static bool cache_get(struct builder *b, const char *key, bool want_layer,
		      struct hvc_image_layer *layer, char created[64])
{
	if (b->o->no_cache)
		return false;
	_cleanup_free_ char *p = cache_path(b, key);
	_cleanup_json_ json_object *o = NULL;
	if (!p || !hvc_path_exists(p) || hvc_json_read_file(p, &o, NULL) < 0)
		return false;
	const char *c = hvc_json_get_string(o, "created");
	if (!c)
		return false;
	if (want_layer) {
		json_object *l = hvc_json_get(o, "layer");
		const char *dg = hvc_json_get_string(l, "digest"),
			   *di = hvc_json_get_string(l, "diff_id");
		if (!dg || !di || !hvc_digest_valid(dg) || !hvc_digest_valid(di))
			return false;
		_cleanup_free_ char *bp = hvc_image_blob_path(b->s, dg);
		if (!bp || !hvc_path_exists(bp))
			return false; /* the blob was garbage-collected: rebuild the step */
		memset(layer, 0, sizeof(*layer));
		snprintf(layer->digest, sizeof(layer->digest), "%s", dg);
		snprintf(layer->diff_id, sizeof(layer->diff_id), "%s", di);
		layer->size = hvc_json_get_int(l, "size", 0);
		layer->tar_size = hvc_json_get_int(l, "tar_size", -1);
		snprintf(layer->media_type, sizeof(layer->media_type), "%s", HVC_MT_LAYER_TGZ);
	}
	snprintf(created, 64, "%s", c);
	return true;
}

static void cache_put(struct builder *b, const char *key, const struct hvc_image_layer *layer,
		      const char *created, const char *text)
{
	_cleanup_free_ char *p = cache_path(b, key);
	_cleanup_json_ json_object *o = json_object_new_object();
	hvc_json_add_string(o, "created", created);
	hvc_json_add_string(o, "instruction", text);
	if (layer) {
		json_object *l = json_object_new_object();
		hvc_json_add_string(l, "digest", layer->digest);
		hvc_json_add_string(l, "diff_id", layer->diff_id);
		hvc_json_add_int(l, "size", layer->size);
		hvc_json_add_int(l, "tar_size", layer->tar_size);
		json_object_object_add(o, "layer", l);
	}
	/* temp + rename without fsync: after a crash an entry is whole or
	 * absent/unparsable (a miss); the blobs it names were fsynced. */
	struct hvc_error e = {0};
	_cleanup_free_ char *tmp = p ? hvc_strdup_printf("%s.tmp%d", p, (int)getpid()) : NULL;
	size_t len;
	const char *json = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	if (!tmp || hvc_write_file(tmp, json, len, 0600, &e) < 0 || rename(tmp, p) < 0) {
		hvc_warn("build cache: %s",
			 e.msg[0] ? e.msg : strerror(errno)); /* a miss next time, not a failure */
		if (tmp)
			unlink(tmp);
	}
}

/* ---------- layers ------------------------------------------------------------- */
/* dir (may be NULL) is taken over. */
static void push_layer(struct builder *b, const struct hvc_image_layer *l, char *dir)
{
	b->layers = hvc_xrealloc(b->layers, b->n_layers + 1, sizeof(*b->layers));
	b->layer_dirs = hvc_xrealloc(b->layer_dirs, b->n_layers + 1, sizeof(char *));
	b->layer_dirs[b->n_layers] = dir;
	b->layers[b->n_layers++] = *l;
}

/* Keeps a freshly made layer tree for the following steps' overlays (an
 * upper dir works as a lower dir as it is — overlay2 does the same), so a
 * build never waits for its own layers to be unpacked again. */
static char *keep_layer_dir(struct builder *b, const char *dir)
{
	char *kept = hvc_strdup_printf("%s/layer%zu", b->tmp, b->step_no);
	if (kept && rename(dir, kept) < 0) {
		free(kept);
		return NULL;
	}
	return kept;
}

/* Publishes a layer blob written by layer_diff into the store (same filesystem: a rename). */
static int layer_from_dir(struct builder *b, const char *dir, struct hvc_image_layer *out,
			  struct hvc_error *err)
{
	_cleanup_free_ char *tmpblob = hvc_strdup_printf("%s/layer.tar.gz", b->tmp);
	struct hvc_layer_blob lb;
	if (!tmpblob)
		return hvc_err(err, ENOMEM, "build");
	if (hvc_layer_from_dir(dir, tmpblob, &lb, err) < 0)
		return -1;
	_cleanup_free_ char *final = hvc_image_blob_path(b->s, lb.digest);
	if (!final)
		return hvc_err(err, EINVAL, "bad digest %s", lb.digest);
	if (hvc_path_exists(final))
		unlink(tmpblob); /* same bytes already in the store */
	else if (rename(tmpblob, final) < 0)
		return hvc_err(err, errno, "rename `%s` to `%s`", tmpblob, final);
	memset(out, 0, sizeof(*out));
	snprintf(out->digest, sizeof(out->digest), "%s", lb.digest);
	snprintf(out->diff_id, sizeof(out->diff_id), "%s", lb.diff_id);
	out->size = (int64_t)lb.size;
	out->tar_size = (int64_t)lb.tar_size;
	snprintf(out->media_type, sizeof(out->media_type), "%s", HVC_MT_LAYER_TGZ);
	return 0;
}

/* The unpacked layers, top first; an empty dir for scratch (overlay needs one). */
static int lowerdirs(struct builder *b, char ***out, struct hvc_error *err)
{
	_cleanup_strv_ char **v = calloc(b->n_layers + 2, sizeof(char *));
	if (!v)
		return hvc_err(err, ENOMEM, "build");
	for (size_t i = 0; i < b->n_layers; i++) {
		char *d = NULL;
		if (b->layer_dirs[i])
			d = strdup(b->layer_dirs[i]);
		else if (hvc_image_layer_unpack(b->s, &b->layers[i], &d, err) < 0)
			return -1;
		if (!d)
			return hvc_err(err, ENOMEM, "build");
		v[b->n_layers - 1 - i] = d;
	}
	if (b->n_layers == 0) {
		v[0] = hvc_path_join(b->tmp, "empty");
		if (!v[0] || hvc_mkdir_p(v[0], 0755, err) < 0)
			return -1;
	}
	*out = steal_pointer(&v);
	return 0;
}

/* ---------- steps ----------------------------------------------------------------- */
static int run_step(struct builder *b, const struct hvc_df_step *st, struct hvc_image_layer *out,
		    char **kept, struct hvc_error *err)
{
	_cleanup_strv_ char **lower = NULL;
	uint64_t tl = hvc_now_ns();
	if (lowerdirs(b, &lower, err) < 0)
		return -1;
	hvc_debug("build: RUN lowerdirs %.1f ms", hvc_ns_to_ms(hvc_now_ns() - tl));
	/* A fresh upper and work dir per RUN (a volatile overlay's work dir is
	 * not reusable); the mount point is shared. All of it goes with the
	 * build's scratch dir at the end. */
	_cleanup_free_ char *upper = hvc_strdup_printf("%s/upper%zu", b->tmp, b->step_no);
	_cleanup_free_ char *work = hvc_strdup_printf("%s/work%zu", b->tmp, b->step_no);
	_cleanup_free_ char *merged = hvc_path_join(b->tmp, "merged");
	if (!upper || !work || !merged)
		return hvc_err(err, ENOMEM, "build");
	if (hvc_mkdir_p(upper, 0755, err) < 0 || hvc_mkdir_p(work, 0700, err) < 0 ||
	    hvc_mkdir_p(merged, 0755, err) < 0)
		return -1;
	_cleanup_strv_ char **env = hvc_df_scope_run_env(&b->sc);
	if (!env)
		return hvc_err(err, ENOMEM, "build");
	if (!hvc_env_get(env, "PATH"))
		hvc_strv_push(&env, DEFAULT_PATH);
	struct hvc_build_sandbox sb = {
	    .lowerdirs = lower,
	    .upperdir = upper,
	    .workdir = work,
	    .mergeddir = merged,
	    .argv = st->args,
	    .env = env,
	    .cwd = hvc_build_config_workdir(b->cfg),
	    .user = hvc_json_get_string(hvc_build_config_section(b->cfg), "User"),
	    .stdout_fd = b->out_fd,
	    .stderr_fd = b->out_fd,
	    /* the upper is scratch: what matters is fsynced as a blob */
	    .volatile_upper = true,
	};
	uint64_t t0 = hvc_now_ns();
	int status = hvc_build_sandbox_run(&sb, err);
	hvc_debug("build: RUN sandbox %.1f ms", hvc_ns_to_ms(hvc_now_ns() - t0));
	int r = 0;
	if (status < 0) {
		r = -1;
	} else if (status != 0) {
		_cleanup_free_ char *cmd =
		    st->shell_form ? strdup(st->args[hvc_strv_len(st->args) - 1]) : NULL;
		r = hvc_err(err, 0, "the command '%s' returned a non-zero code: %d",
			    cmd ? cmd : st->text + 4, status);
		err->code = ECHILD;
	} else {
		uint64_t t1 = hvc_now_ns();
		r = layer_from_dir(b, upper, out, err);
		hvc_debug("build: RUN layer %.1f ms", hvc_ns_to_ms(hvc_now_ns() - t1));
		if (r == 0)
			*kept = keep_layer_dir(b, upper);
	}
	if (!*kept) { /* failed step: its upper is of no use */
		struct hvc_error e2 = {0};
		if (hvc_rm_rf(upper, &e2) < 0)
			hvc_warn("build: cleaning up: %s", e2.msg);
	}
	return r;
}

/* Does dest name a directory in the image so far? (top layer down; a
 * whiteout char device or a file ends the search) */
static bool image_has_dir(struct builder *b, const char *dest)
{
	_cleanup_strv_ char **dirs = NULL;
	if (lowerdirs(b, &dirs, NULL) < 0)
		return false;
	for (size_t i = 0; dirs[i]; i++) {
		_cleanup_free_ char *p = hvc_strdup_printf("%s%s", dirs[i], dest);
		struct stat st;
		if (p && lstat(p, &st) == 0)
			return S_ISDIR(st.st_mode);
	}
	return false;
}

/* lstat of an image path through the layer stack, top first; false when
 * absent (an overlay whiteout counts as absent). */
static bool layers_lstat(char *const *dirs, const char *path, struct stat *st, char *link,
			 size_t linklen)
{
	for (size_t i = 0; dirs[i]; i++) {
		_cleanup_free_ char *p = hvc_strdup_printf("%s%s", dirs[i], path);
		if (!p || lstat(p, st) < 0)
			continue;
		if (S_ISCHR(st->st_mode) && st->st_rdev == 0)
			return false;
		if (S_ISLNK(st->st_mode) && link) {
			ssize_t n = readlink(p, link, linklen - 1);
			link[n < 0 ? 0 : n] = '\0';
		}
		return true;
	}
	return false;
}

/* Resolves symlinks in an absolute image path the way the image would see
 * it (a COPY to /bin/ on a merged-/usr base must land in /usr/bin, not
 * replace the /bin symlink with a directory). Never leaves the image root. */
static char *image_resolve(struct builder *b, const char *path)
{
	_cleanup_strv_ char **dirs = NULL;
	if (lowerdirs(b, &dirs, NULL) < 0)
		return strdup(path);
	char out[PATH_MAX] = "";
	char rest[PATH_MAX];
	snprintf(rest, sizeof(rest), "%s", path);
	for (int hops = 0; hops < 40;) {
		char *r = rest;
		while (*r == '/')
			r++;
		if (!*r)
			break;
		char *slash = strchr(r, '/');
		char comp[NAME_MAX + 1];
		snprintf(comp, sizeof(comp), "%.*s", (int)(slash ? (size_t)(slash - r) : strlen(r)),
			 r);
		char tail[PATH_MAX];
		snprintf(tail, sizeof(tail), "%s", slash ? slash : "");
		if (!strcmp(comp, ".")) {
		} else if (!strcmp(comp, "..")) {
			char *last = strrchr(out, '/');
			if (last)
				*last = '\0';
		} else {
			char cand[PATH_MAX], link[PATH_MAX];
			struct stat st;
			snprintf(cand, sizeof(cand), "%s/%s", out, comp);
			if (layers_lstat(dirs, cand, &st, link, sizeof(link)) &&
			    S_ISLNK(st.st_mode) && *link) {
				hops++;
				char nrest[PATH_MAX];
				snprintf(nrest, sizeof(nrest), "%s%s", link, tail);
				if (link[0] == '/')
					out[0] = '\0';
				snprintf(rest, sizeof(rest), "%s", nrest);
				continue;
			}
			snprintf(out, sizeof(out), "%s", cand);
		}
		snprintf(rest, sizeof(rest), "%s", tail);
	}
	return strdup(*out ? out : "/");
}

/* Reads a file of the image so far (top layer down), NULL when absent. */
static char *image_file(struct builder *b, const char *path)
{
	_cleanup_strv_ char **dirs = NULL;
	if (lowerdirs(b, &dirs, NULL) < 0)
		return NULL;
	for (size_t i = 0; dirs[i]; i++) {
		_cleanup_free_ char *p = hvc_strdup_printf("%s%s", dirs[i], path);
		struct stat st;
		if (p && lstat(p, &st) == 0) {
			char *data = NULL;
			size_t len;
			if (!S_ISREG(st.st_mode) || hvc_read_file(p, &data, &len, NULL) < 0)
				return NULL;
			return data;
		}
	}
	return NULL;
}

/* COPY/ADD --chown=USER[:GROUP] (names from the image's passwd/group) and --chmod=OCTAL. */
static int copy_owner(struct builder *b, const struct hvc_df_instr *in,
		      struct hvc_build_copy_owner *o, struct hvc_error *err)
{
	*o = (struct hvc_build_copy_owner){0, 0, -1};
	for (size_t i = 0; in->flags[i]; i++) {
		const char *f = in->flags[i];
		if (hvc_str_has_prefix(f, "--chown=")) {
			_cleanup_free_ char *pw = image_file(b, "/etc/passwd");
			_cleanup_free_ char *gr = image_file(b, "/etc/group");
			if (hvc_build_user_resolve(f + 8, pw, gr, &o->uid, &o->gid, err) < 0)
				return hvc_error_prefix(err, "--chown"), -EINVAL;
		} else if (hvc_str_has_prefix(f, "--chmod=")) {
			o->mode = hvc_build_parse_chmod(f + 8, err);
			if (o->mode < 0)
				return -EINVAL;
		}
	}
	return 0;
}

static int copy_step(struct builder *b, const struct hvc_df_instr *in, const struct hvc_df_step *st,
		     char *const *abs, struct hvc_image_layer *out, char **kept,
		     struct hvc_error *err)
{
	struct hvc_build_copy_owner owner;
	if (copy_owner(b, in, &owner, err) < 0)
		return -1;
	size_t n = hvc_strv_len(st->args);
	const char *raw_dest = st->args[n - 1];
	_cleanup_free_ char *dest0 = hvc_build_path_in_image(b->cfg, raw_dest);
	_cleanup_free_ char *dest = dest0 ? image_resolve(b, dest0) : NULL;
	if (!dest)
		return hvc_err(err, ENOMEM, "build");
	size_t dl = strlen(raw_dest);
	bool dest_is_dir = (dl && raw_dest[dl - 1] == '/') || hvc_strv_len(abs) > 1 ||
			   !strcmp(dest, "/") || (dl >= 2 && !strcmp(raw_dest + dl - 2, "/.")) ||
			   image_has_dir(b, dest);
	if (hvc_strv_len(abs) > 1 && !(dl && raw_dest[dl - 1] == '/') && !image_has_dir(b, dest))
		return hvc_err(err, 0,
			       "when using %s with more than one source file, the destination must "
			       "be a "
			       "directory and end with a /",
			       st->kind == HVC_DF_ADD ? "ADD" : "COPY"),
		       -EINVAL;
	_cleanup_free_ char *stage = hvc_strdup_printf("%s/stage%zu", b->tmp, b->step_no);
	if (!stage || hvc_mkdir_p(stage, 0755, err) < 0)
		return -1;
	int r = hvc_build_copy_into(&b->ctx, stage, abs, strcmp(dest, "/") ? dest : "", dest_is_dir,
				    st->kind == HVC_DF_ADD, &owner, err);
	if (r == 0)
		r = layer_from_dir(b, stage, out, err);
	if (r == 0)
		*kept = keep_layer_dir(b, stage);
	struct hvc_error e2 = {0};
	if (!*kept && hvc_rm_rf(stage, &e2) < 0)
		hvc_warn("build: cleaning up: %s", e2.msg);
	return r;
}

static int from_step(struct builder *b, const struct hvc_df_step *st, struct hvc_error *err)
{
	const char *ref = st->args[0];
	if (!strcmp(ref, "scratch")) {
		b->cfg = hvc_image_config_new(NULL);
		json_object_object_del(hvc_build_config_section(b->cfg),
				       "Env"); /* scratch has nothing, not even PATH */
		sha256_str("scratch", b->chain);
		progress(b, " ---> scratch\n");
	} else {
		_cleanup_image_ struct hvc_image *img = NULL;
		struct hvc_reg_opts dflt = { .root = hvc_root(), .tls_verify = -1 };
		const struct hvc_reg_opts *ro = b->o->registry ? b->o->registry : &dflt;
		if (hvc_reg_ensure(b->s, ref, (enum hvc_reg_pull_policy)b->o->pull, ro, err) < 0 ||
		    hvc_image_resolve(b->s, ref, &img, err) < 0 ||
		    hvc_image_config_read(b->s, img, &b->cfg, err) < 0)
			return -1;
		for (size_t i = 0; i < img->n_layers; i++)
			push_layer(b, &img->layers[i], NULL);
		_cleanup_free_ char *k = hvc_strdup_printf("FROM %s", img->manifest_digest);
		sha256_str(k, b->chain);
		progress(b, " ---> %.12s\n", img->manifest_digest + 7);
	}
	/* The image env is what later steps substitute from and RUN sees. */
	hvc_strv_free(b->sc.env);
	b->sc.env = hvc_build_json_strv(hvc_json_get(hvc_build_config_section(b->cfg), "Env"));
	return 0;
}

/* What besides the instruction text decides a step's result: the content of
 * COPY/ADD sources (resolved into *abs), or the ARG values a RUN sees as env
 * (an ARG's own value is part of its identity). NULL for the other steps. */
static int step_inputs(struct builder *b, struct hvc_df_step *st, char ***abs, char **extra,
		       struct hvc_error *err)
{
	*extra = NULL;
	if (st->kind == HVC_DF_COPY || st->kind == HVC_DF_ADD) {
		size_t n = hvc_strv_len(st->args);
		char *last = st->args[n - 1];
		st->args[n - 1] = NULL; /* the sources, without the destination */
		int r = hvc_build_copy_resolve(&b->ctx, st->args, abs, err);
		st->args[n - 1] = last;
		if (r < 0)
			return -1;
		char cd[72];
		hvc_build_copy_digest(&b->ctx, *abs, cd);
		*extra = hvc_xstrdup(cd);
	} else if (st->kind == HVC_DF_RUN || st->kind == HVC_DF_ARG) {
		_cleanup_strv_ char **env = hvc_df_scope_run_env(&b->sc);
		_cleanup_json_ json_object *a = hvc_json_strv_array(env);
		*extra = hvc_xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	}
	return 0;
}

/* The cache key: everything before (the chain), this instruction as expanded,
 * its flags (--chown/--chmod change the result) and its other inputs. */
static void step_key(struct builder *b, const struct hvc_df_instr *in,
		     const struct hvc_df_step *st, const char *extra, char key[72])
{
	_cleanup_json_ json_object *flags = hvc_json_strv_array(in->flags);
	_cleanup_free_ char *keysrc = hvc_xasprintf(
	    "%s\n%s\n%s\n%s", b->chain, st->text,
	    json_object_to_json_string_ext(flags, JSON_C_TO_STRING_PLAIN), extra ? extra : "");
	sha256_str(keysrc, key);
}

static int do_step(struct builder *b, const struct hvc_df_instr *in, struct hvc_error *err)
{
	_cleanup_df_step_ struct hvc_df_step *st = NULL;
	if (hvc_df_scope_step(&b->sc, b->df, in, &st, err) < 0)
		return -1;
	if (st->kind == HVC_DF_FROM)
		return from_step(b, st, err);
	_cleanup_strv_ char **abs = NULL;
	_cleanup_free_ char *extra = NULL;
	if (step_inputs(b, st, &abs, &extra, err) < 0)
		return -1;
	char key[72];
	step_key(b, in, st, extra, key);
	bool fs = st->kind == HVC_DF_RUN || st->kind == HVC_DF_COPY || st->kind == HVC_DF_ADD;
	struct hvc_image_layer layer;
	char created[64];
	_cleanup_free_ char *kept = NULL;
	int r = 0;
	if (cache_get(b, key, fs, &layer, created)) {
		progress(b, " ---> cached\n");
	} else {
		if (st->kind == HVC_DF_RUN)
			r = run_step(b, st, &layer, &kept, err);
		else if (fs)
			r = copy_step(b, in, st, abs, &layer, &kept, err);
		hvc_wall_iso8601(created, sizeof(created));
		if (r == 0)
			cache_put(b, key, fs ? &layer : NULL, created, st->text);
	}
	if (r < 0 || hvc_build_config_apply(b->cfg, st, err) < 0)
		return -1;
	if (fs)
		push_layer(b, &layer, steal_pointer(&kept));
	_cleanup_free_ char *by = hvc_strdup_printf("%s %s", in->keyword, in->rest);
	hvc_image_config_add_history(b->cfg, fs ? &layer : NULL, by, "hvc build", created);
	memcpy(b->chain, key, sizeof(key));
	snprintf(b->created, sizeof(b->created), "%s", created);
	progress(b, " ---> %.12s\n", key + 7);
	return 0;
}

/* Scratch dirs of builds that died (kill -9) are recognised by their lock
 * being free, and removed by the next build. */
static void reap_stale_builds(const char *tmpdir)
{
	DIR *d = opendir(tmpdir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "build-", 6))
			continue;
		_cleanup_free_ char *dir = hvc_path_join(tmpdir, e->d_name);
		_cleanup_free_ char *lock = dir ? hvc_path_join(dir, "lock") : NULL;
		if (!lock)
			continue;
		_cleanup_close_ int fd = open(lock, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 &&
		    (errno != ENOENT || stat(dir, &st) < 0 || time(NULL) - st.st_mtime < 600))
			continue; /* no lock yet: a build between mkdtemp and flock, unless old */
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* a live build */
		struct hvc_error err = {0};
		if (hvc_rm_rf(dir, &err) == 0)
			hvc_info("build: removed %s left by an interrupted build", dir);
	}
	closedir(d);
}

static void builder_free(struct builder *b)
{
	if (b->tmp) {
		struct hvc_error e = {0};
		if (hvc_rm_rf(b->tmp, &e) < 0)
			hvc_warn("build: cleaning up: %s", e.msg);
	}
	free(b->tmp);
	if (b->tmp_lock >= 0)
		close(b->tmp_lock);
	free(b->cache_dir);
	hvc_df_scope_clear(&b->sc);
	hvc_build_context_clear(&b->ctx);
	hvc_dockerfile_free(b->df);
	json_object_put(b->cfg);
	for (size_t i = 0; i < b->n_layers; i++)
		free(b->layer_dirs[i]);
	free(b->layer_dirs);
	free(b->layers);
	hvc_image_store_close(b->s);
}

/* A fully cached rebuild yields the very image the tag already names: then
 * there is nothing to write (and no fsync to wait for). */
static bool already_committed(struct builder *b, const char *name, char mdig[HVC_DIGEST_LEN])
{
	if (!name)
		return false;
	_cleanup_image_ struct hvc_image *img = NULL;
	if (hvc_image_resolve(b->s, name, &img, NULL) < 0 || !img)
		return false;
	size_t len;
	const char *json = json_object_to_json_string_length(
	    b->cfg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char cdig[HVC_DIGEST_LEN];
	hvc_digest_buf(json, len, cdig);
	bool same =
	    img->config_digest && !strcmp(cdig, img->config_digest) && img->n_layers == b->n_layers;
	for (size_t i = 0; same && i < b->n_layers; i++)
		same = !strcmp(img->layers[i].digest, b->layers[i].digest);
	if (same)
		snprintf(mdig, HVC_DIGEST_LEN, "%s", img->manifest_digest);
	return same;
}

/* The Dockerfile (-f, default CONTEXT/Dockerfile, `-f -` for stdin) parsed,
 * its warnings logged, and the context opened. */
static int load_dockerfile(struct builder *b, struct hvc_error *err)
{
	const struct hvc_build_opts *o = b->o;
	_cleanup_free_ char *dfpath =
	    o->dockerfile ? hvc_xstrdup(o->dockerfile) : hvc_path_join(o->context, "Dockerfile");
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	bool from_stdin = !strcmp(dfpath, "-");
	if (hvc_read_file(from_stdin ? "/dev/stdin" : dfpath, &text, &len, err) < 0)
		return -1;
	const char *base = strrchr(dfpath, '/');
	if (hvc_dockerfile_parse(text, len,
				 from_stdin ? "Dockerfile"
				 : base	    ? base + 1
					    : dfpath,
				 &b->df, err) < 0)
		return -1;
	for (size_t i = 0; b->df->warnings && b->df->warnings[i]; i++)
		hvc_warn("%s", b->df->warnings[i]);
	b->sc.build_args = hvc_strv_dup(o->build_args ? o->build_args : (char *[]){NULL});
	return hvc_build_context_open(o->context, &b->ctx, err);
}

/* The store (held, so our fresh blobs are safe from a concurrent GC), the
 * build cache, and a locked scratch directory of our own. */
static int open_workspace(struct builder *b, struct hvc_error *err)
{
	if (hvc_image_store_open(hvc_root(), &b->s, err) < 0 || hvc_image_store_hold(b->s, err) < 0)
		return -1;
	const char *tmpdir = hvc_image_store_tmpdir(b->s);
	b->cache_dir = hvc_path_join(hvc_image_store_root(b->s), "build-cache");
	if (!b->cache_dir)
		return hvc_err(err, ENOMEM, "build");
	if (hvc_mkdir_p(tmpdir, 0700, err) < 0 || hvc_mkdir_p(b->cache_dir, 0700, err) < 0)
		return -1;
	reap_stale_builds(tmpdir);
	_cleanup_free_ char *tmp = hvc_xasprintf("%s/build-XXXXXX", tmpdir);
	if (!mkdtemp(tmp))
		return hvc_err(err, errno, "create a build directory in `%s`", tmpdir);
	b->tmp = steal_pointer(&tmp);
	_cleanup_free_ char *lock = hvc_path_join(b->tmp, "lock");
	b->tmp_lock = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (b->tmp_lock < 0 || flock(b->tmp_lock, LOCK_EX) < 0)
		return hvc_err(err, errno, "lock `%s`", lock ? lock : b->tmp);
	return 0;
}

static int run_steps(struct builder *b, struct hvc_error *err)
{
	size_t n = b->df->n_instrs;
	for (size_t i = 0; i < n; i++) {
		const struct hvc_df_instr *in = &b->df->instrs[i];
		b->step_no = i + 1;
		progress(b, "Step %zu/%zu : %s", i + 1, n, in->keyword);
		for (size_t f = 0; in->flags[f]; f++)
			progress(b, " %s", in->flags[f]);
		progress(b, "%s%s\n", *in->rest ? " " : "", in->rest);
		uint64_t t0 = hvc_now_ns();
		if (do_step(b, in, err) < 0)
			return hvc_error_prefix(err, "step %zu/%zu (%s:%d %s)", i + 1, n,
						b->df->name, in->line, in->keyword);
		hvc_debug("build: step %zu took %.1f ms", i + 1, hvc_ns_to_ms(hvc_now_ns() - t0));
	}
	return 0;
}

static void warn_unused_build_args(struct builder *b)
{
	for (size_t i = 0; b->sc.build_args && b->sc.build_args[i]; i++) {
		const char *eq = strchr(b->sc.build_args[i], '=');
		_cleanup_free_ char *k =
		    eq ? strndup(b->sc.build_args[i], (size_t)(eq - b->sc.build_args[i]))
		       : strdup(b->sc.build_args[i]);
		if (k && !hvc_env_get(b->sc.used_build_args, k))
			progress(b, "[Warning] build arg %s was not consumed by any ARG\n", k);
	}
}

static int build(struct builder *b, char **digest, struct hvc_error *err)
{
	const struct hvc_build_opts *o = b->o;
	struct stat st;
	if (!o->context || stat(o->context, &st) < 0 || !S_ISDIR(st.st_mode))
		return hvc_err(err, o->context && stat(o->context, &st) < 0 ? errno : ENOTDIR,
			       "build context `%s`", o->context ? o->context : "");
	_cleanup_free_ char *norm = NULL;
	if (o->tag && hvc_image_name_normalize(o->tag, &norm, err) < 0)
		return hvc_error_prefix(err, "-t");
	if (load_dockerfile(b, err) < 0 || open_workspace(b, err) < 0 || run_steps(b, err) < 0)
		return -1;
	warn_unused_build_args(b);
	if (b->created[0])
		hvc_json_add_string(b->cfg, "created", b->created);
	char mdig[HVC_DIGEST_LEN];
	if (!already_committed(b, norm, mdig) &&
	    hvc_image_commit(b->s, b->cfg, b->layers, b->n_layers, norm, mdig, err) < 0)
		return -1;
	progress(b, "Successfully built %s\n", mdig);
	if (norm)
		progress(b, "Successfully tagged %s\n", norm);
	*digest = hvc_xstrdup(mdig);
	return 0;
}

int hvc_build(const struct hvc_build_opts *o, char **digest, struct hvc_error *err)
{
	struct builder b = {.o = o, .pf = o->progress, .tmp_lock = -1};
	b.out_fd = o->out_fd >= 0 ? o->out_fd : (o->progress ? fileno(o->progress) : STDOUT_FILENO);
	int r = build(&b, digest, err);
	builder_free(&b);
	return r;
}
