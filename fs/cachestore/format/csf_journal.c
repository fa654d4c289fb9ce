// SPDX-License-Identifier: GPL-2.0
/*
 * csf_journal.c - physical block journal: commit, checkpoint, replay.
 *
 * A transaction in the ring is: descriptor, the images it lists, further
 * descriptor+images groups, then a commit block whose txn_csum chains
 * xxh64 over every block before it.  Commit order:
 *   write descriptors and images; flush; write commit; flush.
 * The first flush also makes every data write completed before the commit
 * durable, so a content bit never reaches the disk before its data.
 */
#include "csf.h"

static inline u64 csf_ring_blk(const struct csf_fs *fs, u64 pos)
{
	return fs->geo.ring_start + pos;
}

static inline u64 csf_ring_next(const struct csf_fs *fs, u64 pos)
{
	return pos + 1 == fs->geo.ring_len ? 0 : pos + 1;
}

static u64 csf_ring_used(const struct csf_fs *fs)
{
	if (fs->head_pos >= fs->tail_pos)
		return fs->head_pos - fs->tail_pos;
	return fs->head_pos + fs->geo.ring_len - fs->tail_pos;
}

static int csf_io_fail(struct csf_fs *fs, int ret)
{
	/* no write started may outlive the call that started it */
	if (fs->dev.ops->write_start)
		fs->dev.ops->flush(fs->dev.priv);
	if (!fs->error)
		fs->error = ret;
	csf_err("I/O error %d, cache is now read-only\n", ret);
	return ret;
}

static int csf_flush(struct csf_fs *fs)
{
	fs->stats.flushes++;
	return fs->dev.ops->flush(fs->dev.priv);
}

/* Pick the checkpoint slot with a valid checksum and the higher count. */
int csf_journal_load(struct csf_fs *fs)
{
	u64 best = 0;
	int i, found = 0;

	for (i = 0; i < 2; i++) {
		const struct csf_jckpt *c = (const void *)fs->scratch;
		u64 blk = fs->geo.journal_start + i;
		u64 seq;

		if (fs->dev.ops->read(fs->dev.priv, blk, 1, fs->scratch))
			continue;
		if (csf_validate_block(&fs->geo, fs->scratch, CSF_T_JCKPT, blk))
			continue;
		seq = le64_to_cpu(c->hdr.seq);
		if (found && seq <= best)
			continue;
		found = 1;
		best = seq;
		fs->tail_pos = le64_to_cpu(c->tail_pos);
		fs->tail_seq = le64_to_cpu(c->tail_seq);
	}
	if (!found) {
		if (!(fs->flags & CSF_OPEN_NO_REPLAY))
			return -EUCLEAN;
		fs->flags |= CSF_FS_BAD_JOURNAL;
		fs->tail_pos = 0;
		fs->tail_seq = 1;
	}
	fs->ckpt_count = best;
	fs->head_pos = fs->tail_pos;
	fs->head_seq = fs->tail_seq;
	fs->replay_end_seq = fs->tail_seq;
	return 0;
}

static int csf_write_ckpt(struct csf_fs *fs)
{
	struct csf_jckpt *c = (void *)fs->scratch;
	u64 n = fs->ckpt_count + 1;
	u64 blk = fs->geo.journal_start + (n & 1);
	int ret;

	memset(c, 0, CSF_BLOCK_SIZE);
	c->tail_pos = cpu_to_le64(fs->head_pos);
	c->tail_seq = cpu_to_le64(fs->head_seq);
	memcpy(c->uuid, fs->geo.uuid, 16);
	csf_blk_seal(c, CSF_T_JCKPT, blk, n);
	fs->stats.writes++;
	ret = fs->dev.ops->write(fs->dev.priv, blk, 1, c);
	if (!ret)
		ret = csf_flush(fs);
	if (ret)
		return ret;
	fs->ckpt_count = n;
	fs->tail_pos = fs->head_pos;
	fs->tail_seq = fs->head_seq;
	return 0;
}

/*
 * csf_journal_reset - forget the journal (fsck after repair, or a journal
 * whose checkpoint slots are both damaged).  Everything must be home.
 */
int csf_journal_reset(struct csf_fs *fs)
{
	int ret;

	if (fs->ntxn || fs->nckpt)
		return -EBUSY;
	ret = csf_write_ckpt(fs);
	if (!ret)
		fs->flags &= ~CSF_FS_BAD_JOURNAL;
	return ret;
}

static bool csf_journalled_type(u16 t)
{
	return t == CSF_T_STATE || t == CSF_T_SUMMARY || t == CSF_T_BITMAP ||
	       t == CSF_T_VOLUME || t == CSF_T_BUCKET || t == CSF_T_OBJTAB ||
	       t == CSF_T_MAPLEAF || t == CSF_T_MAPINDEX;
}

/*
 * Did the transaction at @pos with sequence @seq reach its commit block?
 * Follows the descriptor chain (each descriptor names how many images come
 * after it) to where the commit block must be, and checks that block alone.
 * A transaction whose commit block is missing was cut by a crash before its
 * commit: images it lacks are expected, not damage.  Uses @img as a buffer.
 */
static bool csf_txn_committed(struct csf_fs *fs, u64 pos, u64 seq, u8 *img)
{
	const struct csf_jdesc *d = (const void *)img;
	u64 span = 0, p = pos;
	u32 ndesc = 0, n;

	while (span + 1 < fs->geo.ring_len) {
		u64 blk = csf_ring_blk(fs, p);

		if (fs->dev.ops->read(fs->dev.priv, blk, 1, img))
			return false;
		if (le16_to_cpu(d->hdr.type) == CSF_T_JCOMMIT && ndesc) {
			const struct csf_jcommit *c = (const void *)img;

			return !csf_validate_block(&fs->geo, c, CSF_T_JCOMMIT,
						   blk) &&
			       le64_to_cpu(c->hdr.seq) == seq &&
			       le32_to_cpu(c->nr_blocks) == span &&
			       le32_to_cpu(c->nr_desc) == ndesc;
		}
		if (csf_validate_block(&fs->geo, d, CSF_T_JDESC, blk) ||
		    le64_to_cpu(d->hdr.seq) != seq ||
		    le32_to_cpu(d->index) != ndesc)
			return false;
		n = le32_to_cpu(d->count);
		ndesc++;
		span += 1 + (u64)n;
		p = (p + 1 + n) % fs->geo.ring_len;
	}
	return false;
}

/*
 * Walk one transaction at @pos with sequence @seq.  Pass 1 (@apply false)
 * verifies it; pass 2 applies it.  Returns the blocks it spans including
 * the commit, 0 if there is no complete valid transaction there, or an
 * I/O error.
 */
static s64 csf_replay_txn(struct csf_fs *fs, u64 pos, u64 seq, int apply,
			  bool write, u8 *img)
{
	struct csf_jdesc *d = (void *)fs->scratch;
	u64 h = seq, span = 0, p = pos;
	u32 ndesc = 0, i, n;
	int ret;

	for (;;) {
		u64 blk = csf_ring_blk(fs, p);

		if (span + 1 >= fs->geo.ring_len)
			return 0;
		ret = fs->dev.ops->read(fs->dev.priv, blk, 1, d);
		if (ret)
			return ret;
		if (le16_to_cpu(d->hdr.type) == CSF_T_JCOMMIT && ndesc) {
			const struct csf_jcommit *c = (const void *)d;

			if (csf_validate_block(&fs->geo, c, CSF_T_JCOMMIT, blk) ||
			    le64_to_cpu(c->hdr.seq) != seq ||
			    le32_to_cpu(c->nr_blocks) != span ||
			    le32_to_cpu(c->nr_desc) != ndesc ||
			    le64_to_cpu(c->txn_csum) != h)
				return 0;
			return (s64)span + 1;
		}
		if (csf_validate_block(&fs->geo, d, CSF_T_JDESC, blk) ||
		    le64_to_cpu(d->hdr.seq) != seq ||
		    le32_to_cpu(d->index) != ndesc)
			return 0;
		h = csf_xxh64(d, CSF_BLOCK_SIZE, h);
		n = le32_to_cpu(d->count);
		ndesc++;
		span++;
		p = csf_ring_next(fs, p);
		if (span + n + 1 >= fs->geo.ring_len)
			return 0;
		for (i = 0; i < n; i++) {
			u64 home = le64_to_cpu(d->home[i]);
			u16 t;

			ret = fs->dev.ops->read(fs->dev.priv,
						csf_ring_blk(fs, p), 1, img);
			if (ret)
				return ret;
			h = csf_xxh64(img, CSF_BLOCK_SIZE, h);
			t = le16_to_cpu(((struct csf_blk_hdr *)img)->type);
			if (!csf_journalled_type(t) ||
			    le64_to_cpu(((struct csf_blk_hdr *)img)->seq) != seq ||
			    csf_validate_block(&fs->geo, img, t, home)) {
				/*
				 * Damage only if the transaction committed;
				 * else the crash cut it before its commit
				 * block: the journal simply ends here.
				 */
				if (csf_txn_committed(fs, pos, seq, img))
					fs->flags |= CSF_FS_BAD_JOURNAL;
				return 0;
			}
			if (apply) {
				if (write) {
					fs->stats.writes++;
					ret = fs->dev.ops->write(fs->dev.priv,
								 home, 1, img);
				} else {
					ret = csf_buf_install(fs, home, img);
				}
				if (ret)
					return ret;
				fs->stats.replayed_blocks++;
			}
			span++;
			p = csf_ring_next(fs, p);
		}
	}
}

static inline u64 csf_ring_add(const struct csf_fs *fs, u64 pos, u64 n)
{
	pos += n;
	return pos >= fs->geo.ring_len ? pos - fs->geo.ring_len : pos;
}

/*
 * csf_journal_replay - apply every complete transaction from the tail, in
 * sequence order, stopping at the first break.  With @write the images go
 * home, then a checkpoint moves the tail past them; without, they are
 * installed in the buffer cache only (read-only open).
 */
int csf_journal_replay(struct csf_fs *fs, bool write)
{
	u64 pos = fs->tail_pos, seq = fs->tail_seq, done = 0;
	u8 *img;
	s64 span;
	int ret = 0;

	img = csf_alloc(CSF_BLOCK_SIZE);
	if (!img)
		return -ENOMEM;
	for (;;) {
		span = csf_replay_txn(fs, pos, seq, 0, write, img);
		if (span <= 0)
			break;
		/* never wrap past the tail: bounded by the ring size */
		done += (u64)span;
		if (done >= fs->geo.ring_len) {
			span = 0;
			break;
		}
		span = csf_replay_txn(fs, pos, seq, 1, write, img);
		if (span <= 0)
			break;
		fs->stats.replayed_txns++;
		pos = csf_ring_add(fs, pos, (u64)span);
		seq++;
	}
	csf_free(img);
	if (span < 0)
		return (int)span;
	fs->head_pos = pos;
	fs->head_seq = seq;
	fs->replay_end_seq = seq;
	if (!write)
		return 0;
	/*
	 * Replay stopped at the first break.  Past it the ring may still hold
	 * a complete, valid transaction with the next sequence number (only
	 * if the device lost or garbled a commit block it had acknowledged);
	 * a new transaction of the same length at this position would make
	 * it look like a continuation.  Jump the sequence past anything the
	 * ring can hold (a transaction takes at least two blocks) and
	 * checkpoint there, so nothing written before this open can ever be
	 * replayed again.
	 */
	fs->head_seq = seq + fs->geo.ring_len;
	ret = csf_flush(fs);
	if (!ret)
		ret = csf_write_ckpt(fs);
	return ret;
}

/*
 * Write one ring block.  With @start the write may only be started (see
 * csf_dev_ops.write_start): @data must then stay as it is until the next
 * csf_flush(), which waits for it.
 */
static int csf_write_blk(struct csf_fs *fs, u64 pos, const void *data,
			 bool start)
{
	const struct csf_dev_ops *ops = fs->dev.ops;

	fs->stats.writes++;
	if (start && ops->write_start)
		return ops->write_start(fs->dev.priv, csf_ring_blk(fs, pos), 1,
					data);
	return ops->write(fs->dev.priv, csf_ring_blk(fs, pos), 1, data);
}

/*
 * csf_commit - make the running transaction durable (see the file
 * comment for the order).  Afterwards blocks freed by the transaction are
 * allocatable (map blocks: after the next checkpoint), and the journal is
 * checkpointed when more than half full.
 */
int csf_commit(struct csf_fs *fs)
{
	struct csf_jdesc *d = (void *)fs->scratch;
	struct csf_list *l;
	u64 seq = fs->head_seq, pos = fs->head_pos, h = seq;
	u32 nimg = fs->ntxn, ndesc, i, k;
	int ret;

	if (fs->error)
		return fs->error;
	if (!nimg) {
		csf_pending_release(fs, &fs->pend_txn);
		return 0;
	}
	ndesc = DIV_ROUND_UP(nimg, CSF_JDESC_MAX);
	if (csf_ring_used(fs) + ndesc + nimg + 1 >= fs->geo.ring_len) {
		/* cannot happen: see csf_journal_max_txn() */
		csf_err("transaction of %u blocks does not fit the journal\n",
			nimg);
		return -ENOSPC;
	}

	l = fs->txn.next;
	for (k = 0; k < ndesc; k++) {
		u32 n = min_t(u32, nimg - k * CSF_JDESC_MAX, CSF_JDESC_MAX);
		struct csf_list *m = l;

		memset(d, 0, CSF_BLOCK_SIZE);
		memcpy(d->uuid, fs->geo.uuid, 16);
		d->count = cpu_to_le32(n);
		d->index = cpu_to_le32(k);
		for (i = 0; i < n; i++, m = m->next)
			d->home[i] = cpu_to_le64(csf_entry(m, struct csf_buf,
							   txn)->blkno);
		csf_blk_seal(d, CSF_T_JDESC, csf_ring_blk(fs, pos), seq);
		h = csf_xxh64(d, CSF_BLOCK_SIZE, h);
		/* the scratch block is reused for the next descriptor */
		ret = csf_write_blk(fs, pos, d, k == ndesc - 1);
		if (ret)
			return csf_io_fail(fs, ret);
		pos = csf_ring_next(fs, pos);
		for (i = 0; i < n; i++, l = l->next) {
			struct csf_buf *b = csf_entry(l, struct csf_buf, txn);
			u16 t = (u16)(b->flags >> 16);

			csf_blk_seal(b->data, t, b->blkno, seq);
			h = csf_xxh64(b->data, CSF_BLOCK_SIZE, h);
			ret = csf_write_blk(fs, pos, b->data, true);
			if (ret)
				return csf_io_fail(fs, ret);
			pos = csf_ring_next(fs, pos);
		}
	}
	ret = csf_flush(fs);
	if (ret)
		return csf_io_fail(fs, ret);
	{
		struct csf_jcommit *c = (void *)fs->scratch;

		memset(c, 0, CSF_BLOCK_SIZE);
		memcpy(c->uuid, fs->geo.uuid, 16);
		c->nr_blocks = cpu_to_le32(ndesc + nimg);
		c->nr_desc = cpu_to_le32(ndesc);
		c->txn_csum = cpu_to_le64(h);
		csf_blk_seal(c, CSF_T_JCOMMIT, csf_ring_blk(fs, pos), seq);
		ret = csf_write_blk(fs, pos, c, true);
		if (!ret)
			ret = csf_flush(fs);
		if (ret)
			return csf_io_fail(fs, ret);
	}
	fs->head_pos = csf_ring_next(fs, pos);
	fs->head_seq = seq + 1;
	fs->stats.commits++;
	csf_buf_committed(fs);
	csf_pending_release(fs, &fs->pend_txn);
	if (csf_ring_used(fs) * 2 > fs->geo.ring_len ||
	    fs->nckpt > min_t(u32, fs->maxbufs / 2, CSF_CKPT_BUFS))
		return csf_checkpoint(fs);
	return 0;
}

/*
 * csf_checkpoint - commit, write every committed block home, flush, then
 * advance the journal tail (alternate checkpoint slot) and flush.
 */
int csf_checkpoint(struct csf_fs *fs)
{
	int ret;

	if (fs->error)
		return fs->error;
	if (fs->ntxn) {
		ret = csf_commit(fs);
		if (ret || !fs->nckpt)
			return ret;
	}
	if (!fs->nckpt && fs->tail_pos == fs->head_pos &&
	    fs->tail_seq == fs->head_seq)
		return 0;
	ret = csf_buf_write_home(fs, 0);
	if (!ret)
		ret = csf_flush(fs);
	if (!ret)
		ret = csf_write_ckpt(fs);
	if (ret)
		return csf_io_fail(fs, ret);
	csf_buf_ckpt_done(fs);
	csf_pending_release(fs, &fs->pend_meta);
	fs->stats.checkpoints++;
	return 0;
}

/* csf_abort - forget the running transaction, restoring committed images. */
void csf_abort(struct csf_fs *fs)
{
	if (fs->ntxn)
		fs->stats.aborts++;
	csf_buf_abort(fs);
	csf_oc_clear(fs);
	/* those frees are undone: never discard the blocks */
	fs->pend_txn.n = 0;
	/* records rolled back under the volume reference counts */
	fs->vol_refs_ok = false;
}

/*
 * csf_op_begin - reserve room for an operation that dirties at most
 * @credits blocks: commits first when the running transaction could not
 * take them, so every operation is atomic inside one transaction.
 */
int csf_op_begin(struct csf_fs *fs, u32 credits)
{
	if (fs->error)
		return fs->error;
	if (fs->flags & CSF_OPEN_RDONLY)
		return -EROFS;
	if (credits > fs->max_txn)
		return -E2BIG;
	if (fs->ntxn + credits > fs->max_txn)
		return csf_commit(fs);
	return 0;
}

/* Ring blocks of a transaction of @n images: descriptors and commit too. */
static u64 csf_txn_blocks(u64 n)
{
	return n + DIV_ROUND_UP(n, CSF_JDESC_MAX) + 1;
}

/*
 * csf_journal_max_txn - the most blocks one transaction may dirty (every
 * credit count checks against it: csf_op_begin(), csf_buf_dirty()).
 *
 * Derivation, with R = ring_len:
 *  - a transaction of n images takes T(n) = n + ceil(n / CSF_JDESC_MAX) + 1
 *    ring blocks (its images, its descriptors, its commit block);
 *  - csf_commit() needs used + T(n) < R, strictly: the head never catches up
 *    with the tail, or a full ring would look empty;
 *  - after every commit, used * 2 <= R, since csf_commit() checkpoints
 *    (used = 0) when used * 2 > R; open, replay, csf_checkpoint() and
 *    csf_journal_reset() leave used = 0.  So used <= floor(R / 2) whenever
 *    a transaction starts, and it may dirty any number of blocks;
 *  - so a transaction always fits when T(n) <= R - 1 - floor(R / 2).
 * max_txn is the largest such n.  T grows by 1 or 2 per image, so start
 * from the estimate and step.  For R = 1022 (the smallest journal) this
 * is 507; for R = 2^20 - 2 (the largest) 523247.
 */
u64 csf_journal_max_txn(u64 ring_len)
{
	u64 room = ring_len - 1 - ring_len / 2;
	u64 n = csf_div_u64(room * CSF_JDESC_MAX, CSF_JDESC_MAX + 1);

	while (n && csf_txn_blocks(n) > room)
		n--;
	while (csf_txn_blocks(n + 1) <= room)
		n++;
	return n;
}
