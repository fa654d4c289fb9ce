/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csf.h - the cachestore format library (csf_*): one copy of the on-disk
 * logic, compiled into the kernel backend and into the userspace tools.
 *
 * The library is single threaded (the kernel wraps every call in one mutex)
 * and does no data I/O: it maps object pages to device blocks and the caller
 * moves the data.  Metadata I/O goes through struct csf_dev_ops.
 *
 * Device and lifetime
 *   csf_geometry()        compute a layout from struct csf_format_params
 *   csf_format()          write a fresh, empty cache through the dev ops
 *   csf_open()            read+validate superblock (backup fallback), pick
 *                         the journal checkpoint, replay the journal
 *   csf_close()           commit, checkpoint, free
 *   csf_commit()          make the running transaction durable
 *   csf_checkpoint()      commit, write journalled blocks home, move tail
 *   csf_abort()           drop the running transaction (roll back memory)
 *   csf_statfs()          block and object counts
 *   csf_check()           walk everything, check every invariant, repair
 *
 * Volumes
 *   csf_vol_lookup()      volume key -> volume id
 *   csf_vol_create()      add a volume with coherency data
 *   csf_vol_get()/csf_vol_set_coh()  read / replace its coherency data
 *   csf_vol_retire()      mark it dead (coherency changed): never found again;
 *                         its slot is reused once no object record names it
 *
 * Objects: (objid, gen) names one generation of one object.  A call with a
 * stale gen fails with -ESTALE.
 *   csf_obj_lookup()      (volume, key) -> objid, gen or -ENOENT
 *   csf_obj_create()      new object (key, aux, size, access stamp)
 *   csf_obj_get()         read its record (size, aux, key, stamps)
 *   csf_obj_set_aux()     replace aux (coherency) data
 *   csf_obj_resize()      change size; shrinking drops pages past the end
 *   csf_obj_invalidate()  new generation: storage dropped, aux/size replaced
 *   csf_obj_delete()      remove from index and LRU, reclaim its storage
 *   csf_obj_touch()       note an access (journals only on epoch change)
 *   csf_obj_promote()     a read from the cache: off probation
 *   csf_obj_requeue()     apply a use noted in memory (by id, any epoch)
 *   csf_obj_map()         page -> device block, allocating on request
 *   csf_obj_query()       is a page present, and how many after it agree
 *   csf_obj_mark_present() pages whose data writes have COMPLETED; the
 *                         commit flushes the device before its commit block
 *   csf_cull_pick()       the N least recently used objects, probation
 *                         first (skip callback; objects in use move to the
 *                         tail of their list)
 *   csf_obj_scan()        live objects of a volume, in table order (bounded)
 *   csf_reclaim()         free storage of dying objects (bounded work)
 *
 * Errors: a public operation that fails with -ENOSPC, -ENOENT, -ESTALE,
 * -E2BIG or -ENOMEM from growing a pending-free array has changed
 * nothing (room is reserved before anything changes; an allocation that
 * cannot be used is given back).  After any other error (I/O, -EUCLEAN,
 * -ENOMEM for a buffer) the running transaction may hold half of the
 * operation: the caller must csf_abort() it before anything else (the
 * kernel then takes the cache offline, as other operations of that
 * transaction are lost too).
 *
 * Object cache (csf_ocache.c): csf_obj_lookup(), csf_obj_get(),
 * csf_obj_query() and csf_obj_map() without allocation, and
 * csf_obj_set_aux(), csf_obj_resize() and csf_obj_set_dirty() that would
 * change nothing, answer from an in-memory copy of live records, dropped
 * whenever a record's block joins a transaction; fs->oc_max objects
 * (csf_oc_init(); 0: off).
 *
 * Block parsers (never trust a field: every length/offset bounds checked)
 *   csf_blk_verify(), csf_sb_decode(), csf_validate_block()
 */
#ifndef __CSF_H
#define __CSF_H

#include "csf_port.h"
#include "cachestore_fs.h"

struct csf_dev_ops {
	/* Read/write @count 4 KiB blocks at device block @blk. 0 or -errno. */
	int (*read)(void *priv, u64 blk, u32 count, void *buf);
	int (*write)(void *priv, u64 blk, u32 count, const void *buf);
	/*
	 * Optional: start writing @count blocks from @buf and return at once.
	 * The next flush() waits for every write started, reports the first
	 * error among them, then makes them durable; @buf stays unchanged
	 * until then.  NULL: write() is used.  Started writes may reach the
	 * device in any order, so the library starts only writes that no
	 * other write before the next flush depends on.
	 */
	int (*write_start)(void *priv, u64 blk, u32 count, const void *buf);
	/* Make every completed (and started) write durable. */
	int (*flush)(void *priv);
	/* Optional: make blocks read as zero (NULL: write zero blocks). */
	int (*zero)(void *priv, u64 blk, u64 count);
	/* Optional: discard freed data blocks (NULL: no discard). */
	int (*discard)(void *priv, u64 blk, u64 count);
	/*
	 * Optional: read @n single blocks, block @blks[i] into @bufs[i], all
	 * issued before any is waited for; 0 or the first -errno.  NULL:
	 * csf_buf_prefetch() does nothing.
	 */
	int (*read_many)(void *priv, const u64 *blks, u32 n, void *const *bufs);
};

struct csf_dev {
	const struct csf_dev_ops *ops;
	void *priv;
	u64 nblocks;		/* device size in 4 KiB blocks */
};

struct csf_format_params {
	u64 nblocks;		/* blocks to use (<= device size) */
	u32 granule_shift;	/* 0: CSF_GRANULE_SHIFT_DEF */
	u64 expected_objects;	/* 0: one per 64 KiB of device */
	u64 journal_blocks;	/* 0: automatic */
	u32 nr_volumes;		/* 0: 64 */
	u32 epoch_shift;	/* 0: 6 (64 s epochs for LRU touches) */
	bool no_probation;	/* one LRU list (no feature PROBATION) */
	u8 uuid[16];
	char label[64];
	u64 mkfs_time;
};

/* Decoded superblock (cpu endian). */
struct csf_geo {
	u64 nblocks;
	u64 state_blk;
	u64 journal_start, journal_len;
	u64 ring_start, ring_len;
	u64 summary_start, summary_len;
	u64 bitmap_start, bitmap_len;
	u64 volume_start, volume_len;
	u64 index_start, index_len;
	u64 objtab_start, objtab_len;
	u64 data_start, data_end;	/* data_end = nblocks - 1 (backup sb) */
	u64 mkfs_time, expected_objects;
	u32 max_objects;		/* slots 1 .. max_objects - 1 */
	u32 granule_shift;
	u32 ppg;			/* pages per granule */
	u32 ent_size;			/* bytes per granule entry */
	u32 inline_ents;		/* entries in a record's root */
	u32 leaf_ents;			/* entries in a map leaf */
	u32 epoch_shift;
	u32 compat, incompat, ro_compat;
	u8 uuid[16];
	char label[65];
};

struct csf_list {
	struct csf_list *prev, *next;
};

struct csf_buf {
	u64 blkno;
	u8 *data;
	u8 *frozen;		/* committed image while in the running txn */
	u32 flags;
	u64 call_seq;		/* last library call that used it: csf_buf.c */
	struct csf_buf *hnext;
	struct csf_list lru;	/* clean list, or the ckpt list */
	struct csf_list txn;	/* running transaction */
};

struct csf_ext {
	u64 start, len;
};

struct csf_pending {
	struct csf_ext *ext;
	u32 n, cap;
};

struct csf_stats {
	u64 commits, checkpoints, replayed_txns, replayed_blocks;
	u64 aborts, reads, writes, flushes;
	u64 oc_hits;			/* answered by the object cache */
};

#define CSF_OPEN_RDONLY		0x1	/* never write; replay in memory only */
#define CSF_OPEN_NO_REPLAY	0x2	/* ignore the journal (fsck) */
#define CSF_OPEN_BACKUP_SB	0x4	/* use the backup superblock */
#define CSF_OPEN_NO_STATE	0x8	/* tolerate a bad state block (fsck) */

#define CSF_FS_USED_BACKUP	0x100	/* primary sb was bad */
#define CSF_FS_BAD_JOURNAL	0x200	/* replay stopped at a damaged txn */

struct csf_fs {
	struct csf_dev dev;
	struct csf_geo geo;
	u32 flags;
	int error;			/* sticky I/O error: no more writes */
	/* buffer cache */
	struct csf_buf **htab;
	u32 hmask, nbufs, maxbufs;
	u32 nbufs_peak;			/* most buffers held at once */
	struct csf_list clean, txn, ckpt;
	u32 ntxn, nckpt;
	u64 call_seq;			/* bumped by csf_call_begin() */
	/* journal */
	u64 head_pos, head_seq, tail_pos, tail_seq;
	u64 replay_end_seq;		/* sequence where replay stopped */
	u64 ckpt_count;
	u64 max_txn;			/* blocks a transaction may dirty */
	/* frees not yet allocatable */
	struct csf_pending pend_txn;	/* freed by the running txn */
	struct csf_pending pend_meta;	/* map blocks: wait for checkpoint */
	struct csf_pending pend_held;	/* committed, held for the caller */
	bool hold_frees;		/* see csf_frees_hold() */
	u64 alloc_cursor;
	u64 meta_reserve;
	u64 hash_mask;			/* test hook: forces hash collisions */
	/* share of the data space and slots (percent) the protected LRU keeps */
	u32 protect_pct;		/* CSF_PROTECT_PCT_DEF at open */
	/* records (live or dying) naming each volume id: csf_volume.c */
	u32 *vol_refs;			/* [volume_len + 1] */
	bool vol_refs_ok;		/* false: rebuild before use */
	struct csf_stats stats;
	u8 *scratch;			/* one block */
	/* object cache: csf_ocache.c */
	struct csf_oent **oc_keys, **oc_ids;
	struct csf_list oc_lru;
	u32 oc_mask, oc_n, oc_max;
	bool oc_bypass;			/* test hook: neither answer nor fill */
};

struct csf_statfs {
	u64 total_blocks, data_blocks, free_blocks;
	u32 max_objects, live_objects, dying_objects, volumes;
	u32 prob_objects;		/* of live_objects, on probation */
	u64 journal_blocks, journal_used;
};

struct csf_obj_info {
	u32 gen, vol_id;
	u16 flags;
	bool dirty;			/* CSF_OF_DIRTY */
	bool probation;			/* CSF_OF_PROBATION */
	u8 key_len, aux_len;
	u64 size, atime, nr_blocks;
	u8 key[CSF_MAX_KEY];
	u8 aux[CSF_MAX_AUX];
};

struct csf_check_report {
	u64 errors;			/* total problems found */
	u64 bad_csum, bad_super, bad_state, bad_summary, bad_bitmap;
	u64 bad_volumes, bad_objects, bad_maps, dup_blocks, out_of_range;
	u64 index_errors, list_errors, leaked_blocks, free_but_used;
	u64 objects_discarded, blocks_reclaimed;
	u64 live_objects, used_blocks;
	bool repaired;
};

#define CSF_CHECK_REPAIR	0x1

/* csf_csum.c */
u64 csf_blk_csum(const void *blk);
void csf_blk_seal(void *blk, u16 type, u64 blkno, u64 seq);
int csf_blk_verify(const void *blk, u16 type, u64 blkno);
bool csf_blk_is_zero(const void *blk);
void csf_check_sizes(void);

/* csf_super.c */
int csf_geometry(const struct csf_format_params *p, struct csf_geo *geo);
void csf_sb_encode(const struct csf_geo *geo, void *blk, u64 blkno);
int csf_sb_decode(const void *blk, u64 blkno, u64 dev_blocks,
		  struct csf_geo *geo);
int csf_format(const struct csf_dev *dev, const struct csf_format_params *p,
	       struct csf_geo *geo);
int csf_open(const struct csf_dev *dev, u32 flags, struct csf_fs **out);
void csf_close(struct csf_fs *fs);
int csf_statfs(struct csf_fs *fs, struct csf_statfs *st);
int csf_validate_block(const struct csf_geo *geo, const void *blk,
		       u16 type, u64 blkno);
const char *csf_type_name(u16 type);
int csf_rec_validate(const struct csf_geo *g, const struct csf_obj_rec *r,
		     u32 slot);

/* csf_buf.c */

/*
 * csf_call_begin - every public entry point calls this first: buffers used
 * since the previous call become evictable again, and the buffers this call
 * uses are never evicted before the next one (see csf_buf.c).  Internal code
 * must not call it while it holds a buffer or a pointer into one.
 */
static inline void csf_call_begin(struct csf_fs *fs)
{
	fs->call_seq++;
}

int csf_buf_get(struct csf_fs *fs, u64 blkno, u16 type, struct csf_buf **bp);
struct csf_buf *csf_buf_new(struct csf_fs *fs, u64 blkno, u16 type);
int csf_buf_dirty(struct csf_fs *fs, struct csf_buf *b);
void csf_buf_forget(struct csf_fs *fs, u64 blkno);
int csf_buf_init(struct csf_fs *fs, u32 maxbufs);
#define CSF_PREFETCH_MAX	32
#define CSF_RA_BLOCKS		16	/* object table read-ahead of LRU walks */
/*
 * The metadata buffer cache's soft limit: CSF_BUFS_BASE buffers, plus one
 * per index bucket up to CSF_BUFS_INDEX_MAX, so that the index of a cache
 * of up to about ten million object slots can stay cached beside what a
 * cull round holds (a cull deletes objects whose buckets are scattered
 * over the index).  The kernel caps it by the machine's memory.  A
 * checkpoint comes once more than CSF_CKPT_BUFS committed blocks wait to
 * be written home (or half the limit, if lower), whatever the limit: the
 * checkpoint holds the cache lock while it writes them.
 */
#define CSF_BUFS_BASE		4096
#define CSF_BUFS_INDEX_MAX	65536
#define CSF_CKPT_BUFS		2048
void csf_buf_prefetch(struct csf_fs *fs, const u64 *blks, u32 n, u16 type);
bool csf_buf_cached(struct csf_fs *fs, u64 blkno);
void csf_buf_exit(struct csf_fs *fs);
int csf_buf_write_direct(struct csf_fs *fs);
void csf_buf_abort(struct csf_fs *fs);
void csf_buf_committed(struct csf_fs *fs);
int csf_buf_write_home(struct csf_fs *fs, u64 seq);
void csf_buf_ckpt_done(struct csf_fs *fs);
int csf_buf_install(struct csf_fs *fs, u64 blkno, const void *img);
bool csf_buf_in_txn(const struct csf_buf *b);

/* csf_ocache.c */
/*
 * The object cache's default size: a quarter of a million objects, about
 * 50 MiB with NFS's keys (200 bytes an entry); the kernel caps it by the
 * machine's memory.
 */
#define CSF_OC_DEF		262144
/*
 * The most heads of each of its two hash tables (8 MiB each on 64 bits):
 * a larger cache (objcache_max) gets longer chains, not larger tables.
 */
#define CSF_OC_HASH_MAX		1048576U
int csf_oc_init(struct csf_fs *fs, u32 max);
void csf_oc_exit(struct csf_fs *fs);
void csf_oc_clear(struct csf_fs *fs);
void csf_oc_drop_block(struct csf_fs *fs, u64 blkno);
void csf_oc_fill(struct csf_fs *fs, u32 objid, const struct csf_buf *b,
		 const struct csf_obj_rec *r);
bool csf_oc_lookup(struct csf_fs *fs, u64 hash, u32 vid, const void *key,
		   u32 len, u32 *objid, u32 *gen);
bool csf_oc_get(struct csf_fs *fs, u32 objid, struct csf_obj_info *info);
int csf_oc_map(struct csf_fs *fs, u32 objid, u32 gen, u64 *size, u8 **ent);
bool csf_oc_has_aux(struct csf_fs *fs, u32 objid, u32 gen, const void *aux,
		    u32 len);
bool csf_oc_has_size(struct csf_fs *fs, u32 objid, u32 gen, u64 size);
bool csf_oc_has_dirty(struct csf_fs *fs, u32 objid, u32 gen, bool dirty);

/* csf_journal.c */
/*
 * The sequence number the running transaction will commit under.  A change
 * made now is durable once csf_txn_seq() has moved past this value (a
 * commit of an empty transaction does not move it: nothing needed writing).
 */
static inline u64 csf_txn_seq(const struct csf_fs *fs)
{
	return fs->head_seq;
}

/*
 * Has the running transaction dirtied half of the blocks a transaction may
 * (csf_journal_max_txn())?  A caller that batches many operations into one
 * transaction (culling) stops there and commits, so that other operations
 * meanwhile find room and do not have to commit it themselves.
 */
static inline bool csf_txn_half_full(const struct csf_fs *fs)
{
	return (u64)fs->ntxn * 2 >= fs->max_txn;
}

int csf_commit(struct csf_fs *fs);
int csf_checkpoint(struct csf_fs *fs);
void csf_abort(struct csf_fs *fs);
int csf_journal_load(struct csf_fs *fs);
int csf_journal_replay(struct csf_fs *fs, bool write);
int csf_journal_reset(struct csf_fs *fs);
int csf_op_begin(struct csf_fs *fs, u32 credits);
u64 csf_journal_max_txn(u64 ring_len);

/* csf_alloc.c */
int csf_alloc_run(struct csf_fs *fs, u64 goal, u32 want, u32 min,
		  bool meta, u64 *start, u32 *got);
int csf_free_run(struct csf_fs *fs, u64 start, u32 len, bool meta);
int csf_alloc_extend(struct csf_fs *fs, u64 start, u32 len, u32 more);
void csf_pending_release(struct csf_fs *fs, struct csf_pending *p);
int csf_pending_reserve(struct csf_pending *p, u32 more);
int csf_pending_add(struct csf_pending *p, u64 start, u64 len);
int csf_alloc_undo(struct csf_fs *fs, u64 start, u32 len);
int csf_pending_append(struct csf_pending *p, u64 start, u64 len);
void csf_frees_hold(struct csf_fs *fs);
u64 csf_frees_held(struct csf_fs *fs);
void csf_frees_release(struct csf_fs *fs, u64 n);
struct csf_ext *csf_frees_copy(struct csf_fs *fs, u64 n);
void csf_frees_drop(struct csf_fs *fs, u64 n);
int csf_bit_test(struct csf_fs *fs, u64 blk, bool *set);

/* csf_volume.c */
int csf_vol_lookup(struct csf_fs *fs, const char *key, u32 len, u32 *vid);
int csf_vol_create(struct csf_fs *fs, const char *key, u32 len,
		   const void *coh, u32 coh_len, u32 *vid);
int csf_vol_get(struct csf_fs *fs, u32 vid, char *key, u32 *key_len,
		void *coh, u32 *coh_len);
int csf_vol_read(struct csf_fs *fs, u32 vid, char *key, u32 *key_len,
		 void *coh, u32 *coh_len);
int csf_vol_set_coh(struct csf_fs *fs, u32 vid, const void *coh, u32 len);
int csf_vol_retire(struct csf_fs *fs, u32 vid);
int csf_vol_live(struct csf_fs *fs, u32 vid);
void csf_vol_ref(struct csf_fs *fs, u32 vid, bool get);
bool csf_volkey_valid(const u8 *key, u32 len);

/* csf_index.c */
u64 csf_key_hash(struct csf_fs *fs, const u8 *vkey, u32 vlen,
		 const u8 *key, u32 klen);
int csf_index_insert(struct csf_fs *fs, u64 hash, u32 objid);
int csf_index_remove(struct csf_fs *fs, u64 hash, u32 objid);
u64 csf_index_home(const struct csf_geo *geo, u64 hash);
int csf_index_iter(struct csf_fs *fs, u64 hash,
		   int (*fn)(void *priv, u32 objid, u32 probe), void *priv);

/* csf_object.c */
int csf_obj_lookup(struct csf_fs *fs, u32 vid, const void *key, u32 len,
		   u32 *objid, u32 *gen);
int csf_obj_create(struct csf_fs *fs, u32 vid, const void *key, u32 len,
		   const void *aux, u32 aux_len, u64 size, u64 stamp,
		   u32 *objid, u32 *gen);
int csf_obj_get(struct csf_fs *fs, u32 objid, struct csf_obj_info *info);
int csf_obj_set_aux(struct csf_fs *fs, u32 objid, u32 gen,
		    const void *aux, u32 len);
int csf_obj_resize(struct csf_fs *fs, u32 objid, u32 gen, u64 size);
int csf_obj_invalidate(struct csf_fs *fs, u32 objid, u32 gen,
		       const void *aux, u32 aux_len, u64 size, u32 *newgen);
int csf_obj_delete(struct csf_fs *fs, u32 objid, u32 gen);
int csf_obj_touch(struct csf_fs *fs, u32 objid, u32 gen, u64 stamp);
int csf_obj_promote(struct csf_fs *fs, u32 objid, u32 gen, u64 stamp);
int csf_obj_requeue(struct csf_fs *fs, u32 objid, u64 stamp, bool read);
int csf_obj_set_dirty(struct csf_fs *fs, u32 objid, u32 gen, bool dirty);
int csf_obj_scan(struct csf_fs *fs, u32 vid, u32 *pos, u32 budget, u32 n,
		 u32 *out, u32 *gens);
int csf_obj_map(struct csf_fs *fs, u32 objid, u32 gen, u64 page, bool alloc,
		u64 *pblk, u32 *npages);
int csf_obj_query(struct csf_fs *fs, u32 objid, u32 gen, u64 page, u32 max,
		  bool *present, u32 *run);
int csf_obj_mark_present(struct csf_fs *fs, u32 objid, u32 gen, u64 page,
			 u32 npages);
#define CSF_PROTECT_PCT_DEF	75
#define CSF_CULL_MOVES_MAX	4096	/* objects requeued per pick */
/* what struct csf_cull_walk's used() says of an object */
#define CSF_USED_NOT	0	/* not used since it was last placed */
#define CSF_USED	1	/* used: to the tail of its list */
#define CSF_USED_READ	2	/* read from the cache: off probation too */
struct csf_cull_walk {
	u32 moved;		/* objects requeued by the last call */
	u32 aged;		/* of which for use, not in use */
	u32 promoted;		/* of which off probation (summed) */
	u32 prob_seen;		/* in-use objects met on probation this round */
	u64 prob_blocks;	/* the blocks they own */
	/*
	 * Optional: was @objid used since it was last placed on its list
	 * (CSF_USED*), and when (*@stamp)?  Recency noted in memory, applied
	 * only to the objects a cull meets (see csf_cull_pick()).
	 */
	int (*used)(void *priv, u32 objid, u64 *stamp);
};

void csf_obj_prefetch(struct csf_fs *fs, const u32 *ids, u32 n);
int csf_cull_pick(struct csf_fs *fs, u32 n,
		  bool (*skip)(void *priv, u32 objid), void *priv, u64 requeue,
		  u32 *out, struct csf_cull_walk *w);
int csf_reclaim(struct csf_fs *fs, u32 budget);
int csf_rec_get(struct csf_fs *fs, u32 objid, struct csf_buf **bp,
		struct csf_obj_rec **rp);
/* one map block (@meta, @len 1, @ent NULL) or granule run of an object */
typedef int (*csf_run_fn_t)(void *priv, u64 granule, u64 pblk, u32 len,
			  bool meta, const u8 *ent);
int csf_obj_walk_runs(struct csf_fs *fs, const struct csf_obj_rec *r,
		      csf_run_fn_t fn, void *priv);

/* csf_check.c */
int csf_check(struct csf_fs *fs, u32 flags, struct csf_check_report *rep);

/* list helpers */
static inline void csf_list_init(struct csf_list *l)
{
	l->prev = l;
	l->next = l;
}

static inline bool csf_list_empty(const struct csf_list *l)
{
	return l->next == l;
}

static inline void csf_list_del(struct csf_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	csf_list_init(e);
}

static inline void csf_list_add_tail(struct csf_list *e, struct csf_list *h)
{
	e->prev = h->prev;
	e->next = h;
	h->prev->next = e;
	h->prev = e;
}

#define csf_entry(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

/* cpu helpers for the bit layout of bitmaps and masks */
static inline bool csf_test_bit8(const u8 *map, u32 bit)
{
	return map[bit >> 3] & (1U << (bit & 7));
}

static inline void csf_set_bit8(u8 *map, u32 bit)
{
	map[bit >> 3] |= (u8)(1U << (bit & 7));
}

static inline void csf_clear_bit8(u8 *map, u32 bit)
{
	map[bit >> 3] &= (u8)~(1U << (bit & 7));
}

#endif /* __CSF_H */
