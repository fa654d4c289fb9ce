// SPDX-License-Identifier: GPL-2.0
/* test_journal.c - commit, replay, torn transactions, abort, wrap. */
#include "tutil.h"

static u32 mkobj(struct csf_fs *fs, u32 vid, const char *key)
{
	u32 id, gen;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key), "aux", 3,
				    8192, 100, &id, &gen), 0);
	return id;
}

UT_TEST(committed_survives_crash_via_replay)
{
	struct csf_memdev *m = t_mkdev(1 << 14, true);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "vol"), id, gen;

	mkobj(fs, vid, "k1");
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT(fs->nckpt > 0);	/* not yet home */
	/* lose power: nothing unflushed survives */
	m->dead = true;
	csf_close(fs);
	csf_memdev_crash(m, t_rnd, &(u64){ 1 }, false);
	csf_memdev_revive(m);
	fs = t_open(m);
	UT_ASSERT(fs->stats.replayed_txns >= 1);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "k1", 2, &id, &gen), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(uncommitted_is_lost_and_abort_restores)
{
	struct csf_memdev *m = t_mkdev(1 << 14, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "vol"), id, gen;

	UT_ASSERT_EQ(csf_commit(fs), 0);
	mkobj(fs, vid, "k1");
	csf_abort(fs);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "k1", 2, &id, &gen), -ENOENT);
	t_check_clean(fs);
	mkobj(fs, vid, "k2");
	/* drop the running txn by never committing it */
	m->dead = true;
	csf_close(fs);
	csf_memdev_revive(m);
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "k2", 2, &id, &gen), -ENOENT);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/* Find the last commit block in the ring; corrupt/remove pieces of it. */
static u64 last_commit(struct csf_memdev *m, struct csf_fs *fs, u64 *seq)
{
	u64 i, best = 0, bs = 0;

	for (i = 0; i < fs->geo.ring_len; i++) {
		struct csf_blk_hdr *h = (void *)csf_memdev_block(m,
						fs->geo.ring_start + i);

		if (le32_to_cpu(h->magic) == CSF_MAGIC &&
		    le16_to_cpu(h->type) == CSF_T_JCOMMIT &&
		    le64_to_cpu(h->seq) >= bs) {
			bs = le64_to_cpu(h->seq);
			best = fs->geo.ring_start + i;
		}
	}
	*seq = bs;
	return best;
}

/* The first descriptor of the transaction whose commit block is @c. */
static u64 txn_desc(struct csf_memdev *m, struct csf_fs *fs, u64 c, u64 seq)
{
	u64 b;

	for (b = c; b-- > fs->geo.ring_start;) {
		const struct csf_jdesc *d = (const void *)csf_memdev_block(m, b);

		if (le32_to_cpu(d->hdr.magic) == CSF_MAGIC &&
		    le16_to_cpu(d->hdr.type) == CSF_T_JDESC &&
		    le64_to_cpu(d->hdr.seq) == seq && !d->index) {
			/* it names the images between it and the commit */
			UT_ASSERT(le32_to_cpu(d->count) >= 1);
			UT_ASSERT(b + 1 + le32_to_cpu(d->count) <= c);
			return b;
		}
	}
	UT_ASSERT_MSG(0, "no descriptor for txn %llu",
		      (unsigned long long)seq);
	return 0;
}

static void torn_case(int mode)
{
	struct csf_memdev *m = t_mkdev(1 << 14, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "vol"), id, gen;
	u64 c, seq, d = 0;

	UT_ASSERT_EQ(csf_commit(fs), 0);
	mkobj(fs, vid, "first");
	UT_ASSERT_EQ(csf_commit(fs), 0);
	mkobj(fs, vid, "second");
	UT_ASSERT_EQ(csf_commit(fs), 0);
	c = last_commit(m, fs, &seq);
	UT_ASSERT(c);
	if (mode == 2 || mode == 4)
		d = txn_desc(m, fs, c, seq);
	m->dead = true;		/* no checkpoint on close */
	csf_close(fs);
	csf_memdev_revive(m);
	if (mode == 0)		/* commit block never written */
		memset(csf_memdev_block(m, c), 0, 4096);
	else if (mode == 1)	/* an image torn */
		csf_memdev_block(m, c - 1)[3000] ^= 0xff;
	else if (mode == 2)	/* descriptor torn: an unused home slot */
		csf_memdev_block(m, d)[4000] ^= 1;
	else if (mode == 3)	/* commit checksum wrong */
		csf_memdev_block(m, c)[60] ^= 1;
	else {			/* descriptor changed, block checksum valid */
		struct csf_jdesc *jd = (void *)csf_memdev_block(m, d);

		jd->reserved[0] ^= 1;
		csf_blk_seal(jd, CSF_T_JDESC, d, seq);
	}
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "first", 5, &id, &gen), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "second", 6, &id, &gen), -ENOENT);
	t_check_clean(fs);
	/* and the journal goes on after the break */
	mkobj(fs, vid, "third");
	UT_ASSERT_EQ(csf_commit(fs), 0);
	m->dead = true;
	csf_close(fs);
	csf_memdev_revive(m);
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "third", 5, &id, &gen), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(torn_commit_block)
{
	torn_case(0);
}

UT_TEST(torn_image)
{
	torn_case(1);
}

UT_TEST(torn_descriptor)
{
	torn_case(2);
}

UT_TEST(bad_txn_checksum)
{
	torn_case(3);
}

/* only the transaction checksum covers the descriptor's bytes here */
UT_TEST(resealed_descriptor_fails_txn_checksum)
{
	torn_case(4);
}

UT_TEST(ring_wraps_many_times)
{
	struct csf_memdev *m = t_mkdev(1 << 14, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "vol"), i, id, gen;
	char key[32];

	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "obj%u", i);
		mkobj(fs, vid, key);
		UT_ASSERT_EQ(csf_commit(fs), 0);
	}
	UT_ASSERT(fs->stats.checkpoints > 3);
	m->dead = true;
	csf_close(fs);
	csf_memdev_revive(m);
	fs = t_open(m);
	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "obj%u", i);
		UT_ASSERT_EQ(csf_obj_lookup(fs, vid, key, (u32)strlen(key), &id,
					    &gen), 0);
	}
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(checkpoint_slots_alternate_and_survive_one_bad)
{
	struct csf_memdev *m = t_mkdev(1 << 14, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "vol"), id, gen;
	u64 n;

	mkobj(fs, vid, "a");
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	n = fs->ckpt_count;
	mkobj(fs, vid, "b");
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	UT_ASSERT_EQ(fs->ckpt_count, n + 1);
	m->dead = true;
	csf_close(fs);
	csf_memdev_revive(m);
	/* destroy the newest slot: the older one + replay still work */
	csf_memdev_block(m, 2 + ((n + 1) & 1))[100] ^= 1;
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "a", 1, &id, &gen), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "b", 1, &id, &gen), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}
