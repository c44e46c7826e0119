/* The embedded libvirt connection opened beside hvc's own first steps of a
 * run (vm_run_early_conn_start), taken by vm_run_connect(). */
#include "vm-internal.h"
#include <libvirt/libvirt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The libvirt connection is opened in a thread of its own while hvc resolves
 * the kernel, the accelerator, the image and its artifacts and writes the
 * record and the XML: the embedded driver's start (qemu.conf, `dmidecode`,
 * the capabilities file parsed: ~50-150 ms here) no longer waits for hvc's
 * own 20-80 ms of steps (docs/vm.md, "The fixed cost, third round"). The
 * same wait and errors as a connection opened in place: vm_run_connect()
 * joins the thread and takes its result. Only for the embedded driver (one
 * root per hvc, opened anyway); never for --prepare (no domain). */
static void *early_conn_thread(void *arg)
{
	struct vm_run *r = arg;
	r->early.rc = hvc_vm_conn_open(r->uri, CONNECT_WAIT_MS, &r->early.conn, &r->early.err);
	return NULL;
}

void vm_run_early_conn_start(struct vm_run *r)
{
	const char *off = getenv("HVC_VM_EARLY_CONNECT"); /* 0: in place, for comparison */
	if (r->o->prepare_only || !hvc_vm_uri_is_embedded(r->uri) || (off && !strcmp(off, "0")))
		return;
	vm_conn_loop_start();
	r->early.started = pthread_create(&r->early.th, NULL, early_conn_thread, r) == 0;
}

int vm_run_early_conn_take(struct vm_run *r, struct hvc_error *err)
{
	if (!r->early.started)
		return 1;
	pthread_join(r->early.th, NULL);
	r->early.started = false;
	if (r->early.rc < 0) {
		if (err)
			*err = r->early.err;
		return -1;
	}
	r->conn = r->early.conn;
	return 0;
}
