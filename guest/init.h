/* hvc-init's internal contract between its common part (init-main.c: READY,
 * run the command, reap, forward signals — in a VM ctrl-alt-del stops the
 * command —, report the exit status) and its VM part (init-vm.c: ctrl-alt-del
 * as a signal, mounts, module loading, command from the initramfs, power-off; init-net.c: eth0, resolv.conf, hosts). Static, libc only. */
#ifndef HVC_GUEST_INIT_H
#define HVC_GUEST_INIT_H

#include <stdbool.h>
#include <stddef.h>

/* The line hvc-init prints (stdout in containers, the console in VMs) once
 * the instance is up and the command is about to start. Hosts wait for it. */
#define HVC_READY_MARKER "HVC-READY"
/* A template boot's line once it waits for its command (guest/init-vm.c). */
#define HVC_WAIT_MARKER "HVC-WAIT"
/* Printed just before exit/power-off: "HVC-EXIT <status>". */
#define HVC_EXIT_MARKER "HVC-EXIT"

/* True when running as PID 1 of a VM (no /proc mounted yet, booted by a kernel). */
bool init_vm_detect(void);
/* VM set-up: mount proc, sys and dev, load modules, bring up lo, mount the data
 * disk, read the command, env and workdir hvc put in the initramfs or disk.
 * On success argv and envp are the command to run. Returns 0 or -1. */
int init_vm_setup(char ***argv, char ***envp);
/* The guest config's network part (guest/init-net.c); NULL/0 = not given. */
struct init_net {
	const char *ip;	     /* eth0's "ADDR/PREFIX" */
	const char *gw;	     /* default route */
	const char *dns[3];  /* /etc/resolv.conf nameservers */
	size_t n_dns;
	const char *hostname;
	const char *hosts;   /* the whole /etc/hosts */
};
/* Configures eth0 (address, netmask, up, default route) and writes
 * /etc/hosts, /etc/resolv.conf and the hostname. Returns 0 or -1 (said on stderr). */
int init_net_setup(const struct init_net *n);
/* Reports status on the console and powers the VM off; does not return. */
void init_vm_poweroff(int status) __attribute__((noreturn));

#endif
