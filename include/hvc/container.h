/* engine/runtime: the container runtime. A container is described by a spec
 * (pure data, built from CLI options and the image config), turned into plans
 * (mounts, capabilities, seccomp rules — pure, unit-tested), and executed by
 * hvc_ctr_start(): overlay rootfs, clone into new namespaces, cgroup limits,
 * pivot_root, capabilities, no_new_privs, seccomp, exec of hvc-init.
 * State of every container lives under $HVC_ROOT/containers/<id>/. */
#ifndef HVC_CONTAINER_H
#define HVC_CONTAINER_H

#include <stdint.h>
#include <sys/types.h>
#include "hvc/network.h"
#include "hvc/util.h"

struct hvc_image_store;

#define HVC_CTR_ID_LEN 64
/* The process name of the detached process that deletes a removed
 * container's directory (engine/runtime/runtime_trash.c): a subreaper that
 * adopts it reaps it by this name (vmdriver/reaper.c). */
#define HVC_CTR_DELETER_COMM "hvc-deleter"

/* none: a namespace with lo only; host: the host's; bridge: a namespace
 * with a veth on spec.network's bridge (engine/net/); container: the
 * namespace of the container spec.network names. */
enum hvc_ctr_net { HVC_CTR_NET_NONE = 0, HVC_CTR_NET_HOST, HVC_CTR_NET_BRIDGE, HVC_CTR_NET_CONTAINER };
enum hvc_ctr_seccomp { HVC_CTR_SECCOMP_DEFAULT = 0, HVC_CTR_SECCOMP_UNCONFINED, HVC_CTR_SECCOMP_FILE };

/* -v HOST:CTR[:ro] and --tmpfs PATH */
struct hvc_ctr_volume {
	char *src; /* host path (absolute); NULL for tmpfs */
	char *dst; /* container path (absolute) */
	bool ro;
	bool tmpfs;
};

struct hvc_ctr_limits {
	uint64_t memory;  /* bytes, 0 = none; swap is off when set */
	double cpus;      /* CPU quota in CPUs, 0 = none */
	char *cpuset;     /* "0-1", NULL = none */
	int64_t pids;     /* 0 = none */
};

struct hvc_ctr_spec {
	char *name;          /* unique; NULL -> generated */
	char *image_ref;     /* as the user typed it */
	char *image_digest;  /* "sha256:…" of the image (manifest digest), NULL for a raw rootfs */
	char **lowerdirs;    /* overlay lowerdirs, TOP first */
	char **argv;         /* the command (entrypoint + cmd resolved) */
	char **env;          /* "K=V" */
	char *workdir;       /* absolute, default "/" */
	char *user;          /* "uid[:gid]" or "name[:group]"; NULL = root */
	char *hostname;      /* default: first 12 chars of the id */
	bool tty, interactive, detach, rm, read_only, userns;
	bool init;           /* hvc-init as PID 1 (default true) */
	bool ready;          /* hvc-init prints HVC_READY_MARKER (bench) */
	enum hvc_ctr_net net;
	char *network;       /* bridge: the network's name; container: the container's */
	struct hvc_net_port *ports; /* -p */
	size_t n_ports;
	uint64_t caps;       /* bit set of CAP_* numbers kept */
	enum hvc_ctr_seccomp seccomp;
	char *seccomp_file;  /* HVC_CTR_SECCOMP_FILE */
	struct hvc_ctr_volume *vols;
	size_t n_vols;
	struct hvc_ctr_limits limits;
	/* the image store, its hold taken (shared) by hvc_ctr_spec_set_image so
	 * that no GC deletes the image's layers before the start's config.json
	 * names the image; the start gives the hold back then; freed with the spec */
	struct hvc_image_store *image_hold;
};

/* ---------- spec (engine/runtime/container_spec.c) ------------------------------ */
void hvc_ctr_spec_init(struct hvc_ctr_spec *s); /* defaults: init, caps = Docker's 14 */
void hvc_ctr_spec_free(struct hvc_ctr_spec *s);
/* Applies an image config the way Docker does: argv = entrypoint + (cmd_override
 * or image cmd); env = image env overridden by user env (PATH defaulted);
 * workdir and user from the image unless given. Fails (EINVAL) when no command. */
int hvc_ctr_spec_apply_image(struct hvc_ctr_spec *s, char *const *img_env, char *const *img_entrypoint,
			     char *const *img_cmd, const char *img_workdir, const char *img_user,
			     char *const *cmd_override, char *const *entrypoint_override,
			     struct hvc_error *err);
/* Adds/overrides "K=V" (or "K" taken from the host env) in *env. */
int hvc_ctr_env_set(char ***env, const char *kv, struct hvc_error *err);
/* Reads a Docker --env-file: K=V lines, # comments, blank lines. Pure: a buffer. */
int hvc_ctr_env_file_parse(const char *buf, char ***env, struct hvc_error *err);
/* "HOST:CTR[:ro|rw]" -> volume (HOST must be absolute and exist when check_host). */
int hvc_ctr_volume_parse(const char *s, bool check_host, struct hvc_ctr_volume *v, struct hvc_error *err);
/* Validates a name: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool hvc_ctr_name_valid(const char *name);
/* Resolves an image reference (store name/digest, or an absolute path of a
 * rootfs directory) into lowerdirs + image_digest, then applies its config
 * (engine/runtime/container_image.c). */
int hvc_ctr_spec_set_image(struct hvc_ctr_spec *s, const char *ref, char *const *cmd_override,
			   char *const *entrypoint_override, struct hvc_error *err);
/* Spec <-> json (config.json). */
json_object *hvc_ctr_spec_to_json(const struct hvc_ctr_spec *s);
int hvc_ctr_spec_from_json(json_object *o, struct hvc_ctr_spec *s, struct hvc_error *err);

/* ---------- capabilities (engine/runtime/runtime_caps.c) ------------------------ */
uint64_t hvc_ctr_caps_default(void); /* Docker's default 14 */
/* "NET_RAW", "CAP_NET_RAW", "net_raw" or "ALL" -> bit set; -1 when unknown. */
int hvc_ctr_cap_parse(const char *name, uint64_t *bits, struct hvc_error *err);
/* Comma list of names into buf ("CHOWN,DAC_OVERRIDE,…"). */
const char *hvc_ctr_caps_format(uint64_t caps, char *buf, size_t len);

/* ---------- seccomp (engine/runtime/runtime_seccomp.c) -------------------------- */
enum hvc_sc_cmp { HVC_SC_NE = 1, HVC_SC_LT, HVC_SC_LE, HVC_SC_EQ, HVC_SC_GE, HVC_SC_GT, HVC_SC_MASKED_EQ };
struct hvc_sc_arg {
	unsigned index;
	enum hvc_sc_cmp op;
	uint64_t value, value2;
};
struct hvc_sc_rule {
	char *name;    /* syscall name */
	uint32_t action; /* libseccomp action (SCMP_ACT_*) */
	struct hvc_sc_arg args[6];
	unsigned n_args;
};
struct hvc_sc_profile {
	uint32_t default_action;
	struct hvc_sc_rule *rules;
	size_t n_rules;
};
void hvc_sc_profile_free(struct hvc_sc_profile *p);
/* The default profile (Docker's allow-list model; denied -> EPERM) for a cap set. */
int hvc_sc_profile_default(uint64_t caps, struct hvc_sc_profile *out, struct hvc_error *err);
/* A Docker/OCI-style JSON profile (buffer). */
int hvc_sc_profile_parse_json(const char *buf, size_t len, struct hvc_sc_profile *out,
			      struct hvc_error *err);
/* Compiles a profile into a libseccomp context (returned as void* to keep
 * seccomp.h out of this header). Unknown syscall names are skipped. */
int hvc_sc_profile_compile(const struct hvc_sc_profile *p, void **ctx, struct hvc_error *err);
/* The profile a spec asks for (NULL ctx when unconfined). */
int hvc_sc_for_spec(const struct hvc_ctr_spec *s, void **ctx, struct hvc_error *err);
void hvc_sc_ctx_free(void *ctx);
/* The spec's filter as BPF, from $HVC_ROOT/cache/seccomp/ when compiled
 * before (filter NULL when unconfined); loaded with one seccomp(2) call. */
struct hvc_sc_bpf {
	void *filter; /* struct sock_filter[len] */
	unsigned short len;
};
int hvc_sc_bpf_for_spec(const struct hvc_ctr_spec *s, struct hvc_sc_bpf *out, struct hvc_error *err);
int hvc_sc_bpf_load(const struct hvc_sc_bpf *b); /* 0 or -errno; needs no_new_privs */
void hvc_sc_bpf_free(struct hvc_sc_bpf *b);
#define _cleanup_sc_bpf_ __attribute__((cleanup(hvc_sc_bpf_free)))

/* ---------- mount plan (engine/runtime/runtime_mounts.c) ------------------------ */
enum hvc_mnt_kind {
	HVC_MNT_MOUNT,    /* mount(src, dst, fstype, flags, data) */
	HVC_MNT_BIND,     /* bind src (host) onto dst, optionally read-only */
	HVC_MNT_DEV,      /* device node dst (major/minor, char), mknod or bind from host */
	HVC_MNT_SYMLINK,  /* symlink src -> dst */
	HVC_MNT_MASK,     /* mask dst: /dev/null over a file, ro tmpfs over a dir (skip if absent) */
	HVC_MNT_RO,       /* remount dst read-only (skip if absent) */
};
struct hvc_mnt_op {
	enum hvc_mnt_kind kind;
	const char *src, *dst, *fstype, *data;
	unsigned long flags;
	bool ro;
	unsigned major, minor;
	char *owned[2]; /* strings this op owns */
};
struct hvc_mnt_plan {
	struct hvc_mnt_op *ops;
	size_t n;
};
/* Pure: the mounts a spec needs inside the rootfs (paths relative to the
 * container root), in order. */
int hvc_mnt_plan_build(const struct hvc_ctr_spec *s, struct hvc_mnt_plan *plan, struct hvc_error *err);
void hvc_mnt_plan_free(struct hvc_mnt_plan *plan);
/* "lowerdir=…,upperdir=…,workdir=…" (upper NULL -> read-only overlay).
 * volatile_upper appends HVC_OVL_VOLATILE (last, so a kernel without it can
 * be retried without it): overlayfs then never syncs the upper filesystem —
 * not on the container's fsync()s and not at unmount, where it otherwise
 * runs syncfs() on the whole host filesystem holding $HVC_ROOT. For --rm
 * containers only (as podman does): their upper dir is deleted at exit, and
 * a volatile upper can never be mounted again. */
#define HVC_OVL_VOLATILE ",volatile"
char *hvc_mnt_overlay_options(char *const *lowerdirs, const char *upper, const char *work,
			      bool volatile_upper);

/* ---------- ids, names, state (engine/runtime/container_state.c) ---------------- */
/* $HVC_ROOT/containers */
char *hvc_ctr_dir_root(void);
/* Resolves a full id, a unique id prefix or a name to a full id. */
int hvc_ctr_lookup(const char *ref, char id[HVC_CTR_ID_LEN + 1], struct hvc_error *err);
/* Pure part of lookup: ids[] and names[] (parallel, n entries). Returns index,
 * -ENOENT when none, -EEXIST (ambiguous) when several ids share the prefix. */
int hvc_ctr_match(const char *ref, char *const *ids, char *const *names, size_t n);
/* All container ids (malloc'd strv). */
int hvc_ctr_list(char ***ids, struct hvc_error *err);

enum hvc_ctr_status { HVC_CTR_CREATED, HVC_CTR_RUNNING, HVC_CTR_EXITED };
struct hvc_ctr_state {
	enum hvc_ctr_status status;
	pid_t pid;            /* container init (host pid) */
	uint64_t pid_start;   /* its start time (/proc/pid/stat field 22), guards reuse */
	pid_t supervisor;     /* the process that waits for it */
	uint64_t supervisor_start;
	int exit_code;
	char started_at[32], finished_at[32];
	char cgroup[256];     /* name under each hierarchy, "hvc/<root-tag>-<id>" */
	bool oom_killed;
};
int hvc_ctr_state_read(const char *id, struct hvc_ctr_state *st, struct hvc_error *err);
int hvc_ctr_state_write(const char *id, const struct hvc_ctr_state *st, struct hvc_error *err);
const char *hvc_ctr_status_name(enum hvc_ctr_status s);
/* Reads config.json into a spec. */
int hvc_ctr_config_read(const char *id, struct hvc_ctr_spec *s, json_object **raw, struct hvc_error *err);
/* True when the recorded process still exists (pid + start time). */
bool hvc_ctr_proc_alive(pid_t pid, uint64_t start);
uint64_t hvc_ctr_proc_start_time(pid_t pid);
/* Marks a container whose supervisor died as exited and reclaims its
 * cgroup/processes/mounts (removes it entirely when it was --rm).
 * Returns 1 when something was reclaimed, 0 when it was healthy. */
int hvc_ctr_reclaim_if_stale(const char *id, struct hvc_error *err);

/* ---------- running (engine/runtime/runtime_run.c) ------------------------------ */
/* Timings of one start, host CLOCK_MONOTONIC ns, measured from the call. */
struct hvc_ctr_timings {
	uint64_t t0;          /* absolute: hvc_now_ns() when hvc_ctr_start was called */
	uint64_t prepared;    /* state dir, config, seccomp compiled, init memfd */
	uint64_t cgroup;      /* cgroup created with limits */
	uint64_t cloned;      /* child running in its new namespaces (child-reported) */
	uint64_t rootfs;      /* overlay + mounts + pivot_root done (child-reported) */
	uint64_t exec;        /* hvc-init (or the command) exec'd */
	uint64_t ready;       /* READY seen (0 unless spec.ready) */
	uint64_t first_output; /* first stdout bytes relayed by the supervisor (0: none) */
	uint64_t exited;      /* command exited and was reaped */
};

struct hvc_ctr; /* a started container owned by this process */

/* I/O of a started container: where its output goes. */
struct hvc_ctr_io {
	int in_fd;        /* forwarded to the container's stdin (-i), -1 = /dev/null */
	int out_fd;       /* copy of stdout (and stderr when err_fd < 0 or tty), -1 = none */
	int err_fd;       /* copy of stderr, -1 = merge into out_fd */
	bool log;         /* also append to $HVC_ROOT/containers/<id>/log */
};

/* Creates and starts a container: returns once the command has been exec'd
 * (or with an error naming what failed, err->code = 125/126/127-style cause in
 * *exit_hint when not NULL). Nothing is left behind on failure. */
int hvc_ctr_start(const struct hvc_ctr_spec *spec, struct hvc_ctr **out, int *exit_hint,
		  struct hvc_error *err);
/* `hvc start`: starts the stored, exited container id again with its stored
 * spec s (hvc_ctr_config_read): the same id, name, upper layer (files it
 * wrote are kept) and log, new namespaces, cgroup and lease
 * (engine/runtime/runtime_restart.c). */
int hvc_ctr_start_again(const char *id, const struct hvc_ctr_spec *s, struct hvc_ctr **out, int *exit_hint,
			struct hvc_error *err);
const char *hvc_ctr_id(const struct hvc_ctr *c);
pid_t hvc_ctr_pid(const struct hvc_ctr *c);
/* cgroup name ("hvc/<root-tag>-<id>") and the directory of a controller's cgroup
 * ("memory" -> /sys/fs/cgroup/memory/hvc/<id>, v2: the unified dir). */
const char *hvc_ctr_cgroup_name(const struct hvc_ctr *c);
int hvc_ctr_cgroup_path(const struct hvc_ctr *c, const char *controller, char *buf, size_t len);
const struct hvc_ctr_timings *hvc_ctr_get_timings(const struct hvc_ctr *c);
/* Relays I/O until the container exits; returns its exit status (0..255,
 * 128+signal), records it in state.json, removes the container when spec.rm,
 * and frees c. Negative on error (c is still freed and cleaned up). */
int hvc_ctr_wait(struct hvc_ctr *c, const struct hvc_ctr_io *io, struct hvc_error *err);
/* The same, filling *t with every timing, first_output and exited included. */
int hvc_ctr_wait_timed(struct hvc_ctr *c, const struct hvc_ctr_io *io, struct hvc_ctr_timings *t,
		       struct hvc_error *err);
/* Sends sig to the container's init (used by signal forwarding). */
int hvc_ctr_signal(struct hvc_ctr *c, int sig);
/* The pty master of a container started with spec.tty (-1 otherwise); owned
 * by c: dup() it to keep it. */
int hvc_ctr_tty_master(const struct hvc_ctr *c);

/* ---------- attaching a terminal (engine/runtime/runtime_attach.c) ---------------
 * `hvc run -it` attaches from a process other than the container's
 * supervisor, so the user can detach (ctrl-p ctrl-q, as in Docker) and the
 * container keeps running. */
#define HVC_DETACH_KEYS_MAX 16
#define HVC_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
/* Docker's --detach-keys format: comma-separated characters or ctrl-<a-z@[\]^_>. */
int hvc_ctr_detach_keys_parse(const char *spec, unsigned char *keys, size_t *n, struct hvc_error *err);
struct hvc_detach_matcher {
	const unsigned char *keys;
	size_t n, matched; /* matched: a possible sequence held back so far */
};
/* Passes input through: *out gets what is for the container (out must hold
 * len + HVC_DETACH_KEYS_MAX bytes); true once the whole sequence was typed. */
bool hvc_detach_feed(struct hvc_detach_matcher *m, const unsigned char *in, size_t len, unsigned char *out,
		     size_t *out_len);
struct hvc_ctr_attach {
	int master;               /* the container's pty master */
	int in_fd, out_fd;        /* the user's terminal */
	int logfd;                /* the container's log (-1: none) */
	const unsigned char *keys; /* detach sequence */
	size_t n_keys;
};
enum { HVC_ATTACH_EXITED = 0, HVC_ATTACH_DETACHED = 1 };
/* Relays terminal <-> pty (and window size) until the pty reports that no
 * process holds it any more (HVC_ATTACH_EXITED) or the detach keys were
 * typed (HVC_ATTACH_DETACHED); -1 on error. */
int hvc_ctr_attach_relay(const struct hvc_ctr_attach *a, struct hvc_error *err);

/* start + wait, for the bench harness: timings filled in. */
int hvc_ctr_run(const struct hvc_ctr_spec *spec, const struct hvc_ctr_io *io, int *status,
		struct hvc_ctr_timings *t, struct hvc_error *err);

/* ---------- lifecycle on stored containers (engine/runtime/runtime_lifecycle.c) -- */
/* Signals a running container's init. */
int hvc_ctr_kill(const char *id, int sig, struct hvc_error *err);
/* SIGTERM, wait up to timeout_s, then SIGKILL; waits for the exit. */
int hvc_ctr_stop(const char *id, int timeout_s, struct hvc_error *err);
/* Waits for exit; returns the exit code. */
int hvc_ctr_wait_exit(const char *id, struct hvc_error *err);
/* Removes a container (force: kills it first). */
int hvc_ctr_remove(const char *id, bool force, struct hvc_error *err);
/* Runs argv inside a running container (same namespaces, cgroup, caps,
 * seccomp); returns the exit status. */
struct hvc_ctr_exec_opts {
	char **argv;
	char **env;    /* extra "K=V" */
	char *workdir; /* NULL = the container's */
	char *user;    /* NULL = the container's */
	bool tty, interactive;
};
int hvc_ctr_exec(const char *id, const struct hvc_ctr_exec_opts *o, struct hvc_error *err);

/* `hvc top`: the pids in a running container's cgroup, ascending
 * (engine/runtime/runtime_top.c); *out malloc'd. */
int hvc_ctr_pids(const char *id, pid_t **out, size_t *n, struct hvc_error *err);

/* `hvc cp`: copies host_path into the container at ctr_path (to_ctr) or
 * ctr_path out to host_path (o), with docker cp's rules (into an existing
 * directory; SRC/. copies the contents; a symlink is copied as one), every
 * container path resolved inside its root (engine/runtime/runtime_cp.c).
 * Running: through /proc/PID/root (volumes included); stopped: its overlay
 * mounted in a private mount namespace. */
struct hvc_ctr_cp_opts {
	bool to_ctr;   /* host_path -> ctr_path; else ctr_path -> host_path */
	bool archive;  /* -a: keep the source's uid/gid (else the copier's; a --userns container's root) */
	bool follow;   /* -L: follow the source's own symlinks (else copied as symlinks) */
	const char *ctr_path, *host_path;
};
int hvc_ctr_cp(const char *id, const struct hvc_ctr_cp_opts *o, struct hvc_error *err);

/* Resource usage from the container's cgroup. */
struct hvc_ctr_stats {
	uint64_t mem_current, mem_peak, mem_limit;
	uint64_t cpu_usage_ns;
	uint64_t pids_current, pids_limit;
};
int hvc_ctr_stats_read(const char *id, struct hvc_ctr_stats *st, struct hvc_error *err);

/* Reclaims what killed hvc processes left (stale containers, orphan cgroups)
 * and, when all, removes exited containers. Counts what it removed. */
struct hvc_ctr_prune_report {
	unsigned containers, cgroups, processes, mounts;
};
int hvc_ctr_prune(bool all, struct hvc_ctr_prune_report *r, struct hvc_error *err);

/* ---------- network (engine/runtime/runtime_net.c) ---------------------------- */
/* {"network", "address", "gateway", "ports": ["127.0.0.1:8080->80/tcp"]} of a
 * container holding a lease; NULL when it holds none. */
json_object *hvc_ctr_network_settings(const char *id);

/* ---------- option values into a spec (engine/runtime/container_options.c,
 * the network's in container_net.c) ----
 * `hvc run`'s values, validated once here (messages name the option): */
int hvc_ctr_opt_memory(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err); /* -m, >= 6m */
int hvc_ctr_opt_cpus(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err);   /* (0, 1024] */
int hvc_ctr_opt_cpuset(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err); /* "0-1,3" */
int hvc_ctr_opt_pids(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err);   /* -1: none */
/* none|host|bridge|container:NAME|NETWORK (a user network's name) */
int hvc_ctr_opt_network(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err);
/* -p [IP:]HOSTPORT:CTRPORT[/tcp|udp] */
int hvc_ctr_opt_publish(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err);
/* The --network value a spec was given (into buf), as config.json records it. */
const char *hvc_ctr_network_format(const struct hvc_ctr_spec *s, char *buf, size_t len);
/* The spec's -p values as config.json records them ("127.0.0.1:8080:80/tcp"), and back. */
json_object *hvc_ctr_ports_to_json(const struct hvc_ctr_spec *s);
int hvc_ctr_ports_from_json(json_object *a, struct hvc_ctr_spec *s, struct hvc_error *err);
/* -P (engine/runtime/container_expose.c): the image's EXPOSEd ports added to
 * s->ports on host ports the kernel picks (an explicit -p for a port wins). */
int hvc_ctr_publish_exposed(struct hvc_ctr_spec *s, struct hvc_error *err);
/* The same for any port list (`hvc vm run -P`): image_ref's EXPOSEd ports
 * appended to *ports unless one of them already publishes that port. */
int hvc_image_publish_exposed(const char *image_ref, struct hvc_net_port **ports, size_t *n,
			      struct hvc_error *err);
/* Pure: an image config's ExposedPorts ("80/tcp") as ports with host_port 0. */
int hvc_ctr_exposed_ports_parse(json_object *config, struct hvc_net_port **out, size_t *n,
				struct hvc_error *err);
/* seccomp=unconfined|FILE (made absolute; must exist), no-new-privileges */
int hvc_ctr_opt_security(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err);
int hvc_ctr_opt_workdir(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err); /* absolute */
int hvc_ctr_opt_volume(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err); /* -v H:C[:ro] */
int hvc_ctr_opt_tmpfs(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err);  /* PATH[:opts] */
/* Every --cap-add, then every --cap-drop, onto the spec's default set. */
int hvc_ctr_opt_caps(struct hvc_ctr_spec *s, char *const *add, char *const *drop, struct hvc_error *err);
/* hvc_ctr_spec_set_image() with --entrypoint as typed: NULL keeps the
 * image's, "" clears it (Docker), anything else replaces it. */
int hvc_ctr_spec_set_image_entrypoint(struct hvc_ctr_spec *s, const char *ref, char *const *cmd,
				      const char *entrypoint, struct hvc_error *err);

/* ---------- a supervised start (engine/runtime/runtime_supervise.c) ------------
 * A forked supervisor starts the container, reports, waits for its exit
 * (hvc_ctr_wait with io) and exits with its status (125 when the wait
 * failed; the start's exit hint when the start failed). Every callback
 * runs in the supervisor, in this order: setup, prepare, start, then failed
 * or started, then the wait, then exited. */
struct hvc_ctr_supervisor {
	const struct hvc_ctr_spec *spec; /* what to start, unless prepare is set */
	bool detach;              /* double fork: the supervisor outlives the caller's process tree */
	bool session_after_start; /* keep the caller's session and stdio until started (-it: the
				     pty takes the terminal's window size) */
	struct hvc_ctr_io io;     /* for the wait */
	void *data;               /* passed to each callback */
	/* right after the fork: close the caller's ends of channels, arrange fds; < 0: exit 125 */
	int (*setup)(void *data);
	/* builds the spec (already hvc_ctr_spec_init'ed) in the supervisor */
	int (*prepare)(void *data, struct hvc_ctr_spec *s, struct hvc_error *err);
	void (*failed)(void *data, int exit_hint, const struct hvc_error *err);
	void (*started)(void *data, struct hvc_ctr *c); /* may block: the wait starts after */
	void (*exited)(void *data, int status, const struct hvc_error *err); /* < 0: err */
	const char *restart_id;   /* `hvc start`: hvc_ctr_start_again(restart_id, spec) */
};
/* Forks the supervisor; its pid, or 0 when detached (the intermediate
 * process is reaped here), or -1 with err. */
pid_t hvc_ctr_supervise(const struct hvc_ctr_supervisor *sup, struct hvc_error *err);

#endif
