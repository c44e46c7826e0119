/* engine/cgroup/cgroup_devices: a container's device policy on cgroup2, where the
 * v1 devices.allow/deny files do not exist: the same rules compiled into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program (what runc and crun do) and attached to
 * the container's cgroup2 directory. The kernel runs it on every open and
 * mknod of a device node by a process in that cgroup; 1 allows, 0 denies
 * (EPERM). The compiler is pure (rules -> instructions, unit-tested); only
 * hvc_cgroup_bpf_devices_attach touches the kernel.
 *
 * Rules use v1 syntax: "c 1:3 rwm", "c 136:* rwm", "b *:* m", "a" (every
 * device, every access); anything not allowed is denied. */
#include "cgroup_internal.h"
#include <ctype.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct dev_rule {
	unsigned type;	      /* BPF_DEVCG_DEV_* bits, 0 = any */
	unsigned access;      /* BPF_DEVCG_ACC_* bits */
	int64_t major, minor; /* -1 = any */
};

static int parse_num(const char **p, int64_t *out)
{
	if (**p == '*') {
		(*p)++;
		*out = -1;
		return 0;
	}
	if (!isdigit((unsigned char)**p))
		return -1;
	char *end;
	unsigned long v = strtoul(*p, &end, 10);
	if (v > 0xffffffffUL)
		return -1;
	*out = (int64_t)v;
	*p = end;
	return 0;
}

static int parse_rule(const char *s, struct dev_rule *r, struct hvc_error *err)
{
	const char *p = s;
	memset(r, 0, sizeof(*r));
	r->major = r->minor = -1;
	r->access = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
	switch (*p) {
	case 'a':
		r->type = 0;
		break;
	case 'b':
		r->type = BPF_DEVCG_DEV_BLOCK;
		break;
	case 'c':
		r->type = BPF_DEVCG_DEV_CHAR;
		break;
	default:
		goto bad;
	}
	p++;
	if (!*p && s[0] == 'a')
		return 0;
	if (*p++ != ' ' || parse_num(&p, &r->major) < 0 || *p++ != ':' ||
	    parse_num(&p, &r->minor) < 0)
		goto bad;
	if (*p == ' ') {
		p++;
		r->access = 0;
		for (; *p; p++) {
			unsigned bit = *p == 'r'   ? BPF_DEVCG_ACC_READ
				       : *p == 'w' ? BPF_DEVCG_ACC_WRITE
				       : *p == 'm' ? BPF_DEVCG_ACC_MKNOD
						   : 0;
			if (!bit || (r->access & bit))
				goto bad;
			r->access |= bit;
		}
		if (!r->access)
			goto bad;
	}
	if (*p)
		goto bad;
	return 0;
bad:
	return hvc_err(err, EINVAL,
		       "device policy: invalid rule \"%s\": expected \"a\" or \"<a|b|c> "
		       "<major|*>:<minor|*> [rwm]\"",
		       s);
}

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

int hvc_cgroup_bpf_devices_compile(const char *const *rules, struct bpf_insn **out, size_t *n,
				   struct hvc_error *err)
{
	size_t nrules = 0;
	while (rules && rules[nrules])
		nrules++;
	/* 6 prologue + at most 7 per rule + 2 epilogue */
	struct bpf_insn *p = calloc(6 + 7 * nrules + 2, sizeof(*p));
	if (!p)
		return hvc_err(err, ENOMEM, "device policy");
	size_t k = 0;
	/* r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx) */
	p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
	p[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF);
	p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0);
	p[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
	p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
	p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
	const unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
	for (size_t i = 0; i < nrules; i++) {
		struct dev_rule r;
		if (parse_rule(rules[i], &r, err) < 0) {
			free(p);
			return -EINVAL;
		}
		/* each test jumps past the rest of the block (to the next rule) */
		int left = (r.type ? 1 : 0) + (r.access != all ? 3 : 0) + (r.major >= 0 ? 1 : 0) +
			   (r.minor >= 0 ? 1 : 0) + 2;
		if (r.type)
			p[k++] =
			    INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, (short)(--left), (int)r.type);
		if (r.access != all) { /* the requested access must be within the rule's */
			left -= 3;
			p[k++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0);
			p[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, (int)r.access);
			p[k++] = INSN(BPF_JMP | BPF_JNE | BPF_X, 1, 3, (short)left, 0);
		}
		if (r.major >= 0)
			p[k++] =
			    INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, (short)(--left), (int)r.major);
		if (r.minor >= 0)
			p[k++] =
			    INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, (short)(--left), (int)r.minor);
		p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
		p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0); /* default: deny */
	p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	*out = p;
	*n = k;
	return 0;
}

int hvc_cgroup_bpf_devices_attach(const char *dir, const char *const *rules, struct hvc_error *err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	size_t n;
	int r = hvc_cgroup_bpf_devices_compile(rules, &insns, &n, err);
	if (r < 0)
		return r;
	char log[4096] = "";
	union bpf_attr load;
	memset(&load, 0, sizeof(load));
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)insns;
	load.insn_cnt = (uint32_t)n;
	load.license = (uint64_t)(uintptr_t) "GPL";
	load.log_buf = (uint64_t)(uintptr_t)log;
	load.log_size = sizeof(log);
	load.log_level = 1;
	_cleanup_close_ int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0 && errno == ENOSPC) { /* log too small: load without it */
		load.log_buf = 0;
		load.log_size = 0;
		load.log_level = 0;
		prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	}
	if (prog < 0)
		return hvc_err(err, errno, "device policy: load BPF device program%s%s",
			       log[0] ? ": " : "", log);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hvc_err(err, errno, "device policy: open `%s`", dir);
	union bpf_attr at;
	memset(&at, 0, sizeof(at));
	at.target_fd = (uint32_t)dfd;
	at.attach_bpf_fd = (uint32_t)prog;
	at.attach_type = BPF_CGROUP_DEVICE;
	at.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof(at)) < 0)
		return hvc_err(err, errno, "device policy: attach BPF device program to `%s`", dir);
	/* the attachment keeps the program alive; it goes with the cgroup */
	return 0;
}

int hvc_cgroup_plan_bpf_devices(struct hvc_cgroup_plan *p, const char *dir,
				const char *const *rules, struct hvc_error *err)
{
	size_t n = 0;
	for (; rules[n]; n++) {
		struct dev_rule r;
		if (parse_rule(rules[n], &r, err) < 0)
			return -EINVAL;
	}
	char v[32];
	snprintf(v, sizeof(v), "%zu rule%s", n, n == 1 ? "" : "s");
	int r =
	    hvc_cgroup_plan_add(p, HVC_CG_OP_BPF_DEVICES, dir, NULL, v, "device policy", NULL, err);
	if (r == 0)
		p->ops[p->n - 1].rules = rules;
	return r;
}
