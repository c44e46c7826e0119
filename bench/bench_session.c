/* bench/session: one guest boot serving several throughput samples (a
 * suite's "shared_boot" workloads, docs/methodology.md "Shared VM boot").
 * The pure parts: which workloads a round's boot runs, the guest shell
 * script that runs them in turn, and splitting what the guest printed back
 * into one output (and exit status) per workload. The runner
 * (bench_runner.c) decides when a boot is taken, the VM backend runs the
 * script (hvc_bench_vm_run_script), bench_sample.c judges each part. */
#include "bench_internal.h"
#include <string.h>

size_t hvc_bench_session_members(const int *rounds, const bool *shared, size_t n, int r,
				 size_t *members)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (shared[i] && rounds[i] > r)
			members[k++] = i;
	return k;
}

/* Single-quoted for the guest's sh: ' becomes '\''. */
static void append_quoted(char **s, const char *arg)
{
	char *q = hvc_xstrdup("'");
	for (const char *p = arg; *p; p++) {
		char *n =
		    *p == '\'' ? hvc_strdup_printf("%s'\\''", q) : hvc_strdup_printf("%s%c", q, *p);
		free(q);
		q = n;
	}
	char *n = hvc_strdup_printf("%s %s'", *s, q);
	free(q);
	free(*s);
	*s = n;
}

char *hvc_bench_session_script(char *const *const *argvs, size_t n)
{
	char *s = hvc_xstrdup("");
	for (size_t k = 0; k < n; k++) {
		char *n1 = hvc_strdup_printf("%s%s", s, HVC_BENCH_WORKLOAD_IN_IMAGE);
		free(s);
		s = n1;
		for (char *const *a = argvs[k]; a && *a; a++)
			append_quoted(&s, *a);
		/* the marker follows the workload's own output on the console */
		n1 = hvc_strdup_printf("%s; echo \"%s %zu $?\"\n", s, HVC_BENCH_SESSION_MARK, k);
		free(s);
		s = n1;
	}
	return s;
}

/* "MARK K STATUS" at the start of a line (after a \r or \n), or NULL. */
static const char *next_mark(const char *p, size_t *k, int *status)
{
	size_t ml = strlen(HVC_BENCH_SESSION_MARK);
	for (const char *m = strstr(p, HVC_BENCH_SESSION_MARK); m;
	     m = strstr(m + 1, HVC_BENCH_SESSION_MARK)) {
		unsigned long kk;
		int st, used = 0;
		bool line_start = m == p || m[-1] == '\n' || m[-1] == '\r';
		if (line_start && sscanf(m + ml, " %lu %d%n", &kk, &st, &used) == 2) {
			*k = kk;
			*status = st;
			return m;
		}
	}
	return NULL;
}

size_t hvc_bench_session_split(const char *output, size_t n, char **parts, int *status)
{
	for (size_t i = 0; i < n; i++) {
		parts[i] = NULL;
		status[i] = -1;
	}
	size_t found = 0;
	const char *p = output ? output : "";
	size_t k;
	int st;
	for (const char *m; (m = next_mark(p, &k, &st));) {
		if (k < n && !parts[k]) {
			parts[k] = strndup(p, (size_t)(m - p));
			status[k] = st;
			found++;
		}
		const char *eol = strchr(m, '\n');
		p = eol ? eol + 1 : m + strlen(m);
	}
	return found;
}
