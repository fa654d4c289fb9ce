// SPDX-License-Identifier: GPL-2.0
/*
 * csf_check.c - full consistency check and repair (fsck.cachestore and
 * the crash simulator call it; the kernel may call it read-only).
 *
 * Checks: both superblocks, the state block, every volume, every object
 * record below the high-water mark with its map tree (checksums, ranges,
 * content bits only over allocated pages inside the size), no block owned
 * twice, the bitmap and summary against the owned set, the index against
 * the live objects, and the LRU, free and dying lists.
 *
 * Repair discards damaged objects (it is a cache) and rebuilds everything
 * derived: index, lists, bitmap, summary, state.  Writes go home directly
 * (offline), then the journal is reset.
 */
#include "csf.h"

struct csf_ck {
	struct csf_fs *fs;
	struct csf_check_report *rep;
	u8 *owned, *dup, *bad, *seen;	/* bitmaps */
	u32 hwm, cur;
	u64 cur_size;
	bool repair, marking, hit_dup, broken;
};

static u8 *csf_bits_alloc(u64 nbits)
{
	return csf_valloc((size_t)((nbits + 7) / 8));
}

static int csf_ck_run(void *priv, u64 gi, u64 pblk, u32 len, bool meta,
		      const u8 *ent)
{
	struct csf_ck *c = priv;
	const struct csf_geo *g = &c->fs->geo;
	u64 b, pages = (c->cur_size + CSF_BLOCK_SIZE - 1) >> CSF_BLOCK_SHIFT;
	u32 j;

	if (pblk < g->data_start || pblk + len > g->data_end) {
		c->rep->out_of_range++;
		c->broken = true;
		return 1;
	}
	if (!meta && ent) {
		const struct csf_gran_ent *e = (const void *)ent;

		/* content bits only inside the object size */
		for (j = 0; j < len; j++)
			if (csf_test_bit8(e->mask, j) &&
			    gi * g->ppg + j >= pages) {
				c->rep->bad_maps++;
				c->broken = true;
				return 1;
			}
	}
	for (b = pblk; b < pblk + len; b++) {
		if (c->marking) {
			if (c->owned[b >> 3] & (1U << (b & 7)))
				c->dup[b >> 3] |= (u8)(1U << (b & 7));
			else
				c->owned[b >> 3] |= (u8)(1U << (b & 7));
		} else if (c->dup[b >> 3] & (1U << (b & 7))) {
			c->hit_dup = true;
			return 1;
		}
	}
	return 0;
}

static void csf_ck_set(u8 *map, u64 bit)
{
	map[bit >> 3] |= (u8)(1U << (bit & 7));
}

static bool csf_ck_test(const u8 *map, u64 bit)
{
	return map[bit >> 3] & (1U << (bit & 7));
}

/* Re-check a record against the volume table and its own hash. */
static bool csf_ck_rec_ok(struct csf_ck *c, const struct csf_obj_rec *r)
{
	char vkey[CSF_MAX_VOLKEY];
	u32 vlen;

	if (le16_to_cpu(r->flags) != CSF_OBJ_LIVE)
		return true;
	if (csf_vol_read(c->fs, le32_to_cpu(r->vol_id), vkey, &vlen, NULL,
			 NULL))
		return false;
	return csf_key_hash(c->fs, (u8 *)vkey, vlen, r->key, r->key_len) ==
	       le64_to_cpu(r->hash);
}

/* Pass over all records: validate, walk maps (marking or dup testing). */
static int csf_ck_objects(struct csf_ck *c, bool marking)
{
	struct csf_fs *fs = c->fs;
	struct csf_obj_rec rec;
	u32 id;
	int ret;

	c->marking = marking;
	for (id = 1; id < c->hwm; id++) {
		struct csf_obj_rec *r;
		struct csf_buf *b;

		/* nothing is held across records: let the cache shrink */
		csf_call_begin(fs);
		if (csf_ck_test(c->bad, id))
			continue;
		ret = csf_rec_get(fs, id, &b, &r);
		if (ret == -ENOMEM)
			return ret;
		if (ret) {
			/* the whole block is bad: its four slots */
			if (marking) {
				c->rep->bad_objects++;
				c->rep->bad_csum++;
			}
			csf_ck_set(c->bad, id);
			continue;
		}
		if (!r->flags)
			continue;
		memcpy(&rec, r, sizeof(rec));
		c->cur = id;
		/* dying records keep their masks but have no size */
		c->cur_size = le16_to_cpu(rec.flags) == CSF_OBJ_DYING ?
			      CSF_MAX_FILE_PAGES << CSF_BLOCK_SHIFT :
			      le64_to_cpu(rec.size);
		c->broken = false;
		c->hit_dup = false;
		if (marking && !csf_ck_rec_ok(c, &rec)) {
			c->rep->bad_objects++;
			csf_ck_set(c->bad, id);
			continue;
		}
		ret = csf_obj_walk_runs(fs, &rec, csf_ck_run, c);
		if (ret < 0 && ret != -EUCLEAN)
			return ret;
		if (ret == -EUCLEAN) {
			c->rep->bad_maps++;
			c->broken = true;
		}
		if (c->broken || c->hit_dup) {
			if (c->hit_dup)
				c->rep->dup_blocks++;
			c->rep->bad_objects++;
			csf_ck_set(c->bad, id);
		}
		csf_cond_resched();
	}
	return 0;
}

struct csf_ck_idx {
	u32 id;
	bool found;
};

static int csf_ck_idx_cb(void *priv, u32 objid, u32 probe)
{
	struct csf_ck_idx *x = priv;

	if (objid == x->id) {
		x->found = true;
		return 1;
	}
	return 0;
}

/* Every bucket valid, every entry a good live object, every one indexed. */
static int csf_ck_index(struct csf_ck *c, u64 *errs)
{
	struct csf_fs *fs = c->fs;
	const struct csf_geo *g = &fs->geo;
	u64 i, nent = 0, live = 0;
	u32 j, *over;
	int ret;

	over = csf_valloc(sizeof(u32) * g->index_len);
	if (!over)
		return -ENOMEM;
	for (i = 0; i < g->index_len; i++) {
		const struct csf_bucket *bk;
		struct csf_buf *b;

		csf_call_begin(fs);
		ret = csf_buf_get(fs, g->index_start + i, CSF_T_BUCKET, &b);
		if (ret == -ENOMEM)
			goto out;
		if (ret) {
			(*errs)++;
			c->rep->bad_csum++;
			continue;
		}
		bk = (const void *)b->data;
		for (j = 0; j < CSF_BUCKET_ENTRIES; j++) {
			u32 id = le32_to_cpu(bk->ent[j].objid);
			u64 h = le64_to_cpu(bk->ent[j].hash), home, dist;
			struct csf_obj_rec *r;
			struct csf_buf *rb;

			if (!id)
				continue;
			nent++;
			home = csf_index_home(g, h);
			dist = i >= home ? i - home : i + g->index_len - home;
			if (dist >= CSF_PROBE_MAX) {
				(*errs)++;
				continue;
			}
			if (dist)
				over[home]++;
			if (id >= c->hwm || csf_ck_test(c->bad, id) ||
			    csf_rec_get(fs, id, &rb, &r) ||
			    le16_to_cpu(r->flags) != CSF_OBJ_LIVE ||
			    le64_to_cpu(r->hash) != h ||
			    csf_ck_test(c->seen, id)) {
				(*errs)++;
				continue;
			}
			csf_ck_set(c->seen, id);
		}
	}
	for (i = 0; i < g->index_len; i++) {
		struct csf_buf *b;

		csf_call_begin(fs);	/* the index may exceed the cache */
		if (csf_buf_get(fs, g->index_start + i, CSF_T_BUCKET, &b))
			continue;
		if (le16_to_cpu(((struct csf_bucket *)b->data)->overflow) !=
		    over[i])
			(*errs)++;
	}
	/* every good live object must be in the index, findable */
	for (i = 1; i < c->hwm; i++) {
		struct csf_obj_rec *r;
		struct csf_buf *rb;
		struct csf_ck_idx x = { .id = (u32)i };

		csf_call_begin(fs);
		if (csf_ck_test(c->bad, i) || csf_rec_get(fs, (u32)i, &rb, &r) ||
		    le16_to_cpu(r->flags) != CSF_OBJ_LIVE)
			continue;
		live++;
		if (!csf_ck_test(c->seen, i)) {
			(*errs)++;
			continue;
		}
		ret = csf_index_iter(fs, le64_to_cpu(r->hash), csf_ck_idx_cb,
				     &x);
		if (ret < 0 && ret != -EUCLEAN)
			goto out;
		if (!x.found)
			(*errs)++;
	}
	c->rep->live_objects = live;
	ret = 0;
out:
	csf_vfree(over);
	return ret;
}

/*
 * One LRU list (@prob: the probation list) from @head: its length, or
 * U32_MAX when it is broken (a link out of range, to a record seen before
 * or not live or not of this list, a wrong back link, longer than @max, or
 * a wrong @tail).
 */
static u32 csf_ck_lru(struct csf_ck *c, u32 head, u32 tail, bool prob,
		      u32 max)
{
	u32 id = head, prev = 0, n;
	struct csf_obj_rec *r;
	struct csf_buf *b;

	for (n = 0; id; n++) {
		csf_call_begin(c->fs);	/* the table may exceed the cache */
		if (id >= c->hwm || n >= max || csf_ck_test(c->seen, id) ||
		    csf_ck_test(c->bad, id) || csf_rec_get(c->fs, id, &b, &r) ||
		    le16_to_cpu(r->flags) != CSF_OBJ_LIVE ||
		    !!(r->oflags & CSF_OF_PROBATION) != prob ||
		    le32_to_cpu(r->lru_prev) != prev)
			return U32_MAX;
		csf_ck_set(c->seen, id);
		prev = id;
		id = le32_to_cpu(r->lru_next);
	}
	return tail == prev ? n : U32_MAX;
}

/* LRU, free and dying lists against the records. */
static int csf_ck_lists(struct csf_ck *c, const struct csf_state *st,
			u64 *errs)
{
	struct csf_fs *fs = c->fs;
	u32 id, n, np, nlive = 0, nfree = 0, ndying = 0, i;
	struct csf_obj_rec *r;
	struct csf_buf *b;

	/*
	 * A new library call per record: the object table may exceed the
	 * buffer cache, and blocks used by the running call are never
	 * evicted (@st is a copy).
	 */
	memset(c->seen, 0, (c->hwm + 7) / 8);
	for (i = 1; i < c->hwm; i++) {
		csf_call_begin(fs);
		if (csf_ck_test(c->bad, i) || csf_rec_get(fs, i, &b, &r))
			continue;
		if (le16_to_cpu(r->flags) == CSF_OBJ_LIVE)
			nlive++;
		else if (le16_to_cpu(r->flags) == CSF_OBJ_DYING)
			ndying++;
		else
			nfree++;
	}
	/* the two LRU lists: every live object on one of them */
	n = csf_ck_lru(c, le32_to_cpu(st->lru_head), le32_to_cpu(st->lru_tail),
		       false, nlive);
	np = n == U32_MAX ? n :
	     csf_ck_lru(c, le32_to_cpu(st->prob_head),
			le32_to_cpu(st->prob_tail), true, nlive - n);
	if (np == U32_MAX || n + np != nlive ||
	    le32_to_cpu(st->nr_live) != nlive || le32_to_cpu(st->nr_prob) != np)
		return (*errs)++, 0;
	/* free list */
	id = le32_to_cpu(st->free_head);
	for (n = 0; id; n++) {
		csf_call_begin(fs);
		if (id >= c->hwm || n > nfree || csf_ck_test(c->seen, id) ||
		    csf_ck_test(c->bad, id) || csf_rec_get(fs, id, &b, &r) ||
		    r->flags)
			return (*errs)++, 0;
		csf_ck_set(c->seen, id);
		id = le32_to_cpu(r->lru_next);
	}
	if (n != nfree)
		return (*errs)++, 0;
	/* dying list */
	id = le32_to_cpu(st->dying_head);
	for (n = 0; id; n++) {
		csf_call_begin(fs);
		if (id >= c->hwm || n > ndying || csf_ck_test(c->seen, id) ||
		    csf_ck_test(c->bad, id) || csf_rec_get(fs, id, &b, &r) ||
		    le16_to_cpu(r->flags) != CSF_OBJ_DYING)
			return (*errs)++, 0;
		csf_ck_set(c->seen, id);
		id = le32_to_cpu(r->lru_next);
	}
	if (n != ndying || le32_to_cpu(st->nr_dying) != ndying)
		(*errs)++;
	return 0;
}

/* Compare the bitmap and summary with the owned set. */
static int csf_ck_bitmap(struct csf_ck *c, bool fix, u64 *free_total)
{
	struct csf_fs *fs = c->fs;
	const struct csf_geo *g = &fs->geo;
	u64 bi, blk, used = 0;
	u32 j, si;
	int ret;

	*free_total = 0;
	for (bi = 0; bi < g->bitmap_len; bi++) {
		struct csf_buf *b, *sb;
		struct csf_bitmap *bm;
		struct csf_summary *sum;
		u32 nfree = 0, diff = 0;
		bool bad = false;

		csf_call_begin(fs);
		ret = csf_buf_get(fs, g->bitmap_start + bi, CSF_T_BITMAP, &b);
		if (ret == -ENOMEM)
			return ret;
		if (ret) {
			c->rep->bad_bitmap++;
			c->rep->bad_csum++;
			if (!fix)
				continue;
			b = csf_buf_new(fs, g->bitmap_start + bi, CSF_T_BITMAP);
			if (!b || csf_buf_dirty(fs, b))
				return -ENOMEM;
			memset(b->data, 0xff, CSF_BLOCK_SIZE);
			bad = true;
		}
		bm = (void *)b->data;
		for (j = 0; j < CSF_BITS_PER_BMAP; j++) {
			bool want, have;

			blk = (bi << CSF_BITS_PER_BMAP_SHIFT) + j;
			want = blk < g->data_start || blk >= g->data_end ||
			       csf_ck_test(c->owned, blk);
			have = bad ? !want : csf_test_bit8(bm->bits, j);
			if (!want)
				nfree++;
			else if (blk < g->nblocks)
				used++;
			if (want == have)
				continue;
			diff++;
			if (!bad) {
				if (have)
					c->rep->leaked_blocks++;
				else
					c->rep->free_but_used++;
			}
			if (fix && !bad && diff == 1 && csf_buf_dirty(fs, b))
				return -ENOMEM;
			if (fix) {
				if (want)
					csf_set_bit8(bm->bits, j);
				else
					csf_clear_bit8(bm->bits, j);
			}
		}
		if (bad) {
			memset(bm, 0, sizeof(struct csf_blk_hdr));
			memset(bm->reserved, 0, sizeof(bm->reserved));
		}
		*free_total += nfree;
		si = (u32)csf_div_u64(bi, CSF_SUM_PER_BLOCK);
		ret = csf_buf_get(fs, g->summary_start + si, CSF_T_SUMMARY, &sb);
		if (ret == -ENOMEM)
			return ret;
		if (ret) {
			c->rep->bad_summary++;
			if (!fix)
				continue;
			sb = csf_buf_new(fs, g->summary_start + si,
					 CSF_T_SUMMARY);
			if (!sb || csf_buf_dirty(fs, sb))
				return -ENOMEM;
		}
		sum = (void *)sb->data;
		j = (u32)(bi - (u64)si * CSF_SUM_PER_BLOCK);
		if (le16_to_cpu(sum->free[j]) != nfree) {
			if (!ret)
				c->rep->bad_summary++;
			if (fix) {
				if (csf_buf_dirty(fs, sb))
					return -ENOMEM;
				sum->free[j] = cpu_to_le16((u16)nfree);
			}
		}
		if (fix && fs->ntxn * 2 > fs->max_txn) {
			ret = csf_buf_write_direct(fs);
			if (ret)
				return ret;
		}
		csf_cond_resched();
	}
	c->rep->used_blocks = used;
	return 0;
}

static void csf_heap_sift(u64 *k, u32 *v, u32 n, u32 i)
{
	for (;;) {
		u32 l = 2 * i + 1, m = i;

		if (l < n && k[l] > k[m])
			m = l;
		if (l + 1 < n && k[l + 1] > k[m])
			m = l + 1;
		if (m == i)
			return;
		swap(k[i], k[m]);
		swap(v[i], v[m]);
		i = m;
	}
}

/* Rebuild index, lists and state from the surviving records. */
static int csf_ck_rebuild(struct csf_ck *c, u64 free_blocks)
{
	struct csf_fs *fs = c->fs;
	const struct csf_geo *g = &fs->geo;
	struct csf_state *st;
	struct csf_buf *b, *sb;
	u64 *keys = NULL;
	u32 *ids = NULL, n = 0, i, id, nfree = 0, ndying = 0;
	u32 head[2] = { 0, 0 }, tail[2] = { 0, 0 }, count[2] = { 0, 0 };
	u32 free_head = 0, dying_head = 0, hwm = 1, nvol = 0;
	u64 replaced = 0;
	int ret;

	/* volumes */
	for (i = 0; i < g->volume_len; i++) {
		ret = csf_buf_get(fs, g->volume_start + i, CSF_T_VOLUME, &b);
		if (ret == -EUCLEAN) {
			b = csf_buf_new(fs, g->volume_start + i, CSF_T_VOLUME);
			if (!b || csf_buf_dirty(fs, b))
				return -ENOMEM;
			continue;
		}
		if (ret)
			return ret;
		if (((struct csf_volume *)b->data)->flags)
			nvol++;
	}
	/* index: clear every bucket */
	for (i = 0; i < g->index_len; i++) {
		b = csf_buf_new(fs, g->index_start + i, CSF_T_BUCKET);
		if (!b || csf_buf_dirty(fs, b))
			return -ENOMEM;
		if (fs->ntxn * 2 > fs->max_txn) {
			ret = csf_buf_write_direct(fs);
			if (ret)
				return ret;
		}
	}
	keys = csf_valloc(sizeof(u64) * c->hwm);
	ids = csf_valloc(sizeof(u32) * c->hwm);
	if (!keys || !ids) {
		ret = -ENOMEM;
		goto out;
	}
	/* records: discard the bad, collect the live */
	for (id = c->hwm - 1; id >= 1; id--) {
		u64 oblk = g->objtab_start + id / CSF_OBJS_PER_BLOCK;
		struct csf_obj_rec *r;

		csf_call_begin(fs);	/* clean buffers may go */
		ret = csf_rec_get(fs, id, &b, &r);
		if (ret == -EUCLEAN) {
			/* unreadable block: its records are lost */
			b = csf_buf_new(fs, oblk, CSF_T_OBJTAB);
			if (!b || csf_buf_dirty(fs, b)) {
				ret = -ENOMEM;
				goto out;
			}
			replaced = oblk;
			ret = csf_rec_get(fs, id, &b, &r);
		}
		if (!ret)
			ret = csf_buf_dirty(fs, b);
		if (ret)
			goto out;
		if (oblk == replaced && csf_ck_test(c->bad, id))
			c->rep->objects_discarded++;
		if (r->flags && csf_ck_test(c->bad, id)) {
			c->rep->objects_discarded++;
			c->rep->blocks_reclaimed += le64_to_cpu(r->nr_blocks);
			memset(r, 0, sizeof(*r));
		}
		if (r->flags && hwm == 1)
			hwm = id + 1;
		if (le16_to_cpu(r->flags) == CSF_OBJ_LIVE) {
			keys[n] = le64_to_cpu(r->atime);
			ids[n++] = id;
		} else if (le16_to_cpu(r->flags) == CSF_OBJ_DYING) {
			r->lru_prev = 0;
			r->lru_next = cpu_to_le32(dying_head);
			dying_head = id;
			ndying++;
		} else {
			r->lru_prev = 0;
			r->lru_next = 0;
		}
		if (fs->ntxn * 2 > fs->max_txn) {
			ret = csf_buf_write_direct(fs);
			if (ret)
				goto out;
		}
	}
	/* free list: slots below the new hwm, lowest first */
	for (id = hwm - 1; id >= 1; id--) {
		struct csf_obj_rec *r;

		csf_call_begin(fs);	/* clean buffers may go */
		ret = csf_rec_get(fs, id, &b, &r);
		if (!ret)
			ret = csf_buf_dirty(fs, b);
		if (ret)
			goto out;
		if (r->flags)
			continue;
		r->lru_next = cpu_to_le32(free_head);
		free_head = id;
		nfree++;
	}
	/* LRU by access stamp (heap sort), and the index */
	for (i = n / 2; i-- > 0;)
		csf_heap_sift(keys, ids, n, i);
	for (i = n; i-- > 1;) {
		swap(keys[0], keys[i]);
		swap(ids[0], ids[i]);
		csf_heap_sift(keys, ids, i, 0);
	}
	for (i = 0; i < n; i++) {
		struct csf_obj_rec *r, *t;
		bool prob;

		csf_call_begin(fs);	/* clean buffers may go */
		ret = csf_rec_get(fs, ids[i], &b, &r);
		if (!ret)
			ret = csf_buf_dirty(fs, b);
		if (ret)
			goto out;
		/* each object stays on its list (probation or protected) */
		prob = (g->incompat & CSF_FEATURE_INCOMPAT_PROBATION) &&
		       (r->oflags & CSF_OF_PROBATION);
		if (!prob)
			r->oflags &= ~CSF_OF_PROBATION;
		r->lru_prev = cpu_to_le32(tail[prob]);
		r->lru_next = 0;
		if (tail[prob]) {
			ret = csf_rec_get(fs, tail[prob], &b, &t);
			if (!ret)
				ret = csf_buf_dirty(fs, b);
			if (ret)
				goto out;
			t->lru_next = cpu_to_le32(ids[i]);
		} else {
			head[prob] = ids[i];
		}
		tail[prob] = ids[i];
		count[prob]++;
		ret = csf_rec_get(fs, ids[i], &b, &r);
		if (ret)
			goto out;
		ret = csf_index_insert(fs, le64_to_cpu(r->hash), ids[i]);
		if (ret == -ENOSPC) {
			/* cannot index it: drop it (blocks leak until rerun) */
			c->rep->objects_discarded++;
		} else if (ret) {
			goto out;
		}
		if (fs->ntxn * 2 > fs->max_txn) {
			ret = csf_buf_write_direct(fs);
			if (ret)
				goto out;
		}
	}
	sb = csf_buf_new(fs, g->state_blk, CSF_T_STATE);
	if (!sb || csf_buf_dirty(fs, sb)) {
		ret = -ENOMEM;
		goto out;
	}
	st = (void *)sb->data;
	st->free_blocks = cpu_to_le64(free_blocks);
	st->obj_hwm = cpu_to_le32(hwm);
	st->free_head = cpu_to_le32(free_head);
	st->lru_head = cpu_to_le32(head[0]);
	st->lru_tail = cpu_to_le32(tail[0]);
	st->prob_head = cpu_to_le32(head[1]);
	st->prob_tail = cpu_to_le32(tail[1]);
	st->nr_prob = cpu_to_le32(count[1]);
	st->dying_head = cpu_to_le32(dying_head);
	st->nr_live = cpu_to_le32(n);
	st->nr_dying = cpu_to_le32(ndying);
	st->nr_volumes = cpu_to_le32(nvol);
	ret = csf_buf_write_direct(fs);
out:
	csf_vfree(keys);
	csf_vfree(ids);
	return ret;
}

/*
 * csf_check - check every invariant; with CSF_CHECK_REPAIR fix what was
 * found.  Returns 0 (see rep->errors, rep->repaired) or -errno when the
 * check itself could not run.  The running transaction is committed and
 * the journal checkpointed first.
 */
static int csf_check_run(struct csf_fs *fs, u32 flags,
			 struct csf_check_report *rep)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_ck c = { .fs = fs, .rep = rep };
	struct csf_state *st;
	struct csf_buf *b;
	u64 ierr = 0, lerr = 0, free_total, i;
	struct csf_geo t;
	bool state_ok;
	int ret;

	csf_call_begin(fs);
	memset(rep, 0, sizeof(*rep));
	c.repair = flags & CSF_CHECK_REPAIR;
	if (c.repair && (fs->flags & CSF_OPEN_RDONLY))
		return -EROFS;
	if (!(fs->flags & CSF_OPEN_RDONLY)) {
		ret = csf_checkpoint(fs);
		if (ret)
			return ret;
	}
	/* superblocks */
	for (i = 0; i < 2; i++) {
		u64 blk = i ? g->nblocks - 1 : 0;

		ret = fs->dev.ops->read(fs->dev.priv, blk, 1, fs->scratch);
		if (ret)
			return ret;
		if (csf_sb_decode(fs->scratch, blk, fs->dev.nblocks, &t) ||
		    memcmp(t.uuid, g->uuid, 16) || t.nblocks != g->nblocks) {
			rep->bad_super++;
			if (c.repair) {
				csf_sb_encode(g, fs->scratch, blk);
				ret = fs->dev.ops->write(fs->dev.priv, blk, 1,
							 fs->scratch);
				if (ret)
					return ret;
			}
		}
	}
	st = csf_zalloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	ret = csf_buf_get(fs, g->state_blk, CSF_T_STATE, &b);
	if (ret == -ENOMEM)
		goto out;
	state_ok = !ret;
	if (state_ok) {
		memcpy(st, b->data, sizeof(*st));
		c.hwm = le32_to_cpu(st->obj_hwm);
	} else {
		rep->bad_state++;
		c.hwm = g->max_objects;
	}
	for (i = 0; i < g->volume_len; i++) {
		ret = csf_buf_get(fs, g->volume_start + i, CSF_T_VOLUME, &b);
		if (ret == -ENOMEM)
			goto out;
		if (ret)
			rep->bad_volumes++;
	}
	c.owned = csf_bits_alloc(g->nblocks);
	c.dup = csf_bits_alloc(g->nblocks);
	c.bad = csf_bits_alloc(g->max_objects);
	c.seen = csf_bits_alloc(g->max_objects);
	if (!c.owned || !c.dup || !c.bad || !c.seen) {
		ret = -ENOMEM;
		goto out;
	}
	ret = csf_ck_objects(&c, true);
	if (!ret && rep->dup_blocks == 0) {
		/* second pass only needed when a block was claimed twice */
		for (i = 0; i < (g->nblocks + 7) / 8; i++)
			if (c.dup[i])
				break;
		if (i < (g->nblocks + 7) / 8)
			ret = csf_ck_objects(&c, false);
	}
	if (ret)
		goto out;
	/* the owned set of the survivors */
	memset(c.owned, 0, (size_t)((g->nblocks + 7) / 8));
	memset(c.dup, 0, (size_t)((g->nblocks + 7) / 8));
	ret = csf_ck_objects(&c, true);
	if (ret)
		goto out;
	ret = csf_ck_index(&c, &ierr);
	if (ret)
		goto out;
	rep->index_errors = ierr;
	if (state_ok) {
		ret = csf_ck_lists(&c, st, &lerr);
		if (ret)
			goto out;
	}
	rep->list_errors = lerr;
	ret = csf_ck_bitmap(&c, c.repair, &free_total);
	if (ret)
		goto out;
	if (state_ok && le64_to_cpu(st->free_blocks) != free_total)
		rep->bad_state++;
	rep->errors = rep->bad_super + rep->bad_state + rep->bad_summary +
		      rep->bad_bitmap + rep->bad_volumes + rep->bad_objects +
		      rep->index_errors + rep->list_errors +
		      rep->leaked_blocks + rep->free_but_used +
		      rep->out_of_range;
	if (c.repair && rep->errors) {
		/* records are discarded: count volume references again */
		fs->vol_refs_ok = false;
		ret = csf_buf_write_direct(fs);
		if (!ret)
			ret = csf_ck_rebuild(&c, free_total);
		if (!ret)
			ret = csf_journal_reset(fs);
		if (!ret)
			rep->repaired = true;
	}
out:
	csf_vfree(c.owned);
	csf_vfree(c.dup);
	csf_vfree(c.bad);
	csf_vfree(c.seen);
	csf_free(st);
	return ret;
}

/*
 * csf_check - the object cache is dropped before and after: a repair
 * rewrites records (some of them without the journal).
 */
int csf_check(struct csf_fs *fs, u32 flags, struct csf_check_report *rep)
{
	int ret;

	csf_oc_clear(fs);
	ret = csf_check_run(fs, flags, rep);
	csf_oc_clear(fs);
	return ret;
}
