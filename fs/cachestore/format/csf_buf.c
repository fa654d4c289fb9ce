// SPDX-License-Identifier: GPL-2.0
/*
 * csf_buf.c - metadata buffer cache.
 *
 * A buffer is clean (on fs->clean, evictable), in the running transaction
 * (CSF_BUF_TXN, with a frozen copy of its committed image for csf_abort),
 * and/or committed but not yet written home (CSF_BUF_CKPT, on fs->ckpt).
 * Only clean buffers are evicted.
 *
 * Library code keeps plain pointers to clean buffers (a record, a bitmap
 * block, an index bucket) across later csf_buf_get() calls, which may have
 * to evict buffers when the cache is over fs->maxbufs.  So every buffer is
 * stamped with the sequence number of the library call that last used it
 * (fs->call_seq, bumped by csf_call_begin() at each public entry point, and
 * at points of long internal loops where nothing is held), and eviction
 * skips buffers stamped with the current call.  A buffer obtained by a call
 * therefore stays valid until the call returns, whatever else it reads;
 * fs->maxbufs is a soft limit that one call's working set may exceed.
 * Nothing a caller holds is ever freed by the cache except by csf_abort()
 * (a buffer new in the aborted transaction) and csf_buf_exit().
 */
#include "csf.h"

#define CSF_BUF_TXN	0x1
#define CSF_BUF_CKPT	0x2
#define CSF_BUF_PINNED	0x4	/* replayed image of a read-only open */
#define CSF_BUF_NEW	0x8	/* no committed image: abort drops it */
#define CSF_BUF_TYPE_SHIFT 16

static inline u16 csf_buf_type(const struct csf_buf *b)
{
	return (u16)(b->flags >> CSF_BUF_TYPE_SHIFT);
}

static inline void csf_buf_set_type(struct csf_buf *b, u16 type)
{
	b->flags = (b->flags & 0xffff) | ((u32)type << CSF_BUF_TYPE_SHIFT);
}

static u32 csf_hash_blk(const struct csf_fs *fs, u64 blkno)
{
	return (u32)((blkno * 0x9e3779b97f4a7c15ULL) >> 40) & fs->hmask;
}

/*
 * csf_buf_init - an empty cache of soft limit @maxbufs; the hash table is
 * sized for @maxbufs clean buffers plus a quarter of a full transaction
 * (fs->max_txn buffers pinned until commit), so chains stay short.
 */
int csf_buf_init(struct csf_fs *fs, u32 maxbufs)
{
	u64 want = maxbufs + fs->max_txn / 4;
	u32 n = 1;

	while (n < want)
		n <<= 1;
	fs->htab = csf_valloc(sizeof(*fs->htab) * n);
	if (!fs->htab)
		return -ENOMEM;
	fs->hmask = n - 1;
	fs->maxbufs = maxbufs;
	csf_list_init(&fs->clean);
	csf_list_init(&fs->txn);
	csf_list_init(&fs->ckpt);
	return 0;
}

static void csf_buf_unhash(struct csf_fs *fs, struct csf_buf *b)
{
	struct csf_buf **pp = &fs->htab[csf_hash_blk(fs, b->blkno)];

	while (*pp && *pp != b)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = b->hnext;
}

static void csf_buf_destroy(struct csf_fs *fs, struct csf_buf *b)
{
	csf_buf_unhash(fs, b);
	csf_list_del(&b->lru);
	csf_list_del(&b->txn);
	csf_free(b->frozen);
	csf_free(b->data);
	csf_free(b);
	fs->nbufs--;
}

void csf_buf_exit(struct csf_fs *fs)
{
	u32 i;

	if (!fs->htab)
		return;
	for (i = 0; i <= fs->hmask; i++)
		while (fs->htab[i])
			csf_buf_destroy(fs, fs->htab[i]);
	csf_vfree(fs->htab);
	fs->htab = NULL;
}

static struct csf_buf *csf_buf_find(struct csf_fs *fs, u64 blkno)
{
	struct csf_buf *b = fs->htab[csf_hash_blk(fs, blkno)];

	while (b && b->blkno != blkno)
		b = b->hnext;
	return b;
}

/* Drop a clean cached copy (the block is being reused as data). */
void csf_buf_forget(struct csf_fs *fs, u64 blkno)
{
	struct csf_buf *b = csf_buf_find(fs, blkno);

	if (b && !(b->flags & (CSF_BUF_TXN | CSF_BUF_CKPT | CSF_BUF_PINNED)) &&
	    b->call_seq != fs->call_seq)
		csf_buf_destroy(fs, b);
}

/*
 * Evict clean buffers, least recently used first, until the cache is under
 * its soft limit; never one used by the current library call.
 */
static void csf_buf_shrink(struct csf_fs *fs)
{
	struct csf_list *l = fs->clean.next;

	while (fs->nbufs >= fs->maxbufs && l != &fs->clean) {
		struct csf_buf *b = csf_entry(l, struct csf_buf, lru);

		l = l->next;
		if (b->call_seq != fs->call_seq)
			csf_buf_destroy(fs, b);
	}
}

static struct csf_buf *csf_buf_alloc(struct csf_fs *fs, u64 blkno)
{
	struct csf_buf *b;
	u32 h;

	csf_buf_shrink(fs);
	b = csf_zalloc(sizeof(*b));
	if (!b)
		return NULL;
	b->data = csf_alloc(CSF_BLOCK_SIZE);
	if (!b->data) {
		csf_free(b);
		return NULL;
	}
	b->blkno = blkno;
	b->call_seq = fs->call_seq;
	csf_list_init(&b->lru);
	csf_list_init(&b->txn);
	h = csf_hash_blk(fs, blkno);
	b->hnext = fs->htab[h];
	fs->htab[h] = b;
	if (++fs->nbufs > fs->nbufs_peak)
		fs->nbufs_peak = fs->nbufs;
	return b;
}

/* Types whose all-zero block may be the valid empty form. */
static bool csf_type_pristine_ok(u16 type)
{
	return type == CSF_T_BITMAP || type == CSF_T_VOLUME ||
	       type == CSF_T_BUCKET || type == CSF_T_OBJTAB;
}

/*
 * An all-zero block @blkno of @type read from the device: is it the empty
 * form, never written since csf_format()?  Volumes, buckets and object
 * table blocks: always (losing one loses objects, never data).  A bitmap
 * block: only when its whole span is inside the data area and the summary
 * (a different block, written in the same transactions) counts every bit
 * free; csf_format() seals every bitmap block that covers metadata or the
 * device end.  Otherwise a lost or zeroed bitmap block would silently
 * free live data.  Returns 0, -EUCLEAN or the summary read's error.
 */
static int csf_pristine_check(struct csf_fs *fs, u16 type, u64 blkno)
{
	const struct csf_geo *g = &fs->geo;
	const struct csf_summary *s;
	struct csf_buf *sb;
	u64 bi, first;
	u32 si;
	int ret;

	if (type != CSF_T_BITMAP)
		return 0;
	if (blkno < g->bitmap_start || blkno >= g->bitmap_start + g->bitmap_len)
		return -EUCLEAN;
	bi = blkno - g->bitmap_start;
	first = bi << CSF_BITS_PER_BMAP_SHIFT;
	if (first < g->data_start || first + CSF_BITS_PER_BMAP > g->data_end)
		return -EUCLEAN;
	si = (u32)csf_div_u64(bi, CSF_SUM_PER_BLOCK);
	ret = csf_buf_get(fs, g->summary_start + si, CSF_T_SUMMARY, &sb);
	if (ret)
		return ret;
	s = (const void *)sb->data;
	if (le16_to_cpu(s->free[bi - (u64)si * CSF_SUM_PER_BLOCK]) !=
	    CSF_BITS_PER_BMAP)
		return -EUCLEAN;
	return 0;
}

/*
 * csf_buf_get - the validated block @blkno of @type
 * Returns 0, -EUCLEAN if the block fails validation, or an I/O error.
 */
/*
 * Check a block just read into @b as a @type block; on error destroy @b,
 * and say so unless @quiet (a prefetch: the read that needs the block
 * reads it again and reports it).
 */
static int csf_buf_check_read(struct csf_fs *fs, struct csf_buf *b, u16 type,
			      bool quiet)
{
	int ret;

	if (csf_type_pristine_ok(type) && csf_blk_is_zero(b->data))
		ret = csf_pristine_check(fs, type, b->blkno);
	else
		ret = csf_validate_block(&fs->geo, b->data, type, b->blkno);
	if (ret) {
		if (ret == -EUCLEAN && !quiet)
			csf_err("bad %s block %llu\n", csf_type_name(type),
				(unsigned long long)b->blkno);
		csf_buf_destroy(fs, b);
		return ret;
	}
	csf_buf_set_type(b, type);
	csf_list_add_tail(&b->lru, &fs->clean);
	return 0;
}

int csf_buf_get(struct csf_fs *fs, u64 blkno, u16 type, struct csf_buf **bp)
{
	struct csf_buf *b = csf_buf_find(fs, blkno);
	int ret;

	if (b) {
		if (csf_buf_type(b) != type)
			return -EUCLEAN;
		b->call_seq = fs->call_seq;
		if (!(b->flags & (CSF_BUF_TXN | CSF_BUF_CKPT | CSF_BUF_PINNED))) {
			csf_list_del(&b->lru);
			csf_list_add_tail(&b->lru, &fs->clean);
		}
		*bp = b;
		return 0;
	}
	if (blkno >= fs->geo.nblocks)
		return -EUCLEAN;
	b = csf_buf_alloc(fs, blkno);
	if (!b)
		return -ENOMEM;
	fs->stats.reads++;
	ret = fs->dev.ops->read(fs->dev.priv, blkno, 1, b->data);
	if (ret) {
		csf_buf_destroy(fs, b);
		return ret;
	}
	ret = csf_buf_check_read(fs, b, type, false);
	if (!ret)
		*bp = b;
	return ret;
}

/* Is block @blkno in the buffer cache? */
bool csf_buf_cached(struct csf_fs *fs, u64 blkno)
{
	return csf_buf_find(fs, blkno);
}

/*
 * csf_buf_prefetch - read the blocks of @blks (@type blocks, at most
 * CSF_PREFETCH_MAX are looked at) that are not cached, all issued before
 * any is waited for (dev->ops->read_many), into clean buffers: the
 * csf_buf_get() of each that follows finds it cached.  A hint: without
 * read_many, or for fewer than two blocks, it does nothing, and a block
 * that fails to read or to validate is not kept (its csf_buf_get() reads
 * it again and reports why).
 */
void csf_buf_prefetch(struct csf_fs *fs, const u64 *blks, u32 n, u16 type)
{
	struct csf_buf *b[CSF_PREFETCH_MAX];
	void *bufs[CSF_PREFETCH_MAX];
	u64 want[CSF_PREFETCH_MAX];
	u32 i, j, k = 0;
	int ret;

	if (!fs->dev.ops->read_many)
		return;
	for (i = 0; i < n && i < CSF_PREFETCH_MAX; i++) {
		if (blks[i] >= fs->geo.nblocks || csf_buf_find(fs, blks[i]))
			continue;
		for (j = 0; j < k && want[j] != blks[i]; j++)
			;
		if (j == k)
			want[k++] = blks[i];
	}
	if (k < 2)
		return;
	for (i = 0; i < k; i++) {
		b[i] = csf_buf_alloc(fs, want[i]);
		if (!b[i])
			break;
		bufs[i] = b[i]->data;
	}
	k = i;
	fs->stats.reads += k;
	ret = k ? fs->dev.ops->read_many(fs->dev.priv, want, k, bufs) : 0;
	for (i = 0; i < k; i++) {
		if (ret)
			csf_buf_destroy(fs, b[i]);
		else
			csf_buf_check_read(fs, b[i], type, true);
	}
}

/*
 * csf_buf_new - a buffer for @blkno whose old contents do not matter
 * (fresh map block).  Zeroed; the caller fills it and dirties it.
 */
struct csf_buf *csf_buf_new(struct csf_fs *fs, u64 blkno, u16 type)
{
	struct csf_buf *b = csf_buf_find(fs, blkno);

	csf_oc_drop_block(fs, blkno);	/* its records change: csf_ocache.c */

	if (!b) {
		b = csf_buf_alloc(fs, blkno);
		if (!b)
			return NULL;
		b->flags |= CSF_BUF_NEW;
		csf_list_add_tail(&b->lru, &fs->clean);
	}
	b->call_seq = fs->call_seq;
	if (!(b->flags & CSF_BUF_TXN) && !(b->flags & CSF_BUF_NEW)) {
		if (csf_buf_dirty(fs, b))
			return NULL;
	}
	memset(b->data, 0, CSF_BLOCK_SIZE);
	csf_buf_set_type(b, type);
	return b;
}

/* Is @b in the running transaction (its contents may still change)? */
bool csf_buf_in_txn(const struct csf_buf *b)
{
	return b->flags & CSF_BUF_TXN;
}

/* Add @b to the running transaction; keeps a frozen copy for abort. */
int csf_buf_dirty(struct csf_fs *fs, struct csf_buf *b)
{
	/* its records are about to change: csf_ocache.c */
	csf_oc_drop_block(fs, b->blkno);
	if (b->flags & CSF_BUF_TXN)
		return 0;
	if (fs->flags & CSF_OPEN_RDONLY)
		return -EROFS;
	if (fs->ntxn + 1 > fs->max_txn)
		return -ENOSPC;
	if (!(b->flags & CSF_BUF_NEW)) {
		b->frozen = csf_alloc(CSF_BLOCK_SIZE);
		if (!b->frozen)
			return -ENOMEM;
		memcpy(b->frozen, b->data, CSF_BLOCK_SIZE);
	}
	if (!(b->flags & CSF_BUF_CKPT))
		csf_list_del(&b->lru);
	b->flags |= CSF_BUF_TXN;
	csf_list_add_tail(&b->txn, &fs->txn);
	fs->ntxn++;
	return 0;
}

/* Called by csf_abort: restore every buffer of the running transaction. */
void csf_buf_abort(struct csf_fs *fs)
{
	while (!csf_list_empty(&fs->txn)) {
		struct csf_buf *b = csf_entry(fs->txn.next, struct csf_buf,
					      txn);

		csf_list_del(&b->txn);
		b->flags &= ~CSF_BUF_TXN;
		fs->ntxn--;
		if (b->flags & CSF_BUF_NEW) {
			csf_buf_destroy(fs, b);
			continue;
		}
		memcpy(b->data, b->frozen, CSF_BLOCK_SIZE);
		csf_free(b->frozen);
		b->frozen = NULL;
		if (!(b->flags & CSF_BUF_CKPT))
			csf_list_add_tail(&b->lru, &fs->clean);
	}
}

/* Called after the commit block is durable. */
void csf_buf_committed(struct csf_fs *fs)
{
	while (!csf_list_empty(&fs->txn)) {
		struct csf_buf *b = csf_entry(fs->txn.next, struct csf_buf,
					      txn);

		csf_list_del(&b->txn);
		csf_free(b->frozen);
		b->frozen = NULL;
		b->flags &= ~(CSF_BUF_TXN | CSF_BUF_NEW);
		if (!(b->flags & CSF_BUF_CKPT)) {
			b->flags |= CSF_BUF_CKPT;
			csf_list_add_tail(&b->lru, &fs->ckpt);
			fs->nckpt++;
		}
		fs->ntxn--;
	}
}

/*
 * Merge two runs sorted by block number, linked through ->next only; returns
 * the head of the merged run.
 */
static struct csf_list *csf_ckpt_merge(struct csf_list *a, struct csf_list *b)
{
	struct csf_list head, *t = &head;

	while (a && b) {
		if (csf_entry(a, struct csf_buf, lru)->blkno <=
		    csf_entry(b, struct csf_buf, lru)->blkno) {
			t->next = a;
			a = a->next;
		} else {
			t->next = b;
			b = b->next;
		}
		t = t->next;
	}
	t->next = a ? a : b;
	return head.next;
}

/*
 * csf_ckpt_sort - order fs->ckpt by home block, so that a checkpoint writes
 * consecutive blocks one after another and the device layer can join them
 * (the kernel's bdev.c builds one bio from a run of consecutive blocks).
 * A bottom-up merge sort: O(n log n), no allocation, stable.
 */
static void csf_ckpt_sort(struct csf_fs *fs)
{
	struct csf_list *part[32] = { NULL }, *list, *l, *prev;
	u32 i, max = 0;

	if (fs->nckpt < 2)
		return;
	fs->ckpt.prev->next = NULL;
	list = fs->ckpt.next;
	while (list) {
		struct csf_list *cur = list;

		list = list->next;
		cur->next = NULL;
		for (i = 0; part[i] && i < ARRAY_SIZE(part) - 1; i++) {
			cur = csf_ckpt_merge(part[i], cur);
			part[i] = NULL;
		}
		if (part[i])	/* the last slot holds any number */
			cur = csf_ckpt_merge(part[i], cur);
		part[i] = cur;
		if (i > max)
			max = i;
	}
	list = NULL;
	for (i = 0; i <= max; i++)
		if (part[i])
			list = list ? csf_ckpt_merge(part[i], list) : part[i];
	/* relink ->prev and close the ring through the list head */
	prev = &fs->ckpt;
	for (l = list; l; l = l->next) {
		prev->next = l;
		l->prev = prev;
		prev = l;
	}
	prev->next = &fs->ckpt;
	fs->ckpt.prev = prev;
}

/*
 * Write the committed buffers home (no running transaction), in block
 * order.
 */
int csf_buf_write_home(struct csf_fs *fs, u64 seq)
{
	struct csf_list *l;
	int ret;

	csf_ckpt_sort(fs);
	for (l = fs->ckpt.next; l != &fs->ckpt; l = l->next) {
		struct csf_buf *b = csf_entry(l, struct csf_buf, lru);

		if (seq)
			csf_blk_seal(b->data, csf_buf_type(b), b->blkno, seq);
		fs->stats.writes++;
		/* the caller flushes next, which waits for started writes */
		if (fs->dev.ops->write_start)
			ret = fs->dev.ops->write_start(fs->dev.priv, b->blkno,
						       1, b->data);
		else
			ret = fs->dev.ops->write(fs->dev.priv, b->blkno, 1,
						 b->data);
		if (ret)
			return ret;
	}
	return 0;
}

/* After a checkpoint's flush: every committed buffer is home. */
void csf_buf_ckpt_done(struct csf_fs *fs)
{
	while (!csf_list_empty(&fs->ckpt)) {
		struct csf_buf *b = csf_entry(fs->ckpt.next, struct csf_buf,
					      lru);

		csf_list_del(&b->lru);
		b->flags &= ~CSF_BUF_CKPT;
		csf_list_add_tail(&b->lru, &fs->clean);
		fs->nckpt--;
	}
	csf_buf_shrink(fs);
}

/* Install a replayed image without writing it (read-only replay). */
int csf_buf_install(struct csf_fs *fs, u64 blkno, const void *img)
{
	struct csf_buf *b = csf_buf_find(fs, blkno);

	csf_oc_drop_block(fs, blkno);

	if (!b) {
		b = csf_buf_alloc(fs, blkno);
		if (!b)
			return -ENOMEM;
	} else {
		csf_list_del(&b->lru);
	}
	memcpy(b->data, img, CSF_BLOCK_SIZE);
	b->flags = CSF_BUF_PINNED;
	csf_buf_set_type(b, le16_to_cpu(((const struct csf_blk_hdr *)img)->type));
	return 0;
}

/*
 * csf_buf_write_direct - repair path: write every dirty buffer home without
 * the journal, then flush.  Only for offline use (fsck).
 */
int csf_buf_write_direct(struct csf_fs *fs)
{
	int ret;

	while (!csf_list_empty(&fs->txn)) {
		struct csf_buf *b = csf_entry(fs->txn.next, struct csf_buf,
					      txn);

		csf_list_del(&b->txn);
		csf_free(b->frozen);
		b->frozen = NULL;
		b->flags &= ~(CSF_BUF_TXN | CSF_BUF_NEW);
		if (!(b->flags & CSF_BUF_CKPT)) {
			b->flags |= CSF_BUF_CKPT;
			csf_list_add_tail(&b->lru, &fs->ckpt);
			fs->nckpt++;
		}
		fs->ntxn--;
	}
	fs->pend_txn.n = 0;
	ret = csf_buf_write_home(fs, fs->head_seq);
	if (!ret)
		ret = fs->dev.ops->flush(fs->dev.priv);
	if (!ret)
		csf_buf_ckpt_done(fs);
	return ret;
}
