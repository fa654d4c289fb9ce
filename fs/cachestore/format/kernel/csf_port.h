/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csf_port.h - kernel side of the cachestore format library's portability
 * layer.  tools/lib/csf_port.h is the userspace twin; the include path picks
 * one.  Both provide exactly the names below.
 */
#ifndef __CSF_PORT_H
#define __CSF_PORT_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/math64.h>
#include <linux/bitops.h>
#include <linux/xxhash.h>
#include <linux/build_bug.h>
#include <linux/printk.h>
#include <asm/byteorder.h>

#define csf_alloc(size)		kmalloc(size, GFP_NOFS)
#define csf_zalloc(size)	kzalloc(size, GFP_NOFS)
#define csf_free(p)		kfree(p)
#define csf_valloc(size)	kvzalloc(size, GFP_NOFS)
#define csf_vfree(p)		kvfree(p)
#define csf_xxh64(p, len, seed)	xxh64(p, len, seed)
#define csf_div_u64(a, b)	div_u64(a, b)
#define csf_hweight64(x)	hweight64(x)
#define csf_err(fmt, ...)	pr_err("cachestore: " fmt, ##__VA_ARGS__)
#define csf_cond_resched()	cond_resched()

#endif /* __CSF_PORT_H */
