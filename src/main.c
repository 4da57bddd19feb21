// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - load and unload: parse devices=, attach to the listed devices
 * present now, and watch the PCI and platform buses for listed devices that
 * appear, get a driver, or go away later.
 */
#include "dynbounce_int.h"

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

struct srcu_struct dynb_srcu;

static DYNB_BUS_CONST struct bus_type *const dynb_buses[] = {
	&pci_bus_type,
	&platform_bus_type,
};

/*
 * devices=: given at load (the list to attach to now and later); read back,
 * it names the devices attached now, separated by ';'.
 */
static char *dynb_devices_list;

static int dynb_devices_set(const char *val, const struct kernel_param *kp)
{
	char *copy = kstrdup(val, GFP_KERNEL);

	if (!copy)
		return -ENOMEM;
	kfree(dynb_devices_list);
	dynb_devices_list = copy;
	return 0;
}

static int dynb_devices_get(char *buf, const struct kernel_param *kp)
{
	struct dynb_dev *st;
	int len = 0;

	mutex_lock(&dynb_lock);
	list_for_each_entry(st, &dynb_devices, link)
		len += scnprintf(buf + len, PAGE_SIZE - len, "%s%s",
				 len ? ";" : "", dev_name(st->dev));
	mutex_unlock(&dynb_lock);
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops dynb_devices_ops = {
	.set = dynb_devices_set,
	.get = dynb_devices_get,
};
module_param_cb(devices, &dynb_devices_ops, NULL, 0444);
MODULE_PARM_DESC(devices,
		 "Devices to attach to, separated by ';' or spaces: a device name (0000:00:04.0, fec00000.v3d), pci:VVVV:DDDD or of:<compatible>; reads back the devices attached now [DEFAULT: none]");

/* Set once init is done: attach= and detach= are for run time only. */
static bool dynb_ready;

/* attach=ENTRY (write-only): attach the present devices one entry names. */
static int dynb_attach_param(const char *val, const struct kernel_param *kp)
{
	if (!READ_ONCE(dynb_ready)) {
		pr_err("attach: a run-time parameter; at load, use devices=\n");
		return -EINVAL;
	}
	return dynb_match_attach(val, dynb_buses, ARRAY_SIZE(dynb_buses));
}

/* detach=NAME (write-only): give an attached device its own ops back. */
static int dynb_detach_param(const char *val, const struct kernel_param *kp)
{
	size_t len = strcspn(val, "\n");
	struct dynb_dev *st;
	int ret = -ENODEV;

	if (!READ_ONCE(dynb_ready)) {
		pr_err("detach: a run-time parameter\n");
		return -EINVAL;
	}
	mutex_lock(&dynb_lock);
	list_for_each_entry(st, &dynb_devices, link) {
		if (strlen(dev_name(st->dev)) == len &&
		    !strncmp(dev_name(st->dev), val, len)) {
			ret = dynb_detach(st->dev, false);
			break;
		}
	}
	mutex_unlock(&dynb_lock);
	if (ret == -ENODEV)
		pr_err("detach: '%.*s' is not attached\n", (int)len, val);
	return ret;
}

static int dynb_write_only_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "\n");
}

static const struct kernel_param_ops dynb_attach_ops = {
	.set = dynb_attach_param,
	.get = dynb_write_only_get,
};

static const struct kernel_param_ops dynb_detach_ops = {
	.set = dynb_detach_param,
	.get = dynb_write_only_get,
};
module_param_cb(attach, &dynb_attach_ops, NULL, 0200);
MODULE_PARM_DESC(attach,
		 "Write an entry (as in devices=) to attach the present devices it names");
module_param_cb(detach, &dynb_detach_ops, NULL, 0200);
MODULE_PARM_DESC(detach,
		 "Write a device name to detach it; refused with -EBUSY while it has live bounced mappings");

/* Process context (bus notifier chain; the device lock may be held). */
static int dynb_bus_event(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct device *dev = data;
	struct dynb_dev *st;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_BIND_DRIVER:
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
	case BUS_NOTIFY_DEL_DEVICE:
		break;
	default:
		return NOTIFY_DONE;
	}
	mutex_lock(&dynb_lock);
	st = dynb_find(dev);
	/* Attached devices (by devices= or attach=) are followed; listed ones joined. */
	if (!st && !dynb_match(dev)) {
		mutex_unlock(&dynb_lock);
		return NOTIFY_DONE;
	}
	if (action == BUS_NOTIFY_DEL_DEVICE) {
		if (st && dynb_detach(dev, false))
			dev_err(dev, "dynbounce: removed with bounced mappings live; keeping its state\n");
	} else if (!st) {
		/* An error is logged by dynb_attach(); retried at bind. */
		if (action != BUS_NOTIFY_UNBOUND_DRIVER)
			dynb_attach(dev);
	} else if (action != BUS_NOTIFY_ADD_DEVICE) {
		/* Unbind freed the range map the shadows point at: recopy. */
		dynb_refresh(st, action == BUS_NOTIFY_BOUND_DRIVER);
	}
	mutex_unlock(&dynb_lock);
	return NOTIFY_OK;
}

static struct notifier_block dynb_nb[ARRAY_SIZE(dynb_buses)] = {
	{ .notifier_call = dynb_bus_event },
	{ .notifier_call = dynb_bus_event },
};

static int dynb_attach_present(struct device *dev, void *unused)
{
	if (dynb_match(dev)) {
		mutex_lock(&dynb_lock);
		dynb_attach(dev);
		mutex_unlock(&dynb_lock);
	}
	return 0;
}

static void dynb_detach_all(void)
{
	struct dynb_dev *st, *tmp;

	mutex_lock(&dynb_lock);
	list_for_each_entry_safe(st, tmp, &dynb_devices, link)
		dynb_detach(st->dev, true);
	mutex_unlock(&dynb_lock);
}

static int __init dynb_init(void)
{
	int i, ret;

	ret = init_srcu_struct(&dynb_srcu);
	if (ret)
		return ret;
	ret = dynb_match_parse(dynb_devices_list);
	if (ret)
		goto out_srcu;
	dynb_debugfs_init();

	for (i = 0; i < ARRAY_SIZE(dynb_buses); i++) {
		ret = bus_register_notifier(dynb_buses[i], &dynb_nb[i]);
		if (ret)
			goto out_notifiers;
	}
	/* Devices that appear from now on come through the notifiers. */
	for (i = 0; i < ARRAY_SIZE(dynb_buses); i++)
		bus_for_each_dev(dynb_buses[i], NULL, NULL, dynb_attach_present);
	dynb_match_report(dynb_buses, ARRAY_SIZE(dynb_buses));
	WRITE_ONCE(dynb_ready, true);

	pr_info("version %s loaded (pool_size=%llu dynamic=%d dyn_max=%llu max_segment=%llu force_bounce=%d)\n",
		DYNB_VERSION, dynb_pool_size, dynb_dynamic, dynb_dyn_max,
		dynb_max_segment, dynb_force_bounce);
	/* Say once what a dynamic buffer beyond the page allocator can be. */
	if (!dynb_can_tell_sleep() || !IS_ENABLED(CONFIG_DMA_CMA))
		pr_info("dynamic buffers over %zu KiB: no (needs CMA and CONFIG_PREEMPT_COUNT); size pool_size for larger mappings\n",
			dynb_dyn_max_contig() >> 10);
	else
		pr_info("dynamic buffers over %zu KiB: from CMA when the caller may sleep\n",
			dynb_dyn_max_contig() >> 10);
	return 0;

out_notifiers:
	while (--i >= 0)
		bus_unregister_notifier(dynb_buses[i], &dynb_nb[i]);
	dynb_detach_all();
	dynb_debugfs_exit();
	dynb_match_free();
out_srcu:
	cleanup_srcu_struct(&dynb_srcu);
	kfree(dynb_devices_list);
	return ret;
}

static void __exit dynb_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dynb_buses); i++)
		bus_unregister_notifier(dynb_buses[i], &dynb_nb[i]);
	/*
	 * Live bounced mappings hold module references, so there are none
	 * here unless one raced with rmmod; dynb_detach() waits for those.
	 */
	dynb_detach_all();
	dynb_debugfs_exit();
	dynb_match_free();
	cleanup_srcu_struct(&dynb_srcu);
	kfree(dynb_devices_list);
	pr_info("unloaded\n");
}

module_init(dynb_init);
module_exit(dynb_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The dynbounce developers");
MODULE_DESCRIPTION("Alternate DMA bounce buffers: a fixed pool, then pages on demand");
MODULE_VERSION(DYNB_VERSION);
