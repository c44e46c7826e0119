/* bench/mem_series: the memory of a live instance read every 100 ms with
 * the time of each read, so the peak of a window of it can be taken later
 * (a shared VM boot: the peak during each workload's part of the boot). */
#include "bench_internal.h"
#include <string.h>
#include <unistd.h>

#define SERIES_INTERVAL_MS 100

static void *series_main(void *arg)
{
	struct hvc_bench_mem_series *s = arg;
	while (!s->stop) {
		struct hvc_bench_mem m;
		struct hvc_error err = {0};
		memset(&m, 0, sizeof(m));
		if (hvc_bench_mem_add_pid_tree(&m, s->pid, false, &err) == 0 && m.have_procs) {
			double t = hvc_ns_to_ms(hvc_now_ns() - s->t0);
			pthread_mutex_lock(&s->lock);
			if (s->n == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 64;
				s->t_ms = hvc_xrealloc(s->t_ms, s->cap, sizeof(*s->t_ms));
				s->mem = hvc_xrealloc(s->mem, s->cap, sizeof(*s->mem));
			}
			s->t_ms[s->n] = t;
			s->mem[s->n++] = m;
			pthread_mutex_unlock(&s->lock);
		}
		usleep(SERIES_INTERVAL_MS * 1000);
	}
	return NULL;
}

void hvc_bench_mem_series_start(struct hvc_bench_mem_series *s, pid_t pid)
{
	if (s->running || pid <= 0)
		return;
	s->pid = pid;
	s->stop = false;
	pthread_mutex_init(&s->lock, NULL);
	if (pthread_create(&s->thread, NULL, series_main, s) == 0)
		s->running = true;
	else
		pthread_mutex_destroy(&s->lock);
}

void hvc_bench_mem_series_stop(struct hvc_bench_mem_series *s)
{
	if (!s->running)
		return;
	s->stop = true;
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	s->running = false;
}

bool hvc_bench_mem_series_peak(const struct hvc_bench_mem_series *s, double from_ms, double to_ms,
			       struct hvc_bench_mem *peak)
{
	memset(peak, 0, sizeof(*peak));
	bool any = false;
	for (size_t i = 0; i < s->n; i++)
		if (s->t_ms[i] > from_ms && s->t_ms[i] <= to_ms) {
			hvc_bench_mem_max(peak, &s->mem[i]);
			any = true;
		}
	return any;
}

void hvc_bench_mem_series_free(struct hvc_bench_mem_series *s)
{
	hvc_bench_mem_series_stop(s);
	free(s->t_ms);
	free(s->mem);
	s->t_ms = NULL;
	s->mem = NULL;
	s->n = s->cap = 0;
}
