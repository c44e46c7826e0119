/* util/trace: the one sink of trace events (include/hvc/trace.h) — human
 * lines or JSON lines (json-c) on one fd, and the relay that carries the
 * events of a child sharing this process's memory through a pipe. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "hvc/trace.h"
#include "hvc/util.h"

int hvc_trace_mode_ = HVC_TRACE_OFF;

static int sink_fd = -1;
static uint64_t t0;
static char self_src[8] = "hvc";
/* between relay_begin and relay_end: the pipe events go to, and their source */
static int relay_fd = -1;
static char relay_src[8];

/* One event in the relay pipe: fixed size, below PIPE_BUF, so each write is
 * atomic and each read returns whole records. */
struct relay_rec {
	uint64_t ts;
	char src[8];
	char event[40];
	char msg[448];
};
_Static_assert(sizeof(struct relay_rec) <= 512, "a relay record fits PIPE_BUF comfortably");

int hvc_trace_mode_parse(const char *arg)
{
	if (!arg || !strcmp(arg, "text"))
		return HVC_TRACE_TEXT;
	if (!strcmp(arg, "json"))
		return HVC_TRACE_JSON;
	return -1;
}

void hvc_trace_start(enum hvc_trace_mode mode, int fd, const char *src)
{
	sink_fd = fd;
	t0 = hvc_now_ns();
	snprintf(self_src, sizeof(self_src), "%s", src ? src : "hvc");
	hvc_trace_mode_ = mode;
}

void hvc_trace_stop(void)
{
	hvc_trace_mode_ = HVC_TRACE_OFF;
	sink_fd = -1;
	t0 = 0;
}

uint64_t hvc_trace_t0(void)
{
	return hvc_trace_mode_ ? t0 : 0;
}

static void format_json(uint64_t ts, const char *src, const char *event, const char *msg, char *buf,
			size_t len)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "ts_ns", json_object_new_int64((int64_t)ts));
	char ms[32];
	snprintf(ms, sizeof(ms), "%.3f", ts >= t0 ? hvc_ns_to_ms(ts - t0) : 0.0);
	json_object_object_add(o, "elapsed_ms", json_object_new_double_s(atof(ms), ms));
	json_object_object_add(o, "src", json_object_new_string(src));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	snprintf(buf, len, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

void hvc_trace_format(enum hvc_trace_mode mode, uint64_t ts, const char *src, const char *event,
		      const char *msg, char *buf, size_t len)
{
	if (mode == HVC_TRACE_JSON) {
		format_json(ts, src, event, msg, buf, len);
		return;
	}
	double ms = ts >= t0 ? hvc_ns_to_ms(ts - t0) : 0.0;
	snprintf(buf, len, "trace %9.3f ms  %-5s %-16s %s\n", ms, src, event, msg);
}

void hvc_trace_emit_at(uint64_t ts, const char *src, const char *event, const char *msg)
{
	if (!hvc_trace_mode_ || sink_fd < 0)
		return;
	char line[4096];
	hvc_trace_format((enum hvc_trace_mode)hvc_trace_mode_, ts ? ts : hvc_now_ns(), src, event, msg, line,
			 sizeof(line));
	size_t n = strlen(line);
	if (n && line[n - 1] != '\n') /* truncated: still one line */
		line[n - 1] = '\n';
	/* one write(2) per event: lines from the container's stderr never split one */
	ssize_t w = write(sink_fd, line, n);
	(void)w;
}

/* In a child sharing our memory: the stack, vsnprintf and one write(2) —
 * no allocation, no lock, no assignment to anything the parent reads. */
static void relay_emit(const char *event, const char *fmt, va_list ap)
{
	struct relay_rec r;
	r.ts = hvc_now_ns();
	memcpy(r.src, relay_src, sizeof(r.src));
	snprintf(r.event, sizeof(r.event), "%s", event);
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	ssize_t w = write(relay_fd, &r, sizeof(r));
	(void)w; /* a full pipe drops the event rather than stall the start */
}

void hvc_trace_emit(const char *event, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (relay_fd >= 0) {
		relay_emit(event, fmt, ap);
		va_end(ap);
		return;
	}
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hvc_trace_emit_at(0, self_src, event, msg);
}

int hvc_trace_relay_open(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 18); /* room for ~500 events while the parent is suspended */
	return 0;
}

void hvc_trace_relay_begin(int wfd, const char *src)
{
	snprintf(relay_src, sizeof(relay_src), "%s", src);
	relay_fd = wfd;
}

void hvc_trace_relay_end(void)
{
	relay_fd = -1;
}

void hvc_trace_relay_drain(int rfd, bool until_eof)
{
	if (rfd < 0)
		return;
	int fl = fcntl(rfd, F_GETFL);
	fcntl(rfd, F_SETFL, until_eof ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
	struct relay_rec recs[16];
	for (;;) {
		ssize_t n = read(rfd, recs, sizeof(recs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof(recs[0]); i++) {
			struct relay_rec *r = &recs[i];
			r->src[sizeof(r->src) - 1] = r->event[sizeof(r->event) - 1] = r->msg[sizeof(r->msg) - 1] = '\0';
			hvc_trace_emit_at(r->ts, r->src, r->event, r->msg);
		}
	}
	fcntl(rfd, F_SETFL, fl);
}
