/* hvc login / hvc logout: credentials in $HVC_ROOT/auth.json. The password
 * comes from stdin (--password-stdin) or, on a terminal, a prompt without
 * echo; it is never taken from the command line, where ps would show it. */
#include <getopt.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/registry.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hvc login [-u USER] [--password-stdin] [OPTIONS] HOST[:PORT]\n"
		   "Check the credentials against the registry, then store them in\n"
		   "$HVC_ROOT/auth.json (mode 0600; podman's and skopeo's format).\n\n"
		   "  -u, --username USER   (asked on a terminal when absent)\n"
		   "  --password-stdin      read the password from stdin\n"
		   "  --tls-verify=false, --cert-dir DIR, --authfile FILE: as for pull\n");
}

/* One line from f without its newline; echo off on a terminal. */
static char *read_secret(FILE *f, const char *prompt, bool echo)
{
	struct termios old, quiet;
	bool tty = isatty(fileno(f));
	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (!echo && tcgetattr(fileno(f), &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(fileno(f), TCSAFLUSH, &quiet);
		}
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (tty && !echo) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

int hvc_cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		HVC_CLI_REG_OPTIONS,
		{ "username", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hvc_reg_opts o;
	hvc_cli_reg_defaults(&o);
	_cleanup_free_ char *user = NULL;
	bool from_stdin = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+u:h", opts)) != -1) {
		int rc = hvc_cli_reg_opt(&o, c, optarg, "login");
		if (rc != 1) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case 'u': free(user); user = hvc_xstrdup(optarg); break;
		case 'P': from_stdin = true; break;
		case 'h': usage(stdout); return HVC_EXIT_OK;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		return hvc_cli_usage_error("login", "expected one registry HOST[:PORT]");
	if (!user && !(user = read_secret(stdin, "Username: ", true)))
		return hvc_cli_usage_error("login", "no user name (-u USER)");
	if (!from_stdin && !isatty(STDIN_FILENO))
		return hvc_cli_usage_error("login", "no terminal to ask the password: use --password-stdin");
	_cleanup_free_ char *pass = read_secret(stdin, "Password: ", false);
	if (!pass || !*pass)
		return hvc_cli_usage_error("login", "empty password");
	struct hvc_error err = { 0 };
	int rc = hvc_reg_login(&o, argv[optind], user, pass, &err);
	explicit_bzero(pass, strlen(pass));
	if (rc < 0)
		return hvc_cli_fail("login", &err, HVC_EXIT_FAIL);
	printf("Login Succeeded\n");
	return HVC_EXIT_OK;
}

int hvc_cmd_logout(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "authfile", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *authfile = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+h", opts)) != -1) {
		switch (c) {
		case 'a': authfile = optarg; break;
		case 'h':
			printf("Usage: hvc logout [--authfile FILE] HOST[:PORT]\n"
			       "Remove HOST's credentials from $HVC_ROOT/auth.json.\n");
			return HVC_EXIT_OK;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		return hvc_cli_usage_error("logout", "expected one registry HOST[:PORT]");
	struct hvc_error err = { 0 };
	_cleanup_free_ char *file = authfile ? hvc_xstrdup(authfile) : hvc_reg_authfile_path(hvc_root());
	int rc = hvc_reg_auth_remove(file, argv[optind], &err);
	if (rc < 0)
		return hvc_cli_fail("logout", &err, HVC_EXIT_FAIL);
	if (rc == 0) {
		fprintf(stderr, "hvc: logout: not logged in to %s\n", argv[optind]);
		return HVC_EXIT_FAIL;
	}
	printf("Removed login credentials for %s\n", argv[optind]);
	return HVC_EXIT_OK;
}
