/* engine/runtime/runtime_seccomp: seccomp profiles as data. The default profile is an
 * allow-list modelled on Docker's default (denied calls fail with EPERM, never
 * SIGSYS), with the same capability-conditioned groups; a Docker-format JSON
 * profile can replace it. Profiles are pure data until compiled with
 * libseccomp (hvc_sc_profile_compile), which is what makes them testable. */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "hvc/container.h"
#include "runtime_internal.h"

/* Docker's default allow-list (moby profiles/seccomp/default.json), minus the
 * calls it allows only with a capability (below). Names unknown to this
 * architecture are skipped when compiling. */
static const char *const allow_base[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "cachestat",
	"capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
	"clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
	"clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
	"dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
	"exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
	"fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
	"fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	"fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
	"ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
	"futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
	"getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
	"getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
	"getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
	"get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
	"gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
	"io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
	"io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
	"listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat",
	"lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret",
	"mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
	"mmap2", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
	"msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
	"nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
	"pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
	"ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
	"process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
	"readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
	"recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
	"renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
	"rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
	"rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
	"sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
	"sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
	"semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
	"sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
	"setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
	"setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
	"setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
	"setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
	"shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
	"sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
	"statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
	"tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
	"timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
	"timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
	"truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
	"utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
	"writev",
	/* Docker allows these on kernels >= 4.8, where ptrace cannot bypass seccomp */
	"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace",
	NULL,
};

/* Allowed only when the capability is kept (Docker's "includes": {"caps"}). */
static const struct {
	int cap;
	const char *const names[24];
} allow_by_cap[] = {
	{ CAP_SYS_ADMIN, { "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
			   "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
			   "name_to_handle_at", "open_tree", "perf_event_open", "quotactl",
			   "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
			   "umount2", "unshare" } },
	{ CAP_SYS_BOOT, { "reboot" } },
	{ CAP_SYS_CHROOT, { "chroot" } },
	{ CAP_SYS_MODULE, { "delete_module", "init_module", "finit_module" } },
	{ CAP_SYS_PACCT, { "acct" } },
	{ CAP_SYS_RAWIO, { "iopl", "ioperm" } },
	{ CAP_SYS_TIME, { "settimeofday", "stime", "clock_settime", "clock_settime64" } },
	{ CAP_SYS_TTY_CONFIG, { "vhangup" } },
	{ CAP_SYS_NICE, { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" } },
	{ CAP_SYSLOG, { "syslog" } },
	{ CAP_BPF, { "bpf" } },
	{ CAP_PERFMON, { "perf_event_open" } },
	{ CAP_SYS_RESOURCE, { "setrlimit" } },
};

void hvc_sc_profile_free(struct hvc_sc_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		free(p->rules[i].name);
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

static struct hvc_sc_rule *rule_add(struct hvc_sc_profile *p, const char *name, uint32_t action)
{
	if (p->n_rules % 64 == 0) {
		struct hvc_sc_rule *r = realloc(p->rules, (p->n_rules + 64) * sizeof(*r));
		if (!r)
			return NULL;
		p->rules = r;
	}
	struct hvc_sc_rule *r = &p->rules[p->n_rules++];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	r->action = action;
	return r;
}

static bool has_rule(const struct hvc_sc_profile *p, const char *name)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (!strcmp(p->rules[i].name, name) && p->rules[i].n_args == 0)
			return true;
	return false;
}

int hvc_sc_profile_default(uint64_t caps, struct hvc_sc_profile *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	out->default_action = SCMP_ACT_ERRNO(EPERM);
	for (size_t i = 0; allow_base[i]; i++)
		if (!rule_add(out, allow_base[i], SCMP_ACT_ALLOW))
			goto oom;
	for (size_t g = 0; g < sizeof(allow_by_cap) / sizeof(allow_by_cap[0]); g++) {
		if (!(caps & (1ull << allow_by_cap[g].cap)))
			continue;
		for (size_t i = 0; i < 24 && allow_by_cap[g].names[i]; i++)
			if (!has_rule(out, allow_by_cap[g].names[i]) &&
			    !rule_add(out, allow_by_cap[g].names[i], SCMP_ACT_ALLOW))
				goto oom;
	}
	struct hvc_sc_rule *r;
	/* personality: only the harmless personas Docker allows */
	static const uint64_t personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
	for (size_t i = 0; i < 5; i++) {
		if (!(r = rule_add(out, "personality", SCMP_ACT_ALLOW)))
			goto oom;
		r->args[0] = (struct hvc_sc_arg){ 0, HVC_SC_EQ, personas[i], 0 };
		r->n_args = 1;
	}
	if (!(caps & (1ull << CAP_SYS_ADMIN))) {
		/* clone without namespace flags; clone3 reports ENOSYS so libcs fall back
		 * to clone, whose flags seccomp can see */
		if (!(r = rule_add(out, "clone", SCMP_ACT_ALLOW)))
			goto oom;
		uint64_t ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
			      CLONE_NEWNET | CLONE_NEWCGROUP;
		r->args[0] = (struct hvc_sc_arg){ 0, HVC_SC_MASKED_EQ, ns, 0 };
		r->n_args = 1;
		if (!rule_add(out, "clone3", SCMP_ACT_ERRNO(ENOSYS)))
			goto oom;
	}
	/* socket: every family but AF_VSOCK (40) */
	if (!(r = rule_add(out, "socket", SCMP_ACT_ALLOW)))
		goto oom;
	r->args[0] = (struct hvc_sc_arg){ 0, HVC_SC_NE, 40, 0 };
	r->n_args = 1;
	return 0;
oom:
	hvc_sc_profile_free(out);
	return hvc_err(err, ENOMEM, "seccomp profile");
}

static int parse_action(const char *s, int64_t errno_ret, uint32_t *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(s, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(errno_ret >= 0 ? (uint32_t)errno_ret : EPERM);
	else if (!strcmp(s, "SCMP_ACT_KILL") || !strcmp(s, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL;
	else if (!strcmp(s, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(s, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(s, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(s, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(errno_ret >= 0 ? (uint32_t)errno_ret : EPERM);
	else
		return -1;
	return 0;
}

static int parse_op(const char *s, enum hvc_sc_cmp *op)
{
	static const struct { const char *n; enum hvc_sc_cmp op; } t[] = {
		{ "SCMP_CMP_NE", HVC_SC_NE }, { "SCMP_CMP_LT", HVC_SC_LT }, { "SCMP_CMP_LE", HVC_SC_LE },
		{ "SCMP_CMP_EQ", HVC_SC_EQ }, { "SCMP_CMP_GE", HVC_SC_GE }, { "SCMP_CMP_GT", HVC_SC_GT },
		{ "SCMP_CMP_MASKED_EQ", HVC_SC_MASKED_EQ },
	};
	for (size_t i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n)) {
			*op = t[i].op;
			return 0;
		}
	return -1;
}

int hvc_sc_profile_parse_json(const char *buf, size_t len, struct hvc_sc_profile *out,
			      struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_json_ json_object *o = NULL;
	if (hvc_json_parse(buf, len, "seccomp profile", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return hvc_err(err, EINVAL, "seccomp profile: not a JSON object");
	const char *da = hvc_json_get_string(o, "defaultAction");
	if (parse_action(da, hvc_json_get_int(o, "defaultErrnoRet", -1), &out->default_action) < 0)
		return hvc_err(err, EINVAL, "seccomp profile: defaultAction \"%s\" is not a known action",
			       da ? da : "(missing)");
	json_object *sys = hvc_json_get(o, "syscalls");
	size_t n = sys && json_object_is_type(sys, json_type_array) ? json_object_array_length(sys) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(sys, i);
		const char *act = hvc_json_get_string(e, "action");
		uint32_t action;
		if (parse_action(act, hvc_json_get_int(e, "errnoRet", -1), &action) < 0) {
			hvc_sc_profile_free(out);
			return hvc_err(err, EINVAL, "seccomp profile: syscalls[%zu]: action \"%s\" is not a known action",
				       i, act ? act : "(missing)");
		}
		json_object *names = hvc_json_get(e, "names");
		json_object *args = hvc_json_get(e, "args");
		size_t nargs = args && json_object_is_type(args, json_type_array) ? json_object_array_length(args) : 0;
		if (nargs > 6) {
			hvc_sc_profile_free(out);
			return hvc_err(err, EINVAL, "seccomp profile: syscalls[%zu]: more than 6 args", i);
		}
		const char *single = hvc_json_get_string(e, "name");
		size_t nn = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
		for (size_t k = 0; k < nn + (single ? 1 : 0); k++) {
			const char *nm = k < nn ? json_object_get_string(json_object_array_get_idx(names, k)) : single;
			struct hvc_sc_rule *r = rule_add(out, nm ? nm : "", action);
			if (!r) {
				hvc_sc_profile_free(out);
				return hvc_err(err, ENOMEM, "seccomp profile");
			}
			for (size_t a = 0; a < nargs; a++) {
				json_object *ao = json_object_array_get_idx(args, a);
				const char *op = hvc_json_get_string(ao, "op");
				if (parse_op(op, &r->args[a].op) < 0) {
					hvc_sc_profile_free(out);
					return hvc_err(err, EINVAL, "seccomp profile: syscalls[%zu]: op \"%s\" unknown", i,
						       op ? op : "(missing)");
				}
				r->args[a].index = (unsigned)hvc_json_get_int(ao, "index", 0);
				r->args[a].value = (uint64_t)hvc_json_get_int(ao, "value", 0);
				r->args[a].value2 = (uint64_t)hvc_json_get_int(ao, "valueTwo", 0);
				unsigned idx = r->args[a].index;
				if (idx > 5) {
					hvc_sc_profile_free(out);
					return hvc_err(err, EINVAL, "seccomp profile: syscalls[%zu]: arg index %u > 5", i, idx);
				}
			}
			r->n_args = (unsigned)nargs;
		}
	}
	return 0;
}

int hvc_sc_profile_compile(const struct hvc_sc_profile *p, void **out, struct hvc_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	if (!ctx)
		return hvc_err(err, ENOMEM, "seccomp_init");
	/* the filter is loaded right before exec, with no_new_privs already set */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* a binary search over syscall numbers, not libseccomp's default linear
	 * chain: since Linux 5.11 seccomp(2) runs the filter once per syscall
	 * number at load time to build its allow-cache, so a ~330-instruction
	 * chain made the load itself cost ~0.6 ms per container start */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct hvc_sc_rule *r = &p->rules[i];
		if (r->action == p->default_action)
			continue;
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a syscall on this architecture */
		struct scmp_arg_cmp cmp[6];
		for (unsigned a = 0; a < r->n_args; a++) {
			cmp[a] = (struct scmp_arg_cmp){ .arg = r->args[a].index,
							.op = (enum scmp_compare)r->args[a].op,
							.datum_a = r->args[a].value,
							.datum_b = r->args[a].value2 };
			if (r->args[a].op == HVC_SC_MASKED_EQ) /* datum_a is the mask */
				cmp[a].datum_b = r->args[a].value2;
		}
		int rc = seccomp_rule_add_array(ctx, r->action, nr, r->n_args, cmp);
		if (rc < 0 && rc != -EEXIST) {
			seccomp_release(ctx);
			return hvc_err(err, -rc, "seccomp rule for \"%s\"", r->name);
		}
	}
	*out = ctx;
	return 0;
}

void hvc_sc_ctx_free(void *ctx)
{
	if (ctx)
		seccomp_release(ctx);
}

int hvc_sc_for_spec(const struct hvc_ctr_spec *s, void **ctx, struct hvc_error *err)
{
	*ctx = NULL;
	struct hvc_sc_profile p;
	if (s->seccomp == HVC_CTR_SECCOMP_UNCONFINED)
		return 0;
	if (s->seccomp == HVC_CTR_SECCOMP_FILE) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (hvc_read_file(s->seccomp_file, &buf, &len, err) < 0)
			return hvc_error_prefix(err, "seccomp profile");
		if (hvc_sc_profile_parse_json(buf, len, &p, err) < 0)
			return hvc_error_prefix(err, "`%s`", s->seccomp_file);
	} else if (hvc_sc_profile_default(s->caps, &p, err) < 0) {
		return -1;
	}
	int r = hvc_sc_profile_compile(&p, ctx, err);
	hvc_sc_profile_free(&p);
	return r;
}

/* ---------- compiled filters, cached ------------------------------------
 * Building ~350 rules and generating BPF costs a millisecond or more per
 * start; the result depends only on the profile, so it is kept under
 * $HVC_ROOT/cache/seccomp/<key>.bpf and loaded with one seccomp(2) call.
 * The key covers the profile (default + cap set, or the file's bytes), the
 * libseccomp version and this build. */
#define SC_CACHE_FORMAT 2 /* 2: binary-tree filters */

static uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h;
}

/* The cache file for a profile: its source (the default profile and the
 * capability set, or a JSON file's bytes), the format, libseccomp's version
 * and this build. */
static char *cache_path(const char *file, size_t flen, uint64_t caps)
{
	uint64_t h = 14695981039346656037ull;
	const struct scmp_version *v = seccomp_version();
	unsigned hdr[4] = { SC_CACHE_FORMAT, v->major, v->minor, v->micro };
	h = fnv64(h, hdr, sizeof(hdr));
#ifdef HVC_VERSION
	h = fnv64(h, HVC_VERSION, strlen(HVC_VERSION));
#endif
	if (file) {
		h = fnv64(h, "file", 4);
		h = fnv64(h, file, flen);
	} else {
		h = fnv64(h, "default", 7);
		h = fnv64(h, &caps, sizeof(caps));
	}
	return hvc_strdup_printf("%s/cache/seccomp/%016llx.bpf", hvc_root(), (unsigned long long)h);
}

static bool cache_read(const char *path, struct hvc_sc_bpf *out)
{
	char *buf = NULL;
	size_t len = 0;
	if (hvc_read_file(path, &buf, &len, NULL) == 0 && len > 0 && len % 8 == 0 && len / 8 <= 65535) {
		out->filter = buf;
		out->len = (unsigned short)(len / 8);
		return true;
	}
	free(buf);
	return false;
}

/* Best effort: a filter that cannot be kept is compiled again next time. */
static void cache_write(const char *path, const struct hvc_sc_bpf *b)
{
	_cleanup_free_ char *dir = hvc_strdup_printf("%s/cache/seccomp", hvc_root());
	_cleanup_free_ char *tmp = hvc_strdup_printf("%s.%d.tmp", path, (int)getpid());
	if (hvc_mkdir_p(dir, 0700, NULL) == 0 && hvc_write_file(tmp, b->filter, (size_t)b->len * 8, 0600, NULL) == 0 &&
	    rename(tmp, path) < 0)
		unlink(tmp);
}

/* Compiles p and exports its BPF through a memfd into out. */
static int compile_bpf(const struct hvc_sc_profile *p, struct hvc_sc_bpf *out, struct hvc_error *err)
{
	void *ctx = NULL;
	int r = hvc_sc_profile_compile(p, &ctx, err);
	if (r < 0)
		return r;
	int mfd = memfd_create("hvc-seccomp", MFD_CLOEXEC);
	if (mfd < 0 || (r = seccomp_export_bpf(ctx, mfd)) < 0) {
		int e = mfd < 0 ? errno : -r;
		if (mfd >= 0)
			close(mfd);
		seccomp_release(ctx);
		return hvc_err(err, e, "export seccomp filter");
	}
	seccomp_release(ctx);
	off_t end = lseek(mfd, 0, SEEK_END);
	char *buf = malloc(end > 0 ? (size_t)end : 1);
	if (!buf || end <= 0 || end % 8 || pread(mfd, buf, (size_t)end, 0) != end) {
		close(mfd);
		free(buf);
		return hvc_err(err, EIO, "read back the seccomp filter");
	}
	close(mfd);
	out->filter = buf;
	out->len = (unsigned short)(end / 8);
	return 0;
}

/* The filter of a JSON profile (file, flen: the bytes of file_name) or of
 * the default profile for caps (file NULL): from the cache, else compiled
 * and cached. */
static int bpf_cached(const char *file, size_t flen, const char *file_name, uint64_t caps, struct hvc_sc_bpf *out,
		      struct hvc_error *err)
{
	_cleanup_free_ char *path = cache_path(file, flen, caps);
	if (cache_read(path, out))
		return 0;
	struct hvc_sc_profile p;
	if (file ? hvc_sc_profile_parse_json(file, flen, &p, err) < 0 : hvc_sc_profile_default(caps, &p, err) < 0)
		return file ? hvc_error_prefix(err, "`%s`", file_name) : -1;
	int r = compile_bpf(&p, out, err);
	hvc_sc_profile_free(&p);
	if (r < 0)
		return r;
	cache_write(path, out);
	return 0;
}

int hvc_sc_bpf_for_spec(const struct hvc_ctr_spec *s, struct hvc_sc_bpf *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	if (s->seccomp == HVC_CTR_SECCOMP_UNCONFINED)
		return 0;
	if (s->seccomp != HVC_CTR_SECCOMP_FILE)
		return bpf_cached(NULL, 0, NULL, s->caps, out, err);
	_cleanup_free_ char *file = NULL;
	size_t flen = 0;
	if (hvc_read_file(s->seccomp_file, &file, &flen, err) < 0)
		return hvc_error_prefix(err, "seccomp profile");
	return bpf_cached(file, flen, s->seccomp_file, s->caps, out, err);
}

int hvc_sc_bpf_default(uint64_t caps, struct hvc_sc_bpf *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	return bpf_cached(NULL, 0, NULL, caps, out, err);
}

int hvc_sc_bpf_load(const struct hvc_sc_bpf *b)
{
	if (!b->filter)
		return 0;
	struct sock_fprog prog = { .len = b->len, .filter = b->filter };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}

void hvc_sc_bpf_free(struct hvc_sc_bpf *b)
{
	free(b->filter);
	b->filter = NULL;
	b->len = 0;
}
