// SPDX-License-Identifier: GPL-2.0
/*
 * overlay.c - the dma_map_ops dynbounce puts on an attached device, and
 * attaching and detaching it.
 *
 * A streaming mapping of memory the device reaches passes through: on a
 * coherent device it is the same address arithmetic dma-direct does, on a
 * non-coherent one it is handed to dma-direct through the streaming shadow
 * for cache maintenance. Memory the device cannot reach (or all memory with
 * force_bounce, or when the kernel itself was told to bounce everything) is
 * bounced: fixed pool first, then a dynamic buffer.
 *
 * An address that unmap or sync gets and that is in neither the pool nor the
 * xarray was mapped by passthrough (or before attach); it goes the same way.
 *
 * Every callback runs in any context, hard IRQ included (except on
 * PREEMPT_RT, where drivers map from threads): nothing on these paths sleeps
 * unless dynb_caller_may_sleep() said it may. Each holds dynb_srcu for
 * reading so detach can wait for callbacks in flight.
 */
#include "dynbounce_int.h"

#include <linux/cc_platform.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "dynbounce_trace.h"

/* See dynbounce_int.h: attach/detach and the list of attached devices. */
DEFINE_MUTEX(dynb_lock);
LIST_HEAD(dynb_devices);

static const char *const dynb_fail_why[] = {
	[DYNB_FAIL_NO_DYNAMIC]	= "pool full or too small and dynamic=0",
	[DYNB_FAIL_DYN_MAX]	= "live dynamic bytes would pass dyn_max",
	[DYNB_FAIL_MAX_SEGMENT]	= "larger than max_segment",
	[DYNB_FAIL_ALLOC]	= "no reachable memory could be allocated",
};

/*
 * Bounce memory comes from dma_alloc_pages() on the streaming shadow, which
 * honours its coherent mask: keep that at the device's streaming limit in
 * physical terms (its driver may change mask and range map after attach),
 * and its CMA area and node with the device's. Any context; concurrent
 * callers write the same values.
 */
void dynb_shadow_track_mask(struct dynb_dev *st)
{
	struct device *dev = st->dev;
	u64 limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
	phys_addr_t phys = dma_to_phys(dev, limit);

	if (READ_ONCE(st->shadow.coherent_dma_mask) != phys)
		WRITE_ONCE(st->shadow.coherent_dma_mask, phys);
	dynb_copy_cma_area(&st->shadow, dev);
	set_dev_node(&st->shadow, dev_to_node(dev));
}

/* Give @to the DMA set-up @from has now, and no ops. Any context. */
static void dynb_shadow_copy(struct device *to, struct device *from)
{
	to->dma_mask = from->dma_mask;
	to->coherent_dma_mask = from->coherent_dma_mask;
	to->bus_dma_limit = from->bus_dma_limit;
	to->dma_range_map = from->dma_range_map;
	to->dma_parms = from->dma_parms;
	dynb_copy_coherent(to, from);
	dynb_copy_cma_area(to, from);
	set_dev_node(to, dev_to_node(from));
}

/*
 * The coherent shadow, brought up to date with the device: forwarded calls
 * must see its DMA set-up as it is now. Any context; the writes repeat
 * values the fields already hold unless the device was reconfigured.
 */
struct device *dynb_coh_fresh(struct dynb_dev *st)
{
	dynb_shadow_copy(&st->coh, st->dev);
	return &st->coh;
}

/* Process context, at attach. */
static void dynb_shadows_init(struct dynb_dev *st)
{
	struct device *shadow = &st->shadow;

	/*
	 * The streaming shadow lives in physical address space: no range
	 * map, no bus limit, a mask covering everything, no swiotlb (dynbounce
	 * bounces), and never coherent, so a sync through it always does the
	 * cache maintenance (it is asked only for non-coherent devices).
	 */
	st->shadow_mask = DMA_BIT_MASK(64);
	shadow->dma_mask = &st->shadow_mask;
	shadow->dma_parms = st->dev->dma_parms;
	dynb_shadow_set_swiotlb(shadow, NULL);
	dynb_set_noncoherent(shadow);
	dynb_shadow_track_mask(st);

	/* The coherent shadow is the device's dma-direct, swiotlb included. */
	dynb_shadow_set_swiotlb(&st->coh, st->dev);
	dynb_coh_fresh(st);

	/* dma-debug and dma-direct messages then name the real device. */
	shadow->init_name = dev_name(st->dev);
	st->coh.init_name = dev_name(st->dev);
}

/* ---- counting and refusing ---------------------------------------------- */

static dma_addr_t dynb_refuse(struct dynb_dev *st, size_t size,
			      enum dynb_fail why, unsigned long attrs)
{
	dynb_account_fail(st, why, size);
	if (!(attrs & DMA_ATTR_NO_WARN))
		dev_err_ratelimited(st->dev,
				    "dynbounce: cannot map %zu bytes: %s (dynamic=%d dyn_max=%llu max_segment=%llu)\n",
				    size, dynb_fail_why[why],
				    READ_ONCE(dynb_dynamic),
				    READ_ONCE(dynb_dyn_max),
				    READ_ONCE(dynb_max_segment));
	return DMA_MAPPING_ERROR;
}

/* ---- one segment ------------------------------------------------------- */

static bool dynb_must_bounce(struct dynb_dev *st, phys_addr_t phys,
			     size_t size)
{
	return READ_ONCE(dynb_force_bounce) ||
	       dynb_kernel_forces_bounce(st->dev) ||
	       !dma_capable(st->dev, phys_to_dma(st->dev, phys), size, true);
}

/* Slots a bounce run must be aligned to. */
static unsigned long dynb_align_slots(size_t pad, size_t size,
				      unsigned int min_align)
{
	unsigned long slots = 1;

	/* Keep the low bits min_align_mask names (NVMe relies on them). */
	if (min_align >= DYNB_SLOT_SIZE)
		slots = roundup_pow_of_two((min_align + 1UL) >> DYNB_SLOT_SHIFT);
	/* Page-sized and larger mappings start on a page, as in swiotlb. */
	if (pad + size >= PAGE_SIZE)
		slots = max(slots, PAGE_SIZE >> DYNB_SLOT_SHIFT);
	return slots;
}

static dma_addr_t dynb_bounce_map(struct dynb_dev *st, phys_addr_t phys,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	unsigned int min_align = dma_get_min_align_mask(st->dev);
	size_t pad = phys & min_align;
	struct dynb_pool *pool;
	phys_addr_t bphys;
	dma_addr_t dma, sdma;
	enum dynb_path path;
	enum dynb_fail why;
	struct dynb_buf *buf;
	void *vaddr;

	if (size > READ_ONCE(dynb_max_segment))
		return dynb_refuse(st, size, DYNB_FAIL_MAX_SEGMENT, attrs);

	pool = srcu_dereference(st->pool, &dynb_srcu);
	if (dynb_pool_reachable(st, pool) &&
	    dynb_pool_map(pool, phys, size, pad,
			  dynb_align_slots(pad, size, min_align), &bphys)) {
		vaddr = dynb_pool_vaddr(pool, bphys);
		sdma = dynb_pool_sdma(pool, bphys);
		path = DYNB_PATH_FIXED;
	} else {
		if (!READ_ONCE(dynb_dynamic))
			return dynb_refuse(st, size, DYNB_FAIL_NO_DYNAMIC, attrs);
		buf = dynb_dyn_get(st, pad + size, &why);
		if (!buf)
			return dynb_refuse(st, size, why, attrs);
		buf->orig = phys;
		buf->pad = pad;
		buf->size = size;
		buf->dir = dir;
		buf->stamp = jiffies;
		bphys = buf->phys + pad;
		sdma = buf->sdma + pad;
		vaddr = buf->vaddr + pad;
		path = DYNB_PATH_DYNAMIC;
	}

	/* Each live bounced mapping pins the module: rmmod says "in use". */
	__module_get(THIS_MODULE);

	/*
	 * DMA-API: the device must find the caller's bytes in the bounce
	 * buffer whatever the direction, FROM_DEVICE included: else it could
	 * read an earlier user's data, and a partial device write would hand
	 * stale bytes back. The caller opts out with DMA_ATTR_SKIP_CPU_SYNC.
	 */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
		dynb_copy_to_bounce(vaddr, phys, size);
		atomic_long_add(size, &st->cnt.bytes_to_device);
		dynb_bounce_for_device(st, sdma, size, DMA_TO_DEVICE);
	}
	dynb_account(st, path, size);
	dma = dynb_bounce_dma(st, bphys);
	trace_map(st->dev, phys, dma, size, dir, path);
	return dma;
}

static dma_addr_t dynb_map_one(struct dynb_dev *st, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	dma_addr_t dma;

	if (dynb_must_bounce(st, phys, size))
		return dynb_bounce_map(st, phys, size, dir, attrs);

	/*
	 * Reachable: exactly what dma-direct would do for the device; the
	 * streaming shadow does the cache maintenance of a non-coherent one.
	 */
	if (!dev_is_dma_coherent(st->dev) &&
	    dma_map_page_attrs(&st->shadow, pfn_to_page(PHYS_PFN(phys)),
			       offset_in_page(phys), size, dir,
			       attrs) == DMA_MAPPING_ERROR)
		return dynb_refuse(st, size, DYNB_FAIL_ALLOC, attrs);
	dma = phys_to_dma(st->dev, phys);
	dynb_account(st, DYNB_PATH_PASSTHROUGH, size);
	trace_map(st->dev, phys, dma, size, dir, DYNB_PATH_PASSTHROUGH);
	return dma;
}

/*
 * The bounced mapping that holds device address @addr: its original, and
 * the bounce memory at @addr. False for passthrough and pre-attach
 * addresses, which are not in dynbounce's memory.
 */
struct dynb_hit {
	struct dynb_pool *pool;
	struct dynb_slot *slot;
	struct dynb_buf *buf;
	phys_addr_t orig;	/* original byte at @addr */
	void *vaddr;		/* bounce byte at @addr */
	dma_addr_t sdma;	/* the streaming shadow's handle of it */
	phys_addr_t start;	/* physical address of the mapping's first byte */
	size_t room;		/* mapped bytes from @addr to the end */
};

static bool dynb_lookup(struct dynb_dev *st, dma_addr_t addr,
			struct dynb_hit *hit)
{
	phys_addr_t phys = dma_to_phys(st->dev, addr);
	dma_addr_t sdma;
	size_t off, size;

	hit->pool = srcu_dereference(st->pool, &dynb_srcu);
	hit->slot = dynb_pool_find(hit->pool, phys, &hit->start);
	hit->buf = NULL;
	if (hit->slot) {
		hit->orig = hit->slot->orig;
		hit->vaddr = dynb_pool_vaddr(hit->pool, hit->start);
		sdma = dynb_pool_sdma(hit->pool, hit->start);
		size = hit->slot->size;
	} else {
		hit->buf = dynb_dyn_find(st, phys);
		if (!hit->buf)
			return false;
		hit->start = hit->buf->phys + hit->buf->pad;
		hit->orig = hit->buf->orig;
		hit->vaddr = hit->buf->vaddr + hit->buf->pad;
		sdma = hit->buf->sdma + hit->buf->pad;
		size = hit->buf->size;
	}
	if (phys < hit->start || phys - hit->start > size) {
		dev_err_ratelimited(st->dev, "dynbounce: %pad is outside the mapping at %pa (%zu bytes)\n",
				    &addr, &hit->start, size);
		phys = hit->start;
	}
	off = phys - hit->start;
	hit->orig += off;
	hit->vaddr += off;
	hit->sdma = sdma + off;
	hit->room = size - off;
	return true;
}

/* Clamp a caller's length to the mapping, complaining once per burst. */
static size_t dynb_clamp(struct dynb_dev *st, struct dynb_hit *hit,
			 size_t size)
{
	if (size <= hit->room)
		return size;
	dev_err_ratelimited(st->dev, "dynbounce: %zu bytes asked at %pa, the mapping has %zu left\n",
			    size, &hit->start, hit->room);
	return hit->room;
}

/*
 * Where an address that dynbounce did not bounce goes, and as which handle:
 * a slot of the kernel's swiotlb (mapped before attach) to the coherent
 * shadow, which has that swiotlb; anything else, on a non-coherent device,
 * to the streaming shadow for cache maintenance, by physical address (its
 * handles are physical addresses). NULL: dma-direct would do nothing.
 */
static struct device *dynb_foreign_dev(struct dynb_dev *st, dma_addr_t *addr)
{
	phys_addr_t phys = dma_to_phys(st->dev, *addr);

	if (dynb_in_kernel_swiotlb(st->dev, phys))
		return dynb_coh_fresh(st);
	if (dev_is_dma_coherent(st->dev))
		return NULL;
	*addr = phys;
	return &st->shadow;
}

static void dynb_unmap_one(struct dynb_dev *st, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	struct dynb_hit hit;

	atomic_long_inc(&st->cnt.unmaps);
	if (!dynb_lookup(st, addr, &hit)) {
		struct device *fwd;

		trace_unmap(st->dev, addr, size, dir, DYNB_PATH_PASSTHROUGH);
		fwd = dynb_foreign_dev(st, &addr);
		if (fwd)
			dma_unmap_page_attrs(fwd, addr, size, dir, attrs);
		return;
	}
	size = hit.room;
	trace_unmap(st->dev, addr, size, dir,
		    hit.slot ? DYNB_PATH_FIXED : DYNB_PATH_DYNAMIC);
	/* DMA-API: what the device wrote reaches the caller at unmap. */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)) {
		dynb_bounce_for_cpu(st, hit.sdma, size, dir);
		dynb_copy_from_bounce(hit.orig, hit.vaddr, size);
		atomic_long_add(size, &st->cnt.bytes_from_device);
	}
	if (hit.slot)
		dynb_pool_unmap(hit.pool, hit.slot);
	else
		dynb_dyn_put(st, hit.buf);
	module_put(THIS_MODULE);
}

static void dynb_sync_one(struct dynb_dev *st, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, bool for_cpu)
{
	struct dynb_hit hit;

	if (!dynb_lookup(st, addr, &hit)) {
		struct device *fwd;

		trace_sync(st->dev, addr, size, dir, for_cpu, false);
		fwd = dynb_foreign_dev(st, &addr);
		if (fwd && for_cpu)
			dma_sync_single_for_cpu(fwd, addr, size, dir);
		else if (fwd)
			dma_sync_single_for_device(fwd, addr, size, dir);
		return;
	}
	size = dynb_clamp(st, &hit, size);
	trace_sync(st->dev, addr, size, dir, for_cpu, true);
	if (for_cpu) {
		/* DMA-API: sync_for_cpu hands the device's bytes over. */
		dynb_bounce_for_cpu(st, hit.sdma, size, dir);
		if (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL) {
			dynb_copy_from_bounce(hit.orig, hit.vaddr, size);
			atomic_long_add(size, &st->cnt.bytes_from_device);
		}
	} else {
		/* DMA-API: sync_for_device hands the CPU's bytes over. */
		if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL) {
			dynb_copy_to_bounce(hit.vaddr, hit.orig, size);
			atomic_long_add(size, &st->cnt.bytes_to_device);
			dir = DMA_TO_DEVICE;
		}
		dynb_bounce_for_device(st, hit.sdma, size, dir);
	}
}

/* ---- dma_map_ops: streaming (any context) ------------------------------- */

static dma_addr_t dynb_map_page(struct device *dev, struct page *page,
				unsigned long offset, size_t size,
				enum dma_data_direction dir,
				unsigned long attrs)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);
	dma_addr_t dma;

	dma = dynb_map_one(st, page_to_phys(page) + offset, size, dir, attrs);
	srcu_read_unlock(&dynb_srcu, idx);
	return dma;
}

static void dynb_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);

	dynb_unmap_one(st, addr, size, dir, attrs);
	srcu_read_unlock(&dynb_srcu, idx);
}

/*
 * Each entry is mapped on its own, so a list may mix passthrough and
 * bounced entries; nothing is merged and the count returned is @nents.
 */
static int dynb_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir, unsigned long attrs)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);
	struct scatterlist *sg;
	int i, j;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = dynb_map_one(st, sg_phys(sg), sg->length,
					       dir, attrs);
		if (sg->dma_address == DMA_MAPPING_ERROR)
			goto undo;
		sg_dma_len(sg) = sg->length;
	}
	srcu_read_unlock(&dynb_srcu, idx);
	return nents;

undo:
	/* Nothing reached the device: give back without copying out. */
	for_each_sg(sgl, sg, i, j)
		dynb_unmap_one(st, sg->dma_address, sg_dma_len(sg), dir,
			       attrs | DMA_ATTR_SKIP_CPU_SYNC);
	srcu_read_unlock(&dynb_srcu, idx);
	return -ENOMEM;
}

static void dynb_unmap_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		dynb_unmap_one(st, sg->dma_address, sg_dma_len(sg), dir, attrs);
	srcu_read_unlock(&dynb_srcu, idx);
}

static void dynb_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				     size_t size, enum dma_data_direction dir)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);

	dynb_sync_one(st, addr, size, dir, true);
	srcu_read_unlock(&dynb_srcu, idx);
}

static void dynb_sync_single_for_device(struct device *dev, dma_addr_t addr,
					size_t size,
					enum dma_data_direction dir)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);

	dynb_sync_one(st, addr, size, dir, false);
	srcu_read_unlock(&dynb_srcu, idx);
}

static void dynb_sync_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir, bool for_cpu)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		dynb_sync_one(st, sg->dma_address, sg_dma_len(sg), dir,
			      for_cpu);
	srcu_read_unlock(&dynb_srcu, idx);
}

static void dynb_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
				 int nents, enum dma_data_direction dir)
{
	dynb_sync_sg(dev, sgl, nents, dir, true);
}

static void dynb_sync_sg_for_device(struct device *dev,
				    struct scatterlist *sgl, int nents,
				    enum dma_data_direction dir)
{
	dynb_sync_sg(dev, sgl, nents, dir, false);
}

static struct device *dynb_coh(struct device *dev)
{
	return dynb_coh_fresh(dynb_from_dev(dev));
}

/* MMIO is never bounced: dma-direct's answer for the device. */
static dma_addr_t dynb_map_resource(struct device *dev, phys_addr_t phys,
				    size_t size, enum dma_data_direction dir,
				    unsigned long attrs)
{
	return dma_map_resource(dynb_coh(dev), phys, size, dir, attrs);
}

static void dynb_unmap_resource(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir,
				unsigned long attrs)
{
	dma_unmap_resource(dynb_coh(dev), addr, size, dir, attrs);
}

/*
 * The largest mapping dynbounce serves in any context: max_segment, and
 * what the pool or the page allocator holds in one piece, less the room
 * min_align_mask may take. (CMA may serve more when the caller can sleep.)
 */
static size_t dynb_max_mapping_size(struct device *dev)
{
	struct dynb_dev *st = dynb_from_dev(dev);
	int idx = srcu_read_lock(&dynb_srcu);
	struct dynb_pool *pool = srcu_dereference(st->pool, &dynb_srcu);
	size_t room = pool ? pool->size : 0;
	u64 cap;

	if (READ_ONCE(dynb_dynamic)) {
		room = max(room, dynb_dyn_max_contig());
		cap = READ_ONCE(dynb_dyn_max);
		if (cap && cap < room)
			room = max_t(size_t, cap, pool ? pool->size : 0);
	}
	srcu_read_unlock(&dynb_srcu, idx);
	room -= min_t(size_t, room, dma_get_min_align_mask(dev));
	return min_t(u64, room, READ_ONCE(dynb_max_segment));
}

/* ---- dma_map_ops: everything else, forwarded to dma-direct -------------- */

/* Process context (as dma_set_mask): what dma-direct answers for the mask. */
static int dynb_dma_supported(struct device *dev, u64 mask)
{
	struct device *probe;
	int ok;

	/*
	 * Ask dma-direct on a scratch shadow, so neither the real nor the
	 * shadow masks change. struct device is too big for the stack; if
	 * even this small allocation fails, say yes: whatever the device
	 * cannot reach is bounced anyway.
	 */
	probe = kzalloc(sizeof(*probe), GFP_ATOMIC | __GFP_NOWARN);
	if (!probe)
		return 1;
	dynb_shadow_copy(probe, dynb_from_dev(dev)->dev);
	ok = dma_set_coherent_mask(probe, mask) == 0;
	kfree(probe);
	return ok;
}

static u64 dynb_get_required_mask(struct device *dev)
{
	return dma_get_required_mask(dynb_coh_fresh(dynb_from_dev(dev)));
}

/*
 * DMA-API debug records each coherent allocation by device. Forwarded
 * through the coherent shadow, a buffer would be recorded twice, for the
 * shadow and then for the device ("cacheline tracking EEXIST"), and against
 * a shadow that is freed at detach (a later free is "not allocated", and
 * the debug dump reads the freed shadow). On a coherent device whose memory
 * needs no decryption, dma-direct's coherent buffer is plain pages in the
 * linear map: dynbounce asks for them with DMA_ATTR_NO_KERNEL_MAPPING,
 * whose struct page cookie DMA-API debug does not record, and hands the
 * caller their linear address, zeroed as dma-direct does. Only the
 * device's own record remains, and the buffer may be freed before attach,
 * during it or after it alike.
 */
static bool dynb_coh_unrecorded(struct device *dev, unsigned long attrs)
{
	return IS_ENABLED(CONFIG_DMA_API_DEBUG) && !IS_ENABLED(CONFIG_HIGHMEM) &&
	       dev_is_dma_coherent(dev) &&
	       !(attrs & DMA_ATTR_NO_KERNEL_MAPPING) &&
	       !cc_platform_has(CC_ATTR_MEM_ENCRYPT) &&
	       !dynb_kernel_forces_bounce(dev) && !is_swiotlb_for_alloc(dev);
}

static void *dynb_alloc(struct device *dev, size_t size, dma_addr_t *handle,
			gfp_t gfp, unsigned long attrs)
{
	struct device *coh = dynb_coh(dev);
	struct page *page;

	if (!dynb_coh_unrecorded(dev, attrs))
		return dma_alloc_attrs(coh, size, handle, gfp, attrs);
	page = dma_alloc_attrs(coh, size, handle, gfp,
			       attrs | DMA_ATTR_NO_KERNEL_MAPPING);
	if (!page)
		return NULL;
	memset(page_address(page), 0, PAGE_ALIGN(size));
	return page_address(page);
}

static void dynb_free(struct device *dev, size_t size, void *vaddr,
		      dma_addr_t handle, unsigned long attrs)
{
	struct device *coh = dynb_coh(dev);

	if (!dynb_coh_unrecorded(dev, attrs) || !virt_addr_valid(vaddr))
		dma_free_attrs(coh, size, vaddr, handle, attrs);
	else
		dma_free_attrs(coh, size, virt_to_page(vaddr), handle,
			       attrs | DMA_ATTR_NO_KERNEL_MAPPING);
}

static struct page *dynb_alloc_pages(struct device *dev, size_t size,
				     dma_addr_t *handle,
				     enum dma_data_direction dir, gfp_t gfp)
{
	return dma_alloc_pages(dynb_coh(dev), size, handle, dir, gfp);
}

static void dynb_free_pages(struct device *dev, size_t size,
			    struct page *page, dma_addr_t handle,
			    enum dma_data_direction dir)
{
	dma_free_pages(dynb_coh(dev), size, page, handle, dir);
}

static int dynb_mmap(struct device *dev, struct vm_area_struct *vma,
		     void *vaddr, dma_addr_t handle, size_t size,
		     unsigned long attrs)
{
	return dma_mmap_attrs(dynb_coh(dev), vma, vaddr, handle, size, attrs);
}

static int dynb_get_sgtable(struct device *dev, struct sg_table *sgt,
			    void *vaddr, dma_addr_t handle, size_t size,
			    unsigned long attrs)
{
	return dma_get_sgtable_attrs(dynb_coh(dev), sgt, vaddr, handle, size,
				     attrs);
}

static void dynb_ops_init(struct dynb_dev *st)
{
	st->ops.alloc = dynb_alloc;
	st->ops.free = dynb_free;
	st->ops.DYNB_OPS_ALLOC_PAGES = dynb_alloc_pages;
	st->ops.free_pages = dynb_free_pages;
	st->ops.mmap = dynb_mmap;
	st->ops.get_sgtable = dynb_get_sgtable;
	st->ops.map_page = dynb_map_page;
	st->ops.unmap_page = dynb_unmap_page;
	st->ops.map_sg = dynb_map_sg;
	st->ops.unmap_sg = dynb_unmap_sg;
	st->ops.map_resource = dynb_map_resource;
	st->ops.unmap_resource = dynb_unmap_resource;
	st->ops.sync_single_for_cpu = dynb_sync_single_for_cpu;
	st->ops.sync_single_for_device = dynb_sync_single_for_device;
	st->ops.sync_sg_for_cpu = dynb_sync_sg_for_cpu;
	st->ops.sync_sg_for_device = dynb_sync_sg_for_device;
	st->ops.dma_supported = dynb_dma_supported;
	st->ops.get_required_mask = dynb_get_required_mask;
	st->ops.max_mapping_size = dynb_max_mapping_size;
	/* dma-direct has no merge boundary: get_merge_boundary stays NULL. */
}

/* ---- attach and detach (process context, dynb_lock held) ---------------- */

static void dynb_pool_work(struct work_struct *work);

struct dynb_dev *dynb_find(struct device *dev)
{
	struct dynb_dev *st;

	lockdep_assert_held(&dynb_lock);
	list_for_each_entry(st, &dynb_devices, link)
		if (st->dev == dev)
			return st;
	return NULL;
}

static bool dynb_busy(struct dynb_dev *st)
{
	struct dynb_pool *pool = rcu_dereference_protected(st->pool,
						lockdep_is_held(&dynb_lock));
	struct dynbounce_stats s;
	size_t used, hiwater;

	dynb_pool_usage(pool, &used, &hiwater);
	dynb_dyn_usage(st, &s);
	return used || s.dyn_live;
}

static void dynb_release(struct dynb_dev *st)
{
	dynb_dyn_destroy(st);
	dynb_pool_free(st, rcu_dereference_protected(st->pool, true));
	put_device(st->dev);
	kfree(st);
}

int dynb_attach(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	size_t pool_size = READ_ONCE(dynb_pool_size);
	struct dynb_pool *pool = NULL;
	struct dynb_dev *st;

	lockdep_assert_held(&dynb_lock);
	if (dynb_find(dev))
		return -EEXIST;
	if (ops) {
		dev_err(dev, "dynbounce: not attaching: the device has DMA ops of its own (%ps); dynbounce stacks only on dma-direct\n",
			ops);
		return -EOPNOTSUPP;
	}
	if (dynb_dev_uses_dma_iommu(dev)) {
		dev_err(dev, "dynbounce: not attaching: the device uses dma-iommu, which bypasses dma_ops (its IOMMU already reaches all memory)\n");
		return -EOPNOTSUPP;
	}
	if (!dev->dma_mask) {
		dev_err(dev, "dynbounce: not attaching: the device has no DMA mask (not set up for DMA)\n");
		return -EINVAL;
	}

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->dev = get_device(dev);
	dynb_shadows_init(st);
	if (pool_size) {
		pool = dynb_pool_create(st, pool_size);
		if (!pool) {
			put_device(dev);
			kfree(st);
			return -ENOMEM;
		}
	}
	RCU_INIT_POINTER(st->pool, pool);
	INIT_DELAYED_WORK(&st->pool_work, dynb_pool_work);
	dynb_dyn_init(st);
	dynb_ops_init(st);
	list_add_tail(&st->link, &dynb_devices);
	dynb_debugfs_add(st);

	/* Syncs must reach the overlay before any bounced mapping exists. */
	st->saved_skip_sync = dynb_skip_sync_get(dev);
	dynb_skip_sync_set(dev, false);
	set_dma_ops(dev, &st->ro);

	if (pool)
		dev_info(dev, "dynbounce: attached: pool %zu KiB at %pa, device reaches %#llx%s\n",
			 pool->size >> 10, &pool->phys, dma_get_mask(dev),
			 dev_is_dma_coherent(dev) ? "" : ", non-coherent");
	else
		dev_info(dev, "dynbounce: attached: no pool, device reaches %#llx\n",
			 dma_get_mask(dev));
	return 0;
}

/*
 * Put the device's own (dma-direct) ops back. With @waiting (module exit),
 * wait for live bounced mappings instead of refusing.
 */
int dynb_detach(struct device *dev, bool waiting)
{
	struct dynb_dev *st;
	unsigned int waited = 0;

	lockdep_assert_held(&dynb_lock);
	st = dynb_find(dev);
	if (!st)
		return -ENODEV;
	if (!waiting && dynb_busy(st)) {
		dev_warn(dev, "dynbounce: not detaching: bounced mappings are live\n");
		return -EBUSY;
	}
	if (get_dma_ops(dev) == &st->ro)
		set_dma_ops(dev, NULL);
	/*
	 * Callbacks that found our ops before the store above are in flight:
	 * wait for them (SRCU), and for tasks preempted between reading the
	 * ops and entering a callback (RCU tasks).
	 */
	synchronize_srcu(&dynb_srcu);
	synchronize_rcu_tasks();
	while (dynb_busy(st)) {
		if (!waiting) {
			/* A mapping slipped in before the ops went: undo. */
			set_dma_ops(dev, &st->ro);
			dev_warn(dev, "dynbounce: not detaching: bounced mappings are live\n");
			return -EBUSY;
		}
		if (!(waited++ % 50))
			dev_warn(dev, "dynbounce: waiting for live bounced mappings to be unmapped\n");
		msleep(100);
	}
	dynb_skip_sync_set(dev, st->saved_skip_sync);
	cancel_delayed_work_sync(&st->pool_work);
	list_del(&st->link);
	dynb_debugfs_remove(st);
	dev_info(dev, "dynbounce: detached\n");
	dynb_release(st);
	return 0;
}

/*
 * Process context, dynb_lock held. Give the device the pool pool_size asks
 * for, below its current mask: at once if the pool is idle, else retried
 * every 200 ms by pool_work until it is. 0 when nothing had to change.
 */
int dynb_pool_apply(struct dynb_dev *st)
{
	size_t want = READ_ONCE(dynb_pool_size);
	struct dynb_pool *pool, *fresh = NULL, *old;
	int ret;

	lockdep_assert_held(&dynb_lock);
	pool = rcu_dereference_protected(st->pool, lockdep_is_held(&dynb_lock));
	if ((pool ? pool->size : 0) == want &&
	    (!pool || dynb_pool_reachable(st, pool)))
		return 0;
	if (want) {
		fresh = dynb_pool_create(st, want);
		if (!fresh)
			return -ENOMEM;
	}
	ret = dynb_pool_swap(st, fresh, &old);
	if (ret) {
		dynb_pool_free(st, fresh);
		schedule_delayed_work(&st->pool_work, HZ / 5);
		return ret;
	}
	dynb_pool_free(st, old);
	if (fresh)
		dev_info(st->dev, "dynbounce: pool now %zu KiB at %pa (mask %#llx)\n",
			 fresh->size >> 10, &fresh->phys, dma_get_mask(st->dev));
	else
		dev_info(st->dev, "dynbounce: pool removed (pool_size=0)\n");
	return 0;
}

/* Process context (system_wq). Never waits for dynb_lock: detach cancels us. */
static void dynb_pool_work(struct work_struct *work)
{
	struct dynb_dev *st = container_of(to_delayed_work(work),
					   struct dynb_dev, pool_work);

	if (!mutex_trylock(&dynb_lock)) {
		schedule_delayed_work(&st->pool_work, HZ / 5);
		return;
	}
	dynb_pool_apply(st);
	mutex_unlock(&dynb_lock);
}

/*
 * Process context, dynb_lock held: the bus core has just (re)configured DMA
 * for the device (before probe), its driver has just probed (@bound), or it
 * was unbound.
 */
void dynb_refresh(struct dynb_dev *st, bool bound)
{
	struct device *dev = st->dev;

	lockdep_assert_held(&dynb_lock);
	dynb_shadow_track_mask(st);
	dynb_coh_fresh(st);
	if (get_dma_ops(dev) != &st->ro) {
		if (get_dma_ops(dev) || dynb_dev_uses_dma_iommu(dev)) {
			dev_err(dev, "dynbounce: the device's DMA set-up replaced the overlay; bounced mappings will not work until it is detached\n");
			return;
		}
		set_dma_ops(dev, &st->ro);
	}
	dynb_skip_sync_set(dev, false);
	/* The driver may have narrowed its mask below the pool: move it. */
	if (bound)
		dynb_pool_apply(st);
}
