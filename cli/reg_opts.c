/* cli/reg_opts: the options pull, push, login, run --pull and build --pull
 * share (TLS, certificates, credentials), the per-layer progress display (a
 * redrawn table on a terminal, one line per layer otherwise), and the one
 * parser and flow of pull and push (hvc_cli_reg_transfer: their files keep
 * only their usage and their own option). */
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/registry.h"

int hvc_cli_reg_opt(struct hvc_reg_opts *o, int c, const char *arg, const char *cmd)
{
	switch (c) {
	case HVC_CLI_REG_TLS:
		if (!arg || !strcmp(arg, "true"))
			o->tls_verify = 1;
		else if (!strcmp(arg, "false"))
			o->tls_verify = 0;
		else
			return hvc_cli_usage_error(cmd, "--tls-verify: expected true or false, not \"%s\"",
						   arg);
		return 0;
	case HVC_CLI_REG_CERTDIR: o->cert_dir = arg; return 0;
	case HVC_CLI_REG_AUTHFILE: o->authfile = arg; return 0;
	case HVC_CLI_REG_CREDS: o->creds = arg; return 0;
	case HVC_CLI_REG_PLATFORM: o->platform = arg; return 0;
	default: return 1;
	}
}

struct layer_line {
	char digest[20];
	const char *what, *state;
	int64_t done, total;
	double secs;
};

struct progress {
	bool tty;
	struct layer_line v[64];
	size_t n, drawn;
};

static struct layer_line *line_for(struct progress *p, const struct hvc_reg_progress *e)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strncmp(p->v[i].digest, e->digest + 7, 12))
			return &p->v[i];
	if (p->n == sizeof(p->v) / sizeof(p->v[0]))
		return NULL;
	struct layer_line *l = &p->v[p->n++];
	snprintf(l->digest, sizeof(l->digest), "%.12s", e->digest + 7);
	l->what = e->what;
	return l;
}

static void print_line(const struct layer_line *l)
{
	char a[32], b[32], r[32];
	double rate = l->secs > 0 ? (double)l->done / l->secs : 0;
	fprintf(stderr, "%-6s %s: %-9s %s / %s", l->what, l->digest, l->state,
		hvc_format_size((uint64_t)(l->done > 0 ? l->done : 0), a, sizeof(a)),
		hvc_format_size((uint64_t)(l->total > 0 ? l->total : 0), b, sizeof(b)));
	if (rate > 0)
		fprintf(stderr, " (%s/s)", hvc_format_size((uint64_t)rate, r, sizeof(r)));
}

static void on_progress(const struct hvc_reg_progress *e, void *data)
{
	struct progress *p = data;
	struct layer_line *l = line_for(p, e);
	if (!l)
		return;
	static const char *const states[] = { "waiting", "fetching", "present", "done", "retrying" };
	l->state = states[e->ev];
	l->done = e->done;
	l->total = e->total;
	l->secs = (double)e->elapsed_ns / 1e9;
	if (!p->tty) {
		if (e->ev == HVC_REG_EV_DONE || e->ev == HVC_REG_EV_SKIP || e->ev == HVC_REG_EV_RETRY) {
			print_line(l);
			fputc('\n', stderr);
		}
		return;
	}
	if (p->drawn)
		fprintf(stderr, "\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n; i++) {
		fputs("\r\033[2K", stderr);
		print_line(&p->v[i]);
		fputc('\n', stderr);
	}
	p->drawn = p->n;
}

void hvc_cli_reg_progress(struct hvc_reg_opts *o, bool quiet)
{
	static struct progress p;
	if (quiet)
		return;
	p.tty = isatty(STDERR_FILENO);
	o->progress = on_progress;
	o->progress_data = &p;
}

void hvc_cli_reg_defaults(struct hvc_reg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->root = hvc_root();
	o->tls_verify = -1;
}

int hvc_cli_reg_ensure(const char *cmd, const char *ref, const char *policy_arg)
{
	struct hvc_error err = { 0 };
	enum hvc_reg_pull_policy policy = HVC_PULL_MISSING;
	if (policy_arg && hvc_reg_pull_policy_parse(policy_arg, &policy, &err) < 0)
		return hvc_cli_usage_error(cmd, "%s", err.msg);
	struct hvc_reg_ref r;
	if (hvc_reg_ref_parse(ref, &r, NULL) != 1 || policy == HVC_PULL_NEVER) {
		hvc_reg_ref_clear(&r);
		return 0; /* the store alone: no need to open it here */
	}
	hvc_reg_ref_clear(&r);
	struct hvc_reg_opts o;
	hvc_cli_reg_defaults(&o);
	hvc_cli_reg_progress(&o, false);
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	if (hvc_image_store_open(hvc_root(), &s, &err) < 0 || hvc_reg_ensure(s, ref, policy, &o, &err) < 0)
		return hvc_cli_fail(cmd, &err, HVC_EXIT_RUNTIME);
	return 0;
}

/* ---------- pull and push: one parser, one flow --------------------------- */

static int transfer_opt(const struct hvc_cli_reg_cmd *cmd, struct hvc_reg_opts *o, int c,
			bool *quiet)
{
	int rc = hvc_cli_reg_opt(o, c, optarg, cmd->name);
	if (rc != 1)
		return rc;
	switch (c) {
	case 'q': *quiet = true; return 0;
	case 'h': cmd->usage(stdout); return -1;
	case HVC_CLI_REG_TRACE:
		/* the request trace: what `hvc -v -v` prints */
		if (hvc_log_get_level() < HVC_LOG_DEBUG)
			hvc_log_set_level(HVC_LOG_DEBUG);
		return 0;
	default:
		return cmd->own_opt ? cmd->own_opt(o, c, optarg) : hvc_cli_bad_option(HVC_EXIT_USAGE);
	}
}

int hvc_cli_reg_transfer(const struct hvc_cli_reg_cmd *cmd, int argc, char **argv)
{
	struct option opts[16] = {
		HVC_CLI_REG_OPTIONS,
		{ "trace", no_argument, NULL, HVC_CLI_REG_TRACE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
	};
	size_t n = 7;
	for (size_t i = 0; cmd->extra && cmd->extra[i].name && n < 15; i++)
		opts[n++] = cmd->extra[i];
	struct hvc_reg_opts o;
	hvc_cli_reg_defaults(&o);
	bool quiet = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+qh", opts)) != -1) {
		int rc = transfer_opt(cmd, &o, c, &quiet);
		if (rc)
			return rc < 0 ? HVC_EXIT_OK : rc;
	}
	int nargs = argc - optind;
	if (nargs < cmd->min_args || nargs > cmd->max_args)
		return hvc_cli_usage_error(cmd->name, "%s", cmd->args_error);
	hvc_cli_reg_progress(&o, quiet);
	struct hvc_error err = { 0 };
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	char digest[HVC_DIGEST_LEN];
	if (hvc_image_store_open(hvc_root(), &s, &err) < 0 ||
	    cmd->run(s, argv + optind, nargs, &o, digest, &err) < 0)
		return hvc_cli_fail(cmd->name, &err, HVC_EXIT_FAIL);
	printf("%s\n", digest);
	return HVC_EXIT_OK;
}
