// SPDX-License-Identifier: GPL-2.0
/*
 * api.c - what other modules may call (include/dynbounce.h): the self-test
 * uses it to check numbers and to attach and detach at will.
 * Process context throughout.
 */
#include "dynbounce_int.h"

#include <linux/module.h>

int dynbounce_get_stats(struct device *dev, struct dynbounce_stats *out)
{
	struct dynb_dev *st;

	mutex_lock(&dynb_lock);
	st = dynb_find(dev);
	if (st)
		dynb_snapshot(st, out);
	mutex_unlock(&dynb_lock);
	return st ? 0 : -ENODEV;
}
EXPORT_SYMBOL_GPL(dynbounce_get_stats);

int dynbounce_attach(struct device *dev)
{
	int ret;

	mutex_lock(&dynb_lock);
	ret = dynb_attach(dev);
	mutex_unlock(&dynb_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(dynbounce_attach);

int dynbounce_detach(struct device *dev)
{
	int ret;

	mutex_lock(&dynb_lock);
	ret = dynb_detach(dev, false);
	mutex_unlock(&dynb_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(dynbounce_detach);

int dynbounce_set_param(const char *name, const char *value)
{
	return dynb_params_set(name, value);
}
EXPORT_SYMBOL_GPL(dynbounce_set_param);

int dynbounce_trim(struct device *dev)
{
	struct dynb_pool *pool;
	struct dynb_dev *st;

	mutex_lock(&dynb_lock);
	st = dynb_find(dev);
	if (st) {
		pool = rcu_dereference_protected(st->pool,
						 lockdep_is_held(&dynb_lock));
		dynb_dyn_trim_all(st);
		dynb_pool_wake_all(pool);
	}
	mutex_unlock(&dynb_lock);
	return st ? 0 : -ENODEV;
}
EXPORT_SYMBOL_GPL(dynbounce_trim);
