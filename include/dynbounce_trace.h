/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynbounce_trace.h - tracepoints, system "dynbounce": map, unmap, sync and
 * map_fail, under /sys/kernel/tracing/events/dynbounce/. They cost a
 * patched-out branch while disabled.
 *
 * The device name is copied into a fixed array rather than __string(): the
 * __assign_str() signature differs between 6.1 and 6.12.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dynbounce

#if !defined(_DYNBOUNCE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DYNBOUNCE_TRACE_H

#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/tracepoint.h>

#define DYNB_TRACE_NAME	32

#define dynb_show_dir(dir)						\
	__print_symbolic(dir,						\
			 { DMA_BIDIRECTIONAL, "bidirectional" },	\
			 { DMA_TO_DEVICE, "to_device" },		\
			 { DMA_FROM_DEVICE, "from_device" },		\
			 { DMA_NONE, "none" })

/* Values of enum dynb_path. */
#define dynb_show_path(path)						\
	__print_symbolic(path, { 0, "passthrough" }, { 1, "fixed" },	\
			 { 2, "dynamic" }, { 3, "failed" })

/* Values of enum dynb_fail. */
#define dynb_show_fail(why)						\
	__print_symbolic(why, { 0, "no_dynamic" }, { 1, "dyn_max" },	\
			 { 2, "max_segment" }, { 3, "alloc" })

TRACE_EVENT(map,
	    TP_PROTO(struct device *dev, phys_addr_t orig, dma_addr_t dma,
		     size_t size, int dir, int path),
	    TP_ARGS(dev, orig, dma, size, dir, path),
	    TP_STRUCT__entry(__array(char, dev, DYNB_TRACE_NAME)
			     __field(u64, orig)
			     __field(u64, dma)
			     __field(size_t, size)
			     __field(int, dir)
			     __field(int, path)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(dev), DYNB_TRACE_NAME);
			   __entry->orig = orig;
			   __entry->dma = dma;
			   __entry->size = size;
			   __entry->dir = dir;
			   __entry->path = path;),
	    TP_printk("dev=%s orig=0x%llx dma=0x%llx size=%zu dir=%s path=%s",
		      __entry->dev, __entry->orig, __entry->dma, __entry->size,
		      dynb_show_dir(__entry->dir),
		      dynb_show_path(__entry->path))
);

TRACE_EVENT(unmap,
	    TP_PROTO(struct device *dev, dma_addr_t dma, size_t size, int dir,
		     int path),
	    TP_ARGS(dev, dma, size, dir, path),
	    TP_STRUCT__entry(__array(char, dev, DYNB_TRACE_NAME)
			     __field(u64, dma)
			     __field(size_t, size)
			     __field(int, dir)
			     __field(int, path)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(dev), DYNB_TRACE_NAME);
			   __entry->dma = dma;
			   __entry->size = size;
			   __entry->dir = dir;
			   __entry->path = path;),
	    TP_printk("dev=%s dma=0x%llx size=%zu dir=%s path=%s",
		      __entry->dev, __entry->dma, __entry->size,
		      dynb_show_dir(__entry->dir),
		      dynb_show_path(__entry->path))
);

TRACE_EVENT(sync,
	    TP_PROTO(struct device *dev, dma_addr_t dma, size_t size, int dir,
		     bool for_cpu, bool bounced),
	    TP_ARGS(dev, dma, size, dir, for_cpu, bounced),
	    TP_STRUCT__entry(__array(char, dev, DYNB_TRACE_NAME)
			     __field(u64, dma)
			     __field(size_t, size)
			     __field(int, dir)
			     __field(bool, for_cpu)
			     __field(bool, bounced)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(dev), DYNB_TRACE_NAME);
			   __entry->dma = dma;
			   __entry->size = size;
			   __entry->dir = dir;
			   __entry->for_cpu = for_cpu;
			   __entry->bounced = bounced;),
	    TP_printk("dev=%s dma=0x%llx size=%zu dir=%s for=%s bounced=%d",
		      __entry->dev, __entry->dma, __entry->size,
		      dynb_show_dir(__entry->dir),
		      __entry->for_cpu ? "cpu" : "device", __entry->bounced)
);

TRACE_EVENT(map_fail,
	    TP_PROTO(struct device *dev, size_t size, int why),
	    TP_ARGS(dev, size, why),
	    TP_STRUCT__entry(__array(char, dev, DYNB_TRACE_NAME)
			     __field(size_t, size)
			     __field(int, why)),
	    TP_fast_assign(strscpy(__entry->dev, dev_name(dev), DYNB_TRACE_NAME);
			   __entry->size = size;
			   __entry->why = why;),
	    TP_printk("dev=%s size=%zu reason=%s", __entry->dev, __entry->size,
		      dynb_show_fail(__entry->why))
);

#endif /* _DYNBOUNCE_TRACE_H */

/* Out of tree: define_trace.h finds this file through -I include/. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE dynbounce_trace
#include <trace/define_trace.h>
