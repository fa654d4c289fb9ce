/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cachestore tracepoints: /sys/kernel/tracing/events/cachestore/
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cachestore

#if !defined(_TRACE_CACHESTORE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_CACHESTORE_H

#include <linux/tracepoint.h>

#define CACHESTORE_LOOKUP_HIT	0
#define CACHESTORE_LOOKUP_STALE	1
#define CACHESTORE_LOOKUP_NEW	2
#define CACHESTORE_LOOKUP_FAIL	3

TRACE_EVENT(cachestore_lookup,
	    TP_PROTO(unsigned int cookie, u32 objid, u32 gen, int how,
		     int error),
	    TP_ARGS(cookie, objid, gen, how, error),
	    TP_STRUCT__entry(__field(unsigned int, cookie)
			     __field(u32, objid)
			     __field(u32, gen)
			     __field(int, how)
			     __field(int, error)
			     ),
	    TP_fast_assign(__entry->cookie = cookie;
			   __entry->objid = objid;
			   __entry->gen = gen;
			   __entry->how = how;
			   __entry->error = error;
			   ),
	    TP_printk("c=%08x o=%u g=%u %s e=%d",
		      __entry->cookie, __entry->objid, __entry->gen,
		      __print_symbolic(__entry->how,
				       { CACHESTORE_LOOKUP_HIT, "hit" },
				       { CACHESTORE_LOOKUP_STALE, "stale" },
				       { CACHESTORE_LOOKUP_NEW, "new" },
				       { CACHESTORE_LOOKUP_FAIL, "fail" }),
		      __entry->error)
);

DECLARE_EVENT_CLASS(cachestore_io_class,
		    TP_PROTO(u32 objid, u32 gen, loff_t pos, size_t len, int result),
		    TP_ARGS(objid, gen, pos, len, result),
		    TP_STRUCT__entry(__field(u32, objid)
				     __field(u32, gen)
				     __field(loff_t, pos)
				     __field(size_t, len)
				     __field(int, result)
				     ),
		    TP_fast_assign(__entry->objid = objid;
				   __entry->gen = gen;
				   __entry->pos = pos;
				   __entry->len = len;
				   __entry->result = result;
				   ),
		    TP_printk("o=%u g=%u pos=%llx len=%zx r=%d",
			      __entry->objid, __entry->gen, __entry->pos,
			      __entry->len, __entry->result)
);

DEFINE_EVENT(cachestore_io_class, cachestore_read,
	     TP_PROTO(u32 objid, u32 gen, loff_t pos, size_t len, int result),
	     TP_ARGS(objid, gen, pos, len, result));

DEFINE_EVENT(cachestore_io_class, cachestore_write,
	     TP_PROTO(u32 objid, u32 gen, loff_t pos, size_t len, int result),
	     TP_ARGS(objid, gen, pos, len, result));

/* A write completed: result 0 when its pages were marked present, else why
 * not (-ESTALE: invalidated or deleted; -ENODATA: truncated or moved;
 * -errno: a metadata error).
 */
DEFINE_EVENT(cachestore_io_class, cachestore_written,
	     TP_PROTO(u32 objid, u32 gen, loff_t pos, size_t len, int result),
	     TP_ARGS(objid, gen, pos, len, result));

TRACE_EVENT(cachestore_invalidate,
	    TP_PROTO(u32 objid, u32 old_gen, u32 new_gen, loff_t size,
		     int error),
	    TP_ARGS(objid, old_gen, new_gen, size, error),
	    TP_STRUCT__entry(__field(u32, objid)
			     __field(u32, old_gen)
			     __field(u32, new_gen)
			     __field(loff_t, size)
			     __field(int, error)
			     ),
	    TP_fast_assign(__entry->objid = objid;
			   __entry->old_gen = old_gen;
			   __entry->new_gen = new_gen;
			   __entry->size = size;
			   __entry->error = error;
			   ),
	    TP_printk("o=%u g=%u->%u size=%llx e=%d",
		      __entry->objid, __entry->old_gen, __entry->new_gen,
		      __entry->size, __entry->error)
);

TRACE_EVENT(cachestore_cull,
	    TP_PROTO(u32 objid, u32 gen, u64 free_blocks),
	    TP_ARGS(objid, gen, free_blocks),
	    TP_STRUCT__entry(__field(u32, objid)
			     __field(u32, gen)
			     __field(u64, free_blocks)
			     ),
	    TP_fast_assign(__entry->objid = objid;
			   __entry->gen = gen;
			   __entry->free_blocks = free_blocks;
			   ),
	    TP_printk("o=%u g=%u free=%llu",
		      __entry->objid, __entry->gen, __entry->free_blocks)
);

TRACE_EVENT(cachestore_commit,
	    TP_PROTO(u64 commits, u64 held, u64 journal_used, int error),
	    TP_ARGS(commits, held, journal_used, error),
	    TP_STRUCT__entry(__field(u64, commits)
			     __field(u64, held)
			     __field(u64, journal_used)
			     __field(int, error)
			     ),
	    TP_fast_assign(__entry->commits = commits;
			   __entry->held = held;
			   __entry->journal_used = journal_used;
			   __entry->error = error;
			   ),
	    TP_printk("n=%llu held_frees=%llu journal_used=%llu e=%d",
		      __entry->commits, __entry->held, __entry->journal_used,
		      __entry->error)
);

#endif /* _TRACE_CACHESTORE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
