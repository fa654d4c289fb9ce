// SPDX-License-Identifier: GPL-2.0
/*
 * csf_csum.c - metadata block header and checksum helpers.
 */
#include "csf.h"

/* Compile-time checks of every on-disk structure; called from csf_open(). */
void csf_check_sizes(void)
{
	BUILD_BUG_ON(sizeof(struct csf_blk_hdr) != 32);
	BUILD_BUG_ON(sizeof(struct csf_super) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_state) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_jckpt) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_jdesc) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_jcommit) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_summary) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_bitmap) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_volume) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_bucket_ent) != 16);
	BUILD_BUG_ON(sizeof(struct csf_bucket) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_obj_rec) != 1016);
	BUILD_BUG_ON(sizeof(struct csf_objtab) != CSF_BLOCK_SIZE);
	BUILD_BUG_ON(sizeof(struct csf_gran_ent) != 16);
	BUILD_BUG_ON(sizeof(struct csf_map_hdr) != CSF_MAP_HDR_SIZE);
	BUILD_BUG_ON(offsetof(struct csf_blk_hdr, csum) != 8);
	BUILD_BUG_ON(offsetof(struct csf_super, nblocks) != 56);
	BUILD_BUG_ON(offsetof(struct csf_obj_rec, root) != 568);
}

u64 csf_blk_csum(const void *blk)
{
	return csf_xxh64((const u8 *)blk + CSF_CSUM_OFFSET,
			 CSF_BLOCK_SIZE - CSF_CSUM_OFFSET, 0);
}

void csf_blk_seal(void *blk, u16 type, u64 blkno, u64 seq)
{
	struct csf_blk_hdr *h = blk;

	h->magic = cpu_to_le32(CSF_MAGIC);
	h->type = cpu_to_le16(type);
	h->hflags = 0;
	h->blkno = cpu_to_le64(blkno);
	h->seq = cpu_to_le64(seq);
	h->csum = cpu_to_le64(csf_blk_csum(blk));
}

/*
 * csf_blk_verify - check the header of a metadata block
 * Returns 0, or -EUCLEAN for a wrong magic, type, flags, self block number
 * or checksum.
 */
int csf_blk_verify(const void *blk, u16 type, u64 blkno)
{
	const struct csf_blk_hdr *h = blk;

	if (le32_to_cpu(h->magic) != CSF_MAGIC)
		return -EUCLEAN;
	if (le16_to_cpu(h->type) != type || h->hflags)
		return -EUCLEAN;
	if (le64_to_cpu(h->blkno) != blkno)
		return -EUCLEAN;
	if (le64_to_cpu(h->csum) != csf_blk_csum(blk))
		return -EUCLEAN;
	return 0;
}

bool csf_blk_is_zero(const void *blk)
{
	const u64 *p = blk;
	unsigned int i;

	for (i = 0; i < CSF_BLOCK_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

const char *csf_type_name(u16 type)
{
	static const char * const names[CSF_T_MAX] = {
		"none", "super", "state", "jckpt", "jdesc", "jcommit",
		"summary", "bitmap", "volume", "bucket", "objtab", "mapleaf",
		"mapindex",
	};

	return type < CSF_T_MAX ? names[type] : "unknown";
}
