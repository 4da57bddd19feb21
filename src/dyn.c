// SPDX-License-Identifier: GPL-2.0
/*
 * dyn.c - dynamic bounce buffers: device-reachable memory allocated when the
 * fixed pool is full or too small, and given back when idle.
 *
 * A buffer is a power-of-two run of pages from the page allocator (up to its
 * largest order), or, beyond that and only when the caller may sleep, a run
 * from CMA. Every buffer the device owns, live or cached, sits in an xarray
 * keyed by page frame number, stored over all its pages
 * (as multi-index entries), so unmap and sync find the buffer that contains
 * any address in O(log n) and entries of nearby buffers share leaf nodes.
 *
 * Allocation costs as much as the copy from 64 KiB up, so an unmapped buffer
 * is not freed: it goes to a per-order cache, keeps its xarray entry, and
 * the next mapping of that order reuses it with no allocation and no xarray
 * store. A delayed work gives back buffers idle for about a second.
 */
#include "dynbounce_int.h"

#include <linux/dma-direct.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

/* A buffer idle this long goes back to the allocator. */
#define DYNB_IDLE_JIFFIES	HZ
/* The cache never keeps more than this beyond the idle time. */
#define DYNB_CACHE_MAX		(64UL << 20)

static unsigned long dynb_key(phys_addr_t phys)
{
	return PHYS_PFN(phys);
}

/* Largest buffer the page allocator can give in any context. */
size_t dynb_dyn_max_contig(void)
{
	return PAGE_SIZE << DYNB_MAX_ORDER;
}

/*
 * Any context. Store @entry over every page of @buf: [first, last] cut into
 * aligned power-of-two runs, one multi-index entry each. Storing NULL over
 * the same runs erases them and never allocates.
 */
static int dynb_xa_cover(struct dynb_dyn *dyn, struct dynb_buf *buf,
			 void *entry)
{
	unsigned long first = dynb_key(buf->phys);
	unsigned long last = dynb_key(buf->phys + buf->alloc - 1);
	unsigned long flags;

	while (first <= last) {
		unsigned int order = min3(first ? __ffs(first) : BITS_PER_LONG - 1,
					  (unsigned int)ilog2(last - first + 1),
					  dynb_xa_max_order());
		XA_STATE_ORDER(xas, &dyn->xa, first, order);

		do {
			xas_lock_irqsave(&xas, flags);
			xas_store(&xas, entry);
			xas_unlock_irqrestore(&xas, flags);
		} while (xas_nomem(&xas, GFP_NOWAIT | __GFP_NOWARN));
		if (xas_error(&xas))
			return xas_error(&xas);
		first += 1UL << order;
	}
	return 0;
}

/*
 * Any context. Allocate a buffer of @alloc bytes (@order, or -1 for CMA)
 * that the device reaches, and enter it into the xarray.
 */
static struct dynb_buf *dynb_buf_alloc(struct dynb_dev *st, int order,
				       size_t alloc)
{
	struct dynb_dyn *dyn = &st->dyn;
	struct page *page = NULL;
	struct dynb_buf *buf;
	unsigned int noio;

	buf = kmalloc(sizeof(*buf), GFP_NOWAIT | __GFP_NOWARN);
	if (!buf)
		return NULL;

	dynb_shadow_track_mask(st);
	if (order >= 0)
		page = dma_alloc_pages(&st->shadow, alloc, &buf->sdma,
				       DMA_BIDIRECTIONAL,
				       GFP_NOWAIT | __GFP_NOWARN);
	/*
	 * Beyond the page allocator's limit only CMA has contiguous memory,
	 * and CMA sleeps: try it only when the caller provably may sleep,
	 * and keep reclaim from recursing into I/O that may be ours.
	 */
	if (!page && dynb_caller_may_sleep()) {
		noio = memalloc_noio_save();
		page = dma_alloc_pages(&st->shadow, alloc, &buf->sdma,
				       DMA_BIDIRECTIONAL,
				       GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);
		memalloc_noio_restore(noio);
	}
	if (!page)
		goto free_buf;
	/* The device's mask may have narrowed since the shadow's was set. */
	if (!dma_capable(st->dev, dynb_bounce_dma(st, page_to_phys(page)),
			 alloc, true)) {
		dma_free_pages(&st->shadow, alloc, page, buf->sdma,
			       DMA_BIDIRECTIONAL);
		goto free_buf;
	}

	buf->vaddr = page_address(page);
	buf->phys = page_to_phys(page);
	buf->alloc = alloc;
	buf->order = order;
	buf->state = DYNB_BUF_LIVE;
	if (dynb_xa_cover(dyn, buf, buf))
		goto free_pages;
	return buf;

free_pages:
	dynb_xa_cover(dyn, buf, NULL);
	dma_free_pages(&st->shadow, alloc, page, buf->sdma, DMA_BIDIRECTIONAL);
free_buf:
	kfree(buf);
	return NULL;
}

/* Process context. @buf is dead: off the xarray, back to the allocator. */
static void dynb_buf_free(struct dynb_dev *st, struct dynb_buf *buf)
{
	dynb_xa_cover(&st->dyn, buf, NULL);
	dma_free_pages(&st->shadow, buf->alloc, virt_to_page(buf->vaddr),
		       buf->sdma, DMA_BIDIRECTIONAL);
	/* Lookups may still hold it under rcu_read_lock(). */
	kfree_rcu(buf, rcu);
}

/* Was @buf (cached) freed too recently to be handed out again? */
static bool dynb_resting(const struct dynb_buf *buf)
{
	return DYNB_REST_JIFFIES &&
	       time_before(jiffies, buf->stamp + DYNB_REST_JIFFIES);
}

/* A cached buffer that fits @order / @alloc, or NULL; lock held. */
static struct dynb_buf *dynb_cache_take(struct dynb_dyn *dyn, int order,
					size_t alloc)
{
	struct dynb_buf *buf;

	lockdep_assert_held(&dyn->lock);
	/*
	 * Oldest first (the lists are newest first): a buffer just freed is
	 * the last to be handed out again, and not before it rested (see
	 * DYNB_REST_JIFFIES).
	 */
	if (order >= 0) {
		buf = list_empty(&dyn->cache[order]) ? NULL :
		      list_last_entry(&dyn->cache[order], struct dynb_buf, node);
		if (buf && dynb_resting(buf))
			buf = NULL;
	} else {
		/* CMA-sized: any that fits and wastes at most half. */
		list_for_each_entry_reverse(buf, &dyn->large, node) {
			if (dynb_resting(buf))
				break;
			if (buf->alloc >= alloc && buf->alloc / 2 <= alloc)
				goto found;
		}
		buf = NULL;
	}
found:
	if (buf) {
		list_del(&buf->node);
		dyn->nr_cached--;
		dyn->cached_bytes -= buf->alloc;
	}
	return buf;
}

/* Count @alloc more live bytes; lock held. */
static void dynb_live_add(struct dynb_dyn *dyn, size_t alloc)
{
	dyn->nr_live++;
	dyn->live_bytes += alloc;
}

/* A buffer really went live: the high-water mark may rise; lock held. */
static void dynb_live_peak(struct dynb_dyn *dyn)
{
	if (dyn->live_bytes > dyn->hiwater)
		dyn->hiwater = dyn->live_bytes;
}

/*
 * Any context. A live buffer of at least @need bytes, from the cache or
 * newly allocated; NULL with *@why set when none can be had.
 */
struct dynb_buf *dynb_dyn_get(struct dynb_dev *st, size_t need,
			      enum dynb_fail *why)
{
	struct dynb_dyn *dyn = &st->dyn;
	u64 cap = READ_ONCE(dynb_dyn_max);
	struct dynb_buf *buf;
	unsigned long flags;
	size_t alloc;
	int order;

	if (need <= dynb_dyn_max_contig()) {
		order = get_order(need);
		alloc = PAGE_SIZE << order;
	} else {
		order = -1;
		alloc = PAGE_ALIGN(need);
	}

	spin_lock_irqsave(&dyn->lock, flags);
	if (cap && dyn->live_bytes + alloc > cap) {
		spin_unlock_irqrestore(&dyn->lock, flags);
		*why = DYNB_FAIL_DYN_MAX;
		return NULL;
	}
	buf = dynb_cache_take(dyn, order, alloc);
	if (buf) {
		WRITE_ONCE(buf->state, DYNB_BUF_LIVE);
		list_add(&buf->node, &dyn->live);
		dynb_live_add(dyn, buf->alloc);
		dynb_live_peak(dyn);
		spin_unlock_irqrestore(&dyn->lock, flags);
		return buf;
	}
	/*
	 * Hold the bytes now, so concurrent mappings respect dyn_max; the
	 * high-water mark moves only if the allocation succeeds.
	 */
	dynb_live_add(dyn, alloc);
	spin_unlock_irqrestore(&dyn->lock, flags);

	buf = dynb_buf_alloc(st, order, alloc);

	spin_lock_irqsave(&dyn->lock, flags);
	if (buf) {
		list_add(&buf->node, &dyn->live);
		dynb_live_peak(dyn);
	} else {
		dyn->nr_live--;
		dyn->live_bytes -= alloc;
		*why = DYNB_FAIL_ALLOC;
	}
	spin_unlock_irqrestore(&dyn->lock, flags);
	return buf;
}

/* Any context. The mapping of @buf is gone; keep the buffer for reuse. */
void dynb_dyn_put(struct dynb_dev *st, struct dynb_buf *buf)
{
	struct dynb_dyn *dyn = &st->dyn;
	unsigned long flags;
	bool over;

	spin_lock_irqsave(&dyn->lock, flags);
	list_del(&buf->node);
	dyn->nr_live--;
	dyn->live_bytes -= buf->alloc;
	WRITE_ONCE(buf->state, DYNB_BUF_CACHED);
	buf->stamp = jiffies;
	list_add(&buf->node, buf->order >= 0 ? &dyn->cache[buf->order] :
					       &dyn->large);
	dyn->nr_cached++;
	dyn->cached_bytes += buf->alloc;
	over = dyn->cached_bytes > DYNB_CACHE_MAX;
	spin_unlock_irqrestore(&dyn->lock, flags);

	/* Freeing may sleep (CMA): always leave it to the work. */
	if (over)
		mod_delayed_work(system_wq, &dyn->trim, 0);
	else
		queue_delayed_work(system_wq, &dyn->trim, DYNB_IDLE_JIFFIES);
}

/*
 * Any context. The live buffer whose pages hold @phys, or NULL. The caller
 * owns the mapping (DMA-API rule), so a live buffer found here stays live.
 */
struct dynb_buf *dynb_dyn_find(struct dynb_dev *st, phys_addr_t phys)
{
	struct dynb_buf *buf;

	rcu_read_lock();
	buf = xa_load(&st->dyn.xa, dynb_key(phys));
	if (buf && READ_ONCE(buf->state) != DYNB_BUF_LIVE)
		buf = NULL;
	rcu_read_unlock();
	return buf;
}

/*
 * Move cached buffers to @doomed: all of them if @all, else those idle long
 * enough plus the oldest beyond DYNB_CACHE_MAX. Lock held.
 */
static void dynb_cache_reap(struct dynb_dyn *dyn, struct list_head *doomed,
			    bool all)
{
	struct dynb_buf *buf, *tmp;
	int i;

	lockdep_assert_held(&dyn->lock);
	for (i = -1; i < DYNB_NR_ORDERS; i++) {
		struct list_head *head = i < 0 ? &dyn->large : &dyn->cache[i];

		/* Newest first on each list: walk from the oldest. */
		list_for_each_entry_safe_reverse(buf, tmp, head, node) {
			if (!all && dyn->cached_bytes <= DYNB_CACHE_MAX &&
			    time_before(jiffies, buf->stamp + DYNB_IDLE_JIFFIES))
				break;
			WRITE_ONCE(buf->state, DYNB_BUF_DEAD);
			list_move(&buf->node, doomed);
			dyn->nr_cached--;
			dyn->cached_bytes -= buf->alloc;
		}
	}
}

static void dynb_dyn_reap(struct dynb_dev *st, bool all)
{
	struct dynb_dyn *dyn = &st->dyn;
	struct dynb_buf *buf, *tmp;
	LIST_HEAD(doomed);
	unsigned long flags;
	bool more;

	spin_lock_irqsave(&dyn->lock, flags);
	dynb_cache_reap(dyn, &doomed, all);
	more = dyn->nr_cached;
	spin_unlock_irqrestore(&dyn->lock, flags);

	list_for_each_entry_safe(buf, tmp, &doomed, node)
		dynb_buf_free(st, buf);
	if (more && !all)
		queue_delayed_work(system_wq, &dyn->trim, DYNB_IDLE_JIFFIES);
}

/* Process context (system_wq). */
static void dynb_dyn_trim_work(struct work_struct *work)
{
	struct dynb_dyn *dyn = container_of(to_delayed_work(work),
					    struct dynb_dyn, trim);

	dynb_dyn_reap(container_of(dyn, struct dynb_dev, dyn), false);
}

/* Process context. Give every cached buffer back now. */
void dynb_dyn_trim_all(struct dynb_dev *st)
{
	dynb_dyn_reap(st, true);
}

void dynb_dyn_init(struct dynb_dev *st)
{
	struct dynb_dyn *dyn = &st->dyn;
	int i;

	xa_init_flags(&dyn->xa, XA_FLAGS_LOCK_IRQ);
	spin_lock_init(&dyn->lock);
	INIT_LIST_HEAD(&dyn->live);
	INIT_LIST_HEAD(&dyn->large);
	for (i = 0; i < DYNB_NR_ORDERS; i++)
		INIT_LIST_HEAD(&dyn->cache[i]);
	INIT_DELAYED_WORK(&dyn->trim, dynb_dyn_trim_work);
}

/* Process context, no live buffers, no mapping can start any more. */
void dynb_dyn_destroy(struct dynb_dev *st)
{
	unsigned long index = 0;

	cancel_delayed_work_sync(&st->dyn.trim);
	dynb_dyn_reap(st, true);
	/*
	 * No buffer may be left. The tree itself need not be empty: a store
	 * that failed for want of memory (GFP_NOWAIT) can leave interior
	 * nodes with nothing in them, which xa_destroy() frees.
	 */
	WARN_ON(xa_find(&st->dyn.xa, &index, ULONG_MAX, XA_PRESENT));
	xa_destroy(&st->dyn.xa);
}

/* Any context. The high-water mark comes down to what is live now. */
void dynb_dyn_reset_hiwater(struct dynb_dev *st)
{
	unsigned long flags;

	spin_lock_irqsave(&st->dyn.lock, flags);
	st->dyn.hiwater = st->dyn.live_bytes;
	spin_unlock_irqrestore(&st->dyn.lock, flags);
}

/* Process context (debugfs). One line per live buffer, oldest last. */
void dynb_dyn_show_live(struct seq_file *m, struct dynb_dev *st)
{
	static const char *const dir_name[] = {
		[DMA_BIDIRECTIONAL] = "bidirectional",
		[DMA_TO_DEVICE] = "to_device",
		[DMA_FROM_DEVICE] = "from_device",
		[DMA_NONE] = "none",
	};
	struct dynb_dyn *dyn = &st->dyn;
	struct dynb_buf *buf;
	unsigned long flags;

	spin_lock_irqsave(&dyn->lock, flags);
	list_for_each_entry(buf, &dyn->live, node) {
		dma_addr_t dma = dynb_bounce_dma(st, buf->phys + buf->pad);

		seq_printf(m, "%pad %zu %s %u\n", &dma, buf->size,
			   dir_name[buf->dir & 3],
			   jiffies_to_msecs(jiffies - buf->stamp));
	}
	spin_unlock_irqrestore(&dyn->lock, flags);
}

/* Any context. Counts for stats, under the lock so they agree. */
void dynb_dyn_usage(struct dynb_dev *st, struct dynbounce_stats *out)
{
	struct dynb_dyn *dyn = &st->dyn;
	unsigned long flags;

	spin_lock_irqsave(&dyn->lock, flags);
	out->dyn_live = dyn->nr_live;
	out->dyn_live_bytes = dyn->live_bytes;
	out->dyn_hiwater_bytes = dyn->hiwater;
	out->dyn_cached = dyn->nr_cached;
	out->dyn_cached_bytes = dyn->cached_bytes;
	spin_unlock_irqrestore(&dyn->lock, flags);
}
