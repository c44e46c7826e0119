/* vmdriver/stats: host-side cost of a VM = its QEMU process: RSS and PSS from
 * /proc/PID/smaps_rollup (PSS splits shared pages fairly between VMs, which
 * is what density figures need) and CPU time from /proc/PID/stat. */
#include <string.h>
#include <unistd.h>
#include "hvc/vm.h"

int hvc_vm_smaps_rollup_parse(const char *text, struct hvc_vm_procstats *st, struct hvc_error *err)
{
	bool rss = false, pss = false;
	for (const char *p = text; p && *p;) {
		unsigned long long kb;
		if (sscanf(p, "Rss: %llu kB", &kb) == 1) {
			st->rss_bytes = kb << 10;
			rss = true;
		} else if (sscanf(p, "Pss: %llu kB", &kb) == 1) {
			st->pss_bytes = kb << 10;
			pss = true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!rss || !pss)
		return hvc_err(err, EINVAL, "smaps_rollup: no Rss/Pss lines");
	return 0;
}

int hvc_vm_procstats(pid_t pid, struct hvc_vm_procstats *st, struct hvc_error *err)
{
	memset(st, 0, sizeof(*st));
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	_cleanup_free_ char *text = NULL;
	if (hvc_read_file(path, &text, NULL, err) < 0)
		return -1;
	if (hvc_vm_smaps_rollup_parse(text, st, err) < 0)
		return hvc_error_prefix(err, "QEMU pid %d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *stat = NULL;
	if (hvc_read_file(path, &stat, NULL, err) < 0)
		return -1;
	/* fields after the ")" of comm: state is field 3, utime 14, stime 15 */
	const char *p = strrchr(stat, ')');
	unsigned long long ut = 0, stt = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) != 2)
		return hvc_err(err, EINVAL, "parse `%s`", path);
	long hz = sysconf(_SC_CLK_TCK);
	st->cpu_user_s = (double)ut / (double)hz;
	st->cpu_sys_s = (double)stt / (double)hz;
	return 0;
}
