/* vmdriver/console: reads the guest's serial console stream. Before hvc-init's
 * READY line everything is boot noise (kernel messages); after it the bytes
 * are the command's output, passed on as they arrive except a line that may
 * still turn out to be the "HVC-EXIT <status>" report, held back until it can
 * be told apart. Pure: bytes in, callbacks and state out. */
#include <string.h>
#include "hvc/vm.h"
#include "../guest/init.h"
#include "hvc/trace.h"
#include "vm-internal.h"

static const char exit_prefix[] = HVC_EXIT_MARKER " ";

static void emit(struct hvc_vm_console *c, const char *b, size_t n)
{
	if (n && c->output)
		c->output(c->opaque, b, n);
}

/* A complete line (without its '\n') before READY. */
static void boot_line(struct hvc_vm_console *c)
{
	size_t n = c->line_len;
	while (n && c->line[n - 1] == '\r')
		n--;
	if (hvc_trace_on())
		vm_trace_guest_line(c->line, n);
	const char *marker = c->ready_marker ? c->ready_marker : HVC_READY_MARKER;
	size_t ml = strlen(marker);
	/* the marker may follow kernel noise on the same line */
	if (n >= ml && !memcmp(c->line + n - ml, marker, ml))
		c->ready = true;
}

/* One byte before READY: collect the line, look for the marker at its end. */
static void feed_boot(struct hvc_vm_console *c, char ch)
{
	if (ch == '\n') {
		boot_line(c);
		c->line_len = 0;
	} else if (c->line_len < sizeof(c->line)) {
		c->line[c->line_len++] = ch;
	} else {
		/* only the tail can hold the marker */
		memmove(c->line, c->line + 64, sizeof(c->line) - 64);
		c->line_len = sizeof(c->line) - 64;
		c->line[c->line_len++] = ch;
	}
}

/* One byte of a line that began "HVC-EXIT ": at its end, the exit status or
 * (when no number follows) ordinary output after all. */
static void feed_exit_line(struct hvc_vm_console *c, char ch)
{
	size_t pl = sizeof(exit_prefix) - 1;
	if (ch == '\n') {
		c->line[c->line_len < sizeof(c->line) - 1 ? c->line_len : sizeof(c->line) - 1] = '\0';
		char *end = NULL;
		long st = strtol(c->line + pl, &end, 10);
		if (end != c->line + pl) {
			c->exit_status = (int)st;
			c->exited = true;
		} else {
			emit(c, c->line, c->line_len);
			emit(c, "\n", 1);
		}
		c->line_len = 0;
	} else if (c->line_len < sizeof(c->line) - 2) {
		c->line[c->line_len++] = ch;
	} else {
		emit(c, c->line, c->line_len);
		emit(c, &ch, 1);
		c->line_len = sizeof(c->line);
	}
}

/* After READY: line_len counts held-back bytes of a possible marker; the
 * sentinel line_len == sizeof(line) means "passing the line through". Returns
 * the index of the last byte consumed. */
static size_t feed_output(struct hvc_vm_console *c, const char *buf, size_t len, size_t i)
{
	char ch = buf[i];
	if (c->line_len == sizeof(c->line)) {
		size_t j = i;
		while (j < len && buf[j] != '\n')
			j++;
		emit(c, buf + i, j - i + (j < len));
		if (j < len)
			c->line_len = 0;
		return j;
	}
	if (c->line_len >= sizeof(exit_prefix) - 1) { /* inside "HVC-EXIT ..." */
		feed_exit_line(c, ch);
		return i;
	}
	if (ch == exit_prefix[c->line_len]) {
		c->line[c->line_len++] = ch;
		return i;
	}
	/* not the marker: release what was held and pass the line through */
	emit(c, c->line, c->line_len);
	emit(c, &ch, 1);
	c->line_len = ch == '\n' ? 0 : sizeof(c->line);
	return i;
}

void hvc_vm_console_feed(struct hvc_vm_console *c, const char *buf, size_t len)
{
	c->bytes += len;
	for (size_t i = 0; i < len && !c->exited; i++) {
		if (!c->ready)
			feed_boot(c, buf[i]);
		else
			i = feed_output(c, buf, len, i);
	}
}
