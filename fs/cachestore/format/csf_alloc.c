// SPDX-License-Identifier: GPL-2.0
/*
 * csf_alloc.c - block allocator: bitmap blocks of 16384 bits, a free-count
 * summary per bitmap block, and the pending-free lists that keep a freed
 * block from reuse until its free is durable.
 */
#include "csf.h"

struct csf_bm_pos {
	struct csf_buf *bm, *sum, *st;
	u32 sum_idx;
};

/*
 * csf_pending_reserve - room for @more entries, so that the adds which
 * follow cannot fail: an operation reserves before it changes anything.
 * The array is a csf_valloc() one (kvmalloc in the kernel): it may hold
 * many thousands of extents.
 */
int csf_pending_reserve(struct csf_pending *p, u32 more)
{
	struct csf_ext *e;
	u32 cap = p->cap ? p->cap : 64;

	if (p->cap - p->n >= more)
		return 0;
	while (cap - p->n < more)
		cap *= 2;
	e = csf_valloc(sizeof(*e) * cap);
	if (!e)
		return -ENOMEM;
	if (p->n)
		memcpy(e, p->ext, sizeof(*e) * p->n);
	csf_vfree(p->ext);
	p->ext = e;
	p->cap = cap;
	return 0;
}

int csf_pending_add(struct csf_pending *p, u64 start, u64 len)
{
	if (p->n && p->ext[p->n - 1].start + p->ext[p->n - 1].len == start) {
		p->ext[p->n - 1].len += len;
		return 0;
	}
	return csf_pending_append(p, start, len);
}

/* Append without merging, so that a count of entries stays meaningful. */
int csf_pending_append(struct csf_pending *p, u64 start, u64 len)
{
	int ret = csf_pending_reserve(p, 1);

	if (ret)
		return ret;
	p->ext[p->n].start = start;
	p->ext[p->n].len = len;
	p->n++;
	return 0;
}

/* The free became durable: optionally discard, then allow reuse. */
void csf_pending_release(struct csf_fs *fs, struct csf_pending *p)
{
	u32 i;

	if (fs->hold_frees && p == &fs->pend_txn) {
		/* The caller releases them once its in-flight I/O drains. */
		for (i = 0; i < p->n; i++)
			if (csf_pending_append(&fs->pend_held, p->ext[i].start,
					       p->ext[i].len))
				break;
		if (i < p->n)
			memmove(p->ext, p->ext + i, sizeof(*p->ext) * (p->n - i));
		p->n -= i;
		return;
	}
	if (fs->dev.ops->discard && (p == &fs->pend_txn || p == &fs->pend_held))
		for (i = 0; i < p->n; i++)
			fs->dev.ops->discard(fs->dev.priv, p->ext[i].start,
					     p->ext[i].len);
	p->n = 0;
}

/* If @blk is pending, the first block after its pending extent; else 0. */
static u64 csf_pending_hit(const struct csf_fs *fs, u64 blk)
{
	const struct csf_pending *ps[3] = {
		&fs->pend_txn, &fs->pend_meta, &fs->pend_held
	};
	u32 i, k;

	for (k = 0; k < 3; k++)
		for (i = 0; i < ps[k]->n; i++) {
			const struct csf_ext *e = &ps[k]->ext[i];

			if (blk >= e->start && blk < e->start + e->len)
				return e->start + e->len;
		}
	return 0;
}

static int csf_bm_get(struct csf_fs *fs, u64 bi, struct csf_bm_pos *p)
{
	u32 si = (u32)csf_div_u64(bi, CSF_SUM_PER_BLOCK);
	int ret;

	p->sum_idx = (u32)(bi - (u64)si * CSF_SUM_PER_BLOCK);
	ret = csf_buf_get(fs, fs->geo.bitmap_start + bi, CSF_T_BITMAP, &p->bm);
	if (!ret)
		ret = csf_buf_get(fs, fs->geo.summary_start + si,
				  CSF_T_SUMMARY, &p->sum);
	if (!ret)
		ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &p->st);
	return ret;
}

static int csf_bm_dirty(struct csf_fs *fs, struct csf_bm_pos *p)
{
	int ret = csf_buf_dirty(fs, p->bm);

	if (!ret)
		ret = csf_buf_dirty(fs, p->sum);
	if (!ret)
		ret = csf_buf_dirty(fs, p->st);
	return ret;
}

/* Set (@used) or clear bits [bit, bit + n) of one bitmap block. */
static int csf_bm_update(struct csf_fs *fs, u64 bi, u32 bit, u32 n,
			 bool used)
{
	struct csf_bm_pos p;
	struct csf_bitmap *bm;
	struct csf_summary *sum;
	struct csf_state *st;
	u32 j, f;
	u64 fb;
	int ret;

	ret = csf_bm_get(fs, bi, &p);
	if (ret)
		return ret;
	bm = (void *)p.bm->data;
	for (j = bit; j < bit + n; j++)
		if (csf_test_bit8(bm->bits, j) == used)
			return -EUCLEAN;	/* double alloc or free */
	sum = (void *)p.sum->data;
	st = (void *)p.st->data;
	f = le16_to_cpu(sum->free[p.sum_idx]);
	fb = le64_to_cpu(st->free_blocks);
	if (used ? (f < n || fb < n) : (f + n > CSF_BITS_PER_BMAP))
		return -EUCLEAN;
	ret = csf_bm_dirty(fs, &p);
	if (ret)
		return ret;
	for (j = bit; j < bit + n; j++) {
		if (used)
			csf_set_bit8(bm->bits, j);
		else
			csf_clear_bit8(bm->bits, j);
	}
	sum->free[p.sum_idx] = cpu_to_le16(used ? f - n : f + n);
	st->free_blocks = cpu_to_le64(used ? fb - n : fb + n);
	return 0;
}

int csf_bit_test(struct csf_fs *fs, u64 blk, bool *set)
{
	struct csf_buf *b;
	int ret;

	csf_call_begin(fs);
	ret = csf_buf_get(fs, fs->geo.bitmap_start +
			  (blk >> CSF_BITS_PER_BMAP_SHIFT), CSF_T_BITMAP, &b);
	if (ret)
		return ret;
	*set = csf_test_bit8(((struct csf_bitmap *)b->data)->bits,
			     blk & (CSF_BITS_PER_BMAP - 1));
	return 0;
}

/*
 * Find a run of at least @need free, non-pending blocks in bitmap block
 * @bi at or after bit @from; the run is cut at @want.
 */
static bool csf_bm_search(struct csf_fs *fs, u64 bi, u32 from, u32 need,
			  u32 want, u32 *bit, u32 *len)
{
	const struct csf_bitmap *bm;
	struct csf_buf *b;
	u64 base = bi << CSF_BITS_PER_BMAP_SHIFT;
	u32 j = from, run = 0, rs = 0;

	if (csf_buf_get(fs, fs->geo.bitmap_start + bi, CSF_T_BITMAP, &b))
		return false;
	bm = (const void *)b->data;
	while (j < CSF_BITS_PER_BMAP) {
		u64 blk = base + j, skip;

		if (!(j & 7) && bm->bits[j >> 3] == 0xff) {
			run = 0;
			j += 8;
			continue;
		}
		if (csf_test_bit8(bm->bits, j) || blk < fs->geo.data_start ||
		    blk >= fs->geo.data_end) {
			run = 0;
			j++;
			continue;
		}
		skip = csf_pending_hit(fs, blk);
		if (skip) {
			run = 0;
			j = skip - base > CSF_BITS_PER_BMAP ? CSF_BITS_PER_BMAP :
			    (u32)(skip - base);
			continue;
		}
		if (!run)
			rs = j;
		run++;
		j++;
		if (run == want)
			break;
	}
	if (run < need)
		return false;
	*bit = rs;
	*len = min(run, want);
	return true;
}

/*
 * csf_alloc_run - allocate up to @want (at least @min) contiguous blocks
 * near @goal.  Data allocations leave fs->meta_reserve blocks for map
 * blocks.  Runs never cross a bitmap block.
 */
int csf_alloc_run(struct csf_fs *fs, u64 goal, u32 want, u32 min,
		  bool meta, u64 *start, u32 *got)
{
	struct csf_buf *stb, *sb;
	u64 first = fs->geo.data_start >> CSF_BITS_PER_BMAP_SHIFT;
	u64 last = (fs->geo.data_end - 1) >> CSF_BITS_PER_BMAP_SHIFT;
	u64 nbm = last - first + 1, bi0, i, fb;
	u32 pass, bit, len;
	int ret;

	if (!want || min > want || want > CSF_BITS_PER_BMAP)
		return -EINVAL;
	ret = csf_buf_get(fs, fs->geo.state_blk, CSF_T_STATE, &stb);
	if (ret)
		return ret;
	fb = le64_to_cpu(((struct csf_state *)stb->data)->free_blocks);
	if (fb < min + (meta ? 0 : fs->meta_reserve))
		return -ENOSPC;
	if (goal < fs->geo.data_start || goal >= fs->geo.data_end)
		goal = fs->alloc_cursor;
	if (goal < fs->geo.data_start || goal >= fs->geo.data_end)
		goal = fs->geo.data_start;
	bi0 = goal >> CSF_BITS_PER_BMAP_SHIFT;
	for (pass = 0; pass < 2; pass++) {
		u32 need = pass ? min : want;

		if (pass && min == want)
			break;
		for (i = 0; i <= nbm; i++) {
			u64 bi = bi0 + i;
			u32 si, f, from = 0;

			if (bi > last)
				bi -= nbm;
			if (i == nbm) {
				/* wrapped back: the part before the goal */
				if (bi != bi0)
					break;
			} else if (i == 0) {
				from = (u32)(goal & (CSF_BITS_PER_BMAP - 1));
			}
			si = (u32)csf_div_u64(bi, CSF_SUM_PER_BLOCK);
			ret = csf_buf_get(fs, fs->geo.summary_start + si,
					  CSF_T_SUMMARY, &sb);
			if (ret)
				return ret;
			f = le16_to_cpu(((struct csf_summary *)sb->data)->free
					[bi - (u64)si * CSF_SUM_PER_BLOCK]);
			if (f < need)
				continue;
			if (!csf_bm_search(fs, bi, from, need, want, &bit, &len))
				continue;
			ret = csf_bm_update(fs, bi, bit, len, true);
			if (ret)
				return ret;
			*start = (bi << CSF_BITS_PER_BMAP_SHIFT) + bit;
			*got = len;
			fs->alloc_cursor = *start + len;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Grow the run [start, start + len) in place by @more blocks if free. */
int csf_alloc_extend(struct csf_fs *fs, u64 start, u32 len, u32 more)
{
	u64 s = start + len, bi = s >> CSF_BITS_PER_BMAP_SHIFT;
	u32 bit = (u32)(s & (CSF_BITS_PER_BMAP - 1)), got;

	if (!more)
		return 0;
	if (bit + more > CSF_BITS_PER_BMAP || s + more > fs->geo.data_end ||
	    ((s - 1) >> CSF_BITS_PER_BMAP_SHIFT) != bi)
		return -ENOSPC;
	if (!csf_bm_search(fs, bi, bit, more, more, &got, &len) || got != bit)
		return -ENOSPC;
	return csf_bm_update(fs, bi, bit, more, true);
}

/*
 * csf_free_run - free [start, start + len).  The blocks become allocatable
 * when the running transaction commits (map blocks, @meta: after the next
 * checkpoint, so no journalled image of them is replayed over new data).
 */
int csf_free_run(struct csf_fs *fs, u64 start, u32 len, bool meta)
{
	struct csf_pending *p = meta ? &fs->pend_meta : &fs->pend_txn;
	u64 s = start, end = start + len;
	int ret;

	if (start < fs->geo.data_start || end > fs->geo.data_end || !len)
		return -EUCLEAN;
	/* the add below must not fail once bits are cleared */
	ret = csf_pending_reserve(p, 1);
	if (ret)
		return ret;
	while (s < end) {
		u64 bi = s >> CSF_BITS_PER_BMAP_SHIFT;
		u32 bit = (u32)(s & (CSF_BITS_PER_BMAP - 1));
		u32 n = (u32)min_t(u64, end - s, CSF_BITS_PER_BMAP - bit);

		ret = csf_bm_update(fs, bi, bit, n, false);
		if (ret)
			return ret;
		s += n;
	}
	return csf_pending_add(p, start, len);
}

/*
 * csf_alloc_undo - give back a run that csf_alloc_run() handed out in the
 * running transaction and that nothing has used yet (no data was mapped
 * to it, no reader can have seen it): free at once, not pending.
 */
int csf_alloc_undo(struct csf_fs *fs, u64 start, u32 len)
{
	u64 bi = start >> CSF_BITS_PER_BMAP_SHIFT;

	if (start < fs->geo.data_start || start + len > fs->geo.data_end ||
	    !len || ((start + len - 1) >> CSF_BITS_PER_BMAP_SHIFT) != bi)
		return -EUCLEAN;
	return csf_bm_update(fs, bi, (u32)(start & (CSF_BITS_PER_BMAP - 1)),
			     len, false);
}

/*
 * Holding frees (the kernel): blocks freed by a committed transaction are
 * not reused until csf_frees_release() says that no I/O mapped before the
 * commit is in flight any more.  csf_frees_held() counts what is held now.
 * A caller that discards them itself, without the lock that serialises
 * calls into the library, copies the extents (csf_frees_copy()), discards
 * them, and only then lets them be reused (csf_frees_drop()): a discard is
 * I/O aimed at those blocks too.
 */
void csf_frees_hold(struct csf_fs *fs)
{
	fs->hold_frees = true;
}

u64 csf_frees_held(struct csf_fs *fs)
{
	return fs->pend_held.n;
}

/* Discard the first @n held extents (dev->ops->discard), then drop them. */
void csf_frees_release(struct csf_fs *fs, u64 n)
{
	struct csf_pending *p = &fs->pend_held;
	u32 i;

	if (n > p->n)
		n = p->n;
	if (fs->dev.ops->discard)
		for (i = 0; i < n; i++)
			fs->dev.ops->discard(fs->dev.priv, p->ext[i].start,
					     p->ext[i].len);
	csf_frees_drop(fs, n);
}

/*
 * A copy of the first @n held extents (csf_valloc(): free it with
 * csf_vfree()), or NULL when none are held or memory is short.  They stay
 * held: the copy stays valid when the library is called again meanwhile.
 */
struct csf_ext *csf_frees_copy(struct csf_fs *fs, u64 n)
{
	struct csf_pending *p = &fs->pend_held;
	struct csf_ext *e;

	if (n > p->n)
		n = p->n;
	if (!n)
		return NULL;
	e = csf_valloc(sizeof(*e) * n);
	if (e)
		memcpy(e, p->ext, sizeof(*e) * n);
	return e;
}

/* Let the first @n held extents be reused, without discarding them. */
void csf_frees_drop(struct csf_fs *fs, u64 n)
{
	struct csf_pending *p = &fs->pend_held;

	if (n > p->n)
		n = p->n;
	if (!n)
		return;
	memmove(p->ext, p->ext + n, sizeof(*p->ext) * (p->n - n));
	p->n -= (u32)n;
}
