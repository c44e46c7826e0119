/* hvc-init: PID 1 of every container and VM (common part). It announces
 * READY when asked (HVC_READY_FD=N: the marker goes to fd N; HVC_READY=1: to
 * stdout), runs the command as its child, reaps every zombie the command's
 * descendants leave it, forwards the signals it receives to the command, and
 * exits with the command's status (128+N when killed by signal N). In a VM
 * the VM hooks of init.h set up the machine first and power it off last, and
 * ctrl-alt-del (the kernel's SIGINT to PID 1, sent by `hvc vm shutdown`)
 * stops the command as `docker stop` does: SIGTERM to its process group, and
 * SIGKILL at a second press (the host's, shortly before its own timeout).
 * Static, libc only. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "init.h"

extern char **environ;

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };

static void announce_ready(void)
{
	const char *fdv = getenv("HVC_READY_FD");
	const char *flag = getenv("HVC_READY");
	if (fdv && *fdv) {
		int fd = atoi(fdv);
		if (fd > 2) {
			ssize_t w = write(fd, HVC_READY_MARKER "\n", sizeof(HVC_READY_MARKER));
			(void)w;
			close(fd);
		}
	} else if (flag && !strcmp(flag, "1")) {
		printf("%s\n", HVC_READY_MARKER);
		fflush(stdout);
	}
	/* the command never sees the runtime's variables */
	unsetenv("HVC_READY_FD");
	unsetenv("HVC_READY");
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* A VM's ctrl-alt-del: with CAD off (init-vm.c) the kernel sends PID 1 a
 * SIGINT of its own (SI_KERNEL); a SIGINT a process sends is forwarded as
 * before. The first press asks the command's process group to end, the next
 * one kills it; the exit that follows powers the VM off with its status. */
static bool vm_ctrl_alt_del(bool vm, const siginfo_t *si, pid_t child)
{
	static int presses;
	if (!vm || si->si_signo != SIGINT || si->si_code != SI_KERNEL)
		return false;
	kill(-child, presses++ ? SIGKILL : SIGTERM);
	return true;
}

static int finish(bool vm, int code)
{
	if (vm)
		init_vm_poweroff(code);
	return code;
}

int main(int argc, char **argv)
{
	bool vm = init_vm_detect();
	char **cmd = argv + 1;
	if (vm) {
		char **envp = NULL;
		if (init_vm_setup(&cmd, &envp) < 0) {
			fprintf(stderr, "hvc-init: VM set-up failed\n");
			init_vm_poweroff(125);
		}
		if (envp)
			environ = envp;
	} else if (argc > 1 && !strcmp(argv[1], "--")) {
		cmd = argv + 2;
	}
	if (!cmd || !cmd[0]) {
		fprintf(stderr, "hvc-init: usage: hvc-init [--] COMMAND [ARGS...]\n");
		return finish(vm, 2);
	}

	sigset_t all, old;
	sigemptyset(&all);
	sigaddset(&all, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&all, forwarded[i]);
	sigprocmask(SIG_BLOCK, &all, &old);

	announce_ready();
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "hvc-init: fork: %s\n", strerror(errno));
		return finish(vm, 125);
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* own process group, in the foreground of the terminal when there is
		 * one, so ^C reaches the command and not PID 1 */
		setpgid(0, 0);
		if (isatty(0)) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpgrp());
			signal(SIGTTOU, SIG_DFL);
		}
		execvp(cmd[0], cmd);
		int e = errno;
		if (e == ENOENT)
			fprintf(stderr, "hvc-init: exec \"%s\": executable file not found in $PATH\n", cmd[0]);
		else
			fprintf(stderr, "hvc-init: exec \"%s\": %s\n", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	setpgid(child, child); /* as the child does: a signal to the group never misses it */

	int code = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (!vm_ctrl_alt_del(vm, &si, child))
				kill(child, sig);
			continue;
		}
		/* reap everything: orphans of the command end up here */
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == child) {
				code = status_code(st);
				return finish(vm, code);
			}
		}
	}
}
