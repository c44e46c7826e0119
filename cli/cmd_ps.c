/* hvc ps [-a] [-q]: list containers (running only unless -a). Stale ones
 * (their hvc was killed) are reclaimed on the way. */
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "hvc/container.h"

int hvc_cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool all = false, quiet = false, notrunc = false;
	int c;
	while ((c = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'n': notrunc = true; break;
		case 'h': printf("Usage: hvc ps [-a] [-q] [--no-trunc]\nList containers (running; -a: all).\n"); return 0;
		default: return hvc_cli_usage_error("ps", "bad option");
		}
	}
	struct hvc_error err = { 0 };
	_cleanup_strv_ char **ids = NULL;
	if (hvc_ctr_list(&ids, &err) < 0)
		return hvc_cli_fail("ps", &err, HVC_EXIT_FAIL);
	if (!quiet)
		printf("%-12s  %-20s  %-24s  %-20s  %-12s  %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
		       "STATUS", "NAMES");
	for (size_t i = 0; ids && ids[i]; i++) {
		hvc_ctr_reclaim_if_stale(ids[i], NULL);
		struct hvc_ctr_state st;
		struct hvc_ctr_spec s;
		_cleanup_json_ json_object *raw = NULL;
		if (hvc_ctr_state_read(ids[i], &st, NULL) < 0 || hvc_ctr_config_read(ids[i], &s, &raw, NULL) < 0)
			continue;
		if (all || st.status == HVC_CTR_RUNNING) {
			if (quiet) {
				printf("%.*s\n", notrunc ? 64 : 12, ids[i]);
			} else {
				char cmd[256] = "", status[32];
				for (size_t k = 0; s.argv && s.argv[k]; k++)
					snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", k ? " " : "", s.argv[k]);
				if (!notrunc && strlen(cmd) > 22)
					strcpy(cmd + 19, "...");
				if (st.status == HVC_CTR_EXITED)
					snprintf(status, sizeof(status), "Exited (%d)", st.exit_code);
				else
					snprintf(status, sizeof(status), "%s", st.status == HVC_CTR_RUNNING ? "Up" : "Created");
				const char *created = hvc_json_get_string(raw, "created");
				printf("%-12.*s  %-20s  \"%s\"%*s  %-20s  %-12s  %s\n", notrunc ? 64 : 12, ids[i],
				       s.image_ref ? s.image_ref : "", cmd, (int)(22 - strlen(cmd) > 0 ? 22 - strlen(cmd) : 0), "",
				       created ? created : "", status, s.name ? s.name : "");
			}
		}
		hvc_ctr_spec_free(&s);
	}
	return 0;
}
