/* util/strutil: small string helpers — formatting, sizes (parse and print),
 * prefixes, trimming. String vectors are in strv.c. */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include "hvc/util.h"

char *hvc_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int hvc_parse_size(const char *s, uint64_t *bytes, struct hvc_error *err)
{
	if (!s || !*s)
		return hvc_err(err, EINVAL, "invalid size \"\": expected a number with an optional unit (k, m, g)");
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v))
		return hvc_err(err, EINVAL, "invalid size \"%s\": expected a number with an optional unit (k, m, g)", s);
	uint64_t mult = 1;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'b': mult = 1; end++; break;
	case 'k': mult = 1ull << 10; end++; break;
	case 'm': mult = 1ull << 20; end++; break;
	case 'g': mult = 1ull << 30; end++; break;
	case 't': mult = 1ull << 40; end++; break;
	default:
		return hvc_err(err, EINVAL, "invalid size \"%s\": unknown unit \"%s\"", s, end);
	}
	if (mult > 1 && (!strcasecmp(end, "ib") || !strcasecmp(end, "b")))
		end += strlen(end);
	if (*end)
		return hvc_err(err, EINVAL, "invalid size \"%s\": trailing \"%s\"", s, end);
	double r = v * (double)mult;
	if (r > 1.8e19)
		return hvc_err(err, ERANGE, "invalid size \"%s\": too large", s);
	*bytes = (uint64_t)llround(r);
	return 0;
}

const char *hvc_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

bool hvc_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool hvc_str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

char *hvc_str_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}
