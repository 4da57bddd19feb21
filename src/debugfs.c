// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/dynbounce/<device>/stats, one "key: value"
 * per line. Numbers come from counters the hot path bumps and from the pool
 * and dynamic-buffer bookkeeping read under their locks. Process context.
 */
#include "dynbounce_int.h"

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#ifdef CONFIG_DEBUG_FS

static struct dentry *dynb_debugfs_root;

static int dynb_stats_show(struct seq_file *m, void *unused)
{
	struct dynb_dev *st = m->private;
	struct dynbounce_stats s;

	dynb_snapshot(st, &s);
	seq_printf(m, "maps: %llu\n", s.maps);
	seq_printf(m, "unmaps: %llu\n", s.unmaps);
	seq_printf(m, "passthrough: %llu\n", s.passthrough);
	seq_printf(m, "bounced_fixed: %llu\n", s.bounced_fixed);
	seq_printf(m, "bounced_dynamic: %llu\n", s.bounced_dynamic);
	seq_printf(m, "map_failures: %llu\n", s.map_failures);
	seq_printf(m, "fail_no_dynamic: %llu\n", s.fail_no_dynamic);
	seq_printf(m, "fail_dyn_max: %llu\n", s.fail_dyn_max);
	seq_printf(m, "fail_max_segment: %llu\n", s.fail_max_segment);
	seq_printf(m, "fail_alloc: %llu\n", s.fail_alloc);
	seq_printf(m, "pool_bytes: %llu\n", s.pool_bytes);
	seq_printf(m, "pool_used_bytes: %llu\n", s.pool_used_bytes);
	seq_printf(m, "pool_hiwater_bytes: %llu\n", s.pool_hiwater_bytes);
	seq_printf(m, "dyn_live: %llu\n", s.dyn_live);
	seq_printf(m, "dyn_live_bytes: %llu\n", s.dyn_live_bytes);
	seq_printf(m, "dyn_hiwater_bytes: %llu\n", s.dyn_hiwater_bytes);
	seq_printf(m, "dyn_cached: %llu\n", s.dyn_cached);
	seq_printf(m, "dyn_cached_bytes: %llu\n", s.dyn_cached_bytes);
	seq_printf(m, "bytes_to_device: %llu\n", s.bytes_to_device);
	seq_printf(m, "bytes_from_device: %llu\n", s.bytes_from_device);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dynb_stats);

void dynb_debugfs_init(void)
{
	dynb_debugfs_root = debugfs_create_dir("dynbounce", NULL);
}

void dynb_debugfs_exit(void)
{
	debugfs_remove_recursive(dynb_debugfs_root);
	dynb_debugfs_root = NULL;
}

void dynb_debugfs_add(struct dynb_dev *st)
{
	st->debugfs = debugfs_create_dir(dev_name(st->dev), dynb_debugfs_root);
	debugfs_create_file("stats", 0400, st->debugfs, st, &dynb_stats_fops);
}

/* Waits for readers of the files, so @st may be freed afterwards. */
void dynb_debugfs_remove(struct dynb_dev *st)
{
	debugfs_remove_recursive(st->debugfs);
	st->debugfs = NULL;
}

#else /* !CONFIG_DEBUG_FS */

void dynb_debugfs_init(void) { }
void dynb_debugfs_exit(void) { }
void dynb_debugfs_add(struct dynb_dev *st) { }
void dynb_debugfs_remove(struct dynb_dev *st) { }

#endif /* CONFIG_DEBUG_FS */
