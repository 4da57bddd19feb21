// SPDX-License-Identifier: GPL-2.0
/*
 * dynbounce_selftest.c - check, inside a guest, that dynbounce keeps the
 * semantics of a bounce buffer (DESIGN.md, "Semantics that a bounce buffer
 * must keep") and that its counters tell the truth.
 *
 * The test never programs hardware. It takes a PCI device dynbounce is
 * attached to (QEMU's edu, 1234:11e8, unless dev= names another), drives the
 * streaming DMA API on it, and plays the device itself: it reads and writes
 * the memory behind each DMA address it gets back (dma == phys for PCI on
 * x86 and on arm64 virt, so dma_to_phys() then phys_to_virt() finds it).
 * Every byte on both sides is checked against a pattern, and every counter
 * of dynbounce_get_stats() against the exact change the case must cause.
 *
 * What gets bounced is memory the device cannot reach: in the guests of the
 * test bench most GFP_KERNEL pages lie above the device's 32-bit mask. If no
 * such page can be found the run sets force_bounce=1 and says so.
 *
 * Control (debugfs, /sys/kernel/debug/dynbounce_selftest/):
 *   run      write "1" (or "all") to run every case, or part of a case name
 *            to run the cases whose names contain it; autorun=1 runs them
 *            all at load. Two long cases run only when named this way:
 *            stress_two_devices_with_irq_and_param_flips (stress_secs) and
 *            fault_injection_failures_end_clean (needs failslab and
 *            fail_page_alloc set up with task-filter; see trust.sh)
 *   results  KTAP of the last run: one line per case, diagnostics before it
 * Dynbounce's parameters are set for a case through dynbounce_set_param()
 * and put back to what /sys/module/dynbounce/parameters/ showed at the start.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "dynbounce.h"

static char *dev_name_param;
module_param_named(dev, dev_name_param, charp, 0444);
MODULE_PARM_DESC(dev, "PCI device to test, e.g. 0000:00:03.0 [DEFAULT: the first 1234:11e8]");

static unsigned int dma_bits = 32;
module_param(dma_bits, uint, 0644);
MODULE_PARM_DESC(dma_bits, "DMA mask the device gets for the run, 0 to keep its own [DEFAULT: 32]");

static unsigned int stress_secs = 10;
module_param(stress_secs, uint, 0644);
MODULE_PARM_DESC(stress_secs, "Seconds the concurrent case runs [DEFAULT: 10]");

static unsigned int stress_threads = 3;
module_param(stress_threads, uint, 0644);
MODULE_PARM_DESC(stress_threads, "Threads of the concurrent case, at least 2 [DEFAULT: 3]");

static bool autorun;
module_param(autorun, bool, 0444);
MODULE_PARM_DESC(autorun, "Run every case at load [DEFAULT: N]");

#define ST_SLOT		2048		/* dynbounce's pool slot */
#define ST_TRIES	16		/* allocations tried for (un)reachable memory */
#define ST_MAX_ORDER	10		/* 4 MiB: the page allocator's limit here */
#define ST_MAX_DIAG	8		/* failure lines shown per case */
#define ST_OUT_SIZE	(128 * 1024)

/* Patterns: which writer a byte came from. */
#define SEED_CPU	0x1001		/* the CPU, before mapping */
#define SEED_DEV	0x2002		/* the "device" */
#define SEED_CPU2	0x3003		/* the CPU, after a sync for the CPU */
#define SEED_STALE	0x4004		/* an earlier user of the bounce memory */

/* ---- results ----------------------------------------------------------- */

/* Serialises runs and guards the results buffer. */
static DEFINE_MUTEX(st_lock);
static char *st_out;
static size_t st_out_len;
static bool st_out_full;

static __printf(1, 2) void st_out_printf(const char *fmt, ...)
{
	va_list args;

	if (st_out_full)
		return;
	va_start(args, fmt);
	st_out_len += vscnprintf(st_out + st_out_len, ST_OUT_SIZE - st_out_len,
				 fmt, args);
	va_end(args);
	if (st_out_len >= ST_OUT_SIZE - 64) {
		st_out_len += scnprintf(st_out + st_out_len,
					ST_OUT_SIZE - st_out_len,
					"\n# results truncated\n");
		st_out_full = true;
	}
}

/* ---- run and case state ------------------------------------------------- */

enum st_param { P_DYNAMIC, P_DYN_MAX, P_FORCE_BOUNCE, P_MAX_SEGMENT, ST_NPARAMS };

static const char * const st_param_names[ST_NPARAMS] = {
	[P_DYNAMIC] = "dynamic",
	[P_DYN_MAX] = "dyn_max",
	[P_FORCE_BOUNCE] = "force_bounce",
	[P_MAX_SEGMENT] = "max_segment",
};

/**
 * struct st_ctx - one run
 * @pdev:	the device under test (a reference is held)
 * @dev:	&@pdev->dev
 * @fallback:	no memory beyond the device's reach: force_bounce=1 for the run
 * @attached:	the device was attached when the run started
 * @saved:	parameter values found at the start, restored after each case
 * @orig_force:	force_bounce as found, restored at the end of a fallback run
 * @old_mask:	the device's DMA mask before the run, if @mask_changed
 * @old_coherent_mask: its coherent mask then
 * @mask_changed: the run set dma_bits
 */
struct st_ctx {
	struct pci_dev *pdev;
	struct device *dev;
	bool fallback;
	bool attached;
	char saved[ST_NPARAMS][32];
	char orig_force[32];
	u64 old_mask;
	u64 old_coherent_mask;
	bool mask_changed;
};

/**
 * struct st_test - one case
 * @c:		the run
 * @name:	the case's name
 * @failed:	an expectation failed
 * @skip:	why the case was skipped, or NULL
 * @ndiag:	failure lines printed so far
 */
struct st_test {
	struct st_ctx *c;
	const char *name;
	bool failed;
	const char *skip;
	unsigned int ndiag;
};

static __printf(2, 3) void st_fail(struct st_test *t, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	t->failed = true;
	if (t->ndiag++ > ST_MAX_DIAG)
		return;
	if (t->ndiag > ST_MAX_DIAG) {
		st_out_printf("# %s: more failures not shown\n", t->name);
		return;
	}
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	st_out_printf("# %s: %pV\n", t->name, &vaf);
	va_end(args);
}

static __printf(2, 3) void st_diag(struct st_test *t, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	st_out_printf("# %s: %pV\n", t->name, &vaf);
	va_end(args);
}

static bool st_expect_eq(struct st_test *t, const char *what, u64 got, u64 exp)
{
	if (got == exp)
		return true;
	st_fail(t, "%s: expected %llu, got %llu", what, exp, got);
	return false;
}

#define EXPECT_EQ(t, what, got, exp) \
	st_expect_eq(t, what, (u64)(got), (u64)(exp))
/* A counter of struct dynbounce_stats changed by exactly @n from @a to @b. */
#define EXPECT_GREW(t, a, b, field, n) \
	st_expect_eq(t, #field " grew by", (b).field - (a).field, (u64)(n))

static bool st_expect_true(struct st_test *t, bool cond, const char *what)
{
	if (!cond)
		st_fail(t, "%s", what);
	return cond;
}

static const char *st_dir_name(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE:
		return "TO_DEVICE";
	case DMA_FROM_DEVICE:
		return "FROM_DEVICE";
	case DMA_BIDIRECTIONAL:
		return "BIDIRECTIONAL";
	default:
		return "NONE";
	}
}

static const enum dma_data_direction st_dirs[] = {
	DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
};

static bool st_stats(struct st_test *t, struct dynbounce_stats *s)
{
	int ret = dynbounce_get_stats(t->c->dev, s);

	if (ret) {
		memset(s, 0, sizeof(*s));
		st_fail(t, "dynbounce_get_stats: expected 0, got %d", ret);
		return false;
	}
	return true;
}

/*
 * Let memory freed by the case's own unmaps be handed out again at once: on
 * DMA_API_DEBUG kernels dynbounce lets freed bounce memory rest a moment
 * first (DYNB_REST_JIFFIES), and cases that count which path a mapping took
 * must not depend on how fast they ran. Also drops cached dynamic buffers.
 */
static void st_settle(struct st_test *t)
{
	dynbounce_trim(t->c->dev);
}

/* ---- patterns ------------------------------------------------------------ */

/* Eight bytes of the pattern named @seed: bytes 8 * @blk to 8 * @blk + 7. */
static u64 st_pat64(u32 seed, u64 blk)
{
	u64 x = (blk + 1) * 0x9e3779b97f4a7c15ULL ^ ((u64)seed << 32 | seed);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	return x;
}

/* Byte @i of the pattern named @seed. */
static u8 st_pat(u32 seed, size_t i)
{
	return st_pat64(seed, i / 8) >> (8 * (i % 8));
}

/* Fill @len bytes at @p with bytes @idx onwards of pattern @seed. */
static void st_fill(void *p, size_t len, u32 seed, size_t idx)
{
	u8 *b = p;
	size_t i = 0;

	for (; i < len && (idx + i) % 8; i++)
		b[i] = st_pat(seed, idx + i);
	for (; i + 8 <= len; i += 8) {
		__le64 v = cpu_to_le64(st_pat64(seed, (idx + i) / 8));

		memcpy(b + i, &v, 8);
	}
	for (; i < len; i++)
		b[i] = st_pat(seed, idx + i);
}

/* Offset of the first byte at @p that is not pattern @seed from @idx, or -1. */
static ssize_t st_mismatch(const void *p, size_t len, u32 seed, size_t idx)
{
	const u8 *b = p;
	size_t i = 0;

	for (; i < len && (idx + i) % 8; i++)
		if (b[i] != st_pat(seed, idx + i))
			return i;
	for (; i + 8 <= len; i += 8) {
		__le64 v = cpu_to_le64(st_pat64(seed, (idx + i) / 8));

		if (memcmp(b + i, &v, 8))
			break;
	}
	for (; i < len; i++)
		if (b[i] != st_pat(seed, idx + i))
			return i;
	return -1;
}

static const char *st_seed_name(u32 seed)
{
	switch (seed) {
	case SEED_CPU:
		return "the CPU's original";
	case SEED_DEV:
		return "the device's";
	case SEED_CPU2:
		return "the CPU's later";
	case SEED_STALE:
		return "an earlier mapping's";
	default:
		return "pattern";
	}
}

/* Which known pattern byte @i holds, to tell what went where. */
static const char *st_guess(u8 got, size_t i)
{
	static const u32 seeds[] = { SEED_CPU, SEED_DEV, SEED_CPU2, SEED_STALE };
	int k;

	for (k = 0; k < ARRAY_SIZE(seeds); k++)
		if (got == st_pat(seeds[k], i))
			return st_seed_name(seeds[k]);
	return "unknown";
}

/*
 * Bytes [@idx, @idx + @len) of something, at @p, must be pattern @seed.
 * @what says what they are ("CPU buffer after unmap").
 */
static bool st_expect_pat(struct st_test *t, const char *what, const void *p,
			  size_t len, u32 seed, size_t idx)
{
	ssize_t bad = st_mismatch(p, len, seed, idx);
	const u8 *b = p;
	size_t i, n = 0;

	if (bad < 0)
		return true;
	for (i = bad; i < len; i++)
		n += b[i] != st_pat(seed, idx + i);
	st_fail(t, "%s: byte %zu is %#04x, expected %#04x (%s bytes); %zu of bytes %zu..%zu differ, the first looks like %s bytes",
		what, idx + bad, b[bad], st_pat(seed, idx + bad),
		st_seed_name(seed), n, idx, idx + len - 1,
		st_guess(b[bad], idx + bad));
	return false;
}

/*
 * @total bytes at @p: [@off, @off + @len) must be pattern @inner, the rest
 * pattern @outer; all indexed from @p.
 */
static bool st_expect_split(struct st_test *t, const char *what, const u8 *p,
			    size_t total, u32 outer, size_t off, size_t len,
			    u32 inner)
{
	bool ok;

	ok = st_expect_pat(t, what, p, off, outer, 0);
	ok &= st_expect_pat(t, what, p + off, len, inner, off);
	ok &= st_expect_pat(t, what, p + off + len, total - off - len, outer,
			    off + len);
	return ok;
}

/* ---- memory -------------------------------------------------------------- */

/**
 * struct st_buf - physically contiguous CPU memory
 * @page:	first page, or NULL
 * @order:	allocation order
 * @va:		linear-map address
 * @phys:	physical address
 * @size:	bytes
 */
struct st_buf {
	struct page *page;
	unsigned int order;
	u8 *va;
	phys_addr_t phys;
	size_t size;
};

static bool st_reachable(struct device *dev, phys_addr_t phys, size_t size)
{
	return dma_capable(dev, phys_to_dma(dev, phys), size, false);
}

/* The CPU's view of what the device sees at @addr. */
static u8 *st_dev_va(struct device *dev, dma_addr_t addr)
{
	return phys_to_virt(dma_to_phys(dev, addr));
}

static void st_free(struct st_buf *b)
{
	if (b->page)
		__free_pages(b->page, b->order);
	b->page = NULL;
}

/*
 * Process context. @size bytes the device cannot reach (@far) or can reach.
 * Rejected allocations are kept until the end so each try gets new pages.
 */
static int st_alloc(struct st_ctx *c, struct st_buf *b, size_t size, bool far)
{
	static const gfp_t near_zones[] = { GFP_DMA32, GFP_DMA };
	struct page *reject[ST_TRIES];
	unsigned int order = get_order(size), n = 0, z = 0;
	struct page *page = NULL;
	int i;

	memset(b, 0, sizeof(*b));
	if (order > ST_MAX_ORDER)
		return -E2BIG;
	while (n < ST_TRIES) {
		gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
		bool reach;

		if (!far) {
			if (z == ARRAY_SIZE(near_zones))
				break;
			gfp |= near_zones[z];
		}
		page = alloc_pages(gfp, order);
		if (!page) {
			if (far)
				break;
			z++;
			continue;
		}
		reach = st_reachable(c->dev, page_to_phys(page), PAGE_SIZE << order);
		if (far ? !reach || c->fallback : reach)
			break;
		reject[n++] = page;
		page = NULL;
		/* A zone that gave unreachable memory will do it again. */
		if (!far)
			z++;
	}
	for (i = 0; i < n; i++)
		__free_pages(reject[i], order);
	if (!page)
		return -ENOMEM;
	b->page = page;
	b->order = order;
	b->va = page_address(page);
	b->phys = page_to_phys(page);
	b->size = PAGE_SIZE << order;
	return 0;
}

static bool st_alloc_far(struct st_test *t, struct st_buf *b, size_t size)
{
	int ret = st_alloc(t->c, b, size, true);

	if (ret)
		st_fail(t, "no memory beyond the device's reach for %zu bytes (%d)",
			size, ret);
	return !ret;
}

static bool st_alloc_near(struct st_test *t, struct st_buf *b, size_t size)
{
	int ret = st_alloc(t->c, b, size, false);

	if (ret)
		st_fail(t, "no memory within the device's reach for %zu bytes (%d)",
			size, ret);
	return !ret;
}

/* ---- mapping helpers ----------------------------------------------------- */

static dma_addr_t st_map(struct st_test *t, void *va, size_t size,
			 enum dma_data_direction dir, unsigned long attrs)
{
	struct device *dev = t->c->dev;
	dma_addr_t a = dma_map_single_attrs(dev, va, size, dir, attrs);

	if (dma_mapping_error(dev, a)) {
		st_fail(t, "mapping %zu bytes %s: expected a DMA address, got DMA_MAPPING_ERROR",
			size, st_dir_name(dir));
		return DMA_MAPPING_ERROR;
	}
	return a;
}

/* Map where failure is the expected outcome; true if it failed. */
static bool st_map_fails(struct st_test *t, void *va, size_t size,
			 enum dma_data_direction dir, unsigned long attrs)
{
	struct device *dev = t->c->dev;
	dma_addr_t a = dma_map_single_attrs(dev, va, size, dir, attrs);

	if (dma_mapping_error(dev, a))
		return true;
	st_fail(t, "mapping %zu bytes %s: expected DMA_MAPPING_ERROR, got %pad",
		size, st_dir_name(dir), &a);
	dma_unmap_single_attrs(dev, a, size, dir, DMA_ATTR_SKIP_CPU_SYNC);
	return false;
}

/**
 * struct st_fillers - slot-sized mappings that hold the whole pool
 * @buf:	the one far page they all map
 * @addr:	their DMA addresses
 * @n:		how many are live
 */
struct st_fillers {
	struct st_buf buf;
	dma_addr_t *addr;
	unsigned int n;
};

/*
 * Map slot-sized pieces until the pool is full (or a piece went dynamic:
 * the pool takes no more). TO_DEVICE with DMA_ATTR_SKIP_CPU_SYNC, so the
 * fillers move no bytes and leave the byte counters alone. Always undo with
 * st_unfill_pool(), whatever this returned.
 */
static bool st_fill_pool(struct st_test *t, struct st_fillers *f)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s, s2;
	unsigned int max;
	dma_addr_t a;

	memset(f, 0, sizeof(*f));
	if (!st_stats(t, &s))
		return false;
	if (!st_alloc_far(t, &f->buf, PAGE_SIZE))
		return false;
	max = (s.pool_bytes - s.pool_used_bytes) / ST_SLOT + 1;
	f->addr = kvcalloc(max, sizeof(*f->addr), GFP_KERNEL);
	if (!f->addr) {
		st_fail(t, "no memory for %u pool fillers", max);
		return false;
	}
	while (s.pool_used_bytes < s.pool_bytes) {
		if (f->n == max) {
			st_fail(t, "pool not full after %u slot-sized mappings: pool_used_bytes %llu of %llu",
				f->n, s.pool_used_bytes, s.pool_bytes);
			return false;
		}
		a = dma_map_single_attrs(dev, f->buf.va, ST_SLOT, DMA_TO_DEVICE,
					 DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(dev, a)) {
			st_fail(t, "pool filler %u: expected a DMA address, got DMA_MAPPING_ERROR",
				f->n);
			return false;
		}
		f->addr[f->n++] = a;
		if (!st_stats(t, &s2))
			return false;
		if (s2.bounced_dynamic != s.bounced_dynamic)
			break;
		s = s2;
	}
	return true;
}

static void st_unfill_pool(struct st_test *t, struct st_fillers *f)
{
	while (f->n)
		dma_unmap_single_attrs(t->c->dev, f->addr[--f->n], ST_SLOT,
				       DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	kvfree(f->addr);
	f->addr = NULL;
	st_free(&f->buf);
}

/* ---- parameters ---------------------------------------------------------- */

/*
 * Process context. What /sys/module/dynbounce/parameters/@name shows now,
 * without the newline.
 */
static int st_param_read(const char *name, char *buf, size_t len)
{
	char path[80];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/dynbounce/parameters/%s", name);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, len - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static bool st_set(struct st_test *t, const char *name, const char *val)
{
	int ret = dynbounce_set_param(name, val);

	if (ret)
		st_fail(t, "dynbounce_set_param(\"%s\", \"%s\"): expected 0, got %d",
			name, val, ret);
	return !ret;
}

/* Put every parameter back to its value at the start of the run. */
static void st_restore_params(struct st_test *t)
{
	struct st_ctx *c = t->c;
	char now[32];
	int i, ret;

	for (i = 0; i < ST_NPARAMS; i++) {
		if (!st_param_read(st_param_names[i], now, sizeof(now)) &&
		    !strcmp(now, c->saved[i]))
			continue;
		ret = dynbounce_set_param(st_param_names[i], c->saved[i]);
		if (ret)
			st_fail(t, "restoring %s=%s: expected 0, got %d",
				st_param_names[i], c->saved[i], ret);
	}
}

/* ---- the cases: directions and copies ------------------------------------ */

#define OFF	100	/* where in its page a small mapping starts */
#define LEN	3000	/* its length: two slots, not a multiple of anything */

static void device_is_attached_to_dynbounce(struct st_test *t)
{
	struct dynbounce_stats s;

	if (!st_stats(t, &s))
		return;
	st_diag(t, "pool %llu bytes, %llu in use; %llu maps so far",
		s.pool_bytes, s.pool_used_bytes, s.maps);
	EXPECT_EQ(t, "pool_used_bytes before the run", s.pool_used_bytes, 0);
	EXPECT_EQ(t, "dyn_live before the run", s.dyn_live, 0);
}

static void to_device_map_copies_in_and_unmap_copies_nothing_back(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1, s2;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	st_stats(t, &s0);
	a = st_map(t, b.va + OFF, LEN, DMA_TO_DEVICE, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, maps, 1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	EXPECT_GREW(t, s0, s1, bytes_to_device, LEN);
	st_expect_pat(t, "device view after map", st_dev_va(dev, a), LEN,
		      SEED_CPU, OFF);
	/* A device that scribbles on a TO_DEVICE buffer must not be heard. */
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	dma_unmap_single(dev, a, LEN, DMA_TO_DEVICE);
	st_stats(t, &s2);
	EXPECT_GREW(t, s1, s2, unmaps, 1);
	EXPECT_GREW(t, s1, s2, bytes_from_device, 0);
	st_expect_pat(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU, 0);
out:
	st_free(&b);
}

static void from_device_unmap_copies_the_device_bytes_out(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1, s2;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	st_stats(t, &s0);
	a = st_map(t, b.va + OFF, LEN, DMA_FROM_DEVICE, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	dma_unmap_single(dev, a, LEN, DMA_FROM_DEVICE);
	st_stats(t, &s2);
	EXPECT_GREW(t, s1, s2, bytes_from_device, LEN);
	st_expect_split(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU,
			OFF, LEN, SEED_DEV);
out:
	st_free(&b);
}

static void bidirectional_map_copies_in_and_unmap_copies_out(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1, s2;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	st_stats(t, &s0);
	a = st_map(t, b.va + OFF, LEN, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	EXPECT_GREW(t, s0, s1, bytes_to_device, LEN);
	st_expect_pat(t, "device view after map", st_dev_va(dev, a), LEN,
		      SEED_CPU, OFF);
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	dma_unmap_single(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_stats(t, &s2);
	EXPECT_GREW(t, s1, s2, bytes_from_device, LEN);
	st_expect_split(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU,
			OFF, LEN, SEED_DEV);
out:
	st_free(&b);
}

/*
 * The info-leak rule. Fill the pool, free exactly one slot, let a mapping
 * leave SEED_STALE bytes in it, then map other memory FROM_DEVICE: it can
 * only get that slot, and must show its own bytes there.
 */
static void from_device_map_shows_the_original_bytes_not_stale_pool_data(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_fillers f = {};
	struct st_buf x = {}, y = {};
	dma_addr_t ax, ay;

	if (!st_fill_pool(t, &f) || !f.n)
		goto out;
	/* Free exactly one slot. */
	dma_unmap_single_attrs(dev, f.addr[--f.n], ST_SLOT, DMA_TO_DEVICE,
			       DMA_ATTR_SKIP_CPU_SYNC);
	st_settle(t);
	if (!st_alloc_far(t, &x, PAGE_SIZE) || !st_alloc_far(t, &y, PAGE_SIZE))
		goto out;
	st_fill(x.va, ST_SLOT, SEED_STALE, 0);
	st_fill(y.va, ST_SLOT, SEED_CPU, 0);
	st_stats(t, &s0);
	if (!EXPECT_EQ(t, "free pool bytes with one filler unmapped",
		       s0.pool_bytes - s0.pool_used_bytes, ST_SLOT))
		goto out;
	ax = st_map(t, x.va, ST_SLOT, DMA_BIDIRECTIONAL, 0);
	if (ax == DMA_MAPPING_ERROR)
		goto out;
	dma_unmap_single(dev, ax, ST_SLOT, DMA_BIDIRECTIONAL);
	st_settle(t);
	ay = st_map(t, y.va, ST_SLOT, DMA_FROM_DEVICE, 0);
	if (ay == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 2);
	if (ay != ax)
		st_fail(t, "the FROM_DEVICE mapping got %pad, expected the only free slot %pad",
			&ay, &ax);
	st_expect_pat(t, "device view of a FROM_DEVICE mapping", st_dev_va(dev, ay),
		      ST_SLOT, SEED_CPU, 0);
	dma_unmap_single(dev, ay, ST_SLOT, DMA_FROM_DEVICE);
	st_expect_pat(t, "CPU buffer after unmap", y.va, ST_SLOT, SEED_CPU, 0);
out:
	st_unfill_pool(t, &f);
	st_free(&x);
	st_free(&y);
}

/* The same rule for a dynamic buffer that goes back to the cache. */
static void from_device_map_shows_the_original_bytes_not_stale_dynamic_data(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_fillers f = {};
	struct st_buf x = {}, y = {};
	const size_t len = SZ_16K;
	dma_addr_t ax, ay;

	if (!st_fill_pool(t, &f))
		goto out;
	if (!st_alloc_far(t, &x, len) || !st_alloc_far(t, &y, len))
		goto out;
	st_fill(x.va, len, SEED_STALE, 0);
	st_fill(y.va, len, SEED_CPU, 0);
	st_stats(t, &s0);
	ax = st_map(t, x.va, len, DMA_BIDIRECTIONAL, 0);
	if (ax == DMA_MAPPING_ERROR)
		goto out;
	dma_unmap_single(dev, ax, len, DMA_BIDIRECTIONAL);
	/* A freed buffer rests before reuse on DMA_API_DEBUG kernels. */
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG))
		msleep(250);
	ay = st_map(t, y.va, len, DMA_FROM_DEVICE, 0);
	if (ay == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_dynamic, 2);
	st_diag(t, "the second mapping %s the first one's buffer",
		ay == ax ? "reused" : "did not reuse");
	st_expect_pat(t, "device view of a FROM_DEVICE mapping", st_dev_va(dev, ay),
		      len, SEED_CPU, 0);
	dma_unmap_single(dev, ay, len, DMA_FROM_DEVICE);
out:
	st_unfill_pool(t, &f);
	st_free(&x);
	st_free(&y);
}

static void partial_device_write_keeps_the_other_original_bytes(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	a = st_map(t, b.va + OFF, LEN, DMA_FROM_DEVICE, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	/* The device writes only 1000 bytes in the middle. */
	st_fill(st_dev_va(dev, a) + 1000, 1000, SEED_DEV, OFF + 1000);
	dma_unmap_single(dev, a, LEN, DMA_FROM_DEVICE);
	st_expect_split(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU,
			OFF + 1000, 1000, SEED_DEV);
out:
	st_free(&b);
}

static void map_page_at_an_offset_bounces_exactly_those_bytes(struct st_test *t)
{
	struct device *dev = t->c->dev;
	const size_t off = 3000, len = 4000;	/* crosses a page boundary */
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, 2 * PAGE_SIZE))
		return;
	st_fill(b.va, b.size, SEED_CPU, 0);
	st_stats(t, &s0);
	a = dma_map_page(dev, b.page, off, len, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, a)) {
		st_fail(t, "dma_map_page of %zu bytes at offset %zu: expected a DMA address, got DMA_MAPPING_ERROR",
			len, off);
		goto out;
	}
	st_expect_pat(t, "device view after map", st_dev_va(dev, a), len,
		      SEED_CPU, off);
	st_fill(st_dev_va(dev, a), len, SEED_DEV, off);
	dma_unmap_page(dev, a, len, DMA_BIDIRECTIONAL);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	EXPECT_GREW(t, s0, s1, bytes_to_device, len);
	EXPECT_GREW(t, s0, s1, bytes_from_device, len);
	st_expect_split(t, "CPU pages after unmap", b.va, b.size, SEED_CPU,
			off, len, SEED_DEV);
out:
	st_free(&b);
}

static void pool_use_is_counted_in_whole_slots(struct st_test *t)
{
	static const size_t sizes[] = { 1, ST_SLOT - 1, ST_SLOT, ST_SLOT + 1, 6000 };
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1, s2;
	char what[64];
	struct st_buf b;
	dma_addr_t a;
	int i;

	if (!st_alloc_far(t, &b, 2 * PAGE_SIZE))
		return;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		st_stats(t, &s0);
		a = st_map(t, b.va, sizes[i], DMA_TO_DEVICE, 0);
		if (a == DMA_MAPPING_ERROR)
			break;
		st_stats(t, &s1);
		dma_unmap_single(dev, a, sizes[i], DMA_TO_DEVICE);
		st_stats(t, &s2);
		snprintf(what, sizeof(what), "pool_used_bytes for %zu bytes mapped",
			 sizes[i]);
		EXPECT_EQ(t, what, s1.pool_used_bytes - s0.pool_used_bytes,
			  round_up(sizes[i], ST_SLOT));
		snprintf(what, sizeof(what), "pool_used_bytes after unmapping %zu bytes",
			 sizes[i]);
		EXPECT_EQ(t, what, s2.pool_used_bytes, s0.pool_used_bytes);
	}
	st_free(&b);
}

/* ---- the cases: syncs ---------------------------------------------------- */

static void sync_for_cpu_copies_out_only_for_from_device_and_bidirectional(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	char what[80];
	struct st_buf b;
	dma_addr_t a;
	int i;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	for (i = 0; i < ARRAY_SIZE(st_dirs); i++) {
		enum dma_data_direction dir = st_dirs[i];
		bool out = dir != DMA_TO_DEVICE;

		st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
		a = st_map(t, b.va + OFF, LEN, dir, 0);
		if (a == DMA_MAPPING_ERROR)
			break;
		st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
		st_stats(t, &s0);
		dma_sync_single_for_cpu(dev, a, LEN, dir);
		st_stats(t, &s1);
		snprintf(what, sizeof(what), "%s: bytes_from_device grew by",
			 st_dir_name(dir));
		EXPECT_EQ(t, what, s1.bytes_from_device - s0.bytes_from_device,
			  out ? LEN : 0);
		snprintf(what, sizeof(what), "%s: CPU page after sync_for_cpu",
			 st_dir_name(dir));
		st_expect_split(t, what, b.va, PAGE_SIZE, SEED_CPU, OFF, LEN,
				out ? SEED_DEV : SEED_CPU);
		dma_unmap_single_attrs(dev, a, LEN, dir, DMA_ATTR_SKIP_CPU_SYNC);
	}
	st_free(&b);
}

static void sync_for_device_copies_in_only_for_to_device_and_bidirectional(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	char what[80];
	struct st_buf b;
	dma_addr_t a;
	int i;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	for (i = 0; i < ARRAY_SIZE(st_dirs); i++) {
		enum dma_data_direction dir = st_dirs[i];
		bool in = dir != DMA_FROM_DEVICE;

		st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
		a = st_map(t, b.va + OFF, LEN, dir, 0);
		if (a == DMA_MAPPING_ERROR)
			break;
		st_fill(b.va + OFF, LEN, SEED_CPU2, OFF);
		st_stats(t, &s0);
		dma_sync_single_for_device(dev, a, LEN, dir);
		st_stats(t, &s1);
		snprintf(what, sizeof(what), "%s: bytes_to_device grew by",
			 st_dir_name(dir));
		EXPECT_EQ(t, what, s1.bytes_to_device - s0.bytes_to_device,
			  in ? LEN : 0);
		snprintf(what, sizeof(what), "%s: device view after sync_for_device",
			 st_dir_name(dir));
		st_expect_pat(t, what, st_dev_va(dev, a), LEN,
			      in ? SEED_CPU2 : SEED_CPU, OFF);
		dma_unmap_single_attrs(dev, a, LEN, dir, DMA_ATTR_SKIP_CPU_SYNC);
	}
	st_free(&b);
}

/* Range syncs on one mapping of @len bytes at @va (@len >= 8192). */
static void st_sync_ranges(struct st_test *t, u8 *va, size_t len)
{
	/* Interior ranges: inside a slot, across slot and page edges, the end. */
	static const struct { size_t off, len; } cpu_r[] = {
		{ 1000, 3000 }, { 5001, 1 },
	}, dev_r[] = {
		{ 2047, 2 }, { 6000, 0 },	/* the last one runs to the end */
	};
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	size_t tail = len - dev_r[1].off;
	dma_addr_t a;
	u8 *dv;

	st_fill(va, len, SEED_CPU, 0);
	a = st_map(t, va, len, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		return;
	dv = st_dev_va(dev, a);

	/* The device writes everything; the CPU asks for two ranges. */
	st_fill(dv, len, SEED_DEV, 0);
	st_stats(t, &s0);
	dma_sync_single_range_for_cpu(dev, a, cpu_r[0].off, cpu_r[0].len,
				      DMA_BIDIRECTIONAL);
	dma_sync_single_range_for_cpu(dev, a, cpu_r[1].off, cpu_r[1].len,
				      DMA_BIDIRECTIONAL);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bytes_from_device, cpu_r[0].len + cpu_r[1].len);
	st_expect_pat(t, "CPU bytes before the first range", va, cpu_r[0].off,
		      SEED_CPU, 0);
	st_expect_pat(t, "CPU bytes of the first range", va + cpu_r[0].off,
		      cpu_r[0].len, SEED_DEV, cpu_r[0].off);
	st_expect_pat(t, "CPU bytes between the ranges",
		      va + cpu_r[0].off + cpu_r[0].len,
		      cpu_r[1].off - cpu_r[0].off - cpu_r[0].len, SEED_CPU,
		      cpu_r[0].off + cpu_r[0].len);
	st_expect_pat(t, "CPU byte of the second range", va + cpu_r[1].off,
		      cpu_r[1].len, SEED_DEV, cpu_r[1].off);
	st_expect_pat(t, "CPU bytes after the second range",
		      va + cpu_r[1].off + cpu_r[1].len,
		      len - cpu_r[1].off - cpu_r[1].len, SEED_CPU,
		      cpu_r[1].off + cpu_r[1].len);

	/* The CPU writes everything; the device is given two ranges. */
	st_fill(va, len, SEED_CPU2, 0);
	st_stats(t, &s0);
	dma_sync_single_range_for_device(dev, a, dev_r[0].off, dev_r[0].len,
					 DMA_BIDIRECTIONAL);
	dma_sync_single_range_for_device(dev, a, dev_r[1].off, tail,
					 DMA_BIDIRECTIONAL);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bytes_to_device, dev_r[0].len + tail);
	st_expect_pat(t, "device bytes before the first range", dv,
		      dev_r[0].off, SEED_DEV, 0);
	st_expect_pat(t, "device bytes of the first range", dv + dev_r[0].off,
		      dev_r[0].len, SEED_CPU2, dev_r[0].off);
	st_expect_pat(t, "device bytes between the ranges",
		      dv + dev_r[0].off + dev_r[0].len,
		      dev_r[1].off - dev_r[0].off - dev_r[0].len, SEED_DEV,
		      dev_r[0].off + dev_r[0].len);
	st_expect_pat(t, "device bytes of the last range", dv + dev_r[1].off,
		      tail, SEED_CPU2, dev_r[1].off);
	dma_unmap_single_attrs(dev, a, len, DMA_BIDIRECTIONAL,
			       DMA_ATTR_SKIP_CPU_SYNC);
}

static void sync_range_in_the_pool_copies_exactly_the_range(struct st_test *t)
{
	struct dynbounce_stats s0, s1;
	struct st_buf b;

	if (!st_alloc_far(t, &b, 4 * PAGE_SIZE))
		return;
	st_stats(t, &s0);
	st_sync_ranges(t, b.va, 3 * PAGE_SIZE + 100);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	st_free(&b);
}

static void sync_range_in_a_dynamic_buffer_copies_exactly_the_range(struct st_test *t)
{
	struct dynbounce_stats s0, s1;
	struct st_fillers f = {};
	struct st_buf b = {};

	if (!st_fill_pool(t, &f) || !st_alloc_far(t, &b, 8 * PAGE_SIZE))
		goto out;
	st_stats(t, &s0);
	st_sync_ranges(t, b.va, 5 * PAGE_SIZE + 321);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_dynamic, 1);
out:
	st_unfill_pool(t, &f);
	st_free(&b);
}

static void skip_cpu_sync_copies_nothing_at_map_or_unmap(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1, s2;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	st_stats(t, &s0);
	a = st_map(t, b.va + OFF, LEN, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	EXPECT_GREW(t, s0, s1, bytes_to_device, 0);
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	dma_unmap_single_attrs(dev, a, LEN, DMA_BIDIRECTIONAL,
			       DMA_ATTR_SKIP_CPU_SYNC);
	st_stats(t, &s2);
	EXPECT_GREW(t, s1, s2, bytes_from_device, 0);
	st_expect_pat(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU, 0);
out:
	st_free(&b);
}

static void skip_cpu_sync_mapping_still_copies_on_explicit_sync(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	st_stats(t, &s0);
	a = st_map(t, b.va + OFF, LEN, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	dma_sync_single_for_device(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_expect_pat(t, "device view after sync_for_device", st_dev_va(dev, a),
		      LEN, SEED_CPU, OFF);
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	dma_sync_single_for_cpu(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_expect_split(t, "CPU page after sync_for_cpu", b.va, PAGE_SIZE,
			SEED_CPU, OFF, LEN, SEED_DEV);
	dma_unmap_single_attrs(dev, a, LEN, DMA_BIDIRECTIONAL,
			       DMA_ATTR_SKIP_CPU_SYNC);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bytes_to_device, LEN);
	EXPECT_GREW(t, s0, s1, bytes_from_device, LEN);
out:
	st_free(&b);
}

/* ---- the cases: addresses ------------------------------------------------ */

/*
 * With min_align_mask 0xfff, map at many offsets and sizes: the DMA address
 * keeps the low 12 bits of the CPU address. Returns the mappings made.
 */
static unsigned int st_min_align_sweep(struct st_test *t, struct st_buf *b)
{
	static const size_t offs[] = {
		0, 1, 2, 63, 64, 511, 512, 1000, 2047, 2048, 2049, 3000, 4095,
	};
	static const size_t sizes[] = { 1, 100, ST_SLOT, 5000 };
	struct device *dev = t->c->dev;
	unsigned int i, j, n = 0, bad = 0;
	dma_addr_t a;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			phys_addr_t phys = b->phys + PAGE_SIZE + offs[i];
			u8 *va = b->va + PAGE_SIZE + offs[i];

			st_fill(va, sizes[j], SEED_CPU, 0);
			a = st_map(t, va, sizes[j], DMA_BIDIRECTIONAL, 0);
			if (a == DMA_MAPPING_ERROR)
				return n;
			n++;
			if ((a & 0xfff) != (phys & 0xfff) && bad++ < 4)
				st_fail(t, "%zu bytes at page offset %#zx: DMA address %pad, expected low bits %#llx",
					sizes[j], offs[i], &a,
					(unsigned long long)(phys & 0xfff));
			st_expect_pat(t, "device view after map", st_dev_va(dev, a),
				      sizes[j], SEED_CPU, 0);
			dma_unmap_single(dev, a, sizes[j], DMA_BIDIRECTIONAL);
			st_settle(t);
		}
	}
	if (bad)
		st_fail(t, "%u of %u mappings lost the low address bits", bad, n);
	return n;
}

static bool st_can_set_min_align(struct st_test *t)
{
	if (t->c->dev->dma_parms)
		return true;
	t->skip = "the device has no dma_parms for min_align_mask";
	return false;
}

static void min_align_mask_keeps_the_low_address_bits_in_the_pool(struct st_test *t)
{
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	unsigned int n;

	if (!st_can_set_min_align(t) || !st_alloc_far(t, &b, 3 * PAGE_SIZE))
		return;
	dma_set_min_align_mask(t->c->dev, 0xfff);
	st_stats(t, &s0);
	n = st_min_align_sweep(t, &b);
	st_stats(t, &s1);
	dma_set_min_align_mask(t->c->dev, 0);
	EXPECT_GREW(t, s0, s1, bounced_fixed, n);
	st_free(&b);
}

static void min_align_mask_keeps_the_low_address_bits_in_dynamic_buffers(struct st_test *t)
{
	struct dynbounce_stats s0, s1;
	struct st_fillers f = {};
	struct st_buf b = {};
	unsigned int n;

	if (!st_can_set_min_align(t))
		return;
	if (!st_fill_pool(t, &f) || !st_alloc_far(t, &b, 3 * PAGE_SIZE))
		goto out;
	dma_set_min_align_mask(t->c->dev, 0xfff);
	st_stats(t, &s0);
	n = st_min_align_sweep(t, &b);
	st_stats(t, &s1);
	dma_set_min_align_mask(t->c->dev, 0);
	EXPECT_GREW(t, s0, s1, bounced_dynamic, n);
out:
	st_unfill_pool(t, &f);
	st_free(&b);
}

static void reachable_memory_passes_through(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	char what[64];
	dma_addr_t a, own;
	int i;

	if (t->c->fallback) {
		t->skip = "force_bounce=1 for this run";
		return;
	}
	if (!st_alloc_near(t, &b, PAGE_SIZE))
		return;
	own = phys_to_dma(dev, b.phys + OFF);
	for (i = 0; i < ARRAY_SIZE(st_dirs); i++) {
		st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
		st_stats(t, &s0);
		a = st_map(t, b.va + OFF, LEN, st_dirs[i], 0);
		if (a == DMA_MAPPING_ERROR)
			break;
		if (a != own)
			st_fail(t, "%s: DMA address %pad, expected the memory's own %pad",
				st_dir_name(st_dirs[i]), &a, &own);
		if (st_dirs[i] != DMA_TO_DEVICE)
			st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
		dma_unmap_single(dev, a, LEN, st_dirs[i]);
		st_stats(t, &s1);
		snprintf(what, sizeof(what), "%s: passthrough grew by",
			 st_dir_name(st_dirs[i]));
		EXPECT_EQ(t, what, s1.passthrough - s0.passthrough, 1);
		EXPECT_GREW(t, s0, s1, bounced_fixed, 0);
		EXPECT_GREW(t, s0, s1, bounced_dynamic, 0);
		EXPECT_GREW(t, s0, s1, bytes_to_device, 0);
		EXPECT_GREW(t, s0, s1, bytes_from_device, 0);
		st_expect_split(t, "CPU page after unmap", b.va, PAGE_SIZE,
				SEED_CPU, OFF, LEN,
				st_dirs[i] != DMA_TO_DEVICE ? SEED_DEV : SEED_CPU);
	}
	st_free(&b);
}

static void reachable_memory_is_bounced_under_force_bounce(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_near(t, &b, PAGE_SIZE))
		return;
	if (!st_set(t, "force_bounce", "1"))
		goto out;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	st_stats(t, &s0);
	a = st_map(t, b.va + OFF, LEN, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, passthrough, 0);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	st_expect_true(t, a != phys_to_dma(dev, b.phys + OFF),
		       "the DMA address is the memory's own: not bounced");
	st_expect_pat(t, "device view after map", st_dev_va(dev, a), LEN,
		      SEED_CPU, OFF);
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	dma_unmap_single(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_expect_split(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU,
			OFF, LEN, SEED_DEV);
out:
	st_free(&b);
}

/* ---- the cases: pool, dynamic buffers and limits ------------------------- */

static void full_pool_falls_back_to_a_dynamic_buffer(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1, s2;
	struct st_fillers f = {};
	struct st_buf b = {};
	dma_addr_t a;

	if (!st_fill_pool(t, &f))
		goto out;
	st_stats(t, &s0);
	EXPECT_EQ(t, "pool_used_bytes with the pool filled", s0.pool_used_bytes,
		  s0.pool_bytes);
	if (!st_alloc_far(t, &b, PAGE_SIZE))
		goto out;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	a = st_map(t, b.va + OFF, ST_SLOT, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_dynamic, 1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 0);
	EXPECT_GREW(t, s0, s1, dyn_live, 1);
	st_expect_true(t, s1.dyn_live_bytes - s0.dyn_live_bytes >= ST_SLOT,
		       "dyn_live_bytes grew by less than the mapping");
	st_expect_pat(t, "device view after map", st_dev_va(dev, a), ST_SLOT,
		      SEED_CPU, OFF);
	st_fill(st_dev_va(dev, a), ST_SLOT, SEED_DEV, OFF);
	dma_unmap_single(dev, a, ST_SLOT, DMA_BIDIRECTIONAL);
	st_expect_split(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU,
			OFF, ST_SLOT, SEED_DEV);
out:
	st_unfill_pool(t, &f);
	st_free(&b);
	st_stats(t, &s2);
	EXPECT_EQ(t, "pool_used_bytes after unmapping all", s2.pool_used_bytes, 0);
	EXPECT_EQ(t, "dyn_live after unmapping all", s2.dyn_live, 0);
}

static void mapping_larger_than_the_pool_goes_dynamic(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	size_t len;
	dma_addr_t a;

	if (!st_stats(t, &s0))
		return;
	len = s0.pool_bytes + 1;
	if (len > (PAGE_SIZE << ST_MAX_ORDER)) {
		t->skip = "the pool is as large as the largest CPU buffer";
		return;
	}
	if (!st_alloc_far(t, &b, len))
		return;
	st_fill(b.va, len, SEED_CPU, 0);
	a = st_map(t, b.va, len, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bounced_dynamic, 1);
	EXPECT_GREW(t, s0, s1, bounced_fixed, 0);
	st_expect_pat(t, "device view after map", st_dev_va(dev, a), len,
		      SEED_CPU, 0);
	st_fill(st_dev_va(dev, a), len, SEED_DEV, 0);
	dma_unmap_single(dev, a, len, DMA_BIDIRECTIONAL);
	st_expect_pat(t, "CPU buffer after unmap", b.va, len, SEED_DEV, 0);
out:
	st_free(&b);
}

/* Sizes the guest script looks for in the kernel log. */
#define ST_WARN_SIZE	3001
#define ST_NOWARN_SIZE	3003

static void st_no_dynamic_case(struct st_test *t, size_t len,
			       unsigned long attrs)
{
	struct dynbounce_stats s0, s1;
	struct st_fillers f = {};
	struct st_buf b = {};

	if (!st_set(t, "dynamic", "0") || !st_fill_pool(t, &f) ||
	    !st_alloc_far(t, &b, PAGE_SIZE))
		goto out;
	st_stats(t, &s0);
	st_map_fails(t, b.va, len, DMA_TO_DEVICE, attrs);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, maps, 1);
	EXPECT_GREW(t, s0, s1, map_failures, 1);
	EXPECT_GREW(t, s0, s1, fail_no_dynamic, 1);
	EXPECT_GREW(t, s0, s1, bounced_dynamic, 0);
	st_diag(t, "%s: the kernel log %s show \"cannot map %zu bytes\" for %s",
		attrs & DMA_ATTR_NO_WARN ? "DMA_ATTR_NO_WARN" : "no attributes",
		attrs & DMA_ATTR_NO_WARN ? "must not" : "must", len,
		dev_name(t->c->dev));
out:
	st_unfill_pool(t, &f);
	st_free(&b);
}

static void dynamic_off_and_full_pool_fails_the_mapping(struct st_test *t)
{
	st_no_dynamic_case(t, ST_WARN_SIZE, 0);
}

static void no_warn_attribute_fails_without_a_log_line(struct st_test *t)
{
	st_no_dynamic_case(t, ST_NOWARN_SIZE, DMA_ATTR_NO_WARN);
}

static void dyn_max_refuses_a_mapping_that_would_pass_the_cap(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_fillers f = {};
	struct st_buf b = {};
	dma_addr_t a;

	/* The cap counts live buffers: start with none cached either. */
	dynbounce_trim(dev);
	if (!st_fill_pool(t, &f) || !st_alloc_far(t, &b, SZ_256K) ||
	    !st_set(t, "dyn_max", "65536"))
		goto out;
	st_fill(b.va, SZ_16K, SEED_CPU, 0);
	st_stats(t, &s0);
	a = st_map(t, b.va, SZ_16K, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	/* 16 KiB live + 56 KiB > 64 KiB; 128 KiB alone > 64 KiB. */
	st_map_fails(t, b.va + SZ_64K, SZ_32K + SZ_16K + SZ_8K,
		     DMA_BIDIRECTIONAL, 0);
	st_map_fails(t, b.va + SZ_128K, SZ_128K, DMA_BIDIRECTIONAL, 0);
	st_stats(t, &s1);
	st_expect_pat(t, "device view of the mapping under the cap",
		      st_dev_va(dev, a), SZ_16K, SEED_CPU, 0);
	dma_unmap_single(dev, a, SZ_16K, DMA_BIDIRECTIONAL);
	EXPECT_GREW(t, s0, s1, bounced_dynamic, 1);
	EXPECT_GREW(t, s0, s1, fail_dyn_max, 2);
	EXPECT_GREW(t, s0, s1, map_failures, 2);
out:
	st_unfill_pool(t, &f);
	st_free(&b);
}

static void max_segment_refuses_a_larger_mapping(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, SZ_128K))
		return;
	if (!st_set(t, "max_segment", "65536"))
		goto out;
	st_stats(t, &s0);
	a = st_map(t, b.va, SZ_64K, DMA_TO_DEVICE, 0);
	if (a != DMA_MAPPING_ERROR)
		dma_unmap_single(dev, a, SZ_64K, DMA_TO_DEVICE);
	st_map_fails(t, b.va, SZ_64K + 1, DMA_TO_DEVICE, 0);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, maps, 2);
	EXPECT_GREW(t, s0, s1, fail_max_segment, 1);
	EXPECT_GREW(t, s0, s1, map_failures, 1);
out:
	st_free(&b);
}

static void max_mapping_size_follows_max_segment(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct st_buf b;
	size_t got;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, SZ_128K))
		return;
	if (!st_set(t, "max_segment", "65536"))
		goto out;
	got = dma_max_mapping_size(dev);
	EXPECT_EQ(t, "dma_max_mapping_size with max_segment=65536", got, SZ_64K);
	if (got && got <= SZ_128K) {
		/* An honest answer: a mapping of that size works. */
		a = st_map(t, b.va, got, DMA_TO_DEVICE, 0);
		if (a != DMA_MAPPING_ERROR)
			dma_unmap_single(dev, a, got, DMA_TO_DEVICE);
	}
out:
	st_free(&b);
}

static void bad_param_values_are_rejected_and_change_nothing(struct st_test *t)
{
	static const struct { const char *name, *val; } bad[] = {
		{ "dynamic", "maybe" },
		{ "force_bounce", "2" },
		{ "dyn_max", "banana" },
		{ "dyn_max", "" },
		{ "max_segment", "12abc" },
		{ "max_segment", "-1" },
	};
	char before[32], after[32];
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (st_param_read(bad[i].name, before, sizeof(before))) {
			st_fail(t, "cannot read /sys/module/dynbounce/parameters/%s",
				bad[i].name);
			continue;
		}
		ret = dynbounce_set_param(bad[i].name, bad[i].val);
		if (ret != -EINVAL)
			st_fail(t, "dynbounce_set_param(\"%s\", \"%s\"): expected %d, got %d",
				bad[i].name, bad[i].val, -EINVAL, ret);
		if (st_param_read(bad[i].name, after, sizeof(after)))
			continue;
		if (strcmp(before, after))
			st_fail(t, "%s after the bad value \"%s\": expected \"%s\", got \"%s\"",
				bad[i].name, bad[i].val, before, after);
	}
}

static void unknown_param_name_is_rejected(struct st_test *t)
{
	int ret = dynbounce_set_param("no_such_param", "1");

	st_expect_true(t, ret < 0,
		       "dynbounce_set_param(\"no_such_param\"): expected an error, got 0");
}

static void trim_gives_back_every_cached_buffer(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s;
	struct st_fillers f = {};
	struct st_buf b = {};
	dma_addr_t a[4];
	int i, n = 0, ret;

	if (!st_fill_pool(t, &f) || !st_alloc_far(t, &b, SZ_64K))
		goto out;
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = st_map(t, b.va + i * SZ_16K, SZ_16K - i * 1000,
			      DMA_TO_DEVICE, 0);
		if (a[i] == DMA_MAPPING_ERROR)
			break;
		n++;
	}
	while (n--)
		dma_unmap_single(dev, a[n], SZ_16K - n * 1000, DMA_TO_DEVICE);
	st_stats(t, &s);
	st_diag(t, "%llu dynamic buffers (%llu bytes) cached before the trim",
		s.dyn_cached, s.dyn_cached_bytes);
	ret = dynbounce_trim(dev);
	EXPECT_EQ(t, "dynbounce_trim", ret, 0);
	st_stats(t, &s);
	EXPECT_EQ(t, "dyn_cached after the trim", s.dyn_cached, 0);
	EXPECT_EQ(t, "dyn_cached_bytes after the trim", s.dyn_cached_bytes, 0);
	EXPECT_EQ(t, "dyn_live after the trim", s.dyn_live, 0);
out:
	st_unfill_pool(t, &f);
	st_free(&b);
}

/* ---- the cases: scatterlists --------------------------------------------- */

/* A mixed list: entries in reachable (near) and unreachable (far) memory. */
static const struct {
	bool far;
	size_t off, len;
} st_sg_ents[] = {
	{ false, 7, 100 },
	{ true, 33, 3000 },
	{ false, 4096, 5000 },
	{ true, 4095, 1 },
	{ true, 5000, 9000 },
	{ false, 10240, 2048 },
};

#define ST_SG_N		ARRAY_SIZE(st_sg_ents)
#define ST_SG_BUF	SZ_16K
#define ST_SG_FAR_BYTES	(3000 + 1 + 9000)

static u32 st_sg_seed(int i, u32 base)
{
	return base + 16 * i;
}

static void st_sg_setup(struct scatterlist *sgl, struct st_buf *near,
			struct st_buf *far)
{
	int i;

	sg_init_table(sgl, ST_SG_N);
	for (i = 0; i < ST_SG_N; i++) {
		struct st_buf *b = st_sg_ents[i].far ? far : near;
		size_t off = st_sg_ents[i].off;

		sg_set_page(&sgl[i], b->page + off / PAGE_SIZE, st_sg_ents[i].len,
			    off % PAGE_SIZE);
	}
	st_fill(near->va, ST_SG_BUF, SEED_CPU, 0);
	st_fill(far->va, ST_SG_BUF, SEED_CPU, 0);
}

/* Each entry's CPU bytes are pattern @seed (per entry); the gaps untouched. */
static void st_sg_expect_cpu(struct st_test *t, const char *what,
			     struct st_buf *near, struct st_buf *far, u32 seed)
{
	char w[96];
	int i;

	for (i = 0; i < ST_SG_N; i++) {
		struct st_buf *b = st_sg_ents[i].far ? far : near;

		snprintf(w, sizeof(w), "%s, entry %d", what, i);
		st_expect_pat(t, w, b->va + st_sg_ents[i].off, st_sg_ents[i].len,
			      st_sg_seed(i, seed), st_sg_ents[i].off);
	}
	/* The gaps between entries, which nobody mapped. */
	st_expect_pat(t, "near memory before entry 0", near->va, 7, SEED_CPU, 0);
	st_expect_pat(t, "far memory between entries 1 and 3", far->va + 3033,
		      4095 - 3033, SEED_CPU, 3033);
	st_expect_pat(t, "far memory after entry 4", far->va + 14000,
		      ST_SG_BUF - 14000, SEED_CPU, 14000);
}

static bool st_sg_usable(struct st_test *t)
{
	if (!t->c->fallback)
		return true;
	t->skip = "force_bounce=1 for this run: no entry passes through";
	return false;
}

static void map_sg_bounces_only_the_unreachable_entries(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct scatterlist sgl[ST_SG_N], *sg;
	struct dynbounce_stats s0, s1, s2;
	struct st_buf near = {}, far = {};
	int i, n;

	if (!st_sg_usable(t) || !st_alloc_near(t, &near, ST_SG_BUF) ||
	    !st_alloc_far(t, &far, ST_SG_BUF))
		goto out;
	st_sg_setup(sgl, &near, &far);
	st_stats(t, &s0);
	n = dma_map_sg(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL);
	st_stats(t, &s1);
	if (!EXPECT_EQ(t, "dma_map_sg of the mixed list", n, ST_SG_N)) {
		if (n > 0)
			dma_unmap_sg(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL);
		goto out;
	}
	EXPECT_GREW(t, s0, s1, maps, ST_SG_N);
	EXPECT_GREW(t, s0, s1, passthrough, 3);
	EXPECT_EQ(t, "bounced_fixed + bounced_dynamic grew by",
		  s1.bounced_fixed + s1.bounced_dynamic -
		  s0.bounced_fixed - s0.bounced_dynamic, 3);
	EXPECT_GREW(t, s0, s1, bytes_to_device, ST_SG_FAR_BYTES);
	for_each_sg(sgl, sg, n, i) {
		phys_addr_t phys = sg_phys(sg);
		char what[64];

		EXPECT_EQ(t, "sg_dma_len", sg_dma_len(sg), st_sg_ents[i].len);
		if (!st_sg_ents[i].far && sg_dma_address(sg) != phys_to_dma(dev, phys))
			st_fail(t, "entry %d is reachable: DMA address %pad, expected its own",
				i, &sg_dma_address(sg));
		snprintf(what, sizeof(what), "device view of entry %d", i);
		st_expect_pat(t, what, st_dev_va(dev, sg_dma_address(sg)),
			      st_sg_ents[i].len, SEED_CPU, st_sg_ents[i].off);
		st_fill(st_dev_va(dev, sg_dma_address(sg)), st_sg_ents[i].len,
			st_sg_seed(i, SEED_DEV), st_sg_ents[i].off);
	}
	dma_unmap_sg(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL);
	st_stats(t, &s2);
	EXPECT_GREW(t, s1, s2, unmaps, ST_SG_N);
	EXPECT_GREW(t, s1, s2, bytes_from_device, ST_SG_FAR_BYTES);
	st_sg_expect_cpu(t, "CPU after unmap_sg", &near, &far, SEED_DEV);
out:
	st_free(&near);
	st_free(&far);
}

static void sync_sg_copies_every_bounced_entry_both_ways(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct scatterlist sgl[ST_SG_N], *sg;
	struct dynbounce_stats s0, s1, s2;
	struct st_buf near = {}, far = {};
	char what[64];
	int i, n;

	if (!st_sg_usable(t) || !st_alloc_near(t, &near, ST_SG_BUF) ||
	    !st_alloc_far(t, &far, ST_SG_BUF))
		goto out;
	st_sg_setup(sgl, &near, &far);
	n = dma_map_sg(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL);
	if (!EXPECT_EQ(t, "dma_map_sg of the mixed list", n, ST_SG_N)) {
		if (n > 0)
			dma_unmap_sg(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL);
		goto out;
	}
	for_each_sg(sgl, sg, n, i)
		st_fill(st_dev_va(dev, sg_dma_address(sg)), st_sg_ents[i].len,
			st_sg_seed(i, SEED_DEV), st_sg_ents[i].off);
	st_stats(t, &s0);
	dma_sync_sg_for_cpu(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bytes_from_device, ST_SG_FAR_BYTES);
	st_sg_expect_cpu(t, "CPU after sync_sg_for_cpu", &near, &far, SEED_DEV);

	for (i = 0; i < ST_SG_N; i++) {
		struct st_buf *b = st_sg_ents[i].far ? &far : &near;

		st_fill(b->va + st_sg_ents[i].off, st_sg_ents[i].len,
			st_sg_seed(i, SEED_CPU2), st_sg_ents[i].off);
	}
	dma_sync_sg_for_device(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL);
	st_stats(t, &s2);
	EXPECT_GREW(t, s1, s2, bytes_to_device, ST_SG_FAR_BYTES);
	for_each_sg(sgl, sg, n, i) {
		snprintf(what, sizeof(what), "device view of entry %d after sync_sg_for_device", i);
		st_expect_pat(t, what, st_dev_va(dev, sg_dma_address(sg)),
			      st_sg_ents[i].len, st_sg_seed(i, SEED_CPU2),
			      st_sg_ents[i].off);
	}
	dma_unmap_sg_attrs(dev, sgl, ST_SG_N, DMA_BIDIRECTIONAL,
			   DMA_ATTR_SKIP_CPU_SYNC);
out:
	st_free(&near);
	st_free(&far);
}

/* ---- the cases: interrupt context ---------------------------------------- */

enum st_irq_step { ST_IRQ_OK, ST_IRQ_MAP, ST_IRQ_VIEW, ST_IRQ_SYNC };

/**
 * struct st_irq_job - map, play the device, sync and unmap from a timer
 * @dev:	the device
 * @cpu:	the CPU buffer, pattern SEED_CPU
 * @len:	bytes mapped
 * @step:	enum st_irq_step: what went wrong
 * @bad:	offset of the first wrong byte
 * @in_ctx:	the callback ran in the context it was meant to
 * @done:	the callback finished
 * @hrt:	hard-IRQ timer
 * @tl:		softirq timer
 */
struct st_irq_job {
	struct device *dev;
	u8 *cpu;
	size_t len;
	enum st_irq_step step;
	ssize_t bad;
	bool in_ctx;
	struct completion done;
	struct hrtimer hrt;
	struct timer_list tl;
};

/* Any context: everything a driver does around one transfer. */
static void st_irq_job_run(struct st_irq_job *j)
{
	dma_addr_t a;
	u8 *dv;

	a = dma_map_single(j->dev, j->cpu, j->len, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(j->dev, a)) {
		j->step = ST_IRQ_MAP;
		return;
	}
	dv = st_dev_va(j->dev, a);
	j->bad = st_mismatch(dv, j->len, SEED_CPU, 0);
	if (j->bad >= 0)
		j->step = ST_IRQ_VIEW;
	st_fill(dv, j->len, SEED_DEV, 0);
	dma_sync_single_for_cpu(j->dev, a, j->len, DMA_BIDIRECTIONAL);
	if (j->step == ST_IRQ_OK) {
		j->bad = st_mismatch(j->cpu, j->len, SEED_DEV, 0);
		if (j->bad >= 0)
			j->step = ST_IRQ_SYNC;
	}
	dma_unmap_single(j->dev, a, j->len, DMA_BIDIRECTIONAL);
}

static enum hrtimer_restart st_hardirq_fn(struct hrtimer *h)
{
	struct st_irq_job *j = container_of(h, struct st_irq_job, hrt);

	j->in_ctx = in_hardirq();
	st_irq_job_run(j);
	complete(&j->done);
	return HRTIMER_NORESTART;
}

static void st_softirq_fn(struct timer_list *tl)
{
	struct st_irq_job *j = container_of(tl, struct st_irq_job, tl);

	j->in_ctx = in_softirq() && !in_hardirq();
	st_irq_job_run(j);
	complete(&j->done);
}

/* Run one job from a hard-IRQ timer (@hard) or a softirq timer. */
static void st_irq_case(struct st_test *t, bool hard, bool dynamic)
{
	struct dynbounce_stats s0, s1;
	struct st_irq_job *j;
	struct st_fillers f = {};
	struct st_buf b = {};
	bool fired;

	if (hard && IS_ENABLED(CONFIG_PREEMPT_RT)) {
		t->skip = "PREEMPT_RT: drivers map from threaded context there";
		return;
	}
	j = kzalloc(sizeof(*j), GFP_KERNEL);
	if (!j) {
		st_fail(t, "no memory for the job");
		return;
	}
	if ((dynamic && !st_fill_pool(t, &f)) ||
	    !st_alloc_far(t, &b, dynamic ? SZ_16K : PAGE_SIZE))
		goto out;
	j->dev = t->c->dev;
	j->cpu = b.va;
	j->len = dynamic ? SZ_16K - 100 : LEN;
	st_fill(j->cpu, j->len, SEED_CPU, 0);
	init_completion(&j->done);
	st_stats(t, &s0);
	if (hard) {
		hrtimer_init(&j->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		j->hrt.function = st_hardirq_fn;
		hrtimer_start(&j->hrt, ns_to_ktime(100 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	} else {
		timer_setup(&j->tl, st_softirq_fn, 0);
		mod_timer(&j->tl, jiffies + 1);
	}
	fired = wait_for_completion_timeout(&j->done, 10 * HZ);
	if (hard)
		hrtimer_cancel(&j->hrt);
	else
		timer_delete_sync(&j->tl);
	if (!fired) {
		st_fail(t, "the timer did not run within 10 s");
		goto out;
	}
	st_stats(t, &s1);
	st_expect_true(t, j->in_ctx, hard ? "the callback did not run in hard-IRQ context" :
					    "the callback did not run in softirq context");
	switch (j->step) {
	case ST_IRQ_MAP:
		st_fail(t, "mapping %zu bytes: expected a DMA address, got DMA_MAPPING_ERROR",
			j->len);
		break;
	case ST_IRQ_VIEW:
		st_fail(t, "device view after map: byte %zd of %zu is not the CPU's",
			j->bad, j->len);
		break;
	case ST_IRQ_SYNC:
		st_fail(t, "CPU buffer after sync_for_cpu: byte %zd of %zu is not the device's",
			j->bad, j->len);
		break;
	case ST_IRQ_OK:
		break;
	}
	if (j->step == ST_IRQ_MAP)
		goto out;
	if (dynamic)
		EXPECT_GREW(t, s0, s1, bounced_dynamic, 1);
	else
		EXPECT_GREW(t, s0, s1, bounced_fixed, 1);
	EXPECT_GREW(t, s0, s1, bytes_to_device, j->len);
	/* Once at sync_for_cpu, once at unmap. */
	EXPECT_GREW(t, s0, s1, bytes_from_device, 2 * j->len);
	st_expect_pat(t, "CPU buffer after unmap", j->cpu, j->len, SEED_DEV, 0);
out:
	st_unfill_pool(t, &f);
	st_free(&b);
	kfree(j);
}

static void hardirq_mapping_through_the_pool_moves_the_data(struct st_test *t)
{
	st_irq_case(t, true, false);
}

static void hardirq_mapping_through_a_dynamic_buffer_moves_the_data(struct st_test *t)
{
	st_irq_case(t, true, true);
}

static void softirq_mapping_through_the_pool_moves_the_data(struct st_test *t)
{
	st_irq_case(t, false, false);
}

static void softirq_mapping_through_a_dynamic_buffer_moves_the_data(struct st_test *t)
{
	st_irq_case(t, false, true);
}

/* ---- the cases: attach and detach ---------------------------------------- */

/* Process context. Attach again after a case detached; false on failure. */
static bool st_reattach(struct st_test *t)
{
	int ret = dynbounce_attach(t->c->dev);

	if (ret)
		st_fail(t, "dynbounce_attach: expected 0, got %d", ret);
	return !ret;
}

static bool st_detach(struct st_test *t)
{
	int ret = dynbounce_detach(t->c->dev);

	if (ret)
		st_fail(t, "dynbounce_detach: expected 0, got %d", ret);
	return !ret;
}

/*
 * Map before attach, unmap after: dynbounce must hand the address to
 * dma-direct. @far memory goes through the kernel's own swiotlb then.
 */
static void st_pre_attach_case(struct st_test *t, bool far)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	dma_addr_t a;
	bool ok;

	ok = far ? st_alloc_far(t, &b, PAGE_SIZE) : st_alloc_near(t, &b, PAGE_SIZE);
	if (!ok)
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	if (!st_detach(t))
		goto out;
	a = dma_map_single(dev, b.va + OFF, LEN, DMA_BIDIRECTIONAL);
	if (!st_reattach(t)) {
		if (!dma_mapping_error(dev, a))
			dma_unmap_single(dev, a, LEN, DMA_BIDIRECTIONAL);
		goto out;
	}
	if (dma_mapping_error(dev, a)) {
		if (far)
			t->skip = "the kernel has no swiotlb to bounce for the bare device";
		else
			st_fail(t, "mapping on the bare device failed");
		goto out;
	}
	if (far && a == phys_to_dma(dev, b.phys + OFF)) {
		t->skip = "the bare device reached the memory directly";
		dma_unmap_single(dev, a, LEN, DMA_BIDIRECTIONAL);
		goto out;
	}
	st_expect_pat(t, "device view of the pre-attach mapping",
		      st_dev_va(dev, a), LEN, SEED_CPU, OFF);
	st_stats(t, &s0);
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	dma_sync_single_for_cpu(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_expect_split(t, "CPU page after sync_for_cpu", b.va, PAGE_SIZE,
			SEED_CPU, OFF, LEN, SEED_DEV);
	dma_unmap_single(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_stats(t, &s1);
	st_expect_split(t, "CPU page after unmap", b.va, PAGE_SIZE, SEED_CPU,
			OFF, LEN, SEED_DEV);
	/* Not dynbounce's mapping: none of its bounce bytes moved. */
	EXPECT_GREW(t, s0, s1, bytes_from_device, 0);
	EXPECT_EQ(t, "pool_used_bytes", s1.pool_used_bytes, 0);
out:
	st_free(&b);
}

static void mapping_made_before_attach_is_unmapped_after_attach(struct st_test *t)
{
	st_pre_attach_case(t, false);
}

static void swiotlb_mapping_made_before_attach_is_unmapped_after_attach(struct st_test *t)
{
	if (t->c->fallback) {
		t->skip = "no memory beyond the device's reach";
		return;
	}
	/*
	 * dynbounce hands such an unmap to the kernel's swiotlb through its
	 * shadow device, which DMA-API debug has never seen map it: a known
	 * false report there (README, Limits).
	 */
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG)) {
		t->skip = "DMA-API debug reports the forwarded unmap (known, see README)";
		return;
	}
	st_pre_attach_case(t, true);
}

static void detach_with_a_live_bounced_mapping_is_refused(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s;
	struct st_buf b;
	dma_addr_t a;
	int ret;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	a = st_map(t, b.va, LEN, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	ret = dynbounce_detach(dev);
	EXPECT_EQ(t, "dynbounce_detach with a live bounced mapping", ret, -EBUSY);
	if (!ret) {
		/*
		 * Detached under a live mapping: the mapping is lost, and its
		 * bounce buffer may still point at @b, so @b is never freed.
		 */
		st_fail(t, "detached with a live bounced mapping; its memory is leaked");
		st_reattach(t);
		return;
	}
	EXPECT_EQ(t, "dynbounce_get_stats after the refusal",
		  dynbounce_get_stats(dev, &s), 0);
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, 0);
	dma_unmap_single(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_expect_pat(t, "CPU buffer after unmap", b.va, LEN, SEED_DEV, 0);
	if (st_detach(t))
		st_reattach(t);
out:
	st_free(&b);
}

static void attaching_twice_says_already_attached(struct st_test *t)
{
	EXPECT_EQ(t, "dynbounce_attach on an attached device",
		  dynbounce_attach(t->c->dev), -EEXIST);
}

static void detaching_twice_says_not_attached(struct st_test *t)
{
	struct dynbounce_stats s;
	struct device *dev = t->c->dev;

	if (!st_detach(t))
		return;
	EXPECT_EQ(t, "dynbounce_detach on a detached device",
		  dynbounce_detach(dev), -ENODEV);
	EXPECT_EQ(t, "dynbounce_get_stats on a detached device",
		  dynbounce_get_stats(dev, &s), -ENODEV);
	EXPECT_EQ(t, "dynbounce_trim on a detached device",
		  dynbounce_trim(dev), -ENODEV);
	st_reattach(t);
}

static void syncs_still_reach_dynbounce_after_reattach(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1;
	struct st_buf b;
	dma_addr_t a;

	if (!st_alloc_far(t, &b, PAGE_SIZE))
		return;
	if (!st_detach(t) || !st_reattach(t))
		goto out;
	st_fill(b.va, PAGE_SIZE, SEED_CPU, 0);
	a = st_map(t, b.va + OFF, LEN, DMA_BIDIRECTIONAL, 0);
	if (a == DMA_MAPPING_ERROR)
		goto out;
	st_fill(st_dev_va(dev, a), LEN, SEED_DEV, OFF);
	st_stats(t, &s0);
	dma_sync_single_for_cpu(dev, a, LEN, DMA_BIDIRECTIONAL);
	st_stats(t, &s1);
	EXPECT_GREW(t, s0, s1, bytes_from_device, LEN);
	st_expect_split(t, "CPU page after sync_for_cpu", b.va, PAGE_SIZE,
			SEED_CPU, OFF, LEN, SEED_DEV);
	dma_unmap_single_attrs(dev, a, LEN, DMA_BIDIRECTIONAL,
			       DMA_ATTR_SKIP_CPU_SYNC);
out:
	st_free(&b);
}

/* ---- the cases: concurrency ---------------------------------------------- */

#define ST_WBUF		SZ_2M		/* each worker's CPU memory */
#define ST_GUARD	64		/* checked bytes either side of a mapping */
#define ST_SEED_GUARD	0x6006

/**
 * struct st_worker - one thread of the concurrent case
 * @dev:	the device
 * @task:	the thread
 * @buf:	its own far memory
 * @deadline:	jiffies when it stops starting operations
 * @rng:	xorshift state
 * @maps:	mappings made
 * @syncs:	range syncs made
 * @bytes:	bytes mapped
 * @failed:	an operation went wrong; @err says how
 * @err:	the first error
 */
struct st_worker {
	struct device *dev;
	struct task_struct *task;
	struct st_buf buf;
	unsigned long deadline;
	u32 rng;
	u64 maps;
	u64 syncs;
	u64 bytes;
	bool failed;
	char err[224];
};

static u32 st_rand(struct st_worker *w)
{
	u32 x = w->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return w->rng = x;
}

/*
 * Like st_expect_split(), for a worker: @outer around [@off, @off + @len)
 * of @inner; records the first mismatch only, in @err (sets *@failed).
 */
static bool st_split_ok(bool *failed, char *err, size_t errlen,
			const char *what, const u8 *p, size_t total, u32 outer,
			size_t off, size_t len, u32 inner, const char *op)
{
	ssize_t bad;
	size_t at;
	u32 seed;

	bad = st_mismatch(p, off, outer, 0);
	at = bad;
	seed = outer;
	if (bad < 0) {
		bad = st_mismatch(p + off, len, inner, off);
		at = off + bad;
		seed = inner;
	}
	if (bad < 0) {
		bad = st_mismatch(p + off + len, total - off - len, outer,
				  off + len);
		at = off + len + bad;
		seed = outer;
	}
	if (bad < 0)
		return true;
	*failed = true;
	scnprintf(err, errlen, "%s, %s: byte %zu of %zu is %#04x, expected %#04x",
		  op, what, at, total, p[at], st_pat(seed, at));
	return false;
}

static bool st_worker_check(struct st_worker *w, const char *what,
			    const u8 *p, size_t total, u32 outer, size_t off,
			    size_t len, u32 inner, const char *op)
{
	return st_split_ok(&w->failed, w->err, sizeof(w->err), what, p, total,
			   outer, off, len, inner, op);
}

/*
 * One operation: map a random size at a random offset in a random
 * direction, play the device, maybe sync a random range both ways, unmap,
 * and check every byte of the mapping and the guards around it.
 */
static void st_worker_op(struct st_worker *w)
{
	u32 a = st_rand(w), b = st_rand(w), c = st_rand(w), d = st_rand(w);
	size_t size = 1 + st_rand(w) % (1u << (st_rand(w) % 21));
	size_t off = ST_GUARD + st_rand(w) % (ST_WBUF - size - 2 * ST_GUARD + 1);
	enum dma_data_direction dir = st_dirs[st_rand(w) % 3];
	bool sync = st_rand(w) & 1;
	u32 outer, inner, dev_seed;
	size_t so = 0, sl = 0;
	u8 *cpu = w->buf.va + off, *dv;
	char op[96];
	dma_addr_t addr;

	scnprintf(op, sizeof(op), "%s %zu bytes at %zu%s", st_dir_name(dir),
		  size, off, sync ? " with range syncs" : "");
	st_fill(cpu - ST_GUARD, ST_GUARD, ST_SEED_GUARD, 0);
	st_fill(cpu, size, a, 0);
	st_fill(cpu + size, ST_GUARD, ST_SEED_GUARD, ST_GUARD);

	addr = dma_map_single(w->dev, cpu, size, dir);
	if (dma_mapping_error(w->dev, addr)) {
		w->failed = true;
		scnprintf(w->err, sizeof(w->err), "%s: DMA_MAPPING_ERROR", op);
		return;
	}
	w->maps++;
	w->bytes += size;
	dv = st_dev_va(w->dev, addr);
	if (!st_worker_check(w, "device view after map", dv, size, a, 0, 0, a, op))
		goto unmap;
	dev_seed = a;
	if (dir != DMA_TO_DEVICE) {
		st_fill(dv, size, b, 0);
		dev_seed = b;
	}
	/* What the CPU must see after unmap: @outer with @inner at [so, so+sl). */
	outer = dev_seed;
	inner = dev_seed;
	if (sync) {
		so = st_rand(w) % size;
		sl = 1 + st_rand(w) % (size - so);
		dma_sync_single_range_for_cpu(w->dev, addr, so, sl, dir);
		if (!st_worker_check(w, "CPU after range sync_for_cpu", cpu, size,
				     a, so, sl, dir != DMA_TO_DEVICE ? b : a, op))
			goto unmap;
		st_fill(cpu + so, sl, c, so);
		dma_sync_single_range_for_device(w->dev, addr, so, sl, dir);
		w->syncs += 2;
		if (!st_worker_check(w, "device after range sync_for_device", dv,
				     size, dev_seed, so, sl,
				     dir != DMA_FROM_DEVICE ? c : dev_seed, op))
			goto unmap;
		if (dir != DMA_TO_DEVICE) {
			st_fill(dv, size, d, 0);
			outer = d;
			inner = d;
		} else {
			outer = a;
			inner = c;
		}
	}
unmap:
	dma_unmap_single(w->dev, addr, size, dir);
	if (w->failed)
		return;
	if (!st_worker_check(w, "CPU after unmap", cpu, size, outer, so, sl,
			     inner, op))
		return;
	if (st_mismatch(cpu - ST_GUARD, ST_GUARD, ST_SEED_GUARD, 0) >= 0 ||
	    st_mismatch(cpu + size, ST_GUARD, ST_SEED_GUARD, ST_GUARD) >= 0) {
		w->failed = true;
		scnprintf(w->err, sizeof(w->err), "%s: the bytes around the mapping changed",
			  op);
	}
}

static int st_worker_fn(void *data)
{
	struct st_worker *w = data;

	while (!kthread_should_stop()) {
		if (w->failed || time_after(jiffies, w->deadline)) {
			set_current_state(TASK_INTERRUPTIBLE);
			if (!kthread_should_stop())
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		st_worker_op(w);
		cond_resched();
	}
	return 0;
}

static void concurrent_threads_keep_every_byte(struct st_test *t)
{
	unsigned int n = max(2u, stress_threads), i, started = 0;
	u64 maps = 0, syncs = 0, bytes = 0;
	struct dynbounce_stats s0, s1;
	struct st_worker *w;

	w = kcalloc(n, sizeof(*w), GFP_KERNEL);
	if (!w) {
		st_fail(t, "no memory for %u workers", n);
		return;
	}
	for (i = 0; i < n; i++)
		if (!st_alloc_far(t, &w[i].buf, ST_WBUF))
			goto out;
	st_stats(t, &s0);
	for (i = 0; i < n; i++) {
		w[i].dev = t->c->dev;
		w[i].rng = get_random_u32() | 1;
		w[i].deadline = jiffies + stress_secs * HZ;
		w[i].task = kthread_run(st_worker_fn, &w[i], "dbst/%u", i);
		if (IS_ERR(w[i].task)) {
			st_fail(t, "kthread_run: %ld", PTR_ERR(w[i].task));
			break;
		}
		started++;
	}
	msleep(stress_secs * 1000 + 100);
	for (i = 0; i < started; i++)
		kthread_stop(w[i].task);
	st_stats(t, &s1);
	for (i = 0; i < started; i++) {
		maps += w[i].maps;
		syncs += w[i].syncs;
		bytes += w[i].bytes;
		if (w[i].failed)
			st_fail(t, "thread %u: %s", i, w[i].err);
	}
	st_diag(t, "%u threads, %u s: %llu maps (%llu fixed, %llu dynamic, %llu failed), %llu syncs, %llu MiB mapped",
		started, stress_secs, maps, s1.bounced_fixed - s0.bounced_fixed,
		s1.bounced_dynamic - s0.bounced_dynamic,
		s1.map_failures - s0.map_failures, syncs, bytes >> 20);
	EXPECT_GREW(t, s0, s1, map_failures, 0);
	EXPECT_EQ(t, "bounced_fixed + bounced_dynamic grew by",
		  s1.bounced_fixed + s1.bounced_dynamic - s0.bounced_fixed -
		  s0.bounced_dynamic, maps);
	EXPECT_GREW(t, s0, s1, unmaps, maps);
	st_expect_true(t, maps >= 2 * started, "fewer than two operations per thread");
	if (s0.pool_bytes < SZ_1M) {
		st_expect_true(t, s1.bounced_fixed > s0.bounced_fixed,
			       "no mapping went through the pool");
		st_expect_true(t, s1.bounced_dynamic > s0.bounced_dynamic,
			       "no mapping went through a dynamic buffer");
	}
out:
	for (i = 0; i < n; i++)
		st_free(&w[i].buf);
	kfree(w);
}

/* ---- the cases: counters ------------------------------------------------- */

static void bounced_counters_grow_by_one_per_bounced_map(struct st_test *t)
{
	struct device *dev = t->c->dev;
	struct dynbounce_stats s0, s1, s2;
	enum { N = 24 };
	size_t sizes[N], off = 0;
	dma_addr_t a[N];
	struct st_buf b;
	int i, n = 0;

	if (!st_alloc_far(t, &b, SZ_2M))
		return;
	st_stats(t, &s0);
	/* 1 byte to 60 KiB: together more than a small pool holds. */
	for (i = 0; i < N; i++) {
		sizes[i] = 1 + (i * 40009) % SZ_64K;
		a[i] = st_map(t, b.va + off, sizes[i], DMA_TO_DEVICE, 0);
		if (a[i] == DMA_MAPPING_ERROR)
			break;
		off += sizes[i];
		n++;
	}
	st_stats(t, &s1);
	st_diag(t, "%d mappings: %llu fixed, %llu dynamic", n,
		s1.bounced_fixed - s0.bounced_fixed,
		s1.bounced_dynamic - s0.bounced_dynamic);
	EXPECT_GREW(t, s0, s1, maps, n);
	EXPECT_EQ(t, "bounced_fixed + bounced_dynamic grew by",
		  s1.bounced_fixed + s1.bounced_dynamic - s0.bounced_fixed -
		  s0.bounced_dynamic, n);
	EXPECT_GREW(t, s0, s1, passthrough, 0);
	EXPECT_GREW(t, s0, s1, map_failures, 0);
	while (n--)
		dma_unmap_single(dev, a[n], sizes[n], DMA_TO_DEVICE);
	st_stats(t, &s2);
	EXPECT_GREW(t, s1, s2, unmaps, s1.maps - s0.maps);
	st_free(&b);
}

static void stats_add_up_and_nothing_is_left_mapped(struct st_test *t)
{
	struct dynbounce_stats s;

	if (!st_stats(t, &s))
		return;
	EXPECT_EQ(t, "passthrough + bounced_fixed + bounced_dynamic + map_failures",
		  s.passthrough + s.bounced_fixed + s.bounced_dynamic +
		  s.map_failures, s.maps);
	EXPECT_EQ(t, "fail_no_dynamic + fail_dyn_max + fail_max_segment + fail_alloc",
		  s.fail_no_dynamic + s.fail_dyn_max + s.fail_max_segment +
		  s.fail_alloc, s.map_failures);
	EXPECT_EQ(t, "pool_used_bytes", s.pool_used_bytes, 0);
	EXPECT_EQ(t, "dyn_live", s.dyn_live, 0);
	EXPECT_EQ(t, "dyn_live_bytes", s.dyn_live_bytes, 0);
	st_expect_true(t, s.pool_hiwater_bytes <= s.pool_bytes,
		       "pool_hiwater_bytes is above pool_bytes");
}

/* ---- the cases run only when named: stress and fault injection ----------- */

/*
 * A second device for these cases: a platform device with a 32-bit mask,
 * attached to dynbounce next to the PCI one, so that two devices with pools
 * of their own are mapped at once.
 */
static struct platform_device *st_pdev_create(struct st_test *t, bool attach)
{
	struct platform_device *pd;
	int ret;

	pd = platform_device_register_simple("dynbounce_st", PLATFORM_DEVID_AUTO,
					     NULL, 0);
	if (IS_ERR(pd)) {
		st_fail(t, "platform_device_register_simple: %ld", PTR_ERR(pd));
		return NULL;
	}
	pd->dev.dma_mask = &pd->dev.coherent_dma_mask;
	ret = dma_set_mask_and_coherent(&pd->dev, DMA_BIT_MASK(32));
	if (!ret && attach)
		ret = dynbounce_attach(&pd->dev);
	if (ret) {
		st_fail(t, "setting up %s: %d", dev_name(&pd->dev), ret);
		platform_device_unregister(pd);
		return NULL;
	}
	return pd;
}

static void st_pdev_destroy(struct st_test *t, struct platform_device *pd)
{
	struct dynbounce_stats s;
	int ret;

	if (!pd)
		return;
	if (!dynbounce_get_stats(&pd->dev, &s)) {
		ret = dynbounce_detach(&pd->dev);
		if (ret)
			st_fail(t, "dynbounce_detach(%s): expected 0, got %d",
				dev_name(&pd->dev), ret);
	}
	platform_device_unregister(pd);
}

/**
 * struct st_sw - one mapper of the stress and fault cases (thread or timer)
 * @devs:	the two devices it maps on, picked at random per operation
 * @far:	CPU memory the devices cannot reach
 * @near:	CPU memory they can reach (passes through unless force_bounce)
 * @max:	largest mapping
 * @attrs:	attributes of every mapping
 * @rng:	xorshift state
 * @trim_every:	call dynbounce_trim() every so many operations (0: never)
 * @ops:	operations (mappings asked for)
 * @fails:	of which DMA_MAPPING_ERROR
 * @bounced:	of which bounced (the address is not the memory's own)
 * @syncs:	range syncs
 * @bytes:	bytes mapped
 * @maps:	mappings asked for, per device
 * @errs:	of which failed, per device
 * @failed:	a byte was wrong; @err says which
 * @err:	the first error
 */
struct st_sw {
	struct device *devs[2];
	struct st_buf far, near;
	size_t max;
	unsigned long attrs;
	u32 rng;
	unsigned int trim_every;
	u64 ops, fails, bounced, syncs, bytes;
	u64 maps[2], errs[2];
	bool failed;
	char err[224];
};

static u32 st_sw_rand(struct st_sw *w)
{
	u32 x = w->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return w->rng = x;
}

static bool st_sw_check(struct st_sw *w, const char *what, const u8 *p,
			size_t total, u32 outer, size_t off, size_t len,
			u32 inner, const char *op)
{
	return st_split_ok(&w->failed, w->err, sizeof(w->err), what, p, total,
			   outer, off, len, inner, op);
}

/*
 * Any context. One operation: map a random size (1 B to @w->max) at a
 * random offset of far or near memory in a random direction on one of the
 * two devices; play the device; maybe sync a random range both ways; unmap;
 * check every byte of the mapping, both views, and the guards around it. A
 * refused mapping is counted and must leave the CPU bytes alone.
 */
static void st_sw_op(struct st_sw *w)
{
	u32 a = st_sw_rand(w), b = st_sw_rand(w), c = st_sw_rand(w);
	u32 d = st_sw_rand(w);
	unsigned int di = st_sw_rand(w) & 1;
	struct device *dev = w->devs[di];
	struct st_buf *buf = (st_sw_rand(w) & 3) || !w->near.page ?
			     &w->far : &w->near;
	size_t lim = min(w->max, buf->size - 2 * ST_GUARD);
	size_t size = min_t(size_t, lim,
			    1 + st_sw_rand(w) % (1u << (st_sw_rand(w) % 23)));
	size_t off = ST_GUARD + st_sw_rand(w) % (buf->size - size - 2 * ST_GUARD + 1);
	enum dma_data_direction dir = st_dirs[st_sw_rand(w) % 3];
	bool sync = st_sw_rand(w) & 1, bounced;
	u32 outer, inner, dev_seed;
	size_t so = 0, sl = 0;
	u8 *cpu = buf->va + off, *dv;
	char op[112];
	dma_addr_t addr;

	if (w->trim_every && !(w->ops % w->trim_every))
		dynbounce_trim(dev);
	scnprintf(op, sizeof(op), "%s: %s %zu bytes of %s memory at %zu%s",
		  dev_name(dev), st_dir_name(dir), size,
		  buf == &w->far ? "far" : "near", off,
		  sync ? " with range syncs" : "");
	st_fill(cpu - ST_GUARD, ST_GUARD, ST_SEED_GUARD, 0);
	st_fill(cpu, size, a, 0);
	st_fill(cpu + size, ST_GUARD, ST_SEED_GUARD, ST_GUARD);

	w->ops++;
	w->maps[di]++;
	addr = dma_map_single_attrs(dev, cpu, size, dir, w->attrs);
	if (dma_mapping_error(dev, addr)) {
		w->fails++;
		w->errs[di]++;
		outer = a;
		inner = a;
		goto check;
	}
	w->bytes += size;
	bounced = addr != phys_to_dma(dev, virt_to_phys(cpu));
	w->bounced += bounced;
	dv = st_dev_va(dev, addr);
	if (!st_sw_check(w, "device view after map", dv, size, a, 0, 0, a, op))
		goto unmap;
	dev_seed = a;
	if (dir != DMA_TO_DEVICE) {
		st_fill(dv, size, b, 0);
		dev_seed = b;
	}
	outer = dev_seed;
	inner = dev_seed;
	if (sync) {
		so = st_sw_rand(w) % size;
		sl = 1 + st_sw_rand(w) % (size - so);
		dma_sync_single_range_for_cpu(dev, addr, so, sl, dir);
		/* Passed through, the CPU sees the device's bytes everywhere. */
		if (!st_sw_check(w, "CPU after range sync_for_cpu", cpu, size,
				 bounced ? a : dev_seed, so, sl, dev_seed, op))
			goto unmap;
		st_fill(cpu + so, sl, c, so);
		dma_sync_single_range_for_device(dev, addr, so, sl, dir);
		w->syncs += 2;
		if (!st_sw_check(w, "device after range sync_for_device", dv,
				 size, dev_seed, so, sl,
				 dir != DMA_FROM_DEVICE || !bounced ? c : dev_seed,
				 op))
			goto unmap;
		if (dir != DMA_TO_DEVICE) {
			st_fill(dv, size, d, 0);
			outer = d;
			inner = d;
		} else {
			outer = a;
			inner = c;
		}
	}
unmap:
	dma_unmap_single_attrs(dev, addr, size, dir, w->attrs);
	if (w->failed)
		return;
check:
	if (!st_sw_check(w, "CPU after unmap", cpu, size, outer, so, sl, inner,
			 op))
		return;
	if (st_mismatch(cpu - ST_GUARD, ST_GUARD, ST_SEED_GUARD, 0) >= 0 ||
	    st_mismatch(cpu + size, ST_GUARD, ST_SEED_GUARD, ST_GUARD) >= 0) {
		w->failed = true;
		scnprintf(w->err, sizeof(w->err),
			  "%s: the bytes around the mapping changed", op);
	}
}

/**
 * struct st_swt - a thread running st_sw_op() until told to stop
 * @w:		its mapper
 * @task:	the thread
 * @deadline:	jiffies when it stops starting operations
 * @max_ops:	or after this many operations (0: no limit)
 * @make_it_fail: the thread is a target of fault injection (task filter)
 * @done:	it stopped starting operations
 */
struct st_swt {
	struct st_sw w;
	struct task_struct *task;
	unsigned long deadline;
	u64 max_ops;
	bool make_it_fail;
	bool done;
};

static int st_swt_fn(void *data)
{
	struct st_swt *s = data;

#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = s->make_it_fail;
#endif
	while (!kthread_should_stop()) {
		if (s->w.failed || time_after(jiffies, s->deadline) ||
		    (s->max_ops && s->w.ops >= s->max_ops)) {
			WRITE_ONCE(s->done, true);
			set_current_state(TASK_INTERRUPTIBLE);
			if (!kthread_should_stop())
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		st_sw_op(&s->w);
		cond_resched();
	}
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = 0;
#endif
	return 0;
}

/* Far (@far bytes) and near (@near bytes, may be 0) memory for a mapper. */
static bool st_sw_init(struct st_test *t, struct st_sw *w, struct device *d0,
		       struct device *d1, size_t far, size_t near, size_t max)
{
	w->devs[0] = d0;
	w->devs[1] = d1;
	w->rng = get_random_u32() | 1;
	w->max = max;
	if (!st_alloc_far(t, &w->far, far))
		return false;
	/* Near memory is scarce: without it the mapper uses far memory only. */
	if (near && st_alloc(t->c, &w->near, near, false))
		st_diag(t, "no %zu bytes of near memory: far memory only", near);
	return true;
}

static void st_sw_free(struct st_sw *w)
{
	st_free(&w->far);
	st_free(&w->near);
}

/* Add up the mappers' counts; false (and a failure) if one saw bad bytes. */
static void st_sw_sum(struct st_test *t, struct st_sw *sum, struct st_sw *w,
		      const char *who)
{
	int i;

	sum->ops += w->ops;
	sum->fails += w->fails;
	sum->bounced += w->bounced;
	sum->syncs += w->syncs;
	sum->bytes += w->bytes;
	for (i = 0; i < 2; i++) {
		sum->maps[i] += w->maps[i];
		sum->errs[i] += w->errs[i];
	}
	if (w->failed)
		st_fail(t, "%s: %s", who, w->err);
}

/*
 * The counters of each device moved exactly as the mappers counted, and
 * nothing is left mapped.
 */
static void st_sw_expect_stats(struct st_test *t, struct device *dev,
			       const struct dynbounce_stats *s0,
			       struct st_sw *sum, int i)
{
	struct dynbounce_stats s1;
	char what[96];

	if (dynbounce_get_stats(dev, &s1)) {
		st_fail(t, "%s is no longer attached", dev_name(dev));
		return;
	}
	snprintf(what, sizeof(what), "%s: maps grew by", dev_name(dev));
	EXPECT_EQ(t, what, s1.maps - s0->maps, sum->maps[i]);
	snprintf(what, sizeof(what), "%s: map_failures grew by", dev_name(dev));
	EXPECT_EQ(t, what, s1.map_failures - s0->map_failures, sum->errs[i]);
	snprintf(what, sizeof(what), "%s: unmaps grew by", dev_name(dev));
	EXPECT_EQ(t, what, s1.unmaps - s0->unmaps, sum->maps[i] - sum->errs[i]);
	snprintf(what, sizeof(what), "%s: pool_used_bytes after the case",
		 dev_name(dev));
	EXPECT_EQ(t, what, s1.pool_used_bytes, 0);
	snprintf(what, sizeof(what), "%s: dyn_live after the case", dev_name(dev));
	EXPECT_EQ(t, what, s1.dyn_live, 0);
	st_diag(t, "%s: %llu maps: %llu passthrough, %llu fixed, %llu dynamic, %llu failed (no_dynamic %llu, dyn_max %llu, max_segment %llu, alloc %llu); pool %llu bytes, high water %llu",
		dev_name(dev), s1.maps - s0->maps,
		s1.passthrough - s0->passthrough,
		s1.bounced_fixed - s0->bounced_fixed,
		s1.bounced_dynamic - s0->bounced_dynamic,
		s1.map_failures - s0->map_failures,
		s1.fail_no_dynamic - s0->fail_no_dynamic,
		s1.fail_dyn_max - s0->fail_dyn_max,
		s1.fail_max_segment - s0->fail_max_segment,
		s1.fail_alloc - s0->fail_alloc, s1.pool_bytes,
		s1.pool_hiwater_bytes);
}

/* Under KASAN and TCG a shorter period keeps a CPU in hard IRQ for good. */
static unsigned int stress_hrtimer_us = 5000;
module_param(stress_hrtimer_us, uint, 0644);
MODULE_PARM_DESC(stress_hrtimer_us, "Period of the stress case's hard-IRQ mapper, us [DEFAULT: 5000]");

/**
 * struct st_irq_sw - the stress case's mapper in hard-IRQ context
 * @w:		its mapper
 * @hrt:	the timer
 * @period:	its period
 * @stop:	no more operations; the timer does not restart
 * @wrong_ctx:	it ran outside hard-IRQ context
 */
struct st_irq_sw {
	struct st_sw w;
	struct hrtimer hrt;
	ktime_t period;
	bool stop;
	bool wrong_ctx;
};

static enum hrtimer_restart st_irq_sw_fn(struct hrtimer *h)
{
	struct st_irq_sw *s = container_of(h, struct st_irq_sw, hrt);

	if (READ_ONCE(s->stop))
		return HRTIMER_NORESTART;
	if (!in_hardirq())
		s->wrong_ctx = true;
	if (!s->w.failed)
		st_sw_op(&s->w);
	hrtimer_forward_now(h, s->period);
	return HRTIMER_RESTART;
}

/* The tunables the stress case flips, and the values it picks from. */
static const char * const st_flip_dynamic[] = { "0", "1", "1" };
static const char * const st_flip_force[] = { "0", "1" };
static const char * const st_flip_dyn_max[] = {
	"0", "65536", "1M", "8M", "256M",
};

struct st_flipper {
	struct task_struct *task;
	unsigned long deadline;
	u32 rng;
	u64 flips;
	int err;
};

static int st_flipper_fn(void *data)
{
	struct st_flipper *f = data;
	const char *name, *val;
	u32 r;
	int ret;

	while (!kthread_should_stop()) {
		if (time_after(jiffies, f->deadline)) {
			set_current_state(TASK_INTERRUPTIBLE);
			if (!kthread_should_stop())
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		f->rng ^= f->rng << 13;
		f->rng ^= f->rng >> 17;
		f->rng ^= f->rng << 5;
		r = f->rng;
		switch (r % 3) {
		case 0:
			name = "dynamic";
			val = st_flip_dynamic[(r >> 8) % ARRAY_SIZE(st_flip_dynamic)];
			break;
		case 1:
			name = "force_bounce";
			val = st_flip_force[(r >> 8) % ARRAY_SIZE(st_flip_force)];
			break;
		default:
			name = "dyn_max";
			val = st_flip_dyn_max[(r >> 8) % ARRAY_SIZE(st_flip_dyn_max)];
			break;
		}
		ret = dynbounce_set_param(name, val);
		if (ret && !f->err)
			f->err = ret;
		f->flips++;
		msleep(5 + (r >> 16) % 40);
	}
	return 0;
}

/* pool_size as found, to put back at the end of a case that changes it. */
static bool st_pool_size_save(struct st_test *t, char *saved, size_t len)
{
	int ret = st_param_read("pool_size", saved, len);

	if (ret)
		st_fail(t, "cannot read dynbounce's pool_size: %d", ret);
	return !ret;
}

static void st_pool_size_restore(struct st_test *t, const char *saved)
{
	st_set(t, "pool_size", saved);
}

#define ST_STRESS_BUF	SZ_4M	/* each thread's far memory: mappings to 4 MiB */
#define ST_STRESS_NEAR	SZ_1M
#define ST_STRESS_IRQ_MAX SZ_8K

/*
 * Two devices, stress_threads threads and a hard-IRQ timer map, sync and
 * unmap at random for stress_secs, with a 64 KiB pool per device (so the
 * pool runs full and the dynamic path is taken all the time) while a thread
 * flips dynamic, dyn_max and force_bounce. Refusals are expected (dynamic=0
 * with a full pool, dyn_max); every mapping that succeeds must move every
 * byte right, and each device's counters must match what the mappers saw.
 */
static void stress_two_devices_with_irq_and_param_flips(struct st_test *t)
{
	unsigned int n = max(2u, stress_threads), i, started = 0;
	struct dynbounce_stats s0[2];
	struct platform_device *pd = NULL;
	struct st_flipper flip = {};
	struct st_irq_sw *irq = NULL;
	struct device *devs[2];
	struct st_swt *thr;
	struct st_sw sum = {};
	char pool_saved[32];
	bool timer = false;

	if (!st_pool_size_save(t, pool_saved, sizeof(pool_saved)))
		return;
	thr = kcalloc(n, sizeof(*thr), GFP_KERNEL);
	irq = kzalloc(sizeof(*irq), GFP_KERNEL);
	if (!thr || !irq) {
		st_fail(t, "no memory for the mappers");
		goto out;
	}
	/* Before the second device attaches: it gets the small pool too. */
	if (!st_set(t, "pool_size", "64K"))
		goto out;
	pd = st_pdev_create(t, true);
	if (!pd)
		goto out;
	devs[0] = t->c->dev;
	devs[1] = &pd->dev;
	for (i = 0; i < n; i++)
		if (!st_sw_init(t, &thr[i].w, devs[0], devs[1], ST_STRESS_BUF,
				ST_STRESS_NEAR, ST_STRESS_BUF))
			goto out;
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) &&
	    !st_sw_init(t, &irq->w, devs[0], devs[1], SZ_64K, SZ_64K,
			ST_STRESS_IRQ_MAX))
		goto out;
	for (i = 0; i < 2; i++)
		if (!st_stats(t, &s0[i]))
			goto out;
	for (i = 0; i < 2; i++)
		dynbounce_get_stats(devs[i], &s0[i]);

	for (i = 0; i < n; i++) {
		thr[i].deadline = jiffies + stress_secs * HZ;
		thr[i].task = kthread_run(st_swt_fn, &thr[i], "dbst/%u", i);
		if (IS_ERR(thr[i].task)) {
			st_fail(t, "kthread_run: %ld", PTR_ERR(thr[i].task));
			break;
		}
		started++;
	}
	/* PREEMPT_RT: drivers map from threads there; no hard-IRQ mapper. */
	if (!IS_ENABLED(CONFIG_PREEMPT_RT)) {
		irq->period = ns_to_ktime((u64)stress_hrtimer_us * NSEC_PER_USEC);
		hrtimer_init(&irq->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		irq->hrt.function = st_irq_sw_fn;
		hrtimer_start(&irq->hrt, irq->period, HRTIMER_MODE_REL_HARD);
		timer = true;
	}
	flip.deadline = jiffies + stress_secs * HZ;
	flip.rng = get_random_u32() | 1;
	flip.task = kthread_run(st_flipper_fn, &flip, "dbst/flip");
	if (IS_ERR(flip.task)) {
		st_fail(t, "kthread_run: %ld", PTR_ERR(flip.task));
		flip.task = NULL;
	}
	msleep(stress_secs * 1000 + 100);
	if (flip.task)
		kthread_stop(flip.task);
	if (timer) {
		WRITE_ONCE(irq->stop, true);
		hrtimer_cancel(&irq->hrt);
	}
	for (i = 0; i < started; i++)
		kthread_stop(thr[i].task);
	/* Put the tunables back before reading what the mappers left. */
	st_restore_params(t);

	for (i = 0; i < started; i++)
		st_sw_sum(t, &sum, &thr[i].w, "thread");
	if (timer) {
		st_sw_sum(t, &sum, &irq->w, "hard-IRQ timer");
		st_expect_true(t, !irq->wrong_ctx,
			       "the timer ran outside hard-IRQ context");
	}
	for (i = 0; i < 2; i++)
		st_sw_expect_stats(t, devs[i], &s0[i], &sum, i);
	st_diag(t, "stress: %u s, %u threads + %s on %s and %s: %llu operations (%llu in hard IRQ), %llu refused, %llu bounced, %llu range syncs, %llu MiB mapped; %llu parameter flips",
		stress_secs, started, timer ? "a hard-IRQ timer" : "no timer",
		dev_name(devs[0]), dev_name(devs[1]), sum.ops, irq->w.ops,
		sum.fails, sum.bounced, sum.syncs, sum.bytes >> 20, flip.flips);
	EXPECT_EQ(t, "parameter flips refused", flip.err, 0);
	st_expect_true(t, flip.flips > 0, "no parameter was flipped");
	st_expect_true(t, sum.ops >= 20 * started,
		       "fewer than twenty operations per thread");
	st_expect_true(t, !timer || irq->w.ops > 0,
		       "the hard-IRQ timer made no mapping");
	st_expect_true(t, sum.maps[0] && sum.maps[1],
		       "one of the devices was never mapped");
out:
	if (thr)
		for (i = 0; i < n; i++)
			st_sw_free(&thr[i].w);
	if (irq)
		st_sw_free(&irq->w);
	kfree(thr);
	kfree(irq);
	st_pdev_destroy(t, pd);
	st_pool_size_restore(t, pool_saved);
	/* A timer or thread that got no memory above: params may be flipped. */
	st_restore_params(t);
}

static unsigned int fault_ops = 1500;
module_param(fault_ops, uint, 0644);
MODULE_PARM_DESC(fault_ops, "Mappings per thread of the fault-injection case [DEFAULT: 1500]");

static unsigned int fault_attaches = 40;
module_param(fault_attaches, uint, 0644);
MODULE_PARM_DESC(fault_attaches, "Attach/detach rounds of the fault-injection case [DEFAULT: 40]");

/*
 * Run with failslab and fail_page_alloc set up by the guest script to fail
 * a share of the allocations made from dynbounce's code by tasks marked
 * make-it-fail (task-filter): attach and detach a device over and over,
 * change pool_size, and map thousands of times on two devices. Every
 * refused mapping must be a clean DMA_MAPPING_ERROR counted as fail_alloc,
 * every failed attach a clean -ENOMEM that leaves the device detached, and
 * every mapping that succeeded must move every byte right.
 */
#ifdef CONFIG_FAULT_INJECTION
struct st_fault_ctx {
	struct st_swt thr[2];
	struct st_sw one;
	struct dynbounce_stats s0[2];
};
#endif

static void fault_injection_failures_end_clean(struct st_test *t)
{
#ifdef CONFIG_FAULT_INJECTION
	static const char * const pool_sizes[] = { "16K", "32K", "64K", "8K" };
	unsigned int i, tries = 0, attach_fail = 0, pool_changes = 0;
	unsigned int pool_unchanged = 0;
	struct platform_device *pd = NULL;
	struct dynbounce_stats s1, sp;
	struct st_fault_ctx *x;
	struct st_sw sum = {};
	struct device *devs[2];
	char pool_saved[32];
	u64 fail_alloc = 0;
	int ret, started = 0;

	if (!st_pool_size_save(t, pool_saved, sizeof(pool_saved)))
		return;
	/* Too big for the stack. */
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x) {
		st_fail(t, "no memory for the mappers");
		return;
	}
	if (!st_set(t, "pool_size", "16K"))
		goto out;
	pd = st_pdev_create(t, false);
	if (!pd)
		goto out;
	devs[0] = t->c->dev;
	devs[1] = &pd->dev;
	if (!st_sw_init(t, &x->one, devs[1], devs[1], SZ_256K, 0, SZ_64K))
		goto out;
	x->one.attrs = DMA_ATTR_NO_WARN;

	/* Attach under faults; a few mappings; detach (never refused). */
	current->make_it_fail = 1;
	for (i = 0; i < fault_attaches; i++) {
		unsigned int k;

		tries++;
		ret = dynbounce_attach(&pd->dev);
		if (ret == -ENOMEM) {
			attach_fail++;
			if (dynbounce_get_stats(&pd->dev, &sp) != -ENODEV)
				st_fail(t, "a failed attach left %s attached",
					dev_name(&pd->dev));
			continue;
		}
		if (ret) {
			st_fail(t, "dynbounce_attach under faults: expected 0 or %d, got %d",
				-ENOMEM, ret);
			break;
		}
		for (k = 0; k < 8; k++)
			st_sw_op(&x->one);
		ret = dynbounce_detach(&pd->dev);
		if (ret) {
			st_fail(t, "dynbounce_detach under faults: expected 0, got %d",
				ret);
			break;
		}
	}
	current->make_it_fail = 0;
	if (x->one.failed)
		st_fail(t, "mapping between attach and detach: %s", x->one.err);
	ret = dynbounce_attach(&pd->dev);
	if (ret) {
		st_fail(t, "dynbounce_attach without faults: %d", ret);
		goto out;
	}

	/* pool_size changes under faults: the pool is the old or the new one. */
	current->make_it_fail = 1;
	for (i = 0; i < 16; i++) {
		const char *want = pool_sizes[i % ARRAY_SIZE(pool_sizes)];
		unsigned long long bytes = memparse(want, NULL);

		ret = dynbounce_set_param("pool_size", want);
		pool_changes++;
		if (ret) {
			st_fail(t, "pool_size=%s under faults: %d", want, ret);
			break;
		}
		if (dynbounce_get_stats(devs[1], &sp)) {
			st_fail(t, "%s detached by a pool change", dev_name(devs[1]));
			break;
		}
		pool_unchanged += sp.pool_bytes != bytes;
	}
	current->make_it_fail = 0;
	if (!st_set(t, "pool_size", "16K"))
		goto out;

	/* Thousands of mappings on both devices from two marked threads. */
	for (i = 0; i < 2; i++) {
		if (!st_stats(t, &x->s0[i]) ||
		    !st_sw_init(t, &x->thr[i].w, devs[0], devs[1], SZ_512K, 0,
				SZ_256K))
			goto out;
		x->thr[i].w.attrs = DMA_ATTR_NO_WARN;
		/* New buffers keep being allocated, not only reused. */
		x->thr[i].w.trim_every = 16;
		x->thr[i].make_it_fail = true;
		x->thr[i].max_ops = fault_ops;
		x->thr[i].deadline = jiffies + 600 * HZ;
	}
	for (i = 0; i < 2; i++)
		dynbounce_get_stats(devs[i], &x->s0[i]);
	for (i = 0; i < 2; i++) {
		x->thr[i].task = kthread_run(st_swt_fn, &x->thr[i], "dbst/fault%u", i);
		if (IS_ERR(x->thr[i].task)) {
			st_fail(t, "kthread_run: %ld", PTR_ERR(x->thr[i].task));
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		while (!READ_ONCE(x->thr[i].done))
			msleep(50);
	for (i = 0; i < started; i++) {
		kthread_stop(x->thr[i].task);
		st_sw_sum(t, &sum, &x->thr[i].w, "thread");
	}
	for (i = 0; i < 2; i++) {
		st_sw_expect_stats(t, devs[i], &x->s0[i], &sum, i);
		if (!dynbounce_get_stats(devs[i], &s1))
			fail_alloc += s1.fail_alloc - x->s0[i].fail_alloc;
	}
	EXPECT_EQ(t, "fail_alloc grew by (every refusal an allocation failure)",
		  fail_alloc, sum.fails);
	st_diag(t, "faults: attach %u tries, %u failed with -ENOMEM; pool_size %u changes, %u left the old pool; %llu mappings, %llu refused (fail_alloc %llu), %llu bounced",
		tries, attach_fail, pool_changes, pool_unchanged, sum.ops,
		sum.fails, fail_alloc, sum.bounced);
	/* The line the guest script checks against the injection counts. */
	st_out_printf("# fault-counts: map_failures=%llu attach_failures=%u pool_failures=%u maps=%llu\n",
		      sum.fails, attach_fail, pool_unchanged, sum.ops);
out:
	current->make_it_fail = 0;
	for (i = 0; i < 2; i++)
		st_sw_free(&x->thr[i].w);
	st_sw_free(&x->one);
	kfree(x);
	st_pdev_destroy(t, pd);
	st_pool_size_restore(t, pool_saved);
#else
	t->skip = "the kernel has no CONFIG_FAULT_INJECTION";
#endif
}

/* ---- the run ------------------------------------------------------------- */

/* A @manual case runs only when a filter names it, never in "all". */
struct st_case {
	const char *name;
	void (*fn)(struct st_test *t);
	bool manual;
};

#define ST_CASE(fn) { #fn, fn }
#define ST_CASE_MANUAL(fn) { #fn, fn, true }

static const struct st_case st_cases[] = {
	ST_CASE(device_is_attached_to_dynbounce),
	ST_CASE(to_device_map_copies_in_and_unmap_copies_nothing_back),
	ST_CASE(from_device_unmap_copies_the_device_bytes_out),
	ST_CASE(bidirectional_map_copies_in_and_unmap_copies_out),
	ST_CASE(from_device_map_shows_the_original_bytes_not_stale_pool_data),
	ST_CASE(from_device_map_shows_the_original_bytes_not_stale_dynamic_data),
	ST_CASE(partial_device_write_keeps_the_other_original_bytes),
	ST_CASE(map_page_at_an_offset_bounces_exactly_those_bytes),
	ST_CASE(pool_use_is_counted_in_whole_slots),
	ST_CASE(sync_for_cpu_copies_out_only_for_from_device_and_bidirectional),
	ST_CASE(sync_for_device_copies_in_only_for_to_device_and_bidirectional),
	ST_CASE(sync_range_in_the_pool_copies_exactly_the_range),
	ST_CASE(sync_range_in_a_dynamic_buffer_copies_exactly_the_range),
	ST_CASE(skip_cpu_sync_copies_nothing_at_map_or_unmap),
	ST_CASE(skip_cpu_sync_mapping_still_copies_on_explicit_sync),
	ST_CASE(min_align_mask_keeps_the_low_address_bits_in_the_pool),
	ST_CASE(min_align_mask_keeps_the_low_address_bits_in_dynamic_buffers),
	ST_CASE(reachable_memory_passes_through),
	ST_CASE(reachable_memory_is_bounced_under_force_bounce),
	ST_CASE(full_pool_falls_back_to_a_dynamic_buffer),
	ST_CASE(mapping_larger_than_the_pool_goes_dynamic),
	/* The first refusals of the run: their log lines are not rate-limited away. */
	ST_CASE(dynamic_off_and_full_pool_fails_the_mapping),
	ST_CASE(no_warn_attribute_fails_without_a_log_line),
	ST_CASE(dyn_max_refuses_a_mapping_that_would_pass_the_cap),
	ST_CASE(max_segment_refuses_a_larger_mapping),
	ST_CASE(max_mapping_size_follows_max_segment),
	ST_CASE(bad_param_values_are_rejected_and_change_nothing),
	ST_CASE(unknown_param_name_is_rejected),
	ST_CASE(trim_gives_back_every_cached_buffer),
	ST_CASE(map_sg_bounces_only_the_unreachable_entries),
	ST_CASE(sync_sg_copies_every_bounced_entry_both_ways),
	ST_CASE(hardirq_mapping_through_the_pool_moves_the_data),
	ST_CASE(hardirq_mapping_through_a_dynamic_buffer_moves_the_data),
	ST_CASE(softirq_mapping_through_the_pool_moves_the_data),
	ST_CASE(softirq_mapping_through_a_dynamic_buffer_moves_the_data),
	ST_CASE(mapping_made_before_attach_is_unmapped_after_attach),
	ST_CASE(swiotlb_mapping_made_before_attach_is_unmapped_after_attach),
	ST_CASE(detach_with_a_live_bounced_mapping_is_refused),
	ST_CASE(attaching_twice_says_already_attached),
	ST_CASE(detaching_twice_says_not_attached),
	ST_CASE(syncs_still_reach_dynbounce_after_reattach),
	ST_CASE(concurrent_threads_keep_every_byte),
	ST_CASE(bounced_counters_grow_by_one_per_bounced_map),
	ST_CASE(stats_add_up_and_nothing_is_left_mapped),
	ST_CASE_MANUAL(stress_two_devices_with_irq_and_param_flips),
	ST_CASE_MANUAL(fault_injection_failures_end_clean),
};

static bool st_selected(const struct st_case *tc, const char *filter)
{
	if (tc->manual)
		return filter && strstr(tc->name, filter);
	return !filter || strstr(tc->name, filter);
}

/* The device under test, with a reference, or NULL. */
static struct pci_dev *st_find_device(void)
{
	struct device *d;

	if (!dev_name_param || !*dev_name_param)
		return pci_get_device(0x1234, 0x11e8, NULL);
	d = bus_find_device_by_name(&pci_bus_type, NULL, dev_name_param);
	return d ? to_pci_dev(d) : NULL;
}

/* Set the run up; false (with a reason in the results) if it cannot run. */
static bool st_ctx_init(struct st_ctx *c)
{
	struct dynbounce_stats s;
	struct st_buf probe;
	int i, ret;

	c->pdev = st_find_device();
	if (!c->pdev) {
		st_out_printf("# no device %s found\n",
			      dev_name_param && *dev_name_param ? dev_name_param :
			      "1234:11e8");
		return false;
	}
	c->dev = &c->pdev->dev;
	c->attached = !dynbounce_get_stats(c->dev, &s);

	for (i = 0; i < ST_NPARAMS; i++) {
		ret = st_param_read(st_param_names[i], c->saved[i],
				    sizeof(c->saved[i]));
		if (ret) {
			st_out_printf("# cannot read dynbounce's parameter %s: %d\n",
				      st_param_names[i], ret);
			return false;
		}
	}

	if (dma_bits && *c->dev->dma_mask != DMA_BIT_MASK(dma_bits)) {
		c->old_mask = *c->dev->dma_mask;
		c->old_coherent_mask = c->dev->coherent_dma_mask;
		ret = dma_set_mask_and_coherent(c->dev, DMA_BIT_MASK(dma_bits));
		if (ret) {
			st_out_printf("# cannot set a %u-bit DMA mask: %d\n",
				      dma_bits, ret);
			return false;
		}
		c->mask_changed = true;
	}

	/* Is there memory the device cannot reach? If not, bounce all. */
	if (st_alloc(c, &probe, PAGE_SIZE, true)) {
		c->fallback = true;
		strscpy(c->orig_force, c->saved[P_FORCE_BOUNCE],
			sizeof(c->orig_force));
		strscpy(c->saved[P_FORCE_BOUNCE], "1",
			sizeof(c->saved[P_FORCE_BOUNCE]));
		dynbounce_set_param("force_bounce", "1");
	} else {
		st_free(&probe);
	}
	return true;
}

static void st_ctx_exit(struct st_ctx *c)
{
	if (!c->pdev)
		return;
	if (c->fallback)
		dynbounce_set_param("force_bounce", c->orig_force);
	if (c->mask_changed) {
		dma_set_mask(c->dev, c->old_mask);
		dma_set_coherent_mask(c->dev, c->old_coherent_mask);
	}
	pci_dev_put(c->pdev);
}

static void st_run_case(struct st_ctx *c, const struct st_case *tc,
			unsigned int nr)
{
	struct st_test t = { .c = c, .name = tc->name };
	struct dynbounce_stats s;
	int ret;

	/* The first case says why nothing else runs. */
	if (!c->attached && tc->fn != device_is_attached_to_dynbounce) {
		t.skip = "the device is not attached to dynbounce";
	} else {
		if (c->attached)
			st_settle(&t);
		tc->fn(&t);
	}

	if (c->attached) {
		st_restore_params(&t);
		if (c->dev->dma_parms)
			dma_set_min_align_mask(c->dev, 0);
		ret = dynbounce_get_stats(c->dev, &s);
		if (ret == -ENODEV) {
			st_fail(&t, "the case left the device detached");
			dynbounce_attach(c->dev);
		} else if (!ret && (s.pool_used_bytes || s.dyn_live)) {
			st_fail(&t, "left behind: pool_used_bytes %llu, dyn_live %llu (expected 0 and 0)",
				s.pool_used_bytes, s.dyn_live);
		}
	}

	if (t.failed)
		st_out_printf("not ok %u %s\n", nr, tc->name);
	else if (t.skip)
		st_out_printf("ok %u %s # SKIP %s\n", nr, tc->name, t.skip);
	else
		st_out_printf("ok %u %s\n", nr, tc->name);
}

/* Process context, st_lock held. Run the cases whose names contain @filter. */
static void st_run(const char *filter)
{
	struct st_ctx c = {};
	unsigned int i, n = 0, nr = 0;
	struct dynbounce_stats s;

	st_out_len = 0;
	st_out_full = false;
	st_out[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(st_cases); i++)
		n += st_selected(&st_cases[i], filter);

	st_out_printf("KTAP version 1\n");
	if (!st_ctx_init(&c)) {
		st_out_printf("1..1\nnot ok 1 dynbounce_selftest_can_run\n");
		goto out;
	}
	st_out_printf("1..%u\n", n);
	st_out_printf("# dynbounce_selftest: device %s, dma_mask %#llx%s, dynamic=%s dyn_max=%s force_bounce=%s max_segment=%s\n",
		      dev_name(c.dev), *c.dev->dma_mask,
		      c.mask_changed ? " (set for the run)" : "",
		      c.saved[P_DYNAMIC], c.saved[P_DYN_MAX],
		      c.fallback ? c.orig_force : c.saved[P_FORCE_BOUNCE],
		      c.saved[P_MAX_SEGMENT]);
	if (c.attached && !dynbounce_get_stats(c.dev, &s))
		st_out_printf("# dynbounce_selftest: pool %llu bytes\n", s.pool_bytes);
	if (c.fallback)
		st_out_printf("# dynbounce_selftest: no memory beyond the device's reach: the run uses force_bounce=1\n");

	for (i = 0; i < ARRAY_SIZE(st_cases); i++)
		if (st_selected(&st_cases[i], filter))
			st_run_case(&c, &st_cases[i], ++nr);
out:
	st_ctx_exit(&c);
}

/* ---- debugfs ------------------------------------------------------------- */

static struct dentry *st_dir;

static ssize_t st_run_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char buf[64], *s;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	s = strim(buf);
	mutex_lock(&st_lock);
	st_run(!*s || !strcmp(s, "1") || !strcmp(s, "all") ? NULL : s);
	mutex_unlock(&st_lock);
	return count;
}

static const struct file_operations st_run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = st_run_write,
	.llseek = noop_llseek,
};

static ssize_t st_results_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&st_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, st_out, st_out_len);
	mutex_unlock(&st_lock);
	return ret;
}

static const struct file_operations st_results_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = st_results_read,
	.llseek = default_llseek,
};

static int __init st_init(void)
{
	st_out = vzalloc(ST_OUT_SIZE);
	if (!st_out)
		return -ENOMEM;
	st_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("run", 0200, st_dir, NULL, &st_run_fops);
	debugfs_create_file("results", 0400, st_dir, NULL, &st_results_fops);
	if (autorun) {
		mutex_lock(&st_lock);
		st_run(NULL);
		mutex_unlock(&st_lock);
	}
	return 0;
}

static void __exit st_exit(void)
{
	debugfs_remove_recursive(st_dir);
	vfree(st_out);
}

module_init(st_init);
module_exit(st_exit);

MODULE_DESCRIPTION("In-guest self-test of dynbounce's bounce semantics and counters");
MODULE_LICENSE("GPL");
