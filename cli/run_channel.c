/* cli/run_channel: `hvc run`'s channel to the supervisor of its container
 * (-d: a pipe, -it: a socketpair), the part both use: the supervisor closes
 * the caller's end, reports a failed start as "E<exit hint><message>", and
 * the caller turns that report into its one line and exit status. */
#include <stdlib.h>
#include <unistd.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cli_sup_setup(void *data)
{
	struct hvc_cli_sup_channel *ch = data;
	close(ch->caller);
	return 0;
}

void hvc_cli_sup_failed(void *data, int hint, const struct hvc_error *err)
{
	struct hvc_cli_sup_channel *ch = data;
	char msg[sizeof(err->msg) + 8];
	int n = snprintf(msg, sizeof(msg), "E%03d%s", hint, err->msg);
	ssize_t w = write(ch->supervisor, msg, (size_t)n);
	(void)w;
}

int hvc_cli_sup_start_error(const char *msg)
{
	if (msg[0] != 'E') {
		fprintf(stderr, "hvc: run: the supervisor died before starting the container\n");
		return HVC_EXIT_RUNTIME;
	}
	int hint = atoi((char[4]){ msg[1], msg[2], msg[3], 0 });
	fprintf(stderr, "hvc: run: %s\n", msg + 4);
	return hint ? hint : HVC_EXIT_RUNTIME;
}
