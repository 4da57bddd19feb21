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

struct srcu_struct dynb_srcu;

static char *dynb_devices_list;
module_param_named(devices, dynb_devices_list, charp, 0444);
MODULE_PARM_DESC(devices,
		 "Devices to attach to, separated by ';' or spaces: a device name (0000:00:04.0, fec00000.v3d), pci:VVVV:DDDD or of:<compatible> [DEFAULT: none]");

static DYNB_BUS_CONST struct bus_type *const dynb_buses[] = {
	&pci_bus_type,
	&platform_bus_type,
};

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
	if (!dynb_match(dev))
		return NOTIFY_DONE;

	mutex_lock(&dynb_lock);
	st = dynb_find(dev);
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

	pr_info("version %s loaded (pool_size=%llu dynamic=%d dyn_max=%llu max_segment=%llu force_bounce=%d)\n",
		DYNB_VERSION, dynb_pool_size, dynb_dynamic, dynb_dyn_max,
		dynb_max_segment, dynb_force_bounce);
	return 0;

out_notifiers:
	while (--i >= 0)
		bus_unregister_notifier(dynb_buses[i], &dynb_nb[i]);
	dynb_detach_all();
	dynb_debugfs_exit();
	dynb_match_free();
out_srcu:
	cleanup_srcu_struct(&dynb_srcu);
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
	pr_info("unloaded\n");
}

module_init(dynb_init);
module_exit(dynb_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The dynbounce developers");
MODULE_DESCRIPTION("Alternate DMA bounce buffers: a fixed pool, then pages on demand");
MODULE_VERSION(DYNB_VERSION);
