/* cli/format.c: the --format renderer (json, templates, aligned tables, the
 * unknown-field and unsupported-syntax errors) and docker's human durations. */
#include "check_main.h"
#include "../../cli/format.h"

static const struct hvc_fmt_field fields[] = {
	{ "ID", "CONTAINER ID" },
	{ "Names", "NAMES" },
	{ "Size", "SIZE" },
	{ NULL, NULL },
};
#define DEFAULT_TABLE "table {{.ID}}\\t{{.Names}}"

/* Two rows: {"ID":"abc","Names":"web","Size":42}, {"ID":"d","Names":"a-long-name"} */
static json_object *rows(void)
{
	json_object *a = json_object_new_array(), *r = json_object_new_object();
	hvc_json_add_string(r, "ID", "abc");
	hvc_json_add_string(r, "Names", "web");
	hvc_json_add_int(r, "Size", 42);
	json_object_array_add(a, r);
	r = json_object_new_object();
	hvc_json_add_string(r, "ID", "d");
	hvc_json_add_string(r, "Names", "a-long-name");
	json_object_array_add(a, r);
	return a;
}

/* What format prints for rows(); NULL when it does not compile (err filled). */
static char *render(const char *format, struct hvc_error *err)
{
	_cleanup_fmt_ struct hvc_fmt *f = hvc_fmt_parse(format, DEFAULT_TABLE, fields, err);
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	_cleanup_json_ json_object *r = rows();
	hvc_fmt_print(f, r, m);
	fclose(m);
	return buf;
}

START_TEST(template_one_line_per_row)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *out = render("{{.Names}}", &err);
	ck_assert_str_eq(out, "web\na-long-name\n");
	free(out);
	out = render("id={{ .ID }}\\tsize={{.Size}}!", &err);
	ck_assert_str_eq(out, "id=abc\tsize=42!\nid=d\tsize=!\n"); /* a missing field prints empty */
}
END_TEST

START_TEST(table_aligns_columns_with_header)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *out = render("table {{.Names}}\\t{{.ID}}", &err);
	ck_assert_str_eq(out, "NAMES         CONTAINER ID\n"
			      "web           abc\n"
			      "a-long-name   d\n");
	free(out);
	/* no format, "" and "table" all mean the command's default table */
	const char *want = "CONTAINER ID   NAMES\nabc            web\nd              a-long-name\n";
	out = render(NULL, &err);
	ck_assert_str_eq(out, want);
	free(out);
	out = render("table", &err);
	ck_assert_str_eq(out, want);
	free(out);
	out = render("  ", &err);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(json_forms)
{
	struct hvc_error err = { 0 };
	_cleanup_free_ char *out = render("{{json .}}", &err);
	ck_assert_str_eq(out, "{\"ID\":\"abc\",\"Names\":\"web\",\"Size\":42}\n{\"ID\":\"d\",\"Names\":\"a-long-name\"}\n");
	free(out);
	out = render("{{json .Names}} {{json .Size}}", &err);
	ck_assert_str_eq(out, "\"web\" 42\n\"a-long-name\" null\n");
	free(out);
	out = render("json", &err);
	_cleanup_json_ json_object *parsed = json_tokener_parse(out);
	ck_assert(parsed && json_object_is_type(parsed, json_type_array));
	ck_assert_int_eq(json_object_array_length(parsed), 2);
	json_object *names = NULL;
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(parsed, 1), "Names", &names));
	ck_assert_str_eq(json_object_get_string(names), "a-long-name");
}
END_TEST

START_TEST(nested_keys_as_docker_inspect)
{
	static const struct hvc_fmt_field f[] = { { "State", "STATE" }, { NULL, NULL } };
	struct hvc_error err = { 0 };
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse("{{.State.Status}} {{.State.Pid}} [{{.State.Nope}}] {{json .State}}",
							 "table {{.State}}", f, &err);
	ck_assert_msg(fmt != NULL, "%s", err.msg);
	_cleanup_json_ json_object *rows = json_tokener_parse("[{\"State\":{\"Status\":\"running\",\"Pid\":7}}]");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	hvc_fmt_print(fmt, rows, m);
	fclose(m);
	ck_assert_str_eq(buf, "running 7 [] {\"Status\":\"running\",\"Pid\":7}\n");
	free(buf);
	ck_assert_ptr_null(hvc_fmt_parse("{{.Stat.Status}}", "table {{.State}}", f, &err));
	ck_assert_str_eq(err.msg, "unknown field \"Stat\" in --format; the fields are: State");
}
END_TEST

START_TEST(unknown_field_names_the_fields)
{
	struct hvc_error err = { 0 };
	ck_assert_ptr_null(render("{{.Nmes}}", &err));
	ck_assert_str_eq(err.msg, "unknown field \"Nmes\" in --format; the fields are: ID, Names, Size");
	ck_assert_ptr_null(render("table {{json .Bogus}}", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown field \"Bogus\""));
	ck_assert_ptr_null(render("{{.id}}", &err)); /* field names are case-sensitive, as in Go */
}
END_TEST

START_TEST(unsupported_syntax_is_refused)
{
	static const char *bad[] = { "{{if .ID}}x{{end}}", "{{range .}}", "{{.ID | upper}}", "{{.}}",
				     "{{printf \"%s\" .ID}}", "{{.ID..Sub}}", "{{json}}", "{{.ID.}}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct hvc_error err = { 0 };
		ck_assert_msg(!render(bad[i], &err), "%s compiled", bad[i]);
		ck_assert_msg(strstr(err.msg, "unsupported template action") && strstr(err.msg, "{{json .}}"),
			      "%s: %s", bad[i], err.msg);
	}
	struct hvc_error err = { 0 };
	ck_assert_ptr_null(render("{{.ID", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "unclosed"));
}
END_TEST

START_TEST(human_durations_as_docker)
{
	char b[32];
	ck_assert_str_eq(hvc_fmt_duration(0, b, sizeof(b)), "Less than a second");
	ck_assert_str_eq(hvc_fmt_duration(1, b, sizeof(b)), "1 second");
	ck_assert_str_eq(hvc_fmt_duration(59, b, sizeof(b)), "59 seconds");
	ck_assert_str_eq(hvc_fmt_duration(60, b, sizeof(b)), "About a minute");
	ck_assert_str_eq(hvc_fmt_duration(180, b, sizeof(b)), "3 minutes");
	ck_assert_str_eq(hvc_fmt_duration(3599, b, sizeof(b)), "59 minutes");
	ck_assert_str_eq(hvc_fmt_duration(3600, b, sizeof(b)), "About an hour");
	ck_assert_str_eq(hvc_fmt_duration(5 * 3600, b, sizeof(b)), "5 hours");
	ck_assert_str_eq(hvc_fmt_duration(3 * 86400, b, sizeof(b)), "3 days");
	ck_assert_str_eq(hvc_fmt_duration(15 * 86400, b, sizeof(b)), "2 weeks");
	ck_assert_str_eq(hvc_fmt_duration(100 * 86400, b, sizeof(b)), "3 months");
	ck_assert_str_eq(hvc_fmt_duration(800 * 86400LL, b, sizeof(b)), "2 years");
	ck_assert_int_eq(hvc_fmt_parse_time("1970-01-02T00:00:10Z"), 86410);
	ck_assert_int_eq(hvc_fmt_parse_time("2026-12-04T18:01:12.123456789Z"), 1796407272);
	ck_assert_int_eq(hvc_fmt_parse_time("2026-12-04 18:01:12"), -1);
	ck_assert_int_eq(hvc_fmt_parse_time(NULL), -1);
}
END_TEST

static Suite *cli_format_suite(void)
{
	Suite *s = suite_create("cli_format");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, template_one_line_per_row);
	tcase_add_test(tc, table_aligns_columns_with_header);
	tcase_add_test(tc, json_forms);
	tcase_add_test(tc, nested_keys_as_docker_inspect);
	tcase_add_test(tc, unknown_field_names_the_fields);
	tcase_add_test(tc, unsupported_syntax_is_refused);
	tcase_add_test(tc, human_durations_as_docker);
	suite_add_tcase(s, tc);
	return s;
}

HVC_CHECK_MAIN(cli_format_suite)
