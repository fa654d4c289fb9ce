// SPDX-License-Identifier: GPL-2.0
/*
 * test_unwind.c - a public operation that fails with an expected error
 * (-ENOSPC, -ENOENT, -ESTALE, -E2BIG, -ENOMEM growing an array) changes
 * nothing; after any other error, csf_abort() leaves a clean image.
 * Faults come from the userspace port's allocation hook
 * (csf_fail_alloc_in) and the memory device's read_errors_at.
 */
#include "tutil.h"

struct tobj {
	u32 id, gen;
};

static struct tobj mk(struct csf_fs *fs, u32 vid, const char *key, u32 gran)
{
	struct tobj o;
	u64 pblk, pg;
	u32 n;

	UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key), NULL, 0,
				    (u64)gran * fs->geo.ppg * 4096, 1, &o.id,
				    &o.gen), 0);
	for (pg = 0; pg < (u64)gran * fs->geo.ppg; pg += fs->geo.ppg) {
		UT_ASSERT_EQ(csf_obj_map(fs, o.id, o.gen, pg, true, &pblk, &n),
			     0);
		UT_ASSERT_EQ(csf_obj_mark_present(fs, o.id, o.gen, pg, 1), 0);
	}
	return o;
}

struct mapped_ck {
	struct csf_fs *fs;
	u64 bad;
};

static int mapped_cb(void *priv, u64 gi, u64 pblk, u32 len, bool meta,
		     const u8 *ent)
{
	struct mapped_ck *c = priv;
	u32 i;

	for (i = 0; i < len; i++) {
		bool set = false;

		UT_ASSERT_EQ(csf_bit_test(c->fs, pblk + i, &set), 0);
		if (!set)
			c->bad++;
	}
	return 0;
}

/* Every block an object maps is marked in use. */
static void t_no_mapped_free(struct csf_fs *fs)
{
	struct mapped_ck c = { .fs = fs };
	u32 id;

	for (id = 1; id < fs->geo.max_objects; id++) {
		struct csf_obj_rec *r, rec;
		struct csf_buf *b;

		UT_ASSERT_EQ(csf_rec_get(fs, id, &b, &r), 0);
		if (!r->flags)
			continue;
		rec = *r;
		UT_ASSERT(csf_obj_walk_runs(fs, &rec, mapped_cb, &c) >= 0);
		if (id > 64)
			break;
	}
	UT_ASSERT_EQ(c.bad, 0);
}

/*
 * The pending-free array has to grow (first free of this open) while every
 * block the free touches is already in the transaction: the only
 * allocation is the array's, and it fails.  The truncate must change
 * nothing: committing without csf_abort() leaves a clean image.
 */
UT_TEST(enomem_growing_pending_changes_nothing)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v");
	struct tobj a = mk(fs, vid, "a", 3), b;
	struct csf_obj_info info;
	int ret;

	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	csf_close(fs);
	fs = t_open(m);
	UT_ASSERT_EQ(fs->pend_txn.cap, 0);
	/* dirty the record, the bitmap, the summary and the state */
	UT_ASSERT_EQ(csf_obj_set_aux(fs, a.id, a.gen, "x", 1), 0);
	b = mk(fs, vid, "b", 1);
	(void)b;
	csf_fail_alloc_in = 1;
	ret = csf_obj_resize(fs, a.id, a.gen, 4096);
	csf_fail_alloc_in = 0;
	UT_ASSERT_EQ(ret, -ENOMEM);
	UT_ASSERT_EQ(csf_obj_get(fs, a.id, &info), 0);
	UT_ASSERT_EQ(info.size, 3ULL * fs->geo.ppg * 4096);
	t_no_mapped_free(fs);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	/* and the same truncate works once memory is back */
	UT_ASSERT_EQ(csf_obj_resize(fs, a.id, a.gen, 4096), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/* A sequence of mutating operations on a committed image. */
static int ops(struct csf_fs *fs, u32 vid, struct tobj *o)
{
	u64 pblk;
	u32 n, id, gen, ng;
	int ret;

	ret = csf_obj_resize(fs, o[0].id, o[0].gen, 4096);
	if (!ret)
		ret = csf_obj_delete(fs, o[1].id, o[1].gen);
	if (!ret)
		ret = csf_obj_invalidate(fs, o[2].id, o[2].gen, "n", 1, 8192,
					 &ng);
	if (!ret)
		ret = csf_obj_create(fs, vid, "new", 3, NULL, 0, 1 << 20, 5,
				     &id, &gen);
	if (!ret)
		ret = csf_obj_map(fs, id, gen, 100, true, &pblk, &n);
	if (!ret)
		ret = csf_obj_mark_present(fs, id, gen, 100, 1);
	if (!ret)
		ret = csf_obj_resize(fs, o[3].id, o[3].gen,
				     (u64)(fs->geo.inline_ents + 8) *
				     fs->geo.ppg * 4096);
	if (!ret)
		ret = csf_obj_map(fs, o[3].id, o[3].gen,
				  (u64)(fs->geo.inline_ents + 4) * fs->geo.ppg,
				  true, &pblk, &n);
	while (!ret && (ret = csf_reclaim(fs, 64)) > 0)
		;
	return ret;
}

/*
 * Fail the Nth allocation of the sequence, for every N until the sequence
 * succeeds: after csf_abort() the image checks clean and no mapped block
 * is marked free.
 */
UT_TEST(alloc_fault_sweep_then_abort_is_clean)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), k;
	struct tobj o[4];
	char key[8];
	int ret, nfail = 0;
	u64 n;

	for (k = 0; k < 4; k++) {
		snprintf(key, sizeof(key), "o%u", k);
		o[k] = mk(fs, vid, key, 20);
	}
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	csf_close(fs);
	for (n = 1; n < 5000; n++) {
		fs = t_open(m);
		csf_fail_alloc_in = n;
		ret = ops(fs, vid, o);
		csf_fail_alloc_in = 0;
		if (!ret) {
			csf_close(fs);
			break;
		}
		nfail++;
		csf_abort(fs);
		t_no_mapped_free(fs);
		t_check_clean(fs);
		csf_close(fs);
	}
	UT_ASSERT(nfail > 0);
	fs = t_open(m);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}
