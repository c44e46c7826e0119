/* bench/density_instances: one instance's bookkeeping, shared by the sweep
 * and both backends — its initial state, its output (lines, READY on the
 * first line, the workload's result figures) and its death. Below the
 * backends, so they call it without calling back into the sweep. */
#include "density_internal.h"
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192

void hvc_density_inst_init(struct density_inst *in, const char *backend, int idx, int step)
{
	in->idx = idx;
	in->step = step;
	in->status_fd = in->out_fd = -1;
	in->started_ms = in->ready_ms = -1;
	in->died_step = -1;
	in->hvc_start_ms = in->sup_cpu_ms = -1;
	pthread_mutex_init(&in->lock, NULL);
	/* the sweep's pid in the name: a test can tell its instances from others' */
	snprintf(in->name, sizeof(in->name), "hvcdens-%d-%s-%d", (int)getpid(), backend, idx);
}

void hvc_density_inst_release(struct density_inst *in)
{
	free(in->line);
	in->line = NULL;
	free(in->console);
	in->console = NULL;
	pthread_mutex_destroy(&in->lock);
}

void hvc_density_mark_dead(struct density_inst *in, const char *kind, const char *fmt, ...)
{
	if (in->state == DI_DEAD)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->reason, sizeof(in->reason), fmt, ap);
	va_end(ap);
	in->fail_kind = kind;
	in->state = DI_DEAD;
}

/* A result line is JSON after any prefix: {"ok": true, "<metric>": 123.4}. */
static void take_result(struct density_ctx *ctx, struct density_inst *in, char *line)
{
	char *brace = strchr(hvc_str_trim(line), '{');
	if (!brace)
		return;
	json_object *o = NULL;
	struct hvc_error e = {0};
	if (hvc_json_parse(brace, strlen(brace), "workload line", &o, &e) < 0)
		return;
	json_object *v = hvc_json_get(o, ctx->metric);
	if (v && hvc_json_get_bool(o, "ok", true)) {
		struct density_result *r = &in->results[in->n_results % DENSITY_RESULTS_KEPT];
		r->t = hvc_now_ns();
		r->value = json_object_get_double(v);
		in->n_results++;
	}
	json_object_put(o);
}

static void on_line(struct density_ctx *ctx, struct density_inst *in, char *line)
{
	in->n_lines++;
	if (in->state == DI_LAUNCHED || in->state == DI_STARTED) {
		in->ready_ms = hvc_ns_to_ms(hvc_now_ns() - in->t_launch);
		if (in->started_ms < 0)
			in->started_ms = in->ready_ms;
		in->state = DI_READY;
	}
	if (ctx->metric)
		take_result(ctx, in, line);
}

void hvc_density_feed(struct density_ctx *ctx, struct density_inst *in, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			char *l = in->line ? in->line : (char[]){0};
			on_line(ctx, in, l);
			in->line_len = 0;
			if (in->line)
				in->line[0] = '\0';
			continue;
		}
		if (in->line_len >= LINE_MAX_BYTES - 1)
			continue; /* an overlong line is cut: results are short */
		if (!in->line)
			in->line = hvc_xcalloc(1, LINE_MAX_BYTES);
		in->line[in->line_len++] = ch;
		in->line[in->line_len] = '\0';
	}
}
