/* hvc-init: PID 1 of every container and VM. It announces READY, runs the
 * command given as its arguments, and reports the command's exit status.
 * (This first version execs the command directly; supervision — reaping,
 * signal forwarding, VM set-up — is added by the runtime and VM driver.) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "hvc-init: usage: hvc-init COMMAND [ARGS...]\n");
		return 2;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "hvc-init: exec \"%s\": %s\n", argv[1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
