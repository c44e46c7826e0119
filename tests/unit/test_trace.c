/* trace: the sink's two formats, the cost when off (arguments unevaluated,
 * nothing written), and the relay from a child — forked, and vforked
 * (sharing memory, as the container's first process does). */
#include "check_main.h"
#include "hvc/trace.h"
#include "hvc/vm.h"
#include "../../vmdriver/vm-internal.h" /* the guest's HVC-TRACE lines */
#include "../../guest/init.h" /* HVC_READY_MARKER */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Everything written to p[0] so far (the write end closed by the caller). */
static char *slurp(int fd)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(mode_parse)
{
	ck_assert_int_eq(hvc_trace_mode_parse(NULL), HVC_TRACE_TEXT);
	ck_assert_int_eq(hvc_trace_mode_parse("text"), HVC_TRACE_TEXT);
	ck_assert_int_eq(hvc_trace_mode_parse("json"), HVC_TRACE_JSON);
	ck_assert_int_eq(hvc_trace_mode_parse("JSON "), -1);
	ck_assert_int_eq(hvc_trace_mode_parse(""), -1);
}
END_TEST

static int evaluated;
static const char *side_effect(void)
{
	evaluated++;
	return "x";
}

START_TEST(off_costs_nothing)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	hvc_trace_stop();
	evaluated = 0;
	HVC_TRACE("never", "%s", side_effect());
	ck_assert_int_eq(evaluated, 0);
	ck_assert(!hvc_trace_on());
	ck_assert_uint_eq(hvc_trace_t0(), 0);
	/* on: evaluated once, one line */
	hvc_trace_start(HVC_TRACE_TEXT, p[1], "test");
	HVC_TRACE("once", "%s", side_effect());
	hvc_trace_stop();
	HVC_TRACE("never", "%s", side_effect());
	ck_assert_int_eq(evaluated, 1);
	close(p[1]);
	char *out = slurp(p[0]);
	ck_assert_uint_eq(count_lines(out), 1);
	ck_assert_ptr_nonnull(strstr(out, "once"));
	free(out);
	close(p[0]);
}
END_TEST

START_TEST(text_line)
{
	char buf[512];
	hvc_trace_start(HVC_TRACE_TEXT, -1, "hvc");
	uint64_t t0 = hvc_trace_t0();
	hvc_trace_format(HVC_TRACE_TEXT, t0 + 1500000, "ctr", "mount", "proc on /proc", buf, sizeof(buf));
	hvc_trace_stop();
	ck_assert_str_eq(buf, "trace     1.500 ms  ctr   mount            proc on /proc\n");
}
END_TEST

START_TEST(json_line)
{
	char buf[512];
	hvc_trace_start(HVC_TRACE_JSON, -1, "hvc");
	uint64_t t0 = hvc_trace_t0();
	hvc_trace_format(HVC_TRACE_JSON, t0 + 2000123, "hvc", "cgroup.write", "a \"quoted\"\nline `/sys/x`", buf,
			 sizeof(buf));
	hvc_trace_stop();
	size_t n = strlen(buf);
	ck_assert(n > 0 && buf[n - 1] == '\n');
	ck_assert_ptr_null(memchr(buf, '\n', n - 1)); /* one line: the newline in msg escaped */
	json_object *o = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(o, "ts_ns")), (int64_t)(t0 + 2000123));
	ck_assert_double_eq_tol(json_object_get_double(json_object_object_get(o, "elapsed_ms")), 2.0, 1e-9);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "src")), "hvc");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "event")), "cgroup.write");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "msg")), "a \"quoted\"\nline `/sys/x`");
	json_object_put(o);
}
END_TEST

START_TEST(long_message_stays_one_line)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	hvc_trace_start(HVC_TRACE_TEXT, p[1], "hvc");
	char big[8192];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	HVC_TRACE("big", "%s", big);
	hvc_trace_stop();
	close(p[1]);
	char *out = slurp(p[0]);
	ck_assert_uint_eq(count_lines(out), 1);
	ck_assert(out[strlen(out) - 1] == '\n');
	free(out);
	close(p[0]);
}
END_TEST

/* The events of a child, relayed in order with their own (monotonic)
 * timestamps, tagged with the relay's source; the parent's after them. */
static void check_relayed(const char *out, int n_child)
{
	const char *line = out;
	int64_t prev = 0;
	for (int i = 0; i <= n_child; i++) {
		json_object *o = json_tokener_parse(line);
		ck_assert_msg(o != NULL, "line %d is not JSON: %s", i, line);
		int64_t ts = json_object_get_int64(json_object_object_get(o, "ts_ns"));
		ck_assert(ts >= prev);
		prev = ts;
		const char *src = json_object_get_string(json_object_object_get(o, "src"));
		const char *msg = json_object_get_string(json_object_object_get(o, "msg"));
		char want[32];
		snprintf(want, sizeof(want), "step %d", i);
		ck_assert_str_eq(src, i < n_child ? "ctr" : "hvc");
		ck_assert_str_eq(msg, want);
		json_object_put(o);
		line = strchr(line, '\n') + 1;
	}
	ck_assert_str_eq(line, "");
}

START_TEST(relay_from_forked_child)
{
	int sink[2], relay[2];
	ck_assert_int_eq(pipe(sink), 0);
	ck_assert_int_eq(hvc_trace_relay_open(relay), 0);
	hvc_trace_start(HVC_TRACE_JSON, sink[1], "hvc");
	hvc_trace_relay_begin(relay[1], "ctr");
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			HVC_TRACE("step", "step %d", i);
		_exit(0);
	}
	hvc_trace_relay_end();
	close(relay[1]);
	waitpid(pid, NULL, 0);
	hvc_trace_relay_drain(relay[0], true);
	HVC_TRACE("step", "step %d", 3);
	hvc_trace_stop();
	close(sink[1]);
	char *out = slurp(sink[0]);
	check_relayed(out, 3);
	free(out);
	close(sink[0]);
	close(relay[0]);
}
END_TEST

/* vfork: the child shares our memory, as the container's first process
 * does (CLONE_VM | CLONE_VFORK); what it emits must not change what the
 * parent sees of the trace's state. */
START_TEST(relay_from_vforked_child)
{
	int sink[2], relay[2];
	ck_assert_int_eq(pipe(sink), 0);
	ck_assert_int_eq(hvc_trace_relay_open(relay), 0);
	hvc_trace_start(HVC_TRACE_JSON, sink[1], "hvc");
	hvc_trace_relay_begin(relay[1], "ctr");
	pid_t pid = vfork();
	if (pid == 0) {
		HVC_TRACE("step", "step %d", 0);
		HVC_TRACE("step", "step %d", 1);
		_exit(0);
	}
	hvc_trace_relay_end();
	close(relay[1]);
	waitpid(pid, NULL, 0);
	hvc_trace_relay_drain(relay[0], true);
	HVC_TRACE("step", "step %d", 2);
	hvc_trace_stop();
	close(sink[1]);
	char *out = slurp(sink[0]);
	check_relayed(out, 2);
	free(out);
	close(sink[0]);
	close(relay[0]);
}
END_TEST

/* Nobody reads while a vfork child runs: a full relay pipe drops events
 * instead of blocking the child forever. */
START_TEST(full_relay_never_blocks)
{
	int relay[2];
	ck_assert_int_eq(hvc_trace_relay_open(relay), 0);
	hvc_trace_start(HVC_TRACE_TEXT, -1, "hvc");
	hvc_trace_relay_begin(relay[1], "ctr");
	uint64_t t = hvc_now_ns();
	for (int i = 0; i < 5000; i++)
		HVC_TRACE("flood", "event %d", i);
	hvc_trace_relay_end();
	hvc_trace_stop();
	ck_assert(hvc_now_ns() - t < 5000000000ull);
	close(relay[0]);
	close(relay[1]);
}
END_TEST

/* The guest's milestones: hvc-init's "HVC-TRACE <ms> <event> <text>" lines
 * before READY become guest.<event> events; other boot lines do not; the
 * console still finds READY and passes no boot line on as output. */
static void count_output(void *opaque, const char *buf, size_t len)
{
	(void)buf;
	*(size_t *)opaque += len;
}

START_TEST(guest_milestones_from_the_console)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	hvc_trace_start(HVC_TRACE_JSON, p[1], "hvc");
	size_t out_bytes = 0;
	struct hvc_vm_console con = { .output = count_output, .opaque = &out_bytes };
	const char boot[] = "[    0.000000] Linux version 6.1.0\r\n"
			    "HVC-TRACE 4487 start the kernel ran /init (hvc-init) as PID 1\n"
			    "HVC-TRACE 12\n"              /* malformed: no event */
			    "hvc-init: HVC-TRACE 1 x y\n" /* not at the line's start */
			    "HVC-TRACE 4661 command about to run true\n" HVC_READY_MARKER "\n";
	hvc_vm_console_feed(&con, boot, sizeof(boot) - 1);
	hvc_trace_stop();
	close(p[1]);
	char *out = slurp(p[0]);
	close(p[0]);
	ck_assert(con.ready);
	ck_assert_uint_eq(out_bytes, 0);
	ck_assert_uint_eq(count_lines(out), 2);
	json_object *o = json_tokener_parse(out);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "src")), "guest");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "event")), "guest.start");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "msg")),
			 "the kernel ran /init (hvc-init) as PID 1 (guest clock: 4487 ms after its kernel started)");
	json_object_put(o);
	ck_assert_ptr_nonnull(strstr(out, "\"event\":\"guest.command\""));
	free(out);
}
END_TEST

START_TEST(guest_cmdline_flag)
{
	char *c = vm_trace_cmdline(hvc_xstrdup("console=ttyS0 quiet"));
	ck_assert_str_eq(c, "console=ttyS0 quiet hvc.trace=1");
	free(c);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, mode_parse);
	tcase_add_test(tc, off_costs_nothing);
	tcase_add_test(tc, text_line);
	tcase_add_test(tc, json_line);
	tcase_add_test(tc, long_message_stays_one_line);
	tcase_add_test(tc, relay_from_forked_child);
	tcase_add_test(tc, relay_from_vforked_child);
	tcase_add_test(tc, full_relay_never_blocks);
	tcase_add_test(tc, guest_milestones_from_the_console);
	tcase_add_test(tc, guest_cmdline_flag);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(trace_suite)
