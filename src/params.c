// SPDX-License-Identifier: GPL-2.0
/*
 * params.c - module parameters. All are readable under
 * /sys/module/dynbounce/parameters/; dynamic, dyn_max, max_segment,
 * force_bounce and pool_size are writable at run time. A bad value is
 * refused with -EINVAL and changes nothing. The hot path reads them with
 * READ_ONCE(), so a new value takes effect on the next mapping (pool_size:
 * on the next attach).
 */
#include "dynbounce_int.h"

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#define DYNB_POOL_MAX	SZ_1G
#define DYNB_SEG_MAX	SZ_1G

bool dynb_dynamic = true;
unsigned long long dynb_dyn_max = SZ_256M;
unsigned long long dynb_max_segment = SZ_64M;
bool dynb_force_bounce;
unsigned long long dynb_pool_size = SZ_4M;

/*
 * Parse a byte count with memparse() suffixes (K, M, G), one optional
 * trailing newline (from echo), and nothing else.
 */
static int dynb_parse_bytes(const char *val, unsigned long long *out)
{
	char *end;

	if (!val || !isdigit(*val))
		return -EINVAL;
	*out = memparse(val, &end);
	if (*end == '\n')
		end++;
	return *end ? -EINVAL : 0;
}

struct dynb_size_param {
	unsigned long long *var;
	unsigned long long min, max, align;
	void (*changed)(void);
};

static int dynb_size_set(const char *val, const struct kernel_param *kp)
{
	const struct dynb_size_param *p = kp->arg;
	unsigned long long v;

	if (dynb_parse_bytes(val, &v) || v < p->min || v > p->max ||
	    (p->align && v % p->align)) {
		pr_err("%s: invalid value '%.*s' (bytes with K/M/G, %llu to %llu%s)\n",
		       kp->name, val ? (int)strcspn(val, "\n") : 0, val,
		       p->min, p->max,
		       p->align ? ", a multiple of the page size" : "");
		return -EINVAL;
	}
	WRITE_ONCE(*p->var, v);
	if (p->changed)
		p->changed();
	return 0;
}

static int dynb_size_get(char *buf, const struct kernel_param *kp)
{
	const struct dynb_size_param *p = kp->arg;

	return sysfs_emit(buf, "%llu\n", READ_ONCE(*p->var));
}

static const struct kernel_param_ops dynb_size_ops = {
	.set = dynb_size_set,
	.get = dynb_size_get,
};

/* Process context (a sysfs write): resize every attached device's pool. */
static void dynb_pool_size_changed(void)
{
	struct dynb_dev *st;

	mutex_lock(&dynb_lock);
	list_for_each_entry(st, &dynb_devices, link)
		dynb_pool_apply(st);
	mutex_unlock(&dynb_lock);
}

static struct dynb_size_param dynb_pool_size_p = {
	&dynb_pool_size, 0, DYNB_POOL_MAX, PAGE_SIZE, dynb_pool_size_changed };
static struct dynb_size_param dynb_dyn_max_p = {
	&dynb_dyn_max, 0, ULLONG_MAX, 0 };
static struct dynb_size_param dynb_max_segment_p = {
	&dynb_max_segment, 1, DYNB_SEG_MAX, 0 };

module_param_cb(pool_size, &dynb_size_ops, &dynb_pool_size_p, 0644);
MODULE_PARM_DESC(pool_size,
		 "Fixed pool per attached device, bytes, K/M/G suffixes, a multiple of the page size, 0 for none; a change applies to each attached device once its pool is idle [DEFAULT: 4M]");
module_param_named(dynamic, dynb_dynamic, bool, 0644);
MODULE_PARM_DESC(dynamic,
		 "Allocate bounce buffers on demand when the pool is full or too small [DEFAULT: Y]");
module_param_cb(dyn_max, &dynb_size_ops, &dynb_dyn_max_p, 0644);
MODULE_PARM_DESC(dyn_max,
		 "Cap on live dynamic bounce bytes per device, K/M/G suffixes, 0 for no cap [DEFAULT: 256M]");
module_param_cb(max_segment, &dynb_size_ops, &dynb_max_segment_p, 0644);
MODULE_PARM_DESC(max_segment,
		 "Largest single mapping bounced, bytes, K/M/G suffixes, 1 to 1G [DEFAULT: 64M]");
module_param_named(force_bounce, dynb_force_bounce, bool, 0644);
MODULE_PARM_DESC(force_bounce,
		 "Bounce even memory the device can reach [DEFAULT: N]");

/* Process context. The same parsing and checks as a sysfs write. */
int dynb_params_set(const char *name, const char *value)
{
	static const struct {
		const char *name;
		const struct kernel_param_ops *ops;
		void *arg;
	} tab[] = {
		{ "dynamic", &param_ops_bool, &dynb_dynamic },
		{ "force_bounce", &param_ops_bool, &dynb_force_bounce },
		{ "dyn_max", &dynb_size_ops, &dynb_dyn_max_p },
		{ "max_segment", &dynb_size_ops, &dynb_max_segment_p },
		{ "pool_size", &dynb_size_ops, &dynb_pool_size_p },
	};
	struct kernel_param kp = {};
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		if (strcmp(name, tab[i].name))
			continue;
		kp.name = tab[i].name;
		kp.ops = tab[i].ops;
		kp.arg = tab[i].arg;
		kernel_param_lock(THIS_MODULE);
		ret = tab[i].ops->set(value, &kp);
		kernel_param_unlock(THIS_MODULE);
		return ret;
	}
	return -EINVAL;
}
