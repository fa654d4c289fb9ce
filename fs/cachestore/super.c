// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: binding.  "mount -t cachestore [-o OPTS] DEVICE DIR" claims the
 * device, opens the cache (replaying its journal) and puts it in service;
 * umount withdraws it.  DIR shows a "stats" file; statfs reports the cache's
 * size and free space.
 *
 * Options: tag=NAME (the fscache cache name; default the label, else
 * "cachestore"), commit=MS (journal commit interval, default 1000),
 * discard / nodiscard (discard freed blocks; default on when supported),
 * rbufs=N (granule read buffers for page-at-a-time readers; default 64,
 * 0 turns them off), and the culling marks of cachefilesd, in % free:
 * brun=, bcull=, bstop= for blocks and frun=, fcull=, fstop= for object
 * slots (defaults 10, 7 and 3; stop < cull < run < 100; see cull.c).
 * cull=PCT and run=PCT set the cull and run marks of both; a stop mark not
 * given explicitly is lowered below a cull mark set under it.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/parser.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>
#include <linux/slab.h>
#include "internal.h"

#define CACHESTORE_SUPER_MAGIC	0x43535452	/* "CSTR" */

enum {
	opt_tag, opt_commit, opt_discard, opt_nodiscard, opt_rbufs, opt_cull,
	opt_run, opt_brun, opt_bcull, opt_bstop, opt_frun, opt_fcull,
	opt_fstop, opt_err
};

static const match_table_t cachestore_tokens = {
	{ opt_tag, "tag=%s" },
	{ opt_commit, "commit=%u" },
	{ opt_discard, "discard" },
	{ opt_nodiscard, "nodiscard" },
	{ opt_rbufs, "rbufs=%u" },
	{ opt_cull, "cull=%u" },
	{ opt_run, "run=%u" },
	{ opt_brun, "brun=%u" },
	{ opt_bcull, "bcull=%u" },
	{ opt_bstop, "bstop=%u" },
	{ opt_frun, "frun=%u" },
	{ opt_fcull, "fcull=%u" },
	{ opt_fstop, "fstop=%u" },
	{ opt_err, NULL },
};

/* Check stop < cull < run < 100 for one set of marks. */
static int cachestore_check_marks(const struct cachestore_marks *m, char kind)
{
	if (m->stop < m->cull && m->cull < m->run && m->run < 100)
		return 0;
	pr_err("cachestore: %cstop (%u) < %ccull (%u) < %crun (%u) < 100 does not hold\n",
	       kind, m->stop, kind, m->cull, kind, m->run);
	return -EINVAL;
}

static int cachestore_parse_options(struct cachestore_cache *cache, char *data)
{
	/* explicit marks, -1 unset: [0] blocks, [1] slots; run, cull, stop */
	int mark[2][3] = { { -1, -1, -1 }, { -1, -1, -1 } };
	int both[2] = { -1, -1 };	/* run=, cull= */
	struct cachestore_marks *m[2] = { &cache->bmark, &cache->fmark };
	substring_t args[MAX_OPT_ARGS];
	int n, i, token;
	char *p;

	while ((p = strsep(&data, ",")) != NULL) {
		if (!*p)
			continue;
		token = match_token(p, cachestore_tokens, args);
		switch (token) {
		case opt_tag:
			if (args[0].to - args[0].from >= sizeof(cache->tag) ||
			    args[0].to == args[0].from) {
				pr_err("cachestore: tag must be 1 to %zu characters\n",
				       sizeof(cache->tag) - 1);
				return -EINVAL;
			}
			match_strlcpy(cache->tag, &args[0], sizeof(cache->tag));
			break;
		case opt_commit:
			if (match_int(&args[0], &n) || n < 10 || n > 600000) {
				pr_err("cachestore: commit= takes 10 to 600000 ms\n");
				return -EINVAL;
			}
			cache->commit_ms = n;
			break;
		case opt_discard:
			cache->discard = true;
			break;
		case opt_nodiscard:
			cache->discard = false;
			break;
		case opt_rbufs:
			if (match_int(&args[0], &n) || n < 0 || n > 4096) {
				pr_err("cachestore: rbufs= takes 0 to 4096\n");
				return -EINVAL;
			}
			cache->max_rbufs = n;
			break;
		case opt_cull:
		case opt_run:
		case opt_brun:
		case opt_bcull:
		case opt_bstop:
		case opt_frun:
		case opt_fcull:
		case opt_fstop:
			if (match_int(&args[0], &n) || n < 0 || n > 99) {
				pr_err("cachestore: \"%s\": the marks take 0 to 99 (%%)\n",
				       p);
				return -EINVAL;
			}
			if (token == opt_run || token == opt_cull)
				both[token == opt_cull] = n;
			else if (token <= opt_bstop)
				mark[0][token - opt_brun] = n;
			else
				mark[1][token - opt_frun] = n;
			break;
		default:
			pr_err("cachestore: unknown mount option \"%s\"\n", p);
			return -EINVAL;
		}
	}
	for (i = 0; i < 2; i++) {
		if (both[0] >= 0)
			m[i]->run = both[0];
		if (both[1] >= 0)
			m[i]->cull = both[1];
		if (mark[i][0] >= 0)
			m[i]->run = mark[i][0];
		if (mark[i][1] >= 0)
			m[i]->cull = mark[i][1];
		if (mark[i][2] >= 0)
			m[i]->stop = mark[i][2];
		else if (m[i]->stop >= m[i]->cull && m[i]->cull)
			m[i]->stop = m[i]->cull - 1;
		if (cachestore_check_marks(m[i], i ? 'f' : 'b'))
			return -EINVAL;
	}
	return 0;
}

/* In the order of struct cachestore_stats. */
static const char *const cachestore_stat_names[] = {
	"lookups", "lookup_hits", "creates",
	"read_pages", "read_hit_pages", "read_miss_pages",
	"write_pages", "write_fail_pages", "stale",
	"invalidates", "deletes", "resizes", "culls",
	"commits", "commits_shared", "commit_errors", "io_errors",
	"dirty_marks_waited", "dirty_marks_fresh",
	"rbuf_fills", "rbuf_hit_pages",
	"commit_hold_max_us", "checkpoint_hold_max_us",
};

static int cachestore_stats_show(struct seq_file *m, void *v)
{
	struct cachestore_cache *cache = file_inode(m->file)->i_sb->s_fs_info;
	struct cachestore_stats *s = &cache->stats;
	struct csf_statfs st;
	unsigned int i;
	int ret;

	BUILD_BUG_ON(sizeof(*s) != sizeof(atomic64_t) *
		     ARRAY_SIZE(cachestore_stat_names));
	mutex_lock(&cache->lock);
	ret = csf_statfs(cache->fs, &st);
	mutex_unlock(&cache->lock);
	if (ret)
		return ret;
	seq_printf(m, "tag: %s\ndevice: %pg\nstate: %s\n", cache->tag,
		   cache->bdev, cache->dead ? "error" : "active");
	seq_printf(m, "blocks_total: %llu\nblocks_data: %llu\nblocks_free: %llu\n",
		   st.total_blocks, st.data_blocks, st.free_blocks);
	seq_printf(m, "objects_max: %u\nobjects_live: %u\nobjects_dying: %u\nvolumes: %u\n",
		   st.max_objects, st.live_objects, st.dying_objects,
		   st.volumes);
	seq_printf(m, "journal_blocks: %llu\njournal_used: %llu\n",
		   st.journal_blocks, st.journal_used);
	for (i = 0; i < ARRAY_SIZE(cachestore_stat_names); i++)
		seq_printf(m, "%s: %lld\n", cachestore_stat_names[i],
			   (long long)atomic64_read(&((atomic64_t *)s)[i]));
	return 0;
}

static int cachestore_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, cachestore_stats_show, NULL);
}

static const struct file_operations cachestore_stats_fops = {
	.owner		= THIS_MODULE,
	.open		= cachestore_stats_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int cachestore_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct cachestore_cache *cache = dentry->d_sb->s_fs_info;
	struct csf_statfs st;
	int ret;

	mutex_lock(&cache->lock);
	ret = csf_statfs(cache->fs, &st);
	mutex_unlock(&cache->lock);
	if (ret)
		return ret;
	buf->f_type = CACHESTORE_SUPER_MAGIC;
	buf->f_bsize = CSF_BLOCK_SIZE;
	buf->f_frsize = CSF_BLOCK_SIZE;
	buf->f_blocks = st.data_blocks;
	buf->f_bfree = st.free_blocks;
	buf->f_bavail = st.free_blocks;
	buf->f_files = st.max_objects;
	buf->f_ffree = st.max_objects - st.live_objects - st.dying_objects;
	buf->f_namelen = NAME_MAX;
	return 0;
}

static int cachestore_sync_fs(struct super_block *sb, int wait)
{
	struct cachestore_cache *cache = sb->s_fs_info;

	if (!wait || !cache->cache)
		return 0;
	return cachestore_commit(cache);
}

static const struct super_operations cachestore_super_ops = {
	.statfs		= cachestore_statfs,
	.sync_fs	= cachestore_sync_fs,
};

static int cachestore_fill_super(struct super_block *sb, void *data, int silent)
{
	static const struct tree_descr files[] = {
		[2] = { "stats", &cachestore_stats_fops, 0444 },
		{ "" },
	};
	struct cachestore_cache *cache;
	struct csf_dev dev;
	int ret;

	cache = kzalloc(sizeof(*cache), GFP_KERNEL);
	if (!cache)
		return -ENOMEM;
	sb->s_fs_info = cache;
	cache->sb = sb;
	cache->bdev = sb->s_bdev;
	cache->commit_ms = 1000;
	cache->max_rbufs = 64;
	cache->max_wb_pages = 1024;
	cache->bmark = (struct cachestore_marks){ .run = 10, .cull = 7, .stop = 3 };
	cache->fmark = cache->bmark;
	xa_init(&cache->live);
	cache->discard = true;
	mutex_init(&cache->lock);
	mutex_init(&cache->commit_lock);
	spin_lock_init(&cache->object_list_lock);
	spin_lock_init(&cache->pool_lock);
	INIT_LIST_HEAD(&cache->wb_pool);
	cachestore_wb_init(cache);
	INIT_LIST_HEAD(&cache->object_list);
	INIT_LIST_HEAD(&cache->volumes);
	init_waitqueue_head(&cache->io_wait);
	init_waitqueue_head(&cache->meta_wait);
	cachestore_init_cache(cache);

	ret = cachestore_parse_options(cache, data);
	if (ret)
		return ret;
	if (!sb_set_blocksize(sb, CSF_BLOCK_SIZE)) {
		pr_err("cachestore: %pg: logical block size %u is over %u\n",
		       sb->s_bdev, bdev_logical_block_size(sb->s_bdev),
		       (unsigned int)CSF_BLOCK_SIZE);
		return -EINVAL;
	}

	dev.ops = &cachestore_dev_ops;
	dev.priv = cache;
	dev.nblocks = bdev_nr_bytes(sb->s_bdev) >> CSF_BLOCK_SHIFT;
	ret = csf_open(&dev, 0, &cache->fs);
	if (ret) {
		pr_err("cachestore: %pg: cannot open the cache: error %d%s\n",
		       sb->s_bdev, ret,
		       ret == -EUCLEAN || ret == -EINVAL ?
		       " (not a cachestore device, or damaged: see fsck.cachestore)" : "");
		return ret;
	}
	csf_frees_hold(cache->fs);
	if (!cache->tag[0])
		strscpy(cache->tag, cache->fs->geo.label[0] ?
			cache->fs->geo.label : "cachestore", sizeof(cache->tag));

	/*
	 * Separate queues: a commit waits for I/O whose completion runs on
	 * cache->wq, so under memory pressure they must not share a rescuer.
	 */
	cache->wq = alloc_workqueue("cachestore-io-%s", WQ_MEM_RECLAIM | WQ_UNBOUND,
				    0, cache->tag);
	cache->commit_wq = alloc_workqueue("cachestore-commit-%s",
					   WQ_MEM_RECLAIM | WQ_UNBOUND, 1,
					   cache->tag);
	if (!cache->wq || !cache->commit_wq)
		return -ENOMEM;

	ret = simple_fill_super(sb, CACHESTORE_SUPER_MAGIC, files);
	if (ret)
		return ret;
	sb->s_op = &cachestore_super_ops;
	sb->s_time_gran = 1;

	return cachestore_add_cache(cache);
}

static struct dentry *cachestore_mount(struct file_system_type *fs_type,
				       int flags, const char *dev_name,
				       void *data)
{
	if (flags & SB_RDONLY) {
		pr_err("cachestore: a cache cannot be bound read-only\n");
		return ERR_PTR(-EROFS);
	}
	return mount_bdev(fs_type, flags, dev_name, data, cachestore_fill_super);
}

/*
 * simple_fill_super() leaves a reference on each file's dentry (libfs's
 * way to keep them); drop it so that unmounting frees them.  d_genocide()
 * did that, but it is not exported since 6.8.
 */
static void cachestore_unpin_files(struct super_block *sb)
{
	struct qstr name = QSTR_INIT("stats", 5);
	struct dentry *dentry = d_hash_and_lookup(sb->s_root, &name);

	if (IS_ERR_OR_NULL(dentry))
		return;
	dput(dentry);		/* the lookup's */
	dput(dentry);		/* simple_fill_super()'s */
}

static void cachestore_kill_sb(struct super_block *sb)
{
	struct cachestore_cache *cache = sb->s_fs_info;

	if (cache) {
		if (cache->cache)
			cachestore_withdraw_cache(cache);
		cachestore_rbuf_drain(cache);
		cachestore_wb_drain(cache);
		if (cache->fs)
			csf_close(cache->fs);
		/* the library waits for what it starts before it returns */
		WARN_ON_ONCE(cache->meta_bio || atomic_read(&cache->meta_pending));
		if (cache->wq)
			destroy_workqueue(cache->wq);
		if (cache->commit_wq)
			destroy_workqueue(cache->commit_wq);
	}
	if (sb->s_root)
		cachestore_unpin_files(sb);
	kill_block_super(sb);
	if (cache) {
		xa_destroy(&cache->live);
		xa_destroy(&cache->wb_busy);
	}
	kfree(cache);
}

static struct file_system_type cachestore_fs_type = {
	.owner		= THIS_MODULE,
	.name		= "cachestore",
	.mount		= cachestore_mount,
	.kill_sb	= cachestore_kill_sb,
	.fs_flags	= FS_REQUIRES_DEV,
};
MODULE_ALIAS_FS("cachestore");

int __init cachestore_register_fs(void)
{
	return register_filesystem(&cachestore_fs_type);
}

void cachestore_unregister_fs(void)
{
	unregister_filesystem(&cachestore_fs_type);
}
