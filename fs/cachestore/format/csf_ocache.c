// SPDX-License-Identifier: GPL-2.0
/*
 * csf_ocache.c - the object cache: what a lookup and a read of a live
 * object need from its record, kept in memory in a compact form.
 *
 * An object record is a quarter of an object-table block.  Once a cache
 * holds more objects than its metadata buffer cache holds table blocks
 * (fs->maxbufs), a lookup of an object met before reads its table block
 * again.  An entry here is the record without its map root: volume, key,
 * generation, aux data, size and stamps, plus the map entry of granule 0
 * when the object fits in that granule and its map is inline (every small
 * object): about 100 bytes and the key and aux data, against a 4 KiB block
 * shared by four records.  csf_obj_lookup(), csf_obj_get(), csf_obj_query()
 * and csf_obj_map() (without allocation) of an object found here touch no
 * metadata block: no buffer-cache lookup and no read; nor do
 * csf_obj_set_aux(), csf_obj_resize() and csf_obj_set_dirty() when the
 * entry shows they would change nothing (a withdrawal's usual case).
 *
 * Coherence rule: an entry is a copy of a record that no transaction has
 * changed since.  Entries are filled only from a table block that is not in
 * the running transaction, and every change to a record first puts its
 * block in the transaction (csf_buf_dirty(), csf_buf_new()), which drops
 * the entries of the block's four slots; csf_buf_install() (journal replay)
 * drops them too, and csf_abort() and csf_check() drop every entry.  So an
 * entry never holds what the record no longer says, committed or not.
 *
 * Entries are kept in LRU order, at most fs->oc_max of them (0: the cache
 * is off); a failed allocation only leaves an object out.
 */
#include "csf.h"

struct csf_oent {
	struct csf_oent *knext;		/* chain of fs->oc_keys (by r->hash) */
	struct csf_oent *inext;		/* chain of fs->oc_ids (by objid) */
	struct csf_list lru;
	u64 hash;			/* the record's key hash */
	u64 size, atime, nr_blocks;
	u32 objid, gen, vid;
	u8 oflags;			/* the record's CSF_OF_* */
	u8 key_len, aux_len;
	u8 has_ent;			/* granule 0's map entry is kept */
	u32 ent_len;			/* bytes of it: 0 or fs->geo.ent_size */
	u64 data[];			/* that entry, the key, the aux data */
};

static inline u8 *csf_oc_ent(struct csf_oent *e)
{
	return (u8 *)e->data;
}

static inline u8 *csf_oc_key(struct csf_oent *e)
{
	return (u8 *)e->data + e->ent_len;
}

static inline u8 *csf_oc_aux(struct csf_oent *e)
{
	return (u8 *)e->data + e->ent_len + e->key_len;
}

static u32 csf_oc_idx(u64 v, u32 mask)
{
	return (u32)((v * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
}

/*
 * csf_oc_init - an empty object cache of at most @max entries, its hash
 * tables sized for min(@max, the cache's object slots), but no more than
 * CSF_OC_HASH_MAX heads each (past that the chains grow).  @max 0: off.
 */
int csf_oc_init(struct csf_fs *fs, u32 max)
{
	u64 want = min_t(u64, min_t(u64, max, fs->geo.max_objects),
			 CSF_OC_HASH_MAX);
	u32 n = 1;

	csf_list_init(&fs->oc_lru);
	fs->oc_n = 0;
	fs->oc_max = max;
	if (!max)
		return 0;
	while (n < want)
		n <<= 1;
	fs->oc_keys = csf_valloc(sizeof(*fs->oc_keys) * n);
	fs->oc_ids = csf_valloc(sizeof(*fs->oc_ids) * n);
	if (!fs->oc_keys || !fs->oc_ids) {
		csf_oc_exit(fs);
		return -ENOMEM;
	}
	fs->oc_mask = n - 1;
	return 0;
}

static void csf_oc_unlink(struct csf_fs *fs, struct csf_oent *e)
{
	struct csf_oent **pp = &fs->oc_keys[csf_oc_idx(e->hash, fs->oc_mask)];

	while (*pp != e)
		pp = &(*pp)->knext;
	*pp = e->knext;
	pp = &fs->oc_ids[csf_oc_idx(e->objid, fs->oc_mask)];
	while (*pp != e)
		pp = &(*pp)->inext;
	*pp = e->inext;
	csf_list_del(&e->lru);
	fs->oc_n--;
	csf_free(e);
}

/* Drop every entry. */
void csf_oc_clear(struct csf_fs *fs)
{
	while (fs->oc_n)
		csf_oc_unlink(fs, csf_entry(fs->oc_lru.next, struct csf_oent,
					    lru));
}

void csf_oc_exit(struct csf_fs *fs)
{
	if (fs->oc_keys && fs->oc_ids)
		csf_oc_clear(fs);
	csf_vfree(fs->oc_keys);
	csf_vfree(fs->oc_ids);
	fs->oc_keys = NULL;
	fs->oc_ids = NULL;
	fs->oc_max = 0;
}

static struct csf_oent *csf_oc_by_id(struct csf_fs *fs, u32 objid)
{
	struct csf_oent *e;

	if (!fs->oc_n)
		return NULL;
	e = fs->oc_ids[csf_oc_idx(objid, fs->oc_mask)];
	while (e && e->objid != objid)
		e = e->inext;
	return e;
}

/* Drop the entries of the four records of object-table block @blkno. */
void csf_oc_drop_block(struct csf_fs *fs, u64 blkno)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_oent *e;
	u64 id;
	u32 i;

	if (!fs->oc_n || blkno < g->objtab_start ||
	    blkno - g->objtab_start >= g->objtab_len)
		return;
	id = (blkno - g->objtab_start) * CSF_OBJS_PER_BLOCK;
	for (i = 0; i < CSF_OBJS_PER_BLOCK; i++) {
		e = csf_oc_by_id(fs, (u32)(id + i));
		if (e)
			csf_oc_unlink(fs, e);
	}
}

static void csf_oc_used(struct csf_fs *fs, struct csf_oent *e)
{
	csf_list_del(&e->lru);
	csf_list_add_tail(&e->lru, &fs->oc_lru);
	fs->stats.oc_hits++;
}

/*
 * csf_oc_fill - remember live record @r of @objid, read from block @b.
 * Nothing is kept from a block in the running transaction: its records may
 * still change, or be rolled back, without another csf_buf_dirty().
 */
void csf_oc_fill(struct csf_fs *fs, u32 objid, const struct csf_buf *b,
		 const struct csf_obj_rec *r)
{
	const struct csf_geo *g = &fs->geo;
	u64 size = le64_to_cpu(r->size);
	struct csf_oent *e;
	bool ent;

	if (!fs->oc_max || fs->oc_bypass || csf_buf_in_txn(b) ||
	    le16_to_cpu(r->flags) != CSF_OBJ_LIVE)
		return;
	e = csf_oc_by_id(fs, objid);
	if (e) {
		/* the same record: no transaction changed it since */
		csf_list_del(&e->lru);
		csf_list_add_tail(&e->lru, &fs->oc_lru);
		return;
	}
	ent = !r->depth && size <= ((u64)g->ppg << CSF_BLOCK_SHIFT);
	e = csf_alloc(sizeof(*e) + r->key_len + r->aux_len +
		      (ent ? g->ent_size : 0));
	if (!e)
		return;
	if (fs->oc_n >= fs->oc_max)
		csf_oc_unlink(fs, csf_entry(fs->oc_lru.next, struct csf_oent,
					    lru));
	e->hash = le64_to_cpu(r->hash);
	e->size = size;
	e->atime = le64_to_cpu(r->atime);
	e->nr_blocks = le64_to_cpu(r->nr_blocks);
	e->objid = objid;
	e->gen = le32_to_cpu(r->gen);
	e->vid = le32_to_cpu(r->vol_id);
	e->oflags = r->oflags;
	e->key_len = r->key_len;
	e->aux_len = r->aux_len;
	e->has_ent = ent;
	e->ent_len = ent ? g->ent_size : 0;
	memcpy(csf_oc_ent(e), r->root, e->ent_len);
	memcpy(csf_oc_key(e), r->key, r->key_len);
	memcpy(csf_oc_aux(e), r->aux, r->aux_len);
	e->knext = fs->oc_keys[csf_oc_idx(e->hash, fs->oc_mask)];
	fs->oc_keys[csf_oc_idx(e->hash, fs->oc_mask)] = e;
	e->inext = fs->oc_ids[csf_oc_idx(objid, fs->oc_mask)];
	fs->oc_ids[csf_oc_idx(objid, fs->oc_mask)] = e;
	csf_list_add_tail(&e->lru, &fs->oc_lru);
	fs->oc_n++;
}

/* The live object of volume @vid with key @key (hash @hash), if cached. */
bool csf_oc_lookup(struct csf_fs *fs, u64 hash, u32 vid, const void *key,
		   u32 len, u32 *objid, u32 *gen)
{
	struct csf_oent *e;

	if (!fs->oc_n || fs->oc_bypass)
		return false;
	e = fs->oc_keys[csf_oc_idx(hash, fs->oc_mask)];
	for (; e; e = e->knext) {
		if (e->hash != hash || e->vid != vid || e->key_len != len ||
		    memcmp(csf_oc_key(e), key, len))
			continue;
		csf_oc_used(fs, e);
		*objid = e->objid;
		*gen = e->gen;
		return true;
	}
	return false;
}

/* What csf_obj_get() says of a live object, if cached. */
bool csf_oc_get(struct csf_fs *fs, u32 objid, struct csf_obj_info *info)
{
	struct csf_oent *e = csf_oc_by_id(fs, objid);

	if (!e || fs->oc_bypass)
		return false;
	csf_oc_used(fs, e);
	memset(info, 0, sizeof(*info));
	info->gen = e->gen;
	info->vol_id = e->vid;
	info->flags = CSF_OBJ_LIVE;
	info->dirty = e->oflags & CSF_OF_DIRTY;
	info->probation = e->oflags & CSF_OF_PROBATION;
	info->key_len = e->key_len;
	info->aux_len = e->aux_len;
	info->size = e->size;
	info->atime = e->atime;
	info->nr_blocks = e->nr_blocks;
	memcpy(info->key, csf_oc_key(e), e->key_len);
	memcpy(info->aux, csf_oc_aux(e), e->aux_len);
	return true;
}

/*
 * The size and granule-0 map entry of live object @objid of generation
 * @gen: 1 if cached with its map entry (the object fits in granule 0, so
 * that entry is its whole map), -ESTALE if the object is cached under
 * another generation, 0 otherwise (ask the record).
 */
int csf_oc_map(struct csf_fs *fs, u32 objid, u32 gen, u64 *size, u8 **ent)
{
	struct csf_oent *e = csf_oc_by_id(fs, objid);

	if (!e || fs->oc_bypass)
		return 0;
	if (e->gen != gen)
		return -ESTALE;
	if (!e->has_ent)
		return 0;
	csf_oc_used(fs, e);
	*size = e->size;
	*ent = csf_oc_ent(e);
	return 1;
}

/*
 * The entry of live object @objid if it is cached under generation @gen.
 * A withdrawal records the aux data, the size and the clean mark of every
 * object it lets go, almost always unchanged: the entry tells so without
 * the record (csf_obj_set_aux(), csf_obj_resize(), csf_obj_set_dirty()).
 */
static struct csf_oent *csf_oc_live(struct csf_fs *fs, u32 objid, u32 gen)
{
	struct csf_oent *e = csf_oc_by_id(fs, objid);

	if (!e || fs->oc_bypass || e->gen != gen)
		return NULL;
	return e;
}

/*
 * The answer of a csf_oc_has_*(): a hit (counted, the entry moved to the
 * LRU tail) only when it spares the caller the record, that is when the
 * update would change nothing.
 */
static bool csf_oc_answer(struct csf_fs *fs, struct csf_oent *e, bool same)
{
	if (!e || !same)
		return false;
	csf_oc_used(fs, e);
	return true;
}

/* Is @objid of @gen cached with aux data @aux of @len bytes? */
bool csf_oc_has_aux(struct csf_fs *fs, u32 objid, u32 gen, const void *aux,
		    u32 len)
{
	struct csf_oent *e = csf_oc_live(fs, objid, gen);

	return csf_oc_answer(fs, e, e && e->aux_len == len &&
			     (!len || !memcmp(csf_oc_aux(e), aux, len)));
}

/* Is @objid of @gen cached with size @size? */
bool csf_oc_has_size(struct csf_fs *fs, u32 objid, u32 gen, u64 size)
{
	struct csf_oent *e = csf_oc_live(fs, objid, gen);

	return csf_oc_answer(fs, e, e && e->size == size);
}

/* Is @objid of @gen cached, dirty if @dirty, clean if not? */
bool csf_oc_has_dirty(struct csf_fs *fs, u32 objid, u32 gen, bool dirty)
{
	struct csf_oent *e = csf_oc_live(fs, objid, gen);

	return csf_oc_answer(fs, e,
			     e && !!(e->oflags & CSF_OF_DIRTY) == dirty);
}
