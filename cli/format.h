/* --format for the listing commands (ps, images, inspect, stats, vm ps,
 * network ls): a small renderer for the Go-template subset docker users type.
 * Pure (rows in, text out), unit-tested in tests/unit/test_cli_format.c.
 *
 * Supported: "json" (one JSON array), "table" (the command's default columns),
 * "table TEMPLATE" (a header row, columns aligned at tabs), or TEMPLATE (one
 * line per row). In a template: literal text, the escapes \t and \n, and the
 * actions {{.Field}}, {{json .}} and {{json .Field}}, where .Field may go on
 * into an object's keys (.State.Status, as docker inspect). Anything else inside
 * {{ }} (if, range, pipes, functions) is refused with an error that names what
 * is supported, and an unknown field with one that lists the fields there are. */
#ifndef HVC_CLI_FORMAT_H
#define HVC_CLI_FORMAT_H

#include <stdio.h>
#include "hvc/util.h"

/* One field a command offers: its docker name and its table column header. */
struct hvc_fmt_field {
	const char *name;
	const char *header;
};

struct hvc_fmt;

/* Compiles format (NULL or "" or "table": default_table, which must be a
 * "table ..." template) against fields (terminated by a NULL name). NULL with
 * err filled on an unknown field or unsupported syntax. */
struct hvc_fmt *hvc_fmt_parse(const char *format, const char *default_table, const struct hvc_fmt_field *fields,
			      struct hvc_error *err);
void hvc_fmt_free(struct hvc_fmt *f);
static inline void hvc_fmt_freep(struct hvc_fmt **f)
{
	hvc_fmt_free(*f); /* safe on NULL */
	*f = NULL;
}
#define _cleanup_fmt_ __attribute__((cleanup(hvc_fmt_freep)))

/* Prints rows (a JSON array of objects keyed by field name) as f says. A
 * field missing from a row prints as an empty string. */
void hvc_fmt_print(const struct hvc_fmt *f, json_object *rows, FILE *out);
/* true for the "json" form (callers print errors as JSON then). */
bool hvc_fmt_is_json(const struct hvc_fmt *f);

/* Docker's human duration: "Less than a second", "5 seconds", "About a
 * minute", "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks",
 * "4 months", "2 years". */
const char *hvc_fmt_duration(int64_t seconds, char *buf, size_t len);
/* Seconds since the epoch of "2026-12-04T18:01:12Z" (UTC, optional
 * fraction); -1 when it is not such a time. */
int64_t hvc_fmt_parse_time(const char *iso);

#endif
