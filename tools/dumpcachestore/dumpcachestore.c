// SPDX-License-Identifier: GPL-2.0
/*
 * dumpcachestore - print what a cachestore cache holds: superblock,
 * geometry, journal state, global state, volumes and object counts, and
 * with -x every object's extents and content map (as dumpe2fs and
 * bcache-super-show do).
 *
 * Read-only: the device is opened O_RDONLY and the cache through the
 * format library with CSF_OPEN_RDONLY, as fsck.cachestore -n does (a
 * pending journal is replayed in memory only, so the dump shows what the
 * kernel would find at bind time).  Nothing is ever written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <getopt.h>
#include <time.h>
#include "csf.h"
#include "csf_tooldev.h"

#define EX_OK		0	/* dumped */
#define EX_USAGE	1	/* usage error */
#define EX_DEVICE	2	/* cannot open or read; not a cache */
#define EX_DAMAGED	4	/* a cache that cannot be opened (damaged) */
#define EX_INTERNAL	8	/* out of memory, unexpected library error */

static const char *prog = "dumpcachestore";
static const char *devname;

static void usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
"Usage: %s [-x] [-b] [-h] [-V] DEVICE|FILE\n"
"\n"
"  -x          also every object: record, extents and content map\n"
"  -b          use the backup superblock (the last block of the cache)\n"
"  -V          print the version and exit\n"
"  -h, --help  this help\n"
"\n"
"Exit status: 0 dumped, 1 usage error, 2 the device cannot be opened or\n"
"read or holds no cachestore cache, 4 the cache is too damaged to open,\n"
"8 internal error.\n", prog);
	exit(code);
}

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: %s: ", prog, devname ? devname : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static const char *sz(u64 blocks, char *buf, size_t len)
{
	return csf_fmt_size(blocks * CSF_BLOCK_SIZE, buf, len);
}

/* printable ASCII as is (quoted), anything else as hex */
static void print_bytes(const char *what, const u8 *p, u32 len)
{
	u32 i;
	bool text = len > 0;

	for (i = 0; i < len; i++)
		if (!isprint(p[i]) || p[i] == '"')
			text = false;
	printf("    %-6s (%3u)  ", what, len);
	if (text) {
		printf("\"%.*s\"\n", (int)len, (const char *)p);
		return;
	}
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("%s\n", len ? "" : "-");
}

static void region(const char *name, u64 start, u64 len, const char *note)
{
	char b[32];

	printf("  %-22s %12llu %12llu  %10s%s%s\n", name,
	       (unsigned long long)start, (unsigned long long)len,
	       sz(len, b, sizeof(b)), note ? "  " : "", note ? note : "");
}

/* ---- journal checkpoint slots ---- */

static void dump_ckpt(struct csf_fs *fs, u8 *buf)
{
	int i;

	for (i = 0; i < 2; i++) {
		u64 blk = fs->geo.journal_start + i;
		const struct csf_jckpt *c = (const void *)buf;

		if (fs->dev.ops->read(fs->dev.priv, blk, 1, buf)) {
			printf("  Checkpoint slot %d:      block %llu: read "
			       "error\n", i, (unsigned long long)blk);
			continue;
		}
		if (csf_blk_verify(buf, CSF_T_JCKPT, blk) ||
		    memcmp(c->uuid, fs->geo.uuid, 16)) {
			printf("  Checkpoint slot %d:      block %llu: %s\n", i,
			       (unsigned long long)blk, csf_blk_is_zero(buf) ?
			       "empty" : "damaged (bad checksum or not this "
			       "cache's)");
			continue;
		}
		printf("  Checkpoint slot %d:      block %llu: count %llu, "
		       "tail position %llu, tail sequence %llu\n", i,
		       (unsigned long long)blk,
		       (unsigned long long)le64_to_cpu(c->hdr.seq),
		       (unsigned long long)le64_to_cpu(c->tail_pos),
		       (unsigned long long)le64_to_cpu(c->tail_seq));
	}
}

/* ---- objects ---- */

struct objstats {
	u64 live, dying, dirty, free_slots, damaged;
	u64 data_blocks, map_blocks, present_pages, bytes;
	u64 *vol_objs, *vol_blocks;	/* [volume_len + 1] */
};

struct walk {
	const struct csf_geo *g;
	u64 data, map, present;
	bool print;
};

/* print the runs of set bits of @mask (@n bits) as pages of the object */
static u64 print_mask(const u8 *mask, u32 n, u64 base, bool print)
{
	u64 count = 0;
	u32 p = 0, q;
	bool first = true;

	while (p < n) {
		if (!csf_test_bit8(mask, p)) {
			p++;
			continue;
		}
		for (q = p; q < n && csf_test_bit8(mask, q); q++)
			;
		count += q - p;
		if (print) {
			if (q - p == 1)
				printf("%s%llu", first ? "" : ",",
				       (unsigned long long)(base + p));
			else
				printf("%s%llu-%llu", first ? "" : ",",
				       (unsigned long long)(base + p),
				       (unsigned long long)(base + q - 1));
		}
		first = false;
		p = q;
	}
	if (print && first)
		printf("none");
	return count;
}

static int on_run(void *priv, u64 granule, u64 pblk, u32 len, bool meta,
		  const u8 *ent)
{
	struct walk *w = priv;
	const struct csf_gran_ent *e = (const void *)ent;
	u64 base = granule * w->g->ppg, n;

	if (meta) {
		w->map += len;
		if (w->print)
			printf("      map block %llu\n", (unsigned long long)pblk);
		return 0;
	}
	w->data += len;
	if (w->print)
		printf("      granule %-8llu pages %llu-%llu -> blocks "
		       "%llu-%llu (%u)%s  present: ",
		       (unsigned long long)granule, (unsigned long long)base,
		       (unsigned long long)(base + len - 1),
		       (unsigned long long)pblk,
		       (unsigned long long)(pblk + len - 1), len,
		       le16_to_cpu(e->flags) & CSF_GRAN_FULL ? " full" : "");
	n = print_mask(e->mask, min_t(u32, w->g->ppg, len), base, w->print);
	w->present += n;
	if (w->print)
		printf("\n");
	return 0;
}

static int dump_objects(struct csf_fs *fs, u32 hwm, bool ext,
			struct objstats *os)
{
	const struct csf_geo *g = &fs->geo;
	struct csf_obj_rec r;
	u32 id;

	for (id = 1; id < hwm && id < g->max_objects; id++) {
		struct csf_obj_rec *rp;
		struct csf_buf *b;
		struct walk w = { .g = g, .print = ext };
		u16 flags;
		u32 vid;
		int ret;

		csf_call_begin(fs);
		ret = csf_rec_get(fs, id, &b, &rp);
		if (ret) {
			os->damaged++;
			if (ext)
				printf("  Object %u: object table block "
				       "unreadable: %s\n", id, strerror(-ret));
			/* the other records of the block fail the same way */
			continue;
		}
		r = *rp;
		flags = le16_to_cpu(r.flags);
		if (!flags) {
			os->free_slots++;
			continue;
		}
		if (csf_rec_validate(g, &r, id)) {
			os->damaged++;
			if (ext)
				printf("  Object %u: damaged record\n", id);
			continue;
		}
		vid = le32_to_cpu(r.vol_id);
		if (flags & CSF_OBJ_LIVE)
			os->live++;
		else
			os->dying++;
		if (r.oflags & CSF_OF_DIRTY)
			os->dirty++;
		os->bytes += le64_to_cpu(r.size);
		if (ext) {
			time_t t = (time_t)le64_to_cpu(r.atime);
			struct tm tm;
			char ts[64] = "-";

			if (t && localtime_r(&t, &tm))
				strftime(ts, sizeof(ts), "%F %T", &tm);
			printf("  Object %u  gen %u  volume %u  %s%s%s\n", id,
			       le32_to_cpu(r.gen), vid,
			       flags & CSF_OBJ_LIVE ? "live" : "dying",
			       r.oflags & CSF_OF_DIRTY ? ", dirty" : "",
			       r.oflags & CSF_OF_PROBATION ? ", probation" : "");
			printf("    size %llu, %llu blocks, map depth %u, "
			       "accessed %llu (%s), hash %016llx\n",
			       (unsigned long long)le64_to_cpu(r.size),
			       (unsigned long long)le64_to_cpu(r.nr_blocks),
			       r.depth,
			       (unsigned long long)le64_to_cpu(r.atime), ts,
			       (unsigned long long)le64_to_cpu(r.hash));
			print_bytes("key", r.key, r.key_len);
			print_bytes("aux", r.aux, r.aux_len);
			printf("    extents and content:\n");
		}
		ret = csf_obj_walk_runs(fs, &r, on_run, &w);
		if (ret) {
			os->damaged++;
			if (ext)
				printf("      map unreadable: %s\n",
				       strerror(-ret));
		} else if (ext && !w.data && !w.map) {
			printf("      (no blocks)\n");
		}
		os->data_blocks += w.data;
		os->map_blocks += w.map;
		os->present_pages += w.present;
		if (vid && vid <= g->volume_len) {
			os->vol_objs[vid]++;
			os->vol_blocks[vid] += w.data + w.map;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256], why[256], uuid[37], b1[32], b2[32], ts[64] = "-", bl[48];
	const struct csf_state *st = NULL;
	struct objstats os = { 0 };
	struct csf_tooldev d;
	struct csf_fs *fs = NULL;
	struct csf_geo sg;
	struct csf_buf *sb;
	struct csf_statfs sf;
	bool ext = false, backup = false, no_replay = false;
	u32 oflags = CSF_OPEN_RDONLY, hwm = 0, vid, nvol = 0;
	const struct csf_geo *g;
	u8 *buf;
	int c, ret, bret;
	time_t t;
	struct tm tm;

	if (argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	while ((c = getopt_long(argc, argv, "xbVh", lopts, NULL)) != -1) {
		switch (c) {
		case 'x':
			ext = true;
			break;
		case 'b':
			backup = true;
			break;
		case 'V':
			printf("%s (cachestore format %d.%d)\n", prog,
			       CSF_VERSION_MAJOR, CSF_VERSION_MINOR);
			return EX_OK;
		case 'h':
			usage(EX_OK);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", prog, optind >= argc ?
			"no device given" : "too many arguments");
		usage(EX_USAGE);
	}
	devname = argv[optind];

	ret = csf_td_open(&d, devname, CSF_TD_RDONLY, err, sizeof(err));
	if (ret)
		die(EX_DEVICE, "cannot open: %s", err);
	if (csf_td_in_use(&d, err, sizeof(err)))
		fprintf(stderr, "%s: warning: %s is in use (%s): the dump "
			"may be stale or inconsistent\n", prog, devname, err);

	/* both superblock copies, as the library validates them */
	ret = csf_td_read_super(&d, 0, &sg, why, sizeof(why));
	if (ret == -EIO)
		die(EX_DEVICE, "%s", why);
	if (ret == -ENODATA && !backup &&
	    csf_td_probe_cachestore(&d, err, sizeof(err)) == 0)
		die(EX_DEVICE, "not a cachestore cache (no superblock in "
		    "block 0 or in the last block)");
	if (backup)
		oflags |= CSF_OPEN_BACKUP_SB;
	ret = csf_open(&d.dev, oflags, &fs);
	if (ret == -EUCLEAN) {
		/* a superblock but no usable journal checkpoint? */
		ret = csf_open(&d.dev, oflags | CSF_OPEN_NO_REPLAY, &fs);
		no_replay = !ret;
	}
	if (ret == -ENOMEM)
		die(EX_INTERNAL, "out of memory");
	if (ret == -EIO)
		die(EX_DEVICE, "I/O error while opening the cache");
	if (ret)
		die(EX_DAMAGED, "cannot open the cache: %s (run "
		    "fsck.cachestore -n %s)", ret == -EUCLEAN ?
		    "superblock or state block damaged" : strerror(-ret),
		    devname);
	g = &fs->geo;
	buf = aligned_alloc(CSF_BLOCK_SIZE, CSF_BLOCK_SIZE);
	os.vol_objs = calloc(g->volume_len + 1, sizeof(u64));
	os.vol_blocks = calloc(g->volume_len + 1, sizeof(u64));
	if (!buf || !os.vol_objs || !os.vol_blocks)
		die(EX_INTERNAL, "out of memory");

	printf("%s (cachestore format %d.%d)\n", prog, CSF_VERSION_MAJOR,
	       CSF_VERSION_MINOR);
	/* ---- superblock ---- */
	csf_fmt_uuid(g->uuid, uuid);
	t = (time_t)g->mkfs_time;
	if (t && localtime_r(&t, &tm))
		strftime(ts, sizeof(ts), "%a %b %e %T %Y", &tm);
	printf("\nSuperblock\n");
	printf("  Device:                 %s (%s, %s)\n", devname,
	       d.is_blk ? "block device" : "regular file",
	       csf_fmt_size(d.size, b1, sizeof(b1)));
	printf("  Primary (block 0):      %s\n", why);
	bret = g->nblocks > 0 ?
		csf_td_read_super(&d, g->nblocks - 1, &sg, err, sizeof(err)) :
		-ENODATA;
	snprintf(bl, sizeof(bl), "Backup (block %llu):",
		 (unsigned long long)g->nblocks - 1);
	printf("  %-24s%s\n", bl, bret ? err : "valid");
	printf("  In use:                 %s\n", fs->flags & CSF_FS_USED_BACKUP
	       || backup ? "backup" : "primary");
	printf("  Magic:                  0x%08x (\"CSTR\")\n", CSF_MAGIC);
	printf("  Format version:         %d.%d\n", CSF_VERSION_MAJOR,
	       CSF_VERSION_MINOR);
	printf("  Features:               compat 0x%x, incompat 0x%x%s, "
	       "ro_compat 0x%x\n", g->compat, g->incompat,
	       g->incompat & CSF_FEATURE_INCOMPAT_PROBATION ? " (probation)" :
	       "", g->ro_compat);
	printf("  UUID:                   %s\n", uuid);
	printf("  Label:                  %s%s%s\n", g->label[0] ? "\"" : "",
	       g->label[0] ? g->label : "(none)", g->label[0] ? "\"" : "");
	printf("  Created:                %s\n", ts);
	printf("  Block size:             %lu\n", (unsigned long)CSF_BLOCK_SIZE);
	printf("  Blocks:                 %llu (%s)\n",
	       (unsigned long long)g->nblocks, sz(g->nblocks, b1, sizeof(b1)));
	printf("  Granule:                %s (%u pages, %u-byte entries, %u "
	       "inline, %u per map leaf)\n",
	       csf_fmt_size(1ULL << g->granule_shift, b1, sizeof(b1)), g->ppg,
	       g->ent_size, g->inline_ents, g->leaf_ents);
	printf("  Epoch shift:            %u (LRU stamps in %llu s epochs)\n",
	       g->epoch_shift, 1ULL << g->epoch_shift);
	printf("  Expected objects:       %llu\n",
	       (unsigned long long)g->expected_objects);
	printf("  Object slots:           %u\n", g->max_objects - 1);

	/* ---- geometry ---- */
	printf("\nGeometry %*s %12s %12s\n", 14, "", "start", "blocks");
	region("Superblock", 0, 1, NULL);
	region("State", g->state_blk, 1, NULL);
	region("Journal", g->journal_start, g->journal_len,
	       "2 checkpoint slots, then the ring");
	region("  ring", g->ring_start, g->ring_len, NULL);
	region("Free-count summary", g->summary_start, g->summary_len, NULL);
	region("Allocation bitmap", g->bitmap_start, g->bitmap_len, NULL);
	region("Volumes", g->volume_start, g->volume_len, "one per volume");
	region("Cookie index", g->index_start, g->index_len, "buckets");
	region("Object table", g->objtab_start, g->objtab_len,
	       "4 records per block");
	region("Data", g->data_start, g->data_end - g->data_start, NULL);
	region("Backup superblock", g->nblocks - 1, 1, NULL);

	/* ---- journal ---- */
	printf("\nJournal\n");
	dump_ckpt(fs, buf);
	printf("  Tail:                   position %llu, sequence %llu\n",
	       (unsigned long long)fs->tail_pos,
	       (unsigned long long)fs->tail_seq);
	printf("  Head:                   position %llu, sequence %llu\n",
	       (unsigned long long)fs->head_pos,
	       (unsigned long long)fs->head_seq);
	if (no_replay)
		printf("  State:                  DAMAGED: no usable checkpoint;"
		       " not replayed (fsck.cachestore -y resets it)\n");
	else if (fs->flags & CSF_FS_BAD_JOURNAL)
		printf("  State:                  DAMAGED: replay stopped at "
		       "sequence %llu (fsck.cachestore -y)\n",
		       (unsigned long long)fs->replay_end_seq);
	else if (fs->stats.replayed_txns)
		printf("  State:                  needs recovery: %llu "
		       "transaction%s (%llu blocks) pending, replayed in "
		       "memory for this dump\n",
		       (unsigned long long)fs->stats.replayed_txns,
		       fs->stats.replayed_txns == 1 ? "" : "s",
		       (unsigned long long)fs->stats.replayed_blocks);
	else
		printf("  State:                  clean (empty)\n");

	/* ---- global state ---- */
	printf("\nState (block %llu)\n", (unsigned long long)g->state_blk);
	csf_call_begin(fs);
	ret = csf_buf_get(fs, g->state_blk, CSF_T_STATE, &sb);
	if (ret) {
		printf("  DAMAGED: %s\n", strerror(-ret));
	} else {
		static struct csf_state s;

		s = *(const struct csf_state *)sb->data;
		st = &s;
		hwm = le32_to_cpu(st->obj_hwm);
		printf("  Free blocks:            %llu of %llu data blocks "
		       "(%s free)\n",
		       (unsigned long long)le64_to_cpu(st->free_blocks),
		       (unsigned long long)(g->data_end - g->data_start),
		       sz(le64_to_cpu(st->free_blocks), b1, sizeof(b1)));
		printf("  Live objects:           %u\n",
		       le32_to_cpu(st->nr_live));
		printf("  Dying objects:          %u\n",
		       le32_to_cpu(st->nr_dying));
		printf("  Live volumes:           %u\n",
		       le32_to_cpu(st->nr_volumes));
		printf("  Slot high-water mark:   %u\n", hwm);
		printf("  Free list head:         %u\n",
		       le32_to_cpu(st->free_head));
		printf("  LRU head (oldest):      %u\n",
		       le32_to_cpu(st->lru_head));
		printf("  LRU tail (newest):      %u\n",
		       le32_to_cpu(st->lru_tail));
		if (g->incompat & CSF_FEATURE_INCOMPAT_PROBATION) {
			printf("  On probation:           %u\n",
			       le32_to_cpu(st->nr_prob));
			printf("  Probation head:         %u\n",
			       le32_to_cpu(st->prob_head));
			printf("  Probation tail:         %u\n",
			       le32_to_cpu(st->prob_tail));
		}
		printf("  Dying list head:        %u\n",
		       le32_to_cpu(st->dying_head));
	}
	if (!csf_statfs(fs, &sf))
		printf("  Journal in use:         %llu of %llu blocks\n",
		       (unsigned long long)sf.journal_used,
		       (unsigned long long)sf.journal_blocks);

	/* ---- objects (walked before volumes: per-volume counts) ---- */
	if (ext)
		printf("\nObjects\n");
	dump_objects(fs, hwm, ext, &os);

	/* ---- volumes ---- */
	printf("\nVolumes\n");
	printf("  %5s  %-5s %8s %12s  %s\n", "id", "state", "objects",
	       "blocks", "key");
	for (vid = 1; vid <= g->volume_len; vid++) {
		const struct csf_volume *v;
		struct csf_buf *vb;
		u16 fl;

		csf_call_begin(fs);
		ret = csf_buf_get(fs, g->volume_start + vid - 1, CSF_T_VOLUME,
				  &vb);
		if (ret) {
			printf("  %5u  damaged: %s\n", vid, strerror(-ret));
			continue;
		}
		v = (const void *)vb->data;
		fl = le16_to_cpu(v->flags);
		if (!(fl & (CSF_VOL_LIVE | CSF_VOL_DEAD)))
			continue;
		nvol++;
		printf("  %5u  %-5s %8llu %12llu  %.*s\n", vid,
		       fl & CSF_VOL_LIVE ? "live" : "dead",
		       (unsigned long long)os.vol_objs[vid],
		       (unsigned long long)os.vol_blocks[vid],
		       (int)min_t(u32, v->key_len, CSF_MAX_VOLKEY),
		       (const char *)v->key);
		if (ext && v->coh_len)
			print_bytes("coh", v->coh, v->coh_len);
	}
	if (!nvol)
		printf("  (none)\n");

	/* ---- object counts ---- */
	printf("\nObject counts (object table walk)\n");
	printf("  Live:                   %llu\n", (unsigned long long)os.live);
	printf("  Dying:                  %llu\n", (unsigned long long)os.dying);
	printf("  Dirty:                  %llu\n", (unsigned long long)os.dirty);
	printf("  Free slots:             %llu below the high-water mark, "
	       "%u never used\n", (unsigned long long)os.free_slots,
	       g->max_objects - (hwm ? hwm : 1));
	if (os.damaged)
		printf("  Damaged:                %llu (fsck.cachestore)\n",
		       (unsigned long long)os.damaged);
	printf("  Bytes (object sizes):   %llu (%s)\n",
	       (unsigned long long)os.bytes,
	       csf_fmt_size(os.bytes, b1, sizeof(b1)));
	printf("  Data blocks:            %llu (%s), %llu pages present\n",
	       (unsigned long long)os.data_blocks,
	       sz(os.data_blocks, b2, sizeof(b2)),
	       (unsigned long long)os.present_pages);
	printf("  Map blocks:             %llu\n",
	       (unsigned long long)os.map_blocks);

	free(buf);
	free(os.vol_objs);
	free(os.vol_blocks);
	csf_close(fs);
	csf_td_close(&d);
	return EX_OK;
}
