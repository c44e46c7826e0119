/* util/time: clocks — monotonic for every measured interval, wall clock only
 * for labels. */
#include <time.h>
#include "hvc/util.h"

uint64_t hvc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double hvc_ns_to_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

int hvc_deadline_poll_ms(uint64_t deadline_ns)
{
	if (!deadline_ns)
		return -1;
	uint64_t now = hvc_now_ns();
	if (now >= deadline_ns)
		return -2;
	return (int)((deadline_ns - now) / 1000000ull) + 1;
}

const char *hvc_wall_iso8601(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}
