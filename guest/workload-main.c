/* hvc-workload: the identical workloads every backend runs. Each prints
 * exactly one JSON line of results on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int idle(int argc, char **argv)
{
	double secs = argc > 0 ? atof(argv[0]) : 0;
	printf("{\"workload\":\"idle\",\"pid\":%d,\"ready\":true,\"sleep_s\":%g}\n", (int)getpid(), secs);
	fflush(stdout);
	double end = now_s() + secs;
	while (now_s() < end)
		usleep(10000);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: hvc-workload WORKLOAD [ARGS...]\n  workloads: idle [SECONDS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "idle"))
		return idle(argc - 2, argv + 2);
	fprintf(stderr, "hvc-workload: unknown workload \"%s\"\n", argv[1]);
	return 2;
}
