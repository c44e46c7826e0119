/* hvc-workload forkexec: process creation rate. Each round forks, the child
 * execs this same static binary as `hvc-workload exit CODE` (which exits at
 * once with CODE), and the parent waits for it: fork + exec + exit + wait,
 * the life cycle of a shell command. Runs for --seconds (or exactly --count
 * processes, shared out between the threads, repeated in whole rounds until
 * --min-seconds have passed); --threads N runs N
 * such loops concurrently. Validated: every child must exit with the code
 * it was given, proving the exec really ran this program. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

#define FORKEXEC_DEFAULT_SECONDS 1.0

struct fe_thread {
	const char *self;
	unsigned id;
	double deadline;
	unsigned long quota; /* processes to run, 0 = until the deadline */
	bool corrupt;
	unsigned long done, wrong;
	int err; /* errno of the first fork/wait failure */
	char detail[160];
	double end;
};

/* Our own executable: /proc/self/exe when /proc is mounted (containers,
 * VMs after hvc-init), else argv[0] as given or searched in PATH. */
static int find_self(const char *argv0, char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n > 0) {
		out[n] = '\0';
		if (access(out, X_OK) == 0)
			return 0;
	}
	if (strchr(argv0, '/')) {
		snprintf(out, len, "%s", argv0);
		return access(out, X_OK);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	while (*path) {
		size_t seg = strcspn(path, ":");
		snprintf(out, len, "%.*s/%s", (int)seg, path, argv0);
		struct stat st;
		if (seg && stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		path += seg + (path[seg] == ':');
	}
	return -1;
}

static void *fe_worker(void *arg)
{
	struct fe_thread *t = arg;
	char code[16];
	do {
		if (t->quota && t->done >= t->quota)
			break;
		int want = 1 + (int)((t->done * 7 + t->id) % 100);
		snprintf(code, sizeof(code), "%d", want);
		char *const argv[] = {(char *)t->self, "exit", code, NULL};
		pid_t pid = fork();
		if (pid < 0) {
			t->err = errno;
			snprintf(t->detail, sizeof(t->detail), "fork");
			break;
		}
		if (pid == 0) {
			execv(t->self, argv);
			_exit(127);
		}
		int status;
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				t->err = errno;
				snprintf(t->detail, sizeof(t->detail), "waitpid");
				goto out;
			}
		}
		if (t->corrupt && t->done == 0)
			want += 1;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != want) {
			if (!t->wrong)
				snprintf(
				    t->detail, sizeof(t->detail),
				    "child %ld exited with status 0x%x, expected exit code %d%s",
				    (long)pid, status, want,
				    WIFEXITED(status) && WEXITSTATUS(status) == 127
					? " (exec failed)"
					: "");
			t->wrong++;
		}
		t->done++;
	} while (t->quota || wl_now() < t->deadline);
out:
	t->end = wl_now();
	return NULL;
}

/* A round's outcome: the first failure as the failure line (returns 1), or
 * its processes added to *n and the latest end in *end (returns 0). */
static int fe_check_round(const struct wl_opts *o, const struct fe_thread *t, unsigned nt,
			  double *end, double *n)
{
	for (unsigned i = 0; i < nt; i++) {
		if (t[i].err)
			return wl_fail(o->name, "%s: %s (after %lu processes)", t[i].detail,
				       strerror(t[i].err), t[i].done);
		if (t[i].wrong)
			return wl_fail(o->name,
				       "%lu of %lu children did not run correctly; first: %s",
				       t[i].wrong, t[i].done, t[i].detail);
		*end = t[i].end > *end ? t[i].end : *end;
		*n += (double)t[i].done;
	}
	return 0;
}

int wl_forkexec(const struct wl_opts *o)
{
	double seconds = o->seconds < 0 ? FORKEXEC_DEFAULT_SECONDS : o->seconds;
	char self[PATH_MAX];
	if (find_self(o->self, self, sizeof(self)) < 0)
		return wl_fail(o->name,
			       "cannot find my own executable (argv[0] \"%s\", no /proc/self/exe)",
			       o->self);
	struct fe_thread *t = calloc(o->threads, sizeof(*t));
	if (!t)
		return wl_fail(o->name, "allocate: %s", strerror(ENOMEM));
	fflush(stdout); /* nothing buffered may be duplicated into children */
	if (seconds < o->min_seconds)
		seconds = o->min_seconds;
	unsigned nt = o->threads;
	if (o->count && nt > o->count)
		nt = (unsigned)o->count; /* every thread runs at least one process */
	double start = wl_now(), end = 0, n = 0;
	int rc;
	/* One round without --count; with it, whole rounds of --count processes
	 * until --min-seconds have passed. */
	do {
		for (unsigned i = 0; i < nt; i++)
			t[i] = (struct fe_thread){
			    .self = self,
			    .id = i,
			    .deadline = start + seconds,
			    .corrupt = o->corrupt && n == 0,
			    .quota = (unsigned long)(o->count * (i + 1) / nt - o->count * i / nt)};
		int e = wl_run_threads(nt, fe_worker, t, sizeof(*t));
		if (e < 0) {
			rc = wl_fail(o->name, "start %u threads: %s", nt, strerror(-e));
			goto out;
		}
		if ((rc = fe_check_round(o, t, nt, &end, &n)) != 0)
			goto out;
	} while (o->count && end - start < o->min_seconds);
	struct wl_result r;
	wl_result_begin(&r, o->name);
	wl_result_str(&r, "exec", self);
	wl_result_int(&r, "threads", nt);
	wl_result_num(&r, "processes", n);
	wl_result_num_pos(&r, "elapsed_s", end - start);
	wl_result_num_pos(&r, "per_s", n / (end - start));
	wl_result_num_pos(&r, "us_per_process", (end - start) / n * 1e6 * nt);
	wl_result_measured(&r, o->min_seconds, end - start, (long long)n);
	rc = wl_result_end(&r);
out:
	free(t);
	return rc;
}
