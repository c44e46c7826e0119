/* engine/build/build: Dockerfile builds. The parser (engine/build/dockerfile.c) and the
 * variable scope that expands instructions are pure (buffers in, data out) so
 * they are unit-tested without root; engine/image/layer_diff.c turns a changed
 * directory into an OCI layer; engine/build/build*.c runs the steps. */
#ifndef HVC_BUILD_H
#define HVC_BUILD_H

#include "hvc/util.h"

/* ---------- Dockerfile parsing (pure) ----------------------------------- */
enum hvc_df_kind {
	HVC_DF_FROM,
	HVC_DF_RUN,
	HVC_DF_COPY,
	HVC_DF_ADD,
	HVC_DF_ENV,
	HVC_DF_ARG,
	HVC_DF_WORKDIR,
	HVC_DF_USER,
	HVC_DF_CMD,
	HVC_DF_ENTRYPOINT,
	HVC_DF_LABEL,
	HVC_DF_EXPOSE,
	HVC_DF_VOLUME,
	HVC_DF_STOPSIGNAL,
	HVC_DF_SHELL,
};

/* One instruction as written: the keyword, its flags (--chown=...) and the
 * rest of the (continuation-joined) line, unexpanded. */
struct hvc_df_instr {
	enum hvc_df_kind kind;
	int line;      /* line of the keyword, 1-based */
	char *keyword; /* upper case: "RUN" */
	char **flags;  /* "--name=value" as written, NULL-terminated, may be empty */
	char *rest;    /* argument text after keyword and flags, trimmed */
	bool json;     /* RUN/CMD/ENTRYPOINT/COPY/ADD in exec (JSON array) form */
	char **json_args; /* the array when json */
};

struct hvc_dockerfile {
	char *name;   /* for messages: "Dockerfile" */
	char escape;  /* '\\' or '`' (the escape= directive) */
	struct hvc_df_instr *instrs;
	size_t n_instrs;
	char **warnings; /* "Dockerfile:1: ..." for ignored directives etc. */
};

/* Parses buf (len bytes, need not be NUL-terminated). name is used in
 * messages ("Dockerfile:LINE: ..."). Syntax errors fail with EINVAL. */
int hvc_dockerfile_parse(const char *buf, size_t len, const char *name, struct hvc_dockerfile **out,
			 struct hvc_error *err);
void hvc_dockerfile_free(struct hvc_dockerfile *df);
static inline void hvc_dockerfile_freep(struct hvc_dockerfile **df)
{
	hvc_dockerfile_free(*df); /* safe on NULL */
	*df = NULL;
}
#define _cleanup_dockerfile_ __attribute__((cleanup(hvc_dockerfile_freep)))
const char *hvc_df_kind_name(enum hvc_df_kind k);

/* An instruction after variable substitution, ready to execute. */
struct hvc_df_step {
	enum hvc_df_kind kind;
	int line;
	char **args;  /* FROM: image [, alias]; RUN/CMD/ENTRYPOINT: argv (shell form
		       * already wrapped as /bin/sh -c TEXT); COPY/ADD: sources..., dest;
		       * ENV/LABEL: "K=V" pairs; ARG: "NAME" or "NAME=default";
		       * WORKDIR/USER/STOPSIGNAL: one value; EXPOSE: ports ("80/tcp");
		       * VOLUME: paths; SHELL: the new shell argv */
	bool shell_form;
	char *text;   /* canonical one-line text for display and the cache key:
		       * "RUN echo hi", "COPY a.txt /app/" */
};
void hvc_df_step_free(struct hvc_df_step *s);
static inline void hvc_df_step_freep(struct hvc_df_step **s)
{
	hvc_df_step_free(*s); /* safe on NULL */
	*s = NULL;
}
#define _cleanup_df_step_ __attribute__((cleanup(hvc_df_step_freep)))

/* Variables in scope while walking a Dockerfile: build args given on the
 * command line, ARGs declared so far, and the image env (base image env plus
 * ENV). Substitution follows Docker: $VAR ${VAR} ${VAR:-word} ${VAR:+word}, in
 * FROM, COPY, ADD, ENV, ARG, WORKDIR, USER, LABEL, EXPOSE; never in
 * RUN/CMD/ENTRYPOINT (their shell does it). */
struct hvc_df_scope {
	char **build_args; /* "K=V" from --build-arg */
	char **meta_args;  /* ARGs declared before FROM (usable in FROM only) */
	char **args;       /* ARGs in scope: "K=V" (value resolved) */
	char **env;        /* image env: "K=V" */
	char **used_build_args; /* names of build args consumed by an ARG */
	char **shell;      /* SHELL: prefix of shell-form commands; NULL = /bin/sh -c */
};
void hvc_df_scope_clear(struct hvc_df_scope *sc);
/* Expands in against the scope, then applies its effect on the scope (ARG
 * declares, ENV sets env, FROM resets ARGs to the pre-FROM meta args). */
int hvc_df_scope_step(struct hvc_df_scope *sc, const struct hvc_dockerfile *df,
		      const struct hvc_df_instr *in, struct hvc_df_step **out, struct hvc_error *err);
/* The environment a RUN sees: ARGs, then env (ENV wins), "K=V" strv. */
char **hvc_df_scope_run_env(const struct hvc_df_scope *sc);
/* Sets/replaces K in a "K=V" vector. */
int hvc_env_set(char ***env, const char *key, const char *value);
const char *hvc_env_get(char *const *env, const char *key);

/* Substitutes variables in one word-list text with Docker's quoting rules.
 * split: whitespace separates words (else the whole text is one word). */
int hvc_df_expand_words(const char *text, char *const *vars, char escape, bool split, char ***words,
			struct hvc_error *err);

/* Splits text on unquoted whitespace keeping quotes (-EINVAL + *bad on an
 * unterminated quote). */
int hvc_df_split_raw(const char *text, char escape, char ***out, const char **bad);
bool hvc_df_valid_port(const char *w);

/* ---------- layers from directories -------------------------------------- */
struct hvc_layer_blob {
	char digest[72];  /* "sha256:…" of the gzip blob */
	char diff_id[72]; /* "sha256:…" of the uncompressed tar */
	uint64_t size;    /* bytes of the gzip blob */
	uint64_t tar_size;
};
/* Writes dir as a gzip tar layer into blob_path. Overlay whiteouts (0/0 char
 * devices) become ".wh.NAME", opaque directories (trusted.overlay.opaque=y)
 * get ".wh..wh..opq"; entries are written in sorted order, owners and modes
 * kept, overlay xattrs dropped. */
int hvc_layer_from_dir(const char *dir, const char *blob_path, struct hvc_layer_blob *out,
		       struct hvc_error *err);

/* ---------- the build sandbox -------------------------------------------- */
/* Runs a command in the image's filesystem: overlay(lowerdirs + upper) in new
 * mount/pid/uts/ipc namespaces, pivot_root, /proc and a minimal /dev. Mounts
 * live only in the child's mount namespace, so nothing is left behind when
 * either process dies. Kept small so the container runtime can replace it. */
struct hvc_build_sandbox {
	char *const *lowerdirs; /* top first; NULL or empty for scratch */
	const char *upperdir;   /* receives the changes */
	const char *workdir;    /* overlay work dir, same filesystem as upperdir */
	const char *mergeddir;  /* an empty directory to mount the root on */
	char *const *argv;
	char *const *env;
	const char *cwd;        /* WORKDIR, NULL = "/" */
	const char *user;       /* USER spec, NULL = root */
	const char *hostname;
	bool volatile_upper;    /* overlay "volatile": no sync of the upper at unmount (scratch uppers) */
	int stdout_fd, stderr_fd; /* where the command's output goes */
};
/* Returns the command's exit status (0..255, 128+signal) or negative on a
 * sandbox failure (err filled). */
int hvc_build_sandbox_run(const struct hvc_build_sandbox *sb, struct hvc_error *err);

/* Resolves a USER spec ("name", "uid", "name:group", "uid:gid") against
 * passwd/group file contents (either may be NULL). Pure. */
int hvc_build_user_resolve(const char *spec, const char *passwd, const char *group, uid_t *uid,
			   gid_t *gid, struct hvc_error *err);

/* ---------- build --------------------------------------------------------- */
struct hvc_reg_opts;
struct hvc_build_opts {
	const char *context;    /* directory */
	const char *dockerfile; /* path; NULL = CONTEXT/Dockerfile */
	const char *tag;        /* NAME[:TAG]; NULL = untagged */
	char **build_args;      /* "K=V" */
	bool no_cache;
	FILE *progress;         /* "Step 1/5 : ..." lines; NULL = silent */
	int out_fd;             /* RUN output goes here (-1: progress's fd) */
	int pull;               /* enum hvc_reg_pull_policy for FROM (0: missing) */
	const struct hvc_reg_opts *registry; /* FROM pulls: TLS, auth, progress; NULL: defaults */
};
/* One --build-arg: "K=V" as given, or "K" alone taking V from env (a "K=V"
 * vector such as environ). Returns 1 with *kv (malloc'd "K=V"), 0 when there
 * is nothing to pass (K unset in env, as Docker does), or -EINVAL (err filled)
 * for an empty name. Pure. (engine/build/build_args.c) */
int hvc_build_arg_parse(const char *spec, char *const *env, char **kv, struct hvc_error *err);
/* Builds; on success *digest (malloc'd) is the new image's manifest digest. */
int hvc_build(const struct hvc_build_opts *o, char **digest, struct hvc_error *err);

#endif
