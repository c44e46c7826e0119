/* sectest: escape attempts busybox cannot make, run inside a container by
 * tests/integration/41-security.sh (built static by the test, bind-mounted in).
 * Each subcommand tries one thing and prints "ALLOWED" or "DENIED <errno name>";
 * exit 0 when the attempt succeeded, 1 when it was denied (like the call itself). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/kexec.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int verdict(long r, const char *what)
{
	if (r >= 0) {
		printf("%s: ALLOWED\n", what);
		return 0;
	}
	printf("%s: DENIED %s\n", what, strerrorname_np(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sectest keyctl|kexec|init_module|ptrace PID|rawsock|mknod_blk|setns|unshare|"
				"writeexe PATH|hog MB|fds\n");
		return 2;
	}
	const char *c = argv[1];
	if (!strcmp(c, "keyctl"))
		return verdict(syscall(SYS_add_key, "user", "hvc-test", "x", 1, KEY_SPEC_SESSION_KEYRING), "add_key") &&
		       verdict(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "hvc"), "keyctl");
	if (!strcmp(c, "kexec"))
		return verdict(syscall(SYS_kexec_load, 0, 0, NULL, KEXEC_ARCH_DEFAULT), "kexec_load");
	if (!strcmp(c, "init_module"))
		return verdict(syscall(SYS_init_module, "\0\0\0\0", 4, ""), "init_module") &&
		       verdict(syscall(SYS_finit_module, 0, "", 0), "finit_module");
	if (!strcmp(c, "ptrace") && argc > 2)
		return verdict(ptrace(PTRACE_ATTACH, atoi(argv[2]), NULL, NULL), "ptrace attach");
	if (!strcmp(c, "rawsock"))
		return verdict(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), "raw socket");
	if (!strcmp(c, "mknod_blk"))
		return verdict(mknod("/tmp/hvc-blk", S_IFBLK | 0600, makedev(8, 0)), "mknod block");
	if (!strcmp(c, "setns")) {
		int fd = open("/proc/1/ns/mnt", O_RDONLY);
		return verdict(fd < 0 ? -1 : setns(fd, 0), "setns");
	}
	if (!strcmp(c, "unshare"))
		return verdict(unshare(CLONE_NEWNS), "unshare(NEWNS)") && verdict(unshare(CLONE_NEWUSER), "unshare(NEWUSER)");
	if (!strcmp(c, "writeexe") && argc > 2) {
		/* CVE-2019-5736: rewrite the runtime's binary through /proc/<pid>/exe */
		int fd = open(argv[2], O_WRONLY);
		if (fd < 0)
			return verdict(-1, "open exe for writing");
		return verdict(write(fd, "\x7f" "ELF-pwned", 10), "write exe");
	}
	if (!strcmp(c, "hog") && argc > 2) {
		size_t mb = (size_t)atoi(argv[2]);
		for (size_t i = 0; i < mb; i++) {
			char *p = malloc(1 << 20);
			if (!p)
				return verdict(-1, "malloc");
			memset(p, 1, 1 << 20);
		}
		return verdict(0, "memory hog");
	}
	if (!strcmp(c, "fds")) {
		/* every open fd of this process and of PID 1 */
		const char *dirs[] = { "/proc/self/fd", "/proc/1/fd" };
		for (int d = 0; d < 2; d++) {
			char cmd[128];
			snprintf(cmd, sizeof(cmd), "%s", dirs[d]);
			printf("%s:", dirs[d]);
			for (int fd = 0; fd < 1024; fd++) {
				char p[64], t[256];
				snprintf(p, sizeof(p), "%s/%d", dirs[d], fd);
				ssize_t n = readlink(p, t, sizeof(t) - 1);
				if (n >= 0)
					printf(" %d", fd);
			}
			printf("\n");
		}
		return 0;
	}
	fprintf(stderr, "sectest: unknown test %s\n", c);
	return 2;
}
