/* vmdriver/vm-internal.h: vmdriver's private seams between its files (not
 * part of the public API): the state of one run shared by the boot steps
 * (run.c), the console watch (watch.c) and the run's record (run_state.c). */
#ifndef HVC_VM_INTERNAL_H
#define HVC_VM_INTERNAL_H

#include "hvc/vm.h"
#include <pthread.h>

/* state.c */
int vm_state_write(const char *id, json_object *o, struct hvc_error *err);
int vm_state_read(const char *id, json_object **o, struct hvc_error *err);

struct vm_template;

/* One `hvc vm run`, from the request to the domain's end. */
struct vm_run {
	const struct hvc_vm_opts *o;
	struct hvc_vm_result *res;
	uint64_t t0; /* the request: every timing counts from here */
	char *uri, *dir, *console;
	void *conn;	    /* virConnectPtr */
	void *dom;	    /* virDomainPtr, NULL when there is no domain (any more) */
	int cb_id, evfd;    /* lifecycle callback; eventfd it signals on STOPPED */
	json_object *state; /* vm.json, NULL until the run has an id */
	struct hvc_vm_console con;
	size_t cap; /* allocated bytes of res->output */
	struct hvc_vm_net net; /* the NIC's attachment (network bridge) */
	bool net_attached;     /* the provider's attach() succeeded: detach() at the end */
	struct vm_template *tpl; /* --template: the template this run restores */
	bool tpl_build;		 /* booting the template itself (until HVC-WAIT) */
	int tpl_lock_fd;	 /* > 0: the template's lock, held until the domain is gone */
	/* the connection opened beside hvc's own first steps (early_conn.c) */
	struct vm_early_conn {
		pthread_t th;
		bool started;
		int rc;
		void *conn;
		struct hvc_error err;
	} early;
};

/* What the steps of one boot (run.c) hand each other. */
struct vm_boot {
	bool kvm;
	int comp; /* enum hvc_vm_compress */
	struct vm_command {
		char **argv, **env;
		char *workdir;
	} cmd;
	char *key;  /* image digest, hex: the artifact cache key */
	char *flat; /* the image flattened for an artifact build, or NULL */
	struct hvc_vm_artifacts art;
	char *root_disk, *data_disk, *initrd, *cmdline, *xml;
};
/* boot_steps.c: frees what the steps made (safe on a zeroed boot). */
void vm_boot_clear(struct vm_boot *b);
/* boot_steps.c: kernel and accelerator, image and command, boot artifacts. */
int vm_boot_prepare(struct vm_run *r, struct vm_boot *b, struct hvc_error *err);
/* boot_steps.c: destroy + undefine the run's domain (killing its QEMU first
 * after EXIT); records "domain gone". */
void vm_run_teardown(struct vm_run *r);
/* boot_steps.c: the record of a run (id, name, state directory). */
int vm_boot_record(struct vm_run *r, struct vm_boot *b, struct hvc_error *err);
/* boot_steps.c: from the record to a started domain (network, disks, guest
 * config, XML, define + start). */
int vm_boot_domain(struct vm_run *r, struct vm_boot *b, struct hvc_error *err);
/* How long a run waits for the embedded root another process holds. */
#define CONNECT_WAIT_MS 30000
/* boot_steps.c: connect and listen for the domain's end (before a start or restore). */
int vm_run_connect(struct vm_run *r, struct hvc_error *err);
/* conn.c: libvirt initialised and its event loop started (once; it sets
 * LIBVIRT_LOG_OUTPUTS, so before any thread of ours reads the environment). */
void vm_conn_loop_start(void);
/* early_conn.c: a thread opening the connection while the run goes on
 * (embedded driver only; HVC_VM_EARLY_CONNECT=0: none). */
void vm_run_early_conn_start(struct vm_run *r);
/* early_conn.c: the connection the early thread opened, once it is done (0 and
 * r->conn set, or its error); 1 when no early thread was started. */
int vm_run_early_conn_take(struct vm_run *r, struct hvc_error *err);
/* boot_steps.c: the domain destroyed and undefined, the record and its directory gone. */
void vm_run_drop(struct vm_run *r);
/* run_template.c: --template: restore (building the template first when
 * needed), hand the command over, watch until EXIT. */
int vm_run_template(struct vm_run *r, struct vm_boot *b, struct hvc_error *err);

/* Milliseconds since the request (inline: run.c and watch.c both stamp). */
static inline double vm_run_since(const struct vm_run *r)
{
	return hvc_ns_to_ms(hvc_now_ns() - r->t0);
}

/* watch.c: the console, from the domain's start to READY (detach) or EXIT. */
/* Console output handler (struct hvc_vm_console.output; opaque is the run). */
void vm_run_on_output(void *opaque, const char *buf, size_t len);
/* Reads the console until the run is over. Returns 0, or < 0 with err. */
int vm_run_watch(struct vm_run *r, int timeout_ms, struct hvc_error *err);

/* run_state.c: the run's vm.json (what `hvc vm ps/inspect` and prune read). */
void vm_run_state_status(struct vm_run *r, const char *status);
/* The record of a new run, written with status "creating". */
void vm_run_state_create(struct vm_run *r, const char *initramfs);
/* The record of a run that ended (timings, exit status, error). */
void vm_run_state_final(struct vm_run *r, int rc, const struct hvc_error *err);
/* The run's network attachment ("network": bridge, mac, address, ...). */
void vm_run_state_network(struct vm_run *r);
/* The record of a run left running on its own (detach). */
void vm_run_state_detached(struct vm_run *r);

/* reaper.c: reaps QEMU zombies libvirt leaves to hvc (embedded driver). */
void vm_reaper_start_once(void);

/* run_files.c: the per-run files beside the cached artifacts. */
int vm_make_overlay(const char *base, const char *path, struct hvc_error *err);
int vm_make_data_disk(const char *path, uint64_t bytes, struct hvc_error *err);
int vm_initrd_with_config(const char *base, const char *cfg, const char *out,
			  struct hvc_error *err);

/* boot_plan.c: pure steps of the boot plan (unit-tested in test_vm.c). */
struct hvc_image_config;
/* The guest's command: the image's entrypoint + (opts' cmd, else the image's
 * cmd); env: the image's then opts'; workdir: opts', else the image's (NULL
 * when empty). Fails (EINVAL) when there is no command. */
int vm_command_plan(const struct hvc_image_config *ic, const struct hvc_vm_opts *o,
		    struct vm_command *out, struct hvc_error *err);
void vm_command_clear(struct vm_command *c);
/* The image must hold the command (PATH lookup in rootfs, as hvc-init does). */
int vm_command_check(const char *rootfs, const char *image, char **argv, char **env,
		     struct hvc_error *err);
/* The kernel command line: console, rdinit, fast-boot arguments (unless
 * fast_boot is false), the guest config argument (may be NULL), then extra. */
char *vm_kernel_cmdline(bool fast_boot, const char *cfgarg, const char *extra);
/* Whether $HVC_VM_FAST_BOOT leaves the fast-boot arguments in (not "0"). */
bool vm_fast_boot_enabled(void);

/* vm_trace.c: --trace events (hvc/trace.h); call only when hvc_trace_on().
 * cmdline: adds hvc.trace=1 (hvc-init then prints its milestones); takes
 * and returns a malloc'd string. guest_line: a console line before READY,
 * emitted when it is one of hvc-init's "HVC-TRACE" lines. */
char *vm_trace_cmdline(char *cmdline);
void vm_trace_def(const struct hvc_vm_def *def);
void vm_trace_qemu(int pid);
void vm_trace_guest_line(const char *line, size_t n);

/* net.c: the run's attachment (network bridge): the options' net, then the
 * provider's attach() (sets *attached, so that the end of the run calls
 * detach()), a MAC from the name when none is given; checked. */
int vm_net_plan(const struct hvc_vm_opts *o, const char *id, const char *name,
		struct hvc_vm_net *net, bool *attached, struct hvc_error *err);

/* template.c: a template's identity and files (see its header comment). */
struct vm_template_req {
	const char *image_key, *release, *initramfs, *machine, *accel;
	const char *cmdline; /* the template boot's extra kernel arguments ("" for none) */
	uint64_t memory_mib;
	unsigned vcpus;
};
struct vm_template {
	char *key, *dir, *name;	   /* directory name, its path, the saved domain's name */
	char *save, *console, *sock, *meta;
	char *versions;		   /* QEMU, libvirt, hvc: what the key's hash covers */
	int lock_fd;
};
/* "<digest12>-<kernel>-<machine>-<mem>m-<vcpus>c-<accel>-<hash8>-s<slot>". Pure. */
char *vm_template_key(const struct vm_template_req *q, const char *versions, unsigned slot);
/* Takes the first free slot's lock and creates its directory. */
int vm_template_open(const struct vm_template_req *q, struct vm_template *t,
		     struct hvc_error *err);
void vm_template_close(struct vm_template *t);
/* Whether the files make a whole template; when not, says why (unless
 * there is nothing at all) and removes them. */
bool vm_template_usable(const struct vm_template *t);
/* Removes the template's files (libvirt refused to restore it). */
void vm_template_discard(const struct vm_template *t);
/* Saves the running domain (which stops) and commits the template. */
int vm_template_save(void *dom, const struct vm_template *t, const char *image,
		     struct hvc_error *err);
int vm_template_restore(void *conn, const struct vm_template *t, void **dom,
			struct hvc_error *err);
/* Writes the rest of the guest config to the restored guest's port. */
int vm_template_handoff(const struct vm_template *t, const char *cfg, struct hvc_error *err);

/* caps.c: libvirt's cached QEMU capabilities (embedded driver). The cache
 * text without the flag that makes libvirt read the guest CPU back property
 * by property (malloc'd), NULL when there is nothing to trim (not libvirt
 * 9.x, or no such flag). Pure. */
char *vm_caps_trim(const char *xml);
/* Trims every cached capability file under the embedded root (before the
 * connection opens); HVC_VM_CPU_PROBE=1 leaves them alone. */
void vm_caps_trim_root(const char *root);

#endif
