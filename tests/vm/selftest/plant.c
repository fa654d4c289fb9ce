// SPDX-License-Identifier: GPL-2.0
/*
 * plant.ko - the test harness's own test: plants a kernel problem on load so
 * that tests/vm/tests/harness_*.sh can prove the harness fails such a run.
 *
 *   insmod plant.ko what=warn   a WARN() splat (module stays loaded)
 *   insmod plant.ko what=oops   a NULL pointer dereference (an Oops)
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/bug.h>

static char *what = "warn";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "warn or oops");

static int __init plant_init(void)
{
	int *volatile p = NULL;

	if (!strcmp(what, "warn"))
		WARN(1, "plant: planted warning\n");
	else if (!strcmp(what, "oops"))
		*p = 1;
	else
		return -EINVAL;
	return 0;
}

static void __exit plant_exit(void)
{
}

module_init(plant_init);
module_exit(plant_exit);
MODULE_DESCRIPTION("cachestore test harness: plant a kernel warning or oops");
MODULE_LICENSE("GPL");
