/* The host probe and its parts that need no fakes: hwloc topology and PU
 * pinning order, probe-in-child error transport, namespace/overlay/seccomp
 * probes leaving nothing behind, the JSON object's shape and its table. */
#include <sys/stat.h>
#include "check_main.h"
#include "hvc/bench.h"
#include "hvc/host.h"
#include "hvc/topology.h"
#include <check.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

START_TEST(topology_counts_agree)
{
	struct hvc_topology t;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_topology_probe(&t, &err), 0);
	ck_assert_int_ge(t.sockets, 1);
	ck_assert_int_ge(t.cores, t.sockets);
	ck_assert_int_ge(t.pus, t.cores);
	ck_assert_int_ge(t.numa_nodes, 1);
	ck_assert_uint_gt(t.mem_total, 0);
	ck_assert_int_eq(hvc_topology_pu_count(&err), t.pus);
	ck_assert(t.arch[0]);
}
END_TEST

START_TEST(pu_order_distinct_and_complete)
{
	struct hvc_error err = {0};
	struct hvc_topology t;
	ck_assert_int_eq(hvc_topology_probe(&t, &err), 0);
	_cleanup_free_ int *ids = NULL;
	size_t n = 0;
	ck_assert_int_eq(hvc_topology_pus(&ids, &n, &err), 0);
	ck_assert_uint_eq(n, (size_t)t.pus);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_ge(ids[i], 0);
		for (size_t j = i + 1; j < n; j++)
			ck_assert_int_ne(ids[i], ids[j]);
		/* every id is a real CPU */
		char p[64];
		snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%d", ids[i]);
		ck_assert(hvc_path_exists(p));
	}
}
END_TEST

static int fails_with_enoent(void *arg, struct hvc_error *err)
{
	return hvc_err(err, ENOENT, "open `%s`", (const char *)arg);
}

static int succeeds(void *arg, struct hvc_error *err)
{
	(void)err;
	return *(int *)arg;
}

static int dies(void *arg, struct hvc_error *err)
{
	(void)arg;
	(void)err;
	_exit(3);
}

START_TEST(probe_in_child_carries_errors)
{
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_probe_in_child(fails_with_enoent, "/x", &err), -ENOENT);
	ck_assert_str_eq(err.msg, "open `/x`: No such file or directory");
	ck_assert_int_eq(err.code, ENOENT);
	int v = 7;
	ck_assert_int_eq(hvc_probe_in_child(succeeds, &v, &err), 7);
	ck_assert_int_lt(hvc_probe_in_child(dies, NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "status 3"));
}
END_TEST

START_TEST(namespaces_all_named)
{
	struct hvc_probe_ns ns[HVC_PROBE_NS_MAX];
	size_t n = hvc_probe_namespaces(ns);
	ck_assert_uint_eq(n, HVC_PROBE_NS_MAX);
	const char *want[] = {"mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"};
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(ns[i].name, want[i]);
		ck_assert(ns[i].ok || ns[i].error != 0);
	}
}
END_TEST

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(overlay_probe_cleans_up)
{
	char dir[] = "/tmp/hvc-ovltest.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_error err = {0};
	int rc = hvc_probe_overlayfs(dir, &err);
	if (getuid() == 0)
		ck_assert_msg(rc == 0 || err.msg[0], "overlay probe failed without a reason");
	else
		ck_assert_int_lt(rc, 0);
	ck_assert_uint_eq(count_entries(dir), 0);
	_cleanup_free_ char *mi = NULL;
	ck_assert_int_eq(hvc_read_file("/proc/self/mountinfo", &mi, NULL, &err), 0);
	ck_assert_ptr_null(strstr(mi, "overlay-probe"));
	rmdir(dir);
	ck_assert_int_lt(hvc_probe_overlayfs("/nonexistent-dir", &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-dir"));
}
END_TEST

START_TEST(seccomp_probe_does_not_touch_caller)
{
	struct hvc_error err = {0};
	int rc = hvc_probe_seccomp(&err);
	ck_assert(rc == 0 || err.msg[0]);
	/* the filter was loaded in a child: getppid still works here */
	ck_assert_int_gt(getppid(), 0);
	char v[32];
	ck_assert(hvc_probe_seccomp_version(v, sizeof(v))[0]);
}
END_TEST

START_TEST(cpufreq_from_sysfs)
{
	char dir[] = "/tmp/hvc-cpufreq.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct hvc_error err = {0};
	/* no cpufreq interface: both facts null, not guessed */
	json_object *o = hvc_host_cpufreq(dir);
	ck_assert(json_object_object_get_ex(o, "governor", NULL));
	ck_assert_ptr_null(hvc_json_get(o, "governor"));
	ck_assert_ptr_null(hvc_json_get(o, "driver"));
	json_object_put(o);
	_cleanup_free_ char *cf = hvc_path_join(dir, "cpufreq");
	ck_assert_int_eq(mkdir(cf, 0755), 0);
	_cleanup_free_ char *g = hvc_path_join(dir, "cpufreq/scaling_governor");
	_cleanup_free_ char *d = hvc_path_join(dir, "cpufreq/scaling_driver");
	ck_assert_int_eq(hvc_write_file(g, "powersave\n", 10, 0644, &err), 0);
	ck_assert_int_eq(hvc_write_file(d, "intel_pstate\n", 13, 0644, &err), 0);
	o = hvc_host_cpufreq(dir);
	ck_assert_str_eq(hvc_json_get_string(o, "governor"), "powersave");
	ck_assert_str_eq(hvc_json_get_string(o, "driver"), "intel_pstate");
	json_object_put(o);
	hvc_rm_rf(dir, &err);
}
END_TEST

START_TEST(host_probe_shape_and_table)
{
	char dir[] = "/tmp/hvc-hosttest.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	hvc_set_root(dir);
	json_object *o = NULL;
	struct hvc_error err = {0};
	ck_assert_int_eq(hvc_host_probe(&o, &err), 0);
	ck_assert_str_eq(hvc_json_get_string(o, "schema"), "hvc-host/1");
	const char *sections[] = {"hvc",    "kernel",	 "cpu",		  "memory",
				  "cgroup", "isolation", "virtualization"};
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		ck_assert_msg(hvc_json_get(o, sections[i]) != NULL, "no section %s", sections[i]);
	const char *mode = hvc_json_get_string(hvc_json_get(o, "cgroup"), "mode");
	ck_assert(!strcmp(mode, "v1") || !strcmp(mode, "v2") || !strcmp(mode, "hybrid") ||
		  !strcmp(mode, "none"));
	const char *accel = hvc_json_get_string(hvc_json_get(o, "virtualization"), "accel");
	ck_assert(!strcmp(accel, "kvm") || !strcmp(accel, "tcg"));

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	hvc_host_print(f, o);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "Accelerator"));
	ck_assert_ptr_nonnull(strstr(buf, "cgroups"));
	free(buf);

	/* the table survives an object with nothing in it */
	json_object *empty = json_object_new_object();
	f = open_memstream(&buf, &len);
	hvc_host_print(f, empty);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "Accelerator"));
	free(buf);
	json_object_put(empty);
	json_object_put(o);
	hvc_rm_rf(dir, &err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("host");
	TCase *tc = tcase_create("probe");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, topology_counts_agree);
	tcase_add_test(tc, pu_order_distinct_and_complete);
	tcase_add_test(tc, probe_in_child_carries_errors);
	tcase_add_test(tc, namespaces_all_named);
	tcase_add_test(tc, overlay_probe_cleans_up);
	tcase_add_test(tc, seccomp_probe_does_not_touch_caller);
	tcase_add_test(tc, host_probe_shape_and_table);
	tcase_add_test(tc, cpufreq_from_sysfs);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(suite)
