// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: binding.  "mount -t cachestore [-o OPTS] DEVICE DIR" claims the
 * device, opens the cache (replaying its journal) and puts it in service;
 * umount withdraws it.  DIR shows a "stats" file (every counter, read at
 * once) and a "volumes" file (sysfs.c's evict takes their ids); statfs
 * reports the cache's size and free space.  sysfs.c shows the same values
 * one per file and takes the tunables too.
 *
 * Options: tag=NAME (the fscache cache name; default the label, else
 * "cachestore"), commit=MS (journal commit interval, default 1000),
 * discard / nodiscard (discard freed blocks; default on when supported),
 * rbufs=N (granule read buffers for page-at-a-time readers; default 64,
 * 0 turns them off), protect=PCT (the share of the data space and of the
 * object slots the protected LRU list keeps from culling while everything
 * on probation is in use; default 75, see cull.c), and the culling marks
 * of cachefilesd, in % free:
 * brun=, bcull=, bstop= for blocks and frun=, fcull=, fstop= for object
 * slots (defaults 10, 7 and 3; stop < cull < run < 100; see cull.c).
 * cull=PCT and run=PCT set the cull and run marks of both; a stop mark not
 * given explicitly is lowered below a cull mark set under it.  The options
 * go through fs_context (fs_parameter_spec); /proc/mounts shows every one
 * in effect, and "mount -o remount,..." changes all but the tag live.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>
#include <linux/slab.h>
#include "internal.h"

#define CACHESTORE_SUPER_MAGIC	0x43535452	/* "CSTR" */

enum {
	opt_tag, opt_commit, opt_discard, opt_rbufs, opt_cull, opt_run,
	opt_brun, opt_bcull, opt_bstop, opt_frun, opt_fcull, opt_fstop,
	opt_protect,
};

/*
 * The sizes of the format library's two in-memory caches at bind, as module
 * parameters (read at each bind).  objcache_max: objects kept in the object
 * cache (csf_ocache.c); -1, the default, sizes it automatically, 0 turns it
 * off.  meta_bufs: testing only, a lower limit for the metadata buffer cache
 * in 4 KiB blocks (0: automatic), so that a test can make a working set
 * outgrow it (tests/vm/tests/cachestore_objcache.sh).
 */
static int objcache_max = -1;
module_param(objcache_max, int, 0644);
MODULE_PARM_DESC(objcache_max,
		 "objects the object cache keeps, per cache (-1: automatic, 0: off)");
static unsigned int meta_bufs;
module_param(meta_bufs, uint, 0600);
MODULE_PARM_DESC(meta_bufs,
		 "testing only: metadata buffer cache limit in blocks (0: automatic)");

static const struct fs_parameter_spec cachestore_param_specs[] = {
	fsparam_string("tag", opt_tag),
	fsparam_u32("commit", opt_commit),
	fsparam_flag_no("discard", opt_discard),
	fsparam_u32("rbufs", opt_rbufs),
	fsparam_u32("cull", opt_cull),
	fsparam_u32("run", opt_run),
	fsparam_u32("brun", opt_brun),
	fsparam_u32("bcull", opt_bcull),
	fsparam_u32("bstop", opt_bstop),
	fsparam_u32("frun", opt_frun),
	fsparam_u32("fcull", opt_fcull),
	fsparam_u32("fstop", opt_fstop),
	fsparam_u32("protect", opt_protect),
	{}
};

/*
 * The options of one mount or remount, -1 (or an empty tag) where not
 * given: a remount changes only what it names.
 */
struct cachestore_fs_context {
	char		tag[sizeof_field(struct cachestore_cache, tag)];
	int		commit_ms, discard, rbufs, protect;
	int		mark[2][3];	/* [0] blocks, [1] slots; run, cull, stop */
	int		both[2];	/* run=, cull= */
};

/*
 * The marks @ctx gives, over @m (the defaults at mount, the marks in effect
 * at remount); -EINVAL, @m unusable, if they do not hold.
 */
static int cachestore_resolve_marks(const struct cachestore_fs_context *ctx,
				    struct cachestore_marks m[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (ctx->both[0] >= 0)
			m[i].run = ctx->both[0];
		if (ctx->both[1] >= 0)
			m[i].cull = ctx->both[1];
		if (ctx->mark[i][0] >= 0)
			m[i].run = ctx->mark[i][0];
		if (ctx->mark[i][1] >= 0)
			m[i].cull = ctx->mark[i][1];
		if (ctx->mark[i][2] >= 0)
			m[i].stop = ctx->mark[i][2];
		else if (m[i].stop >= m[i].cull && m[i].cull)
			m[i].stop = m[i].cull - 1;
		if (cachestore_check_marks(&m[i], i ? 'f' : 'b'))
			return -EINVAL;
	}
	return 0;
}

static int cachestore_parse_param(struct fs_context *fc,
				  struct fs_parameter *param)
{
	struct cachestore_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, cachestore_param_specs, param, &result);
	if (opt < 0)
		return opt;
	switch (opt) {
	case opt_tag:
		if (!param->string[0] || strlen(param->string) >= sizeof(ctx->tag))
			return invalfc(fc, "tag must be 1 to %zu characters",
				       sizeof(ctx->tag) - 1);
		strscpy(ctx->tag, param->string, sizeof(ctx->tag));
		break;
	case opt_commit:
		if (result.uint_32 < CACHESTORE_COMMIT_MS_MIN ||
		    result.uint_32 > CACHESTORE_COMMIT_MS_MAX)
			return invalfc(fc, "commit= takes %u to %u ms",
				       CACHESTORE_COMMIT_MS_MIN,
				       CACHESTORE_COMMIT_MS_MAX);
		ctx->commit_ms = result.uint_32;
		break;
	case opt_discard:
		ctx->discard = !result.negated;
		break;
	case opt_rbufs:
		if (result.uint_32 > CACHESTORE_RBUFS_MAX)
			return invalfc(fc, "rbufs= takes 0 to %u",
				       CACHESTORE_RBUFS_MAX);
		ctx->rbufs = result.uint_32;
		break;
	case opt_protect:
		if (result.uint_32 > 100)
			return invalfc(fc, "protect= takes 0 to 100 (%%)");
		ctx->protect = result.uint_32;
		break;
	default:
		if (result.uint_32 > 99)
			return invalfc(fc, "\"%s=%u\": the marks take 0 to 99 (%%)",
				       param->key, result.uint_32);
		if (opt == opt_run || opt == opt_cull)
			ctx->both[opt == opt_cull] = result.uint_32;
		else if (opt <= opt_bstop)
			ctx->mark[0][opt - opt_brun] = result.uint_32;
		else
			ctx->mark[1][opt - opt_frun] = result.uint_32;
		break;
	}
	return 0;
}

/* In the order of struct cachestore_stats (sysfs.c shows them too). */
const char *const cachestore_stat_names[] = {
	"lookups", "lookup_hits", "creates",
	"read_pages", "read_hit_pages", "read_miss_pages",
	"write_pages", "write_fail_pages", "stale",
	"invalidates", "deletes", "resizes", "culls",
	"commits", "commits_shared", "commit_errors", "io_errors",
	"dirty_marks_waited", "dirty_marks_fresh",
	"rbuf_fills", "rbuf_hit_pages",
	"commit_hold_max_us", "checkpoint_hold_max_us",
	"frees_hold_max_us", "cull_hold_max_us",
	"evictions", "promotions",
	"cull_us", "commit_us", "drain_us", "discard_us", "checkpoint_us",
	"meta_read_us",
	NULL
};

static int cachestore_stats_show(struct seq_file *m, void *v)
{
	struct cachestore_cache *cache = file_inode(m->file)->i_sb->s_fs_info;
	struct cachestore_stats *s = &cache->stats;
	struct csf_statfs st;
	struct csf_stats io;
	u32 oc_n, oc_max;
	unsigned int i;
	int ret;

	BUILD_BUG_ON(sizeof(*s) != sizeof(atomic64_t) *
		     (ARRAY_SIZE(cachestore_stat_names) - 1));
	mutex_lock(&cache->lock);
	ret = csf_statfs(cache->fs, &st);
	io = cache->fs->stats;
	oc_n = cache->fs->oc_n;
	oc_max = cache->fs->oc_max;
	mutex_unlock(&cache->lock);
	if (ret)
		return ret;
	seq_printf(m, "tag: %s\ndevice: %pg\nstate: %s\n", cache->tag,
		   cache->bdev, cache->dead ? "error" : "active");
	seq_printf(m, "blocks_total: %llu\nblocks_data: %llu\nblocks_free: %llu\n",
		   st.total_blocks, st.data_blocks, st.free_blocks);
	seq_printf(m, "objects_max: %u\nobjects_live: %u\nobjects_probation: %u\nobjects_dying: %u\nvolumes: %u\n",
		   st.max_objects, st.live_objects, st.prob_objects,
		   st.dying_objects, st.volumes);
	/* the metadata I/O of the format library since the bind */
	seq_printf(m, "meta_reads: %llu\nmeta_writes: %llu\nmeta_flushes: %llu\ncheckpoints: %llu\n",
		   io.reads, io.writes, io.flushes, io.checkpoints);
	/* stats/ (sysfs.c) holds the counters after journal_used */
	seq_printf(m, "objcache_hits: %llu\nobjcache_objects: %u\nobjcache_max: %u\n",
		   io.oc_hits, oc_n, oc_max);
	seq_printf(m, "journal_blocks: %llu\njournal_used: %llu\n",
		   st.journal_blocks, st.journal_used);
	for (i = 0; cachestore_stat_names[i]; i++)
		seq_printf(m, "%s: %lld\n", cachestore_stat_names[i],
			   (long long)atomic64_read(&((atomic64_t *)s)[i]));
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(cachestore_stats);

static int cachestore_volumes_file_show(struct seq_file *m, void *v)
{
	return cachestore_volumes_show(m,
				       file_inode(m->file)->i_sb->s_fs_info);
}
DEFINE_SHOW_ATTRIBUTE(cachestore_volumes_file);

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
	return cachestore_sync(cache);
}

/*
 * Every option in effect, for /proc/mounts.  The marks are read without
 * cache->lock (a commit holds it through its I/O): a remount racing with
 * the read may show a mix of old and new marks.
 */
static int cachestore_show_options(struct seq_file *m, struct dentry *root)
{
	struct cachestore_cache *cache = root->d_sb->s_fs_info;

	seq_show_option(m, "tag", cache->tag);
	seq_printf(m, ",commit=%u,%s,rbufs=%u,protect=%u",
		   READ_ONCE(cache->commit_ms),
		   READ_ONCE(cache->discard) ? "discard" : "nodiscard",
		   READ_ONCE(cache->max_rbufs),
		   READ_ONCE(cache->fs->protect_pct));
	seq_printf(m, ",brun=%u,bcull=%u,bstop=%u,frun=%u,fcull=%u,fstop=%u",
		   READ_ONCE(cache->bmark.run), READ_ONCE(cache->bmark.cull),
		   READ_ONCE(cache->bmark.stop), READ_ONCE(cache->fmark.run),
		   READ_ONCE(cache->fmark.cull), READ_ONCE(cache->fmark.stop));
	return 0;
}

static const struct super_operations cachestore_super_ops = {
	.statfs		= cachestore_statfs,
	.sync_fs	= cachestore_sync_fs,
	.show_options	= cachestore_show_options,
};

static int cachestore_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct cachestore_fs_context *ctx = fc->fs_private;
	struct cachestore_marks marks[2] = {
		{ .run = 10, .cull = 7, .stop = 3 },
		{ .run = 10, .cull = 7, .stop = 3 },
	};
	static const struct tree_descr files[] = {
		[2] = { "stats", &cachestore_stats_fops, 0444 },
		{ "volumes", &cachestore_volumes_file_fops, 0444 },
		{ "" },
	};
	struct cachestore_cache *cache;
	struct csf_dev dev;
	u64 max_oc;
	int oc_param;
	int ret;

	cache = kzalloc(sizeof(*cache), GFP_KERNEL);
	if (!cache)
		return -ENOMEM;
	sb->s_fs_info = cache;
	cache->sb = sb;
	cache->bdev = sb->s_bdev;
	cache->commit_ms = ctx->commit_ms >= 0 ? ctx->commit_ms : 1000;
	cache->max_rbufs = ctx->rbufs >= 0 ? ctx->rbufs : 64;
	cache->max_wb_pages = 1024;
	xa_init(&cache->live);
	cachestore_recent_init(cache);
	cache->discard = ctx->discard != 0;
	strscpy(cache->tag, ctx->tag, sizeof(cache->tag));
	mutex_init(&cache->lock);
	mutex_init(&cache->commit_lock);
	init_completion(&cache->discard_done);
	spin_lock_init(&cache->object_list_lock);
	spin_lock_init(&cache->pool_lock);
	INIT_LIST_HEAD(&cache->wb_pool);
	cachestore_wb_init(cache);
	INIT_LIST_HEAD(&cache->object_list);
	INIT_LIST_HEAD(&cache->volumes);
	init_waitqueue_head(&cache->io_wait);
	init_waitqueue_head(&cache->meta_wait);
	cachestore_init_cache(cache);

	ret = cachestore_resolve_marks(ctx, marks);
	if (ret)
		return ret;
	cache->bmark = marks[0];
	cache->fmark = marks[1];
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
	/*
	 * The library's buffer cache may hold the whole index, up to
	 * CSF_BUFS_INDEX_MAX buckets more than CSF_BUFS_BASE blocks; it is not
	 * given back under memory pressure, so on a small machine it holds no
	 * more than 1/32 of the memory.
	 */
	cache->fs->maxbufs = min_t(u64, cache->fs->maxbufs,
				   max_t(u64, CSF_BUFS_BASE,
					 totalram_pages() * (PAGE_SIZE / CSF_BLOCK_SIZE) / 32));
	if (READ_ONCE(meta_bufs))
		cache->fs->maxbufs = min(cache->fs->maxbufs, READ_ONCE(meta_bufs));
	/*
	 * The object cache (csf_ocache.c) is not given back under memory
	 * pressure either: an entry takes about 256 bytes with NFS's keys, so
	 * it holds CSF_OC_DEF objects, but no more than 1/64 of the memory;
	 * objcache_max sets another size, up to 1/16 of the memory.  Without
	 * memory for it the cache is bound without an object cache.
	 */
	oc_param = READ_ONCE(objcache_max);
	max_oc = min_t(u64, CSF_OC_DEF,
		       totalram_pages() * (PAGE_SIZE / 256) / 64);
	if (oc_param >= 0)
		max_oc = min_t(u64, oc_param,
			       totalram_pages() * (PAGE_SIZE / 256) / 16);
	if (max_oc != cache->fs->oc_max) {
		csf_oc_exit(cache->fs);
		ret = csf_oc_init(cache->fs, max_oc);
		if (ret) {
			pr_warn("cachestore: %pg: no memory for an object cache of %llu objects: bound without one\n",
				sb->s_bdev, max_oc);
			csf_oc_init(cache->fs, 0);	/* off: cannot fail */
		}
	}
	if (ctx->protect >= 0)
		cache->fs->protect_pct = ctx->protect;
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

	ret = cachestore_add_cache(cache);
	if (!ret)
		ret = cachestore_sysfs_add(cache);
	return ret;
}

static int cachestore_get_tree(struct fs_context *fc)
{
	if (fc->sb_flags & SB_RDONLY) {
		errorf(fc, "a cache cannot be bound read-only");
		return -EROFS;
	}
	return get_tree_bdev(fc, cachestore_fill_super);
}

/*
 * mount -o remount: what the options name changes at once, the rest stays.
 * New marks are checked as at mount, against the marks in effect, and take
 * effect together; culling looks at them at once.  The tag cannot change.
 */
static int cachestore_reconfigure(struct fs_context *fc)
{
	struct cachestore_fs_context *ctx = fc->fs_private;
	struct cachestore_cache *cache = fc->root->d_sb->s_fs_info;
	struct cachestore_marks marks[2];
	int ret;

	if (fc->sb_flags & SB_RDONLY) {
		errorf(fc, "a cache cannot be made read-only");
		return -EROFS;
	}
	if (ctx->tag[0] && strcmp(ctx->tag, cache->tag))
		return invalfc(fc, "the tag cannot change on remount (unmount and mount again)");
	mutex_lock(&cache->lock);
	marks[0] = cache->bmark;
	marks[1] = cache->fmark;
	ret = cachestore_resolve_marks(ctx, marks);
	if (!ret) {
		cache->bmark = marks[0];
		cache->fmark = marks[1];
		if (ctx->protect >= 0)
			WRITE_ONCE(cache->fs->protect_pct, ctx->protect);
		cache->cull_all_busy = false;	/* look again */
	}
	mutex_unlock(&cache->lock);
	if (ret)
		return ret;
	if (ctx->commit_ms >= 0)
		WRITE_ONCE(cache->commit_ms, ctx->commit_ms);
	if (ctx->discard >= 0)
		WRITE_ONCE(cache->discard, ctx->discard);
	if (ctx->rbufs >= 0)
		WRITE_ONCE(cache->max_rbufs, ctx->rbufs);
	pr_info("cachestore %s: remounted: commit=%u,%s,rbufs=%u,protect=%u,brun=%u,bcull=%u,bstop=%u,frun=%u,fcull=%u,fstop=%u\n",
		cache->tag, cache->commit_ms,
		cache->discard ? "discard" : "nodiscard", cache->max_rbufs,
		cache->fs->protect_pct,
		marks[0].run, marks[0].cull, marks[0].stop,
		marks[1].run, marks[1].cull, marks[1].stop);
	/* the new interval, and the new marks: the worker culls if below */
	cachestore_kick_commit(cache);
	return 0;
}

static void cachestore_free_fc(struct fs_context *fc)
{
	kfree(fc->fs_private);
}

static const struct fs_context_operations cachestore_context_ops = {
	.parse_param	= cachestore_parse_param,
	.get_tree	= cachestore_get_tree,
	.reconfigure	= cachestore_reconfigure,
	.free		= cachestore_free_fc,
};

static int cachestore_init_fs_context(struct fs_context *fc)
{
	struct cachestore_fs_context *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	ctx->commit_ms = -1;
	ctx->discard = -1;
	ctx->rbufs = -1;
	ctx->protect = -1;
	memset(ctx->mark, 0xff, sizeof(ctx->mark));	/* -1: not given */
	ctx->both[0] = -1;
	ctx->both[1] = -1;
	fc->fs_private = ctx;
	fc->ops = &cachestore_context_ops;
	return 0;
}

/*
 * simple_fill_super() leaves a reference on each file's dentry (libfs's
 * way to keep them); drop it so that unmounting frees them.  d_genocide()
 * did that, but it is not exported since 6.8.
 */
static void cachestore_unpin_file(struct super_block *sb, const char *name)
{
	struct qstr q = QSTR_INIT(name, strlen(name));
	struct dentry *dentry = d_hash_and_lookup(sb->s_root, &q);

	if (IS_ERR_OR_NULL(dentry))
		return;
	dput(dentry);		/* the lookup's */
	dput(dentry);		/* simple_fill_super()'s */
}

static void cachestore_kill_sb(struct super_block *sb)
{
	struct cachestore_cache *cache = sb->s_fs_info;

	if (cache) {
		cachestore_sysfs_del(cache);
		if (cache->cache)
			cachestore_withdraw_cache(cache);
		cachestore_rbuf_drain(cache);
		cachestore_wb_drain(cache);
		mutex_lock(&cache->commit_lock);
		cachestore_discard_end(cache);
		mutex_unlock(&cache->commit_lock);
		if (cache->fs)
			csf_close(cache->fs);
		/* the library waits for what it starts before it returns */
		WARN_ON_ONCE(cache->meta_bio || atomic_read(&cache->meta_pending));
		if (cache->wq)
			destroy_workqueue(cache->wq);
		if (cache->commit_wq)
			destroy_workqueue(cache->commit_wq);
	}
	if (sb->s_root) {
		cachestore_unpin_file(sb, "stats");
		cachestore_unpin_file(sb, "volumes");
	}
	kill_block_super(sb);
	if (cache) {
		xa_destroy(&cache->live);
		xa_destroy(&cache->recent);
		xa_destroy(&cache->wb_busy);
	}
	kfree(cache);
}

static struct file_system_type cachestore_fs_type = {
	.owner		= THIS_MODULE,
	.name		= "cachestore",
	.init_fs_context = cachestore_init_fs_context,
	.parameters	= cachestore_param_specs,
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
