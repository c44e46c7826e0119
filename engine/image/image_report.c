/* engine/image/image_report: the store seen as tables and trees — history (one row
 * per build step), the tree of shared layers, and disk usage (per image,
 * compressed and unpacked, shared and unique: the benchmark's image sizes). */
#include "image_internal.h"
#include <string.h>
#include <sys/stat.h>

static const char *short_digest(const char *d, char *buf, size_t len)
{
	snprintf(buf, len, "%.12s", d && strlen(d) > 7 ? d + 7 : "-");
	return buf;
}

/* ---------- history ----------------------------------------------------- */

int hvc_image_history(struct hvc_image_store *s, const char *ref, json_object **out,
		      struct hvc_error *err)
{
	_cleanup_image_ struct hvc_image *img = NULL;
	_cleanup_json_ json_object *cfg = NULL;
	if (hvc_image_resolve_config(s, ref, &img, &cfg, err) < 0)
		return -1;
	json_object *rows = json_object_new_array();
	json_object *hist = hvc_json_get_array(cfg, "history");
	size_t layer = 0;
	for (size_t i = 0; hist && i < json_object_array_length(hist); i++) {
		json_object *h = json_object_array_get_idx(hist, i);
		json_object *r = json_object_new_object();
		hvc_json_add_string(r, "created", hvc_json_get_string(h, "created"));
		hvc_json_add_string(r, "created_by", hvc_json_get_string(h, "created_by"));
		hvc_json_add_string(r, "comment", hvc_json_get_string(h, "comment"));
		bool empty = hvc_json_get_bool(h, "empty_layer", false);
		if (!empty && layer < img->n_layers) {
			hvc_json_add_string(r, "layer", img->layers[layer].digest);
			hvc_json_add_string(r, "diff_id", img->diff_ids[layer]);
			hvc_json_add_int(r, "size", img->layers[layer].size);
			_cleanup_free_ char *dir =
			    hvc_strdup_printf("%s/%s", s->layers, img->diff_ids[layer] + 7);
			struct stat st;
			if (stat(dir, &st) == 0)
				hvc_json_add_int(r, "unpacked", (int64_t)hvc_image_tree_bytes(dir));
			layer++;
		} else {
			hvc_json_add_int(r, "size", 0);
		}
		json_object_array_add(rows, r);
	}
	/* layers without history entries (foreign images): one row each */
	for (; layer < img->n_layers; layer++) {
		json_object *r = json_object_new_object();
		hvc_json_add_string(r, "layer", img->layers[layer].digest);
		hvc_json_add_string(r, "diff_id", img->diff_ids[layer]);
		hvc_json_add_int(r, "size", img->layers[layer].size);
		json_object_array_add(rows, r);
	}
	*out = rows;
	return 0;
}

void hvc_image_history_print(FILE *f, json_object *rows, bool no_trunc)
{
	fprintf(f, "%-14s %-20s %-50s %-10s %s\n", "LAYER", "CREATED", "CREATED BY", "SIZE",
		"COMMENT");
	/* LAYER: the diff_id prefix, as in `hvc image tree` and $HVC_ROOT/layers/ */
	/* newest step first, as docker history prints */
	for (size_t i = json_object_array_length(rows); i-- > 0;) {
		json_object *r = json_object_array_get_idx(rows, i);
		char d[16], sz[32], created[32];
		const char *layer = hvc_json_get_string(r, "diff_id");
		snprintf(created, sizeof(created), "%.19s",
			 hvc_json_get_string(r, "created") ?: "-");
		if (strlen(created) > 10 && created[10] == 'T')
			created[10] = ' ';
		const char *by = hvc_json_get_string(r, "created_by") ?: "";
		char byb[64];
		if (!no_trunc && strlen(by) > 50) {
			snprintf(byb, sizeof(byb), "%.47s...", by);
			by = byb;
		}
		int64_t size = hvc_json_get_int(r, "size", 0);
		fprintf(f, "%-14s %-20s %-50s %-10s %s\n",
			layer ? short_digest(layer, d, sizeof(d)) : "<empty>", created, by,
			hvc_format_size((uint64_t)size, sz, sizeof(sz)),
			hvc_json_get_string(r, "comment") ?: "");
	}
}

/* ---------- ls ------------------------------------------------------------ */

void hvc_image_name_split(const char *name, char *repo, size_t rlen, char *tag, size_t tlen)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		snprintf(repo, rlen, "%.*s", (int)(colon - name), name);
		snprintf(tag, tlen, "%s", colon + 1);
	} else {
		snprintf(repo, rlen, "%s", name);
		snprintf(tag, tlen, "%s", "<none>");
	}
}

json_object *hvc_image_ls_json(struct hvc_image **v)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; v && v[i]; i++) {
		json_object *o = json_object_new_object();
		hvc_json_add_string(o, "name", v[i]->name);
		hvc_json_add_string(o, "digest", v[i]->manifest_digest);
		hvc_json_add_string(o, "created", v[i]->created);
		hvc_json_add_int(o, "size", hvc_image_size(v[i]));
		hvc_json_add_int(o, "layers", (int64_t)v[i]->n_layers);
		json_object_array_add(arr, o);
	}
	return arr;
}

void hvc_image_ls_print(FILE *f, struct hvc_image **v, bool quiet)
{
	if (!quiet)
		fprintf(f, "%-30s %-16s %-14s %-20s %s\n", "NAME", "TAG", "DIGEST", "CREATED",
			"SIZE");
	for (size_t i = 0; v && v[i]; i++) {
		const struct hvc_image *img = v[i];
		if (quiet) {
			fprintf(f, "%s\n", img->name ? img->name : img->manifest_digest);
			continue;
		}
		char repo[256], tag[160], sz[32], created[32];
		hvc_image_name_split(img->name ? img->name : "<none>", repo, sizeof(repo), tag,
				     sizeof(tag));
		snprintf(created, sizeof(created), "%.19s", img->created ? img->created : "-");
		if (strlen(created) > 10 && created[10] == 'T')
			created[10] = ' ';
		fprintf(f, "%-30s %-16s %-14.12s %-20s %s\n", repo, tag, img->manifest_digest + 7,
			created, hvc_format_size((uint64_t)hvc_image_size(img), sz, sizeof(sz)));
	}
}

/* ---------- tree of shared layers -------------------------------------- */

struct node {
	char diff_id[HVC_DIGEST_LEN];
	int64_t size;
	char **names; /* images whose top layer this is */
	struct node **kids;
	size_t n_kids;
};

static struct node *child(struct node *n, const char *diff_id, int64_t size)
{
	for (size_t i = 0; i < n->n_kids; i++)
		if (!strcmp(n->kids[i]->diff_id, diff_id))
			return n->kids[i];
	struct node *c = hvc_xcalloc(1, sizeof(*c));
	snprintf(c->diff_id, sizeof(c->diff_id), "%s", diff_id);
	c->size = size;
	n->kids = hvc_xrealloc(n->kids, n->n_kids + 1, sizeof(*n->kids));
	n->kids[n->n_kids++] = c;
	return c;
}

static void node_free(struct node *n)
{
	for (size_t i = 0; i < n->n_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	hvc_strv_free(n->names);
	free(n);
}

static void node_print(FILE *f, struct node *n, const char *prefix, bool last, bool top)
{
	char d[16], sz[32];
	fprintf(f, "%s%s%s (%s)", prefix,
		top    ? ""
		: last ? "└─ "
		       : "├─ ",
		short_digest(n->diff_id, d, sizeof(d)),
		hvc_format_size((uint64_t)n->size, sz, sizeof(sz)));
	for (size_t i = 0; n->names && n->names[i]; i++)
		fprintf(f, "%s%s", i ? ", " : "  ", n->names[i]);
	fputc('\n', f);
	_cleanup_free_ char *np = hvc_strdup_printf("%s%s", prefix,
						    top	   ? ""
						    : last ? "   "
							   : "│  ");
	for (size_t i = 0; i < n->n_kids; i++)
		node_print(f, n->kids[i], np, i + 1 == n->n_kids, false);
}

int hvc_image_tree_print(struct hvc_image_store *s, FILE *f, struct hvc_error *err)
{
	_cleanup_image_list_ struct hvc_image **v = NULL;
	if (hvc_image_list(s, &v, err) < 0)
		return -1;
	struct node *root = hvc_xcalloc(1, sizeof(*root));
	for (size_t i = 0; v[i]; i++) {
		struct node *n = root;
		for (size_t l = 0; l < v[i]->n_layers; l++)
			n = child(n, v[i]->diff_ids[l], v[i]->layers[l].size);
		char label[256];
		snprintf(label, sizeof(label), "%s", v[i]->name ? v[i]->name : "<none>");
		if (!v[i]->name) {
			char d[16];
			snprintf(label, sizeof(label), "<none>@%s",
				 short_digest(v[i]->manifest_digest, d, sizeof(d)));
		}
		hvc_strv_push(&n->names, label);
	}
	if (root->names) /* images without layers */
		for (size_t i = 0; root->names[i]; i++)
			fprintf(f, "(no layers)  %s\n", root->names[i]);
	for (size_t i = 0; i < root->n_kids; i++)
		node_print(f, root->kids[i], "", true, true);
	node_free(root);
	return 0;
}

/* ---------- disk usage -------------------------------------------------- */

static bool strv_has(char **v, const char *s)
{
	for (size_t k = 0; v && v[k]; k++)
		if (!strcmp(v[k], s))
			return true;
	return false;
}

/* For each layer: how many distinct images use it (uses: diff_id -> count)
 * and its unpacked bytes (unpacked: diff_id -> bytes, -1 while not unpacked). */
static void count_layers(struct hvc_image_store *s, struct hvc_image **v, json_object *uses,
			 json_object *unpacked)
{
	_cleanup_strv_ char **seen_manifests = NULL;
	for (size_t i = 0; v[i]; i++) {
		if (strv_has(seen_manifests, v[i]->manifest_digest))
			continue; /* one image under two names counts once */
		hvc_strv_push(&seen_manifests, v[i]->manifest_digest);
		_cleanup_strv_ char **mine = NULL;
		for (size_t l = 0; l < v[i]->n_layers; l++) {
			const char *d = v[i]->diff_ids[l];
			if (strv_has(mine, d))
				continue;
			hvc_strv_push(&mine, d);
			json_object_object_add(
			    uses, d, json_object_new_int64(hvc_json_get_int(uses, d, 0) + 1));
			if (!hvc_json_get(unpacked, d)) {
				_cleanup_free_ char *dir =
				    hvc_strdup_printf("%s/%s", s->layers, d + 7);
				struct stat st;
				int64_t b =
				    stat(dir, &st) == 0 ? (int64_t)hvc_image_tree_bytes(dir) : -1;
				json_object_object_add(unpacked, d, json_object_new_int64(b));
			}
		}
	}
}

/* One image's row: its bytes, and how many of them it shares with another image. */
static json_object *du_row(const struct hvc_image *img, json_object *uses, json_object *unpacked)
{
	int64_t comp = img->manifest_size + (img->config_size > 0 ? img->config_size : 0);
	int64_t comp_shared = 0, unp = 0, unp_shared = 0, missing = 0;
	for (size_t l = 0; l < img->n_layers; l++) {
		const char *d = img->diff_ids[l];
		int64_t c = img->layers[l].size > 0 ? img->layers[l].size : 0;
		int64_t u = hvc_json_get_int(unpacked, d, -1);
		bool shared = hvc_json_get_int(uses, d, 0) > 1;
		comp += c;
		comp_shared += shared ? c : 0;
		if (u < 0)
			missing++;
		else {
			unp += u;
			unp_shared += shared ? u : 0;
		}
	}
	json_object *o = json_object_new_object();
	hvc_json_add_string(o, "name", img->name);
	hvc_json_add_string(o, "digest", img->manifest_digest);
	hvc_json_add_int(o, "layers", (int64_t)img->n_layers);
	hvc_json_add_int(o, "compressed", comp);
	hvc_json_add_int(o, "compressed_shared", comp_shared);
	hvc_json_add_int(o, "compressed_unique", comp - comp_shared);
	if (missing == 0) {
		hvc_json_add_int(o, "unpacked", unp);
		hvc_json_add_int(o, "unpacked_shared", unp_shared);
		hvc_json_add_int(o, "unpacked_unique", unp - unp_shared);
	} else {
		/* unknown rather than a partial sum that would read as the whole */
		json_object_object_add(o, "unpacked", NULL);
	}
	hvc_json_add_int(o, "layers_not_unpacked", missing);
	return o;
}

int hvc_image_du(struct hvc_image_store *s, json_object **out, struct hvc_error *err)
{
	_cleanup_image_list_ struct hvc_image **v = NULL;
	if (hvc_image_list(s, &v, err) < 0)
		return -1;
	_cleanup_json_ json_object *uses = json_object_new_object();
	_cleanup_json_ json_object *unpacked = json_object_new_object();
	count_layers(s, v, uses, unpacked);
	json_object *images = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(images, du_row(v[i], uses, unpacked));
	_cleanup_free_ char *blobs = hvc_path_join(s->layout, "blobs");
	json_object *res = json_object_new_object();
	json_object_object_add(res, "images", images);
	json_object *tot = json_object_new_object();
	hvc_json_add_int(tot, "blobs", (int64_t)hvc_image_tree_bytes(blobs));
	hvc_json_add_int(tot, "layers_unpacked", (int64_t)hvc_image_tree_bytes(s->layers));
	json_object_object_add(res, "store", tot);
	*out = res;
	return 0;
}

void hvc_image_du_print(FILE *f, json_object *du)
{
	fprintf(f, "%-30s %-14s %6s %11s %11s %11s %11s %11s\n", "NAME", "DIGEST", "LAYERS",
		"COMPRESSED", "C-SHARED", "UNPACKED", "U-SHARED", "U-UNIQUE");
	json_object *images = hvc_json_get(du, "images");
	int64_t missing = 0;
	for (size_t i = 0; i < json_object_array_length(images); i++) {
		json_object *o = json_object_array_get_idx(images, i);
		missing += hvc_json_get_int(o, "layers_not_unpacked", 0);
		char d[16], a[32], b[32], c[32], e[32], g[32];
		bool known = hvc_json_get(o, "unpacked") != NULL;
		fprintf(
		    f, "%-30s %-14s %6lld %11s %11s %11s %11s %11s\n",
		    hvc_json_get_string(o, "name") ?: "<none>",
		    short_digest(hvc_json_get_string(o, "digest"), d, sizeof(d)),
		    (long long)hvc_json_get_int(o, "layers", 0),
		    hvc_format_size((uint64_t)hvc_json_get_int(o, "compressed", 0), a, sizeof(a)),
		    hvc_format_size((uint64_t)hvc_json_get_int(o, "compressed_shared", 0), b,
				    sizeof(b)),
		    known ? hvc_format_size((uint64_t)hvc_json_get_int(o, "unpacked", 0), c,
					    sizeof(c))
			  : "-",
		    known ? hvc_format_size((uint64_t)hvc_json_get_int(o, "unpacked_shared", 0), e,
					    sizeof(e))
			  : "-",
		    known ? hvc_format_size((uint64_t)hvc_json_get_int(o, "unpacked_unique", 0), g,
					    sizeof(g))
			  : "-");
	}
	if (missing)
		fprintf(f,
			"-: some of the image's layers are not unpacked yet: hvc unpacks a layer on "
			"its first use (run, vm run, build, image unpack) and only then is its size "
			"on disk known; `hvc image du --unpack` unpacks them now\n");
	json_object *st = hvc_json_get(du, "store");
	char a[32], b[32];
	fprintf(
	    f,
	    "store: %s of blobs, %s of unpacked layers (each stored once, however many images "
	    "share it)\n",
	    hvc_format_size((uint64_t)hvc_json_get_int(st, "blobs", 0), a, sizeof(a)),
	    hvc_format_size((uint64_t)hvc_json_get_int(st, "layers_unpacked", 0), b, sizeof(b)));
}
