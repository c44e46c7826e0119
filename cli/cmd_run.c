/* hvc run: parse Docker-style options into a container spec, then start it
 * in the foreground (this process relays its I/O and waits) or detached (a
 * double-forked supervisor does that and keeps the log). Exit status: the
 * command's, or 125 for hvc's own failures, 126/127 when the command cannot
 * be run — as docker run. */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"
#include "hvc/trace.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvc run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
		"Run a command in a new container (IMAGE: a stored image, or an absolute rootfs dir).\n\n"
		"  --rm                    remove the container when it exits\n"
		"  -d, --detach            run in the background, print the id\n"
		"  --name NAME             a unique name\n"
		"  -i, --interactive       keep stdin open\n"
		"  -t, --tty               allocate a pseudo-terminal\n"
		"  --detach-keys KEYS      with -it: the keys that detach (default ctrl-p,ctrl-q)\n"
		"  -e, --env K=V           set an environment variable (K alone: from this env)\n"
		"  --env-file FILE         read K=V lines\n"
		"  -w, --workdir DIR       working directory\n"
		"  -u, --user U[:G]        user (name or uid) and group\n"
		"  -v, --volume H:C[:ro]   bind-mount a host path\n"
		"  --tmpfs PATH            mount a tmpfs\n"
		"  --read-only             read-only root filesystem\n"
		"  --hostname NAME         container host name\n"
		"  --entrypoint CMD        override the image's entrypoint\n"
		"  -m, --memory BYTES      memory limit (swap off), e.g. 64m\n"
		"  --cpus N                CPU quota\n"
		"  --cpuset-cpus LIST      CPUs allowed, e.g. 0-1\n"
		"  --pids-limit N          maximum number of processes\n"
		"  --network MODE          bridge (the hvc0 network, the default), none (only lo),\n"
		"                          host, NETWORK (a user network), container:NAME\n"
		"  -p, --publish [IP:]HOST:CTR[/tcp|udp]   publish a port (bridge networks)\n"
		"  -P, --publish-all       publish every EXPOSEd port on a free host port\n"
		"  --cap-add CAP, --cap-drop CAP   change the capability set (ALL works)\n"
		"  --security-opt OPT      seccomp=unconfined|FILE.json, no-new-privileges\n"
		"  --userns                map container root to an unprivileged host range\n"
		"  --init / --no-init      hvc-init as PID 1 (default) or the command itself\n"
		"  --ready                 hvc-init prints " "HVC-READY" " before the command\n"
		"  --pull POLICY           missing (default), always, never: pull an IMAGE that\n"
		"                          names a registry (HOST[:PORT]/NAME[:TAG])\n"
		"  --trace[=json]          each step of the start and exit on stderr (docs/trace.md)\n"
		"  --timings               print the start's phase timings on stderr at exit\n");
}

enum {
	O_RM = 256, O_NAME, O_ENVFILE, O_TMPFS, O_RO, O_HOSTNAME, O_CPUS, O_CPUSET, O_PIDS, O_NET,
	O_CAPADD, O_CAPDROP, O_SECOPT, O_USERNS, O_INIT, O_NOINIT, O_ENTRY, O_READY, O_DETACH_KEYS,
	O_TRACE,
	O_PULL,
	O_TIMINGS,
};

static const struct option run_options[] = {
	{ "rm", no_argument, NULL, O_RM }, { "detach", no_argument, NULL, 'd' },
	{ "name", required_argument, NULL, O_NAME }, { "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' }, { "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, O_ENVFILE }, { "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' }, { "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, O_TMPFS }, { "read-only", no_argument, NULL, O_RO },
	{ "hostname", required_argument, NULL, O_HOSTNAME }, { "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, O_CPUS }, { "cpuset-cpus", required_argument, NULL, O_CPUSET },
	{ "pids-limit", required_argument, NULL, O_PIDS }, { "network", required_argument, NULL, O_NET },
	{ "net", required_argument, NULL, O_NET }, { "publish", required_argument, NULL, 'p' },
	{ "publish-all", no_argument, NULL, 'P' },
	{ "cap-add", required_argument, NULL, O_CAPADD },
	{ "cap-drop", required_argument, NULL, O_CAPDROP },
	{ "security-opt", required_argument, NULL, O_SECOPT }, { "userns", no_argument, NULL, O_USERNS },
	{ "init", no_argument, NULL, O_INIT }, { "no-init", no_argument, NULL, O_NOINIT },
	{ "entrypoint", required_argument, NULL, O_ENTRY }, { "ready", no_argument, NULL, O_READY },
	{ "detach-keys", required_argument, NULL, O_DETACH_KEYS },
	{ "trace", optional_argument, NULL, O_TRACE },
	{ "pull", required_argument, NULL, O_PULL },
	{ "timings", no_argument, NULL, O_TIMINGS },
	{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
};

/* Options whose value the library validates and records in the spec. */
static const struct {
	int opt;
	int (*set)(struct hvc_ctr_spec *s, const char *arg, struct hvc_error *err);
} spec_values[] = {
	{ 'w', hvc_ctr_opt_workdir },	   { 'v', hvc_ctr_opt_volume },	   { O_TMPFS, hvc_ctr_opt_tmpfs },
	{ 'm', hvc_ctr_opt_memory },	   { O_CPUS, hvc_ctr_opt_cpus },   { O_CPUSET, hvc_ctr_opt_cpuset },
	{ O_PIDS, hvc_ctr_opt_pids },	   { O_NET, hvc_ctr_opt_network }, { O_SECOPT, hvc_ctr_opt_security },
	{ 'p', hvc_ctr_opt_publish },
};

struct run_opts {
	struct hvc_ctr_spec spec;
	char **cap_add, **cap_drop;
	char *entrypoint; /* NULL: the image's */
	unsigned char detach_keys[HVC_DETACH_KEYS_MAX];
	size_t n_detach_keys;
	bool publish_all; /* -P: resolved against the image once it is known */
	char *pull;       /* --pull POLICY; NULL: missing */
	bool timings;     /* --timings: this process must be the supervisor */
};

static void run_opts_free(struct run_opts *o)
{
	hvc_ctr_spec_free(&o->spec);
	hvc_strv_free(o->cap_add);
	hvc_strv_free(o->cap_drop);
	free(o->entrypoint);
	free(o->pull);
}

/* The options without a value; false when c is not one of them. */
static bool parse_flag(struct hvc_ctr_spec *s, int c)
{
	switch (c) {
	case O_RM: s->rm = true; break;
	case 'd': s->detach = true; break;
	case 'i': s->interactive = true; break;
	case 't': s->tty = true; break;
	case O_RO: s->read_only = true; break;
	case O_USERNS: s->userns = true; break;
	case O_INIT: s->init = true; break;
	case O_NOINIT: s->init = false; break;
	case O_READY: s->ready = true; break;
	default: return false;
	}
	return true;
}

static void replace_str(char **dst, const char *value)
{
	free(*dst);
	*dst = hvc_xstrdup(value);
}

static int parse_env_file(struct hvc_ctr_spec *s, const char *path)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (hvc_read_file(path, &buf, &len, &err) < 0 || hvc_ctr_env_file_parse(buf, &s->env, &err) < 0)
		return hvc_cli_fail("run: --env-file", &err, HVC_EXIT_RUNTIME);
	return 0;
}

/* The options the library does not validate: names, env, collected lists,
 * and help. 0, -1 after --help, or an exit status. */
static int parse_other(struct run_opts *o, int c, const char *arg)
{
	struct hvc_ctr_spec *s = &o->spec;
	struct hvc_error err = { 0 };
	switch (c) {
	case O_NAME:
		if (!hvc_ctr_name_valid(arg))
			return hvc_cli_usage_error("run", "invalid name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*", arg);
		replace_str(&s->name, arg);
		return 0;
	case 'P':
		o->publish_all = true;
		return 0;
	case 'e':
		return hvc_ctr_env_set(&s->env, arg, &err) < 0 ? hvc_cli_fail("run: -e", &err, HVC_EXIT_RUNTIME) : 0;
	case O_ENVFILE: return parse_env_file(s, arg);
	case 'u': replace_str(&s->user, arg); return 0;
	case O_HOSTNAME: replace_str(&s->hostname, arg); return 0;
	case O_CAPADD: hvc_strv_push(&o->cap_add, arg); return 0;
	case O_CAPDROP: hvc_strv_push(&o->cap_drop, arg); return 0;
	case O_ENTRY: replace_str(&o->entrypoint, arg); return 0;
	case O_PULL: replace_str(&o->pull, arg); return 0;
	case O_TIMINGS: o->timings = true; return 0;
	case O_DETACH_KEYS:
		if (hvc_ctr_detach_keys_parse(arg, o->detach_keys, &o->n_detach_keys, &err) < 0)
			return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
		return 0;
	case O_TRACE:
		if (hvc_trace_mode_parse(arg) < 0)
			return hvc_cli_usage_error("run", "--trace=%s: expected text or json", arg);
		hvc_trace_start((enum hvc_trace_mode)hvc_trace_mode_parse(arg), 2, "hvc");
		return 0;
	case 'h': usage(stdout); return -1;
	default: return hvc_cli_bad_option(HVC_EXIT_RUNTIME);
	}
}

static int parse_one(struct run_opts *o, int c, const char *arg)
{
	if (parse_flag(&o->spec, c))
		return 0;
	for (size_t i = 0; i < sizeof(spec_values) / sizeof(spec_values[0]); i++) {
		if (spec_values[i].opt != c)
			continue;
		struct hvc_error err = { 0 };
		if (spec_values[i].set(&o->spec, arg, &err) < 0)
			return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
		return 0;
	}
	return parse_other(o, c, arg);
}

/* 0, -1 after --help, or an exit status. */
static int parse(int argc, char **argv, struct run_opts *o, char **image, char ***cmd)
{
	int c, rc;
	while ((c = hvc_cli_getopt(argc, argv, "+dite:w:u:v:m:p:Ph", run_options)) != -1)
		if ((rc = parse_one(o, c, optarg)) != 0)
			return rc;
	if (optind >= argc) {
		hvc_cli_print_error("run", "an IMAGE is required", "run", HVC_EXIT_RUNTIME);
		return HVC_EXIT_RUNTIME;
	}
	*image = argv[optind];
	*cmd = argv + optind + 1;
	if (o->timings && (o->spec.detach || (o->spec.tty && o->spec.interactive)))
		return hvc_cli_usage_error("run", "--timings: not with %s (another process starts the container)",
					   o->spec.detach ? "-d" : "-it");
	/* --rm with -d is allowed, as in Docker: the supervisor removes it at exit */
	struct hvc_error err = { 0 };
	if (hvc_ctr_opt_caps(&o->spec, o->cap_add, o->cap_drop, &err) < 0)
		return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
	return 0;
}

static void detached_started(void *data, struct hvc_ctr *c)
{
	struct hvc_cli_sup_channel *ch = data;
	char msg[HVC_CTR_ID_LEN + 2];
	int n = snprintf(msg, sizeof(msg), "I%s", hvc_ctr_id(c));
	ssize_t w = write(ch->supervisor, msg, (size_t)n);
	(void)w;
	close(ch->supervisor);
}

/* -d: a supervisor (double fork, own session) runs and waits for the
 * container; this process prints the id once it started, or the error. */
static int run_detached(struct hvc_ctr_spec *s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return fprintf(stderr, "hvc: run: pipe: %s\n", strerror(errno)), HVC_EXIT_RUNTIME;
	struct hvc_cli_sup_channel ch = { .caller = p[0], .supervisor = p[1] };
	struct hvc_ctr_supervisor sup = {
		.spec = s, .detach = true, .data = &ch,
		.io = { .in_fd = -1, .out_fd = -1, .err_fd = -1, .log = true },
		.setup = hvc_cli_sup_setup, .failed = hvc_cli_sup_failed, .started = detached_started,
	};
	struct hvc_error err = { 0 };
	if (hvc_ctr_supervise(&sup, &err) < 0) {
		close(p[0]), close(p[1]);
		return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
	}
	close(p[1]);
	char buf[4096];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	if (buf[0] != 'I')
		return hvc_cli_sup_start_error(buf);
	printf("%s\n", buf + 1);
	return 0;
}

/* -it: the terminal must be one (the container's shell would wait forever:
 * a pty has no EOF), and there is a way to detach. */
static int run_tty(struct run_opts *o)
{
	if (!isatty(0)) {
		fprintf(stderr, "hvc: run: -it: the input device is not a TTY (use -i without -t to pipe input)\n");
		return HVC_EXIT_RUNTIME;
	}
	if (!o->n_detach_keys)
		hvc_ctr_detach_keys_parse(HVC_DETACH_KEYS_DEFAULT, o->detach_keys, &o->n_detach_keys, NULL);
	return hvc_cli_run_attached(&o->spec, o->detach_keys, o->n_detach_keys);
}

/* --timings: each phase in ms from hvc_ctr_start; a phase the start never
 * reached (no --ready, no output, no exit) is "-", never a 0 that reads as
 * instant. */
static void print_timings(const struct hvc_ctr_timings *t)
{
	const struct {
		const char *name;
		uint64_t at;
	} ph[] = {
		{ "prepared", t->prepared }, { "cgroup", t->cgroup }, { "cloned", t->cloned },
		{ "rootfs", t->rootfs },     { "exec", t->exec },     { "READY", t->ready },
		{ "first output", t->first_output }, { "exited", t->exited },
	};
	fprintf(stderr, "timings (ms):");
	for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		if (ph[i].at && ph[i].at >= t->t0)
			fprintf(stderr, "%s %s %.1f", i ? "," : "", ph[i].name, hvc_ns_to_ms(ph[i].at - t->t0));
		else
			fprintf(stderr, "%s %s -", i ? "," : "", ph[i].name);
	}
	fprintf(stderr, "\n");
}

/* In the foreground, this process is the supervisor. */
static int run_foreground(struct hvc_ctr_spec *s, bool timings)
{
	struct hvc_error err = { 0 };
	struct hvc_ctr *c;
	int hint;
	if (hvc_ctr_start(s, &c, &hint, &err) < 0)
		return hvc_cli_fail("run", &err, hint);
	struct hvc_ctr_io io = { .in_fd = s->interactive ? 0 : -1, .out_fd = 1, .err_fd = 2, .log = true };
	struct hvc_ctr_timings t = { 0 };
	int rc = hvc_ctr_wait_timed(c, &io, &t, &err);
	if (timings)
		print_timings(&t);
	return rc < 0 ? hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME) : rc;
}

static int run(struct run_opts *o, const char *image, char **cmd)
{
	struct hvc_error err = { 0 };
	int prc = hvc_cli_reg_ensure("run", image, o->pull);
	if (prc)
		return prc;
	if (hvc_ctr_spec_set_image_entrypoint(&o->spec, image, cmd, o->entrypoint, &err) < 0)
		return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
	if (o->publish_all && hvc_ctr_publish_exposed(&o->spec, &err) < 0)
		return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
	if (o->spec.detach)
		return run_detached(&o->spec);
	if (o->spec.tty && o->spec.interactive)
		return run_tty(o);
	return run_foreground(&o->spec, o->timings);
}

int hvc_cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	hvc_ctr_spec_init(&o.spec);
	hvc_ctr_opt_network(&o.spec, "bridge", NULL); /* the default, as in Docker (docs/network.md) */
	char *image = NULL, **cmd = NULL;
	int rc = parse(argc, argv, &o, &image, &cmd);
	if (rc == 0)
		rc = run(&o, image, cmd);
	run_opts_free(&o);
	return rc < 0 ? 0 : rc;
}
