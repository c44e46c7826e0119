/* engine/build/build_sandbox: USER resolution (pure) and, as root, a real RUN in
 * namespaces over a tiny busybox rootfs: exit status, env, workdir, user,
 * the changes landing in the upper dir, and no mount left behind. */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hvc/build.h"
#include "check_main.h"

static const char *passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nweird\napp:x:1000:1001::/app:/bin/sh\n";
static const char *group = "root:x:0:\nnogroup:x:65534:\nstaff:x:50:app\n";

START_TEST(user_resolution)
{
	uid_t u;
	gid_t g;
	struct hvc_error err = { 0 };
	ck_assert_int_eq(hvc_build_user_resolve("nobody", passwd, group, &u, &g, &err), 0);
	ck_assert_uint_eq(u, 65534);
	ck_assert_uint_eq(g, 65534);
	ck_assert_int_eq(hvc_build_user_resolve("app", passwd, group, &u, &g, &err), 0);
	ck_assert_uint_eq(u, 1000);
	ck_assert_uint_eq(g, 1001);
	ck_assert_int_eq(hvc_build_user_resolve("app:staff", passwd, group, &u, &g, &err), 0);
	ck_assert_uint_eq(g, 50);
	ck_assert_int_eq(hvc_build_user_resolve("1000", passwd, group, &u, &g, &err), 0);
	ck_assert_uint_eq(g, 1001);
	ck_assert_int_eq(hvc_build_user_resolve("4242:7", NULL, NULL, &u, &g, &err), 0);
	ck_assert_uint_eq(u, 4242);
	ck_assert_uint_eq(g, 7);
	ck_assert_int_eq(hvc_build_user_resolve("4242", passwd, group, &u, &g, &err), 0);
	ck_assert_uint_eq(g, 0);
	ck_assert_int_lt(hvc_build_user_resolve("ghost", passwd, group, &u, &g, &err), 0);
	ck_assert_str_eq(err.msg, "unable to find user ghost: no matching entries in passwd file");
	ck_assert_int_lt(hvc_build_user_resolve("app:nogrp", passwd, group, &u, &g, &err), 0);
	ck_assert_int_lt(hvc_build_user_resolve("x", NULL, NULL, &u, &g, &err), 0);
}
END_TEST

static int run_in(const char *base, const char *script, const char *user, const char *cwd, char **out)
{
	char upper[512], work[512], merged[512], outp[512];
	snprintf(upper, sizeof(upper), "%s/upper", base);
	snprintf(work, sizeof(work), "%s/work", base);
	snprintf(merged, sizeof(merged), "%s/merged", base);
	snprintf(outp, sizeof(outp), "%s/out", base);
	hvc_rm_rf(upper, NULL);
	hvc_rm_rf(work, NULL);
	mkdir(upper, 0755);
	mkdir(work, 0755);
	mkdir(merged, 0755);
	char lower[512];
	snprintf(lower, sizeof(lower), "%s/lower", base);
	int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct hvc_build_sandbox sb = {
		.lowerdirs = (char *[]){ lower, NULL },
		.upperdir = upper, .workdir = work, .mergeddir = merged,
		.argv = (char *[]){ "/bin/sh", "-c", (char *)script, NULL },
		.env = (char *[]){ "PATH=/bin", "GREETING=hi", NULL },
		.cwd = cwd, .user = user, .stdout_fd = fd, .stderr_fd = fd,
	};
	struct hvc_error err = { 0 };
	int r = hvc_build_sandbox_run(&sb, &err);
	close(fd);
	size_t l;
	hvc_read_file(outp, out, &l, NULL);
	if (r < 0)
		fprintf(stderr, "sandbox: %s\n", err.msg);
	return r;
}

START_TEST(run_in_namespaces)
{
	HVC_SKIP_IF(geteuid() != 0, "needs root (namespaces, mounts)");
	HVC_SKIP_IF(access("/bin/busybox", X_OK) != 0, "no /bin/busybox (busybox-static)");
	char base[] = "/tmp/hvc-sb.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(base));
	hvc_set_root(base); /* the seccomp filter's cache goes here, not the host's store */
	char p[600];
	snprintf(p, sizeof(p), "%s/lower/bin", base);
	ck_assert_int_eq(hvc_mkdir_p(p, 0755, NULL), 0);
	snprintf(p, sizeof(p), "%s/lower/bin/busybox", base);
	ck_assert_int_eq(hvc_copy_file("/bin/busybox", p, 0755, NULL), 0);
	snprintf(p, sizeof(p), "%s/lower/bin/sh", base);
	ck_assert_int_eq(symlink("busybox", p), 0);
	const char *dirs[] = { "proc", "dev", "etc", "tmp" };
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/lower/%s", base, dirs[i]);
		mkdir(p, 0755);
	}
	snprintf(p, sizeof(p), "%s/lower/etc/passwd", base);
	hvc_write_file(p, passwd, strlen(passwd), 0644, NULL);
	snprintf(p, sizeof(p), "%s/lower/etc/gone", base);
	hvc_write_file(p, "x", 1, 0644, NULL);

	char *out = NULL;
	ck_assert_int_eq(run_in(base, "echo $GREETING $$; /bin/busybox hostname; pwd; ls /proc/self >/dev/null && echo proc;"
				      " echo new >/etc/new; rm /etc/gone", NULL, "/work/dir", &out), 0);
	ck_assert_str_eq(out, "hi 2\nhvc-build\n/work/dir\nproc\n");
	free(out);
	snprintf(p, sizeof(p), "%s/upper/etc/new", base);
	ck_assert(hvc_path_exists(p));
	snprintf(p, sizeof(p), "%s/upper/etc/gone", base);
	struct stat st;
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISCHR(st.st_mode)); /* the overlay whiteout */
	snprintf(p, sizeof(p), "%s/upper/work/dir", base);
	ck_assert(hvc_path_exists(p)); /* WORKDIR created in the layer */
	snprintf(p, sizeof(p), "%s/upper/dev", base);
	ck_assert(!hvc_path_exists(p)); /* the /dev tmpfs left no trace */

	ck_assert_int_eq(run_in(base, "exit 3", NULL, NULL, &out), 3);
	free(out);
	ck_assert_int_eq(run_in(base, "/bin/busybox id -u", "nobody", NULL, &out), 0);
	ck_assert_str_eq(out, "65534\n");
	free(out);
	/* the runtime's confinement (runtime_confine.c) as a build step uses it:
	 * no supplementary groups, no capability for a non-root USER, the
	 * bounding set still Docker's, no_new_privs, a seccomp filter */
	ck_assert_int_eq(run_in(base, "/bin/busybox id -G; /bin/busybox grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):'"
				      " /proc/self/status", "nobody", NULL, &out), 0);
	ck_assert_str_eq(out, "65534\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\n"
			      "Seccomp:\t2\n");
	free(out);
	/* confined like hvc run: no CAP_SYS_ADMIN (mount), no mknod of host disks */
	ck_assert_int_ne(run_in(base, "/bin/busybox mount -t tmpfs none /tmp", NULL, NULL, &out), 0);
	free(out);
	ck_assert_int_eq(run_in(base, "echo $HOME; /bin/busybox grep -i capbnd /proc/self/status", NULL, NULL, &out), 0);
	ck_assert_str_eq(out, "/root\nCapBnd:\t00000000a80425fb\n");
	free(out);
	ck_assert_int_eq(run_in(base, "true", "ghost", NULL, &out), -EIO);
	free(out);

	/* 60 layers with long paths: more than a page of mount options */
	{
		char *many[62] = { 0 };
		for (int i = 0; i < 60; i++) {
			many[i] = hvc_strdup_printf("%s/a-rather-long-layer-directory-name-to-overflow-the-options-%02d", base, i);
			mkdir(many[i], 0755);
		}
		many[60] = hvc_strdup_printf("%s/lower", base);
		snprintf(p, sizeof(p), "%s/a-rather-long-layer-directory-name-to-overflow-the-options-07/marker", base);
		hvc_write_file(p, "m\n", 2, 0644, NULL);
		char upper[600], work[600], merged[600], outp[600];
		snprintf(upper, sizeof(upper), "%s/upper-many", base);
		snprintf(work, sizeof(work), "%s/work-many", base);
		snprintf(merged, sizeof(merged), "%s/merged", base);
		snprintf(outp, sizeof(outp), "%s/out-many", base);
		mkdir(upper, 0755);
		mkdir(work, 0755);
		int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		struct hvc_build_sandbox sb = {
			.lowerdirs = many, .upperdir = upper, .workdir = work, .mergeddir = merged,
			.argv = (char *[]){ "/bin/sh", "-c", "cat /marker", NULL },
			.env = (char *[]){ "PATH=/bin", NULL }, .stdout_fd = fd, .stderr_fd = fd,
		};
		struct hvc_error err = { 0 };
		int r = hvc_build_sandbox_run(&sb, &err);
		close(fd);
		ck_assert_msg(r == 0, "60 layers: %d %s", r, err.msg);
		char *o = NULL;
		size_t l;
		hvc_read_file(outp, &o, &l, NULL);
		ck_assert_str_eq(o, "m\n");
		free(o);
		snprintf(p, sizeof(p), "%s/merged.l", base);
		ck_assert(!hvc_path_exists(p)); /* the link dir is removed */
		for (int i = 0; i < 61; i++)
			free(many[i]);
	}

	/* nothing of ours is mounted in this namespace */
	char *mi = NULL;
	size_t l;
	ck_assert_int_eq(hvc_read_file("/proc/self/mountinfo", &mi, &l, NULL), 0);
	ck_assert_ptr_null(strstr(mi, base));
	free(mi);
	hvc_rm_rf(base, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("build_sandbox");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, user_resolution);
	tcase_add_test(tc, run_in_namespaces);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(suite)
