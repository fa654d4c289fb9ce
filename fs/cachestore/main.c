// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: an fscache backend that owns a dedicated block device.
 * See Documentation/filesystems/caching/cachestore.rst.
 */
#include <linux/module.h>
#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init cachestore_init(void)
{
	int ret;

	csf_check_sizes();
	ret = cachestore_io_init();
	if (ret)
		return ret;
	ret = cachestore_sysfs_init();
	if (ret)
		goto out_io;
	ret = cachestore_register_fs();
	if (ret)
		goto out_sysfs;
	pr_info("cachestore: loaded\n");
	return 0;

out_sysfs:
	cachestore_sysfs_exit();
out_io:
	cachestore_io_exit();
	return ret;
}

static void __exit cachestore_exit(void)
{
	cachestore_unregister_fs();
	cachestore_sysfs_exit();
	cachestore_io_exit();
}

module_init(cachestore_init);
module_exit(cachestore_exit);

MODULE_DESCRIPTION("cachestore: fscache backend on a dedicated block device");
MODULE_AUTHOR("The cachestore developers");
MODULE_LICENSE("GPL");
