/* vmdriver: the same image booted as a small VM through libvirt. */
#ifndef HVC_VM_H
#define HVC_VM_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include "hvc/util.h"

/* ==== host facts: guest kernel, accelerator, versions =====================
 * Owner: the host probe (vmdriver/kernel.c, vmdriver/accel.c,
 * vmdriver/versions.c). `hvc info` reports these; the VM driver uses them to
 * pick the kernel and the accelerator. Keep other vm.h parts outside this block. */

/* A guest kernel: the host's own kernel package booted with our initramfs. */
struct hvc_vm_kernel {
	char path[PATH_MAX];	    /* the bzImage, e.g. /boot/vmlinuz-6.1.0-56-cloud-amd64 */
	char release[256];	    /* "6.1.0-56-cloud-amd64" (from the bzImage header) */
	char modules_dir[PATH_MAX]; /* /lib/modules/<release>; "" when there is none */
	bool overridden;	    /* chosen by --kernel / $HVC_KERNEL */
};

/* Finds the guest kernel. override (else $HVC_KERNEL; NULL/"" = default) is a
 * kernel file path or a release name with /boot/vmlinuz-<release>. Default:
 * the newest /boot/vmlinuz-* that has /lib/modules/<release>. The error says
 * how to get one (apt-get install linux-image-cloud-amd64). */
int hvc_vm_kernel_find(const char *override, struct hvc_vm_kernel *out, struct hvc_error *err);
/* Same, with the directories as parameters (tests use fake trees); no $HVC_KERNEL. */
int hvc_vm_kernel_find_in(const char *boot_dir, const char *modules_root, const char *override,
			  struct hvc_vm_kernel *out, struct hvc_error *err);
/* Reads the release string from an x86 bzImage's setup header. */
int hvc_vm_kernel_read_release(const char *path, char *buf, size_t len, struct hvc_error *err);

enum hvc_vm_accel { HVC_VM_ACCEL_TCG = 0, HVC_VM_ACCEL_KVM };

/* Outcome of a bounded test boot of the guest kernel under KVM. */
enum hvc_vm_boot_test {
	HVC_VM_BOOT_NOT_RUN = 0, /* not attempted (no kernel/qemu, or too costly here) */
	HVC_VM_BOOT_OK,		 /* the kernel printed its boot banner within the bound */
	HVC_VM_BOOT_SILENT,	 /* no kernel output within the bound (hung: killed) */
	HVC_VM_BOOT_FAILED,	 /* QEMU refused or exited before the kernel printed */
};

/* The evidence the decision is made from. */
struct hvc_vm_accel_signals {
	bool mod_kvm_intel, mod_kvm_amd, mod_kvm_pvm; /* /sys/module/<name> present */
	bool dev_kvm_exists;
	int dev_kvm_errno; /* 0 when /dev/kvm opened read-write */
	enum hvc_vm_boot_test boot;
	int boot_ms;	       /* time to the banner, or the bound when SILENT */
	char boot_detail[256]; /* QEMU's message when FAILED */
};

struct hvc_vm_accel_info {
	enum hvc_vm_accel accel;
	char reason[512]; /* human, one line: why kvm or why tcg */
	struct hvc_vm_accel_signals sig;
	char kernel_release[256]; /* the kernel the verdict is for ("" when none) */
	char boot_id[64];	  /* host boot the verdict is for */
	bool cached;		  /* read from $HVC_ROOT/cache/ */
};

/* Pure: signals -> verdict + reason. Unit-tested for every case. */
enum hvc_vm_accel hvc_vm_accel_decide(const struct hvc_vm_accel_signals *sig, char *reason,
				      size_t len);

enum {
	HVC_VM_ACCEL_FORCE_TEST = 1 << 0, /* test-boot even when the signals say it would hang */
	HVC_VM_ACCEL_NO_CACHE = 1 << 1,	  /* neither read nor write the cached verdict */
};
/* Decides kvm or tcg for kernel (NULL = no kernel: signals only). Cached per
 * kernel release and host boot id under $HVC_ROOT/cache/. The test boot runs
 * when the signals say KVM may work (kvm_intel/kvm_amd): it costs well under
 * a second when KVM works. With only kvm_pvm (ordinary kernels hang) it runs
 * only with HVC_VM_ACCEL_FORCE_TEST, since it then waits the whole bound. */
int hvc_vm_accel_probe(const struct hvc_vm_kernel *kernel, unsigned flags,
		       struct hvc_vm_accel_info *out, struct hvc_error *err);
/* The test boot itself (bounded by timeout_ms; QEMU is killed on expiry). */
enum hvc_vm_boot_test hvc_vm_accel_test_boot(const struct hvc_vm_kernel *kernel, int timeout_ms,
					     int *elapsed_ms, char *detail, size_t len);
const char *hvc_vm_accel_name(enum hvc_vm_accel a); /* "kvm", "tcg" */
const char *
hvc_vm_boot_test_name(enum hvc_vm_boot_test b); /* "not-run", "ok", "silent", "failed" */

/* The QEMU system emulator: $HVC_QEMU, else qemu-system-x86_64 on PATH.
 * malloc'd absolute path, NULL (err filled) when absent. */
char *hvc_vm_qemu_binary(struct hvc_error *err);
/* "7.2.22" from `qemu --version`, into buf. */
int hvc_vm_qemu_version(const char *qemu, char *buf, size_t len, struct hvc_error *err);
/* libvirt library version "9.0.0" (virGetVersion), into buf. */
int hvc_vm_libvirt_version(char *buf, size_t len, struct hvc_error *err);

/* ==== end of host facts ================================================= */

/* ==== VM driver: connection, domain, artifacts, lifecycle, state ==========
 * Owner: the VM driver (vmdriver/ except kernel.c, accel.c, versions.c). */

/* ---------- libvirt connection (vmdriver/conn.c) ----------------------- */
/* The URI hvc uses: uri if non-NULL, else $HVC_LIBVIRT_URI, else
 * "qemu:///embed?root=$HVC_ROOT/libvirt". malloc'd. */
char *hvc_vm_default_uri(const char *uri);
/* True for the in-process embedded QEMU driver ("qemu:///embed?..."). */
bool hvc_vm_uri_is_embedded(const char *uri);
/* Opens (once per process and URI; refcounted) a libvirt connection, with the
 * default event loop running in a thread. For the embedded driver it writes
 * $root/etc/qemu.conf (stdio_handler = "file") first, and waits up to
 * wait_ms while another process holds the embedded root. Returns an opaque
 * virConnectPtr (void * so that callers need no libvirt headers). */
int hvc_vm_conn_open(const char *uri, int wait_ms, void **conn, struct hvc_error *err);
void hvc_vm_conn_close(void *conn);
/* Converts libvirt's last error into err ("what: libvirt's message"). */
int hvc_vm_virt_err(struct hvc_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---------- network attachment (vmdriver/net.c) ----------------------- */
/* How a VM is attached: no NIC at all (the default, as for containers),
 * or one virtio-net NIC whose tap
 * libvirt creates and puts on a host bridge. */
enum hvc_vm_network { HVC_VM_NET_NONE = 0, HVC_VM_NET_BRIDGE };
#define HVC_VM_NET_MAX_DNS 3 /* resolv.conf's MAXNS */
/* One NIC on a host bridge and the guest's IPv4 set-up. The VM driver only
 * attaches and configures what it is given: today `hvc vm run --net-bridge
 * --ip --gateway --dns` fill it (the low-level form); the network module's
 * IPAM fills it through hvc_vm_net_provider. Fixed buffers so that a provider
 * can snprintf into them and nothing is owned. */
struct hvc_vm_net {
	char bridge[16];  /* host bridge (IFNAMSIZ); must exist */
	char mac[18];     /* "52:54:xx:xx:xx:xx"; "" = hvc_vm_net_mac(VM name) */
	char address[16]; /* guest IPv4, dotted; "" = NIC left unconfigured */
	unsigned prefix;  /* 1-32 with an address */
	char gateway[16]; /* default route; "" = none */
	char dns[HVC_VM_NET_MAX_DNS][16]; /* /etc/resolv.conf; "" ends the list */
	const char *hosts; /* extra /etc/hosts lines ("ADDR NAME\n"...); may be NULL */
};
/* Where the network module plugs in: attach() runs once the run has its id
 * and name (before the domain exists) and may fill net (bridge, address,
 * prefix, gateway, dns: an IPAM lease keyed by the VM id); detach() runs
 * when the run ends its VM (success or failure; not for a -d VM left
 * running) and is the place to release it. VMs ended by `hvc vm stop/rm` or
 * reclaimed by prune after a kill -9 do not call it: the provider finds such
 * leases by the VM id (vm.json "network" records the attachment). */
struct hvc_vm_net_provider {
	int (*attach)(void *opaque, const char *id, const char *name, struct hvc_vm_net *net,
		      struct hvc_error *err);
	void (*detach)(void *opaque, const char *id, const char *name, const struct hvc_vm_net *net);
	void *opaque;
	/* A -d VM outlives its run: the lease is handed to its QEMU process
	 * (whose death then frees it). May be NULL. */
	void (*detached)(void *opaque, const char *id, pid_t qemu_pid);
};
/* The provider backed by hvc's own networks (vmdriver/net_provider.c):
 * `hvc vm run --network bridge|NAME` without --ip. attach() ensures the
 * network's bridge and nftables table and takes a lease of kind "vm" (owner:
 * the VM id; ports: published through the same DNAT as a container's);
 * detach() releases it. */
struct hvc_net_port;
struct hvc_vm_ipam {
	const char *network; /* "bridge" (hvc0) or a user network's name */
	const struct hvc_net_port *ports;
	size_t n_ports;
	/* filled by attach() */
	char net[64];
	uint32_t addr;
	char *hosts; /* the network's other instances, /etc/hosts lines */
};
void hvc_vm_ipam_provider(struct hvc_vm_ipam *ipam, struct hvc_vm_net_provider *p);
void hvc_vm_ipam_clear(struct hvc_vm_ipam *ipam);
/* Releases the lease a VM (by id) holds on any network, if any: `hvc vm rm`,
 * prune. */
int hvc_vm_net_release(const char *id, struct hvc_error *err);
/* A stable, locally administered unicast MAC derived from the VM name
 * (52:54 + 32 bits of FNV-1a of the name): the same name gets the same MAC,
 * so a guest's neighbours' ARP caches stay right across re-runs. Pure. */
void hvc_vm_net_mac(const char *name, char out[18]);
/* "10.99.0.2/24" -> address and prefix. Pure. */
int hvc_vm_net_parse_cidr(const char *s, struct hvc_vm_net *net, struct hvc_error *err);
/* The attachment must make sense: a valid bridge name, an address with a
 * prefix of 1-30 that is neither the subnet's network nor broadcast address,
 * a gateway inside the subnet and other than the address. Pure. */
int hvc_vm_net_check(const struct hvc_vm_net *net, struct hvc_error *err);
/* The guest's /etc/hosts: localhost, its own address and name, then extra
 * lines (malloc'd). Pure. */
char *hvc_vm_net_hosts(const struct hvc_vm_net *net, const char *name);

/* ---------- domain XML (vmdriver/domain_xml.c): pure ------------------- */
struct hvc_vm_def {
	const char *name;
	const char *uuid;       /* may be NULL: libvirt picks one */
	const char *virt_type;  /* "kvm" or "qemu" (TCG) */
	const char *machine;    /* "pc" or "q35" */
	const char *emulator;   /* may be NULL: libvirt's default */
	unsigned vcpus;         /* >= 1 */
	uint64_t memory_mib;    /* >= 16 */
	const char *cpuset;     /* "0-1" or NULL */
	const char *kernel;
	const char *initrd;     /* may be NULL (disk mode still has one) */
	const char *cmdline;
	const char *console_log; /* serial console written to this file */
	const char *root_disk;   /* may be NULL: root lives in the initramfs */
	const char *root_disk_format; /* "raw" or "qcow2" */
	const char *data_disk;   /* may be NULL */
	/* The data disk bypasses the host page cache (cache='none' io='native':
	 * QEMU opens it O_DIRECT), so a guest's disk I/O is comparable with a
	 * native O_DIRECT run (docs/methodology.md). False where the image's
	 * file system refuses O_DIRECT (tmpfs): libvirt's default, writeback. */
	bool data_disk_direct;
	const char *description; /* free text kept in the XML; may be NULL */
	const struct hvc_vm_net *net; /* one virtio-net NIC on net->bridge; NULL: no NIC */
	/* A template's command channel: a virtio-serial port ("org.hvc.cmd")
	 * whose host side is a unix socket QEMU listens on; NULL: none. */
	const char *cmd_channel;
};
/* Renders def as libvirt domain XML (malloc'd). Rejects invalid values. */
/* 0 for a machine type hvc can boot (NULL, "pc", "q35"), else an error naming them. */
int hvc_vm_machine_check(const char *machine, struct hvc_error *err);
int hvc_vm_domain_xml(const struct hvc_vm_def *def, char **xml, struct hvc_error *err);

/* ---------- domain lifecycle (vmdriver/domain.c) ---------------------- */
/* Defines and starts a domain from XML (undefined again when it will not
 * start); *dom is a virDomainPtr. */
int hvc_vm_domain_start(void *conn, const char *xml, void **dom, struct hvc_error *err);
/* Destroys (when active) and undefines (when persistent) dom, and frees it. */
int hvc_vm_domain_teardown(void *dom, struct hvc_error *err);
/* Looks a domain up by name on uri and tears it down; absent is fine. */
int hvc_vm_domain_remove(const char *uri, const char *name, struct hvc_error *err);

/* ---------- kernel modules (vmdriver/modules.c) ------------------------ */
/* One kernel's modules, read through libkmod from a module directory
 * (/lib/modules/<release>: modules.dep.bin, modules.builtin.bin, as depmod
 * writes them; tests point it at a fake tree). */
struct hvc_vm_modules;
int hvc_vm_modules_open(const char *moddir, struct hvc_vm_modules **out, struct hvc_error *err);
void hvc_vm_modules_close(struct hvc_vm_modules *m);
void hvc_vm_modules_closep(struct hvc_vm_modules **m);
#define _cleanup_vm_modules_ __attribute__((cleanup(hvc_vm_modules_closep)))
/* Appends to *paths the .ko paths (relative to the module directory) that
 * must be loaded, in load order (dependencies first, each once), for the
 * named modules ("virtio_blk"; '-' and '_' are equivalent). Built-in modules
 * are skipped; an unknown one is an error. */
int hvc_vm_modules_resolve(struct hvc_vm_modules *m, const char *const *names, char ***paths,
			   struct hvc_error *err);

/* ---------- guest configuration (vmdriver/guestcfg.c): pure ------------ */
/* What hvc-init reads in the VM: the command, its environment and workdir,
 * which module groups to load and which disks to mount. Serialised as text
 * lines "<key> <percent-escaped value>" (guest/init-vm.c parses it). */
struct hvc_vm_guestcfg {
	char **argv;          /* the command; non-empty */
	char **env;           /* "K=V"; may be NULL */
	const char *workdir;  /* may be NULL */
	char **load;          /* module groups to load ("virtio_blk"); may be NULL */
	const char *root_dev; /* "/dev/vda" in disk mode, else NULL */
	const char *data_dev; /* mounted on /data when non-NULL */
	int linger_ms;        /* after EXIT, wait this long for the host's kill before powering off */
	/* eth0's IPv4 set-up, /etc/resolv.conf, /etc/hosts, hostname; NULL: none */
	const struct hvc_vm_net *net;
	const char *hostname; /* may be NULL */
	const char *hosts;    /* whole /etc/hosts text; may be NULL */
	/* A template boot: hvc-init says HVC-WAIT and reads the command from
	 * the virtio-serial port instead (guest/init-vm.c). */
	bool wait;
};
char *hvc_vm_guestcfg_render(const struct hvc_vm_guestcfg *cfg);
/* The kernel command line carrying cfg ("hvc.cfg=<base64>") or NULL when the
 * encoding would not fit (then the config goes into the initramfs instead). */
char *hvc_vm_guestcfg_cmdline_arg(const char *rendered);

/* ---------- initramfs (vmdriver/initramfs.c) --------------------------- */
enum hvc_vm_compress { HVC_VM_COMPRESS_NONE, HVC_VM_COMPRESS_GZIP, HVC_VM_COMPRESS_LZ4,
		       HVC_VM_COMPRESS_ZSTD };
/* "none", "gzip", "lz4", "zstd" -> value; -1 when unknown. */
int hvc_vm_compress_parse(const char *s);
/* One extra file (in-memory data or a host file) placed into the archive. */
struct hvc_vm_cpio_extra {
	const char *path;   /* inside the archive, no leading slash: "init" */
	const char *src;    /* host file to copy, or NULL to use data */
	const char *data;
	size_t len;
	mode_t mode;
};
/* Writes a newc cpio of the tree rootdir (may be NULL) plus extras (which
 * override same-named tree entries) to out, compressed as asked. */
int hvc_vm_cpio_write(const char *out, const char *rootdir, const struct hvc_vm_cpio_extra *extras,
		      size_t n_extras, enum hvc_vm_compress comp, struct hvc_error *err);

/* ---------- boot artifacts (vmdriver/artifacts.c) ---------------------- */
struct hvc_vm_artifacts {
	char *dir;        /* $HVC_ROOT/vm/<image-digest>-<kernel-release> */
	char *initramfs;  /* rootfs + hvc-init + modules (or, disk mode: init + modules only) */
	char *disk;       /* disk mode: ext4 raw image of the rootfs, else NULL */
	bool cached;      /* true when everything was already there */
};
struct hvc_vm_artifact_req {
	const char *image_key;     /* cache key: image digest (hex, no "sha256:") */
	const char *rootfs;        /* flattened image tree */
	const char *kernel_release;
	const char *modules_root;  /* "/lib/modules" (tests use a fake tree) */
	const char *init_path;     /* bin/hvc-init */
	bool disk;
	enum hvc_vm_compress comp;
};
/* Module groups the initramfs carries; hvc-init loads only those a run needs. */
extern const char *const hvc_vm_module_groups[];
/* Builds (or finds) the artifacts. rootfs may be NULL when they are cached. */
int hvc_vm_artifacts_get(const struct hvc_vm_artifact_req *req, struct hvc_vm_artifacts *out,
			 struct hvc_error *err);
bool hvc_vm_artifacts_cached(const char *root, const char *image_key, const char *release,
			     bool disk, enum hvc_vm_compress comp);
/* Frees a's strings and zeroes it: safe on a zeroed struct and twice. */
void hvc_vm_artifacts_free(struct hvc_vm_artifacts *a);
#define _cleanup_vm_artifacts_ __attribute__((cleanup(hvc_vm_artifacts_free)))

/* ---------- console (vmdriver/console.c): pure parser ------------------ */
/* Feeds the serial console byte stream; finds the READY and EXIT markers and
 * hands the command's output (what lies between them) to a callback. */
struct hvc_vm_console {
	bool ready, exited;
	int exit_status;
	uint64_t bytes;         /* total bytes fed */
	char line[512];         /* the current line until a marker decision */
	size_t line_len;
	void (*output)(void *opaque, const char *buf, size_t len);
	void *opaque;
	const char *ready_marker; /* NULL: HVC-READY (a template build: HVC-WAIT) */
};
void hvc_vm_console_feed(struct hvc_vm_console *c, const char *buf, size_t len);

/* ---------- lifecycle (vmdriver/run.c) --------------------------------- */
struct hvc_vm_timings {
	double created_ms;    /* request -> domain created (QEMU started) */
	double first_byte_ms; /* request -> first console byte */
	double ready_ms;      /* request -> hvc-init's READY line */
	double exit_ms;       /* request -> command exit reported (HVC-EXIT) */
	double gone_ms;       /* request -> domain destroyed (and undefined with --rm) */
	/* --template: request -> template built (0 when it existed), and
	 * request -> command handed to the restored guest */
	double template_built_ms, handoff_ms;
};
struct hvc_vm_opts {
	const char *image;       /* reference ("busybox"); required */
	char **cmd;              /* overrides the image's command; may be NULL */
	char **env;              /* extra "K=V"; may be NULL */
	const char *workdir;     /* may be NULL */
	const char *name;        /* may be NULL: hvc-<id> */
	const char *uri;         /* may be NULL: default */
	const char *kernel;      /* may be NULL: $HVC_KERNEL or the newest */
	const char *machine;     /* may be NULL: "pc" */
	const char *cpuset;      /* may be NULL */
	const char *extra_cmdline; /* appended to the kernel command line */
	uint64_t memory_mib;     /* 0: 256 */
	unsigned vcpus;          /* 0: 1 */
	uint64_t data_disk_bytes; /* 0: none */
	int timeout_s;           /* READY timeout; 0: 60 (TCG) or 10 (KVM) */
	int compress;            /* enum hvc_vm_compress; -1: default (none) */
	bool disk;               /* ext4 root disk instead of initramfs root */
	bool rm;                 /* undefine and delete state at the end */
	bool detach;             /* return after READY, leave the VM running */
	bool wait_poweroff;      /* after EXIT wait for the guest's own power-off
				  * instead of destroying the domain at once */
	/* Output of the command as it arrives (may be NULL). */
	void (*output)(void *opaque, const char *buf, size_t len);
	void *opaque;
	/* Called once on READY (e.g. to measure memory); may be NULL. */
	void (*on_ready)(void *opaque, pid_t qemu_pid);
	bool capture;            /* keep the output in result->output too */
	/* Set (e.g. by a signal handler) to stop the VM early; may be NULL. */
	volatile int *cancel;
	/* Build the artifacts only (no boot): `hvc vm run --prepare`, benches. */
	bool prepare_only;
	/* Network: enum hvc_vm_network (default none); with bridge, net as
	 * given (--net-bridge, --ip, ...) after the provider (may be NULL) has
	 * filled it in. */
	int network;
	struct hvc_vm_net net;
	const struct hvc_vm_net_provider *net_provider;
	/* Start from the image's template (vmdriver/template.c): restore a
	 * guest saved where hvc-init waits for its command, building the
	 * template first when there is no valid one. */
	bool template_;
	/* "kvm" or "tcg" forces the accelerator (kvm fails where the host probe
	 * finds KVM unusable, with its reason); NULL: the probe's verdict. */
	const char *accel;
};
struct hvc_vm_result {
	char id[13];
	char name[64];
	char accel[8];           /* "kvm" or "tcg" */
	char *accel_reason;
	char *kernel, *kernel_release;
	pid_t qemu_pid;          /* 0 when unknown (remote URI) */
	int exit_status;         /* the command's status; -1 with detach */
	char *output;            /* with capture */
	size_t output_len;
	struct hvc_vm_timings t;
};
/* Boots opts->image, runs the command, returns its status in res. Returns 0
 * when the command ran (whatever its status), negative on failure; in every
 * case the domain and its files are gone afterwards unless detached. */
int hvc_vm_run(const struct hvc_vm_opts *opts, struct hvc_vm_result *res, struct hvc_error *err);
/* Frees res's strings: safe on a zeroed result and twice. */
void hvc_vm_result_free(struct hvc_vm_result *res);
#define _cleanup_vm_result_ __attribute__((cleanup(hvc_vm_result_free)))
/* What the VM driver accepts for a run (vmdriver/opts.c), decided here
 * rather than by each caller. Sets the option `name` ("memory": a bare number
 * is MiB, "256m"/"1g" are sizes, at least 16 MiB; "vcpus": 1-256;
 * "data-disk": a size of at least 8m; "timeout": 1-86400 seconds; "compress":
 * none, gzip, lz4 or zstd; "network": bridge or none; "net-bridge": a bridge
 * name; "ip": ADDR/PREFIX; "gateway", "dns" (repeatable, up to 3): IPv4;
 * "mac": a unicast MAC) from its text. The message names the option as
 * `hvc vm run` spells it and quotes value (no errno: a usage error). Pure. */
int hvc_vm_opts_set(struct hvc_vm_opts *opts, const char *name, const char *value,
		    struct hvc_error *err);
/* Checks the combination of options (not both detach and rm; the network
 * options only with network bridge; without a net_provider — the low-level
 * form — --net-bridge and --ip are both needed). Pure. */
int hvc_vm_opts_check(const struct hvc_vm_opts *opts, struct hvc_error *err);

/* ---------- templates (vmdriver/template.c) --------------------------- */
/* $HVC_ROOT/vm/templates/<key>/ (docs/vm.md, "Templates"). */
struct hvc_vm_template_info {
	char *key;     /* the directory's name */
	char *image;   /* the reference it was made for; NULL when unknown */
	char *created; /* ISO-8601; NULL when unknown */
	uint64_t bytes; /* the save image */
	char *problem; /* why it cannot be restored (half-made, truncated,
			* another QEMU/libvirt/hvc); NULL when it can */
};
int hvc_vm_template_list(struct hvc_vm_template_info **out, size_t *n, struct hvc_error *err);
void hvc_vm_template_info_free(struct hvc_vm_template_info *v, size_t n);
/* Removes the template whose key is ref or starts with it (unique). EBUSY
 * while a run restores it. */
int hvc_vm_template_remove(const char *ref, struct hvc_error *err);
/* Removes the templates that cannot be restored (all: every one not in
 * use). Returns how many, or < 0. */
int hvc_vm_template_prune(bool all, struct hvc_error *err);

/* ---------- state of VMs (vmdriver/state.c) ---------------------------- */
/* $HVC_ROOT/vms/<id>/: vm.json (name, uri, image, owner pid, accel,
 * created), domain.xml, console.log, data.img. */
struct hvc_vm_info {
	char id[13];
	char name[64];
	char *image, *uri, *accel, *status, *created;
	pid_t owner;       /* hvc process that owns it; 0 when detached */
	pid_t qemu_pid;    /* 0 when not running / unknown */
	bool detached;
};
char *hvc_vm_state_dir(const char *id);
int hvc_vm_list(struct hvc_vm_info **out, size_t *n, struct hvc_error *err);
void hvc_vm_info_free(struct hvc_vm_info *v, size_t n);
/* Frees one info's strings and zeroes them: safe on a zeroed info and twice. */
void hvc_vm_info_clear(struct hvc_vm_info *v);
#define _cleanup_vm_info_ __attribute__((cleanup(hvc_vm_info_clear)))
/* Finds a VM by name, id or id prefix. */
int hvc_vm_find(const char *ref, struct hvc_vm_info *out, struct hvc_error *err);
/* Stops (destroys) a VM: through its owner process when one is alive. */
int hvc_vm_stop(const char *ref, struct hvc_error *err);
/* Destroys, undefines and deletes a VM (force: even when running). */
int hvc_vm_remove(const char *ref, bool force, struct hvc_error *err);
/* Reclaims VMs whose owning hvc process died (kill -9 mid-boot): destroys
 * the domain, undefines it, deletes its state. Returns how many, or < 0. */
int hvc_vm_prune(struct hvc_error *err);
/* QEMU pid of a running domain of the embedded driver (0 when unknown). */
pid_t hvc_vm_qemu_pid(const char *uri, const char *name);

/* ---------- virsh-style operations (vmdriver/vm_ops.c) ----------------- */
struct hvc_vm_dominfo {
	char name[64], hvc_id[13];
	int id;                /* libvirt's domain id, -1 when not running */
	char uuid[37];         /* libvirt's VIR_UUID_STRING_BUFLEN */
	char os_type[16];
	char state[24];        /* virsh's words: "running", "shut off", ... */
	unsigned vcpus;
	double cpu_time_s;
	uint64_t max_mem_kib, used_mem_kib;
	bool persistent, autostart;
	bool from_libvirt;     /* false: only hvc's state files (no domain) */
	pid_t qemu_pid;
};
/* `hvc vm dominfo`: virDomainGetInfo and friends of a detached or stopped
 * VM; EBUSY for a VM whose foreground `vm run` holds libvirt. */
int hvc_vm_dominfo(const char *ref, struct hvc_vm_dominfo *out, struct hvc_error *err);
/* `hvc vm shutdown`: the ACPI power button, up to timeout_s for the guest
 * to power off (*graceful), then destroy (hvc_vm_stop) what is left. A VM
 * owned by a foreground `vm run` is stopped through that process. */
int hvc_vm_shutdown(const char *ref, int timeout_s, bool *graceful, struct hvc_error *err);

/* ---------- host-side metrics (vmdriver/stats.c) ----------------------- */
struct hvc_vm_procstats {
	uint64_t rss_bytes, pss_bytes;
	double cpu_user_s, cpu_sys_s;
};
/* Parses a /proc/PID/smaps_rollup text (pure). */
int hvc_vm_smaps_rollup_parse(const char *text, struct hvc_vm_procstats *st,
			      struct hvc_error *err);
int hvc_vm_procstats(pid_t pid, struct hvc_vm_procstats *st, struct hvc_error *err);

/* ==== end of VM driver ================================================== */

/* The virtualization section of the host description (hvc/host.h): guest
 * kernel, accelerator verdict and its evidence, QEMU and libvirt versions.
 * arg: a struct hvc_vm_host_opts, or NULL for the defaults. */
struct hvc_vm_host_opts {
	const char *kernel;   /* guest kernel override; NULL = $HVC_KERNEL or default */
	unsigned accel_flags; /* HVC_VM_ACCEL_* */
};
void hvc_vm_host_add(json_object *host, const void *arg);

/* Whether a file in dir can be opened O_DIRECT (what QEMU needs for a disk
 * with cache='none'): a temporary file is made, tried and removed. */
bool hvc_vm_direct_io_ok(const char *dir);

#endif
