// SPDX-License-Identifier: GPL-2.0
/*
 * cachestore: /sys/fs/cachestore/DEV/, one directory per bound cache, named
 * after its block device (as /sys/fs/ext4/DEV), one value per file:
 *  - the tunables, read-write, named and ranged as the mount options
 *    (commit, discard, rbufs, protect, brun, bcull, bstop, frun, fcull,
 *    fstop): a
 *    write takes effect at once, as "mount -o remount" would (marks are
 *    checked against the others in effect: stop < cull < run < 100);
 *  - the cache's identity and space, read-only (tag, uuid, label, state,
 *    blocks_*, objects_*, volumes, journal_*);
 *  - stats/: every counter of the mount's "stats" file, one per file;
 *  - evict, write-only: "all" or a volume id (evict.c).
 * Documentation/ABI/testing/sysfs-fs-cachestore describes every file.
 *
 * The directory is removed before the cache is withdrawn; removal waits
 * for reads and writes in progress (an eviction stops at its next step).
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include "internal.h"

static struct kset *cachestore_kset;

struct cachestore_attr {
	struct attribute attr;
	ssize_t (*show)(struct cachestore_cache *cache,
			const struct cachestore_attr *a, char *buf);
	ssize_t (*store)(struct cachestore_cache *cache,
			 const struct cachestore_attr *a, const char *buf,
			 size_t len);
	int id;
};

enum {
	ca_commit, ca_discard, ca_rbufs, ca_protect,
	ca_brun, ca_bcull, ca_bstop, ca_frun, ca_fcull, ca_fstop,
	ca_tag, ca_uuid, ca_label, ca_state,
	ca_blocks_total, ca_blocks_data, ca_blocks_free,
	ca_objects_max, ca_objects_live, ca_objects_probation,
	ca_objects_dying, ca_volumes,
	ca_journal_blocks, ca_journal_used,
	ca_meta_reads, ca_meta_writes, ca_meta_flushes, ca_checkpoints,
	ca_objcache_hits, ca_objcache_objects, ca_objcache_max,
};

/* ---- tunables ---- */

static unsigned int *cachestore_mark(struct cachestore_marks m[2], int id)
{
	struct cachestore_marks *s = &m[id >= ca_frun];

	switch ((id - ca_brun) % 3) {
	case 0:
		return &s->run;
	case 1:
		return &s->cull;
	default:
		return &s->stop;
	}
}

static ssize_t cachestore_tunable_show(struct cachestore_cache *cache,
				       const struct cachestore_attr *a,
				       char *buf)
{
	struct cachestore_marks m[2];

	switch (a->id) {
	case ca_commit:
		return sysfs_emit(buf, "%u\n", READ_ONCE(cache->commit_ms));
	case ca_discard:
		return sysfs_emit(buf, "%d\n", READ_ONCE(cache->discard));
	case ca_rbufs:
		return sysfs_emit(buf, "%u\n", READ_ONCE(cache->max_rbufs));
	case ca_protect:
		return sysfs_emit(buf, "%u\n", READ_ONCE(cache->fs->protect_pct));
	}
	m[0].run = READ_ONCE(cache->bmark.run);
	m[0].cull = READ_ONCE(cache->bmark.cull);
	m[0].stop = READ_ONCE(cache->bmark.stop);
	m[1].run = READ_ONCE(cache->fmark.run);
	m[1].cull = READ_ONCE(cache->fmark.cull);
	m[1].stop = READ_ONCE(cache->fmark.stop);
	return sysfs_emit(buf, "%u\n", *cachestore_mark(m, a->id));
}

static ssize_t cachestore_tunable_store(struct cachestore_cache *cache,
					const struct cachestore_attr *a,
					const char *buf, size_t len)
{
	struct cachestore_marks m[2];
	unsigned int v;
	bool on;
	int ret;

	if (a->id == ca_discard) {
		ret = kstrtobool(buf, &on);
		if (ret)
			return ret;
		WRITE_ONCE(cache->discard, on);
		return len;
	}
	ret = kstrtouint(buf, 10, &v);
	if (ret)
		return ret;
	switch (a->id) {
	case ca_commit:
		if (v < CACHESTORE_COMMIT_MS_MIN || v > CACHESTORE_COMMIT_MS_MAX)
			return -ERANGE;
		WRITE_ONCE(cache->commit_ms, v);
		break;
	case ca_rbufs:
		if (v > CACHESTORE_RBUFS_MAX)
			return -ERANGE;
		WRITE_ONCE(cache->max_rbufs, v);
		break;
	case ca_protect:
		if (v > 100)
			return -ERANGE;
		mutex_lock(&cache->lock);
		WRITE_ONCE(cache->fs->protect_pct, v);
		/* culling that waited on the protected list may go on */
		cache->cull_all_busy = false;
		mutex_unlock(&cache->lock);
		break;
	default:
		if (v > 99)
			return -ERANGE;
		mutex_lock(&cache->lock);
		m[0] = cache->bmark;
		m[1] = cache->fmark;
		*cachestore_mark(m, a->id) = v;
		ret = cachestore_check_marks(&m[a->id >= ca_frun],
					     a->id >= ca_frun ? 'f' : 'b');
		if (!ret) {
			cache->bmark = m[0];
			cache->fmark = m[1];
		}
		mutex_unlock(&cache->lock);
		if (ret)
			return ret;
		break;
	}
	/* the new interval or marks: the worker looks at once */
	cachestore_kick_commit(cache);
	return len;
}

/* ---- identity and space ---- */

static ssize_t cachestore_info_show(struct cachestore_cache *cache,
				    const struct cachestore_attr *a, char *buf)
{
	const struct csf_geo *g = &cache->fs->geo;
	struct csf_statfs st;
	struct csf_stats io;
	u32 oc_n, oc_max;
	u64 v;
	int ret;

	switch (a->id) {
	case ca_tag:
		return sysfs_emit(buf, "%s\n", cache->tag);
	case ca_uuid:
		return sysfs_emit(buf, "%pUb\n", g->uuid);
	case ca_label:
		return sysfs_emit(buf, "%.*s\n", (int)sizeof(g->label), g->label);
	case ca_state:
		return sysfs_emit(buf, "%s\n", READ_ONCE(cache->dead) ?
				  "error" : "active");
	}
	mutex_lock(&cache->lock);
	ret = csf_statfs(cache->fs, &st);
	io = cache->fs->stats;
	oc_n = cache->fs->oc_n;
	oc_max = cache->fs->oc_max;
	mutex_unlock(&cache->lock);
	if (ret)
		return ret;
	switch (a->id) {
	case ca_meta_reads:
		v = io.reads;
		break;
	case ca_meta_writes:
		v = io.writes;
		break;
	case ca_meta_flushes:
		v = io.flushes;
		break;
	case ca_checkpoints:
		v = io.checkpoints;
		break;
	case ca_objcache_hits:
		v = io.oc_hits;
		break;
	case ca_objcache_objects:
		v = oc_n;
		break;
	case ca_objcache_max:
		v = oc_max;
		break;
	case ca_blocks_total:
		v = st.total_blocks;
		break;
	case ca_blocks_data:
		v = st.data_blocks;
		break;
	case ca_blocks_free:
		v = st.free_blocks;
		break;
	case ca_objects_max:
		v = st.max_objects;
		break;
	case ca_objects_live:
		v = st.live_objects;
		break;
	case ca_objects_probation:
		v = st.prob_objects;
		break;
	case ca_objects_dying:
		v = st.dying_objects;
		break;
	case ca_volumes:
		v = st.volumes;
		break;
	case ca_journal_blocks:
		v = st.journal_blocks;
		break;
	default:
		v = st.journal_used;
		break;
	}
	return sysfs_emit(buf, "%llu\n", v);
}

/* ---- eviction ---- */

static ssize_t cachestore_evict_store(struct cachestore_cache *cache,
				      const struct cachestore_attr *a,
				      const char *buf, size_t len)
{
	unsigned int vid;
	long ret;

	if (sysfs_streq(buf, "all"))
		vid = 0;
	else if (kstrtouint(buf, 10, &vid) || !vid)
		return -EINVAL;
	ret = cachestore_evict(cache, vid);
	return ret < 0 ? ret : len;
}

#define CS_ATTR(_name, _mode, _show, _store, _id)			\
	static struct cachestore_attr cachestore_attr_##_name = {	\
		.attr = { .name = #_name, .mode = _mode },		\
		.show = _show, .store = _store, .id = _id,		\
	}
#define CS_TUNABLE(_name)						\
	CS_ATTR(_name, 0644, cachestore_tunable_show,			\
		cachestore_tunable_store, ca_##_name)
#define CS_INFO(_name)							\
	CS_ATTR(_name, 0444, cachestore_info_show, NULL, ca_##_name)

CS_TUNABLE(commit);
CS_TUNABLE(discard);
CS_TUNABLE(rbufs);
CS_TUNABLE(protect);
CS_TUNABLE(brun);
CS_TUNABLE(bcull);
CS_TUNABLE(bstop);
CS_TUNABLE(frun);
CS_TUNABLE(fcull);
CS_TUNABLE(fstop);
CS_INFO(tag);
CS_INFO(uuid);
CS_INFO(label);
CS_INFO(state);
CS_INFO(blocks_total);
CS_INFO(blocks_data);
CS_INFO(blocks_free);
CS_INFO(objects_max);
CS_INFO(objects_live);
CS_INFO(objects_probation);
CS_INFO(objects_dying);
CS_INFO(volumes);
CS_INFO(journal_blocks);
CS_INFO(journal_used);
CS_INFO(meta_reads);
CS_INFO(meta_writes);
CS_INFO(meta_flushes);
CS_INFO(checkpoints);
CS_INFO(objcache_hits);
CS_INFO(objcache_objects);
CS_INFO(objcache_max);
CS_ATTR(evict, 0200, NULL, cachestore_evict_store, 0);

static struct attribute *cachestore_attrs[] = {
	&cachestore_attr_commit.attr,
	&cachestore_attr_discard.attr,
	&cachestore_attr_rbufs.attr,
	&cachestore_attr_protect.attr,
	&cachestore_attr_brun.attr,
	&cachestore_attr_bcull.attr,
	&cachestore_attr_bstop.attr,
	&cachestore_attr_frun.attr,
	&cachestore_attr_fcull.attr,
	&cachestore_attr_fstop.attr,
	&cachestore_attr_tag.attr,
	&cachestore_attr_uuid.attr,
	&cachestore_attr_label.attr,
	&cachestore_attr_state.attr,
	&cachestore_attr_blocks_total.attr,
	&cachestore_attr_blocks_data.attr,
	&cachestore_attr_blocks_free.attr,
	&cachestore_attr_objects_max.attr,
	&cachestore_attr_objects_live.attr,
	&cachestore_attr_objects_probation.attr,
	&cachestore_attr_objects_dying.attr,
	&cachestore_attr_volumes.attr,
	&cachestore_attr_journal_blocks.attr,
	&cachestore_attr_journal_used.attr,
	&cachestore_attr_meta_reads.attr,
	&cachestore_attr_meta_writes.attr,
	&cachestore_attr_meta_flushes.attr,
	&cachestore_attr_checkpoints.attr,
	&cachestore_attr_objcache_hits.attr,
	&cachestore_attr_objcache_objects.attr,
	&cachestore_attr_objcache_max.attr,
	&cachestore_attr_evict.attr,
	NULL
};

static const struct attribute_group cachestore_group = {
	.attrs = cachestore_attrs,
};

/* ---- stats/: one file per counter, built from cachestore_stat_names ---- */

static ssize_t cachestore_stat_show(struct cachestore_cache *cache,
				    const struct cachestore_attr *a, char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)
			  atomic64_read(&((atomic64_t *)&cache->stats)[a->id]));
}

#define CACHESTORE_NR_STATS	(sizeof(struct cachestore_stats) / sizeof(atomic64_t))
static struct cachestore_attr cachestore_stat_attrs[CACHESTORE_NR_STATS];
static struct attribute *cachestore_stat_list[CACHESTORE_NR_STATS + 1];

static const struct attribute_group cachestore_stats_group = {
	.name = "stats",
	.attrs = cachestore_stat_list,
};

static const struct attribute_group *cachestore_groups[] = {
	&cachestore_group,
	&cachestore_stats_group,
	NULL
};

/* ---- the kobject ---- */

static ssize_t cachestore_attr_show(struct kobject *kobj,
				    struct attribute *attr, char *buf)
{
	struct cachestore_cache *cache =
		container_of(kobj, struct cachestore_cache, kobj);
	const struct cachestore_attr *a =
		container_of(attr, struct cachestore_attr, attr);

	return a->show ? a->show(cache, a, buf) : -EIO;
}

static ssize_t cachestore_attr_store(struct kobject *kobj,
				     struct attribute *attr, const char *buf,
				     size_t len)
{
	struct cachestore_cache *cache =
		container_of(kobj, struct cachestore_cache, kobj);
	const struct cachestore_attr *a =
		container_of(attr, struct cachestore_attr, attr);

	return a->store ? a->store(cache, a, buf, len) : -EIO;
}

static const struct sysfs_ops cachestore_sysfs_ops = {
	.show	= cachestore_attr_show,
	.store	= cachestore_attr_store,
};

static void cachestore_kobj_release(struct kobject *kobj)
{
	struct cachestore_cache *cache =
		container_of(kobj, struct cachestore_cache, kobj);

	complete(&cache->kobj_released);
}

static const struct kobj_type cachestore_ktype = {
	.default_groups	= cachestore_groups,
	.sysfs_ops	= &cachestore_sysfs_ops,
	.release	= cachestore_kobj_release,
};

/* Called once the cache is in service: its directory appears. */
int cachestore_sysfs_add(struct cachestore_cache *cache)
{
	int ret;

	init_completion(&cache->kobj_released);
	cache->kobj.kset = cachestore_kset;
	ret = kobject_init_and_add(&cache->kobj, &cachestore_ktype, NULL,
				   "%pg", cache->bdev);
	if (ret) {
		kobject_put(&cache->kobj);
		wait_for_completion(&cache->kobj_released);
		return ret;
	}
	cache->kobj_added = true;
	return 0;
}

/* Before the cache is withdrawn: waits for readers and writers to leave. */
void cachestore_sysfs_del(struct cachestore_cache *cache)
{
	if (!cache->kobj_added)
		return;
	cache->kobj_added = false;
	WRITE_ONCE(cache->evict_stop, true);	/* an eviction stops early */
	kobject_del(&cache->kobj);
	kobject_put(&cache->kobj);
	wait_for_completion(&cache->kobj_released);
}

int __init cachestore_sysfs_init(void)
{
	unsigned int i;

	BUILD_BUG_ON(sizeof(struct cachestore_stats) % sizeof(atomic64_t));
	for (i = 0; i < CACHESTORE_NR_STATS; i++) {
		if (WARN_ON(!cachestore_stat_names[i]))
			return -EINVAL;
		sysfs_attr_init(&cachestore_stat_attrs[i].attr);
		cachestore_stat_attrs[i].attr.name = cachestore_stat_names[i];
		cachestore_stat_attrs[i].attr.mode = 0444;
		cachestore_stat_attrs[i].show = cachestore_stat_show;
		cachestore_stat_attrs[i].id = i;
		cachestore_stat_list[i] = &cachestore_stat_attrs[i].attr;
	}
	if (WARN_ON(cachestore_stat_names[i]))
		return -EINVAL;
	cachestore_kset = kset_create_and_add("cachestore", NULL, fs_kobj);
	return cachestore_kset ? 0 : -ENOMEM;
}

void cachestore_sysfs_exit(void)
{
	kset_unregister(cachestore_kset);
}
