/* hvc run: parse Docker-style options into a container spec, then start it
 * in the foreground (this process relays its I/O and waits) or detached (a
 * double-forked supervisor does that and keeps the log). Exit status: the
 * command's, or 125 for hvc's own failures, 126/127 when the command cannot
 * be run — as docker run. */
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

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
		"  --network none|host     network namespace (none: only lo) or the host's\n"
		"  --cap-add CAP, --cap-drop CAP   change the capability set (ALL works)\n"
		"  --security-opt OPT      seccomp=unconfined|FILE.json, no-new-privileges\n"
		"  --userns                map container root to an unprivileged host range\n"
		"  --init / --no-init      hvc-init as PID 1 (default) or the command itself\n"
		"  --ready                 hvc-init prints " "HVC-READY" " before the command\n");
}

enum {
	O_RM = 256, O_NAME, O_ENVFILE, O_TMPFS, O_RO, O_HOSTNAME, O_CPUS, O_CPUSET, O_PIDS, O_NET,
	O_CAPADD, O_CAPDROP, O_SECOPT, O_USERNS, O_INIT, O_NOINIT, O_ENTRY, O_READY, O_DETACH_KEYS,
};

struct run_opts {
	struct hvc_ctr_spec spec;
	char **cap_add, **cap_drop;
	char *entrypoint;
	bool entrypoint_set;
	unsigned char detach_keys[HVC_DETACH_KEYS_MAX];
	size_t n_detach_keys;
};

static int parse(int argc, char **argv, struct run_opts *o, char **image, char ***cmd)
{
	static const struct option opts[] = {
		{ "rm", no_argument, NULL, O_RM }, { "detach", no_argument, NULL, 'd' },
		{ "name", required_argument, NULL, O_NAME }, { "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' }, { "env", required_argument, NULL, 'e' },
		{ "env-file", required_argument, NULL, O_ENVFILE }, { "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' }, { "volume", required_argument, NULL, 'v' },
		{ "tmpfs", required_argument, NULL, O_TMPFS }, { "read-only", no_argument, NULL, O_RO },
		{ "hostname", required_argument, NULL, O_HOSTNAME }, { "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, O_CPUS }, { "cpuset-cpus", required_argument, NULL, O_CPUSET },
		{ "pids-limit", required_argument, NULL, O_PIDS }, { "network", required_argument, NULL, O_NET },
		{ "net", required_argument, NULL, O_NET }, { "cap-add", required_argument, NULL, O_CAPADD },
		{ "cap-drop", required_argument, NULL, O_CAPDROP },
		{ "security-opt", required_argument, NULL, O_SECOPT }, { "userns", no_argument, NULL, O_USERNS },
		{ "init", no_argument, NULL, O_INIT }, { "no-init", no_argument, NULL, O_NOINIT },
		{ "entrypoint", required_argument, NULL, O_ENTRY }, { "ready", no_argument, NULL, O_READY },
		{ "detach-keys", required_argument, NULL, O_DETACH_KEYS },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct hvc_ctr_spec *s = &o->spec;
	struct hvc_error err = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "+dite:w:u:v:m:h", opts, NULL)) != -1) {
		switch (c) {
		case O_RM: s->rm = true; break;
		case 'd': s->detach = true; break;
		case O_NAME:
			if (!hvc_ctr_name_valid(optarg))
				return hvc_cli_usage_error("run", "invalid name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*", optarg);
			free(s->name);
			s->name = strdup(optarg);
			break;
		case 'i': s->interactive = true; break;
		case 't': s->tty = true; break;
		case 'e':
			if (hvc_ctr_env_set(&s->env, optarg, &err) < 0)
				return hvc_cli_fail("run: -e", &err, HVC_EXIT_RUNTIME);
			break;
		case O_ENVFILE: {
			_cleanup_free_ char *buf = NULL;
			size_t len;
			if (hvc_read_file(optarg, &buf, &len, &err) < 0 || hvc_ctr_env_file_parse(buf, &s->env, &err) < 0)
				return hvc_cli_fail("run: --env-file", &err, HVC_EXIT_RUNTIME);
			break;
		}
		case 'w':
			if (optarg[0] != '/')
				return fprintf(stderr, "hvc: run: working directory \"%s\" must be absolute\n", optarg),
				       HVC_EXIT_RUNTIME;
			free(s->workdir);
			s->workdir = strdup(optarg);
			break;
		case 'u': free(s->user); s->user = strdup(optarg); break;
		case 'v':
		case O_TMPFS: {
			struct hvc_ctr_volume v = { 0 };
			if (c == 'v') {
				if (hvc_ctr_volume_parse(optarg, true, &v, &err) < 0)
					return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
			} else {
				if (optarg[0] != '/')
					return fprintf(stderr, "hvc: run: --tmpfs \"%s\": path must be absolute\n", optarg),
					       HVC_EXIT_RUNTIME;
				v.dst = strndup(optarg, strcspn(optarg, ":"));
				v.tmpfs = true;
			}
			s->vols = realloc(s->vols, (s->n_vols + 1) * sizeof(*s->vols));
			s->vols[s->n_vols++] = v;
			break;
		}
		case O_RO: s->read_only = true; break;
		case O_HOSTNAME: free(s->hostname); s->hostname = strdup(optarg); break;
		case 'm':
			if (hvc_parse_size(optarg, &s->limits.memory, &err) < 0)
				return hvc_cli_fail("run: --memory", &err, HVC_EXIT_RUNTIME);
			if (s->limits.memory < (6u << 20))
				return fprintf(stderr, "hvc: run: --memory \"%s\": the minimum is 6m\n", optarg),
				       HVC_EXIT_RUNTIME;
			break;
		case O_CPUS: {
			char *end;
			double v = strtod(optarg, &end);
			if (*end || !(v > 0.0) || !isfinite(v) || v > 1024)
				return fprintf(stderr, "hvc: run: --cpus \"%s\": not a positive number\n", optarg),
				       HVC_EXIT_RUNTIME;
			s->limits.cpus = v;
			break;
		}
		case O_CPUSET:
			if (!*optarg || strspn(optarg, "0123456789,-") != strlen(optarg))
				return fprintf(stderr, "hvc: run: --cpuset-cpus \"%s\": not a CPU list like 0-1,3\n", optarg),
				       HVC_EXIT_RUNTIME;
			free(s->limits.cpuset);
			s->limits.cpuset = strdup(optarg);
			break;
		case O_PIDS: {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (*end || v < -1 || v == 0)
				return fprintf(stderr, "hvc: run: --pids-limit \"%s\": not a positive number\n", optarg),
				       HVC_EXIT_RUNTIME;
			s->limits.pids = v < 0 ? 0 : v;
			break;
		}
		case O_NET:
			if (!strcmp(optarg, "none"))
				s->net = HVC_CTR_NET_NONE;
			else if (!strcmp(optarg, "host"))
				s->net = HVC_CTR_NET_HOST;
			else
				return fprintf(stderr, "hvc: run: --network \"%s\": only none and host are supported\n", optarg),
				       HVC_EXIT_RUNTIME;
			break;
		case O_CAPADD: hvc_strv_push(&o->cap_add, optarg); break;
		case O_CAPDROP: hvc_strv_push(&o->cap_drop, optarg); break;
		case O_SECOPT:
			if (!strcmp(optarg, "no-new-privileges") || !strcmp(optarg, "no-new-privileges:true") ||
			    !strcmp(optarg, "no-new-privileges=true")) {
				/* always on in hvc */
			} else if (!strcmp(optarg, "seccomp=unconfined") || !strcmp(optarg, "seccomp:unconfined")) {
				s->seccomp = HVC_CTR_SECCOMP_UNCONFINED;
			} else if (hvc_str_has_prefix(optarg, "seccomp=") || hvc_str_has_prefix(optarg, "seccomp:")) {
				s->seccomp = HVC_CTR_SECCOMP_FILE;
				free(s->seccomp_file);
				s->seccomp_file = realpath(optarg + 8, NULL);
				if (!s->seccomp_file)
					return fprintf(stderr, "hvc: run: seccomp profile `%s`: %s\n", optarg + 8, strerror(errno)),
					       HVC_EXIT_RUNTIME;
			} else {
				return fprintf(stderr, "hvc: run: --security-opt \"%s\": unsupported (seccomp=unconfined|FILE.json, no-new-privileges)\n", optarg),
				       HVC_EXIT_RUNTIME;
			}
			break;
		case O_USERNS: s->userns = true; break;
		case O_INIT: s->init = true; break;
		case O_NOINIT: s->init = false; break;
		case O_ENTRY: free(o->entrypoint); o->entrypoint = strdup(optarg); o->entrypoint_set = true; break;
		case O_READY: s->ready = true; break;
		case O_DETACH_KEYS:
			if (hvc_ctr_detach_keys_parse(optarg, o->detach_keys, &o->n_detach_keys, &err) < 0)
				return hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return HVC_EXIT_RUNTIME;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "hvc: run: an IMAGE is required (see: hvc run --help)\n");
		return HVC_EXIT_RUNTIME;
	}
	*image = argv[optind];
	*cmd = argv + optind + 1;
	if (s->rm && s->detach) {
		/* allowed, as in Docker: the supervisor removes it at exit */
	}
	for (size_t i = 0; o->cap_add && o->cap_add[i]; i++) {
		uint64_t b = 0;
		if (hvc_ctr_cap_parse(o->cap_add[i], &b, &err) < 0)
			return hvc_cli_fail("run: --cap-add", &err, HVC_EXIT_RUNTIME);
		s->caps |= b;
	}
	for (size_t i = 0; o->cap_drop && o->cap_drop[i]; i++) {
		uint64_t b = 0;
		if (hvc_ctr_cap_parse(o->cap_drop[i], &b, &err) < 0)
			return hvc_cli_fail("run: --cap-drop", &err, HVC_EXIT_RUNTIME);
		s->caps &= ~b;
	}
	return 0;
}

/* -d: a supervisor (double fork, own session) runs and waits for the
 * container; this process prints the id once it started, or the error. */
static int run_detached(struct hvc_ctr_spec *s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return fprintf(stderr, "hvc: run: pipe: %s\n", strerror(errno)), HVC_EXIT_RUNTIME;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return fprintf(stderr, "hvc: run: fork: %s\n", strerror(errno)), HVC_EXIT_RUNTIME;
	if (pid == 0) {
		close(p[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		struct hvc_error err = { 0 };
		struct hvc_ctr *c;
		int hint;
		char msg[sizeof(err.msg) + 8];
		if (hvc_ctr_start(s, &c, &hint, &err) < 0) {
			int n = snprintf(msg, sizeof(msg), "E%03d%s", hint, err.msg);
			ssize_t w = write(p[1], msg, (size_t)n);
			(void)w;
			_exit(hint);
		}
		int n = snprintf(msg, sizeof(msg), "I%s", hvc_ctr_id(c));
		ssize_t w = write(p[1], msg, (size_t)n);
		(void)w;
		close(p[1]);
		struct hvc_ctr_io io = { .in_fd = -1, .out_fd = -1, .err_fd = -1, .log = true };
		int rc = hvc_ctr_wait(c, &io, &err);
		_exit(rc < 0 ? 125 : rc);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	char buf[4096];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	if (n <= 0)
		return fprintf(stderr, "hvc: run: the supervisor died before starting the container\n"), HVC_EXIT_RUNTIME;
	buf[n] = '\0';
	if (buf[0] == 'I') {
		printf("%s\n", buf + 1);
		return 0;
	}
	int hint = atoi((char[4]){ buf[1], buf[2], buf[3], 0 });
	fprintf(stderr, "hvc: run: %s\n", buf + 4);
	return hint ? hint : HVC_EXIT_RUNTIME;
}

int hvc_cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	hvc_ctr_spec_init(&o.spec);
	char *image = NULL, **cmd = NULL;
	_cleanup_strv_ char **ep = NULL; /* before the first goto */
	int rc = parse(argc, argv, &o, &image, &cmd);
	if (rc != 0)
		goto out;
	struct hvc_error err = { 0 };
	if (o.entrypoint_set && *o.entrypoint)
		hvc_strv_push(&ep, o.entrypoint);
	char *empty[] = { NULL };
	if (hvc_ctr_spec_set_image(&o.spec, image, cmd, o.entrypoint_set ? (ep ? ep : empty) : NULL, &err) < 0) {
		rc = hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
		goto out;
	}
	if (o.spec.detach) {
		rc = run_detached(&o.spec);
		goto out;
	}
	if (o.spec.tty && o.spec.interactive) {
		if (!isatty(0)) {
			/* the container's shell would wait forever: a pty has no EOF */
			fprintf(stderr, "hvc: run: -it: the input device is not a TTY (use -i without -t to pipe input)\n");
			rc = HVC_EXIT_RUNTIME;
			goto out;
		}
		if (!o.n_detach_keys)
			hvc_ctr_detach_keys_parse(HVC_DETACH_KEYS_DEFAULT, o.detach_keys, &o.n_detach_keys, NULL);
		rc = hvc_cli_run_attached(&o.spec, o.detach_keys, o.n_detach_keys);
		goto out;
	}
	struct hvc_ctr *c;
	int hint;
	if (hvc_ctr_start(&o.spec, &c, &hint, &err) < 0) {
		rc = hvc_cli_fail("run", &err, hint);
		goto out;
	}
	struct hvc_ctr_io io = { .in_fd = o.spec.interactive ? 0 : -1, .out_fd = 1, .err_fd = 2, .log = true };
	rc = hvc_ctr_wait(c, &io, &err);
	if (rc < 0)
		rc = hvc_cli_fail("run", &err, HVC_EXIT_RUNTIME);
out:
	hvc_ctr_spec_free(&o.spec);
	hvc_strv_free(o.cap_add);
	hvc_strv_free(o.cap_drop);
	free(o.entrypoint);
	return rc < 0 ? 0 : rc;
}
