/* vmdriver/boot_plan: the pure decisions of a VM boot, kept apart from the
 * steps that carry them out (run.c) so that unit tests pin them: which
 * command the guest runs (image config + the run's options), whether the
 * image holds it, and the kernel command line. */
#include "hvc/image.h"
#include "vm-internal.h"
#include <string.h>
#include <sys/stat.h>

int vm_command_plan(const struct hvc_image_config *ic, const struct hvc_vm_opts *o,
		    struct vm_command *out, struct hvc_error *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; ic->entrypoint && ic->entrypoint[i]; i++)
		hvc_strv_push(&out->argv, ic->entrypoint[i]);
	char **cmd = o->cmd && o->cmd[0] ? o->cmd : ic->cmd;
	for (size_t i = 0; cmd && cmd[i]; i++)
		hvc_strv_push(&out->argv, cmd[i]);
	for (size_t i = 0; ic->env && ic->env[i]; i++)
		hvc_strv_push(&out->env, ic->env[i]);
	for (size_t i = 0; o->env && o->env[i]; i++)
		hvc_strv_push(&out->env, o->env[i]);
	const char *workdir = o->workdir ? o->workdir : ic->workdir;
	out->workdir = workdir && *workdir ? hvc_xstrdup(workdir) : NULL;
	if (!out->argv) {
		vm_command_clear(out);
		return hvc_err(err, EINVAL,
			       "image \"%s\" has no command (give one: hvc vm run %s CMD...)",
			       o->image, o->image);
	}
	return 0;
}

void vm_command_clear(struct vm_command *c)
{
	hvc_strv_free(c->argv);
	hvc_strv_free(c->env);
	free(c->workdir);
	memset(c, 0, sizeof(*c));
}

int vm_command_check(const char *rootfs, const char *image, char **argv, char **env,
		     struct hvc_error *err)
{
	const char *cmd = argv[0];
	struct stat st;
	if (strchr(cmd, '/')) {
		_cleanup_free_ char *p = hvc_path_join(rootfs, cmd);
		if (lstat(p, &st) == 0)
			return 0;
		return hvc_err(err, 0, "image \"%s\": command \"%s\" not found in the image", image,
			       cmd);
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; env && env[i]; i++)
		if (hvc_str_has_prefix(env[i], "PATH="))
			path = env[i] + 5;
	_cleanup_free_ char *copy = hvc_xstrdup(path);
	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *dir = hvc_path_join(rootfs, d);
		_cleanup_free_ char *p = hvc_path_join(dir, cmd);
		if (lstat(p, &st) == 0)
			return 0;
	}
	return hvc_err(err, 0, "image \"%s\": command \"%s\" not found in $PATH (%s)", image, cmd,
		       path);
}

bool vm_fast_boot_enabled(void)
{
	const char *e = getenv("HVC_VM_FAST_BOOT");
	return !(e && !strcmp(e, "0"));
}

/* Kernel arguments that skip work a minimal VM does not need: no i8042
 * mouse or PnP probing (the keyboard stays: `hvc vm shutdown` presses
 * ctrl-alt-del on it; probing it costs nothing measurable), one UART, no
 * crypto self-tests, no TSC re-check or timer check. Measured in docs/vm.md; HVC_VM_FAST_BOOT=0 leaves them out. */
static const char fast_boot_args[] = " tsc=reliable no_timer_check i8042.noaux i8042.nopnp "
				     "cryptomgr.notests 8250.nr_uarts=1";

char *vm_kernel_cmdline(bool fast_boot, const char *cfgarg, const char *extra)
{
	return hvc_strdup_printf("console=ttyS0 quiet panic=-1 rdinit=/init%s%s%s%s%s",
				 fast_boot ? fast_boot_args : "", cfgarg ? " " : "",
				 cfgarg ? cfgarg : "", extra ? " " : "", extra ? extra : "");
}
