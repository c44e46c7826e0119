/* engine/cgroup/cgroup_detect: mode and usable controllers from fake sysfs trees plus
 * fake mountinfo text, for v1, v2, hybrid and none. */
#include "check_main.h"
#include "hvc/cgroup.h"
#include <check.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];
static char root[300];

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/hvc-cgtest.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/sys/fs/cgroup", tmp);
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_mkdir_p(root, 0755, &err), 0);
}

static void teardown(void)
{
	struct hvc_error err = {0};
	hvc_rm_rf(tmp, &err);
}

static void mkdirs(const char *rel)
{
	struct hvc_error err = {0};
	_cleanup_free_ char *p = hvc_path_join(root, rel);
	ck_assert_int_eq(hvc_mkdir_p(p, 0755, &err), 0);
}

static void put(const char *rel, const char *text)
{
	struct hvc_error err = {0};
	_cleanup_free_ char *p = hvc_path_join(root, rel);
	ck_assert_int_eq(hvc_write_file(p, text, strlen(text), 0644, &err), 0);
}

/* Mountinfo text with "@" replaced by the fake root. */
static char *mountinfo(const char *tmpl)
{
	size_t cap = strlen(tmpl) * 2 + 64 * 40;
	char *s = calloc(1, cap), *w = s;
	for (const char *r = tmpl; *r; r++) {
		if (*r == '@')
			w += sprintf(w, "%s", root);
		else
			*w++ = *r;
	}
	return s;
}

/* The real layout of the development machine (systemd's hybrid). */
static const char *hybrid_mi =
    "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 23 0:28 / @ rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / @/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / @/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / @/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / @/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / @/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / @/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / @/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / @/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / @/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / @/unified rw,relatime - cgroup2 cgroup2 rw\n";

START_TEST(hybrid_like_this_host)
{
	const char *dirs[] = {"cpu",	 "cpuacct", "cpuset", "memory",	 "devices",
			      "freezer", "blkio",   "pids",   "systemd", "unified"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		mkdirs(dirs[i]);
	put("unified/cgroup.controllers", "hugetlb\n");
	_cleanup_free_ char *mi = mountinfo(hybrid_mi);
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_HYBRID);
	ck_assert_str_eq(hvc_cgroup_mode_name(h.mode), "hybrid");
	ck_assert_str_eq(h.root, root);
	_cleanup_free_ char *uni = hvc_path_join(root, "unified");
	ck_assert_str_eq(h.unified, uni);
	ck_assert_uint_eq(h.usable, HVC_CG_CPU | HVC_CG_CPUSET | HVC_CG_MEMORY | HVC_CG_PIDS |
					HVC_CG_IO | HVC_CG_FREEZER);
	ck_assert_uint_eq(h.v2_controllers, 0); /* hugetlb is not one hvc uses */
	char buf[128];
	ck_assert_str_eq(hvc_cgroup_ctrl_names(h.usable, buf, sizeof(buf)),
			 "cpu,cpuset,memory,pids,io,freezer");
}
END_TEST

START_TEST(hybrid_missing_dir_is_not_usable)
{
	/* memory is in the mount table but its directory is gone (or elsewhere):
	 * the v1 back-end looks for <root>/memory, so it is not usable */
	mkdirs("cpu");
	mkdirs("unified");
	_cleanup_free_ char *mi = mountinfo("1 0 0:1 / @/cpu rw - cgroup cgroup rw,cpu\n"
					    "2 0 0:2 / @/memory rw - cgroup cgroup rw,memory\n"
					    "3 0 0:3 / @/unified rw - cgroup2 cgroup2 rw\n");
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_HYBRID);
	ck_assert_uint_eq(h.usable, HVC_CG_CPU);
}
END_TEST

START_TEST(v1_only_with_comounted_controllers)
{
	/* older systemd: cpu,cpuacct co-mounted with symlinks cpu -> cpu,cpuacct */
	mkdirs("cpu,cpuacct");
	mkdirs("memory");
	mkdirs("pids");
	mkdirs("net_cls,net_prio");
	_cleanup_free_ char *target = hvc_path_join(root, "cpu,cpuacct");
	_cleanup_free_ char *link = hvc_path_join(root, "cpu");
	ck_assert_int_eq(symlink(target, link), 0);
	_cleanup_free_ char *mi =
	    mountinfo("31 23 0:28 / @ rw - tmpfs tmpfs rw,mode=755\n"
		      "32 31 0:29 / @/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
		      "35 31 0:32 / @/memory rw shared:10 - cgroup cgroup rw,memory\n"
		      "39 31 0:36 / @/pids rw - cgroup cgroup rw,pids\n"
		      "40 31 0:37 / @/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n");
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_V1);
	ck_assert_str_eq(hvc_cgroup_mode_name(h.mode), "v1");
	ck_assert_str_eq(h.unified, "");
	ck_assert_uint_eq(h.usable, HVC_CG_CPU | HVC_CG_MEMORY | HVC_CG_PIDS);
	ck_assert_uint_eq(h.v2_controllers, 0);
}
END_TEST

START_TEST(v2_unified)
{
	put("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put("cgroup.subtree_control", "cpu memory pids\n");
	mkdirs("system.slice");
	put("system.slice/cgroup.freeze", "0\n");
	_cleanup_free_ char *mi =
	    mountinfo("35 24 0:30 / @ rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
		      "rw,nsdelegate,memory_recursiveprot\n");
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_V2);
	ck_assert_str_eq(hvc_cgroup_mode_name(h.mode), "v2");
	ck_assert_str_eq(h.unified, root);
	unsigned all =
	    HVC_CG_CPU | HVC_CG_CPUSET | HVC_CG_MEMORY | HVC_CG_PIDS | HVC_CG_IO | HVC_CG_FREEZER;
	ck_assert_uint_eq(h.v2_controllers, all);
	ck_assert_uint_eq(h.usable, all);
}
END_TEST

START_TEST(v2_partial_controllers_no_freeze)
{
	/* a delegated container's view: only some controllers, no children yet */
	put("cgroup.controllers", "memory pids\n");
	_cleanup_free_ char *mi = mountinfo("1 0 0:30 / @ rw - cgroup2 cgroup2 rw\n");
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_V2);
	ck_assert_uint_eq(h.usable, HVC_CG_MEMORY | HVC_CG_PIDS);
}
END_TEST

START_TEST(v2_only_at_unified_subdir)
{
	/* only a cgroup2 tree below the root, no v1 controllers: unified mode there */
	mkdirs("unified");
	put("unified/cgroup.controllers", "cpu memory\n");
	_cleanup_free_ char *mi =
	    mountinfo("1 0 0:1 / @ rw - tmpfs tmpfs rw\n"
		      "2 1 0:2 / @/unified rw - cgroup2 cgroup2 rw\n"
		      "3 1 0:3 / @/systemd rw - cgroup cgroup rw,name=systemd\n");
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_V2);
	ck_assert_uint_eq(h.usable, HVC_CG_CPU | HVC_CG_MEMORY);
}
END_TEST

START_TEST(none_mounted)
{
	/* directories exist but nothing is mounted: the mount table decides */
	mkdirs("memory");
	put("cgroup.controllers", "cpu memory\n");
	_cleanup_free_ char *mi = mountinfo(
	    "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
	    "23 22 0:5 / /proc rw - proc proc rw\n"
	    "24 22 0:6 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"); /* outside our root */
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_NONE);
	ck_assert_str_eq(hvc_cgroup_mode_name(h.mode), "none");
	ck_assert_uint_eq(h.usable, 0);
	ck_assert_str_eq(h.unified, "");
	ck_assert_int_eq(hvc_cgroup_detect(root, "", &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_NONE);
}
END_TEST

START_TEST(prefix_is_component_wise_and_escapes_decoded)
{
	/* "<root>-other" is not below "<root>" */
	mkdirs("memory");
	_cleanup_free_ char *mi =
	    mountinfo("1 0 0:1 / @-other/memory rw - cgroup cgroup rw,memory\n");
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(root, mi, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_NONE);
	/* a space in a mount point is \040 in mountinfo; junk lines are skipped */
	snprintf(root, sizeof(root), "%s/with space", tmp);
	mkdirs("memory");
	char esc[1024];
	snprintf(esc, sizeof(esc),
		 "1 0 0:1 / %s/with\\040space/memory rw - cgroup cgroup rw,memory\n"
		 "garbage line without separator\n"
		 "2 0 0:2 / short - \n",
		 tmp);
	ck_assert_int_eq(hvc_cgroup_detect(root, esc, &h, &err), 0);
	ck_assert_int_eq(h.mode, HVC_CGROUP_V1);
	ck_assert_uint_eq(h.usable, HVC_CG_MEMORY);
}
END_TEST

START_TEST(ctrl_names_and_small_buffers)
{
	char buf[64];
	ck_assert_str_eq(hvc_cgroup_ctrl_names(0, buf, sizeof(buf)), "");
	ck_assert_str_eq(hvc_cgroup_ctrl_names(HVC_CG_IO | HVC_CG_CPU, buf, sizeof(buf)), "cpu,io");
	char small[8];
	hvc_cgroup_ctrl_names(HVC_CG_CPU | HVC_CG_CPUSET | HVC_CG_MEMORY, small, sizeof(small));
	ck_assert_str_eq(small, "cpu"); /* whole names only, never a cut one */
	ck_assert_str_eq(hvc_cgroup_mode_name(HVC_CGROUP_HYBRID), "hybrid");
}
END_TEST

START_TEST(real_host_is_consistent)
{
	/* the real mount table: whatever it is, the mode and bits agree */
	struct hvc_cgroup_host h;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_cgroup_detect(NULL, NULL, &h, &err), 0);
	ck_assert_str_eq(h.root, "/sys/fs/cgroup");
	if (h.mode == HVC_CGROUP_HYBRID || h.mode == HVC_CGROUP_V2)
		ck_assert(h.unified[0] != '\0');
	if (h.mode == HVC_CGROUP_NONE)
		ck_assert_uint_eq(h.usable, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cgroup_detect");
	TCase *tc = tcase_create("detect");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hybrid_like_this_host);
	tcase_add_test(tc, hybrid_missing_dir_is_not_usable);
	tcase_add_test(tc, v1_only_with_comounted_controllers);
	tcase_add_test(tc, v2_unified);
	tcase_add_test(tc, v2_partial_controllers_no_freeze);
	tcase_add_test(tc, v2_only_at_unified_subdir);
	tcase_add_test(tc, none_mounted);
	tcase_add_test(tc, prefix_is_component_wise_and_escapes_decoded);
	tcase_add_test(tc, ctrl_names_and_small_buffers);
	tcase_add_test(tc, real_host_is_consistent);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(suite)
