/* Fuzz target: what a registry answers and what a user types, as the
 * registry client (engine/registry/reg_parse.c, reg_reference.c) reads
 * them: a manifest or index under a Content-Type (OCI and Docker v2 schema 2
 * negotiation), the platform choice in an index, a WWW-Authenticate
 * challenge, a token service's answer, and an image reference.
 *
 * Input: up to six parts separated by a line "--": Content-Type, manifest
 * or index body, WWW-Authenticate value, token answer, reference, platform.
 * Properties checked beyond "no crash, no leak": a parsed document's
 * descriptors are valid; a picked index entry belongs to the index and
 * matches the platform; a challenge has a known scheme (and a realm when
 * Bearer); a token has no control characters; a registry reference prints
 * (hvc_reg_ref_string: HOST/REPO:TAG, or @DIGEST without a tag) as a
 * reference that parses back to the same parts. */
#include "fuzz.h"
#include "hvc/registry.h"

#define NPARTS 6

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hvc_log_set_level(HVC_LOG_ERROR);
	return 0;
}

static void check_desc(const struct hvc_reg_desc *d, const char *what)
{
	if (!hvc_digest_valid(d->digest) || d->size < 0)
		fuzz_fail("%s: parsed with digest \"%s\" size %lld", what, d->digest,
			  (long long)d->size);
}

static void doc(const char *ctype, const char *body, size_t len, const char *platform)
{
	struct hvc_reg_doc d = { 0 };
	struct hvc_error err = { 0 };
	if (hvc_reg_doc_parse(body, len, *ctype ? ctype : NULL, &d, &err) < 0) {
		if (!err.msg[0])
			fuzz_fail("doc refused without a message");
		fuzz_note("doc", &err);
		hvc_reg_doc_clear(&d);
		return;
	}
	if (d.n_items > 4096)
		fuzz_fail("doc: %zu items", d.n_items);
	if (d.kind == HVC_REG_DOC_MANIFEST)
		check_desc(&d.config, "config");
	for (size_t i = 0; i < d.n_items; i++)
		check_desc(&d.items[i], "item");
	if (d.kind == HVC_REG_DOC_INDEX) {
		const struct hvc_reg_desc *p = hvc_reg_doc_pick(&d, *platform ? platform : "linux/amd64");
		if (p && (p < d.items || p >= d.items + d.n_items))
			fuzz_fail("pick returned a descriptor outside the index");
		char os[32] = "", arch[32] = "";
		sscanf(*platform ? platform : "linux/amd64", "%31[^/]/%31[^/]", os, arch);
		if (p && (strcmp(p->os, os) || strcmp(p->arch, arch)))
			fuzz_fail("pick: %s/%s for platform \"%s\"", p->os, p->arch, platform);
	}
	hvc_reg_doc_clear(&d);
}

static void challenge(const char *s, size_t len)
{
	struct hvc_reg_challenge c = { 0 };
	struct hvc_error err = { 0 };
	if (hvc_reg_challenge_parse(s, len, &c, &err) == 0) {
		bool bearer = !strcmp(c.scheme, "bearer");
		if (!bearer && strcmp(c.scheme, "basic"))
			fuzz_fail("challenge: scheme \"%s\"", c.scheme);
		if (bearer && !c.realm)
			fuzz_fail("challenge: Bearer without a realm accepted");
	} else {
		fuzz_note("challenge", &err);
	}
	hvc_reg_challenge_clear(&c);
}

static void token(const char *s, size_t len)
{
	char *tok = NULL;
	struct hvc_error err = { 0 };
	if (hvc_reg_token_parse(s, len, &tok, &err) == 0) {
		if (!tok)
			fuzz_fail("token: success without a token");
		for (const char *p = tok; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fuzz_fail("token: control character 0x%02x", (unsigned char)*p);
	}
	free(tok);
}

static void same(const char *a, const char *b, const char *what, const char *ref)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fuzz_fail("reference \"%s\": %s \"%s\" printed and parsed back as \"%s\"", ref, what,
			  a ? a : "(null)", b ? b : "(null)");
}

static void reference(const char *s)
{
	struct hvc_reg_ref r = { 0 }, back = { 0 };
	int k = hvc_reg_ref_parse(s, &r, NULL);
	if (k == 1) {
		if (!r.host || !r.repo)
			fuzz_fail("reference \"%s\": registry reference without host or repo", s);
		char *str = hvc_reg_ref_string(&r);
		if (hvc_reg_ref_parse(str, &back, NULL) != 1)
			fuzz_fail("reference \"%s\" printed as \"%s\", which does not parse", s, str);
		same(r.host, back.host, "host", s);
		same(r.repo, back.repo, "repo", s);
		/* the store's name: the tag when there is one, else the digest */
		same(r.tag ? NULL : r.digest, back.digest, "digest", s);
		same(r.tag ? r.tag : r.digest ? NULL : "latest", back.tag, "tag", s);
		free(str);
	} else if (k == 0 && r.host) {
		fuzz_fail("reference \"%s\": local, yet a host \"%s\"", s, r.host);
	}
	hvc_reg_ref_clear(&back);
	hvc_reg_ref_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[NPARTS] = { 0 };
	size_t lens[NPARTS] = { 0 };
	size_t n = fuzz_split(data, size, "\n--\n", parts, lens, NPARTS);
	for (size_t i = n; i < NPARTS; i++)
		parts[i] = strdup("");
	doc(parts[0], parts[1], lens[1], parts[5]);
	challenge(parts[2], lens[2]);
	token(parts[3], lens[3]);
	reference(parts[4]);
	for (size_t i = 0; i < NPARTS; i++)
		free(parts[i]);
	return 0;
}
