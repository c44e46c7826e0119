/* hvc top [--format F] NAME: the processes of a running container (every
 * pid of its cgroup, hvc exec's included) in ps -ef's columns, as docker top
 * shows them by default: UID PID PPID C STIME TTY TIME CMD, host pids. */
#include <getopt.h>
#include <pwd.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "format.h"
#include "hvc/container.h"

static const struct hvc_fmt_field top_fields[] = {
	{ "UID", "UID" },     { "PID", "PID" }, { "PPID", "PPID" }, { "C", "C" }, { "STIME", "STIME" },
	{ "TTY", "TTY" },     { "TIME", "TIME" }, { "CMD", "CMD" }, { NULL, NULL },
};
#define TOP_TABLE "table {{.UID}}\\t{{.PID}}\\t{{.PPID}}\\t{{.C}}\\t{{.STIME}}\\t{{.TTY}}\\t{{.TIME}}\\t{{.CMD}}"

/* /proc/PID/stat after the comm: fields 3.. (state is field 3). */
struct proc_stat {
	long ppid, tty_nr;
	unsigned long long utime, stime, starttime;
};

static int read_stat(pid_t pid, struct proc_stat *ps)
{
	_cleanup_free_ char *p = hvc_strdup_printf("/proc/%d/stat", (int)pid), *txt = NULL;
	if (hvc_read_file(p, &txt, NULL, NULL) < 0)
		return -1;
	char *s = strrchr(txt, ')');
	if (!s || sscanf(s + 2, "%*c %ld %*d %*d %ld %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
			 &ps->ppid, &ps->tty_nr, &ps->utime, &ps->stime, &ps->starttime) != 5)
		return -1;
	return 0;
}

static void user_of(pid_t pid, char *buf, size_t len)
{
	_cleanup_free_ char *p = hvc_strdup_printf("/proc/%d/status", (int)pid), *txt = NULL;
	unsigned uid = 0;
	const char *u = hvc_read_file(p, &txt, NULL, NULL) == 0 ? strstr(txt, "\nUid:") : NULL;
	if (u)
		sscanf(u + 5, "%u", &uid);
	struct passwd *pw = getpwuid(uid);
	snprintf(buf, len, "%s", pw ? pw->pw_name : "");
	if (!pw)
		snprintf(buf, len, "%u", uid);
}

static void cmd_of(pid_t pid, char *buf, size_t len)
{
	_cleanup_free_ char *p = hvc_strdup_printf("/proc/%d/cmdline", (int)pid), *txt = NULL;
	size_t n = 0;
	buf[0] = '\0';
	if (hvc_read_file(p, &txt, &n, NULL) < 0 || n == 0) {
		_cleanup_free_ char *c = hvc_strdup_printf("/proc/%d/comm", (int)pid), *comm = NULL;
		if (hvc_read_file(c, &comm, NULL, NULL) == 0)
			snprintf(buf, len, "[%.*s]", (int)strcspn(comm, "\n"), comm);
		return;
	}
	for (size_t i = 0; i + 1 < n; i++)
		if (txt[i] == '\0')
			txt[i] = ' ';
	snprintf(buf, len, "%s", txt);
}

static json_object *proc_row(pid_t pid, double uptime_s, time_t boot)
{
	struct proc_stat ps;
	if (read_stat(pid, &ps) < 0)
		return NULL; /* gone since cgroup.procs was read */
	long hz = sysconf(_SC_CLK_TCK);
	char buf[4096];
	json_object *row = json_object_new_object();
	user_of(pid, buf, sizeof(buf));
	hvc_json_add_string(row, "UID", buf);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	hvc_json_add_string(row, "PID", buf);
	snprintf(buf, sizeof(buf), "%ld", ps.ppid);
	hvc_json_add_string(row, "PPID", buf);
	double cpu_s = (double)(ps.utime + ps.stime) / (double)hz, age = uptime_s - (double)ps.starttime / (double)hz;
	snprintf(buf, sizeof(buf), "%d", age > 0 ? (int)(cpu_s * 100 / age) : 0);
	hvc_json_add_string(row, "C", buf);
	time_t started = boot + (time_t)(ps.starttime / (unsigned long long)hz);
	struct tm tm;
	localtime_r(&started, &tm);
	strftime(buf, sizeof(buf), "%H:%M", &tm);
	hvc_json_add_string(row, "STIME", buf);
	unsigned major = (unsigned)(ps.tty_nr >> 8) & 0xfff, minor = ((unsigned)ps.tty_nr & 0xff) | (((unsigned)ps.tty_nr >> 12) & 0xfff00);
	if (major >= 136 && major <= 143)
		snprintf(buf, sizeof(buf), "pts/%u", (major - 136) * 256 + minor);
	else
		snprintf(buf, sizeof(buf), "?");
	hvc_json_add_string(row, "TTY", buf);
	unsigned long t = (unsigned long)cpu_s;
	snprintf(buf, sizeof(buf), "%02lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	hvc_json_add_string(row, "TIME", buf);
	cmd_of(pid, buf, sizeof(buf));
	hvc_json_add_string(row, "CMD", buf);
	return row;
}

int hvc_cmd_top(int argc, char **argv)
{
	const char *format = NULL;
	int prc = hvc_cli_parse_format(argc, argv,
					 "Usage: hvc top [--format FORMAT] CONTAINER\n"
					 "The processes of a running container (its cgroup, hvc exec's included),\n"
					 "with host pids, in ps -ef's columns.\n\n"
					 "  --format F   json, table [TEMPLATE] or a template such as '{{.PID}} {{.CMD}}'\n"
					 "               fields: UID PID PPID C STIME TTY TIME CMD\n",
					 &format);
	if (prc >= 0)
		return prc;
	if (optind + 1 != argc)
		return hvc_cli_usage_error("top", "exactly one container expected (ps options are not taken)");
	struct hvc_error err = { 0 };
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(format, TOP_TABLE, top_fields, &err);
	if (!fmt)
		return hvc_cli_fail("top", &err, HVC_EXIT_USAGE);
	char id[HVC_CTR_ID_LEN + 1];
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (hvc_ctr_lookup(argv[optind], id, &err) < 0 || hvc_ctr_pids(id, &pids, &n, &err) < 0)
		return hvc_cli_fail("top", &err, HVC_EXIT_FAIL);
	_cleanup_free_ char *up = NULL;
	double uptime_s = 0;
	if (hvc_read_file("/proc/uptime", &up, NULL, NULL) == 0)
		uptime_s = strtod(up, NULL);
	time_t boot = time(NULL) - (time_t)uptime_s;
	_cleanup_json_ json_object *rows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *r = proc_row(pids[i], uptime_s, boot);
		if (r)
			json_object_array_add(rows, r);
	}
	hvc_fmt_print(fmt, rows, stdout);
	return 0;
}
