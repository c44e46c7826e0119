/* hvc ps --filter KEY=VALUE: docker's keys that hvc's containers have.
 * Values of one key are alternatives, different keys must all match. */
#pragma once
#include <stdbool.h>
#include "hvc/container.h"

struct ps_filter {
	char **id, **name, **status, **network, **ancestor, **exited;
};

/* Adds one "KEY=VALUE"; an unknown key or a bad value is an error naming
 * what is accepted. */
int ps_filter_add(struct ps_filter *f, const char *arg, struct hvc_error *err);
bool ps_filter_match(const struct ps_filter *f, const char *id, const struct hvc_ctr_state *st,
		     const struct hvc_ctr_spec *s);
/* status= and exited= name stopped containers: listed without -a, as docker does. */
bool ps_filter_lists_stopped(const struct ps_filter *f);
void ps_filter_clear(struct ps_filter *f);
