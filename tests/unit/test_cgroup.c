/* engine/cgroup: every back-end (v2, v1, hybrid) against fake sysfs trees —
 * the exact files and values a create writes, parent preparation, limits the
 * host cannot enforce, attach/open/destroy, stats parsing, stale reclaim —
 * and, when run as root on a host with cgroups, the real thing: memory and
 * pids limits enforced by the kernel, stats read back, nothing left behind.
 *
 * Fake trees need the kernel's one piece of magic: mkdir in cgroupfs makes
 * the control files. This binary wraps mkdir(2)/rmdir(2) (the executable's
 * definitions win over libc's for libhvc.a's calls) and, below the fake
 * root only, creates the files a kernel would, and removes them on rmdir. */
#include "../../engine/cgroup/cgroup_internal.h" /* the BPF device compiler */
#include "check_main.h"
#include "hvc/cgroup.h"
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[256];
static char root[300]; /* the fake /sys/fs/cgroup */

/* ---------- the fake kernel -------------------------------------------- */

static bool under_fake(const char *path)
{
	size_t n = strlen(root);
	return n && !strncmp(path, root, n) && path[n] == '/';
}

static void fput(const char *dir, const char *file, const char *text)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, text, strlen(text));
		(void)w;
		close(fd);
	}
}

static bool fexists(const char *dir, const char *file)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

static void fget(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

static bool has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = list; (p = strstr(p, tok)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/* Files a kernel creates in a new cgroup of the hierarchy at hier. */
static void fake_populate(const char *dir)
{
	char hier[1024], parent[1024];
	const char *rel = dir + strlen(root) + 1;
	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = '\0';
	fput(dir, "cgroup.procs", "");
	if (fexists(root, "cgroup.controllers")) {
		snprintf(hier, sizeof(hier), "%s", root); /* v2 at the root */
	} else {
		const char *slash = strchr(rel, '/');
		snprintf(hier, sizeof(hier), "%s/%.*s", root, (int)(slash - rel), rel);
	}
	const char *ctrl = strrchr(hier, '/') + 1;
	if (fexists(hier, "cgroup.controllers")) { /* a cgroup2 tree */
		char sub[256];
		char path[1024];
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent);
		fget(path, sub, sizeof(sub));
		fput(dir, "cgroup.subtree_control", "");
		fput(dir, "cgroup.kill", "");
		fput(dir, "cgroup.freeze", "0\n");
		fput(dir, "cgroup.controllers", "");
		fput(dir, "cpu.stat", "usage_usec 0\n"); /* core file, no controller needed */
		if (has_token(sub, "+memory")) {
			fput(dir, "memory.max", "max\n");
			if (!fexists(hier, "fake.noswap"))
				fput(dir, "memory.swap.max", "max\n");
			fput(dir, "memory.current", "0\n");
			fput(dir, "memory.stat", "anon 0\nfile 0\ninactive_file 0\n");
			fput(dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
		}
		if (has_token(sub, "+cpu")) {
			fput(dir, "cpu.max", "max 100000\n");
		}
		if (has_token(sub, "+cpuset")) {
			fput(dir, "cpuset.cpus", "");
			fput(dir, "cpuset.mems", "");
		}
		if (has_token(sub, "+pids")) {
			fput(dir, "pids.max", "max\n");
			fput(dir, "pids.current", "0\n");
		}
		return;
	}
	fput(dir, "tasks", "");
	fput(dir, "cgroup.clone_children", "0\n");
	if (!strcmp(ctrl, "memory")) {
		fput(dir, "memory.limit_in_bytes", "9223372036854771712\n");
		if (fexists(hier, "memory.memsw.limit_in_bytes"))
			fput(dir, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
		fput(dir, "memory.usage_in_bytes", "0\n");
		fput(dir, "memory.max_usage_in_bytes", "0\n");
		fput(dir, "memory.stat", "cache 0\nrss 0\ninactive_file 0\n");
		fput(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	} else if (!strcmp(ctrl, "cpu")) {
		fput(dir, "cpu.cfs_period_us", "100000\n");
		fput(dir, "cpu.cfs_quota_us", "-1\n");
	} else if (!strcmp(ctrl, "cpuacct")) {
		fput(dir, "cpuacct.usage", "0\n");
	} else if (!strcmp(ctrl, "cpuset")) {
		fput(dir, "cpuset.cpus", "\n");
		fput(dir, "cpuset.mems", "\n");
	} else if (!strcmp(ctrl, "pids")) {
		fput(dir, "pids.max", "max\n");
		fput(dir, "pids.current", "0\n");
	} else if (!strcmp(ctrl, "freezer")) {
		fput(dir, "freezer.state", "THAWED\n");
	} else if (!strcmp(ctrl, "devices")) {
		fput(dir, "devices.allow", "");
		fput(dir, "devices.deny", "");
	}
}

int mkdir(const char *path, mode_t mode)
{
	int r = (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);
	if (r == 0 && under_fake(path))
		fake_populate(path);
	return r;
}

int rmdir(const char *path)
{
	if (under_fake(path)) {
		DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (de->d_type == DT_DIR && de->d_name[0] != '.') {
				closedir(d); /* cgroupfs refuses with EBUSY, not ENOTEMPTY */
				errno = EBUSY;
				return -1;
			}
		if (d)
			rewinddir(d);
		while (d && (de = readdir(d)))
			if (de->d_type != DT_DIR)
				unlinkat(dirfd(d), de->d_name, 0);
		if (d)
			closedir(d);
	}
	return (int)syscall(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR);
}

/* ---------- fake hosts --------------------------------------------------- */

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/hvc-cgroup.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/cgroup", tmp);
	ck_assert_int_eq(syscall(SYS_mkdirat, AT_FDCWD, root, 0755), 0);
}

static void teardown(void)
{
	struct hvc_error err = {0};
	root[0] = '\0'; /* plain rmdir again */
	hvc_rm_rf(tmp, &err);
}

static void fake_dir(const char *rel)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	ck_assert_int_eq(syscall(SYS_mkdirat, AT_FDCWD, p, 0755), 0);
	fput(p, "cgroup.procs", "");
}

static void fake_file(const char *rel, const char *text)
{
	fput(root, rel, text);
}

static const char *rd(const char *rel)
{
	static char buf[4][512];
	static int k;
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	char *b = buf[k++ % 4];
	fget(p, b, sizeof(buf[0]));
	if (!access(p, F_OK))
		return b;
	return "(absent)";
}

static bool present(const char *rel)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return access(p, F_OK) == 0;
}

static char *mountinfo_for(bool v1, bool v2_root, bool unified, const char *omit)
{
	static const char *ctrls[] = {"cpu", "cpuacct", "cpuset", "memory", "freezer", "pids"};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fprintf(f, "31 23 0:28 / %s rw,relatime - %s\n", root,
		v2_root ? "cgroup2 cgroup2 rw" : "tmpfs tmpfs rw,mode=755");
	for (size_t i = 0; v1 && i < sizeof(ctrls) / sizeof(ctrls[0]); i++)
		if (!omit || strcmp(omit, ctrls[i]))
			fprintf(f, "%zu 31 0:%zu / %s/%s rw,relatime - cgroup cgroup rw,%s\n",
				32 + i, 29 + i, root, ctrls[i], ctrls[i]);
	if (unified)
		fprintf(f, "41 31 0:38 / %s/unified rw,relatime - cgroup2 cgroup2 rw\n", root);
	fclose(f);
	return buf;
}

/* v1 hierarchies as on this development machine (cpu and cpuacct apart). */
static void fake_v1_tree(bool swap, const char *omit)
{
	static const char *ctrls[] = {"cpu", "cpuacct", "cpuset", "memory", "freezer", "pids"};
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++)
		if (!omit || strcmp(omit, ctrls[i]))
			fake_dir(ctrls[i]);
	if (!omit || strcmp(omit, "cpuset")) {
		fake_file("cpuset/cpuset.cpus", "0-3\n");
		fake_file("cpuset/cpuset.mems", "0\n");
	}
	if (swap)
		fake_file("memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
}

static void host_v1(struct hvc_cgroup_host *h, bool swap, const char *omit)
{
	fake_v1_tree(swap, omit);
	_cleanup_free_ char *mi = mountinfo_for(true, false, false, omit);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, h, &err), 0);
	ck_assert_int_eq(h->mode, HVC_CGROUP_V1);
}

static void host_hybrid(struct hvc_cgroup_host *h)
{
	fake_v1_tree(true, NULL);
	fake_dir("unified");
	fake_file("unified/cgroup.controllers", "hugetlb\n");
	_cleanup_free_ char *mi = mountinfo_for(true, false, true, NULL);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, h, &err), 0);
	ck_assert_int_eq(h->mode, HVC_CGROUP_HYBRID);
}

static void host_v2(struct hvc_cgroup_host *h, bool swap)
{
	fake_file("cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	fake_file("cgroup.subtree_control", "");
	fake_file("cgroup.procs", "");
	if (!swap)
		fake_file("fake.noswap", "");
	_cleanup_free_ char *mi = mountinfo_for(false, true, false, NULL);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, h, &err), 0);
	ck_assert_int_eq(h->mode, HVC_CGROUP_V2);
}

static struct hvc_cgroup_limits all_limits(void)
{
	struct hvc_cgroup_limits l = {.memory_max = 32 << 20, .swap_off = true, .pids_max = 64};
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_limits_set_cpus(&l, "1.5", &err), 0);
	snprintf(l.cpuset_cpus, sizeof(l.cpuset_cpus), "0-1");
	return l;
}

static char *plan_text(const struct hvc_cgroup_host *h, const char *name,
		       const struct hvc_cgroup_limits *l)
{
	struct hvc_cgroup_plan plan;
	struct hvc_error err = {0};
	int r = hvc_cgroup_plan_create(h, name, l, &plan, &err);
	ck_assert_msg(r == 0, "plan: %s", err.msg);
	return hvc_cgroup_plan_format(&plan, h->root);
}

/* ---------- plans: exactly which files get which values ----------------- */

START_TEST(plan_v2_files)
{
	struct hvc_cgroup_host h;
	host_v2(&h, true);
	struct hvc_cgroup_limits l = all_limits();
	_cleanup_free_ char *t = plan_text(&h, "hvc/c1", &l);
	ck_assert_str_eq(t, "mkdir hvc/c1\n"
			    "write hvc/c1/memory.max 33554432\n"
			    "write hvc/c1/memory.swap.max 0\n"
			    "write hvc/c1/cpu.max 150000 100000\n"
			    "write hvc/c1/cpuset.cpus 0-1\n"
			    "write hvc/c1/pids.max 64\n");
	struct hvc_cgroup_limits none = {0};
	_cleanup_free_ char *t2 = plan_text(&h, "hvc/c2", &none);
	ck_assert_str_eq(t2, "mkdir hvc/c2\n");
}
END_TEST

START_TEST(plan_v1_files)
{
	struct hvc_cgroup_host h;
	host_v1(&h, true, NULL);
	struct hvc_cgroup_limits l = all_limits();
	_cleanup_free_ char *t = plan_text(&h, "hvc/c1", &l);
	ck_assert_str_eq(t, "mkdir memory/hvc/c1\n"
			    "mkdir cpu/hvc/c1\n"
			    "mkdir cpuacct/hvc/c1\n"
			    "mkdir cpuset/hvc/c1\n"
			    "mkdir pids/hvc/c1\n"
			    "mkdir freezer/hvc/c1\n"
			    "write memory/hvc/c1/memory.limit_in_bytes 33554432\n"
			    "write memory/hvc/c1/memory.memsw.limit_in_bytes 33554432\n"
			    "write cpu/hvc/c1/cpu.cfs_period_us 100000\n"
			    "write cpu/hvc/c1/cpu.cfs_quota_us 150000\n"
			    "write cpuset/hvc/c1/cpuset.cpus 0-1\n"
			    "copy cpuset/hvc/c1/cpuset.mems\n"
			    "write pids/hvc/c1/pids.max 64\n");
	/* no limits: only what stats and kill need, no cpu or cpuset directory */
	struct hvc_cgroup_limits none = {0};
	_cleanup_free_ char *t2 = plan_text(&h, "hvc/c2", &none);
	ck_assert_str_eq(t2, "mkdir memory/hvc/c2\n"
			     "mkdir cpuacct/hvc/c2\n"
			     "mkdir pids/hvc/c2\n"
			     "mkdir freezer/hvc/c2\n");
}
END_TEST

START_TEST(plan_v1_comounted_cpu_cpuacct)
{
	/* Debian/systemd: cpu,cpuacct is one hierarchy with two symlinks */
	fake_dir("cpu,cpuacct");
	char a[1024], b[1024];
	snprintf(a, sizeof(a), "%s/cpu", root);
	snprintf(b, sizeof(b), "%s/cpuacct", root);
	ck_assert_int_eq(symlink("cpu,cpuacct", a), 0);
	ck_assert_int_eq(symlink("cpu,cpuacct", b), 0);
	fake_dir("memory");
	struct hvc_cgroup_host h = {.mode = HVC_CGROUP_V1, .usable = HVC_CG_CPU | HVC_CG_MEMORY};
	snprintf(h.root, sizeof(h.root), "%s", root);
	struct hvc_cgroup_limits l = {.cpu_quota_us = 50000};
	_cleanup_free_ char *t = plan_text(&h, "hvc/c1", &l);
	ck_assert_str_eq(t, "mkdir memory/hvc/c1\n"
			    "mkdir cpu/hvc/c1\n"
			    "write cpu/hvc/c1/cpu.cfs_period_us 100000\n"
			    "write cpu/hvc/c1/cpu.cfs_quota_us 50000\n");
}
END_TEST

static const char *const dev_allow[] = {"c 1:3 rwm", "c 136:* rwm", NULL};

START_TEST(plan_devices_v1_and_v2)
{
	struct hvc_cgroup_host h;
	host_v1(&h, true, NULL);
	fake_dir("devices");
	struct hvc_cgroup_limits l = {.devices_allow = dev_allow};
	_cleanup_free_ char *t = plan_text(&h, "hvc/c1", &l);
	ck_assert_str_eq(t, "mkdir memory/hvc/c1\n"
			    "mkdir cpuacct/hvc/c1\n"
			    "mkdir pids/hvc/c1\n"
			    "mkdir devices/hvc/c1\n"
			    "mkdir freezer/hvc/c1\n"
			    "write devices/hvc/c1/devices.deny a\n"
			    "write devices/hvc/c1/devices.allow c 1:3 rwm\n"
			    "write devices/hvc/c1/devices.allow c 136:* rwm\n");
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err), 0);
	ck_assert_str_eq(hvc_cgroup_dir_for_controller(cg, "devices"), hvc_cgroup_dir(cg, 3));
	ck_assert_ptr_null(hvc_cgroup_dir_for_controller(cg, "cpu"));
	ck_assert_ptr_null(hvc_cgroup_dir_for_controller(cg, "unified"));
	ck_assert_ptr_null(hvc_cgroup_dir_for_controller(cg, "bogus"));
	ck_assert_ptr_nonnull(
	    strstr(hvc_cgroup_dir_for_controller(cg, "memory"), "/memory/hvc/c1"));
	ck_assert_str_eq(rd("devices/hvc/c1/devices.allow"), "c 136:* rwm"); /* the last write */
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
}
END_TEST

START_TEST(devices_without_hierarchy)
{
	struct hvc_cgroup_host h;
	host_v1(&h, true, NULL); /* no devices hierarchy in this fake */
	struct hvc_cgroup_limits l = {.devices_allow = dev_allow};
	struct hvc_cgroup_plan plan;
	struct hvc_error err = {0};
	ck_assert_int_lt(hvc_cgroup_plan_create(&h, "hvc/c1", &l, &plan, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "device policy: this host cannot enforce it"));
	/* v2: a BPF device program on the cgroup's directory */
	struct hvc_cgroup_host h2;
	host_v2(&h2, true);
	_cleanup_free_ char *t = plan_text(&h2, "hvc/c1", &l);
	ck_assert_str_eq(t, "mkdir hvc/c1\n"
			    "bpf-devices hvc/c1 2 rules\n");
	struct hvc_cgroup_limits none = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	ck_assert_int_eq(hvc_cgroup_create(&h2, "hvc/c1", &none, &cg, &err), 0);
	ck_assert_str_eq(hvc_cgroup_dir_for_controller(cg, "memory"), hvc_cgroup_dir(cg, 0));
	ck_assert_str_eq(hvc_cgroup_dir_for_controller(cg, "unified"), hvc_cgroup_dir(cg, 0));
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	/* bad rules are refused before anything is created */
	static const char *const bad[] = {"c 1:3 rwx", NULL};
	struct hvc_cgroup_limits lb = {.devices_allow = bad};
	struct hvc_cgroup_plan p2;
	ck_assert_int_lt(hvc_cgroup_plan_create(&h2, "hvc/c1", &lb, &p2, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "device policy: invalid rule \"c 1:3 rwx\""));
}
END_TEST

START_TEST(bpf_device_program)
{
	struct hvc_error err = {0};
	struct bpf_insn *insns = NULL;
	size_t n = 0;
	static const char *const rules[] = {"c 1:3 rw", "c 136:* rwm", "a", NULL};
	ck_assert_int_eq(hvc_cgroup_bpf_devices_compile(rules, &insns, &n, &err), 0);
	/* prologue 6; rule 1: type, access (3), major, minor, mov, exit = 8;
	 * rule 2: type, major, mov, exit = 4; rule 3: mov, exit = 2; epilogue 2 */
	ck_assert_uint_eq(n, 6 + 8 + 4 + 2 + 2);
	/* rule 1's first jump skips the other 7 of its block */
	ck_assert_int_eq(insns[6].code, BPF_JMP | BPF_JNE | BPF_K);
	ck_assert_int_eq(insns[6].imm, BPF_DEVCG_DEV_CHAR);
	ck_assert_int_eq(insns[6].off, 7);
	ck_assert_int_eq(insns[8].imm, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE);
	ck_assert_int_eq(insns[9].off, 4);
	ck_assert_int_eq(insns[10].imm, 1); /* major */
	ck_assert_int_eq(insns[10].off, 3);
	ck_assert_int_eq(insns[11].imm, 3); /* minor */
	ck_assert_int_eq(insns[11].off, 2);
	ck_assert_int_eq(insns[12].imm, 1); /* allow */
	ck_assert_int_eq(insns[13].code, BPF_JMP | BPF_EXIT);
	ck_assert_int_eq(insns[15].imm, 136);
	ck_assert_int_eq(insns[n - 2].imm, 0); /* default deny */
	free(insns);
	const char *bad[] = {"x 1:3 rwm", "c 1 rwm", "c 1:3 rr",   "c 1:3 ",
			     "c a:3",	  "",	     "c 1:3 rwm x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *one[] = {bad[i], NULL};
		ck_assert_int_lt(hvc_cgroup_bpf_devices_compile(one, &insns, &n, &err), 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "invalid rule"));
	}
}
END_TEST

START_TEST(plan_hybrid_files)
{
	struct hvc_cgroup_host h;
	host_hybrid(&h);
	struct hvc_cgroup_limits l = {.memory_max = 1 << 20, .swap_off = true, .pids_max = 8};
	_cleanup_free_ char *t = plan_text(&h, "hvc/c1", &l);
	/* v1 files; no freezer (cgroup.kill in the cgroup2 tree does that) and
	 * no cpuacct (the cgroup2 tree's cpu.stat has the usage) */
	ck_assert_str_eq(t, "mkdir memory/hvc/c1\n"
			    "mkdir pids/hvc/c1\n"
			    "mkdir unified/hvc/c1\n"
			    "write memory/hvc/c1/memory.limit_in_bytes 1048576\n"
			    "write memory/hvc/c1/memory.memsw.limit_in_bytes 1048576\n"
			    "write pids/hvc/c1/pids.max 8\n");
}
END_TEST

/* ---------- create on fake trees: the files end up with the values ------ */

START_TEST(create_v2_prepares_parent_and_writes)
{
	struct hvc_cgroup_host h;
	host_v2(&h, true);
	struct hvc_cgroup_limits l = all_limits();
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	ck_assert_str_eq(rd("cgroup.subtree_control"), "+cpu +cpuset +memory +pids +io");
	ck_assert_str_eq(rd("hvc/cgroup.subtree_control"), "+cpu +cpuset +memory +pids +io");
	ck_assert_str_eq(rd("hvc/c1/memory.max"), "33554432");
	ck_assert_str_eq(rd("hvc/c1/memory.swap.max"), "0");
	ck_assert_str_eq(rd("hvc/c1/cpu.max"), "150000 100000");
	ck_assert_str_eq(rd("hvc/c1/cpuset.cpus"), "0-1");
	ck_assert_str_eq(rd("hvc/c1/cpuset.mems"), ""); /* v2 inherits when empty */
	ck_assert_str_eq(rd("hvc/c1/pids.max"), "64");
	ck_assert_uint_eq(hvc_cgroup_n_dirs(cg), 1);
	ck_assert_int_eq(hvc_cgroup_attach(cg, 4242, &err), 0);
	ck_assert_str_eq(rd("hvc/c1/cgroup.procs"), "4242");
	int fd = hvc_cgroup_open_v2_dirfd(cg, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* a second container: the parent exists, nothing is re-prepared */
	fake_file("hvc/cgroup.subtree_control", "+memory +pids");
	_cleanup_cgroup_ struct hvc_cgroup *cg2 = NULL;
	struct hvc_cgroup_limits l2 = {.pids_max = 5};
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/c2", &l2, &cg2, &err), 0);
	ck_assert_str_eq(rd("hvc/cgroup.subtree_control"), "+memory +pids");
	ck_assert_str_eq(rd("hvc/c2/pids.max"), "5");
	ck_assert_int_eq(hvc_cgroup_destroy(cg2, &err), 0);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	ck_assert(!present("hvc/c1") && !present("hvc/c2"));
	ck_assert(present("hvc"));
}
END_TEST

START_TEST(create_v1_writes_and_cpuset_inherits)
{
	struct hvc_cgroup_host h;
	host_v1(&h, true, NULL);
	struct hvc_cgroup_limits l = all_limits();
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	ck_assert_str_eq(rd("memory/hvc/c1/memory.limit_in_bytes"), "33554432");
	ck_assert_str_eq(rd("memory/hvc/c1/memory.memsw.limit_in_bytes"), "33554432");
	ck_assert_str_eq(rd("cpu/hvc/c1/cpu.cfs_period_us"), "100000");
	ck_assert_str_eq(rd("cpu/hvc/c1/cpu.cfs_quota_us"), "150000");
	/* the parent got the root's lists when created; the child the parent's mems */
	ck_assert_str_eq(rd("cpuset/hvc/cpuset.cpus"), "0-3");
	ck_assert_str_eq(rd("cpuset/hvc/cpuset.mems"), "0");
	ck_assert_str_eq(rd("cpuset/hvc/c1/cpuset.cpus"), "0-1");
	ck_assert_str_eq(rd("cpuset/hvc/c1/cpuset.mems"), "0");
	ck_assert_str_eq(rd("pids/hvc/c1/pids.max"), "64");
	ck_assert_uint_eq(hvc_cgroup_n_dirs(cg), 6);
	ck_assert_int_eq(hvc_cgroup_attach(cg, 4242, &err), 0);
	for (size_t i = 0; i < hvc_cgroup_n_dirs(cg); i++) {
		char p[1024], v[64];
		snprintf(p, sizeof(p), "%s/cgroup.procs", hvc_cgroup_dir(cg, i));
		fget(p, v, sizeof(v));
		ck_assert_str_eq(v, "4242");
	}
	ck_assert_int_lt(hvc_cgroup_open_v2_dirfd(cg, &err), 0);
	/* fds for a forked child: it writes "0" (itself) */
	int fds[HVC_CGROUP_MAX_DIRS];
	size_t n;
	fake_file("pids/hvc/c1/cgroup.procs", "");
	ck_assert_int_eq(hvc_cgroup_open_procs_fds(cg, fds, &n, &err), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(hvc_cgroup_enter_fds(fds, n), 0);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	ck_assert_str_eq(rd("pids/hvc/c1/cgroup.procs"), "0");
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	ck_assert(!present("memory/hvc/c1") && !present("cpuset/hvc/c1") &&
		  !present("freezer/hvc/c1"));
}
END_TEST

START_TEST(create_hybrid_places_in_cgroup2_too)
{
	struct hvc_cgroup_host h;
	host_hybrid(&h);
	struct hvc_cgroup_limits l = {.memory_max = 64 << 20, .swap_off = true};
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	ck_assert_str_eq(rd("memory/hvc/c1/memory.limit_in_bytes"), "67108864");
	ck_assert_str_eq(rd("unified/cgroup.subtree_control"), "(absent)"); /* untouched */
	ck_assert_int_eq(hvc_cgroup_attach(cg, 77, &err), 0);
	ck_assert_str_eq(rd("unified/hvc/c1/cgroup.procs"), "77");
	ck_assert_str_eq(rd("memory/hvc/c1/cgroup.procs"), "77");
	int fd = hvc_cgroup_open_v2_dirfd(cg, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* kill: one write to cgroup.kill (the fake has no processes left) */
	fake_file("unified/hvc/c1/cgroup.procs", "");
	ck_assert_int_eq(hvc_cgroup_kill_all(cg, &err), 0);
	ck_assert_str_eq(rd("unified/hvc/c1/cgroup.kill"), "1");
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	ck_assert(!present("unified/hvc/c1") && !present("memory/hvc/c1"));
}
END_TEST

/* ---------- limits the host cannot enforce, bad input ------------------- */

START_TEST(swap_accounting_absent_v1)
{
	struct hvc_cgroup_host h;
	host_v1(&h, false, NULL);
	struct hvc_cgroup_limits l = {.memory_max = 32 << 20, .swap_off = true};
	struct hvc_error err = {0};
	struct hvc_cgroup *cg = NULL;
	ck_assert_int_lt(hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err), 0);
	ck_assert_ptr_null(cg);
	ck_assert_ptr_nonnull(
	    strstr(err.msg, "memory limit with swap off: this host cannot enforce it"));
	ck_assert_ptr_nonnull(strstr(err.msg, "memory.memsw.limit_in_bytes"));
	ck_assert_ptr_nonnull(strstr(err.msg, "swapaccount=1"));
	ck_assert(!present("memory/hvc/c1") && !present("pids/hvc/c1"));
	/* without swap_off the same limit works */
	l.swap_off = false;
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err), 0);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	hvc_cgroup_free(cg);
}
END_TEST

START_TEST(swap_accounting_absent_v2)
{
	struct hvc_cgroup_host h;
	host_v2(&h, false);
	struct hvc_cgroup_limits l = {.memory_max = 32 << 20, .swap_off = true};
	struct hvc_error err = {0};
	struct hvc_cgroup *cg = NULL;
	ck_assert_int_lt(hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "memory.swap.max` is absent"));
	ck_assert(!present("hvc/c1"));
}
END_TEST

START_TEST(controller_not_usable)
{
	struct hvc_cgroup_host h;
	host_v1(&h, true, "pids");
	struct hvc_cgroup_limits l = {.pids_max = 10};
	struct hvc_error err = {0};
	struct hvc_cgroup *cg = NULL;
	ck_assert_int_lt(hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err), 0);
	ck_assert_int_eq(err.code, EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(
	    err.msg,
	    "pids limit (--pids-limit): this host cannot enforce it: no cgroup v1 pids hierarchy"));
	ck_assert(!present("memory/hvc"));
	/* v2 without the cpu controller */
	struct hvc_cgroup_host h2 = {
	    .mode = HVC_CGROUP_V2, .usable = HVC_CG_MEMORY, .v2_controllers = HVC_CG_MEMORY};
	snprintf(h2.root, sizeof(h2.root), "/sys/fs/cgroup");
	snprintf(h2.unified, sizeof(h2.unified), "/sys/fs/cgroup");
	struct hvc_cgroup_limits l2 = {.cpu_quota_us = 50000};
	struct hvc_cgroup_plan plan;
	ck_assert_int_lt(hvc_cgroup_plan_create(&h2, "hvc/x", &l2, &plan, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "cpu limit (--cpus): this host cannot enforce it: "
					      "the cpu controller is not available"));
	struct hvc_cgroup_host none = {.mode = HVC_CGROUP_NONE};
	ck_assert_int_lt(hvc_cgroup_plan_create(&none, "hvc/x", NULL, &plan, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "none usable"));
}
END_TEST

START_TEST(bad_names_and_limits)
{
	struct hvc_cgroup_host h = {.mode = HVC_CGROUP_V2, .usable = HVC_CG_CPU | HVC_CG_CPUSET};
	snprintf(h.root, sizeof(h.root), "/sys/fs/cgroup");
	struct hvc_cgroup_plan plan;
	struct hvc_error err = {0};
	const char *bad[] = {"",       "/hvc/x",  "hvc/../x", "hvc//x",
			     "hvc/x/", "hvc/a b", "hvc/.",    "hvc/x\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_lt(hvc_cgroup_plan_create(&h, bad[i], NULL, &plan, &err), 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "invalid cgroup name"));
	}
	struct hvc_cgroup_limits l = {0};
	const char *cpus[] = {"0", "-1", "abc", "1x", "0.001", "", "nan"};
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		ck_assert_int_lt(hvc_cgroup_limits_set_cpus(&l, cpus[i], &err), 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "--cpus"));
	}
	ck_assert_int_eq(hvc_cgroup_limits_set_cpus(&l, "0.5", &err), 0);
	ck_assert_uint_eq(l.cpu_quota_us, 50000);
	ck_assert_uint_eq(l.cpu_period_us, 100000);
	ck_assert_int_eq(hvc_cgroup_limits_set_cpus_n(&l, 2.0, &err), 0);
	ck_assert_uint_eq(l.cpu_quota_us, 200000);
	ck_assert_int_lt(hvc_cgroup_limits_set_cpus_n(&l, 0.0, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid --cpus \"0\""));
	const char *sets[] = {"0-", "a", "1,", "3-1", "0 1"};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct hvc_cgroup_limits c = {0};
		snprintf(c.cpuset_cpus, sizeof(c.cpuset_cpus), "%s", sets[i]);
		ck_assert_int_lt(hvc_cgroup_plan_create(&h, "hvc/x", &c, &plan, &err), 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "--cpuset-cpus"));
	}
	struct hvc_cgroup_limits q = {.cpu_quota_us = 500};
	ck_assert_int_lt(hvc_cgroup_limits_validate(&q, &err), 0);
	struct hvc_cgroup_limits m = {.memory_max = 100};
	ck_assert_int_lt(hvc_cgroup_limits_validate(&m, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "memory limit"));
}
END_TEST

START_TEST(kernel_refusal_names_value_and_file)
{
	/* the fake kernel accepts anything, so make the write itself fail:
	 * a directory where the control file should be */
	struct hvc_cgroup_host h;
	host_v2(&h, true);
	struct hvc_error err = {0};
	struct hvc_cgroup *cg = NULL;
	struct hvc_cgroup_limits none = {0};
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/c0", &none, &cg, &err), 0);
	hvc_cgroup_free(cg);
	cg = NULL;
	fake_dir("hvc/c1");
	char p[1024];
	snprintf(p, sizeof(p), "%s/hvc/c1/pids.max", root);
	ck_assert_int_eq(syscall(SYS_mkdirat, AT_FDCWD, p, 0755), 0);
	struct hvc_cgroup_limits l = {.pids_max = 3};
	ck_assert_int_lt(hvc_cgroup_create(&h, "hvc/c1", &l, &cg, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "pids limit (--pids-limit): write \"3\""));
	ck_assert_ptr_nonnull(strstr(err.msg, "Is a directory"));
}
END_TEST

/* ---------- open, list, reclaim ----------------------------------------- */

static bool live_c1(const char *name, void *ud)
{
	(void)ud;
	return !strcmp(name, "hvc/c1");
}

START_TEST(open_list_reclaim)
{
	struct hvc_cgroup_host h;
	host_hybrid(&h);
	struct hvc_error err = {0};
	struct hvc_cgroup_limits l = {.cpu_quota_us = 20000};
	for (int i = 1; i <= 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "hvc/c%d", i);
		_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
		ck_assert_int_eq(hvc_cgroup_create(&h, name, i == 2 ? &l : NULL, &cg, &err), 0);
	}
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	ck_assert_int_eq(hvc_cgroup_open(&h, "hvc/c2", &cg, &err), 0);
	/* memory, cpu (it had a cpu limit), pids, unified */
	ck_assert_uint_eq(hvc_cgroup_n_dirs(cg), 4);
	ck_assert_str_eq(hvc_cgroup_name(cg), "hvc/c2");
	_cleanup_cgroup_ struct hvc_cgroup *missing = NULL;
	ck_assert_int_eq(hvc_cgroup_open(&h, "hvc/nope", &missing, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "not found"));
	_cleanup_strv_ char **names = NULL;
	ck_assert_int_eq(hvc_cgroup_list(&h, "hvc", &names, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(names), 3);
	ck_assert_str_eq(names[0], "hvc/c1");
	ck_assert_str_eq(names[2], "hvc/c3");
	size_t removed = 0;
	ck_assert_int_eq(hvc_cgroup_reclaim(&h, "hvc", live_c1, NULL, &removed, &err), 0);
	ck_assert_uint_eq(removed, 2);
	ck_assert(present("memory/hvc/c1") && !present("memory/hvc/c2") && !present("cpu/hvc/c2") &&
		  !present("unified/hvc/c3"));
	ck_assert(present("memory/hvc")); /* still in use by c1 */
	ck_assert_int_eq(hvc_cgroup_reclaim(&h, "hvc", NULL, NULL, &removed, &err), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert(!present("memory/hvc") && !present("unified/hvc") && !present("cpu/hvc"));
	_cleanup_strv_ char **none = NULL;
	ck_assert_int_eq(hvc_cgroup_list(&h, "hvc", &none, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(none), 0);
}
END_TEST

START_TEST(destroy_removes_nested_children)
{
	struct hvc_cgroup_host h;
	host_v2(&h, true);
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/c1", NULL, &cg, &err), 0);
	char p[1024];
	snprintf(p, sizeof(p), "%s/hvc/c1/inner", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	ck_assert(!present("hvc/c1"));
	/* gone already: still success */
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
}
END_TEST

/* ---------- stats -------------------------------------------------------- */

START_TEST(parsers)
{
	uint64_t v;
	ck_assert_int_eq(hvc_cgroup_parse_u64("123\n", &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(hvc_cgroup_parse_u64("max\n", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_lt(hvc_cgroup_parse_u64("", &v), 0);
	ck_assert_int_lt(hvc_cgroup_parse_u64("-1", &v), 0);
	ck_assert_int_lt(hvc_cgroup_parse_u64("12x", &v), 0);
	const char *stat = "anon 100\nfile 200\ninactive_file 50\nactive_file 150\n";
	ck_assert_int_eq(hvc_cgroup_parse_keyed(stat, "file", &v), 0);
	ck_assert_uint_eq(v, 200);
	ck_assert_int_eq(hvc_cgroup_parse_keyed(stat, "inactive_file", &v), 0);
	ck_assert_uint_eq(v, 50);
	ck_assert_int_eq(hvc_cgroup_parse_keyed(stat, "active_file", &v), 0);
	ck_assert_uint_eq(v, 150);
	ck_assert_int_eq(hvc_cgroup_parse_keyed(stat, "fil", &v), -ENOENT);
	ck_assert_int_eq(hvc_cgroup_parse_keyed("", "x", &v), -ENOENT);
}
END_TEST

START_TEST(stats_v1_from_files)
{
	struct hvc_cgroup_host h;
	host_v1(&h, true, NULL);
	struct hvc_error err = {0};
	struct hvc_cgroup_limits l = {.memory_max = 1 << 30, .pids_max = 100};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/s", &l, &cg, &err), 0);
	fake_file("memory/hvc/s/memory.usage_in_bytes", "10485760\n");
	fake_file("memory/hvc/s/memory.max_usage_in_bytes", "20971520\n");
	fake_file("memory/hvc/s/memory.stat",
		  "cache 4096\nrss 8192\ninactive_file 100\ntotal_cache 40960\ntotal_rss 81920\n"
		  "total_inactive_file 1000\n");
	fake_file("memory/hvc/s/memory.oom_control",
		  "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	fake_file("cpuacct/hvc/s/cpuacct.usage", "123456789\n");
	fake_file("pids/hvc/s/pids.current", "7\n");
	struct hvc_cgroup_stats st;
	ck_assert_int_eq(hvc_cgroup_stats(cg, &st, &err), 0);
	ck_assert_uint_eq(st.have, HVC_CGS_MEM_CURRENT | HVC_CGS_MEM_PEAK | HVC_CGS_MEM_LIMIT |
				       HVC_CGS_MEM_STAT | HVC_CGS_CPU | HVC_CGS_PIDS | HVC_CGS_OOM);
	ck_assert_uint_eq(st.memory_current, 10485760);
	ck_assert_uint_eq(st.memory_peak, 20971520);
	ck_assert_uint_eq(st.memory_limit, 1 << 30);
	ck_assert_uint_eq(st.inactive_file, 1000); /* hierarchical totals preferred */
	ck_assert_uint_eq(st.file_cache, 40960);
	ck_assert_uint_eq(st.anon, 81920);
	ck_assert_uint_eq(st.oom_kills, 2);
	uint64_t kills = 0;
	ck_assert_int_eq(hvc_cgroup_oom_kills(cg, &kills), 0);
	ck_assert_uint_eq(kills, 2);
	ck_assert_uint_eq(st.cpu_usage_ns, 123456789);
	ck_assert_uint_eq(st.pids_current, 7);
	ck_assert_uint_eq(st.pids_limit, 100);
	/* v1's "unlimited" is a huge number: reported as none */
	fake_file("memory/hvc/s/memory.limit_in_bytes", "9223372036854771712\n");
	ck_assert_int_eq(hvc_cgroup_stats(cg, &st, &err), 0);
	ck_assert_uint_eq(st.memory_limit, UINT64_MAX);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	ck_assert_int_lt(hvc_cgroup_stats(cg, &st, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "no statistics"));
}
END_TEST

START_TEST(stats_hybrid_cpu_from_cgroup2)
{
	struct hvc_cgroup_host h;
	host_hybrid(&h);
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/s", NULL, &cg, &err), 0);
	fake_file("memory/hvc/s/memory.usage_in_bytes", "4096\n");
	fake_file("unified/hvc/s/cpu.stat", "usage_usec 2500\nuser_usec 2000\n");
	struct hvc_cgroup_stats st;
	ck_assert_int_eq(hvc_cgroup_stats(cg, &st, &err), 0);
	ck_assert(st.have & HVC_CGS_CPU);
	ck_assert_uint_eq(st.cpu_usage_ns, 2500000);
	ck_assert_uint_eq(st.memory_current, 4096);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
}
END_TEST

START_TEST(stats_v2_from_files)
{
	struct hvc_cgroup_host h;
	host_v2(&h, true);
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	ck_assert_int_eq(hvc_cgroup_create(&h, "hvc/s", NULL, &cg, &err), 0);
	fake_file("hvc/s/memory.current", "10485760\n");
	fake_file("hvc/s/memory.stat", "anon 8192\nfile 40960\nkernel 12\ninactive_file 1000\n");
	fake_file("hvc/s/memory.events", "low 0\nhigh 0\nmax 9\noom 3\noom_kill 1\n");
	fake_file("hvc/s/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
	fake_file("hvc/s/pids.current", "3\n");
	struct hvc_cgroup_stats st;
	ck_assert_int_eq(hvc_cgroup_stats(cg, &st, &err), 0);
	/* no memory.peak before 5.19: left out, not an error */
	ck_assert(!(st.have & HVC_CGS_MEM_PEAK));
	ck_assert_uint_eq(st.memory_current, 10485760);
	ck_assert_uint_eq(st.memory_limit, UINT64_MAX);
	ck_assert_uint_eq(st.inactive_file, 1000);
	ck_assert_uint_eq(st.file_cache, 40960);
	ck_assert_uint_eq(st.anon, 8192);
	ck_assert_uint_eq(st.oom_kills, 1);
	uint64_t kills = 0;
	ck_assert_int_eq(hvc_cgroup_oom_kills(cg, &kills), 0);
	ck_assert_uint_eq(kills, 1);
	ck_assert_uint_eq(st.cpu_usage_ns, 1500000);
	ck_assert_uint_eq(st.pids_current, 3);
	ck_assert_uint_eq(st.pids_limit, UINT64_MAX);
	_cleanup_json_ json_object *j = hvc_cgroup_stats_json(&st);
	ck_assert_str_eq(
	    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
	    "{\"memory_current\":10485760,\"memory_limit\":null,\"inactive_file\":1000,"
	    "\"file_cache\":40960,\"anon\":8192,\"working_set\":10484760,"
	    "\"cpu_usage_ns\":1500000,\"pids_current\":3,\"pids_limit\":null,"
	    "\"oom_kills\":1}");
	fake_file("hvc/s/memory.peak", "20971520\n");
	ck_assert_int_eq(hvc_cgroup_stats(cg, &st, &err), 0);
	ck_assert(st.have & HVC_CGS_MEM_PEAK);
	ck_assert_uint_eq(st.memory_peak, 20971520);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
}
END_TEST

/* ---------- the real host (root only) -----------------------------------
 * Each test gets its own cgroup name; the unchecked teardown (run in the
 * runner process, even when a test failed) kills and removes it. */

static char real_name[64];

static void real_setup(void)
{
	snprintf(real_name, sizeof(real_name), "hvc/unit-test-%d", (int)getpid());
}

static void real_cleanup(void)
{
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	if (geteuid() != 0 || hvc_cgroup_detect(NULL, NULL, &h, &err) < 0)
		return;
	for (int i = 0; i < 4; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%s-%d", real_name, i);
		_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
		if (hvc_cgroup_open(&h, name, &cg, &err) == 0) {
			hvc_cgroup_kill_all(cg, &err);
			hvc_cgroup_destroy(cg, &err);
		}
	}
}

/* The real host, or NULL with why it cannot serve this test (for HVC_SKIP). */
static const char *real_host(struct hvc_cgroup_host *h, unsigned need, char *why, size_t len)
{
	struct hvc_error err = {0};
	if (geteuid() != 0)
		return "real-host cgroup tests need root";
	if (hvc_cgroup_detect(NULL, NULL, h, &err) < 0 || h->mode == HVC_CGROUP_NONE ||
	    (h->usable & need) != need) {
		snprintf(why, len, "no usable cgroup controllers here (%s)", err.msg);
		return why;
	}
	return NULL;
}
#define REAL_HOST_OR_SKIP(h, need)                                                                 \
	do {                                                                                       \
		char why_[2400];                                                                   \
		const char *skip_ = real_host(h, need, why_, sizeof(why_));                        \
		if (skip_)                                                                         \
			HVC_SKIP("%s", skip_);                                                     \
	} while (0)

static void assert_gone(const struct hvc_cgroup_host *h, const char *name)
{
	char pat[512];
	glob_t g;
	snprintf(pat, sizeof(pat), "%s/*/%s", h->root, name);
	int r = glob(pat, 0, NULL, &g);
	ck_assert_msg(r == GLOB_NOMATCH, "left behind: %s", r == 0 ? g.gl_pathv[0] : pat);
	if (r == 0)
		globfree(&g);
	snprintf(pat, sizeof(pat), "%s/%s", h->root, name); /* v2 at the root */
	ck_assert_msg(access(pat, F_OK) < 0, "left behind: %s", pat);
}

/* In the child: join through the fds, then touch `mib` MiB. */
static void __attribute__((noreturn)) hog(const int *fds, size_t n, size_t mib)
{
	if (hvc_cgroup_enter_fds(fds, n) < 0)
		_exit(90);
	for (size_t i = 0; i < mib; i++) {
		char *p =
		    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(91);
		memset(p, 0x5a, 1 << 20);
	}
	_exit(0);
}

START_TEST(real_memory_limit_enforced)
{
	struct hvc_cgroup_host h;
	REAL_HOST_OR_SKIP(&h, HVC_CG_MEMORY);
	char name[80];
	snprintf(name, sizeof(name), "%s-0", real_name);
	struct hvc_error err = {0};
	struct hvc_cgroup_limits l = {.memory_max = 32 << 20, .swap_off = true};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&h, name, &l, &cg, &err);
	if (r == -EOPNOTSUPP) { /* no swap accounting: the limit alone */
		fprintf(stderr, "note: %s\n", err.msg);
		l.swap_off = false;
		r = hvc_cgroup_create(&h, name, &l, &cg, &err);
	}
	ck_assert_msg(r == 0, "%s", err.msg);
	int fds[HVC_CGROUP_MAX_DIRS];
	size_t n;
	ck_assert_int_eq(hvc_cgroup_open_procs_fds(cg, fds, &n, &err), 0);

	/* under the limit: runs to the end */
	pid_t small = fork();
	ck_assert_int_ge(small, 0);
	if (small == 0)
		hog(fds, n, 8);
	int status;
	ck_assert_int_eq(waitpid(small, &status, 0), small);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "8 MiB under 32 MiB: status %d", status);

	/* over it: the kernel's OOM killer ends it, the host is fine */
	pid_t big = fork();
	ck_assert_int_ge(big, 0);
	if (big == 0)
		hog(fds, n, 256);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	ck_assert_int_eq(waitpid(big, &status, 0), big);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "256 MiB over 32 MiB: expected SIGKILL, status %d", status);

	struct hvc_cgroup_stats st;
	ck_assert_int_eq(hvc_cgroup_stats(cg, &st, &err), 0);
	ck_assert(st.have & HVC_CGS_OOM);
	ck_assert_uint_ge(st.oom_kills, 1);
	ck_assert_uint_eq(st.memory_limit, 32 << 20);
	if (st.have & HVC_CGS_MEM_PEAK) {
		ck_assert_uint_ge(st.memory_peak, 8 << 20);
		ck_assert_uint_le(st.memory_peak, 32 << 20);
	}
	ck_assert(st.have & HVC_CGS_CPU);
	ck_assert_uint_gt(st.cpu_usage_ns, 0);

	ck_assert_int_eq(hvc_cgroup_kill_all(cg, &err), 0);
	ck_assert_msg(hvc_cgroup_destroy(cg, &err) == 0, "%s", err.msg);
	assert_gone(&h, name);
}
END_TEST

/* Run twice: as detected, then (on a hybrid host) as a plain v1 host, which
 * kills through the freezer instead of cgroup.kill. */
START_TEST(real_pids_limit_enforced)
{
	struct hvc_cgroup_host h;
	REAL_HOST_OR_SKIP(&h, HVC_CG_PIDS);
	if (_i == 1) {
		HVC_SKIP_IF(h.mode != HVC_CGROUP_HYBRID || !(h.usable & HVC_CG_FREEZER),
			    "the v1 variant needs a hybrid host with a freezer");
		h.mode = HVC_CGROUP_V1;
		h.unified[0] = '\0';
	}
	char name[80];
	snprintf(name, sizeof(name), "%s-1", real_name);
	struct hvc_error err = {0};
	struct hvc_cgroup_limits l = {.pids_max = 8};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&h, name, &l, &cg, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	int go[2], report[2];
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(report), 0);
	pid_t c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) { /* wait to be attached, then fork until refused */
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(90);
		int forked = 0;
		for (int i = 0; i < 50; i++) {
			pid_t g = fork();
			if (g < 0)
				break;
			if (g == 0) {
				pause();
				_exit(0);
			}
			forked++;
		}
		if (write(report[1], &forked, sizeof(forked)) != sizeof(forked))
			_exit(91);
		pause();
		_exit(0);
	}
	ck_assert_msg(hvc_cgroup_attach(cg, c, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	int forked = -1;
	ck_assert_int_eq(read(report[0], &forked, sizeof(forked)), sizeof(forked));
	ck_assert_int_eq(forked, 7); /* 8 tasks: the child and 7 of its own */

	struct hvc_cgroup_stats st;
	ck_assert_int_eq(hvc_cgroup_stats(cg, &st, &err), 0);
	ck_assert_uint_eq(st.pids_current, 8);
	ck_assert_uint_eq(st.pids_limit, 8);

	ck_assert_msg(hvc_cgroup_kill_all(cg, &err) == 0, "%s", err.msg);
	int status;
	ck_assert_int_eq(waitpid(c, &status, 0), c);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_msg(hvc_cgroup_destroy(cg, &err) == 0, "%s", err.msg);
	assert_gone(&h, name);
}
END_TEST

START_TEST(real_cpu_and_cpuset_accepted)
{
	struct hvc_cgroup_host h;
	REAL_HOST_OR_SKIP(&h, HVC_CG_CPU | HVC_CG_CPUSET);
	char name[80];
	snprintf(name, sizeof(name), "%s-2", real_name);
	struct hvc_error err = {0};
	struct hvc_cgroup_limits l = {0};
	ck_assert_int_eq(hvc_cgroup_limits_set_cpus(&l, "0.5", &err), 0);
	snprintf(l.cpuset_cpus, sizeof(l.cpuset_cpus), "0");
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&h, name, &l, &cg, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	/* a v1 cpuset child joins only with both lists set: attach proves it */
	pid_t c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		pause();
		_exit(0);
	}
	ck_assert_msg(hvc_cgroup_attach(cg, c, &err) == 0, "%s", err.msg);
	cpu_set_t set;
	ck_assert_int_eq(sched_getaffinity(c, sizeof(set), &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 1);
	ck_assert(CPU_ISSET(0, &set));
	ck_assert_int_eq(hvc_cgroup_kill_all(cg, &err), 0);
	int status;
	ck_assert_int_eq(waitpid(c, &status, 0), c);
	ck_assert_msg(hvc_cgroup_destroy(cg, &err) == 0, "%s", err.msg);
	assert_gone(&h, name);
	/* a cpuset the kernel refuses: one clear error, nothing left */
	snprintf(l.cpuset_cpus, sizeof(l.cpuset_cpus), "0-4095");
	_cleanup_cgroup_ struct hvc_cgroup *bad = NULL;
	ck_assert_int_lt(hvc_cgroup_create(&h, name, &l, &bad, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "cpuset limit (--cpuset-cpus): write \"0-4095\""));
	assert_gone(&h, name);
}
END_TEST

START_TEST(real_device_policy)
{
	struct hvc_cgroup_host h;
	REAL_HOST_OR_SKIP(&h, 0);
	HVC_SKIP_IF(h.mode == HVC_CGROUP_V2 || access("/sys/fs/cgroup/devices", F_OK) < 0,
		    "no v1 devices hierarchy here");
	char name[80];
	snprintf(name, sizeof(name), "%s-3", real_name);
	static const char *const allow[] = {"c 1:3 rwm", NULL}; /* /dev/null only */
	struct hvc_cgroup_limits l = {.devices_allow = allow};
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&h, name, &l, &cg, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	int fds[HVC_CGROUP_MAX_DIRS];
	size_t n;
	ck_assert_int_eq(hvc_cgroup_open_procs_fds(cg, fds, &n, &err), 0);
	pid_t c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		if (hvc_cgroup_enter_fds(fds, n) < 0)
			_exit(90);
		int ok = open("/dev/null", O_RDWR);
		int denied = open("/dev/zero", O_RDONLY);
		_exit(ok >= 0 && denied < 0 && errno == EPERM ? 0 : 91);
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	int status;
	ck_assert_int_eq(waitpid(c, &status, 0), c);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	assert_gone(&h, name);
}
END_TEST

/* The v2 device path, run on the cgroup2 tree a hybrid host has (or the
 * v2 root): a BPF program allowing only /dev/null. */
START_TEST(real_bpf_device_policy)
{
	struct hvc_cgroup_host h;
	REAL_HOST_OR_SKIP(&h, 0);
	HVC_SKIP_IF(!h.unified[0], "no cgroup2 tree here");
	struct hvc_cgroup_host v2 = {.mode = HVC_CGROUP_V2};
	snprintf(v2.root, sizeof(v2.root), "%s", h.unified);
	snprintf(v2.unified, sizeof(v2.unified), "%s", h.unified);
	if (h.mode == HVC_CGROUP_V2)
		v2 = h;
	char name[80];
	snprintf(name, sizeof(name), "%s-0", real_name);
	static const char *const allow[] = {"c 1:3 rwm", NULL};
	struct hvc_cgroup_limits l = {.devices_allow = allow};
	struct hvc_error err = {0};
	_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
	int r = hvc_cgroup_create(&v2, name, &l, &cg, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	int fds[HVC_CGROUP_MAX_DIRS];
	size_t n;
	ck_assert_int_eq(hvc_cgroup_open_procs_fds(cg, fds, &n, &err), 0);
	pid_t c = fork();
	ck_assert_int_ge(c, 0);
	if (c == 0) {
		if (hvc_cgroup_enter_fds(fds, n) < 0)
			_exit(90);
		int ok = open("/dev/null", O_RDWR);
		int denied = open("/dev/zero", O_RDONLY);
		_exit(ok >= 0 && denied < 0 && errno == EPERM ? 0 : 91);
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	int status;
	ck_assert_int_eq(waitpid(c, &status, 0), c);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	ck_assert_int_eq(hvc_cgroup_destroy(cg, &err), 0);
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", v2.root, name);
	ck_assert(access(p, F_OK) < 0);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* 100 create/attach/kill/destroy cycles with `-m 64m --pids-limit 100`:
 * every one must leave nothing behind. With HVC_TEST_VERBOSE=1 it prints the
 * plan for this host and the median cost of each step (docs/cgroups.md). */
START_TEST(real_start_path_cycles)
{
	struct hvc_cgroup_host h;
	REAL_HOST_OR_SKIP(&h, HVC_CG_MEMORY | HVC_CG_PIDS);
	bool verbose = getenv("HVC_TEST_VERBOSE") != NULL;
	enum { N = 100 };
	static double t_create[N], t_attach[N], t_kill[N], t_destroy[N];
	struct hvc_cgroup_limits l = {.memory_max = 64 << 20, .swap_off = true, .pids_max = 100};
	struct hvc_error err = {0};
	char name[80];
	snprintf(name, sizeof(name), "%s-2", real_name);
	if (verbose) {
		struct hvc_cgroup_plan plan;
		ck_assert_int_eq(hvc_cgroup_plan_create(&h, name, &l, &plan, &err), 0);
		_cleanup_free_ char *t = hvc_cgroup_plan_format(&plan, h.root);
		fprintf(stderr, "plan on this %s host:\n%s", hvc_cgroup_mode_name(h.mode), t);
	}
	for (int i = 0; i < N; i++) {
		_cleanup_cgroup_ struct hvc_cgroup *cg = NULL;
		uint64_t t0 = hvc_now_ns();
		int r = hvc_cgroup_create(&h, name, &l, &cg, &err);
		if (r == -EOPNOTSUPP && l.swap_off) {
			l.swap_off = false;
			r = hvc_cgroup_create(&h, name, &l, &cg, &err);
		}
		ck_assert_msg(r == 0, "%s", err.msg);
		uint64_t t1 = hvc_now_ns();
		pid_t c = fork();
		if (c == 0) {
			pause();
			_exit(0);
		}
		uint64_t t2 = hvc_now_ns();
		ck_assert_msg(hvc_cgroup_attach(cg, c, &err) == 0, "%s", err.msg);
		uint64_t t3 = hvc_now_ns();
		ck_assert_msg(hvc_cgroup_kill_all(cg, &err) == 0, "%s", err.msg);
		uint64_t t4 = hvc_now_ns();
		waitpid(c, NULL, 0);
		uint64_t t5 = hvc_now_ns();
		ck_assert_msg(hvc_cgroup_destroy(cg, &err) == 0, "%s", err.msg);
		uint64_t t6 = hvc_now_ns();
		t_create[i] = (double)(t1 - t0) / 1e3;
		t_attach[i] = (double)(t3 - t2) / 1e3;
		t_kill[i] = (double)(t4 - t3) / 1e3;
		t_destroy[i] = (double)(t6 - t5) / 1e3;
		assert_gone(&h, name);
	}
	if (verbose) {
		qsort(t_create, N, sizeof(double), cmp_double);
		qsort(t_attach, N, sizeof(double), cmp_double);
		qsort(t_kill, N, sizeof(double), cmp_double);
		qsort(t_destroy, N, sizeof(double), cmp_double);
		fprintf(stderr,
			"median of %d cycles (us): create %.0f, attach %.0f, kill_all %.0f, "
			"destroy %.0f\n",
			N, t_create[N / 2], t_attach[N / 2], t_kill[N / 2], t_destroy[N / 2]);
	}
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("fake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, plan_v2_files);
	tcase_add_test(tc, plan_v1_files);
	tcase_add_test(tc, plan_v1_comounted_cpu_cpuacct);
	tcase_add_test(tc, plan_hybrid_files);
	tcase_add_test(tc, plan_devices_v1_and_v2);
	tcase_add_test(tc, devices_without_hierarchy);
	tcase_add_test(tc, bpf_device_program);
	tcase_add_test(tc, create_v2_prepares_parent_and_writes);
	tcase_add_test(tc, create_v1_writes_and_cpuset_inherits);
	tcase_add_test(tc, create_hybrid_places_in_cgroup2_too);
	tcase_add_test(tc, swap_accounting_absent_v1);
	tcase_add_test(tc, swap_accounting_absent_v2);
	tcase_add_test(tc, controller_not_usable);
	tcase_add_test(tc, bad_names_and_limits);
	tcase_add_test(tc, kernel_refusal_names_value_and_file);
	tcase_add_test(tc, open_list_reclaim);
	tcase_add_test(tc, destroy_removes_nested_children);
	tcase_add_test(tc, parsers);
	tcase_add_test(tc, stats_v1_from_files);
	tcase_add_test(tc, stats_v2_from_files);
	tcase_add_test(tc, stats_hybrid_cpu_from_cgroup2);
	suite_add_tcase(s, tc);
	TCase *real = tcase_create("host");
	tcase_add_unchecked_fixture(real, real_setup, real_cleanup);
	tcase_set_timeout(real, 30);
	tcase_add_test(real, real_memory_limit_enforced);
	tcase_add_loop_test(real, real_pids_limit_enforced, 0, 2);
	tcase_add_test(real, real_cpu_and_cpuset_accepted);
	tcase_add_test(real, real_device_policy);
	tcase_add_test(real, real_bpf_device_policy);
	tcase_add_test(real, real_start_path_cycles);
	suite_add_tcase(s, real);
	return s;
}

HVC_CHECK_MAIN(cgroup_suite)
