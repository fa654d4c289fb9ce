// SPDX-License-Identifier: GPL-2.0
/*
 * test_txnsize.c - a transaction of fs->max_txn blocks always fits in the
 * journal ring, whatever the ring holds when it commits (csf_commit()
 * checkpoints once the ring is more than half full, so up to half of it).
 */
#include "tutil.h"

/*
 * A sparse device for the largest journals: keeps the metadata outside the
 * ring (superblocks, state, checkpoint slots, summary, bitmap, volumes,
 * index, object table) and drops writes to the ring and the data area,
 * which read back as zeroes.  This test never replays the ring.
 */
struct sdev {
	struct csf_dev dev;
	struct csf_geo g;
	u8 *meta;
};

static u8 *sdev_blk(struct sdev *s, u64 blk)
{
	u64 re = s->g.ring_start + s->g.ring_len;

	if (blk < s->g.ring_start)
		return s->meta + blk * CSF_BLOCK_SIZE;
	if (blk >= re && blk < s->g.data_start)
		return s->meta + (blk - s->g.ring_len) * CSF_BLOCK_SIZE;
	if (blk == s->g.nblocks - 1)
		return s->meta + (s->g.data_start - s->g.ring_len) *
		       CSF_BLOCK_SIZE;
	return NULL;
}

static int sdev_read(void *priv, u64 blk, u32 count, void *buf)
{
	u32 i;

	for (i = 0; i < count; i++) {
		u8 *p = sdev_blk(priv, blk + i);
		u8 *d = (u8 *)buf + (size_t)i * CSF_BLOCK_SIZE;

		if (p)
			memcpy(d, p, CSF_BLOCK_SIZE);
		else
			memset(d, 0, CSF_BLOCK_SIZE);
	}
	return 0;
}

static int sdev_write(void *priv, u64 blk, u32 count, const void *buf)
{
	u32 i;

	for (i = 0; i < count; i++) {
		u8 *p = sdev_blk(priv, blk + i);

		if (p)
			memcpy(p, (const u8 *)buf + (size_t)i * CSF_BLOCK_SIZE,
			       CSF_BLOCK_SIZE);
	}
	return 0;
}

static int sdev_flush(void *priv)
{
	return 0;
}

static const struct csf_dev_ops sdev_ops = {
	.read = sdev_read, .write = sdev_write, .flush = sdev_flush,
};

static struct sdev *sdev_new(u64 nblocks, u64 journal)
{
	struct csf_format_params p;
	struct sdev *s = calloc(1, sizeof(*s));

	UT_ASSERT(s);
	t_params(&p, nblocks);
	p.journal_blocks = journal;
	UT_ASSERT_EQ(csf_geometry(&p, &s->g), 0);
	s->meta = calloc(s->g.data_start - s->g.ring_len + 1, CSF_BLOCK_SIZE);
	UT_ASSERT(s->meta);
	s->dev.ops = &sdev_ops;
	s->dev.priv = s;
	s->dev.nblocks = nblocks;
	UT_ASSERT_EQ(csf_format(&s->dev, &p, NULL), 0);
	return s;
}

static void sdev_free(struct sdev *s)
{
	free(s->meta);
	free(s);
}

static u64 ring_used(const struct csf_fs *fs)
{
	return (fs->head_pos + fs->geo.ring_len - fs->tail_pos) %
	       fs->geo.ring_len;
}

/* Ring blocks a transaction of @n images takes: images, descriptors, commit */
static u64 txn_blocks(u64 n)
{
	return n + (n + CSF_JDESC_MAX - 1) / CSF_JDESC_MAX + 1;
}

/* Dirty @n fresh map-block buffers at data blocks [first, first + n). */
static void dirty_n(struct csf_fs *fs, u64 first, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		struct csf_buf *b = csf_buf_new(fs, first + i, CSF_T_MAPLEAF);

		UT_ASSERT(b);
		UT_ASSERT_EQ(csf_buf_dirty(fs, b), 0);
	}
}

/*
 * Bring the ring to exactly half full (the most csf_commit() leaves without
 * a checkpoint) with small transactions re-dirtying the same few blocks, so
 * that no checkpoint is forced by the number of committed buffers.
 */
static void fill_half(struct csf_fs *fs, u64 first)
{
	u64 target = fs->geo.ring_len / 2, ck = fs->stats.checkpoints;

	while (ring_used(fs) < target) {
		u64 rem = target - ring_used(fs);
		u64 n = min_t(u64, 1500, fs->max_txn);

		UT_ASSERT(rem >= 3);
		while (n > 1 && (txn_blocks(n) > rem ||
				 (txn_blocks(n) < rem &&
				  rem - txn_blocks(n) < 3)))
			n--;
		dirty_n(fs, first, n);
		UT_ASSERT_EQ(csf_commit(fs), 0);
	}
	UT_ASSERT_EQ(ring_used(fs), target);
	UT_ASSERT_EQ(fs->stats.checkpoints, ck);
}

static void full_txns_after_half_ring(u64 nblocks, u64 journal, int rounds)
{
	struct sdev *s = sdev_new(nblocks, journal);
	struct csf_fs *fs = NULL;
	u64 ck;
	int i;

	UT_ASSERT_EQ(csf_open(&s->dev, 0, &fs), 0);
	UT_ASSERT(fs->geo.data_start + fs->max_txn + 1600 < fs->geo.data_end);
	for (i = 0; i < rounds; i++) {
		fill_half(fs, fs->geo.data_start + fs->max_txn);
		ck = fs->stats.checkpoints;
		dirty_n(fs, fs->geo.data_start, fs->max_txn);
		UT_ASSERT_EQ(fs->ntxn, fs->max_txn);
		/* one more block is refused, not committed */
		UT_ASSERT_EQ(csf_op_begin(fs, 1), 0);
		UT_ASSERT_EQ(fs->ntxn, 0);
		UT_ASSERT_EQ(fs->error, 0);
		UT_ASSERT(fs->stats.checkpoints > ck);	/* past half full */
	}
	csf_close(fs);
	sdev_free(s);
}

UT_TEST(txn_max_fits_min_journal)
{
	full_txns_after_half_ring(1 << 15, CSF_MIN_JOURNAL, 3);
}

UT_TEST(txn_max_fits_64k_journal)
{
	full_txns_after_half_ring(1 << 18, 1 << 16, 2);
}

/* the largest journal mkcachestore allows (-J 4G) */
UT_TEST(txn_max_fits_max_journal)
{
	full_txns_after_half_ring(CSF_MAX_JOURNAL + (640 << 10),
				  CSF_MAX_JOURNAL, 2);
}

/* The bound itself, for every ring size a superblock may describe. */
UT_TEST(txn_max_bound_every_ring_size)
{
	u64 r;

	for (r = CSF_MIN_JOURNAL - 2; r <= CSF_MAX_JOURNAL - 2; r++) {
		u64 m = csf_journal_max_txn(r), half = r / 2;

		/* fits after a half-full ring: strictly less than free */
		UT_ASSERT_MSG(half + txn_blocks(m) < r, "ring %llu max %llu",
			      (unsigned long long)r, (unsigned long long)m);
		/* and is the largest that does */
		UT_ASSERT_MSG(half + txn_blocks(m + 1) >= r,
			      "ring %llu max %llu not maximal",
			      (unsigned long long)r, (unsigned long long)m);
	}
}
