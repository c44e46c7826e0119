/* vmdriver/watch: the host side of a running guest — reads the serial console
 * file as QEMU writes it (inotify wakes the reader, an eventfd signalled by
 * libvirt's lifecycle event says the domain stopped), hands the bytes to the
 * console parser (console.c), stamps the READY/EXIT timings and decides when
 * the run is over: READY with detach, EXIT, the guest's end, a timeout or a
 * cancel request. */
#include "vm-internal.h"
#include "hvc/trace.h"
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define POWEROFF_WAIT_MS 10000

void vm_run_on_output(void *opaque, const char *buf, size_t len)
{
	struct vm_run *r = opaque;
	if (r->o->output)
		r->o->output(r->o->opaque, buf, len);
	if (!r->o->capture)
		return;
	/* the guest decides how much it prints: checked, not abort-on-OOM */
	if (r->res->output_len + len + 1 > r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 4096;
		while (nc < r->res->output_len + len + 1)
			nc *= 2;
		char *np = realloc(r->res->output, nc);
		if (!np)
			return;
		r->res->output = np;
		r->cap = nc;
	}
	memcpy(r->res->output + r->res->output_len, buf, len);
	r->res->output_len += len;
	r->res->output[r->res->output_len] = '\0';
}

/* Last non-empty console line, for error messages. */
static char *console_tail(const char *path)
{
	_cleanup_free_ char *s = NULL;
	struct hvc_error err = {0};
	if (hvc_read_file(path, &s, NULL, &err) < 0)
		return NULL;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	char *nl = strrchr(s, '\n');
	char *line = nl ? nl + 1 : s;
	while (*line == '\r')
		line++;
	return *line ? strndup(line, 200) : NULL;
}

/* An error naming what the guest last printed. */
static int err_with_tail(const struct vm_run *r, struct hvc_error *err, const char *what)
{
	_cleanup_free_ char *tail = console_tail(r->console);
	return hvc_err(err, 0, "VM %s: %s%s%s%s", r->res->name, what,
		       tail ? "; last console line: \"" : "", tail ? tail : "", tail ? "\"" : "");
}

struct watch {
	int ino, fd;	       /* inotify on the console file; the file once it exists */
	uint64_t deadline;     /* for READY */
	uint64_t off_deadline; /* after EXIT: how long to wait for power-off; 0 before */
	bool stopped;	       /* libvirt reported the domain stopped */
};

enum { WATCH_GO_ON, WATCH_DONE };

/* Marks READY: the timing, the caller's hook; with detach the run is done. */
static int on_ready(struct vm_run *r)
{
	const struct hvc_vm_opts *o = r->o;
	if (r->tpl_build) /* HVC-WAIT: the template is ready to be saved */
		return WATCH_DONE;
	r->res->t.ready_ms = vm_run_since(r);
	hvc_debug("VM %s: READY after %.1f ms", r->res->name, r->res->t.ready_ms);
	HVC_TRACE("ready", "hvc-init printed READY on the console: the command starts");
	if (o->on_ready)
		o->on_ready(o->opaque, r->res->qemu_pid);
	return o->detach ? WATCH_DONE : WATCH_GO_ON;
}

/* Feeds what the console file holds now to the parser. */
static int drain_console(struct vm_run *r, struct watch *w)
{
	if (w->fd < 0) {
		w->fd = open(r->console, O_RDONLY | O_CLOEXEC);
		if (w->fd >= 0 && w->ino >= 0)
			inotify_add_watch(w->ino, r->console, IN_MODIFY);
	}
	if (w->fd < 0)
		return WATCH_GO_ON;
	char buf[65536];
	ssize_t n;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		if (!r->con.bytes)
			r->res->t.first_byte_ms = vm_run_since(r);
		if (!r->con.bytes)
			HVC_TRACE("vm.console", "first byte on the serial console (`%s`)", r->console);
		bool was_ready = r->con.ready;
		hvc_vm_console_feed(&r->con, buf, (size_t)n);
		if (!was_ready && r->con.ready && on_ready(r) == WATCH_DONE)
			return WATCH_DONE;
		if (r->con.exited && !r->res->t.exit_ms) {
			r->res->t.exit_ms = vm_run_since(r);
			w->off_deadline = hvc_now_ns() + POWEROFF_WAIT_MS * 1000000ull;
			/* hvc-init synced before reporting: nothing is left for the
			 * guest to do, so destroy now rather than wait for an emulated
			 * ACPI power-off (see docs/vm.md) */
			if (!r->o->wait_poweroff)
				return WATCH_DONE;
		}
	}
	return WATCH_GO_ON;
}

/* Cancel and the two deadlines: < 0 with err, WATCH_DONE when the power-off
 * wait is over, else WATCH_GO_ON. */
static int check_limits(struct vm_run *r, const struct watch *w, int timeout_ms,
			struct hvc_error *err)
{
	uint64_t now = hvc_now_ns();
	if (r->o->cancel && *r->o->cancel)
		return hvc_err(err, EINTR, "VM %s: stopped on request", r->res->name);
	if (!r->con.ready && now >= w->deadline) {
		char what[64];
		snprintf(what, sizeof(what), "no READY from hvc-init within %d s (--timeout)",
			 timeout_ms / 1000);
		return err_with_tail(r, err, what);
	}
	if (w->off_deadline && now >= w->off_deadline) {
		hvc_warn("VM %s: no power-off %d ms after the command ended; destroying it",
			 r->res->name, POWEROFF_WAIT_MS);
		return WATCH_DONE;
	}
	return WATCH_GO_ON;
}

/* Sleeps until the console grows, the domain stops, or 50 ms pass. */
static void wait_events(struct vm_run *r, struct watch *w)
{
	struct pollfd p[2] = {{.fd = r->evfd, .events = POLLIN}, {.fd = w->ino, .events = POLLIN}};
	int pr = poll(p, 2, 50);
	if (pr > 0 && (p[1].revents & POLLIN)) {
		char ev[4096];
		while (read(w->ino, ev, sizeof(ev)) > 0)
			;
	}
	if (pr > 0 && (p[0].revents & POLLIN)) {
		uint64_t v;
		ssize_t rd = read(r->evfd, &v, sizeof(v));
		(void)rd;
		w->stopped = true; /* one more pass drains the console */
	}
}

/* The guest stopped on its own: did it get as far as reporting its exit? */
static int stopped_verdict(const struct vm_run *r, struct hvc_error *err)
{
	if (!r->con.ready)
		return err_with_tail(r, err, "the guest stopped before hvc-init was READY");
	if (!r->con.exited)
		return hvc_err(
		    err, 0, "VM %s: the guest stopped without reporting the command's exit status",
		    r->res->name);
	return 0;
}

int vm_run_watch(struct vm_run *r, int timeout_ms, struct hvc_error *err)
{
	_cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* the guest's time starts when its domain does: connection set-up and
	 * libvirt's one-off QEMU capability probe (slow on a loaded host) do not count */
	struct watch w = {
	    .ino = ino, .fd = -1, .deadline = hvc_now_ns() + (uint64_t)timeout_ms * 1000000ull};
	int rc;
	for (;;) {
		if (drain_console(r, &w) == WATCH_DONE) {
			rc = 0;
			break;
		}
		if (w.stopped) {
			rc = stopped_verdict(r, err);
			break;
		}
		rc = check_limits(r, &w, timeout_ms, err);
		if (rc != WATCH_GO_ON) {
			rc = rc < 0 ? rc : stopped_verdict(r, err);
			break;
		}
		wait_events(r, &w);
	}
	if (w.fd >= 0)
		close(w.fd);
	return rc;
}
