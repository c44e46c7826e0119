/* hvc-init's VM part. Placeholder until the VM driver lands: detection says
 * "not a VM", so hvc-init behaves as in a container. */
#include <stdlib.h>
#include <sys/reboot.h>
#include <unistd.h>
#include "init.h"

bool init_vm_detect(void)
{
	return false;
}

int init_vm_setup(char ***argv, char ***envp)
{
	(void)argv;
	(void)envp;
	return -1;
}

void init_vm_poweroff(int status)
{
	(void)status;
	sync();
	reboot(RB_POWER_OFF);
	_exit(status);
}
