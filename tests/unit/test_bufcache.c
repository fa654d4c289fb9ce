// SPDX-License-Identifier: GPL-2.0
/*
 * test_bufcache.c - the metadata buffer cache never frees a buffer that a
 * library call still holds, even when the cache is over its soft limit
 * (fs->maxbufs) because a large transaction pins thousands of buffers.
 * Run under ASan: a use-after-free aborts the program.
 */
#include "tutil.h"

/*
 * A big object whose map has a leaf block (granule >= inline_ents), all
 * checkpointed home so that its record and leaf are clean; then @ncreate
 * creates in one transaction push the cache over maxbufs, and every later
 * buffer miss runs the shrinker while a record, a bitmap block or an
 * index bucket is held.
 */
static void big_txn_then_use(u64 nblocks, u64 journal, u32 ncreate)
{
	struct csf_format_params p;
	struct csf_memdev *m = csf_memdev_new(nblocks, false);
	struct csf_fs *fs;
	struct csf_geo g;
	u32 vid, big, bgen, id, gen, i, n, npages;
	u64 pblk, page, seq0;
	char key[32];
	bool present;
	u32 run;

	UT_ASSERT(m);
	t_params(&p, nblocks);
	p.journal_blocks = journal;
	p.expected_objects = ncreate + 4000;
	UT_ASSERT_EQ(csf_format(&m->dev, &p, &g), 0);
	fs = t_open(m);
	vid = t_vol(fs, "v");
	npages = (fs->geo.inline_ents + 4) * fs->geo.ppg;
	UT_ASSERT_EQ(csf_obj_create(fs, vid, "big", 3, NULL, 0,
				    (u64)npages * 4096, 1, &big, &bgen), 0);
	page = (u64)(fs->geo.inline_ents + 1) * fs->geo.ppg;
	UT_ASSERT_EQ(csf_obj_map(fs, big, bgen, page, true, &pblk, &n), 0);
	/* fill its objtab block and the next: the creates below (which
	 * dirty the LRU tail) never dirty the big object's record block */
	for (i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "pad%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key),
					    NULL, 0, 0, 1, &id, &gen), 0);
	}
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);

	seq0 = fs->head_seq;
	for (i = 0; i < ncreate; i++) {
		snprintf(key, sizeof(key), "obj%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key),
					    "a", 1, 8192, 2, &id, &gen), 0);
	}
	/* one transaction, and far more buffers than the soft limit */
	UT_ASSERT_EQ(fs->head_seq, seq0);
	UT_ASSERT(fs->ntxn >= fs->maxbufs);

	/* holds the clean record while reading the leaf */
	UT_ASSERT_EQ(csf_obj_mark_present(fs, big, bgen, page, 1), 0);
	UT_ASSERT_EQ(csf_obj_query(fs, big, bgen, page, 1, &present, &run), 0);
	UT_ASSERT(present);
	/* allocations hold bitmap and summary blocks across misses */
	for (i = 0; i < 64; i++) {
		u64 pg = (u64)i * fs->geo.ppg;

		UT_ASSERT_EQ(csf_obj_map(fs, big, bgen, pg, true, &pblk, &n),
			     0);
		UT_ASSERT_EQ(csf_obj_mark_present(fs, big, bgen, pg, 1), 0);
		if (pg + fs->geo.ppg >= npages)
			break;
	}
	/* index lookups hold buckets while the callback reads records */
	for (i = 0; i < ncreate; i += 97) {
		snprintf(key, sizeof(key), "obj%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key, (u32)strlen(key),
					    &id, &gen), 0);
		UT_ASSERT_EQ(csf_obj_delete(fs, id, gen), 0);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	/* and the result survives a reopen */
	t_check_reopen(fs, m);
	csf_memdev_free(m);
}

UT_TEST(bufcache_big_txn_16k_journal)
{
	big_txn_then_use(128 * 1024, 16 * 1024, 17000);
}

/* the largest journal mkcachestore allows (-J 4G) */
UT_TEST(bufcache_big_txn_max_journal)
{
	big_txn_then_use(CSF_MAX_JOURNAL + 256 * 1024, CSF_MAX_JOURNAL, 17000);
}

/*
 * Objects "k0".."k<n-1>" of one page, in order, checkpointed home; @fs is
 * closed.
 */
static void create_home(struct csf_fs *fs, u32 vid, u32 n, u32 *ids,
			u32 *gens)
{
	char key[16];
	u32 i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key), NULL,
					    0, 4096, i, &ids[i], &gens[i]), 0);
	}
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	csf_close(fs);
}

/*
 * csf_obj_prefetch(): the home buckets of the objects a cull will delete
 * are read with one read_many, and the deletes then read none of them; a
 * bucket that does not validate is not kept, so its csf_buf_get() still
 * reads it and reports it; without read_many nothing happens.
 */
UT_TEST(prefetch_reads_buckets_together)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), ids[16], gens[16], i, n;
	u64 reads, blk, bad;
	struct csf_obj_rec *r;
	struct csf_buf *b;

	create_home(fs, vid, 16, ids, gens);

	/* a fresh open: nothing cached but what opening read */
	fs = t_open(m);
	for (i = 0; i < 16; i++)
		UT_ASSERT_EQ(csf_rec_get(fs, ids[i], &b, &r), 0);
	reads = fs->stats.reads;
	m->nread_many = 0;
	csf_obj_prefetch(fs, ids, 16);
	UT_ASSERT_EQ(m->nread_many, 1);
	n = (u32)(fs->stats.reads - reads);
	UT_ASSERT(n >= 2 && n <= 16);
	reads = fs->stats.reads;
	for (i = 0; i < 16; i++)
		UT_ASSERT_EQ(csf_obj_delete(fs, ids[i], gens[i]), 0);
	UT_ASSERT_EQ(fs->stats.reads, reads);
	/* cached already: nothing to read */
	csf_obj_prefetch(fs, ids, 16);
	UT_ASSERT_EQ(m->nread_many, 1);
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	t_check_clean(fs);
	csf_close(fs);

	/* a damaged bucket is not kept: the get reads it and says so */
	fs = t_open(m);
	blk = fs->geo.index_start + 5;
	bad = blk;
	csf_close(fs);
	((u8 *)csf_memdev_block(m, bad))[100] ^= 1;
	fs = t_open(m);
	{
		u64 blks[3] = { bad - 1, bad, bad + 1 };

		reads = fs->stats.reads;
		csf_buf_prefetch(fs, blks, 3, CSF_T_BUCKET);
		UT_ASSERT_EQ(fs->stats.reads - reads, 3);
		UT_ASSERT_EQ(csf_buf_get(fs, bad - 1, CSF_T_BUCKET, &b), 0);
		UT_ASSERT_EQ(csf_buf_get(fs, bad + 1, CSF_T_BUCKET, &b), 0);
		UT_ASSERT_EQ(fs->stats.reads - reads, 3);
		UT_ASSERT_EQ(csf_buf_get(fs, bad, CSF_T_BUCKET, &b), -EUCLEAN);
		UT_ASSERT_EQ(fs->stats.reads - reads, 4);
	}
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * csf_rec_readahead(): a cull pick along an LRU list in creation order, on
 * a freshly opened cache, reads the victims' records with one read_many
 * (CSF_RA_BLOCKS table blocks) rather than a read per table block; the
 * next batch's records are then cached.  A walk of the table in slot order
 * (csf_obj_scan(), eviction by hand) reads ahead too, never past the
 * high-water mark.
 */
static void walk_reads_ahead(struct csf_memdev *m)
{
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), ids[64], gens[64], out[16], i;
	struct csf_cull_walk walk = { 0 };
	u32 pos = 0, sgens[64], found[64];
	u64 reads, hwm_blocks;

	create_home(fs, vid, 64, ids, gens);

	fs = t_open(m);
	reads = fs->stats.reads;
	m->nread_many = 0;
	UT_ASSERT_EQ(csf_cull_pick(fs, 16, NULL, NULL, 100, out, &walk), 16);
	for (i = 0; i < 16; i++)
		UT_ASSERT_EQ(out[i], ids[i]);
	/* 16 records in 4 table blocks: one read_many of the window */
	UT_ASSERT_EQ(m->nread_many, 1);
	UT_ASSERT_EQ(fs->stats.reads - reads, CSF_RA_BLOCKS);
	/* the next 16 victims (after these are deleted) are cached */
	for (i = 0; i < 16; i++)
		UT_ASSERT_EQ(csf_obj_delete(fs, ids[i], gens[i]), 0);
	reads = fs->stats.reads;
	UT_ASSERT_EQ(csf_cull_pick(fs, 16, NULL, NULL, 100, out, &walk), 16);
	UT_ASSERT_EQ(out[0], ids[16]);
	UT_ASSERT_EQ(fs->stats.reads, reads);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	csf_close(fs);

	/* the scan reads the table in windows, up to the high-water mark */
	fs = t_open(m);
	reads = fs->stats.reads;
	m->nread_many = 0;
	UT_ASSERT_EQ(csf_obj_scan(fs, 0, &pos, 1000, 64, found, sgens), 48);
	hwm_blocks = (ids[63] + 1 + CSF_OBJS_PER_BLOCK - 1) / CSF_OBJS_PER_BLOCK;
	UT_ASSERT_EQ(fs->stats.reads - reads, hwm_blocks);
	/* slots 0-64: 17 blocks, a window of 16 then the last one alone */
	UT_ASSERT_EQ(hwm_blocks, CSF_RA_BLOCKS + 1);
	UT_ASSERT_EQ(m->nread_many, 1);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST_GEOMETRIES(cull_walk_reads_records_ahead, walk_reads_ahead)

/*
 * The whole index of a million-object cache (1 TiB, the largest journal)
 * stays in the buffer cache, up to CSF_BUFS_INDEX_MAX buckets: a cull
 * deletes objects whose buckets are scattered over the index, and with the
 * fixed 4,096 buffers of before, a cull of a million-object cache read a
 * bucket for two victims in three.  The second pass over the same keys
 * reads the same buckets, all cached.
 */
UT_TEST(index_of_a_million_objects_stays_cached)
{
	struct csf_memdev *m = t_mkdev_big(256ULL << 20, 1000000);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), id, gen, i, n, pass;
	u64 reads = 0;
	char key[32];

	UT_ASSERT_MSG(fs->geo.index_len > CSF_BUFS_BASE,
		      "index of %llu buckets",
		      (unsigned long long)fs->geo.index_len);
	n = (u32)fs->geo.index_len * 3;
	for (pass = 0; pass < 2; pass++) {
		reads = fs->stats.reads;
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "absent-%u", i);
			UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key,
						    (u32)strlen(key), &id,
						    &gen), -ENOENT);
		}
		reads = fs->stats.reads - reads;
	}
	UT_ASSERT_MSG(reads == 0,
		      "%llu metadata reads on the second pass over the index of %llu buckets (buffer cache of %u)",
		      (unsigned long long)reads,
		      (unsigned long long)fs->geo.index_len, fs->maxbufs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * A checkpoint writes the committed blocks home in block order, so that
 * the kernel's device layer joins runs of consecutive blocks into one bio:
 * creates and deletes dirty index buckets (by key hash), table blocks,
 * bitmap and summary blocks in no particular order.
 */
static u64 order_blk[4096];
static u32 order_n;
static const struct csf_dev_ops *order_ops;

static int order_write_start(void *priv, u64 blk, u32 count, const void *buf)
{
	if (order_n < ARRAY_SIZE(order_blk))
		order_blk[order_n++] = blk;
	return order_ops->write_start(priv, blk, count, buf);
}

UT_TEST(checkpoint_writes_home_in_block_order)
{
	struct csf_memdev *m = t_mkdev(1 << 16, false);
	struct csf_fs *fs = t_open(m);
	struct csf_dev_ops ops;
	u32 vid = t_vol(fs, "v"), id, gen, i, bad = 0;
	char key[16];

	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "o%u", i * 7919);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key),
					    NULL, 0, 65536, i, &id, &gen), 0);
		if (i % 3 == 0)
			UT_ASSERT_EQ(csf_obj_delete(fs, id, gen), 0);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_MSG(fs->nckpt > 100, "nckpt %u maxbufs %u ckpts %llu", fs->nckpt, fs->maxbufs, (unsigned long long)fs->stats.checkpoints);

	order_ops = fs->dev.ops;
	UT_ASSERT(order_ops->write_start);
	ops = *order_ops;
	ops.write_start = order_write_start;
	fs->dev.ops = &ops;
	order_n = 0;
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	fs->dev.ops = order_ops;
	UT_ASSERT(order_n > 100);
	for (i = 1; i < order_n; i++)
		if (order_blk[i] <= order_blk[i - 1])
			bad++;
	UT_ASSERT_MSG(bad == 0, "%u of %u home writes out of block order", bad,
		      order_n);
	t_check_reopen(fs, m);
	csf_memdev_free(m);
}
