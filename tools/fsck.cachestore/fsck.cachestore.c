// SPDX-License-Identifier: GPL-2.0
/*
 * fsck.cachestore - check and repair a cachestore cache.
 *
 * Follows fsck(8) conventions and e2fsck's exit codes.  The check itself
 * is the format library's csf_check(); this tool opens the device, replays
 * the journal (in memory only with -n), looks for journal damage the
 * library's replay cannot see (committed transactions past a break),
 * repairs by discarding damaged objects and reports what it found and did.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include "csf.h"
#include "csf_tooldev.h"

#define FSCK_OK			0
#define FSCK_NONDESTRUCT	1	/* errors corrected */
#define FSCK_REBOOT		2	/* unused */
#define FSCK_UNCORRECTED	4	/* errors left uncorrected */
#define FSCK_ERROR		8	/* operational error */
#define FSCK_USAGE		16	/* usage or syntax error */
#define FSCK_CANCELED		32	/* cancelled by user request */

static const char *prog = "fsck.cachestore";
static const char *devname;
static int mode;			/* 'n', 'y', 'p' or 0 (ask) */
static bool verbose;
static int progress_fd = -1;
static volatile sig_atomic_t cancel_req;

static struct {
	struct csf_tooldev *d;
	u64 done, max, writes_snap;
	double last;
	bool active;
} prog_st;

static void usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
"Usage: %s [-n|-y|-p] [-f] [-C fd] [-v] DEVICE|FILE\n"
"\n"
"  -n     check only: open read-only, replay the journal in memory, change\n"
"         nothing (answers \"no\" to every question)\n"
"  -y     repair without asking: discard damaged objects, rebuild the index,\n"
"         free map and lists, reset a damaged journal\n"
"  -p, -a preen: repair automatically like -y, print less; every problem\n"
"         cachestore can have is safe to repair automatically\n"
"  -f     force a full check (always done: accepted for compatibility)\n"
"  -C fd  progress: to file descriptor fd in fsck(8)'s format, or a bar on\n"
"         standard output when fd is 0\n"
"  -v     verbose: layout, journal and I/O statistics\n"
"  -V     print the version and exit\n"
"\n"
"Exit status (bits ORed, as e2fsck): 0 no errors, 1 errors corrected,\n"
"2 (unused), 4 errors left uncorrected, 8 operational error, 16 usage\n"
"error, 32 cancelled by the user.\n", prog);
	exit(code);
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	if (mode == 'p')
		printf("%s: ", devname);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* messages printed unless preening */
#define info(...)					\
	do {						\
		if (mode != 'p')			\
			printf(__VA_ARGS__);		\
	} while (0)

static void fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void fail(int code, const char *fmt, ...)
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	cancel_req = 1;
}

static void progress_show(bool final)
{
	double t = now();
	u64 cur = prog_st.done < prog_st.max ? prog_st.done : prog_st.max;

	if (progress_fd < 0 || !prog_st.active)
		return;
	if (!final && t - prog_st.last < 0.1)
		return;
	prog_st.last = t;
	if (final)
		cur = prog_st.max;
	if (progress_fd == 0) {
		int pct = prog_st.max ? (int)(cur * 100 / prog_st.max) : 100;
		int bar = pct * 40 / 100;

		printf("\r%s: |%.*s%*s| %3d%%", devname, bar,
		       "========================================", 40 - bar, "",
		       pct);
		if (final)
			printf("\n");
		fflush(stdout);
	} else {
		dprintf(progress_fd, "1 %llu %llu %s\n",
			(unsigned long long)cur, (unsigned long long)prog_st.max,
			devname);
	}
}

/* Called before every metadata read: progress, and cancellation while
 * nothing has been written since the check started. */
static int on_read(void *priv, u64 blk, u32 count)
{
	(void)priv;
	(void)blk;
	if (cancel_req && prog_st.d->writes == prog_st.writes_snap)
		return -ECANCELED;
	prog_st.done += count;
	progress_show(false);
	return 0;
}

static bool ask(const char *q)
{
	char line[64];

	if (mode == 'n')
		return false;
	if (mode == 'y' || mode == 'p')
		return true;
	printf("%s<y>? ", q);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == '\n' || line[0] == 'y' || line[0] == 'Y';
}

/*
 * Committed transactions after the point where replay stopped: a
 * descriptor of this cache with a sequence beyond the replayed head can
 * only exist if a committed transaction before it was destroyed
 * (truncated or garbled journal).  Returns how many such descriptors.
 */
static int scan_journal(struct csf_fs *fs, struct csf_tooldev *d, u64 *lost,
			u64 *max_seq)
{
	const struct csf_geo *g = &fs->geo;
	const u32 chunk = 4096;
	u8 *buf = aligned_alloc(CSF_BLOCK_SIZE, (size_t)chunk * CSF_BLOCK_SIZE);
	u64 pos, seqs_lo = ~0ULL;
	int ret = 0;

	*lost = 0;
	*max_seq = 0;
	if (!buf)
		return -ENOMEM;
	for (pos = 0; pos < g->ring_len && !ret; pos += chunk) {
		u32 n = (u32)min_t(u64, chunk, g->ring_len - pos), i;

		/* one pass over up to 4 GiB: keep it out of the page cache */
		ret = csf_td_read_stream(d, g->ring_start + pos, n, buf);
		for (i = 0; i < n && !ret; i++) {
			const struct csf_jdesc *jd = (const void *)
				(buf + (size_t)i * CSF_BLOCK_SIZE);
			u64 seq = le64_to_cpu(jd->hdr.seq);

			if (le32_to_cpu(jd->hdr.magic) != CSF_MAGIC ||
			    le16_to_cpu(jd->hdr.type) != CSF_T_JDESC ||
			    csf_blk_verify(jd, CSF_T_JDESC, g->ring_start + pos + i) ||
			    memcmp(jd->uuid, g->uuid, 16) || seq <= fs->replay_end_seq)
				continue;
			if (le32_to_cpu(jd->index) == 0)
				(*lost)++;
			if (seq > *max_seq)
				*max_seq = seq;
			if (seq < seqs_lo)
				seqs_lo = seq;
		}
	}
	free(buf);
	return ret;
}

static void print_report(const struct csf_check_report *r, bool fixed)
{
	static const struct {
		size_t off;
		const char *what;
	} items[] = {
#define R(f, s) { offsetof(struct csf_check_report, f), s }
		R(bad_super, "damaged superblock copies"),
		R(bad_state, "state block problems (damaged or wrong counts)"),
		R(bad_summary, "free-count summary entries wrong"),
		R(bad_bitmap, "damaged allocation bitmap blocks"),
		R(bad_volumes, "damaged volume records"),
		R(bad_objects, "damaged object records"),
		R(bad_csum, "  of which: metadata blocks with bad checksums"),
		R(bad_maps, "  of which: bad object maps or content bits"),
		R(dup_blocks, "  of which: blocks claimed by two objects"),
		R(out_of_range, "extents outside the data area"),
		R(index_errors, "cookie index errors"),
		R(list_errors, "LRU/free/dying list errors"),
		R(leaked_blocks, "blocks marked used but owned by nothing"),
		R(free_but_used, "blocks owned by an object but marked free"),
#undef R
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(items); i++) {
		u64 v = *(const u64 *)((const u8 *)r + items[i].off);

		if (v)
			out("  %-52s %llu%s\n", items[i].what,
			    (unsigned long long)v,
			    fixed && items[i].what[0] != ' ' ? "  FIXED" : "");
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct csf_check_report rep, rep2;
	struct csf_tooldev d;
	struct csf_statfs st;
	struct csf_fs *fs = NULL;
	struct csf_buf *sb;
	char err[256], what[512], uuid[37];
	u64 lost_txns = 0, lost_max = 0, replayed;
	bool used_backup, bad_journal, no_ckpt = false, repairing;
	bool journal_fixed = false;
	int c, ret, code = FSCK_OK;
	u32 oflags;
	double t0;

	if (argv[0] && strrchr(argv[0], '/'))
		prog = strrchr(argv[0], '/') + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "nypafC:vVht:", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 'y':
		case 'p':
		case 'a':
			if (c == 'a')
				c = 'p';
			if (mode && mode != c) {
				fprintf(stderr, "%s: only one of -n, -y, -p may be "
					"given\n", prog);
				usage(FSCK_USAGE);
			}
			mode = c;
			break;
		case 'f':
			break;		/* every check is a full check */
		case 'C': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 1024)
				usage(FSCK_USAGE);
			progress_fd = (int)v;
			break;
		}
		case 'v':
			verbose = true;
			break;
		case 't':
			break;		/* fsck -t cachestore may pass it on */
		case 'V':
			printf("%s (cachestore format %d.%d)\n", prog,
			       CSF_VERSION_MAJOR, CSF_VERSION_MINOR);
			return FSCK_OK;
		case 'h':
			usage(FSCK_OK);
			break;
		default:
			usage(FSCK_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", prog, optind >= argc ?
			"no device given" : "too many arguments");
		usage(FSCK_USAGE);
	}
	devname = argv[optind];
	if (!mode && !isatty(0))
		fail(FSCK_ERROR, "need a terminal for interactive repairs; "
		     "use -n, -y or -p");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	ret = csf_td_open(&d, devname, mode == 'n' ? CSF_TD_RDONLY : CSF_TD_EXCL,
			  err, sizeof(err));
	if (ret == -EBUSY)
		fail(FSCK_ERROR, "%s; use -n to check it read-only", err);
	if (ret)
		fail(FSCK_ERROR, "cannot open: %s", err);
	if (csf_td_in_use(&d, what, sizeof(what))) {
		if (mode != 'n')
			fail(FSCK_ERROR, "is in use (%s); will not repair it "
			     "(use -n to check it read-only)", what);
		info("Warning: %s is in use (%s): results may be stale\n",
		     devname, what);
	}
	if (d.dev.nblocks < CSF_MIN_BLOCKS)
		fail(FSCK_ERROR, "too small to hold a cachestore cache "
		     "(%llu bytes)", (unsigned long long)d.size);
	prog_st.d = &d;
	d.on_read = on_read;
	t0 = now();

	/* open: superblock (backup fallback), journal replay */
	repairing = mode != 'n';
	oflags = mode == 'n' ? CSF_OPEN_RDONLY : 0;
	ret = csf_open(&d.dev, oflags, &fs);
	if (ret == -EUCLEAN) {
		/* a superblock but no usable journal checkpoint? */
		ret = csf_open(&d.dev, oflags | CSF_OPEN_NO_REPLAY, &fs);
		if (!ret)
			no_ckpt = true;
	}
	if (ret == -ECANCELED)
		fail(FSCK_CANCELED, "cancelled by the user; nothing was changed");
	if (ret == -EUCLEAN) {
		int k = csf_td_probe_cachestore(&d, what, sizeof(what));

		if (!k)
			fail(FSCK_ERROR, "no cachestore superblock found "
			     "(neither block 0 nor the backup in the last "
			     "block); not a cache, or formatted with -s "
			     "smaller than the device?");
		fail(FSCK_ERROR | FSCK_UNCORRECTED, "%s, but it cannot be "
		     "opened (superblock or state block damaged beyond "
		     "what this version can repair); reformat it with "
		     "mkcachestore -f", what);
	}
	if (ret == -EIO)
		fail(FSCK_ERROR, "I/O error while opening the cache");
	if (ret)
		fail(FSCK_ERROR, "cannot open the cache: %s", strerror(-ret));

	used_backup = fs->flags & CSF_FS_USED_BACKUP;
	bad_journal = (fs->flags & CSF_FS_BAD_JOURNAL) || no_ckpt;
	replayed = fs->stats.replayed_txns;
	csf_fmt_uuid(fs->geo.uuid, uuid);
	if (mode != 'p')
		printf("%s (cachestore format %d.%d)\n", prog,
		       CSF_VERSION_MAJOR, CSF_VERSION_MINOR);
	info("Checking cache on %s: uuid %s%s%s%s, %llu blocks\n", devname,
	     uuid, fs->geo.label[0] ? ", label \"" : "", fs->geo.label,
	     fs->geo.label[0] ? "\"" : "", (unsigned long long)fs->geo.nblocks);
	if (verbose)
		info("Layout: journal %llu+%llu, bitmap %llu+%llu, index "
		     "%llu+%llu, objects %llu+%llu, data %llu..%llu, granule "
		     "%u KiB\n", (unsigned long long)fs->geo.journal_start,
		     (unsigned long long)fs->geo.journal_len,
		     (unsigned long long)fs->geo.bitmap_start,
		     (unsigned long long)fs->geo.bitmap_len,
		     (unsigned long long)fs->geo.index_start,
		     (unsigned long long)fs->geo.index_len,
		     (unsigned long long)fs->geo.objtab_start,
		     (unsigned long long)fs->geo.objtab_len,
		     (unsigned long long)fs->geo.data_start,
		     (unsigned long long)fs->geo.data_end,
		     1U << (fs->geo.granule_shift - 10));

	/* pass 0: journal */
	info("Pass 0: journal\n");
	if (used_backup)
		out("Primary superblock is damaged: %s\n", mode == 'n' ?
		    "using the backup (not fixed: -n)" :
		    "restored from the backup. FIXED");
	if (no_ckpt)
		out("Both journal checkpoint slots are damaged: the journal "
		    "cannot be replayed\n");
	else if (replayed)
		info("Replayed %llu journal transaction%s (%llu blocks)%s\n",
		     (unsigned long long)replayed, replayed == 1 ? "" : "s",
		     (unsigned long long)fs->stats.replayed_blocks,
		     mode == 'n' ? " in memory only (-n)" : "");
	else
		info("Journal is empty\n");
	if (fs->flags & CSF_FS_BAD_JOURNAL && !no_ckpt)
		out("Journal transaction %llu is damaged: replay stopped "
		    "there\n", (unsigned long long)fs->replay_end_seq);
	ret = scan_journal(fs, &d, &lost_txns, &lost_max);
	if (ret == -ECANCELED)
		fail(FSCK_CANCELED, "cancelled by the user");
	if (ret)
		fail(FSCK_ERROR, "reading the journal: %s", strerror(-ret));
	if (lost_txns) {
		out("Journal is truncated or garbled: %llu committed "
		    "transaction%s (up to sequence %llu) follow%s the break "
		    "at sequence %llu and cannot be replayed\n",
		    (unsigned long long)lost_txns, lost_txns == 1 ? "" : "s",
		    (unsigned long long)lost_max, lost_txns == 1 ? "s" : "",
		    (unsigned long long)fs->replay_end_seq);
		bad_journal = true;
	}

	/* pass 1..: the library's full check */
	if (progress_fd >= 0 && !csf_buf_get(fs, fs->geo.state_blk,
					     CSF_T_STATE, &sb)) {
		const struct csf_state *s = (const void *)sb->data;
		u64 hwm = le32_to_cpu(s->obj_hwm);

		prog_st.max = hwm / CSF_OBJS_PER_BLOCK + 1 + fs->geo.bitmap_len +
			      fs->geo.summary_len + fs->geo.index_len +
			      fs->geo.volume_len + le32_to_cpu(s->nr_live);
		prog_st.done = 0;
		prog_st.active = true;
	}
	info("Pass 1: superblocks, volumes, objects and their maps\n");
	info("Pass 2: cookie index, LRU/free/dying lists, free space map\n");
	prog_st.writes_snap = d.writes;
	ret = csf_check(fs, 0, &rep);
	progress_show(true);
	if (ret == -ECANCELED)
		fail(FSCK_CANCELED, "cancelled by the user; nothing was changed");
	if (ret)
		fail(FSCK_ERROR, "the check could not run: %s", strerror(-ret));
	if (rep.errors) {
		out("Problems found:\n");
		print_report(&rep, false);
	}
	if (rep.errors && repairing &&
	    ask("Discard the damaged objects and rebuild the index, lists and "
		"free space map")) {
		struct csf_check_report found = rep;

		prog_st.active = false;
		ret = csf_check(fs, CSF_CHECK_REPAIR, &rep);
		if (ret)
			fail(FSCK_ERROR | FSCK_UNCORRECTED, "repair failed: %s",
			     strerror(-ret));
		if (rep.repaired)
			out("Discarded %llu damaged object%s, reclaimed %llu "
			    "block%s; rebuilt the index, lists and free space "
			    "map. FIXED\n",
			    (unsigned long long)rep.objects_discarded,
			    rep.objects_discarded == 1 ? "" : "s",
			    (unsigned long long)rep.blocks_reclaimed,
			    rep.blocks_reclaimed == 1 ? "" : "s");
		if (!rep.errors)	/* nothing left to repair on the second look */
			rep = found, rep.repaired = true;
	}

	/* a damaged journal: everything is home now, forget it */
	if (bad_journal && mode != 'n' &&
	    ask("Reset the damaged journal (its lost transactions only "
		"held cache metadata)")) {
		ret = csf_journal_reset(fs);
		if (!ret)
			ret = fs->dev.ops->zero(fs->dev.priv, fs->geo.ring_start,
						fs->geo.ring_len);
		if (!ret)
			ret = fs->dev.ops->flush(fs->dev.priv);
		if (ret)
			fail(FSCK_ERROR | FSCK_UNCORRECTED, "resetting the "
			     "journal failed: %s", strerror(-ret));
		out("Journal reset. FIXED\n");
		journal_fixed = true;
	}

	/* verify the repair */
	if (rep.repaired || journal_fixed) {
		prog_st.active = false;
		ret = csf_check(fs, 0, &rep2);
		if (ret)
			fail(FSCK_ERROR | FSCK_UNCORRECTED, "re-checking after "
			     "repair failed: %s", strerror(-ret));
		if (rep2.errors) {
			out("Problems remain after repair:\n");
			print_report(&rep2, false);
			code |= FSCK_UNCORRECTED;
		}
	}

	if (rep.errors && !rep.repaired)
		code |= FSCK_UNCORRECTED;
	if (bad_journal && !journal_fixed)
		code |= FSCK_UNCORRECTED;
	if (used_backup)
		code |= mode == 'n' ? FSCK_UNCORRECTED : FSCK_NONDESTRUCT;
	if (rep.repaired || journal_fixed)
		code |= FSCK_NONDESTRUCT;

	if (csf_statfs(fs, &st))
		memset(&st, 0, sizeof(st));
	if (verbose)
		info("I/O: %llu reads (%llu blocks), %llu writes (%llu blocks),"
		     " %llu batches, %llu SQEs%s; %.3f s\n",
		     (unsigned long long)d.reads,
		     (unsigned long long)d.read_blocks,
		     (unsigned long long)d.writes,
		     (unsigned long long)d.write_blocks,
		     (unsigned long long)d.batches, (unsigned long long)d.sqes,
		     csf_td_using_uring(&d) ? " (io_uring)" : " (pread)",
		     now() - t0);
	csf_close(fs);
	ret = csf_td_close(&d);
	if (ret && mode != 'n')
		fail(FSCK_ERROR | code, "writing the repairs: %s", strerror(-ret));

	if (code & FSCK_NONDESTRUCT)
		info("\n***** CACHE WAS MODIFIED *****\n");
	if (code & FSCK_UNCORRECTED)
		info("\n***** CACHE HAS ERRORS%s *****\n",
		     mode == 'n' ? " (run without -n to repair)" : "");
	printf("%s%s: %s%u/%u objects, %llu/%llu data blocks\n",
	       mode == 'p' ? "" : "", devname,
	       code == FSCK_OK ? "clean, " : "", st.live_objects, st.max_objects,
	       (unsigned long long)(st.data_blocks - st.free_blocks),
	       (unsigned long long)st.data_blocks);
	return code;
}
