/* engine/runtime/runtime_clone: how the container's first process is born.
 *
 * It is started the way posix_spawn starts one: CLONE_VM | CLONE_VFORK, on a
 * stack of its own, sharing this process's memory until it execs while this
 * thread waits. A fork()-style clone copies the caller's page tables and
 * every page either side writes afterwards — for the bench harness, with
 * libvirt's libraries mapped, that was about 1 ms of every container start,
 * and the exec that drops the copy was as dear again. What the child may not
 * do while it shares memory: call glibc's set*id() wrappers (glibc would
 * broadcast them to the caller's threads; runtime_confine.c makes the raw
 * syscalls), assign to globals the caller reads (environ is restored after),
 * or unshare(CLONE_NEWUSER), which the kernel refuses to a task sharing its
 * memory — so --userns keeps the fork path. Architectures without the
 * trampoline below keep it too. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "runtime_child.h"

extern char **environ;

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
/* (not under ASan: it cannot follow a stack it did not see created, and
 * warns from the child into the container's stderr) */
#define HVC_CLONE3_SHARED_VM 1
static long clone3_shared_vm(struct clone_args *ca, void (*fn)(void *), void *arg)
{
	register long rax __asm__("rax") = SYS_clone3;
	register void *rdi __asm__("rdi") = ca;
	register size_t rsi __asm__("rsi") = sizeof(*ca);
	register void (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;
	__asm__ __volatile__(
		"syscall\n\t"
		"testq %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		/* the child, on its own stack (r12, r13 survive the syscall) */
		"xorl %%ebp, %%ebp\n\t"
		"andq $-16, %%rsp\n\t"
		"movq %%r13, %%rdi\n\t"
		"callq *%%r12\n\t"
		"movl $60, %%eax\n\t" /* SYS_exit: fn does not return, but never fall through */
		"xorl %%edi, %%edi\n\t"
		"syscall\n\t"
		"1:"
		: "+r"(rax)
		: "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
		: "rcx", "r11", "memory", "cc");
	return rax;
}

static void child_entry(void *arg)
{
	hvc_rt_child_main(arg);
}

/* The shared-memory clone; -2 when no stack could be mapped (the caller
 * falls back to the fork path). */
static pid_t clone_shared_vm(struct clone_args *ca, struct hvc_rt_child *a)
{
	enum { STACK = 2 << 20 }; /* touched lazily; ample under ASan too */
	void *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
			   -1, 0);
	if (stack == MAP_FAILED)
		return -2;
	struct clone_args v = *ca;
	v.flags |= CLONE_VM | CLONE_VFORK;
	v.stack = (uint64_t)(uintptr_t)stack;
	v.stack_size = STACK;
	/* no signal may run a handler in, or kill, a child that shares our
	 * memory (it could die holding a malloc lock): all blocked until its
	 * exec, as posix_spawn does */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &a->mask);
	a->restore_mask = true;
	char **saved_environ = environ;
	long r = clone3_shared_vm(&v, child_entry, a);
	/* back here only once the child has exec'd or died */
	environ = saved_environ;
	pthread_sigmask(SIG_SETMASK, &a->mask, NULL);
	munmap(stack, STACK);
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return (pid_t)r;
}
#endif

pid_t hvc_rt_clone_child(struct clone_args *ca, struct hvc_rt_child *a, bool share_vm)
{
#ifdef HVC_CLONE3_SHARED_VM
	if (share_vm) {
		pid_t pid = clone_shared_vm(ca, a);
		if (pid != -2)
			return pid;
	}
#else
	(void)share_vm;
#endif
	pid_t pid = (pid_t)syscall(SYS_clone3, ca, sizeof(*ca));
	if (pid == 0)
		hvc_rt_child_main(a);
	return pid;
}
