// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/dynbounce/: a "summary" line per attached
 * device, and per device a folder with
 *   stats	"key: value" counters (see README)
 *   pool	the fixed pool: size, slot size, use, largest free run
 *   buffers	one line per live dynamic buffer: dma size direction age_ms
 *   histogram	mapping sizes in power-of-two buckets, by path
 *   reset	write anything: zero the counters and high-water marks
 * Process context throughout. Files are removed (and their readers waited
 * for) before the device's state is freed.
 */
#include "dynbounce_int.h"

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#ifdef CONFIG_DEBUG_FS

static struct dentry *dynb_debugfs_root;

static void dynb_stats_print(struct seq_file *m, const struct dynbounce_stats *s)
{
	seq_printf(m, "maps: %llu\n", s->maps);
	seq_printf(m, "unmaps: %llu\n", s->unmaps);
	seq_printf(m, "passthrough: %llu\n", s->passthrough);
	seq_printf(m, "bounced_fixed: %llu\n", s->bounced_fixed);
	seq_printf(m, "bounced_dynamic: %llu\n", s->bounced_dynamic);
	seq_printf(m, "map_failures: %llu\n", s->map_failures);
	seq_printf(m, "fail_no_dynamic: %llu\n", s->fail_no_dynamic);
	seq_printf(m, "fail_dyn_max: %llu\n", s->fail_dyn_max);
	seq_printf(m, "fail_max_segment: %llu\n", s->fail_max_segment);
	seq_printf(m, "fail_alloc: %llu\n", s->fail_alloc);
	seq_printf(m, "pool_bytes: %llu\n", s->pool_bytes);
	seq_printf(m, "pool_used_bytes: %llu\n", s->pool_used_bytes);
	seq_printf(m, "pool_hiwater_bytes: %llu\n", s->pool_hiwater_bytes);
	seq_printf(m, "dyn_live: %llu\n", s->dyn_live);
	seq_printf(m, "dyn_live_bytes: %llu\n", s->dyn_live_bytes);
	seq_printf(m, "dyn_hiwater_bytes: %llu\n", s->dyn_hiwater_bytes);
	seq_printf(m, "dyn_cached: %llu\n", s->dyn_cached);
	seq_printf(m, "dyn_cached_bytes: %llu\n", s->dyn_cached_bytes);
	seq_printf(m, "bytes_to_device: %llu\n", s->bytes_to_device);
	seq_printf(m, "bytes_from_device: %llu\n", s->bytes_from_device);
}

static int dynb_stats_show(struct seq_file *m, void *unused)
{
	struct dynbounce_stats s;

	dynb_snapshot(m->private, &s);
	dynb_stats_print(m, &s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dynb_stats);

static int dynb_pool_file_show(struct seq_file *m, void *unused)
{
	struct dynb_dev *st = m->private;
	int idx = srcu_read_lock(&dynb_srcu);

	dynb_pool_show(m, st, srcu_dereference(st->pool, &dynb_srcu));
	srcu_read_unlock(&dynb_srcu, idx);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dynb_pool_file);

static int dynb_buffers_show(struct seq_file *m, void *unused)
{
	dynb_dyn_show_live(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dynb_buffers);

static int dynb_histogram_show(struct seq_file *m, void *unused)
{
	struct dynb_dev *st = m->private;
	int b, p;

	seq_puts(m, "# bytes_from passthrough fixed dynamic failed\n");
	for (b = 0; b < DYNB_HIST_BUCKETS; b++) {
		long n[DYNB_NR_PATHS];
		bool any = false;

		for (p = 0; p < DYNB_NR_PATHS; p++) {
			n[p] = atomic_long_read(&st->cnt.hist[p][b]);
			any |= n[p] != 0;
		}
		if (any)
			seq_printf(m, "%lu %ld %ld %ld %ld\n", 1UL << b,
				   n[DYNB_PATH_PASSTHROUGH], n[DYNB_PATH_FIXED],
				   n[DYNB_PATH_DYNAMIC], n[DYNB_PATH_FAILED]);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dynb_histogram);

static ssize_t dynb_reset_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	dynb_stats_reset(file->private_data);
	return len;
}

static const struct file_operations dynb_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = dynb_reset_write,
	.llseek = noop_llseek,
};

static int dynb_summary_show(struct seq_file *m, void *unused)
{
	struct dynbounce_stats s;
	struct dynb_dev *st;

	mutex_lock(&dynb_lock);
	list_for_each_entry(st, &dynb_devices, link) {
		dynb_snapshot(st, &s);
		seq_printf(m, "%s maps=%llu passthrough=%llu fixed=%llu dynamic=%llu failed=%llu pool_used=%llu/%llu dyn_live=%llu dyn_live_bytes=%llu\n",
			   dev_name(st->dev), s.maps, s.passthrough,
			   s.bounced_fixed, s.bounced_dynamic, s.map_failures,
			   s.pool_used_bytes, s.pool_bytes, s.dyn_live,
			   s.dyn_live_bytes);
	}
	mutex_unlock(&dynb_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dynb_summary);

void dynb_debugfs_init(void)
{
	dynb_debugfs_root = debugfs_create_dir("dynbounce", NULL);
	debugfs_create_file("summary", 0400, dynb_debugfs_root, NULL,
			    &dynb_summary_fops);
}

void dynb_debugfs_exit(void)
{
	debugfs_remove_recursive(dynb_debugfs_root);
	dynb_debugfs_root = NULL;
}

void dynb_debugfs_add(struct dynb_dev *st)
{
	struct dentry *d = debugfs_create_dir(dev_name(st->dev),
					      dynb_debugfs_root);

	st->debugfs = d;
	debugfs_create_file("stats", 0400, d, st, &dynb_stats_fops);
	debugfs_create_file("pool", 0400, d, st, &dynb_pool_file_fops);
	debugfs_create_file("buffers", 0400, d, st, &dynb_buffers_fops);
	debugfs_create_file("histogram", 0400, d, st, &dynb_histogram_fops);
	debugfs_create_file("reset", 0200, d, st, &dynb_reset_fops);
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
