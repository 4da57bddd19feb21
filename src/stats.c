// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - the numbers: what the hot path counts and how they are read.
 *
 * Every mapped or refused segment bumps one atomic, in a histogram split by
 * path and power-of-two size; per-path counts and "maps" are sums of it, so
 * they can never disagree. Pool and dynamic usage come from their own
 * bookkeeping, read under their locks.
 */
#include "dynbounce_int.h"

#include <linux/log2.h>

#include "dynbounce_trace.h"

static unsigned int dynb_bucket(size_t size)
{
	return size ? min_t(unsigned int, ilog2(size), DYNB_HIST_BUCKETS - 1) : 0;
}

/* Any context. */
void dynb_account(struct dynb_dev *st, enum dynb_path path, size_t size)
{
	atomic_long_inc(&st->cnt.hist[path][dynb_bucket(size)]);
}

/* Any context. */
void dynb_account_fail(struct dynb_dev *st, enum dynb_fail why, size_t size)
{
	atomic_long_inc(&st->cnt.fail[why]);
	dynb_account(st, DYNB_PATH_FAILED, size);
	trace_map_fail(st->dev, size, why);
}

static u64 dynb_path_count(struct dynb_dev *st, enum dynb_path path)
{
	u64 sum = 0;
	int b;

	for (b = 0; b < DYNB_HIST_BUCKETS; b++)
		sum += atomic_long_read(&st->cnt.hist[path][b]);
	return sum;
}

/* Any context. A snapshot of @st's numbers. */
void dynb_snapshot(struct dynb_dev *st, struct dynbounce_stats *out)
{
	struct dynb_counters *c = &st->cnt;
	struct dynb_pool *pool;
	size_t used, hiwater;
	int idx;

	memset(out, 0, sizeof(*out));
	out->passthrough = dynb_path_count(st, DYNB_PATH_PASSTHROUGH);
	out->bounced_fixed = dynb_path_count(st, DYNB_PATH_FIXED);
	out->bounced_dynamic = dynb_path_count(st, DYNB_PATH_DYNAMIC);
	out->map_failures = dynb_path_count(st, DYNB_PATH_FAILED);
	out->maps = out->passthrough + out->bounced_fixed +
		    out->bounced_dynamic + out->map_failures;
	out->unmaps = atomic_long_read(&c->unmaps);
	out->fail_no_dynamic = atomic_long_read(&c->fail[DYNB_FAIL_NO_DYNAMIC]);
	out->fail_dyn_max = atomic_long_read(&c->fail[DYNB_FAIL_DYN_MAX]);
	out->fail_max_segment = atomic_long_read(&c->fail[DYNB_FAIL_MAX_SEGMENT]);
	out->fail_alloc = atomic_long_read(&c->fail[DYNB_FAIL_ALLOC]);
	out->bytes_to_device = atomic_long_read(&c->bytes_to_device);
	out->bytes_from_device = atomic_long_read(&c->bytes_from_device);

	idx = srcu_read_lock(&dynb_srcu);
	pool = srcu_dereference(st->pool, &dynb_srcu);
	dynb_pool_usage(pool, &used, &hiwater);
	out->pool_bytes = pool ? pool->size : 0;
	srcu_read_unlock(&dynb_srcu, idx);
	out->pool_used_bytes = used;
	out->pool_hiwater_bytes = hiwater;
	dynb_dyn_usage(st, out);
}

/*
 * Process context. Zero the counters and bring the high-water marks down to
 * what is in use now; live mappings and buffers are not touched.
 */
void dynb_stats_reset(struct dynb_dev *st)
{
	struct dynb_counters *c = &st->cnt;
	struct dynb_pool *pool;
	int p, b, idx;

	for (p = 0; p < DYNB_NR_PATHS; p++)
		for (b = 0; b < DYNB_HIST_BUCKETS; b++)
			atomic_long_set(&c->hist[p][b], 0);
	for (p = 0; p < DYNB_NR_FAILS; p++)
		atomic_long_set(&c->fail[p], 0);
	atomic_long_set(&c->unmaps, 0);
	atomic_long_set(&c->bytes_to_device, 0);
	atomic_long_set(&c->bytes_from_device, 0);

	idx = srcu_read_lock(&dynb_srcu);
	pool = srcu_dereference(st->pool, &dynb_srcu);
	dynb_pool_reset_hiwater(pool);
	srcu_read_unlock(&dynb_srcu, idx);
	dynb_dyn_reset_hiwater(st);
}
