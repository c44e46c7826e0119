/* vmdriver/accel: KVM or TCG, decided by evidence that matches real use.
 *
 * /dev/kvm existing is not enough: under the kvm_pvm module (software nested
 * virtualization) /dev/kvm opens and even a tiny KVM_RUN succeeds, yet an
 * ordinary kernel hangs right after the firmware. So the real evidence is a
 * bounded test boot of the guest kernel under KVM: KVM works only when the
 * kernel printed its "Linux version" banner within the bound. The loaded
 * hypervisor module is the fast first signal that decides whether the test
 * boot is worth its cost. Verdicts are cached per kernel release and host boot. */
#include "hvc/host.h"
#include "hvc/vm.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_BOOT_MS 5000
#define BANNER "Linux version "

const char *hvc_vm_accel_name(enum hvc_vm_accel a)
{
	return a == HVC_VM_ACCEL_KVM ? "kvm" : "tcg";
}

const char *hvc_vm_boot_test_name(enum hvc_vm_boot_test b)
{
	switch (b) {
	case HVC_VM_BOOT_OK:
		return "ok";
	case HVC_VM_BOOT_SILENT:
		return "silent";
	case HVC_VM_BOOT_FAILED:
		return "failed";
	case HVC_VM_BOOT_NOT_RUN:
		break;
	}
	return "not-run";
}

static enum hvc_vm_boot_test boot_test_parse(const char *s)
{
	if (!s)
		return HVC_VM_BOOT_NOT_RUN;
	if (!strcmp(s, "ok"))
		return HVC_VM_BOOT_OK;
	if (!strcmp(s, "silent"))
		return HVC_VM_BOOT_SILENT;
	if (!strcmp(s, "failed"))
		return HVC_VM_BOOT_FAILED;
	return HVC_VM_BOOT_NOT_RUN;
}

enum hvc_vm_accel hvc_vm_accel_decide(const struct hvc_vm_accel_signals *s, char *reason,
				      size_t len)
{
	bool hw = s->mod_kvm_intel || s->mod_kvm_amd;
	const char *mod = s->mod_kvm_intel ? "kvm_intel"
			  : s->mod_kvm_amd ? "kvm_amd"
			  : s->mod_kvm_pvm ? "kvm_pvm"
					   : NULL;
	const char *pvm_only = "kvm_pvm module: only boots PVM-enabled guest kernels";

	if (!s->dev_kvm_exists) {
		if (mod)
			snprintf(reason, len, "%s loaded but no /dev/kvm", mod);
		else
			snprintf(reason, len, "no /dev/kvm (no KVM module loaded)");
		return HVC_VM_ACCEL_TCG;
	}
	if (s->dev_kvm_errno) {
		snprintf(reason, len, "cannot open /dev/kvm: %s", strerror(s->dev_kvm_errno));
		return HVC_VM_ACCEL_TCG;
	}
	switch (s->boot) {
	case HVC_VM_BOOT_OK:
		if (!hw && s->mod_kvm_pvm)
			snprintf(reason, len,
				 "kvm_pvm module, and the guest kernel booted under it in %d ms (a "
				 "PVM-enabled kernel)",
				 s->boot_ms);
		else
			snprintf(reason, len, "%s%sthe guest kernel booted under KVM in %d ms",
				 mod ? mod : "", mod ? " loaded and " : "", s->boot_ms);
		return HVC_VM_ACCEL_KVM;
	case HVC_VM_BOOT_SILENT:
		if (!hw && s->mod_kvm_pvm)
			snprintf(reason, len, "%s (test boot: no kernel output in %d ms)", pvm_only,
				 s->boot_ms);
		else
			snprintf(
			    reason, len,
			    "test boot under KVM: the guest kernel printed nothing in %d ms%s%s",
			    s->boot_ms, mod ? " with " : "", mod ? mod : "");
		return HVC_VM_ACCEL_TCG;
	case HVC_VM_BOOT_FAILED:
		snprintf(reason, len, "test boot under KVM failed: %s",
			 s->boot_detail[0] ? s->boot_detail
					   : "QEMU exited before the kernel printed");
		return HVC_VM_ACCEL_TCG;
	case HVC_VM_BOOT_NOT_RUN:
		break;
	}
	/* no test boot: the module is all we know */
	if (hw) {
		snprintf(reason, len, "%s loaded and /dev/kvm opens (test boot not run)", mod);
		return HVC_VM_ACCEL_KVM;
	}
	if (s->mod_kvm_pvm) {
		snprintf(reason, len, "%s", pvm_only);
		return HVC_VM_ACCEL_TCG;
	}
	snprintf(
	    reason, len,
	    "/dev/kvm opens but no known hypervisor module (kvm_intel, kvm_amd) and no test boot");
	return HVC_VM_ACCEL_TCG;
}

static void gather_signals(struct hvc_vm_accel_signals *s)
{
	struct hvc_host_kvm k;
	hvc_host_kvm_probe(&k);
	memset(s, 0, sizeof(*s));
	s->mod_kvm_intel = k.mod_kvm_intel;
	s->mod_kvm_amd = k.mod_kvm_amd;
	s->mod_kvm_pvm = k.mod_kvm_pvm;
	s->dev_kvm_exists = k.dev_kvm_exists;
	s->dev_kvm_errno = k.dev_kvm_errno;
}

/* Appends what QEMU said (stderr) as a one-line detail. */
static void one_line(const char *text, char *detail, size_t len)
{
	if (!len)
		return;
	detail[0] = '\0';
	/* keep the first line that names qemu's complaint */
	const char *p = text, *pick = NULL;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l && strstr(p, "qemu") == p && !memmem(p, l, "warning", 7)) {
			pick = p;
			break;
		}
		if (!pick && l)
			pick = p;
		p = nl ? nl + 1 : NULL;
	}
	if (!pick)
		return;
	size_t l = strcspn(pick, "\r\n");
	if (l >= len)
		l = len - 1;
	memcpy(detail, pick, l);
	detail[l] = '\0';
}

enum hvc_vm_boot_test hvc_vm_accel_test_boot(const struct hvc_vm_kernel *kernel, int timeout_ms,
					     int *elapsed_ms, char *detail, size_t len)
{
	struct hvc_error err = {0};
	if (len)
		detail[0] = '\0';
	*elapsed_ms = 0;
	_cleanup_free_ char *qemu = hvc_vm_qemu_binary(&err);
	if (!qemu) {
		snprintf(detail, len, "%s", err.msg);
		return HVC_VM_BOOT_NOT_RUN;
	}
	char *argv[] = {qemu,
			"-accel",
			"kvm",
			"-cpu",
			"host",
			"-m",
			"256",
			"-smp",
			"1",
			"-nodefaults",
			"-display",
			"none",
			"-no-reboot",
			"-serial",
			"stdio",
			"-monitor",
			"none",
			"-kernel",
			(char *)kernel->path,
			"-append",
			"console=ttyS0 panic=-1 loglevel=7",
			NULL};
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0) {
		snprintf(detail, len, "pipe: %s", strerror(errno));
		return HVC_VM_BOOT_NOT_RUN;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(detail, len, "pipe: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return HVC_VM_BOOT_NOT_RUN;
	}
	uint64_t start = hvc_now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(detail, len, "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		close(errp[0]);
		close(errp[1]);
		return HVC_VM_BOOT_NOT_RUN;
	}
	if (pid == 0) {
		/* QEMU must not outlive us if hvc is killed mid-probe */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		hvc_close_fds_from(3);
		execv(qemu, argv);
		dprintf(2, "qemu: exec `%s`: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);

	/* console text is kept only as much as needed to find the banner */
	char con[8192] = "";
	size_t con_n = 0;
	char errtext[2048] = "";
	size_t err_n = 0;
	bool banner = false, out_eof = false, err_eof = false;
	enum hvc_vm_boot_test result = HVC_VM_BOOT_SILENT;
	uint64_t deadline = start + (uint64_t)timeout_ms * 1000000ull;
	while (!banner && !(out_eof && err_eof)) {
		uint64_t now = hvc_now_ns();
		if (now >= deadline)
			break;
		struct pollfd p[2] = {{.fd = out_eof ? -1 : out[0], .events = POLLIN},
				      {.fd = err_eof ? -1 : errp[0], .events = POLLIN}};
		int pr = poll(p, 2, (int)((deadline - now) / 1000000ull) + 1);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		if (p[0].revents) {
			if (con_n + 1 >= sizeof(con)) { /* keep the tail: the banner may straddle */
				memmove(con, con + sizeof(con) / 2, con_n - sizeof(con) / 2);
				con_n -= sizeof(con) / 2;
			}
			ssize_t r = read(out[0], con + con_n, sizeof(con) - 1 - con_n);
			if (r <= 0) {
				out_eof = true;
			} else {
				con_n += (size_t)r;
				con[con_n] = '\0';
				banner = memmem(con, con_n, BANNER, strlen(BANNER)) != NULL;
			}
		}
		if (p[1].revents) {
			char tmp[512];
			ssize_t r = read(errp[0], tmp, sizeof(tmp));
			if (r <= 0) {
				err_eof = true;
			} else if (err_n + 1 < sizeof(errtext)) {
				size_t take = (size_t)r < sizeof(errtext) - 1 - err_n
						  ? (size_t)r
						  : sizeof(errtext) - 1 - err_n;
				memcpy(errtext + err_n, tmp, take);
				err_n += take;
				errtext[err_n] = '\0';
			}
		}
	}
	*elapsed_ms = (int)((hvc_now_ns() - start) / 1000000ull);
	if (banner)
		result = HVC_VM_BOOT_OK;
	else if (out_eof && err_eof)
		result = HVC_VM_BOOT_FAILED; /* QEMU exited on its own without a kernel */
	else
		*elapsed_ms = timeout_ms;
	kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(out[0]);
	close(errp[0]);
	if (result == HVC_VM_BOOT_FAILED) {
		one_line(errtext, detail, len);
		if (!detail[0] && len)
			snprintf(detail, len,
				 "QEMU exited with status %d before the kernel printed",
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	hvc_debug("accel: KVM test boot of `%s`: %s after %d ms", kernel->path,
		  hvc_vm_boot_test_name(result), *elapsed_ms);
	return result;
}

static char *cache_path(const char *release)
{
	return hvc_strdup_printf("%s/cache/accel-%s.json", hvc_root(),
				 release[0] ? release : "none");
}

static int read_boot_id(char *buf, size_t len)
{
	_cleanup_free_ char *data = NULL;
	if (hvc_read_file("/proc/sys/kernel/random/boot_id", &data, NULL, NULL) < 0)
		return -1;
	snprintf(buf, len, "%s", hvc_str_trim(data));
	return 0;
}

/* A cached verdict is valid for the same host boot, the same kernel file, and
 * (when a test boot is demanded) only if it came from one. */
static bool cache_load(const char *path, const struct hvc_vm_kernel *kernel, unsigned flags,
		       struct hvc_vm_accel_info *out)
{
	_cleanup_json_ json_object *o = NULL;
	if (access(path, F_OK) != 0 || hvc_json_read_file(path, &o, NULL) < 0)
		return false;
	const char *boot_id = hvc_json_get_string(o, "boot_id");
	const char *kpath = hvc_json_get_string(o, "kernel_path");
	const char *accel = hvc_json_get_string(o, "accel");
	const char *reason = hvc_json_get_string(o, "reason");
	if (!boot_id || strcmp(boot_id, out->boot_id) || !accel || !reason)
		return false;
	if (strcmp(kpath ? kpath : "", kernel ? kernel->path : ""))
		return false;
	struct hvc_vm_accel_signals s;
	gather_signals(&s); /* cheap, and a module loaded since then invalidates */
	json_object *sig = hvc_json_get(o, "signals");
	if (!sig || hvc_json_get_bool(sig, "kvm_intel", false) != s.mod_kvm_intel ||
	    hvc_json_get_bool(sig, "kvm_amd", false) != s.mod_kvm_amd ||
	    hvc_json_get_bool(sig, "kvm_pvm", false) != s.mod_kvm_pvm ||
	    hvc_json_get_bool(sig, "dev_kvm", false) != s.dev_kvm_exists ||
	    hvc_json_get_int(sig, "dev_kvm_errno", 0) != s.dev_kvm_errno)
		return false;
	s.boot = boot_test_parse(hvc_json_get_string(sig, "test_boot"));
	if ((flags & HVC_VM_ACCEL_FORCE_TEST) && s.boot == HVC_VM_BOOT_NOT_RUN && kernel)
		return false;
	s.boot_ms = (int)hvc_json_get_int(sig, "test_boot_ms", 0);
	snprintf(s.boot_detail, sizeof(s.boot_detail), "%s",
		 hvc_json_get_string(sig, "test_boot_detail")
		     ? hvc_json_get_string(sig, "test_boot_detail")
		     : "");
	out->sig = s;
	out->accel = strcmp(accel, "kvm") ? HVC_VM_ACCEL_TCG : HVC_VM_ACCEL_KVM;
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
	out->cached = true;
	return true;
}

static void cache_store(const char *path, const struct hvc_vm_kernel *kernel,
			const struct hvc_vm_accel_info *in)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	hvc_json_add_string(o, "boot_id", in->boot_id);
	hvc_json_add_string(o, "kernel_path", kernel ? kernel->path : "");
	hvc_json_add_string(o, "kernel_release", in->kernel_release);
	hvc_json_add_string(o, "accel", hvc_vm_accel_name(in->accel));
	hvc_json_add_string(o, "reason", in->reason);
	json_object *sig = json_object_new_object();
	hvc_json_add_bool(sig, "kvm_intel", in->sig.mod_kvm_intel);
	hvc_json_add_bool(sig, "kvm_amd", in->sig.mod_kvm_amd);
	hvc_json_add_bool(sig, "kvm_pvm", in->sig.mod_kvm_pvm);
	hvc_json_add_bool(sig, "dev_kvm", in->sig.dev_kvm_exists);
	hvc_json_add_int(sig, "dev_kvm_errno", in->sig.dev_kvm_errno);
	hvc_json_add_string(sig, "test_boot", hvc_vm_boot_test_name(in->sig.boot));
	hvc_json_add_int(sig, "test_boot_ms", in->sig.boot_ms);
	hvc_json_add_string(sig, "test_boot_detail", in->sig.boot_detail);
	json_object_object_add(o, "signals", sig);
	struct hvc_error err = {0};
	_cleanup_free_ char *dir = hvc_path_join(hvc_root(), "cache");
	if (!dir || hvc_mkdir_p(dir, 0755, &err) < 0 ||
	    hvc_json_write_file_atomic(path, o, &err) < 0)
		hvc_warn("accel: cannot cache the verdict: %s", err.msg);
}

int hvc_vm_accel_probe(const struct hvc_vm_kernel *kernel, unsigned flags,
		       struct hvc_vm_accel_info *out, struct hvc_error *err)
{
	(void)err; /* every problem becomes part of the verdict's reason */
	memset(out, 0, sizeof(*out));
	if (kernel)
		snprintf(out->kernel_release, sizeof(out->kernel_release), "%s", kernel->release);
	bool have_boot_id = read_boot_id(out->boot_id, sizeof(out->boot_id)) == 0;
	bool use_cache = have_boot_id && !(flags & HVC_VM_ACCEL_NO_CACHE);
	_cleanup_free_ char *cpath = cache_path(out->kernel_release);
	if (use_cache && cpath && cache_load(cpath, kernel, flags, out)) {
		hvc_debug("accel: cached verdict from `%s`: %s", cpath,
			  hvc_vm_accel_name(out->accel));
		return 0;
	}

	struct hvc_vm_accel_signals *s = &out->sig;
	gather_signals(s);
	bool hw = s->mod_kvm_intel || s->mod_kvm_amd;
	bool known_module = hw || s->mod_kvm_pvm;
	/* the test boot costs well under a second when KVM works and the whole
	 * bound when it hangs: run it when KVM is plausible, or when asked */
	bool worth_it = hw || !known_module || (flags & HVC_VM_ACCEL_FORCE_TEST);
	if (kernel && s->dev_kvm_exists && !s->dev_kvm_errno && worth_it)
		s->boot = hvc_vm_accel_test_boot(kernel, TEST_BOOT_MS, &s->boot_ms, s->boot_detail,
						 sizeof(s->boot_detail));
	out->accel = hvc_vm_accel_decide(s, out->reason, sizeof(out->reason));
	if (!kernel && s->dev_kvm_exists && !s->dev_kvm_errno) {
		size_t l = strlen(out->reason);
		snprintf(out->reason + l, sizeof(out->reason) - l,
			 "; no guest kernel to test-boot");
	}
	if (use_cache && cpath)
		cache_store(cpath, kernel, out);
	return 0;
}
