/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynbounce_compat.h - every kernel difference dynbounce cares about, in one
 * place, as small helpers named after the feature. The logic files read as if
 * written for one kernel. Supported: Linux 6.1 to 6.12.
 *
 * Feature tests come from Kbuild (DYNB_HAVE_*, found by looking into the
 * kernel's headers) or from the kernel's own CONFIG_ symbols; there are no
 * version-number checks.
 */
#ifndef _DYNBOUNCE_COMPAT_H
#define _DYNBOUNCE_COMPAT_H

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/mmzone.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/swiotlb.h>

/*
 * The overlay lives in struct device's dma_ops field, which exists only when
 * the architecture selects DMA ops: CONFIG_DMA_OPS up to 6.9,
 * CONFIG_ARCH_HAS_DMA_OPS after. On x86_64 and arm64 6.12 that comes with
 * CONFIG_XEN (or GART_IOMMU on x86). Without it there is nothing to overlay.
 */
#if !defined(CONFIG_DMA_OPS) && !defined(CONFIG_ARCH_HAS_DMA_OPS)
#error "dynbounce: struct device has no dma_ops: CONFIG_ARCH_HAS_DMA_OPS (or CONFIG_XEN) needed"
#endif

/* The allocator's largest order: MAX_PAGE_ORDER (inclusive) or MAX_ORDER - 1. */
#ifdef MAX_PAGE_ORDER
#define DYNB_MAX_ORDER	MAX_PAGE_ORDER
#else
#define DYNB_MAX_ORDER	(MAX_ORDER - 1)
#endif

/* Bus types became const (6.4+); the bus API takes what the kernel has. */
#ifdef DYNB_HAVE_CONST_BUS_TYPE
#define DYNB_BUS_CONST	const
#else
#define DYNB_BUS_CONST
#endif

/* The name of the op that hands out non-coherent pages. */
#ifdef DYNB_HAVE_ALLOC_PAGES_OP
#define DYNB_OPS_ALLOC_PAGES	alloc_pages_op
#else
#define DYNB_OPS_ALLOC_PAGES	alloc_pages
#endif

/* 6.12+: a device on dma-iommu bypasses dma_ops altogether. */
static inline bool dynb_dev_uses_dma_iommu(struct device *dev)
{
#if defined(DYNB_HAVE_DEV_DMA_IOMMU) && defined(CONFIG_IOMMU_DMA)
	return dev->dma_iommu;
#else
	return false;
#endif
}

/*
 * 6.12+ (CONFIG_DMA_NEED_SYNC): dma_sync_* calls are dropped before reaching
 * any ops while dev->dma_skip_sync is set. Bounced data must sync, so the
 * overlay clears it and gives back the value it found.
 */
static inline bool dynb_skip_sync_get(struct device *dev)
{
#ifdef CONFIG_DMA_NEED_SYNC
	return dev->dma_skip_sync;
#else
	return false;
#endif
}

static inline void dynb_skip_sync_set(struct device *dev, bool skip)
{
#ifdef CONFIG_DMA_NEED_SYNC
	dev->dma_skip_sync = skip;
#endif
}

/* Copy the cache-coherency flag where the architecture keeps one. */
static inline void dynb_copy_coherent(struct device *to, struct device *from)
{
#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
	to->dma_coherent = from->dma_coherent;
#endif
}

/* A device that always wants cache maintenance, where that is a choice. */
static inline void dynb_set_noncoherent(struct device *dev)
{
#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
	dev->dma_coherent = false;
#endif
}

static inline void dynb_copy_cma_area(struct device *to, struct device *from)
{
#ifdef CONFIG_DMA_CMA
	to->cma_area = from->cma_area;
#endif
}

/*
 * True when the kernel has been told to bounce all of this device's DMA
 * (swiotlb=force, or a confidential guest). dynbounce then bounces it all too,
 * instead of passing memory through to a swiotlb it has replaced.
 */
static inline bool dynb_kernel_forces_bounce(struct device *dev)
{
	return is_swiotlb_force_bounce(dev);
}

/*
 * Give a shadow device the kernel swiotlb of @from (or none, @from NULL).
 * The swiotlb fields of struct device vary with CONFIG_SWIOTLB and
 * CONFIG_SWIOTLB_DYNAMIC; the list and lock of transient pools must be
 * valid even when empty, since swiotlb lookups walk them.
 */
static inline void dynb_shadow_set_swiotlb(struct device *to,
					   struct device *from)
{
#ifdef CONFIG_SWIOTLB
	to->dma_io_tlb_mem = from ? from->dma_io_tlb_mem : NULL;
#endif
#ifdef CONFIG_SWIOTLB_DYNAMIC
	INIT_LIST_HEAD(&to->dma_io_tlb_pools);
	spin_lock_init(&to->dma_io_tlb_lock);
	to->dma_uses_io_tlb = from ? READ_ONCE(from->dma_uses_io_tlb) : false;
#endif
}

/*
 * Is @paddr a slot of the kernel swiotlb's default pool that @dev uses? Then
 * the kernel bounced that mapping before dynbounce attached. (Transient
 * pools of CONFIG_SWIOTLB_DYNAMIC are not seen: their lookup is not
 * exported.)
 */
static inline bool dynb_in_kernel_swiotlb(struct device *dev,
					  phys_addr_t paddr)
{
#ifdef CONFIG_SWIOTLB
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

#ifdef DYNB_HAVE_SWIOTLB_DEFPOOL
	return mem && paddr >= mem->defpool.start && paddr < mem->defpool.end;
#else
	return mem && paddr >= mem->start && paddr < mem->end;
#endif
#else
	return false;
#endif
}

/*
 * May the caller of a mapping sleep? Only a kernel that counts preemption
 * (CONFIG_PREEMPT_COUNT, which Debian's x86_64 and Raspberry Pi kernels have)
 * can tell; elsewhere the answer is always no. Used only to decide whether a
 * buffer larger than the page allocator's limit may come from CMA, which
 * sleeps. An RCU reader or memory reclaim in progress also says no.
 */
static inline bool dynb_can_tell_sleep(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_COUNT);
}

static inline bool dynb_caller_may_sleep(void)
{
#ifdef CONFIG_PREEMPT_COUNT
	return preemptible() && !rcu_preempt_depth() &&
	       !(current->flags & PF_MEMALLOC);
#else
	return false;
#endif
}

/*
 * Largest order of one xarray entry: multi-index entries let a buffer of
 * 2^n pages take one slot instead of 2^n; without CONFIG_XARRAY_MULTI every
 * page gets its own.
 */
static inline unsigned int dynb_xa_max_order(void)
{
	return IS_ENABLED(CONFIG_XARRAY_MULTI) ? BITS_PER_LONG - 1 : 0;
}

/*
 * Emptying a range of movable memory for one contiguous block
 * (CONFIG_CONTIG_ALLOC: Debian's kernels have it through COMPACTION and
 * MEMORY_ISOLATION even without CMA). 0 or a negative errno.
 */
static inline bool dynb_have_contig_alloc(void)
{
	return IS_ENABLED(CONFIG_CONTIG_ALLOC);
}

static inline int dynb_alloc_contig(unsigned long start, unsigned long end)
{
#ifdef CONFIG_CONTIG_ALLOC
	return alloc_contig_range(start, end, MIGRATE_MOVABLE,
				  GFP_KERNEL | __GFP_NOWARN);
#else
	return -EOPNOTSUPP;
#endif
}

static inline void dynb_free_contig(unsigned long pfn, unsigned long nr)
{
#ifdef CONFIG_CONTIG_ALLOC
	free_contig_range(pfn, nr);
#endif
}

#endif /* _DYNBOUNCE_COMPAT_H */
