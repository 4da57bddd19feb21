// SPDX-License-Identifier: GPL-2.0
/*
 * pool.c - the fixed pool: one block of device-reachable memory per attached
 * device, carved into 2 KiB slots.
 *
 * A mapping takes a run of free slots found by a next-fit search of a bitmap,
 * so a freed run is handed out again only once the search has come round
 * (and, on DMA_API_DEBUG kernels, not before it has rested, see
 * DYNB_REST_JIFFIES). Every slot of the run records the run's first slot, so an address anywhere
 * inside a mapping (dma_sync_single_range_*() passes such addresses) leads
 * back to the mapping in O(1). The first slot records the original buffer.
 *
 * The pool hangs off its device by an SRCU-protected pointer so it can be
 * replaced while the device is live (a driver narrowed its DMA mask after
 * attach, or pool_size changed): the old pool is retired under its lock once
 * idle, no mapping can enter it after that, and it is freed when the SRCU
 * readers that might still look at it are gone.
 */
#include "dynbounce_int.h"

#include <linux/bitmap.h>
#include <linux/dma-direct.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

static unsigned int dynb_nr_slots(size_t bytes)
{
	return max_t(unsigned int, 1, DIV_ROUND_UP(bytes, DYNB_SLOT_SIZE));
}

static phys_addr_t dynb_slot_phys(struct dynb_pool *pool, unsigned int idx)
{
	return pool->phys + ((phys_addr_t)idx << DYNB_SLOT_SHIFT);
}

/*
 * Process context. A pool of @size bytes the device can reach now. The
 * streaming shadow's coherent mask is the device's streaming limit in
 * physical terms, so dma-direct picks the zone (and CMA, for a pool beyond
 * the page allocator's limit) as it would for the device itself. Without a
 * CMA area to give it, a pool beyond that limit comes from contig.c.
 */
struct dynb_pool *dynb_pool_create(struct dynb_dev *st, size_t size)
{
	struct dynb_pool *pool;
	unsigned int n = size >> DYNB_SLOT_SHIFT;
	struct page *page;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	spin_lock_init(&pool->lock);
	pool->map = bitmap_zalloc(n, GFP_KERNEL);
	pool->slots = kvcalloc(n, sizeof(*pool->slots), GFP_KERNEL);
	if (!pool->map || !pool->slots)
		goto fail;
	if (DYNB_REST_JIFFIES) {
		pool->rest = kvcalloc(n, sizeof(*pool->rest), GFP_KERNEL);
		if (!pool->rest)
			goto fail;
	}

	dynb_shadow_track_mask(st);
	page = dma_alloc_pages(&st->shadow, size, &pool->sdma, DMA_BIDIRECTIONAL,
			       GFP_KERNEL | __GFP_NOWARN);
	if (page && !dma_capable(st->dev, dynb_bounce_dma(st, page_to_phys(page)),
				 size, true)) {
		dma_free_pages(&st->shadow, size, page, pool->sdma,
			       DMA_BIDIRECTIONAL);
		page = NULL;
	}
	/* Past the page allocator's largest block and no CMA to serve it. */
	if (!page && size > (PAGE_SIZE << DYNB_MAX_ORDER)) {
		page = dynb_contig_alloc(st, size, &pool->sdma);
		pool->contig = !!page;
		if (page)
			dev_info(st->dev, "dynbounce: %zu KiB pool from movable memory at %#llx (no CMA area could give it)\n",
				 size >> 10, (u64)page_to_phys(page));
	}
	if (!page) {
		dev_err(st->dev, "dynbounce: cannot allocate a %zu KiB pool the device reaches (mask %#llx)\n",
			size >> 10, dma_get_mask(st->dev));
		goto fail;
	}
	pool->vaddr = page_address(page);
	pool->phys = page_to_phys(page);
	pool->nslots = n;
	pool->size = size;
	return pool;
fail:
	bitmap_free(pool->map);
	kvfree(pool->slots);
	kvfree(pool->rest);
	kfree(pool);
	return NULL;
}

/* Process context; the pool must be idle and unreachable by readers. */
void dynb_pool_free(struct dynb_dev *st, struct dynb_pool *pool)
{
	if (!pool)
		return;
	if (pool->contig)
		dynb_contig_free(st, virt_to_page(pool->vaddr), pool->size,
				 pool->sdma);
	else
		dma_free_pages(&st->shadow, pool->size,
			       virt_to_page(pool->vaddr), pool->sdma,
			       DMA_BIDIRECTIONAL);
	bitmap_free(pool->map);
	kvfree(pool->slots);
	kvfree(pool->rest);
	kfree(pool);
}

/*
 * Process context, dynb_lock held. Put @fresh (may be NULL: no pool) in place
 * of the device's pool if the old one is idle, and hand the old one back in
 * *@old for the caller to free. -EBUSY while the old pool has live mappings.
 */
int dynb_pool_swap(struct dynb_dev *st, struct dynb_pool *fresh,
		   struct dynb_pool **oldp)
{
	struct dynb_pool *old = rcu_dereference_protected(st->pool,
						lockdep_is_held(&dynb_lock));
	unsigned long flags;

	if (old) {
		spin_lock_irqsave(&old->lock, flags);
		if (old->used) {
			spin_unlock_irqrestore(&old->lock, flags);
			return -EBUSY;
		}
		/* No mapping may enter it from now on; see dynb_pool_map(). */
		old->retired = true;
		spin_unlock_irqrestore(&old->lock, flags);
	}
	rcu_assign_pointer(st->pool, fresh);
	/* Mappings that found @old before the swap have failed over by now. */
	synchronize_srcu(&dynb_srcu);
	*oldp = old;
	return 0;
}

/*
 * Can the device still reach the whole pool? A driver may narrow its mask
 * after attach (in probe); such a pool is skipped until it is replaced.
 */
bool dynb_pool_reachable(struct dynb_dev *st, struct dynb_pool *pool)
{
	return pool && dma_capable(st->dev, dynb_bounce_dma(st, pool->phys),
				   pool->size, true);
}

/* Free the resting runs that rested long enough (all with @all); lock held. */
static void dynb_pool_wake(struct dynb_pool *pool, bool all)
{
	struct dynb_rest *r;

	lockdep_assert_held(&pool->lock);
	while (pool->rest_nr) {
		r = &pool->rest[pool->rest_head];
		if (!all && time_before(jiffies, r->stamp + DYNB_REST_JIFFIES))
			break;
		bitmap_clear(pool->map, r->idx, r->n);
		pool->resting -= (size_t)r->n << DYNB_SLOT_SHIFT;
		pool->rest_head = (pool->rest_head + 1) % pool->nslots;
		pool->rest_nr--;
	}
}

/* Any context. End the rest of every resting run now. */
void dynb_pool_wake_all(struct dynb_pool *pool)
{
	unsigned long flags;

	if (!pool)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	dynb_pool_wake(pool, true);
	spin_unlock_irqrestore(&pool->lock, flags);
}

/* Find @n free slots aligned to @align_slots (a power of two); lock held. */
static unsigned long dynb_pool_search(struct dynb_pool *pool, unsigned int n,
				      unsigned long align_slots)
{
	unsigned long start;

	lockdep_assert_held(&pool->lock);
	/*
	 * An empty pool starts again from its base. Otherwise the next run
	 * begins wherever the last one ended, and a pair of large mappings
	 * that fits the pool (two 13.5 MiB frames in 32 MiB) may not: the
	 * first lands mid-pool and leaves no room above or below it.
	 */
	if (!pool->used && !pool->resting)
		pool->hint = 0;
	start = bitmap_find_next_zero_area(pool->map, pool->nslots, pool->hint,
					   n, align_slots - 1);
	if (start >= pool->nslots && pool->hint)
		start = bitmap_find_next_zero_area(pool->map, pool->nslots, 0,
						   n, align_slots - 1);
	return start;
}

/*
 * Any context. Take slots for @pad + @size bytes, the run starting on a
 * multiple of @align_slots slots; *@phys gets the physical address of the
 * data (run start + @pad). False when no run is free. Copies nothing.
 */
bool dynb_pool_map(struct dynb_pool *pool, phys_addr_t orig, size_t size,
		   size_t pad, unsigned long align_slots, phys_addr_t *phys)
{
	unsigned int n = dynb_nr_slots(pad + size);
	unsigned long flags, idx;
	unsigned int i;

	if (pad + size > pool->size)
		return false;

	spin_lock_irqsave(&pool->lock, flags);
	dynb_pool_wake(pool, false);
	idx = pool->retired ? pool->nslots :
	      dynb_pool_search(pool, n, align_slots);
	if (idx >= pool->nslots) {
		spin_unlock_irqrestore(&pool->lock, flags);
		return false;
	}
	bitmap_set(pool->map, idx, n);
	pool->hint = idx + n < pool->nslots ? idx + n : 0;
	pool->used += (size_t)n << DYNB_SLOT_SHIFT;
	if (pool->used > pool->hiwater)
		pool->hiwater = pool->used;
	for (i = idx; i < idx + n; i++)
		pool->slots[i].head = idx;
	pool->slots[idx].nslots = n;
	pool->slots[idx].pad = pad;
	pool->slots[idx].size = size;
	pool->slots[idx].orig = orig;
	spin_unlock_irqrestore(&pool->lock, flags);

	*phys = dynb_slot_phys(pool, idx) + pad;
	return true;
}

/*
 * Any context. The mapping that contains @phys, or NULL if @phys is not in
 * the pool; *@start gets the physical address of the mapping's data.
 */
struct dynb_slot *dynb_pool_find(struct dynb_pool *pool, phys_addr_t phys,
				 phys_addr_t *start)
{
	struct dynb_slot *head;
	unsigned int idx;

	if (!pool || phys < pool->phys || phys - pool->phys >= pool->size)
		return NULL;
	idx = pool->slots[(phys - pool->phys) >> DYNB_SLOT_SHIFT].head;
	head = &pool->slots[idx];
	*start = dynb_slot_phys(pool, idx) + head->pad;
	return head;
}

/* Kernel address of pool memory at @phys. */
void *dynb_pool_vaddr(struct dynb_pool *pool, phys_addr_t phys)
{
	return pool->vaddr + (phys - pool->phys);
}

/* The streaming shadow's handle of pool memory at @phys. */
dma_addr_t dynb_pool_sdma(struct dynb_pool *pool, phys_addr_t phys)
{
	return pool->sdma + (phys - pool->phys);
}

/*
 * Any context. Give the slots of @head's mapping back: free at once, or
 * (DYNB_REST_JIFFIES) to the end of the rest ring, freed once they rested.
 */
void dynb_pool_unmap(struct dynb_pool *pool, struct dynb_slot *head)
{
	unsigned int idx = head - pool->slots;
	unsigned int n = head->nslots;
	unsigned long flags;
	struct dynb_rest *r;

	spin_lock_irqsave(&pool->lock, flags);
	pool->used -= (size_t)n << DYNB_SLOT_SHIFT;
	if (pool->rest) {
		/* Runs are disjoint and at least a slot: the ring never overflows. */
		r = &pool->rest[(pool->rest_head + pool->rest_nr) % pool->nslots];
		r->idx = idx;
		r->n = n;
		r->stamp = jiffies;
		pool->rest_nr++;
		pool->resting += (size_t)n << DYNB_SLOT_SHIFT;
	} else {
		bitmap_clear(pool->map, idx, n);
	}
	spin_unlock_irqrestore(&pool->lock, flags);
}

/* Any context. The high-water mark comes down to what is in use now. */
void dynb_pool_reset_hiwater(struct dynb_pool *pool)
{
	unsigned long flags;

	if (!pool)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	pool->hiwater = pool->used;
	spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * Process context (debugfs). Size, slot size, use, and the largest run of
 * free slots: the biggest mapping the pool could take right now.
 */
void dynb_pool_show(struct seq_file *m, struct dynb_dev *st,
		    struct dynb_pool *pool)
{
	dma_addr_t dma;

	unsigned long flags, bit, end, run = 0;
	size_t used, hiwater, resting;

	if (!pool) {
		seq_puts(m, "size: 0\n");
		return;
	}
	spin_lock_irqsave(&pool->lock, flags);
	used = pool->used;
	hiwater = pool->hiwater;
	resting = pool->resting;
	for (bit = find_first_zero_bit(pool->map, pool->nslots);
	     bit < pool->nslots;
	     bit = find_next_zero_bit(pool->map, pool->nslots, end)) {
		end = find_next_bit(pool->map, pool->nslots, bit);
		run = max(run, end - bit);
	}
	spin_unlock_irqrestore(&pool->lock, flags);

	seq_printf(m, "size: %zu\n", pool->size);
	dma = dynb_bounce_dma(st, pool->phys);
	seq_printf(m, "dma: %pad\n", &dma);
	seq_printf(m, "phys: %pa\n", &pool->phys);
	seq_printf(m, "slot_size: %lu\n", DYNB_SLOT_SIZE);
	seq_printf(m, "slots: %u\n", pool->nslots);
	seq_printf(m, "used: %zu\n", used);
	/* Free of live mappings; on DMA_API_DEBUG kernels part may rest. */
	seq_printf(m, "free: %zu\n", pool->size - used);
	seq_printf(m, "resting: %zu\n", resting);
	seq_printf(m, "largest_free_run: %lu\n", run << DYNB_SLOT_SHIFT);
	seq_printf(m, "hiwater: %zu\n", hiwater);
}

/* Any context. used/hiwater under the lock, for stats. */
void dynb_pool_usage(struct dynb_pool *pool, size_t *used, size_t *hiwater)
{
	unsigned long flags;

	*used = 0;
	*hiwater = 0;
	if (!pool)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	*used = pool->used;
	*hiwater = pool->hiwater;
	spin_unlock_irqrestore(&pool->lock, flags);
}
