/* The end of a run: what the application wrote reaches its disks (every
 * file system synced and unmounted), then the VM powers off with the exit
 * status. A panic skips this: a kernel in an unknown state writes nothing. */
#include <keel/arch.h>
#include <keel/shutdown.h>
#include <keel/vfs.h>

void
kernel_shutdown(int status)
{
	vfs_unmount_all();
	arch_power_off(status);
}
