// SPDX-License-Identifier: GPL-2.0
/*
 * test_torn_tail.c - a transaction cut by a crash before its commit block
 * is the end of the journal, not damage; a committed transaction with a
 * bad image is damage (CSF_FS_BAD_JOURNAL, fsck reports it).
 *
 * Found by the dm-log-writes power-cut test (vm/cachestore_powercut): with
 * the unflushed writes after a flush partly applied, the ring held the
 * descriptor of the next transaction but not all its images, and replay
 * called the journal damaged, so fsck.cachestore -n exited 4 on a state
 * every power cut can leave.
 */
#include "tutil.h"

static void mkobj(struct csf_fs *fs, u32 vid, const char *key)
{
	u32 id, gen;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key), "aux", 3,
				    8192, 100, &id, &gen), 0);
}

/*
 * Commit "first", then "second" (and checkpoint nothing); return the ring
 * blocks of the second transaction: its descriptor and its commit block.
 */
static struct csf_memdev *two_txns(u64 *desc, u64 *commit)
{
	struct csf_memdev *m = t_mkdev(1 << 14, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "vol");
	u64 pos;

	UT_ASSERT_EQ(csf_commit(fs), 0);
	mkobj(fs, vid, "first");
	UT_ASSERT_EQ(csf_commit(fs), 0);
	pos = fs->head_pos;
	mkobj(fs, vid, "second");
	UT_ASSERT(fs->ntxn >= 2);	/* images after the descriptor */
	UT_ASSERT_EQ(csf_commit(fs), 0);
	*desc = fs->geo.ring_start + pos;
	*commit = fs->geo.ring_start +
		  (fs->head_pos + fs->geo.ring_len - 1) % fs->geo.ring_len;
	m->dead = true;		/* no checkpoint on close */
	csf_close(fs);
	csf_memdev_revive(m);
	return m;
}

static void expect(struct csf_memdev *m, bool second, bool bad)
{
	struct csf_fs *fs = NULL;
	u32 vid, id, gen;

	UT_ASSERT_EQ(csf_open(&m->dev, CSF_OPEN_RDONLY, &fs), 0);
	UT_ASSERT_EQ(csf_vol_lookup(fs, "vol", 3, &vid), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "first", 5, &id, &gen), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "second", 6, &id, &gen),
		     second ? 0 : -ENOENT);
	UT_ASSERT_MSG(!!(fs->flags & CSF_FS_BAD_JOURNAL) == bad,
		      "BAD_JOURNAL %s, want %s",
		      fs->flags & CSF_FS_BAD_JOURNAL ? "set" : "clear",
		      bad ? "set" : "clear");
	csf_close(fs);
}

/* Cut before the commit block: an image and the commit never written. */
UT_TEST(uncommitted_tail_with_missing_image_is_no_damage)
{
	u64 d, c;
	struct csf_memdev *m = two_txns(&d, &c);

	UT_ASSERT(c > d + 1);
	memset(csf_memdev_block(m, c), 0, 4096);
	memset(csf_memdev_block(m, c - 1), 0, 4096);
	expect(m, false, false);
	csf_memdev_free(m);
}

/* Only the descriptor made it. */
UT_TEST(uncommitted_tail_descriptor_only_is_no_damage)
{
	u64 d, c, b;
	struct csf_memdev *m = two_txns(&d, &c);

	for (b = d + 1; b <= c; b++)
		memset(csf_memdev_block(m, b), 0, 4096);
	expect(m, false, false);
	csf_memdev_free(m);
}

/* The commit block is there but an image is garbled: damage. */
UT_TEST(committed_txn_with_bad_image_is_damage)
{
	u64 d, c;
	struct csf_memdev *m = two_txns(&d, &c);

	csf_memdev_block(m, c - 1)[3000] ^= 0xff;
	expect(m, false, true);
	csf_memdev_free(m);
}

/* Untouched: both replay, nothing is damaged. */
UT_TEST(intact_txns_replay)
{
	u64 d, c;
	struct csf_memdev *m = two_txns(&d, &c);

	expect(m, true, false);
	csf_memdev_free(m);
}
