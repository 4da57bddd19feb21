/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynbounce_int.h - the module's own structures, shared by the files in src/.
 *
 * One struct dynb_dev per attached device. It embeds the dma_map_ops that
 * get_dma_ops(dev) returns, so every callback finds its state with
 * container_of() and no global lookup. Beside it sit two "shadow" devices:
 * plain struct devices with no ops, so the public DMA API on them reaches
 * dma-direct without coming back here.
 *
 * Bounce memory is tracked by CPU physical address. The device address of a
 * byte is computed from the real device's DMA set-up when it is needed, so a
 * driver that reconfigures DMA after attach (vc4 calls of_dma_configure() in
 * its component bind, changing the range map) is followed, and lookups turn
 * a device address back into a physical one with dma_to_phys().
 */
#ifndef _DYNBOUNCE_INT_H
#define _DYNBOUNCE_INT_H

/* Included first by every file in src/, so one prefix covers the module. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/dma-mapping.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "dynbounce.h"

struct seq_file;
#include "dynbounce_compat.h"

/* The fixed pool hands out slots of 2 KiB, like the kernel's swiotlb. */
#define DYNB_SLOT_SHIFT		11
#define DYNB_SLOT_SIZE		BIT(DYNB_SLOT_SHIFT)

/*
 * On DMA_API_DEBUG kernels, freed bounce memory (pool slots and cached
 * dynamic buffers) rests this long before it is handed out again. The DMA
 * core calls ops->unmap_page() first and debug_dma_unmap_page() after it
 * (kernel/dma/mapping.c, dma_unmap_page_attrs()); in between, DMA-API debug
 * still holds its record of the old mapping. A new mapping of the same
 * bounce address then has two records covering it, and a range sync of it
 * matches both with no exact fit: __hash_bucket_find() (kernel/dma/debug.c)
 * gives up and check_sync() reports "device driver tries to sync DMA memory
 * it has not allocated". No callback says when the core is done, so this
 * only narrows the window (the unmapping CPU would have to stall this long
 * between two adjacent lines of the core); the kernel's swiotlb has the
 * same window. Elsewhere freed memory is reused at once.
 */
#define DYNB_REST_JIFFIES	(IS_ENABLED(CONFIG_DMA_API_DEBUG) ? HZ / 10 : 0)

/* Run-time tunables (params.c). Read with READ_ONCE on the hot path. */
extern bool dynb_dynamic;
extern unsigned long long dynb_dyn_max;
extern unsigned long long dynb_max_segment;
extern bool dynb_force_bounce;
extern unsigned long long dynb_pool_size;

/*
 * Guards the list of attached devices and serialises attach and detach.
 * Process context only.
 */
extern struct mutex dynb_lock;
extern struct list_head dynb_devices;
/* Readers: every dma_map_ops callback. Writers wait in detach. */
extern struct srcu_struct dynb_srcu;

/**
 * struct dynb_slot - one 2 KiB slot of the fixed pool
 * @head:	index of the first slot of the mapping that holds this one
 * @nslots:	(first slot only) slots the mapping holds
 * @pad:	(first slot only) bytes between the first slot and the data
 * @size:	(first slot only) bytes mapped
 * @orig:	(first slot only) CPU physical address of the original buffer
 *
 * Written under dynb_pool.lock when a mapping is made; read without it by
 * unmap and sync, which the DMA API lets only the mapping's owner call, after
 * the map returned.
 */
struct dynb_slot {
	u32 head;
	u32 nslots;
	u32 pad;
	u32 size;
	phys_addr_t orig;
};

/**
 * struct dynb_rest - a freed run of pool slots, resting (DYNB_REST_JIFFIES)
 * @idx:	its first slot
 * @n:		its slots
 * @stamp:	jiffies when it was freed
 */
struct dynb_rest {
	u32 idx;
	u32 n;
	unsigned long stamp;
};

/**
 * struct dynb_pool - the fixed pool of one device, allocated at attach
 * @lock:	guards @map, @hint, @used, @hiwater, @retired and the rest ring
 * @map:	bitmap of busy slots (resting ones included)
 * @hint:	slot where the next search starts (next fit)
 * @used:	bytes in slots held by live mappings
 * @hiwater:	highest @used seen
 * @retired:	replaced by another pool; takes no new mappings
 * @rest:	ring of resting runs, oldest first, or NULL when nothing rests
 *		(DYNB_REST_JIFFIES is 0); at most @nslots entries
 * @rest_head:	index of the oldest entry of @rest
 * @rest_nr:	entries in @rest
 * @resting:	bytes in resting slots
 * @slots:	per-slot bookkeeping, see struct dynb_slot
 * @vaddr:	kernel address of slot 0 (never highmem)
 * @phys:	CPU physical address of slot 0
 * @sdma:	the streaming shadow's handle of slot 0 (cache maintenance)
 * @size:	bytes in the pool
 * @nslots:	slots in the pool
 */
struct dynb_pool {
	spinlock_t lock;	/* see above; IRQ-safe, maps run in hard IRQ */
	unsigned long *map;
	unsigned int hint;
	size_t used;
	size_t hiwater;
	bool retired;
	struct dynb_rest *rest;
	unsigned int rest_head;
	unsigned int rest_nr;
	size_t resting;
	struct dynb_slot *slots;
	void *vaddr;
	phys_addr_t phys;
	dma_addr_t sdma;
	size_t size;
	unsigned int nslots;
	bool contig;		/* from contig.c, not dma_alloc_pages() */
};

enum dynb_buf_state {
	DYNB_BUF_LIVE,		/* held by a mapping */
	DYNB_BUF_CACHED,	/* free, kept for reuse */
	DYNB_BUF_DEAD,		/* on its way back to the allocator */
};

/**
 * struct dynb_buf - one dynamically allocated bounce buffer
 * @node:	on dynb_dyn.live or on a cache list; guarded by dynb_dyn.lock
 * @state:	enum dynb_buf_state; changed under dynb_dyn.lock
 * @order:	page order of @alloc, or -1 for a CMA-sized buffer
 * @dir:	DMA direction of the live mapping (debugfs)
 * @vaddr:	kernel address (never highmem)
 * @phys:	CPU physical address of the first byte
 * @sdma:	the streaming shadow's handle of the first byte
 * @alloc:	bytes allocated
 * @orig:	CPU physical address of the mapped original (live only)
 * @pad:	bytes between @dma and the mapped data (min_align_mask)
 * @size:	bytes mapped (live only)
 * @stamp:	jiffies when it went live (age in debugfs) or into the cache
 * @rcu:	the struct is freed after an RCU grace period, since lookups
 *		read it under rcu_read_lock() from xa_load()
 *
 * Mapping fields are written by the map that makes it live and read by the
 * unmap and syncs of the same mapping, which the DMA API orders after it.
 */
struct dynb_buf {
	struct list_head node;
	u8 state;
	s8 order;
	u8 dir;
	void *vaddr;
	phys_addr_t phys;
	dma_addr_t sdma;
	size_t alloc;
	phys_addr_t orig;
	size_t pad;
	size_t size;
	unsigned long stamp;
	struct rcu_head rcu;
};

#define DYNB_NR_ORDERS	(DYNB_MAX_ORDER + 1)

/**
 * struct dynb_dyn - the dynamic buffers of one device
 * @xa:		every buffer the device owns (live or cached), stored over the
 *		page frames it covers so an address anywhere inside finds it;
 *		XA_FLAGS_LOCK_IRQ, stores take xa_lock_irqsave
 * @lock:	guards @live, @cache, @large, the byte counts and @hiwater
 * @live:	buffers held by mappings
 * @cache:	free buffers by page order, newest first; reused oldest first
 * @large:	free buffers beyond the page allocator's limit (CMA)
 * @nr_live:	buffers on @live
 * @live_bytes:	bytes of buffers on @live
 * @hiwater:	highest @live_bytes seen
 * @nr_cached:	buffers in the caches
 * @cached_bytes: bytes of buffers in the caches
 * @trim:	gives back cached buffers idle for a second (process context)
 */
struct dynb_dyn {
	struct xarray xa;
	spinlock_t lock;	/* see above; IRQ-safe, maps run in hard IRQ */
	struct list_head live;
	struct list_head cache[DYNB_NR_ORDERS];
	struct list_head large;
	unsigned long nr_live;
	size_t live_bytes;
	size_t hiwater;
	unsigned long nr_cached;
	size_t cached_bytes;
	struct delayed_work trim;
};

/* Which way a segment went; the histogram is split by it. */
enum dynb_path {
	DYNB_PATH_PASSTHROUGH,
	DYNB_PATH_FIXED,
	DYNB_PATH_DYNAMIC,
	DYNB_PATH_FAILED,
	DYNB_NR_PATHS,
};

/* Why a mapping was refused; each has a counter and a log phrase. */
enum dynb_fail {
	DYNB_FAIL_NO_DYNAMIC,
	DYNB_FAIL_DYN_MAX,
	DYNB_FAIL_MAX_SEGMENT,
	DYNB_FAIL_ALLOC,
	DYNB_NR_FAILS,
};

/* Bucket b counts sizes in [2^b, 2^(b+1)); 0 bytes in 0, 2 GiB up in the last. */
#define DYNB_HIST_BUCKETS	32

/**
 * struct dynb_counters - what the hot path counts, exactly (atomics)
 * @hist:	segments by path and by power-of-two size; the per-path and
 *		total counts (maps) are its sums, so they always agree
 * @fail:	refused segments by reason
 * @unmaps:	segments unmapped
 * @bytes_to_device:	bytes copied into bounce memory
 * @bytes_from_device:	bytes copied out of bounce memory
 */
struct dynb_counters {
	atomic_long_t hist[DYNB_NR_PATHS][DYNB_HIST_BUCKETS];
	atomic_long_t fail[DYNB_NR_FAILS];
	atomic_long_t unmaps;
	atomic_long_t bytes_to_device;
	atomic_long_t bytes_from_device;
};

/**
 * struct dynb_dev - dynbounce's state for one attached device
 * @ops:	the overlay, filled at attach; get_dma_ops(dev) returns @ro
 * @ro:		the same, read-only
 * @dev:	the real device (a reference is held)
 * @shadow:	streaming shadow, in CPU physical address space (no range
 *		map, no swiotlb, never coherent): bounce memory is allocated
 *		from it below the device's limit, and on a non-coherent device
 *		bounce buffers and passthrough mappings get their cache
 *		maintenance through it
 * @shadow_mask: the streaming shadow's DMA mask: all of memory
 * @coh:	dma-direct as the device has it (refreshed from it at each
 *		use, swiotlb included): forwarded alloc/free/mmap/get_sgtable,
 *		and mappings the kernel's swiotlb made before attach
 * @link:	on dynb_devices, under dynb_lock
 * @saved_skip_sync: dma_skip_sync as found at attach (6.12+)
 * @pool:	the fixed pool, or NULL; SRCU (dynb_srcu) readers, replaced
 *		under dynb_lock
 * @pool_work:	retries a pool change (new pool_size, narrowed mask) that
 *		had to wait for the pool to go idle
 * @dyn:	the dynamic buffers
 * @cnt:	counters
 * @debugfs:	this device's debugfs folder
 */
struct dynb_dev {
	union {	/* filled once at attach; the DMA core sees @ro */
		struct dma_map_ops ops; const struct dma_map_ops ro;
	};
	struct device *dev;
	struct device shadow;
	u64 shadow_mask;
	struct device coh;
	struct list_head link;
	bool saved_skip_sync;
	struct dynb_pool __rcu *pool;
	struct delayed_work pool_work;
	struct dynb_dyn dyn;
	struct dynb_counters cnt;
	struct dentry *debugfs;
};

static inline struct dynb_dev *dynb_from_dev(struct device *dev)
{
	return container_of(get_dma_ops(dev), struct dynb_dev, ro);
}

/* overlay.c */
void dynb_shadow_track_mask(struct dynb_dev *st);
struct device *dynb_coh_fresh(struct dynb_dev *st);
int dynb_attach(struct device *dev);
int dynb_detach(struct device *dev, bool waiting);
struct dynb_dev *dynb_find(struct device *dev);
void dynb_refresh(struct dynb_dev *st, bool bound);
int dynb_pool_apply(struct dynb_dev *st);

/* stats.c */
void dynb_account(struct dynb_dev *st, enum dynb_path path, size_t size);
void dynb_account_fail(struct dynb_dev *st, enum dynb_fail why, size_t size);
void dynb_snapshot(struct dynb_dev *st, struct dynbounce_stats *out);
void dynb_stats_reset(struct dynb_dev *st);

/* pool.c */
struct dynb_pool *dynb_pool_create(struct dynb_dev *st, size_t size);
void dynb_pool_free(struct dynb_dev *st, struct dynb_pool *pool);

/* contig.c */
struct page *dynb_contig_alloc(struct dynb_dev *st, size_t size,
			       dma_addr_t *sdma);
void dynb_contig_free(struct dynb_dev *st, struct page *page, size_t size,
		      dma_addr_t sdma);
int dynb_pool_swap(struct dynb_dev *st, struct dynb_pool *fresh,
		   struct dynb_pool **oldp);
bool dynb_pool_reachable(struct dynb_dev *st, struct dynb_pool *pool);
bool dynb_pool_map(struct dynb_pool *pool, phys_addr_t orig, size_t size,
		   size_t pad, unsigned long align_slots, phys_addr_t *phys);
struct dynb_slot *dynb_pool_find(struct dynb_pool *pool, phys_addr_t phys,
				 phys_addr_t *start);
void *dynb_pool_vaddr(struct dynb_pool *pool, phys_addr_t phys);
dma_addr_t dynb_pool_sdma(struct dynb_pool *pool, phys_addr_t phys);
void dynb_pool_unmap(struct dynb_pool *pool, struct dynb_slot *head);
void dynb_pool_wake_all(struct dynb_pool *pool);
void dynb_pool_usage(struct dynb_pool *pool, size_t *used, size_t *hiwater);
void dynb_pool_reset_hiwater(struct dynb_pool *pool);
void dynb_pool_show(struct seq_file *m, struct dynb_dev *st,
		    struct dynb_pool *pool);

/* dyn.c */
void dynb_dyn_init(struct dynb_dev *st);
void dynb_dyn_destroy(struct dynb_dev *st);
struct dynb_buf *dynb_dyn_get(struct dynb_dev *st, size_t need,
			      enum dynb_fail *why);
void dynb_dyn_put(struct dynb_dev *st, struct dynb_buf *buf);
struct dynb_buf *dynb_dyn_find(struct dynb_dev *st, phys_addr_t phys);
void dynb_dyn_trim_all(struct dynb_dev *st);
size_t dynb_dyn_max_contig(void);
void dynb_dyn_usage(struct dynb_dev *st, struct dynbounce_stats *out);
void dynb_dyn_reset_hiwater(struct dynb_dev *st);
void dynb_dyn_show_live(struct seq_file *m, struct dynb_dev *st);

/* bounce.c */
void dynb_copy_to_bounce(void *bounce, phys_addr_t orig, size_t size);
void dynb_copy_from_bounce(phys_addr_t orig, const void *bounce, size_t size);
dma_addr_t dynb_bounce_dma(struct dynb_dev *st, phys_addr_t phys);
void dynb_bounce_for_device(struct dynb_dev *st, dma_addr_t sdma, size_t size,
			    enum dma_data_direction dir);
void dynb_bounce_for_cpu(struct dynb_dev *st, dma_addr_t sdma, size_t size,
			 enum dma_data_direction dir);

/* match.c */
int dynb_match_parse(const char *list);
bool dynb_match(struct device *dev);
void dynb_match_free(void);
void dynb_match_report(DYNB_BUS_CONST struct bus_type *const *buses, int nr);
int dynb_match_attach(const char *text,
		      DYNB_BUS_CONST struct bus_type *const *buses, int nr);

/* params.c */
int dynb_params_set(const char *name, const char *value);

/* debugfs.c */
void dynb_debugfs_init(void);
void dynb_debugfs_exit(void);
void dynb_debugfs_add(struct dynb_dev *st);
void dynb_debugfs_remove(struct dynb_dev *st);

#endif /* _DYNBOUNCE_INT_H */
