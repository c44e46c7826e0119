/* container_spec: what `hvc run`'s option values mean for the container
 * (engine/runtime/container_options.c: --cpus, --cpuset-cpus, -m, ...),
 * --entrypoint as typed, and the supervised start's protocol with its
 * callbacks (engine/runtime/runtime_supervise.c: a start that fails before
 * hvc_ctr_start, so no root is needed). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hvc/container.h"
#include "check_main.h"

static struct hvc_ctr_spec S;
static struct hvc_error E;

static void setup(void)
{
	hvc_ctr_spec_init(&S);
	memset(&E, 0, sizeof(E));
}

static void teardown(void)
{
	hvc_ctr_spec_free(&S);
}

START_TEST(memory)
{
	ck_assert_int_eq(hvc_ctr_opt_memory(&S, "64m", &E), 0);
	ck_assert_uint_eq(S.limits.memory, 64u << 20);
	ck_assert_int_lt(hvc_ctr_opt_memory(&S, "5m", &E), 0);
	ck_assert_str_eq(E.msg, "--memory \"5m\": the minimum is 6m");
	ck_assert_uint_eq(S.limits.memory, 64u << 20);
	ck_assert_int_lt(hvc_ctr_opt_memory(&S, "lots", &E), 0);
	ck_assert(strncmp(E.msg, "--memory: ", 10) == 0);
}
END_TEST

START_TEST(cpus)
{
	ck_assert_int_eq(hvc_ctr_opt_cpus(&S, "1.5", &E), 0);
	ck_assert(S.limits.cpus == 1.5);
	ck_assert_int_eq(hvc_ctr_opt_cpus(&S, "1024", &E), 0);
	static const char *bad[] = { "0", "-1", "", "2x", "nan", "inf", "1025", "1e400" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hvc_ctr_opt_cpus(&S, bad[i], &E) < 0, "--cpus %s accepted", bad[i]);
		char want[64];
		snprintf(want, sizeof(want), "--cpus \"%s\": not a positive number", bad[i]);
		ck_assert_str_eq(E.msg, want);
	}
	ck_assert(S.limits.cpus == 1024);
}
END_TEST

START_TEST(cpuset)
{
	ck_assert_int_eq(hvc_ctr_opt_cpuset(&S, "0-1,3", &E), 0);
	ck_assert_str_eq(S.limits.cpuset, "0-1,3");
	ck_assert_int_eq(hvc_ctr_opt_cpuset(&S, "2", &E), 0);
	ck_assert_str_eq(S.limits.cpuset, "2");
	ck_assert_int_lt(hvc_ctr_opt_cpuset(&S, "", &E), 0);
	ck_assert_str_eq(E.msg, "--cpuset-cpus \"\": not a CPU list like 0-1,3");
	ck_assert_int_lt(hvc_ctr_opt_cpuset(&S, "0 1", &E), 0);
	ck_assert_int_lt(hvc_ctr_opt_cpuset(&S, "all", &E), 0);
	ck_assert_str_eq(S.limits.cpuset, "2");
}
END_TEST

START_TEST(pids_and_network)
{
	ck_assert_int_eq(hvc_ctr_opt_pids(&S, "64", &E), 0);
	ck_assert_int_eq(S.limits.pids, 64);
	ck_assert_int_eq(hvc_ctr_opt_pids(&S, "-1", &E), 0); /* Docker: unlimited */
	ck_assert_int_eq(S.limits.pids, 0);
	ck_assert_int_lt(hvc_ctr_opt_pids(&S, "0", &E), 0);
	ck_assert_str_eq(E.msg, "--pids-limit \"0\": not a positive number");
	ck_assert_int_lt(hvc_ctr_opt_pids(&S, "-2", &E), 0);
	ck_assert_int_lt(hvc_ctr_opt_pids(&S, "7k", &E), 0);

	ck_assert_int_eq(hvc_ctr_opt_network(&S, "host", &E), 0);
	ck_assert_int_eq(S.net, HVC_CTR_NET_HOST);
	ck_assert_int_eq(hvc_ctr_opt_network(&S, "none", &E), 0);
	ck_assert_int_eq(S.net, HVC_CTR_NET_NONE);
	ck_assert_int_eq(hvc_ctr_opt_network(&S, "bridge", &E), 0); /* issue 13: bridge networks */
	ck_assert_int_eq(S.net, HVC_CTR_NET_BRIDGE);
	ck_assert_int_lt(hvc_ctr_opt_network(&S, "no/such", &E), 0);
	ck_assert_str_eq(E.msg, "--network \"no/such\": expected none, host, bridge, container:NAME or a network's name");
}
END_TEST

START_TEST(security_opt)
{
	ck_assert_int_eq(hvc_ctr_opt_security(&S, "no-new-privileges", &E), 0);
	ck_assert_int_eq(hvc_ctr_opt_security(&S, "no-new-privileges:true", &E), 0);
	ck_assert_int_eq(S.seccomp, HVC_CTR_SECCOMP_DEFAULT);
	ck_assert_int_eq(hvc_ctr_opt_security(&S, "seccomp:unconfined", &E), 0);
	ck_assert_int_eq(S.seccomp, HVC_CTR_SECCOMP_UNCONFINED);
	ck_assert_int_lt(hvc_ctr_opt_security(&S, "seccomp=/nonexistent/p.json", &E), 0);
	ck_assert_str_eq(E.msg, "seccomp profile `/nonexistent/p.json`: No such file or directory");
	ck_assert_int_eq(S.seccomp, HVC_CTR_SECCOMP_UNCONFINED);
	ck_assert_int_lt(hvc_ctr_opt_security(&S, "apparmor=x", &E), 0);
	ck_assert(strstr(E.msg, "--security-opt \"apparmor=x\": unsupported") == E.msg);

	/* a relative profile is made absolute: others read it from elsewhere */
	char dir[] = "/tmp/hvc-test-secopt-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char cwd[4096];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	FILE *f = fopen("p.json", "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(hvc_ctr_opt_security(&S, "seccomp=p.json", &E), 0);
	ck_assert_int_eq(S.seccomp, HVC_CTR_SECCOMP_FILE);
	char want[4200];
	snprintf(want, sizeof(want), "%s/p.json", dir);
	ck_assert_str_eq(S.seccomp_file, want);
	unlink("p.json");
	ck_assert_int_eq(chdir(cwd), 0);
	rmdir(dir);
}
END_TEST

START_TEST(workdir_volumes_tmpfs)
{
	ck_assert_int_lt(hvc_ctr_opt_workdir(&S, "srv", &E), 0);
	ck_assert_str_eq(E.msg, "working directory \"srv\" must be absolute");
	ck_assert_int_eq(hvc_ctr_opt_workdir(&S, "/srv", &E), 0);
	ck_assert_str_eq(S.workdir, "/srv");

	ck_assert_int_eq(hvc_ctr_opt_volume(&S, "/tmp:/data:ro", &E), 0);
	ck_assert_int_lt(hvc_ctr_opt_volume(&S, "/nonexistent-hvc:/x", &E), 0);
	ck_assert_int_lt(hvc_ctr_opt_tmpfs(&S, "run", &E), 0);
	ck_assert_str_eq(E.msg, "--tmpfs \"run\": path must be absolute");
	ck_assert_int_eq(hvc_ctr_opt_tmpfs(&S, "/run:size=64m", &E), 0);
	ck_assert_uint_eq(S.n_vols, 2);
	ck_assert_str_eq(S.vols[0].src, "/tmp");
	ck_assert_str_eq(S.vols[0].dst, "/data");
	ck_assert(S.vols[0].ro && !S.vols[0].tmpfs);
	ck_assert_ptr_null(S.vols[1].src);
	ck_assert_str_eq(S.vols[1].dst, "/run");
	ck_assert(S.vols[1].tmpfs);
}
END_TEST

START_TEST(caps_add_then_drop)
{
	uint64_t net_raw = 0, chown = 0, sys_admin = 0;
	hvc_ctr_cap_parse("NET_RAW", &net_raw, NULL);
	hvc_ctr_cap_parse("CHOWN", &chown, NULL);
	hvc_ctr_cap_parse("SYS_ADMIN", &sys_admin, NULL);
	char *add[] = { "SYS_ADMIN", "NET_RAW", NULL };
	char *drop[] = { "net_raw", "CAP_CHOWN", NULL };
	ck_assert_int_eq(hvc_ctr_opt_caps(&S, add, drop, &E), 0);
	ck_assert(S.caps & sys_admin);
	ck_assert(!(S.caps & net_raw)); /* the drop wins */
	ck_assert(!(S.caps & chown));
	char *all[] = { "ALL", NULL };
	ck_assert_int_eq(hvc_ctr_opt_caps(&S, NULL, all, &E), 0);
	ck_assert_uint_eq(S.caps, 0);
	char *bad[] = { "NOT_A_CAP", NULL };
	ck_assert_int_lt(hvc_ctr_opt_caps(&S, bad, NULL, &E), 0);
	ck_assert(strncmp(E.msg, "--cap-add: ", 11) == 0);
	ck_assert_int_lt(hvc_ctr_opt_caps(&S, NULL, bad, &E), 0);
	ck_assert(strncmp(E.msg, "--cap-drop: ", 12) == 0);
}
END_TEST

START_TEST(entrypoint_as_typed)
{
	char *cmd[] = { "-c", "true", NULL };
	/* a rootfs directory has no config: the command is all there is */
	ck_assert_int_eq(hvc_ctr_spec_set_image_entrypoint(&S, "/tmp", cmd, NULL, &E), 0);
	ck_assert_uint_eq(hvc_strv_len(S.argv), 2);
	ck_assert_str_eq(S.argv[0], "-c");
	/* one word, not split */
	ck_assert_int_eq(hvc_ctr_spec_set_image_entrypoint(&S, "/tmp", cmd, "/bin/sh -x", &E), 0);
	ck_assert_uint_eq(hvc_strv_len(S.argv), 3);
	ck_assert_str_eq(S.argv[0], "/bin/sh -x");
	ck_assert_str_eq(S.argv[2], "true");
	/* "" clears the entrypoint: with no command left, nothing to run */
	ck_assert_int_lt(hvc_ctr_spec_set_image_entrypoint(&S, "/tmp", NULL, "", &E), 0);
	ck_assert(strstr(E.msg, "no command") != NULL);
	ck_assert_int_eq(hvc_ctr_spec_set_image_entrypoint(&S, "/tmp", cmd, "", &E), 0);
	ck_assert_str_eq(S.argv[0], "-c");
}
END_TEST

/* ---------- the supervised start ------------------------------------- */

struct sup_probe {
	int r, w;
	bool fail_setup;
	pid_t caller_sid;
};

static int probe_setup(void *data)
{
	struct sup_probe *p = data;
	close(p->r);
	return p->fail_setup ? -1 : 0;
}

static int probe_prepare(void *data, struct hvc_ctr_spec *s, struct hvc_error *err)
{
	(void)data;
	/* the spec arrives initialised, as hvc_ctr_spec_init leaves it */
	if (!s->init || s->caps != hvc_ctr_caps_default())
		return hvc_err(err, 0, "spec not initialised");
	return hvc_err(err, ENOENT, "image `nope`");
}

static void probe_failed(void *data, int hint, const struct hvc_error *err)
{
	struct sup_probe *p = data;
	char msg[sizeof(err->msg) + 16];
	int n = snprintf(msg, sizeof(msg), "E%03d%s|%d", hint, err->msg, getsid(0) != p->caller_sid);
	ck_assert_int_eq(write(p->w, msg, (size_t)n), n);
}

static void probe_started(void *data, struct hvc_ctr *c)
{
	(void)data, (void)c;
	abort(); /* the start cannot succeed here */
}

static int run_probe(bool detach, bool fail_setup, char *buf, size_t len, int *status)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct sup_probe probe = { .r = p[0], .w = p[1], .fail_setup = fail_setup,
				   .caller_sid = getsid(0) };
	struct hvc_ctr_supervisor sup = {
		.detach = detach, .data = &probe,
		.io = { .in_fd = -1, .out_fd = -1, .err_fd = -1 },
		.setup = probe_setup, .prepare = probe_prepare,
		.failed = probe_failed, .started = probe_started,
	};
	struct hvc_error err = { 0 };
	pid_t pid = hvc_ctr_supervise(&sup, &err);
	close(p[1]);
	ck_assert_int_ge(pid, 0);
	ssize_t n = read(p[0], buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (pid > 0)
		ck_assert_int_eq(waitpid(pid, status, 0), pid);
	return pid;
}

START_TEST(supervise_reports_a_failed_start)
{
	char buf[1024];
	int status = 0;
	ck_assert_int_gt(run_probe(false, false, buf, sizeof(buf), &status), 0);
	/* exit hint 125, the message, and the supervisor out of the caller's session */
	ck_assert_str_eq(buf, "E125image `nope`: No such file or directory|1");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 125);

	/* a setup that fails: the supervisor exits 125 without a report */
	ck_assert_int_gt(run_probe(false, true, buf, sizeof(buf), &status), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(WEXITSTATUS(status), 125);

	/* detached: the call reaps the intermediate process and returns 0; the
	 * report still arrives from the supervisor */
	ck_assert_int_eq(run_probe(true, false, buf, sizeof(buf), &status), 0);
	ck_assert_str_eq(buf, "E125image `nope`: No such file or directory|1");
}
END_TEST

static Suite *container_spec_suite(void)
{
	Suite *s = suite_create("container_spec");
	TCase *tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, memory);
	tcase_add_test(tc, cpus);
	tcase_add_test(tc, cpuset);
	tcase_add_test(tc, pids_and_network);
	tcase_add_test(tc, security_opt);
	tcase_add_test(tc, workdir_volumes_tmpfs);
	tcase_add_test(tc, caps_add_then_drop);
	tcase_add_test(tc, entrypoint_as_typed);
	suite_add_tcase(s, tc);
	TCase *sup = tcase_create("supervise");
	tcase_add_test(sup, supervise_reports_a_failed_start);
	suite_add_tcase(s, sup);
	return s;
}

HVC_CHECK_MAIN(container_spec_suite)
