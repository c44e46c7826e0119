/* engine/registry/reg_unpack: a pull's layers committed and unpacked while
 * the other blobs still download. The fetch loop hands each finished layer
 * download (its blob writer, not yet verified) to a small pool of threads:
 * one commits it (digest check, fsync, rename into the store), then unpacks
 * every layer of the image made of that blob into the layer cache (with
 * extraction's safety checks and the diff_id check). The fetch loop never
 * waits for an fsync or an unpack, and a 3-layer pull costs about its
 * slowest layer's download plus its unpack instead of all downloads plus
 * all unpacks. The first failure stops the pool; the pull removes its
 * blobs. */
#include <pthread.h>
#include <string.h>
#include "reg_internal.h"

struct item {
	struct item *next;
	char digest[HVC_DIGEST_LEN];
	struct hvc_image_blob_writer *w; /* NULL: the blob is in the store already */
};

struct hvc_reg_unpacker {
	struct hvc_image_store *s;
	const struct hvc_image *img;
	hvc_reg_unpack_prepare_fn prepare; /* sets img; run once, by the first worker */
	void *prepare_data;
	bool preparing, prepared;
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct item *head, **tail;
	bool closed;
	int rc;
	struct hvc_error err;
	pthread_t th[8];
	int n_threads;
};

static void fail(struct hvc_reg_unpacker *u, const struct hvc_error *e)
{
	pthread_mutex_lock(&u->lock);
	if (u->rc == 0) {
		u->rc = -1;
		u->err = *e;
	}
	pthread_mutex_unlock(&u->lock);
}

/* One blob: committed when it was just downloaded, then its layers unpacked. */
static int process(struct hvc_reg_unpacker *u, struct item *it, struct hvc_error *e)
{
	if (it->w) {
		int rc = hvc_image_blob_writer_commit(it->w, NULL, e);
		hvc_image_blob_writer_free(it->w);
		it->w = NULL;
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < u->img->n_layers; i++) {
		if (strcmp(u->img->layers[i].digest, it->digest))
			continue;
		struct hvc_image_layer l = u->img->layers[i];
		snprintf(l.diff_id, sizeof(l.diff_id), "%s", u->img->diff_ids[i]);
		if (hvc_image_layer_unpack(u->s, &l, NULL, e) < 0)
			return -1;
	}
	return 0;
}

/* The first worker runs prepare (the image's config and manifest into the
 * store, the image read back); the others wait for it. */
static void prepare_once(struct hvc_reg_unpacker *u)
{
	pthread_mutex_lock(&u->lock);
	if (u->preparing) {
		while (!u->prepared)
			pthread_cond_wait(&u->more, &u->lock);
		pthread_mutex_unlock(&u->lock);
		return;
	}
	u->preparing = true;
	pthread_mutex_unlock(&u->lock);
	struct hvc_error e = { 0 };
	const struct hvc_image *img = NULL;
	int rc = u->prepare ? u->prepare(u->prepare_data, &img, &e) : 0;
	if (rc < 0)
		fail(u, &e);
	pthread_mutex_lock(&u->lock);
	if (img)
		u->img = img;
	u->prepared = true;
	pthread_cond_broadcast(&u->more);
	pthread_mutex_unlock(&u->lock);
}

static void *worker(void *arg)
{
	struct hvc_reg_unpacker *u = arg;
	prepare_once(u);
	for (;;) {
		pthread_mutex_lock(&u->lock);
		while (!u->head && !u->closed)
			pthread_cond_wait(&u->more, &u->lock);
		struct item *it = u->head;
		if (it && !(u->head = it->next))
			u->tail = &u->head;
		bool failed = u->rc < 0 || !u->img;
		pthread_mutex_unlock(&u->lock);
		if (!it)
			return NULL;
		struct hvc_error e = { 0 };
		if (!failed && process(u, it, &e) < 0)
			fail(u, &e);
		hvc_image_blob_writer_free(it->w); /* after a failure: its temp file goes */
		free(it);
	}
}

int hvc_reg_unpacker_start(struct hvc_image_store *s, hvc_reg_unpack_prepare_fn prepare,
			   void *data, size_t n_layers, int threads, struct hvc_reg_unpacker **out)
{
	struct hvc_reg_unpacker *u = hvc_xcalloc(1, sizeof(*u));
	u->s = s;
	u->prepare = prepare;
	u->prepare_data = data;
	u->tail = &u->head;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->more, NULL);
	int n = threads > 0 ? (threads > 8 ? 8 : threads) : 3;
	if ((size_t)n > n_layers)
		n = n_layers ? (int)n_layers : 1;
	for (int i = 0; i < n; i++)
		u->n_threads += pthread_create(&u->th[u->n_threads], NULL, worker, u) == 0;
	*out = u;
	return 0;
}

int hvc_reg_unpacker_add(struct hvc_reg_unpacker *u, const char *digest,
			 struct hvc_image_blob_writer *w, struct hvc_error *err)
{
	struct item *it = hvc_xcalloc(1, sizeof(*it));
	snprintf(it->digest, sizeof(it->digest), "%s", digest);
	it->w = w;
	pthread_mutex_lock(&u->lock);
	int rc = u->rc;
	if (rc == 0) {
		*u->tail = it;
		u->tail = &it->next;
		pthread_cond_signal(&u->more);
	} else if (err) {
		*err = u->err;
	}
	pthread_mutex_unlock(&u->lock);
	if (rc < 0) {
		hvc_image_blob_writer_free(w);
		free(it);
	}
	return rc;
}

int hvc_reg_unpacker_finish(struct hvc_reg_unpacker *u, struct hvc_error *err)
{
	pthread_mutex_lock(&u->lock);
	u->closed = true;
	pthread_cond_broadcast(&u->more);
	pthread_mutex_unlock(&u->lock);
	if (!u->n_threads) /* no thread could start: this one does the work */
		worker(u);
	for (int i = 0; i < u->n_threads; i++)
		pthread_join(u->th[i], NULL);
	int rc = u->rc;
	if (rc < 0 && err)
		*err = u->err;
	pthread_cond_destroy(&u->more);
	pthread_mutex_destroy(&u->lock);
	free(u);
	return rc;
}
