/* hvc-init's VM part: what a kernel-booted PID 1 must do itself that a
 * container runtime does from outside — mount /proc, /sys and /dev, load the
 * kernel modules of the devices the run uses (finit_module, dependencies
 * first as listed in /hvc/modules), bring lo up, switch to the root disk in
 * --disk mode, mount the data disk, set up eth0 (init-net.c), and read the run's command, environment
 * and workdir that the VM driver put on the kernel command line (hvc.cfg=,
 * base64) or in /hvc/config. Format (vmdriver/guestcfg.c writes it): lines of
 * "<key> <percent-escaped value>". At the end it reports "HVC-EXIT <status>"
 * on the console and powers off. Ctrl-alt-del is turned into a SIGINT to
 * PID 1 (init-main.c: how hvc vm shutdown stops the command).
 *
 * A template boot (config key "wait") stops short of the command: it prints
 * "HVC-WAIT" and polls the virtio-serial port the VM driver gave it until a
 * host connects (after a restore of the saved guest) and writes the rest of
 * the config (command, env, workdir, the host's time, an RNG seed) ending
 * with a line "end". Static, libc only. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

static int linger_ms; /* "linger" in the config: wait for the host's kill after EXIT */

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void say(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "hvc-init: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
}

/* --trace (hvc.trace=1 on the kernel command line, vmdriver/vm_trace.c):
 * milestones with their time since the guest kernel started (CLOCK_BOOTTIME),
 * printed on the console as "HVC-TRACE <ms> <event> <text>" just before
 * READY — only then is the command line known to ask for them. */
static struct {
	long ms;
	const char *ev;
	char text[96];
} marks[16];
static int n_marks;

static void mark(const char *ev, const char *a, const char *b)
{
	if (n_marks >= (int)(sizeof(marks) / sizeof(marks[0])))
		return;
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	marks[n_marks].ms = (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	marks[n_marks].ev = ev;
	snprintf(marks[n_marks].text, sizeof(marks[0].text), "%s%s", a, b);
	n_marks++;
}

static char *read_all(const char *path);

static void marks_print(void)
{
	char *cl = read_all("/proc/cmdline");
	bool on = cl && strstr(cl, "hvc.trace=1");
	free(cl);
	for (int i = 0; on && i < n_marks; i++)
		printf("HVC-TRACE %ld %s %s\n", marks[i].ms, marks[i].ev, marks[i].text);
	fflush(stdout);
}

bool init_vm_detect(void)
{
	/* a kernel-started PID 1 finds no /proc; a container runtime mounts it */
	return getpid() == 1 && access("/proc/self", F_OK) != 0 && access("/hvc", F_OK) == 0;
}

static char *read_all(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return NULL;
	}
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return buf;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static char *b64decode(const char *s, size_t len)
{
	char *out = malloc(len / 4 * 3 + 4), *p = out;
	unsigned v = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int d = b64val(s[i]);
		if (d < 0)
			continue;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*p++ = (char)((v >> bits) & 0xff);
		}
	}
	*p = '\0';
	return out;
}

/* The config: hvc.cfg= on the kernel command line, else /hvc/config. */
static char *read_config(void)
{
	char *cmdline = read_all("/proc/cmdline");
	char *cfg = NULL;
	if (cmdline) {
		char *p = strstr(cmdline, "hvc.cfg=");
		if (p) {
			p += 8;
			cfg = b64decode(p, strcspn(p, " \n"));
		}
		free(cmdline);
	}
	return cfg ? cfg : read_all("/hvc/config");
}

static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '%' && s[1] && s[2]) {
			char hex[3] = { s[1], s[2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void push(char ***v, size_t *n, const char *s)
{
	*v = realloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = strdup(s);
	(*v)[*n] = NULL;
}

static int load_module_group(const char *group)
{
	char *mods = read_all("/hvc/modules");
	if (!mods) {
		say("no /hvc/modules to load %s%s", group, "");
		return -1;
	}
	int rc = -1;
	size_t gl = strlen(group);
	for (char *save = NULL, *l = strtok_r(mods, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, group, gl) || (l[gl] != ' ' && l[gl] != '\0'))
			continue;
		rc = 0;
		char *save2 = NULL;
		strtok_r(l, " ", &save2);
		for (char *m = strtok_r(NULL, " ", &save2); m; m = strtok_r(NULL, " ", &save2)) {
			int fd = open(m, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				say("open module %s: %s", m, strerror(errno));
				rc = -1;
				continue;
			}
			if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST) {
				say("load module %s: %s", m, strerror(errno));
				rc = -1;
			}
			close(fd);
		}
	}
	if (rc < 0)
		say("module group %s%s failed or unknown", group, "");
	mark("modules", "loaded the kernel modules of group ", group);
	free(mods);
	return rc;
}

/* The network keys of the config (vmdriver/guestcfg.c): ip, gw, dns, hostname, hosts. */
static void net_key(struct init_net *n, const char *key, const char *val)
{
	if (!strcmp(key, "ip"))
		n->ip = val;
	else if (!strcmp(key, "gw"))
		n->gw = val;
	else if (!strcmp(key, "dns") && n->n_dns < 3)
		n->dns[n->n_dns++] = val;
	else if (!strcmp(key, "hostname"))
		n->hostname = val;
	else if (!strcmp(key, "hosts"))
		n->hosts = val;
}

static void lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

/* Block devices appear when their driver probes; allow a moment. */
static int wait_dev(const char *dev)
{
	for (int i = 0; i < 500; i++) {
		if (access(dev, F_OK) == 0)
			return 0;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	say("device %s did not appear%s", dev, "");
	return -1;
}

static int switch_root(const char *dev)
{
	if (wait_dev(dev) < 0)
		return -1;
	mkdir("/newroot", 0755);
	if (mount(dev, "/newroot", "ext4", 0, NULL) < 0) {
		say("mount root %s: %s", dev, strerror(errno));
		return -1;
	}
	static const char *const keep[] = { "/dev", "/proc", "/sys" };
	for (size_t i = 0; i < 3; i++) {
		char target[64];
		snprintf(target, sizeof(target), "/newroot%s", keep[i]);
		mkdir(target, 0755);
		if (mount(keep[i], target, NULL, MS_MOVE, NULL) < 0) {
			say("move %s: %s", keep[i], strerror(errno));
			return -1;
		}
	}
	/* the initramfs cannot be pivot_root'ed away: move the new root over it */
	if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0) {
		say("switch to root %s: %s", dev, strerror(errno));
		return -1;
	}
	mark("root", "switched to the root disk ", dev);
	return 0;
}

static void console_raw(void)
{
	/* the host reads the serial console byte for byte: no \n -> \r\n */
	for (int fd = 0; fd <= 2; fd++) {
		struct termios t;
		if (tcgetattr(fd, &t) == 0) {
			t.c_oflag &= ~(tcflag_t)OPOST;
			t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
			tcsetattr(fd, TCSANOW, &t);
		}
	}
}

/* /dev, the console on fds 0-2 (raw), /proc and /sys. */
static void mount_basics(void)
{
	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY)
		say("mount /dev: %s%s", strerror(errno), "");
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	console_raw();
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		say("mount /proc: %s%s", strerror(errno), "");
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		say("mount /sys: %s%s", strerror(errno), "");
}

/* The run's configuration, parsed (values point into the config text). */
struct vm_cfg {
	char **argv, **env;
	size_t na, ne;
	char *workdir, *root, *data;
	struct init_net net;
	bool have_path;
	bool wait; /* a template boot: the command comes over the port later */
};

/* "time SEC.NSEC": the host's clock at the hand-off (a restored guest's
 * clock is the template's); "seed HEX": mixed into the kernel's pool so that
 * restored siblings do not share an RNG state. */
static void apply_time(const char *val)
{
	struct timespec ts = {0};
	char *end = NULL;
	ts.tv_sec = strtoll(val, &end, 10);
	if (end && *end == '.')
		ts.tv_nsec = strtol(end + 1, NULL, 10);
	if (clock_settime(CLOCK_REALTIME, &ts) < 0)
		say("set clock: %s%s", strerror(errno), "");
}

static void apply_seed(const char *val)
{
	int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t w = write(fd, val, strlen(val));
	(void)w;
	close(fd);
}

/* Parses the config lines; module groups are loaded as they are named. */
static void parse_config(char *text, struct vm_cfg *c)
{
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(l, ' ');
		if (!val)
			continue;
		*val++ = '\0';
		unescape(val);
		if (!strcmp(l, "arg"))
			push(&c->argv, &c->na, val);
		else if (!strcmp(l, "env")) {
			push(&c->env, &c->ne, val);
			c->have_path = c->have_path || !strncmp(val, "PATH=", 5);
		} else if (!strcmp(l, "workdir"))
			c->workdir = val;
		else if (!strcmp(l, "load"))
			load_module_group(val); /* a failure shows in the log; the command may not need it */
		else if (!strcmp(l, "root"))
			c->root = val;
		else if (!strcmp(l, "data"))
			c->data = val;
		else if (!strcmp(l, "linger"))
			linger_ms = atoi(val);
		else if (!strcmp(l, "wait"))
			c->wait = true;
		else if (!strcmp(l, "time"))
			apply_time(val);
		else if (!strcmp(l, "seed"))
			apply_seed(val);
		else
			net_key(&c->net, l, val);
	}
}

static int mount_data(const char *dev)
{
	if (wait_dev(dev) < 0)
		return -1;
	mkdir("/data", 0755);
	if (mount(dev, "/data", "ext4", 0, NULL) < 0) {
		say("mount data disk %s: %s", dev, strerror(errno));
		return -1;
	}
	mark("data", "data disk mounted on /data from ", dev);
	return 0;
}

/* The virtio-serial port (/dev/vport<dev>p<port>: no udev for the names). */
static int open_port(void)
{
	for (int i = 0; i < 500; i++) {
		DIR *d = opendir("/dev");
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (strncmp(de->d_name, "vport", 5))
				continue;
			char path[300];
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				closedir(d);
				return fd;
			}
		}
		if (d)
			closedir(d);
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	say("no virtio-serial port for the command%s%s", "", "");
	return -1;
}

/* Before a template is saved: the guest's free pages still hold what the
 * boot left in them (the kernel's decompression, the unpacked initramfs), and
 * QEMU saves every page that is not zero. A child faults in most of the free
 * memory (the kernel hands over zeroed pages) and exits; the pages stay zero
 * and the save image shrinks to what the guest really holds. A child, because
 * the OOM killer may take it (it asks to be first) but must never face PID 1
 * alone: with nothing else to kill, the kernel panics. */
static void scrub_free_memory(void)
{
	char *mi = read_all("/proc/meminfo");
	char *p = mi ? strstr(mi, "MemFree:") : NULL;
	long kb = p ? strtol(p + 8, NULL, 10) : 0;
	free(mi);
	long margin = 32 * 1024 + kb / 16; /* watermarks, page tables of the mapping */
	if (kb <= margin)
		return;
	pid_t pid = fork();
	if (pid != 0) {
		while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, "1000", 4);
		(void)w;
		close(fd);
	}
	size_t len = (size_t)(kb - margin) * 1024;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long pg = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; m != MAP_FAILED && off < len; off += (size_t)pg)
		m[off] = 0;
	_exit(0);
}

/* Template boot: HVC-WAIT, then the rest of the config from the port. Reads
 * return 0 while no host is connected (the saved state): poll every 5 ms. */
static char *wait_command(void)
{
	int fd = open_port();
	if (fd < 0)
		return NULL;
	scrub_free_memory();
	printf("%s\n", HVC_WAIT_MARKER);
	fflush(stdout);
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	for (;;) {
		if (buf && len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
		if (!buf) {
			say("command from the port: out of memory%s%s", "", "");
			break;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (!strncmp(buf, "end\n", 4) || strstr(buf, "\nend\n"))
				break;
			continue;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	close(fd);
	return buf;
}

int init_vm_setup(char ***argvp, char ***envpp)
{
	mark("start", "the kernel ran /init (hvc-init) as PID 1", "");
	/* ctrl-alt-del (hvc vm shutdown) becomes a SIGINT to PID 1 instead of an
	 * immediate reboot (init-main.c stops the command). Before a template's
	 * wait, so that a restored guest has it too. */
	reboot(RB_DISABLE_CAD);
	mount_basics();
	mark("mounts", "mounted /dev (devtmpfs), /proc and /sys itself", "");
	char *text = read_config();
	if (!text) {
		say("no configuration (hvc.cfg= or /hvc/config)%s%s", "", "");
		return -1;
	}
	struct vm_cfg c = { 0 };
	parse_config(text, &c);
	mark("config", "read the command and environment (hvc.cfg= or /hvc/config)", "");
	lo_up();
	mark("lo", "brought lo up", "");
	if (c.wait) {
		char *more = wait_command();
		if (!more)
			return -1;
		parse_config(more, &c);
	}
	if (c.root && switch_root(c.root) < 0)
		return -1;
	if (c.data && mount_data(c.data) < 0)
		return -1;
	/* after the switch to the root disk: /etc is the image's */
	const struct init_net *n = &c.net;
	if ((n->ip || n->hostname || n->hosts || n->n_dns) && init_net_setup(n) < 0)
		return -1;
	if (!c.have_path)
		push(&c.env, &c.ne, DEFAULT_PATH);
	push(&c.env, &c.ne, "HVC_READY=1");
	if (c.workdir && chdir(c.workdir) < 0) {
		say("workdir %s: %s", c.workdir, strerror(errno));
		return -1;
	}
	if (!c.argv) {
		say("no command in the configuration%s%s", "", "");
		return -1;
	}
	*argvp = c.argv;
	*envpp = c.env;
	mark("command", "about to run ", c.argv[0]);
	marks_print();
	return 0;
}

void init_vm_poweroff(int status)
{
	fflush(NULL);
	/* sync first: once the host reads EXIT it may destroy the VM at once */
	sync();
	char line[64];
	int n = snprintf(line, sizeof(line), "%s %d\n", HVC_EXIT_MARKER, status);
	ssize_t w = write(1, line, (size_t)n);
	(void)w;
	if (linger_ms > 0) {
		/* the host destroys the VM on reading EXIT; power off only if it does not */
		struct timespec ts = { linger_ms / 1000, (long)(linger_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	reboot(RB_POWER_OFF);
	_exit(status);
}
