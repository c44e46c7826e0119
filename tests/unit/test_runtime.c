/* runtime: the pure parts — Docker's image-config rules, env files, volumes,
 * names, capability sets, the confinement plan, seccomp profiles (default
 * and JSON, and the cached BPF the container and a build step share), the
 * mount plan, overlay options, id prefix matching, spec <-> json. No root
 * needed. */
#include <check.h>
#include <dirent.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/capability.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hvc/container.h"
#include "check_main.h"
#include "../../engine/runtime/runtime_internal.h"
#include "../../engine/runtime/runtime_ctr.h"

static char *V_ep[] = { "/entry", "--flag", NULL };
static char *V_cmd[] = { "serve", NULL };
static char *V_env[] = { "PATH=/img/bin", "A=image", "B=image", NULL };

START_TEST(image_config_docker_rules)
{
	struct hvc_error err = { 0 };
	struct hvc_ctr_spec s;
	hvc_ctr_spec_init(&s);
	hvc_strv_push(&s.env, "B=user");
	ck_assert_int_eq(hvc_ctr_spec_apply_image(&s, V_env, V_ep, V_cmd, "/srv", "daemon", NULL, NULL, &err), 0);
	/* Entrypoint + Cmd */
	ck_assert_uint_eq(hvc_strv_len(s.argv), 3);
	ck_assert_str_eq(s.argv[0], "/entry");
	ck_assert_str_eq(s.argv[2], "serve");
	/* image env, user env on top, PATH from the image */
	ck_assert_str_eq(s.env[0], "PATH=/img/bin");
	ck_assert_str_eq(s.env[1], "A=image");
	ck_assert_str_eq(s.env[2], "B=user");
	ck_assert_str_eq(s.workdir, "/srv");
	ck_assert_str_eq(s.user, "daemon");
	hvc_ctr_spec_free(&s);

	/* a command on the line replaces Cmd, keeps Entrypoint */
	char *over[] = { "other", "x", NULL };
	hvc_ctr_spec_init(&s);
	ck_assert_int_eq(hvc_ctr_spec_apply_image(&s, NULL, V_ep, V_cmd, NULL, NULL, over, NULL, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(s.argv), 4);
	ck_assert_str_eq(s.argv[2], "other");
	ck_assert_str_eq(s.workdir, "/");
	ck_assert_ptr_null(s.user);
	/* PATH defaulted when the image has none */
	ck_assert(hvc_str_has_prefix(s.env[0], "PATH=/usr/local/sbin"));
	hvc_ctr_spec_free(&s);

	/* --entrypoint resets the image's Cmd */
	char *ep2[] = { "/bin/sh", NULL };
	hvc_ctr_spec_init(&s);
	ck_assert_int_eq(hvc_ctr_spec_apply_image(&s, NULL, V_ep, V_cmd, NULL, NULL, NULL, ep2, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(s.argv), 1);
	ck_assert_str_eq(s.argv[0], "/bin/sh");
	hvc_ctr_spec_free(&s);

	/* no command at all */
	hvc_ctr_spec_init(&s);
	ck_assert_int_lt(hvc_ctr_spec_apply_image(&s, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "no command"));
	hvc_ctr_spec_free(&s);

	/* a relative WorkingDir is refused */
	hvc_ctr_spec_init(&s);
	ck_assert_int_lt(hvc_ctr_spec_apply_image(&s, NULL, NULL, V_cmd, "rel", NULL, NULL, NULL, &err), 0);
	hvc_ctr_spec_free(&s);
}
END_TEST

START_TEST(env_file_and_env_set)
{
	struct hvc_error err = { 0 };
	_cleanup_strv_ char **env = NULL;
	ck_assert_int_eq(hvc_ctr_env_file_parse("# c\nA=1\n\n  B = x \nA=2\n", &env, &err), 0);
	ck_assert_uint_eq(hvc_strv_len(env), 2);
	ck_assert_str_eq(env[0], "A=2");
	ck_assert_str_eq(env[1], "B = x");
	ck_assert_int_lt(hvc_ctr_env_file_parse("=nokey\n", &env, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 1"));
	ck_assert_int_lt(hvc_ctr_env_set(&env, "=v", &err), 0);
	/* "-e K" with K unset on the host: dropped */
	unsetenv("HVC_TEST_UNSET");
	ck_assert_int_eq(hvc_ctr_env_set(&env, "HVC_TEST_UNSET", &err), 0);
	ck_assert_uint_eq(hvc_strv_len(env), 2);
	setenv("HVC_TEST_SET", "yes", 1);
	ck_assert_int_eq(hvc_ctr_env_set(&env, "HVC_TEST_SET", &err), 0);
	ck_assert_str_eq(env[2], "HVC_TEST_SET=yes");
}
END_TEST

START_TEST(volume_specs)
{
	struct hvc_error err = { 0 };
	struct hvc_ctr_volume v;
	ck_assert_int_eq(hvc_ctr_volume_parse("/h:/c:ro", false, &v, &err), 0);
	ck_assert_str_eq(v.src, "/h");
	ck_assert_str_eq(v.dst, "/c");
	ck_assert(v.ro);
	free(v.src), free(v.dst);
	ck_assert_int_eq(hvc_ctr_volume_parse("/h:/c", false, &v, &err), 0);
	ck_assert(!v.ro);
	free(v.src), free(v.dst);
	const char *bad[] = { "rel:/c", "/h:rel", "/h", "/h:/c:xx", "/h:/", ":/c", "/h::/c", "/a:/b:ro:x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hvc_ctr_volume_parse(bad[i], false, &v, &err) < 0, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "volume"));
	}
	ck_assert_int_lt(hvc_ctr_volume_parse("/nonexistent-hvc:/c", true, &v, &err), 0);
}
END_TEST

START_TEST(names)
{
	ck_assert(hvc_ctr_name_valid("web"));
	ck_assert(hvc_ctr_name_valid("a.b_c-1"));
	ck_assert(!hvc_ctr_name_valid(""));
	ck_assert(!hvc_ctr_name_valid("-x"));
	ck_assert(!hvc_ctr_name_valid("a/b"));
	ck_assert(!hvc_ctr_name_valid("../x"));
	ck_assert(!hvc_ctr_name_valid("a b"));
}
END_TEST

START_TEST(capabilities)
{
	struct hvc_error err = { 0 };
	uint64_t d = hvc_ctr_caps_default();
	ck_assert_uint_eq(d, 0xa80425fbull); /* what /proc/<pid>/status shows under Docker */
	ck_assert_int_eq(__builtin_popcountll(d), 14);
	uint64_t b = 0;
	ck_assert_int_eq(hvc_ctr_cap_parse("NET_ADMIN", &b, &err), 0);
	ck_assert_int_eq(hvc_ctr_cap_parse("cap_sys_admin", &b, &err), 0);
	ck_assert_uint_eq(b, (1ull << CAP_NET_ADMIN) | (1ull << CAP_SYS_ADMIN));
	ck_assert_int_lt(hvc_ctr_cap_parse("NOPE", &b, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "NOPE"));
	uint64_t all = 0;
	ck_assert_int_eq(hvc_ctr_cap_parse("ALL", &all, &err), 0);
	ck_assert(all & (1ull << CAP_SYS_MODULE));
	char buf[512];
	ck_assert_str_eq(hvc_ctr_caps_format((1ull << CAP_CHOWN) | (1ull << CAP_NET_RAW), buf, sizeof(buf)),
			 "CHOWN,NET_RAW");
}
END_TEST

START_TEST(confinement_plan)
{
	uint64_t caps = hvc_ctr_caps_default();
	char filter[16] = { 0 };
	struct hvc_sc_bpf bpf = { .filter = filter, .len = 2 }, none = { 0 };
	struct hvc_rt_confinement c;

	/* root in a container: keeps the set, its primary gid as only group */
	hvc_rt_confinement_plan(0, 0, HVC_RT_GROUPS_PRIMARY, caps, &bpf, &c);
	ck_assert_uint_eq(c.uid, 0);
	ck_assert_uint_eq(c.bounding, caps);
	ck_assert_uint_eq(c.caps, caps);
	ck_assert_uint_eq(c.n_groups, 1);
	ck_assert_uint_eq(c.groups[0], 0);
	ck_assert(c.no_new_privs);
	ck_assert_ptr_eq(c.seccomp, &bpf);

	/* a non-root user keeps no capability, but the same bounding set */
	hvc_rt_confinement_plan(1000, 100, HVC_RT_GROUPS_PRIMARY, caps, &bpf, &c);
	ck_assert_uint_eq(c.uid, 1000);
	ck_assert_uint_eq(c.gid, 100);
	ck_assert_uint_eq(c.caps, 0);
	ck_assert_uint_eq(c.bounding, caps);
	ck_assert_uint_eq(c.groups[0], 100);

	/* a build step: no supplementary groups; unconfined: no filter */
	hvc_rt_confinement_plan(65534, 65534, HVC_RT_GROUPS_NONE, caps, &none, &c);
	ck_assert_uint_eq(c.n_groups, 0);
	ck_assert_ptr_null(c.seccomp);
	hvc_rt_confinement_plan(0, 0, HVC_RT_GROUPS_NONE, caps, NULL, &c);
	ck_assert_ptr_null(c.seccomp);
	ck_assert(c.no_new_privs);
}
END_TEST

static size_t count_files(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* A build step's filter (hvc_sc_bpf_default) is the container's default
 * one, from the same cache file. */
START_TEST(seccomp_bpf_shared_cache)
{
	char root[] = "/tmp/hvc-sc.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	hvc_set_root(root);
	struct hvc_error err = { 0 };
	struct hvc_ctr_spec s;
	hvc_ctr_spec_init(&s);
	_cleanup_sc_bpf_ struct hvc_sc_bpf a = { 0 }, b = { 0 }, u = { 0 };
	ck_assert_int_eq(hvc_sc_bpf_for_spec(&s, &a, &err), 0);
	ck_assert_ptr_nonnull(a.filter);
	ck_assert_uint_gt(a.len, 100);
	_cleanup_free_ char *dir = hvc_strdup_printf("%s/cache/seccomp", root);
	ck_assert_uint_eq(count_files(dir), 1);
	ck_assert_int_eq(hvc_sc_bpf_default(s.caps, &b, &err), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.filter, b.filter, (size_t)a.len * 8), 0);
	ck_assert_uint_eq(count_files(dir), 1); /* the same file, read */
	s.seccomp = HVC_CTR_SECCOMP_UNCONFINED;
	ck_assert_int_eq(hvc_sc_bpf_for_spec(&s, &u, &err), 0);
	ck_assert_ptr_null(u.filter);
	hvc_ctr_spec_free(&s);
	hvc_rm_rf(root, NULL);
}
END_TEST

static const struct hvc_sc_rule *find_rule(const struct hvc_sc_profile *p, const char *name)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (!strcmp(p->rules[i].name, name))
			return &p->rules[i];
	return NULL;
}

START_TEST(seccomp_default_profile)
{
	struct hvc_error err = { 0 };
	struct hvc_sc_profile p;
	ck_assert_int_eq(hvc_sc_profile_default(hvc_ctr_caps_default(), &p, &err), 0);
	ck_assert_uint_eq(p.default_action, SCMP_ACT_ERRNO(EPERM)); /* EPERM, never SIGSYS */
	ck_assert_ptr_nonnull(find_rule(&p, "read"));
	ck_assert_ptr_nonnull(find_rule(&p, "execveat"));
	const char *denied[] = { "mount", "umount2", "unshare", "setns", "pivot_root", "keyctl", "add_key",
				 "kexec_load", "init_module", "finit_module", "bpf", "reboot", "swapon", "acct" };
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		ck_assert_msg(!find_rule(&p, denied[i]), "%s allowed by default", denied[i]);
	const struct hvc_sc_rule *clone = find_rule(&p, "clone");
	ck_assert_ptr_nonnull(clone);
	ck_assert_uint_eq(clone->n_args, 1);
	ck_assert_int_eq(clone->args[0].op, HVC_SC_MASKED_EQ);
	ck_assert(clone->args[0].value & CLONE_NEWUSER);
	ck_assert_uint_eq(find_rule(&p, "clone3")->action, SCMP_ACT_ERRNO(ENOSYS));
	const struct hvc_sc_rule *sock = find_rule(&p, "socket");
	ck_assert_int_eq(sock->args[0].op, HVC_SC_NE);
	ck_assert_uint_eq(sock->args[0].value, 40); /* AF_VSOCK */
	void *ctx = NULL;
	ck_assert_int_eq(hvc_sc_profile_compile(&p, &ctx, &err), 0);
	ck_assert_ptr_nonnull(ctx);
	hvc_sc_ctx_free(ctx);
	hvc_sc_profile_free(&p);

	/* CAP_SYS_ADMIN opens Docker's admin group, as with --cap-add SYS_ADMIN */
	ck_assert_int_eq(hvc_sc_profile_default(hvc_ctr_caps_default() | (1ull << CAP_SYS_ADMIN), &p, &err), 0);
	ck_assert_ptr_nonnull(find_rule(&p, "mount"));
	ck_assert_ptr_nonnull(find_rule(&p, "unshare"));
	ck_assert_uint_eq(find_rule(&p, "clone")->n_args, 0);
	ck_assert_ptr_null(find_rule(&p, "kexec_load"));
	hvc_sc_profile_free(&p);
}
END_TEST

START_TEST(seccomp_json_profile)
{
	struct hvc_error err = { 0 };
	struct hvc_sc_profile p;
	const char *j = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
			"\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
			"\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
			"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}";
	ck_assert_int_eq(hvc_sc_profile_parse_json(j, strlen(j), &p, &err), 0);
	ck_assert_uint_eq(p.default_action, SCMP_ACT_ERRNO(1));
	ck_assert_uint_eq(p.n_rules, 4);
	ck_assert_uint_eq(find_rule(&p, "mkdir")->action, SCMP_ACT_ERRNO(13));
	ck_assert_uint_eq(find_rule(&p, "personality")->args[0].value, 8);
	void *ctx = NULL;
	ck_assert_int_eq(hvc_sc_profile_compile(&p, &ctx, &err), 0);
	hvc_sc_ctx_free(ctx);
	hvc_sc_profile_free(&p);
	const char *bad[] = { "{", "[]", "{\"defaultAction\":\"NOPE\"}",
			      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"BAD\"}]}",
			      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":"
			      "\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(hvc_sc_profile_parse_json(bad[i], strlen(bad[i]), &p, &err) < 0, "accepted %s", bad[i]);
}
END_TEST

static const struct hvc_mnt_op *find_op(const struct hvc_mnt_plan *p, enum hvc_mnt_kind k, const char *dst)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].kind == k && !strcmp(p->ops[i].dst, dst))
			return &p->ops[i];
	return NULL;
}

START_TEST(mount_plan)
{
	struct hvc_error err = { 0 };
	struct hvc_ctr_spec s;
	hvc_ctr_spec_init(&s);
	s.vols = calloc(2, sizeof(*s.vols));
	s.vols[0] = (struct hvc_ctr_volume){ strdup("/host"), strdup("/data"), true, false };
	s.vols[1] = (struct hvc_ctr_volume){ NULL, strdup("/scratch"), false, true };
	s.n_vols = 2;
	struct hvc_mnt_plan p;
	ck_assert_int_eq(hvc_mnt_plan_build(&s, &p, &err), 0);
	const struct hvc_mnt_op *o = find_op(&p, HVC_MNT_MOUNT, "/proc");
	ck_assert_ptr_nonnull(o);
	ck_assert(o->flags & MS_NOSUID);
	o = find_op(&p, HVC_MNT_MOUNT, "/sys");
	ck_assert(o && (o->flags & MS_RDONLY));
	const char *devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty" };
	for (size_t i = 0; i < 6; i++)
		ck_assert_msg(find_op(&p, HVC_MNT_DEV, devs[i]), "missing %s", devs[i]);
	ck_assert_uint_eq(find_op(&p, HVC_MNT_DEV, "/dev/null")->major, 1);
	ck_assert_uint_eq(find_op(&p, HVC_MNT_DEV, "/dev/null")->minor, 3);
	ck_assert_ptr_nonnull(find_op(&p, HVC_MNT_MOUNT, "/dev/pts"));
	ck_assert_ptr_nonnull(find_op(&p, HVC_MNT_MOUNT, "/dev/shm"));
	ck_assert_str_eq(find_op(&p, HVC_MNT_SYMLINK, "/dev/ptmx")->src, "pts/ptmx");
	ck_assert_ptr_nonnull(find_op(&p, HVC_MNT_MASK, "/proc/kcore"));
	ck_assert_ptr_nonnull(find_op(&p, HVC_MNT_MASK, "/sys/firmware"));
	ck_assert_ptr_nonnull(find_op(&p, HVC_MNT_RO, "/proc/sys"));
	ck_assert_ptr_nonnull(find_op(&p, HVC_MNT_RO, "/proc/sysrq-trigger"));
	o = find_op(&p, HVC_MNT_BIND, "/data");
	ck_assert(o && o->ro && !strcmp(o->src, "/host"));
	ck_assert_str_eq(find_op(&p, HVC_MNT_MOUNT, "/scratch")->fstype, "tmpfs");
	/* volumes come after /dev and /sys, masks after volumes (a volume cannot unmask) */
	size_t i_sys = 0, i_vol = 0, i_mask = 0;
	for (size_t i = 0; i < p.n; i++) {
		if (!strcmp(p.ops[i].dst, "/sys"))
			i_sys = i;
		if (!strcmp(p.ops[i].dst, "/data"))
			i_vol = i;
		if (!strcmp(p.ops[i].dst, "/proc/kcore"))
			i_mask = i;
	}
	ck_assert(i_sys < i_vol && i_vol < i_mask);
	hvc_mnt_plan_free(&p);
	/* no gid=5 for devpts in a user namespace */
	s.userns = true;
	ck_assert_int_eq(hvc_mnt_plan_build(&s, &p, &err), 0);
	ck_assert_ptr_null(strstr(find_op(&p, HVC_MNT_MOUNT, "/dev/pts")->data, "gid="));
	hvc_mnt_plan_free(&p);
	hvc_ctr_spec_free(&s);
}
END_TEST

/* /sys/fs/cgroup as the host mounts it: v1's tmpfs, a read-only mount per
 * hierarchy with its controllers (never release_agent=), the tmpfs
 * remounted read-only last; a v2 host's one cgroup2 mount; none elsewhere. */
START_TEST(mount_plan_cgroup)
{
	static const char v1[] =
	    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
	    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	    "39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,release_agent=/x,name=systemd\n"
	    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
	    "41 22 0:38 / /mnt/cg rw,relatime - cgroup cgroup rw,pids\n";
	static const char v2[] =
	    "25 22 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
	struct hvc_error err = { 0 };
	struct hvc_mnt_plan p = { 0 };
	ck_assert_int_eq(hvc_mnt_plan_add_cgroup(&p, v1, &err), 0);
	ck_assert_uint_eq(p.n, 6);
	ck_assert_str_eq(p.ops[0].fstype, "tmpfs");
	ck_assert(!(p.ops[0].flags & MS_RDONLY));
	ck_assert_str_eq(p.ops[1].dst, "/sys/fs/cgroup/cpu,cpuacct");
	ck_assert_str_eq(p.ops[1].data, "cpu,cpuacct");
	ck_assert_str_eq(p.ops[2].data, "memory");
	ck_assert_str_eq(p.ops[3].data, "xattr,name=systemd");
	ck_assert_str_eq(p.ops[4].fstype, "cgroup2");
	ck_assert_ptr_null(p.ops[4].data);
	for (size_t i = 1; i < 5; i++)
		ck_assert(p.ops[i].flags & MS_RDONLY);
	ck_assert_str_eq(p.ops[5].dst, "/sys/fs/cgroup");
	ck_assert(p.ops[5].flags & MS_REMOUNT && p.ops[5].flags & MS_RDONLY);
	hvc_mnt_plan_free(&p);
	ck_assert_int_eq(hvc_mnt_plan_add_cgroup(&p, v2, &err), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(p.ops[0].fstype, "cgroup2");
	ck_assert_str_eq(p.ops[0].dst, "/sys/fs/cgroup");
	ck_assert(p.ops[0].flags & MS_RDONLY);
	hvc_mnt_plan_free(&p);
	ck_assert_int_eq(hvc_mnt_plan_add_cgroup(&p, "22 1 0:5 / /sys rw - sysfs sysfs rw\n", &err), 0);
	ck_assert_uint_eq(p.n, 0);
	hvc_mnt_plan_free(&p);
}
END_TEST

START_TEST(detach_keys)
{
	unsigned char k[HVC_DETACH_KEYS_MAX];
	size_t n = 0;
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_ctr_detach_keys_parse("ctrl-p,ctrl-q", k, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(k[0], 0x10);
	ck_assert_uint_eq(k[1], 0x11);
	ck_assert_int_eq(hvc_ctr_detach_keys_parse("ctrl-@,ctrl-[,a,ctrl-_", k, &n, &err), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(k[0], 0);
	ck_assert_uint_eq(k[1], 27);
	ck_assert_uint_eq(k[2], 'a');
	ck_assert_uint_eq(k[3], 31);
	const char *bad[] = { "", "ctrl-", "ctrl-1", "ab", "a,", "ctrl-pp", NULL };
	for (int i = 0; bad[i]; i++) {
		ck_assert_msg(hvc_ctr_detach_keys_parse(bad[i], k, &n, &err) < 0, "accepted \"%s\"", bad[i]);
		ck_assert_msg(strstr(err.msg, "--detach-keys"), "%s", err.msg);
	}
	/* the matcher: a sequence split across reads, false starts passed on */
	ck_assert_int_eq(hvc_ctr_detach_keys_parse("ctrl-p,ctrl-q", k, &n, &err), 0);
	struct hvc_detach_matcher m = { .keys = k, .n = n };
	unsigned char out[64];
	size_t len;
	ck_assert(!hvc_detach_feed(&m, (const unsigned char *)"ls\n", 3, out, &len));
	ck_assert_uint_eq(len, 3);
	ck_assert(!hvc_detach_feed(&m, (const unsigned char *)"\x10", 1, out, &len));
	ck_assert_uint_eq(len, 0); /* held back: maybe the start of the sequence */
	ck_assert(!hvc_detach_feed(&m, (const unsigned char *)"x\x10\x10", 3, out, &len));
	ck_assert_uint_eq(len, 3); /* ^P x ^P go to the container; the last ^P is held */
	ck_assert_int_eq(memcmp(out, "\x10x\x10", 3), 0);
	ck_assert(hvc_detach_feed(&m, (const unsigned char *)"\x11", 1, out, &len));
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(overlay_options)
{
	char *lowers[] = { "/l/top", "/l/bottom", NULL };
	_cleanup_free_ char *o = hvc_mnt_overlay_options(lowers, "/c/upper", "/c/work", false);
	ck_assert_str_eq(o, "lowerdir=/l/top:/l/bottom,upperdir=/c/upper,workdir=/c/work,index=off,xino=off");
	_cleanup_free_ char *v = hvc_mnt_overlay_options(lowers, "/c/upper", "/c/work", true);
	ck_assert_str_eq(v, "lowerdir=/l/top:/l/bottom,upperdir=/c/upper,workdir=/c/work,index=off,xino=off,volatile");
	_cleanup_free_ char *ro = hvc_mnt_overlay_options(lowers, NULL, NULL, true);
	ck_assert_str_eq(ro, "lowerdir=/l/top:/l/bottom");
}
END_TEST

START_TEST(id_prefix_lookup)
{
	char *ids[] = { "aaaa1111", "aaaa2222", "bbbb3333", NULL };
	char *names[] = { "web", "db", "", NULL };
	ck_assert_int_eq(hvc_ctr_match("web", ids, names, 3), 0);
	ck_assert_int_eq(hvc_ctr_match("db", ids, names, 3), 1);
	ck_assert_int_eq(hvc_ctr_match("b", ids, names, 3), 2);
	ck_assert_int_eq(hvc_ctr_match("aaaa2", ids, names, 3), 1);
	ck_assert_int_eq(hvc_ctr_match("aaaa", ids, names, 3), -EEXIST);
	ck_assert_int_eq(hvc_ctr_match("cccc", ids, names, 3), -ENOENT);
	ck_assert_int_eq(hvc_ctr_match("", ids, names, 3), -ENOENT);
	ck_assert_int_eq(hvc_ctr_match("aaaa1111", ids, names, 3), 0);
	/* a name wins over an id prefix that happens to match */
	char *names2[] = { "", "", "aaaa", NULL };
	ck_assert_int_eq(hvc_ctr_match("aaaa", ids, names2, 3), 2);
}
END_TEST

/* prune's test for a start in progress (engine/runtime/runtime_starting.c):
 * a complete config.json counts while the starter it names lives; none, or
 * a half-written one, means killed — unless a start holds .starting (then
 * it may be this one: left alone, without waiting). */
static void put_config(const char *path, json_object *o)
{
	const char *txt = json_object_to_json_string(o);
	ck_assert_int_eq(hvc_write_file(path, txt, strlen(txt), 0644, NULL), 0);
}

START_TEST(start_in_progress)
{
	char root[] = "/tmp/hvc-unit-starting.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	hvc_set_root(root);
	_cleanup_free_ char *dir = hvc_strdup_printf("%s/containers/%064d", root, 0);
	_cleanup_free_ char *cfg = hvc_path_join(dir, "config.json");
	ck_assert_int_eq(hvc_mkdir_p(dir, 0700, NULL), 0);
	ck_assert(!hvc_rt_ctr_start_in_progress(dir)); /* no config.json, nobody starting */
	ck_assert_int_eq(hvc_write_file(cfg, "{\"id\":", 7, 0644, NULL), 0);
	ck_assert(!hvc_rt_ctr_start_in_progress(dir)); /* half-written */
	_cleanup_json_ json_object *o = json_object_new_object();
	put_config(cfg, o);
	ck_assert(!hvc_rt_ctr_start_in_progress(dir)); /* written before starters were recorded */
	hvc_rt_starter_record(o);
	put_config(cfg, o);
	ck_assert(hvc_rt_ctr_start_in_progress(dir)); /* this process: alive */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	json_object *st = hvc_json_get(o, "starter");
	hvc_json_add_int(st, "pid", dead);
	put_config(cfg, o);
	ck_assert(!hvc_rt_ctr_start_in_progress(dir)); /* its starter died */
	/* a start between its mkdir and its config.json */
	unlink(cfg);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t starter = fork();
	if (starter == 0) {
		int lk = hvc_rt_starting_lock(LOCK_SH, NULL);
		if (write(p[1], "L", 1) != 1 || lk < 0)
			_exit(1);
		usleep(300 * 1000);
		json_object *mine = json_object_new_object();
		hvc_rt_starter_record(mine);
		put_config(cfg, mine);
		close(lk);
		if (write(p[1], "C", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert(hvc_rt_ctr_start_in_progress(dir)); /* between its mkdir and config: left alone */
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert(hvc_rt_ctr_start_in_progress(dir)); /* its config names it, alive */
	kill(starter, SIGKILL);
	waitpid(starter, NULL, 0);
	ck_assert(!hvc_rt_ctr_start_in_progress(dir)); /* killed after its config */
	close(p[0]);
	close(p[1]);
	hvc_rm_rf(root, NULL);
}
END_TEST

START_TEST(spec_json_roundtrip)
{
	struct hvc_error err = { 0 };
	struct hvc_ctr_spec s, t;
	hvc_ctr_spec_init(&s);
	s.name = strdup("web");
	s.image_digest = strdup("sha256:abc");
	hvc_strv_push(&s.argv, "sh");
	hvc_strv_push(&s.env, "A=1");
	s.workdir = strdup("/w");
	s.user = strdup("1000:1000");
	s.net = HVC_CTR_NET_HOST;
	s.caps &= ~(1ull << CAP_NET_RAW);
	s.seccomp = HVC_CTR_SECCOMP_UNCONFINED;
	s.limits.memory = 32 << 20;
	s.limits.pids = 64;
	s.limits.cpus = 1.5;
	s.rm = s.read_only = true;
	s.init = false;
	_cleanup_json_ json_object *o = hvc_ctr_spec_to_json(&s);
	ck_assert_str_eq(hvc_json_get_string(o, "image_digest"), "sha256:abc");
	ck_assert_int_eq(hvc_ctr_spec_from_json(o, &t, &err), 0);
	ck_assert_str_eq(t.name, "web");
	ck_assert_str_eq(t.argv[0], "sh");
	ck_assert_str_eq(t.user, "1000:1000");
	ck_assert_uint_eq(t.caps, s.caps);
	ck_assert_int_eq(t.net, HVC_CTR_NET_HOST);
	ck_assert_int_eq(t.seccomp, HVC_CTR_SECCOMP_UNCONFINED);
	ck_assert_uint_eq(t.limits.memory, 32 << 20);
	ck_assert_int_eq(t.limits.pids, 64);
	ck_assert(t.rm && t.read_only && !t.init);
	hvc_ctr_spec_free(&s);
	hvc_ctr_spec_free(&t);
}
END_TEST

static Suite *runtime_suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, image_config_docker_rules);
	tcase_add_test(tc, env_file_and_env_set);
	tcase_add_test(tc, volume_specs);
	tcase_add_test(tc, names);
	tcase_add_test(tc, capabilities);
	tcase_add_test(tc, confinement_plan);
	tcase_add_test(tc, seccomp_bpf_shared_cache);
	tcase_add_test(tc, seccomp_default_profile);
	tcase_add_test(tc, seccomp_json_profile);
	tcase_add_test(tc, mount_plan);
	tcase_add_test(tc, mount_plan_cgroup);
	tcase_add_test(tc, overlay_options);
	tcase_add_test(tc, detach_keys);
	tcase_add_test(tc, id_prefix_lookup);
	tcase_add_test(tc, spec_json_roundtrip);
	tcase_add_test(tc, start_in_progress);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(runtime_suite)
