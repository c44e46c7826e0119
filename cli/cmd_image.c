/* hvc image COMMAND (and the top-level `hvc images`): argument parsing and
 * printing for the image store; the work is engine/image/. */
#include <getopt.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "format.h"
#include "hvc/image.h"

static int open_store(const char *what, struct hvc_image_store **s)
{
	struct hvc_error err = { 0 };
	if (hvc_image_store_open(hvc_root(), s, &err) < 0)
		return hvc_cli_fail(what, &err, HVC_EXIT_FAIL);
	return 0;
}

/* ---------- ls ---------------------------------------------------------- */

static const struct hvc_fmt_field image_fields[] = {
	{ "ID", "IMAGE ID" },		  { "Repository", "REPOSITORY" }, { "Tag", "TAG" },
	{ "Digest", "DIGEST" },		  { "CreatedAt", "CREATED AT" },  { "CreatedSince", "CREATED" },
	{ "Size", "SIZE" },		  { "Layers", "LAYERS" },	  { NULL, NULL },
};
#define IMAGE_TABLE "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"

static json_object *image_row(const struct hvc_image *img, int64_t now)
{
	char repo[256], tag[160], buf[64], d[48];
	json_object *row = json_object_new_object();
	hvc_image_name_split(img->name ? img->name : "<none>", repo, sizeof(repo), tag, sizeof(tag));
	if (!img->name)
		snprintf(tag, sizeof(tag), "<none>");
	snprintf(buf, sizeof(buf), "%.12s", img->manifest_digest + 7);
	hvc_json_add_string(row, "ID", buf);
	hvc_json_add_string(row, "Repository", repo);
	hvc_json_add_string(row, "Tag", tag);
	hvc_json_add_string(row, "Digest", img->manifest_digest);
	hvc_json_add_string(row, "CreatedAt", img->created ? img->created : "");
	int64_t t = hvc_fmt_parse_time(img->created);
	snprintf(buf, sizeof(buf), "%s ago", hvc_fmt_duration(now - t, d, sizeof(d)));
	hvc_json_add_string(row, "CreatedSince", t < 0 ? "" : buf);
	hvc_json_add_string(row, "Size", hvc_format_size((uint64_t)hvc_image_size(img), buf, sizeof(buf)));
	hvc_json_add_int(row, "Layers", (int64_t)img->n_layers);
	return row;
}

/* -q: docker's IMAGE ID column (manifest digest, 12 hex), each id once
 * although several tags may name the same image. */
static int print_ids(struct hvc_image **v)
{
	for (size_t i = 0; v && v[i]; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(v[j]->manifest_digest, v[i]->manifest_digest);
		if (!seen)
			printf("%.12s\n", v[i]->manifest_digest + 7);
	}
	return 0;
}

static void image_ls_usage(void)
{
	printf("Usage: hvc images [-q] [--json] [--format FORMAT]\n"
	       "List the images in the store (SIZE = compressed bytes of the image's blobs).\n\n"
	       "  -q, --quiet      only the image IDs, each once (as docker: usable by rmi, run, inspect)\n"
	       "      --json       hvc's own JSON rows (name, digest, created, size, layers)\n"
	       "      --format F   json, table [TEMPLATE], or a template such as '{{.Repository}}:{{.Tag}}'\n"
	       "                   fields: ID Repository Tag Digest CreatedAt CreatedSince Size Layers\n");
}

static int image_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },	     { "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool quiet = false, json = false;
	const char *format = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+qh", opts)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'j': json = true; break;
		case 'F': format = optarg; hvc_cli_set_format(optarg); break;
		case 'h': image_ls_usage(); return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error(hvc_cli_cmd_path(), "unexpected argument \"%s\"", argv[optind]);
	struct hvc_error err = { 0 };
	_cleanup_fmt_ struct hvc_fmt *fmt = hvc_fmt_parse(format, IMAGE_TABLE, image_fields, &err);
	if (!fmt)
		return hvc_cli_fail(hvc_cli_cmd_path(), &err, HVC_EXIT_USAGE);
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("images", &s);
	if (rc)
		return rc;
	_cleanup_image_list_ struct hvc_image **v = NULL;
	if (hvc_image_list(s, &v, &err) < 0)
		return hvc_cli_fail("images", &err, HVC_EXIT_FAIL);
	if (json) {
		_cleanup_json_ json_object *arr = hvc_image_ls_json(v);
		printf("%s\n", hvc_json_pretty(arr));
		return 0;
	}
	if (quiet)
		return print_ids(v);
	_cleanup_json_ json_object *rows = json_object_new_array();
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(rows, image_row(v[i], now));
	hvc_fmt_print(fmt, rows, stdout);
	return 0;
}

int hvc_cmd_images(int argc, char **argv)
{
	return image_ls(argc, argv);
}

/* ---------- import ------------------------------------------------------ */

static int image_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "busybox", no_argument, NULL, 'b' },
		{ "from", required_argument, NULL, 'f' },
		{ "debootstrap", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool busybox = false;
	const char *suite = NULL, *from = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+h", opts)) != -1) {
		switch (c) {
		case 'b': busybox = true; break;
		case 'd': suite = optarg; break;
		case 'f': from = optarg; break;
		case 'h':
			printf("Usage: hvc image import [--from IMAGE] SOURCE NAME[:TAG]\n"
			       "       hvc image import --busybox [NAME[:TAG]]     (default busybox:latest)\n"
			       "       hvc image import --debootstrap SUITE NAME[:TAG]  (needs a Debian mirror)\n"
			       "Import a rootfs directory or a tar(.gz) file as a one-layer image;\n"
			       "--from IMAGE adds it as one more layer on top of IMAGE (OCI `.wh.` or\n"
			       "overlayfs whiteouts in SOURCE delete files of IMAGE).\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	int nargs = argc - optind;
	if (busybox ? nargs > 1 : suite ? nargs != 1 : nargs != 2)
		return hvc_cli_usage_error("image import", busybox ? "expected at most NAME[:TAG]"
						     : suite ? "expected NAME[:TAG]"
							     : "expected SOURCE and NAME[:TAG]");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("image import", &s);
	if (rc)
		return rc;
	struct hvc_error err = { 0 };
	char digest[HVC_DIGEST_LEN];
	if (busybox)
		rc = hvc_image_import_busybox(s, nargs ? argv[optind] : NULL, digest, &err);
	else if (suite)
		rc = hvc_image_import_debootstrap(s, suite, argv[optind], digest, &err);
	else
		rc = hvc_image_import_onto(s, from, argv[optind], argv[optind + 1], digest, &err);
	if (rc < 0)
		return hvc_cli_fail("image import", &err, HVC_EXIT_FAIL);
	printf("%s\n", digest);
	return 0;
}

/* ---------- inspect ----------------------------------------------------- */

static const struct hvc_fmt_field image_inspect_fields[] = {
	{ "Kind", "KIND" },	{ "Id", "ID" },	    { "Name", "NAME" },		{ "Created", "CREATED" },
	{ "Image", "IMAGE" },	{ "State", "STATE" }, { "RepoTags", "REPO TAGS" }, { "ConfigDigest", "CONFIG DIGEST" },
	{ "Architecture", "ARCH" }, { "Os", "OS" },	    { "Size", "SIZE" },		{ "Layers", "LAYERS" },
	{ "Config", "CONFIG" },	{ "RootFS", "ROOTFS" }, { "History", "HISTORY" },	{ NULL, NULL },
};

static int image_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	int c, rc = 0;
	while ((c = hvc_cli_getopt(argc, argv, "f:h", opts)) != -1) {
		switch (c) {
		case 'f': format = optarg; hvc_cli_set_format(optarg); break;
		case 'h':
			printf("Usage: hvc image inspect [-f FORMAT] IMAGE...\n"
			       "Print the images' manifest, config and store facts as JSON, with the keys every\n"
			       "inspect shares (Kind Id Name Created Image State; State is null for an image).\n\n"
			       "  -f, --format F   json, or a template such as '{{.Id}} {{.Size}}'\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("image inspect", "expected IMAGE");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	if ((rc = open_store("image inspect", &s)))
		return rc;
	_cleanup_json_ json_object *arr = json_object_new_array();
	struct hvc_error err = { 0 };
	for (int i = optind; i < argc; i++) {
		json_object *o = NULL;
		if (hvc_image_inspect(s, argv[i], &o, &err) < 0)
			return hvc_cli_fail("image inspect", &err, HVC_EXIT_FAIL);
		json_object *name = hvc_json_get(o, "Name");
		json_object_object_add(o, "Image", json_object_get(name));
		json_object_array_add(arr, hvc_cli_inspect_object("image", o));
	}
	return hvc_cli_inspect_print("image inspect", format, image_inspect_fields, arr);
}

/* ---------- tag --------------------------------------------------------- */

static int image_tag(int argc, char **argv)
{
	int rc = hvc_cli_parse_none(argc, argv, "Usage: hvc image tag SOURCE TARGET\nGive an image another name.\n");
	if (rc >= 0)
		return rc;
	if (argc - optind != 2)
		return hvc_cli_usage_error("image tag", "expected SOURCE and TARGET");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	if ((rc = open_store("image tag", &s)))
		return rc;
	struct hvc_error err = { 0 };
	if (hvc_image_tag(s, argv[optind], argv[optind + 1], &err) < 0)
		rc = hvc_cli_fail("image tag", &err, HVC_EXIT_FAIL);
	return rc;
}

/* ---------- unpack / flatten (plumbing the runtime and VM driver use) --- */

static int image_unpack(int argc, char **argv)
{
	int rc = hvc_cli_parse_none(argc, argv,
			    "Usage: hvc image unpack IMAGE\n"
			    "Unpack the image's layers into the layer cache and print the overlayfs\n"
			    "lowerdirs, top layer first.\n");
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return hvc_cli_usage_error("image unpack", "expected IMAGE");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	if ((rc = open_store("image unpack", &s)))
		return rc;
	struct hvc_error err = { 0 };
	_cleanup_image_ struct hvc_image *img = NULL;
	_cleanup_strv_ char **dirs = NULL;
	if (hvc_image_resolve(s, argv[optind], &img, &err) < 0 ||
	    hvc_image_lowerdirs(s, img, &dirs, &err) < 0)
		rc = hvc_cli_fail("image unpack", &err, HVC_EXIT_FAIL);
	for (size_t i = 0; dirs && dirs[i]; i++)
		printf("%s\n", dirs[i]);
	return rc;
}

static int image_flatten(int argc, char **argv)
{
	int rc = hvc_cli_parse_none(argc, argv,
			    "Usage: hvc image flatten IMAGE DIR\n"
			    "Write the image's merged filesystem (whiteouts applied) into DIR\n"
			    "(new or empty).\n");
	if (rc >= 0)
		return rc;
	if (argc - optind != 2)
		return hvc_cli_usage_error("image flatten", "expected IMAGE and DIR");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	if ((rc = open_store("image flatten", &s)))
		return rc;
	struct hvc_error err = { 0 };
	_cleanup_image_ struct hvc_image *img = NULL;
	if (hvc_image_resolve(s, argv[optind], &img, &err) < 0 ||
	    hvc_image_flatten(s, img, argv[optind + 1], &err) < 0)
		rc = hvc_cli_fail("image flatten", &err, HVC_EXIT_FAIL);
	return rc;
}

/* ---------- history / tree / du ---------------------------------------- */

static int image_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-trunc", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool no_trunc = false, json = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+h", opts)) != -1) {
		switch (c) {
		case 'n': no_trunc = true; break;
		case 'j': json = true; break;
		case 'h':
			printf("Usage: hvc image history [--no-trunc] [--json] IMAGE\n"
			       "One row per build step, newest first, with its layer's compressed size.\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		return hvc_cli_usage_error("image history", "expected IMAGE");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("image history", &s);
	if (rc)
		return rc;
	struct hvc_error err = { 0 };
	_cleanup_json_ json_object *rows = NULL;
	if (hvc_image_history(s, argv[optind], &rows, &err) < 0)
		rc = hvc_cli_fail("image history", &err, HVC_EXIT_FAIL);
	else if (json)
		printf("%s\n", hvc_json_pretty(rows));
	else
		hvc_image_history_print(stdout, rows, no_trunc);
	return rc;
}

static int image_tree(int argc, char **argv)
{
	int rc = hvc_cli_parse_none(argc, argv,
			    "Usage: hvc image tree\n"
			    "The images as a tree of shared layers: a node per layer (diff_id prefix,\n"
			    "compressed size), image names at the layer that tops them.\n");
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return hvc_cli_usage_error("image tree", "unexpected argument \"%s\"", argv[optind]);
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	if ((rc = open_store("image tree", &s)))
		return rc;
	struct hvc_error err = { 0 };
	if (hvc_image_tree_print(s, stdout, &err) < 0)
		rc = hvc_cli_fail("image tree", &err, HVC_EXIT_FAIL);
	return rc;
}

static int image_du(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "unpack", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, unpack = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+h", opts)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'u': unpack = true; break;
		case 'h':
			printf("Usage: hvc image du [--unpack] [--json]\n"
			       "Bytes on disk per image: compressed blobs and unpacked layers, each split\n"
			       "into shared (a layer another image uses too) and unique. A layer is\n"
			       "unpacked on its first use; until then its unpacked size shows as - (its\n"
			       "size on disk is not known). --unpack first unpacks every layer that is not\n"
			       "in the cache yet.\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("image du", "unexpected argument \"%s\"", argv[optind]);
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("image du", &s);
	if (rc)
		return rc;
	struct hvc_error err = { 0 };
	if (unpack && hvc_image_unpack_all(s, &err) < 0)
		return hvc_cli_fail("image du", &err, HVC_EXIT_FAIL);
	_cleanup_json_ json_object *du = NULL;
	if (hvc_image_du(s, &du, &err) < 0)
		return hvc_cli_fail("image du", &err, HVC_EXIT_FAIL);
	if (json)
		printf("%s\n", hvc_json_pretty(du));
	else
		hvc_image_du_print(stdout, du);
	return 0;
}

/* ---------- rm / prune / fsck ------------------------------------------- */

static void print_lines(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		printf("%s\n", v[i]);
}

static int image_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+fh", opts)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h':
			printf("Usage: hvc image rm [-f] IMAGE...\n"
			       "Remove a name, or the image when no other name keeps it. An image a\n"
			       "container uses is refused unless -f (its blobs stay until the container goes).\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		return hvc_cli_usage_error("image rm", "expected IMAGE");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("image rm", &s);
	if (rc)
		return rc;
	for (int i = optind; i < argc; i++) {
		struct hvc_error err = { 0 };
		_cleanup_strv_ char **report = NULL;
		if (hvc_image_rm(s, argv[i], force, &report, &err) < 0)
			rc = hvc_cli_fail("image rm", &err, HVC_EXIT_FAIL);
		print_lines(report);
	}
	return rc;
}

static int image_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+ah", opts)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'h':
			printf("Usage: hvc image prune [-a]\n"
			       "Remove untagged images (-a: every image no container uses), then collect\n"
			       "unreferenced blobs, unpacked layers and scratch left by killed processes.\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (optind < argc)
		return hvc_cli_usage_error("image prune", "unexpected argument \"%s\"", argv[optind]);
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("image prune", &s);
	if (rc)
		return rc;
	struct hvc_error err = { 0 };
	_cleanup_strv_ char **report = NULL;
	struct hvc_image_gc_stats st;
	if (hvc_image_prune(s, all, &report, &st, &err) < 0) {
		rc = hvc_cli_fail("image prune", &err, HVC_EXIT_FAIL);
	} else {
		char b[32];
		print_lines(report);
		printf("Removed %zu blobs, %zu unpacked layers, %zu scratch entries; reclaimed %s\n",
		       st.blobs_removed, st.layers_removed, st.temp_removed,
		       hvc_format_size(st.bytes_freed, b, sizeof(b)));
	}
	return rc;
}

static int image_fsck(int argc, char **argv)
{
	int rc = hvc_cli_parse_none(argc, argv,
			    "Usage: hvc image fsck\n"
			    "Verify the store: every blob index.json refers to (manifests, configs,\n"
			    "layers) is present, has its size and matches its digest. Exit 1 on a fault.\n");
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return hvc_cli_usage_error("image fsck", "unexpected argument \"%s\"", argv[optind]);
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	if ((rc = open_store("image fsck", &s)))
		return rc;
	struct hvc_error err = { 0 };
	_cleanup_strv_ char **problems = NULL;
	size_t checked = 0;
	if (hvc_image_fsck(s, &problems, &checked, &err) < 0) {
		rc = hvc_cli_fail("image fsck", &err, HVC_EXIT_FAIL);
	} else if (problems) {
		for (size_t i = 0; problems[i]; i++)
			fprintf(stderr, "hvc: image fsck: %s\n", problems[i]);
		fprintf(stderr, "hvc: image fsck: %zu problem(s) in %zu blobs checked\n",
			hvc_strv_len(problems), checked);
		rc = HVC_EXIT_FAIL;
	} else {
		printf("ok: %zu blobs checked\n", checked);
	}
	return rc;
}

/* ---------- save / load ------------------------------------------------- */

static int image_save(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+o:h", opts)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h':
			printf("Usage: hvc image save IMAGE... -o FILE.tar\n"
			       "Write images as an OCI archive (a tar of an OCI image layout).\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	/* allow -o after the names too */
	_cleanup_strv_ char **refs = NULL;
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
			continue;
		}
		hvc_strv_push(&refs, argv[i]);
	}
	if (!refs || !out)
		return hvc_cli_usage_error("image save", "expected IMAGE... and -o FILE");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("image save", &s);
	if (rc)
		return rc;
	struct hvc_error err = { 0 };
	if (hvc_image_save(s, refs, out, &err) < 0)
		return hvc_cli_fail("image save", &err, HVC_EXIT_FAIL);
	return 0;
}

static int image_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL;
	int c;
	while ((c = hvc_cli_getopt(argc, argv, "+i:h", opts)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'h':
			printf("Usage: hvc image load -i FILE.tar\n"
			       "Load an OCI archive (hvc image save, skopeo copy ... oci-archive:FILE).\n");
			return 0;
		default: return hvc_cli_bad_option(HVC_EXIT_USAGE);
		}
	}
	if (!in || optind < argc)
		return hvc_cli_usage_error("image load", "expected -i FILE");
	_cleanup_image_store_ struct hvc_image_store *s = NULL;
	int rc = open_store("image load", &s);
	if (rc)
		return rc;
	struct hvc_error err = { 0 };
	_cleanup_strv_ char **loaded = NULL;
	if (hvc_image_load(s, in, &loaded, &err) < 0)
		rc = hvc_cli_fail("image load", &err, HVC_EXIT_FAIL);
	print_lines(loaded);
	return rc;
}

static const struct hvc_cli_cmd image_cmds[] = {
	{ "ls", image_ls, "list images (same as hvc images)" },
	{ "list", image_ls, NULL },
	{ "import", image_import, "import a rootfs dir or tar(.gz) as an image; --busybox" },
	{ "inspect", image_inspect, "print an image's manifest and config as JSON" },
	{ "history", image_history, "one row per build step with its layer size" },
	{ "tree", image_tree, "the images as a tree of shared layers" },
	{ "du", image_du, "bytes on disk per image: compressed, unpacked, shared, unique" },
	{ "tag", image_tag, "give an image another name" },
	{ "rm", image_rm, "remove images (refused while a container uses them, unless -f)" },
	{ "prune", image_prune, "remove untagged images; collect unreferenced blobs and layers" },
	{ "save", image_save, "write images as an OCI archive (-o FILE.tar)" },
	{ "load", image_load, "load an OCI archive (-i FILE.tar)" },
	{ "fsck", image_fsck, "verify every referenced blob is present and matches its digest" },
	{ "unpack", image_unpack, "unpack layers into the cache; print the lowerdirs" },
	{ "bundle", hvc_cmd_image_bundle, "export an image as an OCI bundle (rootfs + config.json) for runc/crun" },
	{ "flatten", image_flatten, "write an image's merged rootfs into a directory" },
	{ NULL, NULL, NULL },
};

int hvc_cmd_rmi(int argc, char **argv)
{
	return image_rm(argc, argv);
}

int hvc_cmd_image(int argc, char **argv)
{
	return hvc_cli_dispatch("image", image_cmds, argc - 1, argv + 1);
}
