// SPDX-License-Identifier: GPL-2.0
/*
 * csf_object.c - object records, the per-object map tree (granule entries
 * carrying both the block run and the page content mask), the LRU, the
 * free-slot and dying lists.
 */
#include "csf.h"

#define CSF_TRIM_DIRECT	32	/* truncates freeing more runs use a clone */

/*
 * Room in the pending-free lists for freeing up to @runs granule runs
 * (plus a partial one) and the map blocks that empty with them, reserved
 * before an operation changes anything so that a free cannot fail half
 * way (see csf_pending_reserve()).
 */
static int csf_reserve_frees(struct csf_fs *fs, u32 runs)
{
	int ret = csf_pending_reserve(&fs->pend_txn, runs + 1);

	if (!ret)
		ret = csf_pending_reserve(&fs->pend_meta,
					  2 * runs + 2 * CSF_MAX_DEPTH);
	return ret;
}

static int csf_state_get(struct csf_fs *fs, struct csf_buf **bp,
			 struct csf_state **sp, bool dirty)
{
	int ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, bp);

	if (!ret && dirty)
		ret = csf_buf_dirty(fs, *bp);
	if (!ret)
		*sp = (void *)(*bp)->data;
	return ret;
}

int csf_rec_get(struct csf_fs *fs, u32 objid, struct csf_buf **bp,
		struct csf_obj_rec **rp)
{
	u32 blk = objid / CSF_OBJS_PER_BLOCK;
	int ret;

	if (!objid || objid >= fs->geo.max_objects)
		return -EINVAL;
	ret = csf_buf_get(fs, fs->geo.objtab_start + blk, CSF_T_OBJTAB, bp);
	if (!ret)
		*rp = &((struct csf_objtab *)(*bp)->data)->rec[objid %
							      CSF_OBJS_PER_BLOCK];
	return ret;
}

static int csf_rec_get_dirty(struct csf_fs *fs, u32 objid,
			     struct csf_buf **bp, struct csf_obj_rec **rp)
{
	int ret = csf_rec_get(fs, objid, bp, rp);

	if (!ret)
		ret = csf_buf_dirty(fs, *bp);
	return ret;
}

/* The live record @objid of generation @gen, or -ESTALE. */
static int csf_live_get(struct csf_fs *fs, u32 objid, u32 gen,
			struct csf_buf **bp, struct csf_obj_rec **rp)
{
	int ret = csf_rec_get(fs, objid, bp, rp);

	if (ret)
		return ret;
	if (le16_to_cpu((*rp)->flags) != CSF_OBJ_LIVE ||
	    le32_to_cpu((*rp)->gen) != gen)
		return -ESTALE;
	return 0;
}

static u32 csf_next_gen(u32 gen)
{
	return gen + 1 ? gen + 1 : 1;
}

/* ---- map tree ---- */

static u64 csf_span(const struct csf_geo *g, u32 level)
{
	u64 s = g->leaf_ents;

	while (level--)
		s *= CSF_MAPIDX_PTRS;
	return s;
}

static u64 csf_capacity(const struct csf_geo *g, u32 depth)
{
	return depth ? CSF_ROOT_PTRS * csf_span(g, depth - 1) : g->inline_ents;
}

static inline __le64 *csf_root_ptrs(struct csf_obj_rec *r)
{
	return (__le64 *)r->root;
}

static inline u8 *csf_leaf_ent(const struct csf_geo *g, u8 *blk, u64 i)
{
	return blk + CSF_MAP_HDR_SIZE + i * g->ent_size;
}

static inline __le64 *csf_idx_ptrs(u8 *blk)
{
	return (__le64 *)(blk + CSF_MAP_HDR_SIZE);
}

static u64 csf_divrem(u64 a, u64 b, u64 *rem)
{
	u64 q = csf_div_u64(a, (u32)b);

	*rem = a - q * b;
	return q;
}

static int csf_map_blk_get(struct csf_fs *fs, u64 blk, u32 level, u64 first,
			   struct csf_buf **bp)
{
	const struct csf_map_hdr *m;
	int ret;

	ret = csf_buf_get(fs, blk, level ? CSF_T_MAPINDEX : CSF_T_MAPLEAF, bp);
	if (ret)
		return ret;
	m = (const void *)(*bp)->data;
	if (m->level != level || le32_to_cpu(m->first) != first)
		return -EUCLEAN;
	return 0;
}

/*
 * Find the entry of granule @gi.  With @mod the path is created (and the
 * tree deepened) as needed and every block on it is dirtied; the record's
 * buffer must already be dirty.  Without, *ent is NULL for a hole.
 */
static int csf_map_find(struct csf_fs *fs, struct csf_obj_rec *r, u64 gi,
			bool mod, u8 **ent);

static int csf_map_newblk(struct csf_fs *fs, struct csf_obj_rec *r, u32 level,
			  u64 first, struct csf_buf **bp)
{
	struct csf_map_hdr *m;
	u64 blk;
	u32 got;
	int ret;

	ret = csf_alloc_run(fs, 0, 1, 1, true, &blk, &got);
	if (ret)
		return ret;
	*bp = csf_buf_new(fs, blk, level ? CSF_T_MAPINDEX : CSF_T_MAPLEAF);
	if (!*bp)
		return -ENOMEM;
	ret = csf_buf_dirty(fs, *bp);
	if (ret)
		return ret;
	m = (void *)(*bp)->data;
	m->first = cpu_to_le32((u32)first);
	m->level = (u8)level;
	r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) + 1);
	return 0;
}

static int csf_map_grow(struct csf_fs *fs, struct csf_obj_rec *r)
{
	struct csf_buf *b;
	int ret;

	if (r->depth >= CSF_MAX_DEPTH)
		return -EFBIG;
	ret = csf_map_newblk(fs, r, r->depth, 0, &b);
	if (ret)
		return ret;
	if (!r->depth)
		memcpy(csf_leaf_ent(&fs->geo, b->data, 0), r->root,
		       fs->geo.inline_ents * fs->geo.ent_size);
	else
		memcpy(csf_idx_ptrs(b->data), r->root, CSF_ROOT_SIZE);
	memset(r->root, 0, CSF_ROOT_SIZE);
	csf_root_ptrs(r)[0] = cpu_to_le64(b->blkno);
	r->depth++;
	return 0;
}

static int csf_map_find(struct csf_fs *fs, struct csf_obj_rec *r, u64 gi,
			bool mod, u8 **ent)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_buf *b;
	__le64 *slot;
	u64 sp, idx, first, ptr;
	u32 level;
	int ret;

	*ent = NULL;
	if (gi >= CSF_MAX_FILE_PAGES / g->ppg)
		return -EFBIG;
	while (gi >= csf_capacity(g, r->depth)) {
		if (!mod)
			return 0;
		ret = csf_map_grow(fs, r);
		if (ret)
			return ret;
	}
	if (!r->depth) {
		*ent = r->root + gi * g->ent_size;
		return 0;
	}
	level = r->depth - 1;
	sp = csf_span(g, level);
	idx = csf_divrem(gi, sp, &gi);
	first = idx * sp;
	slot = &csf_root_ptrs(r)[idx];
	for (;;) {
		ptr = le64_to_cpu(*slot);
		if (!ptr) {
			if (!mod)
				return 0;
			ret = csf_map_newblk(fs, r, level, first, &b);
			if (ret)
				return ret;
			*slot = cpu_to_le64(b->blkno);
		} else {
			ret = csf_map_blk_get(fs, ptr, level, first, &b);
			if (!ret && mod)
				ret = csf_buf_dirty(fs, b);
			if (ret)
				return ret;
		}
		if (!level) {
			*ent = csf_leaf_ent(g, b->data, gi);
			return 0;
		}
		level--;
		sp = csf_span(g, level);
		idx = csf_divrem(gi, sp, &gi);
		first += idx * sp;
		slot = &csf_idx_ptrs(b->data)[idx];
	}
}

/* Entry accessors. */
static inline u64 csf_ent_pblk(const u8 *e)
{
	return le64_to_cpu(((const struct csf_gran_ent *)e)->pblk);
}

static inline u32 csf_ent_alloc(const u8 *e)
{
	return le16_to_cpu(((const struct csf_gran_ent *)e)->alloc);
}

static inline u8 *csf_ent_mask(u8 *e)
{
	return ((struct csf_gran_ent *)e)->mask;
}

static void csf_ent_update_full(const struct csf_geo *g, u8 *e)
{
	struct csf_gran_ent *ge = (void *)e;
	u32 j;

	for (j = 0; j < g->ppg; j++)
		if (!csf_test_bit8(ge->mask, j))
			break;
	ge->flags = cpu_to_le16(j == g->ppg ? CSF_GRAN_FULL : 0);
}

/*
 * Free granule entries at granules >= @from, at most *@budget runs.  Map
 * blocks that end up empty are freed.  Returns 0 and sets *@empty when the
 * subtree at @blk has no entries left.
 */
static int csf_free_node(struct csf_fs *fs, struct csf_obj_rec *r, u64 blk,
			 u32 level, u64 first, u64 from, u32 *budget,
			 bool *empty)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_buf *b;
	u64 sp = level ? csf_span(g, level - 1) : 1;
	u32 i, n = level ? CSF_MAPIDX_PTRS : g->leaf_ents;
	bool all = true;
	int ret;

	*empty = false;
	if (first + sp * n <= from)
		return 0;
	for (i = 0; i < n; i++) {
		u64 cf = first + i * sp;

		ret = csf_map_blk_get(fs, blk, level, first, &b);
		if (ret)
			return ret;
		if (!level) {
			u8 *e = csf_leaf_ent(g, b->data, i);

			if (!csf_ent_pblk(e))
				continue;
			if (cf < from || !*budget) {
				all = false;
				continue;
			}
			ret = csf_buf_dirty(fs, b);
			if (!ret)
				ret = csf_free_run(fs, csf_ent_pblk(e),
						   csf_ent_alloc(e), false);
			if (ret)
				return ret;
			r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) -
						   csf_ent_alloc(e));
			memset(e, 0, g->ent_size);
			(*budget)--;
		} else {
			u64 c = le64_to_cpu(csf_idx_ptrs(b->data)[i]);
			bool ce;

			if (!c)
				continue;
			ret = csf_free_node(fs, r, c, level - 1, cf, from,
					    budget, &ce);
			if (ret)
				return ret;
			if (!ce) {
				all = false;
				continue;
			}
			ret = csf_map_blk_get(fs, blk, level, first, &b);
			if (!ret)
				ret = csf_buf_dirty(fs, b);
			if (!ret)
				ret = csf_free_run(fs, c, 1, true);
			if (ret)
				return ret;
			r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) - 1);
			csf_idx_ptrs(b->data)[i] = 0;
		}
	}
	*empty = all;
	return 0;
}

/*
 * Free a record's entries at granules >= @from (record buffer dirty).
 * Returns 0 with *@empty true when the whole map is now empty.
 */
static int csf_map_free(struct csf_fs *fs, struct csf_obj_rec *r, u64 from,
			u32 *budget, bool *empty)
{
	const struct csf_geo *g = &fs->geo;
	u64 sp;
	u32 i;
	bool all = true, ce;
	int ret;

	*empty = false;
	if (!r->depth) {
		for (i = 0; i < g->inline_ents; i++) {
			u8 *e = r->root + i * g->ent_size;

			if (!csf_ent_pblk(e))
				continue;
			if (i < from || !*budget) {
				all = false;
				continue;
			}
			ret = csf_free_run(fs, csf_ent_pblk(e), csf_ent_alloc(e),
					   false);
			if (ret)
				return ret;
			r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) -
						   csf_ent_alloc(e));
			memset(e, 0, g->ent_size);
			(*budget)--;
		}
		*empty = all;
		return 0;
	}
	sp = csf_span(g, r->depth - 1);
	for (i = 0; i < CSF_ROOT_PTRS; i++) {
		u64 c = le64_to_cpu(csf_root_ptrs(r)[i]);

		if (!c)
			continue;
		ret = csf_free_node(fs, r, c, r->depth - 1, i * sp, from,
				    budget, &ce);
		if (ret)
			return ret;
		if (!ce) {
			all = false;
			continue;
		}
		ret = csf_free_run(fs, c, 1, true);
		if (ret)
			return ret;
		r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) - 1);
		csf_root_ptrs(r)[i] = 0;
	}
	if (all) {
		r->depth = 0;
		memset(r->root, 0, CSF_ROOT_SIZE);
	}
	*empty = all;
	return 0;
}

struct csf_walk {
	struct csf_fs *fs;
	csf_run_fn_t fn;
	void *priv;
};

static int csf_walk_node(struct csf_walk *w, u64 blk, u32 level, u64 first)
{
	const struct csf_geo *g = &w->fs->geo;
	struct csf_buf *b;
	u64 sp = level ? csf_span(g, level - 1) : 1;
	u32 i, n = level ? CSF_MAPIDX_PTRS : g->leaf_ents;
	int ret;

	ret = w->fn(w->priv, first, blk, 1, true, NULL);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		u8 *e;
		u64 c;

		ret = csf_map_blk_get(w->fs, blk, level, first, &b);
		if (ret)
			return ret;
		if (!level) {
			e = csf_leaf_ent(g, b->data, i);
			if (!csf_ent_pblk(e))
				continue;
			ret = w->fn(w->priv, first + i, csf_ent_pblk(e),
				    csf_ent_alloc(e), false, e);
		} else {
			c = le64_to_cpu(csf_idx_ptrs(b->data)[i]);
			if (!c)
				continue;
			ret = csf_walk_node(w, c, level - 1, first + i * sp);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * csf_obj_walk_runs - call @fn for each map block (@meta true, len 1)
 * and each granule run of record @r, stopping at the first non-zero.
 * The record must stay in memory (copy it first if in doubt).
 */
int csf_obj_walk_runs(struct csf_fs *fs, const struct csf_obj_rec *r,
		      csf_run_fn_t fn, void *priv)
{
	struct csf_walk w = { .fs = fs, .fn = fn, .priv = priv };
	const struct csf_geo *g = &fs->geo;
	u32 i;
	int ret;

	if (!r->depth) {
		for (i = 0; i < g->inline_ents; i++) {
			const u8 *e = r->root + i * g->ent_size;

			if (!csf_ent_pblk(e))
				continue;
			ret = fn(priv, i, csf_ent_pblk(e), csf_ent_alloc(e),
				 false, e);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < CSF_ROOT_PTRS; i++) {
		u64 c = le64_to_cpu(((const __le64 *)r->root)[i]);

		if (!c)
			continue;
		ret = csf_walk_node(&w, c, r->depth - 1,
				    i * csf_span(g, r->depth - 1));
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- lists ---- */

/*
 * Live objects are on one of two LRU lists (feature PROBATION): an object
 * starts on probation and moves to the protected list the first time the
 * cache serves a read from it (csf_obj_promote()).  Culling takes victims
 * from probation, and from the protected list only while that holds more
 * than its share of the data space or of the object slots
 * (fs->protect_pct), or when probation is
 * empty: one pass over data that is never read back from the cache (a
 * stream, a scan of a tree) churns probation and leaves the objects that
 * are read again in place.  Without the feature there is only the
 * protected list.
 */
static inline bool csf_on_probation(const struct csf_obj_rec *r)
{
	return r->oflags & CSF_OF_PROBATION;
}

static inline __le32 *csf_lru_headp(struct csf_state *st, bool prob)
{
	return prob ? &st->prob_head : &st->lru_head;
}

static inline __le32 *csf_lru_tailp(struct csf_state *st, bool prob)
{
	return prob ? &st->prob_tail : &st->lru_tail;
}

/* Take @r off its list (the one CSF_OF_PROBATION names). */
static int csf_lru_unlink(struct csf_fs *fs, struct csf_state *st, u32 id,
			  struct csf_obj_rec *r)
{
	u32 prev = le32_to_cpu(r->lru_prev), next = le32_to_cpu(r->lru_next);
	__le32 *head = csf_lru_headp(st, csf_on_probation(r));
	__le32 *tail = csf_lru_tailp(st, csf_on_probation(r));
	struct csf_obj_rec *o;
	struct csf_buf *b;
	int ret;

	if (prev) {
		ret = csf_rec_get_dirty(fs, prev, &b, &o);
		if (ret)
			return ret;
		o->lru_next = cpu_to_le32(next);
	} else {
		if (le32_to_cpu(*head) != id)
			return -EUCLEAN;
		*head = cpu_to_le32(next);
	}
	if (next) {
		ret = csf_rec_get_dirty(fs, next, &b, &o);
		if (ret)
			return ret;
		o->lru_prev = cpu_to_le32(prev);
	} else {
		if (le32_to_cpu(*tail) != id)
			return -EUCLEAN;
		*tail = cpu_to_le32(prev);
	}
	r->lru_prev = 0;
	r->lru_next = 0;
	if (csf_on_probation(r)) {
		if (!st->nr_prob)
			return -EUCLEAN;
		st->nr_prob = cpu_to_le32(le32_to_cpu(st->nr_prob) - 1);
	}
	return 0;
}

/* Put @r at the tail of the list CSF_OF_PROBATION names. */
static int csf_lru_add_tail(struct csf_fs *fs, struct csf_state *st, u32 id,
			    struct csf_obj_rec *r)
{
	__le32 *headp = csf_lru_headp(st, csf_on_probation(r));
	__le32 *tailp = csf_lru_tailp(st, csf_on_probation(r));
	u32 tail = le32_to_cpu(*tailp);
	struct csf_obj_rec *o;
	struct csf_buf *b;
	int ret;

	r->lru_prev = cpu_to_le32(tail);
	r->lru_next = 0;
	if (tail) {
		ret = csf_rec_get_dirty(fs, tail, &b, &o);
		if (ret)
			return ret;
		o->lru_next = cpu_to_le32(id);
	} else {
		*headp = cpu_to_le32(id);
	}
	*tailp = cpu_to_le32(id);
	if (csf_on_probation(r))
		st->nr_prob = cpu_to_le32(le32_to_cpu(st->nr_prob) + 1);
	return 0;
}

/* Take a slot from the free list or above the high-water mark. */
static int csf_slot_peek(struct csf_fs *fs, struct csf_state *st, u32 *id)
{
	u32 hwm = le32_to_cpu(st->obj_hwm);

	if (st->free_head) {
		*id = le32_to_cpu(st->free_head);
		return 0;
	}
	if (hwm >= fs->geo.max_objects)
		return -ENOSPC;
	*id = hwm;
	return 0;
}

static int csf_slot_take(struct csf_fs *fs, struct csf_state *st, u32 id,
			 struct csf_obj_rec *r)
{
	if (st->free_head) {
		if (le32_to_cpu(st->free_head) != id || r->flags)
			return -EUCLEAN;
		st->free_head = r->lru_next;
	} else {
		st->obj_hwm = cpu_to_le32(id + 1);
	}
	r->lru_next = 0;
	return 0;
}

static void csf_slot_release(struct csf_fs *fs, struct csf_state *st,
			     u32 id, struct csf_obj_rec *r)
{
	__le32 gen = r->gen;

	csf_vol_ref(fs, le32_to_cpu(r->vol_id), false);

	memset(r, 0, sizeof(*r));
	r->gen = gen;
	r->lru_next = st->free_head;
	st->free_head = cpu_to_le32(id);
}

/*
 * The record of slot @id, which csf_slot_peek() chose, dirty.  A block
 * wholly at or above the high-water mark holds no slot in use, and
 * csf_check() does not read it: unless it is in the buffer cache, it is
 * started afresh, not read.  A cold fill would otherwise wait for a read of
 * a block of zeros every CSF_OBJS_PER_BLOCK creates, and a block left
 * damaged by a repair that lowered the mark and was interrupted before it
 * rewrote the block would fail every create from now on.
 */
static int csf_slot_rec(struct csf_fs *fs, struct csf_state *st, u32 id,
			struct csf_buf **bp, struct csf_obj_rec **rp)
{
	u64 blk = fs->geo.objtab_start + id / CSF_OBJS_PER_BLOCK;
	/* the first usable slot of its block (slot 0 is never used) */
	bool fresh = !st->free_head && id == le32_to_cpu(st->obj_hwm) &&
		     id == max_t(u32, 1, id - id % CSF_OBJS_PER_BLOCK);
	int ret;

	if (!fresh || csf_buf_cached(fs, blk)) {
		ret = csf_rec_get_dirty(fs, id, bp, rp);
		if (ret != -EUCLEAN || !fresh)
			return ret;
	}
	*bp = csf_buf_new(fs, blk, CSF_T_OBJTAB);
	if (!*bp)
		return -ENOMEM;
	ret = csf_buf_dirty(fs, *bp);
	if (!ret)
		*rp = &((struct csf_objtab *)(*bp)->data)->rec[id %
							      CSF_OBJS_PER_BLOCK];
	return ret;
}

/*
 * Move the map of @r to a new dying record so that its storage is freed
 * by csf_reclaim() in bounded steps; @r is left with an empty map.
 */
static int csf_clone_to_dying(struct csf_fs *fs, struct csf_state *st,
			      struct csf_obj_rec *r)
{
	struct csf_obj_rec *d;
	struct csf_buf *b;
	u32 id;
	int ret;

	if (!r->depth && !r->nr_blocks)
		return 0;
	ret = csf_slot_peek(fs, st, &id);
	if (!ret)
		ret = csf_slot_rec(fs, st, id, &b, &d);
	if (!ret)
		ret = csf_slot_take(fs, st, id, d);
	if (ret)
		return ret;
	d->gen = cpu_to_le32(csf_next_gen(le32_to_cpu(d->gen)));
	d->flags = cpu_to_le16(CSF_OBJ_DYING);
	d->vol_id = r->vol_id;
	csf_vol_ref(fs, le32_to_cpu(d->vol_id), true);
	d->depth = r->depth;
	d->nr_blocks = r->nr_blocks;
	memcpy(d->root, r->root, CSF_ROOT_SIZE);
	d->lru_next = st->dying_head;
	st->dying_head = cpu_to_le32(id);
	st->nr_dying = cpu_to_le32(le32_to_cpu(st->nr_dying) + 1);
	r->depth = 0;
	r->nr_blocks = 0;
	memset(r->root, 0, CSF_ROOT_SIZE);
	return 0;
}

/* ---- public object API ---- */

struct csf_find {
	struct csf_fs *fs;
	u32 vid, len, objid, gen;
	const void *key;
	int err;
};

static int csf_find_cb(void *priv, u32 objid, u32 probe)
{
	struct csf_find *f = priv;
	struct csf_obj_rec *r;
	struct csf_buf *b;
	int ret = csf_rec_get(f->fs, objid, &b, &r);

	if (ret)
		return ret;
	if (le16_to_cpu(r->flags) != CSF_OBJ_LIVE ||
	    le32_to_cpu(r->vol_id) != f->vid || r->key_len != f->len ||
	    memcmp(r->key, f->key, f->len))
		return 0;
	f->objid = objid;
	f->gen = le32_to_cpu(r->gen);
	csf_oc_fill(f->fs, objid, b, r);
	return 1;
}

static int csf_obj_hash(struct csf_fs *fs, u32 vid, const void *key, u32 len,
			u64 *hash)
{
	char vkey[CSF_MAX_VOLKEY];
	u32 vlen;
	int ret;

	if (!len || len > CSF_MAX_KEY)
		return -EINVAL;
	ret = csf_vol_read(fs, vid, vkey, &vlen, NULL, NULL);
	if (ret)
		return ret;
	*hash = csf_key_hash(fs, (u8 *)vkey, vlen, key, len);
	return 0;
}

static int csf_obj_find(struct csf_fs *fs, u32 vid, const void *key, u32 len,
			u32 *objid, u32 *gen)
{
	struct csf_find f = { .fs = fs, .vid = vid, .len = len, .key = key };
	u64 hash;
	int ret;

	ret = csf_obj_hash(fs, vid, key, len, &hash);
	if (ret)
		return ret;
	if (csf_oc_lookup(fs, hash, vid, key, len, objid, gen))
		return 0;
	ret = csf_index_iter(fs, hash, csf_find_cb, &f);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	*objid = f.objid;
	*gen = f.gen;
	return 0;
}

int csf_obj_lookup(struct csf_fs *fs, u32 vid, const void *key, u32 len,
		   u32 *objid, u32 *gen)
{
	csf_call_begin(fs);
	return csf_obj_find(fs, vid, key, len, objid, gen);
}

int csf_obj_create(struct csf_fs *fs, u32 vid, const void *key, u32 len,
		   const void *aux, u32 aux_len, u64 size, u64 stamp,
		   u32 *objid, u32 *gen)
{
	struct csf_buf *sb, *rb;
	struct csf_state *st;
	struct csf_obj_rec *r;
	u64 hash;
	u32 id, g;
	int ret;

	csf_call_begin(fs);
	if (aux_len > CSF_MAX_AUX || size > CSF_MAX_FILE_PAGES << CSF_BLOCK_SHIFT)
		return -EINVAL;
	ret = csf_obj_find(fs, vid, key, len, &id, &g);
	if (!ret)
		return -EEXIST;
	if (ret != -ENOENT)
		return ret;
	ret = csf_vol_live(fs, vid);	/* not in a retired volume */
	if (!ret)
		ret = csf_obj_hash(fs, vid, key, len, &hash);
	if (!ret)
		ret = csf_op_begin(fs, 8);
	if (!ret)
		ret = csf_state_get(fs, &sb, &st, true);
	if (!ret)
		ret = csf_slot_peek(fs, st, &id);
	if (!ret)
		ret = csf_slot_rec(fs, st, id, &rb, &r);
	if (ret)
		return ret;
	ret = csf_index_insert(fs, hash, id);
	if (ret)
		return ret;
	ret = csf_slot_take(fs, st, id, r);
	if (ret)
		return ret;
	g = csf_next_gen(le32_to_cpu(r->gen));
	memset(r, 0, sizeof(*r));
	r->gen = cpu_to_le32(g);
	r->vol_id = cpu_to_le32(vid);
	r->flags = cpu_to_le16(CSF_OBJ_LIVE);
	r->key_len = (u8)len;
	memcpy(r->key, key, len);
	r->aux_len = (u8)aux_len;
	if (aux_len)
		memcpy(r->aux, aux, aux_len);
	r->size = cpu_to_le64(size);
	r->atime = cpu_to_le64(stamp);
	r->hash = cpu_to_le64(hash);
	if (fs->geo.incompat & CSF_FEATURE_INCOMPAT_PROBATION)
		r->oflags = CSF_OF_PROBATION;
	ret = csf_lru_add_tail(fs, st, id, r);
	if (ret)
		return ret;
	st->nr_live = cpu_to_le32(le32_to_cpu(st->nr_live) + 1);
	csf_vol_ref(fs, vid, true);
	*objid = id;
	*gen = g;
	return 0;
}

int csf_obj_get(struct csf_fs *fs, u32 objid, struct csf_obj_info *info)
{
	struct csf_obj_rec *r;
	struct csf_buf *b;
	int ret;

	csf_call_begin(fs);
	if (csf_oc_get(fs, objid, info))
		return 0;
	ret = csf_rec_get(fs, objid, &b, &r);
	if (ret)
		return ret;
	if (!r->flags)
		return -ENOENT;
	csf_oc_fill(fs, objid, b, r);
	info->gen = le32_to_cpu(r->gen);
	info->vol_id = le32_to_cpu(r->vol_id);
	info->flags = le16_to_cpu(r->flags);
	info->dirty = r->oflags & CSF_OF_DIRTY;
	info->probation = csf_on_probation(r);
	info->key_len = r->key_len;
	info->aux_len = r->aux_len;
	info->size = le64_to_cpu(r->size);
	info->atime = le64_to_cpu(r->atime);
	info->nr_blocks = le64_to_cpu(r->nr_blocks);
	memcpy(info->key, r->key, CSF_MAX_KEY);
	memcpy(info->aux, r->aux, CSF_MAX_AUX);
	return 0;
}

int csf_obj_set_aux(struct csf_fs *fs, u32 objid, u32 gen,
		    const void *aux, u32 len)
{
	struct csf_obj_rec *r;
	struct csf_buf *b;
	int ret;

	csf_call_begin(fs);
	if (len > CSF_MAX_AUX)
		return -EINVAL;
	/*
	 * The netfs gives its aux data back at every relinquish, mostly
	 * unchanged: then nothing is dirtied, and nothing journalled, and
	 * the object cache mostly tells so without reading the record.
	 */
	if (csf_oc_has_aux(fs, objid, gen, aux, len))
		return 0;
	ret = csf_live_get(fs, objid, gen, &b, &r);
	if (ret)
		return ret;
	csf_oc_fill(fs, objid, b, r);
	if (r->aux_len == len && (!len || !memcmp(r->aux, aux, len)))
		return 0;
	ret = csf_op_begin(fs, 1);
	if (!ret)
		ret = csf_live_get(fs, objid, gen, &b, &r);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (ret)
		return ret;
	memset(r->aux, 0, sizeof(r->aux));
	if (len)
		memcpy(r->aux, aux, len);
	r->aux_len = (u8)len;
	return 0;
}

static u64 csf_pages(u64 size)
{
	return (size + CSF_BLOCK_SIZE - 1) >> CSF_BLOCK_SHIFT;
}

struct csf_count {
	u64 from;
	u32 n;
};

static int csf_count_cb(void *priv, u64 gi, u64 pblk, u32 len, bool meta,
			const u8 *ent)
{
	struct csf_count *c = priv;

	if (!meta && gi >= c->from)
		c->n++;
	return c->n > CSF_TRIM_DIRECT ? 1 : 0;
}

/*
 * Shrink the map of @r to @size: clear page bits and free blocks past it.
 * Large truncations move the whole map to a dying record instead (the
 * object then keeps no content; it is a cache).
 */
static int csf_trim(struct csf_fs *fs, struct csf_state *st,
		    struct csf_obj_rec *r, u64 size)
{
	const struct csf_geo *g = &fs->geo;
	u64 pages = csf_pages(size), gb, rem;
	struct csf_count c;
	u32 budget = CSF_TRIM_DIRECT, j, alloc;
	bool empty;
	u8 *e;
	int ret;

	gb = csf_divrem(pages, g->ppg, &rem);
	c.from = gb;
	c.n = 0;
	ret = csf_obj_walk_runs(fs, r, csf_count_cb, &c);
	if (ret < 0)
		return ret;
	if (c.n > CSF_TRIM_DIRECT)
		return csf_clone_to_dying(fs, st, r);
	if (rem) {
		ret = csf_map_find(fs, r, gb, false, &e);
		if (ret)
			return ret;
		if (e && csf_ent_pblk(e)) {
			ret = csf_map_find(fs, r, gb, true, &e);
			if (ret)
				return ret;
			for (j = (u32)rem; j < g->ppg; j++)
				csf_clear_bit8(csf_ent_mask(e), j);
			csf_ent_update_full(g, e);
			alloc = csf_ent_alloc(e);
			if (alloc > rem) {
				ret = csf_free_run(fs, csf_ent_pblk(e) + rem,
						   alloc - (u32)rem, false);
				if (ret)
					return ret;
				((struct csf_gran_ent *)e)->alloc =
					cpu_to_le16((u16)rem);
				r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks)
							   - (alloc - rem));
			}
		}
		gb++;
	}
	return csf_map_free(fs, r, gb, &budget, &empty);
}

int csf_obj_resize(struct csf_fs *fs, u32 objid, u32 gen, u64 size)
{
	struct csf_buf *b, *sb;
	struct csf_state *st;
	struct csf_obj_rec *r;
	int ret;

	csf_call_begin(fs);
	if (size > CSF_MAX_FILE_PAGES << CSF_BLOCK_SHIFT)
		return -EINVAL;
	/* the same size (a relinquish records it every time): nothing to do */
	if (csf_oc_has_size(fs, objid, gen, size))
		return 0;
	ret = csf_live_get(fs, objid, gen, &b, &r);
	if (ret)
		return ret;
	csf_oc_fill(fs, objid, b, r);
	if (le64_to_cpu(r->size) == size)
		return 0;
	ret = csf_op_begin(fs, 8 + CSF_TRIM_DIRECT * 4);
	if (!ret)
		ret = csf_reserve_frees(fs, CSF_TRIM_DIRECT);
	if (!ret)
		ret = csf_live_get(fs, objid, gen, &b, &r);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (!ret)
		ret = csf_state_get(fs, &sb, &st, true);
	if (ret)
		return ret;
	if (size < le64_to_cpu(r->size)) {
		ret = csf_trim(fs, st, r, size);
		if (ret)
			return ret;
	}
	r->size = cpu_to_le64(size);
	return 0;
}

int csf_obj_invalidate(struct csf_fs *fs, u32 objid, u32 gen,
		       const void *aux, u32 aux_len, u64 size, u32 *newgen)
{
	struct csf_buf *b, *sb;
	struct csf_state *st;
	struct csf_obj_rec *r;
	u32 g;
	int ret;

	csf_call_begin(fs);
	if (aux_len > CSF_MAX_AUX || size > CSF_MAX_FILE_PAGES << CSF_BLOCK_SHIFT)
		return -EINVAL;
	ret = csf_op_begin(fs, 8);
	if (!ret)
		ret = csf_live_get(fs, objid, gen, &b, &r);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (!ret)
		ret = csf_state_get(fs, &sb, &st, true);
	if (!ret)
		ret = csf_clone_to_dying(fs, st, r);
	if (ret)
		return ret;
	g = csf_next_gen(gen);
	r->gen = cpu_to_le32(g);
	memset(r->aux, 0, sizeof(r->aux));
	if (aux_len)
		memcpy(r->aux, aux, aux_len);
	r->aux_len = (u8)aux_len;
	r->size = cpu_to_le64(size);
	r->oflags &= CSF_OF_PROBATION;	/* clean; it stays on its list */
	*newgen = g;
	return 0;
}

int csf_obj_delete(struct csf_fs *fs, u32 objid, u32 gen)
{
	struct csf_buf *b, *sb, *nb;
	struct csf_state *st;
	struct csf_obj_rec *r, *nr;
	int ret;

	csf_call_begin(fs);
	ret = csf_op_begin(fs, 10);
	if (!ret)
		ret = csf_live_get(fs, objid, gen, &b, &r);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (!ret)
		ret = csf_state_get(fs, &sb, &st, true);
	/* dirty the LRU neighbours first: only corruption fails after this */
	if (!ret && r->lru_prev)
		ret = csf_rec_get_dirty(fs, le32_to_cpu(r->lru_prev), &nb, &nr);
	if (!ret && r->lru_next)
		ret = csf_rec_get_dirty(fs, le32_to_cpu(r->lru_next), &nb, &nr);
	if (!ret)
		ret = csf_index_remove(fs, le64_to_cpu(r->hash), objid);
	if (!ret)
		ret = csf_lru_unlink(fs, st, objid, r);
	if (ret)
		return ret;
	st->nr_live = cpu_to_le32(le32_to_cpu(st->nr_live) - 1);
	if (!r->depth && !r->nr_blocks) {
		csf_slot_release(fs, st, objid, r);
		return 0;
	}
	r->flags = cpu_to_le16(CSF_OBJ_DYING);
	r->key_len = 0;
	r->aux_len = 0;
	memset(r->key, 0, sizeof(r->key));
	memset(r->aux, 0, sizeof(r->aux));
	r->size = 0;
	r->atime = 0;
	r->hash = 0;
	r->oflags = 0;
	r->lru_next = st->dying_head;
	st->dying_head = cpu_to_le32(objid);
	st->nr_dying = cpu_to_le32(le32_to_cpu(st->nr_dying) + 1);
	return 0;
}

/*
 * csf_reclaim - free the storage of dying objects, at most @budget granule
 * runs.  Returns the number of dying objects left (0: done) or -errno.
 */
int csf_reclaim(struct csf_fs *fs, u32 budget)
{
	struct csf_buf *b, *sb;
	struct csf_state *st;
	struct csf_obj_rec *r;
	u32 id;
	bool empty;
	int ret;

	while (budget) {
		u32 step = min_t(u32, budget, 32);

		csf_call_begin(fs);	/* nothing is held across iterations */
		ret = csf_state_get(fs, &sb, &st, false);
		if (ret)
			return ret;
		id = le32_to_cpu(st->dying_head);
		if (!id)
			return 0;
		ret = csf_op_begin(fs, 8 + step * 4);
		if (!ret)
			ret = csf_reserve_frees(fs, step);
		if (!ret)
			ret = csf_state_get(fs, &sb, &st, true);
		if (!ret)
			ret = csf_rec_get_dirty(fs, id, &b, &r);
		if (ret)
			return ret;
		if (le16_to_cpu(r->flags) != CSF_OBJ_DYING)
			return -EUCLEAN;
		budget -= step;
		ret = csf_map_free(fs, r, 0, &step, &empty);
		if (ret)
			return ret;
		budget += step;
		if (!empty)
			continue;
		st->dying_head = r->lru_next;
		st->nr_dying = cpu_to_le32(le32_to_cpu(st->nr_dying) - 1);
		csf_slot_release(fs, st, id, r);
	}
	ret = csf_state_get(fs, &sb, &st, false);
	return ret ? ret : (int)min_t(u32, le32_to_cpu(st->nr_dying), 0x7fffffff);
}

/*
 * Move a live object to the tail of its list, accessed at @stamp (touch,
 * cull pick), or with @promote to the tail of the protected list.
 */
static int csf_lru_requeue(struct csf_fs *fs, u32 id, u64 stamp, bool promote)
{
	struct csf_buf *b, *sb;
	struct csf_state *st;
	struct csf_obj_rec *r;
	int ret;

	ret = csf_op_begin(fs, 6);
	if (!ret)
		ret = csf_rec_get(fs, id, &b, &r);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (!ret)
		ret = csf_state_get(fs, &sb, &st, true);
	if (!ret)
		ret = csf_lru_unlink(fs, st, id, r);
	if (!ret && promote)
		r->oflags &= ~CSF_OF_PROBATION;
	if (!ret)
		ret = csf_lru_add_tail(fs, st, id, r);
	if (!ret)
		r->atime = cpu_to_le64(stamp);
	return ret;
}

/*
 * An access at @stamp: to the tail of its list once per epoch; with
 * @promote (a read served from the cache) an object on probation moves to
 * the protected list at once, and 1 is returned.
 */
static int csf_obj_access(struct csf_fs *fs, u32 objid, u32 gen, u64 stamp,
			  bool promote)
{
	struct csf_obj_rec *r;
	struct csf_buf *b;
	int ret;

	csf_call_begin(fs);
	ret = csf_live_get(fs, objid, gen, &b, &r);
	if (ret)
		return ret;
	if (promote && csf_on_probation(r)) {
		ret = csf_lru_requeue(fs, objid, stamp, true);
		return ret ? ret : 1;
	}
	if ((stamp >> fs->geo.epoch_shift) ==
	    (le64_to_cpu(r->atime) >> fs->geo.epoch_shift))
		return 0;
	return csf_lru_requeue(fs, objid, stamp, false);
}

/*
 * csf_obj_requeue - apply a use of live object @objid at @stamp that its
 * user noted in memory rather than on disk: to the tail of its list, and
 * with @read (the cache served a read from it) off probation.  Whatever its
 * epoch.  Returns 1 if it was promoted, 0 if it was moved or is no longer
 * live (deleted since: the note is stale, nothing to do), or -errno.
 */
int csf_obj_requeue(struct csf_fs *fs, u32 objid, u64 stamp, bool read)
{
	struct csf_obj_rec *r;
	struct csf_buf *b;
	bool promote;
	int ret;

	csf_call_begin(fs);
	if (!objid || objid >= fs->geo.max_objects)
		return -EINVAL;
	ret = csf_rec_get(fs, objid, &b, &r);
	if (ret)
		return ret;
	if (le16_to_cpu(r->flags) != CSF_OBJ_LIVE)
		return 0;
	promote = read && csf_on_probation(r);
	ret = csf_lru_requeue(fs, objid, stamp, promote);
	return ret ? ret : promote;
}

/* An access (lookup, write): to the tail of its list, once per epoch. */
int csf_obj_touch(struct csf_fs *fs, u32 objid, u32 gen, u64 stamp)
{
	return csf_obj_access(fs, objid, gen, stamp, false);
}

/*
 * A read served from the cache: an object on probation moves to the
 * protected list at once (returns 1); otherwise as csf_obj_touch().
 */
int csf_obj_promote(struct csf_fs *fs, u32 objid, u32 gen, u64 stamp)
{
	return csf_obj_access(fs, objid, gen, stamp, true);
}

/*
 * Mark a live object dirty (the netfs is modifying it, so the content may
 * run ahead of the aux data on disk) or clean again.  A lookup that finds it
 * dirty treats it as stale.
 */
int csf_obj_set_dirty(struct csf_fs *fs, u32 objid, u32 gen, bool dirty)
{
	struct csf_buf *b;
	struct csf_obj_rec *r;
	int ret;

	csf_call_begin(fs);
	/* a withdrawal marks every object clean: mostly it already is */
	if (csf_oc_has_dirty(fs, objid, gen, dirty))
		return 0;
	ret = csf_live_get(fs, objid, gen, &b, &r);
	if (ret)
		return ret;
	csf_oc_fill(fs, objid, b, r);
	if (!!(r->oflags & CSF_OF_DIRTY) == dirty)
		return 0;
	ret = csf_op_begin(fs, 2);
	if (!ret)
		ret = csf_live_get(fs, objid, gen, &b, &r);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (!ret)
		r->oflags = (r->oflags & ~CSF_OF_DIRTY) |
			    (dirty ? CSF_OF_DIRTY : 0);
	return ret;
}

/*
 * csf_obj_prefetch - read the index buckets that deleting the live objects
 * @ids will need (their home buckets), together: a cull round deletes
 * objects whose buckets are scattered over the index, each otherwise a
 * synchronous read.  A hint; errors are left to the deletes.
 */
void csf_obj_prefetch(struct csf_fs *fs, const u32 *ids, u32 n)
{
	u64 blks[CSF_PREFETCH_MAX];
	struct csf_obj_rec *r;
	struct csf_buf *b;
	u32 i, k = 0;

	csf_call_begin(fs);
	for (i = 0; i < n && k < CSF_PREFETCH_MAX; i++) {
		if (csf_rec_get(fs, ids[i], &b, &r) ||
		    le16_to_cpu(r->flags) != CSF_OBJ_LIVE)
			continue;
		blks[k++] = fs->geo.index_start +
			    csf_index_home(&fs->geo, le64_to_cpu(r->hash));
	}
	csf_buf_prefetch(fs, blks, k, CSF_T_BUCKET);
}

/*
 * Read ahead in the object table for a walk along an LRU list, when the
 * record of @objid is not cached: the table blocks from its own on, up to
 * CSF_RA_BLOCKS and the high-water mark, with one wait.  A list is mostly
 * in the order its objects were created (new objects go to the tail) and
 * slots are handed out in order, above the high-water mark or from the
 * free list that culling refills in list order, so the records a walk
 * reads next are mostly in the blocks after the one it missed: a cull
 * batch of 32 victims reads their records in one round trip instead of
 * eight.  Where the order is not so, it costs reads issued together.
 * A walk of the table in slot order (csf_obj_scan()) reads ahead too.
 * Only blocks below the high-water mark @hwm (slots never used are not
 * read).
 */
static void csf_rec_readahead(struct csf_fs *fs, u32 hwm, u32 objid)
{
	u64 first = objid / CSF_OBJS_PER_BLOCK, blks[CSF_RA_BLOCKS];
	u64 end = DIV_ROUND_UP(hwm, CSF_OBJS_PER_BLOCK);
	u32 n = 0;

	if (csf_buf_cached(fs, fs->geo.objtab_start + first))
		return;
	while (n < CSF_RA_BLOCKS && first + n < end &&
	       first + n < fs->geo.objtab_len) {
		blks[n] = fs->geo.objtab_start + first + n;
		n++;
	}
	csf_buf_prefetch(fs, blks, n, CSF_T_OBJTAB);
}

struct csf_pick {
	bool (*skip)(void *priv, u32 objid);
	void *priv;
	u64 requeue;
	u32 *out;
	struct csf_cull_walk *w;
	u32 n, k, moved, visits, limit;
	u32 aged_prob;		/* second chances given on probation */
	bool ended;		/* the walk saw the whole list */
};

/* Victims from the head of one list (see csf_cull_pick()). */
static int csf_pick_list(struct csf_fs *fs, struct csf_pick *p, bool prob)
{
	struct csf_buf *b, *sb;
	struct csf_state *st;
	struct csf_obj_rec *r;
	u32 id, next, first = 0, nr_prob;
	int ret;

	ret = csf_state_get(fs, &sb, &st, false);
	if (ret)
		return ret;
	id = le32_to_cpu(*csf_lru_headp(st, prob));
	nr_prob = le32_to_cpu(st->nr_prob);
	p->ended = false;
	while (p->k < p->n) {
		if (!id || id == first) {
			p->ended = true;
			break;
		}
		if (p->requeue ? p->moved >= CSF_CULL_MOVES_MAX :
				 p->visits++ >= p->limit)
			break;
		csf_rec_readahead(fs, le32_to_cpu(st->obj_hwm), id);
		ret = csf_rec_get(fs, id, &b, &r);
		if (ret)
			return ret;
		if (le16_to_cpu(r->flags) != CSF_OBJ_LIVE ||
		    csf_on_probation(r) != prob)
			return -EUCLEAN;
		next = le32_to_cpu(r->lru_next);
		if (!p->skip || !p->skip(p->priv, id)) {
			u64 stamp = 0;
			int use = p->w->used ? p->w->used(p->priv, id, &stamp) :
					       CSF_USED_NOT;
			bool promote = prob && use == CSF_USED_READ;

			if (use == CSF_USED_NOT) {
				p->out[p->k++] = id;
				id = next;
				continue;
			}
			/* used since it was placed: a second chance */
			ret = csf_lru_requeue(fs, id, stamp, promote);
			if (ret)
				return ret;
			/* a promoted one leaves this list: the walk never
			 * meets it again
			 */
			if (!first && !promote)
				first = id;
			p->moved++;
			p->w->aged++;
			p->w->promoted += promote;
			p->aged_prob += prob && !promote;
			id = next;
			continue;
		}
		if (p->requeue) {
			/* in use; and if read from the cache, promoted */
			u64 stamp = 0;
			bool promote = prob && p->w->used &&
				p->w->used(p->priv, id, &stamp) == CSF_USED_READ;

			ret = csf_lru_requeue(fs, id, p->requeue, promote);
			if (ret)
				return ret;
			if (!first && !promote)
				first = id;
			p->moved++;
			p->w->promoted += promote;
			if (promote) {
				id = next;
				continue;
			}
		}
		if (prob && p->w->prob_seen < nr_prob) {
			p->w->prob_seen++;
			p->w->prob_blocks += le64_to_cpu(r->nr_blocks);
		}
		id = next;
	}
	return 0;
}

/*
 * Does the protected list hold more than fs->protect_pct of the data
 * space, counting as on probation the @prob_blocks that the in-use
 * objects met there own, or more than that share of the object slots?
 * Culling frees both (blocks below bcull, slots below fcull): a list of
 * many small objects is over its share of the slots long before it is
 * over its share of the space.
 */
static int csf_protected_over(struct csf_fs *fs, u64 prob_blocks, bool *over)
{
	u64 data = fs->geo.data_end - fs->geo.data_start, used, prot;
	u64 slots = fs->geo.max_objects - 1;
	struct csf_state *st;
	struct csf_buf *sb;
	int ret;

	ret = csf_state_get(fs, &sb, &st, false);
	if (ret)
		return ret;
	used = data - min_t(u64, le64_to_cpu(st->free_blocks), data);
	used -= min(used, prob_blocks);
	prot = le32_to_cpu(st->nr_live) -
	       min(le32_to_cpu(st->nr_prob), le32_to_cpu(st->nr_live));
	*over = used * 100 > data * fs->protect_pct ||
		prot * 100 > slots * fs->protect_pct;
	return 0;
}

/*
 * csf_cull_pick - up to @n victims into @out: from the head of the
 * probation list, and from the head of the protected list when probation
 * is empty, or when it gives none (every object on it is in use) and the
 * protected list holds more than its share of the data space or of the
 * object slots (fs->protect_pct): a pass over data never read back from
 * the cache cannot push out what is.  Without the PROBATION feature every object is
 * on the protected list.
 * An object @skip says is in use is no victim: with @requeue (a time
 * stamp), it is moved to the tail of its list with that access time, as it
 * is being used now, so that later picks do not walk past it again; at
 * most CSF_CULL_MOVES_MAX are moved per call, and the walk of a list stops
 * when it comes back to the first one it moved.  Without @requeue (0)
 * in-use objects stay where they are and the walk gives up after 4096 of
 * them.  @w (may be NULL) carries a round's walk from call to call: zero
 * it before the first.  w->moved says how many were moved by this call: a
 * call that found no victim but moved CSF_CULL_MOVES_MAX may find some if
 * called again; one that moved fewer saw every object it may take.
 * With w->used, an object not in use that its user says was used since it
 * was placed (recency kept in memory, not journalled at each use) gets a
 * second chance instead, as in CLOCK: it moves to the tail of its list
 * with the time of that use, and off probation if the cache served a read
 * from it (w->promoted).  These count in w->moved and in w->aged: a call
 * that found no victim but aged some may find victims when called again.
 * A second chance on probation ends the call there: the protected list is
 * not walked while probation has objects the next call may take.  An
 * object in use met on probation that used() says was read from the cache
 * is promoted as it is requeued (it counts in w->moved, not in w->aged).
 */
int csf_cull_pick(struct csf_fs *fs, u32 n,
		  bool (*skip)(void *priv, u32 objid), void *priv, u64 requeue,
		  u32 *out, struct csf_cull_walk *w)
{
	struct csf_cull_walk local = { 0 };
	struct csf_pick p = {
		.skip = skip, .priv = priv, .requeue = requeue, .out = out,
		.w = w ? w : &local, .n = n, .limit = n + 4096,
	};
	struct csf_state *st;
	struct csf_buf *sb;
	bool over = true;
	int ret;

	csf_call_begin(fs);
	p.w->moved = 0;
	p.w->aged = 0;
	ret = csf_state_get(fs, &sb, &st, false);
	if (!ret && st->nr_prob) {
		ret = csf_pick_list(fs, &p, true);
		/* victims, or not every object seen, or some given a second
		 * chance there: the next call may take them
		 */
		if (!ret && (p.k || !p.ended || p.aged_prob))
			goto out;
		if (!ret)
			ret = csf_protected_over(fs, p.w->prob_blocks, &over);
	}
	if (!ret && over)
		ret = csf_pick_list(fs, &p, false);
out:
	p.w->moved = p.moved;
	return ret ? ret : (int)p.k;
}

/*
 * csf_obj_scan - live objects of volume @vid (of any volume if @vid is 0)
 * in the object table from slot *@pos on, in slot order: up to @n of them
 * into @out (and their generations into @gens), looking at no more than
 * @budget slots.  *@pos moves past the last slot looked at; it reaches
 * max_objects at the end of the table, which is the high-water mark: slots
 * at and above obj_hwm were never used and are not read.  Returns how many
 * were found, or -errno.  Eviction by hand walks the table with it (the
 * cost is one read per CSF_OBJS_PER_BLOCK slots in use, bounded per call).
 */
int csf_obj_scan(struct csf_fs *fs, u32 vid, u32 *pos, u32 budget, u32 n,
		 u32 *out, u32 *gens)
{
	struct csf_obj_rec *r;
	struct csf_buf *b;
	u32 id = *pos ? *pos : 1, k = 0, hwm;
	int ret;

	csf_call_begin(fs);
	ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &b);
	if (ret)
		return ret;
	hwm = min_t(u32, le32_to_cpu(((struct csf_state *)b->data)->obj_hwm),
		    fs->geo.max_objects);
	if (id >= hwm) {
		*pos = fs->geo.max_objects;
		return 0;
	}
	while (id < hwm && budget && k < n) {
		csf_rec_readahead(fs, hwm, id);
		ret = csf_rec_get(fs, id, &b, &r);
		if (ret)
			return ret;
		if (le16_to_cpu(r->flags) == CSF_OBJ_LIVE &&
		    (!vid || le32_to_cpu(r->vol_id) == vid)) {
			out[k] = id;
			gens[k++] = le32_to_cpu(r->gen);
		}
		id++;
		budget--;
	}
	*pos = id < hwm ? id : fs->geo.max_objects;
	return (int)k;
}

int csf_obj_map(struct csf_fs *fs, u32 objid, u32 gen, u64 page, bool alloc,
		u64 *pblk, u32 *npages)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_obj_rec *r;
	struct csf_buf *b;
	u64 gi, pi, want, start, csize, goal = 0;
	u32 got, a;
	u8 *e, *pe;
	int ret;

	csf_call_begin(fs);
	if (page >= CSF_MAX_FILE_PAGES)
		return -EFBIG;
	/* a small object's whole map may be in the object cache */
	ret = csf_oc_map(fs, objid, gen, &csize, &e);
	if (ret < 0)
		return ret;
	if (ret && page < g->ppg) {
		if (csf_ent_pblk(e) && page < csf_ent_alloc(e)) {
			*pblk = csf_ent_pblk(e) + page;
			*npages = csf_ent_alloc(e) - (u32)page;
			return 0;
		}
		if (!alloc)
			return -ENODATA;
	}
	ret = csf_live_get(fs, objid, gen, &b, &r);
	if (ret)
		return ret;
	gi = csf_divrem(page, g->ppg, &pi);
	ret = csf_map_find(fs, r, gi, false, &e);
	if (ret)
		return ret;
	if (e && csf_ent_pblk(e) && pi < csf_ent_alloc(e)) {
		*pblk = csf_ent_pblk(e) + pi;
		*npages = csf_ent_alloc(e) - (u32)pi;
		return 0;
	}
	if (!alloc)
		return -ENODATA;
	if (page >= csf_pages(le64_to_cpu(r->size)))
		return -EINVAL;	/* set the size first */

	ret = csf_op_begin(fs, 32);
	if (!ret)
		ret = csf_pending_reserve(&fs->pend_txn, 1);
	if (!ret)
		ret = csf_live_get(fs, objid, gen, &b, &r);
	if (!ret)
		ret = csf_buf_dirty(fs, b);
	if (ret)
		return ret;
	/* a small object gets what it needs, a big one whole granules */
	want = csf_pages(le64_to_cpu(r->size)) - gi * g->ppg;
	want = min_t(u64, want, g->ppg);
	if (want < pi + 1)
		want = pi + 1;
	if (gi) {
		ret = csf_map_find(fs, r, gi - 1, false, &pe);
		if (ret)
			return ret;
		if (pe && csf_ent_pblk(pe))
			goal = csf_ent_pblk(pe) + csf_ent_alloc(pe);
	}
	/*
	 * Nothing changes until every step that may fail with -ENOSPC has
	 * succeeded: extend in place or allocate the new run first (the old
	 * run's bits are still set, so they cannot overlap), then dirty the
	 * map path, then free the old run (room reserved above).
	 */
	ret = csf_map_find(fs, r, gi, false, &e);
	if (ret)
		return ret;
	a = e ? csf_ent_alloc(e) : 0;
	if (e && csf_ent_pblk(e) &&
	    !csf_alloc_extend(fs, csf_ent_pblk(e), a, (u32)want - a)) {
		/* grown object: extended in place; the path exists */
		ret = csf_map_find(fs, r, gi, true, &e);
		if (ret)
			return ret;
		((struct csf_gran_ent *)e)->alloc = cpu_to_le16((u16)want);
		r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) +
					   want - a);
		goto done;
	}
	ret = csf_alloc_run(fs, goal, (u32)want, (u32)pi + 1, false, &start,
			    &got);
	if (ret)
		return ret;
	ret = csf_map_find(fs, r, gi, true, &e);
	if (ret) {
		/* no map path (no room for a map block): nothing used it */
		if (!csf_alloc_undo(fs, start, got))
			return ret;
		return -EUCLEAN;
	}
	if (csf_ent_pblk(e)) {
		/* grown object that cannot extend in place: start over */
		ret = csf_free_run(fs, csf_ent_pblk(e), a, false);
		if (ret)
			return ret;
		r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) - a);
		memset(e, 0, g->ent_size);
	}
	((struct csf_gran_ent *)e)->pblk = cpu_to_le64(start);
	((struct csf_gran_ent *)e)->alloc = cpu_to_le16((u16)got);
	r->nr_blocks = cpu_to_le64(le64_to_cpu(r->nr_blocks) + got);
done:
	*pblk = csf_ent_pblk(e) + pi;
	*npages = csf_ent_alloc(e) - (u32)pi;
	return 0;
}

int csf_obj_query(struct csf_fs *fs, u32 objid, u32 gen, u64 page, u32 max,
		  bool *present, u32 *run)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_obj_rec *r;
	struct csf_buf *b;
	u64 gi, pi, end, p = page;
	u32 n = 0;
	bool first = true, st = false;
	u8 *e = NULL, *e0 = NULL;
	int ret, cached;

	csf_call_begin(fs);
	if (page >= CSF_MAX_FILE_PAGES)
		return -EFBIG;
	/*
	 * Cached, with the map entry of granule 0, the object lies within that
	 * granule: every page past it is past the end, and absent.
	 */
	cached = csf_oc_map(fs, objid, gen, &end, &e0);
	if (cached < 0)
		return cached;
	if (!cached) {
		ret = csf_live_get(fs, objid, gen, &b, &r);
		if (ret)
			return ret;
		csf_oc_fill(fs, objid, b, r);
		end = le64_to_cpu(r->size);
	}
	end = csf_pages(end);
	*present = false;
	*run = 0;
	if (!max)
		return 0;
	while (n < max) {
		bool s;

		gi = csf_divrem(p, g->ppg, &pi);
		if (cached && (first || !pi)) {
			e = gi ? NULL : e0;
		} else if (first || !pi) {
			ret = csf_live_get(fs, objid, gen, &b, &r);
			if (!ret)
				ret = csf_map_find(fs, r, gi, false, &e);
			if (ret)
				return ret;
		}
		s = p < end && e && csf_ent_pblk(e) &&
		    csf_test_bit8(csf_ent_mask(e), (u32)pi);
		if (first) {
			st = s;
			first = false;
		} else if (s != st) {
			break;
		}
		n++;
		p++;
		if (p >= end && !st)
			n = max;	/* a hole to the end */
	}
	*present = st;
	*run = n;
	return 0;
}

int csf_obj_mark_present(struct csf_fs *fs, u32 objid, u32 gen, u64 page,
			 u32 npages)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_obj_rec *r;
	struct csf_buf *b;
	u64 gi, pi;
	u8 *e;
	int ret;

	csf_call_begin(fs);
	while (npages) {
		ret = csf_op_begin(fs, 8);
		if (!ret)
			ret = csf_live_get(fs, objid, gen, &b, &r);
		if (ret)
			return ret;
		if (page >= csf_pages(le64_to_cpu(r->size)))
			return -EINVAL;
		gi = csf_divrem(page, g->ppg, &pi);
		ret = csf_map_find(fs, r, gi, false, &e);
		if (ret)
			return ret;
		if (!e || !csf_ent_pblk(e) || pi >= csf_ent_alloc(e))
			return -EINVAL;	/* not allocated */
		ret = csf_buf_dirty(fs, b);
		if (!ret)
			ret = csf_map_find(fs, r, gi, true, &e);
		if (ret)
			return ret;
		while (npages && pi < csf_ent_alloc(e) &&
		       page < csf_pages(le64_to_cpu(r->size))) {
			csf_set_bit8(csf_ent_mask(e), (u32)pi);
			pi++;
			page++;
			npages--;
		}
		csf_ent_update_full(g, e);
		if (npages && pi < g->ppg)
			return -EINVAL;
	}
	return 0;
}
