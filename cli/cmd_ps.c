/* hvc ps [-a] [-q] [--no-trunc] [-f KEY=VALUE] [--format F]: list containers (running only
 * unless -a), newest first, with docker's columns and field names. Stale
 * ones (their hvc was killed) are reclaimed on the way. */
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cli.h"
#include "format.h"
#include "hvc/container.h"
#include "hvc/network.h"
#include "ps_filter.h"

static const struct hvc_fmt_field ps_fields[] = {
	{ "ID", "CONTAINER ID" }, { "Image", "IMAGE" },	    { "Command", "COMMAND" }, { "CreatedAt", "CREATED AT" },
	{ "RunningFor", "CREATED" }, { "Status", "STATUS" }, { "State", "STATE" },     { "Ports", "PORTS" },
	{ "Names", "NAMES" },	     { NULL, NULL },
};
#define PS_TABLE "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}"

struct ps_row {
	json_object *row;
	int64_t created;    /* seconds since the epoch */
	int64_t created_ns; /* config.json's mtime: orders starts within one second */
};

static void ps_usage(void)
{
	printf("Usage: hvc ps [-a] [-q] [--no-trunc] [-f|--filter KEY=VALUE] [--format FORMAT]\n"
	       "List containers, newest first (running ones; -a: all).\n\n"
	       "  -a, --all          also stopped and created containers\n"
	       "  -q, --quiet        only the IDs\n"
	       "      --no-trunc     full IDs and commands\n"
	       "  -f, --filter K=V   only matching containers; keys: id (prefix), name (substring),\n"
	       "                     status (created|running|exited), network, ancestor (image), exited (code)\n"
	       "      --format F     json, table [TEMPLATE], or a template such as '{{.Names}}\\t{{.Status}}'\n"
	       "                     fields: ID Image Command CreatedAt RunningFor Status State Ports Names\n");
}

/* "Up 3 minutes", "Exited (0) 2 hours ago", "Created" as docker prints them. */
static void status_text(const struct hvc_ctr_state *st, int64_t now, char *buf, size_t len)
{
	char d[48];
	if (st->status == HVC_CTR_RUNNING) {
		int64_t t = hvc_fmt_parse_time(st->started_at);
		snprintf(buf, len, "Up %s", t < 0 ? "" : hvc_fmt_duration(now - t, d, sizeof(d)));
	} else if (st->status == HVC_CTR_EXITED) {
		int64_t t = hvc_fmt_parse_time(st->finished_at);
		if (t < 0)
			snprintf(buf, len, "Exited (%d)", st->exit_code);
		else
			snprintf(buf, len, "Exited (%d) %s ago", st->exit_code, hvc_fmt_duration(now - t, d, sizeof(d)));
	} else {
		snprintf(buf, len, "Created");
	}
}

static void add_command(json_object *row, const struct hvc_ctr_spec *s, bool notrunc)
{
	char cmd[512] = "";
	for (size_t k = 0; s->argv && s->argv[k]; k++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", k ? " " : "", s->argv[k]);
	if (!notrunc && strlen(cmd) > 22)
		strcpy(cmd + 19, "...");
	_cleanup_free_ char *quoted = hvc_xasprintf("\"%s\"", cmd);
	hvc_json_add_string(row, "Command", quoted);
}

static void add_ports(json_object *row, const struct hvc_ctr_spec *s)
{
	char ports[512] = "", one[64];
	for (size_t k = 0; k < s->n_ports; k++)
		snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports), "%s%s", k ? ", " : "",
			 hvc_net_port_format(&s->ports[k], one, sizeof(one)));
	hvc_json_add_string(row, "Ports", ports);
}

/* One container's row, NULL when it is not to be listed. */
static json_object *ps_row(const char *id, const struct ps_filter *f, bool all, bool notrunc, int64_t now,
			   int64_t *created)
{
	struct hvc_ctr_state st;
	struct hvc_ctr_spec s;
	_cleanup_json_ json_object *raw = NULL;
	hvc_ctr_reclaim_if_stale(id, NULL);
	if (hvc_ctr_state_read(id, &st, NULL) < 0 || hvc_ctr_config_read(id, &s, &raw, NULL) < 0)
		return NULL;
	json_object *row = NULL;
	if ((all || st.status == HVC_CTR_RUNNING) && ps_filter_match(f, id, &st, &s)) {
		char buf[128], d[48];
		const char *at = hvc_json_get_string(raw, "created");
		*created = hvc_fmt_parse_time(at);
		row = json_object_new_object();
		snprintf(buf, sizeof(buf), "%.*s", notrunc ? HVC_CTR_ID_LEN : 12, id);
		hvc_json_add_string(row, "ID", buf);
		hvc_json_add_string(row, "Image", s.image_ref ? s.image_ref : "");
		add_command(row, &s, notrunc);
		hvc_json_add_string(row, "CreatedAt", at ? at : "");
		snprintf(buf, sizeof(buf), "%s ago", hvc_fmt_duration(now - *created, d, sizeof(d)));
		hvc_json_add_string(row, "RunningFor", *created < 0 ? "" : buf);
		status_text(&st, now, buf, sizeof(buf));
		hvc_json_add_string(row, "Status", buf);
		hvc_json_add_string(row, "State", hvc_ctr_status_name(st.status));
		add_ports(row, &s);
		hvc_json_add_string(row, "Names", s.name ? s.name : "");
	}
	hvc_ctr_spec_free(&s);
	return row;
}

static int64_t config_mtime_ns(const char *id)
{
	_cleanup_free_ char *p = hvc_strdup_printf("%s/containers/%s/config.json", hvc_root(), id);
	struct stat sb;
	return stat(p, &sb) == 0 ? (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec : 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct ps_row *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return x->created_ns < y->created_ns ? 1 : x->created_ns > y->created_ns ? -1 : 0;
}

/* The rows to list, newest first, as a JSON array. */
static json_object *ps_rows(char **ids, const struct ps_filter *f, bool all, bool notrunc)
{
	size_t n = hvc_strv_len(ids), k = 0;
	_cleanup_free_ struct ps_row *rows = hvc_xcalloc(n + 1, sizeof(*rows));
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < n; i++) {
		struct ps_row r = { 0 };
		if ((r.row = ps_row(ids[i], f, all, notrunc, now, &r.created))) {
			r.created_ns = config_mtime_ns(ids[i]);
			rows[k++] = r;
		}
	}
	qsort(rows, k, sizeof(*rows), newest_first);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < k; i++)
		json_object_array_add(arr, rows[i].row);
	return arr;
}

int hvc_cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },	     { "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'n' },	     { "format", required_argument, NULL, 'F' },
		{ "filter", required_argument, NULL, 'f' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	__attribute__((cleanup(ps_filter_clear))) struct ps_filter filter = { 0 };
	struct hvc_error err = { 0 };
	bool all = false, quiet = false, notrunc = false;
	const char *format = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "aqf:h", opts)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'n': notrunc = true; break;
		case 'F': format = optarg; hvc_cli_set_format(optarg); break;
		case 'f':
			if (ps_filter_add(&filter, optarg, &err) < 0)
				return hvc_cli_usage_error("ps", "%s", err.msg);
			break;
		case 'h': ps_usage(); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("ps", "unexpected argument \"%s\"", argv[optind]);
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(quiet ? "{{.ID}}" : format, PS_TABLE, ps_fields, &err);
	if (!fmt)
		return hvc_cli_fail("ps", &err, HVC_EXIT_USAGE);
	_cleanup_strv_ char **ids = NULL;
	if (hvc_ctr_list(&ids, &err) < 0)
		return hvc_cli_fail("ps", &err, HVC_EXIT_FAIL);
	_cleanup_json_ json_object *rows = ps_rows(ids, &filter, all || ps_filter_lists_stopped(&filter), notrunc);
	hvc_fmt_print(fmt, rows, stdout);
	return 0;
}
