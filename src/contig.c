// SPDX-License-Identifier: GPL-2.0
/*
 * contig.c - a pool larger than the page allocator's largest block on a
 * kernel without CMA (Debian's x86_64 kernels: 4 MiB blocks, no CMA).
 *
 * dma-direct serves such a size only from CMA. Without it, dynbounce looks for
 * a run of online, unreserved pages in one zone that the device reaches and
 * asks the page allocator to empty it: alloc_contig_range() isolates the
 * pageblocks, migrates what is movable out of them and hands the pages over
 * (what virtio-mem and gigantic huge pages use). A run with pages that cannot
 * move fails with -EBUSY and the search goes on with the next one.
 *
 * Only for the fixed pool, which is made in process context: the search and
 * the migration sleep and may take a while. Dynamic buffers, which are made
 * in the mapping path, never come from here. Not in a confidential guest:
 * these pages are not shared with the host.
 */
#include "dynbounce_int.h"

#include <linux/cc_platform.h>
#include <linux/dma-direct.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/sched.h>

/* Runs the allocator may refuse (pages that cannot move) before giving up. */
#define DYNB_CONTIG_TRIES	32

/*
 * May @page be part of a run the allocator can empty? It must be free (no
 * reference) or on an LRU list (page cache, anonymous memory: migratable).
 * Anything else in use (slab, page tables, a driver's pages) would make
 * alloc_contig_range() fail after isolating and migrating for nothing. A
 * racy look, good enough to choose where to try.
 */
static bool dynb_contig_page_ok(struct page *page, struct zone *zone)
{
	return !PageReserved(page) && page_zone(page) == zone &&
	       (!page_count(page) || PageLRU(page));
}

/*
 * The first pfn at or after @pfn from which @nr pages are not all online,
 * in @pfn's zone and free or movable; @pfn + @nr when they all are.
 */
static unsigned long dynb_contig_bad_pfn(unsigned long pfn, unsigned long nr)
{
	struct page *first = pfn_to_online_page(pfn);
	struct zone *zone;
	unsigned long i;

	if (!first)
		return pfn;
	zone = page_zone(first);
	for (i = 0; i < nr; i++) {
		struct page *page = pfn_to_online_page(pfn + i);

		if (!page || !dynb_contig_page_ok(page, zone))
			return pfn + i;
	}
	return pfn + nr;
}

/*
 * Process context, may sleep for long (migration). @size is a multiple of
 * PAGE_SIZE. On success the pages are also mapped for streaming DMA on the
 * device's streaming shadow, as dma_alloc_pages() would have done: *@sdma is
 * the handle the bounce syncs use (and DMA-API debug knows it).
 */
struct page *dynb_contig_alloc(struct dynb_dev *st, size_t size,
			       dma_addr_t *sdma)
{
	unsigned long nr = size >> PAGE_SHIFT;
	unsigned long step = max_t(unsigned long, pageblock_nr_pages, 1);
	unsigned long end = PFN_DOWN(virt_to_phys(high_memory - 1)) + 1;
	unsigned int tries = 0;
	unsigned long pfn, bad;
	struct page *page;

	/*
	 * In a confidential guest bounce memory must be shared with the host,
	 * and only dma-direct's own allocations are: no pool from here.
	 */
	if (!dynb_have_contig_alloc() || cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		return NULL;
	for (pfn = 0; pfn + nr <= end && tries < DYNB_CONTIG_TRIES;
	     pfn += step) {
		cond_resched();
		if (!dma_capable(st->dev, dynb_bounce_dma(st, PFN_PHYS(pfn)),
				 size, true))
			continue;
		bad = dynb_contig_bad_pfn(pfn, nr);
		if (bad < pfn + nr) {
			/* Go on from the first block past the bad page. */
			pfn = ALIGN_DOWN(bad, step);
			continue;
		}
		tries++;
		if (dynb_alloc_contig(pfn, pfn + nr))
			continue;
		page = pfn_to_page(pfn);
		*sdma = dma_map_page(&st->shadow, page, 0, size,
				     DMA_BIDIRECTIONAL);
		if (dma_mapping_error(&st->shadow, *sdma)) {
			dynb_free_contig(pfn, nr);
			return NULL;
		}
		return page;
	}
	return NULL;
}

/* Process context. Undo dynb_contig_alloc(). */
void dynb_contig_free(struct dynb_dev *st, struct page *page, size_t size,
		      dma_addr_t sdma)
{
	dma_unmap_page(&st->shadow, sdma, size, DMA_BIDIRECTIONAL);
	dynb_free_contig(page_to_pfn(page), size >> PAGE_SHIFT);
}
