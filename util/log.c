/* util/log: levelled logging to stderr, the one place library code prints.
 * The level comes from -v/--log-level/HVC_LOG. */
#include <string.h>
#include <unistd.h>
#include "hvc/util.h"

static enum hvc_log_level current = HVC_LOG_WARN;
static const char *const names[] = { "error", "warn", "info", "debug", "trace" };

void hvc_log_set_level(enum hvc_log_level lvl)
{
	current = lvl;
}

enum hvc_log_level hvc_log_get_level(void)
{
	return current;
}

int hvc_log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "warning") == 0)
		return HVC_LOG_WARN;
	return -1;
}

void hvc_log(enum hvc_log_level lvl, const char *fmt, ...)
{
	if (lvl > current)
		return;
	char line[4096];
	int n = snprintf(line, sizeof(line), "hvc: %s: ", names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	line[len++] = '\n';
	/* one write(2) so lines from concurrent processes do not interleave */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
