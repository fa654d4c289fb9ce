// SPDX-License-Identifier: GPL-2.0
/*
 * test_crashsim.c - crash simulator.
 *
 * Random operation sequences (create, write pages, set content, rewrite,
 * invalidate, resize, delete, cull, reclaim, touch, commit, checkpoint)
 * run against an in-memory device with a volatile write cache.  Power is
 * lost at a random write or flush boundary: each unflushed write survives
 * or not, in any order, possibly torn at a 512-byte boundary.  Sometimes
 * power is lost again during the replay.  Then the cache must open,
 * csf_check() must find nothing, and every page the library reports
 * present must hold a tag written for exactly that object incarnation and
 * page.  An incarnation (create or invalidate) is named by a never reused
 * nonce kept in the object's aux data, so an old generation's data, another
 * object's data, a freed-and-reused block or unwritten junk all fail.
 *
 * CSF_CRASH_POINTS (default 1000) sets the number of crash points.
 */
#include <stdlib.h>
#include "tutil.h"

#define NBLOCKS		6144
#define TAG_MAGIC	0x5441474d41474154ULL

struct tag {
	u64 magic, nonce, page, version, csum;
};

struct sim {
	struct csf_memdev *m;
	struct csf_fs *fs;
	u64 rng, nonce, version, keyno;
	u32 vid;
	u32 ids[512], gens[512];
	u64 nonces[512];
	u32 nobj;
	u64 stats_ops, stats_replays, stats_pages_checked, stats_torn_opens;
};

static u64 rnd(struct sim *s, u64 n)
{
	return n ? t_rnd(&s->rng) % n : 0;
}

static u64 tag_csum(const struct tag *t)
{
	return csf_xxh64(t, offsetof(struct tag, csum), 0);
}

/* Rebuild the simulator's view of the live objects from the records. */
static void sim_scan(struct sim *s)
{
	struct csf_buf *b;
	struct csf_obj_rec *r;
	struct csf_state *st;
	u32 id, hwm;

	UT_ASSERT_EQ(csf_buf_get(s->fs, s->fs->geo.state_blk, CSF_T_STATE, &b),
		     0);
	st = (void *)b->data;
	hwm = le32_to_cpu(st->obj_hwm);
	s->nobj = 0;
	for (id = 1; id < hwm && s->nobj < 512; id++) {
		UT_ASSERT_EQ(csf_rec_get(s->fs, id, &b, &r), 0);
		if (le16_to_cpu(r->flags) != CSF_OBJ_LIVE)
			continue;
		UT_ASSERT_EQ(r->aux_len, 8);
		s->ids[s->nobj] = id;
		s->gens[s->nobj] = le32_to_cpu(r->gen);
		memcpy(&s->nonces[s->nobj], r->aux, 8);
		s->nobj++;
	}
}

/* Every present page carries the tag of this incarnation and page. */
static void sim_verify(struct sim *s)
{
	static u8 blk[CSF_BLOCK_SIZE];
	struct csf_obj_info info;
	u32 i, n;
	u64 p, pages, pblk;

	for (i = 0; i < s->nobj; i++) {
		UT_ASSERT_EQ(csf_obj_get(s->fs, s->ids[i], &info), 0);
		pages = (info.size + 4095) / 4096;
		for (p = 0; p < pages; p++) {
			const struct tag *t = (const void *)blk;
			bool pr;
			u32 run;

			UT_ASSERT_EQ(csf_obj_query(s->fs, s->ids[i], s->gens[i],
						   p, 1, &pr, &run), 0);
			if (!pr)
				continue;
			UT_ASSERT_EQ(csf_obj_map(s->fs, s->ids[i], s->gens[i],
						 p, false, &pblk, &n), 0);
			UT_ASSERT_EQ(s->m->dev.ops->read(s->m, pblk, 1, blk), 0);
			UT_ASSERT_MSG(t->magic == TAG_MAGIC &&
				      t->csum == tag_csum(t) &&
				      t->nonce == s->nonces[i] && t->page == p,
				      "obj %u gen %u page %llu: bad data (magic %llx nonce %llu/%llu page %llu)",
				      s->ids[i], s->gens[i],
				      (unsigned long long)p,
				      (unsigned long long)t->magic,
				      (unsigned long long)t->nonce,
				      (unsigned long long)s->nonces[i],
				      (unsigned long long)t->page);
			s->stats_pages_checked++;
		}
	}
}

/* One random operation.  Returns the library's error, if any. */
static int sim_op(struct sim *s)
{
	struct csf_fs *fs = s->fs;
	u64 op = rnd(s, 100), pblk, page;
	u32 k = s->nobj ? (u32)rnd(s, s->nobj) : 0, id, gen, n, out[4];
	struct csf_obj_info info;
	char key[32];
	int ret = 0, i, c;

	s->stats_ops++;
	if (op < 12 || !s->nobj) {
		u64 size = rnd(s, 4) ? rnd(s, 40) * 4096 + rnd(s, 4096)
				     : rnd(s, 400) * 4096;

		if (s->nobj >= 200)
			return 0;
		snprintf(key, sizeof(key), "key-%llu",
			 (unsigned long long)++s->keyno);
		s->nonce++;
		ret = csf_obj_create(fs, s->vid, key, (u32)strlen(key),
				     &s->nonce, 8, size, rnd(s, 1 << 20), &id,
				     &gen);
		if (!ret) {
			s->ids[s->nobj] = id;
			s->gens[s->nobj] = gen;
			s->nonces[s->nobj++] = s->nonce;
		}
		return ret == -ENOSPC ? 0 : ret;
	}
	id = s->ids[k];
	gen = s->gens[k];
	if (op < 55) {
		/* write a few pages: data first, then the content bit */
		ret = csf_obj_get(fs, id, &info);
		if (ret || !info.size)
			return ret;
		c = 1 + (int)rnd(s, 6);
		for (i = 0; i < c; i++) {
			u8 blk[CSF_BLOCK_SIZE];
			struct tag *t = (void *)blk;

			page = rnd(s, (info.size + 4095) / 4096);
			ret = csf_obj_map(fs, id, gen, page, true, &pblk, &n);
			if (ret == -ENOSPC)
				return 0;
			if (ret)
				return ret;
			memset(blk, 0, sizeof(blk));
			t->magic = TAG_MAGIC;
			t->nonce = s->nonces[k];
			t->page = page;
			t->version = ++s->version;
			t->csum = tag_csum(t);
			ret = s->m->dev.ops->write(s->m, pblk, 1, blk);
			if (ret)
				return ret;
			ret = csf_obj_mark_present(fs, id, gen, page, 1);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (op < 62) {
		s->nonce++;
		ret = csf_obj_invalidate(fs, id, gen, &s->nonce, 8,
					 rnd(s, 100) * 4096, &s->gens[k]);
		if (!ret)
			s->nonces[k] = s->nonce;
		return ret == -ENOSPC ? 0 : ret;
	}
	if (op < 70)
		return csf_obj_resize(fs, id, gen, rnd(s, 300) * 4096 +
				      rnd(s, 2) * rnd(s, 4096));
	if (op < 75 || (op < 80 && s->nobj > 100)) {
		ret = csf_obj_delete(fs, id, gen);
		if (!ret) {
			s->nobj--;
			s->ids[k] = s->ids[s->nobj];
			s->gens[k] = s->gens[s->nobj];
			s->nonces[k] = s->nonces[s->nobj];
		}
		return ret;
	}
	if (op < 78) {
		c = csf_cull_pick(fs, 2, NULL, NULL, out);
		if (c < 0)
			return c;
		for (i = 0; i < c; i++) {
			u32 j;

			for (j = 0; j < s->nobj && s->ids[j] != out[i]; j++)
				;
			UT_ASSERT(j < s->nobj);
			ret = csf_obj_delete(fs, s->ids[j], s->gens[j]);
			if (ret)
				return ret;
			s->nobj--;
			s->ids[j] = s->ids[s->nobj];
			s->gens[j] = s->gens[s->nobj];
			s->nonces[j] = s->nonces[s->nobj];
		}
		return 0;
	}
	if (op < 83) {
		ret = csf_reclaim(fs, 1 + (u32)rnd(s, 16));
		return ret > 0 ? 0 : ret;
	}
	if (op < 86)
		return csf_obj_touch(fs, id, gen, rnd(s, 1 << 20));
	if (op < 98)
		return csf_commit(fs);
	return csf_checkpoint(fs);
}

static void sim_recover(struct sim *s)
{
	struct csf_check_report r;
	int ret, tries;

	/* the running instance dies with the power */
	s->m->dead = true;
	csf_close(s->fs);
	s->fs = NULL;
	csf_memdev_crash(s->m, t_rnd, &s->rng, true);
	csf_memdev_revive(s->m);
	/* sometimes lose power again during replay */
	for (tries = 0; tries < 3 && rnd(s, 3) == 0; tries++) {
		s->m->fail_after = (s64)rnd(s, 40);
		ret = csf_open(&s->m->dev, 0, &s->fs);
		if (!ret) {
			s->m->dead = true;
			csf_close(s->fs);
			s->fs = NULL;
		}
		s->stats_torn_opens++;
		csf_memdev_crash(s->m, t_rnd, &s->rng, true);
		csf_memdev_revive(s->m);
	}
	ret = csf_open(&s->m->dev, 0, &s->fs);
	UT_ASSERT_MSG(ret == 0, "open after crash: %d", ret);
	s->stats_replays += s->fs->stats.replayed_txns;
	UT_ASSERT_EQ(csf_check(s->fs, 0, &r), 0);
	if (r.errors) {
		s->fs->hash_mask = ~0ULL;
		t_check_clean(s->fs);
	}
	sim_scan(s);
	sim_verify(s);
}

static u64 g_ops, g_replays, g_pages, g_torn;

static void sim_run(u64 seed, u32 points, u64 *done)
{
	struct csf_format_params p;
	struct sim s;
	u32 pt;
	int ret;

	memset(&s, 0, sizeof(s));
	s.rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	s.m = csf_memdev_new(NBLOCKS, true);
	UT_ASSERT(s.m);
	t_params(&p, NBLOCKS);
	p.granule_shift = 16;	/* 16 pages: many granules, many map blocks */
	p.expected_objects = 300;
	UT_ASSERT_EQ(csf_format(&s.m->dev, &p, NULL), 0);
	s.fs = t_open(s.m);
	s.vid = t_vol(s.fs, "sim");
	UT_ASSERT_EQ(csf_commit(s.fs), 0);
	for (pt = 0; pt < points; pt++) {
		u32 ops = 1 + (u32)rnd(&s, 200);

		s.m->fail_after = (s64)rnd(&s, 400);
		while (ops--) {
			ret = sim_op(&s);
			if (ret == -EIO || s.fs->error || s.m->dead)
				break;
			UT_ASSERT_MSG(ret == 0, "op error %d", ret);
		}
		sim_recover(&s);
		s.vid = t_vol(s.fs, "sim");
		(*done)++;
	}
	g_ops += s.stats_ops;
	g_replays += s.stats_replays;
	g_pages += s.stats_pages_checked;
	g_torn += s.stats_torn_opens;
	csf_close(s.fs);
	csf_memdev_free(s.m);
}

UT_TEST(crash_points)
{
	const char *e = getenv("CSF_CRASH_POINTS");
	u64 total = e ? strtoull(e, NULL, 0) : 1000, done = 0, seed = 1;

	while (done < total) {
		u32 n = (u32)min_t(u64, total - done, 50);

		sim_run(seed++, n, &done);
	}
	printf("    %llu crash points over %llu devices: %llu ops, %llu txns replayed, %llu crashes during replay, %llu present pages verified\n",
	       (unsigned long long)done, (unsigned long long)seed - 1,
	       (unsigned long long)g_ops, (unsigned long long)g_replays,
	       (unsigned long long)g_torn, (unsigned long long)g_pages);
	UT_ASSERT(g_replays > 0 && g_pages > 0);
	UT_ASSERT(done >= total);
}
