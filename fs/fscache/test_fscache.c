// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fscache - a tiny network filesystem that drives the fscache API
 *
 * The module behaves like a netfs without a server: on command it acquires
 * volumes and cookies with chosen keys, aux data and sizes, uses them, writes
 * a deterministic pattern into the cache and reads it back (verifying it in
 * the kernel), invalidates, resizes and relinquishes.  It knows nothing of
 * any particular cache backend, so one scenario can be run against
 * cachefiles and against any other backend and the results compared.
 *
 * Control: write one command line to /sys/kernel/debug/test_fscache/ctl and
 * read one reply line back from the same open file:
 *
 *	exec 3<>/sys/kernel/debug/test_fscache/ctl
 *	echo "vol_acquire v1 key=test,v1" >&3; read -r reply <&3
 *	echo "cookie_acquire c1 vol=v1 key=hex:0102 size=8192" >&3; read -r reply <&3
 *	echo "use c1 w" >&3; read -r reply <&3
 *	echo "write c1 off=0 len=8192 seed=7" >&3; read -r reply <&3
 *	echo "read c1 off=0 len=8192 seed=7 hole=fail" >&3; read -r reply <&3
 *
 * Every reply is one line: "ok [key=value ...]" or
 * "err -ERRNO NAME [key=value ...]".  Send "help" for the command list;
 * Documentation/filesystems/caching/test_fscache.rst describes the protocol.
 * Everything still held is released when the module is removed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/crc32.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/fscache.h>
#include <linux/fscache-cache.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/netfs.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#define TFS_NAME_MAX		32	/* object names: [A-Za-z0-9_.:-]{1,32} */
#define TFS_CMD_MAX		4096	/* one command line, newline included */
#define TFS_REPLY_MAX		4096
#define TFS_BLOB_MAX		512	/* key/aux/coherency input (fscache: 255) */
#define TFS_IO_MAX		(16U << 20)
#define TFS_STRESS_LEN_MAX	SZ_1M
#define TFS_DUMP_MAX		1024
#define TFS_MAX_POS		6
#define TFS_MAX_KV		24
#define TFS_CHUNK		512	/* verification granule */
#define TFS_POISON		0xa5	/* read buffers are filled with this */
#define TFS_WAIT_DEF_MS		60000
#define TFS_WAIT_MAX_MS		600000
#define TFS_THREADS_MAX		64
#define TFS_COOKIES_MAX		100000

/* A volume acquired on command. */
struct tfs_volume {
	struct list_head	link;		/* tfs_volumes */
	char			name[TFS_NAME_MAX + 1];
	struct fscache_volume	*vol;		/* ERR_PTR never stored */
	unsigned int		n_cookies;	/* our cookies and jobs in it */
};

/* A cookie acquired on command (or by a stress job). */
struct tfs_cookie {
	struct list_head	link;		/* tfs_cookies */
	char			name[TFS_NAME_MAX + 1];
	struct tfs_volume	*tvol;
	struct fscache_cookie	*cookie;	/* NULL if fscache refused */
	atomic_t		users;		/* commands and I/O using it */
	atomic_t		n_use;		/* fscache_use_cookie() calls */
	unsigned int		n_ops;		/* held operations (tfs_lock) */
	bool			dead;		/* being relinquished (tfs_lock) */
	loff_t			i_size;		/* the netfs' file size */
};

/* A cache operation begun with "op_begin" and held until "op_end". */
struct tfs_op {
	struct list_head	link;		/* tfs_ops */
	char			name[TFS_NAME_MAX + 1];
	refcount_t		ref;
	struct tfs_cookie	*tc;		/* holds a user */
	bool			write;
	struct netfs_cache_resources cres;
};

struct tfs_buf {
	unsigned int		nr;
	size_t			len;
	struct page		**pages;
	struct bio_vec		*bv;
};

enum tfs_expect {
	TFS_EXPECT_DATA,	/* every chunk holds the pattern */
	TFS_EXPECT_ZERO,	/* every chunk is zero */
	TFS_EXPECT_MIXED,	/* every chunk is the pattern or zero */
	TFS_EXPECT_NONE,	/* no check */
};

struct tfs_verify {
	size_t			data;	/* bytes in chunks holding the pattern */
	size_t			zero;	/* bytes in all-zero chunks */
	size_t			bad;	/* bytes in other chunks */
	loff_t			bad_at;	/* file position of the first bad chunk */
	u32			crc;	/* zlib crc32 of the whole buffer */
};

/* One read or write through the netfs_cache_ops. */
struct tfs_io {
	refcount_t		ref;
	struct list_head	link;		/* tfs_ios while awaiting "wait" */
	char			name[TFS_NAME_MAX + 1];
	struct tfs_cookie	*tc;		/* holds a user until finished */
	struct tfs_op		*op;		/* held operation used, if any */
	struct netfs_cache_resources own_cres;
	struct netfs_cache_resources *cres;
	bool			began;		/* own_cres must be ended */
	bool			write;
	bool			async;
	bool			submitted;	/* term_func will be called */
	bool			prep;
	bool			noalloc;
	bool			has_seed;
	enum netfs_read_from_hole hole;
	enum tfs_expect		expect;
	loff_t			off;
	size_t			len;
	u64			seed;
	loff_t			isize;
	unsigned int		dump;
	struct tfs_buf		*buf;
	struct tfs_buf		own_buf;
	struct iov_iter		iter;
	/* Results */
	const char		*stage;
	int			rc;		/* what the last call returned */
	ssize_t			result;		/* bytes transferred or -errno */
	bool			was_async;
	unsigned long		termed;		/* bit 0: term_func called */
	loff_t			pstart;
	size_t			plen;
	struct tfs_verify	v;
	bool			verify_ok;
	unsigned int		inval_at_end;
	ktime_t			t0;
	s64			usecs;
	struct work_struct	work;
	struct completion	done;
};

struct tfs_job;

struct tfs_worker {
	struct tfs_job		*job;
	unsigned int		idx;
	struct completion	done;
};

/* A stress run: N threads doing write/read/verify loops over M cookies. */
struct tfs_job {
	struct list_head	link;		/* tfs_jobs while in background */
	char			name[TFS_NAME_MAX + 1];
	struct tfs_volume	*tvol;
	struct tfs_cookie	**cookies;
	unsigned int		nr_cookies;
	unsigned int		nr_threads;
	unsigned int		nr_workers;	/* threads + the invalidator */
	unsigned int		ops;
	unsigned int		span;
	unsigned int		inval_ms;
	size_t			len;
	u64			seed;
	unsigned long		deadline;	/* jiffies, 0 for none */
	bool			async;
	bool			churn;
	bool			retire;
	bool			miss_ok;	/* a read-back miss is no failure */
	bool			stop;
	unsigned int		nulls;
	atomic_t		active;		/* I/O threads still running */
	atomic64_t		pass;
	atomic64_t		fail;
	atomic64_t		miss;
	atomic64_t		rmiss;		/* read-back misses (miss_ok) */
	atomic64_t		nobufs;
	atomic64_t		invals;
	spinlock_t		lock;		/* first_fail */
	char			first_fail[64];
	ktime_t			t0;
	s64			msecs;
	struct tfs_worker	*workers;
};

struct tfs_client {
	struct mutex		mutex;		/* one command at a time per file */
	size_t			reply_len;
	size_t			read_pos;
	char			reply[TFS_REPLY_MAX + 64];
};

struct tfs_ctx {
	char			*out;
	size_t			len;
	size_t			size;
};

struct tfs_args {
	unsigned int		npos;
	unsigned int		nkv;
	char			*pos[TFS_MAX_POS];
	bool			pos_used[TFS_MAX_POS];
	char			*key[TFS_MAX_KV];
	char			*val[TFS_MAX_KV];
	bool			kv_used[TFS_MAX_KV];
};

static DEFINE_MUTEX(tfs_lock);		/* the lists and the counts in them */
static LIST_HEAD(tfs_volumes);
static LIST_HEAD(tfs_cookies);
static LIST_HEAD(tfs_ops);
static LIST_HEAD(tfs_ios);
static LIST_HEAD(tfs_jobs);
static DECLARE_WAIT_QUEUE_HEAD(tfs_waitq);
static atomic_t tfs_inflight = ATOMIC_INIT(0);	/* async I/O not finished */
static atomic_t tfs_double_term = ATOMIC_INIT(0);
static atomic64_t tfs_seq = ATOMIC64_INIT(0);
static struct workqueue_struct *tfs_wq;
static struct dentry *tfs_dir;
static struct inode *tfs_dummy_inode;	/* for the fake netfs_io_request */

static const char *const tfs_cookie_states[FSCACHE_COOKIE_STATE__NR] = {
	"QUIESCENT", "LOOKING_UP", "CREATING", "ACTIVE", "INVALIDATING",
	"FAILED", "LRU_DISCARDING", "WITHDRAWING", "RELINQUISHING", "DROPPED",
};

static const char *const tfs_cookie_flags[] = {
	"RELINQUISHED", "RETIRED", "IS_CACHING", "NO_DATA_TO_READ",
	"NEEDS_UPDATE", "HAS_BEEN_CACHED", "DISABLED", "LOCAL_WRITE",
	"NO_ACCESS_WAKE", "DO_RELINQUISH", "DO_WITHDRAW", "DO_LRU_DISCARD",
	"DO_PREP_TO_WRITE", "HAVE_DATA", "IS_HASHED", "DO_INVALIDATE",
};

static const char *const tfs_volume_flags[] = {
	"RELINQUISHED", "INVALIDATE", "COLLIDED_WITH", "ACQUIRE_PENDING",
	"CREATING",
};

static const char *const tfs_cache_states[NR__FSCACHE_CACHE_STATE] = {
	"NOT_PRESENT", "PREPARING", "ACTIVE", "GOT_IOERROR", "WITHDRAWN",
};

/* By name: 6.12's enum netfs_io_source starts with NETFS_SOURCE_UNKNOWN. */
static const char *const tfs_sources[] = {
	[NETFS_FILL_WITH_ZEROES]	= "FILL_WITH_ZEROES",
	[NETFS_DOWNLOAD_FROM_SERVER]	= "DOWNLOAD_FROM_SERVER",
	[NETFS_READ_FROM_CACHE]		= "READ_FROM_CACHE",
	[NETFS_INVALID_READ]		= "INVALID_READ",
};

static const struct {
	int		err;
	const char	*name;
} tfs_errnames[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
	{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
	{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { EFBIG, "EFBIG" },
	{ ENOSPC, "ENOSPC" }, { EROFS, "EROFS" }, { ERANGE, "ERANGE" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENODATA, "ENODATA" },
	{ EOVERFLOW, "EOVERFLOW" }, { EBADMSG, "EBADMSG" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENOBUFS, "ENOBUFS" },
	{ ETIMEDOUT, "ETIMEDOUT" }, { ESTALE, "ESTALE" },
	{ ECANCELED, "ECANCELED" }, { ERESTARTSYS, "ERESTARTSYS" },
	{ ENOTSUPP, "ENOTSUPP" }, { EIOCBQUEUED, "EIOCBQUEUED" },
};

static const char *tfs_errname(int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tfs_errnames); i++)
		if (tfs_errnames[i].err == -err)
			return tfs_errnames[i].name;
	return "E?";
}

static __printf(2, 3) void tfs_out(struct tfs_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->len + 1 >= ctx->size)
		return;
	va_start(ap, fmt);
	ctx->len += vscnprintf(ctx->out + ctx->len, ctx->size - ctx->len, fmt, ap);
	va_end(ap);
}

static void tfs_out_hex(struct tfs_ctx *ctx, const char *key, const u8 *p, size_t len)
{
	size_t i;

	tfs_out(ctx, " %s=hex:", key);
	for (i = 0; i < len && ctx->len + 3 < ctx->size; i++)
		tfs_out(ctx, "%02x", p[i]);
}

static void tfs_out_bits(struct tfs_ctx *ctx, const char *key, unsigned long bits,
			 const char *const *names, unsigned int nr)
{
	bool any = false;
	unsigned int i;

	tfs_out(ctx, " %s=", key);
	for (i = 0; i < BITS_PER_LONG; i++) {
		if (!(bits & BIT(i)))
			continue;
		if (i < nr)
			tfs_out(ctx, "%s%s", any ? "," : "", names[i]);
		else
			tfs_out(ctx, "%sBIT%u", any ? "," : "", i);
		any = true;
	}
	if (!any)
		tfs_out(ctx, "-");
}

/*
 * Argument parsing.  A command line is "CMD [word...] [key=value...]"; words
 * and pairs may be mixed.  Every word and pair must be consumed by the
 * handler or the command fails with EINVAL.
 */
static int tfs_split(char *line, struct tfs_args *a, struct tfs_ctx *ctx)
{
	char *tok, *eq;
	unsigned int i;

	memset(a, 0, sizeof(*a));
	while ((tok = strsep(&line, " \t")) != NULL) {
		if (!*tok)
			continue;
		eq = strchr(tok, '=');
		if (!eq) {
			if (a->npos >= TFS_MAX_POS) {
				tfs_out(ctx, " msg=too-many-words");
				return -E2BIG;
			}
			a->pos[a->npos++] = tok;
			continue;
		}
		if (eq == tok) {
			tfs_out(ctx, " msg=empty-key");
			return -EINVAL;
		}
		*eq = '\0';
		for (i = 0; i < a->nkv; i++) {
			if (!strcmp(a->key[i], tok)) {
				tfs_out(ctx, " msg=duplicate-key:%s", tok);
				return -EINVAL;
			}
		}
		if (a->nkv >= TFS_MAX_KV) {
			tfs_out(ctx, " msg=too-many-keys");
			return -E2BIG;
		}
		a->key[a->nkv] = tok;
		a->val[a->nkv] = eq + 1;
		a->nkv++;
	}
	if (!a->npos) {
		tfs_out(ctx, " msg=empty-command");
		return -EINVAL;
	}
	a->pos_used[0] = true;
	return 0;
}

static const char *tfs_kv(struct tfs_args *a, const char *key)
{
	unsigned int i;

	for (i = 0; i < a->nkv; i++) {
		if (!strcmp(a->key[i], key)) {
			a->kv_used[i] = true;
			return a->val[i];
		}
	}
	return NULL;
}

/* Positional word @idx (1 = first after the command), or NULL. */
static const char *tfs_word(struct tfs_args *a, unsigned int idx)
{
	if (idx >= a->npos)
		return NULL;
	a->pos_used[idx] = true;
	return a->pos[idx];
}

/* Is @flag among the words after the first @from? */
static bool tfs_flag(struct tfs_args *a, unsigned int from, const char *flag)
{
	unsigned int i;

	for (i = from; i < a->npos; i++) {
		if (!a->pos_used[i] && !strcmp(a->pos[i], flag)) {
			a->pos_used[i] = true;
			return true;
		}
	}
	return false;
}

static int tfs_args_check(struct tfs_args *a, struct tfs_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < a->npos; i++) {
		if (!a->pos_used[i]) {
			tfs_out(ctx, " msg=unexpected-word:%s", a->pos[i]);
			return -EINVAL;
		}
	}
	for (i = 0; i < a->nkv; i++) {
		if (!a->kv_used[i]) {
			tfs_out(ctx, " msg=unknown-key:%s", a->key[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static bool tfs_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > TFS_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum(s[i]) && !strchr("_.:-", s[i]))
			return false;
	return true;
}

static int tfs_get_name(struct tfs_args *a, unsigned int idx, const char **name,
			struct tfs_ctx *ctx)
{
	*name = tfs_word(a, idx);
	if (!*name) {
		tfs_out(ctx, " msg=missing-name");
		return -EINVAL;
	}
	if (!tfs_name_ok(*name)) {
		tfs_out(ctx, " msg=bad-name");
		return -EINVAL;
	}
	return 0;
}

/* Parse an unsigned number: decimal, 0x hex or 0 octal, optional k/m/g. */
static int tfs_parse_u64(const char *s, u64 *out)
{
	char tmp[32];
	size_t n = strlen(s);
	u64 mult = 1, v;

	if (!n || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n + 1);
	switch (tmp[n - 1]) {
	case 'k': case 'K':
		mult = SZ_1K;
		break;
	case 'm': case 'M':
		mult = SZ_1M;
		break;
	case 'g': case 'G':
		mult = SZ_1G;
		break;
	}
	if (mult != 1) {
		tmp[--n] = '\0';
		if (!n)
			return -EINVAL;
	}
	if (kstrtou64(tmp, 0, &v))
		return -EINVAL;
	if (check_mul_overflow(v, mult, out))
		return -ERANGE;
	return 0;
}

/* Fetch key=N within [min, max]; *out keeps @def if the key is absent. */
static int tfs_get_u64(struct tfs_args *a, const char *key, u64 min, u64 max,
		       u64 *out, struct tfs_ctx *ctx)
{
	const char *s = tfs_kv(a, key);
	u64 v;

	if (!s)
		return 0;
	if (tfs_parse_u64(s, &v) || v < min || v > max) {
		tfs_out(ctx, " msg=bad-%s", key);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int tfs_get_bool(struct tfs_args *a, const char *key, bool *out,
			struct tfs_ctx *ctx)
{
	const char *s = tfs_kv(a, key);

	if (!s)
		return 0;
	if (kstrtobool(s, out)) {
		tfs_out(ctx, " msg=bad-%s", key);
		return -EINVAL;
	}
	return 0;
}

/*
 * Parse binary data: "hex:0a0b..", "fill:N:HH" (N bytes of 0xHH), "str:text"
 * or plain text.  An empty value gives zero bytes.
 */
static int tfs_parse_blob(const char *s, u8 *buf, size_t max, size_t *lenp)
{
	size_t n;

	if (!strncmp(s, "hex:", 4)) {
		s += 4;
		n = strlen(s);
		if (n % 2 || n / 2 > max || hex2bin(buf, s, n / 2))
			return -EINVAL;
		*lenp = n / 2;
		return 0;
	}
	if (!strncmp(s, "fill:", 5)) {
		char tmp[24];
		char *colon;
		u64 count;
		u8 byte;

		s += 5;
		n = strlen(s);
		if (n >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, s, n + 1);
		colon = strchr(tmp, ':');
		if (!colon || strlen(colon + 1) != 2)
			return -EINVAL;
		*colon = '\0';
		if (tfs_parse_u64(tmp, &count) || count > max ||
		    hex2bin(&byte, colon + 1, 1))
			return -EINVAL;
		memset(buf, byte, count);
		*lenp = count;
		return 0;
	}
	if (!strncmp(s, "str:", 4))
		s += 4;
	n = strlen(s);
	if (n > max)
		return -EINVAL;
	memcpy(buf, s, n);
	*lenp = n;
	return 0;
}

static int tfs_get_blob(struct tfs_args *a, const char *key, u8 *buf,
			size_t *lenp, bool *present, struct tfs_ctx *ctx)
{
	const char *s = tfs_kv(a, key);

	*present = s;
	*lenp = 0;
	if (!s)
		return 0;
	if (tfs_parse_blob(s, buf, TFS_BLOB_MAX, lenp)) {
		tfs_out(ctx, " msg=bad-%s", key);
		return -EINVAL;
	}
	return 0;
}

static int tfs_get_timeout(struct tfs_args *a, unsigned long *jif,
			   struct tfs_ctx *ctx)
{
	u64 ms = TFS_WAIT_DEF_MS;
	int ret;

	ret = tfs_get_u64(a, "timeout", 0, TFS_WAIT_MAX_MS, &ms, ctx);
	*jif = msecs_to_jiffies(ms);
	return ret;
}

/*
 * The data pattern: byte at file position P for seed S is byte (P & 7) (little
 * endian) of splitmix64(S + ((P >> 3) + 1) * 0x9e3779b97f4a7c15).
 */
static u64 tfs_mix(u64 seed, u64 word)
{
	u64 z = seed + (word + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void tfs_pattern(u8 *p, loff_t pos, size_t len, u64 seed)
{
	u64 w = tfs_mix(seed, pos >> 3);

	while (len--) {
		*p++ = w >> ((pos & 7) * 8);
		pos++;
		if (!(pos & 7))
			w = tfs_mix(seed, pos >> 3);
	}
}

static bool tfs_is_pattern(const u8 *p, loff_t pos, size_t len, u64 seed)
{
	u64 w = tfs_mix(seed, pos >> 3);

	while (len--) {
		if (*p++ != (u8)(w >> ((pos & 7) * 8)))
			return false;
		pos++;
		if (!(pos & 7))
			w = tfs_mix(seed, pos >> 3);
	}
	return true;
}

static void tfs_buf_free(struct tfs_buf *b)
{
	unsigned int i;

	if (b->pages) {
		for (i = 0; i < b->nr; i++)
			if (b->pages[i])
				__free_page(b->pages[i]);
	}
	kvfree(b->pages);
	kvfree(b->bv);
	memset(b, 0, sizeof(*b));
}

static int tfs_buf_alloc(struct tfs_buf *b, size_t len)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->nr = DIV_ROUND_UP(len, PAGE_SIZE);
	b->len = len;
	b->pages = kvcalloc(b->nr, sizeof(*b->pages), GFP_KERNEL);
	b->bv = kvcalloc(b->nr, sizeof(*b->bv), GFP_KERNEL);
	if (!b->pages || !b->bv)
		goto nomem;
	for (i = 0; i < b->nr; i++) {
		b->pages[i] = alloc_page(GFP_KERNEL);
		if (!b->pages[i])
			goto nomem;
		b->bv[i].bv_page = b->pages[i];
		b->bv[i].bv_offset = 0;
		b->bv[i].bv_len = min_t(size_t, PAGE_SIZE, len - (size_t)i * PAGE_SIZE);
	}
	return 0;
nomem:
	tfs_buf_free(b);
	return -ENOMEM;
}

static void tfs_buf_fill(struct tfs_buf *b, loff_t pos, u64 seed)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++) {
		tfs_pattern(page_address(b->pages[i]), pos, b->bv[i].bv_len, seed);
		pos += b->bv[i].bv_len;
	}
}

static void tfs_buf_poison(struct tfs_buf *b)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		memset(page_address(b->pages[i]), TFS_POISON, b->bv[i].bv_len);
}

/*
 * Classify each chunk of a read buffer and checksum the whole.  An
 * asynchronous read reports how much it transferred (Linux 6.12's netfs
 * reads what a cache does not deliver from the server: a short transfer);
 * only that much is the cache's answer, so only that much is classified.
 * A synchronous read that returns 0 has filled the whole buffer (the 6.1
 * NFS contract), whatever the iterator says.
 */
static void tfs_verify(struct tfs_io *io)
{
	struct tfs_verify *v = &io->v;
	struct tfs_buf *b = io->buf;
	loff_t pos = io->off;
	size_t left = io->async ? min_t(size_t, io->result, io->len) : io->len;
	unsigned int i;
	size_t done, n, len;
	u32 crc = ~0U;
	u8 *p;

	memset(v, 0, sizeof(*v));
	v->bad_at = -1;
	for (i = 0; i < b->nr && left; i++) {
		p = page_address(b->pages[i]);
		len = min_t(size_t, b->bv[i].bv_len, left);
		left -= len;
		crc = crc32_le(crc, p, len);
		for (done = 0; done < len; done += n) {
			n = min_t(size_t, TFS_CHUNK, len - done);
			if (io->has_seed && tfs_is_pattern(p + done, pos, n, io->seed)) {
				v->data += n;
			} else if (!memchr_inv(p + done, 0, n)) {
				v->zero += n;
			} else {
				if (v->bad_at < 0)
					v->bad_at = pos;
				v->bad += n;
			}
			pos += n;
		}
	}
	v->crc = ~crc;

	switch (io->expect) {
	case TFS_EXPECT_DATA:
		io->verify_ok = !v->zero && !v->bad;
		break;
	case TFS_EXPECT_ZERO:
		io->verify_ok = !v->data && !v->bad;
		break;
	case TFS_EXPECT_MIXED:
		io->verify_ok = !v->bad;
		break;
	default:
		io->verify_ok = true;
		break;
	}
}

/*
 * Object lookup.  Cookies are pinned by their user count; a relinquish marks
 * the cookie dead (so lookups fail) and waits for the users to go.
 */
static struct tfs_volume *tfs_volume_find(const char *name)
{
	struct tfs_volume *tv;

	lockdep_assert_held(&tfs_lock);
	list_for_each_entry(tv, &tfs_volumes, link)
		if (!strcmp(tv->name, name))
			return tv;
	return NULL;
}

static struct tfs_cookie *tfs_cookie_find(const char *name)
{
	struct tfs_cookie *tc;

	lockdep_assert_held(&tfs_lock);
	list_for_each_entry(tc, &tfs_cookies, link)
		if (!strcmp(tc->name, name))
			return tc;
	return NULL;
}

static struct tfs_cookie *tfs_cookie_get(const char *name)
{
	struct tfs_cookie *tc;

	mutex_lock(&tfs_lock);
	tc = tfs_cookie_find(name);
	if (tc && !tc->dead)
		atomic_inc(&tc->users);
	else
		tc = NULL;
	mutex_unlock(&tfs_lock);
	return tc;
}

static void tfs_cookie_put(struct tfs_cookie *tc)
{
	if (atomic_dec_and_test(&tc->users))
		wake_up_all(&tfs_waitq);
}

static int tfs_get_cookie(struct tfs_args *a, struct tfs_cookie **tcp,
			  struct tfs_ctx *ctx)
{
	const char *name;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx);
	if (ret)
		return ret;
	*tcp = tfs_cookie_get(name);
	if (!*tcp) {
		tfs_out(ctx, " msg=no-such-cookie");
		return -ENOENT;
	}
	return 0;
}

/* Release a cookie that is unlinked and marked dead. */
static void tfs_cookie_destroy(struct tfs_cookie *tc, bool retire)
{
	wait_event(tfs_waitq, !atomic_read(&tc->users));
	while (atomic_dec_if_positive(&tc->n_use) >= 0)
		fscache_unuse_cookie(tc->cookie, NULL, NULL);
	fscache_relinquish_cookie(tc->cookie, retire);
	mutex_lock(&tfs_lock);
	tc->tvol->n_cookies--;
	mutex_unlock(&tfs_lock);
	kfree(tc);
}

static void tfs_op_put(struct tfs_op *op)
{
	if (!refcount_dec_and_test(&op->ref))
		return;
	fscache_end_operation(&op->cres);
	mutex_lock(&tfs_lock);
	op->tc->n_ops--;
	mutex_unlock(&tfs_lock);
	tfs_cookie_put(op->tc);
	kfree(op);
}

static struct tfs_op *tfs_op_get(const char *name)
{
	struct tfs_op *op;

	mutex_lock(&tfs_lock);
	list_for_each_entry(op, &tfs_ops, link) {
		if (!strcmp(op->name, name)) {
			refcount_inc(&op->ref);
			mutex_unlock(&tfs_lock);
			return op;
		}
	}
	mutex_unlock(&tfs_lock);
	return NULL;
}

static bool tfs_pending_name_busy(const char *name);

/*
 * I/O.  An I/O begins its own operation (NFS style) unless given a held one,
 * then calls prepare_write and write, or read.  With term_func NULL the call
 * is synchronous; otherwise tfs_io_term() queues tfs_io_work() to finish in
 * process context, as netfs does for was_async completions.
 */
/*
 * netfs with write streams (include/linux/netfs.h defines NR_IO_STREAMS; Linux
 * 6.12) passes prepare_write an upper bound for the length and gives
 * expand_readahead 64-bit positions.  Keyed on the header, not on the version.
 */
static int tfs_prepare_write(const struct netfs_cache_ops *ops,
			     struct netfs_cache_resources *cres,
			     loff_t *start, size_t *len, loff_t isize, bool noalloc)
{
#ifdef NR_IO_STREAMS
	return ops->prepare_write(cres, start, len, *len, isize, noalloc);
#else
	return ops->prepare_write(cres, start, len, isize, noalloc);
#endif
}

static void tfs_io_put(struct tfs_io *io)
{
	if (refcount_dec_and_test(&io->ref)) {
		tfs_buf_free(&io->own_buf);
		kfree(io);
	}
}

static void tfs_io_finish(struct tfs_io *io)
{
	struct fscache_cookie *cookie = io->tc->cookie;

	io->usecs = ktime_us_delta(ktime_get(), io->t0);
	if (cookie)
		io->inval_at_end = READ_ONCE(cookie->inval_counter);
	if (!io->write && io->result >= 0)
		tfs_verify(io);
	if (io->op) {
		tfs_op_put(io->op);
		io->op = NULL;
	} else if (io->began) {
		fscache_end_operation(&io->own_cres);
		io->began = false;
	}
	tfs_cookie_put(io->tc);
	io->tc = NULL;
	complete(&io->done);
}

static void tfs_io_work(struct work_struct *work)
{
	struct tfs_io *io = container_of(work, struct tfs_io, work);

	tfs_io_finish(io);
	tfs_io_put(io);
	if (atomic_dec_and_test(&tfs_inflight))
		wake_up_all(&tfs_waitq);
}

static void tfs_io_term(void *priv, ssize_t transferred_or_error, bool was_async)
{
	struct tfs_io *io = priv;

	if (test_and_set_bit(0, &io->termed)) {
		atomic_inc(&tfs_double_term);
		pr_err("term_func called twice (%zd, %d)\n",
		       transferred_or_error, was_async);
		return;
	}
	io->result = transferred_or_error;
	io->was_async = was_async;
	queue_work(tfs_wq, &io->work);
}

static struct tfs_io *tfs_io_alloc(struct tfs_cookie *tc)
{
	struct tfs_io *io = kzalloc(sizeof(*io), GFP_KERNEL);

	if (!io)
		return NULL;
	refcount_set(&io->ref, 1);
	INIT_LIST_HEAD(&io->link);
	INIT_WORK(&io->work, tfs_io_work);
	init_completion(&io->done);
	atomic_inc(&tc->users);
	io->tc = tc;
	io->hole = NETFS_READ_HOLE_FAIL;
	io->prep = true;
	io->noalloc = true;
	io->pstart = -1;
	return io;
}

static int tfs_io_start(struct tfs_io *io)
{
	const struct netfs_cache_ops *ops;
	int ret;

	io->t0 = ktime_get();
	if (io->op) {
		io->cres = &io->op->cres;
	} else {
		io->cres = &io->own_cres;
		io->stage = "begin";
		if (io->write)
			ret = fscache_begin_write_operation(io->cres, io->tc->cookie);
		else
			ret = fscache_begin_read_operation(io->cres, io->tc->cookie);
		if (ret < 0)
			return ret;
		io->began = true;
	}
	io->stage = "begin";
	ops = fscache_operation_valid(io->cres);
	if (!ops)
		return -ENOBUFS;

	if (io->write) {
		tfs_buf_fill(io->buf, io->off, io->seed);
		if (io->prep) {
			io->stage = "prepare_write";
			io->pstart = io->off;
			io->plen = io->len;
			ret = tfs_prepare_write(ops, io->cres, &io->pstart, &io->plen,
						io->isize, io->noalloc);
			if (ret < 0)
				return ret;
		}
	} else {
		tfs_buf_poison(io->buf);
	}

	iov_iter_bvec(&io->iter, io->write ? ITER_SOURCE : ITER_DEST,
		      io->buf->bv, io->buf->nr, io->len);
	io->stage = io->write ? "write" : "read";
	if (!io->async) {
		if (io->write)
			ret = fscache_write(io->cres, io->off, &io->iter, NULL, NULL);
		else
			ret = fscache_read(io->cres, io->off, &io->iter, io->hole,
					   NULL, NULL);
		io->rc = ret;
		io->result = ret < 0 ? ret : io->len - iov_iter_count(&io->iter);
		return 0;
	}

	refcount_inc(&io->ref);
	atomic_inc(&tfs_inflight);
	io->submitted = true;
	if (io->write)
		ret = fscache_write(io->cres, io->off, &io->iter, tfs_io_term, io);
	else
		ret = fscache_read(io->cres, io->off, &io->iter, io->hole,
				   tfs_io_term, io);
	io->rc = ret;
	return 0;
}

/* Start the I/O; unless it went asynchronous, it is finished on return. */
static void tfs_io_run(struct tfs_io *io)
{
	int ret = tfs_io_start(io);

	if (ret < 0) {
		io->rc = ret;
		io->result = ret;
	}
	if (!io->submitted)
		tfs_io_finish(io);
}

/* The status of a finished I/O: 0, -errno, or -EBADMSG on a bad read. */
static int tfs_io_status(struct tfs_io *io)
{
	if (io->result < 0)
		return io->result;
	if (!io->write && !io->verify_ok)
		return -EBADMSG;
	return 0;
}

static int tfs_io_report(struct tfs_io *io, struct tfs_ctx *ctx)
{
	struct tfs_verify *v = &io->v;
	int ret = tfs_io_status(io);

	if (io->name[0])
		tfs_out(ctx, " id=%s", io->name);
	tfs_out(ctx, " bytes=%zd rc=%d stage=%s async=%d was_async=%d",
		io->result < 0 ? 0 : io->result, io->rc, io->stage ?: "-",
		io->async, io->was_async);
	if (io->write && io->pstart >= 0)
		tfs_out(ctx, " pstart=%lld plen=%zu", io->pstart, io->plen);
	if (!io->write && io->result >= 0) {
		tfs_out(ctx, " data=%zu zero=%zu bad=%zu crc=%08x",
			v->data, v->zero, v->bad, v->crc);
		if (v->bad_at >= 0)
			tfs_out(ctx, " bad_at=%lld", v->bad_at);
		if (io->dump) {
			u8 *p = page_address(io->buf->pages[0]);
			size_t n = min_t(size_t, io->dump, io->buf->bv[0].bv_len);

			tfs_out_hex(ctx, "hex", p, n);
		}
	}
	tfs_out(ctx, " inval=%u/%u usecs=%lld", io->cres ? io->cres->inval_counter : 0,
		io->inval_at_end, io->usecs);
	return ret;
}

static int tfs_parse_hole(const char *s, enum netfs_read_from_hole *hole)
{
	if (!strcmp(s, "fail"))
		*hole = NETFS_READ_HOLE_FAIL;
	else if (!strcmp(s, "clear"))
		*hole = NETFS_READ_HOLE_CLEAR;
	else if (!strcmp(s, "ignore"))
		*hole = NETFS_READ_HOLE_IGNORE;
	else
		return -EINVAL;
	return 0;
}

static int tfs_parse_expect(const char *s, enum tfs_expect *e)
{
	if (!strcmp(s, "data"))
		*e = TFS_EXPECT_DATA;
	else if (!strcmp(s, "zero"))
		*e = TFS_EXPECT_ZERO;
	else if (!strcmp(s, "mixed"))
		*e = TFS_EXPECT_MIXED;
	else if (!strcmp(s, "none"))
		*e = TFS_EXPECT_NONE;
	else
		return -EINVAL;
	return 0;
}

/* read/write NAME off= len= [seed=] ... */
static int tfs_cmd_io(struct tfs_args *a, struct tfs_ctx *ctx, bool write)
{
	u64 off = 0, len = 0, seed = 0, dump = 0, isize = 0;
	const char *s, *opname, *id;
	struct tfs_cookie *tc;
	struct tfs_op *op = NULL;
	struct tfs_io *io;
	bool nowait;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	io = tfs_io_alloc(tc);
	tfs_cookie_put(tc);
	if (!io)
		return -ENOMEM;
	io->write = write;
	io->expect = TFS_EXPECT_NONE;

	ret = tfs_get_u64(a, "len", 1, TFS_IO_MAX, &len, ctx) ?:
	      tfs_get_u64(a, "off", 0, MAX_LFS_FILESIZE - TFS_IO_MAX, &off, ctx);
	if (ret)
		goto out;
	if (!len) {
		tfs_out(ctx, " msg=missing-len");
		ret = -EINVAL;
		goto out;
	}
	io->off = off;
	io->len = len;
	s = tfs_kv(a, "seed");
	if (s) {
		if (tfs_parse_u64(s, &seed)) {
			tfs_out(ctx, " msg=bad-seed");
			ret = -EINVAL;
			goto out;
		}
		io->seed = seed;
		io->has_seed = true;
		io->expect = TFS_EXPECT_DATA;
	} else if (write) {
		tfs_out(ctx, " msg=missing-seed");
		ret = -EINVAL;
		goto out;
	}

	if (write) {
		isize = max_t(u64, READ_ONCE(tc->i_size), off + len);
		ret = tfs_get_bool(a, "prep", &io->prep, ctx) ?:
		      tfs_get_bool(a, "noalloc", &io->noalloc, ctx) ?:
		      tfs_get_u64(a, "isize", 0, MAX_LFS_FILESIZE, &isize, ctx);
		if (ret)
			goto out;
		io->isize = isize;
	} else {
		s = tfs_kv(a, "hole");
		if (s && tfs_parse_hole(s, &io->hole)) {
			tfs_out(ctx, " msg=bad-hole");
			ret = -EINVAL;
			goto out;
		}
		s = tfs_kv(a, "expect");
		if (s && tfs_parse_expect(s, &io->expect)) {
			tfs_out(ctx, " msg=bad-expect");
			ret = -EINVAL;
			goto out;
		}
		if (io->expect != TFS_EXPECT_NONE && io->expect != TFS_EXPECT_ZERO &&
		    !io->has_seed) {
			tfs_out(ctx, " msg=expect-needs-seed");
			ret = -EINVAL;
			goto out;
		}
		ret = tfs_get_u64(a, "dump", 0, TFS_DUMP_MAX, &dump, ctx);
		if (ret)
			goto out;
		io->dump = dump;
	}

	nowait = tfs_flag(a, 2, "nowait");
	io->async = tfs_flag(a, 2, "async") || nowait;
	id = tfs_kv(a, "id");
	opname = tfs_kv(a, "op");
	ret = tfs_args_check(a, ctx);
	if (ret)
		goto out;
	if (id && (!nowait || !tfs_name_ok(id))) {
		tfs_out(ctx, " msg=bad-id");
		ret = -EINVAL;
		goto out;
	}
	if (opname) {
		op = tfs_op_get(opname);
		if (!op) {
			tfs_out(ctx, " msg=no-such-op");
			ret = -ENOENT;
			goto out;
		}
		if (op->tc != io->tc) {
			tfs_op_put(op);
			tfs_out(ctx, " msg=op-is-for-another-cookie");
			ret = -EINVAL;
			goto out;
		}
		io->op = op;
	}

	ret = tfs_buf_alloc(&io->own_buf, len);
	if (ret)
		goto out;
	io->buf = &io->own_buf;

	if (nowait) {
		/* Name it now so that "wait" can find it. */
		mutex_lock(&tfs_lock);
		if (id) {
			if (tfs_pending_name_busy(id)) {
				mutex_unlock(&tfs_lock);
				tfs_out(ctx, " msg=id-in-use");
				ret = -EEXIST;
				goto out;
			}
			strscpy(io->name, id, sizeof(io->name));
		} else {
			snprintf(io->name, sizeof(io->name), "io%lld",
				 atomic64_inc_return(&tfs_seq));
		}
		refcount_inc(&io->ref);
		list_add_tail(&io->link, &tfs_ios);
		mutex_unlock(&tfs_lock);
	}

	tfs_io_run(io);

	if (nowait) {
		tfs_out(ctx, " queued id=%s rc=%d", io->name, io->rc);
		ret = 0;
		goto out;
	}
	if (io->submitted && wait_for_completion_killable(&io->done)) {
		tfs_out(ctx, " msg=interrupted");
		ret = -EINTR;	/* the I/O finishes and frees itself */
		goto out;
	}
	ret = tfs_io_report(io, ctx);
out:
	if (!io->cres && io->op) {
		/* Never started: drop what the parse took. */
		tfs_op_put(io->op);
		io->op = NULL;
	}
	if (!io->cres) {
		tfs_cookie_put(io->tc);
		io->tc = NULL;
	}
	tfs_io_put(io);
	return ret;
}

static int tfs_cmd_write(struct tfs_args *a, struct tfs_ctx *ctx)
{
	return tfs_cmd_io(a, ctx, true);
}

static int tfs_cmd_read(struct tfs_args *a, struct tfs_ctx *ctx)
{
	return tfs_cmd_io(a, ctx, false);
}

/*
 * Volumes.
 */
static int tfs_cmd_vol_acquire(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct fscache_volume *vol;
	struct tfs_volume *tv;
	const char *name, *cache;
	bool key_set, coh_set;
	size_t klen, clen;
	u8 *key = NULL, *coh = NULL;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx);
	if (ret)
		return ret;
	key = kzalloc(TFS_BLOB_MAX + 1, GFP_KERNEL);
	coh = kzalloc(TFS_BLOB_MAX, GFP_KERNEL);
	tv = kzalloc(sizeof(*tv), GFP_KERNEL);
	ret = -ENOMEM;
	if (!key || !coh || !tv)
		goto out;
	ret = tfs_get_blob(a, "key", key, &klen, &key_set, ctx) ?:
	      tfs_get_blob(a, "coh", coh, &clen, &coh_set, ctx);
	if (ret)
		goto out;
	cache = tfs_kv(a, "cache");
	ret = tfs_args_check(a, ctx);
	if (ret)
		goto out;
	ret = -EINVAL;
	if (!key_set) {
		tfs_out(ctx, " msg=missing-key");
		goto out;
	}
	if (memchr(key, 0, klen)) {
		tfs_out(ctx, " msg=nul-in-key");
		goto out;
	}
	if (clen > 255) {
		tfs_out(ctx, " msg=coh-too-long");
		goto out;
	}
	if (cache && !*cache) {
		tfs_out(ctx, " msg=bad-cache");
		goto out;
	}

	mutex_lock(&tfs_lock);
	if (tfs_volume_find(name)) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=name-in-use");
		ret = -EEXIST;
		goto out;
	}
	strscpy(tv->name, name, sizeof(tv->name));
	list_add_tail(&tv->link, &tfs_volumes);
	tv->n_cookies = 1;	/* Pin while acquiring (it may wait). */
	mutex_unlock(&tfs_lock);

	vol = fscache_acquire_volume(key, cache, coh_set ? coh : NULL, clen);

	mutex_lock(&tfs_lock);
	if (IS_ERR(vol)) {
		list_del(&tv->link);
		mutex_unlock(&tfs_lock);
		ret = PTR_ERR(vol);
		goto out;
	}
	tv->vol = vol;
	tv->n_cookies--;
	mutex_unlock(&tfs_lock);
	tv = NULL;
	if (vol)
		tfs_out(ctx, " null=0 debug_id=%x", vol->debug_id);
	else
		tfs_out(ctx, " null=1");
	ret = 0;
out:
	kfree(tv);
	kfree(coh);
	kfree(key);
	return ret;
}

static int tfs_cmd_vol_relinquish(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_volume *tv;
	const char *name;
	bool inval, coh_set;
	size_t clen;
	u8 *coh;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx);
	if (ret)
		return ret;
	coh = kzalloc(TFS_BLOB_MAX, GFP_KERNEL);
	if (!coh)
		return -ENOMEM;
	ret = tfs_get_blob(a, "coh", coh, &clen, &coh_set, ctx);
	if (ret)
		goto out;
	inval = tfs_flag(a, 2, "invalidate");
	ret = tfs_args_check(a, ctx);
	if (ret)
		goto out;

	mutex_lock(&tfs_lock);
	tv = tfs_volume_find(name);
	ret = -ENOENT;
	if (!tv) {
		tfs_out(ctx, " msg=no-such-volume");
		goto unlock;
	}
	ret = -EBUSY;
	if (tv->n_cookies) {
		tfs_out(ctx, " msg=cookies-remain:%u", tv->n_cookies);
		goto unlock;
	}
	ret = -EINVAL;
	if (coh_set && (!tv->vol || clen != tv->vol->coherency_len)) {
		tfs_out(ctx, " msg=coh-length-differs");
		goto unlock;
	}
	list_del(&tv->link);
	mutex_unlock(&tfs_lock);

	fscache_relinquish_volume(tv->vol, coh_set ? coh : NULL, inval);
	kfree(tv);
	ret = 0;
	goto out;
unlock:
	mutex_unlock(&tfs_lock);
out:
	kfree(coh);
	return ret;
}

static int tfs_cmd_vol_state(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct fscache_volume *vol;
	struct fscache_cache *cache;
	struct tfs_volume *tv;
	const char *name;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx) ?: tfs_args_check(a, ctx);
	if (ret)
		return ret;
	mutex_lock(&tfs_lock);
	tv = tfs_volume_find(name);
	if (!tv) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=no-such-volume");
		return -ENOENT;
	}
	vol = tv->vol;
	tfs_out(ctx, " ours=%u", tv->n_cookies);
	if (!vol) {
		tfs_out(ctx, " null=1");
	} else {
		tfs_out(ctx, " null=0 debug_id=%x ref=%u n_cookies=%d n_accesses=%d",
			vol->debug_id, refcount_read(&vol->ref),
			atomic_read(&vol->n_cookies), atomic_read(&vol->n_accesses));
		tfs_out_bits(ctx, "flags", READ_ONCE(vol->flags), tfs_volume_flags,
			     ARRAY_SIZE(tfs_volume_flags));
		tfs_out(ctx, " cache_priv=%d", !!READ_ONCE(vol->cache_priv));
		cache = vol->cache;
		if (cache) {
			unsigned int st = READ_ONCE(cache->state);

			tfs_out(ctx, " cache=%s cache_state=%s",
				cache->name ?: "-",
				st < NR__FSCACHE_CACHE_STATE ? tfs_cache_states[st] : "?");
		}
	}
	mutex_unlock(&tfs_lock);
	return 0;
}

/*
 * Cookies.
 */
static int tfs_parse_advice(const char *s, u8 *adv)
{
	char tmp[64], *p, *w;
	u64 v;

	if (!tfs_parse_u64(s, &v)) {
		if (v > 255)
			return -EINVAL;
		*adv = v;
		return 0;
	}
	if (strscpy(tmp, s, sizeof(tmp)) < 0)
		return -EINVAL;
	*adv = 0;
	p = tmp;
	while ((w = strsep(&p, ",")) != NULL) {
		if (!strcmp(w, "single"))
			*adv |= FSCACHE_ADV_SINGLE_CHUNK;
		else if (!strcmp(w, "nocache"))
			*adv |= FSCACHE_ADV_WRITE_NOCACHE;
		else if (!strcmp(w, "wantsize"))
			*adv |= FSCACHE_ADV_WANT_CACHE_SIZE;
		else
			return -EINVAL;
	}
	return 0;
}

static int tfs_cmd_cookie_acquire(struct tfs_args *a, struct tfs_ctx *ctx)
{
	const char *name, *vname, *s;
	struct fscache_cookie *cookie;
	struct tfs_volume *tv;
	struct tfs_cookie *tc;
	bool key_set, aux_set;
	size_t klen, alen;
	u64 size = 0;
	u8 *key, *aux, adv = 0;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx);
	if (ret)
		return ret;
	key = kzalloc(TFS_BLOB_MAX, GFP_KERNEL);
	aux = kzalloc(TFS_BLOB_MAX, GFP_KERNEL);
	tc = kzalloc(sizeof(*tc), GFP_KERNEL);
	ret = -ENOMEM;
	if (!key || !aux || !tc)
		goto out;
	ret = tfs_get_blob(a, "key", key, &klen, &key_set, ctx) ?:
	      tfs_get_blob(a, "aux", aux, &alen, &aux_set, ctx) ?:
	      tfs_get_u64(a, "size", 0, MAX_LFS_FILESIZE, &size, ctx);
	if (ret)
		goto out;
	s = tfs_kv(a, "adv");
	if (s && tfs_parse_advice(s, &adv)) {
		tfs_out(ctx, " msg=bad-adv");
		ret = -EINVAL;
		goto out;
	}
	vname = tfs_kv(a, "vol");
	ret = tfs_args_check(a, ctx);
	if (ret)
		goto out;
	ret = -EINVAL;
	if (!vname || !key_set) {
		tfs_out(ctx, " msg=need-vol-and-key");
		goto out;
	}

	mutex_lock(&tfs_lock);
	tv = tfs_volume_find(vname);
	if (!tv) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=no-such-volume");
		ret = -ENOENT;
		goto out;
	}
	if (tfs_cookie_find(name)) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=name-in-use");
		ret = -EEXIST;
		goto out;
	}
	tv->n_cookies++;	/* Pins the volume. */
	mutex_unlock(&tfs_lock);

	/* This may wait for a relinquished cookie with the same key. */
	cookie = fscache_acquire_cookie(tv->vol, adv, key, klen,
					aux_set ? aux : NULL, alen, size);

	strscpy(tc->name, name, sizeof(tc->name));
	tc->tvol = tv;
	tc->cookie = cookie;
	tc->i_size = size;
	mutex_lock(&tfs_lock);
	if (tfs_cookie_find(name)) {
		tv->n_cookies--;
		mutex_unlock(&tfs_lock);
		fscache_relinquish_cookie(cookie, false);
		tfs_out(ctx, " msg=name-in-use");
		ret = -EEXIST;
		goto out;
	}
	list_add_tail(&tc->link, &tfs_cookies);
	mutex_unlock(&tfs_lock);
	tc = NULL;
	if (cookie)
		tfs_out(ctx, " null=0 debug_id=%x", cookie->debug_id);
	else
		tfs_out(ctx, " null=1");
	ret = 0;
out:
	kfree(tc);
	kfree(aux);
	kfree(key);
	return ret;
}

static int tfs_cmd_use(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_cookie *tc;
	bool w;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	w = tfs_flag(a, 2, "w");
	ret = tfs_args_check(a, ctx);
	if (!ret) {
		fscache_use_cookie(tc->cookie, w);
		tfs_out(ctx, " uses=%d", atomic_inc_return(&tc->n_use));
	}
	tfs_cookie_put(tc);
	return ret;
}

/* aux= and size= for unuse, update and invalidate. */
static int tfs_get_aux_size(struct tfs_args *a, struct tfs_cookie *tc, u8 *aux,
			    bool *aux_set, loff_t *size, bool *size_set,
			    struct tfs_ctx *ctx)
{
	const char *s;
	size_t alen;
	u64 v = 0;
	int ret;

	ret = tfs_get_blob(a, "aux", aux, &alen, aux_set, ctx);
	if (ret)
		return ret;
	if (*aux_set && (!tc->cookie || alen != tc->cookie->aux_len)) {
		tfs_out(ctx, " msg=aux-length-must-be:%u",
			tc->cookie ? tc->cookie->aux_len : 0);
		return -EINVAL;
	}
	s = tfs_kv(a, "size");
	*size_set = s;
	if (!s)
		return 0;
	if (tfs_parse_u64(s, &v) || v > MAX_LFS_FILESIZE) {
		tfs_out(ctx, " msg=bad-size");
		return -EINVAL;
	}
	*size = v;
	return 0;
}

static int tfs_cmd_unuse(struct tfs_args *a, struct tfs_ctx *ctx)
{
	bool aux_set, size_set;
	struct tfs_cookie *tc;
	loff_t size = 0;
	u8 *aux;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	aux = kzalloc(TFS_BLOB_MAX, GFP_KERNEL);
	ret = -ENOMEM;
	if (!aux)
		goto out;
	ret = tfs_get_aux_size(a, tc, aux, &aux_set, &size, &size_set, ctx) ?:
	      tfs_args_check(a, ctx);
	if (ret)
		goto out;
	if (atomic_dec_if_positive(&tc->n_use) < 0) {
		tfs_out(ctx, " msg=not-in-use");
		ret = -EINVAL;
		goto out;
	}
	if (size_set)
		WRITE_ONCE(tc->i_size, size);
	fscache_unuse_cookie(tc->cookie, aux_set ? aux : NULL,
			     size_set ? &size : NULL);
	tfs_out(ctx, " uses=%d", atomic_read(&tc->n_use));
out:
	kfree(aux);
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_cmd_update(struct tfs_args *a, struct tfs_ctx *ctx)
{
	bool aux_set, size_set;
	struct tfs_cookie *tc;
	loff_t size = 0;
	u8 *aux;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	aux = kzalloc(TFS_BLOB_MAX, GFP_KERNEL);
	ret = -ENOMEM;
	if (!aux)
		goto out;
	ret = tfs_get_aux_size(a, tc, aux, &aux_set, &size, &size_set, ctx) ?:
	      tfs_args_check(a, ctx);
	if (ret)
		goto out;
	if (size_set)
		WRITE_ONCE(tc->i_size, size);
	fscache_update_cookie(tc->cookie, aux_set ? aux : NULL,
			      size_set ? &size : NULL);
out:
	kfree(aux);
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_cmd_invalidate(struct tfs_args *a, struct tfs_ctx *ctx)
{
	bool aux_set, size_set, dio;
	struct tfs_cookie *tc;
	loff_t size = 0;
	u8 *aux;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	aux = kzalloc(TFS_BLOB_MAX, GFP_KERNEL);
	ret = -ENOMEM;
	if (!aux)
		goto out;
	ret = tfs_get_aux_size(a, tc, aux, &aux_set, &size, &size_set, ctx);
	if (ret)
		goto out;
	dio = tfs_flag(a, 2, "dio");
	ret = tfs_args_check(a, ctx);
	if (ret)
		goto out;
	if (!size_set)
		size = READ_ONCE(tc->i_size);
	WRITE_ONCE(tc->i_size, size);
	fscache_invalidate(tc->cookie, aux_set ? aux : NULL, size,
			   dio ? FSCACHE_INVAL_DIO_WRITE : 0);
	if (tc->cookie)
		tfs_out(ctx, " inval_counter=%u", READ_ONCE(tc->cookie->inval_counter));
out:
	kfree(aux);
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_cmd_resize(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_cookie *tc;
	const char *s;
	u64 size;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	s = tfs_word(a, 2);
	if (!s)
		s = tfs_kv(a, "size");
	ret = tfs_args_check(a, ctx);
	if (ret)
		goto out;
	ret = -EINVAL;
	if (!s || tfs_parse_u64(s, &size) || size > MAX_LFS_FILESIZE) {
		tfs_out(ctx, " msg=bad-size");
		goto out;
	}
	WRITE_ONCE(tc->i_size, size);
	fscache_resize_cookie(tc->cookie, size);
	ret = 0;
out:
	tfs_cookie_put(tc);
	return ret;
}

/*
 * page_release NAME: what a netfs does when a page it copied to the cache is
 * released (fscache_note_page_release(): HAVE_DATA clears NO_DATA_TO_READ).
 */
static int tfs_cmd_page_release(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_cookie *tc;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	ret = tfs_args_check(a, ctx);
	if (!ret)
		fscache_note_page_release(tc->cookie);
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_cmd_relinquish(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_cookie *tc;
	const char *name;
	bool retire;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx);
	if (ret)
		return ret;
	retire = tfs_flag(a, 2, "retire");
	ret = tfs_args_check(a, ctx);
	if (ret)
		return ret;
	mutex_lock(&tfs_lock);
	tc = tfs_cookie_find(name);
	if (!tc || tc->dead) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=no-such-cookie");
		return -ENOENT;
	}
	if (tc->n_ops) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=ops-held:%u", tc->n_ops);
		return -EBUSY;
	}
	tc->dead = true;
	list_del(&tc->link);
	mutex_unlock(&tfs_lock);
	tfs_out(ctx, " unused=%d", max(atomic_read(&tc->n_use), 0));
	tfs_cookie_destroy(tc, retire);
	return 0;
}

static unsigned int tfs_cookie_state(struct fscache_cookie *cookie)
{
	/* As fscache_cookie_state(): pairs with fscache_set_cookie_state(). */
	return smp_load_acquire(&cookie->state);
}

static void tfs_out_cookie_state(struct tfs_ctx *ctx, struct tfs_cookie *tc)
{
	struct fscache_cookie *cookie = tc->cookie;
	unsigned int st;

	if (!cookie) {
		tfs_out(ctx, " state=NULL uses=%d", atomic_read(&tc->n_use));
		return;
	}
	st = tfs_cookie_state(cookie);
	tfs_out(ctx, " state=%s",
		st < FSCACHE_COOKIE_STATE__NR ? tfs_cookie_states[st] : "?");
	tfs_out_bits(ctx, "flags", READ_ONCE(cookie->flags), tfs_cookie_flags,
		     ARRAY_SIZE(tfs_cookie_flags));
	tfs_out(ctx, " n_active=%d n_accesses=%d ref=%u inval_counter=%u",
		atomic_read(&cookie->n_active), atomic_read(&cookie->n_accesses),
		refcount_read(&cookie->ref), READ_ONCE(cookie->inval_counter));
	tfs_out(ctx, " object_size=%lld isize=%lld uses=%d ops=%u",
		READ_ONCE(cookie->object_size), READ_ONCE(tc->i_size),
		atomic_read(&tc->n_use), tc->n_ops);
	tfs_out(ctx, " debug_id=%x key_len=%u aux_len=%u cache_priv=%d",
		cookie->debug_id, cookie->key_len, cookie->aux_len,
		!!READ_ONCE(cookie->cache_priv));
	tfs_out_hex(ctx, "aux", fscache_get_aux(cookie), cookie->aux_len);
}

static int tfs_cmd_state(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_cookie *tc;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	ret = tfs_args_check(a, ctx);
	if (!ret)
		tfs_out_cookie_state(ctx, tc);
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_parse_states(const char *s, unsigned long *mask)
{
	char tmp[128], *p, *w;
	unsigned int i;

	if (strscpy(tmp, s, sizeof(tmp)) < 0)
		return -EINVAL;
	*mask = 0;
	p = tmp;
	while ((w = strsep(&p, ",|")) != NULL) {
		for (i = 0; i < FSCACHE_COOKIE_STATE__NR; i++)
			if (!strcasecmp(w, tfs_cookie_states[i]))
				break;
		if (i == FSCACHE_COOKIE_STATE__NR)
			return -EINVAL;
		*mask |= BIT(i);
	}
	return 0;
}

#define TFS_TRANSIENT_STATES (BIT(FSCACHE_COOKIE_STATE_LOOKING_UP) |	\
			      BIT(FSCACHE_COOKIE_STATE_CREATING) |	\
			      BIT(FSCACHE_COOKIE_STATE_INVALIDATING) |	\
			      BIT(FSCACHE_COOKIE_STATE_LRU_DISCARDING) |	\
			      BIT(FSCACHE_COOKIE_STATE_WITHDRAWING))

/*
 * wait_state NAME STATE[,STATE...] [timeout=ms]: wait until the cookie is in
 * one of the states.  settle NAME [timeout=ms]: wait until it is in none of
 * the transient ones.
 */
static int tfs_wait_cookie(struct tfs_args *a, struct tfs_ctx *ctx, bool settle)
{
	struct fscache_cookie *cookie;
	unsigned long mask = 0, tmo, end;
	struct tfs_cookie *tc;
	const char *s;
	ktime_t t0 = ktime_get();
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	if (!settle) {
		s = tfs_word(a, 2);
		if (!s || tfs_parse_states(s, &mask)) {
			tfs_out(ctx, " msg=bad-state");
			ret = -EINVAL;
			goto out;
		}
	}
	ret = tfs_get_timeout(a, &tmo, ctx) ?: tfs_args_check(a, ctx);
	if (ret)
		goto out;
	cookie = tc->cookie;
	if (!cookie) {
		tfs_out(ctx, " msg=null-cookie");
		ret = -EINVAL;
		goto out;
	}
	if (settle)
		mask = ~TFS_TRANSIENT_STATES;

	end = jiffies + tmo;
	ret = -ETIMEDOUT;
	for (;;) {
		if (BIT(tfs_cookie_state(cookie)) & mask) {
			ret = 0;
			break;
		}
		if (time_after_eq(jiffies, end))
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		wait_var_event_timeout(&cookie->state,
				       BIT(tfs_cookie_state(cookie)) & mask,
				       min_t(unsigned long, end - jiffies, HZ / 10));
	}
	tfs_out(ctx, " waited_ms=%lld", ktime_ms_delta(ktime_get(), t0));
	tfs_out_cookie_state(ctx, tc);
out:
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_cmd_wait_state(struct tfs_args *a, struct tfs_ctx *ctx)
{
	return tfs_wait_cookie(a, ctx, false);
}

static int tfs_cmd_settle(struct tfs_args *a, struct tfs_ctx *ctx)
{
	return tfs_wait_cookie(a, ctx, true);
}

/*
 * Held operations: op_begin OP COOKIE read|write, op_end OP.
 */
static int tfs_cmd_op_begin(struct tfs_args *a, struct tfs_ctx *ctx)
{
	const char *name, *cname, *kind;
	struct tfs_cookie *tc;
	struct tfs_op *op, *p;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx) ?: tfs_get_name(a, 2, &cname, ctx);
	if (ret)
		return ret;
	kind = tfs_word(a, 3);
	ret = tfs_args_check(a, ctx);
	if (ret)
		return ret;
	if (!kind || (strcmp(kind, "read") && strcmp(kind, "write"))) {
		tfs_out(ctx, " msg=need-read-or-write");
		return -EINVAL;
	}
	tc = tfs_cookie_get(cname);
	if (!tc) {
		tfs_out(ctx, " msg=no-such-cookie");
		return -ENOENT;
	}
	op = kzalloc(sizeof(*op), GFP_KERNEL);
	if (!op) {
		tfs_cookie_put(tc);
		return -ENOMEM;
	}
	strscpy(op->name, name, sizeof(op->name));
	refcount_set(&op->ref, 1);
	op->tc = tc;
	op->write = kind[0] == 'w';

	mutex_lock(&tfs_lock);
	list_for_each_entry(p, &tfs_ops, link) {
		if (!strcmp(p->name, name)) {
			mutex_unlock(&tfs_lock);
			tfs_out(ctx, " msg=name-in-use");
			ret = -EEXIST;
			goto fail;
		}
	}
	tc->n_ops++;	/* Blocks relinquish; reserves the name below. */
	mutex_unlock(&tfs_lock);

	if (op->write)
		ret = fscache_begin_write_operation(&op->cres, tc->cookie);
	else
		ret = fscache_begin_read_operation(&op->cres, tc->cookie);

	mutex_lock(&tfs_lock);
	if (!ret) {
		list_for_each_entry(p, &tfs_ops, link)
			if (!strcmp(p->name, name))
				ret = -EEXIST;
	}
	if (ret) {
		tc->n_ops--;
		mutex_unlock(&tfs_lock);
		if (ret == -EEXIST) {
			fscache_end_operation(&op->cres);
			tfs_out(ctx, " msg=name-in-use");
		}
		goto fail;
	}
	list_add_tail(&op->link, &tfs_ops);
	mutex_unlock(&tfs_lock);
	tfs_out(ctx, " inval_counter=%u ops_valid=%d", op->cres.inval_counter,
		!!fscache_operation_valid(&op->cres));
	return 0;
fail:
	kfree(op);
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_cmd_op_end(struct tfs_args *a, struct tfs_ctx *ctx)
{
	const char *name;
	struct tfs_op *op;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx) ?: tfs_args_check(a, ctx);
	if (ret)
		return ret;
	mutex_lock(&tfs_lock);
	list_for_each_entry(op, &tfs_ops, link) {
		if (!strcmp(op->name, name)) {
			list_del(&op->link);
			mutex_unlock(&tfs_lock);
			tfs_op_put(op);
			return 0;
		}
	}
	mutex_unlock(&tfs_lock);
	tfs_out(ctx, " msg=no-such-op");
	return -ENOENT;
}

/*
 * occupancy / prepare_read / expand: the other netfs_cache_ops, each in a
 * read operation of its own.
 */
static int tfs_cmd_query(struct tfs_args *a, struct tfs_ctx *ctx, int which)
{
	struct netfs_io_subrequest *subreq = NULL;
	struct netfs_io_request *rreq = NULL;
	const struct netfs_cache_ops *ops;
	struct netfs_cache_resources *cres;
	struct tfs_cookie *tc;
	u64 off = 0, len = 0, gran = 1, isize;
	int ret;

	ret = tfs_get_cookie(a, &tc, ctx);
	if (ret)
		return ret;
	isize = READ_ONCE(tc->i_size);
	ret = tfs_get_u64(a, "off", 0, MAX_LFS_FILESIZE, &off, ctx) ?:
	      tfs_get_u64(a, "len", 1, MAX_LFS_FILESIZE - off, &len, ctx) ?:
	      tfs_get_u64(a, "isize", 0, MAX_LFS_FILESIZE, &isize, ctx);
	if (!ret && which == 0)
		ret = tfs_get_u64(a, "gran", 1, SZ_1G, &gran, ctx);
	if (!ret)
		ret = tfs_args_check(a, ctx);
	if (ret)
		goto out_put;
	if (!len || len > SIZE_MAX / 2) {
		tfs_out(ctx, " msg=bad-len");
		ret = -EINVAL;
		goto out_put;
	}

	rreq = kzalloc(sizeof(*rreq), GFP_KERNEL);
	subreq = kzalloc(sizeof(*subreq), GFP_KERNEL);
	ret = -ENOMEM;
	if (!rreq || !subreq)
		goto out;
	cres = &rreq->cache_resources;
	ret = fscache_begin_read_operation(cres, tc->cookie);
	if (ret < 0) {
		tfs_out(ctx, " stage=begin");
		goto out;
	}
	ops = fscache_operation_valid(cres);
	ret = -ENOBUFS;
	if (!ops)
		goto out_end;

	switch (which) {
	case 0: {
		loff_t dstart = -1;
		size_t dlen = 0;

		ret = -EOPNOTSUPP;
		if (ops->query_occupancy)
			ret = ops->query_occupancy(cres, off, len, gran, &dstart, &dlen);
		tfs_out(ctx, " start=%lld len=%zu", dstart, dlen);
		break;
	}
	case 1: {
		enum netfs_io_source src;

		ret = -EOPNOTSUPP;
		if (!ops->prepare_read)
			break;
		/* A minimal netfs request, as netfs_rreq_submit_slice() makes. */
		INIT_LIST_HEAD(&rreq->subrequests);
		rreq->inode = tfs_dummy_inode;
		rreq->debug_id = atomic64_inc_return(&tfs_seq);
		rreq->start = off;
		rreq->len = len;
		rreq->i_size = isize;
		refcount_set(&rreq->ref, 1);
		INIT_LIST_HEAD(&subreq->rreq_link);
		refcount_set(&subreq->ref, 1);
		subreq->rreq = rreq;
		subreq->start = off;
		subreq->len = len;
		src = ops->prepare_read(subreq, isize);
		tfs_out(ctx, " source=%s start=%lld len=%zu copy_to_cache=%d",
			src < ARRAY_SIZE(tfs_sources) && tfs_sources[src] ?
			tfs_sources[src] : "?",
			subreq->start, subreq->len,
			test_bit(NETFS_SREQ_COPY_TO_CACHE, &subreq->flags));
		ret = 0;
		break;
	}
	default: {
#ifdef NR_IO_STREAMS
		unsigned long long start = off, l = len;
#else
		loff_t start = off;
		size_t l = len;
#endif

		if (ops->expand_readahead)
			ops->expand_readahead(cres, &start, &l, isize);
		tfs_out(ctx, " supported=%d start=%lld len=%llu",
			!!ops->expand_readahead, (long long)start,
			(unsigned long long)l);
		ret = 0;
		break;
	}
	}
out_end:
	fscache_end_operation(cres);
out:
	kfree(subreq);
	kfree(rreq);
out_put:
	tfs_cookie_put(tc);
	return ret;
}

static int tfs_cmd_occupancy(struct tfs_args *a, struct tfs_ctx *ctx)
{
	return tfs_cmd_query(a, ctx, 0);
}

static int tfs_cmd_prepare_read(struct tfs_args *a, struct tfs_ctx *ctx)
{
	return tfs_cmd_query(a, ctx, 1);
}

static int tfs_cmd_expand(struct tfs_args *a, struct tfs_ctx *ctx)
{
	return tfs_cmd_query(a, ctx, 2);
}

/*
 * Stress jobs.
 */
static bool tfs_job_stopped(struct tfs_job *job)
{
	return READ_ONCE(job->stop) ||
	       (job->deadline && time_after(jiffies, job->deadline));
}

static void tfs_job_note_fail(struct tfs_job *job, unsigned int ci,
			      unsigned int iter, const char *what, int err)
{
	atomic64_inc(&job->fail);
	spin_lock(&job->lock);
	if (!job->first_fail[0])
		snprintf(job->first_fail, sizeof(job->first_fail),
			 "c%u:i%u:%s:%d", ci, iter, what, err);
	spin_unlock(&job->lock);
}

/* One write or read+verify for a stress thread; returns 0 or -errno. */
static int tfs_stress_io(struct tfs_job *job, struct tfs_cookie *tc, bool write,
			 loff_t off, u64 seed, struct tfs_buf *buf)
{
	struct tfs_io *io = tfs_io_alloc(tc);
	int ret;

	if (!io)
		return -ENOMEM;
	io->write = write;
	io->async = job->async;
	io->off = off;
	io->len = job->len;
	io->seed = seed;
	io->has_seed = true;
	io->expect = TFS_EXPECT_DATA;
	io->isize = (loff_t)job->len * job->span;
	io->buf = buf;
	tfs_io_run(io);
	if (io->submitted)
		wait_for_completion(&io->done);
	ret = tfs_io_status(io);
	/* short (6.12): what it transferred verified, the rest is a miss */
	if (!ret && !write && io->async && io->result < io->len)
		ret = -ENODATA;
	tfs_io_put(io);
	return ret;
}

static void tfs_stress_one(struct tfs_job *job, unsigned int ci,
			   unsigned int iter, struct tfs_buf *buf)
{
	struct tfs_cookie *tc = job->cookies[ci];
	struct fscache_cookie *cookie = tc ? tc->cookie : NULL;
	loff_t off = (loff_t)(iter % job->span) * job->len;
	loff_t size = (loff_t)job->len * job->span;
	u64 seed = tfs_mix(job->seed, ((u64)ci << 32) | iter);
	unsigned int inval0;
	const char *what = "write";
	int ret;

	if (!cookie)
		return;
	if (job->churn) {
		fscache_use_cookie(cookie, true);
		atomic_inc(&tc->n_use);
	}
	inval0 = READ_ONCE(cookie->inval_counter);
	ret = tfs_stress_io(job, tc, true, off, seed, buf);
	if (ret >= 0) {
		what = "read";
		ret = tfs_stress_io(job, tc, false, off, seed, buf);
	}
	if (ret >= 0) {
		atomic64_inc(&job->pass);
	} else if (ret == -ENOBUFS) {
		/* No cache: a netfs would go to the server; don't spin. */
		atomic64_inc(&job->nobufs);
		usleep_range(500, 1000);
	} else if ((ret == -ENODATA || ret == -ESTALE) &&
		   READ_ONCE(cookie->inval_counter) != inval0) {
		atomic64_inc(&job->miss);
	} else if (ret == -ENODATA && job->miss_ok) {
		/* the cache dropped what was written: a miss, never wrong */
		atomic64_inc(&job->rmiss);
	} else {
		tfs_job_note_fail(job, ci, iter, what, ret);
	}
	if (job->churn) {
		atomic_dec(&tc->n_use);
		fscache_unuse_cookie(cookie, NULL, &size);
	}
}

static int tfs_stress_worker(void *data)
{
	struct tfs_worker *w = data;
	struct tfs_job *job = w->job;
	unsigned int iter, ci;
	struct tfs_buf buf;

	if (tfs_buf_alloc(&buf, job->len)) {
		tfs_job_note_fail(job, w->idx, 0, "enomem", -ENOMEM);
		goto out;
	}
	for (iter = 0; iter < job->ops && !tfs_job_stopped(job); iter++) {
		for (ci = w->idx; ci < job->nr_cookies; ci += job->nr_threads) {
			if (tfs_job_stopped(job))
				break;
			tfs_stress_one(job, ci, iter, &buf);
			cond_resched();
		}
	}
	tfs_buf_free(&buf);
out:
	atomic_dec(&job->active);
	kthread_complete_and_exit(&w->done, 0);
}

static int tfs_stress_invalidator(void *data)
{
	struct tfs_worker *w = data;
	struct tfs_job *job = w->job;
	loff_t size = (loff_t)job->len * job->span;
	struct fscache_cookie *cookie;
	struct tfs_cookie *tc;

	while (atomic_read(&job->active) > 0 && !tfs_job_stopped(job)) {
		msleep(job->inval_ms);
		tc = job->cookies[get_random_u32_below(job->nr_cookies)];
		cookie = tc ? tc->cookie : NULL;
		if (cookie) {
			fscache_invalidate(cookie, NULL, size, 0);
			atomic64_inc(&job->invals);
		}
	}
	kthread_complete_and_exit(&w->done, 0);
}

/* Wait for all the threads; 0, -ETIMEDOUT or -EINTR. */
static int tfs_job_wait(struct tfs_job *job, unsigned long tmo, bool killable)
{
	unsigned int i;
	long left = tmo;

	for (i = 0; i < job->nr_workers; i++) {
		if (!killable) {
			wait_for_completion(&job->workers[i].done);
			continue;
		}
		left = wait_for_completion_killable_timeout(&job->workers[i].done,
							    max(left, 1L));
		if (left < 0)
			return -EINTR;
		if (!left)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Release a job whose threads have all finished (or never started). */
static void tfs_job_free(struct tfs_job *job)
{
	struct tfs_cookie *tc;
	unsigned int i;

	for (i = 0; job->cookies && i < job->nr_cookies; i++) {
		tc = job->cookies[i];
		if (!tc)
			continue;
		while (atomic_dec_if_positive(&tc->n_use) >= 0)
			fscache_unuse_cookie(tc->cookie, NULL, NULL);
		fscache_relinquish_cookie(tc->cookie, job->retire);
		kfree(tc);
	}
	if (job->tvol) {
		mutex_lock(&tfs_lock);
		job->tvol->n_cookies -= job->nr_cookies;
		mutex_unlock(&tfs_lock);
	}
	kvfree(job->cookies);
	kfree(job->workers);
	kfree(job);
}

static void tfs_job_report(struct tfs_job *job, struct tfs_ctx *ctx)
{
	tfs_out(ctx, " id=%s threads=%u cookies=%u ops=%u", job->name,
		job->nr_threads, job->nr_cookies, job->ops);
	tfs_out(ctx, " pass=%lld fail=%lld miss=%lld nobufs=%lld",
		atomic64_read(&job->pass), atomic64_read(&job->fail),
		atomic64_read(&job->miss), atomic64_read(&job->nobufs));
	tfs_out(ctx, " invals=%lld nulls=%u msecs=%lld",
		atomic64_read(&job->invals), job->nulls, job->msecs);
	if (job->miss_ok)
		tfs_out(ctx, " rmiss=%lld", atomic64_read(&job->rmiss));
	if (job->first_fail[0])
		tfs_out(ctx, " first_fail=%s", job->first_fail);
}

static int tfs_job_result(struct tfs_job *job)
{
	return atomic64_read(&job->fail) ? -EIO : 0;
}

/*
 * stress vol=V [id=ID] [threads=8] [cookies=1000] [ops=4] [len=16k] [span=1]
 *	  [async=0] [churn=0] [inval_ms=0] [retire=0] [secs=0] [seed=1]
 *	  [miss_ok=0] [bg]
 */
static int tfs_cmd_stress(struct tfs_args *a, struct tfs_ctx *ctx)
{
	u64 threads = 8, cookies = 1000, ops = 4, len = SZ_16K, span = 1;
	u64 inval_ms = 0, secs = 0, seed = 1;
	const char *vname, *id;
	struct tfs_volume *tv;
	struct tfs_job *job;
	struct tfs_cookie *tc;
	struct task_struct *t;
	char key[TFS_NAME_MAX + 32];
	unsigned int i;
	bool bg;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	spin_lock_init(&job->lock);
	ret = tfs_get_u64(a, "threads", 1, TFS_THREADS_MAX, &threads, ctx) ?:
	      tfs_get_u64(a, "cookies", 1, TFS_COOKIES_MAX, &cookies, ctx) ?:
	      tfs_get_u64(a, "ops", 1, 1000000, &ops, ctx) ?:
	      tfs_get_u64(a, "len", 1, TFS_STRESS_LEN_MAX, &len, ctx) ?:
	      tfs_get_u64(a, "span", 1, 64, &span, ctx) ?:
	      tfs_get_u64(a, "inval_ms", 0, 10000, &inval_ms, ctx) ?:
	      tfs_get_u64(a, "secs", 0, 3600, &secs, ctx) ?:
	      tfs_get_u64(a, "seed", 0, U64_MAX, &seed, ctx) ?:
	      tfs_get_bool(a, "async", &job->async, ctx) ?:
	      tfs_get_bool(a, "churn", &job->churn, ctx) ?:
	      tfs_get_bool(a, "retire", &job->retire, ctx) ?:
	      tfs_get_bool(a, "miss_ok", &job->miss_ok, ctx);
	if (ret)
		goto fail;
	vname = tfs_kv(a, "vol");
	id = tfs_kv(a, "id");
	bg = tfs_flag(a, 1, "bg");
	ret = tfs_args_check(a, ctx);
	if (ret)
		goto fail;
	ret = -EINVAL;
	if (!vname) {
		tfs_out(ctx, " msg=need-vol");
		goto fail;
	}
	if (id && !tfs_name_ok(id)) {
		tfs_out(ctx, " msg=bad-id");
		goto fail;
	}
	job->nr_threads = min(threads, cookies);
	job->nr_cookies = cookies;
	job->ops = ops;
	job->len = len;
	job->span = span;
	job->inval_ms = inval_ms;
	job->seed = seed;
	job->nr_workers = job->nr_threads + (inval_ms ? 1 : 0);

	ret = -ENOMEM;
	job->cookies = kvcalloc(cookies, sizeof(*job->cookies), GFP_KERNEL);
	job->workers = kcalloc(job->nr_workers, sizeof(*job->workers), GFP_KERNEL);
	if (!job->cookies || !job->workers)
		goto fail;
	for (i = 0; i < job->nr_workers; i++) {
		job->workers[i].job = job;
		job->workers[i].idx = i;
		init_completion(&job->workers[i].done);
	}

	mutex_lock(&tfs_lock);
	if (id && tfs_pending_name_busy(id)) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=id-in-use");
		ret = -EEXIST;
		goto fail;
	}
	if (id)
		strscpy(job->name, id, sizeof(job->name));
	else
		snprintf(job->name, sizeof(job->name), "job%lld",
			 atomic64_inc_return(&tfs_seq));
	tv = tfs_volume_find(vname);
	if (!tv) {
		mutex_unlock(&tfs_lock);
		tfs_out(ctx, " msg=no-such-volume");
		ret = -ENOENT;
		goto fail;
	}
	tv->n_cookies += job->nr_cookies;	/* Pins the volume. */
	job->tvol = tv;
	mutex_unlock(&tfs_lock);

	for (i = 0; i < job->nr_cookies; i++) {
		tc = kzalloc(sizeof(*tc), GFP_KERNEL);
		if (!tc) {
			ret = -ENOMEM;
			goto fail;
		}
		scnprintf(tc->name, sizeof(tc->name), "%s/%u", job->name, i);
		snprintf(key, sizeof(key), "tfs-stress/%s/%u", job->name, i);
		tc->tvol = tv;
		tc->i_size = (loff_t)len * span;
		tc->cookie = fscache_acquire_cookie(tv->vol, 0, key, strlen(key),
						    NULL, 0, tc->i_size);
		if (!tc->cookie)
			job->nulls++;
		if (!job->churn) {
			fscache_use_cookie(tc->cookie, true);
			atomic_set(&tc->n_use, 1);
		}
		job->cookies[i] = tc;
	}

	job->t0 = ktime_get();
	if (secs)
		job->deadline = jiffies + secs * HZ;
	atomic_set(&job->active, job->nr_threads);
	for (i = 0; i < job->nr_workers; i++) {
		struct tfs_worker *w = &job->workers[i];

		if (i < job->nr_threads)
			t = kthread_run(tfs_stress_worker, w, "tfs_stress/%u", i);
		else
			t = kthread_run(tfs_stress_invalidator, w, "tfs_inval");
		if (IS_ERR(t)) {
			tfs_job_note_fail(job, i, 0, "kthread", PTR_ERR(t));
			WRITE_ONCE(job->stop, true);
			if (i < job->nr_threads)
				atomic_dec(&job->active);
			complete(&w->done);
		}
	}

	if (bg) {
		mutex_lock(&tfs_lock);
		if (!tfs_pending_name_busy(job->name)) {
			list_add_tail(&job->link, &tfs_jobs);
			tfs_out(ctx, " started id=%s", job->name);
			mutex_unlock(&tfs_lock);
			return 0;
		}
		mutex_unlock(&tfs_lock);
		WRITE_ONCE(job->stop, true);
		tfs_job_wait(job, 0, false);
		tfs_out(ctx, " msg=id-in-use");
		ret = -EEXIST;
		goto fail;
	}
	if (tfs_job_wait(job, MAX_SCHEDULE_TIMEOUT, true) < 0) {
		WRITE_ONCE(job->stop, true);
		tfs_job_wait(job, 0, false);
	}
	job->msecs = ktime_ms_delta(ktime_get(), job->t0);
	tfs_job_report(job, ctx);
	ret = tfs_job_result(job);
	tfs_job_free(job);
	return ret;

fail:
	tfs_job_free(job);
	return ret;
}

/* Is @name used by a pending I/O or a background job?  tfs_lock held. */
static bool tfs_pending_name_busy(const char *name)
{
	struct tfs_job *job;
	struct tfs_io *io;

	lockdep_assert_held(&tfs_lock);
	list_for_each_entry(io, &tfs_ios, link)
		if (!strcmp(io->name, name))
			return true;
	list_for_each_entry(job, &tfs_jobs, link)
		if (!strcmp(job->name, name))
			return true;
	return false;
}

/* wait ID [timeout=ms]: collect a nowait I/O or a background job. */
static int tfs_cmd_wait(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_job *job = NULL, *j;
	struct tfs_io *io = NULL, *i;
	unsigned long tmo;
	const char *name;
	long left;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx) ?: tfs_get_timeout(a, &tmo, ctx) ?:
	      tfs_args_check(a, ctx);
	if (ret)
		return ret;

	mutex_lock(&tfs_lock);
	list_for_each_entry(i, &tfs_ios, link) {
		if (!strcmp(i->name, name)) {
			io = i;
			list_del_init(&io->link);
			break;
		}
	}
	if (!io) {
		list_for_each_entry(j, &tfs_jobs, link) {
			if (!strcmp(j->name, name)) {
				job = j;
				list_del_init(&job->link);
				break;
			}
		}
	}
	mutex_unlock(&tfs_lock);

	if (io) {
		left = wait_for_completion_killable_timeout(&io->done, max(tmo, 1UL));
		if (left <= 0) {
			mutex_lock(&tfs_lock);
			list_add_tail(&io->link, &tfs_ios);
			mutex_unlock(&tfs_lock);
			tfs_out(ctx, " id=%s msg=still-pending", name);
			return left < 0 ? -EINTR : -ETIMEDOUT;
		}
		ret = tfs_io_report(io, ctx);
		tfs_io_put(io);
		return ret;
	}
	if (job) {
		ret = tfs_job_wait(job, tmo, true);
		if (ret) {
			mutex_lock(&tfs_lock);
			list_add_tail(&job->link, &tfs_jobs);
			mutex_unlock(&tfs_lock);
			tfs_out(ctx, " id=%s msg=still-running", name);
			return ret;
		}
		job->msecs = ktime_ms_delta(ktime_get(), job->t0);
		tfs_job_report(job, ctx);
		ret = tfs_job_result(job);
		tfs_job_free(job);
		return ret;
	}
	tfs_out(ctx, " msg=no-such-id");
	return -ENOENT;
}

static int tfs_cmd_stop(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_job *job;
	const char *name;
	int ret;

	ret = tfs_get_name(a, 1, &name, ctx) ?: tfs_args_check(a, ctx);
	if (ret)
		return ret;
	mutex_lock(&tfs_lock);
	list_for_each_entry(job, &tfs_jobs, link) {
		if (!strcmp(job->name, name)) {
			WRITE_ONCE(job->stop, true);
			mutex_unlock(&tfs_lock);
			return 0;
		}
	}
	mutex_unlock(&tfs_lock);
	tfs_out(ctx, " msg=no-such-id");
	return -ENOENT;
}

/*
 * Release everything: background jobs (stopped), pending I/O, held
 * operations, cookies, volumes.  Used by "reset" and at module removal.
 */
static void tfs_release_all(bool retire, struct tfs_ctx *ctx)
{
	unsigned int nj = 0, ni = 0, no = 0, nc = 0, nv = 0;
	struct tfs_volume *tv, *tv2;
	struct tfs_cookie *tc, *tc2;
	struct tfs_job *job, *job2;
	struct tfs_io *io, *io2;
	struct tfs_op *op, *op2;
	LIST_HEAD(jobs);
	LIST_HEAD(ios);
	LIST_HEAD(ops);
	LIST_HEAD(cookies);

	mutex_lock(&tfs_lock);
	list_splice_init(&tfs_jobs, &jobs);
	list_splice_init(&tfs_ios, &ios);
	list_for_each_entry(job, &jobs, link)
		WRITE_ONCE(job->stop, true);
	mutex_unlock(&tfs_lock);

	list_for_each_entry_safe(job, job2, &jobs, link) {
		list_del(&job->link);
		tfs_job_wait(job, 0, false);
		tfs_job_free(job);
		nj++;
	}
	list_for_each_entry_safe(io, io2, &ios, link) {
		list_del_init(&io->link);
		wait_for_completion(&io->done);
		tfs_io_put(io);
		ni++;
	}
	wait_event(tfs_waitq, !atomic_read(&tfs_inflight));

	mutex_lock(&tfs_lock);
	list_splice_init(&tfs_ops, &ops);
	mutex_unlock(&tfs_lock);
	list_for_each_entry_safe(op, op2, &ops, link) {
		list_del(&op->link);
		tfs_op_put(op);
		no++;
	}

	mutex_lock(&tfs_lock);
	list_for_each_entry_safe(tc, tc2, &tfs_cookies, link) {
		if (tc->dead || tc->n_ops)
			continue;
		tc->dead = true;
		list_move_tail(&tc->link, &cookies);
	}
	mutex_unlock(&tfs_lock);
	list_for_each_entry_safe(tc, tc2, &cookies, link) {
		list_del(&tc->link);
		tfs_cookie_destroy(tc, retire);
		nc++;
	}

	for (;;) {
		tv = NULL;
		mutex_lock(&tfs_lock);
		list_for_each_entry(tv2, &tfs_volumes, link) {
			if (!tv2->n_cookies) {
				tv = tv2;
				list_del(&tv->link);
				break;
			}
		}
		mutex_unlock(&tfs_lock);
		if (!tv)
			break;
		fscache_relinquish_volume(tv->vol, NULL, false);
		kfree(tv);
		nv++;
	}

	if (ctx)
		tfs_out(ctx, " jobs=%u ios=%u ops=%u cookies=%u volumes=%u",
			nj, ni, no, nc, nv);
}

static int tfs_cmd_reset(struct tfs_args *a, struct tfs_ctx *ctx)
{
	bool retire = tfs_flag(a, 1, "retire");
	int ret = tfs_args_check(a, ctx);

	if (!ret)
		tfs_release_all(retire, ctx);
	return ret;
}

static int tfs_cmd_list(struct tfs_args *a, struct tfs_ctx *ctx)
{
	struct tfs_volume *tv;
	struct tfs_cookie *tc;
	struct tfs_job *job;
	struct tfs_op *op;
	struct tfs_io *io;
	const char *sep;
	int ret = tfs_args_check(a, ctx);

	if (ret)
		return ret;
	mutex_lock(&tfs_lock);
	tfs_out(ctx, " volumes=");
	sep = "";
	list_for_each_entry(tv, &tfs_volumes, link) {
		tfs_out(ctx, "%s%s", sep, tv->name);
		sep = ",";
	}
	tfs_out(ctx, " cookies=");
	sep = "";
	list_for_each_entry(tc, &tfs_cookies, link) {
		tfs_out(ctx, "%s%s", sep, tc->name);
		sep = ",";
	}
	tfs_out(ctx, " ops=");
	sep = "";
	list_for_each_entry(op, &tfs_ops, link) {
		tfs_out(ctx, "%s%s", sep, op->name);
		sep = ",";
	}
	tfs_out(ctx, " pending=");
	sep = "";
	list_for_each_entry(io, &tfs_ios, link) {
		tfs_out(ctx, "%s%s", sep, io->name);
		sep = ",";
	}
	list_for_each_entry(job, &tfs_jobs, link) {
		tfs_out(ctx, "%s%s", sep, job->name);
		sep = ",";
	}
	mutex_unlock(&tfs_lock);
	return 0;
}

static int tfs_cmd_stats(struct tfs_args *a, struct tfs_ctx *ctx)
{
	int ret = tfs_args_check(a, ctx);

	if (!ret)
		tfs_out(ctx, " inflight=%d double_term=%d",
			atomic_read(&tfs_inflight), atomic_read(&tfs_double_term));
	return ret;
}

/* pattern off= len= seed=: show the expected bytes (at most 64). */
static int tfs_cmd_pattern(struct tfs_args *a, struct tfs_ctx *ctx)
{
	u64 off = 0, len = 16, seed = 0;
	u8 buf[64];
	int ret;

	ret = tfs_get_u64(a, "off", 0, MAX_LFS_FILESIZE, &off, ctx) ?:
	      tfs_get_u64(a, "len", 1, sizeof(buf), &len, ctx) ?:
	      tfs_get_u64(a, "seed", 0, U64_MAX, &seed, ctx) ?:
	      tfs_args_check(a, ctx);
	if (ret)
		return ret;
	tfs_pattern(buf, off, len, seed);
	tfs_out_hex(ctx, "hex", buf, len);
	return 0;
}

static int tfs_cmd_help(struct tfs_args *a, struct tfs_ctx *ctx);

static const struct tfs_cmd {
	const char	*name;
	int		(*fn)(struct tfs_args *a, struct tfs_ctx *ctx);
} tfs_cmds[] = {
	{ "help",		tfs_cmd_help },
	{ "vol_acquire",	tfs_cmd_vol_acquire },
	{ "vol_relinquish",	tfs_cmd_vol_relinquish },
	{ "vol_state",		tfs_cmd_vol_state },
	{ "cookie_acquire",	tfs_cmd_cookie_acquire },
	{ "use",		tfs_cmd_use },
	{ "unuse",		tfs_cmd_unuse },
	{ "update",		tfs_cmd_update },
	{ "invalidate",		tfs_cmd_invalidate },
	{ "resize",		tfs_cmd_resize },
	{ "page_release",	tfs_cmd_page_release },
	{ "relinquish",		tfs_cmd_relinquish },
	{ "state",		tfs_cmd_state },
	{ "wait_state",		tfs_cmd_wait_state },
	{ "settle",		tfs_cmd_settle },
	{ "write",		tfs_cmd_write },
	{ "read",		tfs_cmd_read },
	{ "op_begin",		tfs_cmd_op_begin },
	{ "op_end",		tfs_cmd_op_end },
	{ "occupancy",		tfs_cmd_occupancy },
	{ "prepare_read",	tfs_cmd_prepare_read },
	{ "expand",		tfs_cmd_expand },
	{ "stress",		tfs_cmd_stress },
	{ "wait",		tfs_cmd_wait },
	{ "stop",		tfs_cmd_stop },
	{ "list",		tfs_cmd_list },
	{ "stats",		tfs_cmd_stats },
	{ "pattern",		tfs_cmd_pattern },
	{ "reset",		tfs_cmd_reset },
};

static int tfs_cmd_help(struct tfs_args *a, struct tfs_ctx *ctx)
{
	unsigned int i;
	int ret = tfs_args_check(a, ctx);

	if (ret)
		return ret;
	tfs_out(ctx, " commands=");
	for (i = 0; i < ARRAY_SIZE(tfs_cmds); i++)
		tfs_out(ctx, "%s%s", i ? "," : "", tfs_cmds[i].name);
	return 0;
}

/* Run one command line; the reply (newline-terminated) goes to @reply. */
static size_t tfs_exec(char *line, char *reply, size_t size)
{
	struct tfs_ctx ctx;
	struct tfs_args *a;
	size_t n = strlen(line), i, len;
	char *body;
	int ret = -EINVAL;

	body = kmalloc(TFS_REPLY_MAX, GFP_KERNEL);
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	ctx.out = body;
	ctx.len = 0;
	ctx.size = TFS_REPLY_MAX;
	if (!body || !a) {
		ret = -ENOMEM;
		goto reply;
	}
	body[0] = '\0';

	if (n && line[n - 1] == '\n')
		line[--n] = '\0';
	for (i = 0; i < n; i++) {
		if ((line[i] < 0x20 && line[i] != '\t') || line[i] >= 0x7f) {
			tfs_out(&ctx, " msg=bad-character");
			goto reply;
		}
	}
	ret = tfs_split(line, a, &ctx);
	if (ret)
		goto reply;
	ret = -EINVAL;
	for (i = 0; i < ARRAY_SIZE(tfs_cmds); i++) {
		if (!strcmp(a->pos[0], tfs_cmds[i].name)) {
			pr_debug("cmd %s\n", a->pos[0]);
			ret = tfs_cmds[i].fn(a, &ctx);
			break;
		}
	}
	if (i == ARRAY_SIZE(tfs_cmds))
		tfs_out(&ctx, " msg=unknown-command");

reply:
	if (ret)
		len = scnprintf(reply, size, "err %d %s", ret, tfs_errname(ret));
	else
		len = scnprintf(reply, size, "ok");
	if (body)
		len += scnprintf(reply + len, size - len, "%s", body);
	len += scnprintf(reply + len, size - len, "\n");
	if (reply[len - 1] != '\n')
		reply[len - 1] = '\n';
	kfree(a);
	kfree(body);
	return len;
}

static int tfs_ctl_open(struct inode *inode, struct file *file)
{
	struct tfs_client *client = kzalloc(sizeof(*client), GFP_KERNEL);

	if (!client)
		return -ENOMEM;
	mutex_init(&client->mutex);
	file->private_data = client;
	return nonseekable_open(inode, file);
}

static int tfs_ctl_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t tfs_ctl_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct tfs_client *client = file->private_data;
	char *line;

	if (mutex_lock_killable(&client->mutex))
		return -EINTR;
	client->read_pos = 0;
	if (count >= TFS_CMD_MAX) {
		client->reply_len = scnprintf(client->reply, sizeof(client->reply),
					      "err %d E2BIG msg=line-too-long\n", -E2BIG);
		mutex_unlock(&client->mutex);
		return count;
	}
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line)) {
		client->reply_len = 0;
		mutex_unlock(&client->mutex);
		return PTR_ERR(line);
	}
	client->reply_len = tfs_exec(line, client->reply, sizeof(client->reply));
	kfree(line);
	mutex_unlock(&client->mutex);
	return count;
}

static ssize_t tfs_ctl_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct tfs_client *client = file->private_data;
	loff_t pos;
	ssize_t ret;

	if (mutex_lock_killable(&client->mutex))
		return -EINTR;
	pos = client->read_pos;
	ret = simple_read_from_buffer(ubuf, count, &pos, client->reply,
				      client->reply_len);
	client->read_pos = pos;
	mutex_unlock(&client->mutex);
	return ret;
}

static const struct file_operations tfs_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= tfs_ctl_open,
	.release	= tfs_ctl_release,
	.read		= tfs_ctl_read,
	.write		= tfs_ctl_write,
};

static int __init tfs_init(void)
{
	tfs_dummy_inode = kzalloc(sizeof(*tfs_dummy_inode), GFP_KERNEL);
	if (!tfs_dummy_inode)
		return -ENOMEM;
	tfs_wq = alloc_workqueue("test_fscache", WQ_UNBOUND, 0);
	if (!tfs_wq) {
		kfree(tfs_dummy_inode);
		return -ENOMEM;
	}
	tfs_dir = debugfs_create_dir("test_fscache", NULL);
	debugfs_create_file("ctl", 0600, tfs_dir, NULL, &tfs_ctl_fops);
	pr_info("loaded; control file /sys/kernel/debug/test_fscache/ctl\n");
	return 0;
}

static void __exit tfs_exit(void)
{
	/* No command can be running once the file is gone. */
	debugfs_remove_recursive(tfs_dir);
	tfs_release_all(false, NULL);
	destroy_workqueue(tfs_wq);
	kfree(tfs_dummy_inode);
}

module_init(tfs_init);
module_exit(tfs_exit);

MODULE_DESCRIPTION("fscache test netfs: drives the fscache API on command");
MODULE_AUTHOR("cachestore project");
MODULE_LICENSE("GPL");
