// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_image.c - whole-image parsing: the input is a list of patches
 * {u16 block, u16 offset, u8 len, u8 flags, bytes} applied to a populated
 * image (flags bit 0: re-seal the block so its checksum is valid).  Then
 * open, check, repair: unless the repair reports that it cannot, the
 * repaired cache must open, check clean and accept new objects and pages
 * (see fz_after_repair()).
 */
#include "fuzz_common.h"

static struct csf_geo geo;
static struct csf_memdev *base, *m;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	base = fz_base(&geo, true);
	m = csf_memdev_new(FZ_BLOCKS, false);
	return 0;
}

static void fz_ops(struct csf_fs *fs)
{
	u32 vid, id, gen, n;
	u64 pblk;
	bool p;

	if (csf_vol_lookup(fs, "fuzz,vol", 8, &vid) &&
	    csf_vol_create(fs, "fuzz,vol", 8, NULL, 0, &vid))
		return;
	if (!csf_obj_lookup(fs, vid, "obj3", 4, &id, &gen)) {
		csf_obj_query(fs, id, gen, 0, 1000, &p, &n);
		csf_obj_map(fs, id, gen, 600, false, &pblk, &n);
		csf_obj_resize(fs, id, gen, 5000);
	}
	if (!csf_obj_create(fs, vid, "new", 3, NULL, 0, 65536, 1, &id, &gen) &&
	    !csf_obj_map(fs, id, gen, 3, true, &pblk, &n))
		csf_obj_mark_present(fs, id, gen, 3, 1);
	csf_reclaim(fs, 100);
	csf_commit(fs);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct csf_check_report r;
	struct csf_fs *fs;
	size_t pos = 0;
	int ret;

	csf_memdev_copy(m, base);
	while (pos + 6 <= size) {
		u32 blk = (data[pos] | data[pos + 1] << 8) % FZ_BLOCKS;
		u32 off = (data[pos + 2] | data[pos + 3] << 8) % CSF_BLOCK_SIZE;
		u32 len = data[pos + 4], flags = data[pos + 5];
		u8 *d = csf_memdev_block(m, blk);

		pos += 6;
		len = min_t(u32, len, (u32)(size - pos));
		len = min_t(u32, len, CSF_BLOCK_SIZE - off);
		memcpy(d + off, data + pos, len);
		pos += len;
		if (flags & 1)
			csf_blk_seal(d, le16_to_cpu(((struct csf_blk_hdr *)d)->type),
				     blk, le64_to_cpu(((struct csf_blk_hdr *)d)->seq));
	}
	ret = csf_open(&m->dev, 0, &fs);
	if (ret)
		ret = csf_open(&m->dev, CSF_OPEN_NO_REPLAY | CSF_OPEN_NO_STATE,
			       &fs);
	if (ret)
		return 0;
	fz_ops(fs);
	ret = csf_check(fs, CSF_CHECK_REPAIR, &r);
	csf_close(fs);
	fs = fz_after_repair(m, ret, &r);
	if (!fs)
		return 0;
	fz_ops(fs);
	ret = csf_check(fs, 0, &r);
	if (ret)
		fz_die("check of the repaired cache in use failed", ret);
	if (r.errors)
		fz_die("repaired cache broke under use", (int)r.errors);
	csf_close(fs);
	return 0;
}
