/* util/curl_lazy: libcurl (the registry client's HTTP), loaded on first use
 * (see hvc/lazy.h). Linked, it would bring 32 shared libraries (nghttp2,
 * gssapi, ldap, ssh, ...) into every hvc start; only pull, push and login
 * talk HTTP. Every libcurl function hvc calls is listed here.
 *
 * curl_easy_setopt and curl_easy_getinfo are variadic: the wrappers read the
 * one argument by the option's type class, as libcurl itself does (an option
 * number encodes its argument type: long, pointer, function, curl_off_t). */
#define CURL_DISABLE_TYPECHECK 1
#include "hvc/lazy.h"
#include <curl/curl.h>
#include <stdarg.h>

#ifndef HVC_SONAME_CURL
#define HVC_SONAME_CURL "libcurl.so.4"
#endif
HVC_LAZY_LIB(curl_lib, HVC_SONAME_CURL);

HVC_LAZY_FN(curl_lib, CURLcode, curl_global_init, (long flags), (flags))
HVC_LAZY_FN(curl_lib, CURL *, curl_easy_init, (void), ())
HVC_LAZY_VOID_FN(curl_lib, curl_easy_cleanup, (CURL * c), (c))
HVC_LAZY_VOID_FN(curl_lib, curl_easy_reset, (CURL * c), (c))
HVC_LAZY_FN(curl_lib, CURLcode, curl_easy_perform, (CURL * c), (c))
HVC_LAZY_FN(curl_lib, const char *, curl_easy_strerror, (CURLcode e), (e))
HVC_LAZY_FN(curl_lib, CURLHcode, curl_easy_header,
	    (CURL * c, const char *name, size_t index, unsigned int origin, int request,
	     struct curl_header **hout),
	    (c, name, index, origin, request, hout))
HVC_LAZY_FN(curl_lib, struct curl_slist *, curl_slist_append,
	    (struct curl_slist * l, const char *s), (l, s))
HVC_LAZY_VOID_FN(curl_lib, curl_slist_free_all, (struct curl_slist * l), (l))
HVC_LAZY_FN(curl_lib, char *, curl_easy_escape, (CURL * c, const char *s, int len), (c, s, len))
HVC_LAZY_VOID_FN(curl_lib, curl_free, (void *p), (p))
HVC_LAZY_FN(curl_lib, CURLM *, curl_multi_init, (void), ())
HVC_LAZY_FN(curl_lib, CURLMcode, curl_multi_cleanup, (CURLM * m), (m))
HVC_LAZY_FN(curl_lib, CURLMcode, curl_multi_add_handle, (CURLM * m, CURL *c), (m, c))
HVC_LAZY_FN(curl_lib, CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL *c), (m, c))
HVC_LAZY_FN(curl_lib, CURLMcode, curl_multi_perform, (CURLM * m, int *running), (m, running))
HVC_LAZY_FN(curl_lib, CURLMcode, curl_multi_poll,
	    (CURLM * m, struct curl_waitfd *fds, unsigned int n, int ms, int *numfds),
	    (m, fds, n, ms, numfds))
HVC_LAZY_FN(curl_lib, CURLMsg *, curl_multi_info_read, (CURLM * m, int *left), (m, left))
HVC_LAZY_FN(curl_lib, const char *, curl_multi_strerror, (CURLMcode e), (e))

static __typeof__(curl_easy_setopt) *real_curl_easy_setopt;
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	HVC_LAZY_REAL(curl_lib, curl_easy_setopt)
	va_list ap;
	va_start(ap, opt);
	CURLcode r;
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = real(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_OFF_T || opt >= CURLOPTTYPE_BLOB)
		r = real(c, opt, va_arg(ap, void *)); /* data and function pointers alike */
	else
		r = real(c, opt, va_arg(ap, curl_off_t));
	va_end(ap);
	return r;
}

static __typeof__(curl_easy_getinfo) *real_curl_easy_getinfo;
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	HVC_LAZY_REAL(curl_lib, curl_easy_getinfo)
	va_list ap;
	va_start(ap, info);
	CURLcode r = real(c, info, va_arg(ap, void *)); /* always a pointer to the result */
	va_end(ap);
	return r;
}
