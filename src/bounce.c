// SPDX-License-Identifier: GPL-2.0
/*
 * bounce.c - moving bytes between a caller's buffer and bounce memory, and
 * the cache maintenance that makes bounce memory visible to the device.
 *
 * Bounce memory is always in the kernel's direct map (it is allocated without
 * __GFP_HIGHMEM). The caller's pages may be highmem on 32-bit kernels, so
 * they are reached one page at a time through kmap_local_page().
 *
 * Any context, hard IRQ included: nothing here sleeps.
 */
#include "dynbounce_int.h"

#include <linux/dma-direct.h>
#include <linux/highmem.h>
#include <linux/mm.h>

/* Walk [orig, orig + size) a page at a time; copy with @to_bounce's sense. */
static void dynb_copy(void *bounce, phys_addr_t orig, size_t size,
		      bool to_bounce)
{
	while (size) {
		struct page *page = pfn_to_page(PHYS_PFN(orig));
		size_t off = offset_in_page(orig);
		size_t len = min_t(size_t, size, PAGE_SIZE - off);
		void *cpu;

		if (!PageHighMem(page)) {
			/* Without highmem the rest is in the direct map too. */
			if (!IS_ENABLED(CONFIG_HIGHMEM))
				len = size;
			cpu = phys_to_virt(orig);
			if (to_bounce)
				memcpy(bounce, cpu, len);
			else
				memcpy(cpu, bounce, len);
		} else {
			cpu = kmap_local_page(page) + off;
			if (to_bounce)
				memcpy(bounce, cpu, len);
			else
				memcpy(cpu, bounce, len);
			kunmap_local(cpu);
		}
		bounce += len;
		orig += len;
		size -= len;
	}
}

void dynb_copy_to_bounce(void *bounce, phys_addr_t orig, size_t size)
{
	dynb_copy(bounce, orig, size, true);
}

void dynb_copy_from_bounce(phys_addr_t orig, const void *bounce, size_t size)
{
	dynb_copy((void *)bounce, orig, size, false);
}

/*
 * The device address of bounce memory at @phys, from the device's DMA set-up
 * as it is now. Bounce memory is never encrypted (dma-direct decrypts what
 * it hands out in a confidential guest), as for the kernel's swiotlb.
 */
dma_addr_t dynb_bounce_dma(struct dynb_dev *st, phys_addr_t phys)
{
	return phys_to_dma_unencrypted(st->dev, phys);
}

/*
 * Hand bounce memory to the device after the CPU wrote it. On a coherent
 * device there is nothing to do; otherwise the streaming shadow, which owns
 * every bounce buffer as a DMA_BIDIRECTIONAL mapping, does the cache work.
 */
void dynb_bounce_for_device(struct dynb_dev *st, dma_addr_t sdma, size_t size,
			    enum dma_data_direction dir)
{
	if (!dev_is_dma_coherent(st->dev))
		dma_sync_single_for_device(&st->shadow, sdma, size, dir);
}

/* Give bounce memory back to the CPU before it reads what the device wrote. */
void dynb_bounce_for_cpu(struct dynb_dev *st, dma_addr_t sdma, size_t size,
			 enum dma_data_direction dir)
{
	if (!dev_is_dma_coherent(st->dev))
		dma_sync_single_for_cpu(&st->shadow, sdma, size, dir);
}
