/* cli: argument parsing and dispatch only — every command calls the library
 * and turns its hvc_error into a message and an exit status. */
#ifndef HVC_CLI_H
#define HVC_CLI_H

#include <getopt.h>
#include "hvc/util.h"

/* Exit statuses shared by all commands. */
enum { HVC_EXIT_OK = 0, HVC_EXIT_FAIL = 1, HVC_EXIT_USAGE = 2, HVC_EXIT_RUNTIME = 125 };

struct hvc_cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command's own name */
	const char *summary;
};

/* Runs table entry argv[0]; unknown name -> usage listing on stderr, exit 2. */
int hvc_cli_dispatch(const char *group, const struct hvc_cli_cmd *table, int argc, char **argv);
/* Prints "hvc: <what>: <err->msg>" and returns status. */
int hvc_cli_fail(const char *what, const struct hvc_error *err, int status);
/* hvc run -it (cli/run_attached.c): a supervisor of its own, this process
 * attached to the pty until the container exits or keys detach it. */
struct hvc_ctr_spec;
int hvc_cli_run_attached(struct hvc_ctr_spec *s, const unsigned char *keys, size_t n_keys);
/* hvc run's channel to the container's supervisor (-d: a pipe, -it: a
 * socketpair), used as the data of a struct hvc_ctr_supervisor
 * (cli/run_channel.c). The supervisor writes "I<id>" once started, or
 * "E<exit hint, 3 digits><message>" when the start failed. */
struct hvc_cli_sup_channel {
	int caller, supervisor; /* each side's end */
	bool listening;         /* -it: the caller waits for the exit status */
};
int hvc_cli_sup_setup(void *channel);	/* supervisor: closes the caller's end */
void hvc_cli_sup_failed(void *channel, int exit_hint, const struct hvc_error *err);
/* Caller: prints an "E..." report (or that the supervisor died: anything
 * else) and returns the exit status. */
int hvc_cli_sup_start_error(const char *msg);
/* Prints "hvc: <what>: <fmt...>" plus a hint to --help, returns HVC_EXIT_USAGE. */
int hvc_cli_usage_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resets getopt for a (sub)command's own parse. */
void hvc_cli_getopt_reset(void);

/* ---------- options and errors, one way for every command (cli/options.c) ---------- */
/* getopt_long for every parser: never prints; on an unknown flag, a missing
 * argument or an argument a flag does not take it returns '?' and keeps why
 * for hvc_cli_bad_option(). */
int hvc_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Prints "hvc: CMD: unknown flag --x (see 'hvc CMD --help')" for the last
 * bad option and returns status: HVC_EXIT_RUNTIME for run, HVC_EXIT_USAGE
 * everywhere else. */
int hvc_cli_bad_option(int status);
/* A command without options: -h/--help prints usage and returns 0, a flag is
 * a bad option (2), -1 to go on with the operands from optind. */
int hvc_cli_parse_none(int argc, char **argv, const char *usage);
/* The same for a command whose only option is -f/--format FORMAT (into *format). */
int hvc_cli_parse_format(int argc, char **argv, const char *usage, const char **format);
/* A -t SECS argument: a whole number 0..max into *out, 0; otherwise prints
 * "hvc: CMD: -t \"x\": not a number of seconds" and returns HVC_EXIT_USAGE. */
int hvc_cli_parse_seconds(const char *cmd, const char *s, long max, int *out);
/* The command as typed ("image ls"), recorded by hvc_cli_dispatch(). */
void hvc_cli_set_cmd_path(const char *group, const char *name);
const char *hvc_cli_cmd_path(void);
/* --format's value: with "json", errors are printed as {"error":..,"code":..}. */
void hvc_cli_set_format(const char *format);
bool hvc_cli_json_errors(void);
/* Every error line: "hvc: WHAT: MSG" (+ " (see 'hvc HINT --help')" when
 * hint is non-NULL), or the JSON form. */
void hvc_cli_print_error(const char *what, const char *msg, const char *hint, int status);
/* "unknown command" with a did-you-mean hint; returns HVC_EXIT_USAGE. */
int hvc_cli_unknown_command(const char *group, const struct hvc_cli_cmd *table, const char *name);
/* Registry options shared by pull, push, login (cli/reg_opts.c). */
struct hvc_reg_opts;
enum { HVC_CLI_REG_TLS = 0x300, HVC_CLI_REG_CERTDIR, HVC_CLI_REG_AUTHFILE, HVC_CLI_REG_CREDS,
       HVC_CLI_REG_PLATFORM };
#define HVC_CLI_REG_OPTIONS                                                                        \
	{ "tls-verify", optional_argument, NULL, HVC_CLI_REG_TLS },                                 \
	    { "cert-dir", required_argument, NULL, HVC_CLI_REG_CERTDIR },                          \
	    { "authfile", required_argument, NULL, HVC_CLI_REG_AUTHFILE },                         \
	    { "creds", required_argument, NULL, HVC_CLI_REG_CREDS }
#define HVC_CLI_REG_HELP                                                                           \
	"  --tls-verify=false            no TLS verification; plain http allowed\n"                  \
	"  --cert-dir DIR                DIR/*.crt: CA; DIR/*.cert + *.key: client cert\n"          \
	"  --authfile FILE               credentials (default $HVC_ROOT/auth.json)\n"               \
	"  --creds USER:PASS             credentials for this command only\n"                       \
	"  -q, --quiet                   no progress\n"
/* 0 handled, 1 not a registry option, else an exit status. */
int hvc_cli_reg_opt(struct hvc_reg_opts *o, int c, const char *arg, const char *cmd);
void hvc_cli_reg_defaults(struct hvc_reg_opts *o);
void hvc_cli_reg_progress(struct hvc_reg_opts *o, bool quiet);
/* run/build --pull=POLICY (NULL: missing) for ref; 0 or an exit status. */
int hvc_cli_reg_ensure(const char *cmd, const char *ref, const char *policy);
/* pull and push (cli/reg_opts.c): the shared registry options, --trace, -q
 * and -h, plus the command's own (extra; own_opt: 0 handled, else a usage
 * error already printed); then the store opened, run, the digest printed. */
#define HVC_CLI_REG_TRACE 0x310
struct hvc_image_store;
struct hvc_cli_reg_cmd {
	const char *name;
	void (*usage)(FILE *f);
	const struct option *extra;
	int (*own_opt)(struct hvc_reg_opts *o, int c, const char *arg);
	int min_args, max_args;
	const char *args_error;
	int (*run)(struct hvc_image_store *s, char **args, int n, const struct hvc_reg_opts *o,
		   char *digest /* HVC_DIGEST_LEN bytes */, struct hvc_error *err);
};
int hvc_cli_reg_transfer(const struct hvc_cli_reg_cmd *cmd, int argc, char **argv);

/* hvc attach / start -a (cli/attach_follow.c): follows the container's log
 * from offset from (< 0: its end) until it exits (returns its exit code) or
 * the detach keys are typed (0); stdin_keys: a tty container gets the keys
 * of a terminal on stdin; sig_proxy: SIGINT/TERM/HUP are passed on. */
struct hvc_cli_attach_opts {
	const char *cmd, *id, *name;
	bool stdin_keys, sig_proxy;
	const unsigned char *keys;
	size_t n_keys;
};
enum { HVC_ATTACH_DETACHED_STATUS = 1000 };
int hvc_cli_attach(const struct hvc_cli_attach_opts *o, off_t from);

/* The one shape of the three inspects (cli/inspect_common.c): a new object
 * with Kind, Id, Name, Created, Image, State first (null when rest lacks
 * one), then rest's other keys; rest is consumed. */
json_object *hvc_cli_inspect_object(const char *kind, json_object *rest);
/* Prints the array pretty, or as format says (fields: the kind's keys). */
struct hvc_fmt_field;
int hvc_cli_inspect_print(const char *cmd, const char *format, const struct hvc_fmt_field *fields,
			  json_object *arr);

/* The top-level commands (cli/commands.c) and group tables. */
extern const struct hvc_cli_cmd hvc_cli_commands[];

int hvc_cmd_info(int argc, char **argv);
int hvc_cmd_images(int argc, char **argv);
int hvc_cmd_image(int argc, char **argv);
int hvc_cmd_build(int argc, char **argv);
int hvc_cmd_bench(int argc, char **argv);
int hvc_cmd_run(int argc, char **argv);
int hvc_cmd_image_bundle(int argc, char **argv); /* in the image group */
int hvc_cmd_ps(int argc, char **argv);
int hvc_cmd_logs(int argc, char **argv);
int hvc_cmd_stop(int argc, char **argv);
int hvc_cmd_kill(int argc, char **argv);
int hvc_cmd_rm(int argc, char **argv);
int hvc_cmd_exec(int argc, char **argv);
int hvc_cmd_stats(int argc, char **argv);
int hvc_cmd_inspect(int argc, char **argv);
int hvc_cmd_wait(int argc, char **argv);
int hvc_cmd_system(int argc, char **argv);
int hvc_cmd_vm(int argc, char **argv);
int hvc_cmd_bench_density(int argc, char **argv); /* in the bench group */
int hvc_cmd_plan(int argc, char **argv);
int hvc_cmd_network(int argc, char **argv);
int hvc_cmd_port(int argc, char **argv);
int hvc_cmd_version(int argc, char **argv);
const char *hvc_cli_version(void); /* `hvc --version`, the same string as `hvc version` */
int hvc_cmd_container(int argc, char **argv); /* docker's `container ls|rm|inspect|...` */
int hvc_cmd_rmi(int argc, char **argv);	      /* `image rm` */
int hvc_cmd_pull(int argc, char **argv);
int hvc_cmd_push(int argc, char **argv);
int hvc_cmd_login(int argc, char **argv);
int hvc_cmd_logout(int argc, char **argv);
int hvc_cmd_start(int argc, char **argv);
int hvc_cmd_attach(int argc, char **argv);
int hvc_cmd_cp(int argc, char **argv);
int hvc_cmd_top(int argc, char **argv);
/* in the vm group (cli/cmd_vm_ops.c) */
int hvc_cmd_vm_shutdown(int argc, char **argv);
int hvc_cmd_vm_dominfo(int argc, char **argv);
int hvc_cmd_vm_stats(int argc, char **argv);

#endif
