/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cachestore on-disk format, version 1.
 *
 * Every structure here is little endian, has a fixed size checked at build
 * time by csf_check_sizes(), and lives in 4 KiB blocks.  The format is
 * specified in Documentation/filesystems/caching/cachestore.rst; comments
 * here name each field only.
 *
 * This header is shared by the kernel backend and by the userspace tools;
 * it needs u8/__le16/__le32/__le64 and static_assert from csf_port.h.
 */
#ifndef __CACHESTORE_FS_H
#define __CACHESTORE_FS_H

#define CSF_BLOCK_SHIFT		12
#define CSF_BLOCK_SIZE		BIT(CSF_BLOCK_SHIFT)

/* "CSTR" at byte 0 of every metadata block; the block type follows it. */
#define CSF_MAGIC		0x52545343U
#define CSF_VERSION_MAJOR	1
#define CSF_VERSION_MINOR	0

/* Block types (csf_blk_hdr.type). */
enum csf_blk_type {
	CSF_T_SUPER	= 1,	/* superblock and its backup */
	CSF_T_STATE	= 2,	/* journalled global state */
	CSF_T_JCKPT	= 3,	/* journal checkpoint slot (2 copies) */
	CSF_T_JDESC	= 4,	/* journal descriptor */
	CSF_T_JCOMMIT	= 5,	/* journal commit record */
	CSF_T_SUMMARY	= 6,	/* free-count summary of bitmap blocks */
	CSF_T_BITMAP	= 7,	/* block allocation bitmap */
	CSF_T_VOLUME	= 8,	/* one volume record */
	CSF_T_BUCKET	= 9,	/* cookie index hash bucket */
	CSF_T_OBJTAB	= 10,	/* four object records */
	CSF_T_MAPLEAF	= 11,	/* object map leaf: granule entries */
	CSF_T_MAPINDEX	= 12,	/* object map interior: block pointers */
	CSF_T_MAX	= 13,
};

/*
 * Feature flags; unknown incompat bits refuse.
 * CSF_FEATURE_INCOMPAT_PROBATION: live objects are on two LRU lists, the
 * probation list (objects not yet read back from the cache; state
 * prob_head/prob_tail/nr_prob, records with CSF_OF_PROBATION) and the
 * protected list (lru_head/lru_tail).  Without it every live object is on
 * the one list and the probation fields are zero.
 */
#define CSF_FEATURE_INCOMPAT_PROBATION	0x1U
#define CSF_FEATURE_COMPAT_SUPP		0x0U
#define CSF_FEATURE_INCOMPAT_SUPP	CSF_FEATURE_INCOMPAT_PROBATION
#define CSF_FEATURE_RO_COMPAT_SUPP	0x0U

/* Limits. */
#define CSF_MAX_BLOCKS		BIT_ULL(40)	/* 4 PiB */
#define CSF_MIN_BLOCKS		2048ULL		/* 8 MiB */
#define CSF_GRANULE_SHIFT_MIN	16		/* 64 KiB */
#define CSF_GRANULE_SHIFT_MAX	22		/* 4 MiB */
#define CSF_GRANULE_SHIFT_DEF	18		/* 256 KiB */
#define CSF_MAX_KEY		255
#define CSF_MAX_AUX		255
#define CSF_MAX_VOLKEY		255
#define CSF_MAX_VOLUMES		4096
#define CSF_MAX_OBJECTS		0xfffffff0U	/* object ids are __le32 */
#define CSF_MIN_JOURNAL		1024ULL		/* blocks, incl. 2 slots */
#define CSF_MAX_JOURNAL		BIT_ULL(20)	/* 4 GiB */
#define CSF_MAX_FILE_PAGES	BIT_ULL(32)	/* 16 TiB object */
#define CSF_PROBE_MAX		16		/* index buckets probed */
#define CSF_MAX_DEPTH		3		/* object map tree depth */

/*
 * struct csf_blk_hdr - first 32 bytes of every metadata block
 * @magic:  CSF_MAGIC
 * @type:   enum csf_blk_type
 * @hflags: reserved, zero
 * @csum:   xxh64(seed 0) over bytes [16, 4096) of the block
 * @blkno:  the block's own device block number (misdirected write check)
 * @seq:    journal transaction sequence that last wrote the block
 *          (journal blocks: the transaction's sequence; JCKPT: slot count)
 */
struct csf_blk_hdr {
	__le32 magic;
	__le16 type;
	__le16 hflags;
	__le64 csum;
	__le64 blkno;
	__le64 seq;
};

#define CSF_CSUM_OFFSET		16

/*
 * struct csf_super - block 0 and block nblocks - 1 (backup)
 *
 * Static after mkfs: nothing in it changes while the cache runs, so the
 * backup is always exact.  Regions are [start, start + len) in blocks, laid
 * out in this order and without overlap.
 */
struct csf_super {
	struct csf_blk_hdr hdr;		/* hdr.seq is 0 */
	__le16 version_major;		/* CSF_VERSION_MAJOR */
	__le16 version_minor;
	__le32 feature_compat;
	__le32 feature_incompat;
	__le32 feature_ro_compat;
	u8 block_shift;			/* 12 */
	u8 granule_shift;		/* 16..22 */
	u8 epoch_shift;			/* access stamp >> epoch_shift = epoch */
	u8 pad0;
	__le32 pad1;
	__le64 nblocks;			/* device size used, in blocks */
	__le64 state_blk;		/* the CSF_T_STATE block */
	__le64 journal_start;		/* 2 JCKPT slots, then the ring */
	__le64 journal_len;
	__le64 summary_start;
	__le64 summary_len;
	__le64 bitmap_start;
	__le64 bitmap_len;
	__le64 volume_start;
	__le64 volume_len;		/* = max volumes */
	__le64 index_start;
	__le64 index_len;		/* = number of hash buckets */
	__le64 objtab_start;
	__le64 objtab_len;		/* 4 records per block; slot 0 unused */
	__le64 data_start;		/* data/map blocks: [data_start, nblocks - 1) */
	__le64 mkfs_time;		/* seconds since the epoch */
	__le64 expected_objects;	/* as given at mkfs */
	u8 uuid[16];
	char label[64];			/* NUL padded, not always terminated */
	u8 reserved[3824];		/* zero */
};

/*
 * struct csf_state - the journalled global state block
 * @free_blocks:    free blocks in the bitmap
 * @obj_hwm:        object slots >= hwm were never used (their blocks may be
 *                  all zero)
 * @free_head:      singly linked list of free slots below hwm (via lru_next)
 * @lru_head:       least recently used live object (of the protected list
 *                  with the probation feature)
 * @lru_tail:       most recently used live object (ditto)
 * @dying_head:     objects whose storage is being reclaimed (via lru_next)
 * @nr_live:        live objects
 * @nr_dying:       dying objects
 * @nr_volumes:     live volumes
 * @prob_head:      least recently used object on probation (feature
 *                  PROBATION; else 0)
 * @prob_tail:      most recently used object on probation
 * @nr_prob:        live objects on probation (included in @nr_live)
 */
struct csf_state {
	struct csf_blk_hdr hdr;
	__le64 free_blocks;
	__le32 obj_hwm;
	__le32 free_head;
	__le32 lru_head;
	__le32 lru_tail;
	__le32 dying_head;
	__le32 nr_live;
	__le32 nr_dying;
	__le32 nr_volumes;
	__le32 prob_head;
	__le32 prob_tail;
	__le32 nr_prob;
	__le32 pad;
	u8 reserved[4008];
};

/*
 * struct csf_jckpt - journal checkpoint slot (journal_start + 0 and + 1)
 * The slot with the valid checksum and the higher hdr.seq wins.
 * @tail_pos: ring position (0 .. ring length - 1) of the oldest transaction
 *            not yet checkpointed
 * @tail_seq: sequence expected at tail_pos
 */
struct csf_jckpt {
	struct csf_blk_hdr hdr;
	__le64 tail_pos;
	__le64 tail_seq;
	u8 uuid[16];
	u8 reserved[4032];
};

#define CSF_JDESC_MAX	504

/*
 * struct csf_jdesc - journal descriptor: @count home block numbers whose
 * full images follow it in the ring, in order.  hdr.seq is the
 * transaction sequence, hdr.blkno the descriptor's device block.
 */
struct csf_jdesc {
	struct csf_blk_hdr hdr;
	u8 uuid[16];
	__le32 count;
	__le32 index;			/* descriptor number within the txn */
	__le64 home[CSF_JDESC_MAX];
	u8 reserved[8];
};

/*
 * struct csf_jcommit - ends a transaction
 * @nr_blocks: descriptors + images before this block
 * @nr_desc:   descriptors in the transaction
 * @txn_csum:  h = seq; for each block b before the commit, in ring order,
 *             h = xxh64(b, 4096, h); txn_csum = h
 */
struct csf_jcommit {
	struct csf_blk_hdr hdr;
	u8 uuid[16];
	__le32 nr_blocks;
	__le32 nr_desc;
	__le64 txn_csum;
	u8 reserved[4032];
};

#define CSF_SUM_PER_BLOCK	2032

/* struct csf_summary - free block count of each bitmap block */
struct csf_summary {
	struct csf_blk_hdr hdr;
	__le16 free[CSF_SUM_PER_BLOCK];
};

#define CSF_BITS_PER_BMAP_SHIFT	14
#define CSF_BITS_PER_BMAP	BIT(CSF_BITS_PER_BMAP_SHIFT)

/* struct csf_bitmap - bit set = block in use; bit i of byte j = block 8j+i */
struct csf_bitmap {
	struct csf_blk_hdr hdr;
	u8 bits[CSF_BITS_PER_BMAP / 8];
	u8 reserved[2016];		/* zero */
};

#define CSF_VOL_LIVE		0x1
#define CSF_VOL_DEAD		0x2	/* retired; its objects are orphans */

/* struct csf_volume - volume id = index in the volume region + 1 */
struct csf_volume {
	struct csf_blk_hdr hdr;
	__le16 flags;			/* CSF_VOL_LIVE or CSF_VOL_DEAD */
	u8 key_len;			/* 1..255, printable ASCII */
	u8 coh_len;			/* 0..255 */
	__le32 pad;
	u8 key[256];			/* zero after key_len */
	u8 coh[256];			/* zero after coh_len */
	u8 reserved[3544];
};

#define CSF_BUCKET_ENTRIES	253

/* struct csf_bucket_ent - objid 0 means empty */
struct csf_bucket_ent {
	__le64 hash;
	__le32 objid;
	__le32 pad;
};

/*
 * struct csf_bucket - cookie index hash bucket
 * @count:    used entries (empty entries may be anywhere)
 * @overflow: entries whose home is this bucket but which live in one of
 *            the next CSF_PROBE_MAX - 1 buckets
 */
struct csf_bucket {
	struct csf_blk_hdr hdr;
	__le16 count;
	__le16 overflow;
	__le32 pad;
	struct csf_bucket_ent ent[CSF_BUCKET_ENTRIES];
	u8 reserved[8];
};

#define CSF_OBJ_LIVE		0x1	/* findable through the index */
#define CSF_OBJ_DYING		0x2	/* on the dying list; storage reclaimed */
#define CSF_OF_DIRTY		0x1	/* @oflags: netfs was modifying it: stale */
#define CSF_OF_PROBATION	0x2	/* @oflags: on the probation list */
#define CSF_OBJS_PER_BLOCK	4
#define CSF_ROOT_SIZE		448

/*
 * struct csf_obj_rec - object record; object id = slot number
 * @gen:      generation, bumped on reuse and on invalidation
 * @vol_id:   owning volume (0 when free)
 * @flags:    CSF_OBJ_*; 0 = free
 * @depth:    map tree depth (0: granule entries inline in @root)
 * @oflags:   CSF_OF_*: CSF_OF_DIRTY, set while the netfs modifies the
 *            object and cleared when its new aux data is recorded;
 *            CSF_OF_PROBATION, set while it is on the probation list
 * @size:     object size in bytes
 * @atime:    access stamp (caller units, usually seconds)
 * @lru_prev: LRU neighbours (live objects); @lru_next also links the free
 *            and the dying lists
 * @hash:     index hash of (volume key, key_len, key)
 * @nr_blocks: blocks owned: data runs and map blocks
 * @root:     depth 0: inline granule entries; else 56 __le64 pointers
 */
struct csf_obj_rec {
	__le32 gen;
	__le32 vol_id;
	__le16 flags;
	u8 key_len;
	u8 aux_len;
	u8 depth;
	u8 oflags;
	u8 pad[2];
	__le64 size;
	__le64 atime;
	__le32 lru_prev;
	__le32 lru_next;
	__le64 hash;
	__le64 nr_blocks;
	u8 key[256];
	u8 aux[256];
	u8 root[CSF_ROOT_SIZE];
};

struct csf_objtab {
	struct csf_blk_hdr hdr;
	struct csf_obj_rec rec[CSF_OBJS_PER_BLOCK];
};

/*
 * struct csf_gran_ent - one granule of an object: the run of @alloc blocks
 * at @pblk backs pages 0 .. alloc - 1 of the granule.  @mask (pages per
 * granule bits, at least 64) has bit p set when page p is present.  A
 * granule whose every page is present has CSF_GRAN_FULL set (the granule
 * bit).  pblk 0 = unallocated.  Entry size = 16 + max(8, ppg / 8).
 */
#define CSF_GRAN_FULL		0x1
struct csf_gran_ent {
	__le64 pblk;
	__le16 alloc;
	__le16 flags;
	__le32 pad;
	u8 mask[];
};

#define CSF_MAP_HDR_SIZE	48

/* struct csf_map_hdr - leaf and index map blocks start with this */
struct csf_map_hdr {
	struct csf_blk_hdr hdr;
	__le32 first;			/* first granule covered */
	u8 level;			/* 0 = leaf */
	u8 pad[3];
	__le64 reserved;
};

#define CSF_MAPIDX_PTRS		((CSF_BLOCK_SIZE - CSF_MAP_HDR_SIZE) / 8)
#define CSF_ROOT_PTRS		(CSF_ROOT_SIZE / 8)

#endif /* __CACHESTORE_FS_H */
