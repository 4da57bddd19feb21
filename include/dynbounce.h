/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynbounce.h - what dynbounce offers other modules (its self-test among them).
 *
 * Everything here is exported GPL-only. The numbers in struct dynbounce_stats
 * are the same that /sys/kernel/debug/dynbounce/<device>/stats shows.
 */
#ifndef _DYNBOUNCE_H
#define _DYNBOUNCE_H

#include <linux/types.h>

struct device;

/**
 * struct dynbounce_stats - a snapshot of one attached device's counters
 * @maps:		segments asked to be mapped (map_page counts 1, map_sg one
 *			per entry); always passthrough + bounced_fixed +
 *			bounced_dynamic + map_failures
 * @unmaps:		segments unmapped (passthrough and bounced)
 * @passthrough:	segments mapped without bouncing
 * @bounced_fixed:	segments bounced through the fixed pool
 * @bounced_dynamic:	segments bounced through a dynamic buffer
 * @map_failures:	segments refused with DMA_MAPPING_ERROR
 * @fail_no_dynamic:	refused: pool full or too small and dynamic=0
 * @fail_dyn_max:	refused: the mapping would pass dyn_max
 * @fail_max_segment:	refused: larger than max_segment
 * @fail_alloc:		refused: no reachable memory could be allocated
 * @pool_bytes:		size of the fixed pool
 * @pool_used_bytes:	bytes of the pool held by live mappings (whole slots)
 * @pool_hiwater_bytes:	highest @pool_used_bytes seen
 * @dyn_live:		dynamic buffers held by live mappings
 * @dyn_live_bytes:	bytes of those buffers (allocation size)
 * @dyn_hiwater_bytes:	highest @dyn_live_bytes seen
 * @dyn_cached:		freed dynamic buffers kept for reuse
 * @dyn_cached_bytes:	bytes of those; given back after about a second idle
 * @bytes_to_device:	bytes copied into bounce memory
 * @bytes_from_device:	bytes copied out of bounce memory
 */
struct dynbounce_stats {
	u64 maps;
	u64 unmaps;
	u64 passthrough;
	u64 bounced_fixed;
	u64 bounced_dynamic;
	u64 map_failures;
	u64 fail_no_dynamic;
	u64 fail_dyn_max;
	u64 fail_max_segment;
	u64 fail_alloc;
	u64 pool_bytes;
	u64 pool_used_bytes;
	u64 pool_hiwater_bytes;
	u64 dyn_live;
	u64 dyn_live_bytes;
	u64 dyn_hiwater_bytes;
	u64 dyn_cached;
	u64 dyn_cached_bytes;
	u64 bytes_to_device;
	u64 bytes_from_device;
};

/* Process context. -ENODEV if @dev is not attached. */
int dynbounce_get_stats(struct device *dev, struct dynbounce_stats *out);

/*
 * Process context. Attach regardless of the devices= list. -EEXIST if
 * attached already, -EOPNOTSUPP if the device cannot take an overlay
 * (dma-iommu, or DMA ops of its own), -ENOMEM.
 */
int dynbounce_attach(struct device *dev);

/*
 * Process context. Restore the device's own DMA ops. -EBUSY (and a log line)
 * while it has live bounced mappings; -ENODEV if it is not attached.
 */
int dynbounce_detach(struct device *dev);

/*
 * Process context. Set a run-time tunable ("dynamic", "dyn_max",
 * "force_bounce", "max_segment") exactly as a write to
 * /sys/module/dynbounce/parameters/<name> would: same parsing, same -EINVAL.
 */
int dynbounce_set_param(const char *name, const char *value);

/*
 * Process context. Give back every cached dynamic buffer of @dev now, and
 * let freed pool slots be reused at once (on DMA_API_DEBUG kernels they
 * otherwise rest for a moment first).
 */
int dynbounce_trim(struct device *dev);

#endif /* _DYNBOUNCE_H */
